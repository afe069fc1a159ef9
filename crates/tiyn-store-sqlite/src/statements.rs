//! Account statements on SQLite (issue 6): the totals and the snapshot, pages of lines, and the
//! booking of an incoming credit with its payer's details. The SQL and the reading of rows are
//! `tiyn_store::statements`', shared with PostgreSQL.
//!
//! The snapshot needs no lock here: SQLite commits one write transaction at a time and gives a
//! new posting an id above every committed one, so the last posting id, read once, bounds the
//! same postings for every later read.

use std::sync::LazyLock;

use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use tiyn_core::AccountId;
use tiyn_ledger::{Command, Executed, Receipt};
use tiyn_store::StoreError;
use tiyn_store::statements::{
    self, ColumnReader, INSERT_INCOMING_CREDIT_SQL, IncomingCreditDetails, LINES_JOINS, LINES_ORDER, LINES_SELECT,
    LineContext, LineCursor, LinesPage, LinesRequest, PAGE_END_SQL, Period, StatementRow, StatementTotals, THROUGH_SQL,
    TOTALS_SQL, TotalsRow,
};

use crate::rows;

/// A page of lines, with the joins one after the other (see [`LINES_JOINS`]).
static LINES_SQL: LazyLock<String> = LazyLock::new(|| format!("{LINES_SELECT}{LINES_JOINS}{LINES_ORDER}"));

/// A rusqlite row as the shared readers see it.
struct Columns<'a, 'b>(&'a Row<'b>);

impl ColumnReader for Columns<'_, '_> {
    fn int(&self, index: usize) -> Result<Option<i64>, StoreError> {
        self.0.get(index).map_err(StoreError::backend)
    }

    fn text(&self, index: usize) -> Result<Option<String>, StoreError> {
        self.0.get(index).map_err(StoreError::backend)
    }
}

pub fn totals(connection: &Connection, account: AccountId, period: Period) -> Result<StatementTotals, StoreError> {
    let currency: Option<String> = connection
        .prepare_cached("SELECT currency FROM accounts WHERE id = ?1")
        .and_then(|mut statement| statement.query_row([account.get()], |row| row.get(0)).optional())
        .map_err(StoreError::backend)?;
    let currency = rows::currency(&currency.ok_or(StoreError::NotFound { what: "account" })?)?;
    let (start, end) = statements::period_instants(period)?;
    let through: i64 = connection
        .prepare_cached(THROUGH_SQL)
        .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
        .map_err(StoreError::backend)?;
    let totals = connection
        .prepare_cached(TOTALS_SQL)
        .and_then(|mut statement| {
            statement.query_row(params![account.get(), through, start, end], |row| Ok(TotalsRow::read(&Columns(row))))
        })
        .map_err(StoreError::backend)??;
    statements::totals_from(account, currency, period, totals, through)
}

pub fn lines(connection: &Connection, request: &LinesRequest) -> Result<LinesPage, StoreError> {
    let parameters = statements::lines_parameters(request)?;
    let mut statement = connection.prepare_cached(&LINES_SQL).map_err(StoreError::backend)?;
    let rows = statement
        .query_map(params_from_iter(parameters.iter()), |row| Ok(StatementRow::read(&Columns(row))))
        .map_err(StoreError::backend)?
        .map(|row| row.map_err(StoreError::backend)?)
        .collect::<Result<Vec<_>, StoreError>>()?;
    debug_assert!(rows.len() <= request.limit, "the query's LIMIT holds");
    let context = LineContext {
        account: request.account,
        currency: request.currency,
        period: request.period,
        bank: &request.bank,
    };
    statements::page_of(rows, &context)
}

pub fn page_end(connection: &Connection, request: &LinesRequest) -> Result<Option<LineCursor>, StoreError> {
    let parameters = statements::page_end_parameters(request)?;
    connection
        .prepare_cached(PAGE_END_SQL)
        .and_then(|mut statement| {
            statement
                .query_row(params_from_iter(parameters.iter()), |row| Ok(statements::cursor_row(&Columns(row))))
                .optional()
        })
        .map_err(StoreError::backend)?
        .transpose()
}

/// In the writer's transaction: the credit's command through the ledger, then its details with
/// the new entry. A replay (the key already executed) writes nothing.
pub fn book_incoming_credit(
    connection: &mut Connection,
    command: &Command,
    details: &IncomingCreditDetails,
) -> Result<Executed, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let executed = crate::ledger::decide_and_write(&savepoint, std::slice::from_ref(command))?
        .pop()
        .ok_or_else(|| StoreError::backend("the ledger answered nothing"))??;
    if !executed.replayed {
        let Receipt::Posted { entry } = executed.receipt else {
            return Err(StoreError::backend("an incoming credit's command did not post"));
        };
        let columns = details.columns();
        savepoint
            .prepare_cached(INSERT_INCOMING_CREDIT_SQL)
            .and_then(|mut statement| {
                statement.execute(params![
                    entry.get(),
                    columns.message_id,
                    columns.payer_name,
                    columns.payer_taxpayer_id,
                    columns.payer_iban,
                    columns.payer_bic,
                    columns.knp,
                    columns.purpose,
                    columns.received_at,
                ])
            })
            .map_err(StoreError::backend)?;
    }
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(executed)
}
