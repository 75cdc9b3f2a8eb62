//! Arbitrary input never panics, and unknown codes are kept and flagged.

mod common;

use common::*;
use proptest::prelude::*;
use shipgate_carrier_core::sim::Personality;
use shipgate_carrier_core::*;
use shipgate_carrier_ekart::Ekart;
use shipgate_carrier_ekart::status::STATUS_CODES;

fn any_status() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(400),
        Just(401),
        Just(404),
        Just(429),
        Just(500),
        100u16..600
    ]
}

fn unknown_code() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9 _/-]{0,24}[A-Za-z0-9]".prop_filter("not a documented code", |c| {
        !STATUS_CODES
            .iter()
            .any(|s| s.code.eq_ignore_ascii_case(c.trim()))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic(status in any_status(), body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let response = HttpResponse::new(status, body.clone());
        let account = account();
        let draft = cod_draft();
        let create = CreateRequest { reference: "ORD-100", draft: &draft, awb: None };
        let _ = Ekart.parse_login(&account, &response);
        let _ = Ekart.parse_create(&account, &create, &response);
        let _ = Ekart.parse_track(&response);
        let _ = Ekart.parse_cancel(&response);
        let _ = Ekart.parse_ndr_action(&response);
        let _ = Ekart.parse_label(&response);
        let _ = Ekart.parse_serviceability(&response);
        let _ = Ekart.parse_rates(&response);
        let _ = Ekart.parse_push(&body);
        let headers = vec![("X-Ekart-Signature".to_string(), String::from_utf8_lossy(&body).into_owned())];
        let _ = Ekart.verify_push(&account, &headers, &body);
    }

    #[test]
    fn json_shaped_garbage_never_panics(
        id in proptest::option::of("[ -~]{0,20}"),
        status in proptest::option::of("[ -~]{0,20}"),
        ctime in proptest::option::of(any::<i64>()),
        attempts in proptest::option::of(any::<i64>()),
        edd in proptest::option::of(any::<i64>()),
        total in "[ -~]{0,12}",
    ) {
        let track = serde_json::json!({
            "_id": id, "edd": edd, "order_number": id,
            "track": {"status": status, "ctime": ctime, "attempts": attempts,
                      "details": [{"status": status, "ctime": ctime, "ndrStatus": status}, 5, null]}
        });
        let _ = Ekart.parse_track(&HttpResponse::json(200, &track));
        let hook = serde_json::json!({"id": id, "status": status, "ctime": ctime, "edd": edd, "attempts": attempts});
        let _ = Ekart.parse_push(&serde_json::to_vec(&hook).unwrap());
        let estimate = serde_json::json!({"total": total});
        let _ = Ekart.parse_rates(&HttpResponse::json(200, &estimate));
        let svc = serde_json::json!({"status": true, "pincode": attempts, "details": {"max_cod_amount": attempts, "cod": true, "forward_drop": true}});
        let _ = Ekart.parse_serviceability(&HttpResponse::json(200, &svc));
    }

    #[test]
    fn sim_parse_never_panics(
        method in prop_oneof![Just(Method::Get), Just(Method::Post), Just(Method::Put), Just(Method::Delete)],
        path in prop_oneof![
            Just("/api/v1/package/create".to_string()),
            Just("/api/v2/package/ndr".to_string()),
            Just("/api/v1/package/label".to_string()),
            Just("/api/v1/package/cancel".to_string()),
            "/api/v1/track/[ -~]{0,20}",
            "/api/v2/serviceability/[ -~]{0,10}",
            "/integrations/v2/auth/token/[ -~]{0,10}",
            "/[ -~]{0,30}",
        ],
        body in proptest::collection::vec(any::<u8>(), 0..256),
        json in any::<bool>(),
    ) {
        let content_type = if json { Some("application/json") } else { None };
        let request = HttpRequest::new(method, path, "test")
            .header("Authorization", "Bearer t")
            .body(Body::decode(content_type, &body));
        let _ = Ekart.sim_parse(&request);
    }

    #[test]
    fn unknown_codes_are_kept_with_no_status(code in unknown_code(), ctime in 1_500_000_000_000i64..2_000_000_000_000) {
        let track = serde_json::json!({
            "_id": "500999EK0000001",
            "track": {"status": code, "ctime": ctime, "desc": "something new", "details": []}
        });
        let tracked = Ekart.parse_track(&HttpResponse::json(200, &track)).unwrap();
        prop_assert_eq!(tracked[0].scans.len(), 1);
        let scan = &tracked[0].scans[0];
        prop_assert_eq!(&scan.code, code.trim());
        prop_assert_eq!(scan.status, None);
        prop_assert_eq!(scan.ndr_reason, None);

        let hook = serde_json::json!({"id": "500999EK0000001", "status": code, "ctime": ctime, "desc": "x"});
        let pushed = Ekart.parse_push(&serde_json::to_vec(&hook).unwrap()).unwrap();
        prop_assert_eq!(&pushed[0].scans[0].code, code.trim());
        prop_assert_eq!(pushed[0].scans[0].status, None);
    }
}
