//! Every request compared with its documented shape: method, path, headers,
//! body bytes.

mod common;

use common::*;
use jiff::civil::date;
use shipgate_carrier_core::*;
use shipgate_carrier_xpressbees::Xpressbees;
use shipgate_domain::address::AddressInput;
use shipgate_domain::{Address, PaymentMode};

const AUTH: (&str, &str) = ("Authorization", "Bearer tok-123");

#[test]
fn login() {
    let req = Xpressbees.build_login(&account()).unwrap();
    assert_request(
        &req,
        "POST",
        "/api/users/login",
        &[],
        Some("login_request.json"),
    );
    assert_eq!(req.retry, Retry::Safe);
    assert_eq!(req.operation, "login");
    assert!(Xpressbees.requires_login());
}

#[test]
fn login_needs_both_credentials() {
    let mut acct = account();
    acct.credentials.remove("password");
    let err = Xpressbees.build_login(&acct).unwrap_err();
    assert!(matches!(err, CarrierError::InvalidRequest { .. }));
    assert!(err.to_string().contains("password"));
    assert!(!err.to_string().contains("s3cret"));
}

#[test]
fn create() {
    let draft = draft();
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: None,
    };
    let req = Xpressbees.build_create(&account(), &request).unwrap();
    assert_request(
        &req,
        "POST",
        "/api/shipments2",
        &[AUTH],
        Some("create_request.json"),
    );
    // The carrier refuses a repeated order number without returning its AWB:
    // not safe to resend blindly; find_by_reference recovers.
    assert_eq!(req.retry, Retry::Never);
    assert_eq!(req.operation, "create");
}

#[test]
fn create_prepaid_without_dimensions_or_settings() {
    let mut input = draft_input();
    input.payment_mode = PaymentMode::Prepaid;
    input.cod_amount = None;
    input.parcels[0].length_cm = None;
    input.parcels[0].width_cm = None;
    input.parcels[0].height_cm = None;
    let draft = shipgate_domain::shipment::ShipmentDraft::parse(&input).unwrap();
    let mut acct = account();
    acct.settings.pickup_location = None;
    acct.settings.extra.clear();
    acct.settings
        .extra
        .insert("auto_pickup".into(), "NO".into());
    let req = Xpressbees
        .build_create(
            &acct,
            &CreateRequest {
                reference: "ORD-1002",
                draft: &draft,
                awb: None,
            },
        )
        .unwrap();
    let Body::Json(body) = &req.body else {
        panic!("json body")
    };
    assert_eq!(body["payment_type"], "prepaid");
    assert_eq!(body["collectable_amount"], "0");
    assert_eq!(body["package_length"], 10);
    assert_eq!(body["package_breadth"], 10);
    assert_eq!(body["package_height"], 10);
    assert_eq!(body["request_auto_pickup"], "no");
    // Without a pickup_location setting, the pickup's company names the warehouse.
    assert_eq!(body["pickup"]["warehouse_name"], "Rao Traders");
    assert!(body.get("courier_id").is_none());
}

#[test]
fn create_refuses_what_xpressbees_cannot_take() {
    let draft = draft();
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: None,
    };
    let mut no_token = account();
    no_token.token = None;
    assert!(matches!(
        Xpressbees.build_create(&no_token, &request),
        Err(CarrierError::InvalidRequest { .. })
    ));
    let mut bad_setting = account();
    bad_setting
        .settings
        .extra
        .insert("auto_pickup".into(), "maybe".into());
    assert!(Xpressbees.build_create(&bad_setting, &request).is_err());

    let mut abroad = draft_input();
    abroad.consignee.country = Some("US".into());
    abroad.consignee.postal_code = "94103".into();
    abroad.consignee.phone = "+14155550100".into();
    let abroad = shipgate_domain::shipment::ShipmentDraft::parse(&abroad).unwrap();
    let err = Xpressbees
        .build_create(
            &account(),
            &CreateRequest {
                reference: "ORD-1001",
                draft: &abroad,
                awb: None,
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("India"));
}

#[test]
fn find_by_reference_reads_tracking_by_order_number() {
    let req = Xpressbees
        .build_find_by_reference(&account(), "#JS/5897")
        .unwrap();
    assert_request(
        &req,
        "GET",
        "/api/shipments2/track/%23JS%2F5897",
        &[AUTH],
        None,
    );
    assert_eq!(req.retry, Retry::Safe);
    assert_eq!(req.operation, "find_by_reference");
}

#[test]
fn track() {
    assert_eq!(Xpressbees.max_track_batch(), 1);
    let req = Xpressbees
        .build_track(&account(), &["14344940000123".to_string()])
        .unwrap();
    assert_request(
        &req,
        "GET",
        "/api/shipments2/track/14344940000123",
        &[AUTH],
        None,
    );
    assert_eq!(req.retry, Retry::Safe);
    assert!(
        Xpressbees
            .build_track(&account(), &["1".to_string(), "2".to_string()])
            .is_err()
    );
    assert!(Xpressbees.build_track(&account(), &[]).is_err());
}

#[test]
fn cancel() {
    let req = Xpressbees
        .build_cancel(&account(), "14344940000123")
        .unwrap();
    assert_request(
        &req,
        "POST",
        "/api/shipments2/cancel",
        &[AUTH],
        Some("cancel_request.json"),
    );
    assert_eq!(req.retry, Retry::Never);
}

#[test]
fn ndr_reattempt() {
    let req = Xpressbees
        .build_ndr_action(
            &account(),
            "14344940000123",
            &NdrInstruction::Reattempt {
                date: Some(date(2021, 6, 3)),
            },
        )
        .unwrap();
    assert_request(
        &req,
        "POST",
        "/api/ndr/create",
        &[AUTH],
        Some("ndr_reattempt_request.json"),
    );
    assert_eq!(req.retry, Retry::Never);
}

#[test]
fn ndr_change_address() {
    let address = Address::parse(&AddressInput {
        name: "Vikram Singh".into(),
        phone: "9876543210".into(),
        line1: "46 Park Street".into(),
        line2: Some("Flat 2".into()),
        landmark: Some("Opp. City Mall".into()),
        city: "New Delhi".into(),
        state: "Delhi".into(),
        postal_code: "110001".into(),
        ..Default::default()
    })
    .unwrap();
    let req = Xpressbees
        .build_ndr_action(
            &account(),
            "14344940000123",
            &NdrInstruction::ChangeAddress { address },
        )
        .unwrap();
    assert_request(
        &req,
        "POST",
        "/api/ndr/create",
        &[AUTH],
        Some("ndr_change_address_request.json"),
    );
}

#[test]
fn ndr_change_phone() {
    let req = Xpressbees
        .build_ndr_action(
            &account(),
            "14344940000123",
            &NdrInstruction::ChangePhone {
                phone: "+919876500000".into(),
            },
        )
        .unwrap();
    assert_request(
        &req,
        "POST",
        "/api/ndr/create",
        &[AUTH],
        Some("ndr_change_phone_request.json"),
    );
    assert!(
        Xpressbees
            .build_ndr_action(
                &account(),
                "14344940000123",
                &NdrInstruction::ChangePhone {
                    phone: "123".into()
                },
            )
            .is_err()
    );
}

#[test]
fn ndr_rto_is_not_offered() {
    let err = Xpressbees
        .build_ndr_action(
            &account(),
            "14344940000123",
            &NdrInstruction::ReturnToOrigin,
        )
        .unwrap_err();
    assert!(matches!(err, CarrierError::InvalidRequest { .. }));
    // Synchronous: no status follow-up.
    assert!(matches!(
        Xpressbees.build_ndr_status(&account(), "x"),
        Err(CarrierError::Unsupported { .. })
    ));
}

#[test]
fn rates() {
    let req = Xpressbees
        .build_rates(
            &account(),
            &RateQuery {
                origin_postal_code: "560001".into(),
                destination_postal_code: "110001".into(),
                weight_grams: 750,
                payment_mode: PaymentMode::Cod,
                cod_amount_minor: 149_900,
            },
        )
        .unwrap();
    assert_request(
        &req,
        "POST",
        "/api/courier/serviceability",
        &[AUTH],
        Some("rates_request.json"),
    );
    assert_eq!(req.retry, Retry::Safe);
}

#[test]
fn unsupported_operations_say_so() {
    let acct = account();
    for err in [
        Xpressbees
            .build_serviceability(&acct, "110001")
            .unwrap_err(),
        Xpressbees.build_label(&acct, "1").unwrap_err(),
        Xpressbees.build_fetch_awbs(&acct, 5).unwrap_err(),
        Xpressbees
            .build_modify(&acct, "1", &Modification::default())
            .unwrap_err(),
    ] {
        assert!(matches!(err, CarrierError::Unsupported { .. }), "{err}");
    }
    let caps = Xpressbees.capabilities();
    for cap in [
        Capability::Serviceability,
        Capability::Label,
        Capability::Pickup,
        Capability::AwbPool,
        Capability::Modify,
    ] {
        assert!(!caps.contains(&cap), "{cap:?}");
    }
    assert_eq!(caps.len(), 6);
}
