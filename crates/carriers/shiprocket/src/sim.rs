//! Shiprocket's side of the simulator: reads the requests the adapter builds
//! and answers in Shiprocket's shapes (see the crate docs for sources).

use serde_json::{Value, json};
use shipgate_carrier_core::http::{Body, HttpRequest, HttpResponse, IncomingRequest, Method};
use shipgate_carrier_core::sim::{
    Personality, SimCreate, SimErrorKind, SimNdr, SimOp, SimReply, SimScan, SimShipment,
};
use shipgate_carrier_core::time::{ist, ist_local};
use shipgate_domain::PaymentMode;

use crate::Shiprocket;
use crate::transformers::{
    Flex, ShiprocketCancelAwbsIncoming, ShiprocketForwardShipmentIncoming,
    ShiprocketNdrActionRequest,
};

/// Shiprocket's error body.
fn error(status: u16, message: &str) -> HttpResponse {
    HttpResponse::json(status, &json!({"message": message, "status_code": status}))
}

fn invalid(message: &str) -> HttpResponse {
    error(422, message)
}

fn json_body(request: &IncomingRequest) -> Result<&Value, HttpResponse> {
    match &request.body {
        Body::Json(v) if v.is_object() => Ok(v),
        _ => Err(invalid("The request body must be a JSON object.")),
    }
}

fn parse_as<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, HttpResponse> {
    serde_json::from_value(value.clone()).map_err(|e| invalid(&e.to_string()))
}

fn money_minor(f: &Flex) -> i64 {
    f.as_f64().map_or(0, |r| (r * 100.0).round() as i64)
}

/// A stable numeric id for a shipment, derived from its AWB.
fn numeric_id(awb: &str, base: u64) -> u64 {
    let digits: String = awb.chars().filter(char::is_ascii_digit).collect();
    let n = digits
        .get(digits.len().saturating_sub(9)..)
        .and_then(|d| d.parse::<u64>().ok())
        .unwrap_or_else(|| {
            awb.bytes()
                .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
                % 1_000_000_000
        });
    base + n
}

/// A code as a JSON number when it is one (Shiprocket's ids are numbers).
fn code_value(code: &str) -> Value {
    code.parse::<u64>()
        .map_or_else(|_| Value::from(code), Value::from)
}

fn local(at: jiff::Timestamp) -> String {
    ist_local(at).replacen('T', " ", 1)
}

fn activity(scan: &SimScan) -> Value {
    json!({
        "date": local(scan.at),
        "status": scan.code,
        "activity": scan.description,
        "location": scan.location,
        "sr-status": scan.code,
        "sr-status-label": scan.description.to_uppercase(),
    })
}

fn tracking_data(s: &SimShipment) -> Value {
    let latest = s.latest();
    let edd = s.edd.map(|d| format!("{d} 18:00:00"));
    let shipment_id = numeric_id(&s.awb, 100_000_000);
    json!({
        "tracking_data": {
            "track_status": 1,
            "shipment_status": latest.map_or(Value::from(0), |l| code_value(l.code)),
            "shipment_track": [{
                "id": shipment_id,
                "awb_code": s.awb,
                "courier_company_id": 1,
                "shipment_id": shipment_id,
                "order_id": numeric_id(&s.awb, 200_000_000),
                "pickup_date": null,
                "delivered_date": null,
                "weight": "0.5",
                "packages": 1,
                "current_status": latest.map_or(String::new(), |l| l.description.to_uppercase()),
                "delivered_to": "",
                "destination": "",
                "consignee_name": s.consignee_name,
                "origin": "",
                "courier_agent_details": null,
                "courier_name": "Shipgate Sandbox Surface",
                "edd": edd,
            }],
            // Shiprocket lists the newest scan first.
            "shipment_track_activities": s.scans.iter().rev().map(activity).collect::<Vec<_>>(),
            "track_url": format!("https://shiprocket.co/tracking/{}", s.awb),
            "etd": edd,
        }
    })
}

impl Shiprocket {
    fn sim_create(body: &Value) -> Result<SimOp, HttpResponse> {
        let b: ShiprocketForwardShipmentIncoming = parse_as(body)?;
        let reference = b
            .order_id
            .get()
            .ok_or_else(|| invalid("The order id field is required."))?;
        let pincode = b
            .billing_pincode
            .get()
            .ok_or_else(|| invalid("The billing pincode field is required."))?;
        let payment_mode = match b
            .payment_method
            .get()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("cod") => PaymentMode::Cod,
            Some("prepaid") => PaymentMode::Prepaid,
            _ => return Err(invalid("The payment method must be COD or Prepaid.")),
        };
        let cod_amount_minor = match payment_mode {
            PaymentMode::Cod => {
                money_minor(&b.sub_total) + money_minor(&b.shipping_charges)
                    - money_minor(&b.total_discount)
            }
            PaymentMode::Prepaid => 0,
        };
        let consignee_name = [b.billing_customer_name.get(), b.billing_last_name.get()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(SimOp::Create(SimCreate {
            reference: reference.to_string(),
            awb: None,
            payment_mode,
            cod_amount_minor,
            consignee_name,
            consignee_postal_code: pincode.to_string(),
            pickup_location: b.pickup_location.get().map(str::to_string),
            weight_grams: b
                .weight
                .as_f64()
                .map_or(0, |kg| (kg * 1000.0).round().max(0.0) as u64),
        }))
    }

    fn sim_ndr(awb: &str, body: &Value) -> Result<SimOp, HttpResponse> {
        let b: ShiprocketNdrActionRequest = parse_as(body)?;
        let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        let instruction = match b.action.trim().to_ascii_lowercase().as_str() {
            "re-attempt" | "reattempt" | "fake-attempt" if has(&b.address1) => {
                SimNdr::ChangeAddress
            }
            "re-attempt" | "reattempt" | "fake-attempt" if has(&b.phone) => SimNdr::ChangePhone,
            "re-attempt" | "reattempt" | "fake-attempt" => SimNdr::Reattempt,
            "return" | "rto" => SimNdr::ReturnToOrigin,
            _ => return Err(invalid("The selected action is invalid.")),
        };
        Ok(SimOp::Ndr {
            awb: awb.to_string(),
            instruction,
        })
    }
}

impl Personality for Shiprocket {
    /// Shiprocket cancels only before pickup; later it refuses (no return is started).
    fn sim_cancel_after_pickup_returns(&self) -> bool {
        false
    }

    fn sim_parse(&self, request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        let full = request.path_only();
        let path = full.strip_prefix("/v1/external").unwrap_or(full);
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        if (request.method, path) == (Method::Post, "/auth/login") {
            let body = json_body(request)?;
            let filled = |k: &str| {
                body.get(k)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.trim().is_empty())
            };
            return if filled("email") && filled("password") {
                Ok(SimOp::Login)
            } else {
                // Inferred wording.
                Err(error(401, "Invalid email and password combination"))
            };
        }
        let token = request
            .header_value("authorization")
            .and_then(|v| v.trim().strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        if token.is_empty() {
            // jwt-auth's wording, which Shiprocket's Laravel API answers with (inferred).
            return Err(error(401, "Token not provided"));
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (request.method, segments.as_slice()) {
            (Method::Post, ["shipments", "create", "forward-shipment"]) => {
                Self::sim_create(json_body(request)?)
            }
            (Method::Get, ["courier", "track", "awb", awb]) if !awb.is_empty() => {
                Ok(SimOp::Track {
                    awbs: vec![(*awb).to_string()],
                    references: Vec::new(),
                })
            }
            (Method::Post, ["courier", "track", "awbs"]) => {
                let awbs: Vec<String> = json_body(request)?
                    .get("awbs")
                    .and_then(Value::as_array)
                    .map(|list| {
                        list.iter()
                            .filter_map(|a| match a {
                                Value::String(s) => Some(s.trim().to_string()),
                                Value::Number(n) => Some(n.to_string()),
                                _ => None,
                            })
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                if awbs.is_empty() {
                    return Err(invalid("The awbs field is required."));
                }
                Ok(SimOp::Track {
                    awbs,
                    references: Vec::new(),
                })
            }
            (Method::Get, ["courier", "track"]) => match request.query_param("order_id") {
                Some(order) if !order.trim().is_empty() => Ok(SimOp::Track {
                    awbs: Vec::new(),
                    references: vec![order.trim().to_string()],
                }),
                _ => Err(invalid("The order id field is required.")),
            },
            (Method::Post, ["orders", "cancel", "shipment", "awbs"]) => {
                let b: ShiprocketCancelAwbsIncoming = parse_as(json_body(request)?)?;
                let awbs: Vec<String> = b
                    .awbs
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|a| a.get().map(str::to_string))
                    .collect();
                match awbs.as_slice() {
                    [awb] => Ok(SimOp::Cancel { awb: awb.clone() }),
                    [] => Err(invalid("The awbs field is required.")),
                    _ => Err(invalid("The sandbox cancels one AWB per request.")),
                }
            }
            (Method::Post, ["ndr", awb, "action"]) if !awb.is_empty() => {
                Self::sim_ndr(awb, json_body(request)?)
            }
            (Method::Get, ["courier", "serviceability"]) => {
                match request.query_param("delivery_postcode") {
                    Some(pin) if !pin.trim().is_empty() => Ok(SimOp::Serviceability {
                        postal_code: pin.trim().to_string(),
                    }),
                    _ => Err(invalid("The delivery postcode field is required.")),
                }
            }
            _ => Err(error(404, "404 Not Found")),
        }
    }

    fn sim_render(&self, op: &SimOp, reply: &SimReply) -> HttpResponse {
        match (op, reply) {
            (_, SimReply::Error(e)) => {
                let status = match e.kind {
                    SimErrorKind::Unauthorized => 401,
                    SimErrorKind::Invalid => 422,
                    SimErrorKind::NotFound => 404,
                    SimErrorKind::Refused => 400,
                };
                error(status, &e.message)
            }
            (_, SimReply::Token { token }) => HttpResponse::json(
                200,
                &json!({
                    "id": 1,
                    "first_name": "API",
                    "last_name": "User",
                    "email": "api-user@sandbox.shipgate",
                    "company_id": 1,
                    "created_at": "2024-01-01 00:00:00",
                    "token": token,
                }),
            ),
            (
                _,
                SimReply::Created {
                    awb, routing_code, ..
                },
            ) => {
                // A duplicate order id answers like the original booking.
                let shipment_id = numeric_id(awb, 100_000_000);
                HttpResponse::json(
                    200,
                    &json!({
                        "status": 1,
                        "payload": {
                            "pickup_location_added": 0,
                            "order_created": 1,
                            "awb_generated": 1,
                            "label_generated": 1,
                            "pickup_generated": 1,
                            "manifest_generated": 0,
                            "pickup_scheduled_date": null,
                            "pickup_booked_date": null,
                            "order_id": numeric_id(awb, 200_000_000),
                            "shipment_id": shipment_id,
                            "awb_code": awb,
                            "courier_company_id": 1,
                            "courier_name": "Shipgate Sandbox Surface",
                            "applied_weight": 0.5,
                            "cod": 0,
                            "label_url": format!("https://sandbox.shipgate.invalid/shiprocket/labels/{shipment_id}.pdf"),
                            "manifest_url": null,
                            "routing_code": routing_code,
                            "rto_routing_code": "",
                            "pickup_token_number": null,
                        }
                    }),
                )
            }
            (SimOp::Track { awbs, references }, SimReply::Tracked(list)) => {
                if !references.is_empty() {
                    HttpResponse::json(200, &Value::Array(list.iter().map(tracking_data).collect()))
                } else if awbs.len() == 1 {
                    match list.first() {
                        Some(s) => HttpResponse::json(200, &tracking_data(s)),
                        None => error(404, "No tracking data found for this AWB"),
                    }
                } else {
                    let map: serde_json::Map<String, Value> = list
                        .iter()
                        .map(|s| (s.awb.clone(), tracking_data(s)))
                        .collect();
                    HttpResponse::json(200, &Value::Object(map))
                }
            }
            (_, SimReply::Cancelled { rto: false }) => {
                HttpResponse::json(200, &json!({"message": "Shipment cancelled successfully."}))
            }
            // Shiprocket never turns a cancel into a return: after pickup it refuses.
            (_, SimReply::Cancelled { rto: true }) => error(
                400,
                "Shipment already picked up; it can no longer be cancelled.",
            ),
            (_, SimReply::NdrAccepted { .. }) => HttpResponse::json(
                200,
                &json!({"status": "success", "message": "Action taken successfully"}),
            ),
            (_, SimReply::Serviceable(records)) if records.is_empty() => HttpResponse::json(
                404,
                &json!({"status": 404, "message": "No courier is serviceable for this pincode"}),
            ),
            (_, SimReply::Serviceable(records)) => {
                let couriers: Vec<Value> = records
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        json!({
                            "courier_company_id": i + 1,
                            "courier_name": format!("Shipgate Sandbox {}", if r.cod { "Surface" } else { "Prepaid" }),
                            "cod": u8::from(r.cod),
                            "rate": 95.5,
                            "freight_charge": 80,
                            "cod_charges": if r.cod { 15.5 } else { 0.0 },
                            "pickup_availability": "1",
                            "postcode": r.postal_code,
                            "surface_max_weight": r.max_weight_grams.map(|g| (g as f64 / 1000.0).to_string()),
                            "etd": "",
                            "estimated_delivery_days": "3",
                            "blocked": 0,
                        })
                    })
                    .collect();
                HttpResponse::json(
                    200,
                    &json!({
                        "status": 200,
                        "currency": "INR",
                        "data": {"available_courier_companies": couriers},
                    }),
                )
            }
            _ => error(500, "The sandbox cannot answer this request."),
        }
    }

    fn sim_awb(&self, serial: u64) -> String {
        // Shiprocket hands out its couriers' AWBs; 14 digits like most.
        format!("77{:012}", serial % 1_000_000_000_000)
    }

    fn sim_push(
        &self,
        secret: &str,
        shipment: &SimShipment,
        new_scans: &[SimScan],
    ) -> Option<HttpRequest> {
        let latest = new_scans.last().or(shipment.latest())?;
        let edd = shipment.edd.map(|d| format!("{d} 18:00:00"));
        let body = json!({
            "awb": shipment.awb,
            "courier_name": "Shipgate Sandbox Surface",
            "current_status": latest.description.to_uppercase(),
            "current_status_id": code_value(latest.code),
            "shipment_status": latest.description.to_uppercase(),
            "shipment_status_id": code_value(latest.code),
            "current_timestamp": latest.at.to_zoned(ist()).strftime("%d %m %Y %H:%M:%S").to_string(),
            "order_id": shipment.reference,
            "sr_order_id": numeric_id(&shipment.awb, 200_000_000),
            "etd": edd,
            "scans": new_scans.iter().map(activity).collect::<Vec<_>>(),
            "is_return": 0,
        });
        Some(
            HttpRequest::new(Method::Post, "", "push")
                .header("x-api-key", secret)
                .json(body),
        )
    }
}
