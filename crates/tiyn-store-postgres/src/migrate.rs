//! Embedded migrations, applied at connect under an advisory lock so that several processes
//! starting together apply each migration exactly once.

use sqlx::{Connection, PgPool};
use tiyn_store::StoreError;

/// Every migration, in order. A migration is never edited once released: add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_ledger.sql")),
    (2, include_str!("../migrations/0002_users.sql")),
    (3, include_str!("../migrations/0003_codes.sql")),
    (4, include_str!("../migrations/0004_sessions.sql")),
    (5, include_str!("../migrations/0005_identity.sql")),
    (6, include_str!("../migrations/0006_operator_roles.sql")),
    (7, include_str!("../migrations/0007_withheld_services.sql")),
    (8, include_str!("../migrations/0008_payments.sql")),
    (9, include_str!("../migrations/0009_payment_rules.sql")),
    (10, include_str!("../migrations/0010_payment_templates.sql")),
    (11, include_str!("../migrations/0011_payment_usage.sql")),
    (12, include_str!("../migrations/0012_collection_orders.sql")),
    (13, include_str!("../migrations/0013_fx_rates.sql")),
    (14, include_str!("../migrations/0014_payment_numbers.sql")),
    (15, include_str!("../migrations/0015_collection_transfers.sql")),
    (16, include_str!("../migrations/0016_conversions.sql")),
    (17, include_str!("../migrations/0017_incoming_credits.sql")),
    (18, include_str!("../migrations/0018_returned_credits.sql")),
    (19, include_str!("../migrations/0019_foreign_transfers.sql")),
    // 19 and 21 are reserved for other work of issue 6; the numbers need not be contiguous.
    (20, include_str!("../migrations/0020_pos.sql")),
    (21, include_str!("../migrations/0021_directories.sql")),
    // Notices and marketplace reports (issue 6, R-3.1.2.8).
    (22, include_str!("../migrations/0022_messages.sql")),
    // Marketplace payouts in planned credits (issue 6, R-3.1.2.5).
    (23, include_str!("../migrations/0023_marketplace_payout_credits.sql")),
    // The booking instant on postings, for statements in index order (issue 6, R-3.1.2.7).
    (24, include_str!("../migrations/0024_postings_booked_at.sql")),
];

/// An arbitrary constant that names Tiyn's migration lock among the database's advisory locks.
const MIGRATION_LOCK_KEY: i64 = 0x0074_6979_6e6d_6967; // "tiynmig" in ASCII

pub async fn apply(pool: &PgPool) -> Result<(), StoreError> {
    let mut connection = pool.acquire().await.map_err(StoreError::backend)?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *connection)
        .await
        .map_err(StoreError::backend)?;
    let result = apply_locked(&mut connection, i64::MAX).await;
    let unlocked =
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK_KEY).execute(&mut *connection).await;
    result?;
    unlocked.map_err(StoreError::backend)?;
    Ok(())
}

/// The migrations up to `last` (the upgrade tests stop at an earlier release's).
async fn apply_locked(connection: &mut sqlx::PgConnection, last: i64) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *connection)
    .await
    .map_err(StoreError::backend)?;
    for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version <= last) {
        let applied: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)")
            .bind(version)
            .fetch_one(&mut *connection)
            .await
            .map_err(StoreError::backend)?;
        if applied {
            continue;
        }
        let mut transaction = connection.begin().await.map_err(StoreError::backend)?;
        sqlx::raw_sql(*sql)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::Backend(format!("migration {version}: {error}")))?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(jiff::Timestamp::now().as_microsecond())
            .execute(&mut *transaction)
            .await
            .map_err(StoreError::backend)?;
        transaction.commit().await.map_err(StoreError::backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    use super::*;

    /// Migration 0024 on a ledger written before it: every posting gets its entry's instant, the
    /// ids stay, and postings stay immutable.
    #[tokio::test]
    async fn postings_written_before_0024_get_their_entrys_instant() {
        let url = tokio::task::spawn_blocking(crate::cluster::fresh_test_database)
            .await
            .expect("joined")
            .expect("a PostgreSQL test database");
        let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
        apply_locked(&mut connection, 23).await.expect("the migrations of the earlier release");
        sqlx::raw_sql(tiyn_store::conformance::LEDGER_BEFORE_0024_SQL)
            .execute(&mut connection)
            .await
            .expect("an earlier ledger");
        apply_locked(&mut connection, i64::MAX).await.expect("upgrade");
        let postings: Vec<(i64, i64, i64)> = sqlx::query_as("SELECT id, entry_id, booked_at FROM postings ORDER BY id")
            .fetch_all(&mut connection)
            .await
            .expect("rows");
        assert_eq!(postings, tiyn_store::conformance::POSTINGS_AFTER_0024);
        let error =
            sqlx::query("UPDATE postings SET amount = 1").execute(&mut connection).await.expect_err("immutable");
        assert!(error.to_string().contains("immutable"), "{error}");
        let missing =
            sqlx::query("INSERT INTO postings (entry_id, account_id, currency, amount) VALUES (10, 1, 'KZT', 1)")
                .execute(&mut connection)
                .await;
        assert!(missing.is_err(), "a posting without its instant is refused");
    }
}
