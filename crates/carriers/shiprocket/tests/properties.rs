//! Arbitrary input never panics a parser; unknown codes are kept, flagged.

mod common;

use common::{account, draft};
use proptest::prelude::*;
use shipgate_carrier_core::http::HttpResponse;
use shipgate_carrier_core::*;
use shipgate_carrier_shiprocket::Shiprocket;
use shipgate_carrier_shiprocket::status::STATUS_CODES;
use shipgate_domain::ShipmentStatus;

fn all_parsers(status: u16, body: &[u8]) {
    let r = HttpResponse::new(status, body.to_vec());
    let a = account();
    let d = draft();
    let req = CreateRequest {
        reference: "R",
        draft: &d,
        awb: None,
    };
    let _ = Shiprocket.parse_login(&a, &r);
    let _ = Shiprocket.parse_create(&a, &req, &r);
    let _ = Shiprocket.parse_find_by_reference(&r);
    let _ = Shiprocket.parse_track(&r);
    let _ = Shiprocket.parse_cancel(&r);
    let _ = Shiprocket.parse_ndr_action(&r);
    let _ = Shiprocket.parse_serviceability(&r);
    let _ = Shiprocket.parse_rates(&r);
    let _ = Shiprocket.parse_push(body);
    let _ = Shiprocket.verify_push(
        &a,
        &[("x-api-key".into(), String::from_utf8_lossy(body).into())],
        body,
    );
}

fn json_fragment() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() {
            f.to_string()
        } else {
            "1e400".into()
        }),
        "[a-zA-Z0-9 :_-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just("true".to_string()),
    ];
    let keys = prop_oneof![
        Just("tracking_data"),
        Just("shipment_track"),
        Just("shipment_track_activities"),
        Just("awb_code"),
        Just("sr-status"),
        Just("date"),
        Just("payload"),
        Just("status"),
        Just("awb"),
        Just("scans"),
        Just("data"),
        Just("available_courier_companies"),
        Just("rate"),
        Just("token"),
        Just("status_code"),
        Just("errors"),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((keys.clone(), inner), 0..5).prop_map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(status in prop_oneof![Just(200u16), Just(404), Just(422), 100u16..600], body in prop::collection::vec(any::<u8>(), 0..512)) {
        all_parsers(status, &body);
    }

    #[test]
    fn arbitrary_json_never_panics(status in prop_oneof![Just(200u16), Just(202), Just(404), Just(400)], body in json_fragment()) {
        all_parsers(status, body.as_bytes());
    }

    #[test]
    fn unknown_codes_are_kept_and_flagged(code in "[A-Z0-9-]{1,10}", text in "[a-zA-Z ]{0,20}") {
        prop_assume!(!STATUS_CODES.iter().any(|c| c.code.eq_ignore_ascii_case(code.trim())));
        prop_assume!(!code.eq_ignore_ascii_case("NA"));
        let activity = serde_json::json!({
            "date": "2024-01-05 10:32:11", "status": "X-1", "activity": text,
            "location": "Hub", "sr-status": code, "sr-status-label": "?"
        });
        let track = serde_json::json!({"tracking_data": {
            "track_status": 1,
            "shipment_track": [{"awb_code": "77000000000001"}],
            "shipment_track_activities": [activity.clone()],
        }});
        let t = Shiprocket.parse_track(&HttpResponse::json(200, &track)).unwrap();
        prop_assert_eq!(t.len(), 1);
        prop_assert_eq!(&t[0].scans[0].code, &code);
        prop_assert_eq!(t[0].scans[0].status, None);
        prop_assert_eq!(t[0].scans[0].ndr_reason, None);

        let push = serde_json::json!({"awb": "77000000000001", "scans": [activity]});
        let p = Shiprocket.parse_push(&serde_json::to_vec(&push).unwrap()).unwrap();
        prop_assert_eq!(&p[0].scans[0].code, &code);
        prop_assert_eq!(p[0].scans[0].status, None);
    }
}

#[test]
fn the_table_is_complete_and_unambiguous() {
    let mut codes: Vec<&str> = STATUS_CODES.iter().map(|c| c.code).collect();
    let n = codes.len();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), n, "duplicate codes");
    assert_eq!(n, 60);
    for id in (0..=27).chain(38..=52).chain([
        54, 55, 56, 57, 59, 60, 61, 62, 63, 67, 68, 71, 72, 75, 76, 77, 78,
    ]) {
        assert!(codes.contains(&id.to_string().as_str()), "missing {id}");
    }
    // Every status the simulator's journeys use has a code.
    use ShipmentStatus as S;
    for s in [
        S::Manifested,
        S::PickedUp,
        S::InTransit,
        S::AtDestinationHub,
        S::OutForDelivery,
        S::Delivered,
        S::DeliveryFailed,
        S::Lost,
        S::Damaged,
        S::Delayed,
        S::Cancelled,
        S::RtoRequested,
        S::RtoInTransit,
        S::RtoOutForDelivery,
        S::RtoDelivered,
    ] {
        assert!(STATUS_CODES.iter().any(|c| c.status == s), "{s}");
    }
    // Failed deliveries say why (as far as Shiprocket tells); nothing else does.
    for c in STATUS_CODES {
        assert_eq!(
            c.ndr_reason.is_some(),
            c.status == S::DeliveryFailed,
            "{}",
            c.code
        );
    }
    // The simulator's first pick per status is the typical id.
    let first = |s: S| STATUS_CODES.iter().find(|c| c.status == s).unwrap().code;
    assert_eq!(first(S::InTransit), "18");
    assert_eq!(first(S::Manifested), "1");
    assert_eq!(first(S::DeliveryFailed), "21");
    assert_eq!(Shiprocket.status_codes().len(), n);
}
