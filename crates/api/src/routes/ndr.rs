//! The NDR desk: the queue of open NDR records, the tenant's NDR rules, and
//! NDR reporting. Acting on an NDR is `exceptions::act`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shipgate_domain::NdrReason;
use shipgate_domain::ndr::{NdrRules, NdrState};
use shipgate_storage::{Ndr, NdrFilter, NdrOutcomeCount, now};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Caller, ChangedBy};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::service::ndr::{RULES_SETTING, rules};
use crate::views::{encode_cursor, page_params};

/// One failed delivery attempt and what was done about it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NdrView {
    pub id: String,
    pub shipment_id: String,
    pub awb: String,
    pub carrier: String,
    pub attempt: u32,
    pub reason: NdrReason,
    pub carrier_remarks: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
    pub state: NdrState,
    /// The action taken, e.g. `{"action": "reattempt", "date": "2025-03-04"}`.
    #[schema(value_type = Option<Object>)]
    pub action: Option<serde_json::Value>,
    /// Who took it: `desk:api_key:<tenant>`, `customer`, or `rule:<name>`.
    pub actor: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub action_at: Option<Timestamp>,
    pub carrier_request_id: Option<String>,
    /// Why the carrier refused the action (state `failed`).
    pub error: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub customer_asked_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub escalated_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub raised_at: Timestamp,
}

impl From<Ndr> for NdrView {
    fn from(n: Ndr) -> Self {
        Self {
            id: n.id,
            shipment_id: n.shipment_id,
            awb: n.awb,
            carrier: n.carrier,
            attempt: n.attempt,
            reason: n.reason,
            carrier_remarks: n.remarks,
            occurred_at: n.occurred_at,
            state: n.state,
            action: n.action,
            actor: n.actor,
            action_at: n.action_at,
            carrier_request_id: n.carrier_request_id,
            error: n.error,
            customer_asked_at: n.customer_asked_at,
            escalated_at: n.escalated_at,
            resolved_at: n.resolved_at,
            raised_at: n.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NdrParams {
    /// Default: every unresolved state (`open`, `action_requested`, `action_sent`, `failed`).
    #[param(value_type = Option<String>)]
    state: Option<NdrState>,
    carrier: Option<String>,
    #[param(value_type = Option<String>)]
    reason: Option<NdrReason>,
    /// Only NDRs of at least this attempt number.
    min_attempts: Option<u32>,
    max_attempts: Option<u32>,
    /// Only NDRs raised at least this many hours ago (at most 876,000: a century).
    #[param(maximum = 876_000)]
    min_age_hours: Option<u32>,
    /// Only this shipment's.
    shipment_id: Option<String>,
    /// 1 to 100 (default 20).
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NdrQueue {
    /// Newest first.
    pub data: Vec<NdrView>,
    pub next_cursor: Option<String>,
}

/// The NDR queue: failed delivery attempts awaiting an outcome, newest first.
#[utoipa::path(
    get, path = "/v1/ndr", tag = "ndr",
    params(NdrParams),
    responses((status = 200, body = NdrQueue), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn queue(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    QueryParams(p): QueryParams<NdrParams>,
) -> Result<axum::Json<NdrQueue>, ApiError> {
    let (limit, after) = page_params(p.limit, p.cursor.as_deref())?;
    let filter = NdrFilter {
        state: p.state,
        carrier: p.carrier,
        reason: p.reason,
        min_attempt: p.min_attempts,
        max_attempt: p.max_attempts,
        raised_before: p.min_age_hours.map(raised_before).transpose()?,
        shipment_id: p.shipment_id,
    };
    let page = state
        .store
        .list_ndrs(&tenant.id, &filter, after.as_deref(), limit)
        .await?;
    Ok(axum::Json(NdrQueue {
        data: page.items.into_iter().map(NdrView::from).collect(),
        next_cursor: page.next_after.as_deref().map(encode_cursor),
    }))
}

/// Longest `min_age_hours`: earlier than a century ago is no filter anyone
/// needs, and far enough back an instant does not exist (the subtraction
/// would overflow).
const MAX_AGE_HOURS: u32 = 876_000;

/// The instant `hours` ago.
fn raised_before(hours: u32) -> Result<Timestamp, ApiError> {
    if hours > MAX_AGE_HOURS {
        return Err(ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "min_age_hours",
            "out_of_range",
            format!("must be at most {MAX_AGE_HOURS}"),
        ));
    }
    Ok(now() - jiff::SignedDuration::from_hours(i64::from(hours)))
}

/// The tenant's NDR rules (empty until set).
#[utoipa::path(
    get, path = "/v1/ndr-rules", tag = "ndr",
    responses((status = 200, body = NdrRules)),
    security(("api_key" = []))
)]
pub async fn get_rules(
    State(state): State<AppState>,
    Caller(tenant): Caller,
) -> Result<axum::Json<NdrRules>, ApiError> {
    Ok(axum::Json(rules(&state, &tenant.id).await?))
}

/// Replace the tenant's NDR rules.
///
/// Applied to every new NDR, in order: `rto_after_attempts` (return once
/// that many attempts failed), `auto_reattempt` (re-attempt for the listed
/// reasons up to attempt `max_attempt`), `ask_customer_reasons` (email the
/// customer the self-service link at once); and `escalate_after_hours`
/// marks NDRs nobody acted on and sends `shipment.ndr_escalated`.
#[utoipa::path(
    put, path = "/v1/ndr-rules", tag = "ndr",
    request_body = NdrRules,
    responses((status = 200, body = NdrRules), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn put_rules(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    changed_by: ChangedBy,
    JsonBody(input): JsonBody<NdrRules>,
) -> Result<axum::Json<NdrRules>, ApiError> {
    input.validate()?;
    let value = serde_json::to_value(&input).map_err(|e| ApiError::internal(&e))?;
    state
        .store
        .set_tenant_setting(
            &tenant.id,
            RULES_SETTING,
            &value,
            &changed_by
                .entry("ndr_rules", "replaced", &tenant.id)
                .with_summary(value.clone()),
        )
        .await?;
    Ok(axum::Json(input))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsParams {
    /// First day (IST), inclusive; shipments created from then.
    #[param(value_type = String, format = Date)]
    from: jiff::civil::Date,
    /// Last day (IST), inclusive.
    #[param(value_type = String, format = Date)]
    to: jiff::civil::Date,
}

/// NDR figures for one group of shipments.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct NdrFigures {
    pub shipments: u64,
    /// Shipments with at least one failed attempt.
    pub ndr_shipments: u64,
    /// `ndr_shipments / shipments`.
    pub ndr_rate: f64,
    /// NDR shipments delivered in the end.
    pub ndr_delivered: u64,
    /// NDR shipments returned to origin.
    pub ndr_rto: u64,
    /// `ndr_delivered / ndr_shipments`.
    pub delivered_conversion: f64,
    /// `ndr_rto / ndr_shipments`.
    pub rto_conversion: f64,
}

impl NdrFigures {
    fn add(&mut self, c: &NdrOutcomeCount) {
        self.shipments += c.shipments;
        if c.first_reason.is_some() {
            self.ndr_shipments += c.shipments;
            match c.outcome.as_str() {
                "delivered" => self.ndr_delivered += c.shipments,
                "rto" => self.ndr_rto += c.shipments,
                _ => {}
            }
        }
    }

    fn finish(mut self) -> Self {
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        self.ndr_rate = ratio(self.ndr_shipments, self.shipments);
        self.delivered_conversion = ratio(self.ndr_delivered, self.ndr_shipments);
        self.rto_conversion = ratio(self.ndr_rto, self.ndr_shipments);
        self
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NdrAnalytics {
    #[schema(value_type = String, format = Date)]
    pub from: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub to: jiff::civil::Date,
    pub total: NdrFigures,
    pub by_carrier: BTreeMap<String, NdrFigures>,
    /// By the reason of the first failed attempt (its `shipments` are the NDR shipments).
    pub by_reason: BTreeMap<String, NdrFigures>,
    /// By the first three digits of the destination PIN code (its postal region).
    pub by_destination: BTreeMap<String, NdrFigures>,
}

/// NDR rate and NDR→delivered / NDR→RTO conversion of the shipments created
/// in a date range, by carrier, first NDR reason and destination.
#[utoipa::path(
    get, path = "/v1/analytics/ndr", tag = "ndr",
    params(AnalyticsParams),
    responses((status = 200, body = NdrAnalytics), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn analytics(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    QueryParams(p): QueryParams<AnalyticsParams>,
) -> Result<axum::Json<NdrAnalytics>, ApiError> {
    let bad = |message: &str| {
        ApiError::field(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "to",
            "invalid_range",
            message,
        )
    };
    if p.to < p.from || p.from.until(p.to).map_or(true, |s| s.get_days() > 366) {
        return Err(bad("`to` must be on or after `from`, at most a year later"));
    }
    let ist = shipgate_carriers::core::time::ist();
    let start = |d: jiff::civil::Date| {
        d.to_zoned(ist.clone())
            .map(|z| z.timestamp())
            .map_err(|_| bad("date out of range"))
    };
    let next_day = p.to.tomorrow().map_err(|_| bad("date out of range"))?;
    let counts = state
        .store
        .ndr_outcomes(&tenant.id, start(p.from)?, start(next_day)?)
        .await?;
    let mut total = NdrFigures::default();
    let mut by_carrier: BTreeMap<String, NdrFigures> = BTreeMap::new();
    let mut by_reason: BTreeMap<String, NdrFigures> = BTreeMap::new();
    let mut by_destination: BTreeMap<String, NdrFigures> = BTreeMap::new();
    for c in &counts {
        total.add(c);
        by_carrier.entry(c.carrier.clone()).or_default().add(c);
        by_destination
            .entry(c.destination_prefix.clone())
            .or_default()
            .add(c);
        if let Some(r) = c.first_reason {
            by_reason.entry(r.to_string()).or_default().add(c);
        }
    }
    let done = |m: BTreeMap<String, NdrFigures>| {
        m.into_iter()
            .map(|(k, v)| (k, v.finish()))
            .collect::<BTreeMap<_, _>>()
    };
    Ok(axum::Json(NdrAnalytics {
        from: p.from,
        to: p.to,
        total: total.finish(),
        by_carrier: done(by_carrier),
        by_reason: done(by_reason),
        by_destination: done(by_destination),
    }))
}
