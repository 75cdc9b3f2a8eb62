//! Each request compared with Delhivery's documented example: method, path,
//! headers and body bytes.

mod common;

use common::*;
use jiff::civil::{date, time};
use shipgate_carrier_core::http::{Body, HttpRequest, Method, Retry};
use shipgate_carrier_core::*;
use shipgate_carrier_delhivery::Delhivery;
use shipgate_domain::PaymentMode;

fn assert_auth(request: &HttpRequest) {
    assert_eq!(
        request.header_value("Authorization"),
        Some(format!("Token {TOKEN}").as_str())
    );
    assert_eq!(request.header_value("Accept"), Some("application/json"));
}

fn json_bytes(request: &HttpRequest) -> Vec<u8> {
    let (content_type, bytes) = request.body.encode();
    assert_eq!(content_type, Some("application/json"));
    bytes
}

#[test]
fn create_is_a_form_with_format_and_data() {
    let draft = draft("ORDER-1001", PaymentMode::Cod);
    let req = Delhivery
        .build_create(
            &account(),
            &CreateRequest {
                reference: "ORDER-1001",
                draft: &draft,
                awb: None,
            },
        )
        .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.path, "/api/cmu/create.json");
    assert_eq!(
        req.retry,
        Retry::Never,
        "Delhivery refuses duplicates, it does not replay them"
    );
    assert_eq!(req.operation, "create_shipment");
    assert_auth(&req);
    let (content_type, bytes) = req.body.encode();
    assert_eq!(content_type, Some("application/x-www-form-urlencoded"));
    let expected_data = fixture_text("create_request_data.json");
    let expected =
        serde_urlencoded::to_string([("format", "json"), ("data", expected_data.as_str())])
            .unwrap();
    assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    // The form starts with the mandatory `format=json&data=`.
    assert!(expected.starts_with("format=json&data=%7B%22shipments%22"));
}

#[test]
fn create_sends_a_prefetched_waybill_and_no_cod_for_prepaid() {
    let draft = draft("ORDER-1002", PaymentMode::Prepaid);
    let req = Delhivery
        .build_create(
            &account(),
            &CreateRequest {
                reference: "ORDER-1002",
                draft: &draft,
                awb: Some("57930810000011"),
            },
        )
        .unwrap();
    let Body::Form(fields) = &req.body else {
        panic!("form body expected")
    };
    let data: serde_json::Value = serde_json::from_str(&fields[1].1).unwrap();
    let shipment = &data["shipments"][0];
    assert_eq!(shipment["waybill"], "57930810000011");
    assert_eq!(shipment["payment_mode"], "Prepaid");
    assert!(shipment.get("cod_amount").is_none());
    assert_eq!(data["pickup_location"]["name"], "warehouse_name");
}

#[test]
fn create_refuses_what_delhivery_would_refuse() {
    let acct = account();
    let mut multi = draft("ORDER-1003", PaymentMode::Prepaid);
    multi.parcels.push(multi.parcels[0].clone());
    let err = Delhivery
        .build_create(
            &acct,
            &CreateRequest {
                reference: "ORDER-1003",
                draft: &multi,
                awb: None,
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, CarrierError::InvalidRequest { ref message, .. } if message.contains("MPS"))
    );

    let long = "X".repeat(51);
    let d = draft(&long, PaymentMode::Prepaid);
    assert!(
        Delhivery
            .build_create(
                &acct,
                &CreateRequest {
                    reference: &long,
                    draft: &d,
                    awb: None
                }
            )
            .is_err()
    );

    let mut no_cod = draft("ORDER-1004", PaymentMode::Cod);
    no_cod.cod_amount = None;
    assert!(
        Delhivery
            .build_create(
                &acct,
                &CreateRequest {
                    reference: "ORDER-1004",
                    draft: &no_cod,
                    awb: None
                }
            )
            .is_err()
    );

    let mut no_location = account();
    no_location.settings.pickup_location = None;
    let d = draft("ORDER-1005", PaymentMode::Prepaid);
    let err = Delhivery
        .build_create(
            &no_location,
            &CreateRequest {
                reference: "ORDER-1005",
                draft: &d,
                awb: None,
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("pickup_location"));

    let mut no_token = Account::for_test("delhivery", "https://x", &[]);
    no_token.settings.pickup_location = Some("warehouse_name".into());
    let err = Delhivery
        .build_create(
            &no_token,
            &CreateRequest {
                reference: "ORDER-1005",
                draft: &d,
                awb: None,
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("api_token"));
}

#[test]
fn get_paths_match_the_documented_examples() {
    let acct = account();
    // Pincode: docs `…/c/api/pin-codes/json/?filter_codes=194103`.
    let r = Delhivery.build_serviceability(&acct, "194103").unwrap();
    assert_eq!(
        (r.method, r.path.as_str()),
        (Method::Get, "/c/api/pin-codes/json/?filter_codes=194103")
    );
    assert_eq!(r.retry, Retry::Safe);
    assert_auth(&r);

    // Bulk waybill: docs `…/waybill/api/bulk/json/?count=5`.
    let r = Delhivery.build_fetch_awbs(&acct, 5).unwrap();
    assert_eq!(r.path, "/waybill/api/bulk/json/?count=5");
    assert_auth(&r);
    let mut with_client = account();
    with_client
        .settings
        .extra
        .insert("client_name".into(), "SHIPGATE DEMO".into());
    let r = Delhivery.build_fetch_awbs(&with_client, 1).unwrap();
    assert_eq!(r.path, "/waybill/api/bulk/json/?count=1&cl=SHIPGATE+DEMO");
    assert!(Delhivery.build_fetch_awbs(&acct, 10_001).is_err());
    assert!(Delhivery.build_fetch_awbs(&acct, 0).is_err());

    // Track: docs `…/api/v1/packages/json/?waybill=1122345678722&ref_ids=`, plus verbose=1 for Scans.
    let r = Delhivery
        .build_track(&acct, &["1122345678722".to_string()])
        .unwrap();
    assert_eq!(
        r.path,
        "/api/v1/packages/json/?waybill=1122345678722&ref_ids=&verbose=1"
    );
    assert_eq!(r.operation, "track");
    let many: Vec<String> = (0..50).map(|i| format!("11223456787{i:02}")).collect();
    let r = Delhivery.build_track(&acct, &many).unwrap();
    assert!(r.path.contains("1122345678700,1122345678701,"));
    let too_many: Vec<String> = (0..51).map(|i| format!("1{i:013}")).collect();
    assert!(Delhivery.build_track(&acct, &too_many).is_err());
    assert_eq!(Delhivery.max_track_batch(), 50);

    // Find by reference: track by ref_ids.
    let r = Delhivery
        .build_find_by_reference(&acct, "ORDER 1001")
        .unwrap();
    assert_eq!(
        r.path,
        "/api/v1/packages/json/?waybill=&ref_ids=ORDER+1001&verbose=1"
    );
    assert_eq!(r.retry, Retry::Safe);

    // Label: docs `…/api/p/packing_slip?wbns=…&pdf=true`.
    let r = Delhivery.build_label(&acct, "7035123456789").unwrap();
    assert_eq!(r.path, "/api/p/packing_slip?wbns=7035123456789&pdf=true");
    assert!(Delhivery.build_label(&acct, "70351&pdf=false").is_err());

    // NDR status: docs `…/api/cmu/get_bulk_upl/UPL70200521839149515?verbose=true`.
    let r = Delhivery
        .build_ndr_status(&acct, "UPL70200521839149515")
        .unwrap();
    assert_eq!(
        r.path,
        "/api/cmu/get_bulk_upl/UPL70200521839149515?verbose=true"
    );

    // Shipping cost: docs `…/.json?md=E&ss=Delivered&d_pin=110053&o_pin=110042&cgm=10&pt=Pre-paid`.
    let mut express = account();
    express
        .settings
        .extra
        .insert("shipping_mode".into(), "Express".into());
    let r = Delhivery
        .build_rates(
            &express,
            &RateQuery {
                origin_postal_code: "110042".into(),
                destination_postal_code: "110053".into(),
                weight_grams: 10,
                payment_mode: PaymentMode::Prepaid,
                cod_amount_minor: 0,
            },
        )
        .unwrap();
    assert_eq!(
        r.path,
        "/api/kinko/v1/invoice/charges/.json?md=E&ss=Delivered&d_pin=110053&o_pin=110042&cgm=10&pt=Pre-paid"
    );
}

#[test]
fn pickup_body_is_the_documented_example() {
    let r = Delhivery
        .build_pickup(
            &account(),
            &PickupRequest {
                location: "warehouse_name".into(),
                date: date(2023, 12, 29),
                time: time(11, 0, 0, 0),
                expected_packages: 1,
                awbs: vec![],
            },
        )
        .unwrap();
    assert_eq!(
        (r.method, r.path.as_str()),
        (Method::Post, "/fm/request/new/")
    );
    assert_eq!(r.retry, Retry::Never);
    assert_auth(&r);
    // Same keys and values as the documented example, keys in alphabetical order.
    assert_eq!(json_bytes(&r), fixture("pickup_request.json"));
}

#[test]
fn cancel_body_matches_the_capture() {
    let r = Delhivery
        .build_cancel(&account(), "57930810000066")
        .unwrap();
    assert_eq!((r.method, r.path.as_str()), (Method::Post, "/api/p/edit"));
    assert_eq!(
        r.retry,
        Retry::Safe,
        "a repeated cancel answers the same success"
    );
    assert_eq!(json_bytes(&r), fixture("cancel_request.json"));
}

#[test]
fn ndr_bodies() {
    let acct = account();
    let r = Delhivery
        .build_ndr_action(
            &acct,
            "13163116000000",
            &NdrInstruction::Reattempt { date: None },
        )
        .unwrap();
    assert_eq!((r.method, r.path.as_str()), (Method::Post, "/api/p/update"));
    assert_eq!(r.retry, Retry::Never);
    assert_eq!(json_bytes(&r), fixture("ndr_reattempt_request.json"));

    let r = Delhivery
        .build_ndr_action(
            &acct,
            "13163116000000",
            &NdrInstruction::Reattempt {
                date: Some(date(2024, 6, 12)),
            },
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(json_bytes(&r)).unwrap(),
        r#"{"data":[{"act":"DEFER_DLV","action_data":{"deferred_date":"2024-06-12"},"waybill":"13163116000000"}]}"#
    );

    let r = Delhivery
        .build_ndr_action(
            &acct,
            "13163116000000",
            &NdrInstruction::ChangePhone {
                phone: "+919876543210".into(),
            },
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(json_bytes(&r)).unwrap(),
        r#"{"data":[{"act":"EDIT_DETAILS","action_data":{"phone":"9876543210"},"waybill":"13163116000000"}]}"#
    );

    let r = Delhivery
        .build_ndr_action(
            &acct,
            "13163116000000",
            &NdrInstruction::ChangeAddress {
                address: consignee(),
            },
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(json_bytes(&r)).unwrap(),
        r#"{"data":[{"act":"EDIT_DETAILS","action_data":{"add":"12 MG Road, Near Metro","name":"Asha Rao","phone":"9812345678"},"waybill":"13163116000000"}]}"#
    );

    // RTO goes through the cancel call (a cancel on a Pending shipment starts RTO).
    let r = Delhivery
        .build_ndr_action(&acct, "57930810000066", &NdrInstruction::ReturnToOrigin)
        .unwrap();
    assert_eq!(r.path, "/api/p/edit");
    assert_eq!(r.operation, "ndr_action");
    assert_eq!(json_bytes(&r), fixture("cancel_request.json"));
}

#[test]
fn modify_body_follows_the_documented_example() {
    let acct = account();
    let r = Delhivery
        .build_modify(
            &acct,
            "84300000000",
            &Modification {
                payment_mode: Some(PaymentMode::Cod),
                cod_amount_minor: Some(10_000),
                weight_grams: Some(100),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((r.method, r.path.as_str()), (Method::Post, "/api/p/edit"));
    assert_eq!(json_bytes(&r), fixture("modify_request.json"));

    // Prepaid → COD needs the amount; an empty change is refused.
    assert!(
        Delhivery
            .build_modify(
                &acct,
                "84300000000",
                &Modification {
                    payment_mode: Some(PaymentMode::Cod),
                    ..Default::default()
                }
            )
            .is_err()
    );
    assert!(
        Delhivery
            .build_modify(&acct, "84300000000", &Modification::default())
            .is_err()
    );

    let r = Delhivery
        .build_modify(
            &acct,
            "84300000000",
            &Modification {
                consignee: Some(consignee()),
                payment_mode: Some(PaymentMode::Prepaid),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(json_bytes(&r)).unwrap(),
        r#"{"add":"12 MG Road, Near Metro","name":"Asha Rao","phone":"9812345678","pt":"Pre-paid","waybill":"84300000000"}"#
    );
}
