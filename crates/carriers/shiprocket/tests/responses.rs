//! Documented responses parsed to AWBs, statuses and errors.

mod common;

use common::{account, draft, fixture};
use jiff::Timestamp;
use jiff::civil::date;
use shipgate_carrier_core::http::HttpResponse;
use shipgate_carrier_core::*;
use shipgate_carrier_shiprocket::Shiprocket;
use shipgate_domain::{NdrReason, ShipmentStatus};

fn ok(name: &str) -> HttpResponse {
    HttpResponse::new(200, fixture(name))
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn login_gives_a_ten_day_token() {
    let t = Shiprocket
        .parse_login(&account(), &ok("login_response.json"))
        .unwrap();
    assert_eq!(
        t.value.expose(),
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.sandbox.signature"
    );
    assert_eq!(t.expires_in, Some(std::time::Duration::from_secs(864_000)));
}

#[test]
fn refused_login_is_unauthorized_and_leaks_nothing() {
    for status in [400, 401, 403] {
        let e = Shiprocket
            .parse_login(
                &account(),
                &HttpResponse::new(status, fixture("login_error.json")),
            )
            .unwrap_err();
        assert!(
            matches!(e, CarrierError::Unauthorized { .. }),
            "{status}: {e:?}"
        );
        assert!(!e.to_string().contains("s3cret"));
    }
    let e = Shiprocket
        .parse_login(&account(), &HttpResponse::new(200, "{}"))
        .unwrap_err();
    assert!(matches!(e, CarrierError::Parse { .. }));
}

#[test]
fn wrapper_create_gives_awb_shipment_id_routing_and_label() {
    let d = draft();
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let b = Shiprocket
        .parse_create(&account(), &req, &ok("create_response.json"))
        .unwrap();
    assert_eq!(b.awb, "8329468061579");
    assert_eq!(b.carrier_reference.as_deref(), Some("52367"));
    assert_eq!(b.routing_code.as_deref(), Some("DEL/KIS"));
    assert_eq!(
        b.label_url.as_deref(),
        Some("https://example.com/label.pdf")
    );
}

#[test]
fn order_without_awb_is_refused_with_the_shiprocket_ids() {
    let d = draft();
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let e = Shiprocket
        .parse_create(&account(), &req, &ok("create_response_no_awb.json"))
        .unwrap_err();
    match e {
        CarrierError::Rejected {
            code,
            message,
            retryable,
            ..
        } => {
            assert_eq!(code.as_deref(), Some("awb_not_generated"));
            assert!(
                message.contains("53862") && message.contains("52368"),
                "{message}"
            );
            assert!(!retryable);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn validation_errors_name_the_fields() {
    let d = draft();
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let e = Shiprocket
        .parse_create(
            &account(),
            &req,
            &HttpResponse::new(422, fixture("error_422.json")),
        )
        .unwrap_err();
    match e {
        CarrierError::Rejected { code, message, .. } => {
            assert_eq!(code.as_deref(), Some("422"));
            assert!(
                message.contains("billing_phone: The billing phone field is required."),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // 200 with an error status_code in the body is an error too.
    let e = Shiprocket
        .parse_cancel(&HttpResponse::new(200, fixture("error_422.json")))
        .unwrap_err();
    assert!(matches!(e, CarrierError::Rejected { .. }));
    // Expired token, throttling, outages.
    let e = Shiprocket
        .parse_cancel(&HttpResponse::new(
            401,
            r#"{"message":"Token has expired","status_code":401}"#,
        ))
        .unwrap_err();
    assert!(matches!(e, CarrierError::Unauthorized { .. }));
    let e = Shiprocket
        .parse_cancel(&HttpResponse::new(429, ""))
        .unwrap_err();
    assert!(e.is_retryable());
    let e = Shiprocket
        .parse_track(&HttpResponse::new(502, "<html>"))
        .unwrap_err();
    assert!(e.is_retryable());
}

#[test]
fn single_awb_tracking_reads_the_delivered_scan() {
    let t = Shiprocket
        .parse_track(&ok("track_awb_response.json"))
        .unwrap();
    assert_eq!(t.len(), 1);
    let s = &t[0];
    assert_eq!(s.awb, "141123221084922");
    assert_eq!(s.scans.len(), 1);
    let scan = &s.scans[0];
    assert_eq!(scan.code, "7");
    assert_eq!(scan.description, "Delivered");
    assert_eq!(scan.status, Some(ShipmentStatus::Delivered));
    assert_eq!(scan.occurred_at, ts("2022-07-19T06:07:00Z"));
    assert_eq!(
        scan.location.as_deref(),
        Some("MADANPALLI, Madanapalli, ANDHRA PRADESH")
    );
    assert_eq!(s.carrier_edd, None);
}

#[test]
fn multi_awb_tracking_keeps_scans_without_a_shiprocket_status_flagged() {
    let mut t = Shiprocket
        .parse_track(&ok("track_awbs_response.json"))
        .unwrap();
    t.sort_by(|a, b| a.awb.cmp(&b.awb));
    let awbs: Vec<_> = t.iter().map(|s| s.awb.as_str()).collect();
    assert_eq!(awbs, ["788829354408", "788830567028"]);
    let scan = &t[0].scans[0];
    assert_eq!(scan.code, "");
    assert_eq!(scan.description, "Shipment information sent to FedEx - OC");
    assert_eq!(scan.status, None);
    assert_eq!(scan.location.as_deref(), Some("NA"));
}

#[test]
fn courier_codes_stand_in_when_sr_status_is_na() {
    let t = Shiprocket
        .parse_track(&ok("track_order_response.json"))
        .unwrap();
    assert_eq!(t.len(), 1);
    let scans = &t[0].scans;
    assert_eq!(scans[0].code, "42");
    assert_eq!(scans[0].status, Some(ShipmentStatus::PickedUp));
    assert_eq!(scans[1].code, "FMPUR-101");
    assert_eq!(scans[1].status, None);
    assert_eq!(scans[1].description, "Manifested - Pickup scheduled");
    assert_eq!(t[0].carrier_edd, Some(date(2021, 12, 27)));
}

#[test]
fn no_activity_yet_and_not_found_are_empty() {
    assert!(
        Shiprocket
            .parse_track(&ok("track_no_activity_response.json"))
            .unwrap()
            .is_empty()
    );
    assert!(
        Shiprocket
            .parse_track(&HttpResponse::new(
                404,
                r#"{"message":"not found","status_code":404}"#
            ))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn find_by_reference_reads_the_order_tracking() {
    let b = Shiprocket
        .parse_find_by_reference(&ok("track_order_response.json"))
        .unwrap()
        .unwrap();
    assert_eq!(b.awb, "1091188857722");
    assert_eq!(b.carrier_reference.as_deref(), Some("168347943"));
    assert_eq!(
        Shiprocket
            .parse_find_by_reference(&HttpResponse::new(200, "[]"))
            .unwrap(),
        None
    );
    assert_eq!(
        Shiprocket
            .parse_find_by_reference(&ok("track_no_activity_response.json"))
            .unwrap(),
        None
    );
    assert_eq!(
        Shiprocket
            .parse_find_by_reference(&HttpResponse::new(404, "{}"))
            .unwrap(),
        None
    );
    assert!(
        Shiprocket
            .parse_find_by_reference(&HttpResponse::new(401, "{}"))
            .is_err()
    );
}

#[test]
fn webhook_is_verified_by_x_api_key() {
    let a = account();
    let body = fixture("webhook.json");
    let good = vec![("X-Api-Key".to_string(), "hook-token-123".to_string())];
    assert!(Shiprocket.verify_push(&a, &good, &body).is_ok());
    let bad = vec![("x-api-key".to_string(), "hook-token-124".to_string())];
    assert!(matches!(
        Shiprocket.verify_push(&a, &bad, &body),
        Err(CarrierError::Unauthorized { .. })
    ));
    assert!(matches!(
        Shiprocket.verify_push(&a, &[], &body),
        Err(CarrierError::Unauthorized { .. })
    ));
    let mut no_secret = account();
    no_secret.credentials.remove("webhook_secret");
    assert!(Shiprocket.verify_push(&no_secret, &good, &body).is_err());
}

#[test]
fn webhook_scans_and_reference() {
    let t = Shiprocket.parse_push(&fixture("webhook.json")).unwrap();
    assert_eq!(t.len(), 1);
    let s = &t[0];
    assert_eq!(s.awb, "19041424751540");
    assert_eq!(s.reference.as_deref(), Some("1373900_150876814"));
    assert_eq!(s.carrier_edd, Some(date(2023, 5, 23)));
    let got: Vec<_> = s
        .scans
        .iter()
        .map(|x| (x.code.as_str(), x.status))
        .collect();
    assert_eq!(
        got,
        [
            ("5", Some(ShipmentStatus::PickupScheduled)),
            ("42", Some(ShipmentStatus::PickedUp)),
            ("X-DLL2F", None),
            ("18", Some(ShipmentStatus::InTransit)),
        ]
    );
    assert_eq!(s.scans[3].occurred_at, ts("2023-05-23T06:13:52Z"));
}

#[test]
fn webhook_without_scans_uses_its_current_status() {
    let t = Shiprocket
        .parse_push(&fixture("webhook_no_scans.json"))
        .unwrap();
    let scan = &t[0].scans[0];
    assert_eq!(scan.code, "21");
    assert_eq!(scan.status, Some(ShipmentStatus::DeliveryFailed));
    assert_eq!(scan.ndr_reason, Some(NdrReason::Unknown));
    assert_eq!(scan.occurred_at, ts("2023-05-24T13:35:00Z"));
    assert!(
        Shiprocket
            .parse_push(b"{\"current_status\":\"x\"}")
            .is_err()
    );
    assert!(Shiprocket.parse_push(b"not json").is_err());
}

#[test]
fn serviceability_summarises_the_couriers() {
    let r = Shiprocket
        .parse_serviceability(&ok("serviceability_response.json"))
        .unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].postal_code, "560001");
    assert!(r[0].prepaid && r[0].cod);
    assert_eq!(r[0].max_weight_grams, Some(20_000));
    for not in [
        HttpResponse::new(200, fixture("serviceability_not_serviceable.json")),
        HttpResponse::new(404, fixture("serviceability_not_serviceable.json")),
        HttpResponse::new(
            200,
            r#"{"status":200,"data":{"available_courier_companies":[]}}"#,
        ),
    ] {
        assert!(Shiprocket.parse_serviceability(&not).unwrap().is_empty());
    }
}

#[test]
fn rates_per_courier_in_paise() {
    let q = Shiprocket
        .parse_rates(&ok("serviceability_response.json"))
        .unwrap();
    assert_eq!(
        q,
        [
            RateQuote {
                service: "Delhivery".into(),
                total_minor: 9_540,
                currency: "INR".into()
            },
            RateQuote {
                service: "Xpressbees Surface".into(),
                total_minor: 6_100,
                currency: "INR".into()
            },
        ]
    );
}

#[test]
fn cancel_and_ndr_successes() {
    assert_eq!(
        Shiprocket
            .parse_cancel(&HttpResponse::new(
                200,
                r#"{"message":"Bulk Shipment cancellation is in progress. Please wait for 24 hours."}"#
            ))
            .unwrap(),
        CancelOutcome::Cancelled
    );
    assert_eq!(
        Shiprocket
            .parse_ndr_action(&HttpResponse::new(202, r#"{"status":"success"}"#))
            .unwrap(),
        NdrOutcome::Accepted
    );
    assert!(
        Shiprocket
            .parse_ndr_action(&HttpResponse::new(
                200,
                r#"{"status":false,"message":"Action not allowed"}"#
            ))
            .is_err()
    );
    assert!(
        Shiprocket
            .parse_ndr_action(&HttpResponse::new(
                400,
                r#"{"message":"NDR already actioned","status_code":400}"#
            ))
            .is_err()
    );
}
