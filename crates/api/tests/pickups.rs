//! Pickups and end-of-day manifests over HTTP.

mod common;

use common::{problem, shipment_body, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn pickup_schedules_manifested_shipments_and_manifest_lists_them() {
    let app = spawn_app().await;
    let account: Value = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": "delhivery", "sandbox": true, "settings": {"pickup_location": "Okhla DC"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let account_id = account["id"].as_str().unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let mut body = shipment_body(&format!("PK-{i}"));
        body.as_object_mut().unwrap().remove("carrier");
        body["carrier_account_id"] = json!(account_id);
        if i == 2 {
            body["payment_mode"] = json!("prepaid");
            body.as_object_mut().unwrap().remove("cod_amount");
        }
        let s: Value = app
            .post("/v1/shipments", &app.key_a)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(s["id"].as_str().unwrap().to_string());
    }
    // A fleet shipment is not part of this account's pickup.
    app.create_shipment("PK-FLEET").await;

    let r = app
        .post("/v1/pickups", &app.key_a)
        .json(&json!({"carrier_account_id": account_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let pickup: Value = r.json().await.unwrap();
    assert_eq!(
        (pickup["carrier"].as_str(), pickup["location"].as_str()),
        (Some("delhivery"), Some("Okhla DC"))
    );
    assert!(
        pickup["carrier_pickup_id"]
            .as_str()
            .is_some_and(|p| !p.is_empty()),
        "the carrier confirmed it"
    );
    let mut scheduled: Vec<String> = pickup["shipment_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    scheduled.sort();
    ids.sort();
    assert_eq!(scheduled, ids);
    for id in &ids {
        let s: Value = app
            .get(&format!("/v1/shipments/{id}"), &app.key_a)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(s["status"], "pickup_scheduled");
    }
    // Nothing left to pick up.
    let r = app
        .post("/v1/pickups", &app.key_a)
        .json(&json!({"carrier_account_id": account_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["code"], "nothing_to_pick_up");
    // Fleet: one pickup a day.
    assert_eq!(
        app.post("/v1/pickups", &app.key_a)
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    app.create_shipment("PK-FLEET-2").await;
    let r = app
        .post("/v1/pickups", &app.key_a)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 409).await["code"], "conflict");

    let csv = app
        .get(
            &format!("/v1/manifests?carrier_account_id={account_id}&format=csv"),
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let lines: Vec<_> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[1].contains("PK-0") && lines[1].ends_with("cod,1499.00"));
    assert!(lines[3].contains("PK-2") && lines[3].ends_with("prepaid,0.00"));
    assert_eq!(lines[4], "TOTAL,3 shipments,,,3,,,2998.00");
    let pdf = app
        .get(
            &format!("/v1/manifests?carrier_account_id={account_id}"),
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));

    let r = app
        .get(
            &format!("/v1/manifests?carrier_account_id={account_id}"),
            &app.key_b,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(r, 422).await["errors"][0]["field"],
        "carrier_account_id"
    );
    let r = app
        .get("/v1/manifests?date=25-11-2026", &app.key_a)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 400).await["errors"][0]["field"], "date");
}
