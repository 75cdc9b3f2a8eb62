//! Shipment creation throughput through the real HTTP API.
//!
//! Starts Shipgate in-process on loopback (SQLite in a temp file, or
//! PostgreSQL when SHIPGATE_TEST_POSTGRES_URL is set), with the sandbox
//! carrier simulator, then runs N concurrent clients creating shipments for a
//! fixed time, for the self-managed fleet and for a sandbox carrier. Prints
//! throughput, latency percentiles, errors and bytes stored per shipment.
//!
//!     cargo bench -p shipgate-api --bench api
//!     SHIPGATE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p shipgate-api --bench api
//!
//! Knobs: BENCH_CLIENTS (default 8), BENCH_SECONDS (default 10).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shipgate_api::{AppState, Sandbox, app, keys};
use shipgate_carriers::secrets::SecretBox;
use shipgate_storage::testing;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn body(reference: &str, account: Option<&str>) -> Value {
    let mut body = json!({
        "order_reference": reference,
        "pickup": {"name": "Acme Warehouse", "phone": "9876543210", "line1": "Plot 4, Okhla Phase 2",
                   "city": "New Delhi", "state": "Delhi", "postal_code": "110020"},
        "consignee": {"name": "Asha Rao", "phone": "9812345678", "line1": "12 MG Road",
                      "city": "Bengaluru", "state": "Karnataka", "postal_code": "560001"},
        "parcels": [{"weight_grams": 750, "length_cm": 20, "width_cm": 15, "height_cm": 10}],
        "payment_mode": "cod", "cod_amount": 149900, "declared_value": 149900
    });
    if let Some(account) = account {
        body["carrier_account_id"] = json!(account);
    }
    body
}

struct Run {
    ok: usize,
    errors: usize,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

async fn run(
    base: &str,
    key: &str,
    account: Option<&str>,
    clients: u64,
    seconds: u64,
    label: &str,
) -> Run {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, base, key, account) = (
            client.clone(),
            base.to_string(),
            key.to_string(),
            account.map(str::to_string),
        );
        let label = label.to_string();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut errors, mut latencies, mut i) = (0, 0, Vec::new(), 0u64);
            while Instant::now() < deadline {
                i += 1;
                let request = body(&format!("BENCH-{label}-{c}-{i}"), account.as_deref());
                let t = Instant::now();
                let response = client
                    .post(format!("{base}/v1/shipments"))
                    .bearer_auth(&key)
                    .json(&request)
                    .send()
                    .await;
                latencies.push(t.elapsed());
                match response {
                    Ok(r) if r.status() == 201 => ok += 1,
                    Ok(r) => {
                        if errors == 0 && c == 0 {
                            eprintln!(
                                "first error ({label}): {} {}",
                                r.status(),
                                r.text().await.unwrap_or_default()
                            );
                        }
                        errors += 1;
                    }
                    Err(e) => {
                        if errors == 0 && c == 0 {
                            eprintln!("first error ({label}): {e}");
                        }
                        errors += 1;
                    }
                }
            }
            (ok, errors, latencies)
        }));
    }
    let mut run = Run {
        ok: 0,
        errors: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (ok, errors, mut latencies) = task.await.unwrap();
        run.ok += ok;
        run.errors += errors;
        run.latencies.append(&mut latencies);
    }
    run.elapsed = started.elapsed();
    run.latencies.sort();
    run
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    shipgate_carriers::client::install_tls_provider();
    let clients = env("BENCH_CLIENTS", 8);
    let seconds = env("BENCH_SECONDS", 10);
    let url = testing::fresh_database_url().await;
    let store = shipgate_storage::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let key = keys::issue();
    let tenant = store
        .create_tenant("Bench", &key.hash, &key.prefix)
        .await
        .unwrap();
    let sandbox = Sandbox::start("127.0.0.1:0", 1).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let secrets = SecretBox::from_config(&SecretBox::generate_key()).unwrap();
    let state = AppState::new(store.clone(), secrets, Some(sandbox), Some(base.clone()));
    let accounts =
        shipgate_api::service::carrier_accounts::create_sandbox_accounts(&state, &tenant)
            .await
            .ok()
            .unwrap_or_default();
    let delhivery = accounts
        .iter()
        .find(|a| a.carrier == "delhivery")
        .map(|a| a.id.clone());
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });

    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("backend: {backend}; {clients} concurrent clients; {seconds} s per run");
    println!(
        "{:<28} {:>10} {:>9} {:>9} {:>9} {:>7}",
        "run", "created/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    for (label, account) in [
        ("fleet", None),
        ("delhivery (sandbox)", delhivery.as_deref()),
    ] {
        // A short warm-up so connection set-up is not measured.
        run(
            &base,
            &key.secret,
            account,
            clients,
            1,
            &format!("warm-{label}"),
        )
        .await;
        let r = run(&base, &key.secret, account, clients, seconds, label).await;
        println!(
            "{:<28} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>7}",
            label,
            r.ok as f64 / r.elapsed.as_secs_f64(),
            percentile(&r.latencies, 0.50),
            percentile(&r.latencies, 0.99),
            percentile(&r.latencies, 1.0),
            r.errors
        );
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        // Checkpoint so the WAL's contents count in the main file.
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await
            .unwrap();
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let shipments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shipments")
            .fetch_one(&pool)
            .await
            .unwrap();
        println!(
            "stored: {bytes} bytes for {shipments} shipments (with their events and jobs) = {:.0} bytes/shipment",
            bytes as f64 / shipments.max(1) as f64
        );
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
            .fetch_one(&pool)
            .await
            .unwrap();
        let shipments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shipments")
            .fetch_one(&pool)
            .await
            .unwrap();
        println!(
            "stored: database {bytes} bytes for {shipments} shipments (includes PostgreSQL's fixed ~7.5 MB catalog)"
        );
    }
}
