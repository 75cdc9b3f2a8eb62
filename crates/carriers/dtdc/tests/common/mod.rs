//! Shared test data: an account and shipment drafts shaped like DTDC's
//! vendor samples (Order Upload API v2.0).
#![allow(dead_code)]

use std::path::PathBuf;

use shipgate_carrier_core::account::Secret;
use shipgate_carrier_core::{Account, HttpResponse};
use shipgate_domain::PaymentMode;
use shipgate_domain::address::AddressInput;
use shipgate_domain::parcel::ParcelInput;
use shipgate_domain::shipment::{NewShipmentInput, ShipmentDraft};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture with surrounding whitespace (the trailing newline) removed.
pub fn fixture_trimmed(name: &str) -> Vec<u8> {
    String::from_utf8(fixture(name))
        .unwrap()
        .trim()
        .as_bytes()
        .to_vec()
}

pub fn response(status: u16, name: &str) -> HttpResponse {
    HttpResponse::new(status, fixture(name))
}

pub fn account() -> Account {
    let mut account = Account::for_test(
        "dtdc",
        "https://dtdcapi.shipsy.io",
        &[
            ("api_key", "TEST_API_KEY"),
            ("tracking_username", "GL10991_trk_json"),
            ("tracking_password", "s3cret pass"),
        ],
    );
    account
        .settings
        .extra
        .insert("customer_code".into(), "GL10991".into());
    account.token = Some(Secret(
        "GL10991_trk_json:411c5d5200239ed2241b737fa15eecc1".into(),
    ));
    account
}

fn address(
    name: &str,
    phone: &str,
    line1: &str,
    line2: Option<&str>,
    pin: &str,
    city: &str,
    state: &str,
) -> AddressInput {
    AddressInput {
        name: name.into(),
        phone: phone.into(),
        line1: line1.into(),
        line2: line2.map(Into::into),
        city: city.into(),
        state: state.into(),
        postal_code: pin.into(),
        ..Default::default()
    }
}

pub fn input() -> NewShipmentInput {
    NewShipmentInput {
        order_reference: "ORD-100001".into(),
        carrier: Some("dtdc".into()),
        carrier_account_id: None,
        allocation: None,
        pickup: address(
            "TEST ENTERPRISES",
            "+91 98765 43210",
            "12 Okhla Phase 2",
            None,
            "110046",
            "New Delhi",
            "Delhi",
        ),
        consignee: address(
            "Ravi Kumar",
            "9876543220",
            "45 Fort Main Road",
            Some("Near Clock Tower"),
            "636010",
            "Salem",
            "Tamil Nadu",
        ),
        return_address: None,
        parcels: vec![ParcelInput {
            weight_grams: 17_000,
            length_cm: Some(70),
            width_cm: Some(70),
            height_cm: Some(65),
            description: Some("Kitchen appliances".into()),
        }],
        payment_mode: PaymentMode::Prepaid,
        cod_amount: None,
        declared_value: 598_260,
        currency: None,
    }
}

pub fn draft() -> ShipmentDraft {
    ShipmentDraft::parse(&input()).expect("valid draft")
}

/// Two parcels, cash on delivery, a return address.
pub fn cod_mps_draft() -> ShipmentDraft {
    let mut input = input();
    input.order_reference = "ORD-100002".into();
    input.payment_mode = PaymentMode::Cod;
    input.cod_amount = Some(149_901);
    input.declared_value = 149_901;
    input.return_address = Some(address(
        "Returns Desk",
        "+919876543230",
        "789 Return Street",
        Some("Floor 2"),
        "110002",
        "New Delhi",
        "Delhi",
    ));
    input.parcels = vec![
        ParcelInput {
            weight_grams: 500,
            length_cm: Some(5),
            width_cm: Some(5),
            height_cm: Some(5),
            description: Some("Test Product".into()),
        },
        ParcelInput {
            weight_grams: 1_250,
            length_cm: Some(30),
            width_cm: Some(20),
            height_cm: Some(15),
            description: None,
        },
    ];
    ShipmentDraft::parse(&input).expect("valid draft")
}
