//! The 1C client-bank exchange statement, `1CClientBankExchange`, Kazakhstan flavour
//! (R-3.1.2.7): the file Kazakhstan accountants load into 1C:Бухгалтерия для Казахстана.
//!
//! Layout and keys as FACTS.md §8 and `onec_clientbank_kz_keys.csv` give them, verified on
//! Kaspi, BCC and Jusan statements (and the synthetic sample beside them): the signature line;
//! the header (`ВерсияФормата`, `Кодировка`, `Отправитель`, `Получатель`, `ДатаСоздания`,
//! `ВремяСоздания`, `ДатаНачала`, `ДатаКонца`, `РасчСчет`); one `СекцияРасчСчет … КонецРасчСчет`
//! with the period, the IBAN, `НачальныйОстаток`, `ВсегоПоступило`, `ВсегоСписано`,
//! `КонечныйОстаток`; one `СекцияДокумент=Платежное поручение … КонецДокумента` per line; and
//! `КонецФайла`. Lines end in CRLF, dates are `dd.MM.yyyy`, amounts have a `.`.
//!
//! The Kazakhstan keys are not the Russian ones: `НомерДокумента` and `ДатаДокумента` (not
//! `Номер` and `Дата`), `ДатаОперации` (not `ДатаСписано`/`ДатаПоступило`), the direction as
//! `СуммаРасход` or `СуммаПриход` beside `Сумма`, `…ИИК` for the IBAN, `…БИН_ИИН`, `…БанкБИК`,
//! and `КодНазначенияПлатежа` for the KNP. For each line our account's holder is the payer of a
//! debit and the payee of a credit, the counterparty the other side. `ДатаДокумента` is the
//! line's value date (the payment order's date is not on the statement line), `ДатаОперации`
//! its booking date. The KBe/KOd keys (`…КБЕ`) are left out: the statement line does not carry
//! them. A key whose value is unknown (a commission's counterparty has no IBAN) is left out
//! rather than written empty.
//!
//! # Encoding
//!
//! [`OneCEncoding::Utf8`] (`Кодировка=UTF-8`, no byte-order mark) carries every text, and is
//! the default. [`OneCEncoding::Windows1251`] (`Кодировка=Windows`) is what 1C on Windows reads
//! by default, but Windows-1251 has only one Kazakh letter pair, І/і: Ә Ғ Қ Ң Ө Ұ Ү Һ (and
//! their small letters) are not in it. The options say what happens to them
//! ([`Cp1251Fallback`]): refuse the export, naming the character and the line
//! ([`StatementError::Unencodable`]), or substitute the Russian look-alike letters people type
//! on a Russian keyboard (Ә→А, Ғ→Г, Қ→К, Ң→Н, Ө→О, Ұ→У, Ү→У, Һ→Х), and `?` for any other
//! character Windows-1251 lacks.

use std::io::{self, BufWriter, Write};

use jiff::tz::Offset;
use tiyn_core::EntryId;

use crate::export::{
    CountingWriter, ExportSummary, IntoStatementLine, OUTPUT_BUFFER_BYTES, dmy_date, one_line, push_digits,
};
use crate::model::{Direction, StatementError, StatementHeader, StatementLine, TurnoverCheck};

/// The first line of every exchange file.
pub const SIGNATURE: &str = "1CClientBankExchange";
/// `ВерсияФормата`: the version Kazakhstan banks' statements carry (Kaspi 1.01; FACTS.md §8).
pub const FORMAT_VERSION: &str = "1.01";

/// The text encoding of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OneCEncoding {
    /// `Кодировка=UTF-8`.
    #[default]
    Utf8,
    /// `Кодировка=Windows`: Windows-1251, with the given treatment of what it cannot carry.
    Windows1251(Cp1251Fallback),
}

/// What the Windows-1251 encoding does with a character it does not have (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Cp1251Fallback {
    /// Refuse the export with [`StatementError::Unencodable`].
    #[default]
    Refuse,
    /// Kazakh letters become their Russian look-alikes, anything else `?`.
    Substitute,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneCOptions {
    pub encoding: OneCEncoding,
    /// `Получатель`: the program the file is for.
    pub receiver: String,
    /// The offset of the bank's local time, for `ДатаСоздания` and `ВремяСоздания` (the header
    /// has the instant). Kazakhstan has been on UTC+5 throughout since 1 March 2024.
    pub local_offset: Offset,
}

impl Default for OneCOptions {
    fn default() -> OneCOptions {
        OneCOptions {
            encoding: OneCEncoding::default(),
            receiver: "1С:Бухгалтерия для Казахстана".to_owned(),
            local_offset: Offset::constant(5),
        }
    }
}

/// Writes the statement as a 1C exchange file to `out`, checking the lines against the header
/// as they pass ([`TurnoverCheck`]). On an error, what was written is incomplete: discard it.
pub fn write_onec<L>(
    header: &StatementHeader,
    lines: L,
    options: &OneCOptions,
    out: impl io::Write,
) -> Result<ExportSummary, StatementError>
where
    L: IntoIterator,
    L::Item: IntoStatementLine,
{
    header.check()?;
    let mut counting = CountingWriter::new(out);
    let mut file = File {
        out: BufWriter::with_capacity(OUTPUT_BUFFER_BYTES, &mut counting),
        encoding: options.encoding,
        entry: None,
        bytes: Vec::new(),
    };
    file.line(SIGNATURE)?;
    file_header(&mut file, header, options)?;

    let mut check = TurnoverCheck::new(header);
    let mut written = 0_u64;
    for item in lines {
        let line = item.into_statement_line()?;
        check.push(&line)?;
        file.entry = Some(line.entry);
        document(&mut file, header, &line)?;
        written += 1;
    }
    check.finish()?;
    file.entry = None;
    file.line("КонецФайла")?;
    file.out.flush()?;
    drop(file);
    Ok(ExportSummary { lines: written, bytes: counting.bytes() })
}

fn file_header<W: io::Write>(
    file: &mut File<W>,
    header: &StatementHeader,
    options: &OneCOptions,
) -> Result<(), StatementError> {
    let created = header.created_at.to_zoned(jiff::tz::TimeZone::fixed(options.local_offset));
    let mut time = String::with_capacity(8);
    push_digits(&mut time, created.hour().unsigned_abs().into(), 2);
    time.push(':');
    push_digits(&mut time, created.minute().unsigned_abs().into(), 2);
    time.push(':');
    push_digits(&mut time, created.second().unsigned_abs().into(), 2);
    let from = dmy_date(header.period.from());
    let to = dmy_date(header.period.to());
    let iban = header.account_iban.as_str();
    file.key("ВерсияФормата", FORMAT_VERSION)?;
    file.key(
        "Кодировка",
        match options.encoding {
            OneCEncoding::Utf8 => "UTF-8",
            OneCEncoding::Windows1251(_) => "Windows",
        },
    )?;
    file.key("Отправитель", &header.bank_name)?;
    file.key("Получатель", &options.receiver)?;
    file.key("ДатаСоздания", &dmy_date(created.date()))?;
    file.key("ВремяСоздания", &time)?;
    file.key("ДатаНачала", &from)?;
    file.key("ДатаКонца", &to)?;
    file.key("РасчСчет", iban)?;
    file.line("СекцияРасчСчет")?;
    file.key("ДатаНачала", &from)?;
    file.key("ДатаКонца", &to)?;
    file.key("РасчСчет", iban)?;
    file.key("НачальныйОстаток", &header.opening.amount_string())?;
    file.key("ВсегоПоступило", &header.turnover.credit.amount_string())?;
    file.key("ВсегоСписано", &header.turnover.debit.amount_string())?;
    file.key("КонечныйОстаток", &header.closing.amount_string())?;
    file.line("КонецРасчСчет")
}

/// One side of a document: the payer or the payee.
struct Side<'a> {
    name: &'a str,
    taxpayer_id: Option<&'a str>,
    account: Option<&'a str>,
    bank_name: Option<&'a str>,
    bic: Option<&'a str>,
}

fn document<W: io::Write>(
    file: &mut File<W>,
    header: &StatementHeader,
    line: &StatementLine,
) -> Result<(), StatementError> {
    let ours = Side {
        name: &header.holder_name,
        taxpayer_id: Some(header.holder_id.as_str()),
        account: Some(header.account_iban.as_str()),
        bank_name: Some(&header.bank_name),
        bic: Some(header.bank_bic.as_str()),
    };
    let counterparty = &line.counterparty;
    let theirs = Side {
        name: &counterparty.name,
        taxpayer_id: counterparty.taxpayer_id.as_ref().map(|id| id.as_str()),
        account: counterparty.account.as_ref().map(|account| account.as_str()),
        bank_name: None,
        bic: counterparty.bic.as_ref().map(|bic| bic.as_str()),
    };
    let (payer, payee, amount_key) = match line.direction {
        Direction::Debit => (ours, theirs, "СуммаРасход"),
        Direction::Credit => (theirs, ours, "СуммаПриход"),
    };
    let amount = line.amount.amount_string();
    file.key("СекцияДокумент", "Платежное поручение")?;
    file.key("ВидДокумента", "ПлатежноеПоручение")?;
    if let Some(number) = line.document_number.as_deref().filter(|number| !number.trim().is_empty()) {
        file.key("НомерДокумента", number)?;
    }
    file.key("ДатаДокумента", &dmy_date(line.value_date))?;
    file.key("ДатаОперации", &dmy_date(line.booking_date))?;
    file.key("ДатаВалютирования", &dmy_date(line.value_date))?;
    side(file, "Плательщик", &payer)?;
    side(file, "Получатель", &payee)?;
    file.key(amount_key, &amount)?;
    file.key("Сумма", &amount)?;
    file.key("Валюта", line.amount.currency().code())?;
    if !line.purpose.trim().is_empty() {
        file.key("НазначениеПлатежа", &line.purpose)?;
    }
    if let Some(knp) = &line.knp {
        file.key("КодНазначенияПлатежа", knp.as_str())?;
    }
    file.line("КонецДокумента")
}

fn side<W: io::Write>(file: &mut File<W>, prefix: &str, side: &Side<'_>) -> Result<(), StatementError> {
    let keys = [
        ("Наименование", Some(side.name)),
        ("БИН_ИИН", side.taxpayer_id),
        ("ИИК", side.account),
        ("БанкНаименование", side.bank_name),
        ("БанкБИК", side.bic),
    ];
    for (suffix, value) in keys {
        if let Some(value) = value.filter(|value| !value.trim().is_empty()) {
            file.prefixed_key(prefix, suffix, value)?;
        }
    }
    Ok(())
}

/// The file being written, in its encoding.
struct File<W: io::Write> {
    out: W,
    encoding: OneCEncoding,
    /// The entry whose document is being written, for [`StatementError::Unencodable`].
    entry: Option<EntryId>,
    /// The encoded line, reused.
    bytes: Vec<u8>,
}

impl<W: io::Write> File<W> {
    fn key(&mut self, key: &str, value: &str) -> Result<(), StatementError> {
        self.prefixed_key(key, "", value)
    }

    /// `{prefix}{suffix}={value}` on a line of its own; the value on one line.
    fn prefixed_key(&mut self, prefix: &str, suffix: &str, value: &str) -> Result<(), StatementError> {
        self.bytes.clear();
        for text in [prefix, suffix, "=", one_line(value).as_ref()] {
            self.encode(text)?;
        }
        self.bytes.extend_from_slice(b"\r\n");
        self.out.write_all(&self.bytes)?;
        Ok(())
    }

    fn line(&mut self, text: &str) -> Result<(), StatementError> {
        self.bytes.clear();
        self.encode(text)?;
        self.bytes.extend_from_slice(b"\r\n");
        self.out.write_all(&self.bytes)?;
        Ok(())
    }

    fn encode(&mut self, text: &str) -> Result<(), StatementError> {
        let fallback = match self.encoding {
            OneCEncoding::Utf8 => {
                self.bytes.extend_from_slice(text.as_bytes());
                return Ok(());
            }
            OneCEncoding::Windows1251(fallback) => fallback,
        };
        for character in text.chars() {
            let byte = match (windows_1251_byte(character), fallback) {
                (Some(byte), _) => byte,
                (None, Cp1251Fallback::Substitute) => {
                    kazakh_look_alike(character).and_then(windows_1251_byte).unwrap_or(b'?')
                }
                (None, Cp1251Fallback::Refuse) => {
                    return Err(StatementError::Unencodable {
                        format: "1C",
                        encoding: "Windows-1251",
                        character,
                        entry: self.entry,
                    });
                }
            };
            self.bytes.push(byte);
        }
        Ok(())
    }
}

/// The Russian letter a Kazakh letter that Windows-1251 lacks is typed as.
fn kazakh_look_alike(character: char) -> Option<char> {
    Some(match character {
        'Ә' => 'А',
        'ә' => 'а',
        'Ғ' => 'Г',
        'ғ' => 'г',
        'Қ' => 'К',
        'қ' => 'к',
        'Ң' => 'Н',
        'ң' => 'н',
        'Ө' => 'О',
        'ө' => 'о',
        'Ұ' | 'Ү' => 'У',
        'ұ' | 'ү' => 'у',
        'Һ' => 'Х',
        'һ' => 'х',
        _ => return None,
    })
}

/// The Windows-1251 byte of a character, if it has one.
pub fn windows_1251_byte(character: char) -> Option<u8> {
    let code = u32::from(character);
    match code {
        0x00..=0x7F => u8::try_from(code).ok(),
        // А..я: 0xC0..=0xFF, in Unicode's order.
        0x0410..=0x044F => u8::try_from(code - 0x0410 + 0xC0).ok(),
        _ => WINDOWS_1251_HIGH
            .iter()
            .position(|&high| high == character)
            .and_then(|index| u8::try_from(index + 0x80).ok()),
    }
}

/// Windows-1251, bytes 0x80–0xBF (the letters А..я at 0xC0–0xFF are computed). 0x98 is
/// undefined; its place holds NUL, which never reaches the lookup (ASCII is handled first).
#[rustfmt::skip]
const WINDOWS_1251_HIGH: [char; 64] = [
    'Ђ', 'Ѓ', '‚', 'ѓ', '„', '…', '†', '‡', '€', '‰', 'Љ', '‹', 'Њ', 'Ќ', 'Ћ', 'Џ', // 0x80
    'ђ', '‘', '’', '“', '”', '•', '–', '—', '\0', '™', 'љ', '›', 'њ', 'ќ', 'ћ', 'џ', // 0x90
    '\u{A0}', 'Ў', 'ў', 'Ј', '¤', 'Ґ', '¦', '§', 'Ё', '©', 'Є', '«', '¬', '\u{AD}', '®', 'Ї', // 0xA0
    '°', '±', 'І', 'і', 'ґ', 'µ', '¶', '·', 'ё', '№', 'є', '»', 'ј', 'Ѕ', 'ѕ', 'ї', // 0xB0
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_signs_have_their_windows_1251_bytes() {
        assert_eq!(windows_1251_byte('А'), Some(0xC0));
        assert_eq!(windows_1251_byte('я'), Some(0xFF));
        assert_eq!(windows_1251_byte('Ё'), Some(0xA8));
        assert_eq!(windows_1251_byte('№'), Some(0xB9));
        assert_eq!(windows_1251_byte('І'), Some(0xB2));
        assert_eq!(windows_1251_byte('і'), Some(0xB3));
        assert_eq!(windows_1251_byte('Қ'), None);
        assert_eq!(windows_1251_byte('\0'), Some(0));
    }

    #[test]
    fn every_kazakh_letter_but_i_is_missing_and_has_a_look_alike() {
        for letter in "ӘәҒғҚқҢңӨөҰұҮүҺһ".chars() {
            assert_eq!(windows_1251_byte(letter), None, "{letter}");
            let look_alike = kazakh_look_alike(letter).unwrap();
            assert!(windows_1251_byte(look_alike).is_some(), "{letter} → {look_alike}");
        }
    }
}
