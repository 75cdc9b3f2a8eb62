//! Shared test data: an account, drafts, fixtures.
#![allow(dead_code)]

use std::path::PathBuf;

use jiff::Timestamp;
use serde_json::json;
use shipgate_carrier_core::account::{Account, Secret};
use shipgate_carrier_core::{Body, HttpRequest, HttpResponse};
use shipgate_domain::shipment::{NewShipmentInput, ShipmentDraft};

pub const BASE: &str = "https://apigateway.bluedart.com/in/transportation";
pub const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzaGlwZ2F0ZSIsImV4cCI6MTc2OTkxODgyOSwiaWF0IjoxNzY5ODMyNDI5fQ.c2lnbmF0dXJl";

pub fn account() -> Account {
    let mut a = Account::for_test(
        "bluedart",
        BASE,
        &[
            ("client_id", "consumer-key"),
            ("client_secret", "consumer-secret"),
            ("login_id", "BOM00001"),
            ("licence_key", "lic-key-123"),
            ("webhook_secret", "push-secret"),
        ],
    );
    for (k, v) in [
        ("customer_code", "123456"),
        ("origin_area", "BOM"),
        (
            "pickup_address",
            "Unit 4, Andheri Industrial Estate, Andheri East",
        ),
        ("pickup_pincode", "400069"),
        ("pickup_phone", "+919812345678"),
    ] {
        a.settings.extra.insert(k.into(), v.into());
    }
    a.settings.pickup_location = Some("Acme Warehouse".into());
    a.token = Some(Secret(TOKEN.into()));
    a
}

pub fn draft_value(reference: &str, cod: bool) -> serde_json::Value {
    json!({
        "order_reference": reference,
        "carrier": "bluedart",
        "pickup": {
            "name": "Ravi Kumar", "phone": "9812345678", "company": "Acme Traders",
            "line1": "Unit 4, Andheri Industrial Estate", "city": "Mumbai",
            "state": "Maharashtra", "postal_code": "400069", "email": "ops@acme.example"
        },
        "consignee": {
            "name": "Asha Rao", "phone": "+91 98450 12345",
            "line1": "12 MG Road", "line2": "Flat 3B", "landmark": "Near Metro",
            "city": "Bengaluru", "state": "Karnataka", "postal_code": "560001"
        },
        "parcels": [
            {"weight_grams": 1250, "length_cm": 30, "width_cm": 20, "height_cm": 10, "description": "Cotton shirts"},
            {"weight_grams": 500}
        ],
        "payment_mode": if cod { "cod" } else { "prepaid" },
        "cod_amount": if cod { Some(149_950) } else { None },
        "declared_value": 249_900
    })
}

pub fn draft(reference: &str, cod: bool) -> ShipmentDraft {
    let input: NewShipmentInput =
        serde_json::from_value(draft_value(reference, cod)).expect("valid input");
    ShipmentDraft::parse(&input).expect("valid draft")
}

/// 2026-02-02 10:15 IST.
pub fn now() -> Timestamp {
    "2026-02-02T04:45:00Z".parse().unwrap()
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn response(status: u16, name: &str) -> HttpResponse {
    HttpResponse::new(status, fixture(name))
}

/// The bytes a request sends, as the runtime encodes them.
pub fn body_bytes(request: &HttpRequest) -> Vec<u8> {
    request.body.encode().1
}

/// The request as the simulator receives it (body decoded from its bytes).
pub fn as_received(request: &HttpRequest) -> HttpRequest {
    let (content_type, bytes) = request.body.encode();
    let mut r = request.clone();
    r.body = Body::decode(content_type, &bytes);
    r
}
