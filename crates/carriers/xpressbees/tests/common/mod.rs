//! Shared test data: an account, a draft, fixtures.
#![allow(dead_code)]

use shipgate_carrier_core::account::Secret;
use shipgate_carrier_core::{Account, Body, HttpRequest, HttpResponse};
use shipgate_domain::PaymentMode;
use shipgate_domain::address::AddressInput;
use shipgate_domain::parcel::ParcelInput;
use shipgate_domain::shipment::{NewShipmentInput, ShipmentDraft};

pub const BASE: &str = "https://shipment.xpressbees.com";

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn response(status: u16, name: &str) -> HttpResponse {
    HttpResponse::new(status, fixture(name))
}

/// A logged-in account with a pickup warehouse and a courier service.
pub fn account() -> Account {
    let mut account = Account::for_test(
        "xpressbees",
        BASE,
        &[
            ("email", "ops@example.in"),
            ("password", "s3cret"),
            ("webhook_secret", "hook-secret"),
        ],
    );
    account.token = Some(Secret("tok-123".into()));
    account.settings.pickup_location = Some("Rao Traders Bengaluru".into());
    account
        .settings
        .extra
        .insert("courier_id".into(), "1".into());
    account
}

pub fn draft_input() -> NewShipmentInput {
    NewShipmentInput {
        order_reference: "ORD-1001".into(),
        pickup: AddressInput {
            name: "Asha Rao".into(),
            phone: "9812345678".into(),
            company: Some("Rao Traders".into()),
            line1: "12 MG Road".into(),
            line2: Some("Near Metro".into()),
            city: "Bengaluru".into(),
            state: "Karnataka".into(),
            postal_code: "560001".into(),
            ..Default::default()
        },
        consignee: AddressInput {
            name: "Vikram Singh".into(),
            phone: "+91 98765 43210".into(),
            line1: "45 Park Street".into(),
            landmark: Some("Opp. City Mall".into()),
            city: "New Delhi".into(),
            state: "Delhi".into(),
            postal_code: "110001".into(),
            ..Default::default()
        },
        parcels: vec![ParcelInput {
            weight_grams: 750,
            length_cm: Some(20),
            width_cm: Some(15),
            height_cm: Some(10),
            description: Some("Cotton kurta".into()),
        }],
        payment_mode: PaymentMode::Cod,
        cod_amount: Some(149_900),
        declared_value: 149_900,
        ..Default::default()
    }
}

pub fn draft() -> ShipmentDraft {
    ShipmentDraft::parse(&draft_input()).expect("valid draft")
}

/// The fixture's bytes in the key order this build's `serde_json` emits
/// (sorted by default), so the comparison with the built body is exact.
pub fn json_fixture_bytes(name: &str) -> Vec<u8> {
    let raw = fixture(name);
    let value: serde_json::Value = serde_json::from_slice(&raw).expect("fixture is JSON");
    serde_json::to_vec(&value).expect("serializes")
}

/// Asserts method, path, headers and the exact body bytes of a request.
pub fn assert_request(
    request: &HttpRequest,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body_fixture: Option<&str>,
) {
    assert_eq!(request.method.as_str(), method, "method");
    assert_eq!(request.path, path, "path");
    let got: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, headers, "headers");
    let (content_type, bytes) = request.body.encode();
    match body_fixture {
        Some(name) => {
            assert_eq!(content_type, Some("application/json"));
            let expected = json_fixture_bytes(name);
            assert_eq!(
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(&expected),
                "body of {path}"
            );
            // With serde_json's default (sorted) maps, the stored fixture is
            // exactly the bytes sent.
            let sorted = serde_json::to_string(&serde_json::json!({"b": 1, "a": 2}))
                .is_ok_and(|s| s == r#"{"a":2,"b":1}"#);
            if sorted {
                assert_eq!(
                    bytes,
                    fixture(name),
                    "fixture {name} differs from the body sent"
                );
            }
        }
        None => assert_eq!(request.body, Body::Empty),
    }
}
