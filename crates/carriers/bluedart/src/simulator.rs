//! Blue Dart's side of the sandbox: reads requests the way the gateway
//! receives them and answers in Blue Dart's shapes (JSON results, tracking
//! XML, Apigee faults, `error-response` bodies, JSON pushes).

use jiff::civil::Date;
use quick_xml::escape::escape;
use serde_json::{Value, json};
use shipgate_carrier_core::http::{HttpResponse, IncomingRequest};
use shipgate_carrier_core::sim::{
    Personality, SimCreate, SimError, SimErrorKind, SimNdr, SimOp, SimReply, SimScan, SimShipment,
};
use shipgate_carrier_core::{Body, HttpRequest, Method, ServiceabilityRecord};
use shipgate_domain::PaymentMode;

use crate::status::scan_type_for;
use crate::transformers::{json_f64, json_text, parse_wcf_day, render_scan_time};
use crate::{
    BlueDart, CANCEL_PATH, LOGIN_PATH, NDR_PATH, PICKUP_PATH, PINCODE_PATH, PUSH_TOKEN_HEADER,
    TRACK_PATH, WAYBILL_PATH,
};

fn fault(status: u16, message: &str, code: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        &json!({"fault": {"faultstring": message, "detail": {"errorcode": code}}}),
    )
}

fn error_response(status: u16, code: &str, message: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        &json!({"error-response": [{
            "IsError": true,
            "Status": [{"StatusCode": code, "StatusInformation": message}],
        }]}),
    )
}

fn invalid(message: &str) -> HttpResponse {
    error_response(400, "InvalidRequest", message)
}

fn field<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| v.get(*n))
}

fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(json_text)
}

fn json_body(request: &IncomingRequest) -> Result<&Value, HttpResponse> {
    match &request.body {
        Body::Json(v) if v.is_object() => Ok(v),
        _ => Err(invalid("The request body is not a JSON object")),
    }
}

/// `Profile`/`profile` with a non-empty `LoginID` and `LicenceKey`.
fn check_profile(body: &Value) -> Result<(), HttpResponse> {
    let profile =
        field(body, &["Profile", "profile"]).ok_or_else(|| invalid("Profile is required"))?;
    let present = |k: &str| text(profile, k).is_some();
    if present("LoginID") && present("LicenceKey") {
        Ok(())
    } else {
        Err(fault(
            401,
            "Invalid LoginID or LicenceKey",
            "InvalidProfile",
        ))
    }
}

fn awb_of(v: &Value) -> Result<String, HttpResponse> {
    text(v, "AWBNo").ok_or_else(|| invalid("AWBNo is required"))
}

fn parse_create(body: &Value) -> Result<SimOp, HttpResponse> {
    let request =
        field(body, &["Request", "request"]).ok_or_else(|| invalid("Request is required"))?;
    let services = request
        .get("Services")
        .ok_or_else(|| invalid("Services is required"))?;
    let consignee = request
        .get("Consignee")
        .ok_or_else(|| invalid("Consignee is required"))?;
    let reference = text(services, "CreditReferenceNo")
        .ok_or_else(|| invalid("CreditReferenceNo is required"))?;
    let payment_mode = match text(services, "SubProductCode").as_deref() {
        Some("C") | Some("c") => PaymentMode::Cod,
        _ => PaymentMode::Prepaid,
    };
    let cod = services
        .get("CollectableAmount")
        .and_then(json_f64)
        .unwrap_or(0.0);
    let weight = services
        .get("ActualWeight")
        .and_then(json_f64)
        .ok_or_else(|| invalid("ActualWeight is required"))?;
    if !(weight.is_finite() && weight > 0.0 && cod.is_finite() && cod >= 0.0) {
        return Err(invalid(
            "ActualWeight and CollectableAmount must be positive numbers",
        ));
    }
    Ok(SimOp::Create(SimCreate {
        reference,
        awb: None,
        payment_mode,
        cod_amount_minor: (cod * 100.0).round() as i64,
        consignee_name: text(consignee, "ConsigneeName")
            .ok_or_else(|| invalid("ConsigneeName is required"))?,
        consignee_postal_code: text(consignee, "ConsigneePincode")
            .ok_or_else(|| invalid("ConsigneePincode is required"))?,
        pickup_location: request.get("Shipper").and_then(|s| text(s, "CustomerName")),
        weight_grams: (weight * 1000.0).round() as u64,
    }))
}

fn parse_pickup(body: &Value) -> Result<SimOp, HttpResponse> {
    let request =
        field(body, &["request", "Request"]).ok_or_else(|| invalid("request is required"))?;
    let location =
        text(request, "CustomerName").ok_or_else(|| invalid("CustomerName is required"))?;
    let date = text(request, "ShipmentPickupDate")
        .as_deref()
        .and_then(parse_wcf_day)
        .ok_or_else(|| invalid("ShipmentPickupDate must be /Date(ms)/"))?;
    let pieces = request
        .get("NumberofPieces")
        .and_then(json_f64)
        .filter(|n| n.is_finite() && *n >= 1.0 && *n <= f64::from(u32::MAX))
        .ok_or_else(|| invalid("NumberofPieces is required"))?;
    Ok(SimOp::Pickup {
        location,
        date,
        expected_packages: pieces as u32,
    })
}

fn parse_ndr(body: &Value) -> Result<SimOp, HttpResponse> {
    let altreq = body
        .get("altreq")
        .ok_or_else(|| invalid("altreq is required"))?;
    let awb = awb_of(altreq)?;
    let instruction = match text(altreq, "AltInstRequestType").as_deref() {
        Some("RTO") => SimNdr::ReturnToOrigin,
        Some("DT") if text(altreq, "MobileNo").is_some() => SimNdr::ChangePhone,
        Some("DT") => SimNdr::Reattempt,
        _ => return Err(invalid("AltInstRequestType is not valid")),
    };
    Ok(SimOp::Ndr { awb, instruction })
}

fn parse_track(request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
    let param = |n: &str| request.query_param(n).filter(|v| !v.trim().is_empty());
    if param("loginid").is_none() || param("lickey").is_none() {
        return Err(fault(401, "Invalid loginid or lickey", "InvalidProfile"));
    }
    let numbers: Vec<String> = param("numbers")
        .unwrap_or_default()
        .split(',')
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if numbers.is_empty() {
        return Err(invalid("numbers is required"));
    }
    match param("awb").as_deref() {
        Some("ref") => Ok(SimOp::Track {
            awbs: Vec::new(),
            references: numbers,
        }),
        Some("awb") => Ok(SimOp::Track {
            awbs: numbers,
            references: Vec::new(),
        }),
        _ => Err(invalid("awb must be awb or ref")),
    }
}

fn result_wrapper(op: &SimOp) -> Option<&'static str> {
    Some(match op {
        SimOp::Create(_) => "GenerateWayBillResult",
        SimOp::Cancel { .. } => "CancelWaybillResult",
        SimOp::Pickup { .. } => "RegisterPickupResult",
        SimOp::Ndr { .. } => "CustALTInstructionUpdateResult",
        SimOp::Serviceability { .. } => "GetServicesforPincodeResult",
        _ => return None,
    })
}

fn op_awb(op: &SimOp) -> &str {
    match op {
        SimOp::Cancel { awb } | SimOp::Ndr { awb, .. } => awb,
        _ => "",
    }
}

fn yes(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

fn render_serviceable(op: &SimOp, records: &[ServiceabilityRecord]) -> HttpResponse {
    let pin = match op {
        SimOp::Serviceability { postal_code } => postal_code.as_str(),
        _ => "",
    };
    let Some(r) = records.first() else {
        return HttpResponse::json(
            200,
            &json!({"GetServicesforPincodeResult": {
                "ErrorMessage": "Invalid PinCode",
                "IsError": true,
                "PinCode": pin,
            }}),
        );
    };
    HttpResponse::json(
        200,
        &json!({"GetServicesforPincodeResult": {
            "ApexInbound": yes(r.prepaid),
            "ApexOutbound": yes(r.pickup),
            "AreaCode": r.sort_code.clone().unwrap_or_default(),
            "EmbargoInbound": yes(r.embargo),
            "ErrorMessage": "",
            "GroundInbound": yes(r.prepaid),
            "GroundOutbound": yes(r.pickup),
            "IsError": false,
            "PinCode": r.postal_code,
            "eTailCODAirInbound": yes(r.cod),
            "eTailCODAirOutbound": yes(r.pickup && r.cod),
            "eTailPrePaidAirInbound": yes(r.prepaid),
            "eTailPrePaidAirOutbound": yes(r.pickup),
        }}),
    )
}

fn xml_scan(out: &mut String, scan: &SimScan) {
    let (group, code) = scan.code.split_once('-').unwrap_or(("", scan.code));
    let (date, time) = render_scan_time(scan.at);
    out.push_str("<ScanDetail>");
    for (tag, value) in [
        ("Scan", scan.description),
        ("ScanCode", code),
        ("ScanType", scan_type_for(scan.status)),
        ("ScanGroupType", group),
        ("ScanDate", &date),
        ("ScanTime", &time),
        ("ScannedLocation", &scan.location),
    ] {
        out.push_str(&format!("<{tag}>{}</{tag}>", escape(value)));
    }
    out.push_str("</ScanDetail>");
}

fn not_found_xml(out: &mut String, number: &str, by_reference: bool) {
    let attr = if by_reference { "RefNo" } else { "WaybillNo" };
    out.push_str(&format!(
        "<Shipment {attr}=\"{}\"><Status>No Information Found</Status><StatusType>NF</StatusType></Shipment>",
        escape(number)
    ));
}

fn render_tracked(op: &SimOp, shipments: &[SimShipment]) -> HttpResponse {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><ShipmentData>");
    for s in shipments {
        out.push_str(&format!(
            "<Shipment WaybillNo=\"{}\" RefNo=\"{}\">",
            escape(&s.awb),
            escape(&s.reference)
        ));
        out.push_str(&format!(
            "<Prodcode>A</Prodcode><Destination>{}</Destination>",
            escape(&s.destination_postal_code)
        ));
        if let Some(edd) = s.edd {
            out.push_str(&format!(
                "<ExpectedDeliveryDate>{}</ExpectedDeliveryDate>",
                edd.strftime("%d %B %Y")
            ));
        }
        if let Some(latest) = s.latest() {
            let (date, time) = render_scan_time(latest.at);
            out.push_str(&format!(
                "<Status>{}</Status><StatusType>{}</StatusType><StatusDate>{date}</StatusDate><StatusTime>{time}</StatusTime>",
                escape(latest.description),
                scan_type_for(latest.status)
            ));
            if latest.status == shipgate_domain::ShipmentStatus::Delivered {
                out.push_str(&format!(
                    "<ReceivedBy>{}</ReceivedBy>",
                    escape(&s.consignee_name)
                ));
            }
        }
        out.push_str("<Scans>");
        for scan in &s.scans {
            xml_scan(&mut out, scan);
        }
        out.push_str("</Scans></Shipment>");
    }
    if let SimOp::Track { awbs, references } = op {
        for awb in awbs
            .iter()
            .filter(|a| !shipments.iter().any(|s| &s.awb == *a))
        {
            not_found_xml(&mut out, awb, false);
        }
        for r in references
            .iter()
            .filter(|r| !shipments.iter().any(|s| &s.reference == *r))
        {
            not_found_xml(&mut out, r, true);
        }
    }
    out.push_str("</ShipmentData>");
    HttpResponse::xml(200, out)
}

fn render_error(op: &SimOp, error: &SimError) -> HttpResponse {
    match error.kind {
        SimErrorKind::Unauthorized => fault(401, &error.message, "InvalidJWTToken"),
        SimErrorKind::Invalid => error_response(400, "InvalidRequest", &error.message),
        SimErrorKind::NotFound if matches!(op, SimOp::Track { .. }) => render_tracked(op, &[]),
        kind => {
            let code = if kind == SimErrorKind::NotFound {
                "InvalidAWB"
            } else {
                "Refused"
            };
            match result_wrapper(op) {
                Some(wrapper) => HttpResponse::json(
                    200,
                    &json!({ wrapper: {
                        "AWBNo": op_awb(op),
                        "IsError": true,
                        "Status": [{"StatusCode": code, "StatusInformation": error.message}],
                    }}),
                ),
                None => error_response(400, code, &error.message),
            }
        }
    }
}

fn ok_result(wrapper: &str, awb: &str, code: &str, information: &str) -> HttpResponse {
    HttpResponse::json(
        200,
        &json!({ wrapper: {
            "AWBNo": awb,
            "IsError": false,
            "Status": [{"StatusCode": code, "StatusInformation": information}],
        }}),
    )
}

impl Personality for BlueDart {
    fn sim_parse(&self, request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        let path = request.path_only().trim_end_matches('/');
        let present = |h: &str| {
            request
                .header_value(h)
                .is_some_and(|v| !v.trim().is_empty())
        };
        if path == LOGIN_PATH {
            if request.method != Method::Get {
                return Err(error_response(405, "MethodNotAllowed", "Use GET"));
            }
            if !(present("ClientID") && present("clientSecret")) {
                return Err(fault(401, "Invalid ApiKey", "oauth.v2.InvalidApiKey"));
            }
            return Ok(SimOp::Login);
        }
        let known = [
            WAYBILL_PATH,
            CANCEL_PATH,
            PICKUP_PATH,
            TRACK_PATH,
            NDR_PATH,
            PINCODE_PATH,
        ];
        if !known.contains(&path) {
            return Err(error_response(
                404,
                "NotFound",
                "Unable to identify proxy for host and url",
            ));
        }
        if !present("JWTToken") {
            return Err(fault(
                401,
                "JWT Token is missing",
                "steps.jwt.NoSourceFound",
            ));
        }
        if path == TRACK_PATH {
            return parse_track(request);
        }
        if request.method != Method::Post {
            return Err(error_response(405, "MethodNotAllowed", "Use POST"));
        }
        let body = json_body(request)?;
        check_profile(body)?;
        match path {
            WAYBILL_PATH => parse_create(body),
            CANCEL_PATH => {
                let r = field(body, &["Request", "request"])
                    .ok_or_else(|| invalid("Request is required"))?;
                Ok(SimOp::Cancel { awb: awb_of(r)? })
            }
            PICKUP_PATH => parse_pickup(body),
            NDR_PATH => parse_ndr(body),
            _ => {
                let pin = text(body, "pinCode").ok_or_else(|| invalid("pinCode is required"))?;
                Ok(SimOp::Serviceability { postal_code: pin })
            }
        }
    }

    fn sim_render(&self, op: &SimOp, reply: &SimReply) -> HttpResponse {
        match reply {
            SimReply::Token { token } => HttpResponse::json(200, &json!({ "JWTToken": token })),
            SimReply::Created {
                awb,
                reference,
                routing_code,
                duplicate,
            } => {
                if *duplicate {
                    // Blue Dart refuses a repeated CreditReferenceNo and does
                    // not repeat the first AWB.
                    return HttpResponse::json(
                        200,
                        &json!({"GenerateWayBillResult": {
                            "AWBNo": "",
                            "IsError": true,
                            "Status": [{
                                "StatusCode": "InvalidCreditReferenceNo",
                                "StatusInformation": format!("Waybill already generated for Credit Reference No {reference}"),
                            }],
                        }}),
                    );
                }
                let (area, location) = routing_code
                    .split_once('/')
                    .unwrap_or((routing_code.as_str(), ""));
                HttpResponse::json(
                    200,
                    &json!({"GenerateWayBillResult": {
                        "AWBNo": awb,
                        "CCRCRDREF": reference,
                        "DestinationArea": area,
                        "DestinationLocation": location,
                        "IsError": false,
                        "IsErrorInPU": false,
                        "Status": [{"StatusCode": "Valid", "StatusInformation": "Waybill Generation Sucessful"}],
                        "TokenNumber": "",
                    }}),
                )
            }
            SimReply::Tracked(shipments) => render_tracked(op, shipments),
            SimReply::PickupCreated { pickup_id } => HttpResponse::json(
                200,
                &json!({"RegisterPickupResult": {
                    "IsError": false,
                    "Status": [{"StatusCode": "Valid", "StatusInformation": "Pickup registered successfully"}],
                    "TokenNumber": pickup_id,
                }}),
            ),
            SimReply::Cancelled { rto } => {
                if *rto {
                    ok_result(
                        "CancelWaybillResult",
                        op_awb(op),
                        "RTO",
                        "Shipment already picked up; RTO initiated",
                    )
                } else {
                    ok_result(
                        "CancelWaybillResult",
                        op_awb(op),
                        "Valid",
                        "Waybill Cancelled Successfully",
                    )
                }
            }
            SimReply::NdrAccepted { .. } => ok_result(
                "CustALTInstructionUpdateResult",
                op_awb(op),
                "Valid",
                "Alternate instruction updated successfully",
            ),
            SimReply::Serviceable(records) => render_serviceable(op, records),
            SimReply::Error(error) => render_error(op, error),
            SimReply::Awbs(_)
            | SimReply::Label { .. }
            | SimReply::Modified
            | SimReply::NdrStatus { .. } => {
                error_response(404, "NotFound", "Blue Dart offers no such operation")
            }
        }
    }

    fn sim_awb(&self, serial: u64) -> String {
        // Blue Dart AWBs are 11 digits (e.g. 76662235090).
        format!("5{:010}", serial % 10_000_000_000)
    }

    fn sim_push(
        &self,
        secret: &str,
        shipment: &SimShipment,
        new_scans: &[SimScan],
    ) -> Option<HttpRequest> {
        if new_scans.is_empty() {
            return None;
        }
        let details: Vec<Value> = new_scans
            .iter()
            .map(|scan| {
                let (group, code) = scan.code.split_once('-').unwrap_or(("", scan.code));
                let (date, time) = render_scan_time(scan.at);
                json!({
                    "Scan": scan.description,
                    "ScanCode": code,
                    "ScanDate": date,
                    "ScanGroupType": group,
                    "ScanTime": time,
                    "ScanType": scan_type_for(scan.status),
                    "ScannedLocation": scan.location,
                    "StatusTimeZone": "IST",
                })
            })
            .collect();
        let edd = shipment
            .edd
            .map(|d: Date| d.strftime("%d-%m-%Y").to_string())
            .unwrap_or_default();
        let body = json!({"statustracking": [{"Shipment": {
            "ExpectedDeliveryDate": edd,
            "Prodcode": "A",
            "RefNo": shipment.reference,
            "Scans": {"ScanDetail": details},
            "WaybillNo": shipment.awb,
        }}]});
        Some(
            HttpRequest::new(Method::Post, "", "push")
                .header(PUSH_TOKEN_HEADER, secret)
                .json(body),
        )
    }
}
