//! The embeddable EDD widget (`/widget/edd.js`) and, in sandbox mode, a demo
//! product page that shows it working (`/demo/product`).

use std::sync::LazyLock;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::routes::tracking::escape;

/// The widget, as served: plain JS, no dependencies.
pub const SCRIPT: &str = include_str!("../widget/edd.js");

/// A strong validator for conditional requests: the script's SHA-256.
static ETAG: LazyLock<String> =
    LazyLock::new(|| format!("\"{}\"", &crate::keys::hash(SCRIPT)[..32]));

/// `GET /widget/edd.js`: cacheable for an hour (then revalidated by ETag, or
/// served stale for a day while revalidating), so it never delays a page.
pub async fn script(headers: HeaderMap) -> Response {
    let etag = ETAG.as_str();
    let cache = [
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600, stale-while-revalidate=86400"),
        ),
        (header::ETAG, HeaderValue::from_str(etag).expect("hex")),
    ];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if fresh {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        SCRIPT,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct DemoParams {
    /// `hi` for the Hindi page.
    lang: Option<String>,
}

/// `GET /demo/product`: a product page with the widget, in sandbox mode only.
pub async fn demo_product(
    State(state): State<AppState>,
    Query(params): Query<DemoParams>,
) -> Result<Html<String>, ApiError> {
    let demo = match (&state.sandbox, state.demo.get()) {
        (Some(_), Some(demo)) => demo,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "the demo page exists in sandbox mode only",
            ));
        }
    };
    let hindi = params.lang.as_deref() == Some("hi");
    let (lang, title, price, blurb) = if hindi {
        (
            "hi",
            "सूती कुर्ता (सैंडबॉक्स डेमो)",
            "₹1,499",
            "हाथ से बुना सूती कुर्ता।",
        )
    } else {
        (
            "en",
            "Cotton kurta (sandbox demo)",
            "₹1,499",
            "Hand-woven cotton kurta.",
        )
    };
    let pins = crate::service::demo::DEMO_PINS.join(", ");
    Ok(Html(format!(
        "<!doctype html><html lang={lang}><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width,initial-scale=1\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;\
         --sg-accent:#7c3aed;--sg-radius:6px}}.note{{color:#666;font-size:.85rem;border-top:1px solid #ddd;\
         margin-top:2rem;padding-top:.5rem}}</style></head><body>\
         <h1>{title}</h1><p><strong>{price}</strong></p><p>{blurb}</p>\
         <div id=delivery></div>\
         <script src=\"/widget/edd.js\" data-key=\"{key}\" data-origin=\"{origin}\" data-target=delivery async></script>\
         <p class=note>Sandbox: dates come from a synthetic history of the carrier simulator's journeys \
         (ships from {origin}). Try {pins}; {not_served} is served by no carrier. \
         <a href=\"?lang={other}\">{other}</a></p></body></html>",
        key = escape(&demo.key),
        origin = escape(&demo.origin_pin),
        not_served = crate::service::demo::NOT_SERVED_PIN,
        other = if hindi { "en" } else { "hi" },
    )))
}
