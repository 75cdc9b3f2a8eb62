//! Shared test helpers.
#![allow(dead_code)]

use shipgate_carrier_core::{Account, HttpResponse};
use shipgate_domain::address::AddressInput;
use shipgate_domain::shipment::ShipmentDraft;
use shipgate_domain::{Address, Currency, Money, Parcel, PaymentMode};

pub const TOKEN: &str = "tok-staging-123";
pub const SECRET: &str = "push-secret-456";

pub fn account() -> Account {
    let mut account = Account::for_test(
        "delhivery",
        "https://staging-express.delhivery.com",
        &[("api_token", TOKEN), ("webhook_secret", SECRET)],
    );
    account.settings.pickup_location = Some("warehouse_name".to_string());
    account
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("utf-8 fixture")
}

pub fn response(status: u16, name: &str) -> HttpResponse {
    HttpResponse::new(status, fixture(name))
}

pub fn consignee() -> Address {
    Address::parse(&AddressInput {
        name: "Asha Rao".into(),
        phone: "+91 98123 45678".into(),
        line1: "12 MG Road".into(),
        line2: Some("Near Metro".into()),
        city: "Bengaluru".into(),
        state: "Karnataka".into(),
        postal_code: "560001".into(),
        ..Default::default()
    })
    .expect("valid address")
}

pub fn warehouse() -> Address {
    Address::parse(&AddressInput {
        name: "Shipgate Warehouse".into(),
        company: Some("Shipgate Demo Pvt Ltd".into()),
        phone: "9999999999".into(),
        line1: "Plot 7, Udyog Vihar".into(),
        city: "Gurugram".into(),
        state: "Haryana".into(),
        postal_code: "122016".into(),
        ..Default::default()
    })
    .expect("valid address")
}

pub fn draft(reference: &str, payment_mode: PaymentMode) -> ShipmentDraft {
    ShipmentDraft {
        order_reference: reference.to_string(),
        carrier: "delhivery".to_string(),
        pickup: warehouse(),
        consignee: consignee(),
        return_address: None,
        parcels: vec![Parcel {
            weight_grams: 500,
            length_cm: Some(10),
            width_cm: Some(10),
            height_cm: Some(5),
            description: Some("Cotton T-shirt".to_string()),
        }],
        payment_mode,
        cod_amount: (payment_mode == PaymentMode::Cod)
            .then(|| Money::parse(149_900, Currency::inr()).expect("money")),
        declared_value: Money::parse(149_900, Currency::inr()).expect("money"),
    }
}
