//! The merchant dashboard (`/app/…`): server-rendered HTML (maud templates,
//! escaped at compile time) over the same services as the API, usable
//! without JavaScript. Sign-in, sessions and CSRF are in [`session`]; one
//! stylesheet (`/assets/shipgate.css`) styles it and the public tracking and
//! NDR pages, coloured per tenant by CSS variables ([`colors`]).

pub mod colors;
mod ndr;
pub mod performance;
pub mod session;
mod settings;
mod shipments;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, PreEscaped, html};

pub use session::{LoginGuard, Session, UserError, create_user};

/// What the dashboard keeps per process.
#[derive(Default)]
pub struct DashboardState {
    /// Sign-in attempts allowed per email and per client address.
    pub logins: LoginGuard,
}

use crate::AppState;
use crate::error::ApiError;

/// The stylesheet every page links: the dashboard, tracking and NDR pages.
pub const STYLESHEET_PATH: &str = "/assets/shipgate.css";
const STYLESHEET: &str = include_str!("shipgate.css");

/// The dashboard's routes (not in the OpenAPI document) and the stylesheet.
pub fn router() -> Router<AppState> {
    let app = Router::new()
        .route("/app", get(|| async { Redirect::to("/app/shipments") }))
        .route("/app/", get(|| async { Redirect::to("/app/shipments") }))
        .route("/app/login", get(session::login_page).post(session::login))
        .route("/app/logout", post(session::logout))
        .route("/app/shipments", get(shipments::list))
        .route("/app/shipments/{id}", get(shipments::show))
        .route("/app/shipments/{id}/label", get(shipments::label))
        .route("/app/shipments/{id}/cancel", post(shipments::cancel))
        .route("/app/shipments/{id}/modify", post(shipments::modify))
        .route("/app/shipments/{id}/ndr", post(shipments::ndr_action))
        .route("/app/ndr", get(ndr::desk))
        .route("/app/ndr/bulk", post(ndr::bulk))
        .route("/app/performance", get(performance::page))
        .route("/app/settings", get(settings::page))
        .route("/app/settings/audit-log", get(settings::audit_log))
        .route("/app/settings/branding", post(settings::branding))
        .route("/app/settings/allocation", post(settings::allocation))
        .route("/app/settings/publishable-keys", post(settings::create_key))
        .route("/app/settings/api-keys", post(settings::create_secret_key))
        .route(
            "/app/settings/api-keys/{id}/revoke",
            post(settings::revoke_secret_key),
        )
        .route(
            "/app/settings/publishable-keys/{id}/revoke",
            post(settings::revoke_key),
        )
        .route("/app/settings/webhooks/{id}", get(settings::webhook))
        .route(
            "/app/settings/webhooks/{id}/replay/{message}",
            post(settings::replay),
        )
        .layer(middleware::from_fn(session::same_origin_posts))
        .layer(middleware::from_fn(private_headers));
    app.route(STYLESHEET_PATH, get(stylesheet))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Dashboard pages are private: never cached, never framed, no referrer
/// outside the site.
async fn private_headers(req: axum::extract::Request, next: middleware::Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Where a dashboard page sits in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Shipments,
    Ndr,
    Performance,
    Settings,
}

const NAV: [(Nav, &str, &str); 4] = [
    (Nav::Shipments, "/app/shipments", "Shipments"),
    (Nav::Ndr, "/app/ndr", "NDR desk"),
    (Nav::Performance, "/app/performance", "Carrier performance"),
    (Nav::Settings, "/app/settings", "Settings"),
];

/// A whole HTML page in the shared look.
pub struct Page {
    status: StatusCode,
    html: String,
}

impl Page {
    /// A dashboard page: the tenant's name and colours, the navigation and
    /// a sign-out button.
    pub fn app(session: &Session, nav: Nav, title: &str, body: Markup) -> Self {
        let shop = session
            .brand
            .display_name
            .clone()
            .unwrap_or_else(|| session.signed.tenant.name.clone());
        let header = html! {
            header.top {
                a.brand href="/app/shipments" { (shop) }
                nav aria-label="Main" {
                    ul {
                        @for (item, href, label) in NAV {
                            li {
                                @if item == nav {
                                    a href=(href) aria-current="page" { (label) }
                                } @else {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                    }
                }
                form.signout method="post" action="/app/logout" {
                    input type="hidden" name="csrf" value=(session.csrf());
                    span.muted { (session.signed.user.email) }
                    " "
                    button.secondary type="submit" { "Sign out" }
                }
            }
        };
        Self {
            status: StatusCode::OK,
            html: document(
                &format!("{title} · Shipgate"),
                session.brand.primary_color.as_deref(),
                header,
                body,
                "app",
            ),
        }
    }

    /// A page outside the signed-in area (sign-in, errors).
    pub fn public(title: &str, body: Markup) -> Self {
        let header = html! { header.top { span.brand { "Shipgate" } } };
        Self {
            status: StatusCode::OK,
            html: document(&format!("{title} · Shipgate"), None, header, body, "narrow"),
        }
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        (self.status, axum::response::Html(self.html)).into_response()
    }
}

/// The document around a page's header and body: the shared stylesheet and
/// the tenant's colours as CSS variables.
fn document(
    title: &str,
    accent: Option<&str>,
    header: Markup,
    body: Markup,
    main_class: &str,
) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
                style { (PreEscaped(colors::variables(accent))) }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                (header)
                main id="main" class=(main_class) { (body) }
            }
        }
    }
    .into_string()
}

/// The public pages' document (tracking, NDR self-service): the same
/// stylesheet, the shop's colour and name, no navigation. `body` is HTML
/// the caller escaped.
pub fn public_document(
    title: &str,
    accent: Option<&str>,
    shop: Option<&str>,
    body: &str,
) -> String {
    let header = html! {
        @if let Some(shop) = shop {
            header.top { span.brand { (shop) } }
        }
    };
    document(
        title,
        accent,
        header,
        html! { (PreEscaped(body)) },
        "narrow",
    )
}

/// An error shown as a page.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        Self {
            status: e.status,
            message: e.detail.unwrap_or_else(|| "Something went wrong.".into()),
        }
    }
}

impl From<shipgate_storage::StoreError> for PageError {
    fn from(e: shipgate_storage::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        Page::public(
            title,
            html! {
                h1 { (title) }
                p.notice.error role="alert" { (self.message) }
                p { a href="/app/shipments" { "Back to the dashboard" } }
            },
        )
        .with_status(self.status)
        .into_response()
    }
}

/// A time as the desk reads it: India Standard Time.
pub fn when(t: jiff::Timestamp) -> String {
    t.to_zoned(shipgate_carriers::core::time::ist())
        .strftime("%d %b %Y, %H:%M")
        .to_string()
}

/// `snake_case` to words: `out_for_delivery` → "Out for delivery".
pub fn words(s: &str) -> String {
    let text = s.replace('_', " ");
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A status as a badge, coloured by how it stands.
pub fn status_badge(status: shipgate_domain::ShipmentStatus) -> Markup {
    use shipgate_domain::ShipmentStatus as S;
    let class = match status {
        S::Delivered => "badge good",
        S::DeliveryFailed | S::Lost | S::Damaged | S::Cancelled | S::PickupFailed => "badge bad",
        s if s.as_str().starts_with("rto_") => "badge bad",
        _ => "badge",
    };
    html! { span class=(class) { (words(status.as_str())) } }
}

/// An empty query-string value means "any".
pub fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A labelled filter `<select>` named `name`: first the option meaning no
/// filter (`none`), then each value shown in words, the chosen one selected.
pub fn filter_select<'a>(
    name: &str,
    label: &str,
    none: &str,
    values: impl IntoIterator<Item = &'a str>,
    chosen: &Option<String>,
) -> maud::Markup {
    let chosen = given(chosen);
    maud::html! {
        div {
            label for=(name) { (label) }
            select id=(name) name=(name) {
                option value="" { (none) }
                @for v in values {
                    option value=(v) selected[chosen == Some(v)] { (words(v)) }
                }
            }
        }
    }
}
