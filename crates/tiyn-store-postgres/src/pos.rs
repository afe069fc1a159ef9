//! POS terminals, their operations and planned credits on PostgreSQL (issue 6, R-3.1.2.4,
//! R-3.1.2.5). Writes are short transactions at READ COMMITTED: an operation id is claimed with
//! `INSERT … ON CONFLICT DO NOTHING`, so two processes ingesting the same operation keep one row
//! and the loser compares contents; a terminal's row is locked while it changes.

use jiff::civil::Date;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool, Postgres, Row, Transaction};
use tiyn_core::{AccountId, Currency, PartnerId};
use tiyn_store::StoreError;
use tiyn_store::pos::{
    BUSINESS_DAY_SQL, CreditPosOperations, IDEMPOTENCY_CONFLICT, KnownOperation, NewPosOperation, NewPosTerminal,
    OPERATION_COLUMNS, OPERATIONS_PAGE_MAX, PLANNED_GROUP, PLANNED_ROWS_MAX, PLANNED_SELECT, PlannedPosCredit,
    PlannedRow, PosIngested, PosOperation, PosOperationRow, PosOperationsQuery, PosPeriodTotals, PosSettlementState,
    PosTerminal, PosTerminalRow, SETTLEMENT_OPERATIONS_SELECT, TERMINAL_COLUMNS, TERMINAL_OF_ANOTHER_PARTNER,
    TERMINALS_MAX, TerminalSaved, TotalsRow, check_credited, fold_planned, fold_totals, settlement_plan,
};

// Every `AssertSqlSafe` below splices only constants of `tiyn_store::pos` and of this module.

fn terminal_row(row: &PgRow) -> Result<PosTerminalRow, sqlx::Error> {
    Ok(PosTerminalRow {
        id: row.try_get(0)?,
        partner_id: row.try_get(1)?,
        terminal_id: row.try_get(2)?,
        address: row.try_get(3)?,
        status: row.try_get(4)?,
        settlement_account_id: row.try_get(5)?,
        created_at: row.try_get(6)?,
    })
}

fn operation_row(row: &PgRow) -> Result<PosOperationRow, sqlx::Error> {
    Ok(PosOperationRow {
        id: row.try_get(0)?,
        terminal: row.try_get(1)?,
        terminal_code: row.try_get(2)?,
        operation_id: row.try_get(3)?,
        occurred_at: row.try_get(4)?,
        kind: row.try_get(5)?,
        status: row.try_get(6)?,
        card_masked: row.try_get(7)?,
        amount: row.try_get(8)?,
        currency: row.try_get(9)?,
        fee: row.try_get(10)?,
        settlement_date: row.try_get(11)?,
        credited_entry: row.try_get(12)?,
    })
}

fn planned_row(row: &PgRow) -> Result<PlannedRow, sqlx::Error> {
    Ok(PlannedRow {
        account: row.try_get(0)?,
        settlement_date: row.try_get(1)?,
        currency: row.try_get(2)?,
        kind: row.try_get(3)?,
        count: row.try_get(4)?,
        amount: row.try_get(5)?,
        fee: row.try_get(6)?,
        through_operation: row.try_get(7)?,
    })
}

fn terminal_record(row: &PgRow) -> Result<PosTerminal, StoreError> {
    terminal_row(row).map_err(StoreError::backend)?.into_record()
}

pub async fn terminal(pool: &PgPool, terminal_id: &str) -> Result<Option<PosTerminal>, StoreError> {
    let sql = AssertSqlSafe(format!("SELECT {TERMINAL_COLUMNS} FROM pos_terminals WHERE terminal_id = $1"));
    let row = sqlx::query(sql).bind(terminal_id).fetch_optional(pool).await.map_err(StoreError::backend)?;
    row.as_ref().map(terminal_record).transpose()
}

pub async fn terminals(pool: &PgPool, partner: PartnerId) -> Result<Vec<PosTerminal>, StoreError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {TERMINAL_COLUMNS} FROM pos_terminals WHERE partner_id = $1 ORDER BY terminal_id LIMIT {TERMINALS_MAX}"
    ));
    let rows = sqlx::query(sql).bind(partner.get()).fetch_all(pool).await.map_err(StoreError::backend)?;
    rows.iter().map(terminal_record).collect()
}

async fn locked_terminal(
    transaction: &mut Transaction<'_, Postgres>,
    terminal_id: &str,
) -> Result<Option<PosTerminal>, StoreError> {
    let sql = AssertSqlSafe(format!("SELECT {TERMINAL_COLUMNS} FROM pos_terminals WHERE terminal_id = $1 FOR UPDATE"));
    let row =
        sqlx::query(sql).bind(terminal_id).fetch_optional(&mut **transaction).await.map_err(StoreError::backend)?;
    row.as_ref().map(terminal_record).transpose()
}

pub async fn save_terminal(pool: &PgPool, new: &NewPosTerminal) -> Result<(PosTerminal, TerminalSaved), StoreError> {
    let mut transaction = pool.begin().await.map_err(StoreError::backend)?;
    let at = new.at.as_microsecond();
    let mut existing = locked_terminal(&mut transaction, &new.terminal_id).await?;
    let mut saved = TerminalSaved::Unchanged;
    if existing.is_none() {
        let inserted = sqlx::query(
            "INSERT INTO pos_terminals (partner_id, terminal_id, address, status, settlement_account_id, created_at,
                 updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (terminal_id) DO NOTHING",
        )
        .bind(new.partner.get())
        .bind(&new.terminal_id)
        .bind(&new.address)
        .bind(new.status.as_str())
        .bind(new.settlement_account.get())
        .bind(at)
        .execute(&mut *transaction)
        .await
        .map_err(StoreError::backend)?
        .rows_affected();
        if inserted == 1 {
            saved = TerminalSaved::Created;
        } else {
            // Another process registered it first: decide against its row.
            existing = locked_terminal(&mut transaction, &new.terminal_id).await?;
        }
    }
    if let Some(stored) = &existing {
        if stored.partner != new.partner {
            return Err(StoreError::Conflict(TERMINAL_OF_ANOTHER_PARTNER));
        }
        let same = stored.address == new.address
            && stored.status == new.status
            && stored.settlement_account == new.settlement_account;
        if !same {
            sqlx::query(
                "UPDATE pos_terminals SET address = $1, status = $2, settlement_account_id = $3, updated_at = $4
                 WHERE id = $5",
            )
            .bind(&new.address)
            .bind(new.status.as_str())
            .bind(new.settlement_account.get())
            .bind(at)
            .bind(stored.id)
            .execute(&mut *transaction)
            .await
            .map_err(StoreError::backend)?;
            saved = TerminalSaved::Updated;
        }
    }
    let stored = locked_terminal(&mut transaction, &new.terminal_id)
        .await?
        .ok_or_else(|| StoreError::backend("a terminal just written is missing"))?;
    transaction.commit().await.map_err(StoreError::backend)?;
    debug_assert_eq!(stored.partner, new.partner);
    Ok((stored, saved))
}

async fn stored_operation(
    transaction: &mut Transaction<'_, Postgres>,
    operation_id: &str,
) -> Result<Option<PosOperationRow>, StoreError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {OPERATION_COLUMNS} FROM pos_operations o JOIN pos_terminals t ON t.id = o.terminal_id
         WHERE o.operation_id = $1"
    ));
    let row =
        sqlx::query(sql).bind(operation_id).fetch_optional(&mut **transaction).await.map_err(StoreError::backend)?;
    row.as_ref().map(operation_row).transpose().map_err(StoreError::backend)
}

/// One transaction for the batch; each item decides alone.
pub async fn ingest(
    pool: &PgPool,
    operations: &[NewPosOperation],
) -> Result<Vec<Result<PosIngested, StoreError>>, StoreError> {
    for operation in operations {
        operation.validate()?;
    }
    let mut transaction = pool.begin().await.map_err(StoreError::backend)?;
    // Rows are inserted in operation-id order, whatever the batch's order: two batches that
    // overlap then lock their common ids in the same order and never deadlock (in the batch's
    // own order they did, when the acquirer sent overlapping batches in different orders).
    let mut order: Vec<usize> = (0..operations.len()).collect();
    order.sort_by(|&a, &b| operations[a].operation_id.cmp(&operations[b].operation_id));
    let mut results: Vec<Option<Result<PosIngested, StoreError>>> = operations.iter().map(|_| None).collect();
    for index in order {
        let operation = &operations[index];
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO pos_operations (terminal_id, operation_id, occurred_at, kind, status, card_masked, amount,
                 currency, fee, settlement_date, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (operation_id) DO NOTHING RETURNING id",
        )
        .bind(operation.terminal)
        .bind(&operation.operation_id)
        .bind(operation.occurred_at.as_microsecond())
        .bind(operation.kind.as_str())
        .bind(operation.status.as_str())
        .bind(operation.card.as_str())
        .bind(operation.amount.minor())
        .bind(operation.amount.currency().code())
        .bind(operation.fee.minor())
        .bind(operation.settlement_date.map(|date| date.to_string()))
        .bind(operation.received_at.as_microsecond())
        .fetch_optional(&mut *transaction)
        .await
        .map_err(StoreError::backend)?;
        let result = match inserted {
            Some(id) => Ok(PosIngested::created(id)),
            None => {
                let stored = stored_operation(&mut transaction, &operation.operation_id)
                    .await?
                    .ok_or_else(|| StoreError::backend("an operation id in conflict is missing"))?;
                match operation.against(&stored) {
                    KnownOperation::Repeat => Ok(PosIngested::replayed(stored.id)),
                    KnownOperation::Settlement => {
                        // Guarded by the status: of two concurrent settlements of one operation,
                        // the second finds it settled (after the first commits) and is a repeat.
                        let updated = sqlx::query(
                            "UPDATE pos_operations SET status = 'settled', settlement_date = $2
                             WHERE id = $1 AND status = 'approved'",
                        )
                        .bind(stored.id)
                        .bind(operation.settlement_date.map(|date| date.to_string()))
                        .execute(&mut *transaction)
                        .await
                        .map_err(StoreError::backend)?
                        .rows_affected();
                        if updated == 1 {
                            Ok(PosIngested::settled(stored.id))
                        } else {
                            let now = stored_operation(&mut transaction, &operation.operation_id)
                                .await?
                                .ok_or_else(|| StoreError::backend("a settled operation is missing"))?;
                            match operation.against(&now) {
                                KnownOperation::Repeat => Ok(PosIngested::replayed(now.id)),
                                _ => Err(StoreError::Conflict(IDEMPOTENCY_CONFLICT)),
                            }
                        }
                    }
                    KnownOperation::Conflict => Err(StoreError::Conflict(IDEMPOTENCY_CONFLICT)),
                }
            }
        };
        results[index] = Some(result);
    }
    transaction.commit().await.map_err(StoreError::backend)?;
    results
        .into_iter()
        .map(|result| result.ok_or_else(|| StoreError::backend("an operation of the batch was not ingested")))
        .collect()
}

pub async fn operations(pool: &PgPool, query: &PosOperationsQuery) -> Result<Vec<PosOperation>, StoreError> {
    let limit = query.limit.clamp(1, OPERATIONS_PAGE_MAX) as i64;
    let (after_at, after_id) = match query.after {
        Some(cursor) => (cursor.occurred_at_us, cursor.id),
        None => (i64::MIN, i64::MIN),
    };
    let sql = AssertSqlSafe(format!(
        "SELECT {OPERATION_COLUMNS} FROM pos_operations o JOIN pos_terminals t ON t.id = o.terminal_id
         WHERE o.terminal_id = $1 AND o.occurred_at >= $2 AND o.occurred_at < $3
           AND (o.occurred_at, o.id) > ($4, $5)
         ORDER BY o.occurred_at, o.id LIMIT $6"
    ));
    let rows = sqlx::query(sql)
        .bind(query.terminal)
        .bind(query.from_us)
        .bind(query.to_us)
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::backend)?;
    rows.iter().map(|row| operation_row(row).map_err(StoreError::backend)?.into_operation()).collect()
}

pub async fn totals(
    pool: &PgPool,
    terminal: i64,
    currency: Currency,
    from_us: i64,
    to_us: i64,
) -> Result<PosPeriodTotals, StoreError> {
    let sql = AssertSqlSafe(format!(
        "SELECT ({BUSINESS_DAY_SQL})::TEXT, o.kind, o.status, COUNT(*), SUM(o.amount)::BIGINT, SUM(o.fee)::BIGINT
         FROM pos_operations o
         WHERE o.terminal_id = $1 AND o.occurred_at >= $2 AND o.occurred_at < $3
         GROUP BY 1, 2, 3"
    ));
    let rows = sqlx::query(sql)
        .bind(terminal)
        .bind(from_us)
        .bind(to_us)
        .fetch_all(pool)
        .await
        .map_err(StoreError::backend)?
        .iter()
        .map(|row| {
            Ok(TotalsRow {
                key: row.try_get(0)?,
                kind: row.try_get(1)?,
                status: row.try_get(2)?,
                count: row.try_get(3)?,
                amount: row.try_get(4)?,
                fee: row.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(StoreError::backend)?;
    fold_totals(&rows, currency)
}

/// Settled, not yet credited, with a settlement date.
const PLANNED: &str = "o.status = 'settled' AND o.credited_entry IS NULL AND o.settlement_date IS NOT NULL";
const CREDITED: &str = "o.status = 'settled' AND o.credited_entry IS NOT NULL";

fn planned_sql(filter: &str) -> AssertSqlSafe<String> {
    // The sums are NUMERIC in PostgreSQL: cast back to the BIGINT of minor units.
    let select =
        PLANNED_SELECT.replace("SUM(o.amount)", "SUM(o.amount)::BIGINT").replace("SUM(o.fee)", "SUM(o.fee)::BIGINT");
    AssertSqlSafe(format!("{select} WHERE {filter} {PLANNED_GROUP} LIMIT {PLANNED_ROWS_MAX}"))
}

fn planned_rows(rows: &[PgRow]) -> Result<Vec<PlannedRow>, StoreError> {
    rows.iter().map(planned_row).collect::<Result<Vec<_>, _>>().map_err(StoreError::backend)
}

pub async fn planned(pool: &PgPool, partner: PartnerId) -> Result<Vec<PlannedPosCredit>, StoreError> {
    let rows = sqlx::query(planned_sql(&format!("{PLANNED} AND t.partner_id = $1")))
        .bind(partner.get())
        .fetch_all(pool)
        .await
        .map_err(StoreError::backend)?;
    fold_planned(&planned_rows(&rows)?)
}

pub async fn settlement(pool: &PgPool, account: AccountId, date: Date) -> Result<PosSettlementState, StoreError> {
    let operations = sqlx::query(AssertSqlSafe(format!(
        "{SETTLEMENT_OPERATIONS_SELECT} WHERE {PLANNED} AND t.settlement_account_id = $1 AND o.settlement_date = $2 \
         ORDER BY o.id"
    )))
    .bind(account.get())
    .bind(date.to_string())
    .fetch_all(pool)
    .await
    .map_err(StoreError::backend)?;
    let (planned, operations) = settlement_plan(&planned_rows(&operations)?)?;
    let credited =
        sqlx::query(planned_sql(&format!("{CREDITED} AND t.settlement_account_id = $1 AND o.settlement_date = $2")))
            .bind(account.get())
            .bind(date.to_string())
            .fetch_all(pool)
            .await
            .map_err(StoreError::backend)?;
    let credited = fold_planned(&planned_rows(&credited)?)?.into_iter().next().map(|credit| credit.totals);
    Ok(PosSettlementState { planned, operations, credited })
}

pub async fn credit(pool: &PgPool, credit: &CreditPosOperations) -> Result<u64, StoreError> {
    let mut transaction = pool.begin().await.map_err(StoreError::backend)?;
    let entry: Option<i64> = sqlx::query_scalar("SELECT entry_id FROM incoming_credits WHERE message_id = $1")
        .bind(&credit.message_id)
        .fetch_optional(&mut *transaction)
        .await
        .map_err(StoreError::backend)?;
    let entry = entry.ok_or(StoreError::NotFound { what: "settlement credit" })?;
    // The row locks order two settlements of one plan: the second waits, then finds the rows
    // credited (by the same entry, a repeat; by another, a conflict).
    sqlx::query(
        "UPDATE pos_operations SET credited_entry = $1
         WHERE id = ANY($2) AND status = 'settled' AND credited_entry IS NULL",
    )
    .bind(entry)
    .bind(&credit.operations)
    .execute(&mut *transaction)
    .await
    .map_err(StoreError::backend)?;
    // What the entry covers among the plan's operations, whether marked now or by a repeat.
    let covered = sqlx::query(planned_sql("o.credited_entry = $1 AND o.id = ANY($2)"))
        .bind(entry)
        .bind(&credit.operations)
        .fetch_all(&mut *transaction)
        .await
        .map_err(StoreError::backend)?;
    let credited = check_credited(credit, &planned_rows(&covered)?)?;
    transaction.commit().await.map_err(StoreError::backend)?;
    Ok(credited)
}
