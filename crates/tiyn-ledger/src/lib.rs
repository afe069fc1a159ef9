//! Double-entry rules, pure: no I/O, no clock, no randomness.
//!
//! A [`JournalEntry`] always balances per currency; a [`Command`] carries an idempotency key;
//! the [`Book`] decides, command by command, what a batch writes. Storage backends load the
//! states, run the book and persist its decisions inside one transaction.

mod command;
mod engine;
mod entry;
mod error;

pub use command::{Action, Command, EntryKind, Executed, IdempotencyKey, Receipt, IDEMPOTENCY_KEY_LENGTH_MAX, MEMO_LENGTH_MAX};
pub use engine::{AccountState, AccountStatus, BalancePolicy, Book, Decision, EntryState, HoldState, HoldStatus, Needs};
pub use entry::{JournalEntry, Posting, ENTRY_POSTINGS_MAX};
pub use error::LedgerError;
