//! Text forms of Avro logical types: parsing what callers send, and
//! rendering what the decoder reads, so that one round-trips to the other.
//!
//! - `date`: `YYYY-MM-DD`
//! - `time-*`: `HH:MM:SS` with an optional fraction
//! - `timestamp-*`: RFC 3339 with a zone; rendered in UTC with a `Z`
//! - `local-timestamp-*`: `YYYY-MM-DDTHH:MM:SS` with an optional fraction, no zone
//! - `decimal`: plain decimal text, rendered with exactly `scale` fraction digits
//! - `uuid`: the canonical 8-4-4-4-12 hexadecimal form
//!
//! The parsers are written out by hand rather than taken from a date-time
//! library: they sit on the encoder's hot path, and they are checked against
//! one in the tests.

use super::datum::TimeUnit;

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// Days since 1970-01-01 of a proleptic Gregorian date in years 0 to 9999
/// (Howard Hinnant's `days_from_civil`). Counted from 1 March of year -400,
/// one 400-year era early, so that every quantity stays positive and each
/// division is a plain one by a constant.
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    debug_assert!(year <= 9999 && (1..=12).contains(&month) && (1..=31).contains(&day));
    // Years start in March, so that the leap day ends one.
    let (year, month) = if month <= 2 {
        (year + 400 - 1, month + 9)
    } else {
        (year + 400, month - 3)
    };
    let era = year / 400;
    let year_of_era = year % 400;
    let day_of_year = (153 * month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    i64::from(era * 146_097 + day_of_era) - 146_097 - 719_468
}

/// The date of a day number (Howard Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Reads fixed-width ASCII text field by field.
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn new(text: &str) -> Cursor<'_> {
        Cursor {
            text: text.as_bytes(),
            at: 0,
        }
    }

    /// Exactly `count` decimal digits.
    fn digits(&mut self, count: usize) -> Option<u32> {
        let field = self.text.get(self.at..self.at + count)?;
        let mut value = 0u32;
        for &b in field {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
        }
        self.at += count;
        Some(value)
    }

    fn byte(&mut self, allowed: &[u8]) -> Option<u8> {
        let b = *self.text.get(self.at).filter(|b| allowed.contains(b))?;
        self.at += 1;
        Some(b)
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn done(&self) -> bool {
        self.at == self.text.len()
    }

    /// `YYYY-MM-DD`, as days since 1970-01-01.
    fn date(&mut self) -> Option<i64> {
        // Read as one fixed-width field: every timestamp starts with one.
        let field: &[u8; 10] = self.text.get(self.at..self.at + 10)?.try_into().ok()?;
        if field[4] != b'-' || field[7] != b'-' {
            return None;
        }
        let digit = |at: usize| u32::from(field[at].wrapping_sub(b'0'));
        let digits = [
            digit(0),
            digit(1),
            digit(2),
            digit(3),
            digit(5),
            digit(6),
            digit(8),
            digit(9),
        ];
        if digits.iter().any(|&d| d > 9) {
            return None;
        }
        let [y0, y1, y2, y3, m0, m1, d0, d1] = digits;
        let year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
        let month = m0 * 10 + m1;
        let day = d0 * 10 + d1;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        self.at += 10;
        Some(days_from_civil(year, month, day))
    }

    /// `HH:MM:SS` with an optional fraction of one to nine digits, as
    /// nanoseconds since midnight.
    fn time_of_day(&mut self) -> Option<i64> {
        let hour = self.digits(2).filter(|h| *h < 24)?;
        self.byte(b":")?;
        let minute = self.digits(2).filter(|m| *m < 60)?;
        self.byte(b":")?;
        let second = self.digits(2).filter(|s| *s < 60)?;
        let mut nanos = 0i64;
        if self.byte(b".").is_some() {
            let mut scale = NANOS_PER_SECOND;
            while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
                if scale == 1 {
                    return None;
                }
                scale /= 10;
                nanos += i64::from(b - b'0') * scale;
                self.at += 1;
            }
            if scale == NANOS_PER_SECOND {
                return None;
            }
        }
        let seconds = (i64::from(hour) * 60 + i64::from(minute)) * 60 + i64::from(second);
        Some(seconds * NANOS_PER_SECOND + nanos)
    }

    /// `Z` or `+HH:MM` / `-HH:MM`, as seconds east of UTC.
    fn offset(&mut self) -> Option<i64> {
        match self.byte(b"Zz+-")? {
            b'Z' | b'z' => Some(0),
            sign => {
                let hours = self.digits(2).filter(|h| *h < 24)?;
                self.byte(b":")?;
                let minutes = self.digits(2).filter(|m| *m < 60)?;
                let seconds = i64::from(hours * 60 + minutes) * 60;
                Some(if sign == b'-' { -seconds } else { seconds })
            }
        }
    }
}

/// Parses `YYYY-MM-DD` into days since 1970-01-01.
pub fn parse_date(text: &str) -> Result<i32, String> {
    let mut cursor = Cursor::new(text);
    cursor
        .date()
        .filter(|_| cursor.done())
        .and_then(|days| i32::try_from(days).ok())
        .ok_or_else(|| "expected a date as YYYY-MM-DD".to_string())
}

pub fn format_date(days: i32) -> Result<String, String> {
    let (year, month, day) = civil_from_days(i64::from(days));
    if !(0..=9999).contains(&year) {
        return Err(format!("date {days} days from 1970-01-01 is out of range"));
    }
    Ok(format!("{year:04}-{month:02}-{day:02}"))
}

/// Parses `HH:MM:SS[.fraction]` into nanoseconds since midnight.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let mut cursor = Cursor::new(text);
    cursor
        .time_of_day()
        .filter(|_| cursor.done())
        .ok_or_else(|| "expected a time of day as HH:MM:SS.fff".to_string())
}

pub fn format_time(value: i64, unit: TimeUnit) -> Result<String, String> {
    let nanos = value
        .checked_mul(unit.nanos())
        .filter(|n| (0..NANOS_PER_DAY).contains(n))
        .ok_or_else(|| format!("time of day {value} is outside one day"))?;
    Ok(format_time_of_day(nanos, unit))
}

fn format_time_of_day(nanos: i64, unit: TimeUnit) -> String {
    let secs = nanos / NANOS_PER_SECOND;
    let fraction = nanos % NANOS_PER_SECOND / unit.nanos();
    format!(
        "{:02}:{:02}:{:02}.{:0width$}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        fraction,
        width = fraction_digits(unit)
    )
}

/// Parses an RFC 3339 date-time with a zone into nanoseconds since the epoch.
pub fn parse_timestamp(text: &str) -> Result<i128, String> {
    let mut cursor = Cursor::new(text);
    let parsed = (|| {
        let days = cursor.date()?;
        cursor.byte(b"Tt")?;
        let nanos = cursor.time_of_day()?;
        let offset = cursor.offset()?;
        cursor.done().then_some(())?;
        Some(
            i128::from(days) * i128::from(NANOS_PER_DAY) + i128::from(nanos)
                - i128::from(offset) * i128::from(NANOS_PER_SECOND),
        )
    })();
    parsed.ok_or_else(|| {
        "expected an RFC 3339 timestamp with a zone, such as 2024-05-01T09:30:00Z".to_string()
    })
}

/// Parses a zone-less `YYYY-MM-DDTHH:MM:SS[.fraction]` into nanoseconds since
/// 1970-01-01T00:00:00 on the same wall clock.
pub fn parse_local_timestamp(text: &str) -> Result<i128, String> {
    let mut cursor = Cursor::new(text);
    let parsed = (|| {
        let days = cursor.date()?;
        cursor.byte(b"Tt")?;
        let nanos = cursor.time_of_day()?;
        cursor.done().then_some(())?;
        Some(i128::from(days) * i128::from(NANOS_PER_DAY) + i128::from(nanos))
    })();
    parsed.ok_or_else(|| {
        "expected a date-time without a zone, such as 2024-05-01T09:30:00.000".to_string()
    })
}

pub fn format_timestamp(value: i64, unit: TimeUnit, with_zone: bool) -> Result<String, String> {
    let nanos = i128::from(value) * i128::from(unit.nanos());
    let days = nanos.div_euclid(i128::from(NANOS_PER_DAY));
    let time_of_day = nanos.rem_euclid(i128::from(NANOS_PER_DAY)) as i64;
    let (year, month, day) = civil_from_days(days as i64);
    if !(0..=9999).contains(&year) {
        return Err(format!("timestamp {value} is out of range"));
    }
    Ok(format!(
        "{year:04}-{month:02}-{day:02}T{}{}",
        format_time_of_day(time_of_day, unit),
        if with_zone { "Z" } else { "" },
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
    // Every instant between 1678 and 2262 fits in i64 nanoseconds, whose
    // arithmetic is far cheaper than i128's; and with the divisor spelled
    // out per unit, the division is a multiplication.
    let (quotient, remainder) = match (i64::try_from(nanos), unit) {
        (Ok(nanos), TimeUnit::Millis) => (i128::from(nanos / 1_000_000), nanos % 1_000_000),
        (Ok(nanos), TimeUnit::Micros) => (i128::from(nanos / 1_000), nanos % 1_000),
        (Ok(nanos), TimeUnit::Nanos) => (i128::from(nanos), 0),
        (Err(_), unit) => {
            let per = i128::from(unit.nanos());
            (nanos / per, i64::from(nanos % per != 0))
        }
    };
    if remainder != 0 {
        return Err(format!(
            "more precision than {} holds; round the value first",
            unit_name(unit)
        ));
    }
    i64::try_from(quotient).map_err(|_| "timestamp out of range".to_string())
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

    // The digits of the number with the point moved `exponent` places; those
    // past the scale may only be zeros, and are dropped.
    let digits = || whole.bytes().chain(fraction.bytes()).map(|b| b - b'0');
    let digit_count = whole.len() + fraction.len();
    let fraction_len = fraction.len() as i64 - i64::from(exponent);
    let shift = i64::from(scale) - fraction_len;
    let kept = if shift < 0 {
        let dropped = usize::try_from(-shift)
            .unwrap_or(usize::MAX)
            .min(digit_count);
        if digits().skip(digit_count - dropped).any(|d| d != 0) {
            return Err(format!(
                "{} has more fractional digits than the schema's scale of {scale}",
                shorten(text)
            ));
        }
        digit_count - dropped
    } else {
        digit_count
    };
    let leading_zeros = digits().take(kept).take_while(|&d| d == 0).count();
    let significant = kept - leading_zeros;
    let padding = usize::try_from(shift.max(0)).unwrap_or(usize::MAX);
    if significant > 0 && significant.saturating_add(padding) > precision {
        return Err(format!(
            "{} needs {} digits at scale {scale}, more than the schema's precision of {precision}",
            shorten(text),
            significant.saturating_add(padding)
        ));
    }

    let mut unscaled: i128 = 0;
    for d in digits().take(kept).skip(leading_zeros) {
        unscaled = unscaled * 10 + i128::from(d);
    }
    if unscaled != 0 {
        for _ in 0..padding {
            unscaled *= 10;
        }
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
pub fn decimal_bytes(unscaled: i128) -> DecimalBytes {
    // The bits the value needs are those below its run of leading sign
    // bits, plus one sign bit.
    let sign_bits = if unscaled < 0 {
        unscaled.leading_ones()
    } else {
        unscaled.leading_zeros()
    };
    let len = (128 - sign_bits + 1).div_ceil(8) as usize;
    DecimalBytes {
        bytes: unscaled.to_be_bytes(),
        start: 16 - len,
    }
}

/// The bytes of a decimal, kept on the stack.
pub struct DecimalBytes {
    bytes: [u8; 16],
    start: usize,
}

impl std::ops::Deref for DecimalBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[self.start..]
    }
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
    let Ok(raw) = <&[u8; 36]>::try_from(text.as_bytes()) else {
        return Err(bad());
    };
    if raw[8] != b'-' || raw[13] != b'-' || raw[18] != b'-' || raw[23] != b'-' {
        return Err(bad());
    }
    // Where each byte's two hexadecimal digits start.
    const PAIRS: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let mut out = [0u8; 16];
    // Every digit's value is or-ed in: a character that is not one sets the
    // high bit, checked once at the end rather than per digit.
    let mut seen = 0u8;
    for (byte, at) in out.iter_mut().zip(PAIRS) {
        let high = HEX_VALUES[usize::from(raw[at])];
        let low = HEX_VALUES[usize::from(raw[at + 1])];
        seen |= high | low;
        *byte = high << 4 | low;
    }
    if seen & NOT_HEX != 0 {
        return Err(bad());
    }
    Ok(out)
}

/// Marks a byte that is not a hexadecimal digit in [`HEX_VALUES`].
const NOT_HEX: u8 = 0x80;

/// The value of each byte as a hexadecimal digit, or [`NOT_HEX`].
const HEX_VALUES: [u8; 256] = {
    let mut values = [NOT_HEX; 256];
    let mut c = 0;
    while c < 256 {
        values[c] = match c as u8 {
            b'0'..=b'9' => c as u8 - b'0',
            b'a'..=b'f' => c as u8 - b'a' + 10,
            b'A'..=b'F' => c as u8 - b'A' + 10,
            _ => NOT_HEX,
        };
        c += 1;
    }
    values
};

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
