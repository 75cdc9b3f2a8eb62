//! Merchant webhooks (outbound), per Standard Webhooks: endpoints a tenant
//! registers, the events shipments raise ([`events`]), signing
//! ([`signing`]), delivery with retries and its SSRF guard ([`delivery`],
//! [`ssrf`]).

use axum::http::StatusCode;
use serde::Deserialize;
use shipgate_domain::validation::{InvalidValue, ValidationErrors};
use shipgate_storage::{Tenant, WebhookEndpoint, new_id, now};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::ChangedBy;
use crate::error::ApiError;
use crate::service::audit;

pub mod delivery;
pub mod events;
pub mod signing;
pub mod ssrf;

pub use delivery::WebhookConfig;
pub use events::EventType;

/// How long a rotated-out secret keeps signing.
pub const ROTATION_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

const MAX_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookEndpoint {
    /// Where to POST events: an http(s) URL.
    pub url: String,
    /// Event types to receive, e.g. `["shipment.delivered", "shipment.ndr_raised"]`.
    pub event_types: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// `true` re-enables an endpoint Shipgate disabled (and clears the reason).
    pub enabled: Option<bool>,
    pub description: Option<String>,
}

fn check_url(url: &str, errs: &mut ValidationErrors) -> Option<String> {
    let url = url.trim();
    let problem = match reqwest::Url::parse(url) {
        _ if url.len() > MAX_URL => Some(format!("must be at most {MAX_URL} characters")),
        Err(e) => Some(format!("not a URL: {e}")),
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            Some("must be an http:// or https:// URL".to_string())
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => Some("must name a host".to_string()),
        Ok(u) if !u.username().is_empty() || u.password().is_some() => {
            Some("must not carry credentials; authenticate with the signature".to_string())
        }
        Ok(_) => None,
    };
    match problem {
        Some(message) => {
            errs.push("url", InvalidValue::new("invalid_url", message));
            None
        }
        None => Some(url.to_string()),
    }
}

fn check_event_types(types: &[String], errs: &mut ValidationErrors) -> Option<Vec<String>> {
    if types.is_empty() {
        errs.push(
            "event_types",
            InvalidValue::new("required", "subscribe to at least one event type"),
        );
        return None;
    }
    let mut valid = Vec::new();
    let mut ok = true;
    for (i, t) in types.iter().enumerate() {
        match EventType::parse(t.trim()) {
            Some(t) => {
                if !valid.contains(&t.as_str().to_string()) {
                    valid.push(t.as_str().to_string());
                }
            }
            None => {
                ok = false;
                let known: Vec<_> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                errs.push(
                    format!("event_types[{i}]"),
                    InvalidValue::new(
                        "unknown_event_type",
                        format!("use one of: {}", known.join(", ")),
                    ),
                );
            }
        }
    }
    ok.then_some(valid)
}

fn check_description(d: Option<String>, errs: &mut ValidationErrors) -> Option<String> {
    let d = d.map(|d| d.trim().to_string()).filter(|d| !d.is_empty())?;
    if d.chars().count() > MAX_DESCRIPTION {
        errs.push(
            "description",
            InvalidValue::new(
                "too_long",
                format!("must be at most {MAX_DESCRIPTION} characters"),
            ),
        );
        return None;
    }
    Some(d)
}

/// Registers an endpoint; returns it with its signing secret (shown once).
pub async fn create_endpoint(
    state: &AppState,
    tenant: &Tenant,
    input: NewWebhookEndpoint,
    changed_by: &ChangedBy,
) -> Result<(WebhookEndpoint, String), ApiError> {
    let mut errs = ValidationErrors::new();
    let url = check_url(&input.url, &mut errs);
    let event_types = check_event_types(&input.event_types, &mut errs);
    let description = check_description(input.description, &mut errs);
    let (Some(url), Some(event_types)) = (url, event_types) else {
        return Err(errs.into());
    };
    if !errs.is_empty() {
        return Err(errs.into());
    }
    let id = new_id("we");
    let secret = signing::generate_secret();
    let at = now();
    let endpoint = WebhookEndpoint {
        sealed_secret: state.secrets.seal(&id, secret.as_bytes()),
        id,
        tenant_id: tenant.id.clone(),
        url,
        description,
        event_types,
        enabled: true,
        disabled_reason: None,
        sealed_previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        created_at: at,
        updated_at: at,
    };
    let audit = changed_by
        .entry("webhook_endpoint", "created", &endpoint.id)
        .with_summary(audit::webhook_endpoint(&endpoint));
    state
        .store
        .insert_webhook_endpoint(&endpoint, &audit)
        .await?;
    Ok((endpoint, secret))
}

pub async fn load_endpoint(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
) -> Result<WebhookEndpoint, ApiError> {
    state
        .store
        .webhook_endpoint(&tenant.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint"))
}

pub async fn update_endpoint(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
    patch: WebhookEndpointPatch,
    changed_by: &ChangedBy,
) -> Result<WebhookEndpoint, ApiError> {
    let mut endpoint = load_endpoint(state, tenant, id).await?;
    let changed: Vec<&str> = [
        ("url", patch.url.is_some()),
        ("event_types", patch.event_types.is_some()),
        ("description", patch.description.is_some()),
        ("enabled", patch.enabled.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, given)| given.then_some(field))
    .collect();
    let mut errs = ValidationErrors::new();
    let url = patch.url.as_deref().map(|u| check_url(u, &mut errs));
    let types = patch
        .event_types
        .as_deref()
        .map(|t| check_event_types(t, &mut errs));
    let description = patch
        .description
        .map(|d| check_description(Some(d), &mut errs));
    if !errs.is_empty() {
        return Err(errs.into());
    }
    if let Some(Some(url)) = url {
        endpoint.url = url;
    }
    if let Some(Some(types)) = types {
        endpoint.event_types = types;
    }
    if let Some(description) = description {
        endpoint.description = description;
    }
    if let Some(enabled) = patch.enabled {
        endpoint.enabled = enabled;
        // Disabled by the merchant, or enabled again: no reason of ours applies.
        endpoint.disabled_reason = None;
    }
    endpoint.updated_at = now();
    let mut summary = audit::webhook_endpoint(&endpoint);
    summary["changed"] = changed.into();
    let audit = changed_by
        .entry("webhook_endpoint", "updated", &endpoint.id)
        .with_summary(summary);
    state
        .store
        .update_webhook_endpoint(&endpoint, &audit)
        .await?;
    Ok(endpoint)
}

/// A new secret; the old one keeps signing (deliveries carry both
/// signatures) for [`ROTATION_GRACE`]. Only the latest old secret is kept.
pub async fn rotate_secret(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
    changed_by: &ChangedBy,
) -> Result<(WebhookEndpoint, String), ApiError> {
    let mut endpoint = load_endpoint(state, tenant, id).await?;
    let secret = signing::generate_secret();
    let at = now();
    let new_sealed = state.secrets.seal(&endpoint.id, secret.as_bytes());
    endpoint.sealed_previous_secret =
        Some(std::mem::replace(&mut endpoint.sealed_secret, new_sealed));
    endpoint.previous_secret_expires_at = Some(at + ROTATION_GRACE);
    endpoint.updated_at = at;
    // Neither secret goes in the entry.
    let audit = changed_by.entry("webhook_endpoint", "secret_rotated", &endpoint.id);
    state
        .store
        .update_webhook_endpoint(&endpoint, &audit)
        .await?;
    Ok((endpoint, secret))
}

/// Sends a message again now, as a new attempt.
pub async fn replay(
    state: &AppState,
    tenant: &Tenant,
    endpoint_id: &str,
    message_id: &str,
) -> Result<(), ApiError> {
    let endpoint = load_endpoint(state, tenant, endpoint_id).await?;
    if !endpoint.enabled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "the endpoint is disabled; enable it (PATCH {\"enabled\": true}) before replaying",
        ));
    }
    let message = state
        .store
        .webhook_message(&tenant.id, message_id)
        .await?
        .filter(|m| m.endpoint_id == endpoint.id)
        .ok_or_else(|| ApiError::not_found("delivery"))?;
    let job = delivery::deliver_job(&message, 0, true, now());
    if !state
        .store
        .replay_webhook_message(&tenant.id, &endpoint.id, &message.id, &job)
        .await?
    {
        return Err(ApiError::not_found("delivery"));
    }
    Ok(())
}
