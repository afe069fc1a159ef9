//! Payment documents on PostgreSQL, safe with several server processes on one database.
//!
//! Locks, always in this order: the partner's row (`FOR NO KEY UPDATE`: it does not block inserts
//! referring to the partner), then documents `FOR UPDATE` in ascending id order, then the ledger's
//! accounts in ascending id order.
//!
//! - Creating a draft takes its number from the partner's counter in a short transaction of its
//!   own; a repeated request key is found before, or caught by the unique index.
//! - Sending for confirmation locks its documents before checking them.
//! - A confirmation under a daily limit locks the partner (confirmations of one partner run one
//!   after another, so each counts the day's usage with the ones committed before it), uses the
//!   challenge, locks its documents, then every account its commands touch, and runs each document's command
//!   through [`ledger::decide_and_write`] in the same transaction, so a document's status and its
//!   money commit together.
//!
//! Under READ COMMITTED each statement sees what was committed when it started; every read that
//! must see the work of a transaction this one waited for is therefore its own statement, issued
//! after the lock. Deadlocks and serialization failures run the whole transaction again
//! ([`with_retries`]).

use std::collections::HashMap;

use jiff::Timestamp;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, PgPool, Row};
use tiyn_core::{PartnerId, UserId};
use tiyn_ledger::Needs;
use tiyn_payments::limits::{LimitScope, Usage};
use tiyn_payments::{DocumentId, Status};
use tiyn_store::StoreError;
use tiyn_store::payments::{
    self, ConfirmPayments, Confirmer, Drafts, DueExecution, Execution, KEYED_PAYMENTS_MAX, KeyedPayment, NewPayment,
    NewSigning, OutboxItem, OutboxSource, PAYMENT_COLUMNS, PaymentEdit, PaymentOutcome, PaymentQuery, PaymentRecord,
    PaymentRow, REQUISITE_COLUMNS, RequisiteColumns, Settlement, SigningMember, SigningRecord, conflicts,
};

use crate::ledger;
use crate::tx::{TxError, missing_or_sql, unique_or_sql, with_retries};

// Every `AssertSqlSafe` below splices only the constant column lists of `tiyn_store::payments`.

const PAYMENT_NOT_FOUND: StoreError = StoreError::NotFound { what: "payment" };
/// What a foreign key of a new or edited draft names that does not exist.
const REFERENCED: &str = "an account or user of the payment";

fn payment_row(row: &PgRow) -> Result<PaymentRow, sqlx::Error> {
    Ok(PaymentRow {
        id: row.try_get(0)?,
        partner_id: row.try_get(1)?,
        number: row.try_get(2)?,
        status: row.try_get(3)?,
        version: i64::from(row.try_get::<i32, _>(4)?),
        kind: row.try_get(5)?,
        payer_account_id: row.try_get(6)?,
        currency: row.try_get(7)?,
        amount: row.try_get(8)?,
        knp: row.try_get(9)?,
        purpose: row.try_get(10)?,
        value_date: row.try_get(11)?,
        payee_account_id: row.try_get(12)?,
        payee_name: row.try_get(13)?,
        payee_bin: row.try_get(14)?,
        payee_iban: row.try_get(15)?,
        payee_bic: row.try_get(16)?,
        kbe: row.try_get(17)?,
        kbk: row.try_get(18)?,
        created_by: row.try_get(19)?,
        created_at: row.try_get(20)?,
        edited_by: row.try_get(21)?,
        edited_at: row.try_get(22)?,
        submitted_by: row.try_get(23)?,
        submitted_at: row.try_get(24)?,
        content_digest: row.try_get(25)?,
        challenge_id: row.try_get(26)?,
        confirmed_by: row.try_get(27)?,
        confirmed_at: row.try_get(28)?,
        session_id: row.try_get(29)?,
        channel: row.try_get(30)?,
        batch_digest: row.try_get(31)?,
        business_date: row.try_get(32)?,
        commission: row.try_get(33)?,
        entry_id: row.try_get(34)?,
        hold_id: row.try_get(35)?,
        message_id: row.try_get(36)?,
        executed_at: row.try_get(37)?,
        sent_at: row.try_get(38)?,
        settled_at: row.try_get(39)?,
        refusal_code: row.try_get(40)?,
        refusal_reason: row.try_get(41)?,
        refused_at: row.try_get(42)?,
        foreign_fields: row.try_get(43)?,
        commission_currency: row.try_get(44)?,
    })
}

fn record(row: &PgRow) -> Result<PaymentRecord, StoreError> {
    payment_row(row).map_err(StoreError::backend)?.into_record()
}

fn version(version: u32) -> Result<i32, StoreError> {
    i32::try_from(version).map_err(|_| StoreError::Invalid("a document version fits 31 bits"))
}

pub async fn get(pool: &PgPool, partner: PartnerId, id: DocumentId) -> Result<Option<PaymentRecord>, StoreError> {
    let sql =
        AssertSqlSafe(format!("SELECT {PAYMENT_COLUMNS} FROM payment_documents WHERE id = $1 AND partner_id = $2"));
    let row =
        sqlx::query(sql).bind(id.get()).bind(partner.get()).fetch_optional(pool).await.map_err(StoreError::backend)?;
    row.as_ref().map(record).transpose()
}

/// The partner's drafts under request keys starting with `prefix`. `starts_with` compares
/// characters whatever the database's collation (a range would follow the collation's order).
pub async fn by_request_key_prefix(
    pool: &PgPool,
    partner: PartnerId,
    prefix: &str,
) -> Result<Vec<KeyedPayment>, StoreError> {
    if prefix.is_empty() {
        return Ok(Vec::new());
    }
    let sql = AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS}, request_digest FROM payment_documents
         WHERE partner_id = $1 AND request_key IS NOT NULL AND starts_with(request_key, $2)
         ORDER BY number LIMIT {KEYED_PAYMENTS_MAX}"
    ));
    let rows = sqlx::query(sql).bind(partner.get()).bind(prefix).fetch_all(pool).await.map_err(StoreError::backend)?;
    let digest_at = PAYMENT_COLUMNS.split(',').count();
    rows.iter()
        .map(|row| {
            let digest: Vec<u8> = row.try_get(digest_at).map_err(StoreError::backend)?;
            let request_digest =
                digest.try_into().map_err(|_| StoreError::backend("a request digest of another length"))?;
            Ok(KeyedPayment { record: record(row)?, request_digest })
        })
        .collect()
}

pub async fn list(pool: &PgPool, partner: PartnerId, query: &PaymentQuery) -> Result<Vec<PaymentRecord>, StoreError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payment_documents
         WHERE partner_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR value_date >= $3)
           AND ($4::text IS NULL OR value_date <= $4) AND ($5::bigint IS NULL OR id < $5)
         ORDER BY id DESC LIMIT $6"
    ));
    let limit = i64::try_from(query.limit.min(payments::PAYMENTS_PAGE_MAX)).map_err(StoreError::backend)?;
    let rows = sqlx::query(sql)
        .bind(partner.get())
        .bind(query.status.map(Status::as_str))
        .bind(query.from.map(|date| date.to_string()))
        .bind(query.to.map(|date| date.to_string()))
        .bind(query.before.map(DocumentId::get))
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::backend)?;
    rows.iter().map(record).collect()
}

/// Locks the partner's row until the transaction ends; `NotFound` for an unknown partner.
async fn lock_partner(connection: &mut PgConnection, partner: PartnerId) -> Result<(), TxError> {
    sqlx::query_scalar::<_, i64>("SELECT id FROM partners WHERE id = $1 FOR NO KEY UPDATE")
        .bind(partner.get())
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(StoreError::NotFound { what: "partner" })?;
    Ok(())
}

pub async fn create(pool: &PgPool, payment: &NewPayment) -> Result<PaymentRecord, StoreError> {
    let columns = RequisiteColumns::of(&payment.fields, payment.amount, payment.value_date)?;
    with_retries!(create_once(pool, payment, &columns))
}

/// No lock on the partner: the number comes from the counter in a transaction of its own, and a
/// repeated `Idempotency-Key` is found before, or caught by the unique index when two requests
/// with it race.
async fn create_once(
    pool: &PgPool,
    payment: &NewPayment,
    columns: &RequisiteColumns,
) -> Result<PaymentRecord, TxError> {
    if let Some(earlier) = earlier_request(pool, payment).await? {
        return Ok(earlier);
    }
    let number = take_numbers(pool, payment.partner, 1).await?;
    let mut transaction = pool.begin().await?;
    match insert_draft(&mut transaction, payment, columns, number).await {
        Err(TxError::Store(StoreError::AlreadyExists { .. })) => {
            drop(transaction);
            // Another request with the same key committed first: answer as its repeat.
            earlier_request(pool, payment).await?.ok_or_else(|| StoreError::backend("a request key vanished").into())
        }
        Err(error) => Err(error),
        Ok(created) => {
            transaction.commit().await?;
            Ok(created)
        }
    }
}

/// Several drafts of one partner in one transaction, numbered in order (an import: all or none).
pub async fn create_many(pool: &PgPool, payments: &[NewPayment]) -> Result<Drafts, StoreError> {
    let Some(first) = payments.first() else { return Ok(Drafts { records: Vec::new(), replayed: false }) };
    if payments.iter().any(|payment| payment.partner != first.partner) {
        return Err(StoreError::Invalid("the drafts of one batch belong to one partner"));
    }
    let columns = payments
        .iter()
        .map(|payment| RequisiteColumns::of(&payment.fields, payment.amount, payment.value_date))
        .collect::<Result<Vec<_>, _>>()?;
    with_retries!(create_many_once(pool, payments, &columns))
}

async fn create_many_once(
    pool: &PgPool,
    payments: &[NewPayment],
    columns: &[RequisiteColumns],
) -> Result<Drafts, TxError> {
    let count = i64::try_from(payments.len()).map_err(|_| StoreError::Invalid("too many drafts"))?;
    let last = take_numbers(pool, payments[0].partner, count).await?;
    let mut transaction = pool.begin().await?;
    let mut created = Vec::with_capacity(payments.len());
    for ((payment, columns), number) in payments.iter().zip(columns).zip(last - count + 1..) {
        match insert_draft(&mut transaction, payment, columns, number).await {
            Ok(draft) => created.push(draft),
            Err(TxError::Store(StoreError::AlreadyExists { .. })) => {
                drop(transaction);
                // The same keyed batch (an import repeated) committed first: answer its drafts,
                // or the conflict of a draft whose request differed.
                let mut earlier = Vec::with_capacity(payments.len());
                for payment in payments {
                    earlier.push(
                        earlier_request(pool, payment)
                            .await?
                            .ok_or(StoreError::Conflict(conflicts::IDEMPOTENCY_CONFLICT))?,
                    );
                }
                return Ok(Drafts { records: earlier, replayed: true });
            }
            Err(error) => return Err(error),
        }
    }
    transaction.commit().await?;
    Ok(Drafts { records: created, replayed: false })
}

/// Takes `count` numbers from the partner's counter (migration 0014) in a transaction of its own
/// and answers the last. The transaction commits without waiting for its WAL flush: the draft's
/// own (synchronous) commit comes later in the WAL and flushes it too, and if the server stops
/// before, the number was not used by any committed draft. So drafts of one partner hold the
/// counter's row for a moment instead of through a flush.
async fn take_numbers(pool: &PgPool, partner: PartnerId, count: i64) -> Result<i64, TxError> {
    let mut transaction = pool.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *transaction).await?;
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO payment_numbers (partner_id, last_number) VALUES ($1, $2)
         ON CONFLICT (partner_id) DO UPDATE SET last_number = payment_numbers.last_number + EXCLUDED.last_number
         RETURNING last_number",
    )
    .bind(partner.get())
    .bind(count)
    .fetch_one(&mut *transaction)
    .await
    .map_err(|error| missing_or_sql(error, "partner"))?;
    transaction.commit().await?;
    Ok(last)
}

/// The draft an earlier request with the same key created; `IDEMPOTENCY_CONFLICT` when its
/// content differed.
async fn earlier_request(pool: &PgPool, payment: &NewPayment) -> Result<Option<PaymentRecord>, TxError> {
    let Some(request) = &payment.request_key else { return Ok(None) };
    let sql = AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS}, request_digest FROM payment_documents WHERE partner_id = $1 AND request_key = $2"
    ));
    let Some(row) = sqlx::query(sql).bind(payment.partner.get()).bind(&request.key).fetch_optional(pool).await? else {
        return Ok(None);
    };
    let digest: Vec<u8> = row.try_get(PAYMENT_COLUMNS.split(',').count())?;
    if digest != request.digest {
        return Err(StoreError::Conflict(conflicts::IDEMPOTENCY_CONFLICT).into());
    }
    Ok(Some(record(&row)?))
}

/// Inserts one draft with its number; a request key already used is `AlreadyExists`.
async fn insert_draft(
    transaction: &mut PgConnection,
    payment: &NewPayment,
    columns: &RequisiteColumns,
    number: i64,
) -> Result<PaymentRecord, TxError> {
    let sql = AssertSqlSafe(format!(
        "INSERT INTO payment_documents (partner_id, number, status, version, {REQUISITE_COLUMNS},
             created_by, created_at, edited_by, edited_at, request_key, request_digest)
         VALUES ($1, $2, 'draft', 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $21,
             $17, $18, $17, $18, $19, $20)
         RETURNING {PAYMENT_COLUMNS}"
    ));
    let row = sqlx::query(sql)
        .bind(payment.partner.get())
        .bind(number)
        .bind(&columns.kind)
        .bind(columns.payer_account_id)
        .bind(&columns.currency)
        .bind(columns.amount)
        .bind(&columns.knp)
        .bind(&columns.purpose)
        .bind(&columns.value_date)
        .bind(columns.payee_account_id)
        .bind(&columns.payee_name)
        .bind(&columns.payee_bin)
        .bind(&columns.payee_iban)
        .bind(&columns.payee_bic)
        .bind(&columns.kbe)
        .bind(&columns.kbk)
        .bind(payment.created_by.get())
        .bind(payment.created_at.as_microsecond())
        .bind(payment.request_key.as_ref().map(|request| request.key.as_str()))
        .bind(payment.request_key.as_ref().map(|request| request.digest.to_vec()))
        .bind(&columns.foreign_fields)
        .fetch_one(&mut *transaction)
        .await
        .map_err(|error| match missing_or_sql(error, REFERENCED) {
            TxError::Sql(error) => unique_or_sql(error, "payment request"),
            other => other,
        })?;
    Ok(record(&row)?)
}

/// Why a document could not be edited or deleted: `NotFound` for another partner's or an unknown
/// id, `NOT_EDITABLE` when it exists in a status past awaiting confirmation.
async fn not_open(pool: &PgPool, partner: PartnerId, id: DocumentId) -> StoreError {
    let exists = sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM payment_documents WHERE id = $1 AND partner_id = $2)",
    )
    .bind(id.get())
    .bind(partner.get())
    .fetch_one(pool)
    .await;
    match exists {
        Ok(true) => StoreError::Conflict(conflicts::NOT_EDITABLE),
        Ok(false) => PAYMENT_NOT_FOUND,
        Err(error) => StoreError::backend(error),
    }
}

/// One statement: it changes the document only while it is open (a confirmation that locked it
/// first is waited for, and the status is checked again on the row it committed).
pub async fn edit(pool: &PgPool, edit: &PaymentEdit) -> Result<PaymentRecord, StoreError> {
    let columns = RequisiteColumns::of(&edit.fields, edit.amount, edit.value_date)?;
    let sql = AssertSqlSafe(format!(
        "UPDATE payment_documents SET status = 'draft', version = version + 1, kind = $3,
             payer_account_id = $4, currency = $5, amount = $6, knp = $7, purpose = $8, value_date = $9,
             payee_account_id = $10, payee_name = $11, payee_bin = $12, payee_iban = $13, payee_bic = $14,
             kbe = $15, kbk = $16, edited_by = $17, edited_at = $18, foreign_fields = $19,
             submitted_by = NULL, submitted_at = NULL, content_digest = NULL
         WHERE id = $1 AND partner_id = $2 AND status IN ('draft', 'awaiting_confirmation')
         RETURNING {PAYMENT_COLUMNS}"
    ));
    let row = sqlx::query(sql)
        .bind(edit.id.get())
        .bind(edit.partner.get())
        .bind(&columns.kind)
        .bind(columns.payer_account_id)
        .bind(&columns.currency)
        .bind(columns.amount)
        .bind(&columns.knp)
        .bind(&columns.purpose)
        .bind(&columns.value_date)
        .bind(columns.payee_account_id)
        .bind(&columns.payee_name)
        .bind(&columns.payee_bin)
        .bind(&columns.payee_iban)
        .bind(&columns.payee_bic)
        .bind(&columns.kbe)
        .bind(&columns.kbk)
        .bind(edit.edited_by.get())
        .bind(edit.edited_at.as_microsecond())
        .bind(&columns.foreign_fields)
        .fetch_optional(pool)
        .await
        .map_err(|error| match missing_or_sql(error, REFERENCED) {
            TxError::Store(error) => error,
            TxError::Sql(error) => StoreError::backend(error),
        })?;
    match row {
        Some(row) => record(&row),
        None => Err(not_open(pool, edit.partner, edit.id).await),
    }
}

pub async fn delete(pool: &PgPool, partner: PartnerId, id: DocumentId) -> Result<(), StoreError> {
    let deleted = sqlx::query(
        "DELETE FROM payment_documents
         WHERE id = $1 AND partner_id = $2 AND status IN ('draft', 'awaiting_confirmation')",
    )
    .bind(id.get())
    .bind(partner.get())
    .execute(pool)
    .await
    .map_err(StoreError::backend)?
    .rows_affected();
    if deleted == 0 { Err(not_open(pool, partner, id).await) } else { Ok(()) }
}

/// A locked document's status, version and content digest.
type DocumentState = (Status, u32, Option<[u8; 32]>);

/// Locks the partner's documents `FOR UPDATE` in ascending id order and answers their states;
/// another partner's and unknown ids are missing from the map.
async fn lock_documents(
    connection: &mut PgConnection,
    partner: PartnerId,
    documents: impl Iterator<Item = DocumentId>,
) -> Result<HashMap<DocumentId, DocumentState>, TxError> {
    let mut ids: Vec<i64> = documents.map(DocumentId::get).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = sqlx::query(
        "SELECT id, status, version, content_digest FROM payment_documents
         WHERE partner_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE",
    )
    .bind(partner.get())
    .bind(&ids)
    .fetch_all(&mut *connection)
    .await?;
    let mut states = HashMap::with_capacity(rows.len());
    for row in &rows {
        let status: String = row.try_get(1)?;
        let status =
            Status::parse(&status).ok_or_else(|| StoreError::backend(format!("stored payment status {status:?}")))?;
        let version = u32::try_from(row.try_get::<i32, _>(2)?).map_err(StoreError::backend)?;
        let digest = row.try_get::<Option<Vec<u8>>, _>(3)?.map(digest32).transpose()?;
        states.insert(DocumentId::new(row.try_get(0)?), (status, version, digest));
    }
    Ok(states)
}

fn digest32(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes.try_into().map_err(|_| StoreError::backend("a stored digest is not 32 bytes"))
}

pub async fn open_signing(pool: &PgPool, signing: &NewSigning) -> Result<(), StoreError> {
    with_retries!(open_signing_once(pool, signing))
}

async fn open_signing_once(pool: &PgPool, signing: &NewSigning) -> Result<(), TxError> {
    let mut transaction = pool.begin().await?;
    sqlx::query(
        "INSERT INTO signings (challenge_id, partner_id, user_id, batch_digest, created_at, expires_at, channel)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&signing.challenge)
    .bind(signing.partner.get())
    .bind(signing.user.get())
    .bind(signing.batch_digest.to_vec())
    .bind(signing.created_at.as_microsecond())
    .bind(signing.expires_at.as_microsecond())
    .bind(signing.channel.as_str())
    .execute(&mut *transaction)
    .await
    .map_err(|error| unique_or_sql(error, "a signing with this challenge"))?;
    let states = lock_documents(&mut transaction, signing.partner, signing.members.iter().map(|m| m.document)).await?;
    let (mut documents, mut versions, mut digests, mut positions) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (position, member) in signing.members.iter().enumerate() {
        let (status, stored_version, _) = states.get(&member.document).ok_or(PAYMENT_NOT_FOUND)?;
        if !payments::is_open(*status) {
            return Err(StoreError::Conflict(conflicts::NOT_SIGNABLE).into());
        }
        if *stored_version != member.version {
            return Err(StoreError::Conflict(conflicts::DOCUMENT_CHANGED).into());
        }
        documents.push(member.document.get());
        versions.push(version(member.version)?);
        digests.push(member.content_digest.to_vec());
        positions.push(i32::try_from(position).map_err(StoreError::backend)?);
    }
    sqlx::query(
        "WITH submitted AS (
             UPDATE payment_documents SET status = 'awaiting_confirmation', submitted_by = $2, submitted_at = $3,
                    content_digest = m.content_digest
             FROM UNNEST($4::bigint[], $5::bytea[]) AS m (id, content_digest)
             WHERE payment_documents.id = m.id
         )
         INSERT INTO signing_members (challenge_id, position, document_id, version, content_digest)
         SELECT $1, m.position, m.id, m.version, m.content_digest
         FROM UNNEST($6::integer[], $4::bigint[], $7::integer[], $5::bytea[]) AS m (position, id, version, content_digest)",
    )
    .bind(&signing.challenge)
    .bind(signing.user.get())
    .bind(signing.created_at.as_microsecond())
    .bind(&documents)
    .bind(&digests)
    .bind(&positions)
    .bind(&versions)
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}

pub async fn signing(pool: &PgPool, partner: PartnerId, challenge: &str) -> Result<Option<SigningRecord>, StoreError> {
    let head = sqlx::query(
        "SELECT user_id, batch_digest, created_at, expires_at, used_at, channel FROM signings
         WHERE challenge_id = $1 AND partner_id = $2",
    )
    .bind(challenge)
    .bind(partner.get())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::backend)?;
    let Some(head) = head else { return Ok(None) };
    let rows = sqlx::query(
        "SELECT document_id, version, content_digest FROM signing_members WHERE challenge_id = $1 ORDER BY position",
    )
    .bind(challenge)
    .fetch_all(pool)
    .await
    .map_err(StoreError::backend)?;
    let get = |error: sqlx::Error| StoreError::backend(error);
    let members = rows
        .iter()
        .map(|row| {
            Ok(SigningMember {
                document: DocumentId::new(row.try_get(0).map_err(get)?),
                version: u32::try_from(row.try_get::<i32, _>(1).map_err(get)?).map_err(StoreError::backend)?,
                content_digest: digest32(row.try_get(2).map_err(get)?)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let instant = |micros: i64| Timestamp::from_microsecond(micros).map_err(StoreError::backend);
    let channel: String = head.try_get(5).map_err(get)?;
    Ok(Some(SigningRecord {
        challenge: challenge.to_owned(),
        channel: tiyn_payments::ConfirmationChannel::parse(&channel)
            .ok_or_else(|| StoreError::backend(format!("stored signing channel {channel:?}")))?,
        partner,
        user: UserId::new(head.try_get(0).map_err(get)?),
        members,
        batch_digest: digest32(head.try_get(1).map_err(get)?)?,
        created_at: instant(head.try_get(2).map_err(get)?)?,
        expires_at: instant(head.try_get(3).map_err(get)?)?,
        used_at: head.try_get::<Option<i64>, _>(4).map_err(get)?.map(instant).transpose()?,
    }))
}

/// The day's usage: documents confirmed on the business date and not refused, per kind and
/// currency, for the partner and for the confirming user, from the counters the trigger of
/// migration 0011 keeps. Call with the partner locked.
async fn usage(connection: &mut PgConnection, request: &ConfirmPayments) -> Result<Usage, TxError> {
    if !request.limits.counts_days() {
        return Ok(Usage::new());
    }
    let rows = sqlx::query(
        "SELECT NULL::bigint, kind, currency, amount, count FROM payment_usage_partner
         WHERE partner_id = $1 AND business_date = $2 AND count > 0
         UNION ALL
         SELECT user_id, kind, currency, amount, count FROM payment_usage_user
         WHERE partner_id = $1 AND user_id = $3 AND business_date = $2 AND count > 0",
    )
    .bind(request.partner.get())
    .bind(request.business_date.to_string())
    .bind(request.confirmed_by.get())
    .fetch_all(&mut *connection)
    .await?;
    let mut usage = Usage::new();
    for row in &rows {
        let scope = match row.try_get::<Option<i64>, _>(0)? {
            None => LimitScope::Partner(request.partner),
            Some(_) => LimitScope::User(request.confirmed_by),
        };
        let (kind, currency): (String, String) = (row.try_get(1)?, row.try_get(2)?);
        payments::add_usage(&mut usage, scope, &kind, &currency, row.try_get(3)?, row.try_get(4)?)?;
    }
    Ok(usage)
}

pub async fn confirm(pool: &PgPool, request: &ConfirmPayments) -> Result<Vec<PaymentOutcome>, StoreError> {
    with_retries!(confirm_once(pool, request))
}

async fn confirm_once(pool: &PgPool, request: &ConfirmPayments) -> Result<Vec<PaymentOutcome>, TxError> {
    let mut transaction = pool.begin().await?;
    // Only a daily limit needs the confirmations of one partner one after another (each counts
    // the day's usage with the ones committed before it); without one they run side by side.
    if request.limits.counts_days() {
        // An unknown partner has no signing either: the challenge cannot be used.
        match lock_partner(&mut transaction, request.partner).await {
            Err(TxError::Store(StoreError::NotFound { .. })) => {
                return Err(StoreError::Conflict(conflicts::CHALLENGE_USED).into());
            }
            other => other?,
        }
    }
    let used = sqlx::query(
        "UPDATE signings SET used_at = $3
             WHERE challenge_id = $1 AND partner_id = $2 AND used_at IS NULL AND user_id = $4 AND batch_digest = $5",
    )
    .bind(&request.challenge)
    .bind(request.partner.get())
    .bind(request.confirmed_at.as_microsecond())
    .bind(request.confirmed_by.get())
    .bind(request.batch_digest.to_vec())
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    if used == 0 {
        return Err(StoreError::Conflict(conflicts::CHALLENGE_USED).into());
    }
    let members = sqlx::query(
        "SELECT document_id, version, content_digest FROM signing_members WHERE challenge_id = $1 ORDER BY position",
    )
    .bind(&request.challenge)
    .fetch_all(&mut *transaction)
    .await?
    .iter()
    .map(|row| {
        Ok(SigningMember {
            document: DocumentId::new(row.try_get(0)?),
            version: u32::try_from(row.try_get::<i32, _>(1)?)
                .map_err(|error| sqlx::Error::Protocol(error.to_string()))?,
            content_digest: row
                .try_get::<Vec<u8>, _>(2)?
                .try_into()
                .map_err(|_| sqlx::Error::Protocol("a stored digest is not 32 bytes".into()))?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    payments::check_signing_members(&members, request)?;
    let documents = request.documents.iter().map(|planned| planned.member.document);
    let states = lock_documents(&mut transaction, request.partner, documents).await?;
    for planned in &request.documents {
        let (status, version, digest) = states.get(&planned.member.document).ok_or(PAYMENT_NOT_FOUND)?;
        payments::check_member(&planned.member, *status, *version, *digest)?;
    }
    // Every account the batch's commands may touch, in ascending id order, before the first
    // command: each command then finds its accounts already locked, and the batch takes them in
    // the one order every process uses instead of command by command.
    let commands: Vec<_> = request
        .documents
        .iter()
        .filter_map(|planned| match &planned.execution {
            Execution::Post(command) | Execution::Hold { command, .. } => Some(command),
            Execution::Later | Execution::Refuse(_) => None,
        })
        .collect();
    if !commands.is_empty() {
        let needs = Needs::of(commands.iter().map(|command| &command.action));
        let accounts: Vec<i64> = needs.accounts.iter().map(|account| account.get()).collect();
        sqlx::query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(&accounts)
            .execute(&mut *transaction)
            .await?;
    }
    let mut confirmer = Confirmer::new(request, usage(&mut transaction, request).await?);
    let mut outcomes = Vec::with_capacity(request.documents.len());
    for planned in &request.documents {
        let outcome = match confirmer.admit(planned) {
            Some(refusal) => PaymentOutcome::Refused(refusal),
            None => {
                let restricted = match &planned.execution {
                    Execution::Post(command) | Execution::Hold { command, .. } => {
                        let (restrictions, balance, held) =
                            crate::rules::payer_state(&mut transaction, planned.payer).await?;
                        payments::restriction_refusal(
                            planned.kind,
                            command,
                            planned.payer,
                            &restrictions,
                            balance,
                            held,
                            request.confirmed_at,
                        )
                    }
                    Execution::Later | Execution::Refuse(_) => None,
                };
                let ledger = match &planned.execution {
                    _ if restricted.is_some() => None,
                    Execution::Post(command) | Execution::Hold { command, .. } => {
                        let mut results =
                            ledger::decide_and_write(&mut transaction, std::slice::from_ref(command)).await?;
                        let result = results.pop().ok_or_else(|| StoreError::backend("the ledger answered nothing"))?;
                        Some(match result {
                            Ok(executed) => Ok(executed.receipt),
                            Err(StoreError::Ledger(refusal)) => Err(refusal),
                            Err(other) => return Err(other.into()),
                        })
                    }
                    Execution::Later | Execution::Refuse(_) => None,
                };
                match restricted {
                    Some(refusal) => PaymentOutcome::Refused(refusal),
                    None => confirmer.settle(planned, ledger)?,
                }
            }
        };
        outcomes.push(outcome);
    }
    record_outcomes(&mut transaction, request, &outcomes).await?;
    let sent: Vec<(String, i64)> = request
        .documents
        .iter()
        .zip(&outcomes)
        .filter_map(|(planned, outcome)| match outcome {
            PaymentOutcome::Sent { message_id, .. } => Some((message_id.clone(), planned.member.document.get())),
            _ => None,
        })
        .collect();
    if !sent.is_empty() {
        let (messages, documents): (Vec<String>, Vec<i64>) = sent.into_iter().unzip();
        sqlx::query(
            "INSERT INTO gateway_outbox (message_id, document_id, partner_id, created_at, next_attempt_at)
             SELECT message, document, $3, $4, $4 FROM UNNEST($1::text[], $2::bigint[]) AS o (message, document)",
        )
        .bind(&messages)
        .bind(&documents)
        .bind(request.partner.get())
        .bind(request.confirmed_at.as_microsecond())
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    Ok(outcomes)
}

/// Writes every document's outcome and the confirmation's evidence, in one statement.
async fn record_outcomes(
    connection: &mut PgConnection,
    request: &ConfirmPayments,
    outcomes: &[PaymentOutcome],
) -> Result<(), TxError> {
    let at = request.confirmed_at.as_microsecond();
    let mut columns = OutcomeColumns::default();
    for (planned, outcome) in request.documents.iter().zip(outcomes) {
        let (entry, hold, message, executed_at, sent_at) = match outcome {
            PaymentOutcome::Executed { entry } => (Some(entry.get()), None, None, Some(at), None),
            PaymentOutcome::Sent { hold, message_id } => {
                (None, Some(hold.get()), Some(message_id.clone()), None, Some(at))
            }
            PaymentOutcome::Confirmed | PaymentOutcome::Refused(_) => (None, None, None, None, None),
        };
        let refusal = match outcome {
            PaymentOutcome::Refused(refusal) => Some(refusal),
            _ => None,
        };
        columns.id.push(planned.member.document.get());
        columns.status.push(outcome.status().as_str());
        columns.commission.push(planned.commission.minor());
        columns.commission_currency.push(tiyn_store::payments::commission_currency(planned));
        columns.entry.push(entry);
        columns.hold.push(hold);
        columns.message.push(message);
        columns.executed_at.push(executed_at);
        columns.sent_at.push(sent_at);
        columns.refusal_code.push(refusal.map(|refusal| refusal.code.as_str()));
        columns.refusal_reason.push(refusal.map(|refusal| refusal.reason.clone()));
        columns.refused_at.push(refusal.map(|refusal| refusal.refused_at.as_microsecond()));
    }
    sqlx::query(
        "UPDATE payment_documents SET status = o.status, challenge_id = $1, confirmed_by = $2, confirmed_at = $3,
             session_id = $4, channel = $5, batch_digest = $6, business_date = $7, commission = o.commission,
             entry_id = o.entry, hold_id = o.hold, message_id = o.message, executed_at = o.executed_at,
             sent_at = o.sent_at, refusal_code = o.refusal_code, refusal_reason = o.refusal_reason,
             refused_at = o.refused_at, commission_currency = o.commission_currency
         FROM UNNEST($8::bigint[], $9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[],
                     $14::bigint[], $15::bigint[], $16::text[], $17::text[], $18::bigint[], $19::text[])
              AS o (id, status, commission, entry, hold, message, executed_at, sent_at, refusal_code,
                    refusal_reason, refused_at, commission_currency)
         WHERE payment_documents.id = o.id",
    )
    .bind(&request.challenge)
    .bind(request.confirmed_by.get())
    .bind(at)
    .bind(request.session.map(|session| session.get()))
    .bind(request.channel.as_str())
    .bind(request.batch_digest.to_vec())
    .bind(request.business_date.to_string())
    .bind(&columns.id)
    .bind(&columns.status)
    .bind(&columns.commission)
    .bind(&columns.entry)
    .bind(&columns.hold)
    .bind(&columns.message)
    .bind(&columns.executed_at)
    .bind(&columns.sent_at)
    .bind(&columns.refusal_code)
    .bind(&columns.refusal_reason)
    .bind(&columns.refused_at)
    .bind(&columns.commission_currency)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// The per-document columns of [`record_outcomes`], as arrays.
#[derive(Default)]
struct OutcomeColumns {
    id: Vec<i64>,
    status: Vec<&'static str>,
    commission: Vec<i64>,
    commission_currency: Vec<Option<&'static str>>,
    entry: Vec<Option<i64>>,
    hold: Vec<Option<i64>>,
    message: Vec<Option<String>>,
    executed_at: Vec<Option<i64>>,
    sent_at: Vec<Option<i64>>,
    refusal_code: Vec<Option<&'static str>>,
    refusal_reason: Vec<Option<String>>,
    refused_at: Vec<Option<i64>>,
}

pub async fn by_message(pool: &PgPool, message_id: &str) -> Result<Option<PaymentRecord>, StoreError> {
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {PAYMENT_COLUMNS} FROM payment_documents WHERE message_id = $1")))
            .bind(message_id)
            .fetch_optional(pool)
            .await
            .map_err(StoreError::backend)?;
    row.as_ref().map(|row| payment_row(row).map_err(StoreError::backend)?.into_record()).transpose()
}

pub async fn settle(pool: &PgPool, settlement: &Settlement) -> Result<Status, StoreError> {
    with_retries!(settle_once(pool, settlement))
}

async fn settle_once(pool: &PgPool, settlement: &Settlement) -> Result<Status, TxError> {
    let mut transaction = pool.begin().await?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payment_documents WHERE message_id = $1 FOR UPDATE"
    )))
    .bind(&settlement.message_id)
    .fetch_optional(&mut *transaction)
    .await?;
    let Some(row) = row else { return Err(StoreError::NotFound { what: "payment" }.into()) };
    let record = payment_row(&row)?.into_record()?;
    if !payments::settlement_applies(record.status)? {
        return Ok(record.status);
    }
    let results = ledger::decide_and_write(&mut transaction, &settlement.commands()).await?;
    let (entry, refusal) = settlement.recorded(results)?;
    let at = settlement.at.as_microsecond();
    sqlx::query(
        "UPDATE payment_documents SET status = $2, entry_id = $3, settled_at = $4,
             refusal_code = $5, refusal_reason = $6, refused_at = $7
         WHERE id = $1",
    )
    .bind(record.id.get())
    .bind(settlement.status().as_str())
    .bind(entry.map(|entry| entry.get()))
    .bind(entry.map(|_| at))
    .bind(refusal.map(|refusal| refusal.code.as_str()))
    .bind(refusal.map(|refusal| refusal.reason.clone()))
    .bind(refusal.map(|refusal| refusal.refused_at.as_microsecond()))
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(settlement.status())
}

pub async fn pending_outbox(pool: &PgPool, now: Timestamp, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
    let rows = sqlx::query(
        "SELECT message_id, document_id, collection_id, partner_id, attempts, created_at FROM gateway_outbox
         WHERE delivered_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, message_id LIMIT $2",
    )
    .bind(now.as_microsecond())
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(StoreError::backend)?;
    rows.iter()
        .map(|row| {
            let get = |error: sqlx::Error| StoreError::backend(error);
            Ok(OutboxItem {
                message_id: row.try_get(0).map_err(get)?,
                source: OutboxSource::from_columns(row.try_get(1).map_err(get)?, row.try_get(2).map_err(get)?)?,
                partner: PartnerId::new(row.try_get(3).map_err(get)?),
                attempts: u32::try_from(row.try_get::<i32, _>(4).map_err(get)?).map_err(StoreError::backend)?,
                created_at: Timestamp::from_microsecond(row.try_get(5).map_err(get)?).map_err(StoreError::backend)?,
            })
        })
        .collect()
}

pub async fn outbox_delivered(pool: &PgPool, message_id: &str, at: Timestamp) -> Result<(), StoreError> {
    let changed = sqlx::query(
        "UPDATE gateway_outbox SET delivered_at = $2, attempts = attempts + 1
         WHERE message_id = $1 AND delivered_at IS NULL",
    )
    .bind(message_id)
    .bind(at.as_microsecond())
    .execute(pool)
    .await
    .map_err(StoreError::backend)?
    .rows_affected();
    if changed == 0 { Err(StoreError::NotFound { what: "outbox message" }) } else { Ok(()) }
}

pub async fn outbox_failed(pool: &PgPool, message_id: &str, next: Timestamp, error: &str) -> Result<(), StoreError> {
    let error: String = error.chars().take(500).collect();
    let changed = sqlx::query(
        "UPDATE gateway_outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3
         WHERE message_id = $1 AND delivered_at IS NULL",
    )
    .bind(message_id)
    .bind(next.as_microsecond())
    .bind(error)
    .execute(pool)
    .await
    .map_err(StoreError::backend)?
    .rows_affected();
    if changed == 0 { Err(StoreError::NotFound { what: "outbox message" }) } else { Ok(()) }
}

pub async fn due(pool: &PgPool, through: jiff::civil::Date, limit: usize) -> Result<Vec<PaymentRecord>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payment_documents WHERE status = 'confirmed' AND value_date <= $1
         ORDER BY value_date, id LIMIT $2"
    )))
    .bind(through.to_string())
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(StoreError::backend)?;
    rows.iter().map(|row| payment_row(row).map_err(StoreError::backend)?.into_record()).collect()
}

pub async fn carry_out(pool: &PgPool, due: &DueExecution) -> Result<PaymentOutcome, StoreError> {
    with_retries!(carry_out_once(pool, due))
}

async fn carry_out_once(pool: &PgPool, due: &DueExecution) -> Result<PaymentOutcome, TxError> {
    let mut transaction = pool.begin().await?;
    let states = lock_documents(&mut transaction, due.partner, std::iter::once(due.document)).await?;
    let (status, _, _) = states.get(&due.document).ok_or(PAYMENT_NOT_FOUND)?;
    payments::due_applies(*status)?;
    if let Some(command) = due.command() {
        // The command's accounts in ascending id order, the one order every process uses.
        let needs = Needs::of(std::iter::once(&command.action));
        let accounts: Vec<i64> = needs.accounts.iter().map(|account| account.get()).collect();
        sqlx::query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(&accounts)
            .execute(&mut *transaction)
            .await?;
    }
    let restricted = match due.command() {
        Some(command) => {
            let (restrictions, balance, held) = crate::rules::payer_state(&mut transaction, due.payer).await?;
            payments::restriction_refusal(due.kind, command, due.payer, &restrictions, balance, held, due.at)
        }
        None => None,
    };
    let ledger = match due.command() {
        _ if restricted.is_some() => None,
        Some(command) => {
            let mut results = ledger::decide_and_write(&mut transaction, std::slice::from_ref(command)).await?;
            match results.pop().ok_or_else(|| StoreError::backend("the ledger answered nothing"))? {
                Ok(executed) => Some(Ok(executed.receipt)),
                Err(StoreError::Ledger(refusal)) => Some(Err(refusal)),
                Err(other) => return Err(other.into()),
            }
        }
        None => None,
    };
    let outcome = match restricted {
        Some(refusal) => PaymentOutcome::Refused(refusal),
        None => payments::outcome_of(&due.execution, ledger, due.at)?,
    };
    let at = due.at.as_microsecond();
    let (entry, hold, message, executed_at, sent_at) = match &outcome {
        PaymentOutcome::Executed { entry } => (Some(entry.get()), None, None, Some(at), None),
        PaymentOutcome::Sent { hold, message_id } => (None, Some(hold.get()), Some(message_id.clone()), None, Some(at)),
        PaymentOutcome::Confirmed | PaymentOutcome::Refused(_) => (None, None, None, None, None),
    };
    let refusal = match &outcome {
        PaymentOutcome::Refused(refusal) => Some(refusal),
        _ => None,
    };
    sqlx::query(
        "UPDATE payment_documents SET status = $2, entry_id = $3, hold_id = $4, message_id = $5, executed_at = $6,
             sent_at = $7, refusal_code = $8, refusal_reason = $9, refused_at = $10
         WHERE id = $1",
    )
    .bind(due.document.get())
    .bind(outcome.status().as_str())
    .bind(entry)
    .bind(hold)
    .bind(&message)
    .bind(executed_at)
    .bind(sent_at)
    .bind(refusal.map(|refusal| refusal.code.as_str()))
    .bind(refusal.map(|refusal| refusal.reason.clone()))
    .bind(refusal.map(|refusal| refusal.refused_at.as_microsecond()))
    .execute(&mut *transaction)
    .await?;
    if let Some(message) = message {
        sqlx::query(
            "INSERT INTO gateway_outbox (message_id, document_id, partner_id, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(message)
        .bind(due.document.get())
        .bind(due.partner.get())
        .bind(at)
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    Ok(outcome)
}

fn returned_credit_row(row: &sqlx::postgres::PgRow) -> Result<payments::ReturnedCredit, StoreError> {
    let get = |error: sqlx::Error| StoreError::backend(error);
    let payee_iban: String = row.try_get(1).map_err(get)?;
    let currency: String = row.try_get(3).map_err(get)?;
    payments::ReturnedCredit::from_columns(
        row.try_get(0).map_err(get)?,
        &payee_iban,
        row.try_get(2).map_err(get)?,
        &currency,
        row.try_get(4).map_err(get)?,
        row.try_get(5).map_err(get)?,
        row.try_get(6).map_err(get)?,
    )
}

pub async fn returned_credit(pool: &PgPool, message_id: &str) -> Result<Option<payments::ReturnedCredit>, StoreError> {
    let sql = format!("SELECT {} FROM returned_credits WHERE message_id = $1", payments::RETURNED_CREDIT_COLUMNS);
    let row =
        sqlx::query(AssertSqlSafe(sql)).bind(message_id).fetch_optional(pool).await.map_err(StoreError::backend)?;
    row.as_ref().map(returned_credit_row).transpose()
}

pub async fn return_credit(
    pool: &PgPool,
    credit: &payments::ReturnedCredit,
) -> Result<payments::ReturnedCredit, StoreError> {
    let sql = format!(
        "INSERT INTO returned_credits ({}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO NOTHING",
        payments::RETURNED_CREDIT_COLUMNS
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(&credit.message_id)
        .bind(credit.payee_iban.as_str())
        .bind(credit.amount.minor())
        .bind(credit.amount.currency().code())
        .bind(&credit.payer_name)
        .bind(&credit.reason)
        .bind(credit.returned_at.as_microsecond())
        .execute(pool)
        .await
        .map_err(StoreError::backend)?;
    returned_credit(pool, &credit.message_id).await?.ok_or_else(|| StoreError::backend("a returned credit vanished"))
}
