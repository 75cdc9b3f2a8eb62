//! The simulator over HTTP: `/{carrier}/…` in each carrier's format, and
//! `/_sim/…` to steer it.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method as HttpMethod, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use jiff::SignedDuration;
use serde::Deserialize;
use shipgate_carrier_core::http::{Body, HttpRequest, HttpResponse, Method, Retry};

use crate::engine::{Fault, Faults, PushTarget, Simulator};

pub fn router(sim: Arc<Simulator>) -> Router {
    Router::new()
        .route("/_sim/clock", post(advance_clock))
        .route("/_sim/faults", post(set_faults).get(get_faults))
        .route("/_sim/stats", get(stats))
        .route("/_sim/webhooks", post(add_webhook))
        .route("/{carrier}/{*rest}", any(carrier_call))
        .with_state(sim)
}

/// Serves the simulator on `listener` in the background; returns its base URL.
pub async fn spawn(
    sim: Arc<Simulator>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<String> {
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(push_loop(sim.clone()));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router(sim)).await {
            tracing::error!(error = %e, "simulator stopped");
        }
    });
    Ok(url)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockAdvance {
    advance_hours: f64,
}

async fn advance_clock(
    State(sim): State<Arc<Simulator>>,
    Json(body): Json<ClockAdvance>,
) -> Response {
    if !body.advance_hours.is_finite() || body.advance_hours < 0.0 {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "advance_hours must be a non-negative number",
        )
            .into_response();
    }
    sim.advance(SignedDuration::from_secs_f64(body.advance_hours * 3600.0));
    Json(serde_json::json!({"now": sim.now().to_string()})).into_response()
}

async fn set_faults(State(sim): State<Arc<Simulator>>, Json(faults): Json<Faults>) -> Json<Faults> {
    sim.set_faults(faults);
    Json(sim.faults())
}

async fn get_faults(State(sim): State<Arc<Simulator>>) -> Json<Faults> {
    Json(sim.faults())
}

async fn add_webhook(
    State(sim): State<Arc<Simulator>>,
    Json(target): Json<PushTarget>,
) -> Response {
    if sim.adapter(&target.carrier).is_none() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("unknown carrier {}", target.carrier),
        )
            .into_response();
    }
    sim.add_push_target(target.clone());
    (StatusCode::CREATED, Json(target)).into_response()
}

/// Sends due pushes every quarter second, as carriers do: one try, a
/// retry on failure, then the scan is dropped (the receiver must backfill by
/// pulling).
async fn push_loop(sim: Arc<Simulator>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .no_proxy()
        .build()
        .unwrap_or_default();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        for (url, request) in sim.due_pushes() {
            let (content_type, body) = request.body.encode();
            for _attempt in 0..2 {
                let mut builder = client.post(&url).body(body.clone());
                if let Some(ct) = content_type {
                    builder = builder.header("content-type", ct);
                }
                for (name, value) in &request.headers {
                    builder = builder.header(name.as_str(), value.as_str());
                }
                match builder.send().await {
                    Ok(r) if r.status().is_success() => break,
                    Ok(r) => {
                        tracing::warn!(%url, status = r.status().as_u16(), "simulator push refused")
                    }
                    Err(e) => tracing::warn!(%url, error = %e, "simulator push failed"),
                }
            }
        }
    }
}

async fn stats(State(sim): State<Arc<Simulator>>) -> Json<serde_json::Value> {
    Json(sim.stats())
}

fn to_axum(response: HttpResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = (status, response.body).into_response();
    for (name, value) in response.headers {
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::try_from(name),
            header::HeaderValue::try_from(value),
        ) {
            out.headers_mut().insert(n, v);
        }
    }
    out
}

async fn carrier_call(
    State(sim): State<Arc<Simulator>>,
    Path((carrier, rest)): Path<(String, String)>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(adapter) = sim.adapter(&carrier) else {
        return (
            StatusCode::NOT_FOUND,
            format!("the simulator has no carrier `{carrier}`"),
        )
            .into_response();
    };
    let faults = sim.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let fault = sim.draw_fault();
    match fault {
        Fault::RateLimited => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "1")],
                "rate limited",
            )
                .into_response();
        }
        Fault::ErrorBefore => {
            return (StatusCode::SERVICE_UNAVAILABLE, "upstream unavailable").into_response();
        }
        _ => {}
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let path = match uri.query() {
        Some(q) => format!("/{rest}?{q}"),
        None => format!("/{rest}"),
    };
    let request = HttpRequest {
        method: Method::parse(method.as_str()).unwrap_or(Method::Get),
        path,
        headers: headers
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_string(), v.to_string()))
            })
            .collect(),
        body: Body::decode(content_type, &body),
        retry: Retry::Never,
        operation: "simulated",
    };
    let response = match adapter.sim_parse(&request) {
        Err(carrier_error) => carrier_error,
        Ok(op) => {
            let reply = sim.handle(&carrier, &op);
            adapter.sim_render(&op, &reply)
        }
    };
    match fault {
        Fault::ErrorAfter => (StatusCode::BAD_GATEWAY, "upstream timed out").into_response(),
        Fault::Timeout => {
            tokio::time::sleep(Duration::from_millis(faults.timeout_ms.max(1))).await;
            to_axum(response)
        }
        Fault::Malformed => {
            let mut truncated = response;
            truncated.body.truncate(truncated.body.len() / 2);
            to_axum(truncated)
        }
        _ => to_axum(response),
    }
}
