//! The audit log over HTTP: configuration changes made with a secret key
//! show up with the key as the actor, their action and object; refused
//! changes write nothing; another tenant sees none of it; and no secret the
//! changes carried (credentials, signing secrets, keys) is ever in it.
//! (Changes made in the dashboard are checked in `dashboard.rs`.)

mod common;

use common::{TestApp, spawn_app};
use serde_json::{Value, json};

/// The tenant's whole audit log, newest first (following the cursor).
async fn audit_log(app: &TestApp, key: &str, query: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/audit-log?limit=2&{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get_json(&path, key).await;
        entries.extend(page["data"].as_array().expect("a page").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return entries,
        }
    }
}

async fn send(request: reqwest::RequestBuilder, expected: u16) -> Value {
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, expected, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_changes_are_logged_with_their_key_and_without_secrets() {
    let app = spawn_app().await;
    let key = &app.key_a;
    let key_id = app
        .store
        .tenant_by_api_key_hash(&shipgate_api::keys::hash(key))
        .await
        .unwrap()
        .unwrap()
        .key_id;
    let before = audit_log(&app, key, "").await.len();

    // A live carrier account: its credentials are logged by name only.
    let account = send(
        app.post("/v1/carrier-accounts", key)
            .header("x-request-id", "audit-req-1")
            .json(&json!({"carrier": "delhivery", "name": "Audit live",
                "base_url": "https://track.delhivery.example",
                "credentials": {"api_token": "CREDENTIAL-VALUE-123"}})),
        201,
    )
    .await;
    let account_id = account["id"].as_str().unwrap();

    // A webhook endpoint: created (its URL's query, where a token could
    // hide, is dropped), updated, its secret rotated, deleted.
    let endpoint = send(
        app.post("/v1/webhook-endpoints", key).json(&json!({
            "url": "https://hooks.example/in?token=URL-TOKEN-456",
            "event_types": ["shipment.created"]
        })),
        201,
    )
    .await;
    let endpoint_id = endpoint["id"].as_str().unwrap();
    let first_secret = endpoint["secret"].as_str().unwrap().to_string();
    send(
        app.patch(&format!("/v1/webhook-endpoints/{endpoint_id}"), key)
            .json(&json!({"enabled": false})),
        200,
    )
    .await;
    let rotated = send(
        app.post(
            &format!("/v1/webhook-endpoints/{endpoint_id}/rotate-secret"),
            key,
        ),
        200,
    )
    .await;
    let second_secret = rotated["secret"].as_str().unwrap().to_string();
    send(
        app.client
            .delete(app.url(&format!("/v1/webhook-endpoints/{endpoint_id}")))
            .bearer_auth(key),
        204,
    )
    .await;

    // A publishable key, created and revoked; rules and branding.
    let publishable = send(
        app.post("/v1/publishable-keys", key)
            .json(&json!({"allowed_origins": ["https://shop.example"]})),
        201,
    )
    .await;
    let publishable_id = publishable["id"].as_str().unwrap();
    let publishable_key = publishable["key"].as_str().unwrap().to_string();
    send(
        app.client
            .delete(app.url(&format!("/v1/publishable-keys/{publishable_id}")))
            .bearer_auth(key),
        204,
    )
    .await;
    send(
        app.client
            .put(app.url("/v1/allocation-rules"))
            .bearer_auth(key)
            .json(&json!({"rules": [{"name": "Cheapest", "prefer": ["ekart"]}]})),
        200,
    )
    .await;
    send(
        app.client
            .put(app.url("/v1/ndr-rules"))
            .bearer_auth(key)
            .json(&json!({"rto_after_attempts": 3})),
        200,
    )
    .await;
    send(
        app.client
            .put(app.url("/v1/branding"))
            .bearer_auth(key)
            .json(&json!({"display_name": "Acme", "primary_color": "#112233"})),
        200,
    )
    .await;
    send(
        app.client
            .put(app.url(&format!("/v1/carrier-accounts/{account_id}/serviceability")))
            .bearer_auth(key)
            .header("content-type", "text/csv")
            .body("postal_code,prepaid\n560001,yes\n110001,no\n"),
        200,
    )
    .await;

    // Another secret key, made and revoked.
    let secret_key = send(
        app.post("/v1/api-keys", key)
            .json(&json!({"label": "scanner"})),
        201,
    )
    .await;
    let secret_key_id = secret_key["id"].as_str().unwrap();
    let new_secret_key = secret_key["key"].as_str().unwrap().to_string();
    send(
        app.client
            .delete(app.url(&format!("/v1/api-keys/{secret_key_id}")))
            .bearer_auth(key),
        204,
    )
    .await;

    // Refused changes write nothing.
    send(
        app.client
            .put(app.url("/v1/branding"))
            .bearer_auth(key)
            .json(&json!({"primary_color": "red"})),
        422,
    )
    .await;
    send(
        app.patch(&format!("/v1/webhook-endpoints/{endpoint_id}"), key)
            .json(&json!({"enabled": true})),
        404,
    )
    .await;
    send(
        app.client
            .delete(app.url(&format!("/v1/publishable-keys/{publishable_id}")))
            .bearer_auth(key),
        404,
    )
    .await;
    send(
        app.post("/v1/carrier-accounts", key).json(
            &json!({"carrier": "delhivery", "base_url": "https://x.example",
                "credentials": {}}),
        ),
        422,
    )
    .await;

    let log = audit_log(&app, key, "").await;
    let new = &log[..log.len() - before];
    assert_eq!(
        actions(new),
        [
            "api_key.revoked",
            "api_key.created",
            "serviceability.imported",
            "branding.updated",
            "ndr_rules.replaced",
            "allocation_rules.replaced",
            "publishable_key.revoked",
            "publishable_key.created",
            "webhook_endpoint.deleted",
            "webhook_endpoint.secret_rotated",
            "webhook_endpoint.updated",
            "webhook_endpoint.created",
            "carrier_account.created",
        ],
        "{new:#?}"
    );
    for entry in new {
        assert_eq!(entry["actor_type"], "api_key", "{entry}");
        assert_eq!(entry["actor_id"], key_id.as_str(), "{entry}");
    }
    assert_eq!(new[0]["object_id"], secret_key_id);
    assert_eq!(new[1]["object_id"], secret_key_id);
    assert_eq!(new[1]["summary"]["label"], "scanner");
    let all_new = new;
    let new = &new[2..];
    let created = &new[10];
    assert_eq!(created["object_type"], "carrier_account");
    assert_eq!(created["object_id"], account_id);
    assert_eq!(created["request_id"], "audit-req-1");
    assert_eq!(created["summary"]["credentials"], json!(["api_token"]));
    assert_eq!(new[9]["object_id"], endpoint_id);
    assert_eq!(new[9]["summary"]["url"], "https://hooks.example/in");
    assert_eq!(new[8]["summary"]["changed"], json!(["enabled"]));
    assert_eq!(new[8]["summary"]["enabled"], false);
    assert_eq!(new[5]["object_id"], publishable_id);
    assert_eq!(new[3]["summary"]["rules"], json!(["Cheapest"]));
    assert_eq!(new[1]["summary"]["primary_color"], "#112233");
    assert_eq!(new[0]["object_id"], account_id);
    assert_eq!(new[0]["summary"]["entries_written"], 2);
    // Every entry has its own request id.
    let ids: std::collections::BTreeSet<_> = all_new
        .iter()
        .map(|e| e["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), all_new.len());

    let text = Value::from(log.clone()).to_string();
    for secret in [
        "CREDENTIAL-VALUE-123",
        "URL-TOKEN-456",
        first_secret.as_str(),
        second_secret.as_str(),
        publishable_key.as_str(),
        new_secret_key.as_str(),
        app.key_a.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} is in the audit log");
    }

    // Filters.
    let of_endpoint = audit_log(&app, key, &format!("object_id={endpoint_id}")).await;
    assert_eq!(
        actions(&of_endpoint),
        [
            "webhook_endpoint.deleted",
            "webhook_endpoint.secret_rotated",
            "webhook_endpoint.updated",
            "webhook_endpoint.created",
        ]
    );
    let revoked = audit_log(&app, key, "action=publishable_key.revoked").await;
    assert_eq!(actions(&revoked), ["publishable_key.revoked"]);
    let keys = audit_log(&app, key, "object_type=publishable_key").await;
    assert_eq!(keys.len(), 2);
    let since = new[1]["at"].as_str().unwrap();
    let recent = audit_log(&app, key, &format!("since={since}")).await;
    assert_eq!(
        actions(&recent)[..4],
        [
            "api_key.revoked",
            "api_key.created",
            "serviceability.imported",
            "branding.updated"
        ]
    );
    assert!(
        audit_log(
            &app,
            key,
            "since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z"
        )
        .await
        .is_empty()
    );
    let bad = app
        .get("/v1/audit-log?since=yesterday", key)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // Tenant B sees none of A's entries.
    let of_b = audit_log(&app, &app.key_b, "").await;
    let b_text = Value::from(of_b).to_string();
    for a_object in [account_id, endpoint_id, publishable_id, key_id.as_str()] {
        assert!(!b_text.contains(a_object), "B sees {a_object}");
    }
    assert!(
        audit_log(&app, &app.key_b, &format!("object_id={endpoint_id}"))
            .await
            .is_empty()
    );
}
