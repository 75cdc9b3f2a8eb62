//! `shipgate edd backtest` end to end: a generic CSV written here, and the
//! shared Olist records when the checkout has them beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn backtest(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_shipgate"))
        .args(["edd", "backtest"])
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "backtest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("replayed"),
        "progress goes to stderr: {stderr}"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_generic_csv_is_backtested_into_one_json_object() {
    // Two lanes: Bengaluru → Delhi in 2 days, Mumbai → Kolkata in 2 to 6.
    let mut csv = String::from(
        "order_id,carrier,origin,destination,ordered_at,picked_up_at,delivered_at,promised_date\n",
    );
    let start = jiff::civil::date(2026, 1, 5);
    for i in 0..200i64 {
        let ordered = start + jiff::Span::new().days(i / 2);
        let (origin, destination, transit) = if i % 2 == 0 {
            ("560001", "110001", 2)
        } else {
            ("400001", "700001", 2 + i % 5)
        };
        let delivered = shipgate_edd::Calendar::default().add_working_days(ordered, transit as u32);
        let promised = ordered + jiff::Span::new().days(10);
        csv.push_str(&format!(
            "o{i},delhivery,{origin},{destination},{ordered} 09:00:00,{ordered} 18:00:00,{delivered} 14:00:00,{promised}\n"
        ));
    }
    csv.push_str("bad,delhivery,560001,110001,yesterday,,,\n");
    let path = std::env::temp_dir().join(format!("edd-backtest-{}.csv", std::process::id()));
    std::fs::write(&path, csv).unwrap();

    let report = backtest(&[
        "--file",
        path.to_str().unwrap(),
        "--train-until",
        "2026-02-16",
        "--confidence",
        "0.5,0.9",
    ]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(report["learned"], 200);
    let scored = report["scored"].as_u64().unwrap();
    assert!(scored > 50, "{report}");
    for level in ["p50", "p90"] {
        let r = &report[level];
        assert_eq!(r["n"].as_u64().unwrap(), scored);
        for field in [
            "on_time_rate",
            "mae_days",
            "mean_promise_days",
            "mean_actual_days",
        ] {
            assert!(r[field].is_number(), "{level}.{field} missing");
            assert!(
                r["seller_estimate"][field].is_number(),
                "seller {field} missing"
            );
        }
        // The sellers promised 10 days; learned promises are far tighter.
        assert_eq!(r["seller_estimate"]["mean_promise_days"], 10.0);
        assert!(r["mean_promise_days"].as_f64().unwrap() < 8.0, "{report}");
    }
    assert!(
        report["p90"]["on_time_rate"].as_f64().unwrap()
            >= report["p50"]["on_time_rate"].as_f64().unwrap()
    );
}

/// `../shared/data` beside the workspace, where this project's data lives.
fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    dir.join("olist/orders_2017_jan_aug.csv")
        .exists()
        .then_some(dir)
}

#[test]
fn olist_promises_meet_the_targets() {
    let Some(data) = shared_data() else {
        eprintln!("skipped: ../shared/data/olist is not beside this checkout");
        return;
    };
    let olist = data.join("olist");
    let file = |name: &str| olist.join(name).to_str().unwrap().to_string();
    let holidays = data.join("holidays/brazil_holidays_2016_2019.csv");
    let report = backtest(&[
        "--format",
        "olist",
        "--orders",
        &file("orders_2017_jan_aug.csv"),
        "--items",
        &file("order_items_2017_jan_aug.csv"),
        "--customers",
        &file("customers.csv"),
        "--sellers",
        &file("sellers.csv"),
        "--geolocation",
        &file("geolocation_zip_prefix_median.csv"),
        "--holidays",
        holidays.to_str().unwrap(),
        "--train-until",
        "2017-07-01",
    ]);
    let p90 = &report["p90"];
    let on_time = p90["on_time_rate"].as_f64().unwrap();
    assert!((0.88..=0.92).contains(&on_time), "P90 on-time {on_time}");
    let shorter = p90["seller_estimate"]["mean_promise_days"]
        .as_f64()
        .unwrap()
        - p90["mean_promise_days"].as_f64().unwrap();
    assert!(
        shorter >= 6.0,
        "P90 promise only {shorter} days shorter than the seller's"
    );
    let mae = report["p50"]["mae_days"].as_f64().unwrap();
    assert!(mae < 6.0, "P50 MAE {mae}");
}

#[tokio::test]
async fn import_stores_delivered_orders_once() {
    let url = shipgate_storage::testing::fresh_database_url().await;
    let csv = "order_id,carrier,origin,destination,ordered_at,delivered_at\n\
               a,Delhivery,560001,110001,2026-01-02 10:00:00,2026-01-05 12:00:00\n\
               b,delhivery,560001,110001,2026-01-03 10:00:00,\n\
               c,ekart,400001,700001,2026-01-03 11:00:00,2026-01-08 09:00:00\n";
    let path = std::env::temp_dir().join(format!("edd-import-{}.csv", std::process::id()));
    std::fs::write(&path, csv).unwrap();
    let import = || {
        let out = Command::new(env!("CARGO_BIN_EXE_shipgate"))
            .args([
                "--database",
                &url,
                "edd",
                "import",
                "--source",
                "test",
                "--file",
            ])
            .arg(&path)
            .env("SHIPGATE_SECRET_KEY", "ab".repeat(32))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(import().contains("Imported 2 new deliveries from 3 orders"));
    assert!(
        import().contains("Imported 0 new deliveries"),
        "a re-import adds nothing"
    );
    std::fs::remove_file(&path).unwrap();
    let store = shipgate_storage::connect(&url).await.unwrap();
    let rows = store.edd_observations_after(0, 10).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].carrier, "delhivery");
    assert_eq!(rows[0].source, "import:test");
    // The import that added rows asked a worker to rebuild the model; the one
    // that added nothing did not.
    let jobs = store
        .claim_jobs("test", 10, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let rebuilds = jobs.iter().filter(|j| j.kind == "edd.rebuild").count();
    assert_eq!(rebuilds, 1);
}
