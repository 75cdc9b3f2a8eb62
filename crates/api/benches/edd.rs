//! EDD lookups over HTTP, beside a trivial endpoint of the same server.
//!
//! Starts Shipgate in-process on loopback (SQLite in a temp file, or
//! PostgreSQL when SHIPGATE_TEST_POSTGRES_URL is set) with a model learned
//! from BENCH_HISTORY synthetic deliveries (7 carriers, 20 origins, 2,000
//! destination PINs), then drives it with a minimal HTTP/1.1 keep-alive load
//! generator (BENCH_CONNECTIONS connections, each one request at a time) for
//! BENCH_SECONDS per endpoint:
//!
//!   - `GET /` (a redirect: no database, no auth) — the trivial baseline;
//!   - `GET /v1/edd?…&carrier=delhivery` — one carrier;
//!   - `GET /v1/edd?…` — every carrier of the tenant, with the best.
//!
//!     cargo bench -p shipgate-api --bench edd
//!
//! The load generator shares the machine's cores with the server, as any
//! loopback benchmark does.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use shipgate_api::{AppState, Sandbox, app, keys};
use shipgate_carriers::secrets::SecretBox;
use shipgate_storage::{EddObservationRecord, testing};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A faster allocator than the system's for many small, short-lived
/// allocations (requests, JSON), as the server runs with it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const CARRIERS: [&str; 7] = [
    "delhivery",
    "ekart",
    "xpressbees",
    "ecom_express",
    "bluedart",
    "dtdc",
    "shiprocket",
];

/// A cheap deterministic generator, so runs are comparable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn origin(i: u64) -> String {
    format!("{}", 110_001 + i * 9_973 % 700_000)
}

fn destination(i: u64) -> String {
    format!("{}", 110_001 + i * 337 % 740_000)
}

fn history(n: u64) -> Vec<EddObservationRecord> {
    let mut rng = Lcg(42);
    let start = jiff::civil::date(2026, 8, 1);
    (0..n)
        .map(|i| {
            let carrier = CARRIERS[rng.next(7) as usize];
            let ordered = start + jiff::Span::new().days(rng.next(100) as i64);
            let at = ordered.at(10 + rng.next(8) as i8, 0, 0, 0);
            let processing = rng.next(2) as i64;
            let transit = 1 + rng.next(7) as i64;
            EddObservationRecord {
                id: 0,
                source: "import:bench".into(),
                source_ref: i.to_string(),
                tenant_id: None,
                country: "IN".into(),
                carrier: carrier.into(),
                service: String::new(),
                scope: String::new(),
                origin: origin(rng.next(20)),
                destination: destination(rng.next(2_000)),
                ordered_at: at,
                picked_up_at: Some(at + jiff::Span::new().days(processing)),
                delivered_at: at + jiff::Span::new().days(processing + transit),
                promised_date: None,
            }
        })
        .collect()
}

struct Run {
    requests: u64,
    errors: u64,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

/// One keep-alive connection sending requests back to back until `stop`.
async fn connection(
    addr: std::net::SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    offset: usize,
    stop: Arc<AtomicBool>,
) -> (u64, u64, Vec<Duration>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut ok, mut errors, mut latencies) = (0, 0, Vec::new());
    let mut buf = vec![0u8; 64 * 1024];
    let mut i = offset;
    while !stop.load(Ordering::Relaxed) {
        let request = &requests[i % requests.len()];
        i += 1;
        let started = Instant::now();
        stream.write_all(request).await.unwrap();
        // Read one response: headers, then Content-Length bytes of body.
        let mut filled = 0;
        let (status, total) = loop {
            let n = stream.read(&mut buf[filled..]).await.unwrap();
            assert!(n > 0, "server closed the connection");
            filled += n;
            let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = std::str::from_utf8(&buf[..end]).unwrap();
            let status: u16 = head[9..12].parse().unwrap();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            break (status, end + 4 + length);
        };
        while filled < total {
            let n = stream.read(&mut buf[filled..]).await.unwrap();
            assert!(n > 0, "server closed the connection");
            filled += n;
        }
        latencies.push(started.elapsed());
        if status < 400 {
            ok += 1;
        } else {
            errors += 1;
        }
    }
    (ok, errors, latencies)
}

async fn run(
    addr: std::net::SocketAddr,
    requests: Vec<Vec<u8>>,
    connections: u64,
    seconds: u64,
) -> Run {
    let requests = Arc::new(requests);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            tokio::spawn(connection(
                addr,
                requests.clone(),
                c as usize * 7919,
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut out = Run {
        requests: 0,
        errors: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
    };
    for task in tasks {
        let (ok, errors, latencies) = task.await.unwrap();
        out.requests += ok;
        out.errors += errors;
        out.latencies.extend(latencies);
    }
    out.elapsed = started.elapsed();
    out.latencies.sort_unstable();
    out
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at].as_secs_f64() * 1000.0
}

fn get(path: &str, key: Option<&str>) -> Vec<u8> {
    let mut r = Vec::new();
    write!(r, "GET {path} HTTP/1.1\r\nHost: bench\r\n").unwrap();
    if let Some(key) = key {
        write!(r, "Authorization: Bearer {key}\r\n").unwrap();
    }
    r.extend_from_slice(b"\r\n");
    r
}

#[tokio::main]
async fn main() {
    shipgate_carriers::client::install_tls_provider();
    let connections = env("BENCH_CONNECTIONS", 64);
    let seconds = env("BENCH_SECONDS", 10);
    let observations = env("BENCH_HISTORY", 100_000);
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
    tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });

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
                get(&path, Some(&key.secret))
            })
            .collect()
    };
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("backend: {backend}; {connections} keep-alive connections; {seconds} s per run");
    println!(
        "{:<34} {:>10} {:>8} {:>8} {:>8} {:>7}",
        "endpoint", "req/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let runs = [
        ("GET / (trivial)", vec![get("/", None)]),
        ("GET /v1/edd carrier=delhivery", edd(Some("delhivery"))),
        ("GET /v1/edd (7 carriers, best)", edd(None)),
    ];
    let mut trivial_rate = 0.0;
    for (label, requests) in runs {
        run(addr, requests.clone(), connections, 1).await; // warm-up
        let r = run(addr, requests, connections, seconds).await;
        let rate = r.requests as f64 / r.elapsed.as_secs_f64();
        if trivial_rate == 0.0 {
            trivial_rate = rate;
        }
        println!(
            "{:<34} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>7}   {:>4.0}% of trivial",
            label,
            rate,
            percentile(&r.latencies, 0.50),
            percentile(&r.latencies, 0.99),
            percentile(&r.latencies, 1.0),
            r.errors,
            rate / trivial_rate * 100.0
        );
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        let _ = std::fs::remove_file(path);
    }
}
