//! Logs never hold personal data (phone numbers, addresses, names) or
//! carrier credentials. Every log line of this test binary is captured
//! (debug level, every crate) while shipments are created, changed, booked at
//! a carrier and pushed about, and searched for them.

mod common;

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use common::{TestApp, booked, shipment_body, spawn_app};
use serde_json::{Value, json};

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_writer(|| Capture)
            .with_ansi(false)
            .init();
    });
}

fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

fn assert_absent(logs: &str, secrets: &[&str]) {
    for secret in secrets {
        let at = logs.find(secret);
        assert!(
            at.is_none(),
            "{secret:?} was logged: …{}…",
            at.map(|i| &logs[i.saturating_sub(300)..(i + 100).min(logs.len())])
                .unwrap_or_default()
        );
    }
}

async fn carrier_account(app: &TestApp, carrier: &str) -> Value {
    app.post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": carrier, "sandbox": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn phones_addresses_and_names_stay_out_of_the_logs() {
    capture_logs();
    let app = spawn_app().await;
    // A fleet shipment, then a change of its address and phone.
    let shipment = app.create_shipment("ORD-PII-1").await;
    let id = shipment["id"].as_str().unwrap();
    let r = app
        .patch(&format!("/v1/shipments/{id}"), &app.key_a)
        .json(&json!({"consignee": {"name": "Asha Rao", "phone": "9876501234", "line1": "44 Residency Road",
            "city": "Bengaluru", "state": "Karnataka", "postal_code": "560025"}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    // Booked at carriers (their requests carry the addresses) and tracked.
    for carrier in ["delhivery", "bluedart", "ecom_express"] {
        booked(&app, carrier, &format!("ORD-PII-{carrier}")).await;
    }
    // A batch whose rows carry the same data, one of them invalid.
    let mut bad = shipment_body("ORD-PII-BAD");
    bad["consignee"]["postal_code"] = "0000".into();
    let r = app
        .post("/v1/shipments/batch", &app.key_a)
        .json(&json!({"shipments": [shipment_body("ORD-PII-B1"), bad]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // A push refused for its token and one refused as malformed, both
    // carrying the consignee's details (the log quotes refused pushes).
    let account = carrier_account(&app, "delhivery").await;
    let hook = format!("/hooks/carriers/{}", account["id"].as_str().unwrap());
    let push = json!({"Shipment": {"AWB": "1234", "Consignee": {"Name": "Asha Rao",
        "Address1": "12 MG Road", "Telephone1": "+91 98123 45678"}, "consignee_phone": "9812345678"}});
    let r = app
        .client
        .post(app.url(&hook))
        .header("X-Delhivery-Token", "wrong")
        .json(&push)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(app.url(&hook))
        .body("{\"Shipment\": {\"Consignee\": {\"Name\": \"Asha Rao\", \"Telephone1\": \"9812345678\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let logs = logs();
    assert!(
        logs.contains("carrier push refused"),
        "the capture works: {}",
        &logs[..logs.len().min(2000)]
    );
    assert!(logs.contains("/v1/shipments"), "requests are logged");
    assert_absent(
        &logs,
        &[
            "9812345678",
            "98123 45678",
            "9876501234",
            "9876543210",
            "Asha Rao",
            "MG Road",
            "Residency Road",
            "Okhla Phase",
        ],
    );
}

#[tokio::test]
async fn carrier_credentials_are_sealed_and_never_returned_or_logged() {
    capture_logs();
    let app = spawn_app().await;
    let simulator = app.state.sandbox.as_ref().unwrap().url.clone();
    let (token, push_secret) = ("tok-SECRET-4242-delhivery", "whs-SECRET-4242-push");
    let r = app
        .post("/v1/carrier-accounts", &app.key_a)
        .json(&json!({"carrier": "delhivery", "base_url": simulator,
            "credentials": {"api_token": token, "webhook_secret": push_secret},
            "settings": {"pickup_location": "Acme Warehouse"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created = r.text().await.unwrap();
    let account: Value = serde_json::from_str(&created).unwrap();
    let id = account["id"].as_str().unwrap();
    // The names are shown, never the values.
    assert!(created.contains("api_token"), "{created}");
    let shown = [
        created,
        app.get(&format!("/v1/carrier-accounts/{id}"), &app.key_a)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        app.get("/v1/carrier-accounts?limit=100", &app.key_a)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    ];
    for body in &shown {
        assert!(!body.contains("SECRET-4242"), "{body}");
    }
    // Sealed at rest: the stored record does not hold them in clear.
    let record = app
        .store
        .carrier_account(&app.tenant_a.id, id)
        .await
        .unwrap()
        .unwrap();
    assert!(!record.sealed_credentials.contains("SECRET"));
    assert!(!record.sealed_credentials.contains("api_token"));

    // Used: a booking sends the token to the carrier; pushes are checked
    // against the push secret (right and wrong).
    let mut body = shipment_body("ORD-CRED-1");
    body.as_object_mut().unwrap().remove("carrier");
    body["carrier_account_id"] = id.into();
    let r = app
        .post("/v1/shipments", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap();
    let booking = r.text().await.unwrap();
    assert!(!booking.contains("SECRET-4242"), "{booking}");
    for given in [push_secret, "tok-SECRET-4242-wrong"] {
        let r = app
            .client
            .post(app.url(&format!("/hooks/carriers/{id}")))
            .header("X-Delhivery-Token", given)
            .body("not json")
            .send()
            .await
            .unwrap();
        let answer = r.text().await.unwrap();
        assert!(!answer.contains("SECRET-4242"), "{answer}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let logs = logs();
    assert!(logs.contains("carrier push refused"), "the capture works");
    assert_absent(&logs, &["SECRET-4242"]);
}
