//! ISO 20022 messages, pure: the pacs.008 we send to the interbank systems, the pacs.002 they
//! answer with, and (through [`crate::import::pain001`]) the pain.001 files clients' accounting
//! programs export.
//!
//! Since 13.01.2025 МСПД (the RTGS) and МКС (clearing) take tenge payments only as ISO 20022 MX:
//! pacs.008 in, pacs.002 status back (FACTS.md §7).
//!
//! - [`pacs008`] writes one [`OutgoingTransfer`] as a pacs.008.001.08
//!   FIToFICustomerCreditTransfer: one message per transfer, so the message id is also the
//!   transaction id and a status names it either way.
//! - [`parse_pacs002`] reads a pacs.002.001.10 FIToFIPaymentStatusReport into
//!   [`TransferStatus`]es (settled, rejected with its reason, pending); [`pacs002`] writes one,
//!   for the gateway simulator.
//! - [`parse_pain001`] (the same function as [`crate::import::pain001::parse`]) reads a
//!   pain.001.001.09 CustomerCreditTransferInitiation into drafts for the batch import.
//!
//! Nothing here does I/O or reads a clock: instants, ids and numbers are inputs, messages are
//! strings. XML goes through quick-xml's event reader and writer; every text is escaped when
//! written, a read refuses DOCTYPEs (so no entity but XML's five), and sizes are bounded.
//!
//! # How the Kazakhstan requisites are carried
//!
//! The NBK's MX usage guidelines for МСПД/МКС were not found (FACTS.md, "What is still
//! missing", 5), so the mapping below is ours. It follows the base ISO 20022 schemas only: every
//! element is where the schema allows it, so a message validates against the published XSD,
//! and every Kazakhstan choice sits in [`mapping`] so that adopting the official guideline is a
//! change of one table.
//!
//! | requisite | element | why |
//! |---|---|---|
//! | document number | `PmtId/InstrId` and `PmtId/EndToEndId` | the payer's reference, which ISO carries end to end to the payee, as MT's `/NUM/` did |
//! | message id | `GrpHdr/MsgId`, `PmtId/TxId` | one transfer per message; the gateway deduplicates by it and pacs.002 answers to it |
//! | amount | `IntrBkSttlmAmt Ccy="KZT"` and `GrpHdr/TtlIntrBkSttlmAmt` | from integer tiyns with exactly two decimals |
//! | value date | `IntrBkSttlmDt` | |
//! | payer / payee name | `Dbtr/Nm`, `Cdtr/Nm` | `Max140Text`, the limit of [`crate::PayeeName`] |
//! | BIN | `Id/OrgId/Othr/Id` with `SchmeNm/Prtry` `BIN` | ISO's generic organisation id; the scheme name says which Kazakhstan number it is |
//! | IIN | `Id/PrvtId/Othr/Id` with `SchmeNm/Prtry` `IIN` | an IIN is a person's (an individual entrepreneur's too), and ISO puts persons under `PrvtId` |
//! | residency | `Dbtr/CtryOfRes`, `Cdtr/CtryOfRes` = `KZ` for residents (first digit 1 of the KOd/KBe) | FACTS.md §7: MX messages carry a residency country; a non-resident's country is not in the requisites, so none is written |
//! | IBANs | `DbtrAcct/Id/IBAN`, `CdtrAcct/Id/IBAN` | |
//! | banks | `DbtrAgt/FinInstnId/BICFI` (ours), `CdtrAgt/FinInstnId/BICFI` | |
//! | KNP | `Purp/Prtry`, and `RgltryRptg/Dtls` `Tp` `KNP` | `Purp` is ISO's element for a purpose code, and the KNP is the purpose code of Kazakhstan; it is repeated in the regulatory block so that all NBK codes are in one place |
//! | KOd, KBe | `RgltryRptg/Dtls` with `Tp` `KOD`, `KBE` and the code in `Cd` | residency and sector of the economy are statistical codes of the NBK (resolution No. 203), which is what `RgltryRptg` ("information needed by regulatory and statutory authorities") is for; ISO has no sector element |
//! | KBK | `RgltryRptg/Dtls` `Tp` `KBK`, budget payments only | the budget classification is a code for the treasury, a statutory authority; keeping it with the other codes makes one block, where `Tax` would need a tax record structure the requisites do not have |
//! | purpose | `RmtInf/Ustrd`, cut every 140 characters | `Ustrd` is `Max140Text`; a 210-character purpose takes two |
//!
//! The regulatory block is one `RgltryRptg` with `DbtCdtRptgInd` `BOTH` and `Authrty/Ctry`
//! `KZ`, then a `Dtls` per code in the order KNP, KOD, KBE, KBK. The charges are `SLEV`
//! (each side pays its own bank, the rule for domestic payments) and the settlement method
//! `CLRG` (settled through the clearing or gross system itself, not through accounts between
//! the two banks).
//!
//! A pain.001 is read with the same mapping: the KNP from `Purp/Prtry` or the `KNP` detail, the
//! KBe and KBK from their details, the payee's IIN/BIN from `Cdtr/Id`.
//!
//! # Status codes
//!
//! `ACSC`, `ACCC` and `ACSP` mean settled, `RJCT` rejected, `PDNG` and the acceptance steps
//! before settlement (`RCVD`, `ACTC`, `ACCP`, `ACFC`, `ACWC`) pending; any other code is an
//! error for a person to look at (see [`parse_pacs002`]).

mod foreign;
pub mod mapping;
mod pacs002;
mod pacs008;
pub(crate) mod xml;

pub use foreign::{CONTRACT_DETAIL_TYPE, ForeignTransfer, NotForeignError, pacs008_foreign};
pub use pacs002::{
    ADDITIONAL_INFORMATION_LENGTH_MAX, CorrespondentDebit, Equivalent, InterbankStatus, PACS002_BYTES_MAX,
    PACS002_NAMESPACE, Pacs002Error, REASON_CODE_LENGTH_MAX, TransferStatus, pacs002, parse_pacs002,
};
pub use pacs008::{
    NotInterbankError, OutgoingTransfer, PACS008_NAMESPACE, Party, UNSTRUCTURED_REMITTANCE_LENGTH_MAX, pacs008,
};
pub use xml::{TextPosition, XmlError, XmlReason};

pub use crate::import::pain001::parse as parse_pain001;
