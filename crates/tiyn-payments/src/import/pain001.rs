//! ISO 20022 pain.001.001.09 (CustomerCreditTransferInitiation), read as the 1C reader reads its
//! files: every credit transfer becomes an [`ImportedDocument`], a file that is not one is
//! refused with every problem and its place.
//!
//! A pain.001 groups transfers in payment information blocks (`PmtInf`), each with the payer's
//! account (`DbtrAcct`) and the requested execution date, and one `CdtTrfTxInf` per transfer.
//! Each transfer is returned as an [`ImportedTransfer`]: its [`TransactionPosition`] (the
//! block's and the transfer's 1-based index, for a person looking at the file in an editor that
//! folds XML) and the document, whose [`ImportedDocument::line`] is the line of its
//! `CdtTrfTxInf` and whose sources name the element of each field, so that
//! [`super::validate_batch`] reports every field error at its element.
//!
//! # Element mapping
//!
//! The Kazakhstan codes are where [`crate::iso20022::mapping`] puts them in the messages we send
//! (the module documentation of [`crate::iso20022`] says why). Paths are relative to the
//! `CdtTrfTxInf` unless they start with `PmtInf`.
//!
//! | API field | element |
//! |---|---|
//! | `kind` | none: `budget` when the transfer has a KBK or the creditor account is the treasury account ([`TREASURY_IBAN`]), otherwise `interbank` |
//! | `payer_account` | none: the caller resolves [`ImportedDocument::payer_iban`] (`PmtInf/DbtrAcct/Id/IBAN`) |
//! | `amount.amount` | `Amt/InstdAmt`, written with the currency's decimals when it has fewer (`1500` → `1500.00`) |
//! | `amount.currency` | `Amt/InstdAmt/@Ccy` |
//! | `knp` | `Purp/Prtry`; without it the `RgltryRptg/Dtls` of type `KNP` |
//! | `purpose` | `RmtInf/Ustrd`, the occurrences joined (a full 140-character one continues without a space, as the pacs.008 writer cuts) |
//! | `value_date` | `PmtInf/ReqdExctnDt/Dt`; without it the date of `PmtInf/ReqdExctnDt/DtTm` |
//! | `payee_name` | `Cdtr/Nm` |
//! | `payee_bin` | `Cdtr/Id/OrgId/Othr/Id` or `Cdtr/Id/PrvtId/Othr/Id`: the `Othr` whose scheme is `BIN`, `IIN` or `TXID`, else the first |
//! | `payee_iban` | `CdtrAcct/Id/IBAN` |
//! | `payee_bic` | `CdtrAgt/FinInstnId/BICFI` |
//! | `kbe` | `RgltryRptg/Dtls` of type `KBE` |
//! | `kbk` | `RgltryRptg/Dtls` of type `KBK` |
//! | `payee_account` | none: an internal transfer names accounts by id, which a pain.001 cannot |
//!
//! The client's number is `PmtId/EndToEndId` (unless `NOTPROVIDED`), else `PmtId/InstrId`. The
//! payer's name and ids and our bank's BIC are read from the partner and the directories, not
//! from the file. A transfer missing an element still becomes a document, with that field
//! absent: validation reports it (`required`) at the transfer's element.
//!
//! # What refuses the file, and what is skipped
//!
//! Refused: XML that is not well-formed, too large or with a DOCTYPE (one problem, with its
//! line and column); no `CstmrCdtTrfInitn` in the pain.001.001.09 namespace (other versions,
//! the common `.03` among them, are other schemas); a payment method other than `TRF` (a cheque
//! is not a payment order, and dropping it would import the file partially); an element we read
//! that appears twice where the schema allows it once; two different values for one Kazakhstan
//! code (the KNP in `Purp` and in the regulatory details); a `NbOfTxs` that does not count the
//! transfers (a file cut or edited by hand); more than [`IMPORT_DOCUMENTS_MAX`] transfers; none.
//! `CtrlSum` is not checked: a sum of decimal amounts in several currencies, which validation
//! totals exactly anyway.
//!
//! Skipped and listed in [`ImportedDocument::ignored_keys`]: elements of a transfer or a payment
//! information block that this reader does not read, such as `UltmtDbtr` and `UltmtCdtr` (the
//! actual payer and beneficiary), `Tax`, `InstrForCdtrAgt` or a structured remittance, so that
//! the person importing sees what did not come across.

use std::fmt;

use tiyn_core::{Currency, Iban, Money};
use tiyn_refdata::TREASURY_IBAN;

use super::one_c::ERRORS_REPORTED_MAX;
use super::{IMPORT_DOCUMENTS_MAX, IgnoredKey, ImportedDocument, KEY_ECHO_CHARS_MAX, Source};
use crate::field::fields;
use crate::iso20022::mapping::{self, KzCode};
use crate::iso20022::xml::{self, Element, Limits, echo, join_pieces};
use crate::iso20022::{TextPosition, UNSTRUCTURED_REMITTANCE_LENGTH_MAX, XmlReason};
use crate::kind::DocumentKind;
use crate::requisites::RawDocument;

/// The namespace of the messages this reader takes.
pub const PAIN001_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";

/// The largest file read, in bytes. One indented `CdtTrfTxInf` with Cyrillic names and purpose
/// is about 2.5 KB in UTF-8, so [`IMPORT_DOCUMENTS_MAX`] transfers fit in 3 MB; 8 MiB leaves
/// room for the elements this reader skips and for deeper indentation.
pub const FILE_BYTES_MAX: usize = 8 * 1024 * 1024;

/// A pain.001 nests about 9 deep; 32 leaves room for supplementary data.
const DEPTH_MAX: usize = 32;

/// A full transfer has about 60 elements: 200,000 is three times what the largest file holds.
const ELEMENTS_MAX: usize = 200_000;

const LIMITS: Limits = Limits { bytes_max: FILE_BYTES_MAX, depth_max: DEPTH_MAX, elements_max: ELEMENTS_MAX };

/// The only payment method of a payment order.
const PAYMENT_METHOD_TRANSFER: &str = "TRF";

/// An `EndToEndId` that says the client gave none.
const END_TO_END_NOT_PROVIDED: &str = "NOTPROVIDED";

/// Scheme names of an `Othr` id that hold a Kazakhstan IIN or BIN: ours, and ISO's code for a
/// tax identification number.
const TAXPAYER_ID_SCHEME_CODE: &str = "TXID";

/// The children of a `CdtTrfTxInf` this reader reads or knows to be harmless (the payment type,
/// the charge bearer of a domestic payment).
const TRANSACTION_ELEMENTS_KNOWN: [&str; 10] =
    ["PmtId", "PmtTpInf", "Amt", "ChrgBr", "CdtrAgt", "Cdtr", "CdtrAcct", "Purp", "RgltryRptg", "RmtInf"];

/// The children of a `PmtInf` this reader reads or knows to be harmless.
const PAYMENT_INFORMATION_ELEMENTS_KNOWN: [&str; 12] = [
    "PmtInfId",
    "PmtMtd",
    "BtchBookg",
    "NbOfTxs",
    "CtrlSum",
    "PmtTpInf",
    "ReqdExctnDt",
    "Dbtr",
    "DbtrAcct",
    "DbtrAgt",
    "ChrgBr",
    "CdtTrfTxInf",
];

/// The scope of paths inside a transfer.
const TX: &str = "CdtTrfTxInf";

// The element each field is read from, as errors and sources name it.
const PATH_PAYER_IBAN: &str = "PmtInf/DbtrAcct/Id/IBAN";
const PATH_VALUE_DATE: &str = "PmtInf/ReqdExctnDt/Dt";
const PATH_VALUE_DATE_TIME: &str = "PmtInf/ReqdExctnDt/DtTm";
const PATH_AMOUNT: &str = "CdtTrfTxInf/Amt/InstdAmt";
const PATH_CURRENCY: &str = "CdtTrfTxInf/Amt/InstdAmt/@Ccy";
const PATH_PURPOSE: &str = "CdtTrfTxInf/RmtInf/Ustrd";
const PATH_PAYEE_NAME: &str = "CdtTrfTxInf/Cdtr/Nm";
const PATH_PAYEE_BIN: &str = "CdtTrfTxInf/Cdtr/Id/OrgId/Othr/Id";
const PATH_PAYEE_IIN: &str = "CdtTrfTxInf/Cdtr/Id/PrvtId/Othr/Id";
const PATH_PAYEE_IBAN: &str = "CdtTrfTxInf/CdtrAcct/Id/IBAN";
const PATH_PAYEE_BIC: &str = "CdtTrfTxInf/CdtrAgt/FinInstnId/BICFI";

/// Where a transfer is in the file: the 1-based index of its `PmtInf` among the file's, and of
/// its `CdtTrfTxInf` within that block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TransactionPosition {
    pub payment_information: usize,
    pub transaction: usize,
}

impl fmt::Display for TransactionPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "payment information {}, transaction {}", self.payment_information, self.transaction)
    }
}

/// One credit transfer of a pain.001, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedTransfer {
    pub position: TransactionPosition,
    /// The transfer as a draft; `payer_iban` is its block's `DbtrAcct` IBAN.
    pub document: ImportedDocument,
}

/// Reads a pain.001.001.09 into its credit transfers, in file order, or refuses it with every
/// problem found (up to [`ERRORS_REPORTED_MAX`]). See the module documentation for the rules.
pub fn parse(xml: &str) -> Result<Vec<ImportedTransfer>, Pain001Error> {
    let root = xml::parse(xml, LIMITS).map_err(|error| {
        Pain001Error::single(ElementError {
            at: error.at,
            element: None,
            transaction: None,
            reason: Reason::Xml(error.reason),
        })
    })?;
    let Some(initiation) = root.find("CstmrCdtTrfInitn", PAIN001_NAMESPACE) else {
        let reason = Reason::NotPain001 { root: echo(&root.name), namespace: root.namespace.as_deref().map(echo) };
        return Err(Pain001Error::single(ElementError { at: root.at, element: None, transaction: None, reason }));
    };
    let mut reader = Reader { errors: Vec::new(), found: 0, transfers: Vec::new(), too_many: false };
    let mut counted = 0usize;
    for (index, block) in initiation.children_named("PmtInf").enumerate() {
        counted += reader.payment_information(block, index + 1);
    }
    let declared = reader.one(initiation, "CstmrCdtTrfInitn", &["GrpHdr", "NbOfTxs"], None);
    reader.control_count(declared, counted, None);
    if reader.found == 0 && reader.transfers.is_empty() {
        reader.error(ElementError { at: initiation.at, element: None, transaction: None, reason: Reason::NoDocuments });
    }
    if reader.found == 0 {
        assert!(!reader.transfers.is_empty() && reader.transfers.len() <= IMPORT_DOCUMENTS_MAX);
        Ok(reader.transfers)
    } else {
        assert!(!reader.errors.is_empty(), "a refusal says why");
        let truncated = reader.found > reader.errors.len();
        Err(Pain001Error { errors: reader.errors, truncated })
    }
}

/// Why a pain.001 file was refused: every problem found, in document order.
pub type Pain001Error = super::FileRefused<ElementError>;

/// One problem of a refused file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementError {
    /// Where the element at fault starts; `0:0` for the size of the whole file.
    pub at: TextPosition,
    /// The element's path, when the problem is one element's.
    pub element: Option<String>,
    /// The transfer the problem belongs to, when it belongs to one.
    pub transaction: Option<TransactionPosition>,
    pub reason: Reason,
}

impl ElementError {
    /// Stable API code of the problem.
    pub fn code(&self) -> &'static str {
        self.reason.code()
    }
}

impl fmt::Display for ElementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.line > 0 {
            write!(f, "{}: ", self.at)?;
        }
        if let Some(transaction) = self.transaction {
            write!(f, "{transaction}: ")?;
        }
        if let Some(element) = &self.element {
            write!(f, "{element}: ")?;
        }
        self.reason.fmt(f)
    }
}

/// What is wrong with a refused file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("{0}")]
    Xml(XmlReason),
    #[error("not a pain.001.001.09 credit transfer initiation: the root is <{root}> in {}", namespace.as_deref().unwrap_or("no namespace"))]
    NotPain001 { root: String, namespace: Option<String> },
    #[error("the element appears more than once (first at line {first_line})")]
    DuplicateElement { first_line: usize },
    #[error("{code} is {first:?} at line {first_line} and {second:?} here")]
    ConflictingValues { code: &'static str, first: String, first_line: usize, second: String },
    #[error("payment method {method:?}: only credit transfers (TRF) can be imported as payment orders")]
    PaymentMethodRefused { method: String },
    #[error("NbOfTxs says {declared}, but there are {found} transfers; the file may have been cut or edited")]
    ControlCountMismatch { declared: String, found: usize },
    #[error("the file has more than {documents_max} transfers; split it")]
    TooManyDocuments { documents_max: usize },
    #[error("the file has no credit transfer (CdtTrfTxInf)")]
    NoDocuments,
}

impl Reason {
    /// Stable API code; the codes shared with the 1C reader mean the same.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Xml(reason) => reason.code(),
            Reason::NotPain001 { .. } => "not_pain001",
            Reason::DuplicateElement { .. } => "duplicate_element",
            Reason::ConflictingValues { .. } => "conflicting_values",
            Reason::PaymentMethodRefused { .. } => "payment_method_refused",
            Reason::ControlCountMismatch { .. } => "control_count_mismatch",
            Reason::TooManyDocuments { .. } => "too_many_documents",
            Reason::NoDocuments => "no_documents",
        }
    }
}

/// What a payment information block gives each of its transfers.
struct Block<'e> {
    index: usize,
    payer_iban: Option<&'e Element>,
    value_date: Option<(String, &'e Element, &'static str)>,
    ignored_keys: Vec<IgnoredKey>,
}

struct Reader {
    errors: Vec<ElementError>,
    /// Problems found, including those past [`ERRORS_REPORTED_MAX`].
    found: usize,
    transfers: Vec<ImportedTransfer>,
    too_many: bool,
}

impl Reader {
    fn error(&mut self, error: ElementError) {
        self.found += 1;
        if self.errors.len() < ERRORS_REPORTED_MAX {
            self.errors.push(error);
        }
    }

    /// The element down `names` from `parent`, each step the only child of its name; a second
    /// one is an error (reported once, at the second) and the first is used.
    /// `scope` is `parent`'s name, for the path an error shows.
    fn one<'e>(
        &mut self,
        parent: &'e Element,
        scope: &str,
        names: &[&str],
        transaction: Option<TransactionPosition>,
    ) -> Option<&'e Element> {
        let mut element = parent;
        for (depth, name) in names.iter().enumerate() {
            let mut named = element.children_named(name);
            let first = named.next()?;
            if let Some(second) = named.next() {
                let path = format!("{scope}/{}", names[..=depth].join("/"));
                let reason = Reason::DuplicateElement { first_line: first.at.line };
                self.error(ElementError { at: second.at, element: Some(path), transaction, reason });
            }
            element = first;
        }
        Some(element)
    }

    fn text<'e>(
        &mut self,
        parent: &'e Element,
        scope: &str,
        names: &[&str],
        transaction: Option<TransactionPosition>,
    ) -> Option<(&'e str, &'e Element)> {
        let element = self.one(parent, scope, names, transaction)?;
        let text = element.text.trim();
        (!text.is_empty()).then_some((text, element))
    }

    /// Reads one `PmtInf`; answers how many transfers it has.
    fn payment_information(&mut self, block: &Element, index: usize) -> usize {
        let transactions: Vec<&Element> = block.children_named("CdtTrfTxInf").collect();
        let declared = self.one(block, "PmtInf", &["NbOfTxs"], None);
        self.control_count(declared, transactions.len(), Some("PmtInf/NbOfTxs"));
        if let Some((method, element)) = self.text(block, "PmtInf", &["PmtMtd"], None)
            && method != PAYMENT_METHOD_TRANSFER
        {
            let reason = Reason::PaymentMethodRefused { method: echo(method) };
            self.error(ElementError {
                at: element.at,
                element: Some("PmtInf/PmtMtd".to_owned()),
                transaction: None,
                reason,
            });
            return transactions.len();
        }
        let payer_iban = self.one(block, "PmtInf", &["DbtrAcct", "Id", "IBAN"], None);
        let value_date = match self.text(block, "PmtInf", &["ReqdExctnDt", "Dt"], None) {
            Some((date, element)) => Some((date.to_owned(), element, PATH_VALUE_DATE)),
            None => self.text(block, "PmtInf", &["ReqdExctnDt", "DtTm"], None).map(|(date_time, element)| {
                // `2025-06-03T10:00:00+05:00`: the date as written; a text of another shape is
                // passed whole, for validation to refuse as a date.
                let date = match date_time.split_once('T') {
                    Some((date, _)) => date,
                    None => date_time,
                };
                (date.to_owned(), element, PATH_VALUE_DATE_TIME)
            }),
        };
        let ignored_keys = unknown_children(block, "PmtInf", &PAYMENT_INFORMATION_ELEMENTS_KNOWN);
        let block = Block { index, payer_iban, value_date, ignored_keys };
        for (transaction_index, transaction) in transactions.iter().enumerate() {
            let position = TransactionPosition { payment_information: index, transaction: transaction_index + 1 };
            let transfer = self.transfer(&block, transaction, position);
            if self.transfers.len() < IMPORT_DOCUMENTS_MAX {
                self.transfers.push(transfer);
            } else if !self.too_many {
                self.too_many = true;
                let reason = Reason::TooManyDocuments { documents_max: IMPORT_DOCUMENTS_MAX };
                self.error(ElementError { at: transaction.at, element: None, transaction: Some(position), reason });
            }
        }
        debug_assert!(block.index == index);
        transactions.len()
    }

    /// `NbOfTxs`, when the file has it, must count the transfers.
    fn control_count(&mut self, declared: Option<&Element>, found: usize, path: Option<&'static str>) {
        let Some(element) = declared else { return };
        let text = element.text.trim();
        if text.parse::<usize>().is_ok_and(|declared| declared == found) {
            return;
        }
        let reason = Reason::ControlCountMismatch { declared: echo(text), found };
        let path = path.unwrap_or("GrpHdr/NbOfTxs").to_owned();
        self.error(ElementError { at: element.at, element: Some(path), transaction: None, reason });
    }

    fn transfer(
        &mut self,
        block: &Block<'_>,
        transaction: &Element,
        position: TransactionPosition,
    ) -> ImportedTransfer {
        debug_assert_eq!(block.index, position.payment_information);
        let at = Some(position);
        let line = transaction.at.line;
        let mut sources = Vec::with_capacity(fields::ALL.len());
        let mut source = |field: &'static str, key: &'static str, element: Option<&Element>| {
            sources.push(Source { field, key, line: element.map_or(line, |element| element.at.line) });
        };

        let amount_element = self.one(transaction, TX, &["Amt", "InstdAmt"], at);
        let currency =
            amount_element.and_then(|element| element.attribute("Ccy")).map(str::trim).filter(|c| !c.is_empty());
        let amount = amount_element.map(|element| element.text.trim()).filter(|text| !text.is_empty());
        let amount = amount.map(|text| canonical_amount(text, currency));
        source(fields::AMOUNT, PATH_AMOUNT, amount_element);
        source(fields::CURRENCY, PATH_CURRENCY, amount_element);

        let knp = self.knp(transaction, at);
        source(
            fields::KNP,
            knp.as_ref().map_or(mapping::KNP_PURPOSE_PATH, |(_, _, path)| path),
            knp.as_ref().map(|(_, element, _)| *element),
        );

        let remittance = self.one(transaction, TX, &["RmtInf"], at);
        let purpose_pieces: Vec<&Element> = match remittance {
            Some(remittance) => remittance.children_named("Ustrd").collect(),
            None => Vec::new(),
        };
        let purpose =
            join_pieces(purpose_pieces.iter().map(|piece| piece.text.as_str()), UNSTRUCTURED_REMITTANCE_LENGTH_MAX);
        let purpose = Some(purpose.trim().to_owned()).filter(|purpose| !purpose.is_empty());
        source(fields::PURPOSE, PATH_PURPOSE, purpose_pieces.first().copied());

        let (value_date, value_date_element, value_date_path) = match &block.value_date {
            Some((date, element, path)) => (Some(date.clone()), Some(*element), *path),
            None => (None, None, PATH_VALUE_DATE),
        };
        source(fields::VALUE_DATE, value_date_path, value_date_element);

        let payee_name = self.text(transaction, TX, &["Cdtr", "Nm"], at);
        source(fields::PAYEE_NAME, PATH_PAYEE_NAME, payee_name.map(|(_, element)| element));
        let payee_bin = self.taxpayer_id(transaction, at);
        source(
            fields::PAYEE_BIN,
            payee_bin.map_or(PATH_PAYEE_BIN, |(_, _, path)| path),
            payee_bin.map(|(_, element, _)| element),
        );
        let payee_iban = self.text(transaction, TX, &["CdtrAcct", "Id", "IBAN"], at);
        source(fields::PAYEE_IBAN, PATH_PAYEE_IBAN, payee_iban.map(|(_, element)| element));
        let payee_bic = self.text(transaction, TX, &["CdtrAgt", "FinInstnId", "BICFI"], at);
        source(fields::PAYEE_BIC, PATH_PAYEE_BIC, payee_bic.map(|(_, element)| element));
        let kbe = self.regulatory_code(transaction, KzCode::Kbe, at);
        source(fields::KBE, mapping::regulatory_detail(KzCode::Kbe).path, kbe.map(|(_, element)| element));
        let kbk = self.regulatory_code(transaction, KzCode::Kbk, at);
        source(fields::KBK, mapping::regulatory_detail(KzCode::Kbk).path, kbk.map(|(_, element)| element));

        let to_treasury =
            payee_iban.and_then(|(iban, _)| Iban::parse(iban).ok()).is_some_and(|iban| iban.as_str() == TREASURY_IBAN);
        let kind = if kbk.is_some() || to_treasury { DocumentKind::Budget } else { DocumentKind::Interbank };
        match kbk {
            Some((_, element)) => source(fields::KIND, mapping::regulatory_detail(KzCode::Kbk).path, Some(element)),
            None => source(fields::KIND, PATH_PAYEE_IBAN, payee_iban.map(|(_, element)| element)),
        }
        let payer_iban = block.payer_iban.map(|element| element.text.trim()).filter(|text| !text.is_empty());
        source(fields::PAYER_ACCOUNT, PATH_PAYER_IBAN, block.payer_iban);
        assert_eq!(
            sources.len() + 1 + fields::FOREIGN_ONLY.len(),
            fields::ALL.len(),
            "every tenge field but payee_account has a source"
        );

        let owned = |value: Option<(&str, &Element)>| value.map(|(text, _)| text.to_owned());
        let raw = RawDocument {
            kind: Some(kind.as_str().to_owned()),
            payer_account: None,
            amount,
            currency: currency.map(str::to_owned),
            knp: knp.map(|(text, _, _)| text),
            purpose,
            value_date,
            payee_account: None,
            payee_name: owned(payee_name),
            payee_bin: payee_bin.map(|(text, _, _)| text.to_owned()),
            payee_iban: owned(payee_iban),
            payee_bic: owned(payee_bic),
            kbe: owned(kbe),
            kbk: owned(kbk),
            // The import reads tenge transfers: no foreign-transfer fields.
            ..RawDocument::default()
        };
        let mut ignored_keys = block.ignored_keys.clone();
        ignored_keys.extend(unknown_children(transaction, "CdtTrfTxInf", &TRANSACTION_ELEMENTS_KNOWN));
        // Already checked for repeats above.
        if let Some(amount) = transaction.child("Amt") {
            ignored_keys.extend(unknown_children(amount, "CdtTrfTxInf/Amt", &["InstdAmt"]));
        }
        if let Some(remittance) = remittance {
            ignored_keys.extend(unknown_children(remittance, "CdtTrfTxInf/RmtInf", &["Ustrd"]));
        }
        let number = self.number(transaction, at);
        let payer_iban = payer_iban.map(str::to_owned);
        let document = ImportedDocument::new(line, raw, number, payer_iban, ignored_keys, sources);
        ImportedTransfer { position, document }
    }

    /// `EndToEndId` unless the client gave none, else `InstrId`.
    fn number(&mut self, transaction: &Element, at: Option<TransactionPosition>) -> Option<String> {
        let end_to_end = self.text(transaction, TX, &["PmtId", "EndToEndId"], at).map(|(text, _)| text);
        let instruction = self.text(transaction, TX, &["PmtId", "InstrId"], at).map(|(text, _)| text);
        end_to_end.filter(|id| *id != END_TO_END_NOT_PROVIDED).or(instruction).map(str::to_owned)
    }

    /// The KNP from `Purp/Prtry` and the `KNP` regulatory detail, which must agree when both
    /// are there.
    fn knp<'e>(
        &mut self,
        transaction: &'e Element,
        at: Option<TransactionPosition>,
    ) -> Option<(String, &'e Element, &'static str)> {
        let purpose = self.text(transaction, TX, &["Purp", "Prtry"], at);
        let detail = self.regulatory_code(transaction, KzCode::Knp, at);
        match (purpose, detail) {
            (Some((first, first_element)), Some((second, second_element))) => {
                if first != second {
                    let reason = Reason::ConflictingValues {
                        code: mapping::detail_type(KzCode::Knp),
                        first: echo(first),
                        first_line: first_element.at.line,
                        second: echo(second),
                    };
                    let path = mapping::regulatory_detail(KzCode::Knp).path.to_owned();
                    self.error(ElementError { at: second_element.at, element: Some(path), transaction: at, reason });
                }
                Some((first.to_owned(), first_element, mapping::KNP_PURPOSE_PATH))
            }
            (Some((text, element)), None) => Some((text.to_owned(), element, mapping::KNP_PURPOSE_PATH)),
            (None, Some((text, element))) => {
                Some((text.to_owned(), element, mapping::regulatory_detail(KzCode::Knp).path))
            }
            (None, None) => None,
        }
    }

    /// The `Cd` of the regulatory details of `code`'s type (compared without case), across every
    /// `RgltryRptg`; repeats must agree.
    fn regulatory_code<'e>(
        &mut self,
        transaction: &'e Element,
        code: KzCode,
        at: Option<TransactionPosition>,
    ) -> Option<(&'e str, &'e Element)> {
        let detail_type = mapping::detail_type(code);
        let mut found: Option<(&'e str, &'e Element)> = None;
        let details = transaction.children_named("RgltryRptg").flat_map(|reporting| reporting.children_named("Dtls"));
        for detail in details {
            let is_type = detail.text_at(&["Tp"]).is_some_and(|written| written.eq_ignore_ascii_case(detail_type));
            let Some(element) = detail.child("Cd").filter(|_| is_type) else { continue };
            let value = element.text.trim();
            match found {
                None if !value.is_empty() => found = Some((value, element)),
                Some((first, first_element)) if !value.is_empty() && value != first => {
                    let reason = Reason::ConflictingValues {
                        code: detail_type,
                        first: echo(first),
                        first_line: first_element.at.line,
                        second: echo(value),
                    };
                    let path = mapping::regulatory_detail(code).path.to_owned();
                    self.error(ElementError { at: element.at, element: Some(path), transaction: at, reason });
                }
                _ => {}
            }
        }
        found
    }

    /// The payee's IIN/BIN: under `OrgId` or `PrvtId`, the `Othr` whose scheme names an IIN, a
    /// BIN or a tax id, else the first `Othr`.
    fn taxpayer_id<'e>(
        &mut self,
        transaction: &'e Element,
        at: Option<TransactionPosition>,
    ) -> Option<(&'e str, &'e Element, &'static str)> {
        let identification = self.one(transaction, TX, &["Cdtr", "Id"], at)?;
        let (holder, path) = match identification.child("OrgId") {
            Some(organisation) => (organisation, PATH_PAYEE_BIN),
            None => (identification.child("PrvtId")?, PATH_PAYEE_IIN),
        };
        let others: Vec<&Element> = holder.children_named("Othr").collect();
        let named = others.iter().copied().find(|other| {
            let proprietary = other.text_at(&["SchmeNm", "Prtry"]);
            let code = other.text_at(&["SchmeNm", "Cd"]);
            proprietary.is_some_and(|scheme| {
                scheme.eq_ignore_ascii_case(mapping::BIN_SCHEME) || scheme.eq_ignore_ascii_case(mapping::IIN_SCHEME)
            }) || code.is_some_and(|scheme| scheme.eq_ignore_ascii_case(TAXPAYER_ID_SCHEME_CODE))
        });
        let other = named.or_else(|| others.first().copied())?;
        let (text, element) = self.text(other, "CdtTrfTxInf/Cdtr/Id/Othr", &["Id"], at)?;
        Some((text, element, path))
    }
}

/// The amount in the currency's canonical spelling when it is a plain decimal with at most the
/// currency's decimals (ISO 20022 writes `1500` or `1500.5` for the same value as `1500.00`);
/// anything else as written, for validation to report.
fn canonical_amount(text: &str, currency: Option<&str>) -> String {
    let canonical = currency
        .and_then(|code| Currency::parse(code).ok())
        .and_then(|currency| Money::parse(text, currency).ok())
        .map(Money::amount_string);
    canonical.unwrap_or_else(|| text.to_owned())
}

/// The children of `parent` whose names are not in `known`, as ignored keys.
fn unknown_children(parent: &Element, path: &str, known: &[&str]) -> Vec<IgnoredKey> {
    parent
        .children
        .iter()
        .filter(|child| !known.contains(&child.name.as_str()))
        .map(|child| IgnoredKey {
            line: child.at.line,
            key: format!("{path}/{}", child.name).chars().take(KEY_ECHO_CHARS_MAX).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use jiff::civil::date;
    use tiyn_core::AccountId;
    use tiyn_refdata::ReferenceData;

    use super::*;
    use crate::codes;
    use crate::directories::Directories;
    use crate::import::validate_batch;
    use crate::requisites::{Payee, parse_draft};

    const PAYER_IBAN: &str = "KZ52722S004010602810";

    fn reference() -> &'static ReferenceData {
        static REFERENCE: OnceLock<ReferenceData> = OnceLock::new();
        REFERENCE.get_or_init(|| ReferenceData::embedded().unwrap())
    }

    fn directories() -> Directories<'static> {
        Directories::new(reference(), "722").unwrap()
    }

    /// A Monday with no holiday.
    const TODAY: jiff::civil::Date = date(2025, 6, 2);

    /// Two transfers from one payer account: goods to a company at Halyk, income tax to the
    /// Almaty revenue department. Tabs, a comment and entities, as exporters write them.
    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>1C-EXPORT-2025-06-02-1</MsgId>
      <CreDtTm>2025-06-02T09:30:00+05:00</CreDtTm>
      <NbOfTxs>2</NbOfTxs>
      <CtrlSum>234350.05</CtrlSum>
      <InitgPty><Nm>ТОО «Тийн Тест»</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>PI-1</PmtInfId>
      <PmtMtd>TRF</PmtMtd>
      <NbOfTxs>2</NbOfTxs>
      <ReqdExctnDt><Dt>2025-06-03</Dt></ReqdExctnDt>
      <Dbtr><Nm>ТОО «Тийн Тест»</Nm></Dbtr>
      <DbtrAcct><Id><IBAN>KZ52722S004010602810</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>CASPKZKA</BICFI></FinInstnId></DbtrAgt>
      <CdtTrfTxInf>
        <PmtId><InstrId>101</InstrId><EndToEndId>101</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="KZT">150000.05</InstdAmt></Amt>
        <CdtrAgt><FinInstnId><BICFI>HSBKKZKX</BICFI></FinInstnId></CdtrAgt>
        <Cdtr>
          <Nm>ТОО «Ромашка» &amp; Co</Nm>
          <Id><OrgId><Othr><Id>180140010005</Id><SchmeNm><Prtry>BIN</Prtry></SchmeNm></Othr></OrgId></Id>
        </Cdtr>
        <CdtrAcct><Id><IBAN>KZ806014482455345985</IBAN></Id></CdtrAcct>
        <UltmtCdtr><Nm>Филиал</Nm></UltmtCdtr>
        <Purp><Prtry>710</Prtry></Purp>
        <RgltryRptg>
          <Dtls><Tp>KBE</Tp><Cd>17</Cd></Dtls>
        </RgltryRptg>
        <!-- the purpose in two lines, joined with a space -->
        <RmtInf>
          <Ustrd>Оплата по счёту № 15 от 01.06.2025 за товары &lt;партия 7&gt;, без НДС</Ustrd>
          <Ustrd>и доставку</Ustrd>
        </RmtInf>
      </CdtTrfTxInf>
      <CdtTrfTxInf>
        <PmtId><EndToEndId>NOTPROVIDED</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="KZT">84350</InstdAmt></Amt>
        <CdtrAgt><FinInstnId><BICFI>KKMFKZ2A</BICFI></FinInstnId></CdtrAgt>
        <Cdtr>
          <Nm>РГУ «Департамент государственных доходов по г. Алматы»</Nm>
          <Id><OrgId><Othr><Id>141140001547</Id><SchmeNm><Prtry>BIN</Prtry></SchmeNm></Othr></OrgId></Id>
        </Cdtr>
        <CdtrAcct><Id><IBAN>KZ24070105KSN0000000</IBAN></Id></CdtrAcct>
        <RgltryRptg>
          <DbtCdtRptgInd>BOTH</DbtCdtRptgInd>
          <Dtls><Tp>KNP</Tp><Cd>911</Cd></Dtls>
          <Dtls><Tp>KBE</Tp><Cd>11</Cd></Dtls>
          <Dtls><Tp>kbk</Tp><Cd>101201</Cd></Dtls>
        </RgltryRptg>
        <RmtInf><Ustrd>ИПН за май 2025 г.</Ustrd></RmtInf>
      </CdtTrfTxInf>
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
"#;

    fn read(xml: &str) -> Vec<ImportedTransfer> {
        match parse(xml) {
            Ok(transfers) => transfers,
            Err(error) => panic!("expected the file to be read, got:\n{error}"),
        }
    }

    fn refused(xml: &str) -> Vec<(TextPosition, Option<String>, &'static str)> {
        match parse(xml) {
            Ok(transfers) => panic!("expected a refusal, read {} transfers", transfers.len()),
            Err(error) => error.errors().iter().map(|e| (e.at, e.element.clone(), e.code())).collect(),
        }
    }

    fn sample_with(from: &str, to: &str) -> String {
        assert!(SAMPLE.contains(from), "{from:?} is in the sample");
        SAMPLE.replacen(from, to, 1)
    }

    #[test]
    fn two_transfers_become_drafts_that_parse() {
        let transfers = read(SAMPLE);
        assert_eq!(
            transfers.iter().map(|t| (t.position, t.document.line)).collect::<Vec<_>>(),
            [
                (TransactionPosition { payment_information: 1, transaction: 1 }, 19),
                (TransactionPosition { payment_information: 1, transaction: 2 }, 39),
            ]
        );
        let first = &transfers[0].document;
        assert_eq!(first.payer_iban.as_deref(), Some(PAYER_IBAN));
        assert_eq!(first.number.as_deref(), Some("101"));
        assert_eq!(first.raw.kind.as_deref(), Some("interbank"));
        assert_eq!(first.raw.amount.as_deref(), Some("150000.05"));
        assert_eq!(first.raw.payee_name.as_deref(), Some("ТОО «Ромашка» & Co"));
        assert_eq!(
            first.raw.purpose.as_deref(),
            Some("Оплата по счёту № 15 от 01.06.2025 за товары <партия 7>, без НДС и доставку")
        );
        assert_eq!(first.raw.value_date.as_deref(), Some("2025-06-03"));
        assert_eq!(first.ignored_keys, [IgnoredKey { line: 28, key: "CdtTrfTxInf/UltmtCdtr".to_owned() }]);
        assert_eq!(first.source(fields::AMOUNT), Some(Source { field: fields::AMOUNT, key: PATH_AMOUNT, line: 21 }));
        assert_eq!(first.source(fields::KBE).map(|s| s.line), Some(31));

        let second = &transfers[1].document;
        assert_eq!(second.number, None, "NOTPROVIDED and no InstrId");
        assert_eq!(second.raw.kind.as_deref(), Some("budget"));
        assert_eq!(second.raw.amount.as_deref(), Some("84350.00"), "ISO's 84350 in the API's spelling");
        assert_eq!((second.raw.knp.as_deref(), second.raw.kbk.as_deref()), (Some("911"), Some("101201")));
        assert_eq!(second.source(fields::KNP).map(|s| s.key), Some(mapping::regulatory_detail(KzCode::Knp).path));

        let directories = directories();
        for transfer in &transfers {
            let mut raw = transfer.document.raw.clone();
            raw.payer_account = Some("1".to_owned());
            let requisites = match parse_draft(&raw, &directories, TODAY, 10) {
                Ok(requisites) => requisites,
                Err(errors) => panic!("{}: {errors:#?}", transfer.position),
            };
            assert_eq!(requisites.payer_account(), AccountId::new(1));
            match (transfer.position.transaction, requisites.payee()) {
                (1, Payee::Interbank(payee)) => assert_eq!(payee.bic().as_str(), "HSBKKZKX"),
                (2, Payee::Budget { kbk, .. }) => assert_eq!(kbk.as_str(), "101201"),
                (_, other) => panic!("unexpected payee {other:?}"),
            }
        }
    }

    #[test]
    fn a_missing_amount_is_a_field_error_of_its_transfer() {
        let xml = sample_with("<Amt><InstdAmt Ccy=\"KZT\">84350</InstdAmt></Amt>\n", "");
        let mut documents: Vec<ImportedDocument> = read(&xml).into_iter().map(|t| t.document).collect();
        for document in &mut documents {
            assert_eq!(document.payer_iban.as_deref(), Some(PAYER_IBAN));
            document.resolve_payer(AccountId::new(1));
        }
        let validation = validate_batch(&documents, &directories(), TODAY, 10);
        assert!(validation.documents()[0].outcome.is_ok());
        let errors: Vec<_> =
            validation.errors().map(|e| (e.document_line, e.line, e.key, e.error.field, e.error.code)).collect();
        assert_eq!(
            errors,
            [
                (39, 39, Some(PATH_CURRENCY), fields::CURRENCY, codes::REQUIRED),
                (39, 39, Some(PATH_AMOUNT), fields::AMOUNT, codes::REQUIRED),
            ]
        );
    }

    #[test]
    fn malformed_xml_is_one_error_with_line_and_column() {
        let xml = sample_with("<Nm>ТОО «Ромашка» &amp; Co</Nm>", "<Nm>ТОО «Ромашка» & Co</Nm>");
        let errors = refused(&xml);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].2, "malformed_xml");
        assert_eq!(errors[0].0.line, 24);
        assert!(errors[0].0.column > 1);
        let cut = &SAMPLE[..SAMPLE.find("<CdtrAcct>").unwrap()];
        assert_eq!(refused(cut)[0].2, "malformed_xml");
        assert_eq!(refused("<Document><CstmrCdtTrfInitn/></Document>")[0].2, "not_pain001");
        let older = SAMPLE.replace("pain.001.001.09", "pain.001.001.03");
        assert_eq!(refused(&older)[0].2, "not_pain001");
    }

    #[test]
    fn what_refuses_a_file() {
        let codes = |xml: &str| {
            refused(xml).into_iter().map(|(at, element, code)| (at.line, element, code)).collect::<Vec<_>>()
        };
        assert_eq!(
            codes(&sample_with("<PmtMtd>TRF</PmtMtd>", "<PmtMtd>CHK</PmtMtd>")),
            [(13, Some("PmtInf/PmtMtd".to_owned()), "payment_method_refused")]
        );
        assert_eq!(
            codes(&sample_with("<NbOfTxs>2</NbOfTxs>\n      <CtrlSum>", "<NbOfTxs>3</NbOfTxs>\n      <CtrlSum>")),
            [(7, Some("GrpHdr/NbOfTxs".to_owned()), "control_count_mismatch")]
        );
        assert_eq!(
            codes(&sample_with(
                "<Purp><Prtry>710</Prtry></Purp>",
                "<Purp><Prtry>710</Prtry></Purp><Purp><Prtry>710</Prtry></Purp>"
            )),
            [(29, Some("CdtTrfTxInf/Purp".to_owned()), "duplicate_element")]
        );
        assert_eq!(
            codes(&sample_with(
                "<Dtls><Tp>KBE</Tp><Cd>17</Cd></Dtls>",
                "<Dtls><Tp>KBE</Tp><Cd>17</Cd></Dtls><Dtls><Tp>KNP</Tp><Cd>859</Cd></Dtls>"
            )),
            [(31, Some(mapping::regulatory_detail(KzCode::Knp).path.to_owned()), "conflicting_values")]
        );
        let empty = format!(
            "<Document xmlns=\"{PAIN001_NAMESPACE}\"><CstmrCdtTrfInitn><GrpHdr><MsgId>E</MsgId><NbOfTxs>0</NbOfTxs></GrpHdr></CstmrCdtTrfInitn></Document>"
        );
        assert_eq!(codes(&empty), [(1, None, "no_documents")]);
    }

    #[test]
    fn too_many_transfers_are_refused_once() {
        let start = SAMPLE.find("      <CdtTrfTxInf>").unwrap();
        let end = SAMPLE.find("      <CdtTrfTxInf>\n        <PmtId><EndToEndId>NOTPROVIDED").unwrap();
        let one = &SAMPLE[start..end];
        let many = one.repeat(IMPORT_DOCUMENTS_MAX + 1);
        let xml = SAMPLE
            .replacen(&SAMPLE[start..SAMPLE.find("    </PmtInf>").unwrap()], &many, 1)
            .replace("<NbOfTxs>2</NbOfTxs>", &format!("<NbOfTxs>{}</NbOfTxs>", IMPORT_DOCUMENTS_MAX + 1));
        let errors = refused(&xml);
        assert_eq!(errors.iter().map(|e| e.2).collect::<Vec<_>>(), ["too_many_documents"]);
    }

    #[test]
    fn amounts_take_the_currency_spelling_only_when_exact() {
        assert_eq!(canonical_amount("1500", Some("KZT")), "1500.00");
        assert_eq!(canonical_amount("1500.5", Some("KZT")), "1500.50");
        assert_eq!(canonical_amount("1500.055", Some("KZT")), "1500.055");
        assert_eq!(canonical_amount("1500", None), "1500");
        assert_eq!(canonical_amount("1500", Some("XXX")), "1500");
        assert_eq!(canonical_amount("1e3", Some("KZT")), "1e3");
    }
}
