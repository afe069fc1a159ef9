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

/// Two stores on one file, as two `tiyn` processes would be: each writer must decide on the
/// balances the other committed (every batch re-reads its accounts inside `BEGIN IMMEDIATE`), so
/// neither ever spends, or writes back, a stale balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_file_never_use_a_stale_balance() {
    use tiyn_store::conformance::{Fixture, kzt, transfer_command};
    let path = fresh_path();
    let first: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let second: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open again"));
    let f = Fixture::new(Arc::clone(&first), 0).await;
    f.fund(f.kzt_a, 1_000).await;
    // Warm both writers' caches with the account, then move money alternately through each.
    for round in 0..20 {
        let (store, other) = if round % 2 == 0 { (&first, &second) } else { (&second, &first) };
        store.execute(transfer_command(&format!("a{round}"), f.kzt_a, f.kzt_b, kzt(30))).await.expect("transfer");
        other.execute(transfer_command(&format!("b{round}"), f.kzt_b, f.kzt_a, kzt(10))).await.expect("transfer back");
    }
    // 20 × (−30 + 10) = −400: each writer saw every commit of the other.
    assert_eq!(f.balance(f.kzt_a).await, (600, 0));
    assert_eq!(f.balance(f.kzt_b).await, (400, 0));
    // The last 600 can be spent through either process, and not a minor unit more.
    let over = second.execute(transfer_command("over", f.kzt_a, f.kzt_b, kzt(601))).await;
    assert!(matches!(over, Err(tiyn_store::StoreError::Ledger(tiyn_ledger::LedgerError::InsufficientFunds { .. }))));
    first.execute(transfer_command("all", f.kzt_a, f.kzt_b, kzt(600))).await.expect("exactly the balance");
    let check = second.check_ledger().await.expect("check");
    assert!(check.is_sound(), "{check:?}");
}
