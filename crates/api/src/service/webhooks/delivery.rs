//! Sending webhooks, svix-style: the messages are an outbox that workers
//! claim due messages from in batches ([`Outbox`], run by every job worker;
//! claimed with a lease, `SKIP LOCKED` on PostgreSQL, so many processes
//! share the work and none sends a message twice at once), send concurrently
//! over keep-alive connections and record the attempts of a batch in one
//! transaction; failures are retried on a schedule with jitter (or when the
//! receiver's `Retry-After` says), and an endpoint that has failed for too
//! long is disabled. A merchant's replay is one job ([`DeliverJob`]).

use std::collections::HashMap;
use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use shipgate_storage::{
    AttemptOutcome, ClaimedMessage, DeliveryOutcome, Job, NewJob, StoreError, WebhookAttempt,
    WebhookEndpoint, WebhookEvent, WebhookMessage, now,
};

use super::events::FanOutPayload;
use super::signing::{SigningKey, signature_header};
use super::ssrf;
use crate::AppState;

/// Job kind that makes one delivery attempt outside the schedule (a replay).
pub const DELIVER: &str = "webhook.deliver";

/// Most messages one worker claims from the outbox at once.
pub const OUTBOX_BATCH: u32 = 256;

/// Most requests one worker has in flight at once.
pub const OUTBOX_CONCURRENCY: usize = 64;

/// The most of a response body kept with an attempt.
pub const EXCERPT_BYTES: usize = 1024;

/// Bounds on a receiver's `Retry-After`.
const RETRY_AFTER_MIN: Duration = Duration::from_secs(1);
const RETRY_AFTER_MAX: Duration = Duration::from_secs(3600);

/// How webhooks are retried and given up on.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The waits before the 2nd, 3rd, … attempt (the 1st is immediate);
    /// each gets up to 20% jitter. After the last, the message has failed.
    pub retry_schedule: Vec<Duration>,
    /// Per attempt: connecting, sending and reading the response excerpt.
    pub request_timeout: Duration,
    /// An endpoint whose every attempt has failed for this long is disabled.
    pub disable_after: Duration,
}

impl Default for WebhookConfig {
    /// Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about a day
    /// and a half; disabled after 5 days of failures.
    fn default() -> Self {
        let (min, hour) = (60, 3600);
        Self {
            retry_schedule: [
                5,
                5 * min,
                30 * min,
                2 * hour,
                5 * hour,
                10 * hour,
                10 * hour,
            ]
            .into_iter()
            .map(Duration::from_secs)
            .collect(),
            request_timeout: Duration::from_secs(15),
            disable_after: Duration::from_secs(5 * 24 * hour),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct DeliverPayload {
    message_id: String,
    /// Which attempt of the schedule this is (0: the first, immediate one).
    #[serde(default)]
    step: usize,
    /// A replay asked for by the merchant: one attempt, outside the schedule.
    #[serde(default)]
    replay: bool,
}

/// The job that attempts `message`.
pub fn deliver_job(
    message: &WebhookMessage,
    step: usize,
    replay: bool,
    run_at: Timestamp,
) -> NewJob {
    let payload = DeliverPayload {
        message_id: message.id.clone(),
        step,
        replay,
    };
    NewJob {
        run_at,
        ..NewJob::now(
            DELIVER,
            Some(message.tenant_id.clone()),
            serde_json::to_value(payload).unwrap_or_default(),
        )
    }
}

fn with_jitter(delay: Duration) -> Duration {
    // Up to 20% later, so messages that failed together do not retry together.
    let spread = (delay.as_millis() / 5) as u64;
    delay + Duration::from_millis(rand::random::<u64>() % (spread + 1))
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{} ms", d.as_millis()),
        s if s % 86_400 == 0 => format!("{} days", s / 86_400),
        s if s % 3600 == 0 => format!("{} hours", s / 3600),
        s => format!("{s} s"),
    }
}

/// What came of one HTTP attempt.
#[derive(Debug, Default)]
pub struct Sent {
    pub status: Option<u16>,
    pub latency: Duration,
    pub excerpt: Option<String>,
    pub error: Option<String>,
    pub retry_after: Option<Duration>,
}

impl Sent {
    fn refused(error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            ..Self::default()
        }
    }

    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|c| (200..300).contains(&c))
    }
}

/// Sends signed webhooks to checked addresses.
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self, reqwest::Error> {
        shipgate_carriers::client::install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            // A redirect could lead anywhere, including inside our network.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("shipgate-webhooks/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(ssrf::PublicOnlyResolver);
        }
        Ok(Self {
            client: builder.build()?,
            allow_private,
        })
    }

    pub async fn send(&self, url: &str, headers: &[(&str, String)], body: &str) -> Sent {
        let Ok(parsed) = reqwest::Url::parse(url) else {
            return Sent::refused(format!("`{url}` is not a URL"));
        };
        let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) else {
            return Sent::refused(format!("`{url}` has no host"));
        };
        // Checked here for a clear error (and for literal addresses, which
        // the client's resolver never sees); the resolver checks again at
        // connection time.
        if let Err(e) = ssrf::resolve(host, port, self.allow_private).await {
            return Sent::refused(e);
        }
        let mut request = self
            .client
            .post(parsed)
            .header("content-type", "application/json")
            .body(body.to_string());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let started = Instant::now();
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                return Sent {
                    latency: started.elapsed(),
                    error: Some(describe(&e)),
                    ..Sent::default()
                };
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).clamp(RETRY_AFTER_MIN, RETRY_AFTER_MAX));
        let mut excerpt = Vec::new();
        let mut error = None;
        // Only the first KB is kept, so only that much is read.
        while excerpt.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    error = Some(format!("reading the response: {}", describe(&e)));
                    break;
                }
            }
        }
        excerpt.truncate(EXCERPT_BYTES);
        let excerpt = String::from_utf8_lossy(&excerpt).into_owned();
        Sent {
            status: Some(status),
            latency: started.elapsed(),
            excerpt: Some(excerpt).filter(|e| !e.is_empty()),
            error: error.or_else(|| {
                (!(200..300).contains(&status)).then(|| format!("the endpoint answered {status}"))
            }),
            retry_after,
        }
    }
}

/// A reqwest error with its causes (the resolver's refusal is one).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The keys that sign for `endpoint` now: its secret, and the previous one
/// while its grace period lasts.
pub(crate) fn signing_keys(
    state: &AppState,
    endpoint: &WebhookEndpoint,
) -> Result<Vec<SigningKey>, String> {
    let open = |sealed: &str| -> Result<SigningKey, String> {
        let bytes = state
            .secrets
            .open(&endpoint.id, sealed)
            .map_err(|e| format!("the endpoint's signing secret: {e}"))?;
        let secret = String::from_utf8(bytes)
            .map_err(|_| "the endpoint's signing secret is not text".to_string())?;
        SigningKey::parse(&secret).map_err(|e| e.to_string())
    };
    let mut keys = vec![open(&endpoint.sealed_secret)?];
    if let (Some(previous), Some(until)) = (
        &endpoint.sealed_previous_secret,
        endpoint.previous_secret_expires_at,
    ) && until > now()
    {
        keys.push(open(previous)?);
    }
    Ok(keys)
}

/// The worker's handler for [`FANOUT`](super::events::FANOUT) jobs.
pub struct FanOutJob(pub AppState);

/// A fan-out job's tenant and events.
fn fan_out_events(job: &Job) -> Result<(&str, Vec<WebhookEvent>), String> {
    let tenant_id = job.tenant_id.as_deref().ok_or("job has no tenant")?;
    let payload: FanOutPayload = serde_json::from_value(job.payload.clone())
        .map_err(|e| format!("malformed fan-out job: {e}"))?;
    let events = payload
        .events
        .into_iter()
        .map(|e| WebhookEvent {
            key: e.key,
            event_type: e.event_type,
            payload: e.payload,
        })
        .collect();
    Ok((tenant_id, events))
}

#[async_trait::async_trait]
impl crate::worker::JobHandler for FanOutJob {
    async fn run(&self, job: &Job) -> Result<(), String> {
        self.run_batch(std::slice::from_ref(job))
            .await
            .pop()
            .unwrap_or(Ok(()))
    }

    /// A claim's fan-outs written per tenant in one transaction, not one
    /// each: on PostgreSQL every commit waits for its WAL flush, and one
    /// worker committing a job at a time fell behind 100 bookings a second
    /// (`shipment.created` webhooks up to 16 s late in the mixed load). A
    /// retry writes nothing twice (one message per event and endpoint).
    async fn run_batch(&self, jobs: &[Job]) -> Vec<Result<(), String>> {
        let mut outcomes: Vec<Result<(), String>> = Vec::with_capacity(jobs.len());
        // tenant → (its events in job order, the jobs they came from)
        let mut by_tenant: Vec<(&str, Vec<WebhookEvent>, Vec<usize>)> = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            match fan_out_events(job) {
                Ok((tenant_id, events)) => {
                    outcomes.push(Ok(()));
                    match by_tenant.iter_mut().find(|(t, _, _)| *t == tenant_id) {
                        Some((_, all, from)) => {
                            all.extend(events);
                            from.push(i);
                        }
                        None => by_tenant.push((tenant_id, events, vec![i])),
                    }
                }
                Err(e) => outcomes.push(Err(e)),
            }
        }
        for (tenant_id, events, from) in by_tenant {
            if let Err(e) = self
                .0
                .store
                .fan_out_webhook_events(tenant_id, &events)
                .await
            {
                for i in from {
                    outcomes[i] = Err(e.to_string());
                }
            }
        }
        outcomes
    }
}

/// Signs and sends `message` to `endpoint` now (refused without sending
/// when the endpoint is disabled or its keys cannot be opened).
async fn attempt(
    sender: &Sender,
    endpoint: &WebhookEndpoint,
    keys: &Result<Vec<SigningKey>, String>,
    message: &WebhookMessage,
    started_at: Timestamp,
) -> Sent {
    if !endpoint.enabled {
        return Sent::refused(match &endpoint.disabled_reason {
            Some(reason) => format!("the endpoint is disabled: {reason}"),
            None => "the endpoint is disabled".into(),
        });
    }
    let keys = match keys {
        Ok(keys) => keys,
        Err(e) => return Sent::refused(e.clone()),
    };
    let timestamp = started_at.as_second();
    let signature = signature_header(keys, &message.id, timestamp, message.payload.as_bytes());
    let headers = [
        ("webhook-id", message.id.clone()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ];
    let sent = sender.send(&endpoint.url, &headers, &message.payload).await;
    metrics::counter!(
        "shipgate_webhook_attempts_total",
        "result" => if sent.delivered() { "delivered" } else { "failed" }
    )
    .increment(1);
    if !sent.delivered() {
        tracing::info!(message = %message.id, endpoint = %endpoint.id, status = ?sent.status, error = ?sent.error, "webhook attempt failed");
    }
    sent
}

/// When to try a message again after a failed scheduled attempt (`step`:
/// scheduled attempts before this one), or `None` when the schedule is done.
fn next_attempt(config: &WebhookConfig, step: usize, sent: &Sent) -> Option<Timestamp> {
    let delay = config.retry_schedule.get(step)?;
    let wait = sent.retry_after.unwrap_or_else(|| with_jitter(*delay));
    Some(now() + SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX))
}

/// The attempt record of what `sent` did.
fn attempt_record(
    message: &WebhookMessage,
    job_id: &str,
    trigger: &str,
    started_at: Timestamp,
    sent: Sent,
) -> WebhookAttempt {
    WebhookAttempt {
        message_id: message.id.clone(),
        attempt: 0,
        job_id: job_id.to_string(),
        trigger: trigger.into(),
        started_at,
        status_code: sent.status,
        latency_ms: u64::try_from(sent.latency.as_millis()).unwrap_or(u64::MAX),
        response_excerpt: sent.excerpt,
        error: sent.error,
        next_attempt_at: None,
    }
}

/// An endpoint failing since before this is disabled, and why.
fn disable_rule(config: &WebhookConfig, started_at: Timestamp) -> (Timestamp, String) {
    let disable_after =
        SignedDuration::try_from(config.disable_after).unwrap_or(SignedDuration::MAX);
    (
        started_at
            .checked_sub(disable_after)
            .unwrap_or(Timestamp::MIN),
        format!(
            "every delivery attempt failed for {}; fix the endpoint, then enable it again",
            human(config.disable_after)
        ),
    )
}

/// An endpoint as one outbox batch sends to it.
struct Target {
    endpoint: WebhookEndpoint,
    keys: Result<Vec<SigningKey>, String>,
}

/// Which messages must go out one after another: those about one shipment
/// to one endpoint (a recording's `status_changed` before its `delivered`).
fn ordering_key(message: &WebhookMessage) -> (String, String) {
    #[derive(Deserialize)]
    struct Subject {
        data: Option<SubjectData>,
    }
    #[derive(Deserialize)]
    struct SubjectData {
        id: Option<String>,
    }
    let subject = serde_json::from_str::<Subject>(&message.payload)
        .ok()
        .and_then(|s| s.data?.id)
        .unwrap_or_else(|| message.id.clone());
    (message.endpoint_id.clone(), subject)
}

/// Delivers due outbox messages: claims a batch, sends it concurrently
/// (messages about one shipment to one endpoint in order), records every
/// attempt of the batch at once. Run by every job worker.
pub struct Outbox {
    state: AppState,
    sender: Arc<Sender>,
}

impl Outbox {
    pub fn new(state: AppState) -> Result<Self, reqwest::Error> {
        let sender = Sender::new(
            state.webhooks.request_timeout,
            state.allow_private_webhook_targets,
        )?;
        Ok(Self {
            state,
            sender: Arc::new(sender),
        })
    }

    /// How long a claim holds: long enough for a batch whose every request
    /// times out, one chain after another, and at least the worker's lease
    /// (120 s with the defaults). A process that dies holding a batch has it
    /// sent again (same `webhook-id`s) by another once this has passed.
    fn lease(&self) -> Duration {
        let rounds = (OUTBOX_BATCH as usize).div_ceil(OUTBOX_CONCURRENCY) as u32;
        (self.state.webhooks.request_timeout * rounds * 2).max(self.state.worker_lease)
    }

    /// Sends one batch of due messages; returns how many attempts it made.
    pub async fn deliver_due(&self, worker: &str) -> Result<usize, StoreError> {
        let store = &self.state.store;
        let claimed = store
            .claim_webhook_messages(worker, OUTBOX_BATCH, self.lease())
            .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let started = Instant::now();
        let mut targets: HashMap<String, Option<Arc<Target>>> = HashMap::new();
        for c in &claimed {
            let m = &c.message;
            if !targets.contains_key(&m.endpoint_id) {
                // Gone with its messages when deleted: nothing left to do.
                let target = store
                    .webhook_endpoint(&m.tenant_id, &m.endpoint_id)
                    .await?
                    .map(|endpoint| {
                        let keys = signing_keys(&self.state, &endpoint);
                        Arc::new(Target { endpoint, keys })
                    });
                targets.insert(m.endpoint_id.clone(), target);
            }
        }
        let mut chains: Vec<(Arc<Target>, Vec<ClaimedMessage>)> = Vec::new();
        let mut chain_of: HashMap<(String, String), usize> = HashMap::new();
        for c in claimed {
            let Some(Some(target)) = targets.get(&c.message.endpoint_id) else {
                continue;
            };
            let i = *chain_of.entry(ordering_key(&c.message)).or_insert_with(|| {
                chains.push((target.clone(), Vec::new()));
                chains.len() - 1
            });
            chains[i].1.push(c);
        }
        let mut outcomes = Vec::new();
        let mut in_flight = tokio::task::JoinSet::new();
        for (target, chain) in chains {
            while in_flight.len() >= OUTBOX_CONCURRENCY {
                outcomes.extend(joined(in_flight.join_next().await));
            }
            let (sender, config) = (self.sender.clone(), self.state.webhooks.clone());
            in_flight.spawn(async move {
                let mut done = Vec::with_capacity(chain.len());
                for c in chain {
                    let started_at = now();
                    let sent = attempt(
                        &sender,
                        &target.endpoint,
                        &target.keys,
                        &c.message,
                        started_at,
                    )
                    .await;
                    let delivered = sent.delivered();
                    let retry_at = (!delivered && target.endpoint.enabled)
                        .then(|| next_attempt(&config, c.step as usize, &sent))
                        .flatten();
                    let (disable_if_failing_since, disable_reason) =
                        disable_rule(&config, started_at);
                    done.push(DeliveryOutcome {
                        attempt: attempt_record(
                            &c.message,
                            &c.claim,
                            "scheduled",
                            started_at,
                            sent,
                        ),
                        delivered,
                        retry_at,
                        disable_if_failing_since,
                        disable_reason,
                    });
                }
                done
            });
        }
        while let Some(result) = in_flight.join_next().await {
            outcomes.extend(joined(Some(result)));
        }
        let sent_in = started.elapsed();
        let recorded = store.record_webhook_deliveries(&outcomes).await?;
        tracing::debug!(
            attempts = outcomes.len(),
            recorded,
            send_ms = sent_in.as_millis() as u64,
            record_ms = (started.elapsed() - sent_in).as_millis() as u64,
            "webhook outbox batch"
        );
        Ok(outcomes.len())
    }
}

/// The outcomes of a finished chain (a chain that panicked records nothing:
/// its messages are sent again when their claim runs out).
fn joined(
    result: Option<Result<Vec<DeliveryOutcome>, tokio::task::JoinError>>,
) -> Vec<DeliveryOutcome> {
    match result {
        Some(Ok(outcomes)) => outcomes,
        Some(Err(e)) => {
            tracing::error!(error = %e, "webhook delivery task failed");
            Vec::new()
        }
        None => Vec::new(),
    }
}

#[async_trait::async_trait]
impl crate::worker::Sweep for Outbox {
    async fn run_once(&self, worker: &str) -> Result<usize, StoreError> {
        self.deliver_due(worker).await
    }
}

/// The worker's handler for [`DELIVER`] jobs: replays.
pub struct DeliverJob {
    state: AppState,
    sender: Sender,
}

impl DeliverJob {
    pub fn new(state: AppState) -> Result<Self, reqwest::Error> {
        let sender = Sender::new(
            state.webhooks.request_timeout,
            state.allow_private_webhook_targets,
        )?;
        Ok(Self { state, sender })
    }
}

#[async_trait::async_trait]
impl crate::worker::JobHandler for DeliverJob {
    /// Failures of the receiver are recorded as attempts and end the job;
    /// only a store error fails it (and the worker retries it).
    async fn run(&self, job: &Job) -> Result<(), String> {
        let p: DeliverPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| format!("malformed delivery job: {e}"))?;
        // A scheduled attempt queued as a job before the outbox: the outbox
        // sends its message.
        if !p.replay {
            return Ok(());
        }
        let tenant_id = job.tenant_id.as_deref().ok_or("job has no tenant")?;
        let store = &self.state.store;
        let config = &self.state.webhooks;
        // Gone with its endpoint: nothing left to do.
        let Some(message) = store
            .webhook_message(tenant_id, &p.message_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        // This job ran before and lost its lease after recording its attempt.
        if message.attempts.iter().any(|a| a.job_id == job.id) {
            return Ok(());
        }
        let Some(endpoint) = store
            .webhook_endpoint(tenant_id, &message.endpoint_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        let started_at = now();
        let keys = signing_keys(&self.state, &endpoint);
        let sent = attempt(&self.sender, &endpoint, &keys, &message, started_at).await;
        let delivered = sent.delivered();
        let (disable_if_failing_since, disable_reason) = disable_rule(config, started_at);
        let outcome = AttemptOutcome {
            attempt: attempt_record(&message, &job.id, "replay", started_at, sent),
            delivered,
            replay: true,
            retry: None,
            disable_if_failing_since,
            disable_reason,
        };
        store
            .record_webhook_attempt(&outcome)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_spans_about_a_day() {
        let c = WebhookConfig::default();
        assert_eq!(c.retry_schedule.len() + 1, 8, "eight attempts");
        let total: Duration = c.retry_schedule.iter().sum();
        assert_eq!(
            total,
            Duration::from_secs(5 + 300 + 1800 + 7200 + 18000 + 36000 + 36000)
        );
        assert_eq!(c.request_timeout, Duration::from_secs(15));
        assert_eq!(human(c.disable_after), "5 days");
    }

    #[test]
    fn jitter_only_delays_and_by_at_most_a_fifth() {
        for _ in 0..100 {
            let d = with_jitter(Duration::from_secs(100));
            assert!(
                d >= Duration::from_secs(100) && d <= Duration::from_secs(120),
                "{d:?}"
            );
        }
    }

    #[tokio::test]
    async fn refused_targets_fail_with_a_clear_error() {
        let sender = Sender::new(Duration::from_secs(1), false).unwrap();
        let sent = sender.send("http://127.0.0.1:9/hook", &[], "{}").await;
        assert_eq!(sent.status, None);
        assert!(sent.error.unwrap().starts_with("refused: 127.0.0.1"));
        let sent = sender.send("http://localhost:9/hook", &[], "{}").await;
        assert!(sent.error.unwrap().contains("refused"));
    }
}
