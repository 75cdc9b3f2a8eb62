//! Arbitrary bytes never panic a parser; unknown codes are kept and flagged.

mod common;

use common::*;
use proptest::prelude::*;
use serde_json::json;
use shipgate_carrier_core::http::HttpResponse;
use shipgate_carrier_core::*;
use shipgate_carrier_delhivery::Delhivery;
use shipgate_carrier_delhivery::status::STATUS_CODES;
use shipgate_domain::PaymentMode;

fn every_parser(response: &HttpResponse) {
    let acct = account();
    let d = draft("ORDER-1", PaymentMode::Prepaid);
    let create = CreateRequest {
        reference: "ORDER-1",
        draft: &d,
        awb: None,
    };
    let _ = Delhivery.parse_serviceability(response);
    let _ = Delhivery.parse_rates(response);
    let _ = Delhivery.parse_create(&acct, &create, response);
    let _ = Delhivery.parse_find_by_reference(response);
    let _ = Delhivery.parse_fetch_awbs(response);
    let _ = Delhivery.parse_label(response);
    let _ = Delhivery.parse_pickup(response);
    let _ = Delhivery.parse_cancel(response);
    let _ = Delhivery.parse_modify(response);
    let _ = Delhivery.parse_ndr_action(response);
    let _ = Delhivery.parse_ndr_status(response);
    let _ = Delhivery.parse_track(response);
    let _ = Delhivery.parse_push(&response.body);
    let _ = Delhivery.verify_push(&acct, &response.headers, &response.body);
}

/// Bytes that look a little like Delhivery answers, to reach deeper code.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"ShipmentData\"",
        "\"Shipment\"",
        "\"Scans\"",
        "\"ScanDetail\"",
        "\"Status\"",
        "\"StatusCode\"",
        "\"AWB\"",
        "\"packages\"",
        "\"waybill\"",
        "\"status\"",
        "\"result\"",
        "\"delivery_codes\"",
        "\"postal_code\"",
        "\"pickup_id\"",
        "\"pdf_encoding\"",
        "\"total_amount\"",
        "\"request_id\"",
        "null",
        "true",
        "1e400",
        "-1",
        "\"2024-01-05T10:32:11\"",
        "\"EOD-11\"",
        "\"\"",
        "<root>",
        "<status>True</status>",
        "</root>",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic(status in 100u16..600, body in prop::collection::vec(any::<u8>(), 0..512)) {
        every_parser(&HttpResponse::new(status, body));
    }

    #[test]
    fn jsonish_bytes_never_panic(status in prop::sample::select(vec![200u16, 201, 400, 401, 403, 500]), body in jsonish()) {
        every_parser(&HttpResponse::new(status, body));
    }

    #[test]
    fn unknown_codes_are_kept_with_no_status(
        code in "ZZ[A-Z]{1,3}-[0-9]{1,4}",
        status_type in "Q[A-Z]",
        status_text in "Zq[a-z ]{0,12}",
        instructions in "[A-Za-z ]{0,20}",
    ) {
        prop_assume!(!STATUS_CODES.iter().any(|c| c.code.eq_ignore_ascii_case(&code)));
        let track = json!({"ShipmentData": [{"Shipment": {
            "AWB": "14900000000001",
            "Status": {"Status": status_text, "StatusType": status_type, "StatusCode": code,
                       "StatusDateTime": "2024-01-05T10:32:11", "Instructions": instructions},
            "Scans": [{"ScanDetail": {"Scan": status_text, "ScanType": status_type, "StatusCode": code,
                       "ScanDateTime": "2024-01-05T10:32:11", "Instructions": instructions,
                       "ScannedLocation": "Hub"}}]
        }}]});
        let parsed = Delhivery.parse_track(&HttpResponse::json(200, &track)).unwrap();
        let scan = &parsed[0].scans[0];
        prop_assert_eq!(&scan.code, code.trim());
        prop_assert_eq!(scan.status, None);
        prop_assert_eq!(scan.ndr_reason, None);

        let push = json!({"Shipment": {
            "AWB": "14900000000001", "NSLCode": code, "ReferenceNo": "R1",
            "Status": {"Status": status_text, "StatusType": status_type,
                       "StatusDateTime": "2024-01-05T10:32:11", "Instructions": instructions}
        }});
        let parsed = Delhivery.parse_push(&serde_json::to_vec(&push).unwrap()).unwrap();
        let scan = &parsed[0].scans[0];
        prop_assert_eq!(&scan.code, code.trim());
        prop_assert_eq!(scan.status, None);
    }

    #[test]
    fn known_codes_always_map(index in 0usize..STATUS_CODES.len()) {
        let entry = &STATUS_CODES[index];
        let wire = shipgate_carrier_delhivery::status::wire(entry.code).unwrap();
        let nsl = if entry.code.contains('/') { "" } else { entry.code };
        let push = json!({"Shipment": {
            "AWB": "14900000000001", "NSLCode": nsl,
            "Status": {"Status": wire.status, "StatusType": wire.status_type,
                       "StatusDateTime": "2024-01-05 10:32:11", "Instructions": entry.description}
        }});
        let parsed = Delhivery.parse_push(&serde_json::to_vec(&push).unwrap()).unwrap();
        prop_assert_eq!(parsed[0].scans[0].status, Some(entry.status));
        prop_assert_eq!(parsed[0].scans[0].ndr_reason, entry.ndr_reason);
    }
}
