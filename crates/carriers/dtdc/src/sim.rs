//! DTDC's side of the simulator: reads the requests [`crate::Dtdc`] builds and
//! answers in DTDC's formats (Shipsy envelopes for bookings, the REST
//! Tracking API's JSON and Spring errors for tracking, a bare-text token).
//!
//! Scan times are rendered as DTDC does, `DDMMYYYY` + `HHMM` IST, so they
//! come back truncated to the minute.

use serde_json::{Value, json};
use shipgate_carrier_core::Method;
use shipgate_carrier_core::http::{Body, HttpResponse, IncomingRequest};
use shipgate_carrier_core::scan::lookup;
use shipgate_carrier_core::sim::{
    Personality, SimCreate, SimError, SimErrorKind, SimOp, SimReply, SimScan, SimShipment,
};
use shipgate_carrier_core::time::ist;
use shipgate_domain::PaymentMode;

use crate::status::{self, STATUS_CODES};
use crate::transformers::{DtdcCancelRequest, DtdcSoftdataRequest, DtdcTrackRequest};
use crate::{AUTH_PATH, CANCEL_PATH, Dtdc, LABEL_PATH, SOFTDATA_PATH, TRACK_PATH, parse_scaled};

/// The reason a duplicate order reference is refused with (inferred).
pub const DUPLICATE_REASON: &str = "CONSIGNMENT_ALREADY_EXISTS";
/// The reason a cancel after pickup is refused with (inferred).
pub const CANCEL_REFUSED_REASON: &str = "CANCELLATION_NOT_ALLOWED";
pub const NOT_FOUND_REASON: &str = "CONSIGNMENT_NOT_FOUND";
/// DTDC's documented refusal reason for a consignment's data.
pub const WRONG_INPUT: &str = "WRONG_INPUT";

fn shipsy_error(status: u16, reason: &str, message: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        &json!({"error": {"message": message, "statusCode": status, "reason": reason}}),
    )
}

fn wrong_api_key() -> HttpResponse {
    shipsy_error(401, "WRONG_API_KEY", "Wrong api key")
}

fn tracking_unauthorized(path: &str) -> HttpResponse {
    HttpResponse::json(
        401,
        &json!({
            "timestamp": "2025-01-01T00:00:00.000+00:00",
            "status": 401,
            "error": "Unauthorized",
            "message": "Unauthorized: Authentication token was either missing or invalid.",
            "path": path,
        }),
    )
}

fn tracking_failure(status: u16, number: &str, message: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        &json!({
            "statusCode": status,
            "statusFlag": false,
            "status": "FAILED",
            "errorDetails": [
                {"name": "strShipmentNo", "value": number},
                {"name": "strError", "value": message},
            ],
            "trackHeader": null,
            "trackDetails": null,
        }),
    )
}

fn tracking_not_found(number: &str) -> HttpResponse {
    tracking_failure(206, number, "NO DATA FOUND FOR THIS CNNO NUMBER")
}

fn text(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: body.as_bytes().to_vec(),
    }
}

fn json_body(body: &Body) -> Option<Value> {
    match body {
        Body::Json(v) => Some(v.clone()),
        Body::Xml(s) => serde_json::from_str(s).ok(),
        _ => None,
    }
}

fn header_present(request: &IncomingRequest, name: &str) -> bool {
    request
        .header_value(name)
        .is_some_and(|v| !v.trim().is_empty())
}

fn parse_create(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let bad = |m: &str| shipsy_error(400, WRONG_INPUT, m);
    let value = json_body(&request.body).ok_or_else(|| bad("request body must be JSON"))?;
    let body: DtdcSoftdataRequest =
        serde_json::from_value(value).map_err(|e| bad(&format!("invalid consignment: {e}")))?;
    let [c] = body.consignments.as_slice() else {
        return Err(bad("exactly one consignment expected"));
    };
    if c.customer_code.trim().is_empty() || c.customer_reference_number.trim().is_empty() {
        return Err(bad(
            "customer_code and customer_reference_number are required",
        ));
    }
    let weight_grams = parse_scaled(&c.weight, 3)
        .filter(|g| *g > 0)
        .and_then(|g| u64::try_from(g).ok())
        .ok_or_else(|| bad("Invalid weight - It should be number format"))?;
    let cod_amount_minor = if c.cod_amount.trim().is_empty() {
        0
    } else {
        parse_scaled(&c.cod_amount, 2)
            .filter(|a| *a >= 0)
            .ok_or_else(|| bad("Invalid COD amount - It should be number format"))?
    };
    let payment_mode = if c.cod_collection_mode.trim().is_empty() && cod_amount_minor == 0 {
        PaymentMode::Prepaid
    } else {
        PaymentMode::Cod
    };
    Ok(SimOp::Create(SimCreate {
        reference: c.customer_reference_number.trim().to_string(),
        awb: Some(c.reference_number.trim())
            .filter(|a| !a.is_empty())
            .map(str::to_string),
        payment_mode,
        cod_amount_minor,
        consignee_name: c.destination_details.name.clone(),
        consignee_postal_code: c.destination_details.pincode.clone(),
        pickup_location: None,
        weight_grams,
    }))
}

fn parse_cancel(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let bad = |m: &str| shipsy_error(400, WRONG_INPUT, m);
    let value = json_body(&request.body).ok_or_else(|| bad("request body must be JSON"))?;
    let body: DtdcCancelRequest =
        serde_json::from_value(value).map_err(|e| bad(&format!("invalid request: {e}")))?;
    if body.customer_code.trim().is_empty() {
        return Err(bad("customerCode is required"));
    }
    match body.awb_no.as_slice() {
        [awb] if !awb.trim().is_empty() => Ok(SimOp::Cancel {
            awb: awb.trim().to_string(),
        }),
        _ => Err(bad("exactly one AWBNo expected")),
    }
}

fn parse_track(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let bad = |m: &str| tracking_failure(400, "", m);
    let value = json_body(&request.body).ok_or_else(|| bad("request body must be JSON"))?;
    let body: DtdcTrackRequest =
        serde_json::from_value(value).map_err(|e| bad(&format!("invalid request: {e}")))?;
    let number = body.strcnno.trim().to_string();
    if number.is_empty() {
        return Err(bad("strcnno is required"));
    }
    match body.trk_type.as_str() {
        "cnno" => Ok(SimOp::Track {
            awbs: vec![number],
            references: Vec::new(),
        }),
        "reference" => Ok(SimOp::Track {
            awbs: Vec::new(),
            references: vec![number],
        }),
        _ => Err(bad("trkType must be cnno or reference")),
    }
}

/// `DDMMYYYY` and `HHMM`, IST.
fn dtdc_date_time(at: jiff::Timestamp) -> (String, String) {
    let zoned = at.to_zoned(ist());
    (
        zoned.strftime("%d%m%Y").to_string(),
        zoned.strftime("%H%M").to_string(),
    )
}

/// A scan as a `trackDetails` row. A table key `NONDLV:PNA` becomes the scan
/// `NONDLV` with `PNA|<reason text>` in `sTrRemarks`.
fn render_scan(scan: &SimScan) -> Value {
    let (base, reason) = status::split_key(scan.code);
    let action = lookup(STATUS_CODES, base).map_or(scan.description, |c| c.description);
    let remarks = match reason {
        Some(reason) => {
            let prefix = format!("{action} - ");
            let reason_text = scan
                .description
                .strip_prefix(prefix.as_str())
                .unwrap_or(scan.description);
            format!("{reason}|{reason_text}")
        }
        None => String::new(),
    };
    let (date, time) = dtdc_date_time(scan.at);
    json!({
        "strCode": base,
        "strAction": action,
        "strManifestNo": "",
        "strOrigin": scan.location,
        "strDestination": "",
        "strActionDate": date,
        "strActionTime": time,
        "sTrRemarks": remarks,
    })
}

fn render_tracked(shipment: &SimShipment) -> HttpResponse {
    let latest = shipment.latest();
    let (status_on, status_time) = latest.map(|s| dtdc_date_time(s.at)).unwrap_or_default();
    let status_text = latest.map_or("Booked", |s| {
        let (base, _) = status::split_key(s.code);
        lookup(STATUS_CODES, base).map_or(s.description, |c| c.description)
    });
    let edd = shipment
        .edd
        .map(|d| d.strftime("%d%m%Y").to_string())
        .unwrap_or_default();
    HttpResponse::json(
        200,
        &json!({
            "statusCode": 200,
            "statusFlag": true,
            "status": "SUCCESS",
            "errorDetails": null,
            "trackHeader": {
                "strShipmentNo": shipment.awb,
                "strRefNo": shipment.reference,
                "strCNType": "",
                "strCNProduct": "",
                "strCNProdCODFOD": if shipment.payment_mode == PaymentMode::Cod { "COD" } else { "" },
                "strOrigin": "",
                "strOriginRemarks": "Booked By",
                "strDestination": shipment.destination_postal_code,
                "strStatus": status_text,
                "strStatusTransOn": status_on,
                "strStatusTransTime": status_time,
                "strStatusRelCode": "",
                "strStatusRelName": "",
                "strRemarks": "",
                "strNoOfAttempts": shipment.attempts.to_string(),
                "strRtoNumber": "",
                "strExpectedDeliveryDate": edd,
            },
            "trackDetails": shipment.scans.iter().map(render_scan).collect::<Vec<_>>(),
        }),
    )
}

fn render_error(op: &SimOp, error: &SimError) -> HttpResponse {
    let message = error.message.as_str();
    match op {
        SimOp::Login => match error.kind {
            SimErrorKind::Unauthorized => text(401, "Not Authorized"),
            _ => text(400, message),
        },
        SimOp::Track { awbs, references } => {
            let number = awbs
                .first()
                .or(references.first())
                .map_or("", String::as_str);
            match error.kind {
                SimErrorKind::Unauthorized => tracking_unauthorized(TRACK_PATH),
                SimErrorKind::NotFound => tracking_not_found(number),
                SimErrorKind::Invalid | SimErrorKind::Refused => {
                    tracking_failure(400, number, message)
                }
            }
        }
        _ if error.kind == SimErrorKind::Unauthorized => wrong_api_key(),
        SimOp::Create(create) => HttpResponse::json(
            200,
            &json!({
                "status": "OK",
                "data": [{
                    "success": false,
                    "reason": WRONG_INPUT,
                    "message": message,
                    "customer_reference_number": create.reference,
                    "reference_number": "",
                }],
            }),
        ),
        SimOp::Cancel { awb } => {
            let reason = match error.kind {
                SimErrorKind::NotFound => NOT_FOUND_REASON,
                SimErrorKind::Refused => CANCEL_REFUSED_REASON,
                _ => WRONG_INPUT,
            };
            HttpResponse::json(
                200,
                &json!({
                    "status": "OK",
                    "success": false,
                    "failure": [{"AWBNo": awb, "success": false, "reason": reason, "message": message}],
                }),
            )
        }
        _ => match error.kind {
            SimErrorKind::NotFound => shipsy_error(404, NOT_FOUND_REASON, message),
            _ => shipsy_error(400, WRONG_INPUT, message),
        },
    }
}

impl Personality for Dtdc {
    /// Dtdc cancels only before pickup; later it refuses (no return is started).
    fn sim_cancel_after_pickup_returns(&self) -> bool {
        false
    }

    fn sim_parse(&self, request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        let path = request.path_only();
        match (request.method, path) {
            (Method::Get, AUTH_PATH) => {
                let given = |name: &str| {
                    request
                        .query_param(name)
                        .is_some_and(|v| !v.trim().is_empty())
                };
                if given("username") && given("password") {
                    Ok(SimOp::Login)
                } else {
                    Err(text(401, "Not Authorized"))
                }
            }
            (Method::Post, TRACK_PATH) => {
                if !header_present(request, "X-Access-Token") {
                    return Err(tracking_unauthorized(path));
                }
                parse_track(request)
            }
            (Method::Post, SOFTDATA_PATH)
            | (Method::Post, CANCEL_PATH)
            | (Method::Get, LABEL_PATH) => {
                if !header_present(request, "api-key") {
                    return Err(wrong_api_key());
                }
                match path {
                    SOFTDATA_PATH => parse_create(request),
                    CANCEL_PATH => parse_cancel(request),
                    _ => {
                        let awb = request.query_param("reference_number").unwrap_or_default();
                        let label_code = request.query_param("label_code").unwrap_or_default();
                        if awb.trim().is_empty() || label_code.trim().is_empty() {
                            Err(shipsy_error(
                                400,
                                WRONG_INPUT,
                                "reference_number and label_code are required",
                            ))
                        } else {
                            Ok(SimOp::Label {
                                awb: awb.trim().to_string(),
                            })
                        }
                    }
                }
            }
            (_, p) if p.starts_with("/dtdc-api/") => Err(HttpResponse::json(
                404,
                &json!({
                    "timestamp": "2025-01-01T00:00:00.000+00:00",
                    "status": 404,
                    "error": "Not Found",
                    "path": p,
                }),
            )),
            _ => Err(shipsy_error(404, "NOT_FOUND", "Not Found")),
        }
    }

    fn sim_render(&self, op: &SimOp, reply: &SimReply) -> HttpResponse {
        match (op, reply) {
            (_, SimReply::Error(error)) => render_error(op, error),
            (SimOp::Login, SimReply::Token { token }) => text(200, token),
            (
                SimOp::Create(_),
                SimReply::Created {
                    awb,
                    reference,
                    duplicate: false,
                    ..
                },
            ) => HttpResponse::json(
                200,
                &json!({
                    "status": "OK",
                    "data": [{
                        "success": true,
                        "reference_number": awb,
                        "courier_partner": null,
                        "courier_account": "",
                        "courier_partner_reference_number": null,
                        "chargeable_weight": null,
                        "self_pickup_enabled": true,
                        "customer_reference_number": reference,
                        "pieces": [{"reference_number": format!("{awb}001"), "product_code": ""}],
                        "barCodeData": "",
                    }],
                }),
            ),
            // DTDC's answer to a repeated order reference carries no AWB; the
            // runtime finds the original with `find_by_reference`.
            (
                SimOp::Create(_),
                SimReply::Created {
                    reference,
                    duplicate: true,
                    ..
                },
            ) => HttpResponse::json(
                200,
                &json!({
                    "status": "OK",
                    "data": [{
                        "success": false,
                        "reason": DUPLICATE_REASON,
                        "message": format!("Consignment with customer reference number {reference} already exists"),
                        "customer_reference_number": reference,
                        "reference_number": "",
                    }],
                }),
            ),
            (SimOp::Track { awbs, references }, SimReply::Tracked(shipments)) => {
                match shipments.first() {
                    Some(shipment) => render_tracked(shipment),
                    None => tracking_not_found(
                        awbs.first()
                            .or(references.first())
                            .map_or("", String::as_str),
                    ),
                }
            }
            (SimOp::Label { .. }, SimReply::Label { pdf, .. }) => HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/pdf".into())],
                body: pdf.clone(),
            },
            (SimOp::Cancel { awb }, SimReply::Cancelled { rto: false }) => HttpResponse::json(
                200,
                &json!({
                    "status": "OK",
                    "success": true,
                    "successConsignments": [{"success": true, "reference_number": awb}],
                }),
            ),
            // DTDC cancels only before pickup; it never turns a cancel into an RTO.
            (SimOp::Cancel { awb }, SimReply::Cancelled { rto: true }) => render_error(
                op,
                &SimError::new(
                    SimErrorKind::Refused,
                    format!("Consignment {awb} is already picked up and cannot be cancelled"),
                ),
            ),
            _ => shipsy_error(500, "INTERNAL_SERVER_ERROR", "unexpected simulator reply"),
        }
    }

    /// DTDC consignment numbers: one letter and eight digits (`D12345678`).
    fn sim_awb(&self, serial: u64) -> String {
        format!("D{:08}", serial % 100_000_000)
    }
}
