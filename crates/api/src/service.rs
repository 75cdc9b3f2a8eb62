//! What the API does, apart from HTTP: handlers parse and respond; the work
//! happens here.

use shipgate_carriers::{Context, fleet};
use shipgate_domain::shipment::{NewShipmentInput, ShipmentDraft};
use shipgate_domain::validation::{InvalidValue, ValidationErrors};
use shipgate_domain::{EventSource, Shipment, ShipmentEvent, ShipmentStatus, Timeline};
use shipgate_storage::{EventsRecorded, NewJob, Tenant, new_id, now};

use crate::AppState;
use crate::error::ApiError;

/// Validates, books at the carrier (which issues the AWB) and stores the
/// shipment with its first events.
pub async fn create_shipment(
    state: &AppState,
    tenant: &Tenant,
    input: &NewShipmentInput,
) -> Result<Shipment, ApiError> {
    let draft = ShipmentDraft::parse(input);
    let carrier = state.carriers.get(input.carrier.trim());
    let draft = match (draft, carrier) {
        (Ok(draft), Some(_)) => draft,
        (result, carrier) => {
            let mut errs = result.err().unwrap_or_default();
            if carrier.is_none() {
                let known = state.carriers.codes().join(", ");
                errs.push(
                    "carrier",
                    InvalidValue::new(
                        "unsupported_carrier",
                        format!("unknown carrier; use one of: {known}"),
                    ),
                );
            }
            return Err(errs.into());
        }
    };
    let carrier = state
        .carriers
        .get(&draft.carrier)
        .ok_or_else(|| ApiError::internal(&"carrier vanished"))?;
    let booking = carrier
        .book(
            &Context {
                tenant,
                store: state.store.as_ref(),
            },
            &draft,
        )
        .await?;

    let at = now();
    let system_event = |status: ShipmentStatus, description: String| ShipmentEvent {
        id: new_id("evt"),
        seq: 0,
        status,
        occurred_at: at,
        recorded_at: at,
        source: EventSource::System,
        carrier_code: None,
        description: Some(description),
        location: None,
        ndr_reason: None,
        actor: None,
    };
    let mut events = vec![
        system_event(ShipmentStatus::OrderPlaced, "Shipment created".into()),
        system_event(
            ShipmentStatus::Manifested,
            format!("AWB {} issued by {}", booking.awb, carrier.name()),
        ),
    ];
    for (seq, e) in events.iter_mut().enumerate() {
        e.seq = seq as i64;
    }
    let state_now = Timeline::build(events.clone()).state;
    let shipment = Shipment {
        id: new_id("shp"),
        tenant_id: tenant.id.clone(),
        order_reference: draft.order_reference,
        carrier: draft.carrier,
        awb: booking.awb,
        pickup: draft.pickup,
        consignee: draft.consignee,
        return_address: draft.return_address,
        parcels: draft.parcels,
        payment_mode: draft.payment_mode,
        cod_amount: draft.cod_amount,
        declared_value: draft.declared_value,
        state: state_now,
        created_at: at,
        updated_at: at,
    };
    state.store.insert_shipment(&shipment, &events, &[]).await?;
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

/// Jobs a recording calls for; none yet (merchant webhooks will subscribe here).
fn no_follow_up(_: &EventsRecorded) -> Vec<NewJob> {
    Vec::new()
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
        .record_events(&tenant.id, &shipment.id, &[event], &no_follow_up)
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
