//! Documented responses parsed to what they mean.

mod common;

use std::time::Duration;

use common::*;
use jiff::Timestamp;
use jiff::civil::date;
use shipgate_carrier_core::*;
use shipgate_carrier_ekart::{Ekart, status::STATUS_CODES};
use shipgate_domain::{NdrReason, ShipmentStatus};

fn create_request(draft: &shipgate_domain::shipment::ShipmentDraft) -> CreateRequest<'_> {
    CreateRequest {
        reference: "ORD-100",
        draft,
        awb: None,
    }
}

#[test]
fn login_returns_the_bearer_token_and_its_lifetime() {
    let token = Ekart
        .parse_login(&account(), &response(200, "login_response.json"))
        .unwrap();
    assert_eq!(token.value.expose(), "eyJhbGciOiJIUzI1NiJ9.example.token");
    assert_eq!(token.expires_in, Some(Duration::from_secs(86_399)));
}

#[test]
fn refused_login_is_unauthorized() {
    let body = r#"{"statusCode":401,"code":"SWIFT_UNAUTHORIZED_EXCEPTION","message":"SWIFT_UNAUTHORIZED_EXCEPTION","description":"Bad credentials","severity":"ERROR"}"#;
    let err = Ekart
        .parse_login(&account(), &HttpResponse::new(401, body))
        .unwrap_err();
    assert_eq!(
        err,
        CarrierError::Unauthorized {
            carrier: "ekart",
            message: "Bad credentials".into()
        }
    );
    let empty = Ekart.parse_login(
        &account(),
        &HttpResponse::new(200, r#"{"access_token":""}"#),
    );
    assert!(matches!(empty, Err(CarrierError::Parse { .. })));
}

#[test]
fn create_reads_the_tracking_id_as_the_awb() {
    let draft = cod_draft();
    let booking = Ekart
        .parse_create(
            &account(),
            &create_request(&draft),
            &response(200, "create_response.json"),
        )
        .unwrap();
    assert_eq!(
        booking,
        Booking {
            awb: "500999A3408005".into(),
            carrier_reference: Some("vendor_waybill_plain_text".into()),
            routing_code: None,
            label_url: None,
        }
    );
}

#[test]
fn create_errors_keep_ekarts_exception_and_description() {
    let draft = cod_draft();
    let err = Ekart
        .parse_create(
            &account(),
            &create_request(&draft),
            &response(404, "error_pickup_missing.json"),
        )
        .unwrap_err();
    assert_eq!(
        err,
        CarrierError::Rejected {
            carrier: "ekart",
            code: Some("SWIFT_RESOURCE_NOT_FOUND_EXCEPTION".into()),
            message: "Test Seller pickup_location does not exist or is deleted.".into(),
            retryable: false,
        }
    );
    let refused = HttpResponse::new(200, r#"{"status":false,"remark":"Invalid drop pincode"}"#);
    assert_eq!(
        Ekart
            .parse_create(&account(), &create_request(&draft), &refused)
            .unwrap_err(),
        CarrierError::rejected("ekart", "Invalid drop pincode")
    );
    let gateway = HttpResponse::new(502, "<html>Bad Gateway</html>");
    assert!(
        Ekart
            .parse_create(&account(), &create_request(&draft), &gateway)
            .unwrap_err()
            .is_retryable()
    );
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap()
}

#[test]
fn track_reads_every_update_with_the_ndr_reason() {
    let tracked = Ekart
        .parse_track(&response(200, "track_response.json"))
        .unwrap();
    assert_eq!(tracked.len(), 1);
    let t = &tracked[0];
    assert_eq!(t.awb, "500999A3408005");
    assert_eq!(t.reference.as_deref(), Some("ORD-100"));
    assert_eq!(t.attempts, Some(1));
    assert_eq!(t.carrier_edd, Some(date(2024, 1, 6)));
    let summary: Vec<_> = t
        .scans
        .iter()
        .map(|s| (s.code.as_str(), s.status, s.ndr_reason))
        .collect();
    assert_eq!(
        summary,
        [
            ("Order Placed", Some(ShipmentStatus::Manifested), None),
            ("Picked Up", Some(ShipmentStatus::PickedUp), None),
            ("In Transit", Some(ShipmentStatus::InTransit), None),
            (
                "Out for Delivery",
                Some(ShipmentStatus::OutForDelivery),
                None
            ),
            (
                "Undelivered",
                Some(ShipmentStatus::DeliveryFailed),
                Some(NdrReason::CustomerUnavailable)
            ),
        ]
    );
    let last = t.scans.last().unwrap();
    assert_eq!(last.occurred_at, at(1_704_449_100_000));
    assert_eq!(last.location.as_deref(), Some("Gurugram"));
    assert_eq!(
        last.description,
        "Customer not available at the address (Customer Unavailable)"
    );
    assert_eq!(t.scans[2].location.as_deref(), Some("Bengaluru Mother Hub"));
}

#[test]
fn track_without_details_reads_the_latest_scan() {
    let tracked = Ekart
        .parse_track(&response(200, "track_response_latest_only.json"))
        .unwrap();
    let t = &tracked[0];
    assert_eq!(t.awb, "501346BN6838925");
    assert_eq!(t.reference.as_deref(), Some("41839"));
    assert_eq!(t.attempts, Some(0));
    assert_eq!(t.carrier_edd, Some(date(2022, 7, 11)));
    assert_eq!(t.scans.len(), 1);
    let s = &t.scans[0];
    assert_eq!(s.code, "Delivered");
    assert_eq!(s.status, Some(ShipmentStatus::Delivered));
    assert_eq!(s.description, "Delivered Successfully");
    assert_eq!(s.location, None);
    assert_eq!(s.occurred_at, at(1_657_523_187_604));
}

#[test]
fn track_of_an_unknown_id_finds_nothing() {
    let not_found = r#"{"statusCode":404,"code":"SWIFT_RESOURCE_NOT_FOUND_EXCEPTION","message":"SWIFT_RESOURCE_NOT_FOUND_EXCEPTION","description":"shipment not found","severity":"ERROR"}"#;
    assert_eq!(
        Ekart
            .parse_track(&HttpResponse::new(404, not_found))
            .unwrap(),
        vec![]
    );
    // A wrong path is an error, not an empty answer.
    let path = r#"{"statusCode":404,"code":"PATH_NOT_IMPLEMENTED","message":"PATH_NOT_IMPLEMENTED","description":"No handler defined for path '/api/v1/track' and method GET","severity":"ERROR"}"#;
    assert!(matches!(
        Ekart.parse_track(&HttpResponse::new(404, path)),
        Err(CarrierError::Rejected { code: Some(c), .. }) if c == "PATH_NOT_IMPLEMENTED"
    ));
}

#[test]
fn unknown_codes_are_kept_and_flagged() {
    let body = r#"{"_id":"X1","track":{"status":"Teleported","ctime":1704449100000,"desc":"Beamed up","details":[]}}"#;
    let tracked = Ekart.parse_track(&HttpResponse::new(200, body)).unwrap();
    let s = &tracked[0].scans[0];
    assert_eq!(s.code, "Teleported");
    assert_eq!(s.description, "Beamed up");
    assert_eq!(s.status, None);
    assert_eq!(s.ndr_reason, None);
    // An NDR status is not a tracking status.
    let body =
        r#"{"_id":"X1","track":{"status":"Customer Unavailable","ctime":1704449100000,"desc":""}}"#;
    let s = &Ekart.parse_track(&HttpResponse::new(200, body)).unwrap()[0].scans[0];
    assert_eq!(s.status, None);
    // An unknown NDR status on a failed attempt: failed, reason unknown, text kept.
    let body = r#"{"_id":"X1","track":{"status":"Undelivered","ctime":1704449100000,"desc":"","ndrStatus":"Gate Locked"}}"#;
    let s = &Ekart.parse_track(&HttpResponse::new(200, body)).unwrap()[0].scans[0];
    assert_eq!(s.status, Some(ShipmentStatus::DeliveryFailed));
    assert_eq!(s.ndr_reason, Some(NdrReason::Unknown));
    assert_eq!(s.description, "Gate Locked");
}

#[test]
fn webhook_track_updated_is_one_scan() {
    let pushed = Ekart
        .parse_push(fixture("webhook_track_updated.json").as_bytes())
        .unwrap();
    assert_eq!(
        pushed,
        vec![TrackedShipment {
            awb: "501346BN6838925".into(),
            reference: Some("41839".into()),
            scans: vec![CarrierScan {
                code: "Delivered".into(),
                description: "Delivered Successfully".into(),
                status: Some(ShipmentStatus::Delivered),
                ndr_reason: None,
                occurred_at: at(1_657_523_187_604),
                location: None,
            }],
            carrier_edd: Some(date(2022, 7, 11)),
            attempts: Some(0),
            received_by: None,
        }]
    );
}

#[test]
fn webhook_shipment_created_links_the_order_to_the_tracking_id() {
    let pushed = Ekart
        .parse_push(fixture("webhook_shipment_created.json").as_bytes())
        .unwrap();
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].awb, "509271DS0153341");
    assert_eq!(pushed[0].reference.as_deref(), Some("RAZNE009"));
    assert!(pushed[0].scans.is_empty());
}

#[test]
fn push_signature_is_an_hmac_of_the_body() {
    let body = fixture("webhook_track_updated.json");
    let mac = shipgate_carrier_ekart::signature(SECRET, body.as_bytes());
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    let headers = |v: String| vec![("x-ekart-signature".to_string(), v)];
    let account = account();
    assert_eq!(
        Ekart.verify_push(&account, &headers(hex.clone()), body.as_bytes()),
        Ok(())
    );
    assert_eq!(
        Ekart.verify_push(&account, &headers(hex.to_uppercase()), body.as_bytes()),
        Ok(())
    );
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&mac);
    assert_eq!(
        Ekart.verify_push(&account, &headers(b64), body.as_bytes()),
        Ok(())
    );
    let tampered = body.replace("Delivered Successfully", "Delivered Successfully!");
    assert!(matches!(
        Ekart.verify_push(&account, &headers(hex.clone()), tampered.as_bytes()),
        Err(CarrierError::Unauthorized { .. })
    ));
    assert!(matches!(
        Ekart.verify_push(&account, &[], body.as_bytes()),
        Err(CarrierError::Unauthorized { .. })
    ));
    let mut no_secret = account.clone();
    no_secret.credentials.remove("webhook_secret");
    assert!(matches!(
        Ekart.verify_push(&no_secret, &headers(hex), body.as_bytes()),
        Err(CarrierError::InvalidRequest { .. })
    ));
}

#[test]
fn cancel_answers() {
    assert_eq!(
        Ekart.parse_cancel(&response(200, "cancel_response.json")),
        Ok(CancelOutcome::Cancelled)
    );
    // The spec's own example acknowledges with an empty object.
    assert_eq!(
        Ekart.parse_cancel(&response(200, "cancel_response_documented.json")),
        Ok(CancelOutcome::Cancelled)
    );
    let rto = r#"{"data":[{"status":true,"remark":"Shipment already picked up; RTO requested","tracking_id":"X"}]}"#;
    assert_eq!(
        Ekart.parse_cancel(&HttpResponse::new(200, rto)),
        Ok(CancelOutcome::RtoInitiated)
    );
    let refused =
        r#"{"data":[{"status":false,"remark":"Shipment already delivered","tracking_id":"X"}]}"#;
    assert_eq!(
        Ekart.parse_cancel(&HttpResponse::new(200, refused)),
        Err(CarrierError::rejected(
            "ekart",
            "Shipment already delivered"
        ))
    );
}

#[test]
fn ndr_answers_are_synchronous() {
    assert_eq!(
        Ekart.parse_ndr_action(&response(200, "ndr_response.json")),
        Ok(NdrOutcome::Accepted)
    );
    assert_eq!(
        Ekart.parse_ndr_action(&response(200, "ndr_response_refused.json")),
        Err(CarrierError::rejected(
            "ekart",
            "Re-Attempt date should be within seven days"
        ))
    );
    // Nothing to follow up.
    assert!(matches!(
        Ekart.build_ndr_status(&account(), "X"),
        Err(CarrierError::Unsupported { .. })
    ));
}

#[test]
fn label_is_the_pdf() {
    let pdf = b"%PDF-1.4\n%label\n".to_vec();
    assert_eq!(
        Ekart.parse_label(&HttpResponse::new(200, pdf.clone())),
        Ok(LabelDocument::Pdf(pdf))
    );
    assert!(matches!(
        Ekart.parse_label(&HttpResponse::new(200, "{}")),
        Err(CarrierError::Parse { .. })
    ));
    assert!(matches!(
        Ekart.parse_label(&response(400, "error_validation.json")),
        Err(CarrierError::Rejected { .. })
    ));
}

#[test]
fn serviceability_reads_the_pincode_details() {
    assert_eq!(
        Ekart
            .parse_serviceability(&response(200, "serviceability_response.json"))
            .unwrap(),
        vec![ServiceabilityRecord {
            postal_code: "110001".into(),
            prepaid: true,
            cod: true,
            pickup: true,
            reverse: true,
            oda: false,
            embargo: false,
            max_weight_grams: None,
            max_cod_minor: Some(5_000_000),
            sort_code: None,
        }]
    );
    assert_eq!(
        Ekart
            .parse_serviceability(&response(200, "serviceability_response_no.json"))
            .unwrap(),
        vec![]
    );
}

#[test]
fn rates_read_the_total_in_paise() {
    assert_eq!(
        Ekart
            .parse_rates(&response(200, "estimate_response.json"))
            .unwrap(),
        vec![RateQuote {
            service: "Ekart zone C".into(),
            total_minor: 9_086,
            currency: "INR".into(),
        }]
    );
    assert_eq!(
        Ekart
            .parse_rates(&response(400, "error_validation.json"))
            .unwrap_err(),
        CarrierError::Rejected {
            carrier: "ekart",
            code: Some("SWIFT_VALIDATION_EXCEPTION".into()),
            message: "shippingDirection cannot be null or empty".into(),
            retryable: false,
        }
    );
}

#[test]
fn the_table_is_the_documented_enumerations() {
    let documented_status = [
        "Order Placed",
        "In Transit",
        "Out for Delivery",
        "Delivered",
        "Cancelled",
        "Seller Cancelled",
        "RTO Requested",
        "Seller RTO Requested",
        "RTO In Transit",
        "RTO Delivered",
        "RTO Out for Delivery",
        "RTO Failed",
        "Picked Up",
        "Pickup Cancelled",
        "Pickup Pending",
        "Pickup Scheduled",
        "Lost",
        "Damaged",
        "Shipment Delayed",
        "Not Serviceable",
        "Not Picked",
        "Undelivered",
        "Out for Pickup",
        "RTO Shipment Delayed",
    ];
    let documented_ndr = [
        "Unknown Exception",
        "Customer Unavailable",
        "Rejected by Customer",
        "Delivery Rescheduled",
        "Pickup Rescheduled",
        "Customer Unreachable",
        "Address Issue",
        "Payment Issue",
        "Out Of Delivery Area",
        "Order Already Cancelled",
        "Self Collect",
        "Shipment Seized By Customer",
        "Dispute",
        "Maximum Attempt Reached",
        "Not Attempted",
        "OTP Not Received/OTP Mismatch",
        "OTP Verified Cancellation",
        "On Hold",
        "RTO Delivery Failed",
    ];
    let mut table: Vec<_> = STATUS_CODES.iter().map(|c| c.code).collect();
    let mut documented: Vec<_> = documented_status
        .into_iter()
        .chain(documented_ndr)
        .collect();
    table.sort_unstable();
    documented.sort_unstable();
    assert_eq!(table, documented);
    assert_eq!(Ekart.status_codes().len(), 43);
    // Every failed delivery says why.
    for c in STATUS_CODES {
        if c.status == ShipmentStatus::DeliveryFailed {
            assert!(c.ndr_reason.is_some(), "{}", c.code);
        }
    }
}

#[test]
fn capabilities_are_exactly_the_operations_implemented() {
    let account = account();
    let unsupported =
        |r: Result<HttpRequest, CarrierError>| matches!(r, Err(CarrierError::Unsupported { .. }));
    let caps = Ekart.capabilities();
    let pickup = PickupRequest {
        location: "BLR-WH-1".into(),
        date: date(2024, 1, 6),
        time: jiff::civil::time(11, 0, 0, 0),
        expected_packages: 1,
        awbs: vec![AWB.into()],
    };
    assert_eq!(
        !unsupported(Ekart.build_pickup(&account, &pickup)),
        caps.contains(&Capability::Pickup)
    );
    assert_eq!(
        !unsupported(Ekart.build_fetch_awbs(&account, 5)),
        caps.contains(&Capability::AwbPool)
    );
    assert_eq!(
        !unsupported(Ekart.build_modify(&account, AWB, &Modification::default())),
        caps.contains(&Capability::Modify)
    );
    assert!(!unsupported(Ekart.build_label(&account, AWB)) && caps.contains(&Capability::Label));
    assert!(!unsupported(Ekart.build_cancel(&account, AWB)) && caps.contains(&Capability::Cancel));
    assert!(
        !unsupported(Ekart.build_serviceability(&account, "560001"))
            && caps.contains(&Capability::Serviceability)
    );
    assert!(
        !unsupported(Ekart.build_track(&account, &[AWB.into()]))
            && caps.contains(&Capability::TrackPull)
    );
    assert!(Ekart.parse_push(b"{\"id\":\"X\"}").is_ok() && caps.contains(&Capability::TrackPush));
    assert!(
        caps.contains(&Capability::CreateShipment)
            && caps.contains(&Capability::NdrAction)
            && caps.contains(&Capability::Rates)
    );
    assert_eq!(caps.len(), 8);
    // Neither de-duplication nor a lookup by order number is documented.
    assert!(matches!(
        Ekart.build_find_by_reference(&account, "ORD-100"),
        Err(CarrierError::Unsupported { .. })
    ));
    assert!(Ekart.rate_limits().is_empty());
}

#[test]
fn the_account_needs_the_login_credentials() {
    assert_eq!(
        Ekart.credential_names(),
        ["client_id", "username", "password"]
    );
    assert_eq!(
        Ekart.production_url(),
        "https://app.elite.ekartlogistics.in"
    );
    // An account with exactly those can log in.
    let creds: Vec<(&str, &str)> = Ekart.credential_names().iter().map(|n| (*n, "x")).collect();
    let account = Account::for_test("ekart", BASE, &creds);
    assert!(Ekart.build_login(&account).is_ok());
}
