//! Each request compared with its fixture byte for byte: method, path,
//! headers, body, retry policy.

mod common;

use common::{account, draft, draft_input, fixture};
use jiff::Timestamp;
use jiff::civil::date;
use shipgate_carrier_core::http::{HttpRequest, Method, Retry};
use shipgate_carrier_core::*;
use shipgate_carrier_shiprocket::Shiprocket;
use shipgate_domain::shipment::ShipmentDraft;
use shipgate_domain::{Address, PaymentMode};

fn assert_body(request: &HttpRequest, fixture_name: &str) {
    let (content_type, bytes) = request.body.encode();
    assert_eq!(content_type, Some("application/json"));
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        String::from_utf8(fixture(fixture_name)).unwrap(),
        "{fixture_name}"
    );
}

fn assert_bearer(request: &HttpRequest) {
    assert_eq!(request.header_value("Authorization"), Some("Bearer tok"));
}

fn at() -> Timestamp {
    "2024-01-05T05:02:11Z".parse().unwrap()
}

#[test]
fn login_posts_the_api_user() {
    let r = Shiprocket.build_login(&account()).unwrap();
    assert_eq!((r.method, r.path.as_str()), (Method::Post, "/auth/login"));
    assert_eq!(r.retry, Retry::Safe);
    assert!(r.header_value("Authorization").is_none());
    assert_body(&r, "login_request.json");
    assert!(Shiprocket.requires_login());
}

#[test]
fn login_without_a_password_names_the_credential_not_its_value() {
    let mut a = account();
    a.credentials.remove("password");
    let e = Shiprocket.build_login(&a).unwrap_err().to_string();
    assert!(e.contains("password"), "{e}");
    assert!(!e.contains("api-user@example.com"), "{e}");
}

#[test]
fn create_uses_the_wrapper_and_matches_the_fixture() {
    let d = draft();
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let r = Shiprocket.build_create_at(&account(), &req, at()).unwrap();
    assert_eq!(
        (r.method, r.path.as_str()),
        (Method::Post, "/shipments/create/forward-shipment")
    );
    assert_eq!(r.retry, Retry::Never, "Shiprocket does not de-duplicate");
    assert_eq!(r.operation, "create");
    assert_bearer(&r);
    assert_body(&r, "create_request.json");
}

#[test]
fn create_through_the_trait_stamps_the_current_ist_time() {
    let d = draft();
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let before = Timestamp::now();
    let r = Shiprocket.build_create(&account(), &req).unwrap();
    let Body::Json(body) = &r.body else { panic!() };
    let stamped = body["order_date"].as_str().unwrap();
    let parsed = shipgate_carrier_shiprocket::parse_time(stamped).unwrap();
    assert!(
        (parsed.as_second() - before.as_second()).abs() <= 120,
        "{stamped}"
    );
}

#[test]
fn cod_amount_below_or_above_the_declared_value_is_what_gets_collected() {
    let mut input = draft_input();
    input.cod_amount = Some(99_950);
    let d = ShipmentDraft::parse(&input).unwrap();
    let req = CreateRequest {
        reference: "R1",
        draft: &d,
        awb: None,
    };
    let r = Shiprocket.build_create_at(&account(), &req, at()).unwrap();
    let Body::Json(b) = &r.body else { panic!() };
    assert_eq!(b["sub_total"], 1499);
    assert_eq!(b["total_discount"], 499.5);
    assert_eq!(b["shipping_charges"], 0);

    input.cod_amount = Some(160_000);
    let d = ShipmentDraft::parse(&input).unwrap();
    let req = CreateRequest {
        reference: "R1",
        draft: &d,
        awb: None,
    };
    let r = Shiprocket.build_create_at(&account(), &req, at()).unwrap();
    let Body::Json(b) = &r.body else { panic!() };
    assert_eq!(b["shipping_charges"], 101);
    assert_eq!(b["total_discount"], 0);
}

#[test]
fn prepaid_multi_parcel_create_with_settings() {
    let mut input = draft_input();
    input.payment_mode = PaymentMode::Prepaid;
    input.cod_amount = None;
    input.consignee.name = "Madhu".into();
    input.consignee.line2 = None;
    input.consignee.landmark = Some("Opp. Temple".into());
    input.parcels.push(shipgate_domain::parcel::ParcelInput {
        weight_grams: 1250,
        length_cm: Some(30),
        width_cm: Some(10),
        height_cm: Some(5),
        description: None,
    });
    let d = ShipmentDraft::parse(&input).unwrap();
    let mut a = account();
    a.settings.extra.insert("courier_id".into(), "51".into());
    a.settings.extra.insert("channel_id".into(), "27202".into());
    a.settings
        .extra
        .insert("request_pickup".into(), "false".into());
    let req = CreateRequest {
        reference: "R2",
        draft: &d,
        awb: None,
    };
    let r = Shiprocket.build_create_at(&a, &req, at()).unwrap();
    let Body::Json(b) = &r.body else { panic!() };
    assert_eq!(b["payment_method"], "Prepaid");
    assert_eq!(b["billing_customer_name"], "Madhu");
    assert_eq!(b["billing_last_name"], "");
    assert_eq!(b["billing_address_2"], "Opp. Temple");
    assert_eq!(b["weight"], 1.75);
    assert_eq!(
        (
            b["length"].clone(),
            b["breadth"].clone(),
            b["height"].clone()
        ),
        (30.into(), 15.into(), 15.into())
    );
    assert_eq!(b["courier_id"], 51);
    assert_eq!(b["channel_id"], "27202");
    assert_eq!(b["request_pickup"], false);
    assert_eq!(b["total_discount"], 0);
}

#[test]
fn create_refuses_what_shiprocket_cannot_take() {
    let d = draft();
    let req = CreateRequest {
        reference: "R",
        draft: &d,
        awb: None,
    };
    let mut a = account();
    a.settings.pickup_location = None;
    assert!(matches!(
        Shiprocket.build_create_at(&a, &req, at()),
        Err(CarrierError::InvalidRequest { .. })
    ));
    let mut a = account();
    a.token = None;
    assert!(Shiprocket.build_create_at(&a, &req, at()).is_err());
    let mut a = account();
    a.settings.extra.insert("courier_id".into(), "fast".into());
    assert!(Shiprocket.build_create_at(&a, &req, at()).is_err());

    let mut foreign = draft();
    foreign.consignee = Address::parse(&shipgate_domain::address::AddressInput {
        name: "Ann".into(),
        phone: "+4420700000000".into(),
        line1: "1 High St".into(),
        city: "London".into(),
        state: "London".into(),
        postal_code: "SW1A 1AA".into(),
        country: Some("GB".into()),
        ..Default::default()
    })
    .unwrap();
    let req = CreateRequest {
        reference: "R",
        draft: &foreign,
        awb: None,
    };
    assert!(Shiprocket.build_create_at(&account(), &req, at()).is_err());
}

#[test]
fn find_by_reference_tracks_by_order_id() {
    let r = Shiprocket
        .build_find_by_reference(&account(), "ORD 1001/A")
        .unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(r.path, "/courier/track?order_id=ORD+1001%2FA");
    assert_eq!(r.retry, Retry::Safe);
    assert_bearer(&r);
    let mut a = account();
    a.settings.extra.insert("channel_id".into(), "12345".into());
    let r = Shiprocket.build_find_by_reference(&a, "NO-123").unwrap();
    assert_eq!(r.path, "/courier/track?order_id=NO-123&channel_id=12345");
}

#[test]
fn one_awb_is_tracked_by_get_several_by_post() {
    let r = Shiprocket
        .build_track(&account(), &["141123221084922".to_string()])
        .unwrap();
    assert_eq!(
        (r.method, r.path.as_str(), r.retry),
        (
            Method::Get,
            "/courier/track/awb/141123221084922",
            Retry::Safe
        )
    );
    assert_bearer(&r);
    assert_eq!(r.body, Body::Empty);

    let r = Shiprocket
        .build_track(
            &account(),
            &["788830567028".to_string(), "788829354408".to_string()],
        )
        .unwrap();
    assert_eq!(
        (r.method, r.path.as_str(), r.retry),
        (Method::Post, "/courier/track/awbs", Retry::Safe)
    );
    assert_body(&r, "track_awbs_request.json");

    assert_eq!(Shiprocket.max_track_batch(), 50);
    let too_many: Vec<String> = (0..51).map(|i| format!("7{i:013}")).collect();
    assert!(Shiprocket.build_track(&account(), &too_many).is_err());
    assert!(Shiprocket.build_track(&account(), &[]).is_err());
    assert!(
        Shiprocket
            .build_track(&account(), &["../orders".to_string()])
            .is_err()
    );
}

#[test]
fn cancel_by_awb() {
    let r = Shiprocket
        .build_cancel(&account(), "19041424751540")
        .unwrap();
    assert_eq!(
        (r.method, r.path.as_str(), r.retry),
        (Method::Post, "/orders/cancel/shipment/awbs", Retry::Never)
    );
    assert_bearer(&r);
    assert_body(&r, "cancel_request.json");
}

#[test]
fn ndr_actions() {
    let a = account();
    let r = Shiprocket
        .build_ndr_action(
            &a,
            "19041424751540",
            &NdrInstruction::Reattempt {
                date: Some(date(2024, 1, 7)),
            },
        )
        .unwrap();
    assert_eq!(
        (r.method, r.path.as_str(), r.retry),
        (Method::Post, "/ndr/19041424751540/action", Retry::Never)
    );
    assert_bearer(&r);
    assert_body(&r, "ndr_reattempt_request.json");

    let r = Shiprocket
        .build_ndr_action(&a, "19041424751540", &NdrInstruction::ReturnToOrigin)
        .unwrap();
    assert_body(&r, "ndr_return_request.json");

    let r = Shiprocket
        .build_ndr_action(
            &a,
            "19041424751540",
            &NdrInstruction::ChangePhone {
                phone: "+919876543210".into(),
            },
        )
        .unwrap();
    assert_body(&r, "ndr_phone_request.json");

    let r = Shiprocket
        .build_ndr_action(
            &a,
            "19041424751540",
            &NdrInstruction::ChangeAddress {
                address: draft().consignee,
            },
        )
        .unwrap();
    let Body::Json(b) = &r.body else { panic!() };
    assert_eq!(b["action"], "re-attempt");
    assert_eq!(b["address1"], "12 MG Road");
    assert_eq!(b["address2"], "Near Metro");

    assert!(
        Shiprocket
            .build_ndr_action(
                &a,
                "1",
                &NdrInstruction::ChangePhone {
                    phone: "123".into()
                }
            )
            .is_err()
    );
}

#[test]
fn serviceability_and_rates_query_the_lane() {
    let r = Shiprocket
        .build_serviceability(&account(), "560001")
        .unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.path,
        "/courier/serviceability/?pickup_postcode=110001&delivery_postcode=560001&weight=0.5&cod=0"
    );
    assert_eq!(r.retry, Retry::Safe);
    assert_bearer(&r);
    let mut a = account();
    a.settings.extra.remove("pickup_postcode");
    assert!(Shiprocket.build_serviceability(&a, "560001").is_err());

    let r = Shiprocket
        .build_rates(
            &account(),
            &RateQuery {
                origin_postal_code: "110001".into(),
                destination_postal_code: "560001".into(),
                weight_grams: 1250,
                payment_mode: PaymentMode::Cod,
                cod_amount_minor: 149_900,
            },
        )
        .unwrap();
    assert_eq!(
        r.path,
        "/courier/serviceability/?pickup_postcode=110001&delivery_postcode=560001&weight=1.25&cod=1&declared_value=1499"
    );
    assert_eq!(r.operation, "rates");
}

#[test]
fn unsupported_operations_say_so() {
    let a = account();
    assert!(matches!(
        Shiprocket.build_label(&a, "1"),
        Err(CarrierError::Unsupported { .. })
    ));
    assert!(matches!(
        Shiprocket.build_fetch_awbs(&a, 5),
        Err(CarrierError::Unsupported { .. })
    ));
    assert!(matches!(
        Shiprocket.build_modify(&a, "1", &Modification::default()),
        Err(CarrierError::Unsupported { .. })
    ));
    assert!(matches!(
        Shiprocket.build_ndr_status(&a, "x"),
        Err(CarrierError::Unsupported { .. })
    ));
    let caps = Shiprocket.capabilities();
    assert!(!caps.contains(&Capability::Label));
    assert!(!caps.contains(&Capability::Pickup));
    assert!(!caps.contains(&Capability::Modify));
    assert!(!caps.contains(&Capability::AwbPool));
    assert_eq!(caps.len(), 7);
}
