//! Documented answers parsed to AWBs, statuses and NDR reasons.

mod common;

use std::time::Duration;

use common::*;
use shipgate_carrier_core::*;
use shipgate_carrier_xpressbees::{SIGNATURE_HEADER, Xpressbees, sign};
use shipgate_domain::{NdrReason, ShipmentStatus};

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

#[test]
fn login_token_and_lifetime_from_the_jwt() {
    let token = Xpressbees
        .parse_login(&account(), &response(200, "login_response.json"))
        .unwrap();
    assert!(token.value.expose().starts_with("eyJ0eXAi"));
    // exp - iat = 3 hours.
    assert_eq!(token.expires_in, Some(Duration::from_secs(10_800)));
}

#[test]
fn login_refused() {
    for status in [200, 401] {
        let err = Xpressbees
            .parse_login(&account(), &response(status, "login_refused.json"))
            .unwrap_err();
        if status == 401 {
            assert!(matches!(err, CarrierError::Unauthorized { .. }), "{err:?}");
        } else {
            assert!(matches!(err, CarrierError::Rejected { .. }), "{err:?}");
        }
        assert!(err.to_string().contains("Invalid email or password"));
        assert!(!err.to_string().contains("s3cret"));
    }
}

#[test]
fn create_booking() {
    let draft = draft();
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: None,
    };
    let booking = Xpressbees
        .parse_create(&account(), &request, &response(200, "create_response.json"))
        .unwrap();
    assert_eq!(
        booking,
        Booking {
            awb: "14344940000123".into(),
            carrier_reference: Some("2482000".into()),
            routing_code: None,
            label_url: Some(
                "https://shipment.xpressbees.com/uploads/labels/14344940000123.pdf".into()
            ),
        }
    );
}

#[test]
fn create_duplicate_is_a_flagged_refusal() {
    let draft = draft();
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: None,
    };
    let err = Xpressbees
        .parse_create(
            &account(),
            &request,
            &response(200, "create_duplicate_response.json"),
        )
        .unwrap_err();
    match err {
        CarrierError::Rejected {
            code,
            message,
            retryable,
            ..
        } => {
            assert_eq!(code.as_deref(), Some("duplicate_order_number"));
            assert!(message.contains("already exists"));
            assert!(!retryable);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn expired_token_is_unauthorized() {
    let err = Xpressbees
        .parse_track(&response(401, "unauthorized.json"))
        .unwrap_err();
    assert!(matches!(err, CarrierError::Unauthorized { .. }));
}

#[test]
fn tracking_answer() {
    let tracked = Xpressbees
        .parse_track(&response(200, "track_response.json"))
        .unwrap();
    assert_eq!(tracked.len(), 1);
    let t = &tracked[0];
    assert_eq!(t.awb, "14344940000123");
    assert_eq!(t.reference.as_deref(), Some("ORD-1001"));
    // The `{"status": true}` junk entry is skipped; the unknown code is kept.
    let got: Vec<(&str, Option<ShipmentStatus>, Option<NdrReason>)> = t
        .scans
        .iter()
        .map(|s| (s.code.as_str(), s.status, s.ndr_reason))
        .collect();
    use ShipmentStatus as S;
    assert_eq!(
        got,
        [
            ("PP", Some(S::PickupScheduled), None),
            ("IT", Some(S::InTransit), None),
            ("IT", Some(S::InTransit), None),
            ("OFD", Some(S::OutForDelivery), None),
            ("EX", Some(S::DeliveryFailed), Some(NdrReason::Refused)),
            ("IT", Some(S::InTransit), None),
            ("RT-IT", Some(S::RtoInTransit), None),
            ("XB-NEW", None, None),
            ("RT-DL", Some(S::RtoDelivered), None),
        ]
    );
    let ex = &t.scans[4];
    assert_eq!(ex.description, "CONSIGNEE REFUSED TO ACCEPT");
    assert_eq!(ex.location.as_deref(), Some("PASCHIM VIHAR ETAIL (VED)"));
    // "2021-03-03 16:04" IST.
    assert_eq!(ex.occurred_at, ts("2021-03-03T10:34:00Z"));
    assert_eq!(t.scans[7].description, "SOMETHING NEW");
}

#[test]
fn tracking_unknown_awb() {
    let err = Xpressbees
        .parse_track(&response(404, "track_not_found.json"))
        .unwrap_err();
    assert!(matches!(err, CarrierError::Rejected { .. }));
    assert!(err.to_string().contains("Shipment not found"));
}

#[test]
fn find_by_reference() {
    let found = Xpressbees
        .parse_find_by_reference(&response(200, "track_response.json"))
        .unwrap();
    assert_eq!(found.map(|b| b.awb).as_deref(), Some("14344940000123"));
    for status in [200, 404] {
        assert_eq!(
            Xpressbees
                .parse_find_by_reference(&response(status, "track_not_found.json"))
                .unwrap(),
            None
        );
    }
    assert!(
        Xpressbees
            .parse_find_by_reference(&response(401, "unauthorized.json"))
            .is_err()
    );
}

#[test]
fn documented_push_sample() {
    let body = fixture("push.json");
    let tracked = Xpressbees.parse_push(&body).unwrap();
    assert_eq!(tracked.len(), 1);
    let t = &tracked[0];
    assert_eq!(t.awb, "4152912381315");
    assert_eq!(t.reference, None);
    assert_eq!(t.scans.len(), 1);
    let s = &t.scans[0];
    assert_eq!(s.code, "in transit");
    assert_eq!(s.status, Some(ShipmentStatus::InTransit));
    assert_eq!(s.description, "Reached at nearest hub");
    assert_eq!(s.location.as_deref(), Some("Delhi"));
    assert_eq!(s.occurred_at, ts("2021-02-26T10:49:59Z"));
}

#[test]
fn push_with_a_failed_delivery() {
    let tracked = Xpressbees.parse_push(&fixture("push_ndr.json")).unwrap();
    let s = &tracked[0].scans[0];
    assert_eq!(tracked[0].reference.as_deref(), Some("ORD-1001"));
    assert_eq!(s.status, Some(ShipmentStatus::DeliveryFailed));
    assert_eq!(s.ndr_reason, Some(NdrReason::Refused));
}

#[test]
fn push_signature() {
    let body = fixture("push.json");
    let good = sign("hook-secret", &body);
    // base64 of a 32-byte digest.
    assert_eq!(good.len(), 44);
    let headers = |v: &str| vec![(SIGNATURE_HEADER.to_ascii_lowercase(), v.to_string())];
    assert!(
        Xpressbees
            .verify_push(&account(), &headers(&good), &body)
            .is_ok()
    );

    let wrong = sign("other-secret", &body);
    for bad in [wrong.as_str(), "not base64!", ""] {
        let err = Xpressbees
            .verify_push(&account(), &headers(bad), &body)
            .unwrap_err();
        assert!(matches!(err, CarrierError::Unauthorized { .. }), "{bad}");
        assert!(!err.to_string().contains("hook-secret"));
    }
    let mut tampered = body.clone();
    tampered.push(b' ');
    assert!(
        Xpressbees
            .verify_push(&account(), &headers(&good), &tampered)
            .is_err()
    );
    assert!(Xpressbees.verify_push(&account(), &[], &body).is_err());

    let mut no_secret = account();
    no_secret.credentials.remove("webhook_secret");
    assert!(matches!(
        Xpressbees.verify_push(&no_secret, &headers(&good), &body),
        Err(CarrierError::InvalidRequest { .. })
    ));
}

#[test]
fn cancel_answers() {
    assert_eq!(
        Xpressbees
            .parse_cancel(&response(200, "cancel_response.json"))
            .unwrap(),
        CancelOutcome::Cancelled
    );
    let err = Xpressbees
        .parse_cancel(&response(200, "cancel_refused.json"))
        .unwrap_err();
    assert!(err.to_string().contains("already picked up"));
}

#[test]
fn ndr_answers() {
    assert_eq!(
        Xpressbees
            .parse_ndr_action(&response(200, "ndr_response.json"))
            .unwrap(),
        NdrOutcome::Accepted
    );
    let err = Xpressbees
        .parse_ndr_action(&response(200, "ndr_refused.json"))
        .unwrap_err();
    assert!(matches!(err, CarrierError::Rejected { .. }));
    assert!(err.to_string().contains("within 7 days"));
    assert!(matches!(
        Xpressbees.parse_ndr_action(&response(401, "unauthorized.json")),
        Err(CarrierError::Unauthorized { .. })
    ));
}

#[test]
fn rate_answers() {
    let quotes = Xpressbees
        .parse_rates(&response(200, "rates_response.json"))
        .unwrap();
    assert_eq!(
        quotes,
        [
            RateQuote {
                service: "Xpressbees Surface".into(),
                total_minor: 7_500,
                currency: "INR".into(),
            },
            RateQuote {
                service: "Xpressbees Air".into(),
                total_minor: 11_950,
                currency: "INR".into(),
            },
        ]
    );
}
