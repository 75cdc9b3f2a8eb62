//! Estimated delivery dates over HTTP: learned from delivered shipments and
//! imported history, validated, served per carrier and in batches.

mod common;

use std::time::Duration;

use common::{problem, spawn_app};
use serde_json::{Value, json};
use shipgate_storage::EddObservationRecord;

/// A delivery `working_days` after its order (Monday to Saturday, as the
/// server's default calendar counts).
fn history(i: usize, carrier: &str, destination: &str, working_days: u32) -> EddObservationRecord {
    let ordered = jiff::civil::date(2026, 10, 1) + jiff::Span::new().days(i as i64 % 40);
    let ordered_at = ordered.at(10, 0, 0, 0);
    EddObservationRecord {
        id: 0,
        source: "import:test".into(),
        source_ref: format!("{carrier}-{destination}-{i}"),
        tenant_id: None,
        country: "IN".into(),
        carrier: carrier.into(),
        service: String::new(),
        scope: String::new(),
        origin: "110020".into(),
        destination: destination.into(),
        ordered_at,
        picked_up_at: Some(ordered_at),
        delivered_at: shipgate_edd::Calendar::default()
            .add_working_days(ordered, working_days)
            .at(15, 0, 0, 0),
        promised_date: None,
    }
}

#[tokio::test]
async fn a_delivered_shipment_becomes_history_once() {
    let app = spawn_app().await;
    let shipment = app.create_shipment("ORD-EDD-1").await;
    let awb = shipment["awb"].as_str().unwrap();
    app.scan(awb, "picked_up", "2026-11-20T10:00:00Z").await;
    app.scan(awb, "in_transit", "2026-11-20T18:00:00Z").await;
    app.scan(awb, "out_for_delivery", "2026-11-22T08:00:00Z")
        .await;
    app.scan(awb, "delivered", "2026-11-22T12:30:00Z").await;
    // The same delivered scan again changes nothing.
    app.scan(awb, "delivered", "2026-11-22T12:30:00Z").await;

    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = app.store.edd_observations_after(0, 10).await.unwrap();
        if !rows.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rows.len(), 1, "one observation per delivered shipment");
    let row = &rows[0];
    assert_eq!(row.source, "shipment");
    assert_eq!(row.source_ref, shipment["id"].as_str().unwrap());
    assert_eq!(row.carrier, "fleet");
    assert_eq!(
        (row.origin.as_str(), row.destination.as_str()),
        ("110020", "560001")
    );
    // Stored in India's local time: 10:00 UTC is 15:30 IST; 12:30 UTC is 18:00 IST.
    assert_eq!(
        row.picked_up_at,
        Some(jiff::civil::date(2026, 11, 20).at(15, 30, 0, 0))
    );
    assert_eq!(
        row.delivered_at,
        jiff::civil::date(2026, 11, 22).at(18, 0, 0, 0)
    );

    // The server's model learns it on its next refresh.
    assert_eq!(app.state.edd.refresh(app.store.as_ref()).await.unwrap(), 1);
    let r = app
        .get(
            "/v1/edd?origin=110020&destination=560001&carrier=fleet&ship_date=2026-12-01",
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["best"]["carrier"], "fleet");
}

#[tokio::test]
async fn promises_come_per_carrier_with_the_best_first() {
    let app = spawn_app().await;
    let mut rows = Vec::new();
    for i in 0..40 {
        rows.push(history(i, "delhivery", "560001", 2));
        rows.push(history(i, "ekart", "560001", 5));
        rows.push(history(i, "delhivery", "400001", 4));
    }
    app.store.record_edd_observations(&rows).await.unwrap();
    assert_eq!(
        app.state.edd.refresh(app.store.as_ref()).await.unwrap(),
        120
    );

    // Tuesday 1 December 2026; Indian carriers do not work Sundays.
    let r = app
        .get(
            "/v1/edd?origin=110020&destination=560001&carrier=ekart&ship_date=2026-12-01&confidence=0.9",
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    let ekart: Value = r.json().await.unwrap();
    assert_eq!(ekart["best"]["date"], "2026-12-07", "{ekart}");
    assert_eq!(ekart["best"]["level"], "code→code");
    assert_eq!(ekart["best"]["samples"], 40);
    assert_eq!(ekart["best"]["handover"], "2026-12-01");

    let body = json!({
        "origin": "110020",
        "destinations": ["560001", "400001", "700001"],
        "carrier": "delhivery",
        "ship_date": "2026-12-01",
        "confidence": 0.5
    });
    let r = app
        .post("/v1/edd/batch", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let batch: Value = r.json().await.unwrap();
    let dates: Vec<&str> = batch["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["best"]["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates[0], "2026-12-03");
    assert_eq!(dates[1], "2026-12-05");
    // An unseen destination falls back to the carrier's broader history.
    assert_eq!(batch["data"][2]["best"]["level"], "carrier");

    // A carrier without history is named, not guessed.
    let r = app
        .get(
            "/v1/edd?origin=110020&destination=560001&carrier=bluedart",
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    let none: Value = r.json().await.unwrap();
    assert!(none["best"].is_null());
    assert_eq!(none["unknown"], json!(["bluedart"]));
}

#[tokio::test]
async fn bad_lookups_get_field_errors() {
    let app = spawn_app().await;
    let r = app
        .get(
            "/v1/edd?origin=11002&destination=560001&confidence=1.5&carrier=nope",
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    let p = problem(r, 422).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["origin", "confidence", "carrier"]);

    let r = app
        .get(
            "/v1/edd?origin=110020&destination=560001&ship_date=tomorrow",
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "ship_date");

    let destinations: Vec<String> = (0..101).map(|i| format!("{}", 560_001 + i)).collect();
    let body = json!({"origin": "110020", "destinations": destinations});
    let r = app
        .post("/v1/edd/batch", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "destinations");

    let r = app
        .client
        .get(app.url("/v1/edd?origin=110020&destination=560001"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
