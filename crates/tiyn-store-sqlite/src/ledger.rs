//! Group commit of ledger commands, and the ledger check.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tiyn_core::{AccountId, Amount, EntryId, HoldId, Money};
use tiyn_ledger::{
    AccountState, AccountStatus, Book, Command, Decision, EntryState, Executed, HoldState, HoldStatus, IdempotencyKey,
    JournalEntry, Needs, Posting, Receipt,
};
use tiyn_store::batch::{KnownKeys, StoredOperation, receipt_code};
use tiyn_store::{AccountKind, CurrencyTotal, LedgerCheck, StoreError};

use crate::rows;

/// Executes a batch of commands in one transaction and returns one result per command, in order.
/// A command the ledger refuses gets its refusal and writes nothing; the others still commit. If
/// the transaction itself fails, every command gets that failure and nothing is written.
pub fn execute_batch(connection: &mut Connection, commands: &[Command]) -> Vec<Result<Executed, StoreError>> {
    let outcome = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::backend)
        .and_then(|transaction| {
            let results = decide_and_write(&transaction, commands)?;
            transaction.commit().map_err(StoreError::backend)?;
            Ok(results)
        });
    match outcome {
        Ok(results) => results,
        Err(error) => {
            tracing::error!(%error, commands = commands.len(), "ledger batch failed; nothing was written");
            commands.iter().map(|_| Err(StoreError::Backend(error.to_string()))).collect()
        }
    }
}

pub(crate) fn decide_and_write(
    transaction: &Connection,
    commands: &[Command],
) -> Result<Vec<Result<Executed, StoreError>>, StoreError> {
    let mut known = KnownKeys::new(load_operations(transaction, commands)?);
    let new_commands = commands.iter().filter(|command| !known.contains(&command.key));
    let mut needs = Needs::of(new_commands.map(|command| &command.action));
    let holds = needs.holds.iter().map(|id| load_hold(transaction, *id)).collect::<Result<Vec<_>, _>>()?;
    let entries = needs.entries.iter().map(|id| load_entry(transaction, *id)).collect::<Result<Vec<_>, _>>()?;
    let holds: Vec<HoldState> = holds.into_iter().flatten().collect();
    let entries: Vec<EntryState> = entries.into_iter().flatten().collect();
    needs.accounts_of_loaded(&holds, &entries);
    let accounts = needs.accounts.iter().map(|id| load_account(transaction, *id)).collect::<Result<Vec<_>, _>>()?;
    let mut book = Book::new(accounts.into_iter().flatten(), holds, entries);

    let mut results = Vec::with_capacity(commands.len());
    let mut written_sum: BTreeMap<&'static str, i128> = BTreeMap::new();
    for command in commands {
        if let Some(replayed) = known.replay(command) {
            results.push(replayed);
            continue;
        }
        match book.decide(&command.action) {
            Ok(decision) => {
                let receipt = write_decision(transaction, command, &decision, &mut written_sum)?;
                record_operation(transaction, command, receipt)?;
                known.record(command, receipt);
                results.push(Ok(Executed { receipt, replayed: false }));
            }
            Err(refusal) => results.push(Err(StoreError::Ledger(refusal))),
        }
    }
    // The second half of the balance assertion: what this transaction wrote sums to zero.
    assert!(written_sum.values().all(|sum| *sum == 0), "a batch wrote unbalanced postings: {written_sum:?}");
    let mut update = transaction
        .prepare_cached("UPDATE accounts SET balance = ?2, held = ?3 WHERE id = ?1")
        .map_err(StoreError::backend)?;
    for account in book.touched_accounts() {
        update.execute(params![account.id.get(), account.balance, account.held]).map_err(StoreError::backend)?;
    }
    Ok(results)
}

fn load_operations(
    transaction: &Connection,
    commands: &[Command],
) -> Result<Vec<(IdempotencyKey, StoredOperation)>, StoreError> {
    let mut statement = transaction
        .prepare_cached("SELECT content_digest, receipt, entry_id, hold_id FROM operations WHERE key = ?1")
        .map_err(StoreError::backend)?;
    let mut stored = Vec::new();
    for command in commands {
        let row = statement
            .query_row([command.key.as_str()], |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                    row.get::<_, Option<i64>>(3)?,
                ))
            })
            .optional()
            .map_err(StoreError::backend)?;
        if let Some((digest, receipt, entry, hold)) = row {
            let content_digest: [u8; 32] =
                digest.try_into().map_err(|_| StoreError::backend("stored operation digest is not 32 bytes"))?;
            let receipt = parse_receipt(&receipt, entry, hold)?;
            stored.push((command.key.clone(), StoredOperation { content_digest, receipt }));
        }
    }
    Ok(stored)
}

fn parse_receipt(code: &str, entry: Option<i64>, hold: Option<i64>) -> Result<Receipt, StoreError> {
    match (code, entry, hold) {
        ("posted", Some(entry), _) => Ok(Receipt::Posted { entry: EntryId::new(entry) }),
        ("held", _, Some(hold)) => Ok(Receipt::Held { hold: HoldId::new(hold) }),
        ("released", _, Some(hold)) => Ok(Receipt::Released { hold: HoldId::new(hold) }),
        _ => Err(StoreError::backend(format!("stored receipt {code:?} is incomplete"))),
    }
}

fn load_account(transaction: &Connection, id: AccountId) -> Result<Option<AccountState>, StoreError> {
    let mut statement = transaction
        .prepare_cached("SELECT currency, kind, status, balance, held FROM accounts WHERE id = ?1")
        .map_err(StoreError::backend)?;
    let row = statement
        .query_row([id.get()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?, row.get(3)?, row.get(4)?))
        })
        .optional()
        .map_err(StoreError::backend)?;
    let Some((currency, kind, status, balance, held)) = row else {
        return Ok(None);
    };
    let kind = AccountKind::parse(&kind).ok_or_else(|| StoreError::backend(format!("stored account kind {kind:?}")))?;
    Ok(Some(AccountState {
        id,
        currency: rows::currency(&currency)?,
        policy: kind.policy(),
        status: AccountStatus::parse(&status)
            .ok_or_else(|| StoreError::backend(format!("stored status {status:?}")))?,
        balance,
        held,
    }))
}

fn load_hold(transaction: &Connection, id: HoldId) -> Result<Option<HoldState>, StoreError> {
    let mut statement = transaction
        .prepare_cached("SELECT account_id, currency, amount, status FROM holds WHERE id = ?1")
        .map_err(StoreError::backend)?;
    let row = statement
        .query_row([id.get()], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?, row.get::<_, String>(3)?))
        })
        .optional()
        .map_err(StoreError::backend)?;
    let Some((account, currency, amount, status)) = row else {
        return Ok(None);
    };
    let amount = Amount::new(Money::from_minor(amount, rows::currency(&currency)?)).map_err(StoreError::backend)?;
    Ok(Some(HoldState {
        id,
        account: AccountId::new(account),
        amount,
        status: HoldStatus::parse(&status)
            .ok_or_else(|| StoreError::backend(format!("stored hold status {status:?}")))?,
    }))
}

fn load_entry(transaction: &Connection, id: EntryId) -> Result<Option<EntryState>, StoreError> {
    let mut statement = transaction
        .prepare_cached("SELECT account_id, currency, amount FROM postings WHERE entry_id = ?1 ORDER BY id")
        .map_err(StoreError::backend)?;
    let postings = statement
        .query_map([id.get()], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?)))
        .map_err(StoreError::backend)?
        .map(|row| {
            let (account, currency, amount) = row.map_err(StoreError::backend)?;
            Ok(Posting {
                account: AccountId::new(account),
                amount: Money::from_minor(amount, rows::currency(&currency)?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    if postings.is_empty() {
        return Ok(None);
    }
    let reversed: bool = transaction
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM entries WHERE reverses = ?1)")
        .and_then(|mut statement| statement.query_row([id.get()], |row| row.get(0)))
        .map_err(StoreError::backend)?;
    let entry =
        JournalEntry::new(postings).map_err(|error| StoreError::backend(format!("stored entry {id}: {error}")))?;
    Ok(Some(EntryState { id, entry, reversed }))
}

fn write_decision(
    transaction: &Connection,
    command: &Command,
    decision: &Decision,
    written_sum: &mut BTreeMap<&'static str, i128>,
) -> Result<Receipt, StoreError> {
    let at = command.at.as_microsecond();
    let memo = command.action.memo();
    match decision {
        Decision::Post { entry, kind, captures, reverses } => {
            transaction
                .prepare_cached("INSERT INTO entries (kind, memo, reverses, created_at) VALUES (?1, ?2, ?3, ?4)")
                .and_then(|mut statement| {
                    statement.execute(params![kind.as_str(), memo, reverses.map(EntryId::get), at])
                })
                .map_err(StoreError::backend)?;
            let entry_id = EntryId::new(transaction.last_insert_rowid());
            let mut insert = transaction
                .prepare_cached(
                    "INSERT INTO postings (entry_id, account_id, currency, amount, booked_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(StoreError::backend)?;
            for posting in entry.postings() {
                let currency = posting.amount.currency().code();
                // The entry's instant, kept on each posting for statements (migration 0024).
                insert
                    .execute(params![entry_id.get(), posting.account.get(), currency, posting.amount.minor(), at])
                    .map_err(StoreError::backend)?;
                *written_sum.entry(currency).or_default() += i128::from(posting.amount.minor());
            }
            if let Some(hold) = captures {
                close_hold(transaction, *hold, HoldStatus::Captured, Some(entry_id), at)?;
            }
            Ok(Receipt::Posted { entry: entry_id })
        }
        Decision::OpenHold { account, amount } => {
            transaction
                .prepare_cached(
                    "INSERT INTO holds (account_id, currency, amount, status, memo, created_at) VALUES (?1, ?2, ?3, 'active', ?4, ?5)",
                )
                .and_then(|mut statement| {
                    statement.execute(params![account.get(), amount.currency().code(), amount.minor(), memo, at])
                })
                .map_err(StoreError::backend)?;
            Ok(Receipt::Held { hold: HoldId::new(transaction.last_insert_rowid()) })
        }
        Decision::ReleaseHold { hold } => {
            close_hold(transaction, *hold, HoldStatus::Released, None, at)?;
            Ok(Receipt::Released { hold: *hold })
        }
    }
}

fn close_hold(
    transaction: &Connection,
    hold: HoldId,
    status: HoldStatus,
    entry: Option<EntryId>,
    at: i64,
) -> Result<(), StoreError> {
    let changed = transaction
        .prepare_cached(
            "UPDATE holds SET status = ?2, capture_entry_id = ?3, closed_at = ?4 WHERE id = ?1 AND status = 'active'",
        )
        .and_then(|mut statement| statement.execute(params![hold.get(), status.as_str(), entry.map(EntryId::get), at]))
        .map_err(StoreError::backend)?;
    // The book saw the hold active inside this transaction, so exactly one row changes.
    assert_eq!(changed, 1, "hold {hold} was active when decided");
    Ok(())
}

fn record_operation(transaction: &Connection, command: &Command, receipt: Receipt) -> Result<(), StoreError> {
    let (entry, hold) = match receipt {
        Receipt::Posted { entry } => (Some(entry.get()), None),
        Receipt::Held { hold } | Receipt::Released { hold } => (None, Some(hold.get())),
    };
    transaction
        .prepare_cached(
            "INSERT INTO operations (key, content_digest, receipt, entry_id, hold_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                command.key.as_str(),
                command.content_digest().as_slice(),
                receipt_code(receipt),
                entry,
                hold,
                command.at.as_microsecond()
            ])
        })
        .map_err(StoreError::backend)?;
    Ok(())
}

/// The zero-sum invariant, stored balances against postings, and partner accounts against zero.
pub fn check(connection: &Connection) -> Result<LedgerCheck, StoreError> {
    let totals = posting_totals(connection)?;
    let ids = |sql: &str| -> Result<Vec<AccountId>, StoreError> {
        let mut statement = connection.prepare(sql).map_err(StoreError::backend)?;
        let ids = statement.query_map([], |row| row.get(0)).map_err(StoreError::backend)?;
        ids.map(|id| id.map(AccountId::new).map_err(StoreError::backend)).collect()
    };
    let balance_mismatches = ids("SELECT a.id FROM accounts a
         LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM postings GROUP BY account_id) p ON p.account_id = a.id
         WHERE a.balance <> COALESCE(p.total, 0) ORDER BY a.id")?;
    let negative_partner_accounts =
        ids("SELECT id FROM accounts WHERE kind = 'partner_current' AND balance - held < 0 ORDER BY id")?;
    Ok(LedgerCheck { totals, balance_mismatches, negative_partner_accounts })
}

/// The sum and count of postings per currency: one scan of the postings table.
pub fn posting_totals(connection: &Connection) -> Result<Vec<CurrencyTotal>, StoreError> {
    let mut statement = connection
        .prepare("SELECT currency, SUM(amount), COUNT(*) FROM postings GROUP BY currency ORDER BY currency")
        .map_err(StoreError::backend)?;
    let totals = statement
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?)))
        .map_err(StoreError::backend)?
        .map(|row| {
            let (currency, sum, count) = row.map_err(StoreError::backend)?;
            Ok(CurrencyTotal {
                currency: rows::currency(&currency)?,
                sum_minor: i128::from(sum),
                postings: count.unsigned_abs(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(totals)
}
