//! POS terminals, their operations and planned credits on SQLite (issue 6, R-3.1.2.4,
//! R-3.1.2.5). Writes run on the writer thread, each in its own savepoint of the group commit;
//! reads on the reader pool, each one short query.

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyn_core::{AccountId, Currency, PartnerId};
use tiyn_store::StoreError;
use tiyn_store::pos::{
    BUSINESS_DAY_SQL, CreditPosOperations, IDEMPOTENCY_CONFLICT, KnownOperation, NewPosOperation, NewPosTerminal,
    OPERATION_COLUMNS, OPERATIONS_PAGE_MAX, PLANNED_GROUP, PLANNED_ROWS_MAX, PLANNED_SELECT, PlannedPosCredit,
    PlannedRow, PosIngested, PosOperation, PosOperationRow, PosOperationsQuery, PosPeriodTotals, PosSettlementState,
    PosTerminal, PosTerminalRow, SETTLEMENT_OPERATIONS_SELECT, TERMINAL_COLUMNS, TERMINAL_OF_ANOTHER_PARTNER,
    TERMINALS_MAX, TerminalSaved, TotalsRow, check_credited, fold_planned, fold_totals, settlement_plan,
};

fn terminal_row(row: &Row<'_>) -> rusqlite::Result<PosTerminalRow> {
    Ok(PosTerminalRow {
        id: row.get(0)?,
        partner_id: row.get(1)?,
        terminal_id: row.get(2)?,
        address: row.get(3)?,
        status: row.get(4)?,
        settlement_account_id: row.get(5)?,
        created_at: row.get(6)?,
    })
}

fn operation_row(row: &Row<'_>) -> rusqlite::Result<PosOperationRow> {
    Ok(PosOperationRow {
        id: row.get(0)?,
        terminal: row.get(1)?,
        terminal_code: row.get(2)?,
        operation_id: row.get(3)?,
        occurred_at: row.get(4)?,
        kind: row.get(5)?,
        status: row.get(6)?,
        card_masked: row.get(7)?,
        amount: row.get(8)?,
        currency: row.get(9)?,
        fee: row.get(10)?,
        settlement_date: row.get(11)?,
        credited_entry: row.get(12)?,
    })
}

fn planned_row(row: &Row<'_>) -> rusqlite::Result<PlannedRow> {
    Ok(PlannedRow {
        account: row.get(0)?,
        settlement_date: row.get(1)?,
        currency: row.get(2)?,
        kind: row.get(3)?,
        count: row.get(4)?,
        amount: row.get(5)?,
        fee: row.get(6)?,
        through_operation: row.get(7)?,
    })
}

pub fn terminal(connection: &Connection, terminal_id: &str) -> Result<Option<PosTerminal>, StoreError> {
    let sql = format!("SELECT {TERMINAL_COLUMNS} FROM pos_terminals WHERE terminal_id = ?1");
    let row = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.query_row(params![terminal_id], terminal_row).optional())
        .map_err(StoreError::backend)?;
    row.map(PosTerminalRow::into_record).transpose()
}

pub fn terminals(connection: &Connection, partner: PartnerId) -> Result<Vec<PosTerminal>, StoreError> {
    let sql = format!(
        "SELECT {TERMINAL_COLUMNS} FROM pos_terminals WHERE partner_id = ?1 ORDER BY terminal_id LIMIT {TERMINALS_MAX}"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = statement.query_map(params![partner.get()], terminal_row).map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?.into_record()).collect()
}

pub fn save_terminal(
    connection: &mut Connection,
    new: &NewPosTerminal,
) -> Result<(PosTerminal, TerminalSaved), StoreError> {
    let existing = terminal(connection, &new.terminal_id)?;
    let at = new.at.as_microsecond();
    let saved = match &existing {
        Some(stored) if stored.partner != new.partner => return Err(StoreError::Conflict(TERMINAL_OF_ANOTHER_PARTNER)),
        Some(stored)
            if stored.address == new.address
                && stored.status == new.status
                && stored.settlement_account == new.settlement_account =>
        {
            TerminalSaved::Unchanged
        }
        Some(stored) => {
            connection
                .execute(
                    "UPDATE pos_terminals SET address = ?1, status = ?2, settlement_account_id = ?3, updated_at = ?4
                     WHERE id = ?5",
                    params![new.address, new.status.as_str(), new.settlement_account.get(), at, stored.id],
                )
                .map_err(StoreError::backend)?;
            TerminalSaved::Updated
        }
        None => {
            connection
                .execute(
                    "INSERT INTO pos_terminals (partner_id, terminal_id, address, status, settlement_account_id,
                         created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    params![
                        new.partner.get(),
                        new.terminal_id,
                        new.address,
                        new.status.as_str(),
                        new.settlement_account.get(),
                        at
                    ],
                )
                .map_err(StoreError::backend)?;
            TerminalSaved::Created
        }
    };
    let stored = terminal(connection, &new.terminal_id)?
        .ok_or_else(|| StoreError::backend("a terminal just written is missing"))?;
    debug_assert_eq!(stored.partner, new.partner);
    Ok((stored, saved))
}

fn stored_operation(connection: &Connection, operation_id: &str) -> Result<Option<PosOperationRow>, StoreError> {
    let sql = format!(
        "SELECT {OPERATION_COLUMNS} FROM pos_operations o JOIN pos_terminals t ON t.id = o.terminal_id
         WHERE o.operation_id = ?1"
    );
    connection
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.query_row(params![operation_id], operation_row).optional())
        .map_err(StoreError::backend)
}

/// The whole batch runs in the writer's savepoint; each item decides alone (a conflict writes
/// nothing for that item and does not affect the others).
pub fn ingest(
    connection: &mut Connection,
    operations: &[NewPosOperation],
) -> Result<Vec<Result<PosIngested, StoreError>>, StoreError> {
    let mut results = Vec::with_capacity(operations.len());
    for operation in operations {
        operation.validate()?;
        if let Some(stored) = stored_operation(connection, &operation.operation_id)? {
            results.push(match operation.against(&stored) {
                KnownOperation::Repeat => Ok(PosIngested::replayed(stored.id)),
                KnownOperation::Settlement => {
                    connection
                        .prepare_cached(
                            "UPDATE pos_operations SET status = 'settled', settlement_date = ?2
                             WHERE id = ?1 AND status = 'approved'",
                        )
                        .and_then(|mut statement| {
                            statement
                                .execute(params![stored.id, operation.settlement_date.map(|date| date.to_string())])
                        })
                        .map_err(StoreError::backend)?;
                    Ok(PosIngested::settled(stored.id))
                }
                KnownOperation::Conflict => Err(StoreError::Conflict(IDEMPOTENCY_CONFLICT)),
            });
            continue;
        }
        let id = connection
            .prepare_cached(
                "INSERT INTO pos_operations (terminal_id, operation_id, occurred_at, kind, status, card_masked, amount,
                     currency, fee, settlement_date, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
            )
            .and_then(|mut statement| {
                statement.query_row(
                    params![
                        operation.terminal,
                        operation.operation_id,
                        operation.occurred_at.as_microsecond(),
                        operation.kind.as_str(),
                        operation.status.as_str(),
                        operation.card.as_str(),
                        operation.amount.minor(),
                        operation.amount.currency().code(),
                        operation.fee.minor(),
                        operation.settlement_date.map(|date| date.to_string()),
                        operation.received_at.as_microsecond()
                    ],
                    |row| row.get::<_, i64>(0),
                )
            })
            .map_err(StoreError::backend)?;
        results.push(Ok(PosIngested::created(id)));
    }
    debug_assert_eq!(results.len(), operations.len());
    Ok(results)
}

pub fn operations(connection: &Connection, query: &PosOperationsQuery) -> Result<Vec<PosOperation>, StoreError> {
    let limit = query.limit.clamp(1, OPERATIONS_PAGE_MAX);
    let (after_at, after_id) = match query.after {
        Some(cursor) => (cursor.occurred_at_us, cursor.id),
        None => (i64::MIN, i64::MIN),
    };
    let sql = format!(
        "SELECT {OPERATION_COLUMNS} FROM pos_operations o JOIN pos_terminals t ON t.id = o.terminal_id
         WHERE o.terminal_id = ?1 AND o.occurred_at >= ?2 AND o.occurred_at < ?3
           AND (o.occurred_at > ?4 OR (o.occurred_at = ?4 AND o.id > ?5))
         ORDER BY o.occurred_at, o.id LIMIT ?6"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = statement
        .query_map(params![query.terminal, query.from_us, query.to_us, after_at, after_id, limit as i64], operation_row)
        .map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?.into_operation()).collect()
}

pub fn totals(
    connection: &Connection,
    terminal: i64,
    currency: Currency,
    from_us: i64,
    to_us: i64,
) -> Result<PosPeriodTotals, StoreError> {
    let sql = format!(
        "SELECT CAST({BUSINESS_DAY_SQL} AS TEXT), o.kind, o.status, COUNT(*), SUM(o.amount), SUM(o.fee)
         FROM pos_operations o
         WHERE o.terminal_id = ?1 AND o.occurred_at >= ?2 AND o.occurred_at < ?3
         GROUP BY 1, 2, 3"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = statement
        .query_map(params![terminal, from_us, to_us], |row| {
            Ok(TotalsRow {
                key: row.get(0)?,
                kind: row.get(1)?,
                status: row.get(2)?,
                count: row.get(3)?,
                amount: row.get(4)?,
                fee: row.get(5)?,
            })
        })
        .map_err(StoreError::backend)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::backend)?;
    fold_totals(&rows, currency)
}

fn planned_rows(
    connection: &Connection,
    filter: &str,
    parameters: &[&dyn rusqlite::ToSql],
) -> Result<Vec<PlannedRow>, StoreError> {
    let sql = format!("{PLANNED_SELECT} WHERE {filter} {PLANNED_GROUP} LIMIT {PLANNED_ROWS_MAX}");
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = statement.query_map(parameters, planned_row).map_err(StoreError::backend)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(StoreError::backend)
}

/// Settled, not yet credited, with a settlement date.
const PLANNED: &str = "o.status = 'settled' AND o.credited_entry IS NULL AND o.settlement_date IS NOT NULL";

pub fn planned(connection: &Connection, partner: PartnerId) -> Result<Vec<PlannedPosCredit>, StoreError> {
    let rows = planned_rows(connection, &format!("{PLANNED} AND t.partner_id = ?1"), &[&partner.get()])?;
    fold_planned(&rows)
}

pub fn settlement(connection: &Connection, account: AccountId, date: Date) -> Result<PosSettlementState, StoreError> {
    let date_text = date.to_string();
    let parameters: [&dyn rusqlite::ToSql; 2] = [&account.get(), &date_text];
    let sql = format!(
        "{SETTLEMENT_OPERATIONS_SELECT} WHERE {PLANNED} AND t.settlement_account_id = ?1 AND o.settlement_date = ?2 \
         ORDER BY o.id"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let operations = statement
        .query_map(&parameters[..], planned_row)
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(StoreError::backend)?;
    let (planned, operations) = settlement_plan(&operations)?;
    let credited = planned_rows(
        connection,
        "o.status = 'settled' AND o.credited_entry IS NOT NULL AND t.settlement_account_id = ?1 \
         AND o.settlement_date = ?2",
        &parameters,
    )?;
    Ok(PosSettlementState {
        planned,
        operations,
        credited: fold_planned(&credited)?.into_iter().next().map(|credit| credit.totals),
    })
}

pub fn credit(connection: &mut Connection, credit: &CreditPosOperations) -> Result<u64, StoreError> {
    let entry: Option<i64> = connection
        .query_row("SELECT entry_id FROM incoming_credits WHERE message_id = ?1", params![credit.message_id], |row| {
            row.get(0)
        })
        .optional()
        .map_err(StoreError::backend)?;
    let entry = entry.ok_or(StoreError::NotFound { what: "settlement credit" })?;
    // The plan's ids as a JSON array, read back by `json_each`.
    let ids = format!("[{}]", credit.operations.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    connection
        .execute(
            "UPDATE pos_operations SET credited_entry = ?1
             WHERE id IN (SELECT value FROM json_each(?2)) AND status = 'settled' AND credited_entry IS NULL",
            params![entry, ids],
        )
        .map_err(StoreError::backend)?;
    // What the entry covers among the plan's operations, whether marked now or by a repeat.
    let covered = planned_rows(
        connection,
        "o.credited_entry = ?1 AND o.id IN (SELECT value FROM json_each(?2))",
        &[&entry, &ids],
    )?;
    check_credited(credit, &covered)
}
