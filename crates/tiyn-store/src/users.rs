//! Users of partners and bank operators, as the store keeps them (issue 3: identity).

use jiff::Timestamp;
use tiyn_auth::LockoutState;
use tiyn_core::access::AccessLevel;
use tiyn_core::{Email, MobileNumber, OperatorRole, PartnerId, UserId};

use crate::StoreError;

/// The `what` of `StoreError::AlreadyExists` when a mobile number or email is already a login.
pub const LOGIN_TAKEN: &str = "a user with this mobile number or email address";

/// Full names are labels in lists, audit records and SMS texts; 200 characters fit any.
pub const FULL_NAME_LENGTH_MAX: usize = 200;

/// Who recorded the partner's confirmation that the user consented to the processing of personal
/// data, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub recorded_by: String,
    pub recorded_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The partner the user acts for; `None` for a bank operator.
    pub partner: Option<PartnerId>,
    pub full_name: String,
    pub mobile: Option<MobileNumber>,
    pub email: Option<Email>,
    /// Present exactly for a partner's user.
    pub level: Option<AccessLevel>,
    /// Present exactly for a bank operator.
    pub operator_role: Option<OperatorRole>,
    /// Required for a partner's user.
    pub consent: Option<Consent>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// Created; verification by SMS code and a password are still to come.
    PendingActivation,
    Active,
    Blocked,
}

impl UserStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            UserStatus::PendingActivation => "pending_activation",
            UserStatus::Active => "active",
            UserStatus::Blocked => "blocked",
        }
    }

    pub fn parse(code: &str) -> Option<UserStatus> {
        [UserStatus::PendingActivation, UserStatus::Active, UserStatus::Blocked]
            .into_iter()
            .find(|status| status.as_str() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub partner: Option<PartnerId>,
    pub full_name: String,
    pub mobile: Option<MobileNumber>,
    pub email: Option<Email>,
    pub level: Option<AccessLevel>,
    /// The role of a bank operator; `None` for a partner's user.
    pub operator_role: Option<OperatorRole>,
    pub status: UserStatus,
    /// The Argon2id PHC string, once the user chose a password.
    pub password_hash: Option<String>,
    pub consent: Option<Consent>,
    pub lockout: LockoutState,
    /// When and why the user was blocked; present exactly when `status` is `Blocked`.
    pub block: Option<(Timestamp, BlockReason)>,
    /// From this business date (Asia/Almaty) on, the user's powers are suspended.
    pub suspended_from: Option<jiff::civil::Date>,
    pub created_at: Timestamp,
}

/// Why a user was blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockReason {
    /// By the bank, for safety or on the partner's request.
    Bank,
    /// By a full-access user of the partner.
    Partner,
    /// The user reported lost access means.
    LostAccess,
}

impl BlockReason {
    pub const ALL: [BlockReason; 3] = [BlockReason::Bank, BlockReason::Partner, BlockReason::LostAccess];

    pub const fn as_str(self) -> &'static str {
        match self {
            BlockReason::Bank => "bank",
            BlockReason::Partner => "partner",
            BlockReason::LostAccess => "lost_access",
        }
    }

    pub fn parse(code: &str) -> Option<BlockReason> {
        BlockReason::ALL.into_iter().find(|reason| reason.as_str() == code)
    }
}

/// A block to apply. `keep_a_full_user`: refuse (`Conflict("last_full_access")`) when the user is
/// the partner's last active full-access user; a partner's own full-access user may not lock the
/// partner out, while the bank and a user reporting lost access may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub reason: BlockReason,
    /// `None` when the platform blocks by itself.
    pub by: Option<UserId>,
    pub keep_a_full_user: bool,
}

/// An edit of a user's data; `None` fields stay as they are. `Some(None)` removes an optional value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserChange {
    pub full_name: Option<String>,
    pub mobile: Option<Option<MobileNumber>>,
    pub email: Option<Option<Email>>,
    pub level: Option<AccessLevel>,
}

impl UserChange {
    pub fn is_empty(&self) -> bool {
        self.full_name.is_none() && self.mobile.is_none() && self.email.is_none() && self.level.is_none()
    }
}

/// One recorded change of a user: which field, from what to what, by whom, when.
/// Fields: `full_name`, `mobile`, `email`, `level`, `status`, `password` (values never kept),
/// `suspended_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChangeRecord {
    pub user: UserId,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub by: Option<UserId>,
    pub at: Timestamp,
}

/// Checks a new user before any backend writes it.
pub fn validate_new_user(user: &NewUser) -> Result<(), StoreError> {
    if user.mobile.is_none() && user.email.is_none() {
        return Err(StoreError::Invalid("a user needs a mobile number or an email address to log in"));
    }
    if user.partner.is_some() != user.level.is_some() {
        return Err(StoreError::Invalid("a partner's user has an access level; an operator has none"));
    }
    if user.partner.is_some() == user.operator_role.is_some() {
        return Err(StoreError::Invalid("an operator has a role; a partner's user has none"));
    }
    if user.partner.is_some() && user.consent.is_none() {
        return Err(StoreError::Invalid("a partner's user needs the recorded personal-data consent (R-5.3)"));
    }
    let name_length = user.full_name.trim().chars().count();
    if name_length == 0 || name_length > FULL_NAME_LENGTH_MAX {
        return Err(StoreError::Invalid("a full name has 1 to 200 characters"));
    }
    if user.consent.as_ref().is_some_and(|consent| consent.recorded_by.trim().is_empty()) {
        return Err(StoreError::Invalid("the consent record names who recorded it"));
    }
    Ok(())
}

/// The columns of a stored user, as both backends read them; converted once, here.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub partner_id: Option<i64>,
    pub full_name: String,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub access_level: Option<String>,
    pub status: String,
    pub password_hash: Option<String>,
    pub consent_recorded_by: Option<String>,
    pub consent_recorded_at: Option<i64>,
    pub failures: i64,
    pub lockouts: i64,
    pub locked_until: Option<i64>,
    pub lockout_blocked: bool,
    pub blocked_at: Option<i64>,
    pub block_reason: Option<String>,
    /// `YYYY-MM-DD`.
    pub suspended_from: Option<String>,
    pub created_at: i64,
    pub operator_role: Option<String>,
}

/// The column list matching [`UserRow`]'s field order.
pub const USER_COLUMNS: &str = "id, partner_id, full_name, mobile, email, access_level, status, password_hash, \
     consent_recorded_by, consent_recorded_at, failures, lockouts, locked_until, lockout_blocked, blocked_at, \
     block_reason, suspended_from, created_at, operator_role";

fn stored(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored user {what} does not parse: {value}"))
}

fn instant(microseconds: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(microseconds).map_err(|error| stored("instant", error))
}

impl UserRow {
    pub fn into_user(self) -> Result<User, StoreError> {
        let consent = match (self.consent_recorded_by, self.consent_recorded_at) {
            (Some(recorded_by), Some(at)) => Some(Consent { recorded_by, recorded_at: instant(at)? }),
            (None, None) => None,
            _ => return Err(stored("consent", "half recorded")),
        };
        let block = match (self.blocked_at, self.block_reason) {
            (Some(at), Some(reason)) => {
                Some((instant(at)?, BlockReason::parse(&reason).ok_or_else(|| stored("block reason", &reason))?))
            }
            (None, None) => None,
            _ => return Err(stored("block", "half recorded")),
        };
        let suspended_from = self
            .suspended_from
            .map(|date| date.parse::<jiff::civil::Date>().map_err(|error| stored("suspension date", error)))
            .transpose()?;
        let count = |value: i64| u32::try_from(value).map_err(|_| stored("failure count", value));
        Ok(User {
            id: UserId::new(self.id),
            partner: self.partner_id.map(PartnerId::new),
            full_name: self.full_name,
            mobile: self.mobile.map(|m| MobileNumber::parse(&m).map_err(|e| stored("mobile", e))).transpose()?,
            email: self.email.map(|e| Email::parse(&e).map_err(|e| stored("email", e))).transpose()?,
            level: self
                .access_level
                .map(|level| AccessLevel::parse(&level).map_err(|error| stored("access level", error)))
                .transpose()?,
            operator_role: self
                .operator_role
                .map(|role| OperatorRole::parse(&role).map_err(|error| stored("operator role", error)))
                .transpose()?,
            status: UserStatus::parse(&self.status).ok_or_else(|| stored("status", &self.status))?,
            password_hash: self.password_hash,
            consent,
            lockout: LockoutState {
                consecutive_failures: count(self.failures)?,
                lockouts: count(self.lockouts)?,
                locked_until: self.locked_until.map(instant).transpose()?,
                blocked: self.lockout_blocked,
            },
            block,
            suspended_from,
            created_at: instant(self.created_at)?,
        })
    }
}

/// The columns of a stored code, as both backends read them.
#[derive(Debug, Clone)]
pub struct CodeRow {
    pub user_id: i64,
    pub purpose: String,
    pub purpose_digest: Option<Vec<u8>>,
    pub mac: Vec<u8>,
    pub digits: i64,
    pub expires_at: i64,
    pub attempts_left: i64,
    pub used: bool,
}

/// The column list matching [`CodeRow`]'s field order.
pub const CODE_COLUMNS: &str = "user_id, purpose, purpose_digest, mac, digits, expires_at, attempts_left, used";

impl CodeRow {
    pub fn into_record(self) -> Result<(UserId, tiyn_auth::CodeRecord), StoreError> {
        let digest = self
            .purpose_digest
            .map(|digest| <[u8; 32]>::try_from(digest.as_slice()).map_err(|_| stored("code digest", "not 32 bytes")))
            .transpose()?;
        let purpose = tiyn_auth::CodePurpose::from_parts(&self.purpose, digest)
            .ok_or_else(|| stored("code purpose", &self.purpose))?;
        let mac = <[u8; 32]>::try_from(self.mac.as_slice()).map_err(|_| stored("code mac", "not 32 bytes"))?;
        let small = |value: i64, what: &str| u8::try_from(value).map_err(|_| stored(what, value));
        let record = tiyn_auth::CodeRecord::from_parts(
            mac,
            purpose,
            small(self.digits, "code digits")?,
            instant(self.expires_at)?,
            small(self.attempts_left, "code attempts")?,
            self.used,
        );
        Ok((UserId::new(self.user_id), record))
    }
}

/// Why a session ended; kept with it for the audit trail and for `GET /me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    Logout,
    /// Idle or absolute timeout, noticed when the session was next used.
    Expired,
    /// The user changed or recovered the password (other sessions end, R-5.7).
    PasswordChanged,
    /// The user was blocked: every session ends at once.
    Blocked,
}

impl SessionEnd {
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Logout => "logout",
            SessionEnd::Expired => "expired",
            SessionEnd::PasswordChanged => "password_changed",
            SessionEnd::Blocked => "blocked",
        }
    }

    pub fn parse(code: &str) -> Option<SessionEnd> {
        [SessionEnd::Logout, SessionEnd::Expired, SessionEnd::PasswordChanged, SessionEnd::Blocked]
            .into_iter()
            .find(|end| end.as_str() == code)
    }
}

/// A session as stored: never the token, only its digest's owner, times and end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: tiyn_core::SessionId,
    pub user: UserId,
    pub times: tiyn_auth::SessionTimes,
    pub ended: Option<(Timestamp, SessionEnd)>,
}

/// The columns of a stored session, as both backends read them.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub created_at: i64,
    pub last_activity_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
}

/// The column list matching [`SessionRow`]'s field order.
pub const SESSION_COLUMNS: &str = "id, user_id, created_at, last_activity_at, ended_at, end_reason";

impl SessionRow {
    pub fn into_record(self) -> Result<SessionRecord, StoreError> {
        let ended = match (self.ended_at, self.end_reason) {
            (Some(at), Some(reason)) => {
                Some((instant(at)?, SessionEnd::parse(&reason).ok_or_else(|| stored("session end", &reason))?))
            }
            (None, None) => None,
            _ => return Err(stored("session end", "half recorded")),
        };
        Ok(SessionRecord {
            id: tiyn_core::SessionId::new(self.id),
            user: UserId::new(self.user_id),
            times: tiyn_auth::SessionTimes::from_parts(instant(self.created_at)?, instant(self.last_activity_at)?),
            ended,
        })
    }
}
