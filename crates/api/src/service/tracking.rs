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
use shipgate_storage::{
    CarrierAccountRecord, PushStatus, ShipmentReport, UnknownCode, new_id, now,
};

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
    /// Shipments that got new events (the store has set their next poll).
    pub changed: std::collections::HashSet<String>,
}

/// Records what a carrier reported for shipments booked through `account`:
/// the shipments looked up in one query, every scan, fact and follow-up
/// written in one transaction.
pub async fn apply(
    state: &AppState,
    account: &CarrierAccountRecord,
    tracked: &[TrackedShipment],
    source: EventSource,
) -> Result<Applied, ApiError> {
    let (batch, mut applied) = reports(state, account, tracked, source).await?;
    // One transaction for the whole push or tracking answer.
    let recorded = state
        .store
        .record_events_batch(&account.tenant_id, &batch, &super::follow_up(state))
        .await?;
    for r in recorded {
        if !r.inserted.is_empty() {
            applied.changed.insert(r.shipment.id.clone());
        }
        applied.events += r.inserted.len();
        applied.duplicates += r.duplicates;
    }
    Ok(applied)
}

/// What a carrier reported, as reports on the tenant's shipments to record
/// (AWBs resolved in one query; unknown codes flagged for review), and the
/// count of what was left out.
pub async fn reports(
    state: &AppState,
    account: &CarrierAccountRecord,
    tracked: &[TrackedShipment],
    source: EventSource,
) -> Result<(Vec<ShipmentReport>, Applied), ApiError> {
    let mut applied = Applied::default();
    let actor = format!("carrier_account:{}", account.id);
    let awbs: Vec<String> = tracked.iter().map(|t| t.awb.clone()).collect();
    let ids: std::collections::HashMap<String, String> = state
        .store
        .shipment_ids_by_awbs(&account.tenant_id, &account.carrier, &awbs)
        .await?
        .into_iter()
        .collect();
    let mut batch = Vec::with_capacity(tracked.len());
    for shipment in tracked {
        let Some(shipment_id) = ids.get(&shipment.awb) else {
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
        let facts = shipgate_domain::shipment::CarrierFacts {
            edd: shipment.carrier_edd,
            attempts: shipment.attempts,
            proof_of_delivery: shipment.received_by.clone(),
        };
        if !events.is_empty() || facts != Default::default() {
            batch.push(ShipmentReport {
                shipment_id: shipment_id.clone(),
                events,
                facts,
            });
        }
    }
    Ok((batch, applied))
}

/// Applies a push stored by the webhook endpoint (run by the job worker).
pub async fn apply_push(state: &AppState, push_id: &str) -> Result<(), String> {
    apply_pushes(state, &[push_id.to_string()]).await
}

/// Applies stored pushes together: each account's scans from all of them in
/// one transaction (the worker hands over the pushes it claimed at once).
/// Pushes applied or failed before are left alone; one that no longer parses
/// is kept, failed, for review.
pub async fn apply_pushes(state: &AppState, push_ids: &[String]) -> Result<(), String> {
    let started = std::time::Instant::now();
    let mut by_account: std::collections::BTreeMap<String, Vec<shipgate_storage::CarrierPush>> =
        Default::default();
    let pushes = state
        .store
        .carrier_pushes(push_ids)
        .await
        .map_err(|e| e.to_string())?;
    if pushes.len() < push_ids.len() {
        return Err("the push is gone".into());
    }
    for push in pushes {
        if push.status == PushStatus::Received {
            by_account
                .entry(push.carrier_account_id.clone())
                .or_default()
                .push(push);
        }
    }
    for (account_id, mut pushes) in by_account {
        let account = state
            .store
            .carrier_account_by_id(&account_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the carrier account is gone")?;
        let adapter = adapter(&account.carrier).ok_or("no adapter for the account's carrier")?;
        // In the order they arrived (the fold orders scans by time anyway).
        pushes.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
        let mut parsed = Vec::with_capacity(pushes.len());
        for push in &pushes {
            match adapter.parse_push(&push.body) {
                Ok(shipments) => parsed.push((push.id.clone(), shipments)),
                // Checked when received, so only a changed adapter gets here; keep it for review.
                Err(e) => state
                    .store
                    .finish_carrier_push(&push.id, PushStatus::Failed, Some(&e.to_string()))
                    .await
                    .map_err(|e| e.to_string())?,
            }
        }
        // Transactions of a bounded size: SQLite's one writer is not held so
        // long that acknowledging new pushes waits for it.
        let mut parsed = parsed.into_iter().peekable();
        while parsed.peek().is_some() {
            let mut ids = Vec::new();
            let mut tracked = Vec::new();
            while let Some((_, shipments)) = parsed.peek()
                && (tracked.is_empty()
                    || tracked.len() + shipments.len() <= MAX_SHIPMENTS_PER_APPLY)
            {
                let (id, shipments) = parsed.next().expect("peeked");
                ids.push(id);
                tracked.extend(shipments);
            }
            apply_tracked(state, &account, &ids, &tracked, started).await?;
        }
    }
    Ok(())
}

/// Most tracked shipments (from as many pushes as fit) applied in one transaction.
const MAX_SHIPMENTS_PER_APPLY: usize = 500;

/// Applies the shipments of the pushes `ids` and marks those applied.
async fn apply_tracked(
    state: &AppState,
    account: &CarrierAccountRecord,
    ids: &[String],
    tracked: &[TrackedShipment],
    started: std::time::Instant,
) -> Result<(), String> {
    let loaded = started.elapsed();
    let applied = apply(state, account, tracked, EventSource::CarrierPush)
        .await
        .map_err(|e| e.detail.unwrap_or_default())?;
    let recorded = started.elapsed();
    state
        .store
        .finish_carrier_pushes(ids, PushStatus::Applied)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        account = %account.id,
        pushes = ids.len(),
        events = applied.events,
        duplicates = applied.duplicates,
        unknown = applied.unknown_codes,
        unmatched = applied.unmatched,
        timing_us = ?[loaded, recorded - loaded, started.elapsed() - recorded].map(|d| d.as_micros()),
        "carrier pushes applied (timing: since claimed, applying, finishing)"
    );
    Ok(())
}

fn push_id(job: &shipgate_storage::Job) -> Result<&str, String> {
    job.payload
        .get("push_id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| "job has no push_id".to_string())
}

/// The worker's handler for [`APPLY_PUSH`] jobs.
pub struct ApplyPushJob(pub AppState);

#[async_trait::async_trait]
impl crate::worker::JobHandler for ApplyPushJob {
    async fn run(&self, job: &shipgate_storage::Job) -> Result<(), String> {
        apply_push(&self.0, push_id(job)?).await
    }

    /// The claimed pushes in one go; if that fails, each on its own, so one
    /// bad push cannot hold the others back.
    async fn run_batch(&self, jobs: &[shipgate_storage::Job]) -> Vec<Result<(), String>> {
        let ids: Result<Vec<String>, String> = jobs
            .iter()
            .map(|j| push_id(j).map(str::to_string))
            .collect();
        if let Ok(ids) = ids
            && apply_pushes(&self.0, &ids).await.is_ok()
        {
            return jobs.iter().map(|_| Ok(())).collect();
        }
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            outcomes.push(self.run(job).await);
        }
        outcomes
    }
}

/// Job kind that polls one carrier account for a batch of shipments.
pub const POLL: &str = "tracking.poll";

/// How long a claimed poll is held before another process may take it.
const POLL_LEASE: std::time::Duration = std::time::Duration::from_secs(600);

/// Claims shipments due for a poll and enqueues one poll job per carrier
/// account and tracking batch. Every Shipgate process runs this on a timer;
/// the claim hands each shipment to one of them.
pub async fn enqueue_due_polls(
    state: &AppState,
    limit: u32,
) -> Result<usize, shipgate_storage::StoreError> {
    let due = state.store.claim_due_polls(limit, POLL_LEASE).await?;
    let mut by_account: std::collections::BTreeMap<&str, Vec<&shipgate_storage::DuePoll>> =
        Default::default();
    for poll in &due {
        by_account
            .entry(poll.carrier_account_id.as_str())
            .or_default()
            .push(poll);
    }
    let mut jobs = 0;
    for (account_id, polls) in by_account {
        let batch = state
            .store
            .carrier_account_by_id(account_id)
            .await?
            .and_then(|a| adapter(&a.carrier))
            .map_or(1, |a| a.max_track_batch().max(1));
        for chunk in polls.chunks(batch) {
            let shipments: Vec<_> = chunk
                .iter()
                .map(|p| serde_json::json!({"id": p.shipment_id, "awb": p.awb, "status": p.status}))
                .collect();
            let payload =
                serde_json::json!({"carrier_account_id": account_id, "shipments": shipments});
            state
                .store
                .enqueue_job(&shipgate_storage::NewJob::now(
                    POLL,
                    Some(chunk[0].tenant_id.clone()),
                    payload,
                ))
                .await?;
            jobs += 1;
        }
    }
    Ok(jobs)
}

/// Runs one poll job: asks the carrier about the batch, records what it
/// says, and schedules each shipment's next poll from its new status.
pub async fn poll(state: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let account_id = payload
        .get("carrier_account_id")
        .and_then(|v| v.as_str())
        .ok_or("job has no carrier_account_id")?;
    let shipments: Vec<(String, String, Option<shipgate_domain::ShipmentStatus>)> = payload
        .get("shipments")
        .and_then(|v| v.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|s| {
                    Some((
                        s.get("id")?.as_str()?.to_string(),
                        s.get("awb")?.as_str()?.to_string(),
                        s.get("status")
                            .and_then(|v| v.as_str())
                            .and_then(|v| v.parse().ok()),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(record) = state
        .store
        .carrier_account_by_id(account_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let adapter = adapter(&record.carrier).ok_or("no adapter for the account's carrier")?;
    let account = crate::service::carrier_accounts::open_account(state, &record)
        .map_err(|e| e.detail.unwrap_or_default())?;
    let awbs: Vec<String> = shipments.iter().map(|(_, awb, _)| awb.clone()).collect();
    // A failure (carrier down, rate limit) fails the job, which the worker
    // retries with backoff; the shipments' lease keeps other processes off.
    let tracked = state
        .carrier_client
        .track(adapter, &account, &awbs)
        .await
        .map_err(|e| e.to_string())?;
    let applied = apply(state, &record, &tracked, EventSource::CarrierPull)
        .await
        .map_err(|e| e.detail.unwrap_or_default())?;
    tracing::debug!(
        account = account_id,
        shipments = awbs.len(),
        events = applied.events,
        "polled carrier"
    );
    // Shipments with new events were rescheduled by the store from their new
    // status; the rest keep the status they were claimed in.
    for (id, _, status) in shipments
        .iter()
        .filter(|(id, ..)| !applied.changed.contains(id))
    {
        // A job queued before statuses were carried polls again on the in-transit schedule.
        let status = status.unwrap_or(shipgate_domain::ShipmentStatus::InTransit);
        let next = shipgate_domain::lifecycle::poll_interval(status).map(|d| now() + d);
        state
            .store
            .schedule_poll(id, next)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The worker's handler for [`POLL`] jobs.
pub struct PollJob(pub AppState);

#[async_trait::async_trait]
impl crate::worker::JobHandler for PollJob {
    async fn run(&self, job: &shipgate_storage::Job) -> Result<(), String> {
        poll(&self.0, &job.payload).await
    }
}
