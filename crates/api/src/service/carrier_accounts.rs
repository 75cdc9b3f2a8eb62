//! Carrier accounts: validated, credentials sealed before storage, and
//! opened into the adapter's [`Account`] when a carrier is called.

use std::collections::BTreeMap;

use serde::Deserialize;
use shipgate_carriers::core::Account;
use shipgate_carriers::core::account::{AccountSettings, Secret};
use shipgate_carriers::{adapter, adapters};
use shipgate_domain::validation::{InvalidValue, ValidationErrors};
use shipgate_storage::{CarrierAccountRecord, Tenant, new_id, now};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::ChangedBy;
use crate::error::ApiError;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCarrierAccount {
    /// Carrier code, e.g. `delhivery` (see `GET /v1/carriers`).
    pub carrier: String,
    /// A name to tell accounts apart; defaults to the carrier's name.
    pub name: Option<String>,
    /// Served by the built-in carrier simulator; no credentials or base URL.
    #[serde(default)]
    pub sandbox: bool,
    /// The carrier's API base URL; defaults to its production URL.
    pub base_url: Option<String>,
    /// Credential name → value, as `GET /v1/carriers` lists them for the carrier.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
    #[serde(default)]
    #[schema(value_type = Option<crate::routes::carrier_accounts::AccountSettingsDoc>)]
    pub settings: AccountSettings,
}

/// Settings some carriers need (customer codes, the pickup address for
/// carriers that take it per request), filled in for sandbox accounts.
const SANDBOX_SETTINGS: &[(&str, &str)] = &[
    ("customer_code", "SANDBOX"),
    ("origin_area", "DEL"),
    ("pickup_address", "Plot 4, Okhla Phase 2, New Delhi"),
    ("pickup_pincode", "110020"),
    ("pickup_postcode", "110020"),
    ("pickup_phone", "9876543210"),
];

fn valid_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > 8
        && !url.contains(char::is_whitespace)
}

pub async fn create_account(
    state: &AppState,
    tenant: &Tenant,
    mut input: NewCarrierAccount,
    changed_by: &ChangedBy,
) -> Result<(CarrierAccountRecord, Vec<String>), ApiError> {
    let mut errs = ValidationErrors::new();
    let code = input.carrier.trim().to_ascii_lowercase();
    let Some(adapter) = adapter(&code) else {
        let known: Vec<_> = adapters().iter().map(|a| a.carrier()).collect();
        errs.push(
            "carrier",
            InvalidValue::new(
                "unsupported_carrier",
                format!("use one of: {}", known.join(", ")),
            ),
        );
        return Err(errs.into());
    };
    let mut credentials = input.credentials;
    let base_url = if input.sandbox {
        if input.base_url.is_some() {
            errs.push(
                "base_url",
                InvalidValue::new(
                    "not_allowed",
                    "a sandbox account calls the built-in simulator",
                ),
            );
        }
        if state.sandbox.is_none() {
            errs.push(
                "sandbox",
                InvalidValue::new("sandbox_off", "sandbox mode is off on this server"),
            );
        }
        for name in adapter.credential_names() {
            credentials
                .entry(name.to_string())
                .or_insert_with(|| "sandbox".into());
        }
        credentials
            .entry("webhook_secret".into())
            .or_insert_with(|| new_id("whsec"));
        // Carrier-specific settings the sandbox carriers expect, unless given.
        for (key, value) in SANDBOX_SETTINGS {
            input
                .settings
                .extra
                .entry(key.to_string())
                .or_insert_with(|| value.to_string());
        }
        input
            .settings
            .pickup_location
            .get_or_insert_with(|| "Main Warehouse".into());
        None
    } else {
        let url = input
            .base_url
            .unwrap_or_else(|| adapter.production_url().to_string());
        if !valid_url(&url) {
            errs.push(
                "base_url",
                InvalidValue::new(
                    "invalid_url",
                    "give the carrier's API base URL, e.g. https://track.delhivery.com",
                ),
            );
        }
        for name in adapter.credential_names() {
            if credentials.get(*name).is_none_or(|v| v.trim().is_empty()) {
                errs.push(
                    format!("credentials.{name}"),
                    InvalidValue::new("required", format!("{} needs `{name}`", adapter.name())),
                );
            }
        }
        Some(url.trim_end_matches('/').to_string())
    };
    for (name, value) in &credentials {
        if name.is_empty() || name.len() > 64 || value.len() > 4096 {
            errs.push(
                format!("credentials.{name}"),
                InvalidValue::new(
                    "invalid_value",
                    "names up to 64 and values up to 4096 characters",
                ),
            );
        }
    }
    let name = input
        .name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| adapter.name().to_string());
    if name.chars().count() > 100 {
        errs.push(
            "name",
            InvalidValue::new("too_long", "must be at most 100 characters"),
        );
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let id = new_id("ca");
    let plaintext = serde_json::to_vec(&credentials).map_err(|e| ApiError::internal(&e))?;
    let at = now();
    let record = CarrierAccountRecord {
        sealed_credentials: state.secrets.seal(&id, &plaintext),
        id,
        tenant_id: tenant.id.clone(),
        carrier: code,
        name,
        base_url,
        settings: serde_json::to_value(&input.settings).map_err(|e| ApiError::internal(&e))?,
        created_at: at,
        updated_at: at,
    };
    let names: Vec<String> = credentials.keys().cloned().collect();
    let audit = changed_by
        .entry("carrier_account", "created", &record.id)
        .with_summary(super::audit::carrier_account(&record, &names));
    state.store.insert_carrier_account(&record, &audit).await?;
    if let (Some(sandbox), Some(self_url), None) =
        (&state.sandbox, &state.self_url, &record.base_url)
    {
        // The sandbox carrier pushes its scans back to this account's hook.
        sandbox
            .simulator
            .add_push_target(shipgate_simulator::PushTarget {
                carrier: record.carrier.clone(),
                url: format!(
                    "{}/hooks/carriers/{}",
                    self_url.trim_end_matches('/'),
                    record.id
                ),
                secret: credentials
                    .get("webhook_secret")
                    .cloned()
                    .unwrap_or_default(),
            });
    }
    state.serviceability_coverage.forget(&tenant.id);
    Ok((record, names))
}

/// The account's credentials, decrypted.
pub fn credentials(
    state: &AppState,
    record: &CarrierAccountRecord,
) -> Result<BTreeMap<String, Secret>, ApiError> {
    let plaintext = state
        .secrets
        .open(&record.id, &record.sealed_credentials)
        .map_err(|e| ApiError::internal(&e))?;
    let map: BTreeMap<String, String> =
        serde_json::from_slice(&plaintext).map_err(|e| ApiError::internal(&e))?;
    Ok(map.into_iter().map(|(k, v)| (k, Secret(v))).collect())
}

/// The adapter-facing account: where to call and with what.
pub fn open_account(state: &AppState, record: &CarrierAccountRecord) -> Result<Account, ApiError> {
    let base_url = match (&record.base_url, state.sandbox.as_ref().map(|s| &s.url)) {
        (Some(url), _) => url.clone(),
        (None, Some(sandbox)) => format!("{}/{}", sandbox.trim_end_matches('/'), record.carrier),
        (None, None) => {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "carrier_rejected",
                "this is a sandbox account and sandbox mode is off on this server",
            ));
        }
    };
    Ok(Account {
        id: record.id.clone(),
        carrier: record.carrier.clone(),
        base_url,
        credentials: credentials(state, record)?,
        settings: serde_json::from_value(record.settings.clone()).unwrap_or_default(),
        token: None,
    })
}

/// Sandbox accounts for every carrier, so a fresh install can call them all.
pub async fn create_sandbox_accounts(
    state: &AppState,
    tenant: &Tenant,
) -> Result<Vec<CarrierAccountRecord>, ApiError> {
    let mut created = Vec::new();
    for adapter in adapters() {
        let input = NewCarrierAccount {
            carrier: adapter.carrier().into(),
            name: Some(format!("{} (sandbox)", adapter.name())),
            sandbox: true,
            base_url: None,
            credentials: BTreeMap::new(),
            settings: AccountSettings {
                pickup_location: Some("Main Warehouse".into()),
                awb_pool_size: None,
                extra: BTreeMap::new(),
                rate_card: None,
            },
        };
        // Made by Shipgate's own setup (the sandbox's first start, benches).
        created.push(
            create_account(state, tenant, input, &ChangedBy::system())
                .await?
                .0,
        );
    }
    Ok(created)
}
