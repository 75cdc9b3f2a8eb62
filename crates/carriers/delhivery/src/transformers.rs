//! Delhivery's wire types. Responses are read leniently: unknown fields are
//! ignored, every field is optional, and values Delhivery sends sometimes as
//! a number and sometimes as a string (`pin`, `pickup_id`, `ReferenceNo`) are
//! accepted either way.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Lenient scalars
// ---------------------------------------------------------------------------

/// A string that may arrive as a JSON string, number or boolean; `null`,
/// arrays and objects read as `None`.
pub fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        // The text itself, not a copy.
        Value::String(s) => Some(s),
        other => value_to_string(&other),
    })
}

pub fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number that may arrive as a JSON number or a numeric string.
pub fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(value_to_f64(&Value::deserialize(d)?))
}

pub fn value_to_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

/// A boolean that may arrive as `true`, `"true"`, `"True"`, `"Y"` or `1`.
pub fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(value_to_bool(&Value::deserialize(d)?))
}

pub fn value_to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "y" | "yes" | "1" | "success" => Some(true),
            "false" | "n" | "no" | "0" | "fail" | "failure" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Delhivery's `remarks`: a list of strings, or a single string.
pub fn lenient_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.iter().filter_map(value_to_string).collect(),
        other => value_to_string(&other).into_iter().collect(),
    })
}

// ---------------------------------------------------------------------------
// Money and phone conversions
// ---------------------------------------------------------------------------

/// Paise to a rupee string with two decimals (`149900` → `"1499.00"`).
pub fn rupees(minor: i64) -> Option<String> {
    (minor >= 0).then(|| format!("{}.{:02}", minor / 100, minor % 100))
}

/// A rupee amount (`"1499.00"`, `"1499"`, `1499.5`) to paise.
pub fn paise(v: &Value) -> Option<i64> {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    if text.is_empty() {
        return None;
    }
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac_digits = frac.bytes().map(|b| i64::from(b - b'0'));
    let tens = frac_digits.next().unwrap_or(0);
    let units = frac_digits.next().unwrap_or(0);
    let round_up = frac_digits.next().is_some_and(|d| d >= 5);
    whole
        .checked_mul(100)?
        .checked_add(tens * 10 + units + i64::from(round_up))
}

/// A float amount of rupees (as the pincode API sends it) to paise; 0 means "no limit".
pub fn float_rupees_to_paise(v: Option<f64>) -> Option<i64> {
    let v = v?;
    (v > 0.0 && v < 1e15).then(|| (v * 100.0).round() as i64)
}

/// The 10-digit national number Delhivery expects for an Indian phone
/// (`+919812345678` → `9812345678`); other numbers go without the `+`.
pub fn national_phone(e164: &str) -> String {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("91") {
        Some(national) if e164.starts_with("+91") && national.len() == 10 => national.to_string(),
        _ => digits,
    }
}

/// URL-encodes one query value (`a b` → `a+b`).
pub fn encode_query_value(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Create (POST /api/cmu/create.json, form `format=json&data=<JSON>`)
// ---------------------------------------------------------------------------

/// The JSON inside the `data` form field.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DelhiveryCreateData {
    pub shipments: Vec<DelhiveryShipment>,
    pub pickup_location: DelhiveryPickupLocation,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DelhiveryPickupLocation {
    #[serde(default)]
    pub name: String,
}

/// One shipment of a create request. Amounts are rupee strings, weight in
/// grams and dimensions in centimetres, as strings (the documented sample
/// sends strings).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DelhiveryShipment {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub add: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub pin: Option<String>,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub country: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub phone: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub order: Option<String>,
    #[serde(default)]
    pub payment_mode: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub cod_amount: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub total_amount: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub weight: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub shipment_length: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub shipment_width: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub shipment_height: Option<String>,
    #[serde(default)]
    pub shipping_mode: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_string"
    )]
    pub waybill: Option<String>,
    #[serde(default)]
    pub products_desc: String,
    #[serde(default)]
    pub seller_name: String,
    #[serde(default)]
    pub return_name: String,
    #[serde(default)]
    pub return_add: String,
    #[serde(default)]
    pub return_city: String,
    #[serde(default)]
    pub return_state: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub return_pin: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub return_phone: Option<String>,
    #[serde(default)]
    pub return_country: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct DelhiveryCreateResponse {
    #[serde(deserialize_with = "lenient_bool")]
    pub success: Option<bool>,
    #[serde(deserialize_with = "lenient_bool")]
    pub error: Option<bool>,
    #[serde(deserialize_with = "lenient_string")]
    pub upload_wbn: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub rmk: Option<String>,
    pub packages: Vec<DelhiveryCreatedPackage>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct DelhiveryCreatedPackage {
    #[serde(deserialize_with = "lenient_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub waybill: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub refnum: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub sort_code: Option<String>,
    #[serde(deserialize_with = "lenient_strings")]
    pub remarks: Vec<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub serviceable: Option<bool>,
    #[serde(deserialize_with = "lenient_string")]
    pub payment: Option<String>,
}

// ---------------------------------------------------------------------------
// Track (GET /api/v1/packages/json/) and Scan Push
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryTrackResponse {
    #[serde(rename = "ShipmentData")]
    pub shipment_data: Option<Vec<DelhiveryShipmentData>>,
    #[serde(rename = "Success", deserialize_with = "lenient_bool")]
    pub success: Option<bool>,
    #[serde(rename = "Error", deserialize_with = "lenient_string")]
    pub error: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub rmk: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryShipmentData {
    #[serde(rename = "Shipment")]
    pub shipment: Option<DelhiveryTrackedShipment>,
}

/// `ShipmentData[].Shipment` of the track API, and `Shipment` of a Scan Push
/// (which adds `NSLCode` and `Sortcode` and has no `Scans`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryTrackedShipment {
    #[serde(rename = "AWB", deserialize_with = "lenient_string")]
    pub awb: Option<String>,
    #[serde(rename = "ReferenceNo", deserialize_with = "lenient_string")]
    pub reference_no: Option<String>,
    #[serde(rename = "Status")]
    pub status: Option<DelhiveryStatus>,
    #[serde(rename = "Scans")]
    pub scans: Option<Vec<DelhiveryScanWrapper>>,
    #[serde(rename = "ExpectedDeliveryDate", deserialize_with = "lenient_string")]
    pub expected_delivery_date: Option<String>,
    #[serde(rename = "PromisedDeliveryDate", deserialize_with = "lenient_string")]
    pub promised_delivery_date: Option<String>,
    #[serde(rename = "DispatchCount", deserialize_with = "lenient_f64")]
    pub dispatch_count: Option<f64>,
    #[serde(rename = "NSLCode", deserialize_with = "lenient_string")]
    pub nsl_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryStatus {
    #[serde(rename = "Status", deserialize_with = "lenient_string")]
    pub status: Option<String>,
    #[serde(rename = "StatusType", deserialize_with = "lenient_string")]
    pub status_type: Option<String>,
    #[serde(rename = "StatusCode", deserialize_with = "lenient_string")]
    pub status_code: Option<String>,
    #[serde(rename = "StatusDateTime", deserialize_with = "lenient_string")]
    pub status_date_time: Option<String>,
    #[serde(rename = "StatusLocation", deserialize_with = "lenient_string")]
    pub status_location: Option<String>,
    #[serde(rename = "Instructions", deserialize_with = "lenient_string")]
    pub instructions: Option<String>,
    /// Delhivery's spelling.
    #[serde(rename = "RecievedBy", deserialize_with = "lenient_string")]
    pub recieved_by: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryScanWrapper {
    #[serde(rename = "ScanDetail")]
    pub scan_detail: Option<DelhiveryScanDetail>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryScanDetail {
    #[serde(rename = "Scan", deserialize_with = "lenient_string")]
    pub scan: Option<String>,
    #[serde(rename = "ScanType", deserialize_with = "lenient_string")]
    pub scan_type: Option<String>,
    #[serde(rename = "StatusCode", deserialize_with = "lenient_string")]
    pub status_code: Option<String>,
    #[serde(rename = "ScanDateTime", deserialize_with = "lenient_string")]
    pub scan_date_time: Option<String>,
    #[serde(rename = "StatusDateTime", deserialize_with = "lenient_string")]
    pub status_date_time: Option<String>,
    #[serde(rename = "ScannedLocation", deserialize_with = "lenient_string")]
    pub scanned_location: Option<String>,
    #[serde(rename = "Instructions", deserialize_with = "lenient_string")]
    pub instructions: Option<String>,
}

/// A Scan Push body: `{"Shipment": {...}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryPush {
    #[serde(rename = "Shipment")]
    pub shipment: Option<DelhiveryTrackedShipment>,
}

// ---------------------------------------------------------------------------
// Pincode serviceability (GET /c/api/pin-codes/json/?filter_codes=)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryPincodeResponse {
    pub delivery_codes: Option<Vec<DelhiveryDeliveryCode>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryDeliveryCode {
    pub postal_code: Option<DelhiveryPostalCode>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryPostalCode {
    #[serde(deserialize_with = "lenient_string")]
    pub pin: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub pre_paid: Option<bool>,
    #[serde(deserialize_with = "lenient_bool")]
    pub cash: Option<bool>,
    #[serde(deserialize_with = "lenient_bool")]
    pub cod: Option<bool>,
    #[serde(deserialize_with = "lenient_bool")]
    pub pickup: Option<bool>,
    #[serde(deserialize_with = "lenient_bool")]
    pub repl: Option<bool>,
    #[serde(deserialize_with = "lenient_bool")]
    pub is_oda: Option<bool>,
    #[serde(deserialize_with = "lenient_string")]
    pub sort_code: Option<String>,
    #[serde(deserialize_with = "lenient_f64")]
    pub max_weight: Option<f64>,
    #[serde(deserialize_with = "lenient_f64")]
    pub max_amount: Option<f64>,
    #[serde(deserialize_with = "lenient_string")]
    pub remarks: Option<String>,
}

// ---------------------------------------------------------------------------
// Label (GET /api/p/packing_slip?wbns=&pdf=true)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryPackingSlipResponse {
    pub packages: Vec<DelhiveryPackingSlip>,
    #[serde(deserialize_with = "lenient_f64")]
    pub packages_found: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryPackingSlip {
    #[serde(deserialize_with = "lenient_string")]
    pub wbn: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub pdf_download_link: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub pdf_encoding: Option<String>,
}

// ---------------------------------------------------------------------------
// Pickup request (POST /fm/request/new/)
// ---------------------------------------------------------------------------

/// Field order is alphabetical so the JSON bytes are the same whether or not
/// serde_json keeps insertion order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DelhiveryPickupRequest {
    pub expected_package_count: u32,
    pub pickup_date: String,
    pub pickup_location: String,
    pub pickup_time: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryPickupResponse {
    #[serde(deserialize_with = "lenient_string")]
    pub pickup_id: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub incoming_center_name: Option<String>,
    #[serde(deserialize_with = "lenient_bool")]
    pub pr_exist: Option<bool>,
    #[serde(deserialize_with = "lenient_bool")]
    pub success: Option<bool>,
    pub error: Option<Value>,
    pub data: Option<Value>,
}

// ---------------------------------------------------------------------------
// Edit / cancel (POST /api/p/edit)
// ---------------------------------------------------------------------------

/// Cancel body. Alphabetical field order (see [`DelhiveryPickupRequest`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DelhiveryCancelRequest {
    pub cancellation: String,
    pub waybill: String,
}

/// Edit body; `None` fields are left out. Alphabetical field order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DelhiveryEditRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<String>,
    /// Rupees as a JSON number, as in the documented example (`"cod": 100`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cod: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pt: Option<String>,
    pub waybill: String,
    /// Grams, as a JSON number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u64>,
}

/// Paise as a JSON number of rupees: whole rupees as an integer, otherwise
/// a decimal (`10000` → `100`, `10050` → `100.5`).
pub fn rupees_number(minor: i64) -> Option<Value> {
    if minor < 0 {
        return None;
    }
    if minor % 100 == 0 {
        Some(Value::from(minor / 100))
    } else {
        serde_json::Number::from_f64(minor as f64 / 100.0).map(Value::Number)
    }
}

/// The edit/cancel answer: `<root><status>True</status><waybill/>
/// <order_id/><remark/></root>` (XML, captured live), or the same keys as
/// JSON.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct DelhiveryEditResponse {
    #[serde(deserialize_with = "lenient_bool")]
    pub status: Option<bool>,
    #[serde(deserialize_with = "lenient_string")]
    pub waybill: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub order_id: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub remark: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub error: Option<String>,
}

// ---------------------------------------------------------------------------
// NDR (POST /api/p/update, GET /api/cmu/get_bulk_upl/<UPL>?verbose=true)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DelhiveryNdrRequest {
    pub data: Vec<DelhiveryNdrItem>,
}

/// Alphabetical field order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DelhiveryNdrItem {
    pub act: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_data: Option<DelhiveryNdrActionData>,
    pub waybill: String,
}

/// Alphabetical field order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DelhiveryNdrActionData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryNdrResponse {
    #[serde(deserialize_with = "lenient_string")]
    pub request_id: Option<String>,
    pub status: Option<Value>,
    #[serde(deserialize_with = "lenient_string")]
    pub error: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub message: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub remark: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryUplStatusResponse {
    #[serde(deserialize_with = "lenient_string")]
    pub request_id: Option<String>,
    pub status: Option<Value>,
    #[serde(deserialize_with = "lenient_string")]
    pub error: Option<String>,
    #[serde(alias = "results", alias = "data")]
    pub result: Option<Value>,
}

// ---------------------------------------------------------------------------
// Shipping cost (GET /api/kinko/v1/invoice/charges/.json)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DelhiveryCharge {
    #[serde(deserialize_with = "lenient_f64")]
    pub total_amount: Option<f64>,
    #[serde(deserialize_with = "lenient_string")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupee_conversions_round_trip() {
        assert_eq!(rupees(149_900).as_deref(), Some("1499.00"));
        assert_eq!(rupees(5).as_deref(), Some("0.05"));
        assert_eq!(rupees(-1), None);
        assert_eq!(paise(&Value::String("1499.00".into())), Some(149_900));
        assert_eq!(paise(&Value::String("1499".into())), Some(149_900));
        assert_eq!(paise(&serde_json::json!(1499.5)), Some(149_950));
        assert_eq!(paise(&Value::String("12.345".into())), Some(1_235));
        assert_eq!(paise(&Value::String("abc".into())), None);
        assert_eq!(paise(&Value::String("".into())), None);
        assert_eq!(paise(&Value::String("-5".into())), None);
    }

    #[test]
    fn phones_become_national_numbers() {
        assert_eq!(national_phone("+919812345678"), "9812345678");
        assert_eq!(national_phone("+14155550100"), "14155550100");
    }
}
