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
    let hash = crate::keys::hash(key);
    let tenant = match state.api_keys.get(&hash) {
        Some(tenant) => tenant,
        None => {
            let tenant = state
                .store
                .tenant_by_api_key_hash(&hash)
                .await?
                .ok_or_else(|| ApiError::unauthorized("unknown or revoked API key"))?;
            state.api_keys.insert(hash, tenant.clone());
            tenant
        }
    };
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

/// Recently verified API keys (by hash), so a product page's lookups do not
/// each cost a database read. An entry lives [`KEY_CACHE_TTL`]: a key revoked
/// in the database stops working within that time on every process.
#[derive(Default)]
pub struct KeyCache {
    entries: std::sync::RwLock<std::collections::HashMap<String, (std::time::Instant, Tenant)>>,
}

pub const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// Bounds memory whatever keys are presented; only valid keys are cached.
const KEY_CACHE_CAPACITY: usize = 10_000;

impl KeyCache {
    fn get(&self, hash: &str) -> Option<Tenant> {
        let entries = self.entries.read().expect("poisoned");
        let (at, tenant) = entries.get(hash)?;
        (at.elapsed() < KEY_CACHE_TTL).then(|| tenant.clone())
    }

    fn insert(&self, hash: String, tenant: Tenant) {
        let mut entries = self.entries.write().expect("poisoned");
        if entries.len() >= KEY_CACHE_CAPACITY {
            entries.retain(|_, (at, _)| at.elapsed() < KEY_CACHE_TTL);
            if entries.len() >= KEY_CACHE_CAPACITY {
                entries.clear();
            }
        }
        entries.insert(hash, (std::time::Instant::now(), tenant));
    }
}
