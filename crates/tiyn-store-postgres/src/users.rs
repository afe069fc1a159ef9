//! Users on PostgreSQL.

use jiff::Timestamp;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Connection, PgPool, Row};
use tiyn_auth::{ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy};
use tiyn_core::{PartnerId, UserId};
use tiyn_store::{
    CODE_COLUMNS, CodeRow, SESSION_COLUMNS, SessionRecord, SessionRow, StoreError, USER_COLUMNS, User, UserRow,
};

fn user_row(row: &PgRow) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        id: row.try_get(0)?,
        partner_id: row.try_get(1)?,
        full_name: row.try_get(2)?,
        mobile: row.try_get(3)?,
        email: row.try_get(4)?,
        access_level: row.try_get(5)?,
        status: row.try_get(6)?,
        password_hash: row.try_get(7)?,
        consent_recorded_by: row.try_get(8)?,
        consent_recorded_at: row.try_get(9)?,
        failures: i64::from(row.try_get::<i32, _>(10)?),
        lockouts: i64::from(row.try_get::<i32, _>(11)?),
        locked_until: row.try_get(12)?,
        lockout_blocked: row.try_get(13)?,
        blocked_at: row.try_get(14)?,
        block_reason: row.try_get(15)?,
        suspended_from: row.try_get(16)?,
        created_at: row.try_get(17)?,
        operator_role: row.try_get(18)?,
    })
}

pub fn convert(row: &PgRow) -> Result<User, StoreError> {
    user_row(row).map_err(StoreError::backend)?.into_user()
}

/// The user matching `condition` (a constant of this crate with one `$1` text parameter).
pub async fn one_by_text(pool: &PgPool, condition: &'static str, value: &str) -> Result<Option<User>, StoreError> {
    // Splices only this crate's constant column list and condition, never input.
    let sql = AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}"));
    let row = sqlx::query(sql).bind(value).fetch_optional(pool).await.map_err(StoreError::backend)?;
    row.as_ref().map(convert).transpose()
}

pub async fn by_id(pool: &PgPool, id: UserId) -> Result<Option<User>, StoreError> {
    let sql = AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"));
    let row = sqlx::query(sql).bind(id.get()).fetch_optional(pool).await.map_err(StoreError::backend)?;
    row.as_ref().map(convert).transpose()
}

pub async fn of_partner(pool: &PgPool, partner: PartnerId) -> Result<Vec<User>, StoreError> {
    let sql = AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE partner_id = $1 ORDER BY id"));
    let rows = sqlx::query(sql).bind(partner.get()).fetch_all(pool).await.map_err(StoreError::backend)?;
    rows.iter().map(convert).collect()
}

/// Read under `FOR UPDATE`, apply the transition, write, commit: concurrent failures of one user
/// queue on the row lock and are applied one after another, in any number of processes.
pub async fn record_failure(
    pool: &PgPool,
    user: UserId,
    policy: &LockoutPolicy,
    at: Timestamp,
) -> Result<LockoutEvent, StoreError> {
    let mut connection = pool.acquire().await.map_err(StoreError::backend)?;
    let mut transaction = connection.begin().await.map_err(StoreError::backend)?;
    let sql = AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE"));
    let row = sqlx::query(sql).bind(user.get()).fetch_optional(&mut *transaction).await.map_err(StoreError::backend)?;
    let current = row.as_ref().map(convert).transpose()?.ok_or(StoreError::NotFound { what: "user" })?;
    let (next, event) = current.lockout.after_failure(policy, at);
    let count = |value: u32| i32::try_from(value).map_err(StoreError::backend);
    sqlx::query("UPDATE users SET failures = $2, lockouts = $3, locked_until = $4, lockout_blocked = $5 WHERE id = $1")
        .bind(user.get())
        .bind(count(next.consecutive_failures)?)
        .bind(count(next.lockouts)?)
        .bind(next.locked_until.map(|until| until.as_microsecond()))
        .bind(next.blocked)
        .execute(&mut *transaction)
        .await
        .map_err(StoreError::backend)?;
    transaction.commit().await.map_err(StoreError::backend)?;
    Ok(event)
}

pub async fn save_code(
    pool: &PgPool,
    challenge: &ChallengeId,
    user: UserId,
    record: &CodeRecord,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO codes (challenge, user_id, purpose, purpose_digest, mac, digits, expires_at, attempts_left, used, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(challenge.as_str())
    .bind(user.get())
    .bind(record.purpose().kind())
    .bind(record.purpose().digest().map(|digest| digest.to_vec()))
    .bind(record.mac().to_vec())
    .bind(i32::from(record.digits()))
    .bind(record.expires_at().as_microsecond())
    .bind(i32::from(record.attempts_left()))
    .bind(record.used())
    .bind(at.as_microsecond())
    .execute(pool)
    .await
    .map_err(StoreError::backend)?;
    Ok(())
}

/// Read under `FOR UPDATE`, verify, write back, commit: parallel attempts queue on the row lock.
pub async fn verify_code(
    pool: &PgPool,
    challenge: &ChallengeId,
    candidate: &str,
    purpose: CodePurpose,
    now: Timestamp,
    key: &CodeKey,
) -> Result<(UserId, Result<(), CodeError>), StoreError> {
    let mut connection = pool.acquire().await.map_err(StoreError::backend)?;
    let mut transaction = connection.begin().await.map_err(StoreError::backend)?;
    let sql = AssertSqlSafe(format!("SELECT {CODE_COLUMNS} FROM codes WHERE challenge = $1 FOR UPDATE"));
    let row = sqlx::query(sql)
        .bind(challenge.as_str())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(StoreError::backend)?
        .ok_or(StoreError::NotFound { what: "challenge" })?;
    let read = |row: &PgRow| -> Result<CodeRow, sqlx::Error> {
        Ok(CodeRow {
            user_id: row.try_get(0)?,
            purpose: row.try_get(1)?,
            purpose_digest: row.try_get(2)?,
            mac: row.try_get(3)?,
            digits: i64::from(row.try_get::<i32, _>(4)?),
            expires_at: row.try_get(5)?,
            attempts_left: i64::from(row.try_get::<i32, _>(6)?),
            used: row.try_get(7)?,
        })
    };
    let (user, record) = read(&row).map_err(StoreError::backend)?.into_record()?;
    let (next, outcome) = record.verify(candidate, &purpose, now, key);
    sqlx::query("UPDATE codes SET attempts_left = $2, used = $3 WHERE challenge = $1")
        .bind(challenge.as_str())
        .bind(i32::from(next.attempts_left()))
        .bind(next.used())
        .execute(&mut *transaction)
        .await
        .map_err(StoreError::backend)?;
    transaction.commit().await.map_err(StoreError::backend)?;
    Ok((user, outcome))
}

pub async fn session_by_token(pool: &PgPool, digest: &[u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
    let sql = AssertSqlSafe(format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_digest = $1"));
    let row = sqlx::query(sql).bind(digest.to_vec()).fetch_optional(pool).await.map_err(StoreError::backend)?;
    row.as_ref().map(session).transpose()
}

/// A user's open sessions, newest first.
pub async fn open_sessions(pool: &PgPool, user: UserId) -> Result<Vec<SessionRecord>, StoreError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND ended_at IS NULL
         ORDER BY created_at DESC, id DESC"
    ));
    let rows = sqlx::query(sql).bind(user.get()).fetch_all(pool).await.map_err(StoreError::backend)?;
    rows.iter().map(session).collect()
}

fn session(row: &PgRow) -> Result<SessionRecord, StoreError> {
    let read = |row: &PgRow| -> Result<SessionRow, sqlx::Error> {
        Ok(SessionRow {
            id: row.try_get(0)?,
            user_id: row.try_get(1)?,
            created_at: row.try_get(2)?,
            last_activity_at: row.try_get(3)?,
            ended_at: row.try_get(4)?,
            end_reason: row.try_get(5)?,
        })
    };
    read(row).map_err(StoreError::backend)?.into_record()
}
