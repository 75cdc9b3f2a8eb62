//! Arbitrary carrier bytes never panic a parser; unknown codes are kept, not dropped.

mod common;

use common::{account, draft};
use proptest::prelude::*;
use shipgate_carrier_core::sim::Personality;
use shipgate_carrier_core::*;
use shipgate_carrier_dtdc::*;

fn status_code() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(206),
        Just(400),
        Just(401),
        Just(500),
        100u16..600
    ]
}

/// Arbitrary bytes, and JSON shaped like DTDC's answers with arbitrary values.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    let shaped = (
        value.clone(),
        value.clone(),
        value.clone(),
        value.clone(),
        value,
    )
        .prop_map(|(a, b, c, d, e)| {
            serde_json::to_vec(&serde_json::json!({
                "status": a.clone(),
                "statusFlag": b.clone(),
                "success": b,
                "data": [{"success": c.clone(), "reference_number": d.clone(), "message": e.clone()}],
                "failure": [{"success": c.clone(), "reason": d.clone()}],
                "label": e.clone(),
                "errorDetails": a.clone(),
                "trackHeader": {"strShipmentNo": d.clone(), "strNoOfAttempts": e.clone(), "strExpectedDeliveryDate": a},
                "trackDetails": [{"strCode": c, "strActionDate": d, "strActionTime": e, "sTrRemarks": "X|Y"}],
            }))
            .unwrap_or_default()
        });
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..256), shaped]
}

proptest! {
    #[test]
    fn parsers_never_panic(status in status_code(), body in body()) {
        let response = HttpResponse::new(status, body);
        let account = account();
        let draft = draft();
        let request = CreateRequest { reference: "ORD-1", draft: &draft, awb: None };
        let _ = Dtdc.parse_login(&account, &response);
        let _ = Dtdc.parse_create(&account, &request, &response);
        let _ = Dtdc.parse_find_by_reference(&response);
        let _ = Dtdc.parse_label(&response);
        let _ = Dtdc.parse_cancel(&response);
        let _ = Dtdc.parse_track(&response);
        let _ = Dtdc.parse_serviceability(&response);
        let _ = Dtdc.parse_rates(&response);
        let _ = Dtdc.parse_pickup(&response);
        let _ = Dtdc.parse_modify(&response);
        let _ = Dtdc.parse_ndr_action(&response);
        let _ = Dtdc.parse_ndr_status(&response);
        let _ = Dtdc.parse_fetch_awbs(&response);
        let _ = Dtdc.parse_push(&response.body);
    }

    #[test]
    fn the_simulator_side_never_panics_either(path in prop_oneof![
            Just(SOFTDATA_PATH.to_string()), Just(CANCEL_PATH.to_string()),
            Just(LABEL_PATH.to_string()), Just(TRACK_PATH.to_string()),
            Just(AUTH_PATH.to_string()), "/[a-z/]{0,20}"],
        get in any::<bool>(),
        body in body()) {
        let method = if get { Method::Get } else { Method::Post };
        let request = HttpRequest {
            method,
            path,
            headers: vec![("api-key".into(), "k".into()), ("X-Access-Token".into(), "t".into())],
            body: Body::decode(Some("application/json"), &body),
            retry: Retry::Never,
            operation: "any",
        };
        if let Err(response) = Dtdc.sim_parse(&request) {
            prop_assert!(response.status >= 400);
        }
    }

    #[test]
    fn unknown_scan_codes_are_kept_with_no_status(code in "[A-Z]{2,12}", action in "[A-Za-z ]{0,20}") {
        prop_assume!(shipgate_carrier_core::scan::lookup(STATUS_CODES, &code).is_none());
        let body = serde_json::json!({
            "statusCode": 200, "statusFlag": true, "status": "SUCCESS", "errorDetails": null,
            "trackHeader": {"strShipmentNo": "D00000001"},
            "trackDetails": [{"strCode": code, "strAction": action, "strOrigin": "HUB",
                              "strActionDate": "21062017", "strActionTime": "1614", "sTrRemarks": ""}],
        });
        let tracked = Dtdc.parse_track(&HttpResponse::json(200, &body)).unwrap();
        let scan = &tracked[0].scans[0];
        prop_assert_eq!(&scan.code, &code);
        prop_assert_eq!(&scan.description, action.trim());
        prop_assert_eq!(scan.status, None);
        prop_assert_eq!(scan.ndr_reason, None);
    }
}

#[test]
fn every_table_code_is_unique_and_failed_deliveries_have_a_reason() {
    let codes = Dtdc.status_codes();
    for (i, a) in codes.iter().enumerate() {
        assert!(
            codes[i + 1..]
                .iter()
                .all(|b| !b.code.eq_ignore_ascii_case(a.code)),
            "{} is listed twice",
            a.code
        );
        if a.status == shipgate_domain::ShipmentStatus::DeliveryFailed {
            assert!(a.ndr_reason.is_some(), "{} has no NDR reason", a.code);
        }
    }
    // DTDC's sheet: 69 scan codes and 25 reason codes, plus KYC (seen live)
    // and the consignor's refusal on the return leg.
    assert_eq!(codes.len(), 96);
    let scans = codes.iter().filter(|c| !c.code.contains(':')).count();
    assert_eq!(scans, 69);
}
