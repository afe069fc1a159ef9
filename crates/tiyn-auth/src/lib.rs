//! Tiyn's security primitives: password policy and Argon2id hashing, one-time codes, TOTP markers,
//! session tokens and the lockout state machine.
//!
//! # Invariants
//! - **Pure.** Every function is a function of its inputs: the instant (`now: jiff::Timestamp`), the
//!   randomness (`rng: &mut impl rand::CryptoRng`) and the keys are parameters. This crate does no
//!   I/O, never reads the clock or a global RNG, and does not depend on tokio, sqlx, axum or serde.
//!   Persisting the states it computes, atomically, is the store's job.
//! - **No secret in `Debug`.** Passwords are only borrowed; codes, keys, TOTP secrets, session tokens
//!   and password hashes print as `<redacted>`. `tests::r_5_8_debug_never_shows_secrets`
//!   checks every secret type.
//! - **Constant-time comparison.** Every comparison of a secret with a candidate goes through
//!   `subtle::ConstantTimeEq` (or Argon2's own constant-time check), so timing reveals nothing.
//! - **Explicit parameters.** Argon2 costs, code lengths and lifetimes, session timeouts and lockout
//!   limits are values the caller passes, with named limits and defaults that say why.
//! - **Errors are decisions.** Every error has a stable snake_case `code()` for the API layer, which
//!   must still answer a failed login without revealing which factor was wrong.

pub mod code;
pub mod keys;
pub mod lockout;
pub mod password;
pub mod session;
pub mod totp;

pub use code::{
    ChallengeId, ChallengeIdError, CodeError, CodeKey, CodePolicy, CodePolicyError, CodePurpose, CodeRecord, PlainCode,
};
pub use keys::{AuditKey, MASTER_KEY_BYTES, MasterKey, MasterKeyError, SealError, SealKey};
pub use lockout::{LockoutError, LockoutEvent, LockoutPolicy, LockoutPolicyError, LockoutState};
pub use password::{
    Argon2Params, Blocklist, HashError, PasswordError, PasswordHash, PasswordHashError, PasswordHasher, PasswordPolicy,
    PasswordPolicyError,
};
pub use session::{SessionExpired, SessionPolicy, SessionPolicyError, SessionTimes, SessionToken, SessionTokenError};
pub use totp::{MarkerSerial, MarkerSerialError, TotpError, TotpSecret};

use jiff::{SignedDuration, Timestamp};

/// `at + seconds`, saturating at the ends of jiff's range: a deadline past the year 9999 is
/// "never" for every purpose of this crate, and saturating keeps the functions total.
pub(crate) fn add_seconds(at: Timestamp, seconds: i64) -> Timestamp {
    match at.checked_add(SignedDuration::from_secs(seconds)) {
        Ok(sum) => sum,
        Err(_) if seconds >= 0 => Timestamp::MAX,
        Err(_) => Timestamp::MIN,
    }
}

#[cfg(test)]
mod tests;
