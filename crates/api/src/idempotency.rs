//! `Idempotency-Key` on writes: the first response to a key is stored and
//! replayed for the same request; the same key with a different request is
//! refused (422); a request racing one still running waits for its answer.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use shipgate_storage::{IdempotencyBegin, StoredResponse};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::BODY_LIMIT;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotency-replayed";
/// How long a running request holds its key before another may take over
/// (only matters if the process died mid-request).
const LOCK_FOR: Duration = Duration::from_secs(60);
/// How long a concurrent duplicate waits for the first request's answer.
const WAIT_FOR: Duration = Duration::from_secs(15);

fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn idempotent_writes(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let is_write = matches!(
        *req.method(),
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    );
    let Some(key) = req.headers().get(HEADER).filter(|_| is_write) else {
        return Ok(next.run(req).await);
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| valid_key(k))
        .ok_or_else(|| {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "Idempotency-Key",
                "invalid_value",
                "use 1 to 255 visible ASCII characters, e.g. a UUID",
            )
        })?
        .to_string();
    let Some(Caller(tenant)) = req.extensions().get::<Caller>().cloned() else {
        return Ok(next.run(req).await);
    };

    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the body is too large",
        )
    })?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b"\n");
    hasher.update(parts.uri.path_and_query().map_or("", |p| p.as_str()));
    hasher.update(b"\n");
    hasher.update(&bytes);
    let fingerprint = hex::encode(hasher.finalize());

    let waited_since = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        match state
            .store
            .idempotency_begin(&tenant.id, &key, &fingerprint, LOCK_FOR)
            .await?
        {
            IdempotencyBegin::Started => break,
            IdempotencyBegin::Replay(stored) => return Ok(replay(stored)),
            IdempotencyBegin::Mismatch => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    "this Idempotency-Key was already used with a different request; use a new key",
                ));
            }
            IdempotencyBegin::InProgress if waited_since.elapsed() < WAIT_FOR => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            IdempotencyBegin::InProgress => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "idempotency_key_in_use",
                    "a request with this Idempotency-Key is still running; retry later",
                ));
            }
        }
    }

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            state.store.idempotency_abandon(&tenant.id, &key).await?;
            return Err(ApiError::internal(&e));
        }
    };
    if parts.status.is_server_error() {
        // Our failure, not the request's: let the client retry with the same key.
        state.store.idempotency_abandon(&tenant.id, &key).await?;
    } else {
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let stored = StoredResponse {
            status: parts.status.as_u16(),
            content_type,
            body: bytes.to_vec(),
        };
        state
            .store
            .idempotency_complete(&tenant.id, &key, &stored)
            .await?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    if let Ok(ct) = HeaderValue::from_str(&stored.content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}
