//! Round trips through the simulator side: `sim_parse(build_x(..))` is the
//! expected `SimOp`, and `parse_x(sim_render(op, reply))` gives back what
//! the simulator meant.

mod common;

use common::*;
use jiff::Timestamp;
use jiff::civil::{date, time};
use shipgate_carrier_core::http::{Body, HttpRequest, HttpResponse};
use shipgate_carrier_core::sim::*;
use shipgate_carrier_core::*;
use shipgate_carrier_delhivery::Delhivery;
use shipgate_carrier_delhivery::status::STATUS_CODES;
use shipgate_domain::{NdrReason, PaymentMode, ShipmentStatus};

/// The request as the simulator receives it: body bytes decoded by content type.
fn incoming(request: &HttpRequest) -> HttpRequest {
    let (content_type, bytes) = request.body.encode();
    HttpRequest {
        body: Body::decode(content_type, &bytes),
        ..request.clone()
    }
}

fn sim_op(request: &HttpRequest) -> SimOp {
    Delhivery
        .sim_parse(&incoming(request))
        .unwrap_or_else(|r| panic!("sim refused: {} {}", r.status, r.text()))
}

fn error(kind: SimErrorKind, message: &str) -> SimReply {
    SimReply::Error(SimError::new(kind, message))
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn fetch_awbs_round_trip() {
    let req = Delhivery.build_fetch_awbs(&account(), 3).unwrap();
    let op = sim_op(&req);
    assert_eq!(op, SimOp::FetchAwbs { count: 3 });
    let awbs: Vec<String> = (1..=3).map(|i| Delhivery.sim_awb(i)).collect();
    assert!(
        awbs.iter()
            .all(|a| a.len() == 14 && a.bytes().all(|b| b.is_ascii_digit()))
    );
    let reply = Delhivery.sim_render(&op, &SimReply::Awbs(awbs.clone()));
    assert_eq!(Delhivery.parse_fetch_awbs(&reply).unwrap(), awbs);
}

#[test]
fn create_round_trip_including_duplicates() {
    let acct = account();
    let d = draft("ORDER-1001", PaymentMode::Cod);
    let create = CreateRequest {
        reference: "ORDER-1001",
        draft: &d,
        awb: Some("14900000000007"),
    };
    let op = sim_op(&Delhivery.build_create(&acct, &create).unwrap());
    assert_eq!(
        op,
        SimOp::Create(SimCreate {
            reference: "ORDER-1001".into(),
            awb: Some("14900000000007".into()),
            payment_mode: PaymentMode::Cod,
            cod_amount_minor: 149_900,
            consignee_name: "Asha Rao".into(),
            consignee_postal_code: "560001".into(),
            pickup_location: Some("warehouse_name".into()),
            weight_grams: 500,
        })
    );
    let created = SimReply::Created {
        awb: "14900000000007".into(),
        reference: "ORDER-1001".into(),
        routing_code: "560/001".into(),
        duplicate: false,
    };
    let booking = Delhivery
        .parse_create(&acct, &create, &Delhivery.sim_render(&op, &created))
        .unwrap();
    assert_eq!(booking.awb, "14900000000007");
    assert_eq!(booking.routing_code.as_deref(), Some("560/001"));

    // Delhivery refuses a repeated order number without the AWB ...
    let duplicate = SimReply::Created {
        awb: "14900000000007".into(),
        reference: "ORDER-1001".into(),
        routing_code: "560/001".into(),
        duplicate: true,
    };
    let err = Delhivery
        .parse_create(&acct, &create, &Delhivery.sim_render(&op, &duplicate))
        .unwrap_err();
    assert!(
        matches!(&err, CarrierError::Rejected { code: Some(c), .. } if c == "duplicate_order_id")
    );
    // ... so the runtime finds it by reference.
    let find = Delhivery
        .build_find_by_reference(&acct, "ORDER-1001")
        .unwrap();
    let find_op = sim_op(&find);
    assert_eq!(
        find_op,
        SimOp::Track {
            awbs: vec![],
            references: vec!["ORDER-1001".into()]
        }
    );
    let tracked = SimReply::Tracked(vec![shipment(vec![])]);
    let found = Delhivery
        .parse_find_by_reference(&Delhivery.sim_render(&find_op, &tracked))
        .unwrap();
    assert_eq!(found.map(|b| b.awb).as_deref(), Some("14900000000007"));
    let none = Delhivery
        .parse_find_by_reference(&Delhivery.sim_render(&find_op, &SimReply::Tracked(vec![])))
        .unwrap();
    assert_eq!(none, None);

    for kind in [SimErrorKind::Refused, SimErrorKind::Invalid] {
        let reply = Delhivery.sim_render(&op, &error(kind, "pincode 990001 is not serviceable"));
        let err = Delhivery.parse_create(&acct, &create, &reply).unwrap_err();
        assert!(err.to_string().contains("990001"), "{err}");
    }
}

fn shipment(scans: Vec<SimScan>) -> SimShipment {
    SimShipment {
        awb: "14900000000007".into(),
        reference: "ORDER-1001".into(),
        payment_mode: PaymentMode::Cod,
        cod_amount_minor: 149_900,
        consignee_name: "Asha Rao".into(),
        destination_postal_code: "560001".into(),
        scans,
        attempts: 1,
        edd: Some(date(2024, 1, 7)),
    }
}

#[test]
fn every_table_code_round_trips_through_tracking() {
    let start = at("2024-01-05T05:00:00Z");
    let scans: Vec<SimScan> = STATUS_CODES
        .iter()
        .enumerate()
        .map(|(i, c)| SimScan {
            status: c.status,
            ndr_reason: c.ndr_reason,
            code: c.code,
            description: c.description,
            at: start + jiff::SignedDuration::from_mins(i as i64),
            location: format!("Hub_{i} (Karnataka)"),
        })
        .collect();
    let req = Delhivery
        .build_track(&account(), &["14900000000007".to_string()])
        .unwrap();
    let op = sim_op(&req);
    assert_eq!(
        op,
        SimOp::Track {
            awbs: vec!["14900000000007".into()],
            references: vec![]
        }
    );
    let reply = Delhivery.sim_render(&op, &SimReply::Tracked(vec![shipment(scans.clone())]));
    let tracked = Delhivery.parse_track(&reply).unwrap();
    assert_eq!(tracked.len(), 1);
    let t = &tracked[0];
    assert_eq!(t.awb, "14900000000007");
    assert_eq!(t.reference.as_deref(), Some("ORDER-1001"));
    assert_eq!(t.carrier_edd, Some(date(2024, 1, 7)));
    assert_eq!(t.attempts, Some(1));
    assert_eq!(t.scans.len(), STATUS_CODES.len());
    for (scan, sent) in t.scans.iter().zip(&scans) {
        assert_eq!(scan.code, sent.code);
        assert_eq!(scan.status, Some(sent.status), "{}", sent.code);
        assert_eq!(scan.ndr_reason, sent.ndr_reason, "{}", sent.code);
        assert_eq!(scan.description, sent.description);
        assert_eq!(scan.occurred_at, sent.at);
        assert_eq!(scan.location.as_deref(), Some(sent.location.as_str()));
    }

    // The proof of delivery name comes back on a delivered shipment.
    let delivered = SimScan {
        status: ShipmentStatus::Delivered,
        ndr_reason: None,
        code: "EOD-38",
        description: "Delivered to consignee",
        at: start,
        location: "Bengaluru_DC".into(),
    };
    let reply = Delhivery.sim_render(&op, &SimReply::Tracked(vec![shipment(vec![delivered])]));
    assert_eq!(
        Delhivery.parse_track(&reply).unwrap()[0]
            .received_by
            .as_deref(),
        Some("Asha Rao")
    );

    // Unknown AWB.
    let reply = Delhivery.sim_render(&op, &error(SimErrorKind::NotFound, "no such waybill"));
    assert!(Delhivery.parse_track(&reply).unwrap().is_empty());
}

#[test]
fn label_round_trip() {
    let op = sim_op(&Delhivery.build_label(&account(), "14900000000007").unwrap());
    assert_eq!(
        op,
        SimOp::Label {
            awb: "14900000000007".into()
        }
    );
    let pdf = b"%PDF-1.7 sandbox label".to_vec();
    let reply = Delhivery.sim_render(
        &op,
        &SimReply::Label {
            awb: "14900000000007".into(),
            pdf: pdf.clone(),
        },
    );
    assert_eq!(
        Delhivery.parse_label(&reply).unwrap(),
        LabelDocument::Pdf(pdf)
    );
    let reply = Delhivery.sim_render(&op, &error(SimErrorKind::NotFound, "no waybill"));
    assert!(Delhivery.parse_label(&reply).is_err());
}

#[test]
fn pickup_round_trip() {
    let request = PickupRequest {
        location: "warehouse_name".into(),
        date: date(2024, 1, 6),
        time: time(14, 30, 0, 0),
        expected_packages: 4,
        awbs: vec![],
    };
    let op = sim_op(&Delhivery.build_pickup(&account(), &request).unwrap());
    assert_eq!(
        op,
        SimOp::Pickup {
            location: "warehouse_name".into(),
            date: date(2024, 1, 6),
            expected_packages: 4
        }
    );
    let reply = Delhivery.sim_render(
        &op,
        &SimReply::PickupCreated {
            pickup_id: "100001".into(),
        },
    );
    assert_eq!(reply.status, 201);
    assert_eq!(Delhivery.parse_pickup(&reply).unwrap().pickup_id, "100001");
    let reply = Delhivery.sim_render(
        &op,
        &error(
            SimErrorKind::Refused,
            "a pickup for warehouse_name on 2024-01-06 already exists",
        ),
    );
    let err = Delhivery.parse_pickup(&reply).unwrap_err();
    assert!(matches!(&err, CarrierError::Rejected { code: Some(c), .. } if c == "pr_exists"));
}

#[test]
fn cancel_round_trip() {
    let op = sim_op(
        &Delhivery
            .build_cancel(&account(), "14900000000007")
            .unwrap(),
    );
    assert_eq!(
        op,
        SimOp::Cancel {
            awb: "14900000000007".into()
        }
    );
    let reply = Delhivery.sim_render(&op, &SimReply::Cancelled { rto: false });
    assert_eq!(
        Delhivery.parse_cancel(&reply).unwrap(),
        CancelOutcome::Cancelled
    );
    let reply = Delhivery.sim_render(&op, &SimReply::Cancelled { rto: true });
    assert_eq!(
        Delhivery.parse_cancel(&reply).unwrap(),
        CancelOutcome::RtoInitiated
    );
    let reply = Delhivery.sim_render(
        &op,
        &error(
            SimErrorKind::Refused,
            "shipment is delivered; it cannot be cancelled",
        ),
    );
    let err = Delhivery.parse_cancel(&reply).unwrap_err();
    assert!(err.to_string().contains("cannot be cancelled"));
}

#[test]
fn modify_round_trip() {
    let change = Modification {
        consignee: Some(consignee()),
        phone: Some("+919876543210".into()),
        payment_mode: Some(PaymentMode::Cod),
        cod_amount_minor: Some(120_050),
        weight_grams: Some(750),
        delivery: None,
    };
    let op = sim_op(
        &Delhivery
            .build_modify(&account(), "14900000000007", &change)
            .unwrap(),
    );
    assert_eq!(
        op,
        SimOp::Modify {
            awb: "14900000000007".into(),
            phone: Some("9876543210".into()),
            address: Some("12 MG Road, Near Metro".into()),
            payment_mode: Some(PaymentMode::Cod),
            cod_amount_minor: Some(120_050),
        }
    );
    assert!(
        Delhivery
            .parse_modify(&Delhivery.sim_render(&op, &SimReply::Modified))
            .is_ok()
    );
    let reply = Delhivery.sim_render(
        &op,
        &error(
            SimErrorKind::Refused,
            "shipment is out_for_delivery; it cannot be edited",
        ),
    );
    assert!(Delhivery.parse_modify(&reply).is_err());
}

#[test]
fn ndr_round_trips() {
    let acct = account();
    let awb = "14900000000007";
    let cases = [
        (
            NdrInstruction::Reattempt { date: None },
            SimOp::Ndr {
                awb: awb.into(),
                instruction: SimNdr::Reattempt,
            },
        ),
        (
            NdrInstruction::Reattempt {
                date: Some(date(2024, 1, 9)),
            },
            SimOp::Ndr {
                awb: awb.into(),
                instruction: SimNdr::Reattempt,
            },
        ),
        (
            NdrInstruction::ChangeAddress {
                address: consignee(),
            },
            SimOp::Ndr {
                awb: awb.into(),
                instruction: SimNdr::ChangeAddress,
            },
        ),
        (
            NdrInstruction::ChangePhone {
                phone: "+919876543210".into(),
            },
            SimOp::Ndr {
                awb: awb.into(),
                instruction: SimNdr::ChangePhone,
            },
        ),
        // Delhivery has no NDR RTO action: it is a cancel of the pending shipment.
        (
            NdrInstruction::ReturnToOrigin,
            SimOp::Cancel { awb: awb.into() },
        ),
    ];
    for (instruction, expected) in cases {
        let op = sim_op(
            &Delhivery
                .build_ndr_action(&acct, awb, &instruction)
                .unwrap(),
        );
        assert_eq!(op, expected, "{instruction:?}");
        let reply = match op {
            SimOp::Cancel { .. } => SimReply::Cancelled { rto: true },
            _ => SimReply::NdrAccepted {
                request_id: "UPL1000000".into(),
            },
        };
        let outcome = Delhivery
            .parse_ndr_action(&Delhivery.sim_render(&op, &reply))
            .unwrap();
        match op {
            SimOp::Cancel { .. } => assert_eq!(outcome, NdrOutcome::Accepted),
            _ => assert_eq!(
                outcome,
                NdrOutcome::Pending {
                    request_id: "UPL1000000".into()
                }
            ),
        }
        let refused = Delhivery.sim_render(
            &op,
            &error(
                SimErrorKind::Refused,
                "Package in incorrect status: delivered",
            ),
        );
        let err = Delhivery.parse_ndr_action(&refused).unwrap_err();
        assert!(err.to_string().contains("incorrect status"), "{err}");
    }

    let op = sim_op(&Delhivery.build_ndr_status(&acct, "UPL1000000").unwrap());
    assert_eq!(
        op,
        SimOp::NdrStatus {
            request_id: "UPL1000000".into()
        }
    );
    let render = |settled| {
        Delhivery.sim_render(
            &op,
            &SimReply::NdrStatus {
                request_id: "UPL1000000".into(),
                settled,
            },
        )
    };
    assert_eq!(Delhivery.parse_ndr_status(&render(None)).unwrap(), None);
    assert_eq!(
        Delhivery.parse_ndr_status(&render(Some(Ok(())))).unwrap(),
        Some(NdrOutcome::Accepted)
    );
    let err = Delhivery
        .parse_ndr_status(&render(Some(Err(
            "re-attempt not allowed after 3 attempts / refusal".into(),
        ))))
        .unwrap_err();
    assert!(err.to_string().contains("not allowed after 3 attempts"));
    let err = Delhivery
        .parse_ndr_status(
            &Delhivery.sim_render(&op, &error(SimErrorKind::NotFound, "no request UPL1000000")),
        )
        .unwrap_err();
    assert!(err.to_string().contains("no request"));
}

#[test]
fn serviceability_round_trip() {
    let op = sim_op(
        &Delhivery
            .build_serviceability(&account(), "790001")
            .unwrap(),
    );
    assert_eq!(
        op,
        SimOp::Serviceability {
            postal_code: "790001".into()
        }
    );
    let records = vec![ServiceabilityRecord {
        postal_code: "790001".into(),
        prepaid: true,
        cod: false,
        pickup: true,
        reverse: true,
        oda: true,
        embargo: true,
        max_weight_grams: Some(30_000),
        max_cod_minor: Some(5_000_000),
        sort_code: Some("790/001".into()),
    }];
    let reply = Delhivery.sim_render(&op, &SimReply::Serviceable(records.clone()));
    assert_eq!(Delhivery.parse_serviceability(&reply).unwrap(), records);
    let reply = Delhivery.sim_render(&op, &SimReply::Serviceable(vec![]));
    assert!(Delhivery.parse_serviceability(&reply).unwrap().is_empty());
}

#[test]
fn missing_credentials_and_unknown_paths_are_refused_the_carrier_way() {
    let mut req = Delhivery
        .build_track(&account(), &["14900000000007".to_string()])
        .unwrap();
    req.headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
    let refused: HttpResponse = Delhivery.sim_parse(&incoming(&req)).unwrap_err();
    assert_eq!(refused.status, 401);
    assert!(matches!(
        Delhivery.parse_track(&refused),
        Err(CarrierError::Unauthorized { .. })
    ));
    // The waybill endpoints also take ?token=.
    req.path.push_str("&token=abc");
    assert!(Delhivery.sim_parse(&incoming(&req)).is_ok());

    let mut other = Delhivery.build_label(&account(), "14900000000007").unwrap();
    other.path = "/api/p/unknown".into();
    assert_eq!(
        Delhivery.sim_parse(&incoming(&other)).unwrap_err().status,
        404
    );

    let mut bad = Delhivery
        .build_create(
            &account(),
            &CreateRequest {
                reference: "ORDER-1",
                draft: &draft("ORDER-1", PaymentMode::Prepaid),
                awb: None,
            },
        )
        .unwrap();
    bad.body = Body::Form(vec![("data".into(), "{}".into())]);
    let refused = Delhivery.sim_parse(&incoming(&bad)).unwrap_err();
    assert!(refused.text().contains("format key missing in the post"));
}

#[test]
fn pushes_verify_and_parse() {
    let scans = vec![
        SimScan {
            status: ShipmentStatus::OutForDelivery,
            ndr_reason: None,
            code: "X-DDD3FD",
            description: "Out for delivery",
            at: at("2024-01-06T04:30:00Z"),
            location: "Bengaluru_DC".into(),
        },
        SimScan {
            status: ShipmentStatus::DeliveryFailed,
            ndr_reason: Some(NdrReason::CustomerUnavailable),
            code: "EOD-11",
            description: "Consignee Unavailable",
            at: at("2024-01-06T09:30:00Z"),
            location: "Bengaluru_DC".into(),
        },
    ];
    let ship = shipment(scans.clone());
    for new in [&scans[..1], &scans[..]] {
        let push = Delhivery
            .sim_push(SECRET, &ship, new)
            .expect("Delhivery pushes");
        let (_, body) = push.body.encode();
        Delhivery
            .verify_push(&account(), &push.headers, &body)
            .unwrap();
        let other_secret = Delhivery.sim_push("other", &ship, new).unwrap();
        assert!(
            Delhivery
                .verify_push(&account(), &other_secret.headers, &body)
                .is_err()
        );
        let parsed = Delhivery.parse_push(&body).unwrap();
        assert_eq!(parsed.len(), new.len());
        for (p, s) in parsed.iter().zip(new) {
            assert_eq!(p.awb, "14900000000007");
            assert_eq!(p.reference.as_deref(), Some("ORDER-1001"));
            assert_eq!(p.scans[0].code, s.code);
            assert_eq!(p.scans[0].status, Some(s.status));
            assert_eq!(p.scans[0].ndr_reason, s.ndr_reason);
            assert_eq!(p.scans[0].occurred_at, s.at);
        }
    }
    assert!(Delhivery.sim_push(SECRET, &ship, &[]).is_none());
}
