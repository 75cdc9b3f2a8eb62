//! Merchant webhook endpoints and their deliveries.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shipgate_storage::{WebhookAttempt, WebhookEndpoint, WebhookMessage};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Caller, ChangedBy};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::service::webhooks::{
    self, NewWebhookEndpoint, WebhookEndpointPatch, create_endpoint, load_endpoint,
};
use crate::views::encode_cursor;

pub const TAG: &str = "webhooks";

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpointView {
    /// Shipgate's id, e.g. `we_0193…`.
    pub id: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why Shipgate disabled the endpoint (after 5 days of failed deliveries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// The signing secret (`whsec_…`): only in the answers to create and rotate-secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Until when the secret before the last rotation still signs too.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub previous_secret_expires_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl WebhookEndpointView {
    fn new(e: WebhookEndpoint, secret: Option<String>) -> Self {
        Self {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            secret,
            previous_secret_expires_at: e
                .previous_secret_expires_at
                .filter(|t| *t > shipgate_storage::now()),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpointPage {
    pub data: Vec<WebhookEndpointView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    /// 1 for the first attempt.
    pub attempt: u32,
    /// `scheduled` or `replay`.
    pub trigger: String,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// The endpoint's HTTP status; absent when no answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    /// The first KB of the endpoint's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_excerpt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the next attempt runs, if this one failed and another is scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<Timestamp>,
}

impl From<WebhookAttempt> for AttemptView {
    fn from(a: WebhookAttempt) -> Self {
        Self {
            attempt: a.attempt,
            trigger: a.trigger,
            started_at: a.started_at,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            response_excerpt: a.response_excerpt,
            error: a.error,
            next_attempt_at: a.next_attempt_at,
        }
    }
}

/// One message to the endpoint and its attempts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    /// The message id, sent as `webhook-id` (the same on every attempt).
    pub id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// The body sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<Timestamp>,
    /// Oldest first.
    pub attempts: Vec<AttemptView>,
}

impl From<WebhookMessage> for DeliveryView {
    fn from(m: WebhookMessage) -> Self {
        Self {
            payload: serde_json::from_str(&m.payload)
                .unwrap_or(serde_json::Value::String(m.payload)),
            id: m.id,
            event_type: m.event_type,
            status: m.status.as_str().to_string(),
            created_at: m.created_at,
            next_attempt_at: m.next_attempt_at,
            attempts: m.attempts.into_iter().map(AttemptView::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    pub data: Vec<DeliveryView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReplayAccepted {
    pub message_id: String,
    /// `queued`: a new attempt runs now.
    pub status: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–100 (default 20).
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

impl ListParams {
    fn parse(&self) -> Result<(u32, Option<String>), ApiError> {
        crate::views::page_params(self.limit, self.cursor.as_deref())
    }
}

/// Register a webhook endpoint.
///
/// The answer carries the endpoint's signing secret (`whsec_…`), shown only
/// here and on rotation. Event types: `shipment.created`,
/// `shipment.status_changed`, `shipment.delivered`, `shipment.ndr_raised`,
/// `shipment.rto_initiated`, `shipment.cancelled`, `shipment.exception`.
#[utoipa::path(
    post, path = "/v1/webhook-endpoints", tag = TAG,
    request_body = NewWebhookEndpoint,
    responses(
        (status = 201, body = WebhookEndpointView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    JsonBody(input): JsonBody<NewWebhookEndpoint>,
) -> Result<Response, ApiError> {
    let (endpoint, secret) = create_endpoint(&state, &tenant, input, &changed_by).await?;
    let location = format!("/v1/webhook-endpoints/{}", endpoint.id);
    let mut response = (
        StatusCode::CREATED,
        axum::Json(WebhookEndpointView::new(endpoint, Some(secret))),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// List webhook endpoints, newest first.
#[utoipa::path(
    get, path = "/v1/webhook-endpoints", tag = TAG,
    params(ListParams),
    responses(
        (status = 200, body = WebhookEndpointPage),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<axum::Json<WebhookEndpointPage>, ApiError> {
    let (limit, after) = params.parse()?;
    let page = state
        .store
        .list_webhook_endpoints(&tenant.id, after.as_deref(), limit)
        .await?;
    Ok(axum::Json(WebhookEndpointPage {
        data: page
            .items
            .into_iter()
            .map(|e| WebhookEndpointView::new(e, None))
            .collect(),
        next_cursor: page.next_after.as_deref().map(encode_cursor),
    }))
}

/// Get a webhook endpoint (without its secret).
#[utoipa::path(
    get, path = "/v1/webhook-endpoints/{id}", tag = TAG,
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses(
        (status = 200, body = WebhookEndpointView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<WebhookEndpointView>, ApiError> {
    let endpoint = load_endpoint(&state, &tenant, &id).await?;
    Ok(axum::Json(WebhookEndpointView::new(endpoint, None)))
}

/// Change a webhook endpoint's URL, event types, description, or enable it
/// again (`{"enabled": true}`) after Shipgate disabled it.
#[utoipa::path(
    patch, path = "/v1/webhook-endpoints/{id}", tag = TAG,
    params(("id" = String, Path, description = "Webhook endpoint id")),
    request_body = WebhookEndpointPatch,
    responses(
        (status = 200, body = WebhookEndpointView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<WebhookEndpointPatch>,
) -> Result<axum::Json<WebhookEndpointView>, ApiError> {
    let endpoint = webhooks::update_endpoint(&state, &tenant, &id, patch, &changed_by).await?;
    Ok(axum::Json(WebhookEndpointView::new(endpoint, None)))
}

/// Delete a webhook endpoint with its delivery history.
#[utoipa::path(
    delete, path = "/v1/webhook-endpoints/{id}", tag = TAG,
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let audit = changed_by.entry("webhook_endpoint", "deleted", &id);
    if state
        .store
        .delete_webhook_endpoint(&tenant.id, &id, &audit)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("webhook endpoint"))
    }
}

/// Rotate the signing secret.
///
/// The answer carries the new secret. For 24 hours the previous secret signs
/// too: deliveries carry both signatures, space-separated, so receivers can
/// switch over without missing a webhook.
#[utoipa::path(
    post, path = "/v1/webhook-endpoints/{id}/rotate-secret", tag = TAG,
    params(("id" = String, Path, description = "Webhook endpoint id")),
    responses(
        (status = 200, body = WebhookEndpointView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    Path(id): Path<String>,
) -> Result<axum::Json<WebhookEndpointView>, ApiError> {
    let (endpoint, secret) = webhooks::rotate_secret(&state, &tenant, &id, &changed_by).await?;
    Ok(axum::Json(WebhookEndpointView::new(endpoint, Some(secret))))
}

/// List the messages sent to an endpoint, newest first, each with its attempts.
#[utoipa::path(
    get, path = "/v1/webhook-endpoints/{id}/deliveries", tag = TAG,
    params(("id" = String, Path, description = "Webhook endpoint id"), ListParams),
    responses(
        (status = 200, body = DeliveryPage),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<axum::Json<DeliveryPage>, ApiError> {
    let (limit, after) = params.parse()?;
    let endpoint = load_endpoint(&state, &tenant, &id).await?;
    let page = state
        .store
        .list_webhook_messages(&tenant.id, &endpoint.id, after.as_deref(), limit)
        .await?;
    Ok(axum::Json(DeliveryPage {
        data: page.items.into_iter().map(DeliveryView::from).collect(),
        next_cursor: page.next_after.as_deref().map(encode_cursor),
    }))
}

/// Send a message again now (a new attempt, same `webhook-id`).
#[utoipa::path(
    post, path = "/v1/webhook-endpoints/{id}/deliveries/{msg_id}/replay", tag = TAG,
    params(
        ("id" = String, Path, description = "Webhook endpoint id"),
        ("msg_id" = String, Path, description = "Message id (`webhook-id`)"),
    ),
    responses(
        (status = 202, body = ReplayAccepted),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn replay(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path((id, msg_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    webhooks::replay(&state, &tenant, &id, &msg_id).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(ReplayAccepted {
            message_id: msg_id,
            status: "queued".into(),
        }),
    )
        .into_response())
}
