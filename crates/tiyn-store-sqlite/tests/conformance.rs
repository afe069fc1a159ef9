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

fn audit_key() -> tiyn_auth::AuditKey {
    tiyn_auth::MasterKey::from_bytes([9; 32]).audit_key()
}

fn audit_record(n: i64, action: &str) -> tiyn_store::NewAuditRecord {
    tiyn_store::NewAuditRecord {
        at: jiff::Timestamp::from_second(1_780_000_000 + n).expect("in range"),
        actor: None,
        partner: None,
        action: action.into(),
        object: Some(format!("session:{n}")),
        source_ip: Some("203.0.113.7".into()),
        user_agent: None,
        outcome: tiyn_store::AuditOutcome::Success,
        details: None,
    }
}

async fn verify(store: &dyn Store) -> Result<u64, tiyn_store::ChainBreak> {
    let head = store.audit_head().await.expect("head");
    let chain = store.audit_chain(0, 1_000).await.expect("chain");
    tiyn_store::audit::verify_chain(&audit_key(), &head, &chain)
}

/// a record altered in the file, even by someone who drops the guard first, breaks the
/// chain at exactly that record; a record removed from the end is noticed against the head.
#[tokio::test]
async fn r_3_4_audit_verify_detects_a_record_altered_in_the_database() {
    let path = fresh_path();
    let store = SqliteStore::open(&path).await.expect("open");
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(store.append_audit(audit_record(n, "auth.login"), &audit_key()).await.expect("append").id);
    }
    assert_eq!(verify(&store).await, Ok(5));

    let connection = rusqlite::Connection::open(&path).expect("open directly");
    let guarded = connection.execute("UPDATE audit SET action = 'auth.logout'", []).expect_err("guarded");
    assert!(guarded.to_string().contains("immutable"), "{guarded}");
    connection.execute_batch("DROP TRIGGER audit_immutable_update").expect("drop the guard");
    connection.execute("UPDATE audit SET action = 'auth.logout' WHERE id = ?1", [ids[2]]).expect("altered");
    assert_eq!(verify(&store).await, Err(tiyn_store::ChainBreak::Mismatch { id: ids[2] }));

    connection.execute("UPDATE audit SET action = 'auth.login' WHERE id = ?1", [ids[2]]).expect("restored");
    assert_eq!(verify(&store).await, Ok(5), "the original content verifies again");
    connection.execute("DELETE FROM audit WHERE id = ?1", [ids[4]]).expect("deleted");
    assert_eq!(verify(&store).await, Err(tiyn_store::ChainBreak::Truncated { expected: ids[4], found: ids[3] }));
}

/// Two stores on one file, as two `tiyn` processes: appends racing through both writers are
/// chained one after another (each reads the head inside its `BEGIN IMMEDIATE`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_3_4_two_processes_append_to_one_chain() {
    let path = fresh_path();
    let first: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let second: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open again"));
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let store = Arc::clone(if n % 2 == 0 { &first } else { &second });
            tokio::spawn(async move { store.append_audit(audit_record(n, "statements.view"), &audit_key()).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("joined").expect("appended");
    }
    assert_eq!(verify(first.as_ref()).await, Ok(40));
    assert_eq!(verify(second.as_ref()).await, Ok(40));
}

/// The record of user changes cannot be rewritten, and a block cannot be half recorded, even by
/// SQL typed into the file directly.
#[tokio::test]
async fn identity_records_are_guarded_in_the_database() {
    use tiyn_core::access::AccessLevel;
    let path = fresh_path();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let f = tiyn_store::conformance::Fixture::new(Arc::clone(&store), 0).await;
    let user = store
        .create_user(tiyn_store::NewUser {
            partner: Some(f.partner),
            full_name: "Сериков Арман".into(),
            mobile: Some(tiyn_core::MobileNumber::parse("+77015550001").expect("valid")),
            email: None,
            level: Some(AccessLevel::Confirm),
            operator_role: None,
            consent: Some(tiyn_store::Consent {
                recorded_by: "заявление №1".into(),
                recorded_at: tiyn_store::conformance::now(),
            }),
            created_at: tiyn_store::conformance::now(),
        })
        .await
        .expect("create");
    let rename = tiyn_store::UserChange {
        full_name: Some("Сериков Арман Болатович".into()), ..Default::default()
    };
    store.update_user(user, rename, None, tiyn_store::conformance::now()).await.expect("renamed");
    let connection = rusqlite::Connection::open(&path).expect("open directly");
    for sql in [
        "UPDATE user_changes SET new_value = 'x'",
        "DELETE FROM user_changes",
        "UPDATE users SET status = 'blocked'",
        "UPDATE users SET blocked_at = 1",
        "UPDATE users SET status = 'blocked', blocked_at = 1",
    ] {
        let error = connection.execute(sql, []).expect_err(sql);
        assert!(error.to_string().contains("immutable") || error.to_string().contains("block"), "{sql}: {error}");
    }
    connection
        .execute("UPDATE users SET status = 'blocked', blocked_at = 1, block_reason = 'bank'", [])
        .expect("a whole block is fine");
}

/// two stores on one file, as two `tiyn` processes, confirm one partner's
/// payments at once (the shared story): numbers, the daily limit and the balance hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_confirm_payments() {
    let path = fresh_path();
    let first: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let second: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open again"));
    tiyn_store::conformance::r_6_3_2_r_6_1_7_several_processes_confirm_payments(vec![first, second]).await;
}

/// a confirmed payment document cannot be changed, returned to draft or deleted, even by
/// SQL typed into the file directly; a draft can be deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmed_payments_are_guarded_in_the_database() {
    let path = fresh_path();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
    let (confirmed, draft) = tiyn_store::conformance::confirmed_and_draft_payment(store).await;
    let connection = rusqlite::Connection::open(&path).expect("open directly");
    for sql in [
        "UPDATE payment_documents SET amount = amount + 1 WHERE id = ?1",
        "UPDATE payment_documents SET challenge_id = 'other' WHERE id = ?1",
        "UPDATE payment_documents SET status = 'draft', challenge_id = NULL WHERE id = ?1",
        "UPDATE payment_documents SET entry_id = NULL WHERE id = ?1",
        "DELETE FROM payment_documents WHERE id = ?1",
    ] {
        let error = connection.execute(sql, [confirmed.get()]).expect_err(sql);
        assert!(error.to_string().contains("payment document"), "{sql}: {error}");
    }
    connection.execute("DELETE FROM payment_documents WHERE id = ?1", [draft.get()]).expect("a draft can be deleted");
}

/// a dealing rate, once set, cannot be changed or deleted, even by SQL typed into the file
/// directly: the history answers what was in force, and a conversion's rate id reads back the same
/// rate forever.
#[tokio::test]
async fn r_13_2_fx_rates_are_immutable_in_the_database() {
    let path = fresh_path();
    let store = SqliteStore::open(&path).await.expect("open");
    let rate = tiyn_store::fx::NewDealingRate {
        pair: tiyn_fx::Pair::against_tenge(tiyn_core::Currency::Usd).expect("pair"),
        buy: tiyn_fx::Rate::parse("470.00").expect("buy"),
        sell: tiyn_fx::Rate::parse("480.00").expect("sell"),
        valid_from: tiyn_store::conformance::now(),
        set_by: None,
        set_at: tiyn_store::conformance::now(),
    };
    let stored = store.add_fx_rate(rate).await.expect("kept");
    let connection = rusqlite::Connection::open(&path).expect("open directly");
    for sql in ["UPDATE fx_rates SET buy = buy + 1", "UPDATE fx_rates SET valid_from = 0", "DELETE FROM fx_rates"] {
        let error = connection.execute(sql, []).expect_err(sql);
        assert!(error.to_string().contains("immutable"), "{sql}: {error}");
    }
    let error = connection
        .execute(
            "INSERT INTO fx_rates (base, quote, buy, sell, valid_from, set_at) VALUES ('USD', 'KZT', 2, 1, 0, 0)",
            [],
        )
        .expect_err("buy above sell");
    assert!(error.to_string().contains("CHECK"), "{error}");
    assert_eq!(store.fx_rate(stored.id()).await.expect("read"), Some(stored));
}
