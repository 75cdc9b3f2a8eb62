//! Cancellations and NDR actions against the sandbox carriers.

mod common;

use std::time::Duration;

use common::{TestApp, problem, shipment_body, spawn_app};
use jiff::SignedDuration;
use serde_json::{Value, json};

async fn booked(app: &TestApp, carrier: &str, reference: &str) -> String {
    let account: Value = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": carrier, "sandbox": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut body = shipment_body(reference);
    body.as_object_mut().unwrap().remove("carrier");
    body["carrier_account_id"] = account["id"].clone();
    let s: Value = app
        .post("/v1/shipments", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    s["id"].as_str().unwrap().to_string()
}

async fn status_becomes(app: &TestApp, id: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = app
            .get(&format!("/v1/shipments/{id}"), &app.key_a)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if last["status"] == status {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} never became {status}: {last}");
}

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
