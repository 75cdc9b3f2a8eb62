//! Customer emails at milestones, sent over real SMTP to a sink in the test.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::spawn_app_configured;
use serde_json::{Value, json};
use shipgate_api::service::email::Mailer;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A minimal SMTP server: accepts everything, keeps each message's data.
async fn smtp_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let messages = Arc::new(Mutex::new(Vec::new()));
    let store = messages.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(data.take().unwrap());
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (url, messages)
}

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
