//! Publishable keys: lookups only, from their origins, within their limits.

mod common;

use std::sync::Arc;

use common::{TestApp, problem, spawn_app, spawn_app_configured};
use serde_json::{Value, json};
use shipgate_api::auth::{Limit, PublishableGuard, PublishableLimits};

const SHOP: &str = "https://shop.example";
const EDD: &str = "/v1/edd?origin=110020&destination=560001";

async fn publishable_key(app: &TestApp) -> String {
    let r = app
        .post("/v1/publishable-keys", &app.key_a)
        .json(&json!({"allowed_origins": ["https://Shop.Example/", "http://localhost:8080"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["allowed_origins"],
        json!(["http://localhost:8080", "https://shop.example"])
    );
    let key = body["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("sg_pub_"));
    assert!(key.starts_with(body["key_prefix"].as_str().unwrap()));
    key
}

fn limited(per_key: (f64, f64), per_address: (f64, f64)) -> Arc<PublishableGuard> {
    Arc::new(PublishableGuard::new(PublishableLimits {
        per_key: Limit {
            rate: per_key.0,
            burst: per_key.1,
        },
        per_address: Limit {
            rate: per_address.0,
            burst: per_address.1,
        },
    }))
}

#[tokio::test]
async fn a_publishable_key_looks_up_from_its_origin_with_cors_headers() {
    let app = spawn_app().await;
    let key = publishable_key(&app).await;
    let account = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": "delhivery", "sandbox": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 201);
    for path in [EDD, "/v1/serviceability?postal_code=560001"] {
        let r = app
            .get(path, &key)
            .header("origin", SHOP)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["access-control-allow-origin"], SHOP);
        assert_eq!(r.headers()["vary"], "Origin");
        if path.starts_with("/v1/serviceability") {
            // The shopper's page learns which carriers serve, not the
            // tenant's account ids; the merchant's own key sees them.
            let public: Value = r.json().await.unwrap();
            let carriers = public["carriers"].as_array().unwrap();
            assert!(!carriers.is_empty(), "{public}");
            assert!(
                carriers.iter().all(|c| c["carrier_account_id"].is_null()),
                "{public}"
            );
            let own: Value = app.get_json(path, &app.key_a).await;
            assert!(
                own["carriers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|c| c["carrier_account_id"]
                        .as_str()
                        .is_some_and(|id| id.starts_with("ca_"))),
                "{own}"
            );
        }
    }
    let r = app
        .post("/v1/edd/batch", &key)
        .header("origin", "http://localhost:8080")
        .json(&json!({"origin": "110020", "destinations": ["560001", "400001"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://localhost:8080"
    );
    // The same lookup with the secret key gets the same answer, without CORS.
    let secret = app.get(EDD, &app.key_a).send().await.unwrap();
    assert_eq!(secret.status(), 200);
    assert!(!secret.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn a_publishable_key_is_refused_on_every_other_route() {
    let app = spawn_app().await;
    let key = publishable_key(&app).await;
    let refusals = [
        app.get("/v1/shipments", &key),
        app.get("/v1/carrier-accounts", &key),
        app.post("/v1/shipments", &key)
            .json(&common::shipment_body("pub-1")),
        app.post("/v1/publishable-keys", &key)
            .json(&json!({"allowed_origins": [SHOP]})),
        app.post("/v1/carrier-accounts/ca_x/serviceability/sync", &key),
    ];
    for request in refusals {
        let r = request.header("origin", SHOP).send().await.unwrap();
        let body = problem(r, 403).await;
        assert_eq!(body["code"], "publishable_key_not_allowed");
    }
    // A lookup route with the wrong method is no route at all, whatever the key.
    let r = app.post("/v1/edd", &key).send().await.unwrap();
    assert_eq!(problem(r, 405).await["code"], "method_not_allowed");
    // Nothing was created on the way.
    let list = app.get_json("/v1/shipments", &app.key_a).await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn a_publishable_key_is_refused_from_other_origins() {
    let app = spawn_app().await;
    let key = publishable_key(&app).await;
    for origin in [
        Some("https://evil.example"),
        Some("http://shop.example"),
        None,
    ] {
        let mut request = app.get(EDD, &key);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let r = request.send().await.unwrap();
        assert!(!r.headers().contains_key("access-control-allow-origin"));
        let body = problem(r, 403).await;
        assert_eq!(body["code"], "origin_not_allowed", "{origin:?}");
    }
    // Without Origin (a same-origin GET), the Referer's origin counts.
    let r = app
        .get(EDD, &key)
        .header("referer", "https://shop.example/products/kurta?x=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .get(EDD, &key)
        .header("referer", "https://evil.example/shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 403).await["code"], "origin_not_allowed");
    // A revoked or made-up publishable key is not a key.
    let r = app
        .get(EDD, "sg_pub_0000")
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 401).await["code"], "unauthorized");
}

#[tokio::test]
async fn preflights_are_answered_for_allowed_origins_only() {
    let app = spawn_app().await;
    publishable_key(&app).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url(EDD))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let ok = preflight(SHOP).await.unwrap();
    assert_eq!(ok.status(), 204);
    assert_eq!(ok.headers()["access-control-allow-origin"], SHOP);
    let headers = ok.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(headers.contains("authorization"));
    assert!(ok.headers().contains_key("access-control-max-age"));
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
    assert_eq!(problem(refused, 403).await["code"], "origin_not_allowed");
}

async fn burst_until_limited(app: &TestApp, key: &str, max: usize) -> (usize, reqwest::Response) {
    for sent in 0..max {
        let r = app
            .get(EDD, key)
            .header("origin", SHOP)
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            return (sent, r);
        }
        assert_eq!(r.status(), 200);
    }
    panic!("{max} lookups were never limited");
}

async fn assert_retry_after(r: reqwest::Response) {
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // The page may read the refusal.
    assert_eq!(r.headers()["access-control-allow-origin"], SHOP);
    assert_eq!(problem(r, 429).await["code"], "rate_limited");
}

#[tokio::test]
async fn a_burst_from_one_address_gets_429_with_retry_after() {
    let app = spawn_app_configured(|s| s.publishable = limited((1000.0, 1000.0), (1.0, 5.0))).await;
    let key = publishable_key(&app).await;
    let (allowed, refused) = burst_until_limited(&app, &key, 50).await;
    assert_eq!(allowed, 5);
    assert_retry_after(refused).await;
    // Secret keys are not limited.
    for _ in 0..10 {
        assert_eq!(app.get(EDD, &app.key_a).send().await.unwrap().status(), 200);
    }
}

#[tokio::test]
async fn a_burst_on_one_key_gets_429_with_retry_after() {
    let app = spawn_app_configured(|s| s.publishable = limited((1.0, 3.0), (1000.0, 1000.0))).await;
    let key = publishable_key(&app).await;
    let (allowed, refused) = burst_until_limited(&app, &key, 50).await;
    assert_eq!(allowed, 3);
    assert_retry_after(refused).await;
    // Another key of the tenant has its own bucket.
    let other = publishable_key(&app).await;
    let r = app
        .get(EDD, &other)
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn origins_must_be_plain_web_origins() {
    let app = spawn_app().await;
    for origins in [
        json!([]),
        json!(["https://shop.example/cart"]),
        json!(["shop.example"]),
    ] {
        let r = app
            .post("/v1/publishable-keys", &app.key_a)
            .json(&json!({"allowed_origins": origins}))
            .send()
            .await
            .unwrap();
        assert_eq!(problem(r, 422).await["code"], "validation_failed");
    }
}

#[tokio::test]
async fn behind_a_proxy_each_forwarded_address_has_its_own_bucket() {
    let app = spawn_app_configured(|s| {
        s.publishable = limited((1000.0, 1000.0), (1.0, 2.0));
        s.client_address_header = Some("x-forwarded-for".into());
    })
    .await;
    let key = publishable_key(&app).await;
    let from = |forwarded: &'static str| {
        app.get(EDD, &key)
            .header("origin", SHOP)
            .header("x-forwarded-for", forwarded)
            .send()
    };
    for _ in 0..2 {
        assert_eq!(from("203.0.113.1").await.unwrap().status(), 200);
    }
    let refused = from("203.0.113.1").await.unwrap();
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(problem(refused, 429).await["code"], "rate_limited");
    // What the client wrote before the proxy's entry does not count.
    let spoofed = from("198.51.100.7, 203.0.113.1").await.unwrap();
    assert_eq!(spoofed.status(), 429);
    // Another shopper behind the same proxy is not held up.
    assert_eq!(from("203.0.113.2").await.unwrap().status(), 200);
}

#[tokio::test]
async fn keys_are_listed_without_their_secret_and_revoked_at_once() {
    let app = spawn_app().await;
    let key = publishable_key(&app).await;
    let ok = app
        .get(EDD, &key)
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    let list: Value = app
        .get("/v1/publishable-keys", &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = &list["data"].as_array().unwrap()[0];
    assert!(
        listed.get("key").is_none(),
        "the key is shown only at creation"
    );
    assert!(key.starts_with(listed["key_prefix"].as_str().unwrap()));
    let id = listed["id"].as_str().unwrap().to_string();

    // Another tenant cannot see or revoke it; a publishable key cannot manage keys.
    let other: Value = app
        .get("/v1/publishable-keys", &app.key_b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(other["data"].as_array().unwrap().is_empty());
    let path = format!("/v1/publishable-keys/{id}");
    let r = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.key_b)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&key)
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 403).await["code"], "publishable_key_not_allowed");

    let r = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.key_a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let refused = app
        .get(EDD, &key)
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        401,
        "a revoked key stops working at once here"
    );
    let r = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.key_a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
