//! Signing in to the dashboard: users (Argon2id password hashes), sessions
//! (a random token in an `HttpOnly` cookie; only its SHA-256 is stored), CSRF
//! protection (a synchronizer token per session in every form, checked on
//! every POST, plus a same-origin check of `Origin`/`Referer`) and sign-in
//! rate limits per email and per client address.

use std::net::SocketAddr;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use shipgate_storage::{SignedIn, Store, StoreError, User, UserSession};

use super::{Page, PageError};
use crate::AppState;
use crate::auth::{Limit, TokenBuckets};
use crate::routes::branding::Branding;

/// The session cookie; scoped to `/app`.
pub const COOKIE: &str = "sg_session";
/// The sign-in form's CSRF cookie (double submit: there is no session yet).
const LOGIN_COOKIE: &str = "sg_login";
/// How long a session lasts from sign-in.
pub const SESSION_HOURS: i64 = 12;
/// Shortest password a user may be given.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("`{0}` is not an email address")]
    InvalidEmail(String),
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("no tenant {0}")]
    NoSuchTenant(String),
    #[error("a user with email {0} exists")]
    Taken(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(StoreError),
}

/// Emails are compared lower-cased and trimmed.
pub fn normalize_email(email: &str) -> Result<String, UserError> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && !e.chars().any(char::is_whitespace)
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(e)
    } else {
        Err(UserError::InvalidEmail(email.to_string()))
    }
}

/// An Argon2id PHC string for `password` (RustCrypto's default parameters:
/// 19 MiB, 2 passes), with a random salt.
pub fn hash_password(password: &str) -> Result<String, UserError> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| UserError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Creates a dashboard user in `tenant_id` (`shipgate users create`, the
/// sandbox's demo user).
pub async fn create_user(
    store: &dyn Store,
    tenant_id: &str,
    email: &str,
    password: &str,
) -> Result<User, UserError> {
    let email = normalize_email(email)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UserError::WeakPassword);
    }
    if store
        .tenant(tenant_id)
        .await
        .map_err(UserError::Store)?
        .is_none()
    {
        return Err(UserError::NoSuchTenant(tenant_id.to_string()));
    }
    let password = password.to_string();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| UserError::Hash(e.to_string()))??;
    let user = User {
        id: shipgate_storage::new_id("usr"),
        tenant_id: tenant_id.to_string(),
        email: email.clone(),
        password_hash,
        created_at: shipgate_storage::now(),
    };
    match store.create_user(&user).await {
        Ok(()) => Ok(user),
        Err(StoreError::Conflict(_)) => Err(UserError::Taken(email)),
        Err(e) => Err(UserError::Store(e)),
    }
}

/// A random URL-safe token of 256 bits.
fn token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// Equal without telling how much matched.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Sign-in attempts allowed per email and per client address.
pub struct LoginGuard {
    per_email: TokenBuckets,
    per_address: TokenBuckets,
}

impl Default for LoginGuard {
    fn default() -> Self {
        Self {
            // 5 tries, then one a minute.
            per_email: TokenBuckets::new(Limit {
                rate: 1.0 / 60.0,
                burst: 5.0,
            }),
            // 20 tries, then one every 6 s.
            per_address: TokenBuckets::new(Limit {
                rate: 1.0 / 6.0,
                burst: 20.0,
            }),
        }
    }
}

impl LoginGuard {
    fn take(&self, email: &str, address: &str) -> Result<(), Duration> {
        self.per_address.take(address)?;
        self.per_email.take(email)
    }
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn secure(state: &AppState) -> &'static str {
    if state
        .self_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
    {
        "; Secure"
    } else {
        ""
    }
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/app; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        secure(state)
    ))
    .expect("cookie is ASCII")
}

/// A signed-in user's request: the user, tenant, CSRF token and the
/// tenant's branding.
pub struct Session {
    pub signed: SignedIn,
    pub brand: Branding,
    /// The request's `x-request-id`, for the audit log.
    pub request_id: Option<String>,
}

impl Session {
    pub fn csrf(&self) -> &str {
        &self.signed.session.csrf_token
    }

    /// Who acts, in histories: the dashboard user.
    pub fn actor(&self) -> String {
        format!("user:{}", self.signed.user.email)
    }

    /// Who makes this request's configuration changes: the user, by id.
    pub fn changed_by(&self) -> crate::auth::ChangedBy {
        crate::auth::ChangedBy {
            actor: shipgate_storage::Actor::User(self.signed.user.id.clone()),
            request_id: self.request_id.clone(),
        }
    }

    /// Checks a form's CSRF token.
    pub fn check_csrf(&self, given: &str) -> Result<(), PageError> {
        if same(given, self.csrf()) {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                "This form has expired. Go back, reload the page and try again.",
            ))
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .filter(|p| p.starts_with("/app/"))
                .unwrap_or("/app/shipments");
            let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
            Redirect::to(&format!("/app/login?next={next}")).into_response()
        };
        let Some(token) = cookie_value(&parts.headers, COOKIE) else {
            return Err(to_login());
        };
        let signed = state
            .store
            .user_session(&crate::keys::hash(&token), shipgate_storage::now())
            .await
            .map_err(|e| PageError::from(crate::error::ApiError::from(e)).into_response())?;
        let Some(signed) = signed else {
            return Err(to_login());
        };
        let brand = crate::routes::branding::of(state, &signed.tenant.id)
            .await
            .map_err(|e| PageError::from(e).into_response())?;
        let request_id = crate::telemetry::request_id(&parts.headers);
        Ok(Session {
            signed,
            brand,
            request_id,
        })
    }
}

/// The TCP peer, when the server knows it (put in by [`same_origin_posts`]).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddress(pub Option<SocketAddr>);

/// Refuses a POST under `/app` whose `Origin` (or, without one, `Referer`)
/// names another site than the one it was sent to.
pub async fn same_origin_posts(mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    req.extensions_mut().insert(PeerAddress(peer));
    if req.method() == Method::POST && !same_origin(req.headers()) {
        return PageError::new(
            StatusCode::FORBIDDEN,
            "This form was sent from another site, so it was refused.",
        )
        .into_response();
    }
    next.run(req).await
}

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match source {
        // Neither header: not a browser form (the CSRF token still guards it).
        None => true,
        Some(source) => source
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .is_some_and(|authority| authority.eq_ignore_ascii_case(host)),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only a path inside the dashboard: never another site.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| {
        n.starts_with("/app/") && !n.starts_with("//") && !n.contains('\\') && !n.contains("://")
    })
    .unwrap_or("/app/shipments")
    .to_string()
}

fn login_form(csrf: &str, next: &str, email: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in" }
        @if let Some(error) = error {
            p.notice.error role="alert" { (error) }
        }
        form.stack method="post" action="/app/login" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            div {
                label for="email" { "Email" }
                input id="email" name="email" type="email" autocomplete="username" required value=(email);
            }
            div {
                label for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
            }
            button type="submit" { "Sign in" }
        }
    }
}

/// The sign-in page.
pub async fn login_page(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Response {
    let csrf = token();
    let next = safe_next(q.next.as_deref());
    let page = Page::public("Sign in", login_form(&csrf, &next, "", None));
    let mut response = page.into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, LOGIN_COOKIE, &csrf, 3600),
    );
    response
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: String,
    email: String,
    password: String,
    next: Option<String>,
}

/// A hash to verify against when the email is unknown, so the answer takes
/// as long either way.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

fn client_address(state: &AppState, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    state
        .client_address_header
        .as_deref()
        .and_then(|h| headers.get(h))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_string())
        .or_else(|| peer.map(|p| p.ip().to_string()))
        .unwrap_or_default()
}

/// Signs in: checks the form's token, the rate limits and the password,
/// then starts a session.
pub async fn login(
    State(state): State<AppState>,
    peer: axum::Extension<PeerAddress>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let refuse = |status: StatusCode, message: &str| {
        let csrf = token();
        let mut response = (
            status,
            Page::public(
                "Sign in",
                login_form(&csrf, &next, &form.email, Some(message)),
            ),
        )
            .into_response();
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, LOGIN_COOKIE, &csrf, 3600),
        );
        response
    };
    let expected = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same(&expected, &form.csrf) {
        return refuse(
            StatusCode::FORBIDDEN,
            "The sign-in form expired. Please try again.",
        );
    }
    let email = normalize_email(&form.email).unwrap_or_else(|_| form.email.trim().to_lowercase());
    let address = client_address(&state, &headers, peer.0.0);
    if let Err(wait) = state.dashboard.logins.take(&email, &address) {
        let mut response = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "Too many sign-in attempts. Try again in {} seconds.",
                wait.as_secs().max(1)
            ),
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return response;
    }
    let user = match state.store.user_by_email(&email).await {
        Ok(user) => user,
        Err(e) => return PageError::from(crate::error::ApiError::from(e)).into_response(),
    };
    let password = form.password.clone();
    let phc = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| verified) else {
        return refuse(StatusCode::UNAUTHORIZED, "Wrong email or password.");
    };
    let session_token = token();
    let now = shipgate_storage::now();
    let session = UserSession {
        token_hash: crate::keys::hash(&session_token),
        user_id: user.id.clone(),
        csrf_token: token(),
        created_at: now,
        expires_at: now + jiff::SignedDuration::from_hours(SESSION_HOURS),
    };
    if let Err(e) = state.store.create_user_session(&session).await {
        return PageError::from(crate::error::ApiError::from(e)).into_response();
    }
    let mut response = Redirect::to(&next).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, COOKIE, &session_token, SESSION_HOURS * 3600),
    );
    headers.append(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, "", 0));
    response
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// Signs out: ends the session and forgets the cookie.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    state
        .store
        .delete_user_session(&session.signed.session.token_hash, shipgate_storage::now())
        .await
        .map_err(crate::error::ApiError::from)?;
    let mut response = Redirect::to("/app/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, COOKIE, "", 0));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterY", &phc));
        assert!(!verify_password("anything", "not a phc string"));
    }

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email(" Ops@Acme.Example ").unwrap(),
            "ops@acme.example"
        );
        assert!(normalize_email("ops").is_err());
        assert!(normalize_email("ops@localhost").is_err());
        assert!(normalize_email("a b@acme.example").is_err());
    }

    #[test]
    fn next_stays_inside_the_dashboard() {
        assert_eq!(safe_next(Some("/app/ndr")), "/app/ndr");
        assert_eq!(
            safe_next(Some("https://evil.example/app/")),
            "/app/shipments"
        );
        assert_eq!(safe_next(Some("//evil.example")), "/app/shipments");
        assert_eq!(safe_next(None), "/app/shipments");
    }

    #[test]
    fn posts_from_another_site_are_told_apart() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&h));
        h.remove(header::ORIGIN);
        h.insert(
            header::REFERER,
            HeaderValue::from_static("http://evil.example/x"),
        );
        assert!(!same_origin(&h));
    }
}
