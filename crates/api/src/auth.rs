//! `Authorization: Bearer <key>` → the caller's tenant, put in the request's
//! extensions for handlers to scope every query by.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use shipgate_storage::Tenant;

use crate::AppState;
use crate::error::ApiError;

/// The authenticated caller's tenant.
#[derive(Debug, Clone)]
pub struct Caller(pub Tenant);

pub async fn require_api_key(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized("send your API key as `Authorization: Bearer <key>`")
    })?;
    let key = header
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <key>`"))?;
    let tenant = state
        .store
        .tenant_by_api_key_hash(&crate::keys::hash(key))
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown or revoked API key"))?;
    req.extensions_mut().insert(Caller(tenant));
    Ok(next.run(req).await)
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("this route needs an API key"))
    }
}
