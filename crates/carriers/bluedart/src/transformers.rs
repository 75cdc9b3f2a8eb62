//! Blue Dart's wire types and the small formats they use (`/Date(ms)/`,
//! `27-Jan-2026` + `22:08`, rupees and kilograms as JSON numbers).
//!
//! Everything is deserialized leniently: unknown fields are ignored, every
//! field is optional, and values Blue Dart sends either as strings or as
//! numbers/booleans (`IsError: "True"`, `TokenNumber: 748984`, `ScanCode: 9`)
//! are accepted in both forms.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use shipgate_carrier_core::time::{self, ist};

// ---------------------------------------------------------------------------
// Lenient scalars

struct LenientString;

struct Lenient(Option<String>);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientString).map(Lenient)
    }
}

impl<'de> Visitor<'de> for LenientString {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(LenientString)
    }
    // quick-xml hands a text element over as a map with a `$text` (or
    // `$value`) entry; an empty element (`<Instructions/>`) or an unexpected
    // object has none.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut text = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "$text" || key == "$value" {
                let Lenient(value) = map.next_value()?;
                text = text.or(value);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(text)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// A string that may arrive as a number, boolean, null or empty element;
/// blank strings become `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(d.deserialize_any(LenientString)?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty()))
}

/// `true`, `"True"`, `"true"`, `"Y"`, `"Yes"`, `1` are true; anything else false.
pub fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(d.deserialize_any(LenientString)?
        .is_some_and(|s| is_yes(&s)))
}

pub fn is_yes(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "y" | "yes" | "1"
    )
}

/// One object or a list of them (Blue Dart's JSON pushes use both).
pub fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
        Nothing(IgnoredAny),
    }
    Ok(match OneOrMany::<T>::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(t) => vec![t],
        OneOrMany::Nothing(IgnoredAny) => Vec::new(),
    })
}

// ---------------------------------------------------------------------------
// Common envelopes

/// `Status[{StatusCode, StatusInformation}]`, carried by every JSON result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct BlueDartStatus {
    #[serde(rename = "StatusCode", deserialize_with = "opt_string")]
    pub code: Option<String>,
    #[serde(rename = "StatusInformation", deserialize_with = "opt_string")]
    pub information: Option<String>,
}

/// The fields every `…Result` object shares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct BlueDartResultCommon {
    #[serde(rename = "IsError", deserialize_with = "lenient_bool")]
    pub is_error: bool,
    #[serde(rename = "Status", alias = "status", deserialize_with = "one_or_many")]
    pub status: Vec<BlueDartStatus>,
    #[serde(rename = "ErrorMessage", deserialize_with = "opt_string")]
    pub error_message: Option<String>,
}

impl BlueDartResultCommon {
    /// First status code, and the best message available.
    pub fn first(&self) -> (Option<String>, String) {
        let status = self.status.iter().find(|s| s.information.is_some());
        let code = self.status.iter().find_map(|s| s.code.clone());
        let message = self
            .error_message
            .clone()
            .or_else(|| status.and_then(|s| s.information.clone()))
            .unwrap_or_else(|| "Blue Dart returned IsError without a message".to_string());
        (code, message)
    }
}

/// Validation errors from the API gateway: HTTP 400 with
/// `{"error-response":[{"IsError":true,"Status":[…]}]}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartErrorResponse {
    #[serde(rename = "error-response", deserialize_with = "one_or_many")]
    pub errors: Vec<BlueDartResultCommon>,
}

/// The Apigee gateway's own error (bad or missing JWT, unknown client):
/// `{"fault":{"faultstring":…,"detail":{"errorcode":…}}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartFaultEnvelope {
    pub fault: Option<BlueDartFault>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartFault {
    #[serde(deserialize_with = "opt_string")]
    pub faultstring: Option<String>,
    pub detail: Option<BlueDartFaultDetail>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartFaultDetail {
    #[serde(deserialize_with = "opt_string")]
    pub errorcode: Option<String>,
}

// ---------------------------------------------------------------------------
// Operations

/// GET `/token/v1/login` → `{"JWTToken": "…"}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartLoginResponse {
    #[serde(rename = "JWTToken", deserialize_with = "opt_string")]
    pub jwt_token: Option<String>,
}

/// POST `/waybill/v1/GenerateWayBill` → `{"GenerateWayBillResult": {…}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartGenerateWayBillResponse {
    #[serde(rename = "GenerateWayBillResult")]
    pub result: Option<BlueDartWayBillResult>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartWayBillResult {
    #[serde(rename = "AWBNo", deserialize_with = "opt_string")]
    pub awb_no: Option<String>,
    #[serde(rename = "DestinationArea", deserialize_with = "opt_string")]
    pub destination_area: Option<String>,
    #[serde(rename = "DestinationLocation", deserialize_with = "opt_string")]
    pub destination_location: Option<String>,
    #[serde(rename = "TokenNumber", deserialize_with = "opt_string")]
    pub token_number: Option<String>,
    #[serde(rename = "CCRCRDREF", deserialize_with = "opt_string")]
    pub credit_reference: Option<String>,
    #[serde(flatten)]
    pub common: BlueDartResultCommon,
}

/// POST `/waybill/v1/CancelWaybill` → `{"CancelWaybillResult": {…}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartCancelResponse {
    #[serde(rename = "CancelWaybillResult")]
    pub result: Option<BlueDartAwbResult>,
}

/// POST `/cust-instruction-update/v1/CustALTInstructionUpdate`
/// → `{"CustALTInstructionUpdateResult": {…}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartAltInstructionResponse {
    #[serde(rename = "CustALTInstructionUpdateResult")]
    pub result: Option<BlueDartAwbResult>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartAwbResult {
    #[serde(rename = "AWBNo", deserialize_with = "opt_string")]
    pub awb_no: Option<String>,
    #[serde(flatten)]
    pub common: BlueDartResultCommon,
}

/// POST `/pickup/v1/RegisterPickup` → `{"RegisterPickupResult": {…}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartRegisterPickupResponse {
    #[serde(rename = "RegisterPickupResult", deserialize_with = "one_or_many")]
    pub result: Vec<BlueDartPickupResult>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartPickupResult {
    #[serde(rename = "TokenNumber", deserialize_with = "opt_string")]
    pub token_number: Option<String>,
    #[serde(flatten)]
    pub common: BlueDartResultCommon,
}

/// POST `/finder/v1/GetServicesforPincode` → `{"GetServicesforPincodeResult": {…}}`,
/// one `Yes`/`No` flag per product and direction.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartPincodeResponse {
    #[serde(rename = "GetServicesforPincodeResult")]
    pub result: Option<BlueDartPincodeResult>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartPincodeResult {
    #[serde(rename = "PinCode", deserialize_with = "opt_string")]
    pub pin_code: Option<String>,
    #[serde(rename = "AreaCode", deserialize_with = "opt_string")]
    pub area_code: Option<String>,
    #[serde(rename = "ServiceCenterCode", deserialize_with = "opt_string")]
    pub service_center_code: Option<String>,
    #[serde(rename = "ApexInbound", deserialize_with = "lenient_bool")]
    pub apex_inbound: bool,
    #[serde(rename = "ApexOutbound", deserialize_with = "lenient_bool")]
    pub apex_outbound: bool,
    #[serde(rename = "eTailPrePaidAirInbound", deserialize_with = "lenient_bool")]
    pub etail_prepaid_air_inbound: bool,
    #[serde(rename = "eTailPrePaidAirOutbound", deserialize_with = "lenient_bool")]
    pub etail_prepaid_air_outbound: bool,
    #[serde(rename = "eTailCODAirInbound", deserialize_with = "lenient_bool")]
    pub etail_cod_air_inbound: bool,
    #[serde(rename = "eTailCODAirOutbound", deserialize_with = "lenient_bool")]
    pub etail_cod_air_outbound: bool,
    #[serde(rename = "GroundInbound", deserialize_with = "lenient_bool")]
    pub ground_inbound: bool,
    #[serde(rename = "GroundOutbound", deserialize_with = "lenient_bool")]
    pub ground_outbound: bool,
    #[serde(rename = "eTailCODGroundInbound", deserialize_with = "lenient_bool")]
    pub etail_cod_ground_inbound: bool,
    #[serde(rename = "DomesticPriorityInbound", deserialize_with = "lenient_bool")]
    pub domestic_priority_inbound: bool,
    #[serde(rename = "EmbargoInbound", deserialize_with = "lenient_bool")]
    pub embargo_inbound: bool,
    #[serde(flatten)]
    pub common: BlueDartResultCommon,
}

// ---------------------------------------------------------------------------
// Tracking (XML) and push (JSON)

/// GET `/tracking/v1?handler=tnt&action=custawbquery&…&format=xml`:
/// `<ShipmentData><Shipment WaybillNo="…" RefNo="…">…</Shipment>…</ShipmentData>`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartShipmentData {
    #[serde(rename = "Shipment")]
    pub shipments: Vec<BlueDartShipment>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartShipment {
    #[serde(rename = "@WaybillNo", deserialize_with = "opt_string")]
    pub waybill_attr: Option<String>,
    #[serde(rename = "@RefNo", deserialize_with = "opt_string")]
    pub ref_attr: Option<String>,
    #[serde(rename = "WaybillNo", deserialize_with = "opt_string")]
    pub waybill_elem: Option<String>,
    #[serde(rename = "RefNo", deserialize_with = "opt_string")]
    pub ref_elem: Option<String>,
    #[serde(rename = "Status", deserialize_with = "opt_string")]
    pub status: Option<String>,
    #[serde(rename = "StatusType", deserialize_with = "opt_string")]
    pub status_type: Option<String>,
    #[serde(rename = "StatusDate", deserialize_with = "opt_string")]
    pub status_date: Option<String>,
    #[serde(rename = "StatusTime", deserialize_with = "opt_string")]
    pub status_time: Option<String>,
    #[serde(rename = "ReceivedBy", deserialize_with = "opt_string")]
    pub received_by: Option<String>,
    #[serde(rename = "ExpectedDeliveryDate", deserialize_with = "opt_string")]
    pub expected_delivery_date: Option<String>,
    #[serde(
        rename = "DynamicExpectedDeliveryDate",
        deserialize_with = "opt_string"
    )]
    pub dynamic_expected_delivery_date: Option<String>,
    #[serde(rename = "Scans")]
    pub scans: Option<BlueDartXmlScans>,
}

impl BlueDartShipment {
    pub fn waybill(&self) -> Option<&str> {
        self.waybill_attr
            .as_deref()
            .or(self.waybill_elem.as_deref())
    }
    pub fn reference(&self) -> Option<&str> {
        self.ref_attr.as_deref().or(self.ref_elem.as_deref())
    }
    /// `NF`: Blue Dart has no information for the number asked about.
    pub fn not_found(&self) -> bool {
        self.status_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("NF"))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartXmlScans {
    #[serde(rename = "ScanDetail")]
    pub scan_detail: Vec<BlueDartScanDetail>,
}

/// One scan, in tracking XML and in pushes alike.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartScanDetail {
    #[serde(rename = "Scan", deserialize_with = "opt_string")]
    pub scan: Option<String>,
    #[serde(rename = "ScanCode", deserialize_with = "opt_string")]
    pub scan_code: Option<String>,
    #[serde(rename = "ScanType", deserialize_with = "opt_string")]
    pub scan_type: Option<String>,
    #[serde(rename = "ScanGroupType", deserialize_with = "opt_string")]
    pub scan_group_type: Option<String>,
    #[serde(rename = "ScanDate", deserialize_with = "opt_string")]
    pub scan_date: Option<String>,
    #[serde(rename = "ScanTime", deserialize_with = "opt_string")]
    pub scan_time: Option<String>,
    #[serde(rename = "ScannedLocation", deserialize_with = "opt_string")]
    pub scanned_location: Option<String>,
    #[serde(rename = "ScannedLocationCode", deserialize_with = "opt_string")]
    pub scanned_location_code: Option<String>,
    #[serde(rename = "ReceivedBy", deserialize_with = "opt_string")]
    pub received_by: Option<String>,
}

impl BlueDartScanDetail {
    /// The code Shipgate keys its table on: `{ScanGroupType}-{ScanCode}`
    /// (`S-015`, `T-000`); the bare `ScanCode` when the group is missing,
    /// the `ScanType` when the code is.
    pub fn table_code(&self) -> Option<String> {
        match (&self.scan_group_type, &self.scan_code) {
            (Some(group), Some(code)) => Some(format!("{}-{}", group.to_ascii_uppercase(), code)),
            (None, Some(code)) => Some(code.clone()),
            (_, None) => self.scan_type.clone(),
        }
    }
}

/// Blue Dart's Push API: `{"statustracking":[{"Shipment":{…}}]}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartPush {
    #[serde(deserialize_with = "one_or_many")]
    pub statustracking: Vec<BlueDartPushEntry>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartPushEntry {
    #[serde(rename = "Shipment")]
    pub shipment: Option<BlueDartPushShipment>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartPushShipment {
    #[serde(rename = "WaybillNo", deserialize_with = "opt_string")]
    pub waybill_no: Option<String>,
    #[serde(rename = "RefNo", deserialize_with = "opt_string")]
    pub ref_no: Option<String>,
    #[serde(rename = "ExpectedDeliveryDate", deserialize_with = "opt_string")]
    pub expected_delivery_date: Option<String>,
    #[serde(
        rename = "DynamicExpectedDeliveryDate",
        deserialize_with = "opt_string"
    )]
    pub dynamic_expected_delivery_date: Option<String>,
    #[serde(rename = "Scans")]
    pub scans: Option<BlueDartPushScans>,
    /// "Push API Lite" carries one scan directly on the shipment.
    #[serde(flatten)]
    pub lite_scan: BlueDartScanDetail,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartPushScans {
    #[serde(rename = "ScanDetail", deserialize_with = "one_or_many")]
    pub scan_detail: Vec<BlueDartScanDetail>,
    #[serde(rename = "DeliveryDetails")]
    pub delivery_details: Option<BlueDartDeliveryDetails>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BlueDartDeliveryDetails {
    #[serde(rename = "ReceivedBy", deserialize_with = "opt_string")]
    pub received_by: Option<String>,
}

// ---------------------------------------------------------------------------
// Formats

/// Blue Dart's WCF JSON date, `/Date(1700000000000)/`.
pub fn wcf_date(t: Timestamp) -> String {
    format!("/Date({})/", t.as_millisecond())
}

/// Midnight IST of `date`, as `/Date(ms)/`.
pub fn wcf_day(date: Date) -> String {
    let ms = ist()
        .to_timestamp(date.to_datetime(Time::midnight()))
        .map(|t| t.as_millisecond())
        .unwrap_or(0);
    format!("/Date({ms})/")
}

/// Reads `/Date(ms)/` (optionally with an offset suffix, `/Date(ms+0530)/`).
pub fn parse_wcf_date(raw: &str) -> Option<Timestamp> {
    let inner = raw.trim().strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits_end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    let ms: i64 = inner.get(..digits_end)?.parse().ok()?;
    Timestamp::from_millisecond(ms).ok()
}

/// The IST calendar date of a `/Date(ms)/`.
pub fn parse_wcf_day(raw: &str) -> Option<Date> {
    parse_wcf_date(raw).map(|t| t.to_zoned(ist()).date())
}

/// `Jan` / `JAN` / `jan` → `Jan`, so month names parse whatever their case.
fn title_case_words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if c.is_ascii_alphabetic() {
            if start {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c.to_ascii_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = true;
        }
    }
    out
}

/// `2208` → `22:08`; `22:08` and `22:08:15` unchanged.
fn normalize_time(raw: &str) -> String {
    let t = raw.trim();
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}:{}", &t[..2], &t[2..])
    } else {
        t.to_string()
    }
}

/// A scan's `ScanDate` + `ScanTime` (`27-Jan-2026` + `22:08`; pushes also
/// send `15-01-2024` + `10:30`), IST.
pub fn parse_scan_time(date: &str, time_of_day: &str) -> Option<Timestamp> {
    let date = title_case_words(date.trim());
    let tod = normalize_time(time_of_day);
    let joined = if tod.is_empty() {
        format!("{date} 00:00")
    } else {
        format!("{date} {tod}")
    };
    for format in [
        "%d-%b-%Y %H:%M",
        "%d-%b-%Y %H:%M:%S",
        "%d %B %Y %H:%M",
        "%d %B %Y %H:%M:%S",
        "%d %b %Y %H:%M",
    ] {
        if let Ok(dt) = DateTime::strptime(format, &joined) {
            return ist().to_timestamp(dt).ok();
        }
    }
    time::parse_carrier_time(&joined)
}

/// An expected delivery date: `27 January 2026`, `27-Jan-2026` or `18-01-2024`.
pub fn parse_edd(raw: &str) -> Option<Date> {
    let s = title_case_words(raw.trim());
    ["%d %B %Y", "%d-%b-%Y", "%d %b %Y", "%d-%m-%Y", "%Y-%m-%d"]
        .into_iter()
        .find_map(|f| Date::strptime(f, &s).ok())
}

/// How Blue Dart's tracking writes a scan's date and time (IST).
pub fn render_scan_time(t: Timestamp) -> (String, String) {
    let z = t.to_zoned(ist());
    (
        z.strftime("%d-%b-%Y").to_string(),
        z.strftime("%H:%M").to_string(),
    )
}

/// Paise → rupees, as the JSON number Blue Dart takes.
pub fn rupees(minor: i64) -> serde_json::Value {
    number(minor as f64 / 100.0)
}

/// Grams → kilograms, as a JSON number.
pub fn kilograms(grams: u64) -> serde_json::Value {
    number(grams as f64 / 1000.0)
}

fn number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

/// A JSON number or numeric string, as a float.
pub fn json_f64(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON string or number, as text.
pub fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_times_are_ist() {
        let t = parse_scan_time("27-JAN-2026", "22:08").unwrap();
        assert_eq!(t.to_string(), "2026-01-27T16:38:00Z");
        assert_eq!(parse_scan_time("27-Jan-2026", "2208"), Some(t));
        assert_eq!(parse_scan_time("27 January 2026", "22:08"), Some(t));
        assert_eq!(parse_scan_time("27-01-2026", "22:08"), Some(t));
        assert_eq!(render_scan_time(t), ("27-Jan-2026".into(), "22:08".into()));
        assert_eq!(parse_scan_time("soon", "22:08"), None);
    }

    #[test]
    fn wcf_dates_round_trip() {
        let d = Date::new(2026, 2, 3).unwrap();
        let raw = wcf_day(d);
        assert_eq!(raw, "/Date(1770057000000)/");
        assert_eq!(parse_wcf_day(&raw), Some(d));
        assert_eq!(parse_wcf_day("/Date(1770057000000+0530)/"), Some(d));
        assert_eq!(parse_wcf_date("Date(12)"), None);
    }

    #[test]
    fn edd_formats() {
        let d = Date::new(2026, 1, 27).unwrap();
        for raw in [
            "27 January 2026",
            "27-Jan-2026",
            "27-01-2026",
            "27 JANUARY 2026",
        ] {
            assert_eq!(parse_edd(raw), Some(d), "{raw}");
        }
    }
}
