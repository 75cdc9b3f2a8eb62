//! PostgreSQL: for many Shipgate processes sharing one database.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::shared::{
    busiest_lanes_sql, claim_jobs_sql, claim_polls_sql, claim_webhook_messages_sql, impl_store,
    take_pool_awb_sql,
};
use crate::{Backend, Result};

pub struct PgStore {
    pool: PgPool,
    /// The same pool: PostgreSQL runs writers concurrently.
    writer: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(Self {
            writer: pool.clone(),
            pool,
        })
    }

    async fn run_migrations(&self) -> Result<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// Generated multi-row statements as they are (`$N` placeholders).
    fn dynamic_sql(sql: String) -> String {
        sql
    }

    /// `id IN (subquery)` of a few ids: PostgreSQL could plan it as a hash
    /// semi-join over every shipment of the tenant (with stale statistics:
    /// 36-60 ms at 100,000 shipments). An array from the subquery is
    /// computed once and its ids looked up by key, whatever the statistics.
    const IN_SUBQUERY: [&'static str; 2] = ["= ANY(ARRAY(", "))"];

    /// Locks the shipment rows a recording folds, so concurrent recorders
    /// fold one after another.
    const FOR_UPDATE: &'static str = " FOR UPDATE";

    /// The ids of the tenant's shipments with these AWBs at `carrier`, as
    /// `(awb, id)`.
    async fn ids_by_awbs(
        pool: &sqlx::PgPool,
        tenant_id: &str,
        carrier: &str,
        awbs: &[String],
    ) -> Result<Vec<(String, String)>> {
        let mut found = Vec::with_capacity(awbs.len());
        for chunk in awbs.chunks(crate::shared::ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT awb, id FROM shipments WHERE tenant_id = $1 AND carrier = $2 AND awb IN ({})",
                crate::shared::placeholders(chunk.len(), 3)
            );
            let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql))
                .bind(tenant_id)
                .bind(carrier);
            for awb in chunk {
                q = q.bind(awb.as_str());
            }
            found.extend(q.fetch_all(pool).await?);
        }
        Ok(found)
    }

    /// The shipments a recording folds (of those in `ids`, sorted, the ones
    /// the tenant has), locked in id order so that concurrent recordings
    /// take turns without deadlocking.
    async fn lock_for_fold(
        tx: &mut sqlx::PgConnection,
        tenant_id: &str,
        ids: &[&str],
    ) -> Result<crate::rows::LockedShipments> {
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(crate::shared::ROWS_PER_STATEMENT) {
            let sql = format!(
                concat!(
                    "SELECT ",
                    crate::rows::shipment_columns!(),
                    ", latest_event_at FROM shipments WHERE tenant_id = $1 AND id IN ({}) ORDER BY id FOR UPDATE"
                ),
                crate::shared::placeholders(chunk.len(), 2),
            );
            let mut q = sqlx::query_as::<_, crate::rows::FoldShipmentRow>(sqlx::AssertSqlSafe(sql))
                .bind(tenant_id);
            for id in chunk {
                q = q.bind(*id);
            }
            rows.extend(q.fetch_all(&mut *tx).await?);
        }
        Ok(crate::rows::LockedShipments::decoded(rows))
    }

    /// Concurrent recorders would all update a carrier's all-lanes row of
    /// the day and queue on its lock until each commits (seen under mixed
    /// load: most write transactions waiting on `transactionid`); each
    /// transaction adds to one of 8 copies of a row instead, chosen here, and
    /// readers sum them.
    fn performance_shard() -> i64 {
        i64::from(rand::random::<u8>() % 8)
    }

    /// Sequences give no such guarantee with concurrent writers: inserts
    /// return their rows.
    /// See `inserted_rowids`.
    const NUMBERS_FULL_INSERTS: bool = false;

    fn inserted_rowids(
        _result: &sqlx::postgres::PgQueryResult,
        _rows: usize,
    ) -> Option<std::ops::RangeInclusive<i64>> {
        None
    }

    const LOCK_WEBHOOK_MESSAGE: &'static str = concat!(
        "SELECT ",
        crate::rows::webhook_message_columns!(),
        " FROM webhook_messages WHERE id = $1 FOR UPDATE"
    );

    /// Skips jobs other workers are claiming this instant: no job is handed
    /// to two workers, and no worker waits on another.
    const CLAIM_JOBS: &'static str = claim_jobs_sql!("FOR UPDATE SKIP LOCKED");

    const CLAIM_WEBHOOK_MESSAGES: &'static str =
        claim_webhook_messages_sql!("FOR UPDATE SKIP LOCKED");

    const CLAIM_POLLS: &'static str = claim_polls_sql!("FOR UPDATE SKIP LOCKED");

    const TAKE_POOL_AWB: &'static str = take_pool_awb_sql!("FOR UPDATE SKIP LOCKED");

    const BUSIEST_LANES: &'static str = busiest_lanes_sql!(lateral);
}

impl_store!(PgStore, Backend::Postgres);
