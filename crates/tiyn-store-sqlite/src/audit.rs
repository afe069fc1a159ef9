//! The audit trail on SQLite: appends chained under the head row, each in a savepoint
//! inside the writer's IMMEDIATE transaction, so records are chained in commit order even with a
//! second process (whose writer waits for the file's write lock at its own `BEGIN IMMEDIATE`).

use crate::Cached;
use jiff::Timestamp;
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params, params_from_iter};
use tiyn_auth::AuditKey;
use tiyn_core::{PartnerId, UserId};
use tiyn_store::{AuditHead, AuditOutcome, AuditQuery, AuditRecord, NewAuditRecord, StoreError};

const AUDIT_COLUMNS: &str =
    "id, at, actor_id, partner_id, action, object, source_ip, user_agent, outcome, details, previous_mac, mac";

fn stored(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored audit {what} does not parse: {error}"))
}

fn mac(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| stored("MAC", "not 32 bytes"))
}

/// The columns of a stored record, in [`AUDIT_COLUMNS`] order.
struct AuditRow {
    id: i64,
    at: i64,
    actor_id: Option<i64>,
    partner_id: Option<i64>,
    action: String,
    object: Option<String>,
    source_ip: Option<String>,
    user_agent: Option<String>,
    outcome: String,
    details: Option<String>,
    previous_mac: Vec<u8>,
    mac: Vec<u8>,
}

fn audit_row(row: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: row.get(0)?,
        at: row.get(1)?,
        actor_id: row.get(2)?,
        partner_id: row.get(3)?,
        action: row.get(4)?,
        object: row.get(5)?,
        source_ip: row.get(6)?,
        user_agent: row.get(7)?,
        outcome: row.get(8)?,
        details: row.get(9)?,
        previous_mac: row.get(10)?,
        mac: row.get(11)?,
    })
}

impl AuditRow {
    fn into_record(self) -> Result<AuditRecord, StoreError> {
        Ok(AuditRecord {
            id: self.id,
            record: NewAuditRecord {
                at: Timestamp::from_microsecond(self.at).map_err(|error| stored("instant", error))?,
                actor: self.actor_id.map(UserId::new),
                partner: self.partner_id.map(PartnerId::new),
                action: self.action,
                object: self.object,
                source_ip: self.source_ip,
                user_agent: self.user_agent,
                outcome: AuditOutcome::parse(&self.outcome),
                details: self.details,
            },
            previous_mac: mac(self.previous_mac)?,
            mac: mac(self.mac)?,
        })
    }
}

fn select(connection: &Connection, sql: &str, values: Vec<Value>) -> Result<Vec<AuditRecord>, StoreError> {
    let mut statement = connection.prepare(sql).map_err(StoreError::backend)?;
    let rows = statement.query_map(params_from_iter(values), audit_row).map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?.into_record()).collect()
}

pub fn head(connection: &Connection) -> Result<AuditHead, StoreError> {
    let (last_id, last_mac, anchor_id, anchor_mac) = connection
        .query_row_cached("SELECT last_id, last_mac, anchor_id, anchor_mac FROM audit_head WHERE id = 1", [], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?, row.get::<_, i64>(2)?, row.get::<_, Vec<u8>>(3)?))
        })
        .map_err(StoreError::backend)?;
    Ok(AuditHead { last_id, last_mac: mac(last_mac)?, anchor_id, anchor_mac: mac(anchor_mac)? })
}

/// Reads the head, takes the next id (ids are never reused, even after a purge of every record),
/// computes the MAC over exactly what is stored, inserts the record and moves the head.
pub fn append(connection: &mut Connection, record: NewAuditRecord, key: &AuditKey) -> Result<AuditRecord, StoreError> {
    let record = record.bounded();
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let head = head(&savepoint)?;
    let id = head.last_id.checked_add(1).ok_or_else(|| StoreError::backend("audit ids exhausted"))?;
    let record_mac = key.chain(&head.last_mac, &record.canonical_bytes(id));
    savepoint
        .execute_cached(
            "INSERT INTO audit (id, at, actor_id, partner_id, action, object, source_ip, user_agent, outcome, details,
                                previous_mac, mac)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                id,
                record.at.as_microsecond(),
                record.actor.map(UserId::get),
                record.partner.map(PartnerId::get),
                record.action,
                record.object,
                record.source_ip,
                record.user_agent,
                record.outcome.as_str(),
                record.details,
                head.last_mac.as_slice(),
                record_mac.as_slice()
            ],
        )
        .map_err(StoreError::backend)?;
    savepoint
        .execute_cached(
            "UPDATE audit_head SET last_id = ?1, last_mac = ?2 WHERE id = 1",
            params![id, record_mac.as_slice()],
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(AuditRecord { id, record, previous_mac: head.last_mac, mac: record_mac })
}

fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

pub fn records(connection: &Connection, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
    // Only the filters asked for, so SQLite can use the (partner_id, id) and (actor_id, id) indexes.
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    let mut condition = |sql: &str, value: i64| {
        values.push(Value::Integer(value));
        conditions.push(format!("{sql} ?{}", values.len()));
    };
    if let Some(partner) = query.partner {
        condition("partner_id =", partner.get());
    }
    if let Some(actor) = query.actor {
        condition("actor_id =", actor.get());
    }
    if let Some(from) = query.from {
        condition("at >=", from.as_microsecond());
    }
    if let Some(to) = query.to {
        condition("at <", to.as_microsecond());
    }
    if let Some(before) = query.before_id {
        condition("id <", before);
    }
    let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    values.push(Value::Integer(limit(query.limit)));
    let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit {filter} ORDER BY id DESC LIMIT ?{}", values.len());
    select(connection, &sql, values)
}

pub fn chain(connection: &Connection, after_id: i64, count: usize) -> Result<Vec<AuditRecord>, StoreError> {
    let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2");
    select(connection, &sql, vec![Value::Integer(after_id), Value::Integer(limit(count))])
}

/// Deletes the records before the first one (in chain order) that is not older than `before`, so
/// the chain only ever loses its start, and anchors the head at the last deleted record.
pub fn purge(connection: &mut Connection, before: Timestamp) -> Result<u64, StoreError> {
    use rusqlite::OptionalExtension;
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let kept: Option<i64> = savepoint
        .query_row_cached("SELECT id FROM audit WHERE at >= ?1 ORDER BY id LIMIT 1", [before.as_microsecond()], |row| {
            row.get(0)
        })
        .optional()
        .map_err(StoreError::backend)?;
    let last_deleted: Option<(i64, Vec<u8>)> = savepoint
        .query_row_cached(
            "SELECT id, mac FROM audit WHERE ?1 IS NULL OR id < ?1 ORDER BY id DESC LIMIT 1",
            [kept],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(StoreError::backend)?;
    let Some((anchor_id, anchor_mac)) = last_deleted else { return Ok(0) };
    let deleted =
        savepoint.execute_cached("DELETE FROM audit WHERE id <= ?1", [anchor_id]).map_err(StoreError::backend)?;
    savepoint
        .execute_cached(
            "UPDATE audit_head SET anchor_id = ?1, anchor_mac = ?2 WHERE id = 1",
            params![anchor_id, anchor_mac],
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(deleted as u64)
}
