//! Account statements on PostgreSQL (issue 6): the totals and the snapshot, pages of lines, and
//! the booking of an incoming credit with its payer's details. The SQL and the reading of rows
//! are `tiyn_store::statements`', shared with SQLite.
//!
//! # The snapshot
//!
//! Posting ids come from a sequence, so a transaction may hold a small id while a larger one is
//! already committed: the largest visible id alone bounds nothing. But every posting is written
//! under its account's row lock (`FOR UPDATE`, taken before the ids are drawn). So the account's
//! row is taken `FOR SHARE` first: that waits for every transaction posting to the account to
//! end, and no new one can start posting until the lock is released. So while it is held every
//! posting of the account is committed, and the last committed posting id read under it (of any
//! account: ids come from one sequence) is below every id the account's later postings draw. The lock is held for two index lookups only.

use std::sync::LazyLock;

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use tiyn_core::AccountId;
use tiyn_ledger::{Command, Executed, Receipt};
use tiyn_store::StoreError;
use tiyn_store::statements::{
    self, ColumnReader, IncomingCreditDetails, LINES_JOINS_NESTED, LINES_ORDER, LINES_SELECT, LineContext, LineCursor,
    LinesPage, LinesRequest, Period, StatementRow, StatementTotals, TotalsRow,
};

use crate::rows;
use crate::tx::{ATTEMPTS_MAX, TxError, retryable, with_retries};

static THROUGH_SQL: LazyLock<String> = LazyLock::new(|| statements::dollar_placeholders(statements::THROUGH_SQL));
static TOTALS_SQL: LazyLock<String> = LazyLock::new(|| statements::dollar_placeholders(statements::TOTALS_SQL));
/// A page of lines, with the joins grouped (see [`LINES_JOINS_NESTED`]).
static LINES_SQL: LazyLock<String> =
    LazyLock::new(|| statements::dollar_placeholders(&format!("{LINES_SELECT}{LINES_JOINS_NESTED}{LINES_ORDER}")));
static PAGE_END_SQL: LazyLock<String> = LazyLock::new(|| statements::dollar_placeholders(statements::PAGE_END_SQL));
static INSERT_INCOMING_CREDIT_SQL: LazyLock<String> =
    LazyLock::new(|| statements::dollar_placeholders(statements::INSERT_INCOMING_CREDIT_SQL));

/// A PostgreSQL row as the shared readers see it.
struct Columns<'a>(&'a PgRow);

impl ColumnReader for Columns<'_> {
    fn int(&self, index: usize) -> Result<Option<i64>, StoreError> {
        self.0.try_get(index).map_err(StoreError::backend)
    }

    fn text(&self, index: usize) -> Result<Option<String>, StoreError> {
        self.0.try_get(index).map_err(StoreError::backend)
    }
}

pub async fn totals(pool: &PgPool, account: AccountId, period: Period) -> Result<StatementTotals, StoreError> {
    let (currency, through) = with_retries!(snapshot_bound(pool, account))?;
    let currency = rows::currency(&currency)?;
    let (start, end) = statements::period_instants(period)?;
    let row = sqlx::query(TOTALS_SQL.as_str())
        .bind(account.get())
        .bind(through)
        .bind(start)
        .bind(end)
        .fetch_one(pool)
        .await
        .map_err(StoreError::backend)?;
    let totals = TotalsRow::read(&Columns(&row))?;
    statements::totals_from(account, currency, period, totals, through)
}

/// The account's currency and the last posting id, read under its row's share lock (see the module
/// documentation).
async fn snapshot_bound(pool: &PgPool, account: AccountId) -> Result<(String, i64), TxError> {
    let mut transaction = pool.begin().await?;
    let currency: Option<String> = sqlx::query_scalar("SELECT currency FROM accounts WHERE id = $1 FOR SHARE")
        .bind(account.get())
        .fetch_optional(&mut *transaction)
        .await?;
    let currency = currency.ok_or(StoreError::NotFound { what: "account" })?;
    let through: i64 = sqlx::query_scalar(THROUGH_SQL.as_str()).fetch_one(&mut *transaction).await?;
    transaction.commit().await?;
    Ok((currency, through))
}

/// The plan of a page of lines, for its transaction only: the page's postings read in order from
/// the index `postings_lines`, and joined by nested loops. A page is at most
/// [`statements::PAGE_POSTINGS_MAX`] postings of a range of the index, each joined to its entry,
/// document, credit and collection by a unique key: index probes, whatever the tables' sizes.
/// Left to its costs, the planner hash-joined them with a (parallel) sequential scan of the whole
/// `entries` table once the tables had statistics (165–215 ms a page at 1,000,000 entries, even
/// with `random_page_cost` at an SSD's 1.1), and before they had any it read all of the period's
/// postings by a bitmap and sorted them to keep 5,000 (44 ms for 150,000); in order from the
/// index it is 1 ms (`EXPLAIN ANALYZE`, `docs/benchmarks.md`). The joins run in the order
/// written ([`LINES_JOINS_NESTED`] says why). With those settings one plan suits every page, so
/// the prepared statement's generic plan is used from the first page on instead of planning each
/// page again.
const PAGE_PLAN: &str = "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), \
     set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true), \
     set_config('join_collapse_limit', '1', true), set_config('plan_cache_mode', 'force_generic_plan', true)";

/// A transaction planned for a page ([`PAGE_PLAN`]).
async fn page_transaction(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
    let mut transaction = pool.begin().await.map_err(StoreError::backend)?;
    sqlx::query(PAGE_PLAN).execute(&mut *transaction).await.map_err(StoreError::backend)?;
    Ok(transaction)
}

pub async fn page_end(pool: &PgPool, request: &LinesRequest) -> Result<Option<LineCursor>, StoreError> {
    let mut query = sqlx::query(PAGE_END_SQL.as_str());
    for parameter in statements::page_end_parameters(request)? {
        query = query.bind(parameter);
    }
    let mut transaction = page_transaction(pool).await?;
    let row = query.fetch_optional(&mut *transaction).await.map_err(StoreError::backend)?;
    transaction.commit().await.map_err(StoreError::backend)?;
    row.map(|row| statements::cursor_row(&Columns(&row))).transpose()
}

pub async fn lines(pool: &PgPool, request: &LinesRequest) -> Result<LinesPage, StoreError> {
    let parameters = statements::lines_parameters(request)?;
    let mut query = sqlx::query(LINES_SQL.as_str());
    for parameter in parameters {
        query = query.bind(parameter);
    }
    let mut transaction = page_transaction(pool).await?;
    let rows = query.fetch_all(&mut *transaction).await.map_err(StoreError::backend)?;
    transaction.commit().await.map_err(StoreError::backend)?;
    let rows = rows.iter().map(|row| StatementRow::read(&Columns(row))).collect::<Result<Vec<_>, StoreError>>()?;
    debug_assert!(rows.len() <= request.limit, "the query's LIMIT holds");
    let context = LineContext {
        account: request.account,
        currency: request.currency,
        period: request.period,
        bank: &request.bank,
    };
    statements::page_of(rows, &context)
}

/// The credit's command and its details in one transaction, run again from fresh reads after a
/// deadlock, a serialization failure, or another process executing the same key first (whose
/// result the next attempt answers as a replay).
pub async fn book_incoming_credit(
    pool: &PgPool,
    command: &Command,
    details: &IncomingCreditDetails,
) -> Result<Executed, StoreError> {
    let mut attempt = 1;
    loop {
        match book_once(pool, command, details).await {
            Ok(executed) => return Ok(executed),
            Err(TxError::Sql(error)) if attempt < ATTEMPTS_MAX && (retryable(&error) || unique_violation(&error)) => {
                tracing::debug!(%error, attempt, "booking an incoming credit conflicted; running it again");
                attempt += 1;
            }
            Err(TxError::Sql(error)) => return Err(StoreError::backend(error)),
            Err(TxError::Store(error)) => return Err(error),
        }
    }
}

fn unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(database) if database.code().as_deref() == Some(crate::UNIQUE_VIOLATION))
}

async fn book_once(pool: &PgPool, command: &Command, details: &IncomingCreditDetails) -> Result<Executed, TxError> {
    let mut transaction = pool.begin().await?;
    let executed = crate::ledger::decide_and_write(&mut transaction, std::slice::from_ref(command))
        .await?
        .pop()
        .ok_or_else(|| StoreError::backend("the ledger answered nothing"))??;
    if !executed.replayed {
        let Receipt::Posted { entry } = executed.receipt else {
            return Err(StoreError::backend("an incoming credit's command did not post").into());
        };
        let columns = details.columns();
        sqlx::query(INSERT_INCOMING_CREDIT_SQL.as_str())
            .bind(entry.get())
            .bind(columns.message_id)
            .bind(columns.payer_name)
            .bind(columns.payer_taxpayer_id)
            .bind(columns.payer_iban)
            .bind(columns.payer_bic)
            .bind(columns.knp)
            .bind(columns.purpose)
            .bind(columns.received_at)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    Ok(executed)
}
