//! Users on SQLite.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, ToSql, TransactionBehavior, params};
use tiyn_auth::{ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy};
use tiyn_core::{PartnerId, UserId};
use tiyn_store::{
    CODE_COLUMNS, CodeRow, SESSION_COLUMNS, SessionRecord, SessionRow, StoreError, USER_COLUMNS, User, UserRow,
};

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
        created_at: row.get(14)?,
    })
}

/// The user matching `condition` (a constant of this crate with one `?1` parameter).
pub fn one(connection: &Connection, condition: &'static str, value: &dyn ToSql) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}");
    let row = connection.query_row(&sql, [value], user_row).optional().map_err(StoreError::backend)?;
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
    let transaction =
        connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::backend)?;
    let current = one(&transaction, "id = ?1", &user.get())?.ok_or(StoreError::NotFound { what: "user" })?;
    let (next, event) = current.lockout.after_failure(policy, at);
    transaction
        .execute(
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
    transaction.commit().map_err(StoreError::backend)?;
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
        .execute(
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

/// Read, verify, write back, in one IMMEDIATE transaction on the writer thread.
pub fn verify_code(
    connection: &mut Connection,
    challenge: &ChallengeId,
    candidate: &str,
    purpose: CodePurpose,
    now: Timestamp,
    key: &CodeKey,
) -> Result<(UserId, Result<(), CodeError>), StoreError> {
    let transaction =
        connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::backend)?;
    let sql = format!("SELECT {CODE_COLUMNS} FROM codes WHERE challenge = ?1");
    let row = transaction
        .query_row(&sql, [challenge.as_str()], |row| {
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
    transaction
        .execute(
            "UPDATE codes SET attempts_left = ?2, used = ?3 WHERE challenge = ?1",
            params![challenge.as_str(), next.attempts_left(), next.used()],
        )
        .map_err(StoreError::backend)?;
    transaction.commit().map_err(StoreError::backend)?;
    Ok((user, outcome))
}

pub fn session_by_token(connection: &Connection, digest: &[u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_digest = ?1");
    let row = connection
        .query_row(&sql, [digest.as_slice()], |row| {
            Ok(SessionRow {
                id: row.get(0)?,
                user_id: row.get(1)?,
                created_at: row.get(2)?,
                last_activity_at: row.get(3)?,
                ended_at: row.get(4)?,
                end_reason: row.get(5)?,
            })
        })
        .optional()
        .map_err(StoreError::backend)?;
    row.map(SessionRow::into_record).transpose()
}
