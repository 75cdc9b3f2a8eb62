//! Row shapes shared by both backends, and their conversion to domain types.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shipgate_domain::money::{Currency, Money};
use shipgate_domain::{
    Address, EventSource, Parcel, PaymentMode, Shipment, ShipmentEvent, ShipmentState,
};

use crate::{Job, JobStatus, StoreError, Tenant};

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// Now, at the microsecond precision the databases keep.
pub fn now() -> Timestamp {
    let t = Timestamp::now();
    Timestamp::from_microsecond(t.as_microsecond()).unwrap_or(t)
}

pub(crate) fn timestamp(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(format!("timestamp {us}: {e}")))
}

fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} `{s}`")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    pub id: String,
    pub name: String,
    pub awb_series: i64,
    pub created_at: i64,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;
    fn try_from(r: TenantRow) -> Result<Self, StoreError> {
        Ok(Tenant {
            id: r.id,
            name: r.name,
            awb_series: u32::try_from(r.awb_series)
                .map_err(|_| StoreError::Corrupt("awb_series".into()))?,
            created_at: timestamp(r.created_at)?,
        })
    }
}

/// The parts of a shipment kept as one JSON document.
#[derive(Serialize, Deserialize)]
pub(crate) struct ShipmentDetails {
    pub pickup: Address,
    pub consignee: Address,
    pub return_address: Option<Address>,
    pub parcels: Vec<Parcel>,
    #[serde(
        default,
        skip_serializing_if = "shipgate_domain::DeliveryPreferences::is_empty"
    )]
    pub delivery: shipgate_domain::DeliveryPreferences,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promise: Option<shipgate_domain::shipment::DeliveryPromise>,
}

/// Also read from a JSON array of its columns, in this order (see
/// `FoldShipmentRow::from_json_rows`).
#[derive(sqlx::FromRow, Deserialize)]
pub(crate) struct ShipmentRow {
    pub id: String,
    pub tenant_id: String,
    pub order_reference: String,
    pub carrier: String,
    pub awb: String,
    pub status: String,
    pub progress: String,
    pub failed_attempts: i64,
    pub ndr_reason: Option<String>,
    pub last_event_at: Option<i64>,
    pub payment_mode: String,
    pub cod_amount: Option<i64>,
    pub declared_value: i64,
    pub currency: String,
    pub details: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub carrier_account_id: Option<String>,
    pub routing_code: Option<String>,
    pub allocation: Option<String>,
    pub carrier_edd: Option<String>,
    pub carrier_attempts: Option<i64>,
    pub proof_of_delivery: Option<String>,
    pub picked_up_at: Option<i64>,
}

/// Column lists as macros so that queries stay `&'static str` via `concat!`.
macro_rules! shipment_columns {
    () => {
        "id, tenant_id, order_reference, carrier, awb, status, progress, failed_attempts, ndr_reason, \
         last_event_at, payment_mode, cod_amount, declared_value, currency, details, created_at, updated_at, \
         carrier_account_id, routing_code, allocation, carrier_edd, carrier_attempts, proof_of_delivery, picked_up_at"
    };
}
pub(crate) use shipment_columns;

impl TryFrom<ShipmentRow> for Shipment {
    type Error = StoreError;
    fn try_from(r: ShipmentRow) -> Result<Self, StoreError> {
        let details: ShipmentDetails = serde_json::from_str(&r.details)
            .map_err(|e| StoreError::Corrupt(format!("shipment details: {e}")))?;
        let currency =
            Currency::parse(&r.currency).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let payment_mode = match r.payment_mode.as_str() {
            "prepaid" => PaymentMode::Prepaid,
            "cod" => PaymentMode::Cod,
            other => return Err(StoreError::Corrupt(format!("payment mode `{other}`"))),
        };
        Ok(Shipment {
            id: r.id,
            tenant_id: r.tenant_id,
            order_reference: r.order_reference,
            carrier: r.carrier,
            carrier_account_id: r.carrier_account_id,
            awb: r.awb,
            routing_code: r.routing_code,
            allocation: r
                .allocation
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("allocation: {e}")))?,
            carrier_facts: shipgate_domain::shipment::CarrierFacts {
                edd: r
                    .carrier_edd
                    .as_deref()
                    .map(|d| parse("carrier edd", d))
                    .transpose()?,
                attempts: r.carrier_attempts.and_then(|a| u32::try_from(a).ok()),
                proof_of_delivery: r.proof_of_delivery,
            },
            pickup: details.pickup,
            consignee: details.consignee,
            return_address: details.return_address,
            parcels: details.parcels,
            payment_mode,
            cod_amount: r.cod_amount.map(|minor_units| Money {
                minor_units,
                currency: currency.clone(),
            }),
            declared_value: Money {
                minor_units: r.declared_value,
                currency,
            },
            delivery: details.delivery,
            promise: details.promise,
            state: ShipmentState {
                status: parse("status", &r.status)?,
                progress: parse("status", &r.progress)?,
                failed_attempts: u32::try_from(r.failed_attempts).unwrap_or(0),
                ndr_reason: r
                    .ndr_reason
                    .as_deref()
                    .map(|s| parse("ndr reason", s))
                    .transpose()?,
                last_event_at: r.last_event_at.map(timestamp).transpose()?,
                picked_up_at: r.picked_up_at.map(timestamp).transpose()?,
            },
            created_at: timestamp(r.created_at)?,
            updated_at: timestamp(r.updated_at)?,
        })
    }
}

pub(crate) fn shipment_details_json(s: &Shipment) -> String {
    let details = ShipmentDetails {
        pickup: s.pickup.clone(),
        consignee: s.consignee.clone(),
        return_address: s.return_address.clone(),
        parcels: s.parcels.clone(),
        delivery: s.delivery.clone(),
        promise: s.promise.clone(),
    };
    // Plain data with string keys: serialisation cannot fail.
    serde_json::to_string(&details).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub seq: i64,
    pub id: String,
    pub status: String,
    pub occurred_at: i64,
    pub recorded_at: i64,
    pub source: String,
    pub carrier_code: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub ndr_reason: Option<String>,
    pub actor: Option<String>,
}

macro_rules! event_columns {
    () => {
        "seq, id, status, occurred_at, recorded_at, source, carrier_code, description, location, ndr_reason, actor"
    };
}
pub(crate) use event_columns;

impl TryFrom<EventRow> for ShipmentEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        Ok(ShipmentEvent {
            id: r.id,
            seq: r.seq,
            status: parse("status", &r.status)?,
            occurred_at: timestamp(r.occurred_at)?,
            recorded_at: timestamp(r.recorded_at)?,
            source: EventSource::parse(&r.source)
                .ok_or_else(|| StoreError::Corrupt(format!("event source `{}`", r.source)))?,
            carrier_code: r.carrier_code,
            description: r.description,
            location: r.location,
            ndr_reason: r
                .ndr_reason
                .as_deref()
                .map(|s| parse("ndr reason", s))
                .transpose()?,
            actor: r.actor,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    pub id: String,
    pub tenant_id: Option<String>,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub locked_by: Option<String>,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
}

macro_rules! job_columns {
    () => {
        "id, tenant_id, kind, payload, status, attempts, max_attempts, run_at, locked_by, locked_until, last_error"
    };
}
pub(crate) use job_columns;

impl TryFrom<JobRow> for Job {
    type Error = StoreError;
    fn try_from(r: JobRow) -> Result<Self, StoreError> {
        Ok(Job {
            payload: serde_json::from_str(&r.payload)
                .map_err(|e| StoreError::Corrupt(format!("job payload: {e}")))?,
            status: JobStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("job status `{}`", r.status)))?,
            id: r.id,
            tenant_id: r.tenant_id,
            kind: r.kind,
            attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
            max_attempts: u32::try_from(r.max_attempts).unwrap_or(u32::MAX),
            run_at: timestamp(r.run_at)?,
            locked_by: r.locked_by,
            locked_until: r.locked_until.map(timestamp).transpose()?,
            last_error: r.last_error,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IdempotencyRow {
    pub fingerprint: String,
    pub locked_until: Option<i64>,
    pub status_code: Option<i64>,
    pub content_type: Option<String>,
    pub body: Option<Vec<u8>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CarrierAccountRow {
    pub id: String,
    pub tenant_id: String,
    pub carrier: String,
    pub name: String,
    pub base_url: Option<String>,
    pub credentials: String,
    pub settings: String,
    pub created_at: i64,
    pub updated_at: i64,
}

macro_rules! carrier_account_columns {
    () => {
        "id, tenant_id, carrier, name, base_url, credentials, settings, created_at, updated_at"
    };
}
pub(crate) use carrier_account_columns;

impl TryFrom<CarrierAccountRow> for crate::CarrierAccountRecord {
    type Error = StoreError;
    fn try_from(r: CarrierAccountRow) -> Result<Self, StoreError> {
        Ok(crate::CarrierAccountRecord {
            id: r.id,
            tenant_id: r.tenant_id,
            carrier: r.carrier,
            name: r.name,
            base_url: r.base_url,
            sealed_credentials: r.credentials,
            settings: serde_json::from_str(&r.settings)
                .map_err(|e| StoreError::Corrupt(format!("account settings: {e}")))?,
            created_at: timestamp(r.created_at)?,
            updated_at: timestamp(r.updated_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CarrierPushRow {
    pub id: String,
    pub tenant_id: String,
    pub carrier_account_id: String,
    pub received_at: i64,
    pub headers: String,
    pub body: Vec<u8>,
    pub status: String,
    pub error: Option<String>,
}

impl TryFrom<CarrierPushRow> for crate::CarrierPush {
    type Error = StoreError;
    fn try_from(r: CarrierPushRow) -> Result<Self, StoreError> {
        Ok(crate::CarrierPush {
            id: r.id,
            tenant_id: r.tenant_id,
            carrier_account_id: r.carrier_account_id,
            received_at: timestamp(r.received_at)?,
            headers: serde_json::from_str(&r.headers)
                .map_err(|e| StoreError::Corrupt(format!("push headers: {e}")))?,
            body: r.body,
            status: crate::PushStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("push status `{}`", r.status)))?,
            error: r.error,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UnknownCodeRow {
    pub carrier: String,
    pub code: String,
    pub description: String,
    pub example_awb: String,
    pub seen_count: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct DuePollRow {
    pub id: String,
    pub tenant_id: String,
    pub carrier_account_id: String,
    pub awb: String,
    pub status: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct EddObservationRow {
    pub id: i64,
    pub source: String,
    pub source_ref: String,
    pub tenant_id: Option<String>,
    pub country: String,
    pub carrier: String,
    pub service: String,
    pub scope: String,
    pub origin: String,
    pub destination: String,
    pub ordered_at: String,
    pub picked_up_at: Option<String>,
    pub delivered_at: String,
    pub promised_date: Option<String>,
}

impl EddObservationRow {
    pub(crate) fn into_record(self) -> Result<crate::EddObservationRecord, StoreError> {
        fn parse<T: std::str::FromStr>(id: i64, text: &str) -> Result<T, StoreError>
        where
            T::Err: std::fmt::Display,
        {
            text.parse()
                .map_err(|e| StoreError::Corrupt(format!("edd observation {id}: {text:?}: {e}")))
        }
        let id = self.id;
        Ok(crate::EddObservationRecord {
            id,
            ordered_at: parse(id, &self.ordered_at)?,
            picked_up_at: self
                .picked_up_at
                .as_deref()
                .map(|t| parse(id, t))
                .transpose()?,
            delivered_at: parse(id, &self.delivered_at)?,
            promised_date: self
                .promised_date
                .as_deref()
                .map(|t| parse(id, t))
                .transpose()?,
            source: self.source,
            source_ref: self.source_ref,
            tenant_id: self.tenant_id,
            country: self.country,
            carrier: self.carrier,
            service: self.service,
            scope: self.scope,
            origin: self.origin,
            destination: self.destination,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ServiceabilityRow {
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

impl From<ServiceabilityRow> for crate::ServiceabilityEntry {
    fn from(r: ServiceabilityRow) -> Self {
        Self {
            carrier_account_id: r.carrier_account_id,
            postal_code: r.postal_code,
            prepaid: r.prepaid,
            cod: r.cod,
            pickup: r.pickup,
            reverse: r.reverse,
            oda: r.oda,
            embargo: r.embargo,
            max_weight_grams: r.max_weight_grams,
            max_cod_minor: r.max_cod_minor,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct LaneRow {
    pub carrier_account_id: String,
    pub finished: i64,
    pub returned: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebhookEndpointRow {
    pub id: String,
    pub tenant_id: String,
    pub url: String,
    pub description: Option<String>,
    pub event_types: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub failing_since: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

macro_rules! webhook_endpoint_columns {
    () => {
        "id, tenant_id, url, description, event_types, enabled, disabled_reason, secret, previous_secret, \
         previous_secret_expires_at, failing_since, created_at, updated_at"
    };
}
pub(crate) use webhook_endpoint_columns;

impl TryFrom<WebhookEndpointRow> for crate::WebhookEndpoint {
    type Error = StoreError;
    fn try_from(r: WebhookEndpointRow) -> Result<Self, StoreError> {
        Ok(crate::WebhookEndpoint {
            id: r.id,
            tenant_id: r.tenant_id,
            url: r.url,
            description: r.description,
            event_types: parse_event_types(&r.event_types)?,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            sealed_secret: r.secret,
            sealed_previous_secret: r.previous_secret,
            previous_secret_expires_at: r.previous_secret_expires_at.map(timestamp).transpose()?,
            failing_since: r.failing_since.map(timestamp).transpose()?,
            created_at: timestamp(r.created_at)?,
            updated_at: timestamp(r.updated_at)?,
        })
    }
}

pub(crate) fn parse_event_types(json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("endpoint event types: {e}")))
}

pub(crate) fn event_types_json(types: &[String]) -> String {
    // A list of strings: serialisation cannot fail.
    serde_json::to_string(types).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebhookMessageRow {
    pub id: String,
    pub tenant_id: String,
    pub endpoint_id: String,
    pub event_key: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub created_at: i64,
}

macro_rules! webhook_message_columns {
    () => {
        "id, tenant_id, endpoint_id, event_key, event_type, payload, status, attempts, next_attempt_at, created_at"
    };
}
pub(crate) use webhook_message_columns;

impl WebhookMessageRow {
    /// The message, with the attempts that belong to it.
    pub(crate) fn into_message(
        self,
        attempts: &[WebhookAttemptRow],
    ) -> Result<crate::WebhookMessage, StoreError> {
        let attempts = attempts
            .iter()
            .filter(|a| a.message_id == self.id)
            .map(crate::WebhookAttempt::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::WebhookMessage {
            status: crate::WebhookMessageStatus::parse(&self.status).ok_or_else(|| {
                StoreError::Corrupt(format!("webhook message status `{}`", self.status))
            })?,
            next_attempt_at: self.next_attempt_at.map(timestamp).transpose()?,
            created_at: timestamp(self.created_at)?,
            id: self.id,
            tenant_id: self.tenant_id,
            endpoint_id: self.endpoint_id,
            event_key: self.event_key,
            event_type: self.event_type,
            payload: self.payload,
            attempts,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebhookAttemptRow {
    pub message_id: String,
    pub attempt: i64,
    pub job_id: String,
    pub trigger_kind: String,
    pub started_at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    pub next_attempt_at: Option<i64>,
}

macro_rules! webhook_attempt_columns {
    () => {
        "message_id, attempt, job_id, trigger_kind, started_at, status_code, latency_ms, response_excerpt, \
         error, next_attempt_at"
    };
}
pub(crate) use webhook_attempt_columns;

impl TryFrom<&WebhookAttemptRow> for crate::WebhookAttempt {
    type Error = StoreError;
    fn try_from(r: &WebhookAttemptRow) -> Result<Self, StoreError> {
        Ok(crate::WebhookAttempt {
            message_id: r.message_id.clone(),
            attempt: u32::try_from(r.attempt)
                .map_err(|_| StoreError::Corrupt(format!("attempt number {}", r.attempt)))?,
            job_id: r.job_id.clone(),
            trigger: r.trigger_kind.clone(),
            started_at: timestamp(r.started_at)?,
            status_code: r.status_code.and_then(|c| u16::try_from(c).ok()),
            latency_ms: u64::try_from(r.latency_ms).unwrap_or(0),
            response_excerpt: r.response_excerpt.clone(),
            error: r.error.clone(),
            next_attempt_at: r.next_attempt_at.map(timestamp).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct BatchRowRow {
    pub idx: i64,
    pub input: String,
    pub result: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct BatchDbRow {
    pub id: String,
    pub tenant_id: String,
    pub total: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChangeRow {
    pub id: String,
    pub actor: String,
    pub changes: String,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct NdrRow {
    pub id: String,
    pub tenant_id: String,
    pub shipment_id: String,
    pub carrier: String,
    pub awb: String,
    pub attempt: i64,
    pub reason: String,
    pub remarks: Option<String>,
    pub occurred_at: i64,
    pub state: String,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub action_at: Option<i64>,
    pub carrier_request_id: Option<String>,
    pub error: Option<String>,
    pub customer_asked_at: Option<i64>,
    pub escalated_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

macro_rules! ndr_columns {
    () => {
        "id, tenant_id, shipment_id, carrier, awb, attempt, reason, remarks, occurred_at, state, action, actor, \
         action_at, carrier_request_id, error, customer_asked_at, escalated_at, resolved_at, created_at, updated_at"
    };
}
pub(crate) use ndr_columns;

impl TryFrom<NdrRow> for crate::Ndr {
    type Error = StoreError;

    fn try_from(r: NdrRow) -> Result<Self, StoreError> {
        let at = |v: Option<i64>| v.map(timestamp).transpose();
        Ok(Self {
            attempt: u32::try_from(r.attempt)
                .map_err(|_| StoreError::Corrupt(format!("attempt {}", r.attempt)))?,
            reason: parse("NDR reason", &r.reason)?,
            state: parse("NDR state", &r.state)?,
            action: r
                .action
                .map(|a| {
                    serde_json::from_str(&a)
                        .map_err(|e| StoreError::Corrupt(format!("NDR action: {e}")))
                })
                .transpose()?,
            occurred_at: timestamp(r.occurred_at)?,
            action_at: at(r.action_at)?,
            customer_asked_at: at(r.customer_asked_at)?,
            escalated_at: at(r.escalated_at)?,
            resolved_at: at(r.resolved_at)?,
            created_at: timestamp(r.created_at)?,
            updated_at: timestamp(r.updated_at)?,
            id: r.id,
            tenant_id: r.tenant_id,
            shipment_id: r.shipment_id,
            carrier: r.carrier,
            awb: r.awb,
            remarks: r.remarks,
            actor: r.actor,
            carrier_request_id: r.carrier_request_id,
            error: r.error,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NdrOutcomeRow {
    pub carrier: String,
    pub prefix: String,
    pub reason: Option<String>,
    pub outcome: String,
    pub n: i64,
}

/// A shipment with what an incremental fold needs.
#[derive(sqlx::FromRow)]
pub(crate) struct FoldShipmentRow {
    #[sqlx(flatten)]
    pub shipment: ShipmentRow,
    pub latest_event_at: Option<i64>,
}

/// The shipments a recording folds, as read under its lock: how many were
/// found, and the rows, decoded when the caller gets to it (on SQLite they
/// come as one JSON value, decoded while the next statement runs).
pub(crate) struct LockedShipments {
    pub found: usize,
    rows: LockedRows,
}

enum LockedRows {
    Decoded(Vec<FoldShipmentRow>),
    Json(String),
}

impl LockedShipments {
    pub(crate) fn decoded(rows: Vec<FoldShipmentRow>) -> Self {
        Self {
            found: rows.len(),
            rows: LockedRows::Decoded(rows),
        }
    }

    /// `found` rows as `FoldShipmentRow::from_json_rows` reads them.
    pub(crate) fn json(found: usize, json: String) -> Self {
        Self {
            found,
            rows: LockedRows::Json(json),
        }
    }

    pub(crate) fn decode(self) -> Result<Vec<FoldShipmentRow>, StoreError> {
        match self.rows {
            LockedRows::Decoded(rows) => Ok(rows),
            LockedRows::Json(json) => FoldShipmentRow::from_json_rows(&json),
        }
    }
}

impl FoldShipmentRow {
    /// Rows given as a JSON array of `[[shipment_columns…], latest_event_at]`.
    pub(crate) fn from_json_rows(json: &str) -> Result<Vec<Self>, StoreError> {
        let rows: Vec<(ShipmentRow, Option<i64>)> = serde_json::from_str(json)
            .map_err(|e| StoreError::Corrupt(format!("shipment rows: {e}")))?;
        Ok(rows
            .into_iter()
            .map(|(shipment, latest_event_at)| Self {
                shipment,
                latest_event_at,
            })
            .collect())
    }
}

/// An event with the shipment it belongs to (histories of many shipments at once).
#[derive(sqlx::FromRow)]
pub(crate) struct ShipmentEventRow {
    pub shipment_id: String,
    #[sqlx(flatten)]
    pub event: EventRow,
}

/// A webhook message as claimed for delivery.
#[derive(sqlx::FromRow)]
pub(crate) struct ClaimedMessageRow {
    #[sqlx(flatten)]
    pub message: WebhookMessageRow,
    pub schedule_step: i64,
    pub claimed_by: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub id: String,
    pub tenant_id: String,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub summary: String,
    pub request_id: Option<String>,
}

impl TryFrom<AuditRow> for crate::AuditRecord {
    type Error = StoreError;

    fn try_from(r: AuditRow) -> Result<Self, StoreError> {
        let actor = crate::Actor::from_parts(&r.actor_kind, r.actor_id)
            .ok_or_else(|| StoreError::Corrupt(format!("audit actor kind `{}`", r.actor_kind)))?;
        let summary = serde_json::from_str(&r.summary)
            .map_err(|e| StoreError::Corrupt(format!("audit summary: {e}")))?;
        Ok(Self {
            id: r.id,
            tenant_id: r.tenant_id,
            at: timestamp(r.at)?,
            entry: crate::AuditEntry {
                actor,
                action: r.action,
                object_type: r.object_type,
                object_id: r.object_id,
                summary,
                request_id: r.request_id,
            },
        })
    }
}
