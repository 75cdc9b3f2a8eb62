//! Documented answers parse to the expected AWBs, statuses and NDR reasons.

mod common;

use common::*;
use shipgate_carrier_core::*;
use shipgate_carrier_ecom_express::EcomExpress;
use shipgate_domain::{NdrReason, ShipmentStatus};

fn ok(name: &str) -> HttpResponse {
    HttpResponse::new(200, fixture(name))
}

#[test]
fn fetch_awbs_reads_numeric_awbs() {
    let awbs = EcomExpress
        .parse_fetch_awbs(&ok("fetch_awb_response.json"))
        .unwrap();
    assert_eq!(awbs, ["103086824", "103086825", "103086826"]);
}

#[test]
fn fetch_awbs_error_carries_the_message() {
    match EcomExpress.parse_fetch_awbs(&ok("fetch_awb_error.json")) {
        Err(CarrierError::Rejected { message, .. }) => {
            assert_eq!(message, "Invalid type. Valid types are PPD, COD, REV")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn manifest_success_and_duplicate_awb() {
    let draft = cod_draft();
    let acct = account();
    let fresh = CreateRequest {
        reference: "7677",
        draft: &draft,
        awb: Some("103086825"),
    };
    let booking = EcomExpress
        .parse_create(&acct, &fresh, &ok("manifest_response.json"))
        .unwrap();
    assert_eq!(booking.awb, "103086825");
    // The same AWB manifested again: Ecom says it exists; that is our booking.
    let repeat = CreateRequest {
        awb: Some("103086824"),
        ..fresh
    };
    let booking = EcomExpress
        .parse_create(&acct, &repeat, &ok("manifest_response.json"))
        .unwrap();
    assert_eq!(booking.awb, "103086824");
}

#[test]
fn manifest_refusal_keeps_ecoms_reason() {
    let draft = cod_draft();
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: Some("103086825"),
    };
    match EcomExpress.parse_create(&account(), &request, &ok("manifest_refused.json")) {
        Err(CarrierError::Rejected {
            code,
            message,
            retryable,
            ..
        }) => {
            assert_eq!(
                code.as_deref(),
                Some("COD_COLLECTABLE_VALUE_SHOULD_NOT_BE_ZERO!")
            );
            assert_eq!(message, "COD_COLLECTABLE_VALUE_SHOULD_NOT_BE_ZERO!");
            assert!(!retryable);
        }
        other => panic!("{other:?}"),
    }
    // The same refusal sent with HTTP 400 reads the same way.
    let resp = HttpResponse::new(400, fixture("manifest_refused.json"));
    assert!(matches!(
        EcomExpress.parse_create(&account(), &request, &resp),
        Err(CarrierError::Rejected { .. })
    ));
}

#[test]
fn cancel_outcomes() {
    assert_eq!(
        EcomExpress.parse_cancel(&ok("cancel_ok.json")).unwrap(),
        CancelOutcome::Cancelled
    );
    assert_eq!(
        EcomExpress
            .parse_cancel(&ok("cancel_rto_lock.json"))
            .unwrap(),
        CancelOutcome::RtoInitiated
    );
    match EcomExpress.parse_cancel(&ok("cancel_bad_awb.json")) {
        Err(CarrierError::Rejected { code, .. }) => {
            assert_eq!(code.as_deref(), Some("INCORRECT_AIRWAYBILL_NUMBER"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ndr_outcomes() {
    assert_eq!(
        EcomExpress.parse_ndr_action(&ok("ndr_ok.json")).unwrap(),
        NdrOutcome::Accepted
    );
    match EcomExpress.parse_ndr_action(&ok("ndr_refused.json")) {
        Err(CarrierError::Rejected { message, .. }) => {
            assert_eq!(message, "Shipment is not in undelivered status")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pincode_answers() {
    let records = EcomExpress
        .parse_serviceability(&ok("pincode_response.json"))
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].postal_code, "400041");
    assert!(records[0].prepaid && records[0].cod);
    assert_eq!(records[0].sort_code.as_deref(), Some("MH/MUM"));
    assert!(
        EcomExpress
            .parse_serviceability(&ok("pincode_inactive.json"))
            .unwrap()
            .is_empty()
    );
    assert!(
        EcomExpress
            .parse_serviceability(&HttpResponse::new(200, "[]"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn tracking_xml_for_two_awbs() {
    let tracked = EcomExpress.parse_track(&ok("track_response.xml")).unwrap();
    assert_eq!(tracked.len(), 2);

    let undelivered = &tracked[0];
    assert_eq!(undelivered.awb, "102019265");
    assert_eq!(undelivered.reference.as_deref(), Some("8008444"));
    assert_eq!(
        undelivered.carrier_edd,
        Some(jiff::civil::date(2014, 2, 15))
    );
    assert_eq!(undelivered.scans.len(), 2);
    let latest = &undelivered.scans[0];
    assert_eq!(latest.code, "221", "the `--` prefix is dropped");
    assert_eq!(latest.description, "Shipment un-delivered");
    assert_eq!(latest.status, Some(ShipmentStatus::DeliveryFailed));
    assert_eq!(latest.ndr_reason, Some(NdrReason::Refused));
    assert_eq!(latest.location.as_deref(), Some("MUMBAI"));
    // 28 Mar 2014 22:43 IST
    assert_eq!(latest.occurred_at, "2014-03-28T17:13:00Z".parse().unwrap());

    let delivered = &tracked[1];
    assert_eq!(delivered.awb, "221550310");
    assert_eq!(delivered.reference.as_deref(), Some("202724731E12071316"));
    assert_eq!(delivered.received_by.as_deref(), Some("sign"));
    let codes: Vec<_> = delivered
        .scans
        .iter()
        .map(|s| (s.code.as_str(), s.status))
        .collect();
    assert_eq!(
        codes,
        [
            ("999", Some(ShipmentStatus::Delivered)),
            ("006", Some(ShipmentStatus::OutForDelivery))
        ]
    );
    assert_eq!(
        delivered.scans[0].occurred_at,
        "2017-12-11T11:57:00Z".parse().unwrap()
    );
}

#[test]
fn tracking_an_unknown_awb_is_an_empty_answer() {
    assert!(
        EcomExpress
            .parse_track(&ok("track_not_found.xml"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn tracking_without_scans_uses_the_current_state() {
    let xml = r#"<ecomexpress-objects version="1.0"><object pk="1" model="awb">
        <field type="BigIntegerField" name="awb_number">221550310</field>
        <field type="CharField" name="tracking_status">Delivered</field>
        <field type="CharField" name="reason_code_number">999</field>
        <field type="CharField" name="last_update_datetime">11-Dec-2017 17:27</field>
        <field type="CharField" name="current_location_name">IMPHAL - IPB</field>
    </object></ecomexpress-objects>"#;
    let tracked = EcomExpress
        .parse_track(&HttpResponse::new(200, xml))
        .unwrap();
    let scan = &tracked[0].scans[0];
    assert_eq!(scan.status, Some(ShipmentStatus::Delivered));
    assert_eq!(scan.description, "Delivered");
    assert_eq!(scan.location.as_deref(), Some("IMPHAL - IPB"));
    assert_eq!(scan.occurred_at, "2017-12-11T11:57:00Z".parse().unwrap());
}

#[test]
fn an_unknown_code_is_kept_and_flagged() {
    let xml = r#"<ecomexpress-objects><object model="awb">
        <field name="awb_number">102019265</field>
        <field name="scans"><object model="scan_stages">
            <field name="updated_on">05 Jan, 2024, 10:32 </field>
            <field name="status">Brand new Ecom status</field>
            <field name="reason_code_number">98765</field>
        </object></field></object></ecomexpress-objects>"#;
    let tracked = EcomExpress
        .parse_track(&HttpResponse::new(200, xml))
        .unwrap();
    let scan = &tracked[0].scans[0];
    assert_eq!(scan.code, "98765");
    assert_eq!(scan.description, "Brand new Ecom status");
    assert_eq!(scan.status, None);
    assert_eq!(scan.ndr_reason, None);
}

#[test]
fn push_v1_payload() {
    let tracked = EcomExpress.parse_push(&fixture("push_v1.json")).unwrap();
    assert_eq!(tracked.len(), 1);
    assert_eq!(tracked[0].awb, "102019265");
    assert_eq!(tracked[0].reference.as_deref(), Some("8008444"));
    let scan = &tracked[0].scans[0];
    assert_eq!(scan.code, "777");
    assert_eq!(scan.status, Some(ShipmentStatus::RtoRequested));
    assert_eq!(scan.location.as_deref(), Some("Vadodara"));
    assert_eq!(scan.occurred_at, "2024-01-05T05:02:11Z".parse().unwrap());
}

#[test]
fn push_authentication() {
    let body = fixture("push_v1.json");
    let good = vec![("Authorization".to_string(), format!("Bearer {SECRET}"))];
    assert!(EcomExpress.verify_push(&account(), &good, &body).is_ok());
    let bad = vec![("authorization".to_string(), "Bearer nope".to_string())];
    assert!(matches!(
        EcomExpress.verify_push(&account(), &bad, &body),
        Err(CarrierError::Unauthorized { .. })
    ));
    assert!(EcomExpress.verify_push(&account(), &[], &body).is_err());
}

#[test]
fn http_failures_map_to_errors() {
    let unauthorized = HttpResponse::new(
        401,
        r#"{"success": "no", "error": ["Unauthorised Request"]}"#,
    );
    match EcomExpress.parse_fetch_awbs(&unauthorized) {
        Err(CarrierError::Unauthorized { message, .. }) => {
            assert_eq!(message, "Unauthorised Request")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        EcomExpress.parse_track(&unauthorized),
        Err(CarrierError::Unauthorized { .. })
    ));
    match EcomExpress.parse_cancel(&HttpResponse::new(503, "Service Unavailable")) {
        Err(e) => assert!(e.is_retryable(), "{e:?}"),
        Ok(o) => panic!("{o:?}"),
    }
    assert!(matches!(
        EcomExpress.parse_track(&HttpResponse::new(200, "<html>oops")),
        Err(CarrierError::Parse { .. })
    ));
}
