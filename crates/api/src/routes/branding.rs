//! How the tenant's public pages look: its name and colour on the tracking page.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Caller, ChangedBy};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;

pub const SETTING: &str = "branding";

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    /// The shop's name, shown on the tracking page.
    pub display_name: Option<String>,
    /// Accent colour, `#RRGGBB`.
    pub primary_color: Option<String>,
}

fn valid_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Set the tenant's branding for the public tracking page.
#[utoipa::path(
    put, path = "/v1/branding", tag = "settings",
    request_body = Branding,
    responses((status = 200, body = Branding), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn put(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    JsonBody(input): JsonBody<Branding>,
) -> Result<axum::Json<Branding>, ApiError> {
    if let Some(c) = input.primary_color.as_deref().filter(|c| !valid_color(c)) {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "primary_color",
            "invalid_color",
            format!("`{c}` is not #RRGGBB"),
        ));
    }
    if input
        .display_name
        .as_deref()
        .is_some_and(|n| n.trim().is_empty() || n.chars().count() > 80)
    {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "display_name",
            "invalid_value",
            "1 to 80 characters",
        ));
    }
    let value = serde_json::to_value(&input).map_err(|e| ApiError::internal(&e))?;
    state
        .store
        .set_tenant_setting(
            &tenant.id,
            SETTING,
            &value,
            &changed_by
                .entry("branding", "updated", &tenant.id)
                .with_summary(value.clone()),
        )
        .await?;
    Ok(axum::Json(input))
}

/// The tenant's branding, or the default look.
pub async fn of(state: &AppState, tenant_id: &str) -> Result<Branding, ApiError> {
    Ok(state
        .store
        .tenant_setting(tenant_id, SETTING)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}
