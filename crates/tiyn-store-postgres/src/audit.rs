//! The audit trail on PostgreSQL.
//!
//! Appends go through one task per process ([`appender_loop`]) that takes every record waiting
//! and chains them in one transaction: it locks the one-row head `FOR UPDATE`, then takes as many
//! ids from the sequence, so the batches of every process run one after another and ids grow in
//! the order records are chained (and committed). The MACs are computed here, between the
//! statements of the transaction. The head lock is held through the commit's WAL flush, so one
//! record per transaction would bound every audited action of the platform to one per flush; a
//! batch shares the flush (each caller still waits for its record to be durable).

use jiff::Timestamp;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool, Row};
use tiyn_auth::AuditKey;
use tiyn_core::{PartnerId, UserId};
use tiyn_store::{AuditHead, AuditOutcome, AuditQuery, AuditRecord, NewAuditRecord, StoreError};

use tokio::sync::{mpsc, oneshot};

use crate::rows;
use crate::tx::{TxError, with_retries};

const AUDIT_COLUMNS: &str =
    "id, at, actor_id, partner_id, action, object, source_ip, user_agent, outcome, details, previous_mac, mac";

fn mac(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| StoreError::backend("stored audit MAC is not 32 bytes"))
}

fn record(row: &PgRow) -> Result<AuditRecord, StoreError> {
    let get = |error| StoreError::backend(error);
    let outcome: String = row.try_get(8).map_err(get)?;
    Ok(AuditRecord {
        id: row.try_get(0).map_err(get)?,
        record: NewAuditRecord {
            at: rows::instant(row.try_get(1).map_err(get)?)?,
            actor: row.try_get::<Option<i64>, _>(2).map_err(get)?.map(UserId::new),
            partner: row.try_get::<Option<i64>, _>(3).map_err(get)?.map(PartnerId::new),
            action: row.try_get(4).map_err(get)?,
            object: row.try_get(5).map_err(get)?,
            source_ip: row.try_get(6).map_err(get)?,
            user_agent: row.try_get(7).map_err(get)?,
            outcome: AuditOutcome::parse(&outcome),
            details: row.try_get(9).map_err(get)?,
        },
        previous_mac: mac(row.try_get(10).map_err(get)?)?,
        mac: mac(row.try_get(11).map_err(get)?)?,
    })
}

/// The record exactly as PostgreSQL keeps it, so that the MAC covers what is read back: instants
/// in microseconds, and no NUL characters (a `text` value cannot hold them; a client chooses its
/// user agent).
fn storable(record: NewAuditRecord) -> Result<NewAuditRecord, StoreError> {
    let mut record = record.bounded();
    record.at = rows::instant(record.at.as_microsecond())?;
    let clean = |text: &mut String| {
        if text.contains('\0') {
            *text = text.replace('\0', "\u{FFFD}");
        }
    };
    clean(&mut record.action);
    if let AuditOutcome::Failure(code) = &mut record.outcome {
        clean(code);
    }
    for text in
        [&mut record.object, &mut record.source_ip, &mut record.user_agent, &mut record.details].into_iter().flatten()
    {
        clean(text);
    }
    Ok(record)
}

/// The most records chained in one transaction.
const AUDIT_BATCH_MAX: usize = 256;

/// One record waiting for the appender, and where its result goes.
pub(crate) struct AuditJob {
    record: NewAuditRecord,
    key: AuditKey,
    reply: oneshot::Sender<Result<AuditRecord, StoreError>>,
}

/// Queues a record for the appender and waits until it is chained and committed.
pub async fn append(
    appender: &mpsc::Sender<AuditJob>,
    record: NewAuditRecord,
    key: &AuditKey,
) -> Result<AuditRecord, StoreError> {
    let record = storable(record)?;
    let (reply, answer) = oneshot::channel();
    appender
        .send(AuditJob { record, key: key.clone(), reply })
        .await
        .map_err(|_| StoreError::backend("the audit appender has stopped"))?;
    answer.await.map_err(|_| StoreError::backend("the audit appender dropped a record"))?
}

/// The appender task: every record queued while the previous batch committed goes into the next
/// transaction.
pub(crate) async fn appender_loop(pool: PgPool, mut jobs: mpsc::Receiver<AuditJob>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < AUDIT_BATCH_MAX {
            match jobs.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let result: Result<Vec<AuditRecord>, StoreError> = with_retries!(append_batch(&pool, &batch));
        match result {
            Ok(records) => {
                for (job, record) in batch.into_iter().zip(records) {
                    let _ = job.reply.send(Ok(record)); // the caller may have given up waiting
                }
            }
            Err(error) => {
                tracing::error!(%error, records = batch.len(), "audit batch failed; nothing was written");
                for job in batch {
                    let _ = job.reply.send(Err(StoreError::Backend(error.to_string())));
                }
            }
        }
    }
}

async fn append_batch(pool: &PgPool, jobs: &[AuditJob]) -> Result<Vec<AuditRecord>, TxError> {
    let mut transaction = pool.begin().await?;
    // The head is locked before the sequence is read: ids taken under the lock are larger than
    // every id chained before, and are given to the records in order.
    let head: Vec<u8> = sqlx::query_scalar("SELECT last_mac FROM audit_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut *transaction)
        .await?;
    let count = i64::try_from(jobs.len()).map_err(|_| StoreError::backend("an audit batch too large"))?;
    let mut ids: Vec<i64> = sqlx::query_scalar("SELECT nextval('audit_id_seq') FROM generate_series(1, $1)")
        .bind(count)
        .fetch_all(&mut *transaction)
        .await?;
    ids.sort_unstable();
    let mut previous_mac = mac(head)?;
    let mut records = Vec::with_capacity(jobs.len());
    for (job, id) in jobs.iter().zip(&ids) {
        let mac = job.key.chain(&previous_mac, &job.record.canonical_bytes(*id));
        records.push(AuditRecord { id: *id, record: job.record.clone(), previous_mac, mac });
        previous_mac = mac;
    }
    let column = |get: fn(&AuditRecord) -> Option<String>| records.iter().map(get).collect::<Vec<_>>();
    sqlx::query(
        "WITH appended AS (
             INSERT INTO audit (id, at, actor_id, partner_id, action, object, source_ip, user_agent, outcome,
                                details, previous_mac, mac)
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],
                                  $7::text[], $8::text[], $9::text[], $10::text[], $11::bytea[], $12::bytea[])
         )
         UPDATE audit_head SET last_id = $13, last_mac = $14 WHERE id = 1",
    )
    .bind(&ids)
    .bind(records.iter().map(|r| r.record.at.as_microsecond()).collect::<Vec<_>>())
    .bind(records.iter().map(|r| r.record.actor.map(UserId::get)).collect::<Vec<_>>())
    .bind(records.iter().map(|r| r.record.partner.map(PartnerId::get)).collect::<Vec<_>>())
    .bind(column(|r| Some(r.record.action.clone())))
    .bind(column(|r| r.record.object.clone()))
    .bind(column(|r| r.record.source_ip.clone()))
    .bind(column(|r| r.record.user_agent.clone()))
    .bind(column(|r| Some(r.record.outcome.as_str().to_owned())))
    .bind(column(|r| r.record.details.clone()))
    .bind(records.iter().map(|r| r.previous_mac.to_vec()).collect::<Vec<_>>())
    .bind(records.iter().map(|r| r.mac.to_vec()).collect::<Vec<_>>())
    .bind(ids.last().copied())
    .bind(previous_mac.to_vec())
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(records)
}

fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

pub async fn records(pool: &PgPool, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
    // Only the filters given become conditions, so each query can use its index.
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<i64> = Vec::new();
    let filters = [
        ("partner_id =", query.partner.map(PartnerId::get)),
        ("actor_id =", query.actor.map(UserId::get)),
        ("at >=", query.from.map(|from| from.as_microsecond())),
        ("at <", query.to.map(|to| to.as_microsecond())),
        ("id <", query.before_id),
    ];
    for (condition, value) in filters {
        if let Some(value) = value {
            values.push(value);
            conditions.push(format!("{condition} ${}", values.len()));
        }
    }
    let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    // Splices only the constant columns and conditions above, and parameter numbers.
    let sql = AssertSqlSafe(format!(
        "SELECT {AUDIT_COLUMNS} FROM audit {filter} ORDER BY id DESC LIMIT ${}",
        values.len() + 1
    ));
    let mut statement = sqlx::query(sql);
    for value in values {
        statement = statement.bind(value);
    }
    let rows = statement.bind(limit(query.limit)).fetch_all(pool).await.map_err(StoreError::backend)?;
    rows.iter().map(record).collect()
}

pub async fn chain(pool: &PgPool, after_id: i64, count: usize) -> Result<Vec<AuditRecord>, StoreError> {
    let sql = AssertSqlSafe(format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE id > $1 ORDER BY id LIMIT $2"));
    let rows = sqlx::query(sql).bind(after_id).bind(limit(count)).fetch_all(pool).await.map_err(StoreError::backend)?;
    rows.iter().map(record).collect()
}

pub async fn head(pool: &PgPool) -> Result<AuditHead, StoreError> {
    let row = sqlx::query("SELECT last_id, last_mac, anchor_id, anchor_mac FROM audit_head WHERE id = 1")
        .fetch_one(pool)
        .await
        .map_err(StoreError::backend)?;
    let get = |error| StoreError::backend(error);
    Ok(AuditHead {
        last_id: row.try_get(0).map_err(get)?,
        last_mac: mac(row.try_get(1).map_err(get)?)?,
        anchor_id: row.try_get(2).map_err(get)?,
        anchor_mac: mac(row.try_get(3).map_err(get)?)?,
    })
}

/// Deletes the longest run of records from the start of the chain that are all older than
/// `before` (a younger record stops the purge, even if older ones follow it: the chain keeps no
/// hole), and anchors the head at the last one deleted.
pub async fn purge(pool: &PgPool, before: Timestamp) -> Result<u64, StoreError> {
    with_retries!(purge_once(pool, before))
}

async fn purge_once(pool: &PgPool, before: Timestamp) -> Result<u64, TxError> {
    let mut transaction = pool.begin().await?;
    // Appends wait while the head is locked, so the chain does not grow under the purge.
    sqlx::query("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE").execute(&mut *transaction).await?;
    let last = sqlx::query(
        "SELECT id, mac FROM audit
         WHERE id < COALESCE((SELECT id FROM audit WHERE at >= $1 ORDER BY id LIMIT 1), 9223372036854775807)
         ORDER BY id DESC LIMIT 1",
    )
    .bind(before.as_microsecond())
    .fetch_optional(&mut *transaction)
    .await?;
    let Some(last) = last else { return Ok(0) };
    let last_id: i64 = last.try_get(0)?;
    let last_mac = mac(last.try_get(1)?)?;
    let deleted = sqlx::query("DELETE FROM audit WHERE id <= $1").bind(last_id).execute(&mut *transaction).await?;
    sqlx::query("UPDATE audit_head SET anchor_id = $1, anchor_mac = $2 WHERE id = 1")
        .bind(last_id)
        .bind(last_mac.to_vec())
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(deleted.rows_affected())
}
