//! `tiyn bench export --database sqlite|postgres|URL`: statement exports read from a real store,
//! the way the API's streamed export reads them (`tiyn_api::statements`): the store's totals
//! ([`Store::statement_totals`]), then the lines page by page ([`LineReader`], pages of
//! [`STATEMENT_PAGE_POSTINGS`] postings, the API's own constant), fed to a blocking writer on a
//! blocking thread that waits for each page on the runtime.
//!
//! One partner account is seeded with `--lines` postings spread over the year 2025 (business
//! dates in Almaty): incoming credits (one in a hundred booked with its payer's details, as the
//! gateway books them), outgoing payments, a commission as every tenth line, and a reversal of an
//! earlier payment in every hundred; an opening balance the day before. Each posting is one line
//! (no payment documents are seeded, so no commission is split off a payment: the commissions are
//! fee entries of their own). Seeding goes through `Store::execute` from many concurrent clients,
//! so the backend's group commit merges them; it is timed and reported apart.
//!
//! Each format then runs in a child process of its own (`… export --database <the same
//! database> --account <id> --format <one>`), which opens the store, and is timed from asking for
//! the totals to the last byte handed to the file. The parent keeps the throwaway cluster (or the
//! SQLite file) until the children end.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::{Date, date};
use tiyn_banking::statements::STATEMENT_PAGE_POSTINGS;
use tiyn_core::iban::Iban;
use tiyn_core::iin::Bin;
use tiyn_core::{AccountId, Amount, Bic, Currency, EntryId, Knp, Money, TaxpayerId};
use tiyn_ledger::{Action, Command, EntryKind, IdempotencyKey, JournalEntry, Receipt};
use tiyn_statement::{ExportSummary, Period, StatementHeader};
use tiyn_store::statements::{BlockingLines, IncomingCreditDetails, LineReader, OwnBank, period_instants};
use tiyn_store::{AccountKind, NewAccount, NewPartner, Store, StoreError};

use tiyn_backend::{DatabaseLocation, open_store};

use crate::export::{CSV_PEAK_BYTES_MAX, CSV_ROWS_PER_SECOND_MIN, ExportBenchArgs, ExportFormat, peak_resident_bytes};
use crate::{ScratchFiles, open_bench_store};

/// The seeded statement's period: the year 2025, business dates in Almaty.
const PERIOD_FROM: Date = date(2025, 1, 1);
const PERIOD_TO: Date = date(2025, 12, 31);
/// The account's opening balance, booked the day before the period: large enough that no debit
/// is ever refused for funds.
const OPENING_MINOR: i64 = 10_000_000_000_000; // 100 000 000 000.00 KZT: 14 digits, as MT940 allows
/// A commission's amount.
const COMMISSION_MINOR: i64 = 15_000;
/// Concurrent seeding clients: enough for the group commit to fill its batches.
const SEED_CLIENTS: u64 = 64;
/// The seeded partner (a BIN of its own, so the ledger bench's partner is never mixed in).
const PARTNER_BIN: &str = "180140010005";
const PARTNER_NAME: &str = "ТОО «Бенчмарк Қазақстан»";

fn period() -> Period {
    match Period::new(PERIOD_FROM, PERIOD_TO) {
        Ok(period) => period,
        Err(error) => unreachable!("a year is a valid period: {error}"),
    }
}

fn parsed<T, E: std::fmt::Debug>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => unreachable!("the bench's constants are valid: {error:?}"),
    }
}

fn own_bank() -> OwnBank {
    OwnBank { name: "АО «Тиын Банк»".into(), bic: parsed(Bic::parse("TIYNKZKA")) }
}

// ----- Seeding -----

/// What line `index` of the seeded statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seed {
    /// Clearing → account, without the payer's details (the memo is the purpose).
    Credit,
    /// Clearing → account, booked with the payer's details (`book_incoming_credit`).
    NamedCredit,
    /// Account → clearing.
    Payment,
    /// Account → the bank's fees.
    Commission,
    /// The reversal of the payment at `index - REVERSAL_LAG`.
    Reversal,
}

/// How far back a reversal reaches: to a payment (index ≡ 35 mod 100).
const REVERSAL_LAG: u64 = 64;

fn seed_of(index: u64) -> Seed {
    match index % 100 {
        99 => Seed::Reversal,
        50 => Seed::NamedCredit,
        n if n % 10 == 9 => Seed::Commission,
        n if n % 2 == 0 => Seed::Credit,
        _ => Seed::Payment,
    }
}

/// A deterministic amount per line (splitmix64), 1.00 to 100 000.00 KZT.
fn amount_minor(index: u64) -> i64 {
    let mut z = index.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % 10_000_000) as i64 + 100
}

/// What line `index` does to the account's balance.
fn effect_minor(index: u64) -> i64 {
    match seed_of(index) {
        Seed::Credit | Seed::NamedCredit => amount_minor(index),
        Seed::Payment => -amount_minor(index),
        Seed::Commission => -COMMISSION_MINOR,
        Seed::Reversal => amount_minor(index - REVERSAL_LAG),
    }
}

/// A seeded statement: the account, and the balances its statement must show.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    pub account: AccountId,
    pub lines: u64,
    pub opening_minor: i64,
    pub closing_minor: i64,
    pub took: Duration,
}

/// The counterparties the named credits come from: (name, BIN/IIN, IBAN, BIC).
const PAYERS: [(&str, &str, &str, &str); 4] = [
    ("ТОО «Қазақ Ғарыш Сервис»", "220340110009", "KZ806014482455345985", "HSBKKZKX"),
    ("ИП Әлиев Ұлан Һ.", "900101310004", "KZ668560203255855690", "KCJBKZKX"),
    ("ТОО «Поставщик Алматы»", "190940210009", "KZ819657096609065792", "CASPKZKA"),
    ("ИП Өмірзақова Гүлнұр", "851225410006", "KZ619980520325134628", "HSBKKZKX"),
];

/// What every seeding client shares.
struct Plan {
    store: Arc<dyn Store>,
    account: AccountId,
    clearing: AccountId,
    fees: AccountId,
    lines: u64,
    start_us: i64,
    span_us: i64,
    /// The entries of the payments that are reversed later, by `index / 100` (0: not yet).
    reversed: Vec<AtomicI64>,
    next: AtomicU64,
    done: AtomicU64,
    /// Set when a client fails, so that no reversal waits for a payment that will never come.
    failed: AtomicBool,
}

impl Plan {
    /// Line `index`'s instant: the lines spread evenly over the period, in index order.
    fn at(&self, index: u64) -> Result<Timestamp, String> {
        let offset = i128::from(self.span_us) * i128::from(index) / i128::from(self.lines.max(1));
        Timestamp::from_microsecond(self.start_us + offset as i64).map_err(|error| error.to_string())
    }
}

/// Seeds one partner account with `lines` postings over 2025 (see the module documentation).
/// Idempotent: a second run against the same database replays every command.
pub async fn seed_statement(store: &Arc<dyn Store>, lines: u64) -> Result<Seeded, String> {
    let started = Instant::now();
    let failed = |error: StoreError| error.to_string();
    let now = Timestamp::now();
    let bin = parsed(Bin::parse(PARTNER_BIN));
    let partner = match store.partners().await.map_err(failed)?.into_iter().find(|partner| partner.bin == bin) {
        Some(existing) => existing.id,
        None => store
            .create_partner(NewPartner {
                name: PARTNER_NAME.into(),
                bin,
                legal_address: "Алматы".into(),
                created_at: now,
            })
            .await
            .map_err(failed)?,
    };
    let existing = store.partner_accounts(partner).await.map_err(failed)?;
    let account = match existing.iter().find(|account| account.currency == Currency::Kzt) {
        Some(account) => account.id,
        None => store
            .open_account(NewAccount {
                partner: Some(partner),
                iban: Some(parsed(Iban::from_bban("KZ", "722E000000000001"))),
                currency: Currency::Kzt,
                kind: AccountKind::PartnerCurrent,
                name: "Бенчмарк выписки".into(),
                created_at: now,
            })
            .await
            .map_err(failed)?,
    };
    let bank = |kind| async move { store.bank_account(kind, Currency::Kzt).await.map_err(failed) };
    let (equity, clearing, fees) = (
        bank(AccountKind::BankEquity).await?,
        bank(AccountKind::BankClearing).await?,
        bank(AccountKind::BankFees).await?,
    );
    let (start_us, end_us) = period_instants(period()).map_err(failed)?;

    // The opening balance, an hour before the period.
    let opening_at = Timestamp::from_microsecond(start_us - 3_600_000_000).map_err(|error| error.to_string())?;
    let entry = JournalEntry::transfer(equity, account, kzt(OPENING_MINOR)?).map_err(|error| error.to_string())?;
    let action =
        Action::Post { entry, kind: EntryKind::OpeningBalance, memo: "Входящий остаток".into() };
    let key = key("bench-export-opening")?;
    store.execute(Command::new(key, opening_at, action).map_err(|error| error.to_string())?).await.map_err(failed)?;

    let plan = Arc::new(Plan {
        store: Arc::clone(store),
        account,
        clearing,
        fees,
        lines,
        start_us,
        span_us: end_us - start_us,
        reversed: (0..lines / 100 + 1).map(|_| AtomicI64::new(0)).collect(),
        next: AtomicU64::new(0),
        done: AtomicU64::new(0),
        failed: AtomicBool::new(false),
    });
    let mut clients = Vec::new();
    for _ in 0..SEED_CLIENTS {
        let plan = Arc::clone(&plan);
        clients.push(tokio::spawn(async move { seed_client(&plan, started).await }));
    }
    for client in clients {
        client.await.map_err(|error| error.to_string())??;
    }
    let closing_minor = OPENING_MINOR + (0..lines).map(effect_minor).sum::<i64>();
    Ok(Seeded { account, lines, opening_minor: OPENING_MINOR, closing_minor, took: started.elapsed() })
}

fn kzt(minor: i64) -> Result<Amount, String> {
    Amount::new(Money::from_minor(minor, Currency::Kzt)).map_err(|error| error.to_string())
}

fn key(text: &str) -> Result<IdempotencyKey, String> {
    IdempotencyKey::parse(text).map_err(|error| error.to_string())
}

async fn seed_client(plan: &Plan, started: Instant) -> Result<(), String> {
    loop {
        let index = plan.next.fetch_add(1, Ordering::Relaxed);
        if index >= plan.lines {
            return Ok(());
        }
        if let Err(error) = seed_line(plan, index).await {
            plan.failed.store(true, Ordering::Release);
            return Err(format!("seeding line {index}: {error}"));
        }
        let done = plan.done.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(100_000) {
            let rate = done as f64 / started.elapsed().as_secs_f64();
            eprintln!("  seeded {done} of {} lines ({rate:.0}/s)", plan.lines);
        }
    }
}

async fn seed_line(plan: &Plan, index: u64) -> Result<(), String> {
    let at = plan.at(index)?;
    let post = |from, to, minor, kind, memo: String| -> Result<Action, String> {
        let entry = JournalEntry::transfer(from, to, kzt(minor)?).map_err(|error| error.to_string())?;
        Ok(Action::Post { entry, kind, memo })
    };
    let amount = amount_minor(index);
    let seed = seed_of(index);
    let action = match seed {
        Seed::Credit | Seed::NamedCredit => post(
            plan.clearing,
            plan.account,
            amount,
            EntryKind::IncomingCredit,
            format!("Оплата по счёту №{index} за услуги, в т.ч. НДС 12%; Қызмет үшін төлем"),
        )?,
        Seed::Payment => post(
            plan.account,
            plan.clearing,
            amount,
            EntryKind::Transfer,
            format!("Оплата по договору поставки №{index} от 15.09.2025 за товары, в т.ч. НДС 12%"),
        )?,
        Seed::Commission => {
            post(plan.account, plan.fees, COMMISSION_MINOR, EntryKind::Fee, format!("Комиссия за платёж №{index}"))?
        }
        Seed::Reversal => {
            let target = &plan.reversed[(index / 100) as usize];
            // The payment it reverses was taken by a client 64 lines ago: wait for its entry.
            let entry = loop {
                match target.load(Ordering::Acquire) {
                    0 if plan.failed.load(Ordering::Acquire) => return Err("another line failed".into()),
                    0 => tokio::time::sleep(Duration::from_millis(1)).await,
                    entry => break EntryId::new(entry),
                }
            };
            Action::Reverse {
                entry, memo: "Возврат платежа: неверный ИИК получателя".into()
            }
        }
    };
    let command =
        Command::new(key(&format!("bench-export-{index}"))?, at, action).map_err(|error| error.to_string())?;
    let executed = if seed == Seed::NamedCredit {
        let (name, id, iban, bic) = PAYERS[(index / 100 % 4) as usize];
        let details = IncomingCreditDetails {
            message_id: format!("BENCHEXP{index}"),
            payer_name: name.into(),
            payer_taxpayer_id: Some(parsed(TaxpayerId::parse(id))),
            payer_iban: Some(parsed(Iban::parse(iban))),
            payer_bic: Some(parsed(Bic::parse(bic))),
            knp: Some(parsed(Knp::parse("710"))),
            purpose: format!("Оплата по счёту №{index} за услуги, в т.ч. НДС 12%"),
            received_at: at,
        };
        plan.store.book_incoming_credit(command, details).await
    } else {
        plan.store.execute(command).await
    }
    .map_err(|error| error.to_string())?;
    if index % 100 == 99 - REVERSAL_LAG
        && index + REVERSAL_LAG < plan.lines
        && let Receipt::Posted { entry } = executed.receipt
    {
        plan.reversed[(index / 100) as usize].store(entry.get(), Ordering::Release);
    }
    Ok(())
}

// ----- Measuring -----

/// What one format's export from the store measured.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseExportReport {
    pub format: ExportFormat,
    pub summary: ExportSummary,
    /// From asking for the totals to the last byte handed to the file.
    pub elapsed: Duration,
    /// Waiting for `statement_totals`.
    pub totals: Duration,
    /// Waiting for the pages of lines (every `next_page`, retries included).
    pub pages: Duration,
    pub page_count: u64,
    pub postings: u64,
    pub opening: Money,
    pub closing: Money,
    /// The process's peak resident memory after the run, in bytes (0 where /proc is absent).
    pub peak_bytes: u64,
}

impl DatabaseExportReport {
    pub fn rows_per_second(&self) -> f64 {
        self.summary.lines as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Time in the store: the totals and the pages.
    pub fn store(&self) -> Duration {
        self.totals + self.pages
    }
}

/// Exports `account`'s 2025 statement from `store` as `format` into the file `out` (XLSX's
/// temporary files go next to it), timed from asking for the totals to the last byte.
pub async fn measure_database_export(
    store: Arc<dyn Store>,
    account: AccountId,
    format: ExportFormat,
    out: &Path,
) -> Result<DatabaseExportReport, String> {
    let failed = |error: StoreError| error.to_string();
    // What the header needs besides the totals (the use case reads these before the totals too).
    let record = store.account(account).await.map_err(failed)?.ok_or("no such account")?;
    let partner_id = record.partner.ok_or("not a partner's account")?;
    let partner = store.partner(partner_id).await.map_err(failed)?.ok_or("no such partner")?;
    let iban = record.iban.clone().ok_or("an account without an IBAN")?;
    let bank = own_bank();
    let file = File::create(out).map_err(|error| format!("{}: {error}", out.display()))?;
    let dir = out.parent().map_or_else(std::env::temp_dir, Path::to_path_buf);

    let started = Instant::now();
    let totals = store.statement_totals(account, period()).await.map_err(failed)?;
    let totals_took = started.elapsed();
    let header = StatementHeader {
        reference: format!("BENCH-{account}-2025"),
        created_at: Timestamp::now(),
        bank_name: bank.name.clone(),
        bank_bic: bank.bic.clone(),
        account_iban: iban,
        currency: record.currency,
        holder_name: partner.name,
        holder_id: TaxpayerId::Bin(partner.bin),
        period: totals.period,
        opening: totals.opening,
        closing: totals.closing,
        turnover: totals.turnover,
    };
    let (postings, opening, closing) = (totals.postings, totals.opening, totals.closing);
    let mut lines = BlockingLines::new(
        LineReader::new(Arc::clone(&store), &totals, bank, STATEMENT_PAGE_POSTINGS),
        tokio::runtime::Handle::current(),
    );
    let written = tokio::task::spawn_blocking(move || {
        let summary = crate::export::write(format, &header, &mut lines, file, &dir);
        (summary, started.elapsed(), lines.waited(), lines.pages())
    })
    .await
    .map_err(|error| error.to_string())?;
    let (summary, elapsed, pages, page_count) = written;
    let summary = summary.map_err(|error| format!("{}: {error}", format.name()))?;
    Ok(DatabaseExportReport {
        format,
        summary,
        elapsed,
        totals: totals_took,
        pages,
        page_count,
        postings,
        opening,
        closing,
        peak_bytes: peak_resident_bytes(),
    })
}

// ----- The command -----

/// `tiyn bench export --database …`: seed (unless a child with `--account`), then each format in
/// a child process against the same database.
pub async fn run_database_export(args: ExportBenchArgs, database: String) -> Result<(), String> {
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    if let Some(account) = args.account {
        // A child: the parent seeded the database and keeps it up.
        let [format] = args.format[..] else {
            return Err("a child exports one format".into());
        };
        let location = DatabaseLocation::parse(&database, &std::env::temp_dir());
        let store = open_store(&location).await.map_err(|error| error.to_string())?;
        let path = dir.join(format!("tiyn-bench-statement-db-{}.{}", std::process::id(), format.extension()));
        let result = measure_database_export(store, AccountId::new(account), format, &path).await;
        if !args.keep || result.is_err() {
            let _ = std::fs::remove_file(&path);
        } else {
            println!("kept {}", path.display());
        }
        let report = result?;
        if report.summary.lines != args.lines {
            return Err(format!("{} lines written, {} seeded", report.summary.lines, args.lines));
        }
        print_report(&report);
        return Ok(());
    }

    let (store, cluster, description, scratch) = open_bench_store(&database, "export").await?;
    let _scratch = ScratchFiles(scratch.clone());
    println!("backend: {description}");
    let location = match (&cluster, scratch.first()) {
        (Some(cluster), _) => cluster.url("postgres"),
        (None, Some(path)) => path.display().to_string(),
        (None, None) => database.clone(),
    };
    println!("seeding {} lines on one account over 2025 ({SEED_CLIENTS} concurrent clients)…", args.lines);
    let seeded = seed_statement(&store, args.lines).await?;
    println!(
        "seeded in {:.1?} ({:.0} lines/s; not part of the measurement)",
        seeded.took,
        seeded.lines as f64 / seeded.took.as_secs_f64().max(f64::EPSILON)
    );
    let totals = store.statement_totals(seeded.account, period()).await.map_err(|error| error.to_string())?;
    if totals.postings != args.lines || totals.closing.minor() != seeded.closing_minor {
        return Err(format!(
            "the account holds {} postings closing at {} in 2025, not the {} lines closing at {} seeded (a database \
             seeded before with another --lines?)",
            totals.postings,
            totals.closing.minor(),
            args.lines,
            seeded.closing_minor
        ));
    }
    println!(
        "pages of {STATEMENT_PAGE_POSTINGS} postings (tiyn_banking::statements::STATEMENT_PAGE_POSTINGS, the API's); \
         each format in a child process"
    );
    for format in &args.format {
        run_child(&args, *format, &location, seeded.account)?;
    }
    drop(store);
    drop(cluster);
    Ok(())
}

fn print_report(report: &DatabaseExportReport) {
    let store_share = report.store().as_secs_f64() / report.elapsed.as_secs_f64().max(f64::EPSILON);
    println!(
        "{:<8} {:>10} lines in {:>8.2?}: {:>10.0} rows/s, {:>8.1} MB written, peak RSS {:>6.1} MB",
        report.format.name(),
        report.summary.lines,
        report.elapsed,
        report.rows_per_second(),
        report.summary.bytes as f64 / 1e6,
        report.peak_bytes as f64 / (1024.0 * 1024.0),
    );
    println!(
        "         store {:.2?} ({:.0}%: totals {:.2?}, {} pages {:.2?}), writer {:.2?}",
        report.store(),
        100.0 * store_share,
        report.totals,
        report.page_count,
        report.pages,
        report.elapsed.saturating_sub(report.store()),
    );
    if report.format == ExportFormat::Csv {
        let met = report.rows_per_second() >= CSV_ROWS_PER_SECOND_MIN && report.peak_bytes < CSV_PEAK_BYTES_MAX;
        println!("         target ≥ 300,000 rows/s and < 200 MB peak: {}", if met { "met" } else { "NOT met" });
    }
}

/// One format in a child process against the parent's database.
fn run_child(args: &ExportBenchArgs, format: ExportFormat, location: &str, account: AccountId) -> Result<(), String> {
    let mut extra: Vec<OsString> =
        vec!["--database".into(), location.into(), "--account".into(), account.get().to_string().into()];
    if let Some(dir) = &args.dir {
        extra.extend(["--dir".into(), PathBuf::from(dir).into_os_string()]);
    }
    crate::export::run_child_with(args, format, extra)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minor(text: &str) -> i64 {
        if text.is_empty() {
            return 0;
        }
        let (units, cents) = text.split_once('.').expect("two decimals");
        assert_eq!(cents.len(), 2, "{text}");
        units.parse::<i64>().expect("units") * 100 + cents.parse::<i64>().expect("cents")
    }

    /// A small statement seeded into SQLite exports as CSV with exactly its lines, in booking
    /// order, and the lines reconcile the opening balance with the closing one; every other
    /// format writes the same number of lines.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_seeded_sqlite_statement_exports_every_line_in_every_format() {
        let lines = 2_000;
        let (store, _cluster, _, scratch) = open_bench_store("sqlite", "export-test").await.expect("store");
        let _scratch = ScratchFiles(scratch);
        let seeded = seed_statement(&store, lines).await.expect("seeded");
        // Seeding again replays every command: nothing is added.
        let again = seed_statement(&store, lines).await.expect("seeded again");
        assert_eq!(again.account, seeded.account);

        let path = std::env::temp_dir().join(format!("tiyn-bench-export-test-{}.csv", std::process::id()));
        let report = measure_database_export(Arc::clone(&store), seeded.account, ExportFormat::Csv, &path)
            .await
            .expect("exported");
        let text = std::fs::read_to_string(&path).expect("read back");
        let _ = std::fs::remove_file(&path);

        assert_eq!((report.summary.lines, report.postings), (lines, lines));
        assert_eq!(report.summary.bytes, text.len() as u64);
        assert_eq!(report.opening.minor(), seeded.opening_minor);
        assert_eq!(report.closing.minor(), seeded.closing_minor);
        assert!(report.page_count >= 1);

        let body = text.strip_prefix('\u{feff}').expect("a byte-order mark");
        let mut reader = ::csv::ReaderBuilder::new().has_headers(true).from_reader(body.as_bytes());
        let rows: Vec<::csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("CSV");
        assert_eq!(rows.len() as u64, lines, "one row per seeded line, after the header row");
        let mut balance = seeded.opening_minor;
        let mut previous_date = String::new();
        for row in &rows {
            balance += minor(&row[10]) - minor(&row[9]);
            assert!(row[0] >= *previous_date, "booking order");
            assert!(row[0].starts_with("2025-"), "in the period: {}", &row[0]);
            previous_date = row[0].to_owned();
        }
        assert_eq!(balance, seeded.closing_minor, "opening + credits − debits = closing");
        let named = rows.iter().filter(|row| &row[3] == "ТОО «Поставщик Алматы»").count();
        assert_eq!(named, 5, "the named credits carry their payer");
        let reversals = rows.iter().filter(|row| row[8].starts_with("Сторно")).count();
        assert_eq!(reversals as u64, lines / 100);

        // Every other format takes the same statement whole (MT940 bounds its amounts' digits).
        for format in [ExportFormat::Xlsx, ExportFormat::Mt940, ExportFormat::Camt053, ExportFormat::OneC] {
            let path = path.with_extension(format.extension());
            let report = measure_database_export(Arc::clone(&store), seeded.account, format, &path).await;
            let _ = std::fs::remove_file(&path);
            assert_eq!(report.expect("exported").summary.lines, lines, "{}", format.name());
        }
    }
}
