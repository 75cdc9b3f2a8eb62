//! What the HTTP benchmarks share: a synthetic delivery history and a
//! minimal HTTP/1.1 keep-alive load generator.

#![allow(dead_code)]

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use shipgate_storage::{EddObservationRecord, Store, Tenant, testing};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub const CARRIERS: [&str; 7] = [
    "delhivery",
    "ekart",
    "xpressbees",
    "ecom_express",
    "bluedart",
    "dtdc",
    "shiprocket",
];

/// A cheap deterministic generator, so runs are comparable.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

pub fn origin(i: u64) -> String {
    format!("{}", 110_001 + i * 9_973 % 700_000)
}

pub fn destination(i: u64) -> String {
    format!("{}", 110_001 + i * 337 % 740_000)
}

pub fn history(n: u64) -> Vec<EddObservationRecord> {
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

pub struct Run {
    pub requests: u64,
    pub errors: u64,
    pub latencies: Vec<Duration>,
    pub elapsed: Duration,
    /// CPU time (user + system) this process spent during the run: server and
    /// load generator together. Per request it compares endpoints even on a
    /// busy machine, where throughput does not.
    pub cpu: Duration,
}

impl Run {
    /// Adds another run's counts, time and latencies (slices of one
    /// endpoint's measurement taken apart).
    #[allow(dead_code)] // not every bench slices its runs
    pub fn absorb(&mut self, other: Run) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.latencies.extend(other.latencies);
        self.latencies.sort_unstable();
        self.elapsed += other.elapsed;
        self.cpu += other.cpu;
    }

    /// Microseconds of this process's CPU per request.
    pub fn cpu_micros_per_request(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / (self.requests + self.errors).max(1) as f64
    }
}

/// This process's CPU time so far (Linux `/proc/self/stat`, in clock ticks of
/// 1/100 s); zero where that file is missing.
pub fn process_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which may hold spaces) in parentheses:
    // state is the first, utime the 12th, stime the 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// One keep-alive connection sending requests back to back until `stop`.
/// Sends one request on a keep-alive connection and reads the whole
/// response (headers, then Content-Length bytes of body); its status.
pub async fn exchange(stream: &mut tokio::net::TcpStream, buf: &mut [u8], request: &[u8]) -> u16 {
    stream.write_all(request).await.unwrap();
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
    status
}

pub async fn connection(
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
        let status = exchange(&mut stream, &mut buf, request).await;
        latencies.push(started.elapsed());
        if status < 400 {
            ok += 1;
        } else {
            errors += 1;
        }
    }
    (ok, errors, latencies)
}

pub async fn run(
    addr: std::net::SocketAddr,
    requests: Vec<Vec<u8>>,
    connections: u64,
    seconds: u64,
) -> Run {
    let requests = Arc::new(requests);
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = process_cpu();
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
        cpu: Duration::ZERO,
    };
    for task in tasks {
        let (ok, errors, latencies) = task.await.unwrap();
        out.requests += ok;
        out.errors += errors;
        out.latencies.extend(latencies);
    }
    out.elapsed = started.elapsed();
    out.cpu = process_cpu().saturating_sub(cpu_before);
    out.latencies.sort_unstable();
    out
}

pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at].as_secs_f64() * 1000.0
}

pub fn get(path: &str, key: Option<&str>) -> Vec<u8> {
    get_from(path, key, None)
}

/// A GET as a web page sends it: with the page's `Origin`.
pub fn get_from(path: &str, key: Option<&str>, origin: Option<&str>) -> Vec<u8> {
    let mut r = Vec::new();
    write!(r, "GET {path} HTTP/1.1\r\nHost: bench\r\n").unwrap();
    if let Some(key) = key {
        write!(r, "Authorization: Bearer {key}\r\n").unwrap();
    }
    if let Some(origin) = origin {
        write!(r, "Origin: {origin}\r\n").unwrap();
    }
    r.extend_from_slice(b"\r\n");
    r
}

/// A fresh database (SQLite in a temp file, or PostgreSQL when
/// SHIPGATE_TEST_POSTGRES_URL is set) with one tenant: its URL, the store,
/// the tenant and its secret key.
pub async fn bench_store() -> (String, Arc<dyn Store>, Tenant, String) {
    let url = testing::fresh_database_url().await;
    let store = shipgate_storage::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let key = shipgate_api::keys::issue();
    let tenant = store
        .create_tenant("Bench", &key.hash, &key.prefix)
        .await
        .unwrap();
    (url, store, tenant, key.secret)
}
