//! Documented (and public-sample) responses parsed into Shipgate's types.

mod common;

use std::time::Duration;

use common::*;
use jiff::civil::Date;
use shipgate_carrier_bluedart::BlueDart;
use shipgate_carrier_core::*;
use shipgate_domain::ShipmentStatus as S;

fn create_req(d: &shipgate_domain::shipment::ShipmentDraft) -> CreateRequest<'_> {
    CreateRequest {
        reference: "ORD-1001",
        draft: d,
        awb: None,
    }
}

#[test]
fn login_token_and_lifetime() {
    let token = BlueDart
        .parse_login(&account(), &response(200, "resp_login.json"))
        .unwrap();
    assert_eq!(token.value.expose(), TOKEN);
    assert_eq!(token.expires_in, Some(Duration::from_secs(86_400)));

    let err = BlueDart
        .parse_login(&account(), &response(401, "resp_fault_401.json"))
        .unwrap_err();
    assert!(
        matches!(err, CarrierError::Unauthorized { ref message, .. } if message == "Invalid JWT Token"),
        "{err:?}"
    );
    let err = BlueDart
        .parse_login(&account(), &HttpResponse::new(200, "{}"))
        .unwrap_err();
    assert!(matches!(err, CarrierError::Parse { .. }));
}

#[test]
fn create_booked() {
    let d = draft("ORD-1001", false);
    let b = BlueDart
        .parse_create(
            &account(),
            &create_req(&d),
            &response(200, "resp_create.json"),
        )
        .unwrap();
    assert_eq!(b.awb, "90397903492");
    assert_eq!(b.routing_code.as_deref(), Some("BLR/BGM"));
    assert_eq!(b.label_url, None);
}

#[test]
fn create_refused() {
    let d = draft("ORD-1001", false);
    let err = BlueDart
        .parse_create(
            &account(),
            &create_req(&d),
            &response(200, "resp_create_iserror.json"),
        )
        .unwrap_err();
    match err {
        CarrierError::Rejected {
            code,
            message,
            retryable,
            ..
        } => {
            assert_eq!(code.as_deref(), Some("InvalidConsigneePincode"));
            assert_eq!(message, "Consignee Pincode is not serviceable");
            assert!(!retryable);
        }
        other => panic!("{other:?}"),
    }
    let err = BlueDart
        .parse_create(
            &account(),
            &create_req(&d),
            &response(400, "resp_create_error_400.json"),
        )
        .unwrap_err();
    match err {
        CarrierError::Rejected { code, message, .. } => {
            assert_eq!(code.as_deref(), Some("Invalid_CustomerCode"));
            assert!(message.contains("Customer Code"));
        }
        other => panic!("{other:?}"),
    }
    let err = BlueDart
        .parse_create(
            &account(),
            &create_req(&d),
            &response(401, "resp_fault_401.json"),
        )
        .unwrap_err();
    assert!(matches!(err, CarrierError::Unauthorized { .. }));
    let err = BlueDart
        .parse_create(
            &account(),
            &create_req(&d),
            &HttpResponse::new(503, "<html>busy</html>"),
        )
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

#[test]
fn track_parses_scans_statuses_and_flags_unknown_codes() {
    let shipments = BlueDart
        .parse_track(&response(200, "resp_track.xml"))
        .unwrap();
    assert_eq!(shipments.len(), 2, "the NF entry is not a shipment");
    let s = &shipments[0];
    assert_eq!(s.awb, "90397903492");
    assert_eq!(s.reference.as_deref(), Some("ORD-1001"));
    assert_eq!(s.received_by.as_deref(), Some("KUMAR"));
    assert_eq!(s.carrier_edd, Some(Date::new(2026, 1, 27).unwrap()));
    let codes: Vec<&str> = s.scans.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "S-030", "S-015", "S-001", "S-003", "S-014", "T-029", "S-002", "T-077", "T-000"
        ]
    );
    let statuses: Vec<Option<S>> = s.scans.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            Some(S::Manifested),
            Some(S::PickedUp),
            Some(S::InTransit),
            Some(S::InTransit),
            Some(S::InTransit),
            Some(S::AtDestinationHub),
            Some(S::OutForDelivery),
            None,
            Some(S::Delivered),
        ]
    );
    let unknown = &s.scans[7];
    assert_eq!(
        unknown.description,
        "NECESSARY CHARGES PENDING FROM CONSIGNEE"
    );
    assert_eq!(unknown.ndr_reason, None);
    let delivered = s.scans.last().unwrap();
    assert_eq!(delivered.occurred_at.to_string(), "2026-01-27T16:38:00Z");
    assert_eq!(delivered.location.as_deref(), Some("CHENNAI"));

    // No ScanGroupType: the bare code is kept, and not guessed.
    let other = &shipments[1];
    assert_eq!(other.awb, "76662235090");
    assert_eq!(other.scans[0].code, "000");
    assert_eq!(other.scans[0].status, None);
}

#[test]
fn find_by_reference() {
    let found = BlueDart
        .parse_find_by_reference(&response(200, "resp_track_ref_found.xml"))
        .unwrap();
    assert_eq!(found.map(|b| b.awb).as_deref(), Some("90397903492"));
    let missing = BlueDart
        .parse_find_by_reference(&response(200, "resp_track_ref_missing.xml"))
        .unwrap();
    assert_eq!(missing, None);
    // A garbled answer is an error, never "not found": that could book twice.
    assert!(
        BlueDart
            .parse_find_by_reference(&HttpResponse::new(200, "<html/>"))
            .is_err()
    );
    assert!(
        BlueDart
            .parse_find_by_reference(&HttpResponse::new(502, ""))
            .is_err()
    );
}

#[test]
fn push_plus_and_lite() {
    let plus = BlueDart
        .parse_push(&fixture("resp_push_plus.json"))
        .unwrap();
    assert_eq!(plus.len(), 1);
    let s = &plus[0];
    assert_eq!(
        (s.awb.as_str(), s.reference.as_deref()),
        ("90397903492", Some("ORD-1001"))
    );
    assert_eq!(
        s.carrier_edd,
        Some(Date::new(2026, 1, 28).unwrap()),
        "dynamic EDD wins"
    );
    assert_eq!(s.received_by.as_deref(), Some("KUMAR"));
    let got: Vec<(&str, Option<S>)> = s
        .scans
        .iter()
        .map(|c| (c.code.as_str(), c.status))
        .collect();
    assert_eq!(
        got,
        [
            ("S-002", Some(S::OutForDelivery)),
            ("T-000", Some(S::Delivered))
        ]
    );
    assert_eq!(s.scans[1].occurred_at.to_string(), "2026-01-27T16:38:00Z");

    let lite = BlueDart
        .parse_push(&fixture("resp_push_lite.json"))
        .unwrap();
    assert_eq!(lite[0].scans.len(), 1);
    assert_eq!(lite[0].scans[0].status, Some(S::PickedUp));
    assert!(BlueDart.parse_push(b"not json").is_err());
}

#[test]
fn push_verification() {
    let a = account();
    let ok = [("token".to_string(), "push-secret".to_string())];
    assert!(BlueDart.verify_push(&a, &ok, b"{}").is_ok());
    let upper = [("Token".to_string(), "push-secret".to_string())];
    assert!(BlueDart.verify_push(&a, &upper, b"{}").is_ok());
    let wrong = [("token".to_string(), "push-secreT".to_string())];
    assert!(matches!(
        BlueDart.verify_push(&a, &wrong, b"{}"),
        Err(CarrierError::Unauthorized { .. })
    ));
    assert!(matches!(
        BlueDart.verify_push(&a, &[], b"{}"),
        Err(CarrierError::Unauthorized { .. })
    ));
}

#[test]
fn pickup() {
    let p = BlueDart
        .parse_pickup(&response(200, "resp_pickup.json"))
        .unwrap();
    assert_eq!(p.pickup_id, "748984");
    let err = BlueDart
        .parse_pickup(&response(200, "resp_pickup_error.json"))
        .unwrap_err();
    assert!(
        matches!(err, CarrierError::Rejected { code: Some(ref c), .. } if c == "PickupAlreadyRegistered"),
        "{err:?}"
    );
}

#[test]
fn cancel() {
    assert_eq!(
        BlueDart
            .parse_cancel(&response(200, "resp_cancel.json"))
            .unwrap(),
        CancelOutcome::Cancelled
    );
    let err = BlueDart
        .parse_cancel(&response(200, "resp_cancel_error.json"))
        .unwrap_err();
    assert!(err.to_string().contains("cannot be cancelled"), "{err}");
}

#[test]
fn ndr() {
    assert_eq!(
        BlueDart
            .parse_ndr_action(&response(200, "resp_ndr.json"))
            .unwrap(),
        NdrOutcome::Accepted
    );
    let err = BlueDart
        .parse_ndr_action(&response(200, "resp_ndr_error.json"))
        .unwrap_err();
    assert!(
        matches!(err, CarrierError::Rejected { code: Some(ref c), .. } if c == "InvalidPreferDate")
    );
    // Blue Dart settles instructions synchronously: no status polling.
    assert!(matches!(
        BlueDart.build_ndr_status(&account(), "x"),
        Err(CarrierError::Unsupported { .. })
    ));
}

#[test]
fn serviceability() {
    let records = BlueDart
        .parse_serviceability(&response(200, "resp_pincode.json"))
        .unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.postal_code, "560001");
    assert!(r.prepaid && r.cod && r.pickup && !r.embargo);
    assert_eq!(r.sort_code.as_deref(), Some("BLR"));
    let none = BlueDart
        .parse_serviceability(&response(200, "resp_pincode_invalid.json"))
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn unsupported_operations_say_so() {
    let a = account();
    assert!(matches!(
        BlueDart.build_label(&a, "1"),
        Err(CarrierError::Unsupported { .. })
    ));
    assert!(matches!(
        BlueDart.build_fetch_awbs(&a, 5),
        Err(CarrierError::Unsupported { .. })
    ));
    assert!(matches!(
        BlueDart.build_modify(&a, "1", &Modification::default()),
        Err(CarrierError::Unsupported { .. })
    ));
    let q = RateQuery {
        origin_postal_code: "400069".into(),
        destination_postal_code: "560001".into(),
        weight_grams: 500,
        payment_mode: shipgate_domain::PaymentMode::Prepaid,
        cod_amount_minor: 0,
    };
    assert!(matches!(
        BlueDart.build_rates(&a, &q),
        Err(CarrierError::Unsupported { .. })
    ));
    let caps = BlueDart.capabilities();
    for c in [
        Capability::Label,
        Capability::AwbPool,
        Capability::Modify,
        Capability::Rates,
    ] {
        assert!(!caps.contains(&c));
    }
    assert!(BlueDart.requires_login());
}
