//! The shared storage story, on SQLite, plus what only SQL can show.

use std::path::PathBuf;
use std::sync::Arc;

use tiyn_store::Store;
use tiyn_store_sqlite::{SqliteOptions, SqliteStore};

fn fresh_path() -> PathBuf {
    tempfile::tempdir().expect("temp dir").keep().join("tiyn.db")
}

async fn fresh() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(&fresh_path()).await.expect("open"))
}

tiyn_store::store_conformance!(fresh().await);

/// Postings and entries cannot be updated or deleted, even by SQL typed into the file directly.
#[tokio::test]
async fn postings_are_immutable_in_the_database() {
    let path = fresh_path();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let f = tiyn_store::conformance::Fixture::new(store, 0).await;
    f.fund(f.kzt_a, 100).await;
    let connection = rusqlite::Connection::open(&path).expect("open directly");
    for sql in [
        "UPDATE postings SET amount = amount * 2",
        "DELETE FROM postings",
        "UPDATE entries SET memo = 'x'",
        "DELETE FROM entries",
    ] {
        let error = connection.execute(sql, []).expect_err(sql);
        assert!(error.to_string().contains("immutable"), "{sql}: {error}");
    }
}

/// Data survives closing and reopening the file; migrations are not applied twice.
#[tokio::test]
async fn reopening_keeps_the_ledger() {
    let path = fresh_path();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let f = tiyn_store::conformance::Fixture::new(Arc::clone(&store), 0).await;
    f.fund(f.kzt_a, 4_200).await;
    drop(f);
    drop(store);
    let reopened = SqliteStore::open(&path).await.expect("reopen");
    let accounts = reopened.partner_accounts(tiyn_core::PartnerId::new(1)).await.expect("list");
    assert_eq!(accounts[0].balance.minor(), 4_200);
    assert!(reopened.check_ledger().await.expect("check").is_sound());
}

#[tokio::test]
async fn durability_is_reported() {
    let durable = SqliteStore::open(&fresh_path()).await.expect("open");
    assert_eq!(durable.durability().await.expect("read"), tiyn_store::Durability::Durable);
    let relaxed = SqliteStore::open_with(&fresh_path(), SqliteOptions { durable: false }).await.expect("open");
    assert!(matches!(relaxed.durability().await.expect("read"), tiyn_store::Durability::NotDurable(_)));
}
