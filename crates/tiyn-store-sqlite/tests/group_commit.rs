//! Group commit of the writes that are not ledger commands: concurrent writes share one
//! transaction, each in its own savepoint. What a caller relies on: an acknowledged write is
//! committed (it survives closing and reopening the file), and a write that fails takes nothing
//! and nobody else with it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tiyn_core::{Bin, PartnerId};
use tiyn_store::{NewPartner, Store, StoreError};
use tiyn_store_sqlite::SqliteStore;

fn fresh_path() -> PathBuf {
    tempfile::tempdir().expect("temp dir").keep().join("tiyn.db")
}

/// `count` distinct valid BINs (some serials admit no check digit and are skipped).
fn bins(count: usize) -> Vec<Bin> {
    (0..100_000).filter_map(|serial| Bin::with_check_digit(&format!("141140{serial:05}")).ok()).take(count).collect()
}

fn partner(name: String, bin: Bin) -> NewPartner {
    NewPartner {
        name, bin, legal_address: "Алматы, пр. Абая, 1".into(), created_at: tiyn_store::conformance::now()
    }
}

fn audit_key() -> tiyn_auth::AuditKey {
    tiyn_auth::MasterKey::from_bytes([9; 32]).audit_key()
}

fn audit_record(n: i64) -> tiyn_store::NewAuditRecord {
    tiyn_store::NewAuditRecord {
        at: jiff::Timestamp::from_second(1_780_000_000 + n).expect("in range"),
        actor: None,
        partner: None,
        action: "partners.create".into(),
        object: Some(format!("partner:{n}")),
        source_ip: Some("203.0.113.7".into()),
        user_agent: None,
        outcome: tiyn_store::AuditOutcome::Success,
        details: None,
    }
}

/// Holds the file's write lock from another connection, as a second `tiyn` process would, so
/// that the writes sent meanwhile queue up behind the writer and are committed as one group.
fn hold_write_lock(path: &Path) -> rusqlite::Connection {
    let connection = rusqlite::Connection::open(path).expect("open directly");
    connection.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");
    connection
}

/// Long enough for every spawned task to have queued its write behind the blocked writer.
const QUEUEING: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_are_all_committed_and_survive_reopening() {
    const PARTNERS: usize = 200;
    const AUDIT_RECORDS: i64 = 100;
    let path = fresh_path();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let lock = hold_write_lock(&path);
    let partners: Vec<_> = bins(PARTNERS)
        .into_iter()
        .enumerate()
        .map(|(n, bin)| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.create_partner(partner(format!("ТОО «Группа {n}»"), bin)).await })
        })
        .collect();
    // Audit appends open their own savepoint inside the group's: the chain must come out whole.
    let appends: Vec<_> = (0..AUDIT_RECORDS)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.append_audit(audit_record(n), &audit_key()).await })
        })
        .collect();
    tokio::time::sleep(QUEUEING).await;
    drop(lock); // rolls back the empty transaction: the writer goes on

    let mut acknowledged = BTreeSet::new();
    for task in partners {
        acknowledged.insert(task.await.expect("joined").expect("created"));
    }
    assert_eq!(acknowledged.len(), PARTNERS, "every partner has its own id");
    for task in appends {
        task.await.expect("joined").expect("appended");
    }
    let stored: BTreeSet<PartnerId> = store.partners().await.expect("list").into_iter().map(|p| p.id).collect();
    assert_eq!(stored, acknowledged, "every acknowledged partner is readable at once");

    drop(store);
    let reopened: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("reopen"));
    let stored: BTreeSet<PartnerId> = reopened.partners().await.expect("list").into_iter().map(|p| p.id).collect();
    assert_eq!(stored, acknowledged, "every acknowledged partner is in the file");
    let head = reopened.audit_head().await.expect("head");
    let chain = reopened.audit_chain(0, 1_000).await.expect("chain");
    assert_eq!(tiyn_store::audit::verify_chain(&audit_key(), &head, &chain), Ok(AUDIT_RECORDS as u64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_write_in_a_group_fails_alone() {
    const GOOD: usize = 50;
    let path = fresh_path();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let mut bins = bins(GOOD + 1);
    let taken = bins.pop().expect("one more BIN");
    let first = store.create_partner(partner("ТОО «Первый»".into(), taken)).await.expect("first");

    let lock = hold_write_lock(&path);
    let mut tasks = Vec::new();
    for (n, bin) in bins.into_iter().enumerate() {
        if n == GOOD / 2 {
            // In the middle of the group: the same BIN again.
            let store = Arc::clone(&store);
            let duplicate = partner("ТОО «Двойник»".into(), taken);
            tasks.push((true, tokio::spawn(async move { store.create_partner(duplicate).await })));
        }
        let store = Arc::clone(&store);
        let good = partner(format!("ТОО «Группа {n}»"), bin);
        tasks.push((false, tokio::spawn(async move { store.create_partner(good).await })));
    }
    tokio::time::sleep(QUEUEING).await;
    drop(lock);

    let mut created = BTreeSet::new();
    for (duplicate, task) in tasks {
        let result = task.await.expect("joined");
        if duplicate {
            assert!(matches!(result, Err(StoreError::AlreadyExists { .. })), "{result:?}");
        } else {
            created.insert(result.expect("a good partner is created"));
        }
    }
    assert_eq!(created.len(), GOOD);

    drop(store);
    let reopened = SqliteStore::open(&path).await.expect("reopen");
    let stored = reopened.partners().await.expect("list");
    assert_eq!(stored.len(), GOOD + 1, "the first partner and every good one");
    assert!(stored.iter().all(|p| p.name != "ТОО «Двойник»"), "the failed write wrote nothing");
    let with_taken_bin: Vec<_> = stored.iter().filter(|p| p.bin == taken).map(|p| p.id).collect();
    assert_eq!(with_taken_bin, vec![first]);
    let ids: BTreeSet<PartnerId> = stored.iter().map(|p| p.id).filter(|id| *id != first).collect();
    assert_eq!(ids, created, "exactly the acknowledged partners are in the file");
}
