//! XLSX (R-3.1.2.7): a real spreadsheet, typed: amounts are numeric cells with the currency's
//! number of decimals as their number format, dates are date cells, identifiers (BIN/IIN, IBAN,
//! KNP, document numbers) are text cells so that no leading zero is lost.
//!
//! The first sheet is the statement: a title block (bank, holder, account, currency, period,
//! opening and closing balances), the header row, one row per line (a commission on its own
//! row), and the period's turnovers and closing balance at the bottom. The second sheet lists
//! the turnovers of *every* day of the period, days without lines included (zero turnovers,
//! the previous day's closing balance), from [`DailyTurnovers`].
//!
//! # Streaming, and the one exception to "no I/O"
//!
//! The sheets are written with rust_xlsxwriter's *constant memory* mode: each row goes to a
//! temporary file as soon as the next one starts, and saving copies those files into the zip
//! written to `out`. Memory stays flat for a million lines; the price is that this writer, alone
//! in the crate, writes temporary files (anonymous, deleted when the workbook is dropped, in
//! [`XlsxOptions::temp_dir`] or the system's temp directory). `out` need not be seekable.
//!
//! A sheet holds at most 1,048,576 rows (Excel's limit); a statement longer than that goes on in
//! a second statement sheet, "Выписка (2)", with the header row repeated.
//!
//! # Amounts as doubles
//!
//! XLSX stores numbers as IEEE 754 doubles, so the cell value is the double nearest to the
//! exact amount, obtained by parsing the exact decimal string (`Money::amount_string`), with no
//! float arithmetic. Amounts up to 2^53 minor units (90 trillion tenge) are exact in a double,
//! and the cell's number format shows the currency's decimals.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use jiff::civil::Date;
use rust_xlsxwriter::{ColNum, DocProperties, ExcelDateTime, Format, RowNum, Workbook, Worksheet, XlsxError};
use tiyn_core::{Currency, Money};

use crate::export::{Column, CountingWriter, ExportSummary, IntoStatementLine, Lang, OUTPUT_BUFFER_BYTES, kind_label};
use crate::model::{
    DailyTurnovers, DayTurnover, Direction, StatementError, StatementHeader, StatementLine, TurnoverCheck,
};

/// Excel's row limit per sheet.
pub const SHEET_ROWS_MAX: u32 = 1_048_576;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XlsxOptions {
    /// The language of the labels and sheet names.
    pub lang: Lang,
    /// Where the rows wait until the workbook is saved; the system's temp directory if `None`.
    /// Needs room for the uncompressed sheet: about 800 bytes a line.
    pub temp_dir: Option<PathBuf>,
    /// The most rows a statement sheet holds before the lines go on in the next sheet; at most
    /// (and by default) [`SHEET_ROWS_MAX`]. Lower only to split a long statement sooner.
    pub rows_per_sheet_max: u32,
}

impl Default for XlsxOptions {
    fn default() -> XlsxOptions {
        XlsxOptions { lang: Lang::default(), temp_dir: None, rows_per_sheet_max: SHEET_ROWS_MAX }
    }
}

/// Rows of the title block, the blank row after it, and the header row: the first line's row.
const FIRST_LINE_ROW: RowNum = 13;
/// Rows kept free at the end of every statement sheet for the bottom block (a blank row, the
/// turnovers, the closing balance), since which sheet is the last is known only at the end.
const BOTTOM_ROWS: RowNum = 3;

/// Writes the statement as an XLSX workbook to `out`, checking the lines against the header as
/// they pass ([`TurnoverCheck`]). On an error, what was written is incomplete: discard it.
pub fn write_xlsx<L>(
    header: &StatementHeader,
    lines: L,
    options: &XlsxOptions,
    out: impl io::Write + Send,
) -> Result<ExportSummary, StatementError>
where
    L: IntoIterator,
    L::Item: IntoStatementLine,
{
    header.check()?;
    assert!(
        (FIRST_LINE_ROW + BOTTOM_ROWS < options.rows_per_sheet_max) && options.rows_per_sheet_max <= SHEET_ROWS_MAX,
        "rows_per_sheet_max leaves room for at least one line and fits Excel"
    );
    let mut book = Book::new(header, options)?;
    let mut check = TurnoverCheck::new(header);
    let mut days = DailyTurnovers::new(header);
    let mut written = 0_u64;
    for item in lines {
        let line = item.into_statement_line()?;
        if let Some(day) = check.push(&line)? {
            days.through(day, |day| book.day_row(day))?;
        }
        book.line_row(&line)?;
        written += 1;
    }
    if let Some(day) = check.finish()? {
        days.through(day, |day| book.day_row(day))?;
    }
    days.finish(|day| book.day_row(day))?;
    let bytes = book.save(out)?;
    Ok(ExportSummary { lines: written, bytes })
}

/// The workbook being written: the statement sheets (the current one last) and the daily sheet.
struct Book<'h> {
    header: &'h StatementHeader,
    lang: Lang,
    rows_per_sheet_max: u32,
    workbook: Workbook,
    formats: Formats,
    /// Finished statement sheets, then the one being written.
    sheets: Vec<Worksheet>,
    /// The row the next line goes to on the current sheet.
    row: RowNum,
    daily: Worksheet,
    daily_row: RowNum,
}

struct Formats {
    bold: Format,
    date: Format,
    amount: Format,
    amount_bold: Format,
}

impl<'h> Book<'h> {
    fn new(header: &'h StatementHeader, options: &XlsxOptions) -> Result<Book<'h>, StatementError> {
        let mut workbook = Workbook::new();
        // The file's creation time is the statement's, not the clock's: the same statement gives
        // the same file.
        let created = ExcelDateTime::from_timestamp(header.created_at.as_second()).map_err(spreadsheet)?;
        workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
        if let Some(dir) = &options.temp_dir {
            workbook.set_tempdir(dir).map_err(spreadsheet)?;
        }
        let amount_format = amount_number_format(header.currency);
        let formats = Formats {
            bold: Format::new().set_bold(),
            date: Format::new().set_num_format("dd.mm.yyyy"),
            amount: Format::new().set_num_format(amount_format),
            amount_bold: Format::new().set_num_format(amount_format).set_bold(),
        };
        let daily = workbook.new_worksheet_with_constant_memory().map_err(spreadsheet)?;
        let mut book = Book {
            header,
            lang: options.lang,
            rows_per_sheet_max: options.rows_per_sheet_max,
            workbook,
            formats,
            sheets: Vec::new(),
            row: 0,
            daily,
            daily_row: 0,
        };
        book.start_statement_sheet()?;
        book.start_daily_sheet()?;
        Ok(book)
    }

    /// A new statement sheet: the title block on the first, the header row on every one.
    fn start_statement_sheet(&mut self) -> Result<(), StatementError> {
        let mut sheet = self.workbook.new_worksheet_with_constant_memory().map_err(spreadsheet)?;
        let number = self.sheets.len() + 1;
        let name = match number {
            1 => label(Label::StatementSheet, self.lang).to_owned(),
            _ => format!("{} ({number})", label(Label::StatementSheet, self.lang)),
        };
        sheet.set_name(name).map_err(spreadsheet)?;
        for (column, width) in Column::ALL.iter().zip(COLUMN_WIDTHS) {
            sheet.set_column_width(column_number(*column), width).map_err(spreadsheet)?;
        }
        let header_row = if number == 1 {
            self.title_block(&mut sheet)?;
            FIRST_LINE_ROW - 1
        } else {
            0
        };
        for column in Column::ALL {
            sheet
                .write_string_with_format(
                    header_row,
                    column_number(column),
                    column.label(self.lang),
                    &self.formats.bold,
                )
                .map_err(spreadsheet)?;
        }
        self.sheets.push(sheet);
        self.row = header_row + 1;
        Ok(())
    }

    fn title_block(&self, sheet: &mut Worksheet) -> Result<(), StatementError> {
        let (header, lang, formats) = (self.header, self.lang, &self.formats);
        let value = column_number(Column::Counterparty);
        sheet.write_string_with_format(0, 0, label(Label::Title, lang), &formats.bold).map_err(spreadsheet)?;
        let texts = [
            (1, Label::Bank, header.bank_name.as_str()),
            (2, Label::BankBic, header.bank_bic.as_str()),
            (3, Label::Holder, header.holder_name.as_str()),
            (4, Label::HolderId, header.holder_id.as_str()),
            (5, Label::Account, header.account_iban.as_str()),
            (6, Label::Currency, header.currency.code()),
        ];
        for (row, name, text) in texts {
            sheet.write_string(row, 0, label(name, lang)).map_err(spreadsheet)?;
            sheet.write_string(row, value, text).map_err(spreadsheet)?;
        }
        let dates = [(7, Label::PeriodFrom, header.period.from()), (8, Label::PeriodTo, header.period.to())];
        for (row, name, date) in dates {
            sheet.write_string(row, 0, label(name, lang)).map_err(spreadsheet)?;
            sheet.write_datetime_with_format(row, value, excel_date(date)?, &formats.date).map_err(spreadsheet)?;
        }
        let balances = [(9, Label::Opening, header.opening), (10, Label::Closing, header.closing)];
        for (row, name, money) in balances {
            sheet.write_string(row, 0, label(name, lang)).map_err(spreadsheet)?;
            sheet
                .write_number_with_format(row, value, cell_number(money), &formats.amount_bold)
                .map_err(spreadsheet)?;
        }
        Ok(())
    }

    fn line_row(&mut self, line: &StatementLine) -> Result<(), StatementError> {
        if self.row + BOTTOM_ROWS >= self.rows_per_sheet_max {
            self.start_statement_sheet()?;
        }
        let (row, lang, formats) = (self.row, self.lang, &self.formats);
        let Some(sheet) = self.sheets.last_mut() else {
            unreachable!("a statement sheet is started when the book is made");
        };
        let counterparty = &line.counterparty;
        let texts = [
            (Column::DocumentNumber, line.document_number.as_deref().unwrap_or("")),
            (Column::Counterparty, counterparty.name.as_str()),
            (Column::TaxpayerId, counterparty.taxpayer_id.as_ref().map_or("", |id| id.as_str())),
            (Column::Account, counterparty.account.as_ref().map_or("", |account| account.as_str())),
            (Column::Bic, counterparty.bic.as_ref().map_or("", |bic| bic.as_str())),
            (Column::Knp, line.knp.as_ref().map_or("", |knp| knp.as_str())),
            (Column::Purpose, line.purpose.as_str()),
            (Column::Currency, line.amount.currency().code()),
            (Column::Kind, kind_label(line.kind, lang)),
        ];
        let dates = [(Column::BookingDate, line.booking_date), (Column::ValueDate, line.value_date)];
        for (column, date) in dates {
            sheet
                .write_datetime_with_format(row, column_number(column), excel_date(date)?, &formats.date)
                .map_err(spreadsheet)?;
        }
        for (column, text) in texts {
            if !text.is_empty() {
                sheet.write_string(row, column_number(column), text).map_err(spreadsheet)?;
            }
        }
        let amount_column = match line.direction {
            Direction::Debit => Column::Debit,
            Direction::Credit => Column::Credit,
        };
        sheet
            .write_number_with_format(row, column_number(amount_column), cell_number(line.amount), &formats.amount)
            .map_err(spreadsheet)?;
        sheet.write_string(row, column_number(Column::Entry), line.entry.to_string()).map_err(spreadsheet)?;
        self.row += 1;
        Ok(())
    }

    /// The turnovers and closing balance below the last line of the last statement sheet.
    fn bottom_block(&mut self) -> Result<(), StatementError> {
        let (lang, formats, header) = (self.lang, &self.formats, self.header);
        let Some(sheet) = self.sheets.last_mut() else {
            unreachable!("a statement sheet is started when the book is made");
        };
        let row = self.row + 1;
        debug_assert!(row + 1 < self.rows_per_sheet_max, "the bottom rows were kept free");
        sheet.write_string_with_format(row, 0, label(Label::Turnovers, lang), &formats.bold).map_err(spreadsheet)?;
        let turnovers = [(Column::Debit, header.turnover.debit), (Column::Credit, header.turnover.credit)];
        for (column, money) in turnovers {
            sheet
                .write_number_with_format(row, column_number(column), cell_number(money), &formats.amount_bold)
                .map_err(spreadsheet)?;
        }
        sheet.write_string_with_format(row + 1, 0, label(Label::Closing, lang), &formats.bold).map_err(spreadsheet)?;
        sheet
            .write_number_with_format(
                row + 1,
                column_number(Column::Credit),
                cell_number(header.closing),
                &formats.amount_bold,
            )
            .map_err(spreadsheet)?;
        Ok(())
    }

    fn start_daily_sheet(&mut self) -> Result<(), StatementError> {
        let (lang, formats) = (self.lang, &self.formats);
        let sheet = &mut self.daily;
        sheet.set_name(label(Label::DailySheet, lang)).map_err(spreadsheet)?;
        let headers = [Label::Day, Label::DayOpening, Label::DayDebit, Label::DayCredit, Label::DayClosing];
        for (column, name) in (0..).zip(headers) {
            sheet.set_column_width(column, if column == 0 { 12 } else { 18 }).map_err(spreadsheet)?;
            sheet.write_string_with_format(0, column, label(name, lang), &formats.bold).map_err(spreadsheet)?;
        }
        self.daily_row = 1;
        Ok(())
    }

    /// One day of the daily sheet: every day of the period comes here once, in order.
    fn day_row(&mut self, day: DayTurnover) -> Result<(), StatementError> {
        let (row, formats) = (self.daily_row, &self.formats);
        let opening = day.closing.checked_sub(day.turnover.credit)?.checked_add(day.turnover.debit)?;
        let sheet = &mut self.daily;
        sheet.write_datetime_with_format(row, 0, excel_date(day.date)?, &formats.date).map_err(spreadsheet)?;
        let amounts = [opening, day.turnover.debit, day.turnover.credit, day.closing];
        for (column, money) in (1..).zip(amounts) {
            sheet.write_number_with_format(row, column, cell_number(money), &formats.amount).map_err(spreadsheet)?;
        }
        self.daily_row += 1;
        Ok(())
    }

    /// Finishes the sheets and writes the workbook to `out`; returns the bytes written.
    fn save(mut self, out: impl io::Write + Send) -> Result<u64, StatementError> {
        self.bottom_block()?;
        let expected_days = u32::try_from(self.header.period.days()).unwrap_or(u32::MAX);
        assert_eq!(self.daily_row, expected_days + 1, "the daily sheet lists every day of the period");
        for sheet in self.sheets.drain(..) {
            self.workbook.push_worksheet(sheet);
        }
        self.workbook.push_worksheet(self.daily);
        let mut counting = CountingWriter::new(out);
        {
            let mut buffered = BufWriter::with_capacity(OUTPUT_BUFFER_BYTES, &mut counting);
            self.workbook.save_to_writer(&mut buffered).map_err(spreadsheet)?;
            buffered.flush()?;
        }
        Ok(counting.bytes())
    }
}

/// Column widths in characters, in [`Column::ALL`] order.
const COLUMN_WIDTHS: [u16; 14] = [12, 12, 12, 40, 14, 24, 12, 6, 60, 16, 16, 8, 16, 12];

fn column_number(column: Column) -> ColNum {
    let index = Column::ALL.iter().position(|candidate| *candidate == column);
    match index.and_then(|index| ColNum::try_from(index).ok()) {
        Some(number) => number,
        None => unreachable!("every column is in Column::ALL"),
    }
}

/// The number format that shows the currency's decimals, with thousands grouped.
pub(crate) fn amount_number_format(currency: Currency) -> &'static str {
    match currency.exponent() {
        0 => "#,##0",
        1 => "#,##0.0",
        2 => "#,##0.00",
        _ => "#,##0.000",
    }
}

/// The double nearest to the exact amount, parsed from its decimal string (see the module docs):
/// the one place in the crate where money becomes a float, for the cell value only.
pub(crate) fn cell_number(money: Money) -> f64 {
    match money.amount_string().parse::<f64>() {
        Ok(number) => number,
        Err(error) => unreachable!("an amount string is a decimal number: {error}"),
    }
}

pub(crate) fn excel_date(date: Date) -> Result<ExcelDateTime, StatementError> {
    let year = u16::try_from(date.year())
        .map_err(|_| StatementError::Spreadsheet(format!("the date {date} is before year 0")))?;
    // jiff's months and days are 1..=12 and 1..=31.
    ExcelDateTime::from_ymd(year, date.month().unsigned_abs(), date.day().unsigned_abs()).map_err(spreadsheet)
}

pub(crate) fn spreadsheet(error: XlsxError) -> StatementError {
    match error {
        XlsxError::IoError(error) => StatementError::Io(error),
        other => StatementError::Spreadsheet(other.to_string()),
    }
}

/// The texts of the workbook besides the column headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    StatementSheet,
    DailySheet,
    Title,
    Bank,
    BankBic,
    Holder,
    HolderId,
    Account,
    Currency,
    PeriodFrom,
    PeriodTo,
    Opening,
    Closing,
    Turnovers,
    Day,
    DayOpening,
    DayDebit,
    DayCredit,
    DayClosing,
}

const fn label(label: Label, lang: Lang) -> &'static str {
    match (label, lang) {
        (Label::StatementSheet, Lang::Ru) => "Выписка",
        (Label::StatementSheet, Lang::Kk) => "Үзінді",
        (Label::StatementSheet, Lang::En) => "Statement",
        (Label::DailySheet, Lang::Ru) => "Обороты по дням",
        (Label::DailySheet, Lang::Kk) => "Күндік айналымдар",
        (Label::DailySheet, Lang::En) => "Daily turnovers",
        (Label::Title, Lang::Ru) => "Выписка по счёту",
        (Label::Title, Lang::Kk) => "Шот бойынша үзінді көшірме",
        (Label::Title, Lang::En) => "Account statement",
        (Label::Bank, Lang::Ru) => "Банк",
        (Label::Bank, Lang::Kk) => "Банк",
        (Label::Bank, Lang::En) => "Bank",
        (Label::BankBic, Lang::Ru) => "БИК банка",
        (Label::BankBic, Lang::Kk) => "Банктің БСК",
        (Label::BankBic, Lang::En) => "Bank BIC",
        (Label::Holder, Lang::Ru) => "Владелец счёта",
        (Label::Holder, Lang::Kk) => "Шот иесі",
        (Label::Holder, Lang::En) => "Account holder",
        (Label::HolderId, Lang::Ru) => "БИН/ИИН",
        (Label::HolderId, Lang::Kk) => "БСН/ЖСН",
        (Label::HolderId, Lang::En) => "BIN/IIN",
        (Label::Account, Lang::Ru) => "Счёт (ИИК)",
        (Label::Account, Lang::Kk) => "Шот (ЖСК)",
        (Label::Account, Lang::En) => "Account (IBAN)",
        (Label::Currency, Lang::Ru) => "Валюта",
        (Label::Currency, Lang::Kk) => "Валюта",
        (Label::Currency, Lang::En) => "Currency",
        (Label::PeriodFrom, Lang::Ru) => "Период с",
        (Label::PeriodFrom, Lang::Kk) => "Кезең басы",
        (Label::PeriodFrom, Lang::En) => "Period from",
        (Label::PeriodTo, Lang::Ru) => "Период по",
        (Label::PeriodTo, Lang::Kk) => "Кезең соңы",
        (Label::PeriodTo, Lang::En) => "Period to",
        (Label::Opening, Lang::Ru) => "Входящий остаток",
        (Label::Opening, Lang::Kk) => "Кіріс қалдық",
        (Label::Opening, Lang::En) => "Opening balance",
        (Label::Closing, Lang::Ru) => "Исходящий остаток",
        (Label::Closing, Lang::Kk) => "Шығыс қалдық",
        (Label::Closing, Lang::En) => "Closing balance",
        (Label::Turnovers, Lang::Ru) => "Обороты за период",
        (Label::Turnovers, Lang::Kk) => "Кезеңдегі айналымдар",
        (Label::Turnovers, Lang::En) => "Turnovers for the period",
        (Label::Day, Lang::Ru) => "Дата",
        (Label::Day, Lang::Kk) => "Күні",
        (Label::Day, Lang::En) => "Date",
        (Label::DayOpening, Lang::Ru) => "Входящий остаток",
        (Label::DayOpening, Lang::Kk) => "Кіріс қалдық",
        (Label::DayOpening, Lang::En) => "Opening balance",
        (Label::DayDebit, Lang::Ru) => "Дебет",
        (Label::DayDebit, Lang::Kk) => "Дебет",
        (Label::DayDebit, Lang::En) => "Debit",
        (Label::DayCredit, Lang::Ru) => "Кредит",
        (Label::DayCredit, Lang::Kk) => "Кредит",
        (Label::DayCredit, Lang::En) => "Credit",
        (Label::DayClosing, Lang::Ru) => "Исходящий остаток",
        (Label::DayClosing, Lang::Kk) => "Шығыс қалдық",
        (Label::DayClosing, Lang::En) => "Closing balance",
    }
}
