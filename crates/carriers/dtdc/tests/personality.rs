//! Round trips through DTDC's side of the simulator: what the adapter builds
//! the personality reads as the intended operation, and what the personality
//! answers the adapter reads back as the simulator meant it.

mod common;

use common::{account, cod_mps_draft, draft, fixture};
use shipgate_carrier_core::sim::*;
use shipgate_carrier_core::*;
use shipgate_carrier_dtdc::sim::{CANCEL_REFUSED_REASON, DUPLICATE_REASON};
use shipgate_carrier_dtdc::*;
use shipgate_domain::{PaymentMode, ShipmentStatus};

/// The request as it arrives over the wire (bytes and content type).
fn wire(request: HttpRequest) -> HttpRequest {
    let (content_type, bytes) = request.body.encode();
    HttpRequest {
        body: Body::decode(content_type, &bytes),
        ..request
    }
}

fn parse(request: HttpRequest) -> SimOp {
    Dtdc.sim_parse(&wire(request))
        .expect("the personality accepts the adapter's request")
}

fn create_request<'a>(
    reference: &'a str,
    draft: &'a shipgate_domain::shipment::ShipmentDraft,
    awb: Option<&'a str>,
) -> CreateRequest<'a> {
    CreateRequest {
        reference,
        draft,
        awb,
    }
}

fn shipment(scans: Vec<SimScan>) -> SimShipment {
    SimShipment {
        awb: Dtdc.sim_awb(42),
        reference: "ORD-100001".into(),
        payment_mode: PaymentMode::Cod,
        cod_amount_minor: 149_900,
        consignee_name: "Ravi Kumar".into(),
        destination_postal_code: "636010".into(),
        scans,
        attempts: 2,
        edd: Some(jiff::civil::date(2026, 9, 11)),
    }
}

fn start() -> jiff::Timestamp {
    // 2026-09-08 11:02 IST, on the minute: DTDC times have minute resolution.
    "2026-09-08T05:32:00Z".parse().unwrap()
}

#[test]
fn login_round_trip() {
    assert_eq!(parse(Dtdc.build_login(&account()).unwrap()), SimOp::Login);
    let reply = Dtdc.sim_render(
        &SimOp::Login,
        &SimReply::Token {
            token: "GL1_trk:abc".into(),
        },
    );
    assert_eq!(
        Dtdc.parse_login(&account(), &reply).unwrap().value.expose(),
        "GL1_trk:abc"
    );

    let mut blank = account();
    blank.credentials.insert(
        "tracking_password".into(),
        shipgate_carrier_core::account::Secret(" ".into()),
    );
    let request = HttpRequest::new(Method::Get, AUTH_PATH, "login")
        .query(&[("username", "u"), ("password", "")]);
    let refused = Dtdc.sim_parse(&request).unwrap_err();
    assert_eq!(refused.status, 401);
    assert!(matches!(
        Dtdc.parse_login(&blank, &refused),
        Err(CarrierError::Unauthorized { .. })
    ));
    let error = Dtdc.sim_render(
        &SimOp::Login,
        &SimReply::Error(SimError::new(SimErrorKind::Unauthorized, "no")),
    );
    assert!(matches!(
        Dtdc.parse_login(&account(), &error),
        Err(CarrierError::Unauthorized { .. })
    ));
}

#[test]
fn create_round_trip() {
    let draft = draft();
    let request = create_request("ORD-100001", &draft, None);
    let op = parse(Dtdc.build_create(&account(), &request).unwrap());
    assert_eq!(
        op,
        SimOp::Create(SimCreate {
            reference: "ORD-100001".into(),
            awb: None,
            payment_mode: PaymentMode::Prepaid,
            cod_amount_minor: 0,
            consignee_name: "Ravi Kumar".into(),
            consignee_postal_code: "636010".into(),
            pickup_location: None,
            weight_grams: 17_000,
        })
    );
    let awb = Dtdc.sim_awb(7);
    let reply = Dtdc.sim_render(
        &op,
        &SimReply::Created {
            awb: awb.clone(),
            reference: "ORD-100001".into(),
            routing_code: "SLM/TN".into(),
            duplicate: false,
        },
    );
    let booking = Dtdc.parse_create(&account(), &request, &reply).unwrap();
    assert_eq!(booking.awb, awb);
}

#[test]
fn cod_multi_piece_create_round_trip() {
    let draft = cod_mps_draft();
    let request = create_request("ORD-100002", &draft, Some("D78326386"));
    let op = parse(Dtdc.build_create(&account(), &request).unwrap());
    assert_eq!(
        op,
        SimOp::Create(SimCreate {
            reference: "ORD-100002".into(),
            awb: Some("D78326386".into()),
            payment_mode: PaymentMode::Cod,
            cod_amount_minor: 149_901,
            consignee_name: "Ravi Kumar".into(),
            consignee_postal_code: "636010".into(),
            pickup_location: None,
            weight_grams: 1_750,
        })
    );
}

#[test]
fn a_duplicate_create_is_refused_and_found_by_reference() {
    let draft = draft();
    let request = create_request("ORD-100001", &draft, None);
    let op = parse(Dtdc.build_create(&account(), &request).unwrap());
    let awb = Dtdc.sim_awb(7);
    let reply = Dtdc.sim_render(
        &op,
        &SimReply::Created {
            awb: awb.clone(),
            reference: "ORD-100001".into(),
            routing_code: String::new(),
            duplicate: true,
        },
    );
    let err = Dtdc.parse_create(&account(), &request, &reply).unwrap_err();
    assert!(
        matches!(&err, CarrierError::Rejected { code: Some(c), .. } if c == DUPLICATE_REASON),
        "{err:?}"
    );

    let find = parse(
        Dtdc.build_find_by_reference(&account(), "ORD-100001")
            .unwrap(),
    );
    assert_eq!(
        find,
        SimOp::Track {
            awbs: vec![],
            references: vec!["ORD-100001".into()]
        }
    );
    let mut found = shipment(vec![]);
    found.awb = awb.clone();
    let reply = Dtdc.sim_render(&find, &SimReply::Tracked(vec![found]));
    assert_eq!(
        Dtdc.parse_find_by_reference(&reply).unwrap().map(|b| b.awb),
        Some(awb)
    );
    let none = Dtdc.sim_render(&find, &SimReply::Tracked(vec![]));
    assert_eq!(Dtdc.parse_find_by_reference(&none).unwrap(), None);
}

#[test]
fn every_status_code_round_trips_through_tracking() {
    let op = parse(Dtdc.build_track(&account(), &[Dtdc.sim_awb(42)]).unwrap());
    assert_eq!(
        op,
        SimOp::Track {
            awbs: vec![Dtdc.sim_awb(42)],
            references: vec![]
        }
    );
    let scans: Vec<SimScan> = Dtdc
        .status_codes()
        .iter()
        .enumerate()
        .map(|(i, c)| SimScan {
            status: c.status,
            ndr_reason: c.ndr_reason,
            code: c.code,
            description: c.description,
            at: start() + jiff::SignedDuration::from_mins(i as i64 * 7),
            location: format!("HUB {i}"),
        })
        .collect();
    let reply = Dtdc.sim_render(&op, &SimReply::Tracked(vec![shipment(scans.clone())]));
    let tracked = Dtdc.parse_track(&reply).unwrap();
    assert_eq!(tracked.len(), 1);
    let t = &tracked[0];
    assert_eq!(t.awb, Dtdc.sim_awb(42));
    assert_eq!(t.reference.as_deref(), Some("ORD-100001"));
    assert_eq!(t.attempts, Some(2));
    assert_eq!(t.carrier_edd, Some(jiff::civil::date(2026, 9, 11)));
    assert_eq!(t.scans.len(), scans.len());
    for (got, sent) in t.scans.iter().zip(&scans) {
        assert_eq!(got.code, sent.code);
        assert_eq!(got.description, sent.description, "{}", sent.code);
        assert_eq!(got.status, Some(sent.status), "{}", sent.code);
        assert_eq!(got.ndr_reason, sent.ndr_reason, "{}", sent.code);
        assert_eq!(got.occurred_at, sent.at, "{}", sent.code);
        assert_eq!(got.location.as_deref(), Some(sent.location.as_str()));
    }
}

#[test]
fn ndr_scans_travel_as_nondlv_with_the_reason_in_the_remarks() {
    let op = SimOp::Track {
        awbs: vec!["D00000042".into()],
        references: vec![],
    };
    let scan = SimScan {
        status: ShipmentStatus::DeliveryFailed,
        ndr_reason: Some(shipgate_domain::NdrReason::CustomerUnavailable),
        code: "NONDLV:PNA",
        description: "Not Delivered - RECEIVER NOT AVAILABLE-(CIR)",
        at: start(),
        location: "SALEM BRANCH".into(),
    };
    let reply = Dtdc.sim_render(&op, &SimReply::Tracked(vec![shipment(vec![scan])]));
    let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    let row = &body["trackDetails"][0];
    assert_eq!(row["strCode"], "NONDLV");
    assert_eq!(row["strAction"], "Not Delivered");
    assert_eq!(row["sTrRemarks"], "PNA|RECEIVER NOT AVAILABLE-(CIR)");
    assert_eq!(row["strActionDate"], "08092026");
    assert_eq!(row["strActionTime"], "1102");
}

#[test]
fn an_unknown_awb_tracks_as_nothing() {
    let op = SimOp::Track {
        awbs: vec!["D99999999".into()],
        references: vec![],
    };
    let reply = Dtdc.sim_render(&op, &SimReply::Tracked(vec![]));
    assert_eq!(reply.status, 206);
    assert_eq!(Dtdc.parse_track(&reply).unwrap(), vec![]);
    let not_found = Dtdc.sim_render(
        &op,
        &SimReply::Error(SimError::new(SimErrorKind::NotFound, "no")),
    );
    assert_eq!(Dtdc.parse_track(&not_found).unwrap(), vec![]);
}

#[test]
fn label_round_trip() {
    let op = parse(Dtdc.build_label(&account(), "D00000042").unwrap());
    assert_eq!(
        op,
        SimOp::Label {
            awb: "D00000042".into()
        }
    );
    let pdf = fixture("label.pdf");
    let reply = Dtdc.sim_render(
        &op,
        &SimReply::Label {
            awb: "D00000042".into(),
            pdf: pdf.clone(),
        },
    );
    assert_eq!(Dtdc.parse_label(&reply).unwrap(), LabelDocument::Pdf(pdf));
    let missing = Dtdc.sim_render(
        &op,
        &SimReply::Error(SimError::new(SimErrorKind::NotFound, "no such consignment")),
    );
    assert!(
        matches!(Dtdc.parse_label(&missing), Err(CarrierError::Rejected { code: Some(c), .. }) if c == "CONSIGNMENT_NOT_FOUND")
    );
}

#[test]
fn cancel_round_trip() {
    let op = parse(Dtdc.build_cancel(&account(), "D00000042").unwrap());
    assert_eq!(
        op,
        SimOp::Cancel {
            awb: "D00000042".into()
        }
    );
    let ok = Dtdc.sim_render(&op, &SimReply::Cancelled { rto: false });
    assert_eq!(Dtdc.parse_cancel(&ok).unwrap(), CancelOutcome::Cancelled);
    // DTDC cancels only before pickup: a moving consignment is refused, not returned.
    let moving = Dtdc.sim_render(&op, &SimReply::Cancelled { rto: true });
    assert!(
        matches!(Dtdc.parse_cancel(&moving), Err(CarrierError::Rejected { code: Some(c), .. }) if c == CANCEL_REFUSED_REASON)
    );
}

#[test]
fn simulator_errors_read_back_as_the_matching_carrier_errors() {
    let draft = draft();
    let request = create_request("ORD-100001", &draft, None);
    let ops = [
        parse(Dtdc.build_create(&account(), &request).unwrap()),
        SimOp::Cancel { awb: "D1".into() },
        SimOp::Label { awb: "D1".into() },
        SimOp::Track {
            awbs: vec!["D1".into()],
            references: vec![],
        },
    ];
    for op in &ops {
        for kind in [
            SimErrorKind::Unauthorized,
            SimErrorKind::Invalid,
            SimErrorKind::NotFound,
            SimErrorKind::Refused,
        ] {
            let reply = Dtdc.sim_render(
                op,
                &SimReply::Error(SimError::new(kind, "the simulator says no")),
            );
            let result: Result<(), CarrierError> = match op {
                SimOp::Create(_) => Dtdc.parse_create(&account(), &request, &reply).map(drop),
                SimOp::Cancel { .. } => Dtdc.parse_cancel(&reply).map(drop),
                SimOp::Label { .. } => Dtdc.parse_label(&reply).map(drop),
                _ => match Dtdc.parse_track(&reply) {
                    Ok(v) if v.is_empty() && kind == SimErrorKind::NotFound => continue,
                    other => other.map(drop),
                },
            };
            match (kind, result) {
                (SimErrorKind::Unauthorized, Err(CarrierError::Unauthorized { .. })) => {}
                (SimErrorKind::Unauthorized, other) => panic!("{op:?} {kind:?}: {other:?}"),
                (
                    _,
                    Err(CarrierError::Rejected {
                        message,
                        retryable: false,
                        ..
                    }),
                ) => {
                    assert_eq!(message, "the simulator says no", "{op:?} {kind:?}")
                }
                (_, other) => panic!("{op:?} {kind:?}: {other:?}"),
            }
        }
    }
}

#[test]
fn requests_without_credentials_get_dtdc_401s() {
    let draft = draft();
    let mut create = wire(
        Dtdc.build_create(&account(), &create_request("ORD-100001", &draft, None))
            .unwrap(),
    );
    create.headers.clear();
    let refused = Dtdc.sim_parse(&create).unwrap_err();
    assert_eq!(refused.status, 401);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&refused.body).unwrap(),
        serde_json::from_slice::<serde_json::Value>(&fixture("shipsy_401.json")).unwrap(),
        "the documented 401 body"
    );
    assert!(matches!(
        Dtdc.parse_create(
            &account(),
            &create_request("ORD-100001", &draft, None),
            &refused
        ),
        Err(CarrierError::Unauthorized { .. })
    ));

    let mut track = wire(Dtdc.build_track(&account(), &["D1".into()]).unwrap());
    track.headers = vec![("X-Access-Token".into(), "".into())];
    let refused = Dtdc.sim_parse(&track).unwrap_err();
    assert_eq!(refused.status, 401);
    assert!(matches!(
        Dtdc.parse_track(&refused),
        Err(CarrierError::Unauthorized { .. })
    ));
}

#[test]
fn unknown_paths_and_malformed_bodies_are_refused_in_dtdc_formats() {
    let unknown = HttpRequest::new(
        Method::Post,
        "/api/customer/integration/consignment/edit",
        "x",
    )
    .header("api-key", "k");
    assert_eq!(Dtdc.sim_parse(&unknown).unwrap_err().status, 404);
    let unknown = HttpRequest::new(Method::Post, "/dtdc-api/rest/XMLCnTrk/nothing", "x");
    assert_eq!(Dtdc.sim_parse(&unknown).unwrap_err().status, 404);

    let malformed = HttpRequest::new(Method::Post, SOFTDATA_PATH, "create")
        .header("api-key", "k")
        .json(serde_json::json!({"consignments": "nope"}));
    let refused = Dtdc.sim_parse(&wire(malformed)).unwrap_err();
    assert_eq!(refused.status, 400);
    assert!(matches!(
        Dtdc.parse_cancel(&refused),
        Err(CarrierError::Rejected { code: Some(c), .. }) if c == "WRONG_INPUT"
    ));

    let malformed = HttpRequest::new(Method::Post, TRACK_PATH, "track")
        .header("X-Access-Token", "t")
        .json(serde_json::json!({"trkType": "awb", "strcnno": "D1", "addtnlDtl": "Y"}));
    let refused = Dtdc.sim_parse(&wire(malformed)).unwrap_err();
    assert_eq!(refused.status, 400);
    assert!(matches!(
        Dtdc.parse_track(&refused),
        Err(CarrierError::Rejected { .. })
    ));
}

#[test]
fn awbs_look_like_dtdc_consignment_numbers() {
    for serial in [0, 1, 42, 99_999_999, 123_456_789_012] {
        let awb = Dtdc.sim_awb(serial);
        assert_eq!(awb.len(), 9, "{awb}");
        assert!(awb.starts_with('D'));
        assert!(awb[1..].bytes().all(|b| b.is_ascii_digit()));
    }
    assert_ne!(Dtdc.sim_awb(1), Dtdc.sim_awb(2));
}
