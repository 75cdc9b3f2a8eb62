//! Arbitrary bytes never make a parser panic, and an unknown scan code comes
//! back raw with `status: None`.

mod common;

use common::*;
use proptest::prelude::*;
use shipgate_carrier_bluedart::BlueDart;
use shipgate_carrier_bluedart::status::STATUS_CODES;
use shipgate_carrier_core::sim::Personality;
use shipgate_carrier_core::*;

fn statuses() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(400),
        Just(401),
        Just(403),
        Just(404),
        Just(429),
        Just(500),
        100u16..600
    ]
}

fn shaped_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        // Near-miss shapes: valid envelopes with junk inside.
        "[ -~]{0,80}".prop_map(|s| format!(r#"{{"GenerateWayBillResult":{{"AWBNo":{s:?},"IsError":"{s}","Status":"{s}"}}}}"#).into_bytes()),
        "[ -~]{0,80}".prop_map(|s| format!(r#"{{"error-response":[{{"Status":[{{"StatusCode":{s:?}}}]}}]}}"#).into_bytes()),
        "[ -~]{0,80}".prop_map(|s| format!("<ShipmentData><Shipment WaybillNo=\"1\"><StatusType>{s}</StatusType><Scans><ScanDetail><ScanCode>{s}</ScanCode><ScanDate>{s}</ScanDate></ScanDetail></Scans></Shipment></ShipmentData>").into_bytes()),
        "[ -~]{0,80}".prop_map(|s| format!(r#"{{"statustracking":[{{"Shipment":{{"WaybillNo":{s:?},"Scans":{{"ScanDetail":{s:?}}}}}}}]}}"#).into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic(status in statuses(), body in shaped_bytes()) {
        let r = HttpResponse::new(status, body.clone());
        let a = account();
        let d = draft("ORD-1", false);
        let req = CreateRequest { reference: "ORD-1", draft: &d, awb: None };
        let _ = BlueDart.parse_login(&a, &r);
        let _ = BlueDart.parse_create(&a, &req, &r);
        let _ = BlueDart.parse_find_by_reference(&r);
        let _ = BlueDart.parse_track(&r);
        let _ = BlueDart.parse_pickup(&r);
        let _ = BlueDart.parse_cancel(&r);
        let _ = BlueDart.parse_ndr_action(&r);
        let _ = BlueDart.parse_serviceability(&r);
        let _ = BlueDart.parse_push(&body);
        let _ = BlueDart.verify_push(&a, &[("token".into(), String::from_utf8_lossy(&body).into_owned())], &body);
        let mut incoming = HttpRequest::new(Method::Post, "/waybill/v1/GenerateWayBill", "create").header("JWTToken", "t");
        incoming.body = Body::decode(Some("application/json"), &body);
        let _ = BlueDart.sim_parse(&incoming);
    }

    #[test]
    fn unknown_codes_are_kept_and_flagged(
        group in "[A-Z]",
        code in "[0-9]{3}",
        text in "[A-Za-z ]{1,30}",
    ) {
        let full = format!("{group}-{code}");
        prop_assume!(!STATUS_CODES.iter().any(|c| c.code.eq_ignore_ascii_case(&full)));
        let xml = format!(
            "<ShipmentData><Shipment WaybillNo=\"50000000001\"><StatusType>UD</StatusType><Scans><ScanDetail><Scan>{text}</Scan><ScanCode>{code}</ScanCode><ScanType>UD</ScanType><ScanGroupType>{group}</ScanGroupType><ScanDate>27-Jan-2026</ScanDate><ScanTime>17:07</ScanTime></ScanDetail></Scans></Shipment></ShipmentData>"
        );
        let tracked = BlueDart.parse_track(&HttpResponse::new(200, xml)).unwrap();
        prop_assert_eq!(tracked.len(), 1);
        let scan = &tracked[0].scans[0];
        prop_assert_eq!(&scan.code, &full);
        prop_assert_eq!(&scan.description, text.trim());
        prop_assert_eq!(scan.status, None);
        prop_assert_eq!(scan.ndr_reason, None);

        let push = format!(
            r#"{{"statustracking":[{{"Shipment":{{"WaybillNo":"50000000001","Scans":{{"ScanDetail":[{{"Scan":"{text}","ScanCode":"{code}","ScanGroupType":"{group}","ScanDate":"27-01-2026","ScanTime":"17:07"}}]}}}}}}]}}"#
        );
        let pushed = BlueDart.parse_push(push.as_bytes()).unwrap();
        prop_assert_eq!(&pushed[0].scans[0].code, &full);
        prop_assert_eq!(pushed[0].scans[0].status, None);
    }

    #[test]
    fn known_codes_map_whatever_the_case(i in 0..STATUS_CODES.len()) {
        let c = &STATUS_CODES[i];
        let (group, code) = c.code.split_once('-').unwrap();
        let xml = format!(
            "<ShipmentData><Shipment WaybillNo=\"1\"><Scans><ScanDetail><Scan>x</Scan><ScanCode>{code}</ScanCode><ScanGroupType>{}</ScanGroupType><ScanDate>27-jan-2026</ScanDate><ScanTime>0907</ScanTime></ScanDetail></Scans></Shipment></ShipmentData>",
            group.to_ascii_lowercase()
        );
        let tracked = BlueDart.parse_track(&HttpResponse::new(200, xml)).unwrap();
        prop_assert_eq!(tracked[0].scans[0].status, Some(c.status));
    }
}
