//! A WebDriver session with headless Chromium (W3C protocol over plain HTTP
//! to `chromedriver`), for the browser tests.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them the tests
//! fail, unless SHIPGATE_SKIP_BROWSER_TESTS=1 says to skip them.
//! SHIPGATE_CHROMIUM and SHIPGATE_CHROMEDRIVER override the binaries' paths.

use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver session (W3C protocol over plain HTTP).
pub struct Browser {
    http: reqwest::Client,
    session: String,
    _driver: Driver,
}

/// The chromedriver process, ended with the test.
pub struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Browser {
    pub async fn start() -> Option<Self> {
        let skip = std::env::var("SHIPGATE_SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1");
        let chromium =
            std::env::var("SHIPGATE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let driver_bin =
            std::env::var("SHIPGATE_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = std::process::Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(Driver);
        let missing = |what: &str| {
            if skip {
                eprintln!("SKIPPED (SHIPGATE_SKIP_BROWSER_TESTS=1): {what}");
                None
            } else {
                panic!(
                    "{what}: install Debian's chromium and chromium-driver \
                     (apt-get install -y chromium chromium-driver), or set \
                     SHIPGATE_SKIP_BROWSER_TESTS=1 to skip the browser test"
                )
            }
        };
        if !std::path::Path::new(&chromium).exists() {
            return missing(&format!("no Chromium at {chromium}"));
        }
        let driver = match driver {
            Ok(d) => d,
            Err(e) => return missing(&format!("cannot run {driver_bin}: {e}")),
        };
        shipgate_carriers::client::install_tls_provider();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{base}/status")).send().await;
            if let Ok(r) = ready
                && r.json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == true)
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--lang=en-GB"]
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_string();
        Some(Self {
            http,
            session: format!("{base}/session/{session}"),
            _driver: driver,
        })
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r: Value = request.send().await.unwrap().json().await.unwrap();
        r["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// The first element matching `css`, waiting up to 10 s for it.
    pub async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = self
                .call(
                    reqwest::Method::POST,
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            if let Some(id) = v[ELEMENT].as_str() {
                return id.to_string();
            }
            assert!(Instant::now() < deadline, "no `{css}` on the page: {v}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn type_into(&self, element: &str, text: &str) {
        let path = format!("/element/{element}");
        self.call(
            reqwest::Method::POST,
            &format!("{path}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("{path}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub async fn click(&self, element: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn text(&self, element: &str) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{element}/text"),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub async fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{element}/attribute/{name}"),
            None,
        )
        .await
        .as_str()
        .map(str::to_string)
    }

    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    pub async fn quit(self) {
        self.http.delete(&self.session).send().await.unwrap();
    }
}

impl Browser {
    /// A Chrome DevTools command, through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
        .await
    }

    /// Lays pages out as a phone `width` CSS pixels wide would.
    pub async fn phone(&self, width: u32, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": true}),
        )
        .await;
    }

    /// A PNG of the whole page (beyond the viewport), written to `path`.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await;
        let data = shot["data"]
            .as_str()
            .unwrap_or_else(|| panic!("no screenshot: {shot}"));
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    /// Presses keys (WebDriver key codes, e.g. "\u{E004}" for Tab) on
    /// whatever has the focus.
    pub async fn press(&self, key: &str) {
        let actions: Vec<Value> = key
            .chars()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k.to_string()}),
                    json!({"type": "keyUp", "value": k.to_string()}),
                ]
            })
            .collect();
        self.call(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
    }

    /// The current page's URL.
    /// Clicks something that loads another page (a link, a form's submit
    /// button) and waits until that page has loaded. WebDriver's click
    /// returns once the click is dispatched, before a form's navigation has
    /// begun, so what is read right after it can still be the old page (its
    /// heading, its rows): the old page is marked, and the new one has no mark.
    pub async fn click_to_navigate(&self, element: &str) {
        self.script("window.__shipgateOldPage = true", json!([]))
            .await;
        self.click(element).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let loaded = self
                .script(
                    "return window.__shipgateOldPage === undefined && document.readyState === 'complete'",
                    json!([]),
                )
                .await;
            if loaded == json!(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the click loaded no page: {loaded}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Every element matching `css`.
    pub async fn find_all(&self, css: &str) -> Vec<String> {
        self.call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .await
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e[ELEMENT].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
    }
}
