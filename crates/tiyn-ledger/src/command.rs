//! What a caller asks the ledger to do, with the idempotency key that makes retries safe.

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tiyn_core::{AccountId, Amount, EntryId, HoldId};

use crate::{JournalEntry, LedgerError};

/// The longest idempotency key accepted. Clients send UUIDs (36) or their own document numbers;
/// 200 leaves room for a scope prefix the API adds without inviting unbounded index entries.
pub const IDEMPOTENCY_KEY_LENGTH_MAX: usize = 200;

/// The longest memo kept on an entry: a payment purpose is at most 420 characters in Kazakhstan
/// payment orders, so 500 fits it with a reference.
pub const MEMO_LENGTH_MAX: usize = 500;

/// A caller-chosen key that makes a command safe to retry: the ledger executes a key once, and a
/// replay with the same content returns the first result. The caller scopes keys (the API prefixes
/// the partner) so that two clients can never collide.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<IdempotencyKey, LedgerError> {
        let valid_length = !text.is_empty() && text.len() <= IDEMPOTENCY_KEY_LENGTH_MAX;
        let visible_ascii = text.bytes().all(|byte| byte.is_ascii_graphic());
        if valid_length && visible_ascii {
            Ok(IdempotencyKey(text.to_owned()))
        } else {
            Err(LedgerError::InvalidIdempotencyKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why an entry was posted; kept with the entry and shown in statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    OpeningBalance,
    Transfer,
    Fee,
    HoldCapture,
    Reversal,
    IncomingCredit,
    Conversion,
    /// Money the bank collects from an account under a collection order.
    Collection,
}

impl EntryKind {
    pub const ALL: [EntryKind; 8] = [
        EntryKind::OpeningBalance,
        EntryKind::Transfer,
        EntryKind::Fee,
        EntryKind::HoldCapture,
        EntryKind::Reversal,
        EntryKind::IncomingCredit,
        EntryKind::Conversion,
        EntryKind::Collection,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::OpeningBalance => "opening_balance",
            EntryKind::Transfer => "transfer",
            EntryKind::Fee => "fee",
            EntryKind::HoldCapture => "hold_capture",
            EntryKind::Reversal => "reversal",
            EntryKind::IncomingCredit => "incoming_credit",
            EntryKind::Conversion => "conversion",
            EntryKind::Collection => "collection",
        }
    }

    pub fn parse(code: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|kind| kind.as_str() == code)
    }
}

/// One thing the ledger does atomically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Post a balanced entry (a transfer, a fee, an opening balance).
    Post { entry: JournalEntry, kind: EntryKind, memo: String },
    /// Reserve an amount on an account: it stays in the balance but leaves `available`.
    Hold { account: AccountId, amount: Amount, memo: String },
    /// Post a hold's whole amount from its account to `to` and close the hold.
    CaptureHold { hold: HoldId, to: AccountId, memo: String },
    /// Give a hold's amount back to `available` without posting anything.
    ReleaseHold { hold: HoldId },
    /// Post the exact opposite of an earlier entry. An entry is reversed at most once.
    Reverse { entry: EntryId, memo: String },
}

impl Action {
    /// The free text kept with what the action writes (empty for a release).
    pub fn memo(&self) -> &str {
        match self {
            Action::Post { memo, .. }
            | Action::Hold { memo, .. }
            | Action::CaptureHold { memo, .. }
            | Action::Reverse { memo, .. } => memo,
            Action::ReleaseHold { .. } => "",
        }
    }
}

/// An action with its idempotency key and the instant the caller asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub key: IdempotencyKey,
    pub at: Timestamp,
    pub action: Action,
}

impl Command {
    pub fn new(key: IdempotencyKey, at: Timestamp, action: Action) -> Result<Command, LedgerError> {
        if action.memo().chars().count() > MEMO_LENGTH_MAX {
            return Err(LedgerError::MemoTooLong);
        }
        Ok(Command { key, at, action })
    }

    /// A digest of what the command does (not when): a replay with the same key must carry the
    /// same digest, or it is refused as an idempotency conflict.
    pub fn content_digest(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        let mut field = |text: &str| {
            hasher.update((text.len() as u64).to_be_bytes());
            hasher.update(text.as_bytes());
        };
        match &self.action {
            Action::Post { entry, kind, memo } => {
                field("post");
                field(kind.as_str());
                field(memo);
                for posting in entry.postings() {
                    field(&posting.account.to_string());
                    field(&posting.amount.to_string());
                }
            }
            Action::Hold { account, amount, memo } => {
                field("hold");
                field(&account.to_string());
                field(&amount.to_string());
                field(memo);
            }
            Action::CaptureHold { hold, to, memo } => {
                field("capture");
                field(&hold.to_string());
                field(&to.to_string());
                field(memo);
            }
            Action::ReleaseHold { hold } => {
                field("release");
                field(&hold.to_string());
            }
            Action::Reverse { entry, memo } => {
                field("reverse");
                field(&entry.to_string());
                field(memo);
            }
        }
        hasher.finalize().into()
    }
}

/// What a command produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    Posted { entry: EntryId },
    Held { hold: HoldId },
    Released { hold: HoldId },
}

/// A receipt and whether it is the stored answer to an earlier identical command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Executed {
    pub receipt: Receipt,
    pub replayed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiyn_core::{Currency, Money};

    #[test]
    fn keys_are_bounded_visible_ascii() {
        assert!(IdempotencyKey::parse("3f1c-22").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse("ключ").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(IDEMPOTENCY_KEY_LENGTH_MAX + 1)).is_err());
    }

    #[test]
    fn digest_depends_on_content_not_time() {
        let key = IdempotencyKey::parse("k1").unwrap();
        let amount = |minor| Amount::new(Money::from_minor(minor, Currency::Kzt)).unwrap();
        let hold = |minor| Action::Hold { account: AccountId::new(1), amount: amount(minor), memo: String::new() };
        let first = Command::new(key.clone(), Timestamp::UNIX_EPOCH, hold(100)).unwrap();
        let later = Command::new(key.clone(), Timestamp::MAX, hold(100)).unwrap();
        let other = Command::new(key, Timestamp::UNIX_EPOCH, hold(101)).unwrap();
        assert_eq!(first.content_digest(), later.content_digest());
        assert_ne!(first.content_digest(), other.content_digest());
    }
}
