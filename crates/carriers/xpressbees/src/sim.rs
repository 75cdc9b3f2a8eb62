//! Xpressbees' side of the simulator: reads requests in its format and answers
//! the way it does.
//!
//! Errors use the carrier's envelope `{status: false, message}`: 401 for a
//! missing login or token, 400 for a malformed request, 404 for an unknown
//! route or shipment, 200 with `status: false` for a business refusal
//! (duplicate order number, cancel after pickup, NDR action refused).

use serde_json::{Value, json};
use shipgate_carrier_core::http::{Body, HttpRequest, HttpResponse, IncomingRequest, Method};
use shipgate_carrier_core::sim::{
    Personality, SimCreate, SimError, SimErrorKind, SimNdr, SimOp, SimReply, SimScan, SimShipment,
};
use shipgate_carrier_core::time;
use shipgate_domain::{PaymentMode, ShipmentStatus};

use crate::status::{remark_for, status_word};
use crate::transformers::*;
use crate::{SIGNATURE_HEADER, Xpressbees, decode_segment, sign};

fn error(status: u16, message: &str) -> HttpResponse {
    HttpResponse::json(status, &json!({"status": false, "message": message}))
}

fn request_json(request: &IncomingRequest) -> Result<Value, HttpResponse> {
    match &request.body {
        Body::Json(v) => Ok(v.clone()),
        Body::Xml(s) => serde_json::from_str(s).map_err(|_| error(400, "Invalid JSON body")),
        _ => Err(error(400, "Invalid JSON body")),
    }
}

fn required(v: &Value, path: &[&str]) -> Result<String, HttpResponse> {
    let mut at = v;
    for key in path {
        at = at.get(key).unwrap_or(&Value::Null);
    }
    text(at).ok_or_else(|| error(400, &format!("The {} field is required.", path.join("."))))
}

/// `YYYY-MM-DD HH:MM:SS`, IST, as Xpressbees writes event times.
fn event_time(scan: &SimScan) -> String {
    time::ist_local(scan.at).replace('T', " ")
}

/// The message of a scan: the remark of its NDR reason for a failed delivery.
fn message(scan: &SimScan) -> String {
    if scan.status == ShipmentStatus::DeliveryFailed
        && let Some(remark) = scan.ndr_reason.and_then(remark_for)
    {
        return remark.to_string();
    }
    scan.description.to_string()
}

fn tracking(shipment: &SimShipment) -> Value {
    let history: Vec<Value> = shipment
        .scans
        .iter()
        .map(|s| {
            json!({
                "status_code": s.code,
                "location": s.location,
                "event_time": event_time(s),
                "message": message(s),
            })
        })
        .collect();
    let status = shipment
        .latest()
        .map(|s| status_word(s.status).unwrap_or(s.code))
        .unwrap_or("booked");
    json!({
        "status": true,
        "data": {
            "awb_number": shipment.awb,
            "order_number": shipment.reference,
            "status": status,
            "rto_status": "",
            "rto_awb": "",
            "history": history,
        }
    })
}

fn sim_error(op: &SimOp, e: &SimError) -> HttpResponse {
    let status = match e.kind {
        SimErrorKind::Unauthorized => 401,
        SimErrorKind::Invalid => 400,
        SimErrorKind::NotFound => 404,
        SimErrorKind::Refused => 200,
    };
    if matches!(op, SimOp::Ndr { .. }) && status == 200 {
        return HttpResponse::json(200, &json!([{"status": false, "message": e.message}]));
    }
    error(status, &e.message)
}

impl Personality for Xpressbees {
    fn sim_parse(&self, request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        let path = request.path_only().trim_end_matches('/');
        if request.method == Method::Post && path == "/api/users/login" {
            let login: XpressbeesLoginRequest = serde_json::from_value(request_json(request)?)
                .map_err(|_| error(400, "Invalid JSON body"))?;
            if login.email.trim().is_empty() || login.password.is_empty() {
                return Err(error(401, "Invalid email or password"));
            }
            return Ok(SimOp::Login);
        }
        let token = request
            .header_value("Authorization")
            .and_then(|v| v.trim().strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        if token.is_empty() {
            return Err(error(
                401,
                "Unauthorized access. Token is missing or invalid.",
            ));
        }
        if request.method == Method::Get
            && let Some(id) = path.strip_prefix("/api/shipments2/track/")
        {
            let id = decode_segment(id);
            if id.trim().is_empty() || id.contains('/') {
                return Err(error(404, "Route not found"));
            }
            // The endpoint takes an AWB or an order number.
            return Ok(SimOp::Track {
                awbs: vec![id.clone()],
                references: vec![id],
            });
        }
        if request.method != Method::Post {
            return Err(error(404, "Route not found"));
        }
        let body = request_json(request)?;
        match path {
            "/api/shipments2" => {
                let reference = required(&body, &["order_number"])?;
                let payment_mode = match required(&body, &["payment_type"])?.as_str() {
                    "cod" => PaymentMode::Cod,
                    "prepaid" => PaymentMode::Prepaid,
                    _ => return Err(error(400, "The payment_type field must be cod or prepaid.")),
                };
                let cod_amount_minor = match payment_mode {
                    PaymentMode::Cod => body
                        .get("collectable_amount")
                        .and_then(paise)
                        .filter(|a| *a > 0)
                        .ok_or_else(|| {
                            error(400, "The collectable_amount field is required for cod.")
                        })?,
                    PaymentMode::Prepaid => 0,
                };
                let weight_grams = body
                    .get("package_weight")
                    .and_then(whole_number)
                    .filter(|w| *w > 0)
                    .ok_or_else(|| error(400, "The package_weight field is required."))?;
                Ok(SimOp::Create(SimCreate {
                    reference,
                    awb: None,
                    payment_mode,
                    cod_amount_minor,
                    consignee_name: required(&body, &["consignee", "name"])?,
                    consignee_postal_code: required(&body, &["consignee", "pincode"])?,
                    pickup_location: Some(required(&body, &["pickup", "warehouse_name"])?),
                    weight_grams,
                }))
            }
            "/api/shipments2/cancel" => Ok(SimOp::Cancel {
                awb: required(&body, &["awb"])?,
            }),
            "/api/ndr/create" => {
                let first = body
                    .as_array()
                    .and_then(|items| items.first())
                    .cloned()
                    .ok_or_else(|| error(400, "Expected a list of NDR actions."))?;
                let action: XpressbeesNdrAction =
                    serde_json::from_value(first).map_err(|_| error(400, "Invalid NDR action."))?;
                let instruction = match action.action.as_str() {
                    "re-attempt" => SimNdr::Reattempt,
                    "change_address" => SimNdr::ChangeAddress,
                    "change_phone" => SimNdr::ChangePhone,
                    _ => return Err(error(400, "Invalid action.")),
                };
                if action.awb.trim().is_empty() {
                    return Err(error(400, "The awb field is required."));
                }
                Ok(SimOp::Ndr {
                    awb: action.awb,
                    instruction,
                })
            }
            "/api/courier/serviceability" => Ok(SimOp::Serviceability {
                postal_code: required(&body, &["destination"])?,
            }),
            _ => Err(error(404, "Route not found")),
        }
    }

    fn sim_render(&self, op: &SimOp, reply: &SimReply) -> HttpResponse {
        match (op, reply) {
            (_, SimReply::Error(e)) => sim_error(op, e),
            (SimOp::Login, SimReply::Token { token }) => {
                HttpResponse::json(200, &json!({"status": true, "data": token}))
            }
            (SimOp::Create(create), SimReply::Created { awb, duplicate, .. }) => {
                if *duplicate {
                    return error(200, "Order number already exists.");
                }
                let id: String = awb.chars().filter(char::is_ascii_digit).collect();
                HttpResponse::json(
                    200,
                    &json!({
                        "status": true,
                        "message": "Shipment created successfully",
                        "data": {
                            "order_id": id,
                            "shipment_id": id,
                            "awb_number": awb,
                            "courier_id": "1",
                            "courier_name": "Xpressbees Surface",
                            "status": "booked",
                            "payment_type": match create.payment_mode {
                                PaymentMode::Cod => "cod",
                                PaymentMode::Prepaid => "prepaid",
                            },
                            "label": Value::Null,
                        }
                    }),
                )
            }
            (SimOp::Track { .. }, SimReply::Tracked(shipments)) => match shipments.first() {
                Some(shipment) => HttpResponse::json(200, &tracking(shipment)),
                None => error(404, "Shipment not found"),
            },
            (SimOp::Cancel { .. }, SimReply::Cancelled { rto }) => HttpResponse::json(
                200,
                &json!({
                    "status": true,
                    "message": if *rto { "Shipment picked up; RTO initiated" } else { "Shipment Cancelled" },
                }),
            ),
            (SimOp::Ndr { .. }, SimReply::NdrAccepted { .. }) => HttpResponse::json(
                200,
                &json!([{"status": true, "message": "NDR action submitted successfully"}]),
            ),
            (SimOp::Serviceability { .. }, SimReply::Serviceable(records)) => {
                let services: Vec<Value> = records
                    .iter()
                    .filter(|r| r.prepaid || r.cod)
                    .enumerate()
                    .map(|(i, r)| {
                        let cod = if r.cod { 30 } else { 0 };
                        json!({
                            "id": (i + 1).to_string(),
                            "name": if r.oda { "Xpressbees Surface ODA" } else { "Xpressbees Surface" },
                            "freight_charges": 45,
                            "cod_charges": cod,
                            "total_charges": 45 + cod,
                            "min_weight": 500,
                            "chargeable_weight": 500,
                        })
                    })
                    .collect();
                HttpResponse::json(200, &json!({"status": true, "data": services}))
            }
            _ => error(500, "Something went wrong"),
        }
    }

    fn sim_awb(&self, serial: u64) -> String {
        // Xpressbees AWBs are 14-digit numbers.
        format!("1418{:010}", serial % 10_000_000_000)
    }

    fn sim_push(
        &self,
        secret: &str,
        shipment: &SimShipment,
        new_scans: &[SimScan],
    ) -> Option<HttpRequest> {
        // Xpressbees posts one event per request: the newest.
        let scan = new_scans.last()?;
        let body = Body::Json(json!({
            "awb_number": shipment.awb,
            "order_number": shipment.reference,
            "status": status_word(scan.status).unwrap_or(scan.code),
            "event_time": event_time(scan),
            "location": scan.location,
            "message": message(scan),
            "rto_awb": "",
        }));
        let (_, bytes) = body.encode();
        Some(
            HttpRequest::new(Method::Post, "", "push")
                .header("Content-Type", "application/json")
                .header(SIGNATURE_HEADER, sign(secret, &bytes))
                .body(body),
        )
    }
}
