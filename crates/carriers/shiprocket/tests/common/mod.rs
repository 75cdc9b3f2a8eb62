#![allow(dead_code)]

use shipgate_carrier_core::Account;
use shipgate_carrier_core::account::Secret;
use shipgate_domain::PaymentMode;
use shipgate_domain::address::AddressInput;
use shipgate_domain::parcel::ParcelInput;
use shipgate_domain::shipment::{NewShipmentInput, ShipmentDraft};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// A logged-in account with a pickup location.
pub fn account() -> Account {
    let mut a = Account::for_test(
        "shiprocket",
        "https://apiv2.shiprocket.in/v1/external",
        &[
            ("email", "api-user@example.com"),
            ("password", "s3cret"),
            ("webhook_secret", "hook-token-123"),
        ],
    );
    a.settings.pickup_location = Some("Primary".into());
    a.settings
        .extra
        .insert("pickup_postcode".into(), "110001".into());
    a.token = Some(Secret("tok".into()));
    a
}

fn address(name: &str, pin: &str) -> AddressInput {
    AddressInput {
        name: name.into(),
        phone: "9812345678".into(),
        email: Some("asha@example.com".into()),
        line1: "12 MG Road".into(),
        line2: Some("Near Metro".into()),
        city: "Bengaluru".into(),
        state: "Karnataka".into(),
        postal_code: pin.into(),
        ..Default::default()
    }
}

pub fn draft_input() -> NewShipmentInput {
    NewShipmentInput {
        order_reference: "ORD-1001".into(),
        pickup: address("Warehouse", "110001"),
        consignee: address("Asha Rao", "560001"),
        parcels: vec![ParcelInput {
            weight_grams: 500,
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
    ShipmentDraft::parse(&draft_input()).unwrap()
}
