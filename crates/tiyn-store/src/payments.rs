//! Payment documents as the store keeps them (issue 4): the records, what a confirmation asks
//! the store to do in one transaction, and the backend-independent part of deciding it.
//!
//! The requisites are kept as the client's fields ([`RawDocument`]), already checked by
//! `tiyn_payments::parse_draft` before they reach the store; the state's data is kept in flat
//! columns. `tiyn-banking` turns a record back into a typed `Document<S>`.
//!
//! A confirmation ([`ConfirmPayments`]) is one transaction: the challenge is used, every document
//! must still be awaiting confirmation at the version the code was issued for (or nothing is
//! written), the bank's limits are checked against the day's usage counted in the same
//! transaction ([`Confirmer`]), and each document's ledger command (a posting or a hold) runs
//! through the ledger in that transaction, so a document's status and its money never disagree.

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::{AccountId, Amount, EntryId, HoldId, Money, PartnerId, SessionId, UserId};
use tiyn_ledger::{Command, LedgerError, Receipt};
use tiyn_payments::limits::{self, LimitScope, LimitSet, Operation, Usage};
use tiyn_payments::{
    ConfirmationChannel, DocumentId, DocumentKind, DocumentNumber, RawDocument, Refusal, RefusalCode, Status,
};

use crate::StoreError;

/// Longest page of a payment list.
pub const PAYMENTS_PAGE_MAX: usize = 500;

/// A client's request key for `POST /payments` (`Idempotency-Key`), scoped to the partner, and
/// the digest of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey {
    pub key: String,
    pub digest: [u8; 32],
}

/// Most drafts one request key prefix answers: an import's drafts ([`request_key_range`]).
pub const KEYED_PAYMENTS_MAX: usize = 1_000;

/// A draft made under a request key, with the digest of the request that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedPayment {
    pub record: PaymentRecord,
    pub request_digest: [u8; 32],
}

/// The half-open range of request keys that start with `prefix`, for an index range scan:
/// `prefix` itself up to (not including) `prefix` with its last character's successor. `None`
/// for an empty prefix or one ending in a character without a successor.
pub fn request_key_range(prefix: &str) -> Option<(String, String)> {
    let mut upper: Vec<char> = prefix.chars().collect();
    let last = upper.pop()?;
    upper.push(char::from_u32(u32::from(last) + 1)?);
    Some((prefix.to_owned(), upper.into_iter().collect()))
}

/// The drafts of one batch, in its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drafts {
    pub records: Vec<PaymentRecord>,
    /// The batch's request keys were used before: these are the first batch's drafts and
    /// nothing was stored.
    pub replayed: bool,
}

/// A new draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub partner: PartnerId,
    /// Valid requisites as fields (`RawDocument::from_requisites`).
    pub fields: RawDocument,
    /// The amount in minor units with its currency, as in `fields` (kept as columns for sums).
    pub amount: Amount,
    pub value_date: Date,
    pub created_by: UserId,
    pub created_at: Timestamp,
    /// With a key, a repeat with the same digest answers the first draft; with another digest it
    /// is `Conflict("idempotency_conflict")`.
    pub request_key: Option<RequestKey>,
}

/// A change of a draft's requisites (or of a document awaiting confirmation, which returns to
/// draft: its pending confirmation can then no longer succeed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEdit {
    pub partner: PartnerId,
    pub id: DocumentId,
    pub fields: RawDocument,
    pub amount: Amount,
    pub value_date: Date,
    pub edited_by: UserId,
    pub edited_at: Timestamp,
}

/// When a document was sent for confirmation, and the digest of its content then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submission {
    pub by: UserId,
    pub at: Timestamp,
    pub content_digest: [u8; 32],
}

/// The proof kept with a confirmed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub challenge: String,
    pub confirmed_by: UserId,
    pub session: Option<SessionId>,
    pub channel: ConfirmationChannel,
    pub confirmed_at: Timestamp,
    pub batch_digest: [u8; 32],
    pub content_digest: [u8; 32],
    /// The business date (Asia/Almaty) it counts towards for daily limits.
    pub business_date: Date,
}

/// A payment document as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: DocumentId,
    pub partner: PartnerId,
    pub number: DocumentNumber,
    pub status: Status,
    /// Starts at 1, +1 on every edit: what a confirmation is bound to besides the digest.
    pub version: u32,
    pub fields: RawDocument,
    pub amount: Amount,
    pub value_date: Date,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub edited_by: UserId,
    pub edited_at: Timestamp,
    pub submission: Option<Submission>,
    pub evidence: Option<Evidence>,
    /// Decided at confirmation from the partner's tariff.
    pub commission: Option<Money>,
    pub entry: Option<EntryId>,
    pub hold: Option<HoldId>,
    pub message_id: Option<String>,
    pub refusal: Option<Refusal>,
    pub executed_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub settled_at: Option<Timestamp>,
}

impl PaymentRecord {
    pub fn kind(&self) -> Option<DocumentKind> {
        self.fields.kind.as_deref().and_then(|kind| DocumentKind::parse(kind).ok())
    }
}

/// Which documents a list shows, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentQuery {
    pub status: Option<Status>,
    /// Value dates from and to, inclusive.
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Only documents with a smaller id (the cursor of the previous page).
    pub before: Option<DocumentId>,
    pub limit: usize,
}

/// One document of a batch sent for confirmation, at the version and content the code covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningMember {
    pub document: DocumentId,
    pub version: u32,
    pub content_digest: [u8; 32],
}

/// A batch sent for confirmation with one code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSigning {
    /// The code's challenge id.
    pub challenge: String,
    /// How the code reaches the user: an SMS, or their marker.
    pub channel: ConfirmationChannel,
    pub partner: PartnerId,
    pub user: UserId,
    pub members: Vec<SigningMember>,
    pub batch_digest: [u8; 32],
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A batch sent for confirmation, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningRecord {
    pub challenge: String,
    pub channel: ConfirmationChannel,
    pub partner: PartnerId,
    pub user: UserId,
    pub members: Vec<SigningMember>,
    pub batch_digest: [u8; 32],
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// How a confirmed document is carried out in the confirmation's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Execution {
    /// Post the entry now (an internal transfer with its commission): executed.
    Post(Command),
    /// Hold amount and commission now and hand the payment to the interbank gateway under this
    /// message id: sent.
    Hold { command: Command, message_id: String },
    /// The value date is later: confirmed, carried out on that date.
    Later,
    /// The bank's checks outside the store refused it already (scope of services, AML, …).
    Refuse(Refusal),
}

/// One document of a confirmation as the caller prepared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPayment {
    pub member: SigningMember,
    /// The account the document pays from (its restrictions are checked).
    pub payer: AccountId,
    pub kind: DocumentKind,
    pub amount: Amount,
    pub commission: Money,
    pub execution: Execution,
}

/// A confirmation: one transaction (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPayments {
    pub partner: PartnerId,
    pub challenge: String,
    pub confirmed_by: UserId,
    pub session: Option<SessionId>,
    pub channel: ConfirmationChannel,
    pub confirmed_at: Timestamp,
    pub batch_digest: [u8; 32],
    /// Today in Asia/Almaty: the day the documents count towards.
    pub business_date: Date,
    pub limits: LimitSet,
    /// In the challenge's order.
    pub documents: Vec<PlannedPayment>,
}

/// What became of one document of a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    Executed { entry: EntryId },
    Sent { hold: HoldId, message_id: String },
    Confirmed,
    Refused(Refusal),
}

impl PaymentOutcome {
    pub fn status(&self) -> Status {
        match self {
            PaymentOutcome::Executed { .. } => Status::Executed,
            PaymentOutcome::Sent { .. } => Status::Sent,
            PaymentOutcome::Confirmed => Status::Confirmed,
            PaymentOutcome::Refused(_) => Status::Refused,
        }
    }
}

/// The conflicts of a confirmation, as `StoreError::Conflict` codes.
pub mod conflicts {
    /// The challenge was already used for a confirmation.
    pub const CHALLENGE_USED: &str = "challenge_used";
    /// A document is no longer awaiting confirmation with the content the code covers.
    pub const DOCUMENT_CHANGED: &str = "document_changed";
    /// Only drafts (and documents awaiting confirmation) can be edited or deleted.
    pub const NOT_EDITABLE: &str = "not_editable";
    /// Only drafts and documents awaiting confirmation can be sent for confirmation.
    pub const NOT_SIGNABLE: &str = "not_signable";
    pub const IDEMPOTENCY_CONFLICT: &str = "idempotency_conflict";
    /// A gateway status for a document that was never sent.
    pub const NOT_SENT: &str = "not_sent";
    /// A document to carry out on its value date is no longer confirmed.
    pub const NOT_CONFIRMED: &str = "not_confirmed";
}

/// Whether a document in this status may be edited, deleted or sent for confirmation.
pub fn is_open(status: Status) -> bool {
    matches!(status, Status::Draft | Status::AwaitingConfirmation)
}

/// The part of deciding a confirmation that every backend shares: limits against the day's
/// usage, and what a ledger result means for the document.
///
/// A backend, inside its transaction: checks the members ([`check_member`]), loads the day's
/// usage (documents confirmed on the business date and not refused, per scope, kind and
/// currency) into [`Confirmer::new`], then per document in order calls [`Confirmer::admit`]; if
/// admitted, runs its ledger command and hands the result to [`Confirmer::settle`].
pub struct Confirmer<'a> {
    request: &'a ConfirmPayments,
    usage: Usage,
}

impl<'a> Confirmer<'a> {
    pub fn new(request: &'a ConfirmPayments, usage: Usage) -> Confirmer<'a> {
        Confirmer { request, usage }
    }

    fn operation(&self, planned: &PlannedPayment) -> Operation {
        Operation {
            partner: self.request.partner,
            user: self.request.confirmed_by,
            kind: planned.kind,
            amount: planned.amount,
        }
    }

    /// The refusal a document gets before any money moves (already refused by the caller, or a
    /// limit), or `None` when its execution may run.
    pub fn admit(&mut self, planned: &PlannedPayment) -> Option<Refusal> {
        if let Execution::Refuse(refusal) = &planned.execution {
            return Some(refusal.clone());
        }
        let operation = self.operation(planned);
        if let Err(exceeded) = limits::check(&self.request.limits, &self.usage, &operation) {
            return Some(Refusal::new(RefusalCode::LimitExceeded, &exceeded.to_string(), self.request.confirmed_at));
        }
        None
    }

    /// The outcome of an admitted document given its ledger result (`None` for
    /// [`Execution::Later`]); an accepted document counts towards the day from now on.
    pub fn settle(
        &mut self,
        planned: &PlannedPayment,
        ledger: Option<Result<Receipt, LedgerError>>,
    ) -> Result<PaymentOutcome, StoreError> {
        let outcome = outcome_of(&planned.execution, ledger, self.request.confirmed_at)?;
        if matches!(outcome, PaymentOutcome::Refused(_)) {
            return Ok(outcome);
        }
        self.usage.record(&self.operation(planned)).map_err(|error| StoreError::backend(error.code()))?;
        Ok(outcome)
    }
}

/// What a document's execution came to, given its ledger result (`None` when no command ran:
/// [`Execution::Later`]).
pub fn outcome_of(
    execution: &Execution,
    ledger: Option<Result<Receipt, LedgerError>>,
    at: Timestamp,
) -> Result<PaymentOutcome, StoreError> {
    Ok(match (execution, ledger) {
        (Execution::Later, None) => PaymentOutcome::Confirmed,
        (Execution::Refuse(refusal), None) => PaymentOutcome::Refused(refusal.clone()),
        (Execution::Post(_), Some(Ok(Receipt::Posted { entry }))) => PaymentOutcome::Executed { entry },
        (Execution::Hold { message_id, .. }, Some(Ok(Receipt::Held { hold }))) => {
            PaymentOutcome::Sent { hold, message_id: message_id.clone() }
        }
        (_, Some(Err(refusal))) => PaymentOutcome::Refused(ledger_refusal(&refusal, at)?),
        _ => return Err(StoreError::Invalid("a payment's ledger result does not match its execution")),
    })
}

/// A confirmed document whose value date has come, carried out by the executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueExecution {
    pub partner: PartnerId,
    pub document: DocumentId,
    pub kind: DocumentKind,
    pub payer: AccountId,
    /// `Post`, `Hold` or `Refuse` (never `Later`).
    pub execution: Execution,
    pub at: Timestamp,
}

impl DueExecution {
    /// The command to run, if any.
    pub fn command(&self) -> Option<&Command> {
        match &self.execution {
            Execution::Post(command) | Execution::Hold { command, .. } => Some(command),
            Execution::Later | Execution::Refuse(_) => None,
        }
    }
}

/// Only a confirmed document is carried out; another status means another process did it
/// (`Conflict("not_confirmed")`).
pub fn due_applies(status: Status) -> Result<(), StoreError> {
    if status == Status::Confirmed { Ok(()) } else { Err(StoreError::Conflict(conflicts::NOT_CONFIRMED)) }
}

/// The ledger's refusal of a payment's command as the document's refusal; errors that mean the
/// caller built a wrong command are not refusals but failures.
pub fn ledger_refusal(error: &LedgerError, at: Timestamp) -> Result<Refusal, StoreError> {
    let code = match error {
        LedgerError::InsufficientFunds { .. } => RefusalCode::InsufficientFunds,
        LedgerError::AccountClosed(_) => RefusalCode::AccountClosed,
        LedgerError::CurrencyMismatch { .. } => RefusalCode::CurrencyMismatch,
        LedgerError::AccountNotFound(_) => RefusalCode::AccountClosed,
        other => return Err(StoreError::Backend(format!("a payment's ledger command failed: {other}"))),
    };
    Ok(Refusal::new(code, &error.to_string(), at))
}

/// Checks one stored document against the member of the challenge: `DOCUMENT_CHANGED` unless it
/// is awaiting confirmation at that version with that digest.
pub fn check_member(
    member: &SigningMember,
    status: Status,
    version: u32,
    content_digest: Option<[u8; 32]>,
) -> Result<(), StoreError> {
    let unchanged = status == Status::AwaitingConfirmation
        && version == member.version
        && content_digest == Some(member.content_digest);
    if unchanged { Ok(()) } else { Err(StoreError::Conflict(conflicts::DOCUMENT_CHANGED)) }
}

/// Checks a confirmation against its stored signing: exactly the members the code was issued
/// for, in their order, at their versions and digests. Anything else is the caller's mistake
/// (`Invalid`): the store never confirms a document under another batch's code.
pub fn check_signing_members(stored: &[SigningMember], request: &ConfirmPayments) -> Result<(), StoreError> {
    let planned = request.documents.iter().map(|planned| &planned.member);
    if stored.len() != request.documents.len() || !stored.iter().eq(planned) {
        return Err(StoreError::Invalid("a confirmation lists other documents than its signing"));
    }
    Ok(())
}

/// Adds one `GROUP BY` row of the day's usage (documents of a scope, kind and currency) to
/// `usage`.
pub fn add_usage(
    usage: &mut Usage,
    scope: LimitScope,
    kind: &str,
    currency: &str,
    sum_minor: i64,
    count: i64,
) -> Result<(), StoreError> {
    let kind = DocumentKind::parse(kind).map_err(|_| StoreError::backend(format!("stored payment kind {kind:?}")))?;
    let currency = tiyn_core::Currency::parse(currency)
        .map_err(|_| StoreError::backend(format!("stored payment currency {currency:?}")))?;
    let count = u64::try_from(count).map_err(StoreError::backend)?;
    usage
        .add(scope, kind, Money::from_minor(sum_minor, currency), count)
        .map_err(|error| StoreError::backend(error.code()))
}

/// The columns of a stored payment document, as both backends read them; converted once, here.
#[derive(Debug, Clone, Default)]
pub struct PaymentRow {
    pub id: i64,
    pub partner_id: i64,
    pub number: i64,
    pub status: String,
    pub version: i64,
    pub kind: String,
    pub payer_account_id: i64,
    pub currency: String,
    pub amount: i64,
    pub knp: Option<String>,
    pub purpose: Option<String>,
    pub value_date: String,
    pub payee_account_id: Option<i64>,
    pub payee_name: Option<String>,
    pub payee_bin: Option<String>,
    pub payee_iban: Option<String>,
    pub payee_bic: Option<String>,
    pub kbe: Option<String>,
    pub kbk: Option<String>,
    pub created_by: i64,
    pub created_at: i64,
    pub edited_by: i64,
    pub edited_at: i64,
    pub submitted_by: Option<i64>,
    pub submitted_at: Option<i64>,
    pub content_digest: Option<Vec<u8>>,
    pub challenge_id: Option<String>,
    pub confirmed_by: Option<i64>,
    pub confirmed_at: Option<i64>,
    pub session_id: Option<i64>,
    pub channel: Option<String>,
    pub batch_digest: Option<Vec<u8>>,
    pub business_date: Option<String>,
    pub commission: Option<i64>,
    pub entry_id: Option<i64>,
    pub hold_id: Option<i64>,
    pub message_id: Option<String>,
    pub executed_at: Option<i64>,
    pub sent_at: Option<i64>,
    pub settled_at: Option<i64>,
    pub refusal_code: Option<String>,
    pub refusal_reason: Option<String>,
    pub refused_at: Option<i64>,
    pub foreign_fields: Option<String>,
    pub commission_currency: Option<String>,
}

/// The currency column of a planned document's commission: `None` when it is the amount's
/// currency (every tenge document), the code otherwise (a foreign transfer or a conversion from
/// an account in another currency).
pub fn commission_currency(planned: &PlannedPayment) -> Option<&'static str> {
    let currency = planned.commission.currency();
    (currency != planned.amount.currency()).then_some(currency.code())
}

/// The column list matching [`PaymentRow`]'s field order.
pub const PAYMENT_COLUMNS: &str = "id, partner_id, number, status, version, kind, payer_account_id, currency, amount, \
     knp, purpose, value_date, payee_account_id, payee_name, payee_bin, payee_iban, payee_bic, kbe, kbk, created_by, \
     created_at, edited_by, edited_at, submitted_by, submitted_at, content_digest, challenge_id, confirmed_by, \
     confirmed_at, session_id, channel, batch_digest, business_date, commission, entry_id, hold_id, message_id, \
     executed_at, sent_at, settled_at, refusal_code, refusal_reason, refused_at, foreign_fields, \
     commission_currency";

/// The requisite columns a draft is written with, in this order (after partner, number, status,
/// version): see [`RequisiteColumns::of`].
pub const REQUISITE_COLUMNS: &str = "kind, payer_account_id, currency, amount, knp, purpose, value_date, \
     payee_account_id, payee_name, payee_bin, payee_iban, payee_bic, kbe, kbk, foreign_fields";

/// The values of [`REQUISITE_COLUMNS`] for a draft's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequisiteColumns {
    pub kind: String,
    pub payer_account_id: i64,
    pub currency: String,
    pub amount: i64,
    pub knp: Option<String>,
    pub purpose: Option<String>,
    pub value_date: String,
    pub payee_account_id: Option<i64>,
    pub payee_name: Option<String>,
    pub payee_bin: Option<String>,
    pub payee_iban: Option<String>,
    pub payee_bic: Option<String>,
    pub kbe: Option<String>,
    pub kbk: Option<String>,
    /// The foreign-transfer requisites as one JSON object ([`encode_foreign_fields`]).
    pub foreign_fields: Option<String>,
}

impl RequisiteColumns {
    /// The columns of valid fields; `Invalid` when the caller did not check them (no kind, no
    /// payer account, an account id that is not a number).
    pub fn of(fields: &RawDocument, amount: Amount, value_date: Date) -> Result<RequisiteColumns, StoreError> {
        let account = |value: &Option<String>| -> Result<Option<i64>, StoreError> {
            value
                .as_deref()
                .map(|text| text.trim().parse::<i64>().map_err(|_| StoreError::Invalid("an account id is a number")))
                .transpose()
        };
        Ok(RequisiteColumns {
            kind: fields.kind.clone().ok_or(StoreError::Invalid("a payment document has a kind"))?,
            payer_account_id: account(&fields.payer_account)?
                .ok_or(StoreError::Invalid("a payment document has a payer account"))?,
            currency: amount.currency().code().to_owned(),
            amount: amount.minor(),
            knp: fields.knp.clone(),
            purpose: fields.purpose.clone(),
            value_date: value_date.to_string(),
            payee_account_id: account(&fields.payee_account)?,
            payee_name: fields.payee_name.clone(),
            payee_bin: fields.payee_bin.clone(),
            payee_iban: fields.payee_iban.clone(),
            payee_bic: fields.payee_bic.clone(),
            kbe: fields.kbe.clone(),
            kbk: fields.kbk.clone(),
            foreign_fields: encode_foreign_fields(fields),
        })
    }
}

/// The JSON keys of the foreign-transfer requisites, with their fields.
fn foreign_slots(fields: &mut RawDocument) -> [(&'static str, &mut Option<String>); 7] {
    [
        ("payee_address", &mut fields.payee_address),
        ("payee_country", &mut fields.payee_country),
        ("payee_swift_bic", &mut fields.payee_swift_bic),
        ("intermediary_swift_bic", &mut fields.intermediary_swift_bic),
        ("charges", &mut fields.charges),
        ("contract_number", &mut fields.contract_number),
        ("contract_date", &mut fields.contract_date),
    ]
}

/// The foreign-transfer requisites of `fields` as one JSON object of the present ones; `None`
/// when there are none (every other kind).
pub fn encode_foreign_fields(fields: &RawDocument) -> Option<String> {
    let mut fields = fields.clone();
    let object: serde_json::Map<String, serde_json::Value> = foreign_slots(&mut fields)
        .into_iter()
        .filter_map(|(key, value)| value.take().map(|text| (key.to_owned(), serde_json::Value::String(text))))
        .collect();
    (!object.is_empty()).then(|| serde_json::Value::Object(object).to_string())
}

/// Puts stored foreign-transfer requisites back into `fields`.
pub fn decode_foreign_fields(text: Option<&str>, fields: &mut RawDocument) -> Result<(), StoreError> {
    let Some(text) = text else {
        return Ok(());
    };
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|error| stored("foreign requisites", error))?;
    for (key, slot) in foreign_slots(fields) {
        *slot = match object.get(key) {
            None => None,
            Some(serde_json::Value::String(text)) => Some(text.clone()),
            Some(other) => return Err(stored("foreign requisite", format!("{key}: {other}"))),
        };
    }
    Ok(())
}

fn stored(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored payment {what} does not parse: {value}"))
}

fn instant(microseconds: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(microseconds).map_err(|error| stored("instant", error))
}

fn optional_instant(microseconds: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    microseconds.map(instant).transpose()
}

fn digest(bytes: Option<Vec<u8>>) -> Result<Option<[u8; 32]>, StoreError> {
    bytes.map(|bytes| <[u8; 32]>::try_from(bytes).map_err(|_| stored("digest", "not 32 bytes"))).transpose()
}

fn date(text: &str) -> Result<Date, StoreError> {
    text.parse().map_err(|error| stored("date", error))
}

impl PaymentRow {
    pub fn into_record(self) -> Result<PaymentRecord, StoreError> {
        let currency = tiyn_core::Currency::parse(&self.currency).map_err(|error| stored("currency", error))?;
        let amount = Amount::new(Money::from_minor(self.amount, currency)).map_err(|error| stored("amount", error))?;
        let value_date = date(&self.value_date)?;
        let status = Status::parse(&self.status).ok_or_else(|| stored("status", &self.status))?;
        let number = u64::try_from(self.number)
            .ok()
            .and_then(std::num::NonZeroU64::new)
            .map(DocumentNumber::new)
            .ok_or_else(|| stored("number", self.number))?;
        let version = u32::try_from(self.version).map_err(|error| stored("version", error))?;
        let fields = RawDocument {
            kind: Some(self.kind),
            payer_account: Some(self.payer_account_id.to_string()),
            amount: Some(amount.money().amount_string()),
            currency: Some(self.currency),
            knp: self.knp,
            purpose: self.purpose,
            value_date: Some(self.value_date),
            payee_account: self.payee_account_id.map(|id| id.to_string()),
            payee_name: self.payee_name,
            payee_bin: self.payee_bin,
            payee_iban: self.payee_iban,
            payee_bic: self.payee_bic,
            kbe: self.kbe,
            kbk: self.kbk,
            ..RawDocument::default()
        };
        let mut fields = fields;
        decode_foreign_fields(self.foreign_fields.as_deref(), &mut fields)?;
        let content_digest = digest(self.content_digest)?;
        let submission = match (self.submitted_by, self.submitted_at, content_digest) {
            (Some(by), Some(at), Some(content_digest)) => {
                Some(Submission { by: UserId::new(by), at: instant(at)?, content_digest })
            }
            _ => None,
        };
        let evidence = match (self.challenge_id, self.confirmed_by, self.confirmed_at, digest(self.batch_digest)?) {
            (Some(challenge), Some(confirmed_by), Some(confirmed_at), Some(batch_digest)) => Some(Evidence {
                challenge,
                confirmed_by: UserId::new(confirmed_by),
                session: self.session_id.map(SessionId::new),
                channel: self
                    .channel
                    .as_deref()
                    .and_then(ConfirmationChannel::parse)
                    .ok_or_else(|| stored("channel", self.channel.as_deref().unwrap_or("")))?,
                confirmed_at: instant(confirmed_at)?,
                batch_digest,
                content_digest: content_digest.ok_or_else(|| stored("content digest", "missing"))?,
                business_date: date(self.business_date.as_deref().unwrap_or(""))?,
            }),
            _ => None,
        };
        let refusal = match (self.refusal_code, self.refused_at) {
            (Some(code), Some(at)) => Some(Refusal::new(
                RefusalCode::parse(&code).ok_or_else(|| stored("refusal code", &code))?,
                self.refusal_reason.as_deref().unwrap_or(""),
                instant(at)?,
            )),
            _ => None,
        };
        Ok(PaymentRecord {
            id: DocumentId::new(self.id),
            partner: PartnerId::new(self.partner_id),
            number,
            status,
            version,
            fields,
            amount,
            value_date,
            created_by: UserId::new(self.created_by),
            created_at: instant(self.created_at)?,
            edited_by: UserId::new(self.edited_by),
            edited_at: instant(self.edited_at)?,
            submission,
            evidence,
            commission: match &self.commission_currency {
                None => self.commission.map(|minor| Money::from_minor(minor, currency)),
                Some(code) => {
                    let commission_currency =
                        tiyn_core::Currency::parse(code).map_err(|error| stored("commission currency", error))?;
                    self.commission.map(|minor| Money::from_minor(minor, commission_currency))
                }
            },
            entry: self.entry_id.map(EntryId::new),
            hold: self.hold_id.map(HoldId::new),
            message_id: self.message_id,
            refusal,
            executed_at: optional_instant(self.executed_at)?,
            sent_at: optional_instant(self.sent_at)?,
            settled_at: optional_instant(self.settled_at)?,
        })
    }
}

/// An outgoing interbank message waiting to be handed to the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub message_id: String,
    pub source: OutboxSource,
    pub partner: PartnerId,
    /// Hand-offs tried so far.
    pub attempts: u32,
    pub created_at: Timestamp,
}

/// What an outgoing message carries: a payment document, or money collected under a collection
/// order for the creditor's bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxSource {
    Payment(DocumentId),
    /// The id of the collection (`collections.id`).
    Collection(i64),
}

impl OutboxSource {
    /// From the outbox's two nullable columns, exactly one of which is set.
    pub fn from_columns(document: Option<i64>, collection: Option<i64>) -> Result<OutboxSource, StoreError> {
        match (document, collection) {
            (Some(document), None) => Ok(OutboxSource::Payment(DocumentId::new(document))),
            (None, Some(collection)) => Ok(OutboxSource::Collection(collection)),
            _ => Err(StoreError::backend("an outbox message names neither one document nor one collection")),
        }
    }
}

/// What the interbank system answered for a sent payment (pacs.002), with the ledger commands
/// that carry it out; run in one transaction with the document's new status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayOutcome {
    /// Settled: the hold is released and the amount and commission posted in one entry (payer →
    /// clearing account and fee income).
    Settled { release: Command, post: Command },
    /// Rejected: the hold is released; the document is refused with the reason.
    Rejected { release: Command, refusal: Refusal },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub message_id: String,
    pub at: Timestamp,
    pub outcome: GatewayOutcome,
}

impl Settlement {
    /// The commands, in the order they run (the release first, so the post finds the money
    /// available).
    pub fn commands(&self) -> Vec<Command> {
        match &self.outcome {
            GatewayOutcome::Settled { release, post } => vec![release.clone(), post.clone()],
            GatewayOutcome::Rejected { release, .. } => vec![release.clone()],
        }
    }

    /// The document's status once applied.
    pub fn status(&self) -> Status {
        match self.outcome {
            GatewayOutcome::Settled { .. } => Status::Settled,
            GatewayOutcome::Rejected { .. } => Status::Refused,
        }
    }

    /// The settlement entry and the refusal to record, from the ledger's receipts of
    /// [`Settlement::commands`]. A refusal of the ledger here is a failure: the hold covered it.
    pub fn recorded(
        &self,
        results: Vec<Result<tiyn_ledger::Executed, StoreError>>,
    ) -> Result<(Option<EntryId>, Option<&Refusal>), StoreError> {
        let mut entry = None;
        for result in results {
            match result?.receipt {
                Receipt::Posted { entry: posted } => entry = Some(posted),
                Receipt::Released { .. } | Receipt::Held { .. } => {}
            }
        }
        match &self.outcome {
            GatewayOutcome::Settled { .. } => match entry {
                Some(entry) => Ok((Some(entry), None)),
                None => Err(StoreError::backend("a settlement posted no entry")),
            },
            GatewayOutcome::Rejected { refusal, .. } => Ok((None, Some(refusal))),
        }
    }
}

/// A sent payment's status can be applied once; a repeat of the gateway's answer finds the
/// document final and changes nothing (replay-safe). `Conflict("not_sent")` for a document that
/// was never sent.
pub fn settlement_applies(status: Status) -> Result<bool, StoreError> {
    match status {
        Status::Sent => Ok(true),
        Status::Settled | Status::Refused => Ok(false),
        _ => Err(StoreError::Conflict(conflicts::NOT_SENT)),
    }
}

/// The refusal the payer account's restrictions give a document's command,
/// from the restrictions, balance and holds read in the transaction that runs it.
pub fn restriction_refusal(
    kind: DocumentKind,
    command: &Command,
    payer: AccountId,
    restrictions: &[crate::rules::Restriction],
    balance: i64,
    held: i64,
    at: Timestamp,
) -> Option<Refusal> {
    let debit = crate::rules::payer_debit(command, payer)?;
    crate::rules::restriction_refusal(restrictions, kind, debit, balance, held, at)
}

/// An incoming credit refused back to the sending bank: its currency is not the payee
/// account's and the bank had no rate to convert it at. Nothing was posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnedCredit {
    pub message_id: String,
    pub payee_iban: tiyn_core::iban::Iban,
    pub amount: Money,
    pub payer_name: String,
    pub reason: String,
    pub returned_at: Timestamp,
}

/// The columns both backends keep a returned credit in, in this order.
pub const RETURNED_CREDIT_COLUMNS: &str = "message_id, payee_iban, amount, currency, payer_name, reason, returned_at";

impl ReturnedCredit {
    /// Reads the columns back.
    pub fn from_columns(
        message_id: String,
        payee_iban: &str,
        amount: i64,
        currency: &str,
        payer_name: String,
        reason: String,
        returned_at: i64,
    ) -> Result<ReturnedCredit, StoreError> {
        let bad = || StoreError::backend(format!("stored returned credit {message_id:?} does not read back"));
        Ok(ReturnedCredit {
            payee_iban: tiyn_core::iban::Iban::parse(payee_iban).map_err(|_| bad())?,
            amount: Money::from_minor(amount, tiyn_core::Currency::parse(currency).map_err(|_| bad())?),
            returned_at: Timestamp::from_microsecond(returned_at).map_err(|_| bad())?,
            message_id,
            payer_name,
            reason,
        })
    }
}

#[cfg(test)]
mod request_key_tests {
    use super::request_key_range;

    #[test]
    fn a_prefix_range_holds_exactly_the_keys_that_start_with_it() {
        let (low, high) = request_key_range("abc\u{1f}").expect("a range");
        for inside in ["abc\u{1f}", "abc\u{1f}1", "abc\u{1f}999"] {
            assert!(low.as_str() <= inside && inside < high.as_str(), "{inside:?}");
        }
        for outside in ["abc", "abc\u{20}", "abd", "ab"] {
            assert!(!(low.as_str() <= outside && outside < high.as_str()), "{outside:?}");
        }
        assert_eq!(request_key_range(""), None);
    }
}
