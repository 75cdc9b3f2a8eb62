//! Acting on NDRs. The desk (`POST /v1/shipments/{id}/ndr-actions`), the
//! customer (the self-service page) and the tenant's rules (jobs) all go
//! through [`act`]: it claims the shipment's current NDR record in the store
//! (one conditional UPDATE, so of two concurrent actions exactly one is sent),
//! forwards the instruction to the carrier and records how it ended.

use axum::http::StatusCode;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shipgate_carriers::core::{Capability, NdrInstruction, NdrOutcome};
use shipgate_domain::address::AddressInput;
use shipgate_domain::ndr::{NdrRules, RuleDecision};
use shipgate_domain::validation::InvalidValue;
use shipgate_domain::{Address, Phone, Shipment, ShipmentEvent, ShipmentStatus};
use shipgate_storage::{Ndr, NdrActionResult, NdrFilter, NewJob, new_id, now};

use crate::AppState;
use crate::error::ApiError;
use utoipa::ToSchema;

/// Job kind that applies the tenant's rules to a fresh NDR.
pub const RULES: &str = "ndr.rules";
/// Job kind that escalates an NDR nobody acted on in time.
pub const ESCALATE: &str = "ndr.escalate";
/// The tenant setting holding [`NdrRules`].
pub const RULES_SETTING: &str = "ndr_rules";

/// Carriers hold a parcel that failed delivery for about a week; a
/// re-attempt (or hold) date must fall within it.
pub const REATTEMPT_WINDOW_DAYS: i64 = 7;

/// A request still `action_requested` after this long never finished (its
/// process died); another action may claim the NDR.
const STALE_CLAIM: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Reattempt,
    ChangeAddress,
    ChangePhone,
    /// Keep the parcel until `date`, then deliver.
    Hold,
    ReturnToOrigin,
}

/// An action as asked for, before it is checked against the shipment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub action: ActionKind,
    /// For `reattempt` (optional) and `hold` (required): the day to deliver,
    /// from today up to 7 days ahead.
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<Date>,
    /// For `change_address`.
    pub address: Option<AddressInput>,
    /// For `change_phone`.
    pub phone: Option<String>,
}

impl ActionInput {
    pub fn of(action: ActionKind) -> Self {
        Self {
            action,
            date: None,
            address: None,
            phone: None,
        }
    }
}

fn required(field: &str, message: &str) -> ApiError {
    ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        field,
        "required",
        message,
    )
}

/// What to do about a failed attempt, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Reattempt {
        date: Option<Date>,
    },
    ChangeAddress {
        address: Box<Address>,
    },
    ChangePhone {
        phone: Phone,
    },
    /// Keep the parcel and deliver on `until` (carriers' NDR APIs have no
    /// separate hold, so it goes to them as a re-attempt on that date).
    Hold {
        until: Date,
    },
    ReturnToOrigin,
}

impl Action {
    /// Checks `input` against the shipment it is for.
    pub fn parse(input: ActionInput, s: &Shipment) -> Result<Self, ApiError> {
        Ok(match input.action {
            ActionKind::Reattempt => Action::Reattempt {
                date: input.date.map(|d| check_date("date", d)).transpose()?,
            },
            ActionKind::Hold => Action::Hold {
                until: check_date(
                    "date",
                    input
                        .date
                        .ok_or_else(|| required("date", "give the day to deliver"))?,
                )?,
            },
            ActionKind::ChangeAddress => {
                let given = input
                    .address
                    .ok_or_else(|| required("address", "give the new address"))?;
                let address = Address::parse(&given).map_err(|e| {
                    let mut errs = shipgate_domain::ValidationErrors::new();
                    errs.nest("address", e);
                    ApiError::from(errs)
                })?;
                Action::ChangeAddress {
                    address: Box::new(address),
                }
            }
            ActionKind::ChangePhone => {
                let raw = input
                    .phone
                    .ok_or_else(|| required("phone", "give the new phone"))?;
                let phone = Phone::parse(&s.consignee.country, &raw).map_err(|e| {
                    ApiError::field(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "validation_failed",
                        "phone",
                        e.code,
                        e.message,
                    )
                })?;
                Action::ChangePhone { phone }
            }
            ActionKind::ReturnToOrigin => Action::ReturnToOrigin,
        })
    }

    fn kind(&self) -> &'static str {
        match self {
            Action::Reattempt { .. } => "reattempt",
            Action::ChangeAddress { .. } => "change_address",
            Action::ChangePhone { .. } => "change_phone",
            Action::Hold { .. } => "hold",
            Action::ReturnToOrigin => "return_to_origin",
        }
    }

    /// As stored on the NDR record.
    fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({"action": self.kind()});
        match self {
            Action::Reattempt { date: Some(d) } => v["date"] = d.to_string().into(),
            Action::Hold { until } => v["date"] = until.to_string().into(),
            Action::ChangeAddress { address } => {
                v["address"] = serde_json::to_value(address).unwrap_or_default()
            }
            Action::ChangePhone { phone } => v["phone"] = phone.to_string().into(),
            _ => {}
        }
        v
    }

    fn instruction(&self) -> NdrInstruction {
        match self {
            Action::Reattempt { date } => NdrInstruction::Reattempt { date: *date },
            Action::Hold { until } => NdrInstruction::Reattempt { date: Some(*until) },
            Action::ChangeAddress { address } => NdrInstruction::ChangeAddress {
                address: (**address).clone(),
            },
            Action::ChangePhone { phone } => NdrInstruction::ChangePhone {
                phone: phone.to_string(),
            },
            Action::ReturnToOrigin => NdrInstruction::ReturnToOrigin,
        }
    }
}

/// Today in India, where every carrier we speak to schedules deliveries.
pub fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned(shipgate_carriers::core::time::ist())
        .date()
}

/// What is wrong with a delivery day, if anything: it must not have passed,
/// and must fall within the week a carrier holds a parcel.
pub fn date_problem(date: Date) -> Option<InvalidValue> {
    let today = today();
    let last = today
        .checked_add(jiff::Span::new().days(REATTEMPT_WINDOW_DAYS))
        .unwrap_or(today);
    if date < today {
        Some(InvalidValue::new("in_past", format!("{date} has passed")))
    } else if date > last {
        Some(InvalidValue::new(
            "outside_window",
            format!("carriers hold a parcel until {last} at most"),
        ))
    } else {
        None
    }
}

/// Checks a re-attempt or hold date (see [`date_problem`]).
pub fn check_date(field: &str, date: Date) -> Result<Date, ApiError> {
    match date_problem(date) {
        None => Ok(date),
        Some(e) => Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            field,
            e.code,
            e.message,
        )),
    }
}

/// How an action went.
#[derive(Debug)]
pub struct Acted {
    pub outcome: NdrOutcome,
    pub shipment: Shipment,
    pub ndr: Ndr,
}

fn conflict(code: &'static str, detail: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, detail)
}

/// The shipment's NDR awaiting an outcome, if any (at most one: a new
/// failure closes the previous one).
pub async fn current(
    state: &AppState,
    tenant_id: &str,
    shipment_id: &str,
) -> Result<Option<Ndr>, ApiError> {
    let filter = NdrFilter {
        shipment_id: Some(shipment_id.to_string()),
        ..Default::default()
    };
    Ok(state
        .store
        .list_ndrs(tenant_id, &filter, None, 1)
        .await?
        .items
        .into_iter()
        .next())
}

/// Takes the action asked for on the shipment's current NDR (or on
/// `expected_ndr`, which must still be current), as `actor`.
pub async fn act(
    state: &AppState,
    tenant_id: &str,
    shipment_id: &str,
    expected_ndr: Option<&str>,
    input: ActionInput,
    actor: &str,
) -> Result<Acted, ApiError> {
    let s = state
        .store
        .shipment(tenant_id, shipment_id)
        .await?
        .ok_or_else(|| ApiError::not_found("shipment"))?;
    let action = Action::parse(input, &s)?;
    let ndr = match current(state, tenant_id, shipment_id).await? {
        Some(n) if s.state.status == ShipmentStatus::DeliveryFailed => n,
        _ => {
            return Err(conflict(
                "not_in_ndr",
                format!(
                    "the shipment is {}, not awaiting an NDR action",
                    s.state.status
                ),
            ));
        }
    };
    if expected_ndr.is_some_and(|id| id != ndr.id) {
        return Err(conflict(
            "ndr_superseded",
            "a later delivery attempt replaced this one".into(),
        ));
    }
    // Before claiming: a carrier without the API leaves the record open.
    let carrier = match &s.carrier_account_id {
        None => None,
        Some(account_id) => {
            let opened = super::carrier_for(
                state,
                tenant_id,
                account_id,
                Capability::NdrAction,
                "has no NDR API",
            )
            .await;
            Some(match opened {
                // A return may go through cancellation instead (see `send`).
                Err(e) if e.code == "unsupported_operation" && action == Action::ReturnToOrigin => {
                    super::carrier_for(
                        state,
                        tenant_id,
                        account_id,
                        Capability::Cancel,
                        "has neither an NDR nor a cancellation API",
                    )
                    .await?
                }
                other => other?,
            })
        }
    };
    let claimed = state
        .store
        .claim_ndr(
            tenant_id,
            &ndr.id,
            &action.to_json(),
            actor,
            now() - STALE_CLAIM,
        )
        .await?;
    if !claimed {
        let taken = state.store.ndr(tenant_id, &ndr.id).await?.unwrap_or(ndr);
        return Err(conflict(
            "ndr_already_actioned",
            format!(
                "this NDR is {} ({} by {})",
                taken.state,
                taken
                    .action
                    .as_ref()
                    .and_then(|a| a.get("action"))
                    .and_then(|a| a.as_str())
                    .unwrap_or("an action"),
                taken.actor.as_deref().unwrap_or("someone else")
            ),
        ));
    }
    let sent = match &carrier {
        // The fleet's riders act on what they are told.
        None => Ok(NdrOutcome::Accepted),
        Some((adapter, account)) => send(state, *adapter, account, &s.awb, &action).await,
    };
    let outcome = match sent {
        Ok(outcome) => outcome,
        Err(e) => {
            let error = e.detail.clone().unwrap_or_else(|| e.code.to_string());
            // Refused: a clear failure on the record. Not reached: the NDR is open again.
            let result = if e.code == "carrier_rejected" {
                NdrActionResult::Refused { error }
            } else {
                NdrActionResult::Released { error }
            };
            state
                .store
                .finish_ndr_action(tenant_id, &ndr.id, &result)
                .await?;
            return Err(e);
        }
    };
    let carrier_request_id = match &outcome {
        NdrOutcome::Pending { request_id } => Some(request_id.clone()),
        NdrOutcome::Accepted => None,
    };
    state
        .store
        .finish_ndr_action(
            tenant_id,
            &ndr.id,
            &NdrActionResult::Sent { carrier_request_id },
        )
        .await?;
    let shipment = follow_through(state, s, &action, &outcome, actor).await?;
    let ndr = state
        .store
        .ndr(tenant_id, &ndr.id)
        .await?
        .ok_or_else(|| ApiError::not_found("ndr"))?;
    Ok(Acted {
        outcome,
        shipment,
        ndr,
    })
}

/// Sends the action to the carrier. A return goes through the NDR API where
/// it offers one, else through cancellation, which turns a shipment past
/// pickup into a return (Xpressbees' NDR API has no return, DTDC none at all;
/// the carrier refuses if it cannot).
async fn send(
    state: &AppState,
    adapter: &'static dyn shipgate_carriers::core::Adapter,
    account: &shipgate_carriers::core::Account,
    awb: &str,
    action: &Action,
) -> Result<NdrOutcome, ApiError> {
    use shipgate_carriers::core::{CancelOutcome, CarrierError};
    let by_ndr_api = adapter.capabilities().contains(&Capability::NdrAction);
    if by_ndr_api {
        match state
            .carrier_client
            .ndr_action(adapter, account, awb, &action.instruction(), 5)
            .await
        {
            // Could not even be put in the NDR API's terms: try cancelling.
            Err(CarrierError::InvalidRequest { .. }) if *action == Action::ReturnToOrigin => {}
            other => return other.map_err(ApiError::from),
        }
    }
    match state.carrier_client.cancel(adapter, account, awb).await? {
        CancelOutcome::RtoInitiated => Ok(NdrOutcome::Accepted),
        CancelOutcome::Cancelled => Err(ApiError::internal(
            &"the carrier cancelled a shipment past pickup instead of returning it",
        )),
    }
}

/// Keeps Shipgate's copy in step with an accepted action: a return starts
/// the RTO (which settles the NDR), a corrected address or phone is saved
/// with the change record.
async fn follow_through(
    state: &AppState,
    s: Shipment,
    action: &Action,
    outcome: &NdrOutcome,
    actor: &str,
) -> Result<Shipment, ApiError> {
    let mut next = s.clone();
    let change = match action {
        Action::ReturnToOrigin if *outcome == NdrOutcome::Accepted => {
            let at = s.state.last_event_at.map_or(now(), |last| {
                now().max(last + jiff::SignedDuration::from_millis(1))
            });
            let event = ShipmentEvent::system(
                new_id("evt"),
                ShipmentStatus::RtoRequested,
                at,
                "Return to origin requested after a failed delivery".into(),
                Some(actor.to_string()),
            );
            return Ok(state
                .store
                .record_events(&s.tenant_id, &s.id, &[event], &super::follow_up(state))
                .await?
                .shipment);
        }
        Action::ChangeAddress { address } => {
            let mut address = (**address).clone();
            // The NDR form corrects where, not who: keep name and contact unless given.
            if address.email.is_none() {
                address.email = s.consignee.email.clone();
            }
            next.consignee = address;
            serde_json::json!({"consignee": {"from": s.consignee, "to": next.consignee}})
        }
        Action::ChangePhone { phone } => {
            next.consignee.phone = phone.clone();
            serde_json::json!({"phone": {"from": s.consignee.phone, "to": phone}})
        }
        _ => return Ok(s),
    };
    next.updated_at = now();
    let record = shipgate_storage::ShipmentChange {
        id: new_id("chg"),
        actor: actor.to_string(),
        changes: change,
        created_at: next.updated_at,
    };
    state.store.modify_shipment(&next, &record).await?;
    Ok(next)
}

/// The tenant's NDR rules (none until it sets some).
pub async fn rules(state: &AppState, tenant_id: &str) -> Result<NdrRules, ApiError> {
    Ok(state
        .store
        .tenant_setting(tenant_id, RULES_SETTING)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// The jobs a recording calls for: the rules for every NDR it raised.
pub fn follow_up(r: &shipgate_storage::EventsRecorded) -> Vec<NewJob> {
    r.raised_ndrs
        .iter()
        .map(|id| {
            NewJob::now(
                RULES,
                Some(r.shipment.tenant_id.clone()),
                serde_json::json!({"ndr_id": id}),
            )
        })
        .collect()
}

/// The NDR a job names; none if it is gone.
async fn load(state: &AppState, tenant_id: &str, ndr_id: &str) -> Result<Option<Ndr>, String> {
    state
        .store
        .ndr(tenant_id, ndr_id)
        .await
        .map_err(|e| e.to_string())
}

/// Applies the tenant's rules to a fresh NDR and schedules its escalation.
pub async fn apply_rules(state: &AppState, tenant_id: &str, ndr_id: &str) -> Result<(), String> {
    let Some(ndr) = load(state, tenant_id, ndr_id).await? else {
        return Ok(());
    };
    if !ndr.state.is_actionable() {
        return Ok(());
    }
    let rules = rules(state, tenant_id)
        .await
        .map_err(|e| e.detail.unwrap_or_default())?;
    if let Some(hours) = rules.escalate_after_hours {
        let mut job = NewJob::now(
            ESCALATE,
            Some(tenant_id.to_string()),
            serde_json::json!({"ndr_id": ndr.id}),
        );
        job.run_at = ndr.created_at + jiff::SignedDuration::from_hours(i64::from(hours));
        state
            .store
            .enqueue_job(&job)
            .await
            .map_err(|e| e.to_string())?;
    }
    let Some(decision) = rules.decide(ndr.reason, ndr.attempt) else {
        return Ok(());
    };
    let actor = format!("rule:{}", decision.rule_name());
    let action = match decision {
        RuleDecision::ReturnToOrigin => ActionInput::of(ActionKind::ReturnToOrigin),
        RuleDecision::Reattempt => ActionInput::of(ActionKind::Reattempt),
        RuleDecision::AskCustomer => {
            return ask_customer(state, tenant_id, &ndr).await;
        }
    };
    match act(
        state,
        tenant_id,
        &ndr.shipment_id,
        Some(&ndr.id),
        action,
        &actor,
    )
    .await
    {
        Ok(acted) => {
            tracing::info!(ndr = ndr_id, rule = %actor, state = %acted.ndr.state, "NDR rule applied");
            Ok(())
        }
        // Someone acted first, the attempt was superseded, or the carrier said
        // no (kept on the record): nothing to retry.
        Err(e) if e.status.is_client_error() => {
            tracing::info!(ndr = ndr_id, rule = %actor, code = e.code, "NDR rule not applied");
            Ok(())
        }
        Err(e) => Err(e.detail.unwrap_or_else(|| e.code.to_string())),
    }
}

/// Emails the customer the self-service link for this NDR, once.
async fn ask_customer(state: &AppState, tenant_id: &str, ndr: &Ndr) -> Result<(), String> {
    if state.mailer.is_none() {
        return Ok(());
    }
    if state
        .store
        .mark_ndr_customer_asked(tenant_id, &ndr.id)
        .await
        .map_err(|e| e.to_string())?
    {
        state
            .store
            .enqueue_job(&NewJob::now(
                super::email::SEND,
                Some(tenant_id.to_string()),
                serde_json::json!({
                    "shipment_id": ndr.shipment_id,
                    "milestone": ShipmentStatus::DeliveryFailed,
                    "ndr_id": ndr.id,
                    "ask": true,
                }),
            ))
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// What `shipment.ndr_escalated` carries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EscalatedPayload {
    #[serde(rename = "type")]
    pub event_type: String,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: jiff::Timestamp,
    pub data: crate::routes::ndr::NdrView,
}

/// Escalates the NDR if nobody acted on it, announcing it to webhooks.
pub async fn escalate(state: &AppState, tenant_id: &str, ndr_id: &str) -> Result<(), String> {
    let Some(ndr) = load(state, tenant_id, ndr_id).await? else {
        return Ok(());
    };
    let mut view = crate::routes::ndr::NdrView::from(ndr);
    view.escalated_at = Some(now());
    let event = super::webhooks::events::EventType::NdrEscalated;
    let body = EscalatedPayload {
        event_type: event.as_str().to_string(),
        timestamp: now(),
        data: view,
    };
    let jobs = super::webhooks::events::single_event_job(
        tenant_id,
        event,
        serde_json::to_string(&body).map_err(|e| e.to_string())?,
    );
    let escalated = state
        .store
        .escalate_ndr(tenant_id, ndr_id, &jobs)
        .await
        .map_err(|e| e.to_string())?;
    if escalated {
        tracing::warn!(ndr = ndr_id, "NDR escalated: no action in time");
    }
    Ok(())
}

fn ndr_id(job: &shipgate_storage::Job) -> Result<(&str, &str), String> {
    let tenant = job.tenant_id.as_deref().ok_or("job has no tenant")?;
    let id = job
        .payload
        .get("ndr_id")
        .and_then(|v| v.as_str())
        .ok_or("job has no ndr_id")?;
    Ok((tenant, id))
}

/// The worker's handler for [`RULES`] jobs.
pub struct RulesJob(pub AppState);

#[async_trait::async_trait]
impl crate::worker::JobHandler for RulesJob {
    async fn run(&self, job: &shipgate_storage::Job) -> Result<(), String> {
        let (tenant, id) = ndr_id(job)?;
        apply_rules(&self.0, tenant, id).await
    }
}

/// The worker's handler for [`ESCALATE`] jobs.
pub struct EscalateJob(pub AppState);

#[async_trait::async_trait]
impl crate::worker::JobHandler for EscalateJob {
    async fn run(&self, job: &shipgate_storage::Job) -> Result<(), String> {
        let (tenant, id) = ndr_id(job)?;
        escalate(&self.0, tenant, id).await
    }
}
