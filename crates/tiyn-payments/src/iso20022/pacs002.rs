//! pacs.002.001.10, FIToFIPaymentStatusReport: what the interbank system says about the
//! transfers we sent, and (for the gateway simulator) how to say it.

use std::collections::HashSet;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::{Amount, Currency, Money};

use super::pacs008::iso_date_time;
use super::xml::{self, Element, Limits, TextPosition, XmlError, XmlWriter, echo, join_pieces, split_chars};
use crate::document::{MESSAGE_ID_LENGTH_MAX, MessageId};

/// The namespace [`parse_pacs002`] reads and [`pacs002`] writes.
pub const PACS002_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10";

/// The message name a status report refers to: what we send.
const ORIGINAL_MESSAGE_NAME: &str = "pacs.008.001.08";

/// The largest status report read. One transaction's status is under 1 KB; 4 MiB holds several
/// thousand, far more than a day's reports for one bank bring at once.
pub const PACS002_BYTES_MAX: usize = 4 * 1024 * 1024;

/// A pacs.002 nests about 8 deep; 32 leaves room for an envelope and supplementary data.
const DEPTH_MAX: usize = 32;

/// About 10 elements per status: 200,000 bounds the tree of a report of the largest size.
const ELEMENTS_MAX: usize = 200_000;

const LIMITS: Limits = Limits { bytes_max: PACS002_BYTES_MAX, depth_max: DEPTH_MAX, elements_max: ELEMENTS_MAX };

/// The longest reason code: `Rsn/Prtry` is `Max35Text` (`Rsn/Cd` is at most 4).
pub const REASON_CODE_LENGTH_MAX: usize = 35;

/// The longest `StsRsnInf/AddtlInf` occurrence (`Max105Text`); a longer reason is split.
pub const ADDITIONAL_INFORMATION_LENGTH_MAX: usize = 105;

/// The status of one transfer we sent, identified by the message id we gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferStatus {
    pub message_id: MessageId,
    pub status: InterbankStatus,
    /// For a settled foreign transfer, what the correspondent bank debited (`OrgnlTxRef`);
    /// `None` for tenge transfers and when the report does not say.
    pub debit: Option<CorrespondentDebit>,
}

impl TransferStatus {
    /// A status without a correspondent's debit (every tenge transfer's).
    pub fn new(message_id: MessageId, status: InterbankStatus) -> TransferStatus {
        TransferStatus { message_id, status, debit: None }
    }
}

/// What the correspondent bank reports for a settled foreign transfer: the day it debited this
/// bank's account with it (`OrgnlTxRef/IntrBkSttlmDt`) and, when that account is in another
/// currency than the transfer, the equivalent it debited there (`OrgnlTxRef/Amt/EqvtAmt`: the
/// amount in the account's currency, `CcyOfTrf` the transfer's) — the correspondent's rate is
/// the equivalent over the transfer's amount (R-13.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrespondentDebit {
    pub date: Option<Date>,
    pub equivalent: Option<Equivalent>,
}

/// `EqvtAmt`: an amount in the debtor account's currency for a transfer in another currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Equivalent {
    pub amount: Amount,
    pub currency_of_transfer: Currency,
}

/// What the interbank system decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterbankStatus {
    /// `ACSC`, `ACCC` or `ACSP`: the money reached the payee's bank.
    Settled,
    /// `RJCT`: the payment will not be made; the hold is to be released.
    Rejected {
        /// The ISO reason code (`AC04`, a closed account) or a proprietary one: 1 to
        /// [`REASON_CODE_LENGTH_MAX`] characters, trimmed, when present.
        code: Option<String>,
        /// The additional information, trimmed and not blank when present.
        reason: Option<String>,
    },
    /// Received or accepted, not yet settled (`PDNG` and the other intermediate statuses).
    Pending,
}

/// The outcome each status code means. Settled: `ACSC` (settlement completed, debtor side),
/// `ACCC` (credited to the creditor), and `ACSP` (accepted, settlement in process), which the
/// gateway treats as final because МСПД and МКС do not revoke an accepted payment (the net
/// settlement of МКС follows the same day). Pending: `PDNG` and the steps before acceptance
/// (`RCVD`, `ACTC`, `ACCP`, `ACFC`, `ACWC`). Any other code (`CANC`, `BLCK`, `PART`, …) is
/// refused as unknown, so a person looks at it rather than the gateway guessing.
const STATUS_CODES: [(&str, Outcome); 10] = [
    ("ACSC", Outcome::Settled),
    ("ACCC", Outcome::Settled),
    ("ACSP", Outcome::Settled),
    ("RJCT", Outcome::Rejected),
    ("PDNG", Outcome::Pending),
    ("RCVD", Outcome::Pending),
    ("ACTC", Outcome::Pending),
    ("ACCP", Outcome::Pending),
    ("ACFC", Outcome::Pending),
    ("ACWC", Outcome::Pending),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Settled,
    Rejected,
    Pending,
}

/// The code [`pacs002`] writes for each outcome.
fn written_code(status: &InterbankStatus) -> &'static str {
    match status {
        InterbankStatus::Settled => "ACSC",
        InterbankStatus::Rejected { .. } => "RJCT",
        InterbankStatus::Pending => "PDNG",
    }
}

/// Why a status report could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pacs002Error {
    /// Not well-formed, too large, or with a DOCTYPE.
    Xml(XmlError),
    /// Well-formed, but no `FIToFIPmtStsRpt` in the pacs.002.001.10 namespace.
    NotPacs002 { root: String, namespace: Option<String> },
    /// A status without the element that says which transfer, or what status.
    MissingElement { at: TextPosition, path: &'static str },
    /// An element that may appear once appears twice.
    DuplicateElement { at: TextPosition, path: &'static str },
    /// The id of the original transfer is not a message id of ours (1 to 35 visible ASCII
    /// characters).
    InvalidMessageId { at: TextPosition, text: String },
    /// A status code that is not one of those the gateway knows.
    UnknownStatus { at: TextPosition, code: String },
    /// A reason code longer than 35 characters.
    InvalidReasonCode { at: TextPosition },
    /// An amount, currency or date of `OrgnlTxRef` that does not read.
    InvalidSettlement { at: TextPosition, what: &'static str },
    /// The report has no status at all.
    NoStatuses,
}

impl Pacs002Error {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Pacs002Error::Xml(error) => error.code(),
            Pacs002Error::NotPacs002 { .. } => "not_pacs002",
            Pacs002Error::MissingElement { .. } => "missing_element",
            Pacs002Error::DuplicateElement { .. } => "duplicate_element",
            Pacs002Error::InvalidMessageId { .. } => "invalid_message_id",
            Pacs002Error::UnknownStatus { .. } => "unknown_status",
            Pacs002Error::InvalidReasonCode { .. } => "invalid_reason_code",
            Pacs002Error::InvalidSettlement { .. } => "invalid_settlement",
            Pacs002Error::NoStatuses => "no_statuses",
        }
    }

    /// Where in the message, when the problem has a place.
    pub fn position(&self) -> Option<TextPosition> {
        match self {
            Pacs002Error::Xml(error) => Some(error.at),
            Pacs002Error::MissingElement { at, .. }
            | Pacs002Error::DuplicateElement { at, .. }
            | Pacs002Error::InvalidMessageId { at, .. }
            | Pacs002Error::UnknownStatus { at, .. }
            | Pacs002Error::InvalidReasonCode { at }
            | Pacs002Error::InvalidSettlement { at, .. } => Some(*at),
            Pacs002Error::NotPacs002 { .. } | Pacs002Error::NoStatuses => None,
        }
    }
}

impl fmt::Display for Pacs002Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pacs002Error::Xml(error) => error.fmt(f),
            Pacs002Error::NotPacs002 { root, namespace } => write!(
                f,
                "not a pacs.002.001.10 status report: the root is <{root}> in {}",
                namespace.as_deref().unwrap_or("no namespace")
            ),
            Pacs002Error::MissingElement { at, path } => write!(f, "{at}: {path} is missing"),
            Pacs002Error::DuplicateElement { at, path } => write!(f, "{at}: {path} appears more than once"),
            Pacs002Error::InvalidMessageId { at, text } => {
                write!(f, "{at}: {text:?} is not a message id (1 to 35 visible ASCII characters)")
            }
            Pacs002Error::UnknownStatus { at, code } => write!(f, "{at}: {code:?} is not a status the gateway knows"),
            Pacs002Error::InvalidReasonCode { at } => {
                write!(f, "{at}: the reason code is longer than {REASON_CODE_LENGTH_MAX} characters")
            }
            Pacs002Error::InvalidSettlement { at, what } => write!(f, "{at}: OrgnlTxRef: {what}"),
            Pacs002Error::NoStatuses => f.write_str("the report has no transaction or group status"),
        }
    }
}

impl std::error::Error for Pacs002Error {}

impl From<XmlError> for Pacs002Error {
    fn from(error: XmlError) -> Pacs002Error {
        Pacs002Error::Xml(error)
    }
}

/// Reads a pacs.002.001.10 status report into the statuses of the transfers it names, in
/// document order.
///
/// Each `TxInfAndSts` is one status: the transfer is its `OrgnlTxId`, else its
/// `OrgnlGrpInf/OrgnlMsgId`, else the `OrgnlMsgId` of the report's only `OrgnlGrpInfAndSts`
/// (we send one transfer per message, so message id and transaction id are the same);
/// `OrgnlEndToEndId` is the payment order's number, not an id of ours, and is not used. The
/// status is its `TxSts`, else the only group's `GrpSts`. An `OrgnlGrpInfAndSts` with a
/// `GrpSts` is a status of its own for a message no transaction status names. A rejection's
/// code and reason come from the first `StsRsnInf` (`Rsn/Cd` or `Rsn/Prtry`, `AddtlInf` joined).
/// The `Document` may be the root or inside a transport envelope.
pub fn parse_pacs002(xml: &str) -> Result<Vec<TransferStatus>, Pacs002Error> {
    let root = xml::parse(xml, LIMITS)?;
    let Some(report) = root.find("FIToFIPmtStsRpt", PACS002_NAMESPACE) else {
        return Err(Pacs002Error::NotPacs002 {
            root: echo(&root.name),
            namespace: root.namespace.as_deref().map(echo),
        });
    };
    let groups: Vec<&Element> = report.children_named("OrgnlGrpInfAndSts").collect();
    let only_group = match groups.as_slice() {
        [group] => Some(*group),
        _ => None,
    };
    let mut statuses = Vec::new();
    for transaction in report.children_named("TxInfAndSts") {
        statuses.push(transaction_status(transaction, only_group)?);
    }
    let named: HashSet<MessageId> = statuses.iter().map(|status| status.message_id.clone()).collect();
    for group in groups {
        if single(group, "GrpSts")?.is_none() {
            continue;
        }
        let message_id = message_id(group, "OrgnlMsgId", "OrgnlGrpInfAndSts/OrgnlMsgId")?;
        if named.contains(&message_id) {
            continue;
        }
        let status = status(group, "GrpSts", "OrgnlGrpInfAndSts/GrpSts")?;
        statuses.push(TransferStatus::new(message_id, status));
    }
    if statuses.is_empty() {
        return Err(Pacs002Error::NoStatuses);
    }
    Ok(statuses)
}

fn transaction_status(transaction: &Element, only_group: Option<&Element>) -> Result<TransferStatus, Pacs002Error> {
    let message_id = if single(transaction, "OrgnlTxId")?.is_some() {
        message_id(transaction, "OrgnlTxId", "TxInfAndSts/OrgnlTxId")?
    } else if let Some(original) = single(transaction, "OrgnlGrpInf")? {
        message_id(original, "OrgnlMsgId", "TxInfAndSts/OrgnlGrpInf/OrgnlMsgId")?
    } else if let Some(group) = only_group {
        message_id(group, "OrgnlMsgId", "OrgnlGrpInfAndSts/OrgnlMsgId")?
    } else {
        return Err(Pacs002Error::MissingElement { at: transaction.at, path: "TxInfAndSts/OrgnlTxId" });
    };
    let status = match (single(transaction, "TxSts")?, only_group) {
        (Some(_), _) => status(transaction, "TxSts", "TxInfAndSts/TxSts")?,
        (None, Some(group)) if single(group, "GrpSts")?.is_some() => {
            let outcome = outcome(group, "GrpSts")?;
            // A rejection's reason is the transaction's when it has one, else the group's.
            let reasons = if transaction.child("StsRsnInf").is_some() { transaction } else { group };
            with_reason(outcome, reasons)?
        }
        _ => return Err(Pacs002Error::MissingElement { at: transaction.at, path: "TxInfAndSts/TxSts" }),
    };
    let debit = match (&status, single(transaction, "OrgnlTxRef")?) {
        (InterbankStatus::Settled, Some(reference)) => correspondent_debit(reference)?,
        _ => None,
    };
    Ok(TransferStatus { message_id, status, debit })
}

/// `OrgnlTxRef/IntrBkSttlmDt` and `OrgnlTxRef/Amt/EqvtAmt` of a settled transfer; `None` when
/// neither is there.
fn correspondent_debit(reference: &Element) -> Result<Option<CorrespondentDebit>, Pacs002Error> {
    let invalid = |at: TextPosition, what: &'static str| Pacs002Error::InvalidSettlement { at, what };
    let date = match single(reference, "IntrBkSttlmDt")? {
        Some(element) => {
            Some(element.text.trim().parse::<Date>().map_err(|_| invalid(element.at, "IntrBkSttlmDt is not a date"))?)
        }
        None => None,
    };
    let equivalent = match reference.path(&["Amt", "EqvtAmt"]) {
        Some(equivalent) => {
            let amount = equivalent
                .child("Amt")
                .ok_or(Pacs002Error::MissingElement { at: equivalent.at, path: "OrgnlTxRef/Amt/EqvtAmt/Amt" })?;
            let currency = amount
                .attribute("Ccy")
                .and_then(|code| Currency::parse(code).ok())
                .ok_or_else(|| invalid(amount.at, "EqvtAmt/Amt has no known currency (Ccy)"))?;
            let money = Money::parse(amount.text.trim(), currency)
                .ok()
                .and_then(|money| Amount::new(money).ok())
                .ok_or_else(|| invalid(amount.at, "EqvtAmt/Amt is not a positive amount in its currency"))?;
            let transfer = equivalent
                .child("CcyOfTrf")
                .ok_or(Pacs002Error::MissingElement { at: equivalent.at, path: "OrgnlTxRef/Amt/EqvtAmt/CcyOfTrf" })?;
            let currency_of_transfer = Currency::parse(transfer.text.trim())
                .map_err(|_| invalid(transfer.at, "CcyOfTrf is not a known currency"))?;
            Some(Equivalent { amount: money, currency_of_transfer })
        }
        None => None,
    };
    Ok((date.is_some() || equivalent.is_some()).then_some(CorrespondentDebit { date, equivalent }))
}

/// The only child named `name`, or an error when there are several.
fn single<'e>(parent: &'e Element, name: &'static str) -> Result<Option<&'e Element>, Pacs002Error> {
    let mut named = parent.children_named(name);
    let first = named.next();
    match named.next() {
        Some(second) => Err(Pacs002Error::DuplicateElement { at: second.at, path: name }),
        None => Ok(first),
    }
}

fn message_id(parent: &Element, name: &'static str, path: &'static str) -> Result<MessageId, Pacs002Error> {
    let Some(element) = single(parent, name)? else {
        return Err(Pacs002Error::MissingElement { at: parent.at, path });
    };
    let text = element.text.trim();
    MessageId::parse(text).map_err(|_| Pacs002Error::InvalidMessageId {
        at: element.at,
        text: text.chars().take(MESSAGE_ID_LENGTH_MAX + 1).collect(),
    })
}

/// The status in `parent`'s `name` element with `parent`'s reason.
fn status(parent: &Element, name: &'static str, path: &'static str) -> Result<InterbankStatus, Pacs002Error> {
    if single(parent, name)?.is_none() {
        return Err(Pacs002Error::MissingElement { at: parent.at, path });
    }
    with_reason(outcome(parent, name)?, parent)
}

fn outcome(parent: &Element, name: &'static str) -> Result<Outcome, Pacs002Error> {
    let Some(element) = single(parent, name)? else {
        return Err(Pacs002Error::MissingElement { at: parent.at, path: name });
    };
    let code = element.text.trim();
    STATUS_CODES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, outcome)| *outcome)
        .ok_or_else(|| Pacs002Error::UnknownStatus { at: element.at, code: echo(code) })
}

fn with_reason(outcome: Outcome, reasons: &Element) -> Result<InterbankStatus, Pacs002Error> {
    Ok(match outcome {
        Outcome::Settled => InterbankStatus::Settled,
        Outcome::Pending => InterbankStatus::Pending,
        Outcome::Rejected => {
            let (code, reason) = match reasons.child("StsRsnInf") {
                Some(information) => rejection_reason(information)?,
                None => (None, None),
            };
            InterbankStatus::Rejected { code, reason }
        }
    })
}

fn rejection_reason(information: &Element) -> Result<(Option<String>, Option<String>), Pacs002Error> {
    let code_element = information.path(&["Rsn", "Cd"]).or_else(|| information.path(&["Rsn", "Prtry"]));
    let code = code_element.map(|element| (element, element.text.trim())).filter(|(_, code)| !code.is_empty());
    let code = match code {
        Some((element, code)) if code.chars().count() > REASON_CODE_LENGTH_MAX => {
            return Err(Pacs002Error::InvalidReasonCode { at: element.at });
        }
        Some((_, code)) => Some(code.to_owned()),
        None => None,
    };
    let joined = join_pieces(
        information.children_named("AddtlInf").map(|element| element.text.as_str()),
        ADDITIONAL_INFORMATION_LENGTH_MAX,
    );
    let reason = Some(joined.trim().to_owned()).filter(|reason| !reason.is_empty());
    Ok((code, reason))
}

/// A pacs.002.001.10 report of `statuses`, one `TxInfAndSts` each (`OrgnlGrpInf/OrgnlMsgId` and
/// `OrgnlTxId` = the message id; `TxSts` `ACSC`, `RJCT` or `PDNG`; a rejection's code as
/// `Rsn/Cd` when it is an ISO code of up to 4 letters and digits, else `Rsn/Prtry`, its reason
/// in `AddtlInf` of up to 105 characters each). For the gateway simulator and tests:
/// [`parse_pacs002`] reads it back to the same statuses.
///
/// `statuses` is not empty, and a rejection's code has 1 to [`REASON_CODE_LENGTH_MAX`]
/// characters; anything else is a bug in the caller and panics.
pub fn pacs002(statuses: &[TransferStatus], message_id: &MessageId, created_at: Timestamp) -> String {
    assert!(!statuses.is_empty(), "a status report reports at least one status");
    let mut xml = XmlWriter::new();
    xml.start_with("Document", &[("xmlns", PACS002_NAMESPACE)]);
    xml.start("FIToFIPmtStsRpt");
    xml.start("GrpHdr");
    xml.text_element("MsgId", message_id.as_str());
    xml.text_element("CreDtTm", &iso_date_time(created_at));
    xml.end("GrpHdr");
    for status in statuses {
        xml.start("TxInfAndSts");
        xml.start("OrgnlGrpInf");
        xml.text_element("OrgnlMsgId", status.message_id.as_str());
        xml.text_element("OrgnlMsgNmId", ORIGINAL_MESSAGE_NAME);
        xml.end("OrgnlGrpInf");
        xml.text_element("OrgnlTxId", status.message_id.as_str());
        xml.text_element("TxSts", written_code(&status.status));
        if let InterbankStatus::Rejected { code, reason } = &status.status {
            write_reason(&mut xml, code.as_deref(), reason.as_deref());
        }
        if let Some(debit) = &status.debit {
            xml.start("OrgnlTxRef");
            if let Some(equivalent) = &debit.equivalent {
                let money = equivalent.amount.money();
                xml.start("Amt");
                xml.start("EqvtAmt");
                xml.text_element_with("Amt", &[("Ccy", money.currency().code())], &money.amount_string());
                xml.text_element("CcyOfTrf", equivalent.currency_of_transfer.code());
                xml.end("EqvtAmt");
                xml.end("Amt");
            }
            if let Some(date) = debit.date {
                xml.text_element("IntrBkSttlmDt", &date.to_string());
            }
            xml.end("OrgnlTxRef");
        }
        xml.end("TxInfAndSts");
    }
    xml.end("FIToFIPmtStsRpt");
    xml.end("Document");
    xml.finish()
}

fn write_reason(xml: &mut XmlWriter, code: Option<&str>, reason: Option<&str>) {
    let code = code.map(str::trim).filter(|code| !code.is_empty());
    let reason = reason.map(str::trim).filter(|reason| !reason.is_empty());
    if code.is_none() && reason.is_none() {
        return;
    }
    xml.start("StsRsnInf");
    if let Some(code) = code {
        assert!(code.chars().count() <= REASON_CODE_LENGTH_MAX, "a reason code has at most 35 characters");
        let iso_code = code.len() <= 4 && code.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit());
        xml.start("Rsn");
        xml.text_element(if iso_code { "Cd" } else { "Prtry" }, code);
        xml.end("Rsn");
    }
    for piece in reason.map(|reason| split_chars(reason, ADDITIONAL_INFORMATION_LENGTH_MAX)).unwrap_or_default() {
        xml.text_element("AddtlInf", piece);
    }
    xml.end("StsRsnInf");
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn id(text: &str) -> MessageId {
        MessageId::parse(text).unwrap()
    }

    fn rejected(code: Option<&str>, reason: Option<&str>) -> InterbankStatus {
        InterbankStatus::Rejected { code: code.map(str::to_owned), reason: reason.map(str::to_owned) }
    }

    #[test]
    fn a_report_reads_back_to_the_same_statuses() {
        let statuses = vec![
            TransferStatus::new(id("TIYN-1"), InterbankStatus::Settled),
            TransferStatus {
                message_id: id("TIYN-2"),
                status: rejected(Some("AC04"), Some(&format!("Счёт закрыт <{}> & ", "я".repeat(200)))),
                debit: None,
            },
            TransferStatus::new(id("TIYN-3"), InterbankStatus::Pending),
            TransferStatus::new(id("TIYN-4"), rejected(Some("NBK-LIMIT-EXCEEDED"), None)),
            TransferStatus::new(id("TIYN-5"), rejected(None, None)),
        ];
        let xml = pacs002(&statuses, &id("NPC-REPORT-1"), Timestamp::UNIX_EPOCH);
        assert!(xml.contains("<Prtry>NBK-LIMIT-EXCEEDED</Prtry>"), "{xml}");
        assert!(xml.contains("<Cd>AC04</Cd>"), "{xml}");
        let mut expected = statuses.clone();
        expected[1].status = rejected(Some("AC04"), Some(&format!("Счёт закрыт <{}> &", "я".repeat(200))));
        assert_eq!(parse_pacs002(&xml).unwrap(), expected);
    }

    /// R-13.1: the correspondent's debit of a foreign transfer — its day and, for an account in
    /// another currency, the equivalent it debited — survives the report.
    #[test]
    fn r_13_1_a_settled_foreign_transfer_carries_the_correspondents_debit() {
        let equivalent = Equivalent {
            amount: Amount::parse("1093.47", Currency::Usd).unwrap(),
            currency_of_transfer: Currency::Eur,
        };
        let debit = CorrespondentDebit { date: Some(Date::constant(2026, 11, 24)), equivalent: Some(equivalent) };
        let statuses = vec![
            TransferStatus { message_id: id("TIYN-F1"), status: InterbankStatus::Settled, debit: Some(debit) },
            TransferStatus {
                message_id: id("TIYN-F2"),
                status: InterbankStatus::Settled,
                debit: Some(CorrespondentDebit { date: Some(Date::constant(2026, 11, 25)), equivalent: None }),
            },
        ];
        let xml = pacs002(&statuses, &id("CORR-1"), Timestamp::UNIX_EPOCH);
        assert!(xml.contains(r#"<Amt Ccy="USD">1093.47</Amt>"#) && xml.contains("<CcyOfTrf>EUR</CcyOfTrf>"), "{xml}");
        assert_eq!(parse_pacs002(&xml).unwrap(), statuses);
        let broken = xml.replace("<CcyOfTrf>EUR</CcyOfTrf>", "<CcyOfTrf>EURO</CcyOfTrf>");
        assert_eq!(parse_pacs002(&broken).unwrap_err().code(), "invalid_settlement");
    }

    #[test]
    fn a_hand_written_rejection_reads_its_code_and_reason() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10">
  <FIToFIPmtStsRpt>
    <GrpHdr>
      <MsgId>NPC20250603000123</MsgId>
      <CreDtTm>2025-06-03T10:15:02+05:00</CreDtTm>
    </GrpHdr>
    <OrgnlGrpInfAndSts>
      <OrgnlMsgId>TIYN20250602000000042</OrgnlMsgId>
      <OrgnlMsgNmId>pacs.008.001.08</OrgnlMsgNmId>
    </OrgnlGrpInfAndSts>
    <TxInfAndSts>
      <OrgnlEndToEndId>42</OrgnlEndToEndId>
      <OrgnlTxId>TIYN20250602000000042</OrgnlTxId>
      <TxSts>RJCT</TxSts>
      <StsRsnInf>
        <Rsn><Cd>AC04</Cd></Rsn>
        <AddtlInf>Счёт получателя KZ806014482455345985 закрыт</AddtlInf>
        <AddtlInf>(закрыт 01.06.2025)</AddtlInf>
      </StsRsnInf>
    </TxInfAndSts>
  </FIToFIPmtStsRpt>
</Document>"#;
        let statuses = parse_pacs002(xml).unwrap();
        assert_eq!(
            statuses,
            [TransferStatus {
                message_id: id("TIYN20250602000000042"),
                status: rejected(Some("AC04"), Some("Счёт получателя KZ806014482455345985 закрыт (закрыт 01.06.2025)")),
                debit: None,
            }]
        );
    }

    #[test]
    fn group_statuses_and_fallbacks_identify_the_transfer() {
        let wrap = |body: &str| {
            format!(
                "<Document xmlns=\"{PACS002_NAMESPACE}\"><FIToFIPmtStsRpt><GrpHdr><MsgId>R</MsgId>\
                 <CreDtTm>2025-06-03T10:00:00Z</CreDtTm></GrpHdr>{body}</FIToFIPmtStsRpt></Document>"
            )
        };
        // A group status alone: the message's one transfer.
        let only_group = wrap(
            "<OrgnlGrpInfAndSts><OrgnlMsgId>M1</OrgnlMsgId><OrgnlMsgNmId>pacs.008.001.08</OrgnlMsgNmId><GrpSts>ACCC</GrpSts></OrgnlGrpInfAndSts>",
        );
        assert_eq!(parse_pacs002(&only_group).unwrap(), [TransferStatus::new(id("M1"), InterbankStatus::Settled)]);
        // A transaction without its own id or status takes the only group's.
        let fallback = wrap(
            "<OrgnlGrpInfAndSts><OrgnlMsgId>M2</OrgnlMsgId><OrgnlMsgNmId>pacs.008.001.08</OrgnlMsgNmId><GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts><TxInfAndSts><OrgnlEndToEndId>7</OrgnlEndToEndId></TxInfAndSts>",
        );
        assert_eq!(parse_pacs002(&fallback).unwrap(), [TransferStatus::new(id("M2"), rejected(Some("AM04"), None))]);
        // Inside an envelope with a business application header.
        let enveloped = format!(
            "<Envelope xmlns=\"urn:example:envelope\"><AppHdr xmlns=\"urn:iso:std:iso:20022:tech:xsd:head.001.001.02\"/>{}</Envelope>",
            wrap("<TxInfAndSts><OrgnlTxId>M3</OrgnlTxId><TxSts>PDNG</TxSts></TxInfAndSts>")
        );
        assert_eq!(parse_pacs002(&enveloped).unwrap(), [TransferStatus::new(id("M3"), InterbankStatus::Pending)]);

        let codes = |body: &str| parse_pacs002(&wrap(body)).map_err(|error| error.code());
        assert_eq!(codes(""), Err("no_statuses"));
        assert_eq!(
            codes("<TxInfAndSts><OrgnlEndToEndId>7</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>"),
            Err("missing_element")
        );
        assert_eq!(codes("<TxInfAndSts><OrgnlTxId>M4</OrgnlTxId></TxInfAndSts>"), Err("missing_element"));
        assert_eq!(
            codes("<TxInfAndSts><OrgnlTxId>M4</OrgnlTxId><TxSts>CANC</TxSts></TxInfAndSts>"),
            Err("unknown_status")
        );
        assert_eq!(
            codes("<TxInfAndSts><OrgnlTxId>M 4</OrgnlTxId><TxSts>ACSC</TxSts></TxInfAndSts>"),
            Err("invalid_message_id")
        );
        assert_eq!(
            codes("<TxInfAndSts><OrgnlTxId>M4</OrgnlTxId><TxSts>ACSC</TxSts><TxSts>RJCT</TxSts></TxInfAndSts>"),
            Err("duplicate_element")
        );
        let long_code = format!("<StsRsnInf><Rsn><Prtry>{}</Prtry></Rsn></StsRsnInf>", "X".repeat(36));
        assert_eq!(
            codes(&format!("<TxInfAndSts><OrgnlTxId>M4</OrgnlTxId><TxSts>RJCT</TxSts>{long_code}</TxInfAndSts>")),
            Err("invalid_reason_code")
        );
    }

    #[test]
    fn malformed_and_foreign_messages_are_refused() {
        let error = parse_pacs002(
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10\">\n  <FIToFIPmtStsRpt>\n</Document>",
        )
        .unwrap_err();
        assert_eq!(error.code(), "malformed_xml");
        assert_eq!(error.position(), Some(TextPosition { line: 3, column: 1 }), "{error}");
        let pacs008 =
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\"><FIToFICstmrCdtTrf/></Document>";
        assert_eq!(parse_pacs002(pacs008).map_err(|error| error.code()), Err("not_pacs002"));
        let older = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.002.001.03\"><FIToFIPmtStsRpt/></Document>";
        assert_eq!(parse_pacs002(older).map_err(|error| error.code()), Err("not_pacs002"));
        assert_eq!(parse_pacs002("").map_err(|error| error.code()), Err("malformed_xml"));
    }

    fn status_strategy() -> impl Strategy<Value = TransferStatus> {
        let id = "[A-Za-z0-9./-]{1,35}".prop_map(|text| MessageId::parse(&text).unwrap());
        let text = "[a-zA-Zа-яА-ЯәғқңөұүһіӘҒҚҢӨҰҮҺІ0-9 <>&'\"№.,:;()-]{0,300}";
        let status = prop_oneof![
            Just(InterbankStatus::Settled),
            Just(InterbankStatus::Pending),
            (proptest::option::of("[A-Z0-9]{1,4}|[A-Za-z0-9 -]{1,35}"), proptest::option::of(text)).prop_map(
                |(code, reason)| {
                    let clean = |text: String| Some(text.trim().to_owned()).filter(|text| !text.is_empty());
                    InterbankStatus::Rejected { code: code.and_then(clean), reason: reason.and_then(clean) }
                }
            ),
        ];
        (id, status).prop_map(|(message_id, status)| TransferStatus::new(message_id, status))
    }

    proptest! {
        #[test]
        fn any_statuses_round_trip(statuses in proptest::collection::vec(status_strategy(), 1..8)) {
            let xml = pacs002(&statuses, &id("R"), Timestamp::UNIX_EPOCH);
            prop_assert_eq!(parse_pacs002(&xml).unwrap(), statuses);
        }
    }
}
