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

/// `shipgate tenants create ARGS…` on `url`, which must succeed; its stdout.
fn tenants_create(url: &str, args: &[&str]) -> String {
    let out = shipgate()
        .args(["tenants", "create"])
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn tenants_create_prints_the_key_last_and_migrate_is_repeatable() {
    let url = fresh_database_url().await;
    let stdout = tenants_create(&url, &["Acme Retail"]);
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
    // With a publishable key for the widget: printed before the API key.
    let stdout = tenants_create(
        &url,
        &["Bolt", "--publishable-origin", "https://Shop.Example/"],
    );
    assert!(
        stdout.lines().last().unwrap().starts_with("sg_live_"),
        "{stdout}"
    );
    let publishable = stdout
        .lines()
        .find(|l| l.starts_with("sg_pub_"))
        .unwrap_or_else(|| panic!("no publishable key: {stdout}"));
    let store = shipgate_storage::connect(&url).await.unwrap();
    let (tenant, key) = store
        .publishable_key_by_hash(&shipgate_api::keys::hash(publishable))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.name, "Bolt");
    assert_eq!(key.allowed_origins, vec!["https://shop.example"]);
    let out = shipgate()
        .args([
            "tenants",
            "create",
            "Bad",
            "--publishable-origin",
            "shop.example",
        ])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());

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
            if line.starts_with("Sandbox dashboard:") {
                let _ = tx.send(line);
            }
        }
    });
    let key = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("serve printed the first tenant's key");
    // And a dashboard user to sign in with: "… as EMAIL with password PASSWORD (shown once)".
    let demo = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("serve printed the sandbox's dashboard user");
    let words: Vec<&str> = demo.split_whitespace().collect();
    let after = |w: &str| words[words.iter().position(|x| *x == w).unwrap() + 1].to_string();
    let (email, password) = (after("as"), after("password"));

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

    // The printed user signs in to the dashboard.
    let browser = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = browser
        .get(format!("{base}/app/login"))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = r.text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let csrf = &page[start..start + page[start..].find('"').unwrap()];
    let r = browser
        .post(format!("{base}/app/login"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf={csrf}&email={}&password={}",
            email.replace('@', "%40"),
            password
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{demo}");
    assert_eq!(r.headers()["location"], "/app/shipments");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(config);
}

#[tokio::test]
async fn users_create_takes_the_password_from_the_environment_or_stdin() {
    use std::io::Write;
    let url = fresh_database_url().await;
    let stdout = tenants_create(&url, &["Acme Retail"]);
    let tenant = stdout
        .split_whitespace()
        .find(|w| w.starts_with("(ten_"))
        .unwrap()
        .trim_matches(['(', ')', ','])
        .to_string();
    let create_in = |tenant: &str, email: &str| {
        let mut cmd = shipgate();
        cmd.args(["users", "create", "--tenant", tenant, "--email", email])
            .env("DATABASE_URL", &url)
            .env_remove("SHIPGATE_USER_PASSWORD");
        cmd
    };
    let create = |email: &str| create_in(&tenant, email);
    let out = create("ops@acme.example")
        .env("SHIPGATE_USER_PASSWORD", "a long passphrase")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ops@acme.example"));

    let mut child = create("Desk@Acme.example")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"another long one\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let store = shipgate_storage::connect(&url).await.unwrap();
    let user = store
        .user_by_email("desk@acme.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.tenant_id, tenant);
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert!(shipgate_api::dashboard::session::verify_password(
        "another long one",
        &user.password_hash
    ));

    // Taken emails, short passwords and unknown tenants are refused.
    for (email, password, tenant_override) in [
        ("ops@acme.example", "a long passphrase", None),
        ("new@acme.example", "short", None),
        ("new@acme.example", "a long passphrase", Some("ten_nosuch")),
    ] {
        let mut cmd = create_in(tenant_override.unwrap_or(&tenant), email);
        cmd.env("SHIPGATE_USER_PASSWORD", password);
        let out = cmd.output().unwrap();
        assert!(
            !out.status.success(),
            "{email} {password} {tenant_override:?}"
        );
    }
}

/// Starts `serve` with extra arguments; the caller kills it.
fn serve(url: &str, args: &[&str]) -> std::process::Child {
    shipgate()
        .args(["--database", url, "serve"])
        .args(args)
        .env("SHIPGATE_SANDBOX", "false")
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn api_and_worker_processes_share_the_work() {
    let url = fresh_database_url().await;
    let store = shipgate_storage::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let key = shipgate_api::keys::issue();
    store
        .create_tenant("Acme", &key.hash, &key.prefix)
        .await
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut api = serve(&url, &["--role", "api", "--listen", &listen]);

    shipgate_carriers::client::install_tls_provider();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://{listen}");
    let started = Instant::now();
    while !client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "api did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = serde_json::json!({
        "order_reference": "ROLE-1", "carrier": "fleet",
        "pickup": {"name": "W", "phone": "9876543210", "line1": "1 Road", "city": "Delhi", "state": "Delhi", "postal_code": "110001"},
        "consignee": {"name": "C", "phone": "9812345678", "line1": "2 Road", "city": "Mumbai", "state": "MH", "postal_code": "400001"},
        "parcels": [{"weight_grams": 400}], "payment_mode": "prepaid", "declared_value": 50000
    });
    let shipment: serde_json::Value = client
        .post(format!("{base}/v1/shipments"))
        .bearer_auth(&key.secret)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let awb = shipment["awb"].as_str().unwrap();
    let scans = serde_json::json!({"scans": [
        {"awb": awb, "status": "picked_up", "occurred_at": "2026-11-20T10:00:00Z"},
        {"awb": awb, "status": "delivered", "occurred_at": "2026-11-22T10:00:00Z"}
    ]});
    let r = client
        .post(format!("{base}/v1/fleet/scans"))
        .bearer_auth(&key.secret)
        .json(&scans)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The API process runs no jobs: the delivery waits in the jobs table.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        store
            .edd_observations_after(0, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A worker process on the same database picks it up.
    let mut worker = serve(&url, &["--role", "worker"]);
    let started = Instant::now();
    let rows = loop {
        let rows = store.edd_observations_after(0, 10).await.unwrap();
        if !rows.is_empty() || started.elapsed() > Duration::from_secs(30) {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let _ = api.kill();
    let _ = worker.kill();
    let _ = api.wait();
    let _ = worker.wait();
    assert_eq!(rows.len(), 1, "the worker process ran the delivery's job");
    assert_eq!(rows[0].source_ref, shipment["id"].as_str().unwrap());
}

#[tokio::test]
async fn a_bad_rate_limit_stops_serve_with_a_clear_error() {
    let url = fresh_database_url().await;
    let out = shipgate()
        .args(["--database", &url, "serve", "--listen", "127.0.0.1:0"])
        .env("SHIPGATE_SANDBOX", "false")
        .env("SHIPGATE_PUBLISHABLE_RATE_PER_KEY", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("publishable_rate_"), "{stderr}");
}

#[tokio::test]
async fn a_bad_worker_lease_stops_serve_with_a_clear_error() {
    let url = fresh_database_url().await;
    for (name, value) in [
        ("SHIPGATE_WORKER_LEASE_SECONDS", "0"),
        ("SHIPGATE_WEBHOOK_TIMEOUT_SECONDS", "-1"),
    ] {
        let out = shipgate()
            .args(["--database", &url, "serve", "--listen", "127.0.0.1:0"])
            .env("SHIPGATE_SANDBOX", "false")
            .env(name, value)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let key = name.trim_start_matches("SHIPGATE_").to_ascii_lowercase();
        assert!(stderr.contains(&key), "{stderr}");
    }
}
