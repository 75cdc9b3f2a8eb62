//! The audit log: who changed which configuration, and when.

use axum::extract::State;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shipgate_storage::{AuditFilter, AuditRecord};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::QueryParams;
use crate::views::{encode_cursor, page_params};

/// One configuration change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryView {
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// `api_key`, `user` (a dashboard user) or `system` (the CLI, the sandbox's setup).
    pub actor_type: String,
    /// The API key's or the user's id; absent for `system`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    /// `<object_type>.<verb>`, e.g. `webhook_endpoint.updated`, `allocation_rules.replaced`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// What changed: never secrets or personal data (credentials by name only).
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    /// The `x-request-id` of the request that made the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl From<AuditRecord> for AuditEntryView {
    fn from(r: AuditRecord) -> Self {
        Self {
            id: r.id,
            at: r.at,
            actor_type: r.entry.actor.kind().to_string(),
            actor_id: r.entry.actor.id().map(str::to_string),
            action: r.entry.action,
            object_type: r.entry.object_type,
            object_id: r.entry.object_id,
            summary: r.entry.summary,
            request_id: r.entry.request_id,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// e.g. `webhook_endpoint`, `carrier_account`, `publishable_key`.
    object_type: Option<String>,
    object_id: Option<String>,
    /// e.g. `webhook_endpoint.deleted`.
    action: Option<String>,
    /// Entries at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<Timestamp>,
    /// Entries before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<Timestamp>,
    /// 1 to 100 (default 20).
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditLogPage {
    /// Newest first.
    pub data: Vec<AuditEntryView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The tenant's audit log: every change to its configuration (carrier
/// accounts, webhook endpoints, keys, rules, branding, serviceability
/// imports), who made it and when, newest first.
#[utoipa::path(
    get, path = "/v1/audit-log", tag = "settings",
    params(AuditParams),
    responses((status = 200, body = AuditLogPage), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    QueryParams(p): QueryParams<AuditParams>,
) -> Result<axum::Json<AuditLogPage>, ApiError> {
    let (limit, after) = page_params(p.limit, p.cursor.as_deref())?;
    let filter = AuditFilter {
        object_type: p.object_type,
        object_id: p.object_id,
        action: p.action,
        since: p.since,
        until: p.until,
    };
    let page = state
        .store
        .audit_log(&tenant.id, &filter, after.as_deref(), limit)
        .await?;
    Ok(axum::Json(AuditLogPage {
        data: page.items.into_iter().map(AuditEntryView::from).collect(),
        next_cursor: page.next_after.as_deref().map(encode_cursor),
    }))
}
