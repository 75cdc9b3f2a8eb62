//! What the label's 2-D code carries.
//!
//! A delimited string rather than JSON: it is about half the size, so the QR
//! code stays at a low version with large modules that scan well off a
//! thermal print, and a hub scanner can split it without a JSON parser:
//!
//! ```text
//! SG1|<awb>|<order reference>|<destination PIN>|<payment>
//! SG1|SG0001000000425|ORD-1001|560001|COD:INR:1499.00
//! SG1|SG0001000000426|ORD-1002|400001|PREPAID
//! ```
//!
//! `SG1` names the format and its version. In each field `%`, `|` and every
//! byte outside printable ASCII are percent-encoded (UTF-8), so the payload
//! is plain ASCII: QR byte mode then decodes the same on every reader,
//! whatever character set it assumes.

use shipgate_domain::{Money, PaymentMode, Shipment};

pub const PAYLOAD_TAG: &str = "SG1";

/// The decoded content of a label's 2-D code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelPayload {
    pub awb: String,
    pub order_reference: String,
    pub destination_pin: String,
    /// Amount to collect on delivery, in minor units, and its currency;
    /// `None` when prepaid.
    pub cod: Option<(i64, String)>,
}

impl LabelPayload {
    pub fn from_shipment(shipment: &Shipment) -> Self {
        Self {
            awb: shipment.awb.clone(),
            order_reference: shipment.order_reference.clone(),
            destination_pin: shipment.consignee.postal_code.as_str().to_string(),
            cod: cod_amount(shipment).map(|m| (m.minor_units, m.currency.as_str().to_string())),
        }
    }

    pub fn encode(&self) -> String {
        let payment = match &self.cod {
            Some((minor, currency)) => format!("COD:{}:{}", escape(currency), decimal(*minor)),
            None => "PREPAID".to_string(),
        };
        format!(
            "{PAYLOAD_TAG}|{}|{}|{}|{payment}",
            escape(&self.awb),
            escape(&self.order_reference),
            escape(&self.destination_pin)
        )
    }

    /// Reads a payload back; `None` if it is not one of ours.
    pub fn parse(payload: &str) -> Option<Self> {
        let mut fields = payload.split('|');
        if fields.next()? != PAYLOAD_TAG {
            return None;
        }
        let awb = unescape(fields.next()?)?;
        let order_reference = unescape(fields.next()?)?;
        let destination_pin = unescape(fields.next()?)?;
        let payment = fields.next()?;
        if fields.next().is_some() {
            return None;
        }
        let cod = if payment == "PREPAID" {
            None
        } else {
            let rest = payment.strip_prefix("COD:")?;
            let (currency, amount) = rest.split_once(':')?;
            Some((parse_decimal(amount)?, unescape(currency)?))
        };
        Some(Self {
            awb,
            order_reference,
            destination_pin,
            cod,
        })
    }
}

/// The COD amount when the shipment is cash on delivery. A COD shipment
/// without an amount (validation should prevent it) shows COD 0.00 rather
/// than PREPAID, so the courier asks instead of handing the parcel over.
pub(crate) fn cod_amount(shipment: &Shipment) -> Option<Money> {
    match shipment.payment_mode {
        PaymentMode::Prepaid => None,
        PaymentMode::Cod => Some(shipment.cod_amount.clone().unwrap_or(Money {
            minor_units: 0,
            currency: shipment.declared_value.currency.clone(),
        })),
    }
}

/// Minor units as a decimal with two places (paise, cents). Money is never
/// negative in the domain; a negative value still formats, with its sign.
pub(crate) fn decimal(minor_units: i64) -> String {
    let sign = if minor_units < 0 { "-" } else { "" };
    let abs = minor_units.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn parse_decimal(s: &str) -> Option<i64> {
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (units, cents) = s.split_once('.')?;
    if cents.len() != 2 || units.is_empty() {
        return None;
    }
    if !units
        .bytes()
        .chain(cents.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value = units
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents.parse::<i64>().ok()?)?;
    Some(if negative { -value } else { value })
}

fn escape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for b in field.bytes() {
        match b {
            b'%' | b'|' => out.push_str(&format!("%{b:02X}")),
            0x20..=0x7E => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn unescape(field: &str) -> Option<String> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = field.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn payload(cod: Option<(i64, &str)>) -> LabelPayload {
        LabelPayload {
            awb: "SG0001000000425".into(),
            order_reference: "ORD-1001".into(),
            destination_pin: "560001".into(),
            cod: cod.map(|(m, c)| (m, c.to_string())),
        }
    }

    #[test]
    fn encodes_the_documented_format() {
        assert_eq!(
            payload(Some((149_900, "INR"))).encode(),
            "SG1|SG0001000000425|ORD-1001|560001|COD:INR:1499.00"
        );
        assert_eq!(
            payload(None).encode(),
            "SG1|SG0001000000425|ORD-1001|560001|PREPAID"
        );
        assert_eq!(
            payload(Some((5, "INR"))).encode().rsplit('|').next(),
            Some("COD:INR:0.05")
        );
    }

    #[test]
    fn delimiters_and_non_ascii_are_escaped_to_plain_ascii() {
        let mut p = payload(None);
        p.order_reference = "A|B 100% ₹".into();
        let encoded = p.encode();
        assert_eq!(
            encoded,
            "SG1|SG0001000000425|A%7CB 100%25 %E2%82%B9|560001|PREPAID"
        );
        assert!(encoded.is_ascii());
        assert_eq!(LabelPayload::parse(&encoded), Some(p));
    }

    #[test]
    fn rejects_what_is_not_a_payload() {
        for bad in [
            "",
            "SG2|A|B|C|PREPAID",
            "SG1|A|B|C",
            "SG1|A|B|C|PREPAID|extra",
            "SG1|A|B|C|COD:INR:12",
            "SG1|A|B|C|COD:INR:1.2x",
            "SG1|A%2|B|C|PREPAID",
            "SG1|A%FF|B|C|PREPAID",
        ] {
            assert_eq!(LabelPayload::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_payload_round_trips(
            awb in "\\PC{0,20}",
            reference in "\\PC{0,64}",
            pin in "[0-9A-Z -]{0,10}",
            cod in proptest::option::of((0i64..=i64::MAX / 1000, "[A-Z]{3}")),
        ) {
            let p = LabelPayload { awb, order_reference: reference, destination_pin: pin, cod };
            let encoded = p.encode();
            prop_assert!(encoded.is_ascii());
            prop_assert_eq!(encoded.split('|').count(), 5);
            prop_assert_eq!(LabelPayload::parse(&encoded), Some(p));
        }
    }
}
