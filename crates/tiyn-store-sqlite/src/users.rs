//! Users on SQLite.

use crate::Cached;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};
use tiyn_auth::{ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy, LockoutState};
use tiyn_core::access::AccessLevel;
use tiyn_core::{Email, MobileNumber, PartnerId, SessionId, UserId};
use tiyn_store::{
    Block, CODE_COLUMNS, CodeRow, FULL_NAME_LENGTH_MAX, LOGIN_TAKEN, SESSION_COLUMNS, SessionEnd, SessionRecord,
    SessionRow, StoreError, USER_COLUMNS, User, UserChange, UserChangeRecord, UserRow, UserStatus,
};

use crate::unique_or_backend;

fn user_row(row: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: row.get(0)?,
        partner_id: row.get(1)?,
        full_name: row.get(2)?,
        mobile: row.get(3)?,
        email: row.get(4)?,
        access_level: row.get(5)?,
        status: row.get(6)?,
        password_hash: row.get(7)?,
        consent_recorded_by: row.get(8)?,
        consent_recorded_at: row.get(9)?,
        failures: row.get(10)?,
        lockouts: row.get(11)?,
        locked_until: row.get(12)?,
        lockout_blocked: row.get(13)?,
        blocked_at: row.get(14)?,
        block_reason: row.get(15)?,
        suspended_from: row.get(16)?,
        created_at: row.get(17)?,
        operator_role: row.get(18)?,
    })
}

fn session_row(row: &Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: row.get(0)?,
        user_id: row.get(1)?,
        created_at: row.get(2)?,
        last_activity_at: row.get(3)?,
        ended_at: row.get(4)?,
        end_reason: row.get(5)?,
    })
}

/// The user matching `condition` (a constant of this crate with one `?1` parameter).
pub fn one(connection: &Connection, condition: &'static str, value: &dyn ToSql) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}");
    let row = connection.query_row_cached(&sql, [value], user_row).optional().map_err(StoreError::backend)?;
    row.map(UserRow::into_user).transpose()
}

pub fn of_partner(connection: &Connection, partner: PartnerId) -> Result<Vec<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE partner_id = ?1 ORDER BY id");
    let mut statement = connection.prepare(&sql).map_err(StoreError::backend)?;
    let rows = statement.query_map([partner.get()], user_row).map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?.into_user()).collect()
}

pub fn record_failure(
    connection: &mut Connection,
    user: UserId,
    policy: &LockoutPolicy,
    at: Timestamp,
) -> Result<LockoutEvent, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let current = one(&savepoint, "id = ?1", &user.get())?.ok_or(StoreError::NotFound { what: "user" })?;
    let (next, event) = current.lockout.after_failure(policy, at);
    savepoint
        .execute_cached(
            "UPDATE users SET failures = ?2, lockouts = ?3, locked_until = ?4, lockout_blocked = ?5 WHERE id = ?1",
            params![
                user.get(),
                next.consecutive_failures,
                next.lockouts,
                next.locked_until.map(|until| until.as_microsecond()),
                next.blocked
            ],
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(event)
}

pub fn save_code(
    connection: &Connection,
    challenge: &ChallengeId,
    user: UserId,
    record: &CodeRecord,
    at: Timestamp,
) -> Result<(), StoreError> {
    connection
        .execute_cached(
            "INSERT INTO codes (challenge, user_id, purpose, purpose_digest, mac, digits, expires_at, attempts_left, used, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                challenge.as_str(),
                user.get(),
                record.purpose().kind(),
                record.purpose().digest().map(|digest| digest.to_vec()),
                record.mac().to_vec(),
                record.digits(),
                record.expires_at().as_microsecond(),
                record.attempts_left(),
                record.used(),
                at.as_microsecond()
            ],
        )
        .map_err(StoreError::backend)?;
    Ok(())
}

/// Read, verify, write back, in one savepoint inside the writer's IMMEDIATE transaction.
pub fn verify_code(
    connection: &mut Connection,
    challenge: &ChallengeId,
    candidate: &str,
    purpose: CodePurpose,
    now: Timestamp,
    key: &CodeKey,
) -> Result<(UserId, Result<(), CodeError>), StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let sql = format!("SELECT {CODE_COLUMNS} FROM codes WHERE challenge = ?1");
    let row = savepoint
        .query_row_cached(&sql, [challenge.as_str()], |row| {
            Ok(CodeRow {
                user_id: row.get(0)?,
                purpose: row.get(1)?,
                purpose_digest: row.get(2)?,
                mac: row.get(3)?,
                digits: row.get(4)?,
                expires_at: row.get(5)?,
                attempts_left: row.get(6)?,
                used: row.get(7)?,
            })
        })
        .optional()
        .map_err(StoreError::backend)?
        .ok_or(StoreError::NotFound { what: "challenge" })?;
    let (user, record) = row.into_record()?;
    let (next, outcome) = record.verify(candidate, &purpose, now, key);
    savepoint
        .execute_cached(
            "UPDATE codes SET attempts_left = ?2, used = ?3 WHERE challenge = ?1",
            params![challenge.as_str(), next.attempts_left(), next.used()],
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok((user, outcome))
}

pub fn session_by_token(connection: &Connection, digest: &[u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_digest = ?1");
    let row =
        connection.query_row_cached(&sql, [digest.as_slice()], session_row).optional().map_err(StoreError::backend)?;
    row.map(SessionRow::into_record).transpose()
}

// ----- Lifecycle (issue 3). Every function runs on the writer thread, in one savepoint inside
// the writer's IMMEDIATE transaction, and re-reads the rows it decides on. -----

fn existing(connection: &Connection, user: UserId) -> Result<User, StoreError> {
    one(connection, "id = ?1", &user.get())?.ok_or(StoreError::NotFound { what: "user" })
}

fn record_change(
    connection: &Connection,
    user: UserId,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<(), StoreError> {
    connection
        .execute_cached(
            "INSERT INTO user_changes (user_id, field, old_value, new_value, changed_by, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![user.get(), field, old, new, by.map(UserId::get), at.as_microsecond()],
        )
        .map_err(StoreError::backend)?;
    Ok(())
}

fn end_sessions(
    connection: &Connection,
    user: UserId,
    keep: Option<SessionId>,
    at: Timestamp,
    reason: SessionEnd,
) -> Result<u64, StoreError> {
    let ended = connection
        .execute_cached(
            "UPDATE sessions SET ended_at = ?3, end_reason = ?4
             WHERE user_id = ?1 AND ended_at IS NULL AND id IS NOT ?2",
            params![user.get(), keep.map(SessionId::get), at.as_microsecond(), reason.as_str()],
        )
        .map_err(StoreError::backend)?;
    Ok(ended as u64)
}

/// Whether `user` is the only active full-access user of its partner: then demoting or
/// blocking it would leave the partner without anyone to manage its users.
fn is_last_full_user(connection: &Connection, user: &User) -> Result<bool, StoreError> {
    let Some(partner) = user.partner else { return Ok(false) };
    if user.status != UserStatus::Active || user.level != Some(AccessLevel::Full) {
        return Ok(false);
    }
    let others: i64 = connection
        .query_row_cached(
            "SELECT COUNT(*) FROM users
             WHERE partner_id = ?1 AND id <> ?2 AND access_level = ?3 AND status = ?4",
            params![partner.get(), user.id.get(), AccessLevel::Full.as_str(), UserStatus::Active.as_str()],
            |row| row.get(0),
        )
        .map_err(StoreError::backend)?;
    Ok(others == 0)
}

pub fn activate(connection: &mut Connection, user: UserId, password_hash: &str) -> Result<(), StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    if existing(&savepoint, user)?.status != UserStatus::PendingActivation {
        return Err(StoreError::Conflict("not_pending_activation"));
    }
    savepoint
        .execute_cached(
            "UPDATE users SET status = ?2, password_hash = ?3 WHERE id = ?1",
            params![user.get(), UserStatus::Active.as_str(), password_hash],
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)
}

pub fn change_password(
    connection: &mut Connection,
    user: UserId,
    password_hash: &str,
    keep: Option<SessionId>,
    at: Timestamp,
) -> Result<u64, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    existing(&savepoint, user)?;
    savepoint
        .execute_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![user.get(), password_hash])
        .map_err(StoreError::backend)?;
    let ended = end_sessions(&savepoint, user, keep, at, SessionEnd::PasswordChanged)?;
    // The user changes (or recovers) their own password; the values are never recorded.
    record_change(&savepoint, user, "password", None, None, Some(user), at)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(ended)
}

pub fn record_success(connection: &mut Connection, user: UserId, at: Timestamp) -> Result<(), StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    existing(&savepoint, user)?;
    // A lockout block stays until the bank clears it; a lock still running stays too.
    savepoint
        .execute_cached(
            "UPDATE users SET failures = 0,
                              locked_until = CASE WHEN locked_until <= ?2 THEN NULL ELSE locked_until END
             WHERE id = ?1 AND lockout_blocked = 0",
            params![user.get(), at.as_microsecond()],
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)
}

fn text<T: AsRef<str>>(value: Option<T>) -> Option<String> {
    value.map(|value| value.as_ref().to_owned())
}

pub fn update(
    connection: &mut Connection,
    user: UserId,
    change: UserChange,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<User, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let current = existing(&savepoint, user)?;
    let mut next = current.clone();
    if let Some(name) = change.full_name {
        let name = name.trim();
        let length = name.chars().count();
        if length == 0 || length > FULL_NAME_LENGTH_MAX {
            return Err(StoreError::Invalid("a full name has 1 to 200 characters"));
        }
        next.full_name = name.to_owned();
    }
    if let Some(mobile) = change.mobile {
        next.mobile = mobile;
    }
    if let Some(email) = change.email {
        next.email = email;
    }
    if let Some(level) = change.level {
        if current.partner.is_none() {
            return Err(StoreError::Invalid("a partner's user has an access level; an operator has none"));
        }
        next.level = Some(level);
    }
    if next.mobile.is_none() && next.email.is_none() {
        return Err(StoreError::Invalid("a user needs a mobile number or an email address to log in"));
    }
    // In the order of the fields; only what actually changes.
    let edits: Vec<(&str, Option<String>, Option<String>)> = [
        ("full_name", Some(current.full_name.clone()), Some(next.full_name.clone())),
        (
            "mobile",
            text(current.mobile.as_ref().map(MobileNumber::as_str)),
            text(next.mobile.as_ref().map(MobileNumber::as_str)),
        ),
        ("email", text(current.email.as_ref().map(Email::as_str)), text(next.email.as_ref().map(Email::as_str))),
        ("level", text(current.level.map(AccessLevel::as_str)), text(next.level.map(AccessLevel::as_str))),
    ]
    .into_iter()
    .filter(|(_, old, new)| old != new)
    .collect();
    if edits.is_empty() {
        return Ok(current);
    }
    let demoted = current.level == Some(AccessLevel::Full) && next.level != Some(AccessLevel::Full);
    if demoted && is_last_full_user(&savepoint, &current)? {
        return Err(StoreError::Conflict("last_full_access"));
    }
    savepoint
        .execute_cached(
            "UPDATE users SET full_name = ?2, mobile = ?3, email = ?4, access_level = ?5 WHERE id = ?1",
            params![
                user.get(),
                next.full_name,
                next.mobile.as_ref().map(MobileNumber::as_str),
                next.email.as_ref().map(Email::as_str),
                next.level.map(AccessLevel::as_str)
            ],
        )
        .map_err(|error| unique_or_backend(error, LOGIN_TAKEN))?;
    for (field, old, new) in &edits {
        record_change(&savepoint, user, field, old.as_deref(), new.as_deref(), by, at)?;
    }
    let stored = existing(&savepoint, user)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(stored)
}

pub fn block(connection: &mut Connection, user: UserId, block: Block, at: Timestamp) -> Result<u64, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let current = existing(&savepoint, user)?;
    if current.status == UserStatus::Blocked {
        return Err(StoreError::Conflict("already_blocked"));
    }
    if block.keep_a_full_user && is_last_full_user(&savepoint, &current)? {
        return Err(StoreError::Conflict("last_full_access"));
    }
    savepoint
        .execute_cached(
            "UPDATE users SET status = ?2, blocked_at = ?3, block_reason = ?4 WHERE id = ?1",
            params![user.get(), UserStatus::Blocked.as_str(), at.as_microsecond(), block.reason.as_str()],
        )
        .map_err(StoreError::backend)?;
    let ended = end_sessions(&savepoint, user, None, at, SessionEnd::Blocked)?;
    let (old, new) = (current.status.as_str(), UserStatus::Blocked.as_str());
    record_change(&savepoint, user, "status", Some(old), Some(new), block.by, at)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(ended)
}

pub fn unblock(connection: &mut Connection, user: UserId, by: Option<UserId>, at: Timestamp) -> Result<(), StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let current = existing(&savepoint, user)?;
    if current.status != UserStatus::Blocked {
        return Err(StoreError::Conflict("not_blocked"));
    }
    let status = if current.password_hash.is_some() { UserStatus::Active } else { UserStatus::PendingActivation };
    savepoint
        .execute_cached(
            "UPDATE users SET status = ?2, blocked_at = NULL, block_reason = NULL,
                              failures = 0, lockouts = 0, locked_until = NULL, lockout_blocked = 0
             WHERE id = ?1",
            params![user.get(), status.as_str()],
        )
        .map_err(StoreError::backend)?;
    let (old, new) = (UserStatus::Blocked.as_str(), status.as_str());
    record_change(&savepoint, user, "status", Some(old), Some(new), by, at)?;
    savepoint.commit().map_err(StoreError::backend)
}

pub fn clear_lockout(connection: &mut Connection, user: UserId) -> Result<(), StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    existing(&savepoint, user)?;
    savepoint
        .execute_cached(
            "UPDATE users SET failures = 0, lockouts = 0, locked_until = NULL, lockout_blocked = 0 WHERE id = ?1",
            [user.get()],
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)
}

pub fn schedule_suspension(
    connection: &mut Connection,
    user: UserId,
    from: Option<jiff::civil::Date>,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<(), StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let current = existing(&savepoint, user)?;
    if current.suspended_from == from {
        return Ok(());
    }
    let (old, new) = (current.suspended_from.map(|date| date.to_string()), from.map(|date| date.to_string()));
    savepoint
        .execute_cached("UPDATE users SET suspended_from = ?2 WHERE id = ?1", params![user.get(), new])
        .map_err(StoreError::backend)?;
    record_change(&savepoint, user, "suspended_from", old.as_deref(), new.as_deref(), by, at)?;
    savepoint.commit().map_err(StoreError::backend)
}

pub fn changes(connection: &Connection, user: UserId) -> Result<Vec<UserChangeRecord>, StoreError> {
    let mut statement = connection
        .prepare(
            "SELECT user_id, field, old_value, new_value, changed_by, changed_at FROM user_changes
             WHERE user_id = ?1 ORDER BY id",
        )
        .map_err(StoreError::backend)?;
    let rows = statement
        .query_map([user.get()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<i64>>(4)?,
                row.get::<_, i64>(5)?,
            ))
        })
        .map_err(StoreError::backend)?;
    rows.map(|row| {
        let (user, field, old_value, new_value, by, at) = row.map_err(StoreError::backend)?;
        Ok(UserChangeRecord {
            user: UserId::new(user),
            field,
            old_value,
            new_value,
            by: by.map(UserId::new),
            at: instant(at)?,
        })
    })
    .collect()
}

fn instant(microseconds: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(microseconds).map_err(|error| StoreError::Backend(format!("stored instant: {error}")))
}

fn source_state(connection: &Connection, source: &str) -> Result<LockoutState, StoreError> {
    let row = connection
        .query_row_cached(
            "SELECT failures, lockouts, locked_until, blocked FROM source_failures WHERE source = ?1",
            [source],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                    row.get::<_, bool>(3)?,
                ))
            },
        )
        .optional()
        .map_err(StoreError::backend)?;
    let Some((failures, lockouts, locked_until, blocked)) = row else { return Ok(LockoutState::default()) };
    let count =
        |value: i64| u32::try_from(value).map_err(|_| StoreError::Backend(format!("stored failure count {value}")));
    Ok(LockoutState {
        consecutive_failures: count(failures)?,
        lockouts: count(lockouts)?,
        locked_until: locked_until.map(instant).transpose()?,
        blocked,
    })
}

pub fn source_lockout(connection: &Connection, source: &str) -> Result<LockoutState, StoreError> {
    source_state(connection, source)
}

pub fn record_source_failure(
    connection: &mut Connection,
    source: &str,
    policy: &LockoutPolicy,
    at: Timestamp,
) -> Result<LockoutEvent, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let (next, event) = source_state(&savepoint, source)?.after_failure(policy, at);
    savepoint
        .execute_cached(
            "INSERT INTO source_failures (source, failures, lockouts, locked_until, blocked)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (source) DO UPDATE SET failures = excluded.failures, lockouts = excluded.lockouts,
                 locked_until = excluded.locked_until, blocked = excluded.blocked",
            params![
                source,
                next.consecutive_failures,
                next.lockouts,
                next.locked_until.map(|until| until.as_microsecond()),
                next.blocked
            ],
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(event)
}

pub fn open_sessions(connection: &Connection, user: UserId) -> Result<Vec<SessionRecord>, StoreError> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 AND ended_at IS NULL
         ORDER BY created_at DESC, id DESC"
    );
    let mut statement = connection.prepare(&sql).map_err(StoreError::backend)?;
    let rows = statement.query_map([user.get()], session_row).map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?.into_record()).collect()
}
