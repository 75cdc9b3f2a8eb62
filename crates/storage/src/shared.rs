//! The [`Store`](crate::Store) implementation both backends share.
//!
//! SQLite and PostgreSQL agree on almost all of Shipgate's SQL (`$N`
//! placeholders, `ON CONFLICT`, `RETURNING`), so the implementation is written
//! once and stamped out per backend by [`impl_store!`]. Where they differ the
//! backend supplies it:
//! - `begin_write()`: SQLite takes the write lock up front (`BEGIN IMMEDIATE`)
//!   so concurrent writers queue instead of failing on a lock upgrade;
//! - `FOR_UPDATE`: PostgreSQL locks the shipment rows (`FOR UPDATE`) so two
//!   processes recording events for one shipment fold them in turn;
//! - `CLAIM_WEBHOOK_MESSAGES`: like `CLAIM_JOBS`, for the webhook outbox;
//! - `CLAIM_JOBS`: PostgreSQL skips rows other workers have locked
//!   (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time anyway;
//! - `LOCK_WEBHOOK_MESSAGE`: PostgreSQL locks a webhook message while an
//!   attempt is recorded, so concurrent attempts are numbered in turn.

macro_rules! impl_store {
    ($store:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn migrate(&self) -> $crate::Result<()> {
                self.run_migrations().await
            }

            async fn ping(&self) -> $crate::Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_tenant(&self, name: &str, api_key_hash: &str, api_key_prefix: &str) -> $crate::Result<$crate::Tenant> {
                use $crate::rows::micros;
                let now = $crate::rows::now();
                // The series is max+1; two concurrent creations can collide on
                // the UNIQUE constraint, and the loser simply tries again.
                for _ in 0..5 {
                    let mut tx = self.begin_write().await?;
                    let id = $crate::new_id("ten");
                    let inserted = sqlx::query_scalar::<_, i64>(
                        "INSERT INTO tenants (id, name, awb_series, created_at) \
                         VALUES ($1, $2, (SELECT COALESCE(MAX(awb_series), 0) + 1 FROM tenants), $3) \
                         RETURNING awb_series",
                    )
                    .bind(&id)
                    .bind(name)
                    .bind(micros(now))
                    .fetch_one(&mut *tx)
                    .await;
                    let series = match inserted {
                        Ok(series) => series,
                        Err(e) if $crate::shared::is_unique_violation(&e) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    if series > i64::from(shipgate_domain::awb::MAX_SERIES) {
                        return Err($crate::StoreError::Conflict("no AWB series left for a new tenant".into()));
                    }
                    let key_id = $crate::new_id("key");
                    sqlx::query(
                        "INSERT INTO api_keys (id, tenant_id, key_hash, key_prefix, created_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&key_id)
                    .bind(&id)
                    .bind(api_key_hash)
                    .bind(api_key_prefix)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await?;
                    // Only the CLI makes tenants and their keys.
                    let audit = $crate::AuditEntry::new($crate::Actor::System, None, "api_key", "created", &key_id)
                        .with_summary(serde_json::json!({ "tenant_name": name }));
                    $crate::shared::write_audit!(tx, &id, &audit);
                    tx.commit().await?;
                    return Ok($crate::Tenant { id, name: name.to_string(), awb_series: series as u32, created_at: now });
                }
                Err($crate::StoreError::Conflict("could not allocate an AWB series; try again".into()))
            }

            async fn tenant_by_api_key_hash(&self, key_hash: &str) -> $crate::Result<Option<$crate::ApiKeyOwner>> {
                let row = sqlx::query_as::<_, (String, String, i64, i64, String)>(
                    "SELECT t.id, t.name, t.awb_series, t.created_at, k.id FROM tenants t \
                     JOIN api_keys k ON k.tenant_id = t.id \
                     WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
                )
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(id, name, awb_series, created_at, key_id)| {
                    let tenant = $crate::Tenant::try_from($crate::rows::TenantRow { id, name, awb_series, created_at })?;
                    Ok($crate::ApiKeyOwner { tenant, key_id })
                })
                .transpose()
            }

            async fn create_api_key(
                &self,
                tenant_id: &str,
                key_hash: &str,
                key_prefix: &str,
                label: Option<&str>,
                audit: &$crate::AuditEntry,
            ) -> $crate::Result<$crate::ApiKey> {
                let now = $crate::rows::now();
                let id = audit.object_id.clone();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO api_keys (id, tenant_id, key_hash, key_prefix, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&id)
                .bind(tenant_id)
                .bind(key_hash)
                .bind(key_prefix)
                .bind(label)
                .bind($crate::rows::micros(now))
                .execute(&mut *tx)
                .await?;
                $crate::shared::write_audit!(tx, tenant_id, audit);
                tx.commit().await?;
                Ok($crate::ApiKey {
                    id,
                    tenant_id: tenant_id.to_string(),
                    key_prefix: key_prefix.to_string(),
                    label: label.map(str::to_string),
                    created_at: now,
                })
            }

            async fn list_api_keys(&self, tenant_id: &str) -> $crate::Result<Vec<$crate::ApiKey>> {
                sqlx::query_as::<_, (String, String, Option<String>, i64)>(
                    "SELECT id, key_prefix, label, created_at FROM api_keys \
                     WHERE tenant_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC",
                )
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|(id, key_prefix, label, created_at)| {
                    Ok($crate::ApiKey {
                        id,
                        tenant_id: tenant_id.to_string(),
                        key_prefix,
                        label,
                        created_at: $crate::rows::timestamp(created_at)?,
                    })
                })
                .collect()
            }

            async fn revoke_api_key(&self, tenant_id: &str, id: &str, audit: &$crate::AuditEntry) -> $crate::Result<$crate::ApiKeyRevocation> {
                let mut tx = self.begin_write().await?;
                // The tenant's keys locked (PostgreSQL), so two revocations
                // at once cannot leave it with none.
                let sql = format!(
                    "SELECT id FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL{}",
                    Self::FOR_UPDATE
                );
                let keys: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)))
                    .bind(tenant_id)
                    .fetch_all(&mut *tx)
                    .await?;
                if !keys.iter().any(|k| k == id) {
                    return Ok($crate::ApiKeyRevocation::NotFound);
                }
                if keys.len() == 1 {
                    return Ok($crate::ApiKeyRevocation::LastKey);
                }
                sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3")
                    .bind($crate::rows::micros(jiff::Timestamp::now()))
                    .bind(id)
                    .bind(tenant_id)
                    .execute(&mut *tx)
                    .await?;
                $crate::shared::write_audit!(tx, tenant_id, audit);
                tx.commit().await?;
                Ok($crate::ApiKeyRevocation::Revoked)
            }

            async fn create_publishable_key(
                &self,
                tenant_id: &str,
                key_hash: &str,
                key_prefix: &str,
                allowed_origins: &[String],
                audit: &$crate::AuditEntry,
            ) -> $crate::Result<$crate::PublishableKey> {
                use $crate::rows::micros;
                let now = $crate::rows::now();
                let id = audit.object_id.clone();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO publishable_keys (id, tenant_id, key_hash, key_prefix, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&id)
                .bind(tenant_id)
                .bind(key_hash)
                .bind(key_prefix)
                .bind(micros(now))
                .execute(&mut *tx)
                .await?;
                let mut origins: Vec<String> = allowed_origins.to_vec();
                origins.sort();
                origins.dedup();
                for origin in &origins {
                    sqlx::query("INSERT INTO publishable_key_origins (key_id, origin) VALUES ($1, $2)")
                        .bind(&id)
                        .bind(origin)
                        .execute(&mut *tx)
                        .await?;
                }
                $crate::shared::write_audit!(tx, tenant_id, audit);
                tx.commit().await?;
                Ok($crate::PublishableKey {
                    id,
                    tenant_id: tenant_id.to_string(),
                    key_prefix: key_prefix.to_string(),
                    allowed_origins: origins,
                    created_at: now,
                })
            }

            async fn publishable_key_by_hash(
                &self,
                key_hash: &str,
            ) -> $crate::Result<Option<($crate::Tenant, $crate::PublishableKey)>> {
                let row = sqlx::query_as::<_, (String, String, i64, i64, String, String, i64)>(
                    "SELECT t.id, t.name, t.awb_series, t.created_at, k.id, k.key_prefix, k.created_at \
                     FROM publishable_keys k JOIN tenants t ON t.id = k.tenant_id \
                     WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
                )
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?;
                let Some((tid, name, series, tcreated, kid, prefix, kcreated)) = row else {
                    return Ok(None);
                };
                let tenant = $crate::Tenant::try_from($crate::rows::TenantRow {
                    id: tid,
                    name,
                    awb_series: series,
                    created_at: tcreated,
                })?;
                let allowed_origins = sqlx::query_scalar::<_, String>(
                    "SELECT origin FROM publishable_key_origins WHERE key_id = $1 ORDER BY origin",
                )
                .bind(&kid)
                .fetch_all(&self.pool)
                .await?;
                let key = $crate::PublishableKey {
                    id: kid,
                    tenant_id: tenant.id.clone(),
                    key_prefix: prefix,
                    allowed_origins,
                    created_at: $crate::rows::timestamp(kcreated)?,
                };
                Ok(Some((tenant, key)))
            }

            async fn publishable_origin_known(&self, origin: &str) -> $crate::Result<bool> {
                let found = sqlx::query_scalar::<_, i64>(
                    "SELECT CAST(1 AS BIGINT) FROM publishable_key_origins o JOIN publishable_keys k ON k.id = o.key_id \
                     WHERE o.origin = $1 AND k.revoked_at IS NULL LIMIT 1",
                )
                .bind(origin)
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.is_some())
            }

            async fn list_publishable_keys(&self, tenant_id: &str) -> $crate::Result<Vec<$crate::PublishableKey>> {
                let keys = sqlx::query_as::<_, (String, String, i64)>(
                    "SELECT id, key_prefix, created_at FROM publishable_keys \
                     WHERE tenant_id = $1 AND revoked_at IS NULL ORDER BY id DESC",
                )
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(keys.len());
                for (id, key_prefix, created_at) in keys {
                    let allowed_origins = sqlx::query_scalar::<_, String>(
                        "SELECT origin FROM publishable_key_origins WHERE key_id = $1 ORDER BY origin",
                    )
                    .bind(&id)
                    .fetch_all(&self.pool)
                    .await?;
                    out.push($crate::PublishableKey {
                        id,
                        tenant_id: tenant_id.to_string(),
                        key_prefix,
                        allowed_origins,
                        created_at: $crate::rows::timestamp(created_at)?,
                    });
                }
                Ok(out)
            }

            async fn revoke_publishable_key(&self, tenant_id: &str, id: &str, audit: &$crate::AuditEntry) -> $crate::Result<bool> {
                let mut tx = self.begin_write().await?;
                let revoked = sqlx::query(
                    "UPDATE publishable_keys SET revoked_at = $1 \
                     WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL",
                )
                .bind($crate::rows::micros(jiff::Timestamp::now()))
                .bind(id)
                .bind(tenant_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if revoked != 1 {
                    return Ok(false);
                }
                $crate::shared::write_audit!(tx, tenant_id, audit);
                tx.commit().await?;
                Ok(true)
            }

            async fn first_tenant(&self) -> $crate::Result<Option<$crate::Tenant>> {
                let row = sqlx::query_as::<_, $crate::rows::TenantRow>(
                    "SELECT id, name, awb_series, created_at FROM tenants ORDER BY awb_series LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::Tenant::try_from).transpose()
            }

            async fn count_tenants(&self) -> $crate::Result<u64> {
                let n = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tenants").fetch_one(&self.pool).await?;
                Ok(n as u64)
            }

            async fn next_awb_serial(&self, tenant_id: &str, series: &str) -> $crate::Result<u64> {
                // One statement: the row lock it takes makes the increment atomic
                // across connections and processes.
                let serial = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO awb_series (tenant_id, series, next_serial) VALUES ($1, $2, 2) \
                     ON CONFLICT (tenant_id, series) DO UPDATE SET next_serial = awb_series.next_serial + 1 \
                     RETURNING next_serial - 1",
                )
                .bind(tenant_id)
                .bind(series)
                .fetch_one(&self.writer)
                .await?;
                Ok(serial as u64)
            }

            async fn insert_shipment(
                &self,
                shipment: &shipgate_domain::Shipment,
                events: &[shipgate_domain::ShipmentEvent],
                jobs: &[$crate::NewJob],
            ) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                $crate::shared::insert_shipment_row!(&mut *tx, shipment, events)?;
                let s = shipment;
                for event in events {
                    $crate::shared::insert_event!(&mut *tx, &s.tenant_id, &s.id, event)?;
                }
                for job in jobs {
                    $crate::shared::insert_job!(&mut *tx, job)?;
                }
                let mut stats = $crate::performance::StatsChanges::default();
                stats.insert(s);
                $crate::shared::write_performance_changes!(tx, &s.tenant_id, &stats)?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_shipments(&self, shipments: &[(shipgate_domain::Shipment, Vec<shipgate_domain::ShipmentEvent>)]) -> $crate::Result<()> {
                for chunk in shipments.chunks(1_000) {
                    let mut tx = self.begin_write().await?;
                    // Counted per tenant: the chunk may mix tenants.
                    let mut stats: std::collections::BTreeMap<&str, $crate::performance::StatsChanges> = Default::default();
                    for (shipment, events) in chunk {
                        $crate::shared::insert_shipment_row!(&mut *tx, shipment, events)?;
                        for event in events {
                            $crate::shared::insert_event!(&mut *tx, &shipment.tenant_id, &shipment.id, event)?;
                        }
                        stats.entry(shipment.tenant_id.as_str()).or_default().insert(shipment);
                    }
                    for (tenant_id, changes) in &stats {
                        $crate::shared::write_performance_changes!(tx, tenant_id, changes)?;
                    }
                    tx.commit().await?;
                }
                Ok(())
            }

            async fn shipment(&self, tenant_id: &str, id: &str) -> $crate::Result<Option<shipgate_domain::Shipment>> {
                let row = sqlx::query_as::<_, $crate::rows::ShipmentRow>(concat!(
                    "SELECT ",
                    $crate::rows::shipment_columns!(),
                    " FROM shipments WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(shipgate_domain::Shipment::try_from).transpose()
            }

            async fn list_shipments(
                &self,
                tenant_id: &str,
                filter: &$crate::ShipmentFilter,
                after: Option<&str>,
                limit: u32,
            ) -> $crate::Result<$crate::Page<shipgate_domain::Shipment>> {
                // Only the conditions asked for, so each backend can pick the
                // index that fits (an `$n IS NULL OR …` term defeats that).
                let mut sql = String::from(concat!("SELECT ", $crate::rows::shipment_columns!(), " FROM shipments WHERE tenant_id = $1"));
                let mut args = $crate::shared::Args::default();
                args.text(tenant_id);
                if let Some(after) = after {
                    sql.push_str(&format!(" AND id < {}", args.text(after)));
                }
                if let Some(status) = filter.status {
                    sql.push_str(&format!(" AND status = {}", args.text(status.as_str())));
                }
                if let Some(reference) = &filter.order_reference {
                    sql.push_str(&format!(" AND order_reference = {}", args.text(reference)));
                }
                if let Some(awb) = &filter.awb {
                    sql.push_str(&format!(" AND awb = {}", args.text(awb)));
                }
                if let Some(carrier) = &filter.carrier {
                    sql.push_str(&format!(" AND carrier = {}", args.text(carrier)));
                }
                if let Some(account) = &filter.carrier_account_id {
                    sql.push_str(&format!(" AND carrier_account_id = {}", args.text(account)));
                }
                if let Some(from) = filter.created_from {
                    sql.push_str(&format!(" AND created_at >= {}", args.int($crate::rows::micros(from))));
                }
                if let Some(before) = filter.created_before {
                    sql.push_str(&format!(" AND created_at < {}", args.int($crate::rows::micros(before))));
                }
                if filter.with_ndr {
                    sql.push_str(" AND failed_attempts > 0");
                }
                if let Some(search) = &filter.search {
                    // Each branch is one indexed lookup; the ids they find are
                    // looked up by key (see `IN_SUBQUERY`).
                    let [open, close] = Self::IN_SUBQUERY;
                    sql.push_str(&format!(
                        " AND id {open}SELECT id FROM shipments WHERE awb = {} \
                         UNION ALL SELECT id FROM shipments WHERE tenant_id = {} AND order_reference = {}",
                        args.text(&search.text), args.text(tenant_id), args.text(&search.text)
                    ));
                    if let Some(phone) = &search.phone {
                        sql.push_str(&format!(
                            " UNION ALL SELECT id FROM shipments WHERE tenant_id = {} AND consignee_phone = {}",
                            args.text(tenant_id), args.text(phone)
                        ));
                    }
                    sql.push_str(close);
                }
                // One extra row tells whether another page follows.
                sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", args.int(i64::from(limit) + 1)));
                let mut q = sqlx::query_as::<_, $crate::rows::ShipmentRow>(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                for arg in args.0 {
                    q = match arg {
                        $crate::shared::Arg::Text(v) => q.bind(v),
                        $crate::shared::Arg::Int(v) => q.bind(v),
                    };
                }
                let rows = q.fetch_all(&self.pool).await?;
                let items = rows
                    .into_iter()
                    .map(shipgate_domain::Shipment::try_from)
                    .collect::<$crate::Result<Vec<_>>>()?;
                Ok($crate::Page::from_one_extra(items, limit, |s| s.id.clone()))
            }

            async fn shipment_by_awb(&self, tenant_id: &str, carrier: &str, awb: &str) -> $crate::Result<Option<shipgate_domain::Shipment>> {
                let row = sqlx::query_as::<_, $crate::rows::ShipmentRow>(concat!(
                    "SELECT ",
                    $crate::rows::shipment_columns!(),
                    " FROM shipments WHERE tenant_id = $1 AND carrier = $2 AND awb = $3"
                ))
                .bind(tenant_id)
                .bind(carrier)
                .bind(awb)
                .fetch_optional(&self.pool)
                .await?;
                row.map(shipgate_domain::Shipment::try_from).transpose()
            }

            async fn shipment_ids_by_awbs(&self, tenant_id: &str, carrier: &str, awbs: &[String]) -> $crate::Result<Vec<(String, String)>> {
                Self::ids_by_awbs(&self.pool, tenant_id, carrier, awbs).await
            }

            async fn add_pool_awbs(&self, carrier_account_id: &str, awbs: &[String]) -> $crate::Result<u64> {
                let now = $crate::rows::micros(jiff::Timestamp::now());
                let mut tx = self.begin_write().await?;
                let mut added = 0;
                for awb in awbs {
                    added += sqlx::query(
                        "INSERT INTO awb_pool (carrier_account_id, awb, fetched_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (carrier_account_id, awb) DO NOTHING",
                    )
                    .bind(carrier_account_id)
                    .bind(awb)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn take_pool_awb(&self, carrier_account_id: &str) -> $crate::Result<Option<String>> {
                let now = $crate::rows::micros(jiff::Timestamp::now());
                let mut tx = self.begin_write().await?;
                let awb = sqlx::query_scalar::<_, String>(Self::TAKE_POOL_AWB)
                    .bind(carrier_account_id)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(awb)
            }

            async fn pool_available(&self, carrier_account_id: &str) -> $crate::Result<u64> {
                let n = sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM awb_pool WHERE carrier_account_id = $1 AND taken_at IS NULL",
                )
                .bind(carrier_account_id)
                .fetch_one(&self.pool)
                .await?;
                Ok(n.max(0) as u64)
            }

            async fn release_pool_awb(&self, carrier_account_id: &str, awb: &str) -> $crate::Result<bool> {
                let n = sqlx::query(
                    "UPDATE awb_pool SET taken_at = NULL WHERE carrier_account_id = $1 AND awb = $2 AND taken_at IS NOT NULL \
                     AND NOT EXISTS (SELECT 1 FROM shipments WHERE carrier_account_id = $1 AND awb = $2)",
                )
                .bind(carrier_account_id)
                .bind(awb)
                .execute(&self.writer)
                .await?
                .rows_affected();
                Ok(n == 1)
            }

            async fn tenant_setting(&self, tenant_id: &str, name: &str) -> $crate::Result<Option<serde_json::Value>> {
                let value = sqlx::query_scalar::<_, String>("SELECT value FROM tenant_settings WHERE tenant_id = $1 AND name = $2")
                    .bind(tenant_id)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?;
                value
                    .map(|v| serde_json::from_str(&v).map_err(|e| $crate::StoreError::Corrupt(format!("setting {name}: {e}"))))
                    .transpose()
            }

            async fn set_tenant_setting(&self, tenant_id: &str, name: &str, value: &serde_json::Value, audit: &$crate::AuditEntry) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO tenant_settings (tenant_id, name, value, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (tenant_id, name) DO UPDATE SET value = $3, updated_at = $4",
                )
                .bind(tenant_id)
                .bind(name)
                .bind(value.to_string())
                .bind($crate::rows::micros(jiff::Timestamp::now()))
                .execute(&mut *tx)
                .await?;
                $crate::shared::write_audit!(tx, tenant_id, audit);
                tx.commit().await?;
                Ok(())
            }

            async fn lane_outcomes(&self, tenant_id: &str, destination_prefix: &str) -> $crate::Result<Vec<$crate::LaneOutcome>> {
                let rows = sqlx::query_as::<_, $crate::rows::LaneRow>(
                    "SELECT carrier_account_id, \
                     CAST(SUM(CASE WHEN status IN ('delivered', 'rto_delivered') THEN 1 ELSE 0 END) AS BIGINT) AS finished, \
                     CAST(SUM(CASE WHEN status = 'rto_delivered' THEN 1 ELSE 0 END) AS BIGINT) AS returned \
                     FROM shipments WHERE tenant_id = $1 AND carrier_account_id IS NOT NULL \
                     AND consignee_postal_code LIKE $2 GROUP BY carrier_account_id",
                )
                .bind(tenant_id)
                // Postal codes are letters, digits, spaces and hyphens; keep LIKE's wildcards out.
                .bind(format!("{}%", destination_prefix.replace(['%', '_', '\\'], "")))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| $crate::LaneOutcome {
                        carrier_account_id: r.carrier_account_id,
                        finished: r.finished.max(0) as u64,
                        returned: r.returned.max(0) as u64,
                    })
                    .collect())
            }

            async fn record_edd_observations(&self, rows: &[$crate::EddObservationRecord]) -> $crate::Result<u64> {
                let mut tx = self.writer.begin().await?;
                let mut added = 0;
                for r in rows {
                    added += sqlx::query(
                        "INSERT INTO edd_observations (source, source_ref, tenant_id, country, carrier, service, scope, \
                         origin, destination, ordered_at, picked_up_at, delivered_at, promised_date) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (source, source_ref) DO NOTHING",
                    )
                    .bind(&r.source)
                    .bind(&r.source_ref)
                    .bind(&r.tenant_id)
                    .bind(&r.country)
                    .bind(&r.carrier)
                    .bind(&r.service)
                    .bind(&r.scope)
                    .bind(&r.origin)
                    .bind(&r.destination)
                    .bind(r.ordered_at.to_string())
                    .bind(r.picked_up_at.map(|t| t.to_string()))
                    .bind(r.delivered_at.to_string())
                    .bind(r.promised_date.map(|d| d.to_string()))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn edd_observations_after(&self, after_id: i64, limit: u32) -> $crate::Result<Vec<$crate::EddObservationRecord>> {
                let rows = sqlx::query_as::<_, $crate::rows::EddObservationRow>(
                    "SELECT id, source, source_ref, tenant_id, country, carrier, service, scope, origin, destination, \
                     ordered_at, picked_up_at, delivered_at, promised_date FROM edd_observations \
                     WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after_id)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map($crate::rows::EddObservationRow::into_record).collect()
            }

            async fn upsert_serviceability(&self, tenant_id: &str, entries: &[$crate::ServiceabilityEntry], audit: &$crate::AuditEntry) -> $crate::Result<u64> {
                let now = $crate::rows::micros(jiff::Timestamp::now());
                let mut tx = self.writer.begin().await?;
                let mut written = 0;
                for e in entries {
                    written += sqlx::query(
                        "INSERT INTO serviceability (tenant_id, carrier_account_id, postal_code, prepaid, cod, pickup, reverse, oda, \
                         embargo, max_weight_grams, max_cod_minor, updated_at) \
                         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
                         WHERE EXISTS (SELECT 1 FROM carrier_accounts WHERE id = $2 AND tenant_id = $1) \
                         ON CONFLICT (carrier_account_id, postal_code) DO UPDATE SET prepaid = $4, cod = $5, pickup = $6, \
                         reverse = $7, oda = $8, embargo = $9, max_weight_grams = $10, max_cod_minor = $11, updated_at = $12",
                    )
                    .bind(tenant_id)
                    .bind(&e.carrier_account_id)
                    .bind(&e.postal_code)
                    .bind(e.prepaid)
                    .bind(e.cod)
                    .bind(e.pickup)
                    .bind(e.reverse)
                    .bind(e.oda)
                    .bind(e.embargo)
                    .bind(e.max_weight_grams)
                    .bind(e.max_cod_minor)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                if written > 0 {
                    let mut audit = audit.clone();
                    if let serde_json::Value::Object(summary) = &mut audit.summary {
                        summary.insert("entries_written".into(), written.into());
                    }
                    $crate::shared::write_audit!(tx, tenant_id, &audit);
                }
                tx.commit().await?;
                Ok(written)
            }

            async fn serviceability_at(&self, tenant_id: &str, postal_code: &str) -> $crate::Result<Vec<$crate::ServiceabilityEntry>> {
                let rows = sqlx::query_as::<_, $crate::rows::ServiceabilityRow>(
                    "SELECT carrier_account_id, postal_code, prepaid, cod, pickup, reverse, oda, embargo, max_weight_grams, max_cod_minor \
                     FROM serviceability WHERE tenant_id = $1 AND postal_code = $2 ORDER BY carrier_account_id",
                )
                .bind(tenant_id)
                .bind(postal_code)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn serviceability_coverage(&self, tenant_id: &str) -> $crate::Result<Vec<(String, u64)>> {
                let rows = sqlx::query_as::<_, (String, i64)>(
                    "SELECT carrier_account_id, CAST(COUNT(*) AS BIGINT) FROM serviceability WHERE tenant_id = $1 \
                     GROUP BY carrier_account_id ORDER BY carrier_account_id",
                )
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(id, n)| (id, n.max(0) as u64)).collect())
            }

            async fn record_carrier_facts(&self, tenant_id: &str, shipment_id: &str, facts: &shipgate_domain::shipment::CarrierFacts) -> $crate::Result<()> {
                // What the carrier did not say this time stays as it was.
                sqlx::query(
                    "UPDATE shipments SET carrier_edd = COALESCE($1, carrier_edd), \
                     carrier_attempts = COALESCE($2, carrier_attempts), \
                     proof_of_delivery = COALESCE($3, proof_of_delivery) WHERE tenant_id = $4 AND id = $5",
                )
                .bind(facts.edd.map(|d| d.to_string()))
                .bind(facts.attempts.map(i64::from))
                .bind(facts.proof_of_delivery.as_deref())
                .bind(tenant_id)
                .bind(shipment_id)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn insert_pickup(&self, p: &$crate::Pickup) -> $crate::Result<()> {
                let inserted = sqlx::query(
                    "INSERT INTO pickups (id, tenant_id, carrier_account_id, carrier, location, pickup_date, carrier_pickup_id, \
                     shipment_count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&p.id)
                .bind(&p.tenant_id)
                .bind(p.carrier_account_id.as_deref())
                .bind(&p.carrier)
                .bind(&p.location)
                .bind(p.date.to_string())
                .bind(p.carrier_pickup_id.as_deref())
                .bind(i64::from(p.shipment_count))
                .bind($crate::rows::micros(p.created_at))
                .execute(&self.writer)
                .await;
                match inserted {
                    Err(e) if $crate::shared::is_unique_violation(&e) => Err($crate::StoreError::Conflict(format!(
                        "a pickup for {} on {} already exists",
                        p.location, p.date
                    ))),
                    other => other.map(|_| ()).map_err(Into::into),
                }
            }

            async fn tenant(&self, id: &str) -> $crate::Result<Option<$crate::Tenant>> {
                let row = sqlx::query_as::<_, $crate::rows::TenantRow>("SELECT id, name, awb_series, created_at FROM tenants WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::Tenant::try_from).transpose()
            }

            async fn insert_batch(&self, batch: &$crate::Batch, rows: &[serde_json::Value], job: &$crate::NewJob) -> $crate::Result<()> {
                use $crate::rows::micros;
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO batches (id, tenant_id, total, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
                    .bind(&batch.id)
                    .bind(&batch.tenant_id)
                    .bind(batch.total as i64)
                    .bind(micros(batch.created_at))
                    .execute(&mut *tx)
                    .await?;
                for (i, row) in rows.iter().enumerate() {
                    sqlx::query("INSERT INTO batch_rows (batch_id, idx, input) VALUES ($1, $2, $3)")
                        .bind(&batch.id)
                        .bind(i as i64)
                        .bind(row.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                $crate::shared::insert_job!(&mut *tx, job)?;
                tx.commit().await?;
                Ok(())
            }

            async fn batch(&self, tenant_id: &str, id: &str) -> $crate::Result<Option<$crate::Batch>> {
                let row = sqlx::query_as::<_, $crate::rows::BatchDbRow>(
                    "SELECT id, tenant_id, total, succeeded, failed, created_at FROM batches WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    Ok($crate::Batch {
                        id: r.id,
                        tenant_id: r.tenant_id,
                        total: r.total.max(0) as u64,
                        succeeded: r.succeeded.max(0) as u64,
                        failed: r.failed.max(0) as u64,
                        created_at: $crate::rows::timestamp(r.created_at)?,
                    })
                })
                .transpose()
            }

            async fn batch_rows(&self, batch_id: &str, from_index: u64, limit: u32) -> $crate::Result<Vec<$crate::BatchRow>> {
                let rows = sqlx::query_as::<_, $crate::rows::BatchRowRow>(
                    "SELECT idx, input, result FROM batch_rows WHERE batch_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3",
                )
                .bind(batch_id)
                .bind(from_index as i64)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        let json = |s: &str| serde_json::from_str(s).map_err(|e| $crate::StoreError::Corrupt(format!("batch row: {e}")));
                        Ok($crate::BatchRow {
                            index: r.idx.max(0) as u64,
                            input: json(&r.input)?,
                            result: r.result.as_deref().map(json).transpose()?,
                        })
                    })
                    .collect()
            }

            async fn finish_batch_row(&self, batch_id: &str, index: u64, result: &serde_json::Value, ok: bool) -> $crate::Result<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("UPDATE batch_rows SET result = $1 WHERE batch_id = $2 AND idx = $3 AND result IS NULL")
                    .bind(result.to_string())
                    .bind(batch_id)
                    .bind(index as i64)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
                if done {
                    let column = if ok { "UPDATE batches SET succeeded = succeeded + 1, updated_at = $1 WHERE id = $2" } else { "UPDATE batches SET failed = failed + 1, updated_at = $1 WHERE id = $2" };
                    sqlx::query(column).bind($crate::rows::micros(jiff::Timestamp::now())).bind(batch_id).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(done)
            }

            async fn modify_shipment(&self, s: &shipgate_domain::Shipment, change: &$crate::ShipmentChange) -> $crate::Result<()> {
                use $crate::rows::micros;
                let mut tx = self.begin_write().await?;
                // As stored: a new delivery address may move it to another lane of the report.
                let sql = format!(
                    concat!("SELECT ", $crate::rows::shipment_columns!(), " FROM shipments WHERE tenant_id = $1 AND id = $2{}"),
                    Self::FOR_UPDATE
                );
                let before = sqlx::query_as::<_, $crate::rows::ShipmentRow>(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)))
                    .bind(&s.tenant_id)
                    .bind(&s.id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                let before = shipgate_domain::Shipment::try_from(before)?;
                let after = shipgate_domain::Shipment { state: before.state.clone(), ..s.clone() };
                let mut stats = $crate::performance::StatsChanges::default();
                stats.modification(&before, &after);
                $crate::shared::write_performance_changes!(tx, &s.tenant_id, &stats)?;
                let updated = sqlx::query(
                    "UPDATE shipments SET details = $1, payment_mode = $2, cod_amount = $3, consignee_phone = $4, \
                     consignee_postal_code = $5, updated_at = $6 WHERE tenant_id = $7 AND id = $8",
                )
                .bind($crate::rows::shipment_details_json(s))
                .bind(s.payment_mode.as_str())
                .bind(s.cod_amount.as_ref().map(|m| m.minor_units))
                .bind(s.consignee.phone.as_str())
                .bind(s.consignee.postal_code.as_str())
                .bind(micros(s.updated_at))
                .bind(&s.tenant_id)
                .bind(&s.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated != 1 {
                    return Err($crate::StoreError::NotFound);
                }
                sqlx::query("INSERT INTO shipment_changes (id, tenant_id, shipment_id, actor, changes, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(&change.id)
                    .bind(&s.tenant_id)
                    .bind(&s.id)
                    .bind(&change.actor)
                    .bind(change.changes.to_string())
                    .bind(micros(change.created_at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn shipment_changes(&self, tenant_id: &str, shipment_id: &str) -> $crate::Result<Vec<$crate::ShipmentChange>> {
                sqlx::query_as::<_, $crate::rows::ChangeRow>(
                    "SELECT id, actor, changes, created_at FROM shipment_changes WHERE tenant_id = $1 AND shipment_id = $2 ORDER BY created_at, id",
                )
                .bind(tenant_id)
                .bind(shipment_id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|r| {
                    Ok($crate::ShipmentChange {
                        id: r.id,
                        actor: r.actor,
                        changes: serde_json::from_str(&r.changes).map_err(|e| $crate::StoreError::Corrupt(format!("change: {e}")))?,
                        created_at: $crate::rows::timestamp(r.created_at)?,
                    })
                })
                .collect()
            }

            async fn shipments_by_awb_any_tenant(&self, awb: &str) -> $crate::Result<Vec<shipgate_domain::Shipment>> {
                sqlx::query_as::<_, $crate::rows::ShipmentRow>(concat!(
                    "SELECT ",
                    $crate::rows::shipment_columns!(),
                    " FROM shipments WHERE awb = $1 ORDER BY id DESC LIMIT 5"
                ))
                .bind(awb)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(shipgate_domain::Shipment::try_from)
                .collect()
            }

            async fn claim_due_polls(&self, limit: u32, lease: std::time::Duration) -> $crate::Result<Vec<$crate::DuePoll>> {
                use $crate::rows::micros;
                let now = micros(jiff::Timestamp::now());
                let mut tx = self.begin_write().await?;
                let rows = sqlx::query_as::<_, $crate::rows::DuePollRow>(Self::CLAIM_POLLS)
                    .bind(now + lease.as_micros() as i64)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows.into_iter()
                    .map(|r| {
                        Ok($crate::DuePoll {
                            status: r.status.parse().map_err(|_| $crate::StoreError::Corrupt(format!("status `{}`", r.status)))?,
                            tenant_id: r.tenant_id,
                            shipment_id: r.id,
                            carrier_account_id: r.carrier_account_id,
                            awb: r.awb,
                        })
                    })
                    .collect()
            }

            async fn schedule_poll(&self, shipment_id: &str, at: Option<jiff::Timestamp>) -> $crate::Result<()> {
                sqlx::query("UPDATE shipments SET next_poll_at = $1 WHERE id = $2 AND carrier_account_id IS NOT NULL")
                    .bind(at.map($crate::rows::micros))
                    .bind(shipment_id)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn record_events(
                &self,
                tenant_id: &str,
                shipment_id: &str,
                events: &[shipgate_domain::ShipmentEvent],
                follow_up: $crate::FollowUp<'_>,
            ) -> $crate::Result<$crate::EventsRecorded> {
                let report = [$crate::ShipmentReport {
                    shipment_id: shipment_id.to_string(),
                    events: events.to_vec(),
                    facts: Default::default(),
                }];
                let mut tx = self.begin_write().await?;
                let recorded = $crate::shared::record_batch_in_tx!(tx, tenant_id, &report, follow_up)?;
                let recorded = recorded.into_iter().next().ok_or($crate::StoreError::NotFound)?;
                tx.commit().await?;
                Ok(recorded)
            }

            async fn record_events_batch(
                &self,
                tenant_id: &str,
                batch: &[$crate::ShipmentReport],
                follow_up: $crate::FollowUp<'_>,
            ) -> $crate::Result<Vec<$crate::EventsRecorded>> {
                let started = std::time::Instant::now();
                let mut tx = self.begin_write().await?;
                let waited = started.elapsed();
                let all = $crate::shared::record_batch_in_tx!(tx, tenant_id, batch, follow_up)?;
                let recorded = started.elapsed();
                tx.commit().await?;
                tracing::debug!(
                    shipments = batch.len(),
                    lock_wait_us = waited.as_micros() as u64,
                    record_us = (recorded - waited).as_micros() as u64,
                    commit_us = (started.elapsed() - recorded).as_micros() as u64,
                    "events recorded in a batch"
                );
                Ok(all)
            }

            async fn record_applied_pushes(
                &self,
                pushes: &[$crate::CarrierPush],
                reports: &[$crate::TenantReports],
                follow_up: $crate::FollowUp<'_>,
            ) -> $crate::Result<Vec<$crate::EventsRecorded>> {
                use $crate::shared::{ROWS_PER_STATEMENT, values_rows};
                let mut tx = self.begin_write().await?;
                // The raw pushes, several to a statement (7 values each).
                for chunk in pushes.chunks(ROWS_PER_STATEMENT / 4) {
                    let sql = format!(
                        "INSERT INTO carrier_pushes (id, tenant_id, carrier_account_id, received_at, headers, body, status) VALUES {}",
                        values_rows(chunk.len(), 7, 1)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                    for push in chunk {
                        q = $crate::shared::bind_push!(q, push, $crate::PushStatus::Applied);
                    }
                    q.execute(&mut *tx).await?;
                }
                let mut all = Vec::new();
                for group in reports.iter().filter(|g| !g.reports.is_empty()) {
                    all.extend($crate::shared::record_batch_in_tx!(tx, &group.tenant_id, &group.reports, follow_up)?);
                }
                tx.commit().await?;
                Ok(all)
            }

            async fn ndr(&self, tenant_id: &str, id: &str) -> $crate::Result<Option<$crate::Ndr>> {
                sqlx::query_as::<_, $crate::rows::NdrRow>(concat!("SELECT ", $crate::rows::ndr_columns!(), " FROM ndrs WHERE tenant_id = $1 AND id = $2"))
                    .bind(tenant_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map($crate::Ndr::try_from)
                    .transpose()
            }

            async fn list_ndrs(&self, tenant_id: &str, f: &$crate::NdrFilter, after: Option<&str>, limit: u32) -> $crate::Result<$crate::Page<$crate::Ndr>> {
                // Without a state: every unresolved one.
                let rows = sqlx::query_as::<_, $crate::rows::NdrRow>(concat!(
                    "SELECT ", $crate::rows::ndr_columns!(), " FROM ndrs WHERE tenant_id = $1 AND ($2 IS NULL OR id < $2) \
                     AND (($3 IS NULL AND state IN ('open', 'action_requested', 'action_sent', 'failed')) OR state = $3) \
                     AND ($4 IS NULL OR carrier = $4) AND ($5 IS NULL OR reason = $5) \
                     AND ($6 IS NULL OR attempt >= $6) AND ($7 IS NULL OR attempt <= $7) \
                     AND ($8 IS NULL OR created_at < $8) AND ($9 IS NULL OR shipment_id = $9) \
                     ORDER BY id DESC LIMIT $10"
                ))
                .bind(tenant_id)
                .bind(after)
                .bind(f.state.map(|s| s.as_str()))
                .bind(f.carrier.as_deref())
                .bind(f.reason.map(|r| r.as_str()))
                .bind(f.min_attempt.map(i64::from))
                .bind(f.max_attempt.map(i64::from))
                .bind(f.raised_before.map($crate::rows::micros))
                .bind(f.shipment_id.as_deref())
                .bind(i64::from(limit) + 1)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map($crate::Ndr::try_from)
                .collect::<$crate::Result<Vec<_>>>()?;
                Ok($crate::Page::from_one_extra(rows, limit, |n| n.id.clone()))
            }

            async fn claim_ndr(&self, tenant_id: &str, id: &str, action: &serde_json::Value, actor: &str, stale_before: jiff::Timestamp) -> $crate::Result<bool> {
                use $crate::rows::micros;
                // One conditional UPDATE: of two concurrent claims, the second finds the state moved on.
                let claimed = sqlx::query(
                    "UPDATE ndrs SET state = 'action_requested', action = $1, actor = $2, action_at = $3, error = NULL, \
                     carrier_request_id = NULL, updated_at = $3 WHERE tenant_id = $4 AND id = $5 \
                     AND (state IN ('open', 'failed') OR (state = 'action_requested' AND action_at < $6))",
                )
                .bind(action.to_string())
                .bind(actor)
                .bind(micros(jiff::Timestamp::now()))
                .bind(tenant_id)
                .bind(id)
                .bind(micros(stale_before))
                .execute(&self.writer)
                .await?
                .rows_affected();
                Ok(claimed == 1)
            }

            async fn finish_ndr_action(&self, tenant_id: &str, id: &str, result: &$crate::NdrActionResult) -> $crate::Result<()> {
                let (state, request_id, error) = match result {
                    $crate::NdrActionResult::Sent { carrier_request_id } => ("action_sent", carrier_request_id.as_deref(), None),
                    $crate::NdrActionResult::Refused { error } => ("failed", None, Some(error.as_str())),
                    $crate::NdrActionResult::Released { error } => ("open", None, Some(error.as_str())),
                };
                sqlx::query(
                    "UPDATE ndrs SET state = $1, carrier_request_id = $2, error = $3, updated_at = $4 \
                     WHERE tenant_id = $5 AND id = $6 AND state = 'action_requested'",
                )
                .bind(state)
                .bind(request_id)
                .bind(error)
                .bind($crate::rows::micros(jiff::Timestamp::now()))
                .bind(tenant_id)
                .bind(id)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn mark_ndr_customer_asked(&self, tenant_id: &str, id: &str) -> $crate::Result<bool> {
                let now = $crate::rows::micros(jiff::Timestamp::now());
                let n = sqlx::query("UPDATE ndrs SET customer_asked_at = $1, updated_at = $1 WHERE tenant_id = $2 AND id = $3 AND customer_asked_at IS NULL")
                    .bind(now)
                    .bind(tenant_id)
                    .bind(id)
                    .execute(&self.writer)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            }

            async fn escalate_ndr(&self, tenant_id: &str, id: &str, jobs: &[$crate::NewJob]) -> $crate::Result<bool> {
                let now = $crate::rows::micros(jiff::Timestamp::now());
                let mut tx = self.begin_write().await?;
                let n = sqlx::query(
                    "UPDATE ndrs SET escalated_at = $1, updated_at = $1 WHERE tenant_id = $2 AND id = $3 \
                     AND state IN ('open', 'failed') AND escalated_at IS NULL",
                )
                .bind(now)
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 1 {
                    for job in jobs {
                        $crate::shared::insert_job!(&mut *tx, job)?;
                    }
                }
                tx.commit().await?;
                Ok(n == 1)
            }

            async fn ndr_outcomes(&self, tenant_id: &str, from: jiff::Timestamp, before: jiff::Timestamp) -> $crate::Result<Vec<$crate::NdrOutcomeCount>> {
                use $crate::rows::micros;
                sqlx::query_as::<_, $crate::rows::NdrOutcomeRow>(
                    "SELECT s.carrier AS carrier, substr(s.consignee_postal_code, 1, 3) AS prefix, n.reason AS reason, \
                     CASE WHEN s.status = 'delivered' THEN 'delivered' WHEN substr(s.status, 1, 4) = 'rto_' THEN 'rto' ELSE 'open' END AS outcome, \
                     COUNT(*) AS n FROM shipments s LEFT JOIN ndrs n ON n.shipment_id = s.id AND n.attempt = 1 \
                     WHERE s.tenant_id = $1 AND s.created_at >= $2 AND s.created_at < $3 \
                     GROUP BY s.carrier, substr(s.consignee_postal_code, 1, 3), n.reason, \
                     CASE WHEN s.status = 'delivered' THEN 'delivered' WHEN substr(s.status, 1, 4) = 'rto_' THEN 'rto' ELSE 'open' END",
                )
                .bind(tenant_id)
                .bind(micros(from))
                .bind(micros(before))
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|r| {
                    Ok($crate::NdrOutcomeCount {
                        first_reason: r.reason.map(|v| v.parse().map_err(|_| $crate::StoreError::Corrupt(format!("NDR reason `{v}`")))).transpose()?,
                        carrier: r.carrier,
                        destination_prefix: r.prefix,
                        outcome: r.outcome,
                        shipments: r.n.max(0) as u64,
                    })
                })
                .collect()
            }

            async fn carrier_performance(&self, tenant_id: &str, first_day: jiff::civil::Date, last_day: jiff::civil::Date) -> $crate::Result<$crate::PerformanceReport> {
                use $crate::performance::{ALL_LANES, day_number};
                type Sums = (i64, i64, i64, i64, i64, i64, i64, i64, i64);
                let counts = |(shipments, delivered, rto, with_ndr, promised, on_time, order_to_delivery, picked_up, pickup_to_delivery): Sums| {
                    let count = |n: i64| n.max(0) as u64;
                    $crate::PerformanceCounts {
                        shipments: count(shipments),
                        delivered: count(delivered),
                        rto: count(rto),
                        with_ndr: count(with_ndr),
                        order_to_delivery_micros: order_to_delivery,
                        picked_up_and_delivered: count(picked_up),
                        pickup_to_delivery_micros: pickup_to_delivery,
                        promised: count(promised),
                        on_time: count(on_time),
                    }
                };
                let (first, last) = (day_number(first_day), day_number(last_day));
                let carriers = sqlx::query_as::<_, (String, i64, i64, i64, i64, i64, i64, i64, i64, i64)>(concat!(
                    "SELECT carrier, ", $crate::shared::performance_sums!(""), " FROM carrier_lane_daily_stats \
                     WHERE tenant_id = $1 AND origin_prefix = $2 AND destination_prefix = $2 AND day >= $3 AND day <= $4 \
                     GROUP BY carrier HAVING SUM(shipments) > 0 ORDER BY carrier",
                ))
                .bind(tenant_id)
                .bind(ALL_LANES)
                .bind(first)
                .bind(last)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|(carrier, a, b, c, d, e, f, g, h, i)| (carrier, counts((a, b, c, d, e, f, g, h, i))))
                .collect();
                let mut lanes: Vec<$crate::LanePerformance> = sqlx::query_as::<_, (String, String, String, i64, i64, i64, i64, i64, i64, i64, i64, i64)>(
                    Self::BUSIEST_LANES,
                )
                .bind(tenant_id)
                .bind(i64::from($crate::BUSIEST_LANES_RANKED))
                .bind(first)
                .bind(last)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|(carrier, origin_prefix, destination_prefix, a, b, c, d, e, f, g, h, i)| $crate::LanePerformance {
                    carrier,
                    origin_prefix,
                    destination_prefix,
                    counts: counts((a, b, c, d, e, f, g, h, i)),
                })
                .collect();
                lanes.sort_by(|a, b| {
                    b.counts.shipments.cmp(&a.counts.shipments).then_with(|| {
                        (&a.carrier, &a.origin_prefix, &a.destination_prefix).cmp(&(&b.carrier, &b.origin_prefix, &b.destination_prefix))
                    })
                });
                Ok($crate::PerformanceReport { carriers, lanes })
            }

            async fn create_user(&self, user: &$crate::User) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let inserted = sqlx::query("INSERT INTO users (id, tenant_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&user.id)
                    .bind(&user.tenant_id)
                    .bind(&user.email)
                    .bind(&user.password_hash)
                    .bind($crate::rows::micros(user.created_at))
                    .execute(&mut *tx)
                    .await;
                match inserted {
                    Err(e) if $crate::shared::is_unique_violation(&e) => {
                        return Err($crate::StoreError::Conflict(format!("a user with email {} exists", user.email)));
                    }
                    Err(e) => return Err(e.into()),
                    Ok(_) => {}
                }
                // Only the CLI makes users; the email is personal data and stays out.
                let audit = $crate::AuditEntry::new($crate::Actor::System, None, "user", "created", &user.id);
                $crate::shared::write_audit!(tx, &user.tenant_id, &audit);
                tx.commit().await?;
                Ok(())
            }

            async fn user_by_email(&self, email: &str) -> $crate::Result<Option<$crate::User>> {
                let row = sqlx::query_as::<_, (String, String, String, String, i64)>(
                    "SELECT id, tenant_id, email, password_hash, created_at FROM users WHERE email = $1",
                )
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|(id, tenant_id, email, password_hash, created_at)| {
                    Ok($crate::User { id, tenant_id, email, password_hash, created_at: $crate::rows::timestamp(created_at)? })
                })
                .transpose()
            }

            async fn create_user_session(&self, session: &$crate::UserSession) -> $crate::Result<()> {
                sqlx::query("INSERT INTO user_sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&session.token_hash)
                    .bind(&session.user_id)
                    .bind(&session.csrf_token)
                    .bind($crate::rows::micros(session.created_at))
                    .bind($crate::rows::micros(session.expires_at))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn user_session(&self, token_hash: &str, now: jiff::Timestamp) -> $crate::Result<Option<$crate::SignedIn>> {
                let row = sqlx::query_as::<_, (String, i64, i64, String, String, String, i64, String, String, i64, i64)>(
                    "SELECT s.csrf_token, s.created_at, s.expires_at, u.id, u.email, u.password_hash, u.created_at, \
                     t.id, t.name, t.awb_series, t.created_at \
                     FROM user_sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = u.tenant_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2",
                )
                .bind(token_hash)
                .bind($crate::rows::micros(now))
                .fetch_optional(&self.pool)
                .await?;
                let Some((csrf_token, created, expires, user_id, email, password_hash, user_created, tenant_id, name, series, tenant_created)) = row else {
                    return Ok(None);
                };
                let tenant = $crate::Tenant::try_from($crate::rows::TenantRow { id: tenant_id, name, awb_series: series, created_at: tenant_created })?;
                Ok(Some($crate::SignedIn {
                    session: $crate::UserSession {
                        token_hash: token_hash.to_string(),
                        user_id: user_id.clone(),
                        csrf_token,
                        created_at: $crate::rows::timestamp(created)?,
                        expires_at: $crate::rows::timestamp(expires)?,
                    },
                    user: $crate::User {
                        id: user_id,
                        tenant_id: tenant.id.clone(),
                        email,
                        password_hash,
                        created_at: $crate::rows::timestamp(user_created)?,
                    },
                    tenant,
                }))
            }

            async fn delete_user_session(&self, token_hash: &str, now: jiff::Timestamp) -> $crate::Result<()> {
                sqlx::query("DELETE FROM user_sessions WHERE token_hash = $1 OR expires_at <= $2")
                    .bind(token_hash)
                    .bind($crate::rows::micros(now))
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn events(&self, tenant_id: &str, shipment_id: &str) -> $crate::Result<Vec<shipgate_domain::ShipmentEvent>> {
                sqlx::query_as::<_, $crate::rows::EventRow>(concat!(
                    "SELECT ",
                    $crate::rows::event_columns!(),
                    " FROM shipment_events WHERE tenant_id = $1 AND shipment_id = $2 ORDER BY seq"
                ))
                .bind(tenant_id)
                .bind(shipment_id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(shipgate_domain::ShipmentEvent::try_from)
                .collect()
            }

            async fn audit_log(&self, tenant_id: &str, f: &$crate::AuditFilter, after: Option<&str>, limit: u32) -> $crate::Result<$crate::Page<$crate::AuditRecord>> {
                use $crate::rows::micros;
                // Keyset on (at, id): the cursor is the last entry's id.
                let rows = sqlx::query_as::<_, $crate::rows::AuditRow>(
                    "SELECT id, tenant_id, at, actor_kind, actor_id, action, object_type, object_id, summary, request_id \
                     FROM audit_log WHERE tenant_id = $1 \
                     AND ($2 IS NULL OR (at, id) < (SELECT at, id FROM audit_log WHERE tenant_id = $1 AND id = $2)) \
                     AND ($3 IS NULL OR object_type = $3) AND ($4 IS NULL OR object_id = $4) \
                     AND ($5 IS NULL OR action = $5) AND ($6 IS NULL OR at >= $6) AND ($7 IS NULL OR at < $7) \
                     ORDER BY at DESC, id DESC LIMIT $8",
                )
                .bind(tenant_id)
                .bind(after)
                .bind(f.object_type.as_deref())
                .bind(f.object_id.as_deref())
                .bind(f.action.as_deref())
                .bind(f.since.map(micros))
                .bind(f.until.map(micros))
                .bind(i64::from(limit) + 1)
                .fetch_all(&self.pool)
                .await?;
                let items = rows.into_iter().map($crate::AuditRecord::try_from).collect::<$crate::Result<Vec<_>>>()?;
                Ok($crate::Page::from_one_extra(items, limit, |r| r.id.clone()))
            }

            async fn idempotency_begin(
                &self,
                tenant_id: &str,
                key: &str,
                fingerprint: &str,
                lock_for: std::time::Duration,
            ) -> $crate::Result<$crate::IdempotencyBegin> {
                use $crate::rows::micros;
                use $crate::IdempotencyBegin as B;
                let now = jiff::Timestamp::now();
                let until = micros(now) + lock_for.as_micros() as i64;
                let claimed = sqlx::query(
                    "INSERT INTO idempotency_keys (tenant_id, idem_key, fingerprint, locked_until, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, idem_key) DO NOTHING",
                )
                .bind(tenant_id)
                .bind(key)
                .bind(fingerprint)
                .bind(until)
                .bind(micros(now))
                .execute(&self.writer)
                .await?
                .rows_affected();
                if claimed == 1 {
                    return Ok(B::Started);
                }
                let Some(row) = sqlx::query_as::<_, $crate::rows::IdempotencyRow>(
                    "SELECT fingerprint, locked_until, status_code, content_type, body FROM idempotency_keys \
                     WHERE tenant_id = $1 AND idem_key = $2",
                )
                .bind(tenant_id)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?
                else {
                    // Abandoned between our insert and read: the caller retries.
                    return Ok(B::InProgress);
                };
                if row.fingerprint != fingerprint {
                    return Ok(B::Mismatch);
                }
                if let Some(status) = row.status_code {
                    return Ok(B::Replay($crate::StoredResponse {
                        status: status as u16,
                        content_type: row.content_type.unwrap_or_default(),
                        body: row.body.unwrap_or_default(),
                    }));
                }
                // The request holding the key died without finishing: take over.
                let stale = row.locked_until.is_some_and(|t| t < micros(now));
                if stale {
                    let taken = sqlx::query(
                        "UPDATE idempotency_keys SET locked_until = $1 \
                         WHERE tenant_id = $2 AND idem_key = $3 AND status_code IS NULL AND locked_until = $4",
                    )
                    .bind(until)
                    .bind(tenant_id)
                    .bind(key)
                    .bind(row.locked_until)
                    .execute(&self.writer)
                    .await?
                    .rows_affected();
                    if taken == 1 {
                        return Ok(B::Started);
                    }
                }
                Ok(B::InProgress)
            }

            async fn idempotency_complete(&self, tenant_id: &str, key: &str, response: &$crate::StoredResponse) -> $crate::Result<()> {
                sqlx::query(
                    "UPDATE idempotency_keys SET status_code = $1, content_type = $2, body = $3, locked_until = NULL \
                     WHERE tenant_id = $4 AND idem_key = $5",
                )
                .bind(i64::from(response.status))
                .bind(&response.content_type)
                .bind(&response.body)
                .bind(tenant_id)
                .bind(key)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn idempotency_abandon(&self, tenant_id: &str, key: &str) -> $crate::Result<()> {
                sqlx::query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND idem_key = $2 AND status_code IS NULL")
                    .bind(tenant_id)
                    .bind(key)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn enqueue_job(&self, job: &$crate::NewJob) -> $crate::Result<String> {
                let mut conn = self.writer.acquire().await?;
                $crate::shared::insert_job!(&mut *conn, job)
            }

            async fn claim_jobs(&self, worker: &str, limit: u32, lease: std::time::Duration) -> $crate::Result<Vec<$crate::Job>> {
                use $crate::rows::micros;
                let now = micros(jiff::Timestamp::now());
                if !$crate::shared::any_due!(self, "jobs WHERE (status = 'pending' AND run_at <= $1) \
                     OR (status = 'running' AND locked_until < $1 AND attempts < max_attempts)", now) {
                    return Ok(Vec::new());
                }
                let rows = $crate::shared::claim_rows!(self, $crate::rows::JobRow, Self::CLAIM_JOBS, worker, now, lease, limit);
                // RETURNING follows no order on PostgreSQL: hand jobs out oldest
                // first, so webhooks raised in order are sent in order.
                let mut jobs = rows.into_iter().map($crate::Job::try_from).collect::<$crate::Result<Vec<_>>>()?;
                jobs.sort_by(|a, b| (a.run_at, &a.id).cmp(&(b.run_at, &b.id)));
                Ok(jobs)
            }

            async fn queue_depth(&self) -> $crate::Result<$crate::QueueDepth> {
                let now = $crate::rows::micros(jiff::Timestamp::now());
                let (jobs_due, oldest): (i64, Option<i64>) = sqlx::query_as(
                    "SELECT COUNT(*), MIN(run_at) FROM jobs WHERE status = 'pending' AND run_at <= $1",
                )
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                let jobs_lease_expired: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM jobs WHERE status = 'running' AND locked_until < $1",
                )
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                let jobs_dead: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'dead'")
                    .fetch_one(&self.pool)
                    .await?;
                let webhooks_due: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM webhook_messages WHERE status = 'pending' AND next_attempt_at <= $1",
                )
                .bind(now)
                .fetch_one(&self.pool)
                .await?;
                Ok($crate::QueueDepth {
                    jobs_due,
                    oldest_due_job_seconds: oldest.map_or(0, |t| ((now - t) / 1_000_000).max(0)),
                    jobs_lease_expired,
                    jobs_dead,
                    webhooks_due,
                })
            }

            async fn complete_job(&self, job_id: &str, worker: &str) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, updated_at = $1 \
                     WHERE id = $2 AND locked_by = $3 AND status = 'running'",
                )
                .bind($crate::rows::micros(jiff::Timestamp::now()))
                .bind(job_id)
                .bind(worker)
                .execute(&self.writer)
                .await?
                .rows_affected();
                Ok(done == 1)
            }

            async fn complete_jobs(&self, job_ids: &[String], worker: &str) -> $crate::Result<Vec<String>> {
                let mut done = Vec::with_capacity(job_ids.len());
                for chunk in job_ids.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, updated_at = $1 \
                         WHERE locked_by = $2 AND status = 'running' AND id IN ({}) RETURNING id",
                        $crate::shared::placeholders(chunk.len(), 3)
                    );
                    let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)))
                        .bind($crate::rows::micros(jiff::Timestamp::now()))
                        .bind(worker);
                    for id in chunk {
                        q = q.bind(id.as_str());
                    }
                    done.extend(q.fetch_all(&self.writer).await?);
                }
                Ok(done)
            }

            async fn fail_job(&self, job_id: &str, worker: &str, error: &str, retry_at: jiff::Timestamp) -> $crate::Result<bool> {
                use $crate::rows::micros;
                let failed = sqlx::query(
                    "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END, \
                     run_at = $1, last_error = $2, locked_by = NULL, locked_until = NULL, updated_at = $3 \
                     WHERE id = $4 AND locked_by = $5 AND status = 'running'",
                )
                .bind(micros(retry_at))
                .bind(error)
                .bind(micros(jiff::Timestamp::now()))
                .bind(job_id)
                .bind(worker)
                .execute(&self.writer)
                .await?
                .rows_affected();
                Ok(failed == 1)
            }

            async fn insert_carrier_account(&self, account: &$crate::CarrierAccountRecord, audit: &$crate::AuditEntry) -> $crate::Result<()> {
                use $crate::rows::micros;
                let mut tx = self.begin_write().await?;
                sqlx::query(concat!(
                    "INSERT INTO carrier_accounts (",
                    $crate::rows::carrier_account_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                ))
                .bind(&account.id)
                .bind(&account.tenant_id)
                .bind(&account.carrier)
                .bind(&account.name)
                .bind(account.base_url.as_deref())
                .bind(&account.sealed_credentials)
                .bind(account.settings.to_string())
                .bind(micros(account.created_at))
                .bind(micros(account.updated_at))
                .execute(&mut *tx)
                .await?;
                $crate::shared::write_audit!(tx, &account.tenant_id, audit);
                tx.commit().await?;
                Ok(())
            }

            async fn carrier_account(&self, tenant_id: &str, id: &str) -> $crate::Result<Option<$crate::CarrierAccountRecord>> {
                let row = sqlx::query_as::<_, $crate::rows::CarrierAccountRow>(concat!(
                    "SELECT ",
                    $crate::rows::carrier_account_columns!(),
                    " FROM carrier_accounts WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::CarrierAccountRecord::try_from).transpose()
            }

            async fn list_carrier_accounts(&self, tenant_id: &str, after: Option<&str>, limit: u32) -> $crate::Result<$crate::Page<$crate::CarrierAccountRecord>> {
                let rows = sqlx::query_as::<_, $crate::rows::CarrierAccountRow>(concat!(
                    "SELECT ",
                    $crate::rows::carrier_account_columns!(),
                    " FROM carrier_accounts WHERE tenant_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
                ))
                .bind(tenant_id)
                .bind(after)
                .bind(i64::from(limit) + 1)
                .fetch_all(&self.pool)
                .await?;
                let items = rows.into_iter().map($crate::CarrierAccountRecord::try_from).collect::<$crate::Result<Vec<_>>>()?;
                Ok($crate::Page::from_one_extra(items, limit, |a| a.id.clone()))
            }

            async fn carrier_account_by_id(&self, id: &str) -> $crate::Result<Option<$crate::CarrierAccountRecord>> {
                let row = sqlx::query_as::<_, $crate::rows::CarrierAccountRow>(concat!(
                    "SELECT ",
                    $crate::rows::carrier_account_columns!(),
                    " FROM carrier_accounts WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::CarrierAccountRecord::try_from).transpose()
            }

            async fn insert_carrier_push(&self, push: &$crate::CarrierPush, job: &$crate::NewJob) -> $crate::Result<()> {
                let mut tx = self.begin_write().await?;
                let q = sqlx::query(
                    "INSERT INTO carrier_pushes (id, tenant_id, carrier_account_id, received_at, headers, body, status) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                );
                $crate::shared::bind_push!(q, push, push.status)
                    .execute(&mut *tx)
                    .await?;
                $crate::shared::insert_job!(&mut *tx, job)?;
                tx.commit().await?;
                Ok(())
            }

            async fn carrier_push(&self, id: &str) -> $crate::Result<Option<$crate::CarrierPush>> {
                let row = sqlx::query_as::<_, $crate::rows::CarrierPushRow>(
                    "SELECT id, tenant_id, carrier_account_id, received_at, headers, body, status, error \
                     FROM carrier_pushes WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::CarrierPush::try_from).transpose()
            }

            async fn carrier_pushes(&self, ids: &[String]) -> $crate::Result<Vec<$crate::CarrierPush>> {
                let mut found = Vec::with_capacity(ids.len());
                for chunk in ids.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "SELECT id, tenant_id, carrier_account_id, received_at, headers, body, status, error \
                         FROM carrier_pushes WHERE id IN ({})",
                        $crate::shared::placeholders(chunk.len(), 1)
                    );
                    let mut q = sqlx::query_as::<_, $crate::rows::CarrierPushRow>(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                    for id in chunk {
                        q = q.bind(id.as_str());
                    }
                    for row in q.fetch_all(&self.pool).await? {
                        found.push($crate::CarrierPush::try_from(row)?);
                    }
                }
                Ok(found)
            }

            async fn finish_carrier_push(&self, id: &str, status: $crate::PushStatus, error: Option<&str>) -> $crate::Result<()> {
                sqlx::query("UPDATE carrier_pushes SET status = $1, error = $2, processed_at = $3 WHERE id = $4")
                    .bind(status.as_str())
                    .bind(error)
                    .bind($crate::rows::micros(jiff::Timestamp::now()))
                    .bind(id)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn finish_carrier_pushes(&self, ids: &[String], status: $crate::PushStatus) -> $crate::Result<()> {
                for chunk in ids.chunks($crate::shared::ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "UPDATE carrier_pushes SET status = $1, error = NULL, processed_at = $2 WHERE id IN ({})",
                        $crate::shared::placeholders(chunk.len(), 3)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)))
                        .bind(status.as_str())
                        .bind($crate::rows::micros(jiff::Timestamp::now()));
                    for id in chunk {
                        q = q.bind(id.as_str());
                    }
                    q.execute(&self.writer).await?;
                }
                Ok(())
            }

            async fn flag_unknown_code(&self, tenant_id: &str, code: &$crate::UnknownCode) -> $crate::Result<()> {
                let now = $crate::rows::micros(jiff::Timestamp::now());
                sqlx::query(
                    "INSERT INTO unknown_carrier_codes (tenant_id, carrier, code, description, example_awb, first_seen, last_seen, seen_count) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6, 1) \
                     ON CONFLICT (tenant_id, carrier, code) DO UPDATE SET last_seen = $6, \
                     seen_count = unknown_carrier_codes.seen_count + 1",
                )
                .bind(tenant_id)
                .bind(&code.carrier)
                .bind(&code.code)
                .bind(&code.description)
                .bind(&code.example_awb)
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn unknown_codes(&self, tenant_id: &str) -> $crate::Result<Vec<$crate::UnknownCode>> {
                let rows = sqlx::query_as::<_, $crate::rows::UnknownCodeRow>(
                    "SELECT carrier, code, description, example_awb, seen_count FROM unknown_carrier_codes \
                     WHERE tenant_id = $1 ORDER BY last_seen DESC",
                )
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| $crate::UnknownCode {
                        carrier: r.carrier,
                        code: r.code,
                        description: r.description,
                        example_awb: r.example_awb,
                        seen_count: r.seen_count.max(0) as u64,
                    })
                    .collect())
            }

            async fn insert_webhook_endpoint(&self, e: &$crate::WebhookEndpoint, audit: &$crate::AuditEntry) -> $crate::Result<()> {
                use $crate::rows::micros;
                let mut tx = self.begin_write().await?;
                sqlx::query(concat!(
                    "INSERT INTO webhook_endpoints (",
                    $crate::rows::webhook_endpoint_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                ))
                .bind(&e.id)
                .bind(&e.tenant_id)
                .bind(&e.url)
                .bind(e.description.as_deref())
                .bind($crate::rows::event_types_json(&e.event_types))
                .bind(e.enabled)
                .bind(e.disabled_reason.as_deref())
                .bind(&e.sealed_secret)
                .bind(e.sealed_previous_secret.as_deref())
                .bind(e.previous_secret_expires_at.map(micros))
                .bind(e.failing_since.map(micros))
                .bind(micros(e.created_at))
                .bind(micros(e.updated_at))
                .execute(&mut *tx)
                .await?;
                $crate::shared::write_audit!(tx, &e.tenant_id, audit);
                tx.commit().await?;
                Ok(())
            }

            async fn webhook_endpoint(&self, tenant_id: &str, id: &str) -> $crate::Result<Option<$crate::WebhookEndpoint>> {
                let row = sqlx::query_as::<_, $crate::rows::WebhookEndpointRow>(concat!(
                    "SELECT ",
                    $crate::rows::webhook_endpoint_columns!(),
                    " FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::WebhookEndpoint::try_from).transpose()
            }

            async fn list_webhook_endpoints(&self, tenant_id: &str, after: Option<&str>, limit: u32) -> $crate::Result<$crate::Page<$crate::WebhookEndpoint>> {
                let rows = sqlx::query_as::<_, $crate::rows::WebhookEndpointRow>(concat!(
                    "SELECT ",
                    $crate::rows::webhook_endpoint_columns!(),
                    " FROM webhook_endpoints WHERE tenant_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
                ))
                .bind(tenant_id)
                .bind(after)
                .bind(i64::from(limit) + 1)
                .fetch_all(&self.pool)
                .await?;
                let items = rows.into_iter().map($crate::WebhookEndpoint::try_from).collect::<$crate::Result<Vec<_>>>()?;
                Ok($crate::Page::from_one_extra(items, limit, |e| e.id.clone()))
            }

            async fn update_webhook_endpoint(&self, e: &$crate::WebhookEndpoint, audit: &$crate::AuditEntry) -> $crate::Result<()> {
                use $crate::rows::micros;
                let mut tx = self.begin_write().await?;
                // `failing_since` belongs to the delivery side; an endpoint
                // that was disabled starts a fresh streak whatever is written.
                // (SET expressions see the row as it was.)
                let updated = sqlx::query(
                    "UPDATE webhook_endpoints SET url = $1, description = $2, event_types = $3, enabled = $4, \
                     disabled_reason = $5, secret = $6, previous_secret = $7, previous_secret_expires_at = $8, \
                     updated_at = $9, failing_since = CASE WHEN enabled THEN failing_since ELSE NULL END \
                     WHERE tenant_id = $10 AND id = $11",
                )
                .bind(&e.url)
                .bind(e.description.as_deref())
                .bind($crate::rows::event_types_json(&e.event_types))
                .bind(e.enabled)
                .bind(e.disabled_reason.as_deref())
                .bind(&e.sealed_secret)
                .bind(e.sealed_previous_secret.as_deref())
                .bind(e.previous_secret_expires_at.map(micros))
                .bind(micros(e.updated_at))
                .bind(&e.tenant_id)
                .bind(&e.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                $crate::shared::write_audit!(tx, &e.tenant_id, audit);
                tx.commit().await?;
                Ok(())
            }

            async fn delete_webhook_endpoint(&self, tenant_id: &str, id: &str, audit: &$crate::AuditEntry) -> $crate::Result<bool> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "DELETE FROM webhook_attempts WHERE message_id IN \
                     (SELECT id FROM webhook_messages WHERE tenant_id = $1 AND endpoint_id = $2)",
                )
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM webhook_messages WHERE tenant_id = $1 AND endpoint_id = $2")
                    .bind(tenant_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let deleted = sqlx::query("DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if deleted != 1 {
                    return Ok(false);
                }
                $crate::shared::write_audit!(tx, tenant_id, audit);
                tx.commit().await?;
                Ok(true)
            }

            async fn fan_out_webhook_events(
                &self,
                tenant_id: &str,
                events: &[$crate::WebhookEvent],
            ) -> $crate::Result<Vec<$crate::WebhookMessage>> {
                let mut tx = self.begin_write().await?;
                let messages = $crate::shared::insert_webhook_messages!(tx, tenant_id, events)?;
                tx.commit().await?;
                Ok(messages)
            }

            async fn claim_webhook_messages(
                &self,
                worker: &str,
                limit: u32,
                lease: std::time::Duration,
            ) -> $crate::Result<Vec<$crate::ClaimedMessage>> {
                use $crate::rows::micros;
                let now = micros(jiff::Timestamp::now());
                // Each message's claim is unique (it names the attempt it records).
                let claim = format!("{worker}:{}", $crate::new_id("claim"));
                if !$crate::shared::any_due!(self, "webhook_messages WHERE status = 'pending' AND next_attempt_at <= $1", now) {
                    return Ok(Vec::new());
                }
                let rows = $crate::shared::claim_rows!(self, $crate::rows::ClaimedMessageRow, Self::CLAIM_WEBHOOK_MESSAGES, &claim, now, lease, limit);
                let mut claimed = rows
                    .into_iter()
                    .map(|r| {
                        Ok($crate::ClaimedMessage {
                            step: u32::try_from(r.schedule_step).unwrap_or(0),
                            claim: r.claimed_by.unwrap_or_default(),
                            message: r.message.into_message(&[])?,
                        })
                    })
                    .collect::<$crate::Result<Vec<_>>>()?;
                // RETURNING follows no order on PostgreSQL: oldest first.
                claimed.sort_by(|a, b| a.message.id.cmp(&b.message.id));
                Ok(claimed)
            }

            async fn record_webhook_deliveries(&self, outcomes: &[$crate::DeliveryOutcome]) -> $crate::Result<usize> {
                use std::collections::HashMap;
                use $crate::rows::micros;
                use $crate::shared::{ROWS_PER_STATEMENT, values_rows};
                use $crate::WebhookMessageStatus as S;
                let now = micros(jiff::Timestamp::now());
                let mut tx = self.begin_write().await?;
                // The messages, where the claim still holds; their new attempt numbers.
                let mut recorded: HashMap<String, (i64, String)> = HashMap::new();
                for chunk in outcomes.chunks(ROWS_PER_STATEMENT) {
                    let sql = format!(
                        "UPDATE webhook_messages SET status = v.column3, next_attempt_at = v.column4, attempts = attempts + 1, \
                         schedule_step = schedule_step + 1, claimed_by = NULL, updated_at = $1 FROM (VALUES {}) AS v \
                         WHERE webhook_messages.id = v.column1 AND webhook_messages.claimed_by = v.column2 \
                         RETURNING id, attempts, endpoint_id",
                        values_rows(chunk.len(), 4, 2)
                    );
                    let mut q = sqlx::query_as::<_, (String, i64, String)>(sqlx::AssertSqlSafe(Self::dynamic_sql(sql))).bind(now);
                    for o in chunk {
                        let status = match (o.delivered, o.retry_at) {
                            (true, _) => S::Delivered,
                            (false, Some(_)) => S::Pending,
                            (false, None) => S::Failed,
                        };
                        q = q
                            .bind(o.attempt.message_id.as_str())
                            .bind(o.attempt.job_id.as_str())
                            .bind(status.as_str())
                            .bind(o.retry_at.filter(|_| !o.delivered).map(micros));
                    }
                    for (id, attempt, endpoint_id) in q.fetch_all(&mut *tx).await? {
                        recorded.insert(id, (attempt, endpoint_id));
                    }
                }
                let kept: Vec<&$crate::DeliveryOutcome> =
                    outcomes.iter().filter(|o| recorded.contains_key(&o.attempt.message_id)).collect();
                for chunk in kept.chunks(ROWS_PER_STATEMENT) {
                    let sql = format!(
                        concat!("INSERT INTO webhook_attempts (", $crate::rows::webhook_attempt_columns!(), ") VALUES {}"),
                        values_rows(chunk.len(), 10, 1)
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                    for o in chunk {
                        let a = &o.attempt;
                        q = q
                            .bind(a.message_id.as_str())
                            .bind(recorded[&a.message_id].0)
                            .bind(a.job_id.as_str())
                            .bind(a.trigger.as_str())
                            .bind(micros(a.started_at))
                            .bind(a.status_code.map(i64::from))
                            .bind(i64::try_from(a.latency_ms).unwrap_or(i64::MAX))
                            .bind(a.response_excerpt.as_deref())
                            .bind(a.error.as_deref())
                            .bind(o.retry_at.filter(|_| !o.delivered).map(micros));
                    }
                    q.execute(&mut *tx).await?;
                }
                // Each endpoint's failure streak, as if its attempts were recorded one by one.
                let mut by_endpoint: HashMap<&str, Vec<&$crate::DeliveryOutcome>> = HashMap::new();
                for o in &kept {
                    by_endpoint.entry(recorded[&o.attempt.message_id].1.as_str()).or_default().push(*o);
                }
                for (endpoint_id, mut attempts) in by_endpoint {
                    attempts.sort_by_key(|o| o.attempt.started_at);
                    let last_success = attempts.iter().rposition(|o| o.delivered);
                    let failures = &attempts[last_success.map_or(0, |i| i + 1)..];
                    if last_success.is_some() {
                        sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
                            .bind(endpoint_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let (Some(first), Some(last)) = (failures.first(), failures.last()) {
                        $crate::shared::note_webhook_failure!(tx, endpoint_id, first.attempt.started_at, last.disable_if_failing_since, &last.disable_reason)?;
                    }
                }
                tx.commit().await?;
                Ok(kept.len())
            }

            async fn webhook_message(&self, tenant_id: &str, id: &str) -> $crate::Result<Option<$crate::WebhookMessage>> {
                let Some(row) = sqlx::query_as::<_, $crate::rows::WebhookMessageRow>(concat!(
                    "SELECT ",
                    $crate::rows::webhook_message_columns!(),
                    " FROM webhook_messages WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                else {
                    return Ok(None);
                };
                let attempts = sqlx::query_as::<_, $crate::rows::WebhookAttemptRow>(concat!(
                    "SELECT ",
                    $crate::rows::webhook_attempt_columns!(),
                    " FROM webhook_attempts WHERE message_id = $1 ORDER BY attempt"
                ))
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                row.into_message(&attempts).map(Some)
            }

            async fn list_webhook_messages(
                &self,
                tenant_id: &str,
                endpoint_id: &str,
                after: Option<&str>,
                limit: u32,
            ) -> $crate::Result<$crate::Page<$crate::WebhookMessage>> {
                let mut rows = sqlx::query_as::<_, $crate::rows::WebhookMessageRow>(concat!(
                    "SELECT ",
                    $crate::rows::webhook_message_columns!(),
                    " FROM webhook_messages WHERE tenant_id = $1 AND endpoint_id = $2 AND ($3 IS NULL OR id < $3) \
                     ORDER BY id DESC LIMIT $4"
                ))
                .bind(tenant_id)
                .bind(endpoint_id)
                .bind(after)
                .bind(i64::from(limit) + 1)
                .fetch_all(&self.pool)
                .await?;
                let next_after = if rows.len() > limit as usize {
                    rows.truncate(limit as usize);
                    rows.last().map(|m| m.id.clone())
                } else {
                    None
                };
                // The page's attempts in one query: those of messages from the
                // page's last id on (the page's ids are a contiguous range).
                let attempts = match rows.last() {
                    None => Vec::new(),
                    Some(last) => sqlx::query_as::<_, $crate::rows::WebhookAttemptRow>(concat!(
                        "SELECT ",
                        $crate::rows::webhook_attempt_columns!(),
                        " FROM webhook_attempts WHERE message_id IN (SELECT id FROM webhook_messages \
                         WHERE tenant_id = $1 AND endpoint_id = $2 AND id >= $3 AND ($4 IS NULL OR id < $4)) \
                         ORDER BY message_id, attempt"
                    ))
                    .bind(tenant_id)
                    .bind(endpoint_id)
                    .bind(&last.id)
                    .bind(after)
                    .fetch_all(&self.pool)
                    .await?,
                };
                let items = rows
                    .into_iter()
                    .map(|r| r.into_message(&attempts))
                    .collect::<$crate::Result<Vec<_>>>()?;
                Ok($crate::Page { items, next_after })
            }

            async fn replay_webhook_message(
                &self,
                tenant_id: &str,
                endpoint_id: &str,
                message_id: &str,
                job: &$crate::NewJob,
            ) -> $crate::Result<bool> {
                let mut tx = self.begin_write().await?;
                let found = sqlx::query_scalar::<_, String>(
                    "SELECT id FROM webhook_messages WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3",
                )
                .bind(tenant_id)
                .bind(endpoint_id)
                .bind(message_id)
                .fetch_optional(&mut *tx)
                .await?;
                if found.is_none() {
                    return Ok(false);
                }
                $crate::shared::insert_job!(&mut *tx, job)?;
                tx.commit().await?;
                Ok(true)
            }

            async fn record_webhook_attempt(&self, outcome: &$crate::AttemptOutcome) -> $crate::Result<bool> {
                use $crate::rows::micros;
                use $crate::WebhookMessageStatus as S;
                let a = &outcome.attempt;
                let mut tx = self.begin_write().await?;
                // Locked (PostgreSQL): a replay and a scheduled attempt of one
                // message number their attempts in turn.
                let message = sqlx::query_as::<_, $crate::rows::WebhookMessageRow>(Self::LOCK_WEBHOOK_MESSAGE)
                    .bind(&a.message_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                let recorded = sqlx::query_scalar::<_, i64>("SELECT attempt FROM webhook_attempts WHERE job_id = $1")
                    .bind(&a.job_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if recorded.is_some() {
                    return Ok(false);
                }
                let endpoint_id = message.endpoint_id.clone();
                let number = message.attempts + 1;
                let message = message.into_message(&[])?;
                let next_attempt_at = match (outcome.delivered, outcome.replay) {
                    (true, _) => None,
                    // A failed replay leaves the schedule as it was.
                    (false, true) => message.next_attempt_at.filter(|_| message.status == S::Pending),
                    (false, false) => outcome.retry.as_ref().map(|j| j.run_at),
                };
                let status = if outcome.delivered {
                    S::Delivered
                } else if next_attempt_at.is_some() {
                    S::Pending
                } else {
                    S::Failed
                };
                sqlx::query(
                    "UPDATE webhook_messages SET status = $1, attempts = $2, next_attempt_at = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(status.as_str())
                .bind(number)
                .bind(next_attempt_at.map(micros))
                .bind(micros(jiff::Timestamp::now()))
                .bind(&a.message_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(concat!(
                    "INSERT INTO webhook_attempts (",
                    $crate::rows::webhook_attempt_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(&a.message_id)
                .bind(number)
                .bind(&a.job_id)
                .bind(&a.trigger)
                .bind(micros(a.started_at))
                .bind(a.status_code.map(i64::from))
                .bind(i64::try_from(a.latency_ms).unwrap_or(i64::MAX))
                .bind(a.response_excerpt.as_deref())
                .bind(a.error.as_deref())
                .bind(if outcome.delivered || outcome.replay { None } else { next_attempt_at.map(micros) })
                .execute(&mut *tx)
                .await?;
                if let (false, false, Some(job)) = (outcome.delivered, outcome.replay, &outcome.retry) {
                    $crate::shared::insert_job!(&mut *tx, job)?;
                }
                if outcome.delivered {
                    sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
                        .bind(&endpoint_id)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    $crate::shared::note_webhook_failure!(tx, &endpoint_id, a.started_at, outcome.disable_if_failing_since, &outcome.disable_reason)?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn job(&self, job_id: &str) -> $crate::Result<Option<$crate::Job>> {
                let row = sqlx::query_as::<_, $crate::rows::JobRow>(concat!(
                    "SELECT ",
                    $crate::rows::job_columns!(),
                    " FROM jobs WHERE id = $1"
                ))
                .bind(job_id)
                .fetch_optional(&self.pool)
                .await?;
                row.map($crate::Job::try_from).transpose()
            }
        }
    };
}
pub(crate) use impl_store;

/// Runs `work` while the database runs `statement`: polls it once, which
/// sends it, does the work on this thread, then waits for the answer. A
/// transaction is a chain of statements, each on the database's side (for
/// SQLite, its connection's own thread) and each followed by Rust work on
/// this side; work that does not need the answer need not wait for it.
pub(crate) async fn meanwhile<F: std::future::Future, R>(
    statement: F,
    work: impl FnOnce() -> R,
) -> (F::Output, R) {
    let mut statement = std::pin::pin!(statement);
    let sent = std::future::poll_fn(|cx| std::task::Poll::Ready(statement.as_mut().poll(cx))).await;
    let done = work();
    let answer = match sent {
        std::task::Poll::Ready(answer) => answer,
        std::task::Poll::Pending => statement.await,
    };
    (answer, done)
}

/// Most rows one multi-row statement carries (bind parameters stay far
/// below both databases' limits).
pub(crate) const ROWS_PER_STATEMENT: usize = 256;

/// Placeholders of a multi-row `VALUES` list: `($3, $4), ($5, $6)` for two
/// rows of two values numbered from 3.
pub(crate) fn values_rows(rows: usize, columns: usize, first: usize) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            // Writing to a String cannot fail.
            let _ = write!(sql, "${}", first + row * columns + column);
        }
        sql.push(')');
    }
    sql
}

/// Records reports for many shipments inside the caller's write transaction
/// (see `Store::record_events_batch`) in a few multi-row statements: lock
/// the shipments, insert the events (duplicates dropped by the unique key),
/// fold each shipment from its stored state (or, for one whose new events
/// happened before its latest, from its whole history), write the
/// projections and the carrier's facts, the follow-up jobs and the webhook
/// outbox messages. Shipments the tenant does not have are skipped.
macro_rules! record_batch_in_tx {
    ($tx:ident, $tenant_id:expr, $reports:expr, $follow_up:expr) => {{
        async {
            // Keys are ids the store made or read back: no hash flooding to fear.
            use foldhash::{HashMap, HashMapExt};
            use $crate::rows::micros;
            use $crate::shared::{ROWS_PER_STATEMENT, values_rows};
            let tenant_id: &str = $tenant_id;
            let reports: &[$crate::ShipmentReport] = $reports;
            let follow_up: $crate::FollowUp<'_> = $follow_up;
            // One entry per shipment, its events in the order given, its facts merged.
            let mut order: Vec<&str> = Vec::new();
            let mut merged: HashMap<&str, (Vec<&shipgate_domain::ShipmentEvent>, shipgate_domain::shipment::CarrierFacts)> = HashMap::new();
            for r in reports {
                let entry = merged.entry(r.shipment_id.as_str()).or_insert_with(|| {
                    order.push(r.shipment_id.as_str());
                    (Vec::new(), Default::default())
                });
                entry.0.extend(r.events.iter());
                let facts = &mut entry.1;
                facts.edd = r.facts.edd.or(facts.edd);
                facts.attempts = r.facts.attempts.or(facts.attempts);
                if r.facts.proof_of_delivery.is_some() {
                    facts.proof_of_delivery = r.facts.proof_of_delivery.clone();
                }
            }
            let phase = std::time::Instant::now();
            let mut phases: Vec<(&str, u128)> = Vec::new();
            // Locked (PostgreSQL) in id order, so concurrent batches fold in turn without deadlocking.
            let mut ids = order.clone();
            ids.sort_unstable();
            // Every new event in one statement per chunk; what comes back was new.
            let insert_sql = |rows: usize| {
                format!(
                    "INSERT INTO shipment_events (id, tenant_id, shipment_id, status, occurred_at, recorded_at, source, \
                     dedupe_key, carrier_code, description, location, ndr_reason, actor) VALUES {} \
                     ON CONFLICT (shipment_id, dedupe_key) DO NOTHING",
                    values_rows(rows, 13, 1)
                )
            };
            // Where the backend numbers a full insert's rows predictably
            // (SQLite), the inserts need nothing back, so they are bound while
            // the shipments are read: they depend only on which shipments
            // exist, and normally all do.
            let bind_inserts = |rows: &[(&str, &shipgate_domain::ShipmentEvent)]| -> Vec<_> {
                if Self::NUMBERS_FULL_INSERTS {
                    rows.chunks(ROWS_PER_STATEMENT)
                        .map(|chunk| {
                            let mut q = sqlx::query(sqlx::AssertSqlSafe(Self::dynamic_sql(insert_sql(chunk.len()))));
                            for (shipment_id, e) in chunk {
                                q = $crate::shared::bind_event!(q, tenant_id, *shipment_id, e);
                            }
                            q
                        })
                        .collect()
                } else {
                    Vec::new()
                }
            };
            // Read first, so the outbox rows can be bound while other statements run.
            let endpoints = $crate::shared::subscribed_endpoints!(&mut *$tx, tenant_id)?;
            let (locked, (mut rows, mut bound)) = $crate::shared::meanwhile(Self::lock_for_fold(&mut *$tx, tenant_id, &ids), || {
                let rows: Vec<(&str, &shipgate_domain::ShipmentEvent)> = order
                    .iter()
                    .flat_map(|id| merged[id].0.iter().map(move |e| (*id, *e)))
                    .collect();
                let bound = bind_inserts(&rows);
                (rows, bound)
            })
            .await;
            let locked = locked?;
            let fetched = phase.elapsed().as_micros();
            type Locked = HashMap<String, (shipgate_domain::Shipment, Option<i64>)>;
            let decode = |locked: $crate::rows::LockedShipments| -> $crate::Result<Locked> {
                let rows = locked.decode()?;
                let mut shipments: Locked = HashMap::with_capacity(rows.len());
                for row in rows {
                    let latest = row.latest_event_at;
                    let shipment = shipgate_domain::Shipment::try_from(row.shipment)?;
                    shipments.insert(shipment.id.clone(), (shipment, latest));
                }
                Ok(shipments)
            };
            // Every shipment found (the usual case): the inserts stand as
            // bound, and the shipments are decoded while the first one runs.
            let mut undecoded = None;
            let mut shipments: Locked = HashMap::new();
            if Self::NUMBERS_FULL_INSERTS && locked.found == order.len() && !rows.is_empty() {
                undecoded = Some(locked);
            } else {
                shipments = decode(locked)?;
                let before = order.len();
                order.retain(|id| shipments.contains_key(*id));
                if order.len() != before {
                    // Some are not the tenant's shipments: bound again without their events.
                    rows.retain(|(id, _)| shipments.contains_key(*id));
                    bound = bind_inserts(&rows);
                }
            }
            phases.push(("lock", phase.elapsed().as_micros()));
            // Fold: from the stored state where the new events are not older
            // than the history, else from the whole history (read in one query,
            // below). Yields, per shipment, the events that went in and its
            // timeline (the new events' only, when folded onto the stored state),
            // when its latest event happened, and whether it was folded onto the
            // stored state; and the shipments to fold from their history.
            let fold_new = |shipments: &Locked, seq_of: &dyn Fn(&str) -> Option<i64>| {
                let mut inserted_of: HashMap<&str, Vec<shipgate_domain::ShipmentEvent>> = HashMap::new();
                let mut folds: HashMap<&str, (shipgate_domain::Timeline, Option<jiff::Timestamp>, bool)> = HashMap::new();
                let mut refold: Vec<&str> = Vec::new();
                for id in &order {
                    let inserted: Vec<shipgate_domain::ShipmentEvent> = merged[id]
                        .0
                        .iter()
                        .filter_map(|e| seq_of(&e.id).map(|seq| shipgate_domain::ShipmentEvent { seq, ..(*e).clone() }))
                        .collect();
                    if inserted.is_empty() {
                        continue;
                    }
                    let (shipment, latest) = &shipments[*id];
                    let latest = latest.map($crate::rows::timestamp).transpose()?;
                    let newest = inserted.iter().map(|e| e.occurred_at).max();
                    match shipgate_domain::Timeline::fold_after(&shipment.state, latest, inserted.clone()) {
                        Some(timeline) => {
                            folds.insert(*id, (timeline, latest.max(newest), true));
                        }
                        None => refold.push(*id),
                    }
                    inserted_of.insert(*id, inserted);
                }
                Ok::<_, $crate::StoreError>((inserted_of, folds, refold))
            };
            // The projections of the shipments that got events.
            let updated_at = jiff::Timestamp::now();
            let bind_updates = |shipments: &Locked, folds: &HashMap<&str, (shipgate_domain::Timeline, Option<jiff::Timestamp>, bool)>| {
                let changed: Vec<&str> = order.iter().copied().filter(|id| folds.contains_key(id)).collect();
                changed
                    .chunks(ROWS_PER_STATEMENT)
                    .map(|chunk| {
                        let sql = format!(
                            "UPDATE shipments SET status = v.column2, progress = v.column3, failed_attempts = v.column4, \
                             ndr_reason = v.column5, last_event_at = v.column6, updated_at = v.column7, next_poll_at = v.column8, \
                             latest_event_at = v.column9, picked_up_at = v.column10 FROM (VALUES {}) AS v WHERE shipments.id = v.column1",
                            values_rows(chunk.len(), 10, 1)
                        );
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                        for id in chunk {
                            let (timeline, latest, _) = &folds[id];
                            let st = &timeline.state;
                            let has_account = shipments[*id].0.carrier_account_id.is_some();
                            q = q
                                .bind(*id)
                                .bind(st.status.as_str())
                                .bind(st.progress.as_str())
                                .bind(i64::from(st.failed_attempts))
                                .bind(st.ndr_reason.map(|r| r.as_str()))
                                .bind(st.last_event_at.map(micros))
                                .bind(micros(updated_at))
                                .bind($crate::shared::next_poll(has_account, st.status, updated_at))
                                .bind(latest.map(micros))
                                .bind(st.picked_up_at.map(micros));
                        }
                        q
                    })
                    .collect::<Vec<_>>()
            };
            let mut bound = bound.into_iter();
            let mut seqs: HashMap<String, i64> = HashMap::with_capacity(rows.len());
            // Where the backend numbers a full insert's rows (SQLite), the fold
            // and the projections' statements are worked out while the last
            // insert runs, on the guess that every event is new (carriers
            // seldom send a scan twice), numbered in the order given; the
            // guess is checked when the inserts return.
            let mut guessed = None;
            let last = rows.len().div_ceil(ROWS_PER_STATEMENT).saturating_sub(1);
            for (i, chunk) in rows.chunks(ROWS_PER_STATEMENT).enumerate() {
                if Self::NUMBERS_FULL_INSERTS {
                    let q = bound.next().expect("one insert bound per chunk");
                    let undecoded = undecoded.take();
                    let result = if i == last || undecoded.is_some() {
                        let (result, guess) = $crate::shared::meanwhile(q.execute(&mut *$tx), || {
                            if let Some(locked) = undecoded {
                                shipments = decode(locked)?;
                            }
                            if i != last {
                                return Ok(None);
                            }
                            let order_given: HashMap<&str, i64> =
                                rows.iter().enumerate().map(|(n, (_, e))| (e.id.as_str(), n as i64)).collect();
                            let (inserted_of, folds, refold) = fold_new(&shipments, &|id| order_given.get(id).copied())?;
                            // Folded from history, the projections wait for that read.
                            let updates = refold.is_empty().then(|| bind_updates(&shipments, &folds));
                            Ok::<_, $crate::StoreError>(Some((inserted_of, folds, refold, updates)))
                        })
                        .await;
                        if let Some(guess) = guess? {
                            guessed = Some(guess);
                        }
                        result?
                    } else {
                        q.execute(&mut *$tx).await?
                    };
                    match Self::inserted_rowids(&result, chunk.len()) {
                        Some(range) => seqs.extend(chunk.iter().map(|(_, e)| e.id.clone()).zip(range)),
                        None if result.rows_affected() > 0 => {
                            // Some were repeats: which went in, read back.
                            let sql = format!(
                                "SELECT id, seq FROM shipment_events WHERE id IN ({})",
                                $crate::shared::placeholders(chunk.len(), 1)
                            );
                            let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                            for (_, e) in chunk {
                                q = q.bind(e.id.as_str());
                            }
                            seqs.extend(q.fetch_all(&mut *$tx).await?);
                        }
                        None => {}
                    }
                } else {
                    let sql = format!("{} RETURNING id, seq", insert_sql(chunk.len()));
                    let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                    for (shipment_id, e) in chunk {
                        q = $crate::shared::bind_event!(q, tenant_id, *shipment_id, e);
                    }
                    seqs.extend(q.fetch_all(&mut *$tx).await?);
                }
            }
            phases.push(("insert_events", phase.elapsed().as_micros()));
            let (mut inserted_of, mut folds, refold, bound_updates) = match guessed {
                // All new: the guess holds, with the numbers the database gave.
                Some((mut inserted_of, mut folds, refold, updates)) if seqs.len() == rows.len() => {
                    for e in inserted_of.values_mut().flatten() {
                        e.seq = seqs[&e.id];
                    }
                    for (timeline, _, _) in folds.values_mut() {
                        for entry in &mut timeline.entries {
                            entry.event.seq = seqs[&entry.event.id];
                        }
                    }
                    (inserted_of, folds, refold, updates)
                }
                _ => {
                    let (inserted_of, folds, refold) = fold_new(&shipments, &|id| seqs.get(id).copied())?;
                    (inserted_of, folds, refold, None)
                }
            };
            for chunk in refold.chunks(ROWS_PER_STATEMENT) {
                let sql = format!(
                    concat!("SELECT shipment_id, ", $crate::rows::event_columns!(), " FROM shipment_events WHERE shipment_id IN ({})"),
                    $crate::shared::placeholders(chunk.len(), 1)
                );
                let mut q = sqlx::query_as::<_, $crate::rows::ShipmentEventRow>(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                for id in chunk {
                    q = q.bind(*id);
                }
                let mut histories: HashMap<String, Vec<shipgate_domain::ShipmentEvent>> = HashMap::new();
                for row in q.fetch_all(&mut *$tx).await? {
                    histories.entry(row.shipment_id).or_default().push(shipgate_domain::ShipmentEvent::try_from(row.event)?);
                }
                for id in chunk {
                    let history = histories.remove(*id).unwrap_or_default();
                    let latest = history.iter().map(|e| e.occurred_at).max();
                    folds.insert(*id, (shipgate_domain::Timeline::build(history), latest, false));
                }
            }
            phases.push(("fold", phase.elapsed().as_micros()));
            let mut updates = bound_updates.unwrap_or_else(|| bind_updates(&shipments, &folds)).into_iter();
            // What each recording did, and what it calls for, but for the NDR
            // records' writes and what follows from the NDRs they raise.
            let mut stats = $crate::performance::StatsChanges::default();
            let mut work_out = || {
                let mut recordings = Vec::with_capacity(order.len());
                for id in &order {
                    let (mut shipment, _) = shipments.remove(*id).expect("locked above");
                    let previous = shipment.state.clone();
                    let facts = &merged[id].1;
                    shipment.carrier_facts.edd = facts.edd.or(shipment.carrier_facts.edd);
                    shipment.carrier_facts.attempts = facts.attempts.or(shipment.carrier_facts.attempts);
                    if facts.proof_of_delivery.is_some() {
                        shipment.carrier_facts.proof_of_delivery = facts.proof_of_delivery.clone();
                    }
                    let inserted = inserted_of.remove(*id).unwrap_or_default();
                    let mut not_applied = Vec::new();
                    let mut ndrs = $crate::shared::NdrPlan::default();
                    if let Some((timeline, _, onto_stored)) = folds.remove(*id) {
                        not_applied = timeline
                            .entries
                            .iter()
                            .filter(|e| !e.applied && inserted.iter().any(|i| i.id == e.event.id))
                            .map(|e| e.event.id.clone())
                            .collect();
                        shipment.state = timeline.state.clone();
                        shipment.updated_at = updated_at;
                        stats.state_change(&shipment, &previous);
                        // Attempts counted as the fold counts them: onto the stored
                        // state, from its count and status; else from the start.
                        let (attempts, last) = if onto_stored {
                            (i64::from(previous.failed_attempts), Some(previous.status))
                        } else {
                            (0, None)
                        };
                        ndrs = $crate::shared::NdrPlan::of(&shipment, &timeline, attempts, last);
                    }
                    let duplicates = merged[id].0.len() - inserted.len();
                    let recorded = $crate::EventsRecorded { previous, shipment, inserted, duplicates, not_applied, raised_ndrs: Vec::new() };
                    // None raised: what it calls for is known now.
                    let more = ndrs.raise.is_empty().then(|| follow_up(&recorded));
                    recordings.push((recorded, ndrs, more));
                }
                recordings
            };
            // SQLite's thread runs the first projections statement while this
            // one works that out.
            let mut recordings = match updates.next() {
                Some(first) => {
                    let (done, recordings) = $crate::shared::meanwhile(first.execute(&mut *$tx), work_out).await;
                    done?;
                    recordings
                }
                None => work_out(),
            };
            // The outbox rows of the webhooks known now (all but those
            // following from NDRs raised), bound while the next runs.
            let outbox_now = $crate::rows::now();
            let known: Vec<$crate::WebhookEvent> = recordings
                .iter_mut()
                .filter_map(|(_, _, more)| more.as_mut())
                .flat_map(|more| std::mem::take(&mut more.webhooks))
                .collect();
            let bind_outbox = |events: &[$crate::WebhookEvent]| {
                $crate::shared::bind_webhook_messages!($crate::shared::outbox_messages(tenant_id, &endpoints, events, outbox_now), false)
            };
            let mut outbox = None;
            for q in updates {
                if outbox.is_none() {
                    let (done, bound) = $crate::shared::meanwhile(q.execute(&mut *$tx), || bind_outbox(&known)).await;
                    done?;
                    outbox = Some(bound);
                } else {
                    q.execute(&mut *$tx).await?;
                }
            }
            let outbox = outbox.unwrap_or_else(|| bind_outbox(&known));
            phases.push(("update", phase.elapsed().as_micros()));
            // What the carrier says beyond scans; what it left out stays as it was.
            let with_facts: Vec<&str> = order.iter().copied().filter(|id| merged[id].1 != Default::default()).collect();
            for chunk in with_facts.chunks(ROWS_PER_STATEMENT) {
                let sql = format!(
                    "UPDATE shipments SET carrier_edd = COALESCE(v.column2, carrier_edd), \
                     carrier_attempts = COALESCE(v.column3, carrier_attempts), \
                     proof_of_delivery = COALESCE(v.column4, proof_of_delivery) FROM (VALUES {}) AS v \
                     WHERE shipments.id = v.column1",
                    values_rows(chunk.len(), 4, 1)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                for id in chunk {
                    let facts = &merged[id].1;
                    q = q
                        .bind(*id)
                        .bind(facts.edd.map(|d| d.to_string()))
                        .bind(facts.attempts.map(i64::from))
                        .bind(facts.proof_of_delivery.as_deref());
                }
                q.execute(&mut *$tx).await?;
            }
            phases.push(("facts", phase.elapsed().as_micros()));
            // The NDR records, then what the rest calls for.
            let mut all = Vec::with_capacity(recordings.len());
            let mut jobs = Vec::new();
            let mut webhooks = Vec::new();
            for (mut recorded, ndrs, more) in recordings {
                recorded.raised_ndrs = $crate::shared::write_ndrs!(&mut $tx, &recorded.shipment, ndrs);
                let more = match more {
                    Some(more) => more,
                    None => follow_up(&recorded),
                };
                jobs.extend(more.jobs);
                webhooks.extend(more.webhooks);
                all.push(recorded);
            }
            phases.push(("follow_up", phase.elapsed().as_micros()));
            // Only changes to what the report counts write (one row and its
            // carrier's all-lanes row per shipment whose counts moved).
            $crate::shared::write_performance_changes!($tx, tenant_id, &stats)?;
            phases.push(("performance", phase.elapsed().as_micros()));
            for job in &jobs {
                $crate::shared::insert_job!(&mut *$tx, job)?;
            }
            for q in outbox.into_iter().chain(bind_outbox(&webhooks)) {
                q.fetch_all(&mut *$tx).await?;
            }
            phases.push(("outbox", phase.elapsed().as_micros()));
            tracing::debug!(shipments = order.len(), refolded = refold.len(), lock_fetch_us = fetched as u64, phases = ?phases, "recording phases (µs since start)");
            Ok::<_, $crate::StoreError>(all)
        }
        .await
    }};
}
pub(crate) use record_batch_in_tx;

/// The tenant's enabled webhook endpoints, each with the event types it
/// subscribes to.
macro_rules! subscribed_endpoints {
    ($conn:expr, $tenant_id:expr) => {{
        async {
            sqlx::query_as::<_, (String, String)>(
                "SELECT id, event_types FROM webhook_endpoints WHERE tenant_id = $1 AND enabled ORDER BY id",
            )
            .bind($tenant_id)
            .fetch_all($conn)
            .await?
            .into_iter()
            .map(|(id, types)| Ok((id, $crate::rows::parse_event_types(&types)?)))
            .collect::<$crate::Result<Vec<(String, Vec<String>)>>>()
        }
        .await
    }};
}
pub(crate) use subscribed_endpoints;

/// The outbox messages of `events`: one per event and endpoint subscribed
/// to its type, due `now`.
pub(crate) fn outbox_messages(
    tenant_id: &str,
    endpoints: &[(String, Vec<String>)],
    events: &[crate::WebhookEvent],
    now: jiff::Timestamp,
) -> Vec<crate::WebhookMessage> {
    let mut messages = Vec::new();
    for event in events {
        for (endpoint_id, _) in endpoints
            .iter()
            .filter(|(_, types)| types.contains(&event.event_type))
        {
            messages.push(crate::WebhookMessage {
                id: crate::new_id("msg"),
                tenant_id: tenant_id.to_string(),
                endpoint_id: endpoint_id.clone(),
                event_key: event.key.clone(),
                event_type: event.event_type.clone(),
                payload: event.payload.clone(),
                status: crate::WebhookMessageStatus::Pending,
                next_attempt_at: Some(now),
                created_at: now,
                attempts: Vec::new(),
            });
        }
    }
    messages
}

/// The statements inserting `$messages` (one per event and endpoint:
/// fanning an event out again adds nothing), `RETURNING id` when
/// `$which_new` (on SQLite each row back is a thread hand-off, so callers
/// that ignore which were new say false). The messages' text moves into
/// the statements.
macro_rules! bind_webhook_messages {
    ($messages:expr, $which_new:expr) => {{
        use $crate::shared::{ROWS_PER_STATEMENT, values_rows};
        let messages: Vec<$crate::WebhookMessage> = $messages;
        let which_new: bool = $which_new;
        let mut statements = Vec::with_capacity(messages.len().div_ceil(ROWS_PER_STATEMENT));
        let mut messages = messages.into_iter().peekable();
        while messages.peek().is_some() {
            let chunk: Vec<$crate::WebhookMessage> =
                messages.by_ref().take(ROWS_PER_STATEMENT).collect();
            let sql = format!(
                concat!(
                    "INSERT INTO webhook_messages (",
                    $crate::rows::webhook_message_columns!(),
                    ", updated_at) VALUES {} ON CONFLICT (endpoint_id, event_key) DO NOTHING{}"
                ),
                values_rows(chunk.len(), 11, 1),
                if which_new { " RETURNING id" } else { "" }
            );
            let mut q =
                sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
            for m in chunk {
                q = q
                    .bind(m.id)
                    .bind(m.tenant_id)
                    .bind(m.endpoint_id)
                    .bind(m.event_key)
                    .bind(m.event_type)
                    .bind(m.payload)
                    .bind(m.status.as_str())
                    .bind(0_i64)
                    .bind(m.next_attempt_at.map($crate::rows::micros))
                    .bind($crate::rows::micros(m.created_at))
                    .bind($crate::rows::micros(m.created_at));
            }
            statements.push(q);
        }
        statements
    }};
}
pub(crate) use bind_webhook_messages;

/// Writes the outbox: one message per event and enabled endpoint of the
/// tenant subscribed to its type, due now (one per event and endpoint:
/// fanning an event out again adds nothing). Yields the new messages.
macro_rules! insert_webhook_messages {
    ($tx:ident, $tenant_id:expr, $events:expr) => {{
        async {
            let tenant_id: &str = $tenant_id;
            let endpoints = $crate::shared::subscribed_endpoints!(&mut *$tx, tenant_id)?;
            let mut messages = $crate::shared::outbox_messages(
                tenant_id,
                &endpoints,
                $events,
                $crate::rows::now(),
            );
            let mut new_ids = std::collections::HashSet::new();
            for q in $crate::shared::bind_webhook_messages!(messages.clone(), true) {
                new_ids.extend(q.fetch_all(&mut *$tx).await?);
            }
            messages.retain(|m| new_ids.contains(&m.id));
            Ok::<_, $crate::StoreError>(messages)
        }
        .await
    }};
}
pub(crate) use insert_webhook_messages;

/// Runs a claim statement (`$1` the claimant, `$2` the lease's end, `$3`
/// now, `$4` the limit) in a write transaction; yields the rows claimed.
macro_rules! claim_rows {
    ($store:ident, $row:ty, $sql:expr, $claimant:expr, $now:expr, $lease:expr, $limit:expr) => {{
        let mut tx = $store.begin_write().await?;
        let rows = sqlx::query_as::<_, $row>($sql)
            .bind($claimant)
            .bind($now + $lease.as_micros() as i64)
            .bind($now)
            .bind(i64::from($limit))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows
    }};
}
pub(crate) use claim_rows;

/// Whether any row of `$from_where` (`$1`: now) is due: idle workers look
/// on a reader before they take the write lock (SQLite has one writer).
macro_rules! any_due {
    ($store:ident, $from_where:literal, $now:expr) => {
        sqlx::query_scalar::<_, i64>(concat!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM ",
            $from_where,
            " LIMIT 1) AS due"
        ))
        .bind($now)
        .fetch_one(&$store.pool)
        .await?
            > 0
    };
}
pub(crate) use any_due;

/// Keeps an endpoint's failure streak after a failed attempt at `at`, and
/// disables it if it has been failing since before `disable_if_since`.
macro_rules! note_webhook_failure {
    ($tx:ident, $endpoint_id:expr, $at:expr, $disable_if_since:expr, $reason:expr) => {{
        async {
            use $crate::rows::micros;
            sqlx::query("UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $1) WHERE id = $2")
                .bind(micros($at))
                .bind($endpoint_id)
                .execute(&mut *$tx)
                .await?;
            sqlx::query(
                "UPDATE webhook_endpoints SET enabled = $1, disabled_reason = $2, updated_at = $3 \
                 WHERE id = $4 AND enabled AND failing_since <= $5",
            )
            .bind(false)
            .bind($reason)
            .bind(micros(jiff::Timestamp::now()))
            .bind($endpoint_id)
            .bind(micros($disable_if_since))
            .execute(&mut *$tx)
            .await?;
            Ok::<_, $crate::StoreError>(())
        }
        .await
    }};
}
pub(crate) use note_webhook_failure;

/// `$1 … $N` as `?`, for statements whose placeholders appear in the order
/// they are numbered (the generated ones).
pub(crate) fn anonymous_placeholders(sql: &str) -> String {
    // Bytes, not chars: `$` and digits are ASCII, so every cut is a char
    // boundary, and the text between placeholders is copied whole.
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            out.push_str(&sql[copied..i]);
            out.push('?');
            i += 1;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&sql[copied..]);
    out
}

/// A bind parameter of a statement built at run time.
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// The parameters of a statement built at run time, in order; each method
/// adds one and returns its placeholder (`$n`).
#[derive(Default)]
pub(crate) struct Args(pub Vec<Arg>);

impl Args {
    pub fn text(&mut self, value: &str) -> String {
        self.0.push(Arg::Text(value.to_string()));
        format!("${}", self.0.len())
    }

    pub fn int(&mut self, value: i64) -> String {
        self.0.push(Arg::Int(value));
        format!("${}", self.0.len())
    }
}

/// `$first, $first+1, …`: `n` placeholders for an `IN` list.
pub(crate) fn placeholders(n: usize, first: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What keeps a shipment's NDR records in step with its re-folded timeline,
/// decided before the recording transaction writes it: every failed attempt in it has a record
/// (numbered by its place among the attempts; one that only became a new
/// attempt now, because a late scan landed before it, gets its record now),
/// and the new state settles earlier ones (delivered, returning, superseded
/// by a later failure, or ended otherwise). The writes are `write_ndrs`'s.
/// A timeline folded onto the stored state holds only the new events: the
/// count of attempts and the last applied status before them are given.
#[derive(Default)]
pub(crate) struct NdrPlan {
    /// Attempt number, reason, remarks and time of each failed attempt to record.
    pub raise: Vec<(i64, shipgate_domain::NdrReason, Option<String>, i64)>,
    /// The state earlier records settle into, and the attempt they are below.
    pub settle: Option<(shipgate_domain::ndr::NdrState, i64)>,
}

impl NdrPlan {
    pub(crate) fn of(
        shipment: &shipgate_domain::Shipment,
        timeline: &shipgate_domain::Timeline,
        attempts_before: i64,
        last_before: Option<shipgate_domain::ShipmentStatus>,
    ) -> Self {
        use shipgate_domain::ShipmentStatus as S;
        use shipgate_domain::ndr::NdrState;
        use shipgate_domain::status::Phase;
        let mut raise = Vec::new();
        let mut attempt = attempts_before;
        let mut previous = last_before;
        for entry in timeline.entries.iter().filter(|e| e.applied) {
            let e = &entry.event;
            // As the fold counts them: another failure scan while already
            // failed (a carrier reporting one attempt twice) is no new attempt.
            let new_attempt = e.status == S::DeliveryFailed && previous != Some(S::DeliveryFailed);
            previous = Some(e.status);
            if new_attempt {
                attempt += 1;
                raise.push((
                    attempt,
                    e.ndr_reason.unwrap_or(shipgate_domain::NdrReason::Unknown),
                    e.description.clone(),
                    crate::rows::micros(e.occurred_at),
                ));
            }
        }
        let status = shipment.state.status;
        let settle = match status {
            S::Delivered => Some((NdrState::ResolvedDelivered, i64::MAX)),
            s if matches!(s.phase(), Phase::Rto { .. }) => Some((NdrState::ResolvedRto, i64::MAX)),
            S::DeliveryFailed => Some((NdrState::Closed, attempt)),
            s if s.is_terminal() => Some((NdrState::Closed, i64::MAX)),
            _ => None,
        };
        Self { raise, settle }
    }
}

/// Writes an `NdrPlan` inside the recording transaction; yields the ids of
/// the records raised.
macro_rules! write_ndrs {
    ($tx:expr, $shipment:expr, $plan:expr) => {{
        let shipment: &shipgate_domain::Shipment = $shipment;
        let plan: $crate::shared::NdrPlan = $plan;
        let now = $crate::rows::micros(jiff::Timestamp::now());
        let mut raised = Vec::new();
        for (attempt, reason, remarks, occurred_at) in plan.raise {
            let id = sqlx::query_scalar::<_, String>(
                "INSERT INTO ndrs (id, tenant_id, shipment_id, carrier, awb, attempt, reason, remarks, occurred_at, state, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $10) ON CONFLICT (shipment_id, attempt) DO NOTHING RETURNING id",
            )
            .bind($crate::new_id("ndr"))
            .bind(&shipment.tenant_id)
            .bind(&shipment.id)
            .bind(&shipment.carrier)
            .bind(&shipment.awb)
            .bind(attempt)
            .bind(reason.as_str())
            .bind(remarks)
            .bind(occurred_at)
            .bind(now)
            .fetch_optional(&mut **$tx)
            .await?;
            raised.extend(id);
        }
        if let Some((state, below)) = plan.settle {
            sqlx::query(
                "UPDATE ndrs SET state = $1, resolved_at = $2, updated_at = $2 WHERE shipment_id = $3 AND attempt < $4 \
                 AND state IN ('open', 'action_requested', 'action_sent', 'failed')",
            )
            .bind(state.as_str())
            .bind(now)
            .bind(&shipment.id)
            .bind(below)
            .execute(&mut **$tx)
            .await?;
        }
        raised
    }};
}
pub(crate) use write_ndrs;

/// Inserts an event unless the same report is stored already; yields its
/// recording sequence number if it was new.
/// Binds an event's 13 columns, in `shipment_events` order.
/// Binds a carrier push's seven columns (id, tenant_id, carrier_account_id,
/// received_at, headers, body, status), stored with `status`.
macro_rules! bind_push {
    ($q:expr, $push:expr, $status:expr) => {{
        let push: &$crate::CarrierPush = $push;
        let status: $crate::PushStatus = $status;
        $q.bind(push.id.as_str())
            .bind(push.tenant_id.as_str())
            .bind(push.carrier_account_id.as_str())
            .bind($crate::rows::micros(push.received_at))
            .bind(serde_json::to_string(&push.headers).unwrap_or_default())
            .bind(push.body.as_slice())
            .bind(status.as_str())
    }};
}
pub(crate) use bind_push;

macro_rules! bind_event {
    ($q:expr, $tenant_id:expr, $shipment_id:expr, $e:expr) => {{
        let e: &shipgate_domain::ShipmentEvent = $e;
        $q.bind(e.id.as_str())
            .bind($tenant_id)
            .bind($shipment_id)
            .bind(e.status.as_str())
            .bind($crate::rows::micros(e.occurred_at))
            .bind($crate::rows::micros(e.recorded_at))
            .bind(e.source.as_str())
            .bind(e.dedupe_key())
            .bind(e.carrier_code.as_deref())
            .bind(e.description.as_deref())
            .bind(e.location.as_deref())
            .bind(e.ndr_reason.map(|r| r.as_str()))
            .bind(e.actor.as_deref())
    }};
}
pub(crate) use bind_event;

macro_rules! insert_event {
    ($conn:expr, $tenant_id:expr, $shipment_id:expr, $event:expr) => {{
        let e: &shipgate_domain::ShipmentEvent = $event;
        let q = sqlx::query_scalar::<_, i64>(
            "INSERT INTO shipment_events (id, tenant_id, shipment_id, status, occurred_at, recorded_at, source, \
             dedupe_key, carrier_code, description, location, ndr_reason, actor) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (shipment_id, dedupe_key) DO NOTHING RETURNING seq",
        );
        $crate::shared::bind_event!(q, $tenant_id, $shipment_id, e)
        .fetch_optional($conn)
        .await
        .map_err($crate::StoreError::from)
    }};
}
pub(crate) use insert_event;

/// The summed counts of `carrier_lane_daily_stats` rows (columns prefixed
/// by `$p`), in `PerformanceCounts` order.
macro_rules! performance_sums {
    ($p:literal) => {
        concat!(
            "CAST(SUM(",
            $p,
            "shipments) AS BIGINT), CAST(SUM(",
            $p,
            "delivered) AS BIGINT), ",
            "CAST(SUM(",
            $p,
            "rto) AS BIGINT), CAST(SUM(",
            $p,
            "with_ndr) AS BIGINT), ",
            "CAST(SUM(",
            $p,
            "promised) AS BIGINT), CAST(SUM(",
            $p,
            "on_time) AS BIGINT), ",
            "CAST(SUM(",
            $p,
            "order_to_delivery_micros) AS BIGINT), CAST(SUM(",
            $p,
            "picked_up_and_delivered) AS BIGINT), ",
            "CAST(SUM(",
            $p,
            "pickup_to_delivery_micros) AS BIGINT)"
        )
    };
}
pub(crate) use performance_sums;

/// The tenant's (`$1`) busiest lanes overall (`$2` of them) with their
/// counts summed over days `$3` to `$4`, those with shipments then: each
/// lane's days read by the primary key. Both planners must be told so, or
/// they may scan every day row of the tenant (as many as its shipments):
/// SQLite keeps the left table of a CROSS JOIN outside, PostgreSQL runs a
/// LATERAL subquery per lane.
macro_rules! busiest_lanes_sql {
    (join) => {
        concat!(
            "SELECT s.carrier, s.origin_prefix, s.destination_prefix, ", $crate::shared::performance_sums!("s."),
            " FROM (", $crate::shared::busiest_lanes_sql!(ranked), ") l \
             CROSS JOIN carrier_lane_daily_stats s WHERE s.tenant_id = $1 AND s.origin_prefix = l.origin_prefix \
               AND s.destination_prefix = l.destination_prefix AND s.carrier = l.carrier AND s.day >= $3 AND s.day <= $4 \
             GROUP BY s.carrier, s.origin_prefix, s.destination_prefix HAVING SUM(s.shipments) > 0"
        )
    };
    (lateral) => {
        concat!(
            "SELECT l.carrier, l.origin_prefix, l.destination_prefix, x.* FROM (", $crate::shared::busiest_lanes_sql!(ranked), ") l, \
             LATERAL (SELECT ", $crate::shared::performance_sums!("s."), " FROM carrier_lane_daily_stats s \
               WHERE s.tenant_id = $1 AND s.origin_prefix = l.origin_prefix AND s.destination_prefix = l.destination_prefix \
               AND s.carrier = l.carrier AND s.day >= $3 AND s.day <= $4 HAVING SUM(s.shipments) > 0) x"
        )
    };
    (ranked) => {
        "SELECT carrier, origin_prefix, destination_prefix FROM carrier_lanes WHERE tenant_id = $1 \
         ORDER BY shipments DESC, carrier DESC, origin_prefix DESC, destination_prefix DESC LIMIT $2"
    };
}
pub(crate) use busiest_lanes_sql;

/// Adds `StatsChanges` to the carrier performance counts inside the
/// caller's transaction: one upsert per 256 rows changed, and one for the
/// lanes whose shipment count changed (the busiest-lanes ranking).
macro_rules! write_performance_changes {
    ($tx:expr, $tenant_id:expr, $changes:expr) => {{
        async {
            use $crate::shared::{ROWS_PER_STATEMENT, values_rows};
            let tenant_id: &str = $tenant_id;
            let changes: &$crate::performance::StatsChanges = $changes;
            let rows = changes.nonzero();
            // Which copy of each row this transaction adds to (readers sum them).
            let shard = Self::performance_shard();
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let sql = format!(
                    "INSERT INTO carrier_lane_daily_stats (tenant_id, origin_prefix, destination_prefix, carrier, day, \
                     shipments, delivered, rto, with_ndr, promised, on_time, order_to_delivery_micros, \
                     picked_up_and_delivered, pickup_to_delivery_micros, shard) VALUES {} \
                     ON CONFLICT (tenant_id, origin_prefix, destination_prefix, carrier, day, shard) DO UPDATE SET \
                     shipments = carrier_lane_daily_stats.shipments + excluded.shipments, \
                     delivered = carrier_lane_daily_stats.delivered + excluded.delivered, \
                     rto = carrier_lane_daily_stats.rto + excluded.rto, \
                     with_ndr = carrier_lane_daily_stats.with_ndr + excluded.with_ndr, \
                     promised = carrier_lane_daily_stats.promised + excluded.promised, \
                     on_time = carrier_lane_daily_stats.on_time + excluded.on_time, \
                     order_to_delivery_micros = carrier_lane_daily_stats.order_to_delivery_micros + excluded.order_to_delivery_micros, \
                     picked_up_and_delivered = carrier_lane_daily_stats.picked_up_and_delivered + excluded.picked_up_and_delivered, \
                     pickup_to_delivery_micros = carrier_lane_daily_stats.pickup_to_delivery_micros + excluded.pickup_to_delivery_micros",
                    values_rows(chunk.len(), 15, 1)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                for (k, c) in chunk {
                    q = q
                        .bind(tenant_id)
                        .bind(&k.origin_prefix)
                        .bind(&k.destination_prefix)
                        .bind(&k.carrier)
                        .bind(k.day)
                        .bind(c.shipments)
                        .bind(c.delivered)
                        .bind(c.rto)
                        .bind(c.with_ndr)
                        .bind(c.promised)
                        .bind(c.on_time)
                        .bind(c.order_to_delivery)
                        .bind(c.picked_up_and_delivered)
                        .bind(c.pickup_to_delivery)
                        .bind(shard);
                }
                q.execute(&mut *$tx).await?;
            }
            let lanes = changes.lane_counts();
            for chunk in lanes.chunks(ROWS_PER_STATEMENT) {
                let sql = format!(
                    "INSERT INTO carrier_lanes (tenant_id, carrier, origin_prefix, destination_prefix, shipments) VALUES {} \
                     ON CONFLICT (tenant_id, carrier, origin_prefix, destination_prefix) DO UPDATE SET \
                     shipments = carrier_lanes.shipments + excluded.shipments",
                    values_rows(chunk.len(), 5, 1)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(Self::dynamic_sql(sql)));
                for ((carrier, origin_prefix, destination_prefix), n) in chunk {
                    q = q.bind(tenant_id).bind(*carrier).bind(*origin_prefix).bind(*destination_prefix).bind(*n);
                }
                q.execute(&mut *$tx).await?;
            }
            Ok::<_, $crate::StoreError>(())
        }
        .await
    }};
}
pub(crate) use write_performance_changes;

/// Inserts one shipment row (its projection and details) on `$conn`;
/// `Conflict` when its AWB is taken.
macro_rules! insert_shipment_row {
    ($conn:expr, $shipment:expr, $events:expr) => {{
        use $crate::rows::micros;
        let s: &shipgate_domain::Shipment = $shipment;
        let events: &[shipgate_domain::ShipmentEvent] = $events;
                let inserted = sqlx::query(concat!(
                    "INSERT INTO shipments (",
                    $crate::rows::shipment_columns!(),
                    ", consignee_phone, pickup_postal_code, consignee_postal_code, next_poll_at, latest_event_at) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)"
                ))
                .bind(&s.id)
                .bind(&s.tenant_id)
                .bind(&s.order_reference)
                .bind(&s.carrier)
                .bind(&s.awb)
                .bind(s.state.status.as_str())
                .bind(s.state.progress.as_str())
                .bind(i64::from(s.state.failed_attempts))
                .bind(s.state.ndr_reason.map(|r| r.as_str()))
                .bind(s.state.last_event_at.map(micros))
                .bind(s.payment_mode.as_str())
                .bind(s.cod_amount.as_ref().map(|m| m.minor_units))
                .bind(s.declared_value.minor_units)
                .bind(s.declared_value.currency.as_str())
                .bind($crate::rows::shipment_details_json(s))
                .bind(micros(s.created_at))
                .bind(micros(s.updated_at))
                .bind(s.carrier_account_id.as_deref())
                .bind(s.routing_code.as_deref())
                .bind(s.allocation.as_ref().and_then(|a| serde_json::to_string(a).ok()))
                .bind(s.carrier_facts.edd.map(|d| d.to_string()))
                .bind(s.carrier_facts.attempts.map(i64::from))
                .bind(s.carrier_facts.proof_of_delivery.as_deref())
                .bind(s.state.picked_up_at.map(micros))
                .bind(s.consignee.phone.as_str())
                .bind(s.pickup.postal_code.as_str())
                .bind(s.consignee.postal_code.as_str())
                .bind($crate::shared::next_poll(s.carrier_account_id.is_some(), s.state.status, s.updated_at))
                .bind(events.iter().map(|e| micros(e.occurred_at)).max())
                .execute($conn)
                .await;
                match inserted {
                    Err(e) if $crate::shared::is_unique_violation(&e) => {
                        Err($crate::StoreError::Conflict(format!("AWB {} is already in use", s.awb)))
                    }
                    Err(e) => Err($crate::StoreError::from(e)),
                    Ok(_) => Ok(()),
                }
    }};
}
pub(crate) use insert_shipment_row;

macro_rules! insert_job {
    ($conn:expr, $job:expr) => {{
        let job: &$crate::NewJob = $job;
        let id = $crate::new_id("job");
        let now = $crate::rows::micros(jiff::Timestamp::now());
        sqlx::query(
            "INSERT INTO jobs (id, tenant_id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5, 0, $6, $7, $7)",
        )
        .bind(&id)
        .bind(job.tenant_id.as_deref())
        .bind(&job.kind)
        .bind(job.payload.to_string())
        .bind($crate::rows::micros(job.run_at))
        .bind(i64::from(job.max_attempts))
        .bind(now)
        .execute($conn)
        .await
        .map(|_| id)
        .map_err($crate::StoreError::from)
    }};
}
pub(crate) use insert_job;

/// When to poll a shipment next: only those booked through a carrier account,
/// on the domain's schedule for its status.
pub(crate) fn next_poll(
    has_account: bool,
    status: shipgate_domain::ShipmentStatus,
    from: jiff::Timestamp,
) -> Option<i64> {
    if !has_account {
        return None;
    }
    shipgate_domain::lifecycle::poll_interval(status).map(|d| crate::rows::micros(from + d))
}

/// Hands out the oldest untaken AWB of an account's pool, once.
macro_rules! take_pool_awb_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE awb_pool SET taken_at = $2 WHERE carrier_account_id = $1 AND awb = (SELECT awb FROM awb_pool \
             WHERE carrier_account_id = $1 AND taken_at IS NULL ORDER BY fetched_at, awb LIMIT 1 ",
            $lock,
            ") RETURNING awb"
        )
    };
}
pub(crate) use take_pool_awb_sql;

/// Claims shipments due for a poll, pushing their next poll out by the lease
/// so no other process takes them meanwhile.
macro_rules! claim_polls_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE shipments SET next_poll_at = $1 WHERE id IN (SELECT id FROM shipments \
             WHERE next_poll_at <= $2 ORDER BY next_poll_at LIMIT $3 ",
            $lock,
            ") RETURNING id, tenant_id, carrier_account_id, awb, status"
        )
    };
}
pub(crate) use claim_polls_sql;

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Claims due webhook messages, moving their next attempt ahead by the lease.
macro_rules! claim_webhook_messages_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE webhook_messages SET claimed_by = $1 || ':' || id, next_attempt_at = $2 \
             WHERE id IN (SELECT id FROM webhook_messages WHERE status = 'pending' AND next_attempt_at <= $3 \
             ORDER BY next_attempt_at, id LIMIT $4 ",
            $lock,
            ") RETURNING ",
            $crate::rows::webhook_message_columns!(),
            ", schedule_step, claimed_by"
        )
    };
}
pub(crate) use claim_webhook_messages_sql;

/// Claims due jobs and jobs whose lease ran out (their worker died), oldest first.
macro_rules! claim_jobs_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
             WHERE id IN (SELECT id FROM jobs \
               WHERE (status = 'pending' AND run_at <= $3) OR (status = 'running' AND locked_until < $3 AND attempts < max_attempts) \
               ORDER BY run_at, id LIMIT $4 ",
            $lock,
            ") RETURNING ",
            $crate::rows::job_columns!()
        )
    };
}
pub(crate) use claim_jobs_sql;

/// Writes an audit entry for `$tenant_id` in the transaction `$tx` (the one
/// that makes the change it describes).
macro_rules! write_audit {
    ($tx:ident, $tenant_id:expr, $entry:expr) => {{
        let entry: &$crate::AuditEntry = $entry;
        sqlx::query(
            "INSERT INTO audit_log (id, tenant_id, at, actor_kind, actor_id, action, object_type, object_id, summary, request_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind($crate::new_id("aud"))
        .bind($tenant_id)
        .bind($crate::rows::micros($crate::rows::now()))
        .bind(entry.actor.kind())
        .bind(entry.actor.id())
        .bind(&entry.action)
        .bind(&entry.object_type)
        .bind(&entry.object_id)
        .bind(entry.summary.to_string())
        .bind(entry.request_id.as_deref())
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use write_audit;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_row_placeholders_are_numbered_in_order() {
        assert_eq!(values_rows(2, 2, 3), "($3, $4), ($5, $6)");
        assert_eq!(values_rows(1, 3, 1), "($1, $2, $3)");
        assert_eq!(values_rows(0, 3, 1), "");
    }

    #[test]
    fn numbered_placeholders_become_anonymous_and_the_rest_stays() {
        assert_eq!(
            anonymous_placeholders("SELECT $1, '$', x$ FROM t WHERE a = $12 AND b IN ($3, $40)"),
            "SELECT ?, '$', x$ FROM t WHERE a = ? AND b IN (?, ?)"
        );
        assert_eq!(anonymous_placeholders("ünï $1 ç"), "ünï ? ç");
        assert_eq!(anonymous_placeholders("$"), "$");
        assert_eq!(anonymous_placeholders(""), "");
    }
}
