//! Every operation round-trips through the simulator side:
//! `sim_parse(build_x(..))` is the expected op, and
//! `parse_x(sim_render(op, reply))` gives back what the simulator meant.

mod common;

use common::*;
use jiff::Timestamp;
use jiff::civil::date;
use shipgate_carrier_core::http::Body;
use shipgate_carrier_core::sim::*;
use shipgate_carrier_core::*;
use shipgate_carrier_ecom_express::{EcomExpress, status::STATUS_CODES};
use shipgate_domain::{Address, PaymentMode, ShipmentStatus};

/// What the simulator receives: the bytes on the wire, decoded again.
fn over_the_wire(req: &HttpRequest) -> HttpRequest {
    let (ct, bytes) = req.body.encode();
    let mut incoming = req.clone();
    incoming.body = Body::decode(ct, &bytes);
    incoming
}

fn parse(req: &HttpRequest) -> SimOp {
    EcomExpress
        .sim_parse(&over_the_wire(req))
        .expect("simulator accepts the request")
}

#[test]
fn fetch_awbs_round_trip() {
    let op = parse(&EcomExpress.build_fetch_awbs(&account(), 3).unwrap());
    assert_eq!(op, SimOp::FetchAwbs { count: 3 });
    let minted: Vec<String> = (1..=3).map(|i| EcomExpress.sim_awb(i)).collect();
    let resp = EcomExpress.sim_render(&op, &SimReply::Awbs(minted.clone()));
    assert_eq!(EcomExpress.parse_fetch_awbs(&resp).unwrap(), minted);
}

#[test]
fn awbs_look_like_ecoms() {
    for serial in [0, 1, 42, 899_999_999, u64::MAX] {
        let awb = EcomExpress.sim_awb(serial);
        assert_eq!(awb.len(), 9, "{awb}");
        assert!(awb.bytes().all(|b| b.is_ascii_digit()));
    }
    assert_ne!(EcomExpress.sim_awb(1), EcomExpress.sim_awb(2));
}

#[test]
fn create_round_trip_fresh_and_duplicate() {
    let draft = cod_draft();
    let awb = EcomExpress.sim_awb(7);
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: Some(&awb),
    };
    let op = parse(&EcomExpress.build_create(&account(), &request).unwrap());
    assert_eq!(
        op,
        SimOp::Create(SimCreate {
            reference: "ORD-1001".into(),
            awb: Some(awb.clone()),
            payment_mode: PaymentMode::Cod,
            cod_amount_minor: 149_950,
            consignee_name: "Asha Rao".into(),
            consignee_postal_code: "560001".into(),
            pickup_location: Some("Shipgate Warehouse".into()),
            weight_grams: 500,
        })
    );
    for duplicate in [false, true] {
        let resp = EcomExpress.sim_render(
            &op,
            &SimReply::Created {
                awb: awb.clone(),
                reference: "ORD-1001".into(),
                routing_code: "KA/BLR".into(),
                duplicate,
            },
        );
        let booking = EcomExpress
            .parse_create(&account(), &request, &resp)
            .unwrap();
        assert_eq!(booking.awb, awb, "duplicate={duplicate}");
    }
    let refused = EcomExpress.sim_render(
        &op,
        &SimReply::Error(SimError::new(
            SimErrorKind::Refused,
            "Ewaybill Data required!",
        )),
    );
    match EcomExpress.parse_create(&account(), &request, &refused) {
        Err(CarrierError::Rejected { message, .. }) => {
            assert_eq!(message, "Ewaybill Data required!")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn simulator_refuses_a_prepaid_with_cod() {
    let mut draft = cod_draft();
    draft.payment_mode = PaymentMode::Prepaid;
    let awb = EcomExpress.sim_awb(1);
    let request = CreateRequest {
        reference: "ORD-2",
        draft: &draft,
        awb: Some(&awb),
    };
    // The adapter sends 0 for prepaid whatever the draft says.
    let op = parse(&EcomExpress.build_create(&account(), &request).unwrap());
    match op {
        SimOp::Create(c) => {
            assert_eq!(c.payment_mode, PaymentMode::Prepaid);
            assert_eq!(c.cod_amount_minor, 0);
        }
        other => panic!("{other:?}"),
    }
}

fn sim_shipment(awb: &str, scans: Vec<SimScan>) -> SimShipment {
    SimShipment {
        awb: awb.into(),
        reference: format!("REF-{awb}"),
        payment_mode: PaymentMode::Prepaid,
        cod_amount_minor: 0,
        consignee_name: "Asha & Co <Rao>".into(),
        destination_postal_code: "560001".into(),
        attempts: 0,
        edd: Some(date(2024, 1, 9)),
        scans,
    }
}

/// One scan per entry of the status table, a minute apart.
fn every_code_scans() -> Vec<SimScan> {
    let start: Timestamp = "2024-01-05T04:30:00Z".parse().unwrap();
    STATUS_CODES
        .iter()
        .enumerate()
        .map(|(i, c)| SimScan {
            status: c.status,
            ndr_reason: c.ndr_reason,
            code: c.code,
            description: c.description,
            at: start + jiff::SignedDuration::from_mins(i as i64),
            location: "BENGALURU".into(),
        })
        .collect()
}

#[test]
fn track_round_trip_covers_every_status_code() {
    let a = EcomExpress.sim_awb(1);
    let b = EcomExpress.sim_awb(2);
    let op = parse(
        &EcomExpress
            .build_track(&account(), &[a.clone(), b.clone()])
            .unwrap(),
    );
    assert_eq!(
        op,
        SimOp::Track {
            awbs: vec![a.clone(), b.clone()],
            references: vec![]
        }
    );
    let scans = every_code_scans();
    let shipments = vec![sim_shipment(&a, scans.clone()), sim_shipment(&b, vec![])];
    let resp = EcomExpress.sim_render(&op, &SimReply::Tracked(shipments));
    let tracked = EcomExpress.parse_track(&resp).unwrap();
    assert_eq!(tracked.len(), 2);
    assert_eq!(tracked[0].awb, a);
    assert_eq!(
        tracked[0].reference.as_deref(),
        Some(format!("REF-{a}").as_str())
    );
    assert_eq!(tracked[0].carrier_edd, Some(date(2024, 1, 9)));
    // Ecom lists scans newest first.
    let parsed: Vec<_> = tracked[0].scans.iter().rev().collect();
    assert_eq!(parsed.len(), STATUS_CODES.len());
    for (scan, sent) in parsed.iter().zip(&scans) {
        assert_eq!(scan.code, sent.code);
        assert_eq!(scan.description, sent.description);
        assert_eq!(scan.status, Some(sent.status), "{}", sent.code);
        assert_eq!(scan.ndr_reason, sent.ndr_reason, "{}", sent.code);
        assert_eq!(scan.occurred_at, sent.at, "{}", sent.code);
        assert_eq!(scan.location.as_deref(), Some("BENGALURU"));
    }
    assert_eq!(tracked[1].awb, b);
    assert!(tracked[1].scans.is_empty());
}

#[test]
fn track_not_found_is_an_empty_answer() {
    let op = SimOp::Track {
        awbs: vec!["100000001".into()],
        references: vec![],
    };
    let resp = EcomExpress.sim_render(
        &op,
        &SimReply::Error(SimError::new(SimErrorKind::NotFound, "no such AWB")),
    );
    assert!(EcomExpress.parse_track(&resp).unwrap().is_empty());
}

#[test]
fn cancel_round_trip() {
    let awb = EcomExpress.sim_awb(5);
    let op = parse(&EcomExpress.build_cancel(&account(), &awb).unwrap());
    assert_eq!(op, SimOp::Cancel { awb: awb.clone() });
    let cancelled = EcomExpress.sim_render(&op, &SimReply::Cancelled { rto: false });
    assert_eq!(
        EcomExpress.parse_cancel(&cancelled).unwrap(),
        CancelOutcome::Cancelled
    );
    let rto = EcomExpress.sim_render(&op, &SimReply::Cancelled { rto: true });
    assert_eq!(
        EcomExpress.parse_cancel(&rto).unwrap(),
        CancelOutcome::RtoInitiated
    );
    let missing = EcomExpress.sim_render(
        &op,
        &SimReply::Error(SimError::new(SimErrorKind::NotFound, "x")),
    );
    match EcomExpress.parse_cancel(&missing) {
        Err(CarrierError::Rejected { code, .. }) => {
            assert_eq!(code.as_deref(), Some("INCORRECT_AIRWAYBILL_NUMBER"))
        }
        other => panic!("{other:?}"),
    }
    let refused = EcomExpress.sim_render(
        &op,
        &SimReply::Error(SimError::new(
            SimErrorKind::Refused,
            "Shipment already delivered",
        )),
    );
    assert!(matches!(
        EcomExpress.parse_cancel(&refused),
        Err(CarrierError::Rejected { .. })
    ));
}

#[test]
fn ndr_round_trip_for_each_instruction() {
    let awb = EcomExpress.sim_awb(9);
    let new_address = Address::parse(&address(
        "Asha Rao",
        "9812345678",
        "44 Residency Road",
        "Bengaluru",
        "Karnataka",
        "560025",
    ))
    .unwrap();
    let cases = [
        (NdrInstruction::Reattempt { date: None }, SimNdr::Reattempt),
        (
            NdrInstruction::Reattempt {
                date: Some(date(2024, 1, 6)),
            },
            SimNdr::Reattempt,
        ),
        (
            NdrInstruction::ChangeAddress {
                address: new_address,
            },
            SimNdr::ChangeAddress,
        ),
        (
            NdrInstruction::ChangePhone {
                phone: "9123456780".into(),
            },
            SimNdr::ChangePhone,
        ),
        (NdrInstruction::ReturnToOrigin, SimNdr::ReturnToOrigin),
    ];
    for (instruction, expected) in cases {
        let op = parse(
            &EcomExpress
                .build_ndr_action(&account(), &awb, &instruction)
                .unwrap(),
        );
        assert_eq!(
            op,
            SimOp::Ndr {
                awb: awb.clone(),
                instruction: expected
            }
        );
        let accepted = EcomExpress.sim_render(
            &op,
            &SimReply::NdrAccepted {
                request_id: "ignored".into(),
            },
        );
        assert_eq!(
            EcomExpress.parse_ndr_action(&accepted).unwrap(),
            NdrOutcome::Accepted
        );
        let refused = EcomExpress.sim_render(
            &op,
            &SimReply::Error(SimError::new(
                SimErrorKind::Refused,
                "Shipment is not in undelivered status",
            )),
        );
        match EcomExpress.parse_ndr_action(&refused) {
            Err(CarrierError::Rejected { message, .. }) => {
                assert_eq!(message, "Shipment is not in undelivered status")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn serviceability_round_trip() {
    let op = parse(
        &EcomExpress
            .build_serviceability(&account(), "560001")
            .unwrap(),
    );
    assert_eq!(
        op,
        SimOp::Serviceability {
            postal_code: "560001".into()
        }
    );
    let record = ServiceabilityRecord {
        postal_code: "560001".into(),
        prepaid: true,
        cod: true,
        pickup: true,
        reverse: false,
        oda: false,
        embargo: false,
        max_weight_grams: None,
        max_cod_minor: None,
        sort_code: Some("KA/BLR".into()),
    };
    let resp = EcomExpress.sim_render(&op, &SimReply::Serviceable(vec![record.clone()]));
    assert_eq!(
        EcomExpress.parse_serviceability(&resp).unwrap(),
        vec![record]
    );
    let none = EcomExpress.sim_render(&op, &SimReply::Serviceable(vec![]));
    assert!(EcomExpress.parse_serviceability(&none).unwrap().is_empty());
}

#[test]
fn unauthorized_answers_read_as_unauthorized_everywhere() {
    let unauthorized = SimReply::Error(SimError::new(
        SimErrorKind::Unauthorized,
        "Unauthorised Request",
    ));
    let draft = cod_draft();
    let request = CreateRequest {
        reference: "ORD-1001",
        draft: &draft,
        awb: Some("100000007"),
    };
    let ops = [
        SimOp::FetchAwbs { count: 1 },
        parse(&EcomExpress.build_create(&account(), &request).unwrap()),
        SimOp::Track {
            awbs: vec!["100000007".into()],
            references: vec![],
        },
        SimOp::Cancel {
            awb: "100000007".into(),
        },
        SimOp::Ndr {
            awb: "100000007".into(),
            instruction: SimNdr::Reattempt,
        },
        SimOp::Serviceability {
            postal_code: "560001".into(),
        },
    ];
    for op in &ops {
        let resp = EcomExpress.sim_render(op, &unauthorized);
        let err = match op {
            SimOp::FetchAwbs { .. } => EcomExpress.parse_fetch_awbs(&resp).err(),
            SimOp::Create(_) => EcomExpress.parse_create(&account(), &request, &resp).err(),
            SimOp::Track { .. } => EcomExpress.parse_track(&resp).err(),
            SimOp::Cancel { .. } => EcomExpress.parse_cancel(&resp).err(),
            SimOp::Ndr { .. } => EcomExpress.parse_ndr_action(&resp).err(),
            SimOp::Serviceability { .. } => EcomExpress.parse_serviceability(&resp).err(),
            _ => unreachable!(),
        };
        assert!(
            matches!(err, Some(CarrierError::Unauthorized { .. })),
            "{op:?}: {err:?}"
        );
    }
}

#[test]
fn simulator_rejects_missing_credentials_unknown_paths_and_bad_bodies() {
    let no_password = Account::for_test("ecom_express", "http://sim", &[("username", USER)]);
    // The adapter itself refuses to build without a password; forge the request.
    assert!(EcomExpress.build_fetch_awbs(&no_password, 1).is_err());
    let forged = HttpRequest::new(Method::Post, "/apiv2/fetch_awb/", "fetch_awbs").form(vec![
        ("username".into(), USER.into()),
        ("count".into(), "1".into()),
        ("type".into(), "PPD".into()),
    ]);
    let err = EcomExpress.sim_parse(&over_the_wire(&forged)).unwrap_err();
    assert_eq!(err.status, 401);
    assert!(matches!(
        EcomExpress.parse_fetch_awbs(&err),
        Err(CarrierError::Unauthorized { .. })
    ));

    let unknown = HttpRequest::new(Method::Post, "/apiv2/teleport/", "x").form(vec![]);
    assert_eq!(EcomExpress.sim_parse(&unknown).unwrap_err().status, 404);

    let bad_json = HttpRequest::new(Method::Post, "/apiv2/manifest_awb/", "create").form(vec![
        ("username".into(), USER.into()),
        ("password".into(), PASS.into()),
        ("json_input".into(), "[{not json".into()),
    ]);
    let err = EcomExpress
        .sim_parse(&over_the_wire(&bad_json))
        .unwrap_err();
    assert_eq!(err.status, 400);
    assert!(matches!(
        EcomExpress.parse_fetch_awbs(&err),
        Err(CarrierError::Rejected { .. })
    ));
}

#[test]
fn push_round_trip_for_every_status_code() {
    let scans = every_code_scans();
    let shipment = sim_shipment(&EcomExpress.sim_awb(3), scans.clone());
    let push = EcomExpress
        .sim_push(SECRET, &shipment, &scans)
        .expect("Ecom pushes");
    assert_eq!(push.method, Method::Post);
    let (ct, body) = push.body.encode();
    assert_eq!(ct, Some("application/json"));
    EcomExpress
        .verify_push(&account(), &push.headers, &body)
        .unwrap();
    assert!(
        EcomExpress
            .verify_push(
                &Account::for_test("ecom_express", "x", &[("webhook_secret", "other")]),
                &push.headers,
                &body
            )
            .is_err()
    );
    let tracked = EcomExpress.parse_push(&body).unwrap();
    assert_eq!(tracked.len(), 1);
    assert_eq!(tracked[0].awb, shipment.awb);
    assert_eq!(
        tracked[0].reference.as_deref(),
        Some(shipment.reference.as_str())
    );
    assert_eq!(tracked[0].scans.len(), scans.len());
    for (scan, sent) in tracked[0].scans.iter().zip(&scans) {
        assert_eq!(scan.code, sent.code);
        assert_eq!(scan.status, Some(sent.status));
        assert_eq!(scan.ndr_reason, sent.ndr_reason);
        assert_eq!(scan.occurred_at, sent.at);
    }
    // A single new scan is pushed as one object, as Ecom does.
    let one = EcomExpress
        .sim_push(SECRET, &shipment, &scans[..1])
        .unwrap();
    assert!(matches!(one.body, Body::Json(serde_json::Value::Object(_))));
    assert!(EcomExpress.sim_push(SECRET, &shipment, &[]).is_none());
}

#[test]
fn the_status_table_is_sound() {
    let mut codes: Vec<&str> = STATUS_CODES.iter().map(|c| c.code).collect();
    let n = codes.len();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), n, "codes are unique");
    for c in STATUS_CODES {
        assert!(!c.description.is_empty());
        assert_eq!(
            c.ndr_reason.is_some(),
            c.status == ShipmentStatus::DeliveryFailed,
            "{}: NDR reasons go with failed deliveries",
            c.code
        );
    }
    // The journey the simulator scripts has a code at every step.
    for status in [
        ShipmentStatus::Manifested,
        ShipmentStatus::PickupScheduled,
        ShipmentStatus::OutForPickup,
        ShipmentStatus::PickupFailed,
        ShipmentStatus::PickedUp,
        ShipmentStatus::InTransit,
        ShipmentStatus::AtDestinationHub,
        ShipmentStatus::OutForDelivery,
        ShipmentStatus::DeliveryFailed,
        ShipmentStatus::Delivered,
        ShipmentStatus::RtoRequested,
        ShipmentStatus::RtoInTransit,
        ShipmentStatus::RtoOutForDelivery,
        ShipmentStatus::RtoDelivered,
        ShipmentStatus::Lost,
        ShipmentStatus::Damaged,
    ] {
        assert!(STATUS_CODES.iter().any(|c| c.status == status), "{status}");
    }
    assert_eq!(EcomExpress.status_codes().len(), STATUS_CODES.len());
    assert_eq!(
        EcomExpress.capabilities(),
        &[
            Capability::Serviceability,
            Capability::CreateShipment,
            Capability::AwbPool,
            Capability::Cancel,
            Capability::NdrAction,
            Capability::TrackPull,
            Capability::TrackPush,
        ]
    );
}
