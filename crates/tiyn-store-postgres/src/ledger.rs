//! Group commit of ledger commands on PostgreSQL, and the ledger check.
//!
//! A batch is a fixed number of round trips whatever its size: every read and write below binds
//! arrays (`= ANY($1)`, `UNNEST`), so 32 transfers cost about as much as one.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{ConnectOptions, Connection, PgPool, Row};
use tiyn_core::{AccountId, Amount, EntryId, HoldId, Money};
use tiyn_ledger::{
    AccountState, AccountStatus, Action, Book, Command, Decision, EntryState, Executed, HoldState, HoldStatus,
    IdempotencyKey, JournalEntry, LedgerError, Needs, Posting, Receipt,
};
use tiyn_store::batch::{BATCH_COMMANDS_MAX, BatchTarget, KnownKeys, LINGER_MAX, StoredOperation, receipt_code};
use tiyn_store::{AccountKind, CurrencyTotal, LedgerCheck, StoreError};
use tokio::sync::mpsc;

use crate::{Reply, UNIQUE_VIOLATION, rows};

/// How many times a batch is rolled back and run again after a serialization failure, deadlock
/// or concurrent key use before its commands get the error.
const BATCH_ATTEMPTS_MAX: u32 = 8;
/// Wait before reconnecting after the writer's connection failed.
const RECONNECT_PAUSE: Duration = Duration::from_millis(200);

/// Ledger commands waiting for a writer; the writer that holds the lock collects the next batch.
pub type Queue = std::sync::Arc<tokio::sync::Mutex<mpsc::Receiver<(Command, Reply)>>>;

/// A writer task: one connection, one transaction per batch of queued commands. Several run per
/// process ([`crate::LEDGER_WRITERS`]): while one batch waits for its commit, the next is collected
/// and executed by another writer. They are as safe together as writers of several processes
/// (account rows locked in one order, batches retried after a conflict).
pub async fn writer_loop(
    options: PgConnectOptions,
    commands: Queue,
    counters: std::sync::Arc<tiyn_store::batch::LedgerCounters>,
) {
    // A prepared statement's generic plan is chosen once; on a young database it is a sequential
    // scan (the tables were empty when planned) and it sticks until statistics change. Measured: a
    // seq-scan of `operations` per batch cut throughput fivefold. Planning each batch's few
    // statements with their actual arrays costs far less.
    let options = options.options([("plan_cache_mode", "force_custom_plan")]);
    let mut connection: Option<PgConnection> = None;
    let mut target = BatchTarget::default();
    loop {
        // The queue's lock is held while collecting only: the batch runs without it.
        let batch = {
            let mut commands = commands.lock().await;
            let Some(first) = commands.recv().await else { return };
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + LINGER_MAX;
            while batch.len() < BATCH_COMMANDS_MAX {
                match commands.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) if target.wants_more(batch.len()) => {
                        match tokio::time::timeout_at(deadline, commands.recv()).await {
                            Ok(Some(next)) => batch.push(next),
                            Ok(None) | Err(_) => break,
                        }
                    }
                    Err(_) => break,
                }
            }
            batch
        };
        target.taken(batch.len());
        let (batch, replies): (Vec<Command>, Vec<Reply>) = batch.into_iter().unzip();
        let results = match connection.as_mut() {
            Some(open) => execute_with_retries(open, &batch).await,
            None => match options.connect().await {
                Ok(open) => execute_with_retries(connection.insert(open), &batch).await,
                Err(error) => Err(StoreError::backend(error)),
            },
        };
        let results = results.unwrap_or_else(|error| {
            tracing::error!(%error, commands = batch.len(), "ledger batch failed; nothing was written");
            // The connection may be broken: open a fresh one for the next batch.
            connection = None;
            batch.iter().map(|_| Err(StoreError::Backend(error.to_string()))).collect()
        });
        for (reply, result) in replies.into_iter().zip(results) {
            counters.record(&result);
            let _ = reply.send(result); // the caller may have given up waiting
        }
        if connection.is_none() {
            tokio::time::sleep(RECONNECT_PAUSE).await;
        }
    }
}

async fn execute_with_retries(
    connection: &mut PgConnection,
    commands: &[Command],
) -> Result<Vec<Result<Executed, StoreError>>, StoreError> {
    let mut attempt = 1;
    loop {
        match execute_batch(connection, commands).await {
            Ok(results) => return Ok(results),
            Err(error) if attempt < BATCH_ATTEMPTS_MAX && retryable(&error) => {
                tracing::debug!(%error, attempt, "ledger batch conflicted with another process; running it again");
                attempt += 1;
            }
            Err(error) => return Err(StoreError::backend(error)),
        }
    }
}

/// Serialization failure, deadlock, or another process committing the same idempotency key
/// first: running the batch again from fresh reads resolves each.
fn retryable(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(database) = error else { return false };
    matches!(database.code().as_deref(), Some("40001" | "40P01" | UNIQUE_VIOLATION))
}

/// One new command's decision, with the receipt (ids) it gets.
struct Accepted {
    command: Command,
    decision: Decision,
    receipt: Receipt,
}

/// What a command in the batch answers, before ids are known.
enum Outcome {
    Answered(Result<Executed, StoreError>),
    /// The n-th accepted command.
    New(usize),
    /// A repeat, later in this batch, of the n-th accepted command with the same content.
    RepeatOf(usize),
}

/// One batch in its own transaction: `BEGIN`, [`decide_and_write`], `COMMIT`.
async fn execute_batch(
    connection: &mut PgConnection,
    commands: &[Command],
) -> Result<Vec<Result<Executed, StoreError>>, sqlx::Error> {
    let mut transaction = connection.begin().await?;
    let results = decide_and_write(&mut transaction, commands).await?;
    transaction.commit().await?;
    Ok(results)
}

/// Decides `commands` in order against rows locked in the caller's open transaction and writes
/// what was accepted; the caller commits (or rolls back on an error, which may be retryable: see
/// [`retryable`]). Two statements when no hold or entry must be loaded.
pub(crate) async fn decide_and_write(
    connection: &mut PgConnection,
    commands: &[Command],
) -> Result<Vec<Result<Executed, StoreError>>, sqlx::Error> {
    // Holds and entries first (only captures, releases and reversals need them), so that their
    // accounts are locked with the others, in one ascending order.
    let mut needs = Needs::of(commands.iter().map(|command| &command.action));
    let holds = load_holds(&mut *connection, &needs).await?;
    let entries = load_entries(&mut *connection, &needs).await?;
    needs.accounts_of_loaded(&holds, &entries);
    let snapshot = load_snapshot(&mut *connection, commands, &needs).await?;
    let known = KnownKeys::new(snapshot.operations);
    let mut book = Book::new(snapshot.accounts, holds, entries);

    let mut outcomes = Vec::with_capacity(commands.len());
    let mut decided: Vec<(Command, Decision)> = Vec::new();
    let mut accepted_keys: HashMap<&IdempotencyKey, usize> = HashMap::new();
    for command in commands {
        let outcome = if let Some(replayed) = known.replay(command) {
            Outcome::Answered(replayed)
        } else if let Some(first) = accepted_keys.get(&command.key) {
            if decided[*first].0.content_digest() == command.content_digest() {
                Outcome::RepeatOf(*first)
            } else {
                Outcome::Answered(Err(StoreError::Ledger(LedgerError::IdempotencyConflict)))
            }
        } else {
            match book.decide(&command.action) {
                Ok(decision) => {
                    accepted_keys.insert(&command.key, decided.len());
                    decided.push((command.clone(), decision));
                    Outcome::New(decided.len() - 1)
                }
                Err(refusal) => Outcome::Answered(Err(StoreError::Ledger(refusal))),
            }
        };
        outcomes.push(outcome);
    }

    let accepted = assign_ids(decided, snapshot.entry_ids, snapshot.hold_ids)?;
    write_batch(&mut *connection, &accepted, &book).await?;

    Ok(outcomes
        .into_iter()
        .map(|outcome| match outcome {
            Outcome::Answered(result) => result,
            Outcome::New(index) => Ok(Executed { receipt: accepted[index].receipt, replayed: false }),
            Outcome::RepeatOf(index) => Ok(Executed { receipt: accepted[index].receipt, replayed: true }),
        })
        .collect())
}

fn stored_operation(row: &PgRow) -> Result<(IdempotencyKey, StoredOperation), sqlx::Error> {
    let key: String = row.try_get(7)?;
    let digest: Vec<u8> = row.try_get(8)?;
    let receipt: String = row.try_get(9)?;
    let entry: Option<i64> = row.try_get(10)?;
    let hold: Option<i64> = row.try_get(11)?;
    let corrupt = |what: &str| sqlx::Error::Protocol(format!("stored operation {key:?}: {what}"));
    let key = IdempotencyKey::parse(&key).map_err(|_| corrupt("key"))?;
    let content_digest: [u8; 32] = digest.try_into().map_err(|_| corrupt("digest"))?;
    let receipt = match (receipt.as_str(), entry, hold) {
        ("posted", Some(entry), _) => Receipt::Posted { entry: EntryId::new(entry) },
        ("held", _, Some(hold)) => Receipt::Held { hold: HoldId::new(hold) },
        ("released", _, Some(hold)) => Receipt::Released { hold: HoldId::new(hold) },
        _ => return Err(corrupt("receipt")),
    };
    Ok((key, StoredOperation { content_digest, receipt }))
}

fn ids<T: Copy>(set: &std::collections::BTreeSet<T>, get: impl Fn(T) -> i64) -> Vec<i64> {
    set.iter().map(|id| get(*id)).collect()
}

fn protocol(error: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Protocol(error.to_string())
}

async fn load_holds(connection: &mut PgConnection, needs: &Needs) -> Result<Vec<HoldState>, sqlx::Error> {
    if needs.holds.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT id, account_id, currency, amount, status FROM holds WHERE id = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind(ids(&needs.holds, HoldId::get))
    .fetch_all(&mut *connection)
    .await?;
    rows.iter()
        .map(|row| {
            let currency = rows::currency(&row.try_get::<String, _>(2)?).map_err(protocol)?;
            let amount = Amount::new(Money::from_minor(row.try_get(3)?, currency)).map_err(protocol)?;
            let status: String = row.try_get(4)?;
            Ok(HoldState {
                id: HoldId::new(row.try_get(0)?),
                account: AccountId::new(row.try_get(1)?),
                amount,
                status: HoldStatus::parse(&status).ok_or_else(|| protocol(format!("hold status {status:?}")))?,
            })
        })
        .collect()
}

async fn load_entries(connection: &mut PgConnection, needs: &Needs) -> Result<Vec<EntryState>, sqlx::Error> {
    if needs.entries.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = ids(&needs.entries, EntryId::get);
    let rows =
        sqlx::query("SELECT entry_id, account_id, currency, amount FROM postings WHERE entry_id = ANY($1) ORDER BY id")
            .bind(&wanted)
            .fetch_all(&mut *connection)
            .await?;
    let reversed: Vec<i64> = sqlx::query_scalar("SELECT reverses FROM entries WHERE reverses = ANY($1)")
        .bind(&wanted)
        .fetch_all(&mut *connection)
        .await?;
    let mut postings: BTreeMap<i64, Vec<Posting>> = BTreeMap::new();
    for row in &rows {
        let currency = rows::currency(&row.try_get::<String, _>(2)?).map_err(protocol)?;
        postings.entry(row.try_get(0)?).or_default().push(Posting {
            account: AccountId::new(row.try_get(1)?),
            amount: Money::from_minor(row.try_get(3)?, currency),
        });
    }
    postings
        .into_iter()
        .map(|(id, postings)| {
            let entry = JournalEntry::new(postings).map_err(protocol)?;
            Ok(EntryState { id: EntryId::new(id), entry, reversed: reversed.contains(&id) })
        })
        .collect()
}

/// What one batch reads in a single round trip: the stored results of its idempotency keys, its
/// accounts locked `FOR UPDATE` in ascending id order (the one lock order every process uses), and
/// ids for the entries and holds it may create (gaps from refused commands are harmless).
struct Snapshot {
    operations: Vec<(IdempotencyKey, StoredOperation)>,
    accounts: Vec<AccountState>,
    entry_ids: Vec<i64>,
    hold_ids: Vec<i64>,
}

const SNAPSHOT_SQL: &str = "
    WITH locked AS (
        SELECT id, currency, kind, status, balance, held FROM accounts
        WHERE id = ANY($2) ORDER BY id FOR UPDATE
    )
    SELECT 1 AS part, id, currency, kind, status, balance, held,
           NULL::text AS key, NULL::bytea AS digest, NULL::text AS receipt,
           NULL::bigint AS entry_id, NULL::bigint AS hold_id
      FROM locked
    UNION ALL
    SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, key, content_digest, receipt, entry_id, hold_id
      FROM operations WHERE key = ANY($1)
    UNION ALL
    SELECT 3, nextval('entries_id_seq'), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM generate_series(1, $3)
    UNION ALL
    SELECT 4, nextval('holds_id_seq'), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM generate_series(1, $4)";

async fn load_snapshot(
    connection: &mut PgConnection,
    commands: &[Command],
    needs: &Needs,
) -> Result<Snapshot, sqlx::Error> {
    let keys: Vec<&str> = commands.iter().map(|command| command.key.as_str()).collect();
    let holds_wanted = commands.iter().filter(|command| matches!(command.action, Action::Hold { .. })).count();
    let entries_wanted = commands
        .iter()
        .filter(|command| !matches!(command.action, Action::Hold { .. } | Action::ReleaseHold { .. }))
        .count();
    let rows = sqlx::query(SNAPSHOT_SQL)
        .bind(&keys)
        .bind(ids(&needs.accounts, AccountId::get))
        .bind(i64::try_from(entries_wanted).map_err(protocol)?)
        .bind(i64::try_from(holds_wanted).map_err(protocol)?)
        .fetch_all(&mut *connection)
        .await?;
    let mut snapshot =
        Snapshot { operations: Vec::new(), accounts: Vec::new(), entry_ids: Vec::new(), hold_ids: Vec::new() };
    for row in &rows {
        match row.try_get::<i32, _>(0)? {
            1 => snapshot.accounts.push(account_state(row)?),
            2 => snapshot.operations.push(stored_operation(row)?),
            3 => snapshot.entry_ids.push(row.try_get(1)?),
            4 => snapshot.hold_ids.push(row.try_get(1)?),
            part => return Err(protocol(format!("snapshot part {part}"))),
        }
    }
    debug_assert_eq!((snapshot.entry_ids.len(), snapshot.hold_ids.len()), (entries_wanted, holds_wanted));
    Ok(snapshot)
}

fn account_state(row: &PgRow) -> Result<AccountState, sqlx::Error> {
    let kind: String = row.try_get(3)?;
    let status: String = row.try_get(4)?;
    Ok(AccountState {
        id: AccountId::new(row.try_get(1)?),
        currency: rows::currency(&row.try_get::<String, _>(2)?).map_err(protocol)?,
        policy: AccountKind::parse(&kind).ok_or_else(|| protocol(format!("account kind {kind:?}")))?.policy(),
        status: AccountStatus::parse(&status).ok_or_else(|| protocol(format!("account status {status:?}")))?,
        balance: row.try_get(5)?,
        held: row.try_get(6)?,
    })
}

/// Gives each accepted command its entry or hold id from the ids the snapshot allocated.
fn assign_ids(
    decided: Vec<(Command, Decision)>,
    entry_ids: Vec<i64>,
    hold_ids: Vec<i64>,
) -> Result<Vec<Accepted>, sqlx::Error> {
    let (mut entry_ids, mut hold_ids) = (entry_ids.into_iter(), hold_ids.into_iter());
    decided
        .into_iter()
        .map(|(command, decision)| {
            let receipt = match &decision {
                Decision::Post { .. } => {
                    Receipt::Posted { entry: EntryId::new(entry_ids.next().ok_or_else(|| protocol("entry id"))?) }
                }
                Decision::OpenHold { .. } => {
                    Receipt::Held { hold: HoldId::new(hold_ids.next().ok_or_else(|| protocol("hold id"))?) }
                }
                Decision::ReleaseHold { hold } => Receipt::Released { hold: *hold },
            };
            Ok(Accepted { command, decision, receipt })
        })
        .collect()
}

async fn write_batch(connection: &mut PgConnection, accepted: &[Accepted], book: &Book) -> Result<(), sqlx::Error> {
    let mut entries = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()); // id, kind, memo, reverses, at
    // entry, account, currency, amount, booked at (the entry's instant)
    let mut postings = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut new_holds = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut closed_holds = (Vec::new(), Vec::new(), Vec::new(), Vec::new()); // id, status, entry, at
    let mut operations = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut written_sum: BTreeMap<&'static str, i128> = BTreeMap::new();
    for Accepted { command, decision, receipt } in accepted {
        let at = command.at.as_microsecond();
        let memo = command.action.memo().to_owned();
        match (decision, receipt) {
            (Decision::Post { entry, kind, captures, reverses }, Receipt::Posted { entry: id }) => {
                entries.0.push(id.get());
                entries.1.push(kind.as_str());
                entries.2.push(memo);
                entries.3.push(reverses.map(EntryId::get));
                entries.4.push(at);
                for posting in entry.postings() {
                    let currency = posting.amount.currency().code();
                    postings.0.push(id.get());
                    postings.1.push(posting.account.get());
                    postings.2.push(currency);
                    postings.3.push(posting.amount.minor());
                    postings.4.push(at);
                    *written_sum.entry(currency).or_default() += i128::from(posting.amount.minor());
                }
                if let Some(hold) = captures {
                    closed_holds.0.push(hold.get());
                    closed_holds.1.push(HoldStatus::Captured.as_str());
                    closed_holds.2.push(Some(id.get()));
                    closed_holds.3.push(at);
                }
            }
            (Decision::OpenHold { account, amount }, Receipt::Held { hold }) => {
                new_holds.0.push(hold.get());
                new_holds.1.push(account.get());
                new_holds.2.push(amount.currency().code());
                new_holds.3.push(amount.minor());
                new_holds.4.push(memo);
                new_holds.5.push(at);
            }
            (Decision::ReleaseHold { hold }, _) => {
                closed_holds.0.push(hold.get());
                closed_holds.1.push(HoldStatus::Released.as_str());
                closed_holds.2.push(None);
                closed_holds.3.push(at);
            }
            (decision, receipt) => unreachable!("receipt {receipt:?} allocated for {decision:?}"),
        }
        let (entry_id, hold_id) = match receipt {
            Receipt::Posted { entry } => (Some(entry.get()), None),
            Receipt::Held { hold } | Receipt::Released { hold } => (None, Some(hold.get())),
        };
        operations.0.push(command.key.as_str().to_owned());
        operations.1.push(command.content_digest().to_vec());
        operations.2.push(receipt_code(*receipt));
        operations.3.push(entry_id);
        operations.4.push(hold_id);
        operations.5.push(at);
    }
    // The second half of the balance assertion: what this transaction writes sums to zero.
    assert!(written_sum.values().all(|sum| *sum == 0), "a batch would write unbalanced postings: {written_sum:?}");

    let (mut account_ids, mut balances, mut held) = (Vec::new(), Vec::new(), Vec::new());
    for account in book.touched_accounts() {
        account_ids.push(account.id.get());
        balances.push(account.balance);
        held.push(account.held);
    }
    let closed = sqlx::query_scalar::<_, i64>(WRITE_SQL)
        .bind(&entries.0)
        .bind(&entries.1)
        .bind(&entries.2)
        .bind(&entries.3)
        .bind(&entries.4)
        .bind(&postings.0)
        .bind(&postings.1)
        .bind(&postings.2)
        .bind(&postings.3)
        .bind(&new_holds.0)
        .bind(&new_holds.1)
        .bind(&new_holds.2)
        .bind(&new_holds.3)
        .bind(&new_holds.4)
        .bind(&new_holds.5)
        .bind(&closed_holds.0)
        .bind(&closed_holds.1)
        .bind(&closed_holds.2)
        .bind(&closed_holds.3)
        .bind(&operations.0)
        .bind(&operations.1)
        .bind(&operations.2)
        .bind(&operations.3)
        .bind(&operations.4)
        .bind(&operations.5)
        .bind(&account_ids)
        .bind(&balances)
        .bind(&held)
        .bind(&postings.4)
        .fetch_one(&mut *connection)
        .await?;
    // The holds were locked and seen active in this transaction.
    assert_eq!(closed, closed_holds.0.len() as i64, "every closed hold was active when decided");
    Ok(())
}

/// Everything a batch writes, in one statement (data-modifying CTEs see one snapshot; foreign
/// keys between them are checked at the end of the statement). Empty arrays write nothing.
const WRITE_SQL: &str = "
    WITH new_entries AS (
        INSERT INTO entries (id, kind, memo, reverses, created_at)
        SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
    ), new_postings AS (
        INSERT INTO postings (entry_id, account_id, currency, amount, booked_at)
        SELECT * FROM UNNEST($6::bigint[], $7::bigint[], $8::text[], $9::bigint[], $29::bigint[])
    ), new_holds AS (
        INSERT INTO holds (id, account_id, currency, amount, status, memo, created_at)
        SELECT h.id, h.account_id, h.currency, h.amount, 'active', h.memo, h.created_at
        FROM UNNEST($10::bigint[], $11::bigint[], $12::text[], $13::bigint[], $14::text[], $15::bigint[])
             AS h (id, account_id, currency, amount, memo, created_at)
    ), closed_holds AS (
        UPDATE holds SET status = c.status, capture_entry_id = c.entry, closed_at = c.at
        FROM UNNEST($16::bigint[], $17::text[], $18::bigint[], $19::bigint[]) AS c (id, status, entry, at)
        WHERE holds.id = c.id AND holds.status = 'active'
        RETURNING holds.id
    ), new_operations AS (
        INSERT INTO operations (key, content_digest, receipt, entry_id, hold_id, created_at)
        SELECT * FROM UNNEST($20::text[], $21::bytea[], $22::text[], $23::bigint[], $24::bigint[], $25::bigint[])
    ), balances AS (
        UPDATE accounts SET balance = u.balance, held = u.held
        FROM UNNEST($26::bigint[], $27::bigint[], $28::bigint[]) AS u (id, balance, held)
        WHERE accounts.id = u.id
    )
    SELECT count(*) FROM closed_holds";

/// The zero-sum invariant, stored balances against postings, and partner accounts against zero.
pub async fn check(pool: &PgPool) -> Result<LedgerCheck, StoreError> {
    let totals = posting_totals(pool).await?;
    let account_ids = |sql: &'static str| async move {
        let ids: Vec<i64> = sqlx::query_scalar(sql).fetch_all(pool).await.map_err(StoreError::backend)?;
        Ok::<_, StoreError>(ids.into_iter().map(AccountId::new).collect::<Vec<_>>())
    };
    let balance_mismatches = account_ids(
        "SELECT a.id FROM accounts a
         LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM postings GROUP BY account_id) p ON p.account_id = a.id
         WHERE a.balance <> COALESCE(p.total, 0) ORDER BY a.id",
    )
    .await?;
    let negative_partner_accounts =
        account_ids("SELECT id FROM accounts WHERE kind = 'partner_current' AND balance - held < 0 ORDER BY id")
            .await?;
    Ok(LedgerCheck { totals, balance_mismatches, negative_partner_accounts })
}

/// The sum and count of postings per currency: one scan of the postings table.
pub async fn posting_totals(pool: &PgPool) -> Result<Vec<CurrencyTotal>, StoreError> {
    let rows =
        sqlx::query("SELECT currency, SUM(amount)::text, COUNT(*) FROM postings GROUP BY currency ORDER BY currency")
            .fetch_all(pool)
            .await
            .map_err(StoreError::backend)?;
    let totals = rows
        .iter()
        .map(|row| {
            let currency: String = row.try_get(0).map_err(StoreError::backend)?;
            let sum: String = row.try_get(1).map_err(StoreError::backend)?;
            let count: i64 = row.try_get(2).map_err(StoreError::backend)?;
            Ok(CurrencyTotal {
                currency: rows::currency(&currency)?,
                sum_minor: sum.parse().map_err(StoreError::backend)?,
                postings: count.unsigned_abs(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(totals)
}
