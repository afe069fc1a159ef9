//! The story every storage backend must pass, written once against `dyn Store`.
//!
//! A backend's test crate runs it with [`crate::store_conformance!`], giving an expression that
//! opens a fresh, empty store. Each story asserts behaviour a user relies on: money moves exactly
//! once, never below zero, and the ledger sums to zero in every currency.

use std::sync::Arc;

use jiff::Timestamp;
use rand::{Rng, SeedableRng};
use tiyn_core::iban::Iban;
use tiyn_core::iin::Bin;
use tiyn_core::{AccountId, Amount, Currency, EntryId, Money, PartnerId};
use tiyn_ledger::{
    AccountState, AccountStatus, Action, Book, Command, Decision, EntryKind, EntryState, Executed, HoldState,
    HoldStatus, IdempotencyKey, JournalEntry, LedgerError, Receipt,
};

use crate::{AccountKind, NewAccount, NewPartner, Store, StoreError};

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
    let first = f.store.execute(transfer_command("retry-me", f.kzt_a, f.kzt_b, kzt(1_000))).await.expect("first");
    let second = f.store.execute(transfer_command("retry-me", f.kzt_a, f.kzt_b, kzt(1_000))).await.expect("replay");
    assert!(second.replayed);
    assert_eq!(posted_entry(&first), posted_entry(&second));
    assert_eq!(f.balance(f.kzt_a).await, (9_000, 0), "posted once");
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

/// a debit beyond the available balance is refused; nothing is written, and
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

/// 16 clients doing random transfers among six accounts, some retrying their own
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

/// listing a partner's accounts never shows another partner's.
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
        consent: partner
            .map(|_| crate::Consent {
                recorded_by: "заявление №17 от 01.11.2026".into(), recorded_at: now()
            }),
        created_at: now(),
    }
}

/// one user, found by its email or by any spelling of its mobile number.
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

/// a mobile number or email address belongs to one user on the whole platform, even
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
        assert!(matches!(refused, Err(StoreError::AlreadyExists { .. })), "{refused:?}");
    }
    let mut no_login = new_user(Some(second.partner), "+77019999999", None);
    no_login.mobile = None;
    assert!(matches!(store.create_user(no_login).await, Err(StoreError::Invalid(_))));
}

/// 200 wrong attempts at once are counted one after another: exactly the policy's
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

/// a partner's user cannot be registered without the recorded consent, which is kept.
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

/// the right code confirms once, for its user; used again it is refused.
pub async fn r_2_1_6_a_code_confirms_once(store: Arc<dyn Store>) {
    let (user, challenge, plain) = user_with_code(&store, tiyn_auth::CodePurpose::Login).await;
    let key = tiyn_auth::CodeKey::from_bytes(TEST_CODE_KEY);
    let later = now().checked_add(jiff::SignedDuration::from_secs(60)).expect("in range");
    let first = store.verify_code(&challenge, plain.expose(), tiyn_auth::CodePurpose::Login, later, &key).await;
    assert_eq!(first.expect("verified"), (user, Ok(())));
    let again = store.verify_code(&challenge, plain.expose(), tiyn_auth::CodePurpose::Login, later, &key).await;
    assert_eq!(again.expect("verified").1, Err(tiyn_auth::CodeError::AlreadyUsed));
}

/// an expired code, a code for another purpose (another batch of documents), and
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

/// 200 wrong codes sent at once spend the code's 3 attempts and no more are evaluated;
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

/// a session is found by its token's digest only, its activity only moves forward,
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

/// a password change ends the user's other sessions at once; the current one and
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
