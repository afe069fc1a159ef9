//! The 1C client-bank exchange format (`1CClientBankExchange`), Kazakhstan flavour, read
//! strictly: payment orders become [`ImportedDocument`]s, anything else refuses the file.
//!
//! The format (FACTS.md §8): a text file whose first line is `1CClientBankExchange`, then
//! `Key=Value` header lines, then sections — `СекцияРасчСчет … КонецРасчСчет` (an account's
//! balances) and `СекцияДокумент=<kind> … КонецДокумента` (one document) — and `КонецФайла`.
//! Dates are `dd.MM.yyyy`, the decimal point is `.`. The header's `Кодировка` says the encoding:
//! `Windows` (Windows-1251), `DOS` (cp866) or `UTF-8` ([`Encoding`]).
//!
//! The Kazakhstan keys are not the Russian ones (FACTS.md §8, verified on Kaspi, BCC and Jusan
//! files): `НомерДокумента` not `Номер`, `ПолучательИИК` not `ПолучательСчет`,
//! `ПолучательБИН_ИИН` not `ПолучательИНН`, `ПолучательБанкБИК` not `ПолучательБИК`,
//! `КодНазначенияПлатежа` not `КодНазПлатежа`. This reader takes the Kazakhstan keys only and
//! refuses the Russian ones by name, because a Russian-flavour file comes from a configuration
//! that does not know KNP or KBe. Keys are matched without regard to case (Jusan writes
//! `СЕКЦИЯРАСЧСЧЕТ`).
//!
//! # Key mapping
//!
//! | API field | 1C key |
//! |---|---|
//! | `kind` | none: `budget` when the order has a KBK or the payee IIK is the treasury account, otherwise `interbank` |
//! | `payer_account` | none: the caller resolves [`ImportedDocument::payer_iban`] (`ПлательщикИИК`) |
//! | `amount.amount` | `Сумма` |
//! | `amount.currency` | `Валюта`; `KZT` when absent (a payment order is a tenge document) |
//! | `knp` | `КодНазначенияПлатежа` |
//! | `purpose` | `НазначениеПлатежа`; without it `НазначениеПлатежа1`, `2`, … joined by spaces |
//! | `value_date` | `ДатаВалютирования`; without it `ДатаДокумента` (both `dd.MM.yyyy`) |
//! | `payee_name` | `ПолучательНаименование` |
//! | `payee_bin` | `ПолучательБИН_ИИН` |
//! | `payee_iban` | `ПолучательИИК` |
//! | `payee_bic` | `ПолучательБанкБИК` |
//! | `kbe` | `ПолучательКБЕ` |
//! | `kbk` | `КБК` or `КодБюджетнойКлассификации` |
//! | `payee_account` | none (see below) |
//!
//! The client's number is `НомерДокумента` ([`ImportedDocument::number`]). The payer's name,
//! BIN, KOd (`ПлательщикКБЕ`) and bank, and the payee bank's name and BIN, are read and not
//! used: a draft takes them from the partner and the directories.
//!
//! An *internal* transfer cannot come from a 1C file: it is between two accounts of the partner
//! named by their ids, and a 1C order names the payee by IIK, name and BIN like any payee. An
//! order to the partner's own IIK at this bank is read as `interbank` and refused by validation
//! (`payee_at_own_bank`); the caller may offer to turn it into an internal transfer.
//!
//! # What refuses the file, and what is skipped
//!
//! Refused, with the line and key of every problem: a first line other than
//! `1CClientBankExchange`; a missing, unknown or untrue `Кодировка` (the key itself must be
//! written in the encoding it names, so a file re-saved in another encoding is caught instead
//! of read as mojibake); a byte that is not a character of the encoding; a line that is neither
//! `Key=Value` nor a section marker; a section not closed before the next one or the end; no
//! `КонецФайла` (a cut-off upload); a key twice in one section; a document of any kind other
//! than a payment order (*платежное поручение*): a payment claim, a collection order or a letter
//! of credit is an instruction the user wants carried out, so dropping it silently would import
//! the file partially; a statement's record (`Выписка`) or keys (`ДатаОперации`, `СуммаПриход`,
//! `СуммаРасход`): a bank statement lists money that has already moved, and importing it would
//! pay it again; a Russian-flavour key; a date that is not `dd.MM.yyyy`; more than
//! [`IMPORT_DOCUMENTS_MAX`] orders, or none.
//!
//! Skipped: `СекцияРасчСчет` sections (an account's balances, which instruct nothing), header
//! keys other than `Кодировка` (sender, creation time, period), and document keys this reader
//! does not know, which are listed in [`ImportedDocument::ignored_keys`] for the caller to show.

use std::fmt;

use jiff::civil::Date;
use tiyn_core::Iban;
use tiyn_refdata::TREASURY_IBAN;

use super::encoding::{Encoding, UndecodableByte};
use super::{IMPORT_DOCUMENTS_MAX, IgnoredKey, ImportedDocument, KEY_ECHO_CHARS_MAX, Source};
use crate::field::fields;
use crate::kind::DocumentKind;
use crate::requisites::RawDocument;

/// The largest file read, in bytes (5 MiB, the import's limit everywhere). A payment order is
/// about 1 KB in Windows-1251 and under 2 KB in UTF-8 (Cyrillic takes two bytes there), so
/// [`IMPORT_DOCUMENTS_MAX`] orders fit in 2 MB; the rest leaves room for the keys this reader
/// skips.
pub const FILE_BYTES_MAX: usize = 5 * 1024 * 1024;

/// The most problems one refusal lists. A person fixes a file from the first screenful; a file
/// with more problems than this is the wrong file.
pub const ERRORS_REPORTED_MAX: usize = 100;

/// The first line of every exchange file.
pub const SIGNATURE: &str = "1CClientBankExchange";

/// Reads a 1C client-bank exchange file into its payment orders, or refuses it with every
/// problem found (up to [`ERRORS_REPORTED_MAX`]). See the module documentation for the rules.
pub fn parse(bytes: &[u8]) -> Result<Vec<ImportedDocument>, ImportError> {
    if bytes.len() > FILE_BYTES_MAX {
        let reason = Reason::FileTooLarge { bytes: bytes.len(), bytes_max: FILE_BYTES_MAX };
        return Err(ImportError::single(LineError::new(0, None, reason)));
    }
    let (body, byte_order_mark) = match bytes.strip_prefix(UTF8_BYTE_ORDER_MARK) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let raw_lines: Vec<&[u8]> =
        body.split(|byte| *byte == b'\n').map(|line| line.strip_suffix(b"\r").unwrap_or(line)).collect();
    debug_assert!(!raw_lines.is_empty(), "split yields at least one piece");
    if !raw_lines[0].trim_ascii().eq_ignore_ascii_case(SIGNATURE.as_bytes()) {
        return Err(ImportError::single(LineError::new(1, None, Reason::NotOneCExchange)));
    }
    let encoding = declared_encoding(&raw_lines, byte_order_mark).map_err(ImportError::single)?;
    let lines = decode(&raw_lines, encoding)?;
    assert_eq!(lines.len(), raw_lines.len(), "one text per line");

    let mut reader =
        Reader { errors: Vec::new(), found: 0, documents: Vec::new(), too_many_documents: false, encoding };
    let sections = reader.sections(&lines);
    reader.header(&sections.header);
    for document in &sections.documents {
        reader.document(document);
    }
    if reader.found == 0 && reader.documents.is_empty() {
        reader.error(LineError::new(0, None, Reason::NoDocuments));
    }
    if reader.found == 0 {
        assert!(!reader.documents.is_empty() && reader.documents.len() <= IMPORT_DOCUMENTS_MAX);
        Ok(reader.documents)
    } else {
        assert!(!reader.errors.is_empty(), "a refusal says why");
        let truncated = reader.found > reader.errors.len();
        Err(ImportError { errors: reader.errors, truncated })
    }
}

/// Why a 1C file was refused: every problem found, mostly in line order.
pub type ImportError = super::FileRefused<LineError>;

/// One problem of a refused file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based; 0 when the problem is the file as a whole (its size, no orders at all).
    pub line: usize,
    /// The key on that line, as written (cut to [`KEY_ECHO_CHARS_MAX`] characters), when the
    /// problem is one key's.
    pub key: Option<String>,
    pub reason: Reason,
}

impl LineError {
    fn new(line: usize, key: Option<&str>, reason: Reason) -> LineError {
        LineError { line, key: key.map(|key| key.chars().take(KEY_ECHO_CHARS_MAX).collect()), reason }
    }

    /// Stable API code of the problem.
    pub fn code(&self) -> &'static str {
        self.reason.code()
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.key) {
            (0, _) => write!(f, "file: {}", self.reason),
            (line, Some(key)) => write!(f, "line {line}: {key}: {}", self.reason),
            (line, None) => write!(f, "line {line}: {}", self.reason),
        }
    }
}

/// What is wrong with a line of a refused file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("the file has {bytes} bytes; at most {bytes_max} are accepted")]
    FileTooLarge { bytes: usize, bytes_max: usize },
    #[error("the first line is not 1CClientBankExchange: this is not a 1C client-bank exchange file")]
    NotOneCExchange,
    #[error("the header does not say the encoding (Кодировка=Windows, DOS or UTF-8)")]
    EncodingMissing,
    #[error("{declared:?} is not an encoding of the exchange format (Windows, DOS or UTF-8)")]
    EncodingUnsupported { declared: String },
    #[error("the file says it is in {declared}, but it is written in {found}")]
    EncodingMismatch { declared: Encoding, found: &'static str },
    #[error("byte 0x{byte:02X} at position {position} is not a character in {encoding}")]
    InvalidCharacter { encoding: Encoding, position: usize, byte: u8 },
    #[error("not a Key=Value line or a section marker")]
    MalformedLine,
    #[error("{0}")]
    OutOfPlace(&'static str),
    #[error("the section is not closed by {end}")]
    UnterminatedSection { end: &'static str },
    #[error("the file ends without КонецФайла; it may have been cut off")]
    MissingEndOfFile,
    #[error("the section already has this field ({first_key}, line {first_line})")]
    DuplicateKey { first_key: String, first_line: usize },
    #[error("{kind:?} documents cannot be imported; only payment orders (Платежное поручение) can")]
    DocumentKindRefused { kind: String },
    #[error("a bank statement's record, not an order: statements list money that has already moved")]
    StatementDocument,
    #[error("a key of bank statements, not of orders: statements list money that has already moved")]
    StatementKey,
    #[error("a key of the Russian exchange format; the Kazakhstan format uses {kazakhstan_key}")]
    RussianFormatKey { kazakhstan_key: &'static str },
    #[error("{text:?} is not a date written dd.MM.yyyy, e.g. 03.06.2025")]
    InvalidDate { text: String },
    #[error("the file has more than {documents_max} payment orders; split it")]
    TooManyDocuments { documents_max: usize },
    #[error("the file has no payment order (СекцияДокумент=Платежное поручение)")]
    NoDocuments,
}

impl Reason {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::FileTooLarge { .. } => "file_too_large",
            Reason::NotOneCExchange => "not_one_c_exchange",
            Reason::EncodingMissing => "encoding_missing",
            Reason::EncodingUnsupported { .. } => "encoding_unsupported",
            Reason::EncodingMismatch { .. } => "encoding_mismatch",
            Reason::InvalidCharacter { .. } => "invalid_character",
            Reason::MalformedLine => "malformed_line",
            Reason::OutOfPlace(_) => "line_out_of_place",
            Reason::UnterminatedSection { .. } => "unterminated_section",
            Reason::MissingEndOfFile => "missing_end_of_file",
            Reason::DuplicateKey { .. } => "duplicate_key",
            Reason::DocumentKindRefused { .. } => "document_kind_refused",
            Reason::StatementDocument => "statement_document",
            Reason::StatementKey => "statement_key",
            Reason::RussianFormatKey { .. } => "russian_format_key",
            Reason::InvalidDate { .. } => "invalid_date",
            Reason::TooManyDocuments { .. } => "too_many_documents",
            Reason::NoDocuments => "no_documents",
        }
    }
}

const UTF8_BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// How much of a value an error repeats (an encoding name, a date, a document kind).
const VALUE_ECHO_CHARS_MAX: usize = 40;

const KEY_ENCODING: &str = "Кодировка";
const SECTION_ACCOUNT: &str = "СекцияРасчСчет";
const SECTION_ACCOUNT_END: &str = "КонецРасчСчет";
const SECTION_DOCUMENT: &str = "СекцияДокумент";
const SECTION_DOCUMENT_END: &str = "КонецДокумента";
const END_OF_FILE: &str = "КонецФайла";

/// Header keys that may repeat: one `РасчСчет` per account in the file, one `Документ` per kind
/// of document in it.
const HEADER_REPEATABLE_KEYS: [&str; 2] = ["РасчСчет", "Документ"];

/// The document kinds that are payment orders, compared without case, spaces or quotes
/// (FACTS.md §8: banks write `Платежное поручение` and `ПлатежноеПоручение`).
const PAYMENT_ORDER_KIND: &str = "платежноепоручение";

/// The statement record kind, compared the same way (`выписка`, `"Выписка"`).
const STATEMENT_KIND: &str = "выписка";

/// A field of the order that a key fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Number,
    DocumentDate,
    ValueDate,
    Amount,
    Currency,
    PayerIban,
    PayeeName,
    PayeeBin,
    PayeeKbe,
    PayeeIban,
    PayeeBic,
    Purpose,
    Knp,
    Kbk,
}

const SLOT_COUNT: usize = 14;

impl Slot {
    const fn index(self) -> usize {
        self as usize
    }
}

/// The keys this reader uses (FACTS.md §8 and `onec_clientbank_kz_keys.csv`). The KBK keys are
/// FACTS.md's two candidates: no public source shows the KBK in a Kazakhstan 1C file.
const MAPPED_KEYS: [(&str, Slot); 15] = [
    ("НомерДокумента", Slot::Number),
    ("ДатаДокумента", Slot::DocumentDate),
    ("ДатаВалютирования", Slot::ValueDate),
    ("Сумма", Slot::Amount),
    ("Валюта", Slot::Currency),
    ("ПлательщикИИК", Slot::PayerIban),
    ("ПолучательНаименование", Slot::PayeeName),
    ("ПолучательБИН_ИИН", Slot::PayeeBin),
    ("ПолучательКБЕ", Slot::PayeeKbe),
    ("ПолучательИИК", Slot::PayeeIban),
    ("ПолучательБанкБИК", Slot::PayeeBic),
    ("НазначениеПлатежа", Slot::Purpose),
    ("КодНазначенияПлатежа", Slot::Knp),
    ("КБК", Slot::Kbk),
    ("КодБюджетнойКлассификации", Slot::Kbk),
];

/// Keys of the format read and not used: the payer's and the banks' details come from the
/// partner and the directories.
const KNOWN_UNUSED_KEYS: [&str; 8] = [
    "ПлательщикНаименование",
    "ПлательщикБИН_ИИН",
    "ПлательщикКБЕ",
    "ПлательщикБанкНаименование",
    "ПлательщикБанкБИН_ИИН",
    "ПлательщикБанкБИК",
    "ПолучательБанкНаименование",
    "ПолучательБанкБИН_ИИН",
];

/// The document's kind inside the section, checked against the section's.
const KEY_DOCUMENT_KIND: &str = "ВидДокумента";

/// Keys only bank statements have (the `statement` rows of `onec_clientbank_kz_keys.csv`).
const STATEMENT_KEYS: [&str; 3] = ["ДатаОперации", "СуммаПриход", "СуммаРасход"];

/// Russian-flavour keys and their Kazakhstan counterparts (FACTS.md §8).
const RUSSIAN_KEYS: [(&str, &str); 9] = [
    ("Номер", "НомерДокумента"),
    ("Дата", "ДатаДокумента"),
    ("ПлательщикСчет", "ПлательщикИИК"),
    ("ПолучательСчет", "ПолучательИИК"),
    ("ПлательщикИНН", "ПлательщикБИН_ИИН"),
    ("ПолучательИНН", "ПолучательБИН_ИИН"),
    ("ПлательщикБИК", "ПлательщикБанкБИК"),
    ("ПолучательБИК", "ПолучательБанкБИК"),
    ("КодНазПлатежа", "КодНазначенияПлатежа"),
];

/// The purpose split into lines: `НазначениеПлатежа1`, `НазначениеПлатежа2`, …
const PURPOSE_LINE_PREFIX: &str = "НазначениеПлатежа";

/// The highest purpose line number read. Two digits are far more than a 210-character purpose
/// needs, and bound the parts.
const PURPOSE_LINE_NUMBER_MAX: u8 = 99;

/// The key each API field is reported under when its own key is absent.
fn default_key(slot: Slot) -> &'static str {
    MAPPED_KEYS.iter().find(|(_, mapped)| *mapped == slot).map_or("", |(key, _)| key)
}

/// Case-insensitive comparison of keys without allocating.
fn same_key(written: &str, key: &str) -> bool {
    written.chars().flat_map(char::to_lowercase).eq(key.chars().flat_map(char::to_lowercase))
}

/// A document kind without case, spaces or quotes.
fn normalized_kind(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace() && !matches!(c, '"' | '«' | '»')).flat_map(char::to_lowercase).collect()
}

/// Which encoding the header declares, checked against the encoding its own key is written
/// in. The search covers every line, so a declaration in the wrong place is still used to
/// decode, and then refused by the header check.
fn declared_encoding(lines: &[&[u8]], byte_order_mark: bool) -> Result<Encoding, LineError> {
    for (index, bytes) in lines.iter().enumerate().skip(1) {
        let Some(equals) = bytes.iter().position(|byte| *byte == b'=') else { continue };
        let (key, value) = (&bytes[..equals], &bytes[equals + 1..]);
        let written_in = Encoding::ALL
            .into_iter()
            .find(|encoding| encoding.decode(key).is_ok_and(|text| same_key(text.trim(), KEY_ENCODING)));
        let Some(written_in) = written_in else { continue };
        let line = index + 1;
        let value = String::from_utf8_lossy(value);
        let Some(declared) = Encoding::from_declared(&value) else {
            let declared = value.trim().chars().take(VALUE_ECHO_CHARS_MAX).collect();
            return Err(LineError::new(line, Some(KEY_ENCODING), Reason::EncodingUnsupported { declared }));
        };
        if declared != written_in {
            let found = written_in.name();
            return Err(LineError::new(line, Some(KEY_ENCODING), Reason::EncodingMismatch { declared, found }));
        }
        if byte_order_mark && declared != Encoding::Utf8 {
            let found = "UTF-8 (it starts with a UTF-8 byte-order mark)";
            return Err(LineError::new(line, Some(KEY_ENCODING), Reason::EncodingMismatch { declared, found }));
        }
        return Ok(declared);
    }
    Err(LineError::new(1, None, Reason::EncodingMissing))
}

fn decode(lines: &[&[u8]], encoding: Encoding) -> Result<Vec<String>, ImportError> {
    let mut errors = Vec::new();
    let mut texts = Vec::with_capacity(lines.len());
    for (index, bytes) in lines.iter().enumerate() {
        match encoding.decode(bytes) {
            Ok(text) => texts.push(text),
            Err(UndecodableByte { position, byte }) => {
                errors.push(LineError::new(index + 1, None, Reason::InvalidCharacter { encoding, position, byte }));
                texts.push(String::new());
            }
        }
    }
    if errors.is_empty() {
        return Ok(texts);
    }
    let truncated = errors.len() > ERRORS_REPORTED_MAX;
    errors.truncate(ERRORS_REPORTED_MAX);
    Err(ImportError { errors, truncated })
}

/// A non-blank line, split at its first `=`: `value` is `None` when there is no `=`.
#[derive(Debug, Clone, Copy)]
struct Line<'t> {
    line: usize,
    key: &'t str,
    value: Option<&'t str>,
}

/// The lines that open and close sections and end the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    OpenBalances,
    CloseBalances,
    OpenDocument,
    CloseDocument,
    EndOfFile,
}

impl Marker {
    fn of(key: &str) -> Option<Marker> {
        [
            (SECTION_ACCOUNT, Marker::OpenBalances),
            (SECTION_ACCOUNT_END, Marker::CloseBalances),
            (SECTION_DOCUMENT, Marker::OpenDocument),
            (SECTION_DOCUMENT_END, Marker::CloseDocument),
            (END_OF_FILE, Marker::EndOfFile),
        ]
        .into_iter()
        .find(|(word, _)| same_key(key, word))
        .map(|(_, marker)| marker)
    }
}

/// What a key of a payment order section is to this reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    /// Fills a field: the key's canonical spelling and the slot.
    Mapped(&'static str, Slot),
    /// `НазначениеПлатежа<n>`.
    PurposeLine(u8),
    /// `ВидДокумента`, which must agree with the section's kind.
    DocumentKind,
    /// Known and not used.
    Unused,
    /// Only bank statements have it.
    Statement,
    /// The Russian format's key, with the Kazakhstan key for the same field.
    Russian(&'static str),
    Unknown,
}

fn classify(key: &str) -> KeyClass {
    if let Some((canonical, slot)) = MAPPED_KEYS.iter().find(|(mapped, _)| same_key(key, mapped)) {
        return KeyClass::Mapped(canonical, *slot);
    }
    if let Some(number) = purpose_line_number(key) {
        return KeyClass::PurposeLine(number);
    }
    if same_key(key, KEY_DOCUMENT_KIND) {
        return KeyClass::DocumentKind;
    }
    if KNOWN_UNUSED_KEYS.iter().any(|known| same_key(key, known)) {
        return KeyClass::Unused;
    }
    if STATEMENT_KEYS.iter().any(|statement| same_key(key, statement)) {
        return KeyClass::Statement;
    }
    match RUSSIAN_KEYS.iter().find(|(russian, _)| same_key(key, russian)) {
        Some((_, kazakhstan_key)) => KeyClass::Russian(kazakhstan_key),
        None => KeyClass::Unknown,
    }
}

/// The entry before this one that fills the same field: the same key in any case, or the
/// other KBK key.
fn same_field_before<'e, 't>(before: &'e [Entry<'t>], key: &str) -> Option<&'e Entry<'t>> {
    let slot = |key: &str| match classify(key) {
        KeyClass::Mapped(_, slot) => Some(slot),
        _ => None,
    };
    let key_slot = slot(key);
    before.iter().find(|first| same_key(first.key, key) || (key_slot.is_some() && slot(first.key) == key_slot))
}

/// One `Key=Value` line.
#[derive(Debug)]
struct Entry<'t> {
    line: usize,
    key: &'t str,
    value: &'t str,
}

/// A `СекцияДокумент` section.
#[derive(Debug)]
struct DocumentSection<'t> {
    line: usize,
    /// `None` for a marker without `=`, already reported.
    kind: Option<&'t str>,
    entries: Vec<Entry<'t>>,
}

#[derive(Debug, Default)]
struct Sections<'t> {
    header: Vec<Entry<'t>>,
    documents: Vec<DocumentSection<'t>>,
}

/// Where the reader is in the file.
enum Place<'t> {
    Header,
    /// In a `СекцияРасчСчет` that started on this line.
    Balances(usize),
    Document(DocumentSection<'t>),
    /// Between sections.
    Between,
    /// After `КонецФайла`.
    End,
}

struct Reader {
    errors: Vec<LineError>,
    /// Problems found, including those beyond [`ERRORS_REPORTED_MAX`].
    found: usize,
    documents: Vec<ImportedDocument>,
    too_many_documents: bool,
    encoding: Encoding,
}

impl Reader {
    fn error(&mut self, error: LineError) {
        self.found += 1;
        if self.errors.len() < ERRORS_REPORTED_MAX {
            self.errors.push(error);
        }
        debug_assert!(self.errors.len() <= self.found);
    }

    /// Splits the file into its header and document sections, checking the structure.
    fn sections<'t>(&mut self, lines: &'t [String]) -> Sections<'t> {
        let mut sections = Sections::default();
        let mut place = Place::Header;
        let mut last_line = 1;
        for (index, text) in lines.iter().enumerate().skip(1) {
            let line = index + 1;
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            last_line = line;
            if matches!(place, Place::End) {
                self.error(LineError::new(line, None, Reason::OutOfPlace("text after КонецФайла")));
                continue;
            }
            let entry = match text.split_once('=') {
                Some((key, value)) => Line { line, key: key.trim(), value: Some(value.trim()) },
                None => Line { line, key: text, value: None },
            };
            place = self.line(place, &mut sections, entry);
        }
        match place {
            Place::End => {}
            Place::Balances(start) => self.unterminated(start, SECTION_ACCOUNT, SECTION_ACCOUNT_END),
            Place::Document(section) => self.unterminated(section.line, SECTION_DOCUMENT, SECTION_DOCUMENT_END),
            Place::Header | Place::Between => {
                // Where `КонецФайла` should have been.
                self.error(LineError::new(last_line + 1, None, Reason::MissingEndOfFile));
            }
        }
        sections
    }

    /// One non-blank line: a marker opens or closes a section or ends the file, a `Key=Value`
    /// line goes to the header or to the open document.
    fn line<'t>(&mut self, place: Place<'t>, sections: &mut Sections<'t>, text: Line<'t>) -> Place<'t> {
        let Line { line, key, value } = text;
        let Some(marker) = Marker::of(key) else {
            return self.entry(place, sections, text);
        };
        // `СекцияДокумент` takes the document kind as its value; the other markers take none.
        let takes_value = marker == Marker::OpenDocument;
        if (takes_value && value.is_none()) || (!takes_value && value.is_some_and(|value| !value.is_empty())) {
            self.error(LineError::new(line, Some(key), Reason::MalformedLine));
        }
        match marker {
            Marker::OpenBalances | Marker::OpenDocument | Marker::EndOfFile => {
                match place {
                    Place::Balances(start) => self.unterminated(start, SECTION_ACCOUNT, SECTION_ACCOUNT_END),
                    Place::Document(section) => self.unterminated(section.line, SECTION_DOCUMENT, SECTION_DOCUMENT_END),
                    Place::Header | Place::Between | Place::End => {}
                }
                match marker {
                    Marker::OpenBalances => Place::Balances(line),
                    Marker::OpenDocument => Place::Document(DocumentSection { line, kind: value, entries: Vec::new() }),
                    _ => Place::End,
                }
            }
            Marker::CloseBalances | Marker::CloseDocument => match place {
                Place::Balances(_) if marker == Marker::CloseBalances => Place::Between,
                Place::Document(section) if marker == Marker::CloseDocument => {
                    sections.documents.push(section);
                    Place::Between
                }
                other => {
                    let reason = Reason::OutOfPlace("closes a section that is not open");
                    self.error(LineError::new(line, Some(key), reason));
                    other
                }
            },
        }
    }

    /// A `Key=Value` line.
    fn entry<'t>(&mut self, place: Place<'t>, sections: &mut Sections<'t>, text: Line<'t>) -> Place<'t> {
        let Line { line, key, value } = text;
        let Some(value) = value.filter(|_| !key.is_empty()) else {
            self.error(LineError::new(line, None, Reason::MalformedLine));
            return place;
        };
        match place {
            Place::Header => sections.header.push(Entry { line, key, value }),
            Place::Document(mut section) => {
                section.entries.push(Entry { line, key, value });
                return Place::Document(section);
            }
            // Balances instruct nothing: their keys are not read.
            Place::Balances(_) => {}
            Place::Between | Place::End => {
                let reason =
                    Reason::OutOfPlace("a key outside a section: the header ends where the first section starts");
                self.error(LineError::new(line, Some(key), reason));
            }
        }
        place
    }

    fn unterminated(&mut self, start: usize, section: &'static str, end: &'static str) {
        self.error(LineError::new(start, Some(section), Reason::UnterminatedSection { end }));
    }

    /// The header must declare its encoding, once, and repeat no key but `РасчСчет` and
    /// `Документ`. [`declared_encoding`] read the first declaration in the file, which is the
    /// header's when the header has one.
    fn header(&mut self, header: &[Entry<'_>]) {
        let mut declared = false;
        for (index, entry) in header.iter().enumerate() {
            if same_key(entry.key, KEY_ENCODING) && !declared {
                declared = true;
                debug_assert_eq!(Encoding::from_declared(entry.value), Some(self.encoding));
            }
            if HEADER_REPEATABLE_KEYS.iter().any(|key| same_key(entry.key, key)) {
                continue;
            }
            if let Some(first) = header[..index].iter().find(|first| same_key(first.key, entry.key)) {
                let reason = Reason::DuplicateKey { first_key: first.key.to_owned(), first_line: first.line };
                self.error(LineError::new(entry.line, Some(entry.key), reason));
            }
        }
        if !declared {
            self.error(LineError::new(1, None, Reason::EncodingMissing));
        }
    }

    /// One document section: a payment order becomes an [`ImportedDocument`], any other kind
    /// is refused.
    fn document(&mut self, section: &DocumentSection<'_>) {
        let Some(written_kind) = section.kind else { return };
        let kind = normalized_kind(written_kind);
        if kind == STATEMENT_KIND {
            self.error(LineError::new(section.line, Some(SECTION_DOCUMENT), Reason::StatementDocument));
            return;
        }
        if kind != PAYMENT_ORDER_KIND {
            let kind = written_kind.chars().take(VALUE_ECHO_CHARS_MAX).collect();
            self.error(LineError::new(section.line, Some(SECTION_DOCUMENT), Reason::DocumentKindRefused { kind }));
            return;
        }
        let Some(order) = self.order(section) else { return };
        if self.documents.len() < IMPORT_DOCUMENTS_MAX {
            self.documents.push(order);
        } else if !self.too_many_documents {
            self.too_many_documents = true;
            let reason = Reason::TooManyDocuments { documents_max: IMPORT_DOCUMENTS_MAX };
            self.error(LineError::new(section.line, Some(SECTION_DOCUMENT), reason));
        }
    }

    /// Reads the keys of a payment order section into its slots, then builds the document;
    /// `None` when a key was refused.
    fn order(&mut self, section: &DocumentSection<'_>) -> Option<ImportedDocument> {
        let found_before = self.found;
        let mut slots: [Option<(&str, usize, &'static str)>; SLOT_COUNT] = [None; SLOT_COUNT];
        let mut purpose_lines: Vec<(u8, &str, usize)> = Vec::new();
        let mut ignored_keys = Vec::new();
        for (index, entry) in section.entries.iter().enumerate() {
            let Entry { line, key, value } = *entry;
            if let Some(first) = same_field_before(&section.entries[..index], key) {
                let reason = Reason::DuplicateKey { first_key: first.key.to_owned(), first_line: first.line };
                self.error(LineError::new(line, Some(key), reason));
                continue;
            }
            let refusal = match classify(key) {
                KeyClass::Mapped(canonical, slot) => {
                    slots[slot.index()] = Some((value, line, canonical));
                    None
                }
                KeyClass::PurposeLine(number) => {
                    purpose_lines.push((number, value, line));
                    None
                }
                KeyClass::DocumentKind if normalized_kind(value) == PAYMENT_ORDER_KIND => None,
                KeyClass::DocumentKind => {
                    Some(Reason::DocumentKindRefused { kind: value.chars().take(VALUE_ECHO_CHARS_MAX).collect() })
                }
                KeyClass::Unused => None,
                KeyClass::Statement => Some(Reason::StatementKey),
                KeyClass::Russian(kazakhstan_key) => Some(Reason::RussianFormatKey { kazakhstan_key }),
                KeyClass::Unknown => {
                    ignored_keys.push(IgnoredKey { line, key: key.chars().take(KEY_ECHO_CHARS_MAX).collect() });
                    None
                }
            };
            if let Some(reason) = refusal {
                self.error(LineError::new(line, Some(key), reason));
            }
        }
        purpose_lines.sort_by_key(|(number, _, _)| *number);
        let document = self.build(section.line, &slots, &purpose_lines, ignored_keys);
        (self.found == found_before).then_some(document)
    }

    fn build(
        &mut self,
        section_line: usize,
        slots: &[Option<(&str, usize, &'static str)>; SLOT_COUNT],
        purpose_lines: &[(u8, &str, usize)],
        ignored_keys: Vec<IgnoredKey>,
    ) -> ImportedDocument {
        let text = |slot: Slot| slots[slot.index()].map(|(value, _, _)| value).filter(|value| !value.is_empty());
        let source = |field: &'static str, slot: Slot| match slots[slot.index()] {
            Some((_, line, key)) => Source { field, key, line },
            None => Source { field, key: default_key(slot), line: section_line },
        };
        let value_date_slot = if text(Slot::ValueDate).is_none() && text(Slot::DocumentDate).is_some() {
            Slot::DocumentDate
        } else {
            Slot::ValueDate
        };
        let value_date = self.date(slots[value_date_slot.index()]);
        if value_date_slot == Slot::ValueDate {
            self.date(slots[Slot::DocumentDate.index()]);
        }
        let (purpose, purpose_source) = match (text(Slot::Purpose), purpose_lines.first()) {
            (None, Some((_, _, line))) => {
                let parts: Vec<&str> =
                    purpose_lines.iter().map(|(_, part, _)| *part).filter(|p| !p.is_empty()).collect();
                (Some(parts.join(" ")), Source { field: fields::PURPOSE, key: PURPOSE_LINE_PREFIX, line: *line })
            }
            (purpose, _) => (purpose.map(str::to_owned), source(fields::PURPOSE, Slot::Purpose)),
        };
        let payee_iban = text(Slot::PayeeIban);
        let kbk = text(Slot::Kbk);
        let to_treasury =
            payee_iban.and_then(|iban| Iban::parse(iban).ok()).is_some_and(|iban| iban.as_str() == TREASURY_IBAN);
        let kind = if kbk.is_some() || to_treasury { DocumentKind::Budget } else { DocumentKind::Interbank };
        let kind_source =
            if kbk.is_some() { source(fields::KIND, Slot::Kbk) } else { source(fields::KIND, Slot::PayeeIban) };

        let owned = |slot: Slot| text(slot).map(str::to_owned);
        let raw = RawDocument {
            kind: Some(kind.as_str().to_owned()),
            payer_account: None,
            amount: owned(Slot::Amount),
            // A payment order is a tenge document; foreign-currency transfers are other documents.
            currency: Some(text(Slot::Currency).unwrap_or("KZT").to_owned()),
            knp: owned(Slot::Knp),
            purpose,
            value_date,
            payee_account: None,
            payee_name: owned(Slot::PayeeName),
            payee_bin: owned(Slot::PayeeBin),
            payee_iban: owned(Slot::PayeeIban),
            payee_bic: owned(Slot::PayeeBic),
            kbe: owned(Slot::PayeeKbe),
            kbk: owned(Slot::Kbk),
            // A 1C payment order is a tenge document: no foreign-transfer fields.
            ..RawDocument::default()
        };
        let sources = vec![
            kind_source,
            source(fields::PAYER_ACCOUNT, Slot::PayerIban),
            source(fields::AMOUNT, Slot::Amount),
            source(fields::CURRENCY, Slot::Currency),
            source(fields::KNP, Slot::Knp),
            purpose_source,
            source(fields::VALUE_DATE, value_date_slot),
            source(fields::PAYEE_NAME, Slot::PayeeName),
            source(fields::PAYEE_BIN, Slot::PayeeBin),
            source(fields::PAYEE_IBAN, Slot::PayeeIban),
            source(fields::PAYEE_BIC, Slot::PayeeBic),
            source(fields::KBE, Slot::PayeeKbe),
            source(fields::KBK, Slot::Kbk),
        ];
        debug_assert_eq!(
            sources.len() + 1 + fields::FOREIGN_ONLY.len(),
            fields::ALL.len(),
            "every tenge field but payee_account"
        );
        ImportedDocument::new(section_line, raw, owned(Slot::Number), owned(Slot::PayerIban), ignored_keys, sources)
    }

    /// A `dd.MM.yyyy` date as the API's `YYYY-MM-DD`; an error for anything else. Absent and
    /// blank dates are left to validation (`required`).
    fn date(&mut self, slot: Option<(&str, usize, &'static str)>) -> Option<String> {
        let (text, line, key) = slot?;
        if text.is_empty() {
            return None;
        }
        match parse_one_c_date(text) {
            Some(date) => Some(date.to_string()),
            None => {
                let text = text.chars().take(VALUE_ECHO_CHARS_MAX).collect();
                self.error(LineError::new(line, Some(key), Reason::InvalidDate { text }));
                None
            }
        }
    }
}

/// `НазначениеПлатежа<n>` with n from 1 to [`PURPOSE_LINE_NUMBER_MAX`].
fn purpose_line_number(key: &str) -> Option<u8> {
    let prefix_chars = PURPOSE_LINE_PREFIX.chars().count();
    let split = key.char_indices().nth(prefix_chars).map(|(index, _)| index)?;
    let (prefix, digits) = key.split_at(split);
    if !same_key(prefix, PURPOSE_LINE_PREFIX) || digits.is_empty() || digits.len() > 2 {
        return None;
    }
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    let number: u8 = digits.parse().ok()?;
    (1..=PURPOSE_LINE_NUMBER_MAX).contains(&number).then_some(number)
}

/// `dd.MM.yyyy` exactly, as a real calendar date.
fn parse_one_c_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shape = bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            2 | 5 => *byte == b'.',
            _ => byte.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range].iter().fold(0i16, |value, byte| value * 10 + i16::from(byte - b'0'))
    };
    let (day, month, year) = (number(0..2), number(3..5), number(6..10));
    // Day and month have two digits, so they fit an i8.
    Date::new(year, month as i8, day as i8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_day_month_year_and_real() {
        assert_eq!(parse_one_c_date("03.06.2025"), Some(jiff::civil::date(2025, 6, 3)));
        for bad in ["3.06.2025", "2025-06-03", "31.02.2025", "03/06/2025", "03.06.25", "03.13.2025", "０3.06.2025"] {
            assert_eq!(parse_one_c_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn purpose_lines_are_numbered_from_one() {
        assert_eq!(purpose_line_number("НазначениеПлатежа1"), Some(1));
        assert_eq!(purpose_line_number("назначениеплатежа12"), Some(12));
        for other in ["НазначениеПлатежа", "НазначениеПлатежа0", "НазначениеПлатежа01", "НазначениеПлатежа100"]
        {
            assert_eq!(purpose_line_number(other), None, "{other:?}");
        }
        assert_eq!(purpose_line_number("Назн"), None);
    }

    #[test]
    fn kinds_and_keys_compare_without_case_spaces_or_quotes() {
        assert_eq!(normalized_kind("Платежное поручение"), PAYMENT_ORDER_KIND);
        assert_eq!(normalized_kind("ПлатежноеПоручение"), PAYMENT_ORDER_KIND);
        assert_eq!(normalized_kind("\"Выписка\""), STATEMENT_KIND);
        assert!(same_key("СЕКЦИЯРАСЧСЧЕТ", SECTION_ACCOUNT));
        assert!(!same_key("СекцияРасчСчет1", SECTION_ACCOUNT));
        assert_eq!(default_key(Slot::Kbk), "КБК");
        assert_eq!(MAPPED_KEYS.iter().filter(|(_, slot)| *slot == Slot::Kbk).count(), 2);
        assert_eq!(Slot::Kbk.index() + 1, SLOT_COUNT);
    }
}
