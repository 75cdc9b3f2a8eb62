//! EDD lookups over HTTP, beside a trivial endpoint of the same server.
//!
//! Starts Shipgate in-process on loopback (SQLite in a temp file, or
//! PostgreSQL when SHIPGATE_TEST_POSTGRES_URL is set) with a model learned
//! from BENCH_HISTORY synthetic deliveries (7 carriers, 20 origins, 2,000
//! destination PINs), then drives it with a minimal HTTP/1.1 keep-alive load
//! generator (BENCH_CONNECTIONS connections, each one request at a time) for
//! BENCH_SECONDS per endpoint, the endpoints taking turns a second at a
//! time (BENCH_SLICE seconds; 0 runs each in one go):
//!
//!   - `GET /` (a redirect: no database, no auth) — the trivial baseline;
//!   - `GET /v1/edd?…&carrier=delhivery` — one carrier;
//!   - `GET /v1/edd?…` — every carrier of the tenant, with the best.
//!
//!     cargo bench -p shipgate-api --bench edd
//!
//! The load generator shares the machine's cores with the server, as any
//! loopback benchmark does.

mod common;

use std::time::Instant;

use common::{Lcg, bench_store, destination, env, get, history, origin, percentile, run};
use shipgate_api::{AppState, Sandbox, app};
use shipgate_carriers::secrets::SecretBox;

/// A faster allocator than the system's for many small, short-lived
/// allocations (requests, JSON), as the server runs with it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    shipgate_carriers::client::install_tls_provider();
    let connections = env("BENCH_CONNECTIONS", 64);
    let seconds = env("BENCH_SECONDS", 10);
    let observations = env("BENCH_HISTORY", 100_000);
    let (url, store, tenant, secret) = bench_store().await;
    let sandbox = Sandbox::start("127.0.0.1:0", 1).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let secrets = SecretBox::from_config(&SecretBox::generate_key()).unwrap();
    let state = AppState::new(store.clone(), secrets, Some(sandbox), None);
    shipgate_api::service::carrier_accounts::create_sandbox_accounts(&state, &tenant)
        .await
        .unwrap_or_else(|e| panic!("sandbox carrier accounts: {:?}", e.detail));

    let started = Instant::now();
    for chunk in history(observations).chunks(10_000) {
        store.record_edd_observations(chunk).await.unwrap();
    }
    let stored = started.elapsed();
    let started = Instant::now();
    let learned = state.edd.rebuild(store.as_ref()).await.unwrap();
    println!(
        "history: {observations} deliveries stored in {:.1} s, model built in {:.2} s ({learned} learned, {} keys)",
        stored.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        state.edd.model().keys()
    );
    let router = app(state);
    tokio::spawn({
        let router = router.clone();
        async move { axum::serve(listener, router).await.unwrap() }
    });

    let mut rng = Lcg(7);
    let lanes: Vec<(String, String)> = (0..1_000)
        .map(|_| (origin(rng.next(20)), destination(rng.next(2_500))))
        .collect();
    let edd = |carrier: Option<&str>| -> Vec<Vec<u8>> {
        lanes
            .iter()
            .map(|(o, d)| {
                let mut path = format!("/v1/edd?origin={o}&destination={d}");
                if let Some(c) = carrier {
                    path.push_str(&format!("&carrier={c}"));
                }
                get(&path, Some(&secret))
            })
            .collect()
    };
    // BENCH_IN_PROCESS=N: N calls of each endpoint straight into the router
    // (no HTTP, no sockets), to count what the app itself spends per request,
    // e.g. under `valgrind --tool=callgrind` (whose counts a busy machine
    // does not disturb).
    let in_process = env("BENCH_IN_PROCESS", 0);
    if in_process > 0 {
        let only = std::env::var("BENCH_ONLY").unwrap_or_default();
        let lane = &lanes[0];
        for (label, uri, key) in [
            ("GET / (trivial)", "/".to_string(), None),
            (
                "GET /v1/edd carrier=delhivery",
                format!(
                    "/v1/edd?origin={}&destination={}&carrier=delhivery",
                    lane.0, lane.1
                ),
                Some(format!("Bearer {secret}")),
            ),
            (
                "GET /v1/edd seven carriers",
                format!("/v1/edd?origin={}&destination={}", lane.0, lane.1),
                Some(format!("Bearer {secret}")),
            ),
        ] {
            if !label.contains(only.as_str()) {
                continue;
            }
            let started = Instant::now();
            for _ in 0..in_process {
                let mut request = axum::http::Request::get(&uri);
                if let Some(key) = &key {
                    request = request.header("authorization", key);
                }
                let request = request.body(axum::body::Body::empty()).unwrap();
                let response = tower::ServiceExt::oneshot(router.clone(), request)
                    .await
                    .unwrap();
                assert!(
                    response.status().as_u16() < 400,
                    "{label}: {}",
                    response.status()
                );
                axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap();
            }
            println!(
                "{label:<34} {:>8.2} µs per call in process",
                started.elapsed().as_secs_f64() * 1e6 / in_process as f64
            );
        }
        return;
    }
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("backend: {backend}; {connections} keep-alive connections; {seconds} s per run");
    println!(
        "{:<34} {:>10} {:>8} {:>8} {:>8} {:>7} {:>12}",
        "endpoint", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "CPU µs/req"
    );
    let runs = vec![
        ("GET / (trivial)", vec![get("/", None)]),
        ("GET /v1/edd carrier=delhivery", edd(Some("delhivery"))),
        ("GET /v1/edd (7 carriers, best)", edd(None)),
    ];
    // BENCH_ONLY=edd skips the trivial run (for profiling one endpoint).
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let runs: Vec<_> = runs
        .into_iter()
        .filter(|(label, _)| label.contains(only.as_str()))
        .collect();
    for (_, requests) in &runs {
        run(addr, requests.clone(), connections, 1).await; // warm-up
    }
    // The endpoints take turns a second at a time (BENCH_SLICE=0: each for
    // its whole time in one go), so a machine whose speed drifts during the
    // run (a shared VM) slows each about as much: the shares compare like
    // with like.
    let slice = env("BENCH_SLICE", 1);
    let (slices, slice_seconds) = if slice == 0 {
        (1, seconds)
    } else {
        (seconds.div_ceil(slice), slice)
    };
    let mut totals: Vec<Option<common::Run>> = runs.iter().map(|_| None).collect();
    for _ in 0..slices {
        for ((_, requests), total) in runs.iter().zip(&mut totals) {
            let r = run(addr, requests.clone(), connections, slice_seconds).await;
            match total {
                Some(total) => total.absorb(r),
                None => *total = Some(r),
            }
        }
    }
    let (mut trivial_rate, mut trivial_cpu) = (0.0, 0.0);
    for ((label, _), r) in runs.iter().zip(totals) {
        let r = r.expect("every endpoint ran");
        let rate = r.requests as f64 / r.elapsed.as_secs_f64();
        let cpu = r.cpu_micros_per_request();
        if trivial_rate == 0.0 {
            (trivial_rate, trivial_cpu) = (rate, cpu);
        }
        println!(
            "{:<34} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>12.2}   {:>4.0}% of trivial's rate, {:>4.0}% by CPU",
            label,
            rate,
            percentile(&r.latencies, 0.50),
            percentile(&r.latencies, 0.99),
            percentile(&r.latencies, 1.0),
            r.errors,
            cpu,
            rate / trivial_rate * 100.0,
            trivial_cpu / cpu * 100.0
        );
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        let _ = std::fs::remove_file(path);
    }
}
