//! Tracking throughput end to end: carrier pushes in Delhivery's batched
//! format through `POST /hooks/carriers/{account}` (authenticated, stored
//! raw, acknowledged), applied by the job worker (events stored, folded,
//! merchant webhooks queued), and merchant webhooks delivered to a local
//! receiver.
//!
//!     cargo bench -p shipgate-api --bench tracking
//!     SHIPGATE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p shipgate-api --bench tracking
//!
//! Knobs: BENCH_SHIPMENTS (default 400), BENCH_SCANS_PER_PUSH (100), BENCH_PUSH_CLIENTS (8).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use shipgate_api::{AppState, Sandbox, app, keys, register_jobs};
use shipgate_carriers::adapter;
use shipgate_carriers::core::sim::{SimScan, SimShipment};
use shipgate_carriers::secrets::SecretBox;
use shipgate_domain::{PaymentMode, ShipmentStatus};
use shipgate_storage::testing;

/// One push request: its headers and body.
type Push = (Vec<(String, String)>, Vec<u8>);

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    shipgate_carriers::client::install_tls_provider();
    let shipments = env("BENCH_SHIPMENTS", 400) as usize;
    let per_push = env("BENCH_SCANS_PER_PUSH", 100) as usize;
    let clients = env("BENCH_PUSH_CLIENTS", 8) as usize;

    // A receiver for merchant webhooks that only counts.
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let hook_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", hook_listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(hook_listener, receiver).await.unwrap() });

    let url = testing::fresh_database_url().await;
    let store = shipgate_storage::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let key = keys::issue();
    store
        .create_tenant("Bench", &key.hash, &key.prefix)
        .await
        .unwrap();
    let sandbox = Sandbox::start("127.0.0.1:0", 1).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut state = AppState::new(
        store.clone(),
        SecretBox::from_config(&SecretBox::generate_key()).unwrap(),
        Some(sandbox),
        None,
    );
    state.allow_private_webhook_targets = true;
    for w in 0..4 {
        let worker = register_jobs(
            shipgate_api::worker::Worker::new(store.clone(), format!("bench-{w}"))
                .with_idle_pause(Duration::from_millis(5)),
            &state,
        )
        .unwrap();
        let (stop, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _keep = stop;
            worker.run(rx).await
        });
    }
    let router = app(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&key.secret)
            .json(&body)
            .send()
    };

    let account: Value = post(
        "/v1/carrier-accounts",
        json!({"carrier": "delhivery", "sandbox": true}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let account_id = account["id"].as_str().unwrap().to_string();
    post(
        "/v1/webhook-endpoints",
        json!({"url": hook_url, "event_types": ["shipment.status_changed"]}),
    )
    .await
    .unwrap();
    let mut awbs = Vec::new();
    for i in 0..shipments {
        let body = json!({
            "order_reference": format!("PUSH-{i}"), "carrier_account_id": account_id,
            "pickup": {"name": "W", "phone": "9876543210", "line1": "1 Road", "city": "Delhi", "state": "Delhi", "postal_code": "110020"},
            "consignee": {"name": "C", "phone": "9812345678", "line1": "2 Road", "city": "Bengaluru", "state": "KA", "postal_code": "560001"},
            "parcels": [{"weight_grams": 500}], "payment_mode": "prepaid", "declared_value": 10000
        });
        let s: Value = post("/v1/shipments", body)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        awbs.push(s["awb"].as_str().unwrap().to_string());
    }
    let counter = Counter::new(&url).await;
    let events_before = counter.events().await;
    let webhooks_before = received.load(Ordering::Relaxed);

    // Three scans per shipment (picked up, in transit, at the destination hub),
    // batched `per_push` to a request as Delhivery's push allows.
    let delhivery = adapter("delhivery").unwrap();
    let record = store
        .carrier_account_by_id(&account_id)
        .await
        .unwrap()
        .unwrap();
    let secret = shipgate_api::service::carrier_accounts::credentials(&state, &record).ok();
    let secret = secret
        .and_then(|c| c.get("webhook_secret").map(|s| s.expose().to_string()))
        .unwrap_or_default();
    let t0 = Timestamp::now() - SignedDuration::from_hours(20);
    let code = |status: ShipmentStatus| {
        delhivery
            .status_codes()
            .iter()
            .find(|c| c.status == status)
            .unwrap()
    };
    let mut scans: Vec<(String, SimScan)> = Vec::new();
    for (h, status) in [
        (1, ShipmentStatus::PickedUp),
        (5, ShipmentStatus::InTransit),
        (12, ShipmentStatus::AtDestinationHub),
    ] {
        for awb in &awbs {
            let c = code(status);
            scans.push((
                awb.clone(),
                SimScan {
                    status,
                    ndr_reason: None,
                    code: c.code,
                    description: c.description,
                    at: t0 + SignedDuration::from_hours(h),
                    location: "Hub".into(),
                },
            ));
        }
    }
    let bodies: Vec<Push> = scans
        .chunks(per_push)
        .map(|chunk| {
            let mut items = Vec::new();
            let mut headers = Vec::new();
            for (awb, scan) in chunk {
                let shipment = SimShipment {
                    awb: awb.clone(),
                    reference: String::new(),
                    payment_mode: PaymentMode::Prepaid,
                    cod_amount_minor: 0,
                    consignee_name: "C".into(),
                    destination_postal_code: "560001".into(),
                    scans: vec![scan.clone()],
                    attempts: 0,
                    edd: None,
                };
                let request = delhivery
                    .sim_push(&secret, &shipment, std::slice::from_ref(scan))
                    .unwrap();
                headers = request.headers.clone();
                if let shipgate_carriers::core::Body::Json(v) = request.body {
                    items.push(v);
                }
            }
            (headers, serde_json::to_vec(&Value::Array(items)).unwrap())
        })
        .collect();
    let total_scans = scans.len();
    let hook = format!("{base}/hooks/carriers/{account_id}");
    let started = Instant::now();
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (queue, client, hook) = (queue.clone(), client.clone(), hook.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let Some((headers, body)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let mut request = client
                    .post(&hook)
                    .header("content-type", "application/json")
                    .body(body);
                for (k, v) in headers {
                    request = request.header(k, v);
                }
                let t = Instant::now();
                let r = request.send().await.unwrap();
                latencies.push(t.elapsed());
                assert_eq!(r.status(), 200);
            }
            latencies
        }));
    }
    let mut acks = Vec::new();
    for t in tasks {
        acks.extend(t.await.unwrap());
    }
    let acked = started.elapsed();
    acks.sort();
    // Wait until every scan is an event.
    let expected = events_before + total_scans as i64;
    while counter.events().await < expected {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let applied = started.elapsed();
    // Webhooks: one per status change (a scan folded in behind a later one
    // changes nothing, so there can be fewer than scans). Wait until quiet.
    let (mut last, mut last_change) = (received.load(Ordering::Relaxed), Instant::now());
    let mut delivered = started.elapsed();
    while last_change.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let now = received.load(Ordering::Relaxed);
        if now != last {
            (last, last_change) = (now, Instant::now());
            delivered = started.elapsed();
        }
    }
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "backend: {backend}; {total_scans} scans for {shipments} shipments in pushes of {per_push}; {clients} pushing clients; 4 workers"
    );
    println!(
        "push acknowledged: {:.0} scans/s; ack p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        total_scans as f64 / acked.as_secs_f64(),
        percentile(&acks, 0.5),
        percentile(&acks, 0.99),
        percentile(&acks, 1.0)
    );
    println!(
        "scans applied end to end (stored, folded, webhooks queued): {:.0} scans/s",
        total_scans as f64 / applied.as_secs_f64()
    );
    println!(
        "merchant webhooks delivered: {} in {:.2} s = {:.0}/s",
        received.load(Ordering::Relaxed) - webhooks_before,
        delivered.as_secs_f64(),
        (received.load(Ordering::Relaxed) - webhooks_before) as f64 / delivered.as_secs_f64()
    );
}

enum Counter {
    Pg(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

impl Counter {
    async fn new(url: &str) -> Self {
        if url.starts_with("postgres") {
            Counter::Pg(sqlx::PgPool::connect(url).await.unwrap())
        } else {
            Counter::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap())
        }
    }

    async fn events(&self) -> i64 {
        let sql = "SELECT COUNT(*) FROM shipment_events";
        match self {
            Counter::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            Counter::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        }
    }
}
