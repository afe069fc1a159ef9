//! Payment documents on SQLite. Every write runs on the writer thread inside a savepoint, so a
//! confirmation — documents, limits, the ledger's postings or holds — commits whole or not at all.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyn_core::PartnerId;
use tiyn_payments::limits::{LimitScope, Usage};
use tiyn_payments::{DocumentId, Status};
use tiyn_store::StoreError;
use tiyn_store::payments::{
    self, ConfirmPayments, Confirmer, Drafts, DueExecution, Execution, KEYED_PAYMENTS_MAX, KeyedPayment, NewPayment,
    NewSigning, OutboxItem, OutboxSource, PAYMENT_COLUMNS, PaymentEdit, PaymentOutcome, PaymentQuery, PaymentRecord,
    PaymentRow, REQUISITE_COLUMNS, RequisiteColumns, Settlement, SigningMember, SigningRecord, conflicts,
};

use crate::ledger;

fn payment_row(row: &Row<'_>) -> rusqlite::Result<PaymentRow> {
    Ok(PaymentRow {
        id: row.get(0)?,
        partner_id: row.get(1)?,
        number: row.get(2)?,
        status: row.get(3)?,
        version: row.get(4)?,
        kind: row.get(5)?,
        payer_account_id: row.get(6)?,
        currency: row.get(7)?,
        amount: row.get(8)?,
        knp: row.get(9)?,
        purpose: row.get(10)?,
        value_date: row.get(11)?,
        payee_account_id: row.get(12)?,
        payee_name: row.get(13)?,
        payee_bin: row.get(14)?,
        payee_iban: row.get(15)?,
        payee_bic: row.get(16)?,
        kbe: row.get(17)?,
        kbk: row.get(18)?,
        created_by: row.get(19)?,
        created_at: row.get(20)?,
        edited_by: row.get(21)?,
        edited_at: row.get(22)?,
        submitted_by: row.get(23)?,
        submitted_at: row.get(24)?,
        content_digest: row.get(25)?,
        challenge_id: row.get(26)?,
        confirmed_by: row.get(27)?,
        confirmed_at: row.get(28)?,
        session_id: row.get(29)?,
        channel: row.get(30)?,
        batch_digest: row.get(31)?,
        business_date: row.get(32)?,
        commission: row.get(33)?,
        entry_id: row.get(34)?,
        hold_id: row.get(35)?,
        message_id: row.get(36)?,
        executed_at: row.get(37)?,
        sent_at: row.get(38)?,
        settled_at: row.get(39)?,
        refusal_code: row.get(40)?,
        refusal_reason: row.get(41)?,
        refused_at: row.get(42)?,
        foreign_fields: row.get(43)?,
        commission_currency: row.get(44)?,
    })
}

pub fn get(connection: &Connection, partner: PartnerId, id: DocumentId) -> Result<Option<PaymentRecord>, StoreError> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payment_documents WHERE id = ?1 AND partner_id = ?2");
    let row = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.query_row(params![id.get(), partner.get()], payment_row).optional())
        .map_err(StoreError::backend)?;
    row.map(PaymentRow::into_record).transpose()
}

/// The partner's drafts under request keys starting with `prefix`: a range of the
/// `(partner_id, request_key)` index (keys compare by bytes).
pub fn by_request_key_prefix(
    connection: &Connection,
    partner: PartnerId,
    prefix: &str,
) -> Result<Vec<KeyedPayment>, StoreError> {
    let Some((low, high)) = payments::request_key_range(prefix) else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS}, request_digest FROM payment_documents
         WHERE partner_id = ?1 AND request_key >= ?2 AND request_key < ?3 ORDER BY number LIMIT {KEYED_PAYMENTS_MAX}"
    );
    let digest_at = PAYMENT_COLUMNS.split(',').count();
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = statement
        .query_map(params![partner.get(), low, high], |row| Ok((payment_row(row)?, row.get::<_, Vec<u8>>(digest_at)?)))
        .map_err(StoreError::backend)?;
    rows.map(|row| {
        let (row, digest) = row.map_err(StoreError::backend)?;
        let request_digest =
            digest.try_into().map_err(|_| StoreError::backend("a request digest of another length"))?;
        Ok(KeyedPayment { record: row.into_record()?, request_digest })
    })
    .collect()
}

pub fn list(
    connection: &Connection,
    partner: PartnerId,
    query: &PaymentQuery,
) -> Result<Vec<PaymentRecord>, StoreError> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payment_documents
         WHERE partner_id = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR value_date >= ?3)
           AND (?4 IS NULL OR value_date <= ?4) AND (?5 IS NULL OR id < ?5)
         ORDER BY id DESC LIMIT ?6"
    );
    let limit = query.limit.min(payments::PAYMENTS_PAGE_MAX) as i64;
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = statement
        .query_map(
            params![
                partner.get(),
                query.status.map(Status::as_str),
                query.from.map(|date| date.to_string()),
                query.to.map(|date| date.to_string()),
                query.before.map(DocumentId::get),
                limit
            ],
            payment_row,
        )
        .map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?.into_record()).collect()
}

pub fn create(connection: &mut Connection, payment: &NewPayment) -> Result<PaymentRecord, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let (record, _) = create_in(&savepoint, payment)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(record)
}

/// One draft with the partner's next number, inside the caller's savepoint; or, for a request key
/// used before, the first draft (`true`).
fn create_in(savepoint: &Connection, payment: &NewPayment) -> Result<(PaymentRecord, bool), StoreError> {
    let columns = RequisiteColumns::of(&payment.fields, payment.amount, payment.value_date)?;
    if let Some(request) = &payment.request_key {
        let earlier: Option<(i64, Vec<u8>)> = savepoint
            .query_row(
                "SELECT id, request_digest FROM payment_documents WHERE partner_id = ?1 AND request_key = ?2",
                params![payment.partner.get(), request.key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(StoreError::backend)?;
        if let Some((id, digest)) = earlier {
            if digest != request.digest {
                return Err(StoreError::Conflict(conflicts::IDEMPOTENCY_CONFLICT));
            }
            let first = get(savepoint, payment.partner, DocumentId::new(id))?;
            return Ok((first.ok_or(StoreError::NotFound { what: "payment" })?, true));
        }
    }
    // The partner's next number from its counter (migration 0014): never given twice.
    let number: i64 = savepoint
        .prepare_cached(
            "INSERT INTO payment_numbers (partner_id, last_number) VALUES (?1, 1)
             ON CONFLICT (partner_id) DO UPDATE SET last_number = last_number + 1 RETURNING last_number",
        )
        .and_then(|mut statement| statement.query_row([payment.partner.get()], |row| row.get(0)))
        .map_err(|error| match error {
            rusqlite::Error::SqliteFailure(failure, _)
                if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                StoreError::NotFound { what: "partner" }
            }
            other => StoreError::backend(other),
        })?;
    let at = payment.created_at.as_microsecond();
    let by = payment.created_by.get();
    savepoint
        .prepare_cached(&format!(
            "INSERT INTO payment_documents (partner_id, number, status, version, {REQUISITE_COLUMNS},
                 created_by, created_at, edited_by, edited_at, request_key, request_digest)
             VALUES (?1, ?2, 'draft', 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?21,
                 ?17, ?18, ?17, ?18, ?19, ?20)"
        ))
        .and_then(|mut statement| {
            statement.execute(params![
                payment.partner.get(),
                number,
                columns.kind,
                columns.payer_account_id,
                columns.currency,
                columns.amount,
                columns.knp,
                columns.purpose,
                columns.value_date,
                columns.payee_account_id,
                columns.payee_name,
                columns.payee_bin,
                columns.payee_iban,
                columns.payee_bic,
                columns.kbe,
                columns.kbk,
                by,
                at,
                payment.request_key.as_ref().map(|request| request.key.as_str()),
                payment.request_key.as_ref().map(|request| request.digest.to_vec()),
                columns.foreign_fields,
            ])
        })
        .map_err(StoreError::backend)?;
    let id = DocumentId::new(savepoint.last_insert_rowid());
    Ok((get(savepoint, payment.partner, id)?.ok_or(StoreError::NotFound { what: "payment" })?, false))
}

/// Several drafts of one partner in one savepoint, numbered in order (an import: all or none).
pub fn create_many(connection: &mut Connection, payments: &[NewPayment]) -> Result<Drafts, StoreError> {
    if payments.windows(2).any(|pair| pair[0].partner != pair[1].partner) {
        return Err(StoreError::Invalid("the drafts of one batch belong to one partner"));
    }
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let created = payments.iter().map(|payment| create_in(&savepoint, payment)).collect::<Result<Vec<_>, _>>()?;
    let replayed = created.iter().filter(|(_, replayed)| *replayed).count();
    if replayed > 0 && replayed < created.len() {
        // Some of the batch's keys were used and some not: not a repeat of one batch.
        return Err(StoreError::Conflict(conflicts::IDEMPOTENCY_CONFLICT));
    }
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(Drafts { replayed: replayed > 0, records: created.into_iter().map(|(record, _)| record).collect() })
}

/// The status and version of the partner's document, `NotFound` for another partner's.
fn state_of(
    connection: &Connection,
    partner: PartnerId,
    id: DocumentId,
) -> Result<(Status, u32, Option<Vec<u8>>), StoreError> {
    let (status, version, digest): (String, i64, Option<Vec<u8>>) = connection
        .prepare_cached(
            "SELECT status, version, content_digest FROM payment_documents WHERE id = ?1 AND partner_id = ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_row(params![id.get(), partner.get()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .optional()
        })
        .map_err(StoreError::backend)?
        .ok_or(StoreError::NotFound { what: "payment" })?;
    let status = Status::parse(&status).ok_or_else(|| StoreError::backend(format!("stored status {status:?}")))?;
    Ok((status, u32::try_from(version).map_err(StoreError::backend)?, digest))
}

pub fn edit(connection: &mut Connection, edit: &PaymentEdit) -> Result<PaymentRecord, StoreError> {
    let columns = RequisiteColumns::of(&edit.fields, edit.amount, edit.value_date)?;
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let (status, _, _) = state_of(&savepoint, edit.partner, edit.id)?;
    if !payments::is_open(status) {
        return Err(StoreError::Conflict(conflicts::NOT_EDITABLE));
    }
    savepoint
        .execute(
            "UPDATE payment_documents SET status = 'draft', version = version + 1, kind = ?3,
                 payer_account_id = ?4, currency = ?5, amount = ?6, knp = ?7, purpose = ?8, value_date = ?9,
                 payee_account_id = ?10, payee_name = ?11, payee_bin = ?12, payee_iban = ?13, payee_bic = ?14,
                 kbe = ?15, kbk = ?16, edited_by = ?17, edited_at = ?18, foreign_fields = ?19,
                 submitted_by = NULL, submitted_at = NULL, content_digest = NULL
             WHERE id = ?1 AND partner_id = ?2",
            params![
                edit.id.get(),
                edit.partner.get(),
                columns.kind,
                columns.payer_account_id,
                columns.currency,
                columns.amount,
                columns.knp,
                columns.purpose,
                columns.value_date,
                columns.payee_account_id,
                columns.payee_name,
                columns.payee_bin,
                columns.payee_iban,
                columns.payee_bic,
                columns.kbe,
                columns.kbk,
                edit.edited_by.get(),
                edit.edited_at.as_microsecond(),
                columns.foreign_fields,
            ],
        )
        .map_err(StoreError::backend)?;
    let record = get(&savepoint, edit.partner, edit.id)?.ok_or(StoreError::NotFound { what: "payment" })?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(record)
}

pub fn delete(connection: &mut Connection, partner: PartnerId, id: DocumentId) -> Result<(), StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let (status, _, _) = state_of(&savepoint, partner, id)?;
    if !payments::is_open(status) {
        return Err(StoreError::Conflict(conflicts::NOT_EDITABLE));
    }
    savepoint
        .execute("DELETE FROM payment_documents WHERE id = ?1 AND partner_id = ?2", params![id.get(), partner.get()])
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)
}

pub fn open_signing(connection: &mut Connection, signing: &NewSigning) -> Result<(), StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    savepoint
        .execute(
            "INSERT INTO signings (challenge_id, partner_id, user_id, batch_digest, created_at, expires_at, channel)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                signing.challenge,
                signing.partner.get(),
                signing.user.get(),
                signing.batch_digest.to_vec(),
                signing.created_at.as_microsecond(),
                signing.expires_at.as_microsecond(),
                signing.channel.as_str()
            ],
        )
        .map_err(|error| crate::unique_or_backend(error, "a signing with this challenge"))?;
    for (position, member) in signing.members.iter().enumerate() {
        let (status, version, _) = state_of(&savepoint, signing.partner, member.document)?;
        if !payments::is_open(status) {
            return Err(StoreError::Conflict(conflicts::NOT_SIGNABLE));
        }
        if version != member.version {
            return Err(StoreError::Conflict(conflicts::DOCUMENT_CHANGED));
        }
        savepoint
            .prepare_cached(
                "UPDATE payment_documents SET status = 'awaiting_confirmation', submitted_by = ?2,
                     submitted_at = ?3, content_digest = ?4 WHERE id = ?1",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    member.document.get(),
                    signing.user.get(),
                    signing.created_at.as_microsecond(),
                    member.content_digest.to_vec()
                ])
            })
            .map_err(StoreError::backend)?;
        savepoint
            .prepare_cached(
                "INSERT INTO signing_members (challenge_id, position, document_id, version, content_digest)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    signing.challenge,
                    position as i64,
                    member.document.get(),
                    member.version,
                    member.content_digest.to_vec()
                ])
            })
            .map_err(StoreError::backend)?;
    }
    savepoint.commit().map_err(StoreError::backend)
}

/// A signing's user, batch digest, creation, expiry and use, as stored.
type SigningHead = (i64, Vec<u8>, i64, i64, Option<i64>, String);

pub fn signing(
    connection: &Connection,
    partner: PartnerId,
    challenge: &str,
) -> Result<Option<SigningRecord>, StoreError> {
    let head: Option<SigningHead> = connection
        .query_row(
            "SELECT user_id, batch_digest, created_at, expires_at, used_at, channel FROM signings
             WHERE challenge_id = ?1 AND partner_id = ?2",
            params![challenge, partner.get()],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?)),
        )
        .optional()
        .map_err(StoreError::backend)?;
    let Some((user, batch_digest, created_at, expires_at, used_at, channel)) = head else {
        return Ok(None);
    };
    let mut statement = connection
        .prepare_cached(
            "SELECT document_id, version, content_digest FROM signing_members WHERE challenge_id = ?1 ORDER BY position",
        )
        .map_err(StoreError::backend)?;
    let members = statement
        .query_map([challenge], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, Vec<u8>>(2)?)))
        .map_err(StoreError::backend)?
        .map(|row| {
            let (document, version, digest) = row.map_err(StoreError::backend)?;
            Ok(SigningMember {
                document: DocumentId::new(document),
                version: u32::try_from(version).map_err(StoreError::backend)?,
                content_digest: digest32(digest)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let instant = |micros: i64| Timestamp::from_microsecond(micros).map_err(StoreError::backend);
    Ok(Some(SigningRecord {
        challenge: challenge.to_owned(),
        channel: tiyn_payments::ConfirmationChannel::parse(&channel)
            .ok_or_else(|| StoreError::backend(format!("stored signing channel {channel:?}")))?,
        partner,
        user: tiyn_core::UserId::new(user),
        members,
        batch_digest: digest32(batch_digest)?,
        created_at: instant(created_at)?,
        expires_at: instant(expires_at)?,
        used_at: used_at.map(instant).transpose()?,
    }))
}

fn digest32(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes.try_into().map_err(|_| StoreError::backend("a stored digest is not 32 bytes"))
}

/// The day's usage: documents confirmed on the business date and not refused, per scope, kind
/// and currency, from the counters the triggers of migration 0011 keep.
fn usage(connection: &Connection, request: &ConfirmPayments) -> Result<Usage, StoreError> {
    let mut usage = Usage::new();
    if !request.limits.counts_days() {
        return Ok(usage);
    }
    let date = request.business_date.to_string();
    let mut by_partner = connection
        .prepare_cached(
            "SELECT kind, currency, amount, count FROM payment_usage_partner
             WHERE partner_id = ?1 AND business_date = ?2 AND count > 0",
        )
        .map_err(StoreError::backend)?;
    let rows = by_partner
        .query_map(params![request.partner.get(), date], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?, row.get::<_, i64>(3)?))
        })
        .map_err(StoreError::backend)?;
    for row in rows {
        let (kind, currency, sum, count) = row.map_err(StoreError::backend)?;
        payments::add_usage(&mut usage, LimitScope::Partner(request.partner), &kind, &currency, sum, count)?;
    }
    let mut by_user = connection
        .prepare_cached(
            "SELECT kind, currency, amount, count FROM payment_usage_user
             WHERE partner_id = ?1 AND user_id = ?3 AND business_date = ?2 AND count > 0",
        )
        .map_err(StoreError::backend)?;
    let rows = by_user
        .query_map(params![request.partner.get(), date, request.confirmed_by.get()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?, row.get::<_, i64>(3)?))
        })
        .map_err(StoreError::backend)?;
    for row in rows {
        let (kind, currency, sum, count) = row.map_err(StoreError::backend)?;
        payments::add_usage(&mut usage, LimitScope::User(request.confirmed_by), &kind, &currency, sum, count)?;
    }
    Ok(usage)
}

pub fn confirm(connection: &mut Connection, request: &ConfirmPayments) -> Result<Vec<PaymentOutcome>, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let used = savepoint
        .execute(
            "UPDATE signings SET used_at = ?3
             WHERE challenge_id = ?1 AND partner_id = ?2 AND used_at IS NULL AND user_id = ?4 AND batch_digest = ?5",
            params![
                request.challenge,
                request.partner.get(),
                request.confirmed_at.as_microsecond(),
                request.confirmed_by.get(),
                request.batch_digest.to_vec()
            ],
        )
        .map_err(StoreError::backend)?;
    if used == 0 {
        return Err(StoreError::Conflict(conflicts::CHALLENGE_USED));
    }
    let stored =
        signing(&savepoint, request.partner, &request.challenge)?.ok_or(StoreError::NotFound { what: "signing" })?;
    payments::check_signing_members(&stored.members, request)?;
    for planned in &request.documents {
        let (status, version, digest) = state_of(&savepoint, request.partner, planned.member.document)?;
        let digest = digest.map(digest32).transpose()?;
        payments::check_member(&planned.member, status, version, digest)?;
    }
    let mut confirmer = Confirmer::new(request, usage(&savepoint, request)?);
    let mut outcomes = Vec::with_capacity(request.documents.len());
    for planned in &request.documents {
        let outcome = match confirmer.admit(planned) {
            Some(refusal) => PaymentOutcome::Refused(refusal),
            None => {
                let restricted = match &planned.execution {
                    Execution::Post(command) | Execution::Hold { command, .. } => {
                        let (restrictions, balance, held) = crate::rules::payer_state(&savepoint, planned.payer)?;
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
                        let mut results = ledger::decide_and_write(&savepoint, std::slice::from_ref(command))?;
                        let result = results.pop().ok_or_else(|| StoreError::backend("the ledger answered nothing"))?;
                        Some(match result {
                            Ok(executed) => Ok(executed.receipt),
                            Err(StoreError::Ledger(refusal)) => Err(refusal),
                            Err(other) => return Err(other),
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
        record_outcome(&savepoint, request, planned, &outcome)?;
        outcomes.push(outcome);
    }
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(outcomes)
}

fn record_outcome(
    connection: &Connection,
    request: &ConfirmPayments,
    planned: &payments::PlannedPayment,
    outcome: &PaymentOutcome,
) -> Result<(), StoreError> {
    let at = request.confirmed_at.as_microsecond();
    let (entry, hold, message, executed_at, sent_at) = match outcome {
        PaymentOutcome::Executed { entry } => (Some(entry.get()), None, None, Some(at), None),
        PaymentOutcome::Sent { hold, message_id } => {
            (None, Some(hold.get()), Some(message_id.as_str()), None, Some(at))
        }
        PaymentOutcome::Confirmed | PaymentOutcome::Refused(_) => (None, None, None, None, None),
    };
    let refusal = match outcome {
        PaymentOutcome::Refused(refusal) => Some(refusal),
        _ => None,
    };
    connection
        .prepare_cached(
            "UPDATE payment_documents SET status = ?2, challenge_id = ?3, confirmed_by = ?4, confirmed_at = ?5,
                 session_id = ?6, channel = ?7, batch_digest = ?8, business_date = ?9, commission = ?10,
                 entry_id = ?11, hold_id = ?12, message_id = ?13, executed_at = ?14, sent_at = ?15,
                 refusal_code = ?16, refusal_reason = ?17, refused_at = ?18, commission_currency = ?19
             WHERE id = ?1",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                planned.member.document.get(),
                outcome.status().as_str(),
                request.challenge,
                request.confirmed_by.get(),
                at,
                request.session.map(|session| session.get()),
                request.channel.as_str(),
                request.batch_digest.to_vec(),
                request.business_date.to_string(),
                planned.commission.minor(),
                entry,
                hold,
                message,
                executed_at,
                sent_at,
                refusal.map(|refusal| refusal.code.as_str()),
                refusal.map(|refusal| refusal.reason.as_str()),
                refusal.map(|refusal| refusal.refused_at.as_microsecond()),
                tiyn_store::payments::commission_currency(planned),
            ])
        })
        .map_err(StoreError::backend)?;
    if let PaymentOutcome::Sent { message_id, .. } = outcome {
        insert_outbox(connection, message_id, planned.member.document, request.partner, at)?;
    }
    Ok(())
}

/// The outgoing message of a sent document, in the transaction that sent it.
fn insert_outbox(
    connection: &Connection,
    message_id: &str,
    document: DocumentId,
    partner: PartnerId,
    at: i64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO gateway_outbox (message_id, document_id, partner_id, created_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
        )
        .and_then(|mut statement| statement.execute(params![message_id, document.get(), partner.get(), at]))
        .map_err(StoreError::backend)?;
    Ok(())
}

pub fn due(
    connection: &Connection,
    through: jiff::civil::Date,
    limit: usize,
) -> Result<Vec<PaymentRecord>, StoreError> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payment_documents WHERE status = 'confirmed' AND value_date <= ?1
         ORDER BY value_date, id LIMIT ?2"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows =
        statement.query_map(params![through.to_string(), limit as i64], payment_row).map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?.into_record()).collect()
}

pub fn carry_out(connection: &mut Connection, due: &DueExecution) -> Result<PaymentOutcome, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let (status, _, _) = state_of(&savepoint, due.partner, due.document)?;
    payments::due_applies(status)?;
    let restricted = match due.command() {
        Some(command) => {
            let (restrictions, balance, held) = crate::rules::payer_state(&savepoint, due.payer)?;
            payments::restriction_refusal(due.kind, command, due.payer, &restrictions, balance, held, due.at)
        }
        None => None,
    };
    let ledger = match due.command() {
        _ if restricted.is_some() => None,
        Some(command) => {
            let mut results = ledger::decide_and_write(&savepoint, std::slice::from_ref(command))?;
            match results.pop().ok_or_else(|| StoreError::backend("the ledger answered nothing"))? {
                Ok(executed) => Some(Ok(executed.receipt)),
                Err(StoreError::Ledger(refusal)) => Some(Err(refusal)),
                Err(other) => return Err(other),
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
        PaymentOutcome::Sent { hold, message_id } => {
            (None, Some(hold.get()), Some(message_id.as_str()), None, Some(at))
        }
        PaymentOutcome::Confirmed | PaymentOutcome::Refused(_) => (None, None, None, None, None),
    };
    let refusal = match &outcome {
        PaymentOutcome::Refused(refusal) => Some(refusal),
        _ => None,
    };
    savepoint
        .execute(
            "UPDATE payment_documents SET status = ?2, entry_id = ?3, hold_id = ?4, message_id = ?5, executed_at = ?6,
                 sent_at = ?7, refusal_code = ?8, refusal_reason = ?9, refused_at = ?10
             WHERE id = ?1",
            params![
                due.document.get(),
                outcome.status().as_str(),
                entry,
                hold,
                message,
                executed_at,
                sent_at,
                refusal.map(|refusal| refusal.code.as_str()),
                refusal.map(|refusal| refusal.reason.as_str()),
                refusal.map(|refusal| refusal.refused_at.as_microsecond()),
            ],
        )
        .map_err(StoreError::backend)?;
    if let PaymentOutcome::Sent { message_id, .. } = &outcome {
        insert_outbox(&savepoint, message_id, due.document, due.partner, at)?;
    }
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(outcome)
}

pub fn by_message(connection: &Connection, message_id: &str) -> Result<Option<PaymentRecord>, StoreError> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payment_documents WHERE message_id = ?1");
    let row = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.query_row([message_id], payment_row).optional())
        .map_err(StoreError::backend)?;
    row.map(PaymentRow::into_record).transpose()
}

pub fn settle(connection: &mut Connection, settlement: &Settlement) -> Result<Status, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let record = by_message(&savepoint, &settlement.message_id)?.ok_or(StoreError::NotFound { what: "payment" })?;
    if !payments::settlement_applies(record.status)? {
        return Ok(record.status);
    }
    let results = ledger::decide_and_write(&savepoint, &settlement.commands())?;
    let (entry, refusal) = settlement.recorded(results)?;
    let at = settlement.at.as_microsecond();
    savepoint
        .execute(
            "UPDATE payment_documents SET status = ?2, entry_id = ?3, settled_at = ?4,
                 refusal_code = ?5, refusal_reason = ?6, refused_at = ?7
             WHERE id = ?1",
            params![
                record.id.get(),
                settlement.status().as_str(),
                entry.map(|entry| entry.get()),
                entry.map(|_| at),
                refusal.map(|refusal| refusal.code.as_str()),
                refusal.map(|refusal| refusal.reason.as_str()),
                refusal.map(|refusal| refusal.refused_at.as_microsecond()),
            ],
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(settlement.status())
}

pub fn pending_outbox(connection: &Connection, now: Timestamp, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT message_id, document_id, collection_id, partner_id, attempts, created_at FROM gateway_outbox
             WHERE delivered_at IS NULL AND next_attempt_at <= ?1 ORDER BY next_attempt_at, message_id LIMIT ?2",
        )
        .map_err(StoreError::backend)?;
    let rows = statement
        .query_map(params![now.as_microsecond(), limit as i64], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, Option<i64>>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, i64>(5)?,
            ))
        })
        .map_err(StoreError::backend)?;
    rows.map(|row| {
        let (message_id, document, collection, partner, attempts, created_at) = row.map_err(StoreError::backend)?;
        Ok(OutboxItem {
            message_id,
            source: OutboxSource::from_columns(document, collection)?,
            partner: PartnerId::new(partner),
            attempts: u32::try_from(attempts).map_err(StoreError::backend)?,
            created_at: Timestamp::from_microsecond(created_at).map_err(StoreError::backend)?,
        })
    })
    .collect()
}

pub fn outbox_delivered(connection: &Connection, message_id: &str, at: Timestamp) -> Result<(), StoreError> {
    let changed = connection
        .execute(
            "UPDATE gateway_outbox SET delivered_at = ?2, attempts = attempts + 1
             WHERE message_id = ?1 AND delivered_at IS NULL",
            params![message_id, at.as_microsecond()],
        )
        .map_err(StoreError::backend)?;
    if changed == 0 { Err(StoreError::NotFound { what: "outbox message" }) } else { Ok(()) }
}

pub fn outbox_failed(
    connection: &Connection,
    message_id: &str,
    next: Timestamp,
    error: &str,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(500).collect();
    let changed = connection
        .execute(
            "UPDATE gateway_outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
             WHERE message_id = ?1 AND delivered_at IS NULL",
            params![message_id, next.as_microsecond(), error],
        )
        .map_err(StoreError::backend)?;
    if changed == 0 { Err(StoreError::NotFound { what: "outbox message" }) } else { Ok(()) }
}

fn returned_credit_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<payments::ReturnedCredit, StoreError>> {
    let payee_iban: String = row.get(1)?;
    let currency: String = row.get(3)?;
    Ok(payments::ReturnedCredit::from_columns(
        row.get(0)?,
        &payee_iban,
        row.get(2)?,
        &currency,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

pub fn returned_credit(
    connection: &Connection,
    message_id: &str,
) -> Result<Option<payments::ReturnedCredit>, StoreError> {
    let sql = format!("SELECT {} FROM returned_credits WHERE message_id = ?1", payments::RETURNED_CREDIT_COLUMNS);
    connection
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.query_row([message_id], returned_credit_row).optional())
        .map_err(StoreError::backend)?
        .transpose()
}

pub fn return_credit(
    connection: &Connection,
    credit: &payments::ReturnedCredit,
) -> Result<payments::ReturnedCredit, StoreError> {
    connection
        .execute(
            &format!(
                "INSERT INTO returned_credits ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (message_id) DO NOTHING",
                payments::RETURNED_CREDIT_COLUMNS
            ),
            params![
                credit.message_id,
                credit.payee_iban.as_str(),
                credit.amount.minor(),
                credit.amount.currency().code(),
                credit.payer_name,
                credit.reason,
                credit.returned_at.as_microsecond()
            ],
        )
        .map_err(StoreError::backend)?;
    returned_credit(connection, &credit.message_id)?.ok_or_else(|| StoreError::backend("a returned credit vanished"))
}
