//! What the API does, apart from HTTP: handlers parse and respond; the work
//! happens here.

use shipgate_carriers::core::CreateRequest;
use shipgate_carriers::{adapter, fleet};
use shipgate_domain::shipment::{NewShipmentInput, ShipmentDraft};
use shipgate_domain::validation::{InvalidValue, ValidationErrors};
use shipgate_domain::{Shipment, ShipmentEvent, ShipmentStatus, Timeline};
use shipgate_storage::{Tenant, new_id, now};

use crate::AppState;
use crate::error::ApiError;

pub mod allocation;
pub mod audit;
pub mod awb_pool;
pub mod batch;
pub mod carrier_accounts;
pub mod demo;
pub mod edd;
pub mod email;
pub mod ndr;
pub mod ndr_link;
pub mod push_ingest;
pub mod serviceability;
pub mod tracking;
pub mod webhooks;

/// What a recording calls for, decided inside its transaction: merchant
/// webhooks (written to the outbox with the events), the NDR rules for each
/// NDR raised, and the customer's milestone email when email is configured.
pub fn follow_up(
    state: &AppState,
) -> impl Fn(&shipgate_storage::EventsRecorded) -> shipgate_storage::FollowUps + Sync + use<> {
    let email = state.mailer.is_some();
    move |r| {
        let mut jobs = Vec::new();
        jobs.extend(edd::follow_up(r));
        jobs.extend(ndr::follow_up(r));
        if email {
            jobs.extend(email::follow_up(r));
        }
        shipgate_storage::FollowUps {
            jobs,
            webhooks: webhooks::events::follow_up(r),
        }
    }
}

/// Where a shipment is booked.
enum Booker {
    Fleet,
    Account(Box<shipgate_storage::CarrierAccountRecord>),
    /// Let allocation choose among the tenant's accounts.
    Allocate(shipgate_domain::allocation::Strategy),
}

/// What booking at a carrier gave back.
struct Booked {
    awb: String,
    routing_code: Option<String>,
    carrier_account_id: Option<String>,
    carrier: String,
    carrier_name: String,
}

/// Books the draft through one carrier account.
async fn book_with(
    state: &AppState,
    record: &shipgate_storage::CarrierAccountRecord,
    draft: &ShipmentDraft,
) -> Result<Booked, ApiError> {
    let adapter = adapter(&record.carrier)
        .ok_or_else(|| ApiError::internal(&"carrier account for an unknown carrier"))?;
    let account = carrier_accounts::open_account(state, record)?;
    // Pool carriers draw a pre-fetched AWB (Ecom Express must; Delhivery
    // may, when the account sets a pool size).
    let uses_pool = adapter.requires_pooled_awb()
        || (adapter
            .capabilities()
            .contains(&shipgate_carriers::core::Capability::AwbPool)
            && account.settings.awb_pool_size.is_some());
    let pooled = if uses_pool {
        Some(awb_pool::take(state, adapter, &account).await?)
    } else {
        None
    };
    let request = CreateRequest {
        reference: &draft.order_reference,
        draft,
        awb: pooled.as_deref(),
    };
    let booking = match state
        .carrier_client
        .create_shipment(adapter, &account, &request)
        .await
    {
        Ok(booking) => booking,
        Err(e) => {
            // A pooled AWB goes back only when the carrier certainly did not
            // book it: it refused, or the request never left. After a timeout
            // it may have been used, so it stays taken.
            let unused = matches!(
                e,
                shipgate_carriers::core::CarrierError::Rejected { .. }
                    | shipgate_carriers::core::CarrierError::InvalidRequest { .. }
            );
            if let (true, Some(awb)) = (unused, &pooled) {
                state.store.release_pool_awb(&record.id, awb).await?;
            }
            return Err(e.into());
        }
    };
    Ok(Booked {
        awb: booking.awb,
        routing_code: booking.routing_code,
        carrier_account_id: Some(record.id.clone()),
        carrier: record.carrier.clone(),
        carrier_name: adapter.name().to_string(),
    })
}

/// Validates, books at the carrier (which issues the AWB) and stores the
/// shipment with its first events.
pub async fn create_shipment(
    state: &AppState,
    tenant: &Tenant,
    input: &NewShipmentInput,
) -> Result<Shipment, ApiError> {
    let parsed = ShipmentDraft::parse(input);
    let mut errs = parsed.as_ref().err().cloned().unwrap_or_default();
    let requested = input
        .carrier
        .as_deref()
        .map(|c| c.trim().to_ascii_lowercase());
    let booker = match (&input.carrier_account_id, requested.as_deref()) {
        (None, None) if input.allocation.is_some() => Some(Booker::Allocate(
            input
                .allocation
                .as_ref()
                .map(|a| a.strategy)
                .unwrap_or_default(),
        )),
        (Some(_), _) | (_, Some(_)) if input.allocation.is_some() => {
            errs.push(
                "allocation",
                InvalidValue::new(
                    "not_allowed",
                    "give either allocation or a carrier / carrier_account_id",
                ),
            );
            None
        }
        (None, None | Some(fleet::CODE)) => Some(Booker::Fleet),
        (None, Some(other)) => {
            let message = if adapter(other).is_some() {
                format!(
                    "{other} books through a carrier account: pass carrier_account_id (see POST /v1/carrier-accounts)"
                )
            } else {
                "unknown carrier; see GET /v1/carriers".to_string()
            };
            errs.push("carrier", InvalidValue::new("unsupported_carrier", message));
            None
        }
        (Some(id), requested) => match state.store.carrier_account(&tenant.id, id).await? {
            None => {
                errs.push(
                    "carrier_account_id",
                    InvalidValue::new("not_found", "no carrier account with this id"),
                );
                None
            }
            Some(record) if requested.is_some_and(|r| r != record.carrier) => {
                errs.push(
                    "carrier",
                    InvalidValue::new(
                        "mismatch",
                        format!("the carrier account is for {}", record.carrier),
                    ),
                );
                None
            }
            Some(record) => Some(Booker::Account(Box::new(record))),
        },
    };
    let (mut draft, booker) = match (parsed, booker) {
        (Ok(draft), Some(booker)) if errs.is_empty() => (draft, booker),
        _ => return Err(errs.into()),
    };
    let mut allocation = None;
    let booked = match booker {
        Booker::Fleet => Booked {
            awb: fleet::issue_awb(state.store.as_ref(), tenant).await?,
            routing_code: None,
            carrier_account_id: None,
            carrier: fleet::CODE.to_string(),
            carrier_name: fleet::NAME.to_string(),
        },
        Booker::Account(record) => book_with(state, &record, &draft).await?,
        Booker::Allocate(strategy) => {
            let (mut chosen, records) =
                self::allocation::allocate(state, tenant, &draft, strategy).await?;
            if chosen.ranked.is_empty() {
                return Err(ApiError::field(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "allocation",
                    "no_candidate",
                    "no carrier account can take this shipment (add one, or relax the allocation rules)",
                ));
            }
            // Try in ranked order; a carrier that fails hands over to the next.
            let mut booked = None;
            let mut failures = Vec::new();
            for ranked in chosen.ranked.iter_mut() {
                let Some(record) = records.iter().find(|r| r.id == ranked.carrier_account_id)
                else {
                    continue;
                };
                match book_with(state, record, &draft).await {
                    Ok(b) => {
                        ranked.reasons.push("chosen".into());
                        booked = Some(b);
                        break;
                    }
                    Err(e) if e.status.is_server_error() || e.code.starts_with("carrier") => {
                        let why = e.detail.clone().unwrap_or_else(|| e.code.to_string());
                        ranked.reasons.push(format!("failed to book: {why}"));
                        failures.push(format!("{}: {why}", ranked.carrier));
                    }
                    Err(e) => return Err(e),
                }
            }
            allocation = Some(chosen);
            booked.ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::BAD_GATEWAY,
                    "carrier_unavailable",
                    format!("every allocated carrier failed: {}", failures.join("; ")),
                )
            })?
        }
    };
    draft.carrier = booked.carrier.clone();
    let Booked {
        awb,
        routing_code,
        carrier_account_id,
        carrier_name,
        ..
    } = booked;

    let at = now();
    let system_event = |status: ShipmentStatus, description: String| {
        ShipmentEvent::system(new_id("evt"), status, at, description, None)
    };
    let mut events = vec![
        system_event(ShipmentStatus::OrderPlaced, "Shipment created".into()),
        system_event(
            ShipmentStatus::Manifested,
            format!("AWB {awb} issued by {carrier_name}"),
        ),
    ];
    for (seq, e) in events.iter_mut().enumerate() {
        e.seq = seq as i64;
    }
    let state_now = Timeline::build(events.clone()).state;
    let promise = edd::promise_at_booking(
        state,
        tenant,
        &draft.pickup,
        &draft.consignee,
        &draft.carrier,
    )
    .await;
    let shipment = Shipment {
        id: new_id("shp"),
        tenant_id: tenant.id.clone(),
        order_reference: draft.order_reference,
        carrier: draft.carrier,
        carrier_account_id,
        awb,
        routing_code,
        allocation,
        carrier_facts: Default::default(),
        promise,
        pickup: draft.pickup,
        consignee: draft.consignee,
        return_address: draft.return_address,
        parcels: draft.parcels,
        payment_mode: draft.payment_mode,
        cod_amount: draft.cod_amount,
        declared_value: draft.declared_value,
        delivery: Default::default(),
        state: state_now,
        created_at: at,
        updated_at: at,
    };
    // `shipment.created` leaves in the same transaction as the shipment.
    let jobs = webhooks::events::on_create(&shipment, events.last());
    state
        .store
        .insert_shipment(&shipment, &events, &jobs)
        .await?;
    Ok(shipment)
}

/// What became of one posted scan.
pub enum ScanOutcome {
    /// Recorded and applied: the shipment's status follows it.
    Applied(Shipment),
    /// Recorded in the history, but the status rules did not let it move the
    /// shipment (e.g. `picked_up` after `delivered`).
    Ignored(Shipment),
    /// The same scan was already recorded.
    Duplicate(Shipment),
    NotFound,
}

pub async fn record_fleet_scan(
    state: &AppState,
    tenant: &Tenant,
    awb: &str,
    scan: fleet::Scan,
) -> Result<ScanOutcome, ApiError> {
    let Some(shipment) = state
        .store
        .shipment_by_awb(&tenant.id, fleet::CODE, awb)
        .await?
    else {
        return Ok(ScanOutcome::NotFound);
    };
    let event = scan.into_event(new_id("evt"), now());
    let recorded = state
        .store
        .record_events(&tenant.id, &shipment.id, &[event], &follow_up(state))
        .await?;
    Ok(if recorded.duplicates > 0 {
        ScanOutcome::Duplicate(recorded.shipment)
    } else if !recorded.not_applied.is_empty() {
        ScanOutcome::Ignored(recorded.shipment)
    } else {
        ScanOutcome::Applied(recorded.shipment)
    })
}

/// Rejects scan times more than this far in the future (clock skew allowance).
pub const MAX_CLOCK_SKEW: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

pub fn check_scan_time(
    at: jiff::Timestamp,
    errs: &mut ValidationErrors,
    field: String,
) -> Option<jiff::Timestamp> {
    if at > now() + MAX_CLOCK_SKEW {
        errs.push(
            field,
            InvalidValue::new("in_future", "must not be in the future"),
        );
        None
    } else {
        Some(at)
    }
}

/// The shipment's carrier adapter and opened account, if the carrier offers
/// `capability`; otherwise an `unsupported_operation` problem ("{carrier} {lacks}").
pub async fn carrier_for(
    state: &AppState,
    tenant_id: &str,
    account_id: &str,
    capability: shipgate_carriers::core::Capability,
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
        .carrier_account(tenant_id, account_id)
        .await?
        .ok_or_else(|| ApiError::internal(&"the shipment's carrier account is gone"))?;
    let adapter = adapter(&record.carrier).ok_or_else(|| ApiError::internal(&"unknown carrier"))?;
    if !adapter.capabilities().contains(&capability) {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "unsupported_operation",
            format!("{} {lacks}", adapter.name()),
        ));
    }
    Ok((adapter, carrier_accounts::open_account(state, &record)?))
}
