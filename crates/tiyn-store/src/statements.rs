//! Account statements as the stores read them (issue 6; R-3.1.2.1, R-3.1.2.3, R-6.3.1, R-6.4.6,
//! the SQL both backends run, the reading of its rows into `tiyn_statement`'s lines, and
//! the walk over a statement's lines in pages — once, for both backends.
//!
//! # What a statement is made of
//!
//! Every posting on the account is a line; nothing is left out. Its numbers come from the
//! postings alone, never from the account's denormalised balance:
//!
//! - **opening**: the sum of the account's postings booked before the period's first day starts
//!   (00:00 in Almaty, [`BUSINESS_UTC_OFFSET_HOURS`]);
//! - **turnovers**: the period's debits (negative postings) and credits (positive ones);
//! - **closing**: opening + credits − debits, checked against the sum of the postings booked
//!   before the day after the period ends.
//!
//! A line's booking date is its entry's `created_at` in Almaty; lines are ordered by that instant,
//! then entry id, then posting id ([`LineCursor`]).
//!
//! # How each entry becomes lines ([`push_lines`])
//!
//! - A **payment document**'s entry (`payment_documents.entry_id`: an internal transfer, a
//!   conversion, a settled interbank or budget payment): on the payer's account the debit is the
//!   payment line (the document's number, KNP, purpose, value date; the payee as counterparty)
//!   and, when the document carries a commission, a separate commission line (the bank as
//!   counterparty). The commission line is the document's commission and the payment line the
//!   rest of the posting, so the two always add up to the posting: amount + commission when the
//!   commission is separate, amount − commission + commission when it was withheld from the
//!   amount. On the payee's account (a transfer between own accounts) the credit names the payer
//!   account as counterparty.
//! - An **incoming credit** names its payer from `incoming_credits` (migration 0017); one booked
//!   before that table existed shows `—` and its entry's memo as the purpose.
//! - A **collection** (R-6.1.2) names the order's creditor on the debtor's account, and the
//!   debtor on a creditor's account at this bank; money a creditor's bank returned is its own
//!   credit line.
//! - A **reversal** is a [`LineKind::Reversal`] line naming the entry it reverses, with the
//!   counterparty and document of that entry when it had one.
//! - Anything else (an opening balance, a fee, a transfer without a document) is one line with
//!   the entry's memo as its purpose.
//!
//! # Pages and snapshots
//!
//! [`Store::statement_totals`] fixes a snapshot: the account's last posting id when the statement
//! was made (`through_posting`). On both backends every posting of an account with an id at or
//! below it is committed by then and no later one gets a smaller id (SQLite writes one
//! transaction at a time; on PostgreSQL a posting is written only under its account's row lock,
//! which the snapshot waits for), so every walk over the lines, however often repeated (the PDF
//! walks twice), sees the same lines as the totals.
//!
//! The lines come in pages of at most [`PAGE_POSTINGS_MAX`] postings, each a short read: a
//! million-line statement never holds a read transaction open while a client downloads it (on
//! SQLite a long reader would stall the WAL checkpoints). The totals also cut the period's
//! postings, in posting-id order, into windows of [`WINDOW_POSTINGS`] with their earliest and
//! latest booking instants; [`LinePlanner`] reads each page from the few windows that can hold it
//! and proves from the instants that no posting outside them belongs to it. Booking instants are
//! almost always in posting-id order (they are the instants the commands were made), so a page
//! reads about its own postings and a whole statement reads its postings about once.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use tiyn_core::iban::Iban;
use tiyn_core::{AccountId, Bic, Currency, EntryId, Knp, Money, TaxpayerId};
use tiyn_ledger::EntryKind;
use tiyn_statement::{Counterparty, CounterpartyAccount, Direction, LineKind};
// The statement model, as the backends and the use cases (which do not depend on tiyn-statement)
// name it.
pub use tiyn_statement::{Period, PeriodError, StatementHeader, StatementLine, Turnover};

use crate::{Store, StoreError};

/// The offset of Tiyn's business dates: Asia/Almaty, UTC+5 all year since 1 March 2024 (the same
/// rule as `tiyn_identity::business_date`, which this crate cannot depend on).
pub const BUSINESS_UTC_OFFSET_HOURS: i8 = 5;

/// Postings per window of the snapshot: small enough that a page reads little beyond itself,
/// large enough that a million-line statement has a few hundred windows (a few kilobytes).
pub const WINDOW_POSTINGS: i64 = 2_048;

/// The most postings one page of lines reads: each page is one short query, and its lines (at
/// most two per posting, some 500 bytes each) stay within a few megabytes.
pub const PAGE_POSTINGS_MAX: usize = 10_000;

/// What a line shows as the counterparty when the ledger does not know it (an incoming credit
/// booked before its payer was kept, a transfer without a document).
pub const UNKNOWN_COUNTERPARTY: &str = "—";

/// Kazakhstan's business time zone (see [`BUSINESS_UTC_OFFSET_HOURS`]).
fn business_zone() -> TimeZone {
    TimeZone::fixed(Offset::constant(BUSINESS_UTC_OFFSET_HOURS))
}

/// The business date of an instant (Asia/Almaty).
pub fn business_date(at: Timestamp) -> Date {
    at.to_zoned(business_zone()).date()
}

/// The instants a period covers, in microseconds since the epoch: from the start of its first day
/// to the start of the day after its last, in Almaty.
pub fn period_instants(period: Period) -> Result<(i64, i64), StoreError> {
    let start = |date: Date| {
        date.to_zoned(business_zone())
            .map(|zoned| zoned.timestamp().as_microsecond())
            .map_err(|_| StoreError::Invalid("a statement period outside the calendar"))
    };
    let after = period.to().tomorrow().map_err(|_| StoreError::Invalid("a statement period outside the calendar"))?;
    let instants = (start(period.from())?, start(after)?);
    debug_assert!(instants.0 < instants.1, "a period covers at least one day");
    Ok(instants)
}

// ----- What the stores answer -----

/// This bank as a statement names it: the counterparty of its commissions, and the bank of the
/// partners' own accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnBank {
    pub name: String,
    pub bic: Bic,
}

/// Consecutive postings of the account in the period, in posting-id order, and the earliest and
/// latest instants they were booked at (microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostingWindow {
    pub first_posting: i64,
    pub last_posting: i64,
    pub postings: u64,
    pub earliest: i64,
    pub latest: i64,
}

/// What every page of a statement is read against: the account's last posting when the totals
/// were made, and the period's postings in windows (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementSnapshot {
    through_posting: i64,
    windows: Arc<[PostingWindow]>,
    /// `suffix_earliest[i]`: the earliest instant of windows `i..`; `i64::MAX` past the last.
    suffix_earliest: Arc<[i64]>,
}

impl StatementSnapshot {
    /// Checks the windows a store read: ascending, disjoint, non-empty, at or below
    /// `through_posting`.
    pub fn new(through_posting: i64, windows: Vec<PostingWindow>) -> Result<StatementSnapshot, StoreError> {
        let mut previous_last = i64::MIN;
        for window in &windows {
            let sound = window.postings > 0
                && previous_last < window.first_posting
                && window.first_posting <= window.last_posting
                && window.last_posting <= through_posting
                && window.earliest <= window.latest;
            if !sound {
                return Err(StoreError::backend(format!("a statement window does not read back: {window:?}")));
            }
            previous_last = window.last_posting;
        }
        let mut suffix_earliest = vec![i64::MAX; windows.len() + 1];
        for index in (0..windows.len()).rev() {
            suffix_earliest[index] = suffix_earliest[index + 1].min(windows[index].earliest);
        }
        Ok(StatementSnapshot { through_posting, windows: windows.into(), suffix_earliest: suffix_earliest.into() })
    }

    pub fn through_posting(&self) -> i64 {
        self.through_posting
    }

    pub fn windows(&self) -> &[PostingWindow] {
        &self.windows
    }

    /// Postings in the period.
    pub fn postings(&self) -> u64 {
        self.windows.iter().map(|window| window.postings).sum()
    }
}

/// A statement's numbers ([`Store::statement_totals`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementTotals {
    pub account: AccountId,
    pub currency: Currency,
    pub period: Period,
    /// The balance at the start of the period's first day.
    pub opening: Money,
    pub turnover: Turnover,
    /// The balance at the end of the period's last day.
    pub closing: Money,
    /// Operations (postings) in the period: each is one line, or two with its commission.
    pub postings: u64,
    pub snapshot: StatementSnapshot,
}

/// Where a page of lines starts: after the line of this posting. Ordered as lines are: booking
/// instant (microseconds), entry, posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCursor {
    pub booked_at_us: i64,
    pub entry: i64,
    pub posting: i64,
}

impl LineCursor {
    /// Before every line.
    pub const START: LineCursor = LineCursor { booked_at_us: i64::MIN, entry: i64::MIN, posting: i64::MIN };
}

/// One page of lines to read ([`Store::statement_lines`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinesRequest {
    pub account: AccountId,
    pub currency: Currency,
    pub period: Period,
    /// The postings to consider: ids from `first_posting` to `last_posting`, both included.
    pub first_posting: i64,
    pub last_posting: i64,
    /// Only postings whose lines come after this cursor.
    pub after: LineCursor,
    /// At most this many postings, 1 to [`PAGE_POSTINGS_MAX`].
    pub limit: usize,
    pub bank: OwnBank,
}

/// A page of lines, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinesPage {
    pub lines: Vec<StatementLine>,
    /// Postings read (each gave one or two lines).
    pub postings: usize,
    /// The cursor of the last posting read.
    pub last: Option<LineCursor>,
}

/// What an incoming interbank credit says about its payer, kept with its entry
/// ([`Store::book_incoming_credit`]) for the payee's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCreditDetails {
    /// The sending system's message id.
    pub message_id: String,
    pub payer_name: String,
    pub payer_taxpayer_id: Option<TaxpayerId>,
    pub payer_iban: Option<Iban>,
    /// The payer's bank, when it is known (from the payer's IBAN and the bank directory).
    pub payer_bic: Option<Bic>,
    pub knp: Option<Knp>,
    pub purpose: String,
    pub received_at: Timestamp,
}

impl IncomingCreditDetails {
    /// The values of [`INSERT_INCOMING_CREDIT_SQL`]'s parameters 2 to 9, in order (1 is the
    /// entry id).
    pub fn columns(&self) -> IncomingCreditColumns<'_> {
        IncomingCreditColumns {
            message_id: &self.message_id,
            payer_name: &self.payer_name,
            payer_taxpayer_id: self.payer_taxpayer_id.map(|id| id.as_str().to_owned()),
            payer_iban: self.payer_iban.as_ref().map(Iban::as_str),
            payer_bic: self.payer_bic.as_ref().map(Bic::as_str),
            knp: self.knp.as_ref().map(|knp| knp.as_ref()),
            purpose: &self.purpose,
            received_at: self.received_at.as_microsecond(),
        }
    }
}

/// [`IncomingCreditDetails`] as column values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCreditColumns<'a> {
    pub message_id: &'a str,
    pub payer_name: &'a str,
    pub payer_taxpayer_id: Option<String>,
    pub payer_iban: Option<&'a str>,
    pub payer_bic: Option<&'a str>,
    pub knp: Option<&'a str>,
    pub purpose: &'a str,
    pub received_at: i64,
}

// ----- The SQL both backends run -----
//
// Placeholders are SQLite's `?N`; the PostgreSQL backend turns them into `$N` once
// ([`dollar_placeholders`]). Every sum is cast to BIGINT: PostgreSQL sums BIGINTs as NUMERIC.

/// The account's last posting: the snapshot bound. Parameter: account.
pub const THROUGH_SQL: &str = "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM postings WHERE account_id = ?1";

/// The numbers of a statement, in one pass over the account's postings up to the snapshot.
/// Parameters: account, through posting, period start, period end (microseconds). Columns:
/// opening, period debit, period credit, closing (summed independently), period postings.
pub const TOTALS_SQL: &str = "SELECT \
    CAST(COALESCE(SUM(CASE WHEN e.created_at < ?3 THEN p.amount ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN e.created_at >= ?3 AND e.created_at < ?4 AND p.amount < 0 \
        THEN -p.amount ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN e.created_at >= ?3 AND e.created_at < ?4 AND p.amount > 0 \
        THEN p.amount ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN e.created_at < ?4 THEN p.amount ELSE 0 END), 0) AS BIGINT), \
    CAST(COUNT(CASE WHEN e.created_at >= ?3 AND e.created_at < ?4 THEN 1 END) AS BIGINT) \
    FROM postings p JOIN entries e ON e.id = p.entry_id \
    WHERE p.account_id = ?1 AND p.id <= ?2";

/// The period's postings in windows of `?5` consecutive postings (by id). Parameters: account,
/// through posting, period start, period end, window size. Columns: first posting, last posting,
/// postings, earliest instant, latest instant.
pub const WINDOWS_SQL: &str = "SELECT CAST(MIN(posting_id) AS BIGINT), CAST(MAX(posting_id) AS BIGINT), \
    CAST(COUNT(*) AS BIGINT), CAST(MIN(created_at) AS BIGINT), CAST(MAX(created_at) AS BIGINT) \
    FROM (SELECT p.id AS posting_id, e.created_at AS created_at, \
              (ROW_NUMBER() OVER (ORDER BY p.id) - 1) / ?5 AS window_number \
          FROM postings p JOIN entries e ON e.id = p.entry_id \
          WHERE p.account_id = ?1 AND p.id <= ?2 AND e.created_at >= ?3 AND e.created_at < ?4) period_postings \
    GROUP BY window_number ORDER BY window_number";

/// One page of lines: first the page's postings in line order (a short, sorted read of the
/// posting range), then what each line shows, joined for those postings only. Parameters:
/// account, first posting, last posting, period start, period end, the cursor (instant, entry,
/// posting), limit. Columns: [`StatementRow`]'s fields, in order.
///
/// A reversal reads the document and incoming credit of the entry it reverses
/// (`COALESCE(reverses, entry_id)`), so that it names the same counterparty.
pub const LINES_SQL: &str = "WITH page AS ( \
        SELECT p.id AS posting_id, p.entry_id AS entry_id, p.amount AS amount, e.created_at AS created_at, \
               e.kind AS entry_kind, e.memo AS memo, e.reverses AS reverses \
        FROM postings p JOIN entries e ON e.id = p.entry_id \
        WHERE p.account_id = ?1 AND p.id BETWEEN ?2 AND ?3 AND e.created_at >= ?4 AND e.created_at < ?5 \
          AND (e.created_at, e.id, p.id) > (?6, ?7, ?8) \
        ORDER BY e.created_at, e.id, p.id \
        LIMIT ?9) \
    SELECT page.posting_id, page.entry_id, page.amount, page.created_at, page.entry_kind, page.memo, page.reverses, \
           document.number, document.kind, document.payer_account_id, document.payee_account_id, \
           document.payee_name, document.payee_bin, document.payee_iban, document.payee_bic, document.knp, \
           document.purpose, document.value_date, document.commission, \
           payer.iban, payer_partner.name, payer_partner.bin, \
           payee.iban, payee_partner.name, payee_partner.bin, \
           credit.payer_name, credit.payer_taxpayer_id, credit.payer_iban, credit.payer_bic, credit.knp, \
           credit.purpose, \
           COALESCE(taken.id, returned.id), outcome.collection_id, restriction.account_id, \
           restriction.creditor_name, restriction.creditor_taxpayer_id, restriction.creditor_iban, restriction.knp, \
           debtor.iban, debtor_partner.name, debtor_partner.bin \
    FROM page \
    LEFT JOIN payment_documents document ON document.entry_id = COALESCE(page.reverses, page.entry_id) \
    LEFT JOIN accounts payer ON payer.id = document.payer_account_id \
    LEFT JOIN partners payer_partner ON payer_partner.id = payer.partner_id \
    LEFT JOIN accounts payee ON payee.id = document.payee_account_id \
    LEFT JOIN partners payee_partner ON payee_partner.id = payee.partner_id \
    LEFT JOIN incoming_credits credit ON credit.entry_id = COALESCE(page.reverses, page.entry_id) \
    LEFT JOIN collections taken ON taken.entry_id = page.entry_id \
    LEFT JOIN collection_outcomes outcome ON outcome.return_entry_id = page.entry_id \
    LEFT JOIN collections returned ON returned.id = outcome.collection_id \
    LEFT JOIN restrictions restriction ON restriction.id = COALESCE(taken.restriction_id, returned.restriction_id) \
    LEFT JOIN accounts debtor ON debtor.id = restriction.account_id \
    LEFT JOIN partners debtor_partner ON debtor_partner.id = debtor.partner_id \
    ORDER BY page.created_at, page.entry_id, page.posting_id";

/// Keeps an incoming credit's details. Parameters: entry id, then [`IncomingCreditColumns`] in
/// order.
pub const INSERT_INCOMING_CREDIT_SQL: &str = "INSERT INTO incoming_credits \
    (entry_id, message_id, payer_name, payer_taxpayer_id, payer_iban, payer_bic, knp, purpose, received_at) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// `?N` placeholders as PostgreSQL's `$N` (the SQL above has no other `?`).
pub fn dollar_placeholders(sql: &str) -> String {
    sql.replace('?', "$")
}

/// The parameters of [`LINES_SQL`] for a request, in order (account, first posting, last
/// posting, start, end, cursor instant, cursor entry, cursor posting, limit).
pub fn lines_parameters(request: &LinesRequest) -> Result<[i64; 9], StoreError> {
    assert!((1..=PAGE_POSTINGS_MAX).contains(&request.limit), "a page reads 1 to {PAGE_POSTINGS_MAX} postings");
    assert!(request.first_posting <= request.last_posting, "a posting range is not empty");
    let (start, end) = period_instants(request.period)?;
    let after = request.after;
    Ok([
        request.account.get(),
        request.first_posting,
        request.last_posting,
        start,
        end,
        after.booked_at_us,
        after.entry,
        after.posting,
        request.limit as i64,
    ])
}

// ----- Reading rows -----

/// A row's columns by index, as a backend reads them (`NULL` is `None`).
pub trait ColumnReader {
    fn int(&self, index: usize) -> Result<Option<i64>, StoreError>;
    fn text(&self, index: usize) -> Result<Option<String>, StoreError>;
}

/// The totals' row ([`TOTALS_SQL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotalsRow {
    pub opening: i64,
    pub debit: i64,
    pub credit: i64,
    pub closing: i64,
    pub postings: i64,
}

impl TotalsRow {
    pub fn read(row: &impl ColumnReader) -> Result<TotalsRow, StoreError> {
        let int = |index| row.int(index)?.ok_or_else(|| StoreError::backend("a statement total is NULL"));
        Ok(TotalsRow { opening: int(0)?, debit: int(1)?, credit: int(2)?, closing: int(3)?, postings: int(4)? })
    }
}

/// A window's row ([`WINDOWS_SQL`]).
pub fn window_row(row: &impl ColumnReader) -> Result<PostingWindow, StoreError> {
    let int = |index| row.int(index)?.ok_or_else(|| StoreError::backend("a statement window is NULL"));
    Ok(PostingWindow {
        first_posting: int(0)?,
        last_posting: int(1)?,
        postings: u64::try_from(int(2)?).map_err(StoreError::backend)?,
        earliest: int(3)?,
        latest: int(4)?,
    })
}

/// The statement's totals from what a store read, checked: opening + credits − debits equals the
/// closing summed on its own, and the windows hold exactly the period's postings.
pub fn totals_from(
    account: AccountId,
    currency: Currency,
    period: Period,
    row: TotalsRow,
    snapshot: StatementSnapshot,
) -> Result<StatementTotals, StoreError> {
    let money = |minor| Money::from_minor(minor, currency);
    let computed = money(row.opening)
        .checked_add(money(row.credit))
        .and_then(|sum| sum.checked_sub(money(row.debit)))
        .map_err(StoreError::backend)?;
    // The pair of the writers' check (`TurnoverCheck`): the store's own sums must agree before
    // any line is read.
    if computed.minor() != row.closing || row.debit < 0 || row.credit < 0 {
        return Err(StoreError::backend(format!(
            "account {account}: opening {} + credits {} − debits {} ≠ closing {}",
            row.opening, row.credit, row.debit, row.closing
        )));
    }
    let postings = u64::try_from(row.postings).map_err(StoreError::backend)?;
    if snapshot.postings() != postings {
        return Err(StoreError::backend(format!(
            "account {account}: the statement's windows hold {} postings, its totals {postings}",
            snapshot.postings()
        )));
    }
    Ok(StatementTotals {
        account,
        currency,
        period,
        opening: money(row.opening),
        turnover: Turnover { debit: money(row.debit), credit: money(row.credit) },
        closing: computed,
        postings,
        snapshot,
    })
}

/// A line's row ([`LINES_SQL`]), as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementRow {
    pub posting_id: i64,
    pub entry_id: i64,
    /// Signed: negative debits the account.
    pub amount: i64,
    pub created_at: i64,
    pub entry_kind: String,
    pub memo: String,
    pub reverses: Option<i64>,
    pub document: Option<DocumentColumns>,
    pub credit: Option<CreditColumns>,
    pub collection: Option<CollectionColumns>,
}

/// The payment document of the line's entry, with its accounts' holders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentColumns {
    pub number: i64,
    pub kind: String,
    pub payer_account: Option<i64>,
    pub payee_account: Option<i64>,
    pub payee_name: Option<String>,
    pub payee_bin: Option<String>,
    pub payee_iban: Option<String>,
    pub payee_bic: Option<String>,
    pub knp: Option<String>,
    pub purpose: Option<String>,
    pub value_date: Option<String>,
    pub commission: Option<i64>,
    pub payer_iban: Option<String>,
    pub payer_holder: Option<String>,
    pub payer_holder_bin: Option<String>,
    pub payee_account_iban: Option<String>,
    pub payee_holder: Option<String>,
    pub payee_holder_bin: Option<String>,
}

/// An incoming credit's payer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreditColumns {
    pub payer_name: String,
    pub payer_taxpayer_id: Option<String>,
    pub payer_iban: Option<String>,
    pub payer_bic: Option<String>,
    pub knp: Option<String>,
    pub purpose: String,
}

/// A collection (or the return of one) and its order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectionColumns {
    pub id: i64,
    /// The money came back from the creditor's bank.
    pub returned: bool,
    pub debtor_account: Option<i64>,
    pub creditor_name: Option<String>,
    pub creditor_taxpayer_id: Option<String>,
    pub creditor_iban: Option<String>,
    pub knp: Option<String>,
    pub debtor_iban: Option<String>,
    pub debtor_holder: Option<String>,
    pub debtor_holder_bin: Option<String>,
}

impl StatementRow {
    pub fn read(row: &impl ColumnReader) -> Result<StatementRow, StoreError> {
        let required = |index: usize| row.int(index)?.ok_or_else(|| StoreError::backend("a statement row is NULL"));
        let text = |index: usize| row.text(index);
        let document = match row.int(7)? {
            None => None,
            Some(number) => Some(DocumentColumns {
                number,
                kind: text(8)?.unwrap_or_default(),
                payer_account: row.int(9)?,
                payee_account: row.int(10)?,
                payee_name: text(11)?,
                payee_bin: text(12)?,
                payee_iban: text(13)?,
                payee_bic: text(14)?,
                knp: text(15)?,
                purpose: text(16)?,
                value_date: text(17)?,
                commission: row.int(18)?,
                payer_iban: text(19)?,
                payer_holder: text(20)?,
                payer_holder_bin: text(21)?,
                payee_account_iban: text(22)?,
                payee_holder: text(23)?,
                payee_holder_bin: text(24)?,
            }),
        };
        let credit = match text(25)? {
            None => None,
            Some(payer_name) => Some(CreditColumns {
                payer_name,
                payer_taxpayer_id: text(26)?,
                payer_iban: text(27)?,
                payer_bic: text(28)?,
                knp: text(29)?,
                purpose: text(30)?.unwrap_or_default(),
            }),
        };
        let collection = match row.int(31)? {
            None => None,
            Some(id) => Some(CollectionColumns {
                id,
                returned: row.int(32)?.is_some(),
                debtor_account: row.int(33)?,
                creditor_name: text(34)?,
                creditor_taxpayer_id: text(35)?,
                creditor_iban: text(36)?,
                knp: text(37)?,
                debtor_iban: text(38)?,
                debtor_holder: text(39)?,
                debtor_holder_bin: text(40)?,
            }),
        };
        Ok(StatementRow {
            posting_id: required(0)?,
            entry_id: required(1)?,
            amount: required(2)?,
            created_at: required(3)?,
            entry_kind: text(4)?.unwrap_or_default(),
            memo: text(5)?.unwrap_or_default(),
            reverses: row.int(6)?,
            document,
            credit,
            collection,
        })
    }

    pub fn cursor(&self) -> LineCursor {
        LineCursor { booked_at_us: self.created_at, entry: self.entry_id, posting: self.posting_id }
    }
}

/// What a line is read for: the account whose statement it is, and the bank.
#[derive(Debug, Clone, Copy)]
pub struct LineContext<'a> {
    pub account: AccountId,
    pub currency: Currency,
    pub period: Period,
    pub bank: &'a OwnBank,
}

/// Reads a page's rows into lines, in order; checks that each posting appears once (a document
/// or credit joined twice would repeat it).
pub fn page_of(rows: Vec<StatementRow>, context: &LineContext<'_>) -> Result<LinesPage, StoreError> {
    let mut lines = Vec::with_capacity(rows.len() + rows.len() / 4);
    let mut last: Option<LineCursor> = None;
    for row in &rows {
        let cursor = row.cursor();
        if last.is_some_and(|last| last >= cursor) {
            return Err(StoreError::backend(format!(
                "statement rows out of order or repeated at posting {}",
                row.posting_id
            )));
        }
        push_lines(row, context, &mut lines)?;
        last = Some(cursor);
    }
    debug_assert!(lines.len() >= rows.len() && lines.len() <= 2 * rows.len(), "one or two lines per posting");
    Ok(LinesPage { lines, postings: rows.len(), last })
}

/// Which side of a payment document the statement's account is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Payer,
    Payee,
    Neither,
}

/// The line (or, for a payment with a commission, the two lines) of one posting; see the module
/// documentation for each kind of entry.
pub fn push_lines(
    row: &StatementRow,
    context: &LineContext<'_>,
    out: &mut Vec<StatementLine>,
) -> Result<(), StoreError> {
    let corrupt = |what: &str| StoreError::backend(format!("statement row of posting {}: {what}", row.posting_id));
    let booked_at = Timestamp::from_microsecond(row.created_at).map_err(|_| corrupt("its instant"))?;
    let booking_date = business_date(booked_at);
    if !context.period.contains(booking_date) {
        return Err(corrupt("booked outside the period"));
    }
    let magnitude = row.amount.checked_abs().filter(|magnitude| *magnitude > 0).ok_or_else(|| corrupt("its amount"))?;
    let direction = if row.amount < 0 { Direction::Debit } else { Direction::Credit };
    let entry_kind = EntryKind::parse(&row.entry_kind).ok_or_else(|| corrupt("its entry kind"))?;
    let money = |minor: i64| Money::from_minor(minor, context.currency);
    let base = StatementLine {
        entry: EntryId::new(row.entry_id),
        booked_at,
        booking_date,
        value_date: booking_date,
        kind: LineKind::Payment,
        direction,
        amount: money(magnitude),
        document_number: None,
        counterparty: unknown_party(),
        knp: None,
        purpose: row.memo.clone(),
    };
    let account = context.account.get();

    if entry_kind == EntryKind::Reversal {
        let reversed = row.reverses.ok_or_else(|| corrupt("a reversal without the entry it reverses"))?;
        let mut line = StatementLine {
            kind: LineKind::Reversal,
            purpose: if row.memo.trim().is_empty() {
                format!("Сторно записи {reversed}")
            } else {
                format!("Сторно записи {reversed}: {}", row.memo)
            },
            ..base
        };
        if let Some(document) = &row.document {
            let side = side_of(document, account);
            line.counterparty = document_counterparty(document, side, context.bank);
            line.document_number = Some(document.number.to_string());
            line.knp = parse_knp(document.knp.as_deref());
        } else if let Some(credit) = &row.credit {
            line.counterparty = credit_counterparty(credit);
            line.knp = parse_knp(credit.knp.as_deref());
        }
        out.push(line);
        return Ok(());
    }

    if let Some(document) = &row.document {
        let side = side_of(document, account);
        let kind = if document.kind == "conversion" || entry_kind == EntryKind::Conversion {
            LineKind::Conversion
        } else {
            LineKind::Payment
        };
        let value_date = match document.value_date.as_deref() {
            Some(text) => text.parse::<Date>().map_err(|_| corrupt("its document's value date"))?,
            None => booking_date,
        };
        let number = document.number.to_string();
        let payment = StatementLine {
            kind,
            value_date,
            document_number: Some(number.clone()),
            counterparty: document_counterparty(document, side, context.bank),
            knp: parse_knp(document.knp.as_deref()),
            purpose: document
                .purpose
                .clone()
                .filter(|purpose| !purpose.trim().is_empty())
                .unwrap_or(base.purpose.clone()),
            ..base
        };
        // The commission is its own line (R-3.1.2.1), taken out of the payer's debit: whatever
        // the tariff withheld, the two lines add up to the posting.
        let commission = document.commission.unwrap_or(0);
        if side == Side::Payer && direction == Direction::Debit && commission > 0 && commission < magnitude {
            let commission_line = StatementLine {
                kind: LineKind::Commission,
                amount: money(commission),
                counterparty: bank_party(context.bank),
                knp: None,
                purpose: format!("Комиссия за платёж № {number}"),
                ..payment.clone()
            };
            out.push(StatementLine { amount: money(magnitude - commission), ..payment });
            out.push(commission_line);
        } else {
            out.push(payment);
        }
        return Ok(());
    }

    if let Some(credit) = &row.credit {
        out.push(StatementLine {
            kind: LineKind::IncomingCredit,
            counterparty: credit_counterparty(credit),
            knp: parse_knp(credit.knp.as_deref()),
            purpose: if credit.purpose.trim().is_empty() { base.purpose.clone() } else { credit.purpose.clone() },
            ..base
        });
        return Ok(());
    }

    if let Some(collection) = &row.collection {
        let counterparty = if collection.debtor_account == Some(account) {
            Counterparty {
                name: name_or_unknown(collection.creditor_name.as_deref()),
                taxpayer_id: parse_taxpayer(collection.creditor_taxpayer_id.as_deref()),
                account: account_of(collection.creditor_iban.as_deref()),
                bic: None,
            }
        } else {
            own_account_party(
                collection.debtor_holder.as_deref(),
                collection.debtor_holder_bin.as_deref(),
                collection.debtor_iban.as_deref(),
                context.bank,
            )
        };
        debug_assert!(!collection.returned || direction == Direction::Credit, "a returned collection credits");
        out.push(StatementLine {
            kind: LineKind::Collection,
            document_number: Some(collection.id.to_string()),
            counterparty,
            knp: parse_knp(collection.knp.as_deref()),
            ..base
        });
        return Ok(());
    }

    let (kind, counterparty) = match entry_kind {
        EntryKind::OpeningBalance => (LineKind::OpeningBalance, bank_party(context.bank)),
        EntryKind::Fee => (LineKind::Commission, bank_party(context.bank)),
        EntryKind::IncomingCredit => (LineKind::IncomingCredit, unknown_party()),
        EntryKind::Conversion => (LineKind::Conversion, unknown_party()),
        EntryKind::Collection => (LineKind::Collection, unknown_party()),
        EntryKind::Transfer | EntryKind::HoldCapture | EntryKind::Reversal => (LineKind::Payment, unknown_party()),
    };
    out.push(StatementLine { kind, counterparty, ..base });
    Ok(())
}

fn side_of(document: &DocumentColumns, account: i64) -> Side {
    if document.payer_account == Some(account) {
        Side::Payer
    } else if document.payee_account == Some(account) {
        Side::Payee
    } else {
        Side::Neither
    }
}

/// The other side of a document, seen from `side`: the payee from the payer's account, the payer
/// from the payee's.
fn document_counterparty(document: &DocumentColumns, side: Side, bank: &OwnBank) -> Counterparty {
    match side {
        Side::Payer if document.payee_account.is_some() => own_account_party(
            document.payee_holder.as_deref(),
            document.payee_holder_bin.as_deref(),
            document.payee_account_iban.as_deref(),
            bank,
        ),
        Side::Payer => Counterparty {
            name: name_or_unknown(document.payee_name.as_deref()),
            taxpayer_id: parse_taxpayer(document.payee_bin.as_deref()),
            account: account_of(document.payee_iban.as_deref()),
            bic: document.payee_bic.as_deref().and_then(|bic| Bic::parse(bic).ok()),
        },
        Side::Payee => own_account_party(
            document.payer_holder.as_deref(),
            document.payer_holder_bin.as_deref(),
            document.payer_iban.as_deref(),
            bank,
        ),
        Side::Neither => unknown_party(),
    }
}

fn credit_counterparty(credit: &CreditColumns) -> Counterparty {
    Counterparty {
        name: name_or_unknown(Some(&credit.payer_name)),
        taxpayer_id: parse_taxpayer(credit.payer_taxpayer_id.as_deref()),
        account: account_of(credit.payer_iban.as_deref()),
        bic: credit.payer_bic.as_deref().and_then(|bic| Bic::parse(bic).ok()),
    }
}

/// An account at this bank and its holder.
fn own_account_party(holder: Option<&str>, bin: Option<&str>, iban: Option<&str>, bank: &OwnBank) -> Counterparty {
    Counterparty {
        name: name_or_unknown(holder),
        taxpayer_id: parse_taxpayer(bin),
        account: account_of(iban),
        bic: Some(bank.bic.clone()),
    }
}

fn bank_party(bank: &OwnBank) -> Counterparty {
    Counterparty { name: bank.name.clone(), taxpayer_id: None, account: None, bic: Some(bank.bic.clone()) }
}

fn unknown_party() -> Counterparty {
    Counterparty { name: UNKNOWN_COUNTERPARTY.to_owned(), taxpayer_id: None, account: None, bic: None }
}

fn name_or_unknown(name: Option<&str>) -> String {
    name.map(str::trim).filter(|name| !name.is_empty()).unwrap_or(UNKNOWN_COUNTERPARTY).to_owned()
}

// Requisites were checked when they were entered; one that no longer parses (a foreign payee's
// account number, say) is shown as it was kept rather than dropped, or left out when it has no
// typed form.
fn account_of(text: Option<&str>) -> Option<CounterpartyAccount> {
    let text = text.map(str::trim).filter(|text| !text.is_empty())?;
    Some(
        Iban::parse(text)
            .map(CounterpartyAccount::Iban)
            .unwrap_or_else(|_| CounterpartyAccount::Other(text.to_owned())),
    )
}

fn parse_taxpayer(text: Option<&str>) -> Option<TaxpayerId> {
    text.and_then(|text| TaxpayerId::parse(text.trim()).ok())
}

fn parse_knp(text: Option<&str>) -> Option<Knp> {
    text.and_then(|text| Knp::parse(text.trim()).ok())
}

// ----- Walking the lines -----

/// The windows a page is read from: `lo..hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub lo: usize,
    pub hi: usize,
}

/// What [`LinePlanner::judge`] decided about a page read from an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// The page is the next one.
    Accept,
    /// Postings outside the attempt may belong to the page: read it again from these windows.
    Retry(Attempt),
}

/// Chooses, page after page, the posting range each page of a statement is read from, and proves
/// each page complete (see the module documentation). Pure: the reader does the reading.
#[derive(Debug, Clone)]
pub struct LinePlanner {
    snapshot: StatementSnapshot,
    page_postings: usize,
    after: LineCursor,
    /// Windows before `lo` hold only lines already given out.
    lo: usize,
    done: bool,
}

impl LinePlanner {
    pub fn new(snapshot: StatementSnapshot, page_postings: usize) -> LinePlanner {
        assert!((1..=PAGE_POSTINGS_MAX).contains(&page_postings), "a page reads 1 to {PAGE_POSTINGS_MAX} postings");
        let done = snapshot.windows.is_empty();
        LinePlanner { snapshot, page_postings, after: LineCursor::START, lo: 0, done }
    }

    pub fn page_postings(&self) -> usize {
        self.page_postings
    }

    /// The cursor the next page starts after.
    pub fn after(&self) -> LineCursor {
        self.after
    }

    /// The posting ids of an attempt's windows, both ends included.
    pub fn posting_range(&self, attempt: Attempt) -> (i64, i64) {
        assert!(attempt.lo < attempt.hi && attempt.hi <= self.snapshot.windows.len(), "an attempt covers windows");
        (self.snapshot.windows[attempt.lo].first_posting, self.snapshot.windows[attempt.hi - 1].last_posting)
    }

    /// Where to read the next page from; `None` once every line was given out.
    pub fn next_attempt(&mut self) -> Option<Attempt> {
        if self.done {
            return None;
        }
        let windows = &self.snapshot.windows;
        // A window whose latest instant is before the cursor's holds only lines given out.
        while self.lo < windows.len() && windows[self.lo].latest < self.after.booked_at_us {
            self.lo += 1;
        }
        if self.lo == windows.len() {
            self.done = true;
            return None;
        }
        // The first window may be partly given out, and a page that ends in the attempt's last
        // window would need the next to prove it complete: two windows' worth of slack make a
        // retry rare when instants follow posting ids.
        let slack = 2 * windows[self.lo].postings;
        Some(Attempt { lo: self.lo, hi: self.extend(self.lo, self.page_postings as u64 + slack) })
    }

    /// The end of the windows from `from` that hold at least `wanted` postings (or the last).
    fn extend(&self, from: usize, wanted: u64) -> usize {
        let windows = &self.snapshot.windows;
        let mut hi = from;
        let mut held = 0_u64;
        while hi < windows.len() && (held < wanted || hi == from) {
            held += windows[hi].postings;
            hi += 1;
        }
        hi
    }

    /// Judges a page read from `attempt`: `postings` read, the last one's cursor. On `Accept`
    /// the planner moves past the page.
    pub fn judge(&mut self, attempt: Attempt, postings: usize, last: Option<LineCursor>) -> Judgement {
        assert!(postings <= self.page_postings, "a page reads at most its limit");
        assert_eq!(postings == 0, last.is_none(), "a page with postings has a last one");
        let windows = &self.snapshot.windows;
        if postings < self.page_postings {
            // Short: every line after the cursor in these windows was read. Lines may remain in
            // the windows after them.
            if attempt.hi < windows.len() {
                let read: u64 = windows[attempt.lo..attempt.hi].iter().map(|window| window.postings).sum();
                let hi = self.extend(attempt.hi, read.max(self.page_postings as u64));
                return Judgement::Retry(Attempt { lo: attempt.lo, hi });
            }
            self.done = true;
        } else if let Some(last) = last {
            // Full: a window after the attempt with a posting booked no later than the page's last
            // line could hold a line that belongs before it.
            let mut hi = attempt.hi;
            while hi < windows.len() && self.snapshot.suffix_earliest[hi] <= last.booked_at_us {
                hi += 1;
            }
            if hi > attempt.hi {
                return Judgement::Retry(Attempt { lo: attempt.lo, hi });
            }
        }
        if let Some(last) = last {
            debug_assert!(last > self.after, "pages move forward");
            self.after = last;
        }
        Judgement::Accept
    }
}

/// A [`LineReader`] as a blocking iterator, for the writers that take an `Iterator`: run it on a
/// blocking thread, where each page waits for the store on `runtime`. A store error is the last
/// item. It counts the pages it read and the time it waited for them (the benchmark's split of
/// an export's time between the store and the writer).
pub struct BlockingLines {
    reader: LineReader,
    runtime: tokio::runtime::Handle,
    buffered: std::collections::VecDeque<StatementLine>,
    finished: bool,
    pages: u64,
    waited: std::time::Duration,
}

impl BlockingLines {
    pub fn new(reader: LineReader, runtime: tokio::runtime::Handle) -> BlockingLines {
        BlockingLines {
            reader,
            runtime,
            buffered: std::collections::VecDeque::new(),
            finished: false,
            pages: 0,
            waited: std::time::Duration::ZERO,
        }
    }

    /// Pages read so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Time spent waiting for the store so far.
    pub fn waited(&self) -> std::time::Duration {
        self.waited
    }
}

impl Iterator for BlockingLines {
    type Item = Result<StatementLine, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(line) = self.buffered.pop_front() {
                return Some(Ok(line));
            }
            if self.finished {
                return None;
            }
            let asked = std::time::Instant::now();
            let page = self.runtime.block_on(self.reader.next_page());
            self.waited += asked.elapsed();
            match page {
                Ok(Some(lines)) => {
                    self.pages += 1;
                    self.buffered.extend(lines);
                }
                Ok(None) => self.finished = true,
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error));
                }
            }
        }
    }
}

/// A walk over a statement's lines, page by page, at the totals' snapshot. Start a new one for
/// each pass: every walk gives the same lines.
pub struct LineReader {
    store: Arc<dyn Store>,
    account: AccountId,
    currency: Currency,
    period: Period,
    bank: OwnBank,
    planner: LinePlanner,
}

impl LineReader {
    pub fn new(store: Arc<dyn Store>, totals: &StatementTotals, bank: OwnBank, page_postings: usize) -> LineReader {
        LineReader {
            store,
            account: totals.account,
            currency: totals.currency,
            period: totals.period,
            bank,
            planner: LinePlanner::new(totals.snapshot.clone(), page_postings),
        }
    }

    /// The next page of lines, in order; `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<StatementLine>>, StoreError> {
        let Some(mut attempt) = self.planner.next_attempt() else {
            return Ok(None);
        };
        loop {
            let (first_posting, last_posting) = self.planner.posting_range(attempt);
            let request = LinesRequest {
                account: self.account,
                currency: self.currency,
                period: self.period,
                first_posting,
                last_posting,
                after: self.planner.after(),
                limit: self.planner.page_postings(),
                bank: self.bank.clone(),
            };
            let page = self.store.statement_lines(request).await?;
            match self.planner.judge(attempt, page.postings, page.last) {
                Judgement::Accept if page.postings == 0 => return Ok(None),
                Judgement::Accept => return Ok(Some(page.lines)),
                Judgement::Retry(wider) => {
                    debug_assert!(wider.hi > attempt.hi, "a retry reads more windows");
                    attempt = wider;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn period() -> Period {
        Period::new(jiff::civil::date(2026, 1, 1), jiff::civil::date(2026, 1, 31)).expect("period")
    }

    fn bank() -> OwnBank {
        OwnBank { name: "АО «Тийн Банк»".into(), bic: Bic::parse("TIYNKZKA").expect("bic") }
    }

    fn context(bank: &OwnBank) -> LineContext<'_> {
        LineContext { account: AccountId::new(7), currency: Currency::Kzt, period: period(), bank }
    }

    fn instant(day: i8, hour: i8) -> i64 {
        jiff::civil::date(2026, 1, day)
            .at(hour, 0, 0, 0)
            .to_zoned(business_zone())
            .expect("in range")
            .timestamp()
            .as_microsecond()
    }

    fn row(amount: i64, kind: &str) -> StatementRow {
        StatementRow {
            posting_id: 10,
            entry_id: 5,
            amount,
            created_at: instant(12, 10),
            entry_kind: kind.into(),
            memo: "№ 3: оплата".into(),
            ..Default::default()
        }
    }

    fn lines(row: &StatementRow) -> Vec<StatementLine> {
        let bank = bank();
        let mut out = Vec::new();
        push_lines(row, &context(&bank), &mut out).expect("reads");
        out
    }

    fn interbank_document(commission: Option<i64>) -> DocumentColumns {
        DocumentColumns {
            number: 3,
            kind: "interbank".into(),
            payer_account: Some(7),
            payee_name: Some("ТОО «Ромашка»".into()),
            payee_bin: Some("180140010005".into()),
            payee_iban: Some("KZ806014482455345985".into()),
            payee_bic: Some("HSBKKZKX".into()),
            knp: Some("710".into()),
            purpose: Some("Оплата по счёту №15".into()),
            value_date: Some("2026-01-12".into()),
            commission,
            ..Default::default()
        }
    }

    /// R-3.1.2.1: a payment's commission is its own line, and the two lines add up to the posting.
    #[test]
    fn r_3_1_2_1_a_commission_is_its_own_line_and_the_lines_add_up() {
        let mut with_commission = row(-150_505, "transfer");
        with_commission.document = Some(interbank_document(Some(500)));
        let out = lines(&with_commission);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].kind, out[0].amount.minor()), (LineKind::Payment, 150_005));
        assert_eq!((out[1].kind, out[1].amount.minor()), (LineKind::Commission, 500));
        assert!(out.iter().all(|line| line.direction == Direction::Debit));
        assert_eq!(out[0].counterparty.name, "ТОО «Ромашка»");
        assert_eq!(out[0].counterparty.taxpayer_id.map(|id| id.to_string()).as_deref(), Some("180140010005"));
        assert_eq!(out[0].knp.map(|knp| knp.to_string()).as_deref(), Some("710"));
        assert_eq!(out[1].counterparty.name, "АО «Тийн Банк»");
        assert_eq!(out[1].document_number.as_deref(), Some("3"));

        // Withheld from the amount: the payer's debit is the amount, the payment line the rest.
        let mut withheld = row(-10_000, "transfer");
        withheld.document = Some(interbank_document(Some(300)));
        let out = lines(&withheld);
        assert_eq!(out.iter().map(|line| line.amount.minor()).collect::<Vec<_>>(), [9_700, 300]);

        // A commission as large as the posting cannot be split: one line, nothing lost.
        let mut odd = row(-300, "transfer");
        odd.document = Some(interbank_document(Some(300)));
        assert_eq!(lines(&odd).len(), 1);
    }

    /// An internal transfer names the other account and its holder on both sides.
    #[test]
    fn an_internal_transfer_names_the_other_own_account() {
        let document = DocumentColumns {
            kind: "internal".into(),
            payer_account: Some(7),
            payee_account: Some(8),
            payer_iban: Some("KZ86722S000000000001".into()),
            payer_holder: Some("ТОО «Тест»".into()),
            payer_holder_bin: Some("971240001315".into()),
            payee_account_iban: Some("KZ59722S000000000002".into()),
            payee_holder: Some("ТОО «Тест»".into()),
            payee_holder_bin: Some("971240001315".into()),
            ..interbank_document(None)
        };
        let mut debit = row(-5_000, "transfer");
        debit.document = Some(document.clone());
        let out = lines(&debit);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].counterparty.account.as_ref().map(CounterpartyAccount::as_str), Some("KZ59722S000000000002"));
        assert_eq!(out[0].counterparty.bic.as_ref().map(Bic::as_str), Some("TIYNKZKA"));
        let mut credit = row(5_000, "transfer");
        credit.document = Some(DocumentColumns { payer_account: Some(8), payee_account: Some(7), ..document });
        let out = lines(&credit);
        assert_eq!(out[0].direction, Direction::Credit);
        assert_eq!(out[0].counterparty.account.as_ref().map(CounterpartyAccount::as_str), Some("KZ86722S000000000001"));
    }

    #[test]
    fn old_incoming_credits_fall_back_to_the_memo_and_reversals_are_marked() {
        let out = lines(&row(7_500, "incoming_credit"));
        assert_eq!((out[0].kind, out[0].counterparty.name.as_str()), (LineKind::IncomingCredit, UNKNOWN_COUNTERPARTY));
        assert_eq!(out[0].purpose, "№ 3: оплата");
        let mut reversal = row(7_500, "reversal");
        reversal.reverses = Some(4);
        reversal.memo = "ошибка".into();
        let out = lines(&reversal);
        assert_eq!(out[0].kind, LineKind::Reversal);
        assert_eq!(out[0].purpose, "Сторно записи 4: ошибка");
    }

    #[test]
    fn a_line_outside_the_period_is_refused() {
        let mut late = row(100, "transfer");
        late.created_at = instant(31, 23) + 3_600_000_000;
        let bank = bank();
        assert!(push_lines(&late, &context(&bank), &mut Vec::new()).is_err());
        let period = period();
        let (start, end) = period_instants(period).expect("instants");
        assert_eq!(end - start, 31 * 86_400_000_000);
        assert_eq!(business_date(Timestamp::from_microsecond(start).expect("instant")), period.from());
        assert_eq!(business_date(Timestamp::from_microsecond(end - 1).expect("instant")), period.to());
    }

    /// The period's postings in posting-id order: (posting id, booked at).
    fn windows_of(postings: &[(i64, i64)], size: usize) -> Vec<PostingWindow> {
        postings
            .chunks(size)
            .map(|chunk| PostingWindow {
                first_posting: chunk[0].0,
                last_posting: chunk[chunk.len() - 1].0,
                postings: chunk.len() as u64,
                earliest: chunk.iter().map(|posting| posting.1).min().expect("non-empty"),
                latest: chunk.iter().map(|posting| posting.1).max().expect("non-empty"),
            })
            .collect()
    }

    /// What a store answers for a page: the postings in the range after the cursor, in line
    /// order, at most `limit`.
    fn read_page(postings: &[(i64, i64)], range: (i64, i64), after: LineCursor, limit: usize) -> Vec<LineCursor> {
        let mut page: Vec<LineCursor> = postings
            .iter()
            .filter(|posting| range.0 <= posting.0 && posting.0 <= range.1)
            // The entry id is the posting id here: one posting per entry.
            .map(|posting| LineCursor { booked_at_us: posting.1, entry: posting.0, posting: posting.0 })
            .filter(|cursor| *cursor > after)
            .collect();
        page.sort();
        page.truncate(limit);
        page
    }

    proptest! {
        /// Walking the planner's pages gives every posting once, in line order, whatever the
        /// disorder of booking instants against posting ids, the window size and the page size.
        #[test]
        fn the_planner_walks_every_posting_once_in_order(
            instants in proptest::collection::vec(0_i64..50, 0..120),
            window in 1_usize..9,
            page in 1_usize..12,
        ) {
            let postings: Vec<(i64, i64)> =
                instants.iter().enumerate().map(|(index, at)| (index as i64 * 3 + 1, *at)).collect();
            let snapshot = StatementSnapshot::new(i64::MAX, windows_of(&postings, window)).expect("windows");
            let mut planner = LinePlanner::new(snapshot, page);
            let mut walked = Vec::new();
            let mut reads = 0;
            while let Some(mut attempt) = planner.next_attempt() {
                loop {
                    reads += 1;
                    prop_assert!(reads < 10_000, "the walk ends");
                    let read = read_page(&postings, planner.posting_range(attempt), planner.after(), page);
                    match planner.judge(attempt, read.len(), read.last().copied()) {
                        Judgement::Accept => {
                            walked.extend(read);
                            break;
                        }
                        Judgement::Retry(wider) => attempt = wider,
                    }
                }
            }
            let mut expected = read_page(&postings, (i64::MIN, i64::MAX), LineCursor::START, usize::MAX);
            expected.sort();
            prop_assert_eq!(walked, expected);
        }
    }

    /// In booking order the planner reads each posting about once: a page's attempt holds a page
    /// of postings and two windows.
    #[test]
    fn in_order_postings_are_read_about_once() {
        let postings: Vec<(i64, i64)> = (0..10_000).map(|index| (index + 1, index / 3)).collect();
        let snapshot = StatementSnapshot::new(i64::MAX, windows_of(&postings, 64)).expect("windows");
        let mut planner = LinePlanner::new(snapshot, 500);
        let mut scanned = 0_usize;
        while let Some(mut attempt) = planner.next_attempt() {
            loop {
                let range = planner.posting_range(attempt);
                scanned += postings.iter().filter(|posting| range.0 <= posting.0 && posting.0 <= range.1).count();
                let read = read_page(&postings, range, planner.after(), 500);
                match planner.judge(attempt, read.len(), read.last().copied()) {
                    Judgement::Accept => break,
                    Judgement::Retry(wider) => attempt = wider,
                }
            }
        }
        assert!(2 * scanned < 3 * postings.len(), "scanned {scanned} postings for {}", postings.len());
    }
}
