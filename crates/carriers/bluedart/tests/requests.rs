//! Every request compared byte for byte with its fixture: method, path and
//! query, headers, content type and body. Set `BLESS=1` to rewrite the
//! fixtures after a deliberate change (then review the diff).

mod common;

use common::*;
use jiff::civil::{Date, Time};
use shipgate_carrier_bluedart::BlueDart;
use shipgate_carrier_core::*;

fn render(request: &HttpRequest) -> String {
    let (content_type, body) = request.body.encode();
    let mut out = format!("{} {}\n", request.method.as_str(), request.path);
    for (k, v) in &request.headers {
        out.push_str(&format!("{k}: {v}\n"));
    }
    if let Some(ct) = content_type {
        out.push_str(&format!("content-type: {ct}\n"));
    }
    out.push_str(&format!("retry: {:?}\n\n", request.retry));
    out.push_str(&String::from_utf8_lossy(&body));
    out.push('\n');
    out
}

fn check(name: &str, request: &HttpRequest) {
    let actual = render(request);
    let path = fixture_path(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = String::from_utf8(fixture(name)).unwrap();
    assert_eq!(actual, expected, "request differs from fixture {name}");
}

#[test]
fn login() {
    let r = BlueDart.build_login(&account()).unwrap();
    check("req_login.txt", &r);
    assert_eq!(r.url(BASE), format!("{BASE}/token/v1/login"));
    assert_eq!(r.retry, Retry::Safe);
}

#[test]
fn create_prepaid_and_cod() {
    let d = draft("ORD-1001", false);
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let r = BlueDart.build_create_at(&account(), &req, now()).unwrap();
    check("req_create_prepaid.txt", &r);
    assert_eq!(
        r.retry,
        Retry::Never,
        "Blue Dart does not replay duplicates"
    );

    let d = draft("ORD-1002", true);
    let req = CreateRequest {
        reference: "ORD-1002",
        draft: &d,
        awb: None,
    };
    let r = BlueDart.build_create_at(&account(), &req, now()).unwrap();
    check("req_create_cod.txt", &r);
}

#[test]
fn create_needs_short_reference_and_settings() {
    let d = draft("ORD-1001", false);
    let long = "R".repeat(21);
    let req = CreateRequest {
        reference: &long,
        draft: &d,
        awb: None,
    };
    assert!(matches!(
        BlueDart.build_create_at(&account(), &req, now()),
        Err(CarrierError::InvalidRequest { .. })
    ));
    let mut a = account();
    a.settings.extra.remove("customer_code");
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let err = BlueDart.build_create_at(&a, &req, now()).unwrap_err();
    assert!(err.to_string().contains("customer_code"), "{err}");
    let mut a = account();
    a.token = None;
    assert!(BlueDart.build_create_at(&a, &req, now()).is_err());
}

#[test]
fn find_by_reference_tracks_by_ref() {
    let r = BlueDart
        .build_find_by_reference(&account(), "ORD-1001")
        .unwrap();
    check("req_find_by_reference.txt", &r);
    assert_eq!(r.query_param("awb").as_deref(), Some("ref"));
    assert_eq!(r.retry, Retry::Safe);
}

#[test]
fn track_batches() {
    let awbs = vec!["50000000001".to_string(), "50000000002".to_string()];
    let r = BlueDart.build_track(&account(), &awbs).unwrap();
    check("req_track.txt", &r);
    assert_eq!(
        r.query_param("numbers").as_deref(),
        Some("50000000001,50000000002")
    );

    let mut a = account();
    a.credentials.insert(
        "tracking_licence_key".into(),
        shipgate_carrier_core::account::Secret("track-lic".into()),
    );
    let r = BlueDart.build_track(&a, &awbs).unwrap();
    assert_eq!(r.query_param("lickey").as_deref(), Some("track-lic"));

    let too_many: Vec<String> = (0..=BlueDart.max_track_batch())
        .map(|i| i.to_string())
        .collect();
    assert!(BlueDart.build_track(&account(), &too_many).is_err());
    assert!(BlueDart.build_track(&account(), &[]).is_err());
}

#[test]
fn pickup() {
    let req = PickupRequest {
        location: "Acme Warehouse".into(),
        date: Date::new(2026, 2, 3).unwrap(),
        time: Time::new(15, 30, 0, 0).unwrap(),
        expected_packages: 3,
        awbs: vec!["50000000001".into()],
    };
    let r = BlueDart.build_pickup(&account(), &req).unwrap();
    check("req_pickup.txt", &r);
    assert_eq!(r.retry, Retry::Never);
}

#[test]
fn cancel() {
    let r = BlueDart.build_cancel(&account(), "50000000001").unwrap();
    check("req_cancel.txt", &r);
}

#[test]
fn ndr_actions() {
    let a = account();
    let r = BlueDart
        .build_ndr_action_at(
            &a,
            "50000000001",
            &NdrInstruction::Reattempt {
                date: Some(Date::new(2026, 2, 5).unwrap()),
            },
            now(),
        )
        .unwrap();
    check("req_ndr_reattempt.txt", &r);
    let r = BlueDart
        .build_ndr_action_at(
            &a,
            "50000000001",
            &NdrInstruction::Reattempt { date: None },
            now(),
        )
        .unwrap();
    check("req_ndr_reattempt_default.txt", &r);
    let r = BlueDart
        .build_ndr_action_at(
            &a,
            "50000000001",
            &NdrInstruction::ChangePhone {
                phone: "+919876543210".into(),
            },
            now(),
        )
        .unwrap();
    check("req_ndr_phone.txt", &r);
    let r = BlueDart
        .build_ndr_action_at(&a, "50000000001", &NdrInstruction::ReturnToOrigin, now())
        .unwrap();
    check("req_ndr_rto.txt", &r);
    let address = draft("X", false).consignee;
    assert!(matches!(
        BlueDart.build_ndr_action_at(
            &a,
            "50000000001",
            &NdrInstruction::ChangeAddress { address },
            now()
        ),
        Err(CarrierError::InvalidRequest { .. })
    ));
}

#[test]
fn serviceability() {
    let r = BlueDart.build_serviceability(&account(), "560001").unwrap();
    check("req_serviceability.txt", &r);
    assert_eq!(r.retry, Retry::Safe);
    assert!(BlueDart.build_serviceability(&account(), "5600").is_err());
}

#[test]
fn no_credentials_leak_into_errors() {
    let mut a = account();
    a.credentials.remove("licence_key");
    let err = BlueDart
        .build_cancel(&a, "50000000001")
        .unwrap_err()
        .to_string();
    assert!(err.contains("licence_key"));
    for secret in ["consumer-secret", "BOM00001", "push-secret"] {
        assert!(!err.contains(secret));
    }
}
