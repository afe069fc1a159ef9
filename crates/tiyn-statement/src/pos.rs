//! POS terminals' card operations (R-3.1.2.4): the operation as every edge reads it, the masked
//! card number as a type, the period's totals, and the CSV and XLSX exports of a terminal's
//! operations (R-3.1.2.6, R-3.1.2.7), written as streams like the statement's.
//!
//! # Invariants
//! - A card number is only ever a [`MaskedPan`]: the first six and last four digits, the rest
//!   asterisks. Text with more than ten digits is refused as a full card number, and the refusal
//!   never repeats the text (it would put the number in logs and answers).
//! - Money is [`Money`] in the operation's currency; totals are checked sums, never floats (the
//!   XLSX cell value is the one place a double is made, from the exact decimal string).
//! - The writers re-add the operations as they pass and refuse a file whose operations do not sum
//!   to the totals in its header (the store computed those in SQL): nothing is left out.

use std::fmt;
use std::io::{self, BufWriter, Write};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use tiyn_core::{Currency, Money, MoneyError};

use crate::csv::{CsvDelimiter, UTF8_BOM};
use crate::export::{CountingWriter, Lang, OUTPUT_BUFFER_BYTES};
use crate::model::Period;

/// The shortest and longest card numbers (ISO/IEC 7812: 13 to 19 digits).
pub const PAN_DIGITS_MIN: usize = 13;
pub const PAN_DIGITS_MAX: usize = 19;
/// Digits a masked number shows: the first six (the issuer's BIN) and the last four (PCI DSS).
pub const PAN_VISIBLE_DIGITS_MAX: usize = 10;
/// The longest text looked at as a card number: anything longer is refused without reading it.
const PAN_TEXT_LENGTH_MAX: usize = 40;

/// A card number masked as PCI DSS allows it to be kept: `440043******1234`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MaskedPan(String);

/// Why a card number was refused. The messages never contain the text that was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MaskedPanError {
    /// More than ten digits are visible: a full (or insufficiently masked) card number.
    #[error("a full card number must never be sent: send it masked, the first 6 and the last 4 digits with * between")]
    FullCardNumber,
    #[error(
        "a masked card number is the first 6 and the last 4 of 13 to 19 digits with * between, e.g. 440043******1234"
    )]
    Invalid,
}

impl MaskedPanError {
    pub const fn code(self) -> &'static str {
        match self {
            MaskedPanError::FullCardNumber => "full_card_number",
            MaskedPanError::Invalid => "invalid_masked_card",
        }
    }
}

impl MaskedPan {
    /// Accepts `dddddd` + asterisks + `dddd`, 13 to 19 characters in all (spaces are ignored).
    /// Any text with more than ten digits is [`MaskedPanError::FullCardNumber`], whatever else it
    /// holds, so a full number is never taken for a typo.
    pub fn parse(text: &str) -> Result<MaskedPan, MaskedPanError> {
        let digits = text.chars().filter(char::is_ascii_digit).count();
        if digits > PAN_VISIBLE_DIGITS_MAX {
            return Err(MaskedPanError::FullCardNumber);
        }
        if text.len() > PAN_TEXT_LENGTH_MAX {
            return Err(MaskedPanError::Invalid);
        }
        let compact: String = text.chars().filter(|character| *character != ' ').collect();
        let length = compact.chars().count();
        if !(PAN_DIGITS_MIN..=PAN_DIGITS_MAX).contains(&length) || !compact.is_ascii() {
            return Err(MaskedPanError::Invalid);
        }
        let bytes = compact.as_bytes();
        let (first, rest) = bytes.split_at(6);
        let (middle, last) = rest.split_at(rest.len() - 4);
        let shaped = first.iter().all(u8::is_ascii_digit)
            && last.iter().all(u8::is_ascii_digit)
            && middle.iter().all(|byte| *byte == b'*');
        if !shaped {
            return Err(MaskedPanError::Invalid);
        }
        debug_assert_eq!(compact.chars().filter(char::is_ascii_digit).count(), PAN_VISIBLE_DIGITS_MAX);
        Ok(MaskedPan(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaskedPan({})", self.0)
    }
}

/// What a card operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PosKind {
    Purchase,
    /// Money returned to the card after a purchase.
    Refund,
    /// A purchase cancelled before settlement.
    Reversal,
}

impl PosKind {
    pub const ALL: [PosKind; 3] = [PosKind::Purchase, PosKind::Refund, PosKind::Reversal];

    pub const fn as_str(self) -> &'static str {
        match self {
            PosKind::Purchase => "purchase",
            PosKind::Refund => "refund",
            PosKind::Reversal => "reversal",
        }
    }

    pub fn parse(text: &str) -> Option<PosKind> {
        PosKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub const fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (PosKind::Purchase, Lang::Ru) => "Покупка",
            (PosKind::Purchase, Lang::Kk) => "Сатып алу",
            (PosKind::Purchase, Lang::En) => "Purchase",
            (PosKind::Refund, Lang::Ru) => "Возврат",
            (PosKind::Refund, Lang::Kk) => "Қайтару",
            (PosKind::Refund, Lang::En) => "Refund",
            (PosKind::Reversal, Lang::Ru) => "Отмена",
            (PosKind::Reversal, Lang::Kk) => "Болдырмау",
            (PosKind::Reversal, Lang::En) => "Reversal",
        }
    }
}

/// Where the operation stands at the acquirer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PosStatus {
    Approved,
    /// Refused: no money moves; listed, not summed.
    Declined,
    /// Included in a settlement to the partner's account.
    Settled,
}

impl PosStatus {
    pub const ALL: [PosStatus; 3] = [PosStatus::Approved, PosStatus::Declined, PosStatus::Settled];

    pub const fn as_str(self) -> &'static str {
        match self {
            PosStatus::Approved => "approved",
            PosStatus::Declined => "declined",
            PosStatus::Settled => "settled",
        }
    }

    pub fn parse(text: &str) -> Option<PosStatus> {
        PosStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }

    pub const fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (PosStatus::Approved, Lang::Ru) => "Одобрена",
            (PosStatus::Approved, Lang::Kk) => "Мақұлданды",
            (PosStatus::Approved, Lang::En) => "Approved",
            (PosStatus::Declined, Lang::Ru) => "Отклонена",
            (PosStatus::Declined, Lang::Kk) => "Қабылданбады",
            (PosStatus::Declined, Lang::En) => "Declined",
            (PosStatus::Settled, Lang::Ru) => "Рассчитана",
            (PosStatus::Settled, Lang::Kk) => "Есептелді",
            (PosStatus::Settled, Lang::En) => "Settled",
        }
    }
}

/// One card operation on a terminal, as the edges show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosOperation {
    /// The store's id: the order of the keyset pages.
    pub id: i64,
    /// The acquirer's id (the idempotency key of its ingestion).
    pub operation_id: String,
    pub terminal_id: String,
    pub occurred_at: Timestamp,
    pub kind: PosKind,
    pub status: PosStatus,
    pub card: MaskedPan,
    /// Positive, in the terminal's settlement currency.
    pub amount: Money,
    /// The acquiring fee, zero or positive, same currency.
    pub fee: Money,
    pub settlement_date: Option<Date>,
    /// The settlement credit has arrived on the partner's account.
    pub credited: bool,
}

/// A period's numbers: every operation counts, declined ones move no money and are not summed.
/// `net` = purchases − refunds − reversals − fees: what the partner receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PosTotals {
    pub operations: u64,
    pub purchases: Money,
    pub refunds: Money,
    pub reversals: Money,
    pub fees: Money,
}

impl PosTotals {
    pub const fn zero(currency: Currency) -> PosTotals {
        let zero = Money::zero(currency);
        PosTotals { operations: 0, purchases: zero, refunds: zero, reversals: zero, fees: zero }
    }

    pub fn currency(&self) -> Currency {
        self.purchases.currency()
    }

    /// purchases − refunds − reversals − fees.
    pub fn net(&self) -> Result<Money, MoneyError> {
        self.purchases.checked_sub(self.refunds)?.checked_sub(self.reversals)?.checked_sub(self.fees)
    }

    /// Adds one operation (a declined one only to the count).
    pub fn add(&mut self, operation: &PosOperation) -> Result<(), MoneyError> {
        self.operations += 1;
        if operation.status == PosStatus::Declined {
            return Ok(());
        }
        let sum = match operation.kind {
            PosKind::Purchase => &mut self.purchases,
            PosKind::Refund => &mut self.refunds,
            PosKind::Reversal => &mut self.reversals,
        };
        *sum = sum.checked_add(operation.amount)?;
        self.fees = self.fees.checked_add(operation.fee)?;
        Ok(())
    }
}

/// One business day's totals (Asia/Almaty), for the chart and the daily table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PosDayTotals {
    pub date: Date,
    pub totals: PosTotals,
}

/// What a terminal's exported operations are headed with: known before the first operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosHeader {
    pub bank_name: String,
    pub bank_bic: String,
    pub holder_name: String,
    pub terminal_id: String,
    pub address: String,
    pub settlement_iban: String,
    pub currency: Currency,
    pub period: Period,
    pub created_at: Timestamp,
    /// The period's totals, computed by the store.
    pub totals: PosTotals,
}

/// Why a POS export failed. What was written is incomplete: discard it.
#[derive(Debug, thiserror::Error)]
pub enum PosExportError {
    #[error("the operations do not add up to the header's totals ({lines:?} against {header:?})")]
    TotalsMismatch { lines: Box<PosTotals>, header: Box<PosTotals> },
    #[error("an operation in {found} on a terminal settling in {expected}")]
    CurrencyMismatch { expected: Currency, found: Currency },
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("writing the export failed: {0}")]
    Io(#[from] io::Error),
    #[error("reading the operations failed: {0}")]
    Source(String),
    #[error("writing the spreadsheet failed: {0}")]
    Spreadsheet(String),
}

impl PosExportError {
    pub const fn code(&self) -> &'static str {
        match self {
            PosExportError::TotalsMismatch { .. } => "pos_totals_mismatch",
            PosExportError::CurrencyMismatch { .. } => "currency_mismatch",
            PosExportError::Money(_) => "amount_overflow",
            PosExportError::Io(_) => "export_io",
            PosExportError::Source(_) => "pos_source",
            PosExportError::Spreadsheet(_) => "export_spreadsheet",
        }
    }
}

impl From<csv::Error> for PosExportError {
    fn from(error: csv::Error) -> PosExportError {
        PosExportError::Io(io::Error::other(error))
    }
}

fn spreadsheet(error: XlsxError) -> PosExportError {
    match error {
        XlsxError::IoError(error) => PosExportError::Io(error),
        other => PosExportError::Spreadsheet(other.to_string()),
    }
}

/// Re-adds the operations as they pass and compares with the header at the end.
struct TotalsCheck<'h> {
    header: &'h PosHeader,
    sums: PosTotals,
}

impl<'h> TotalsCheck<'h> {
    fn new(header: &'h PosHeader) -> TotalsCheck<'h> {
        TotalsCheck { header, sums: PosTotals::zero(header.currency) }
    }

    fn push(&mut self, operation: &PosOperation) -> Result<(), PosExportError> {
        if operation.amount.currency() != self.header.currency || operation.fee.currency() != self.header.currency {
            return Err(PosExportError::CurrencyMismatch {
                expected: self.header.currency,
                found: operation.amount.currency(),
            });
        }
        self.sums.add(operation)?;
        Ok(())
    }

    fn finish(self) -> Result<(), PosExportError> {
        if self.sums != self.header.totals {
            return Err(PosExportError::TotalsMismatch {
                lines: Box::new(self.sums),
                header: Box::new(self.header.totals),
            });
        }
        Ok(())
    }
}

/// Kazakhstan's business zone (UTC+5): the instants are shown in it.
fn almaty() -> TimeZone {
    TimeZone::fixed(Offset::constant(5))
}

/// `2026-01-01 12:34:56`, Almaty time: what a spreadsheet reads as a date and time.
pub fn local_time(at: Timestamp) -> String {
    at.to_zoned(almaty()).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// The columns of the tabular exports, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosColumn {
    OccurredAt,
    Terminal,
    Operation,
    Kind,
    Status,
    Card,
    Amount,
    Fee,
    Currency,
    SettlementDate,
}

impl PosColumn {
    pub const ALL: [PosColumn; 10] = [
        PosColumn::OccurredAt,
        PosColumn::Terminal,
        PosColumn::Operation,
        PosColumn::Kind,
        PosColumn::Status,
        PosColumn::Card,
        PosColumn::Amount,
        PosColumn::Fee,
        PosColumn::Currency,
        PosColumn::SettlementDate,
    ];

    pub const fn label(self, lang: Lang) -> &'static str {
        let [ru, kk, en] = match self {
            PosColumn::OccurredAt => ["Дата и время", "Күні мен уақыты", "Date and time"],
            PosColumn::Terminal => ["Терминал", "Терминал", "Terminal"],
            PosColumn::Operation => ["Номер операции", "Операция нөмірі", "Operation"],
            PosColumn::Kind => ["Тип", "Түрі", "Type"],
            PosColumn::Status => ["Статус", "Мәртебесі", "Status"],
            PosColumn::Card => ["Карта", "Карта", "Card"],
            PosColumn::Amount => ["Сумма", "Сома", "Amount"],
            PosColumn::Fee => ["Комиссия эквайринга", "Эквайринг комиссиясы", "Acquiring fee"],
            PosColumn::Currency => ["Валюта", "Валюта", "Currency"],
            PosColumn::SettlementDate => ["Дата расчёта", "Есеп айырысу күні", "Settlement date"],
        };
        match lang {
            Lang::Ru => ru,
            Lang::Kk => kk,
            Lang::En => en,
        }
    }
}

/// The labels of the totals, in the order the exports write them.
pub fn totals_labels(lang: Lang) -> [&'static str; 6] {
    match lang {
        Lang::Ru => ["Операций", "Покупки", "Возвраты", "Отмены", "Комиссии", "К зачислению"],
        Lang::Kk => ["Операциялар", "Сатып алулар", "Қайтарулар", "Болдырмаулар", "Комиссиялар", "Есепке алынады"],
        Lang::En => ["Operations", "Purchases", "Refunds", "Reversals", "Fees", "Net"],
    }
}

/// The title of a terminal's export.
pub const fn title(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Операции по POS-терминалу",
        Lang::Kk => "POS-терминал бойынша операциялар",
        Lang::En => "POS terminal operations",
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PosExportSummary {
    pub operations: u64,
    pub bytes: u64,
}

/// Writes the operations as CSV (UTF-8 with BOM, `,` or `;`): a header row, one row per
/// operation, then one `Итого` row per total (label in the first column, value in the amount
/// column). Free text is not written: every field is the acquirer's code, a date or an amount.
pub fn write_pos_csv<I>(
    header: &PosHeader,
    operations: I,
    delimiter: CsvDelimiter,
    lang: Lang,
    out: impl io::Write,
) -> Result<PosExportSummary, PosExportError>
where
    I: IntoIterator<Item = Result<PosOperation, String>>,
{
    let mut counting = CountingWriter::new(out);
    counting.write_all(UTF8_BOM)?;
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter.byte())
        .terminator(csv::Terminator::CRLF)
        .buffer_capacity(OUTPUT_BUFFER_BYTES)
        .flexible(true)
        .from_writer(&mut counting);
    writer.write_record(PosColumn::ALL.map(|column| column.label(lang)))?;
    let mut check = TotalsCheck::new(header);
    let mut written = 0_u64;
    for item in operations {
        let operation = item.map_err(PosExportError::Source)?;
        check.push(&operation)?;
        writer.write_record([
            local_time(operation.occurred_at).as_str(),
            // The acquirer's ids: guarded like the statement's free text against formulas.
            &guard(&operation.terminal_id),
            &guard(&operation.operation_id),
            operation.kind.label(lang),
            operation.status.label(lang),
            operation.card.as_str(),
            &operation.amount.amount_string(),
            &operation.fee.amount_string(),
            operation.amount.currency().code(),
            &operation.settlement_date.map(|date| date.to_string()).unwrap_or_default(),
        ])?;
        written += 1;
    }
    check.finish()?;
    let totals = &header.totals;
    let labels = totals_labels(lang);
    let net = totals.net()?;
    let amount_column = 6;
    writer.write_record([labels[0], "", "", "", "", "", &totals.operations.to_string()])?;
    for (label, money) in labels[1..].iter().zip([totals.purchases, totals.refunds, totals.reversals, totals.fees, net])
    {
        let mut record = vec![""; amount_column + 3];
        record[0] = label;
        let amount = money.amount_string();
        record[amount_column] = &amount;
        record[amount_column + 2] = money.currency().code();
        writer.write_record(&record)?;
    }
    writer.flush()?;
    drop(writer);
    counting.flush()?;
    Ok(PosExportSummary { operations: written, bytes: counting.bytes() })
}

/// A `'` before a text that a spreadsheet would run as a formula.
fn guard(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

/// Rows before the first operation: the title block, a blank row and the header row.
const XLSX_FIRST_ROW: u32 = 10;

/// Writes the operations as an XLSX workbook (constant memory, typed cells: amounts are
/// numbers with the currency's decimals, dates are dates): a title block, one row per operation,
/// the totals below them, and a second sheet with each day's totals.
pub fn write_pos_xlsx<I>(
    header: &PosHeader,
    operations: I,
    days: &[PosDayTotals],
    lang: Lang,
    out: impl io::Write + Send,
) -> Result<PosExportSummary, PosExportError>
where
    I: IntoIterator<Item = Result<PosOperation, String>>,
{
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let decimals = match header.currency.exponent() {
        0 => "#,##0",
        _ => "#,##0.00",
    };
    let amount = Format::new().set_num_format(decimals);
    let amount_bold = Format::new().set_num_format(decimals).set_bold();
    let date_time = Format::new().set_num_format("dd.mm.yyyy hh:mm:ss");
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let mut sheet = workbook.new_worksheet_with_constant_memory().map_err(spreadsheet)?;
    sheet.set_name(title_sheet(lang)).map_err(spreadsheet)?;
    for (column, width) in (0..).zip([20, 12, 20, 12, 12, 20, 14, 14, 8, 14]) {
        sheet.set_column_width(column, width).map_err(spreadsheet)?;
    }
    sheet.write_string_with_format(0, 0, title(lang), &bold).map_err(spreadsheet)?;
    let [bank, holder, terminal, address, account, period] = header_labels(lang);
    let period_text = format!("{} – {}", header.period.from(), header.period.to());
    let texts = [
        (bank, header.bank_name.as_str()),
        (holder, header.holder_name.as_str()),
        (terminal, header.terminal_id.as_str()),
        (address, header.address.as_str()),
        (account, header.settlement_iban.as_str()),
        (period, period_text.as_str()),
    ];
    for (row, (label, text)) in (1..).zip(texts) {
        sheet.write_string(row, 0, label).map_err(spreadsheet)?;
        sheet.write_string(row, 2, text).map_err(spreadsheet)?;
    }
    for (column, label) in (0..).zip(PosColumn::ALL.map(|column| column.label(lang))) {
        sheet.write_string_with_format(XLSX_FIRST_ROW - 1, column, label, &bold).map_err(spreadsheet)?;
    }
    let mut check = TotalsCheck::new(header);
    let mut row = XLSX_FIRST_ROW;
    let mut written = 0_u64;
    for item in operations {
        let operation = item.map_err(PosExportError::Source)?;
        check.push(&operation)?;
        let local = operation.occurred_at.to_zoned(almaty()).datetime();
        let at = excel_date_time(local)?;
        sheet.write_datetime_with_format(row, 0, &at, &date_time).map_err(spreadsheet)?;
        sheet.write_string(row, 1, &operation.terminal_id).map_err(spreadsheet)?;
        sheet.write_string(row, 2, &operation.operation_id).map_err(spreadsheet)?;
        sheet.write_string(row, 3, operation.kind.label(lang)).map_err(spreadsheet)?;
        sheet.write_string(row, 4, operation.status.label(lang)).map_err(spreadsheet)?;
        sheet.write_string(row, 5, operation.card.as_str()).map_err(spreadsheet)?;
        sheet.write_number_with_format(row, 6, cell_number(operation.amount), &amount).map_err(spreadsheet)?;
        sheet.write_number_with_format(row, 7, cell_number(operation.fee), &amount).map_err(spreadsheet)?;
        sheet.write_string(row, 8, operation.amount.currency().code()).map_err(spreadsheet)?;
        if let Some(settled) = operation.settlement_date {
            sheet.write_datetime_with_format(row, 9, excel_date(settled)?, &date).map_err(spreadsheet)?;
        }
        row += 1;
        written += 1;
    }
    check.finish()?;
    let totals = &header.totals;
    let labels = totals_labels(lang);
    row += 1;
    sheet.write_string_with_format(row, 0, labels[0], &bold).map_err(spreadsheet)?;
    sheet.write_number_with_format(row, 6, totals.operations as f64, &bold).map_err(spreadsheet)?;
    for (label, money) in
        labels[1..].iter().zip([totals.purchases, totals.refunds, totals.reversals, totals.fees, totals.net()?])
    {
        row += 1;
        sheet.write_string_with_format(row, 0, *label, &bold).map_err(spreadsheet)?;
        sheet.write_number_with_format(row, 6, cell_number(money), &amount_bold).map_err(spreadsheet)?;
    }
    let mut daily = workbook.new_worksheet_with_constant_memory().map_err(spreadsheet)?;
    daily.set_name(daily_sheet(lang)).map_err(spreadsheet)?;
    let day_label = match lang {
        Lang::Ru => "День",
        Lang::Kk => "Күн",
        Lang::En => "Day",
    };
    daily.write_string_with_format(0, 0, day_label, &bold).map_err(spreadsheet)?;
    for (column, label) in (1..).zip(labels) {
        daily.set_column_width(column, 16).map_err(spreadsheet)?;
        daily.write_string_with_format(0, column, label, &bold).map_err(spreadsheet)?;
    }
    daily.set_column_width(0, 12).map_err(spreadsheet)?;
    for (day_row, day) in (1..).zip(days) {
        daily.write_datetime_with_format(day_row, 0, excel_date(day.date)?, &date).map_err(spreadsheet)?;
        daily.write_number(day_row, 1, day.totals.operations as f64).map_err(spreadsheet)?;
        let sums = [day.totals.purchases, day.totals.refunds, day.totals.reversals, day.totals.fees, day.totals.net()?];
        for (column, money) in (2..).zip(sums) {
            daily.write_number_with_format(day_row, column, cell_number(money), &amount).map_err(spreadsheet)?;
        }
    }
    workbook.push_worksheet(sheet);
    workbook.push_worksheet(daily);
    let mut counting = CountingWriter::new(out);
    {
        let mut buffered = BufWriter::with_capacity(OUTPUT_BUFFER_BYTES, &mut counting);
        workbook.save_to_writer(&mut buffered).map_err(spreadsheet)?;
        buffered.flush()?;
    }
    Ok(PosExportSummary { operations: written, bytes: counting.bytes() })
}

/// The header block's labels: bank, holder, terminal, address, settlement account, period.
pub const fn header_labels(lang: Lang) -> [&'static str; 6] {
    match lang {
        Lang::Ru => ["Банк", "Клиент", "Терминал", "Адрес", "Счёт для расчётов", "Период"],
        Lang::Kk => ["Банк", "Клиент", "Терминал", "Мекенжайы", "Есеп айырысу шоты", "Кезең"],
        Lang::En => ["Bank", "Client", "Terminal", "Address", "Settlement account", "Period"],
    }
}

const fn title_sheet(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Операции",
        Lang::Kk => "Операциялар",
        Lang::En => "Operations",
    }
}

const fn daily_sheet(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Итоги по дням",
        Lang::Kk => "Күндер бойынша",
        Lang::En => "Daily totals",
    }
}

/// The double nearest to the exact amount, parsed from its decimal string (no float arithmetic).
fn cell_number(money: Money) -> f64 {
    money.amount_string().parse::<f64>().unwrap_or_default()
}

fn excel_date(date: Date) -> Result<ExcelDateTime, PosExportError> {
    let year = u16::try_from(date.year()).map_err(|_| PosExportError::Spreadsheet(format!("the date {date}")))?;
    ExcelDateTime::from_ymd(year, date.month().unsigned_abs(), date.day().unsigned_abs()).map_err(spreadsheet)
}

fn excel_date_time(at: jiff::civil::DateTime) -> Result<ExcelDateTime, PosExportError> {
    let day = excel_date(at.date())?;
    day.and_hms(u16::from(at.hour().unsigned_abs()), at.minute().unsigned_abs(), at.second().unsigned_abs())
        .map_err(spreadsheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R-3.1.2.4: only masked numbers of 13–19 digits are cards; a full number is refused as such.
    #[test]
    fn r_3_1_2_4_masked_pans_parse_and_full_numbers_are_refused() {
        for good in ["440043******1234", "440043***1234", "440043*********1234", "4400 43** **** 1234"] {
            assert!(MaskedPan::parse(good).is_ok(), "{good}");
        }
        assert_eq!(
            MaskedPan::parse("4400 43** **** 1234").map(|pan| pan.to_string()).ok().as_deref(),
            Some("440043******1234")
        );
        for full in ["4400430012341234", "4400 4300 1234 1234", "440043*12341234", "44004312******1234"] {
            assert_eq!(MaskedPan::parse(full), Err(MaskedPanError::FullCardNumber), "{full}");
            assert!(!MaskedPanError::FullCardNumber.to_string().contains(full));
        }
        for bad in ["", "440043**1234", "440043**********1234", "44004******1234x", "****43******1234", "abc"] {
            assert_eq!(MaskedPan::parse(bad), Err(MaskedPanError::Invalid), "{bad}");
        }
    }

    #[test]
    fn totals_leave_declined_operations_unsummed() {
        let kzt = |minor| Money::from_minor(minor, Currency::Kzt);
        let operation = |kind, status, amount, fee| PosOperation {
            id: 1,
            operation_id: "A1".into(),
            terminal_id: "T1".into(),
            occurred_at: Timestamp::UNIX_EPOCH,
            kind,
            status,
            card: MaskedPan::parse("440043******1234").expect("masked"),
            amount: kzt(amount),
            fee: kzt(fee),
            settlement_date: None,
            credited: false,
        };
        let mut totals = PosTotals::zero(Currency::Kzt);
        for op in [
            operation(PosKind::Purchase, PosStatus::Settled, 10_000, 150),
            operation(PosKind::Refund, PosStatus::Settled, 2_000, 0),
            operation(PosKind::Reversal, PosStatus::Approved, 1_000, 0),
            operation(PosKind::Purchase, PosStatus::Declined, 99_999, 0),
        ] {
            totals.add(&op).expect("sum");
        }
        assert_eq!(totals.operations, 4);
        assert_eq!(totals.net(), Ok(kzt(10_000 - 2_000 - 1_000 - 150)));
    }
}
