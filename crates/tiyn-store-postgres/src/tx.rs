//! Short transactions outside the ledger: their errors, and running them again after a deadlock
//! or serialization failure (another process took the same rows in another order).

use tiyn_store::StoreError;

use crate::UNIQUE_VIOLATION;

/// How many times a transaction runs before its error is answered.
pub const ATTEMPTS_MAX: u32 = 8;

/// Foreign-key-violation SQLSTATE.
pub const FOREIGN_KEY_VIOLATION: &str = "23503";

/// Why a transaction stopped: the store decided (refusal, not found, …), or SQL failed.
#[derive(Debug)]
pub enum TxError {
    Store(StoreError),
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for TxError {
    fn from(error: sqlx::Error) -> TxError {
        TxError::Sql(error)
    }
}

impl From<StoreError> for TxError {
    fn from(error: StoreError) -> TxError {
        TxError::Store(error)
    }
}

fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(database) => database.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// A unique violation is `AlreadyExists { what }`; anything else stays SQL (and may be retried).
pub fn unique_or_sql(error: sqlx::Error, what: &'static str) -> TxError {
    if sqlstate(&error).as_deref() == Some(UNIQUE_VIOLATION) {
        TxError::Store(StoreError::AlreadyExists { what })
    } else {
        TxError::Sql(error)
    }
}

/// A foreign-key violation is `NotFound { what }` (the row referred to does not exist).
pub fn missing_or_sql(error: sqlx::Error, what: &'static str) -> TxError {
    if sqlstate(&error).as_deref() == Some(FOREIGN_KEY_VIOLATION) {
        TxError::Store(StoreError::NotFound { what })
    } else {
        TxError::Sql(error)
    }
}

/// Serialization failure or deadlock: the transaction was rolled back and may simply run again.
pub fn retryable(error: &sqlx::Error) -> bool {
    matches!(sqlstate(error).as_deref(), Some("40001" | "40P01"))
}

/// Runs `$attempt` (an expression yielding a fresh `Future<Output = Result<T, TxError>>` each time
/// it is evaluated) until it succeeds, is refused, or fails for a reason other than a deadlock or
/// a serialization failure; answers `Result<T, StoreError>`.
macro_rules! with_retries {
    ($attempt:expr) => {{
        let mut attempt = 1;
        loop {
            match $attempt.await {
                Ok(value) => break Ok(value),
                Err($crate::tx::TxError::Sql(error))
                    if attempt < $crate::tx::ATTEMPTS_MAX && $crate::tx::retryable(&error) =>
                {
                    tracing::debug!(%error, attempt, "transaction conflicted with another; running it again");
                    attempt += 1;
                }
                Err($crate::tx::TxError::Sql(error)) => break Err(tiyn_store::StoreError::backend(error)),
                Err($crate::tx::TxError::Store(error)) => break Err(error),
            }
        }
    }};
}
pub(crate) use with_retries;
