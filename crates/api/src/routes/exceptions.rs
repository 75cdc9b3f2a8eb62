//! The exception desk's tools: cancelling a shipment (before pickup at the
//! carrier; after pickup, a return to origin), modifying it, and acting on
//! failed delivery attempts (NDRs; see `service::ndr`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shipgate_carriers::core::{CancelOutcome, Capability, NdrOutcome};
use shipgate_carriers::fleet;
use shipgate_domain::address::{Address, AddressInput};
use shipgate_domain::status::Phase;
use shipgate_domain::{Shipment, ShipmentEvent, ShipmentStatus};
use shipgate_storage::{Tenant, new_id, now};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::service::carrier_for;
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
    let actor = format!("api_key:{}", tenant.id);
    Ok(axum::Json(
        cancel_as(&state, &tenant, &id, &input, &actor)
            .await?
            .into(),
    ))
}

/// Cancels (or returns) a shipment for `actor` (the API key, or a dashboard
/// user); see [`cancel`].
pub async fn cancel_as(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
    input: &CancelInput,
    actor: &str,
) -> Result<Shipment, ApiError> {
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
    let s = load(state, tenant, id).await?;
    let status = s.state.progress;
    if status == ShipmentStatus::Cancelled
        || matches!(status.phase(), Phase::Rto { .. }) && status != ShipmentStatus::RtoDelivered
    {
        return Ok(s);
    }
    if status.is_terminal() {
        return Err(refuse(
            "cannot_cancel",
            format!("the shipment is {status}; it can no longer be cancelled"),
        ));
    }
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
                state,
                &tenant.id,
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
    record(
        state,
        tenant,
        &s,
        new_status,
        format!("{what} ({carrier}): {reason}"),
        actor,
    )
    .await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NdrActionResult {
    /// `accepted` (the carrier took it) or `pending` (still being processed; see `request_id`).
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    pub shipment: ShipmentView,
    /// The NDR record, with the action and who took it.
    pub ndr: crate::routes::ndr::NdrView,
}

impl From<crate::service::ndr::Acted> for NdrActionResult {
    fn from(a: crate::service::ndr::Acted) -> Self {
        let (outcome, request_id) = match a.outcome {
            NdrOutcome::Accepted => ("accepted", None),
            NdrOutcome::Pending { request_id } => ("pending", Some(request_id)),
        };
        Self {
            outcome: outcome.into(),
            request_id,
            shipment: a.shipment.into(),
            ndr: a.ndr.into(),
        }
    }
}

/// Act on a failed delivery: re-attempt (on a date), hold until a date,
/// change the address or phone, or return to origin. Forwarded to the
/// carrier's NDR API (asynchronous ones followed until they settle). One
/// action per NDR: if the customer or a rule acted first, this is refused.
#[utoipa::path(
    post, path = "/v1/shipments/{id}/ndr-actions", tag = "ndr",
    params(("id" = String, Path, description = "Shipment id")),
    request_body = crate::service::ndr::ActionInput,
    responses(
        (status = 200, body = NdrActionResult),
        (status = 409, description = "Not in NDR (`not_in_ndr`), or someone acted on this NDR already (`ndr_already_actioned`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or the carrier refused (the NDR is then `failed`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn act(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<crate::service::ndr::ActionInput>,
) -> Result<axum::Json<NdrActionResult>, ApiError> {
    let actor = format!("desk:api_key:{}", tenant.id);
    let acted = crate::service::ndr::act(&state, &tenant.id, &id, None, input, &actor).await?;
    Ok(axum::Json(acted.into()))
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
    /// For the rider, up to 200 characters on one line; `""` clears them.
    pub delivery_instructions: Option<String>,
    /// The day the consignee wants it: from today up to 7 days ahead (what
    /// carriers hold a parcel for), not before the carrier's expected date.
    #[schema(value_type = Option<String>, format = Date)]
    pub preferred_delivery_date: Option<jiff::civil::Date>,
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

/// Modify a shipment: the delivery address, phone, payment mode and COD
/// amount, delivery instructions and preferred delivery day.
///
/// Allowed until the parcel is out for delivery (and again after a failed
/// attempt), and only where the carrier accepts edits (instructions and a
/// preferred day only where its API takes them — the fleet's riders read
/// them; no built-in carrier's edit API does): the change goes to the
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
    let actor = format!("api_key:{}", tenant.id);
    Ok(axum::Json(
        modify_as(&state, &tenant, &id, input, &actor).await?.into(),
    ))
}

/// Modifies a shipment for `actor` (the API key, or a dashboard user); see
/// [`modify`].
pub async fn modify_as(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
    input: ModifyInput,
    actor: &str,
) -> Result<Shipment, ApiError> {
    use shipgate_domain::PaymentMode;
    let s = load(state, tenant, id).await?;
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
    if let Some(raw) = &input.delivery_instructions {
        match shipgate_domain::DeliveryPreferences::parse_instructions(raw) {
            Ok(text) if text != s.delivery.instructions => {
                changes.insert(
                    "delivery_instructions".into(),
                    json_change(&s.delivery.instructions, &text),
                );
                next.delivery.instructions = text;
            }
            Ok(_) => {}
            Err(e) => errs.push("delivery_instructions", e),
        }
    }
    if let Some(date) = input.preferred_delivery_date {
        let early = s.carrier_facts.edd.filter(|edd| date < *edd).map(|edd| {
            shipgate_domain::validation::InvalidValue::new(
                "before_edd",
                format!("the carrier expects to deliver on {edd} at the earliest"),
            )
        });
        match crate::service::ndr::date_problem(date).or(early) {
            Some(e) => errs.push("preferred_delivery_date", e),
            None if Some(date) != s.delivery.preferred_date => {
                changes.insert(
                    "preferred_delivery_date".into(),
                    json_change(&s.delivery.preferred_date, &Some(date)),
                );
                next.delivery.preferred_date = Some(date);
            }
            None => {}
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
            state,
            &tenant.id,
            account_id,
            Capability::Modify,
            "does not accept edits to a booked shipment",
        )
        .await?;
        let delivery_changed = next.delivery != s.delivery;
        if delivery_changed
            && !adapter
                .capabilities()
                .contains(&Capability::DeliveryPreferences)
        {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_operation",
                format!(
                    "{} does not take delivery instructions or a preferred day through its API",
                    adapter.name()
                ),
            ));
        }
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
            delivery: delivery_changed.then(|| next.delivery.clone()),
        };
        state
            .carrier_client
            .modify(adapter, &account, &s.awb, &change)
            .await?;
    }
    next.updated_at = now();
    let record = shipgate_storage::ShipmentChange {
        id: new_id("chg"),
        actor: actor.to_string(),
        changes: serde_json::Value::Object(changes),
        created_at: next.updated_at,
    };
    state.store.modify_shipment(&next, &record).await?;
    Ok(next)
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
