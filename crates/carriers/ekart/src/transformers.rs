//! Ekart's wire types.
//!
//! Requests are serialized from these structs; their fields are declared in
//! byte order of their names, so the JSON is the same whether or not
//! `serde_json` keeps insertion order. Responses are read leniently: unknown
//! fields are ignored, every field is optional, and numbers Ekart sometimes
//! sends as strings (the webhook's `"attempts": "0"`) are accepted either way.

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- requests

/// `POST /integrations/v2/auth/token/{client_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartLoginRequest {
    pub password: String,
    pub username: String,
}

/// `locationV1`: a full address, or just `name` (the alias of an address
/// registered with Ekart, which it autofills).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartLocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    /// 10-digit number, sent as a JSON integer.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::int"
    )]
    pub phone: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::int"
    )]
    pub pin: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// `PUT /api/v1/package/create` (schema `shipment`), forward shipments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EkartCreateRequest {
    pub category_of_goods: String,
    pub cod_amount: serde_json::Number,
    pub commodity_value: String,
    pub consignee_alternate_phone: String,
    pub consignee_gst_amount: u32,
    pub consignee_name: String,
    pub drop_location: EkartLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    pub invoice_date: String,
    pub invoice_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    pub order_number: String,
    pub payment_mode: String,
    pub pickup_location: EkartLocation,
    pub products_desc: String,
    pub quantity: u32,
    pub return_location: EkartLocation,
    pub return_reason: String,
    pub seller_address: String,
    pub seller_gst_tin: String,
    pub seller_name: String,
    pub tax_value: u32,
    pub taxable_amount: serde_json::Number,
    #[serde(rename = "templateName", skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    pub total_amount: serde_json::Number,
    pub weight: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
}

/// `POST /api/v2/package/ndr` (schema `ndr_data_v2`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EkartNdrRequest {
    /// `Re-Attempt` or `RTO`.
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Re-attempt date, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub wbn: String,
}

/// `POST /api/v1/package/label` (schema `label_ids`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EkartLabelRequest {
    pub ids: Vec<String>,
}

/// `POST /data/pricing/estimate` (schema `estimateRequest`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EkartEstimateRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cod_amount: Option<serde_json::Number>,
    pub drop_pincode: u32,
    pub height: u32,
    pub length: u32,
    pub pickup_pincode: u32,
    pub service_type: String,
    pub shipping_direction: &'static str,
    pub weight: u64,
    pub width: u32,
}

// --------------------------------------------------------------- responses

/// The token answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartToken {
    #[serde(default, deserialize_with = "lenient::string")]
    pub access_token: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub scope: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub expires_in: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub token_type: Option<String>,
}

/// Schema `error`: the answer to anything that went wrong. Ekart puts the
/// exception name (`SWIFT_VALIDATION_EXCEPTION`) in `message` and the detail
/// in `description`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartError {
    #[serde(
        default,
        rename = "statusCode",
        deserialize_with = "lenient::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_code: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub severity: Option<String>,
}

/// Schema `acknowledgement` (NDR, and each entry of a cancel answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartAck {
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub status: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub remark: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub tracking_id: Option<String>,
}

/// Schema `acknowledgement_create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartCreateResponse {
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub status: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub remark: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub tracking_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub vendor: Option<String>,
    #[serde(default)]
    pub barcodes: Option<EkartBarcodes>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartBarcodes {
    /// The vendor partner's waybill.
    #[serde(default, deserialize_with = "lenient::string")]
    pub wbn: Option<String>,
    /// The order number as printed (may be prefixed by Ekart).
    #[serde(default, deserialize_with = "lenient::string")]
    pub order: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub cod: Option<String>,
}

/// Schema `dispatch_date_response`: the cancel answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartCancelResponse {
    #[serde(default)]
    pub data: Option<Vec<EkartAck>>,
}

/// Schema `track_obj`: `GET /api/v1/track/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartTrackResponse {
    #[serde(default, rename = "_id", deserialize_with = "lenient::string")]
    pub id: Option<String>,
    #[serde(default)]
    pub track: Option<EkartTrack>,
    /// Estimated delivery, epoch milliseconds (picked-up shipments only).
    #[serde(default, deserialize_with = "lenient::int")]
    pub edd: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub order_number: Option<String>,
}

/// Schema `track`: the latest scan, the NDR state, and every update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EkartTrack {
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub ctime: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub pickup_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub desc: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub location: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub ndr_status: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub attempts: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ndr_actions: Vec<String>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub details: Vec<EkartTrackDetail>,
}

/// One entry of `track.details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EkartTrackDetail {
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub ctime: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub desc: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub location: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub ndr_status: Option<String>,
}

/// A webhook post: `track_updated` (has `status`), or `shipment_created` /
/// `shipment_recreated` (tracking id, vendor waybill and order number only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EkartWebhook {
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub attempts: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub ctime: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub desc: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub edd: Option<i64>,
    /// The Ekart tracking id.
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub location: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub ndr_status: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_number: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub pickup_time: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub vendor: Option<String>,
    /// The vendor partner's waybill.
    #[serde(
        default,
        deserialize_with = "lenient::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub wbn: Option<String>,
}

/// Schema `AcknowledgementServiceability`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartServiceability {
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub status: Option<bool>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub pincode: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub remark: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<EkartPincode>,
}

/// Schema `Pincode`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EkartPincode {
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub cod: Option<bool>,
    /// Rupees.
    #[serde(default, deserialize_with = "lenient::int")]
    pub max_cod_amount: Option<i64>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub forward_pickup: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub forward_drop: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub reverse_pickup: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub reverse_drop: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub state: Option<String>,
}

/// Schema `estimateResponse`; amounts are rupee strings (`"53.1"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EkartEstimate {
    #[serde(default, rename = "type", deserialize_with = "lenient::string")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub zone: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub shipping_charge: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub taxes: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub total: Option<String>,
}

// ------------------------------------------------------------------ money

/// Paise as the rupee number Ekart wants: an integer when whole, else a decimal.
pub fn rupees(paise: i64) -> serde_json::Number {
    if paise % 100 == 0 {
        serde_json::Number::from(paise / 100)
    } else {
        serde_json::Number::from_f64(paise as f64 / 100.0)
            .unwrap_or_else(|| serde_json::Number::from(paise / 100))
    }
}

/// Paise as a rupee string with no trailing zeros (`1499`, `1499.5`).
pub fn rupees_text(paise: i64) -> String {
    rupees(paise).to_string()
}

/// Parses a rupee amount (`"53.1"`, `"1,299.00"`, `246`) into paise, without
/// floating point. `None` for anything else.
pub fn paise_from_rupees(raw: &str) -> Option<i64> {
    let s: String = raw.trim().chars().filter(|c| *c != ',').collect();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac = fraction.bytes().map(|b| i64::from(b - b'0'));
    let tenths = frac.next().unwrap_or(0);
    let hundredths = frac.next().unwrap_or(0);
    // Round half up on the third decimal.
    let round = i64::from(frac.next().is_some_and(|d| d >= 5));
    let paise = whole
        .checked_mul(100)?
        .checked_add(tenths * 10 + hundredths + round)?;
    Some(if negative { -paise } else { paise })
}

/// Reads a rupee JSON number into paise (the simulator's side of `rupees`).
pub fn paise_from_number(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => paise_from_rupees(&n.to_string()),
        serde_json::Value::String(s) => paise_from_rupees(s),
        _ => None,
    }
}

// --------------------------------------------------------------- lenience

/// Deserializers that accept what Ekart sends in practice: numbers as
/// strings and strings as numbers, `null` for anything, and wrong types
/// read as absent rather than failing the whole answer.
pub mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        })
    }

    pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::Number(n)) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            Some(Value::String(s)) => {
                let s = s.trim();
                s.parse::<i64>().ok().or_else(|| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite() && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
            }
            _ => None,
        })
    }

    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::Bool(b)) => Some(b),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Some(true),
                "false" | "no" | "n" | "0" => Some(false),
                _ => None,
            },
            Some(Value::Number(n)) => n.as_i64().map(|i| i != 0),
            _ => None,
        })
    }

    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::Array(items)) => items
                .into_iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
    }

    /// A list of objects; entries that do not fit are skipped.
    pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: serde::de::DeserializeOwned,
    {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::Array(items)) => items
                .into_iter()
                .filter_map(|v| serde_json::from_value(v).ok())
                .collect(),
            _ => Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupee_amounts_round_trip_without_floats() {
        assert_eq!(rupees(149_900).to_string(), "1499");
        assert_eq!(rupees(149_950).to_string(), "1499.5");
        assert_eq!(rupees(5).to_string(), "0.05");
        assert_eq!(paise_from_rupees("53.1"), Some(5310));
        assert_eq!(paise_from_rupees("1,299.00"), Some(129_900));
        assert_eq!(paise_from_rupees("246"), Some(24_600));
        assert_eq!(paise_from_rupees("0.005"), Some(1));
        assert_eq!(paise_from_rupees(".5"), Some(50));
        assert_eq!(paise_from_rupees("-2.25"), Some(-225));
        for bad in ["", ".", "abc", "1.2.3", "1e3", "99999999999999999999"] {
            assert_eq!(paise_from_rupees(bad), None, "{bad}");
        }
    }

    #[test]
    fn lenient_fields_accept_strings_and_numbers() {
        let w: EkartWebhook = serde_json::from_str(
            r#"{"attempts": 2, "ctime": "1657523187604", "id": 5013, "edd": null, "status": ["x"]}"#,
        )
        .unwrap();
        assert_eq!(w.attempts.as_deref(), Some("2"));
        assert_eq!(w.ctime, Some(1_657_523_187_604));
        assert_eq!(w.id.as_deref(), Some("5013"));
        assert_eq!(w.edd, None);
        assert_eq!(w.status, None);
    }
}
