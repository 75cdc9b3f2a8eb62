//! Secret API keys: listed by prefix, created (the key shown once), revoked.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shipgate_storage::{ApiKeyRevocation, new_id};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Caller, ChangedBy};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;

/// The longest label.
pub const MAX_LABEL_CHARS: usize = 80;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyInput {
    /// What the key is for ("warehouse scanner"), to tell keys apart.
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewApiKey {
    pub id: String,
    /// The key, shown this once: send it as `Authorization: Bearer <key>`.
    pub key: String,
    pub key_prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeySummary {
    pub id: String,
    /// The key's first characters (the key itself is shown only at creation).
    pub key_prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyList {
    /// Unrevoked secret keys, newest first.
    pub data: Vec<ApiKeySummary>,
}

/// A label: trimmed, one line, at most [`MAX_LABEL_CHARS`]; empty is none.
pub fn parse_label(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let label = raw.map(str::trim).filter(|l| !l.is_empty());
    let invalid = |detail: String| {
        ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "label",
            "invalid_value",
            detail,
        )
    };
    match label {
        Some(l) if l.chars().count() > MAX_LABEL_CHARS => {
            Err(invalid(format!("at most {MAX_LABEL_CHARS} characters")))
        }
        Some(l) if l.chars().any(char::is_control) => Err(invalid(
            "one line of text, without control characters".into(),
        )),
        l => Ok(l.map(str::to_string)),
    }
}

/// Create a secret API key.
///
/// The response is the only time the key is shown; Shipgate keeps its hash.
#[utoipa::path(
    post, path = "/v1/api-keys", tag = "settings",
    request_body = ApiKeyInput,
    responses(
        (status = 201, body = NewApiKey),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    JsonBody(input): JsonBody<ApiKeyInput>,
) -> Result<(StatusCode, axum::Json<NewApiKey>), ApiError> {
    let label = parse_label(input.label.as_deref())?;
    let issued = crate::keys::issue();
    // The key's prefix names it, as listings do; the key itself stays out.
    let audit = changed_by
        .entry("api_key", "created", &new_id("key"))
        .with_summary(serde_json::json!({ "key_prefix": issued.prefix, "label": label }));
    let key = state
        .store
        .create_api_key(
            &tenant.id,
            &issued.hash,
            &issued.prefix,
            label.as_deref(),
            &audit,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(NewApiKey {
            id: key.id,
            key: issued.secret,
            key_prefix: key.key_prefix,
            label: key.label,
            created_at: key.created_at,
        }),
    ))
}

/// List the tenant's secret API keys (by prefix; never the keys themselves).
#[utoipa::path(
    get, path = "/v1/api-keys", tag = "settings",
    responses((status = 200, body = ApiKeyList), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Caller(tenant): Caller,
) -> Result<axum::Json<ApiKeyList>, ApiError> {
    let data = state
        .store
        .list_api_keys(&tenant.id)
        .await?
        .into_iter()
        .map(|k| ApiKeySummary {
            id: k.id,
            key_prefix: k.key_prefix,
            label: k.label,
            created_at: k.created_at,
        })
        .collect();
    Ok(axum::Json(ApiKeyList { data }))
}

/// Revoke a secret API key. It stops working at once on this process and
/// within 30 s (the key cache's lifetime) on the others. A tenant keeps at
/// least one key: revoking the last one is refused (409); the key making
/// the request may be revoked when another remains.
#[utoipa::path(
    delete, path = "/v1/api-keys/{id}", tag = "settings",
    params(("id" = String, Path, description = "API key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")
    ),
    security(("api_key" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let audit = changed_by.entry("api_key", "revoked", &id);
    match state.store.revoke_api_key(&tenant.id, &id, &audit).await? {
        ApiKeyRevocation::Revoked => {
            state.api_keys.forget();
            Ok(StatusCode::NO_CONTENT)
        }
        ApiKeyRevocation::NotFound => Err(ApiError::not_found("API key")),
        ApiKeyRevocation::LastKey => Err(ApiError::new(
            StatusCode::CONFLICT,
            "last_api_key",
            "this is the tenant's only API key: create another before revoking it",
        )),
    }
}
