//! Means of access on SQLite: markers, devices and API keys.

use crate::Cached;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyn_core::access::AccessLevel;
use tiyn_core::{AccountId, ApiKeyId, DeviceId, PartnerId, UserId};
use tiyn_store::{
    ApiKeyRecord, DeviceRecord, MarkerRecord, MarkerStatus, NewApiKey, NewDevice, StepAcceptance, StoreError,
};

use crate::unique_or_backend;

fn stored(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} does not parse: {error}"))
}

fn instant(microseconds: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(microseconds).map_err(|error| stored("instant", error))
}

fn optional_instant(microseconds: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    microseconds.map(instant).transpose()
}

/// A duplicate is `AlreadyExists`; a write naming a user (or partner) that does not exist fails
/// its foreign key and is `NotFound`.
fn refused(error: rusqlite::Error, duplicate: &'static str, missing: &'static str) -> StoreError {
    if error.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
        && error.to_string().contains("FOREIGN KEY")
    {
        return StoreError::NotFound { what: missing };
    }
    unique_or_backend(error, duplicate)
}

// ----- Markers -----

const MARKER_COLUMNS: &str = "serial, user_id, status, sealed_secret, last_step, created_at, activated_at, revoked_at";

type MarkerRow = (String, i64, String, Vec<u8>, Option<i64>, i64, Option<i64>, Option<i64>);

fn marker_row(row: &Row<'_>) -> rusqlite::Result<MarkerRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?))
}

fn into_marker(
    (serial, user, status, sealed_secret, last_step, created_at, activated_at, revoked_at): MarkerRow,
) -> Result<MarkerRecord, StoreError> {
    Ok(MarkerRecord {
        serial,
        user: UserId::new(user),
        status: MarkerStatus::parse(&status).ok_or_else(|| stored("marker status", &status))?,
        sealed_secret,
        last_step: last_step
            .map(|step| u64::try_from(step).map_err(|error| stored("marker step", error)))
            .transpose()?,
        created_at: instant(created_at)?,
        activated_at: optional_instant(activated_at)?,
        revoked_at: optional_instant(revoked_at)?,
    })
}

fn step_value(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step).map_err(|_| StoreError::Invalid("a TOTP step is far beyond any real time"))
}

pub fn create_marker(
    connection: &Connection,
    user: UserId,
    serial: &str,
    sealed_secret: &[u8],
    at: Timestamp,
) -> Result<(), StoreError> {
    connection
        .execute_cached(
            "INSERT INTO markers (serial, user_id, status, sealed_secret, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![serial, user.get(), MarkerStatus::Pending.as_str(), sealed_secret, at.as_microsecond()],
        )
        .map_err(|error| refused(error, "a marker with this serial number", "user"))?;
    Ok(())
}

pub fn user_markers(connection: &Connection, user: UserId) -> Result<Vec<MarkerRecord>, StoreError> {
    let sql = format!("SELECT {MARKER_COLUMNS} FROM markers WHERE user_id = ?1 ORDER BY created_at, rowid");
    let mut statement = connection.prepare(&sql).map_err(StoreError::backend)?;
    let rows = statement.query_map([user.get()], marker_row).map_err(StoreError::backend)?;
    rows.map(|row| into_marker(row.map_err(StoreError::backend)?)).collect()
}

/// Read, decide, write, in one savepoint inside the writer's IMMEDIATE transaction: a step is
/// accepted once.
pub fn accept_step(
    connection: &mut Connection,
    user: UserId,
    serial: &str,
    step: u64,
    activate: bool,
    at: Timestamp,
) -> Result<StepAcceptance, StoreError> {
    let stored_step = step_value(step)?;
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let sql = format!("SELECT {MARKER_COLUMNS} FROM markers WHERE serial = ?1 AND user_id = ?2");
    let marker = savepoint
        .query_row_cached(&sql, params![serial, user.get()], marker_row)
        .optional()
        .map_err(StoreError::backend)?
        .ok_or(StoreError::NotFound { what: "marker" })?;
    let marker = into_marker(marker)?;
    // As the trait says: never a revoked marker; with `activate`, only a pending one. A pending
    // marker without `activate` is accepted and stays pending: whether that may confirm anything
    // is the caller's decision.
    let usable = match marker.status {
        MarkerStatus::Revoked => false,
        MarkerStatus::Active => !activate,
        MarkerStatus::Pending => true,
    };
    if !usable {
        return Ok(StepAcceptance::Unusable);
    }
    if marker.last_step.is_some_and(|last| step <= last) {
        return Ok(StepAcceptance::Replayed);
    }
    savepoint
        .execute_cached(
            "UPDATE markers SET last_step = ?2,
                                status = CASE WHEN ?3 THEN ?4 ELSE status END,
                                activated_at = CASE WHEN ?3 THEN ?5 ELSE activated_at END
             WHERE serial = ?1",
            params![serial, stored_step, activate, MarkerStatus::Active.as_str(), at.as_microsecond()],
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(StepAcceptance::Accepted)
}

pub fn revoke_marker(connection: &Connection, user: UserId, serial: &str, at: Timestamp) -> Result<(), StoreError> {
    // Revoking twice keeps the first instant.
    let changed = connection
        .execute_cached(
            "UPDATE markers SET status = ?3, revoked_at = COALESCE(revoked_at, ?4) WHERE serial = ?1 AND user_id = ?2",
            params![serial, user.get(), MarkerStatus::Revoked.as_str(), at.as_microsecond()],
        )
        .map_err(StoreError::backend)?;
    if changed == 0 {
        return Err(StoreError::NotFound { what: "marker" });
    }
    Ok(())
}

// ----- Devices -----

pub fn register_device(connection: &Connection, device: &NewDevice) -> Result<DeviceId, StoreError> {
    connection
        .execute_cached(
            "INSERT INTO devices (user_id, platform, os_version, name, registered_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![device.user.get(), device.platform, device.os_version, device.name, device.at.as_microsecond()],
        )
        .map_err(|error| refused(error, "a device with this id", "user"))?;
    Ok(DeviceId::new(connection.last_insert_rowid()))
}

pub fn user_devices(connection: &Connection, user: UserId) -> Result<Vec<DeviceRecord>, StoreError> {
    let mut statement = connection
        .prepare(
            "SELECT id, user_id, platform, os_version, name, registered_at, revoked_at FROM devices
             WHERE user_id = ?1 AND revoked_at IS NULL ORDER BY id",
        )
        .map_err(StoreError::backend)?;
    let rows = statement
        .query_map([user.get()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, i64>(5)?,
                row.get::<_, Option<i64>>(6)?,
            ))
        })
        .map_err(StoreError::backend)?;
    rows.map(|row| {
        let (id, user, platform, os_version, name, registered_at, revoked_at) = row.map_err(StoreError::backend)?;
        Ok(DeviceRecord {
            id: DeviceId::new(id),
            user: UserId::new(user),
            platform,
            os_version,
            name,
            registered_at: instant(registered_at)?,
            revoked_at: optional_instant(revoked_at)?,
        })
    })
    .collect()
}

pub fn revoke_device(connection: &Connection, user: UserId, device: DeviceId, at: Timestamp) -> Result<(), StoreError> {
    let changed = connection
        .execute_cached(
            "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?3) WHERE id = ?1 AND user_id = ?2",
            params![device.get(), user.get(), at.as_microsecond()],
        )
        .map_err(StoreError::backend)?;
    if changed == 0 {
        return Err(StoreError::NotFound { what: "device" });
    }
    Ok(())
}

// ----- API keys -----

const API_KEY_COLUMNS: &str =
    "id, partner_id, created_by, name, level, expires_at, prefix, created_at, last_used_at, revoked_at";

type ApiKeyRow = (i64, i64, i64, String, String, Option<i64>, String, i64, Option<i64>, Option<i64>);

fn api_key_row(row: &Row<'_>) -> rusqlite::Result<ApiKeyRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

fn into_api_key(connection: &Connection, row: ApiKeyRow) -> Result<ApiKeyRecord, StoreError> {
    let (id, partner, created_by, name, level, expires_at, prefix, created_at, last_used_at, revoked_at) = row;
    let mut statement = connection
        .prepare_cached("SELECT account_id FROM api_key_accounts WHERE key_id = ?1 ORDER BY account_id")
        .map_err(StoreError::backend)?;
    let accounts = statement
        .query_map([id], |row| row.get::<_, i64>(0).map(AccountId::new))
        .map_err(StoreError::backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::backend)?;
    Ok(ApiKeyRecord {
        id: ApiKeyId::new(id),
        partner: PartnerId::new(partner),
        created_by: UserId::new(created_by),
        name,
        level: AccessLevel::parse(&level).map_err(|error| stored("API key level", error))?,
        accounts,
        expires_at: optional_instant(expires_at)?,
        prefix,
        created_at: instant(created_at)?,
        last_used_at: optional_instant(last_used_at)?,
        revoked_at: optional_instant(revoked_at)?,
    })
}

fn api_keys(
    connection: &Connection,
    condition: &str,
    value: &dyn rusqlite::ToSql,
) -> Result<Vec<ApiKeyRecord>, StoreError> {
    let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE {condition} ORDER BY id DESC");
    let mut statement = connection.prepare(&sql).map_err(StoreError::backend)?;
    let rows = statement
        .query_map([value], api_key_row)
        .map_err(StoreError::backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::backend)?;
    rows.into_iter().map(|row| into_api_key(connection, row)).collect()
}

/// Inserts the key and its accounts in one savepoint; every account must be the partner's.
pub fn create_api_key(connection: &mut Connection, key: &NewApiKey) -> Result<ApiKeyId, StoreError> {
    if key.level == AccessLevel::Full {
        return Err(StoreError::Invalid("an API key may view, create or confirm, never have full access"));
    }
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    for account in &key.accounts {
        let owner: Option<Option<i64>> = savepoint
            .query_row_cached("SELECT partner_id FROM accounts WHERE id = ?1", [account.get()], |row| row.get(0))
            .optional()
            .map_err(StoreError::backend)?;
        if owner.flatten() != Some(key.partner.get()) {
            return Err(StoreError::Invalid("an API key reaches only its partner's accounts"));
        }
    }
    savepoint
        .execute_cached(
            "INSERT INTO api_keys (partner_id, created_by, name, level, expires_at, secret_digest, prefix, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                key.partner.get(),
                key.created_by.get(),
                key.name,
                key.level.as_str(),
                key.expires_at.map(|at| at.as_microsecond()),
                key.secret_digest.as_slice(),
                key.prefix,
                key.at.as_microsecond()
            ],
        )
        .map_err(|error| refused(error, "an API key with this secret", "partner or issuing user"))?;
    let id = savepoint.last_insert_rowid();
    for account in &key.accounts {
        savepoint
            .execute_cached(
                "INSERT INTO api_key_accounts (key_id, account_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![id, account.get()],
            )
            .map_err(StoreError::backend)?;
    }
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(ApiKeyId::new(id))
}

pub fn partner_api_keys(connection: &Connection, partner: PartnerId) -> Result<Vec<ApiKeyRecord>, StoreError> {
    api_keys(connection, "partner_id = ?1", &partner.get())
}

pub fn api_key_by_digest(connection: &Connection, digest: &[u8; 32]) -> Result<Option<ApiKeyRecord>, StoreError> {
    Ok(api_keys(connection, "secret_digest = ?1", &digest.as_slice())?.pop())
}

pub fn touch_api_key(connection: &Connection, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
    connection
        .execute_cached(
            "UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, ?2), ?2) WHERE id = ?1",
            params![key.get(), at.as_microsecond()],
        )
        .map_err(StoreError::backend)?;
    Ok(())
}

pub fn revoke_api_key(
    connection: &Connection,
    partner: PartnerId,
    key: ApiKeyId,
    at: Timestamp,
) -> Result<(), StoreError> {
    let changed = connection
        .execute_cached(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?3) WHERE id = ?1 AND partner_id = ?2",
            params![key.get(), partner.get(), at.as_microsecond()],
        )
        .map_err(StoreError::backend)?;
    if changed == 0 {
        return Err(StoreError::NotFound { what: "API key" });
    }
    Ok(())
}
