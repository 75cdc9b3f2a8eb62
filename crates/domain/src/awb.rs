//! AWB numbers that Shipgate itself issues (the self-managed fleet).
//!
//! Format: `SG` + a 4-digit tenant series + an 8-digit serial + a Luhn check
//! digit over those 12 digits, e.g. `SG0001000000425`. The check digit catches
//! every single mistyped digit and most swapped neighbours when a driver keys
//! an AWB in by hand.

use crate::validation::InvalidValue;

const PREFIX: &str = "SG";
const SERIES_DIGITS: usize = 4;
const SERIAL_DIGITS: usize = 8;
pub const MAX_SERIES: u32 = 9_999;
pub const MAX_SERIAL: u64 = 99_999_999;

/// The Luhn check digit for a string of ASCII digits.
pub fn luhn_check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Formats the AWB for a tenant's series and serial.
pub fn fleet_awb(series: u32, serial: u64) -> Result<String, InvalidValue> {
    if series > MAX_SERIES || serial > MAX_SERIAL {
        return Err(InvalidValue::new(
            "awb_series_exhausted",
            "the AWB series has no numbers left",
        ));
    }
    let body = format!("{series:0SERIES_DIGITS$}{serial:0SERIAL_DIGITS$}");
    let check = luhn_check_digit(&body);
    Ok(format!("{PREFIX}{body}{check}"))
}

/// True if `awb` is a well-formed fleet AWB with a correct check digit.
pub fn is_valid_fleet_awb(awb: &str) -> bool {
    let Some(rest) = awb.strip_prefix(PREFIX) else {
        return false;
    };
    if rest.len() != SERIES_DIGITS + SERIAL_DIGITS + 1 || !rest.bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    let (body, check) = rest.split_at(SERIES_DIGITS + SERIAL_DIGITS);
    luhn_check_digit(body) == check.as_bytes()[0] - b'0'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_matches_known_values() {
        // The classic worked example: 7992739871 has check digit 3.
        assert_eq!(luhn_check_digit("7992739871"), 3);
        assert_eq!(luhn_check_digit("000000000000"), 0);
    }

    #[test]
    fn formats_and_verifies() {
        let awb = fleet_awb(1, 42).unwrap();
        assert_eq!(awb.len(), 15);
        assert!(awb.starts_with("SG000100000042"));
        assert!(is_valid_fleet_awb(&awb));
        assert!(fleet_awb(1, MAX_SERIAL + 1).is_err());
    }

    #[test]
    fn check_digit_catches_every_single_digit_error() {
        let awb = fleet_awb(17, 12_345_678).unwrap();
        for pos in 2..awb.len() {
            for d in b'0'..=b'9' {
                let mut bytes = awb.clone().into_bytes();
                if bytes[pos] == d {
                    continue;
                }
                bytes[pos] = d;
                assert!(!is_valid_fleet_awb(std::str::from_utf8(&bytes).unwrap()));
            }
        }
    }
}
