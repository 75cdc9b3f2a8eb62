//! Shared test data: an account, drafts and fixture loading.
#![allow(dead_code)]

use jiff::civil::{Date, date};
use shipgate_carrier_core::account::Secret;
use shipgate_carrier_core::{Account, HttpResponse};
use shipgate_domain::address::AddressInput;
use shipgate_domain::shipment::ShipmentDraft;
use shipgate_domain::{Address, Currency, Money, Parcel, PaymentMode};

pub const BASE: &str = "https://app.elite.ekartlogistics.in";
pub const TOKEN: &str = "tok-abc";
pub const SECRET: &str = "whsec_123456";
pub const AWB: &str = "500999A3408005";

pub fn today() -> Date {
    date(2024, 1, 5)
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn response(status: u16, name: &str) -> HttpResponse {
    HttpResponse::new(status, fixture(name).into_bytes())
}

/// Logged in, with every credential.
pub fn account() -> Account {
    let mut account = Account::for_test(
        "ekart",
        BASE,
        &[
            ("client_id", "EKART_67a1e3aeb43c30b894d7d235"),
            ("username", "ops@example.in"),
            ("password", "s3cret"),
            ("webhook_secret", SECRET),
        ],
    );
    account.token = Some(Secret(TOKEN.to_string()));
    account
        .settings
        .extra
        .insert("seller_gst_tin".into(), "29ABCDE1234F1Z5".into());
    account
}

pub fn address(input: AddressInput) -> Address {
    Address::parse(&input).expect("valid address")
}

pub fn pickup() -> Address {
    address(AddressInput {
        name: "Asha Rao".into(),
        phone: "9812345678".into(),
        company: Some("Rao Books".into()),
        line1: "12 MG Road".into(),
        line2: Some("Shanthala Nagar".into()),
        city: "Bengaluru".into(),
        state: "Karnataka".into(),
        postal_code: "560001".into(),
        ..Default::default()
    })
}

pub fn consignee() -> Address {
    address(AddressInput {
        name: "Rahul Sharma".into(),
        phone: "+91 99887 76655".into(),
        line1: "Plot 9, MG Road".into(),
        landmark: Some("Near Metro".into()),
        city: "Gurugram".into(),
        state: "Haryana".into(),
        postal_code: "122002".into(),
        ..Default::default()
    })
}

pub fn new_address() -> Address {
    address(AddressInput {
        name: "Rahul Sharma".into(),
        phone: "9988776655".into(),
        line1: "Flat 4B".into(),
        line2: Some("Sunrise Towers".into()),
        landmark: Some("Sector 45".into()),
        city: "Gurugram".into(),
        state: "Haryana".into(),
        postal_code: "122003".into(),
        ..Default::default()
    })
}

fn inr(minor: i64) -> Money {
    Money::parse(minor, Currency::inr()).expect("valid money")
}

/// A COD shipment of one 1.2 kg, 12×10×6 cm parcel of books worth ₹1,150.
pub fn cod_draft() -> ShipmentDraft {
    ShipmentDraft {
        order_reference: "ORD-100".into(),
        carrier: "ekart".into(),
        pickup: pickup(),
        consignee: consignee(),
        return_address: None,
        parcels: vec![Parcel {
            weight_grams: 1200,
            length_cm: Some(12),
            width_cm: Some(10),
            height_cm: Some(6),
            description: Some("Books".into()),
        }],
        payment_mode: PaymentMode::Cod,
        cod_amount: Some(inr(115_000)),
        declared_value: inr(115_000),
    }
}

/// A prepaid shipment without dimensions, worth ₹1,499.50.
pub fn prepaid_draft() -> ShipmentDraft {
    ShipmentDraft {
        order_reference: "ORD-101".into(),
        parcels: vec![Parcel {
            weight_grams: 450,
            length_cm: None,
            width_cm: None,
            height_cm: None,
            description: None,
        }],
        payment_mode: PaymentMode::Prepaid,
        cod_amount: None,
        declared_value: inr(149_950),
        ..cod_draft()
    }
}

/// The account for `prepaid_draft`: a registered pickup alias, a packaging
/// template, seller details and no GST number.
pub fn alias_account() -> Account {
    let mut account = account();
    account.settings.pickup_location = Some("BLR-WH-1".into());
    let extra = &mut account.settings.extra;
    extra.remove("seller_gst_tin");
    extra.insert("package_template".into(), "Template #1".into());
    extra.insert("category_of_goods".into(), "Books".into());
    extra.insert("seller_name".into(), "Rao Books Pvt Ltd".into());
    extra.insert(
        "seller_address".into(),
        "Rao Books Pvt Ltd, Bengaluru".into(),
    );
    account
}
