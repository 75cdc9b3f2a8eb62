//! Estimated delivery dates in the server: the learned model, kept fresh from
//! the `edd_observations` table and served from an immutable snapshot that is
//! swapped atomically, so lookups never wait on learning.
//!
//! Every process keeps its own model. Deliveries reach the table through the
//! [`LEARN`] job (queued in the same transaction as the delivered scan) and
//! through `shipgate edd import`; each process folds new rows in every few
//! seconds and rebuilds from scratch now and then (rebasing recency weights
//! and dropping nothing it has not already learned).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use jiff::Timestamp;
use shipgate_domain::ShipmentStatus;
use shipgate_edd::model::Context;
use shipgate_edd::{Model, ModelConfig, Observation, PostalScheme};
use shipgate_storage::{EddObservationRecord, EventsRecorded, NewJob, Store, StoreError};

use crate::AppState;

/// Job kind: record a delivered shipment for the model.
pub const LEARN: &str = "edd.learn";
/// Job kind: rebuild the model from all history in the process that runs it
/// (the others fold the same rows in incrementally and rebuild on their own
/// schedule); enqueued by `shipgate edd import`.
pub const REBUILD: &str = "edd.rebuild";
/// Rows read per refresh query.
const PAGE: u32 = 5_000;
/// Ids at most this far behind the newest seen are re-read: on PostgreSQL a
/// lower id can commit after a higher one.
const REREAD_WINDOW: i64 = 1_000;

/// The model context a server uses: India, Brazil and the US as built-in
/// postal schemes (others get the generic one when asked), with the given
/// default calendar.
pub fn default_context(calendar: shipgate_edd::Calendar) -> Context {
    Context::default()
        .with_scheme(PostalScheme::india())
        .with_scheme(PostalScheme::brazil())
        .with_scheme(PostalScheme::united_states())
        .with_default_calendar(calendar)
}

struct Learner {
    model: Model,
    /// Highest observation id folded in.
    watermark: i64,
    /// Ids folded in within the re-read window, oldest first.
    recent: VecDeque<i64>,
    recent_set: HashSet<i64>,
}

impl Learner {
    fn new(config: ModelConfig, context: Context) -> Self {
        Self {
            model: Model::new(config, context),
            watermark: 0,
            recent: VecDeque::new(),
            recent_set: HashSet::new(),
        }
    }

    fn fold(&mut self, rows: &[EddObservationRecord]) -> u64 {
        let mut learned = 0;
        for row in rows {
            if self.recent_set.contains(&row.id) {
                continue;
            }
            self.watermark = self.watermark.max(row.id);
            self.recent.push_back(row.id);
            self.recent_set.insert(row.id);
            match self.model.observe(&observation(row)) {
                Ok(()) => learned += 1,
                Err(e) => tracing::warn!(id = row.id, error = %e, "EDD: observation not learned"),
            }
        }
        while let Some(&oldest) = self.recent.front() {
            if oldest > self.watermark - REREAD_WINDOW {
                break;
            }
            self.recent.pop_front();
            self.recent_set.remove(&oldest);
        }
        learned
    }
}

fn observation(row: &EddObservationRecord) -> Observation {
    Observation {
        country: row.country.clone(),
        carrier: row.carrier.clone(),
        service: row.service.clone(),
        scope: row.scope.clone(),
        origin: row.origin.clone(),
        destination: row.destination.clone(),
        ordered_at: row.ordered_at,
        picked_up_at: row.picked_up_at,
        delivered_at: row.delivered_at,
    }
}

/// The server's model: one learner behind a lock, lookups on a snapshot.
pub struct EddEngine {
    config: ModelConfig,
    context: Context,
    learner: tokio::sync::Mutex<Learner>,
    snapshot: ArcSwap<Model>,
}

impl EddEngine {
    pub fn new(config: ModelConfig, context: Context) -> Self {
        let learner = Learner::new(config.clone(), context.clone());
        let snapshot = ArcSwap::from_pointee(learner.model.clone());
        Self {
            config,
            context,
            learner: tokio::sync::Mutex::new(learner),
            snapshot,
        }
    }

    /// The model lookups use now.
    pub fn model(&self) -> Arc<Model> {
        self.snapshot.load_full()
    }

    /// Folds in observations recorded since the last refresh and publishes the
    /// result. Returns how many were learned.
    pub async fn refresh(&self, store: &dyn Store) -> Result<u64, StoreError> {
        let mut learner = self.learner.lock().await;
        let learned = Self::catch_up(&mut learner, store).await?;
        if learned > 0 {
            self.snapshot.store(Arc::new(learner.model.clone()));
        }
        Ok(learned)
    }

    /// Learns everything again from an empty model, then swaps it in.
    pub async fn rebuild(&self, store: &dyn Store) -> Result<u64, StoreError> {
        let mut fresh = Learner::new(self.config.clone(), self.context.clone());
        Self::catch_up(&mut fresh, store).await?;
        let mut learner = self.learner.lock().await;
        // Rows that arrived during the rebuild.
        Self::catch_up(&mut fresh, store).await?;
        *learner = fresh;
        self.snapshot.store(Arc::new(learner.model.clone()));
        Ok(learner.model.observations())
    }

    async fn catch_up(learner: &mut Learner, store: &dyn Store) -> Result<u64, StoreError> {
        let mut learned = 0;
        let mut after = (learner.watermark - REREAD_WINDOW).max(0);
        loop {
            let rows = store.edd_observations_after(after, PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            learned += learner.fold(&rows);
            if rows.len() < PAGE as usize {
                break;
            }
        }
        Ok(learned)
    }
}

/// Keeps the model fresh until shutdown: new rows every few seconds, a full
/// rebuild every six hours.
pub async fn refresher(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let engine = state.edd.clone();
    if let Err(e) = engine.rebuild(state.store.as_ref()).await {
        tracing::error!(error = %e, "EDD: initial load failed");
    }
    let mut last_rebuild = std::time::Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
        let result = if last_rebuild.elapsed() > Duration::from_secs(6 * 3600) {
            last_rebuild = std::time::Instant::now();
            engine.rebuild(state.store.as_ref()).await
        } else {
            engine.refresh(state.store.as_ref()).await
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "EDD: refresh failed");
        }
    }
}

/// A [`LEARN`] job when this recording delivered the shipment.
pub fn follow_up(r: &EventsRecorded) -> Option<NewJob> {
    (r.shipment.state.status == ShipmentStatus::Delivered
        && r.previous.status != ShipmentStatus::Delivered)
        .then(|| {
            NewJob::now(
                LEARN,
                Some(r.shipment.tenant_id.clone()),
                serde_json::json!({"shipment_id": r.shipment.id}),
            )
        })
}

/// What a delivered shipment teaches the model; `None` when it turns out
/// not delivered (a later correction).
async fn delivered_observation(
    state: &AppState,
    tenant_id: &str,
    shipment_id: &str,
) -> Result<Option<EddObservationRecord>, String> {
    let store = state.store.as_ref();
    let shipment = store
        .shipment(tenant_id, shipment_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("shipment not found")?;
    let events = store
        .events(tenant_id, shipment_id)
        .await
        .map_err(|e| e.to_string())?;
    let applied = |status: ShipmentStatus| {
        events
            .iter()
            .filter(move |e| e.status == status)
            .map(|e| e.occurred_at)
    };
    let Some(delivered_at) = applied(ShipmentStatus::Delivered).min() else {
        return Ok(None);
    };
    let picked_up_at = applied(ShipmentStatus::PickedUp)
        .chain(applied(ShipmentStatus::InTransit))
        .min();
    let country = shipment.consignee.country.as_str().to_string();
    let scheme = state
        .edd
        .model()
        .context()
        .scheme(&country)
        .cloned()
        .unwrap_or_else(|_| PostalScheme::for_country(&country));
    let record = EddObservationRecord {
        id: 0,
        source: "shipment".into(),
        source_ref: shipment.id.clone(),
        tenant_id: Some(shipment.tenant_id.clone()),
        country,
        carrier: shipment.carrier.clone(),
        service: String::new(),
        scope: shipment.tenant_id.clone(),
        origin: shipment.pickup.postal_code.as_str().to_string(),
        destination: shipment.consignee.postal_code.as_str().to_string(),
        ordered_at: scheme.local_datetime(shipment.created_at),
        picked_up_at: picked_up_at.map(|t| scheme.local_datetime(t)),
        delivered_at: scheme.local_datetime(delivered_at),
        // On time means by what the shopper was promised; else by the carrier's word.
        promised_date: shipment
            .promise
            .as_ref()
            .map(|p| p.date)
            .or(shipment.carrier_facts.edd),
    };
    Ok(Some(record))
}

/// The worker's handler for [`LEARN`] jobs.
pub struct LearnJob(pub AppState);

#[async_trait::async_trait]
impl crate::worker::JobHandler for LearnJob {
    async fn run(&self, job: &shipgate_storage::Job) -> Result<(), String> {
        self.run_batch(std::slice::from_ref(job))
            .await
            .pop()
            .unwrap_or(Ok(()))
    }

    /// A claim's deliveries read a few at a time, their observations
    /// written in one transaction (one WAL flush on PostgreSQL, not one a
    /// job): one job at a time, a worker fell behind 100 deliveries a second
    /// under the mixed load on PostgreSQL. At most `LEARN_READS` reads at
    /// once, so the API's requests still find free connections.
    async fn run_batch(&self, jobs: &[shipgate_storage::Job]) -> Vec<Result<(), String>> {
        const LEARN_READS: usize = 4;
        // A read whose task panicked leaves its job failed (to be retried).
        let mut outcomes: Vec<Result<(), String>> =
            vec![Err("the read did not finish".to_string()); jobs.len()];
        let mut records = Vec::new();
        let mut recorded_by = Vec::new();
        let mut take = |joined: Result<
            (usize, Result<Option<EddObservationRecord>, String>),
            tokio::task::JoinError,
        >| {
            match joined {
                Ok((i, Ok(Some(record)))) => {
                    records.push(record);
                    recorded_by.push(i);
                    outcomes[i] = Ok(());
                }
                Ok((i, Ok(None))) => outcomes[i] = Ok(()),
                Ok((i, Err(e))) => outcomes[i] = Err(e),
                Err(e) => tracing::error!(error = %e, "edd.learn read task failed"),
            }
        };
        let mut reads = tokio::task::JoinSet::new();
        for (i, job) in jobs.iter().enumerate() {
            while reads.len() >= LEARN_READS {
                if let Some(joined) = reads.join_next().await {
                    take(joined);
                }
            }
            let (state, tenant_id, shipment_id) = (
                self.0.clone(),
                job.tenant_id.clone(),
                job.payload["shipment_id"].as_str().map(str::to_string),
            );
            reads.spawn(async move {
                let read = async {
                    let tenant_id = tenant_id.ok_or("job has no tenant")?;
                    let shipment_id = shipment_id.ok_or("payload has no shipment_id")?;
                    delivered_observation(&state, &tenant_id, &shipment_id).await
                };
                (i, read.await)
            });
        }
        while let Some(joined) = reads.join_next().await {
            take(joined);
        }
        if !records.is_empty()
            && let Err(e) = self.0.store.record_edd_observations(&records).await
        {
            for i in recorded_by {
                outcomes[i] = Err(e.to_string());
            }
        }
        outcomes
    }
}

/// The confidence of a promise when none is asked for (as `GET /v1/edd`).
pub const DEFAULT_CONFIDENCE: f64 = 0.9;

/// What the shopper saw for this lane and carrier as the order is booked:
/// the EDD at the default confidence from now. `None` when the lane has no
/// history (or the model cannot answer: the booking never fails for it).
pub async fn promise_at_booking(
    state: &AppState,
    tenant: &shipgate_storage::Tenant,
    pickup: &shipgate_domain::Address,
    consignee: &shipgate_domain::Address,
    carrier: &str,
) -> Option<shipgate_domain::shipment::DeliveryPromise> {
    let request = PromiseRequest {
        country: consignee.country.as_str().to_string(),
        origin: pickup.postal_code.as_str().to_string(),
        destinations: vec![consignee.postal_code.as_str().to_string()],
        carriers: Some(vec![carrier.to_string()]),
        ship_date: None,
        confidence: DEFAULT_CONFIDENCE,
    };
    let promises = match promise(state, tenant, &request).await {
        Ok(promises) => promises,
        Err(e) => {
            tracing::warn!(error = ?e.detail, "no promise at booking");
            return None;
        }
    };
    let estimate = promises.into_iter().next()?.estimates.into_iter().next()?;
    Some(shipgate_domain::shipment::DeliveryPromise {
        date: estimate.date,
        confidence_percent: (DEFAULT_CONFIDENCE * 100.0).round() as u8,
        handover: estimate.handover,
    })
}

/// A promise request, validated.
pub struct PromiseRequest {
    pub country: String,
    pub origin: String,
    pub destinations: Vec<String>,
    pub carriers: Option<Vec<String>>,
    pub ship_date: Option<jiff::civil::Date>,
    pub confidence: f64,
}

/// The answer for one destination: per carrier, earliest first; the best is
/// the first.
pub struct Promise {
    pub destination: String,
    pub estimates: Vec<shipgate_edd::Estimate>,
    /// Carriers asked about without any history to answer from.
    pub unknown: Vec<String>,
}

/// Promises for each destination from every carrier asked about (default:
/// the tenant's carriers), at the requested confidence.
pub async fn promise(
    state: &AppState,
    tenant: &shipgate_storage::Tenant,
    request: &PromiseRequest,
) -> Result<Vec<Promise>, crate::error::ApiError> {
    let coverage;
    let carriers: &[String] = match &request.carriers {
        Some(carriers) => carriers,
        None => {
            coverage = state.serviceability_coverage.get(state, tenant).await?;
            &coverage.carriers
        }
    };
    let model = state.edd.model();
    let scheme = model
        .context()
        .scheme(&request.country)
        .map_err(|e| crate::error::ApiError::internal(&e))?;
    let start = match request.ship_date {
        // A future ship date: the order is ready that morning.
        Some(date) => shipgate_edd::Start::Order(date.at(0, 0, 0, 0)),
        None => shipgate_edd::Start::Order(scheme.local_datetime(Timestamp::now())),
    };
    let mut out = Vec::with_capacity(request.destinations.len());
    for destination in &request.destinations {
        let mut promise = Promise {
            destination: destination.clone(),
            estimates: Vec::with_capacity(carriers.len()),
            unknown: Vec::new(),
        };
        let query = shipgate_edd::Query {
            country: &request.country,
            carrier: "",
            service: "",
            scope: &tenant.id,
            origin: &request.origin,
            destination,
            start,
            confidence: request.confidence,
        };
        let names: Vec<&str> = carriers.iter().map(String::as_str).collect();
        let answers = model
            .estimate_carriers(&query, &names)
            .map_err(|e| crate::error::ApiError::internal(&e))?;
        for (carrier, answer) in carriers.iter().zip(answers) {
            match answer {
                Some(estimate) => promise.estimates.push(estimate),
                None => promise.unknown.push(carrier.clone()),
            }
        }
        promise
            .estimates
            .sort_by(|a, b| (a.date, a.p50, &a.carrier).cmp(&(b.date, b.p50, &b.carrier)));
        out.push(promise);
    }
    Ok(out)
}

/// The worker's handler for [`REBUILD`] jobs.
pub struct RebuildJob(pub AppState);

#[async_trait::async_trait]
impl crate::worker::JobHandler for RebuildJob {
    async fn run(&self, _job: &shipgate_storage::Job) -> Result<(), String> {
        let learned = self
            .0
            .edd
            .rebuild(self.0.store.as_ref())
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(learned, "EDD model rebuilt");
        Ok(())
    }
}
