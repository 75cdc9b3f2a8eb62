//! DTDC's wire types. Requests are serialized with fields in the documented
//! order; responses are read leniently (unknown fields ignored, everything
//! optional, numbers accepted as strings and the other way round).

use serde::{Deserialize, Deserializer, Serialize};

// ---------------------------------------------------------------------------
// Order upload (Shipsy "softdata")
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DtdcSoftdataRequest {
    pub consignments: Vec<DtdcConsignment>,
}

/// One consignment of the Order Upload API (B2C & Express) v2.0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DtdcConsignment {
    pub customer_code: String,
    pub service_type_id: String,
    pub load_type: String,
    pub consignment_type: String,
    pub description: String,
    pub dimension_unit: String,
    pub length: String,
    pub width: String,
    pub height: String,
    pub weight_unit: String,
    pub weight: String,
    pub declared_value: String,
    pub num_pieces: String,
    pub origin_details: DtdcParty,
    pub destination_details: DtdcParty,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_details: Option<DtdcReturnParty>,
    pub customer_reference_number: String,
    pub cod_collection_mode: String,
    pub cod_amount: String,
    pub commodity_id: String,
    pub is_risk_surcharge_applicable: bool,
    /// Blank: DTDC allocates the consignment number; or a pre-allotted AWB.
    pub reference_number: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pieces_detail: Vec<DtdcPiece>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DtdcParty {
    pub name: String,
    pub phone: String,
    pub address_line_1: String,
    pub address_line_2: String,
    pub pincode: String,
    pub city: String,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The return address: note `city_name` / `state_name`, unlike the other parties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DtdcReturnParty {
    pub name: String,
    pub phone: String,
    pub address_line_1: String,
    pub address_line_2: String,
    pub pincode: String,
    pub city_name: String,
    pub state_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// One piece of a multi-piece shipment (mandatory for MPS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DtdcPiece {
    pub description: String,
    pub declared_value: String,
    pub weight: String,
    pub height: String,
    pub length: String,
    pub width: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcSoftdataResponse {
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_vec")]
    pub data: Vec<DtdcSoftdataResult>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcSoftdataResult {
    #[serde(default, deserialize_with = "lenient_bool")]
    pub success: Option<bool>,
    /// The AWB (consignment number) DTDC allotted.
    #[serde(default, deserialize_with = "lenient_string")]
    pub reference_number: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub customer_reference_number: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub courier_partner_reference_number: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
}

/// Shipsy's envelope for a refused request: `{"error":{"message","statusCode","reason"}}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcShipsyErrorEnvelope {
    #[serde(default)]
    pub error: Option<DtdcShipsyError>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcShipsyError {
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", rename = "statusCode")]
    pub status_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub reason: Option<String>,
}

// ---------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DtdcCancelRequest {
    #[serde(rename = "AWBNo")]
    pub awb_no: Vec<String>,
    #[serde(rename = "customerCode")]
    pub customer_code: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcCancelResponse {
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub success: Option<bool>,
    #[serde(
        default,
        rename = "successConsignments",
        deserialize_with = "lenient_vec"
    )]
    pub success_consignments: Vec<DtdcCancelResult>,
    /// Refused AWBs; the name is not in the vendor document (`failure` seen
    /// in public integration code), so both spellings are read.
    #[serde(default, alias = "failures", deserialize_with = "lenient_vec")]
    pub failure: Vec<DtdcCancelResult>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcCancelResult {
    #[serde(default, deserialize_with = "lenient_bool")]
    pub success: Option<bool>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub reference_number: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", rename = "AWBNo")]
    pub awb_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
}

// ---------------------------------------------------------------------------
// Label
// ---------------------------------------------------------------------------

/// The label as base64, when asked for `label_format=base64`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcLabelResponse {
    #[serde(
        default,
        deserialize_with = "lenient_string",
        rename = "referenceNumber"
    )]
    pub reference_number: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub label: Option<String>,
}

// ---------------------------------------------------------------------------
// Tracking (REST Tracking API v2.2, JSON)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DtdcTrackRequest {
    /// `cnno` (consignment number) or `reference` (customer reference).
    #[serde(rename = "trkType")]
    pub trk_type: String,
    pub strcnno: String,
    /// `Y` for the scan history, `N` for the header only.
    #[serde(rename = "addtnlDtl")]
    pub addtnl_dtl: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcTrackResponse {
    #[serde(default, deserialize_with = "lenient_string", rename = "statusCode")]
    pub status_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool", rename = "statusFlag")]
    pub status_flag: Option<bool>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    /// `[{name, value}]`, or a bare string in some answers.
    #[serde(default, rename = "errorDetails")]
    pub error_details: Option<serde_json::Value>,
    #[serde(default, rename = "trackHeader")]
    pub track_header: Option<DtdcTrackHeader>,
    #[serde(default, rename = "trackDetails", deserialize_with = "lenient_vec")]
    pub track_details: Vec<DtdcTrackDetail>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DtdcTrackHeader {
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_shipment_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_ref_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_origin: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_destination: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_status: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_status_trans_on: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_status_trans_time: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_status_rel_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_remarks: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_no_of_attempts: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_rto_number: Option<String>,
    /// Seen live by public integrations, not in the vendor document.
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_expected_delivery_date: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub str_error: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcTrackDetail {
    #[serde(default, deserialize_with = "lenient_string", rename = "strCode")]
    pub str_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", rename = "strAction")]
    pub str_action: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", rename = "strManifestNo")]
    pub str_manifest_no: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", rename = "strOrigin")]
    pub str_origin: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_string",
        rename = "strDestination"
    )]
    pub str_destination: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", rename = "strActionDate")]
    pub str_action_date: Option<String>,
    #[serde(default, deserialize_with = "lenient_string", rename = "strActionTime")]
    pub str_action_time: Option<String>,
    /// Spelled `sTrRemarks` in the API; `strRemarks` accepted too.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        rename = "sTrRemarks",
        alias = "strRemarks"
    )]
    pub remarks: Option<String>,
}

/// The tracking host's (Spring) error body: `{"timestamp","status","error","message","path"}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcTrackingHostError {
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
}

/// The token endpoint answers with the bare token as text; some deployments
/// wrap it as `{"token": "..."}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DtdcTokenJson {
    #[serde(default, deserialize_with = "lenient_string")]
    pub token: Option<String>,
}

// ---------------------------------------------------------------------------
// Lenient readers
// ---------------------------------------------------------------------------

/// A string, number or bool as text; null and anything else as `None`.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// `true`, `"true"`, `"Y"`, `1` … as a bool; anything else as `None`.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Some(b),
        serde_json::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "y" | "yes" | "1" => Some(true),
            "false" | "n" | "no" | "0" => Some(false),
            _ => None,
        },
        serde_json::Value::Number(n) => n.as_i64().map(|v| v != 0),
        _ => None,
    })
}

/// A list whose malformed items are skipped rather than failing the whole answer.
fn lenient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(items) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}
