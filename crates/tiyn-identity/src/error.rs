//! Every way an identity use case can refuse, as a decision with a stable code.

use tiyn_auth::{CodeError, PasswordError};
use tiyn_core::access::Permission;
use tiyn_store::StoreError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum IdentityError {
    /// The login does not exist, the password is wrong, or the user may not log in now (locked,
    /// blocked, not activated): the same answer for all, by design.
    #[error("the login or password is wrong, or access is not possible now")]
    InvalidCredentials,
    /// Too many failures from this source address; wait and retry.
    #[error("too many failed attempts from this address; try again later")]
    TooManyAttempts,
    /// The code of a challenge was refused. An unknown challenge is `Mismatch`-like:
    /// [`IdentityError::UnknownChallenge`].
    #[error("the code was refused: {0}")]
    Code(CodeError),
    #[error("no such challenge, or it is not for this step")]
    UnknownChallenge,
    /// A marker code was refused (`totp_mismatch`, `totp_replayed`, `totp_malformed`).
    #[error("the marker code was refused: {0}")]
    MarkerCode(&'static str),
    /// The code could not be sent (the SMS gateway failed) and the user has no marker to use
    /// instead.
    #[error("the code could not be sent; try again later, or use your marker")]
    Undeliverable,
    /// No valid session or key.
    #[error("sign in to continue")]
    Unauthenticated,
    /// The session ended by timeout.
    #[error("the session has expired; sign in again")]
    SessionExpired,
    /// The access level does not include this permission.
    #[error("the access level does not allow this: {}", .0.as_str())]
    Forbidden(Permission),
    /// A new password breaks the bank's policy.
    #[error("{0}")]
    Password(PasswordError),
    /// The user has no mobile number, so cannot receive a code.
    #[error("the user has no registered mobile number, so cannot be verified; ask your administrator")]
    NoMobileNumber,
    /// A field of the request is refused.
    #[error("{field}: {detail}")]
    Invalid { field: &'static str, code: &'static str, detail: String },
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The state forbids it (`last_full_access`, `already_blocked`, …).
    #[error("refused by the current state: {0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Store(std::sync::Arc<StoreError>),
}

impl IdentityError {
    pub fn invalid(field: &'static str, code: &'static str, detail: impl Into<String>) -> IdentityError {
        IdentityError::Invalid { field, code, detail: detail.into() }
    }

    /// The stable code clients see.
    pub fn code(&self) -> &'static str {
        match self {
            IdentityError::InvalidCredentials => "invalid_credentials",
            IdentityError::TooManyAttempts => "too_many_attempts",
            IdentityError::Code(error) => error.code(),
            IdentityError::UnknownChallenge => "code_invalid",
            IdentityError::MarkerCode(code) => code,
            IdentityError::Undeliverable => "code_undeliverable",
            IdentityError::Unauthenticated => "unauthenticated",
            IdentityError::SessionExpired => "session_expired",
            IdentityError::Forbidden(_) => "access_level_insufficient",
            IdentityError::Password(error) => error.code(),
            IdentityError::NoMobileNumber => "no_mobile_number",
            IdentityError::Invalid { code, .. } => code,
            IdentityError::NotFound(_) => "not_found",
            IdentityError::Conflict(code) => code,
            IdentityError::Store(_) => "internal",
        }
    }
}

impl From<StoreError> for IdentityError {
    fn from(error: StoreError) -> IdentityError {
        match error {
            StoreError::NotFound { what } => IdentityError::NotFound(what),
            StoreError::Conflict(code) => IdentityError::Conflict(code),
            StoreError::AlreadyExists { what } if what == tiyn_store::LOGIN_TAKEN => {
                IdentityError::invalid("login", "login_taken", "this mobile number or email is already someone's login")
            }
            other => IdentityError::Store(std::sync::Arc::new(other)),
        }
    }
}
