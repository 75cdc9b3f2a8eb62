#![allow(dead_code)]

use shipgate_carrier_core::Account;
use shipgate_domain::PaymentMode;
use shipgate_domain::address::AddressInput;
use shipgate_domain::parcel::ParcelInput;
use shipgate_domain::shipment::{NewShipmentInput, ShipmentDraft};

pub const USER: &str = "acme_api";
pub const PASS: &str = "s3cr&t pw";
pub const SECRET: &str = "whsec-ecom-123";

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("utf-8 fixture")
}

pub fn account() -> Account {
    Account::for_test(
        "ecom_express",
        "https://api.ecomexpress.in",
        &[
            ("username", USER),
            ("password", PASS),
            ("webhook_secret", SECRET),
        ],
    )
}

pub fn address(
    name: &str,
    phone: &str,
    line1: &str,
    city: &str,
    state: &str,
    pin: &str,
) -> AddressInput {
    AddressInput {
        name: name.into(),
        phone: phone.into(),
        line1: line1.into(),
        city: city.into(),
        state: state.into(),
        postal_code: pin.into(),
        ..Default::default()
    }
}

/// The COD draft behind `manifest_json_input.json`.
pub fn cod_draft() -> ShipmentDraft {
    let mut consignee = address(
        "Asha Rao",
        "+91 98123 45678",
        "12 MG Road",
        "Bengaluru",
        "Karnataka",
        "560001",
    );
    consignee.line2 = Some("Near Metro".into());
    let pickup = address(
        "Shipgate Warehouse",
        "9876543210",
        "Plot 4, Sector 18",
        "Gurugram",
        "Haryana",
        "122015",
    );
    let input = NewShipmentInput {
        order_reference: "ORD-1001".into(),
        pickup,
        consignee,
        parcels: vec![ParcelInput {
            weight_grams: 500,
            length_cm: Some(10),
            width_cm: Some(10),
            height_cm: Some(10),
            description: Some("Cotton kurta".into()),
        }],
        payment_mode: PaymentMode::Cod,
        cod_amount: Some(149_950),
        declared_value: 149_950,
        ..Default::default()
    };
    ShipmentDraft::parse(&input).expect("valid draft")
}

/// application/x-www-form-urlencoded, written independently of the crate's
/// encoder: unreserved bytes as they are, space as `+`, the rest `%XX`.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}
