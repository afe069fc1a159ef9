//! pacs.008.001.08 for a foreign-currency transfer (R-3.1.1.3): sent to the correspondent bank,
//! which pays the payee's bank abroad (`SttlmMtd` `INDA`: settled on the accounts between the
//! banks, not through a Kazakhstan payment system).
//!
//! What differs from a tenge transfer ([`super::pacs008`]):
//!
//! | requisite | element |
//! |---|---|
//! | amount the payer ordered | `InstdAmt` in the document's currency |
//! | amount sent on | `IntrBkSttlmAmt`: the same, less this bank's commission when the payee pays the charges (`BEN`) |
//! | who pays the charges | `ChrgBr` `DEBT` (OUR), `SHAR` (SHA), `CRED` (BEN); for `CRED` our deduction as `ChrgsInf` |
//! | intermediary bank | `IntrmyAgt1/FinInstnId/BICFI` |
//! | payee | `Cdtr/Nm`, `Cdtr/PstlAdr` (`Ctry`, the address in `AdrLine`s of 70), `Cdtr/CtryOfRes` |
//! | payee account | `CdtrAcct/Id/IBAN`, or `CdtrAcct/Id/Othr/Id` for an account number |
//! | payee bank | `CdtrAgt/FinInstnId/BICFI` (its SWIFT BIC) |
//! | contract | `RgltryRptg/Dtls` with `Tp` `CONTRACT`, `Dt` its date and `Inf` its number, after the KNP, KOd and KBe |

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::{Amount, Currency, Knp, Money};

use super::mapping::{self, KzCode};
use super::pacs008::{Party, account, agent, open_transaction, party};
use super::xml::{XmlWriter, split_chars};
use crate::document::{DocumentNumber, MessageId};
use crate::foreign::{Charges, ForeignAccount, ForeignPayee};
use crate::requisites::{Payee, Requisites};
use crate::text::Purpose;

/// `PstlAdr/AdrLine` is `Max70Text`.
const ADDRESS_LINE_LENGTH_MAX: usize = 70;

/// The `RgltryRptg/Dtls/Tp` of the currency-control contract.
pub const CONTRACT_DETAIL_TYPE: &str = "CONTRACT";

/// An outgoing foreign-currency transfer, ready to be written: plain, valid domain values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignTransfer {
    pub message_id: MessageId,
    pub created_at: Timestamp,
    pub number: DocumentNumber,
    /// What the payer ordered, in the document's currency (`InstdAmt`).
    pub amount: Amount,
    /// This bank's commission withheld from the amount when the payee pays the charges (`BEN`):
    /// in the document's currency, below the amount. `None` otherwise.
    pub withheld: Option<Money>,
    pub value_date: Date,
    pub knp: Knp,
    pub purpose: Purpose,
    /// The partner, its account's IBAN, this bank's BIC and the KOd.
    pub payer: Party,
    pub payee: ForeignPayee,
}

/// [`ForeignTransfer::from_requisites`] was given a document that is not a foreign transfer, or
/// a withheld commission that is not below the amount in its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a foreign transfer, or a withheld commission that does not fit the amount")]
pub struct NotForeignError;

impl NotForeignError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        "not_foreign"
    }
}

impl ForeignTransfer {
    pub fn from_requisites(
        requisites: &Requisites,
        payer: Party,
        withheld: Option<Money>,
        number: DocumentNumber,
        message_id: MessageId,
        created_at: Timestamp,
    ) -> Result<ForeignTransfer, NotForeignError> {
        let Payee::Foreign(payee) = requisites.payee() else {
            return Err(NotForeignError);
        };
        let amount = requisites.amount();
        if let Some(withheld) = withheld
            && (withheld.currency() != amount.currency()
                || !withheld.is_positive()
                || withheld.minor() >= amount.minor())
        {
            return Err(NotForeignError);
        }
        Ok(ForeignTransfer {
            message_id,
            created_at,
            number,
            amount,
            withheld,
            value_date: requisites.value_date(),
            knp: requisites.knp(),
            purpose: requisites.purpose().clone(),
            payer,
            payee: payee.clone(),
        })
    }

    /// What goes on to the payee's bank: the amount less a withheld commission.
    pub fn sent(&self) -> Money {
        let withheld = self.withheld.map_or(0, |money| money.minor());
        Money::from_minor(self.amount.minor() - withheld, self.amount.currency())
    }
}

/// The pacs.008.001.08 of a foreign transfer (see the module documentation).
pub fn pacs008_foreign(transfer: &ForeignTransfer) -> String {
    assert_ne!(transfer.amount.currency(), Currency::Kzt, "a foreign transfer is in foreign currency");
    let currency = transfer.amount.currency().code();
    let sent = transfer.sent().amount_string();
    let number = transfer.number.to_string();

    let mut xml = XmlWriter::new();
    open_transaction(&mut xml, &transfer.message_id, transfer.created_at, None, "INDA", &number);
    xml.text_element_with("IntrBkSttlmAmt", &[("Ccy", currency)], &sent);
    xml.text_element("IntrBkSttlmDt", &transfer.value_date.to_string());
    xml.text_element_with("InstdAmt", &[("Ccy", currency)], &transfer.amount.money().amount_string());
    let charges = transfer.payee.charges();
    xml.text_element("ChrgBr", charges.iso_code());
    if let (Charges::Ben, Some(withheld)) = (charges, transfer.withheld) {
        xml.start("ChrgsInf");
        xml.text_element_with("Amt", &[("Ccy", currency)], &withheld.amount_string());
        agent(&mut xml, "Agt", &transfer.payer.bic);
        xml.end("ChrgsInf");
    }
    if let Some(intermediary) = transfer.payee.intermediary() {
        agent(&mut xml, "IntrmyAgt1", intermediary);
    }
    party(&mut xml, "Dbtr", &transfer.payer);
    account(&mut xml, "DbtrAcct", &transfer.payer.iban);
    agent(&mut xml, "DbtrAgt", &transfer.payer.bic);
    agent(&mut xml, "CdtrAgt", transfer.payee.bic());
    creditor(&mut xml, &transfer.payee);
    xml.start("CdtrAcct");
    xml.start("Id");
    match transfer.payee.account() {
        ForeignAccount::Iban(iban) => xml.text_element("IBAN", iban.as_str()),
        ForeignAccount::Number(number) => {
            xml.start("Othr");
            xml.text_element("Id", number);
            xml.end("Othr");
        }
    }
    xml.end("Id");
    xml.end("CdtrAcct");
    xml.start("Purp");
    xml.text_element("Prtry", transfer.knp.as_str());
    xml.end("Purp");
    regulatory_reporting(&mut xml, transfer);
    xml.start("RmtInf");
    for piece in split_chars(transfer.purpose.as_str(), super::UNSTRUCTURED_REMITTANCE_LENGTH_MAX) {
        xml.text_element("Ustrd", piece);
    }
    xml.end("RmtInf");
    xml.end("CdtTrfTxInf");
    xml.end("FIToFICstmrCdtTrf");
    xml.end("Document");
    xml.finish()
}

/// `Cdtr`: name, postal address (country and lines), country of residence.
fn creditor(xml: &mut XmlWriter, payee: &ForeignPayee) {
    xml.start("Cdtr");
    xml.text_element("Nm", payee.name().as_str());
    xml.start("PstlAdr");
    xml.text_element("Ctry", payee.country().as_str());
    for line in split_chars(payee.address().as_str(), ADDRESS_LINE_LENGTH_MAX) {
        xml.text_element("AdrLine", line);
    }
    xml.end("PstlAdr");
    xml.text_element("CtryOfRes", payee.country().as_str());
    xml.end("Cdtr");
}

/// The Kazakhstan codes (KNP, KOd, KBe) as for a tenge transfer, then the contract.
fn regulatory_reporting(xml: &mut XmlWriter, transfer: &ForeignTransfer) {
    xml.start("RgltryRptg");
    xml.text_element("DbtCdtRptgInd", mapping::REGULATORY_REPORTING_SIDE);
    xml.start("Authrty");
    xml.text_element("Ctry", mapping::REGULATORY_AUTHORITY_COUNTRY);
    xml.end("Authrty");
    let kbe = transfer.payee.kbe();
    for detail in mapping::REGULATORY_DETAILS {
        let code = match detail.code {
            KzCode::Knp => transfer.knp.as_str(),
            KzCode::Kod => transfer.payer.code.as_str(),
            KzCode::Kbe => kbe.as_str(),
            KzCode::Kbk => continue,
        };
        xml.start("Dtls");
        xml.text_element("Tp", detail.detail_type);
        xml.text_element("Cd", code);
        xml.end("Dtls");
    }
    if let Some(contract) = transfer.payee.contract() {
        xml.start("Dtls");
        xml.text_element("Tp", CONTRACT_DETAIL_TYPE);
        xml.text_element("Dt", &contract.date().to_string());
        xml.text_element("Inf", contract.number());
        xml.end("Dtls");
    }
    xml.end("RgltryRptg");
}
