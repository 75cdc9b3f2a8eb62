//! Customer emails at milestones, sent over real SMTP to a sink in the test.

mod common;

use std::time::Duration;

use common::{smtp_sink, spawn_app_configured};
use serde_json::{Value, json};
use shipgate_api::service::email::Mailer;

#[tokio::test]
async fn milestones_email_the_customer() {
    let (smtp, inbox) = smtp_sink().await;
    let app = spawn_app_configured(|state| {
        state.mailer = Some(Mailer::new(&smtp, "Acme Store <orders@acme.example>").unwrap())
    })
    .await;
    let mut body = common::shipment_body("ORD-MAIL");
    body["consignee"]["email"] = json!("asha@example.com");
    let created: Value = app
        .post("/v1/shipments", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let awb = created["awb"].as_str().unwrap();
    for (status, at) in [
        ("picked_up", "2025-03-01T10:00:00Z"),
        ("in_transit", "2025-03-01T18:00:00Z"),
        ("out_for_delivery", "2025-03-02T08:00:00Z"),
    ] {
        app.scan(awb, status, at).await;
    }
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = inbox.lock().unwrap().clone();
        if seen.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Picked up and out for delivery are milestones; in transit is not.
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen[0].contains("Subject: Your order ORD-MAIL has shipped"),
        "{}",
        seen[0]
    );
    assert!(
        seen[1].contains("out for delivery")
            && (seen[1].contains("To: \"Asha Rao\" <asha@example.com>")
                || seen[1].contains("To: Asha Rao <asha@example.com>")),
        "{}",
        seen[1]
    );
    assert!(seen[1].contains(&format!("/track/{awb}")));

    // No email address, no email.
    let plain: Value = app
        .post("/v1/shipments", &app.key_a)
        .json(&common::shipment_body("ORD-NOMAIL"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    app.scan(
        plain["awb"].as_str().unwrap(),
        "picked_up",
        "2025-03-01T10:00:00Z",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(inbox.lock().unwrap().len(), 2);
}
