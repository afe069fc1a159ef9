//! Markers, devices and API keys on PostgreSQL.

use jiff::Timestamp;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool, Row};
use tiyn_core::access::AccessLevel;
use tiyn_core::{AccountId, ApiKeyId, DeviceId, PartnerId, UserId};
use tiyn_store::{
    ApiKeyRecord, DeviceRecord, MarkerRecord, MarkerStatus, NewApiKey, NewDevice, StepAcceptance, StoreError,
};

use crate::rows;
use crate::tx::{TxError, missing_or_sql, unique_or_sql, with_retries};

const MARKER_NOT_FOUND: StoreError = StoreError::NotFound { what: "marker" };
const DEVICE_NOT_FOUND: StoreError = StoreError::NotFound { what: "device" };
const API_KEY_NOT_FOUND: StoreError = StoreError::NotFound { what: "API key" };

fn get<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>>(
    row: &'r PgRow,
    index: usize,
) -> Result<T, StoreError> {
    row.try_get(index).map_err(StoreError::backend)
}

fn optional_instant(row: &PgRow, index: usize) -> Result<Option<Timestamp>, StoreError> {
    get::<Option<i64>>(row, index)?.map(rows::instant).transpose()
}

fn step(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step).map_err(|_| StoreError::Invalid("a TOTP step fits in 63 bits"))
}

// ----- Markers -----

const MARKER_COLUMNS: &str = "serial, user_id, status, sealed_secret, last_step, created_at, activated_at, revoked_at";

fn marker(row: &PgRow) -> Result<MarkerRecord, StoreError> {
    let status: String = get(row, 2)?;
    let last_step: Option<i64> = get(row, 4)?;
    Ok(MarkerRecord {
        serial: get(row, 0)?,
        user: UserId::new(get(row, 1)?),
        status: MarkerStatus::parse(&status)
            .ok_or_else(|| StoreError::Backend(format!("stored marker status does not parse: {status}")))?,
        sealed_secret: get(row, 3)?,
        last_step: last_step
            .map(|step| u64::try_from(step).map_err(|_| StoreError::backend("stored marker step is negative")))
            .transpose()?,
        created_at: rows::instant(get(row, 5)?)?,
        activated_at: optional_instant(row, 6)?,
        revoked_at: optional_instant(row, 7)?,
    })
}

pub async fn create_marker(
    pool: &PgPool,
    user: UserId,
    serial: &str,
    sealed_secret: &[u8],
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO markers (serial, user_id, status, sealed_secret, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(serial)
        .bind(user.get())
        .bind(MarkerStatus::Pending.as_str())
        .bind(sealed_secret)
        .bind(at.as_microsecond())
        .execute(pool)
        .await
        .map_err(|error| match unique_or_sql(error, "a marker with this serial") {
            TxError::Sql(error) => match missing_or_sql(error, "user") {
                TxError::Store(error) => error,
                TxError::Sql(error) => StoreError::backend(error),
            },
            TxError::Store(error) => error,
        })?;
    Ok(())
}

pub async fn user_markers(pool: &PgPool, user: UserId) -> Result<Vec<MarkerRecord>, StoreError> {
    let sql =
        AssertSqlSafe(format!("SELECT {MARKER_COLUMNS} FROM markers WHERE user_id = $1 ORDER BY created_at, seq"));
    let rows = sqlx::query(sql).bind(user.get()).fetch_all(pool).await.map_err(StoreError::backend)?;
    rows.iter().map(marker).collect()
}

/// Reads the marker under `FOR UPDATE`, decides, writes, commits: parallel uses of one code queue
/// on the row, in every process, and only the first is accepted.
pub async fn accept_marker_step(
    pool: &PgPool,
    user: UserId,
    serial: &str,
    step_accepted: u64,
    activate: bool,
    at: Timestamp,
) -> Result<StepAcceptance, StoreError> {
    let new_step = step(step_accepted)?;
    with_retries!(async {
        let mut transaction = pool.begin().await?;
        let sql = AssertSqlSafe(format!("SELECT {MARKER_COLUMNS} FROM markers WHERE serial = $1 FOR UPDATE"));
        let row = sqlx::query(sql).bind(serial).fetch_optional(&mut *transaction).await?;
        let current = row.as_ref().map(marker).transpose()?.filter(|marker| marker.user == user);
        let current = current.ok_or(MARKER_NOT_FOUND)?;
        let usable = match current.status {
            MarkerStatus::Revoked => false,
            MarkerStatus::Pending => true,
            MarkerStatus::Active => !activate,
        };
        if !usable {
            return Ok(StepAcceptance::Unusable);
        }
        if current.last_step.is_some_and(|last| step_accepted <= last) {
            return Ok(StepAcceptance::Replayed);
        }
        sqlx::query(
            "UPDATE markers SET last_step = $2,
                                status = CASE WHEN $3 THEN 'active' ELSE status END,
                                activated_at = CASE WHEN $3 THEN $4 ELSE activated_at END
             WHERE serial = $1",
        )
        .bind(serial)
        .bind(new_step)
        .bind(activate)
        .bind(at.as_microsecond())
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok::<_, TxError>(StepAcceptance::Accepted)
    })
}

pub async fn revoke_marker(pool: &PgPool, user: UserId, serial: &str, at: Timestamp) -> Result<(), StoreError> {
    // A revoked marker stays revoked from the first revocation.
    let updated = sqlx::query(
        "UPDATE markers SET status = 'revoked', revoked_at = COALESCE(revoked_at, $3)
         WHERE serial = $1 AND user_id = $2",
    )
    .bind(serial)
    .bind(user.get())
    .bind(at.as_microsecond())
    .execute(pool)
    .await
    .map_err(StoreError::backend)?
    .rows_affected();
    if updated == 0 { Err(MARKER_NOT_FOUND) } else { Ok(()) }
}

// ----- Devices -----

pub async fn register_device(pool: &PgPool, device: &NewDevice) -> Result<DeviceId, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO devices (user_id, platform, os_version, name, registered_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(device.user.get())
    .bind(&device.platform)
    .bind(&device.os_version)
    .bind(&device.name)
    .bind(device.at.as_microsecond())
    .fetch_one(pool)
    .await
    .map_err(|error| match missing_or_sql(error, "user") {
        TxError::Store(error) => error,
        TxError::Sql(error) => StoreError::backend(error),
    })?;
    Ok(DeviceId::new(id))
}

pub async fn user_devices(pool: &PgPool, user: UserId) -> Result<Vec<DeviceRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, user_id, platform, os_version, name, registered_at, revoked_at FROM devices
         WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id",
    )
    .bind(user.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::backend)?;
    rows.iter()
        .map(|row| {
            Ok(DeviceRecord {
                id: DeviceId::new(get(row, 0)?),
                user: UserId::new(get(row, 1)?),
                platform: get(row, 2)?,
                os_version: get(row, 3)?,
                name: get(row, 4)?,
                registered_at: rows::instant(get(row, 5)?)?,
                revoked_at: optional_instant(row, 6)?,
            })
        })
        .collect()
}

pub async fn revoke_device(pool: &PgPool, user: UserId, device: DeviceId, at: Timestamp) -> Result<(), StoreError> {
    let updated =
        sqlx::query("UPDATE devices SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND user_id = $2")
            .bind(device.get())
            .bind(user.get())
            .bind(at.as_microsecond())
            .execute(pool)
            .await
            .map_err(StoreError::backend)?
            .rows_affected();
    if updated == 0 { Err(DEVICE_NOT_FOUND) } else { Ok(()) }
}

// ----- API keys -----

/// The key's columns and its accounts (ascending), in one row.
const API_KEY_SELECT: &str = "SELECT k.id, k.partner_id, k.created_by, k.name, k.level, k.expires_at, k.prefix,
        k.created_at, k.last_used_at, k.revoked_at,
        ARRAY(SELECT a.account_id FROM api_key_accounts a WHERE a.key_id = k.id ORDER BY a.account_id)
    FROM api_keys k";

fn api_key(row: &PgRow) -> Result<ApiKeyRecord, StoreError> {
    let level: String = get(row, 4)?;
    let accounts: Vec<i64> = get(row, 10)?;
    Ok(ApiKeyRecord {
        id: ApiKeyId::new(get(row, 0)?),
        partner: PartnerId::new(get(row, 1)?),
        created_by: UserId::new(get(row, 2)?),
        name: get(row, 3)?,
        level: AccessLevel::parse(&level)
            .map_err(|error| StoreError::Backend(format!("stored API key level does not parse: {error}")))?,
        accounts: accounts.into_iter().map(AccountId::new).collect(),
        expires_at: optional_instant(row, 5)?,
        prefix: get(row, 6)?,
        created_at: rows::instant(get(row, 7)?)?,
        last_used_at: optional_instant(row, 8)?,
        revoked_at: optional_instant(row, 9)?,
    })
}

pub async fn create_api_key(pool: &PgPool, key: &NewApiKey) -> Result<ApiKeyId, StoreError> {
    if key.level == AccessLevel::Full {
        return Err(StoreError::Invalid("an API key may view, create or confirm; never manage the partner"));
    }
    let mut accounts: Vec<i64> = key.accounts.iter().map(|account| account.get()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    with_retries!(async {
        let mut transaction = pool.begin().await?;
        let foreign: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM UNNEST($2::bigint[]) AS wanted (id)
             WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE accounts.id = wanted.id AND accounts.partner_id = $1)",
        )
        .bind(key.partner.get())
        .bind(&accounts)
        .fetch_one(&mut *transaction)
        .await?;
        if foreign > 0 {
            return Err(StoreError::Invalid("an API key acts only on its partner's accounts").into());
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (partner_id, created_by, name, level, expires_at, secret_digest, prefix, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(key.partner.get())
        .bind(key.created_by.get())
        .bind(&key.name)
        .bind(key.level.as_str())
        .bind(key.expires_at.map(|at| at.as_microsecond()))
        .bind(key.secret_digest.to_vec())
        .bind(&key.prefix)
        .bind(key.at.as_microsecond())
        .fetch_one(&mut *transaction)
        .await
        .map_err(|error| match unique_or_sql(error, "an API key with this secret") {
            TxError::Sql(error) => missing_or_sql(error, "partner or user"),
            refused => refused,
        })?;
        sqlx::query("INSERT INTO api_key_accounts (key_id, account_id) SELECT $1, UNNEST($2::bigint[])")
            .bind(id)
            .bind(&accounts)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok::<_, TxError>(ApiKeyId::new(id))
    })
}

pub async fn partner_api_keys(pool: &PgPool, partner: PartnerId) -> Result<Vec<ApiKeyRecord>, StoreError> {
    let sql = AssertSqlSafe(format!("{API_KEY_SELECT} WHERE k.partner_id = $1 ORDER BY k.created_at DESC, k.id DESC"));
    let rows = sqlx::query(sql).bind(partner.get()).fetch_all(pool).await.map_err(StoreError::backend)?;
    rows.iter().map(api_key).collect()
}

pub async fn api_key_by_digest(pool: &PgPool, digest: &[u8; 32]) -> Result<Option<ApiKeyRecord>, StoreError> {
    let sql = AssertSqlSafe(format!("{API_KEY_SELECT} WHERE k.secret_digest = $1"));
    let row = sqlx::query(sql).bind(digest.to_vec()).fetch_optional(pool).await.map_err(StoreError::backend)?;
    row.as_ref().map(api_key).transpose()
}

pub async fn touch_api_key(pool: &PgPool, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_keys SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1")
        .bind(key.get())
        .bind(at.as_microsecond())
        .execute(pool)
        .await
        .map_err(StoreError::backend)?;
    Ok(())
}

pub async fn revoke_api_key(pool: &PgPool, partner: PartnerId, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
    let updated =
        sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND partner_id = $2")
            .bind(key.get())
            .bind(partner.get())
            .bind(at.as_microsecond())
            .execute(pool)
            .await
            .map_err(StoreError::backend)?
            .rows_affected();
    if updated == 0 { Err(API_KEY_NOT_FOUND) } else { Ok(()) }
}
