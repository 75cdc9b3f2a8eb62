//! Round trips through the simulator side: what the adapter builds, the
//! personality reads as the intended operation; what the personality
//! answers, the adapter reads back as what the simulator meant.

mod common;

use common::{account, draft};
use jiff::Timestamp;
use jiff::civil::date;
use shipgate_carrier_core::http::{Body, HttpRequest, HttpResponse};
use shipgate_carrier_core::sim::*;
use shipgate_carrier_core::*;
use shipgate_carrier_shiprocket::Shiprocket;
use shipgate_carrier_shiprocket::status::STATUS_CODES;
use shipgate_domain::{NdrReason, PaymentMode, ShipmentStatus};

/// What the simulator's server sees: the body re-decoded from its bytes.
fn over_the_wire(r: &HttpRequest) -> HttpRequest {
    let (ct, bytes) = r.body.encode();
    let mut incoming = r.clone();
    incoming.body = Body::decode(ct, &bytes);
    if let Some(ct) = ct {
        incoming.headers.push(("content-type".into(), ct.into()));
    }
    incoming
}

fn parse(r: &HttpRequest) -> Result<SimOp, HttpResponse> {
    Shiprocket.sim_parse(&over_the_wire(r))
}

fn at(h: i64) -> Timestamp {
    Timestamp::from_second(1_704_430_931 + h * 3600).unwrap()
}

fn scan(entry: &StatusCode, h: i64) -> SimScan {
    SimScan {
        status: entry.status,
        ndr_reason: entry.ndr_reason,
        code: entry.code,
        description: entry.description,
        at: at(h),
        location: format!("Hub {h}"),
    }
}

fn shipment(awb: &str, scans: Vec<SimScan>) -> SimShipment {
    SimShipment {
        awb: awb.into(),
        reference: "ORD-1001".into(),
        payment_mode: PaymentMode::Cod,
        cod_amount_minor: 149_900,
        consignee_name: "Asha Rao".into(),
        destination_postal_code: "560001".into(),
        scans,
        attempts: 0,
        edd: Some(date(2024, 1, 8)),
    }
}

fn every_code() -> Vec<SimScan> {
    STATUS_CODES
        .iter()
        .enumerate()
        .map(|(i, e)| scan(e, i as i64))
        .collect()
}

fn err(kind: SimErrorKind) -> SimReply {
    SimReply::Error(SimError::new(kind, "no"))
}

#[test]
fn login_round_trip() {
    let op = parse(&Shiprocket.build_login(&account()).unwrap()).unwrap();
    assert_eq!(op, SimOp::Login);
    let resp = Shiprocket.sim_render(
        &op,
        &SimReply::Token {
            token: "sim-tok".into(),
        },
    );
    let t = Shiprocket.parse_login(&account(), &resp).unwrap();
    assert_eq!(t.value.expose(), "sim-tok");

    let mut blank = Shiprocket.build_login(&account()).unwrap();
    blank.body = Body::Json(serde_json::json!({"email": "a@b.c", "password": ""}));
    let refused = parse(&blank).unwrap_err();
    assert_eq!(refused.status, 401);
    assert!(matches!(
        Shiprocket.parse_login(&account(), &refused),
        Err(CarrierError::Unauthorized { .. })
    ));
}

#[test]
fn calls_without_a_token_are_refused_like_shiprocket() {
    let mut r = Shiprocket
        .build_cancel(&account(), "77000000000001")
        .unwrap();
    r.headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
    let resp = parse(&r).unwrap_err();
    assert_eq!(resp.status, 401);
    assert!(matches!(
        Shiprocket.parse_cancel(&resp),
        Err(CarrierError::Unauthorized { .. })
    ));
    let resp = Shiprocket.sim_render(
        &SimOp::Cancel { awb: "1".into() },
        &err(SimErrorKind::Unauthorized),
    );
    assert!(matches!(
        Shiprocket.parse_cancel(&resp),
        Err(CarrierError::Unauthorized { .. })
    ));
}

#[test]
fn unknown_paths_and_malformed_bodies() {
    let mut r = Shiprocket.build_cancel(&account(), "1").unwrap();
    r.path = "/courier/generate/label".into();
    assert_eq!(parse(&r).unwrap_err().status, 404);
    let mut r = Shiprocket.build_cancel(&account(), "1").unwrap();
    r.body = Body::Xml("<awbs/>".into());
    assert_eq!(Shiprocket.sim_parse(&r).unwrap_err().status, 422);
    let d = draft();
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let mut r = Shiprocket.build_create_at(&account(), &req, at(0)).unwrap();
    r.body = Body::Json(serde_json::json!({"order_id": "X", "payment_method": "COD"}));
    let resp = parse(&r).unwrap_err();
    assert_eq!(resp.status, 422);
    assert!(Shiprocket.parse_create(&account(), &req, &resp).is_err());
}

#[test]
fn create_round_trip() {
    let d = draft();
    let req = CreateRequest {
        reference: "ORD-1001",
        draft: &d,
        awb: None,
    };
    let op = parse(&Shiprocket.build_create_at(&account(), &req, at(0)).unwrap()).unwrap();
    assert_eq!(
        op,
        SimOp::Create(SimCreate {
            reference: "ORD-1001".into(),
            awb: None,
            payment_mode: PaymentMode::Cod,
            cod_amount_minor: 149_900,
            consignee_name: "Asha Rao".into(),
            consignee_postal_code: "560001".into(),
            pickup_location: Some("Primary".into()),
            weight_grams: 500,
        })
    );
    let awb = Shiprocket.sim_awb(7);
    for duplicate in [false, true] {
        let resp = Shiprocket.sim_render(
            &op,
            &SimReply::Created {
                awb: awb.clone(),
                reference: "ORD-1001".into(),
                routing_code: "560/001".into(),
                duplicate,
            },
        );
        let b = Shiprocket.parse_create(&account(), &req, &resp).unwrap();
        assert_eq!(b.awb, awb);
        assert_eq!(b.routing_code.as_deref(), Some("560/001"));
        assert!(b.carrier_reference.is_some() && b.label_url.is_some());
    }
    let refused = Shiprocket.sim_render(&op, &err(SimErrorKind::Refused));
    assert!(matches!(
        Shiprocket.parse_create(&account(), &req, &refused),
        Err(CarrierError::Rejected { .. })
    ));
}

#[test]
fn cod_below_declared_value_round_trips() {
    let mut input = common::draft_input();
    input.cod_amount = Some(99_950);
    let d = shipgate_domain::shipment::ShipmentDraft::parse(&input).unwrap();
    let req = CreateRequest {
        reference: "R",
        draft: &d,
        awb: None,
    };
    let Ok(SimOp::Create(c)) = parse(&Shiprocket.build_create_at(&account(), &req, at(0)).unwrap())
    else {
        panic!()
    };
    assert_eq!(c.cod_amount_minor, 99_950);
}

#[test]
fn find_by_reference_round_trip() {
    let op = parse(
        &Shiprocket
            .build_find_by_reference(&account(), "ORD-1001")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        op,
        SimOp::Track {
            awbs: vec![],
            references: vec!["ORD-1001".into()]
        }
    );
    let awb = Shiprocket.sim_awb(3);
    let s = shipment(&awb, vec![scan(&STATUS_CODES[1], 0)]);
    let found = Shiprocket
        .parse_find_by_reference(&Shiprocket.sim_render(&op, &SimReply::Tracked(vec![s])))
        .unwrap()
        .unwrap();
    assert_eq!(found.awb, awb);
    assert_eq!(
        Shiprocket
            .parse_find_by_reference(&Shiprocket.sim_render(&op, &SimReply::Tracked(vec![])))
            .unwrap(),
        None
    );
}

fn assert_every_code(t: &TrackedShipment, expected: &[SimScan]) {
    assert_eq!(t.scans.len(), expected.len());
    for (got, want) in t.scans.iter().zip(expected) {
        let entry = STATUS_CODES.iter().find(|e| e.code == want.code).unwrap();
        assert_eq!(got.code, want.code);
        assert_eq!(got.description, want.description);
        assert_eq!(got.status, Some(want.status), "{}", want.code);
        assert_eq!(got.ndr_reason, entry.ndr_reason, "{}", want.code);
        assert_eq!(got.occurred_at, want.at);
        assert_eq!(got.location.as_deref(), Some(want.location.as_str()));
    }
}

#[test]
fn tracking_one_awb_round_trips_every_status_code() {
    let awb = Shiprocket.sim_awb(1);
    let op = parse(
        &Shiprocket
            .build_track(&account(), std::slice::from_ref(&awb))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        op,
        SimOp::Track {
            awbs: vec![awb.clone()],
            references: vec![]
        }
    );
    let scans = every_code();
    let resp = Shiprocket.sim_render(&op, &SimReply::Tracked(vec![shipment(&awb, scans.clone())]));
    let t = Shiprocket.parse_track(&resp).unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].awb, awb);
    assert_eq!(t[0].carrier_edd, Some(date(2024, 1, 8)));
    // Shiprocket lists the newest scan first.
    let mut newest_first = scans;
    newest_first.reverse();
    assert_every_code(&t[0], &newest_first);

    let missing = Shiprocket.sim_render(&op, &err(SimErrorKind::NotFound));
    assert!(Shiprocket.parse_track(&missing).unwrap().is_empty());
    let none = Shiprocket.sim_render(&op, &SimReply::Tracked(vec![]));
    assert!(Shiprocket.parse_track(&none).unwrap().is_empty());
}

#[test]
fn tracking_a_batch_round_trips() {
    let awbs: Vec<String> = (1..=3).map(|i| Shiprocket.sim_awb(i)).collect();
    let op = parse(&Shiprocket.build_track(&account(), &awbs).unwrap()).unwrap();
    assert_eq!(
        op,
        SimOp::Track {
            awbs: awbs.clone(),
            references: vec![]
        }
    );
    let shipments: Vec<SimShipment> = awbs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            shipment(
                a,
                vec![scan(&STATUS_CODES[i], 0), scan(&STATUS_CODES[i + 10], 1)],
            )
        })
        .collect();
    let resp = Shiprocket.sim_render(&op, &SimReply::Tracked(shipments));
    let mut t = Shiprocket.parse_track(&resp).unwrap();
    t.sort_by(|a, b| a.awb.cmp(&b.awb));
    assert_eq!(t.iter().map(|s| s.awb.clone()).collect::<Vec<_>>(), awbs);
    for (i, s) in t.iter().enumerate() {
        assert_eq!(s.scans[0].code, STATUS_CODES[i + 10].code);
        assert_eq!(s.scans[1].code, STATUS_CODES[i].code);
    }
}

#[test]
fn cancel_round_trip() {
    let awb = Shiprocket.sim_awb(9);
    let op = parse(&Shiprocket.build_cancel(&account(), &awb).unwrap()).unwrap();
    assert_eq!(op, SimOp::Cancel { awb: awb.clone() });
    assert_eq!(
        Shiprocket
            .parse_cancel(&Shiprocket.sim_render(&op, &SimReply::Cancelled { rto: false }))
            .unwrap(),
        CancelOutcome::Cancelled
    );
    // Shiprocket has no cancel-into-RTO: after pickup it refuses.
    assert!(matches!(
        Shiprocket.parse_cancel(&Shiprocket.sim_render(&op, &SimReply::Cancelled { rto: true })),
        Err(CarrierError::Rejected { .. })
    ));
    for kind in [
        SimErrorKind::Refused,
        SimErrorKind::NotFound,
        SimErrorKind::Invalid,
    ] {
        assert!(matches!(
            Shiprocket.parse_cancel(&Shiprocket.sim_render(&op, &err(kind))),
            Err(CarrierError::Rejected { .. })
        ));
    }
}

#[test]
fn ndr_round_trips() {
    let awb = Shiprocket.sim_awb(4);
    let cases = [
        (NdrInstruction::Reattempt { date: None }, SimNdr::Reattempt),
        (
            NdrInstruction::Reattempt {
                date: Some(date(2024, 1, 9)),
            },
            SimNdr::Reattempt,
        ),
        (
            NdrInstruction::ChangeAddress {
                address: draft().consignee,
            },
            SimNdr::ChangeAddress,
        ),
        (
            NdrInstruction::ChangePhone {
                phone: "+919876543210".into(),
            },
            SimNdr::ChangePhone,
        ),
        (NdrInstruction::ReturnToOrigin, SimNdr::ReturnToOrigin),
    ];
    for (instruction, expected) in cases {
        let op = parse(
            &Shiprocket
                .build_ndr_action(&account(), &awb, &instruction)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            op,
            SimOp::Ndr {
                awb: awb.clone(),
                instruction: expected
            }
        );
        let ok = Shiprocket.sim_render(
            &op,
            &SimReply::NdrAccepted {
                request_id: "UPL1".into(),
            },
        );
        assert_eq!(
            Shiprocket.parse_ndr_action(&ok).unwrap(),
            NdrOutcome::Accepted
        );
        let refused = Shiprocket.sim_render(&op, &err(SimErrorKind::Refused));
        assert!(Shiprocket.parse_ndr_action(&refused).is_err());
    }
}

#[test]
fn serviceability_and_rates_round_trip() {
    let op = parse(
        &Shiprocket
            .build_serviceability(&account(), "560001")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        op,
        SimOp::Serviceability {
            postal_code: "560001".into()
        }
    );
    for cod in [true, false] {
        let record = ServiceabilityRecord {
            postal_code: "560001".into(),
            prepaid: true,
            cod,
            pickup: true,
            reverse: true,
            oda: false,
            embargo: false,
            max_weight_grams: Some(30_000),
            max_cod_minor: None,
            sort_code: None,
        };
        let resp = Shiprocket.sim_render(&op, &SimReply::Serviceable(vec![record]));
        let got = Shiprocket.parse_serviceability(&resp).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (
                got[0].postal_code.as_str(),
                got[0].prepaid,
                got[0].cod,
                got[0].max_weight_grams
            ),
            ("560001", true, cod, Some(30_000))
        );
        let rates = Shiprocket.parse_rates(&resp).unwrap();
        assert_eq!(rates.len(), 1);
        assert_eq!(
            (rates[0].total_minor, rates[0].currency.as_str()),
            (9_550, "INR")
        );
    }
    let none = Shiprocket.sim_render(&op, &SimReply::Serviceable(vec![]));
    assert!(Shiprocket.parse_serviceability(&none).unwrap().is_empty());
    assert!(Shiprocket.parse_rates(&none).unwrap().is_empty());

    let op = parse(
        &Shiprocket
            .build_rates(
                &account(),
                &RateQuery {
                    origin_postal_code: "110001".into(),
                    destination_postal_code: "400001".into(),
                    weight_grams: 500,
                    payment_mode: PaymentMode::Prepaid,
                    cod_amount_minor: 0,
                },
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        op,
        SimOp::Serviceability {
            postal_code: "400001".into()
        }
    );
}

#[test]
fn pushes_round_trip_every_status_code() {
    let awb = Shiprocket.sim_awb(11);
    let scans = every_code();
    let s = shipment(&awb, scans.clone());
    let push = Shiprocket.sim_push("hook-token-123", &s, &scans).unwrap();
    let (_, body) = push.body.encode();
    Shiprocket
        .verify_push(&account(), &push.headers, &body)
        .unwrap();
    let mut other = account();
    other.credentials.insert(
        "webhook_secret".into(),
        shipgate_carrier_core::account::Secret("different".into()),
    );
    assert!(
        Shiprocket
            .verify_push(&other, &push.headers, &body)
            .is_err()
    );

    let t = Shiprocket.parse_push(&body).unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].awb, awb);
    assert_eq!(t[0].reference.as_deref(), Some("ORD-1001"));
    assert_eq!(t[0].carrier_edd, Some(date(2024, 1, 8)));
    assert_every_code(&t[0], &scans);

    // A push without scans still carries its current status.
    let latest = scan(
        STATUS_CODES
            .iter()
            .find(|e| e.status == ShipmentStatus::DeliveryFailed)
            .unwrap(),
        5,
    );
    let push = Shiprocket
        .sim_push("hook-token-123", &shipment(&awb, vec![latest.clone()]), &[])
        .unwrap();
    let (_, body) = push.body.encode();
    let t = Shiprocket.parse_push(&body).unwrap();
    assert_eq!(t[0].scans.len(), 1);
    assert_eq!(t[0].scans[0].status, Some(ShipmentStatus::DeliveryFailed));
    assert_eq!(t[0].scans[0].ndr_reason, Some(NdrReason::Unknown));
    assert_eq!(t[0].scans[0].occurred_at, latest.at);
}

#[test]
fn awbs_are_fourteen_digits_and_distinct() {
    let a = Shiprocket.sim_awb(1);
    let b = Shiprocket.sim_awb(2);
    assert_ne!(a, b);
    for awb in [&a, &b, &Shiprocket.sim_awb(999_999)] {
        assert_eq!(awb.len(), 14, "{awb}");
        assert!(awb.bytes().all(|c| c.is_ascii_digit()));
        assert!(
            Shiprocket
                .build_track(&account(), std::slice::from_ref(awb))
                .is_ok()
        );
    }
}
