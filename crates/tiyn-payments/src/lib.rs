//! Payment documents, pure: the domain core of Tiyn's electronic payment services
//! (R-3.1.1.2, R-6.1.3, R-4.11, R-4.13, R-8.8, R-5.9).
//!
//! A client's document arrives as text ([`RawDocument`]). [`parse_draft`] turns it into
//! [`Requisites`] — the payment order's content, checked against Kazakhstan's rules and the
//! reference directories ([`Directories`]) — or into the list of *every* problem, each naming
//! its API field and a stable code ([`FieldError`], [`codes`]). The requisites live in a
//! [`Document<S>`] whose type is its state ([`Draft`], [`AwaitingConfirmation`], [`Confirmed`],
//! [`Executed`], [`Sent`], [`Settled`], [`Refused`]). A batch of documents is confirmed with one
//! code bound to the digest of exactly their content ([`BatchChallenge`], [`batch_digest`],
//! [`Document::canonical_bytes`]), shown to the user with its count and totals
//! ([`BatchSummary`]). Drafts can also come in batches from a client's accounting program:
//! [`import`] reads a 1C client-bank exchange file into raw documents and validates them all,
//! each error placed at its line and key in the file.
//!
//! # Invariants
//!
//! - A [`Requisites`] value is a valid payment order of its kind: positive amount with the
//!   currency's exact minor digits; a KNP of the directory; for interbank and budget payments
//!   tenge, a valid payee IIN/BIN, a KBe consistent with it, a Kazakhstan IBAN of another bank
//!   and the BIC the NBK directory gives for it; for budget payments the treasury account, KBe
//!   11, a budget KNP and a KBK of the directory; for internal transfers two different
//!   accounts. [`parse_draft`] is the only way to build one.
//! - Only a [`Document<Draft>`] can be edited or deleted: the methods exist on no other state.
//! - A document leaves [`AwaitingConfirmation`] for [`Confirmed`] only through
//!   [`BatchChallenge::confirm`], and only if its content digest is still the one the code was
//!   issued for; a batch is confirmed whole or not at all.
//! - Every confirmed document carries its [`ConfirmationEvidence`] into every later state.
//! - Every refusal has a stable code: [`FieldError::code`] for requisites, [`RefusalCode`] for
//!   documents, `code()` on every error type.
//! - Totals are exact: integer minor units, checked arithmetic, no floats (the clippy
//!   `float_arithmetic` lint is denied).
//!
//! Besides documents: [`import`] reads 1C client-bank exchange files into drafts, [`tariff`]
//! prices documents and [`limits`] checks the bank's limits against a day's usage the
//! caller counted — both pure, with the numbers as inputs. [`iso20022`]
//! writes the pacs.008 of an outgoing payment and reads the pacs.002 status the interbank
//! systems answer with (and pain.001 files for the import), with Kazakhstan's codes mapped in
//! one table.
//!
//! # What this crate deliberately does not do
//!
//! No storage, no HTTP, no serde, no async, no clock and no randomness: ids, document numbers,
//! users, sessions and instants are inputs, and `today` is the caller's business date. It does
//! not verify codes (tiyn-auth does), move money (tiyn-ledger does), check balances,
//! restrictions or AML lists (later parts of the payments issue), or know whether the
//! payer account belongs to the user's partner (the store's access gate). Foreign-currency and
//! conversion documents come with the currency issue.

mod digest;
mod directories;
mod document;
mod field;
mod foreign;
pub mod import;
pub mod iso20022;
mod kind;
pub mod limits;
mod requisites;
pub mod tariff;
mod text;

pub use digest::{
    BATCH_DOCUMENTS_MAX, BatchChallenge, BatchConfirmError, BatchError, BatchMember, BatchSummary,
    CANONICAL_ENCODING_VERSION, batch_digest, digest_hex, members_digest,
};
pub use directories::{Directories, DirectoriesError};
pub use document::{
    AnyDocument, AwaitingConfirmation, Confirmation, ConfirmationChannel, ConfirmationEvidence, Confirmed,
    ConfirmedInternal, ConfirmedOutgoing, Deletion, Document, DocumentHeader, DocumentId, DocumentNumber, Draft,
    Executed, MESSAGE_ID_LENGTH_MAX, MessageId, MessageIdError, REFUSAL_REASON_LENGTH_MAX, Refusal, RefusalCode,
    Refused, RestoreError, Route, Sent, Settled, State, Status,
};
pub use field::{FieldError, codes, fields};
pub use foreign::{
    ACCOUNT_NUMBER_LENGTH_MAX, CONTRACT_NUMBER_LENGTH_MAX, Charges, Contract, ForeignAccount, ForeignPayee,
    PAYEE_ADDRESS_LENGTH_MAX, PayeeAddress,
};
pub use kind::{DocumentKind, KindError};
pub use requisites::{
    BankPayee, Payee, RawDocument, Requisites, VALUE_DATE_HORIZON_WORKING_DAYS_MAX, check_value_date, parse_draft,
};
pub use text::{PAYEE_NAME_LENGTH_MAX, PURPOSE_LENGTH_MAX, PayeeName, Purpose, TextError};
