//! pacs.008.001.08, FIToFICustomerCreditTransfer: one outgoing tenge payment for МСПД or МКС.

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::{Amount, Bic, Currency, Iban, Kbe, Kbk, Knp, Kod, TaxpayerId};

use super::mapping::{self, KzCode};
use super::xml::{XmlWriter, split_chars};
use crate::document::{DocumentNumber, MessageId};
use crate::requisites::{Payee, Requisites};
use crate::text::{PayeeName, Purpose};

/// The namespace of the messages [`pacs008`] writes.
pub const PACS008_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08";

/// The longest `RmtInf/Ustrd` occurrence (`Max140Text`); a longer purpose is split over
/// several occurrences.
pub const UNSTRUCTURED_REMITTANCE_LENGTH_MAX: usize = 140;

/// One side of an interbank transfer, as the payment order names it (FACTS.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// The name (`Nm`, `Max140Text`, which [`PayeeName`]'s limit is).
    pub name: PayeeName,
    /// BIN for legal entities, IIN for individuals and individual entrepreneurs.
    pub taxpayer_id: TaxpayerId,
    pub iban: Iban,
    /// The party's bank: ours for the payer, the directory's BIC of the payee's bank for the
    /// payee.
    pub bic: Bic,
    /// The KOd for the payer, the KBe for the payee: residency and sector.
    pub code: Kbe,
}

/// An outgoing interbank or budget payment, ready to be written as a pacs.008: plain, already
/// valid domain values.
///
/// Invariants the writer asserts (a transfer that breaks them is a bug in the caller, as
/// [`OutgoingTransfer::from_requisites`] cannot build one): the amount is in tenge, the only
/// currency МСПД and МКС settle; a KBK is present exactly when the KNP is of the budget section
/// (9). Everything else holds by the types: names of at most 140 characters, a purpose of at
/// most 210, a message id of at most 35, a document number of at most 20 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingTransfer {
    /// `GrpHdr/MsgId` and `PmtId/TxId`: the gateway's deduplication key, and what a pacs.002
    /// answers to.
    pub message_id: MessageId,
    /// `GrpHdr/CreDtTm`.
    pub created_at: Timestamp,
    /// The payment order's number: `PmtId/InstrId` and `PmtId/EndToEndId`.
    pub number: DocumentNumber,
    pub amount: Amount,
    /// `IntrBkSttlmDt`.
    pub value_date: Date,
    pub knp: Knp,
    /// Budget payments only.
    pub kbk: Option<Kbk>,
    pub purpose: Purpose,
    /// The debtor, with our bank as its agent and its KOd.
    pub payer: Party,
    /// The creditor, with its bank and its KBe.
    pub payee: Party,
}

/// The KNP section of budget payments (FACTS.md §4, as `requisites.rs` checks it).
const KNP_SECTION_BUDGET: u8 = 9;

/// [`OutgoingTransfer::from_requisites`] was given an internal transfer, which does not leave
/// the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "only interbank and budget payments go to the Kazakhstan interbank systems; internal transfers are posted by the ledger and foreign ones go to the correspondent bank"
)]
pub struct NotInterbankError;

impl NotInterbankError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        "not_interbank"
    }
}

impl OutgoingTransfer {
    /// The transfer for confirmed requisites: the payee side, amount, KNP, KBK, purpose and
    /// value date from `requisites`; the payer side (name, BIN, IBAN, KOd and our BIC) from the
    /// partner and its account, which the requisites only name by id.
    pub fn from_requisites(
        requisites: &Requisites,
        payer: Party,
        number: DocumentNumber,
        message_id: MessageId,
        created_at: Timestamp,
    ) -> Result<OutgoingTransfer, NotInterbankError> {
        let payee = match requisites.payee() {
            Payee::Internal { .. } | Payee::Conversion { .. } | Payee::Foreign(_) => return Err(NotInterbankError),
            Payee::Interbank(payee) | Payee::Budget { payee, .. } => payee,
        };
        let transfer = OutgoingTransfer {
            message_id,
            created_at,
            number,
            amount: requisites.amount(),
            value_date: requisites.value_date(),
            knp: requisites.knp(),
            kbk: requisites.kbk(),
            purpose: requisites.purpose().clone(),
            payer,
            payee: Party {
                name: payee.name().clone(),
                taxpayer_id: *payee.taxpayer_id(),
                iban: payee.iban().clone(),
                bic: payee.bic().clone(),
                code: payee.kbe(),
            },
        };
        transfer.assert_valid();
        Ok(transfer)
    }

    fn assert_valid(&self) {
        assert_eq!(self.amount.currency(), Currency::Kzt, "МСПД and МКС settle tenge only");
        assert_eq!(
            self.kbk.is_some(),
            self.knp.section() == KNP_SECTION_BUDGET,
            "a KBK goes with a budget KNP and only with one"
        );
    }

    /// The payer's KOd.
    pub fn kod(&self) -> Kod {
        self.payer.code
    }
}

/// The pacs.008.001.08 document for one transfer.
///
/// Elements in the schema's order; the Kazakhstan codes where [`super::mapping`] puts them
/// (see the module documentation). The amount is written from its integer minor units with
/// exactly the currency's decimals (`1500.05`), never through a float.
pub fn pacs008(transfer: &OutgoingTransfer) -> String {
    transfer.assert_valid();
    let amount = transfer.amount.money().amount_string();
    let currency = transfer.amount.currency().code();
    let number = transfer.number.to_string();
    let value_date = transfer.value_date.to_string();

    let mut xml = XmlWriter::new();
    let total = Some((currency, amount.as_str()));
    open_transaction(&mut xml, &transfer.message_id, transfer.created_at, total, "CLRG", &number);
    xml.text_element_with("IntrBkSttlmAmt", &[("Ccy", currency)], &amount);
    xml.text_element("IntrBkSttlmDt", &value_date);
    xml.text_element("ChrgBr", "SLEV");
    party(&mut xml, "Dbtr", &transfer.payer);
    account(&mut xml, "DbtrAcct", &transfer.payer.iban);
    agent(&mut xml, "DbtrAgt", &transfer.payer.bic);
    agent(&mut xml, "CdtrAgt", &transfer.payee.bic);
    party(&mut xml, "Cdtr", &transfer.payee);
    account(&mut xml, "CdtrAcct", &transfer.payee.iban);
    xml.start("Purp");
    xml.text_element("Prtry", transfer.knp.as_str());
    xml.end("Purp");
    regulatory_reporting(&mut xml, transfer);
    xml.start("RmtInf");
    for piece in split_chars(transfer.purpose.as_str(), UNSTRUCTURED_REMITTANCE_LENGTH_MAX) {
        xml.text_element("Ustrd", piece);
    }
    xml.end("RmtInf");
    xml.end("CdtTrfTxInf");

    xml.end("FIToFICstmrCdtTrf");
    xml.end("Document");
    xml.finish()
}

/// The document, its group header (one transaction, its total when given, the settlement
/// method) and the opening of the transaction with its ids (`PmtId`): what every pacs.008 we send
/// starts with. The caller goes on with `IntrBkSttlmAmt` and closes `CdtTrfTxInf`.
pub(super) fn open_transaction(
    xml: &mut XmlWriter,
    message_id: &MessageId,
    created_at: Timestamp,
    total: Option<(&str, &str)>,
    settlement_method: &str,
    number: &str,
) {
    xml.start_with("Document", &[("xmlns", PACS008_NAMESPACE)]);
    xml.start("FIToFICstmrCdtTrf");
    xml.start("GrpHdr");
    xml.text_element("MsgId", message_id.as_str());
    xml.text_element("CreDtTm", &iso_date_time(created_at));
    xml.text_element("NbOfTxs", "1");
    if let Some((currency, amount)) = total {
        xml.text_element_with("TtlIntrBkSttlmAmt", &[("Ccy", currency)], amount);
    }
    xml.start("SttlmInf");
    xml.text_element("SttlmMtd", settlement_method);
    xml.end("SttlmInf");
    xml.end("GrpHdr");
    xml.start("CdtTrfTxInf");
    xml.start("PmtId");
    xml.text_element("InstrId", number);
    xml.text_element("EndToEndId", number);
    xml.text_element("TxId", message_id.as_str());
    xml.end("PmtId");
}

/// ISO 8601 in UTC to the second (`2025-06-02T10:15:00Z`): `ISODateTime`; the fraction is left
/// out because nothing downstream needs it.
pub(crate) fn iso_date_time(instant: Timestamp) -> String {
    instant.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `Nm`, `Id` (BIN under `OrgId`, IIN under `PrvtId`, with the scheme name), `CtryOfRes`.
pub(super) fn party(xml: &mut XmlWriter, element: &'static str, party: &Party) {
    let identification = match party.taxpayer_id {
        TaxpayerId::Bin(_) => "OrgId",
        TaxpayerId::Iin(_) => "PrvtId",
    };
    xml.start(element);
    xml.text_element("Nm", party.name.as_str());
    xml.start("Id");
    xml.start(identification);
    xml.start("Othr");
    xml.text_element("Id", party.taxpayer_id.as_str());
    xml.start("SchmeNm");
    xml.text_element("Prtry", mapping::taxpayer_id_scheme(&party.taxpayer_id));
    xml.end("SchmeNm");
    xml.end("Othr");
    xml.end(identification);
    xml.end("Id");
    if let Some(country) = mapping::country_of_residence(party.code) {
        xml.text_element("CtryOfRes", country);
    }
    xml.end(element);
}

pub(super) fn account(xml: &mut XmlWriter, element: &'static str, iban: &Iban) {
    xml.start(element);
    xml.start("Id");
    xml.text_element("IBAN", iban.as_str());
    xml.end("Id");
    xml.end(element);
}

pub(super) fn agent(xml: &mut XmlWriter, element: &'static str, bic: &Bic) {
    xml.start(element);
    xml.start("FinInstnId");
    xml.text_element("BICFI", bic.as_str());
    xml.end("FinInstnId");
    xml.end(element);
}

/// One `RgltryRptg` with a `Dtls` per Kazakhstan code, in [`mapping::REGULATORY_DETAILS`]
/// order; the KBK only on budget payments.
fn regulatory_reporting(xml: &mut XmlWriter, transfer: &OutgoingTransfer) {
    xml.start("RgltryRptg");
    xml.text_element("DbtCdtRptgInd", mapping::REGULATORY_REPORTING_SIDE);
    xml.start("Authrty");
    xml.text_element("Ctry", mapping::REGULATORY_AUTHORITY_COUNTRY);
    xml.end("Authrty");
    for detail in mapping::REGULATORY_DETAILS {
        let code = match detail.code {
            KzCode::Knp => Some(transfer.knp.as_str()),
            KzCode::Kod => Some(transfer.payer.code.as_str()),
            KzCode::Kbe => Some(transfer.payee.code.as_str()),
            KzCode::Kbk => transfer.kbk.as_ref().map(Kbk::as_str),
        };
        if let Some(code) = code {
            xml.start("Dtls");
            xml.text_element("Tp", detail.detail_type);
            xml.text_element("Cd", code);
            xml.end("Dtls");
        }
    }
    xml.end("RgltryRptg");
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU64;

    use quick_xml::Reader;
    use quick_xml::events::Event;
    use tiyn_core::AccountId;
    use tiyn_refdata::ReferenceData;

    use super::*;
    use crate::directories::Directories;
    use crate::requisites::{RawDocument, parse_draft};

    /// An element as the test reads it back: its path from the root (`Document/…/Nm`), its
    /// attributes and its text.
    #[derive(Debug)]
    struct Node {
        path: String,
        attributes: Vec<(String, String)>,
        text: String,
    }

    /// Every element in document order, read with quick-xml's own reader so the test does not
    /// trust the module's.
    fn flatten(xml: &str) -> Vec<Node> {
        let mut reader = Reader::from_str(xml);
        let mut path: Vec<String> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut out: Vec<Node> = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Start(start) => {
                    path.push(start.local_name().as_ref().to_owned());
                    let attributes = start
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned();
                            (a.key.as_ref().to_owned(), value)
                        })
                        .collect();
                    open.push(out.len());
                    out.push(Node { path: path.join("/"), attributes, text: String::new() });
                }
                Event::Text(text) => {
                    if let Some(&index) = open.last() {
                        out[index].text.push_str(&text.xml10_content());
                    }
                }
                Event::GeneralRef(reference) => {
                    let index = *open.last().unwrap();
                    let resolved = match reference.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => quick_xml::escape::resolve_xml_entity(&reference).unwrap().to_owned(),
                    };
                    out[index].text.push_str(&resolved);
                }
                Event::End(_) => {
                    path.pop();
                    let index = open.pop().unwrap();
                    if out[index].text.trim().is_empty() {
                        out[index].text.clear();
                    }
                }
                Event::Eof => break,
                Event::Empty(_) => panic!("the writer writes no empty elements"),
                _ => {}
            }
        }
        out
    }

    fn node<'f>(flat: &'f [Node], path: &str) -> &'f Node {
        flat.iter().find(|node| node.path == path).unwrap()
    }

    fn text_of(flat: &[Node], path: &str) -> Vec<String> {
        flat.iter().filter(|node| node.path == path).map(|node| node.text.clone()).collect()
    }

    fn one(flat: &[Node], path: &str) -> String {
        let texts = text_of(flat, path);
        assert_eq!(texts.len(), 1, "{path}: {texts:?}");
        texts[0].clone()
    }

    const TX: &str = "Document/FIToFICstmrCdtTrf/CdtTrfTxInf";

    fn reference() -> &'static ReferenceData {
        static REFERENCE: std::sync::OnceLock<ReferenceData> = std::sync::OnceLock::new();
        REFERENCE.get_or_init(|| ReferenceData::embedded().unwrap())
    }

    fn requisites(raw: &RawDocument) -> Requisites {
        let directories = Directories::new(reference(), "722").unwrap();
        parse_draft(raw, &directories, jiff::civil::date(2025, 6, 2), 10).unwrap()
    }

    fn text(value: &str) -> Option<String> {
        Some(value.to_owned())
    }

    fn interbank_raw() -> RawDocument {
        RawDocument {
            kind: text("interbank"),
            payer_account: text("1"),
            amount: text("1500.05"),
            currency: text("KZT"),
            knp: text("710"),
            purpose: text("Оплата по счёту <№15> & акту, без НДС"),
            value_date: text("2025-06-03"),
            payee_name: text("ТОО «Ромашка» & Co"),
            payee_bin: text("180140010005"),
            payee_iban: text("KZ806014482455345985"),
            payee_bic: text("HSBKKZKX"),
            kbe: text("17"),
            ..RawDocument::default()
        }
    }

    fn budget_raw() -> RawDocument {
        RawDocument {
            kind: text("budget"),
            payer_account: text("1"),
            amount: text("84350.00"),
            currency: text("KZT"),
            knp: text("911"),
            purpose: text("ИПН за май 2025 г."),
            value_date: text("2025-06-04"),
            payee_name: text("РГУ «Департамент государственных доходов по г. Алматы»"),
            payee_bin: text("141140001547"),
            payee_iban: text("KZ24070105KSN0000000"),
            kbe: text("11"),
            kbk: text("101201"),
            ..RawDocument::default()
        }
    }

    /// An individual entrepreneur paying from our bank (Kaspi, 722): IIN, KOd 19.
    fn payer() -> Party {
        Party {
            name: PayeeName::parse("ИП Ахметов").unwrap(),
            taxpayer_id: TaxpayerId::parse("900101310004").unwrap(),
            iban: Iban::parse("KZ52722S004010602810").unwrap(),
            bic: Bic::parse("CASPKZKA").unwrap(),
            code: Kod::parse("19").unwrap(),
        }
    }

    fn transfer(raw: &RawDocument) -> OutgoingTransfer {
        OutgoingTransfer::from_requisites(
            &requisites(raw),
            payer(),
            DocumentNumber::new(NonZeroU64::new(42).unwrap()),
            MessageId::parse("TIYN20250602000000042").unwrap(),
            Timestamp::from_second(1_748_859_300).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn an_interbank_transfer_has_every_element_with_exact_values() {
        let xml = pacs008(&transfer(&interbank_raw()));
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains("&lt;№15&gt; &amp; акту"), "escaped, Cyrillic as it is:\n{xml}");
        assert!(xml.contains("ТОО «Ромашка» &amp; Co"), "{xml}");
        let flat = flatten(&xml);
        assert_eq!(flat[0].path, "Document");
        assert_eq!(flat[0].attributes, [("xmlns".to_owned(), PACS008_NAMESPACE.to_owned())]);
        let header = "Document/FIToFICstmrCdtTrf/GrpHdr";
        assert_eq!(one(&flat, &format!("{header}/MsgId")), "TIYN20250602000000042");
        assert_eq!(one(&flat, &format!("{header}/CreDtTm")), "2025-06-02T10:15:00Z");
        assert_eq!(one(&flat, &format!("{header}/NbOfTxs")), "1");
        assert_eq!(one(&flat, &format!("{header}/SttlmInf/SttlmMtd")), "CLRG");
        let total = node(&flat, &format!("{header}/TtlIntrBkSttlmAmt"));
        assert_eq!(
            (total.attributes.clone(), total.text.as_str()),
            (vec![("Ccy".to_owned(), "KZT".to_owned())], "1500.05")
        );

        let expected = [
            ("PmtId/InstrId", "42"),
            ("PmtId/EndToEndId", "42"),
            ("PmtId/TxId", "TIYN20250602000000042"),
            ("IntrBkSttlmAmt", "1500.05"),
            ("IntrBkSttlmDt", "2025-06-03"),
            ("ChrgBr", "SLEV"),
            ("Dbtr/Nm", "ИП Ахметов"),
            ("Dbtr/Id/PrvtId/Othr/Id", "900101310004"),
            ("Dbtr/Id/PrvtId/Othr/SchmeNm/Prtry", "IIN"),
            ("Dbtr/CtryOfRes", "KZ"),
            ("DbtrAcct/Id/IBAN", "KZ52722S004010602810"),
            ("DbtrAgt/FinInstnId/BICFI", "CASPKZKA"),
            ("CdtrAgt/FinInstnId/BICFI", "HSBKKZKX"),
            ("Cdtr/Nm", "ТОО «Ромашка» & Co"),
            ("Cdtr/Id/OrgId/Othr/Id", "180140010005"),
            ("Cdtr/Id/OrgId/Othr/SchmeNm/Prtry", "BIN"),
            ("Cdtr/CtryOfRes", "KZ"),
            ("CdtrAcct/Id/IBAN", "KZ806014482455345985"),
            ("Purp/Prtry", "710"),
            ("RgltryRptg/DbtCdtRptgInd", "BOTH"),
            ("RgltryRptg/Authrty/Ctry", "KZ"),
            ("RmtInf/Ustrd", "Оплата по счёту <№15> & акту, без НДС"),
        ];
        for (path, value) in expected {
            assert_eq!(one(&flat, &format!("{TX}/{path}")), value, "{path}");
        }
        let amount = node(&flat, &format!("{TX}/IntrBkSttlmAmt"));
        assert_eq!(amount.attributes, [("Ccy".to_owned(), "KZT".to_owned())]);
        assert_eq!(text_of(&flat, &format!("{TX}/RgltryRptg/Dtls/Tp")), ["KNP", "KOD", "KBE"]);
        assert_eq!(text_of(&flat, &format!("{TX}/RgltryRptg/Dtls/Cd")), ["710", "19", "17"]);

        // The schema's sequence of CreditTransferTransaction39, for the elements written.
        let children: Vec<&str> = flat
            .iter()
            .filter_map(|node| node.path.strip_prefix(&format!("{TX}/")))
            .filter(|rest| !rest.contains('/'))
            .collect();
        assert_eq!(
            children,
            [
                "PmtId",
                "IntrBkSttlmAmt",
                "IntrBkSttlmDt",
                "ChrgBr",
                "Dbtr",
                "DbtrAcct",
                "DbtrAgt",
                "CdtrAgt",
                "Cdtr",
                "CdtrAcct",
                "Purp",
                "RgltryRptg",
                "RmtInf"
            ]
        );
    }

    #[test]
    fn a_budget_payment_carries_its_kbk_and_the_treasury() {
        let xml = pacs008(&transfer(&budget_raw()));
        let flat = flatten(&xml);
        assert_eq!(one(&flat, &format!("{TX}/IntrBkSttlmAmt")), "84350.00");
        assert_eq!(one(&flat, &format!("{TX}/CdtrAcct/Id/IBAN")), "KZ24070105KSN0000000");
        assert_eq!(one(&flat, &format!("{TX}/CdtrAgt/FinInstnId/BICFI")), "KKMFKZ2A");
        assert_eq!(one(&flat, &format!("{TX}/Cdtr/Id/OrgId/Othr/Id")), "141140001547");
        assert_eq!(one(&flat, &format!("{TX}/Purp/Prtry")), "911");
        assert_eq!(text_of(&flat, &format!("{TX}/RgltryRptg/Dtls/Tp")), ["KNP", "KOD", "KBE", "KBK"]);
        assert_eq!(text_of(&flat, &format!("{TX}/RgltryRptg/Dtls/Cd")), ["911", "19", "11", "101201"]);
    }

    #[test]
    fn a_long_purpose_is_split_into_ustrd_of_140_characters() {
        let mut raw = interbank_raw();
        let purpose = format!("{}{}", "Оплата ".repeat(29), "я".repeat(7));
        assert_eq!(purpose.chars().count(), 210);
        raw.purpose = Some(purpose.clone());
        let flat = flatten(&pacs008(&transfer(&raw)));
        let pieces = text_of(&flat, &format!("{TX}/RmtInf/Ustrd"));
        assert_eq!(pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), [140, 70]);
        assert_eq!(pieces.concat(), purpose);
        // 300 characters, more than a purpose holds, through the splitter itself.
        let long = "ә".repeat(300);
        let pieces = split_chars(&long, UNSTRUCTURED_REMITTANCE_LENGTH_MAX);
        assert_eq!(pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), [140, 140, 20]);
    }

    #[test]
    fn a_non_resident_payee_has_no_country_of_residence() {
        let mut transfer = transfer(&interbank_raw());
        transfer.payee.code = Kbe::parse("27").unwrap();
        let flat = flatten(&pacs008(&transfer));
        assert!(text_of(&flat, &format!("{TX}/Cdtr/CtryOfRes")).is_empty());
        assert_eq!(one(&flat, &format!("{TX}/Dbtr/CtryOfRes")), "KZ");
    }

    #[test]
    fn an_internal_transfer_is_not_interbank() {
        let raw = RawDocument {
            kind: text("internal"),
            payer_account: text("1"),
            amount: text("10.00"),
            currency: text("KZT"),
            knp: text("343"),
            purpose: text("Между счетами"),
            value_date: text("2025-06-02"),
            payee_account: text("2"),
            ..RawDocument::default()
        };
        let requisites = requisites(&raw);
        assert_eq!(requisites.payer_account(), AccountId::new(1));
        let result = OutgoingTransfer::from_requisites(
            &requisites,
            payer(),
            DocumentNumber::new(NonZeroU64::new(1).unwrap()),
            MessageId::parse("M1").unwrap(),
            Timestamp::UNIX_EPOCH,
        );
        assert_eq!(result.map_err(|error| error.code()), Err("not_interbank"));
    }

    #[test]
    #[should_panic(expected = "tenge only")]
    fn a_foreign_currency_transfer_is_a_bug() {
        let mut transfer = transfer(&interbank_raw());
        transfer.amount = Amount::parse("10.00", Currency::Usd).unwrap();
        pacs008(&transfer);
    }
}
