//! Text forms of Avro logical types: parsing what callers send, and
//! rendering what the decoder reads, so that one round-trips to the other.
//!
//! - `date`: `YYYY-MM-DD`
//! - `time-*`: `HH:MM:SS` with an optional fraction
//! - `timestamp-*`: RFC 3339 with a zone; rendered in UTC with a `Z`
//! - `local-timestamp-*`: `YYYY-MM-DDTHH:MM:SS` with an optional fraction, no zone
//! - `decimal`: plain decimal text, rendered with exactly `scale` fraction digits
//! - `uuid`: the canonical 8-4-4-4-12 hexadecimal form

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::datum::TimeUnit;

const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;
const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// Parses `YYYY-MM-DD` into days since 1970-01-01.
pub fn parse_date(text: &str) -> Result<i32, String> {
    let date = Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| "expected a date as YYYY-MM-DD".to_string())?;
    Ok(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY)
}

pub fn format_date(days: i32) -> Result<String, String> {
    let date = days
        .checked_add(UNIX_EPOCH_JULIAN_DAY)
        .and_then(|julian| Date::from_julian_day(julian).ok())
        .ok_or_else(|| format!("date {days} days from 1970-01-01 is out of range"))?;
    Ok(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

/// Parses `HH:MM:SS[.fraction]` into nanoseconds since midnight.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let time = parse_time_of_day(text).ok_or("expected a time of day as HH:MM:SS.fff")?;
    let (h, m, s, nanos) = time.as_hms_nano();
    Ok(((i64::from(h) * 60 + i64::from(m)) * 60 + i64::from(s)) * 1_000_000_000 + i64::from(nanos))
}

fn parse_time_of_day(text: &str) -> Option<Time> {
    Time::parse(
        text,
        format_description!("[hour]:[minute]:[second][optional [.[subsecond]]]"),
    )
    .ok()
}

pub fn format_time(value: i64, unit: TimeUnit) -> Result<String, String> {
    let nanos = value
        .checked_mul(unit.nanos())
        .filter(|n| (0..NANOS_PER_DAY).contains(n))
        .ok_or_else(|| format!("time of day {value} is outside one day"))?;
    let secs = nanos / 1_000_000_000;
    let fraction = nanos % 1_000_000_000 / unit.nanos();
    Ok(format!(
        "{:02}:{:02}:{:02}.{:0width$}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        fraction,
        width = fraction_digits(unit)
    ))
}

/// Parses an RFC 3339 date-time with a zone into nanoseconds since the epoch.
pub fn parse_timestamp(text: &str) -> Result<i128, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp_nanos)
        .map_err(|_| {
            "expected an RFC 3339 timestamp with a zone, such as 2024-05-01T09:30:00Z".to_string()
        })
}

/// Parses a zone-less `YYYY-MM-DDTHH:MM:SS[.fraction]` into nanoseconds since
/// 1970-01-01T00:00:00 on the same wall clock.
pub fn parse_local_timestamp(text: &str) -> Result<i128, String> {
    PrimitiveDateTime::parse(
        text,
        format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        ),
    )
    .map(|dt| dt.assume_utc().unix_timestamp_nanos())
    .map_err(|_| "expected a date-time without a zone, such as 2024-05-01T09:30:00.000".to_string())
}

pub fn format_timestamp(value: i64, unit: TimeUnit, with_zone: bool) -> Result<String, String> {
    let nanos = i128::from(value) * i128::from(unit.nanos());
    let dt = OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map_err(|_| format!("timestamp {value} is out of range"))?
        .to_offset(UtcOffset::UTC);
    let fraction = i64::from(dt.nanosecond()) / unit.nanos();
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:0width$}{}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        fraction,
        if with_zone { "Z" } else { "" },
        width = fraction_digits(unit)
    ))
}

fn fraction_digits(unit: TimeUnit) -> usize {
    match unit {
        TimeUnit::Millis => 3,
        TimeUnit::Micros => 6,
        TimeUnit::Nanos => 9,
    }
}

/// Converts nanoseconds to `unit`, refusing to drop a non-zero remainder.
pub fn nanos_to_unit_exact(nanos: i128, unit: TimeUnit) -> Result<i64, String> {
    let per = i128::from(unit.nanos());
    if nanos % per != 0 {
        return Err(format!(
            "more precision than {} holds; round the value first",
            unit_name(unit)
        ));
    }
    i64::try_from(nanos / per).map_err(|_| "timestamp out of range".to_string())
}

/// Converts nanoseconds to `unit`, rounding toward the past. Used for host
/// clock readings, whose extra precision is incidental rather than meant.
pub fn nanos_to_unit_floor(nanos: i128, unit: TimeUnit) -> Result<i64, String> {
    i64::try_from(nanos.div_euclid(i128::from(unit.nanos())))
        .map_err(|_| "timestamp out of range".to_string())
}

fn unit_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Millis => "milliseconds",
        TimeUnit::Micros => "microseconds",
        TimeUnit::Nanos => "nanoseconds",
    }
}

/// The largest decimal precision we carry; the unscaled value is an `i128`.
pub const MAX_DECIMAL_PRECISION: usize = 38;

/// Parses decimal text (`-12.5`, `3`, `1.25e2`) into an unscaled integer at
/// `scale`, checking it fits `precision` digits.
pub fn parse_decimal(text: &str, precision: usize, scale: u32) -> Result<i128, String> {
    let bad = || format!("expected a decimal number, found {:?}", shorten(text));
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (
            &text[..at],
            text[at + 1..].parse::<i32>().map_err(|_| bad())?,
        ),
        None => (text, 0),
    };
    let (negative, unsigned) = match mantissa.as_bytes().first() {
        Some(b'-') => (true, &mantissa[1..]),
        Some(b'+') => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }

    // Digits of the number with the decimal point moved `exponent` places.
    let digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b - b'0')
        .collect();
    let fraction_len = fraction.len() as i64 - i64::from(exponent);
    let shift = i64::from(scale) - fraction_len;

    let mut kept = digits.as_slice();
    if shift < 0 {
        // More fraction digits than the scale: only zeros may be dropped.
        let drop = usize::try_from(-shift)
            .unwrap_or(usize::MAX)
            .min(digits.len());
        let (head, tail) = digits.split_at(digits.len() - drop);
        if tail.iter().any(|&d| d != 0) {
            return Err(format!(
                "{} has more fractional digits than the schema's scale of {scale}",
                shorten(text)
            ));
        }
        kept = head;
    }
    let significant: Vec<u8> = kept.iter().copied().skip_while(|&d| d == 0).collect();
    let total_digits = significant.len() + usize::try_from(shift.max(0)).unwrap_or(usize::MAX);
    if !significant.is_empty() && total_digits > precision {
        return Err(format!(
            "{} needs {total_digits} digits at scale {scale}, more than the schema's precision of {precision}",
            shorten(text)
        ));
    }

    let mut unscaled: i128 = 0;
    for &d in &significant {
        unscaled = unscaled * 10 + i128::from(d);
    }
    for _ in 0..shift.max(0) {
        if unscaled == 0 {
            break;
        }
        unscaled *= 10;
    }
    Ok(if negative { -unscaled } else { unscaled })
}

pub fn format_decimal(unscaled: i128, scale: u32) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// Big-endian two's complement of `unscaled` in the fewest bytes.
pub fn decimal_bytes(unscaled: i128) -> Vec<u8> {
    let bytes = unscaled.to_be_bytes();
    let fill = if unscaled < 0 { 0xff } else { 0x00 };
    let mut start = 0;
    // Drop leading sign bytes while the next byte still carries the sign bit.
    while start < 15 && bytes[start] == fill && (bytes[start + 1] & 0x80) == (fill & 0x80) {
        start += 1;
    }
    bytes[start..].to_vec()
}

/// Big-endian two's complement of `unscaled` sign-extended to `size` bytes.
pub fn decimal_fixed(unscaled: i128, size: usize) -> Result<Vec<u8>, String> {
    let minimal = decimal_bytes(unscaled);
    if minimal.len() > size {
        return Err(format!("decimal does not fit in a fixed of {size} bytes"));
    }
    let fill = if unscaled < 0 { 0xff } else { 0x00 };
    let mut out = vec![fill; size - minimal.len()];
    out.extend_from_slice(&minimal);
    Ok(out)
}

/// Reads big-endian two's complement bytes back into an unscaled integer.
pub fn decimal_from_bytes(bytes: &[u8]) -> Result<i128, String> {
    if bytes.len() > 16 {
        let (head, tail) = bytes.split_at(bytes.len() - 16);
        let fill = if tail[0] & 0x80 != 0 { 0xff } else { 0x00 };
        if head.iter().any(|&b| b != fill) {
            return Err(format!(
                "decimal of {} bytes exceeds {MAX_DECIMAL_PRECISION} digits",
                bytes.len()
            ));
        }
        return decimal_from_bytes(tail);
    }
    if bytes.is_empty() {
        return Ok(0);
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0x00 };
    let mut full = [fill; 16];
    full[16 - bytes.len()..].copy_from_slice(bytes);
    Ok(i128::from_be_bytes(full))
}

/// Checks the canonical 8-4-4-4-12 form and returns the 16 bytes.
pub fn parse_uuid(text: &str) -> Result<[u8; 16], String> {
    let bad = || "expected a UUID as 8-4-4-4-12 hexadecimal digits".to_string();
    let raw = text.as_bytes();
    if raw.len() != 36 {
        return Err(bad());
    }
    let mut out = [0u8; 16];
    let mut nibbles = 0;
    for (i, &c) in raw.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return Err(bad());
            }
            continue;
        }
        let v = (c as char).to_digit(16).ok_or_else(bad)? as u8;
        out[nibbles / 2] |= if nibbles % 2 == 0 { v << 4 } else { v };
        nibbles += 1;
    }
    Ok(out)
}

pub fn format_uuid(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Caller text quoted in an error is cut short: errors name problems, they
/// do not echo payloads.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 40 {
        text.to_string()
    } else {
        format!("{}...", text.chars().take(40).collect::<String>())
    }
}

#[cfg(test)]
#[path = "logical_tests.rs"]
mod tests;
