//! Renders a sample account statement (R-3.1.2.6) of any length to a file and reports its pages,
//! size, time and the process's peak memory:
//! `cargo run --release -p tiyn-pdf --example statement -- statement.pdf [LINES] [ru|kk|en]`.
//! For looking at the layout (`pdftoppm -png -r 60 -f 1 -l 1 statement.pdf page`) and for
//! measuring what a long statement costs (the figures in `src/statement.rs`). The lines are made
//! up as they are read, never collected, as a store's cursor would give them.

use std::time::Instant;

use jiff::civil::Date;
use tiyn_core::{Bic, Currency, EntryId, Iban, Knp, Money, TaxpayerId};
use tiyn_pdf::{Lang, Presentation};
use tiyn_statement::{
    Counterparty, CounterpartyAccount, Direction, LineKind, Period, StatementHeader, StatementLine, Turnover,
};

/// Lines per day of the sample: a busy business account, or as many as a three-year period
/// needs to hold them all.
const LINES_PER_DAY_MIN: u64 = 40;
const PERIOD_DAYS: u64 = 1_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let path = arguments.next().ok_or("usage: statement OUT.pdf [LINES] [ru|kk|en]")?;
    let count: u64 = arguments.next().map(|lines| lines.parse()).transpose()?.unwrap_or(60);
    let lang = match arguments.next().as_deref() {
        None | Some("ru") => Lang::Ru,
        Some("kk") => Lang::Kk,
        Some("en") => Lang::En,
        Some(other) => return Err(format!("unknown language {other}").into()),
    };
    let sample = Sample::new(count)?;
    let header = sample.header()?;
    let started = Instant::now();
    let result = tiyn_pdf::account_statement(&header, || sample.lines(), &Presentation::kazakhstan(lang));
    let elapsed = started.elapsed();
    let peak = peak_memory_kb().unwrap_or(0);
    match result {
        Ok(pdf) => {
            std::fs::write(&path, &pdf)?;
            println!("{count} lines: {} pages, {} bytes, {elapsed:?}, peak RSS {peak} KB", pages(&pdf), pdf.len());
        }
        Err(error) => println!("{count} lines: refused after {elapsed:?}, peak RSS {peak} KB: {error}"),
    }
    Ok(())
}

/// Page objects in the file (`/Type/Page`, not `/Type/Pages`).
fn pages(pdf: &[u8]) -> usize {
    let all = |needle: &[u8]| pdf.windows(needle.len()).filter(|window| *window == needle).count();
    all(b"/Type/Page") - all(b"/Type/Pages")
}

/// The process's peak resident memory (`VmHWM`), in KB.
fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Sample {
    count: u64,
    from: Date,
    account: Iban,
    partners: Vec<(String, TaxpayerId, Iban, Bic)>,
    bank_bic: Bic,
}

impl Sample {
    fn new(count: u64) -> Result<Sample, Box<dyn std::error::Error>> {
        let partner = |name: &str, id: &str, bban: &str, bic: &str| -> Result<_, Box<dyn std::error::Error>> {
            Ok((name.to_owned(), TaxpayerId::parse(id)?, Iban::from_bban("KZ", bban)?, Bic::parse(bic)?))
        };
        Ok(Sample {
            count,
            from: Date::new(2024, 1, 1)?,
            account: Iban::from_bban("KZ", "722C000000000001")?,
            partners: vec![
                partner("ТОО «Алматы Құрылыс Өнімдері»", "971240001315", "125KZT2069100100", "HSBKKZKX")?,
                partner("ИП Әлем Ұйым Қазақстан", "900101310004", "722C000000000777", "TIYNKZKA")?,
                partner("АО «Казахтелеком»", "090444010009", "601A861000200001", "HSBKKZKX")?,
                partner("ТОО «Northwind Trading Kazakhstan»", "241150010006", "998CTB0000012345", "TSESKZKA")?,
            ],
            bank_bic: Bic::parse("TIYNKZKA")?,
        })
    }

    fn lines_per_day(&self) -> u64 {
        self.count.div_ceil(PERIOD_DAYS).max(LINES_PER_DAY_MIN)
    }

    fn days(&self) -> i64 {
        (self.count.saturating_sub(1) / self.lines_per_day()) as i64 + 1
    }

    fn header(&self) -> Result<StatementHeader, Box<dyn std::error::Error>> {
        let opening = Money::from_minor(5_000_000_000, Currency::Kzt);
        let mut turnover = Turnover::zero(Currency::Kzt);
        for line in self.lines() {
            turnover.add(&line)?;
        }
        let closing = opening.checked_add(turnover.credit)?.checked_sub(turnover.debit)?;
        let to = self.from.checked_add(jiff::Span::new().days(self.days() - 1))?;
        Ok(StatementHeader {
            reference: "ST-1".to_owned(),
            created_at: "2026-01-12T06:30:00Z".parse()?,
            bank_name: "АО «Тийн Банк»".to_owned(),
            bank_bic: self.bank_bic.clone(),
            account_iban: self.account.clone(),
            currency: Currency::Kzt,
            holder_name: "ТОО «Демо Партнёр Әлем»".to_owned(),
            holder_id: TaxpayerId::parse("241150010006")?,
            period: Period::new(self.from, to)?,
            opening,
            closing,
            turnover,
        })
    }

    /// The sample's lines, made one at a time.
    fn lines(&self) -> impl Iterator<Item = StatementLine> + '_ {
        (0..self.count).map(move |index| self.line(index))
    }

    fn line(&self, index: u64) -> StatementLine {
        let day =
            self.from.checked_add(jiff::Span::new().days((index / self.lines_per_day()) as i64)).unwrap_or(self.from);
        let (name, id, iban, bic) = &self.partners[(index % self.partners.len() as u64) as usize];
        let commission = index % 7 == 3;
        let direction = if index.is_multiple_of(3) { Direction::Credit } else { Direction::Debit };
        let (kind, direction, purpose) = if commission {
            (LineKind::Commission, Direction::Debit, "За межбанковский перевод по платёжному поручению".to_owned())
        } else {
            (
                LineKind::Payment,
                direction,
                format!(
                    "Оплата по договору поставки № {index} от 01.12.2025 за строительные материалы согласно \
                     счёт-фактуре, в том числе НДС 12 %"
                ),
            )
        };
        let counterparty = if commission {
            Counterparty { name: "АО «Тийн Банк»".to_owned(), taxpayer_id: None, account: None, bic: None }
        } else {
            Counterparty {
                name: name.clone(),
                taxpayer_id: Some(*id),
                account: Some(CounterpartyAccount::Iban(iban.clone())),
                bic: Some(bic.clone()),
            }
        };
        StatementLine {
            entry: EntryId::new(index as i64 + 1),
            booked_at: "2026-01-12T06:30:00Z".parse().unwrap_or_default(),
            booking_date: day,
            value_date: day,
            kind,
            direction,
            amount: Money::from_minor(
                if commission { 20_000 } else { 100_000 + (index as i64 % 997) * 1_234 },
                Currency::Kzt,
            ),
            document_number: (!commission).then(|| (index + 1).to_string()),
            counterparty,
            knp: Knp::parse(if commission { "840" } else { "710" }).ok(),
            purpose,
        }
    }
}
