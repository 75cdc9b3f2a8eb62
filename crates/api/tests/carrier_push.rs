//! Carrier pushes end to end: the sandbox carrier pushes scans in its own
//! format to `/hooks/carriers/{account}`; Shipgate authenticates, stores them
//! raw, and the worker folds them into the shipment's timeline.

mod common;

use std::time::Duration;

use common::{problem, shipment_body, spawn_app};
use jiff::SignedDuration;
use serde_json::{Value, json};
use shipgate_carriers::adapters;
use shipgate_carriers::core::Capability;

#[tokio::test]
async fn sandbox_pushes_move_shipments_to_delivered() {
    let app = spawn_app().await;
    let pushing: Vec<_> = adapters()
        .into_iter()
        .filter(|a| a.capabilities().contains(&Capability::TrackPush))
        .collect();
    assert!(pushing.len() >= 4, "most carriers push");
    let mut shipments = Vec::new();
    for adapter in &pushing {
        let account: Value = app
            .post("/v1/carrier-accounts", &app.key_a)
            .json(&json!({"carrier": adapter.carrier(), "sandbox": true, "settings": {"pickup_location": "Main Warehouse", "extra": {"pickup_postcode": "110020", "customer_code": "SIM001", "origin_area": "DEL"}}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut body = shipment_body(&format!("PUSH-{}", adapter.carrier()));
        body.as_object_mut().unwrap().remove("carrier");
        body["carrier_account_id"] = account["id"].clone();
        let r = app
            .post("/v1/shipments", &app.key_a)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", adapter.carrier());
        let shipment: Value = r.json().await.unwrap();
        shipments.push((
            adapter.carrier(),
            shipment["id"].as_str().unwrap().to_string(),
        ));
    }
    app.simulator.advance(SignedDuration::from_hours(45));
    for (carrier, id) in shipments {
        let mut status = String::new();
        for _ in 0..100 {
            let s: Value = app
                .get(&format!("/v1/shipments/{id}"), &app.key_a)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            status = s["status"].as_str().unwrap().to_string();
            if status == "delivered" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, "delivered", "{carrier}: pushes were applied");
        let timeline: Value = app
            .get(&format!("/v1/shipments/{id}/events"), &app.key_a)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pushed: Vec<_> = timeline["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["source"] == "carrier_push")
            .collect();
        // Some carriers push every scan, others only the latest status.
        assert!(
            pushed.iter().any(|e| e["status"] == "delivered"),
            "{carrier}: the delivery arrived by push"
        );
        assert!(
            pushed
                .iter()
                .all(|e| e["carrier_code"].as_str().is_some_and(|c| !c.is_empty())),
            "{carrier}: raw codes kept"
        );
    }
}

#[tokio::test]
async fn bad_pushes_are_refused_and_nothing_panics() {
    let app = spawn_app().await;
    let account: Value = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": "delhivery", "sandbox": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = app.url(&format!(
        "/hooks/carriers/{}",
        account["id"].as_str().unwrap()
    ));
    let r = app
        .client
        .post(&url)
        .body("{\"Shipment\": {}}")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 401).await["code"], "unauthorized");
    let r = app
        .client
        .post(app.url("/hooks/carriers/ca_nope"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 404).await["code"], "not_found");
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
