//! Tracking throughput end to end: carrier pushes in Delhivery's batched
//! format through `POST /hooks/carriers/{account}` (authenticated, stored
//! raw, acknowledged), applied by the job worker (events stored, folded,
//! merchant webhooks queued), and merchant webhooks delivered to a local
//! receiver.
//!
//! "Applied" is read from the database: every scan an event, every shipment
//! at its last scan's status, every status change's webhook message in the
//! outbox. "Delivered" is counted by the receiver: distinct `webhook-id`s
//! whose Standard Webhooks signature it verified.
//!
//!     cargo bench -p shipgate-api --bench tracking
//!     SHIPGATE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p shipgate-api --bench tracking
//!
//! Knobs: BENCH_SHIPMENTS (default 400), BENCH_SCANS_PER_PUSH (100), BENCH_PUSH_CLIENTS (8),
//! BENCH_DELIVERY (`after`: the outbox is delivered once every scan is
//! applied, by workers that do nothing else, so ingestion (up to "webhook
//! queued") and delivery are measured apart; `during`: the same workers
//! apply pushes and deliver at once),
//! BENCH_ORDER (`time`: pushes go out in the order the scans happened, as
//! carriers send them; `reverse`: latest first, so most scans arrive behind
//! a later one and take the whole-history fold).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use shipgate_api::{AppState, Sandbox, app, keys, register_jobs};
use shipgate_carriers::adapter;
use shipgate_carriers::core::sim::{SimScan, SimShipment};
use shipgate_carriers::secrets::SecretBox;
use shipgate_domain::{PaymentMode, ShipmentStatus};
use shipgate_storage::testing;

mod common;
use common::{env, percentile};

/// One push request: its headers and body.
type Push = (Vec<(String, String)>, Vec<u8>);

/// The allocator `shipgate serve` runs with (see `crates/shipgate`), so the
/// server measured here allocates as it does in production.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    shipgate_carriers::client::install_tls_provider();
    // Timing spans, e.g. RUST_LOG=shipgate_api=debug,shipgate_storage=debug.
    if std::env::var("RUST_LOG").is_ok() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let shipments = env("BENCH_SHIPMENTS", 400) as usize;
    let per_push = env("BENCH_SCANS_PER_PUSH", 100) as usize;
    let clients = env("BENCH_PUSH_CLIENTS", 8) as usize;
    let deliver_after = std::env::var("BENCH_DELIVERY").map_or(true, |d| d != "during");

    // A receiver for merchant webhooks that verifies each signature and
    // counts distinct messages (delivery is at least once).
    let received = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(std::sync::Mutex::new(
        std::collections::HashSet::<String>::new(),
    ));
    let bad = Arc::new(AtomicU64::new(0));
    let signing_key: Arc<std::sync::OnceLock<Vec<u8>>> = Arc::default();
    let first_receipt: Arc<std::sync::OnceLock<Instant>> = Arc::default();
    let (counter, ids, bad_count, hook_key, first) = (
        received.clone(),
        seen.clone(),
        bad.clone(),
        signing_key.clone(),
        first_receipt.clone(),
    );
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let (counter, ids, bad_count, hook_key, first) = (
                counter.clone(),
                ids.clone(),
                bad_count.clone(),
                hook_key.clone(),
                first.clone(),
            );
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string()
                };
                let id = header("webhook-id");
                let mut mac =
                    Hmac::<sha2::Sha256>::new_from_slice(hook_key.get().unwrap()).unwrap();
                mac.update(format!("{id}.{}.{body}", header("webhook-timestamp")).as_bytes());
                let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
                if !header("webhook-signature")
                    .split(' ')
                    .any(|s| s == expected)
                {
                    bad_count.fetch_add(1, Ordering::Relaxed);
                } else if ids.lock().unwrap().insert(id) {
                    first.get_or_init(Instant::now);
                    counter.fetch_add(1, Ordering::Relaxed);
                }
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
    // Pushes are applied as they arrive (no job); the job workers run only
    // follow-ups, at the server's own idle pause unless they also deliver.
    for w in 0..4 {
        let mut worker = shipgate_api::worker::Worker::new(store.clone(), format!("bench-{w}"));
        if deliver_after {
            worker = register_jobs(worker, &state).unwrap().without_sweeps();
        } else {
            worker =
                register_jobs(worker.with_idle_pause(Duration::from_millis(5)), &state).unwrap();
        }
        spawn_worker(worker);
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
    let endpoint: Value = post(
        "/v1/webhook-endpoints",
        json!({"url": hook_url, "event_types": ["shipment.status_changed"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let secret = endpoint["secret"].as_str().unwrap();
    signing_key
        .set(
            STANDARD
                .decode(secret.strip_prefix("whsec_").unwrap())
                .unwrap(),
        )
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
    // The bookings' own follow-ups (`shipment.created` fan-outs) finish
    // first, so they do not share the writer with the pushes measured.
    while counter
        .count("SELECT COUNT(*) FROM jobs WHERE kind = 'webhook.fanout' AND status NOT IN ('done', 'dead')")
        .await
        > 0
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events_before = counter.count("SELECT COUNT(*) FROM shipment_events").await;
    let messages_before = counter.count("SELECT COUNT(*) FROM webhook_messages").await;
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
    // The scans happen after booking (a minute apart; pushed as they happen,
    // give or take the seconds the bench takes to send them).
    let t0 = Timestamp::now();
    let code = |status: ShipmentStatus| {
        delhivery
            .status_codes()
            .iter()
            .find(|c| c.status == status)
            .unwrap()
    };
    let mut scans: Vec<(String, SimScan)> = Vec::new();
    for (h, status) in [
        (60, ShipmentStatus::PickedUp),
        (120, ShipmentStatus::InTransit),
        (180, ShipmentStatus::AtDestinationHub),
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
                    at: t0 + SignedDuration::from_secs(h),
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
    // A mark on stderr, e.g. to attach a profiler for the ingestion alone.
    eprintln!(
        "pushing {total_scans} scans (process {})",
        std::process::id()
    );
    let started = Instant::now();
    let cpu_before = common::process_cpu();
    let reverse = std::env::var("BENCH_ORDER").is_ok_and(|o| o == "reverse");
    // Clients pop from the end: reversed, the earliest scans go first.
    let bodies: Vec<Push> = if reverse {
        bodies
    } else {
        bodies.into_iter().rev().collect()
    };
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
    // Applied: every scan an event and every shipment at its last scan's
    // status; the transaction that writes those writes the webhook
    // messages too (counted then). A scan folded in behind a later one
    // changes no status and raises no webhook.
    let expected_events = events_before + total_scans as i64;
    let status_sql = "SELECT COUNT(*) FROM shipments WHERE status = 'at_destination_hub'";
    loop {
        if counter.count("SELECT COUNT(*) FROM shipment_events").await >= expected_events
            && counter.count(status_sql).await >= shipments as i64
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let applied = started.elapsed();
    let cpu_applied = common::process_cpu() - cpu_before;
    let mut queued = counter.count("SELECT COUNT(*) FROM webhook_messages").await - messages_before;
    let queued_when_applied = queued;
    // Delivery apart: outbox-only workers start now, and the clock with them.
    let (started, cpu_before) = if deliver_after {
        for w in 0..4 {
            spawn_worker(
                shipgate_api::worker::Worker::new(store.clone(), format!("bench-out-{w}"))
                    .with_idle_pause(Duration::from_millis(5))
                    .sweep(Arc::new(
                        shipgate_api::service::webhooks::delivery::Outbox::new(state.clone())
                            .unwrap(),
                    )),
            );
        }
        (Instant::now(), common::process_cpu())
    } else {
        (started, cpu_before)
    };
    // Delivered: every queued message received (or nothing new for 2 s).
    let (mut last, mut last_change) = (received.load(Ordering::Relaxed), Instant::now());
    let mut delivered = started.elapsed();
    while last_change.elapsed() < Duration::from_secs(2) {
        let now = received.load(Ordering::Relaxed);
        if now != last {
            (last, last_change) = (now, Instant::now());
            delivered = started.elapsed();
        }
        if now - webhooks_before >= queued as u64 {
            // Messages fanned out by jobs (before the outbox) come later.
            let fanning = counter
                .count(
                    "SELECT COUNT(*) FROM jobs WHERE kind = 'webhook.fanout' AND status <> 'done'",
                )
                .await;
            queued = counter.count("SELECT COUNT(*) FROM webhook_messages").await - messages_before;
            if fanning == 0 && now - webhooks_before >= queued as u64 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "backend: {backend}; {total_scans} scans for {shipments} shipments in pushes of {per_push}; {clients} pushing clients; 4 workers; order: {}; delivery: {}",
        if reverse { "reverse" } else { "time" },
        if deliver_after {
            "after applying, by 4 outbox-only workers"
        } else {
            "during, by the same workers"
        }
    );
    println!(
        "push acknowledged: {:.0} scans/s; ack p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        total_scans as f64 / acked.as_secs_f64(),
        percentile(&acks, 0.5),
        percentile(&acks, 0.99),
        percentile(&acks, 1.0)
    );
    println!(
        "scans applied end to end (stored, folded, {queued_when_applied} webhooks queued): {:.0} scans/s ({:.3} s from the first push)",
        total_scans as f64 / applied.as_secs_f64(),
        applied.as_secs_f64()
    );
    let cpu_delivered = common::process_cpu() - cpu_before;
    println!(
        "CPU of the whole process (server, pushing clients{}): {:.0} µs per scan applied",
        if deliver_after {
            ""
        } else {
            ", webhook sender and receiver"
        },
        cpu_applied.as_secs_f64() * 1e6 / total_scans as f64
    );
    let count = received.load(Ordering::Relaxed) - webhooks_before;
    let first = first_receipt
        .get()
        .map_or(Duration::ZERO, |t| t.saturating_duration_since(started));
    let since = if deliver_after {
        "the outbox workers' start"
    } else {
        "the first push"
    };
    println!(
        "merchant webhooks delivered (signature verified, distinct): {count} of {queued} by {:.3} s from {since} = {:.0}/s; {:.0}/s from the first delivery ({:.3} s); bad signatures: {}; CPU {:.0} µs per webhook (sender and receiver)",
        delivered.as_secs_f64(),
        count as f64 / delivered.as_secs_f64(),
        count as f64 / (delivered - first).as_secs_f64(),
        first.as_secs_f64(),
        bad.load(Ordering::Relaxed),
        cpu_delivered.as_secs_f64() * 1e6 / count.max(1) as f64
    );
}

fn spawn_worker(worker: shipgate_api::worker::Worker) {
    let (stop, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _keep = stop;
        worker.run(rx).await
    });
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

    async fn count(&self, sql: &'static str) -> i64 {
        match self {
            Counter::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            Counter::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        }
    }
}
