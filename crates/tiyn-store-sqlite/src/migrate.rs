//! Embedded migrations, applied in order at open, each in its own transaction.

use rusqlite::{Connection, TransactionBehavior, params};
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

pub fn apply(connection: &mut Connection) -> Result<(), StoreError> {
    apply_through(connection, i64::MAX)
}

/// The migrations up to `last` (a database as an earlier release left it, for the upgrade tests).
fn apply_through(connection: &mut Connection, last: i64) -> Result<(), StoreError> {
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
        )
        .map_err(StoreError::backend)?;
    for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version <= last) {
        // IMMEDIATE: two processes starting at once apply each migration once.
        let transaction =
            connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::backend)?;
        let applied: bool = transaction
            .query_row("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)", [version], |row| {
                row.get(0)
            })
            .map_err(StoreError::backend)?;
        if !applied {
            transaction
                .execute_batch(sql)
                .map_err(|error| StoreError::Backend(format!("migration {version}: {error}")))?;
            let now = jiff::Timestamp::now().as_microsecond();
            transaction
                .execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)", params![version, now])
                .map_err(StoreError::backend)?;
        }
        transaction.commit().map_err(StoreError::backend)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    /// Migration 0024 on a ledger written before it: every posting gets its entry's instant, the
    /// ids stay, and postings stay immutable.
    #[test]
    fn postings_written_before_0024_get_their_entrys_instant() {
        let mut connection = Connection::open_in_memory().expect("open");
        apply_through(&mut connection, 23).expect("the migrations of the earlier release");
        connection.execute_batch(tiyn_store::conformance::LEDGER_BEFORE_0024_SQL).expect("an earlier ledger");
        apply(&mut connection).expect("upgrade");
        let postings: Vec<(i64, i64, i64)> = connection
            .prepare("SELECT id, entry_id, booked_at FROM postings ORDER BY id")
            .expect("prepare")
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(postings, tiyn_store::conformance::POSTINGS_AFTER_0024);
        let error = connection.execute("UPDATE postings SET amount = 1", []).expect_err("immutable");
        assert!(error.to_string().contains("immutable"), "{error}");
        let missing = connection
            .execute("INSERT INTO postings (entry_id, account_id, currency, amount) VALUES (10, 1, 'KZT', 1)", []);
        assert!(missing.is_err(), "a posting without its instant is refused");
    }
}
