//! Documented and captured Delhivery answers, parsed.

mod common;

use common::*;
use jiff::civil::date;
use shipgate_carrier_core::*;
use shipgate_carrier_delhivery::Delhivery;
use shipgate_domain::{NdrReason, PaymentMode, ShipmentStatus};

fn create_request(draft: &shipgate_domain::shipment::ShipmentDraft) -> CreateRequest<'_> {
    CreateRequest {
        reference: &draft.order_reference,
        draft,
        awb: None,
    }
}

fn rejected_code(err: &CarrierError) -> Option<&str> {
    match err {
        CarrierError::Rejected { code, .. } => code.as_deref(),
        _ => None,
    }
}

#[test]
fn create_success_gives_the_waybill_and_sort_code() {
    let d = draft("CAPTURE-1787596016179", PaymentMode::Prepaid);
    let booking = Delhivery
        .parse_create(
            &account(),
            &create_request(&d),
            &response(200, "create_success.json"),
        )
        .unwrap();
    assert_eq!(booking.awb, "57930810000066");
    assert_eq!(booking.routing_code.as_deref(), Some("CHA/RAM"));
}

#[test]
fn create_failures_are_rejections_with_the_carrier_remark() {
    let acct = account();
    let d = draft("CAPTURE-1787525558913", PaymentMode::Prepaid);
    let err = Delhivery
        .parse_create(
            &acct,
            &create_request(&d),
            &response(200, "create_fail_balance.json"),
        )
        .unwrap_err();
    assert_eq!(rejected_code(&err), Some("insufficient_balance"));
    assert!(err.to_string().contains("insufficient balance"));
    assert!(!err.is_retryable());

    let err = Delhivery
        .parse_create(
            &acct,
            &create_request(&d),
            &response(200, "create_fail_warehouse.json"),
        )
        .unwrap_err();
    assert_eq!(rejected_code(&err), Some("unknown_pickup_location"));
    assert!(
        err.to_string()
            .contains("ClientWarehouse matching query does not exist.")
    );

    let d = draft("ORDER-1001", PaymentMode::Prepaid);
    let err = Delhivery
        .parse_create(
            &acct,
            &create_request(&d),
            &response(200, "create_fail_duplicate.json"),
        )
        .unwrap_err();
    assert_eq!(rejected_code(&err), Some("duplicate_order_id"));

    let err = Delhivery
        .parse_create(
            &acct,
            &create_request(&d),
            &HttpResponse::new(
                401,
                r#"{"detail": "Authentication credentials were not provided."}"#,
            ),
        )
        .unwrap_err();
    assert!(matches!(err, CarrierError::Unauthorized { .. }));
    let err = Delhivery
        .parse_create(
            &acct,
            &create_request(&d),
            &HttpResponse::new(200, "<html>oops</html>"),
        )
        .unwrap_err();
    assert!(matches!(err, CarrierError::Parse { .. }));
}

#[test]
fn track_capture_with_scans_maps_every_code() {
    let shipments = Delhivery
        .parse_track(&response(200, "track_cancelled_verbose1.json"))
        .unwrap();
    assert_eq!(shipments.len(), 1);
    let s = &shipments[0];
    assert_eq!(s.awb, "57930810000066");
    assert_eq!(s.reference.as_deref(), Some("CAPTURE-1787596016179"));
    assert_eq!(s.carrier_edd, None);
    assert_eq!(s.attempts, Some(0));
    let got: Vec<(&str, Option<ShipmentStatus>)> = s
        .scans
        .iter()
        .map(|c| (c.code.as_str(), c.status))
        .collect();
    assert_eq!(
        got,
        [
            ("X-UCI", Some(ShipmentStatus::Manifested)),
            ("X-PNP", Some(ShipmentStatus::Manifested)),
            ("DTUP-210", Some(ShipmentStatus::Cancelled)),
        ]
    );
    assert_eq!(s.scans[2].description, "Seller cancelled the order");
    assert_eq!(
        s.scans[0].location.as_deref(),
        Some("Delhi_Airport_GW (Delhi)")
    );
    // 23:56:59.828 IST is 18:26:59.828 UTC.
    assert_eq!(
        s.scans[0].occurred_at.to_string(),
        "2026-08-24T18:26:59.828Z"
    );
}

#[test]
fn track_without_scans_uses_the_current_status() {
    let shipments = Delhivery
        .parse_track(&response(200, "track_manifested_verbose0.json"))
        .unwrap();
    assert_eq!(shipments[0].scans.len(), 1);
    assert_eq!(shipments[0].scans[0].code, "X-UCI");
    assert_eq!(
        shipments[0].scans[0].status,
        Some(ShipmentStatus::Manifested)
    );
}

#[test]
fn track_full_journey_to_a_failed_attempt() {
    let shipments = Delhivery
        .parse_track(&response(200, "track_ndr_verbose1.json"))
        .unwrap();
    let s = &shipments[0];
    assert_eq!(s.awb, "41093210924372");
    assert_eq!(s.carrier_edd, Some(date(2026, 9, 4)));
    assert_eq!(s.attempts, Some(1));
    let statuses: Vec<ShipmentStatus> = s.scans.iter().filter_map(|c| c.status).collect();
    assert_eq!(
        statuses.len(),
        s.scans.len(),
        "every captured code is in the table"
    );
    use ShipmentStatus::*;
    assert_eq!(
        statuses,
        [
            Manifested,
            PickedUp,
            InTransit,
            InTransit,
            InTransit,
            InTransit,
            InTransit,
            InTransit,
            InTransit,
            InTransit,
            AtDestinationHub,
            OutForDelivery,
            DeliveryFailed
        ]
    );
    let last = s.scans.last().unwrap();
    assert_eq!(last.code, "EOD-11");
    assert_eq!(last.ndr_reason, Some(NdrReason::CustomerUnavailable));
}

#[test]
fn unknown_waybill_is_an_empty_answer_not_an_error() {
    assert!(
        Delhivery
            .parse_track(&response(200, "track_not_found.json"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        Delhivery
            .parse_find_by_reference(&response(200, "track_not_found.json"))
            .unwrap(),
        None
    );
    let found = Delhivery
        .parse_find_by_reference(&response(200, "track_manifested_verbose0.json"))
        .unwrap()
        .unwrap();
    assert_eq!(found.awb, "57930810000081");
}

#[test]
fn track_403_is_the_waf_throttle() {
    let err = Delhivery
        .parse_track(&HttpResponse::new(403, "<html>403 Forbidden</html>"))
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(rejected_code(&err), Some("waf_throttled"));
    let err = Delhivery
        .parse_serviceability(&HttpResponse::new(
            403,
            r#"{"detail":"Login or API Key Required"}"#,
        ))
        .unwrap_err();
    assert!(matches!(err, CarrierError::Unauthorized { .. }));
}

#[test]
fn pincode_answers() {
    let records = Delhivery
        .parse_serviceability(&response(200, "pincode_serviceable.json"))
        .unwrap();
    assert_eq!(
        records,
        [ServiceabilityRecord {
            postal_code: "135001".into(),
            prepaid: true,
            cod: true,
            pickup: true,
            reverse: true,
            oda: false,
            embargo: false,
            max_weight_grams: None,
            max_cod_minor: None,
            sort_code: Some("CHA/RAM".into()),
        }]
    );
    let docs = Delhivery
        .parse_serviceability(&response(200, "pincode_docs_example.json"))
        .unwrap();
    assert_eq!(docs[0].postal_code, "400064");
    assert!(
        docs[0].embargo,
        "remark Embargo = temporarily not serviceable"
    );
    assert!(docs[0].cod, "cash=Y is the COD flag");
    assert!(!docs[0].pickup);
    assert!(
        Delhivery
            .parse_serviceability(&response(200, "pincode_empty.json"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn waybill_pool_answers() {
    assert_eq!(
        Delhivery
            .parse_fetch_awbs(&response(200, "waybill_single.json"))
            .unwrap(),
        ["57930810000011"]
    );
    assert_eq!(
        Delhivery
            .parse_fetch_awbs(&response(200, "waybill_bulk.json"))
            .unwrap(),
        ["57930810000011", "57930810000022", "57930810000033"]
    );
    let err = Delhivery
        .parse_fetch_awbs(&response(200, "waybill_bad_count.json"))
        .unwrap_err();
    assert!(err.to_string().contains("Invalid count"));
}

#[test]
fn cancel_answer_is_xml() {
    assert_eq!(
        Delhivery
            .parse_cancel(&response(200, "cancel_success.xml"))
            .unwrap(),
        CancelOutcome::Cancelled
    );
    let refused = HttpResponse::new(
        200,
        "<?xml version=\"1.0\"?><root><status>False</status><waybill>1</waybill><remark>Shipment cannot be cancelled in Dispatched state</remark></root>",
    );
    let err = Delhivery.parse_cancel(&refused).unwrap_err();
    assert!(err.to_string().contains("Dispatched"));
    // The same answer shape for edits; and NDR-RTO reads it too.
    assert!(
        Delhivery
            .parse_modify(&response(200, "cancel_success.xml"))
            .is_ok()
    );
    assert_eq!(
        Delhivery
            .parse_ndr_action(&response(200, "cancel_success.xml"))
            .unwrap(),
        NdrOutcome::Accepted
    );
}

#[test]
fn pickup_answers() {
    assert_eq!(
        Delhivery
            .parse_pickup(&response(201, "pickup_success.json"))
            .unwrap()
            .pickup_id,
        "24012345"
    );
    let err = Delhivery
        .parse_pickup(&response(400, "pickup_exists.json"))
        .unwrap_err();
    assert_eq!(rejected_code(&err), Some("pr_exists"));
    assert!(err.to_string().contains("Already Exist"));
    let err = Delhivery
        .parse_pickup(&response(400, "pickup_past_date.json"))
        .unwrap_err();
    assert!(err.to_string().contains("Pickup date cannot be in past"));
}

#[test]
fn label_answers() {
    assert_eq!(
        Delhivery
            .parse_label(&response(200, "packing_slip_link.json"))
            .unwrap(),
        LabelDocument::Url(
            "https://s3-ap-southeast-1.amazonaws.com/pdf-labels/7035123456789.pdf".into()
        )
    );
    let err = Delhivery
        .parse_label(&response(200, "packing_slip_empty.json"))
        .unwrap_err();
    assert_eq!(rejected_code(&err), Some("not_found"));
}

#[test]
fn ndr_answers() {
    assert_eq!(
        Delhivery
            .parse_ndr_action(&response(200, "ndr_accepted.json"))
            .unwrap(),
        NdrOutcome::Pending {
            request_id: "UPL70200521839149515".into()
        }
    );
    assert_eq!(
        Delhivery
            .parse_ndr_status(&response(200, "ndr_status_in_progress.json"))
            .unwrap(),
        None
    );
    assert_eq!(
        Delhivery
            .parse_ndr_status(&response(200, "ndr_status_success.json"))
            .unwrap(),
        Some(NdrOutcome::Accepted)
    );
    let err = Delhivery
        .parse_ndr_status(&response(200, "ndr_status_failed.json"))
        .unwrap_err();
    assert!(err.to_string().contains("Package in incorrect status"));
    let failed = HttpResponse::new(200, r#"{"status": "Failed", "request_id": "UPL1"}"#);
    assert!(Delhivery.parse_ndr_status(&failed).is_err());
}

#[test]
fn shipping_cost_answers() {
    let quotes = Delhivery
        .parse_rates(&response(200, "charges.json"))
        .unwrap();
    assert_eq!(
        quotes,
        [RateQuote {
            service: "b2c".into(),
            total_minor: 8_732,
            currency: "INR".into()
        }]
    );
    let err = Delhivery
        .parse_rates(&response(200, "charges_bad_pin.json"))
        .unwrap_err();
    assert!(err.to_string().contains("o_pin"));
}

#[test]
fn documented_push_payload() {
    let acct = account();
    let body = fixture("push_manifested.json");
    let headers = vec![("x-delhivery-token".to_string(), SECRET.to_string())];
    Delhivery.verify_push(&acct, &headers, &body).unwrap();
    let wrong = vec![("X-Delhivery-Token".to_string(), "nope".to_string())];
    assert!(matches!(
        Delhivery.verify_push(&acct, &wrong, &body),
        Err(CarrierError::Unauthorized { .. })
    ));
    assert!(Delhivery.verify_push(&acct, &[], &body).is_err());
    let err = Delhivery.verify_push(&acct, &wrong, &body).unwrap_err();
    assert!(!err.to_string().contains(SECRET), "never print the secret");

    let shipments = Delhivery.parse_push(&body).unwrap();
    assert_eq!(shipments.len(), 1);
    let s = &shipments[0];
    assert_eq!(s.awb, "XXXXXXXXXXXX");
    assert_eq!(s.reference.as_deref(), Some("28"));
    assert_eq!(s.scans[0].code, "X-UCI");
    assert_eq!(s.scans[0].status, Some(ShipmentStatus::Manifested));
    assert_eq!(s.scans[0].description, "Manifest uploaded");
    assert_eq!(
        s.scans[0].location.as_deref(),
        Some("Chandigarh_Raiprkln_C (Chandigarh)")
    );
}

#[test]
fn a_push_is_read_alone_or_batched_and_anything_else_is_refused() {
    let one = fixture("push_manifested.json");
    let alone = Delhivery.parse_push(&one).unwrap();
    // Several pushes in one array, after leading whitespace.
    let text = String::from_utf8(one.clone()).unwrap();
    let batched = format!(" \n[{text}, {text}]");
    let both = Delhivery.parse_push(batched.as_bytes()).unwrap();
    assert_eq!(both.len(), 2);
    for s in &both {
        assert_eq!(s.awb, alone[0].awb);
        assert_eq!(s.scans[0].code, alone[0].scans[0].code);
        assert_eq!(s.scans[0].occurred_at, alone[0].scans[0].occurred_at);
    }
    assert!(Delhivery.parse_push(b"[]").unwrap().is_empty());
    for bad in [
        &b"[1]"[..],
        b"\"Shipment\"",
        b"{}",
        b"[{}]",
        b"null",
        b"{\"Shipment\": {\"AWB\": \"1\"}}",
        b"[{\"Shipment\"",
    ] {
        assert!(
            matches!(Delhivery.parse_push(bad), Err(CarrierError::Parse { .. })),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn adapter_declares_what_it_implements() {
    let caps = Delhivery.capabilities();
    for cap in [
        Capability::Serviceability,
        Capability::Rates,
        Capability::CreateShipment,
        Capability::AwbPool,
        Capability::Label,
        Capability::Pickup,
        Capability::Cancel,
        Capability::Modify,
        Capability::NdrAction,
        Capability::TrackPull,
        Capability::TrackPush,
    ] {
        assert!(caps.contains(&cap), "{cap:?}");
    }
    assert_eq!(caps.len(), 11);
    assert!(!Delhivery.requires_login());
    assert!(matches!(
        Delhivery.build_login(&account()),
        Err(CarrierError::Unsupported { .. })
    ));
    let track = Delhivery
        .rate_limits()
        .iter()
        .find(|r| r.operation == Some("track"))
        .unwrap();
    assert_eq!((track.max_requests, track.per.as_secs()), (750, 300));
    let pool = Delhivery
        .rate_limits()
        .iter()
        .find(|r| r.operation == Some("fetch_awbs"))
        .unwrap();
    assert_eq!(pool.max_requests, 5);
}
