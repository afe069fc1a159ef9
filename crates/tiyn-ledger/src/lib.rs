//! Double-entry rules, pure: no I/O, no clock, no randomness.
//!
//! A [`JournalEntry`] always balances per currency; a [`Command`] carries an idempotency key;
//! the [`Book`] decides, command by command, what a batch writes. Storage backends load the
//! states, run the book and persist its decisions inside one transaction.

mod command;
mod engine;
mod entry;
mod error;

pub use command::{
    Action, Command, EntryKind, Executed, IDEMPOTENCY_KEY_LENGTH_MAX, IdempotencyKey, MEMO_LENGTH_MAX, Receipt,
};
pub use engine::{
    AccountState, AccountStatus, BalancePolicy, Book, Decision, EntryState, HoldState, HoldStatus, Needs,
};
pub use entry::{ENTRY_POSTINGS_MAX, JournalEntry, Posting};
pub use error::LedgerError;
