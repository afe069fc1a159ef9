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
