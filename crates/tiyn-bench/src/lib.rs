//! `tiyn bench ledger`: concurrent clients, each submitting one transfer at a time and waiting
//! for its own durable acknowledgement, against a real store. Prints throughput, latency
//! percentiles, and the zero-sum check (with how long the check took).
//!
//! `tiyn bench payments` (the `payments` module): confirmed internal payments per second through
//! the HTTP API, against the real application served over TCP.
//!
//! `tiyn bench export` (the `export` module): statement exports (CSV, XLSX, MT940, camt.053, 1C)
//! of a synthetic million-line statement streamed to a file: rows per second, size, peak memory;
//! with `--database`, of a statement seeded into SQLite or PostgreSQL and read back the way the
//! API's export reads it (the `export_db` module).

mod export;
mod export_db;
mod payments;

pub use export::{ExportBenchArgs, ExportFormat, ExportReport, measure_export, run_export};
pub use export_db::{DatabaseExportReport, Seeded, measure_database_export, seed_statement};
pub use payments::{PaymentsBenchArgs, PaymentsReport, measure_payments, run_payments};

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use tiyn_core::iban::Iban;
use tiyn_core::iin::Bin;
use tiyn_core::{AccountId, Amount, Currency, Money};
use tiyn_ledger::{Action, Command, EntryKind, IdempotencyKey, JournalEntry, LedgerError};
use tiyn_store::{AccountKind, NewAccount, NewPartner, Store, StoreError};
use tiyn_store_postgres::cluster::{Durability, ThrowawayCluster};

use tiyn_backend::{DatabaseLocation, open_store};

/// What `tiyn bench ledger` takes.
#[derive(Debug, Clone, clap::Args)]
pub struct LedgerBenchArgs {
    /// `sqlite` (a fresh durable file), `postgres` (a fresh durable throwaway cluster), or a
    /// database URL / SQLite path to run against.
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Partner accounts to create and fund.
    #[arg(long, default_value_t = 10_000)]
    pub accounts: u32,
    /// Transfers to submit in total.
    #[arg(long, default_value_t = 200_000)]
    pub transfers: u64,
    /// Concurrent clients; each waits for its own transfer's commit before sending the next.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Send every transfer between the first K accounts only (contention on hot accounts).
    #[arg(long)]
    pub hot: Option<u32>,
}

/// Each account starts with this many KZT minor units: enough that random transfers of at most
/// `TRANSFER_MINOR_MAX` rarely hit the balance rule, so the benchmark measures posting.
const OPENING_BALANCE_MINOR: i64 = 100_000_000_000; // 1 000 000 000.00 KZT
const TRANSFER_MINOR_MAX: i64 = 1_000_000; // 10 000.00 KZT

pub async fn run_ledger(args: LedgerBenchArgs) -> Result<(), String> {
    if args.accounts < 2 || args.concurrency == 0 || args.transfers == 0 {
        return Err("need at least 2 accounts, 1 client and 1 transfer".into());
    }
    let hot = args.hot.unwrap_or(args.accounts).clamp(2, args.accounts);
    let (store, _cluster, description, scratch) = open_bench_store(&args.database, "ledger").await?;
    let _scratch = ScratchFiles(scratch);
    println!("backend: {description}");
    println!(
        "setup: {} accounts, {} transfers, {} clients, {} account(s) in play",
        args.accounts, args.transfers, args.concurrency, hot
    );

    let setup_started = Instant::now();
    let accounts = create_accounts(&store, args.accounts).await.map_err(|error| error.to_string())?;
    println!("setup took {:.1?}", setup_started.elapsed());

    let accounts = Arc::new(accounts[..hot as usize].to_vec());
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut clients = Vec::with_capacity(args.concurrency);
    for client in 0..args.concurrency {
        let (store, accounts, next) = (Arc::clone(&store), Arc::clone(&accounts), Arc::clone(&next));
        let total = args.transfers;
        clients.push(tokio::spawn(async move { client_loop(client as u64, store, accounts, next, total).await }));
    }
    let mut latencies_us: Vec<u32> = Vec::with_capacity(args.transfers as usize);
    let mut refused = 0_u64;
    for client in clients {
        let (latencies, client_refused) = client.await.map_err(|error| error.to_string())??;
        latencies_us.extend(latencies);
        refused += client_refused;
    }
    let elapsed = started.elapsed();
    latencies_us.sort_unstable();
    let rate = latencies_us.len() as f64 / elapsed.as_secs_f64();
    println!("{rate:.0} transfers/s");
    println!(
        "latency: p50 {} p99 {} max {}  ({} transfers in {:.2?}, {} refused for funds)",
        micros(percentile(&latencies_us, 50.0)),
        micros(percentile(&latencies_us, 99.0)),
        micros(latencies_us.last().copied().unwrap_or(0)),
        latencies_us.len(),
        elapsed,
        refused
    );

    let zero_sum_started = Instant::now();
    let totals = store.posting_totals().await.map_err(|error| error.to_string())?;
    let zero_sum_took = zero_sum_started.elapsed();
    let postings: u64 = totals.iter().map(|total| total.postings).sum();
    let zero = totals.iter().all(|total| total.sum_minor == 0);
    println!(
        "zero-sum check over {postings} postings took {zero_sum_took:.1?}: {}",
        if zero { "every currency sums to zero" } else { "NOT ZERO" }
    );
    let check_started = Instant::now();
    let check = store.check_ledger().await.map_err(|error| error.to_string())?;
    println!(
        "full ledger check (zero-sum, every balance against its postings, no partner below zero) took {:.1?}: {}",
        check_started.elapsed(),
        if check.is_sound() { "sound" } else { "NOT SOUND" }
    );
    if !check.is_sound() {
        return Err(format!("ledger invariant broken: {check:?}"));
    }
    Ok(())
}

async fn client_loop(
    client: u64,
    store: Arc<dyn Store>,
    accounts: Arc<Vec<AccountId>>,
    next: Arc<AtomicU64>,
    total: u64,
) -> Result<(Vec<u32>, u64), String> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(client);
    let mut latencies = Vec::new();
    let mut refused = 0;
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= total {
            return Ok((latencies, refused));
        }
        let from = accounts[rng.random_range(0..accounts.len())];
        let mut to = accounts[rng.random_range(0..accounts.len())];
        while to == from {
            to = accounts[rng.random_range(0..accounts.len())];
        }
        let amount = kzt(rng.random_range(1..=TRANSFER_MINOR_MAX))?;
        let entry = JournalEntry::transfer(from, to, amount).map_err(|error| error.to_string())?;
        let action = Action::Post { entry, kind: EntryKind::Transfer, memo: String::new() };
        let key = IdempotencyKey::parse(&format!("bench-{n}")).map_err(|error| error.to_string())?;
        let command = Command::new(key, jiff::Timestamp::now(), action).map_err(|error| error.to_string())?;
        let sent = Instant::now();
        match store.execute(command).await {
            Ok(_) => {}
            Err(StoreError::Ledger(LedgerError::InsufficientFunds { .. })) => refused += 1,
            Err(error) => return Err(format!("transfer failed: {error}")),
        }
        latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
}

/// A store to measure, the cluster it runs on (stopped when dropped), a description, and the
/// files to delete at the end.
type BenchStore = (Arc<dyn Store>, Option<ThrowawayCluster>, String, Vec<PathBuf>);

/// Deletes the benchmark's own database files when the run ends.
pub(crate) struct ScratchFiles(pub(crate) Vec<PathBuf>);

impl Drop for ScratchFiles {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Opens the store to measure; `bench` names the benchmark in a fresh SQLite file's name (unique
/// in this process, so two runs in one process never share a file).
pub(crate) async fn open_bench_store(database: &str, bench: &str) -> Result<BenchStore, String> {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    match database {
        "sqlite" => {
            let run = RUNS.fetch_add(1, Ordering::Relaxed);
            let name = match run {
                0 => format!("tiyn-bench-{bench}-{}.db", std::process::id()),
                _ => format!("tiyn-bench-{bench}-{}-{run}.db", std::process::id()),
            };
            let path: PathBuf = std::env::temp_dir().join(name);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            let store = open_store(&DatabaseLocation::Sqlite(path.clone())).await.map_err(|error| error.to_string())?;
            let scratch = ["", "-wal", "-shm"]
                .iter()
                .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
                .collect();
            Ok((store, None, format!("SQLite {} (WAL, synchronous=FULL)", path.display()), scratch))
        }
        "postgres" => {
            let cluster = tokio::task::spawn_blocking(|| ThrowawayCluster::start(Durability::Durable))
                .await
                .map_err(|error| error.to_string())??;
            let url = cluster.url("postgres");
            let store = open_store(&DatabaseLocation::Postgres(url)).await.map_err(|error| error.to_string())?;
            Ok((
                store,
                Some(cluster),
                "PostgreSQL throwaway cluster (fsync=on, synchronous_commit=on)".into(),
                Vec::new(),
            ))
        }
        other => {
            let location = DatabaseLocation::parse(other, &std::env::temp_dir());
            let store = open_store(&location).await.map_err(|error| error.to_string())?;
            let durability = store.durability().await.map_err(|error| error.to_string())?;
            Ok((store, None, format!("{location:?} ({durability:?})"), Vec::new()))
        }
    }
}

/// One partner with `count` KZT accounts, each funded from the bank's equity.
async fn create_accounts(store: &Arc<dyn Store>, count: u32) -> Result<Vec<AccountId>, StoreError> {
    let now = jiff::Timestamp::now();
    let bin = Bin::parse("971240001315").map_err(|_| StoreError::Invalid("bench BIN"))?;
    let partner = match store.partners().await?.into_iter().find(|partner| partner.bin == bin) {
        Some(existing) => existing.id,
        None => {
            store
                .create_partner(NewPartner {
                    name: "Benchmark LLP".into(),
                    bin,
                    legal_address: "Almaty".into(),
                    created_at: now,
                })
                .await?
        }
    };
    let existing = store.partner_accounts(partner).await?;
    let equity = store.bank_account(AccountKind::BankEquity, Currency::Kzt).await?;
    let mut accounts: Vec<AccountId> = existing.iter().map(|account| account.id).collect();
    let mut opened = Vec::new();
    for serial in accounts.len() as u32..count {
        let iban =
            Iban::from_bban("KZ", &format!("722B{serial:012}")).map_err(|_| StoreError::Invalid("bench IBAN"))?;
        let account = NewAccount {
            partner: Some(partner),
            iban: Some(iban),
            currency: Currency::Kzt,
            kind: AccountKind::PartnerCurrent,
            name: format!("Bench {serial}"),
            created_at: now,
        };
        let id = store.open_account(account).await?;
        accounts.push(id);
        opened.push(id);
    }
    // Fund concurrently so that group commit does the work in a few transactions.
    let mut funding = Vec::new();
    for id in opened {
        let store = Arc::clone(store);
        funding.push(tokio::spawn(async move {
            let entry = JournalEntry::transfer(equity, id, kzt(OPENING_BALANCE_MINOR).map_err(StoreError::backend)?)?;
            let action = Action::Post { entry, kind: EntryKind::OpeningBalance, memo: "bench opening balance".into() };
            let key = IdempotencyKey::parse(&format!("bench-open-{id}"))?;
            store.execute(Command::new(key, now, action)?).await
        }));
    }
    for task in funding {
        task.await.map_err(StoreError::backend)??;
    }
    Ok(accounts.into_iter().take(count as usize).collect())
}

fn kzt(minor: i64) -> Result<Amount, String> {
    Amount::new(Money::from_minor(minor, Currency::Kzt)).map_err(|error| error.to_string())
}

pub(crate) fn percentile(sorted: &[u32], percent: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((percent / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub(crate) fn micros(value: u32) -> String {
    format!("{:.2?}", Duration::from_micros(u64::from(value)))
}
