//! Rates and allocation over HTTP: rate cards on carrier accounts, the
//! tenant's rules, strategies with their reasons, and fallback when the
//! chosen carrier fails.

mod common;

use common::{TestApp, problem, shipment_body, spawn_app};
use serde_json::{Value, json};

fn card(base: i64, days: u32) -> Value {
    let zones: Vec<Value> = ["local", "regional", "metro", "national", "special"]
        .iter()
        .enumerate()
        .map(|(i, z)| json!({"zone": z, "base_minor": base + 500 * i as i64, "additional_minor": base, "transit_days": days}))
        .collect();
    json!({"base_slab_grams": 500, "additional_slab_grams": 500, "zones": zones, "cod_fee_min_minor": 3000, "cod_fee_bps": 200, "fuel_surcharge_bps": 1000})
}

async fn account(app: &TestApp, body: Value) -> String {
    let r = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn rates_price_every_account_with_a_card() {
    let app = spawn_app().await;
    let cheap = account(
        &app,
        json!({"carrier": "delhivery", "sandbox": true, "settings": {"rate_card": card(4000, 5)}}),
    )
    .await;
    let dear = account(
        &app,
        json!({"carrier": "bluedart", "sandbox": true, "settings": {"rate_card": card(7000, 2)}}),
    )
    .await;
    let bare = account(&app, json!({"carrier": "ekart", "sandbox": true})).await;
    let body = json!({"pickup_postal_code": "110020", "delivery_postal_code": "400001",
        "parcels": [{"weight_grams": 1200, "length_cm": 30, "width_cm": 20, "height_cm": 10}], "payment_mode": "cod", "cod_amount": 250000});
    let rates: Value = app
        .post("/v1/rates", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<_> = rates["rates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["carrier_account_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [cheap.as_str(), dear.as_str()]);
    let q = &rates["rates"][0]["quote"];
    // Metro zone; 1.2 kg dead vs 1.2 kg volumetric → 1.5 kg chargeable: base 5000 + 2 × 4000.
    assert_eq!(
        (
            q["zone"].as_str(),
            q["chargeable_weight_grams"].as_u64(),
            q["freight_minor"].as_i64()
        ),
        (Some("metro"), Some(1500), Some(13_000))
    );
    assert_eq!(
        (
            q["fuel_surcharge_minor"].as_i64(),
            q["cod_fee_minor"].as_i64()
        ),
        (Some(1300), Some(5000))
    );
    assert_eq!(q["total_minor"], 19_300);
    assert_eq!(rates["unpriced"], json!([bare]));

    let mut bad = body.clone();
    bad["delivery_postal_code"] = json!("40001");
    let r = app
        .post("/v1/rates", &app.key_a)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(r, 422).await["errors"][0]["field"],
        "delivery_postal_code"
    );
}

#[tokio::test]
async fn allocation_follows_strategy_rules_and_falls_back() {
    let app = spawn_app().await;
    let cheap = account(
        &app,
        json!({"carrier": "delhivery", "sandbox": true, "settings": {"rate_card": card(4000, 5)}}),
    )
    .await;
    let fast = account(
        &app,
        json!({"carrier": "bluedart", "sandbox": true, "settings": {"rate_card": card(7000, 1)}}),
    )
    .await;

    let create = |reference: &str, strategy: &str| {
        let mut body = shipment_body(reference);
        body.as_object_mut().unwrap().remove("carrier");
        body["allocation"] = json!({"strategy": strategy});
        app.post("/v1/shipments", &app.key_a).json(&body).send()
    };
    let s: Value = create("ALLOC-1", "cheapest")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["carrier_account_id"], cheap.as_str());
    assert_eq!(s["allocation"]["strategy"], "cheapest");
    assert!(
        s["allocation"]["ranked"][0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "chosen")
    );
    let s: Value = create("ALLOC-2", "fastest")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["carrier_account_id"], fast.as_str());

    // A rule for Bengaluru COD prefers Blue Dart even when cheapest is asked.
    let rules = json!({"rules": [{"name": "blr cod", "when": {"destination_prefixes": ["560"], "payment_mode": "cod"}, "prefer": ["bluedart"]}]});
    assert_eq!(
        app.client
            .put(app.url("/v1/allocation-rules"))
            .bearer_auth(&app.key_a)
            .json(&rules)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let got: Value = app
        .get("/v1/allocation-rules", &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (got["rules"][0]["name"].as_str(), &got["rules"][0]["prefer"]),
        (Some("blr cod"), &json!(["bluedart"]))
    );
    let s: Value = create("ALLOC-3", "cheapest")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            s["carrier_account_id"].as_str(),
            s["allocation"]["rule"].as_str()
        ),
        (Some(fast.as_str()), Some("blr cod"))
    );

    // The preferred carrier is down (a real account at a closed port): the next one books it.
    app.client
        .put(app.url("/v1/allocation-rules"))
        .bearer_auth(&app.key_a)
        .json(&json!({"rules": []}))
        .send()
        .await
        .unwrap();
    let down = account(&app, json!({"carrier": "shiprocket", "base_url": "http://127.0.0.1:9", "credentials": {"email": "a@b.c", "password": "x"},
        "settings": {"rate_card": card(1000, 3), "pickup_location": "Main"}})).await;
    let s: Value = create("ALLOC-4", "cheapest")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["carrier_account_id"], cheap.as_str(), "{s}");
    let first = &s["allocation"]["ranked"][0];
    assert_eq!(first["carrier_account_id"], down.as_str());
    assert!(
        first["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("failed to book"))
    );

    let mut both = shipment_body("ALLOC-5");
    both["allocation"] = json!({"strategy": "best"});
    let r = app
        .post("/v1/shipments", &app.key_a)
        .json(&both)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "allocation");
}

#[tokio::test]
async fn fastest_trusts_learned_delivery_history_over_rate_cards() {
    let app = spawn_app().await;
    // Blue Dart's card promises 1 day, Delhivery's 5; their deliveries on
    // this lane (110020 → 560001) say the opposite.
    let delhivery = account(
        &app,
        json!({"carrier": "delhivery", "sandbox": true, "settings": {"rate_card": card(4000, 5)}}),
    )
    .await;
    account(
        &app,
        json!({"carrier": "bluedart", "sandbox": true, "settings": {"rate_card": card(7000, 1)}}),
    )
    .await;
    let calendar = shipgate_edd::Calendar::default();
    let mut history = Vec::new();
    for i in 0..40i64 {
        let ordered = jiff::Zoned::now().date() - jiff::Span::new().days(60 - i);
        for (carrier, days) in [("delhivery", 1), ("bluedart", 6)] {
            history.push(shipgate_storage::EddObservationRecord {
                id: 0,
                source: "import:test".into(),
                source_ref: format!("{carrier}-{i}"),
                tenant_id: None,
                country: "IN".into(),
                carrier: carrier.into(),
                service: String::new(),
                scope: String::new(),
                origin: "110020".into(),
                destination: "560001".into(),
                ordered_at: ordered.at(9, 0, 0, 0),
                picked_up_at: None,
                delivered_at: calendar.add_working_days(ordered, days).at(15, 0, 0, 0),
                promised_date: None,
            });
        }
    }
    app.store.record_edd_observations(&history).await.unwrap();
    app.state.edd.refresh(app.store.as_ref()).await.unwrap();

    let mut body = shipment_body("ALLOC-LEARNED");
    body.as_object_mut().unwrap().remove("carrier");
    body["allocation"] = json!({"strategy": "fastest"});
    let s: Value = app
        .post("/v1/shipments", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["carrier_account_id"], delhivery.as_str(), "{s}");
    assert!(
        s["allocation"]["ranked"][0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("learned from its deliveries"))
    );
}
