//! Points in time as people give and read them: RFC 3339 text in (through
//! the core's date-time parser) and out (through the core's formatter), and
//! how far a time lies from now.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eventbus::avro::logical::parse_timestamp;
use eventbus::iam::describe_time;

/// Parses an RFC 3339 date-time such as `2026-12-03T10:00:00Z` for a flag.
pub fn parse_time(text: &str) -> Result<SystemTime, String> {
    let nanos = parse_timestamp(text.trim())
        .map_err(|err| format!("{text:?} is not an RFC 3339 date-time: {err}"))?;
    let nanos =
        u64::try_from(nanos).map_err(|_| format!("{text:?} is not between 1970 and 2554"))?;
    Ok(UNIX_EPOCH + Duration::from_nanos(nanos))
}

/// `2026-12-03T10:15:00.000Z (in 14 min 59 s)`, or `(... ago)` for a time past.
pub fn describe_from_now(time: SystemTime, now: SystemTime) -> String {
    let relative = match time.duration_since(now) {
        Ok(ahead) => format!("in {}", describe_span(ahead)),
        Err(behind) => format!("{} ago", describe_span(behind.duration())),
    };
    format!("{} ({relative})", describe_time(time))
}

/// A span rounded to its two largest units: `3 days 4 h`, `14 min 59 s`.
pub fn describe_span(span: Duration) -> String {
    let seconds = span.as_secs();
    let (days, hours) = (seconds / 86_400, seconds / 3600 % 24);
    let (minutes, seconds) = (seconds / 60 % 60, seconds % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, _) => format!("{minutes} min {seconds} s"),
        (0, _, _) => format!("{hours} h {minutes} min"),
        (1, _, _) => format!("1 day {hours} h"),
        _ => format!("{days} days {hours} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_with_offsets_and_read_back_in_utc() {
        let at = parse_time("2010-01-01T02:00:00+02:00").unwrap();
        assert_eq!(at, UNIX_EPOCH + Duration::from_secs(1_262_304_000));
        assert!(parse_time("yesterday").unwrap_err().contains("RFC 3339"));
        assert!(parse_time("1969-12-31T23:59:59Z").is_err());

        let later = at + Duration::from_secs(900);
        assert_eq!(
            describe_from_now(later, at),
            "2010-01-01T00:15:00.000Z (in 15 min 0 s)"
        );
        assert_eq!(
            describe_from_now(at, later),
            "2010-01-01T00:00:00.000Z (15 min 0 s ago)"
        );
    }

    #[test]
    fn spans_keep_their_two_largest_units() {
        assert_eq!(describe_span(Duration::from_millis(900)), "0 s");
        assert_eq!(
            describe_span(Duration::from_secs(3 * 3600 + 61)),
            "3 h 1 min"
        );
        assert_eq!(
            describe_span(Duration::from_secs(86_400 + 7200)),
            "1 day 2 h"
        );
        assert_eq!(
            describe_span(Duration::from_secs(40 * 86_400)),
            "40 days 0 h"
        );
    }
}
