//! Carrier timestamps. Indian carriers send local time (IST, UTC+05:30, no
//! daylight saving) in assorted formats, usually without an offset.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

/// IST as a fixed offset: India has had no DST since 1945.
pub fn ist() -> TimeZone {
    TimeZone::fixed(Offset::from_seconds(19_800).expect("valid offset"))
}

/// Parses a carrier timestamp: RFC 3339 with an offset, or a local IST time
/// such as `2024-01-05T10:32:11.123`, `2024-01-05 10:32:11`, `05-01-2024 10:32`,
/// `05/01/2024 10:32:11`, or epoch milliseconds.
pub fn parse_carrier_time(raw: &str) -> Option<Timestamp> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    if s.len() >= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(|ms| Timestamp::from_millisecond(ms).ok());
    }
    let normalized = s.replace('T', " ");
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d-%m-%Y %H:%M:%S",
        "%d-%m-%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%Y-%m-%d",
    ] {
        let parsed = if format == "%Y-%m-%d" {
            jiff::civil::Date::strptime(format, &normalized)
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        } else {
            DateTime::strptime(format, &normalized)
        };
        if let Ok(dt) = parsed {
            return ist().to_timestamp(dt).ok();
        }
    }
    None
}

/// Formats a timestamp as IST local time `YYYY-MM-DDTHH:MM:SS` (the simulator's scans).
pub fn ist_local(t: Timestamp) -> String {
    t.to_zoned(ist()).strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_carrier_formats() {
        let expected: Timestamp = "2024-01-05T05:02:11Z".parse().unwrap();
        for raw in [
            "2024-01-05T10:32:11",
            "2024-01-05 10:32:11",
            "05-01-2024 10:32:11",
            "05/01/2024 10:32:11",
            "2024-01-05T10:32:11+05:30",
            "1704430931000",
        ] {
            assert_eq!(parse_carrier_time(raw), Some(expected), "{raw}");
        }
        assert_eq!(
            parse_carrier_time("2024-01-05T10:32:11.500")
                .unwrap()
                .as_millisecond(),
            expected.as_millisecond() + 500
        );
        assert_eq!(parse_carrier_time("yesterday"), None);
        assert_eq!(ist_local(expected), "2024-01-05T10:32:11");
    }
}
