//! SWIFT MT940, Customer Statement Message (R-3.1.2.7), as the plain text file that treasury
//! systems and ERPs import: the fields of block 4, one after another, lines ending in CRLF, no
//! SWIFT envelope (`{1:…}{2:…}`): that belongs to the network, not to a file.
//!
//! # One message per day with lines
//!
//! A bank sends one MT940 per account and business day, and a FIN message is bounded (2,000
//! characters of text per message over the network); a period is exported the same way: one
//! message for each day that has lines, in order. Each message is a whole statement of its day:
//! `:20:` the statement's reference, `:25:` the IBAN, `:28C:` its number (the first message gets
//! [`Mt940Options::first_statement_number`], the next ones count on, wrapping after 99999 as
//! statement numbers do) with page `/1`, `:60F:` the day's opening balance, a `:61:` and an
//! `:86:` per line, and `:62F:` the day's closing balance (no `:64:`: the available balance
//! depends on holds, which a statement does not know). A day without lines has no message (there was nothing to state), and its balance is
//! the previous message's `:62F:` and the next one's `:60F:`: the balances chain. A period
//! without any line gives one message with no `:61:`, dated the period's last day, so that the
//! file always states the balance. A single day with more lines than a FIN message holds is
//! still one message: a file is not the network, and every importer takes long messages.
//!
//! # `:61:` and `:86:`
//!
//! `:61:` is value date (YYMMDD), entry date (MMDD, the booking date), `D`/`C` (`RC`/`RD` for a
//! reversal: RC reverses a credit and is a debit, RD reverses a debit and is a credit), the
//! amount with a decimal comma (at most 15 characters), the transaction type (`NTRF` transfer,
//! `NCHG` commission, `NFEX` conversion, `NCOL` collection order, `NMSC` the migrated opening
//! balance), the customer's reference (the document number, or `NONREF`, at most 16
//! characters) and `//` with the bank's reference (the ledger entry's id).
//!
//! `:86:` carries the counterparty and the payment in the Kazakhstan national format's
//! sub-fields (FACTS.md §7): `/NAME/`, `/IDN/` (BIN/IIN), `/IBAN/` (or `/ACC/` for another
//! account number), `/BIC/`, `/KNP/`, `/ASSIGN/` (the purpose). At most 6 lines of 65 characters;
//! a value runs on over the lines, and what does not fit in the six is cut (a long purpose
//! loses its end; the CSV, XLSX, camt.053 and 1C exports carry it whole).
//!
//! # Character set
//!
//! MT fields are in the SWIFT *X* character set: Latin letters, digits and `/ - ? : ( ) . , ' +`
//! and space. Cyrillic is not in it, and a strict importer refuses a file that has it. The
//! default, [`Mt940Charset::Swift`], writes the X set only: Russian and Kazakh letters are
//! transliterated as Kazakhstan's passports do (ICAO Doc 9303 for Russian letters; Ә→A, Ғ→G,
//! Қ→K, Ң→N, Ө→O, Ұ→U, Ү→U, Һ→H, І→I), quotation marks become `'`, `№` `N`, `%` `PCT`, `&`
//! `+`, `;` `,`, dashes `-`, and any other character outside the set a `.`. [`Mt940Charset::Utf8`] keeps the text as it
//! is, for importers that read Cyrillic MT940 (some Kazakhstan accounting setups do); its line
//! limits count characters, not bytes. We do not know of a published Kazakhstan bank convention
//! for Cyrillic in MT940, so the standard's is the default.

use std::io::{self, BufWriter, Write};

use jiff::civil::Date;
use tiyn_core::Money;

use crate::export::{
    CountingWriter, ExportSummary, IntoStatementLine, OUTPUT_BUFFER_BYTES, digits_of, first_chars, one_line,
    push_digits,
};
use crate::model::{
    CounterpartyAccount, DayTurnover, Direction, LineKind, StatementError, StatementHeader, StatementLine, Turnover,
    TurnoverCheck,
};

/// The characters of an MT940 amount (`15d`): digits and the decimal comma.
pub const AMOUNT_CHARS_MAX: usize = 15;
/// `:20:` and the `:61:` references are `16x`.
pub const REFERENCE_CHARS_MAX: usize = 16;
/// `:86:` is `6*65x`.
pub const NARRATIVE_LINES_MAX: usize = 6;
pub const NARRATIVE_LINE_CHARS_MAX: usize = 65;
/// `:28C:`'s statement number is `5n`.
pub const STATEMENT_NUMBER_MAX: u32 = 99_999;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mt940Charset {
    /// The SWIFT X character set, Cyrillic transliterated (see the module docs).
    #[default]
    Swift,
    /// The texts as they are, in UTF-8.
    Utf8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mt940Options {
    pub charset: Mt940Charset,
    /// `:28C:` of the first message, 1..=99999.
    pub first_statement_number: u32,
}

impl Default for Mt940Options {
    fn default() -> Mt940Options {
        Mt940Options { charset: Mt940Charset::default(), first_statement_number: 1 }
    }
}

/// Writes the statement as MT940 messages to `out`, checking the lines against the header as
/// they pass ([`TurnoverCheck`]). On an error, what was written is incomplete: discard it.
pub fn write_mt940<L>(
    header: &StatementHeader,
    lines: L,
    options: &Mt940Options,
    out: impl io::Write,
) -> Result<ExportSummary, StatementError>
where
    L: IntoIterator,
    L::Item: IntoStatementLine,
{
    header.check()?;
    assert!(
        (1..=STATEMENT_NUMBER_MAX).contains(&options.first_statement_number),
        "a statement number has 1 to 5 digits"
    );
    let mut counting = CountingWriter::new(out);
    let mut writer = Writer {
        out: BufWriter::with_capacity(OUTPUT_BUFFER_BYTES, &mut counting),
        header,
        charset: options.charset,
        statement_number: options.first_statement_number,
        reference: field_text(header.reference.as_str(), options.charset, REFERENCE_CHARS_MAX),
        text: String::new(),
    };
    let mut check = TurnoverCheck::new(header);
    let mut day_open = false;
    let mut opening = header.opening;
    let mut written = 0_u64;
    for item in lines {
        let line = item.into_statement_line()?;
        if let Some(day) = check.push(&line)? {
            writer.close_day(day)?;
            opening = day.closing;
            day_open = false;
        }
        if !day_open {
            writer.open_day(line.booking_date, opening)?;
            day_open = true;
        }
        writer.line(&line)?;
        written += 1;
    }
    match check.finish()? {
        Some(day) => writer.close_day(day)?,
        None => {
            // No line in the period: one message that states the balance.
            let last = header.period.to();
            writer.open_day(last, header.opening)?;
            writer.close_day(DayTurnover {
                date: last,
                turnover: Turnover::zero(header.currency),
                closing: header.closing,
            })?;
        }
    }
    writer.out.flush()?;
    drop(writer);
    Ok(ExportSummary { lines: written, bytes: counting.bytes() })
}

struct Writer<'h, W: io::Write> {
    out: W,
    header: &'h StatementHeader,
    charset: Mt940Charset,
    /// The next message's `:28C:` number.
    statement_number: u32,
    /// `:20:`, in the charset and cut to 16 characters.
    reference: String,
    /// The field being spelled, reused from line to line.
    text: String,
}

impl<W: io::Write> Writer<'_, W> {
    fn open_day(&mut self, date: Date, opening: Money) -> Result<(), StatementError> {
        let header = self.header;
        let reference = if self.reference.is_empty() { "NONREF" } else { self.reference.as_str() };
        write!(self.out, ":20:{reference}\r\n:25:{}\r\n", header.account_iban.as_str())?;
        write!(self.out, ":28C:{:05}/1\r\n", self.statement_number)?;
        self.statement_number =
            if self.statement_number >= STATEMENT_NUMBER_MAX { 1 } else { self.statement_number + 1 };
        self.balance("60F", date, opening)
    }

    fn close_day(&mut self, day: DayTurnover) -> Result<(), StatementError> {
        self.balance("62F", day.date, day.closing)
    }

    /// `:TAG:` D/C, YYMMDD, currency, amount: a balance, its sign as D or C.
    fn balance(&mut self, tag: &str, date: Date, money: Money) -> Result<(), StatementError> {
        let mark = if money.is_negative() { 'D' } else { 'C' };
        let amount = amount(money)?;
        self.text.clear();
        push_yymmdd(&mut self.text, date);
        write!(self.out, ":{tag}:{mark}{}{}{amount}\r\n", self.text, money.currency().code())?;
        Ok(())
    }

    fn line(&mut self, line: &StatementLine) -> Result<(), StatementError> {
        let mark = match (line.kind, line.direction) {
            (LineKind::Reversal, Direction::Debit) => "RC",
            (LineKind::Reversal, Direction::Credit) => "RD",
            (_, Direction::Debit) => "D",
            (_, Direction::Credit) => "C",
        };
        let kind = match line.kind {
            LineKind::Payment | LineKind::IncomingCredit | LineKind::Reversal => "NTRF",
            LineKind::Commission => "NCHG",
            LineKind::Conversion => "NFEX",
            LineKind::Collection => "NCOL",
            LineKind::OpeningBalance => "NMSC",
        };
        let amount = amount(line.amount)?;
        let customer_reference = line
            .document_number
            .as_deref()
            .map(|number| field_text(number, self.charset, REFERENCE_CHARS_MAX))
            .filter(|number| !number.is_empty() && !number.contains("//"))
            .unwrap_or_else(|| "NONREF".to_owned());
        self.text.clear();
        push_yymmdd(&mut self.text, line.value_date);
        push_digits(&mut self.text, line.booking_date.month().unsigned_abs().into(), 2);
        push_digits(&mut self.text, line.booking_date.day().unsigned_abs().into(), 2);
        write!(self.out, ":61:{}{mark}{amount}{kind}{customer_reference}//{}\r\n", self.text, line.entry)?;
        self.narrative(line)
    }

    /// `:86:`: the sub-fields run on over at most six lines of 65 characters.
    fn narrative(&mut self, line: &StatementLine) -> Result<(), StatementError> {
        let counterparty = &line.counterparty;
        self.text.clear();
        let mut push = |key: &str, value: &str| {
            let value = one_line(value);
            let value = value.trim();
            if !value.is_empty() {
                self.text.push('/');
                self.text.push_str(key);
                self.text.push('/');
                self.text.push_str(value);
            }
        };
        push("NAME", &counterparty.name);
        push("IDN", counterparty.taxpayer_id.as_ref().map_or("", |id| id.as_str()));
        match &counterparty.account {
            Some(CounterpartyAccount::Iban(iban)) => push("IBAN", iban.as_str()),
            Some(CounterpartyAccount::Other(account)) => push("ACC", account),
            None => {}
        }
        push("BIC", counterparty.bic.as_ref().map_or("", |bic| bic.as_str()));
        push("KNP", line.knp.as_ref().map_or("", |knp| knp.as_str()));
        push("ASSIGN", &line.purpose);
        if self.text.is_empty() {
            self.text.push_str("/NAME/");
        }
        let text = match self.charset {
            Mt940Charset::Swift => to_swift_x(&self.text),
            Mt940Charset::Utf8 => std::mem::take(&mut self.text),
        };
        self.out.write_all(b":86:")?;
        for (index, piece) in narrative_lines(&text).into_iter().enumerate() {
            if index > 0 {
                self.out.write_all(b"\r\n")?;
            }
            self.out.write_all(piece.as_bytes())?;
        }
        self.out.write_all(b"\r\n")?;
        Ok(())
    }
}

/// Cuts `text` into at most [`NARRATIVE_LINES_MAX`] lines of [`NARRATIVE_LINE_CHARS_MAX`]
/// characters, to be read back joined without separators. A line ends before a sub-field's `/`
/// or after a space when one is in its last [`WRAP_LOOKBACK_CHARS`] characters, so that an IBAN
/// or a word is not cut in two; otherwise it is cut at the limit. No line but the first may
/// start with `:` or `-` (a reader would take it for a new field or the end of the message),
/// so such a line starts with a space instead.
fn narrative_lines(text: &str) -> Vec<String> {
    let characters: Vec<char> = text.chars().collect();
    let mut lines: Vec<String> = Vec::with_capacity(NARRATIVE_LINES_MAX);
    let mut start = 0;
    while start < characters.len() && lines.len() < NARRATIVE_LINES_MAX {
        let mut line = String::new();
        let mut room = NARRATIVE_LINE_CHARS_MAX;
        if !lines.is_empty() && matches!(characters[start], ':' | '-') {
            line.push(' ');
            room -= 1;
        }
        let mut end = (start + room).min(characters.len());
        if end < characters.len() {
            let earliest = end - WRAP_LOOKBACK_CHARS.min(room - 1);
            let wrap = (earliest..=end)
                .rev()
                .find(|&at| at > start && (starts_sub_field(&characters[at..]) || characters[at - 1] == ' '));
            end = wrap.unwrap_or(end);
        }
        line.extend(&characters[start..end]);
        lines.push(line);
        start = end;
    }
    debug_assert!(lines.len() <= NARRATIVE_LINES_MAX);
    debug_assert!(lines.iter().all(|line| line.chars().count() <= NARRATIVE_LINE_CHARS_MAX));
    lines
}

/// Whether the text starts with a sub-field's key: `/`, 2 to 6 capital Latin letters, `/`.
fn starts_sub_field(text: &[char]) -> bool {
    let Some(('/', rest)) = text.split_first().map(|(first, rest)| (*first, rest)) else {
        return false;
    };
    let key = rest.iter().take_while(|character| character.is_ascii_uppercase()).count();
    (2..=6).contains(&key) && rest.get(key) == Some(&'/')
}

/// How far back from the line limit a narrative line looks for a place to wrap.
const WRAP_LOOKBACK_CHARS: usize = 24;

/// An amount as MT940 spells it: no sign, a decimal comma, the currency's decimals (`1500,00`;
/// `1500,` for a currency without minor units). At most [`AMOUNT_CHARS_MAX`] characters.
fn amount(money: Money) -> Result<String, StatementError> {
    let (digits, fraction) = digits_of(&money.amount_string());
    let integer = &digits[..digits.len() - fraction];
    let spelled = format!("{integer},{}", &digits[digits.len() - fraction..]);
    if spelled.len() > AMOUNT_CHARS_MAX {
        return Err(StatementError::AmountTooLong {
            format: "MT940",
            amount: money.amount_string(),
            digits_max: AMOUNT_CHARS_MAX - 1,
        });
    }
    Ok(spelled)
}

fn push_yymmdd(buffer: &mut String, date: Date) {
    push_digits(buffer, u32::from(date.year().unsigned_abs() % 100), 2);
    push_digits(buffer, date.month().unsigned_abs().into(), 2);
    push_digits(buffer, date.day().unsigned_abs().into(), 2);
}

/// A reference field's text: on one line, in the charset, cut to `chars_max` characters.
fn field_text(text: &str, charset: Mt940Charset, chars_max: usize) -> String {
    let text = one_line(text);
    let text = match charset {
        Mt940Charset::Swift => to_swift_x(text.trim()),
        Mt940Charset::Utf8 => text.trim().to_owned(),
    };
    first_chars(&text, chars_max).trim_end().to_owned()
}

/// `text` in the SWIFT X character set (see the module docs).
pub fn to_swift_x(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        if is_swift_x(character) {
            out.push(character);
            continue;
        }
        let upper = character.is_uppercase();
        let lower = character.to_lowercase().next().unwrap_or(character);
        let latin = match lower {
            'а' | 'ә' => "a",
            'б' => "b",
            'в' => "v",
            'г' | 'ғ' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'й' | 'і' => "i",
            'к' | 'қ' => "k",
            'л' => "l",
            'м' => "m",
            'н' | 'ң' => "n",
            'о' | 'ө' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' | 'ұ' | 'ү' => "u",
            'ф' => "f",
            'х' => "kh",
            'һ' => "h",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ъ' => "ie",
            'ы' => "y",
            'ь' => "",
            'ю' => "iu",
            'я' => "ia",
            '«' | '»' | '"' | '“' | '”' | '„' | '‘' | '’' | '`' => "'",
            '№' | '#' => "N",
            '&' => "+",
            '%' => "PCT",
            ';' => ",",
            '–' | '—' | '_' | '=' => "-",
            '\t' | '\u{a0}' => " ",
            _ => ".",
        };
        if upper {
            // Ж → "Zh": only the first letter of a multi-letter spelling is upper-case.
            let mut letters = latin.chars();
            if let Some(first) = letters.next() {
                out.push(first.to_ascii_uppercase());
                out.push_str(letters.as_str());
            }
        } else {
            out.push_str(latin);
        }
    }
    debug_assert!(out.chars().all(is_swift_x));
    out
}

/// The SWIFT X character set, without the line break (fields are put on lines by the writer).
fn is_swift_x(character: char) -> bool {
    character.is_ascii_alphanumeric()
        || matches!(character, '/' | '-' | '?' | ':' | '(' | ')' | '.' | ',' | '\'' | '+' | ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_and_kazakh_letters_are_transliterated_into_the_x_set() {
        assert_eq!(to_swift_x("ТОО «Қазақ Ғарыш» № 5"), "TOO 'Kazak Garysh' N 5");
        assert_eq!(to_swift_x("Жұмыс ақысы; Щука — 12%!"), "Zhumys akysy, Shchuka - 12PCT.");
        assert_eq!(to_swift_x("Әлия Өмірзақ, Һ ҮҢ І"), "Aliia Omirzak, H UN I");
        assert_eq!(to_swift_x("Plain 1/2-(3)?"), "Plain 1/2-(3)?");
    }

    #[test]
    fn narratives_fit_six_lines_of_65_and_never_start_a_line_with_a_colon_or_dash() {
        let text = format!("{}:{}", "a".repeat(65), "b".repeat(500));
        let lines = narrative_lines(&text);
        assert_eq!(lines.len(), NARRATIVE_LINES_MAX);
        assert!(lines.iter().all(|line| line.chars().count() <= NARRATIVE_LINE_CHARS_MAX));
        assert_eq!(lines[1], format!(" :{}", "b".repeat(63)));
        assert_eq!(narrative_lines("short"), ["short"]);
    }

    #[test]
    fn narratives_wrap_before_a_sub_field_or_after_a_space() {
        let text = "/NAME/ТОО «Қазақ Ғарыш Сервис»/IDN/220340110009/IBAN/KZ806014482455345985/BIC/HSBKKZKX/KNP/710/ASSIGN/Оплата по счёту";
        let lines = narrative_lines(text);
        assert_eq!(lines[0], "/NAME/ТОО «Қазақ Ғарыш Сервис»/IDN/220340110009");
        assert_eq!(lines[1], "/IBAN/KZ806014482455345985/BIC/HSBKKZKX/KNP/710/ASSIGN/Оплата по ");
        assert_eq!(lines.concat(), text, "joined without separators, the text is whole");
    }

    #[test]
    fn amounts_have_a_decimal_comma_and_a_length_limit() {
        use tiyn_core::Currency;
        assert_eq!(amount(Money::from_minor(150_005, Currency::Kzt)).unwrap(), "1500,05");
        assert_eq!(amount(Money::from_minor(7, Currency::Kzt)).unwrap(), "0,07");
        assert_eq!(amount(Money::from_minor(1500, Currency::Jpy)).unwrap(), "1500,");
        assert_eq!(amount(Money::from_minor(99_999_999_999_999, Currency::Kzt)).unwrap(), "999999999999,99");
        let error = amount(Money::from_minor(100_000_000_000_000, Currency::Kzt)).unwrap_err();
        assert_eq!(error.code(), "export_amount_too_long");
    }
}
