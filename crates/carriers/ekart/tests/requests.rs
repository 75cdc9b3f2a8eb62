//! Every request compared byte for byte with its fixture: method, path,
//! headers and body.

mod common;

use common::*;
use jiff::civil::date;
use shipgate_carrier_core::*;
use shipgate_carrier_ekart::Ekart;
use shipgate_domain::PaymentMode;

fn body_text(request: &HttpRequest) -> (Option<&'static str>, String) {
    let (content_type, bytes) = request.body.encode();
    (content_type, String::from_utf8(bytes).expect("utf-8 body"))
}

fn assert_json_body(request: &HttpRequest, fixture_name: &str) {
    let (content_type, body) = body_text(request);
    assert_eq!(content_type, Some("application/json"));
    assert_eq!(body, fixture(fixture_name).trim_end(), "{fixture_name}");
}

fn bearer() -> Vec<(String, String)> {
    vec![("Authorization".to_string(), format!("Bearer {TOKEN}"))]
}

#[test]
fn login_posts_the_credentials_to_the_client_path() {
    let request = Ekart.build_login(&account()).unwrap();
    assert_eq!(request.method, Method::Post);
    assert_eq!(
        request.url(BASE),
        "https://app.elite.ekartlogistics.in/integrations/v2/auth/token/EKART_67a1e3aeb43c30b894d7d235"
    );
    assert!(request.headers.is_empty(), "no auth header on login");
    assert_json_body(&request, "login_request.json");
    // A caching token API: asking again returns the same token.
    assert_eq!(request.retry, Retry::Safe);
    assert_eq!(request.operation, "login");
    assert!(Ekart.requires_login());
}

#[test]
fn login_needs_every_credential_and_never_echoes_them() {
    for missing in ["client_id", "username", "password"] {
        let mut account = account();
        account.credentials.remove(missing);
        let err = Ekart.build_login(&account).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(missing), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}

#[test]
fn login_path_segment_is_percent_encoded() {
    let mut account = account();
    account.credentials.insert(
        "client_id".into(),
        shipgate_carrier_core::account::Secret("a b/c".into()),
    );
    let request = Ekart.build_login(&account).unwrap();
    assert_eq!(request.path, "/integrations/v2/auth/token/a%20b%2Fc");
}

#[test]
fn create_sends_the_documented_shipment_schema() {
    let draft = cod_draft();
    let request = Ekart
        .build_create_on(
            &account(),
            &CreateRequest {
                reference: "ORD-100",
                draft: &draft,
                awb: None,
            },
            today(),
        )
        .unwrap();
    assert_eq!(request.method, Method::Put);
    assert_eq!(request.path, "/api/v1/package/create");
    assert_eq!(request.headers, bearer());
    assert_json_body(&request, "create_request.json");
    // Ekart documents no de-duplication on the order number.
    assert_eq!(request.retry, Retry::Never);
    assert_eq!(request.operation, "create");
}

#[test]
fn create_uses_the_registered_alias_and_packaging_template() {
    let draft = prepaid_draft();
    let request = Ekart
        .build_create_on(
            &alias_account(),
            &CreateRequest {
                reference: "ORD-101",
                draft: &draft,
                awb: None,
            },
            today(),
        )
        .unwrap();
    assert_json_body(&request, "create_request_alias_template.json");
}

#[test]
fn create_dates_the_invoice_today_in_india() {
    let draft = cod_draft();
    let request = CreateRequest {
        reference: "ORD-100",
        draft: &draft,
        awb: None,
    };
    let before = shipgate_carrier_ekart::today_ist();
    let built = Ekart.build_create(&account(), &request).unwrap();
    let after = shipgate_carrier_ekart::today_ist();
    let Body::Json(body) = &built.body else {
        panic!("json body")
    };
    let dated = body["invoice_date"].as_str().unwrap().to_string();
    assert!(
        [before, after]
            .iter()
            .any(|d| d.strftime("%Y-%m-%d").to_string() == dated),
        "{dated}"
    );
}

#[test]
fn create_refuses_what_ekart_cannot_take() {
    let account = account();
    let build = |draft: &shipgate_domain::shipment::ShipmentDraft| {
        Ekart.build_create_on(
            &account,
            &CreateRequest {
                reference: "ORD-100",
                draft,
                awb: None,
            },
            today(),
        )
    };
    // No dimensions and no packaging template.
    let mut no_dims = cod_draft();
    no_dims.parcels[0].length_cm = None;
    assert!(
        matches!(build(&no_dims), Err(CarrierError::InvalidRequest { message, .. }) if message.contains("package_template"))
    );
    // Two parcels.
    let mut two = cod_draft();
    two.parcels.push(two.parcels[0].clone());
    assert!(matches!(
        build(&two),
        Err(CarrierError::InvalidRequest { .. })
    ));
    // COD above ₹49,999.
    let mut big = cod_draft();
    big.cod_amount =
        Some(shipgate_domain::Money::parse(5_000_000, shipgate_domain::Currency::inr()).unwrap());
    assert!(matches!(
        build(&big),
        Err(CarrierError::InvalidRequest { .. })
    ));
    // Abroad.
    let mut abroad = cod_draft();
    abroad.consignee = address(shipgate_domain::address::AddressInput {
        name: "Jo".into(),
        phone: "+4420700000000".into(),
        line1: "1 High St".into(),
        city: "London".into(),
        state: "London".into(),
        postal_code: "SW1A 1AA".into(),
        country: Some("GB".into()),
        ..Default::default()
    });
    assert!(matches!(
        build(&abroad),
        Err(CarrierError::InvalidRequest { .. })
    ));
    // Not logged in.
    let mut logged_out = account.clone();
    logged_out.token = None;
    let draft = cod_draft();
    assert!(
        Ekart
            .build_create_on(
                &logged_out,
                &CreateRequest {
                    reference: "ORD-100",
                    draft: &draft,
                    awb: None
                },
                today()
            )
            .is_err()
    );
}

#[test]
fn track_is_an_open_get_of_one_id() {
    let request = Ekart.build_track(&account(), &[AWB.to_string()]).unwrap();
    assert_eq!(request.method, Method::Get);
    assert_eq!(request.path, "/api/v1/track/500999A3408005");
    assert!(request.headers.is_empty());
    assert_eq!(request.body, Body::Empty);
    assert_eq!(request.retry, Retry::Safe);
    assert_eq!(Ekart.max_track_batch(), 1);
    assert!(Ekart.build_track(&account(), &[]).is_err());
    assert!(
        Ekart
            .build_track(&account(), &[AWB.to_string(), "500999A3408006".to_string()])
            .is_err()
    );
}

#[test]
fn cancel_is_a_delete_with_the_tracking_id_in_the_query() {
    let request = Ekart.build_cancel(&account(), AWB).unwrap();
    assert_eq!(request.method, Method::Delete);
    assert_eq!(
        request.path,
        "/api/v1/package/cancel?tracking_id=500999A3408005"
    );
    assert_eq!(request.headers, bearer());
    assert_eq!(request.body, Body::Empty);
    assert_eq!(request.retry, Retry::Never);
}

#[test]
fn ndr_actions_follow_ndr_data_v2() {
    let account = account();
    let cases = [
        (
            NdrInstruction::Reattempt { date: None },
            "ndr_reattempt_request.json",
        ),
        (
            NdrInstruction::Reattempt {
                date: Some(date(2024, 1, 9)),
            },
            "ndr_reattempt_dated_request.json",
        ),
        (NdrInstruction::ReturnToOrigin, "ndr_rto_request.json"),
        (
            NdrInstruction::ChangePhone {
                phone: "+91 99887 76655".into(),
            },
            "ndr_phone_request.json",
        ),
        (
            NdrInstruction::ChangeAddress {
                address: new_address(),
            },
            "ndr_address_request.json",
        ),
    ];
    for (instruction, fixture_name) in cases {
        let request = Ekart
            .build_ndr_action_on(&account, AWB, &instruction, today())
            .unwrap();
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.path, "/api/v2/package/ndr");
        assert_eq!(request.headers, bearer());
        assert_eq!(request.retry, Retry::Never);
        assert_json_body(&request, fixture_name);
    }
}

#[test]
fn reattempt_dates_must_fall_in_the_next_seven_days() {
    let account = account();
    for day in [date(2024, 1, 5), date(2024, 1, 4), date(2024, 1, 13)] {
        let instruction = NdrInstruction::Reattempt { date: Some(day) };
        assert!(
            matches!(
                Ekart.build_ndr_action_on(&account, AWB, &instruction, today()),
                Err(CarrierError::InvalidRequest { .. })
            ),
            "{day}"
        );
    }
    let last = NdrInstruction::Reattempt {
        date: Some(date(2024, 1, 12)),
    };
    assert!(
        Ekart
            .build_ndr_action_on(&account, AWB, &last, today())
            .is_ok()
    );
    let bad_phone = NdrInstruction::ChangePhone {
        phone: "12345".into(),
    };
    assert!(
        Ekart
            .build_ndr_action_on(&account, AWB, &bad_phone, today())
            .is_err()
    );
}

#[test]
fn label_posts_the_ids() {
    let request = Ekart.build_label(&account(), AWB).unwrap();
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.path, "/api/v1/package/label");
    assert_eq!(request.headers, bearer());
    assert_json_body(&request, "label_request.json");
    assert_eq!(request.retry, Retry::Safe);
}

#[test]
fn serviceability_gets_the_pincode() {
    let request = Ekart.build_serviceability(&account(), "560008").unwrap();
    assert_eq!(request.method, Method::Get);
    assert_eq!(request.path, "/api/v2/serviceability/560008");
    assert_eq!(request.headers, bearer());
    assert_eq!(request.body, Body::Empty);
    assert!(Ekart.build_serviceability(&account(), "56000").is_err());
    assert!(Ekart.build_serviceability(&account(), "../x").is_err());
}

#[test]
fn rates_post_an_estimate_request() {
    let query = RateQuery {
        origin_postal_code: "560001".into(),
        destination_postal_code: "122002".into(),
        weight_grams: 1200,
        payment_mode: PaymentMode::Cod,
        cod_amount_minor: 115_000,
    };
    let request = Ekart.build_rates(&account(), &query).unwrap();
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.path, "/data/pricing/estimate");
    assert_eq!(request.headers, bearer());
    assert_json_body(&request, "rates_request.json");
    assert_eq!(request.retry, Retry::Safe);

    let mut express = account();
    express
        .settings
        .extra
        .insert("service_type".into(), "express".into());
    let prepaid = RateQuery {
        payment_mode: PaymentMode::Prepaid,
        cod_amount_minor: 0,
        ..query.clone()
    };
    let Body::Json(body) = Ekart.build_rates(&express, &prepaid).unwrap().body else {
        panic!("json body")
    };
    assert_eq!(body["serviceType"], "EXPRESS");
    assert!(body.get("codAmount").is_none());

    // Another carrier's vocabulary falls back to surface.
    let mut standard = account();
    standard
        .settings
        .extra
        .insert("service_type".into(), "standard".into());
    let Body::Json(body) = Ekart.build_rates(&standard, &query).unwrap().body else {
        panic!("json body")
    };
    assert_eq!(body["serviceType"], "SURFACE");
}
