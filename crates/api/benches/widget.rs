//! The product-page widget: its script's size, and the lookup latency seen by
//! the page under many concurrent shoppers.
//!
//! Starts Shipgate in-process on loopback (SQLite in a temp file, or
//! PostgreSQL when SHIPGATE_TEST_POSTGRES_URL is set) with a model learned
//! from BENCH_HISTORY synthetic deliveries (as the `edd` bench) and
//! serviceability loaded for every destination PIN at all 7 sandbox carrier
//! accounts, then runs BENCH_SHOPPERS shoppers (default 1,000) for
//! BENCH_SECONDS. A shopper does what the widget does for a PIN: `GET
//! /v1/edd` and `GET /v1/serviceability` at once (two keep-alive connections,
//! as a browser would), with the publishable key and the shop's `Origin`; then
//! thinks for a uniformly random 0.5–1.5 × BENCH_THINK_MS (default 1,000 ms)
//! and types the next PIN. The lookup's latency is the slower of the two.
//!
//!     cargo bench -p shipgate-api --bench widget
//!
//! All shoppers share one client address (loopback), so the per-address rate
//! limit is raised for the run; the per-key limit is raised to match. The
//! limiter itself still runs on every request. The load generator shares the
//! machine's cores with the server.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Lcg, bench_store, destination, env, exchange, get_from, history, origin, percentile};
use shipgate_api::auth::{ChangedBy, Limit, PublishableGuard, PublishableLimits};
use shipgate_api::{AppState, Sandbox, app, keys};
use shipgate_carriers::secrets::SecretBox;
use shipgate_storage::ServiceabilityEntry;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SHOP: &str = "https://shop.example";

struct Shopper {
    /// Per lookup: the page's wait, and each request's.
    lookups: Vec<Duration>,
    edd: Vec<Duration>,
    serviceability: Vec<Duration>,
    errors: u64,
}

async fn connect(addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

async fn shopper(
    addr: std::net::SocketAddr,
    lookups: Arc<Vec<(Vec<u8>, Vec<u8>)>>,
    seed: u64,
    think_ms: u64,
    stop: Arc<AtomicBool>,
    measure_from: Instant,
) -> Shopper {
    let mut rng = Lcg(seed);
    // Arrive spread over one think time, not all at once.
    tokio::time::sleep(Duration::from_millis(rng.next(think_ms.max(1)))).await;
    let (mut a, mut b) = (connect(addr).await, connect(addr).await);
    let (mut buf_a, mut buf_b) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let mut out = Shopper {
        lookups: Vec::new(),
        edd: Vec::new(),
        serviceability: Vec::new(),
        errors: 0,
    };
    while !stop.load(Ordering::Relaxed) {
        let (edd, serviceability) = &lookups[rng.next(lookups.len() as u64) as usize];
        let started = Instant::now();
        let timed = |f| async move {
            let s = f.await;
            (s, started.elapsed())
        };
        let ((s1, t1), (s2, t2)) = tokio::join!(
            timed(exchange(&mut a, &mut buf_a, edd)),
            timed(exchange(&mut b, &mut buf_b, serviceability))
        );
        // The first seconds (shoppers arriving, connections opening) are warm-up.
        if started >= measure_from {
            out.lookups.push(t1.max(t2));
            out.edd.push(t1);
            out.serviceability.push(t2);
            if s1 != 200 || s2 != 200 {
                out.errors += 1;
            }
        }
        let think = think_ms / 2 + rng.next(think_ms.max(1));
        tokio::time::sleep(Duration::from_millis(think)).await;
    }
    out
}

#[tokio::main]
async fn main() {
    shipgate_carriers::client::install_tls_provider();
    let script = shipgate_api::routes::widget::SCRIPT;
    println!(
        "widget: /widget/edd.js is {} bytes ({:.1} KB; limit 10 KB)",
        script.len(),
        script.len() as f64 / 1024.0
    );
    assert!(script.len() < 10 * 1024, "the widget grew past 10 KB");

    let shoppers = env("BENCH_SHOPPERS", 1_000);
    let seconds = env("BENCH_SECONDS", 20);
    let think_ms = env("BENCH_THINK_MS", 1_000);
    let observations = env("BENCH_HISTORY", 100_000);
    let (url, store, tenant, _) = bench_store().await;
    let publishable = keys::issue_publishable();
    shipgate_api::routes::publishable_keys::store_new(
        store.as_ref(),
        &tenant.id,
        &publishable,
        &[SHOP.into()],
        &ChangedBy::system(),
    )
    .await
    .unwrap();
    let sandbox = Sandbox::start("127.0.0.1:0", 1).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let secrets = SecretBox::from_config(&SecretBox::generate_key()).unwrap();
    let mut state = AppState::new(store.clone(), secrets, Some(sandbox), None);
    let unlimited = Limit {
        rate: 1e9,
        burst: 1e9,
    };
    state.publishable = Arc::new(PublishableGuard::new(PublishableLimits {
        per_key: unlimited,
        per_address: unlimited,
    }));
    let accounts =
        shipgate_api::service::carrier_accounts::create_sandbox_accounts(&state, &tenant)
            .await
            .unwrap_or_else(|e| panic!("sandbox carrier accounts: {:?}", e.detail));
    for chunk in history(observations).chunks(10_000) {
        store.record_edd_observations(chunk).await.unwrap();
    }
    state.edd.rebuild(store.as_ref()).await.unwrap();
    let pins: Vec<String> = (0..2_500).map(destination).collect();
    for account in &accounts {
        let entries: Vec<ServiceabilityEntry> = pins
            .iter()
            .map(|pin| ServiceabilityEntry {
                carrier_account_id: account.id.clone(),
                postal_code: pin.clone(),
                prepaid: true,
                cod: !pin.ends_with('9'),
                pickup: true,
                reverse: true,
                oda: false,
                embargo: false,
                max_weight_grams: Some(30_000),
                max_cod_minor: Some(5_000_000),
            })
            .collect();
        store
            .upsert_serviceability(
                &tenant.id,
                &entries,
                &ChangedBy::system().entry("serviceability", "imported", &account.id),
            )
            .await
            .unwrap();
    }
    tokio::spawn(async move {
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });

    let mut rng = Lcg(11);
    let key = publishable.secret.as_str();
    let lookups: Arc<Vec<(Vec<u8>, Vec<u8>)>> = Arc::new(
        (0..1_000)
            .map(|_| {
                let (o, d) = (origin(rng.next(20)), destination(rng.next(2_500)));
                (
                    get_from(
                        &format!("/v1/edd?origin={o}&destination={d}"),
                        Some(key),
                        Some(SHOP),
                    ),
                    get_from(
                        &format!("/v1/serviceability?postal_code={d}&origin={o}"),
                        Some(key),
                        Some(SHOP),
                    ),
                )
            })
            .collect(),
    );
    let warmup = Duration::from_secs(env("BENCH_WARMUP_SECONDS", 3));
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "backend: {backend}; {shoppers} shoppers, think 0.5–1.5 × {think_ms} ms; {seconds} s after {} s warm-up",
        warmup.as_secs()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let measure_from = Instant::now() + warmup;
    let tasks: Vec<_> = (0..shoppers)
        .map(|s| {
            tokio::spawn(shopper(
                addr,
                lookups.clone(),
                s * 7919 + 1,
                think_ms,
                stop.clone(),
                measure_from,
            ))
        })
        .collect();
    tokio::time::sleep(warmup + Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = measure_from.elapsed().as_secs_f64();
    let (mut all, mut edd, mut serviceability, mut errors) =
        (Vec::new(), Vec::new(), Vec::new(), 0);
    for task in tasks {
        let s = task.await.unwrap();
        all.extend(s.lookups);
        edd.extend(s.edd);
        serviceability.extend(s.serviceability);
        errors += s.errors;
    }
    all.sort_unstable();
    edd.sort_unstable();
    serviceability.sort_unstable();
    println!(
        "{:<40} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "lookup (edd + serviceability)",
        "lookups/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors"
    );
    println!(
        "{:<40} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7}",
        "publishable key, Origin, rate limiter",
        all.len() as f64 / elapsed,
        percentile(&all, 0.50),
        percentile(&all, 0.95),
        percentile(&all, 0.99),
        percentile(&all, 1.0),
        errors
    );
    for (label, sorted) in [
        ("  of which GET /v1/edd", &edd),
        ("  of which GET /v1/serviceability", &serviceability),
    ] {
        println!(
            "{:<40} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            label,
            "",
            percentile(sorted, 0.50),
            percentile(sorted, 0.95),
            percentile(sorted, 0.99),
            percentile(sorted, 1.0),
        );
    }
    let p99 = percentile(&all, 0.99);
    println!(
        "p99 {p99:.2} ms: {}",
        if p99 < 50.0 {
            "under 50 ms"
        } else {
            "OVER 50 ms"
        }
    );
    if let Some(path) = url.strip_prefix("sqlite://") {
        let _ = std::fs::remove_file(path);
    }
}
