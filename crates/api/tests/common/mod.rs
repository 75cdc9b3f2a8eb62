//! `spawn_app`: the real server on a random port over a fresh database
//! (SQLite, or PostgreSQL when SHIPGATE_TEST_POSTGRES_URL is set), with two
//! tenants to check isolation between.

#![allow(dead_code)]

pub mod browser;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use shipgate_api::service::webhooks::WebhookConfig;
use shipgate_api::{AppState, Sandbox, app, keys, register_jobs};
use shipgate_carriers::secrets::SecretBox;
use shipgate_simulator::Simulator;
use shipgate_storage::{Store, Tenant, testing};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub tenant_a: Tenant,
    pub simulator: Arc<Simulator>,
    pub state: AppState,
    pub key_a: String,
    pub key_b: String,
}

/// Webhook retries in milliseconds, so retry tests run fast.
pub fn fast_webhooks() -> WebhookConfig {
    WebhookConfig {
        retry_schedule: vec![Duration::from_millis(50); 3],
        request_timeout: Duration::from_secs(5),
        ..WebhookConfig::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(fast_webhooks()).await
}

pub async fn spawn_app_with(webhooks: WebhookConfig) -> TestApp {
    spawn_app_configured(move |state| state.webhooks = webhooks).await
}

/// The app with `configure` applied to its state before it starts.
pub async fn spawn_app_configured(configure: impl FnOnce(&mut AppState)) -> TestApp {
    let store = testing::fresh_store().await;
    let (a, b) = (keys::issue(), keys::issue());
    let tenant_a = store
        .create_tenant("Acme", &a.hash, &a.prefix)
        .await
        .unwrap();
    store
        .create_tenant("Bolt", &b.hash, &b.prefix)
        .await
        .unwrap();
    let sandbox = Sandbox::start("127.0.0.1:0", 7).await.unwrap();
    let simulator = sandbox.simulator.clone();
    let secrets = SecretBox::from_config(&SecretBox::generate_key()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut state = AppState::new(store.clone(), secrets, Some(sandbox), Some(base.clone()));
    // Test receivers listen on 127.0.0.1.
    state.allow_private_webhook_targets = true;
    state.webhooks = fast_webhooks();
    configure(&mut state);
    // The job worker, as `serve` runs it, so pushes get applied and webhooks sent.
    let worker = register_jobs(
        shipgate_api::worker::Worker::new(store.clone(), "test-worker")
            .with_idle_pause(Duration::from_millis(20)),
        &state,
    )
    .unwrap();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _keep_running = stop;
        worker.run(stop_rx).await
    });
    let router = app(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    shipgate_carriers::client::install_tls_provider();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    TestApp {
        base,
        client,
        store,
        tenant_a,
        simulator,
        state,
        key_a: a.secret,
        key_b: b.secret,
    }
}

pub fn shipment_body(reference: &str) -> Value {
    json!({
        "order_reference": reference,
        "carrier": "fleet",
        "pickup": {
            "name": "Acme Warehouse", "phone": "9876543210", "line1": "Plot 4, Okhla Phase 2",
            "city": "New Delhi", "state": "Delhi", "postal_code": "110020"
        },
        "consignee": {
            "name": "Asha Rao", "phone": "+91 98123 45678", "line1": "12 MG Road",
            "city": "Bengaluru", "state": "Karnataka", "postal_code": "560001"
        },
        "parcels": [{"weight_grams": 750, "length_cm": 20, "width_cm": 15, "height_cm": 10}],
        "payment_mode": "cod",
        "cod_amount": 149900,
        "declared_value": 149900
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(key)
    }

    /// The Prometheus text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// GETs `path` and reads the JSON body, whatever the status.
    pub async fn get_json(&self, path: &str, key: &str) -> Value {
        self.get(path, key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// GETs a page without a key and reads it as text, whatever the status.
    pub async fn page(&self, path: &str) -> String {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        r.text().await.unwrap()
    }

    pub fn patch(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.client.patch(self.url(path)).bearer_auth(key)
    }

    pub fn post(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(key)
    }

    pub async fn create_shipment(&self, reference: &str) -> Value {
        let r = self
            .post("/v1/shipments", &self.key_a)
            .json(&shipment_body(reference))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    pub async fn scan(&self, awb: &str, status: &str, occurred_at: &str) -> Value {
        let body = json!({"scans": [{"awb": awb, "status": status, "occurred_at": occurred_at}]});
        let r = self
            .post("/v1/fleet/scans", &self.key_a)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["results"][0].clone()
    }
}

/// Asserts a problem+json response and returns its body.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.unwrap()
}

/// A shipment booked at `carrier`'s sandbox (through a new sandbox account); its id.
pub async fn booked(app: &TestApp, carrier: &str, reference: &str) -> String {
    booked_body(app, carrier, shipment_body(reference)).await
}

/// `booked` with this body (its `carrier` is replaced by the sandbox account).
pub async fn booked_body(app: &TestApp, carrier: &str, mut body: Value) -> String {
    let account: Value = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": carrier, "sandbox": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body.as_object_mut().unwrap().remove("carrier");
    body["carrier_account_id"] = account["id"].clone();
    let s: Value = app
        .post("/v1/shipments", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    s["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{carrier}: {s}"))
        .to_string()
}

/// Polls the shipment until its status is `status` (5 s at most).
pub async fn status_becomes(app: &TestApp, id: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = app
            .get(&format!("/v1/shipments/{id}"), &app.key_a)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if last["status"] == status {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} never became {status}: {last}");
}

/// A minimal SMTP server: accepts everything, keeps each message's data.
pub async fn smtp_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let messages = Arc::new(Mutex::new(Vec::new()));
    let store = messages.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(data.take().unwrap());
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (url, messages)
}

/// Moves the carriers' clock on and has Shipgate ask about the shipment
/// right away (carriers that do not push are only polled).
pub async fn advance(app: &TestApp, shipment: &str, hours: i64) {
    app.simulator
        .advance(jiff::SignedDuration::from_hours(hours));
    app.store
        .schedule_poll(
            shipment,
            Some(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(1)),
        )
        .await
        .unwrap();
    shipgate_api::service::tracking::enqueue_due_polls(&app.state, 100)
        .await
        .unwrap();
}
