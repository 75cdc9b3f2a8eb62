//! Serviceability per carrier account: CSV import, sync from the carrier's
//! pincode API (the simulator's), and answers per destination.

mod common;

use common::{problem, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn imported_and_synced_serviceability_answers_per_account() {
    let app = spawn_app().await;
    let accounts =
        shipgate_api::service::carrier_accounts::create_sandbox_accounts(&app.state, &app.tenant_a)
            .await
            .unwrap();
    let id = |carrier: &str| {
        accounts
            .iter()
            .find(|a| a.carrier == carrier)
            .unwrap()
            .id
            .clone()
    };
    let (delhivery, ekart) = (id("delhivery"), id("ekart"));

    let csv = "postal_code,prepaid,cod,pickup,embargo,max_weight_grams\n\
               560001,yes,yes,no,no,10000\n\
               110020,yes,no,yes,no,\n\
               5600,yes,yes,no,no,\n\
               400001,yes,maybe,no,no,\n";
    let r = app
        .client
        .put(app.url(&format!("/v1/carrier-accounts/{delhivery}/serviceability")))
        .bearer_auth(&app.key_a)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let imported: Value = r.json().await.unwrap();
    assert_eq!(imported["stored"], 2);
    let lines: Vec<u64> = imported["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [4, 5]);

    // The simulator serves every PIN but those starting 99, and COD except PINs ending 9.
    let body = json!({"postal_codes": ["560001", "990001", "560009"]});
    let r = app
        .post(
            &format!("/v1/carrier-accounts/{ekart}/serviceability/sync"),
            &app.key_a,
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let synced: Value = r.json().await.unwrap();
    assert_eq!(synced["stored"], 3, "{synced}");

    let r = app
        .get(
            "/v1/serviceability?postal_code=560001&origin=110020&payment_mode=cod&weight_grams=12000",
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let view: Value = r.json().await.unwrap();
    let by = |carrier: &str| -> Value {
        view["carriers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["carrier"] == carrier)
            .unwrap()
            .clone()
    };
    let d = by("delhivery");
    assert_eq!(
        (d["known"].clone(), d["cod"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(d["pickup_at_origin"], true);
    assert_eq!(d["serviceable"], false, "12 kg is over its 10 kg limit");
    let e = by("ekart");
    assert_eq!(e["known"], true);
    assert_eq!(
        e["pickup_at_origin"], false,
        "ekart's pickup at 110020 is unknown"
    );
    assert_eq!(by("bluedart")["known"], false);

    let r = app
        .get("/v1/serviceability?postal_code=990001", &app.key_a)
        .send()
        .await
        .unwrap();
    let view: Value = r.json().await.unwrap();
    let ekart_view = view["carriers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["carrier"] == "ekart")
        .unwrap()
        .clone();
    assert_eq!(ekart_view["known"], true);
    assert_eq!(ekart_view["serviceable"], false);

    // Another tenant can neither read nor write this account's data.
    let r = app
        .client
        .put(app.url(&format!("/v1/carrier-accounts/{delhivery}/serviceability")))
        .bearer_auth(&app.key_b)
        .header("content-type", "text/csv")
        .body("postal_code\n560001\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .get("/v1/serviceability?postal_code=560001", &app.key_b)
        .send()
        .await
        .unwrap();
    let other: Value = r.json().await.unwrap();
    assert!(other["carriers"].as_array().unwrap().is_empty());

    let r = app
        .get("/v1/serviceability?postal_code=56", &app.key_a)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "postal_code");
}
