//! Delhivery's side of the simulator: reads requests in Delhivery's format
//! and answers the way Delhivery does (shapes as in the crate docs).
//!
//! Simulator-only conventions, marked (I) in the crate docs: a label comes
//! back inline (`pdf_encoding`, base64) as well as with an empty link; a
//! cancel that starts an RTO says so in its remark; an NDR action the
//! simulator refuses at once is answered `{"status": false, "error": …}`
//! (Delhivery itself would hand out a UPL id and report the refusal through
//! the UPL status); several new scans are pushed as one JSON array.

use base64::Engine as _;
use serde_json::{Value, json};
use shipgate_carrier_core::http::{Body, HttpRequest, HttpResponse, IncomingRequest, Method};
use shipgate_carrier_core::sim::{
    Personality, SimCreate, SimError, SimErrorKind, SimNdr, SimOp, SimReply, SimScan, SimShipment,
};
use shipgate_carrier_core::time::ist_local;
use shipgate_domain::{PaymentMode, ShipmentStatus};

use crate::status::{self, is_composite};
use crate::transformers::*;
use crate::{Delhivery, PUSH_TOKEN_HEADER};

fn json_response(status: u16, value: Value) -> HttpResponse {
    HttpResponse::json(status, &value)
}

fn unauthorized() -> HttpResponse {
    json_response(
        401,
        json!({"detail": "Authentication credentials were not provided."}),
    )
}

fn bad_request(message: &str) -> HttpResponse {
    json_response(400, json!({"success": false, "error": message}))
}

fn not_found() -> HttpResponse {
    json_response(404, json!({"detail": "Not found."}))
}

fn authorized(request: &IncomingRequest) -> bool {
    let header_token = request
        .header_value("authorization")
        .and_then(|v| v.trim().strip_prefix("Token "))
        .map(str::trim)
        .is_some_and(|t| !t.is_empty());
    let query_token = request
        .query_param("token")
        .is_some_and(|t| !t.trim().is_empty());
    header_token || query_token
}

fn body_json(request: &IncomingRequest) -> Option<Value> {
    match &request.body {
        Body::Json(v) => Some(v.clone()),
        Body::Xml(s) => serde_json::from_str(s).ok(),
        Body::Form(fields) => {
            // A JSON body sent with a form content type.
            let joined = fields.first().map(|(k, _)| k.clone())?;
            serde_json::from_str(&joined).ok()
        }
        Body::Empty => None,
    }
}

fn create_failure(reference: &str, message: &str) -> HttpResponse {
    json_response(
        200,
        json!({
            "cash_pickups_count": 0.0, "package_count": 1, "prepaid_count": 0,
            "pickups_count": 0, "replacement_count": 0, "cash_pickups": 0.0,
            "cod_amount": 0.0, "cod_count": 0, "upload_wbn": "UPL0000000000",
            "packages": [{
                "waybill": "", "refnum": reference, "client": "SIMULATOR",
                "status": "Fail", "serviceable": !message.contains("serviceable"),
                "sort_code": null, "remarks": [message]
            }],
            "success": false,
            "rmk": "An internal Error has occurred, Please get in touch with client.support@delhivery.com"
        }),
    )
}

fn parse_create(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let fields = match &request.body {
        Body::Form(fields) => fields.clone(),
        Body::Xml(s) => shipgate_carrier_core::http::form_fields(s.as_bytes()),
        _ => Vec::new(),
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if field("format").as_deref() != Some("json") {
        return Err(json_response(
            200,
            json!({"success": false, "error": true, "rmk": "format key missing in the post", "packages": []}),
        ));
    }
    let data: DelhiveryCreateData = field("data")
        .and_then(|d| serde_json::from_str(&d).ok())
        .ok_or_else(|| {
            json_response(
                200,
                json!({"success": false, "error": true, "rmk": "shipment list contains no data.", "packages": []}),
            )
        })?;
    let Some(s) = data.shipments.first() else {
        return Err(json_response(
            200,
            json!({"success": false, "error": true, "rmk": "shipment list contains no data.", "packages": []}),
        ));
    };
    let weight_grams = s
        .weight
        .as_deref()
        .and_then(|w| w.trim().parse::<f64>().ok())
        .filter(|w| w.is_finite() && *w >= 0.0 && *w < 1e12)
        .map_or(0, |w| w.round() as u64);
    Ok(SimOp::Create(SimCreate {
        reference: s.order.clone().unwrap_or_default(),
        awb: s.waybill.clone().filter(|w| !w.trim().is_empty()),
        payment_mode: if s.payment_mode.trim().eq_ignore_ascii_case("cod") {
            PaymentMode::Cod
        } else {
            PaymentMode::Prepaid
        },
        cod_amount_minor: s
            .cod_amount
            .as_deref()
            .and_then(|c| paise(&Value::String(c.to_string())))
            .unwrap_or(0),
        consignee_name: s.name.clone(),
        consignee_postal_code: s.pin.clone().unwrap_or_default(),
        pickup_location: Some(data.pickup_location.name.clone()).filter(|n| !n.trim().is_empty()),
        weight_grams,
    }))
}

fn list_param(request: &IncomingRequest, name: &str) -> Vec<String> {
    request
        .query_param(name)
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_edit(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let value = body_json(request).ok_or_else(|| bad_request("Invalid JSON body"))?;
    let cancel = value
        .get("cancellation")
        .and_then(value_to_bool)
        .unwrap_or(false);
    let edit: DelhiveryEditRequest =
        serde_json::from_value(value).map_err(|_| bad_request("waybill is required"))?;
    if edit.waybill.trim().is_empty() {
        return Err(bad_request("waybill is required"));
    }
    if cancel {
        return Ok(SimOp::Cancel { awb: edit.waybill });
    }
    Ok(SimOp::Modify {
        awb: edit.waybill,
        phone: edit.phone,
        address: edit.add,
        payment_mode: edit.pt.as_deref().map(|pt| {
            if pt.trim().eq_ignore_ascii_case("cod") {
                PaymentMode::Cod
            } else {
                PaymentMode::Prepaid
            }
        }),
        cod_amount_minor: edit.cod.as_ref().and_then(paise),
    })
}

fn parse_ndr(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let invalid_data = || {
        json_response(
            400,
            json!({"status": false, "error": "Invalid data provided"}),
        )
    };
    let value = body_json(request).ok_or_else(invalid_data)?;
    let body: DelhiveryNdrRequest = serde_json::from_value(value).map_err(|_| invalid_data())?;
    let Some(item) = body.data.first() else {
        return Err(invalid_data());
    };
    if item.waybill.trim().is_empty() {
        return Err(json_response(
            400,
            json!({"status": false, "error": "\"waybill\" is missing"}),
        ));
    }
    let instruction = match item.act.trim().to_ascii_uppercase().as_str() {
        "RE-ATTEMPT" | "DEFER_DLV" => SimNdr::Reattempt,
        "EDIT_DETAILS" => {
            let data = item.action_data.clone().unwrap_or_default();
            if data.add.as_deref().is_some_and(|a| !a.trim().is_empty()) {
                SimNdr::ChangeAddress
            } else {
                SimNdr::ChangePhone
            }
        }
        _ => {
            return Err(json_response(
                400,
                json!({"status": false, "error": "Action is not valid"}),
            ));
        }
    };
    Ok(SimOp::Ndr {
        awb: item.waybill.clone(),
        instruction,
    })
}

fn parse_pickup(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let value = body_json(request).ok_or_else(|| bad_request("Invalid JSON body"))?;
    let body: DelhiveryPickupRequest = serde_json::from_value(value).map_err(|_| {
        bad_request(
            "pickup_location, pickup_date, pickup_time and expected_package_count are required",
        )
    })?;
    let date = jiff::civil::Date::strptime("%Y-%m-%d", body.pickup_date.trim())
        .map_err(|_| json_response(400, json!({"pickup_date": "Enter a valid date."})))?;
    Ok(SimOp::Pickup {
        location: body.pickup_location,
        date,
        expected_packages: body.expected_package_count,
    })
}

fn wire_of(code: &str) -> (&'static str, &'static str) {
    status::wire(code).map_or(("UD", "In Transit"), |w| (w.status_type, w.status))
}

fn scan_detail(scan: &SimScan) -> Value {
    let (status_type, status_text) = wire_of(scan.code);
    let nsl = if is_composite(scan.code) {
        ""
    } else {
        scan.code
    };
    let at = ist_local(scan.at);
    json!({"ScanDetail": {
        "Instructions": scan.description,
        "Scan": status_text,
        "ScanDateTime": at,
        "ScanType": status_type,
        "ScannedLocation": scan.location,
        "StatusCode": nsl,
        "StatusDateTime": at,
    }})
}

fn shipment_json(s: &SimShipment) -> Value {
    let latest = s.latest();
    let status = latest.map_or(Value::Null, |scan| {
        let (status_type, status_text) = wire_of(scan.code);
        let nsl = if is_composite(scan.code) {
            ""
        } else {
            scan.code
        };
        let received_by = if scan.status == ShipmentStatus::Delivered {
            s.consignee_name.as_str()
        } else {
            ""
        };
        json!({
            "Instructions": scan.description,
            "RecievedBy": received_by,
            "Status": status_text,
            "StatusCode": nsl,
            "StatusDateTime": ist_local(scan.at),
            "StatusLocation": scan.location,
            "StatusType": status_type,
        })
    });
    let edd = s.edd.map_or(Value::Null, |d| {
        Value::String(format!("{}T23:59:59", d.strftime("%Y-%m-%d")))
    });
    json!({"Shipment": {
        "AWB": s.awb,
        "CODAmount": rupees(s.cod_amount_minor).unwrap_or_default(),
        "DispatchCount": s.attempts,
        "Destination": s.destination_postal_code,
        "ExpectedDeliveryDate": edd,
        "OrderType": match s.payment_mode { PaymentMode::Cod => "COD", PaymentMode::Prepaid => "Pre-paid" },
        "ReferenceNo": s.reference,
        "Scans": s.scans.iter().map(scan_detail).collect::<Vec<_>>(),
        "Status": status,
    }})
}

fn not_found_track() -> HttpResponse {
    json_response(
        200,
        json!({
            "Success": false,
            "Error": "Data does not exists for provided Waybill(s)",
            "rmk": "Some error has occurred. Please contact client.support@delhivery.com with error message- Data does not exists for provided Waybill(s)"
        }),
    )
}

fn edit_xml(status: bool, waybill: &str, remark: &str) -> HttpResponse {
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<root><status>{}</status><waybill>{}</waybill><order_id></order_id><remark>{}</remark></root>",
        if status { "True" } else { "False" },
        esc(waybill),
        esc(remark)
    );
    HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/xml".into())],
        body: body.into_bytes(),
    }
}

fn render_error(op: &SimOp, e: &SimError) -> HttpResponse {
    if e.kind == SimErrorKind::Unauthorized {
        return unauthorized();
    }
    let message = e.message.as_str();
    match op {
        SimOp::Create(c) => create_failure(&c.reference, message),
        SimOp::Track { .. } if e.kind == SimErrorKind::NotFound => not_found_track(),
        SimOp::Track { .. } => json_response(400, json!({"Success": false, "Error": message})),
        SimOp::Label { .. } if e.kind == SimErrorKind::NotFound => {
            json_response(200, json!({"packages": [], "packages_found": 0}))
        }
        SimOp::Pickup { .. } => {
            let exists = message.to_ascii_lowercase().contains("already exist");
            json_response(
                400,
                json!({
                    "status": false, "success": false, "pr_exist": exists,
                    "error": {"message": message, "code": 400},
                    "data": {"message": message}
                }),
            )
        }
        SimOp::Cancel { awb } | SimOp::Modify { awb, .. } => edit_xml(false, awb, message),
        SimOp::Ndr { .. } | SimOp::NdrStatus { .. } => {
            json_response(200, json!({"status": false, "error": message}))
        }
        SimOp::Serviceability { .. } => json_response(200, json!({"delivery_codes": []})),
        SimOp::FetchAwbs { .. } => {
            json_response(400, Value::String(format!("Bad Request! {message}")))
        }
        _ => bad_request(message),
    }
}

impl Personality for Delhivery {
    fn sim_parse(&self, request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        if !authorized(request) {
            return Err(unauthorized());
        }
        let path = request.path_only().trim_end_matches('/').to_string();
        match (request.method, path.as_str()) {
            (Method::Get, "/waybill/api/bulk/json") => {
                let count = request
                    .query_param("count")
                    .and_then(|c| c.trim().parse::<u32>().ok())
                    .filter(|c| (1..=crate::MAX_WAYBILL_COUNT).contains(c))
                    .ok_or_else(|| {
                        json_response(
                            400,
                            Value::String("Bad Request! Invalid count for client".into()),
                        )
                    })?;
                Ok(SimOp::FetchAwbs { count })
            }
            (Method::Post, "/api/cmu/create.json") => parse_create(request),
            (Method::Get, "/api/v1/packages/json") => Ok(SimOp::Track {
                awbs: list_param(request, "waybill"),
                references: list_param(request, "ref_ids"),
            }),
            (Method::Get, "/api/p/packing_slip") => {
                let awb = request
                    .query_param("wbns")
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                if awb.is_empty() {
                    return Err(json_response(
                        200,
                        json!({"packages": [], "packages_found": 0}),
                    ));
                }
                Ok(SimOp::Label { awb })
            }
            (Method::Post, "/fm/request/new") => parse_pickup(request),
            (Method::Post, "/api/p/edit") => parse_edit(request),
            (Method::Post, "/api/p/update") => parse_ndr(request),
            (Method::Get, p) if p.starts_with("/api/cmu/get_bulk_upl/") => {
                let id = p.trim_start_matches("/api/cmu/get_bulk_upl/").trim();
                if id.is_empty() || id.contains('/') {
                    return Err(not_found());
                }
                Ok(SimOp::NdrStatus {
                    request_id: id.to_string(),
                })
            }
            (Method::Get, "/c/api/pin-codes/json") => Ok(SimOp::Serviceability {
                postal_code: request
                    .query_param("filter_codes")
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            }),
            _ => Err(not_found()),
        }
    }

    fn sim_render(&self, op: &SimOp, reply: &SimReply) -> HttpResponse {
        match reply {
            SimReply::Error(e) => render_error(op, e),
            SimReply::Token { .. } => not_found(),
            SimReply::Awbs(awbs) => json_response(200, Value::String(awbs.join(","))),
            SimReply::Created {
                awb,
                reference,
                routing_code,
                duplicate,
            } => {
                if *duplicate {
                    return create_failure(reference, "Duplicate order id");
                }
                let (payment, cod) = match op {
                    SimOp::Create(c) if c.payment_mode == PaymentMode::Cod => {
                        ("COD", c.cod_amount_minor)
                    }
                    _ => ("Pre-paid", 0),
                };
                json_response(
                    200,
                    json!({
                        "cash_pickups_count": 0.0, "package_count": 1,
                        "prepaid_count": if payment == "COD" { 0 } else { 1 },
                        "pickups_count": 0, "replacement_count": 0, "cash_pickups": 0.0,
                        "cod_amount": (cod as f64) / 100.0,
                        "cod_count": if payment == "COD" { 1 } else { 0 },
                        "upload_wbn": format!("UPL{awb}"),
                        "packages": [{
                            "waybill": awb, "refnum": reference, "client": "SIMULATOR",
                            "payment": payment, "cod_amount": (cod as f64) / 100.0,
                            "status": "Success", "sort_code": routing_code,
                            "serviceable": true, "remarks": [""]
                        }],
                        "success": true
                    }),
                )
            }
            SimReply::Tracked(list) if list.is_empty() => not_found_track(),
            SimReply::Tracked(list) => json_response(
                200,
                json!({"ShipmentData": list.iter().map(shipment_json).collect::<Vec<_>>()}),
            ),
            SimReply::Label { awb, pdf } => json_response(
                200,
                json!({
                    "packages": [{
                        "wbn": awb,
                        "pdf_download_link": "",
                        "pdf_encoding": base64::engine::general_purpose::STANDARD.encode(pdf),
                    }],
                    "packages_found": 1
                }),
            ),
            SimReply::PickupCreated { pickup_id } => {
                let (location, date, count) = match op {
                    SimOp::Pickup {
                        location,
                        date,
                        expected_packages,
                    } => (
                        location.clone(),
                        date.strftime("%Y-%m-%d").to_string(),
                        *expected_packages,
                    ),
                    _ => (String::new(), String::new(), 0),
                };
                let id = pickup_id
                    .parse::<u64>()
                    .map_or_else(|_| Value::String(pickup_id.clone()), Value::from);
                json_response(
                    201,
                    json!({
                        "pickup_id": id, "pickup_location_name": location,
                        "pickup_date": date, "pickup_time": "11:00:00",
                        "expected_package_count": count,
                        "incoming_center_name": "Sim_Centre_DC (Sandbox)",
                        "client_name": "SIMULATOR"
                    }),
                )
            }
            SimReply::Cancelled { rto } => {
                let awb = match op {
                    SimOp::Cancel { awb } => awb.as_str(),
                    _ => "",
                };
                let remark = if *rto {
                    "Shipment has been cancelled and marked for RTO."
                } else {
                    "Shipment has been cancelled."
                };
                edit_xml(true, awb, remark)
            }
            SimReply::Modified => {
                let awb = match op {
                    SimOp::Modify { awb, .. } => awb.as_str(),
                    _ => "",
                };
                edit_xml(true, awb, "Shipment details have been updated.")
            }
            SimReply::NdrAccepted { request_id } => json_response(
                200,
                json!({"request_id": request_id, "status": true, "message": "Request submitted"}),
            ),
            SimReply::NdrStatus {
                request_id,
                settled,
            } => {
                let body = match settled {
                    None => json!({"request_id": request_id, "status": "In Progress"}),
                    Some(Ok(())) => json!({
                        "request_id": request_id, "status": "Completed",
                        "result": [{"status": "Success", "remark": "Action applied"}]
                    }),
                    Some(Err(reason)) => json!({
                        "request_id": request_id, "status": "Completed",
                        "result": [{"status": "Failure", "remark": reason}]
                    }),
                };
                json_response(200, body)
            }
            SimReply::Serviceable(records) => {
                let yn = |b: bool| if b { "Y" } else { "N" };
                let codes: Vec<Value> = records
                    .iter()
                    .map(|r| {
                        let pin = r
                            .postal_code
                            .parse::<u64>()
                            .map_or_else(|_| Value::String(r.postal_code.clone()), Value::from);
                        json!({"postal_code": {
                            "pin": pin,
                            "pre_paid": yn(r.prepaid),
                            "cash": yn(r.cod),
                            "cod": yn(r.cod),
                            "pickup": yn(r.pickup || r.reverse),
                            "repl": yn(r.reverse),
                            "is_oda": yn(r.oda),
                            "sort_code": r.sort_code.clone().unwrap_or_default(),
                            "max_weight": r.max_weight_grams.unwrap_or(0) as f64,
                            "max_amount": r.max_cod_minor.unwrap_or(0) as f64 / 100.0,
                            "remarks": if r.embargo { "Embargo" } else { "" },
                            "country_code": "IN",
                        }})
                    })
                    .collect();
                json_response(200, json!({"delivery_codes": codes}))
            }
        }
    }

    fn sim_awb(&self, serial: u64) -> String {
        // Delhivery waybills are 14 digits.
        format!("1490{:010}", serial % 10_000_000_000)
    }

    fn sim_push(
        &self,
        secret: &str,
        shipment: &SimShipment,
        new_scans: &[SimScan],
    ) -> Option<HttpRequest> {
        let pushes: Vec<Value> = new_scans
            .iter()
            .map(|scan| {
                let (status_type, status_text) = wire_of(scan.code);
                let nsl = if is_composite(scan.code) {
                    ""
                } else {
                    scan.code
                };
                json!({"Shipment": {
                    "Status": {
                        "Status": status_text,
                        "StatusDateTime": ist_local(scan.at),
                        "StatusType": status_type,
                        "StatusLocation": scan.location,
                        "Instructions": scan.description,
                    },
                    "PickUpDate": "",
                    "NSLCode": nsl,
                    "Sortcode": "",
                    "ReferenceNo": shipment.reference,
                    "AWB": shipment.awb,
                }})
            })
            .collect();
        let body = match pushes.len() {
            0 => return None,
            1 => pushes.into_iter().next()?,
            _ => Value::Array(pushes),
        };
        Some(
            HttpRequest::new(Method::Post, "", "push")
                .header(PUSH_TOKEN_HEADER, secret)
                .json(body),
        )
    }
}
