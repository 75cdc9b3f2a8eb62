//! Carrier pushes applied as they arrive, with group commit.
//!
//! The push endpoint authenticates and parses a push, resolves its AWBs and
//! hands it here; a committer task (one per process on SQLite, a few on
//! PostgreSQL) takes every push waiting (up to a bound), stores them raw and records their scans, events, projections and
//! webhook outbox rows in **one** write transaction, then lets each request
//! acknowledge. A push is acknowledged only once it is committed, so a
//! carrier never hears "stored" for something a crash could lose; and the
//! scans are applied without the job round trip (store, claim, read back,
//! parse again, finish) that pushes took before.
//!
//! If that transaction fails, each push of the batch is stored on its own
//! for the job worker to apply (the path before this one), so a bad push
//! cannot take the others down with it; only if that fails too is the
//! carrier told to retry.

use std::sync::{Arc, OnceLock};

use shipgate_storage::{CarrierPush, NewJob, PushStatus, ShipmentReport, Store, TenantReports};
use tokio::sync::{mpsc, oneshot};

use crate::AppState;
use crate::error::ApiError;

/// Most shipments one transaction records: SQLite's one writer is not held
/// so long that other writes (acknowledging bookings, say) wait long.
const MAX_SHIPMENTS_PER_COMMIT: usize = 500;
/// Pushes waiting before a new one waits for room (back-pressure).
const QUEUE: usize = 1024;
/// Transactions applying pushes at once on PostgreSQL (per process).
const POSTGRES_COMMITTERS: usize = 4;

struct Pending {
    push: CarrierPush,
    reports: Vec<ShipmentReport>,
    stored: oneshot::Sender<Result<(), ApiError>>,
}

/// The process's push applier; started on the first push.
#[derive(Default)]
pub struct PushIngest {
    queue: OnceLock<mpsc::Sender<Pending>>,
}

impl PushIngest {
    /// Stores `push` with its `reports` applied, together with whatever
    /// other pushes are waiting; returns once it is committed.
    pub async fn submit(
        &self,
        state: &AppState,
        push: CarrierPush,
        reports: Vec<ShipmentReport>,
    ) -> Result<(), ApiError> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            let rx = Arc::new(tokio::sync::Mutex::new(rx));
            let follow_up: FollowUp = Arc::new(super::follow_up(state));
            // SQLite has one writer: one committer. PostgreSQL runs writers
            // side by side (the recording locks shipments in id order), so
            // a few committers keep acknowledgements short.
            match state.store.backend() {
                shipgate_storage::Backend::Sqlite => {
                    spawn_writer_thread(run(state.store.clone(), follow_up, rx));
                }
                shipgate_storage::Backend::Postgres => {
                    for _ in 0..POSTGRES_COMMITTERS {
                        tokio::spawn(run(state.store.clone(), follow_up.clone(), rx.clone()));
                    }
                }
            }
            tx
        });
        let (stored, outcome) = oneshot::channel();
        let pending = Pending {
            push,
            reports,
            stored,
        };
        if let Err(mpsc::error::SendError(pending)) = queue.send(pending).await {
            // The applier is gone (shutting down): the job worker applies it.
            return store_for_worker(state.store.as_ref(), pending.push).await;
        }
        outcome
            .await
            .unwrap_or_else(|_| Err(ApiError::internal(&"the push applier stopped")))
    }
}

/// Runs SQLite's one committer on a thread of its own. The transaction is a
/// chain of statements, each run on SQLite's connection thread and each
/// followed by Rust work (binding, folding, webhook payloads) on this task:
/// on the shared runtime every hop back waited in line behind request
/// handlers, and the one writer sat idle half the time.
fn spawn_writer_thread(committer: impl std::future::Future<Output = ()> + Send + 'static) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let spawned = runtime.and_then(|runtime| {
        std::thread::Builder::new()
            .name("push-committer".into())
            .spawn(move || runtime.block_on(committer))
    });
    if let Err(e) = spawned {
        // The queue went with the committer: pushes go to the job worker.
        tracing::error!(error = %e, "the push committer thread did not start");
    }
}

type FollowUp =
    Arc<dyn Fn(&shipgate_storage::EventsRecorded) -> shipgate_storage::FollowUps + Send + Sync>;

async fn run(
    store: Arc<dyn Store>,
    follow_up: FollowUp,
    queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Pending>>>,
) {
    loop {
        // Take what is waiting, then let another committer take the next.
        let batch = {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            let mut shipments = first.reports.len();
            let mut batch = vec![first];
            while shipments < MAX_SHIPMENTS_PER_COMMIT {
                match queue.try_recv() {
                    Ok(next) => {
                        shipments += next.reports.len();
                        batch.push(next);
                    }
                    Err(_) => break,
                }
            }
            batch
        };
        commit(store.as_ref(), follow_up.as_ref(), batch).await;
    }
}

async fn commit(
    store: &dyn Store,
    follow_up: &(
         dyn Fn(&shipgate_storage::EventsRecorded) -> shipgate_storage::FollowUps + Send + Sync
     ),
    batch: Vec<Pending>,
) {
    let started = std::time::Instant::now();
    let mut pushes = Vec::with_capacity(batch.len());
    let mut groups: Vec<TenantReports> = Vec::new();
    let mut replies = Vec::with_capacity(batch.len());
    for pending in batch {
        let group = match groups
            .iter_mut()
            .position(|g| g.tenant_id == pending.push.tenant_id)
        {
            Some(i) => &mut groups[i],
            None => {
                groups.push(TenantReports {
                    tenant_id: pending.push.tenant_id.clone(),
                    reports: Vec::new(),
                });
                groups.last_mut().expect("just pushed")
            }
        };
        group.reports.extend(pending.reports);
        pushes.push(pending.push);
        replies.push(pending.stored);
    }
    match store
        .record_applied_pushes(&pushes, &groups, follow_up)
        .await
    {
        Ok(recorded) => {
            tracing::debug!(
                pushes = pushes.len(),
                shipments = recorded.len(),
                elapsed_us = started.elapsed().as_micros() as u64,
                "carrier pushes stored and applied"
            );
            for reply in replies {
                let _ = reply.send(Ok(()));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, pushes = pushes.len(), "applying pushes at once failed; storing each for the job worker");
            for (push, reply) in pushes.into_iter().zip(replies) {
                let _ = reply.send(store_for_worker(store, push).await);
            }
        }
    }
}

/// The push stored as received with the job that applies it.
async fn store_for_worker(store: &dyn Store, mut push: CarrierPush) -> Result<(), ApiError> {
    push.status = PushStatus::Received;
    let job = NewJob::now(
        super::tracking::APPLY_PUSH,
        Some(push.tenant_id.clone()),
        serde_json::json!({"push_id": push.id}),
    );
    store.insert_carrier_push(&push, &job).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_storage::{CarrierAccountRecord, new_id, now, testing};

    fn pending(push: CarrierPush) -> (Pending, oneshot::Receiver<Result<(), ApiError>>) {
        let (stored, outcome) = oneshot::channel();
        let pending = Pending {
            push,
            reports: Vec::new(),
            stored,
        };
        (pending, outcome)
    }

    #[tokio::test]
    async fn a_failed_batch_is_stored_push_by_push_for_the_job_worker() {
        let store = shipgate_storage::connect(&testing::fresh_database_url().await)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let tenant = store.create_tenant("Acme", "h", "p").await.unwrap();
        let account = CarrierAccountRecord {
            id: new_id("ca"),
            tenant_id: tenant.id.clone(),
            carrier: "delhivery".into(),
            name: "d".into(),
            base_url: None,
            sealed_credentials: "v1:opaque".into(),
            settings: serde_json::json!({}),
            created_at: now(),
            updated_at: now(),
        };
        let audit =
            crate::auth::ChangedBy::system().entry("carrier_account", "created", &account.id);
        store
            .insert_carrier_account(&account, &audit)
            .await
            .unwrap();
        let push = CarrierPush {
            id: new_id("push"),
            tenant_id: tenant.id.clone(),
            carrier_account_id: account.id.clone(),
            received_at: now(),
            headers: vec![],
            body: b"[]".to_vec(),
            status: PushStatus::Applied,
            error: None,
        };
        let other = CarrierPush {
            id: new_id("push"),
            ..push.clone()
        };
        // The same push twice fails the batch's transaction; apart, the
        // first and the other are stored, the repeat is refused.
        let (first, first_outcome) = pending(push.clone());
        let (repeat, repeat_outcome) = pending(push.clone());
        let (second, second_outcome) = pending(other.clone());
        let no_follow_up = |_: &shipgate_storage::EventsRecorded| shipgate_storage::FollowUps {
            jobs: vec![],
            webhooks: vec![],
        };
        commit(store.as_ref(), &no_follow_up, vec![first, repeat, second]).await;
        assert!(first_outcome.await.unwrap().is_ok());
        assert!(repeat_outcome.await.unwrap().is_err());
        assert!(second_outcome.await.unwrap().is_ok());
        for id in [&push.id, &other.id] {
            let stored = store.carrier_push(id).await.unwrap().unwrap();
            assert_eq!(stored.status, PushStatus::Received, "left for the worker");
        }
        let jobs = store
            .claim_jobs("w", 10, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(jobs.len(), 2);
        assert!(
            jobs.iter()
                .all(|j| j.kind == super::super::tracking::APPLY_PUSH)
        );
    }
}
