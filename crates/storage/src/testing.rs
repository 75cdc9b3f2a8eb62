//! Fresh databases for tests: every test gets its own, so tests run in parallel.
//!
//! SQLite by default (a new file under the temp dir). When
//! `SHIPGATE_TEST_POSTGRES_URL` names a PostgreSQL server (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`), a new database `sg_test_…` is
//! created there instead, so the same suites run against PostgreSQL.

use sqlx::Connection;

pub const POSTGRES_ENV: &str = "SHIPGATE_TEST_POSTGRES_URL";

/// The URL of a new, empty, unmigrated database.
pub async fn fresh_database_url() -> String {
    match std::env::var(POSTGRES_ENV) {
        Ok(admin_url) if !admin_url.is_empty() => fresh_postgres(&admin_url).await,
        _ => {
            let dir = std::env::temp_dir().join("shipgate-tests");
            std::fs::create_dir_all(&dir).expect("create temp dir for test databases");
            let path = dir.join(format!("{}.db", uuid::Uuid::now_v7().simple()));
            format!("sqlite://{}", path.display())
        }
    }
}

async fn fresh_postgres(admin_url: &str) -> String {
    let name = format!("sg_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV}={admin_url} is not reachable: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    // Swap the database name: everything after the last '/' before any '?'.
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let prefix = &base[..base.rfind('/').expect("database URL has a path")];
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// A fresh, migrated store.
pub async fn fresh_store() -> std::sync::Arc<dyn crate::Store> {
    let store = crate::connect(&fresh_database_url().await)
        .await
        .expect("open test store");
    store.migrate().await.expect("migrate test store");
    store
}
