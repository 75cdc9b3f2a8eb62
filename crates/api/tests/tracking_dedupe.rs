//! The same scan reported twice, out of order, or by both push and pull is
//! one event, and the shipment's status is right.

mod common;

use std::time::Duration;

use common::{TestApp, problem, shipment_body, spawn_app};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use shipgate_carriers::adapter;
use shipgate_carriers::core::sim::{SimScan, SimShipment};
use shipgate_domain::{PaymentMode, ShipmentStatus};

async fn sandbox_shipment(
    app: &TestApp,
    carrier: &str,
    reference: &str,
) -> (String, String, String) {
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
    (
        account["id"].as_str().unwrap().to_string(),
        s["id"].as_str().unwrap().to_string(),
        s["awb"].as_str().unwrap().to_string(),
    )
}

async fn timeline(app: &TestApp, id: &str) -> Value {
    let response = app
        .get(&format!("/v1/shipments/{id}/events"), &app.key_a)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{id}'s events: {body}");
    body
}

async fn wait_for(app: &TestApp, id: &str, status: &str) -> Value {
    for _ in 0..100 {
        let t = timeline(app, id).await;
        if t["status"] == status {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} never reached {status}: {}", timeline(app, id).await);
}

#[tokio::test]
async fn repeated_and_reversed_pushes_are_one_event_each() {
    let app = spawn_app().await;
    let (account_id, id, awb) = sandbox_shipment(&app, "delhivery", "DEDUPE-1").await;
    let delhivery = adapter("delhivery").unwrap();
    let record = app
        .store
        .carrier_account(&app.tenant_a.id, &account_id)
        .await
        .unwrap()
        .unwrap();
    let secret = shipgate_api::service::carrier_accounts::credentials(&app.state, &record).unwrap()
        ["webhook_secret"]
        .expose()
        .to_string();
    let t0: Timestamp = "2025-03-01T04:30:00Z".parse().unwrap();
    let scan = |status: ShipmentStatus, hours: i64| {
        let code = delhivery
            .status_codes()
            .iter()
            .find(|c| c.status == status)
            .unwrap();
        SimScan {
            status,
            ndr_reason: None,
            code: code.code,
            description: code.description,
            at: t0 + SignedDuration::from_hours(hours),
            location: "Hub".into(),
        }
    };
    let scans = [
        scan(ShipmentStatus::PickedUp, 1),
        scan(ShipmentStatus::InTransit, 5),
        scan(ShipmentStatus::OutForDelivery, 30),
    ];
    let shipment = SimShipment {
        awb: awb.clone(),
        reference: "DEDUPE-1".into(),
        payment_mode: PaymentMode::Cod,
        cod_amount_minor: 149_900,
        consignee_name: "Asha Rao".into(),
        destination_postal_code: "560001".into(),
        scans: scans.to_vec(),
        attempts: 0,
        edd: None,
    };
    let post = |scans: &[SimScan]| {
        let request = delhivery.sim_push(&secret, &shipment, scans).unwrap();
        let (content_type, body) = request.body.encode();
        let mut builder = app
            .client
            .post(app.url(&format!("/hooks/carriers/{account_id}")))
            .body(body)
            .header("content-type", content_type.unwrap());
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        builder.send()
    };
    // Newest first, one at a time, then the whole batch again.
    for s in scans.iter().rev() {
        assert_eq!(post(std::slice::from_ref(s)).await.unwrap().status(), 200);
    }
    assert_eq!(post(&scans).await.unwrap().status(), 200);
    wait_for(&app, &id, "out_for_delivery").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = timeline(&app, &id).await;
    let pushed: Vec<_> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        // (The sandbox itself also pushes its own manifest scan for this AWB.)
        .filter(|e| e["source"] == "carrier_push" && e["status"] != "manifested")
        .collect();
    assert_eq!(pushed.len(), 3, "three scans, each once: {pushed:?}");
    let order: Vec<_> = pushed
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["picked_up", "in_transit", "out_for_delivery"],
        "ordered by when they happened"
    );
    assert!(pushed.iter().all(|e| e["applied"] == true));

    // A push that does not authenticate, or cannot be read, changes nothing.
    let r = app
        .client
        .post(app.url(&format!("/hooks/carriers/{account_id}")))
        .header("content-type", "application/json")
        .body("{\"Shipment\":")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let r = app
        .client
        .post(app.url(&format!("/hooks/carriers/{account_id}")))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 401).await["code"], "unauthorized");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = timeline(&app, &id).await;
    let ours = |t: &Value| {
        t["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["status"] != "manifested")
            .count()
    };
    assert_eq!(ours(&after), ours(&t));
    assert_eq!(after["status"], "out_for_delivery");
}

#[tokio::test]
async fn a_scan_seen_by_push_and_by_pull_is_one_event_for_every_carrier() {
    use shipgate_carriers::core::Capability;
    let app = spawn_app().await;
    let both: Vec<&str> = shipgate_carriers::adapters()
        .iter()
        .filter(|a| {
            let caps = a.capabilities();
            caps.contains(&Capability::TrackPush) && caps.contains(&Capability::TrackPull)
        })
        .map(|a| a.carrier())
        .collect();
    assert!(both.len() >= 3, "{both:?}");
    for carrier in both {
        // Some carriers push one vocabulary and answer tracking calls in
        // another (Xpressbees: "delivered" pushed, `DL` polled).
        let (_, id, _) = sandbox_shipment(&app, carrier, &format!("DEDUPE-2-{carrier}")).await;
        app.simulator.advance(SignedDuration::from_hours(45));
        // The sandbox pushes the journey…
        wait_for(&app, &id, "delivered").await;
        // …and a poll then reports the same scans.
        let requests_before = app.simulator.stats()["requests"].as_u64().unwrap();
        app.store
            .schedule_poll(&id, Some(Timestamp::now() - SignedDuration::from_secs(1)))
            .await
            .unwrap();
        assert_eq!(
            shipgate_api::service::tracking::enqueue_due_polls(&app.state, 10)
                .await
                .unwrap(),
            1,
            "{carrier}"
        );
        for _ in 0..100 {
            if app.simulator.stats()["requests"].as_u64().unwrap() > requests_before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            app.simulator.stats()["requests"].as_u64().unwrap() > requests_before,
            "{carrier}: the poll reached the carrier"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = timeline(&app, &id).await;
        // Some carriers push only the latest scan and answer tracking calls
        // with the whole history, so the pull may add scans; it must not add
        // one the push already brought.
        let events = after["events"].as_array().unwrap();
        let instants = |source: &str| -> Vec<(String, String)> {
            events
                .iter()
                .filter(|e| e["source"] == source)
                .map(|e| (e["status"].to_string(), e["occurred_at"].to_string()))
                .collect()
        };
        let (pushed, pulled) = (instants("carrier_push"), instants("carrier_pull"));
        assert!(!pushed.is_empty(), "{carrier}: nothing pushed: {after}");
        assert!(
            pulled.iter().all(|scan| !pushed.contains(scan)),
            "{carrier}: the pull repeated a pushed scan: {after}"
        );
        let delivered = events.iter().filter(|e| e["status"] == "delivered").count();
        assert_eq!(delivered, 1, "{carrier}: {after}");
        assert_eq!(after["status"], "delivered", "{carrier}");
    }
}
