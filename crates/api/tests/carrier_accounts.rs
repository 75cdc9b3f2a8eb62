//! Carrier accounts over HTTP, and shipments booked through them at the
//! built-in simulator.

mod common;

use common::{problem, shipment_body, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn sandbox_accounts_book_shipments_at_every_carrier() {
    let app = spawn_app().await;
    let carriers: Value = app
        .get("/v1/carriers", &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<_> = carriers
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "fleet",
            "delhivery",
            "ekart",
            "xpressbees",
            "ecom_express",
            "bluedart",
            "dtdc",
            "shiprocket"
        ]
    );

    for code in &codes[1..] {
        let r = app
            .post("/v1/carrier-accounts", &app.key_a)
            .json(&json!({"carrier": code, "sandbox": true,
            "settings": {"pickup_location": "Main Warehouse"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{code}");
        let account: Value = r.json().await.unwrap();
        assert_eq!(
            (account["carrier"].as_str(), account["sandbox"].as_bool()),
            (Some(code.as_str()), Some(true))
        );
        let id = account["id"].as_str().unwrap();

        let mut body = shipment_body(&format!("ORD-{code}"));
        body.as_object_mut().unwrap().remove("carrier");
        body["carrier_account_id"] = json!(id);
        let r = app
            .post("/v1/shipments", &app.key_a)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let shipment: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{code}: {shipment}");
        assert_eq!(
            (
                shipment["carrier"].as_str(),
                shipment["carrier_account_id"].as_str()
            ),
            (Some(code.as_str()), Some(id))
        );
        assert!(!shipment["awb"].as_str().unwrap().is_empty());
        assert_eq!(
            app.simulator
                .count_by_reference(code, &format!("ORD-{code}")),
            1,
            "{code}"
        );
    }
}

#[tokio::test]
async fn accounts_validate_hide_credentials_and_stay_in_their_tenant() {
    let app = spawn_app().await;
    let carriers: Value = app
        .get("/v1/carriers", &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let delhivery = carriers
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "delhivery")
        .unwrap();
    let needed: Vec<String> = delhivery["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(!needed.is_empty(), "Delhivery declares its credentials");

    // Missing credentials are named one by one.
    let r = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": "delhivery"}))
        .send()
        .await
        .unwrap();
    let p = problem(r, 422).await;
    let fields: Vec<_> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        fields,
        needed
            .iter()
            .map(|n| format!("credentials.{n}"))
            .collect::<Vec<_>>()
    );

    let r = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": "pigeon-post"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "carrier");
    let r = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": "delhivery", "base_url": "ftp://x"}))
        .send()
        .await
        .unwrap();
    assert!(
        problem(r, 422).await["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "base_url")
    );

    let credentials: serde_json::Map<String, Value> = needed
        .iter()
        .map(|n| (n.clone(), json!(format!("very-secret-{n}"))))
        .collect();
    let r = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": "delhivery", "name": "Delhivery North", "base_url": "https://staging-express.delhivery.com", "credentials": credentials}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let text = r.text().await.unwrap();
    assert!(
        !text.contains("very-secret"),
        "credentials are never returned: {text}"
    );
    let account: Value = serde_json::from_str(&text).unwrap();
    let id = account["id"].as_str().unwrap();
    assert_eq!(
        account["credential_names"].as_array().unwrap().len(),
        needed.len()
    );

    // At rest, the credentials are sealed.
    let record = app
        .store
        .carrier_account(&app.tenant_a.id, id)
        .await
        .unwrap()
        .unwrap();
    assert!(!record.sealed_credentials.contains("very-secret"));

    assert_eq!(
        app.get(&format!("/v1/carrier-accounts/{id}"), &app.key_a)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = app
        .get(&format!("/v1/carrier-accounts/{id}"), &app.key_b)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 404).await["code"], "not_found");
    let list: Value = app
        .get("/v1/carrier-accounts", &app.key_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["data"].as_array().unwrap().is_empty());

    // Tenant B cannot book through A's account.
    let mut body = shipment_body("ORD-X");
    body.as_object_mut().unwrap().remove("carrier");
    body["carrier_account_id"] = json!(id);
    let r = app
        .post("/v1/shipments", &app.key_b)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(r, 422).await["errors"][0]["field"],
        "carrier_account_id"
    );
    // A carrier without an account is explained.
    let mut body = shipment_body("ORD-Y");
    body["carrier"] = json!("delhivery");
    let r = app
        .post("/v1/shipments", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 422).await["errors"][0]["field"], "carrier");
}

#[tokio::test]
async fn concurrent_creations_draw_distinct_awbs_from_one_pool() {
    let app = spawn_app().await;
    // Ecom Express works only from pre-fetched AWBs.
    let account: Value = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(
            &json!({"carrier": "ecom_express", "sandbox": true, "settings": {"awb_pool_size": 60}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let mut body = shipment_body(&format!("POOL-{i}"));
        body.as_object_mut().unwrap().remove("carrier");
        body["carrier_account_id"] = account["id"].clone();
        let request = app.post("/v1/shipments", &app.key_a).json(&body);
        tasks.push(tokio::spawn(async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut awbs = std::collections::HashSet::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201, "{body}");
        assert!(
            awbs.insert(body["awb"].as_str().unwrap().to_string()),
            "an AWB was issued twice"
        );
    }
    assert_eq!(awbs.len(), 200);
}
