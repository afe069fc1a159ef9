//! The storage interface. Everything above storage sees `Arc<dyn Store>`; only the backend
//! crates (`tiyn-store-sqlite`, `tiyn-store-postgres`) know SQL. The [`conformance`] module is the
//! story every backend runs in its own tests, so both behave the same.

pub mod audit;
pub mod batch;
pub mod conformance;
pub mod directories;
pub mod fx;
mod means;
// Notices and marketplace reports (issue 6, R-3.1.2.8).
pub mod messages;
mod model;
pub mod payments;
pub mod pos;
pub mod rules;
pub mod statements;
pub mod templates;
mod users;

use async_trait::async_trait;
use jiff::Timestamp;
use tiyn_auth::{
    AuditKey, ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy, LockoutState,
};
use tiyn_core::{AccountId, ApiKeyId, Currency, DeviceId, Login, PartnerId, SessionId, UserId};
use tiyn_ledger::{Command, Executed, LedgerError};

pub use audit::{AuditHead, AuditOutcome, AuditQuery, AuditRecord, ChainBreak, ChainVerifier, NewAuditRecord};
pub use means::{ApiKeyRecord, DeviceRecord, MarkerRecord, MarkerStatus, NewApiKey, NewDevice, StepAcceptance};
pub use model::{Account, AccountKind, CurrencyTotal, Durability, LedgerCheck, NewAccount, NewPartner, Partner};
pub use users::{
    Block, BlockReason, CODE_COLUMNS, CodeRow, Consent, FULL_NAME_LENGTH_MAX, LOGIN_TAKEN, NewUser, SESSION_COLUMNS,
    SessionEnd, SessionRecord, SessionRow, USER_COLUMNS, User, UserChange, UserChangeRecord, UserRow, UserStatus,
    validate_new_user,
};

/// Why a storage call failed, as opposed to the ledger refusing a command.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The ledger decided: insufficient funds, unknown account, idempotency conflict, …
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{what} already exists")]
    AlreadyExists { what: &'static str },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The request contradicts itself (a partner account without a partner, …).
    #[error("invalid request: {0}")]
    Invalid(&'static str),
    /// The current state forbids the change; the string is a stable code (`last_full_access`,
    /// `not_pending_activation`, `not_blocked`, …) that the API answers as 409.
    #[error("refused by the current state: {0}")]
    Conflict(&'static str),
    /// The database is unreachable or answered with an error we cannot act on. The message is
    /// for logs; clients see "internal error".
    #[error("storage failure: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn backend(error: impl std::fmt::Display) -> StoreError {
        StoreError::Backend(error.to_string())
    }
}

/// The platform's persistent state, in domain verbs.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is ("sqlite", "postgres"), for logs and `/readyz`.
    fn backend_name(&self) -> &'static str;

    /// Answers whether the database is reachable (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// How the ledger commands executed through this store ended, since it opened (for `/metrics`).
    fn ledger_counts(&self) -> batch::LedgerCounts;

    /// Whether commits are durable (fsync on commit). The server refuses to start outside demo
    /// mode when they are not, unless forced.
    async fn durability(&self) -> Result<Durability, StoreError>;

    async fn create_partner(&self, partner: NewPartner) -> Result<PartnerId, StoreError>;
    async fn partner(&self, id: PartnerId) -> Result<Option<Partner>, StoreError>;
    async fn partners(&self) -> Result<Vec<Partner>, StoreError>;
    /// Sets the information services withheld from the partner's `create` level;
    /// `NotFound` for an unknown partner.
    async fn set_withheld_services(
        &self,
        partner: PartnerId,
        withheld: tiyn_core::access::InformationRestrictions,
    ) -> Result<(), StoreError>;

    async fn open_account(&self, account: NewAccount) -> Result<AccountId, StoreError>;
    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError>;
    /// A partner's accounts, ordered by id.
    async fn partner_accounts(&self, partner: PartnerId) -> Result<Vec<Account>, StoreError>;
    /// The bank's internal account of this kind and currency, created on first use.
    async fn bank_account(&self, kind: AccountKind, currency: Currency) -> Result<AccountId, StoreError>;

    /// Executes one ledger command durably: it returns once the result is committed. Concurrent
    /// callers are merged into one transaction (group commit); each gets its own result. A replay
    /// of a key with the same content returns the first result with `replayed: true`.
    async fn execute(&self, command: Command) -> Result<Executed, StoreError>;

    /// Creates a user; a login (mobile or email) already used by anyone is `AlreadyExists`.
    async fn create_user(&self, user: NewUser) -> Result<UserId, StoreError>;
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The user whose mobile number or email address this login is.
    async fn user_by_login(&self, login: &Login) -> Result<Option<User>, StoreError>;
    /// A partner's users, ordered by id.
    async fn partner_users(&self, partner: PartnerId) -> Result<Vec<User>, StoreError>;
    /// Counts one failed password or code, atomically: concurrent failures are applied one after
    /// another to the stored state, so no more attempts are evaluated than the policy allows
    ///
    async fn record_login_failure(
        &self,
        user: UserId,
        policy: LockoutPolicy,
        at: Timestamp,
    ) -> Result<LockoutEvent, StoreError>;

    /// Keeps an issued code (its keyed hash and state) under its challenge id, for `user`.
    async fn save_code(
        &self,
        challenge: &ChallengeId,
        user: UserId,
        record: CodeRecord,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Checks a candidate code against the stored one and writes the code's new state (one attempt
    /// spent, or used) in the same transaction, so parallel attempts never evaluate more than the
    /// code's attempts. Answers the code's user and the outcome; an unknown challenge is
    /// `NotFound`.
    async fn verify_code(
        &self,
        challenge: &ChallengeId,
        candidate: &str,
        purpose: CodePurpose,
        now: Timestamp,
        key: &CodeKey,
    ) -> Result<(UserId, Result<(), CodeError>), StoreError>;

    /// Starts a session for `user`; only the token's digest is kept.
    async fn create_session(
        &self,
        token_digest: [u8; 32],
        user: UserId,
        at: Timestamp,
    ) -> Result<SessionId, StoreError>;
    /// The session whose token has this digest, ended or not.
    async fn session_by_token(&self, token_digest: [u8; 32]) -> Result<Option<SessionRecord>, StoreError>;
    /// Records activity at `at`; the last activity never moves backwards, and an ended session
    /// is not touched.
    async fn touch_session(&self, session: SessionId, at: Timestamp) -> Result<(), StoreError>;
    /// Ends one session (if it has not ended yet).
    async fn end_session(&self, session: SessionId, at: Timestamp, reason: SessionEnd) -> Result<(), StoreError>;
    /// Ends every open session of `user` except `keep`, at once; answers how many ended.
    async fn end_user_sessions(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        at: Timestamp,
        reason: SessionEnd,
    ) -> Result<u64, StoreError>;

    // ----- Users: lifecycle (issue 3) -----

    /// Registers the first password of a user pending activation and makes the user active
    /// . `Conflict("not_pending_activation")` otherwise.
    async fn activate_user(&self, user: UserId, password_hash: &str, at: Timestamp) -> Result<(), StoreError>;
    /// Replaces the password hash and ends every other open session of the user in the same
    /// transaction; records the change (without values). Answers how many sessions ended.
    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: Option<SessionId>,
        at: Timestamp,
    ) -> Result<u64, StoreError>;
    /// A successful login: consecutive failures reset, any expired lock cleared (lockouts kept).
    async fn record_login_success(&self, user: UserId, at: Timestamp) -> Result<(), StoreError>;
    /// Applies an edit, recording each changed field with its old and new value, author and time
    /// . A login already used by another user is `AlreadyExists`; demoting the partner's
    /// last active full-access user is `Conflict("last_full_access")`. Answers the user as stored.
    async fn update_user(
        &self,
        user: UserId,
        change: UserChange,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<User, StoreError>;
    /// Blocks the user and ends all their sessions at `at`, in one transaction (R-6.5.2: the
    /// instant is recorded). Blocking a blocked user is `Conflict("already_blocked")`. Answers how
    /// many sessions ended.
    async fn block_user(&self, user: UserId, block: Block, at: Timestamp) -> Result<u64, StoreError>;
    /// Lifts a block (status back to active, or pending activation when no password was ever set)
    /// and clears the lockout state. `Conflict("not_blocked")` when the user is not blocked.
    async fn unblock_user(&self, user: UserId, by: Option<UserId>, at: Timestamp) -> Result<(), StoreError>;
    /// Lifts a lockout block (repeated failures, R-6.1.4): the bank's decision.
    async fn clear_lockout(&self, user: UserId, by: Option<UserId>, at: Timestamp) -> Result<(), StoreError>;
    /// Schedules (or with `None` cancels) the suspension of a user's powers from a business date
    /// . The caller checks the 3-working-day notice.
    async fn schedule_suspension(
        &self,
        user: UserId,
        from: Option<jiff::civil::Date>,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// The recorded changes of a user, oldest first.
    async fn user_changes(&self, user: UserId) -> Result<Vec<UserChangeRecord>, StoreError>;
    /// Counts one failed attempt from a source (an IP address), atomically, like
    /// [`Store::record_login_failure`] for a user.
    async fn record_source_failure(
        &self,
        source: &str,
        policy: LockoutPolicy,
        at: Timestamp,
    ) -> Result<LockoutEvent, StoreError>;
    /// The failure state of a source (the default when it never failed).
    async fn source_lockout(&self, source: &str) -> Result<LockoutState, StoreError>;
    /// A user's open sessions, newest first (for `GET /me`).
    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError>;

    // ----- Audit trail (R-3.4) -----

    /// Appends a record, chained to the previous one under `key`, atomically with respect to
    /// every other append (of any process). Answers the record as stored.
    async fn append_audit(&self, record: NewAuditRecord, key: &AuditKey) -> Result<AuditRecord, StoreError>;
    /// Records matching the query, newest first.
    async fn audit_records(&self, query: AuditQuery) -> Result<Vec<AuditRecord>, StoreError>;
    /// Records with an id greater than `after_id`, oldest first: for verifying the chain page by page.
    async fn audit_chain(&self, after_id: i64, limit: usize) -> Result<Vec<AuditRecord>, StoreError>;
    async fn audit_head(&self) -> Result<AuditHead, StoreError>;
    /// Deletes records older than `before` from the start of the chain and moves the head's anchor
    /// to the last deleted record (R-3.4: kept 5 years). Answers how many were deleted.
    async fn purge_audit(&self, before: Timestamp) -> Result<u64, StoreError>;

    // ----- Markers (R-2.1.21, R-8.10) -----

    /// Enrols a pending marker; a serial already used is `AlreadyExists`.
    async fn create_marker(
        &self,
        user: UserId,
        serial: &str,
        sealed_secret: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// The user's markers, oldest first, revoked ones included.
    async fn user_markers(&self, user: UserId) -> Result<Vec<MarkerRecord>, StoreError>;
    /// Atomically accepts a code's `step` for the marker `serial` of `user`: only a step after the
    /// last accepted one, only on a non-revoked marker, and with `activate` only on a pending one
    /// (which becomes active). Without `activate` the store does not look at pending/active: the
    /// identity layer only ever presents active markers' codes. A marker of another user is
    /// `NotFound`.
    async fn accept_marker_step(
        &self,
        user: UserId,
        serial: &str,
        step: u64,
        activate: bool,
        at: Timestamp,
    ) -> Result<StepAcceptance, StoreError>;
    /// Revokes the user's marker (`NotFound` for another user's or an unknown serial).
    async fn revoke_marker(&self, user: UserId, serial: &str, at: Timestamp) -> Result<(), StoreError>;

    // ----- Devices (R-2.1.17) -----

    async fn register_device(&self, device: NewDevice) -> Result<DeviceId, StoreError>;
    /// The user's devices that are not revoked, oldest first.
    async fn user_devices(&self, user: UserId) -> Result<Vec<DeviceRecord>, StoreError>;
    /// `NotFound` for another user's or an unknown device.
    async fn revoke_device(&self, user: UserId, device: DeviceId, at: Timestamp) -> Result<(), StoreError>;

    // ----- API keys -----

    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKeyId, StoreError>;
    /// The partner's keys, newest first, revoked ones included.
    async fn partner_api_keys(&self, partner: PartnerId) -> Result<Vec<ApiKeyRecord>, StoreError>;
    async fn api_key_by_digest(&self, digest: [u8; 32]) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// Records a use; the last use never moves backwards.
    async fn touch_api_key(&self, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError>;
    /// Revokes the partner's key at once (`NotFound` for another partner's or an unknown key).
    async fn revoke_api_key(&self, partner: PartnerId, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError>;

    // ----- Payment documents (issue 4) -----

    /// Creates a draft with the partner's next number. With a request key already used: the
    /// same digest answers the first draft, another is `Conflict("idempotency_conflict")`.
    async fn create_payment(&self, payment: payments::NewPayment) -> Result<payments::PaymentRecord, StoreError>;
    /// Several drafts of one partner in one transaction, numbered in their order: all are
    /// created or none (an import). Drafts with request keys already used answer the first ones
    /// (`replayed`) or `Conflict("idempotency_conflict")`, like [`Store::create_payment`].
    async fn create_payments(&self, payments: Vec<payments::NewPayment>) -> Result<payments::Drafts, StoreError>;
    /// The partner's drafts made under request keys that start with `prefix` (an import's), with
    /// their requests' digests, by number, at most [`payments::KEYED_PAYMENTS_MAX`].
    async fn payments_by_request_key_prefix(
        &self,
        partner: PartnerId,
        prefix: &str,
    ) -> Result<Vec<payments::KeyedPayment>, StoreError>;
    /// The partner's document (`None` for another partner's or an unknown id).
    async fn payment(
        &self,
        partner: PartnerId,
        id: tiyn_payments::DocumentId,
    ) -> Result<Option<payments::PaymentRecord>, StoreError>;
    /// The partner's documents matching the query, newest first.
    async fn payments(
        &self,
        partner: PartnerId,
        query: payments::PaymentQuery,
    ) -> Result<Vec<payments::PaymentRecord>, StoreError>;
    /// Replaces the requisites of a draft or of a document awaiting confirmation (which returns
    /// to draft); the version goes up by one. `Conflict("not_editable")` in any other status,
    /// `NotFound` for another partner's or an unknown id. Answers the document as stored.
    async fn edit_payment(&self, edit: payments::PaymentEdit) -> Result<payments::PaymentRecord, StoreError>;
    /// Deletes a draft or a document awaiting confirmation; `Conflict("not_editable")` otherwise.
    async fn delete_payment(
        &self,
        partner: PartnerId,
        id: tiyn_payments::DocumentId,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Sends a batch for confirmation, atomically: every member must be the partner's, a draft
    /// or awaiting confirmation, at the member's version (`Conflict("document_changed")`,
    /// `Conflict("not_signable")`, `NotFound`); each becomes awaiting confirmation with its
    /// content digest, and the batch is kept under the challenge.
    async fn open_signing(&self, signing: payments::NewSigning) -> Result<(), StoreError>;
    /// The partner's batch under this challenge.
    async fn signing(&self, partner: PartnerId, challenge: &str)
    -> Result<Option<payments::SigningRecord>, StoreError>;
    /// Confirms and carries out a batch in one transaction (see [`payments`]). Nothing is
    /// written when the challenge was used (`Conflict("challenge_used")`) or a document changed
    /// (`Conflict("document_changed")`). Answers one outcome per document, in order.
    async fn confirm_payments(
        &self,
        confirmation: payments::ConfirmPayments,
    ) -> Result<Vec<payments::PaymentOutcome>, StoreError>;

    /// Keeps a template of a frequent payment (R-3.1.1.2); a name the partner already uses is
    /// `AlreadyExists`.
    async fn create_payment_template(
        &self,
        template: templates::NewPaymentTemplate,
    ) -> Result<templates::PaymentTemplate, StoreError>;
    /// The partner's templates, ordered by name.
    async fn payment_templates(&self, partner: PartnerId) -> Result<Vec<templates::PaymentTemplate>, StoreError>;
    /// The partner's template (`None` for another partner's or an unknown id).
    async fn payment_template(
        &self,
        partner: PartnerId,
        id: templates::TemplateId,
    ) -> Result<Option<templates::PaymentTemplate>, StoreError>;
    /// Deletes the partner's template (`NotFound` for another partner's or an unknown id).
    async fn delete_payment_template(&self, partner: PartnerId, id: templates::TemplateId) -> Result<(), StoreError>;

    /// The bank's rules for the partner's payments (`NotFound` for an unknown partner).
    async fn payment_rules(&self, partner: PartnerId) -> Result<rules::PaymentRules, StoreError>;
    /// Replaces them.
    async fn set_payment_rules(&self, partner: PartnerId, rules: rules::PaymentRules) -> Result<(), StoreError>;
    /// Registers a restriction on an account (`NotFound` for an unknown account).
    async fn add_restriction(&self, restriction: rules::NewRestriction) -> Result<rules::Restriction, StoreError>;
    /// Lifts one (`NotFound` for an unknown one or another account's; `Conflict("already_lifted")`).
    async fn lift_restriction(&self, account: AccountId, id: i64, at: Timestamp) -> Result<(), StoreError>;
    /// An account's restrictions, newest first, lifted ones included.
    async fn account_restrictions(&self, account: AccountId) -> Result<Vec<rules::Restriction>, StoreError>;
    /// Collects the account's outstanding collection orders from its available balance, in the
    /// order [`rules::collection_plan`] gives, in one transaction: each collection posts
    /// account → clearing ([`rules::collection_command`]), raises the order's collected amount and
    /// lifts the order once it is paid off. What was collected (nothing when no money or no order).
    async fn collect(&self, request: rules::CollectFrom) -> Result<Vec<rules::Collected>, StoreError>;
    /// The accounts with an outstanding collection order.
    async fn accounts_to_collect(&self) -> Result<Vec<AccountId>, StoreError>;
    /// One collection, with its outgoing message and the answer to it.
    async fn collection(&self, id: i64) -> Result<Option<rules::CollectionRecord>, StoreError>;
    /// The collection sent under this interbank message id.
    async fn collection_by_message(&self, message_id: &str) -> Result<Option<rules::CollectionRecord>, StoreError>;
    /// Applies the creditor's bank's answer for a sent collection once, in one transaction:
    /// settled is recorded; returned posts its command (the money back to the account), records
    /// the reason and returns the order to its issuer (lifted, its collected amount less what came
    /// back). A repeated answer changes nothing and answers the first outcome. `NotFound` for an
    /// unknown message id.
    async fn settle_collection(
        &self,
        settlement: rules::CollectionSettlement,
    ) -> Result<rules::CollectionOutcome, StoreError>;
    /// Replaces the list of persons linked to terrorism or extremism financing.
    async fn replace_aml_list(&self, entries: Vec<rules::AmlEntry>, at: Timestamp) -> Result<(), StoreError>;
    async fn aml_list(&self) -> Result<Vec<rules::AmlEntry>, StoreError>;
    /// Confirmed documents whose value date is `through` or earlier, of every partner, oldest
    /// value date first (for the executor).
    async fn due_payments(
        &self,
        through: jiff::civil::Date,
        limit: usize,
    ) -> Result<Vec<payments::PaymentRecord>, StoreError>;
    /// Carries out a confirmed document on its value date in one transaction (its ledger command
    /// and its new status; the outbox message of a sent one). `Conflict("not_confirmed")` when it
    /// is no longer confirmed.
    async fn carry_out_payment(&self, due: payments::DueExecution) -> Result<payments::PaymentOutcome, StoreError>;
    /// The document sent under this interbank message id.
    async fn payment_by_message(&self, message_id: &str) -> Result<Option<payments::PaymentRecord>, StoreError>;
    /// Applies the gateway's answer for a sent payment in one transaction (the ledger commands and
    /// the document's new status). A document already settled or refused is left as it is (a
    /// replayed answer); answers its status. `NotFound` for an unknown message id.
    async fn settle_payment(&self, settlement: payments::Settlement) -> Result<tiyn_payments::Status, StoreError>;
    /// Messages not yet handed to the gateway whose next attempt is due, oldest first.
    async fn pending_outbox(&self, now: Timestamp, limit: usize) -> Result<Vec<payments::OutboxItem>, StoreError>;
    /// The gateway took the message.
    async fn outbox_delivered(&self, message_id: &str, at: Timestamp) -> Result<(), StoreError>;
    /// A hand-off failed: one more attempt counted, the next one not before `next_attempt_at`.
    async fn outbox_failed(&self, message_id: &str, next_attempt_at: Timestamp, error: &str) -> Result<(), StoreError>;
    /// The account with this IBAN (an incoming transfer's payee).
    async fn account_by_iban(&self, iban: &tiyn_core::iban::Iban) -> Result<Option<Account>, StoreError>;
    /// An incoming credit refused back, by its message id.
    async fn returned_credit(&self, message_id: &str) -> Result<Option<payments::ReturnedCredit>, StoreError>;
    /// Records an incoming credit refused back; a second record of the same message id keeps and
    /// answers the first.
    async fn return_credit(&self, credit: payments::ReturnedCredit) -> Result<payments::ReturnedCredit, StoreError>;

    // ----- FX rates (issue 5, R-13.2, R-3.1.1.4) -----

    /// Keeps a dealing rate the bank set and answers it with its id. Rates are never changed or
    /// deleted: a later rate of the same pair replaces it from its own `valid_from` on.
    async fn add_fx_rate(&self, rate: fx::NewDealingRate) -> Result<tiyn_fx::DealingRate, StoreError>;
    /// The dealing rates in force at `at`: per pair, the latest with `valid_from ≤ at` (ties: the
    /// one set last), chosen in the database, one lookup per pair.
    async fn fx_rates_at(&self, at: Timestamp) -> Result<tiyn_fx::RatesInForce, StoreError>;
    /// One dealing rate by id, whether in force or not (a conversion reproduced from its rate id).
    async fn fx_rate(&self, id: tiyn_fx::RateId) -> Result<Option<tiyn_fx::DealingRate>, StoreError>;
    /// A pair's rate in force at `from` (when there is one) and every later one with
    /// `valid_from ≤ to`, ordered by `valid_from`, then id.
    async fn fx_rate_history(
        &self,
        pair: tiyn_fx::Pair,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<tiyn_fx::DealingRate>, StoreError>;
    /// Keeps one day's official NBK rates in one transaction (see [`fx::plan_nbk_import`]): the
    /// same values again change nothing; a different value for a day already imported replaces
    /// the stored one; codes the file does not list stay as they were.
    async fn put_nbk_rates(&self, rates: &tiyn_fx::nbk::NbkRates, at: Timestamp) -> Result<fx::NbkImport, StoreError>;
    /// The official rates stored for exactly this day, ordered by code.
    async fn nbk_rates(&self, date: jiff::civil::Date) -> Result<Vec<fx::NbkRateRecord>, StoreError>;
    /// The latest day on or before `on_or_before` with official rates stored (an official rate
    /// stays in force until the next one is set).
    async fn latest_nbk_date(&self, on_or_before: jiff::civil::Date) -> Result<Option<jiff::civil::Date>, StoreError>;

    // Directories (issue 6)

    /// Keeps a directory text an administrator loaded (R-3.1.2.2) and answers it with its id; it
    /// is in force from the server's next start. Texts are never changed or deleted.
    async fn add_directory_text(
        &self,
        text: directories::NewDirectoryText,
    ) -> Result<directories::DirectoryText, StoreError>;
    /// The newest text of each kind that has one (the highest id), in kind order.
    async fn latest_directory_texts(&self) -> Result<Vec<directories::DirectoryText>, StoreError>;

    // ----- statements (issue 6) -----

    /// The numbers of `account`'s statement over `period` (R-3.1.2.1, R-6.3.1), from its
    /// postings alone: the balance at the start of the period's first day (Asia/Almaty), the
    /// period's debits and credits, the closing balance, the number of operations, and the
    /// snapshot every page of its lines is read at (`through_posting`), so that
    /// every walk over the lines sees the lines these totals sum. `NotFound` for an unknown
    /// account.
    async fn statement_totals(
        &self,
        account: AccountId,
        period: tiyn_statement::Period,
    ) -> Result<statements::StatementTotals, StoreError>;
    /// One page of a statement's lines: the account's postings up to the request's snapshot,
    /// booked in the period after its cursor (and up to its upper cursor, when given), in line
    /// order (booking instant, entry, posting), at most `limit` postings, each one line or, with
    /// its commission, two. Walk a statement with [`statements::LineReader`].
    async fn statement_lines(&self, request: statements::LinesRequest) -> Result<statements::LinesPage, StoreError>;
    /// Where a full page of the request would end: the cursor of its `limit`-th posting, or
    /// `None` when fewer remain ([`statements::PAGE_END_SQL`]). The request's upper cursor is
    /// ignored.
    async fn statement_page_end(
        &self,
        request: statements::LinesRequest,
    ) -> Result<Option<statements::LineCursor>, StoreError>;
    /// Executes an incoming credit's ledger command and keeps its payer's details with its entry,
    /// in one transaction (R-3.1.2.3: the payee's statement names the payer). A replay of the
    /// command writes nothing new and answers the first result.
    async fn book_incoming_credit(
        &self,
        command: Command,
        details: statements::IncomingCreditDetails,
    ) -> Result<Executed, StoreError>;

    // POS terminals (issue 6)

    /// Registers a terminal, or changes its address, status or settlement account. A terminal id
    /// registered for another partner is `Conflict("terminal_of_another_partner")`.
    async fn save_pos_terminal(
        &self,
        terminal: pos::NewPosTerminal,
    ) -> Result<(pos::PosTerminal, pos::TerminalSaved), StoreError>;
    /// The terminal with this acquirer's id, whoever's it is (the gateway's lookup).
    async fn pos_terminal(&self, terminal_id: &str) -> Result<Option<pos::PosTerminal>, StoreError>;
    /// The partner's terminals, by terminal id, at most [`pos::TERMINALS_MAX`].
    async fn pos_terminals(&self, partner: PartnerId) -> Result<Vec<pos::PosTerminal>, StoreError>;
    /// Ingests a batch of operations in one transaction, each on its own: a new operation id is
    /// written; a known one with the same content answers its first id (`replayed`); with other
    /// content, `Conflict("idempotency_conflict")` for that item alone.
    async fn ingest_pos_operations(
        &self,
        operations: Vec<pos::NewPosOperation>,
    ) -> Result<Vec<Result<pos::PosIngested, StoreError>>, StoreError>;
    /// One keyset page of a terminal's operations in a period, by (occurred_at, id).
    async fn pos_operations(&self, query: pos::PosOperationsQuery) -> Result<Vec<pos::PosOperation>, StoreError>;
    /// A terminal's totals over `[from_us, to_us)` and each business day's, grouped in SQL.
    async fn pos_totals(
        &self,
        terminal: i64,
        currency: Currency,
        from_us: i64,
        to_us: i64,
    ) -> Result<pos::PosPeriodTotals, StoreError>;
    /// The partner's planned credits (R-3.1.2.5): settled operations not yet credited, per
    /// settlement account and date, by date.
    async fn planned_pos_credits(&self, partner: PartnerId) -> Result<Vec<pos::PlannedPosCredit>, StoreError>;
    /// One settlement account's date: what is planned and what was already credited.
    async fn pos_settlement(
        &self,
        account: AccountId,
        settlement_date: jiff::civil::Date,
    ) -> Result<pos::PosSettlementState, StoreError>;
    /// Marks the plan's operations (the ids it was read with) credited by the settlement credit
    /// booked under `message_id`, in one transaction that re-sums what that credit then covers
    /// (`Conflict("settlement_changed")` unless it is all of them, summing to `expected`; a
    /// repeat of the same credit answers the same). Answers how many.
    async fn credit_pos_operations(&self, credit: pos::CreditPosOperations) -> Result<u64, StoreError>;

    // Notices and marketplace reports (issue 6, R-3.1.2.8)

    /// Publishes a notice. With a key already used: the first notice for the same content
    /// (`replayed`), `Conflict("idempotency_conflict")` for other content.
    async fn publish_notice(&self, notice: messages::NewNotice) -> Result<messages::NoticePublished, StoreError>;
    /// One page of notices, newest first (published_at, id descending).
    async fn notices(&self, query: messages::NoticeQuery) -> Result<Vec<messages::Notice>, StoreError>;
    /// Keeps a marketplace report with its orders and payouts in one transaction. A known report
    /// id with the same content digest answers the first (`replayed`); with another,
    /// `Conflict("idempotency_conflict")`.
    async fn ingest_marketplace_report(
        &self,
        report: messages::NewMarketplaceReport,
    ) -> Result<messages::ReportIngested, StoreError>;
    /// A partner's reports, newest first (by store id), after `before` (a store id), at most
    /// `limit` ([`messages::REPORTS_PAGE_MAX`]).
    async fn marketplace_reports(
        &self,
        partner: PartnerId,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<messages::MarketplaceReportSummary>, StoreError>;
    /// One of the partner's reports by the marketplace's report id, with its orders and payouts;
    /// another partner's is `None` like an unknown one.
    async fn marketplace_report(
        &self,
        partner: PartnerId,
        report_id: &str,
    ) -> Result<Option<messages::MarketplaceReport>, StoreError>;

    // Marketplace payouts in planned credits (issue 6, R-3.1.2.5)

    /// The payouts of the partner's reports not credited yet, by paid_on then id, at most
    /// [`messages::PLANNED_PAYOUTS_MAX`].
    async fn planned_marketplace_payouts(&self, partner: PartnerId)
    -> Result<Vec<messages::PlannedPayout>, StoreError>;
    /// One payout of one of the partner's reports, credited or not; another partner's is `None`
    /// like an unknown one.
    async fn marketplace_payout(
        &self,
        partner: PartnerId,
        report_id: &str,
        payout_id: &str,
    ) -> Result<Option<messages::PlannedPayout>, StoreError>;
    /// Marks a payout credited, in one conditional update (only while it is not credited).
    /// Answers `true` (replayed) when it was already credited under the same message id;
    /// `Conflict("payout_already_credited")` under another; `NotFound` for an unknown payout.
    async fn credit_marketplace_payout(&self, credit: messages::CreditMarketplacePayout) -> Result<bool, StoreError>;

    /// Sums every posting per currency: the zero-sum invariant alone (one scan of the postings).
    async fn posting_totals(&self) -> Result<Vec<CurrencyTotal>, StoreError>;

    /// Sums every posting per currency (the zero-sum invariant) and checks every account's stored
    /// balance against its postings and every partner account against zero.
    async fn check_ledger(&self) -> Result<LedgerCheck, StoreError>;
}

/// Checks that a new account is consistent before any backend writes it: a partner account has a
/// partner and an IBAN; a bank account has neither.
pub fn validate_new_account(account: &NewAccount) -> Result<(), StoreError> {
    let partner_account = account.kind == AccountKind::PartnerCurrent;
    if partner_account && (account.partner.is_none() || account.iban.is_none()) {
        return Err(StoreError::Invalid("a partner account needs its partner and an IBAN"));
    }
    if !partner_account && account.partner.is_some() {
        return Err(StoreError::Invalid("a bank account belongs to no partner"));
    }
    if account.name.trim().is_empty() || account.name.chars().count() > ACCOUNT_NAME_LENGTH_MAX {
        return Err(StoreError::Invalid("an account name has 1 to 100 characters"));
    }
    Ok(())
}

/// Account names are labels in lists and statements; 100 characters fit any bank's.
pub const ACCOUNT_NAME_LENGTH_MAX: usize = 100;
