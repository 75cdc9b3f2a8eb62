//! The job runner: claims due jobs from the store with a lease, runs the
//! handler registered for each kind, and completes or reschedules it. Any
//! number of processes may run it against one PostgreSQL database; the
//! store's claim guarantees no job runs in two places at once. Beside the
//! jobs it runs sweeps: work claimed in batches of its own (the webhook
//! outbox), in a loop of their own so neither waits for the other.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use shipgate_storage::{Job, Store};
use tokio::sync::watch;

#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn run(&self, job: &Job) -> Result<(), String>;

    /// Runs several claimed jobs of this kind, returning each one's outcome
    /// in order; one by one unless the kind does better together.
    async fn run_batch(&self, jobs: &[Job]) -> Vec<Result<(), String>> {
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            outcomes.push(self.run(job).await);
        }
        outcomes
    }
}

/// Work a worker claims in batches of its own rather than as jobs.
#[async_trait]
pub trait Sweep: Send + Sync + 'static {
    /// Does one batch for `worker`; returns how much it did (0: nothing due).
    async fn run_once(&self, worker: &str) -> Result<usize, shipgate_storage::StoreError>;
}

/// How long a claim on a job holds unless configured otherwise.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// Most jobs a worker claims at once.
const CLAIM_BATCH: u32 = 32;

pub struct Worker {
    store: Arc<dyn Store>,
    name: String,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    sweeps: Vec<Arc<dyn Sweep>>,
    lease: Duration,
    idle_pause: Duration,
}

/// Exponential backoff from 5 s, capped at an hour, with up to 25% jitter so
/// retries of a batch that failed together spread out.
pub fn retry_delay(attempts: u32) -> SignedDuration {
    let base = 5u64.saturating_mul(1 << attempts.min(12)).min(3600);
    let jitter = rand::random::<u64>() % (base / 4 + 1);
    SignedDuration::from_secs((base + jitter) as i64)
}

impl Worker {
    pub fn new(store: Arc<dyn Store>, name: impl Into<String>) -> Self {
        Self {
            store,
            name: name.into(),
            handlers: HashMap::new(),
            sweeps: Vec::new(),
            lease: DEFAULT_LEASE,
            idle_pause: Duration::from_millis(500),
        }
    }

    pub fn register(mut self, kind: &str, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(kind.to_string(), handler);
        self
    }

    pub fn sweep(mut self, sweep: Arc<dyn Sweep>) -> Self {
        self.sweeps.push(sweep);
        self
    }

    /// The same worker without its sweeps: it runs jobs only and leaves the
    /// webhook outbox to other workers (e.g. to keep delivery off the
    /// processes that apply carrier pushes).
    pub fn without_sweeps(mut self) -> Self {
        self.sweeps.clear();
        self
    }

    /// Runs every sweep once; returns how much they did.
    pub async fn run_sweeps(&self) -> Result<usize, shipgate_storage::StoreError> {
        let mut done = 0;
        for sweep in &self.sweeps {
            done += sweep.run_once(&self.name).await?;
        }
        Ok(done)
    }

    /// How long a claim holds: after it, a job whose worker died (or is
    /// still running it) may be claimed by another worker.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    pub fn with_idle_pause(mut self, pause: Duration) -> Self {
        self.idle_pause = pause;
        self
    }

    /// Claims and runs one batch; returns how many jobs it ran.
    pub async fn run_once(&self) -> Result<usize, shipgate_storage::StoreError> {
        let jobs = self
            .store
            .claim_jobs(&self.name, CLAIM_BATCH, self.lease)
            .await?;
        // Each kind's jobs together (in the order claimed), so a kind that
        // does better in batches (carrier pushes) gets them at once.
        let mut kinds: Vec<&str> = Vec::new();
        for job in &jobs {
            if !kinds.contains(&job.kind.as_str()) {
                kinds.push(&job.kind);
            }
        }
        let mut finished = Vec::with_capacity(jobs.len());
        for kind in kinds {
            let batch: Vec<Job> = jobs.iter().filter(|j| j.kind == kind).cloned().collect();
            let outcomes = match self.handlers.get(kind) {
                Some(handler) => handler.run_batch(&batch).await,
                // A newer Shipgate process may know this kind; leave it for one.
                None => vec![
                    Err(format!("no handler for job kind `{kind}` in this process"));
                    batch.len()
                ],
            };
            finished.extend(batch.into_iter().zip(outcomes));
        }
        let done: Vec<String> = finished
            .iter()
            .filter(|(_, outcome)| outcome.is_ok())
            .map(|(job, _)| job.id.clone())
            .collect();
        if !done.is_empty() {
            let completed = self.store.complete_jobs(&done, &self.name).await?;
            for id in done.iter().filter(|id| !completed.contains(id)) {
                tracing::warn!(job = %id, "job finished after its lease ran out");
            }
        }
        for (job, outcome) in &finished {
            match outcome {
                Ok(()) => {}
                Err(error) => {
                    let retry_at = Timestamp::now() + retry_delay(job.attempts);
                    tracing::warn!(job = %job.id, kind = %job.kind, attempts = job.attempts, error = %shipgate_domain::redact::text(error), "job failed");
                    self.store
                        .fail_job(&job.id, &self.name, error, retry_at)
                        .await?;
                }
            }
        }
        Ok(jobs.len())
    }

    /// Runs jobs and sweeps, each in its own loop, until `shutdown` turns
    /// true. A worker without handlers claims no jobs (it would only fail
    /// them): it runs its sweeps alone.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let sweeps = async {
            if !self.sweeps.is_empty() {
                self.keep_running(shutdown.clone(), || self.run_sweeps())
                    .await;
            }
        };
        let jobs = async {
            if !self.handlers.is_empty() {
                self.keep_running(shutdown.clone(), || self.run_once())
                    .await;
            }
        };
        tokio::join!(jobs, sweeps);
    }

    async fn keep_running<F, Fut>(&self, mut shutdown: watch::Receiver<bool>, step: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<usize, shipgate_storage::StoreError>>,
    {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pause = match step().await {
                Ok(0) => self.idle_pause,
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::error!(error = %e, "job worker: store error");
                    self.idle_pause * 4
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_storage::{JobStatus, NewJob, testing};
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Count(AtomicUsize, bool);

    #[async_trait]
    impl JobHandler for Count {
        async fn run(&self, _job: &Job) -> Result<(), String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            if self.1 {
                Err("carrier said no".into())
            } else {
                Ok(())
            }
        }
    }

    #[tokio::test]
    async fn runs_completes_and_reschedules() {
        let store = testing::fresh_store().await;
        let ok = Arc::new(Count(AtomicUsize::new(0), false));
        let failing = Arc::new(Count(AtomicUsize::new(0), true));
        let worker = Worker::new(store.clone(), "w")
            .register("ok", ok.clone())
            .register("fails", failing.clone());
        let done = store
            .enqueue_job(&NewJob::now("ok", None, serde_json::json!({})))
            .await
            .unwrap();
        let retried = store
            .enqueue_job(&NewJob::now("fails", None, serde_json::json!({})))
            .await
            .unwrap();
        let orphan = store
            .enqueue_job(&NewJob::now("unknown", None, serde_json::json!({})))
            .await
            .unwrap();
        assert_eq!(worker.run_once().await.unwrap(), 3);
        assert_eq!(
            worker.run_once().await.unwrap(),
            0,
            "failed jobs wait for their retry time"
        );
        assert_eq!(ok.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            store.job(&done).await.unwrap().unwrap().status,
            JobStatus::Done
        );
        let retried = store.job(&retried).await.unwrap().unwrap();
        assert_eq!(
            (retried.status, retried.last_error.as_deref()),
            (JobStatus::Pending, Some("carrier said no"))
        );
        assert!(retried.run_at > Timestamp::now() + SignedDuration::from_secs(5));
        assert_eq!(
            store.job(&orphan).await.unwrap().unwrap().status,
            JobStatus::Pending
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(retry_delay(1).as_secs() >= 10 && retry_delay(1).as_secs() <= 13);
        assert!(retry_delay(30).as_secs() <= 4500);
        assert!(retry_delay(30).as_secs() >= 3600);
    }
}
