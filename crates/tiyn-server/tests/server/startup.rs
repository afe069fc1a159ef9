//! What happens at start: demo seeding (idempotent) and the durability guard.

use crate::common;

use std::path::PathBuf;
use std::sync::Arc;

use tiyn_backend::open_store;
use tiyn_server::demo;
use tiyn_server::server::{ServeError, check_durability};
use tiyn_server::settings::{FileSettings, ServeArgs, Settings};
use tiyn_store::Store;
use tiyn_store_sqlite::{SqliteOptions, SqliteStore};

async fn counts(store: &dyn Store) -> (usize, usize, u64, Vec<(String, i128)>) {
    let partners = store.partners().await.expect("partners");
    let mut accounts = 0;
    for partner in &partners {
        accounts += store.partner_accounts(partner.id).await.expect("accounts").len();
    }
    let check = store.check_ledger().await.expect("check");
    assert!(check.is_sound(), "{check:?}");
    let postings = check.totals.iter().map(|total| total.postings).sum();
    let totals = check.totals.iter().map(|total| (total.currency.code().to_owned(), total.sum_minor)).collect();
    (partners.len(), accounts, postings, totals)
}

/// Seeding twice — in one process, and again after reopening the file as a restart would — adds
/// nothing: same partners, same accounts, same postings, zero new opening balances.
#[tokio::test]
async fn demo_seeding_is_idempotent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = tiyn_backend::test_location(dir.path()).await;
    let store = open_store(&location).await.expect("open");
    let first = demo::seed(store.as_ref(), common::now()).await.expect("seed");
    assert_eq!(first.balances_posted, 5);
    let after_first = counts(store.as_ref()).await;
    assert_eq!((after_first.0, after_first.1, after_first.2), (2, 5, 10));

    let second = demo::seed(store.as_ref(), common::now()).await.expect("seed again");
    assert_eq!((second.partner, second.other_partner, second.balances_posted), (first.partner, first.other_partner, 0));
    assert_eq!(counts(store.as_ref()).await, after_first);
    drop(store);

    let reopened = open_store(&location).await.expect("reopen");
    let third = demo::seed(reopened.as_ref(), common::now()).await.expect("seed after restart");
    assert_eq!((third.partner, third.balances_posted), (first.partner, 0));
    assert_eq!(counts(reopened.as_ref()).await, after_first);

    let partner = reopened.partner(first.partner).await.expect("read").expect("exists");
    assert_eq!(partner.name, "ТОО «Демо Трейд»");
    assert!(partner.legal_address.contains("Алматы"));
    let currencies: Vec<&str> = reopened
        .partner_accounts(first.partner)
        .await
        .expect("accounts")
        .iter()
        .map(|account| account.currency.code())
        .collect();
    assert_eq!(currencies, ["KZT", "KZT", "USD", "EUR"]);
}

fn settings(demo: bool, allow_non_durable: bool) -> Settings {
    let args = ServeArgs {
        demo: Some(demo),
        allow_non_durable: Some(allow_non_durable),
        data_dir: Some(PathBuf::from("/nonexistent")),
        ..ServeArgs::default()
    };
    Settings::layer(&args, &FileSettings::default()).expect("settings")
}

/// Outside demo mode the server refuses a database that does not fsync commits, unless forced.
#[tokio::test]
async fn the_durability_guard_refuses_a_non_durable_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SqliteOptions { durable: false };
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open_with(&dir.path().join("fast.db"), options).await.expect("open"));

    let refused = check_durability(store.as_ref(), &settings(false, false)).await;
    let Err(ServeError::NotDurable(reason)) = &refused else { panic!("expected a refusal, got {refused:?}") };
    assert!(reason.to_lowercase().contains("synchronous"), "the reason names the setting: {reason}");
    let message = refused.map_err(|error| error.to_string()).err().unwrap_or_default();
    assert!(message.contains("--allow-non-durable"), "the message says how to override: {message}");

    assert!(check_durability(store.as_ref(), &settings(false, true)).await.is_ok(), "forced");
    assert!(check_durability(store.as_ref(), &settings(true, false)).await.is_ok(), "demo mode does not check");

    let durable: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("safe.db")).await.expect("open"));
    assert!(check_durability(durable.as_ref(), &settings(false, false)).await.is_ok());
}
