//! The NDR desk end to end: records, the self-service page reached from the
//! failed-delivery email, one action per NDR under concurrency, the tenant's
//! rules, and reporting — against the sandbox carriers and the fleet.

mod common;

use std::time::Duration;

use common::{
    TestApp, advance, booked, booked_body, problem, smtp_sink, spawn_app, spawn_app_configured,
    status_becomes,
};
use jiff::SignedDuration;
use serde_json::{Value, json};
use shipgate_api::service::email::Mailer;
use shipgate_api::service::ndr_link::{self, LinkClaims};
use shipgate_domain::NdrReason;

/// The shipment's NDR with this attempt number once `check` holds for it (5 s at most).
async fn ndr_becomes(
    app: &TestApp,
    shipment: &str,
    attempt: u64,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        for state in [
            "",
            "&state=resolved_delivered",
            "&state=resolved_rto",
            "&state=closed",
        ] {
            let page: Value = app
                .get_json(
                    &format!("/v1/ndr?shipment_id={shipment}{state}"),
                    &app.key_a,
                )
                .await;
            if let Some(n) = page["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["attempt"] == attempt)
            {
                last = n.clone();
                if check(n) {
                    return last;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events: Value = app
        .get_json(&format!("/v1/shipments/{shipment}/events"), &app.key_a)
        .await;
    panic!("NDR {attempt} of {shipment} never got there: {last}\n{events}");
}

/// Every carrier whose status table has a failed-delivery code (the others
/// cannot show an NDR journey), whether it has an NDR API, and the reasons
/// its codes can express.
fn carriers() -> Vec<(&'static str, bool, Vec<NdrReason>)> {
    use shipgate_carriers::core::Capability;
    use shipgate_domain::ShipmentStatus;
    let all = shipgate_carriers::adapters();
    let shown: Vec<_> = all
        .iter()
        .filter(|a| {
            a.status_codes()
                .iter()
                .any(|c| c.status == ShipmentStatus::DeliveryFailed)
        })
        .map(|a| {
            let reasons = a
                .status_codes()
                .iter()
                .filter_map(|c| c.ndr_reason)
                .collect();
            (
                a.carrier(),
                a.capabilities().contains(&Capability::NdrAction),
                reasons,
            )
        })
        .collect();
    for a in &all {
        if !shown.iter().any(|(c, ..)| *c == a.carrier()) {
            println!(
                "{}: no failed-delivery code in its table; NDR journey not shown",
                a.carrier()
            );
        }
    }
    assert!(shown.len() >= 5, "most carriers show the NDR journey");
    shown
}

fn tomorrow() -> String {
    shipgate_api::service::ndr::today()
        .tomorrow()
        .unwrap()
        .to_string()
}

/// The self-service link in the last email about `awb` (quoted-printable undone).
fn link_in_mail(inbox: &[String], awb: &str) -> Option<String> {
    let mail = inbox
        .iter()
        .rev()
        .map(|m| m.replace("=\n", "").replace("=3D", "="))
        .find(|m| m.contains(awb) && m.contains("/ndr/"))?;
    let start = mail.find("/ndr/")? + "/ndr/".len();
    let token: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    Some(token)
}

async fn mailed_link(app: &TestApp, inbox: &std::sync::Mutex<Vec<String>>, awb: &str) -> String {
    for _ in 0..100 {
        if let Some(token) = link_in_mail(&inbox.lock().unwrap(), awb) {
            return token;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = app;
    panic!("no self-service email for {awb}");
}

/// The customer opens the self-service link.
async fn open_page(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/ndr/{token}")))
        .send()
        .await
        .unwrap()
}

async fn answer(app: &TestApp, token: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let mut fields = vec![("token", token)];
    fields.extend_from_slice(form);
    app.client
        .post(app.url(&format!("/ndr/{token}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn customer_picks_a_date_on_the_emailed_page_and_the_parcel_is_delivered_for_every_carrier() {
    let (smtp, inbox) = smtp_sink().await;
    let app = spawn_app_configured(|state| {
        state.mailer = Some(Mailer::new(&smtp, "Acme <orders@acme.example>").unwrap())
    })
    .await;
    app.client
        .put(app.url("/v1/branding"))
        .bearer_auth(&app.key_a)
        .json(&json!({"display_name": "Acme Gadgets", "primary_color": "#123456"}))
        .send()
        .await
        .unwrap();
    // References stay within Blue Dart's 20 characters.
    for (i, (carrier, has_ndr_api, reasons)) in carriers().into_iter().enumerate() {
        // The consignee needs an email for the link to reach them.
        let mut body = common::shipment_body(&format!("S{i}-sim-ndr-delivered"));
        body["consignee"]["email"] = json!("asha@example.com");
        let id = booked_body(&app, carrier, body).await;
        let s: Value = app
            .get_json(&format!("/v1/shipments/{id}"), &app.key_a)
            .await;
        let awb = s["awb"].as_str().unwrap().to_string();
        advance(&app, &id, 45).await;
        status_becomes(&app, &id, "delivery_failed").await;
        let ndr = ndr_becomes(&app, &id, 1, |n| n["state"] == "open").await;
        if reasons.contains(&NdrReason::CustomerUnavailable) {
            assert_eq!(ndr["reason"], "customer_unavailable", "{carrier}");
        }
        assert_eq!(ndr["carrier"], carrier);
        let token = mailed_link(&app, &inbox, &awb).await;
        let page = open_page(&app, &token).await;
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Acme Gadgets") && html.contains("#123456"),
            "branded"
        );
        assert!(
            html.contains("name=choice value=reattempt") && html.contains("width=device-width"),
            "{html}"
        );

        let r = answer(
            &app,
            &token,
            &[("choice", "reattempt"), ("date", &tomorrow())],
        )
        .await;
        if has_ndr_api {
            assert_eq!(r.status(), 200, "{carrier}: {}", r.text().await.unwrap());
            let sent = ndr_becomes(&app, &id, 1, |n| n["state"] == "action_sent").await;
            assert_eq!(
                (sent["actor"].as_str(), sent["action"]["action"].as_str()),
                (Some("customer"), Some("reattempt"))
            );
            advance(&app, &id, 25).await;
        } else {
            // No NDR API: the customer is told, the NDR stays open, and the
            // carrier re-attempts on its own after a day.
            assert_eq!(r.status(), 422, "{carrier}");
            assert!(r.text().await.unwrap().contains("no NDR API"));
            ndr_becomes(&app, &id, 1, |n| {
                n["state"] == "open" && n["action"].is_null()
            })
            .await;
            advance(&app, &id, 49).await;
        }
        status_becomes(&app, &id, "delivered").await;
        ndr_becomes(&app, &id, 1, |n| n["state"] == "resolved_delivered").await;
        // The page now says so and takes no more answers.
        let html = open_page(&app, &token).await.text().await.unwrap();
        assert!(
            html.contains("delivered") && !html.contains("name=choice"),
            "{carrier}"
        );
    }
}

#[tokio::test]
async fn three_failed_attempts_return_to_origin_by_the_rule_for_every_carrier() {
    let app = spawn_app().await;
    // Every reason: carriers with coarse codes report the first failure differently.
    let rules = json!({
        "rto_after_attempts": 3,
        "auto_reattempt": {"reasons": NdrReason::ALL, "max_attempt": 1}
    });
    let r = app
        .client
        .put(app.url("/v1/ndr-rules"))
        .bearer_auth(&app.key_a)
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for (i, (carrier, has_ndr_api, reasons)) in carriers().into_iter().enumerate() {
        let id = booked(&app, carrier, &format!("R{i}-sim-ndr-rto")).await;
        advance(&app, &id, 45).await;
        status_becomes(&app, &id, "delivery_failed").await;
        if has_ndr_api {
            // Attempt 1: re-attempted once by the rule, at once.
            let first = ndr_becomes(&app, &id, 1, |n| n["state"] == "action_sent").await;
            assert_eq!(first["actor"], "rule:auto_reattempt", "{carrier}");
            advance(&app, &id, 25).await;
        } else {
            ndr_becomes(&app, &id, 1, |n| n["state"] == "open").await;
            // The carrier re-attempts by itself a day later.
            advance(&app, &id, 48).await;
        }
        // Attempt 2 (refused): no rule applies; the carrier re-attempts after a day.
        let second = ndr_becomes(&app, &id, 2, |n| n["state"] == "open").await;
        if reasons.contains(&NdrReason::Refused) {
            assert_eq!(second["reason"], "refused", "{carrier}");
        }
        advance(&app, &id, 48).await;
        // Attempt 3: the rule returns it at once, where the carrier has an NDR API.
        if has_ndr_api {
            let third = ndr_becomes(&app, &id, 3, |n| n["state"] == "resolved_rto").await;
            assert_eq!(third["actor"], "rule:rto_after_attempts", "{carrier}");
            assert_eq!(third["action"]["action"], "return_to_origin");
            status_becomes(&app, &id, "rto_requested").await;
        } else {
            // DTDC has no NDR API and cancels nothing once moving: the rule's
            // return is refused (kept on the record), and the carrier returns
            // the parcel itself a day later.
            let third = ndr_becomes(&app, &id, 3, |n| n["state"] == "failed").await;
            assert_eq!(third["actor"], "rule:rto_after_attempts");
            assert!(
                third["error"]
                    .as_str()
                    .unwrap()
                    .contains("can no longer be cancelled"),
                "{third}"
            );
            advance(&app, &id, 24).await;
        }
        advance(&app, &id, 53).await;
        status_becomes(&app, &id, "rto_delivered").await;
        ndr_becomes(&app, &id, 3, |n| n["state"] == "resolved_rto").await;
        ndr_becomes(&app, &id, 1, |n| n["state"] == "closed").await;
    }
}

#[tokio::test]
async fn desk_and_customer_at_once_send_one_action_to_the_carrier() {
    let app = spawn_app().await;
    for round in 0..3 {
        let id = booked(
            &app,
            "delhivery",
            &format!("RACE-{round}-sim-ndr-delivered"),
        )
        .await;
        advance(&app, &id, 45).await;
        let ndr = ndr_becomes(&app, &id, 1, |n| n["state"] == "open").await;
        let awb = ndr["awb"].as_str().unwrap();
        let token = ndr_link::token_for(
            &app.state,
            &app.tenant_a.id,
            &id,
            ndr["id"].as_str().unwrap(),
        );
        let desk = app
            .post(&format!("/v1/shipments/{id}/ndr-actions"), &app.key_a)
            .json(&json!({"action": "reattempt"}))
            .send();
        let date = tomorrow();
        let form = [("choice", "reattempt"), ("date", date.as_str())];
        let customer = answer(&app, &token, &form);
        let (desk, customer) = tokio::join!(desk, customer);
        let desk = desk.unwrap();
        let mut statuses = [desk.status().as_u16(), customer.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}");
        if desk.status() == 409 {
            assert_eq!(problem(desk, 409).await["code"], "ndr_already_actioned");
        }
        assert_eq!(
            app.simulator.ndr_instructions("delhivery", awb),
            1,
            "round {round}"
        );
        let settled = ndr_becomes(&app, &id, 1, |n| n["state"] == "action_sent").await;
        assert!(
            settled["actor"] == "customer"
                || settled["actor"].as_str().unwrap().starts_with("desk:")
        );
        // A second desk action is refused too: the NDR has its one action.
        let again = app
            .post(&format!("/v1/shipments/{id}/ndr-actions"), &app.key_a)
            .json(&json!({"action": "return_to_origin"}))
            .send()
            .await
            .unwrap();
        assert_eq!(problem(again, 409).await["code"], "ndr_already_actioned");
        assert_eq!(app.simulator.ndr_instructions("delhivery", awb), 1);
        advance(&app, &id, 25).await;
        status_becomes(&app, &id, "delivered").await;
    }
}

/// Fleet scans: out for delivery an hour ago... then failed for `reason`.
async fn fleet_failure(app: &TestApp, key: &str, awb: &str, reason: &str) {
    let now = jiff::Timestamp::now();
    let at = |h: i64| (now - SignedDuration::from_hours(h)).to_string();
    let body = json!({"scans": [
        {"awb": awb, "status": "picked_up", "occurred_at": at(3)},
        {"awb": awb, "status": "out_for_delivery", "occurred_at": at(2)},
        {"awb": awb, "status": "delivery_failed", "ndr_reason": reason, "occurred_at": at(1)},
    ]});
    let r = app
        .post("/v1/fleet/scans", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A fleet shipment whose first attempt failed for `reason`; its id and NDR.
async fn fleet_ndr(app: &TestApp, reference: &str, reason: &str) -> (String, Value) {
    let s = app.create_shipment(reference).await;
    let id = s["id"].as_str().unwrap().to_string();
    fleet_failure(app, &app.key_a, s["awb"].as_str().unwrap(), reason).await;
    let ndr = ndr_becomes(app, &id, 1, |_| true).await;
    (id, ndr)
}

/// Both the page and its form refuse `token` with `status`.
async fn refused(app: &TestApp, token: &str, status: u16) {
    assert_eq!(open_page(app, token).await.status(), status, "GET {token}");
    let r = answer(app, token, &[("choice", "reattempt")]).await;
    assert_eq!(r.status(), status, "POST {token}");
}

#[tokio::test]
async fn self_service_links_refuse_tampering_expiry_and_other_tenants() {
    let app = spawn_app().await;
    let (id, ndr) = fleet_ndr(&app, "LINK-1", "customer_unavailable").await;
    let ndr_id = ndr["id"].as_str().unwrap();
    let claims = LinkClaims {
        tenant_id: app.tenant_a.id.clone(),
        shipment_id: id.clone(),
        ndr_id: ndr_id.to_string(),
        expires: jiff::Timestamp::now().as_second() + 3600,
    };
    let good = ndr_link::sign(&app.state, &claims);

    // Tampered: any changed character, in the claims or the signature.
    let (head, tag) = good.rsplit_once('.').unwrap();
    let flip = |s: &str| {
        let mut chars: Vec<char> = s.chars().collect();
        let i = chars.len() / 2;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    for bad in [
        format!("{}.{tag}", flip(head)),
        format!("{head}.{}", flip(tag)),
        "v1.x.y".into(),
    ] {
        refused(&app, &bad, 403).await;
    }
    // Expired.
    let expired = ndr_link::sign(
        &app.state,
        &LinkClaims {
            expires: jiff::Timestamp::now().as_second() - 1,
            ..claims.clone()
        },
    );
    refused(&app, &expired, 410).await;
    // Signed by another server (another secret key).
    let other = spawn_app().await;
    refused(&app, &ndr_link::sign(&other.state, &claims), 403).await;

    // Tenant B's shipment under a link made for tenant A: not found in A, refused.
    let b_shipment: Value = app
        .post("/v1/shipments", &app.key_b)
        .json(&common::shipment_body("LINK-B"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    fleet_failure(
        &app,
        &app.key_b,
        b_shipment["awb"].as_str().unwrap(),
        "customer_unavailable",
    )
    .await;
    let b_ndr: Value = app.get_json("/v1/ndr", &app.key_b).await;
    let b_ndr_id = b_ndr["data"][0]["id"].as_str().unwrap();
    let cross = ndr_link::sign(
        &app.state,
        &LinkClaims {
            shipment_id: b_shipment["id"].as_str().unwrap().to_string(),
            ndr_id: b_ndr_id.to_string(),
            ..claims.clone()
        },
    );
    refused(&app, &cross, 403).await;
    // A's shipment with B's NDR: refused as well.
    let mixed = ndr_link::sign(
        &app.state,
        &LinkClaims {
            ndr_id: b_ndr_id.to_string(),
            ..claims.clone()
        },
    );
    refused(&app, &mixed, 403).await;
    let untouched: Value = app.get_json("/v1/ndr", &app.key_b).await;
    assert_eq!(untouched["data"][0]["state"], "open");

    // The hidden field must repeat the link's token.
    let r = app
        .client
        .post(app.url(&format!("/ndr/{good}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={}&choice=reattempt", flip(&good)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // The good link works: a past date is refused, a new phone is taken and recorded.
    assert_eq!(open_page(&app, &good).await.status(), 200);
    let r = answer(&app, &good, &[("choice", "hold"), ("date", "2020-01-01")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("has passed"));
    let r = answer(
        &app,
        &good,
        &[("choice", "change_phone"), ("phone", "+91 99887 76655")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let s: Value = app
        .get_json(&format!("/v1/shipments/{id}"), &app.key_a)
        .await;
    assert_eq!(s["consignee"]["phone"], "+919988776655");
    let changes: Value = app
        .get_json(&format!("/v1/shipments/{id}/changes"), &app.key_a)
        .await;
    assert_eq!(changes[0]["actor"], "customer");
    let done = ndr_becomes(&app, &id, 1, |n| n["state"] == "action_sent").await;
    assert_eq!(done["action"]["phone"], "+919988776655");
    let r = answer(&app, &good, &[("choice", "reattempt")]).await;
    assert_eq!(r.status(), 409, "one answer per NDR");
}

#[tokio::test]
async fn rules_are_validated_and_escalate_and_ask_the_customer() {
    let (smtp, inbox) = smtp_sink().await;
    let app = spawn_app_configured(|state| {
        state.mailer = Some(Mailer::new(&smtp, "Acme <orders@acme.example>").unwrap())
    })
    .await;
    let put = |key: &str, body: Value| {
        app.client
            .put(app.url("/v1/ndr-rules"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let empty: Value = app.get_json("/v1/ndr-rules", &app.key_a).await;
    assert_eq!(empty, json!({}));
    let r = put(
        &app.key_a,
        json!({"rto_after_attempts": 0, "escalate_after_hours": 10000}),
    )
    .await
    .unwrap();
    let p = problem(r, 422).await;
    let fields: Vec<_> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["rto_after_attempts", "escalate_after_hours"]);
    let r = put(
        &app.key_a,
        json!({"auto_reattempt": {"reasons": ["teleported"], "max_attempt": 1}}),
    )
    .await
    .unwrap();
    assert_eq!(problem(r, 422).await["code"], "validation_failed");
    let rules = json!({"ask_customer_reasons": ["address_issue"], "escalate_after_hours": 24});
    let r = put(&app.key_a, rules.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.get_json("/v1/ndr-rules", &app.key_a).await, rules);
    let other: Value = app.get_json("/v1/ndr-rules", &app.key_b).await;
    assert_eq!(other, json!({}), "rules are per tenant");

    // address_issue: the customer is asked at once, with the link.
    let s = app.create_shipment("ASK-1").await;
    let awb = s["awb"].as_str().unwrap().to_string();
    let mut consignee = common::shipment_body("x")["consignee"].clone();
    consignee["email"] = json!("asha@example.com");
    app.client
        .patch(app.url(&format!("/v1/shipments/{}", s["id"].as_str().unwrap())))
        .bearer_auth(&app.key_a)
        .json(&json!({"consignee": consignee}))
        .send()
        .await
        .unwrap();
    let now = jiff::Timestamp::now();
    app.post("/v1/fleet/scans", &app.key_a)
        .json(&json!({"scans": [
            {"awb": awb, "status": "out_for_delivery", "occurred_at": (now - SignedDuration::from_hours(2)).to_string()},
            {"awb": awb, "status": "delivery_failed", "ndr_reason": "address_issue", "occurred_at": (now - SignedDuration::from_hours(1)).to_string()},
        ]}))
        .send()
        .await
        .unwrap();
    let id = s["id"].as_str().unwrap();
    let asked = ndr_becomes(&app, id, 1, |n| !n["customer_asked_at"].is_null()).await;
    for _ in 0..100 {
        if inbox
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.contains("Action needed"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(link_in_mail(&inbox.lock().unwrap(), &awb).is_some());
    assert!(
        inbox
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.contains("Action needed"))
    );

    // Escalation: the job the rules scheduled, run now rather than in 24 h.
    let endpoint: Value = app
        .post("/v1/webhook-endpoints", &app.key_a)
        .json(&json!({"url": "http://127.0.0.1:9/hook", "event_types": ["shipment.ndr_escalated"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ndr_id = asked["id"].as_str().unwrap();
    shipgate_api::service::ndr::escalate(&app.state, &app.tenant_a.id, ndr_id)
        .await
        .unwrap();
    shipgate_api::service::ndr::escalate(&app.state, &app.tenant_a.id, ndr_id)
        .await
        .unwrap();
    let escalated = ndr_becomes(&app, id, 1, |n| !n["escalated_at"].is_null()).await;
    assert_eq!(escalated["state"], "open");
    let mut types = Vec::new();
    for _ in 0..100 {
        let deliveries: Value = app
            .get_json(
                &format!(
                    "/v1/webhook-endpoints/{}/deliveries",
                    endpoint["id"].as_str().unwrap()
                ),
                &app.key_a,
            )
            .await;
        types = deliveries["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["event_type"].clone())
            .collect();
        if !types.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        types,
        [json!("shipment.ndr_escalated")],
        "escalated once, announced once"
    );
    let old: Value = app.get_json("/v1/ndr?min_age_hours=1", &app.key_a).await;
    assert!(
        old["data"].as_array().unwrap().is_empty(),
        "raised just now"
    );
}

#[tokio::test]
async fn ndr_queue_pages_and_analytics_convert() {
    let app = spawn_app().await;
    let (delivered, _) = fleet_ndr(&app, "AN-1", "customer_unavailable").await;
    let (returned, _) = fleet_ndr(&app, "AN-2", "refused").await;
    fleet_ndr(&app, "AN-3", "refused").await;
    app.create_shipment("AN-4").await;
    let page: Value = app.get_json("/v1/ndr?limit=2", &app.key_a).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let rest: Value = app
        .get_json(
            &format!(
                "/v1/ndr?limit=2&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
            &app.key_a,
        )
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    let refused: Value = app
        .get_json("/v1/ndr?reason=refused&carrier=fleet", &app.key_a)
        .await;
    assert_eq!(refused["data"].as_array().unwrap().len(), 2);

    let r = app
        .post(
            &format!("/v1/shipments/{delivered}/ndr-actions"),
            &app.key_a,
        )
        .json(&json!({"action": "reattempt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let a = app
        .get_json(&format!("/v1/shipments/{delivered}"), &app.key_a)
        .await["awb"]
        .clone();
    app.post("/v1/fleet/scans", &app.key_a)
        .json(&json!({"scans": [{"awb": a, "status": "out_for_delivery"}, {"awb": a, "status": "delivered"}]}))
        .send()
        .await
        .unwrap();
    let r = app
        .post(&format!("/v1/shipments/{returned}/ndr-actions"), &app.key_a)
        .json(&json!({"action": "return_to_origin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["ndr"]["state"],
        "resolved_rto"
    );

    let today = shipgate_api::service::ndr::today();
    let report: Value = app
        .get_json(
            &format!("/v1/analytics/ndr?from={today}&to={today}"),
            &app.key_a,
        )
        .await;
    assert_eq!(report["total"]["shipments"], 4);
    assert_eq!(report["total"]["ndr_shipments"], 3);
    assert_eq!(report["total"]["ndr_rate"], 0.75);
    assert_eq!(report["by_reason"]["refused"]["ndr_rto"], 1);
    assert_eq!(report["by_reason"]["refused"]["rto_conversion"], 0.5);
    assert_eq!(
        report["by_reason"]["customer_unavailable"]["delivered_conversion"],
        1.0
    );
    assert_eq!(report["by_carrier"]["fleet"]["ndr_delivered"], 1);
    assert_eq!(report["by_destination"]["560"]["shipments"], 4);
    let other: Value = app
        .get_json(
            &format!("/v1/analytics/ndr?from={today}&to={today}"),
            &app.key_b,
        )
        .await;
    assert_eq!(other["total"]["shipments"], 0);
    let r = app
        .get(
            "/v1/analytics/ndr?from=2025-02-01&to=2025-01-01",
            &app.key_a,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r, 400).await["code"], "invalid_query");
    // An age further back than an instant can be is refused, not a 500
    // (found by schemathesis: the subtraction overflowed).
    for hours in ["876001", "2147483648", "4294967295"] {
        let r = app
            .get(&format!("/v1/ndr?min_age_hours={hours}"), &app.key_a)
            .send()
            .await
            .unwrap();
        let body = problem(r, 400).await;
        assert_eq!(body["errors"][0]["field"], "min_age_hours", "{body}");
    }
    let oldest: Value = app
        .get_json("/v1/ndr?min_age_hours=876000", &app.key_a)
        .await;
    assert!(oldest["data"].as_array().unwrap().is_empty(), "{oldest}");

    let doc: Value = app.get_json("/openapi.json", &app.key_a).await;
    for path in [
        "/v1/ndr",
        "/v1/ndr-rules",
        "/v1/analytics/ndr",
        "/v1/shipments/{id}/ndr-actions",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
}
