//! What the payment use cases refuse, with stable codes.

use tiyn_identity::IdentityError;
use tiyn_payments::{BatchError, FieldError};
use tiyn_store::StoreError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum BankingError {
    /// The document's fields: every problem, each with its field and code.
    #[error("the payment document has {} error(s)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The state forbids it: `not_editable`, `not_signable`, `document_changed`,
    /// `challenge_used`, `idempotency_conflict`.
    #[error("refused by the current state: {0}")]
    Conflict(&'static str),
    /// The batch cannot be confirmed with one code: empty, too many documents, a duplicate.
    #[error("{0}")]
    Batch(BatchError),
    /// The tariff cannot price a document (`commission_exceeds_amount`, …).
    #[error("the tariff cannot price this document: {0}")]
    Tariff(&'static str),
    /// A message from the gateway that cannot be read (malformed pacs.002, …): its code and what
    /// is wrong.
    #[error("{1}")]
    Message(&'static str, String),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Something that should not happen: the message is for logs.
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(std::sync::Arc<StoreError>),
}

impl From<StoreError> for BankingError {
    fn from(error: StoreError) -> BankingError {
        match error {
            StoreError::NotFound { what } => BankingError::NotFound(what),
            StoreError::Conflict(code) => BankingError::Conflict(code),
            other => BankingError::Store(std::sync::Arc::new(other)),
        }
    }
}

impl BankingError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            BankingError::Invalid(_) => "validation_failed",
            BankingError::NotFound(_) => "not_found",
            BankingError::Conflict(code) => code,
            BankingError::Batch(error) => error.code(),
            BankingError::Tariff(code) => code,
            BankingError::Message(code, _) => code,
            BankingError::Identity(error) => error.code(),
            BankingError::Internal(_) | BankingError::Store(_) => "internal_error",
        }
    }
}
