//! `Authorization: Bearer <key>` → the caller's tenant, put in the request's
//! extensions for handlers to scope every query by.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use shipgate_storage::{Actor, ApiKeyOwner, AuditEntry, PublishableKey, Tenant};

use crate::AppState;
use crate::error::ApiError;

/// The authenticated caller's tenant.
#[derive(Debug, Clone)]
pub struct Caller(pub Tenant);

/// Who is making a request's configuration changes, for the audit log: the
/// secret key (put in the request's extensions beside [`Caller`]) or the
/// dashboard user (`Session::changed_by`).
#[derive(Debug, Clone)]
pub struct ChangedBy {
    pub actor: Actor,
    pub request_id: Option<String>,
}

impl ChangedBy {
    /// Shipgate itself: the CLI and the sandbox's own setup.
    pub fn system() -> Self {
        Self {
            actor: Actor::System,
            request_id: None,
        }
    }

    /// The audit entry of a change to one object, without a summary.
    pub fn entry(&self, object_type: &str, verb: &str, object_id: &str) -> AuditEntry {
        AuditEntry::new(
            self.actor.clone(),
            self.request_id.clone(),
            object_type,
            verb,
            object_id,
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ChangedBy {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<ChangedBy>().cloned().ok_or_else(|| {
            ApiError::internal(&"ChangedBy is only set under the secret-key middleware")
        })
    }
}

/// Authenticates every `/v1` route but the product-page lookups (which
/// authenticate in their [`LookupCaller`] extractor): a secret key's tenant
/// goes into the request's extensions. Publishable keys are refused here:
/// they may only make lookups.
pub async fn require_api_key(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let key = bearer_key(req.headers())?;
    if key.starts_with(crate::keys::PUBLISHABLE_PREFIX) {
        return Err(publishable_not_allowed());
    }
    let (owner, hash) = secret_key_tenant(&state, key).await?;
    // Only keys that resolved take a token: unknown keys cannot fill the table.
    if let Err(wait) = state.secret_key_limits.take(&hash) {
        return Ok(rate_limited(wait));
    }
    let request_id = crate::telemetry::request_id(req.headers());
    let extensions = req.extensions_mut();
    extensions.insert(ChangedBy {
        actor: Actor::ApiKey(owner.key_id.clone()),
        request_id,
    });
    extensions.insert(Caller(owner.tenant.clone()));
    Ok(next.run(req).await)
}

/// The key of `Authorization: Bearer <key>`.
fn bearer_key(headers: &HeaderMap) -> Result<&str, ApiError> {
    let header = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized("send your API key as `Authorization: Bearer <key>`")
    })?;
    header
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <key>`"))
}

/// A secret key's tenant, from the per-process cache or the database, and
/// the key's digest (its rate-limit bucket).
async fn secret_key_tenant(
    state: &AppState,
    key: &str,
) -> Result<(Arc<ApiKeyOwner>, [u8; 32]), ApiError> {
    if let Some(found) = state.api_keys.get(key) {
        return Ok((found.value.clone(), found.digest));
    }
    let digest = crate::keys::digest(key);
    let owner = state
        .store
        .tenant_by_api_key_hash(&hex::encode(digest))
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown or revoked API key"))?;
    let owner = Arc::new(owner);
    state.api_keys.insert(key, digest, owner.clone());
    Ok((owner, digest))
}

fn publishable_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "publishable_key_not_allowed",
        "a publishable key may only look up delivery estimates and serviceability; use a secret key",
    )
}

/// The routes a publishable key may call (method, path): the lookups a
/// product page makes, nothing that reads or changes the tenant's data.
pub const PUBLISHABLE_ROUTES: &[(Method, &str)] = &[
    (Method::GET, "/v1/edd"),
    (Method::POST, "/v1/edd/batch"),
    (Method::GET, "/v1/serviceability"),
];

/// The caller of a product-page lookup ([`PUBLISHABLE_ROUTES`]), with a
/// secret or a publishable key. These routes authenticate in this extractor
/// rather than a middleware layer because they serve every product-page view:
/// a layer costs a boxed service clone and future per request.
pub struct LookupCaller {
    key: LookupKey,
    /// The page's origin, allowed by a publishable key: CORS headers name it.
    cors_origin: Option<String>,
}

/// The verified key behind a lookup, shared with the key cache (no copy of
/// the tenant per request).
enum LookupKey {
    Secret(Arc<ApiKeyOwner>),
    Publishable(Arc<(Tenant, PublishableKey)>),
}

impl LookupCaller {
    /// The tenant whose data the lookup reads.
    pub fn tenant(&self) -> &Tenant {
        match &self.key {
            LookupKey::Secret(owner) => &owner.tenant,
            LookupKey::Publishable(found) => &found.0,
        }
    }

    /// Whether the caller is a shop's page (a publishable key), not the
    /// merchant's own server.
    pub fn from_public_page(&self) -> bool {
        self.cors_origin.is_some()
    }

    /// The handler's answer (a problem too), with the CORS headers a
    /// publishable key's page needs to read it.
    pub fn respond<T: IntoResponse>(&self, result: Result<T, ApiError>) -> Response {
        let mut response = result.into_response();
        if let Some(origin) = &self.cors_origin {
            allow_origin(response.headers_mut(), origin);
        }
        response
    }
}

impl FromRequestParts<AppState> for LookupCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let key = bearer_key(&parts.headers).map_err(IntoResponse::into_response)?;
        if key.starts_with(crate::keys::PUBLISHABLE_PREFIX) {
            let key = key.to_string();
            return publishable(state, &key, parts).await;
        }
        match secret_key_tenant(state, key).await {
            Ok((owner, hash)) => match state.secret_key_limits.take(&hash) {
                Ok(()) => Ok(Self {
                    key: LookupKey::Secret(owner),
                    cors_origin: None,
                }),
                Err(wait) => Err(rate_limited(wait)),
            },
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A publishable key: the `Origin` must be one of the key's allowed origins,
/// and both the key and the client address within their rate limits.
async fn publishable(state: &AppState, key: &str, parts: &Parts) -> Result<LookupCaller, Response> {
    let guard = &state.publishable;
    let (found, digest) = match guard.keys.get(key) {
        Some(found) => (found.value.clone(), found.digest),
        None => {
            let digest = crate::keys::digest(key);
            let found = state
                .store
                .publishable_key_by_hash(&hex::encode(digest))
                .await
                .map_err(|e| ApiError::from(e).into_response())?
                .ok_or_else(|| {
                    ApiError::unauthorized("unknown or revoked API key").into_response()
                })?;
            let found = Arc::new(found);
            guard.keys.insert(key, digest, found.clone());
            (found, digest)
        }
    };
    let origin = page_origin(&parts.headers);
    let Some(origin) = origin.filter(|o| found.1.allowed_origins.iter().any(|a| a == o)) else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this publishable key may only be used from the web origins listed for it",
        )
        .into_response());
    };
    let address = client_address(state, parts);
    let limited = guard
        .per_key
        .take(&digest)
        .err()
        .or_else(|| guard.per_address.take(&address).err());
    if let Some(wait) = limited {
        let mut response = rate_limited(wait);
        allow_origin(response.headers_mut(), &origin);
        return Err(response);
    }
    Ok(LookupCaller {
        key: LookupKey::Publishable(found),
        cors_origin: Some(origin),
    })
}

/// The web origin of the page making the request: its `Origin` header, or
/// (browsers leave `Origin` off same-origin GETs) its `Referer`'s origin.
fn page_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.to_str().ok().map(str::to_string);
    }
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let origin = reqwest::Url::parse(referer).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The shopper's address: the rightmost entry of the configured proxy header
/// (what the proxy in front appended; entries left of it are the client's
/// word), else the TCP peer.
fn client_address(state: &AppState, req: &Parts) -> String {
    let forwarded = state
        .client_address_header
        .as_ref()
        .and_then(|name| req.headers.get_all(name.as_str()).iter().next_back())
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    match forwarded {
        Some(address) => address.to_string(),
        None => req
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default(),
    }
}

/// Whole seconds to wait, rounded up, at least 1 (`Retry-After`).
fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

fn rate_limited(wait: Duration) -> Response {
    let seconds = retry_after_seconds(wait);
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests; try again in {seconds} s"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn allow_origin(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// Answers CORS preflights for the publishable routes. A preflight carries no
/// key, so it is allowed for an origin some publishable key lists; the real
/// request is then checked against its own key's origins.
pub async fn cors_preflight(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let is_preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if !is_preflight
        || !PUBLISHABLE_ROUTES
            .iter()
            .any(|(_, p)| *p == req.uri().path())
    {
        return Ok(next.run(req).await);
    }
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let known = match state.publishable.origins.get(&origin) {
        Some(known) => known,
        None => {
            let known = !origin.is_empty() && state.store.publishable_origin_known(&origin).await?;
            state.publishable.origins.insert(origin.clone(), known);
            known
        }
    };
    if !known {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "no publishable key may be used from this origin",
        ));
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    allow_origin(headers, &origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    Ok(response)
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

/// Entries kept [`KEY_CACHE_TTL`], by a hashable name: the per-process
/// store of what was recently verified (keys, origins).
pub struct KeyCache<V, K> {
    entries: std::sync::RwLock<std::collections::HashMap<K, (std::time::Instant, V)>>,
}

impl<V, K> Default for KeyCache<V, K> {
    fn default() -> Self {
        Self {
            entries: Default::default(),
        }
    }
}

pub const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// Bounds memory whatever keys are presented; only valid keys are cached.
const KEY_CACHE_CAPACITY: usize = 10_000;

impl<V: Clone, K: std::hash::Hash + Eq> KeyCache<V, K> {
    fn get<Q>(&self, hash: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let entries = self.entries.read().expect("poisoned");
        let (at, tenant) = entries.get(hash)?;
        (at.elapsed() < KEY_CACHE_TTL).then(|| tenant.clone())
    }

    /// Forgets every entry (after a revocation here).
    pub fn forget(&self) {
        self.entries.write().expect("poisoned").clear();
    }

    fn insert(&self, hash: K, tenant: V) {
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

/// Recently verified API keys, so a product page's lookups do not each cost a
/// database read. An entry lives [`KEY_CACHE_TTL`]: a key revoked in the
/// database stops working within that time on every process.
///
/// Found by a per-process keyed hash of the key as presented, then confirmed
/// by comparing the whole key in constant time: hashing each request's key
/// with SHA-256 (what the database is searched by) cost more than the rest
/// of a lookup's authentication. The seed is random, so nobody outside can
/// aim keys at one slot; a stale or colliding slot only sends the key to
/// the database.
pub struct VerifiedKeys<V = Arc<ApiKeyOwner>> {
    entries: KeyCache<Arc<VerifiedKey<V>>, u64>,
    seed: foldhash::quality::RandomState,
}

/// A key found in the database, and what it resolved to.
pub struct VerifiedKey<V> {
    key: Box<str>,
    /// The key's SHA-256: its rate-limit bucket.
    pub digest: [u8; 32],
    pub value: V,
}

impl<V> Default for VerifiedKeys<V> {
    fn default() -> Self {
        Self {
            entries: KeyCache::default(),
            seed: Default::default(),
        }
    }
}

impl<V> VerifiedKeys<V> {
    fn slot(&self, key: &str) -> u64 {
        std::hash::BuildHasher::hash_one(&self.seed, key.as_bytes())
    }

    /// The entry of exactly `key`, while fresh.
    fn get(&self, key: &str) -> Option<Arc<VerifiedKey<V>>> {
        use subtle::ConstantTimeEq;
        let found = self.entries.get(&self.slot(key))?;
        bool::from(found.key.as_bytes().ct_eq(key.as_bytes())).then_some(found)
    }

    fn insert(&self, key: &str, digest: [u8; 32], value: V) {
        let entry = VerifiedKey {
            key: key.into(),
            digest,
            value,
        };
        self.entries.insert(self.slot(key), Arc::new(entry));
    }

    /// Forgets every entry (after a revocation here).
    pub fn forget(&self) {
        self.entries.forget();
    }
}

/// Token-bucket limits of publishable keys: `rate` lookups a second on
/// average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub rate: f64,
    pub burst: f64,
}

/// Rate limits of publishable-key lookups, per key and per client address.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublishableLimits {
    pub per_key: Limit,
    pub per_address: Limit,
}

impl PublishableLimits {
    /// A shopper makes two lookups per PIN typed; a busy shop's page some
    /// hundreds a second across all its shoppers.
    pub const DEFAULT: Self = Self {
        per_key: Limit {
            rate: 500.0,
            burst: 1000.0,
        },
        per_address: Limit {
            rate: 2.0,
            burst: 20.0,
        },
    };
}

impl Default for PublishableLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What publishable keys need per process: verified keys, origins known to
/// preflights (both cached [`KEY_CACHE_TTL`]) and the rate limiters.
pub struct PublishableGuard {
    keys: VerifiedKeys<Arc<(Tenant, PublishableKey)>>,
    origins: KeyCache<bool, String>,
    /// By the key's SHA-256.
    per_key: TokenBuckets<[u8; 32]>,
    per_address: TokenBuckets,
}

impl PublishableGuard {
    pub fn new(limits: PublishableLimits) -> Self {
        Self {
            keys: VerifiedKeys::default(),
            origins: KeyCache::default(),
            per_key: TokenBuckets::new(limits.per_key),
            per_address: TokenBuckets::new(limits.per_address),
        }
    }

    /// Forgets verified keys and known origins, after a revocation here.
    pub fn forget(&self) {
        self.keys.forget();
        self.origins.forget();
    }
}

impl Default for PublishableGuard {
    fn default() -> Self {
        Self::new(PublishableLimits::default())
    }
}

/// A rate limit per name (a secret key's digest, a client address) in each
/// process, or none. Checked on every request it guards, so it is one map
/// lookup under a lock, without allocating once the name's bucket exists.
pub struct RateLimit<K = String>(Option<TokenBuckets<K>>);

impl<K> Default for RateLimit<K> {
    /// No limit: the library's default (tests and benches drive one key or
    /// address hard); `shipgate serve` sets its own.
    fn default() -> Self {
        Self(None)
    }
}

impl<K: std::hash::Hash + Eq> RateLimit<K> {
    pub fn new(limit: Option<Limit>) -> Self {
        Self(limit.map(TokenBuckets::new))
    }

    /// Takes a token from `name`'s bucket, or says how long until one is
    /// there. Free when there is no limit.
    pub fn take<Q>(&self, name: &Q) -> Result<(), Duration>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match &self.0 {
            Some(buckets) => buckets.take(name),
            None => Ok(()),
        }
    }
}

/// Rate limit of each secret API key, by the key's SHA-256.
pub type SecretKeyLimits = RateLimit<[u8; 32]>;

impl RateLimit<[u8; 32]> {
    /// `shipgate serve`'s default: far above what one shop's integration
    /// needs, low enough that a runaway client cannot take a process alone.
    pub const DEFAULT: Limit = Limit {
        rate: 10_000.0,
        burst: 20_000.0,
    };
}

/// Rate limit of the public pages (tracking, NDR self-service) per client
/// address.
pub type PublicPageLimits = RateLimit<String>;

impl RateLimit<String> {
    /// `shipgate serve`'s default: a customer reloading a page or a shared
    /// office address stays well inside it; walking tracking numbers or NDR
    /// links to find someone's shipment does not.
    pub const PUBLIC_PAGES: Limit = Limit {
        rate: 2.0,
        burst: 60.0,
    };
}

/// Guards the public pages (no key, reachable by anyone with a tracking
/// number or an NDR link) with their per-address rate limit; over it, a page
/// saying when to come back, with `Retry-After`.
pub async fn limit_public_pages(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    if let Err(wait) = state
        .public_page_limits
        .take(client_address(&state, &parts).as_str())
    {
        let seconds = retry_after_seconds(wait);
        let body = crate::routes::tracking::page(
            "Too many requests",
            &format!("<p>Too many requests from your network. Try again in {seconds} s.</p>"),
            crate::routes::tracking::DEFAULT_ACCENT,
        );
        let mut response =
            (StatusCode::TOO_MANY_REQUESTS, axum::response::Html(body)).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return response;
    }
    next.run(Request::from_parts(parts, body)).await
}

/// In-memory token buckets by name (a client address, a key's digest), per
/// process.
pub struct TokenBuckets<K = String> {
    limit: Limit,
    buckets: std::sync::Mutex<std::collections::HashMap<K, (Instant, f64)>>,
}

/// Bounds memory whatever addresses call: full buckets are dropped first.
const BUCKETS_CAPACITY: usize = 100_000;

impl<K: std::hash::Hash + Eq> TokenBuckets<K> {
    pub fn new(limit: Limit) -> Self {
        Self {
            limit,
            buckets: Default::default(),
        }
    }

    /// Takes a token from `name`'s bucket, or says how long until one is there.
    pub fn take<Q>(&self, name: &Q) -> Result<(), Duration>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let Limit { rate, burst } = self.limit;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("poisoned");
        if buckets.len() >= BUCKETS_CAPACITY && !buckets.contains_key(name) {
            buckets.retain(|_, (at, tokens)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
            if buckets.len() >= BUCKETS_CAPACITY {
                buckets.clear();
            }
        }
        // The common case (a known name) looks up without allocating.
        if !buckets.contains_key(name) {
            buckets.insert(name.to_owned(), (now, burst));
        }
        let (at, tokens) = buckets.get_mut(name).expect("just inserted");
        let available = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if available >= 1.0 {
            *tokens = available - 1.0;
            Ok(())
        } else {
            *tokens = available;
            Err(Duration::from_secs_f64(
                (1.0 - available) / rate.max(f64::MIN_POSITIVE),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verified_keys_answer_only_the_exact_key() {
        let keys = VerifiedKeys::<u32>::default();
        let (a, b) = (crate::keys::issue().secret, crate::keys::issue().secret);
        keys.insert(&a, crate::keys::digest(&a), 7);
        let found = keys.get(&a).expect("cached");
        assert_eq!((found.value, found.digest), (7, crate::keys::digest(&a)));
        assert!(keys.get(&b).is_none());
        // A key one character off, or cut short, is another key.
        let mut near = a.clone();
        near.pop();
        assert!(keys.get(&near).is_none());
        near.push('x');
        assert!(keys.get(&near).is_none());
        keys.forget();
        assert!(keys.get(&a).is_none());
    }

    #[test]
    fn buckets_allow_the_burst_then_refill_at_the_rate() {
        let buckets = TokenBuckets::new(Limit {
            rate: 1.0,
            burst: 3.0,
        });
        for _ in 0..3 {
            assert!(buckets.take("a").is_ok());
        }
        let wait = buckets.take("a").unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        // Another name has its own bucket.
        assert!(buckets.take("b").is_ok());
    }
}
