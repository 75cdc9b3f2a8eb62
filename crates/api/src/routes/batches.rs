//! Bulk creation: `POST /v1/shipments/batch` with up to 1,000 shipments as
//! JSON or CSV; a job books them, and `GET /v1/batches/{id}` shows progress
//! and each row's result.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shipgate_domain::shipment::NewShipmentInput;
use shipgate_storage::{Batch, NewJob, new_id, now};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::parse_json;
use crate::service::batch::{PROCESS, csv_rows};

pub const MAX_ROWS: usize = 1_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    /// 1 to 1,000 shipments, each as for `POST /v1/shipments`.
    pub shipments: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RowResult {
    pub index: u64,
    /// `pending`, `created` or `failed`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awb: Option<String>,
    /// The problem document, for a failed row.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub error: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchView {
    pub id: String,
    /// `processing` until every row has a result, then `done`.
    pub status: String,
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub results: Vec<RowResult>,
}

/// Create up to 1,000 shipments at once.
///
/// Send `{"shipments": [...]}` as JSON, or a CSV (`Content-Type: text/csv`)
/// with one shipment per row (columns: order_reference, carrier_account_id,
/// pickup_name, pickup_phone, pickup_line1, pickup_city, pickup_state,
/// pickup_postal_code, consignee_name, consignee_phone, consignee_email,
/// consignee_line1, consignee_city, consignee_state, consignee_postal_code,
/// weight_grams, length_cm, width_cm, height_cm, payment_mode, cod_amount,
/// declared_value). Answers 202 at once; follow `GET /v1/batches/{id}`.
#[utoipa::path(
    post, path = "/v1/shipments/batch", tag = "shipments",
    request_body = BatchInput,
    responses(
        (status = 202, body = BatchView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let rows: Vec<serde_json::Value> = if content_type.starts_with("text/csv") {
        csv_rows(&body)?
    } else {
        parse_json::<BatchInput>(&body)?.shipments
    };
    if rows.is_empty() || rows.len() > MAX_ROWS {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "shipments",
            "invalid_count",
            format!("send between 1 and {MAX_ROWS} shipments"),
        ));
    }
    // Each row must at least have the shape of a shipment; field values are
    // checked (and reported per row) when the row is booked.
    for (i, row) in rows.iter().enumerate() {
        if let Err(e) = serde_json::from_value::<NewShipmentInput>(row.clone()) {
            return Err(ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                &format!("shipments[{i}]"),
                "invalid_value",
                e.to_string(),
            ));
        }
    }
    let batch = Batch {
        id: new_id("bat"),
        tenant_id: tenant.id.clone(),
        total: rows.len() as u64,
        succeeded: 0,
        failed: 0,
        created_at: now(),
    };
    let job = NewJob::now(
        PROCESS,
        Some(tenant.id.clone()),
        serde_json::json!({"batch_id": batch.id}),
    );
    state.store.insert_batch(&batch, &rows, &job).await?;
    let view = view(&state, &batch).await?;
    let mut response = (StatusCode::ACCEPTED, axum::Json(view)).into_response();
    if let Ok(v) = format!("/v1/batches/{}", batch.id).parse() {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

async fn view(state: &AppState, batch: &Batch) -> Result<BatchView, ApiError> {
    let mut results = Vec::new();
    let mut from = 0;
    loop {
        let rows = state.store.batch_rows(&batch.id, from, 500).await?;
        let Some(last) = rows.last() else { break };
        from = last.index + 1;
        results.extend(rows.into_iter().map(|r| match r.result {
            None => RowResult {
                index: r.index,
                status: "pending".into(),
                shipment_id: None,
                awb: None,
                error: None,
            },
            Some(result) => match result.get("ok") {
                Some(ok) => RowResult {
                    index: r.index,
                    status: "created".into(),
                    shipment_id: ok.get("id").and_then(|v| v.as_str()).map(str::to_string),
                    awb: ok.get("awb").and_then(|v| v.as_str()).map(str::to_string),
                    error: None,
                },
                None => RowResult {
                    index: r.index,
                    status: "failed".into(),
                    shipment_id: None,
                    awb: None,
                    error: result.get("error").cloned(),
                },
            },
        }));
    }
    let done = batch.succeeded + batch.failed >= batch.total;
    Ok(BatchView {
        id: batch.id.clone(),
        status: if done { "done" } else { "processing" }.into(),
        total: batch.total,
        succeeded: batch.succeeded,
        failed: batch.failed,
        results,
    })
}

/// A batch's progress and each row's result.
#[utoipa::path(
    get, path = "/v1/batches/{id}", tag = "shipments",
    params(("id" = String, Path, description = "Batch id")),
    responses((status = 200, body = BatchView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<BatchView>, ApiError> {
    let batch = state
        .store
        .batch(&tenant.id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("batch"))?;
    Ok(axum::Json(view(&state, &batch).await?))
}
