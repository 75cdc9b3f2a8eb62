//! Hostile clients over real HTTP: per-key rate limits, oversized bodies,
//! headers and URIs, and webhooks aimed inside the network.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{problem, spawn_app, spawn_app_configured};
use serde_json::{Value, json};
use shipgate_api::auth::{Limit, PublicPageLimits, SecretKeyLimits};

#[tokio::test]
async fn a_secret_key_over_its_rate_gets_429_with_retry_after() {
    let app = spawn_app_configured(|state| {
        state.secret_key_limits = Arc::new(SecretKeyLimits::new(Some(Limit {
            rate: 0.5,
            burst: 3.0,
        })));
    })
    .await;
    for _ in 0..3 {
        let r = app.get("/v1/shipments", &app.key_a).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = app.get("/v1/shipments", &app.key_a).send().await.unwrap();
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body = problem(r, 429).await;
    assert_eq!(body["code"], "rate_limited");
    // Writes are limited too, and nothing is created.
    let r = app
        .post("/v1/shipments", &app.key_a)
        .json(&common::shipment_body("ORD-RL"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // Another tenant's key has its own bucket; unknown keys take no token.
    for _ in 0..3 {
        let r = app.get("/v1/shipments", &app.key_b).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = app
        .get("/v1/shipments", "sg_live_unknown")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let listed = app
        .store
        .list_shipments(&app.tenant_a.id, &Default::default(), None, 10)
        .await
        .unwrap();
    assert!(listed.items.is_empty());
}

#[tokio::test]
async fn the_public_pages_over_their_rate_per_address_get_429_with_retry_after() {
    let app = spawn_app_configured(|state| {
        state.public_page_limits = Arc::new(PublicPageLimits::new(Some(Limit {
            rate: 0.5,
            burst: 3.0,
        })));
        state.client_address_header = Some("x-forwarded-for".into());
    })
    .await;
    let page = |path: &str, address: &str| {
        app.client
            .get(app.url(path))
            .header("x-forwarded-for", address)
            .send()
    };
    // One bucket for both pages: walking tracking numbers or NDR links alike.
    for path in ["/track/NOPE1", "/ndr/nope", "/track/NOPE2"] {
        let status = page(path, "203.0.113.7").await.unwrap().status();
        assert!(status == 404 || status == 403, "{path}: {status}");
    }
    let r = page("/track/NOPE3", "203.0.113.7").await.unwrap();
    assert_eq!(r.status(), 429);
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("Try again in"));
    // Another address has its own bucket; the API is not limited by it.
    assert_eq!(
        page("/track/NOPE4", "198.51.100.9").await.unwrap().status(),
        404
    );
    let r = app.get("/v1/shipments", &app.key_a).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn oversized_requests_get_clear_problems() {
    let app = spawn_app().await;
    let big = vec![b'a'; shipgate_api::extract::BODY_LIMIT + 1];
    let account: Value = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": "delhivery", "sandbox": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let account = account["id"].as_str().unwrap();
    // Every kind of body: JSON, CSV uploads and carrier pushes.
    let targets = [
        ("POST", "/v1/shipments".to_string(), "application/json"),
        ("POST", "/v1/shipments/batch".to_string(), "text/csv"),
        (
            "PUT",
            format!("/v1/carrier-accounts/{account}/serviceability"),
            "text/csv",
        ),
        (
            "POST",
            format!("/hooks/carriers/{account}"),
            "application/json",
        ),
    ];
    for (method, path, content_type) in targets {
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .bearer_auth(&app.key_a)
            .header("content-type", content_type)
            .header("idempotency-key", format!("big-{path}"))
            .body(big.clone())
            .send()
            .await
            .unwrap();
        let body = problem(r, 413).await;
        assert_eq!(body["code"], "payload_too_large", "{path}: {body}");
    }

    // One huge header, too many headers, too long a URI.
    let r = app
        .get("/v1/shipments", &app.key_a)
        .header("x-junk", "j".repeat(16 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 431).await["code"], "headers_too_large");
    let mut request = app.get("/v1/shipments", &app.key_a);
    for i in 0..80 {
        request = request.header(format!("x-h{i}"), "1");
    }
    assert_eq!(
        problem(request.send().await.unwrap(), 431).await["code"],
        "headers_too_large"
    );
    let r = app
        .get(
            &format!("/v1/shipments?cursor={}", "c".repeat(10_000)),
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 414).await["code"], "uri_too_long");
    // Refused before routing, and still counted.
    let metrics = app.metrics().await;
    assert!(
        metrics.lines().any(|l| l.starts_with("http_requests_total")
            && l.contains("route=\"unmatched\"")
            && l.contains("status=\"414\"")),
        "{metrics}"
    );
    // Beyond hyper's own limit the connection gets a bare 431, never a 5xx.
    let r = app
        .get("/v1/shipments", &app.key_a)
        .header("x-junk", "j".repeat(1024 * 1024))
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 431);
    }
    // The server is fine afterwards.
    let r = app.get("/v1/shipments", &app.key_a).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn webhooks_to_loopback_are_refused_without_a_request() {
    let app = spawn_app_configured(|state| state.allow_private_webhook_targets = false).await;
    // A listener on loopback that must never hear from Shipgate.
    let hits = Arc::new(Mutex::new(0u32));
    let counter = hits.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            *counter.lock().unwrap() += 1;
            "ok"
        }
    });
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let mut endpoints = Vec::new();
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        "http://169.254.169.254/latest/meta-data".to_string(),
        "http://10.0.0.1/hook".to_string(),
    ] {
        let r = app
            .post("/v1/webhook-endpoints", &app.key_a)
            .json(&json!({"url": url, "event_types": ["shipment.created"]}))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        if status == 201 {
            endpoints.push((url, body["id"].as_str().unwrap().to_string()));
        } else {
            // Refused when registered is as good as refused when sending.
            assert_eq!(status, 422, "{url}: {body}");
        }
    }
    // Registration only checks the URL's form (a name may resolve elsewhere
    // by the time it is used): the guard is at connection time.
    assert_eq!(endpoints.len(), 5, "{endpoints:?}");
    app.create_shipment("ORD-SSRF").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    for (url, id) in &endpoints {
        loop {
            let page: Value = app
                .get(
                    &format!("/v1/webhook-endpoints/{id}/deliveries"),
                    &app.key_a,
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let error = page["data"][0]["attempts"][0]["error"]
                .as_str()
                .map(str::to_string);
            if let Some(error) = error {
                assert!(
                    error.contains("refused") && error.contains("public addresses"),
                    "{url}: {error}"
                );
                assert!(
                    page["data"][0]["attempts"][0]["status_code"].is_null(),
                    "{page}"
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{url}: no attempt recorded: {page}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_eq!(
        *hits.lock().unwrap(),
        0,
        "a request reached the loopback listener"
    );
}
