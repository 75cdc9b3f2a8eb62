use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::OpenApi;

use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    pub database: &'static str,
    pub version: &'static str,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    let version = env!("CARGO_PKG_VERSION");
    match state.store.ping().await {
        Ok(()) => Json(Health {
            status: "ok",
            database: "ok",
            version,
        })
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    database: "unreachable",
                    version,
                }),
            )
                .into_response()
        }
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let handle = crate::telemetry::prometheus();
    // The queues every process shares, read from the database at each scrape.
    match state.store.queue_depth().await {
        Ok(depth) => {
            metrics::gauge!("shipgate_jobs_due").set(depth.jobs_due as f64);
            metrics::gauge!("shipgate_jobs_oldest_due_seconds")
                .set(depth.oldest_due_job_seconds as f64);
            metrics::gauge!("shipgate_jobs_lease_expired").set(depth.jobs_lease_expired as f64);
            metrics::gauge!("shipgate_jobs_dead").set(depth.jobs_dead as f64);
            metrics::gauge!("shipgate_webhooks_due").set(depth.webhooks_due as f64);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: queue depth unavailable"),
    }
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

pub async fn openapi_json(Extension(doc): Extension<Arc<OpenApi>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.to_json().unwrap_or_default(),
    )
        .into_response()
}

pub async fn docs(Extension(doc): Extension<Arc<OpenApi>>) -> Html<String> {
    Html(crate::openapi::docs_html(&doc))
}
