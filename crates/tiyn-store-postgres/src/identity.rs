//! The lifecycle of users on PostgreSQL: activation, passwords, edits, blocks, suspensions, the
//! record of changes, and failures per source address.
//!
//! Every read-modify-write locks the user's row (`FOR NO KEY UPDATE`: it does not wait for, nor
//! block, inserts of sessions or codes referring to the user). A change that can take away a
//! partner's last active full-access user (a demotion, a block) first locks the partner's row, so
//! such changes of one partner run one after another in every process, and each sees the others'
//! result when it counts the full-access users left.

use jiff::Timestamp;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, PgPool, Row};
use tiyn_auth::{LockoutEvent, LockoutPolicy, LockoutState};
use tiyn_core::access::AccessLevel;
use tiyn_core::{SessionId, UserId};
use tiyn_store::{
    Block, FULL_NAME_LENGTH_MAX, LOGIN_TAKEN, SessionEnd, StoreError, USER_COLUMNS, User, UserChange, UserChangeRecord,
    UserStatus,
};

use crate::rows;
use crate::tx::{TxError, unique_or_sql, with_retries};

const USER_NOT_FOUND: StoreError = StoreError::NotFound { what: "user" };

/// Reads the user and locks its row until the transaction ends.
async fn lock_user(connection: &mut PgConnection, user: UserId) -> Result<User, TxError> {
    let sql = AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 FOR NO KEY UPDATE"));
    let row = sqlx::query(sql).bind(user.get()).fetch_optional(&mut *connection).await?;
    Ok(row.as_ref().map(crate::users::convert).transpose()?.ok_or(USER_NOT_FOUND)?)
}

/// Locks the user's partner (when it has one), then the user: the order every change that counts
/// a partner's full-access users takes.
async fn lock_partner_and_user(connection: &mut PgConnection, user: UserId) -> Result<User, TxError> {
    let partner: Option<i64> = sqlx::query_scalar("SELECT partner_id FROM users WHERE id = $1")
        .bind(user.get())
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(USER_NOT_FOUND)?;
    if let Some(partner) = partner {
        // The partner of a user never changes, so the row read above names the right partner.
        sqlx::query("SELECT 1 FROM partners WHERE id = $1 FOR NO KEY UPDATE")
            .bind(partner)
            .execute(&mut *connection)
            .await?;
    }
    lock_user(connection, user).await
}

/// Whether `user` is its partner's only active full-access user. Call with the partner locked.
async fn is_last_active_full(connection: &mut PgConnection, user: &User) -> Result<bool, TxError> {
    let Some(partner) = user.partner else { return Ok(false) };
    if user.status != UserStatus::Active || user.level != Some(AccessLevel::Full) {
        return Ok(false);
    }
    let others: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM users
                        WHERE partner_id = $1 AND id <> $2 AND status = 'active' AND access_level = 'full')",
    )
    .bind(partner.get())
    .bind(user.id.get())
    .fetch_one(&mut *connection)
    .await?;
    Ok(!others)
}

/// One changed field: name, old value, new value.
type FieldChange = (&'static str, Option<String>, Option<String>);

async fn record_changes(
    connection: &mut PgConnection,
    user: UserId,
    changes: &[FieldChange],
    by: Option<UserId>,
    at: Timestamp,
) -> Result<(), TxError> {
    if changes.is_empty() {
        return Ok(());
    }
    let fields: Vec<&str> = changes.iter().map(|change| change.0).collect();
    let old: Vec<Option<String>> = changes.iter().map(|change| change.1.clone()).collect();
    let new: Vec<Option<String>> = changes.iter().map(|change| change.2.clone()).collect();
    // WITH ORDINALITY keeps the fields in the order given, so ids follow it.
    sqlx::query(
        "INSERT INTO user_changes (user_id, field, old_value, new_value, changed_by, changed_at)
         SELECT $1, c.field, c.old_value, c.new_value, $5, $6
         FROM UNNEST($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS c (field, old_value, new_value, n)
         ORDER BY c.n",
    )
    .bind(user.get())
    .bind(&fields)
    .bind(&old)
    .bind(&new)
    .bind(by.map(UserId::get))
    .bind(at.as_microsecond())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

fn status_change(from: UserStatus, to: UserStatus) -> FieldChange {
    ("status", Some(from.as_str().to_owned()), Some(to.as_str().to_owned()))
}

/// Ends the user's open sessions except `keep`; answers how many ended.
async fn end_sessions(
    connection: &mut PgConnection,
    user: UserId,
    keep: Option<SessionId>,
    at: Timestamp,
    reason: SessionEnd,
) -> Result<u64, TxError> {
    let ended = sqlx::query(
        "UPDATE sessions SET ended_at = $3, end_reason = $4
         WHERE user_id = $1 AND ended_at IS NULL AND id IS DISTINCT FROM $2",
    )
    .bind(user.get())
    .bind(keep.map(SessionId::get))
    .bind(at.as_microsecond())
    .bind(reason.as_str())
    .execute(&mut *connection)
    .await?
    .rows_affected();
    Ok(ended)
}

/// The first password makes the user active. Not recorded as a change of the user: activation is
/// part of registration (the audit trail records it).
pub async fn activate(pool: &PgPool, user: UserId, password_hash: &str) -> Result<(), StoreError> {
    with_retries!(async {
        let mut transaction = pool.begin().await?;
        let current = lock_user(&mut transaction, user).await?;
        if current.status != UserStatus::PendingActivation {
            return Err(StoreError::Conflict("not_pending_activation").into());
        }
        sqlx::query("UPDATE users SET password_hash = $2, status = 'active' WHERE id = $1")
            .bind(user.get())
            .bind(password_hash)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok::<_, TxError>(())
    })
}

pub async fn change_password(
    pool: &PgPool,
    user: UserId,
    password_hash: &str,
    keep: Option<SessionId>,
    at: Timestamp,
) -> Result<u64, StoreError> {
    with_retries!(async {
        let mut transaction = pool.begin().await?;
        lock_user(&mut transaction, user).await?;
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user.get())
            .bind(password_hash)
            .execute(&mut *transaction)
            .await?;
        record_changes(&mut transaction, user, &[("password", None, None)], Some(user), at).await?;
        let ended = end_sessions(&mut transaction, user, keep, at, SessionEnd::PasswordChanged).await?;
        transaction.commit().await?;
        Ok::<_, TxError>(ended)
    })
}

/// One statement: consecutive failures reset, a lock that has run out cleared.
pub async fn record_login_success(pool: &PgPool, user: UserId, at: Timestamp) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE users SET failures = 0,
                          locked_until = CASE WHEN locked_until <= $2 THEN NULL ELSE locked_until END
         WHERE id = $1",
    )
    .bind(user.get())
    .bind(at.as_microsecond())
    .execute(pool)
    .await
    .map_err(StoreError::backend)?
    .rows_affected();
    if updated == 0 { Err(USER_NOT_FOUND) } else { Ok(()) }
}

fn text(value: Option<&str>) -> Option<String> {
    value.map(str::to_owned)
}

pub async fn update(
    pool: &PgPool,
    user: UserId,
    change: &UserChange,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<User, StoreError> {
    with_retries!(update_once(pool, user, change, by, at))
}

async fn update_once(
    pool: &PgPool,
    user: UserId,
    change: &UserChange,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<User, TxError> {
    let mut transaction = pool.begin().await?;
    let current = lock_partner_and_user(&mut transaction, user).await?;
    let mut next = current.clone();
    let mut changes: Vec<FieldChange> = Vec::new();
    if let Some(name) = &change.full_name {
        let name = name.trim();
        let length = name.chars().count();
        if length == 0 || length > FULL_NAME_LENGTH_MAX {
            return Err(StoreError::Invalid("a full name has 1 to 200 characters").into());
        }
        if name != current.full_name {
            changes.push(("full_name", Some(current.full_name.clone()), Some(name.to_owned())));
            next.full_name = name.to_owned();
        }
    }
    if let Some(mobile) = &change.mobile
        && *mobile != current.mobile
    {
        let as_text = |mobile: &Option<tiyn_core::MobileNumber>| text(mobile.as_ref().map(|mobile| mobile.as_str()));
        changes.push(("mobile", as_text(&current.mobile), as_text(mobile)));
        next.mobile = mobile.clone();
    }
    if let Some(email) = &change.email
        && *email != current.email
    {
        let as_text = |email: &Option<tiyn_core::Email>| text(email.as_ref().map(|email| email.as_str()));
        changes.push(("email", as_text(&current.email), as_text(email)));
        next.email = email.clone();
    }
    if next.mobile.is_none() && next.email.is_none() {
        return Err(StoreError::Invalid("a user needs a mobile number or an email address to log in").into());
    }
    if let Some(level) = change.level
        && Some(level) != current.level
    {
        if current.partner.is_none() {
            return Err(StoreError::Invalid("a partner's user has an access level; an operator has none").into());
        }
        if current.level == Some(AccessLevel::Full) && is_last_active_full(&mut transaction, &current).await? {
            return Err(StoreError::Conflict("last_full_access").into());
        }
        changes.push(("level", text(current.level.map(AccessLevel::as_str)), Some(level.as_str().to_owned())));
        next.level = Some(level);
    }
    if changes.is_empty() {
        return Ok(current);
    }
    sqlx::query("UPDATE users SET full_name = $2, mobile = $3, email = $4, access_level = $5 WHERE id = $1")
        .bind(user.get())
        .bind(&next.full_name)
        .bind(next.mobile.as_ref().map(|mobile| mobile.as_str().to_owned()))
        .bind(next.email.as_ref().map(|email| email.as_str().to_owned()))
        .bind(next.level.map(AccessLevel::as_str))
        .execute(&mut *transaction)
        .await
        .map_err(|error| unique_or_sql(error, LOGIN_TAKEN))?;
    record_changes(&mut transaction, user, &changes, by, at).await?;
    let stored = lock_user(&mut transaction, user).await?;
    transaction.commit().await?;
    Ok(stored)
}

pub async fn block(pool: &PgPool, user: UserId, block: Block, at: Timestamp) -> Result<u64, StoreError> {
    with_retries!(async {
        let mut transaction = pool.begin().await?;
        let current = lock_partner_and_user(&mut transaction, user).await?;
        if current.status == UserStatus::Blocked {
            return Err(StoreError::Conflict("already_blocked").into());
        }
        if block.keep_a_full_user && is_last_active_full(&mut transaction, &current).await? {
            return Err(StoreError::Conflict("last_full_access").into());
        }
        sqlx::query("UPDATE users SET status = 'blocked', blocked_at = $2, block_reason = $3 WHERE id = $1")
            .bind(user.get())
            .bind(at.as_microsecond())
            .bind(block.reason.as_str())
            .execute(&mut *transaction)
            .await?;
        let changes = [status_change(current.status, UserStatus::Blocked)];
        record_changes(&mut transaction, user, &changes, block.by, at).await?;
        let ended = end_sessions(&mut transaction, user, None, at, SessionEnd::Blocked).await?;
        transaction.commit().await?;
        Ok::<_, TxError>(ended)
    })
}

pub async fn unblock(pool: &PgPool, user: UserId, by: Option<UserId>, at: Timestamp) -> Result<(), StoreError> {
    with_retries!(async {
        let mut transaction = pool.begin().await?;
        let current = lock_user(&mut transaction, user).await?;
        if current.status != UserStatus::Blocked {
            return Err(StoreError::Conflict("not_blocked").into());
        }
        let status = if current.password_hash.is_some() { UserStatus::Active } else { UserStatus::PendingActivation };
        sqlx::query(
            "UPDATE users SET status = $2, blocked_at = NULL, block_reason = NULL,
                              failures = 0, lockouts = 0, locked_until = NULL, lockout_blocked = FALSE
             WHERE id = $1",
        )
        .bind(user.get())
        .bind(status.as_str())
        .execute(&mut *transaction)
        .await?;
        record_changes(&mut transaction, user, &[status_change(current.status, status)], by, at).await?;
        transaction.commit().await?;
        Ok::<_, TxError>(())
    })
}

/// One statement: the lockout state back to a clean slate ([`LockoutState::cleared_by_bank`]).
pub async fn clear_lockout(pool: &PgPool, user: UserId) -> Result<(), StoreError> {
    let cleared = LockoutState::default().cleared_by_bank();
    let updated = sqlx::query(
        "UPDATE users SET failures = $2, lockouts = $3, locked_until = $4, lockout_blocked = $5 WHERE id = $1",
    )
    .bind(user.get())
    .bind(count(cleared.consecutive_failures)?)
    .bind(count(cleared.lockouts)?)
    .bind(cleared.locked_until.map(|until| until.as_microsecond()))
    .bind(cleared.blocked)
    .execute(pool)
    .await
    .map_err(StoreError::backend)?
    .rows_affected();
    if updated == 0 { Err(USER_NOT_FOUND) } else { Ok(()) }
}

pub async fn schedule_suspension(
    pool: &PgPool,
    user: UserId,
    from: Option<jiff::civil::Date>,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<(), StoreError> {
    with_retries!(async {
        let mut transaction = pool.begin().await?;
        let current = lock_user(&mut transaction, user).await?;
        if current.suspended_from == from {
            return Ok(());
        }
        let date = |date: Option<jiff::civil::Date>| date.map(|date| date.to_string());
        sqlx::query("UPDATE users SET suspended_from = $2 WHERE id = $1")
            .bind(user.get())
            .bind(date(from))
            .execute(&mut *transaction)
            .await?;
        let changes = [("suspended_from", date(current.suspended_from), date(from))];
        record_changes(&mut transaction, user, &changes, by, at).await?;
        transaction.commit().await?;
        Ok::<_, TxError>(())
    })
}

pub async fn changes(pool: &PgPool, user: UserId) -> Result<Vec<UserChangeRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT user_id, field, old_value, new_value, changed_by, changed_at FROM user_changes
         WHERE user_id = $1 ORDER BY id",
    )
    .bind(user.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::backend)?;
    rows.iter()
        .map(|row| {
            let get = |error| StoreError::backend(error);
            Ok(UserChangeRecord {
                user: UserId::new(row.try_get(0).map_err(get)?),
                field: row.try_get(1).map_err(get)?,
                old_value: row.try_get(2).map_err(get)?,
                new_value: row.try_get(3).map_err(get)?,
                by: row.try_get::<Option<i64>, _>(4).map_err(get)?.map(UserId::new),
                at: rows::instant(row.try_get(5).map_err(get)?)?,
            })
        })
        .collect()
}

fn count(value: u32) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(StoreError::backend)
}

fn source_state(row: &sqlx::postgres::PgRow) -> Result<LockoutState, StoreError> {
    let get = |error| StoreError::backend(error);
    let stored = |value: i32| u32::try_from(value).map_err(StoreError::backend);
    Ok(LockoutState {
        consecutive_failures: stored(row.try_get(0).map_err(get)?)?,
        lockouts: stored(row.try_get(1).map_err(get)?)?,
        locked_until: row.try_get::<Option<i64>, _>(2).map_err(get)?.map(rows::instant).transpose()?,
        blocked: row.try_get(3).map_err(get)?,
    })
}

/// Like a user's failures: the row is created if missing, then read under `FOR UPDATE`, so
/// concurrent failures from one source (in any number of processes) apply one after another.
pub async fn record_source_failure(
    pool: &PgPool,
    source: &str,
    policy: &LockoutPolicy,
    at: Timestamp,
) -> Result<LockoutEvent, StoreError> {
    with_retries!(async {
        let mut transaction = pool.begin().await?;
        sqlx::query("INSERT INTO source_failures (source) VALUES ($1) ON CONFLICT (source) DO NOTHING")
            .bind(source)
            .execute(&mut *transaction)
            .await?;
        let row = sqlx::query(
            "SELECT failures, lockouts, locked_until, blocked FROM source_failures WHERE source = $1 FOR UPDATE",
        )
        .bind(source)
        .fetch_one(&mut *transaction)
        .await?;
        let (next, event) = source_state(&row)?.after_failure(policy, at);
        sqlx::query(
            "UPDATE source_failures SET failures = $2, lockouts = $3, locked_until = $4, blocked = $5
             WHERE source = $1",
        )
        .bind(source)
        .bind(count(next.consecutive_failures)?)
        .bind(count(next.lockouts)?)
        .bind(next.locked_until.map(|until| until.as_microsecond()))
        .bind(next.blocked)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok::<_, TxError>(event)
    })
}

pub async fn source_lockout(pool: &PgPool, source: &str) -> Result<LockoutState, StoreError> {
    let row = sqlx::query("SELECT failures, lockouts, locked_until, blocked FROM source_failures WHERE source = $1")
        .bind(source)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::backend)?;
    row.as_ref().map(source_state).transpose().map(Option::unwrap_or_default)
}
