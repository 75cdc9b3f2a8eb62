//! Shipgate's storage: one narrow async trait, [`Store`], with a SQLite
//! implementation (the default: one file, WAL) and a PostgreSQL one (many
//! Shipgate processes on one database). Both run the same SQL where the
//! dialects agree (`$N` placeholders work in both), keep their own
//! migrations, and pass the one [`conformance`] suite.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use shipgate_domain::{Shipment, ShipmentEvent, ShipmentState, ShipmentStatus};

pub mod conformance;
pub mod performance;
mod postgres;
mod rows;
mod shared;
mod sqlite;
pub mod testing;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Now, truncated to the microsecond precision both databases keep, so a
/// value read back equals the value written.
pub use rows::now;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    /// The 4-digit series in every fleet AWB this tenant issues.
    pub awb_series: u32,
    pub created_at: Timestamp,
}

/// A secret API key as listed: never the key itself (only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub tenant_id: String,
    /// The key's first characters, to recognise it in listings.
    pub key_prefix: String,
    /// What it is for, as its creator put it.
    pub label: Option<String>,
    pub created_at: Timestamp,
}

/// What revoking a secret API key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyRevocation {
    Revoked,
    /// The tenant has no such unrevoked key.
    NotFound,
    /// Refused: it is the tenant's only unrevoked key.
    LastKey,
}

/// A key safe to put in a web page: it may only look up delivery estimates
/// and serviceability, from the web origins listed for it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishableKey {
    pub id: String,
    pub tenant_id: String,
    /// The key's first characters, to recognise it in listings.
    pub key_prefix: String,
    /// `scheme://host[:port]` origins the key may be used from.
    pub allowed_origins: Vec<String>,
    pub created_at: Timestamp,
}

/// A tenant's account at a carrier. Credentials arrive here already sealed
/// (encrypted by the caller); the store never sees them in clear.
#[derive(Debug, Clone, PartialEq)]
pub struct CarrierAccountRecord {
    pub id: String,
    pub tenant_id: String,
    pub carrier: String,
    pub name: String,
    /// `None`: a sandbox account, served by the built-in simulator.
    pub base_url: Option<String>,
    pub sealed_credentials: String,
    pub settings: serde_json::Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A delivered shipment for the EDD model, in its lane's local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EddObservationRecord {
    /// Assigned by the store; ignored when recording.
    pub id: i64,
    /// `shipment` or `import:<name>`; with `source_ref`, unique.
    pub source: String,
    pub source_ref: String,
    pub tenant_id: Option<String>,
    pub country: String,
    pub carrier: String,
    pub service: String,
    pub scope: String,
    pub origin: String,
    pub destination: String,
    pub ordered_at: jiff::civil::DateTime,
    pub picked_up_at: Option<jiff::civil::DateTime>,
    pub delivered_at: jiff::civil::DateTime,
    pub promised_date: Option<jiff::civil::Date>,
}

/// What a carrier account serves at one postal code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceabilityEntry {
    pub carrier_account_id: String,
    pub postal_code: String,
    pub prepaid: bool,
    pub cod: bool,
    pub pickup: bool,
    pub reverse: bool,
    pub oda: bool,
    pub embargo: bool,
    pub max_weight_grams: Option<i64>,
    pub max_cod_minor: Option<i64>,
}

/// How a carrier account's shipments to a destination ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneOutcome {
    pub carrier_account_id: String,
    /// Delivered or returned.
    pub finished: u64,
    pub returned: u64,
}

/// A shipment due for a pull-tracking poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePoll {
    pub tenant_id: String,
    pub shipment_id: String,
    pub carrier_account_id: String,
    pub awb: String,
    pub status: ShipmentStatus,
}

/// A carrier push as received, before it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierPush {
    pub id: String,
    pub tenant_id: String,
    pub carrier_account_id: String,
    pub received_at: Timestamp,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub status: PushStatus,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushStatus {
    Received,
    Applied,
    Failed,
}

impl PushStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PushStatus::Received => "received",
            PushStatus::Applied => "applied",
            PushStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [Self::Received, Self::Applied, Self::Failed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A carrier code Shipgate could not map, seen on a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    pub carrier: String,
    pub code: String,
    pub description: String,
    pub example_awb: String,
    pub seen_count: u64,
}

/// A job to run later, outside the request that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    pub tenant_id: Option<String>,
    pub payload: serde_json::Value,
    pub run_at: Timestamp,
    pub max_attempts: u32,
}

impl NewJob {
    pub fn now(
        kind: impl Into<String>,
        tenant_id: Option<String>,
        payload: serde_json::Value,
    ) -> Self {
        Self {
            kind: kind.into(),
            tenant_id,
            payload,
            run_at: Timestamp::now(),
            max_attempts: 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Running,
    Done,
    /// Out of attempts; kept for inspection, never retried automatically.
    Dead,
}

impl JobStatus {
    fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Running, Self::Done, Self::Dead]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A claimed job. Only the worker named in `locked_by` may complete or fail
/// it, and only until `locked_until`; after that another worker may take it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub tenant_id: Option<String>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_at: Timestamp,
    pub locked_by: Option<String>,
    pub locked_until: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// A response kept for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// This request owns the key: run it, then `idempotency_complete`.
    Started,
    /// The key was used before with the same request: send this again.
    Replay(StoredResponse),
    /// The key was used before with a different request.
    Mismatch,
    /// Another request with this key is running now.
    InProgress,
}

/// One page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next_after: Option<String>,
}

impl<T> Page<T> {
    /// A page from a query that fetched one row more than `limit`: the extra
    /// row only says another page follows.
    pub(crate) fn from_one_extra(mut items: Vec<T>, limit: u32, id: impl Fn(&T) -> String) -> Self {
        let next_after = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(id)
        } else {
            None
        };
        Self { items, next_after }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShipmentFilter {
    pub status: Option<ShipmentStatus>,
    pub order_reference: Option<String>,
    pub awb: Option<String>,
    pub carrier: Option<String>,
    /// `Some("")` would never match; use `None` for "any".
    pub carrier_account_id: Option<String>,
    pub created_from: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    /// One search box: the AWB, the order reference or the consignee's phone.
    pub search: Option<ShipmentSearch>,
    /// Only shipments with at least one failed delivery attempt (an NDR).
    pub with_ndr: bool,
}

/// What a dashboard search matches, exactly: a shipment whose AWB or order
/// reference is `text`, or whose consignee's phone is `phone` (normalized
/// the way shipments store it, `+<calling code><number>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShipmentSearch {
    pub text: String,
    pub phone: Option<String>,
}

/// A person who signs in to the merchant dashboard, in one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    /// Lower-cased; unique across tenants.
    pub email: String,
    /// A PHC string (Argon2id); never the password.
    pub password_hash: String,
    pub created_at: Timestamp,
}

/// A dashboard session. The cookie carries a random token; only its SHA-256
/// is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSession {
    pub token_hash: String,
    pub user_id: String,
    /// The synchronizer token every form of the session carries.
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A live session with its user and tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub session: UserSession,
    pub user: User,
    pub tenant: Tenant,
}

/// How the shipments of one carrier (or one of its lanes) created in a
/// range did. Times are summed in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerformanceCounts {
    pub shipments: u64,
    pub delivered: u64,
    /// Returned or returning to origin.
    pub rto: u64,
    /// With at least one failed delivery attempt.
    pub with_ndr: u64,
    /// Delivered shipments' creation-to-delivery times, summed.
    pub order_to_delivery_micros: i64,
    /// Delivered shipments whose pick-up was scanned, and their
    /// pick-up-to-delivery times, summed.
    pub picked_up_and_delivered: u64,
    pub pickup_to_delivery_micros: i64,
    /// Delivered shipments with a promised date (the EDD kept at creation),
    /// and those delivered on or before it (IST).
    pub promised: u64,
    pub on_time: u64,
}

/// One carrier's lane (3-digit pickup prefix → 3-digit destination prefix).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LanePerformance {
    pub carrier: String,
    pub origin_prefix: String,
    pub destination_prefix: String,
    pub counts: PerformanceCounts,
}

/// The carrier performance report of a range of creation days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerformanceReport {
    /// Every carrier with shipments in the range, all its lanes together,
    /// by carrier code.
    pub carriers: Vec<(String, PerformanceCounts)>,
    /// Of the tenant's [`BUSIEST_LANES_RANKED`] busiest lanes overall, those
    /// with shipments in the range, busiest in the range first.
    pub lanes: Vec<LanePerformance>,
}

/// How many of a tenant's busiest lanes (by shipments ever created) the
/// report looks at: ranking every lane within an arbitrary range would read
/// a row per lane and day, as many as there are shipments.
pub const BUSIEST_LANES_RANKED: u32 = 100;

/// A bulk creation and its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub id: String,
    pub tenant_id: String,
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub created_at: Timestamp,
}

/// One row of a batch: its index, the request as given, and its result once processed.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRow {
    pub index: u64,
    pub input: serde_json::Value,
    pub result: Option<serde_json::Value>,
}

/// One recorded modification of a shipment.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentChange {
    pub id: String,
    pub actor: String,
    /// `{"field": {"from": …, "to": …}, …}`.
    pub changes: serde_json::Value,
    pub created_at: Timestamp,
}

/// A pickup request to a carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pickup {
    pub id: String,
    pub tenant_id: String,
    pub carrier_account_id: Option<String>,
    pub carrier: String,
    pub location: String,
    pub date: jiff::civil::Date,
    pub carrier_pickup_id: Option<String>,
    pub shipment_count: u32,
    pub created_at: Timestamp,
}

/// One failed delivery attempt and the action taken on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ndr {
    pub id: String,
    pub tenant_id: String,
    pub shipment_id: String,
    pub carrier: String,
    pub awb: String,
    /// 1 for the first failed attempt, and so on.
    pub attempt: u32,
    pub reason: shipgate_domain::NdrReason,
    /// What the carrier said about the attempt.
    pub remarks: Option<String>,
    pub occurred_at: Timestamp,
    pub state: shipgate_domain::ndr::NdrState,
    /// The action taken (`{"action": "reattempt", "date": …}`), once claimed.
    pub action: Option<serde_json::Value>,
    /// Who took it: `desk:<api key's tenant>`, `customer`, `rule:<name>`.
    pub actor: Option<String>,
    pub action_at: Option<Timestamp>,
    pub carrier_request_id: Option<String>,
    /// Why the carrier refused the action, when `state` is `failed`.
    pub error: Option<String>,
    pub customer_asked_at: Option<Timestamp>,
    pub escalated_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Which NDRs to list; by default the unresolved ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NdrFilter {
    pub state: Option<shipgate_domain::ndr::NdrState>,
    pub carrier: Option<String>,
    pub reason: Option<shipgate_domain::NdrReason>,
    pub min_attempt: Option<u32>,
    pub max_attempt: Option<u32>,
    /// Only NDRs raised before this instant (older than an age).
    pub raised_before: Option<Timestamp>,
    pub shipment_id: Option<String>,
}

/// How an action on an NDR ended at the carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NdrActionResult {
    /// Accepted (or, with a request id, accepted for processing).
    Sent {
        carrier_request_id: Option<String>,
    },
    Refused {
        error: String,
    },
    /// Never reached the carrier (e.g. it could not be reached): the claim
    /// is released so the NDR can be acted on again.
    Released {
        error: String,
    },
}

/// Shipments created in a range, grouped by carrier, destination PIN prefix,
/// first NDR reason (none: never failed) and how they stand now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NdrOutcomeCount {
    pub carrier: String,
    pub destination_prefix: String,
    pub first_reason: Option<shipgate_domain::NdrReason>,
    /// `delivered`, `rto` or `open`.
    pub outcome: String,
    pub shipments: u64,
}

/// What recording events did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsRecorded {
    pub previous: ShipmentState,
    pub shipment: Shipment,
    /// Events stored now, with their recording order filled in.
    pub inserted: Vec<ShipmentEvent>,
    /// Events dropped because the same report was already stored.
    pub duplicates: usize,
    /// Ids of inserted events that the transition rules did not apply (kept
    /// in the history, but they moved nothing).
    pub not_applied: Vec<String>,
    /// Ids of the NDR records the new failed attempts raised.
    pub raised_ndrs: Vec<String>,
}

/// A merchant's webhook endpoint. Signing secrets arrive sealed (encrypted
/// by the caller), like carrier credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: String,
    pub tenant_id: String,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why Shipgate disabled it; `None` when enabled or disabled by the merchant.
    pub disabled_reason: Option<String>,
    pub sealed_secret: String,
    /// The secret before the last rotation; it signs too until it expires.
    pub sealed_previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<Timestamp>,
    /// Start of the current run of failed attempts; `None` after a success.
    /// Kept by [`Store::record_webhook_attempt`], never by updates.
    pub failing_since: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An event to fan out to the endpoints subscribed to its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// Unique per event: fanning the same event out again adds nothing.
    pub key: String,
    pub event_type: String,
    /// The exact body every attempt sends and signs.
    pub payload: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookMessageStatus {
    /// Not delivered yet; an attempt is scheduled.
    Pending,
    Delivered,
    /// The retry schedule ran out (or the endpoint was disabled).
    Failed,
}

impl WebhookMessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One event bound for one endpoint; `id` is the `webhook-id` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookMessage {
    pub id: String,
    pub tenant_id: String,
    pub endpoint_id: String,
    pub event_key: String,
    pub event_type: String,
    pub payload: String,
    pub status: WebhookMessageStatus,
    /// When the next scheduled attempt runs, while one is scheduled.
    pub next_attempt_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// Oldest first.
    pub attempts: Vec<WebhookAttempt>,
}

/// One try at delivering a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub message_id: String,
    /// 1, 2, …; assigned by the store when recorded.
    pub attempt: u32,
    /// The job that made it (at most one attempt per job).
    pub job_id: String,
    /// `scheduled` or `replay`.
    pub trigger: String,
    pub started_at: Timestamp,
    /// `None` when no HTTP answer came (refused target, timeout, connection error).
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    /// The first KB of the response body.
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    /// When the next attempt runs, if this one failed and another is scheduled.
    pub next_attempt_at: Option<Timestamp>,
}

/// What an attempt did, recorded atomically with its consequences.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptOutcome {
    pub attempt: WebhookAttempt,
    /// A 2xx answer.
    pub delivered: bool,
    /// A replay is one extra attempt: it never schedules another, and a
    /// failed one leaves a scheduled retry in place.
    pub replay: bool,
    /// For a failed scheduled attempt: the job making the next one (its
    /// `run_at` is when), or `None` when the schedule is exhausted.
    pub retry: Option<NewJob>,
    /// A failed attempt disables the endpoint if it has been failing since
    /// before this instant, giving it this reason.
    pub disable_if_failing_since: Timestamp,
    pub disable_reason: String,
}

/// A message claimed for delivery by [`Store::claim_webhook_messages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMessage {
    pub message: WebhookMessage,
    /// Scheduled attempts made so far (replays not counted): which wait of
    /// the retry schedule follows a failure of this one.
    pub step: u32,
    /// The claim: only it may record the attempt (see
    /// [`Store::record_webhook_deliveries`]); the attempt's `job_id`.
    pub claim: String,
}

/// What a scheduled attempt of a claimed message did.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryOutcome {
    /// `job_id` is the claim.
    pub attempt: WebhookAttempt,
    /// A 2xx answer.
    pub delivered: bool,
    /// For a failed attempt: when to try again, or `None` when the schedule
    /// is exhausted (the message has failed).
    pub retry_at: Option<Timestamp>,
    /// A failed attempt disables the endpoint if it has been failing since
    /// before this instant, giving it this reason.
    pub disable_if_failing_since: Timestamp,
    pub disable_reason: String,
}

/// What a recording calls for, decided and written inside its transaction
/// (so a crash can never keep the events and lose their consequences).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FollowUps {
    pub jobs: Vec<NewJob>,
    /// Webhook events: one outbox message per enabled endpoint subscribed to
    /// the type, written with the events.
    pub webhooks: Vec<WebhookEvent>,
}

/// Decides, inside the recording transaction, what the new events call for.
pub type FollowUp<'a> = &'a (dyn Fn(&EventsRecorded) -> FollowUps + Sync);

/// One tenant's reports, for [`Store::record_applied_pushes`].
#[derive(Debug, Clone, Default)]
pub struct TenantReports {
    pub tenant_id: String,
    pub reports: Vec<ShipmentReport>,
}

/// What a carrier reported about one shipment, for [`Store::record_events_batch`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShipmentReport {
    pub shipment_id: String,
    pub events: Vec<ShipmentEvent>,
    /// Kept as [`Store::record_carrier_facts`] keeps them.
    pub facts: shipgate_domain::shipment::CarrierFacts,
}

/// Who made a configuration change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A secret API key, by the key's id (never the key).
    ApiKey(String),
    /// A dashboard user, by id.
    User(String),
    /// Shipgate itself: the CLI and the sandbox's own setup.
    System,
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::ApiKey(_) => "api_key",
            Actor::User(_) => "user",
            Actor::System => "system",
        }
    }

    pub fn id(&self) -> Option<&str> {
        match self {
            Actor::ApiKey(id) | Actor::User(id) => Some(id),
            Actor::System => None,
        }
    }

    pub(crate) fn from_parts(kind: &str, id: Option<String>) -> Option<Self> {
        match (kind, id) {
            ("api_key", Some(id)) => Some(Actor::ApiKey(id)),
            ("user", Some(id)) => Some(Actor::User(id)),
            ("system", None) => Some(Actor::System),
            _ => None,
        }
    }
}

/// One configuration change, as the audit log keeps it. The store method
/// that makes the change writes it in the same transaction, so a change is
/// never without its entry, nor an entry without its change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor: Actor,
    /// `<object type>.<verb>`, e.g. `webhook_endpoint.updated`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// What changed, without secrets or personal data (credentials by name only).
    pub summary: serde_json::Value,
    /// The `x-request-id` of the API request that made it, if any.
    pub request_id: Option<String>,
}

impl AuditEntry {
    /// An entry without a summary: add one with [`AuditEntry::with_summary`].
    pub fn new(
        actor: Actor,
        request_id: Option<String>,
        object_type: &str,
        verb: &str,
        object_id: &str,
    ) -> Self {
        Self {
            actor,
            action: format!("{object_type}.{verb}"),
            object_type: object_type.to_string(),
            object_id: object_id.to_string(),
            summary: serde_json::Value::Object(Default::default()),
            request_id,
        }
    }

    pub fn with_summary(mut self, summary: serde_json::Value) -> Self {
        self.summary = summary;
        self
    }
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: String,
    pub tenant_id: String,
    pub at: Timestamp,
    pub entry: AuditEntry,
}

/// Which audit entries to list; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<String>,
    /// At or after.
    pub since: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
}

/// A secret API key's tenant and the key's id (the actor of its changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyOwner {
    pub tenant: Tenant,
    pub key_id: String,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    async fn migrate(&self) -> Result<()>;
    async fn ping(&self) -> Result<()>;

    // Tenants and API keys.
    async fn create_tenant(
        &self,
        name: &str,
        api_key_hash: &str,
        api_key_prefix: &str,
    ) -> Result<Tenant>;
    async fn tenant_by_api_key_hash(&self, key_hash: &str) -> Result<Option<ApiKeyOwner>>;
    /// Stores another secret key (by hash) for the tenant, under `audit`'s
    /// object id.
    async fn create_api_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        key_prefix: &str,
        label: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<ApiKey>;
    /// The tenant's unrevoked secret keys, newest first.
    async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>>;
    /// Revokes one of the tenant's secret keys, unless it is the last one
    /// (a tenant always keeps a key it can call the API with).
    async fn revoke_api_key(
        &self,
        tenant_id: &str,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<ApiKeyRevocation>;
    async fn count_tenants(&self) -> Result<u64>;
    /// The tenant created first (the sandbox's default tenant).
    async fn first_tenant(&self) -> Result<Option<Tenant>>;
    /// Stores a publishable key (by hash) with its allowed origins, under
    /// `audit`'s object id.
    async fn create_publishable_key(
        &self,
        tenant_id: &str,
        key_hash: &str,
        key_prefix: &str,
        allowed_origins: &[String],
        audit: &AuditEntry,
    ) -> Result<PublishableKey>;
    /// The unrevoked publishable key with this hash, and its tenant.
    async fn publishable_key_by_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<(Tenant, PublishableKey)>>;
    /// Whether any unrevoked publishable key may be used from `origin`
    /// (a CORS preflight carries no key, so it is answered by origin alone).
    async fn publishable_origin_known(&self, origin: &str) -> Result<bool>;
    /// The tenant's unrevoked publishable keys, newest first (a tenant has a few).
    async fn list_publishable_keys(&self, tenant_id: &str) -> Result<Vec<PublishableKey>>;
    /// Revokes one of the tenant's publishable keys; false if it has no such
    /// unrevoked key.
    async fn revoke_publishable_key(
        &self,
        tenant_id: &str,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<bool>;

    /// The next serial of a tenant's AWB series; never the same one twice.
    async fn next_awb_serial(&self, tenant_id: &str, series: &str) -> Result<u64>;

    // Shipments and their history. Every read is scoped to a tenant.
    /// Inserts a shipment with its first events and the jobs they call for, atomically.
    async fn insert_shipment(
        &self,
        shipment: &Shipment,
        events: &[ShipmentEvent],
        jobs: &[NewJob],
    ) -> Result<()>;
    /// Inserts many shipments with their events (no jobs, no NDR records),
    /// a thousand per transaction: an import of history, or a benchmark's seed.
    async fn insert_shipments(&self, shipments: &[(Shipment, Vec<ShipmentEvent>)]) -> Result<()>;
    async fn shipment(&self, tenant_id: &str, id: &str) -> Result<Option<Shipment>>;
    async fn list_shipments(
        &self,
        tenant_id: &str,
        filter: &ShipmentFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Shipment>>;
    async fn shipment_by_awb(
        &self,
        tenant_id: &str,
        carrier: &str,
        awb: &str,
    ) -> Result<Option<Shipment>>;
    /// The ids of the tenant's shipments with these AWBs at `carrier` (those
    /// it has), as `(awb, id)`, in one query: all a recording needs to look up.
    async fn shipment_ids_by_awbs(
        &self,
        tenant_id: &str,
        carrier: &str,
        awbs: &[String],
    ) -> Result<Vec<(String, String)>>;
    /// Adds AWBs fetched from the carrier to an account's pool; returns how many were new.
    async fn add_pool_awbs(&self, carrier_account_id: &str, awbs: &[String]) -> Result<u64>;
    /// Takes one AWB from the pool; never the same one twice, across processes.
    async fn take_pool_awb(&self, carrier_account_id: &str) -> Result<Option<String>>;
    async fn pool_available(&self, carrier_account_id: &str) -> Result<u64>;
    /// Puts a taken AWB back in the pool, unless a shipment carries it;
    /// returns whether it went back.
    async fn release_pool_awb(&self, carrier_account_id: &str, awb: &str) -> Result<bool>;
    async fn tenant_setting(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Option<serde_json::Value>>;
    async fn set_tenant_setting(
        &self,
        tenant_id: &str,
        name: &str,
        value: &serde_json::Value,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Per carrier account, how shipments to PIN codes starting with
    /// `destination_prefix` ended (for the lane's RTO risk).
    async fn lane_outcomes(
        &self,
        tenant_id: &str,
        destination_prefix: &str,
    ) -> Result<Vec<LaneOutcome>>;
    /// Records delivered shipments for the EDD model; ones already recorded
    /// (same source and reference) are skipped. Returns how many were new.
    async fn record_edd_observations(&self, rows: &[EddObservationRecord]) -> Result<u64>;
    /// Observations with an id above `after_id`, oldest first (all tenants:
    /// the model pools transit times).
    async fn edd_observations_after(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<EddObservationRecord>>;
    /// Inserts or replaces the account's entries for these postal codes;
    /// entries of accounts the tenant does not own are ignored. Returns how
    /// many were written.
    async fn upsert_serviceability(
        &self,
        tenant_id: &str,
        entries: &[ServiceabilityEntry],
        audit: &AuditEntry,
    ) -> Result<u64>;
    /// Every entry of the tenant's accounts for one postal code.
    async fn serviceability_at(
        &self,
        tenant_id: &str,
        postal_code: &str,
    ) -> Result<Vec<ServiceabilityEntry>>;
    /// Per carrier account of the tenant, how many postal codes it has entries for.
    async fn serviceability_coverage(&self, tenant_id: &str) -> Result<Vec<(String, u64)>>;
    /// Keeps what the carrier reports beyond scans (its EDD, attempt count,
    /// proof of delivery); fields it left out keep their stored value.
    async fn record_carrier_facts(
        &self,
        tenant_id: &str,
        shipment_id: &str,
        facts: &shipgate_domain::shipment::CarrierFacts,
    ) -> Result<()>;
    /// Records a pickup; `Conflict` if one exists for the same account,
    /// location and day.
    async fn insert_pickup(&self, pickup: &Pickup) -> Result<()>;
    async fn tenant(&self, id: &str) -> Result<Option<Tenant>>;
    /// Saves a modified shipment (addresses, payment) with the record of the
    /// change, atomically.
    async fn modify_shipment(&self, shipment: &Shipment, change: &ShipmentChange) -> Result<()>;
    async fn shipment_changes(
        &self,
        tenant_id: &str,
        shipment_id: &str,
    ) -> Result<Vec<ShipmentChange>>;
    /// Stores a batch, its rows and the job that works through them, atomically.
    async fn insert_batch(
        &self,
        batch: &Batch,
        rows: &[serde_json::Value],
        job: &NewJob,
    ) -> Result<()>;
    async fn batch(&self, tenant_id: &str, id: &str) -> Result<Option<Batch>>;
    /// Rows from `from_index` on, in order, at most `limit`.
    async fn batch_rows(
        &self,
        batch_id: &str,
        from_index: u64,
        limit: u32,
    ) -> Result<Vec<BatchRow>>;
    /// Records a row's result once (a row already finished is left alone)
    /// and counts it; returns whether it was recorded now.
    async fn finish_batch_row(
        &self,
        batch_id: &str,
        index: u64,
        result: &serde_json::Value,
        ok: bool,
    ) -> Result<bool>;
    /// Shipments with this AWB in any tenant (at most a few: AWBs are unique
    /// per carrier), for the public tracking page.
    async fn shipments_by_awb_any_tenant(&self, awb: &str) -> Result<Vec<Shipment>>;
    /// Claims up to `limit` shipments due for a pull-tracking poll; their next
    /// poll moves `lease` ahead so no other process takes them meanwhile.
    async fn claim_due_polls(&self, limit: u32, lease: Duration) -> Result<Vec<DuePoll>>;
    /// Sets when to poll a carrier shipment next (`None`: never).
    async fn schedule_poll(&self, shipment_id: &str, at: Option<Timestamp>) -> Result<()>;
    /// Appends events (dropping ones already stored), re-derives the state and
    /// enqueues the follow-up jobs, all in one transaction.
    async fn record_events(
        &self,
        tenant_id: &str,
        shipment_id: &str,
        events: &[ShipmentEvent],
        follow_up: FollowUp<'_>,
    ) -> Result<EventsRecorded>;
    /// `record_events` (and `record_carrier_facts`) for many shipments in one
    /// transaction (a carrier's batched push), in a handful of statements:
    /// each shipment is folded from its stored state when its new events are
    /// not older than its history, else from its whole history. Reports for
    /// the same shipment are recorded as one; shipments the tenant does not
    /// have are skipped.
    async fn record_events_batch(
        &self,
        tenant_id: &str,
        batch: &[ShipmentReport],
        follow_up: FollowUp<'_>,
    ) -> Result<Vec<EventsRecorded>>;
    /// Carrier pushes received and applied at once, in one transaction: each
    /// push stored raw (status `applied`; the status it carries is ignored)
    /// and each tenant's reports recorded as [`Store::record_events_batch`]
    /// records them. Either all of it is stored or none.
    async fn record_applied_pushes(
        &self,
        pushes: &[CarrierPush],
        reports: &[TenantReports],
        follow_up: FollowUp<'_>,
    ) -> Result<Vec<EventsRecorded>>;
    async fn events(&self, tenant_id: &str, shipment_id: &str) -> Result<Vec<ShipmentEvent>>;

    // NDRs. Records are raised and resolved by `record_events`.
    async fn ndr(&self, tenant_id: &str, id: &str) -> Result<Option<Ndr>>;
    /// Newest first.
    async fn list_ndrs(
        &self,
        tenant_id: &str,
        filter: &NdrFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Ndr>>;
    /// Claims an NDR for one action: true if it was `open` or `failed` (or
    /// claimed before `stale_before` by a request that never finished), and
    /// it now holds `action` by `actor`; false if someone else got there first.
    async fn claim_ndr(
        &self,
        tenant_id: &str,
        id: &str,
        action: &serde_json::Value,
        actor: &str,
        stale_before: Timestamp,
    ) -> Result<bool>;
    /// Records how the claimed action ended (a record resolved meanwhile is left alone).
    async fn finish_ndr_action(
        &self,
        tenant_id: &str,
        id: &str,
        result: &NdrActionResult,
    ) -> Result<()>;
    /// Notes that the customer was asked; false if it was already.
    async fn mark_ndr_customer_asked(&self, tenant_id: &str, id: &str) -> Result<bool>;
    /// Marks an NDR no action settled (`open`, or `failed`: the carrier
    /// refused it) as escalated, with the jobs that announce it, atomically;
    /// false if an action is under way or sent, or it was escalated before.
    async fn escalate_ndr(&self, tenant_id: &str, id: &str, jobs: &[NewJob]) -> Result<bool>;
    async fn ndr_outcomes(
        &self,
        tenant_id: &str,
        created_from: Timestamp,
        created_before: Timestamp,
    ) -> Result<Vec<NdrOutcomeCount>>;

    /// How the shipments created from `first_day` to `last_day` (inclusive,
    /// IST days) did per carrier and on its busiest lanes: delivered,
    /// returned, NDRs, turnaround, on time against the promise. Read from
    /// counts kept up to date as shipments are recorded (`performance`).
    async fn carrier_performance(
        &self,
        tenant_id: &str,
        first_day: jiff::civil::Date,
        last_day: jiff::civil::Date,
    ) -> Result<PerformanceReport>;

    // Dashboard users and sessions.
    /// Stores a user; `Conflict` if the email is taken (in any tenant).
    async fn create_user(&self, user: &User) -> Result<()>;
    /// The user with this (lower-cased) email.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn create_user_session(&self, session: &UserSession) -> Result<()>;
    /// The unexpired session with this token hash (at `now`), its user and tenant.
    async fn user_session(&self, token_hash: &str, now: Timestamp) -> Result<Option<SignedIn>>;
    /// Ends a session (signing out); also drops every session expired by `now`.
    async fn delete_user_session(&self, token_hash: &str, now: Timestamp) -> Result<()>;

    // The audit log. Entries are written by the methods that change
    // configuration (those taking an `AuditEntry`), in their transaction;
    // creating a tenant with its first API key and a dashboard user record
    // themselves (actor `system`).
    /// The tenant's entries, newest first.
    async fn audit_log(
        &self,
        tenant_id: &str,
        filter: &AuditFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<AuditRecord>>;

    // Idempotency keys.
    async fn idempotency_begin(
        &self,
        tenant_id: &str,
        key: &str,
        fingerprint: &str,
        lock_for: Duration,
    ) -> Result<IdempotencyBegin>;
    async fn idempotency_complete(
        &self,
        tenant_id: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<()>;
    /// Forgets a key whose request failed on our side, so a retry can run.
    async fn idempotency_abandon(&self, tenant_id: &str, key: &str) -> Result<()>;

    // Carrier accounts.
    async fn insert_carrier_account(
        &self,
        account: &CarrierAccountRecord,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn carrier_account(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<CarrierAccountRecord>>;
    async fn list_carrier_accounts(
        &self,
        tenant_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<CarrierAccountRecord>>;

    /// An account by id alone: carrier pushes name the account in their URL
    /// before any tenant is known.
    async fn carrier_account_by_id(&self, id: &str) -> Result<Option<CarrierAccountRecord>>;

    // Carrier pushes.
    /// Stores a push and the job that will apply it, atomically.
    async fn insert_carrier_push(&self, push: &CarrierPush, job: &NewJob) -> Result<()>;
    async fn carrier_push(&self, id: &str) -> Result<Option<CarrierPush>>;
    /// The pushes with these ids (those there are), in one query.
    async fn carrier_pushes(&self, ids: &[String]) -> Result<Vec<CarrierPush>>;
    async fn finish_carrier_push(
        &self,
        id: &str,
        status: PushStatus,
        error: Option<&str>,
    ) -> Result<()>;
    /// `finish_carrier_push` for many pushes in one statement.
    async fn finish_carrier_pushes(&self, ids: &[String], status: PushStatus) -> Result<()>;
    /// Counts a sighting of a code the carrier's table does not have.
    async fn flag_unknown_code(&self, tenant_id: &str, code: &UnknownCode) -> Result<()>;
    async fn unknown_codes(&self, tenant_id: &str) -> Result<Vec<UnknownCode>>;

    // Merchant webhooks.
    async fn insert_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        audit: &AuditEntry,
    ) -> Result<()>;
    async fn webhook_endpoint(&self, tenant_id: &str, id: &str) -> Result<Option<WebhookEndpoint>>;
    async fn list_webhook_endpoints(
        &self,
        tenant_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<WebhookEndpoint>>;
    /// Writes what the merchant can change (url, description, event types,
    /// enabled, disabled reason, secrets); `NotFound` if there is no such
    /// endpoint in the tenant. Re-enabling forgets the failure streak.
    async fn update_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        audit: &AuditEntry,
    ) -> Result<()>;
    /// Deletes an endpoint with its messages and attempts; false if not found.
    async fn delete_webhook_endpoint(
        &self,
        tenant_id: &str,
        id: &str,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// Creates one message per event and enabled endpoint subscribed to its
    /// type, due now, atomically; returns the new messages (events fanned out
    /// before add none).
    async fn fan_out_webhook_events(
        &self,
        tenant_id: &str,
        events: &[WebhookEvent],
    ) -> Result<Vec<WebhookMessage>>;
    /// Claims up to `limit` pending messages whose next attempt is due,
    /// oldest first; their next attempt moves `lease` ahead, so no other
    /// worker or process takes them meanwhile (and a claim whose worker died
    /// is taken over then).
    async fn claim_webhook_messages(
        &self,
        worker: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedMessage>>;
    /// Records the attempts of claimed messages, their new status and next
    /// attempt, and their endpoints' failure streaks (disabling past the
    /// limit), in one transaction. An outcome whose claim was lost (taken
    /// over after the lease) is not recorded; returns how many were.
    async fn record_webhook_deliveries(&self, outcomes: &[DeliveryOutcome]) -> Result<usize>;
    /// A message with its attempts.
    async fn webhook_message(&self, tenant_id: &str, id: &str) -> Result<Option<WebhookMessage>>;
    /// An endpoint's messages with their attempts, newest first.
    async fn list_webhook_messages(
        &self,
        tenant_id: &str,
        endpoint_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<WebhookMessage>>;
    /// Enqueues `job` to re-send a message of this endpoint; false if not found.
    async fn replay_webhook_message(
        &self,
        tenant_id: &str,
        endpoint_id: &str,
        message_id: &str,
        job: &NewJob,
    ) -> Result<bool>;
    /// Records an attempt, updates its message, schedules the retry and keeps
    /// the endpoint's failure streak (disabling it past the limit), in one
    /// transaction. False if the attempt's job already recorded one.
    async fn record_webhook_attempt(&self, outcome: &AttemptOutcome) -> Result<bool>;

    // Jobs.
    async fn enqueue_job(&self, job: &NewJob) -> Result<String>;
    async fn claim_jobs(&self, worker: &str, limit: u32, lease: Duration) -> Result<Vec<Job>>;
    /// Returns false if the worker no longer holds the job (its lease ran out).
    async fn complete_job(&self, job_id: &str, worker: &str) -> Result<bool>;
    /// `complete_job` for many jobs in one statement; returns the ids the
    /// worker still held (and completed).
    async fn complete_jobs(&self, job_ids: &[String], worker: &str) -> Result<Vec<String>>;
    /// Schedules a retry at `retry_at`, or marks the job dead when it is out of attempts.
    async fn fail_job(
        &self,
        job_id: &str,
        worker: &str,
        error: &str,
        retry_at: Timestamp,
    ) -> Result<bool>;
    async fn job(&self, job_id: &str) -> Result<Option<Job>>;
    /// The work waiting in the queues, for monitoring (`/metrics`).
    async fn queue_depth(&self) -> Result<QueueDepth>;
}

/// The work waiting in the job queue and the webhook outbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Pending jobs whose time has come.
    pub jobs_due: i64,
    /// How long the oldest of them has waited, in seconds (0: none).
    pub oldest_due_job_seconds: i64,
    /// Running jobs whose lease has run out: their worker died or is stuck
    /// (another worker takes them over at its next claim).
    pub jobs_lease_expired: i64,
    /// Jobs given up on after their last attempt.
    pub jobs_dead: i64,
    /// Webhook messages due to be sent (first attempts and retries).
    pub webhooks_due: i64,
}

/// Opens the store a URL names: `postgres://…` / `postgresql://…`, or
/// `sqlite://PATH` / a plain file path for SQLite (created if missing).
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Arc::new(SqliteStore::open(path).await?))
    } else if !url.contains("://") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}

/// Generates a sortable id with a type prefix (`shp_0192…`): UUIDv7 is
/// time-ordered, so ids double as a stable pagination cursor.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}
