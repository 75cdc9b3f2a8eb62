//! Xpressbees wire types (`shipment.xpressbees.com/api`).
//!
//! Requests are structs so their JSON field order is fixed (the fixtures
//! compare bytes). Responses are read leniently: unknown fields are ignored,
//! every field is optional, and ids and amounts are accepted as strings or
//! numbers, because public integrations show both.

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------- requests

/// `POST /api/users/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XpressbeesLoginRequest {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

/// An address block of the create request (`consignee`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct XpressbeesConsignee {
    pub name: String,
    pub address: String,
    pub address_2: String,
    pub city: String,
    pub state: String,
    pub pincode: String,
    pub phone: String,
}

/// The `pickup` block of the create request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct XpressbeesPickup {
    pub warehouse_name: String,
    pub name: String,
    pub address: String,
    pub address_2: String,
    pub city: String,
    pub state: String,
    pub pincode: String,
    pub phone: String,
}

/// One `order_items` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct XpressbeesOrderItem {
    pub name: String,
    pub qty: u32,
    pub price: String,
    pub sku: String,
}

/// `POST /api/shipments2`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct XpressbeesCreateRequest {
    pub order_number: String,
    /// `"yes"`: the carrier refuses a second shipment with the same order number.
    pub unique_order_number: &'static str,
    pub shipping_charges: u32,
    pub discount: u32,
    pub cod_charges: u32,
    /// `"cod"` or `"prepaid"`.
    pub payment_type: &'static str,
    /// Rupees, two decimals.
    pub order_amount: String,
    /// Grams.
    pub package_weight: u64,
    /// Centimetres.
    pub package_length: u32,
    pub package_breadth: u32,
    pub package_height: u32,
    /// `"yes"` or `"no"`.
    pub request_auto_pickup: String,
    pub consignee: XpressbeesConsignee,
    pub pickup: XpressbeesPickup,
    pub order_items: Vec<XpressbeesOrderItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courier_id: Option<String>,
    /// Rupees to collect, two decimals; `"0"` for prepaid.
    pub collectable_amount: String,
}

/// `POST /api/shipments2/cancel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XpressbeesCancelRequest {
    #[serde(default)]
    pub awb: String,
}

/// `action_data` of an NDR action; only the fields of its action are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct XpressbeesNdrActionData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub re_attempt_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// One entry of `POST /api/ndr/create` (the body is an array of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XpressbeesNdrAction {
    #[serde(default)]
    pub awb: String,
    /// `re-attempt`, `change_address` or `change_phone`.
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub action_data: XpressbeesNdrActionData,
}

/// `POST /api/courier/serviceability`: serviceable courier services and
/// their charges for a lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XpressbeesRateRequest {
    #[serde(default)]
    pub origin: String,
    #[serde(default)]
    pub destination: String,
    #[serde(default)]
    pub payment_type: String,
    #[serde(default)]
    pub order_amount: String,
    /// Grams.
    #[serde(default)]
    pub weight: String,
    #[serde(default)]
    pub length: String,
    #[serde(default)]
    pub breadth: String,
    #[serde(default)]
    pub height: String,
}

// --------------------------------------------------------------- responses

/// The envelope of every answer: `{status, message, data}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct XpressbeesResponse {
    pub status: Value,
    pub message: Value,
    pub data: Value,
}

impl XpressbeesResponse {
    pub fn ok(&self) -> bool {
        truthy(&self.status)
    }

    pub fn message(&self) -> Option<String> {
        text(&self.message)
    }
}

/// `data` of a create answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct XpressbeesCreateData {
    pub order_id: Value,
    pub shipment_id: Value,
    pub awb_number: Value,
    pub courier_id: Value,
    pub courier_name: Value,
    pub status: Value,
    pub payment_type: Value,
    pub label: Value,
    pub manifest: Value,
}

/// `data` of a tracking answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct XpressbeesTrackData {
    pub awb_number: Value,
    pub order_number: Value,
    pub status: Value,
    pub rto_status: Value,
    pub rto_awb: Value,
    /// Scans, oldest first; entries without a code are skipped.
    pub history: Value,
}

/// One scan of `data.history`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct XpressbeesScan {
    pub status_code: Value,
    pub location: Value,
    pub event_time: Value,
    pub message: Value,
}

/// One webhook push (one event per request).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct XpressbeesPush {
    pub awb_number: Value,
    pub order_number: Value,
    pub status: Value,
    pub event_time: Value,
    pub location: Value,
    pub message: Value,
    pub rto_awb: Value,
}

/// One courier service of a serviceability / rate answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct XpressbeesRateService {
    pub id: Value,
    pub name: Value,
    pub freight_charges: Value,
    pub cod_charges: Value,
    pub total_charges: Value,
    pub min_weight: Value,
    pub chargeable_weight: Value,
}

/// One entry of the NDR action answer (an array, one per action sent).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct XpressbeesNdrResult {
    pub status: Value,
    pub message: Value,
}

// ------------------------------------------------------------------ values

/// A string or number as trimmed text; `None` when absent or empty.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `true`, `"true"`, `1`, `"1"`, `"success"`.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64() == Some(1),
        Value::String(s) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("true") || s == "1" || s.eq_ignore_ascii_case("success")
        }
        _ => false,
    }
}

/// Rupees (a number, or a decimal string such as `"1499.50"`) in paise.
pub fn paise(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .and_then(|r| r.checked_mul(100))
            .or_else(|| n.as_f64().and_then(f64_paise)),
        Value::String(s) => decimal_paise(s.trim()),
        _ => None,
    }
}

fn f64_paise(r: f64) -> Option<i64> {
    let p = (r * 100.0).round();
    (p.is_finite() && p.abs() < 9.0e15).then_some(p as i64)
}

fn decimal_paise(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rupees: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac2 = frac.chars().take(2).collect::<String>();
    while frac2.len() < 2 {
        frac2.push('0');
    }
    let cents: i64 = frac2.parse().ok()?;
    let round_up = frac.as_bytes().get(2).is_some_and(|b| *b >= b'5');
    let total = rupees
        .checked_mul(100)?
        .checked_add(cents + i64::from(round_up))?;
    Some(if neg { -total } else { total })
}

/// Paise as rupees with two decimals (`149900` → `"1499.00"`).
pub fn rupees(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A whole number from a string or number.
pub fn whole_number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && *f < 1.0e15)
                .map(|f| f.round() as u64)
        }),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<u64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| *f >= 0.0 && *f < 1.0e15)
                    .map(|f| f.round() as u64)
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn money_round_trips() {
        assert_eq!(rupees(149_900), "1499.00");
        assert_eq!(rupees(5), "0.05");
        assert_eq!(paise(&json!("1499.00")), Some(149_900));
        assert_eq!(paise(&json!("12.345")), Some(1_235));
        assert_eq!(paise(&json!(42)), Some(4_200));
        assert_eq!(paise(&json!(42.5)), Some(4_250));
        assert_eq!(paise(&json!("abc")), None);
        assert_eq!(paise(&json!(".")), None);
    }

    #[test]
    fn lenient_values() {
        assert!(truthy(&json!(true)));
        assert!(truthy(&json!("true")));
        assert!(!truthy(&json!(false)));
        assert!(!truthy(&Value::Null));
        assert_eq!(text(&json!(123)), Some("123".into()));
        assert_eq!(text(&json!("  ")), None);
        assert_eq!(whole_number(&json!("500")), Some(500));
        assert_eq!(whole_number(&json!(0.5)), Some(1));
    }
}
