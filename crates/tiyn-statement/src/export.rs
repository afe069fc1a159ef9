//! What every writer shares: the line source, the summary, the byte counter, the labels in three
//! languages, and the small text and date spellings the formats have in common.

use std::borrow::Cow;
use std::io;

use jiff::civil::Date;

use crate::model::{LineKind, StatementError, StatementLine};

/// What a writer wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    /// Statement lines written.
    pub lines: u64,
    /// Bytes handed to the writer.
    pub bytes: u64,
}

/// One item of the lines a writer takes: a [`StatementLine`], or the `Result` of a fallible
/// source such as a store's cursor.
///
/// Writers take `impl IntoIterator<Item: IntoStatementLine>` so that both a plain collection of
/// lines and a stream from the store work without collecting: a store's error ends the export
/// with [`StatementError::Source`], and the caller discards what was written so far, as for any
/// other error.
pub trait IntoStatementLine {
    fn into_statement_line(self) -> Result<StatementLine, StatementError>;
}

impl IntoStatementLine for StatementLine {
    fn into_statement_line(self) -> Result<StatementLine, StatementError> {
        Ok(self)
    }
}

/// Borrowed lines are cloned, one at a time; pass owned lines where the copy matters.
impl IntoStatementLine for &StatementLine {
    fn into_statement_line(self) -> Result<StatementLine, StatementError> {
        Ok(self.clone())
    }
}

impl<E> IntoStatementLine for Result<StatementLine, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn into_statement_line(self) -> Result<StatementLine, StatementError> {
        self.map_err(|error| StatementError::Source(Box::new(error)))
    }
}

/// Counts the bytes that pass to the caller's writer, for [`ExportSummary::bytes`].
pub(crate) struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: io::Write> CountingWriter<W> {
    pub(crate) fn new(inner: W) -> CountingWriter<W> {
        CountingWriter { inner, bytes: 0 }
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl<W: io::Write> io::Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The buffer between a writer and the caller's `io::Write`: large enough that a socket or a
/// file sees few, large writes; small against the 200 MB an export may use (R-3.1.2.7).
pub(crate) const OUTPUT_BUFFER_BYTES: usize = 256 * 1024;

/// The language of a format's labels (column headers, the XLSX title block, line kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Russian, what Kazakhstan's accountants mostly read.
    #[default]
    Ru,
    /// Kazakh.
    Kk,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Ru, Lang::Kk, Lang::En];
}

/// The columns of the tabular formats (CSV and XLSX), in order: one row per statement line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    BookingDate,
    ValueDate,
    DocumentNumber,
    Counterparty,
    /// The counterparty's BIN or IIN.
    TaxpayerId,
    /// The counterparty's IBAN or account number.
    Account,
    Bic,
    Knp,
    Purpose,
    Debit,
    Credit,
    Currency,
    Kind,
    /// The ledger entry's id: the line's reference in every format.
    Entry,
}

impl Column {
    pub const ALL: [Column; 14] = [
        Column::BookingDate,
        Column::ValueDate,
        Column::DocumentNumber,
        Column::Counterparty,
        Column::TaxpayerId,
        Column::Account,
        Column::Bic,
        Column::Knp,
        Column::Purpose,
        Column::Debit,
        Column::Credit,
        Column::Currency,
        Column::Kind,
        Column::Entry,
    ];

    /// The column's header in `lang`. Kazakh uses the Kazakh names of the requisites: ЖСК for
    /// ИИК, БСН/ЖСН for БИН/ИИН, БСК for БИК, ТТК for КНП.
    pub const fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Column::BookingDate, Lang::Ru) => "Дата операции",
            (Column::BookingDate, Lang::Kk) => "Операция күні",
            (Column::BookingDate, Lang::En) => "Booking date",
            (Column::ValueDate, Lang::Ru) => "Дата валютирования",
            (Column::ValueDate, Lang::Kk) => "Валюталау күні",
            (Column::ValueDate, Lang::En) => "Value date",
            (Column::DocumentNumber, Lang::Ru) => "Номер документа",
            (Column::DocumentNumber, Lang::Kk) => "Құжат нөмірі",
            (Column::DocumentNumber, Lang::En) => "Document number",
            (Column::Counterparty, Lang::Ru) => "Контрагент",
            (Column::Counterparty, Lang::Kk) => "Контрагент",
            (Column::Counterparty, Lang::En) => "Counterparty",
            (Column::TaxpayerId, Lang::Ru) => "БИН/ИИН",
            (Column::TaxpayerId, Lang::Kk) => "БСН/ЖСН",
            (Column::TaxpayerId, Lang::En) => "BIN/IIN",
            (Column::Account, Lang::Ru) => "ИИК",
            (Column::Account, Lang::Kk) => "ЖСК",
            (Column::Account, Lang::En) => "IBAN / account",
            (Column::Bic, Lang::Ru) => "БИК",
            (Column::Bic, Lang::Kk) => "БСК",
            (Column::Bic, Lang::En) => "BIC",
            (Column::Knp, Lang::Ru) => "КНП",
            (Column::Knp, Lang::Kk) => "ТТК",
            (Column::Knp, Lang::En) => "KNP",
            (Column::Purpose, Lang::Ru) => "Назначение платежа",
            (Column::Purpose, Lang::Kk) => "Төлемнің мақсаты",
            (Column::Purpose, Lang::En) => "Purpose",
            (Column::Debit, Lang::Ru) => "Дебет",
            (Column::Debit, Lang::Kk) => "Дебет",
            (Column::Debit, Lang::En) => "Debit",
            (Column::Credit, Lang::Ru) => "Кредит",
            (Column::Credit, Lang::Kk) => "Кредит",
            (Column::Credit, Lang::En) => "Credit",
            (Column::Currency, Lang::Ru) => "Валюта",
            (Column::Currency, Lang::Kk) => "Валюта",
            (Column::Currency, Lang::En) => "Currency",
            (Column::Kind, Lang::Ru) => "Вид операции",
            (Column::Kind, Lang::Kk) => "Операция түрі",
            (Column::Kind, Lang::En) => "Kind",
            (Column::Entry, Lang::Ru) => "Референс",
            (Column::Entry, Lang::Kk) => "Референс",
            (Column::Entry, Lang::En) => "Reference",
        }
    }
}

/// A line kind as a person reads it, in `lang`.
pub const fn kind_label(kind: LineKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (LineKind::Payment, Lang::Ru) => "Платёж",
        (LineKind::Payment, Lang::Kk) => "Төлем",
        (LineKind::Payment, Lang::En) => "Payment",
        (LineKind::Commission, Lang::Ru) => "Комиссия",
        (LineKind::Commission, Lang::Kk) => "Комиссия",
        (LineKind::Commission, Lang::En) => "Commission",
        (LineKind::IncomingCredit, Lang::Ru) => "Поступление",
        (LineKind::IncomingCredit, Lang::Kk) => "Түсім",
        (LineKind::IncomingCredit, Lang::En) => "Incoming credit",
        (LineKind::Conversion, Lang::Ru) => "Конвертация",
        (LineKind::Conversion, Lang::Kk) => "Айырбастау",
        (LineKind::Conversion, Lang::En) => "Conversion",
        (LineKind::Collection, Lang::Ru) => "Инкассовое распоряжение",
        (LineKind::Collection, Lang::Kk) => "Инкассолық өкім",
        (LineKind::Collection, Lang::En) => "Collection order",
        (LineKind::Reversal, Lang::Ru) => "Сторно",
        (LineKind::Reversal, Lang::Kk) => "Сторно",
        (LineKind::Reversal, Lang::En) => "Reversal",
        (LineKind::OpeningBalance, Lang::Ru) => "Входящий остаток",
        (LineKind::OpeningBalance, Lang::Kk) => "Кіріс қалдық",
        (LineKind::OpeningBalance, Lang::En) => "Opening balance",
    }
}

/// The text on one line: line breaks and tabs become spaces. For the line-oriented formats
/// (1C's `Key=Value`, MT940's fields), where a line break would end the value or start a tag.
pub(crate) fn one_line(text: &str) -> Cow<'_, str> {
    if text.contains(['\r', '\n', '\t']) {
        Cow::Owned(text.replace("\r\n", " ").replace(['\r', '\n', '\t'], " "))
    } else {
        Cow::Borrowed(text)
    }
}

/// The first `chars_max` characters of `text`: where a format's field is shorter than the
/// domain's text (ISO 20022's `Max35Text` for a document number, MT940's 16 characters).
pub(crate) fn first_chars(text: &str, chars_max: usize) -> &str {
    match text.char_indices().nth(chars_max) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

/// Years the fixed-width date spellings below can write: four digits, no sign. A statement's
/// dates are this century's; jiff allows −9999..=9999.
const YEAR_MIN: i16 = 0;

/// `YYYY-MM-DD` into `buffer`, without allocating (the CSV writer's hot path). Years outside
/// 0..=9999 cannot occur in jiff; negative ones are written as jiff spells them.
pub(crate) fn iso_date(date: Date, buffer: &mut String) {
    buffer.clear();
    if date.year() < YEAR_MIN {
        use std::fmt::Write;
        let _ = write!(buffer, "{date}");
        return;
    }
    push_digits(buffer, date.year().unsigned_abs().into(), 4);
    buffer.push('-');
    push_digits(buffer, date.month().unsigned_abs().into(), 2);
    buffer.push('-');
    push_digits(buffer, date.day().unsigned_abs().into(), 2);
}

/// `dd.MM.yyyy`, the spelling of 1C and of Russian-language documents.
pub(crate) fn dmy_date(date: Date) -> String {
    let mut text = String::with_capacity(10);
    push_digits(&mut text, date.day().unsigned_abs().into(), 2);
    text.push('.');
    push_digits(&mut text, date.month().unsigned_abs().into(), 2);
    text.push('.');
    push_digits(&mut text, date.year().unsigned_abs().into(), 4);
    text
}

/// `value` in exactly `width` decimal digits, zero-padded (the caller knows it fits).
pub(crate) fn push_digits(buffer: &mut String, value: u32, width: usize) {
    debug_assert!(width <= 10 && u64::from(value) < 10_u64.pow(width as u32), "{value} fits {width} digits");
    let mut digits = [b'0'; 10];
    let mut rest = value;
    for slot in digits[..width].iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    for &digit in &digits[..width] {
        buffer.push(char::from(digit));
    }
}

/// The amount's decimal digits and the position of its decimal point, without sign:
/// `("150000", 2)` for 1500.00 KZT. For the formats that spell amounts their own way (MT940's
/// comma, ISO 20022's digit limit).
pub(crate) fn digits_of(amount_string: &str) -> (String, usize) {
    let unsigned = amount_string.trim_start_matches('-');
    let fraction = unsigned.split_once('.').map_or(0, |(_, fraction)| fraction.len());
    (unsigned.replace('.', ""), fraction)
}

impl From<::csv::Error> for StatementError {
    fn from(error: ::csv::Error) -> StatementError {
        // The csv crate's writer fails only when the underlying writer does; keep the io::Error.
        match error.into_kind() {
            ::csv::ErrorKind::Io(error) => StatementError::Io(error),
            other => StatementError::Io(io::Error::other(format!("{other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_spelled_with_fixed_widths() {
        let date = jiff::civil::date(2024, 3, 5);
        let mut buffer = String::new();
        iso_date(date, &mut buffer);
        assert_eq!(buffer, "2024-03-05");
        assert_eq!(dmy_date(date), "05.03.2024");
        iso_date(jiff::civil::date(987, 12, 31), &mut buffer);
        assert_eq!(buffer, "0987-12-31");
    }

    #[test]
    fn texts_are_put_on_one_line_and_cut_by_characters() {
        assert_eq!(one_line("Оплата\r\nпо счёту\t7\n"), "Оплата по счёту 7 ");
        assert!(matches!(one_line("Оплата"), Cow::Borrowed(_)));
        assert_eq!(first_chars("Қазақстан", 3), "Қаз");
        assert_eq!(first_chars("абв", 5), "абв");
    }

    #[test]
    fn amounts_split_into_digits_and_scale() {
        assert_eq!(digits_of("-1500.05"), ("150005".to_owned(), 2));
        assert_eq!(digits_of("1500"), ("1500".to_owned(), 0));
    }

    #[test]
    fn every_column_and_kind_has_a_label_in_every_language() {
        for lang in Lang::ALL {
            for column in Column::ALL {
                assert!(!column.label(lang).is_empty());
            }
        }
        assert_eq!(kind_label(LineKind::Commission, Lang::Ru), "Комиссия");
    }
}
