//! Scale-out and crash safety with the real binary, under load.
//!
//! On PostgreSQL (`SHIPGATE_TEST_POSTGRES_URL` set): three `shipgate serve`
//! processes share one database; clients create shipments through all of
//! them (self-managed fleet and Delhivery through a carrier simulator), send
//! scans (Delhivery pushes to `/hooks/carriers/{account}`, fleet scans), and
//! one process is killed with SIGKILL mid-load. The survivors drain the
//! queue. On SQLite (one file, one process): the single `all` process is
//! killed with SIGKILL mid-ingestion and again mid-webhook-fan-out and
//! restarted each time.
//!
//! Then, either way: every acknowledged scan is one event, every shipment
//! is at its last scan's status, every webhook the changes raised reached
//! the receiver (at least once, signature verified, one `webhook-id` per
//! event whatever the retries, the same body on every retry), no job or
//! message is left behind, and no AWB was issued twice.

use std::collections::{HashMap, HashSet};
use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use shipgate_carriers::core::sim::{SimScan, SimShipment};
use shipgate_domain::{PaymentMode, ShipmentStatus};
use shipgate_storage::testing::fresh_database_url;

/// Steps every shipment goes through after booking, one request each.
const STEPS: [ShipmentStatus; 4] = [
    ShipmentStatus::PickedUp,
    ShipmentStatus::InTransit,
    ShipmentStatus::OutForDelivery,
    ShipmentStatus::Delivered,
];

/// Concurrent clients; each books groups of shipments and scans them.
const CLIENTS: usize = 6;
const GROUPS_PER_CLIENT: usize = 4;
/// Shipments in a group: half fleet, half Delhivery.
const GROUP: usize = 10;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `shipgate serve` process; SIGKILLed when dropped.
struct Server {
    child: Option<Child>,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn start(url: &str, port: u16, log: PathBuf) -> Self {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_shipgate"))
            .env_remove("DATABASE_URL")
            .env_remove("SHIPGATE_DATABASE_URL")
            .env_remove("SHIPGATE_CONFIG")
            .env_remove("SHIPGATE_ROLE")
            .current_dir(std::env::temp_dir())
            .env("SHIPGATE_SECRET_KEY", "ab".repeat(32))
            .env("SHIPGATE_SANDBOX", "false")
            .env("SHIPGATE_ALLOW_PRIVATE_WEBHOOK_TARGETS", "true")
            // A dead process's jobs are taken over after 3 s, its webhook
            // batch after 8 s (8 × the webhook timeout).
            .env("SHIPGATE_WORKER_LEASE_SECONDS", "3")
            .env("SHIPGATE_WEBHOOK_TIMEOUT_SECONDS", "1")
            .env("RUST_LOG", "warn")
            .args(["--database", url, "serve", "--role", "all", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        Self {
            child: Some(child),
            port,
            log,
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: no shutdown, no flushing, connections dropped mid-request.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    fn log_tail(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        let tail = s.as_bytes()[s.len().saturating_sub(3000)..].to_vec();
        String::from_utf8_lossy(&tail).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
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
            started.elapsed() < Duration::from_secs(30),
            "{base} did not come up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every delivery the merchant's receiver got with a valid signature.
#[derive(Default)]
struct Received {
    /// webhook-id → (type, shipment id, status, body, deliveries).
    messages: HashMap<String, (String, String, String, String, u32)>,
    bad_signatures: u32,
    /// Deliveries refused on purpose (a 500 for the first try of some ids).
    refused: HashSet<String>,
    /// A webhook-id delivered twice with different bodies.
    changed_bodies: Vec<String>,
}

/// A Standard Webhooks receiver on loopback; refuses the first delivery of
/// one message in eight so retries happen. Returns its URL.
async fn start_receiver(
    key: Arc<std::sync::OnceLock<Vec<u8>>>,
    received: Arc<Mutex<Received>>,
) -> String {
    let route = axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
        let (key, received) = (key.clone(), received.clone());
        async move {
            // A receiver that takes a moment, so batches are in flight.
            tokio::time::sleep(Duration::from_millis(20)).await;
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
            let mut r = received.lock().unwrap();
            if !header("webhook-signature")
                .split(' ')
                .any(|s| s == expected)
            {
                r.bad_signatures += 1;
                return axum::http::StatusCode::BAD_REQUEST;
            }
            let first_try = !r.messages.contains_key(&id) && !r.refused.contains(&id);
            if first_try && id.bytes().map(u32::from).sum::<u32>() % 8 == 0 {
                r.refused.insert(id);
                return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
            }
            let v: Value = serde_json::from_str(&body).unwrap();
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            let entry = r.messages.entry(id.clone()).or_insert_with(|| {
                (
                    text(&v["type"]),
                    text(&v["data"]["id"]),
                    text(&v["data"]["status"]),
                    body.clone(),
                    0,
                )
            });
            entry.4 += 1;
            if entry.3 != body {
                r.changed_bodies.push(id);
            }
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

/// The processes, as the clients see them: which are up right now.
struct Cluster {
    bases: Mutex<Vec<Option<String>>>,
    next: AtomicU64,
}

impl Cluster {
    /// Some server that is up (round robin); waits while none is.
    async fn pick(&self) -> String {
        let started = Instant::now();
        loop {
            let up: Vec<String> = self
                .bases
                .lock()
                .unwrap()
                .iter()
                .flatten()
                .cloned()
                .collect();
            if !up.is_empty() {
                let i = self.next.fetch_add(1, Ordering::Relaxed) as usize;
                return up[i % up.len()].clone();
            }
            assert!(started.elapsed() < Duration::from_secs(40), "no server up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// What the clients were told.
#[derive(Default)]
struct Acked {
    /// Shipments whose creation was answered 201: id → (AWB, fleet?).
    shipments: HashMap<String, (String, bool)>,
    /// Requests that failed without an answer (the process died under them).
    lost_creates: u32,
    scans_acked: u32,
    requests_retried: u32,
}

struct Load {
    cluster: Cluster,
    client: reqwest::Client,
    key: String,
    account_id: String,
    push_secret: String,
    acked: Mutex<Acked>,
    /// Requests answered so far (creates and scans), to time the kills.
    answered: AtomicU64,
    failed: Mutex<Vec<String>>,
}

fn shipment_body(reference: &str, account: Option<&str>) -> Value {
    let mut body = json!({
        "order_reference": reference,
        "pickup": {"name": "W", "phone": "9876543210", "line1": "1 Road", "city": "Delhi", "state": "Delhi", "postal_code": "110020"},
        "consignee": {"name": "C", "phone": "9812345678", "line1": "2 Road", "city": "Mumbai", "state": "MH", "postal_code": "400001"},
        "parcels": [{"weight_grams": 400}], "payment_mode": "prepaid", "declared_value": 50000
    });
    match account {
        Some(account) => body["carrier_account_id"] = json!(account),
        None => body["carrier"] = json!("fleet"),
    }
    body
}

impl Load {
    /// Books one shipment on some server; `None` when the server died
    /// before answering (not retried: it may or may not exist).
    async fn create(&self, reference: &str, fleet: bool) -> Option<(String, String)> {
        let base = self.cluster.pick().await;
        let account = (!fleet).then_some(self.account_id.as_str());
        let sent = self
            .client
            .post(format!("{base}/v1/shipments"))
            .bearer_auth(&self.key)
            .header("idempotency-key", reference)
            .json(&shipment_body(reference, account))
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(_) => {
                self.acked.lock().unwrap().lost_creates += 1;
                return None;
            }
        };
        let status = response.status();
        let Ok(body) = response.json::<Value>().await else {
            self.acked.lock().unwrap().lost_creates += 1;
            return None;
        };
        if status != 201 {
            self.failed
                .lock()
                .unwrap()
                .push(format!("create {reference}: {status} {body}"));
            return None;
        }
        self.answered.fetch_add(1, Ordering::Relaxed);
        let id = body["id"].as_str().unwrap().to_string();
        let awb = body["awb"].as_str().unwrap().to_string();
        self.acked
            .lock()
            .unwrap()
            .shipments
            .insert(id.clone(), (awb.clone(), fleet));
        Some((id, awb))
    }

    /// Sends a request until some server answers it (a carrier or a rider's
    /// app retries an unanswered push); its status and body.
    async fn send_until_answered(
        &self,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
        bearer: bool,
    ) -> (u16, String) {
        let started = Instant::now();
        loop {
            let base = self.cluster.pick().await;
            let mut request = self
                .client
                .post(format!("{base}{path}"))
                .header("content-type", "application/json")
                .body(body.to_vec());
            for (k, v) in headers {
                request = request.header(k, v);
            }
            if bearer {
                request = request.bearer_auth(&self.key);
            }
            if let Ok(r) = request.send().await {
                let status = r.status().as_u16();
                if let Ok(text) = r.text().await {
                    self.answered.fetch_add(1, Ordering::Relaxed);
                    return (status, text);
                }
            }
            self.acked.lock().unwrap().requests_retried += 1;
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "{path} never answered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One scan step for a group: one Delhivery push with all its Delhivery
    /// shipments' scans, one fleet scans request with the fleet ones.
    async fn scan(&self, group: &[(String, String, bool)], step: usize, at: Timestamp) {
        let status = STEPS[step];
        let delhivery = shipgate_carriers::adapter("delhivery").unwrap();
        let code = delhivery
            .status_codes()
            .iter()
            .find(|c| c.status == status)
            .unwrap();
        let mut items = Vec::new();
        let mut headers = Vec::new();
        let mut fleet = Vec::new();
        for (_, awb, is_fleet) in group {
            if *is_fleet {
                fleet.push(json!({"awb": awb, "status": status, "occurred_at": at.to_string()}));
                continue;
            }
            let scan = SimScan {
                status,
                ndr_reason: None,
                code: code.code,
                description: code.description,
                at,
                location: "Hub".into(),
            };
            let shipment = SimShipment {
                awb: awb.clone(),
                reference: String::new(),
                payment_mode: PaymentMode::Prepaid,
                cod_amount_minor: 0,
                consignee_name: "C".into(),
                destination_postal_code: "400001".into(),
                scans: vec![scan.clone()],
                attempts: 0,
                edd: None,
            };
            let request = delhivery
                .sim_push(&self.push_secret, &shipment, &[scan])
                .unwrap();
            headers = request.headers.clone();
            if let shipgate_carriers::core::Body::Json(v) = request.body {
                items.push(v);
            }
        }
        if !items.is_empty() {
            let path = format!("/hooks/carriers/{}", self.account_id);
            let body = serde_json::to_vec(&Value::Array(items.clone())).unwrap();
            let (status, text) = self
                .send_until_answered(&path, &headers, &body, false)
                .await;
            if status == 200 {
                self.acked.lock().unwrap().scans_acked += items.len() as u32;
            } else {
                self.failed
                    .lock()
                    .unwrap()
                    .push(format!("push: {status} {text}"));
            }
        }
        if !fleet.is_empty() {
            let body = serde_json::to_vec(&json!({"scans": fleet})).unwrap();
            let (status, text) = self
                .send_until_answered("/v1/fleet/scans", &[], &body, true)
                .await;
            if status == 200 {
                self.acked.lock().unwrap().scans_acked += fleet.len() as u32;
            } else {
                self.failed
                    .lock()
                    .unwrap()
                    .push(format!("fleet scans: {status} {text}"));
            }
        }
    }

    /// One client: books its groups and walks each through every step.
    async fn client(&self, client: usize) {
        for g in 0..GROUPS_PER_CLIENT {
            let mut group = Vec::new();
            for i in 0..GROUP {
                let reference = format!("K-{client}-{g}-{i}");
                if let Some((id, awb)) = self.create(&reference, i % 2 == 0).await {
                    group.push((id, awb, i % 2 == 0));
                }
            }
            // Whole seconds (Delhivery's push has no finer time), after booking.
            let t0 = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
            for step in 0..STEPS.len() {
                let at = t0 + SignedDuration::from_secs(step as i64 + 1);
                self.scan(&group, step, at).await;
            }
        }
    }
}

/// Reads the database the processes share.
enum Db {
    Pg(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

impl Db {
    async fn connect(url: &str) -> Self {
        if url.starts_with("postgres") {
            let pool = sqlx::postgres::PgPoolOptions::new().max_connections(2);
            Db::Pg(pool.connect(url).await.unwrap())
        } else {
            let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(2);
            Db::Sqlite(pool.connect(url).await.unwrap())
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self {
            Db::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        }
    }

    /// The jobs and webhook messages the process with `pid` holds.
    async fn held_by(&self, pid: u32) -> Vec<(String, String, String)> {
        self.rows(&format!(
            "SELECT 'job', id, kind FROM jobs WHERE status = 'running' AND locked_by LIKE '%-{pid}' \
             UNION ALL SELECT 'message', id, event_type FROM webhook_messages \
             WHERE status = 'pending' AND claimed_by LIKE '%-{pid}:%'"
        ))
        .await
    }

    /// Waits (up to `limit`) until the process with `pid` is sending webhooks.
    async fn wait_sending(&self, pid: u32, limit: Duration) {
        let started = Instant::now();
        while started.elapsed() < limit
            && !self
                .held_by(pid)
                .await
                .iter()
                .any(|(what, ..)| what == "message")
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Rows of text columns.
    async fn rows(&self, sql: &str) -> Vec<(String, String, String)> {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self {
            Db::Pg(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
            Db::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_under_load_loses_nothing() {
    let url = fresh_database_url().await;
    let postgres = url.starts_with("postgres");
    let store = shipgate_storage::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let key = shipgate_api::keys::issue();
    store
        .create_tenant("Acme", &key.hash, &key.prefix)
        .await
        .unwrap();
    drop(store);
    // The carrier: one simulator every process books through, as a real
    // carrier's API would be (each process's built-in sandbox has its own).
    let simulator = shipgate_api::Sandbox::start("127.0.0.1:0", 7)
        .await
        .unwrap();

    let signing_key: Arc<std::sync::OnceLock<Vec<u8>>> = Arc::default();
    let received: Arc<Mutex<Received>> = Arc::default();
    let hook_url = start_receiver(signing_key.clone(), received.clone()).await;

    let logs = std::env::temp_dir().join("shipgate-tests");
    std::fs::create_dir_all(&logs).unwrap();
    let processes = if postgres { 3 } else { 1 };
    let mut servers: Vec<Server> = (0..processes)
        .map(|i| {
            let port = free_port();
            Server::start(
                &url,
                port,
                logs.join(format!("kill-{}-{port}-{i}.log", std::process::id())),
            )
        })
        .collect();
    shipgate_carriers::client::install_tls_provider();
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    for s in &servers {
        wait_healthy(&client, &s.base()).await;
    }
    let logs_written: Vec<PathBuf> = servers.iter().map(|s| s.log.clone()).collect();
    let base = servers[0].base();
    let push_secret = "push-secret-1".to_string();
    let account: Value = client
        .post(format!("{base}/v1/carrier-accounts"))
        .bearer_auth(&key.secret)
        .json(&json!({
            "carrier": "delhivery",
            "base_url": format!("{}/delhivery", simulator.url.trim_end_matches('/')),
            "credentials": {"api_token": "sim", "webhook_secret": push_secret},
            "settings": {"pickup_location": "Main Warehouse", "extra": {"pickup_postcode": "110020"}}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let account_id = account["id"].as_str().expect("account created").to_string();
    let endpoint: Value = client
        .post(format!("{base}/v1/webhook-endpoints"))
        .bearer_auth(&key.secret)
        .json(&json!({"url": hook_url, "event_types": [
            "shipment.created", "shipment.status_changed", "shipment.delivered"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = endpoint["secret"].as_str().expect("endpoint created");
    signing_key
        .set(
            STANDARD
                .decode(secret.strip_prefix("whsec_").unwrap())
                .unwrap(),
        )
        .unwrap();

    let load = Arc::new(Load {
        cluster: Cluster {
            bases: Mutex::new(servers.iter().map(|s| Some(s.base())).collect()),
            next: AtomicU64::new(0),
        },
        client: client.clone(),
        key: key.secret.clone(),
        account_id,
        push_secret,
        acked: Mutex::default(),
        answered: AtomicU64::new(0),
        failed: Mutex::default(),
    });
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let load = load.clone();
            tokio::spawn(async move { load.client(c).await })
        })
        .collect();
    // Requests the load makes: creates, then per step a push and fleet scans.
    let total = (CLIENTS * GROUPS_PER_CLIENT * (GROUP + 2 * STEPS.len())) as u64;
    let wait_answered = |share: f64| {
        let load = load.clone();
        async move {
            while (load.answered.load(Ordering::Relaxed) as f64) < total as f64 * share {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    let db = Db::connect(&url).await;
    let mut kills = Vec::new();
    // What the killed processes held: jobs claimed, messages being sent.
    let mut orphans = Vec::new();
    if postgres {
        // Mid-load: the last process dies with whatever it holds (requests
        // in flight, claimed jobs, a claimed webhook batch).
        wait_answered(0.4).await;
        db.wait_sending(servers[2].pid(), Duration::from_secs(5))
            .await;
        let queued = db
            .count("SELECT COUNT(*) FROM jobs WHERE status <> 'done'")
            .await;
        load.cluster.bases.lock().unwrap()[2] = None;
        let pid = servers[2].pid();
        servers[2].kill();
        let held = db.held_by(pid).await;
        kills.push(format!(
            "process 3 of 3 at 40 % of the load, {queued} jobs not done; it held {}",
            describe(&held)
        ));
        orphans.extend(held);
    } else {
        // Mid-ingestion: pushes acknowledged, their jobs not all applied.
        wait_answered(0.35).await;
        let queued = db
            .count("SELECT COUNT(*) FROM jobs WHERE status <> 'done'")
            .await;
        let held = restart(&load, &mut servers[0], &url, &client, &db).await;
        kills.push(format!(
            "at 35 % of the load, {queued} jobs not done; it held {}",
            describe(&held)
        ));
        orphans.extend(held);
        wait_answered(0.7).await;
        let held = restart(&load, &mut servers[0], &url, &client, &db).await;
        kills.push(format!("at 70 % of the load; it held {}", describe(&held)));
        orphans.extend(held);
    }
    for c in clients {
        c.await.unwrap();
    }
    let load_time = started.elapsed();
    if !postgres {
        // Mid-webhook-fan-out: messages delivered, others still pending.
        db.wait_sending(servers[0].pid(), Duration::from_secs(3))
            .await;
        let pending = db
            .count("SELECT COUNT(*) FROM webhook_messages WHERE status = 'pending'")
            .await;
        let held = restart(&load, &mut servers[0], &url, &client, &db).await;
        kills.push(format!(
            "after the load, {pending} webhook messages pending; it held {}",
            describe(&held)
        ));
        orphans.extend(held);
    }

    // Drain: the survivors finish every job and deliver every message.
    let drained = Instant::now();
    loop {
        let jobs = db
            .count("SELECT COUNT(*) FROM jobs WHERE status NOT IN ('done', 'dead')")
            .await;
        let pending = db
            .count("SELECT COUNT(*) FROM webhook_messages WHERE status = 'pending'")
            .await;
        if jobs == 0 && pending == 0 {
            break;
        }
        if drained.elapsed() > Duration::from_secs(45) {
            let logs: Vec<String> = servers.iter().map(Server::log_tail).collect();
            panic!(
                "not drained after 45 s: {jobs} jobs, {pending} webhook messages; logs:\n{}",
                logs.join("\n----\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drain_time = drained.elapsed();

    let acked = std::mem::take(&mut *load.acked.lock().unwrap());
    let failed = std::mem::take(&mut *load.failed.lock().unwrap());
    assert!(failed.is_empty(), "requests refused: {failed:?}");
    eprintln!(
        "{} on {}: {} shipments booked ({} creates lost with the process), {} scans acknowledged, {} requests retried; load {:.1} s, drained {:.1} s; killed: {}",
        if postgres { "3 processes" } else { "1 process" },
        if postgres { "PostgreSQL" } else { "SQLite" },
        acked.shipments.len(),
        acked.lost_creates,
        acked.scans_acked,
        acked.requests_retried,
        load_time.as_secs_f64(),
        drain_time.as_secs_f64(),
        kills.join("; ")
    );
    assert!(acked.shipments.len() >= CLIENTS * GROUPS_PER_CLIENT * GROUP / 2);
    assert_eq!(
        acked.scans_acked as usize,
        acked.shipments.len() * STEPS.len(),
        "every scan of every booked shipment was acknowledged"
    );

    // The work the killed processes held was taken over and finished.
    for (what, id, kind) in &orphans {
        let done = db
            .count(&format!(
                "SELECT (SELECT COUNT(*) FROM jobs WHERE id = '{id}' AND status = 'done') \
                 + (SELECT COUNT(*) FROM webhook_messages WHERE id = '{id}' AND status = 'delivered')"
            ))
            .await;
        assert_eq!(done, 1, "{what} {id} ({kind}) held by a killed process");
    }

    // No job given up on.
    assert_eq!(
        db.count("SELECT COUNT(*) FROM jobs WHERE status = 'dead'")
            .await,
        0
    );

    // AWBs: unique across every shipment stored (answered or not).
    let stored = db.rows("SELECT id, awb, carrier FROM shipments").await;
    let mut awbs = HashSet::new();
    for (_, awb, _) in &stored {
        assert!(awbs.insert(awb.clone()), "AWB {awb} issued twice");
    }
    let stored_ids: HashSet<&String> = stored.iter().map(|(id, ..)| id).collect();
    for (id, (awb, _)) in acked.shipments.iter() {
        assert!(
            stored_ids.contains(id),
            "acknowledged shipment {id} ({awb}) lost"
        );
    }

    // Every acknowledged scan is exactly one event; every shipment ended at
    // its last scan's status.
    let events = db
        .rows(
            "SELECT shipment_id, status, CAST(occurred_at AS TEXT) || ' ' || CAST(seq AS TEXT) \
             FROM shipment_events WHERE source IN ('carrier_push', 'fleet_scan')",
        )
        .await;
    // shipment → (status, occurred_at, seq: the order recorded, as each
    // recording holds the shipment's row)
    let mut per_shipment: HashMap<&str, Vec<(&str, i64, i64)>> = HashMap::new();
    for (shipment, status, at_seq) in &events {
        let (at, seq) = at_seq.split_once(' ').unwrap();
        per_shipment.entry(shipment).or_default().push((
            status,
            at.parse().unwrap(),
            seq.parse().unwrap(),
        ));
    }
    for (id, (awb, fleet)) in acked.shipments.iter() {
        let got = per_shipment.get(id.as_str()).cloned().unwrap_or_default();
        let mut statuses: Vec<&str> = got.iter().map(|e| e.0).collect();
        statuses.sort_unstable();
        let mut want: Vec<&str> = STEPS.iter().map(|s| s.as_str()).collect();
        want.sort_unstable();
        assert_eq!(statuses, want, "scans of {id} ({awb}, fleet: {fleet})");
    }
    let statuses = db.rows("SELECT id, status, '' FROM shipments").await;
    for (id, status, _) in &statuses {
        if acked.shipments.contains_key(id) {
            assert_eq!(status, "delivered", "{id}");
        }
    }

    // Webhooks: every message in the outbox delivered and received; one
    // webhook-id per event, the same body on every delivery.
    let received = std::mem::take(&mut *received.lock().unwrap());
    assert_eq!(received.bad_signatures, 0);
    assert!(
        received.changed_bodies.is_empty(),
        "{:?}",
        received.changed_bodies
    );
    let messages = db
        .rows("SELECT id, status, event_type FROM webhook_messages")
        .await;
    for (id, status, kind) in &messages {
        assert_eq!(status, "delivered", "message {id} ({kind})");
        assert!(
            received.messages.contains_key(id),
            "message {id} ({kind}) never received"
        );
    }
    let mut ids_per_event: HashMap<(String, String, String), Vec<&String>> = HashMap::new();
    for (id, (kind, shipment, status, _, _)) in &received.messages {
        ids_per_event
            .entry((kind.clone(), shipment.clone(), status.clone()))
            .or_default()
            .push(id);
    }
    for ((kind, shipment, status), ids) in &ids_per_event {
        assert_eq!(
            ids.len(),
            1,
            "{kind} of {shipment} ({status}) sent under several ids: {ids:?}"
        );
    }
    // Each shipment's creation and delivery; and each status change: a scan
    // recorded after a later one (its push applied late, say by the process
    // that took over a dead one's job) changes no status and raises nothing.
    let mut skipped = 0;
    for id in acked.shipments.keys() {
        let scans = &per_shipment[id.as_str()];
        let mut expected = vec![
            ("shipment.created", "manifested"),
            ("shipment.delivered", "delivered"),
        ];
        for (status, at, seq) in scans {
            let late = scans.iter().any(|(_, a, s)| a > at && s < seq);
            if late {
                skipped += 1;
            } else {
                expected.push(("shipment.status_changed", status));
            }
        }
        for (kind, status) in expected {
            assert!(
                ids_per_event.contains_key(&(kind.to_string(), id.clone(), status.to_string())),
                "{kind} ({status}) of {id} never received; its scans (status, at, seq): {scans:?}"
            );
        }
    }
    // Refused first tries were retried under the same id.
    assert!(!received.refused.is_empty());
    for id in &received.refused {
        assert!(
            received.messages.contains_key(id),
            "refused {id} never retried"
        );
    }
    let redelivered = received.messages.values().filter(|m| m.4 > 1).count();
    eprintln!(
        "webhooks: {} messages received, {} refused once and retried, {} delivered more than once; {skipped} scans recorded after a later one",
        received.messages.len(),
        received.refused.len(),
        redelivered
    );
    drop(servers);
    for log in logs_written {
        let _ = std::fs::remove_file(log);
    }
}

fn describe(held: &[(String, String, String)]) -> String {
    let jobs = held.iter().filter(|(what, ..)| what == "job").count();
    format!("{jobs} jobs, {} webhook messages", held.len() - jobs)
}

/// SIGKILLs the single process and starts it again on the same database
/// and port (clients wait for it meanwhile); what the killed one held.
async fn restart(
    load: &Load,
    server: &mut Server,
    url: &str,
    client: &reqwest::Client,
    db: &Db,
) -> Vec<(String, String, String)> {
    load.cluster.bases.lock().unwrap()[0] = None;
    let pid = server.pid();
    server.kill();
    let held = db.held_by(pid).await;
    let (port, log) = (server.port, server.log.clone());
    *server = Server::start(url, port, log);
    wait_healthy(client, &server.base()).await;
    load.cluster.bases.lock().unwrap()[0] = Some(server.base());
    held
}
