//! POS terminals and their card operations (issue 6, R-3.1.2.4) and the planned credits of their
//! settlements (R-3.1.2.5), as the stores keep them: the records, the rows every backend reads,
//! and the folding of grouped rows into totals — once, for both backends.
//!
//! - A terminal belongs to one partner and settles to one of its accounts; its `terminal_id` is
//!   the acquirer's and unique in the bank.
//! - An operation is keyed by the acquirer's `operation_id`: ingesting it again with the same
//!   content answers the first id (`replayed`); an approved operation sent again as settled,
//!   with its settlement date and otherwise the same, becomes settled (`settled`); other content
//!   under the same id is `Conflict("idempotency_conflict")`. Its card number is a
//!   [`MaskedPan`] (the tables' CHECKs refuse anything else).
//! - Lists are keyset pages ordered by (occurred_at, id) ([`PosCursor`]); totals are grouped in
//!   SQL per business day, kind and status, and folded here ([`fold_totals`]).
//! - A planned credit is the settled, not yet credited operations of one settlement account and
//!   settlement date; crediting them records the settlement credit's ledger entry on each.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::{AccountId, Currency, Money, PartnerId};

pub use tiyn_statement::pos::{
    MaskedPan, MaskedPanError, PosDayTotals, PosHeader, PosKind, PosOperation, PosStatus, PosTotals,
};

use crate::StoreError;
use crate::statements::BUSINESS_UTC_OFFSET_HOURS;

/// Most terminals a partner's list answers: a chain of shops has dozens, not thousands.
pub const TERMINALS_MAX: usize = 500;
/// Most operations one page reads.
pub const OPERATIONS_PAGE_MAX: usize = 1_000;
/// Most operations one ingestion call carries (the gateway's batch).
pub const INGEST_BATCH_MAX: usize = 1_000;
/// Most grouped rows of planned credits read at once: (account, date, kind) groups.
pub const PLANNED_ROWS_MAX: usize = 10_000;
/// The longest terminal id and operation id (the tables' CHECKs say the same).
pub const TERMINAL_ID_LENGTH_MAX: usize = 32;
pub const OPERATION_ID_LENGTH_MAX: usize = 64;
pub const ADDRESS_LENGTH_MAX: usize = 300;

/// The conflict of an operation id already ingested with other content.
pub const IDEMPOTENCY_CONFLICT: &str = "idempotency_conflict";
/// The planned operations changed between planning a settlement and crediting it.
pub const SETTLEMENT_CHANGED: &str = "settlement_changed";
/// A terminal registered for one partner cannot move to another.
pub const TERMINAL_OF_ANOTHER_PARTNER: &str = "terminal_of_another_partner";

/// A terminal's state at the acquirer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TerminalStatus {
    Active,
    Blocked,
    Closed,
}

impl TerminalStatus {
    pub const ALL: [TerminalStatus; 3] = [TerminalStatus::Active, TerminalStatus::Blocked, TerminalStatus::Closed];

    pub const fn as_str(self) -> &'static str {
        match self {
            TerminalStatus::Active => "active",
            TerminalStatus::Blocked => "blocked",
            TerminalStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<TerminalStatus> {
        TerminalStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// A terminal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosTerminal {
    /// The store's id.
    pub id: i64,
    pub partner: PartnerId,
    /// The acquirer's id, e.g. `T0012345`.
    pub terminal_id: String,
    pub address: String,
    pub status: TerminalStatus,
    /// The partner's account its settlements are credited to.
    pub settlement_account: AccountId,
    pub created_at: Timestamp,
}

/// A terminal registered (or its address, status or account changed) by the acquirer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPosTerminal {
    pub partner: PartnerId,
    pub terminal_id: String,
    pub address: String,
    pub status: TerminalStatus,
    pub settlement_account: AccountId,
    pub at: Timestamp,
}

/// What saving a terminal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalSaved {
    Created,
    Updated,
    Unchanged,
}

/// An operation to ingest, already checked (`tiyn-banking`): its terminal known, its currency the
/// settlement account's, its amount positive and its fee not negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPosOperation {
    /// The terminal's store id.
    pub terminal: i64,
    pub operation_id: String,
    pub occurred_at: Timestamp,
    pub kind: PosKind,
    pub status: PosStatus,
    pub card: MaskedPan,
    pub amount: Money,
    pub fee: Money,
    pub settlement_date: Option<Date>,
    pub received_at: Timestamp,
}

impl NewPosOperation {
    /// What this operation is against the stored one with its id: a repeat, the settlement of an
    /// approved operation (every field the same but the status, approved → settled, and the
    /// settlement date the stored one lacked), or a conflict. An acquirer reports an operation
    /// when it is approved and again when it is settled; any other change is refused, and a
    /// settled operation never changes again.
    pub fn against(&self, stored: &PosOperationRow) -> KnownOperation {
        if self.same_content(stored) {
            return KnownOperation::Repeat;
        }
        let settles = stored.status == PosStatus::Approved.as_str()
            && stored.settlement_date.is_none()
            && self.status == PosStatus::Settled
            && self.settlement_date.is_some()
            && NewPosOperation { status: PosStatus::Approved, settlement_date: None, ..self.clone() }
                .same_content(stored);
        if settles { KnownOperation::Settlement } else { KnownOperation::Conflict }
    }

    /// Whether a stored row holds exactly this content (the idempotency rule).
    pub fn same_content(&self, stored: &PosOperationRow) -> bool {
        stored.terminal == self.terminal
            && stored.occurred_at == self.occurred_at.as_microsecond()
            && stored.kind == self.kind.as_str()
            && stored.status == self.status.as_str()
            && stored.card_masked == self.card.as_str()
            && stored.amount == self.amount.minor()
            && stored.currency == self.amount.currency().code()
            && stored.fee == self.fee.minor()
            && stored.settlement_date == self.settlement_date.map(|date| date.to_string())
    }

    /// Checks what the tables also check, before a backend writes.
    pub fn validate(&self) -> Result<(), StoreError> {
        let sound = !self.operation_id.is_empty()
            && self.operation_id.len() <= OPERATION_ID_LENGTH_MAX
            && self.amount.is_positive()
            && !self.fee.is_negative()
            && self.fee.currency() == self.amount.currency();
        if sound { Ok(()) } else { Err(StoreError::Invalid("a POS operation's id, amount or fee is malformed")) }
    }
}

/// What ingesting one operation gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PosIngested {
    pub id: i64,
    /// The operation id was ingested before with the same content: nothing was written.
    pub replayed: bool,
    /// The operation was stored as approved and this is its settlement: the same operation,
    /// now settled on its settlement date ([`NewPosOperation::settles`]). Only the status and
    /// the date were written.
    pub settled: bool,
}

impl PosIngested {
    pub const fn created(id: i64) -> PosIngested {
        PosIngested { id, replayed: false, settled: false }
    }

    pub const fn replayed(id: i64) -> PosIngested {
        PosIngested { id, replayed: true, settled: false }
    }

    pub const fn settled(id: i64) -> PosIngested {
        PosIngested { id, replayed: false, settled: true }
    }
}

/// What a known operation id with this content means, against the stored operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownOperation {
    /// The same content: a repeat.
    Repeat,
    /// The approved operation, now settled: its status and settlement date are to be written.
    Settlement,
    /// Other content: `Conflict("idempotency_conflict")`.
    Conflict,
}

/// Where a page of operations starts: after this operation, in (occurred_at, id) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PosCursor {
    pub occurred_at_us: i64,
    pub id: i64,
}

impl PosCursor {
    pub fn of(operation: &PosOperation) -> PosCursor {
        PosCursor { occurred_at_us: operation.occurred_at.as_microsecond(), id: operation.id }
    }

    /// The opaque text clients send back: `<microseconds>.<id>`.
    pub fn encode(self) -> String {
        format!("{}.{}", self.occurred_at_us, self.id)
    }

    pub fn decode(text: &str) -> Option<PosCursor> {
        let (at, id) = text.split_once('.')?;
        Some(PosCursor { occurred_at_us: at.parse().ok()?, id: id.parse().ok()? })
    }
}

/// One page of a terminal's operations in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosOperationsQuery {
    /// The terminal's store id.
    pub terminal: i64,
    /// Microseconds: operations with `from_us <= occurred_at < to_us`.
    pub from_us: i64,
    pub to_us: i64,
    pub after: Option<PosCursor>,
    /// At most [`OPERATIONS_PAGE_MAX`].
    pub limit: usize,
}

/// A period's totals and each business day's (only days with operations), in day order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosPeriodTotals {
    pub totals: PosTotals,
    pub days: Vec<PosDayTotals>,
}

/// A planned credit (R-3.1.2.5): the settled, not yet credited operations of one settlement
/// account and date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPosCredit {
    pub account: AccountId,
    pub settlement_date: Date,
    pub totals: PosTotals,
    /// The highest operation id planned: crediting takes these and no later ones.
    pub through_operation: i64,
}

impl PlannedPosCredit {
    /// What the acquirer is expected to pay: purchases − refunds − reversals − fees.
    pub fn amount(&self) -> Result<Money, StoreError> {
        self.totals.net().map_err(|error| StoreError::backend(format!("planned credit: {error}")))
    }
}

/// A settlement account's date, planned and already credited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosSettlementState {
    pub planned: Option<PlannedPosCredit>,
    /// The planned operations' ids, ascending, read with `planned`: what crediting this plan
    /// marks, and nothing else. An operation that settles for the same date while the credit is
    /// being booked (an approved one of a lower id, say) is not among them and waits for the
    /// next settlement.
    pub operations: Vec<i64>,
    /// The operations of that account and date already credited, summed.
    pub credited: Option<PosTotals>,
}

/// Marks a planned credit's operations credited by the settlement credit booked under
/// `message_id` (its `incoming_credits` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditPosOperations {
    pub account: AccountId,
    pub settlement_date: Date,
    /// The plan's operations ([`PosSettlementState::operations`]).
    pub operations: Vec<i64>,
    pub message_id: String,
    /// The planned amount the credit was checked against: the marked operations are re-summed
    /// in the transaction.
    pub expected: Money,
}

/// The SQL of one settlement account's date, an operation a row in [`PlannedRow`]'s columns
/// (a count of 1, its own id as the highest), by id: `{filter}` is spliced (a constant of the
/// backend), the parameters are the backend's.
pub const SETTLEMENT_OPERATIONS_SELECT: &str = "SELECT t.settlement_account_id, o.settlement_date, o.currency, o.kind, CAST(1 AS BIGINT), \
     o.amount, o.fee, o.id FROM pos_operations o JOIN pos_terminals t ON t.id = o.terminal_id";

/// The plan of one settlement account's date from its operations' rows, in id order.
pub fn settlement_plan(rows: &[PlannedRow]) -> Result<(Option<PlannedPosCredit>, Vec<i64>), StoreError> {
    let mut plans = fold_planned(rows)?.into_iter();
    let plan = plans.next();
    if plans.next().is_some() {
        return Err(StoreError::backend("a settlement's operations of several accounts or dates"));
    }
    Ok((plan, rows.iter().map(|row| row.through_operation).collect()))
}

/// Checks, in the crediting transaction, what the settlement credit's entry now covers among
/// the plan's operations (their grouped rows): all of them, of that account and date, summing
/// to the expected amount. Answers how many; otherwise `Conflict("settlement_changed")`, and the
/// backend rolls the marking back.
pub fn check_credited(credit: &CreditPosOperations, covered: &[PlannedRow]) -> Result<u64, StoreError> {
    let mut plans = fold_planned(covered)?.into_iter();
    let (Some(plan), None) = (plans.next(), plans.next()) else {
        return Err(StoreError::Conflict(SETTLEMENT_CHANGED));
    };
    let whole = plan.totals.operations == credit.operations.len() as u64
        && plan.account == credit.account
        && plan.settlement_date == credit.settlement_date
        && plan.amount()? == credit.expected;
    if whole { Ok(plan.totals.operations) } else { Err(StoreError::Conflict(SETTLEMENT_CHANGED)) }
}

// ----- Rows -----

/// The columns of a terminal, in [`TERMINAL_COLUMNS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosTerminalRow {
    pub id: i64,
    pub partner_id: i64,
    pub terminal_id: String,
    pub address: String,
    pub status: String,
    pub settlement_account_id: i64,
    pub created_at: i64,
}

pub const TERMINAL_COLUMNS: &str = "id, partner_id, terminal_id, address, status, settlement_account_id, created_at";

impl PosTerminalRow {
    pub fn into_record(self) -> Result<PosTerminal, StoreError> {
        let status = TerminalStatus::parse(&self.status)
            .ok_or_else(|| StoreError::backend(format!("terminal {} has status {:?}", self.id, self.status)))?;
        let created_at = Timestamp::from_microsecond(self.created_at).map_err(StoreError::backend)?;
        Ok(PosTerminal {
            id: self.id,
            partner: PartnerId::new(self.partner_id),
            terminal_id: self.terminal_id,
            address: self.address,
            status,
            settlement_account: AccountId::new(self.settlement_account_id),
            created_at,
        })
    }
}

/// The columns of an operation, in [`OPERATION_COLUMNS`] order (`o` the operation, `t` its
/// terminal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosOperationRow {
    pub id: i64,
    /// The terminal's store id.
    pub terminal: i64,
    pub terminal_code: String,
    pub operation_id: String,
    pub occurred_at: i64,
    pub kind: String,
    pub status: String,
    pub card_masked: String,
    pub amount: i64,
    pub currency: String,
    pub fee: i64,
    pub settlement_date: Option<String>,
    pub credited_entry: Option<i64>,
}

pub const OPERATION_COLUMNS: &str = "o.id, o.terminal_id, t.terminal_id, o.operation_id, o.occurred_at, o.kind, \
     o.status, o.card_masked, o.amount, o.currency, o.fee, o.settlement_date, o.credited_entry";

impl PosOperationRow {
    pub fn into_operation(self) -> Result<PosOperation, StoreError> {
        let broken = |what: &str| StoreError::backend(format!("POS operation {}: {what}", self.id));
        let kind = PosKind::parse(&self.kind).ok_or_else(|| broken("kind"))?;
        let status = PosStatus::parse(&self.status).ok_or_else(|| broken("status"))?;
        // The table's CHECK keeps only masked numbers; reading it back proves it again.
        let card = MaskedPan::parse(&self.card_masked).map_err(|_| broken("card"))?;
        let currency = Currency::parse(&self.currency).map_err(|_| broken("currency"))?;
        let occurred_at = Timestamp::from_microsecond(self.occurred_at).map_err(|_| broken("occurred_at"))?;
        let settlement_date = match &self.settlement_date {
            Some(text) => Some(text.parse::<Date>().map_err(|_| broken("settlement_date"))?),
            None => None,
        };
        Ok(PosOperation {
            id: self.id,
            operation_id: self.operation_id,
            terminal_id: self.terminal_code,
            occurred_at,
            kind,
            status,
            card,
            amount: Money::from_minor(self.amount, currency),
            fee: Money::from_minor(self.fee, currency),
            settlement_date,
            credited: self.credited_entry.is_some(),
        })
    }
}

/// One group of operations as the totals' SQL answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalsRow {
    /// The group's key: the business day (days since the epoch in Almaty) or a settlement date's
    /// text, as the query groups.
    pub key: String,
    pub kind: String,
    pub status: String,
    pub count: i64,
    pub amount: i64,
    pub fee: i64,
}

/// The business day of an instant in microseconds, in SQL: days since 1970-01-01 in Almaty.
/// Integer division is a floor for instants after 1970 on both backends.
pub const BUSINESS_DAY_SQL: &str = "((o.occurred_at + 18000000000) / 86400000000)";

const _: () = assert!(BUSINESS_UTC_OFFSET_HOURS == 5, "BUSINESS_DAY_SQL adds five hours");

/// A day number of [`BUSINESS_DAY_SQL`] as a date.
pub fn business_day(days_since_epoch: i64) -> Result<Date, StoreError> {
    let epoch = Date::constant(1970, 1, 1);
    let days = i32::try_from(days_since_epoch).map_err(StoreError::backend)?;
    epoch.checked_add(jiff::Span::new().days(days)).map_err(StoreError::backend)
}

/// Adds grouped rows into totals: counts always, sums unless declined.
pub fn add_row(totals: &mut PosTotals, row: &TotalsRow) -> Result<(), StoreError> {
    let kind = PosKind::parse(&row.kind).ok_or_else(|| StoreError::backend("a POS totals row of an unknown kind"))?;
    let status =
        PosStatus::parse(&row.status).ok_or_else(|| StoreError::backend("a POS totals row of an unknown status"))?;
    let currency = totals.currency();
    let overflow = |error| StoreError::backend(format!("POS totals: {error}"));
    totals.operations += u64::try_from(row.count).map_err(StoreError::backend)?;
    if status == PosStatus::Declined {
        return Ok(());
    }
    let sum = match kind {
        PosKind::Purchase => &mut totals.purchases,
        PosKind::Refund => &mut totals.refunds,
        PosKind::Reversal => &mut totals.reversals,
    };
    *sum = sum.checked_add(Money::from_minor(row.amount, currency)).map_err(overflow)?;
    totals.fees = totals.fees.checked_add(Money::from_minor(row.fee, currency)).map_err(overflow)?;
    Ok(())
}

/// Folds rows keyed by business day number into the period's totals and each day's.
pub fn fold_totals(rows: &[TotalsRow], currency: Currency) -> Result<PosPeriodTotals, StoreError> {
    let mut total = PosTotals::zero(currency);
    let mut days: BTreeMap<i64, PosTotals> = BTreeMap::new();
    for row in rows {
        let day: i64 = row.key.parse().map_err(StoreError::backend)?;
        add_row(&mut total, row)?;
        add_row(days.entry(day).or_insert_with(|| PosTotals::zero(currency)), row)?;
    }
    let days = days
        .into_iter()
        .map(|(day, totals)| Ok(PosDayTotals { date: business_day(day)?, totals }))
        .collect::<Result<Vec<_>, StoreError>>()?;
    debug_assert_eq!(days.iter().map(|day| day.totals.operations).sum::<u64>(), total.operations);
    Ok(PosPeriodTotals { totals: total, days })
}

/// One group of the planned (or credited) operations: account, settlement date, currency, kind,
/// count, sums and the highest id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRow {
    pub account: i64,
    pub settlement_date: String,
    pub currency: String,
    pub kind: String,
    pub count: i64,
    pub amount: i64,
    pub fee: i64,
    pub through_operation: i64,
}

/// The SQL of the planned groups: `{filter}` is spliced (a constant of the backend), the
/// parameters are the backend's.
pub const PLANNED_SELECT: &str = "SELECT t.settlement_account_id, o.settlement_date, o.currency, o.kind, COUNT(*), \
     SUM(o.amount), SUM(o.fee), MAX(o.id) FROM pos_operations o JOIN pos_terminals t ON t.id = o.terminal_id";
pub const PLANNED_GROUP: &str =
    "GROUP BY t.settlement_account_id, o.settlement_date, o.currency, o.kind ORDER BY 2, 1, 4";

/// Folds planned groups into one planned credit per (account, settlement date), by date.
pub fn fold_planned(rows: &[PlannedRow]) -> Result<Vec<PlannedPosCredit>, StoreError> {
    let mut planned: BTreeMap<(Date, i64), PlannedPosCredit> = BTreeMap::new();
    for row in rows {
        let date: Date = row.settlement_date.parse().map_err(StoreError::backend)?;
        let currency = Currency::parse(&row.currency).map_err(StoreError::backend)?;
        let credit = planned.entry((date, row.account)).or_insert_with(|| PlannedPosCredit {
            account: AccountId::new(row.account),
            settlement_date: date,
            totals: PosTotals::zero(currency),
            through_operation: 0,
        });
        if credit.totals.currency() != currency {
            return Err(StoreError::backend("a settlement account's POS operations in two currencies"));
        }
        let grouped = TotalsRow {
            key: String::new(),
            kind: row.kind.clone(),
            status: PosStatus::Settled.as_str().to_owned(),
            count: row.count,
            amount: row.amount,
            fee: row.fee,
        };
        add_row(&mut credit.totals, &grouped)?;
        credit.through_operation = credit.through_operation.max(row.through_operation);
    }
    Ok(planned.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back() {
        let cursor = PosCursor { occurred_at_us: 1_767_225_600_000_000, id: 42 };
        assert_eq!(PosCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(PosCursor::decode("x.1"), None);
        assert_eq!(PosCursor::decode("12"), None);
    }

    #[test]
    fn business_days_count_from_almaty_midnight() {
        // 2026-01-01T00:30 in Almaty is 2025-12-31T19:30Z.
        let at: Timestamp = "2025-12-31T19:30:00Z".parse().expect("instant");
        let day = (at.as_microsecond() + 18_000_000_000) / 86_400_000_000;
        assert_eq!(business_day(day).ok(), Some(Date::constant(2026, 1, 1)));
    }
}
