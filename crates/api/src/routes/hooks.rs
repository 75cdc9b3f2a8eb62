//! Inbound carrier pushes: `POST /hooks/carriers/{carrier_account_id}`.
//!
//! Authenticated the way the carrier can (the adapter's `verify_push`: token
//! header, HMAC or shared secret, per account), parsed, then stored raw and
//! applied in one transaction with whatever other pushes are waiting
//! (`service::push_ingest`), and only then acknowledged — quickly, since
//! some carriers give up after 500 ms.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shipgate_carriers::adapter;
use shipgate_storage::{CarrierPush, PushStatus, new_id, now};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::service::carrier_accounts::open_account;

/// The start of a refused push for the log, with personal data (the
/// consignee's name, phone, address) redacted.
fn excerpt(body: &[u8]) -> String {
    let text =
        shipgate_domain::redact::document(&String::from_utf8_lossy(&body[..body.len().min(4096)]));
    if body.len() > 4096 {
        format!("{text}…")
    } else {
        text
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PushAccepted {
    pub id: String,
    /// Shipments the push reports on.
    pub shipments: usize,
}

/// Receive a carrier's push (webhook) for one carrier account.
///
/// The body is the carrier's own push format; authentication is the
/// carrier's own (configured on the account as `webhook_secret`). Batched
/// pushes are accepted whole. A malformed push is refused with 400 and logged.
#[utoipa::path(
    post, path = "/hooks/carriers/{carrier_account_id}", tag = "carrier hooks",
    params(("carrier_account_id" = String, Path, description = "The carrier account the push is for")),
    request_body(content = String, description = "The carrier's push payload", content_type = "application/json"),
    responses(
        (status = 200, body = PushAccepted),
        (status = 400, description = "Malformed push", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not from the carrier", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn receive(
    State(state): State<AppState>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let record = state
        .store
        .carrier_account_by_id(&account_id)
        .await?
        .ok_or_else(|| ApiError::not_found("carrier account"))?;
    let adapter = adapter(&record.carrier).ok_or_else(|| ApiError::not_found("carrier"))?;
    let account = open_account(&state, &record)?;
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_string(), v.to_string()))
        })
        .collect();
    if let Err(e) = adapter.verify_push(&account, &headers, &body) {
        tracing::warn!(account = %account_id, carrier = %record.carrier, error = %shipgate_domain::redact::text(&e.to_string()), body = %excerpt(&body), "carrier push refused: authentication");
        return Err(ApiError::unauthorized(
            "the push did not authenticate as this carrier account",
        ));
    }
    let tracked = adapter.parse_push(&body).map_err(|e| {
        tracing::warn!(account = %account_id, carrier = %record.carrier, error = %shipgate_domain::redact::text(&e.to_string()), bytes = body.len(), body = %excerpt(&body), "carrier push refused: malformed");
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_push", e.to_string())
    })?;
    let (reports, _) = crate::service::tracking::reports(
        &state,
        &record,
        &tracked,
        shipgate_domain::EventSource::CarrierPush,
    )
    .await?;
    let push = CarrierPush {
        id: new_id("push"),
        tenant_id: record.tenant_id.clone(),
        carrier_account_id: record.id.clone(),
        received_at: now(),
        // Credentials arrive in some carriers' headers; keep only what helps debugging.
        headers: headers
            .into_iter()
            .filter(|(k, _)| matches!(k.as_str(), "content-type" | "user-agent" | "x-request-id"))
            .collect(),
        body: body.to_vec(),
        status: PushStatus::Applied,
        error: None,
    };
    let id = push.id.clone();
    // Acknowledged once stored with its scans applied (see `push_ingest`).
    state.push_ingest.submit(&state, push, reports).await?;
    Ok((
        StatusCode::OK,
        axum::Json(PushAccepted {
            id,
            shipments: tracked.len(),
        }),
    )
        .into_response())
}
