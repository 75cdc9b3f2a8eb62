//! A mixed load on the real server: shipments created, labelled and
//! tracked (Delhivery pushes and fleet scans) with merchant webhooks out,
//! while a product page asks for delivery dates; throughput and latency per
//! endpoint, and the server's memory.
//!
//! Starts `shipgate serve` (the release binary, one `all` process) on a
//! fresh SQLite file, or on PostgreSQL when SHIPGATE_TEST_POSTGRES_URL is
//! set, with a synthetic delivery history for EDD. The carrier simulator
//! and the merchant's webhook receiver run in this process (the carrier and
//! the merchant are elsewhere), and so does the load: open loop, each
//! stream at its own rate whatever the answers' speed.
//!
//! Every `1 / BENCH_CREATE_RATE` s a shipment is created (alternately on
//! the self-managed fleet and on Delhivery through the simulator), its PDF
//! label fetched, then every BENCH_SCAN_GAP_MS it is scanned: picked up, in
//! transit, out for delivery, delivered (a Delhivery push to
//! `/hooks/carriers/{account}`, or `POST /v1/fleet/scans`). Each creation
//! and status change sends webhooks (`shipment.created`,
//! `shipment.status_changed`, `shipment.delivered`) to the receiver, which
//! verifies signatures; their latency is from the answer to the request
//! that caused them to their arrival. Beside that, `GET /v1/edd` at
//! BENCH_EDD_RATE (a product page) and `GET /v1/shipments/{id}` at
//! BENCH_GET_RATE.
//!
//!     cargo bench -p shipgate --bench load
//!     SHIPGATE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p shipgate --bench load
//!     BENCH_SEED_SHIPMENTS=1000000 cargo bench -p shipgate --bench load   # memory with 1M shipments stored
//!     SHIPGATE_TEST_POSTGRES_URL=… BENCH_PROCESSES=3 cargo bench -p shipgate --bench load  # three processes
//!
//! Knobs: BENCH_SECONDS (30), BENCH_CREATE_RATE (100/s), BENCH_SCAN_GAP_MS
//! (1000), BENCH_EDD_RATE (1000/s), BENCH_GET_RATE (100/s), BENCH_HISTORY
//! (100000 deliveries), BENCH_RECEIVER_FAILS (0: percent of webhook messages
//! whose first attempt the receiver answers 503, so they are retried 5 s
//! later under the load), BENCH_SEED_SHIPMENTS (0: none), BENCH_PROCESSES (1;
//! on PostgreSQL, that many `--role all` processes on the one database, the
//! requests sent to them round robin as a load balancer would). With seeding, a
//! template shipment is created through the API, the server stopped, the
//! shipments (and their creation events) copied from it in bulk SQL, and
//! the server started again. Memory is the server process's VmRSS (and
//! peak, VmHWM) from /proc: after start (idle), and after the load.

#[path = "../../api/benches/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{Lcg, bench_store, destination, env, history, origin};
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use shipgate_carriers::core::sim::{SimScan, SimShipment};
use shipgate_domain::{PaymentMode, ShipmentStatus};

const STEPS: [ShipmentStatus; 4] = [
    ShipmentStatus::PickedUp,
    ShipmentStatus::InTransit,
    ShipmentStatus::OutForDelivery,
    ShipmentStatus::Delivered,
];

/// Latencies and errors of one endpoint.
#[derive(Default)]
struct Series {
    latencies: Vec<Duration>,
    errors: u64,
}

#[derive(Default)]
struct Stats {
    series: Mutex<HashMap<&'static str, Series>>,
}

impl Stats {
    fn record(&self, name: &'static str, latency: Duration, ok: bool) {
        let mut s = self.series.lock().unwrap();
        let series = s.entry(name).or_default();
        if ok {
            series.latencies.push(latency);
        } else {
            series.errors += 1;
        }
    }
}

/// When each webhook's cause was answered, and when the webhook arrived.
#[derive(Default)]
struct Webhooks {
    /// (shipment id, type, status) → answer to the causing request.
    caused: Mutex<HashMap<(String, String, String), Instant>>,
    /// (shipment id, type, status) → first arrival; webhook-id → deliveries.
    arrived: Mutex<HashMap<(String, String, String), Instant>>,
    ids: Mutex<HashMap<String, u32>>,
    bad: AtomicU64,
    /// Percent of messages whose first attempt the receiver answers 503
    /// (BENCH_RECEIVER_FAILS), and the webhook-ids it refused so.
    fail_percent: u64,
    refused: Mutex<std::collections::HashSet<String>>,
}

impl Webhooks {
    /// Whether this message's first attempt is refused: the same choice for
    /// the same id whatever the order of arrival.
    fn refuses_first(&self, id: &str) -> bool {
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        hash % 100 < self.fail_percent
    }
}

fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:") / 1024, field("VmHWM:") / 1024)
}

fn start_server(url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .env_remove("DATABASE_URL")
        .env_remove("SHIPGATE_DATABASE_URL")
        .env_remove("SHIPGATE_CONFIG")
        .current_dir(std::env::temp_dir())
        .env("SHIPGATE_SECRET_KEY", "ab".repeat(32))
        .env("SHIPGATE_SANDBOX", "false")
        .env("SHIPGATE_ALLOW_PRIVATE_WEBHOOK_TARGETS", "true")
        .env("RUST_LOG", "warn")
        .args(["--database", url, "serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// One `shipgate serve` per port, all on `url`, once each answers.
async fn start_servers(url: &str, ports: &[u16], client: &reqwest::Client) -> Vec<Child> {
    let servers: Vec<Child> = ports.iter().map(|port| start_server(url, *port)).collect();
    for port in ports {
        wait_healthy(client, &format!("http://127.0.0.1:{port}")).await;
    }
    servers
}

fn stop_servers(servers: &mut [Child]) {
    for server in servers.iter() {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(server.id().to_string())
            .status();
    }
    for server in servers.iter_mut() {
        let _ = server.wait();
    }
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while !client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "server did not come up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn shipment_body(reference: &str, account: Option<&str>, destination: &str) -> Value {
    let mut body = json!({
        "order_reference": reference,
        "pickup": {"name": "Acme Warehouse", "phone": "9876543210", "line1": "Plot 4, Okhla Phase 2", "city": "New Delhi", "state": "Delhi", "postal_code": "110020"},
        "consignee": {"name": "Asha Rao", "phone": "9812345678", "line1": "12 MG Road", "city": "Bengaluru", "state": "Karnataka", "postal_code": destination},
        "parcels": [{"weight_grams": 750, "length_cm": 20, "width_cm": 15, "height_cm": 10}],
        "payment_mode": "cod", "cod_amount": 149900, "declared_value": 149900
    });
    match account {
        Some(account) => body["carrier_account_id"] = json!(account),
        None => body["carrier"] = json!("fleet"),
    }
    body
}

struct Load {
    client: reqwest::Client,
    /// One per server process; requests go round robin, as through a load
    /// balancer.
    bases: Vec<String>,
    next_base: std::sync::atomic::AtomicUsize,
    key: String,
    account_id: String,
    push_secret: String,
    stats: Stats,
    webhooks: Arc<Webhooks>,
    /// Shipment ids to read back (created ones; seeded ones too).
    readable: Mutex<Vec<String>>,
}

impl Load {
    /// The next server process's address.
    fn base(&self) -> &str {
        let i = self.next_base.fetch_add(1, Ordering::Relaxed);
        &self.bases[i % self.bases.len()]
    }

    async fn timed(
        &self,
        name: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Option<(Instant, Vec<u8>)> {
        let started = Instant::now();
        match request.send().await {
            Ok(r) => {
                let ok = r.status().is_success();
                let body = r.bytes().await;
                let done = Instant::now();
                let ok = ok && body.is_ok();
                self.stats.record(name, done - started, ok);
                ok.then(|| (done, body.unwrap_or_default().to_vec()))
            }
            Err(_) => {
                self.stats.record(name, started.elapsed(), false);
                None
            }
        }
    }

    fn expect(&self, shipment: &str, kind: &str, status: &str, at: Instant) {
        self.webhooks.caused.lock().unwrap().insert(
            (shipment.to_string(), kind.to_string(), status.to_string()),
            at,
        );
    }

    /// One shipment's life: created, labelled, scanned four times.
    async fn flow(&self, n: u64, gap: Duration) {
        let fleet = n.is_multiple_of(2);
        let reference = format!("L-{n}");
        let account = (!fleet).then_some(self.account_id.as_str());
        let body = shipment_body(&reference, account, &destination(n % 2_000));
        let create = self
            .client
            .post(format!("{}/v1/shipments", self.base()))
            .bearer_auth(&self.key)
            .header("idempotency-key", &reference)
            .json(&body);
        let name = if fleet {
            "POST /v1/shipments (fleet)"
        } else {
            "POST /v1/shipments (delhivery)"
        };
        let Some((answered, body)) = self.timed(name, create).await else {
            return;
        };
        let shipment: Value = serde_json::from_slice(&body).unwrap();
        let id = shipment["id"].as_str().unwrap().to_string();
        let awb = shipment["awb"].as_str().unwrap().to_string();
        self.expect(&id, "shipment.created", "manifested", answered);
        self.readable.lock().unwrap().push(id.clone());
        let label = self
            .client
            .get(format!("{}/v1/shipments/{id}/label", self.base()))
            .bearer_auth(&self.key);
        self.timed("GET /v1/shipments/{id}/label (pdf)", label)
            .await;
        let t0 = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
        for (step, status) in STEPS.iter().enumerate() {
            tokio::time::sleep(gap).await;
            let at = t0 + SignedDuration::from_secs(step as i64 + 1);
            let answered = if fleet {
                let request = self
                    .client
                    .post(format!("{}/v1/fleet/scans", self.base()))
                    .bearer_auth(&self.key)
                    .json(&json!({"scans": [{"awb": awb, "status": status, "occurred_at": at.to_string()}]}));
                self.timed("POST /v1/fleet/scans", request).await
            } else {
                let delhivery = shipgate_carriers::adapter("delhivery").unwrap();
                let code = delhivery
                    .status_codes()
                    .iter()
                    .find(|c| c.status == *status)
                    .unwrap();
                let scan = SimScan {
                    status: *status,
                    ndr_reason: None,
                    code: code.code,
                    description: code.description,
                    at,
                    location: "Hub".into(),
                };
                let shipment = SimShipment {
                    awb: awb.clone(),
                    reference: reference.clone(),
                    payment_mode: PaymentMode::Cod,
                    cod_amount_minor: 149_900,
                    consignee_name: "Asha Rao".into(),
                    destination_postal_code: "560001".into(),
                    scans: vec![scan.clone()],
                    attempts: 0,
                    edd: None,
                };
                let push = delhivery
                    .sim_push(&self.push_secret, &shipment, &[scan])
                    .unwrap();
                let mut request = self.client.post(format!(
                    "{}/hooks/carriers/{}",
                    self.base(),
                    self.account_id
                ));
                for (k, v) in &push.headers {
                    request = request.header(k, v);
                }
                if let shipgate_carriers::core::Body::Json(v) = push.body {
                    request = request
                        .header("content-type", "application/json")
                        .body(serde_json::to_vec(&v).unwrap());
                }
                self.timed("POST /hooks/carriers/{account} (push)", request)
                    .await
            };
            let Some((answered, _)) = answered else {
                return;
            };
            self.expect(&id, "shipment.status_changed", status.as_str(), answered);
            if *status == ShipmentStatus::Delivered {
                self.expect(&id, "shipment.delivered", "delivered", answered);
            }
        }
    }
}

async fn start_receiver(key: Arc<std::sync::OnceLock<Vec<u8>>>, webhooks: Arc<Webhooks>) -> String {
    let route = axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
        let (key, webhooks) = (key.clone(), webhooks.clone());
        async move {
            let arrived = Instant::now();
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string()
            };
            let id = header("webhook-id");
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.get().unwrap()).unwrap();
            mac.update(format!("{id}.{}.{body}", header("webhook-timestamp")).as_bytes());
            let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
            if !header("webhook-signature")
                .split(' ')
                .any(|s| s == expected)
            {
                webhooks.bad.fetch_add(1, Ordering::Relaxed);
                return axum::http::StatusCode::BAD_REQUEST;
            }
            if webhooks.refuses_first(&id) && webhooks.refused.lock().unwrap().insert(id.clone()) {
                return axum::http::StatusCode::SERVICE_UNAVAILABLE;
            }
            *webhooks.ids.lock().unwrap().entry(id).or_default() += 1;
            let v: Value = serde_json::from_str(&body).unwrap_or_default();
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            webhooks
                .arrived
                .lock()
                .unwrap()
                .entry((
                    text(&v["data"]["id"]),
                    text(&v["type"]),
                    text(&v["data"]["status"]),
                ))
                .or_insert(arrived);
            axum::http::StatusCode::NO_CONTENT
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().route("/hook", route))
            .await
            .unwrap()
    });
    url
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    common::percentile(sorted, p)
}

/// Copies the template shipment (and its events) `n` times in bulk SQL.
async fn seed(url: &str, template: &str, n: u64) {
    let started = Instant::now();
    const CHUNK: u64 = 50_000;
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let columns = |table: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, String>(
                    "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(&pool)
                .await
                .unwrap()
            }
        };
        let (shipments, events) = (columns("shipments").await, columns("shipment_events").await);
        let id = "'shp_00' || lpad(g::text, 30, '0')";
        for from in (1..=n).step_by(CHUNK as usize) {
            let to = (from + CHUNK - 1).min(n);
            let sql = seed_sql(
                &shipments,
                &events,
                id,
                template,
                &format!("generate_series({from}, {to}) AS s(g)"),
            );
            for statement in sql {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            eprint!("\rseeded {to} shipments");
        }
        sqlx::raw_sql("ANALYZE").execute(&pool).await.unwrap();
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let columns = |table: &'static str| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, String>("SELECT name FROM pragma_table_info(?)")
                    .bind(table)
                    .fetch_all(&pool)
                    .await
                    .unwrap()
            }
        };
        let (shipments, events) = (columns("shipments").await, columns("shipment_events").await);
        let id = "'shp_00' || printf('%030d', g)";
        for from in (1..=n).step_by(CHUNK as usize) {
            let to = (from + CHUNK - 1).min(n);
            let series = format!(
                "(WITH RECURSIVE r(g) AS (SELECT {from} UNION ALL SELECT g + 1 FROM r WHERE g < {to}) SELECT g FROM r) AS s"
            );
            let sql = seed_sql(&shipments, &events, id, template, &series);
            let mut tx = pool.begin().await.unwrap();
            for statement in sql {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
            eprint!("\rseeded {to} shipments");
        }
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE")
            .execute(&pool)
            .await
            .unwrap();
    }
    eprintln!("; in {:.0} s", started.elapsed().as_secs_f64());
}

/// The two INSERT … SELECT statements copying the template for each `g` of `series`.
fn seed_sql(
    shipments: &[String],
    events: &[String],
    id: &str,
    template: &str,
    series: &str,
) -> Vec<String> {
    let expr = |c: &str| -> String {
        match c {
            "id" => id.to_string(),
            "awb" => "'SEED' || g".into(),
            "order_reference" => "'SEED-' || g".into(),
            "next_poll_at" => "NULL".into(),
            c => format!("t.{c}"),
        }
    };
    let cols = shipments.join(", ");
    let exprs: Vec<String> = shipments.iter().map(|c| expr(c)).collect();
    let shipments_sql = format!(
        "INSERT INTO shipments ({cols}) SELECT {} FROM shipments t, {series} WHERE t.id = '{template}'",
        exprs.join(", ")
    );
    let event_cols: Vec<&String> = events.iter().filter(|c| *c != "seq").collect();
    let event_exprs: Vec<String> = event_cols
        .iter()
        .map(|c| match c.as_str() {
            "id" => "'evt_seed_' || g || '_' || t.id".to_string(),
            "shipment_id" => id.to_string(),
            c => format!("t.{c}"),
        })
        .collect();
    let events_sql = format!(
        "INSERT INTO shipment_events ({}) SELECT {} FROM shipment_events t, {series} WHERE t.shipment_id = '{template}'",
        event_cols
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        event_exprs.join(", ")
    );
    vec![shipments_sql, events_sql]
}

/// Runs `f` every `1 / rate` s for `seconds`, each call in its own task.
async fn every<F, Fut>(rate: u64, seconds: u64, f: F) -> Vec<tokio::task::JoinHandle<()>>
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut tasks = Vec::new();
    if rate == 0 {
        return tasks;
    }
    let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut n = 0;
    while Instant::now() < end {
        interval.tick().await;
        tasks.push(tokio::spawn(f(n)));
        n += 1;
    }
    tasks
}

#[tokio::main]
async fn main() {
    shipgate_carriers::client::install_tls_provider();
    let seconds = env("BENCH_SECONDS", 30);
    let create_rate = env("BENCH_CREATE_RATE", 100);
    let gap = Duration::from_millis(env("BENCH_SCAN_GAP_MS", 1000));
    let edd_rate = env("BENCH_EDD_RATE", 1000);
    let get_rate = env("BENCH_GET_RATE", 100);
    let observations = env("BENCH_HISTORY", 100_000);
    let seeded = env("BENCH_SEED_SHIPMENTS", 0);
    let processes = env("BENCH_PROCESSES", 1).max(1) as usize;

    let (url, store, _tenant, key) = bench_store().await;
    for chunk in history(observations).chunks(10_000) {
        store.record_edd_observations(chunk).await.unwrap();
    }
    drop(store);
    let simulator = shipgate_api::Sandbox::start("127.0.0.1:0", 7)
        .await
        .unwrap();
    let signing_key: Arc<std::sync::OnceLock<Vec<u8>>> = Arc::default();
    let webhooks = Arc::new(Webhooks {
        fail_percent: env("BENCH_RECEIVER_FAILS", 0).min(100),
        ..Default::default()
    });
    let hook_url = start_receiver(signing_key.clone(), webhooks.clone()).await;

    assert!(
        processes == 1 || url.starts_with("postgres"),
        "BENCH_PROCESSES > 1 needs PostgreSQL (one SQLite file serves one process)"
    );
    let ports: Vec<u16> = (0..processes)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        })
        .collect();
    let bases: Vec<String> = ports
        .iter()
        .map(|port| format!("http://127.0.0.1:{port}"))
        .collect();
    let base = bases[0].clone();
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut servers = start_servers(&url, &ports, &client).await;
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    let push_secret = "bench-push-secret".to_string();
    let account: Value = post(
        "/v1/carrier-accounts",
        json!({
            "carrier": "delhivery",
            "base_url": format!("{}/delhivery", simulator.url.trim_end_matches('/')),
            "credentials": {"api_token": "sim", "webhook_secret": push_secret},
            "settings": {"pickup_location": "Main Warehouse", "extra": {"pickup_postcode": "110020"}}
        }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let account_id = account["id"].as_str().expect("account").to_string();
    let endpoint: Value = post(
        "/v1/webhook-endpoints",
        json!({"url": hook_url, "event_types": ["shipment.created", "shipment.status_changed", "shipment.delivered"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    signing_key
        .set(
            STANDARD
                .decode(
                    endpoint["secret"]
                        .as_str()
                        .unwrap()
                        .strip_prefix("whsec_")
                        .unwrap(),
                )
                .unwrap(),
        )
        .unwrap();

    let mut readable = Vec::new();
    if seeded > 0 {
        let template: Value = post(
            "/v1/shipments",
            shipment_body("SEED-TEMPLATE", None, "560001"),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let template = template["id"].as_str().unwrap().to_string();
        // Stopped while the rows go in, as a restore would be.
        stop_servers(&mut servers);
        seed(&url, &template, seeded).await;
        servers = start_servers(&url, &ports, &client).await;
        let mut rng = Lcg(3);
        readable = (0..10_000)
            .map(|_| format!("shp_00{:030}", 1 + rng.next(seeded)))
            .collect();
    }
    let pids: Vec<u32> = servers.iter().map(Child::id).collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_start: Vec<u64> = pids.iter().map(|pid| memory(*pid).0).collect();
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "backend: {backend}; {processes} server process(es), requests round robin; {seeded} shipments seeded; \
         {observations} deliveries of EDD history; \
         {seconds} s at {create_rate} creations/s (each: a label, 4 scans {} ms apart), \
         {edd_rate} EDD lookups/s, {get_rate} shipment reads/s",
        gap.as_millis()
    );
    println!("server RSS after start: {rss_start:?} MiB");

    let load = Arc::new(Load {
        client: client.clone(),
        bases: bases.clone(),
        next_base: Default::default(),
        key: key.clone(),
        account_id,
        push_secret,
        stats: Stats::default(),
        webhooks: webhooks.clone(),
        readable: Mutex::new(readable),
    });
    let mut rng = Lcg(11);
    let lanes: Arc<Vec<String>> = Arc::new(
        (0..1_000)
            .map(|_| {
                format!(
                    "/v1/edd?origin={}&destination={}&carrier=delhivery",
                    origin(rng.next(20)),
                    destination(rng.next(2_500))
                )
            })
            .collect(),
    );
    let started = Instant::now();
    let flows = {
        let load = load.clone();
        tokio::spawn(every(create_rate, seconds, move |n| {
            let load = load.clone();
            async move { load.flow(n, gap).await }
        }))
    };
    let edds = {
        let load = load.clone();
        tokio::spawn(every(edd_rate, seconds, move |n| {
            let (load, lanes) = (load.clone(), lanes.clone());
            async move {
                let path = &lanes[n as usize % lanes.len()];
                let request = load
                    .client
                    .get(format!("{}{path}", load.base()))
                    .bearer_auth(&load.key);
                load.timed("GET /v1/edd", request).await;
            }
        }))
    };
    let reads = {
        let load = load.clone();
        tokio::spawn(every(get_rate, seconds, move |n| {
            let load = load.clone();
            async move {
                let id = {
                    let ids = load.readable.lock().unwrap();
                    if ids.is_empty() {
                        return;
                    }
                    ids[(n as usize * 7_919) % ids.len()].clone()
                };
                let request = load
                    .client
                    .get(format!("{}/v1/shipments/{id}", load.base()))
                    .bearer_auth(&load.key);
                load.timed("GET /v1/shipments/{id}", request).await;
            }
        }))
    };
    let mut peak_rss = 0;
    let sampled = pids.clone();
    let sampler = {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let task = tokio::spawn(async move {
            let mut peak = 0;
            while !s.load(Ordering::Relaxed) {
                peak = peak.max(sampled.iter().map(|pid| memory(*pid).0).sum());
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            peak
        });
        (stop, task)
    };
    for tasks in [edds.await.unwrap(), reads.await.unwrap()] {
        for t in tasks {
            let _ = t.await;
        }
    }
    for t in flows.await.unwrap() {
        let _ = t.await;
    }
    let requests_done = started.elapsed();
    // Webhooks still on their way: wait until every expected one arrived
    // (or none for 10 s).
    let expected = webhooks.caused.lock().unwrap().len();
    let (mut last, mut quiet) = (0, Instant::now());
    loop {
        let arrived = webhooks.arrived.lock().unwrap().len();
        if arrived >= expected || quiet.elapsed() > Duration::from_secs(10) {
            break;
        }
        if arrived != last {
            (last, quiet) = (arrived, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all_done = started.elapsed();
    sampler.0.store(true, Ordering::Relaxed);
    peak_rss = peak_rss.max(sampler.1.await.unwrap());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_after, hwm): (Vec<u64>, Vec<u64>) = pids.iter().map(|pid| memory(*pid)).unzip();

    println!(
        "{:<40} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "endpoint", "answered", "per s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let series = std::mem::take(&mut *load.stats.series.lock().unwrap());
    let mut names: Vec<_> = series.keys().copied().collect();
    names.sort_unstable();
    for name in names {
        let s = &series[name];
        let mut l = s.latencies.clone();
        l.sort_unstable();
        println!(
            "{:<40} {:>8} {:>8.1} {:>8.2} {:>8.2} {:>8.2} {:>7}",
            name,
            l.len(),
            l.len() as f64 / seconds as f64,
            percentile(&l, 0.5),
            percentile(&l, 0.99),
            percentile(&l, 1.0),
            s.errors
        );
    }
    let caused = webhooks.caused.lock().unwrap();
    let arrived = webhooks.arrived.lock().unwrap();
    let mut lags: Vec<Duration> = caused
        .iter()
        .filter_map(|(k, at)| arrived.get(k).map(|got| got.saturating_duration_since(*at)))
        .collect();
    lags.sort_unstable();
    let ids = webhooks.ids.lock().unwrap();
    println!(
        "{:<40} {:>8} {:>8.1} {:>8.2} {:>8.2} {:>8.2} {:>7}   ({} deliveries of {} ids, {} bad signatures)",
        "webhooks (cause answered → received)",
        lags.len(),
        lags.len() as f64 / seconds as f64,
        percentile(&lags, 0.5),
        percentile(&lags, 0.99),
        percentile(&lags, 1.0),
        caused.len() - lags.len(),
        ids.values().sum::<u32>(),
        ids.len(),
        webhooks.bad.load(Ordering::Relaxed)
    );
    let refused = webhooks.refused.lock().unwrap();
    if webhooks.fail_percent > 0 {
        println!(
            "receiver refused the first attempt of {} messages (503); {} of them were delivered on a retry",
            refused.len(),
            refused.iter().filter(|id| ids.contains_key(*id)).count()
        );
    }
    println!(
        "(per s: answered ÷ the {seconds} s the load was offered; errors for webhooks: expected, never arrived)"
    );
    println!(
        "requests for {:.1} s, webhooks done {:.1} s after the start; server RSS per process: {rss_start:?} MiB after start, \
         {rss_after:?} MiB after the load (peak {} MiB sampled, all processes together; VmHWM {hwm:?} MiB)",
        requests_done.as_secs_f64(),
        all_done.as_secs_f64(),
        peak_rss
    );
    stop_servers(&mut servers);
    if let Some(path) = url.strip_prefix("sqlite://") {
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(format!("{path}-wal"));
        let _ = std::fs::remove_file(format!("{path}-shm"));
    }
}
