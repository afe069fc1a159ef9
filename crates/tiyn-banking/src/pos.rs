//! POS terminals and their card operations (issue 6, R-3.1.2.4) and the planned credits of their
//! settlements (R-3.1.2.5), as use cases.
//!
//! **Ingestion** (the acquirer, through the gateway API): [`ingest`] parses each operation of a
//! batch on its own — its terminal, kind, status, amount and fee in the settlement account's
//! currency, and its card number as a [`MaskedPan`] (a full card number is refused with
//! `full_card_number` and never stored, logged or repeated back) — and the store keeps it under
//! the acquirer's operation id: the same content again answers `replayed`; an operation sent
//! as approved and again as settled (with its settlement date, otherwise the same) is `settled`;
//! other content is `idempotency_conflict`. Terminals are registered the same way ([`register_terminal`]).
//!
//! **Views** (the partner): [`Banking::pos_terminals`], [`Banking::pos_statement`] (one terminal,
//! a period of at most three years — the statements' [`Period`] —, its totals and daily totals
//! from SQL, its operations in keyset pages) and [`Banking::planned_credits`]. Another partner's
//! terminal is `NotFound` exactly like an unknown one. Each needs its information service
//! (`ViewPos`, `ViewPlannedCredits`; exporting also `ExportStatements`, R-3.1.2.6), and reading
//! or exporting operations is recorded in the audit trail like a statement.
//!
//! **Settlement** ([`Banking::settle_pos`]): the acquirer's credit for one settlement account and
//! date must equal the planned amount (purchases − refunds − reversals − fees of the settled,
//! not yet credited operations); it is booked exactly like an incoming interbank credit
//! ([`Banking::incoming_credit`], keyed by a message id derived from the account, the date and the
//! last planned operation, so a repeat replays) and the operations of the plan as read are
//! marked credited with its entry: they leave the plan. An operation that settles for the same
//! date while the credit is booked (an approved one of a lower id, say) is not among them: it
//! stays planned for the next settlement.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::access::Permission;
use tiyn_core::iban::Iban;
use tiyn_core::iin::Bin;
use tiyn_core::{AccountId, Amount, Currency, Money, PartnerId};
use tiyn_identity::{Context, IdentityError, Principal};
use tiyn_payments::{FieldError, MessageId, PayeeName};
use tiyn_store::pos::{
    CreditPosOperations, INGEST_BATCH_MAX, NewPosOperation, NewPosTerminal, OPERATION_ID_LENGTH_MAX, PosCursor,
    PosOperationsQuery, PosTerminal, TERMINAL_ID_LENGTH_MAX, TerminalSaved, TerminalStatus,
};
use tiyn_store::statements::{Period, period_instants};
use tiyn_store::{Account, AccountKind, Store, StoreError};

pub use tiyn_store::pos::{
    MaskedPan, MaskedPanError, PosDayTotals, PosKind, PosOperation, PosStatus, PosTotals,
    TerminalStatus as PosTerminalStatus,
};

use crate::gateway::IncomingCredit;
use crate::{Banking, BankingError};

/// Audit actions of POS services.
pub mod audit_action {
    /// A terminal's operations read on screen or through the API as JSON.
    pub const POS_VIEW: &str = "pos.view";
    /// A terminal's operations exported in a file format (R-3.1.2.6).
    pub const POS_EXPORT: &str = "pos.export";
    /// The planned credits read (R-3.1.2.5).
    pub const PLANNED_CREDITS_VIEW: &str = "pos.planned_credits_view";
    /// The acquirer sent operations.
    pub const POS_INGEST: &str = "gateway.pos_operations";
    /// The acquirer registered or changed a terminal.
    pub const POS_TERMINAL: &str = "gateway.pos_terminal";
    /// The acquirer's settlement credit arrived and was matched.
    pub const POS_SETTLEMENT: &str = "gateway.pos_settlement";
}

/// Stable codes of the POS refusals.
pub mod codes {
    pub const FULL_CARD_NUMBER: &str = "full_card_number";
    pub const INVALID_MASKED_CARD: &str = "invalid_masked_card";
    pub const UNKNOWN_TERMINAL: &str = "unknown_terminal";
    pub const INVALID_OPERATION_ID: &str = "invalid_operation_id";
    pub const INVALID_TERMINAL_ID: &str = "invalid_terminal_id";
    pub const INVALID_KIND: &str = "invalid_kind";
    pub const INVALID_STATUS: &str = "invalid_status";
    pub const INVALID_INSTANT: &str = "invalid_instant";
    pub const INVALID_DATE: &str = "invalid_date";
    pub const INVALID_AMOUNT: &str = "invalid_amount";
    pub const CURRENCY_MISMATCH: &str = "currency_mismatch";
    pub const SETTLEMENT_DATE_REQUIRED: &str = "settlement_date_required";
    pub const IDEMPOTENCY_CONFLICT: &str = tiyn_store::pos::IDEMPOTENCY_CONFLICT;
    pub const DUPLICATE_IN_BATCH: &str = "duplicate_in_batch";
    pub const TOO_MANY_OPERATIONS: &str = "too_many_operations";
    pub const UNKNOWN_PARTNER: &str = "unknown_partner";
    pub const SETTLEMENT_ACCOUNT_INVALID: &str = "settlement_account_invalid";
    pub const INVALID_ADDRESS: &str = "invalid_address";
    pub const TERMINAL_OF_ANOTHER_PARTNER: &str = tiyn_store::pos::TERMINAL_OF_ANOTHER_PARTNER;
    /// The settlement's amount is not the planned amount.
    pub const SETTLEMENT_AMOUNT_MISMATCH: &str = "settlement_amount_mismatch";
    /// Nothing is planned for that account and date.
    pub const NO_PLANNED_CREDIT: &str = "no_planned_credit";
    /// The settlement credit could not be booked on the account (returned).
    pub const SETTLEMENT_RETURNED: &str = "settlement_returned";
}

/// Who the settlement credits name as their payer.
pub const ACQUIRER_NAME: &str = "Эквайринг Tiyn: возмещение по POS-терминалам";

/// One operation as the acquirer sends it: text, parsed here field by field. Its `Debug` leaves
/// the card out: the text may be a full card number, which must never reach a log.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RawPosOperation {
    pub operation_id: String,
    pub terminal_id: String,
    /// RFC 3339.
    pub occurred_at: String,
    pub kind: String,
    pub status: String,
    /// Masked: `440043******1234`.
    pub card: String,
    /// A decimal string with the currency's digits.
    pub amount: String,
    pub currency: String,
    pub fee: String,
    pub fee_currency: String,
    /// `YYYY-MM-DD`, when known.
    pub settlement_date: Option<String>,
}

impl std::fmt::Debug for RawPosOperation {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RawPosOperation")
            .field("operation_id", &self.operation_id)
            .field("terminal_id", &self.terminal_id)
            .finish_non_exhaustive()
    }
}

/// What became of one operation of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PosItemOutcome {
    Created {
        id: i64,
    },
    /// The same operation was ingested before: nothing changed.
    Replayed {
        id: i64,
    },
    /// The operation was ingested as approved and is now settled (its settlement date set).
    Settled {
        id: i64,
    },
    /// Refused, with a stable code and an explanation (never the card number).
    Refused {
        code: &'static str,
        detail: String,
    },
}

/// A batch's outcomes, in the order of its operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosIngestReport {
    pub outcomes: Vec<PosItemOutcome>,
}

impl PosIngestReport {
    pub fn count(&self, which: fn(&PosItemOutcome) -> bool) -> usize {
        self.outcomes.iter().filter(|outcome| which(outcome)).count()
    }
}

fn refused(code: &'static str, detail: impl Into<String>) -> PosItemOutcome {
    PosItemOutcome::Refused { code, detail: detail.into() }
}

/// A terminal as the acquirer registers it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawPosTerminal {
    pub terminal_id: String,
    pub partner_bin: String,
    pub address: String,
    pub status: String,
    pub settlement_iban: String,
}

fn field_error(field: &'static str, code: &'static str, detail: impl Into<String>) -> FieldError {
    FieldError { field, code, detail: detail.into() }
}

fn valid_id(text: &str, length_max: usize) -> bool {
    (1..=length_max).contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_graphic())
}

/// Registers a terminal or changes its address, status or settlement account (the acquirer's
/// call). The settlement account must be an account of the partner with that BIN; every field's
/// problem is reported at once.
pub async fn register_terminal(
    store: &dyn Store,
    raw: &RawPosTerminal,
    at: Timestamp,
) -> Result<(PosTerminal, TerminalSaved), BankingError> {
    let mut errors = Vec::new();
    let terminal_id = raw.terminal_id.trim();
    if !valid_id(terminal_id, TERMINAL_ID_LENGTH_MAX) {
        errors.push(field_error("terminal_id", codes::INVALID_TERMINAL_ID, "1 to 32 visible ASCII characters"));
    }
    let address = raw.address.split_whitespace().collect::<Vec<_>>().join(" ");
    if address.is_empty() || address.chars().count() > tiyn_store::pos::ADDRESS_LENGTH_MAX {
        errors.push(field_error("address", codes::INVALID_ADDRESS, "1 to 300 characters"));
    }
    let status = TerminalStatus::parse(raw.status.trim());
    if status.is_none() {
        errors.push(field_error("status", codes::INVALID_STATUS, "active, blocked or closed"));
    }
    let bin = Bin::parse(raw.partner_bin.trim())
        .map_err(|error| errors.push(field_error("partner_bin", error.code(), error.to_string())))
        .ok();
    let iban = Iban::parse(raw.settlement_iban.trim())
        .map_err(|error| errors.push(field_error("settlement_iban", error.code(), error.to_string())))
        .ok();
    let partner = match &bin {
        Some(bin) => {
            let partner = store.partners().await?.into_iter().find(|partner| &partner.bin == bin);
            if partner.is_none() {
                errors.push(field_error("partner_bin", codes::UNKNOWN_PARTNER, "no partner of the bank has this BIN"));
            }
            partner
        }
        None => None,
    };
    let account = match (&iban, &partner) {
        (Some(iban), Some(partner)) => {
            let account = store
                .account_by_iban(iban)
                .await?
                .filter(|account| account.partner == Some(partner.id) && account.kind == AccountKind::PartnerCurrent);
            if account.is_none() {
                errors.push(field_error(
                    "settlement_iban",
                    codes::SETTLEMENT_ACCOUNT_INVALID,
                    "the settlement account must be an account of the terminal's partner",
                ));
            }
            account
        }
        _ => None,
    };
    match (status, partner, account) {
        (Some(status), Some(partner), Some(account)) if errors.is_empty() => {
            let new = NewPosTerminal {
                partner: partner.id,
                terminal_id: terminal_id.to_owned(),
                address,
                status,
                settlement_account: account.id,
                at,
            };
            Ok(store.save_pos_terminal(new).await?)
        }
        _ => Err(BankingError::Invalid(errors)),
    }
}

/// A terminal and the currency of its settlement account, looked up once per batch.
#[derive(Debug, Clone)]
struct KnownTerminal {
    id: i64,
    currency: Currency,
}

/// Parses and ingests a batch of at most [`INGEST_BATCH_MAX`] operations (see the module docs).
/// Each operation is refused or kept on its own; the answer has one outcome per operation, in
/// order.
pub async fn ingest(
    store: &dyn Store,
    operations: &[RawPosOperation],
    at: Timestamp,
) -> Result<PosIngestReport, BankingError> {
    if operations.len() > INGEST_BATCH_MAX {
        return Err(BankingError::Invalid(vec![field_error(
            "operations",
            codes::TOO_MANY_OPERATIONS,
            format!("at most {INGEST_BATCH_MAX} operations per call; this one has {}", operations.len()),
        )]));
    }
    let mut terminals: HashMap<String, Option<KnownTerminal>> = HashMap::new();
    let mut outcomes: Vec<Option<PosItemOutcome>> = vec![None; operations.len()];
    let mut to_store = Vec::new();
    let mut positions = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (index, raw) in operations.iter().enumerate() {
        let terminal_id = raw.terminal_id.trim();
        if !terminals.contains_key(terminal_id) {
            let known = match store.pos_terminal(terminal_id).await? {
                Some(terminal) => match store.account(terminal.settlement_account).await? {
                    Some(account) => Some(KnownTerminal { id: terminal.id, currency: account.currency }),
                    None => None,
                },
                None => None,
            };
            terminals.insert(terminal_id.to_owned(), known);
        }
        let terminal = terminals.get(terminal_id).cloned().flatten();
        match parse_operation(raw, terminal.as_ref(), at) {
            Ok(new) => {
                // Two different operations under one id in one batch: the second is a conflict
                // of the first, decided here since the store sees them in one transaction.
                if let Some(first) = seen.get(raw.operation_id.trim()) {
                    let same = to_store.get(*first).is_some_and(|earlier: &NewPosOperation| earlier == &new);
                    if !same {
                        outcomes[index] = Some(refused(
                            codes::DUPLICATE_IN_BATCH,
                            "this operation id comes twice in the batch with different contents",
                        ));
                        continue;
                    }
                }
                seen.insert(raw.operation_id.trim(), to_store.len());
                to_store.push(new);
                positions.push(index);
            }
            Err(outcome) => outcomes[index] = Some(outcome),
        }
    }
    if !to_store.is_empty() {
        let stored = store.ingest_pos_operations(to_store).await?;
        if stored.len() != positions.len() {
            return Err(BankingError::Internal("the store answered another number of POS operations".into()));
        }
        for (index, result) in positions.into_iter().zip(stored) {
            outcomes[index] = Some(match result {
                Ok(ingested) if ingested.replayed => PosItemOutcome::Replayed { id: ingested.id },
                Ok(ingested) if ingested.settled => PosItemOutcome::Settled { id: ingested.id },
                Ok(ingested) => PosItemOutcome::Created { id: ingested.id },
                Err(StoreError::Conflict(code)) => refused(
                    code,
                    "this operation id was already sent with other contents (only an approved operation may \
                         come again as settled, with its settlement date); the first stays as it was",
                ),
                Err(other) => return Err(other.into()),
            });
        }
    }
    let outcomes: Vec<PosItemOutcome> = outcomes.into_iter().flatten().collect();
    assert_eq!(outcomes.len(), operations.len(), "one outcome per operation");
    Ok(PosIngestReport { outcomes })
}

/// One operation's fields, each checked; the first problem refuses it (the card first: a full
/// card number is the one refusal that must always say so).
fn parse_operation(
    raw: &RawPosOperation,
    terminal: Option<&KnownTerminal>,
    at: Timestamp,
) -> Result<NewPosOperation, PosItemOutcome> {
    let card = MaskedPan::parse(&raw.card).map_err(|error| refused(error.code(), error.to_string()))?;
    let operation_id = raw.operation_id.trim();
    if !valid_id(operation_id, OPERATION_ID_LENGTH_MAX) {
        return Err(refused(codes::INVALID_OPERATION_ID, "1 to 64 visible ASCII characters"));
    }
    let Some(terminal) = terminal else {
        return Err(refused(codes::UNKNOWN_TERMINAL, format!("no terminal {:?} is registered", raw.terminal_id)));
    };
    let occurred_at: Timestamp = raw
        .occurred_at
        .trim()
        .parse()
        .map_err(|_| refused(codes::INVALID_INSTANT, "occurred_at is an RFC 3339 instant"))?;
    let kind = PosKind::parse(raw.kind.trim())
        .ok_or_else(|| refused(codes::INVALID_KIND, "kind is purchase, refund or reversal"))?;
    let status = PosStatus::parse(raw.status.trim())
        .ok_or_else(|| refused(codes::INVALID_STATUS, "status is approved, declined or settled"))?;
    let money = |text: &str, currency: &str, what: &str| -> Result<Money, PosItemOutcome> {
        let currency =
            Currency::parse(currency.trim()).map_err(|error| refused(error.code(), format!("{what}: {error}")))?;
        if currency != terminal.currency {
            return Err(refused(
                codes::CURRENCY_MISMATCH,
                format!("{what} is in {currency}; the terminal settles in {}", terminal.currency),
            ));
        }
        Money::parse_canonical(text.trim(), currency)
            .map_err(|error| refused(codes::INVALID_AMOUNT, format!("{what}: {error}")))
    };
    let amount = money(&raw.amount, &raw.currency, "amount")?;
    if !amount.is_positive() {
        return Err(refused(codes::INVALID_AMOUNT, "the amount must be positive"));
    }
    let fee = money(&raw.fee, &raw.fee_currency, "fee")?;
    if fee.is_negative() {
        return Err(refused(codes::INVALID_AMOUNT, "the fee cannot be negative"));
    }
    let settlement_date = match raw.settlement_date.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => Some(
            text.parse::<Date>()
                .ok()
                .filter(|_| text.len() == 10)
                .ok_or_else(|| refused(codes::INVALID_DATE, "settlement_date is YYYY-MM-DD"))?,
        ),
        None => None,
    };
    if status == PosStatus::Settled && settlement_date.is_none() {
        return Err(refused(codes::SETTLEMENT_DATE_REQUIRED, "a settled operation has its settlement date"));
    }
    Ok(NewPosOperation {
        terminal: terminal.id,
        operation_id: operation_id.to_owned(),
        occurred_at,
        kind,
        status,
        card,
        amount,
        fee,
        settlement_date,
        received_at: at,
    })
}

// ----- The partner's views -----

/// What the operations are read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosUse {
    /// On screen or as JSON ([`Permission::ViewPos`]).
    View,
    /// Exported as a file in `format`, which also needs [`Permission::ExportStatements`].
    Export { format: &'static str },
}

/// A terminal the principal may see, with its settlement account: obtained only through
/// [`Banking::pos_terminal_of`].
#[derive(Debug, Clone)]
pub struct OwnTerminal {
    pub terminal: PosTerminal,
    pub account: Account,
}

/// A terminal's operations over a period: its numbers, and the operations read in pages.
#[derive(Clone)]
pub struct PosStatement {
    pub terminal: OwnTerminal,
    pub period: Period,
    /// Bank, holder, terminal, period and totals, as every format prints them.
    pub header: tiyn_store::pos::PosHeader,
    /// Days with operations, in order.
    pub days: Vec<PosDayTotals>,
    from_us: i64,
    to_us: i64,
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for PosStatement {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PosStatement")
            .field("terminal", &self.terminal.terminal.terminal_id)
            .field("period", &self.period)
            .finish()
    }
}

/// Operations per page an export reads: one short query each.
pub const EXPORT_PAGE_OPERATIONS: usize = tiyn_store::pos::OPERATIONS_PAGE_MAX;

impl PosStatement {
    /// One page of at most `limit` operations after `after`.
    pub async fn page(&self, after: Option<PosCursor>, limit: usize) -> Result<Vec<PosOperation>, BankingError> {
        let query = PosOperationsQuery {
            terminal: self.terminal.terminal.id,
            from_us: self.from_us,
            to_us: self.to_us,
            after,
            limit,
        };
        Ok(self.store.pos_operations(query).await?)
    }

    /// Every operation of the period as a blocking iterator, page by page (run it on a blocking
    /// thread). A store error is the last item, as text.
    pub fn blocking(&self, runtime: tokio::runtime::Handle) -> impl Iterator<Item = Result<PosOperation, String>> {
        let statement = self.clone();
        let mut after = None;
        let mut buffered = std::collections::VecDeque::new();
        let mut finished = false;
        std::iter::from_fn(move || {
            loop {
                if let Some(operation) = buffered.pop_front() {
                    return Some(Ok(operation));
                }
                if finished {
                    return None;
                }
                match runtime.block_on(statement.page(after, EXPORT_PAGE_OPERATIONS)) {
                    Ok(page) => {
                        finished = page.len() < EXPORT_PAGE_OPERATIONS;
                        after = page.last().map(PosCursor::of);
                        buffered.extend(page);
                    }
                    Err(error) => {
                        finished = true;
                        return Some(Err(error.to_string()));
                    }
                }
            }
        })
    }
}

/// A planned credit as the partner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCredit {
    pub account: Account,
    pub expected_date: Date,
    pub amount: Money,
    pub source: PlannedSource,
}

/// Where a planned credit comes from (R-3.1.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedSource {
    /// The acquirer's settlement of this many POS operations.
    Pos { operations: u64 },
    /// A payout of a marketplace report, covering this many orders.
    Marketplace { report_id: String, payout_id: String, orders: u64 },
}

/// The acquirer's settlement credit (`POST /api/gateway/v1/pos/settlements`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosSettlementInput {
    pub settlement_account_iban: Iban,
    pub settlement_date: Date,
    pub amount: Amount,
}

/// What a settlement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosSettled {
    pub account: AccountId,
    /// Operations that left the plan.
    pub operations: u64,
    pub amount: Money,
    /// A repeat of a settlement already matched: nothing changed.
    pub replayed: bool,
}

fn require(principal: &Principal, permission: Permission) -> Result<(), BankingError> {
    if principal.allows(permission) { Ok(()) } else { Err(IdentityError::Forbidden(permission).into()) }
}

fn partner_of(principal: &Principal) -> Result<PartnerId, BankingError> {
    principal.partner().ok_or(BankingError::NotFound("terminal"))
}

impl Banking {
    /// The acquirer's batch of operations (see [`ingest`]), recorded in the audit trail.
    pub async fn ingest_pos_operations(&self, operations: &[RawPosOperation]) -> Result<PosIngestReport, BankingError> {
        let report = ingest(self.store.as_ref(), operations, self.now()).await?;
        let created = report.count(|outcome| matches!(outcome, PosItemOutcome::Created { .. }));
        let replayed = report.count(|outcome| matches!(outcome, PosItemOutcome::Replayed { .. }));
        let settled = report.count(|outcome| matches!(outcome, PosItemOutcome::Settled { .. }));
        let refused = report.outcomes.len() - created - replayed - settled;
        self.identity
            .record_system(
                audit_action::POS_INGEST,
                None,
                "pos_operations".to_owned(),
                Some(format!("{created} created, {settled} settled, {replayed} repeated, {refused} refused")),
            )
            .await?;
        Ok(report)
    }

    /// The acquirer registers or changes a terminal (see [`register_terminal`]), audited.
    pub async fn register_pos_terminal(
        &self,
        raw: &RawPosTerminal,
    ) -> Result<(PosTerminal, TerminalSaved), BankingError> {
        let (terminal, saved) = register_terminal(self.store.as_ref(), raw, self.now()).await?;
        if saved != TerminalSaved::Unchanged {
            self.identity
                .record_system(
                    audit_action::POS_TERMINAL,
                    Some(terminal.partner),
                    format!("pos_terminal:{}", terminal.terminal_id),
                    Some(format!("{saved:?}: {}, account {}", terminal.status.as_str(), terminal.settlement_account)),
                )
                .await?;
        }
        Ok((terminal, saved))
    }

    /// The principal's partner's terminals (R-3.1.2.4), with their settlement accounts.
    pub async fn pos_terminals(&self, principal: &Principal) -> Result<Vec<OwnTerminal>, BankingError> {
        require(principal, Permission::ViewPos)?;
        let partner = partner_of(principal)?;
        let accounts = self.store.partner_accounts(partner).await?;
        let terminals = self.store.pos_terminals(partner).await?;
        terminals
            .into_iter()
            .map(|terminal| {
                let account = accounts
                    .iter()
                    .find(|account| account.id == terminal.settlement_account)
                    .cloned()
                    .ok_or_else(|| BankingError::Internal(format!("terminal {} settles elsewhere", terminal.id)))?;
                Ok(OwnTerminal { terminal, account })
            })
            .collect()
    }

    /// The terminal gate: the principal's partner's terminal with this acquirer's id, else
    /// `NotFound` exactly like an unknown id.
    pub async fn pos_terminal_of(&self, principal: &Principal, terminal_id: &str) -> Result<OwnTerminal, BankingError> {
        require(principal, Permission::ViewPos)?;
        let partner = partner_of(principal)?;
        let terminal = self
            .store
            .pos_terminal(terminal_id.trim())
            .await?
            .filter(|terminal| terminal.partner == partner)
            .ok_or(BankingError::NotFound("terminal"))?;
        let account = self
            .store
            .account(terminal.settlement_account)
            .await?
            .filter(|account| account.partner == Some(partner))
            .ok_or_else(|| BankingError::Internal(format!("terminal {} settles elsewhere", terminal.id)))?;
        Ok(OwnTerminal { terminal, account })
    }

    /// A terminal's operations over `period` (at most three years, [`Period`]): its totals and
    /// daily totals from the store, the read recorded in the audit trail (an export needs its
    /// own permission, R-3.1.2.6). The operations are read in pages afterwards.
    pub async fn pos_statement(
        &self,
        context: &Context,
        principal: &Principal,
        terminal: OwnTerminal,
        period: Period,
        use_: PosUse,
    ) -> Result<PosStatement, BankingError> {
        require(principal, Permission::ViewPos)?;
        let (action, format) = match use_ {
            PosUse::View => (audit_action::POS_VIEW, "view"),
            PosUse::Export { format } => {
                require(principal, Permission::ExportStatements)?;
                (audit_action::POS_EXPORT, format)
            }
        };
        let (from_us, to_us) = period_instants(period)?;
        let currency = terminal.account.currency;
        let totals = self.store.pos_totals(terminal.terminal.id, currency, from_us, to_us).await?;
        let partner = self
            .store
            .partner(terminal.terminal.partner)
            .await?
            .ok_or_else(|| BankingError::Internal("a terminal of an unknown partner".into()))?;
        let bank = self.own_bank()?;
        let header = tiyn_store::pos::PosHeader {
            bank_name: bank.name,
            bank_bic: bank.bic.as_str().to_owned(),
            holder_name: partner.name,
            terminal_id: terminal.terminal.terminal_id.clone(),
            address: terminal.terminal.address.clone(),
            settlement_iban: terminal.account.iban.as_ref().map(|iban| iban.as_str().to_owned()).unwrap_or_default(),
            currency,
            period,
            created_at: self.now(),
            totals: totals.totals,
        };
        let details = format!("{}..{}; {format}; {} operations", period.from(), period.to(), totals.totals.operations);
        self.identity
            .record_detailed(
                context,
                principal,
                action,
                Some(format!("pos_terminal:{}", terminal.terminal.terminal_id)),
                Some(details),
                None,
            )
            .await?;
        Ok(PosStatement { terminal, period, header, days: totals.days, from_us, to_us, store: Arc::clone(&self.store) })
    }

    /// The partner's planned credits (R-3.1.2.5): per settlement account and date, the expected
    /// amount of its settled, not yet credited POS operations; and the payouts of its marketplace
    /// reports not yet credited ([`crate::marketplace`]). By expected date, then account. The
    /// read is audited.
    pub async fn planned_credits(
        &self,
        context: &Context,
        principal: &Principal,
    ) -> Result<Vec<PlannedCredit>, BankingError> {
        require(principal, Permission::ViewPlannedCredits)?;
        let partner = principal.partner().ok_or(BankingError::NotFound("partner"))?;
        let accounts = self.store.partner_accounts(partner).await?;
        let planned = self.store.planned_pos_credits(partner).await?;
        let mut credits = Vec::with_capacity(planned.len());
        for plan in planned {
            let account = accounts
                .iter()
                .find(|account| account.id == plan.account)
                .cloned()
                .ok_or_else(|| BankingError::Internal(format!("a planned credit to account {}", plan.account)))?;
            credits.push(PlannedCredit {
                account,
                expected_date: plan.settlement_date,
                amount: plan.amount()?,
                source: PlannedSource::Pos { operations: plan.totals.operations },
            });
        }
        for planned in self.planned_payouts(partner, &accounts).await? {
            credits.push(PlannedCredit {
                account: planned.account,
                expected_date: planned.payout.paid_on,
                amount: planned.payout.amount,
                source: PlannedSource::Marketplace {
                    report_id: planned.payout.report_id,
                    payout_id: planned.payout.payout_id,
                    orders: planned.payout.orders,
                },
            });
        }
        // Both sources by expected date, then account; stable, so each source keeps its order.
        credits.sort_by_key(|credit| (credit.expected_date, credit.account.id));
        self.identity
            .record_detailed(
                context,
                principal,
                audit_action::PLANNED_CREDITS_VIEW,
                None,
                Some(format!("{} planned credits", credits.len())),
                None,
            )
            .await?;
        Ok(credits)
    }

    /// The acquirer's settlement credit for one account and date (R-3.1.2.5): refused unless it
    /// equals the planned amount; booked like an incoming credit; the operations leave the plan.
    /// A repeat of a settlement already matched answers `replayed`.
    pub async fn settle_pos(&self, input: &PosSettlementInput) -> Result<PosSettled, BankingError> {
        let account = self
            .store
            .account_by_iban(&input.settlement_account_iban)
            .await?
            .filter(|account| account.partner.is_some() && account.kind == AccountKind::PartnerCurrent)
            .ok_or(BankingError::NotFound("settlement account"))?;
        let amount = input.amount.money();
        let state = self.store.pos_settlement(account.id, input.settlement_date).await?;
        let Some(plan) = state.planned else {
            let credited = state.credited.map(|totals| totals.net()).transpose().map_err(money)?;
            if credited == Some(amount) {
                return Ok(PosSettled { account: account.id, operations: 0, amount, replayed: true });
            }
            return Err(BankingError::Message(
                codes::NO_PLANNED_CREDIT,
                format!(
                    "no POS settlement is planned for {} on {}",
                    input.settlement_account_iban.as_str(),
                    input.settlement_date
                ),
            ));
        };
        let planned = plan.amount()?;
        if planned != amount {
            return Err(BankingError::Message(
                codes::SETTLEMENT_AMOUNT_MISMATCH,
                format!(
                    "the settlement of {} {} does not match the planned {} {} for {} on {} ({} operations)",
                    amount.amount_string(),
                    amount.currency(),
                    planned.amount_string(),
                    planned.currency(),
                    input.settlement_account_iban.as_str(),
                    input.settlement_date,
                    plan.totals.operations
                ),
            ));
        }
        let message_id = settlement_message_id(account.id, input.settlement_date, plan.through_operation)?;
        let credit = IncomingCredit {
            message_id: message_id.clone(),
            payee_iban: input.settlement_account_iban.clone(),
            amount: input.amount,
            payer_name: PayeeName::parse(ACQUIRER_NAME)
                .map_err(|error| BankingError::Internal(format!("the acquirer's name: {error}")))?,
            payer_taxpayer_id: None,
            payer_iban: None,
            purpose: format!(
                "Возмещение по операциям POS-терминалов за {}: {} операций",
                input.settlement_date, plan.totals.operations
            ),
        };
        let credited = self.incoming_credit(&credit).await?;
        if let Some(reason) = credited.returned {
            return Err(BankingError::Message(codes::SETTLEMENT_RETURNED, reason));
        }
        if credited.account != Some(account.id) {
            return Err(BankingError::Internal("a POS settlement credited another account".into()));
        }
        let marked = self
            .store
            .credit_pos_operations(CreditPosOperations {
                account: account.id,
                settlement_date: input.settlement_date,
                operations: state.operations,
                message_id: message_id.as_str().to_owned(),
                expected: planned,
            })
            .await?;
        self.identity
            .record_system(
                audit_action::POS_SETTLEMENT,
                account.partner,
                format!("account:{}", account.id),
                Some(format!(
                    "{}: {} {} for {} operations",
                    input.settlement_date,
                    amount.amount_string(),
                    amount.currency(),
                    marked
                )),
            )
            .await?;
        Ok(PosSettled { account: account.id, operations: marked, amount, replayed: credited.replayed })
    }
}

fn money(error: tiyn_core::MoneyError) -> BankingError {
    BankingError::Internal(format!("POS totals: {error}"))
}

/// The settlement credit's message id: the account, the date and the last planned operation, so
/// a repeat of the same settlement replays and a later one of the same date is new.
fn settlement_message_id(account: AccountId, date: Date, through: i64) -> Result<MessageId, BankingError> {
    MessageId::parse(&format!("POS-{}-{}-{through}", account.get(), date.strftime("%Y%m%d")))
        .map_err(|_| BankingError::Internal("a POS settlement message id is too long".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_message_ids_fit_and_differ() {
        let date = Date::constant(2026, 1, 5);
        let id = settlement_message_id(AccountId::new(123_456), date, 9_999_999_999).expect("fits");
        assert!(id.as_str().len() <= 35);
        assert_ne!(id, settlement_message_id(AccountId::new(123_456), date, 1).expect("fits"));
    }
}
