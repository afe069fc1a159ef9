//! The bank's payment rules on SQLite: a partner's tariff, limits and switched-off kinds;
//! restrictions on accounts; the AML list.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyn_core::iban::Iban;
use tiyn_core::{AccountId, Currency, PartnerId, UserId};
use tiyn_store::StoreError;
use tiyn_store::rules::{
    self, AmlEntry, CollectFrom, Collected, NewRestriction, PaymentRules, Restriction, RestrictionKind,
};

pub fn get(connection: &Connection, partner: PartnerId) -> Result<PaymentRules, StoreError> {
    let row: Option<(Option<String>, String, String)> = connection
        .query_row(
            "SELECT payment_tariff, payment_limits, disabled_kinds FROM partners WHERE id = ?1",
            [partner.get()],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
        .map_err(StoreError::backend)?;
    let (tariff, limits, kinds) = row.ok_or(StoreError::NotFound { what: "partner" })?;
    Ok(PaymentRules {
        tariff: tariff.as_deref().map(rules::tariff_from_text).transpose()?,
        limits: rules::limits_from_text(&limits)?,
        disabled_kinds: rules::kinds_from_text(&kinds)?,
    })
}

pub fn set(connection: &Connection, partner: PartnerId, payment_rules: &PaymentRules) -> Result<(), StoreError> {
    let changed = connection
        .execute(
            "UPDATE partners SET payment_tariff = ?2, payment_limits = ?3, disabled_kinds = ?4 WHERE id = ?1",
            params![
                partner.get(),
                payment_rules.tariff.as_ref().map(rules::tariff_to_text),
                rules::limits_to_text(&payment_rules.limits),
                rules::kinds_to_text(&payment_rules.disabled_kinds)
            ],
        )
        .map_err(StoreError::backend)?;
    if changed == 0 { Err(StoreError::NotFound { what: "partner" }) } else { Ok(()) }
}

use tiyn_store::rules::RESTRICTION_COLUMNS;

fn restriction(row: &Row<'_>) -> rusqlite::Result<Result<Restriction, StoreError>> {
    let kind: String = row.get(2)?;
    let currency: Option<String> = row.get(4)?;
    let allowed: Option<String> = row.get(5)?;
    let created_at: i64 = row.get(8)?;
    let lifted_at: Option<i64> = row.get(9)?;
    let creditor_name: Option<String> = row.get(11)?;
    let creditor_taxpayer_id: Option<String> = row.get(12)?;
    let creditor_iban: Option<String> = row.get(13)?;
    let creditor_kbe: Option<String> = row.get(15)?;
    let knp: Option<String> = row.get(16)?;
    let kbk: Option<String> = row.get(17)?;
    let columns = rules::RestrictionColumnsRead {
        amount: row.get(3)?,
        currency: currency.as_deref(),
        allowed_kinds: allowed.as_deref(),
        priority: row.get(10)?,
        creditor_name: creditor_name.as_deref(),
        creditor_taxpayer_id: creditor_taxpayer_id.as_deref(),
        creditor_iban: creditor_iban.as_deref(),
        collected: row.get(14)?,
        creditor_kbe: creditor_kbe.as_deref(),
        knp: knp.as_deref(),
        kbk: kbk.as_deref(),
    };
    let kind = rules::restriction_kind(&kind, columns);
    let instant = |micros: i64| Timestamp::from_microsecond(micros).map_err(StoreError::backend);
    Ok((|| {
        Ok(Restriction {
            id: row.get(0).map_err(StoreError::backend)?,
            account: AccountId::new(row.get(1).map_err(StoreError::backend)?),
            kind: kind?,
            reference: row.get(6).map_err(StoreError::backend)?,
            created_by: row.get::<_, Option<i64>>(7).map_err(StoreError::backend)?.map(UserId::new),
            created_at: instant(created_at)?,
            lifted_at: lifted_at.map(instant).transpose()?,
        })
    })())
}

pub fn of_account(connection: &Connection, account: AccountId) -> Result<Vec<Restriction>, StoreError> {
    let mut statement = connection
        .prepare_cached(&format!(
            "SELECT {RESTRICTION_COLUMNS} FROM restrictions WHERE account_id = ?1 ORDER BY id DESC"
        ))
        .map_err(StoreError::backend)?;
    let rows = statement.query_map([account.get()], restriction).map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?).collect()
}

pub fn add(connection: &Connection, new: &NewRestriction) -> Result<Restriction, StoreError> {
    let exists: bool = connection
        .query_row("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?1)", [new.account.get()], |row| row.get(0))
        .map_err(StoreError::backend)?;
    if !exists {
        return Err(StoreError::NotFound { what: "account" });
    }
    let columns = rules::restriction_columns(&new.kind);
    connection
        .execute(
            "INSERT INTO restrictions (account_id, kind, amount, currency, allowed_kinds, reference, created_by, created_at,
                 priority, creditor_name, creditor_taxpayer_id, creditor_iban, collected, creditor_kbe, knp, kbk)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                new.account.get(),
                columns.kind,
                columns.amount,
                columns.currency,
                columns.allowed_kinds,
                new.reference,
                new.created_by.map(UserId::get),
                new.created_at.as_microsecond(),
                columns.priority,
                columns.creditor_name,
                columns.creditor_taxpayer_id,
                columns.creditor_iban,
                columns.collected,
                columns.creditor_kbe,
                columns.knp,
                columns.kbk
            ],
        )
        .map_err(StoreError::backend)?;
    let id = connection.last_insert_rowid();
    connection
        .query_row(&format!("SELECT {RESTRICTION_COLUMNS} FROM restrictions WHERE id = ?1"), [id], restriction)
        .map_err(StoreError::backend)?
}

pub fn lift(connection: &Connection, account: AccountId, id: i64, at: Timestamp) -> Result<(), StoreError> {
    let lifted: Option<Option<i64>> = connection
        .query_row(
            "SELECT lifted_at FROM restrictions WHERE id = ?1 AND account_id = ?2",
            params![id, account.get()],
            |row| row.get(0),
        )
        .optional()
        .map_err(StoreError::backend)?;
    match lifted {
        None => Err(StoreError::NotFound { what: "restriction" }),
        Some(Some(_)) => Err(StoreError::Conflict("already_lifted")),
        Some(None) => {
            connection
                .execute("UPDATE restrictions SET lifted_at = ?2 WHERE id = ?1", params![id, at.as_microsecond()])
                .map_err(StoreError::backend)?;
            Ok(())
        }
    }
}

pub fn replace_aml(connection: &mut Connection, entries: &[AmlEntry], at: Timestamp) -> Result<(), StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    savepoint.execute("DELETE FROM aml_list", []).map_err(StoreError::backend)?;
    {
        let mut insert = savepoint
            .prepare_cached("INSERT INTO aml_list (name, name_key, taxpayer_id, loaded_at) VALUES (?1, ?2, ?3, ?4)")
            .map_err(StoreError::backend)?;
        for entry in entries {
            insert
                .execute(params![entry.name, rules::aml_name_key(&entry.name), entry.taxpayer_id, at.as_microsecond()])
                .map_err(StoreError::backend)?;
        }
    }
    savepoint.commit().map_err(StoreError::backend)
}

pub fn aml(connection: &Connection) -> Result<Vec<AmlEntry>, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT name, taxpayer_id FROM aml_list ORDER BY id").map_err(StoreError::backend)?;
    let rows = statement
        .query_map([], |row| Ok(AmlEntry { name: row.get(0)?, taxpayer_id: row.get(1)? }))
        .map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)).collect()
}

/// The payer account's active restrictions and its balance and holds, read in the confirmation's
/// transaction.
pub fn payer_state(connection: &Connection, account: AccountId) -> Result<(Vec<Restriction>, i64, i64), StoreError> {
    let restrictions: Vec<Restriction> =
        of_account(connection, account)?.into_iter().filter(|restriction| restriction.lifted_at.is_none()).collect();
    let (balance, held) = connection
        .query_row("SELECT balance, held FROM accounts WHERE id = ?1", [account.get()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .map_err(StoreError::backend)?;
    Ok((restrictions, balance, held))
}

/// Collects the account's outstanding collection orders (see `Store::collect`), in the writer's
/// transaction: the account's balance and holds are read in it, so nothing else moves them
/// between the plan and the postings.
pub fn collect(connection: &mut Connection, request: &CollectFrom) -> Result<Vec<Collected>, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let (restrictions, balance, held) = payer_state(&savepoint, request.account)?;
    let mut done = Vec::new();
    for planned in rules::collection_plan(&restrictions, balance - held) {
        let Some((restriction, order)) = restrictions.iter().find_map(|restriction| match &restriction.kind {
            RestrictionKind::CollectionOrder(order) if restriction.id == planned.restriction => {
                Some((restriction, order))
            }
            _ => None,
        }) else {
            continue;
        };
        let creditor_account = own_account(&savepoint, &order.creditor().iban, order.amount().currency())?;
        let to = creditor_account.unwrap_or(request.clearing);
        let command = rules::collection_command(&planned, request.account, to, &restriction.reference, request.at)?;
        let executed = crate::ledger::decide_and_write(&savepoint, std::slice::from_ref(&command))?
            .pop()
            .ok_or_else(|| StoreError::backend("the ledger answered nothing"))??;
        let tiyn_ledger::Receipt::Posted { entry } = executed.receipt else {
            return Err(StoreError::backend("a collection's command did not post"));
        };
        let after = planned.collected_before.minor() + planned.amount.minor();
        let at = request.at.as_microsecond();
        let paid_off: bool = savepoint
            .query_row(
                "UPDATE restrictions SET collected = ?3, lifted_at = CASE WHEN ?3 = amount THEN ?4 END
                 WHERE id = ?1 AND collected = ?2 AND lifted_at IS NULL RETURNING lifted_at IS NOT NULL",
                params![planned.restriction, planned.collected_before.minor(), after, at],
                |row| row.get(0),
            )
            .map_err(StoreError::backend)?;
        let collection: i64 = savepoint
            .query_row(
                "INSERT INTO collections (restriction_id, entry_id, amount, collected_at) VALUES (?1, ?2, ?3, ?4)
                 RETURNING id",
                params![planned.restriction, entry.get(), planned.amount.minor(), at],
                |row| row.get(0),
            )
            .map_err(StoreError::backend)?;
        let message_id = (creditor_account.is_none() && rules::collection_is_sent(order))
            .then(|| rules::collection_message_id(collection));
        if let Some(message_id) = &message_id {
            savepoint
                .execute(
                    "INSERT INTO gateway_outbox (message_id, collection_id, partner_id, created_at, next_attempt_at)
                     SELECT ?1, ?2, partner_id, ?3, ?3 FROM accounts WHERE id = ?4",
                    params![message_id, collection, at, request.account.get()],
                )
                .map_err(StoreError::backend)?;
        }
        done.push(Collected {
            restriction: planned.restriction,
            amount: planned.amount,
            entry,
            paid_off,
            to,
            message_id,
        });
    }
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(done)
}

/// The account of this bank with this IBAN in this currency.
fn own_account(connection: &Connection, iban: &Iban, currency: Currency) -> Result<Option<AccountId>, StoreError> {
    connection
        .prepare_cached("SELECT id FROM accounts WHERE iban = ?1 AND currency = ?2")
        .and_then(|mut statement| {
            statement.query_row(params![iban.as_str(), currency.code()], |row| row.get(0)).optional()
        })
        .map(|id| id.map(AccountId::new))
        .map_err(StoreError::backend)
}

pub fn accounts_to_collect(connection: &Connection) -> Result<Vec<AccountId>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT DISTINCT account_id FROM restrictions WHERE kind = 'collection_order' AND lifted_at IS NULL
             ORDER BY account_id",
        )
        .map_err(StoreError::backend)?;
    let rows = statement.query_map([], |row| row.get(0)).map_err(StoreError::backend)?;
    rows.map(|row| row.map(AccountId::new).map_err(StoreError::backend)).collect()
}

fn collection_row(row: &Row<'_>) -> rusqlite::Result<rules::CollectionRow> {
    Ok(rules::CollectionRow {
        id: row.get(0)?,
        restriction: row.get(1)?,
        account: row.get(2)?,
        amount: row.get(3)?,
        currency: row.get(4)?,
        entry: row.get(5)?,
        collected_at: row.get(6)?,
        message_id: row.get(7)?,
        outcome: row.get(8)?,
        reason: row.get(9)?,
        return_entry: row.get(10)?,
        decided_at: row.get(11)?,
    })
}

pub fn collection(connection: &Connection, id: i64) -> Result<Option<rules::CollectionRecord>, StoreError> {
    connection
        .prepare_cached(&format!("{} WHERE collections.id = ?1", rules::COLLECTION_SELECT))
        .and_then(|mut statement| statement.query_row([id], collection_row).optional())
        .map_err(StoreError::backend)?
        .map(rules::CollectionRow::into_record)
        .transpose()
}

pub fn collection_by_message(
    connection: &Connection,
    message_id: &str,
) -> Result<Option<rules::CollectionRecord>, StoreError> {
    connection
        .prepare_cached(&format!("{} WHERE gateway_outbox.message_id = ?1", rules::COLLECTION_SELECT))
        .and_then(|mut statement| statement.query_row([message_id], collection_row).optional())
        .map_err(StoreError::backend)?
        .map(rules::CollectionRow::into_record)
        .transpose()
}

/// Applies the answer for a sent collection (see `Store::settle_collection`) in the writer's
/// transaction.
pub fn settle_collection(
    connection: &mut Connection,
    settlement: &rules::CollectionSettlement,
) -> Result<rules::CollectionOutcome, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let record = collection_by_message(&savepoint, &settlement.message_id)?
        .ok_or(StoreError::NotFound { what: "collection" })?;
    if let Some(outcome) = record.outcome {
        return Ok(outcome);
    }
    let at = settlement.at.as_microsecond();
    let outcome = match &settlement.result {
        rules::CollectionResult::Settled => {
            savepoint
                .execute(
                    "INSERT INTO collection_outcomes (collection_id, outcome, decided_at) VALUES (?1, 'settled', ?2)",
                    params![record.id, at],
                )
                .map_err(StoreError::backend)?;
            rules::CollectionOutcome::Settled { at: settlement.at }
        }
        rules::CollectionResult::Returned { command, reason } => {
            let executed = crate::ledger::decide_and_write(&savepoint, std::slice::from_ref(command))?
                .pop()
                .ok_or_else(|| StoreError::backend("the ledger answered nothing"))??;
            let tiyn_ledger::Receipt::Posted { entry } = executed.receipt else {
                return Err(StoreError::backend("a returned collection's command did not post"));
            };
            savepoint
                .execute(
                    "INSERT INTO collection_outcomes (collection_id, outcome, reason, return_entry_id, decided_at)
                     VALUES (?1, 'returned', ?2, ?3, ?4)",
                    params![record.id, reason, entry.get(), at],
                )
                .map_err(StoreError::backend)?;
            savepoint
                .execute(
                    "UPDATE restrictions SET collected = collected - ?2, lifted_at = COALESCE(lifted_at, ?3)
                     WHERE id = ?1",
                    params![record.restriction, record.amount.minor(), at],
                )
                .map_err(StoreError::backend)?;
            rules::CollectionOutcome::Returned { at: settlement.at, reason: reason.clone(), entry }
        }
    };
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(outcome)
}
