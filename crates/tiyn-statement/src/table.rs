//! Any list a partner sees, as CSV and XLSX (R-3.1.2.6, R-3.1.2.7): a title, named columns and
//! rows of typed cells. The statement has writers of its own (its title block, turnovers and
//! daily sheet); lists such as the payment documents use these.
//!
//! CSV as the statement's: UTF-8 with a byte-order mark, `,` or `;`, ISO dates, amounts as plain
//! decimals, a leading `'` before a text that a spreadsheet would run as a formula, and a header
//! row (no title: one table, which is what a program importing it wants). XLSX typed: amounts
//! are numeric cells with their currency's decimals, dates are date cells, texts are text cells;
//! the title on the first row, the header row bold and frozen; written in rust_xlsxwriter's
//! constant-memory mode, like the statement (see [`crate::xlsx`]).

use std::io::{self, BufWriter, Write};

use jiff::civil::Date;
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use tiyn_core::Money;

use crate::csv::{CsvOptions, csv_writer, write_text};
use crate::export::{CountingWriter, ExportSummary, OUTPUT_BUFFER_BYTES, iso_date};
use crate::model::StatementError;
use crate::xlsx::{SHEET_ROWS_MAX, amount_number_format, cell_number, excel_date, spreadsheet};

/// One cell of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// The amount in its currency's decimals; its currency is another column's business.
    Money(Money),
    Date(Date),
    Empty,
}

/// A list's column: its header and its width in characters (for the spreadsheet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableColumn {
    pub label: &'static str,
    pub width: u16,
}

/// Writes `rows` as CSV to `out` under a header row of `columns`. Every row has one cell per
/// column; a row of another length is a bug in the caller and panics.
pub fn write_table_csv<R>(
    columns: &[TableColumn],
    rows: R,
    options: &CsvOptions,
    out: impl io::Write,
) -> Result<ExportSummary, StatementError>
where
    R: IntoIterator<Item = Vec<Cell>>,
{
    let mut counting = CountingWriter::new(out);
    let mut writer = csv_writer(&mut counting, options)?;
    writer.write_record(columns.iter().map(|column| column.label))?;
    let (mut guarded, mut date) = (String::new(), String::new());
    let mut written = 0_u64;
    for row in rows {
        assert_eq!(row.len(), columns.len(), "a row has a cell per column");
        for cell in &row {
            match cell {
                Cell::Text(text) => write_text(&mut writer, &mut guarded, text)?,
                Cell::Money(money) => writer.write_field(money.amount_string())?,
                Cell::Date(day) => {
                    iso_date(*day, &mut date);
                    writer.write_field(&date)?;
                }
                Cell::Empty => writer.write_field("")?,
            }
        }
        writer.write_record(None::<&[u8]>)?;
        written += 1;
    }
    writer.flush()?;
    drop(writer);
    counting.flush()?;
    Ok(ExportSummary { lines: written, bytes: counting.bytes() })
}

/// Writes `rows` as an XLSX workbook to `out`: `title` on the first row, the header row, the
/// rows; a list longer than a sheet goes on in the next sheet with the header repeated.
pub fn write_table_xlsx<R>(
    sheet_name: &str,
    title: &str,
    columns: &[TableColumn],
    rows: R,
    out: impl io::Write + Send,
) -> Result<ExportSummary, StatementError>
where
    R: IntoIterator<Item = Vec<Cell>>,
{
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let date_format = Format::new().set_num_format("dd.mm.yyyy");
    let mut sheets: Vec<Worksheet> = Vec::new();
    let mut sheet = new_sheet(&mut workbook, sheet_name, 1, Some(title), columns, &bold)?;
    // The title row, the header row.
    let mut row_number: u32 = 2;
    let mut written = 0_u64;
    for row in rows {
        assert_eq!(row.len(), columns.len(), "a row has a cell per column");
        if row_number >= SHEET_ROWS_MAX {
            sheets.push(sheet);
            sheet = new_sheet(&mut workbook, sheet_name, sheets.len() + 1, None, columns, &bold)?;
            row_number = 1;
        }
        for (column, cell) in (0..).zip(&row) {
            match cell {
                Cell::Text(text) => sheet.write_string(row_number, column, text).map(|_| ()),
                Cell::Money(money) => {
                    let format = Format::new().set_num_format(amount_number_format(money.currency()));
                    sheet.write_number_with_format(row_number, column, cell_number(*money), &format).map(|_| ())
                }
                Cell::Date(day) => {
                    sheet.write_datetime_with_format(row_number, column, excel_date(*day)?, &date_format).map(|_| ())
                }
                Cell::Empty => Ok(()),
            }
            .map_err(spreadsheet)?;
        }
        row_number += 1;
        written += 1;
    }
    sheets.push(sheet);
    for sheet in sheets {
        workbook.push_worksheet(sheet);
    }
    let mut counting = CountingWriter::new(out);
    {
        let mut buffered = BufWriter::with_capacity(OUTPUT_BUFFER_BYTES, &mut counting);
        workbook.save_to_writer(&mut buffered).map_err(spreadsheet)?;
        buffered.flush()?;
    }
    Ok(ExportSummary { lines: written, bytes: counting.bytes() })
}

/// A sheet with its column widths, the title (first sheet only) and the bold, frozen header row.
fn new_sheet(
    workbook: &mut Workbook,
    name: &str,
    number: usize,
    title: Option<&str>,
    columns: &[TableColumn],
    bold: &Format,
) -> Result<Worksheet, StatementError> {
    let mut sheet = workbook.new_worksheet_with_constant_memory().map_err(spreadsheet)?;
    let name: String = name.chars().take(25).collect();
    sheet.set_name(if number == 1 { name } else { format!("{name} ({number})") }).map_err(spreadsheet)?;
    let header_row = u32::from(title.is_some());
    if let Some(title) = title {
        sheet.write_string_with_format(0, 0, title, bold).map_err(spreadsheet)?;
    }
    for (index, column) in (0..).zip(columns) {
        sheet.set_column_width(index, column.width).map_err(spreadsheet)?;
        sheet.write_string_with_format(header_row, index, column.label, bold).map_err(spreadsheet)?;
    }
    sheet.set_freeze_panes(header_row + 1, 0).map_err(spreadsheet)?;
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader, Xlsx};
    use tiyn_core::Currency;

    use super::*;
    use crate::csv::UTF8_BOM;

    const COLUMNS: [TableColumn; 4] = [
        TableColumn { label: "Дата", width: 12 },
        TableColumn { label: "Получатель", width: 30 },
        TableColumn { label: "Сумма", width: 14 },
        TableColumn { label: "Валюта", width: 8 },
    ];

    fn rows() -> Vec<Vec<Cell>> {
        vec![
            vec![
                Cell::Date(Date::constant(2026, 1, 12)),
                Cell::Text("ТОО «Ромашка»".into()),
                Cell::Money(Money::from_minor(150_005, Currency::Kzt)),
                Cell::Text("KZT".into()),
            ],
            vec![
                Cell::Empty,
                Cell::Text("=HYPERLINK(\"x\")".into()),
                Cell::Money(Money::from_minor(7, Currency::Jpy)),
                Cell::Text("JPY".into()),
            ],
        ]
    }

    /// R-3.1.2.7: a list's CSV reads back with the csv crate: the header, the Cyrillic, the exact
    /// amounts, a formula made harmless.
    #[test]
    fn r_3_1_2_7_a_list_exports_as_csv() {
        let mut out = Vec::new();
        let options = CsvOptions { delimiter: crate::CsvDelimiter::Semicolon, ..CsvOptions::default() };
        let summary = write_table_csv(&COLUMNS, rows(), &options, &mut out).expect("written");
        assert_eq!(summary.lines, 2);
        assert!(out.starts_with(UTF8_BOM));
        let mut reader = ::csv::ReaderBuilder::new().delimiter(b';').from_reader(&out[UTF8_BOM.len()..]);
        assert_eq!(
            reader.headers().expect("header").iter().collect::<Vec<_>>(),
            ["Дата", "Получатель", "Сумма", "Валюта"]
        );
        let records: Vec<Vec<String>> =
            reader.records().map(|record| record.expect("row").iter().map(str::to_owned).collect()).collect();
        assert_eq!(records[0], ["2026-01-12", "ТОО «Ромашка»", "1500.05", "KZT"]);
        assert_eq!(records[1], ["", "'=HYPERLINK(\"x\")", "7", "JPY"]);
    }

    /// R-3.1.2.7: a list's XLSX reads back with calamine: typed numbers and dates, text as text.
    #[test]
    fn r_3_1_2_7_a_list_exports_as_a_typed_spreadsheet() {
        let mut out = Vec::new();
        write_table_xlsx("Платежи", "Платёжные документы", &COLUMNS, rows(), &mut out).expect("written");
        let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(out)).expect("an xlsx");
        let range = workbook.worksheet_range("Платежи").expect("the sheet");
        assert_eq!(range.get_value((0, 0)), Some(&Data::String("Платёжные документы".into())));
        assert_eq!(range.get_value((1, 1)), Some(&Data::String("Получатель".into())));
        assert!(matches!(range.get_value((2, 0)), Some(Data::DateTime(_))), "{:?}", range.get_value((2, 0)));
        assert_eq!(range.get_value((2, 2)), Some(&Data::Float(1500.05)));
        assert_eq!(range.get_value((3, 1)), Some(&Data::String("=HYPERLINK(\"x\")".into())));
    }
}
