//! Every operation through the simulator's side: `sim_parse(build_x(..))` is
//! the expected `SimOp`, and `parse_x(sim_render(op, reply))` gives back what
//! the simulator meant.

mod common;

use common::*;
use jiff::Timestamp;
use jiff::civil::date;
use shipgate_carrier_core::http::Body;
use shipgate_carrier_core::sim::*;
use shipgate_carrier_core::*;
use shipgate_carrier_ekart::Ekart;
use shipgate_carrier_ekart::status::{NDR_CODES, STATUS_CODES, TRACK_CODES};
use shipgate_domain::{NdrReason, PaymentMode, ShipmentStatus};

/// What the simulator receives: the body as bytes, decoded by content type.
fn over_the_wire(request: &HttpRequest) -> HttpRequest {
    let (content_type, bytes) = request.body.encode();
    HttpRequest {
        body: Body::decode(content_type, &bytes),
        ..request.clone()
    }
}

fn parse(request: &HttpRequest) -> Result<SimOp, HttpResponse> {
    Ekart.sim_parse(&over_the_wire(request))
}

fn error_code(response: &HttpResponse) -> String {
    let v: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    v["message"].as_str().unwrap().to_string()
}

#[test]
fn login_round_trip() {
    let request = Ekart.build_login(&account()).unwrap();
    assert_eq!(parse(&request), Ok(SimOp::Login));
    let token = Ekart
        .parse_login(
            &account(),
            &Ekart.sim_render(
                &SimOp::Login,
                &SimReply::Token {
                    token: "sim-token".into(),
                },
            ),
        )
        .unwrap();
    assert_eq!(token.value.expose(), "sim-token");
    assert_eq!(
        token.expires_in,
        Some(std::time::Duration::from_secs(86_400))
    );

    // A missing password is refused the way Ekart refuses credentials.
    let mut blank = request.clone();
    blank.body = Body::Json(serde_json::json!({"username": "ops@example.in", "password": ""}));
    let refused = parse(&blank).unwrap_err();
    assert_eq!(refused.status, 401);
    assert!(matches!(
        Ekart.parse_login(&account(), &refused),
        Err(CarrierError::Unauthorized { .. })
    ));
}

#[test]
fn calls_without_a_token_are_refused() {
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
    for headers in [
        vec![],
        vec![("Authorization".to_string(), "Bearer ".to_string())],
    ] {
        let mut anonymous = request.clone();
        anonymous.headers = headers;
        let refused = parse(&anonymous).unwrap_err();
        assert_eq!(refused.status, 401);
        assert!(matches!(
            Ekart.parse_create(
                &account(),
                &CreateRequest {
                    reference: "ORD-100",
                    draft: &draft,
                    awb: None
                },
                &refused
            ),
            Err(CarrierError::Unauthorized { .. })
        ));
    }
    for request in [
        Ekart.build_cancel(&account(), AWB).unwrap(),
        Ekart.build_label(&account(), AWB).unwrap(),
        Ekart.build_serviceability(&account(), "560001").unwrap(),
        Ekart
            .build_ndr_action_on(&account(), AWB, &NdrInstruction::ReturnToOrigin, today())
            .unwrap(),
    ] {
        let mut anonymous = request.clone();
        anonymous.headers.clear();
        assert_eq!(
            parse(&anonymous).unwrap_err().status,
            401,
            "{}",
            request.path
        );
    }
    // Tracking is open.
    let mut track = Ekart.build_track(&account(), &[AWB.into()]).unwrap();
    track.headers.clear();
    assert!(parse(&track).is_ok());
}

#[test]
fn unknown_paths_and_methods_are_not_implemented() {
    for (method, path) in [
        (Method::Get, "/api/v1/nowhere"),
        (Method::Get, "/api/v1/package/create"),
        (Method::Post, "/api/v1/track/X1"),
        // The simulator has no rate operation (no `SimOp` for it).
        (Method::Post, "/data/pricing/estimate"),
    ] {
        let request = HttpRequest::new(method, path, "test").header("Authorization", "Bearer t");
        let answer = parse(&request).unwrap_err();
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(error_code(&answer), "PATH_NOT_IMPLEMENTED");
    }
}

#[test]
fn create_round_trip() {
    let draft = cod_draft();
    let create = CreateRequest {
        reference: "ORD-100",
        draft: &draft,
        awb: None,
    };
    let op = parse(&Ekart.build_create_on(&account(), &create, today()).unwrap()).unwrap();
    assert_eq!(
        op,
        SimOp::Create(SimCreate {
            reference: "ORD-100".into(),
            awb: None,
            payment_mode: PaymentMode::Cod,
            cod_amount_minor: 115_000,
            consignee_name: "Rahul Sharma".into(),
            consignee_postal_code: "122002".into(),
            pickup_location: Some("Asha Rao".into()),
            weight_grams: 1200,
        })
    );
    let awb = Ekart.sim_awb(42);
    let created = SimReply::Created {
        awb: awb.clone(),
        reference: "ORD-100".into(),
        routing_code: "GGN/SEC45".into(),
        duplicate: false,
    };
    let booking = Ekart
        .parse_create(&account(), &create, &Ekart.sim_render(&op, &created))
        .unwrap();
    assert_eq!(booking.awb, awb);
    assert_eq!(booking.carrier_reference.as_deref(), Some(awb.as_str()));

    // Ekart documents no de-duplication: a repeat is refused, never a second booking.
    let duplicate = SimReply::Created {
        awb,
        reference: "ORD-100".into(),
        routing_code: String::new(),
        duplicate: true,
    };
    assert!(matches!(
        Ekart.parse_create(&account(), &create, &Ekart.sim_render(&op, &duplicate)),
        Err(CarrierError::Rejected { code: Some(c), .. }) if c == "SWIFT_VALIDATION_EXCEPTION"
    ));
    for kind in [
        SimErrorKind::Invalid,
        SimErrorKind::Refused,
        SimErrorKind::NotFound,
    ] {
        let answer = Ekart.sim_render(&op, &SimReply::Error(SimError::new(kind, "no such pickup")));
        assert!(
            matches!(
                Ekart.parse_create(&account(), &create, &answer),
                Err(CarrierError::Rejected { message, .. }) if message == "no such pickup"
            ),
            "{kind:?}"
        );
    }
}

#[test]
fn prepaid_create_with_an_alias_round_trip() {
    let draft = prepaid_draft();
    let create = CreateRequest {
        reference: "ORD-101",
        draft: &draft,
        awb: None,
    };
    let op = parse(
        &Ekart
            .build_create_on(&alias_account(), &create, today())
            .unwrap(),
    )
    .unwrap();
    let SimOp::Create(c) = op else {
        panic!("{op:?}")
    };
    assert_eq!(c.payment_mode, PaymentMode::Prepaid);
    assert_eq!(c.cod_amount_minor, 0);
    assert_eq!(c.pickup_location.as_deref(), Some("BLR-WH-1"));
    assert_eq!(c.weight_grams, 450);
}

#[test]
fn malformed_creates_are_refused_in_ekarts_format() {
    let draft = cod_draft();
    let good = Ekart
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
    let Body::Json(body) = &good.body else {
        panic!()
    };
    for field in [
        "order_number",
        "consignee_name",
        "drop_location",
        "weight",
        "payment_mode",
    ] {
        let mut broken = body.clone();
        broken.as_object_mut().unwrap().remove(field);
        let mut request = good.clone();
        request.body = Body::Json(broken);
        let answer = parse(&request).unwrap_err();
        assert_eq!(answer.status, 400, "{field}");
        assert_eq!(error_code(&answer), "SWIFT_VALIDATION_EXCEPTION", "{field}");
    }
    let mut garbage = good.clone();
    garbage.body = Body::Xml("{not json".into());
    assert_eq!(
        error_code(&parse(&garbage).unwrap_err()),
        "SWIFT_MALFORMED_INPUT_EXCEPTION"
    );
}

fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

fn sim_scan(code: &shipgate_carrier_core::StatusCode, at: Timestamp) -> SimScan {
    SimScan {
        status: code.status,
        ndr_reason: code.ndr_reason,
        code: code.code,
        description: code.description,
        at,
        location: "Gurugram Hub".into(),
    }
}

fn shipment(scans: Vec<SimScan>) -> SimShipment {
    SimShipment {
        awb: Ekart.sim_awb(7),
        reference: "ORD-100".into(),
        payment_mode: PaymentMode::Cod,
        cod_amount_minor: 115_000,
        consignee_name: "Rahul Sharma".into(),
        destination_postal_code: "122002".into(),
        scans,
        attempts: 2,
        edd: Some(date(2024, 1, 8)),
    }
}

fn track(shipment: &SimShipment) -> TrackedShipment {
    let op = parse(
        &Ekart
            .build_track(&account(), std::slice::from_ref(&shipment.awb))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        op,
        SimOp::Track {
            awbs: vec![shipment.awb.clone()],
            references: vec![]
        }
    );
    let mut tracked = Ekart
        .parse_track(&Ekart.sim_render(&op, &SimReply::Tracked(vec![shipment.clone()])))
        .unwrap();
    assert_eq!(tracked.len(), 1);
    tracked.remove(0)
}

#[test]
fn track_round_trip_of_a_whole_journey() {
    let journey: Vec<SimScan> = TRACK_CODES
        .iter()
        .enumerate()
        .map(|(i, c)| sim_scan(c, ts(1_704_400_000 + 3_600 * i as i64)))
        .collect();
    let sent = shipment(journey.clone());
    let got = track(&sent);
    assert_eq!(got.awb, sent.awb);
    assert_eq!(got.reference.as_deref(), Some("ORD-100"));
    assert_eq!(got.attempts, Some(2));
    assert_eq!(got.carrier_edd, Some(date(2024, 1, 8)));
    assert_eq!(got.scans.len(), journey.len());
    for (scan, meant) in got.scans.iter().zip(&journey) {
        assert_eq!(scan.code, meant.code);
        assert_eq!(scan.status, Some(meant.status), "{}", meant.code);
        assert_eq!(scan.ndr_reason, meant.ndr_reason, "{}", meant.code);
        assert_eq!(scan.occurred_at, meant.at);
        assert_eq!(scan.location.as_deref(), Some("Gurugram Hub"));
        assert!(
            scan.description.starts_with(meant.description),
            "{}",
            scan.description
        );
    }
}

#[test]
fn every_status_code_of_the_table_round_trips_through_tracking() {
    for code in STATUS_CODES {
        let at = ts(1_704_449_100);
        let got = track(&shipment(vec![sim_scan(code, at)]));
        assert_eq!(got.scans.len(), 1, "{}", code.code);
        let scan = &got.scans[0];
        assert_eq!(scan.status, Some(code.status), "{}", code.code);
        assert_eq!(scan.ndr_reason, code.ndr_reason, "{}", code.code);
        assert_eq!(scan.occurred_at, at);
        if NDR_CODES.iter().any(|n| n.code == code.code) {
            // An NDR status rides on the tracking status it qualifies, and its text is kept.
            assert!(
                TRACK_CODES.iter().any(|t| t.code == scan.code),
                "{}",
                scan.code
            );
            assert!(scan.description.contains(code.code), "{}", scan.description);
        } else {
            assert_eq!(scan.code, code.code);
        }
    }
}

#[test]
fn every_ndr_reason_the_simulator_can_mean_survives() {
    let undelivered = TRACK_CODES
        .iter()
        .find(|c| c.code == "Undelivered")
        .unwrap();
    for reason in NdrReason::ALL {
        let mut scan = sim_scan(undelivered, ts(1_704_449_100));
        scan.ndr_reason = Some(*reason);
        let got = track(&shipment(vec![scan]));
        let expressible = NDR_CODES.iter().any(|c| c.ndr_reason == Some(*reason));
        let expected = if expressible {
            *reason
        } else {
            NdrReason::Unknown
        };
        assert_eq!(got.scans[0].ndr_reason, Some(expected), "{reason:?}");
        assert_eq!(got.scans[0].status, Some(ShipmentStatus::DeliveryFailed));
    }
}

#[test]
fn tracking_an_unknown_shipment_finds_nothing() {
    let op = SimOp::Track {
        awbs: vec!["NOPE".into()],
        references: vec![],
    };
    assert_eq!(
        Ekart
            .parse_track(&Ekart.sim_render(&op, &SimReply::Tracked(vec![])))
            .unwrap(),
        vec![]
    );
    let not_found = SimReply::Error(SimError::new(SimErrorKind::NotFound, "no such shipment"));
    assert_eq!(
        Ekart
            .parse_track(&Ekart.sim_render(&op, &not_found))
            .unwrap(),
        vec![]
    );
}

#[test]
fn label_round_trip() {
    let op = parse(&Ekart.build_label(&account(), AWB).unwrap()).unwrap();
    assert_eq!(op, SimOp::Label { awb: AWB.into() });
    let pdf = b"%PDF-1.7\n1 0 obj\n".to_vec();
    let answer = Ekart.sim_render(
        &op,
        &SimReply::Label {
            awb: AWB.into(),
            pdf: pdf.clone(),
        },
    );
    assert_eq!(Ekart.parse_label(&answer), Ok(LabelDocument::Pdf(pdf)));
}

#[test]
fn cancel_round_trip() {
    let op = parse(&Ekart.build_cancel(&account(), AWB).unwrap()).unwrap();
    assert_eq!(op, SimOp::Cancel { awb: AWB.into() });
    assert_eq!(
        Ekart.parse_cancel(&Ekart.sim_render(&op, &SimReply::Cancelled { rto: false })),
        Ok(CancelOutcome::Cancelled)
    );
    assert_eq!(
        Ekart.parse_cancel(&Ekart.sim_render(&op, &SimReply::Cancelled { rto: true })),
        Ok(CancelOutcome::RtoInitiated)
    );
    let refused = SimReply::Error(SimError::new(
        SimErrorKind::Refused,
        "Shipment already delivered",
    ));
    assert_eq!(
        Ekart.parse_cancel(&Ekart.sim_render(&op, &refused)),
        Err(CarrierError::rejected(
            "ekart",
            "Shipment already delivered"
        ))
    );
    let missing = SimReply::Error(SimError::new(SimErrorKind::NotFound, "no such shipment"));
    assert!(matches!(
        Ekart.parse_cancel(&Ekart.sim_render(&op, &missing)),
        Err(CarrierError::Rejected { code: Some(c), .. }) if c == "SWIFT_RESOURCE_NOT_FOUND_EXCEPTION"
    ));
}

#[test]
fn ndr_round_trip() {
    let cases = [
        (NdrInstruction::Reattempt { date: None }, SimNdr::Reattempt),
        (
            NdrInstruction::Reattempt {
                date: Some(date(2024, 1, 10)),
            },
            SimNdr::Reattempt,
        ),
        (NdrInstruction::ReturnToOrigin, SimNdr::ReturnToOrigin),
        (
            NdrInstruction::ChangePhone {
                phone: "9988776655".into(),
            },
            SimNdr::ChangePhone,
        ),
        (
            NdrInstruction::ChangeAddress {
                address: new_address(),
            },
            SimNdr::ChangeAddress,
        ),
    ];
    for (instruction, meant) in cases {
        let request = Ekart
            .build_ndr_action_on(&account(), AWB, &instruction, today())
            .unwrap();
        let op = parse(&request).unwrap();
        assert_eq!(
            op,
            SimOp::Ndr {
                awb: AWB.into(),
                instruction: meant
            }
        );
        let accepted = SimReply::NdrAccepted {
            request_id: "sim-1".into(),
        };
        assert_eq!(
            Ekart.parse_ndr_action(&Ekart.sim_render(&op, &accepted)),
            Ok(NdrOutcome::Accepted)
        );
        let refused = SimReply::Error(SimError::new(SimErrorKind::Refused, "not in NDR"));
        assert_eq!(
            Ekart.parse_ndr_action(&Ekart.sim_render(&op, &refused)),
            Err(CarrierError::rejected("ekart", "not in NDR"))
        );
    }
    // A re-attempt without its date is refused, as the spec requires one.
    let request = HttpRequest::new(Method::Post, "/api/v2/package/ndr", "ndr_action")
        .header("Authorization", "Bearer t")
        .json(serde_json::json!({"action": "Re-Attempt", "wbn": AWB}));
    assert_eq!(parse(&request).unwrap_err().status, 400);
}

#[test]
fn serviceability_round_trip() {
    let op = parse(&Ekart.build_serviceability(&account(), "560008").unwrap()).unwrap();
    assert_eq!(
        op,
        SimOp::Serviceability {
            postal_code: "560008".into()
        }
    );
    let records = vec![ServiceabilityRecord {
        postal_code: "560008".into(),
        prepaid: true,
        cod: true,
        pickup: true,
        reverse: false,
        oda: false,
        embargo: false,
        max_weight_grams: None,
        max_cod_minor: Some(2_500_000),
        sort_code: None,
    }];
    assert_eq!(
        Ekart
            .parse_serviceability(&Ekart.sim_render(&op, &SimReply::Serviceable(records.clone())))
            .unwrap(),
        records
    );
    assert_eq!(
        Ekart
            .parse_serviceability(&Ekart.sim_render(&op, &SimReply::Serviceable(vec![])))
            .unwrap(),
        vec![]
    );
    let unauthorized = SimReply::Error(SimError::new(SimErrorKind::Unauthorized, "token expired"));
    assert!(matches!(
        Ekart.parse_serviceability(&Ekart.sim_render(&op, &unauthorized)),
        Err(CarrierError::Unauthorized { message, .. }) if message == "token expired"
    ));
}

#[test]
fn push_round_trip_for_every_status_code() {
    let account = account();
    for code in STATUS_CODES {
        let scans = vec![
            sim_scan(&TRACK_CODES[0], ts(1_704_400_000)),
            sim_scan(code, ts(1_704_449_100)),
        ];
        let sent = shipment(scans.clone());
        let push = Ekart.sim_push(SECRET, &sent, &scans).expect("Ekart pushes");
        assert_eq!(push.method, Method::Post);
        let (_, body) = push.body.encode();
        assert_eq!(Ekart.verify_push(&account, &push.headers, &body), Ok(()));
        let mut wrong = account.clone();
        wrong.credentials.insert(
            "webhook_secret".into(),
            shipgate_carrier_core::account::Secret("another-secret".into()),
        );
        assert!(Ekart.verify_push(&wrong, &push.headers, &body).is_err());

        let got = Ekart.parse_push(&body).unwrap();
        assert_eq!(got.len(), 1);
        let t = &got[0];
        assert_eq!(t.awb, sent.awb);
        assert_eq!(t.reference.as_deref(), Some("ORD-100"));
        assert_eq!(t.attempts, Some(2));
        assert_eq!(t.carrier_edd, Some(date(2024, 1, 8)));
        // One update per push: the latest.
        assert_eq!(t.scans.len(), 1);
        assert_eq!(t.scans[0].status, Some(code.status), "{}", code.code);
        assert_eq!(t.scans[0].ndr_reason, code.ndr_reason, "{}", code.code);
        assert_eq!(t.scans[0].occurred_at, ts(1_704_449_100));
    }
    assert!(Ekart.sim_push(SECRET, &shipment(vec![]), &[]).is_none());
}

#[test]
fn sim_awbs_look_like_ekart_tracking_ids() {
    let a = Ekart.sim_awb(1);
    let b = Ekart.sim_awb(2);
    assert_ne!(a, b);
    assert_eq!(a, "500999EK0000001");
    assert!(a[..6].bytes().all(|c| c.is_ascii_digit()));
    assert!(a[6..8].bytes().all(|c| c.is_ascii_uppercase()));
    assert!(a[8..].bytes().all(|c| c.is_ascii_digit()));
}
