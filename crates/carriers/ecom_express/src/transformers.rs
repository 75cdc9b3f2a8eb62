//! Ecom Express wire types. JSON answers are read leniently: unknown fields
//! are ignored, optional fields are optional, and the fields Ecom sends
//! either as strings or numbers (`awb`, `success`, `pincode`) accept both.

use serde::{Deserialize, Deserializer, Serialize};

/// A JSON scalar Ecom sends as a string or a number (AWBs, pincodes).
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(scalar_text(&v))
}

fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.map(|v| scalar_text(&v)).filter(|s| !s.is_empty()))
}

pub(crate) fn scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// `success` comes as `true`, `"true"`, `"yes"` or `"True"`.
pub(crate) fn truthy(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::String(s) => {
            matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "yes" | "1")
        }
        serde_json::Value::Number(n) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// Error messages come as a string or a list of strings.
pub(crate) fn messages(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => vec![s.trim().to_string()],
        serde_json::Value::Array(items) => items
            .iter()
            .map(scalar_text)
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------- fetch_awb

/// `POST /apiv2/fetch_awb/` answer:
/// `{"success": "yes", "awb": [103086824, ...], "reference_id": 1}` or
/// `{"success": "no", "error": ["..."]}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EcomExpressFetchAwbResponse {
    #[serde(default)]
    pub success: serde_json::Value,
    #[serde(default)]
    pub awb: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub error: serde_json::Value,
}

// ---------------------------------------------------------------- manifest

/// One shipment of the `json_input` list sent to `/apiv2/manifest_awb/`.
/// Field order is the documented example's order, and the serialized bytes
/// are what the fixtures compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcomExpressManifestShipment {
    #[serde(rename = "AWB_NUMBER", deserialize_with = "string_or_number")]
    pub awb_number: String,
    #[serde(rename = "ORDER_NUMBER", deserialize_with = "string_or_number")]
    pub order_number: String,
    /// `PPD` or `COD`.
    #[serde(rename = "PRODUCT")]
    pub product: String,
    #[serde(rename = "CONSIGNEE")]
    pub consignee: String,
    #[serde(rename = "CONSIGNEE_ADDRESS1")]
    pub consignee_address1: String,
    #[serde(rename = "CONSIGNEE_ADDRESS2", default)]
    pub consignee_address2: String,
    #[serde(rename = "CONSIGNEE_ADDRESS3", default)]
    pub consignee_address3: String,
    #[serde(rename = "DESTINATION_CITY")]
    pub destination_city: String,
    #[serde(rename = "PINCODE", deserialize_with = "string_or_number")]
    pub pincode: String,
    #[serde(rename = "STATE")]
    pub state: String,
    #[serde(rename = "MOBILE", deserialize_with = "string_or_number")]
    pub mobile: String,
    #[serde(rename = "TELEPHONE", default, deserialize_with = "string_or_number")]
    pub telephone: String,
    #[serde(rename = "ITEM_DESCRIPTION")]
    pub item_description: String,
    #[serde(rename = "PIECES")]
    pub pieces: u32,
    /// Rupees; 0 for prepaid.
    #[serde(rename = "COLLECTABLE_VALUE")]
    pub collectable_value: serde_json::Number,
    /// Rupees.
    #[serde(rename = "DECLARED_VALUE")]
    pub declared_value: serde_json::Number,
    /// Kilograms.
    #[serde(rename = "ACTUAL_WEIGHT")]
    pub actual_weight: serde_json::Number,
    /// Kilograms (L×B×H / 5000).
    #[serde(rename = "VOLUMETRIC_WEIGHT")]
    pub volumetric_weight: serde_json::Number,
    /// Centimetres.
    #[serde(rename = "LENGTH")]
    pub length: u32,
    #[serde(rename = "BREADTH")]
    pub breadth: u32,
    #[serde(rename = "HEIGHT")]
    pub height: u32,
    #[serde(rename = "PICKUP_NAME")]
    pub pickup_name: String,
    #[serde(rename = "PICKUP_ADDRESS_LINE1")]
    pub pickup_address_line1: String,
    #[serde(rename = "PICKUP_ADDRESS_LINE2", default)]
    pub pickup_address_line2: String,
    #[serde(rename = "PICKUP_PINCODE", deserialize_with = "string_or_number")]
    pub pickup_pincode: String,
    #[serde(
        rename = "PICKUP_PHONE",
        default,
        deserialize_with = "string_or_number"
    )]
    pub pickup_phone: String,
    #[serde(
        rename = "PICKUP_MOBILE",
        default,
        deserialize_with = "string_or_number"
    )]
    pub pickup_mobile: String,
    #[serde(rename = "RETURN_NAME", default)]
    pub return_name: String,
    #[serde(rename = "RETURN_ADDRESS_LINE1", default)]
    pub return_address_line1: String,
    #[serde(rename = "RETURN_ADDRESS_LINE2", default)]
    pub return_address_line2: String,
    #[serde(
        rename = "RETURN_PINCODE",
        default,
        deserialize_with = "string_or_number"
    )]
    pub return_pincode: String,
    #[serde(
        rename = "RETURN_PHONE",
        default,
        deserialize_with = "string_or_number"
    )]
    pub return_phone: String,
    #[serde(
        rename = "RETURN_MOBILE",
        default,
        deserialize_with = "string_or_number"
    )]
    pub return_mobile: String,
    /// `"true"` / `"false"`.
    #[serde(rename = "DG_SHIPMENT", default)]
    pub dg_shipment: String,
}

/// `/apiv2/manifest_awb/` answer: `{"shipments": [{...}]}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EcomExpressManifestResponse {
    #[serde(default)]
    pub shipments: Vec<EcomExpressManifestResult>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EcomExpressManifestResult {
    #[serde(default)]
    pub reason: serde_json::Value,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub order_number: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub awb: Option<String>,
    #[serde(default)]
    pub success: serde_json::Value,
}

// ---------------------------------------------------------------- cancel

/// `/apiv2/cancel_awb/` answer: `[{"awb": 103086824, "success": true, "reason": ""}]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EcomExpressCancelResult {
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub awb: Option<String>,
    #[serde(default)]
    pub success: serde_json::Value,
    #[serde(default)]
    pub reason: serde_json::Value,
}

// ---------------------------------------------------------------- NDR

/// One entry of the `json_input` list sent to `/apiv2/ndr_resolutions/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcomExpressNdrRequest {
    #[serde(deserialize_with = "string_or_number")]
    pub awb: String,
    /// `RAD` (re-attempt delivery) or `RTO`.
    pub instruction: String,
    #[serde(default)]
    pub comments: String,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_delivery_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_delivery_slot: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consignee_address: Option<EcomExpressNdrAddress>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcomExpressNdrAddress {
    #[serde(rename = "CA1", default)]
    pub ca1: String,
    #[serde(rename = "CA2", default)]
    pub ca2: String,
    #[serde(rename = "CA3", default)]
    pub ca3: String,
    #[serde(rename = "CA4", default)]
    pub ca4: String,
    #[serde(default, deserialize_with = "string_or_number")]
    pub pincode: String,
}

/// `/apiv2/ndr_resolutions/` answer: `[{"awb": "...", "status": "true", "error": []}]`
/// (some accounts answer `success` instead of `status`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EcomExpressNdrResult {
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub awb: Option<String>,
    #[serde(default)]
    pub status: serde_json::Value,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub success: serde_json::Value,
    #[serde(default)]
    pub error: serde_json::Value,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub reason: serde_json::Value,
}

// ---------------------------------------------------------------- pincode

/// One entry of the `/apiv3/pincode/` answer.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EcomExpressPincode {
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub pincode: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub state: Option<String>,
    #[serde(default)]
    pub active: serde_json::Value,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub route: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub dccode: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub city_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub state_code: Option<String>,
    #[serde(default)]
    pub date_of_discontinuance: serde_json::Value,
}

// ---------------------------------------------------------------- push

/// One pushed scan. Ecom's v1 push (`awb`, `datetime`, `reason_code_number`,
/// `city`, `order_number`); the v2 guide's names (`date_time`, `status_code`,
/// `current_city`, `order_id`) are read too.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EcomExpressPushScan {
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub awb: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datetime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub reason_code_number: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(rename = "Employee", default, skip_serializing_if = "Option::is_none")]
    pub employee: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_update_number: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_number: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_city: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub ref_awb: Option<String>,
}
