//! `spawn_app`: the real server on a random port over a fresh database
//! (SQLite, or PostgreSQL when SHIPGATE_TEST_POSTGRES_URL is set), with two
//! tenants to check isolation between.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shipgate_api::service::webhooks::WebhookConfig;
use shipgate_api::{AppState, Sandbox, app, keys, register_jobs};
use shipgate_carriers::secrets::SecretBox;
use shipgate_simulator::Simulator;
use shipgate_storage::{Store, Tenant, testing};

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
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
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
