//! The exception desk's first tools: cancelling a shipment (before pickup at
//! the carrier; after pickup, a return to origin) and acting on failed
//! delivery attempts (NDRs).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shipgate_carriers::core::{CancelOutcome, Capability, NdrInstruction, NdrOutcome};
use shipgate_carriers::{adapter, fleet};
use shipgate_domain::address::{Address, AddressInput};
use shipgate_domain::status::Phase;
use shipgate_domain::{NdrReason, Shipment, ShipmentEvent, ShipmentStatus};
use shipgate_storage::{ShipmentFilter, Tenant, new_id, now};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::views::ShipmentView;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// Why, for the history (e.g. "customer cancelled").
    pub reason: String,
}

async fn load(state: &AppState, tenant: &Tenant, id: &str) -> Result<Shipment, ApiError> {
    state
        .store
        .shipment(&tenant.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("shipment"))
}

async fn record(
    state: &AppState,
    tenant: &Tenant,
    s: &Shipment,
    status: ShipmentStatus,
    description: String,
    actor: &str,
) -> Result<Shipment, ApiError> {
    // An action is taken on what is known: it follows the latest event even
    // when a carrier's clock runs ahead of ours (as the sandbox's can).
    let at = s.state.last_event_at.map_or(now(), |last| {
        now().max(last + jiff::SignedDuration::from_millis(1))
    });
    let event = ShipmentEvent::system(
        new_id("evt"),
        status,
        at,
        description,
        Some(actor.to_string()),
    );
    Ok(state
        .store
        .record_events(
            &tenant.id,
            &s.id,
            &[event],
            &crate::service::follow_up(state),
        )
        .await?
        .shipment)
}

fn refuse(code: &'static str, detail: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, detail)
}

/// Cancel a shipment.
///
/// Before pickup it is cancelled at the carrier; once picked up it is turned
/// into a return to origin where the carrier allows (Delhivery does; DTDC
/// and Shiprocket refuse once a parcel moves); once delivered it is refused.
/// Cancelling a cancelled or returning shipment again returns it unchanged.
#[utoipa::path(
    post, path = "/v1/shipments/{id}/cancel", tag = "shipments",
    params(("id" = String, Path, description = "Shipment id")),
    request_body = CancelInput,
    responses(
        (status = 200, body = ShipmentView),
        (status = 409, description = "Delivered, lost, or already returned", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The carrier refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CancelInput>,
) -> Result<axum::Json<ShipmentView>, ApiError> {
    let reason = input.reason.trim();
    if reason.is_empty() || reason.len() > 500 {
        return Err(ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "reason",
            "required",
            "say why, in up to 500 characters",
        ));
    }
    let s = load(&state, &tenant, &id).await?;
    let status = s.state.progress;
    if status == ShipmentStatus::Cancelled
        || matches!(status.phase(), Phase::Rto { .. }) && status != ShipmentStatus::RtoDelivered
    {
        return Ok(axum::Json(s.into()));
    }
    if status.is_terminal() {
        return Err(refuse(
            "cannot_cancel",
            format!("the shipment is {status}; it can no longer be cancelled"),
        ));
    }
    let actor = format!("api_key:{}", tenant.id);
    let outcome = match &s.carrier_account_id {
        None => {
            if status.is_before_pickup() {
                CancelOutcome::Cancelled
            } else {
                CancelOutcome::RtoInitiated
            }
        }
        Some(account_id) => {
            let (adapter, account) = carrier_for(
                &state,
                &tenant,
                account_id,
                Capability::Cancel,
                "has no cancellation API",
            )
            .await?;
            state
                .carrier_client
                .cancel(adapter, &account, &s.awb)
                .await?
        }
    };
    let (new_status, what) = match outcome {
        CancelOutcome::Cancelled => (ShipmentStatus::Cancelled, "Cancelled"),
        CancelOutcome::RtoInitiated => (ShipmentStatus::RtoRequested, "Return to origin requested"),
    };
    let carrier = if s.carrier_account_id.is_none() {
        fleet::NAME.to_string()
    } else {
        s.carrier.clone()
    };
    Ok(axum::Json(
        record(
            &state,
            &tenant,
            &s,
            new_status,
            format!("{what} ({carrier}): {reason}"),
            &actor,
        )
        .await?
        .into(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NdrParams {
    carrier: Option<String>,
    reason: Option<NdrReason>,
    /// Only shipments with at least this many failed attempts.
    min_attempts: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NdrQueue {
    /// Shipments whose latest attempt failed, newest first.
    pub data: Vec<ShipmentView>,
}

/// Open NDRs: shipments whose last delivery attempt failed.
#[utoipa::path(
    get, path = "/v1/ndr", tag = "ndr",
    params(NdrParams),
    responses((status = 200, body = NdrQueue)),
    security(("api_key" = []))
)]
pub async fn queue(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    QueryParams(p): QueryParams<NdrParams>,
) -> Result<axum::Json<NdrQueue>, ApiError> {
    let filter = ShipmentFilter {
        status: Some(ShipmentStatus::DeliveryFailed),
        carrier: p.carrier,
        ..Default::default()
    };
    let mut data = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store
            .list_shipments(&tenant.id, &filter, after.as_deref(), 100)
            .await?;
        data.extend(
            page.items
                .into_iter()
                .filter(|s| p.reason.is_none_or(|r| s.state.ndr_reason == Some(r)))
                .filter(|s| p.min_attempts.is_none_or(|m| s.state.failed_attempts >= m))
                .map(ShipmentView::from),
        );
        match page.next_after {
            Some(next) if data.len() < 1_000 => after = Some(next),
            _ => break,
        }
    }
    Ok(axum::Json(NdrQueue { data }))
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NdrActionKind {
    Reattempt,
    ChangeAddress,
    ChangePhone,
    ReturnToOrigin,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NdrActionInput {
    pub action: NdrActionKind,
    /// For `reattempt`: the day to try again.
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<Date>,
    /// For `change_address`.
    pub address: Option<AddressInput>,
    /// For `change_phone`.
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NdrActionResult {
    /// `accepted` (the carrier took it) or `pending` (still being processed; see `request_id`).
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    pub shipment: ShipmentView,
}

/// Act on a failed delivery: re-attempt (on a date), change the address or
/// phone, or return to origin. Forwarded to the carrier's NDR API
/// (asynchronous ones followed until they settle).
#[utoipa::path(
    post, path = "/v1/shipments/{id}/ndr-actions", tag = "ndr",
    params(("id" = String, Path, description = "Shipment id")),
    request_body = NdrActionInput,
    responses(
        (status = 200, body = NdrActionResult),
        (status = 409, description = "The shipment is not in NDR", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or the carrier refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn act(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<NdrActionInput>,
) -> Result<axum::Json<NdrActionResult>, ApiError> {
    let s = load(&state, &tenant, &id).await?;
    if s.state.status != ShipmentStatus::DeliveryFailed {
        return Err(refuse(
            "not_in_ndr",
            format!(
                "the shipment is {}, not awaiting an NDR action",
                s.state.status
            ),
        ));
    }
    let instruction = match input.action {
        NdrActionKind::Reattempt => {
            if let Some(d) = input.date.filter(|d| {
                *d < jiff::Timestamp::now()
                    .to_zoned(shipgate_carriers::core::time::ist())
                    .date()
            }) {
                return Err(ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "date",
                    "in_past",
                    format!("{d} has passed"),
                ));
            }
            NdrInstruction::Reattempt { date: input.date }
        }
        NdrActionKind::ChangeAddress => {
            let given = input.address.ok_or_else(|| {
                ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "address",
                    "required",
                    "give the new address",
                )
            })?;
            let address: Address = Address::parse(&given).map_err(|e| {
                let mut errs = shipgate_domain::ValidationErrors::new();
                errs.nest("address", e);
                ApiError::from(errs)
            })?;
            NdrInstruction::ChangeAddress { address }
        }
        NdrActionKind::ChangePhone => {
            let raw = input.phone.ok_or_else(|| {
                ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "phone",
                    "required",
                    "give the new phone",
                )
            })?;
            let phone = shipgate_domain::Phone::parse(&s.consignee.country, &raw).map_err(|e| {
                ApiError::field(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "phone",
                    e.code,
                    e.message,
                )
            })?;
            NdrInstruction::ChangePhone {
                phone: phone.to_string(),
            }
        }
        NdrActionKind::ReturnToOrigin => NdrInstruction::ReturnToOrigin,
    };
    let actor = format!("api_key:{}", tenant.id);
    let (outcome, request_id) = match &s.carrier_account_id {
        // The fleet's riders act on what they are told; only a return changes the journey.
        None => (NdrOutcome::Accepted, None),
        Some(account_id) => {
            let (adapter, account) = carrier_for(
                &state,
                &tenant,
                account_id,
                Capability::NdrAction,
                "has no NDR API",
            )
            .await?;
            let outcome = state
                .carrier_client
                .ndr_action(adapter, &account, &s.awb, &instruction, 5)
                .await?;
            let id = match &outcome {
                NdrOutcome::Pending { request_id } => Some(request_id.clone()),
                NdrOutcome::Accepted => None,
            };
            (outcome, id)
        }
    };
    let shipment =
        if input.action == NdrActionKind::ReturnToOrigin && outcome == NdrOutcome::Accepted {
            record(
                &state,
                &tenant,
                &s,
                ShipmentStatus::RtoRequested,
                "Return to origin requested after a failed delivery".into(),
                &actor,
            )
            .await?
        } else {
            s
        };
    Ok(axum::Json(NdrActionResult {
        outcome: match outcome {
            NdrOutcome::Accepted => "accepted".into(),
            NdrOutcome::Pending { .. } => "pending".into(),
        },
        request_id,
        shipment: shipment.into(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyInput {
    /// The full corrected delivery address.
    pub consignee: Option<AddressInput>,
    /// A new phone for the consignee.
    pub phone: Option<String>,
    pub payment_mode: Option<shipgate_domain::PaymentMode>,
    /// Amount to collect, minor units; with `payment_mode: cod` (or to change it).
    pub cod_amount: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangeView {
    pub id: String,
    pub actor: String,
    /// `{"field": {"from": …, "to": …}}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

/// Modify a shipment: the delivery address, phone, or payment mode and COD amount.
///
/// Allowed until the parcel is out for delivery (and again after a failed
/// attempt), and only where the carrier accepts edits: the change goes to the
/// carrier first, and if it refuses, Shipgate's copy stays as it was. Every
/// change is kept with who made it (`GET /v1/shipments/{id}/changes`); the
/// label, rendered from the shipment, shows it at once.
#[utoipa::path(
    patch, path = "/v1/shipments/{id}", tag = "shipments",
    params(("id" = String, Path, description = "Shipment id")),
    request_body = ModifyInput,
    responses(
        (status = 200, body = ShipmentView),
        (status = 409, description = "Too late to modify", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or the carrier refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn modify(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ModifyInput>,
) -> Result<axum::Json<ShipmentView>, ApiError> {
    use shipgate_domain::PaymentMode;
    let s = load(&state, &tenant, &id).await?;
    let progress = s.state.progress;
    let editable = matches!(progress.phase(), Phase::Forward { rank } if rank <= 6)
        || s.state.status == ShipmentStatus::DeliveryFailed;
    if !editable || progress.is_terminal() {
        return Err(refuse(
            "cannot_modify",
            format!(
                "the shipment is {}; it can no longer be modified",
                s.state.status
            ),
        ));
    }
    let mut errs = shipgate_domain::ValidationErrors::new();
    let mut next = s.clone();
    let mut changes = serde_json::Map::new();
    if let Some(given) = &input.consignee {
        match Address::parse(given) {
            Ok(a) => {
                changes.insert("consignee".into(), json_change(&s.consignee, &a));
                next.consignee = a;
            }
            Err(e) => errs.nest("consignee", e),
        }
    }
    if let Some(raw) = &input.phone {
        match shipgate_domain::Phone::parse(&next.consignee.country, raw) {
            Ok(p) => {
                changes.insert("phone".into(), json_change(&s.consignee.phone, &p));
                next.consignee.phone = p;
            }
            Err(e) => errs.push("phone", e),
        }
    }
    let mode = input.payment_mode.unwrap_or(s.payment_mode);
    match (mode, input.cod_amount) {
        (PaymentMode::Cod, Some(a)) if a > 0 => {
            next.cod_amount = Some(shipgate_domain::Money {
                minor_units: a,
                currency: s.declared_value.currency.clone(),
            });
        }
        (PaymentMode::Cod, Some(_)) => errs.push(
            "cod_amount",
            shipgate_domain::validation::InvalidValue::new(
                "must_be_positive",
                "must be more than 0",
            ),
        ),
        (PaymentMode::Cod, None) if s.payment_mode == PaymentMode::Prepaid => {
            errs.push(
                "cod_amount",
                shipgate_domain::validation::InvalidValue::new(
                    "required",
                    "give the amount to collect",
                ),
            );
        }
        (PaymentMode::Prepaid, Some(a)) if a != 0 => {
            errs.push(
                "cod_amount",
                shipgate_domain::validation::InvalidValue::new(
                    "not_allowed",
                    "a prepaid shipment collects nothing",
                ),
            );
        }
        (PaymentMode::Prepaid, _) => next.cod_amount = None,
        (PaymentMode::Cod, None) => {}
    }
    next.payment_mode = mode;
    if next.payment_mode != s.payment_mode || next.cod_amount != s.cod_amount {
        changes.insert(
            "payment".into(),
            serde_json::json!({
                "from": {"mode": s.payment_mode, "cod_amount": s.cod_amount.as_ref().map(|m| m.minor_units)},
                "to": {"mode": next.payment_mode, "cod_amount": next.cod_amount.as_ref().map(|m| m.minor_units)},
            }),
        );
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    if changes.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "nothing to change",
        ));
    }
    // The carrier first: if it refuses, nothing here changes.
    if let Some(account_id) = &s.carrier_account_id {
        let (adapter, account) = carrier_for(
            &state,
            &tenant,
            account_id,
            Capability::Modify,
            "does not accept edits to a booked shipment",
        )
        .await?;
        let change = shipgate_carriers::core::Modification {
            consignee: input.consignee.is_some().then(|| next.consignee.clone()),
            phone: input
                .phone
                .is_some()
                .then(|| next.consignee.phone.to_string()),
            payment_mode: (next.payment_mode != s.payment_mode).then_some(next.payment_mode),
            cod_amount_minor: (next.cod_amount != s.cod_amount)
                .then(|| next.cod_amount.as_ref().map_or(0, |m| m.minor_units)),
            weight_grams: None,
        };
        state
            .carrier_client
            .modify(adapter, &account, &s.awb, &change)
            .await?;
    }
    next.updated_at = now();
    let record = shipgate_storage::ShipmentChange {
        id: new_id("chg"),
        actor: format!("api_key:{}", tenant.id),
        changes: serde_json::Value::Object(changes),
        created_at: next.updated_at,
    };
    state.store.modify_shipment(&next, &record).await?;
    Ok(axum::Json(next.into()))
}

fn json_change<T: Serialize>(from: &T, to: &T) -> serde_json::Value {
    serde_json::json!({"from": from, "to": to})
}

/// A shipment's modifications, oldest first, with who made them.
#[utoipa::path(
    get, path = "/v1/shipments/{id}/changes", tag = "shipments",
    params(("id" = String, Path, description = "Shipment id")),
    responses((status = 200, body = Vec<ChangeView>), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn changes(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<ChangeView>>, ApiError> {
    load(&state, &tenant, &id).await?;
    let list = state.store.shipment_changes(&tenant.id, &id).await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|c| ChangeView {
                id: c.id,
                actor: c.actor,
                changes: c.changes,
                created_at: c.created_at,
            })
            .collect(),
    ))
}

/// The shipment's carrier adapter and opened account, if the carrier offers
/// `capability`; otherwise an `unsupported_operation` problem ("{carrier} {lacks}").
async fn carrier_for(
    state: &AppState,
    tenant: &Tenant,
    account_id: &str,
    capability: Capability,
    lacks: &str,
) -> Result<
    (
        &'static dyn shipgate_carriers::core::Adapter,
        shipgate_carriers::core::Account,
    ),
    ApiError,
> {
    let record = state
        .store
        .carrier_account(&tenant.id, account_id)
        .await?
        .ok_or_else(|| ApiError::internal(&"the shipment's carrier account is gone"))?;
    let adapter = adapter(&record.carrier).ok_or_else(|| ApiError::internal(&"unknown carrier"))?;
    if !adapter.capabilities().contains(&capability) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsupported_operation",
            format!("{} {lacks}", adapter.name()),
        ));
    }
    Ok((
        adapter,
        crate::service::carrier_accounts::open_account(state, &record)?,
    ))
}
