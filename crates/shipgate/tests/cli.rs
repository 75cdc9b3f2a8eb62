//! The binary as a newcomer uses it: `tenants create`, `migrate`, `serve`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shipgate_storage::testing::fresh_database_url;

fn shipgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shipgate"));
    // Keep the developer's own configuration out of the test.
    cmd.env_remove("DATABASE_URL")
        .env_remove("SHIPGATE_DATABASE_URL")
        .env_remove("SHIPGATE_LISTEN")
        .env_remove("SHIPGATE_CONFIG");
    cmd.current_dir(std::env::temp_dir());
    cmd.env("SHIPGATE_SECRET_KEY", "ab".repeat(32));
    cmd
}

#[tokio::test]
async fn tenants_create_prints_the_key_last_and_migrate_is_repeatable() {
    let url = fresh_database_url().await;
    let out = shipgate()
        .args(["tenants", "create", "Acme Retail"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("sg_live_") && last.len() == 72, "{stdout}");
    assert!(stdout.contains("Acme Retail"));

    for _ in 0..2 {
        let out = shipgate()
            .args(["migrate", "--database", &url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = shipgate()
        .args(["tenants", "create", " "])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn serve_reads_a_config_file_and_is_ready_to_call() {
    let url = fresh_database_url().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = std::env::temp_dir().join(format!("shipgate-test-{port}.toml"));
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:{port}\"\ndatabase_url = \"{url}\"\n"),
    )
    .unwrap();
    let mut child = shipgate()
        .args(["serve", "--config"])
        .arg(&config)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // First start on an empty database prints a key for a default tenant.
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some(key) = line.split_whitespace().find(|w| w.starts_with("sg_live_")) {
                let _ = tx.send(key.to_string());
            }
        }
    });
    let key = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("serve printed the first tenant's key");

    shipgate_carriers::client::install_tls_provider();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = serde_json::json!({
        "order_reference": "CLI-1",
        "pickup": {"name": "W", "phone": "9876543210", "line1": "1 Road", "city": "Delhi", "state": "Delhi", "postal_code": "110001"},
        "consignee": {"name": "C", "phone": "9812345678", "line1": "2 Road", "city": "Mumbai", "state": "MH", "postal_code": "400001"},
        "parcels": [{"weight_grams": 400}],
        "payment_mode": "prepaid",
        "declared_value": 50000
    });
    let r = client
        .post(format!("{base}/v1/shipments"))
        .bearer_auth(&key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(config);
}
