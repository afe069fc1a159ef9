//! The story every storage backend must pass, written once against `dyn Store`.
//!
//! A backend's test crate runs it with [`crate::store_conformance!`], giving an expression that
//! opens a fresh, empty store. Each story asserts behaviour a user relies on: money moves exactly
//! once, never below zero, and the ledger sums to zero in every currency.

use std::sync::Arc;

use jiff::Timestamp;
use rand::{Rng, SeedableRng};
use tiyn_auth::LockoutEvent;
use tiyn_core::access::AccessLevel;
use tiyn_core::iban::Iban;
use tiyn_core::iin::Bin;
use tiyn_core::{
    AccountId, Amount, ApiKeyId, Currency, DeviceId, Email, EntryId, MobileNumber, Money, PartnerId, UserId,
};
use tiyn_ledger::{
    AccountState, AccountStatus, Action, Book, Command, Decision, EntryKind, EntryState, Executed, HoldState,
    HoldStatus, IdempotencyKey, JournalEntry, LedgerError, Posting, Receipt,
};
use tiyn_payments::limits::{Limit, LimitRule, LimitScope, LimitSet};
use tiyn_payments::{ConfirmationChannel, DocumentId, DocumentKind, RawDocument, RefusalCode, Status as PaymentStatus};

use crate::payments::{
    ConfirmPayments, Execution, NewPayment, NewSigning, PaymentEdit, PaymentOutcome, PaymentQuery, PaymentRecord,
    PlannedPayment, RequestKey, SigningMember,
};
use crate::{
    AccountKind, ApiKeyRecord, AuditHead, AuditOutcome, AuditQuery, AuditRecord, Block, BlockReason, ChainBreak,
    ChainVerifier, DeviceRecord, MarkerRecord, MarkerStatus, NewAccount, NewApiKey, NewAuditRecord, NewDevice,
    NewPartner, SessionEnd, StepAcceptance, Store, StoreError, User, UserChange, UserChangeRecord, UserStatus,
};

mod fx;
pub use fx::{
    r_13_2_concurrent_rates_are_all_kept, r_13_2_nbk_rates_import_idempotently, r_13_2_rate_history_and_rates_by_id,
    r_13_2_rates_in_force_between_changes,
};
/// Migration 0024's upgrade (both backends' `migrate` tests): a ledger as the release before it
/// wrote it (SQL both dialects read), and each posting's (id, entry, booked_at) after it, by id.
pub const LEDGER_BEFORE_0024_SQL: &str = "\
    INSERT INTO accounts (id, currency, kind, name, created_at) VALUES (1, 'KZT', 'clearing', 'a', 0), \
        (2, 'KZT', 'fees', 'b', 0); \
    INSERT INTO entries (id, kind, memo, created_at) VALUES (10, 'transfer', 'x', 1000), (11, 'transfer', 'y', 500); \
    INSERT INTO postings (id, entry_id, account_id, currency, amount) VALUES \
        (5, 10, 1, 'KZT', -7), (6, 10, 2, 'KZT', 7), (9, 11, 2, 'KZT', -3), (12, 11, 1, 'KZT', 3);";
/// See [`LEDGER_BEFORE_0024_SQL`].
pub const POSTINGS_AFTER_0024: [(i64, i64, i64); 4] = [(5, 10, 1000), (6, 10, 1000), (9, 11, 500), (12, 11, 500)];

mod statements;
pub use statements::{
    r_3_1_2_3_incoming_credits_name_their_payer, r_6_2_a_walk_sees_the_snapshot_of_its_totals,
    r_6_3_1_statements_reconcile_for_random_periods,
};
mod info;
pub use info::{
    r_3_1_2_2_the_newest_directory_text_of_each_kind_is_in_force,
    r_3_1_2_4_an_approved_operation_is_settled_by_its_second_report,
    r_3_1_2_4_concurrent_ingestion_writes_each_operation_once,
    r_3_1_2_4_operations_ingest_once_page_in_order_and_total, r_3_1_2_4_terminals_are_kept_per_partner,
    r_3_1_2_5_planned_pos_credits_are_credited_once, r_3_1_2_8_marketplace_reports_are_kept_whole_and_once,
    r_3_1_2_8_notices_reach_their_partners_newest_first,
};

/// Generates one `#[tokio::test]` per story for a backend. `$open` is an async expression that
/// yields a fresh `Arc<dyn Store>`.
#[macro_export]
macro_rules! store_conformance {
    ($open:expr) => {
        $crate::store_conformance!(@stories $open;
            r_3_1_1_1_internal_transfer_between_own_accounts,
            idempotent_replay_posts_once,
            idempotency_conflict_is_refused,
            r_6_3_2_insufficient_funds_writes_nothing,
            currency_mismatch_and_unknown_account_are_refused,
            holds_capture_and_release,
            reversal_posts_the_opposite_once,
            r_6_3_2_concurrent_random_transfers_keep_invariants,
            concurrent_replays_of_one_key_post_once,
            bank_account_is_created_once,
            duplicates_are_refused,
            r_6_4_2_partner_sees_only_own_accounts,
            random_mixed_commands_match_the_model,
            r_2_1_7_user_is_found_by_email_or_mobile,
            r_2_1_7_logins_are_unique_platform_wide,
            r_6_1_4_parallel_failures_are_counted_atomically,
            r_5_3_consent_is_recorded_for_partner_users,
            r_2_1_6_a_code_confirms_once,
            r_2_1_6_expired_foreign_and_unknown_codes_are_refused,
            r_2_1_6_parallel_wrong_codes_spend_only_the_attempts,
            r_2_1_15_sessions_are_found_by_token_digest_touched_and_ended,
            r_5_7_ending_a_users_sessions_keeps_the_current_one,
            r_5_2_activation_sets_the_first_password_once,
            r_5_7_password_change_ends_other_sessions,
            r_6_5_9_user_changes_are_recorded_with_author_and_time,
            r_8_5_last_full_access_user_is_protected,
            r_6_5_2_blocking_ends_sessions_at_once_and_records_the_instant,
            r_6_1_4_lockout_block_is_cleared_only_by_clear_lockout,
            r_6_5_9_suspension_is_scheduled_and_cancelled,
            r_6_1_4_parallel_source_failures_are_counted_atomically,
            r_3_4_audit_chain_holds_under_concurrent_appends,
            r_3_4_audit_records_filter_and_page,
            r_3_4_audit_purge_keeps_the_chain_verifiable,
            r_2_1_21_marker_code_steps_are_accepted_once,
            r_2_1_17_devices_are_registered_listed_and_revoked,
            api_keys_are_issued_listed_used_and_revoked,
            r_2_1_15_open_sessions_are_listed_newest_first,
            r_3_1_1_2_payment_drafts_are_numbered_per_partner,
            r_3_1_1_2_concurrent_drafts_get_distinct_numbers_and_one_draft_per_key,
            r_3_1_1_2_a_batch_of_drafts_is_created_whole_or_not_at_all,
            r_3_1_1_2_payment_edits_and_lists,
            r_4_11_r_8_8_documents_are_sent_for_confirmation_at_their_version,
            r_4_11_r_8_8_a_confirmation_executes_its_documents_once,
            r_6_1_1_r_6_3_2_insufficient_funds_refuse_only_that_document,
            r_6_1_7_r_4_13_daily_limit_counts_the_days_confirmations,
            r_6_3_2_concurrent_confirmations_never_overdraw_one_account,
            r_13_2_rates_in_force_between_changes,
            r_13_2_concurrent_rates_are_all_kept,
            r_13_2_rate_history_and_rates_by_id,
            r_13_2_nbk_rates_import_idempotently,
            r_6_3_1_statements_reconcile_for_random_periods,
            r_6_2_a_walk_sees_the_snapshot_of_its_totals,
            r_3_1_2_3_incoming_credits_name_their_payer,
            r_3_1_2_4_terminals_are_kept_per_partner,
            r_3_1_2_4_operations_ingest_once_page_in_order_and_total,
            r_3_1_2_4_an_approved_operation_is_settled_by_its_second_report,
            r_3_1_2_4_concurrent_ingestion_writes_each_operation_once,
            r_3_1_2_5_planned_pos_credits_are_credited_once,
            r_3_1_2_2_the_newest_directory_text_of_each_kind_is_in_force,
            r_3_1_2_8_notices_reach_their_partners_newest_first,
            r_3_1_2_8_marketplace_reports_are_kept_whole_and_once,
        );
    };
    (@stories $open:expr; $($story:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $story() {
                let store: std::sync::Arc<dyn $crate::Store> = $open;
                $crate::conformance::$story(store).await;
            }
        )*
    };
}

/// A partner with two KZT accounts and a USD account, and the bank's KZT equity account.
pub struct Fixture {
    pub store: Arc<dyn Store>,
    pub partner: PartnerId,
    pub kzt_a: AccountId,
    pub kzt_b: AccountId,
    pub usd: AccountId,
    pub equity_kzt: AccountId,
}

/// Bank code 722, a made-up account part; `Iban::from_bban` computes the check digits.
pub fn test_iban(serial: u32) -> Iban {
    Iban::from_bban("KZ", &format!("722T{serial:012}")).expect("a 722 BBAN of 16 characters is valid")
}

/// Kaspi Bank's public BIN and synthetic valid ones (checksums pass).
pub const TEST_BINS: [&str; 2] = ["971240001315", "141140001547"];

pub fn now() -> Timestamp {
    Timestamp::from_second(1_790_000_000).expect("a fixed instant in range")
}

pub fn kzt(minor: i64) -> Amount {
    Amount::new(Money::from_minor(minor, Currency::Kzt)).expect("test amounts are positive")
}

pub fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).expect("test keys are valid")
}

pub fn transfer_command(key_text: &str, from: AccountId, to: AccountId, amount: Amount) -> Command {
    let entry = JournalEntry::transfer(from, to, amount).expect("distinct accounts");
    let action = Action::Post { entry, kind: EntryKind::Transfer, memo: "test transfer".into() };
    Command::new(key(key_text), now(), action).expect("short memo")
}

impl Fixture {
    pub async fn new(store: Arc<dyn Store>, partner_index: usize) -> Fixture {
        let partner = store
            .create_partner(NewPartner {
                name: format!("ТОО «Тест {partner_index}»"),
                bin: Bin::parse(TEST_BINS[partner_index]).expect("test BINs are valid"),
                legal_address: "Алматы, пр. Абая, 1".into(),
                created_at: now(),
            })
            .await
            .expect("create partner");
        let serial = |n: u32| (partner_index as u32) * 100 + n;
        let open = |currency, n| {
            let store = Arc::clone(&store);
            async move {
                store
                    .open_account(NewAccount {
                        partner: Some(partner),
                        iban: Some(test_iban(serial(n))),
                        currency,
                        kind: AccountKind::PartnerCurrent,
                        name: format!("Текущий {currency} {n}"),
                        created_at: now(),
                    })
                    .await
                    .expect("open account")
            }
        };
        let kzt_a = open(Currency::Kzt, 1).await;
        let kzt_b = open(Currency::Kzt, 2).await;
        let usd = open(Currency::Usd, 3).await;
        let equity_kzt = store.bank_account(AccountKind::BankEquity, Currency::Kzt).await.expect("equity");
        Fixture { store, partner, kzt_a, kzt_b, usd, equity_kzt }
    }

    /// Brings money in from the bank's equity as an opening balance.
    pub async fn fund(&self, account: AccountId, minor: i64) {
        let entry = JournalEntry::transfer(self.equity_kzt, account, kzt(minor)).expect("distinct");
        let action = Action::Post { entry, kind: EntryKind::OpeningBalance, memo: "opening balance".into() };
        let command = Command::new(key(&format!("fund-{account}-{minor}")), now(), action).expect("memo");
        self.store.execute(command).await.expect("funding succeeds");
    }

    pub async fn balance(&self, account: AccountId) -> (i64, i64) {
        let account = self.store.account(account).await.expect("read").expect("exists");
        (account.balance.minor(), account.held.minor())
    }

    pub async fn assert_sound(&self) {
        let check = self.store.check_ledger().await.expect("check");
        assert!(check.is_sound(), "ledger not sound: {check:?}");
    }
}

fn posted_entry(executed: &Executed) -> EntryId {
    match executed.receipt {
        Receipt::Posted { entry } => entry,
        other => panic!("expected a posting, got {other:?}"),
    }
}

/// R-3.1.1.1, R-3.1.1.3: a transfer between a partner's own accounts posts through the ledger.
pub async fn r_3_1_1_1_internal_transfer_between_own_accounts(store: Arc<dyn Store>) {
    let f = Fixture::new(store, 0).await;
    f.fund(f.kzt_a, 100_000).await;
    let executed = f.store.execute(transfer_command("t1", f.kzt_a, f.kzt_b, kzt(25_050))).await.expect("transfer");
    assert!(!executed.replayed);
    posted_entry(&executed);
    assert_eq!(f.balance(f.kzt_a).await, (74_950, 0));
    assert_eq!(f.balance(f.kzt_b).await, (25_050, 0));
    let check = f.store.check_ledger().await.expect("check");
    let kzt_total = check.totals.iter().find(|total| total.currency == Currency::Kzt).expect("KZT postings");
    assert_eq!((kzt_total.sum_minor, kzt_total.postings), (0, 4));
    assert_eq!(
        f.store.posting_totals().await.expect("totals"),
        check.totals,
        "the zero-sum verb agrees with the full check"
    );
    f.assert_sound().await;
}

/// A retried command (same key, same content) posts once and returns the first result.
pub async fn idempotent_replay_posts_once(store: Arc<dyn Store>) {
    let f = Fixture::new(store, 0).await;
    f.fund(f.kzt_a, 10_000).await;
    let before = f.store.ledger_counts();
    let first = f.store.execute(transfer_command("retry-me", f.kzt_a, f.kzt_b, kzt(1_000))).await.expect("first");
    let second = f.store.execute(transfer_command("retry-me", f.kzt_a, f.kzt_b, kzt(1_000))).await.expect("replay");
    assert!(second.replayed);
    assert_eq!(posted_entry(&first), posted_entry(&second));
    assert_eq!(f.balance(f.kzt_a).await, (9_000, 0), "posted once");
    let refused = f.store.execute(transfer_command("too-much", f.kzt_a, f.kzt_b, kzt(1_000_000))).await;
    assert!(refused.is_err());
    // The writer counts every outcome for `/metrics`.
    let after = f.store.ledger_counts();
    assert_eq!(
        (after.executed - before.executed, after.replayed - before.replayed, after.refused - before.refused),
        (1, 1, 1)
    );
    f.assert_sound().await;
}

/// The same key with different content is refused and changes nothing.
pub async fn idempotency_conflict_is_refused(store: Arc<dyn Store>) {
    let f = Fixture::new(store, 0).await;
    f.fund(f.kzt_a, 10_000).await;
    f.store.execute(transfer_command("k", f.kzt_a, f.kzt_b, kzt(1_000))).await.expect("first");
    let conflict = f.store.execute(transfer_command("k", f.kzt_a, f.kzt_b, kzt(2_000))).await;
    assert!(matches!(conflict, Err(StoreError::Ledger(LedgerError::IdempotencyConflict))), "{conflict:?}");
    assert_eq!(f.balance(f.kzt_a).await, (9_000, 0));
}

/// R-6.3.2, R-6.1.1: a debit beyond the available balance is refused; nothing is written, and
/// the same key may be used again once the money is there.
pub async fn r_6_3_2_insufficient_funds_writes_nothing(store: Arc<dyn Store>) {
    let f = Fixture::new(store, 0).await;
    f.fund(f.kzt_a, 500).await;
    let refused = f.store.execute(transfer_command("big", f.kzt_a, f.kzt_b, kzt(501))).await;
    assert!(
        matches!(&refused, Err(StoreError::Ledger(LedgerError::InsufficientFunds { account, .. })) if *account == f.kzt_a),
        "{refused:?}"
    );
    assert_eq!(f.balance(f.kzt_a).await, (500, 0));
    assert_eq!(f.balance(f.kzt_b).await, (0, 0));
    f.fund(f.kzt_a, 1).await;
    let retried = f.store.execute(transfer_command("big", f.kzt_a, f.kzt_b, kzt(501))).await.expect("now covered");
    assert!(!retried.replayed, "a refusal is not stored as the key's result");
    assert_eq!(f.balance(f.kzt_a).await, (0, 0));
    f.assert_sound().await;
}

pub async fn currency_mismatch_and_unknown_account_are_refused(store: Arc<dyn Store>) {
    let f = Fixture::new(store, 0).await;
    f.fund(f.kzt_a, 500).await;
    let mismatch = f.store.execute(transfer_command("x", f.kzt_a, f.usd, kzt(1))).await;
    assert!(matches!(mismatch, Err(StoreError::Ledger(LedgerError::CurrencyMismatch { .. }))), "{mismatch:?}");
    let missing = AccountId::new(987_654);
    let unknown = f.store.execute(transfer_command("y", f.kzt_a, missing, kzt(1))).await;
    assert!(
        matches!(unknown, Err(StoreError::Ledger(LedgerError::AccountNotFound(id))) if id == missing),
        "{unknown:?}"
    );
    assert_eq!(f.balance(f.kzt_a).await, (500, 0));
}

/// A hold takes money out of `available`; capturing posts it, releasing gives it back.
pub async fn holds_capture_and_release(store: Arc<dyn Store>) {
    let f = Fixture::new(store, 0).await;
    f.fund(f.kzt_a, 1_000).await;
    let hold = |text: &str, minor| {
        let action = Action::Hold { account: f.kzt_a, amount: kzt(minor), memo: "interbank payment".into() };
        Command::new(key(text), now(), action).expect("memo")
    };
    let held = f.store.execute(hold("h1", 700)).await.expect("hold");
    let Receipt::Held { hold: first } = held.receipt else { panic!("expected a hold, got {held:?}") };
    assert_eq!(f.balance(f.kzt_a).await, (1_000, 700));
    let account = f.store.account(f.kzt_a).await.expect("read").expect("exists");
    assert_eq!(account.available().minor(), 300);
    let over = f.store.execute(hold("h2", 301)).await;
    assert!(matches!(over, Err(StoreError::Ledger(LedgerError::InsufficientFunds { .. }))), "{over:?}");
    let over = f.store.execute(transfer_command("t", f.kzt_a, f.kzt_b, kzt(301))).await;
    assert!(matches!(over, Err(StoreError::Ledger(LedgerError::InsufficientFunds { .. }))), "{over:?}");

    let clearing = f.store.bank_account(AccountKind::BankClearing, Currency::Kzt).await.expect("clearing");
    let capture = Action::CaptureHold { hold: first, to: clearing, memo: "settled".into() };
    f.store.execute(Command::new(key("c1"), now(), capture).expect("memo")).await.expect("capture");
    assert_eq!(f.balance(f.kzt_a).await, (300, 0));
    assert_eq!(f.balance(clearing).await, (700, 0));
    let again = Action::ReleaseHold { hold: first };
    let refused = f.store.execute(Command::new(key("r1"), now(), again).expect("memo")).await;
    assert!(matches!(refused, Err(StoreError::Ledger(LedgerError::HoldNotActive(_)))), "{refused:?}");

    let second = f.store.execute(hold("h3", 200)).await.expect("hold");
    let Receipt::Held { hold: second } = second.receipt else { panic!("expected a hold") };
    let release = Action::ReleaseHold { hold: second };
    f.store.execute(Command::new(key("r2"), now(), release).expect("memo")).await.expect("release");
    assert_eq!(f.balance(f.kzt_a).await, (300, 0));
    f.assert_sound().await;
}

/// Postings are never changed; a correction is a reversal, and an entry is reversed once.
pub async fn reversal_posts_the_opposite_once(store: Arc<dyn Store>) {
    let f = Fixture::new(store, 0).await;
    f.fund(f.kzt_a, 1_000).await;
    let executed = f.store.execute(transfer_command("t", f.kzt_a, f.kzt_b, kzt(400))).await.expect("transfer");
    let entry = posted_entry(&executed);
    let reverse =
        |text: &str| Command::new(key(text), now(), Action::Reverse { entry, memo: "error".into() }).expect("memo");
    f.store.execute(reverse("rev1")).await.expect("reversal");
    assert_eq!(f.balance(f.kzt_a).await, (1_000, 0));
    assert_eq!(f.balance(f.kzt_b).await, (0, 0));
    let twice = f.store.execute(reverse("rev2")).await;
    assert!(matches!(twice, Err(StoreError::Ledger(LedgerError::AlreadyReversed(_)))), "{twice:?}");
    f.assert_sound().await;
}

/// R-6.3.2: 16 clients doing random transfers among six accounts, some retrying their own
/// commands; at the end no partner account is below zero, every retried command posted once and
/// the ledger sums to zero.
pub async fn r_6_3_2_concurrent_random_transfers_keep_invariants(store: Arc<dyn Store>) {
    const CLIENTS: u64 = 16;
    const TRANSFERS_PER_CLIENT: u64 = 60;
    let first = Fixture::new(Arc::clone(&store), 0).await;
    let second = Fixture::new(Arc::clone(&store), 1).await;
    let accounts = [first.kzt_a, first.kzt_b, second.kzt_a, second.kzt_b];
    for account in accounts {
        first.fund(account, 10_000).await;
    }
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let store = Arc::clone(&store);
        clients.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(client);
            let mut posted = 0_u64;
            for n in 0..TRANSFERS_PER_CLIENT {
                let from = accounts[rng.random_range(0..accounts.len())];
                let to = accounts[rng.random_range(0..accounts.len())];
                if from == to {
                    continue;
                }
                let command = transfer_command(&format!("c{client}-{n}"), from, to, kzt(rng.random_range(1..4_000)));
                let mut result = store.execute(command.clone()).await;
                if rng.random_bool(0.2) {
                    let retry = store.execute(command).await;
                    match (&result, &retry) {
                        (Ok(first), Ok(again)) => assert!(again.replayed && first.receipt == again.receipt),
                        // A refusal is not stored: the retry is a fresh attempt and may succeed.
                        (Err(_), Ok(again)) => {
                            assert!(!again.replayed);
                            result = retry;
                        }
                        (Err(_), Err(_)) => {}
                        other => panic!("a retry of a posted command must replay it: {other:?}"),
                    }
                }
                match result {
                    Ok(_) => posted += 1,
                    Err(StoreError::Ledger(LedgerError::InsufficientFunds { .. })) => {}
                    Err(other) => panic!("unexpected failure: {other}"),
                }
            }
            posted
        }));
    }
    let mut posted = 0;
    for client in clients {
        posted += client.await.expect("client finished");
    }
    assert!(posted > CLIENTS * TRANSFERS_PER_CLIENT / 4, "most transfers should succeed, got {posted}");
    let check = store.check_ledger().await.expect("check");
    assert!(check.is_sound(), "{check:?}");
    let kzt_total = check.totals.iter().find(|total| total.currency == Currency::Kzt).expect("KZT");
    assert_eq!(kzt_total.postings, 2 * (posted + accounts.len() as u64), "every accepted transfer posted exactly once");
    let mut partner_total = 0;
    for account in accounts {
        let (balance, held) = first.balance(account).await;
        assert!(balance >= 0 && held == 0, "account {account} at {balance}");
        partner_total += balance;
    }
    assert_eq!(partner_total, 40_000, "transfers between partners neither create nor destroy money");
}

/// 32 concurrent submissions of one command: exactly one posts, all others replay it.
pub async fn concurrent_replays_of_one_key_post_once(store: Arc<dyn Store>) {
    let f = Arc::new(Fixture::new(store, 0).await);
    f.fund(f.kzt_a, 10_000).await;
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let f = Arc::clone(&f);
            tokio::spawn(async move { f.store.execute(transfer_command("once", f.kzt_a, f.kzt_b, kzt(100))).await })
        })
        .collect();
    let mut fresh = 0;
    let mut entries = std::collections::BTreeSet::new();
    for task in tasks {
        let executed = task.await.expect("joined").expect("executed");
        fresh += u32::from(!executed.replayed);
        entries.insert(posted_entry(&executed));
    }
    assert_eq!((fresh, entries.len()), (1, 1));
    assert_eq!(f.balance(f.kzt_a).await, (9_900, 0));
}

pub async fn bank_account_is_created_once(store: Arc<dyn Store>) {
    let first = store.bank_account(AccountKind::BankFees, Currency::Usd).await.expect("create");
    let again = store.bank_account(AccountKind::BankFees, Currency::Usd).await.expect("find");
    let other = store.bank_account(AccountKind::BankFees, Currency::Kzt).await.expect("create");
    assert_eq!(first, again);
    assert_ne!(first, other);
    let refused = store.bank_account(AccountKind::PartnerCurrent, Currency::Kzt).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
}

pub async fn duplicates_are_refused(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let same_bin = NewPartner {
        name: "Другое имя".into(),
        bin: Bin::parse(TEST_BINS[0]).expect("valid"),
        legal_address: "Астана".into(),
        created_at: now(),
    };
    let refused = store.create_partner(same_bin).await;
    assert!(matches!(refused, Err(StoreError::AlreadyExists { .. })), "{refused:?}");
    let same_iban = NewAccount {
        partner: Some(f.partner),
        iban: Some(test_iban(1)),
        currency: Currency::Kzt,
        kind: AccountKind::PartnerCurrent,
        name: "Дубликат".into(),
        created_at: now(),
    };
    let refused = store.open_account(same_iban).await;
    assert!(matches!(refused, Err(StoreError::AlreadyExists { .. })), "{refused:?}");
    let no_iban = NewAccount {
        partner: Some(f.partner),
        iban: None,
        currency: Currency::Kzt,
        kind: AccountKind::PartnerCurrent,
        name: "Без IBAN".into(),
        created_at: now(),
    };
    assert!(matches!(store.open_account(no_iban).await, Err(StoreError::Invalid(_))));
}

/// R-6.4.2: listing a partner's accounts never shows another partner's.
pub async fn r_6_4_2_partner_sees_only_own_accounts(store: Arc<dyn Store>) {
    let first = Fixture::new(Arc::clone(&store), 0).await;
    let second = Fixture::new(Arc::clone(&store), 1).await;
    let listed = store.partner_accounts(first.partner).await.expect("list");
    let ids: Vec<AccountId> = listed.iter().map(|account| account.id).collect();
    assert_eq!(ids, vec![first.kzt_a, first.kzt_b, first.usd]);
    assert!(listed.iter().all(|account| account.partner == Some(first.partner)));
    assert!(!ids.contains(&second.kzt_a));
    let partners = store.partners().await.expect("partners");
    assert_eq!(partners.len(), 2);
    assert_eq!(
        store.partner(second.partner).await.expect("read").map(|p| p.bin.as_str().to_owned()),
        Some(TEST_BINS[1].to_owned())
    );
}

/// An in-memory ledger: the states a backend should hold after the same commands, kept by
/// running each command through a fresh `Book` over the model's own maps.
struct Model {
    accounts: std::collections::BTreeMap<AccountId, AccountState>,
    holds: std::collections::BTreeMap<tiyn_core::HoldId, HoldState>,
    entries: std::collections::BTreeMap<EntryId, EntryState>,
}

impl Model {
    /// Applies `action` as the store answered it; returns the model's own outcome (error code).
    fn apply(&mut self, action: &Action, stored: &Result<Executed, StoreError>) -> Result<(), &'static str> {
        let mut book =
            Book::new(self.accounts.values().copied(), self.holds.values().copied(), self.entries.values().cloned());
        let decision = book.decide(action).map_err(|error| error.code())?;
        for state in book.touched_accounts() {
            self.accounts.insert(state.id, *state);
        }
        let receipt = match stored {
            Ok(executed) => executed.receipt,
            Err(_) => return Ok(()), // the comparison in the story reports the disagreement
        };
        match (decision, receipt) {
            (Decision::Post { entry, captures, reverses, .. }, Receipt::Posted { entry: id }) => {
                if let Some(hold) = captures.and_then(|hold| self.holds.get_mut(&hold)) {
                    hold.status = HoldStatus::Captured;
                }
                if let Some(original) = reverses.and_then(|original| self.entries.get_mut(&original)) {
                    original.reversed = true;
                }
                self.entries.insert(id, EntryState { id, entry, reversed: false });
            }
            (Decision::OpenHold { account, amount }, Receipt::Held { hold: id }) => {
                self.holds.insert(id, HoldState { id, account, amount, status: HoldStatus::Active });
            }
            (Decision::ReleaseHold { hold }, Receipt::Released { .. }) => {
                if let Some(state) = self.holds.get_mut(&hold) {
                    state.status = HoldStatus::Released;
                }
            }
            (decision, receipt) => panic!("the model decided {decision:?}, the store answered {receipt:?}"),
        }
        Ok(())
    }
}

/// Model-based check of a backend: 400 random commands (transfers, holds, captures, releases,
/// reversals, and replays of earlier keys) give the same outcome, command by command, as the pure
/// engine over an in-memory model, and every balance and held amount agrees at the end.
pub async fn random_mixed_commands_match_the_model(store: Arc<dyn Store>) {
    const COMMANDS: usize = 400;
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let clearing = store.bank_account(AccountKind::BankClearing, Currency::Kzt).await.expect("clearing");
    for account in [f.kzt_a, f.kzt_b] {
        f.fund(account, 5_000).await;
    }
    let accounts = [f.kzt_a, f.kzt_b, clearing];
    let mut model = Model { accounts: Default::default(), holds: Default::default(), entries: Default::default() };
    for id in accounts.iter().chain([&f.equity_kzt]) {
        let account = store.account(*id).await.expect("read").expect("exists");
        let state = AccountState {
            id: *id,
            currency: account.currency,
            policy: account.kind.policy(),
            status: AccountStatus::Open,
            balance: account.balance.minor(),
            held: account.held.minor(),
        };
        model.accounts.insert(*id, state);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_123);
    let mut sent: Vec<Command> = Vec::new();
    let mut holds: Vec<tiyn_core::HoldId> = Vec::new();
    let mut entries: Vec<EntryId> = Vec::new();
    for n in 0..COMMANDS {
        let pick = |rng: &mut rand::rngs::StdRng, ids: &[AccountId]| ids[rng.random_range(0..ids.len())];
        let command = match rng.random_range(0..10) {
            0 if !sent.is_empty() => sent[rng.random_range(0..sent.len())].clone(), // a retry
            1 | 2 => {
                let action = Action::Hold {
                    account: pick(&mut rng, &accounts[..2]),
                    amount: kzt(rng.random_range(1..900)),
                    memo: String::new(),
                };
                Command::new(key(&format!("m{n}")), now(), action).expect("memo")
            }
            3 if !holds.is_empty() => {
                let hold = holds[rng.random_range(0..holds.len())];
                let action = Action::CaptureHold { hold, to: clearing, memo: String::new() };
                Command::new(key(&format!("m{n}")), now(), action).expect("memo")
            }
            4 if !holds.is_empty() => {
                let action = Action::ReleaseHold { hold: holds[rng.random_range(0..holds.len())] };
                Command::new(key(&format!("m{n}")), now(), action).expect("memo")
            }
            5 if !entries.is_empty() => {
                let action =
                    Action::Reverse { entry: entries[rng.random_range(0..entries.len())], memo: String::new() };
                Command::new(key(&format!("m{n}")), now(), action).expect("memo")
            }
            _ => {
                let from = pick(&mut rng, &accounts);
                let to = if from == f.kzt_a { f.kzt_b } else { f.kzt_a };
                transfer_command(&format!("m{n}"), from, to, kzt(rng.random_range(1..1_500)))
            }
        };
        let stored = store.execute(command.clone()).await;
        let replay = sent.iter().any(|earlier| earlier.key == command.key);
        if replay {
            // The model already applied this key (only successful commands are retried): the store
            // must answer with the first result.
            let first = sent.iter().find(|earlier| earlier.key == command.key).map(|earlier| earlier.content_digest());
            assert_eq!(first, Some(command.content_digest()));
            assert!(matches!(&stored, Ok(executed) if executed.replayed), "replay {n}: {stored:?}");
            continue;
        }
        let expected = model.apply(&command.action, &stored);
        let got = stored.as_ref().map(|_| ()).map_err(|error| match error {
            StoreError::Ledger(refusal) => refusal.code(),
            other => panic!("command {n} failed in the backend: {other}"),
        });
        assert_eq!(got, expected, "command {n} ({:?}) disagrees with the model", command.action);
        if let Ok(executed) = &stored {
            sent.push(command);
            match executed.receipt {
                Receipt::Held { hold } => holds.push(hold),
                Receipt::Posted { entry } => entries.push(entry),
                Receipt::Released { .. } => {}
            }
        }
    }
    for (id, expected) in &model.accounts {
        let account = store.account(*id).await.expect("read").expect("exists");
        assert_eq!((account.balance.minor(), account.held.minor()), (expected.balance, expected.held), "account {id}");
    }
    let check = store.check_ledger().await.expect("check");
    assert!(check.is_sound(), "{check:?}");
    assert!(holds.len() > 20 && entries.len() > 100, "the sequence exercised holds and postings");
}

fn new_user(partner: Option<PartnerId>, mobile: &str, email: Option<&str>) -> crate::NewUser {
    crate::NewUser {
        partner,
        full_name: "Ахметова Айгерим Сериковна".into(),
        mobile: Some(tiyn_core::MobileNumber::parse(mobile).expect("valid mobile")),
        email: email.map(|email| tiyn_core::Email::parse(email).expect("valid email")),
        level: partner.map(|_| tiyn_core::access::AccessLevel::Confirm),
        operator_role: partner.is_none().then_some(tiyn_core::OperatorRole::Administrator),
        consent: partner
            .map(|_| crate::Consent {
                recorded_by: "заявление №17 от 01.11.2026".into(), recorded_at: now()
            }),
        created_at: now(),
    }
}

/// R-2.1.7, R-8.3: one user, found by its email or by any spelling of its mobile number.
pub async fn r_2_1_7_user_is_found_by_email_or_mobile(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let id =
        store.create_user(new_user(Some(f.partner), "+7 701 555 12 34", Some("Buh@Demo.kz"))).await.expect("create");
    for login in ["buh@demo.kz", "BUH@demo.KZ", "8 701 555 12 34", "+77015551234"] {
        let login = tiyn_core::Login::parse(login).expect("valid login");
        let found = store.user_by_login(&login).await.expect("read").map(|user| user.id);
        assert_eq!(found, Some(id), "{login:?}");
    }
    let user = store.user(id).await.expect("read").expect("exists");
    assert_eq!(user.status, crate::UserStatus::PendingActivation);
    assert_eq!(user.level, Some(tiyn_core::access::AccessLevel::Confirm));
    assert_eq!(user.partner, Some(f.partner));
    assert_eq!(user.password_hash, None);
    let nobody = tiyn_core::Login::parse("+77770000000").expect("valid");
    assert_eq!(store.user_by_login(&nobody).await.expect("read"), None);
    assert_eq!(store.partner_users(f.partner).await.expect("list").len(), 1);
}

/// R-2.1.7: a mobile number or email address belongs to one user on the whole platform, even
/// across partners and bank operators.
pub async fn r_2_1_7_logins_are_unique_platform_wide(store: Arc<dyn Store>) {
    let first = Fixture::new(Arc::clone(&store), 0).await;
    let second = Fixture::new(Arc::clone(&store), 1).await;
    store.create_user(new_user(Some(first.partner), "+77015551234", Some("a@demo.kz"))).await.expect("create");
    for duplicate in [
        new_user(Some(second.partner), "87015551234", None),
        new_user(Some(second.partner), "+77019999999", Some("A@Demo.kz")),
        new_user(None, "+77015551234", None),
    ] {
        let refused = store.create_user(duplicate).await;
        assert!(
            matches!(refused, Err(StoreError::AlreadyExists { what }) if what == crate::LOGIN_TAKEN),
            "{refused:?}"
        );
    }
    let mut no_login = new_user(Some(second.partner), "+77019999999", None);
    no_login.mobile = None;
    assert!(matches!(store.create_user(no_login).await, Err(StoreError::Invalid(_))));
}

/// R-6.1.4: 200 wrong attempts at once are counted one after another: exactly the policy's
/// number of failures is evaluated before the lock, and the lock happens once.
pub async fn r_6_1_4_parallel_failures_are_counted_atomically(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let user = store.create_user(new_user(Some(f.partner), "+77015551234", None)).await.expect("create");
    let policy = tiyn_auth::LockoutPolicy::default();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.record_login_failure(user, policy, now()).await })
        })
        .collect();
    let mut counted = 0;
    let mut locked = 0;
    for task in tasks {
        match task.await.expect("joined").expect("recorded") {
            tiyn_auth::LockoutEvent::Counted { .. } => counted += 1,
            tiyn_auth::LockoutEvent::Locked { .. } => locked += 1,
            tiyn_auth::LockoutEvent::Blocked => panic!("one lock is not a block"),
        }
    }
    let limit = policy.consecutive_failures_max();
    assert_eq!((counted, locked), (limit - 1, 200 - (limit - 1)), "only the first {limit} failures were evaluated");
    let state = store.user(user).await.expect("read").expect("exists").lockout;
    assert_eq!(state.lockouts, 1, "locked exactly once");
    assert!(state.check(now()).is_err(), "locked now");
}

/// R-5.3: a partner's user cannot be registered without the recorded consent, which is kept.
pub async fn r_5_3_consent_is_recorded_for_partner_users(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let mut without = new_user(Some(f.partner), "+77015551234", None);
    without.consent = None;
    assert!(matches!(store.create_user(without).await, Err(StoreError::Invalid(_))));
    let id = store.create_user(new_user(Some(f.partner), "+77015551234", None)).await.expect("create");
    let consent = store.user(id).await.expect("read").expect("exists").consent.expect("recorded");
    assert_eq!((consent.recorded_by.as_str(), consent.recorded_at), ("заявление №17 от 01.11.2026", now()));
}

const TEST_CODE_KEY: [u8; 32] = [7; 32];

/// A user of partner 0 with a saved code for `purpose`, issued at [`now`].
async fn user_with_code(
    store: &Arc<dyn Store>,
    purpose: tiyn_auth::CodePurpose,
) -> (tiyn_core::UserId, tiyn_auth::ChallengeId, tiyn_auth::PlainCode) {
    let f = Fixture::new(Arc::clone(store), 0).await;
    let user = store.create_user(new_user(Some(f.partner), "+77015551234", None)).await.expect("create");
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let key = tiyn_auth::CodeKey::from_bytes(TEST_CODE_KEY);
    let (plain, record) = tiyn_auth::code::issue(&tiyn_auth::CodePolicy::default(), purpose, now(), &mut rng, &key);
    let challenge = tiyn_auth::ChallengeId::generate(&mut rng);
    store.save_code(&challenge, user, record, now()).await.expect("save");
    (user, challenge, plain)
}

/// R-2.1.6: the right code confirms once, for its user; used again it is refused.
pub async fn r_2_1_6_a_code_confirms_once(store: Arc<dyn Store>) {
    let (user, challenge, plain) = user_with_code(&store, tiyn_auth::CodePurpose::Login).await;
    let key = tiyn_auth::CodeKey::from_bytes(TEST_CODE_KEY);
    let later = now().checked_add(jiff::SignedDuration::from_secs(60)).expect("in range");
    let first = store.verify_code(&challenge, plain.expose(), tiyn_auth::CodePurpose::Login, later, &key).await;
    assert_eq!(first.expect("verified"), (user, Ok(())));
    let again = store.verify_code(&challenge, plain.expose(), tiyn_auth::CodePurpose::Login, later, &key).await;
    assert_eq!(again.expect("verified").1, Err(tiyn_auth::CodeError::AlreadyUsed));
}

/// R-2.1.6, R-8.6: an expired code, a code for another purpose (another batch of documents), and
/// an unknown challenge are refused.
pub async fn r_2_1_6_expired_foreign_and_unknown_codes_are_refused(store: Arc<dyn Store>) {
    let batch = tiyn_auth::CodePurpose::Confirmation { digest: [1; 32] };
    let (_, challenge, plain) = user_with_code(&store, batch).await;
    let key = tiyn_auth::CodeKey::from_bytes(TEST_CODE_KEY);
    let altered = tiyn_auth::CodePurpose::Confirmation { digest: [2; 32] };
    let foreign = store.verify_code(&challenge, plain.expose(), altered, now(), &key).await.expect("checked");
    assert_eq!(foreign.1, Err(tiyn_auth::CodeError::WrongPurpose));
    let expired_at = now().checked_add(jiff::SignedDuration::from_secs(3_600)).expect("in range");
    let expired = store.verify_code(&challenge, plain.expose(), batch, expired_at, &key).await.expect("checked");
    assert_eq!(expired.1, Err(tiyn_auth::CodeError::Expired));
    let unknown = tiyn_auth::ChallengeId::generate(&mut rand::rngs::StdRng::seed_from_u64(1));
    let missing = store.verify_code(&unknown, plain.expose(), batch, now(), &key).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");
}

/// R-2.1.6: 200 wrong codes sent at once spend the code's 3 attempts and no more are evaluated;
/// afterwards even the right code is refused.
pub async fn r_2_1_6_parallel_wrong_codes_spend_only_the_attempts(store: Arc<dyn Store>) {
    let (_, challenge, plain) = user_with_code(&store, tiyn_auth::CodePurpose::Login).await;
    let wrong = if plain.expose() == "000000" { "111111" } else { "000000" };
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (store, challenge) = (Arc::clone(&store), challenge.clone());
            tokio::spawn(async move {
                let key = tiyn_auth::CodeKey::from_bytes(TEST_CODE_KEY);
                store.verify_code(&challenge, wrong, tiyn_auth::CodePurpose::Login, now(), &key).await
            })
        })
        .collect();
    let (mut mismatches, mut exhausted) = (0, 0);
    for task in tasks {
        match task.await.expect("joined").expect("checked").1 {
            Err(tiyn_auth::CodeError::Mismatch { .. }) => mismatches += 1,
            Err(tiyn_auth::CodeError::AttemptsExhausted) => exhausted += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((mismatches, exhausted), (3, 197));
    let key = tiyn_auth::CodeKey::from_bytes(TEST_CODE_KEY);
    let right = store.verify_code(&challenge, plain.expose(), tiyn_auth::CodePurpose::Login, now(), &key).await;
    assert_eq!(right.expect("checked").1, Err(tiyn_auth::CodeError::AttemptsExhausted));
}

fn after(seconds: i64) -> Timestamp {
    now().checked_add(jiff::SignedDuration::from_secs(seconds)).expect("in range")
}

/// R-2.1.15: a session is found by its token's digest only, its activity only moves forward,
/// and once ended it stays ended.
pub async fn r_2_1_15_sessions_are_found_by_token_digest_touched_and_ended(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let user = store.create_user(new_user(Some(f.partner), "+77015551234", None)).await.expect("create");
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let token = tiyn_auth::SessionToken::generate(&mut rng);
    let id = store.create_session(token.digest(), user, now()).await.expect("create");
    let found = store.session_by_token(token.digest()).await.expect("read").expect("found");
    assert_eq!((found.id, found.user, found.ended), (id, user, None));
    assert_eq!(found.times.created_at(), now());
    store.touch_session(id, after(120)).await.expect("touch");
    store.touch_session(id, after(60)).await.expect("touch late");
    let touched = store.session_by_token(token.digest()).await.expect("read").expect("found");
    assert_eq!(touched.times.last_activity_at(), after(120), "activity never moves backwards");
    store.end_session(id, after(130), crate::SessionEnd::Logout).await.expect("end");
    store.touch_session(id, after(140)).await.expect("touch after end");
    store.end_session(id, after(150), crate::SessionEnd::Blocked).await.expect("end again");
    let ended = store.session_by_token(token.digest()).await.expect("read").expect("found");
    assert_eq!(ended.ended, Some((after(130), crate::SessionEnd::Logout)), "the first end stands");
    assert_eq!(ended.times.last_activity_at(), after(120));
    let other = tiyn_auth::SessionToken::generate(&mut rng);
    assert_eq!(store.session_by_token(other.digest()).await.expect("read"), None);
    let duplicate = store.create_session(token.digest(), user, now()).await;
    assert!(matches!(duplicate, Err(StoreError::AlreadyExists { .. })), "{duplicate:?}");
}

/// R-5.7, R-6.1.4: a password change ends the user's other sessions at once; the current one and
/// other users' sessions stay.
pub async fn r_5_7_ending_a_users_sessions_keeps_the_current_one(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let user = store.create_user(new_user(Some(f.partner), "+77015551234", None)).await.expect("create");
    let colleague = store.create_user(new_user(Some(f.partner), "+77015550000", None)).await.expect("create");
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut tokens = Vec::new();
    for owner in [user, user, user, colleague] {
        let token = tiyn_auth::SessionToken::generate(&mut rng);
        let id = store.create_session(token.digest(), owner, now()).await.expect("create");
        tokens.push((token, id));
    }
    let current = tokens[0].1;
    let ended = store.end_user_sessions(user, Some(current), after(10), crate::SessionEnd::PasswordChanged).await;
    assert_eq!(ended.expect("ended"), 2);
    let state = |index: usize| {
        let store = Arc::clone(&store);
        let digest = tokens[index].0.digest();
        async move { store.session_by_token(digest).await.expect("read").expect("found").ended }
    };
    assert_eq!(state(0).await, None);
    assert_eq!(state(1).await, Some((after(10), crate::SessionEnd::PasswordChanged)));
    assert_eq!(state(2).await, Some((after(10), crate::SessionEnd::PasswordChanged)));
    assert_eq!(state(3).await, None, "another user's session is untouched");
    let all = store.end_user_sessions(user, None, after(20), crate::SessionEnd::Blocked).await;
    assert_eq!(all.expect("ended"), 1, "blocking ends the last one too");
}

// ----- Identity: lifecycle, audit trail, means of access (issue 3) -----

/// A PHC string as the password module writes it; the store keeps it without reading it.
const TEST_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$dGVzdHNhbHR0ZXN0$dGVzdGhhc2h0ZXN0aGFzaA";
const OTHER_PASSWORD_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$b3RoZXJoYXNob3RoZXI";

/// The `n`-th test mobile number, `+7701555nnnn`.
fn test_mobile(n: u32) -> String {
    format!("+7701555{n:04}")
}

fn mobile_number(n: u32) -> MobileNumber {
    MobileNumber::parse(&test_mobile(n)).expect("valid mobile")
}

/// A partner's user pending activation, with the `n`-th test mobile number.
async fn partner_user(store: &Arc<dyn Store>, partner: PartnerId, n: u32, level: AccessLevel) -> UserId {
    let mut user = new_user(Some(partner), &test_mobile(n), None);
    user.level = Some(level);
    store.create_user(user).await.expect("create user")
}

/// A partner's user who set a password at [`now`].
async fn active_user(store: &Arc<dyn Store>, partner: PartnerId, n: u32, level: AccessLevel) -> UserId {
    let user = partner_user(store, partner, n, level).await;
    store.activate_user(user, TEST_PASSWORD_HASH, now()).await.expect("activate");
    user
}

/// A bank operator (no partner), pending activation.
async fn operator(store: &Arc<dyn Store>, n: u32) -> UserId {
    store.create_user(new_user(None, &test_mobile(n), None)).await.expect("create operator")
}

async fn read_user(store: &Arc<dyn Store>, user: UserId) -> User {
    store.user(user).await.expect("read user").expect("user exists")
}

/// A session token digest for tests; the store never sees the token.
fn test_digest(n: u8) -> [u8; 32] {
    [n; 32]
}

async fn session_end(store: &Arc<dyn Store>, digest: [u8; 32]) -> Option<(Timestamp, SessionEnd)> {
    store.session_by_token(digest).await.expect("read session").expect("session exists").ended
}

fn bank_block() -> Block {
    Block { reason: BlockReason::Bank, by: None, keep_a_full_user: false }
}

fn change(
    user: UserId,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    by: Option<UserId>,
    at: Timestamp,
) -> UserChangeRecord {
    UserChangeRecord {
        user,
        field: field.into(),
        old_value: old.map(str::to_owned),
        new_value: new.map(str::to_owned),
        by,
        at,
    }
}

async fn changes_of(store: &Arc<dyn Store>, user: UserId, fields: &[&str]) -> Vec<UserChangeRecord> {
    let changes = store.user_changes(user).await.expect("read changes");
    changes.into_iter().filter(|change| fields.contains(&change.field.as_str())).collect()
}

fn demotion() -> UserChange {
    UserChange { level: Some(AccessLevel::Confirm), ..UserChange::default() }
}

/// R-5.2: a user pending activation chooses the first password once and becomes active; a second
/// activation, the activation of a blocked user and of an unknown one are refused.
pub async fn r_5_2_activation_sets_the_first_password_once(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let user = partner_user(&store, f.partner, 1, AccessLevel::Confirm).await;
    assert_eq!(read_user(&store, user).await.status, UserStatus::PendingActivation);
    store.activate_user(user, TEST_PASSWORD_HASH, after(10)).await.expect("activate");
    let active = read_user(&store, user).await;
    assert_eq!((active.status, active.password_hash.as_deref()), (UserStatus::Active, Some(TEST_PASSWORD_HASH)));
    let again = store.activate_user(user, OTHER_PASSWORD_HASH, after(20)).await;
    assert!(matches!(again, Err(StoreError::Conflict("not_pending_activation"))), "{again:?}");
    let kept = read_user(&store, user).await;
    assert_eq!(kept.password_hash.as_deref(), Some(TEST_PASSWORD_HASH), "the first password stands");

    let blocked = partner_user(&store, f.partner, 2, AccessLevel::Confirm).await;
    store.block_user(blocked, bank_block(), after(30)).await.expect("block");
    let refused = store.activate_user(blocked, TEST_PASSWORD_HASH, after(40)).await;
    assert!(matches!(refused, Err(StoreError::Conflict("not_pending_activation"))), "{refused:?}");
    let still = read_user(&store, blocked).await;
    assert_eq!((still.status, still.password_hash), (UserStatus::Blocked, None));

    let unknown = store.activate_user(UserId::new(987_654), TEST_PASSWORD_HASH, after(50)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
}

/// R-5.7: changing the password ends the user's other sessions in the same transaction; the
/// current one and other users' sessions stay. The change is recorded, never its values.
pub async fn r_5_7_password_change_ends_other_sessions(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let user = active_user(&store, f.partner, 1, AccessLevel::Confirm).await;
    let colleague = active_user(&store, f.partner, 2, AccessLevel::Confirm).await;
    let mut sessions = Vec::new();
    for n in 0..3 {
        sessions.push(store.create_session(test_digest(n), user, now()).await.expect("session"));
    }
    store.create_session(test_digest(9), colleague, now()).await.expect("colleague's session");
    let ended = store.change_password(user, OTHER_PASSWORD_HASH, Some(sessions[0]), after(10)).await;
    assert_eq!(ended.expect("changed"), 2);
    assert_eq!(read_user(&store, user).await.password_hash.as_deref(), Some(OTHER_PASSWORD_HASH));
    assert_eq!(session_end(&store, test_digest(0)).await, None, "the current session stays");
    for n in [1, 2] {
        assert_eq!(session_end(&store, test_digest(n)).await, Some((after(10), SessionEnd::PasswordChanged)));
    }
    assert_eq!(session_end(&store, test_digest(9)).await, None, "another user's session is untouched");
    let changes = store.user_changes(user).await.expect("changes");
    let recorded: Vec<_> =
        changes.iter().filter(|change| change.field == "password" && change.at == after(10)).collect();
    assert_eq!(recorded, vec![&change(user, "password", None, None, Some(user), after(10))], "by the user, no values");
    assert!(
        changes
            .iter()
            .flat_map(|change| [&change.old_value, &change.new_value])
            .flatten()
            .all(|value| !value.contains("argon2")),
        "no password hash is ever recorded: {changes:?}"
    );

    // A recovery keeps no session: every open one ends.
    store.create_session(test_digest(3), user, after(11)).await.expect("session");
    let ended = store.change_password(user, TEST_PASSWORD_HASH, None, after(20)).await;
    assert_eq!(ended.expect("changed"), 2);
    assert_eq!(session_end(&store, test_digest(0)).await, Some((after(20), SessionEnd::PasswordChanged)));
    let unknown = store.change_password(UserId::new(987_654), TEST_PASSWORD_HASH, None, after(30)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
}

/// R-6.5.9: every changed field of a user is recorded with its old and new value, who changed it
/// and when, in the order of the fields (full name, mobile, email, level); an edit that changes
/// nothing records nothing; a login of another user, a user without any login, an operator with
/// an access level and an empty name are refused and change nothing.
pub async fn r_6_5_9_user_changes_are_recorded_with_author_and_time(store: Arc<dyn Store>) {
    const EDITS: [&str; 4] = ["full_name", "mobile", "email", "level"];
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let admin = active_user(&store, f.partner, 1, AccessLevel::Full).await;
    let user = active_user(&store, f.partner, 2, AccessLevel::Confirm).await;
    let edit = UserChange {
        level: Some(AccessLevel::Create),
        email: Some(Some(Email::parse("New@Demo.kz").expect("valid"))),
        ..UserChange::default()
    };
    let updated = store.update_user(user, edit.clone(), Some(admin), after(10)).await.expect("updated");
    assert_eq!(updated.level, Some(AccessLevel::Create));
    assert_eq!(updated.email.as_ref().map(Email::as_str), Some("new@demo.kz"));
    assert_eq!(updated, read_user(&store, user).await, "answers the user as stored");
    let rename = UserChange {
        full_name: Some("Ахметова Айгерим".into()),
        mobile: Some(Some(mobile_number(3))),
        ..UserChange::default()
    };
    let renamed = store.update_user(user, rename, None, after(20)).await.expect("renamed");
    assert_eq!((renamed.full_name.as_str(), renamed.mobile.clone()), ("Ахметова Айгерим", Some(mobile_number(3))));
    let mut expected = vec![
        change(user, "email", None, Some("new@demo.kz"), Some(admin), after(10)),
        change(user, "level", Some("confirm"), Some("create"), Some(admin), after(10)),
        change(user, "full_name", Some("Ахметова Айгерим Сериковна"), Some("Ахметова Айгерим"), None, after(20)),
        change(user, "mobile", Some(&test_mobile(2)), Some(&test_mobile(3)), None, after(20)),
    ];
    assert_eq!(changes_of(&store, user, &EDITS).await, expected);

    // The same values again, and an empty edit: nothing changes, nothing is recorded.
    let same = store.update_user(user, edit, Some(admin), after(30)).await.expect("no effect");
    assert_eq!(same, renamed);
    let empty = store.update_user(user, UserChange::default(), Some(admin), after(31)).await.expect("empty");
    assert_eq!(empty, renamed);
    assert_eq!(changes_of(&store, user, &EDITS).await, expected);

    // Refusals change nothing.
    let taken = UserChange { mobile: Some(Some(mobile_number(1))), ..UserChange::default() };
    let refused = store.update_user(user, taken, Some(admin), after(40)).await;
    assert!(matches!(refused, Err(StoreError::AlreadyExists { what }) if what == crate::LOGIN_TAKEN), "{refused:?}");
    let unnamed = UserChange { full_name: Some("   ".into()), level: Some(AccessLevel::Full), ..UserChange::default() };
    let refused = store.update_user(user, unnamed, Some(admin), after(41)).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
    let no_email = UserChange { email: Some(None), ..UserChange::default() };
    let removed = store.update_user(user, no_email, Some(admin), after(42)).await.expect("email removed");
    assert_eq!(removed.email, None);
    expected.push(change(user, "email", Some("new@demo.kz"), None, Some(admin), after(42)));
    let no_login = UserChange { mobile: Some(None), ..UserChange::default() };
    let refused = store.update_user(user, no_login, Some(admin), after(43)).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
    assert_eq!(read_user(&store, user).await, removed);
    assert_eq!(changes_of(&store, user, &EDITS).await, expected);

    let bank = operator(&store, 5).await;
    let level = UserChange { level: Some(AccessLevel::Full), ..UserChange::default() };
    let refused = store.update_user(bank, level, None, after(50)).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
    assert_eq!(read_user(&store, bank).await.level, None);
    assert_eq!(changes_of(&store, bank, &EDITS).await, vec![]);
    let unknown = store.update_user(UserId::new(987_654), demotion(), None, after(60)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
}

fn active_full_users(users: &[User]) -> Vec<UserId> {
    users
        .iter()
        .filter(|user| user.status == UserStatus::Active && user.level == Some(AccessLevel::Full))
        .map(|user| user.id)
        .collect()
}

/// R-8.5: a partner never loses its last active full-access user by its own users' hands:
/// demoting or blocking it is refused, also when two such changes race; only the bank, or the
/// user reporting lost access, may block it. Users pending activation or blocked do not count.
pub async fn r_8_5_last_full_access_user_is_protected(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let only = active_user(&store, f.partner, 1, AccessLevel::Full).await;
    let pending_full = partner_user(&store, f.partner, 2, AccessLevel::Full).await;
    let blocked_full = active_user(&store, f.partner, 3, AccessLevel::Full).await;
    store.block_user(blocked_full, bank_block(), now()).await.expect("block");

    let refused = store.update_user(only, demotion(), Some(only), after(10)).await;
    assert!(matches!(refused, Err(StoreError::Conflict("last_full_access"))), "{refused:?}");
    assert_eq!(read_user(&store, only).await.level, Some(AccessLevel::Full));
    let by_partner = Block { reason: BlockReason::Partner, by: Some(only), keep_a_full_user: true };
    let refused = store.block_user(only, by_partner, after(11)).await;
    assert!(matches!(refused, Err(StoreError::Conflict("last_full_access"))), "{refused:?}");
    let kept = read_user(&store, only).await;
    assert_eq!((kept.status, kept.block), (UserStatus::Active, None));
    let rename = UserChange { full_name: Some("Иванов Иван".into()), ..UserChange::default() };
    store.update_user(only, rename, Some(only), after(12)).await.expect("other edits of the last one are fine");
    // Demoting or blocking a full user who is not active leaves the active one in place.
    store.update_user(pending_full, demotion(), Some(only), after(13)).await.expect("pending user demoted");
    store.update_user(blocked_full, demotion(), Some(only), after(14)).await.expect("blocked user demoted");

    // A second active full user lifts the protection of the first.
    let second = active_user(&store, f.partner, 4, AccessLevel::Full).await;
    store.update_user(only, demotion(), Some(second), after(20)).await.expect("demoted");
    let refused = store.update_user(second, demotion(), Some(second), after(21)).await;
    assert!(matches!(refused, Err(StoreError::Conflict("last_full_access"))), "{refused:?}");
    // The user who lost access means may block themselves, and the bank may always block.
    let lost = Block { reason: BlockReason::LostAccess, by: Some(second), keep_a_full_user: false };
    store.block_user(second, lost, after(30)).await.expect("blocked on report of lost access");
    assert_eq!(read_user(&store, second).await.block, Some((after(30), BlockReason::LostAccess)));
    let users = store.partner_users(f.partner).await.expect("users");
    assert_eq!(active_full_users(&users), vec![], "the partner now depends on the bank");

    // Races: two full users demote (or block) each other at once; one change wins.
    let other = Fixture::new(Arc::clone(&store), 1).await;
    for round in 0..20_u32 {
        let a = active_user(&store, other.partner, 100 + 2 * round, AccessLevel::Full).await;
        let b = active_user(&store, other.partner, 101 + 2 * round, AccessLevel::Full).await;
        let first = {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.update_user(a, demotion(), Some(b), after(40)).await.map(|_| ()) })
        };
        let block_instead = round % 2 == 1;
        let racing = {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                if block_instead {
                    let block = Block { reason: BlockReason::Partner, by: Some(a), keep_a_full_user: true };
                    store.block_user(b, block, after(40)).await.map(|_| ())
                } else {
                    store.update_user(b, demotion(), Some(a), after(40)).await.map(|_| ())
                }
            })
        };
        let results = [first.await.expect("joined"), racing.await.expect("joined")];
        let succeeded = results.iter().filter(|result| result.is_ok()).count();
        assert_eq!(succeeded, 1, "round {round}: {results:?}");
        for result in &results {
            assert!(
                matches!(result, Ok(()) | Err(StoreError::Conflict("last_full_access"))),
                "round {round}: {result:?}"
            );
        }
        let users = store.partner_users(other.partner).await.expect("users");
        let survivors = active_full_users(&users);
        assert_eq!(survivors.len(), 1, "round {round}: the partner keeps one active full user");
        // The bank retires the survivor, so the next round starts with none.
        store.block_user(survivors[0], bank_block(), after(41)).await.expect("bank block");
    }
}

/// R-6.5.2, R-6.1.4: a block ends every session of the user at once and records when and why;
/// lifting it restores the user's status and a clean lockout state. Both are recorded.
pub async fn r_6_5_2_blocking_ends_sessions_at_once_and_records_the_instant(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let admin = active_user(&store, f.partner, 1, AccessLevel::Full).await;
    let user = active_user(&store, f.partner, 2, AccessLevel::Confirm).await;
    let policy = tiyn_auth::LockoutPolicy::default();
    for _ in 0..2 {
        store.record_login_failure(user, policy, now()).await.expect("failure");
    }
    assert_eq!(read_user(&store, user).await.lockout.consecutive_failures, 2);
    for n in [1, 2] {
        store.create_session(test_digest(n), user, now()).await.expect("session");
    }
    store.create_session(test_digest(3), admin, now()).await.expect("admin's session");
    let block = Block { reason: BlockReason::Partner, by: Some(admin), keep_a_full_user: true };
    assert_eq!(store.block_user(user, block, after(10)).await.expect("blocked"), 2);
    let blocked = read_user(&store, user).await;
    assert_eq!((blocked.status, blocked.block), (UserStatus::Blocked, Some((after(10), BlockReason::Partner))));
    for n in [1, 2] {
        assert_eq!(session_end(&store, test_digest(n)).await, Some((after(10), SessionEnd::Blocked)));
    }
    assert_eq!(session_end(&store, test_digest(3)).await, None);
    let again = store.block_user(user, bank_block(), after(15)).await;
    assert!(matches!(again, Err(StoreError::Conflict("already_blocked"))), "{again:?}");
    assert_eq!(read_user(&store, user).await.block, Some((after(10), BlockReason::Partner)), "the first block stands");

    store.unblock_user(user, Some(admin), after(20)).await.expect("unblocked");
    let lifted = read_user(&store, user).await;
    assert_eq!((lifted.status, lifted.block), (UserStatus::Active, None));
    assert_eq!(lifted.lockout, tiyn_auth::LockoutState::default(), "a clean lockout state");
    let again = store.unblock_user(user, Some(admin), after(25)).await;
    assert!(matches!(again, Err(StoreError::Conflict("not_blocked"))), "{again:?}");
    assert_eq!(
        changes_of(&store, user, &["status"]).await,
        vec![
            change(user, "status", Some("active"), Some("blocked"), Some(admin), after(10)),
            change(user, "status", Some("blocked"), Some("active"), Some(admin), after(20)),
        ]
    );

    // A user who never chose a password goes back to pending activation.
    let pending = partner_user(&store, f.partner, 3, AccessLevel::Create).await;
    assert_eq!(store.block_user(pending, bank_block(), after(30)).await.expect("blocked"), 0);
    store.unblock_user(pending, None, after(40)).await.expect("unblocked");
    let back = read_user(&store, pending).await;
    assert_eq!((back.status, back.block), (UserStatus::PendingActivation, None));
    assert_eq!(
        changes_of(&store, pending, &["status"]).await,
        vec![
            change(pending, "status", Some("pending_activation"), Some("blocked"), None, after(30)),
            change(pending, "status", Some("blocked"), Some("pending_activation"), None, after(40)),
        ]
    );
    let unknown = store.block_user(UserId::new(987_654), bank_block(), after(50)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
}

/// R-6.1.4: a success resets the consecutive failures and an expired lock (not the count of
/// lockouts); a lockout block survives successes and user unblocking, and only the bank's
/// `clear_lockout` lifts it, to a clean slate.
pub async fn r_6_1_4_lockout_block_is_cleared_only_by_clear_lockout(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let user = active_user(&store, f.partner, 1, AccessLevel::Confirm).await;
    let bank = operator(&store, 9).await;
    let policy = tiyn_auth::LockoutPolicy::new(2, 60, 2).expect("valid policy");
    let fail = |at: Timestamp| {
        let store = Arc::clone(&store);
        async move { store.record_login_failure(user, policy, at).await.expect("failure") }
    };
    assert_eq!(fail(now()).await, LockoutEvent::Counted { remaining: 1 });
    store.record_login_success(user, after(1)).await.expect("success");
    assert_eq!(read_user(&store, user).await.lockout.consecutive_failures, 0);
    assert_eq!(fail(after(2)).await, LockoutEvent::Counted { remaining: 1 });
    assert_eq!(fail(after(3)).await, LockoutEvent::Locked { until: after(63) });
    store.record_login_success(user, after(100)).await.expect("success after the lock");
    let state = read_user(&store, user).await.lockout;
    let expected = tiyn_auth::LockoutState { consecutive_failures: 0, lockouts: 1, locked_until: None, blocked: false };
    assert_eq!(state, expected, "the expired lock is cleared, the lockout still counts");
    assert_eq!(fail(after(101)).await, LockoutEvent::Counted { remaining: 1 });
    assert_eq!(fail(after(102)).await, LockoutEvent::Blocked);

    store.record_login_success(user, after(103)).await.expect("a success changes nothing");
    let blocked = read_user(&store, user).await;
    assert!(blocked.lockout.blocked, "{:?}", blocked.lockout);
    assert_eq!(blocked.status, UserStatus::Active, "a lockout block is not a block of the user");
    let refused = store.unblock_user(user, Some(bank), after(104)).await;
    assert!(matches!(refused, Err(StoreError::Conflict("not_blocked"))), "{refused:?}");
    assert_eq!(fail(after(105)).await, LockoutEvent::Blocked);
    assert!(read_user(&store, user).await.lockout.blocked);

    store.clear_lockout(user, Some(bank), after(200)).await.expect("cleared");
    assert_eq!(read_user(&store, user).await.lockout, tiyn_auth::LockoutState::default());
    assert_eq!(fail(after(201)).await, LockoutEvent::Counted { remaining: 1 });
    let unknown = store.clear_lockout(UserId::new(987_654), Some(bank), after(300)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
}

/// R-6.5.9: a suspension of powers is scheduled from a business date, moved and cancelled; each
/// change is recorded, and cancelling nothing records nothing.
pub async fn r_6_5_9_suspension_is_scheduled_and_cancelled(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let admin = active_user(&store, f.partner, 1, AccessLevel::Full).await;
    let user = active_user(&store, f.partner, 2, AccessLevel::Confirm).await;
    assert_eq!(read_user(&store, user).await.suspended_from, None);
    let first = jiff::civil::date(2026, 12, 1);
    let moved = jiff::civil::date(2026, 12, 3);
    store.schedule_suspension(user, Some(first), Some(admin), after(10)).await.expect("scheduled");
    assert_eq!(read_user(&store, user).await.suspended_from, Some(first));
    store.schedule_suspension(user, Some(moved), Some(admin), after(20)).await.expect("moved");
    assert_eq!(read_user(&store, user).await.suspended_from, Some(moved));
    store.schedule_suspension(user, None, None, after(30)).await.expect("cancelled");
    let cancelled = read_user(&store, user).await;
    assert_eq!((cancelled.suspended_from, cancelled.status), (None, UserStatus::Active));
    store.schedule_suspension(user, None, Some(admin), after(40)).await.expect("nothing to cancel");
    assert_eq!(
        changes_of(&store, user, &["suspended_from"]).await,
        vec![
            change(user, "suspended_from", None, Some("2026-12-01"), Some(admin), after(10)),
            change(user, "suspended_from", Some("2026-12-01"), Some("2026-12-03"), Some(admin), after(20)),
            change(user, "suspended_from", Some("2026-12-03"), None, None, after(30)),
        ]
    );
    let unknown = store.schedule_suspension(UserId::new(987_654), Some(first), None, after(50)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
}

/// R-6.1.4: 200 failures from one source at once are counted one after another, like a user's;
/// another source is unaffected.
pub async fn r_6_1_4_parallel_source_failures_are_counted_atomically(store: Arc<dyn Store>) {
    const SOURCE: &str = "203.0.113.7";
    let policy = tiyn_auth::LockoutPolicy::default();
    assert_eq!(store.source_lockout(SOURCE).await.expect("read"), tiyn_auth::LockoutState::default());
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.record_source_failure(SOURCE, policy, now()).await })
        })
        .collect();
    let (mut counted, mut locked) = (0, 0);
    for task in tasks {
        match task.await.expect("joined").expect("recorded") {
            LockoutEvent::Counted { .. } => counted += 1,
            LockoutEvent::Locked { .. } => locked += 1,
            LockoutEvent::Blocked => panic!("one lock is not a block"),
        }
    }
    let limit = policy.consecutive_failures_max();
    assert_eq!((counted, locked), (limit - 1, 200 - (limit - 1)), "only the first {limit} failures were evaluated");
    let state = store.source_lockout(SOURCE).await.expect("read");
    assert_eq!(state.lockouts, 1, "locked exactly once");
    assert!(state.check(now()).is_err(), "locked now");
    assert_eq!(store.source_lockout("198.51.100.1").await.expect("read"), tiyn_auth::LockoutState::default());
    let other = store.record_source_failure("198.51.100.1", policy, now()).await.expect("recorded");
    assert_eq!(other, LockoutEvent::Counted { remaining: limit - 1 });
}

fn test_audit_key() -> tiyn_auth::AuditKey {
    tiyn_auth::MasterKey::from_bytes([9; 32]).audit_key()
}

fn audit_record(at: Timestamp, action: &str) -> NewAuditRecord {
    NewAuditRecord {
        at,
        actor: None,
        partner: None,
        action: action.into(),
        object: None,
        source_ip: None,
        user_agent: None,
        outcome: AuditOutcome::Success,
        details: None,
    }
}

/// R-3.4: records appended at once are chained in one order, every field is kept as given (free
/// text cut to its bound), the head names the last record, and the chain verifies in one go and
/// page by page, under its key only.
pub async fn r_3_4_audit_chain_holds_under_concurrent_appends(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let actor = active_user(&store, f.partner, 1, AccessLevel::Full).await;
    let key = test_audit_key();
    assert_eq!(store.audit_head().await.expect("head"), AuditHead::default());
    assert_eq!(store.audit_chain(0, 100).await.expect("chain"), vec![]);
    let full = NewAuditRecord {
        at: after(1),
        actor: Some(actor),
        partner: Some(f.partner),
        action: "users.block".into(),
        object: Some(format!("user:{actor}")),
        source_ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0 (Тийын «тест»)".into()),
        outcome: AuditOutcome::Failure("x".into()),
        details: Some("level: create -> confirm".into()),
    };
    let bare = audit_record(after(2), "auth.login");
    let tasks: Vec<_> = (0..32_i64)
        .map(|n| {
            let record = match n {
                0 => full.clone(),
                1 => bare.clone(),
                _ => audit_record(after(n), &format!("test.action_{n}")),
            };
            let (store, key) = (Arc::clone(&store), key.clone());
            tokio::spawn(async move { store.append_audit(record, &key).await })
        })
        .collect();
    let mut appended = Vec::new();
    for task in tasks {
        appended.push(task.await.expect("joined").expect("appended"));
    }
    let chain = store.audit_chain(0, 1_000).await.expect("chain");
    assert_eq!(chain.len(), 32);
    assert!(chain.windows(2).all(|pair| pair[0].id < pair[1].id), "ids increase");
    assert_eq!(chain[0].previous_mac, crate::audit::AUDIT_GENESIS);
    for record in &appended {
        assert_eq!(chain.iter().find(|stored| stored.id == record.id), Some(record), "answers the record as stored");
    }
    assert!(chain.iter().any(|stored| stored.record == full), "every field round-trips");
    assert!(chain.iter().any(|stored| stored.record == bare), "absent fields stay absent");
    let head = store.audit_head().await.expect("head");
    assert_eq!((head.last_id, head.last_mac, head.anchor_id), (chain[31].id, chain[31].mac, 0));
    assert_eq!(crate::audit::verify_chain(&key, &head, &chain), Ok(32));

    let mut verifier = ChainVerifier::new(&head);
    let mut after_id = 0;
    loop {
        let page = store.audit_chain(after_id, 5).await.expect("page");
        assert!(page.len() <= 5);
        let Some(last) = page.last() else { break };
        after_id = last.id;
        for record in &page {
            verifier.feed(&key, record).expect("linked");
        }
    }
    assert_eq!(verifier.finish(&head), Ok(32), "page by page");
    let other_key = tiyn_auth::MasterKey::from_bytes([8; 32]).audit_key();
    assert_eq!(crate::audit::verify_chain(&other_key, &head, &chain), Err(ChainBreak::Mismatch { id: chain[0].id }));

    let long = NewAuditRecord {
        user_agent: Some("ж".repeat(crate::audit::AUDIT_TEXT_MAX + 88)),
        ..audit_record(after(40), "auth.login")
    };
    let stored = store.append_audit(long, &key).await.expect("appended");
    assert_eq!(stored.record.user_agent.map(|agent| agent.chars().count()), Some(crate::audit::AUDIT_TEXT_MAX));
    assert_eq!(stored.previous_mac, chain[31].mac);
    let head = store.audit_head().await.expect("head");
    let chain = store.audit_chain(0, 1_000).await.expect("chain");
    assert_eq!(crate::audit::verify_chain(&key, &head, &chain), Ok(33));
}

/// R-3.4: the trail is read newest first, by partner, by actor, by period (`to` exclusive), page by
/// page before a cursor, and never more than the limit.
pub async fn r_3_4_audit_records_filter_and_page(store: Arc<dyn Store>) {
    let first = Fixture::new(Arc::clone(&store), 0).await;
    let second = Fixture::new(Arc::clone(&store), 1).await;
    let alice = active_user(&store, first.partner, 1, AccessLevel::Full).await;
    let bob = active_user(&store, second.partner, 2, AccessLevel::Full).await;
    let key = test_audit_key();
    let mut stored = Vec::new();
    for n in 0..12_i64 {
        let (actor, partner) = match n % 3 {
            0 => (Some(alice), Some(first.partner)),
            1 => (Some(bob), Some(second.partner)),
            _ => (None, None),
        };
        let record = NewAuditRecord { actor, partner, ..audit_record(after(n * 10), "statements.view") };
        stored.push(store.append_audit(record, &key).await.expect("appended"));
    }
    let expected = |keep: &dyn Fn(&AuditRecord) -> bool| -> Vec<AuditRecord> {
        stored.iter().rev().filter(|record| keep(record)).cloned().collect()
    };
    let query = |query: AuditQuery| {
        let store = Arc::clone(&store);
        async move { store.audit_records(query).await.expect("records") }
    };
    let all = query(AuditQuery { limit: 100, ..AuditQuery::default() }).await;
    assert_eq!(all, expected(&|_| true), "newest first");
    let of_first = query(AuditQuery { partner: Some(first.partner), limit: 100, ..AuditQuery::default() }).await;
    assert_eq!(of_first, expected(&|record| record.record.partner == Some(first.partner)));
    assert_eq!(of_first.len(), 4);
    let of_bob = query(AuditQuery { actor: Some(bob), limit: 100, ..AuditQuery::default() }).await;
    assert_eq!(of_bob, expected(&|record| record.record.actor == Some(bob)));
    let period = query(AuditQuery { from: Some(after(30)), to: Some(after(70)), limit: 100, ..AuditQuery::default() });
    assert_eq!(period.await, expected(&|record| record.record.at >= after(30) && record.record.at < after(70)));
    let both = AuditQuery { partner: Some(first.partner), from: Some(after(30)), limit: 100, ..AuditQuery::default() };
    let both = query(both).await;
    assert_eq!(both, expected(&|record| record.record.partner == Some(first.partner) && record.record.at >= after(30)));
    assert_eq!(both.len(), 3);
    assert_eq!(query(AuditQuery { limit: 5, ..AuditQuery::default() }).await, all[..5].to_vec(), "the limit holds");

    for partner in [None, Some(second.partner)] {
        let mut pages = Vec::new();
        let mut before_id = None;
        loop {
            let page = query(AuditQuery { partner, before_id, limit: 3, ..AuditQuery::default() }).await;
            assert!(page.len() <= 3);
            let Some(last) = page.last() else { break };
            before_id = Some(last.id);
            pages.extend(page);
        }
        let whole = query(AuditQuery { partner, limit: 100, ..AuditQuery::default() }).await;
        assert_eq!(pages, whole, "pages before a cursor add up to the whole ({partner:?})");
    }
}

/// R-3.4: purging deletes old records from the start of the chain only, moves the head's anchor to
/// the last deleted record, and the rest still verifies; a purge that deletes nothing changes nothing.
pub async fn r_3_4_audit_purge_keeps_the_chain_verifiable(store: Arc<dyn Store>) {
    let key = test_audit_key();
    assert_eq!(store.purge_audit(after(1_000)).await.expect("purge"), 0);
    assert_eq!(store.audit_head().await.expect("head"), AuditHead::default());
    let mut stored = Vec::new();
    // The third record was appended after the second but carries an earlier instant.
    for (n, seconds) in [0, 10, 5, 30, 40].into_iter().enumerate() {
        stored
            .push(store.append_audit(audit_record(after(seconds), &format!("test.{n}")), &key).await.expect("append"));
    }
    let verify = || {
        let (store, key) = (Arc::clone(&store), key.clone());
        async move {
            let head = store.audit_head().await.expect("head");
            let chain = store.audit_chain(0, 1_000).await.expect("chain");
            (
                head,
                chain.iter().map(|record| record.id).collect::<Vec<_>>(),
                crate::audit::verify_chain(&key, &head, &chain),
            )
        }
    };
    let ids = |range: std::ops::Range<usize>| stored[range].iter().map(|record| record.id).collect::<Vec<_>>();

    // Only the start of the chain goes: the record at +5 stays behind the one at +10.
    assert_eq!(store.purge_audit(after(8)).await.expect("purge"), 1);
    let (head, chain, verified) = verify().await;
    assert_eq!((head.anchor_id, head.anchor_mac), (stored[0].id, stored[0].mac));
    assert_eq!((head.last_id, head.last_mac), (stored[4].id, stored[4].mac));
    assert_eq!((chain, verified), (ids(1..5), Ok(4)));

    assert_eq!(store.purge_audit(after(20)).await.expect("purge"), 2);
    let (head, chain, verified) = verify().await;
    assert_eq!((head.anchor_id, head.anchor_mac), (stored[2].id, stored[2].mac));
    assert_eq!((chain, verified), (ids(3..5), Ok(2)));

    assert_eq!(store.purge_audit(after(20)).await.expect("purge"), 0);
    assert_eq!(store.audit_head().await.expect("head"), head, "nothing deleted, the head is unchanged");

    assert_eq!(store.purge_audit(after(1_000)).await.expect("purge"), 2);
    let (head, chain, verified) = verify().await;
    assert_eq!((head.anchor_id, head.anchor_mac, head.last_id), (stored[4].id, stored[4].mac, stored[4].id));
    assert_eq!((chain, verified), (vec![], Ok(0)));
    let next = store.append_audit(audit_record(after(50), "test.next"), &key).await.expect("append");
    assert!(next.id > stored[4].id, "ids are never reused");
    assert_eq!(next.previous_mac, stored[4].mac);
    let (_, chain, verified) = verify().await;
    assert_eq!((chain, verified), (vec![next.id], Ok(1)));
}

/// R-2.1.21, R-8.10: a marker is enrolled pending, activated by a first code, and a code's time
/// step is accepted once, even by 16 requests at once; a revoked marker accepts nothing; a marker
/// belongs to its user only.
pub async fn r_2_1_21_marker_code_steps_are_accepted_once(store: Arc<dyn Store>) {
    const SERIAL: &str = "TYN-AB12-CD34";
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let user = active_user(&store, f.partner, 1, AccessLevel::Confirm).await;
    let stranger = active_user(&store, f.partner, 2, AccessLevel::Confirm).await;
    store.create_marker(user, SERIAL, vec![1, 2, 3, 4], now()).await.expect("enrolled");
    let expected = MarkerRecord {
        serial: SERIAL.into(),
        user,
        status: MarkerStatus::Pending,
        sealed_secret: vec![1, 2, 3, 4],
        last_step: None,
        created_at: now(),
        activated_at: None,
        revoked_at: None,
    };
    assert_eq!(store.user_markers(user).await.expect("markers"), vec![expected.clone()]);
    let duplicate = store.create_marker(stranger, SERIAL, vec![9], now()).await;
    assert!(matches!(duplicate, Err(StoreError::AlreadyExists { .. })), "{duplicate:?}");

    let accept = |step: u64, activate: bool, at: Timestamp| {
        let store = Arc::clone(&store);
        async move { store.accept_marker_step(user, SERIAL, step, activate, at).await.expect("accept") }
    };
    assert_eq!(accept(100, true, after(1)).await, StepAcceptance::Accepted);
    let active = MarkerRecord {
        status: MarkerStatus::Active,
        last_step: Some(100),
        activated_at: Some(after(1)),
        ..expected.clone()
    };
    assert_eq!(store.user_markers(user).await.expect("markers"), vec![active]);
    assert_eq!(accept(100, false, after(2)).await, StepAcceptance::Replayed);
    assert_eq!(accept(99, false, after(2)).await, StepAcceptance::Replayed);
    assert_eq!(accept(101, false, after(3)).await, StepAcceptance::Accepted);
    assert_eq!(accept(150, true, after(4)).await, StepAcceptance::Unusable, "an active marker is not activated again");

    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.accept_marker_step(user, SERIAL, 200, false, after(5)).await })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        match task.await.expect("joined").expect("accept") {
            StepAcceptance::Accepted => accepted += 1,
            StepAcceptance::Replayed => {}
            StepAcceptance::Unusable => panic!("the marker is usable"),
        }
    }
    assert_eq!(accepted, 1, "one code step, one acceptance");
    assert_eq!(store.user_markers(user).await.expect("markers")[0].last_step, Some(200));

    let foreign = store.accept_marker_step(stranger, SERIAL, 300, false, after(6)).await;
    assert!(matches!(foreign, Err(StoreError::NotFound { .. })), "{foreign:?}");
    let unknown = store.accept_marker_step(user, "TYN-0000-0000", 300, false, after(6)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
    let foreign = store.revoke_marker(stranger, SERIAL, after(7)).await;
    assert!(matches!(foreign, Err(StoreError::NotFound { .. })), "{foreign:?}");
    store.revoke_marker(user, SERIAL, after(8)).await.expect("revoked");
    assert_eq!(accept(400, false, after(9)).await, StepAcceptance::Unusable);
    assert_eq!(accept(401, true, after(9)).await, StepAcceptance::Unusable);

    store.create_marker(user, "TYN-EF56-GH78", vec![5], after(10)).await.expect("second marker");
    let markers = store.user_markers(user).await.expect("markers");
    let listed: Vec<_> = markers.iter().map(|marker| (marker.serial.as_str(), marker.status)).collect();
    assert_eq!(listed, vec![(SERIAL, MarkerStatus::Revoked), ("TYN-EF56-GH78", MarkerStatus::Pending)], "oldest first");
    assert_eq!((markers[0].revoked_at, markers[0].last_step), (Some(after(8)), Some(200)));
    assert_eq!(store.user_markers(stranger).await.expect("markers"), vec![]);
}

fn test_device(user: UserId, name: &str, at: Timestamp) -> NewDevice {
    NewDevice { user, platform: "android".into(), os_version: "14".into(), name: name.into(), at }
}

/// R-2.1.17: a user's devices are listed oldest first; a revoked one is no longer listed; another
/// user's device cannot be revoked.
pub async fn r_2_1_17_devices_are_registered_listed_and_revoked(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let user = active_user(&store, f.partner, 1, AccessLevel::Confirm).await;
    let stranger = active_user(&store, f.partner, 2, AccessLevel::Confirm).await;
    assert_eq!(store.user_devices(user).await.expect("devices"), vec![]);
    let phone = store.register_device(test_device(user, "Мой телефон", now())).await.expect("registered");
    let tablet =
        NewDevice { platform: "ios".into(), os_version: "17.4.1".into(), ..test_device(user, "iPad", after(1)) };
    let tablet = store.register_device(tablet).await.expect("registered");
    let theirs = store.register_device(test_device(stranger, "Чужой", after(2))).await.expect("registered");
    let record = |id, platform: &str, os_version: &str, name: &str, at| DeviceRecord {
        id,
        user,
        platform: platform.into(),
        os_version: os_version.into(),
        name: name.into(),
        registered_at: at,
        revoked_at: None,
    };
    assert_eq!(
        store.user_devices(user).await.expect("devices"),
        vec![record(phone, "android", "14", "Мой телефон", now()), record(tablet, "ios", "17.4.1", "iPad", after(1))]
    );
    let foreign = store.revoke_device(user, theirs, after(3)).await;
    assert!(matches!(foreign, Err(StoreError::NotFound { .. })), "{foreign:?}");
    let unknown = store.revoke_device(user, DeviceId::new(987_654), after(3)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
    store.revoke_device(user, phone, after(4)).await.expect("revoked");
    let listed: Vec<_> = store.user_devices(user).await.expect("devices").iter().map(|device| device.id).collect();
    assert_eq!(listed, vec![tablet]);
    let theirs_listed: Vec<_> = store.user_devices(stranger).await.expect("devices").iter().map(|d| d.id).collect();
    assert_eq!(theirs_listed, vec![theirs], "another user's device is untouched");
}

/// A partner's API keys: issued with their accounts (none: every account; never another partner's)
/// and never with full access, found by the secret's digest only, used (the last use never moves
/// backwards), listed newest first and revoked by their own partner only.
pub async fn api_keys_are_issued_listed_used_and_revoked(store: Arc<dyn Store>) {
    let first = Fixture::new(Arc::clone(&store), 0).await;
    let second = Fixture::new(Arc::clone(&store), 1).await;
    let admin = active_user(&store, first.partner, 1, AccessLevel::Full).await;
    let new_key = |digest: u8, accounts: Vec<AccountId>, at: Timestamp| NewApiKey {
        partner: first.partner,
        created_by: admin,
        name: format!("1С интеграция {digest}"),
        level: AccessLevel::Create,
        accounts,
        expires_at: None,
        secret_digest: [digest; 32],
        prefix: format!("tyn_{digest:02}"),
        at,
    };
    assert_eq!(store.partner_api_keys(first.partner).await.expect("keys"), vec![]);
    let every = store.create_api_key(new_key(1, vec![], now())).await.expect("issued");
    let mut some = new_key(2, vec![first.kzt_a, first.usd], after(1));
    some.level = AccessLevel::Confirm;
    some.expires_at = Some(after(86_400));
    let some = store.create_api_key(some).await.expect("issued");
    let record = |id, digest: u8, accounts: Vec<AccountId>, level, expires_at, at| ApiKeyRecord {
        id,
        partner: first.partner,
        created_by: admin,
        name: format!("1С интеграция {digest}"),
        level,
        accounts,
        expires_at,
        prefix: format!("tyn_{digest:02}"),
        created_at: at,
        last_used_at: None,
        revoked_at: None,
    };
    let mut expected_some =
        record(some, 2, vec![first.kzt_a, first.usd], AccessLevel::Confirm, Some(after(86_400)), after(1));
    let mut expected_every = record(every, 1, vec![], AccessLevel::Create, None, now());
    assert_eq!(
        store.partner_api_keys(first.partner).await.expect("keys"),
        vec![expected_some.clone(), expected_every.clone()],
        "newest first"
    );
    assert_eq!(store.partner_api_keys(second.partner).await.expect("keys"), vec![]);
    assert_eq!(store.api_key_by_digest([2; 32]).await.expect("read"), Some(expected_some.clone()));
    assert_eq!(store.api_key_by_digest([1; 32]).await.expect("read"), Some(expected_every.clone()));
    assert_eq!(store.api_key_by_digest([3; 32]).await.expect("read"), None);
    let duplicate = store.create_api_key(new_key(2, vec![], after(2))).await;
    assert!(matches!(duplicate, Err(StoreError::AlreadyExists { .. })), "{duplicate:?}");
    let foreign_account = store.create_api_key(new_key(4, vec![second.kzt_a], after(2))).await;
    assert!(matches!(foreign_account, Err(StoreError::Invalid(_))), "a key reaches only its partner's accounts");
    let full = store.create_api_key(NewApiKey { level: AccessLevel::Full, ..new_key(5, vec![], after(2)) }).await;
    assert!(matches!(full, Err(StoreError::Invalid(_))), "a key never has full access: {full:?}");

    store.touch_api_key(some, after(10)).await.expect("used");
    store.touch_api_key(some, after(5)).await.expect("used, reported late");
    expected_some.last_used_at = Some(after(10));
    assert_eq!(store.api_key_by_digest([2; 32]).await.expect("read"), Some(expected_some.clone()));

    let foreign = store.revoke_api_key(second.partner, some, after(20)).await;
    assert!(matches!(foreign, Err(StoreError::NotFound { .. })), "{foreign:?}");
    let unknown = store.revoke_api_key(first.partner, ApiKeyId::new(987_654), after(20)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound { .. })), "{unknown:?}");
    store.revoke_api_key(first.partner, every, after(30)).await.expect("revoked");
    expected_every.revoked_at = Some(after(30));
    assert_eq!(
        store.partner_api_keys(first.partner).await.expect("keys"),
        vec![expected_some, expected_every.clone()],
        "revoked keys stay listed"
    );
    assert_eq!(store.api_key_by_digest([1; 32]).await.expect("read"), Some(expected_every));
}

/// R-2.1.15: `GET /me` lists the user's open sessions, newest first; ended ones and other users'
/// are not listed.
pub async fn r_2_1_15_open_sessions_are_listed_newest_first(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let user = active_user(&store, f.partner, 1, AccessLevel::Confirm).await;
    let colleague = active_user(&store, f.partner, 2, AccessLevel::Confirm).await;
    assert_eq!(store.user_sessions(user).await.expect("sessions"), vec![]);
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(store.create_session(test_digest(n), user, after(i64::from(n))).await.expect("session"));
    }
    store.create_session(test_digest(9), colleague, after(5)).await.expect("colleague's session");
    store.end_session(ids[1], after(6), SessionEnd::Logout).await.expect("ended");
    let sessions = store.user_sessions(user).await.expect("sessions");
    let listed: Vec<_> = sessions.iter().map(|session| (session.id, session.times.created_at())).collect();
    assert_eq!(listed, vec![(ids[2], after(2)), (ids[0], now())]);
    assert!(sessions.iter().all(|session| session.user == user && session.ended.is_none()));
}

// ----- Payment documents (issue 4) -----

/// The value date of the stories' documents; the store keeps it as given.
const PAYMENT_DATE: &str = "2026-09-21";

fn business_date(day: i8) -> jiff::civil::Date {
    jiff::civil::date(2026, 9, day)
}

/// A partner with a full-access user who creates and confirms its documents, and the bank's KZT
/// fees account.
struct Payments {
    f: Fixture,
    user: UserId,
    fees: AccountId,
}

impl Payments {
    async fn new(store: Arc<dyn Store>, partner_index: usize) -> Payments {
        let f = Fixture::new(Arc::clone(&store), partner_index).await;
        let user = active_user(&store, f.partner, 50 + partner_index as u32, AccessLevel::Full).await;
        let fees = store.bank_account(AccountKind::BankFees, Currency::Kzt).await.expect("fees account");
        Payments { f, user, fees }
    }

    fn draft(&self, from: AccountId, to: AccountId, minor: i64, value_date: &str) -> NewPayment {
        let amount = kzt(minor);
        NewPayment {
            partner: self.f.partner,
            fields: payment_fields(from, to, amount, value_date),
            amount,
            value_date: value_date.parse().expect("a test date"),
            created_by: self.user,
            created_at: now(),
            request_key: None,
        }
    }

    /// A draft paying `minor` from the first KZT account to the second, value date [`PAYMENT_DATE`].
    async fn create(&self, minor: i64) -> PaymentRecord {
        let draft = self.draft(self.f.kzt_a, self.f.kzt_b, minor, PAYMENT_DATE);
        self.f.store.create_payment(draft).await.expect("create a draft")
    }

    async fn get(&self, id: DocumentId) -> PaymentRecord {
        self.f.store.payment(self.f.partner, id).await.expect("read").expect("the partner's document")
    }

    fn signing(&self, challenge: &str, documents: &[&PaymentRecord]) -> NewSigning {
        NewSigning {
            challenge: challenge.to_owned(),
            channel: tiyn_payments::ConfirmationChannel::Sms,
            partner: self.f.partner,
            user: self.user,
            members: documents.iter().map(|record| member(record)).collect(),
            batch_digest: batch_digest(challenge),
            created_at: now(),
            expires_at: after(300),
        }
    }

    /// Sends the documents for confirmation under `challenge`.
    async fn sign(&self, challenge: &str, documents: &[&PaymentRecord]) -> NewSigning {
        let signing = self.signing(challenge, documents);
        self.f.store.open_signing(signing.clone()).await.expect("sent for confirmation");
        signing
    }

    /// A transfer of the document's amount to its payee with `fee` to the bank.
    fn post(&self, record: &PaymentRecord, fee: i64) -> Execution {
        let amount = record.amount.minor();
        let posting = |account, minor| Posting { account, amount: Money::from_minor(minor, Currency::Kzt) };
        let entry = JournalEntry::new(vec![
            posting(payer_of(record), -(amount + fee)),
            posting(payee_of(record), amount),
            posting(self.fees, fee),
        ])
        .expect("balanced");
        let action = Action::Post { entry, kind: EntryKind::Transfer, memo: format!("payment {}", record.number) };
        Execution::Post(Command::new(key(&format!("payment-{}", record.id)), now(), action).expect("memo"))
    }

    /// A hold of amount and fee, handed to the gateway under `message_id`.
    fn hold(&self, record: &PaymentRecord, fee: i64, message_id: &str) -> Execution {
        let action = Action::Hold {
            account: payer_of(record),
            amount: kzt(record.amount.minor() + fee),
            memo: format!("payment {}", record.number),
        };
        let command = Command::new(key(&format!("payment-{}", record.id)), now(), action).expect("memo");
        Execution::Hold { command, message_id: message_id.to_owned() }
    }

    fn confirmation(
        &self,
        signing: &NewSigning,
        documents: Vec<PlannedPayment>,
        limits: LimitSet,
        day: jiff::civil::Date,
    ) -> ConfirmPayments {
        ConfirmPayments {
            partner: self.f.partner,
            challenge: signing.challenge.clone(),
            confirmed_by: self.user,
            session: None,
            channel: ConfirmationChannel::Sms,
            confirmed_at: after(60),
            batch_digest: signing.batch_digest,
            business_date: day,
            limits,
            documents,
        }
    }

    /// Statuses of the documents, in the order given.
    async fn statuses(&self, documents: &[&PaymentRecord]) -> Vec<PaymentStatus> {
        let mut statuses = Vec::new();
        for record in documents {
            statuses.push(self.get(record.id).await.status);
        }
        statuses
    }
}

fn payment_fields(from: AccountId, to: AccountId, amount: Amount, value_date: &str) -> RawDocument {
    RawDocument {
        kind: Some("internal".into()),
        payer_account: Some(from.get().to_string()),
        amount: Some(amount.money().amount_string()),
        currency: Some("KZT".into()),
        knp: Some("342".into()),
        purpose: Some("Перевод собственных средств".into()),
        value_date: Some(value_date.into()),
        payee_account: Some(to.get().to_string()),
        ..RawDocument::default()
    }
}

fn payer_of(record: &PaymentRecord) -> AccountId {
    AccountId::new(record.fields.payer_account.as_deref().and_then(|id| id.parse().ok()).expect("a payer account"))
}

fn payee_of(record: &PaymentRecord) -> AccountId {
    AccountId::new(record.fields.payee_account.as_deref().and_then(|id| id.parse().ok()).expect("a payee account"))
}

/// A stand-in for the content digest the caller computes: distinct per document and version.
fn content_digest(record: &PaymentRecord) -> [u8; 32] {
    let mut digest = [0xC0; 32];
    digest[..8].copy_from_slice(&record.id.get().to_be_bytes());
    digest[8..12].copy_from_slice(&record.version.to_be_bytes());
    digest
}

fn batch_digest(challenge: &str) -> [u8; 32] {
    let mut digest = [0xBA; 32];
    for (byte, text) in digest.iter_mut().zip(challenge.bytes()) {
        *byte = text;
    }
    digest
}

fn member(record: &PaymentRecord) -> SigningMember {
    SigningMember { document: record.id, version: record.version, content_digest: content_digest(record) }
}

fn planned(record: &PaymentRecord, fee: i64, execution: Execution) -> PlannedPayment {
    PlannedPayment {
        member: member(record),
        payer: AccountId::new(record.fields.payer_account.as_deref().and_then(|id| id.parse().ok()).unwrap_or(0)),
        kind: DocumentKind::Internal,
        amount: record.amount,
        commission: Money::from_minor(fee, Currency::Kzt),
        execution,
    }
}

fn refusal_code(outcome: &PaymentOutcome) -> Option<RefusalCode> {
    match outcome {
        PaymentOutcome::Refused(refusal) => Some(refusal.code),
        _ => None,
    }
}

fn daily_amount_limit(partner: PartnerId, minor: i64) -> LimitSet {
    let rule = LimitRule::DailyAmount(Money::from_minor(minor, Currency::Kzt));
    LimitSet::new([Limit::new(LimitScope::Partner(partner), None, rule).expect("a valid limit")]).expect("one limit")
}

/// R-3.1.1.2: an import's drafts are created in one transaction, numbered in their order; one
/// that cannot be stored (an account that does not exist) leaves none of them.
pub async fn r_3_1_1_2_a_batch_of_drafts_is_created_whole_or_not_at_all(store: Arc<dyn Store>) {
    let first = Payments::new(Arc::clone(&store), 0).await;
    let batch: Vec<NewPayment> = [1_000, 2_000, 3_000]
        .iter()
        .map(|minor| first.draft(first.f.kzt_a, first.f.kzt_b, *minor, PAYMENT_DATE))
        .collect();
    let created = store.create_payments(batch).await.expect("a batch");
    assert!(!created.replayed);
    let numbers: Vec<u64> = created.records.iter().map(|record| record.number.get()).collect();
    assert_eq!(numbers, [1, 2, 3]);
    let mut broken: Vec<NewPayment> =
        [4_000, 5_000].iter().map(|minor| first.draft(first.f.kzt_a, first.f.kzt_b, *minor, PAYMENT_DATE)).collect();
    broken[1].fields.payer_account = Some("987654321".into());
    assert!(store.create_payments(broken).await.is_err(), "an unknown account is refused");
    let all =
        store.payments(first.f.partner, PaymentQuery { limit: 100, ..PaymentQuery::default() }).await.expect("list");
    assert_eq!(all.len(), 3, "nothing of the refused batch was stored");
    assert!(store.create_payments(Vec::new()).await.expect("empty").records.is_empty());
}

/// R-3.1.1.2: drafts get the partner's next number (1, 2, 3; another partner starts at 1) and
/// keep their requisites; a repeated request key answers the first draft, with other content it
/// is a conflict; another partner's document is unknown to read, edit and delete.
pub async fn r_3_1_1_2_payment_drafts_are_numbered_per_partner(store: Arc<dyn Store>) {
    let first = Payments::new(Arc::clone(&store), 0).await;
    let second = Payments::new(Arc::clone(&store), 1).await;
    let mut created = Vec::new();
    for minor in [10_000, 20_000, 30_000] {
        created.push(first.create(minor).await);
    }
    let numbers: Vec<u64> = created.iter().map(|record| record.number.get()).collect();
    assert_eq!(numbers, [1, 2, 3]);
    let other = second.create(5_000).await;
    assert_eq!(other.number.get(), 1, "numbers are per partner");

    let draft = &created[0];
    assert_eq!((draft.partner, draft.status, draft.version), (first.f.partner, PaymentStatus::Draft, 1));
    assert_eq!(draft.fields, payment_fields(first.f.kzt_a, first.f.kzt_b, kzt(10_000), PAYMENT_DATE));
    assert_eq!(draft.fields.amount.as_deref(), Some("100.00"));
    assert_eq!((draft.amount, draft.value_date), (kzt(10_000), business_date(21)));
    assert_eq!(
        (draft.created_by, draft.created_at, draft.edited_by, draft.edited_at),
        (first.user, now(), first.user, now())
    );
    assert_eq!(draft.kind(), Some(DocumentKind::Internal));
    assert!(draft.submission.is_none() && draft.evidence.is_none() && draft.entry.is_none() && draft.refusal.is_none());
    assert_eq!(&first.get(draft.id).await, draft, "read back as created");

    let keyed = |digest: u8| NewPayment {
        request_key: Some(RequestKey { key: "request-1".into(), digest: [digest; 32] }),
        ..first.draft(first.f.kzt_a, first.f.kzt_b, 7_000, PAYMENT_DATE)
    };
    let once = store.create_payment(keyed(1)).await.expect("keyed draft");
    assert_eq!(once.number.get(), 4);
    let again = store.create_payment(keyed(1)).await.expect("the same request again");
    assert_eq!(again, once, "a repeated request answers the first draft");
    let conflict = store.create_payment(keyed(2)).await;
    assert!(matches!(conflict, Err(StoreError::Conflict("idempotency_conflict"))), "{conflict:?}");
    // The key is the partner's: another partner may use the same one.
    let theirs = NewPayment {
        request_key: Some(RequestKey { key: "request-1".into(), digest: [2; 32] }),
        ..second.draft(second.f.kzt_a, second.f.kzt_b, 7_000, PAYMENT_DATE)
    };
    assert_eq!(store.create_payment(theirs).await.expect("another partner's key").number.get(), 2);
    let listed = store.payments(first.f.partner, PaymentQuery { limit: 100, ..PaymentQuery::default() }).await;
    assert_eq!(listed.expect("list").len(), 4, "no draft was added by the repeat or the conflict");

    // Another partner's id answers exactly like an unknown one.
    assert_eq!(store.payment(second.f.partner, draft.id).await.expect("read"), None);
    assert_eq!(store.payment(first.f.partner, DocumentId::new(987_654)).await.expect("read"), None);
    let edit = PaymentEdit {
        partner: second.f.partner,
        id: draft.id,
        fields: payment_fields(first.f.kzt_a, first.f.kzt_b, kzt(1), PAYMENT_DATE),
        amount: kzt(1),
        value_date: business_date(21),
        edited_by: second.user,
        edited_at: after(1),
    };
    let refused = store.edit_payment(edit).await;
    assert!(matches!(refused, Err(StoreError::NotFound { .. })), "{refused:?}");
    let refused = store.delete_payment(second.f.partner, draft.id, after(1)).await;
    assert!(matches!(refused, Err(StoreError::NotFound { .. })), "{refused:?}");
    let signing = second.signing("foreign", &[draft]);
    let refused = store.open_signing(signing).await;
    assert!(matches!(refused, Err(StoreError::NotFound { .. })), "{refused:?}");
    assert_eq!(&first.get(draft.id).await, draft, "untouched by the other partner");

    store.delete_payment(first.f.partner, created[1].id, after(2)).await.expect("delete a draft");
    assert_eq!(store.payment(first.f.partner, created[1].id).await.expect("read"), None);
    let refused = store.delete_payment(first.f.partner, created[1].id, after(2)).await;
    assert!(matches!(refused, Err(StoreError::NotFound { .. })), "{refused:?}");
}

/// R-3.1.1.2: drafts created at once by many clients of one partner get distinct numbers; the
/// same request key sent at once by several clients makes one draft, answered to all; a deleted
/// draft's number is not given again.
pub async fn r_3_1_1_2_concurrent_drafts_get_distinct_numbers_and_one_draft_per_key(store: Arc<dyn Store>) {
    let first = Arc::new(Payments::new(Arc::clone(&store), 0).await);
    let mut tasks = Vec::new();
    for n in 0..16 {
        let first = Arc::clone(&first);
        tasks.push(tokio::spawn(async move { first.create(1_000 + n).await.number.get() }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.expect("a client"));
    }
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 16, "every draft has its own number: {numbers:?}");

    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (first, store) = (Arc::clone(&first), Arc::clone(&store));
        tasks.push(tokio::spawn(async move {
            let keyed = NewPayment {
                request_key: Some(RequestKey { key: "same-request".into(), digest: [7; 32] }),
                ..first.draft(first.f.kzt_a, first.f.kzt_b, 7_000, PAYMENT_DATE)
            };
            store.create_payment(keyed).await.expect("the request or its repeat").id
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.expect("a client"));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one draft for one request key: {ids:?}");
    let listed = store.payments(first.f.partner, PaymentQuery { limit: 100, ..PaymentQuery::default() }).await;
    assert_eq!(listed.expect("list").len(), 17);

    let last = first.create(1).await;
    store.delete_payment(first.f.partner, last.id, after(1)).await.expect("delete the newest draft");
    let next = first.create(2).await;
    assert!(next.number.get() > last.number.get(), "{} after the deleted {}", next.number.get(), last.number.get());
}

/// R-3.1.1.2: an edit replaces the requisites and bumps the version, and returns a document
/// awaiting confirmation to draft; lists filter by status and value dates, newest first, page by
/// page before a cursor.
pub async fn r_3_1_1_2_payment_edits_and_lists(store: Arc<dyn Store>) {
    let p = Payments::new(Arc::clone(&store), 0).await;
    let dates = ["2026-09-21", "2026-09-22", "2026-09-23", "2026-09-24", "2026-09-25"];
    let mut created = Vec::new();
    for (n, date) in dates.iter().enumerate() {
        let draft = p.draft(p.f.kzt_a, p.f.kzt_b, 1_000 * (n as i64 + 1), date);
        created.push(store.create_payment(draft).await.expect("create"));
    }
    p.sign("edit-1", &[&created[1], &created[3]]).await;
    let awaiting = p.get(created[1].id).await;
    assert_eq!((awaiting.status, awaiting.version), (PaymentStatus::AwaitingConfirmation, 1));

    let edit = PaymentEdit {
        partner: p.f.partner,
        id: created[1].id,
        fields: payment_fields(p.f.kzt_b, p.f.kzt_a, kzt(2_500), "2026-09-28"),
        amount: kzt(2_500),
        value_date: business_date(28),
        edited_by: p.user,
        edited_at: after(10),
    };
    let edited = store.edit_payment(edit.clone()).await.expect("edit");
    assert_eq!((edited.status, edited.version, edited.number), (PaymentStatus::Draft, 2, created[1].number));
    assert_eq!((&edited.fields, edited.amount, edited.value_date), (&edit.fields, kzt(2_500), business_date(28)));
    assert_eq!((edited.edited_by, edited.edited_at, edited.created_at), (p.user, after(10), now()));
    assert_eq!(edited.submission, None, "back to draft, no longer sent for confirmation");
    assert_eq!(p.get(created[1].id).await, edited);
    let again = store.edit_payment(PaymentEdit { edited_at: after(11), ..edit }).await.expect("edit a draft");
    assert_eq!((again.version, again.status), (3, PaymentStatus::Draft));

    let list = |query: PaymentQuery| {
        let store = Arc::clone(&store);
        let partner = p.f.partner;
        async move {
            let found = store.payments(partner, query).await.expect("list");
            found.into_iter().map(|record| record.id).collect::<Vec<_>>()
        }
    };
    let ids: Vec<DocumentId> = created.iter().map(|record| record.id).collect();
    let all = PaymentQuery { limit: 100, ..PaymentQuery::default() };
    assert_eq!(list(all.clone()).await, vec![ids[4], ids[3], ids[2], ids[1], ids[0]], "newest first");
    let drafts = PaymentQuery { status: Some(PaymentStatus::Draft), ..all.clone() };
    assert_eq!(list(drafts).await, vec![ids[4], ids[2], ids[1], ids[0]]);
    let awaiting = PaymentQuery { status: Some(PaymentStatus::AwaitingConfirmation), ..all.clone() };
    assert_eq!(list(awaiting).await, vec![ids[3]]);
    // Value dates inclusive at both ends; the edited one moved to the 28th.
    let period = PaymentQuery { from: Some(business_date(22)), to: Some(business_date(24)), ..all.clone() };
    assert_eq!(list(period).await, vec![ids[3], ids[2]]);
    let from = PaymentQuery { from: Some(business_date(25)), ..all.clone() };
    assert_eq!(list(from).await, vec![ids[4], ids[1]]);
    let to = PaymentQuery { to: Some(business_date(21)), ..all.clone() };
    assert_eq!(list(to).await, vec![ids[0]]);
    assert_eq!(list(PaymentQuery { limit: 2, ..all.clone() }).await, vec![ids[4], ids[3]], "the limit holds");
    let mut pages = Vec::new();
    let mut before = None;
    loop {
        let page = list(PaymentQuery { before, limit: 2, ..PaymentQuery::default() }).await;
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        before = Some(*last);
        pages.extend(page);
    }
    assert_eq!(pages, list(all).await, "pages before a cursor add up to the whole");
    let other = Payments::new(Arc::clone(&store), 1).await;
    let theirs = store.payments(other.f.partner, PaymentQuery { limit: 100, ..PaymentQuery::default() }).await;
    assert_eq!(theirs.expect("list"), vec![], "another partner lists only its own documents");
}

/// R-4.11, R-8.8: sending documents for confirmation makes them await it with the digest of the
/// content the code covers, and keeps the batch under its challenge; a stale version writes
/// nothing.
pub async fn r_4_11_r_8_8_documents_are_sent_for_confirmation_at_their_version(store: Arc<dyn Store>) {
    let p = Payments::new(Arc::clone(&store), 0).await;
    let a = p.create(1_000).await;
    let b = p.create(2_000).await;
    let signing = p.sign("send-1", &[&b, &a]).await;
    for record in [&a, &b] {
        let sent = p.get(record.id).await;
        assert_eq!((sent.status, sent.version), (PaymentStatus::AwaitingConfirmation, 1));
        let submission = sent.submission.expect("submitted");
        assert_eq!((submission.by, submission.at, submission.content_digest), (p.user, now(), content_digest(record)));
        assert_eq!(sent.evidence, None);
    }
    let stored = store.signing(p.f.partner, "send-1").await.expect("read").expect("kept");
    assert_eq!(stored.members, signing.members, "members in the challenge's order");
    assert_eq!(
        (stored.partner, stored.user, stored.batch_digest, stored.created_at, stored.expires_at, stored.used_at),
        (p.f.partner, p.user, batch_digest("send-1"), now(), after(300), None)
    );
    let other = Payments::new(Arc::clone(&store), 1).await;
    assert_eq!(store.signing(other.f.partner, "send-1").await.expect("read"), None, "another partner's challenge");
    let twice = store.open_signing(p.signing("send-1", &[&a])).await;
    assert!(matches!(twice, Err(StoreError::AlreadyExists { .. })), "{twice:?}");

    // Re-sending a document awaiting confirmation under a new challenge is allowed.
    p.sign("send-2", &[&a]).await;

    let c = p.create(3_000).await;
    let d = p.create(4_000).await;
    let edit = PaymentEdit {
        partner: p.f.partner,
        id: d.id,
        fields: d.fields.clone(),
        amount: d.amount,
        value_date: d.value_date,
        edited_by: p.user,
        edited_at: after(5),
    };
    store.edit_payment(edit).await.expect("edit");
    let stale = store.open_signing(p.signing("send-3", &[&c, &d])).await;
    assert!(matches!(stale, Err(StoreError::Conflict("document_changed"))), "{stale:?}");
    assert_eq!(p.statuses(&[&c, &d]).await, [PaymentStatus::Draft, PaymentStatus::Draft], "nothing was written");
    assert_eq!(p.get(c.id).await.submission, None);
    assert_eq!(store.signing(p.f.partner, "send-3").await.expect("read"), None, "no batch was kept");
}

/// R-4.11, R-8.8, R-5.9: one code confirms the batch; each document executes through the ledger
/// in the same transaction, with the confirmation's evidence; the challenge is used once; a
/// document changed after the code was issued fails the whole confirmation, writing nothing.
pub async fn r_4_11_r_8_8_a_confirmation_executes_its_documents_once(store: Arc<dyn Store>) {
    let p = Payments::new(Arc::clone(&store), 0).await;
    p.f.fund(p.f.kzt_a, 100_000).await;
    let a = p.create(10_000).await;
    let b = p.create(20_000).await;
    let signing = p.sign("confirm-1", &[&a, &b]).await;
    let documents = vec![planned(&a, 150, p.post(&a, 150)), planned(&b, 200, p.post(&b, 200))];
    let request = p.confirmation(&signing, documents, LimitSet::none(), business_date(21));
    let outcomes = store.confirm_payments(request.clone()).await.expect("confirmed");
    assert_eq!(outcomes.len(), 2);
    for ((record, fee), outcome) in [(&a, 150), (&b, 200)].into_iter().zip(&outcomes) {
        let PaymentOutcome::Executed { entry } = outcome else { panic!("expected executed, got {outcome:?}") };
        let stored = p.get(record.id).await;
        assert_eq!(
            (stored.status, stored.entry, stored.executed_at),
            (PaymentStatus::Executed, Some(*entry), Some(after(60)))
        );
        assert_eq!(stored.commission, Some(Money::from_minor(fee, Currency::Kzt)));
        let evidence = stored.evidence.expect("evidence kept");
        assert_eq!(
            (evidence.challenge.as_str(), evidence.confirmed_by, evidence.session, evidence.channel),
            ("confirm-1", p.user, None, ConfirmationChannel::Sms)
        );
        assert_eq!((evidence.confirmed_at, evidence.batch_digest), (after(60), batch_digest("confirm-1")));
        assert_eq!((evidence.content_digest, evidence.business_date), (content_digest(record), business_date(21)));
        assert_eq!(stored.fields, record.fields, "the requisites as confirmed");
    }
    assert_eq!(p.f.balance(p.f.kzt_a).await, (100_000 - 30_350, 0));
    assert_eq!(p.f.balance(p.f.kzt_b).await, (30_000, 0));
    assert_eq!(p.f.balance(p.fees).await, (350, 0));
    p.f.assert_sound().await;
    let used = store.signing(p.f.partner, "confirm-1").await.expect("read").expect("kept");
    assert_eq!(used.used_at, Some(after(60)));

    let again = store.confirm_payments(request).await;
    assert!(matches!(again, Err(StoreError::Conflict("challenge_used"))), "{again:?}");
    assert_eq!(p.f.balance(p.f.kzt_a).await, (100_000 - 30_350, 0), "posted once");
    // A confirmed document is kept as confirmed: no edit, no deletion.
    let edit = PaymentEdit {
        partner: p.f.partner,
        id: a.id,
        fields: a.fields.clone(),
        amount: kzt(1),
        value_date: a.value_date,
        edited_by: p.user,
        edited_at: after(70),
    };
    let refused = store.edit_payment(edit).await;
    assert!(matches!(refused, Err(StoreError::Conflict("not_editable"))), "{refused:?}");
    let refused = store.delete_payment(p.f.partner, a.id, after(70)).await;
    assert!(matches!(refused, Err(StoreError::Conflict("not_editable"))), "{refused:?}");
    let resent = store.open_signing(p.signing("confirm-x", &[&a])).await;
    assert!(matches!(resent, Err(StoreError::Conflict("not_signable"))), "{resent:?}");

    // A document edited after the code was issued: the whole confirmation fails.
    let c = p.create(1_000).await;
    let d = p.create(2_000).await;
    let signing = p.sign("confirm-2", &[&c, &d]).await;
    let edit = PaymentEdit {
        partner: p.f.partner,
        id: d.id,
        fields: payment_fields(p.f.kzt_a, p.f.kzt_b, kzt(2_001), PAYMENT_DATE),
        amount: kzt(2_001),
        value_date: d.value_date,
        edited_by: p.user,
        edited_at: after(80),
    };
    store.edit_payment(edit).await.expect("edited after the signing");
    let totals = store.posting_totals().await.expect("totals");
    let documents = vec![planned(&c, 100, p.post(&c, 100)), planned(&d, 100, p.post(&d, 100))];
    let changed =
        store.confirm_payments(p.confirmation(&signing, documents, LimitSet::none(), business_date(21))).await;
    assert!(matches!(changed, Err(StoreError::Conflict("document_changed"))), "{changed:?}");
    assert_eq!(store.posting_totals().await.expect("totals"), totals, "no posting");
    assert_eq!(p.f.balance(p.f.kzt_a).await, (100_000 - 30_350, 0));
    let unused = store.signing(p.f.partner, "confirm-2").await.expect("read").expect("kept");
    assert_eq!(unused.used_at, None, "the challenge was not used");
    assert_eq!(p.statuses(&[&c, &d]).await, [PaymentStatus::AwaitingConfirmation, PaymentStatus::Draft]);
    assert_eq!(p.get(c.id).await.evidence, None);
    p.f.assert_sound().await;
}

/// R-6.1.1, R-6.3.2: a document the available balance does not cover is refused alone
/// (`insufficient_funds`) while the others of the batch execute; a hold sends the document
/// (`sent`, with the hold and the message id) and reduces the available balance; a later value
/// date leaves it confirmed.
pub async fn r_6_1_1_r_6_3_2_insufficient_funds_refuse_only_that_document(store: Arc<dyn Store>) {
    let p = Payments::new(Arc::clone(&store), 0).await;
    p.f.fund(p.f.kzt_a, 50_000).await;
    let a = p.create(20_000).await;
    let b = p.create(40_000).await;
    let c = p.create(5_000).await;
    let d = p.create(10_000).await;
    let e = p.create(3_000).await;
    let signing = p.sign("batch-1", &[&a, &b, &c, &d, &e]).await;
    let documents = vec![
        planned(&a, 150, p.post(&a, 150)),
        planned(&b, 150, p.post(&b, 150)),
        planned(&c, 150, p.post(&c, 150)),
        planned(&d, 200, p.hold(&d, 200, "TIYN-MSG-0001")),
        planned(&e, 100, Execution::Later),
    ];
    let request = p.confirmation(&signing, documents, LimitSet::none(), business_date(21));
    let outcomes = store.confirm_payments(request).await.expect("confirmed");
    let statuses: Vec<PaymentStatus> = outcomes.iter().map(PaymentOutcome::status).collect();
    assert_eq!(
        statuses,
        [
            PaymentStatus::Executed,
            PaymentStatus::Refused,
            PaymentStatus::Executed,
            PaymentStatus::Sent,
            PaymentStatus::Confirmed
        ]
    );
    assert_eq!(refusal_code(&outcomes[1]), Some(RefusalCode::InsufficientFunds));
    let PaymentOutcome::Sent { hold, message_id } = &outcomes[3] else { panic!("sent: {:?}", outcomes[3]) };
    assert_eq!(message_id, "TIYN-MSG-0001");

    assert_eq!(p.statuses(&[&a, &b, &c, &d, &e]).await, statuses, "stored as answered");
    let refused = p.get(b.id).await;
    let refusal = refused.refusal.expect("the refusal is kept");
    assert_eq!((refusal.code, refusal.refused_at), (RefusalCode::InsufficientFunds, after(60)));
    assert!(!refusal.reason.is_empty());
    assert_eq!(refused.entry, None);
    assert!(refused.evidence.is_some(), "a refused document keeps the confirmation's evidence");
    let sent = p.get(d.id).await;
    assert_eq!(
        (sent.hold, sent.message_id.as_deref(), sent.sent_at),
        (Some(*hold), Some("TIYN-MSG-0001"), Some(after(60)))
    );
    let later = p.get(e.id).await;
    assert_eq!((later.entry, later.hold, later.executed_at), (None, None, None));
    assert_eq!(later.commission, Some(Money::from_minor(100, Currency::Kzt)));

    let account = store.account(p.f.kzt_a).await.expect("read").expect("exists");
    let posted = 20_150 + 5_150;
    assert_eq!((account.balance.minor(), account.held.minor()), (50_000 - posted, 10_200));
    assert_eq!(account.available().minor(), 50_000 - posted - 10_200);
    assert_eq!(p.f.balance(p.f.kzt_b).await, (25_000, 0));
    assert_eq!(p.f.balance(p.fees).await, (300, 0));
    p.f.assert_sound().await;
}

/// R-6.1.7, R-4.13: the bank's daily amount limit refuses the document that would exceed it
/// (`limit_exceeded`), counting the documents confirmed earlier the same business date (not the
/// refused ones) and those before it in the batch; another business date starts afresh.
pub async fn r_6_1_7_r_4_13_daily_limit_counts_the_days_confirmations(store: Arc<dyn Store>) {
    let p = Payments::new(Arc::clone(&store), 0).await;
    p.f.fund(p.f.kzt_a, 1_000_000).await;
    let limits = || daily_amount_limit(p.f.partner, 30_000);
    let a = p.create(20_000).await;
    let signing = p.sign("day-1", &[&a]).await;
    let request = p.confirmation(&signing, vec![planned(&a, 0, Execution::Later)], limits(), business_date(21));
    let outcomes = store.confirm_payments(request).await.expect("confirmed");
    assert_eq!(outcomes, [PaymentOutcome::Confirmed], "a later value date counts too");

    let b = p.create(5_000).await;
    let c = p.create(10_000).await;
    let d = p.create(5_000).await;
    let signing = p.sign("day-2", &[&b, &c, &d]).await;
    let documents =
        vec![planned(&b, 100, p.post(&b, 100)), planned(&c, 100, p.post(&c, 100)), planned(&d, 100, p.post(&d, 100))];
    let outcomes = store.confirm_payments(p.confirmation(&signing, documents, limits(), business_date(21))).await;
    let outcomes = outcomes.expect("confirmed");
    let statuses: Vec<PaymentStatus> = outcomes.iter().map(PaymentOutcome::status).collect();
    assert_eq!(statuses, [PaymentStatus::Executed, PaymentStatus::Refused, PaymentStatus::Executed]);
    assert_eq!(refusal_code(&outcomes[1]), Some(RefusalCode::LimitExceeded));
    assert_eq!(p.get(c.id).await.refusal.map(|refusal| refusal.code), Some(RefusalCode::LimitExceeded));
    assert_eq!(p.f.balance(p.f.kzt_b).await, (10_000, 0), "the refused document moved no money");

    // Exactly at the limit now: one more tiyn the same day is refused; the next day passes.
    let e = p.create(1).await;
    let f = p.create(25_000).await;
    let signing = p.sign("day-3", &[&e]).await;
    let outcomes = store
        .confirm_payments(p.confirmation(&signing, vec![planned(&e, 0, Execution::Later)], limits(), business_date(21)))
        .await;
    assert_eq!(
        outcomes.expect("confirmed").iter().map(refusal_code).collect::<Vec<_>>(),
        [Some(RefusalCode::LimitExceeded)]
    );
    let signing = p.sign("day-4", &[&f]).await;
    let documents = vec![planned(&f, 100, p.post(&f, 100))];
    let outcomes = store.confirm_payments(p.confirmation(&signing, documents, limits(), business_date(22))).await;
    assert_eq!(
        outcomes.expect("confirmed").iter().map(PaymentOutcome::status).collect::<Vec<_>>(),
        [PaymentStatus::Executed]
    );
    p.f.assert_sound().await;
}

/// R-6.3.2, R-6.1.1: 16 clients at once, each creating, sending and confirming its own document
/// paying from one account whose balance covers only some of them: the account never goes below
/// zero, exactly the covered documents execute (the rest are refused for insufficient funds),
/// the money moved is what the executed documents say, numbers never collide, and the ledger
/// stays sound.
pub async fn r_6_3_2_concurrent_confirmations_never_overdraw_one_account(store: Arc<dyn Store>) {
    const CLIENTS: usize = 16;
    const AMOUNT: i64 = 10_000;
    const FEE: i64 = 100;
    let p = Arc::new(Payments::new(Arc::clone(&store), 0).await);
    let funds = 9 * (AMOUNT + FEE) + 5_000;
    p.f.fund(p.f.kzt_a, funds).await;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let p = Arc::clone(&p);
            tokio::spawn(async move {
                let record = p.create(AMOUNT).await;
                let signing = p.sign(&format!("client-{client}"), &[&record]).await;
                let documents = vec![planned(&record, FEE, p.post(&record, FEE))];
                let request = p.confirmation(&signing, documents, LimitSet::none(), business_date(21));
                let outcomes = p.f.store.confirm_payments(request).await.expect("confirmed");
                (record.number.get(), outcomes)
            })
        })
        .collect();
    let mut numbers = std::collections::BTreeSet::new();
    let (mut executed, mut refused) = (0_i64, 0_i64);
    for task in tasks {
        let (number, outcomes) = task.await.expect("client finished");
        assert!(numbers.insert(number), "number {number} given twice");
        match &outcomes[..] {
            [PaymentOutcome::Executed { .. }] => executed += 1,
            [outcome] if refusal_code(outcome) == Some(RefusalCode::InsufficientFunds) => refused += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(numbers, (1..=CLIENTS as u64).collect(), "numbers 1 to {CLIENTS}, none twice");
    assert_eq!((executed, refused), (9, CLIENTS as i64 - 9), "exactly what the balance covers");
    let (balance, held) = p.f.balance(p.f.kzt_a).await;
    assert!(balance >= 0 && held == 0, "the account went to {balance}");
    assert_eq!(balance, funds - executed * (AMOUNT + FEE), "only the executed documents moved money");
    assert_eq!(p.f.balance(p.f.kzt_b).await, (executed * AMOUNT, 0));
    assert_eq!(p.f.balance(p.fees).await, (executed * FEE, 0));
    let all = PaymentQuery { status: Some(PaymentStatus::Executed), limit: 100, ..PaymentQuery::default() };
    let stored = store.payments(p.f.partner, all).await.expect("list");
    assert_eq!(stored.len() as i64, executed, "the statuses agree with the money");
    assert!(stored.iter().all(|record| record.entry.is_some()));
    p.f.assert_sound().await;
}

/// R-6.3.2, R-6.1.7, with several server processes on one database (`stores` share it; each is
/// one process): clients of every process create, send and confirm documents of one partner at
/// once. Numbers never collide; the partner's daily limit holds across processes (each
/// confirmation counts the ones the others committed); one account paying for all of them never
/// goes below zero; the ledger stays sound. Not in [`store_conformance!`]: a backend's tests call
/// it with stores opened on one database.
pub async fn r_6_3_2_r_6_1_7_several_processes_confirm_payments(stores: Vec<Arc<dyn Store>>) {
    const AMOUNT: i64 = 10_000;
    const FEE: i64 = 100;
    let p = Arc::new(Payments::new(Arc::clone(&stores[0]), 0).await);
    let per_store = 16_usize.div_ceil(stores.len());
    let clients = stores.len() * per_store;
    // One account pays on two business days under a limit of 10 documents a day. Day 1: money
    // for 15, so the limit decides. Day 2: money for the 5 left, so the balance decides.
    let covered = 5;
    let limit = 10 * AMOUNT;
    p.f.fund(p.f.kzt_a, (10 + covered) * (AMOUNT + FEE) + 50).await;
    let (from, to) = (p.f.kzt_a, p.f.kzt_b);
    for day in [21, 22] {
        let mut tasks = Vec::new();
        for (process, store) in stores.iter().enumerate() {
            for client in 0..per_store {
                let (p, store) = (Arc::clone(&p), Arc::clone(store));
                tasks.push(tokio::spawn(async move {
                    let draft = p.draft(from, to, AMOUNT, PAYMENT_DATE);
                    let record = store.create_payment(draft).await.expect("create");
                    let signing = p.signing(&format!("d{day}-p{process}-c{client}"), &[&record]);
                    store.open_signing(signing.clone()).await.expect("sent for confirmation");
                    let documents = vec![planned(&record, FEE, p.post(&record, FEE))];
                    let limits = daily_amount_limit(p.f.partner, limit);
                    let request = p.confirmation(&signing, documents, limits, business_date(day));
                    let outcomes = store.confirm_payments(request).await.expect("confirmed");
                    (record.number.get(), outcomes)
                }));
            }
        }
        let mut executed = 0_i64;
        let mut refusals = std::collections::BTreeMap::new();
        for task in tasks {
            let (number, outcomes) = task.await.expect("client finished");
            assert!(number > 0);
            match &outcomes[..] {
                [PaymentOutcome::Executed { .. }] => executed += 1,
                [PaymentOutcome::Refused(refusal)] => *refusals.entry(refusal.code.as_str()).or_insert(0) += 1,
                other => panic!("unexpected outcome {other:?}"),
            }
        }
        let refused = clients as i64 - executed;
        if day == 21 {
            assert_eq!(executed, 10, "the day's limit across processes");
            assert_eq!(refusals.into_iter().collect::<Vec<_>>(), [("limit_exceeded", refused)]);
        } else {
            assert_eq!(executed, covered, "what the balance covers");
            assert_eq!(refusals.into_iter().collect::<Vec<_>>(), [("insufficient_funds", refused)]);
        }
    }
    let listed = stores[0].payments(p.f.partner, PaymentQuery { limit: 500, ..PaymentQuery::default() }).await;
    let mut numbers: Vec<u64> = listed.expect("list").iter().map(|record| record.number.get()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=2 * clients as u64).collect::<Vec<_>>(), "numbers 1, 2, 3, … none twice");
    assert_eq!(p.f.balance(from).await, (50, 0), "never below zero");
    assert_eq!(p.f.balance(to).await, ((10 + covered) * AMOUNT, 0));
    assert_eq!(p.f.balance(p.fees).await, ((10 + covered) * FEE, 0));
    let check = stores[0].check_ledger().await.expect("check");
    assert!(check.is_sound(), "{check:?}");
}

/// For a backend's own tests of its guards: a partner's executed document (confirmed with a
/// code, posted) and a draft.
pub async fn confirmed_and_draft_payment(store: Arc<dyn Store>) -> (DocumentId, DocumentId) {
    let p = Payments::new(store, 0).await;
    p.f.fund(p.f.kzt_a, 10_000).await;
    let confirmed = p.create(1_000).await;
    let draft = p.create(2_000).await;
    let signing = p.sign("guarded", &[&confirmed]).await;
    let documents = vec![planned(&confirmed, 100, p.post(&confirmed, 100))];
    let request = p.confirmation(&signing, documents, LimitSet::none(), business_date(21));
    let outcomes = p.f.store.confirm_payments(request).await.expect("confirmed");
    assert!(matches!(outcomes[..], [PaymentOutcome::Executed { .. }]), "{outcomes:?}");
    (confirmed.id, draft.id)
}
