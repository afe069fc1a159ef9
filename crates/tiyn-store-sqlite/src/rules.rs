//! The bank's payment rules on SQLite: a partner's tariff, limits and switched-off kinds;
//! restrictions on accounts; the AML list.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyn_core::{AccountId, PartnerId, UserId};
use tiyn_store::StoreError;
use tiyn_store::rules::{self, AmlEntry, CollectFrom, Collected, NewRestriction, PaymentRules, Restriction};

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
    let columns = rules::RestrictionColumnsRead {
        amount: row.get(3)?,
        currency: currency.as_deref(),
        allowed_kinds: allowed.as_deref(),
        priority: row.get(10)?,
        creditor_name: creditor_name.as_deref(),
        creditor_taxpayer_id: creditor_taxpayer_id.as_deref(),
        creditor_iban: creditor_iban.as_deref(),
        collected: row.get(14)?,
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
                 priority, creditor_name, creditor_taxpayer_id, creditor_iban, collected)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
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
                columns.collected
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
        let Some(restriction) = restrictions.iter().find(|restriction| restriction.id == planned.restriction) else {
            continue;
        };
        let command =
            rules::collection_command(&planned, request.account, request.clearing, &restriction.reference, request.at)?;
        let executed = crate::ledger::decide_and_write(&savepoint, std::slice::from_ref(&command))?
            .pop()
            .ok_or_else(|| StoreError::backend("the ledger answered nothing"))??;
        let tiyn_ledger::Receipt::Posted { entry } = executed.receipt else {
            return Err(StoreError::backend("a collection's command did not post"));
        };
        let after = planned.collected_before.minor() + planned.amount.minor();
        let paid_off: bool = savepoint
            .query_row(
                "UPDATE restrictions SET collected = ?3, lifted_at = CASE WHEN ?3 = amount THEN ?4 END
                 WHERE id = ?1 AND collected = ?2 AND lifted_at IS NULL RETURNING lifted_at IS NOT NULL",
                params![planned.restriction, planned.collected_before.minor(), after, request.at.as_microsecond()],
                |row| row.get(0),
            )
            .map_err(StoreError::backend)?;
        savepoint
            .execute(
                "INSERT INTO collections (restriction_id, entry_id, amount, collected_at) VALUES (?1, ?2, ?3, ?4)",
                params![planned.restriction, entry.get(), planned.amount.minor(), request.at.as_microsecond()],
            )
            .map_err(StoreError::backend)?;
        done.push(Collected { restriction: planned.restriction, amount: planned.amount, entry, paid_off });
    }
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(done)
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
