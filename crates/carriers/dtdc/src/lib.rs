//! DTDC adapter.
//!
//! DTDC runs two unrelated systems, with two credentials:
//!
//! - **Bookings** (order upload, cancellation, label) on Shipsy's platform,
//!   authenticated by an `api-key` header. Production host
//!   `https://dtdcapi.shipsy.io` (label and cancel also answer on
//!   `https://pxapi.dtdc.in`); staging `https://demodashboardapi.shipsy.in` /
//!   `https://alphademodashboardapi.shipsy.io`.
//! - **Tracking** on `https://blktracksvc.dtdc.com`: a GET to
//!   `/dtdc-api/api/dtdc/authenticate?username=&password=` returns a token as
//!   bare text, sent as `X-Access-Token` to `/dtdc-api/rest/JSONCnTrk/getTrackDetails`.
//!   [`Authenticate`] is this login; only tracking (and
//!   [`CreateShipment::build_find_by_reference`]) use the token.
//!
//! The account's `base_url` is the Shipsy host. Tracking paths start with
//! `/dtdc-api/`, which the simulator serves on the same host; in production
//! set the account setting `tracking_url` to `https://blktracksvc.dtdc.com`
//! and login and tracking go there (`Account::on_host`).
//!
//! # Account
//!
//! - Credentials: `api_key` (Shipsy order APIs), `tracking_username` and
//!   `tracking_password` (tracking login).
//! - Settings (`settings.extra`): `customer_code` (required for create and
//!   cancel; also read from the credentials if stored there),
//!   `service_type_id` (default `B2C PRIORITY`; others: `GROUND EXPRESS`,
//!   `PRIORITY`, `PREMIUM`, `B2C SMART EXPRESS`, …), `commodity_id` (default
//!   `99`, from the vendor sample), `label_code` (default `SHIP_LABEL_4X6`).
//! - Rate limits: DTDC publishes none, so none are declared.
//!
//! # Operations
//!
//! - Create: POST `/api/customer/integration/consignment/softdata`, one
//!   consignment per call, `customer_reference_number` = the order reference.
//!   DTDC does not document de-duplication on the reference, so the create is
//!   `Retry::Never`; after an unknown outcome the runtime asks
//!   [`CreateShipment::build_find_by_reference`], which tracks by reference
//!   (`trkType: "reference"`). A pre-allotted AWB goes in `reference_number`.
//! - Cancel: POST `/api/customer/integration/consignment/cancel`. Only before
//!   pickup; DTDC never turns a cancel into an RTO, a picked-up consignment is
//!   refused (`Rejected`).
//! - Label: GET `/api/customer/integration/consignment/shippinglabel/stream`,
//!   `label_format=pdf` (raw PDF; the base64 JSON form is read too).
//! - Track: one consignment per call (`max_track_batch` = 1), `addtnlDtl: Y`
//!   for the scan history. Scan times are `DDMMYYYY` + `HHMM`, IST.
//! - Not offered through a public API, so not supported: serviceability and
//!   rates (DTDC's pincode/rate calculator is an unauthenticated endpoint on a
//!   third host, origin–destination only), pickup requests, modification,
//!   NDR actions, push (no documented webhook format), AWB pools.
//!
//! # Sources
//!
//! - Order upload request/response, field names and order, `WRONG_INPUT`
//!   refusal, cancel request/response, label API and label codes, tracking
//!   login, tracking request and response (`trackHeader`, `trackDetails`,
//!   `sTrRemarks`), HTTP 200/400/401 meanings: DTDC's vendor documents
//!   vendored in `karrioapi/karrio` `modules/connectors/dtdc/vendors/`
//!   (`DTDC-docs.md`: "DTDC Order Upload API (B2C & Express) Ver. 2.0",
//!   "DTDC Cancellation API Ver. 2.0", "DTDC Shipping Label API WS Ver. 2.0",
//!   "DTDC REST Tracking API version 2.2"), with karrio's schemas and tests
//!   (`modules/connectors/dtdc/schemas/*.json`, `tests/dtdc/test_*.py`).
//! - Scan and NDR reason codes: DTDC's "DOMESTIC TRACK EVENTS" sheet,
//!   `DTDC TRACK SCAN DETAILS NEW.xlsx` in the same folder (see [`status`]).
//! - `consignment_type: "Forward"`, the Shipsy `{"error":{"message",
//!   "statusCode","reason"}}` 401 envelope (`WRONG_API_KEY`), the tracking
//!   host's Spring 401 body, the token returned as plain text (or
//!   `{"token"}`), the cancel `failure` list: public integration code
//!   verified against the live hosts (TypeScript `DtdcParty`/`describeError`
//!   client; karrio `schemas/error_response.json`).
//! - HTTP 206 with `statusFlag: false` and `NO DATA FOUND FOR THIS CNNO
//!   NUMBER` for an unknown consignment, `NONDLV` remarks as `CODE|TEXT`,
//!   the `KYC` reason and `strExpectedDeliveryDate`: a public Python tracking
//!   adapter verified live (REST Tracking API v4 notes).
//! - Inferred (the documents are silent): the answer to a duplicate
//!   `customer_reference_number` (rendered by the simulator as a
//!   `WRONG_INPUT`-style refusal `CONSIGNMENT_ALREADY_EXISTS` without an AWB),
//!   the cancel refusal reasons (`CANCELLATION_NOT_ALLOWED`,
//!   `CONSIGNMENT_NOT_FOUND`), Shipsy 400/404 bodies (same envelope as 401),
//!   the top-level dimensions of a multi-piece consignment (the first
//!   parcel's), the declared value split evenly over pieces, and the token
//!   lifetime (undocumented: `expires_in` is `None`, a 401 means log in again).

pub mod sim;
pub mod status;
pub mod transformers;

use base64::Engine;
use shipgate_carrier_core::account::Secret;
use shipgate_carrier_core::scan::lookup;
use shipgate_carrier_core::time::parse_carrier_time;
use shipgate_carrier_core::*;
use shipgate_domain::{Address, PaymentMode, ShipmentStatus};

use crate::transformers::*;

pub use status::STATUS_CODES;

pub const CODE: &str = "dtdc";

pub const SOFTDATA_PATH: &str = "/api/customer/integration/consignment/softdata";
pub const CANCEL_PATH: &str = "/api/customer/integration/consignment/cancel";
pub const LABEL_PATH: &str = "/api/customer/integration/consignment/shippinglabel/stream";
pub const AUTH_PATH: &str = "/dtdc-api/api/dtdc/authenticate";
pub const TRACK_PATH: &str = "/dtdc-api/rest/JSONCnTrk/getTrackDetails";

pub const DEFAULT_SERVICE_TYPE: &str = "B2C PRIORITY";
pub const DEFAULT_COMMODITY_ID: &str = "99";
pub const DEFAULT_LABEL_CODE: &str = "SHIP_LABEL_4X6";
/// What the tracking API says for a consignment it does not know.
pub const NO_DATA_FOUND: &str = "NO DATA FOUND";

pub struct Dtdc;

impl CarrierCode for Dtdc {
    fn carrier(&self) -> &'static str {
        CODE
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn customer_code(account: &Account) -> Result<&str, CarrierError> {
    account
        .setting("customer_code")
        .filter(|v| !v.trim().is_empty())
        .map(Ok)
        .unwrap_or_else(|| account.credential(CODE, "customer_code"))
}

fn setting_or<'a>(account: &'a Account, name: &str, default: &'a str) -> &'a str {
    account
        .setting(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(default)
}

fn shipsy(
    account: &Account,
    method: Method,
    path: &str,
    operation: &'static str,
) -> Result<HttpRequest, CarrierError> {
    let key = account.credential(CODE, "api_key")?;
    Ok(HttpRequest::new(method, path, operation).header("api-key", key))
}

/// Paise as rupees with two decimals: `598260` → `5982.60`.
pub fn rupees(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Grams as kilograms, shortest form with at least one decimal: `500` → `0.5`,
/// `17000` → `17.0`, `1250` → `1.25`.
pub fn kilograms(grams: u64) -> String {
    let whole = grams / 1000;
    let frac = format!("{:03}", grams % 1000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{whole}.0")
    } else {
        format!("{whole}.{frac}")
    }
}

/// Reads a decimal such as `5982.6` scaled by `10^scale` (`598260` for scale 2),
/// without floating point. Extra decimals are truncated.
pub fn parse_scaled(raw: &str, scale: u32) -> Option<i64> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut digits = frac.bytes();
    for _ in 0..scale {
        let d = digits.next().map_or(0, |b| i64::from(b - b'0'));
        value = value.checked_mul(10)?.checked_add(d)?;
    }
    Some(if neg { -value } else { value })
}

/// DTDC wants a national number: `+919812345678` → `9812345678`.
fn national_phone(address: &Address) -> String {
    let e164 = address.phone.as_str();
    if address.country.as_str() == "IN"
        && let Some(national) = e164.strip_prefix("+91")
    {
        return national.to_string();
    }
    e164.trim_start_matches('+').to_string()
}

fn second_line(address: &Address) -> String {
    [address.line2.as_deref(), address.landmark.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

fn party(address: &Address) -> DtdcParty {
    DtdcParty {
        name: address.name.clone(),
        phone: national_phone(address),
        address_line_1: address.line1.clone(),
        address_line_2: second_line(address),
        pincode: address.postal_code.as_str().to_string(),
        city: address.city.clone(),
        state: address.state.clone(),
        email: address.email.clone(),
    }
}

fn return_party(address: &Address) -> DtdcReturnParty {
    DtdcReturnParty {
        name: address.name.clone(),
        phone: national_phone(address),
        address_line_1: address.line1.clone(),
        address_line_2: second_line(address),
        pincode: address.postal_code.as_str().to_string(),
        city_name: address.city.clone(),
        state_name: address.state.clone(),
        email: address.email.clone(),
    }
}

/// A DTDC date (`DDMMYYYY`) and time (`HHMM`, `HH:MM`, `HHMMSS` or
/// `HH:MM:SS`), IST.
pub fn dtdc_time(date: &str, time: &str) -> Option<jiff::Timestamp> {
    let date = date.trim();
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = time.trim().chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let clock = match digits.len() {
        0 => "00:00".to_string(),
        4 => format!("{}:{}", &digits[..2], &digits[2..]),
        6 => format!("{}:{}:{}", &digits[..2], &digits[2..4], &digits[4..]),
        _ => return None,
    };
    parse_carrier_time(&format!(
        "{}-{}-{} {clock}",
        &date[..2],
        &date[2..4],
        &date[4..]
    ))
}

fn dtdc_date(raw: &str) -> Option<jiff::civil::Date> {
    let raw = raw.trim();
    if raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
        let day: i8 = raw[..2].parse().ok()?;
        let month: i8 = raw[2..4].parse().ok()?;
        let year: i16 = raw[4..].parse().ok()?;
        return jiff::civil::Date::new(year, month, day).ok();
    }
    parse_carrier_time(raw).map(|t| t.to_zoned(time::ist()).date())
}

fn non_empty(value: Option<&String>) -> Option<String> {
    value
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn is_auth_failure(status: u16) -> bool {
    status == 401 || status == 403
}

fn retryable_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// A non-2xx answer from the Shipsy host.
fn shipsy_error(response: &HttpResponse) -> CarrierError {
    let envelope = serde_json::from_slice::<DtdcShipsyErrorEnvelope>(&response.body)
        .ok()
        .and_then(|e| e.error);
    let message = envelope
        .as_ref()
        .and_then(|e| non_empty(e.message.as_ref()))
        .unwrap_or_else(|| format!("HTTP {}", response.status));
    let reason = envelope.as_ref().and_then(|e| non_empty(e.reason.as_ref()));
    if is_auth_failure(response.status) {
        return CarrierError::Unauthorized {
            carrier: CODE,
            message,
        };
    }
    if envelope.is_none() {
        return CarrierError::parse(CODE, response, format!("HTTP {}", response.status));
    }
    CarrierError::Rejected {
        carrier: CODE,
        code: reason,
        message,
        retryable: retryable_status(response.status),
    }
}

/// A non-2xx answer from the tracking host.
fn tracking_error(response: &HttpResponse) -> CarrierError {
    let spring = serde_json::from_slice::<DtdcTrackingHostError>(&response.body).ok();
    let message = spring
        .as_ref()
        .and_then(|e| non_empty(e.message.as_ref()).or_else(|| non_empty(e.error.as_ref())))
        .or_else(|| {
            serde_json::from_slice::<DtdcTrackResponse>(&response.body)
                .ok()
                .and_then(|t| track_error_message(&t))
        })
        .unwrap_or_else(|| format!("HTTP {}", response.status));
    if is_auth_failure(response.status) {
        CarrierError::Unauthorized {
            carrier: CODE,
            message,
        }
    } else {
        CarrierError::Rejected {
            carrier: CODE,
            code: Some(response.status.to_string()),
            message,
            retryable: retryable_status(response.status),
        }
    }
}

/// The error text of a tracking answer: `errorDetails[name=strError].value`,
/// a bare `errorDetails` string, or the header's `strError`.
fn track_error_message(track: &DtdcTrackResponse) -> Option<String> {
    let from_details = match &track.error_details {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .find(|i| i.get("name").and_then(|n| n.as_str()) == Some("strError"))
            .or_else(|| items.iter().find(|i| i.get("value").is_some()))
            .and_then(|i| i.get("value"))
            .and_then(|v| v.as_str())
            .map(str::to_string),
        _ => None,
    };
    from_details.filter(|s| !s.trim().is_empty()).or_else(|| {
        track
            .track_header
            .as_ref()
            .and_then(|h| non_empty(h.str_error.as_ref()))
    })
}

fn tracking_request(
    account: &Account,
    trk_type: &str,
    number: &str,
    additional: bool,
    operation: &'static str,
) -> Result<HttpRequest, CarrierError> {
    let number = number.trim();
    if number.is_empty() {
        return Err(CarrierError::invalid(
            CODE,
            "no consignment number or reference",
        ));
    }
    let token = account.token(CODE)?;
    let body = DtdcTrackRequest {
        trk_type: trk_type.to_string(),
        strcnno: number.to_string(),
        addtnl_dtl: if additional { "Y" } else { "N" }.to_string(),
    };
    let value =
        serde_json::to_value(&body).map_err(|e| CarrierError::invalid(CODE, e.to_string()))?;
    Ok(HttpRequest::new(
        Method::Post,
        account.on_host("tracking_url", TRACK_PATH),
        operation,
    )
    .header("X-Access-Token", token)
    .json(value)
    .retry(Retry::Safe))
}

/// Reads a tracking answer: `Ok(None)` when DTDC has no such consignment.
fn read_tracking(response: &HttpResponse) -> Result<Option<TrackedShipment>, CarrierError> {
    if !response.is_success() {
        return Err(tracking_error(response));
    }
    let track: DtdcTrackResponse = response.parse_json(CODE)?;
    if track.status_flag != Some(true) {
        let message = track_error_message(&track)
            .or_else(|| non_empty(track.status.as_ref()))
            .unwrap_or_else(|| "tracking failed".to_string());
        if message.to_ascii_uppercase().contains(NO_DATA_FOUND) {
            return Ok(None);
        }
        return Err(CarrierError::Rejected {
            carrier: CODE,
            code: track.status_code.clone(),
            message,
            retryable: false,
        });
    }
    let Some(header) = track.track_header.as_ref() else {
        return Err(CarrierError::parse(
            CODE,
            response,
            "no trackHeader in a successful answer",
        ));
    };
    let Some(awb) = non_empty(header.str_shipment_no.as_ref()) else {
        return Err(CarrierError::parse(
            CODE,
            response,
            "no strShipmentNo in trackHeader",
        ));
    };
    let scans: Vec<CarrierScan> = track.track_details.iter().filter_map(scan_of).collect();
    let delivered = scans
        .last()
        .is_some_and(|s| s.status == Some(ShipmentStatus::Delivered));
    let received_by = if delivered {
        non_empty(header.str_status_rel_name.as_ref())
            .or_else(|| non_empty(header.str_remarks.as_ref()))
    } else {
        None
    };
    Ok(Some(TrackedShipment {
        awb,
        reference: non_empty(header.str_ref_no.as_ref()),
        scans,
        carrier_edd: header
            .str_expected_delivery_date
            .as_deref()
            .and_then(dtdc_date),
        attempts: header
            .str_no_of_attempts
            .as_deref()
            .and_then(|a| a.trim().parse().ok()),
        received_by,
    }))
}

/// One `trackDetails` row as a scan; `None` when it carries no usable time.
fn scan_of(detail: &DtdcTrackDetail) -> Option<CarrierScan> {
    let at = dtdc_time(
        detail.str_action_date.as_deref().unwrap_or(""),
        detail.str_action_time.as_deref().unwrap_or(""),
    )?;
    let raw_code = detail.str_code.as_deref().unwrap_or("").trim();
    let action = detail.str_action.as_deref().unwrap_or("").trim();
    let remarks = detail.remarks.as_deref().unwrap_or("").trim();
    let location = detail.str_origin.clone();

    if status::carries_reason(raw_code) && !remarks.is_empty() {
        let (reason_code, reason_text) = match remarks.split_once('|') {
            Some((c, t)) => (Some(c.trim()), t.trim()),
            None => (None, remarks),
        };
        let description = if reason_text.is_empty() {
            action.to_string()
        } else {
            format!("{action} - {reason_text}")
        };
        let key = match reason_code.filter(|c| !c.is_empty()) {
            Some(c) => format!("{raw_code}{}{c}", status::REASON_SEPARATOR),
            None => raw_code.to_string(),
        };
        let mut scan = CarrierScan::from_table(STATUS_CODES, &key, &description, at, location);
        if scan.status.is_none() {
            // A reason code DTDC has not documented: still a failed attempt.
            if let Some(base) = lookup(STATUS_CODES, raw_code) {
                scan.status = Some(base.status);
                scan.ndr_reason = base.ndr_reason;
            }
        }
        return Some(scan);
    }
    Some(CarrierScan::from_table(
        STATUS_CODES,
        raw_code,
        action,
        at,
        location,
    ))
}

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

impl Authenticate for Dtdc {
    fn requires_login(&self) -> bool {
        true
    }

    fn build_login(&self, account: &Account) -> Result<HttpRequest, CarrierError> {
        let username = account.credential(CODE, "tracking_username")?;
        let password = account.credential(CODE, "tracking_password")?;
        Ok(HttpRequest::new(
            Method::Get,
            account.on_host("tracking_url", AUTH_PATH),
            "login",
        )
        .query(&[("username", username), ("password", password)]))
    }

    fn parse_login(
        &self,
        _account: &Account,
        response: &HttpResponse,
    ) -> Result<Token, CarrierError> {
        let refused = || CarrierError::Unauthorized {
            carrier: CODE,
            message: "the tracking username or password was refused".into(),
        };
        if is_auth_failure(response.status) {
            return Err(refused());
        }
        if !response.is_success() {
            // The body may echo what was sent; keep it out of the error.
            return Err(CarrierError::Rejected {
                carrier: CODE,
                code: Some(response.status.to_string()),
                message: format!("the tracking login answered HTTP {}", response.status),
                retryable: retryable_status(response.status),
            });
        }
        let text = response.text();
        let text = text.trim();
        let token = if text.starts_with('{') {
            serde_json::from_str::<DtdcTokenJson>(text)
                .ok()
                .and_then(|t| non_empty(t.token.as_ref()))
        } else {
            let upper = text.to_ascii_uppercase();
            let looks_like_error = text.is_empty()
                || text.starts_with('<')
                || text.contains(char::is_whitespace)
                || upper.contains("ERROR")
                || upper.contains("INVALID")
                || upper.contains("AUTHORIZED");
            (!looks_like_error).then(|| text.to_string())
        };
        token
            .map(|value| Token {
                value: Secret(value),
                expires_in: None,
            })
            .ok_or_else(refused)
    }
}

impl Serviceability for Dtdc {}
impl Rates for Dtdc {}
impl FetchAwbs for Dtdc {}
impl Pickup for Dtdc {}
impl Modify for Dtdc {}
impl NdrAction for Dtdc {}
impl Push for Dtdc {}

impl CreateShipment for Dtdc {
    fn build_create(
        &self,
        account: &Account,
        request: &CreateRequest<'_>,
    ) -> Result<HttpRequest, CarrierError> {
        let draft = request.draft;
        let reference = request.reference.trim();
        if reference.is_empty() {
            return Err(CarrierError::invalid(CODE, "the order reference is empty"));
        }
        let Some(first) = draft.parcels.first() else {
            return Err(CarrierError::invalid(
                CODE,
                "a shipment needs at least one parcel",
            ));
        };
        let dims = |p: &shipgate_domain::Parcel| match (p.length_cm, p.width_cm, p.height_cm) {
            (Some(l), Some(w), Some(h)) => Ok((l, w, h)),
            _ => Err(CarrierError::invalid(
                CODE,
                "DTDC requires length, width and height (cm) for every parcel",
            )),
        };
        let (length, width, height) = dims(first)?;
        let total_grams: u64 = draft
            .parcels
            .iter()
            .map(|p| u64::from(p.weight_grams))
            .sum();
        let declared = draft.declared_value.minor_units;
        let description = draft
            .parcels
            .iter()
            .find_map(|p| {
                p.description
                    .as_deref()
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
            })
            .unwrap_or("")
            .to_string();

        let pieces_detail = if draft.parcels.len() > 1 {
            let n = draft.parcels.len() as i64;
            let share = declared / n;
            let rest = declared - share * n;
            draft
                .parcels
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let (l, w, h) = dims(p)?;
                    Ok(DtdcPiece {
                        description: p
                            .description
                            .as_deref()
                            .map(str::trim)
                            .filter(|d| !d.is_empty())
                            .unwrap_or(&description)
                            .to_string(),
                        declared_value: rupees(if i == 0 { share + rest } else { share }),
                        weight: kilograms(u64::from(p.weight_grams)),
                        height: h.to_string(),
                        length: l.to_string(),
                        width: w.to_string(),
                    })
                })
                .collect::<Result<Vec<_>, CarrierError>>()?
        } else {
            Vec::new()
        };

        let (cod_collection_mode, cod_amount) = match draft.payment_mode {
            PaymentMode::Cod => {
                let amount = draft.cod_amount.as_ref().map_or(0, |m| m.minor_units);
                if amount <= 0 {
                    return Err(CarrierError::invalid(
                        CODE,
                        "a COD shipment needs a COD amount",
                    ));
                }
                ("CASH".to_string(), rupees(amount))
            }
            PaymentMode::Prepaid => (String::new(), String::new()),
        };

        let consignment = DtdcConsignment {
            customer_code: customer_code(account)?.to_string(),
            service_type_id: setting_or(account, "service_type_id", DEFAULT_SERVICE_TYPE)
                .to_string(),
            load_type: "NON-DOCUMENT".into(),
            consignment_type: "Forward".into(),
            description,
            dimension_unit: "cm".into(),
            length: length.to_string(),
            width: width.to_string(),
            height: height.to_string(),
            weight_unit: "kg".into(),
            weight: kilograms(total_grams),
            declared_value: rupees(declared),
            num_pieces: draft.parcels.len().to_string(),
            origin_details: party(&draft.pickup),
            destination_details: party(&draft.consignee),
            return_details: draft.return_address.as_ref().map(return_party),
            customer_reference_number: reference.to_string(),
            cod_collection_mode,
            cod_amount,
            commodity_id: setting_or(account, "commodity_id", DEFAULT_COMMODITY_ID).to_string(),
            is_risk_surcharge_applicable: false,
            reference_number: request.awb.map(str::trim).unwrap_or("").to_string(),
            pieces_detail,
        };
        let body = DtdcSoftdataRequest {
            consignments: vec![consignment],
        };
        let value =
            serde_json::to_value(&body).map_err(|e| CarrierError::invalid(CODE, e.to_string()))?;
        Ok(shipsy(account, Method::Post, SOFTDATA_PATH, "create")?
            .json(value)
            .retry(Retry::Never))
    }

    fn parse_create(
        &self,
        _account: &Account,
        request: &CreateRequest<'_>,
        response: &HttpResponse,
    ) -> Result<Booking, CarrierError> {
        if !response.is_success() {
            return Err(shipsy_error(response));
        }
        let parsed: DtdcSoftdataResponse = response.parse_json(CODE)?;
        let result = parsed
            .data
            .iter()
            .find(|d| {
                d.customer_reference_number.as_deref().map(str::trim)
                    == Some(request.reference.trim())
            })
            .or_else(|| parsed.data.first());
        let Some(result) = result else {
            // A 2xx without consignments may still be an error envelope.
            if let Ok(DtdcShipsyErrorEnvelope { error: Some(_) }) =
                serde_json::from_slice::<DtdcShipsyErrorEnvelope>(&response.body)
            {
                return Err(shipsy_error(response));
            }
            return Err(CarrierError::parse(
                CODE,
                response,
                "no consignment in the answer",
            ));
        };
        match (result.success, non_empty(result.reference_number.as_ref())) {
            (Some(true), Some(awb)) => Ok(Booking {
                awb,
                carrier_reference: None,
                routing_code: None,
                label_url: None,
            }),
            (Some(true), None) => Err(CarrierError::parse(
                CODE,
                response,
                "the consignment was accepted without a reference_number",
            )),
            _ => Err(CarrierError::Rejected {
                carrier: CODE,
                code: non_empty(result.reason.as_ref()),
                message: non_empty(result.message.as_ref())
                    .unwrap_or_else(|| "DTDC did not accept the consignment".into()),
                retryable: false,
            }),
        }
    }

    fn build_find_by_reference(
        &self,
        account: &Account,
        reference: &str,
    ) -> Result<HttpRequest, CarrierError> {
        tracking_request(account, "reference", reference, false, "find_by_reference")
    }

    fn parse_find_by_reference(
        &self,
        response: &HttpResponse,
    ) -> Result<Option<Booking>, CarrierError> {
        Ok(read_tracking(response)?.map(|t| Booking {
            awb: t.awb,
            carrier_reference: None,
            routing_code: None,
            label_url: None,
        }))
    }
}

impl Label for Dtdc {
    fn build_label(&self, account: &Account, awb: &str) -> Result<HttpRequest, CarrierError> {
        let awb = awb.trim();
        if awb.is_empty() {
            return Err(CarrierError::invalid(CODE, "no AWB"));
        }
        let label_code = setting_or(account, "label_code", DEFAULT_LABEL_CODE);
        Ok(shipsy(account, Method::Get, LABEL_PATH, "label")?.query(&[
            ("reference_number", awb),
            ("label_code", label_code),
            ("label_format", "pdf"),
        ]))
    }

    fn parse_label(&self, response: &HttpResponse) -> Result<LabelDocument, CarrierError> {
        if !response.is_success() {
            return Err(shipsy_error(response));
        }
        if response.body.starts_with(b"%PDF") {
            return Ok(LabelDocument::Pdf(response.body.clone()));
        }
        if let Ok(json) = serde_json::from_slice::<DtdcLabelResponse>(&response.body)
            && let Some(label) = non_empty(json.label.as_ref())
        {
            let label = label
                .strip_prefix("data:application/pdf;base64,")
                .unwrap_or(&label);
            let compact: String = label.chars().filter(|c| !c.is_whitespace()).collect();
            return base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map(LabelDocument::Pdf)
                .map_err(|e| {
                    CarrierError::parse(CODE, response, format!("label is not base64: {e}"))
                });
        }
        if let Ok(DtdcShipsyErrorEnvelope { error: Some(e) }) =
            serde_json::from_slice::<DtdcShipsyErrorEnvelope>(&response.body)
        {
            return Err(CarrierError::Rejected {
                carrier: CODE,
                code: non_empty(e.reason.as_ref()),
                message: non_empty(e.message.as_ref()).unwrap_or_else(|| "no label".into()),
                retryable: false,
            });
        }
        Err(CarrierError::parse(
            CODE,
            response,
            "neither a PDF nor a base64 label",
        ))
    }
}

impl Cancel for Dtdc {
    fn build_cancel(&self, account: &Account, awb: &str) -> Result<HttpRequest, CarrierError> {
        let awb = awb.trim();
        if awb.is_empty() {
            return Err(CarrierError::invalid(CODE, "no AWB"));
        }
        let body = DtdcCancelRequest {
            awb_no: vec![awb.to_string()],
            customer_code: customer_code(account)?.to_string(),
        };
        let value =
            serde_json::to_value(&body).map_err(|e| CarrierError::invalid(CODE, e.to_string()))?;
        Ok(shipsy(account, Method::Post, CANCEL_PATH, "cancel")?.json(value))
    }

    fn parse_cancel(&self, response: &HttpResponse) -> Result<CancelOutcome, CarrierError> {
        if !response.is_success() {
            return Err(shipsy_error(response));
        }
        let parsed: DtdcCancelResponse = response.parse_json(CODE)?;
        let refused = parsed
            .failure
            .iter()
            .chain(parsed.success_consignments.iter())
            .find(|r| r.success != Some(true));
        if let Some(r) = refused {
            return Err(CarrierError::Rejected {
                carrier: CODE,
                code: non_empty(r.reason.as_ref()),
                message: non_empty(r.message.as_ref())
                    .or_else(|| non_empty(r.reason.as_ref()))
                    .unwrap_or_else(|| "DTDC did not cancel the consignment".into()),
                retryable: false,
            });
        }
        if parsed.success == Some(true) {
            return Ok(CancelOutcome::Cancelled);
        }
        if let Ok(DtdcShipsyErrorEnvelope { error: Some(_) }) =
            serde_json::from_slice::<DtdcShipsyErrorEnvelope>(&response.body)
        {
            return Err(shipsy_error(response));
        }
        Err(CarrierError::Rejected {
            carrier: CODE,
            code: None,
            message: non_empty(parsed.message.as_ref())
                .unwrap_or_else(|| "DTDC did not cancel the consignment".into()),
            retryable: false,
        })
    }
}

impl Track for Dtdc {
    /// The tracking API takes one consignment number per call.
    fn max_track_batch(&self) -> usize {
        1
    }

    fn build_track(&self, account: &Account, awbs: &[String]) -> Result<HttpRequest, CarrierError> {
        match awbs {
            [awb] => tracking_request(account, "cnno", awb, true, "track"),
            [] => Err(CarrierError::invalid(CODE, "no AWB to track")),
            _ => Err(CarrierError::invalid(
                CODE,
                "DTDC tracks one consignment per call",
            )),
        }
    }

    /// An unknown consignment (HTTP 206, `NO DATA FOUND…`) yields no shipment.
    fn parse_track(&self, response: &HttpResponse) -> Result<Vec<TrackedShipment>, CarrierError> {
        Ok(read_tracking(response)?.into_iter().collect())
    }
}

impl Adapter for Dtdc {
    fn credential_names(&self) -> &'static [&'static str] {
        &["api_key", "tracking_username", "tracking_password"]
    }

    fn production_url(&self) -> &'static str {
        "https://dtdcapi.shipsy.io"
    }

    fn name(&self) -> &'static str {
        "DTDC"
    }

    fn capabilities(&self) -> &'static [Capability] {
        &[
            Capability::CreateShipment,
            Capability::Label,
            Capability::Cancel,
            Capability::TrackPull,
        ]
    }

    fn status_codes(&self) -> &'static [StatusCode] {
        STATUS_CODES
    }

    /// DTDC publishes no request-rate limits.
    fn rate_limits(&self) -> &'static [RateLimit] {
        &[]
    }
}
