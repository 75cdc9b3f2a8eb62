//! Cancellations and NDR actions against the sandbox carriers.

mod common;

use common::{advance, booked, problem, shipment_body, spawn_app, status_becomes};
use jiff::SignedDuration;
use serde_json::{Value, json};

#[tokio::test]
async fn cancel_before_pickup_cancels_and_in_transit_returns() {
    let app = spawn_app().await;
    let early = booked(&app, "delhivery", "CXL-EARLY").await;
    let cancel = |id: &str| {
        app.post(&format!("/v1/shipments/{id}/cancel"), &app.key_a)
            .json(&json!({"reason": "customer changed their mind"}))
            .send()
    };
    let s: Value = cancel(&early).await.unwrap().json().await.unwrap();
    assert_eq!(s["status"], "cancelled");
    // Again: unchanged, not an error.
    let again = cancel(&early).await.unwrap();
    assert_eq!(again.status(), 200);

    let moving = booked(&app, "delhivery", "CXL-MOVING").await;
    app.simulator.advance(SignedDuration::from_hours(13));
    status_becomes(&app, &moving, "in_transit").await;
    let s: Value = cancel(&moving).await.unwrap().json().await.unwrap();
    assert_eq!(s["status"], "rto_requested");
    app.simulator.advance(SignedDuration::from_hours(60));
    status_becomes(&app, &moving, "rto_delivered").await;
    let r = cancel(&moving).await.unwrap();
    assert_eq!(problem(r, 409).await["code"], "cannot_cancel");

    // DTDC refuses once the parcel moves: the carrier's answer comes back.
    let dtdc = booked(&app, "dtdc", "CXL-DTDC").await;
    app.simulator.advance(SignedDuration::from_hours(13));
    let r = cancel(&dtdc).await.unwrap();
    assert_eq!(problem(r, 422).await["code"], "carrier_rejected");

    let fleet = app.create_shipment("CXL-FLEET").await;
    let s: Value = cancel(fleet["id"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["status"], "cancelled");
    let r = app
        .post(&format!("/v1/shipments/{early}/cancel"), &app.key_b)
        .json(&json!({"reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 404).await["code"], "not_found");
    let r = app
        .post(&format!("/v1/shipments/{early}/cancel"), &app.key_a)
        .json(&json!({"reason": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "reason");
}

#[tokio::test]
async fn ndr_queue_and_reattempt_through_the_carrier() {
    let app = spawn_app().await;
    let id = booked(&app, "delhivery", "NDR-sim-ndr-delivered").await;
    let r = app
        .post(&format!("/v1/shipments/{id}/ndr-actions"), &app.key_a)
        .json(&json!({"action": "reattempt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 409).await["code"], "not_in_ndr");

    app.simulator.advance(SignedDuration::from_hours(45));
    let failed = status_becomes(&app, &id, "delivery_failed").await;
    assert_eq!(
        (
            failed["ndr_reason"].as_str(),
            failed["failed_attempts"].as_u64()
        ),
        (Some("customer_unavailable"), Some(1))
    );
    let queue: Value = app
        .get("/v1/ndr?reason=customer_unavailable", &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queue["data"].as_array().unwrap().len(), 1);
    let none: Value = app
        .get("/v1/ndr?min_attempts=2", &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(none["data"].as_array().unwrap().is_empty());
    let other: Value = app
        .get("/v1/ndr", &app.key_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(other["data"].as_array().unwrap().is_empty());

    let r = app
        .post(&format!("/v1/shipments/{id}/ndr-actions"), &app.key_a)
        .json(&json!({"action": "change_phone", "phone": "12"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "phone");
    let r = app
        .post(&format!("/v1/shipments/{id}/ndr-actions"), &app.key_a)
        .json(&json!({"action": "reattempt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let result: Value = r.json().await.unwrap();
    assert_eq!(result["outcome"], "accepted", "{result}");
    app.simulator.advance(SignedDuration::from_hours(25));
    status_becomes(&app, &id, "delivered").await;
}

#[tokio::test]
async fn modifications_are_validated_pushed_to_the_carrier_and_recorded() {
    let app = spawn_app().await;
    let fleet = app.create_shipment("MOD-1").await;
    let id = fleet["id"].as_str().unwrap();
    let patch = |id: &str, body: Value| {
        app.client
            .patch(app.url(&format!("/v1/shipments/{id}")))
            .bearer_auth(&app.key_a)
            .json(&body)
            .send()
    };
    let s: Value = patch(
        id,
        json!({"phone": "+91 99887 76655", "payment_mode": "prepaid"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        (s["consignee"]["phone"].as_str(), s["payment_mode"].as_str()),
        (Some("+919988776655"), Some("prepaid"))
    );
    assert!(s.get("cod_amount").is_none());
    let zpl = app
        .get(&format!("/v1/shipments/{id}/label?format=zpl"), &app.key_a)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        zpl.contains("9988776655") && zpl.contains("PREPAID"),
        "the label shows the change"
    );
    let changes: Value = app
        .get(&format!("/v1/shipments/{id}/changes"), &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changes.as_array().unwrap().len(), 1);
    assert_eq!(changes[0]["changes"]["phone"]["to"], "+919988776655");
    assert!(
        changes[0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("api_key:")
    );

    let r = patch(id, json!({"phone": "123"})).await.unwrap();
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "phone");
    let r = patch(id, json!({"payment_mode": "cod"})).await.unwrap();
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "cod_amount");
    let r = patch(id, json!({})).await.unwrap();
    assert_eq!(problem(r, 422).await["code"], "validation_failed");
    let r = app
        .client
        .patch(app.url(&format!("/v1/shipments/{id}")))
        .bearer_auth(&app.key_b)
        .json(&json!({"phone": "9812345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 404).await["code"], "not_found");

    // Through a carrier that accepts edits.
    let delhivery = booked(&app, "delhivery", "MOD-DEL").await;
    let mut address = shipment_body("x")["consignee"].clone();
    address["line1"] = json!("44 Residency Road");
    let s: Value = patch(&delhivery, json!({"consignee": address}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["consignee"]["line1"], "44 Residency Road");
    // One that does not: Shipgate's copy stays as it was.
    let ekart = booked(&app, "ekart", "MOD-EKART").await;
    let r = patch(&ekart, json!({"phone": "9812345670"})).await.unwrap();
    assert_eq!(problem(r, 422).await["code"], "unsupported_operation");
    let unchanged: Value = app
        .get(&format!("/v1/shipments/{ekart}"), &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged["consignee"]["phone"], "+919812345678");

    // Too late once delivered.
    let awb = fleet["awb"].as_str().unwrap();
    app.scan(awb, "picked_up", "2025-03-01T10:00:00Z").await;
    app.scan(awb, "delivered", "2025-03-02T10:00:00Z").await;
    let r = patch(id, json!({"phone": "9812345678"})).await.unwrap();
    assert_eq!(problem(r, 409).await["code"], "cannot_modify");
}

#[tokio::test]
async fn every_carrier_cancels_before_pickup_and_returns_or_refuses_in_transit() {
    let app = spawn_app().await;
    let cancel = |id: String| {
        app.post(&format!("/v1/shipments/{id}/cancel"), &app.key_a)
            .json(&json!({"reason": "customer cancelled"}))
            .send()
    };
    for (i, adapter) in shipgate_carriers::adapters().into_iter().enumerate() {
        let carrier = adapter.carrier();
        let early = booked(&app, carrier, &format!("CXL-E{i}")).await;
        let s: Value = cancel(early.clone()).await.unwrap().json().await.unwrap();
        assert_eq!(s["status"], "cancelled", "{carrier}: {s}");

        let moving = booked(&app, carrier, &format!("CXL-M{i}")).await;
        advance(&app, &moving, 13).await;
        status_becomes(&app, &moving, "in_transit").await;
        let r = cancel(moving.clone()).await.unwrap();
        if adapter.sim_cancel_after_pickup_returns() {
            let s: Value = r.json().await.unwrap();
            assert_eq!(s["status"], "rto_requested", "{carrier}: {s}");
            advance(&app, &moving, 53).await;
            // A carrier whose table has no code for it cannot report the return's end.
            if adapter
                .status_codes()
                .iter()
                .any(|c| c.status == shipgate_domain::ShipmentStatus::RtoDelivered)
            {
                status_becomes(&app, &moving, "rto_delivered").await;
            } else {
                println!("{carrier}: no RTO-delivered code in its table");
            }
        } else {
            assert_eq!(
                problem(r, 422).await["code"],
                "carrier_rejected",
                "{carrier}"
            );
        }
    }
}

#[tokio::test]
async fn delivery_instructions_and_preferred_day_are_validated_and_recorded() {
    let app = spawn_app().await;
    let fleet = app.create_shipment("PREF-1").await;
    let id = fleet["id"].as_str().unwrap();
    let patch = |id: &str, body: Value| {
        app.patch(&format!("/v1/shipments/{id}"), &app.key_a)
            .json(&body)
            .send()
    };
    let today = shipgate_api::service::ndr::today();
    let tomorrow = today.tomorrow().unwrap().to_string();
    let s: Value = patch(
        id,
        json!({"delivery_instructions": "  Leave with the security desk ", "preferred_delivery_date": tomorrow}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        s["delivery"],
        json!({"instructions": "Leave with the security desk", "preferred_date": tomorrow})
    );
    let changes: Value = app
        .get_json(&format!("/v1/shipments/{id}/changes"), &app.key_a)
        .await;
    assert_eq!(
        changes[0]["changes"]["preferred_delivery_date"],
        json!({"from": null, "to": tomorrow})
    );
    assert!(
        changes[0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("api_key:")
    );

    let far = today.checked_add(jiff::Span::new().days(30)).unwrap();
    for (body, field, code) in [
        (
            json!({"preferred_delivery_date": "2020-01-01"}),
            "preferred_delivery_date",
            "in_past",
        ),
        (
            json!({"preferred_delivery_date": far.to_string()}),
            "preferred_delivery_date",
            "outside_window",
        ),
        (
            json!({"delivery_instructions": "ring\nthe bell"}),
            "delivery_instructions",
            "invalid_characters",
        ),
        (
            json!({"delivery_instructions": "x".repeat(201)}),
            "delivery_instructions",
            "too_long",
        ),
    ] {
        let p = problem(patch(id, body).await.unwrap(), 422).await;
        assert_eq!(
            (
                p["errors"][0]["field"].as_str(),
                p["errors"][0]["code"].as_str()
            ),
            (Some(field), Some(code))
        );
    }
    // Clearing the instructions is a change too.
    let s: Value = patch(id, json!({"delivery_instructions": ""}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["delivery"], json!({"preferred_date": tomorrow}));

    // No built-in carrier's edit API takes them: refused, nothing changes.
    let delhivery = booked(&app, "delhivery", "PREF-DEL").await;
    let r = patch(&delhivery, json!({"delivery_instructions": "Call first"}))
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["code"], "unsupported_operation");
    let unchanged: Value = app
        .get_json(&format!("/v1/shipments/{delhivery}"), &app.key_a)
        .await;
    assert!(unchanged.get("delivery").is_none());
}
