//! The bank's payment rules on PostgreSQL: a partner's tariff, limits and switched-off kinds;
//! restrictions on accounts; the AML list.

use jiff::Timestamp;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, PgPool, Row};

use crate::tx::{TxError, with_retries};
use tiyn_core::iban::Iban;
use tiyn_core::{AccountId, Currency, PartnerId, UserId};
use tiyn_store::StoreError;
use tiyn_store::rules::{
    self, AmlEntry, CollectFrom, Collected, NewRestriction, PaymentRules, Restriction, RestrictionKind,
};

pub async fn get(pool: &PgPool, partner: PartnerId) -> Result<PaymentRules, StoreError> {
    let row = sqlx::query("SELECT payment_tariff, payment_limits, disabled_kinds FROM partners WHERE id = $1")
        .bind(partner.get())
        .fetch_optional(pool)
        .await
        .map_err(StoreError::backend)?
        .ok_or(StoreError::NotFound { what: "partner" })?;
    let get = |error: sqlx::Error| StoreError::backend(error);
    let tariff: Option<String> = row.try_get(0).map_err(get)?;
    let limits: String = row.try_get(1).map_err(get)?;
    let kinds: String = row.try_get(2).map_err(get)?;
    Ok(PaymentRules {
        tariff: tariff.as_deref().map(rules::tariff_from_text).transpose()?,
        limits: rules::limits_from_text(&limits)?,
        disabled_kinds: rules::kinds_from_text(&kinds)?,
    })
}

pub async fn set(pool: &PgPool, partner: PartnerId, payment_rules: &PaymentRules) -> Result<(), StoreError> {
    let changed =
        sqlx::query("UPDATE partners SET payment_tariff = $2, payment_limits = $3, disabled_kinds = $4 WHERE id = $1")
            .bind(partner.get())
            .bind(payment_rules.tariff.as_ref().map(rules::tariff_to_text))
            .bind(rules::limits_to_text(&payment_rules.limits))
            .bind(rules::kinds_to_text(&payment_rules.disabled_kinds))
            .execute(pool)
            .await
            .map_err(StoreError::backend)?
            .rows_affected();
    if changed == 0 { Err(StoreError::NotFound { what: "partner" }) } else { Ok(()) }
}

use tiyn_store::rules::RESTRICTION_COLUMNS;

fn restriction(row: &PgRow) -> Result<Restriction, StoreError> {
    let get = |error: sqlx::Error| StoreError::backend(error);
    let kind: String = row.try_get(2).map_err(get)?;
    let currency: Option<String> = row.try_get(4).map_err(get)?;
    let allowed: Option<String> = row.try_get(5).map_err(get)?;
    let creditor_name: Option<String> = row.try_get(11).map_err(get)?;
    let creditor_taxpayer_id: Option<String> = row.try_get(12).map_err(get)?;
    let creditor_iban: Option<String> = row.try_get(13).map_err(get)?;
    let creditor_kbe: Option<String> = row.try_get(15).map_err(get)?;
    let knp: Option<String> = row.try_get(16).map_err(get)?;
    let kbk: Option<String> = row.try_get(17).map_err(get)?;
    let columns = rules::RestrictionColumnsRead {
        amount: row.try_get(3).map_err(get)?,
        currency: currency.as_deref(),
        allowed_kinds: allowed.as_deref(),
        priority: row.try_get::<Option<i16>, _>(10).map_err(get)?.map(i64::from),
        creditor_name: creditor_name.as_deref(),
        creditor_taxpayer_id: creditor_taxpayer_id.as_deref(),
        creditor_iban: creditor_iban.as_deref(),
        collected: row.try_get(14).map_err(get)?,
        creditor_kbe: creditor_kbe.as_deref(),
        knp: knp.as_deref(),
        kbk: kbk.as_deref(),
    };
    let instant = |micros: i64| Timestamp::from_microsecond(micros).map_err(StoreError::backend);
    Ok(Restriction {
        id: row.try_get(0).map_err(get)?,
        account: AccountId::new(row.try_get(1).map_err(get)?),
        kind: rules::restriction_kind(&kind, columns)?,
        reference: row.try_get(6).map_err(get)?,
        created_by: row.try_get::<Option<i64>, _>(7).map_err(get)?.map(UserId::new),
        created_at: instant(row.try_get(8).map_err(get)?)?,
        lifted_at: row.try_get::<Option<i64>, _>(9).map_err(get)?.map(instant).transpose()?,
    })
}

pub async fn of_account(connection: &mut PgConnection, account: AccountId) -> Result<Vec<Restriction>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {RESTRICTION_COLUMNS} FROM restrictions WHERE account_id = $1 ORDER BY id DESC"
    )))
    .bind(account.get())
    .fetch_all(&mut *connection)
    .await
    .map_err(StoreError::backend)?;
    rows.iter().map(restriction).collect()
}

pub async fn of_account_in(pool: &PgPool, account: AccountId) -> Result<Vec<Restriction>, StoreError> {
    let mut connection = pool.acquire().await.map_err(StoreError::backend)?;
    of_account(&mut connection, account).await
}

pub async fn add(pool: &PgPool, new: &NewRestriction) -> Result<Restriction, StoreError> {
    let columns = rules::restriction_columns(&new.kind);
    let row = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO restrictions (account_id, kind, amount, currency, allowed_kinds, reference, created_by, created_at,
             priority, creditor_name, creditor_taxpayer_id, creditor_iban, collected, creditor_kbe, knp, kbk)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1)
         RETURNING {RESTRICTION_COLUMNS}"
    )))
    .bind(new.account.get())
    .bind(columns.kind)
    .bind(columns.amount)
    .bind(columns.currency)
    .bind(columns.allowed_kinds)
    .bind(&new.reference)
    .bind(new.created_by.map(UserId::get))
    .bind(new.created_at.as_microsecond())
    .bind(columns.priority.map(|priority| priority as i16))
    .bind(columns.creditor_name)
    .bind(columns.creditor_taxpayer_id)
    .bind(columns.creditor_iban)
    .bind(columns.collected)
    .bind(columns.creditor_kbe)
    .bind(columns.knp)
    .bind(columns.kbk)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::backend)?
    .ok_or(StoreError::NotFound { what: "account" })?;
    restriction(&row)
}

pub async fn lift(pool: &PgPool, account: AccountId, id: i64, at: Timestamp) -> Result<(), StoreError> {
    let lifted =
        sqlx::query("UPDATE restrictions SET lifted_at = $3 WHERE id = $1 AND account_id = $2 AND lifted_at IS NULL")
            .bind(id)
            .bind(account.get())
            .bind(at.as_microsecond())
            .execute(pool)
            .await
            .map_err(StoreError::backend)?
            .rows_affected();
    if lifted == 1 {
        return Ok(());
    }
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM restrictions WHERE id = $1 AND account_id = $2)")
            .bind(id)
            .bind(account.get())
            .fetch_one(pool)
            .await
            .map_err(StoreError::backend)?;
    Err(if exists { StoreError::Conflict("already_lifted") } else { StoreError::NotFound { what: "restriction" } })
}

pub async fn replace_aml(pool: &PgPool, entries: &[AmlEntry], at: Timestamp) -> Result<(), StoreError> {
    let mut transaction = pool.begin().await.map_err(StoreError::backend)?;
    sqlx::query("DELETE FROM aml_list").execute(&mut *transaction).await.map_err(StoreError::backend)?;
    let names: Vec<String> = entries.iter().map(|entry| entry.name.clone()).collect();
    let keys: Vec<String> = entries.iter().map(|entry| rules::aml_name_key(&entry.name)).collect();
    let ids: Vec<Option<String>> = entries.iter().map(|entry| entry.taxpayer_id.clone()).collect();
    sqlx::query(
        "INSERT INTO aml_list (name, name_key, taxpayer_id, loaded_at)
         SELECT name, key, id, $4 FROM UNNEST($1::text[], $2::text[], $3::text[]) AS e (name, key, id)",
    )
    .bind(&names)
    .bind(&keys)
    .bind(&ids)
    .bind(at.as_microsecond())
    .execute(&mut *transaction)
    .await
    .map_err(StoreError::backend)?;
    transaction.commit().await.map_err(StoreError::backend)
}

pub async fn aml(pool: &PgPool) -> Result<Vec<AmlEntry>, StoreError> {
    let rows = sqlx::query("SELECT name, taxpayer_id FROM aml_list ORDER BY id")
        .fetch_all(pool)
        .await
        .map_err(StoreError::backend)?;
    rows.iter()
        .map(|row| {
            Ok(AmlEntry {
                name: row.try_get(0).map_err(StoreError::backend)?,
                taxpayer_id: row.try_get(1).map_err(StoreError::backend)?,
            })
        })
        .collect()
}

/// The payer account's active restrictions and its balance and holds, read in the transaction
/// that runs the payment (after the account was locked).
pub async fn payer_state(
    connection: &mut PgConnection,
    account: AccountId,
) -> Result<(Vec<Restriction>, i64, i64), StoreError> {
    let restrictions: Vec<Restriction> = of_account(&mut *connection, account)
        .await?
        .into_iter()
        .filter(|restriction| restriction.lifted_at.is_none())
        .collect();
    let row = sqlx::query("SELECT balance, held FROM accounts WHERE id = $1 FOR UPDATE")
        .bind(account.get())
        .fetch_one(&mut *connection)
        .await
        .map_err(StoreError::backend)?;
    Ok((restrictions, row.try_get(0).map_err(StoreError::backend)?, row.try_get(1).map_err(StoreError::backend)?))
}

/// Collects the account's outstanding collection orders (see `Store::collect`). Locks the account
/// and the clearing account (ascending ids, the order every transaction uses) before reading the
/// orders, so two processes collecting at once run one after the other and the second sees what
/// the first collected.
pub async fn collect(pool: &PgPool, request: &CollectFrom) -> Result<Vec<Collected>, StoreError> {
    with_retries!(collect_once(pool, request))
}

async fn collect_once(pool: &PgPool, request: &CollectFrom) -> Result<Vec<Collected>, TxError> {
    let mut transaction = pool.begin().await?;
    // The account, clearing and the creditors' accounts at this bank, locked in one ascending
    // order before the balance is read.
    sqlx::query(
        "SELECT id FROM accounts WHERE id = ANY($1) OR id IN (
             SELECT creditor.id FROM restrictions JOIN accounts creditor
                 ON creditor.iban = restrictions.creditor_iban AND creditor.currency = restrictions.currency
             WHERE restrictions.account_id = $2 AND restrictions.kind = 'collection_order'
                 AND restrictions.lifted_at IS NULL)
         ORDER BY id FOR UPDATE",
    )
    .bind(vec![request.account.get(), request.clearing.get()])
    .bind(request.account.get())
    .execute(&mut *transaction)
    .await?;
    let (restrictions, balance, held) = payer_state(&mut transaction, request.account).await?;
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
        let creditor_account = own_account(&mut transaction, &order.creditor().iban, order.amount().currency()).await?;
        let to = creditor_account.unwrap_or(request.clearing);
        let command = rules::collection_command(&planned, request.account, to, &restriction.reference, request.at)?;
        let executed = crate::ledger::decide_and_write(&mut transaction, std::slice::from_ref(&command))
            .await?
            .pop()
            .ok_or_else(|| StoreError::backend("the ledger answered nothing"))??;
        let tiyn_ledger::Receipt::Posted { entry } = executed.receipt else {
            return Err(StoreError::backend("a collection's command did not post").into());
        };
        let after = planned.collected_before.minor() + planned.amount.minor();
        let paid_off: bool = sqlx::query_scalar(
            "UPDATE restrictions SET collected = $3, lifted_at = CASE WHEN $3 = amount THEN $4 END
             WHERE id = $1 AND collected = $2 AND lifted_at IS NULL RETURNING lifted_at IS NOT NULL",
        )
        .bind(planned.restriction)
        .bind(planned.collected_before.minor())
        .bind(after)
        .bind(request.at.as_microsecond())
        .fetch_one(&mut *transaction)
        .await?;
        let collection: i64 = sqlx::query_scalar(
            "INSERT INTO collections (restriction_id, entry_id, amount, collected_at) VALUES ($1, $2, $3, $4)
             RETURNING id",
        )
        .bind(planned.restriction)
        .bind(entry.get())
        .bind(planned.amount.minor())
        .bind(request.at.as_microsecond())
        .fetch_one(&mut *transaction)
        .await?;
        let message_id = (creditor_account.is_none() && rules::collection_is_sent(order))
            .then(|| rules::collection_message_id(collection));
        if let Some(message_id) = &message_id {
            sqlx::query(
                "INSERT INTO gateway_outbox (message_id, collection_id, partner_id, created_at, next_attempt_at)
                 SELECT $1, $2, partner_id, $3, $3 FROM accounts WHERE id = $4",
            )
            .bind(message_id)
            .bind(collection)
            .bind(request.at.as_microsecond())
            .bind(request.account.get())
            .execute(&mut *transaction)
            .await?;
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
    transaction.commit().await?;
    Ok(done)
}

/// The account of this bank with this IBAN in this currency.
async fn own_account(
    connection: &mut PgConnection,
    iban: &Iban,
    currency: Currency,
) -> Result<Option<AccountId>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE iban = $1 AND currency = $2")
        .bind(iban.as_str())
        .bind(currency.code())
        .fetch_optional(&mut *connection)
        .await?;
    Ok(id.map(AccountId::new))
}

pub async fn accounts_to_collect(pool: &PgPool) -> Result<Vec<AccountId>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT account_id FROM restrictions WHERE kind = 'collection_order' AND lifted_at IS NULL
         ORDER BY account_id",
    )
    .fetch_all(pool)
    .await
    .map_err(StoreError::backend)?;
    Ok(ids.into_iter().map(AccountId::new).collect())
}

fn collection_row(row: &PgRow) -> Result<rules::CollectionRow, sqlx::Error> {
    Ok(rules::CollectionRow {
        id: row.try_get(0)?,
        restriction: row.try_get(1)?,
        account: row.try_get(2)?,
        amount: row.try_get(3)?,
        currency: row.try_get(4)?,
        entry: row.try_get(5)?,
        collected_at: row.try_get(6)?,
        message_id: row.try_get(7)?,
        outcome: row.try_get(8)?,
        reason: row.try_get(9)?,
        return_entry: row.try_get(10)?,
        decided_at: row.try_get(11)?,
    })
}

pub async fn collection(pool: &PgPool, id: i64) -> Result<Option<rules::CollectionRecord>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("{} WHERE collections.id = $1", rules::COLLECTION_SELECT)))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::backend)?;
    row.map(|row| collection_row(&row).map_err(StoreError::backend)?.into_record()).transpose()
}

async fn collection_by_message_in(
    connection: &mut PgConnection,
    message_id: &str,
    lock: bool,
) -> Result<Option<rules::CollectionRecord>, TxError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "{} WHERE gateway_outbox.message_id = $1{}",
        rules::COLLECTION_SELECT,
        if lock { " FOR UPDATE OF gateway_outbox" } else { "" }
    )))
    .bind(message_id)
    .fetch_optional(&mut *connection)
    .await?;
    row.map(|row| collection_row(&row)?.into_record().map_err(TxError::from)).transpose()
}

pub async fn collection_by_message(
    pool: &PgPool,
    message_id: &str,
) -> Result<Option<rules::CollectionRecord>, StoreError> {
    let mut connection = pool.acquire().await.map_err(StoreError::backend)?;
    collection_by_message_in(&mut connection, message_id, false).await.map_err(|error| match error {
        TxError::Store(error) => error,
        TxError::Sql(error) => StoreError::backend(error),
    })
}

pub async fn settle_collection(
    pool: &PgPool,
    settlement: &rules::CollectionSettlement,
) -> Result<rules::CollectionOutcome, StoreError> {
    with_retries!(settle_collection_once(pool, settlement))
}

async fn settle_collection_once(
    pool: &PgPool,
    settlement: &rules::CollectionSettlement,
) -> Result<rules::CollectionOutcome, TxError> {
    let mut transaction = pool.begin().await?;
    // The outbox row's lock makes concurrent answers for one message apply one after the other.
    let record = collection_by_message_in(&mut transaction, &settlement.message_id, true)
        .await?
        .ok_or(StoreError::NotFound { what: "collection" })?;
    if let Some(outcome) = record.outcome {
        return Ok(outcome);
    }
    let at = settlement.at.as_microsecond();
    let outcome = match &settlement.result {
        rules::CollectionResult::Settled => {
            sqlx::query(
                "INSERT INTO collection_outcomes (collection_id, outcome, decided_at) VALUES ($1, 'settled', $2)",
            )
            .bind(record.id)
            .bind(at)
            .execute(&mut *transaction)
            .await?;
            rules::CollectionOutcome::Settled { at: settlement.at }
        }
        rules::CollectionResult::Returned { command, reason } => {
            let executed = crate::ledger::decide_and_write(&mut transaction, std::slice::from_ref(command))
                .await?
                .pop()
                .ok_or_else(|| StoreError::backend("the ledger answered nothing"))??;
            let tiyn_ledger::Receipt::Posted { entry } = executed.receipt else {
                return Err(StoreError::backend("a returned collection's command did not post").into());
            };
            sqlx::query(
                "INSERT INTO collection_outcomes (collection_id, outcome, reason, return_entry_id, decided_at)
                 VALUES ($1, 'returned', $2, $3, $4)",
            )
            .bind(record.id)
            .bind(reason)
            .bind(entry.get())
            .bind(at)
            .execute(&mut *transaction)
            .await?;
            sqlx::query(
                "UPDATE restrictions SET collected = collected - $2, lifted_at = COALESCE(lifted_at, $3) WHERE id = $1",
            )
            .bind(record.restriction)
            .bind(record.amount.minor())
            .bind(at)
            .execute(&mut *transaction)
            .await?;
            rules::CollectionOutcome::Returned { at: settlement.at, reason: reason.clone(), entry }
        }
    };
    transaction.commit().await?;
    Ok(outcome)
}
