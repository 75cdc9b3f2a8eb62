//! Pull tracking: shipments due for a poll are claimed, polled at the
//! carrier in its batch format, and their scans recorded.

mod common;

use std::time::Duration;

use common::{shipment_body, spawn_app};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use shipgate_api::service::tracking::enqueue_due_polls;

#[tokio::test]
async fn due_shipments_are_polled_to_delivered() {
    let app = spawn_app().await;
    // DTDC has no push: its scans only come by polling.
    let account: Value = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": "dtdc", "sandbox": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let mut body = shipment_body(&format!("PULL-{i}"));
        body.as_object_mut().unwrap().remove("carrier");
        body["carrier_account_id"] = account["id"].clone();
        let r = app
            .post("/v1/shipments", &app.key_a)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        ids.push(
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Nothing is due right after creation.
    assert_eq!(enqueue_due_polls(&app.state, 100).await.unwrap(), 0);

    app.simulator.advance(SignedDuration::from_hours(45));
    for id in &ids {
        app.store
            .schedule_poll(id, Some(Timestamp::now() - SignedDuration::from_secs(1)))
            .await
            .unwrap();
    }
    // DTDC tracks one consignment per call: one job per shipment.
    assert_eq!(enqueue_due_polls(&app.state, 100).await.unwrap(), 3);
    assert_eq!(
        enqueue_due_polls(&app.state, 100).await.unwrap(),
        0,
        "claimed shipments are not handed out twice"
    );
    for id in &ids {
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
        assert_eq!(status, "delivered");
        // The carrier's own facts are kept beside the scans.
        let s: Value = app
            .get(&format!("/v1/shipments/{id}"), &app.key_a)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            s["carrier_facts"]["edd"]
                .as_str()
                .is_some_and(|d| d.len() == 10),
            "carrier EDD kept: {}",
            s["carrier_facts"]
        );
        let timeline: Value = app
            .get(&format!("/v1/shipments/{id}/events"), &app.key_a)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            timeline["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["source"] == "carrier_pull" && e["status"] == "picked_up")
        );
    }
}
