//! Arbitrary bytes never panic a parser; unknown codes are kept, flagged.

mod common;

use common::*;
use proptest::prelude::*;
use shipgate_carrier_core::sim::{Personality, SimOp, SimReply, SimScan, SimShipment};
use shipgate_carrier_core::*;
use shipgate_carrier_ecom_express::{EcomExpress, status::STATUS_CODES};
use shipgate_domain::{PaymentMode, ShipmentStatus};

fn statuses() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(400),
        Just(401),
        Just(404),
        Just(500),
        100u16..600
    ]
}

/// Bytes that are sometimes almost the real thing.
fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        ".{0,300}".prop_map(String::into_bytes),
        "<ecomexpress-objects>(<object model=\"awb\">(<field name=\"(awb_number|scans|orderid|expected_date)\">[ -~]{0,40}</field>){0,4}</object>){0,3}</ecomexpress-objects>"
            .prop_map(String::into_bytes),
        r#"\{"(success|awb|shipments|error|reason)": ?(\[|\{|"|[0-9]|true|null)[ -~]{0,60}"#.prop_map(String::into_bytes),
        r#"\[\{"(awb|success|status|reason|error|active|pincode)": ?("[ -~]{0,10}"|[0-9]{1,12}|true|false|null|\[\])\}\]"#
            .prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic(status in statuses(), body in bodies()) {
        let resp = HttpResponse::new(status, body.clone());
        let draft = cod_draft();
        let request = CreateRequest { reference: "ORD-1", draft: &draft, awb: Some("100000001") };
        let _ = EcomExpress.parse_fetch_awbs(&resp);
        let _ = EcomExpress.parse_create(&account(), &request, &resp);
        let _ = EcomExpress.parse_cancel(&resp);
        let _ = EcomExpress.parse_ndr_action(&resp);
        let _ = EcomExpress.parse_track(&resp);
        let _ = EcomExpress.parse_serviceability(&resp);
        let _ = EcomExpress.parse_push(&body);
        let _ = EcomExpress.verify_push(&account(), &[("Authorization".into(), String::from_utf8_lossy(&body).into_owned())], &body);
        let mut incoming = HttpRequest::new(Method::Post, "/apiv2/manifest_awb/", "create");
        incoming.body = http::Body::decode(Some("application/x-www-form-urlencoded"), &body);
        let _ = EcomExpress.sim_parse(&incoming);
    }

    #[test]
    fn unknown_codes_are_kept_with_no_status(
        code in "[A-Z]{1,3}[0-9]{1,5}|9[0-9]{5}",
        text in "[A-Za-z][A-Za-z ]{0,30}",
        minutes in 0i64..1_000_000,
    ) {
        prop_assume!(!STATUS_CODES.iter().any(|c| c.code.eq_ignore_ascii_case(&code)));
        // Ecom scan times have minute precision.
        let at = jiff::Timestamp::from_second(1_699_999_980 + minutes * 60).unwrap();
        let leaked_code: &'static str = Box::leak(code.clone().into_boxed_str());
        let leaked_text: &'static str = Box::leak(text.trim().to_string().into_boxed_str());
        let scan = SimScan {
            status: ShipmentStatus::InTransit,
            ndr_reason: None,
            code: leaked_code,
            description: leaked_text,
            at,
            location: "PUNE".into(),
        };
        let shipment = SimShipment {
            awb: "100000001".into(),
            reference: "ORD-1".into(),
            payment_mode: PaymentMode::Prepaid,
            cod_amount_minor: 0,
            consignee_name: "A".into(),
            destination_postal_code: "411001".into(),
            scans: vec![scan.clone()],
            attempts: 0,
            edd: None,
        };
        // Pulled.
        let op = SimOp::Track { awbs: vec!["100000001".into()], references: vec![] };
        let resp = EcomExpress.sim_render(&op, &SimReply::Tracked(vec![shipment.clone()]));
        let tracked = EcomExpress.parse_track(&resp).unwrap();
        let got = &tracked[0].scans[0];
        prop_assert_eq!(&got.code, &code);
        prop_assert_eq!(got.status, None);
        prop_assert_eq!(got.ndr_reason, None);
        prop_assert_eq!(got.occurred_at, at);
        // Pushed.
        let push = EcomExpress.sim_push(SECRET, &shipment, &[scan]).unwrap();
        let (_, body) = push.body.encode();
        let pushed = EcomExpress.parse_push(&body).unwrap();
        prop_assert_eq!(&pushed[0].scans[0].code, &code);
        prop_assert_eq!(pushed[0].scans[0].status, None);
    }
}
