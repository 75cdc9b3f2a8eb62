//! Publishable keys: what a product page embeds to look up delivery estimates.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shipgate_storage::{PublishableKey, Store, StoreError, new_id};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Caller, ChangedBy};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::keys::IssuedKey;

/// Origins one key may list.
pub const MAX_ORIGINS: usize = 20;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishableKeyInput {
    /// Web origins (`https://shop.example`, `http://localhost:8080`) the key may be used from.
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublishableKeyView {
    pub id: String,
    /// The key, shown this once: put it in the widget's `data-key`.
    pub key: String,
    pub key_prefix: String,
    pub allowed_origins: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

/// `scheme://host[:port]` in the form browsers send in `Origin`.
pub fn normalize_origin(raw: &str) -> Option<String> {
    let url = reqwest::Url::parse(raw.trim()).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
        && matches!(url.path(), "" | "/")
        && url.query().is_none()
        && url.fragment().is_none();
    if !plain {
        return None;
    }
    let origin = url.origin().ascii_serialization();
    (origin != "null").then_some(origin)
}

/// Create a publishable key (secret keys only).
///
/// A publishable key may call only `GET /v1/edd`, `POST /v1/edd/batch` and
/// `GET /v1/serviceability`, from its allowed origins, within per-key and
/// per-address rate limits.
#[utoipa::path(
    post, path = "/v1/publishable-keys", tag = "settings",
    request_body = PublishableKeyInput,
    responses(
        (status = 201, body = PublishableKeyView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    JsonBody(input): JsonBody<PublishableKeyInput>,
) -> Result<(StatusCode, axum::Json<PublishableKeyView>), ApiError> {
    if input.allowed_origins.is_empty() || input.allowed_origins.len() > MAX_ORIGINS {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "allowed_origins",
            "invalid_value",
            format!("1 to {MAX_ORIGINS} origins"),
        ));
    }
    let mut origins = Vec::new();
    for (i, raw) in input.allowed_origins.iter().enumerate() {
        let origin = normalize_origin(raw).ok_or_else(|| {
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                &format!("allowed_origins[{i}]"),
                "invalid_origin",
                format!("`{raw}` is not an origin like https://shop.example"),
            )
        })?;
        origins.push(origin);
    }
    let issued = crate::keys::issue_publishable();
    let key = store_new(
        state.store.as_ref(),
        &tenant.id,
        &issued,
        &origins,
        &changed_by,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(PublishableKeyView {
            id: key.id,
            key: issued.secret,
            key_prefix: key.key_prefix,
            allowed_origins: key.allowed_origins,
            created_at: key.created_at,
        }),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublishableKeySummary {
    pub id: String,
    /// The key's first characters (the key itself is shown only at creation).
    pub key_prefix: String,
    pub allowed_origins: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublishableKeyList {
    /// Unrevoked keys, newest first.
    pub data: Vec<PublishableKeySummary>,
}

/// List the tenant's publishable keys (secret keys only).
#[utoipa::path(
    get, path = "/v1/publishable-keys", tag = "settings",
    responses((status = 200, body = PublishableKeyList), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Caller(tenant): Caller,
) -> Result<axum::Json<PublishableKeyList>, ApiError> {
    let data = state
        .store
        .list_publishable_keys(&tenant.id)
        .await?
        .into_iter()
        .map(|k| PublishableKeySummary {
            id: k.id,
            key_prefix: k.key_prefix,
            allowed_origins: k.allowed_origins,
            created_at: k.created_at,
        })
        .collect();
    Ok(axum::Json(PublishableKeyList { data }))
}

/// Revoke a publishable key (secret keys only). It stops working at once on
/// this process and within 30 s (the key cache's lifetime) on the others.
#[utoipa::path(
    delete, path = "/v1/publishable-keys/{id}", tag = "settings",
    params(("id" = String, Path, description = "Publishable key id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let audit = changed_by.entry("publishable_key", "revoked", &id);
    if !state
        .store
        .revoke_publishable_key(&tenant.id, &id, &audit)
        .await?
    {
        return Err(ApiError::not_found("publishable key"));
    }
    state.publishable.forget();
    Ok(StatusCode::NO_CONTENT)
}

/// Stores a newly issued publishable key (by hash) with the audit entry of
/// its creation: the API, the sandbox's demo page and the CLI make them.
pub async fn store_new(
    store: &dyn Store,
    tenant_id: &str,
    issued: &IssuedKey,
    origins: &[String],
    changed_by: &ChangedBy,
) -> Result<PublishableKey, StoreError> {
    let audit = changed_by
        .entry("publishable_key", "created", &new_id("pk"))
        .with_summary(serde_json::json!({
            "key_prefix": issued.prefix,
            "allowed_origins": origins,
        }));
    store
        .create_publishable_key(tenant_id, &issued.hash, &issued.prefix, origins, &audit)
        .await
}

#[cfg(test)]
mod tests {
    use super::normalize_origin;

    #[test]
    fn origins_are_normalized_as_browsers_send_them() {
        assert_eq!(
            normalize_origin("https://Shop.Example/").as_deref(),
            Some("https://shop.example")
        );
        assert_eq!(
            normalize_origin("http://localhost:8080").as_deref(),
            Some("http://localhost:8080")
        );
        assert_eq!(
            normalize_origin("https://shop.example:443").as_deref(),
            Some("https://shop.example")
        );
        assert!(normalize_origin("https://shop.example/product").is_none());
        assert!(normalize_origin("ftp://shop.example").is_none());
        assert!(normalize_origin("shop.example").is_none());
    }
}
