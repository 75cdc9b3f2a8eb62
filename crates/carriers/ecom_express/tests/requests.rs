//! Each request, compared byte for byte with the documented example.

mod common;

use common::*;
use jiff::civil::date;
use shipgate_carrier_core::*;
use shipgate_carrier_ecom_express::EcomExpress;
use shipgate_domain::Address;

const FORM: &str = "application/x-www-form-urlencoded";

fn assert_form(req: &HttpRequest, path: &str, expected: &[u8]) {
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.path, path);
    assert!(
        req.headers.is_empty(),
        "no headers besides the content type"
    );
    let (ct, bytes) = req.body.encode();
    assert_eq!(ct, Some(FORM));
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        String::from_utf8_lossy(expected),
        "body differs"
    );
}

fn json_input_form(fixture_name: &str) -> Vec<u8> {
    let json = fixture_text(fixture_name);
    form_encode(&[
        ("username", USER),
        ("password", PASS),
        ("json_input", json.trim_end()),
    ])
    .into_bytes()
}

#[test]
fn fetch_awbs_posts_count_and_type() {
    let req = EcomExpress.build_fetch_awbs(&account(), 5).unwrap();
    assert_form(&req, "/apiv2/fetch_awb/", &fixture("fetch_awb.form"));
    assert_eq!(req.operation, "fetch_awbs");
    assert_eq!(req.retry, Retry::Never);
}

#[test]
fn fetch_awbs_follows_the_awb_type_setting() {
    let mut acct = account();
    acct.settings.extra.insert("awb_type".into(), "cod".into());
    let req = EcomExpress.build_fetch_awbs(&acct, 2).unwrap();
    let (_, bytes) = req.body.encode();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        form_encode(&[
            ("username", USER),
            ("password", PASS),
            ("count", "2"),
            ("type", "COD")
        ])
    );
    acct.settings.extra.insert("awb_type".into(), "REV".into());
    assert!(matches!(
        EcomExpress.build_fetch_awbs(&acct, 2),
        Err(CarrierError::InvalidRequest { .. })
    ));
    assert!(EcomExpress.build_fetch_awbs(&account(), 0).is_err());
}

#[test]
fn create_manifests_the_pool_awb_in_json_input() {
    let draft = cod_draft();
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: Some("103086825"),
    };
    let req = EcomExpress.build_create(&account(), &request).unwrap();
    assert_form(
        &req,
        "/apiv2/manifest_awb/",
        &json_input_form("manifest_json_input.json"),
    );
    assert_eq!(req.operation, "create");
    assert_eq!(
        req.retry,
        Retry::Safe,
        "Ecom refuses a second manifest of the same AWB"
    );
}

#[test]
fn create_without_a_pool_awb_is_refused_before_sending() {
    let draft = cod_draft();
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: None,
    };
    assert!(matches!(
        EcomExpress.build_create(&account(), &request),
        Err(CarrierError::InvalidRequest { .. })
    ));
}

#[test]
fn missing_credentials_are_named_not_printed() {
    let acct = Account::for_test(
        "ecom_express",
        "https://api.ecomexpress.in",
        &[("username", USER)],
    );
    let err = EcomExpress.build_cancel(&acct, "103086825").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("password"), "{text}");
    assert!(!text.contains(USER));
}

#[test]
fn cancel_posts_the_awb() {
    let req = EcomExpress.build_cancel(&account(), "103086825").unwrap();
    assert_form(&req, "/apiv2/cancel_awb/", &fixture("cancel_awb.form"));
    assert_eq!(req.retry, Retry::Never);
}

#[test]
fn serviceability_posts_the_pincode() {
    let req = EcomExpress
        .build_serviceability(&account(), "400041")
        .unwrap();
    assert_form(&req, "/apiv3/pincode/", &fixture("pincode.form"));
    assert_eq!(req.retry, Retry::Safe);
}

#[test]
fn track_is_a_get_with_comma_separated_awbs() {
    let awbs = vec!["102019265".to_string(), "221550310".to_string()];
    let req = EcomExpress.build_track(&account(), &awbs).unwrap();
    assert_eq!(req.method, Method::Get);
    assert_eq!(req.path, fixture_text("track.path"));
    assert_eq!(req.body, Body::Empty);
    assert_eq!(req.retry, Retry::Safe);
    assert_eq!(EcomExpress.max_track_batch(), 100);
    let too_many: Vec<String> = (0..101).map(|i| format!("{}", 100_000_000 + i)).collect();
    assert!(EcomExpress.build_track(&account(), &too_many).is_err());
    assert!(EcomExpress.build_track(&account(), &[]).is_err());
}

#[test]
fn ndr_reattempt_with_date() {
    let req = EcomExpress
        .build_ndr_action(
            &account(),
            "103086825",
            &NdrInstruction::Reattempt {
                date: Some(date(2024, 1, 6)),
            },
        )
        .unwrap();
    assert_form(
        &req,
        "/apiv2/ndr_resolutions/",
        &json_input_form("ndr_reattempt_json_input.json"),
    );
    assert_eq!(req.retry, Retry::Never);
}

#[test]
fn ndr_change_address() {
    let mut input = address(
        "Asha Rao",
        "9812345678",
        "44 Residency Road",
        "Bengaluru",
        "Karnataka",
        "560025",
    );
    input.line2 = Some("Flat 3B".into());
    input.landmark = Some("Opp. Garuda Mall".into());
    let address = Address::parse(&input).unwrap();
    let req = EcomExpress
        .build_ndr_action(
            &account(),
            "103086825",
            &NdrInstruction::ChangeAddress { address },
        )
        .unwrap();
    assert_form(
        &req,
        "/apiv2/ndr_resolutions/",
        &json_input_form("ndr_address_json_input.json"),
    );
}

#[test]
fn ndr_change_phone() {
    let req = EcomExpress
        .build_ndr_action(
            &account(),
            "103086825",
            &NdrInstruction::ChangePhone {
                phone: "+91 91234 56780".into(),
            },
        )
        .unwrap();
    assert_form(
        &req,
        "/apiv2/ndr_resolutions/",
        &json_input_form("ndr_phone_json_input.json"),
    );
    assert!(
        EcomExpress
            .build_ndr_action(
                &account(),
                "103086825",
                &NdrInstruction::ChangePhone {
                    phone: "12345".into()
                }
            )
            .is_err()
    );
}

#[test]
fn ndr_return_to_origin() {
    let req = EcomExpress
        .build_ndr_action(&account(), "103086825", &NdrInstruction::ReturnToOrigin)
        .unwrap();
    assert_form(
        &req,
        "/apiv2/ndr_resolutions/",
        &json_input_form("ndr_rto_json_input.json"),
    );
}

#[test]
fn operations_ecom_does_not_offer_say_so() {
    let acct = account();
    assert!(matches!(
        EcomExpress.build_label(&acct, "1"),
        Err(CarrierError::Unsupported { .. })
    ));
    assert!(matches!(
        EcomExpress.build_login(&acct),
        Err(CarrierError::Unsupported { .. })
    ));
    assert!(matches!(
        EcomExpress.build_ndr_status(&acct, "x"),
        Err(CarrierError::Unsupported { .. })
    ));
    assert!(matches!(
        EcomExpress.build_find_by_reference(&acct, "ORD-1"),
        Err(CarrierError::Unsupported { .. })
    ));
    assert!(!EcomExpress.requires_login());
}
