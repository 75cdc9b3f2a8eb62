//! The widget in a real browser: headless Chromium, driven over WebDriver
//! (`chromedriver`), loads the sandbox demo page, types PIN codes and reads
//! what the page says.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`apt-get install -y
//! chromium chromium-driver`; CI installs them). Without them the test fails,
//! unless SHIPGATE_SKIP_BROWSER_TESTS=1 says to skip it. SHIPGATE_CHROMIUM and
//! SHIPGATE_CHROMEDRIVER override the binaries' paths.

mod common;

use std::time::Duration;

use common::browser::{Browser, ELEMENT};
use common::{TestApp, spawn_app};
use serde_json::{Value, json};
use shipgate_api::service::demo;

/// The promise the page should show for `pin`: the earliest estimate among
/// the carriers that serve it, asked of the API with the secret key.
async fn expected_date(app: &TestApp, origin: &str, pin: &str) -> String {
    let edd = app
        .get_json(
            &format!("/v1/edd?origin={origin}&destination={pin}"),
            &app.key_a,
        )
        .await;
    let served = app
        .get_json(
            &format!("/v1/serviceability?postal_code={pin}&origin={origin}"),
            &app.key_a,
        )
        .await;
    let serving: Vec<&Value> = served["carriers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["serviceable"] == true)
        .map(|c| &c["carrier"])
        .collect();
    assert!(!serving.is_empty(), "{served}");
    edd["carriers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| serving.contains(&&e["carrier"]))
        .filter_map(|e| e["date"].as_str())
        .min()
        .unwrap_or_else(|| panic!("no estimate for {pin}: {edd}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_page_shows_the_promise_and_the_refusal() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let page = demo::setup(&app.state, &app.tenant_a).await.unwrap();
    browser.goto(&app.url("/demo/product")).await;

    // A served PIN: the promised date, and cash on delivery.
    let input = browser.find(".sg-edd input").await;
    browser.type_into(&input, "560001").await;
    browser.click(&browser.find(".sg-edd button").await).await;
    let shown = browser.find(".sg-edd-date").await;
    let date = expected_date(&app, &page.origin_pin, "560001").await;
    assert_eq!(
        browser.attribute(&shown, "data-date").await.as_deref(),
        Some(date.as_str())
    );
    // "Delivery by Thu, 28 Nov": the date as the browser writes it in English.
    let written = browser
        .script(
            "var p = arguments[0].split('-'); return new Intl.DateTimeFormat('en-GB', \
             {weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC'})\
             .format(new Date(Date.UTC(+p[0], +p[1] - 1, +p[2])));",
            json!([date]),
        )
        .await;
    let text = browser.text(&shown).await;
    assert_eq!(text, format!("Delivery by {}", written.as_str().unwrap()));
    let day: jiff::civil::Date = date.parse().unwrap();
    assert!(text.contains(&day.strftime("%b").to_string()), "{text}");
    assert!(text.contains(&day.day().to_string()), "{text}");
    let cod = browser.find(".sg-edd-cod").await;
    assert_eq!(browser.text(&cod).await, "Cash on delivery available");

    // A PIN no carrier serves.
    let input = browser.find(".sg-edd input").await;
    browser
        .type_into(&input, &format!("{}\u{E007}", demo::NOT_SERVED_PIN))
        .await;
    let refused = browser.find(".sg-edd-no").await;
    assert_eq!(browser.text(&refused).await, "Not deliverable to this PIN");

    // The PIN is remembered, and the Hindi page answers in Hindi.
    browser.goto(&app.url("/demo/product?lang=hi")).await;
    let refused = browser.find(".sg-edd-no").await;
    assert_eq!(browser.text(&refused).await, "इस पिन पर डिलीवरी उपलब्ध नहीं");
    let input = browser.find(".sg-edd input").await;
    assert_eq!(
        browser
            .script("return arguments[0].value", json!([{ELEMENT: input}]))
            .await,
        json!(demo::NOT_SERVED_PIN)
    );
    browser.quit().await;
}

/// The merchant's case: the shop's page on another origin embeds the widget
/// from Shipgate; the browser preflights, Shipgate allows that origin only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_on_another_origin_gets_answers_only_when_allowed() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let page = demo::setup(&app.state, &app.tenant_a).await.unwrap();
    // The shop: its own server, on `localhost` (Shipgate is on 127.0.0.1).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shop = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let allowed = app
        .post("/v1/publishable-keys", &app.key_a)
        .json(&json!({"allowed_origins": [shop]}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    let base = app.base.clone();
    let html = move |key: &str| {
        format!(
            "<!doctype html><html lang=en><body><h1>Shop</h1>\
             <script src=\"{}/widget/edd.js\" data-key=\"{key}\" data-origin=\"110020\" async></script>\
             </body></html>",
            base
        )
    };
    let (good, bad) = (html(&allowed), html(&page.key));
    let router = axum::Router::new()
        .route(
            "/good",
            axum::routing::get(move || async move { axum::response::Html(good) }),
        )
        .route(
            "/bad",
            axum::routing::get(move || async move { axum::response::Html(bad) }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    browser.goto(&format!("{shop}/good")).await;
    let input = browser.find(".sg-edd input").await;
    browser.type_into(&input, "400001\u{E007}").await;
    let shown = browser.find(".sg-edd-date").await;
    let date = expected_date(&app, "110020", "400001").await;
    assert_eq!(
        browser.attribute(&shown, "data-date").await.as_deref(),
        Some(date.as_str())
    );

    // The demo key lists only Shipgate's own origins: the page gets nothing
    // and says nothing (quietly, no error on the page).
    browser.goto(&format!("{shop}/bad")).await;
    let input = browser.find(".sg-edd input").await;
    browser.type_into(&input, "400001\u{E007}").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let out = browser.find(".sg-edd-out").await;
    assert_eq!(browser.text(&out).await, "");
    browser.quit().await;
}
