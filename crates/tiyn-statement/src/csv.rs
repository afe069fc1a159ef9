//! CSV (R-3.1.2.7): UTF-8 with a byte-order mark, so that Excel reads the Cyrillic right; comma
//! or semicolon separated (Excel in a Russian or Kazakh locale splits on `;`); a header row of
//! [`Column`] labels, then one row per statement line, a commission being a line of its own.
//!
//! Spellings, for the machine that reads the file as much as for the person: dates ISO 8601
//! (`2024-10-02`, which Excel takes as a date in every locale), amounts as plain decimals with
//! a `.` and the currency's number of decimals (`1500.00`), a debit in the debit column and a
//! credit in the credit column, both positive. Quoting is the csv crate's (RFC 4180): a field
//! with the separator, a quote or a line break is quoted.
//!
//! One deliberate change to the data: a text field (name, purpose, document number) that starts
//! with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so that a
//! spreadsheet does not run it as a formula (OWASP "CSV injection"; a counterparty's name comes
//! from whoever sent the money). The XLSX export writes text cells and needs no such guard.
//!
//! The CSV has no title block and no daily turnovers: one table, one line per row, which is
//! what a program importing it wants. The XLSX and the PDF carry the rest.

use std::io::{self, Write};

use crate::export::{
    Column, CountingWriter, ExportSummary, IntoStatementLine, Lang, OUTPUT_BUFFER_BYTES, iso_date, kind_label,
};
use crate::model::{Direction, StatementError, StatementHeader, StatementLine, TurnoverCheck};

/// The UTF-8 byte-order mark: Excel reads a CSV without it in the system's ANSI code page.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The field separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CsvDelimiter {
    /// `,` (RFC 4180).
    #[default]
    Comma,
    /// `;`, what Excel expects where `,` is the decimal separator (Russian and Kazakh locales).
    Semicolon,
}

impl CsvDelimiter {
    pub const fn byte(self) -> u8 {
        match self {
            CsvDelimiter::Comma => b',',
            CsvDelimiter::Semicolon => b';',
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsvOptions {
    pub delimiter: CsvDelimiter,
    /// The language of the header row and of the kind column.
    pub lang: Lang,
}

/// Writes the statement's lines as CSV to `out`, checking them against the header as they pass
/// ([`TurnoverCheck`]). On an error, what was written is incomplete: discard it.
pub fn write_csv<L>(
    header: &StatementHeader,
    lines: L,
    options: &CsvOptions,
    out: impl io::Write,
) -> Result<ExportSummary, StatementError>
where
    L: IntoIterator,
    L::Item: IntoStatementLine,
{
    header.check()?;
    let mut counting = CountingWriter::new(out);
    let mut writer = csv_writer(&mut counting, options)?;
    writer.write_record(Column::ALL.map(|column| column.label(options.lang)))?;

    let mut check = TurnoverCheck::new(header);
    let mut row = Row::default();
    let mut written = 0_u64;
    for item in lines {
        let line = item.into_statement_line()?;
        check.push(&line)?;
        row.write(&mut writer, &line, options.lang)?;
        written += 1;
    }
    check.finish()?;
    writer.flush()?;
    drop(writer);
    counting.flush()?;
    Ok(ExportSummary { lines: written, bytes: counting.bytes() })
}

/// A CSV writer over `out` with the options' separator and CRLF line ends, after the byte-order
/// mark it writes first.
pub(crate) fn csv_writer<W: io::Write>(mut out: W, options: &CsvOptions) -> io::Result<::csv::Writer<W>> {
    out.write_all(UTF8_BOM)?;
    Ok(::csv::WriterBuilder::new()
        .delimiter(options.delimiter.byte())
        .terminator(::csv::Terminator::CRLF)
        .buffer_capacity(OUTPUT_BUFFER_BYTES)
        .from_writer(out))
}

/// The buffers one row is spelled into, reused from row to row.
#[derive(Default)]
struct Row {
    booking_date: String,
    value_date: String,
    entry: String,
    guarded: String,
}

/// The characters that make a spreadsheet read a cell as a formula when they start it.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

impl Row {
    fn write<W: io::Write>(
        &mut self,
        writer: &mut ::csv::Writer<W>,
        line: &StatementLine,
        lang: Lang,
    ) -> Result<(), StatementError> {
        use std::fmt::Write as _;
        iso_date(line.booking_date, &mut self.booking_date);
        iso_date(line.value_date, &mut self.value_date);
        self.entry.clear();
        let _ = write!(self.entry, "{}", line.entry);
        let amount = line.amount.amount_string();
        let (debit, credit) = match line.direction {
            Direction::Debit => (amount.as_str(), ""),
            Direction::Credit => ("", amount.as_str()),
        };
        let counterparty = &line.counterparty;
        writer.write_field(&self.booking_date)?;
        writer.write_field(&self.value_date)?;
        write_text(writer, &mut self.guarded, line.document_number.as_deref().unwrap_or(""))?;
        write_text(writer, &mut self.guarded, &counterparty.name)?;
        writer.write_field(counterparty.taxpayer_id.as_ref().map_or("", |id| id.as_str()))?;
        writer.write_field(counterparty.account.as_ref().map_or("", |account| account.as_str()))?;
        writer.write_field(counterparty.bic.as_ref().map_or("", |bic| bic.as_str()))?;
        writer.write_field(line.knp.as_ref().map_or("", |knp| knp.as_str()))?;
        write_text(writer, &mut self.guarded, &line.purpose)?;
        writer.write_field(debit)?;
        writer.write_field(credit)?;
        writer.write_field(line.amount.currency().code())?;
        writer.write_field(kind_label(line.kind, lang))?;
        writer.write_field(&self.entry)?;
        writer.write_record(None::<&[u8]>)?;
        Ok(())
    }
}

/// A free-text field, with a `'` before a formula's first character (see the module docs).
pub(crate) fn write_text<W: io::Write>(
    writer: &mut ::csv::Writer<W>,
    guarded: &mut String,
    text: &str,
) -> Result<(), StatementError> {
    if text.starts_with(FORMULA_STARTS) {
        guarded.clear();
        guarded.push('\'');
        guarded.push_str(text);
        writer.write_field(&guarded)?;
    } else {
        writer.write_field(text)?;
    }
    Ok(())
}
