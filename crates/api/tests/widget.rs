//! The widget script and the sandbox demo page with its sandbox data.

mod common;

use common::spawn_app;
use serde_json::Value;
use shipgate_api::service::demo;

#[tokio::test]
async fn the_widget_is_small_cacheable_javascript() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/widget/edd.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let cache = r.headers()["cache-control"].to_str().unwrap().to_string();
    assert!(cache.contains("max-age="), "{cache}");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let body = r.bytes().await.unwrap();
    assert!(body.len() < 10 * 1024, "the widget is {} bytes", body.len());
    assert_eq!(
        body.as_ref(),
        shipgate_api::routes::widget::SCRIPT.as_bytes()
    );
    let again = app
        .client
        .get(app.url("/widget/edd.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_demo_page_answers_from_sandbox_data() {
    let app = spawn_app().await;
    // Not there until the sandbox demo is set up.
    let r = app
        .client
        .get(app.url("/demo/product"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let page = demo::setup(&app.state, &app.tenant_a).await.unwrap();
    let html = app.page("/demo/product").await;
    assert!(html.contains(&format!("data-key=\"{}\"", page.key)));
    assert!(html.contains("src=\"/widget/edd.js\""));
    assert!(html.contains("<html lang=en>"));
    let hindi = app.page("/demo/product?lang=hi").await;
    assert!(hindi.contains("<html lang=hi>"));

    // The history is synthetic, labelled, and derived from the simulator's journeys.
    let rows = app.store.edd_observations_after(0, 100_000).await.unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.source == demo::HISTORY_SOURCE));
    let days: Vec<i64> = rows
        .iter()
        .map(|r| r.ordered_at.duration_until(r.delivered_at).as_hours())
        .collect();
    assert!(days.iter().all(|h| [44, 84].contains(h)), "{days:?}");

    // The page's key answers from the page's origin.
    let lookup = |path: String| {
        app.client
            .get(app.url(&path))
            .bearer_auth(&page.key)
            .header("origin", &app.base)
            .send()
    };
    let edd: Value = lookup(format!(
        "/v1/edd?origin={}&destination=560001",
        page.origin_pin
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(edd["best"]["date"].is_string(), "{edd}");
    let served: Value = lookup("/v1/serviceability?postal_code=560001".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let carriers = served["carriers"].as_array().unwrap();
    assert!(!carriers.is_empty());
    assert!(
        carriers
            .iter()
            .any(|c| c["serviceable"] == true && c["cod"] == true)
    );
    let not_served: Value = lookup(format!(
        "/v1/serviceability?postal_code={}",
        demo::NOT_SERVED_PIN
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let carriers = not_served["carriers"].as_array().unwrap();
    assert!(carriers.iter().any(|c| c["known"] == true));
    assert!(carriers.iter().all(|c| c["serviceable"] == false));

    // Setting up again (a restart) reuses the key and adds no history.
    let again = demo::setup(&app.state, &app.tenant_a).await.unwrap();
    assert_eq!(again.key, page.key);
    let after = app.store.edd_observations_after(0, 100_000).await.unwrap();
    assert_eq!(after.len(), rows.len());
}

#[test]
fn the_demo_key_is_allowed_where_a_browser_shows_this_server() {
    assert_eq!(
        demo::self_origins("http://127.0.0.1:8080"),
        vec!["http://localhost:8080", "http://127.0.0.1:8080"]
    );
    assert_eq!(
        demo::self_origins("https://ship.example"),
        vec!["https://ship.example"]
    );
}

#[tokio::test]
async fn a_shipment_keeps_the_promise_its_lane_showed_at_order_time() {
    let app = spawn_app().await;
    demo::setup(&app.state, &app.tenant_a).await.unwrap();
    // What the product page showed for the lane, for this carrier.
    let shown = app
        .get_json(
            "/v1/edd?origin=110020&destination=560001&carrier=delhivery",
            &app.key_a,
        )
        .await;
    let date = shown["best"]["date"].clone();
    assert!(date.is_string(), "{shown}");
    let id = common::booked(&app, "delhivery", "ORD-PROMISE-1").await;
    let shipment = app
        .get_json(&format!("/v1/shipments/{id}"), &app.key_a)
        .await;
    assert_eq!(shipment["carrier"], "delhivery");
    assert_eq!(shipment["promise"]["date"], date, "{shipment}");
    assert_eq!(shipment["promise"]["confidence_percent"], 90);
    assert_eq!(shipment["promise"]["handover"], shown["best"]["handover"]);
    // A lane without history promised nothing, and says so.
    let fleet = app.create_shipment("ORD-PROMISE-2").await;
    assert_eq!(fleet["carrier"], "fleet");
    assert!(fleet["promise"].is_null(), "{fleet}");
}
