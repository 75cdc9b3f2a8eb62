//! Arbitrary input never panics a parser; unknown codes are kept, unmapped.

mod common;

use std::collections::HashSet;

use common::*;
use proptest::prelude::*;
use shipgate_carrier_core::scan::lookup;
use shipgate_carrier_core::sim::Personality;
use shipgate_carrier_core::*;
use shipgate_carrier_xpressbees::Xpressbees;
use shipgate_carrier_xpressbees::status::{NDR_REMARKS, STATUS_CODES, ndr_reason_from_remark};
use shipgate_domain::{NdrReason, ShipmentStatus};

fn is_known(code: &str) -> bool {
    lookup(STATUS_CODES, code).is_some()
}

fn every_parser(status: u16, body: &[u8]) {
    let response = HttpResponse::new(status, body.to_vec());
    let acct = account();
    let draft = draft();
    let request = CreateRequest {
        reference: "ORD-1",
        draft: &draft,
        awb: None,
    };
    let _ = Xpressbees.parse_login(&acct, &response);
    let _ = Xpressbees.parse_create(&acct, &request, &response);
    let _ = Xpressbees.parse_find_by_reference(&response);
    let _ = Xpressbees.parse_track(&response);
    let _ = Xpressbees.parse_cancel(&response);
    let _ = Xpressbees.parse_ndr_action(&response);
    let _ = Xpressbees.parse_rates(&response);
    let _ = Xpressbees.parse_push(body);
    let _ = Xpressbees.verify_push(
        &acct,
        &[(
            "X-Hmac-SHA256".into(),
            String::from_utf8_lossy(body).into_owned(),
        )],
        body,
    );
}

/// JSON fragments parsers meet, to reach deeper than random bytes do.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        "[ -~]{0,12}".prop_map(serde_json::Value::from),
        Just(serde_json::json!("2021-03-03 16:04")),
        Just(serde_json::json!("IT")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("status".to_string()),
                        Just("data".to_string()),
                        Just("message".to_string()),
                        Just("history".to_string()),
                        Just("awb_number".to_string()),
                        Just("status_code".to_string()),
                        Just("event_time".to_string()),
                        Just("total_charges".to_string()),
                        "[a-z_]{1,8}",
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..512)) {
        every_parser(status, &body);
    }

    #[test]
    fn arbitrary_json_never_panics(status in prop_oneof![Just(200u16), Just(401), Just(404), 100u16..600], value in json_value()) {
        let body = serde_json::to_vec(&value).unwrap();
        every_parser(status, &body);
        let wrapped = serde_json::to_vec(&serde_json::json!({"status": true, "data": value})).unwrap();
        every_parser(status, &wrapped);
    }

    #[test]
    fn arbitrary_requests_never_panic_the_simulator(
        method in prop_oneof![Just(Method::Get), Just(Method::Post), Just(Method::Put)],
        path in prop_oneof![
            Just("/api/users/login".to_string()),
            Just("/api/shipments2".to_string()),
            Just("/api/shipments2/cancel".to_string()),
            Just("/api/ndr/create".to_string()),
            Just("/api/courier/serviceability".to_string()),
            "/api/shipments2/track/[ -~]{0,20}",
            "/[ -~]{0,20}",
        ],
        value in json_value(),
        token in prop::option::of("[ -~]{0,8}"),
    ) {
        let mut req = HttpRequest::new(method, path, "x").json(value);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Ok(op) = Xpressbees.sim_parse(&req) {
            let _ = Xpressbees.sim_render(&op, &sim::SimReply::Tracked(vec![]));
        }
    }

    #[test]
    fn unknown_track_codes_are_kept(code in "[A-Z][A-Z0-9-]{1,7}", message in "[A-Z ]{0,20}") {
        prop_assume!(!is_known(&code));
        let body = serde_json::json!({
            "status": true,
            "data": {
                "awb_number": "14344940000123",
                "history": [{"status_code": code, "location": "HUB", "event_time": "2021-03-03 16:04", "message": message}]
            }
        });
        let tracked = Xpressbees
            .parse_track(&HttpResponse::json(200, &body))
            .unwrap();
        let scan = &tracked[0].scans[0];
        prop_assert_eq!(&scan.code, code.trim());
        prop_assert_eq!(scan.status, None);
        prop_assert_eq!(scan.ndr_reason, None);
    }

    #[test]
    fn unknown_push_statuses_are_kept(status in "[a-z][a-z ]{1,15}[a-z]") {
        prop_assume!(!is_known(&status));
        let body = serde_json::json!({
            "awb_number": "14344940000123",
            "status": status,
            "event_time": "2021-02-26 16:19:59",
            "location": "Delhi",
            "message": "CONSIGNEE REFUSED TO ACCEPT",
        });
        let tracked = Xpressbees.parse_push(&serde_json::to_vec(&body).unwrap()).unwrap();
        let scan = &tracked[0].scans[0];
        prop_assert_eq!(&scan.code, &status);
        prop_assert_eq!(scan.status, None);
        // A remark never makes an unknown code a failed delivery.
        prop_assert_eq!(scan.ndr_reason, None);
    }
}

#[test]
fn the_table_is_consistent() {
    let mut seen = HashSet::new();
    for c in STATUS_CODES {
        assert!(
            seen.insert(c.code.to_ascii_lowercase()),
            "duplicate code {}",
            c.code
        );
        assert_eq!(lookup(STATUS_CODES, c.code), Some(c));
        assert_eq!(c.code, c.code.trim());
        assert!(!c.description.is_empty());
        assert_eq!(
            c.ndr_reason.is_some(),
            c.status == ShipmentStatus::DeliveryFailed,
            "{}",
            c.code
        );
    }
    // The documented tracking codes are all there.
    for code in ["PP", "IT", "EX", "OFD", "DL", "RT", "RT-IT", "RT-DL"] {
        assert!(is_known(code), "{code}");
    }
    // And the webhook's documented sample word.
    assert_eq!(
        lookup(STATUS_CODES, "in transit").map(|c| c.status),
        Some(ShipmentStatus::InTransit)
    );
    assert_eq!(Xpressbees.status_codes().len(), STATUS_CODES.len());
}

#[test]
fn every_remark_reads_back_as_its_reason() {
    for r in NDR_REMARKS {
        assert_ne!(r.reason, NdrReason::Unknown);
        assert_eq!(
            ndr_reason_from_remark(r.remark),
            Some(r.reason),
            "{}",
            r.remark
        );
        assert_eq!(
            ndr_reason_from_remark(&r.remark.to_ascii_lowercase()),
            Some(r.reason)
        );
    }
    assert_eq!(
        ndr_reason_from_remark("REFUSAL CONFIRMATION CODE VERIFIED"),
        Some(NdrReason::Refused)
    );
    assert_eq!(ndr_reason_from_remark("SHIPMENT ARRIVED"), None);
}
