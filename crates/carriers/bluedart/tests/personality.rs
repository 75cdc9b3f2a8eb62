//! The simulator side agrees with the adapter: what the adapter builds the
//! personality reads as the intended operation, and what the personality
//! renders the adapter parses back to what the simulator meant.

mod common;

use common::*;
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use shipgate_carrier_bluedart::BlueDart;
use shipgate_carrier_core::sim::*;
use shipgate_carrier_core::*;
use shipgate_domain::{PaymentMode, ShipmentStatus};

fn parse(request: &HttpRequest) -> Result<SimOp, HttpResponse> {
    BlueDart.sim_parse(&as_received(request))
}

fn create_op(reference: &str, cod: bool) -> (HttpRequest, SimOp) {
    let d = draft(reference, cod);
    let req = CreateRequest {
        reference,
        draft: &d,
        awb: None,
    };
    let http = BlueDart.build_create_at(&account(), &req, now()).unwrap();
    let op = parse(&http).unwrap();
    (http, op)
}

#[test]
fn login_round_trip() {
    let http = BlueDart.build_login(&account()).unwrap();
    let op = parse(&http).unwrap();
    assert_eq!(op, SimOp::Login);
    let reply = BlueDart.sim_render(
        &op,
        &SimReply::Token {
            token: "sim-token".into(),
        },
    );
    let token = BlueDart.parse_login(&account(), &reply).unwrap();
    assert_eq!(token.value.expose(), "sim-token");

    let mut bare = http.clone();
    bare.headers.clear();
    let err = parse(&bare).unwrap_err();
    assert_eq!(err.status, 401);
    assert!(matches!(
        BlueDart.parse_login(&account(), &err),
        Err(CarrierError::Unauthorized { .. })
    ));
}

#[test]
fn create_round_trip() {
    let (_, op) = create_op("ORD-1002", true);
    assert_eq!(
        op,
        SimOp::Create(SimCreate {
            reference: "ORD-1002".into(),
            awb: None,
            payment_mode: PaymentMode::Cod,
            cod_amount_minor: 149_950,
            consignee_name: "Asha Rao".into(),
            consignee_postal_code: "560001".into(),
            pickup_location: Some("Acme Warehouse".into()),
            weight_grams: 1_750,
        })
    );
    let (_, op) = create_op("ORD-1001", false);
    let SimOp::Create(c) = &op else {
        panic!("{op:?}")
    };
    assert_eq!(
        (c.payment_mode, c.cod_amount_minor),
        (PaymentMode::Prepaid, 0)
    );

    let d = draft("ORD-1001", false);
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let awb = BlueDart.sim_awb(1);
    let reply = SimReply::Created {
        awb: awb.clone(),
        reference: "ORD-1001".into(),
        routing_code: "560/001".into(),
        duplicate: false,
    };
    let booking = BlueDart
        .parse_create(&account(), &req, &BlueDart.sim_render(&op, &reply))
        .unwrap();
    assert_eq!(booking.awb, awb);
    assert_eq!(booking.routing_code.as_deref(), Some("560/001"));

    // A duplicate is refused without the first AWB; find_by_reference finds it.
    let dup = SimReply::Created {
        awb: awb.clone(),
        reference: "ORD-1001".into(),
        routing_code: "560/001".into(),
        duplicate: true,
    };
    let err = BlueDart
        .parse_create(&account(), &req, &BlueDart.sim_render(&op, &dup))
        .unwrap_err();
    assert!(
        matches!(
            err,
            CarrierError::Rejected {
                retryable: false,
                ..
            }
        ),
        "{err:?}"
    );
    let find = BlueDart
        .build_find_by_reference(&account(), "ORD-1001")
        .unwrap();
    let find_op = parse(&find).unwrap();
    assert_eq!(
        find_op,
        SimOp::Track {
            awbs: vec![],
            references: vec!["ORD-1001".into()]
        }
    );
    let found = BlueDart
        .parse_find_by_reference(
            &BlueDart.sim_render(&find_op, &SimReply::Tracked(vec![shipment(&awb, vec![])])),
        )
        .unwrap();
    assert_eq!(found.map(|b| b.awb), Some(awb));
    let none = BlueDart
        .parse_find_by_reference(&BlueDart.sim_render(&find_op, &SimReply::Tracked(vec![])))
        .unwrap();
    assert_eq!(none, None);
}

fn shipment(awb: &str, scans: Vec<SimScan>) -> SimShipment {
    SimShipment {
        awb: awb.into(),
        reference: "ORD-1001".into(),
        payment_mode: PaymentMode::Prepaid,
        cod_amount_minor: 0,
        consignee_name: "Asha Rao".into(),
        destination_postal_code: "560001".into(),
        scans,
        attempts: 0,
        edd: Some(Date::new(2026, 2, 4).unwrap()),
    }
}

fn every_code_as_scans() -> Vec<SimScan> {
    let start: Timestamp = "2026-02-02T04:30:00Z".parse().unwrap();
    BlueDart
        .status_codes()
        .iter()
        .enumerate()
        .map(|(i, c)| SimScan {
            status: c.status,
            ndr_reason: c.ndr_reason,
            code: c.code,
            description: c.description,
            at: start + jiff::SignedDuration::from_mins(97 * i as i64),
            location: format!("HUB & CO <{i}>"),
        })
        .collect()
}

#[test]
fn track_round_trip_covers_every_status_code() {
    let awbs = vec![BlueDart.sim_awb(1), BlueDart.sim_awb(2)];
    let http = BlueDart.build_track(&account(), &awbs).unwrap();
    let op = parse(&http).unwrap();
    assert_eq!(
        op,
        SimOp::Track {
            awbs: awbs.clone(),
            references: vec![]
        }
    );

    let scans = every_code_as_scans();
    let reply = SimReply::Tracked(vec![shipment(&awbs[0], scans.clone())]);
    let tracked = BlueDart
        .parse_track(&BlueDart.sim_render(&op, &reply))
        .unwrap();
    assert_eq!(
        tracked.len(),
        1,
        "the second AWB is answered NF and skipped"
    );
    let t = &tracked[0];
    assert_eq!(t.awb, awbs[0]);
    assert_eq!(t.reference.as_deref(), Some("ORD-1001"));
    assert_eq!(t.carrier_edd, Some(Date::new(2026, 2, 4).unwrap()));
    assert_eq!(
        t.received_by.as_deref(),
        Some("Asha Rao"),
        "last code is delivered"
    );
    assert_eq!(t.scans.len(), scans.len());
    for (got, sent) in t.scans.iter().zip(&scans) {
        assert_eq!(got.code, sent.code);
        assert_eq!(got.description, sent.description);
        assert_eq!(got.status, Some(sent.status), "{}", sent.code);
        assert_eq!(got.ndr_reason, sent.ndr_reason);
        assert_eq!(got.occurred_at, sent.at);
        assert_eq!(got.location.as_deref(), Some(sent.location.as_str()));
    }
}

#[test]
fn pickup_round_trip() {
    let req = PickupRequest {
        location: "Acme Warehouse".into(),
        date: Date::new(2026, 2, 3).unwrap(),
        time: Time::new(15, 30, 0, 0).unwrap(),
        expected_packages: 3,
        awbs: vec![],
    };
    let op = parse(&BlueDart.build_pickup(&account(), &req).unwrap()).unwrap();
    assert_eq!(
        op,
        SimOp::Pickup {
            location: "Acme Warehouse".into(),
            date: req.date,
            expected_packages: 3
        }
    );
    let reply = SimReply::PickupCreated {
        pickup_id: "100001".into(),
    };
    assert_eq!(
        BlueDart
            .parse_pickup(&BlueDart.sim_render(&op, &reply))
            .unwrap()
            .pickup_id,
        "100001"
    );
    let refused = SimReply::Error(SimError::new(SimErrorKind::Refused, "one pickup per day"));
    let err = BlueDart
        .parse_pickup(&BlueDart.sim_render(&op, &refused))
        .unwrap_err();
    assert!(err.to_string().contains("one pickup per day"), "{err}");
}

#[test]
fn cancel_round_trip() {
    let awb = BlueDart.sim_awb(7);
    let op = parse(&BlueDart.build_cancel(&account(), &awb).unwrap()).unwrap();
    assert_eq!(op, SimOp::Cancel { awb: awb.clone() });
    let r = |reply| BlueDart.parse_cancel(&BlueDart.sim_render(&op, &reply));
    assert_eq!(
        r(SimReply::Cancelled { rto: false }).unwrap(),
        CancelOutcome::Cancelled
    );
    assert_eq!(
        r(SimReply::Cancelled { rto: true }).unwrap(),
        CancelOutcome::RtoInitiated
    );
    assert!(matches!(
        r(SimReply::Error(SimError::new(
            SimErrorKind::Refused,
            "already delivered"
        ))),
        Err(CarrierError::Rejected { .. })
    ));
    assert!(matches!(
        r(SimReply::Error(SimError::new(SimErrorKind::NotFound, "no such AWB"))),
        Err(CarrierError::Rejected { code: Some(ref c), .. }) if c == "InvalidAWB"
    ));
}

#[test]
fn ndr_round_trip() {
    let awb = BlueDart.sim_awb(3);
    for (instruction, expected) in [
        (NdrInstruction::Reattempt { date: None }, SimNdr::Reattempt),
        (
            NdrInstruction::ChangePhone {
                phone: "+919876543210".into(),
            },
            SimNdr::ChangePhone,
        ),
        (NdrInstruction::ReturnToOrigin, SimNdr::ReturnToOrigin),
    ] {
        let http = BlueDart
            .build_ndr_action_at(&account(), &awb, &instruction, now())
            .unwrap();
        let op = parse(&http).unwrap();
        assert_eq!(
            op,
            SimOp::Ndr {
                awb: awb.clone(),
                instruction: expected
            }
        );
        let ok = BlueDart.sim_render(
            &op,
            &SimReply::NdrAccepted {
                request_id: "r1".into(),
            },
        );
        assert_eq!(
            BlueDart.parse_ndr_action(&ok).unwrap(),
            NdrOutcome::Accepted
        );
        let refused = SimReply::Error(SimError::new(SimErrorKind::Refused, "three attempts made"));
        assert!(
            BlueDart
                .parse_ndr_action(&BlueDart.sim_render(&op, &refused))
                .is_err()
        );
    }
}

#[test]
fn serviceability_round_trip() {
    let op = parse(&BlueDart.build_serviceability(&account(), "560001").unwrap()).unwrap();
    assert_eq!(
        op,
        SimOp::Serviceability {
            postal_code: "560001".into()
        }
    );
    let record = ServiceabilityRecord {
        postal_code: "560001".into(),
        prepaid: true,
        cod: false,
        pickup: true,
        reverse: false,
        oda: false,
        embargo: false,
        max_weight_grams: None,
        max_cod_minor: None,
        sort_code: Some("560/001".into()),
    };
    let got = BlueDart
        .parse_serviceability(
            &BlueDart.sim_render(&op, &SimReply::Serviceable(vec![record.clone()])),
        )
        .unwrap();
    assert_eq!(got, vec![record]);
    let none = BlueDart
        .parse_serviceability(&BlueDart.sim_render(&op, &SimReply::Serviceable(vec![])))
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn errors_render_in_blue_darts_formats() {
    let (create_http, create) = create_op("ORD-1001", false);
    let d = draft("ORD-1001", false);
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let render = |kind| BlueDart.sim_render(&create, &SimReply::Error(SimError::new(kind, "nope")));
    assert!(matches!(
        BlueDart.parse_create(&account(), &req, &render(SimErrorKind::Unauthorized)),
        Err(CarrierError::Unauthorized { .. })
    ));
    let invalid = render(SimErrorKind::Invalid);
    assert_eq!(invalid.status, 400);
    assert!(matches!(
        BlueDart.parse_create(&account(), &req, &invalid),
        Err(CarrierError::Rejected {
            retryable: false,
            ..
        })
    ));
    assert!(matches!(
        BlueDart.parse_create(&account(), &req, &render(SimErrorKind::Refused)),
        Err(CarrierError::Rejected { .. })
    ));

    // Missing token, unknown path, malformed body, missing profile.
    let mut no_token = create_http.clone();
    no_token.headers.retain(|(k, _)| k != "JWTToken");
    let resp = parse(&no_token).unwrap_err();
    assert_eq!(resp.status, 401);
    assert!(matches!(
        BlueDart.parse_create(&account(), &req, &resp),
        Err(CarrierError::Unauthorized { .. })
    ));

    let mut unknown = create_http.clone();
    unknown.path = "/waybill/v1/Nope".into();
    assert_eq!(parse(&unknown).unwrap_err().status, 404);

    let mut malformed = create_http.clone();
    malformed.body = Body::Json(
        serde_json::json!({"Request": {}, "Profile": {"LoginID": "x", "LicenceKey": "y"}}),
    );
    let resp = parse(&malformed).unwrap_err();
    assert_eq!(resp.status, 400);
    assert!(matches!(
        BlueDart.parse_create(&account(), &req, &resp),
        Err(CarrierError::Rejected { .. })
    ));

    let mut no_profile = create_http.clone();
    no_profile.body = Body::Json(serde_json::json!({"Request": {}}));
    assert!(parse(&no_profile).is_err());

    // Tracking an unknown AWB answers NF, which yields no shipment.
    let track = parse(
        &BlueDart
            .build_track(&account(), &["123".to_string()])
            .unwrap(),
    )
    .unwrap();
    let nf = BlueDart.sim_render(
        &track,
        &SimReply::Error(SimError::new(SimErrorKind::NotFound, "no such AWB")),
    );
    assert!(BlueDart.parse_track(&nf).unwrap().is_empty());
}

#[test]
fn push_round_trip() {
    let scans = every_code_as_scans();
    let s = shipment(&BlueDart.sim_awb(9), scans.clone());
    let push = BlueDart
        .sim_push("push-secret", &s, &scans[scans.len() - 2..])
        .unwrap();
    let (_, body) = push.body.encode();
    BlueDart
        .verify_push(&account(), &push.headers, &body)
        .unwrap();
    assert!(BlueDart.verify_push(&account(), &[], &body).is_err());
    let parsed = BlueDart.parse_push(&body).unwrap();
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].awb, s.awb);
    assert_eq!(parsed[0].reference.as_deref(), Some("ORD-1001"));
    assert_eq!(parsed[0].carrier_edd, s.edd);
    let got: Vec<(String, Option<ShipmentStatus>, Timestamp)> = parsed[0]
        .scans
        .iter()
        .map(|c| (c.code.clone(), c.status, c.occurred_at))
        .collect();
    let want: Vec<(String, Option<ShipmentStatus>, Timestamp)> = scans[scans.len() - 2..]
        .iter()
        .map(|c| (c.code.to_string(), Some(c.status), c.at))
        .collect();
    assert_eq!(got, want);
    assert!(BlueDart.sim_push("push-secret", &s, &[]).is_none());
}

#[test]
fn awbs_look_like_blue_darts() {
    let a = BlueDart.sim_awb(1);
    let b = BlueDart.sim_awb(2);
    assert_ne!(a, b);
    for awb in [a, b, BlueDart.sim_awb(9_999_999_999)] {
        assert_eq!(awb.len(), 11, "{awb}");
        assert!(awb.bytes().all(|c| c.is_ascii_digit()));
    }
}
