//! The storage interface. Everything above storage sees `Arc<dyn Store>`; only the backend
//! crates (`tiyn-store-sqlite`, `tiyn-store-postgres`) know SQL. The [`conformance`] module is the
//! story every backend runs in its own tests, so both behave the same.

pub mod batch;
pub mod conformance;
mod model;
mod users;

use async_trait::async_trait;
use jiff::Timestamp;
use tiyn_auth::{ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy};
use tiyn_core::{AccountId, Currency, Login, PartnerId, SessionId, UserId};
use tiyn_ledger::{Command, Executed, LedgerError};

pub use model::{Account, AccountKind, CurrencyTotal, Durability, LedgerCheck, NewAccount, NewPartner, Partner};
pub use users::{
    CODE_COLUMNS, CodeRow, Consent, FULL_NAME_LENGTH_MAX, NewUser, SESSION_COLUMNS, SessionEnd, SessionRecord,
    SessionRow, USER_COLUMNS, User, UserRow, UserStatus, validate_new_user,
};

/// Why a storage call failed, as opposed to the ledger refusing a command.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The ledger decided: insufficient funds, unknown account, idempotency conflict, …
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{what} already exists")]
    AlreadyExists { what: &'static str },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The request contradicts itself (a partner account without a partner, …).
    #[error("invalid request: {0}")]
    Invalid(&'static str),
    /// The database is unreachable or answered with an error we cannot act on. The message is
    /// for logs; clients see "internal error".
    #[error("storage failure: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn backend(error: impl std::fmt::Display) -> StoreError {
        StoreError::Backend(error.to_string())
    }
}

/// The platform's persistent state, in domain verbs.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is ("sqlite", "postgres"), for logs and `/readyz`.
    fn backend_name(&self) -> &'static str;

    /// Answers whether the database is reachable (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Whether commits are durable (fsync on commit). The server refuses to start outside demo
    /// mode when they are not, unless forced.
    async fn durability(&self) -> Result<Durability, StoreError>;

    async fn create_partner(&self, partner: NewPartner) -> Result<PartnerId, StoreError>;
    async fn partner(&self, id: PartnerId) -> Result<Option<Partner>, StoreError>;
    async fn partners(&self) -> Result<Vec<Partner>, StoreError>;

    async fn open_account(&self, account: NewAccount) -> Result<AccountId, StoreError>;
    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError>;
    /// A partner's accounts, ordered by id.
    async fn partner_accounts(&self, partner: PartnerId) -> Result<Vec<Account>, StoreError>;
    /// The bank's internal account of this kind and currency, created on first use.
    async fn bank_account(&self, kind: AccountKind, currency: Currency) -> Result<AccountId, StoreError>;

    /// Executes one ledger command durably: it returns once the result is committed. Concurrent
    /// callers are merged into one transaction (group commit); each gets its own result. A replay
    /// of a key with the same content returns the first result with `replayed: true`.
    async fn execute(&self, command: Command) -> Result<Executed, StoreError>;

    /// Creates a user; a login (mobile or email) already used by anyone is `AlreadyExists`.
    async fn create_user(&self, user: NewUser) -> Result<UserId, StoreError>;
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The user whose mobile number or email address this login is.
    async fn user_by_login(&self, login: &Login) -> Result<Option<User>, StoreError>;
    /// A partner's users, ordered by id.
    async fn partner_users(&self, partner: PartnerId) -> Result<Vec<User>, StoreError>;
    /// Counts one failed password or code, atomically: concurrent failures are applied one after
    /// another to the stored state, so no more attempts are evaluated than the policy allows
    ///
    async fn record_login_failure(
        &self,
        user: UserId,
        policy: LockoutPolicy,
        at: Timestamp,
    ) -> Result<LockoutEvent, StoreError>;

    /// Keeps an issued code (its keyed hash and state) under its challenge id, for `user`.
    async fn save_code(
        &self,
        challenge: &ChallengeId,
        user: UserId,
        record: CodeRecord,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Checks a candidate code against the stored one and writes the code's new state (one attempt
    /// spent, or used) in the same transaction, so parallel attempts never evaluate more than the
    /// code's attempts. Answers the code's user and the outcome; an unknown challenge is
    /// `NotFound`.
    async fn verify_code(
        &self,
        challenge: &ChallengeId,
        candidate: &str,
        purpose: CodePurpose,
        now: Timestamp,
        key: &CodeKey,
    ) -> Result<(UserId, Result<(), CodeError>), StoreError>;

    /// Starts a session for `user`; only the token's digest is kept.
    async fn create_session(
        &self,
        token_digest: [u8; 32],
        user: UserId,
        at: Timestamp,
    ) -> Result<SessionId, StoreError>;
    /// The session whose token has this digest, ended or not.
    async fn session_by_token(&self, token_digest: [u8; 32]) -> Result<Option<SessionRecord>, StoreError>;
    /// Records activity at `at`; the last activity never moves backwards, and an ended session
    /// is not touched.
    async fn touch_session(&self, session: SessionId, at: Timestamp) -> Result<(), StoreError>;
    /// Ends one session (if it has not ended yet).
    async fn end_session(&self, session: SessionId, at: Timestamp, reason: SessionEnd) -> Result<(), StoreError>;
    /// Ends every open session of `user` except `keep`, at once; answers how many ended.
    async fn end_user_sessions(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        at: Timestamp,
        reason: SessionEnd,
    ) -> Result<u64, StoreError>;

    /// Sums every posting per currency: the zero-sum invariant alone (one scan of the postings).
    async fn posting_totals(&self) -> Result<Vec<CurrencyTotal>, StoreError>;

    /// Sums every posting per currency (the zero-sum invariant) and checks every account's stored
    /// balance against its postings and every partner account against zero.
    async fn check_ledger(&self) -> Result<LedgerCheck, StoreError>;
}

/// Checks that a new account is consistent before any backend writes it: a partner account has a
/// partner and an IBAN; a bank account has neither.
pub fn validate_new_account(account: &NewAccount) -> Result<(), StoreError> {
    let partner_account = account.kind == AccountKind::PartnerCurrent;
    if partner_account && (account.partner.is_none() || account.iban.is_none()) {
        return Err(StoreError::Invalid("a partner account needs its partner and an IBAN"));
    }
    if !partner_account && account.partner.is_some() {
        return Err(StoreError::Invalid("a bank account belongs to no partner"));
    }
    if account.name.trim().is_empty() || account.name.chars().count() > ACCOUNT_NAME_LENGTH_MAX {
        return Err(StoreError::Invalid("an account name has 1 to 100 characters"));
    }
    Ok(())
}

/// Account names are labels in lists and statements; 100 characters fit any bank's.
pub const ACCOUNT_NAME_LENGTH_MAX: usize = 100;
