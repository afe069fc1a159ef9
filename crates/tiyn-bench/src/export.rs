//! `tiyn bench export`: statement exports of a synthetic statement (R-3.1.2.7): rows per second,
//! output size and peak memory per format.
//!
//! The statement has `--lines` lines (a million by default) spread over one year, in KZT, with
//! Russian and Kazakh names and purposes, incoming payments, outgoing payments with their
//! commissions, and reversals. The lines are made one at a time by an iterator, never held: the
//! writer sees what a store's cursor would give it. The header's turnovers come from a first,
//! unmeasured pass over the same iterator, as a store computes them before the lines.
//!
//! Each format is written to a file in `--dir` (the system's temp directory by default; the
//! XLSX writer's temporary files go there too), timed from the first line to the last byte, and
//! the file is deleted unless `--keep`. Peak memory is the process's high-water mark (`VmHWM` in
//! `/proc/self/status`), so with more than one format each is run in a child process of its own
//! (`… export --format <one>`), and each figure is that format's own.
//!
//! With `--database`, the statement is read from a real store instead (the `export_db` module).

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::{Date, date};
use tiyn_core::{Bic, Currency, EntryId, Iban, Knp, Money, TaxpayerId};
use tiyn_statement::{
    Camt053Options, Counterparty, CounterpartyAccount, CsvOptions, Direction, ExportSummary, IntoStatementLine,
    LineKind, Mt940Options, OneCOptions, Period, StatementError, StatementHeader, StatementLine, Turnover, XlsxOptions,
    write_camt053, write_csv, write_mt940, write_onec, write_xlsx,
};

/// What `tiyn bench export` takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportBenchArgs {
    /// Lines in the synthetic statement.
    #[arg(long, default_value_t = 1_000_000)]
    pub lines: u64,
    /// The formats to write, each in its own child process when more than one.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "csv,xlsx,mt940,camt053,1c")]
    pub format: Vec<ExportFormat>,
    /// Where the files (and XLSX's temporary files) go; the system's temp directory by default.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the written files.
    #[arg(long)]
    pub keep: bool,
    /// Export a statement read from a store instead of the synthetic one: `sqlite` (a fresh
    /// durable file), `postgres` (a fresh throwaway cluster), or a database URL / SQLite path. One
    /// account is seeded with `--lines` postings first (timed apart), then each format runs in a
    /// child process against the same database, timed from the totals to the last byte.
    #[arg(long)]
    pub database: Option<String>,
    /// The seeded account a child process exports (set by the parent of `--database`).
    #[arg(long, hide = true, requires = "database")]
    pub account: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Mt940,
    Camt053,
    #[value(name = "1c")]
    OneC,
}

impl ExportFormat {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Mt940 => "mt940",
            ExportFormat::Camt053 => "camt053",
            ExportFormat::OneC => "1c",
        }
    }

    pub(crate) fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Mt940 => "sta",
            ExportFormat::Camt053 => "xml",
            ExportFormat::OneC => "txt",
        }
    }
}

/// The target for CSV (R-3.1.2.7).
pub(crate) const CSV_ROWS_PER_SECOND_MIN: f64 = 300_000.0;
pub(crate) const CSV_PEAK_BYTES_MAX: u64 = 200 * 1024 * 1024;

/// What one format's run measured.
#[derive(Debug, Clone, Copy)]
pub struct ExportReport {
    pub format: ExportFormat,
    pub summary: ExportSummary,
    pub elapsed: Duration,
    /// The process's peak resident memory after the run, in bytes (0 where /proc is absent).
    pub peak_bytes: u64,
}

impl ExportReport {
    pub fn rows_per_second(&self) -> f64 {
        self.summary.lines as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Runs the benchmark and prints its figures; with several formats, one child process each.
/// With `--database`, the statement is read from a store (`export_db`).
pub async fn run_export(args: ExportBenchArgs) -> Result<(), String> {
    if let Some(database) = args.database.clone() {
        return crate::export_db::run_database_export(args, database).await;
    }
    if args.format.len() > 1 {
        for format in &args.format {
            run_in_child(&args, *format)?;
        }
        return Ok(());
    }
    let Some(format) = args.format.first().copied() else {
        return Err("name at least one format".into());
    };
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let report = measure_export(format, args.lines, &dir, args.keep)?;
    let summary = report.summary;
    println!(
        "{:<8} {:>10} lines in {:>8.2?}: {:>10.0} rows/s, {:>8.1} MB written, peak RSS {:>6.1} MB",
        format.name(),
        summary.lines,
        report.elapsed,
        report.rows_per_second(),
        summary.bytes as f64 / 1e6,
        report.peak_bytes as f64 / (1024.0 * 1024.0),
    );
    if format == ExportFormat::Csv {
        let met = report.rows_per_second() >= CSV_ROWS_PER_SECOND_MIN && report.peak_bytes < CSV_PEAK_BYTES_MAX;
        println!("         target ≥ 300,000 rows/s and < 200 MB peak: {}", if met { "met" } else { "NOT met" });
    }
    Ok(())
}

/// The same command for one format in a child process: the arguments up to `export`, then ours.
fn run_in_child(args: &ExportBenchArgs, format: ExportFormat) -> Result<(), String> {
    let mut extra = Vec::new();
    if let Some(dir) = &args.dir {
        extra.extend(["--dir".into(), dir.clone().into_os_string()]);
    }
    run_child_with(args, format, extra)
}

/// The child of one format: the arguments up to `export`, `--lines`, `--format`, `extra`, and
/// `--keep` when given.
pub(crate) fn run_child_with(args: &ExportBenchArgs, format: ExportFormat, extra: Vec<OsString>) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let mut child_args: Vec<OsString> = std::env::args_os().skip(1).take_while(|arg| arg != "export").collect();
    child_args.push("export".into());
    child_args.extend(["--lines".into(), args.lines.to_string().into(), "--format".into(), format.name().into()]);
    child_args.extend(extra);
    if args.keep {
        child_args.push("--keep".into());
    }
    let status = Command::new(exe).args(child_args).status().map_err(|error| error.to_string())?;
    if !status.success() {
        return Err(format!("the {} run failed ({status})", format.name()));
    }
    Ok(())
}

/// Writes one format to a file in `dir` and measures it.
pub fn measure_export(format: ExportFormat, lines: u64, dir: &Path, keep: bool) -> Result<ExportReport, String> {
    let header = synthetic_header(lines).map_err(|error| error.to_string())?;
    let path = dir.join(format!("tiyn-bench-statement-{}.{}", std::process::id(), format.extension()));
    let file = File::create(&path).map_err(|error| format!("{}: {error}", path.display()))?;
    let started = Instant::now();
    let result = write(format, &header, SyntheticLines::new(lines), file, dir);
    let elapsed = started.elapsed();
    if !keep || result.is_err() {
        let _ = std::fs::remove_file(&path);
    }
    let summary = result.map_err(|error| format!("{}: {error}", format.name()))?;
    assert_eq!(summary.lines, lines, "every line was written");
    if keep {
        println!("kept {}", path.display());
    }
    Ok(ExportReport { format, summary, elapsed, peak_bytes: peak_resident_bytes() })
}

pub(crate) fn write<L>(
    format: ExportFormat,
    header: &StatementHeader,
    lines: L,
    file: File,
    dir: &Path,
) -> Result<ExportSummary, StatementError>
where
    L: IntoIterator,
    L::Item: IntoStatementLine,
{
    match format {
        ExportFormat::Csv => write_csv(header, lines, &CsvOptions::default(), file),
        ExportFormat::Xlsx => {
            let options = XlsxOptions { temp_dir: Some(dir.to_path_buf()), ..XlsxOptions::default() };
            write_xlsx(header, lines, &options, file)
        }
        ExportFormat::Mt940 => write_mt940(header, lines, &Mt940Options::default(), file),
        ExportFormat::Camt053 => write_camt053(header, lines, &Camt053Options::default(), file),
        ExportFormat::OneC => write_onec(header, lines, &OneCOptions::default(), file),
    }
}

/// `VmHWM` of this process, in bytes.
pub(crate) fn peak_resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kilobytes| kilobytes * 1024)
}

/// The synthetic statement's year and opening balance.
const PERIOD_FROM: Date = date(2024, 1, 1);
const PERIOD_TO: Date = date(2024, 12, 31);
const OPENING_MINOR: i64 = 5_000_000_000; // 50 000 000.00 KZT

/// The header of the synthetic statement: its turnovers from a pass over the lines.
fn synthetic_header(lines: u64) -> Result<StatementHeader, StatementError> {
    let mut turnover = Turnover::zero(Currency::Kzt);
    for line in SyntheticLines::new(lines) {
        turnover.add(&line)?;
    }
    let opening = Money::from_minor(OPENING_MINOR, Currency::Kzt);
    let closing = opening.checked_add(turnover.credit)?.checked_sub(turnover.debit)?;
    let period = match Period::new(PERIOD_FROM, PERIOD_TO) {
        Ok(period) => period,
        Err(error) => unreachable!("a year is a valid period: {error}"),
    };
    Ok(StatementHeader {
        reference: "BENCH-2024".into(),
        created_at: Timestamp::UNIX_EPOCH,
        bank_name: "АО «Тиын Банк»".into(),
        bank_bic: parsed(Bic::parse("CASPKZKA")),
        account_iban: parsed(Iban::parse("KZ52722S004010602810")),
        currency: Currency::Kzt,
        holder_name: "ТОО «Бенчмарк Қазақстан»".into(),
        holder_id: parsed(TaxpayerId::parse("180140010005")),
        period,
        opening,
        closing,
        turnover,
    })
}

fn parsed<T, E: std::fmt::Debug>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => unreachable!("the bench's constants are valid: {error:?}"),
    }
}

/// The lines of the synthetic statement, made one at a time: every tenth an outgoing payment's
/// commission, every hundredth a reversal, the rest incoming and outgoing payments.
struct SyntheticLines {
    next: u64,
    count: u64,
    days: u64,
    counterparties: Vec<Counterparty>,
    bank: Counterparty,
    knp: Knp,
    /// xorshift state: deterministic amounts without a dependency.
    state: u64,
}

impl SyntheticLines {
    fn new(count: u64) -> SyntheticLines {
        let counterparty = |name: &str, id: &str, iban: &str, bic: &str| Counterparty {
            name: name.into(),
            taxpayer_id: Some(parsed(TaxpayerId::parse(id))),
            account: Some(CounterpartyAccount::Iban(parsed(Iban::parse(iban)))),
            bic: Some(parsed(Bic::parse(bic))),
        };
        let counterparties = vec![
            counterparty("ТОО «Қазақ Ғарыш Сервис»", "220340110009", "KZ806014482455345985", "HSBKKZKX"),
            counterparty("ИП Әлиев Ұлан Һ.", "900101310004", "KZ668560203255855690", "KCJBKZKX"),
            counterparty("ТОО «Поставщик Алматы»", "190940210009", "KZ819657096609065792", "CASPKZKA"),
            counterparty("ИП Өмірзақова Гүлнұр", "851225410006", "KZ619980520325134628", "HSBKKZKX"),
        ];
        let bank = Counterparty {
            name: "АО «Тиын Банк»".into(),
            taxpayer_id: None,
            account: Some(CounterpartyAccount::Other("Комиссионные доходы".into())),
            bic: Some(parsed(Bic::parse("CASPKZKA"))),
        };
        let days = u64::try_from(PERIOD_FROM.until(PERIOD_TO).map_or(0, |span| span.get_days()) + 1).unwrap_or(1);
        SyntheticLines {
            next: 0,
            count,
            days,
            counterparties,
            bank,
            knp: parsed(Knp::parse("710")),
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn random(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }
}

impl Iterator for SyntheticLines {
    type Item = StatementLine;

    fn next(&mut self) -> Option<StatementLine> {
        if self.next == self.count {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let day_offset = i32::try_from(index * self.days / self.count).unwrap_or(0);
        let day = PERIOD_FROM.checked_add(jiff::Span::new().days(day_offset)).unwrap_or(PERIOD_TO);
        let amount_minor = i64::try_from(self.random() % 10_000_000).unwrap_or(0) + 100;
        let counterparty = self.counterparties[(index % 4) as usize].clone();
        let (kind, direction, counterparty, purpose, amount_minor) = match index % 100 {
            99 => (
                LineKind::Reversal,
                Direction::Credit,
                counterparty,
                "Возврат платежа: неверный ИИК получателя".to_owned(),
                amount_minor,
            ),
            n if n % 10 == 9 => (
                LineKind::Commission,
                Direction::Debit,
                self.bank.clone(),
                format!("Комиссия за платёж №{index}"),
                15_000,
            ),
            n if n % 2 == 0 => (
                LineKind::IncomingCredit,
                Direction::Credit,
                counterparty,
                format!("Оплата по счёту №{index} за услуги, в т.ч. НДС 12%; Қызмет үшін төлем"),
                amount_minor,
            ),
            _ => (
                LineKind::Payment,
                Direction::Debit,
                counterparty,
                format!("Оплата по договору поставки №{index} от 15.09.2024 за товары, в т.ч. НДС 12%"),
                amount_minor,
            ),
        };
        Some(StatementLine {
            entry: EntryId::new(i64::try_from(index).unwrap_or(i64::MAX) + 1),
            booked_at: Timestamp::UNIX_EPOCH,
            booking_date: day,
            value_date: day,
            kind,
            direction,
            amount: Money::from_minor(amount_minor, Currency::Kzt),
            document_number: (kind != LineKind::Commission).then(|| (index % 100_000).to_string()),
            counterparty,
            knp: (kind != LineKind::Commission).then_some(self.knp),
            purpose,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_exports_a_small_synthetic_statement() {
        let dir = std::env::temp_dir();
        for format in
            [ExportFormat::Csv, ExportFormat::Xlsx, ExportFormat::Mt940, ExportFormat::Camt053, ExportFormat::OneC]
        {
            let report = measure_export(format, 2_000, &dir, false).unwrap();
            assert_eq!(report.summary.lines, 2_000);
            assert!(report.summary.bytes > 0);
        }
    }
}
