//! Documented DTDC answers parsed to AWBs, statuses and NDR reasons.

mod common;

use common::{account, draft, fixture, response};
use shipgate_carrier_core::*;
use shipgate_carrier_dtdc::*;
use shipgate_domain::{NdrReason, ShipmentStatus as S};

fn parse_create(resp: &HttpResponse) -> Result<Booking, CarrierError> {
    let draft = draft();
    Dtdc.parse_create(
        &account(),
        &CreateRequest {
            reference: "#100001",
            draft: &draft,
            awb: None,
        },
        resp,
    )
}

#[test]
fn the_documented_create_answer_gives_the_awb() {
    let booking = parse_create(&response(200, "create_response.json")).unwrap();
    assert_eq!(booking.awb, "100008518801");
    assert_eq!(booking.carrier_reference, None);
}

#[test]
fn a_refused_consignment_keeps_dtdc_reason_and_message() {
    let err = parse_create(&response(200, "create_error_response.json")).unwrap_err();
    match err {
        CarrierError::Rejected {
            code,
            message,
            retryable,
            ..
        } => {
            assert_eq!(code.as_deref(), Some("WRONG_INPUT"));
            assert_eq!(
                message,
                "Consignment Series with service B2C PRIORITY does not Belong to Client"
            );
            assert!(!retryable);
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[test]
fn a_wrong_api_key_is_unauthorized_everywhere_on_shipsy() {
    let resp = response(401, "shipsy_401.json");
    for err in [
        parse_create(&resp).unwrap_err(),
        Dtdc.parse_cancel(&resp).unwrap_err(),
        Dtdc.parse_label(&resp).unwrap_err(),
    ] {
        assert!(
            matches!(&err, CarrierError::Unauthorized { message, .. } if message == "Wrong api key"),
            "{err:?}"
        );
    }
}

#[test]
fn a_server_error_is_retryable_and_garbage_is_a_parse_error() {
    let err = parse_create(&HttpResponse::new(
        503,
        r#"{"error":{"message":"busy","statusCode":503,"reason":"UNAVAILABLE"}}"#,
    ))
    .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    let err = parse_create(&HttpResponse::new(200, "<html>oops</html>")).unwrap_err();
    assert!(
        matches!(err, CarrierError::Parse { status: 200, .. }),
        "{err:?}"
    );
}

#[test]
fn cancel_answers() {
    assert_eq!(
        Dtdc.parse_cancel(&response(200, "cancel_response.json"))
            .unwrap(),
        CancelOutcome::Cancelled
    );
    let err = Dtdc
        .parse_cancel(&response(200, "cancel_failure_response.json"))
        .unwrap_err();
    assert!(
        matches!(&err, CarrierError::Rejected { code: Some(c), message, .. }
            if c == "CANCELLATION_NOT_ALLOWED" && message.contains("already picked up")),
        "{err:?}"
    );
}

#[test]
fn labels_come_as_raw_pdf_or_base64() {
    let pdf = fixture("label.pdf");
    let raw = HttpResponse::new(200, pdf.clone());
    assert_eq!(
        Dtdc.parse_label(&raw).unwrap(),
        LabelDocument::Pdf(pdf.clone())
    );
    let b64 = response(200, "label_base64_response.json");
    assert_eq!(Dtdc.parse_label(&b64).unwrap(), LabelDocument::Pdf(pdf));
    let bad = HttpResponse::new(
        200,
        r#"{"referenceNumber":"7X1","label":"***not base64***"}"#,
    );
    assert!(matches!(
        Dtdc.parse_label(&bad),
        Err(CarrierError::Parse { .. })
    ));
}

#[test]
fn login_reads_the_bare_token_and_refuses_without_echoing_secrets() {
    let account = account();
    let ok = HttpResponse::new(200, "GL10991_trk_json:411c5d5200239ed2241b737fa15eecc1\n");
    let token = Dtdc.parse_login(&account, &ok).unwrap();
    assert_eq!(
        token.value.expose(),
        "GL10991_trk_json:411c5d5200239ed2241b737fa15eecc1"
    );
    assert_eq!(token.expires_in, None);
    let json = HttpResponse::new(200, r#"{"token":"abc123"}"#);
    assert_eq!(
        Dtdc.parse_login(&account, &json).unwrap().value.expose(),
        "abc123"
    );

    for refused in [
        HttpResponse::new(401, "Not Authorized"),
        HttpResponse::new(200, "Not Authorized"),
        HttpResponse::new(200, "Error: invalid username s3cret pass"),
        HttpResponse::new(200, ""),
    ] {
        let err = Dtdc.parse_login(&account, &refused).unwrap_err();
        assert!(matches!(err, CarrierError::Unauthorized { .. }), "{err:?}");
        assert!(!err.to_string().contains("s3cret"));
    }
}

#[test]
fn the_documented_tracking_answer() {
    let tracked = Dtdc
        .parse_track(&response(200, "track_response.json"))
        .unwrap();
    assert_eq!(tracked.len(), 1);
    let t = &tracked[0];
    assert_eq!(t.awb, "B32242001");
    assert_eq!(t.reference, None);
    assert_eq!(t.attempts, Some(1));
    assert_eq!(t.received_by.as_deref(), Some("SIGN"));
    let codes: Vec<_> = t.scans.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "BKD", "OBMD", "OPMF", "IBMD", "CDOUT", "CDIN", "IPMF", "IBMD", "OBMD", "OUTDLV", "DLV"
        ]
    );
    let statuses: Vec<_> = t.scans.iter().map(|s| s.status).collect();
    assert_eq!(statuses[0], Some(S::PickedUp));
    assert!(statuses[1..9].iter().all(|s| *s == Some(S::InTransit)));
    assert_eq!(statuses[9], Some(S::OutForDelivery));
    assert_eq!(statuses[10], Some(S::Delivered));
    // 21 June 2017, 16:14 IST.
    let delivered: jiff::Timestamp = "2017-06-21T10:44:00Z".parse().unwrap();
    assert_eq!(t.scans[10].occurred_at, delivered);
    assert_eq!(t.scans[10].location.as_deref(), Some("MUMBAI APEX"));
    assert_eq!(t.scans[0].description, "Booked");
}

#[test]
fn ndr_reasons_come_from_the_scan_remarks() {
    let tracked = Dtdc
        .parse_track(&response(200, "track_ndr_response.json"))
        .unwrap();
    let t = &tracked[0];
    assert_eq!(t.awb, "7V105154631");
    assert_eq!(t.reference.as_deref(), Some("ORD-100001"));
    assert_eq!(t.attempts, Some(2));
    assert_eq!(t.carrier_edd, Some(jiff::civil::date(2026, 9, 11)));
    assert_eq!(t.received_by, None);
    // The row without a usable date is left out; the others are kept in order.
    assert_eq!(t.scans.len(), 6);

    let door_locked = &t.scans[2];
    assert_eq!(door_locked.code, "NONDLV:DLK");
    assert_eq!(door_locked.status, Some(S::DeliveryFailed));
    assert_eq!(door_locked.ndr_reason, Some(NdrReason::CustomerUnavailable));
    assert_eq!(
        door_locked.description,
        "Not Delivered - OFFICE CLOSED OR DOOR LOCK-(CIR)"
    );

    // A reason DTDC has not documented: raw code kept, still a failed attempt.
    let undocumented = &t.scans[4];
    assert_eq!(undocumented.code, "NONDLV:ZZZ");
    assert_eq!(undocumented.status, Some(S::DeliveryFailed));
    assert_eq!(undocumented.ndr_reason, Some(NdrReason::Unknown));

    // An unknown scan code: kept and flagged.
    let unknown = &t.scans[5];
    assert_eq!(unknown.code, "NEWCODE");
    assert_eq!(unknown.description, "Something New");
    assert_eq!(unknown.status, None);
    assert_eq!(unknown.ndr_reason, None);
}

#[test]
fn an_unknown_consignment_is_no_shipment_not_an_error() {
    let not_found = response(206, "track_not_found.json");
    assert_eq!(Dtdc.parse_track(&not_found).unwrap(), vec![]);
    assert_eq!(Dtdc.parse_find_by_reference(&not_found).unwrap(), None);
}

#[test]
fn find_by_reference_returns_the_awb() {
    let found = Dtdc
        .parse_find_by_reference(&response(200, "track_ndr_response.json"))
        .unwrap()
        .unwrap();
    assert_eq!(found.awb, "7V105154631");
}

#[test]
fn an_expired_tracking_token_is_unauthorized() {
    let err = Dtdc
        .parse_track(&response(401, "track_401.json"))
        .unwrap_err();
    assert!(
        matches!(&err, CarrierError::Unauthorized { message, .. } if message.contains("token")),
        "{err:?}"
    );
}

#[test]
fn a_failed_tracking_answer_other_than_not_found_is_refused() {
    let failed = HttpResponse::new(
        200,
        r#"{"statusCode":400,"statusFlag":false,"status":"FAILED","errorDetails":[{"name":"strError","value":"Invalid AWB number format"}]}"#,
    );
    let err = Dtdc.parse_track(&failed).unwrap_err();
    assert!(
        matches!(&err, CarrierError::Rejected { message, .. } if message == "Invalid AWB number format"),
        "{err:?}"
    );
    // Some answers give errorDetails as a bare string.
    let bare = HttpResponse::new(
        200,
        r#"{"statusCode":200,"statusFlag":false,"status":"FAILED","errorDetails":"NO DATA FOUND FOR THIS CNNO NUMBER"}"#,
    );
    assert_eq!(Dtdc.parse_track(&bare).unwrap(), vec![]);
}

#[test]
fn dtdc_times_are_ist() {
    let t = dtdc_time("21062017", "1614").unwrap();
    assert_eq!(
        t,
        "2017-06-21T10:44:00Z".parse::<jiff::Timestamp>().unwrap()
    );
    assert_eq!(
        dtdc_time("21062017", "15:30:25").unwrap().as_second() - t.as_second(),
        -(43 * 60) - 35
    );
    assert_eq!(dtdc_time("32062017", "1614"), None);
    assert_eq!(dtdc_time("2106201", "1614"), None);
    assert_eq!(dtdc_time("21062017", "16"), None);
}
