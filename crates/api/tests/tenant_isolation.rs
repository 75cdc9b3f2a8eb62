//! Tenant isolation, walked over the whole API: tenant A creates one object
//! of every kind, then tenant B calls every operation in `/openapi.json`
//! with A's ids in the path (and in the query or body where an operation
//! names another object). B gets 404 (or 403) for A's objects, never A's
//! data, and A's objects are unchanged afterwards. An operation the walk does
//! not know fails the test, so a new route must be added here.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{TestApp, shipment_body, spawn_app};
use serde_json::{Value, json};

/// What A owns, and the strings that would give it away in B's answers.
struct Owned {
    shipment: String,
    awb: String,
    ndr_shipment: String,
    account: String,
    batch: String,
    endpoint: String,
    message: String,
    publishable: String,
    api_key: String,
    /// Strings of A's data that must not appear in any answer to B.
    markers: Vec<String>,
}

async fn ok_json(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let body = r.text().await.unwrap();
    assert!(status.is_success(), "{what}: {status} {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn create_as_a(app: &TestApp) -> Owned {
    let key = &app.key_a;
    let account = ok_json(
        app.post("/v1/carrier-accounts", key)
            .json(&json!({"carrier": "delhivery", "sandbox": true, "name": "A-secret-account"}))
            .send()
            .await
            .unwrap(),
        "carrier account",
    )
    .await;
    let account = account["id"].as_str().unwrap().to_string();
    // A shipment at the carrier (for pickups and manifests) and a fleet one
    // with a failed delivery (an NDR).
    let mut body = shipment_body("A-ORDER-CARRIER");
    body.as_object_mut().unwrap().remove("carrier");
    body["carrier_account_id"] = account.clone().into();
    let shipment = ok_json(
        app.post("/v1/shipments", key)
            .json(&body)
            .send()
            .await
            .unwrap(),
        "shipment",
    )
    .await;
    let fleet = app.create_shipment("A-ORDER-FLEET").await;
    let fleet_awb = fleet["awb"].as_str().unwrap().to_string();
    app.scan(&fleet_awb, "picked_up", "2020-01-01T10:00:00Z")
        .await;
    let failed = json!({"scans": [{"awb": fleet_awb, "status": "delivery_failed",
        "ndr_reason": "customer_unavailable", "occurred_at": "2020-01-02T10:00:00Z"}]});
    ok_json(
        app.post("/v1/fleet/scans", key)
            .json(&failed)
            .send()
            .await
            .unwrap(),
        "ndr scan",
    )
    .await;
    ok_json(
        app.post("/v1/pickups", key)
            .json(&json!({"carrier_account_id": account}))
            .send()
            .await
            .unwrap(),
        "pickup",
    )
    .await;
    let batch = ok_json(
        app.post("/v1/shipments/batch", key)
            .json(&json!({"shipments": [shipment_body("A-ORDER-BATCH")]}))
            .send()
            .await
            .unwrap(),
        "batch",
    )
    .await;
    // Nothing listens there; the message is what matters.
    let endpoint = ok_json(
        app.post("/v1/webhook-endpoints", key)
            .json(&json!({"url": "http://127.0.0.1:9/a-secret-hook", "event_types": ["shipment.created"],
                "description": "A-secret-endpoint"}))
            .send()
            .await
            .unwrap(),
        "webhook endpoint",
    )
    .await;
    let endpoint_id = endpoint["id"].as_str().unwrap().to_string();
    app.create_shipment("A-ORDER-HOOKED").await;
    let mut message = None;
    for _ in 0..200 {
        let page = app
            .get_json(
                &format!("/v1/webhook-endpoints/{endpoint_id}/deliveries"),
                key,
            )
            .await;
        if let Some(id) = page["data"][0]["id"].as_str() {
            message = Some(id.to_string());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let publishable = ok_json(
        app.post("/v1/publishable-keys", key)
            .json(&json!({"allowed_origins": ["https://a-secret-shop.example"]}))
            .send()
            .await
            .unwrap(),
        "publishable key",
    )
    .await;
    let api_key = ok_json(
        app.post("/v1/api-keys", key)
            .json(&json!({"label": "A-secret-key"}))
            .send()
            .await
            .unwrap(),
        "secret key",
    )
    .await;
    for (path, body) in [
        (
            "/v1/allocation-rules",
            json!({"rules": [{"name": "A-secret-rule", "when": {"destination_prefixes": ["560"]}, "prefer": ["delhivery"]}]}),
        ),
        ("/v1/ndr-rules", json!({"rto_after_attempts": 3})),
        (
            "/v1/branding",
            json!({"display_name": "A-secret-brand", "primary_color": "#112233"}),
        ),
    ] {
        ok_json(
            app.client
                .put(app.url(path))
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap(),
            path,
        )
        .await;
    }
    ok_json(
        app.client
            .put(app.url(&format!("/v1/carrier-accounts/{account}/serviceability")))
            .bearer_auth(key)
            .header("content-type", "text/csv")
            .body("postal_code,prepaid,cod\n560001,yes,yes\n")
            .send()
            .await
            .unwrap(),
        "serviceability",
    )
    .await;
    let shipment_id = shipment["id"].as_str().unwrap().to_string();
    let awb = shipment["awb"].as_str().unwrap().to_string();
    Owned {
        markers: vec![
            shipment_id.clone(),
            awb.clone(),
            fleet["id"].as_str().unwrap().to_string(),
            fleet_awb,
            account.clone(),
            batch["id"].as_str().unwrap().to_string(),
            endpoint_id.clone(),
            publishable["id"].as_str().unwrap().to_string(),
            publishable["key_prefix"].as_str().unwrap().to_string(),
            api_key["id"].as_str().unwrap().to_string(),
            api_key["key_prefix"].as_str().unwrap().to_string(),
            "A-ORDER".into(),
            "A-secret".into(),
            "a-secret".into(),
        ],
        shipment: shipment_id,
        awb,
        ndr_shipment: fleet["id"].as_str().unwrap().to_string(),
        account,
        batch: batch["id"].as_str().unwrap().to_string(),
        endpoint: endpoint_id,
        message: message.expect("a webhook message for A's endpoint"),
        publishable: publishable["id"].as_str().unwrap().to_string(),
        api_key: api_key["id"].as_str().unwrap().to_string(),
    }
}

/// How B calls an operation: the path with A's ids, the query and the body.
struct Call {
    path: String,
    query: Option<String>,
    body: Option<(&'static str, String)>,
    /// Statuses B may get: A's objects are not found (or forbidden); an
    /// operation on B's own tenant succeeds without A's data.
    allowed: &'static [u16],
}

const NOT_FOUND: &[u16] = &[404, 403];
/// A's object named in B's query or body: unknown to B (a 404, or a 422
/// naming the field as `not_found`).
const REFERENCED: &[u16] = &[404, 403, 422];
/// Tenant-level operations: B works on its own data.
const OWN: &[u16] = &[200, 201, 202, 204, 404, 422];

fn plan(a: &Owned, method: &str, template: &str) -> Option<Call> {
    let fill = |t: &str| {
        t.replace(
            "{id}",
            match template {
                t if t.starts_with("/v1/shipments/") => &a.shipment,
                t if t.starts_with("/v1/batches/") => &a.batch,
                t if t.starts_with("/v1/carrier-accounts/") => &a.account,
                t if t.starts_with("/v1/webhook-endpoints/") => &a.endpoint,
                t if t.starts_with("/v1/publishable-keys/") => &a.publishable,
                t if t.starts_with("/v1/api-keys/") => &a.api_key,
                _ => "{id}",
            },
        )
        .replace("{msg_id}", &a.message)
        .replace("{awb}", &a.awb)
        .replace("{carrier_account_id}", &a.account)
    };
    let json_body = |v: Value| Some(("application/json", v.to_string()));
    let (query, body, allowed): (Option<String>, _, &[u16]) = match (method, template) {
        // Operations on one of A's objects.
        ("get", "/v1/shipments/{id}")
        | ("get", "/v1/shipments/{id}/changes")
        | ("get", "/v1/shipments/{id}/events")
        | ("get", "/v1/shipments/{id}/label")
        | ("get", "/v1/tracking/{awb}")
        | ("get", "/v1/batches/{id}")
        | ("get", "/v1/carrier-accounts/{id}")
        | ("get", "/v1/webhook-endpoints/{id}")
        | ("get", "/v1/webhook-endpoints/{id}/deliveries")
        | ("delete", "/v1/webhook-endpoints/{id}")
        | ("delete", "/v1/publishable-keys/{id}")
        | ("delete", "/v1/api-keys/{id}")
        | ("post", "/v1/webhook-endpoints/{id}/rotate-secret")
        | ("post", "/v1/webhook-endpoints/{id}/deliveries/{msg_id}/replay") => {
            (None, None, NOT_FOUND)
        }
        ("patch", "/v1/shipments/{id}") => (
            None,
            json_body(json!({"delivery_instructions": "B was here"})),
            NOT_FOUND,
        ),
        ("post", "/v1/shipments/{id}/cancel") => {
            (None, json_body(json!({"reason": "B cancels"})), NOT_FOUND)
        }
        ("post", "/v1/shipments/{id}/ndr-actions") => (
            None,
            json_body(json!({"action": "return_to_origin"})),
            NOT_FOUND,
        ),
        ("patch", "/v1/webhook-endpoints/{id}") => (
            None,
            json_body(json!({"description": "B was here", "enabled": false})),
            NOT_FOUND,
        ),
        ("put", "/v1/carrier-accounts/{id}/serviceability") => (
            None,
            Some(("text/csv", "postal_code,prepaid\n560001,no\n".to_string())),
            NOT_FOUND,
        ),
        ("post", "/v1/carrier-accounts/{id}/serviceability/sync") => (
            None,
            json_body(json!({"postal_codes": ["560001"]})),
            NOT_FOUND,
        ),
        // Carrier pushes authenticate as the carrier, not with an API key.
        ("post", "/hooks/carriers/{carrier_account_id}") => {
            (None, json_body(json!({"Shipment": {"AWB": a.awb}})), &[401])
        }
        // Operations that name A's objects in the query or body.
        ("get", "/v1/manifests") => (
            Some(format!("carrier_account_id={}", a.account)),
            None,
            REFERENCED,
        ),
        ("post", "/v1/pickups") => (
            None,
            json_body(json!({"carrier_account_id": a.account})),
            REFERENCED,
        ),
        ("post", "/v1/shipments") => {
            let mut body = shipment_body("B-ORDER");
            body.as_object_mut().unwrap().remove("carrier");
            body["carrier_account_id"] = a.account.clone().into();
            (None, json_body(body), REFERENCED)
        }
        ("post", "/v1/shipments/batch") => {
            let mut row = shipment_body("B-BATCH");
            row.as_object_mut().unwrap().remove("carrier");
            row["carrier_account_id"] = a.account.clone().into();
            (None, json_body(json!({"shipments": [row]})), &[202, 422])
        }
        ("post", "/v1/fleet/scans") => (
            None,
            json_body(json!({"scans": [{"awb": a.awb, "status": "delivered"}]})),
            &[200, 404, 422],
        ),
        // Tenant-level reads and writes: B sees and changes only its own.
        ("get", "/v1/shipments")
        | ("get", "/v1/carrier-accounts")
        | ("get", "/v1/webhook-endpoints")
        | ("get", "/v1/publishable-keys")
        | ("get", "/v1/api-keys")
        | ("get", "/v1/ndr")
        | ("get", "/v1/allocation-rules")
        | ("get", "/v1/ndr-rules")
        | ("get", "/v1/audit-log")
        | ("get", "/v1/carriers") => (None, None, OWN),
        ("get", "/v1/analytics/ndr") => (Some("from=2019-12-01&to=2020-11-30".into()), None, OWN),
        ("get", "/v1/serviceability") => (Some("postal_code=560001".into()), None, OWN),
        ("get", "/v1/edd") => (Some("origin=110020&destination=560001".into()), None, OWN),
        ("post", "/v1/edd/batch") => (
            None,
            json_body(json!({"origin": "110020", "destinations": ["560001"]})),
            OWN,
        ),
        ("post", "/v1/rates") => (
            None,
            json_body(
                json!({"pickup_postal_code": "110020", "delivery_postal_code": "560001",
                "parcels": [{"weight_grams": 500}], "payment_mode": "prepaid"}),
            ),
            OWN,
        ),
        ("put", "/v1/allocation-rules") => (None, json_body(json!({"rules": []})), OWN),
        ("put", "/v1/ndr-rules") => (None, json_body(json!({"rto_after_attempts": 2})), OWN),
        ("put", "/v1/branding") => (
            None,
            json_body(json!({"display_name": "B brand", "primary_color": "#445566"})),
            OWN,
        ),
        ("post", "/v1/carrier-accounts") => (
            None,
            json_body(json!({"carrier": "ekart", "sandbox": true})),
            OWN,
        ),
        ("post", "/v1/webhook-endpoints") => (
            None,
            json_body(
                json!({"url": "https://b.example/hook", "event_types": ["shipment.created"]}),
            ),
            OWN,
        ),
        ("post", "/v1/publishable-keys") => (
            None,
            json_body(json!({"allowed_origins": ["https://b.example"]})),
            OWN,
        ),
        ("post", "/v1/api-keys") => (None, json_body(json!({"label": "B key"})), OWN),
        // Not tenant data.
        ("get", "/healthz") | ("get", "/metrics") => (None, None, &[200, 503]),
        _ => return None,
    };
    Some(Call {
        path: fill(template),
        query,
        body,
        allowed,
    })
}

/// What A can see of its objects, to compare before and after B's walk.
async fn snapshot(app: &TestApp, a: &Owned) -> BTreeMap<String, String> {
    let mut seen = BTreeMap::new();
    for path in [
        format!("/v1/shipments/{}", a.shipment),
        format!("/v1/shipments/{}/events", a.shipment),
        format!("/v1/shipments/{}", a.ndr_shipment),
        format!("/v1/carrier-accounts/{}", a.account),
        format!("/v1/webhook-endpoints/{}", a.endpoint),
        "/v1/publishable-keys".to_string(),
        "/v1/api-keys".to_string(),
        "/v1/allocation-rules".to_string(),
        "/v1/ndr-rules".to_string(),
        "/v1/serviceability?postal_code=560001".to_string(),
        format!("/v1/batches/{}", a.batch),
    ] {
        let r = app.get(&path, &app.key_a).send().await.unwrap();
        assert_eq!(r.status(), 200, "A reads {path}");
        let mut body: Value = r.json().await.unwrap();
        // Fields that move by themselves (the sandbox journey, polling, batch progress).
        for volatile in [
            "updated_at",
            "next_poll_at",
            "status",
            "processed",
            "succeeded",
            "failed",
            "rows",
        ] {
            if let Some(object) = body.as_object_mut() {
                object.remove(volatile);
            }
        }
        seen.insert(path, body.to_string());
    }
    seen
}

#[tokio::test]
async fn tenant_b_cannot_reach_anything_of_tenant_a_through_any_route() {
    let app = spawn_app().await;
    let a = create_as_a(&app).await;
    // Let the batch and webhook jobs settle, so the snapshot is stable.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before = snapshot(&app, &a).await;

    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = BTreeSet::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for method in [
            "get", "put", "post", "delete", "patch", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                operations.insert((method.to_string(), template.clone()));
            }
        }
    }
    assert!(
        operations.len() > 40,
        "the document lists the API: {operations:?}"
    );
    let unknown: Vec<_> = operations
        .iter()
        .filter(|(m, t)| plan(&a, m, t).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "operations the isolation walk does not know (add them to `plan`): {unknown:?}"
    );

    for (method, template) in &operations {
        let call = plan(&a, method, template).unwrap();
        let mut url = app.url(&call.path);
        if let Some(query) = &call.query {
            url = format!("{url}?{query}");
        }
        let mut request = app
            .client
            .request(method.to_uppercase().parse().unwrap(), url)
            .bearer_auth(&app.key_b);
        if let Some((content_type, body)) = &call.body {
            request = request
                .header("content-type", *content_type)
                .body(body.clone());
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        if status == 422 && call.allowed == REFERENCED {
            assert!(
                body.contains("\"not_found\""),
                "{method} {template} as B: a 422 that is not about A's id: {body}"
            );
        }
        assert!(
            call.allowed.contains(&status),
            "{method} {template} as B: {status} (expected one of {:?}) {body}",
            call.allowed
        );
        let sent = format!(
            "{} {} {}",
            call.path,
            call.query.as_deref().unwrap_or(""),
            call.body.as_ref().map_or("", |(_, b)| b.as_str())
        );
        if template == "/v1/fleet/scans" {
            assert!(
                body.contains("\"not_found\""),
                "B's scan of A's AWB: {body}"
            );
        }
        // What B sent may be echoed back (an id in a problem's detail); nothing else.
        for marker in a.markers.iter().filter(|m| !sent.contains(m.as_str())) {
            assert!(
                !body.contains(marker.as_str()),
                "{method} {template} as B answered A's {marker:?}: {body}"
            );
        }
    }

    // Nothing of A's changed (B's cancel, edits, deletes and revocations all missed).
    let after = snapshot(&app, &a).await;
    for (path, was) in &before {
        assert_eq!(&after[path], was, "A's {path} changed during B's walk");
    }
    let a_keys = app.get_json("/v1/publishable-keys", &app.key_a).await;
    assert_eq!(a_keys["data"].as_array().map(Vec::len), Some(1), "{a_keys}");
}
