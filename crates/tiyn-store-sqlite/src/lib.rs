//! The embedded SQLite backend.
//!
//! One file in WAL mode with `synchronous=FULL` (every commit is fsynced). All writes go through
//! one writer thread that owns the only write connection and group-commits them: ledger commands
//! that arrive while it commits are merged into the next transaction, so 32 concurrent clients
//! cost one fsync, not 32; every other write (sessions, audit, codes, users, ...) is merged the
//! same way with the writes queued behind it, each in its own savepoint, so one that fails writes
//! nothing and does not affect the others. No caller is answered before its transaction commits.
//! Reads use a small pool of read-only connections on the blocking thread pool.
//! Correctness does not depend on the single writer: every batch runs in a `BEGIN IMMEDIATE`
//! transaction and re-reads the rows it decides on, so a second process on the same file is safe.

mod audit;
mod directories;
mod fx;
mod ledger;
mod means;
// Notices and marketplace reports (issue 6, R-3.1.2.8).
mod messages;
mod migrate;
mod page_cache;
mod payments;
mod pos;
mod rows;
mod rules;
mod statements;
mod templates;
mod users;
mod wal_buffer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use tiyn_auth::{
    AuditKey, ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy, LockoutState,
};
use tiyn_core::{AccountId, ApiKeyId, Currency, DeviceId, Login, PartnerId, SessionId, UserId};
use tiyn_ledger::{Command, Executed};
use tiyn_store::batch::{BATCH_COMMANDS_MAX, BatchTarget, LINGER_MAX, LedgerCounters, LedgerCounts};
use tiyn_store::{
    Account, AccountKind, CurrencyTotal, Durability, LedgerCheck, NewAccount, NewPartner, NewUser, Partner, Store,
    StoreError, User, UserStatus, validate_new_user,
};
use tiyn_store::{
    ApiKeyRecord, AuditHead, AuditQuery, AuditRecord, Block, DeviceRecord, MarkerRecord, NewApiKey, NewAuditRecord,
    NewDevice, SessionEnd, SessionRecord, StepAcceptance, UserChange, UserChangeRecord,
};
use tokio::sync::{mpsc, oneshot};

/// How long a connection waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Read connections kept open; more concurrent reads open short-lived extra connections.
const READERS_IDLE_MAX: usize = 32;
/// Prepared statements a connection keeps (rusqlite's default is 16, fewer than the distinct
/// statements of one writer batch, which evicted each other).
const STATEMENT_CACHE_CAPACITY: usize = 256;
/// Jobs queued for the writer before callers wait: bounds memory under overload.
const WRITER_QUEUE_MAX: usize = 4096;
/// Page size of a new file. A commit's cost here is the fdatasync of the WAL frames it appends,
/// one frame per dirty page; a ledger batch dirties many pages with one small row each (account
/// balances, index entries), so 1 KiB pages write a quarter of what the 4 KiB default does.
/// Measured: `docs/benchmarks.md`.
const PAGE_SIZE_BYTES: u32 = 1024;
/// How long the writer sleeps between looks at its queue while lingering for a fuller batch.
const LINGER_STEP: Duration = Duration::from_micros(20);
/// Log length (frames, i.e. pages) after which the writer rewinds the WAL: 16 MiB at 1 KiB pages.
/// The checkpointer looks once per `CHECKPOINT_INTERVAL`, so under the heaviest load the log
/// reaches what a second of commits writes (~170 MB), which stays in the page cache.
const WAL_REWIND_FRAMES: i64 = 16 * 1024;
/// Log length after which the checkpointer forces the rewind (a RESTART checkpoint, which pauses
/// the writer): only when another process's writes keep the writer's rewinds from happening.
const WAL_RESTART_FRAMES: i64 = 256 * 1024;
/// What a rewound WAL file is truncated to: big enough for a second of the heaviest load, so that
/// it is reused without growing again (a commit that extends the file also journals its new size
/// and blocks, and the first commit after a rewind would pay for the truncation).
const WAL_SIZE_LIMIT_BYTES: i64 = 256 * 1024 * 1024;
/// The writer's page cache: the hot pages of accounts and of the indexes a batch touches must
/// stay in memory; SQLite's default (2 MiB) made every batch re-read them.
const WRITER_CACHE_KIBIBYTES: i64 = 64 * 1024;
/// How long the writer sleeps between attempts to take the write lock from another connection (the
/// checkpointer's RESTART holds it for a few ms). SQLite's `busy_timeout` sleeps 1, 2, 5, 10, 15,
/// 20, 25 ms… between attempts: a pause of 12 ms cost the writer 18.
const WRITER_BUSY_STEP: Duration = Duration::from_micros(100);
/// How often the background checkpointer copies committed WAL frames into the main file. The
/// writer copies only what was committed since the checkpointer's last pass, when it rewinds:
/// a whole checkpoint fsyncs the main file, and doing that on the commit path stalls every
/// client waiting for its acknowledgement. Measured over 1M transfers (`docs/benchmarks.md`):
/// 200 ms 23.0k/s, 500 ms 26.1-26.8k/s, 1 s 29.2k/s; each pause of the writer costs the same
/// whatever the interval, and a pass over a longer log copies each hot page once.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(1000);

/// When the checkpointer copies the log into the main file and when the log is rewound.
#[derive(Debug, Clone, Copy)]
struct LogPolicy {
    interval: Duration,
    rewind_frames: i64,
    restart_frames: i64,
}

const LOG_POLICY: LogPolicy =
    LogPolicy { interval: CHECKPOINT_INTERVAL, rewind_frames: WAL_REWIND_FRAMES, restart_frames: WAL_RESTART_FRAMES };

/// How the file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// `synchronous=FULL` when true; `NORMAL` (not durable on power loss) only when a caller
    /// explicitly asks, e.g. to test the server's durability guard.
    pub durable: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions { durable: true }
    }
}

/// Writes (other than ledger commands) committed together at most: one transaction, one fsync.
/// A few hundred already make the fsync a small share of the group's time; a bigger group would
/// only delay the answers of its first callers and the ledger commands queued behind it.
const GROUP_WRITES_MAX: usize = 256;

/// Answers one write's caller once its group's fate is known. `None`: the group committed, the
/// write's own result is sent. `Some(error)`: the group's transaction failed, so nothing of the
/// write was kept; a write whose work succeeded (or did not run) is answered with that error, one
/// whose work failed still with its own.
type Deliver = Box<dyn FnOnce(Option<StoreError>) + Send>;

/// A write queued for the writer thread. Given the connection (inside the group's transaction and
/// the write's own savepoint), it runs the work and returns whether the work succeeded, and the
/// delivery of its answer: it never answers by itself, the write is not durable before the group
/// commits. Given `None` (the group's transaction could not start), it does not run.
type WriteFn = Box<dyn FnOnce(Option<&mut Connection>) -> (bool, Deliver) + Send>;

enum Job {
    Execute(Command, oneshot::Sender<Result<Executed, StoreError>>),
    Run(WriteFn),
}

pub struct SqliteStore {
    path: PathBuf,
    writer: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    counters: Arc<LedgerCounters>,
}

impl SqliteStore {
    /// Opens or creates the database file with durable commits and applies pending migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, SqliteOptions::default()).await
    }

    pub async fn open_with(path: &Path, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with_policy(path, options, LOG_POLICY).await
    }

    async fn open_with_policy(
        path: &Path,
        options: SqliteOptions,
        policy: LogPolicy,
    ) -> Result<SqliteStore, StoreError> {
        let path = path.to_path_buf();
        let opened = path.clone();
        let connection = tokio::task::spawn_blocking(move || -> Result<Connection, StoreError> {
            if let Some(parent) = opened.parent().filter(|parent| !parent.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(StoreError::backend)?;
            }
            let mut connection = open_writer(&opened, options)?;
            configure(&mut connection, options).map_err(StoreError::backend)?;
            migrate::apply(&mut connection)?;
            Ok(connection)
        })
        .await
        .map_err(StoreError::backend)??;

        let (writer, jobs) = mpsc::channel(WRITER_QUEUE_MAX);
        let counters = Arc::new(LedgerCounters::default());
        let writer_counters = counters.clone();
        let (stop_checkpoints, checkpoint_stop) = std::sync::mpsc::channel::<()>();
        let checkpointed = path.clone();
        let rewind = Arc::new(AtomicBool::new(false));
        let rewind_asked = Arc::clone(&rewind);
        std::thread::Builder::new()
            .name("tiyn-sqlite-writer".into())
            .spawn(move || {
                writer_loop(connection, jobs, writer_counters, &rewind);
                drop(stop_checkpoints); // the checkpointer ends with the writer
            })
            .map_err(StoreError::backend)?;
        std::thread::Builder::new()
            .name("tiyn-sqlite-checkpointer".into())
            .spawn(move || checkpoint_loop(&checkpointed, &checkpoint_stop, &rewind_asked, policy))
            .map_err(StoreError::backend)?;
        Ok(SqliteStore { path, writer, readers: Arc::new(Mutex::new(Vec::new())), counters })
    }

    /// Runs `work` on the writer thread, in order with ledger batches, in a group of writes that
    /// commit together; answers once that group has committed (see [`commit_writes`]).
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job: WriteFn = Box::new(move |connection| {
            let result = connection.map(work);
            let succeeded = matches!(result, Some(Ok(_)));
            let deliver: Deliver = Box::new(move |failure| {
                let answer = match (result, failure) {
                    (Some(Err(own)), _) => Err(own),
                    (_, Some(failure)) => Err(failure),
                    (Some(Ok(value)), None) => Ok(value),
                    (None, None) => Err(StoreError::backend("the write did not run")),
                };
                let _ = reply.send(answer); // the caller may have given up waiting
            });
            (succeeded, deliver)
        });
        self.writer.send(Job::Run(job)).await.map_err(|_| writer_gone())?;
        answer.await.map_err(|_| write_dropped())?
    }

    /// Runs `work` on a read-only connection on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = Arc::clone(&self.readers);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().map_err(|_| StoreError::backend("reader pool poisoned"))?.pop();
            let connection = match pooled {
                Some(connection) => connection,
                None => open_reader(&path).map_err(StoreError::backend)?,
            };
            let result = work(&connection);
            let mut idle = readers.lock().map_err(|_| StoreError::backend("reader pool poisoned"))?;
            if idle.len() < READERS_IDLE_MAX {
                idle.push(connection);
            }
            result
        })
        .await
        .map_err(StoreError::backend)?
    }
}

fn writer_gone() -> StoreError {
    StoreError::backend("the SQLite writer thread has stopped")
}

/// The writer dropped a write without answering it: the write panicked (its changes were rolled
/// back), or the writer thread stopped.
fn write_dropped() -> StoreError {
    StoreError::backend("the SQLite writer dropped this write: it panicked, or the writer stopped")
}

/// The writer's connection. A durable one writes each commit's WAL frames with one system call
/// (see `wal_buffer`, which is safe only with `synchronous=FULL`).
fn open_writer(path: &Path, options: SqliteOptions) -> Result<Connection, StoreError> {
    page_cache::install(); // before SQLite is initialised, i.e. before the first connection
    if !options.durable {
        return Connection::open(path).map_err(StoreError::backend);
    }
    let vfs = wal_buffer::register().map_err(StoreError::backend)?;
    Connection::open_with_flags_and_vfs(path, OpenFlags::default(), vfs).map_err(StoreError::backend)
}

fn configure(connection: &mut Connection, options: SqliteOptions) -> rusqlite::Result<()> {
    let mut waiting_since = Instant::now();
    connection.busy_handler(Some(move |attempt: i32| {
        if attempt == 0 {
            waiting_since = Instant::now();
        }
        std::thread::sleep(WRITER_BUSY_STEP);
        waiting_since.elapsed() < BUSY_TIMEOUT
    }))?;
    // First, before anything is written: a durable writer's WAL layer (`wal_buffer`) relies on
    // FULL, under which SQLite syncs the log before it publishes a commit to other connections.
    connection.pragma_update(None, "synchronous", if options.durable { "FULL" } else { "NORMAL" })?;
    let synchronous: i64 = connection.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    if options.durable && synchronous < 2 {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISUSE),
            Some(format!("the writer needs synchronous=FULL, SQLite kept {synchronous}")),
        ));
    }
    // Takes effect only while the file is still empty, i.e. when it is created.
    connection.pragma_update(None, "page_size", PAGE_SIZE_BYTES)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "wal_autocheckpoint", 0)?;
    connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)?;
    // A negative cache_size is in KiB.
    connection.pragma_update(None, "cache_size", -WRITER_CACHE_KIBIBYTES)?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

/// `query_row` and `execute` through the connection's statement cache: the hot paths (sessions,
/// users, audit appends) run the same few statements thousands of times a second, and compiling
/// the SQL each time was measured at 15% of the server's CPU.
pub(crate) trait Cached {
    fn query_row_cached<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T>;
    fn execute_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
}

impl Cached for Connection {
    fn query_row_cached<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    fn execute_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let connection = Connection::open_with_flags(path, flags)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(connection)
}

/// Copies committed WAL frames into the main file in the background (PASSIVE: never waits for,
/// nor blocks, the writer or readers), until the writer stops; asks the writer to rewind the log
/// once it is long (see [`rewind_log`]).
fn checkpoint_loop(path: &Path, stop: &std::sync::mpsc::Receiver<()>, rewind: &AtomicBool, policy: LogPolicy) {
    let connection = match Connection::open(path).and_then(|connection| {
        connection.busy_timeout(BUSY_TIMEOUT)?;
        Ok(connection)
    }) {
        Ok(connection) => connection,
        Err(error) => {
            tracing::error!(%error, "cannot open the SQLite checkpoint connection; the WAL will grow until restart");
            return;
        }
    };
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(policy.interval) {
        // (busy, frames in the log, frames copied to the main file)
        let passive = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get::<_, i64>(1));
        match passive {
            Ok(log_frames) if log_frames > policy.restart_frames => {
                if let Err(error) = connection.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(())) {
                    tracing::warn!(%error, "SQLite restart checkpoint failed; retrying");
                }
            }
            Ok(log_frames) if log_frames > policy.rewind_frames => rewind.store(true, Ordering::Release),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "SQLite checkpoint failed; retrying"),
        }
    }
    // Last full checkpoint so that a clean shutdown leaves a small WAL behind.
    let _ = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

/// Under continuous writes the log is never entirely copied at the instant a transaction starts,
/// so SQLite never rewinds it and every commit extends the file. Between two batches, when the
/// checkpointer has asked, the writer copies the few frames committed since the checkpointer's
/// last pass: with nothing left to copy and no reader in the log, SQLite starts its next commit
/// at the beginning of the file. A RESTART checkpoint from the checkpointer would do the same but
/// pauses the writer while it waits for its turn, copies, and syncs (measured: 10 ms to 1.5 s).
fn rewind_log(connection: &Connection, rewind: &AtomicBool) {
    if rewind.swap(false, Ordering::AcqRel)
        && let Err(error) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
    {
        tracing::warn!(%error, "SQLite checkpoint before rewinding the log failed; the checkpointer will ask again");
    }
}

/// The writer thread: takes one job and every job of the same kind queued behind it (up to the
/// kind's limit), and commits them together: ledger commands as one ledger batch, other writes as
/// one group of savepoints ([`commit_writes`]). When fewer are queued than its previous batch (or
/// group) held, it lingers up to `LINGER_MAX` for the clients it just answered (see `BatchTarget`).
fn writer_loop(
    mut connection: Connection,
    mut jobs: mpsc::Receiver<Job>,
    counters: Arc<LedgerCounters>,
    rewind: &AtomicBool,
) {
    let mut carried: Option<Job> = None;
    let mut target = BatchTarget::default();
    let mut write_target = BatchTarget::default(); // measured: ~2x the rate of 32 clients writing in turn
    loop {
        rewind_log(&connection, rewind);
        let Some(job) = carried.take().or_else(|| jobs.blocking_recv()) else {
            return; // every sender is gone: the store was dropped
        };
        match job {
            Job::Run(write) => {
                let mut writes = vec![write];
                let deadline = Instant::now() + LINGER_MAX;
                while writes.len() < GROUP_WRITES_MAX {
                    match jobs.try_recv() {
                        Ok(Job::Run(write)) => writes.push(write),
                        Ok(other) => {
                            carried = Some(other);
                            break;
                        }
                        Err(_) if write_target.wants_more(writes.len()) && Instant::now() < deadline => {
                            std::thread::sleep(LINGER_STEP);
                        }
                        Err(_) => break,
                    }
                }
                write_target.taken(writes.len());
                commit_writes(&mut connection, writes);
            }
            Job::Execute(command, reply) => {
                let mut commands = vec![command];
                let mut replies = vec![reply];
                let deadline = Instant::now() + LINGER_MAX;
                'collect: while commands.len() < BATCH_COMMANDS_MAX {
                    match jobs.try_recv() {
                        Ok(Job::Execute(command, reply)) => {
                            commands.push(command);
                            replies.push(reply);
                        }
                        Ok(other) => {
                            carried = Some(other);
                            break 'collect;
                        }
                        Err(_) if target.wants_more(commands.len()) && Instant::now() < deadline => {
                            std::thread::sleep(LINGER_STEP);
                        }
                        Err(_) => break 'collect,
                    }
                }
                target.taken(commands.len());
                let results = ledger::execute_batch(&mut connection, &commands);
                debug_assert_eq!(results.len(), replies.len());
                for (reply, result) in replies.into_iter().zip(results) {
                    counters.record(&result);
                    let _ = reply.send(result); // the caller may have given up waiting
                }
            }
        }
    }
}

/// Commits `writes` together: one `BEGIN IMMEDIATE` transaction, each write in its own savepoint
/// (released when its work succeeds, rolled back to when it fails, so a failed write keeps nothing
/// and does not affect the others), one COMMIT, i.e. one fsync; only then is every caller answered.
/// When the transaction fails, every write of it is answered with the error. When SQLite rolls the
/// whole transaction back under a write (it does on a full disk or an I/O error), the writes run so
/// far are answered with that error and the rest go on in a new transaction.
fn commit_writes(connection: &mut Connection, writes: Vec<WriteFn>) {
    let mut queued = writes.into_iter();
    while queued.len() > 0 {
        let mut ran = Vec::with_capacity(queued.len());
        let failure = run_group(connection, &mut queued, &mut ran).err();
        if let Some(error) = &failure {
            if !connection.is_autocommit()
                && let Err(error) = connection.execute_batch("ROLLBACK")
            {
                tracing::error!(%error, "cannot roll back a failed group of writes");
            }
            if ran.is_empty() {
                // Not even the first write could start: answer them all without running them.
                tracing::error!(%error, writes = queued.len(), "cannot start a group of writes; none of them ran");
                for write in queued.by_ref() {
                    let (_, deliver) = write(None);
                    deliver(Some(not_committed(error)));
                }
            } else {
                tracing::error!(%error, writes = ran.len(), "a group of writes failed; nothing of it was written");
            }
        }
        for deliver in ran {
            deliver(failure.as_deref().map(not_committed));
        }
    }
}

/// Runs writes taken from `queued` in one transaction and commits it; `ran` receives the delivery
/// of every write that ran. Stops early, leaving the rest queued, when the transaction is lost.
fn run_group(
    connection: &mut Connection,
    queued: &mut std::vec::IntoIter<WriteFn>,
    ran: &mut Vec<Deliver>,
) -> Result<(), String> {
    fn sql(connection: &Connection, statement: &str) -> Result<(), String> {
        connection.execute_batch(statement).map_err(|error| error.to_string())
    }
    sql(connection, "BEGIN IMMEDIATE")?;
    while queued.len() > 0 {
        sql(connection, "SAVEPOINT tiyn_write")?;
        let Some(write) = queued.next() else { break };
        // A panicking write must not stop the writer: its savepoint is rolled back like a failed
        // write's; its caller, whose reply was dropped with the write, gets `write_dropped`.
        let succeeded = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(Some(&mut *connection)))) {
            Ok((succeeded, deliver)) => {
                ran.push(deliver);
                succeeded
            }
            Err(_) => {
                tracing::error!("a write panicked on the SQLite writer; its changes are rolled back");
                false
            }
        };
        if connection.is_autocommit() {
            return Err("SQLite rolled the transaction back".to_owned());
        }
        sql(connection, if succeeded { "RELEASE tiyn_write" } else { "ROLLBACK TO tiyn_write; RELEASE tiyn_write" })?;
    }
    sql(connection, "COMMIT")
}

/// The answer of a write whose group's transaction failed.
fn not_committed(error: &str) -> StoreError {
    StoreError::Backend(format!("not committed: {error}"))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    fn ledger_counts(&self) -> LedgerCounts {
        self.counters.snapshot()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|connection| connection.query_row_cached("SELECT 1", [], |_| Ok(())).map_err(StoreError::backend))
            .await
    }

    async fn durability(&self) -> Result<Durability, StoreError> {
        self.write(|connection| {
            let synchronous: i64 =
                connection.pragma_query_value(None, "synchronous", |row| row.get(0)).map_err(StoreError::backend)?;
            // 2 = FULL, 3 = EXTRA. In WAL mode NORMAL (1) can lose the last commits on power loss.
            Ok(if synchronous >= 2 {
                Durability::Durable
            } else {
                Durability::NotDurable(format!("SQLite synchronous={synchronous} (FULL=2 is required)"))
            })
        })
        .await
    }

    async fn create_partner(&self, partner: NewPartner) -> Result<PartnerId, StoreError> {
        self.write(move |connection| {
            connection
                .execute_cached(
                    "INSERT INTO partners (name, bin, legal_address, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        partner.name,
                        partner.bin.as_str(),
                        partner.legal_address,
                        partner.created_at.as_microsecond()
                    ],
                )
                .map_err(|error| unique_or_backend(error, "a partner with this BIN"))?;
            Ok(PartnerId::new(connection.last_insert_rowid()))
        })
        .await
    }

    async fn partner(&self, id: PartnerId) -> Result<Option<Partner>, StoreError> {
        self.read(move |connection| {
            connection
                .query_row_cached(&format!("{} WHERE id = ?1", rows::PARTNER_SELECT), [id.get()], rows::partner)
                .optional()
                .map_err(StoreError::backend)
        })
        .await
    }

    async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        self.read(|connection| {
            let mut statement =
                connection.prepare(&format!("{} ORDER BY id", rows::PARTNER_SELECT)).map_err(StoreError::backend)?;
            let partners = statement.query_map([], rows::partner).map_err(StoreError::backend)?;
            partners.collect::<Result<Vec<_>, _>>().map_err(StoreError::backend)
        })
        .await
    }

    async fn set_withheld_services(
        &self,
        partner: PartnerId,
        withheld: tiyn_core::access::InformationRestrictions,
    ) -> Result<(), StoreError> {
        self.write(move |connection| {
            let changed = connection
                .execute_cached(
                    "UPDATE partners SET withheld_services = ?2 WHERE id = ?1",
                    params![partner.get(), withheld.to_text()],
                )
                .map_err(StoreError::backend)?;
            if changed == 0 { Err(StoreError::NotFound { what: "partner" }) } else { Ok(()) }
        })
        .await
    }

    async fn open_account(&self, account: NewAccount) -> Result<AccountId, StoreError> {
        tiyn_store::validate_new_account(&account)?;
        self.write(move |connection| {
            connection
                .execute_cached(
                    "INSERT INTO accounts (partner_id, iban, currency, kind, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        account.partner.map(PartnerId::get),
                        account.iban.as_ref().map(|iban| iban.as_str().to_owned()),
                        account.currency.code(),
                        account.kind.as_str(),
                        account.name,
                        account.created_at.as_microsecond()
                    ],
                )
                .map_err(|error| unique_or_backend(error, "an account with this IBAN"))?;
            Ok(AccountId::new(connection.last_insert_rowid()))
        })
        .await
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.read(move |connection| {
            connection
                .query_row_cached(&format!("{} WHERE id = ?1", rows::ACCOUNT_SELECT), [id.get()], rows::account)
                .optional()
                .map_err(StoreError::backend)?
                .transpose()
        })
        .await
    }

    async fn partner_accounts(&self, partner: PartnerId) -> Result<Vec<Account>, StoreError> {
        self.read(move |connection| {
            let sql = format!("{} WHERE partner_id = ?1 ORDER BY id", rows::ACCOUNT_SELECT);
            let mut statement = connection.prepare(&sql).map_err(StoreError::backend)?;
            let accounts = statement.query_map([partner.get()], rows::account).map_err(StoreError::backend)?;
            accounts.map(|row| row.map_err(StoreError::backend)?).collect()
        })
        .await
    }

    async fn bank_account(&self, kind: AccountKind, currency: Currency) -> Result<AccountId, StoreError> {
        if kind == AccountKind::PartnerCurrent {
            return Err(StoreError::Invalid("a partner account is not a bank account"));
        }
        self.write(move |connection| {
            let name = format!("{} {}", kind.as_str(), currency.code());
            connection
                .execute_cached(
                    "INSERT INTO accounts (currency, kind, name, created_at) VALUES (?1, ?2, ?3, 0)
                     ON CONFLICT (kind, currency) WHERE partner_id IS NULL DO NOTHING",
                    params![currency.code(), kind.as_str(), name],
                )
                .map_err(StoreError::backend)?;
            connection
                .query_row_cached(
                    "SELECT id FROM accounts WHERE kind = ?1 AND currency = ?2 AND partner_id IS NULL",
                    params![kind.as_str(), currency.code()],
                    |row| row.get(0),
                )
                .map(AccountId::new)
                .map_err(StoreError::backend)
        })
        .await
    }

    async fn execute(&self, command: Command) -> Result<Executed, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer.send(Job::Execute(command, reply)).await.map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }

    async fn create_user(&self, user: NewUser) -> Result<UserId, StoreError> {
        validate_new_user(&user)?;
        self.write(move |connection| {
            connection
                .execute_cached(
                    "INSERT INTO users (partner_id, full_name, mobile, email, access_level, status,
                                        consent_recorded_by, consent_recorded_at, created_at, operator_role)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        user.partner.map(PartnerId::get),
                        user.full_name.trim(),
                        user.mobile.as_ref().map(|mobile| mobile.as_str().to_owned()),
                        user.email.as_ref().map(|email| email.as_str().to_owned()),
                        user.level.map(|level| level.as_str()),
                        UserStatus::PendingActivation.as_str(),
                        user.consent.as_ref().map(|consent| consent.recorded_by.clone()),
                        user.consent.as_ref().map(|consent| consent.recorded_at.as_microsecond()),
                        user.created_at.as_microsecond(),
                        user.operator_role.map(|role| role.as_str())
                    ],
                )
                .map_err(|error| unique_or_backend(error, tiyn_store::LOGIN_TAKEN))?;
            Ok(UserId::new(connection.last_insert_rowid()))
        })
        .await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read(move |connection| users::one(connection, "id = ?1", &id.get())).await
    }

    async fn user_by_login(&self, login: &Login) -> Result<Option<User>, StoreError> {
        let (condition, value) = match login {
            Login::Email(email) => ("email = ?1", email.as_str().to_owned()),
            Login::Mobile(mobile) => ("mobile = ?1", mobile.as_str().to_owned()),
        };
        self.read(move |connection| users::one(connection, condition, &value)).await
    }

    async fn partner_users(&self, partner: PartnerId) -> Result<Vec<User>, StoreError> {
        self.read(move |connection| users::of_partner(connection, partner)).await
    }

    async fn record_login_failure(
        &self,
        user: UserId,
        policy: LockoutPolicy,
        at: Timestamp,
    ) -> Result<LockoutEvent, StoreError> {
        // On the writer thread, in one IMMEDIATE transaction: read, apply, write.
        self.write(move |connection| users::record_failure(connection, user, &policy, at)).await
    }

    async fn save_code(
        &self,
        challenge: &ChallengeId,
        user: UserId,
        record: CodeRecord,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let challenge = challenge.clone();
        self.write(move |connection| users::save_code(connection, &challenge, user, &record, at)).await
    }

    async fn verify_code(
        &self,
        challenge: &ChallengeId,
        candidate: &str,
        purpose: CodePurpose,
        now: Timestamp,
        key: &CodeKey,
    ) -> Result<(UserId, Result<(), CodeError>), StoreError> {
        let (challenge, candidate, key) = (challenge.clone(), candidate.to_owned(), key.clone());
        self.write(move |connection| users::verify_code(connection, &challenge, &candidate, purpose, now, &key)).await
    }

    async fn create_session(
        &self,
        token_digest: [u8; 32],
        user: UserId,
        at: Timestamp,
    ) -> Result<SessionId, StoreError> {
        self.write(move |connection| {
            connection
                .execute_cached(
                    "INSERT INTO sessions (token_digest, user_id, created_at, last_activity_at) VALUES (?1, ?2, ?3, ?3)",
                    params![token_digest.as_slice(), user.get(), at.as_microsecond()],
                )
                .map_err(|error| unique_or_backend(error, "a session with this token"))?;
            Ok(SessionId::new(connection.last_insert_rowid()))
        })
        .await
    }

    async fn session_by_token(&self, token_digest: [u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
        self.read(move |connection| users::session_by_token(connection, &token_digest)).await
    }

    async fn touch_session(&self, session: SessionId, at: Timestamp) -> Result<(), StoreError> {
        self.write(move |connection| {
            connection
                .execute_cached(
                    "UPDATE sessions SET last_activity_at = MAX(last_activity_at, ?2) WHERE id = ?1 AND ended_at IS NULL",
                    params![session.get(), at.as_microsecond()],
                )
                .map_err(StoreError::backend)?;
            Ok(())
        })
        .await
    }

    async fn end_session(&self, session: SessionId, at: Timestamp, reason: SessionEnd) -> Result<(), StoreError> {
        self.write(move |connection| {
            connection
                .execute_cached(
                    "UPDATE sessions SET ended_at = ?2, end_reason = ?3 WHERE id = ?1 AND ended_at IS NULL",
                    params![session.get(), at.as_microsecond(), reason.as_str()],
                )
                .map_err(StoreError::backend)?;
            Ok(())
        })
        .await
    }

    async fn end_user_sessions(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        at: Timestamp,
        reason: SessionEnd,
    ) -> Result<u64, StoreError> {
        self.write(move |connection| {
            let ended = connection
                .execute_cached(
                    "UPDATE sessions SET ended_at = ?3, end_reason = ?4
                     WHERE user_id = ?1 AND ended_at IS NULL AND id IS NOT ?2",
                    params![user.get(), keep.map(SessionId::get), at.as_microsecond(), reason.as_str()],
                )
                .map_err(StoreError::backend)?;
            Ok(ended as u64)
        })
        .await
    }

    async fn activate_user(&self, user: UserId, password_hash: &str, _at: Timestamp) -> Result<(), StoreError> {
        let password_hash = password_hash.to_owned();
        self.write(move |connection| users::activate(connection, user, &password_hash)).await
    }

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: Option<SessionId>,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        let password_hash = password_hash.to_owned();
        self.write(move |connection| users::change_password(connection, user, &password_hash, keep, at)).await
    }

    async fn record_login_success(&self, user: UserId, at: Timestamp) -> Result<(), StoreError> {
        self.write(move |connection| users::record_success(connection, user, at)).await
    }

    async fn update_user(
        &self,
        user: UserId,
        change: UserChange,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<User, StoreError> {
        self.write(move |connection| users::update(connection, user, change, by, at)).await
    }

    async fn block_user(&self, user: UserId, block: Block, at: Timestamp) -> Result<u64, StoreError> {
        self.write(move |connection| users::block(connection, user, block, at)).await
    }

    async fn unblock_user(&self, user: UserId, by: Option<UserId>, at: Timestamp) -> Result<(), StoreError> {
        self.write(move |connection| users::unblock(connection, user, by, at)).await
    }

    async fn clear_lockout(&self, user: UserId, _by: Option<UserId>, _at: Timestamp) -> Result<(), StoreError> {
        self.write(move |connection| users::clear_lockout(connection, user)).await
    }

    async fn schedule_suspension(
        &self,
        user: UserId,
        from: Option<jiff::civil::Date>,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.write(move |connection| users::schedule_suspension(connection, user, from, by, at)).await
    }

    async fn user_changes(&self, user: UserId) -> Result<Vec<UserChangeRecord>, StoreError> {
        self.read(move |connection| users::changes(connection, user)).await
    }

    async fn record_source_failure(
        &self,
        source: &str,
        policy: LockoutPolicy,
        at: Timestamp,
    ) -> Result<LockoutEvent, StoreError> {
        let source = source.to_owned();
        self.write(move |connection| users::record_source_failure(connection, &source, &policy, at)).await
    }

    async fn source_lockout(&self, source: &str) -> Result<LockoutState, StoreError> {
        let source = source.to_owned();
        self.read(move |connection| users::source_lockout(connection, &source)).await
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError> {
        self.read(move |connection| users::open_sessions(connection, user)).await
    }

    async fn append_audit(&self, record: NewAuditRecord, key: &AuditKey) -> Result<AuditRecord, StoreError> {
        let key = key.clone();
        self.write(move |connection| audit::append(connection, record, &key)).await
    }

    async fn audit_records(&self, query: AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        self.read(move |connection| audit::records(connection, &query)).await
    }

    async fn audit_chain(&self, after_id: i64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        self.read(move |connection| audit::chain(connection, after_id, limit)).await
    }

    async fn audit_head(&self) -> Result<AuditHead, StoreError> {
        self.read(audit::head).await
    }

    async fn purge_audit(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.write(move |connection| audit::purge(connection, before)).await
    }

    async fn create_marker(
        &self,
        user: UserId,
        serial: &str,
        sealed_secret: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let serial = serial.to_owned();
        self.write(move |connection| means::create_marker(connection, user, &serial, &sealed_secret, at)).await
    }

    async fn user_markers(&self, user: UserId) -> Result<Vec<MarkerRecord>, StoreError> {
        self.read(move |connection| means::user_markers(connection, user)).await
    }

    async fn accept_marker_step(
        &self,
        user: UserId,
        serial: &str,
        step: u64,
        activate: bool,
        at: Timestamp,
    ) -> Result<StepAcceptance, StoreError> {
        let serial = serial.to_owned();
        self.write(move |connection| means::accept_step(connection, user, &serial, step, activate, at)).await
    }

    async fn revoke_marker(&self, user: UserId, serial: &str, at: Timestamp) -> Result<(), StoreError> {
        let serial = serial.to_owned();
        self.write(move |connection| means::revoke_marker(connection, user, &serial, at)).await
    }

    async fn register_device(&self, device: NewDevice) -> Result<DeviceId, StoreError> {
        self.write(move |connection| means::register_device(connection, &device)).await
    }

    async fn user_devices(&self, user: UserId) -> Result<Vec<DeviceRecord>, StoreError> {
        self.read(move |connection| means::user_devices(connection, user)).await
    }

    async fn revoke_device(&self, user: UserId, device: DeviceId, at: Timestamp) -> Result<(), StoreError> {
        self.write(move |connection| means::revoke_device(connection, user, device, at)).await
    }

    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKeyId, StoreError> {
        self.write(move |connection| means::create_api_key(connection, &key)).await
    }

    async fn partner_api_keys(&self, partner: PartnerId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.read(move |connection| means::partner_api_keys(connection, partner)).await
    }

    async fn api_key_by_digest(&self, digest: [u8; 32]) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.read(move |connection| means::api_key_by_digest(connection, &digest)).await
    }

    async fn touch_api_key(&self, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        self.write(move |connection| means::touch_api_key(connection, key, at)).await
    }

    async fn revoke_api_key(&self, partner: PartnerId, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        self.write(move |connection| means::revoke_api_key(connection, partner, key, at)).await
    }

    async fn create_payment(
        &self,
        payment: tiyn_store::payments::NewPayment,
    ) -> Result<tiyn_store::payments::PaymentRecord, StoreError> {
        self.write(move |connection| payments::create(connection, &payment)).await
    }

    async fn payments_by_request_key_prefix(
        &self,
        partner: PartnerId,
        prefix: &str,
    ) -> Result<Vec<tiyn_store::payments::KeyedPayment>, StoreError> {
        let prefix = prefix.to_owned();
        self.read(move |connection| payments::by_request_key_prefix(connection, partner, &prefix)).await
    }

    async fn payment(
        &self,
        partner: PartnerId,
        id: tiyn_payments::DocumentId,
    ) -> Result<Option<tiyn_store::payments::PaymentRecord>, StoreError> {
        self.read(move |connection| payments::get(connection, partner, id)).await
    }

    async fn payments(
        &self,
        partner: PartnerId,
        query: tiyn_store::payments::PaymentQuery,
    ) -> Result<Vec<tiyn_store::payments::PaymentRecord>, StoreError> {
        self.read(move |connection| payments::list(connection, partner, &query)).await
    }

    async fn edit_payment(
        &self,
        edit: tiyn_store::payments::PaymentEdit,
    ) -> Result<tiyn_store::payments::PaymentRecord, StoreError> {
        self.write(move |connection| payments::edit(connection, &edit)).await
    }

    async fn delete_payment(
        &self,
        partner: PartnerId,
        id: tiyn_payments::DocumentId,
        _at: Timestamp,
    ) -> Result<(), StoreError> {
        self.write(move |connection| payments::delete(connection, partner, id)).await
    }

    async fn open_signing(&self, signing: tiyn_store::payments::NewSigning) -> Result<(), StoreError> {
        self.write(move |connection| payments::open_signing(connection, &signing)).await
    }

    async fn signing(
        &self,
        partner: PartnerId,
        challenge: &str,
    ) -> Result<Option<tiyn_store::payments::SigningRecord>, StoreError> {
        let challenge = challenge.to_owned();
        self.read(move |connection| payments::signing(connection, partner, &challenge)).await
    }

    async fn confirm_payments(
        &self,
        confirmation: tiyn_store::payments::ConfirmPayments,
    ) -> Result<Vec<tiyn_store::payments::PaymentOutcome>, StoreError> {
        self.write(move |connection| payments::confirm(connection, &confirmation)).await
    }

    async fn payment_rules(&self, partner: PartnerId) -> Result<tiyn_store::rules::PaymentRules, StoreError> {
        self.read(move |connection| rules::get(connection, partner)).await
    }

    async fn set_payment_rules(
        &self,
        partner: PartnerId,
        payment_rules: tiyn_store::rules::PaymentRules,
    ) -> Result<(), StoreError> {
        self.write(move |connection| rules::set(connection, partner, &payment_rules)).await
    }

    async fn add_restriction(
        &self,
        restriction: tiyn_store::rules::NewRestriction,
    ) -> Result<tiyn_store::rules::Restriction, StoreError> {
        self.write(move |connection| rules::add(connection, &restriction)).await
    }

    async fn lift_restriction(&self, account: AccountId, id: i64, at: Timestamp) -> Result<(), StoreError> {
        self.write(move |connection| rules::lift(connection, account, id, at)).await
    }

    async fn account_restrictions(
        &self,
        account: AccountId,
    ) -> Result<Vec<tiyn_store::rules::Restriction>, StoreError> {
        self.read(move |connection| rules::of_account(connection, account)).await
    }

    async fn collect(
        &self,
        request: tiyn_store::rules::CollectFrom,
    ) -> Result<Vec<tiyn_store::rules::Collected>, StoreError> {
        self.write(move |connection| rules::collect(connection, &request)).await
    }

    async fn accounts_to_collect(&self) -> Result<Vec<AccountId>, StoreError> {
        self.read(rules::accounts_to_collect).await
    }

    async fn collection(&self, id: i64) -> Result<Option<tiyn_store::rules::CollectionRecord>, StoreError> {
        self.read(move |connection| rules::collection(connection, id)).await
    }

    async fn collection_by_message(
        &self,
        message_id: &str,
    ) -> Result<Option<tiyn_store::rules::CollectionRecord>, StoreError> {
        let message_id = message_id.to_owned();
        self.read(move |connection| rules::collection_by_message(connection, &message_id)).await
    }

    async fn settle_collection(
        &self,
        settlement: tiyn_store::rules::CollectionSettlement,
    ) -> Result<tiyn_store::rules::CollectionOutcome, StoreError> {
        self.write(move |connection| rules::settle_collection(connection, &settlement)).await
    }

    async fn replace_aml_list(
        &self,
        entries: Vec<tiyn_store::rules::AmlEntry>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.write(move |connection| rules::replace_aml(connection, &entries, at)).await
    }

    async fn aml_list(&self) -> Result<Vec<tiyn_store::rules::AmlEntry>, StoreError> {
        self.read(rules::aml).await
    }

    async fn due_payments(
        &self,
        through: jiff::civil::Date,
        limit: usize,
    ) -> Result<Vec<tiyn_store::payments::PaymentRecord>, StoreError> {
        self.read(move |connection| payments::due(connection, through, limit)).await
    }

    async fn carry_out_payment(
        &self,
        due: tiyn_store::payments::DueExecution,
    ) -> Result<tiyn_store::payments::PaymentOutcome, StoreError> {
        self.write(move |connection| payments::carry_out(connection, &due)).await
    }

    async fn create_payments(
        &self,
        payments: Vec<tiyn_store::payments::NewPayment>,
    ) -> Result<tiyn_store::payments::Drafts, StoreError> {
        self.write(move |connection| payments::create_many(connection, &payments)).await
    }

    async fn payment_by_message(
        &self,
        message_id: &str,
    ) -> Result<Option<tiyn_store::payments::PaymentRecord>, StoreError> {
        let message_id = message_id.to_owned();
        self.read(move |connection| payments::by_message(connection, &message_id)).await
    }

    async fn settle_payment(
        &self,
        settlement: tiyn_store::payments::Settlement,
    ) -> Result<tiyn_payments::Status, StoreError> {
        self.write(move |connection| payments::settle(connection, &settlement)).await
    }

    async fn pending_outbox(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<tiyn_store::payments::OutboxItem>, StoreError> {
        self.read(move |connection| payments::pending_outbox(connection, now, limit)).await
    }

    async fn outbox_delivered(&self, message_id: &str, at: Timestamp) -> Result<(), StoreError> {
        let message_id = message_id.to_owned();
        self.write(move |connection| payments::outbox_delivered(connection, &message_id, at)).await
    }

    async fn outbox_failed(&self, message_id: &str, next_attempt_at: Timestamp, error: &str) -> Result<(), StoreError> {
        let (message_id, error) = (message_id.to_owned(), error.to_owned());
        self.write(move |connection| payments::outbox_failed(connection, &message_id, next_attempt_at, &error)).await
    }

    async fn returned_credit(
        &self,
        message_id: &str,
    ) -> Result<Option<tiyn_store::payments::ReturnedCredit>, StoreError> {
        let message_id = message_id.to_owned();
        self.read(move |connection| payments::returned_credit(connection, &message_id)).await
    }

    async fn return_credit(
        &self,
        credit: tiyn_store::payments::ReturnedCredit,
    ) -> Result<tiyn_store::payments::ReturnedCredit, StoreError> {
        self.write(move |connection| payments::return_credit(connection, &credit)).await
    }

    async fn account_by_iban(&self, iban: &tiyn_core::iban::Iban) -> Result<Option<Account>, StoreError> {
        let iban = iban.as_str().to_owned();
        self.read(move |connection| {
            connection
                .query_row_cached(&format!("{} WHERE iban = ?1", rows::ACCOUNT_SELECT), [iban], rows::account)
                .optional()
                .map_err(StoreError::backend)?
                .transpose()
        })
        .await
    }

    async fn create_payment_template(
        &self,
        template: tiyn_store::templates::NewPaymentTemplate,
    ) -> Result<tiyn_store::templates::PaymentTemplate, StoreError> {
        self.write(move |connection| templates::create(connection, &template)).await
    }

    async fn payment_templates(
        &self,
        partner: PartnerId,
    ) -> Result<Vec<tiyn_store::templates::PaymentTemplate>, StoreError> {
        self.read(move |connection| templates::list(connection, partner)).await
    }

    async fn payment_template(
        &self,
        partner: PartnerId,
        id: tiyn_store::templates::TemplateId,
    ) -> Result<Option<tiyn_store::templates::PaymentTemplate>, StoreError> {
        self.read(move |connection| templates::get(connection, partner, id)).await
    }

    async fn delete_payment_template(
        &self,
        partner: PartnerId,
        id: tiyn_store::templates::TemplateId,
    ) -> Result<(), StoreError> {
        self.write(move |connection| templates::delete(connection, partner, id)).await
    }

    async fn add_fx_rate(&self, rate: tiyn_store::fx::NewDealingRate) -> Result<tiyn_fx::DealingRate, StoreError> {
        self.write(move |connection| fx::add(connection, &rate)).await
    }

    async fn fx_rates_at(&self, at: Timestamp) -> Result<tiyn_fx::RatesInForce, StoreError> {
        self.read(move |connection| fx::at(connection, at)).await
    }

    async fn fx_rate(&self, id: tiyn_fx::RateId) -> Result<Option<tiyn_fx::DealingRate>, StoreError> {
        self.read(move |connection| fx::by_id(connection, id)).await
    }

    async fn fx_rate_history(
        &self,
        pair: tiyn_fx::Pair,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<tiyn_fx::DealingRate>, StoreError> {
        self.read(move |connection| fx::history(connection, pair, from, to)).await
    }

    async fn put_nbk_rates(
        &self,
        rates: &tiyn_fx::nbk::NbkRates,
        at: Timestamp,
    ) -> Result<tiyn_store::fx::NbkImport, StoreError> {
        let rates = rates.clone();
        self.write(move |connection| fx::put_nbk(connection, &rates, at)).await
    }

    async fn nbk_rates(&self, date: jiff::civil::Date) -> Result<Vec<tiyn_store::fx::NbkRateRecord>, StoreError> {
        self.read(move |connection| fx::nbk(connection, date)).await
    }

    async fn latest_nbk_date(&self, on_or_before: jiff::civil::Date) -> Result<Option<jiff::civil::Date>, StoreError> {
        self.read(move |connection| fx::latest_nbk_date(connection, on_or_before)).await
    }

    async fn posting_totals(&self) -> Result<Vec<CurrencyTotal>, StoreError> {
        self.read(ledger::posting_totals).await
    }

    async fn check_ledger(&self) -> Result<LedgerCheck, StoreError> {
        self.read(ledger::check).await
    }

    // Directories (issue 6)

    async fn add_directory_text(
        &self,
        text: tiyn_store::directories::NewDirectoryText,
    ) -> Result<tiyn_store::directories::DirectoryText, StoreError> {
        self.write(move |connection| directories::add(connection, &text)).await
    }

    async fn latest_directory_texts(&self) -> Result<Vec<tiyn_store::directories::DirectoryText>, StoreError> {
        self.read(directories::latest).await
    }

    // ----- statements (issue 6) -----

    async fn statement_totals(
        &self,
        account: AccountId,
        period: tiyn_store::statements::Period,
    ) -> Result<tiyn_store::statements::StatementTotals, StoreError> {
        self.read(move |connection| statements::totals(connection, account, period)).await
    }

    async fn statement_lines(
        &self,
        request: tiyn_store::statements::LinesRequest,
    ) -> Result<tiyn_store::statements::LinesPage, StoreError> {
        self.read(move |connection| statements::lines(connection, &request)).await
    }

    async fn statement_page_end(
        &self,
        request: tiyn_store::statements::LinesRequest,
    ) -> Result<Option<tiyn_store::statements::LineCursor>, StoreError> {
        self.read(move |connection| statements::page_end(connection, &request)).await
    }

    async fn book_incoming_credit(
        &self,
        command: Command,
        details: tiyn_store::statements::IncomingCreditDetails,
    ) -> Result<Executed, StoreError> {
        // Counted like every command of `execute` (`/metrics`), which booked credits before.
        let result =
            self.write(move |connection| statements::book_incoming_credit(connection, &command, &details)).await;
        self.counters.record(&result);
        result
    }

    // POS terminals (issue 6)

    async fn save_pos_terminal(
        &self,
        terminal: tiyn_store::pos::NewPosTerminal,
    ) -> Result<(tiyn_store::pos::PosTerminal, tiyn_store::pos::TerminalSaved), StoreError> {
        self.write(move |connection| pos::save_terminal(connection, &terminal)).await
    }

    async fn pos_terminal(&self, terminal_id: &str) -> Result<Option<tiyn_store::pos::PosTerminal>, StoreError> {
        let terminal_id = terminal_id.to_owned();
        self.read(move |connection| pos::terminal(connection, &terminal_id)).await
    }

    async fn pos_terminals(&self, partner: PartnerId) -> Result<Vec<tiyn_store::pos::PosTerminal>, StoreError> {
        self.read(move |connection| pos::terminals(connection, partner)).await
    }

    async fn ingest_pos_operations(
        &self,
        operations: Vec<tiyn_store::pos::NewPosOperation>,
    ) -> Result<Vec<Result<tiyn_store::pos::PosIngested, StoreError>>, StoreError> {
        self.write(move |connection| pos::ingest(connection, &operations)).await
    }

    async fn pos_operations(
        &self,
        query: tiyn_store::pos::PosOperationsQuery,
    ) -> Result<Vec<tiyn_store::pos::PosOperation>, StoreError> {
        self.read(move |connection| pos::operations(connection, &query)).await
    }

    async fn pos_totals(
        &self,
        terminal: i64,
        currency: Currency,
        from_us: i64,
        to_us: i64,
    ) -> Result<tiyn_store::pos::PosPeriodTotals, StoreError> {
        self.read(move |connection| pos::totals(connection, terminal, currency, from_us, to_us)).await
    }

    async fn planned_pos_credits(
        &self,
        partner: PartnerId,
    ) -> Result<Vec<tiyn_store::pos::PlannedPosCredit>, StoreError> {
        self.read(move |connection| pos::planned(connection, partner)).await
    }

    async fn pos_settlement(
        &self,
        account: AccountId,
        settlement_date: jiff::civil::Date,
    ) -> Result<tiyn_store::pos::PosSettlementState, StoreError> {
        self.read(move |connection| pos::settlement(connection, account, settlement_date)).await
    }

    async fn credit_pos_operations(&self, credit: tiyn_store::pos::CreditPosOperations) -> Result<u64, StoreError> {
        self.write(move |connection| pos::credit(connection, &credit)).await
    }

    // Notices and marketplace reports (issue 6, R-3.1.2.8)

    async fn publish_notice(
        &self,
        notice: tiyn_store::messages::NewNotice,
    ) -> Result<tiyn_store::messages::NoticePublished, StoreError> {
        self.write(move |connection| messages::publish(connection, &notice)).await
    }

    async fn notices(
        &self,
        query: tiyn_store::messages::NoticeQuery,
    ) -> Result<Vec<tiyn_store::messages::Notice>, StoreError> {
        self.read(move |connection| messages::notices(connection, &query)).await
    }

    async fn ingest_marketplace_report(
        &self,
        report: tiyn_store::messages::NewMarketplaceReport,
    ) -> Result<tiyn_store::messages::ReportIngested, StoreError> {
        self.write(move |connection| messages::ingest_report(connection, &report)).await
    }

    async fn marketplace_reports(
        &self,
        partner: PartnerId,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<tiyn_store::messages::MarketplaceReportSummary>, StoreError> {
        self.read(move |connection| messages::reports(connection, partner, before, limit)).await
    }

    async fn marketplace_report(
        &self,
        partner: PartnerId,
        report_id: &str,
    ) -> Result<Option<tiyn_store::messages::MarketplaceReport>, StoreError> {
        let report_id = report_id.to_owned();
        self.read(move |connection| messages::report(connection, partner, &report_id)).await
    }

    // Marketplace payouts in planned credits (issue 6, R-3.1.2.5)

    async fn planned_marketplace_payouts(
        &self,
        partner: PartnerId,
    ) -> Result<Vec<tiyn_store::messages::PlannedPayout>, StoreError> {
        self.read(move |connection| messages::planned_payouts(connection, partner)).await
    }

    async fn marketplace_payout(
        &self,
        partner: PartnerId,
        report_id: &str,
        payout_id: &str,
    ) -> Result<Option<tiyn_store::messages::PlannedPayout>, StoreError> {
        let (report_id, payout_id) = (report_id.to_owned(), payout_id.to_owned());
        self.read(move |connection| messages::payout(connection, partner, &report_id, &payout_id)).await
    }

    async fn credit_marketplace_payout(
        &self,
        credit: tiyn_store::messages::CreditMarketplacePayout,
    ) -> Result<bool, StoreError> {
        self.write(move |connection| messages::credit_payout(connection, &credit)).await
    }
}

fn unique_or_backend(error: rusqlite::Error, what: &'static str) -> StoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) if error.to_string().contains("UNIQUE") => {
            StoreError::AlreadyExists { what }
        }
        _ => StoreError::backend(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Work = Box<dyn FnOnce(&mut Connection) -> Result<usize, StoreError> + Send>;

    fn fresh_path() -> PathBuf {
        tempfile::tempdir().expect("temp dir").keep().join("tiyn.db")
    }

    /// A write of `rows` rows of 100 bytes each to a table of its own.
    fn insert_rows(rows: i64, tag: &'static str) -> impl FnOnce(&mut Connection) -> Result<usize, StoreError> {
        move |connection: &mut Connection| {
            connection
                .execute_batch("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, tag TEXT NOT NULL, body BLOB NOT NULL); CREATE INDEX IF NOT EXISTS filler_body ON filler (body)")
                .map_err(StoreError::backend)?;
            let mut insert = connection
                .prepare("INSERT INTO filler (tag, body) VALUES (?1, randomblob(100))")
                .map_err(StoreError::backend)?;
            for _ in 0..rows {
                insert.execute([tag]).map_err(StoreError::backend)?;
            }
            Ok(rows as usize)
        }
    }

    /// Copies the database and its log as they are on disk now, as a crash would leave them,
    /// and opens the copy with SQLite's default VFS, which recovers the log.
    fn copy_as_after_a_crash(path: &Path) -> Connection {
        let copy = fresh_path();
        std::fs::copy(path, &copy).expect("copy the database");
        let log = |file: &Path| PathBuf::from(format!("{}-wal", file.display()));
        if log(path).exists() {
            std::fs::copy(log(path), log(&copy)).expect("copy the log");
        }
        Connection::open(&copy).expect("open the copy")
    }

    /// An answered write is in the files on disk before any checkpoint: the WAL frames the
    /// writer keeps in memory (`wal_buffer`) reach the file before the commit's fsync, also for
    /// a transaction larger than the buffer's bound and than one write of the default VFS.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_answered_write_is_in_the_files_on_disk_whatever_its_size() {
        let path = fresh_path();
        let store = SqliteStore::open(&path).await.expect("open");
        store.write(insert_rows(1, "small")).await.expect("a one-row write");
        store.write(insert_rows(60_000, "large")).await.expect("a write of ~12 MB of pages");
        for _ in 0..20 {
            store.write(insert_rows(3, "batch")).await.expect("small writes in turn");
        }
        let copy = copy_as_after_a_crash(&path);
        let count = |tag: &str| -> i64 {
            copy.query_row("SELECT COUNT(*) FROM filler WHERE tag = ?1", [tag], |row| row.get(0)).expect("count")
        };
        assert_eq!((count("small"), count("large"), count("batch")), (1, 60_000, 60));
        let check: String = copy.query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("check");
        assert_eq!(check, "ok");
    }

    /// Under continuous writes the log is rewound (the writer copies what the checkpointer has
    /// not and starts again at the beginning of the file) long before the checkpointer would
    /// force it: the file stays bounded and every write is kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_is_rewound_under_continuous_writes() {
        // The production policy scaled down, so that the test runs in a second on any machine.
        let policy = LogPolicy { interval: Duration::from_millis(50), rewind_frames: 1024, restart_frames: 64 * 1024 };
        let path = fresh_path();
        let store = SqliteStore::open_with_policy(&path, SqliteOptions::default(), policy).await.expect("open");
        let log = PathBuf::from(format!("{}-wal", path.display()));
        // The WAL header's checkpoint sequence number (bytes 12..16, big-endian) counts rewinds.
        let rewinds = || -> u32 {
            let header = std::fs::read(&log).map(|bytes| bytes[..32].to_vec()).expect("read the log's header");
            u32::from_be_bytes(header[12..16].try_into().expect("four bytes"))
        };
        // Writers that keep the writer busy: a commit always follows another at once, so the
        // checkpointer never finds the whole log copied when a transaction starts.
        let store = Arc::new(store);
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..8)
            .map(|_| {
                let (store, stop) = (Arc::clone(&store), Arc::clone(&stop));
                tokio::spawn(async move {
                    let mut writes = 0_i64;
                    while !stop.load(Ordering::Acquire) {
                        store.write(insert_rows(100, "continuous")).await.expect("write");
                        writes += 1;
                    }
                    writes
                })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        while rewinds() < 10 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.store(true, Ordering::Release);
        let mut writes = 0;
        for writer in writers {
            writes += writer.await.expect("joined");
        }
        assert!(rewinds() >= 10, "{} rewinds after {writes} writes", rewinds());
        let size = std::fs::metadata(&log).expect("the log").len();
        let forced = u64::try_from(policy.restart_frames * (i64::from(PAGE_SIZE_BYTES) + 24)).expect("positive");
        assert!(size < forced, "the log ({size} bytes) was rewound before the checkpointer had to force it");
        let kept: i64 = store
            .read(|connection| {
                connection.query_row("SELECT COUNT(*) FROM filler", [], |row| row.get(0)).map_err(StoreError::backend)
            })
            .await
            .expect("count");
        assert_eq!(kept, writes * 100);
    }

    /// With `page_cache` in front of SQLite's page cache (installed before SQLite started), a
    /// write rolled back after growing the file by thousands of pages (page splits, swaps through
    /// the spare key), then a write over the same page numbers, leave the right rows and a sound
    /// file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pages_of_a_rolled_back_write_do_not_come_back() {
        let path = fresh_path();
        let store = SqliteStore::open(&path).await.expect("open");
        assert!(page_cache::install(), "the page cache was installed before SQLite started");
        store.write(insert_rows(2_000, "kept")).await.expect("a first write");
        let rolled_back = store
            .write(|connection| {
                insert_rows(20_000, "rolled back")(connection)?;
                Err::<usize, _>(StoreError::Conflict("a write that fails after growing the file"))
            })
            .await;
        assert!(matches!(rolled_back, Err(StoreError::Conflict(_))));
        store.write(insert_rows(20_000, "after")).await.expect("a write over the same page numbers");
        let (tags, check) = store
            .write(|connection| {
                let mut statement = connection
                    .prepare("SELECT tag, COUNT(*) FROM filler GROUP BY tag ORDER BY tag")
                    .map_err(StoreError::backend)?;
                let tags = statement
                    .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))
                    .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                    .map_err(StoreError::backend)?;
                let check: String = connection
                    .query_row("PRAGMA integrity_check", [], |row| row.get(0))
                    .map_err(StoreError::backend)?;
                Ok((tags, check))
            })
            .await
            .expect("read back");
        assert_eq!(tags, [("after".to_owned(), 20_000), ("kept".to_owned(), 2_000)]);
        assert_eq!(check, "ok");
    }

    /// A write that fails or panics after writing is rolled back to its savepoint and answered
    /// with an error; the writes grouped with it commit, and the writer goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_or_panicking_write_fails_alone_and_the_writer_goes_on() {
        let path = tempfile::tempdir().expect("temp dir").keep().join("tiyn.db");
        let store = Arc::new(SqliteStore::open(&path).await.expect("open"));
        let insert = |name: &'static str| {
            move |connection: &mut Connection| {
                connection
                    .execute_cached(
                        "INSERT INTO partners (name, bin, legal_address, created_at) VALUES (?1, ?1, '', 0)",
                        [name],
                    )
                    .map_err(StoreError::backend)
            }
        };
        // Hold the write lock so that the writes queue up and form one group.
        let lock = Connection::open(&path).expect("open directly");
        lock.execute_batch("BEGIN IMMEDIATE").expect("lock");
        let spawn = |work: Work| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.write(work).await })
        };
        let before = spawn(Box::new(insert("before")));
        let panicking = spawn(Box::new(move |connection| {
            insert("panicking")(connection)?;
            panic!("a bug in a write");
        }));
        let failing = spawn(Box::new(move |connection| {
            insert("failing")(connection)?;
            Err(StoreError::Conflict("a write that fails after writing"))
        }));
        let after = spawn(Box::new(insert("after")));
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(lock);

        assert_eq!(before.await.expect("joined").expect("committed"), 1);
        assert!(panicking.await.expect("joined").is_err());
        assert!(matches!(failing.await.expect("joined"), Err(StoreError::Conflict(_))));
        assert_eq!(after.await.expect("joined").expect("committed"), 1);
        let names = store
            .read(|connection| {
                let mut statement = connection.prepare("SELECT name FROM partners ORDER BY name").expect("prepare");
                let names = statement.query_map([], |row| row.get::<_, String>(0)).expect("query");
                Ok(names.collect::<Result<Vec<_>, _>>().expect("names"))
            })
            .await
            .expect("read");
        assert_eq!(names, ["after", "before"], "nothing of the panicking write is kept");
        store.write(insert("later")).await.expect("the writer goes on");
    }
}
