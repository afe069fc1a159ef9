//! XLSX read back with calamine: cell types (numbers are numbers, dates are dates, identifiers
//! text) and values.

use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use jiff::civil::{Date, date};
use tiyn_core::Money;
use tiyn_statement::{Column, Direction, Lang, XlsxOptions, write_xlsx};

use crate::common::{Statement, every_day, kzt_statement, usd_statement};

fn write(statement: &Statement, options: &XlsxOptions) -> Vec<u8> {
    let mut bytes = Vec::new();
    let summary = write_xlsx(&statement.header, &statement.lines, options, &mut bytes).unwrap();
    assert_eq!(summary.bytes, bytes.len() as u64);
    assert_eq!(summary.lines, statement.lines.len() as u64);
    bytes
}

fn open(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).unwrap()
}

fn sheet(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Range<Data> {
    book.worksheet_range(name).unwrap()
}

/// The cell at an absolute position (calamine's ranges start at the first used cell).
fn cell(range: &Range<Data>, row: u32, column: u32) -> Data {
    range.get_value((row, column)).cloned().unwrap_or(Data::Empty)
}

fn column(column: Column) -> u32 {
    Column::ALL.iter().position(|candidate| *candidate == column).unwrap() as u32
}

/// A date cell's day: Excel's serial number counts days from 1899-12-30 (1900 date system).
fn as_date(data: &Data) -> Date {
    let Data::DateTime(value) = data else { panic!("a date cell, not {data:?}") };
    assert!(value.is_datetime());
    let serial = value.as_f64();
    let days = serial as i64;
    assert_eq!(days as f64, serial, "a whole day");
    date(1899, 12, 30).checked_add(jiff::Span::new().days(days)).unwrap()
}

/// A numeric cell's value as money, through its exact decimal spelling.
fn as_money(data: &Data, statement: &Statement) -> Money {
    let Data::Float(value) = data else { panic!("a number cell, not {data:?}") };
    let currency = statement.header.currency;
    Money::parse(&format!("{value:.prec$}", prec = currency.exponent() as usize), currency).unwrap()
}

fn text(data: &Data) -> &str {
    let Data::String(text) = data else { panic!("a text cell, not {data:?}") };
    text
}

/// R-3.1.2.7: a typed spreadsheet: the title block, one row per line with date cells, text
/// identifiers and numeric amounts equal to the fixture, and the turnovers at the bottom.
#[test]
fn r_3_1_2_7_xlsx_has_typed_cells_equal_to_the_statement() {
    for statement in [kzt_statement(), usd_statement()] {
        let mut book = open(write(&statement, &XlsxOptions::default()));
        assert_eq!(book.sheet_names(), ["Выписка", "Обороты по дням"]);
        let range = sheet(&mut book, "Выписка");
        let header = &statement.header;
        let value = column(Column::Counterparty);
        assert_eq!(text(&cell(&range, 0, 0)), "Выписка по счёту");
        assert_eq!(text(&cell(&range, 1, value)), header.bank_name);
        assert_eq!(text(&cell(&range, 4, value)), header.holder_id.as_str(), "a BIN is text, not a number");
        assert_eq!(text(&cell(&range, 5, value)), header.account_iban.as_str());
        assert_eq!(as_date(&cell(&range, 7, value)), header.period.from());
        assert_eq!(as_date(&cell(&range, 8, value)), header.period.to());
        assert_eq!(as_money(&cell(&range, 9, value), &statement), header.opening);
        assert_eq!(as_money(&cell(&range, 10, value), &statement), header.closing);
        for (index, label) in Column::ALL.iter().enumerate() {
            assert_eq!(text(&cell(&range, 12, index as u32)), label.label(Lang::Ru));
        }
        for (offset, line) in statement.lines.iter().enumerate() {
            let row = 13 + offset as u32;
            assert_eq!(as_date(&cell(&range, row, column(Column::BookingDate))), line.booking_date);
            assert_eq!(as_date(&cell(&range, row, column(Column::ValueDate))), line.value_date);
            assert_eq!(text(&cell(&range, row, column(Column::Counterparty))), line.counterparty.name);
            assert_eq!(text(&cell(&range, row, column(Column::Purpose))), line.purpose);
            match (&line.counterparty.taxpayer_id, cell(&range, row, column(Column::TaxpayerId))) {
                (Some(id), data) => assert_eq!(text(&data), id.as_str()),
                (None, data) => assert_eq!(data, Data::Empty),
            }
            let (amount_column, empty_column) = match line.direction {
                Direction::Debit => (Column::Debit, Column::Credit),
                Direction::Credit => (Column::Credit, Column::Debit),
            };
            assert_eq!(as_money(&cell(&range, row, column(amount_column)), &statement), line.amount);
            assert_eq!(cell(&range, row, column(empty_column)), Data::Empty);
            assert_eq!(text(&cell(&range, row, column(Column::Entry))), line.entry.to_string());
        }
        let bottom = 13 + statement.lines.len() as u32 + 1;
        assert_eq!(text(&cell(&range, bottom, 0)), "Обороты за период");
        assert_eq!(as_money(&cell(&range, bottom, column(Column::Debit)), &statement), header.turnover.debit);
        assert_eq!(as_money(&cell(&range, bottom, column(Column::Credit)), &statement), header.turnover.credit);
        assert_eq!(as_money(&cell(&range, bottom + 1, column(Column::Credit)), &statement), header.closing);
    }
}

/// R-3.1.2.7, R-6.3.1: the daily sheet lists every day, days without lines included, with the
/// model's turnovers and chained closings.
#[test]
fn r_3_1_2_7_xlsx_daily_sheet_lists_every_day() {
    let statement = kzt_statement();
    let mut book = open(write(&statement, &XlsxOptions::default()));
    let range = sheet(&mut book, "Обороты по дням");
    let days = every_day(&statement);
    assert_eq!(days.len(), 7);
    assert_eq!(range.height(), days.len() + 1);
    for (offset, day) in days.iter().enumerate() {
        let row = 1 + offset as u32;
        assert_eq!(as_date(&cell(&range, row, 0)), day.date);
        assert_eq!(as_money(&cell(&range, row, 2), &statement), day.turnover.debit);
        assert_eq!(as_money(&cell(&range, row, 3), &statement), day.turnover.credit);
        assert_eq!(as_money(&cell(&range, row, 4), &statement), day.closing);
        let previous = if offset == 0 { statement.header.opening } else { days[offset - 1].closing };
        assert_eq!(as_money(&cell(&range, row, 1), &statement), previous, "the day opens with the previous close");
    }
    assert!(days[2].turnover.debit.is_zero() && days[2].turnover.credit.is_zero(), "3 October had no lines");
}

/// A statement longer than a sheet goes on in the next sheet, header row repeated, nothing lost.
#[test]
fn r_3_1_2_7_xlsx_long_statements_go_on_in_the_next_sheet() {
    let statement = kzt_statement();
    let options = XlsxOptions { lang: Lang::En, rows_per_sheet_max: 18, ..XlsxOptions::default() };
    let mut book = open(write(&statement, &options));
    assert_eq!(book.sheet_names(), ["Statement", "Statement (2)", "Daily turnovers"]);
    let first = sheet(&mut book, "Statement");
    let second = sheet(&mut book, "Statement (2)");
    let entry = column(Column::Entry);
    let entries_first: Vec<String> = (13..15).map(|row| text(&cell(&first, row, entry)).to_owned()).collect();
    let entries_second: Vec<String> = (1..5).map(|row| text(&cell(&second, row, entry)).to_owned()).collect();
    let all: Vec<String> = entries_first.into_iter().chain(entries_second).collect();
    assert_eq!(all, statement.lines.iter().map(|line| line.entry.to_string()).collect::<Vec<_>>());
    assert_eq!(text(&cell(&second, 0, entry)), "Reference");
    assert_eq!(text(&cell(&second, 6, 0)), "Turnovers for the period");
}

/// No clock: the same statement gives the same bytes.
#[test]
fn r_3_1_2_7_xlsx_is_deterministic() {
    let statement = kzt_statement();
    assert_eq!(write(&statement, &XlsxOptions::default()), write(&statement, &XlsxOptions::default()));
}
