use tiyn_core::{AccountId, Currency, EntryId, HoldId, Money};

/// Why the ledger refused a command. Each variant is an operating outcome the caller can show;
/// none is a programmer error (those are assertions).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("invalid journal entry: {0}")]
    InvalidEntry(&'static str),
    #[error("the amount is out of range")]
    Overflow,
    #[error("the idempotency key must be 1 to 200 visible ASCII characters")]
    InvalidIdempotencyKey,
    #[error("the memo is longer than 500 characters")]
    MemoTooLong,
    #[error("account {0} does not exist")]
    AccountNotFound(AccountId),
    #[error("account {0} is closed")]
    AccountClosed(AccountId),
    #[error("account {account} is in {account_currency}, the amount is in {amount_currency}")]
    CurrencyMismatch { account: AccountId, account_currency: Currency, amount_currency: Currency },
    #[error("account {account} has {available} available, {required} is required")]
    InsufficientFunds { account: AccountId, available: Money, required: Money },
    #[error("hold {0} does not exist")]
    HoldNotFound(HoldId),
    #[error("hold {0} is no longer active")]
    HoldNotActive(HoldId),
    #[error("entry {0} does not exist")]
    EntryNotFound(EntryId),
    #[error("entry {0} has already been reversed")]
    AlreadyReversed(EntryId),
    #[error("this idempotency key was already used for a different operation")]
    IdempotencyConflict,
}

impl LedgerError {
    /// The stable machine-readable code the API returns for this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::InvalidEntry(_) => "invalid_entry",
            LedgerError::Overflow => "amount_overflow",
            LedgerError::InvalidIdempotencyKey => "invalid_idempotency_key",
            LedgerError::MemoTooLong => "memo_too_long",
            LedgerError::AccountNotFound(_) => "account_not_found",
            LedgerError::AccountClosed(_) => "account_closed",
            LedgerError::CurrencyMismatch { .. } => "currency_mismatch",
            LedgerError::InsufficientFunds { .. } => "insufficient_funds",
            LedgerError::HoldNotFound(_) => "hold_not_found",
            LedgerError::HoldNotActive(_) => "hold_not_active",
            LedgerError::EntryNotFound(_) => "entry_not_found",
            LedgerError::AlreadyReversed(_) => "already_reversed",
            LedgerError::IdempotencyConflict => "idempotency_conflict",
        }
    }
}
