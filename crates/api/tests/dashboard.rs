//! The merchant dashboard: sign-in, sessions and CSRF over HTTP, and the
//! whole desk in headless Chromium at a phone's width (375 px) — sign in,
//! find a shipment, act on NDRs from the desk in bulk, see the change —
//! with each page screenshotted and checked for horizontal overflow, form
//! labels, text contrast and keyboard reachability with a visible focus.
//!
//! Screenshots go to `$CARGO_TARGET_DIR/screenshots/` (else
//! `target/screenshots/`; SHIPGATE_SCREENSHOT_DIR overrides). The browser
//! test needs Debian's `chromium` and `chromium-driver`, unless
//! SHIPGATE_SKIP_BROWSER_TESTS=1.

mod common;

use std::path::PathBuf;

use common::browser::{Browser, ELEMENT};
use common::{TestApp, spawn_app};
use reqwest::header;
use serde_json::{Value, json};
use shipgate_api::dashboard;

const EMAIL: &str = "desk@acme.example";
const PASSWORD: &str = "correct horse battery";

fn screenshot_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("SHIPGATE_SCREENSHOT_DIR") {
        return PathBuf::from(dir);
    }
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("screenshots")
}

/// A client that keeps cookies by hand and does not follow redirects.
struct Visitor {
    http: reqwest::Client,
    base: String,
    cookies: std::collections::BTreeMap<String, String>,
}

impl Visitor {
    fn new(app: &TestApp) -> Self {
        Self {
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: Default::default(),
        }
    }

    fn keep(&mut self, r: &reqwest::Response) {
        for c in r.headers().get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> (u16, String, Option<String>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&r);
        let location = r
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_string());
        (r.status().as_u16(), r.text().await.unwrap(), location)
    }

    /// POSTs a form as a browser on this site would (with its `Origin`).
    async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> reqwest::Response {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        let r = request.send().await.unwrap();
        self.keep(&r);
        r
    }

    /// Signs in; the page's CSRF token.
    async fn sign_in(&mut self, email: &str, password: &str) -> reqwest::Response {
        let (_, page, _) = self.get("/app/login").await;
        let csrf = hidden(&page, "csrf");
        let origin = self.base.clone();
        self.post(
            "/app/login",
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
                ("next", "/app/ndr"),
            ],
            Some(&origin),
        )
        .await
    }
}

/// The value of the first hidden input named `name` on the page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

/// A fleet shipment taken to a failed delivery; its id and AWB.
async fn failed_delivery(app: &TestApp, reference: &str, reason: &str) -> (String, String) {
    let s = app.create_shipment(reference).await;
    let (id, awb) = (
        s["id"].as_str().unwrap().to_string(),
        s["awb"].as_str().unwrap().to_string(),
    );
    let now = jiff::Timestamp::now();
    let at = |minutes: i64| (now - jiff::SignedDuration::from_mins(minutes)).to_string();
    let body = json!({"scans": [
        {"awb": awb, "status": "picked_up", "occurred_at": at(30)},
        {"awb": awb, "status": "out_for_delivery", "occurred_at": at(20)},
        {"awb": awb, "status": "delivery_failed", "ndr_reason": reason, "occurred_at": at(10)},
    ]});
    let r = app
        .post("/v1/fleet/scans", &app.key_a)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    common::status_becomes(app, &id, "delivery_failed").await;
    (id, awb)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sessions_and_csrf() {
    let app = spawn_app().await;
    dashboard::create_user(app.store.as_ref(), &app.tenant_a.id, EMAIL, PASSWORD)
        .await
        .unwrap();
    // Short passwords and taken emails are refused.
    assert!(matches!(
        dashboard::create_user(
            app.store.as_ref(),
            &app.tenant_a.id,
            "x@acme.example",
            "short"
        )
        .await,
        Err(dashboard::UserError::WeakPassword)
    ));
    assert!(matches!(
        dashboard::create_user(
            app.store.as_ref(),
            &app.tenant_a.id,
            "DESK@acme.example",
            PASSWORD
        )
        .await,
        Err(dashboard::UserError::Taken(_))
    ));
    let mut v = Visitor::new(&app);

    // Signed out: to the sign-in page, remembering where to go.
    let (status, _, location) = v.get("/app/ndr").await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/app/login?next=%2Fapp%2Fndr"));

    // A wrong password, then the right one: a session cookie kept to /app.
    let r = v.sign_in(EMAIL, "wrong password!").await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("Wrong email or password"));
    let r = v.sign_in(" Desk@Acme.example ", PASSWORD).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/app/ndr");
    let cookie = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("sg_session="))
        .unwrap()
        .to_string();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/app"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    // Only a hash of the token is stored.
    let token = cookie["sg_session=".len()..].split(';').next().unwrap();
    assert!(
        app.store
            .user_session(token, jiff::Timestamp::now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store
            .user_session(&shipgate_api::keys::hash(token), jiff::Timestamp::now())
            .await
            .unwrap()
            .is_some()
    );
    let (status, page, _) = v.get("/app/shipments").await;
    assert_eq!(status, 200);
    assert!(page.contains(EMAIL));
    let csrf = hidden(&page, "csrf");

    // A form without the session's token, or sent from another site, is refused.
    let origin = app.base.clone();
    let (id, _) = failed_delivery(&app, "ORD-CSRF", "customer_unavailable").await;
    let r = v
        .post(
            &format!("/app/shipments/{id}/cancel"),
            &[("csrf", "forged"), ("reason", "x")],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = v
        .post(
            &format!("/app/shipments/{id}/cancel"),
            &[("csrf", &csrf), ("reason", "x")],
            Some("http://evil.example"),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.get_json(&format!("/v1/shipments/{id}"), &app.key_a)
            .await["status"],
        "delivery_failed"
    );
    // With both: it is done, in the user's name.
    let r = v
        .post(
            &format!("/app/shipments/{id}/cancel"),
            &[("csrf", &csrf), ("reason", "customer asked")],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 303);
    let events = app
        .get_json(&format!("/v1/shipments/{id}/events"), &app.key_a)
        .await;
    let last = events["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["status"], "rto_requested", "{events}");
    assert_eq!(last["actor"], format!("user:{EMAIL}"));

    // Another tenant's shipment is not there.
    let other = app
        .client
        .post(app.url("/v1/shipments"))
        .bearer_auth(&app.key_b)
        .json(&common::shipment_body("ORD-B"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let (status, _, _) = v
        .get(&format!("/app/shipments/{}", other["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 404);
    let (_, page, _) = v
        .get(&format!(
            "/app/shipments?q={}",
            other["awb"].as_str().unwrap()
        ))
        .await;
    assert!(page.contains("No shipments match"), "{page}");

    // Signing out ends the session on the server.
    let r = v
        .post("/app/logout", &[("csrf", &csrf)], Some(&origin))
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        app.store
            .user_session(&shipgate_api::keys::hash(token), jiff::Timestamp::now())
            .await
            .unwrap()
            .is_none()
    );
    let (status, _, _) = v.get("/app/shipments").await;
    assert_eq!(status, 303);

    // Guessing is slowed down: after 5 tries for one email, 429 even with the right password.
    let target = "owner@acme.example";
    dashboard::create_user(app.store.as_ref(), &app.tenant_a.id, target, PASSWORD)
        .await
        .unwrap();
    let mut guesser = Visitor::new(&app);
    for _ in 0..5 {
        assert_eq!(
            guesser.sign_in(target, "guess guess guess").await.status(),
            401
        );
    }
    let r = guesser.sign_in(target, PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_filters_and_bulk_ndr_actions_over_http() {
    let app = spawn_app().await;
    dashboard::create_user(app.store.as_ref(), &app.tenant_a.id, EMAIL, PASSWORD)
        .await
        .unwrap();
    let plain = app.create_shipment("ORD-PLAIN").await;
    let (a, awb_a) = failed_delivery(&app, "ORD-NDR-A", "customer_unavailable").await;
    let (b, awb_b) = failed_delivery(&app, "ORD-NDR-B", "address_issue").await;
    let mut v = Visitor::new(&app);
    assert_eq!(v.sign_in(EMAIL, PASSWORD).await.status(), 303);

    // By AWB, by order reference, by phone written any way.
    let (_, page, _) = v.get(&format!("/app/shipments?q={awb_a}")).await;
    assert!(
        page.contains(&format!("/app/shipments/{a}"))
            && !page.contains(&format!("/app/shipments/{b}"))
    );
    let (_, page, _) = v.get("/app/shipments?q=ORD-NDR-B").await;
    assert!(page.contains(&awb_b) && !page.contains(&awb_a));
    let (_, page, _) = v.get("/app/shipments?q=098123%2045678").await;
    for id in [&a, &b, plain["id"].as_str().unwrap()] {
        assert!(page.contains(&format!("/app/shipments/{id}")), "{page}");
    }
    // Filters: with an NDR, by status.
    let (_, page, _) = v.get("/app/shipments?ndr=1").await;
    assert!(page.contains(&awb_a) && page.contains(&awb_b));
    assert!(!page.contains(plain["awb"].as_str().unwrap()));
    let (_, page, _) = v.get("/app/shipments?status=manifested").await;
    assert!(page.contains(plain["awb"].as_str().unwrap()) && !page.contains(&awb_a));

    // The desk: both open; a bulk re-attempt on both.
    let (status, page, _) = v.get("/app/ndr").await;
    assert_eq!(status, 200);
    let csrf = hidden(&page, "csrf");
    let ndr_ids: Vec<String> = app.get_json("/v1/ndr", &app.key_a).await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ndr_ids.len(), 2);
    let tomorrow = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(5)))
        .date()
        .tomorrow()
        .unwrap()
        .to_string();
    let origin = app.base.clone();
    let r = v
        .post(
            "/app/ndr/bulk",
            &[
                ("csrf", &csrf),
                ("action", "reattempt"),
                ("date", &tomorrow),
                ("ndr", &ndr_ids[0]),
                ("ndr", &ndr_ids[1]),
            ],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[header::LOCATION], "/app/ndr?acted=2&refused=0");
    for n in app.get_json("/v1/ndr", &app.key_a).await["data"]
        .as_array()
        .unwrap()
    {
        assert_eq!(n["state"], "action_sent", "{n}");
        assert_eq!(n["action"]["action"], "reattempt");
        assert_eq!(n["action"]["date"], tomorrow.as_str());
        assert_eq!(n["actor"], format!("desk:user:{EMAIL}"));
    }
    // Again: someone acted first, nothing is sent twice.
    let r = v
        .post(
            "/app/ndr/bulk",
            &[
                ("csrf", &csrf),
                ("action", "return_to_origin"),
                ("ndr", &ndr_ids[0]),
            ],
            Some(&origin),
        )
        .await;
    assert_eq!(r.headers()[header::LOCATION], "/app/ndr?acted=0&refused=1");
    let (_, page, _) = v.get("/app/ndr?acted=2&refused=0").await;
    assert!(page.contains("2 sent to the carrier"));
    assert!(page.contains(&format!("Desk ({EMAIL})")));

    // Settings: branding and allocation rules, checked as the API checks them.
    let (_, page, _) = v.get("/app/settings").await;
    assert!(page.contains("&quot;rules&quot;: []"), "{page}");
    let r = v
        .post(
            "/app/settings/branding",
            &[
                ("csrf", &csrf),
                ("display_name", "Acme"),
                ("primary_color", "red"),
            ],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("is not #RRGGBB"));
    let r = v
        .post(
            "/app/settings/branding",
            &[
                ("csrf", &csrf),
                ("display_name", "Acme"),
                ("primary_color", "#ffff00"),
            ],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 303);
    // A pale colour is darkened for text and buttons on every page, public ones too.
    let (_, page, _) = v.get("/app/settings").await;
    assert!(page.contains("--accent:#ffff00;--ink:#"), "{page}");
    let tracking = app.page(&format!("/track/{awb_a}")).await;
    assert!(tracking.contains("--accent:#ffff00") && tracking.contains("/assets/shipgate.css"));
    let rules = r#"{"rules": [{"name": "Bengaluru COD", "when": {"destination_prefixes": ["560"]}, "prefer": ["bluedart"]}]}"#;
    let r = v
        .post(
            "/app/settings/allocation",
            &[("csrf", &csrf), ("rules", "{not json")],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = v
        .post(
            "/app/settings/allocation",
            &[("csrf", &csrf), ("rules", rules)],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 303);
    let saved = app.get_json("/v1/allocation-rules", &app.key_a).await;
    assert_eq!(saved["rules"][0]["name"], "Bengaluru COD", "{saved}");

    // A publishable key: shown once, then revoked.
    let r = v
        .post(
            "/app/settings/publishable-keys",
            &[
                ("csrf", &csrf),
                ("origins", "https://Shop.Example/, http://localhost:3000"),
            ],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let key = page[page.find("sg_pub_").unwrap()..]
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let listed = app.get_json("/v1/publishable-keys", &app.key_a).await;
    let listed = listed["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(key.starts_with(listed[0]["key_prefix"].as_str().unwrap()));
    assert_eq!(
        listed[0]["allowed_origins"],
        json!(["http://localhost:3000", "https://shop.example"])
    );
    let r = v
        .post(
            &format!(
                "/app/settings/publishable-keys/{}/revoke",
                listed[0]["id"].as_str().unwrap()
            ),
            &[("csrf", &csrf)],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        app.get_json("/v1/publishable-keys", &app.key_a).await["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The audit log names the signed-in user for each change the forms made
    // (the refused ones made none) and never the new key.
    let user = app.store.user_by_email(EMAIL).await.unwrap().unwrap();
    let log = app.get_json("/v1/audit-log?limit=100", &app.key_a).await;
    assert!(!log.to_string().contains(&key), "{log}");
    let by_user: Vec<&str> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_type"] == "user")
        .inspect(|e| assert_eq!(e["actor_id"], user.id.as_str(), "{e}"))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        by_user,
        [
            "publishable_key.revoked",
            "publishable_key.created",
            "allocation_rules.replaced",
            "branding.updated",
        ],
        "{log}"
    );

    // The other pages answer.
    let (status, page, _) = v.get("/app/settings/audit-log").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&user.id), "{page}");
    for path in [
        "/app/performance",
        "/app/settings",
        &format!("/app/shipments/{a}"),
    ] {
        let (status, page, _) = v.get(path).await;
        assert_eq!(status, 200, "{path}: {page}");
    }
    let (status, _, _) = v.get(&format!("/app/shipments/{a}/label?format=zpl")).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_modify_form_changes_the_delivery_address() {
    let app = spawn_app().await;
    dashboard::create_user(app.store.as_ref(), &app.tenant_a.id, EMAIL, PASSWORD)
        .await
        .unwrap();
    let s = app.create_shipment("ORD-MOVE").await;
    let id = s["id"].as_str().unwrap();
    let mut v = Visitor::new(&app);
    assert_eq!(v.sign_in(EMAIL, PASSWORD).await.status(), 303);
    let (_, page, _) = v.get(&format!("/app/shipments/{id}")).await;
    // The form shows the address as it is.
    assert!(
        page.contains(r#"name="postal_code" value="560001""#),
        "{page}"
    );
    let csrf = hidden(&page, "csrf");
    let origin = app.base.clone();
    let modify = format!("/app/shipments/{id}/modify");
    let form = |postal_code: &'static str, city: &'static str| {
        vec![
            ("line1", "4 Park Street"),
            ("line2", ""),
            ("landmark", "Opposite the museum"),
            ("city", city),
            ("state", "West Bengal"),
            ("postal_code", postal_code),
            ("phone", ""),
            ("delivery_instructions", ""),
        ]
    };
    // Refused as the API refuses it; nothing changes.
    let mut bad = form("70", "Kolkata");
    bad.push(("csrf", &csrf));
    let r = v.post(&modify, &bad, Some(&origin)).await;
    assert_eq!(r.status(), 422);
    let stored = app
        .get_json(&format!("/v1/shipments/{id}"), &app.key_a)
        .await;
    assert_eq!(stored["consignee"]["postal_code"], "560001");
    // A new address, with the rest of the consignee kept.
    let mut good = form("700016", "Kolkata");
    good.push(("csrf", &csrf));
    let r = v.post(&modify, &good, Some(&origin)).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let stored = app
        .get_json(&format!("/v1/shipments/{id}"), &app.key_a)
        .await;
    let consignee = &stored["consignee"];
    assert_eq!(consignee["postal_code"], "700016", "{stored}");
    assert_eq!(consignee["line1"], "4 Park Street");
    assert_eq!(consignee["landmark"], "Opposite the museum");
    assert_eq!(consignee["name"], s["consignee"]["name"]);
    assert_eq!(consignee["phone"], s["consignee"]["phone"]);
    let changes = app
        .get_json(&format!("/v1/shipments/{id}/changes"), &app.key_a)
        .await;
    assert!(changes.to_string().contains("700016"), "{changes}");
    // The same form again changes nothing.
    let r = v.post(&modify, &good, Some(&origin)).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Nothing to change."));
    // Its shipment now counts on the new lane.
    let (_, page, _) = v.get("/app/performance").await;
    assert!(
        page.contains("110xxx → 700xxx") && !page.contains("110xxx → 560xxx"),
        "{page}"
    );
}

/// The whole secret key the page shows (once), if any: listings show a prefix.
fn shown_secret_key(page: &str) -> Option<String> {
    page.match_indices("sg_live_")
        .map(|(start, _)| {
            page[start..]
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .next()
                .unwrap_or_default()
        })
        .find(|k| k.len() == "sg_live_".len() + 64)
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_keys_are_created_and_revoked_from_settings_and_the_api() {
    let app = spawn_app().await;
    dashboard::create_user(app.store.as_ref(), &app.tenant_a.id, EMAIL, PASSWORD)
        .await
        .unwrap();
    // Over the API: the tenant's one key, which cannot be revoked.
    let keys = app.get_json("/v1/api-keys", &app.key_a).await;
    let keys = keys["data"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        app.key_a
            .starts_with(keys[0]["key_prefix"].as_str().unwrap())
    );
    let first_id = keys[0]["id"].as_str().unwrap().to_string();
    let r = app
        .client
        .delete(app.url(&format!("/v1/api-keys/{first_id}")))
        .bearer_auth(&app.key_a)
        .send()
        .await
        .unwrap();
    assert_eq!(common::problem(r, 409).await["code"], "last_api_key");
    let r = app
        .post("/v1/api-keys", &app.key_a)
        .json(&json!({"label": "x".repeat(81)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // In settings: listed by prefix; a new one shown once.
    let mut v = Visitor::new(&app);
    assert_eq!(v.sign_in(EMAIL, PASSWORD).await.status(), 303);
    let (_, page, _) = v.get("/app/settings").await;
    assert!(page.contains("Your only key") && !page.contains(app.key_a.as_str()));
    let csrf = hidden(&page, "csrf");
    let origin = app.base.clone();
    let r = v
        .post(
            "/app/settings/api-keys",
            &[("csrf", "forged"), ("label", "Scanner")],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = v
        .post(
            "/app/settings/api-keys",
            &[("csrf", &csrf), ("label", " Scanner ")],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 200);
    let new_key = shown_secret_key(&r.text().await.unwrap()).expect("the new key, shown once");
    let (_, page, _) = v.get("/app/settings").await;
    assert!(
        shown_secret_key(&page).is_none() && !page.contains(&new_key),
        "never shown again"
    );
    assert!(page.contains("Scanner") && !page.contains("Your only key"));
    let listed = app.get_json("/v1/api-keys", &new_key).await;
    assert_eq!(listed["data"][0]["label"], "Scanner", "{listed}");
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);

    // Revoking the first: it stops working at once; the new one still works.
    let revoke = format!("/app/settings/api-keys/{first_id}/revoke");
    assert_eq!(
        v.post(&revoke, &[("csrf", "forged")], Some(&origin))
            .await
            .status(),
        403
    );
    let r = v.post(&revoke, &[("csrf", &csrf)], Some(&origin)).await;
    assert_eq!(r.status(), 303);
    let (_, page, _) = v.get("/app/settings?done=secret-revoked").await;
    assert!(page.contains("Secret key revoked"));
    let r = app.get("/v1/api-keys", &app.key_a).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let listed = app.get_json("/v1/api-keys", &new_key).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    // The last one cannot go, from the page either.
    let last_id = listed["data"][0]["id"].as_str().unwrap();
    let r = v
        .post(
            &format!("/app/settings/api-keys/{last_id}/revoke"),
            &[("csrf", &csrf)],
            Some(&origin),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("only API key"));
    // Another tenant's key is not found.
    let r = app
        .client
        .delete(app.url(&format!("/v1/api-keys/{last_id}")))
        .bearer_auth(&app.key_b)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// The text of the table row for `label` on the page (tags dropped).
fn row_text(page: &str, label: &str) -> String {
    let start = page[..page
        .find(label)
        .unwrap_or_else(|| panic!("no {label} in {page}"))]
        .rfind("<tr")
        .unwrap();
    let end = start + page[start..].find("</tr>").unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in page[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carrier_performance_follows_each_scan() {
    let app = spawn_app().await;
    dashboard::create_user(app.store.as_ref(), &app.tenant_a.id, EMAIL, PASSWORD)
        .await
        .unwrap();
    let mut v = Visitor::new(&app);
    assert_eq!(v.sign_in(EMAIL, PASSWORD).await.status(), 303);
    let (status, page, _) = v.get("/app/performance").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("No shipments were created in this range."),
        "{page}"
    );

    // One delivered (picked up 48 h before), one with a failed attempt.
    let s = app.create_shipment("ORD-PERF-1").await;
    let (id, awb) = (s["id"].as_str().unwrap(), s["awb"].as_str().unwrap());
    failed_delivery(&app, "ORD-PERF-2", "customer_unavailable").await;
    let now = jiff::Timestamp::now();
    let at = |hours: i64| (now - jiff::SignedDuration::from_hours(hours)).to_string();
    let r = app
        .post("/v1/fleet/scans", &app.key_a)
        .json(&json!({"scans": [
            {"awb": awb, "status": "picked_up", "occurred_at": at(48)},
            {"awb": awb, "status": "delivered", "occurred_at": at(0)},
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    common::status_becomes(&app, id, "delivered").await;

    // Read afresh on every view: both shipments, at once.
    let (status, page, _) = v.get("/app/performance").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Pick-up to delivery") && page.contains("pickup-turnaround"));
    // Shipments, delivered, order to delivery (created just now, delivered
    // "now"), pick-up to delivery, on time (no promise), NDR and RTO rates.
    assert_eq!(
        row_text(&page, "<strong>Fleet</strong>"),
        "Fleet 2 1 0.0 d 2.0 d – 50.0% 0.0%"
    );
    // Its lane, below.
    assert!(
        row_text(&page, "560xxx").contains("Fleet 110xxx → 560xxx 2"),
        "{page}"
    );
    // A range without them.
    let (status, page, _) = v
        .get("/app/performance?from=2024-01-01&to=2024-01-31")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("No shipments were created in this range."));
    let (status, _, _) = v
        .get("/app/performance?from=2024-02-01&to=2024-01-01")
        .await;
    assert_eq!(status, 400);
}

/// What a page fails of the basic accessibility and layout checks: wider
/// than the screen, form controls without a label, text below 4.5:1
/// contrast (from computed styles, against the nearest opaque background).
const CHECKS: &str = r#"
const problems = [];
const width = window.innerWidth;
if (document.documentElement.scrollWidth > width) {
  problems.push('overflow: page is ' + document.documentElement.scrollWidth + 'px wide in ' + width + 'px');
}
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.right > width + 1 && getComputedStyle(el).position !== 'absolute' && !el.closest('.scroll')) {
    problems.push('overflow: ' + el.tagName + '.' + el.className + ' ends at ' + Math.round(r.right));
    break;
  }
}
for (const el of document.querySelectorAll('input, select, textarea, button')) {
  if (el.type === 'hidden') continue;
  const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label')
    || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim());
  if (!named) problems.push('label: ' + el.outerHTML.slice(0, 80));
}
const rgb = (s) => { const m = s.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 1]; };
const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
const background = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length < 4 || c[3] > 0.5) return c;
  }
  return [255, 255, 255];
};
let checked = 0;
for (const el of document.body.querySelectorAll('*')) {
  const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const style = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  if (style.visibility === 'hidden' || style.display === 'none' || r.width === 0 || r.right < 0) continue;
  const fg = rgb(el instanceof SVGElement ? style.fill : style.color);
  const bg = background(el instanceof SVGElement ? el.closest('svg') : el);
  const [a, b] = [lum(fg), lum(bg)];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  checked++;
  if (ratio < 4.5) problems.push('contrast ' + ratio.toFixed(2) + ': "' + el.textContent.trim().slice(0, 40) + '"');
}
if (checked === 0) problems.push('no text checked');
return problems;
"#;

/// Tags every element that should take the keyboard focus, and blurs.
const TAG_FOCUSABLE: &str = r#"
const all = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])')]
  .filter((e) => !e.disabled);
all.forEach((e, i) => e.setAttribute('data-focus-check', i));
document.activeElement && document.activeElement.blur();
window.scrollTo(0, 0);
return all.length;
"#;

/// Which tagged element has the focus, and whether it shows it.
const FOCUSED: &str = r#"
const e = document.activeElement;
if (!e || !e.hasAttribute('data-focus-check')) return [null, true];
const s = getComputedStyle(e);
const visible = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
return [Number(e.getAttribute('data-focus-check')), visible, e.outerHTML.slice(0, 120), s.outlineStyle + ' ' + s.outlineWidth];
"#;

/// Screenshots the page as `name` and runs the checks on it.
async fn check_page(browser: &Browser, name: &str) {
    let path = screenshot_dir().join(format!("{name}.png"));
    browser.screenshot(&path).await;
    let width = browser.script("return window.innerWidth", json!([])).await;
    assert_eq!(width, 375, "{name}: not laid out at phone width");
    let problems = browser.script(CHECKS, json!([])).await;
    assert_eq!(problems, json!([]), "{name}: {problems}");
    // Tab through the page: every control is reached, each showing its focus.
    let count = browser
        .script(TAG_FOCUSABLE, json!([]))
        .await
        .as_u64()
        .unwrap();
    assert!(count > 0, "{name}: nothing to focus");
    let mut reached = std::collections::BTreeSet::new();
    // A date field takes a Tab per part (day, month, year).
    for _ in 0..count * 4 + 4 {
        browser.press("\u{E004}").await;
        let focused = browser.script(FOCUSED, json!([])).await;
        if let Some(i) = focused[0].as_u64() {
            assert_eq!(
                focused[1], true,
                "{name}: element {i} shows no focus: {focused}"
            );
            reached.insert(i);
        }
        if reached.len() as u64 == count {
            break;
        }
    }
    assert_eq!(
        reached.len() as u64,
        count,
        "{name}: Tab reached {reached:?} of {count}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_in_a_phone_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    dashboard::create_user(app.store.as_ref(), &app.tenant_a.id, EMAIL, PASSWORD)
        .await
        .unwrap();
    app.client
        .put(app.url("/v1/branding"))
        .bearer_auth(&app.key_a)
        .json(&json!({"display_name": "Acme Gadgets", "primary_color": "#ff7f50"}))
        .send()
        .await
        .unwrap();
    // Settings to show: the sandbox carrier accounts, a webhook endpoint
    // (nobody listens there: its deliveries fail and can be replayed).
    shipgate_api::service::carrier_accounts::create_sandbox_accounts(&app.state, &app.tenant_a)
        .await
        .unwrap();
    let r = app
        .post("/v1/webhook-endpoints", &app.key_a)
        .json(&json!({"url": "http://127.0.0.1:9/hooks", "event_types": ["shipment.created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    for i in 0..3 {
        app.create_shipment(&format!("ORD-{i}")).await;
    }
    let (a, awb_a) = failed_delivery(&app, "ORD-NDR-A", "customer_unavailable").await;
    let (b, awb_b) = failed_delivery(&app, "ORD-NDR-B", "address_issue").await;
    browser.phone(375, 812).await;

    // The public pages share the look and the shop's colour.
    browser.goto(&app.url(&format!("/track/{awb_a}"))).await;
    browser.find("ol.events").await;
    check_page(&browser, "tracking").await;
    let ndr_b = app
        .get_json(&format!("/v1/ndr?shipment_id={b}"), &app.key_a)
        .await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token =
        shipgate_api::service::ndr_link::token_for(&app.state, &app.tenant_a.id, &b, &ndr_b);
    browser.goto(&app.url(&format!("/ndr/{token}"))).await;
    browser.find("form.choice").await;
    check_page(&browser, "ndr-self-service").await;

    // Sign in: sent to the sign-in page first, then where we were going.
    browser.goto(&app.url("/app/shipments")).await;
    let email = browser.find("#email").await;
    check_page(&browser, "login").await;
    browser.type_into(&email, EMAIL).await;
    browser
        .type_into(&browser.find("#password").await, PASSWORD)
        .await;
    browser
        .click_to_navigate(&browser.find("main form button[type=submit]").await)
        .await;
    let heading = browser.find("main h1").await;
    assert_eq!(browser.text(&heading).await, "Shipments");
    assert!(browser.url().await.ends_with("/app/shipments"));
    check_page(&browser, "shipments").await;

    // Find the shipment by its AWB and open it.
    browser.type_into(&browser.find("#q").await, &awb_a).await;
    browser
        .click_to_navigate(&browser.find("form[role=search] button[type=submit]").await)
        .await;
    let link = browser.find(&format!("a[href='/app/shipments/{a}']")).await;
    assert_eq!(browser.find_all("table tbody tr").await.len(), 1);
    check_page(&browser, "shipments-search").await;
    browser.click_to_navigate(&link).await;
    let heading = browser.find("main h1").await;
    assert_eq!(browser.text(&heading).await, format!("Shipment {awb_a}"));
    let ndr_card = browser.find("#ndr-h").await;
    assert!(browser.text(&ndr_card).await.contains("act on the NDR"));
    check_page(&browser, "shipment").await;

    // The NDR desk: both open; select both, re-attempt.
    browser
        .click_to_navigate(&browser.find("a[href='/app/ndr']").await)
        .await;
    browser.find("#bulk-action").await;
    check_page(&browser, "ndr-desk").await;
    for awb in [&awb_a, &awb_b] {
        let row_box = browser
            .find(&format!("input[aria-label='Select the NDR of {awb}']"))
            .await;
        browser.click(&row_box).await;
    }
    browser
        .click_to_navigate(
            &browser
                .find("[aria-labelledby=bulk-h] button[type=submit]")
                .await,
        )
        .await;
    let notice = browser.find("main p.notice").await;
    assert_eq!(browser.text(&notice).await, "2 sent to the carrier.");
    let states: Vec<String> = {
        let mut out = Vec::new();
        for cell in browser.find_all("td[data-label=State]").await {
            out.push(browser.text(&cell).await);
        }
        out
    };
    assert_eq!(states, ["Action sent", "Action sent"]);
    let answer = browser.find("td[data-label=Action]").await;
    assert!(
        browser
            .text(&answer)
            .await
            .contains(&format!("Re-attempt\nby Desk ({EMAIL})"))
            || browser
                .text(&answer)
                .await
                .contains(&format!("by Desk ({EMAIL})"))
    );
    check_page(&browser, "ndr-desk-after").await;

    // The shipment's page shows it too.
    browser.goto(&app.url(&format!("/app/shipments/{a}"))).await;
    let ndr_card = browser.find("section[aria-labelledby=ndr-h]").await;
    assert!(browser.text(&ndr_card).await.contains("Action sent"));

    // The rest of the desk.
    browser.goto(&app.url("/app/performance")).await;
    browser.find("main h1").await;
    check_page(&browser, "performance").await;
    browser.goto(&app.url("/app/settings")).await;
    browser.find("#rules").await;
    check_page(&browser, "settings").await;
    let accounts = browser.find_all("td[data-label=Carrier]").await;
    assert_eq!(accounts.len(), shipgate_carriers::adapters().len());
    // The endpoint's delivery log, and a replay.
    browser
        .click_to_navigate(&browser.find("td[data-label=Deliveries] a").await)
        .await;
    let replay = browser.find("td[data-label=Replay] button").await;
    check_page(&browser, "webhook-deliveries").await;
    browser.click_to_navigate(&replay).await;
    let notice = browser.find("main p.notice").await;
    assert!(browser.text(&notice).await.starts_with("Replay queued"));
    let _ = ELEMENT;
    browser.quit().await;
}
