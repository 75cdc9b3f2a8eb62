//! Carrier scans into shipment histories, from pushes and pulls alike.
//!
//! Every scan becomes an event that keeps the carrier's raw code and text;
//! duplicates (same code at the same instant) are dropped by the store, and
//! the fold keeps late or repeated scans from moving a shipment backwards. A
//! code the carrier's table does not know is flagged for review, never
//! dropped silently: the raw push stays stored too.

use shipgate_carriers::adapter;
use shipgate_carriers::core::{CarrierScan, TrackedShipment};
use shipgate_domain::{EventSource, ShipmentEvent};
use shipgate_storage::{CarrierAccountRecord, PushStatus, UnknownCode, new_id, now};

use crate::AppState;
use crate::error::ApiError;

/// Job kind that applies a stored carrier push.
pub const APPLY_PUSH: &str = "carrier_push.apply";

fn to_event(scan: &CarrierScan, source: EventSource, actor: &str) -> Option<ShipmentEvent> {
    Some(ShipmentEvent {
        id: new_id("evt"),
        seq: 0,
        status: scan.status?,
        occurred_at: scan.occurred_at,
        recorded_at: now(),
        source,
        carrier_code: Some(scan.code.clone()),
        description: Some(scan.description.clone()).filter(|d| !d.is_empty()),
        location: scan.location.clone(),
        ndr_reason: scan.ndr_reason,
        actor: Some(actor.to_string()),
    })
}

/// What applying a batch of tracked shipments did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub events: usize,
    pub duplicates: usize,
    pub unknown_codes: usize,
    /// AWBs this account has no shipment for.
    pub unmatched: usize,
}

/// Records what a carrier reported for shipments booked through `account`.
pub async fn apply(
    state: &AppState,
    account: &CarrierAccountRecord,
    tracked: &[TrackedShipment],
    source: EventSource,
) -> Result<Applied, ApiError> {
    let mut applied = Applied::default();
    let actor = format!("carrier_account:{}", account.id);
    for shipment in tracked {
        let Some(stored) = state
            .store
            .shipment_by_awb(&account.tenant_id, &account.carrier, &shipment.awb)
            .await?
        else {
            applied.unmatched += 1;
            continue;
        };
        let mut events = Vec::with_capacity(shipment.scans.len());
        for scan in &shipment.scans {
            match to_event(scan, source, &actor) {
                Some(event) => events.push(event),
                None => {
                    applied.unknown_codes += 1;
                    tracing::warn!(carrier = %account.carrier, code = %scan.code, awb = %shipment.awb, "unknown carrier status code");
                    let code = UnknownCode {
                        carrier: account.carrier.clone(),
                        code: scan.code.clone(),
                        description: scan.description.clone(),
                        example_awb: shipment.awb.clone(),
                        seen_count: 1,
                    };
                    state
                        .store
                        .flag_unknown_code(&account.tenant_id, &code)
                        .await?;
                }
            }
        }
        if events.is_empty() {
            continue;
        }
        let recorded = state
            .store
            .record_events(
                &account.tenant_id,
                &stored.id,
                &events,
                &super::webhooks::events::follow_up,
            )
            .await?;
        applied.events += recorded.inserted.len();
        applied.duplicates += recorded.duplicates;
    }
    Ok(applied)
}

/// Applies a push stored by the webhook endpoint (run by the job worker).
pub async fn apply_push(state: &AppState, push_id: &str) -> Result<(), String> {
    let push = state
        .store
        .carrier_push(push_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the push is gone")?;
    if push.status != PushStatus::Received {
        return Ok(());
    }
    let account = state
        .store
        .carrier_account_by_id(&push.carrier_account_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the carrier account is gone")?;
    let adapter = adapter(&account.carrier).ok_or("no adapter for the account's carrier")?;
    let tracked = match adapter.parse_push(&push.body) {
        Ok(tracked) => tracked,
        Err(e) => {
            // Checked when received, so only a changed adapter gets here; keep it for review.
            state
                .store
                .finish_carrier_push(push_id, PushStatus::Failed, Some(&e.to_string()))
                .await
                .map_err(|e| e.to_string())?;
            return Ok(());
        }
    };
    let applied = apply(state, &account, &tracked, EventSource::CarrierPush)
        .await
        .map_err(|e| e.detail.unwrap_or_default())?;
    tracing::info!(
        push = push_id,
        events = applied.events,
        duplicates = applied.duplicates,
        unknown = applied.unknown_codes,
        unmatched = applied.unmatched,
        "carrier push applied"
    );
    state
        .store
        .finish_carrier_push(push_id, PushStatus::Applied, None)
        .await
        .map_err(|e| e.to_string())
}

/// The worker's handler for [`APPLY_PUSH`] jobs.
pub struct ApplyPushJob(pub AppState);

#[async_trait::async_trait]
impl crate::worker::JobHandler for ApplyPushJob {
    async fn run(&self, job: &shipgate_storage::Job) -> Result<(), String> {
        let push_id = job
            .payload
            .get("push_id")
            .and_then(|v| v.as_str())
            .ok_or("job has no push_id")?;
        apply_push(&self.0, push_id).await
    }
}
