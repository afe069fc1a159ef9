//! The shared storage story, on PostgreSQL (a throwaway cluster unless TIYN_TEST_DATABASE_URL is
//! set), plus what only SQL and several processes can show.

use std::sync::Arc;

use tiyn_store::Store;
use tiyn_store_postgres::PostgresStore;
use tiyn_store_postgres::cluster::fresh_test_database;

async fn fresh_url() -> String {
    tokio::task::spawn_blocking(fresh_test_database).await.expect("joined").expect("a PostgreSQL test database")
}

async fn fresh() -> Arc<dyn Store> {
    Arc::new(PostgresStore::connect(&fresh_url().await).await.expect("connect"))
}

tiyn_store::store_conformance!(fresh().await);

/// Postings and entries cannot be updated or deleted, even by SQL sent directly.
#[tokio::test]
async fn postings_are_immutable_in_the_database() {
    let store = Arc::new(PostgresStore::connect(&fresh_url().await).await.expect("connect"));
    let f = tiyn_store::conformance::Fixture::new(store.clone(), 0).await;
    f.fund(f.kzt_a, 100).await;
    for sql in [
        "UPDATE postings SET amount = amount * 2",
        "DELETE FROM postings",
        "UPDATE entries SET memo = 'x'",
        "DELETE FROM entries",
        "TRUNCATE postings CASCADE",
    ] {
        let error = sqlx_error(store.pool(), sql).await;
        assert!(error.contains("immutable"), "{sql}: {error}");
    }
}

async fn sqlx_error(pool: &sqlx::PgPool, sql: &'static str) -> String {
    sqlx::query(sql).execute(pool).await.expect_err(sql).to_string()
}

/// Several server processes share one database: here, four independent stores (each with its own
/// writer and pool, exactly as four `tiyn serve` processes would have) transfer concurrently
/// between the same accounts. Row locks, not in-process queues, must keep the ledger sound.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_processes_share_one_database() {
    let url = fresh_url().await;
    let first: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.expect("connect"));
    let f = tiyn_store::conformance::Fixture::new(Arc::clone(&first), 0).await;
    f.fund(f.kzt_a, 50_000).await;
    f.fund(f.kzt_b, 50_000).await;
    let mut tasks = Vec::new();
    for process in 0..4 {
        let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.expect("connect"));
        let (a, b) = (f.kzt_a, f.kzt_b);
        tasks.push(tokio::spawn(async move {
            let mut handles = Vec::new();
            for client in 0..8 {
                let store = Arc::clone(&store);
                handles.push(tokio::spawn(async move {
                    for n in 0..25 {
                        let (from, to) = if (client + n) % 2 == 0 { (a, b) } else { (b, a) };
                        let key = format!("p{process}-c{client}-{n}");
                        let command = tiyn_store::conformance::transfer_command(
                            &key,
                            from,
                            to,
                            tiyn_store::conformance::kzt(997),
                        );
                        store.execute(command.clone()).await.expect("transfer");
                        // The same key sent to another process must replay, not post again.
                        let replay = store.execute(command).await.expect("replay");
                        assert!(replay.replayed);
                    }
                }));
            }
            for handle in handles {
                handle.await.expect("client");
            }
        }));
    }
    for task in tasks {
        task.await.expect("process");
    }
    let check = first.check_ledger().await.expect("check");
    assert!(check.is_sound(), "{check:?}");
    let (a, _) = f.balance(f.kzt_a).await;
    let (b, _) = f.balance(f.kzt_b).await;
    assert_eq!(a + b, 100_000);
    let kzt = check.totals.iter().find(|total| total.currency == tiyn_core::Currency::Kzt).expect("KZT");
    assert_eq!(kzt.postings, 2 * (2 + 4 * 8 * 25));
}

/// The throwaway test cluster runs with fsync off; the store says so, so that the server's
/// durability guard would refuse it outside demo mode.
#[tokio::test]
async fn durability_is_reported() {
    let store = PostgresStore::connect(&fresh_url().await).await.expect("connect");
    let durability = store.durability().await.expect("read");
    if std::env::var(tiyn_store_postgres::cluster::TEST_DATABASE_URL_ENV).is_err() {
        assert_eq!(durability, tiyn_store::Durability::NotDurable("PostgreSQL fsync=off".into()));
    }
}

/// a record altered behind the store's back (its guard trigger disabled by someone with
/// the database's keys) no longer matches the chain, and removing the last record is noticed
/// against the head.
#[tokio::test]
async fn r_3_4_audit_verify_detects_a_record_altered_in_the_database() {
    use tiyn_store::audit::{ChainBreak, NewAuditRecord, verify_chain};
    let url = fresh_url().await;
    let store = PostgresStore::connect(&url).await.expect("connect");
    let key = tiyn_auth::AuditKey::from_bytes([9; 32]);
    let mut ids = Vec::new();
    for n in 0..5 {
        let record = NewAuditRecord {
            at: tiyn_store::conformance::now(),
            actor: None,
            partner: None,
            action: format!("test.action_{n}"),
            object: Some(format!("user:{n}")),
            source_ip: Some("192.0.2.1".into()),
            user_agent: None,
            outcome: tiyn_store::AuditOutcome::Success,
            details: None,
        };
        ids.push(store.append_audit(record, &key).await.expect("append").id);
    }
    let verify = async |store: &PostgresStore| {
        let head = store.audit_head().await.expect("head");
        verify_chain(&key, &head, &store.audit_chain(0, 1000).await.expect("chain"))
    };
    assert_eq!(verify(&store).await, Ok(5), "the untouched chain verifies");

    // The guard refuses the change as long as it is in place.
    let refused = sqlx::query("UPDATE audit SET action = 'x'").execute(store.pool()).await;
    assert!(refused.expect_err("guarded").to_string().contains("immutable"));

    // Someone with the database's keys, behind the store's back.
    let mut raw = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.expect("raw connection");
    sqlx::raw_sql("ALTER TABLE audit DISABLE TRIGGER ALL").execute(&mut raw).await.expect("disable guard");
    sqlx::query("UPDATE audit SET action = 'test.innocent' WHERE id = $1")
        .bind(ids[2])
        .execute(&mut raw)
        .await
        .expect("altered");
    assert_eq!(verify(&store).await, Err(ChainBreak::Mismatch { id: ids[2] }));
    sqlx::query("UPDATE audit SET action = 'test.action_2' WHERE id = $1")
        .bind(ids[2])
        .execute(&mut raw)
        .await
        .expect("restored");
    assert_eq!(verify(&store).await, Ok(5), "restored, the chain verifies again");

    sqlx::query("DELETE FROM audit WHERE id = $1").bind(ids[4]).execute(&mut raw).await.expect("deleted");
    assert_eq!(verify(&store).await, Err(ChainBreak::Truncated { expected: ids[4], found: ids[3] }));
}

/// with several server processes: appends from four stores sharing one database form one
/// chain, ids growing in chain order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_processes_append_to_one_audit_chain() {
    let url = fresh_url().await;
    let key = tiyn_auth::AuditKey::from_bytes([3; 32]);
    let mut tasks = Vec::new();
    for process in 0..4 {
        let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.expect("connect"));
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let mut handles = Vec::new();
            for client in 0..4 {
                let (store, key) = (Arc::clone(&store), key.clone());
                handles.push(tokio::spawn(async move {
                    for n in 0..10 {
                        let record = tiyn_store::NewAuditRecord {
                            at: tiyn_store::conformance::now(),
                            actor: None,
                            partner: None,
                            action: "test.append".into(),
                            object: Some(format!("p{process}-c{client}-{n}")),
                            source_ip: None,
                            user_agent: Some("agent\0with a NUL".into()),
                            outcome: tiyn_store::AuditOutcome::Failure("invalid_credentials".into()),
                            details: None,
                        };
                        let stored = store.append_audit(record, &key).await.expect("append");
                        let page = store.audit_chain(stored.id - 1, 1).await.expect("read back");
                        assert_eq!(page, vec![stored], "the record is stored as answered");
                    }
                }));
            }
            for handle in handles {
                handle.await.expect("client");
            }
        }));
    }
    for task in tasks {
        task.await.expect("process");
    }
    let store = PostgresStore::connect(&url).await.expect("connect");
    let head = store.audit_head().await.expect("head");
    let chain = store.audit_chain(0, 1000).await.expect("chain");
    assert_eq!(tiyn_store::audit::verify_chain(&key, &head, &chain), Ok(160));
}

/// Two full-access users of one partner demote each other at the same time through two server
/// processes: the partner's row lock makes one wait for the other, so exactly one demotion
/// succeeds and the partner keeps a full-access user. The same holds for blocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_demotions_in_two_processes_keep_a_full_user() {
    use tiyn_core::access::AccessLevel;
    let url = fresh_url().await;
    let first: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.expect("connect"));
    let second: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.expect("connect"));
    let f = tiyn_store::conformance::Fixture::new(Arc::clone(&first), 0).await;
    let now = tiyn_store::conformance::now();
    for round in 0..10 {
        let mut users = Vec::new();
        for n in 0..2 {
            let user = first
                .create_user(tiyn_store::NewUser {
                    partner: Some(f.partner),
                    full_name: format!("Пользователь {round}-{n}"),
                    mobile: None,
                    email: Some(tiyn_core::Email::parse(&format!("u{round}-{n}@demo.kz")).expect("valid")),
                    level: Some(AccessLevel::Full),
                    operator_role: None,
                    consent: Some(tiyn_store::Consent { recorded_by: "заявление".into(), recorded_at: now }),
                    created_at: now,
                })
                .await
                .expect("create");
            first.activate_user(user, "$argon2id$test", now).await.expect("activate");
            users.push(user);
        }
        let demote = |store: &Arc<dyn Store>, user, by| {
            let store = Arc::clone(store);
            tokio::spawn(async move {
                if round % 2 == 0 {
                    let change = tiyn_store::UserChange { level: Some(AccessLevel::Confirm), ..Default::default() };
                    store.update_user(user, change, Some(by), now).await.map(|_| ())
                } else {
                    let block = tiyn_store::Block {
                        reason: tiyn_store::BlockReason::Partner,
                        by: Some(by),
                        keep_a_full_user: true,
                    };
                    store.block_user(user, block, now).await.map(|_| ())
                }
            })
        };
        let a = demote(&first, users[0], users[1]);
        let b = demote(&second, users[1], users[0]);
        let results = [a.await.expect("joined"), b.await.expect("joined")];
        let refused = results
            .iter()
            .filter(|result| matches!(result, Err(tiyn_store::StoreError::Conflict("last_full_access"))))
            .count();
        assert_eq!((results.iter().filter(|result| result.is_ok()).count(), refused), (1, 1), "{results:?}");
        // Leave no active full user from this round, so that the next round starts with exactly two.
        let bank = tiyn_store::Block { reason: tiyn_store::BlockReason::Bank, by: None, keep_a_full_user: false };
        for user in users {
            let state = first.user(user).await.expect("read").expect("exists");
            if state.status == tiyn_store::UserStatus::Active && state.level == Some(AccessLevel::Full) {
                first.block_user(user, bank, now).await.expect("the bank may block the last one");
            }
        }
    }
}

/// four server processes confirm one partner's payments at once (the shared
/// story): numbers, the daily limit and the balance hold across processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_processes_confirm_payments() {
    let url = fresh_url().await;
    let mut stores: Vec<Arc<dyn Store>> = Vec::new();
    for _ in 0..4 {
        stores.push(Arc::new(PostgresStore::connect(&url).await.expect("connect")));
    }
    tiyn_store::conformance::r_6_3_2_r_6_1_7_several_processes_confirm_payments(stores).await;
}

/// a confirmed payment document cannot be changed, returned to draft or deleted, even by
/// SQL sent directly; a state without its evidence is refused; a draft can be deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmed_payments_are_guarded_in_the_database() {
    let store = Arc::new(PostgresStore::connect(&fresh_url().await).await.expect("connect"));
    let (confirmed, draft) = tiyn_store::conformance::confirmed_and_draft_payment(store.clone()).await;
    for sql in [
        "UPDATE payment_documents SET amount = amount + 1 WHERE id = $1",
        "UPDATE payment_documents SET purpose = 'другое' WHERE id = $1",
        "UPDATE payment_documents SET confirmed_by = created_by + 0, challenge_id = 'other' WHERE id = $1",
        "UPDATE payment_documents SET status = 'draft', challenge_id = NULL, confirmed_by = NULL,
             confirmed_at = NULL, channel = NULL, batch_digest = NULL, business_date = NULL,
             entry_id = NULL, executed_at = NULL WHERE id = $1",
        "DELETE FROM payment_documents WHERE id = $1",
    ] {
        let error = sqlx::query(sql).bind(confirmed.get()).execute(store.pool()).await.expect_err(sql).to_string();
        // A final document (this one is executed) is refused whole; a confirmed one field by field.
        assert!(error.contains("payment document cannot be"), "{sql}: {error}");
    }
    let error = sqlx::query("UPDATE payment_documents SET entry_id = NULL WHERE id = $1")
        .bind(confirmed.get())
        .execute(store.pool())
        .await
        .expect_err("executed without its entry")
        .to_string();
    assert!(error.contains("a final payment document cannot be changed"), "{error}");
    let error = sqlx::query("UPDATE payment_documents SET status = 'confirmed' WHERE id = $1")
        .bind(draft.get())
        .execute(store.pool())
        .await
        .expect_err("confirmed without evidence")
        .to_string();
    assert!(error.contains("payment_documents_evidence"), "{error}");
    let error = sqlx::query("TRUNCATE payment_documents CASCADE").execute(store.pool()).await.expect_err("truncate");
    assert!(error.to_string().contains("immutable"), "{error}");
    sqlx::query("DELETE FROM payment_documents WHERE id = $1")
        .bind(draft.get())
        .execute(store.pool())
        .await
        .expect("a draft can be deleted");
}

/// a dealing rate, once set, cannot be changed, deleted or truncated, even by SQL sent
/// directly: the history answers what was in force, and a conversion's rate id reads back the
/// same rate forever.
#[tokio::test]
async fn r_13_2_fx_rates_are_immutable_in_the_database() {
    let store = PostgresStore::connect(&fresh_url().await).await.expect("connect");
    let rate = tiyn_store::fx::NewDealingRate {
        pair: tiyn_fx::Pair::against_tenge(tiyn_core::Currency::Usd).expect("pair"),
        buy: tiyn_fx::Rate::parse("470.00").expect("buy"),
        sell: tiyn_fx::Rate::parse("480.00").expect("sell"),
        valid_from: tiyn_store::conformance::now(),
        set_by: None,
        set_at: tiyn_store::conformance::now(),
    };
    let stored = store.add_fx_rate(rate).await.expect("kept");
    for sql in [
        "UPDATE fx_rates SET buy = buy + 1",
        "UPDATE fx_rates SET valid_from = 0",
        "DELETE FROM fx_rates",
        "TRUNCATE fx_rates",
    ] {
        let error = sqlx_error(store.pool(), sql).await;
        assert!(error.contains("immutable"), "{sql}: {error}");
    }
    let error = sqlx_error(
        store.pool(),
        "INSERT INTO fx_rates (base, quote, buy, sell, valid_from, set_at) VALUES ('USD', 'KZT', 2, 1, 0, 0)",
    )
    .await;
    assert!(error.contains("check constraint"), "{error}");
    assert_eq!(store.fx_rate(stored.id()).await.expect("read"), Some(stored));
}
