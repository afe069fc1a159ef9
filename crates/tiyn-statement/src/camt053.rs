//! ISO 20022 camt.053.001.08, BankToCustomerStatementV08 (R-3.1.2.7): one `Stmt` for the
//! period, valid against the official schema (`tests/data/camt.053.001.08.xsd`, checked with
//! xmllint in the tests).
//!
//! The header gives everything that comes before the entries: the balances (`OPBD` at the start
//! of the period's first day, `CLBD` at the end of its last) and the transactions summary (the
//! sums of credits and debits and the net; not the numbers of entries, which the header does
//! not know before the lines pass and which the schema lets out). Then one `Ntry` per line, as
//! it passes: amount and currency, `CRDT`/`DBIT`, `RvslInd` for a reversal, status `BOOK`,
//! booking and value dates, the ledger entry's id as `NtryRef` and `AcctSvcrRef`, the bank
//! transaction code (an ISO domain code where one fits the kind, and always the line's kind as
//! the proprietary code), and one `TxDtls` with the document number (`EndToEndId`, or
//! `NOTPROVIDED`), the counterparty (`Cdtr` for a debit, `Dbtr` for a credit: name, BIN under
//! `OrgId` or IIN under `PrvtId` with the scheme name, as tiyn-payments' pacs.008 writes them),
//! its account, its bank's BIC, the KNP as `Purp/Prtry`, and the purpose as `RmtInf/Ustrd` in
//! pieces of at most 140 characters.
//!
//! Dates and times: `CreDtTm` is the statement's instant in UTC; `FrToDt` is the period as
//! local times without an offset (00:00:00 of the first day to 23:59:59 of the last), since the
//! period's days are the bank's business days, not UTC days.
//!
//! Texts longer than the schema's fields are cut: `Id`/`MsgId` (35), names (140), an account
//! number that is not an IBAN (34). Characters XML cannot carry become U+FFFD.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};

use jiff::Timestamp;
use jiff::civil::Date;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use tiyn_core::{Money, TaxpayerId};

use crate::export::{CountingWriter, ExportSummary, IntoStatementLine, OUTPUT_BUFFER_BYTES, digits_of, first_chars};
use crate::model::{
    Counterparty, CounterpartyAccount, Direction, LineKind, StatementError, StatementHeader, StatementLine,
    TurnoverCheck,
};

/// The namespace of the documents [`write_camt053`] writes.
pub const CAMT053_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08";

/// `Max35Text`, `Max140Text`, `Max34Text`.
const ID_CHARS_MAX: usize = 35;
const NAME_CHARS_MAX: usize = 140;
const ACCOUNT_CHARS_MAX: usize = 34;
/// One `RmtInf/Ustrd` occurrence (`Max140Text`); a longer purpose is split.
pub const UNSTRUCTURED_REMITTANCE_CHARS_MAX: usize = 140;
/// `ActiveOrHistoricCurrencyAndAmount` and `DecimalNumber` have at most 18 digits.
const AMOUNT_DIGITS_MAX: usize = 18;

/// Indentation: two spaces, for the person who reads the file; importers ignore it.
const INDENT_SPACES: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Camt053Options {
    /// `Stmt/ElctrncSeqNb`: the statement's number in the sequence of electronic statements of
    /// the account, which the caller keeps.
    pub electronic_sequence_number: u64,
}

impl Default for Camt053Options {
    fn default() -> Camt053Options {
        Camt053Options { electronic_sequence_number: 1 }
    }
}

/// Writes the statement as a camt.053.001.08 document to `out`, checking the lines against the
/// header as they pass ([`TurnoverCheck`]). On an error, what was written is incomplete (and not
/// well-formed): discard it.
pub fn write_camt053<L>(
    header: &StatementHeader,
    lines: L,
    options: &Camt053Options,
    out: impl io::Write,
) -> Result<ExportSummary, StatementError>
where
    L: IntoIterator,
    L::Item: IntoStatementLine,
{
    header.check()?;
    let mut counting = CountingWriter::new(out);
    let mut xml = Xml::new(BufWriter::with_capacity(OUTPUT_BUFFER_BYTES, &mut counting));
    xml.write(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    xml.start_with("Document", &[("xmlns", CAMT053_NAMESPACE)])?;
    xml.start("BkToCstmrStmt")?;
    let created_at = whole_seconds(header.created_at);
    let reference = first_chars(header.reference.trim(), ID_CHARS_MAX);
    let reference = if reference.is_empty() { "NOTPROVIDED" } else { reference };
    xml.start("GrpHdr")?;
    xml.text("MsgId", reference)?;
    xml.text("CreDtTm", &created_at)?;
    xml.end("GrpHdr")?;

    xml.start("Stmt")?;
    xml.text("Id", reference)?;
    xml.text("ElctrncSeqNb", &options.electronic_sequence_number.to_string())?;
    xml.text("CreDtTm", &created_at)?;
    xml.start("FrToDt")?;
    xml.text("FrDtTm", &format!("{}T00:00:00", header.period.from()))?;
    xml.text("ToDtTm", &format!("{}T23:59:59", header.period.to()))?;
    xml.end("FrToDt")?;
    account(&mut xml, header)?;
    balance(&mut xml, "OPBD", header.opening, header.period.from())?;
    balance(&mut xml, "CLBD", header.closing, header.period.to())?;
    summary(&mut xml, header)?;

    let mut check = TurnoverCheck::new(header);
    let mut written = 0_u64;
    for item in lines {
        let line = item.into_statement_line()?;
        check.push(&line)?;
        entry(&mut xml, &line)?;
        written += 1;
    }
    check.finish()?;
    xml.end("Stmt")?;
    xml.end("BkToCstmrStmt")?;
    xml.end("Document")?;
    let mut buffered = xml.finish();
    buffered.flush()?;
    drop(buffered);
    Ok(ExportSummary { lines: written, bytes: counting.bytes() })
}

/// `Acct`: the IBAN, the currency, the holder and the bank.
fn account<W: io::Write>(xml: &mut Xml<W>, header: &StatementHeader) -> Result<(), StatementError> {
    xml.start("Acct")?;
    xml.start("Id")?;
    xml.text("IBAN", header.account_iban.as_str())?;
    xml.end("Id")?;
    xml.text("Ccy", header.currency.code())?;
    xml.start("Ownr")?;
    let holder = first_chars(header.holder_name.trim(), NAME_CHARS_MAX);
    if !holder.is_empty() {
        xml.text("Nm", holder)?;
    }
    taxpayer_id(xml, &header.holder_id)?;
    xml.end("Ownr")?;
    xml.start("Svcr")?;
    xml.start("FinInstnId")?;
    xml.text("BICFI", header.bank_bic.as_str())?;
    let bank = first_chars(header.bank_name.trim(), NAME_CHARS_MAX);
    if !bank.is_empty() {
        xml.text("Nm", bank)?;
    }
    xml.end("FinInstnId")?;
    xml.end("Svcr")?;
    xml.end("Acct")?;
    Ok(())
}

fn balance<W: io::Write>(xml: &mut Xml<W>, code: &str, money: Money, date: Date) -> Result<(), StatementError> {
    xml.start("Bal")?;
    xml.start("Tp")?;
    xml.start("CdOrPrtry")?;
    xml.text("Cd", code)?;
    xml.end("CdOrPrtry")?;
    xml.end("Tp")?;
    amount(xml, "Amt", money)?;
    xml.text("CdtDbtInd", if money.is_negative() { "DBIT" } else { "CRDT" })?;
    xml.start("Dt")?;
    xml.text("Dt", &date.to_string())?;
    xml.end("Dt")?;
    xml.end("Bal")?;
    Ok(())
}

/// `TxsSummry`: the sums the header knows (see the module docs for the numbers of entries).
fn summary<W: io::Write>(xml: &mut Xml<W>, header: &StatementHeader) -> Result<(), StatementError> {
    let turnover = header.turnover;
    let total = turnover.credit.checked_add(turnover.debit)?;
    let net = turnover.credit.checked_sub(turnover.debit)?;
    xml.start("TxsSummry")?;
    xml.start("TtlNtries")?;
    xml.text("Sum", &decimal(total)?)?;
    xml.start("TtlNetNtry")?;
    xml.text("Amt", &decimal(net)?)?;
    xml.text("CdtDbtInd", if net.is_negative() { "DBIT" } else { "CRDT" })?;
    xml.end("TtlNetNtry")?;
    xml.end("TtlNtries")?;
    xml.start("TtlCdtNtries")?;
    xml.text("Sum", &decimal(turnover.credit)?)?;
    xml.end("TtlCdtNtries")?;
    xml.start("TtlDbtNtries")?;
    xml.text("Sum", &decimal(turnover.debit)?)?;
    xml.end("TtlDbtNtries")?;
    xml.end("TxsSummry")?;
    Ok(())
}

fn entry<W: io::Write>(xml: &mut Xml<W>, line: &StatementLine) -> Result<(), StatementError> {
    let entry = line.entry.to_string();
    let indicator = match line.direction {
        Direction::Debit => "DBIT",
        Direction::Credit => "CRDT",
    };
    xml.start("Ntry")?;
    xml.text("NtryRef", &entry)?;
    amount(xml, "Amt", line.amount)?;
    xml.text("CdtDbtInd", indicator)?;
    if line.kind == LineKind::Reversal {
        // CdtDbtInd is the reversal's own direction: CRDT reverses a debit, DBIT a credit.
        xml.text("RvslInd", "true")?;
    }
    xml.start("Sts")?;
    xml.text("Cd", "BOOK")?;
    xml.end("Sts")?;
    xml.start("BookgDt")?;
    xml.text("Dt", &line.booking_date.to_string())?;
    xml.end("BookgDt")?;
    xml.start("ValDt")?;
    xml.text("Dt", &line.value_date.to_string())?;
    xml.end("ValDt")?;
    xml.text("AcctSvcrRef", &entry)?;
    bank_transaction_code(xml, line.kind, line.direction)?;
    xml.start("NtryDtls")?;
    xml.start("TxDtls")?;
    xml.start("Refs")?;
    xml.text("AcctSvcrRef", &entry)?;
    let number = line.document_number.as_deref().map(|number| first_chars(number.trim(), ID_CHARS_MAX));
    xml.text("EndToEndId", number.filter(|number| !number.is_empty()).unwrap_or("NOTPROVIDED"))?;
    xml.end("Refs")?;
    amount(xml, "Amt", line.amount)?;
    xml.text("CdtDbtInd", indicator)?;
    related_parties(xml, &line.counterparty, line.direction)?;
    if let Some(bic) = &line.counterparty.bic {
        xml.start("RltdAgts")?;
        let agent = match line.direction {
            Direction::Debit => "CdtrAgt",
            Direction::Credit => "DbtrAgt",
        };
        xml.start(agent)?;
        xml.start("FinInstnId")?;
        xml.text("BICFI", bic.as_str())?;
        xml.end("FinInstnId")?;
        xml.end(agent)?;
        xml.end("RltdAgts")?;
    }
    if let Some(knp) = &line.knp {
        xml.start("Purp")?;
        xml.text("Prtry", knp.as_str())?;
        xml.end("Purp")?;
    }
    let purpose = line.purpose.trim();
    if !purpose.is_empty() {
        xml.start("RmtInf")?;
        for piece in split_chars(purpose, UNSTRUCTURED_REMITTANCE_CHARS_MAX) {
            xml.text("Ustrd", piece)?;
        }
        xml.end("RmtInf")?;
    }
    xml.end("TxDtls")?;
    xml.end("NtryDtls")?;
    xml.end("Ntry")?;
    Ok(())
}

/// `BkTxCd`: an ISO domain, family and sub-family where one fits the kind, and the kind itself
/// as the proprietary code, always.
fn bank_transaction_code<W: io::Write>(
    xml: &mut Xml<W>,
    kind: LineKind,
    direction: Direction,
) -> Result<(), StatementError> {
    let domain = match (kind, direction) {
        (LineKind::Payment, Direction::Debit) => Some(("PMNT", "ICDT", "DMCT")),
        (LineKind::Payment | LineKind::IncomingCredit, Direction::Credit) => Some(("PMNT", "RCDT", "DMCT")),
        (LineKind::Commission, Direction::Debit) => Some(("ACMT", "MDOP", "CHRG")),
        (LineKind::Commission, Direction::Credit) => Some(("ACMT", "MCOP", "CHRG")),
        // A returned outgoing payment comes back as a credit; a recalled incoming one leaves.
        (LineKind::Reversal, Direction::Credit) => Some(("PMNT", "ICDT", "RRTN")),
        (LineKind::Reversal, Direction::Debit) => Some(("PMNT", "RCDT", "RRTN")),
        _ => None,
    };
    xml.start("BkTxCd")?;
    if let Some((domain, family, sub_family)) = domain {
        xml.start("Domn")?;
        xml.text("Cd", domain)?;
        xml.start("Fmly")?;
        xml.text("Cd", family)?;
        xml.text("SubFmlyCd", sub_family)?;
        xml.end("Fmly")?;
        xml.end("Domn")?;
    }
    xml.start("Prtry")?;
    xml.text("Cd", kind.as_str())?;
    xml.end("Prtry")?;
    xml.end("BkTxCd")?;
    Ok(())
}

/// `RltdPties`: the counterparty is the creditor of a debit and the debtor of a credit.
fn related_parties<W: io::Write>(
    xml: &mut Xml<W>,
    counterparty: &Counterparty,
    direction: Direction,
) -> Result<(), StatementError> {
    let (party, account) = match direction {
        Direction::Debit => ("Cdtr", "CdtrAcct"),
        Direction::Credit => ("Dbtr", "DbtrAcct"),
    };
    let name = first_chars(counterparty.name.trim(), NAME_CHARS_MAX);
    let other_account = match &counterparty.account {
        Some(CounterpartyAccount::Other(text)) => Some(first_chars(text.trim(), ACCOUNT_CHARS_MAX)),
        _ => None,
    };
    let has_account = matches!(counterparty.account, Some(CounterpartyAccount::Iban(_)))
        || other_account.is_some_and(|text| !text.is_empty());
    let has_party = !name.is_empty() || counterparty.taxpayer_id.is_some();
    if !has_party && !has_account {
        return Ok(());
    }
    xml.start("RltdPties")?;
    if has_party {
        xml.start(party)?;
        xml.start("Pty")?;
        if !name.is_empty() {
            xml.text("Nm", name)?;
        }
        if let Some(id) = &counterparty.taxpayer_id {
            taxpayer_id(xml, id)?;
        }
        xml.end("Pty")?;
        xml.end(party)?;
    }
    if has_account {
        xml.start(account)?;
        xml.start("Id")?;
        match (&counterparty.account, other_account) {
            (Some(CounterpartyAccount::Iban(iban)), _) => xml.text("IBAN", iban.as_str())?,
            (_, Some(text)) => {
                xml.start("Othr")?;
                xml.text("Id", text)?;
                xml.end("Othr")?;
            }
            (_, None) => unreachable!("has_account says there is one"),
        }
        xml.end("Id")?;
        xml.end(account)?;
    }
    xml.end("RltdPties")?;
    Ok(())
}

/// `Id`: a BIN under `OrgId`, an IIN under `PrvtId`, each with its scheme name (the same as the
/// pacs.008 writer of tiyn-payments).
fn taxpayer_id<W: io::Write>(xml: &mut Xml<W>, id: &TaxpayerId) -> Result<(), StatementError> {
    let (kind, scheme) = match id {
        TaxpayerId::Bin(_) => ("OrgId", "BIN"),
        TaxpayerId::Iin(_) => ("PrvtId", "IIN"),
    };
    xml.start("Id")?;
    xml.start(kind)?;
    xml.start("Othr")?;
    xml.text("Id", id.as_str())?;
    xml.start("SchmeNm")?;
    xml.text("Prtry", scheme)?;
    xml.end("SchmeNm")?;
    xml.end("Othr")?;
    xml.end(kind)?;
    xml.end("Id")?;
    Ok(())
}

/// `<name Ccy="…">amount</name>`: the absolute amount (the sign is the `CdtDbtInd` beside it).
fn amount<W: io::Write>(xml: &mut Xml<W>, name: &'static str, money: Money) -> Result<(), StatementError> {
    let text = decimal(money)?;
    xml.text_with(name, &[("Ccy", money.currency().code())], &text)
}

/// The absolute amount as an `xs:decimal` of at most 18 digits.
fn decimal(money: Money) -> Result<String, StatementError> {
    let text = money.amount_string();
    let (digits, _) = digits_of(&text);
    if digits.len() > AMOUNT_DIGITS_MAX {
        return Err(StatementError::AmountTooLong { format: "camt.053", amount: text, digits_max: AMOUNT_DIGITS_MAX });
    }
    Ok(match text.strip_prefix('-') {
        Some(unsigned) => unsigned.to_owned(),
        None => text,
    })
}

/// RFC 3339 in UTC, whole seconds: `2024-11-01T13:11:22Z`.
fn whole_seconds(instant: Timestamp) -> String {
    match Timestamp::from_second(instant.as_second()) {
        Ok(whole) => whole.to_string(),
        Err(_) => instant.to_string(),
    }
}

/// Splits `text` into pieces of at most `chars_max` characters whose concatenation is `text`.
fn split_chars(text: &str, chars_max: usize) -> impl Iterator<Item = &str> {
    assert!(chars_max > 0, "a piece holds at least one character");
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = rest.char_indices().nth(chars_max).map_or(rest.len(), |(index, _)| index);
        let (piece, tail) = rest.split_at(cut);
        rest = tail;
        Some(piece)
    })
}

/// A streaming XML writer: quick-xml's, with every text escaped and made XML-safe, and a check
/// that every element closes the one opened last.
struct Xml<W: io::Write> {
    writer: Writer<W>,
    open: Vec<&'static str>,
}

impl<W: io::Write> Xml<W> {
    fn new(out: W) -> Xml<W> {
        Xml { writer: Writer::new_with_indent(out, b' ', INDENT_SPACES), open: Vec::new() }
    }

    fn write(&mut self, event: Event<'_>) -> Result<(), StatementError> {
        self.writer.write_event(event)?;
        Ok(())
    }

    fn start(&mut self, name: &'static str) -> Result<(), StatementError> {
        self.start_with(name, &[])
    }

    fn start_with(&mut self, name: &'static str, attributes: &[(&str, &str)]) -> Result<(), StatementError> {
        let mut start = BytesStart::new(name);
        for (key, value) in attributes {
            start.push_attribute((*key, xml_safe(value).as_ref()));
        }
        self.write(Event::Start(start))?;
        self.open.push(name);
        Ok(())
    }

    fn end(&mut self, name: &'static str) -> Result<(), StatementError> {
        let open = self.open.pop();
        assert_eq!(open, Some(name), "elements close in the order they opened");
        self.write(Event::End(BytesEnd::new(name)))
    }

    fn text(&mut self, name: &'static str, text: &str) -> Result<(), StatementError> {
        self.text_with(name, &[], text)
    }

    fn text_with(&mut self, name: &'static str, attributes: &[(&str, &str)], text: &str) -> Result<(), StatementError> {
        debug_assert!(!text.is_empty(), "ISO 20022 texts have at least one character: <{name}>");
        self.start_with(name, attributes)?;
        self.write(Event::Text(BytesText::new(&xml_safe(text))))?;
        self.end(name)
    }

    fn finish(self) -> W {
        assert!(self.open.is_empty(), "every element is closed: {:?}", self.open);
        self.writer.into_inner()
    }
}

/// The text with every character XML 1.0 cannot carry (control characters, U+FFFE, U+FFFF)
/// replaced by U+FFFD; borrowed when there is none, which is almost always.
fn xml_safe(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().map(|character| if is_xml_char(character) { character } else { '\u{FFFD}' }).collect())
    }
}

/// XML 1.0's `Char` production.
fn is_xml_char(character: char) -> bool {
    matches!(character, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_split_into_pieces_of_140_characters() {
        let text = "я".repeat(300);
        let pieces: Vec<&str> = split_chars(&text, 140).collect();
        assert_eq!(pieces.iter().map(|piece| piece.chars().count()).collect::<Vec<_>>(), [140, 140, 20]);
        assert_eq!(pieces.concat(), text);
        assert_eq!(split_chars("", 140).count(), 0);
    }

    #[test]
    fn what_xml_cannot_carry_is_replaced() {
        assert_eq!(xml_safe("a\u{1}b\u{FFFF}"), "a\u{FFFD}b\u{FFFD}");
        assert!(matches!(xml_safe("Қазақ <&>"), Cow::Borrowed(_)));
    }
}
