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
//! A line's booking date is its entry's `created_at` in Almaty, kept on each of its postings as
//! `booked_at` (migration 0024); lines are ordered by that instant, then entry id, then posting id
//! ([`LineCursor`]), which is the order of the index `postings_lines`.
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
//! [`Store::statement_totals`] fixes a snapshot: the last posting id when the statement was made
//! (`through_posting`). On both backends every posting of the account with an id at or below it
//! is committed by then and no later one gets a smaller id (SQLite writes one transaction at a
//! time; on PostgreSQL a posting is written only under its account's row lock, which the snapshot
//! waits for, and ids are drawn from one sequence), so every walk over the lines, however often
//! repeated (the PDF walks twice), sees the same lines as the totals.
//!
//! The lines come in pages of at most [`PAGE_POSTINGS_MAX`] postings, each a short read: a
//! million-line statement never holds a read transaction open while a client downloads it (on
//! SQLite a long reader would stall the WAL checkpoints). A page is the next range of the index
//! `postings_lines` (account, booking instant, entry, posting) after the previous page's last
//! line ([`LineCursor`]): it reads its own postings and no others, already in order, and the
//! totals are one scan of the same index (on PostgreSQL it carries the amounts).

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
    /// The snapshot every page of the statement is read at: the last posting id when the totals
    /// were made (see the module documentation).
    pub through_posting: i64,
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
    /// Before every line booked at or after `instant` (microseconds).
    pub const fn before(instant: i64) -> LineCursor {
        LineCursor { booked_at_us: instant, entry: i64::MIN, posting: i64::MIN }
    }
}

/// One page of lines to read ([`Store::statement_lines`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinesRequest {
    pub account: AccountId,
    pub currency: Currency,
    pub period: Period,
    /// The statement's snapshot: postings with ids up to this one.
    pub through_posting: i64,
    /// Only postings whose lines come after this cursor (and in the period).
    pub after: LineCursor,
    /// And, when given, up to this one (included): a page whose end
    /// [`Store::statement_page_end`] found, read while the pages before it are.
    pub until: Option<LineCursor>,
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

/// The last posting: the snapshot bound (see the module documentation). No parameters.
pub const THROUGH_SQL: &str = "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM postings";

/// The numbers of a statement, in one scan of the account's postings up to the period's end
/// (the index `postings_lines`). Parameters: account, through posting, period start,
/// period end (microseconds). Columns: opening, period debit, period credit, closing (summed
/// independently), period postings.
pub const TOTALS_SQL: &str = "SELECT \
    CAST(COALESCE(SUM(CASE WHEN booked_at < ?3 THEN amount ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN booked_at >= ?3 AND amount < 0 THEN -amount ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN booked_at >= ?3 AND amount > 0 THEN amount ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(amount), 0) AS BIGINT), \
    CAST(COUNT(CASE WHEN booked_at >= ?3 THEN 1 END) AS BIGINT) \
    FROM postings WHERE account_id = ?1 AND booked_at < ?4 AND id <= ?2";

/// One page of lines: first the page's postings, the next range of the index `postings_lines`
/// after the cursor (already in line order), then what each line shows, joined for those
/// postings only: [`LINES_SELECT`], then a backend's joins ([`LINES_JOINS`] or
/// [`LINES_JOINS_NESTED`]), then [`LINES_ORDER`]. Parameters: account, the cursor (instant,
/// entry, posting), period end, through posting, limit, the upper cursor (instant, entry,
/// posting). Columns: [`StatementRow`]'s fields, in order.
///
/// A reversal reads the document and incoming credit of the entry it reverses
/// (`COALESCE(reverses, entry_id)`), so that it names the same counterparty.
pub const LINES_SELECT: &str = "WITH page AS ( \
        SELECT p.id AS posting_id, p.entry_id AS entry_id, p.amount AS amount, p.booked_at AS booked_at \
        FROM postings p \
        WHERE p.account_id = ?1 AND (p.booked_at, p.entry_id, p.id) > (?2, ?3, ?4) AND p.booked_at < ?5 \
          AND p.id <= ?6 AND (p.booked_at, p.entry_id, p.id) <= (?8, ?9, ?10) \
        ORDER BY p.booked_at, p.entry_id, p.id \
        LIMIT ?7) \
    SELECT page.posting_id, page.entry_id, page.amount, page.booked_at, entry.kind, entry.memo, entry.reverses, \
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
    JOIN entries entry ON entry.id = page.entry_id ";

/// [`LINES_SELECT`]'s joins, one after the other (SQLite: its planner would make each
/// parenthesised group of [`LINES_JOINS_NESTED`] a subquery of its own).
pub const LINES_JOINS: &str = "\
    LEFT JOIN payment_documents document ON document.entry_id = COALESCE(entry.reverses, page.entry_id) \
    LEFT JOIN accounts payer ON payer.id = document.payer_account_id \
    LEFT JOIN partners payer_partner ON payer_partner.id = payer.partner_id \
    LEFT JOIN accounts payee ON payee.id = document.payee_account_id \
    LEFT JOIN partners payee_partner ON payee_partner.id = payee.partner_id \
    LEFT JOIN incoming_credits credit ON credit.entry_id = COALESCE(entry.reverses, page.entry_id) \
    LEFT JOIN collections taken ON taken.entry_id = page.entry_id \
    LEFT JOIN collection_outcomes outcome ON outcome.return_entry_id = page.entry_id \
    LEFT JOIN collections returned ON returned.id = outcome.collection_id \
    LEFT JOIN restrictions restriction ON restriction.id = COALESCE(taken.restriction_id, returned.restriction_id) \
    LEFT JOIN accounts debtor ON debtor.id = restriction.account_id \
    LEFT JOIN partners debtor_partner ON debtor_partner.id = debtor.partner_id ";

/// The same joins grouped, in the order PostgreSQL runs them (its page plan keeps the order
/// written): a document's accounts and holders are looked up only for a line that has a
/// document, a restriction's debtor only for a collection, and the widest rows, the document's,
/// are joined last, so that their columns are not carried through the other joins. Most lines
/// have no collection, and each lookup skipped is an index probe saved per line (a page of 5,000
/// lines: 26 to 19 ms in the server).
pub const LINES_JOINS_NESTED: &str = "\
    LEFT JOIN collections taken ON taken.entry_id = page.entry_id \
    LEFT JOIN (collection_outcomes outcome \
        LEFT JOIN collections returned ON returned.id = outcome.collection_id) \
      ON outcome.return_entry_id = page.entry_id \
    LEFT JOIN (restrictions restriction \
        LEFT JOIN accounts debtor ON debtor.id = restriction.account_id \
        LEFT JOIN partners debtor_partner ON debtor_partner.id = debtor.partner_id) \
      ON restriction.id = COALESCE(taken.restriction_id, returned.restriction_id) \
    LEFT JOIN incoming_credits credit ON credit.entry_id = COALESCE(entry.reverses, page.entry_id) \
    LEFT JOIN (payment_documents document \
        LEFT JOIN accounts payer ON payer.id = document.payer_account_id \
        LEFT JOIN partners payer_partner ON payer_partner.id = payer.partner_id \
        LEFT JOIN accounts payee ON payee.id = document.payee_account_id \
        LEFT JOIN partners payee_partner ON payee_partner.id = payee.partner_id) \
      ON document.entry_id = COALESCE(entry.reverses, page.entry_id) ";

/// The end of [`LINES_SELECT`]: lines in order.
pub const LINES_ORDER: &str = "ORDER BY page.booked_at, page.entry_id, page.posting_id";

/// Where a full page after the cursor would end: the cursor of the `?7`-th posting (the same
/// parameters as [`LINES_SELECT`]'s first seven), or no row when fewer remain. One short scan of
/// the index, so that the pages after it can be read while this one is.
pub const PAGE_END_SQL: &str = "SELECT booked_at, entry_id, id FROM postings \
    WHERE account_id = ?1 AND (booked_at, entry_id, id) > (?2, ?3, ?4) AND booked_at < ?5 AND id <= ?6 \
    ORDER BY booked_at, entry_id, id LIMIT 1 OFFSET CAST(?7 AS BIGINT) - 1";

/// Keeps an incoming credit's details. Parameters: entry id, then [`IncomingCreditColumns`] in
/// order.
pub const INSERT_INCOMING_CREDIT_SQL: &str = "INSERT INTO incoming_credits \
    (entry_id, message_id, payer_name, payer_taxpayer_id, payer_iban, payer_bic, knp, purpose, received_at) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// `?N` placeholders as PostgreSQL's `$N` (the SQL above has no other `?`).
pub fn dollar_placeholders(sql: &str) -> String {
    sql.replace('?', "$")
}

/// The parameters of [`PAGE_END_SQL`] for a request, in order (account, cursor instant, cursor
/// entry, cursor posting, period end, through posting, limit). A cursor before the period starts
/// at the period.
pub fn page_end_parameters(request: &LinesRequest) -> Result<[i64; 7], StoreError> {
    assert!((1..=PAGE_POSTINGS_MAX).contains(&request.limit), "a page reads 1 to {PAGE_POSTINGS_MAX} postings");
    let (start, end) = period_instants(request.period)?;
    let after = request.after.max(LineCursor::before(start));
    Ok([
        request.account.get(),
        after.booked_at_us,
        after.entry,
        after.posting,
        end,
        request.through_posting,
        request.limit as i64,
    ])
}

/// The parameters of [`LINES_SELECT`] for a request: [`page_end_parameters`], then the upper
/// cursor (instant, entry, posting; past every line when there is none).
pub fn lines_parameters(request: &LinesRequest) -> Result<[i64; 10], StoreError> {
    let [account, instant, entry, posting, end, through, limit] = page_end_parameters(request)?;
    let until = request.until.unwrap_or(LineCursor { booked_at_us: i64::MAX, entry: i64::MAX, posting: i64::MAX });
    Ok([account, instant, entry, posting, end, through, limit, until.booked_at_us, until.entry, until.posting])
}

/// A [`PAGE_END_SQL`] row as a cursor.
pub fn cursor_row(row: &impl ColumnReader) -> Result<LineCursor, StoreError> {
    let int = |index| row.int(index)?.ok_or_else(|| StoreError::backend("a page end is NULL"));
    Ok(LineCursor { booked_at_us: int(0)?, entry: int(1)?, posting: int(2)? })
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

/// The statement's totals from what a store read, checked: opening + credits − debits equals the
/// closing summed on its own.
pub fn totals_from(
    account: AccountId,
    currency: Currency,
    period: Period,
    row: TotalsRow,
    through_posting: i64,
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
    Ok(StatementTotals {
        account,
        currency,
        period,
        opening: money(row.opening),
        turnover: Turnover { debit: money(row.debit), credit: money(row.credit) },
        closing: computed,
        postings,
        through_posting,
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

/// Pages a [`LineReader`] reads at once: the next pages' ends are found first (one short index
/// scan each, [`Store::statement_page_end`]), then the pages are read side by side, on as many
/// connections, while the caller writes the one before. At most this many pages are held.
pub const PAGES_AHEAD: usize = 3;

/// A page being read.
type PageTask = tokio::task::JoinHandle<Result<LinesPage, StoreError>>;

/// A walk over a statement's lines, page by page, at the totals' snapshot. Start a new one for
/// each pass: every walk gives the same lines. Up to [`PAGES_AHEAD`] pages are read at once; a
/// reader dropped midway stops them.
pub struct LineReader {
    store: Arc<dyn Store>,
    template: LinesRequest,
    /// Postings of the statement not yet asked for.
    remaining: u64,
    /// Where the next page to ask for starts.
    after: LineCursor,
    /// Pages asked for, in order, with the postings each must hold.
    reading: std::collections::VecDeque<(PageTask, u64)>,
}

impl LineReader {
    pub fn new(store: Arc<dyn Store>, totals: &StatementTotals, bank: OwnBank, page_postings: usize) -> LineReader {
        assert!((1..=PAGE_POSTINGS_MAX).contains(&page_postings), "a page reads 1 to {PAGE_POSTINGS_MAX} postings");
        let template = LinesRequest {
            account: totals.account,
            currency: totals.currency,
            period: totals.period,
            through_posting: totals.through_posting,
            after: LineCursor::before(i64::MIN),
            until: None,
            limit: page_postings,
            bank,
        };
        LineReader {
            store,
            template,
            remaining: totals.postings,
            after: LineCursor::before(i64::MIN),
            reading: std::collections::VecDeque::new(),
        }
    }

    /// Asks for the pages after the last one asked for, up to [`PAGES_AHEAD`] in flight. The
    /// snapshot fixes how many postings the statement has, so the last page needs no end.
    async fn ask(&mut self) -> Result<(), StoreError> {
        let limit = self.template.limit as u64;
        while self.reading.len() < PAGES_AHEAD && self.remaining > 0 {
            let mut request = LinesRequest { after: self.after, ..self.template.clone() };
            let postings = self.remaining.min(limit);
            if self.remaining > limit {
                let end = self
                    .store
                    .statement_page_end(request.clone())
                    .await?
                    .ok_or_else(|| StoreError::backend("a statement's postings ended before its totals' count"))?;
                request.until = Some(end);
                self.after = end;
            }
            self.remaining -= postings;
            let store = Arc::clone(&self.store);
            self.reading.push_back((tokio::spawn(async move { store.statement_lines(request).await }), postings));
        }
        Ok(())
    }

    /// The next page of lines, in order; `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<StatementLine>>, StoreError> {
        self.ask().await?;
        let Some((task, postings)) = self.reading.pop_front() else {
            return Ok(None);
        };
        let page = task.await.map_err(|error| StoreError::backend(format!("a page's read failed: {error}")))??;
        // Every posting up to the snapshot is committed and no later one is read: the pages hold
        // exactly the totals' postings.
        if page.postings as u64 != postings {
            return Err(StoreError::backend(format!(
                "a statement page read {} postings of the {postings} its snapshot holds",
                page.postings
            )));
        }
        Ok(Some(page.lines))
    }
}

impl Drop for LineReader {
    fn drop(&mut self) {
        for (task, _) in &self.reading {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A walk starts at the period's first instant, and a later cursor is kept as it is.
    #[test]
    fn a_page_starts_within_the_period() {
        let period = period();
        let (start, end) = period_instants(period).expect("instants");
        let mut request = LinesRequest {
            account: AccountId::new(7),
            currency: Currency::Kzt,
            period,
            through_posting: 99,
            after: LineCursor::before(i64::MIN),
            until: None,
            limit: 10,
            bank: bank(),
        };
        let past = i64::MAX;
        assert_eq!(
            lines_parameters(&request).expect("parameters"),
            [7, start, i64::MIN, i64::MIN, end, 99, 10, past, past, past]
        );
        request.after = LineCursor { booked_at_us: start + 5, entry: 3, posting: 4 };
        request.until = Some(LineCursor { booked_at_us: start + 9, entry: 8, posting: 9 });
        assert_eq!(lines_parameters(&request).expect("parameters"), [7, start + 5, 3, 4, end, 99, 10, start + 9, 8, 9]);
        assert_eq!(page_end_parameters(&request).expect("parameters"), [7, start + 5, 3, 4, end, 99, 10]);
    }
}
