//! The bank's notices to partners and the marketplace's reconciliation reports (issue 6,
//! R-3.1.2.8), as the stores keep them: the records, the rows every backend reads, and the checks
//! both backends run before writing — once, for both backends.
//!
//! - A notice is addressed to one partner or, with no partner, to every partner; a partner's list
//!   is its own notices and the broadcasts, newest first, in keyset pages ([`NoticeCursor`]).
//!   Publishing with an idempotency key answers the first notice for the same content
//!   (`replayed`) and `Conflict("idempotency_conflict")` for other content.
//! - A marketplace report belongs to one partner and is keyed by the marketplace's `report_id`:
//!   the same content again (compared by its content digest, computed by `tiyn-banking` from the
//!   parsed report) answers the first (`replayed`), other content is
//!   `Conflict("idempotency_conflict")`. Its orders and payouts are written in one transaction;
//!   an order names the payout that covered it, so an order is in at most one payout by the
//!   schema itself.

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::{Currency, Money, PartnerId};

use crate::StoreError;

/// Most notices one page reads.
pub const NOTICES_PAGE_MAX: usize = 100;
/// A notice's title, in characters: a line in a list.
pub const NOTICE_TITLE_LENGTH_MAX: usize = 200;
/// A notice's text, in characters: a letter, not a document (documents are attached elsewhere).
pub const NOTICE_TEXT_LENGTH_MAX: usize = 4_000;
/// Who published, in characters (an operator's full name or the platform).
pub const NOTICE_PUBLISHER_LENGTH_MAX: usize = 200;
/// The longest idempotency key of a notice.
pub const NOTICE_KEY_LENGTH_MAX: usize = 128;

/// Most reports a partner's list answers at once.
pub const REPORTS_PAGE_MAX: usize = 100;
/// Most orders one report carries: a month of a busy shop's sales on the marketplace. A report of
/// this many orders, with its payouts, is about 400 KB of JSON: well inside the server's default
/// 1 MiB request body (a larger marketplace sends a report per period that fits).
pub const REPORT_ORDERS_MAX: usize = 2_000;
/// Most payouts one report carries.
pub const REPORT_PAYOUTS_MAX: usize = 500;
/// The longest report, order and payout ids (the tables' CHECKs say the same).
pub const MARKETPLACE_ID_LENGTH_MAX: usize = 64;

/// The conflict of a key (a notice's, a report id) already used with other content.
pub const IDEMPOTENCY_CONFLICT: &str = "idempotency_conflict";

/// What a notice is about (R-3.1.2.8, and the API's "terms changes, measures, maintenance").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    Promotion,
    TariffChange,
    LegalAddressChange,
    TermsChange,
    Maintenance,
    Other,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 6] = [
        NoticeKind::Promotion,
        NoticeKind::TariffChange,
        NoticeKind::LegalAddressChange,
        NoticeKind::TermsChange,
        NoticeKind::Maintenance,
        NoticeKind::Other,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Promotion => "promotion",
            NoticeKind::TariffChange => "tariff_change",
            NoticeKind::LegalAddressChange => "legal_address_change",
            NoticeKind::TermsChange => "terms_change",
            NoticeKind::Maintenance => "maintenance",
            NoticeKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// A notice as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    /// `None`: every partner.
    pub partner: Option<PartnerId>,
    pub kind: NoticeKind,
    pub title: String,
    pub text: String,
    pub published_at: Timestamp,
    pub published_by: String,
}

/// A notice to publish, already checked (`tiyn-banking`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub partner: Option<PartnerId>,
    pub kind: NoticeKind,
    pub title: String,
    pub text: String,
    pub published_at: Timestamp,
    pub published_by: String,
    /// The publisher's idempotency key, if any.
    pub key: Option<String>,
}

impl NewNotice {
    /// Checks what the tables also check, before a backend writes.
    pub fn validate(&self) -> Result<(), StoreError> {
        let length = |text: &str, max: usize| (1..=max).contains(&text.chars().count());
        let sound = length(&self.title, NOTICE_TITLE_LENGTH_MAX)
            && length(&self.text, NOTICE_TEXT_LENGTH_MAX)
            && length(&self.published_by, NOTICE_PUBLISHER_LENGTH_MAX)
            && self.key.as_deref().is_none_or(|key| length(key, NOTICE_KEY_LENGTH_MAX));
        if sound { Ok(()) } else { Err(StoreError::Invalid("a notice's title, text, publisher or key is malformed")) }
    }

    /// Whether a stored notice holds this content (the idempotency rule; the instant is not
    /// content: a repeat comes later).
    pub fn same_content(&self, stored: &Notice) -> bool {
        stored.partner == self.partner
            && stored.kind == self.kind
            && stored.title == self.title
            && stored.text == self.text
            && stored.published_by == self.published_by
    }
}

/// What publishing gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticePublished {
    pub notice: Notice,
    /// The key was used before for the same content: nothing was written.
    pub replayed: bool,
}

/// Where a page of notices starts: after this notice, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeCursor {
    pub published_at_us: i64,
    pub id: i64,
}

impl NoticeCursor {
    pub fn of(notice: &Notice) -> NoticeCursor {
        NoticeCursor { published_at_us: notice.published_at.as_microsecond(), id: notice.id }
    }

    /// The opaque text clients send back: `<microseconds>.<id>`.
    pub fn encode(self) -> String {
        format!("{}.{}", self.published_at_us, self.id)
    }

    pub fn decode(text: &str) -> Option<NoticeCursor> {
        let (at, id) = text.split_once('.')?;
        Some(NoticeCursor { published_at_us: at.parse().ok()?, id: id.parse().ok()? })
    }

    /// The first page's cursor: after everything.
    pub const START: NoticeCursor = NoticeCursor { published_at_us: i64::MAX, id: i64::MAX };
}

/// Whose notices a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeAudience {
    /// A partner's own notices and the broadcasts.
    Partner(PartnerId),
    /// Every notice (the bank's console).
    Bank,
}

/// One page of notices, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeQuery {
    pub audience: NoticeAudience,
    pub after: Option<NoticeCursor>,
    /// At most [`NOTICES_PAGE_MAX`].
    pub limit: usize,
}

/// The columns of a notice, in [`NOTICE_COLUMNS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: i64,
    pub partner_id: Option<i64>,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub published_at: i64,
    pub published_by: String,
}

pub const NOTICE_COLUMNS: &str = "id, partner_id, kind, title, body, published_at, published_by";

impl NoticeRow {
    pub fn into_notice(self) -> Result<Notice, StoreError> {
        let kind = NoticeKind::parse(&self.kind)
            .ok_or_else(|| StoreError::backend(format!("notice {} has kind {:?}", self.id, self.kind)))?;
        Ok(Notice {
            id: self.id,
            partner: self.partner_id.map(PartnerId::new),
            kind,
            title: self.title,
            text: self.body,
            published_at: Timestamp::from_microsecond(self.published_at).map_err(StoreError::backend)?,
            published_by: self.published_by,
        })
    }
}

// ----- Marketplace reports -----

/// An order of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplaceOrder {
    pub order_id: String,
    pub sold_at: Timestamp,
    pub amount: Money,
    /// The marketplace's commission, withheld from the payout.
    pub commission: Money,
    /// The payout that covered it; `None`: not paid out yet.
    pub payout_id: Option<String>,
}

impl MarketplaceOrder {
    /// What the partner gets for it: amount − commission.
    pub fn net(&self) -> Result<Money, StoreError> {
        self.amount.checked_sub(self.commission).map_err(StoreError::backend)
    }
}

/// A payout of a report: money the marketplace sent to one of the partner's accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplacePayout {
    pub payout_id: String,
    pub paid_on: Date,
    pub amount: Money,
    pub account_iban: String,
    /// When its credit arrived and was matched (R-3.1.2.5); `None`: expected. Not content of the
    /// report: a report to keep has none.
    pub credited_at: Option<Timestamp>,
}

/// A report to keep, already checked (`tiyn-banking`): one currency, each order in at most one
/// payout, each payout's amount its orders' net.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMarketplaceReport {
    pub report_id: String,
    pub partner: PartnerId,
    pub period_from: Date,
    pub period_to: Date,
    pub currency: Currency,
    /// SHA-256 of the parsed content, hex: the idempotency rule compares it.
    pub content_digest: String,
    pub orders: Vec<MarketplaceOrder>,
    pub payouts: Vec<MarketplacePayout>,
    pub received_at: Timestamp,
}

impl NewMarketplaceReport {
    /// Checks what the tables also check, and the report's own consistency, before a backend
    /// writes: these are the use case's checks again (a programmer error if they fail here).
    pub fn validate(&self) -> Result<(), StoreError> {
        let id = |text: &str| (1..=MARKETPLACE_ID_LENGTH_MAX).contains(&text.len());
        let orders_sound = self.orders.iter().all(|order| {
            id(&order.order_id)
                && order.amount.is_positive()
                && !order.commission.is_negative()
                && order.amount.currency() == self.currency
                && order.commission.currency() == self.currency
                && order.payout_id.as_deref().is_none_or(|payout| self.payouts.iter().any(|p| p.payout_id == payout))
        });
        let payouts_sound = self.payouts.iter().all(|payout| {
            id(&payout.payout_id) && payout.amount.currency() == self.currency && !payout.amount.is_negative()
        });
        let sound = id(&self.report_id)
            && self.period_from <= self.period_to
            && !self.orders.is_empty()
            && self.orders.len() <= REPORT_ORDERS_MAX
            && self.payouts.len() <= REPORT_PAYOUTS_MAX
            && orders_sound
            && payouts_sound;
        if sound { Ok(()) } else { Err(StoreError::Invalid("a marketplace report is inconsistent")) }
    }
}

/// What ingesting a report gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportIngested {
    pub id: i64,
    /// The report id was ingested before with the same content: nothing was written.
    pub replayed: bool,
}

/// A report in the partner's list: its header and totals summed in SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplaceReportSummary {
    pub id: i64,
    pub report_id: String,
    pub partner: PartnerId,
    pub period_from: Date,
    pub period_to: Date,
    pub currency: Currency,
    pub received_at: Timestamp,
    pub orders: u64,
    pub sales: Money,
    pub commission: Money,
    pub paid_out: Money,
    pub payouts: u64,
    /// Orders no payout covers yet.
    pub unpaid_orders: u64,
}

/// A whole report: its summary, orders (by sale) and payouts (by date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplaceReport {
    pub summary: MarketplaceReportSummary,
    pub orders: Vec<MarketplaceOrder>,
    pub payouts: Vec<MarketplacePayout>,
}

/// The columns of a report's summary, in [`SUMMARY_COLUMNS`] order (`r` the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    pub id: i64,
    pub report_id: String,
    pub partner_id: i64,
    pub period_from: String,
    pub period_to: String,
    pub currency: String,
    pub received_at: i64,
    pub orders: i64,
    pub sales: i64,
    pub commission: i64,
    pub paid_out: i64,
    pub payouts: i64,
    pub unpaid_orders: i64,
}

/// The summary's columns: sums in subqueries, so a report without payouts still sums to zero
/// (cast: PostgreSQL sums BIGINTs as NUMERIC).
pub const SUMMARY_COLUMNS: &str = "r.id, r.report_id, r.partner_id, r.period_from, r.period_to, r.currency, \
     r.received_at, \
     (SELECT COUNT(*) FROM marketplace_orders o WHERE o.report = r.id), \
     CAST((SELECT COALESCE(SUM(o.amount), 0) FROM marketplace_orders o WHERE o.report = r.id) AS BIGINT), \
     CAST((SELECT COALESCE(SUM(o.commission), 0) FROM marketplace_orders o WHERE o.report = r.id) AS BIGINT), \
     CAST((SELECT COALESCE(SUM(p.amount), 0) FROM marketplace_payouts p WHERE p.report = r.id) AS BIGINT), \
     (SELECT COUNT(*) FROM marketplace_payouts p WHERE p.report = r.id), \
     (SELECT COUNT(*) FROM marketplace_orders o WHERE o.report = r.id AND o.payout IS NULL)";

impl SummaryRow {
    pub fn into_summary(self) -> Result<MarketplaceReportSummary, StoreError> {
        let broken = |what: &str| StoreError::backend(format!("marketplace report {}: {what}", self.id));
        let currency = Currency::parse(&self.currency).map_err(|_| broken("currency"))?;
        let count = |value: i64| u64::try_from(value).map_err(|_| broken("a negative count"));
        Ok(MarketplaceReportSummary {
            id: self.id,
            report_id: self.report_id.clone(),
            partner: PartnerId::new(self.partner_id),
            period_from: self.period_from.parse().map_err(|_| broken("period_from"))?,
            period_to: self.period_to.parse().map_err(|_| broken("period_to"))?,
            currency,
            received_at: Timestamp::from_microsecond(self.received_at).map_err(|_| broken("received_at"))?,
            orders: count(self.orders)?,
            sales: Money::from_minor(self.sales, currency),
            commission: Money::from_minor(self.commission, currency),
            paid_out: Money::from_minor(self.paid_out, currency),
            payouts: count(self.payouts)?,
            unpaid_orders: count(self.unpaid_orders)?,
        })
    }
}

/// An order's columns: `o` the order, `p` its payout (left joined).
pub const ORDER_COLUMNS: &str = "o.order_id, o.sold_at, o.amount, o.commission, p.payout_id";

/// An order as read, before its currency (the report's) is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub order_id: String,
    pub sold_at: i64,
    pub amount: i64,
    pub commission: i64,
    pub payout_id: Option<String>,
}

impl OrderRow {
    pub fn into_order(self, currency: Currency) -> Result<MarketplaceOrder, StoreError> {
        Ok(MarketplaceOrder {
            sold_at: Timestamp::from_microsecond(self.sold_at).map_err(StoreError::backend)?,
            order_id: self.order_id,
            amount: Money::from_minor(self.amount, currency),
            commission: Money::from_minor(self.commission, currency),
            payout_id: self.payout_id,
        })
    }
}

pub const PAYOUT_COLUMNS: &str = "p.payout_id, p.paid_on, p.amount, p.account_iban, p.credited_at";

/// A payout as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRow {
    pub payout_id: String,
    pub paid_on: String,
    pub amount: i64,
    pub account_iban: String,
    pub credited_at: Option<i64>,
}

impl PayoutRow {
    pub fn into_payout(self, currency: Currency) -> Result<MarketplacePayout, StoreError> {
        Ok(MarketplacePayout {
            paid_on: self.paid_on.parse().map_err(StoreError::backend)?,
            payout_id: self.payout_id,
            amount: Money::from_minor(self.amount, currency),
            account_iban: self.account_iban,
            credited_at: self.credited_at.map(Timestamp::from_microsecond).transpose().map_err(StoreError::backend)?,
        })
    }
}

// ----- Marketplace payouts in planned credits (issue 6, R-3.1.2.5) -----

/// Most payouts one partner's plan lists: far more than its reports carry between two credits
/// (a report has at most [`REPORT_PAYOUTS_MAX`]); a bound on what one page of the plan reads.
pub const PLANNED_PAYOUTS_MAX: usize = 10_000;
/// The longest message id a payout's credit is booked under (an ISO 20022 `MsgId`).
pub const PAYOUT_MESSAGE_ID_LENGTH_MAX: usize = 35;
/// The payout was already credited by another incoming credit.
pub const PAYOUT_CREDITED_OTHERWISE: &str = "payout_already_credited";

/// How a payout's credit was matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutCredit {
    /// The incoming credit's message id (its `incoming_credits` row).
    pub message_id: String,
    pub at: Timestamp,
}

/// A payout of one of the partner's reports, with its store ids, the orders it covers and its
/// credit: planned while `credited` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPayout {
    /// The report's store id.
    pub report: i64,
    /// The payout's store id.
    pub payout: i64,
    pub partner: PartnerId,
    pub report_id: String,
    pub payout_id: String,
    pub paid_on: Date,
    /// In the report's currency.
    pub amount: Money,
    pub account_iban: String,
    /// Orders it covers.
    pub orders: u64,
    pub credited: Option<PayoutCredit>,
}

/// Marks a payout credited by the incoming credit booked under `message_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditMarketplacePayout {
    /// The payout's store id.
    pub payout: i64,
    pub message_id: String,
    pub at: Timestamp,
}

impl CreditMarketplacePayout {
    /// Checks what the table also checks, before a backend writes.
    pub fn validate(&self) -> Result<(), StoreError> {
        if (1..=PAYOUT_MESSAGE_ID_LENGTH_MAX).contains(&self.message_id.len()) {
            Ok(())
        } else {
            Err(StoreError::Invalid("a payout's credit needs a message id of 1 to 35 characters"))
        }
    }
}

/// A payout's columns for the plan and for crediting: `r` the report, `p` the payout.
pub const PLANNED_PAYOUT_COLUMNS: &str = "r.id, p.id, r.partner_id, r.report_id, p.payout_id, p.paid_on, p.amount, \
     r.currency, p.account_iban, (SELECT COUNT(*) FROM marketplace_orders o WHERE o.payout = p.id), \
     p.credited_message_id, p.credited_at";

/// A payout as read for the plan, in [`PLANNED_PAYOUT_COLUMNS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPayoutRow {
    pub report: i64,
    pub payout: i64,
    pub partner_id: i64,
    pub report_id: String,
    pub payout_id: String,
    pub paid_on: String,
    pub amount: i64,
    pub currency: String,
    pub account_iban: String,
    pub orders: i64,
    pub credited_message_id: Option<String>,
    pub credited_at: Option<i64>,
}

impl PlannedPayoutRow {
    pub fn into_planned(self) -> Result<PlannedPayout, StoreError> {
        let broken = |what: &str| StoreError::backend(format!("marketplace payout {}: {what}", self.payout));
        let currency = Currency::parse(&self.currency).map_err(|_| broken("currency"))?;
        let credited = match (self.credited_message_id.clone(), self.credited_at) {
            (None, None) => None,
            (Some(message_id), Some(at)) => Some(PayoutCredit {
                message_id,
                at: Timestamp::from_microsecond(at).map_err(|_| broken("credited_at"))?,
            }),
            _ => return Err(broken("credited half-way")),
        };
        Ok(PlannedPayout {
            report: self.report,
            payout: self.payout,
            partner: PartnerId::new(self.partner_id),
            paid_on: self.paid_on.parse().map_err(|_| broken("paid_on"))?,
            amount: Money::from_minor(self.amount, currency),
            orders: u64::try_from(self.orders).map_err(|_| broken("a negative count"))?,
            report_id: self.report_id,
            payout_id: self.payout_id,
            account_iban: self.account_iban,
            credited,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_cursors_read_back() {
        let cursor = NoticeCursor { published_at_us: 1_767_225_600_000_000, id: 7 };
        assert_eq!(NoticeCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(NoticeCursor::decode("7"), None);
    }

    #[test]
    fn notice_kinds_read_back() {
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NoticeKind::parse("spam"), None);
    }
}
