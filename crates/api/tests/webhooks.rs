//! Merchant webhooks over real HTTP: a receiver in the test records what
//! Shipgate sends; signatures are checked by recomputing them here.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{TestApp, fast_webhooks, problem, spawn_app, spawn_app_with};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const ALL_TYPES: [&str; 7] = [
    "shipment.created",
    "shipment.status_changed",
    "shipment.delivered",
    "shipment.ndr_raised",
    "shipment.rto_initiated",
    "shipment.cancelled",
    "shipment.exception",
];

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    at: Instant,
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A merchant's server: answers from a script (then 200), records every request.
#[derive(Clone)]
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    /// `script`: (status, Retry-After seconds) for the first requests.
    async fn start(script: Vec<(u16, Option<u64>)>) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let (log, answers) = (received.clone(), script.clone());
        let handler = move |headers: HeaderMap, body: String| {
            let (log, answers) = (log.clone(), answers.clone());
            async move {
                log.lock().unwrap().push(Received {
                    at: Instant::now(),
                    headers,
                    body,
                });
                let (status, retry_after) =
                    answers.lock().unwrap().pop_front().unwrap_or((200, None));
                let mut response = (
                    StatusCode::from_u16(status).unwrap(),
                    format!("answer {status}"),
                )
                    .into_response();
                if let Some(s) = retry_after {
                    response
                        .headers_mut()
                        .insert("retry-after", s.to_string().parse().unwrap());
                }
                response
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let router = axum::Router::new().route("/hooks", axum::routing::post(handler));
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests have arrived.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} webhooks, got {}: {:?}",
                got.len(),
                got.iter().map(|r| r.body.clone()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Recomputes a Standard Webhooks signature, independently of Shipgate's code.
fn expected_signature(secret: &str, r: &Received) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let signed = format!(
        "{}.{}.{}",
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        r.body
    );
    mac.update(signed.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn assert_signed(secret: &str, r: &Received) {
    assert_eq!(r.header("webhook-signature"), expected_signature(secret, r));
    assert!(r.header("webhook-id").starts_with("msg_"));
    let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
    let now = jiff::Timestamp::now().as_second();
    assert!((now - ts).abs() < 60, "timestamp {ts} is now-ish");
    assert_eq!(r.header("content-type"), "application/json");
}

async fn create_endpoint(app: &TestApp, url: &str, types: &[&str]) -> Value {
    let r = app
        .post("/v1/webhook-endpoints", &app.key_a)
        .json(&json!({"url": url, "event_types": types, "description": "orders"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn post_scan(app: &TestApp, scan: Value) {
    let r = app
        .post("/v1/fleet/scans", &app.key_a)
        .json(&json!({"scans": [scan]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["results"][0]["result"], "applied", "{body}");
}

async fn deliveries(app: &TestApp, endpoint_id: &str) -> Vec<Value> {
    let r = app
        .get(
            &format!("/v1/webhook-endpoints/{endpoint_id}/deliveries?limit=100"),
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["data"]
        .as_array()
        .unwrap()
        .clone()
}

/// Polls an endpoint's deliveries until `done` holds for them.
async fn deliveries_until(
    app: &TestApp,
    endpoint_id: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let d = deliveries(app, endpoint_id).await;
        if done(&d) {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries never settled: {d:#?}"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

#[tokio::test]
async fn shipment_events_arrive_signed_and_in_order() {
    let app = spawn_app().await;
    let receiver = Receiver::start(Vec::new()).await;
    let endpoint = create_endpoint(&app, &receiver.url, &ALL_TYPES).await;
    let secret = endpoint["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && STANDARD.decode(&secret[6..]).unwrap().len() >= 24);

    let shipment = app.create_shipment("ORD-WH-1").await;
    let awb = shipment["awb"].as_str().unwrap();
    receiver.wait_for(1).await;
    // Each scan is posted once the previous one's webhooks arrived, so the
    // order across scans is the order they were made.
    let steps: [(Value, usize); 5] = [
        (
            json!({"awb": awb, "status": "picked_up", "location": "Okhla hub"}),
            2,
        ),
        (
            json!({"awb": awb, "status": "out_for_delivery", "rider_id": "R-17"}),
            3,
        ),
        (
            json!({"awb": awb, "status": "delivery_failed", "ndr_reason": "customer_unavailable"}),
            5,
        ),
        (json!({"awb": awb, "status": "out_for_delivery"}), 6),
        (json!({"awb": awb, "status": "delivered"}), 8),
    ];
    for (scan, total) in steps {
        post_scan(&app, scan).await;
        receiver.wait_for(total).await;
    }
    // A scan that changes nothing raises nothing.
    let late = json!({"scans": [{"awb": awb, "status": "picked_up"}]});
    app.post("/v1/fleet/scans", &app.key_a)
        .json(&late)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let got = receiver.received();
    let seen: Vec<(String, String, String)> = got
        .iter()
        .map(|r| {
            let b = r.json();
            (
                b["type"].as_str().unwrap().to_string(),
                b["data"]["previous_status"]
                    .as_str()
                    .unwrap_or("-")
                    .to_string(),
                b["data"]["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("shipment.created", "-", "manifested"),
        ("shipment.status_changed", "manifested", "picked_up"),
        ("shipment.status_changed", "picked_up", "out_for_delivery"),
        (
            "shipment.status_changed",
            "out_for_delivery",
            "delivery_failed",
        ),
        ("shipment.ndr_raised", "out_for_delivery", "delivery_failed"),
        (
            "shipment.status_changed",
            "delivery_failed",
            "out_for_delivery",
        ),
        ("shipment.status_changed", "out_for_delivery", "delivered"),
        ("shipment.delivered", "out_for_delivery", "delivered"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(seen, want);

    let mut ids = std::collections::HashSet::new();
    for r in &got {
        assert_signed(secret, r);
        assert!(
            ids.insert(r.header("webhook-id").to_string()),
            "one id per message"
        );
        let b = r.json();
        assert_eq!(b["data"]["id"], shipment["id"]);
        assert_eq!(b["data"]["awb"], awb);
        assert_eq!(b["data"]["carrier"], "fleet");
        assert_eq!(b["data"]["order_reference"], "ORD-WH-1");
        let raised: jiff::Timestamp = b["timestamp"].as_str().unwrap().parse().unwrap();
        assert!(raised <= jiff::Timestamp::now());
    }
    let picked = got[1].json();
    assert_eq!(picked["data"]["last_event"]["location"], "Okhla hub");
    assert_eq!(picked["data"]["customer_bucket"], "shipped");
    let ndr = got[4].json();
    assert_eq!(ndr["data"]["ndr_reason"], "customer_unavailable");
    assert_eq!(ndr["data"]["failed_attempts"], 1);
    assert_eq!(ndr["data"]["customer_bucket"], "delivery_failed");

    // The delivery log: every message delivered at the first attempt.
    let log = deliveries(&app, endpoint["id"].as_str().unwrap()).await;
    assert_eq!(log.len(), 8);
    for m in &log {
        assert_eq!(m["status"], "delivered", "{m}");
        assert_eq!(m["attempts"].as_array().unwrap().len(), 1);
        assert_eq!(m["attempts"][0]["status_code"], 200);
        assert_eq!(m["attempts"][0]["response_excerpt"], "answer 200");
    }
    assert_eq!(log[0]["event_type"], "shipment.delivered", "newest first");
    assert_eq!(log[0]["payload"], got[7].json());
}

#[tokio::test]
async fn failures_are_retried_honouring_retry_after() {
    let app = spawn_app().await;
    let receiver = Receiver::start(vec![(500, None), (503, Some(1))]).await;
    let endpoint = create_endpoint(&app, &receiver.url, &["shipment.created"]).await;
    app.create_shipment("ORD-WH-2").await;
    let got = receiver.wait_for(3).await;
    let id = got[0].header("webhook-id");
    assert!(
        got.iter().all(|r| r.header("webhook-id") == id),
        "one message, retried"
    );
    assert!(got.iter().all(|r| r.body == got[0].body));
    let secret = endpoint["secret"].as_str().unwrap();
    got.iter().for_each(|r| assert_signed(secret, r));
    // The schedule says 50 ms; the receiver's Retry-After said 1 s.
    assert!(got[1].at - got[0].at < Duration::from_secs(1));
    assert!(got[2].at - got[1].at >= Duration::from_secs(1));

    let log = deliveries_until(&app, endpoint["id"].as_str().unwrap(), |d| {
        d.first().is_some_and(|m| m["status"] == "delivered")
    })
    .await;
    let attempts = log[0]["attempts"].as_array().unwrap();
    let codes: Vec<_> = attempts
        .iter()
        .map(|a| a["status_code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [500, 503, 200]);
    assert_eq!(attempts[0]["attempt"], 1);
    assert_eq!(attempts[0]["trigger"], "scheduled");
    assert_eq!(attempts[0]["response_excerpt"], "answer 500");
    assert_eq!(attempts[0]["error"], "the endpoint answered 500");
    assert!(attempts[0]["next_attempt_at"].is_string());
    assert!(attempts[2].get("next_attempt_at").is_none());
}

#[tokio::test]
async fn an_exhausted_message_fails_and_replay_sends_it_again() {
    let app = spawn_app().await;
    // 1 attempt + 3 retries, all refused.
    let receiver = Receiver::start(vec![(500, None); 4]).await;
    let endpoint = create_endpoint(&app, &receiver.url, &["shipment.created"]).await;
    let endpoint_id = endpoint["id"].as_str().unwrap();
    app.create_shipment("ORD-WH-3").await;
    let log = deliveries_until(&app, endpoint_id, |d| {
        d.first().is_some_and(|m| m["status"] == "failed")
    })
    .await;
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 4);
    assert!(log[0].get("next_attempt_at").is_none());
    let msg_id = log[0]["id"].as_str().unwrap();

    let r = app
        .post(
            &format!("/v1/webhook-endpoints/{endpoint_id}/deliveries/{msg_id}/replay"),
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let got = receiver.wait_for(5).await;
    assert_eq!(got[4].header("webhook-id"), msg_id);
    assert_signed(endpoint["secret"].as_str().unwrap(), &got[4]);
    let log = deliveries_until(&app, endpoint_id, |d| d[0]["status"] == "delivered").await;
    let attempts = log[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 5);
    assert_eq!(
        (
            attempts[4]["attempt"].as_u64(),
            attempts[4]["trigger"].as_str()
        ),
        (Some(5), Some("replay"))
    );

    let r = app
        .post(
            &format!("/v1/webhook-endpoints/{endpoint_id}/deliveries/msg_nope/replay"),
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    problem(r, 404).await;
}

#[tokio::test]
async fn a_rotated_secret_signs_alongside_the_new_one() {
    let app = spawn_app().await;
    let receiver = Receiver::start(Vec::new()).await;
    let endpoint = create_endpoint(&app, &receiver.url, &["shipment.created"]).await;
    let (id, old) = (
        endpoint["id"].as_str().unwrap(),
        endpoint["secret"].as_str().unwrap(),
    );
    let r = app
        .post(
            &format!("/v1/webhook-endpoints/{id}/rotate-secret"),
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rotated: Value = r.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap();
    assert!(new.starts_with("whsec_") && new != old);
    assert!(rotated["previous_secret_expires_at"].is_string());
    // The secret is shown on create and rotate only.
    let fetched: Value = app
        .get(&format!("/v1/webhook-endpoints/{id}"), &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(fetched.get("secret").is_none());

    app.create_shipment("ORD-WH-4").await;
    let got = receiver.wait_for(1).await;
    let signatures: Vec<_> = got[0].header("webhook-signature").split(' ').collect();
    assert_eq!(
        signatures,
        [
            expected_signature(new, &got[0]),
            expected_signature(old, &got[0])
        ]
    );
}

#[tokio::test]
async fn another_tenant_cannot_see_or_touch_an_endpoint() {
    let app = spawn_app().await;
    let endpoint = create_endpoint(
        &app,
        "https://merchant.example/hooks",
        &["shipment.created"],
    )
    .await;
    let id = endpoint["id"].as_str().unwrap();
    let base = format!("/v1/webhook-endpoints/{id}");
    let b = &app.key_b;
    let c = &app.client;
    let requests = [
        c.get(app.url(&base)),
        c.patch(app.url(&base)).json(&json!({"enabled": false})),
        c.delete(app.url(&base)),
        c.post(app.url(&format!("{base}/rotate-secret"))),
        c.get(app.url(&format!("{base}/deliveries"))),
        c.post(app.url(&format!("{base}/deliveries/msg_x/replay"))),
    ];
    for request in requests {
        let r = request.bearer_auth(b).send().await.unwrap();
        assert_eq!(problem(r, 404).await["code"], "not_found");
    }
    let listed: Value = app
        .get("/v1/webhook-endpoints", b)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed["data"].as_array().unwrap().is_empty());
    let listed: Value = app
        .get("/v1/webhook-endpoints", &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["id"], id);
    assert!(listed["data"][0].get("secret").is_none());

    // The owner can change and delete it.
    let r = c
        .patch(app.url(&base))
        .bearer_auth(&app.key_a)
        .json(&json!({"event_types": ["shipment.delivered", "shipment.delivered"], "url": "http://merchant.example/v2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let patched: Value = r.json().await.unwrap();
    assert_eq!(patched["event_types"], json!(["shipment.delivered"]));
    assert_eq!(patched["url"], "http://merchant.example/v2");
    assert_eq!(patched["description"], "orders");
    let r = c
        .delete(app.url(&base))
        .bearer_auth(&app.key_a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    problem(app.get(&base, &app.key_a).send().await.unwrap(), 404).await;
}

#[tokio::test]
async fn invalid_endpoints_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"url": "ftp://merchant.example/x", "event_types": ["shipment.created"]}),
            "url",
            "invalid_url",
        ),
        (
            json!({"url": "not a url", "event_types": ["shipment.created"]}),
            "url",
            "invalid_url",
        ),
        (
            json!({"url": "http://", "event_types": ["shipment.created"]}),
            "url",
            "invalid_url",
        ),
        (
            json!({"url": "https://merchant.example", "event_types": ["shipment.created", "shipment.teleported"]}),
            "event_types[1]",
            "unknown_event_type",
        ),
        (
            json!({"url": "https://merchant.example", "event_types": []}),
            "event_types",
            "required",
        ),
        (
            json!({"event_types": ["shipment.created"]}),
            "url",
            "required",
        ),
    ];
    for (body, field, code) in cases {
        let r = app
            .post("/v1/webhook-endpoints", &app.key_a)
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = problem(r, 422).await;
        assert_eq!(
            (
                p["errors"][0]["field"].as_str(),
                p["errors"][0]["code"].as_str()
            ),
            (Some(field), Some(code)),
            "{body}"
        );
    }
    let endpoint = create_endpoint(
        &app,
        "https://merchant.example/hooks",
        &["shipment.created"],
    )
    .await;
    let r = app
        .client
        .patch(app.url(&format!(
            "/v1/webhook-endpoints/{}",
            endpoint["id"].as_str().unwrap()
        )))
        .bearer_auth(&app.key_a)
        .json(&json!({"event_types": ["shipment.lost"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(r, 422).await["errors"][0]["field"],
        "event_types[0]"
    );
}

#[tokio::test]
async fn an_endpoint_failing_too_long_is_disabled_until_enabled_again() {
    // Failing "for too long" from the first failure on.
    let app = spawn_app_with(shipgate_api::service::webhooks::WebhookConfig {
        disable_after: Duration::ZERO,
        ..fast_webhooks()
    })
    .await;
    let receiver = Receiver::start(vec![(500, None); 10]).await;
    let endpoint = create_endpoint(&app, &receiver.url, &["shipment.created"]).await;
    let id = endpoint["id"].as_str().unwrap();
    app.create_shipment("ORD-WH-5").await;
    let log = deliveries_until(&app, id, |d| {
        d.first().is_some_and(|m| m["status"] == "failed")
    })
    .await;
    let attempts = log[0]["attempts"].as_array().unwrap();
    let last = attempts.last().unwrap();
    assert!(
        last["error"].as_str().unwrap().contains("disabled"),
        "{last}"
    );
    assert_eq!(
        receiver.received().len(),
        1,
        "nothing is sent to a disabled endpoint"
    );
    let fetched: Value = app
        .get(&format!("/v1/webhook-endpoints/{id}"), &app.key_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["enabled"], false);
    assert!(
        fetched["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("failed")
    );
    // Replays wait for the endpoint to be enabled again.
    let replay = format!(
        "/v1/webhook-endpoints/{id}/deliveries/{}/replay",
        log[0]["id"].as_str().unwrap()
    );
    problem(app.post(&replay, &app.key_a).send().await.unwrap(), 409).await;

    let r = app
        .client
        .patch(app.url(&format!("/v1/webhook-endpoints/{id}")))
        .bearer_auth(&app.key_a)
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    let enabled: Value = r.json().await.unwrap();
    assert_eq!(enabled["enabled"], true);
    assert!(enabled.get("disabled_reason").is_none());
    assert_eq!(
        app.post(&replay, &app.key_a).send().await.unwrap().status(),
        202
    );
    receiver.wait_for(2).await;
}

#[tokio::test]
async fn three_failures_then_the_fourth_attempt_delivers_signed() {
    let app = spawn_app().await;
    let receiver = Receiver::start(vec![(500, None), (502, None), (503, None)]).await;
    let endpoint = create_endpoint(&app, &receiver.url, &["shipment.created"]).await;
    app.create_shipment("ORD-WH-FOURTH").await;
    let got = receiver.wait_for(4).await;
    let secret = endpoint["secret"].as_str().unwrap();
    assert!(
        got.iter()
            .all(|r| r.header("webhook-id") == got[0].header("webhook-id"))
    );
    assert_signed(secret, &got[3]);
    let log = deliveries_until(&app, endpoint["id"].as_str().unwrap(), |d| {
        d.first().is_some_and(|m| m["status"] == "delivered")
    })
    .await;
    let codes: Vec<_> = log[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [500, 502, 503, 200]);
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_every_event_once_it_is_back() {
    // Retries reach past the outage (the production schedule reaches a day).
    let app = spawn_app_with(shipgate_api::service::webhooks::WebhookConfig {
        retry_schedule: vec![Duration::from_millis(100); 12],
        ..fast_webhooks()
    })
    .await;
    // Down: the first 12 requests, whichever messages they carry, get 503.
    let receiver = Receiver::start(vec![(503, None); 12]).await;
    let endpoint = create_endpoint(
        &app,
        &receiver.url,
        &["shipment.created", "shipment.status_changed"],
    )
    .await;
    let created = app.create_shipment("ORD-WH-OUTAGE").await;
    let awb = created["awb"].as_str().unwrap();
    for (status, at) in [
        ("picked_up", "2025-03-01T10:00:00Z"),
        ("in_transit", "2025-03-01T18:00:00Z"),
        ("out_for_delivery", "2025-03-02T08:00:00Z"),
    ] {
        post_scan(
            &app,
            json!({"awb": awb, "status": status, "occurred_at": at}),
        )
        .await;
    }
    // created + three status changes = four messages, all delivered in the end.
    let log = deliveries_until(&app, endpoint["id"].as_str().unwrap(), |d| {
        d.len() == 4 && d.iter().all(|m| m["status"] == "delivered")
    })
    .await;
    assert_eq!(log.len(), 4);
    let got = receiver.received();
    assert!(
        got.len() >= 16,
        "12 refusals and 4 deliveries: {}",
        got.len()
    );
    let delivered_ids: std::collections::HashSet<_> = log
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    let sent_ids: std::collections::HashSet<_> = got
        .iter()
        .map(|r| r.header("webhook-id").to_string())
        .collect();
    assert_eq!(delivered_ids, sent_ids, "no event lost, none invented");
}

/// Fan-out jobs claimed together are written per tenant at once: each
/// tenant's endpoint gets its own events, a malformed job fails alone, and
/// running the batch again writes nothing twice.
#[tokio::test]
async fn fan_out_jobs_claimed_together_write_each_tenants_events_once() {
    use shipgate_api::service::webhooks::delivery::FanOutJob;
    use shipgate_api::worker::JobHandler;
    let app = spawn_app().await;
    // Nothing listens there: the messages stay, undelivered, to be counted.
    let a = create_endpoint(&app, "http://127.0.0.1:9/a", &["shipment.created"]).await;
    let r = app
        .post("/v1/webhook-endpoints", &app.key_b)
        .json(&json!({"url": "http://127.0.0.1:9/b", "event_types": ["shipment.created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let b: Value = r.json().await.unwrap();
    let tenant_b = app
        .store
        .tenant_by_api_key_hash(&shipgate_api::keys::hash(&app.key_b))
        .await
        .unwrap()
        .unwrap()
        .tenant
        .id;
    let job = |tenant: &str, payload: Value| shipgate_storage::Job {
        id: shipgate_storage::new_id("job"),
        tenant_id: Some(tenant.to_string()),
        kind: "webhook.fanout".into(),
        payload,
        status: shipgate_storage::JobStatus::Running,
        attempts: 1,
        max_attempts: 5,
        run_at: jiff::Timestamp::now(),
        locked_by: None,
        locked_until: None,
        last_error: None,
    };
    let created = |key: &str| json!({"events": [{"key": key, "type": "shipment.created", "payload": format!("{{\"key\":\"{key}\"}}")}]});
    let jobs = [
        job(&app.tenant_a.id, created("evt_a1")),
        job(&app.tenant_a.id, json!({"events": "not a list"})),
        job(&tenant_b, created("evt_b1")),
        job(&app.tenant_a.id, created("evt_a2")),
    ];
    let handler = FanOutJob(app.state.clone());
    for _ in 0..2 {
        let outcomes = handler.run_batch(&jobs).await;
        assert!(
            outcomes[0].is_ok() && outcomes[2].is_ok() && outcomes[3].is_ok(),
            "{outcomes:?}"
        );
        assert!(
            outcomes[1].as_ref().unwrap_err().contains("malformed"),
            "{outcomes:?}"
        );
    }
    let mut keys: Vec<String> = deliveries(&app, a["id"].as_str().unwrap())
        .await
        .iter()
        .map(|m| m["payload"]["key"].as_str().unwrap_or_default().to_string())
        .collect();
    keys.sort();
    assert_eq!(keys, ["evt_a1", "evt_a2"]);
    let r = app
        .get(
            &format!(
                "/v1/webhook-endpoints/{}/deliveries",
                b["id"].as_str().unwrap()
            ),
            &app.key_b,
        )
        .send()
        .await
        .unwrap();
    let listed: Value = r.json().await.unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
}
