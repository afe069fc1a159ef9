//! The bank's payment rules on PostgreSQL: a partner's tariff, limits and switched-off kinds;
//! restrictions on accounts; the AML list.

use jiff::Timestamp;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, PgPool, Row};

use crate::tx::{TxError, with_retries};
use tiyn_core::{AccountId, PartnerId, UserId};
use tiyn_store::StoreError;
use tiyn_store::rules::{self, AmlEntry, CollectFrom, Collected, NewRestriction, PaymentRules, Restriction};

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
    let columns = rules::RestrictionColumnsRead {
        amount: row.try_get(3).map_err(get)?,
        currency: currency.as_deref(),
        allowed_kinds: allowed.as_deref(),
        priority: row.try_get::<Option<i16>, _>(10).map_err(get)?.map(i64::from),
        creditor_name: creditor_name.as_deref(),
        creditor_taxpayer_id: creditor_taxpayer_id.as_deref(),
        creditor_iban: creditor_iban.as_deref(),
        collected: row.try_get(14).map_err(get)?,
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
             priority, creditor_name, creditor_taxpayer_id, creditor_iban, collected)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1)
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
    sqlx::query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE")
        .bind(vec![request.account.get(), request.clearing.get()])
        .execute(&mut *transaction)
        .await?;
    let (restrictions, balance, held) = payer_state(&mut transaction, request.account).await?;
    let mut done = Vec::new();
    for planned in rules::collection_plan(&restrictions, balance - held) {
        let Some(restriction) = restrictions.iter().find(|restriction| restriction.id == planned.restriction) else {
            continue;
        };
        let command =
            rules::collection_command(&planned, request.account, request.clearing, &restriction.reference, request.at)?;
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
        sqlx::query("INSERT INTO collections (restriction_id, entry_id, amount, collected_at) VALUES ($1, $2, $3, $4)")
            .bind(planned.restriction)
            .bind(entry.get())
            .bind(planned.amount.minor())
            .bind(request.at.as_microsecond())
            .execute(&mut *transaction)
            .await?;
        done.push(Collected { restriction: planned.restriction, amount: planned.amount, entry, paid_off });
    }
    transaction.commit().await?;
    Ok(done)
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
