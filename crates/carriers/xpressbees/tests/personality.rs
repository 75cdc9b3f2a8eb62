//! The simulator side: `sim_parse(build_x(..))` is the expected operation and
//! `parse_x(sim_render(op, reply))` gives back what the simulator meant.

mod common;

use common::*;
use jiff::Timestamp;
use jiff::civil::date;
use shipgate_carrier_core::sim::*;
use shipgate_carrier_core::*;
use shipgate_carrier_xpressbees::status::{NDR_REMARKS, STATUS_CODES, status_word};
use shipgate_carrier_xpressbees::{SIGNATURE_HEADER, Xpressbees};
use shipgate_domain::address::AddressInput;
use shipgate_domain::{Address, NdrReason, PaymentMode, ShipmentStatus};

/// The request as the simulator receives it: bytes and content type.
fn incoming(request: &HttpRequest) -> HttpRequest {
    let (content_type, bytes) = request.body.encode();
    let mut incoming = request.clone();
    incoming.body = Body::decode(content_type, &bytes);
    incoming
}

fn parse(request: &HttpRequest) -> SimOp {
    Xpressbees
        .sim_parse(&incoming(request))
        .unwrap_or_else(|r| panic!("refused: {} {}", r.status, r.text()))
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_710_000_000 + second * 60).unwrap()
}

fn scan(entry: &StatusCode, i: i64) -> SimScan {
    SimScan {
        status: entry.status,
        ndr_reason: entry.ndr_reason,
        code: entry.code,
        description: entry.description,
        at: at(i),
        location: "DELHI HUB (DUB)".into(),
    }
}

fn shipment(scans: Vec<SimScan>) -> SimShipment {
    SimShipment {
        awb: Xpressbees.sim_awb(7),
        reference: "ORD-1001".into(),
        payment_mode: PaymentMode::Cod,
        cod_amount_minor: 149_900,
        consignee_name: "Vikram Singh".into(),
        destination_postal_code: "110001".into(),
        scans,
        attempts: 0,
        edd: None,
    }
}

fn failed(reason: NdrReason, i: i64) -> SimScan {
    SimScan {
        status: ShipmentStatus::DeliveryFailed,
        ndr_reason: Some(reason),
        code: "EX",
        description: "Exception",
        at: at(i),
        location: "PASCHIM VIHAR ETAIL (VED)".into(),
    }
}

#[test]
fn login() {
    let op = parse(&Xpressbees.build_login(&account()).unwrap());
    assert_eq!(op, SimOp::Login);
    let token = Xpressbees
        .parse_login(
            &account(),
            &Xpressbees.sim_render(
                &op,
                &SimReply::Token {
                    token: "sim-tok".into(),
                },
            ),
        )
        .unwrap();
    assert_eq!(token.value.expose(), "sim-tok");

    let mut bad = Xpressbees.build_login(&account()).unwrap();
    bad.body = Body::Json(serde_json::json!({"email": "ops@example.in", "password": ""}));
    let refused = Xpressbees.sim_parse(&incoming(&bad)).unwrap_err();
    assert_eq!(refused.status, 401);
    assert!(matches!(
        Xpressbees.parse_login(&account(), &refused),
        Err(CarrierError::Unauthorized { .. })
    ));
}

#[test]
fn calls_need_a_token() {
    let mut req = Xpressbees
        .build_track(&account(), &["14180000000007".into()])
        .unwrap();
    req.headers.clear();
    let refused = Xpressbees.sim_parse(&incoming(&req)).unwrap_err();
    assert_eq!(refused.status, 401);
    assert!(matches!(
        Xpressbees.parse_track(&refused),
        Err(CarrierError::Unauthorized { .. })
    ));
    req = req.header("Authorization", "Bearer ");
    assert_eq!(
        Xpressbees.sim_parse(&incoming(&req)).unwrap_err().status,
        401
    );
}

#[test]
fn unknown_routes_and_bad_bodies() {
    let acct = account();
    let unknown = HttpRequest::new(Method::Post, "/api/shipments2/label", "x")
        .header("Authorization", "Bearer t")
        .json(serde_json::json!({}));
    let r = Xpressbees.sim_parse(&incoming(&unknown)).unwrap_err();
    assert_eq!(r.status, 404);
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["status"], false);

    let mut create = Xpressbees
        .build_create(
            &acct,
            &CreateRequest {
                reference: "ORD-1001",
                draft: &draft(),
                awb: None,
            },
        )
        .unwrap();
    create.body = Body::Json(serde_json::json!({"order_number": "ORD-1001"}));
    let r = Xpressbees.sim_parse(&incoming(&create)).unwrap_err();
    assert_eq!(r.status, 400);
    let err = Xpressbees.parse_track(&r).unwrap_err();
    assert!(matches!(err, CarrierError::Rejected { .. }));
}

#[test]
fn create_and_duplicates() {
    let draft = draft();
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: None,
    };
    let op = parse(&Xpressbees.build_create(&account(), &request).unwrap());
    assert_eq!(
        op,
        SimOp::Create(SimCreate {
            reference: "ORD-1001".into(),
            awb: None,
            payment_mode: PaymentMode::Cod,
            cod_amount_minor: 149_900,
            consignee_name: "Vikram Singh".into(),
            consignee_postal_code: "110001".into(),
            pickup_location: Some("Rao Traders Bengaluru".into()),
            weight_grams: 750,
        })
    );
    let awb = Xpressbees.sim_awb(1);
    let created = |duplicate| SimReply::Created {
        awb: awb.clone(),
        reference: "ORD-1001".into(),
        routing_code: "DEL/VED".into(),
        duplicate,
    };
    let booking = Xpressbees
        .parse_create(
            &account(),
            &request,
            &Xpressbees.sim_render(&op, &created(false)),
        )
        .unwrap();
    assert_eq!(booking.awb, awb);
    assert_eq!(booking.carrier_reference.as_deref(), Some("14180000000001"));

    // The duplicate answer carries no AWB…
    let err = Xpressbees
        .parse_create(
            &account(),
            &request,
            &Xpressbees.sim_render(&op, &created(true)),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        CarrierError::Rejected { code: Some(ref c), .. } if c == "duplicate_order_number"
    ));
    // …so the original is found by its order number.
    let find = parse(
        &Xpressbees
            .build_find_by_reference(&account(), "ORD-1001")
            .unwrap(),
    );
    assert_eq!(
        find,
        SimOp::Track {
            awbs: vec!["ORD-1001".into()],
            references: vec!["ORD-1001".into()],
        }
    );
    let mut original = shipment(vec![scan(&STATUS_CODES[1], 0)]);
    original.awb = awb.clone();
    let found = Xpressbees
        .parse_find_by_reference(&Xpressbees.sim_render(&find, &SimReply::Tracked(vec![original])))
        .unwrap();
    assert_eq!(found.map(|b| b.awb), Some(awb));
    for nothing in [
        SimReply::Tracked(vec![]),
        SimReply::Error(SimError::new(SimErrorKind::NotFound, "Shipment not found")),
    ] {
        assert_eq!(
            Xpressbees
                .parse_find_by_reference(&Xpressbees.sim_render(&find, &nothing))
                .unwrap(),
            None
        );
    }
}

#[test]
fn create_refusals_come_back_as_errors() {
    let draft = draft();
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: None,
    };
    let op = parse(&Xpressbees.build_create(&account(), &request).unwrap());
    for (kind, unauthorized) in [
        (SimErrorKind::Unauthorized, true),
        (SimErrorKind::Invalid, false),
        (SimErrorKind::NotFound, false),
        (SimErrorKind::Refused, false),
    ] {
        let reply = SimReply::Error(SimError::new(kind, "Pincode not serviceable"));
        let err = Xpressbees
            .parse_create(&account(), &request, &Xpressbees.sim_render(&op, &reply))
            .unwrap_err();
        if unauthorized {
            assert!(matches!(err, CarrierError::Unauthorized { .. }), "{kind:?}");
        } else {
            assert!(matches!(err, CarrierError::Rejected { .. }), "{kind:?}");
            assert!(err.to_string().contains("Pincode not serviceable"));
        }
    }
}

#[test]
fn track_every_status_code() {
    let awb = Xpressbees.sim_awb(7);
    let op = parse(
        &Xpressbees
            .build_track(&account(), std::slice::from_ref(&awb))
            .unwrap(),
    );
    assert_eq!(
        op,
        SimOp::Track {
            awbs: vec![awb.clone()],
            references: vec![awb.clone()],
        }
    );
    let scans: Vec<SimScan> = STATUS_CODES
        .iter()
        .enumerate()
        .map(|(i, c)| scan(c, i as i64))
        .collect();
    let sim = shipment(scans.clone());
    let tracked = Xpressbees
        .parse_track(&Xpressbees.sim_render(&op, &SimReply::Tracked(vec![sim])))
        .unwrap();
    assert_eq!(tracked.len(), 1);
    assert_eq!(tracked[0].awb, awb);
    assert_eq!(tracked[0].reference.as_deref(), Some("ORD-1001"));
    assert_eq!(tracked[0].scans.len(), STATUS_CODES.len());
    for (sent, got) in scans.iter().zip(&tracked[0].scans) {
        assert_eq!(got.code, sent.code);
        assert_eq!(got.status, Some(sent.status), "{}", sent.code);
        assert_eq!(got.ndr_reason, sent.ndr_reason, "{}", sent.code);
        assert_eq!(got.occurred_at, sent.at, "{}", sent.code);
        assert_eq!(got.location.as_deref(), Some("DELHI HUB (DUB)"));
    }
}

#[test]
fn track_every_ndr_reason() {
    let op = SimOp::Track {
        awbs: vec![Xpressbees.sim_awb(7)],
        references: vec![],
    };
    let reasons: Vec<NdrReason> = NDR_REMARKS.iter().map(|r| r.reason).collect();
    let scans: Vec<SimScan> = reasons
        .iter()
        .enumerate()
        .map(|(i, r)| failed(*r, i as i64))
        .collect();
    let tracked = Xpressbees
        .parse_track(&Xpressbees.sim_render(&op, &SimReply::Tracked(vec![shipment(scans)])))
        .unwrap();
    let got: Vec<Option<NdrReason>> = tracked[0].scans.iter().map(|s| s.ndr_reason).collect();
    let want: Vec<Option<NdrReason>> = reasons.iter().copied().map(Some).collect();
    assert_eq!(got, want);
    assert!(tracked[0].scans.iter().all(|s| s.code == "EX"));
}

#[test]
fn unknown_awb() {
    let op = SimOp::Track {
        awbs: vec!["1".into()],
        references: vec![],
    };
    for reply in [
        SimReply::Tracked(vec![]),
        SimReply::Error(SimError::new(SimErrorKind::NotFound, "Shipment not found")),
    ] {
        let err = Xpressbees
            .parse_track(&Xpressbees.sim_render(&op, &reply))
            .unwrap_err();
        assert!(err.to_string().contains("not found"), "{err}");
    }
}

#[test]
fn push_every_status_code() {
    let mut acct = account();
    acct.credentials.insert(
        "webhook_secret".into(),
        shipgate_carrier_core::account::Secret("push-secret".into()),
    );
    let mut cases: Vec<SimScan> = STATUS_CODES
        .iter()
        .enumerate()
        .map(|(i, c)| scan(c, i as i64))
        .collect();
    cases.extend(NDR_REMARKS.iter().map(|r| failed(r.reason, 0)));
    for sent in cases {
        let sim = shipment(vec![sent.clone()]);
        let push = Xpressbees
            .sim_push("push-secret", &sim, std::slice::from_ref(&sent))
            .expect("Xpressbees pushes");
        assert_eq!(push.header_value("Content-Type"), Some("application/json"));
        let (_, body) = push.body.encode();
        Xpressbees
            .verify_push(&acct, &push.headers, &body)
            .unwrap_or_else(|e| panic!("{}: {e}", sent.code));
        let tracked = Xpressbees.parse_push(&body).unwrap();
        assert_eq!(tracked.len(), 1);
        assert_eq!(tracked[0].awb, sim.awb);
        assert_eq!(tracked[0].reference.as_deref(), Some("ORD-1001"));
        let got = &tracked[0].scans[0];
        assert_eq!(got.status, Some(sent.status), "{}", sent.code);
        assert_eq!(got.ndr_reason, sent.ndr_reason, "{}", sent.code);
        assert_eq!(got.occurred_at, sent.at);
        // Pushes speak the status words where Xpressbees has one.
        assert_eq!(got.code, status_word(sent.status).unwrap_or(sent.code));
        // A wrong secret fails verification.
        assert!(
            Xpressbees
                .verify_push(&account(), &push.headers, &body)
                .is_err()
        );
        assert!(push.header_value(SIGNATURE_HEADER).is_some());
    }
    assert!(Xpressbees.sim_push("s", &shipment(vec![]), &[]).is_none());
}

#[test]
fn cancel() {
    let op = parse(
        &Xpressbees
            .build_cancel(&account(), "14180000000007")
            .unwrap(),
    );
    assert_eq!(
        op,
        SimOp::Cancel {
            awb: "14180000000007".into()
        }
    );
    let outcome = |reply| Xpressbees.parse_cancel(&Xpressbees.sim_render(&op, &reply));
    assert_eq!(
        outcome(SimReply::Cancelled { rto: false }).unwrap(),
        CancelOutcome::Cancelled
    );
    assert_eq!(
        outcome(SimReply::Cancelled { rto: true }).unwrap(),
        CancelOutcome::RtoInitiated
    );
    let err = outcome(SimReply::Error(SimError::new(
        SimErrorKind::Refused,
        "Shipment already delivered",
    )))
    .unwrap_err();
    assert!(err.to_string().contains("already delivered"));
}

#[test]
fn ndr_actions() {
    let address = Address::parse(&AddressInput {
        name: "Vikram Singh".into(),
        phone: "9876543210".into(),
        line1: "46 Park Street".into(),
        city: "New Delhi".into(),
        state: "Delhi".into(),
        postal_code: "110001".into(),
        ..Default::default()
    })
    .unwrap();
    for (instruction, expected) in [
        (
            NdrInstruction::Reattempt {
                date: Some(date(2021, 6, 3)),
            },
            SimNdr::Reattempt,
        ),
        (NdrInstruction::Reattempt { date: None }, SimNdr::Reattempt),
        (
            NdrInstruction::ChangeAddress {
                address: address.clone(),
            },
            SimNdr::ChangeAddress,
        ),
        (
            NdrInstruction::ChangePhone {
                phone: "+919876500000".into(),
            },
            SimNdr::ChangePhone,
        ),
    ] {
        let op = parse(
            &Xpressbees
                .build_ndr_action(&account(), "14180000000007", &instruction)
                .unwrap(),
        );
        assert_eq!(
            op,
            SimOp::Ndr {
                awb: "14180000000007".into(),
                instruction: expected,
            }
        );
        let accepted = SimReply::NdrAccepted {
            request_id: "r1".into(),
        };
        assert_eq!(
            Xpressbees
                .parse_ndr_action(&Xpressbees.sim_render(&op, &accepted))
                .unwrap(),
            NdrOutcome::Accepted
        );
        let refused = SimReply::Error(SimError::new(SimErrorKind::Refused, "Not in NDR state"));
        let err = Xpressbees
            .parse_ndr_action(&Xpressbees.sim_render(&op, &refused))
            .unwrap_err();
        assert!(err.to_string().contains("Not in NDR state"));
    }
}

#[test]
fn rates() {
    let query = RateQuery {
        origin_postal_code: "560001".into(),
        destination_postal_code: "110001".into(),
        weight_grams: 750,
        payment_mode: PaymentMode::Prepaid,
        cod_amount_minor: 0,
    };
    let op = parse(&Xpressbees.build_rates(&account(), &query).unwrap());
    assert_eq!(
        op,
        SimOp::Serviceability {
            postal_code: "110001".into()
        }
    );
    let record = |cod| ServiceabilityRecord {
        postal_code: "110001".into(),
        prepaid: true,
        cod,
        pickup: true,
        reverse: false,
        oda: false,
        embargo: false,
        max_weight_grams: None,
        max_cod_minor: None,
        sort_code: None,
    };
    let quotes = Xpressbees
        .parse_rates(&Xpressbees.sim_render(&op, &SimReply::Serviceable(vec![record(true)])))
        .unwrap();
    assert_eq!(
        quotes,
        [RateQuote {
            service: "Xpressbees Surface".into(),
            total_minor: 7_500,
            currency: "INR".into(),
        }]
    );
    let quotes = Xpressbees
        .parse_rates(&Xpressbees.sim_render(&op, &SimReply::Serviceable(vec![record(false)])))
        .unwrap();
    assert_eq!(quotes[0].total_minor, 4_500);
    // Not serviceable: no services.
    assert!(
        Xpressbees
            .parse_rates(&Xpressbees.sim_render(&op, &SimReply::Serviceable(vec![])))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn awbs_look_like_xpressbees_awbs() {
    let a = Xpressbees.sim_awb(1);
    let b = Xpressbees.sim_awb(2);
    assert_ne!(a, b);
    for awb in [a, b, Xpressbees.sim_awb(9_999_999_999)] {
        assert_eq!(awb.len(), 14, "{awb}");
        assert!(awb.bytes().all(|c| c.is_ascii_digit()));
    }
}
