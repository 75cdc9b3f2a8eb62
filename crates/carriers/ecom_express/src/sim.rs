//! Ecom Express's side of the simulator: reads requests in Ecom's format and
//! answers the way Ecom does, in exactly the shapes the adapter builds and
//! parses.

use shipgate_carrier_core::http::{Body, HttpRequest, HttpResponse, IncomingRequest, form_fields};
use shipgate_carrier_core::sim::{
    Personality, SimCreate, SimError, SimErrorKind, SimNdr, SimOp, SimReply, SimScan, SimShipment,
};
use shipgate_carrier_core::time::ist;
use shipgate_carrier_core::{Method, ServiceabilityRecord};
use shipgate_domain::PaymentMode;

use crate::transformers::{
    EcomExpressManifestShipment, EcomExpressNdrRequest, EcomExpressPushScan,
};
use crate::xml::esc;
use crate::*;

fn json(status: u16, value: serde_json::Value) -> HttpResponse {
    HttpResponse::json(status, &value)
}

/// Ecom's generic error body (the fetch_awb error shape).
fn error_body(status: u16, message: &str) -> HttpResponse {
    json(
        status,
        serde_json::json!({"success": "no", "error": [message]}),
    )
}

fn fields_of(request: &IncomingRequest) -> Vec<(String, String)> {
    match &request.body {
        Body::Form(fields) => fields.clone(),
        Body::Xml(raw) => form_fields(raw.as_bytes()),
        Body::Json(_) | Body::Empty => Vec::new(),
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn invalid(message: &str) -> HttpResponse {
    error_body(400, message)
}

/// An AWB as JSON: a number when it is all digits (as Ecom sends them).
fn awb_json(awb: &str) -> serde_json::Value {
    awb.parse::<u64>()
        .ok()
        .filter(|_| !awb.starts_with('0'))
        .map_or_else(|| serde_json::Value::from(awb), serde_json::Value::from)
}

fn first_of<T: serde::de::DeserializeOwned>(raw: Option<&str>) -> Result<T, HttpResponse> {
    let raw = raw.ok_or_else(|| invalid("json_input is required"))?;
    let mut items: Vec<T> =
        serde_json::from_str(raw).map_err(|e| invalid(&format!("invalid json_input: {e}")))?;
    if items.is_empty() {
        return Err(invalid("json_input is empty"));
    }
    Ok(items.swap_remove(0))
}

fn scan_time(scan: &SimScan) -> String {
    scan.at
        .to_zoned(ist())
        .strftime("%d %b, %Y, %H:%M")
        .to_string()
}

fn xml_field(out: &mut String, kind: &str, name: &str, value: &str) {
    out.push_str(&format!(
        "<field type=\"{kind}\" name=\"{name}\">{}</field>",
        esc(value)
    ));
}

/// The tracking answer for these shipments (scans newest first, as Ecom lists them).
pub(crate) fn render_tracking(shipments: &[SimShipment]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ecomexpress-objects version=\"1.0\">",
    );
    for (i, s) in shipments.iter().enumerate() {
        out.push_str(&format!("<object pk=\"{}\" model=\"awb\">", i + 1));
        xml_field(&mut out, "BigIntegerField", "awb_number", &s.awb);
        xml_field(&mut out, "CharField", "orderid", &s.reference);
        xml_field(&mut out, "CharField", "consignee", &s.consignee_name);
        let latest = s.latest();
        xml_field(
            &mut out,
            "CharField",
            "status",
            latest.map_or("Soft data uploaded", |l| l.description),
        );
        let code = latest.map_or("", |l| l.code);
        let description = latest.map_or("", |l| l.description);
        xml_field(
            &mut out,
            "CharField",
            "reason_code",
            &format!("{code} - {description}"),
        );
        xml_field(
            &mut out,
            "CharField",
            "reason_code_description",
            description,
        );
        xml_field(&mut out, "CharField", "reason_code_number", code);
        xml_field(
            &mut out,
            "CharField",
            "expected_date",
            &s.edd
                .map(|d| d.strftime("%d-%b-%Y").to_string())
                .unwrap_or_default(),
        );
        xml_field(&mut out, "CharField", "pincode", &s.destination_postal_code);
        out.push_str("<field type=\"CharField\" name=\"scans\">");
        for (j, scan) in s.scans.iter().rev().enumerate() {
            out.push_str(&format!("<object pk=\"{}\" model=\"scan_stages\">", j + 1));
            xml_field(&mut out, "DateTimeField", "updated_on", &scan_time(scan));
            xml_field(&mut out, "CharField", "status", scan.description);
            xml_field(
                &mut out,
                "CharField",
                "reason_code",
                &format!("{} - {}", scan.code, scan.description),
            );
            xml_field(&mut out, "CharField", "reason_code_number", scan.code);
            xml_field(&mut out, "CharField", "scan_status", "HOLD");
            xml_field(&mut out, "CharField", "location", &scan.location);
            xml_field(&mut out, "CharField", "location_city", &scan.location);
            xml_field(&mut out, "CharField", "location_type", "Service Center");
            xml_field(&mut out, "CharField", "city_name", &scan.location);
            out.push_str("</object>");
        }
        out.push_str("</field></object>");
    }
    out.push_str("</ecomexpress-objects>");
    out
}

fn pincode_json(r: &ServiceabilityRecord) -> serde_json::Value {
    serde_json::json!({
        "city": "",
        "state": "",
        "active": r.prepaid || r.cod || r.pickup,
        "route": r.sort_code,
        "date_of_discontinuance": null,
        "pincode": r.postal_code.parse::<u64>().map_or_else(|_| serde_json::Value::from(r.postal_code.clone()), serde_json::Value::from),
        "dccode": r.sort_code,
    })
}

fn op_awb(op: &SimOp) -> String {
    match op {
        SimOp::Cancel { awb } | SimOp::Ndr { awb, .. } | SimOp::Label { awb } => awb.clone(),
        SimOp::Create(c) => c.awb.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn render_error(op: &SimOp, e: &SimError) -> HttpResponse {
    let status = match e.kind {
        SimErrorKind::Unauthorized => 401,
        SimErrorKind::Invalid => 400,
        SimErrorKind::NotFound => 404,
        SimErrorKind::Refused => 400,
    };
    if e.kind == SimErrorKind::Unauthorized {
        return error_body(401, &e.message);
    }
    match op {
        SimOp::Track { .. } if e.kind == SimErrorKind::NotFound => {
            HttpResponse::xml(200, render_tracking(&[]))
        }
        SimOp::Create(c) => json(
            if e.kind == SimErrorKind::Refused {
                200
            } else {
                status
            },
            serde_json::json!({"shipments": [{
                "reason": e.message,
                "order_number": c.reference,
                "awb": awb_json(c.awb.as_deref().unwrap_or_default()),
                "success": false,
            }]}),
        ),
        SimOp::Cancel { awb } => json(
            200,
            serde_json::json!([{
                "awb": awb_json(awb),
                "success": false,
                "reason": if e.kind == SimErrorKind::NotFound { REASON_BAD_AWB.to_string() } else { e.message.clone() },
            }]),
        ),
        SimOp::Ndr { awb, .. } => json(
            200,
            serde_json::json!([{"awb": awb, "status": "false", "error": [e.message]}]),
        ),
        _ => error_body(status, &e.message),
    }
}

impl Personality for EcomExpress {
    fn sim_parse(&self, request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        let path = request.path_only().to_string();
        let path = if path.ends_with('/') {
            path
        } else {
            format!("{path}/")
        };
        let fields = if path == PATH_TRACK {
            request.query_params()
        } else {
            fields_of(request)
        };
        let known = [
            PATH_FETCH_AWB,
            PATH_MANIFEST,
            PATH_CANCEL,
            PATH_NDR,
            PATH_TRACK,
            PATH_PINCODE,
        ];
        if !known.contains(&path.as_str()) {
            return Err(error_body(404, "Not Found"));
        }
        let expected_method = if path == PATH_TRACK {
            Method::Get
        } else {
            Method::Post
        };
        if request.method != expected_method
            && !(path == PATH_TRACK && request.method == Method::Post)
        {
            return Err(error_body(405, "Method Not Allowed"));
        }
        if field(&fields, "username").is_none() || field(&fields, "password").is_none() {
            return Err(error_body(401, "Unauthorised Request"));
        }
        match path.as_str() {
            PATH_FETCH_AWB => {
                let count = field(&fields, "count")
                    .and_then(|c| c.parse::<u32>().ok())
                    .filter(|c| *c > 0)
                    .ok_or_else(|| invalid("count must be a positive number"))?;
                match field(&fields, "type")
                    .map(str::to_ascii_uppercase)
                    .as_deref()
                {
                    Some("PPD" | "COD" | "REV") => Ok(SimOp::FetchAwbs { count }),
                    _ => Err(invalid("type must be PPD, COD or REV")),
                }
            }
            PATH_MANIFEST => {
                let s: EcomExpressManifestShipment = first_of(field(&fields, "json_input"))?;
                let payment_mode = match s.product.to_ascii_uppercase().as_str() {
                    "PPD" => PaymentMode::Prepaid,
                    "COD" => PaymentMode::Cod,
                    _ => return Err(invalid("PRODUCT must be PPD or COD")),
                };
                let cod_amount_minor = number_to_minor(&s.collectable_value);
                if payment_mode == PaymentMode::Prepaid && cod_amount_minor > 0 {
                    return Err(invalid("PPD_COLLECTABLE_VALUE_SHOULD_BE_ZERO!"));
                }
                if payment_mode == PaymentMode::Cod && cod_amount_minor <= 0 {
                    return Err(invalid("COD_COLLECTABLE_VALUE_SHOULD_NOT_BE_ZERO!"));
                }
                if s.order_number.is_empty() || s.consignee.is_empty() || s.pincode.is_empty() {
                    return Err(invalid("ORDER_NUMBER, CONSIGNEE and PINCODE are required"));
                }
                Ok(SimOp::Create(SimCreate {
                    reference: s.order_number,
                    awb: Some(s.awb_number).filter(|a| !a.is_empty()),
                    payment_mode,
                    cod_amount_minor,
                    consignee_name: s.consignee,
                    consignee_postal_code: s.pincode,
                    pickup_location: Some(s.pickup_name).filter(|p| !p.is_empty()),
                    weight_grams: number_to_grams(&s.actual_weight),
                }))
            }
            PATH_CANCEL => {
                let awb = field(&fields, "awbs").ok_or_else(|| invalid("awbs is required"))?;
                Ok(SimOp::Cancel {
                    awb: awb.to_string(),
                })
            }
            PATH_NDR => {
                let n: EcomExpressNdrRequest = first_of(field(&fields, "json_input"))?;
                let instruction = match n.instruction.to_ascii_uppercase().as_str() {
                    "RTO" => SimNdr::ReturnToOrigin,
                    "RAD" if n.consignee_address.is_some() => SimNdr::ChangeAddress,
                    "RAD" if n.mobile.is_some() => SimNdr::ChangePhone,
                    "RAD" => SimNdr::Reattempt,
                    _ => return Err(invalid("instruction must be RAD or RTO")),
                };
                Ok(SimOp::Ndr {
                    awb: n.awb,
                    instruction,
                })
            }
            PATH_TRACK => {
                let awbs: Vec<String> = field(&fields, "awb")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect();
                if awbs.is_empty() {
                    return Err(invalid("awb is required"));
                }
                Ok(SimOp::Track {
                    awbs,
                    references: Vec::new(),
                })
            }
            PATH_PINCODE => {
                let pin =
                    field(&fields, "pincode").ok_or_else(|| invalid("pincode is required"))?;
                Ok(SimOp::Serviceability {
                    postal_code: pin.to_string(),
                })
            }
            _ => Err(error_body(404, "Not Found")),
        }
    }

    fn sim_render(&self, op: &SimOp, reply: &SimReply) -> HttpResponse {
        match reply {
            SimReply::Error(e) => render_error(op, e),
            SimReply::Awbs(awbs) => json(
                200,
                serde_json::json!({
                    "reference_id": 1,
                    "success": "yes",
                    "awb": awbs.iter().map(|a| awb_json(a)).collect::<Vec<_>>(),
                }),
            ),
            SimReply::Created {
                awb,
                reference,
                duplicate,
                ..
            } => json(
                200,
                serde_json::json!({"shipments": [{
                    "reason": if *duplicate { REASON_AWB_EXISTS } else { "" },
                    "order_number": reference,
                    "awb": awb_json(awb),
                    "success": !*duplicate,
                }]}),
            ),
            SimReply::Tracked(shipments) => HttpResponse::xml(200, render_tracking(shipments)),
            SimReply::Cancelled { rto } => json(
                200,
                serde_json::json!([{
                    "awb": awb_json(&op_awb(op)),
                    "success": !*rto,
                    "reason": if *rto { REASON_RTO_LOCK } else { "" },
                }]),
            ),
            SimReply::NdrAccepted { .. } => json(
                200,
                serde_json::json!([{"awb": op_awb(op), "status": "true", "error": []}]),
            ),
            SimReply::Serviceable(records) => json(
                200,
                serde_json::Value::Array(records.iter().map(pincode_json).collect()),
            ),
            SimReply::Token { .. }
            | SimReply::Label { .. }
            | SimReply::PickupCreated { .. }
            | SimReply::Modified
            | SimReply::NdrStatus { .. } => error_body(404, "Not Found"),
        }
    }

    fn sim_awb(&self, serial: u64) -> String {
        // Ecom AWBs are 9-digit numbers (102019265, 705054282).
        format!("{}", 100_000_000 + serial % 900_000_000)
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
        let scans: Vec<serde_json::Value> = new_scans
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let scan = EcomExpressPushScan {
                    awb: Some(shipment.awb.clone()),
                    datetime: Some(
                        s.at.to_zoned(ist())
                            .strftime("%Y-%m-%d %H:%M:%S")
                            .to_string(),
                    ),
                    status: Some(s.description.to_string()),
                    reason_code: Some(format!("{} - {}", s.code, s.description)),
                    reason_code_number: Some(s.code.to_string()),
                    location: Some(s.location.clone()),
                    employee: Some(String::new()),
                    status_update_number: Some((i + 1).to_string()),
                    order_number: Some(shipment.reference.clone()),
                    city: Some(s.location.clone()),
                    ref_awb: Some(String::new()),
                    ..EcomExpressPushScan::default()
                };
                serde_json::to_value(scan).ok()
            })
            .collect();
        let body = match <[serde_json::Value; 1]>::try_from(scans) {
            Ok([one]) => one,
            Err(many) => serde_json::Value::Array(many),
        };
        Some(
            HttpRequest::new(Method::Post, "", "push")
                .header("Authorization", format!("Bearer {secret}"))
                .json(body),
        )
    }
}
