//! The National Bank of Kazakhstan's official rates, read from the two XML formats it
//! publishes (`data/kz/FACTS.md` §10):
//!
//! - by date, `get_rates.cfm?fdate=DD.MM.YYYY`: `<rates>` with one `<date>` and `<item>`s of
//!   `fullname`, `title` (the ISO code), `description` (the rate), `quant`;
//! - the latest, `rates_all.xml`: RSS, `<rss><channel>` with `<item>`s of `title`, `pubDate`,
//!   `description`, `quant` (every item carries the date).
//!
//! A published rate is tenge per `quant` units (JPY and UZS 100, AMD 10, most 1), so the value
//! kept is the rate per unit, `description / quant`, exact: a division that would need more than
//! [`RATE_SCALE`] decimals is refused rather than rounded. Codes our [`Currency`] does not know
//! (the NBK lists about 40) are kept with `currency: None`: they are reference data, not an error.
//! These rates are the official reference, never the bank's dealing rate.
//!
//! The reader is quick-xml's event reader over bounded input: no DOCTYPE (so no entity but XML's
//! five), at most [`NBK_XML_BYTES_MAX`] bytes and [`NBK_ITEMS_MAX`] items, elements at most
//! [`DEPTH_MAX`] deep.

use std::fmt;

use jiff::civil::Date;
use quick_xml::Reader;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, Event};
use rust_decimal::Decimal;
use tiyn_core::Currency;

use crate::rate::{RATE_SCALE, Rate, RateError};

/// The largest file read. A real day's file is about 10 KB (some 40 currencies); a hundred times
/// that is still small, and anything larger is not the NBK's.
pub const NBK_XML_BYTES_MAX: usize = 1024 * 1024;
/// The most items one file may list: ten times the currencies the NBK quotes.
pub const NBK_ITEMS_MAX: usize = 500;
/// How deep elements may nest (`rss/channel/item/title` is 4).
pub const DEPTH_MAX: usize = 8;
/// The longest currency name kept, in characters (the NBK's longest is about 30).
pub const NAME_CHARS_MAX: usize = 200;

/// One day's official rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NbkRates {
    /// The day the rates are set for.
    pub date: Date,
    /// In the file's order; one per code.
    pub items: Vec<NbkRate>,
}

/// One currency's official rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NbkRate {
    /// The ISO 4217 code as published (`USD`, `XDR`).
    pub code: String,
    /// The currency, when Tiyn knows the code; `None` otherwise (kept, not an error).
    pub currency: Option<Currency>,
    /// Tenge per one unit: the published rate divided by `quant`, exact.
    pub per_unit: Rate,
    /// How many units the published rate was for.
    pub quant: u32,
    /// The NBK's Russian name (`ДОЛЛАР США`); empty in the RSS format, which has none.
    pub name: String,
}

impl NbkRate {
    /// The rate as the NBK published it: tenge per `quant` units (`292.00` for 2.92 a yen per 100).
    pub fn published(&self) -> Rate {
        self.per_unit
            .value()
            .checked_mul(Decimal::from(self.quant))
            .and_then(|value| Rate::from_decimal(value).ok())
            .unwrap_or(self.per_unit)
    }
}

impl NbkRates {
    /// The rate of one known currency.
    pub fn get(&self, currency: Currency) -> Option<&NbkRate> {
        self.items.iter().find(|item| item.currency == Some(currency))
    }
}

/// Why a file was refused. `item` is the 1-based position of the `<item>` in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NbkError {
    #[error("the file has {bytes} bytes; at most {NBK_XML_BYTES_MAX} are read")]
    TooLarge { bytes: usize },
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("not well-formed XML: {0}")]
    Malformed(String),
    #[error("a DOCTYPE declaration: the NBK's files have none, and its entities are not read")]
    Doctype,
    #[error("the root element is <{0}>: expected <rates> (get_rates.cfm) or <rss> (rates_all.xml)")]
    UnknownFormat(String),
    #[error("the National Bank published no rates for this date")]
    NoData,
    #[error("more than {NBK_ITEMS_MAX} items")]
    TooManyItems,
    #[error("item {item}: <{field}> is missing")]
    MissingField { item: usize, field: &'static str },
    #[error("the file gives no <date>")]
    MissingDate,
    #[error("the date {0:?} is not DD.MM.YYYY")]
    InvalidDate(String),
    #[error("item {item} is dated {found}, item 1 {first}: one file is one day")]
    MixedDates { item: usize, first: Date, found: Date },
    #[error("item {item}: {0:?} is not a currency code (three capital letters)", .text)]
    InvalidCode { item: usize, text: String },
    #[error("item {item}: {code} is listed twice")]
    DuplicateCode { item: usize, code: String },
    #[error("item {item} ({code}): the rate {text:?} is not a positive decimal number")]
    InvalidRate { item: usize, code: String, text: String },
    #[error("item {item} ({code}): the quantity {text:?} is not a whole number")]
    InvalidQuant { item: usize, code: String, text: String },
    #[error("item {item} ({code}): the quantity is 0")]
    QuantZero { item: usize, code: String },
    #[error("item {item} ({code}): {rate} per {quant} needs more than {RATE_SCALE} decimals per unit")]
    TooPrecise { item: usize, code: String, rate: String, quant: u32 },
}

impl NbkError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            NbkError::TooLarge { .. } => "nbk_too_large",
            NbkError::NotUtf8 | NbkError::Malformed(_) | NbkError::Doctype => "nbk_malformed_xml",
            NbkError::UnknownFormat(_) => "nbk_unknown_format",
            NbkError::NoData => "nbk_no_data",
            NbkError::TooManyItems => "nbk_too_many_items",
            NbkError::MissingField { .. } => "nbk_missing_field",
            NbkError::MissingDate | NbkError::InvalidDate(_) => "nbk_invalid_date",
            NbkError::MixedDates { .. } => "nbk_mixed_dates",
            NbkError::InvalidCode { .. } => "nbk_invalid_code",
            NbkError::DuplicateCode { .. } => "nbk_duplicate_code",
            NbkError::InvalidRate { .. } => "nbk_invalid_rate",
            NbkError::InvalidQuant { .. } => "nbk_invalid_quant",
            NbkError::QuantZero { .. } => "nbk_quant_zero",
            NbkError::TooPrecise { .. } => "nbk_rate_too_precise",
        }
    }
}

/// Reads a file's bytes (UTF-8, as the NBK serves it).
pub fn parse_bytes(bytes: &[u8]) -> Result<NbkRates, NbkError> {
    if bytes.len() > NBK_XML_BYTES_MAX {
        return Err(NbkError::TooLarge { bytes: bytes.len() });
    }
    parse(std::str::from_utf8(bytes).map_err(|_| NbkError::NotUtf8)?)
}

/// Reads either format.
pub fn parse(xml: &str) -> Result<NbkRates, NbkError> {
    if xml.len() > NBK_XML_BYTES_MAX {
        return Err(NbkError::TooLarge { bytes: xml.len() });
    }
    let raw = read(xml.strip_prefix('\u{FEFF}').unwrap_or(xml))?;
    match raw.format {
        Format::ByDate => by_date(raw),
        Format::Rss => rss(raw),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `get_rates.cfm`: `<rates><date/><item/>…`.
    ByDate,
    /// `rates_all.xml`: `<rss><channel><item/>…`.
    Rss,
}

impl Format {
    fn item_depth(self) -> usize {
        match self {
            Format::ByDate => 2,
            Format::Rss => 3,
        }
    }
}

/// The texts the formats carry, before they mean anything.
struct Raw {
    format: Format,
    date: Option<String>,
    info: Option<String>,
    /// Each item's children: local name and trimmed text.
    items: Vec<Vec<(String, String)>>,
}

impl Raw {
    fn field<'r>(item: &'r [(String, String)], name: &str) -> Option<&'r str> {
        item.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

fn read(xml: &str) -> Result<Raw, NbkError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut raw: Option<Raw> = None;
    loop {
        let event = reader.read_event().map_err(|error| NbkError::Malformed(error.to_string()))?;
        match event {
            Event::Start(start) | Event::Empty(start) if stack.len() >= DEPTH_MAX => {
                return Err(NbkError::Malformed(format!(
                    "<{}> is nested more than {DEPTH_MAX} deep",
                    echo(start.local_name().as_ref())
                )));
            }
            Event::Start(start) => {
                let name = start.local_name().as_ref().to_owned();
                open(&mut raw, &stack, &name)?;
                stack.push(name);
                text.clear();
            }
            Event::Empty(start) => {
                let name = start.local_name().as_ref().to_owned();
                open(&mut raw, &stack, &name)?;
                stack.push(name);
                text.clear();
                close(&mut raw, &mut stack, &text);
            }
            Event::End(_) => {
                close(&mut raw, &mut stack, &text);
                text.clear();
            }
            Event::Text(chunk) => text.push_str(&chunk.xml10_content()),
            Event::CData(chunk) => text.push_str(&chunk.xml10_content()),
            Event::GeneralRef(reference) => text.push_str(&resolve(&reference)?),
            Event::DocType(_) => return Err(NbkError::Doctype),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.first() {
        return Err(NbkError::Malformed(format!("<{}> is not closed", echo(open))));
    }
    raw.ok_or_else(|| NbkError::Malformed("the file has no root element".to_owned()))
}

/// A start tag below `stack`: the root decides the format; an item of the format starts a row.
fn open(raw: &mut Option<Raw>, stack: &[String], name: &str) -> Result<(), NbkError> {
    let Some(found) = raw else {
        let format = match name {
            "rates" => Format::ByDate,
            "rss" => Format::Rss,
            other => return Err(NbkError::UnknownFormat(echo(other))),
        };
        *raw = Some(Raw { format, date: None, info: None, items: Vec::new() });
        return Ok(());
    };
    if stack.is_empty() {
        return Err(NbkError::Malformed("a second root element".to_owned()));
    }
    let depth = stack.len() + 1;
    let is_item = name == "item"
        && depth == found.format.item_depth()
        && (found.format == Format::ByDate || stack.get(1).is_some_and(|parent| parent == "channel"));
    if is_item {
        if found.items.len() >= NBK_ITEMS_MAX {
            return Err(NbkError::TooManyItems);
        }
        found.items.push(Vec::new());
    }
    Ok(())
}

/// An end tag: a child of an item is one of its fields; `rates/date` and `rates/info` are the
/// by-date format's own.
fn close(raw: &mut Option<Raw>, stack: &mut Vec<String>, text: &str) {
    let Some(name) = stack.pop() else { return };
    let Some(found) = raw else { return };
    let depth = stack.len() + 1;
    let value = text.trim().to_owned();
    let in_item = depth == found.format.item_depth() + 1 && stack.last().is_some_and(|parent| parent == "item");
    if in_item {
        if let Some(item) = found.items.last_mut() {
            item.push((name, value));
        }
    } else if found.format == Format::ByDate && depth == 2 {
        match name.as_str() {
            "date" => found.date = Some(value),
            "info" => found.info = Some(value),
            _ => {}
        }
    }
}

fn resolve(reference: &BytesRef<'_>) -> Result<String, NbkError> {
    match reference.resolve_char_ref() {
        Ok(Some(character)) => Ok(character.to_string()),
        Ok(None) => resolve_xml_entity(reference)
            .map(str::to_owned)
            .ok_or_else(|| NbkError::Malformed(format!("the entity &{}; is not one of XML's five", echo(reference)))),
        Err(error) => Err(NbkError::Malformed(error.to_string())),
    }
}

fn by_date(raw: Raw) -> Result<NbkRates, NbkError> {
    if raw.info.is_some() || raw.items.is_empty() {
        return Err(NbkError::NoData);
    }
    let date = date(raw.date.as_deref().filter(|text| !text.is_empty()).ok_or(NbkError::MissingDate)?)?;
    Ok(NbkRates { date, items: items(&raw.items)? })
}

fn rss(raw: Raw) -> Result<NbkRates, NbkError> {
    if raw.items.is_empty() {
        return Err(NbkError::NoData);
    }
    let mut first: Option<Date> = None;
    for (index, item) in raw.items.iter().enumerate() {
        let number = index + 1;
        let text = Raw::field(item, "pubDate")
            .filter(|text| !text.is_empty())
            .ok_or(NbkError::MissingField { item: number, field: "pubDate" })?;
        let found = date(text)?;
        match first {
            None => first = Some(found),
            Some(first) if first != found => return Err(NbkError::MixedDates { item: number, first, found }),
            Some(_) => {}
        }
    }
    let date = first.ok_or(NbkError::NoData)?;
    Ok(NbkRates { date, items: items(&raw.items)? })
}

fn items(raw: &[Vec<(String, String)>]) -> Result<Vec<NbkRate>, NbkError> {
    let mut items: Vec<NbkRate> = Vec::with_capacity(raw.len());
    for (index, fields) in raw.iter().enumerate() {
        let item = index + 1;
        let required = |field: &'static str| {
            Raw::field(fields, field).filter(|text| !text.is_empty()).ok_or(NbkError::MissingField { item, field })
        };
        let code_text = required("title")?;
        if code_text.len() != 3 || !code_text.bytes().all(|byte| byte.is_ascii_uppercase()) {
            return Err(NbkError::InvalidCode { item, text: echo(code_text) });
        }
        let code = code_text.to_owned();
        if items.iter().any(|known| known.code == code) {
            return Err(NbkError::DuplicateCode { item, code });
        }
        let rate_text = required("description")?;
        let quant_text = required("quant")?;
        let quant: u32 = match quant_text.parse() {
            Ok(0) => return Err(NbkError::QuantZero { item, code }),
            Ok(quant) if quant_text.bytes().all(|byte| byte.is_ascii_digit()) => quant,
            _ => return Err(NbkError::InvalidQuant { item, code, text: echo(quant_text) }),
        };
        let per_unit = per_unit(rate_text, quant).map_err(|error| match error {
            RateError::TooPrecise => {
                NbkError::TooPrecise { item, code: code.clone(), rate: rate_text.to_owned(), quant }
            }
            _ => NbkError::InvalidRate { item, code: code.clone(), text: echo(rate_text) },
        })?;
        let name: String = Raw::field(fields, "fullname").unwrap_or_default().chars().take(NAME_CHARS_MAX).collect();
        items.push(NbkRate { currency: Currency::parse(&code).ok(), code, per_unit, quant, name });
    }
    debug_assert!(items.len() == raw.len());
    Ok(items)
}

/// `published / quant`, exactly: refused when the quotient does not end within [`RATE_SCALE`]
/// decimals (rounding would make the official rate something the NBK did not publish).
fn per_unit(published: &str, quant: u32) -> Result<Rate, RateError> {
    let published = Rate::parse(published)?.value();
    let quant = Decimal::from(quant);
    let quotient = published.checked_div(quant).ok_or(RateError::TooLarge)?;
    if quotient.checked_mul(quant) != Some(published) {
        return Err(RateError::TooPrecise);
    }
    Rate::from_decimal(quotient)
}

/// `DD.MM.YYYY`.
fn date(text: &str) -> Result<Date, NbkError> {
    let invalid = || NbkError::InvalidDate(echo(text));
    let parts: Vec<&str> = text.split('.').collect();
    let [day, month, year] = parts.as_slice() else { return Err(invalid()) };
    let digits = |part: &str, length: usize| part.len() == length && part.bytes().all(|byte| byte.is_ascii_digit());
    if !(digits(day, 2) && digits(month, 2) && digits(year, 4)) {
        return Err(invalid());
    }
    let (Ok(day), Ok(month), Ok(year)) = (day.parse::<i8>(), month.parse::<i8>(), year.parse::<i16>()) else {
        return Err(invalid());
    };
    Date::new(year, month, day).map_err(|_| invalid())
}

/// How much of a text from the file an error repeats.
const ECHO_CHARS_MAX: usize = 40;

fn echo(text: &str) -> String {
    text.chars().take(ECHO_CHARS_MAX).collect()
}

impl fmt::Display for NbkRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} KZT", self.code, self.per_unit)
    }
}
