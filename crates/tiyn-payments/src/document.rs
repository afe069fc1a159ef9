//! The life of a payment document as types (R-3.1.1.2).
//!
//! ```text
//! Draft ──submit──▶ AwaitingConfirmation ──confirm (batch, one code)──▶ Confirmed
//!   ▲  edit/delete        │ withdraw                                      │ route
//!   └─────────────────────┘                    ┌──────────────────────────┴───────────┐
//!                                      internal: execute                 interbank/budget: send
//!                                              ▼                                       ▼
//!                                          Executed                    Sent ──settle──▶ Settled
//!                                                                          └──refuse──▶ Refused
//!                       (a Confirmed document can also be refused before it is executed or sent)
//! ```
//!
//! [`Document<S>`] is generic over its state, and each transition consumes the document and
//! returns it in the next state, so what may happen in a state is what its `impl` block offers:
//! only a [`Draft`] has `edit` and `delete`; a confirmation exists only as
//! [`crate::BatchChallenge::confirm`], which takes documents [`AwaitingConfirmation`] whose
//! content digest is still the one the code was issued for. Instants, users and ids are plain
//! values passed in: this module reads no clock and allocates no ids.

use std::fmt;
use std::num::NonZeroU64;

use jiff::Timestamp;
use tiyn_core::{EntryId, HoldId, SessionId, UserId};

use crate::kind::DocumentKind;
use crate::requisites::Requisites;

/// A payment document's id, allocated by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId(i64);

impl DocumentId {
    pub const fn new(raw: i64) -> DocumentId {
        DocumentId(raw)
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The number printed on a payment order: numeric and, by the store's allocation, sequential
/// per partner (FACTS.md §6 asks for numeric and sequential per client account; a partner's
/// sequence is that for each of its accounts, with gaps, and survives a change of the payer
/// account in a draft). Never zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentNumber(NonZeroU64);

impl DocumentNumber {
    pub const fn new(number: NonZeroU64) -> DocumentNumber {
        DocumentNumber(number)
    }

    pub const fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a document is besides its requisites: identity and authorship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentHeader {
    pub id: DocumentId,
    pub number: DocumentNumber,
    pub created_by: UserId,
    pub created_at: Timestamp,
    /// The last user who changed the requisites (the creator until someone edits).
    pub edited_by: UserId,
    pub edited_at: Timestamp,
}

/// The status names of the API (`status` of a payment document).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Draft,
    AwaitingConfirmation,
    Confirmed,
    Executed,
    Sent,
    Settled,
    Refused,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Draft,
        Status::AwaitingConfirmation,
        Status::Confirmed,
        Status::Executed,
        Status::Sent,
        Status::Settled,
        Status::Refused,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::AwaitingConfirmation => "awaiting_confirmation",
            Status::Confirmed => "confirmed",
            Status::Executed => "executed",
            Status::Sent => "sent",
            Status::Settled => "settled",
            Status::Refused => "refused",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Whether the document will not change any more.
    pub const fn is_final(self) -> bool {
        matches!(self, Status::Executed | Status::Settled | Status::Refused)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A state a [`Document`] can be in. Sealed: the states are this module's.
pub trait State: sealed::Sealed + fmt::Debug + Clone {
    /// The API status of documents in this state.
    const STATUS: Status;

    /// The content digest recorded when the document left the draft state; `None` for a draft.
    /// [`Document::restore`] checks it against the requisites.
    fn recorded_content_digest(&self) -> Option<&[u8; 32]>;

    /// Wraps a document of this state for code that handles documents of any state.
    fn into_any(document: Document<Self>) -> AnyDocument;
}

/// Being written: the only state in which the requisites change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draft;

/// Sent for confirmation: the content is frozen and its digest recorded; it can be confirmed
/// (in a batch, with one code) or withdrawn to a draft to be edited again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwaitingConfirmation {
    pub submitted_by: UserId,
    pub submitted_at: Timestamp,
    /// SHA-256 of the document's canonical bytes when it was submitted.
    pub content_digest: [u8; 32],
}

/// Confirmed with a code (R-4.11): an instruction to the bank, with its evidence (R-5.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub evidence: ConfirmationEvidence,
}

/// An internal transfer posted through the ledger. Final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    pub evidence: ConfirmationEvidence,
    /// The ledger entry that moved the money.
    pub entry: EntryId,
    pub executed_at: Timestamp,
}

/// An interbank or budget payment handed to the interbank gateway, its amount held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub evidence: ConfirmationEvidence,
    /// The hold on the payer's account, posted on settlement and released on rejection.
    pub hold: HoldId,
    pub message_id: MessageId,
    pub sent_at: Timestamp,
}

/// Settled by the interbank system. Final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub evidence: ConfirmationEvidence,
    pub hold: HoldId,
    pub message_id: MessageId,
    pub sent_at: Timestamp,
    pub settled_at: Timestamp,
}

/// Refused after confirmation, by the bank's checks or by the interbank system. Final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub evidence: ConfirmationEvidence,
    pub refusal: Refusal,
    /// The hold to release, when the payment had been sent.
    pub hold: Option<HoldId>,
}

macro_rules! state {
    ($state:ident, $status:ident, $variant:ident, |$this:ident| $digest:expr) => {
        impl sealed::Sealed for $state {}

        impl State for $state {
            const STATUS: Status = Status::$status;

            fn recorded_content_digest(&self) -> Option<&[u8; 32]> {
                let $this = self;
                $digest
            }

            fn into_any(document: Document<Self>) -> AnyDocument {
                AnyDocument::$variant(document)
            }
        }
    };
}

state!(Draft, Draft, Draft, |_state| None);
state!(AwaitingConfirmation, AwaitingConfirmation, AwaitingConfirmation, |state| Some(&state.content_digest));
state!(Confirmed, Confirmed, Confirmed, |state| Some(&state.evidence.content_digest));
state!(Executed, Executed, Executed, |state| Some(&state.evidence.content_digest));
state!(Sent, Sent, Sent, |state| Some(&state.evidence.content_digest));
state!(Settled, Settled, Settled, |state| Some(&state.evidence.content_digest));
state!(Refused, Refused, Refused, |state| Some(&state.evidence.content_digest));

/// How the user proved the instruction: the code's channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfirmationChannel {
    Sms,
    Marker,
}

impl ConfirmationChannel {
    pub const fn as_str(self) -> &'static str {
        match self {
            ConfirmationChannel::Sms => "sms",
            ConfirmationChannel::Marker => "marker",
        }
    }

    pub fn parse(text: &str) -> Option<ConfirmationChannel> {
        [ConfirmationChannel::Sms, ConfirmationChannel::Marker].into_iter().find(|channel| channel.as_str() == text)
    }
}

/// What the caller knows about a code that was just verified for a batch: the input of
/// [`crate::BatchChallenge::confirm`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    /// The id of the code-issue record (tiyn-auth's `ChallengeId`, as text, so that this crate
    /// does not depend on tiyn-auth).
    pub challenge: String,
    pub confirmed_by: UserId,
    pub session: SessionId,
    pub channel: ConfirmationChannel,
    pub confirmed_at: Timestamp,
}

/// The proof kept with every confirmed document (R-5.9): who confirmed what, when, with which
/// code issue and session, and the exact content (its digest, and the batch's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationEvidence {
    pub challenge: String,
    pub confirmed_by: UserId,
    pub session: SessionId,
    pub channel: ConfirmationChannel,
    pub confirmed_at: Timestamp,
    /// The digest the code was bound to ([`crate::batch_digest`]).
    pub batch_digest: [u8; 32],
    /// This document's digest ([`Document::content_digest`]).
    pub content_digest: [u8; 32],
}

/// Why the bank or the interbank system refused a confirmed document: stable codes the API
/// returns as `refusal.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalCode {
    /// Amount plus commission exceed the available balance (R-6.1.1, R-6.3.2).
    InsufficientFunds,
    /// A limit per operation, day, partner, user or kind (R-6.1.7, R-4.13).
    LimitExceeded,
    /// An arrest or a suspension of debits (R-6.1.2).
    AccountRestricted,
    /// The account is closed or being closed (R-10.2.4).
    AccountClosed,
    /// The bank has switched this kind of document off for the partner (R-3.2).
    ServiceDisabled,
    /// The payee matches the list of persons linked to terrorism or extremism financing (R-6.1.5).
    AmlMatch,
    /// The confirmer was blocked before the confirmation took effect (R-9.8).
    ConfirmerBlocked,
    /// The value date passed before the document could be executed.
    ValueDateExpired,
    /// The amount's currency is not the payer account's.
    CurrencyMismatch,
    /// The interbank system rejected the payment (pacs.002); the reason text says why.
    GatewayRejected,
    /// A conversion whose value date came when the bank had no rate for its currencies.
    NoRate,
}

impl RefusalCode {
    pub const ALL: [RefusalCode; 11] = [
        RefusalCode::InsufficientFunds,
        RefusalCode::LimitExceeded,
        RefusalCode::AccountRestricted,
        RefusalCode::AccountClosed,
        RefusalCode::ServiceDisabled,
        RefusalCode::AmlMatch,
        RefusalCode::ConfirmerBlocked,
        RefusalCode::ValueDateExpired,
        RefusalCode::CurrencyMismatch,
        RefusalCode::GatewayRejected,
        RefusalCode::NoRate,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            RefusalCode::InsufficientFunds => "insufficient_funds",
            RefusalCode::LimitExceeded => "limit_exceeded",
            RefusalCode::AccountRestricted => "account_restricted",
            RefusalCode::AccountClosed => "account_closed",
            RefusalCode::ServiceDisabled => "service_disabled",
            RefusalCode::AmlMatch => "aml_match",
            RefusalCode::ConfirmerBlocked => "confirmer_blocked",
            RefusalCode::ValueDateExpired => "value_date_expired",
            RefusalCode::CurrencyMismatch => "currency_mismatch",
            RefusalCode::GatewayRejected => "gateway_rejected",
            RefusalCode::NoRate => "no_rate",
        }
    }

    pub fn parse(text: &str) -> Option<RefusalCode> {
        RefusalCode::ALL.into_iter().find(|code| code.as_str() == text)
    }
}

impl fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest refusal reason kept, in characters: enough for a limit's name and values or an
/// interbank reject's additional information (pacs.002 `AddtlInf` is up to 105 characters per
/// occurrence), short enough for a notice. A longer reason is cut, because the code, not the
/// text, is the decision.
pub const REFUSAL_REASON_LENGTH_MAX: usize = 500;

/// A refusal: its stable code, a human reason and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: RefusalCode,
    pub reason: String,
    pub refused_at: Timestamp,
}

impl Refusal {
    /// The reason is trimmed and cut to [`REFUSAL_REASON_LENGTH_MAX`] characters.
    pub fn new(code: RefusalCode, reason: &str, refused_at: Timestamp) -> Refusal {
        let reason: String = reason.trim().chars().take(REFUSAL_REASON_LENGTH_MAX).collect();
        Refusal { code, reason, refused_at }
    }
}

/// The longest interbank message id: ISO 20022 `MsgId` is `Max35Text`.
pub const MESSAGE_ID_LENGTH_MAX: usize = 35;

/// The id of the outgoing interbank message that carries a payment; the gateway deduplicates by
/// it. 1 to [`MESSAGE_ID_LENGTH_MAX`] visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a message id is 1 to 35 visible ASCII characters")]
pub struct MessageIdError;

impl MessageIdError {
    pub fn code(&self) -> &'static str {
        "invalid_message_id"
    }
}

impl MessageId {
    pub fn parse(text: &str) -> Result<MessageId, MessageIdError> {
        let valid = (1..=MESSAGE_ID_LENGTH_MAX).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
        if valid { Ok(MessageId(text.to_owned())) } else { Err(MessageIdError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A payment document in state `S`.
///
/// Only a draft can be edited or deleted (R-3.1.1.2). This compiles:
///
/// ```
/// # use tiyn_payments::{Document, Draft, Requisites};
/// # use tiyn_core::UserId;
/// # use jiff::Timestamp;
/// fn change(document: &mut Document<Draft>, requisites: Requisites, by: UserId, at: Timestamp) {
///     document.edit(requisites, by, at);
/// }
/// ```
///
/// and each of these does not, because the method does not exist in that state (E0599):
///
/// ```compile_fail,E0599
/// # use tiyn_payments::{AwaitingConfirmation, Document, Requisites};
/// # use tiyn_core::UserId;
/// # use jiff::Timestamp;
/// fn change(document: &mut Document<AwaitingConfirmation>, requisites: Requisites, by: UserId, at: Timestamp) {
///     document.edit(requisites, by, at);
/// }
/// ```
///
/// ```compile_fail,E0599
/// # use tiyn_payments::{Confirmed, Document, Requisites};
/// # use tiyn_core::UserId;
/// # use jiff::Timestamp;
/// fn change(document: &mut Document<Confirmed>, requisites: Requisites, by: UserId, at: Timestamp) {
///     document.edit(requisites, by, at);
/// }
/// ```
///
/// ```compile_fail,E0599
/// # use tiyn_payments::{Document, Sent};
/// # use tiyn_core::UserId;
/// # use jiff::Timestamp;
/// fn remove(document: Document<Sent>, by: UserId, at: Timestamp) {
///     document.delete(by, at);
/// }
/// ```
///
/// A document is confirmed only through [`crate::BatchChallenge::confirm`], never on its own
/// (the method is private to the crate, E0624):
///
/// ```compile_fail,E0624
/// # use tiyn_payments::{AwaitingConfirmation, ConfirmationEvidence, Document};
/// fn confirm(document: Document<AwaitingConfirmation>, evidence: ConfirmationEvidence) {
///     document.confirm(evidence);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document<S: State> {
    header: DocumentHeader,
    requisites: Requisites,
    state: S,
}

/// Why a stored document could not be restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    /// The requisites no longer hash to the digest recorded when the document was submitted or
    /// confirmed: the stored content was altered.
    #[error("document {id}: the stored content does not match its recorded digest")]
    ContentDigestMismatch { id: DocumentId },
}

impl RestoreError {
    pub fn code(&self) -> &'static str {
        "content_digest_mismatch"
    }
}

/// Reading a document in any state.
impl<S: State> Document<S> {
    /// Rebuilds a document from what a store saved. For storage backends only: every other path
    /// to a state goes through its transition. The recorded content digest, if the state has
    /// one, must match the requisites, so content altered in storage is caught on read.
    pub fn restore(header: DocumentHeader, requisites: Requisites, state: S) -> Result<Document<S>, RestoreError> {
        let document = Document { header, requisites, state };
        match document.state.recorded_content_digest() {
            Some(recorded) if *recorded != document.content_digest() => {
                Err(RestoreError::ContentDigestMismatch { id: header.id })
            }
            _ => Ok(document),
        }
    }

    pub fn header(&self) -> &DocumentHeader {
        &self.header
    }

    pub fn id(&self) -> DocumentId {
        self.header.id
    }

    pub fn number(&self) -> DocumentNumber {
        self.header.number
    }

    pub fn kind(&self) -> DocumentKind {
        self.requisites.kind()
    }

    pub fn requisites(&self) -> &Requisites {
        &self.requisites
    }

    pub fn state(&self) -> &S {
        &self.state
    }

    pub fn status(&self) -> Status {
        S::STATUS
    }

    /// The document as a value of [`AnyDocument`].
    pub fn into_any(self) -> AnyDocument {
        S::into_any(self)
    }

    fn into_state<T: State>(self, state: T) -> Document<T> {
        Document { header: self.header, requisites: self.requisites, state }
    }
}

/// What a deleted draft leaves behind, for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deletion {
    pub id: DocumentId,
    pub number: DocumentNumber,
    pub deleted_by: UserId,
    pub deleted_at: Timestamp,
}

impl Document<Draft> {
    /// A new draft. The store allocates `id` and `number`.
    pub fn create(
        id: DocumentId,
        number: DocumentNumber,
        requisites: Requisites,
        created_by: UserId,
        created_at: Timestamp,
    ) -> Document<Draft> {
        let header =
            DocumentHeader { id, number, created_by, created_at, edited_by: created_by, edited_at: created_at };
        Document { header, requisites, state: Draft }
    }

    /// Replaces the requisites with a new parse of the edited form.
    pub fn edit(&mut self, requisites: Requisites, edited_by: UserId, edited_at: Timestamp) {
        self.requisites = requisites;
        self.header.edited_by = edited_by;
        self.header.edited_at = edited_at;
    }

    pub fn delete(self, deleted_by: UserId, deleted_at: Timestamp) -> Deletion {
        Deletion { id: self.header.id, number: self.header.number, deleted_by, deleted_at }
    }

    /// Freezes the content for confirmation and records its digest.
    pub fn submit(self, submitted_by: UserId, submitted_at: Timestamp) -> Document<AwaitingConfirmation> {
        let content_digest = self.content_digest();
        let document = self.into_state(AwaitingConfirmation { submitted_by, submitted_at, content_digest });
        debug_assert_eq!(document.content_digest(), content_digest);
        document
    }
}

impl Document<AwaitingConfirmation> {
    /// Back to a draft, to be edited (R-3.1.1.2: documents are edited while not confirmed). A
    /// code already issued for a batch with this document stops working as soon as the content
    /// changes, because the batch digest no longer matches.
    pub fn withdraw(self) -> Document<Draft> {
        self.into_state(Draft)
    }

    /// Confirms one document of a batch whose digests the caller has just compared.
    pub(crate) fn confirm(self, evidence: ConfirmationEvidence) -> Document<Confirmed> {
        assert_eq!(evidence.content_digest, self.state.content_digest, "the confirmation covers this content");
        assert_eq!(evidence.content_digest, self.content_digest(), "the content is the submitted content");
        self.into_state(Confirmed { evidence })
    }
}

/// A confirmed document on its way to execution, by kind: internal transfers are executed
/// through the ledger, the others are sent to the interbank gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Internal(ConfirmedInternal),
    Outgoing(ConfirmedOutgoing),
}

/// A confirmed internal transfer: it can only be executed (or refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedInternal(Document<Confirmed>);

/// A confirmed interbank, budget or foreign payment: it can only be sent (or refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedOutgoing(Document<Confirmed>);

impl Document<Confirmed> {
    pub fn evidence(&self) -> &ConfirmationEvidence {
        &self.state.evidence
    }

    pub fn route(self) -> Route {
        match self.kind() {
            // A conversion is posted through the ledger like an internal transfer.
            DocumentKind::Internal | DocumentKind::Conversion => Route::Internal(ConfirmedInternal(self)),
            DocumentKind::Interbank | DocumentKind::Budget | DocumentKind::Foreign => {
                Route::Outgoing(ConfirmedOutgoing(self))
            }
        }
    }

    /// Refused before execution: the bank's checks at the moment of execution said no.
    pub fn refuse(self, refusal: Refusal) -> Document<Refused> {
        let evidence = self.state.evidence.clone();
        self.into_state(Refused { evidence, refusal, hold: None })
    }
}

impl ConfirmedInternal {
    pub fn document(&self) -> &Document<Confirmed> {
        &self.0
    }

    /// Posted through the ledger as `entry`.
    pub fn execute(self, entry: EntryId, executed_at: Timestamp) -> Document<Executed> {
        let evidence = self.0.state.evidence.clone();
        self.0.into_state(Executed { evidence, entry, executed_at })
    }

    pub fn refuse(self, refusal: Refusal) -> Document<Refused> {
        self.0.refuse(refusal)
    }
}

impl ConfirmedOutgoing {
    pub fn document(&self) -> &Document<Confirmed> {
        &self.0
    }

    /// Handed to the gateway as `message_id`, its amount held as `hold`.
    pub fn send(self, hold: HoldId, message_id: MessageId, sent_at: Timestamp) -> Document<Sent> {
        let evidence = self.0.state.evidence.clone();
        self.0.into_state(Sent { evidence, hold, message_id, sent_at })
    }

    pub fn refuse(self, refusal: Refusal) -> Document<Refused> {
        self.0.refuse(refusal)
    }
}

impl Document<Sent> {
    /// The interbank system settled the payment: post the hold.
    pub fn settle(self, settled_at: Timestamp) -> Document<Settled> {
        let Sent { evidence, hold, message_id, sent_at } = self.state.clone();
        self.into_state(Settled { evidence, hold, message_id, sent_at, settled_at })
    }

    /// The interbank system rejected the payment: release the hold ([`Refused::hold`]).
    pub fn refuse(self, refusal: Refusal) -> Document<Refused> {
        let evidence = self.state.evidence.clone();
        let hold = Some(self.state.hold);
        self.into_state(Refused { evidence, refusal, hold })
    }
}

/// A document whose state is known only at run time: lists, and documents loaded before the
/// caller knows what it may do with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyDocument {
    Draft(Document<Draft>),
    AwaitingConfirmation(Document<AwaitingConfirmation>),
    Confirmed(Document<Confirmed>),
    Executed(Document<Executed>),
    Sent(Document<Sent>),
    Settled(Document<Settled>),
    Refused(Document<Refused>),
}

macro_rules! any_document {
    ($self:ident, |$document:ident| $body:expr) => {
        match $self {
            AnyDocument::Draft($document) => $body,
            AnyDocument::AwaitingConfirmation($document) => $body,
            AnyDocument::Confirmed($document) => $body,
            AnyDocument::Executed($document) => $body,
            AnyDocument::Sent($document) => $body,
            AnyDocument::Settled($document) => $body,
            AnyDocument::Refused($document) => $body,
        }
    };
}

impl AnyDocument {
    pub fn status(&self) -> Status {
        any_document!(self, |document| document.status())
    }

    pub fn header(&self) -> &DocumentHeader {
        any_document!(self, |document| document.header())
    }

    pub fn id(&self) -> DocumentId {
        self.header().id
    }

    pub fn requisites(&self) -> &Requisites {
        any_document!(self, |document| document.requisites())
    }

    /// The refusal, for a refused document.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            AnyDocument::Refused(document) => Some(&document.state().refusal),
            _ => None,
        }
    }
}
