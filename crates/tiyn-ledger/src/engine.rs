//! The decision engine: applies commands, one after another, to an in-memory working set of
//! account states, and says for each one what to write or why it is refused.
//!
//! Both storage backends use it the same way (group commit): inside one database transaction they
//! lock and load the accounts, holds and entries a batch of commands touches ([`Needs`]), run every
//! command through one [`Book`] in arrival order, write what the book decided, and commit. The
//! rules therefore live here once, and a refused command never affects the others in its batch.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use tiyn_core::{AccountId, Amount, Currency, EntryId, HoldId, Money};

use crate::{Action, EntryKind, JournalEntry, LedgerError, Posting};

/// Whether an account's available balance may go below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalancePolicy {
    /// A partner's account: every debit needs the available balance.
    NonNegative,
    /// The bank's own accounts (equity, fees, FX position, clearing, suspense) mirror partner
    /// money and may be negative; the zero-sum invariant still holds.
    Unrestricted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Open,
    /// A closed account refuses every posting.
    Closed,
}

impl AccountStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Open => "open",
            AccountStatus::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<AccountStatus> {
        [AccountStatus::Open, AccountStatus::Closed].into_iter().find(|status| status.as_str() == code)
    }
}

/// What the engine needs to know about an account; loaded (and locked) by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountState {
    pub id: AccountId,
    pub currency: Currency,
    pub policy: BalancePolicy,
    pub status: AccountStatus,
    /// Posted balance in minor units: the sum of the account's postings.
    pub balance: i64,
    /// Sum of the account's active holds, in minor units; never negative.
    pub held: i64,
}

impl AccountState {
    /// The balance that can still be spent: posted balance less active holds.
    pub fn available(&self) -> i64 {
        self.balance - self.held
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldStatus {
    Active,
    Captured,
    Released,
}

impl HoldStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Active => "active",
            HoldStatus::Captured => "captured",
            HoldStatus::Released => "released",
        }
    }

    pub fn parse(code: &str) -> Option<HoldStatus> {
        [HoldStatus::Active, HoldStatus::Captured, HoldStatus::Released]
            .into_iter()
            .find(|status| status.as_str() == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldState {
    pub id: HoldId,
    pub account: AccountId,
    pub amount: Amount,
    pub status: HoldStatus,
}

/// An earlier entry a reversal refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryState {
    pub id: EntryId,
    pub entry: JournalEntry,
    pub reversed: bool,
}

/// What the book decided a command writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Insert a journal entry. `captures` closes that hold as captured; `reverses` links the
    /// reversed entry (a unique link in the database, so it is reversed at most once).
    Post { entry: JournalEntry, kind: EntryKind, captures: Option<HoldId>, reverses: Option<EntryId> },
    /// Insert a new active hold.
    OpenHold { account: AccountId, amount: Amount },
    /// Mark a hold released.
    ReleaseHold { hold: HoldId },
}

/// The rows a batch of actions refers to. Holds and entries are loaded first, then every account
/// they and the actions name ([`Needs::accounts_of_loaded`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    pub accounts: BTreeSet<AccountId>,
    pub holds: BTreeSet<HoldId>,
    pub entries: BTreeSet<EntryId>,
}

impl Needs {
    pub fn of<'a>(actions: impl IntoIterator<Item = &'a Action>) -> Needs {
        let mut needs = Needs::default();
        for action in actions {
            match action {
                Action::Post { entry, .. } => needs.accounts.extend(entry.postings().iter().map(|p| p.account)),
                Action::Hold { account, .. } => {
                    needs.accounts.insert(*account);
                }
                Action::CaptureHold { hold, to, .. } => {
                    needs.holds.insert(*hold);
                    needs.accounts.insert(*to);
                }
                Action::ReleaseHold { hold } => {
                    needs.holds.insert(*hold);
                }
                Action::Reverse { entry, .. } => {
                    needs.entries.insert(*entry);
                }
            }
        }
        needs
    }

    /// Adds the accounts of loaded holds and entries; the store then loads accounts in ascending
    /// id order, which is the one lock order every process uses (no deadlocks between them).
    pub fn accounts_of_loaded<'a>(
        &mut self,
        holds: impl IntoIterator<Item = &'a HoldState>,
        entries: impl IntoIterator<Item = &'a EntryState>,
    ) {
        self.accounts.extend(holds.into_iter().map(|hold| hold.account));
        for entry in entries {
            self.accounts.extend(entry.entry.postings().iter().map(|posting| posting.account));
        }
    }
}

/// The working set: the states of everything a batch touches, updated as each command is decided.
#[derive(Debug, Default)]
pub struct Book {
    accounts: HashMap<AccountId, AccountState>,
    holds: HashMap<HoldId, HoldState>,
    entries: HashMap<EntryId, EntryState>,
    touched: BTreeSet<AccountId>,
}

impl Book {
    pub fn new(
        accounts: impl IntoIterator<Item = AccountState>,
        holds: impl IntoIterator<Item = HoldState>,
        entries: impl IntoIterator<Item = EntryState>,
    ) -> Book {
        Book {
            accounts: accounts.into_iter().map(|account| (account.id, account)).collect(),
            holds: holds.into_iter().map(|hold| (hold.id, hold)).collect(),
            entries: entries.into_iter().map(|entry| (entry.id, entry)).collect(),
            touched: BTreeSet::new(),
        }
    }

    /// Decides one action against the current states and, when it is accepted, applies it to
    /// them so that the next action in the batch sees its effect. A refusal changes nothing.
    pub fn decide(&mut self, action: &Action) -> Result<Decision, LedgerError> {
        match action {
            Action::Post { entry, kind, .. } => {
                self.apply_entry(entry, None)?;
                Ok(Decision::Post { entry: entry.clone(), kind: *kind, captures: None, reverses: None })
            }
            Action::Hold { account, amount, .. } => self.open_hold(*account, *amount),
            Action::CaptureHold { hold, to, .. } => self.capture_hold(*hold, *to),
            Action::ReleaseHold { hold } => {
                let state = self.active_hold(*hold)?;
                let account = self.account_mut(state.account)?;
                account.held -= state.amount.minor();
                debug_assert!(account.held >= 0);
                self.touched.insert(state.account);
                self.set_hold_status(*hold, HoldStatus::Released);
                Ok(Decision::ReleaseHold { hold: *hold })
            }
            Action::Reverse { entry, .. } => {
                let original = self.entries.get(entry).ok_or(LedgerError::EntryNotFound(*entry))?;
                if original.reversed {
                    return Err(LedgerError::AlreadyReversed(*entry));
                }
                let reversal = original.entry.reversal()?;
                self.apply_entry(&reversal, None)?;
                if let Some(state) = self.entries.get_mut(entry) {
                    state.reversed = true;
                }
                Ok(Decision::Post {
                    entry: reversal,
                    kind: EntryKind::Reversal,
                    captures: None,
                    reverses: Some(*entry),
                })
            }
        }
    }

    /// The accounts whose balance or held amount changed, with their new states: the store
    /// writes each once per batch, however many commands touched it.
    pub fn touched_accounts(&self) -> impl Iterator<Item = &AccountState> {
        self.touched.iter().filter_map(|id| self.accounts.get(id))
    }

    pub fn account(&self, id: AccountId) -> Option<&AccountState> {
        self.accounts.get(&id)
    }

    fn open_hold(&mut self, account_id: AccountId, amount: Amount) -> Result<Decision, LedgerError> {
        let account = self.open_account(account_id, amount.currency())?;
        let held = account.held.checked_add(amount.minor()).ok_or(LedgerError::Overflow)?;
        if account.policy == BalancePolicy::NonNegative && account.available() < amount.minor() {
            return Err(insufficient(account, amount.minor()));
        }
        self.account_mut(account_id)?.held = held;
        self.touched.insert(account_id);
        Ok(Decision::OpenHold { account: account_id, amount })
    }

    fn capture_hold(&mut self, hold_id: HoldId, to: AccountId) -> Result<Decision, LedgerError> {
        let hold = self.active_hold(hold_id)?;
        let entry = JournalEntry::transfer(hold.account, to, hold.amount)?;
        // The held amount was already taken out of `available`: release it and post in one step,
        // so that the capture itself never fails for lack of funds.
        self.apply_entry(&entry, Some(hold))?;
        self.set_hold_status(hold_id, HoldStatus::Captured);
        Ok(Decision::Post { entry, kind: EntryKind::HoldCapture, captures: Some(hold_id), reverses: None })
    }

    /// Checks every posting of `entry` and then applies all of them, or none.
    fn apply_entry(&mut self, entry: &JournalEntry, releasing: Option<HoldState>) -> Result<(), LedgerError> {
        let mut deltas: BTreeMap<AccountId, i64> = BTreeMap::new();
        for Posting { account, amount } in entry.postings() {
            self.open_account(*account, amount.currency())?;
            let delta = deltas.entry(*account).or_default();
            *delta = delta.checked_add(amount.minor()).ok_or(LedgerError::Overflow)?;
        }
        let mut updated = Vec::with_capacity(deltas.len());
        for (id, delta) in deltas {
            let mut state = *self.account_mut(id)?;
            if let Some(hold) = releasing.filter(|hold| hold.account == id) {
                state.held -= hold.amount.minor();
            }
            state.balance = state.balance.checked_add(delta).ok_or(LedgerError::Overflow)?;
            if delta < 0 && state.policy == BalancePolicy::NonNegative && state.available() < 0 {
                return Err(insufficient(self.account_mut(id)?, -delta));
            }
            updated.push(state);
        }
        for state in updated {
            self.touched.insert(state.id);
            self.accounts.insert(state.id, state);
        }
        Ok(())
    }

    fn open_account(&self, id: AccountId, currency: Currency) -> Result<&AccountState, LedgerError> {
        let account = self.accounts.get(&id).ok_or(LedgerError::AccountNotFound(id))?;
        if account.status == AccountStatus::Closed {
            return Err(LedgerError::AccountClosed(id));
        }
        if account.currency != currency {
            return Err(LedgerError::CurrencyMismatch {
                account: id,
                account_currency: account.currency,
                amount_currency: currency,
            });
        }
        Ok(account)
    }

    fn account_mut(&mut self, id: AccountId) -> Result<&mut AccountState, LedgerError> {
        self.accounts.get_mut(&id).ok_or(LedgerError::AccountNotFound(id))
    }

    fn active_hold(&self, id: HoldId) -> Result<HoldState, LedgerError> {
        let hold = self.holds.get(&id).ok_or(LedgerError::HoldNotFound(id))?;
        if hold.status != HoldStatus::Active {
            return Err(LedgerError::HoldNotActive(id));
        }
        Ok(*hold)
    }

    fn set_hold_status(&mut self, id: HoldId, status: HoldStatus) {
        if let Some(hold) = self.holds.get_mut(&id) {
            hold.status = status;
        }
    }
}

fn insufficient(account: &AccountState, required_minor: i64) -> LedgerError {
    LedgerError::InsufficientFunds {
        account: account.id,
        available: Money::from_minor(account.available(), account.currency),
        required: Money::from_minor(required_minor, account.currency),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PARTNER_A: AccountId = AccountId::new(1);
    const PARTNER_B: AccountId = AccountId::new(2);
    const BANK: AccountId = AccountId::new(3);
    const USD: AccountId = AccountId::new(4);

    fn book(balance_a: i64) -> Book {
        let account = |id, policy, balance, currency| AccountState {
            id,
            currency,
            policy,
            status: AccountStatus::Open,
            balance,
            held: 0,
        };
        Book::new(
            [
                account(PARTNER_A, BalancePolicy::NonNegative, balance_a, Currency::Kzt),
                account(PARTNER_B, BalancePolicy::NonNegative, 0, Currency::Kzt),
                account(BANK, BalancePolicy::Unrestricted, -balance_a, Currency::Kzt),
                account(USD, BalancePolicy::NonNegative, 0, Currency::Usd),
            ],
            [],
            [],
        )
    }

    fn kzt(minor: i64) -> Amount {
        Amount::new(Money::from_minor(minor, Currency::Kzt)).unwrap()
    }

    fn transfer(from: AccountId, to: AccountId, minor: i64) -> Action {
        Action::Post {
            entry: JournalEntry::transfer(from, to, kzt(minor)).unwrap(),
            kind: EntryKind::Transfer,
            memo: String::new(),
        }
    }

    /// a debit beyond the available balance is refused and changes nothing.
    #[test]
    fn r_6_3_2_refuses_debit_beyond_available() {
        let mut book = book(100);
        assert!(book.decide(&transfer(PARTNER_A, PARTNER_B, 60)).is_ok());
        let refused = book.decide(&transfer(PARTNER_A, PARTNER_B, 41));
        assert!(matches!(refused, Err(LedgerError::InsufficientFunds { account: PARTNER_A, .. })), "{refused:?}");
        assert_eq!(book.account(PARTNER_A).unwrap().balance, 40);
        assert_eq!(book.account(PARTNER_B).unwrap().balance, 60);
        // The bank's own account may go negative: it mirrors money brought in from outside.
        assert!(book.decide(&transfer(BANK, PARTNER_B, 1_000)).is_ok());
    }

    #[test]
    fn holds_reserve_then_capture_or_release() {
        let mut book = book(100);
        let hold = |amount| Action::Hold { account: PARTNER_A, amount: kzt(amount), memo: String::new() };
        assert!(book.decide(&hold(70)).is_ok());
        assert_eq!(book.account(PARTNER_A).unwrap().available(), 30);
        assert!(matches!(book.decide(&hold(31)), Err(LedgerError::InsufficientFunds { .. })));
        assert!(matches!(book.decide(&transfer(PARTNER_A, PARTNER_B, 31)), Err(LedgerError::InsufficientFunds { .. })));

        let held = HoldState { id: HoldId::new(9), account: PARTNER_A, amount: kzt(70), status: HoldStatus::Active };
        let mut book = Book::new(book.accounts.values().copied(), [held], []);
        let captured = book.decide(&Action::CaptureHold { hold: held.id, to: BANK, memo: String::new() });
        assert!(matches!(captured, Ok(Decision::Post { captures: Some(_), .. })), "{captured:?}");
        let a = book.account(PARTNER_A).unwrap();
        assert_eq!((a.balance, a.held), (30, 0));
        assert_eq!(book.decide(&Action::ReleaseHold { hold: held.id }), Err(LedgerError::HoldNotActive(held.id)));
    }

    #[test]
    fn refuses_wrong_currency_unknown_and_closed_accounts() {
        let mut book = book(100);
        let usd = Amount::new(Money::from_minor(1, Currency::Usd)).unwrap();
        let wrong = Action::Hold { account: PARTNER_A, amount: usd, memo: String::new() };
        assert!(matches!(book.decide(&wrong), Err(LedgerError::CurrencyMismatch { .. })));
        assert_eq!(
            book.decide(&transfer(PARTNER_A, AccountId::new(99), 1)),
            Err(LedgerError::AccountNotFound(AccountId::new(99)))
        );
        book.account_mut(PARTNER_B).unwrap().status = AccountStatus::Closed;
        assert_eq!(book.decide(&transfer(PARTNER_A, PARTNER_B, 1)), Err(LedgerError::AccountClosed(PARTNER_B)));
    }

    #[test]
    fn an_entry_is_reversed_once() {
        let original = JournalEntry::transfer(PARTNER_A, PARTNER_B, kzt(10)).unwrap();
        let state = EntryState { id: EntryId::new(5), entry: original, reversed: false };
        let mut book = Book::new(book(0).accounts.values().map(|a| AccountState { balance: 10, ..*a }), [], [state]);
        let reverse = Action::Reverse { entry: EntryId::new(5), memo: String::new() };
        assert!(book.decide(&reverse).is_ok());
        assert_eq!(book.decide(&reverse), Err(LedgerError::AlreadyReversed(EntryId::new(5))));
        assert_eq!(book.account(PARTNER_B).unwrap().balance, 0);
    }

    proptest! {
        /// whatever sequence of transfers arrives, accepted ones keep every partner
        /// account at or above zero and the total unchanged.
        #[test]
        fn r_6_3_2_random_transfers_never_overdraw(moves in proptest::collection::vec((0_usize..3, 0_usize..3, 1_i64..200), 1..200)) {
            let ids = [PARTNER_A, PARTNER_B, BANK];
            let mut book = book(500);
            for (from, to, minor) in moves {
                if from != to {
                    let _ = book.decide(&transfer(ids[from], ids[to], minor));
                }
            }
            let total: i64 = ids.iter().map(|id| book.account(*id).unwrap().balance).sum();
            prop_assert_eq!(total, 0);
            prop_assert!(book.account(PARTNER_A).unwrap().balance >= 0);
            prop_assert!(book.account(PARTNER_B).unwrap().balance >= 0);
        }
    }
}
