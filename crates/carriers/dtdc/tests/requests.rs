//! Requests built byte for byte as DTDC documents them.

mod common;

use common::{account, cod_mps_draft, draft, fixture};
use shipgate_carrier_core::*;
use shipgate_carrier_dtdc::*;

fn headers(request: &HttpRequest) -> Vec<(&str, &str)> {
    request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn create_is_the_documented_softdata_upload() {
    let draft = draft();
    let request = Dtdc
        .build_create(
            &account(),
            &CreateRequest {
                reference: "ORD-100001",
                draft: &draft,
                awb: None,
            },
        )
        .unwrap();
    assert_eq!(request.method, Method::Post);
    assert_eq!(
        request.path,
        "/api/customer/integration/consignment/softdata"
    );
    assert_eq!(headers(&request), [("api-key", "TEST_API_KEY")]);
    assert_eq!(
        request.retry,
        Retry::Never,
        "DTDC does not document de-duplication"
    );
    assert_eq!(request.operation, "create");
    let (content_type, body) = request.body.encode();
    assert_eq!(content_type, Some("application/json"));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        String::from_utf8(fixture("create_request.json")).unwrap()
    );
}

#[test]
fn multi_piece_cod_create_carries_pieces_return_address_and_the_pooled_awb() {
    let draft = cod_mps_draft();
    let request = Dtdc
        .build_create(
            &account(),
            &CreateRequest {
                reference: "ORD-100002",
                draft: &draft,
                awb: Some("D78326386"),
            },
        )
        .unwrap();
    let (_, body) = request.body.encode();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        String::from_utf8(fixture("create_mps_cod_request.json")).unwrap()
    );
    // The pieces' declared values add up to the shipment's, to the paisa.
    let value: serde_json::Value =
        serde_json::from_slice(&fixture("create_mps_cod_request.json")).unwrap();
    let pieces = value["consignments"][0]["pieces_detail"]
        .as_array()
        .unwrap();
    let total: i64 = pieces
        .iter()
        .map(|p| parse_scaled(p["declared_value"].as_str().unwrap(), 2).unwrap())
        .sum();
    assert_eq!(total, 149_901);
}

#[test]
fn settings_choose_the_service_and_commodity() {
    let mut account = account();
    account
        .settings
        .extra
        .insert("service_type_id".into(), "GROUND EXPRESS".into());
    account
        .settings
        .extra
        .insert("commodity_id".into(), "12".into());
    let draft = draft();
    let request = Dtdc
        .build_create(
            &account,
            &CreateRequest {
                reference: "ORD-100001",
                draft: &draft,
                awb: None,
            },
        )
        .unwrap();
    let Body::Json(value) = &request.body else {
        panic!("JSON body expected")
    };
    assert_eq!(
        value["consignments"][0]["service_type_id"],
        "GROUND EXPRESS"
    );
    assert_eq!(value["consignments"][0]["commodity_id"], "12");
}

#[test]
fn create_needs_the_api_key_customer_code_and_dimensions() {
    let draft = draft();
    let create = |account: &Account, draft: &shipgate_domain::shipment::ShipmentDraft| {
        Dtdc.build_create(
            account,
            &CreateRequest {
                reference: "ORD-100001",
                draft,
                awb: None,
            },
        )
    };
    let mut no_key = account();
    no_key.credentials.remove("api_key");
    assert!(
        matches!(create(&no_key, &draft), Err(CarrierError::InvalidRequest { message, .. }) if message.contains("api_key"))
    );

    let mut no_code = account();
    no_code.settings.extra.clear();
    assert!(
        matches!(create(&no_code, &draft), Err(CarrierError::InvalidRequest { message, .. }) if message.contains("customer_code"))
    );
    // The customer code may also be stored with the credentials.
    no_code.credentials.insert(
        "customer_code".into(),
        shipgate_carrier_core::account::Secret("GL10991".into()),
    );
    assert!(create(&no_code, &draft).is_ok());

    let mut no_dims = common::input();
    no_dims.parcels[0].length_cm = None;
    no_dims.parcels[0].width_cm = None;
    no_dims.parcels[0].height_cm = None;
    let no_dims = shipgate_domain::shipment::ShipmentDraft::parse(&no_dims).unwrap();
    assert!(
        matches!(create(&account(), &no_dims), Err(CarrierError::InvalidRequest { message, .. }) if message.contains("height"))
    );
}

#[test]
fn cancel_is_the_documented_request() {
    let request = Dtdc.build_cancel(&account(), "D78326386").unwrap();
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.path, "/api/customer/integration/consignment/cancel");
    assert_eq!(headers(&request), [("api-key", "TEST_API_KEY")]);
    assert_eq!(request.retry, Retry::Never);
    assert_eq!(request.body.encode().1, fixture("cancel_request.json"));
}

#[test]
fn label_is_a_get_with_the_documented_query() {
    let request = Dtdc.build_label(&account(), "D78326386").unwrap();
    assert_eq!(request.method, Method::Get);
    assert_eq!(
        request.path,
        "/api/customer/integration/consignment/shippinglabel/stream?reference_number=D78326386&label_code=SHIP_LABEL_4X6&label_format=pdf"
    );
    assert_eq!(headers(&request), [("api-key", "TEST_API_KEY")]);
    assert_eq!(request.body, Body::Empty);
    assert_eq!(request.retry, Retry::Safe);
}

#[test]
fn login_sends_the_tracking_credentials_as_query_parameters() {
    let request = Dtdc.build_login(&account()).unwrap();
    assert!(Dtdc.requires_login());
    assert_eq!(request.method, Method::Get);
    assert_eq!(
        request.path,
        "/dtdc-api/api/dtdc/authenticate?username=GL10991_trk_json&password=s3cret+pass"
    );
    assert!(request.headers.is_empty());
    assert_eq!(request.body, Body::Empty);
    let mut missing = account();
    missing.credentials.remove("tracking_password");
    assert!(Dtdc.build_login(&missing).is_err());
}

#[test]
fn track_posts_one_consignment_with_the_token() {
    assert_eq!(Dtdc.max_track_batch(), 1);
    let request = Dtdc.build_track(&account(), &["D78326386".into()]).unwrap();
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.path, "/dtdc-api/rest/JSONCnTrk/getTrackDetails");
    assert_eq!(
        headers(&request),
        [(
            "X-Access-Token",
            "GL10991_trk_json:411c5d5200239ed2241b737fa15eecc1"
        )]
    );
    assert_eq!(request.retry, Retry::Safe);
    assert_eq!(request.body.encode().1, fixture("track_request.json"));

    assert!(Dtdc.build_track(&account(), &[]).is_err());
    assert!(
        Dtdc.build_track(&account(), &["D1".into(), "D2".into()])
            .is_err()
    );
    let mut logged_out = account();
    logged_out.token = None;
    assert!(
        Dtdc.build_track(&logged_out, &["D78326386".into()])
            .is_err()
    );
}

#[test]
fn find_by_reference_tracks_by_the_order_reference() {
    let request = Dtdc
        .build_find_by_reference(&account(), "ORD-100001")
        .unwrap();
    assert_eq!(request.path, "/dtdc-api/rest/JSONCnTrk/getTrackDetails");
    assert_eq!(request.retry, Retry::Safe);
    assert_eq!(
        request.body.encode().1,
        fixture("find_by_reference_request.json")
    );
}

#[test]
fn money_and_weight_formats() {
    assert_eq!(rupees(598_260), "5982.60");
    assert_eq!(rupees(5), "0.05");
    assert_eq!(kilograms(500), "0.5");
    assert_eq!(kilograms(17_000), "17.0");
    assert_eq!(kilograms(1_250), "1.25");
    assert_eq!(kilograms(1), "0.001");
    assert_eq!(parse_scaled("5982.6", 2), Some(598_260));
    assert_eq!(parse_scaled("0.025", 3), Some(25));
    assert_eq!(parse_scaled("12", 3), Some(12_000));
    assert_eq!(parse_scaled("1.2.3", 2), None);
    assert_eq!(parse_scaled("", 2), None);
    assert_eq!(parse_scaled("abc", 2), None);
}

#[test]
fn capabilities_are_what_is_implemented() {
    assert_eq!(
        Dtdc.capabilities(),
        [
            Capability::CreateShipment,
            Capability::Label,
            Capability::Cancel,
            Capability::TrackPull,
        ]
    );
    let account = account();
    for unsupported in [
        Dtdc.build_serviceability(&account, "110001").err(),
        Dtdc.build_fetch_awbs(&account, 10).err(),
        Dtdc.build_modify(&account, "D1", &Modification::default())
            .err(),
        Dtdc.build_ndr_action(&account, "D1", &NdrInstruction::ReturnToOrigin)
            .err(),
        Dtdc.verify_push(&account, &[], b"{}").err(),
    ] {
        assert!(matches!(
            unsupported,
            Some(CarrierError::Unsupported {
                carrier: "dtdc",
                ..
            })
        ));
    }
}
