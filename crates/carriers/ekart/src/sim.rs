//! Ekart's side of the simulator: reads requests in Ekart's format and
//! answers the way Ekart does, in exactly the shapes the adapter builds and
//! parses.

use serde_json::{Value, json};
use shipgate_carrier_core::http::{Body, HttpRequest, HttpResponse, IncomingRequest, Method};
use shipgate_carrier_core::scan::lookup;
use shipgate_carrier_core::sim::{
    Personality, SimCreate, SimError, SimErrorKind, SimNdr, SimOp, SimReply, SimScan, SimShipment,
};
use shipgate_domain::{NdrReason, PaymentMode, ShipmentStatus};

use crate::status::{NDR_CODES, TRACK_CODES, ndr_code_for, track_code_for};
use crate::transformers::{EkartTrack, EkartTrackDetail, EkartWebhook, paise_from_number};
use crate::{Ekart, SIGNATURE_HEADER, hex, signature};

const VALIDATION: &str = "SWIFT_VALIDATION_EXCEPTION";
const MALFORMED: &str = "SWIFT_MALFORMED_INPUT_EXCEPTION";
const NOT_FOUND: &str = "SWIFT_RESOURCE_NOT_FOUND_EXCEPTION";
/// Not documented: Ekart's 401 body is assumed to follow its `error` schema.
const UNAUTHORIZED: &str = "SWIFT_UNAUTHORIZED_EXCEPTION";

/// An answer in Ekart's `error` schema.
pub(crate) fn error(status: u16, exception: &str, description: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        &json!({
            "code": exception,
            "description": description,
            "message": exception,
            "severity": "ERROR",
            "statusCode": status,
        }),
    )
}

fn path_not_implemented(request: &IncomingRequest) -> HttpResponse {
    error(
        404,
        "PATH_NOT_IMPLEMENTED",
        &format!(
            "No handler defined for path '{}' and method {}",
            request.path_only(),
            request.method.as_str()
        ),
    )
}

fn decode_segment(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn authorized(request: &IncomingRequest) -> Result<(), HttpResponse> {
    let token = request
        .header_value("Authorization")
        .map(str::trim)
        .and_then(|v| {
            v.split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim())
        })
        .unwrap_or("");
    if token.is_empty() {
        Err(error(
            401,
            UNAUTHORIZED,
            "Full authentication is required to access this resource",
        ))
    } else {
        Ok(())
    }
}

fn json_object(request: &IncomingRequest) -> Result<&serde_json::Map<String, Value>, HttpResponse> {
    match &request.body {
        Body::Json(Value::Object(map)) => Ok(map),
        _ => Err(error(
            400,
            MALFORMED,
            "the request body is not a JSON object",
        )),
    }
}

fn text<'a>(map: &'a serde_json::Map<String, Value>, field: &str) -> Option<&'a str> {
    map.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn required<'a>(
    map: &'a serde_json::Map<String, Value>,
    field: &str,
) -> Result<&'a str, HttpResponse> {
    text(map, field)
        .ok_or_else(|| error(400, VALIDATION, &format!("{field} cannot be null or empty")))
}

fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_create(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let body = json_object(request)?;
    let reference = required(body, "order_number")?.to_string();
    let payment_mode = match required(body, "payment_mode")? {
        "COD" => PaymentMode::Cod,
        "Prepaid" => PaymentMode::Prepaid,
        other => {
            return Err(error(
                400,
                VALIDATION,
                &format!("payment_mode {other} is not supported here"),
            ));
        }
    };
    let cod_amount_minor = match payment_mode {
        PaymentMode::Cod => body
            .get("cod_amount")
            .and_then(paise_from_number)
            .ok_or_else(|| error(400, VALIDATION, "cod_amount cannot be null or empty"))?,
        PaymentMode::Prepaid => 0,
    };
    let consignee_name = required(body, "consignee_name")?.to_string();
    let drop = body
        .get("drop_location")
        .and_then(Value::as_object)
        .ok_or_else(|| error(400, VALIDATION, "drop_location cannot be null or empty"))?;
    let pin = integer(drop.get("pin"))
        .filter(|p| (100_000..=999_999).contains(p))
        .ok_or_else(|| error(400, VALIDATION, "drop_location.pin must be a valid pincode"))?;
    let weight = integer(body.get("weight"))
        .filter(|w| *w >= 1)
        .and_then(|w| u64::try_from(w).ok())
        .ok_or_else(|| error(400, VALIDATION, "weight must be greater than or equal to 1"))?;
    let pickup_location = body
        .get("pickup_location")
        .and_then(Value::as_object)
        .and_then(|p| text(p, "name"))
        .map(str::to_string);
    Ok(SimOp::Create(SimCreate {
        reference,
        awb: None,
        payment_mode,
        cod_amount_minor,
        consignee_name,
        consignee_postal_code: pin.to_string(),
        pickup_location,
        weight_grams: weight,
    }))
}

fn parse_ndr(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let body = json_object(request)?;
    let awb = required(body, "wbn")?.to_string();
    let instruction = match required(body, "action")? {
        "RTO" => SimNdr::ReturnToOrigin,
        "Re-Attempt" => {
            if integer(body.get("date")).is_none() {
                return Err(error(400, VALIDATION, "date is required for a Re-Attempt"));
            }
            if text(body, "address").is_some() {
                SimNdr::ChangeAddress
            } else if text(body, "phone").is_some() {
                SimNdr::ChangePhone
            } else {
                SimNdr::Reattempt
            }
        }
        other => {
            return Err(error(
                400,
                VALIDATION,
                &format!("action {other} is not one of Re-Attempt, RTO"),
            ));
        }
    };
    Ok(SimOp::Ndr { awb, instruction })
}

fn parse_label(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let body = json_object(request)?;
    let awb = body
        .get("ids")
        .and_then(Value::as_array)
        .and_then(|ids| ids.first())
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| error(400, VALIDATION, "ids must not be empty"))?;
    Ok(SimOp::Label {
        awb: awb.to_string(),
    })
}

fn parse_login(request: &IncomingRequest, client_id: &str) -> Result<SimOp, HttpResponse> {
    let denied = || error(401, UNAUTHORIZED, "Bad credentials");
    if decode_segment(client_id).is_none_or(|c| c.trim().is_empty()) {
        return Err(denied());
    }
    let Body::Json(Value::Object(body)) = &request.body else {
        return Err(denied());
    };
    if text(body, "username").is_some() && text(body, "password").is_some() {
        Ok(SimOp::Login)
    } else {
        Err(denied())
    }
}

fn millis(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

/// A scan's `status` and `ndrStatus` on Ekart's wire.
fn wire_codes(scan: &SimScan) -> (String, Option<String>) {
    if lookup(TRACK_CODES, scan.code).is_some() {
        let ndr = match (scan.status, scan.ndr_reason) {
            (ShipmentStatus::DeliveryFailed, Some(reason)) => ndr_code_for(reason)
                .or_else(|| ndr_code_for(NdrReason::Unknown))
                .map(|c| c.code.to_string()),
            _ => None,
        };
        (scan.code.to_string(), ndr)
    } else if let Some(ndr) = lookup(NDR_CODES, scan.code) {
        // An NDR status travels with the tracking status it qualifies.
        let status = track_code_for(ndr.status).map_or(scan.code, |c| c.code);
        (status.to_string(), Some(ndr.code.to_string()))
    } else {
        (scan.code.to_string(), None)
    }
}

fn edd_millis(shipment: &SimShipment) -> Option<i64> {
    shipment.edd.and_then(|d| {
        d.to_datetime(jiff::civil::Time::midnight())
            .to_zoned(shipgate_carrier_core::time::ist())
            .ok()
            .map(|z| z.timestamp().as_millisecond())
    })
}

fn render_track(shipment: &SimShipment) -> HttpResponse {
    let details: Vec<EkartTrackDetail> = shipment
        .scans
        .iter()
        .map(|s| {
            let (status, ndr_status) = wire_codes(s);
            EkartTrackDetail {
                status: Some(status),
                ctime: Some(millis(s.at)),
                desc: Some(s.description.to_string()),
                location: Some(s.location.clone()),
                ndr_status,
            }
        })
        .collect();
    let latest = details.last().cloned().unwrap_or_default();
    let undelivered = shipment
        .latest()
        .is_some_and(|s| s.status == ShipmentStatus::DeliveryFailed);
    let track = EkartTrack {
        status: latest.status,
        ctime: latest.ctime,
        pickup_time: None,
        desc: latest.desc,
        location: latest.location,
        ndr_status: latest.ndr_status,
        attempts: Some(i64::from(shipment.attempts)),
        ndr_actions: if undelivered {
            vec!["Re-Attempt".to_string(), "RTO".to_string()]
        } else {
            Vec::new()
        },
        details,
    };
    let mut body = json!({
        "_id": shipment.awb,
        "order_number": shipment.reference,
        "track": track,
    });
    if let (Some(edd), Some(map)) = (edd_millis(shipment), body.as_object_mut()) {
        map.insert("edd".to_string(), json!(edd));
    }
    HttpResponse::json(200, &body)
}

fn ack(status: bool, remark: &str, tracking_id: &str) -> Value {
    json!({"remark": remark, "status": status, "tracking_id": tracking_id})
}

fn render_error(op: &SimOp, e: &SimError) -> HttpResponse {
    match (e.kind, op) {
        // Business refusals of acknowledged calls come back as `status: false`.
        (SimErrorKind::Refused, SimOp::Cancel { awb }) => {
            HttpResponse::json(200, &json!({ "data": [ack(false, &e.message, awb)] }))
        }
        (SimErrorKind::Refused, SimOp::Ndr { awb, .. }) => {
            HttpResponse::json(200, &ack(false, &e.message, awb))
        }
        (SimErrorKind::Refused, SimOp::Create(_)) => {
            HttpResponse::json(200, &json!({"remark": e.message, "status": false}))
        }
        (SimErrorKind::Unauthorized, _) => error(401, UNAUTHORIZED, &e.message),
        (SimErrorKind::NotFound, _) => error(404, NOT_FOUND, &e.message),
        (SimErrorKind::Invalid | SimErrorKind::Refused, _) => error(400, VALIDATION, &e.message),
    }
}

impl Personality for Ekart {
    fn sim_parse(&self, request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        let path = request.path_only();
        let method = request.method;
        if let Some(client_id) = path.strip_prefix("/integrations/v2/auth/token/") {
            if method != Method::Post {
                return Err(path_not_implemented(request));
            }
            return parse_login(request, client_id);
        }
        if let Some(id) = path.strip_prefix("/api/v1/track/") {
            if method != Method::Get {
                return Err(path_not_implemented(request));
            }
            // An open API: no token needed.
            let awb = decode_segment(id)
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty() && !a.contains('/'))
                .ok_or_else(|| path_not_implemented(request))?;
            return Ok(SimOp::Track {
                awbs: vec![awb],
                references: Vec::new(),
            });
        }
        if let Some(pin) = path.strip_prefix("/api/v2/serviceability/") {
            if method != Method::Get {
                return Err(path_not_implemented(request));
            }
            authorized(request)?;
            let pin = pin.trim();
            if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error(400, MALFORMED, "pincode must be an integer"));
            }
            return Ok(SimOp::Serviceability {
                postal_code: pin.to_string(),
            });
        }
        match (method, path) {
            (Method::Put, "/api/v1/package/create") => {
                authorized(request)?;
                parse_create(request)
            }
            (Method::Delete, "/api/v1/package/cancel") => {
                authorized(request)?;
                let awb = request
                    .query_param("tracking_id")
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| error(400, VALIDATION, "tracking_id cannot be null or empty"))?;
                Ok(SimOp::Cancel { awb })
            }
            (Method::Post, "/api/v1/package/label") => {
                authorized(request)?;
                parse_label(request)
            }
            (Method::Post, "/api/v2/package/ndr") => {
                authorized(request)?;
                parse_ndr(request)
            }
            _ => Err(path_not_implemented(request)),
        }
    }

    fn sim_render(&self, op: &SimOp, reply: &SimReply) -> HttpResponse {
        match (op, reply) {
            (_, SimReply::Error(e)) => render_error(op, e),
            (SimOp::Login, SimReply::Token { token }) => HttpResponse::json(
                200,
                &json!({
                    "access_token": token,
                    "expires_in": 86_400,
                    "scope": "core:all",
                    "token_type": "Bearer",
                }),
            ),
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
                    "barcodes": {"order": reference, "wbn": awb},
                    "remark": "Successfully created shipment",
                    "status": true,
                    "tracking_id": awb,
                    "vendor": "EKART",
                }),
            ),
            // Ekart documents no de-duplication on the order number; a
            // repeat is refused rather than answered with the first booking.
            (
                SimOp::Create(_),
                SimReply::Created {
                    reference,
                    duplicate: true,
                    ..
                },
            ) => error(
                400,
                VALIDATION,
                &format!("order_number {reference} already exists"),
            ),
            (SimOp::Track { .. }, SimReply::Tracked(shipments)) => match shipments.first() {
                Some(shipment) => render_track(shipment),
                None => error(404, NOT_FOUND, "shipment not found"),
            },
            (SimOp::Label { .. }, SimReply::Label { pdf, .. }) => HttpResponse {
                status: 200,
                headers: vec![(
                    "content-type".to_string(),
                    "application/octet-stream".to_string(),
                )],
                body: pdf.clone(),
            },
            (SimOp::Cancel { awb }, SimReply::Cancelled { rto }) => {
                let remark = if *rto {
                    "Shipment already picked up; RTO requested"
                } else {
                    "Shipment cancelled successfully"
                };
                HttpResponse::json(200, &json!({ "data": [ack(true, remark, awb)] }))
            }
            (SimOp::Ndr { awb, .. }, SimReply::NdrAccepted { .. }) => {
                HttpResponse::json(200, &ack(true, "NDR action recorded", awb))
            }
            (SimOp::Serviceability { postal_code }, SimReply::Serviceable(records)) => {
                let pincode = postal_code.parse::<i64>().unwrap_or_default();
                match records.first() {
                    None => HttpResponse::json(
                        200,
                        &json!({
                            "pincode": pincode,
                            "remark": "Pincode is not serviceable",
                            "status": false,
                        }),
                    ),
                    Some(r) => HttpResponse::json(
                        200,
                        &json!({
                            "details": {
                                "city": "",
                                "cod": r.cod,
                                "forward_drop": r.prepaid || r.cod,
                                "forward_pickup": r.pickup,
                                "max_cod_amount": r.max_cod_minor.map_or(0, |m| m / 100),
                                "reverse_drop": r.pickup,
                                "reverse_pickup": r.reverse,
                                "state": "",
                            },
                            "pincode": pincode,
                            "remark": "Pincode is serviceable",
                            "status": true,
                        }),
                    ),
                }
            }
            _ => error(
                500,
                "SWIFT_INTERNAL_SERVER_EXCEPTION",
                "the simulator has no answer for this request",
            ),
        }
    }

    fn sim_awb(&self, serial: u64) -> String {
        // Ekart tracking ids: six digits, two letters, seven digits (`501346BN6838925`).
        format!("500999EK{serial:07}")
    }

    fn sim_push(
        &self,
        secret: &str,
        shipment: &SimShipment,
        new_scans: &[SimScan],
    ) -> Option<HttpRequest> {
        // `track_updated` describes one update: the latest. The JSON content
        // type comes with the body.
        let latest = new_scans.last()?;
        let (status, ndr_status) = wire_codes(latest);
        let hook = EkartWebhook {
            attempts: Some(shipment.attempts.to_string()),
            channel_id: None,
            ctime: Some(millis(latest.at)),
            desc: Some(latest.description.to_string()),
            edd: edd_millis(shipment),
            id: Some(shipment.awb.clone()),
            location: Some(latest.location.clone()),
            ndr_status,
            order_number: Some(shipment.reference.clone()),
            pickup_time: None,
            status: Some(status),
            vendor: None,
            wbn: Some(shipment.awb.clone()),
        };
        let body = Body::Json(serde_json::to_value(&hook).ok()?);
        let (_, bytes) = body.encode();
        Some(
            HttpRequest::new(Method::Post, "", "push")
                .header(SIGNATURE_HEADER, hex(&signature(secret, &bytes)))
                .body(body),
        )
    }
}
