//! The one place carrier requests are sent.
//!
//! Adapters describe requests; [`CarrierClient`] sends them with a timeout,
//! retries what is safe to retry (reads, creates the carrier de-duplicates,
//! and anything answered 429, which was not processed) with exponential
//! backoff and jitter, keeps each account within its carrier's published rate
//! limits, logs in and re-logs in for carriers that need a session, and opens
//! a circuit breaker per account after repeated failures so a dead carrier
//! fails fast instead of tying up every request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use shipgate_carrier_core::account::Secret;
use shipgate_carrier_core::{
    Account, Adapter, Booking, CancelOutcome, CarrierError, CreateRequest, HttpRequest,
    HttpResponse, LabelDocument, Method, NdrInstruction, NdrOutcome, PickupConfirmation,
    PickupRequest, Retry, ServiceabilityRecord, TrackedShipment,
};

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Per request.
    pub timeout: Duration,
    /// Sends per request, first included.
    pub max_attempts: u32,
    /// First retry delay; doubles each time.
    pub backoff: Duration,
    /// Consecutive failures that open an account's circuit.
    pub breaker_failures: u32,
    /// How long an open circuit fails fast before letting a trial through.
    pub breaker_cooldown: Duration,
    /// Longest wait for a rate-limit slot before giving up.
    pub max_rate_wait: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_attempts: 4,
            backoff: Duration::from_millis(250),
            breaker_failures: 20,
            breaker_cooldown: Duration::from_secs(30),
            max_rate_wait: Duration::from_secs(30),
        }
    }
}

/// A token bucket: `capacity` requests, refilled evenly over the window.
struct Bucket {
    capacity: f64,
    tokens: f64,
    per_second: f64,
    last: Instant,
}

impl Bucket {
    /// Takes a token, or says how long until one is free.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
    }
}

#[derive(Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

pub struct CarrierClient {
    http: reqwest::Client,
    config: ClientConfig,
    buckets: Mutex<HashMap<(String, &'static str), Bucket>>,
    breakers: Mutex<HashMap<String, Breaker>>,
    sessions: Mutex<HashMap<String, (Secret, Option<Instant>)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn transport(carrier: &'static str, message: String, retryable: bool) -> CarrierError {
    CarrierError::Transport {
        carrier,
        message,
        retryable,
    }
}

/// Installs rustls' ring provider once, for HTTPS to real carriers (and
/// for any other reqwest client in the process).
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl CarrierClient {
    pub fn new(config: ClientConfig) -> Self {
        install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("shipgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            http,
            config,
            buckets: Mutex::new(HashMap::new()),
            breakers: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    async fn wait_for_rate_limit(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        operation: &'static str,
    ) -> Result<(), CarrierError> {
        let started = Instant::now();
        for limit in adapter
            .rate_limits()
            .iter()
            .filter(|l| l.operation.is_none_or(|op| op == operation))
        {
            let key = (account.id.clone(), limit.operation.unwrap_or("*"));
            loop {
                let outcome = {
                    let mut buckets = lock(&self.buckets);
                    let bucket = buckets.entry(key.clone()).or_insert_with(|| Bucket {
                        capacity: f64::from(limit.max_requests),
                        tokens: f64::from(limit.max_requests),
                        per_second: f64::from(limit.max_requests)
                            / limit.per.as_secs_f64().max(0.001),
                        last: Instant::now(),
                    });
                    bucket.take(Instant::now())
                };
                match outcome {
                    Ok(()) => break,
                    Err(wait) if started.elapsed() + wait <= self.config.max_rate_wait => {
                        tokio::time::sleep(wait).await
                    }
                    Err(_) => {
                        return Err(transport(
                            adapter.carrier(),
                            format!("rate limit for {operation} reached; try later"),
                            true,
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn breaker_check(&self, adapter: &dyn Adapter, account: &Account) -> Result<(), CarrierError> {
        let mut breakers = lock(&self.breakers);
        let breaker = breakers.entry(account.id.clone()).or_default();
        match breaker.open_until {
            Some(until) if Instant::now() < until => Err(transport(
                adapter.carrier(),
                "circuit open after repeated failures; not calling the carrier for now".into(),
                true,
            )),
            Some(_) => {
                // Half-open: let this one through as the trial.
                breaker.open_until = None;
                breaker.failures = self.config.breaker_failures.saturating_sub(1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn breaker_record(&self, account: &Account, ok: bool) {
        let mut breakers = lock(&self.breakers);
        let breaker = breakers.entry(account.id.clone()).or_default();
        if ok {
            breaker.failures = 0;
        } else {
            breaker.failures += 1;
            if breaker.failures >= self.config.breaker_failures {
                breaker.open_until = Some(Instant::now() + self.config.breaker_cooldown);
                tracing::warn!(account = %account.id, "carrier circuit opened");
            }
        }
    }

    async fn send_once(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        request: &HttpRequest,
    ) -> Result<HttpResponse, (CarrierError, Option<Duration>)> {
        let carrier = adapter.carrier();
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.http.request(method, request.url(&account.base_url));
        let (content_type, body) = request.body.encode();
        if let Some(ct) = content_type.filter(|_| request.header_value("content-type").is_none()) {
            builder = builder.header("content-type", ct);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if !body.is_empty() {
            builder = builder.body(body);
        }
        let started = Instant::now();
        let response = builder.send().await.map_err(|e| {
            let what = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "connection failed"
            } else {
                "request failed"
            };
            (
                transport(
                    carrier,
                    format!(
                        "{} {what} after {} ms",
                        request.operation,
                        started.elapsed().as_millis()
                    ),
                    true,
                ),
                None,
            )
        })?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_string(), v.to_string()))
            })
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|e| {
                (
                    transport(
                        carrier,
                        format!("{} body read failed: {e}", request.operation),
                        true,
                    ),
                    None,
                )
            })?
            .to_vec();
        let response = HttpResponse {
            status,
            headers,
            body,
        };
        if status == 429 {
            let retry_after = response
                .header_value("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err((
                transport(
                    carrier,
                    format!("{} rate limited by the carrier (429)", request.operation),
                    true,
                ),
                retry_after,
            ));
        }
        if status >= 500 {
            return Err((
                transport(
                    carrier,
                    format!("{} answered {status}", request.operation),
                    true,
                ),
                None,
            ));
        }
        Ok(response)
    }

    /// Sends a request, retrying only when a repeat cannot act twice.
    pub async fn send(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        request: &HttpRequest,
    ) -> Result<HttpResponse, CarrierError> {
        self.breaker_check(adapter, account)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_for_rate_limit(adapter, account, request.operation)
                .await?;
            match self.send_once(adapter, account, request).await {
                Ok(response) => {
                    self.breaker_record(account, true);
                    return Ok(response);
                }
                Err((error, retry_after)) => {
                    // A 429 was not processed: safe to repeat whatever it was.
                    let throttled = retry_after.is_some() || error.to_string().contains("(429)");
                    if !throttled {
                        self.breaker_record(account, false);
                    }
                    let may_retry = throttled || request.retry == Retry::Safe;
                    if !may_retry || attempt >= self.config.max_attempts {
                        tracing::warn!(carrier = adapter.carrier(), operation = request.operation, attempt, error = %shipgate_domain::redact::text(&error.to_string()), "carrier request failed");
                        return Err(error);
                    }
                    let backoff = self.config.backoff * 2u32.pow(attempt - 1);
                    let jitter = Duration::from_millis(
                        rand::random::<u64>() % (backoff.as_millis() as u64 / 2 + 1),
                    );
                    let wait = retry_after
                        .unwrap_or(backoff + jitter)
                        .min(Duration::from_secs(30));
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// The account with a live session token, for carriers that log in.
    async fn session(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        fresh: bool,
    ) -> Result<Account, CarrierError> {
        if !adapter.requires_login() {
            return Ok(account.clone());
        }
        if !fresh
            && let Some((token, expires)) = lock(&self.sessions).get(&account.id).cloned()
            && expires.is_none_or(|e| Instant::now() < e)
        {
            return Ok(Account {
                token: Some(token),
                ..account.clone()
            });
        }
        let login = adapter.build_login(account)?;
        let response = self.send(adapter, account, &login).await?;
        let token = adapter.parse_login(account, &response)?;
        // Renew five minutes early.
        let expires = token
            .expires_in
            .map(|d| Instant::now() + d.saturating_sub(Duration::from_secs(300)));
        lock(&self.sessions).insert(account.id.clone(), (token.value.clone(), expires));
        Ok(Account {
            token: Some(token.value),
            ..account.clone()
        })
    }

    /// Builds, sends and parses one operation; logs in again once if the
    /// session was refused.
    pub async fn call<T>(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        build: impl Fn(&Account) -> Result<HttpRequest, CarrierError>,
        parse: impl Fn(&HttpResponse) -> Result<T, CarrierError>,
    ) -> Result<T, CarrierError> {
        let session = self.session(adapter, account, false).await?;
        let response = self.send(adapter, &session, &build(&session)?).await?;
        if matches!(response.status, 401 | 403) && adapter.requires_login() {
            let session = self.session(adapter, account, true).await?;
            let response = self.send(adapter, &session, &build(&session)?).await?;
            return parse(&response);
        }
        parse(&response)
    }

    /// Creates a shipment at the carrier, exactly once. When the outcome of a
    /// create is unknown (timeout, 5xx) and the carrier does not de-duplicate
    /// creates itself, asks the carrier for the order reference before trying
    /// again; if the carrier cannot be asked, fails with a clear error rather
    /// than risk a duplicate.
    pub async fn create_shipment(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        request: &CreateRequest<'_>,
    ) -> Result<Booking, CarrierError> {
        let carrier = adapter.carrier();
        let create = |a: &Account| adapter.build_create(a, request);
        let parse = |r: &HttpResponse| adapter.parse_create(account, request, r);
        let first = self.call(adapter, account, create, parse).await;
        let Err(CarrierError::Transport { message, .. }) = &first else {
            return first;
        };
        let self_deduplicating = adapter
            .build_create(account, request)
            .is_ok_and(|r| r.retry == Retry::Safe);
        if self_deduplicating {
            return first;
        }
        let mut last = message.clone();
        for attempt in 1..self.config.max_attempts {
            tokio::time::sleep(self.config.backoff * attempt).await;
            let found = self
                .call(
                    adapter,
                    account,
                    |a| adapter.build_find_by_reference(a, request.reference),
                    |r| adapter.parse_find_by_reference(r),
                )
                .await;
            match found {
                Ok(Some(booking)) => return Ok(booking),
                Ok(None) => match self.call(adapter, account, create, parse).await {
                    Err(CarrierError::Transport { message, .. }) => last = message,
                    other => return other,
                },
                Err(CarrierError::Unsupported { .. }) => {
                    return Err(transport(
                        carrier,
                        format!(
                            "{last}; {carrier} cannot be asked whether order {} was created, so it was not retried",
                            request.reference
                        ),
                        false,
                    ));
                }
                Err(CarrierError::Transport { message, .. }) => last = message,
                Err(other) => return Err(other),
            }
        }
        Err(transport(
            carrier,
            format!(
                "create failed, outcome unknown after {} tries: {last}",
                self.config.max_attempts
            ),
            false,
        ))
    }

    /// Tracks AWBs in the carrier's batch size.
    pub async fn track(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        awbs: &[String],
    ) -> Result<Vec<TrackedShipment>, CarrierError> {
        let mut all = Vec::with_capacity(awbs.len());
        for chunk in awbs.chunks(adapter.max_track_batch().max(1)) {
            let mut found = self
                .call(
                    adapter,
                    account,
                    |a| adapter.build_track(a, chunk),
                    |r| adapter.parse_track(r),
                )
                .await?;
            all.append(&mut found);
        }
        Ok(all)
    }

    pub async fn fetch_awbs(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        count: u32,
    ) -> Result<Vec<String>, CarrierError> {
        self.call(
            adapter,
            account,
            |a| adapter.build_fetch_awbs(a, count),
            |r| adapter.parse_fetch_awbs(r),
        )
        .await
    }

    pub async fn label(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        awb: &str,
    ) -> Result<LabelDocument, CarrierError> {
        self.call(
            adapter,
            account,
            |a| adapter.build_label(a, awb),
            |r| adapter.parse_label(r),
        )
        .await
    }

    pub async fn pickup(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        request: &PickupRequest,
    ) -> Result<PickupConfirmation, CarrierError> {
        self.call(
            adapter,
            account,
            |a| adapter.build_pickup(a, request),
            |r| adapter.parse_pickup(r),
        )
        .await
    }

    pub async fn cancel(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        awb: &str,
    ) -> Result<CancelOutcome, CarrierError> {
        self.call(
            adapter,
            account,
            |a| adapter.build_cancel(a, awb),
            |r| adapter.parse_cancel(r),
        )
        .await
    }

    pub async fn modify(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        awb: &str,
        change: &shipgate_carrier_core::Modification,
    ) -> Result<(), CarrierError> {
        self.call(
            adapter,
            account,
            |a| adapter.build_modify(a, awb, change),
            |r| adapter.parse_modify(r),
        )
        .await
    }

    pub async fn serviceability(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        postal_code: &str,
    ) -> Result<Vec<ServiceabilityRecord>, CarrierError> {
        self.call(
            adapter,
            account,
            |a| adapter.build_serviceability(a, postal_code),
            |r| adapter.parse_serviceability(r),
        )
        .await
    }

    /// Sends an NDR instruction; for asynchronous carriers, follows the
    /// request until it settles (or `polls` run out, leaving it pending).
    pub async fn ndr_action(
        &self,
        adapter: &dyn Adapter,
        account: &Account,
        awb: &str,
        instruction: &NdrInstruction,
        polls: u32,
    ) -> Result<NdrOutcome, CarrierError> {
        let outcome = self
            .call(
                adapter,
                account,
                |a| adapter.build_ndr_action(a, awb, instruction),
                |r| adapter.parse_ndr_action(r),
            )
            .await?;
        let NdrOutcome::Pending { request_id } = &outcome else {
            return Ok(outcome);
        };
        for poll in 0..polls {
            if poll > 0 {
                tokio::time::sleep(self.config.backoff * poll).await;
            }
            let settled = self
                .call(
                    adapter,
                    account,
                    |a| adapter.build_ndr_status(a, request_id),
                    |r| adapter.parse_ndr_status(r),
                )
                .await?;
            if let Some(done) = settled {
                return Ok(done);
            }
        }
        Ok(outcome)
    }
}
