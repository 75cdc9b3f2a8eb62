//! The sandbox's demo product page (`GET /demo/product`): the EDD widget with
//! a publishable key of the default tenant, answering from sandbox data only:
//! - serviceability from the simulator's pincode API (through the ordinary
//!   sync), for the demo PIN codes;
//! - when the delivery history is empty, a synthetic history labelled
//!   `source = 'sandbox'`: deliveries on the demo lanes over the last
//!   [`HISTORY_DAYS`] days, timed by the simulator's own journeys
//!   ([`shipgate_simulator::first_attempt_delivery_hours`]: one in ten delayed).
//!   It describes the simulator, not any carrier; it exists only in sandbox
//!   mode and is never written otherwise.

use jiff::{SignedDuration, Timestamp};
use shipgate_edd::PostalScheme;
use shipgate_storage::{EddObservationRecord, Tenant};

use crate::AppState;
use crate::error::ApiError;

/// The tenant setting that remembers the demo's publishable key (publishable
/// keys are public by design; only their hash authenticates).
pub const SETTING: &str = "sandbox_demo";
/// The demo product ships from here.
pub const ORIGIN_PIN: &str = "110020";
/// Destinations the demo loads serviceability for and seeds history on.
pub const DEMO_PINS: &[&str] = &[
    "560001", "400001", "700001", "600001", "500001", "110001", "302001", "380001", "226001",
    "799001", "560009",
];
/// A PIN the simulator's carriers do not serve (codes starting `99`).
pub const NOT_SERVED_PIN: &str = "990001";
pub const HISTORY_SOURCE: &str = "sandbox";
pub const HISTORY_DAYS: i64 = 60;

/// What the demo page needs.
#[derive(Debug, Clone)]
pub struct DemoPage {
    pub tenant_id: String,
    /// The publishable key the page embeds.
    pub key: String,
    pub origin_pin: String,
}

/// Prepares the demo for `tenant` (sandbox mode only) and publishes it to
/// `GET /demo/product`. Idempotent: a restart reuses the key and adds no
/// history once there is some.
pub async fn setup(state: &AppState, tenant: &Tenant) -> Result<DemoPage, ApiError> {
    if state.sandbox.is_none() {
        return Err(ApiError::internal(&"the demo needs sandbox mode"));
    }
    let mut accounts: Vec<_> = super::allocation::accounts(state, tenant)
        .await?
        .into_iter()
        .filter(|a| a.base_url.is_none())
        .collect();
    if accounts.is_empty() {
        accounts = super::carrier_accounts::create_sandbox_accounts(state, tenant).await?;
    }
    let key = demo_key(state, tenant).await?;
    let mut codes: Vec<String> = DEMO_PINS.iter().map(|p| p.to_string()).collect();
    codes.push(ORIGIN_PIN.into());
    codes.push(NOT_SERVED_PIN.into());
    for account in &accounts {
        let (_, errors) = super::serviceability::sync_from_carrier(
            state,
            tenant,
            account,
            &codes,
            &crate::auth::ChangedBy::system(),
        )
        .await?;
        if !errors.is_empty() {
            tracing::info!(carrier = %account.carrier, errors = errors.len(), "demo: serviceability sync incomplete");
        }
    }
    if state.store.edd_observations_after(0, 1).await?.is_empty() {
        let carriers: Vec<String> = accounts.iter().map(|a| a.carrier.clone()).collect();
        let rows = synthetic_history(tenant, &carriers, Timestamp::now());
        state.store.record_edd_observations(&rows).await?;
        state.edd.refresh(state.store.as_ref()).await?;
        tracing::info!(
            rows = rows.len(),
            "sandbox: recorded a synthetic delivery history (source 'sandbox') from the simulator's journeys"
        );
    }
    let page = DemoPage {
        tenant_id: tenant.id.clone(),
        key,
        origin_pin: ORIGIN_PIN.into(),
    };
    let _ = state.demo.set(page.clone());
    Ok(page)
}

/// The demo's publishable key, allowed from this server's own origins.
async fn demo_key(state: &AppState, tenant: &Tenant) -> Result<String, ApiError> {
    let origins = self_origins(state.self_url.as_deref().unwrap_or_default());
    let saved = state.store.tenant_setting(&tenant.id, SETTING).await?;
    if let Some(key) = saved.as_ref().and_then(|v| v["key"].as_str()) {
        let found = state
            .store
            .publishable_key_by_hash(&crate::keys::hash(key))
            .await?;
        if found.is_some_and(|(_, k)| origins.iter().all(|o| k.allowed_origins.contains(o))) {
            return Ok(key.to_string());
        }
    }
    let issued = crate::keys::issue_publishable();
    let system = crate::auth::ChangedBy::system();
    let key = crate::routes::publishable_keys::store_new(
        state.store.as_ref(),
        &tenant.id,
        &issued,
        &origins,
        &system,
    )
    .await?;
    // The entry names the key, never the key itself the setting holds.
    let audit = system
        .entry("demo_page", "configured", &tenant.id)
        .with_summary(serde_json::json!({ "publishable_key_id": key.id }));
    state
        .store
        .set_tenant_setting(
            &tenant.id,
            SETTING,
            &serde_json::json!({"key": issued.secret}),
            &audit,
        )
        .await?;
    Ok(issued.secret)
}

/// The origins a browser may show this server under: its URL, and on a
/// loopback or wildcard address both `localhost` and `127.0.0.1`.
pub fn self_origins(self_url: &str) -> Vec<String> {
    let Ok(url) = reqwest::Url::parse(self_url) else {
        return Vec::new();
    };
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    match url.host_str() {
        Some("127.0.0.1" | "localhost" | "0.0.0.0" | "[::1]" | "[::]") => vec![
            format!("{}://localhost{port}", url.scheme()),
            format!("{}://127.0.0.1{port}", url.scheme()),
        ],
        _ => vec![url.origin().ascii_serialization()],
    }
}

/// Deliveries on the demo lanes, one a day per carrier and destination, ordered
/// between 09:00 and 17:00 local time and timed by the simulator's journeys.
pub fn synthetic_history(
    tenant: &Tenant,
    carriers: &[String],
    now: Timestamp,
) -> Vec<EddObservationRecord> {
    let scheme = PostalScheme::for_country("IN");
    let mut rows = Vec::new();
    for carrier in carriers {
        for (d, destination) in DEMO_PINS.iter().enumerate() {
            for day in 1..=HISTORY_DAYS {
                let n = day as usize + d;
                let reference = if n.is_multiple_of(10) {
                    "demo-sim-delayed"
                } else {
                    "demo"
                };
                let Some((pickup, delivered)) =
                    shipgate_simulator::first_attempt_delivery_hours(reference)
                else {
                    continue;
                };
                let local_now = scheme.local_datetime(now);
                let ordered = local_now
                    .date()
                    .at(9 + (n % 9) as i8, 0, 0, 0)
                    .checked_sub(SignedDuration::from_hours(24 * (day + 4)))
                    .expect("in range");
                let after = |h: i64| {
                    ordered
                        .checked_add(SignedDuration::from_hours(h))
                        .expect("in range")
                };
                rows.push(EddObservationRecord {
                    id: 0,
                    source: HISTORY_SOURCE.into(),
                    source_ref: format!("{carrier}:{ORIGIN_PIN}:{destination}:{day}"),
                    tenant_id: Some(tenant.id.clone()),
                    country: "IN".into(),
                    carrier: carrier.clone(),
                    service: String::new(),
                    scope: tenant.id.clone(),
                    origin: ORIGIN_PIN.into(),
                    destination: (*destination).into(),
                    ordered_at: ordered,
                    picked_up_at: Some(after(pickup)),
                    delivered_at: after(delivered),
                    promised_date: None,
                });
            }
        }
    }
    rows
}
