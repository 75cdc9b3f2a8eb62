//! SQLite: the default store, one file beside the binary, in WAL mode.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::shared::{
    busiest_lanes_sql, claim_jobs_sql, claim_polls_sql, claim_webhook_messages_sql, impl_store,
    take_pool_awb_sql,
};
use crate::{Backend, Result};

pub struct SqliteStore {
    /// Readers: WAL lets them run alongside the writer.
    pool: SqlitePool,
    /// The one writer connection: SQLite serializes writers anyway, and
    /// queueing them here (in order, without sleeping) beats its busy
    /// handler's back-off, which put 100 ms sleeps into tail latency.
    writer: SqlitePool,
    /// Stops the background checkpoint when the store goes.
    _checkpoint: Option<tokio::sync::oneshot::Sender<()>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file at `path`.
    pub async fn open(path: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL makes NORMAL durable against application crashes; only an OS
            // crash can lose the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await?;
        // The writer does not copy the log back into the database file as
        // it commits (SQLite's default, every 1,000 pages: the committing
        // connection then waits for the copy and its fsync); a reader does
        // it alongside (`checkpoint_in_background`). Far past the usual
        // size the writer still does it itself, so the log stays bounded
        // even when readers never let the background copy finish.
        // Its statement journals (what a failing statement inside a
        // transaction rolls back to) stay in memory: past 64 KiB SQLite
        // spills them to a temporary file, and the big multi-row statements
        // of a push's recording wrote a sixth of their pages there.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                options
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES.to_string())
                    .pragma("temp_store", "memory"),
            )
            .await?;
        let checkpoint = checkpoint_in_background(pool.clone());
        Ok(Self {
            pool,
            writer,
            _checkpoint: checkpoint,
        })
    }

    async fn run_migrations(&self) -> Result<()> {
        // A data migration may rewrite a whole table in one statement: its
        // statement journal spills to a file as SQLite's default has it,
        // rather than holding the table's old pages in memory. (The writer
        // pool's one connection runs the migrations.)
        sqlx::query("PRAGMA temp_store = DEFAULT")
            .execute(&self.writer)
            .await?;
        let migrated = sqlx::migrate!("./migrations/sqlite")
            .run(&self.writer)
            .await;
        let restored = sqlx::query("PRAGMA temp_store = MEMORY")
            .execute(&self.writer)
            .await;
        // A failed migration is the error to report, whatever came after.
        migrated?;
        restored?;
        Ok(())
    }

    /// Takes the write lock at BEGIN so concurrent writers wait their turn
    /// (busy_timeout) instead of failing when a read lock cannot be upgraded.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Generated multi-row statements with anonymous `?` placeholders:
    /// binding a numbered one makes SQLite look its name up in a list
    /// (sqlx binds by name), which is quadratic in the statement's
    /// placeholders. The statements number theirs in the order they appear.
    fn dynamic_sql(sql: String) -> String {
        crate::shared::anonymous_placeholders(&sql)
    }

    /// SQLite runs the subquery once into a list and looks each id up.
    const IN_SUBQUERY: [&'static str; 2] = ["IN (", ")"];

    /// Nothing to add: the write transaction holds the only write lock.
    const FOR_UPDATE: &'static str = "";

    /// The ids of the tenant's shipments with these AWBs at `carrier`, as
    /// `(awb, id)`: one JSON value back (see `lock_for_fold`), the AWBs bound
    /// as one JSON array.
    async fn ids_by_awbs(
        pool: &SqlitePool,
        tenant_id: &str,
        carrier: &str,
        awbs: &[String],
    ) -> Result<Vec<(String, String)>> {
        let json: String = sqlx::query_scalar(
            "SELECT json_group_array(json_array(awb, id)) FROM shipments \
             WHERE tenant_id = $1 AND carrier = $2 AND awb IN (SELECT value FROM json_each($3))",
        )
        .bind(tenant_id)
        .bind(carrier)
        .bind(json_text(awbs)?)
        .fetch_one(pool)
        .await?;
        serde_json::from_str(&json)
            .map_err(|e| crate::StoreError::Corrupt(format!("AWB lookup: {e}")))
    }

    /// The shipments a recording folds (of those in `ids`, the ones the
    /// tenant has); the write transaction already excludes other writers.
    /// They come back as **one** JSON value: sqlx hands every row from
    /// SQLite's thread to the caller through a channel, copying each of its
    /// values, which cost more than SQLite's lookups and its JSON together.
    /// Their count comes with it, so the caller knows whether all were
    /// found before it decodes them.
    async fn lock_for_fold(
        tx: &mut sqlx::SqliteConnection,
        tenant_id: &str,
        ids: &[&str],
    ) -> Result<crate::rows::LockedShipments> {
        let (found, json): (i64, String) = sqlx::query_as(concat!(
            "SELECT count(*), json_group_array(json_array(json_array(",
            crate::rows::shipment_columns!(),
            "), latest_event_at)) FROM shipments WHERE tenant_id = $1 AND id IN (SELECT value FROM json_each($2))"
        ))
        .bind(tenant_id)
        .bind(json_text(ids)?)
        .fetch_one(&mut *tx)
        .await?;
        Ok(crate::rows::LockedShipments::json(
            usize::try_from(found).unwrap_or_default(),
            json,
        ))
    }

    /// One writer: no lock to spread (see the PostgreSQL store), one copy.
    fn performance_shard() -> i64 {
        0
    }

    /// The rowids (`seq`) one multi-row insert gave, when it inserted every
    /// row: consecutive, in `VALUES` order, ending at the last one (SQLite
    /// runs one writer and numbers rows of a statement in turn), so they
    /// need not come back a row at a time through the connection's thread.
    /// See `inserted_rowids`.
    const NUMBERS_FULL_INSERTS: bool = true;

    fn inserted_rowids(
        result: &sqlx::sqlite::SqliteQueryResult,
        rows: usize,
    ) -> Option<std::ops::RangeInclusive<i64>> {
        (result.rows_affected() == rows as u64 && rows > 0).then(|| {
            let last = result.last_insert_rowid();
            last - rows as i64 + 1..=last
        })
    }

    const LOCK_WEBHOOK_MESSAGE: &'static str = concat!(
        "SELECT ",
        crate::rows::webhook_message_columns!(),
        " FROM webhook_messages WHERE id = $1"
    );

    const CLAIM_JOBS: &'static str = claim_jobs_sql!("");

    const CLAIM_WEBHOOK_MESSAGES: &'static str = claim_webhook_messages_sql!("");

    const CLAIM_POLLS: &'static str = claim_polls_sql!("");

    const TAKE_POOL_AWB: &'static str = take_pool_awb_sql!("");

    const BUSIEST_LANES: &'static str = busiest_lanes_sql!(join);
}

impl_store!(SqliteStore, Backend::Sqlite);

/// Log pages past which the writer copies the log back itself.
const WRITER_CHECKPOINT_PAGES: u32 = 16_384;
/// How often the background checkpoint runs. Under steady writes the log
/// restarts only after the writer's own checkpoint (past
/// [`WRITER_CHECKPOINT_PAGES`]); the more the background one has copied by
/// then, the less that one copies while commits wait (push ack p99 fell
/// from 106–117 ms to 88–103 ms at 100 ms against 250 ms).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Copies the write-ahead log back into the database file every
/// [`CHECKPOINT_EVERY`] from a reader connection (`PASSIVE`: it never waits
/// for, or blocks, the writer), until the returned sender is dropped (with
/// the store). Off the writer's path, so commits do not wait for it.
/// Without a runtime there is no background copy: the writer's own
/// checkpoint past [`WRITER_CHECKPOINT_PAGES`] still bounds the log.
fn checkpoint_in_background(pool: SqlitePool) -> Option<tokio::sync::oneshot::Sender<()>> {
    let runtime = tokio::runtime::Handle::try_current().ok()?;
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = &mut stopped => return,
            }
            if pool.is_closed() {
                return;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "background checkpoint failed");
            }
        }
    });
    Some(stop)
}

/// Values bound as one JSON array (read by `json_each`).
fn json_text<T: serde::Serialize>(values: &[T]) -> Result<String> {
    serde_json::to_string(values).map_err(|e| crate::StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_domain::Shipment;

    /// A new database file's path under the temp dir.
    fn temporary_file() -> String {
        let dir = std::env::temp_dir().join("shipgate-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.db", uuid::Uuid::now_v7().simple()));
        path.to_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn shipments_read_as_one_json_value_are_the_shipments_stored() {
        use crate::Store;
        // SQLite's own file, whatever backend the suite runs against.
        let path = temporary_file();
        let store = SqliteStore::open(&path).await.unwrap();
        store.run_migrations().await.unwrap();
        let tenant = store.create_tenant("Acme", "h", "p").await.unwrap();
        let other = store.create_tenant("Bolt", "h2", "p2").await.unwrap();
        // The optional columns set (but the carrier account, which needs a
        // row of its own), text with quotes and non-ASCII in it.
        let (mut full, first) = crate::conformance::sample_shipment(&tenant.id, "AWB\"1");
        full.order_reference = "ORD \"ünïcode\" \\ 1".into();
        full.carrier_facts.edd = Some(jiff::civil::date(2026, 12, 24));
        full.carrier_facts.attempts = Some(2);
        full.carrier_facts.proof_of_delivery = Some("signed: \"R\"".into());
        full.state.last_event_at = Some(first.occurred_at);
        full.state.picked_up_at = Some(first.occurred_at);
        full.state.failed_attempts = 1;
        full.state.ndr_reason = Some(shipgate_domain::NdrReason::CustomerUnavailable);
        full.allocation = Some(shipgate_domain::allocation::Allocation {
            strategy: shipgate_domain::allocation::Strategy::Fastest,
            rule: Some("heavy \"parcels\"".into()),
            ranked: Vec::new(),
        });
        let (bare, _) = crate::conformance::sample_shipment(&tenant.id, "AWB2");
        let (theirs, _) = crate::conformance::sample_shipment(&other.id, "AWB3");
        for s in [&full, &bare, &theirs] {
            store.insert_shipment(s, &[], &[]).await.unwrap();
        }
        // A recording keeps when the latest event happened; set it directly.
        sqlx::query("UPDATE shipments SET latest_event_at = 1796559198000000 WHERE id = $1")
            .bind(&full.id)
            .execute(&store.writer)
            .await
            .unwrap();
        let mut tx = store.begin_write().await.unwrap();
        let ids = [
            full.id.as_str(),
            bare.id.as_str(),
            theirs.id.as_str(),
            "shp_missing",
        ];
        let locked = SqliteStore::lock_for_fold(&mut tx, &tenant.id, &ids)
            .await
            .unwrap();
        assert_eq!(locked.found, 2, "the tenant's two of the four");
        let rows = locked.decode().unwrap();
        tx.rollback().await.unwrap();
        let mut latest: Vec<(String, Option<i64>)> = rows
            .iter()
            .map(|r| (r.shipment.id.clone(), r.latest_event_at))
            .collect();
        latest.sort();
        let mut expected = vec![
            (full.id.clone(), Some(1796559198000000)),
            (bare.id.clone(), None),
        ];
        expected.sort();
        assert_eq!(latest, expected);
        let mut read: Vec<Shipment> = rows
            .into_iter()
            .map(|r| Shipment::try_from(r.shipment).unwrap())
            .collect();
        read.sort_by(|a, b| a.id.cmp(&b.id));
        let mut stored = Vec::new();
        for s in [&full, &bare] {
            stored.push(store.shipment(&tenant.id, &s.id).await.unwrap().unwrap());
        }
        stored.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(read, stored);
        assert_eq!(
            stored
                .iter()
                .find(|s| s.id == full.id)
                .unwrap()
                .carrier_facts,
            full.carrier_facts
        );
        assert_eq!(
            stored.iter().find(|s| s.id == full.id).unwrap().allocation,
            full.allocation
        );
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }

    #[tokio::test]
    async fn the_writer_keeps_statement_journals_in_memory_before_and_after_migrating() {
        let path = temporary_file();
        let store = SqliteStore::open(&path).await.unwrap();
        let temp_store = || async {
            sqlx::query_scalar::<_, i64>("PRAGMA temp_store")
                .fetch_one(&store.writer)
                .await
                .unwrap()
        };
        // 2: MEMORY; readers keep SQLite's default (0).
        assert_eq!(temp_store().await, 2);
        store.run_migrations().await.unwrap();
        assert_eq!(temp_store().await, 2, "set again after the migrations");
        let reader: i64 = sqlx::query_scalar("PRAGMA temp_store")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(reader, 0);
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }

    #[tokio::test]
    async fn the_log_is_copied_back_in_the_background_not_by_the_writer() {
        let path = &temporary_file();
        let store = SqliteStore::open(path).await.unwrap();
        let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&store.writer)
            .await
            .unwrap();
        assert_eq!(autocheckpoint, i64::from(WRITER_CHECKPOINT_PAGES));
        // The migrations' pages land in the log; the background checkpoint
        // copies them into the database file.
        store.run_migrations().await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            // In WAL mode pages reach the database file only by a checkpoint.
            let file = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if file > 16 * 4096 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "log not copied back: database file {file} bytes"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(store);

        // Without the background task nothing copies the log back: the
        // database file stays as small as SQLite created it.
        let quiet = &temporary_file();
        let mut store = SqliteStore::open(quiet).await.unwrap();
        store._checkpoint.take();
        store.run_migrations().await.unwrap();
        tokio::time::sleep(CHECKPOINT_EVERY * 4).await;
        let file = std::fs::metadata(quiet).map(|m| m.len()).unwrap_or(0);
        assert!(file <= 4 * 4096, "database file {file} bytes");
        drop(store);
        for db in [path, quiet] {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{db}{suffix}"));
            }
        }
    }
}
