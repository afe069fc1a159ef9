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
    let result = apply_locked(&mut connection).await;
    let unlocked =
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK_KEY).execute(&mut *connection).await;
    result?;
    unlocked.map_err(StoreError::backend)?;
    Ok(())
}

async fn apply_locked(connection: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *connection)
    .await
    .map_err(StoreError::backend)?;
    for (version, sql) in MIGRATIONS {
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
