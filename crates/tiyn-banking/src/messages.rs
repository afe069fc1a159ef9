//! The bank's notices to partners and the marketplace's reconciliation reports (issue 6,
//! R-3.1.2.8), as use cases.
//!
//! **Notices**: an operator publishes one to a partner or to every partner
//! ([`Banking::publish_notice`], audited as the bank's action; an idempotency key makes a repeat
//! safe); changing a partner's tariff publishes a `tariff_change` notice to it in the same use
//! case ([`Banking::set_payment_rules`], only when the plan in force actually changed). A partner
//! reads its own notices and the broadcasts, newest first ([`Banking::notices`]); another
//! partner's notice is never listed.
//!
//! **Marketplace reports**: the marketplace sends a report through the gateway API
//! ([`Banking::ingest_marketplace_report`]); [`parse_report`] checks every field at once — money
//! as decimal strings of one currency, each order in at most one payout, each payout's amount the
//! sum of its orders' amounts less their commissions, payouts to the partner's own accounts — and
//! the store keeps it under the marketplace's report id: the same content again answers
//! `replayed`, other content `idempotency_conflict`. The partner lists its reports and reads one
//! with its orders, payouts, which payout covered which orders, totals and the orders not yet
//! paid out (`ViewMessages`; exporting also `ExportStatements`, R-3.1.2.6); reading one is
//! recorded in the audit trail like a statement.
//!
//! Both are one information service of R-3.1.2.8, so both need [`Permission::ViewMessages`],
//! which every level has unless the bank withholds it from the `create` level.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::Date;
use sha2::{Digest, Sha256};
use tiyn_core::access::Permission;
use tiyn_core::iban::Iban;
use tiyn_core::iin::Bin;
use tiyn_core::{Currency, Money, PartnerId};
use tiyn_identity::{BankActor, Context, IdentityError, Principal};
use tiyn_payments::tariff::TariffPlan;
use tiyn_store::AccountKind;
use tiyn_store::messages::{
    MARKETPLACE_ID_LENGTH_MAX, MarketplaceOrder, MarketplacePayout, NOTICE_KEY_LENGTH_MAX, NOTICE_TEXT_LENGTH_MAX,
    NOTICE_TITLE_LENGTH_MAX, NewMarketplaceReport, NewNotice, NoticeAudience, NoticeQuery, REPORT_ORDERS_MAX,
    REPORT_PAYOUTS_MAX,
};

pub use tiyn_store::messages::{
    MarketplaceReport, MarketplaceReportSummary, NOTICES_PAGE_MAX, Notice, NoticeCursor, NoticeKind, NoticePublished,
    REPORTS_PAGE_MAX, ReportIngested,
};

use crate::{Banking, BankingError};

/// Audit actions of notices and marketplace reports.
pub mod audit_action {
    /// An operator published a notice.
    pub const NOTICE_PUBLISH: &str = "messages.publish";
    /// The marketplace sent a reconciliation report.
    pub const MARKETPLACE_INGEST: &str = "gateway.marketplace_report";
    /// A partner read a report on screen or as JSON.
    pub const MARKETPLACE_VIEW: &str = "marketplace.view";
    /// A partner exported a report (R-3.1.2.6).
    pub const MARKETPLACE_EXPORT: &str = "marketplace.export";
}

/// Stable codes of the refusals.
pub mod codes {
    pub const INVALID_KIND: &str = "invalid_kind";
    pub const INVALID_TITLE: &str = "invalid_title";
    pub const INVALID_TEXT: &str = "invalid_text";
    pub const INVALID_KEY: &str = "invalid_idempotency_key";
    pub const UNKNOWN_PARTNER: &str = "unknown_partner";
    pub const IDEMPOTENCY_CONFLICT: &str = tiyn_store::messages::IDEMPOTENCY_CONFLICT;
    pub const INVALID_REPORT_ID: &str = "invalid_report_id";
    pub const INVALID_DATE: &str = "invalid_date";
    pub const PERIOD_REVERSED: &str = "period_reversed";
    pub const NO_ORDERS: &str = "no_orders";
    pub const TOO_MANY_ORDERS: &str = "too_many_orders";
    pub const TOO_MANY_PAYOUTS: &str = "too_many_payouts";
    pub const INVALID_ORDER_ID: &str = "invalid_order_id";
    pub const DUPLICATE_ORDER: &str = "duplicate_order";
    pub const INVALID_INSTANT: &str = "invalid_instant";
    pub const INVALID_AMOUNT: &str = "invalid_amount";
    pub const CURRENCY_MISMATCH: &str = "currency_mismatch";
    pub const COMMISSION_EXCEEDS_AMOUNT: &str = "commission_exceeds_amount";
    pub const INVALID_PAYOUT_ID: &str = "invalid_payout_id";
    pub const DUPLICATE_PAYOUT: &str = "duplicate_payout";
    pub const PAYOUT_ACCOUNT_INVALID: &str = "payout_account_invalid";
    pub const UNKNOWN_ORDER: &str = "unknown_order";
    pub const ORDER_IN_TWO_PAYOUTS: &str = "order_in_two_payouts";
    pub const PAYOUT_AMOUNT_MISMATCH: &str = "payout_amount_mismatch";
}

/// The publisher the automatic notices name when no operator's name is known.
pub const PLATFORM_PUBLISHER: &str = "Tiyn";

// ----- Notices -----

/// A notice as an operator fills it in: text, parsed here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawNotice {
    /// The partner's id; empty or `None`: every partner.
    pub partner_id: Option<String>,
    pub kind: String,
    pub title: String,
    pub text: String,
}

/// One refused field of a notice or a report: its path in the request (`payouts[1].amount`), a
/// stable code and what is wrong, naming the order or payout concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFieldError {
    pub field: String,
    pub code: &'static str,
    pub detail: String,
}

/// What the notice and report use cases refuse.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MessagesError {
    /// Every refused field at once.
    #[error("{} field(s) refused", .0.len())]
    Invalid(Vec<MessageFieldError>),
    #[error(transparent)]
    Banking(#[from] BankingError),
}

impl From<tiyn_store::StoreError> for MessagesError {
    fn from(error: tiyn_store::StoreError) -> MessagesError {
        MessagesError::Banking(error.into())
    }
}

impl From<IdentityError> for MessagesError {
    fn from(error: IdentityError) -> MessagesError {
        MessagesError::Banking(error.into())
    }
}

fn field(field: impl Into<String>, code: &'static str, detail: impl Into<String>) -> MessageFieldError {
    MessageFieldError { field: field.into(), code, detail: detail.into() }
}

/// Collapses runs of spaces in a title; keeps a text's line breaks but trims it.
fn clean_title(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn require(principal: &Principal, permission: Permission) -> Result<(), BankingError> {
    if principal.allows(permission) { Ok(()) } else { Err(IdentityError::Forbidden(permission).into()) }
}

/// A tariff plan as the partner reads it in a notice, one kind per line.
fn tariff_lines(plan: &TariffPlan) -> String {
    tiyn_store::rules::tariff_to_text(plan)
}

impl Banking {
    /// Publishes an operator's notice (see the module docs): every field's problem at once; an
    /// unknown partner id is refused like a malformed one.
    pub async fn publish_notice(
        &self,
        context: &Context,
        actor: &BankActor,
        raw: &RawNotice,
        key: Option<String>,
    ) -> Result<NoticePublished, MessagesError> {
        let mut errors = Vec::new();
        let kind = NoticeKind::parse(raw.kind.trim());
        if kind.is_none() {
            errors.push(field(
                "kind",
                codes::INVALID_KIND,
                "promotion, tariff_change, legal_address_change, terms_change, maintenance or other",
            ));
        }
        let title = clean_title(&raw.title);
        if title.is_empty() || title.chars().count() > NOTICE_TITLE_LENGTH_MAX {
            errors.push(field("title", codes::INVALID_TITLE, format!("1 to {NOTICE_TITLE_LENGTH_MAX} characters")));
        }
        let text = raw.text.trim().replace("\r\n", "\n");
        if text.is_empty() || text.chars().count() > NOTICE_TEXT_LENGTH_MAX {
            errors.push(field("text", codes::INVALID_TEXT, format!("1 to {NOTICE_TEXT_LENGTH_MAX} characters")));
        }
        let key = key.map(|key| key.trim().to_owned()).filter(|key| !key.is_empty());
        if key.as_deref().is_some_and(|key| key.len() > NOTICE_KEY_LENGTH_MAX) {
            errors.push(field("idempotency_key", codes::INVALID_KEY, "at most 128 characters"));
        }
        let partner = match raw.partner_id.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None => None,
            Some(text) => {
                let known = match text.parse::<i64>() {
                    Ok(id) => self.store.partner(PartnerId::new(id)).await?.map(|partner| partner.id),
                    Err(_) => None,
                };
                if known.is_none() {
                    errors.push(field("partner_id", codes::UNKNOWN_PARTNER, "no partner of the bank has this id"));
                }
                known
            }
        };
        let Some(kind) = kind.filter(|_| errors.is_empty()) else {
            return Err(MessagesError::Invalid(errors));
        };
        let new = NewNotice {
            partner,
            kind,
            title,
            text,
            published_at: self.now(),
            published_by: actor.name().to_owned(),
            key,
        };
        let published = self.store.publish_notice(new).await?;
        if !published.replayed {
            self.record_notice(context, actor, &published.notice).await?;
        }
        Ok(published)
    }

    async fn record_notice(&self, context: &Context, actor: &BankActor, notice: &Notice) -> Result<(), BankingError> {
        let audience = notice.partner.map_or("all partners".to_owned(), |partner| format!("partner {partner}"));
        self.identity
            .record_bank_action(
                context,
                actor,
                audit_action::NOTICE_PUBLISH,
                notice.partner,
                format!("notice:{}", notice.id),
                Some(format!("{}; to {audience}; {}", notice.kind.as_str(), notice.title)),
            )
            .await?;
        Ok(())
    }

    /// Publishes the `tariff_change` notice to a partner whose plan in force changed (called by
    /// [`Banking::set_payment_rules`]; `None` is the bank's standard plan).
    pub(crate) async fn publish_tariff_change(
        &self,
        context: &Context,
        actor: &BankActor,
        partner: PartnerId,
        before: Option<TariffPlan>,
        after: Option<TariffPlan>,
    ) -> Result<(), BankingError> {
        let standard = self.config.tariff;
        let (old, new) = (before.unwrap_or(standard), after.unwrap_or(standard));
        if old == new {
            return Ok(());
        }
        let plan = if after.is_some() {
            "индивидуальный тарифный план"
        } else {
            "стандартный тарифный план банка"
        };
        let text = format!(
            "С {} к вашим платежам применяется {plan}:\n{}\n\nРанее действовал:\n{}",
            tiyn_identity::business_date(self.now()),
            tariff_lines(&new),
            tariff_lines(&old),
        );
        let title = "Изменение тарифа".to_owned();
        let published_by = if actor.name().is_empty() { PLATFORM_PUBLISHER } else { actor.name() }.to_owned();
        let notice = NewNotice {
            partner: Some(partner),
            kind: NoticeKind::TariffChange,
            title,
            text: text.chars().take(NOTICE_TEXT_LENGTH_MAX).collect(),
            published_at: self.now(),
            published_by,
            key: None,
        };
        let published = self.store.publish_notice(notice).await?;
        self.record_notice(context, actor, &published.notice).await
    }

    /// A page of the principal's partner's notices and the broadcasts, newest first.
    pub async fn notices(
        &self,
        principal: &Principal,
        after: Option<NoticeCursor>,
        limit: usize,
    ) -> Result<Vec<Notice>, BankingError> {
        require(principal, Permission::ViewMessages)?;
        let partner = principal.partner().ok_or(BankingError::NotFound("partner"))?;
        let query = NoticeQuery { audience: NoticeAudience::Partner(partner), after, limit };
        Ok(self.store.notices(query).await?)
    }

    /// The latest notices to anyone (the bank's console; the routes admit operators only).
    pub async fn bank_notices(&self, limit: usize) -> Result<Vec<Notice>, BankingError> {
        Ok(self.store.notices(NoticeQuery { audience: NoticeAudience::Bank, after: None, limit }).await?)
    }
}

// ----- Marketplace reports -----

/// Money as the marketplace sends it: a decimal string and a currency code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawMoneyText {
    pub amount: String,
    pub currency: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawOrder {
    pub order_id: String,
    /// RFC 3339.
    pub sold_at: String,
    pub amount: RawMoneyText,
    pub commission: RawMoneyText,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawPayout {
    pub payout_id: String,
    /// `YYYY-MM-DD`.
    pub paid_on: String,
    pub amount: RawMoneyText,
    pub account_iban: String,
    pub order_ids: Vec<String>,
}

/// A report as the marketplace sends it: text, parsed here field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawMarketplaceReport {
    pub report_id: String,
    pub partner_bin: String,
    pub period_from: String,
    pub period_to: String,
    pub orders: Vec<RawOrder>,
    pub payouts: Vec<RawPayout>,
}

fn valid_id(text: &str) -> bool {
    (1..=MARKETPLACE_ID_LENGTH_MAX).contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_graphic())
}

fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    text.parse::<Date>().ok().filter(|_| text.len() == 10)
}

/// Parses one amount in the report's currency (the first order's, once known).
fn parse_money(
    raw: &RawMoneyText,
    path: &str,
    currency: &mut Option<Currency>,
    errors: &mut Vec<MessageFieldError>,
) -> Option<Money> {
    let parsed = match Currency::parse(raw.currency.trim()) {
        Ok(parsed) => parsed,
        Err(error) => {
            errors.push(field(format!("{path}.currency"), error.code(), error.to_string()));
            return None;
        }
    };
    let expected = *currency.get_or_insert(parsed);
    if parsed != expected {
        errors.push(field(
            format!("{path}.currency"),
            codes::CURRENCY_MISMATCH,
            format!("a report is in one currency: this amount is in {parsed}, the report in {expected}"),
        ));
        return None;
    }
    match Money::parse_canonical(raw.amount.trim(), parsed) {
        Ok(money) => Some(money),
        Err(error) => {
            errors.push(field(format!("{path}.amount"), codes::INVALID_AMOUNT, error.to_string()));
            None
        }
    }
}

/// Checks a report (see the module docs) and answers it ready to store: every field's problem at
/// once, each naming its order or payout.
pub async fn parse_report(
    store: &dyn tiyn_store::Store,
    raw: &RawMarketplaceReport,
    at: Timestamp,
) -> Result<NewMarketplaceReport, MessagesError> {
    let mut errors = Vec::new();
    let report_id = raw.report_id.trim();
    if !valid_id(report_id) {
        errors.push(field("report_id", codes::INVALID_REPORT_ID, "1 to 64 visible ASCII characters"));
    }
    let partner = match Bin::parse(raw.partner_bin.trim()) {
        Ok(bin) => {
            let partner = store.partners().await?.into_iter().find(|partner| partner.bin == bin);
            if partner.is_none() {
                errors.push(field("partner_bin", codes::UNKNOWN_PARTNER, "no partner of the bank has this BIN"));
            }
            partner
        }
        Err(error) => {
            errors.push(field("partner_bin", error.code(), error.to_string()));
            None
        }
    };
    let from = parse_date(&raw.period_from);
    let to = parse_date(&raw.period_to);
    if from.is_none() {
        errors.push(field("period.from", codes::INVALID_DATE, "a date as YYYY-MM-DD"));
    }
    if to.is_none() {
        errors.push(field("period.to", codes::INVALID_DATE, "a date as YYYY-MM-DD"));
    }
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        errors.push(field("period.to", codes::PERIOD_REVERSED, "the period ends before it starts"));
    }
    if raw.orders.is_empty() {
        errors.push(field("orders", codes::NO_ORDERS, "a report has at least one order"));
    }
    if raw.orders.len() > REPORT_ORDERS_MAX {
        errors.push(field("orders", codes::TOO_MANY_ORDERS, format!("at most {REPORT_ORDERS_MAX} orders per report")));
        return Err(MessagesError::Invalid(errors));
    }
    if raw.payouts.len() > REPORT_PAYOUTS_MAX {
        errors.push(field(
            "payouts",
            codes::TOO_MANY_PAYOUTS,
            format!("at most {REPORT_PAYOUTS_MAX} payouts per report"),
        ));
        return Err(MessagesError::Invalid(errors));
    }
    let mut currency = None;
    let mut orders: Vec<MarketplaceOrder> = Vec::with_capacity(raw.orders.len());
    // Order id → its net amount, once the order parsed whole.
    let mut nets: HashMap<&str, Option<Money>> = HashMap::new();
    for (index, order) in raw.orders.iter().enumerate() {
        let path = format!("orders[{index}]");
        let order_id = order.order_id.trim();
        if !valid_id(order_id) {
            errors.push(field(format!("{path}.order_id"), codes::INVALID_ORDER_ID, "1 to 64 visible ASCII characters"));
        } else if nets.contains_key(order_id) {
            errors.push(field(
                format!("{path}.order_id"),
                codes::DUPLICATE_ORDER,
                format!("order {order_id} comes twice in the report"),
            ));
        }
        let sold_at = order.sold_at.trim().parse::<Timestamp>().ok();
        if sold_at.is_none() {
            errors.push(field(format!("{path}.sold_at"), codes::INVALID_INSTANT, "an RFC 3339 instant"));
        }
        let amount = parse_money(&order.amount, &format!("{path}.amount"), &mut currency, &mut errors);
        let commission = parse_money(&order.commission, &format!("{path}.commission"), &mut currency, &mut errors);
        if amount.is_some_and(|amount| !amount.is_positive()) {
            errors.push(field(format!("{path}.amount.amount"), codes::INVALID_AMOUNT, "an order's amount is positive"));
        }
        if commission.is_some_and(Money::is_negative) {
            errors.push(field(
                format!("{path}.commission.amount"),
                codes::INVALID_AMOUNT,
                "a commission is not negative",
            ));
        }
        let net = match (amount, commission) {
            (Some(amount), Some(commission)) if amount.is_positive() && !commission.is_negative() => {
                match amount.checked_sub(commission) {
                    Ok(net) if !net.is_negative() => Some(net),
                    _ => {
                        errors.push(field(
                            format!("{path}.commission.amount"),
                            codes::COMMISSION_EXCEEDS_AMOUNT,
                            format!("order {order_id}: the commission exceeds the amount"),
                        ));
                        None
                    }
                }
            }
            _ => None,
        };
        nets.entry(order_id).or_insert(net);
        if let (Some(sold_at), Some(amount), Some(commission)) = (sold_at, amount, commission) {
            orders.push(MarketplaceOrder {
                order_id: order_id.to_owned(),
                sold_at,
                amount,
                commission,
                payout_id: None,
            });
        }
    }
    let mut payouts: Vec<MarketplacePayout> = Vec::with_capacity(raw.payouts.len());
    let mut paid_by: HashMap<&str, &str> = HashMap::new();
    let mut payout_ids: HashSet<&str> = HashSet::new();
    for (index, payout) in raw.payouts.iter().enumerate() {
        let path = format!("payouts[{index}]");
        let payout_id = payout.payout_id.trim();
        if !valid_id(payout_id) {
            errors.push(field(
                format!("{path}.payout_id"),
                codes::INVALID_PAYOUT_ID,
                "1 to 64 visible ASCII characters",
            ));
        } else if !payout_ids.insert(payout_id) {
            errors.push(field(
                format!("{path}.payout_id"),
                codes::DUPLICATE_PAYOUT,
                format!("payout {payout_id} comes twice in the report"),
            ));
        }
        let paid_on = parse_date(&payout.paid_on);
        if paid_on.is_none() {
            errors.push(field(format!("{path}.paid_on"), codes::INVALID_DATE, "a date as YYYY-MM-DD"));
        }
        let amount = parse_money(&payout.amount, &format!("{path}.amount"), &mut currency, &mut errors);
        // A payout of nothing sends no money: it could never be credited, and would stay planned.
        if amount.is_some_and(|amount| !amount.is_positive()) {
            errors.push(field(
                format!("{path}.amount.amount"),
                codes::INVALID_AMOUNT,
                "a payout is more than zero (leave out a payout of nothing)",
            ));
        }
        let iban = match Iban::parse(payout.account_iban.trim()) {
            Ok(iban) => Some(iban),
            Err(error) => {
                errors.push(field(format!("{path}.account_iban"), error.code(), error.to_string()));
                None
            }
        };
        if let (Some(iban), Some(partner)) = (&iban, &partner) {
            let account = store
                .account_by_iban(iban)
                .await?
                .filter(|account| account.partner == Some(partner.id) && account.kind == AccountKind::PartnerCurrent);
            match account {
                None => errors.push(field(
                    format!("{path}.account_iban"),
                    codes::PAYOUT_ACCOUNT_INVALID,
                    format!("payout {payout_id}: the account must be one of the partner's"),
                )),
                Some(account) if currency.is_some_and(|currency| currency != account.currency) => {
                    errors.push(field(
                        format!("{path}.account_iban"),
                        codes::CURRENCY_MISMATCH,
                        format!("payout {payout_id}: the account is in {}", account.currency),
                    ));
                }
                Some(_) => {}
            }
        }
        if payout.order_ids.is_empty() {
            errors.push(field(
                format!("{path}.order_ids"),
                codes::NO_ORDERS,
                format!("payout {payout_id} covers no order"),
            ));
        }
        let mut sum = currency.map(Money::zero);
        for (position, order_id) in payout.order_ids.iter().enumerate() {
            let order_id = order_id.trim();
            let order_path = format!("{path}.order_ids[{position}]");
            let Some(net) = nets.get(order_id) else {
                errors.push(field(
                    order_path,
                    codes::UNKNOWN_ORDER,
                    format!("payout {payout_id}: order {order_id} is not in the report"),
                ));
                sum = None;
                continue;
            };
            if let Some(first) = paid_by.insert(order_id, payout_id) {
                errors.push(field(
                    order_path,
                    codes::ORDER_IN_TWO_PAYOUTS,
                    format!("payout {payout_id}: order {order_id} is already paid out by payout {first}"),
                ));
                sum = None;
                continue;
            }
            sum = match (sum, net) {
                (Some(sum), Some(net)) => sum.checked_add(*net).ok(),
                _ => None,
            };
        }
        if let (Some(amount), Some(sum)) = (amount, sum)
            && amount != sum
        {
            errors.push(field(
                format!("{path}.amount.amount"),
                codes::PAYOUT_AMOUNT_MISMATCH,
                format!(
                    "payout {payout_id} pays {} {}, but its orders' amounts less commissions sum to {} {}",
                    amount.amount_string(),
                    amount.currency(),
                    sum.amount_string(),
                    sum.currency()
                ),
            ));
        }
        if let (Some(paid_on), Some(amount), Some(iban)) = (paid_on, amount, iban) {
            payouts.push(MarketplacePayout {
                payout_id: payout_id.to_owned(),
                paid_on,
                amount,
                account_iban: iban.as_str().to_owned(),
                credited_at: None,
            });
        }
    }
    let (Some(partner), Some(from), Some(to), Some(currency)) = (partner, from, to, currency) else {
        return Err(MessagesError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(MessagesError::Invalid(errors));
    }
    for order in &mut orders {
        order.payout_id = paid_by.get(order.order_id.as_str()).map(|payout| (*payout).to_owned());
    }
    assert_eq!(orders.len(), raw.orders.len(), "every order parsed when nothing was refused");
    let mut report = NewMarketplaceReport {
        report_id: report_id.to_owned(),
        partner: partner.id,
        period_from: from,
        period_to: to,
        currency,
        content_digest: String::new(),
        orders,
        payouts,
        received_at: at,
    };
    report.content_digest = content_digest(&report);
    Ok(report)
}

/// SHA-256 of a report's parsed content, hex: what "the same report again" means. Each field on
/// its own line in a fixed order; the instant it arrived is not content.
pub fn content_digest(report: &NewMarketplaceReport) -> String {
    let mut hasher = Sha256::new();
    let mut line = |text: String| {
        hasher.update(text.as_bytes());
        hasher.update(b"\n");
    };
    line(format!(
        "report {} partner {} {}..{} {}",
        report.report_id, report.partner, report.period_from, report.period_to, report.currency
    ));
    for order in &report.orders {
        line(format!(
            "order {} {} {} {} {}",
            order.order_id,
            order.sold_at.as_microsecond(),
            order.amount.minor(),
            order.commission.minor(),
            order.payout_id.as_deref().unwrap_or("-")
        ));
    }
    for payout in &report.payouts {
        line(format!(
            "payout {} {} {} {}",
            payout.payout_id,
            payout.paid_on,
            payout.amount.minor(),
            payout.account_iban
        ));
    }
    tiyn_payments::digest_hex(&hasher.finalize().into())
}

/// What a report is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportUse {
    /// On screen or as JSON.
    View,
    /// Exported as a file in `format`, which also needs [`Permission::ExportStatements`].
    Export { format: &'static str },
}

impl Banking {
    /// Checks and keeps a marketplace report (the gateway's call), audited as the platform's.
    pub async fn ingest_marketplace_report(&self, raw: &RawMarketplaceReport) -> Result<ReportIngested, MessagesError> {
        let report = parse_report(self.store.as_ref(), raw, self.now()).await?;
        let (partner, report_id, orders, payouts) =
            (report.partner, report.report_id.clone(), report.orders.len(), report.payouts.len());
        let ingested = self.store.ingest_marketplace_report(report).await?;
        if !ingested.replayed {
            self.identity
                .record_system(
                    audit_action::MARKETPLACE_INGEST,
                    Some(partner),
                    format!("marketplace_report:{report_id}"),
                    Some(format!("{orders} orders, {payouts} payouts")),
                )
                .await?;
        }
        Ok(ingested)
    }

    /// A page of the principal's partner's reports, newest first.
    pub async fn marketplace_reports(
        &self,
        principal: &Principal,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<MarketplaceReportSummary>, BankingError> {
        require(principal, Permission::ViewMessages)?;
        let partner = principal.partner().ok_or(BankingError::NotFound("marketplace report"))?;
        Ok(self.store.marketplace_reports(partner, before, limit).await?)
    }

    /// One of the principal's partner's reports; another partner's is `NotFound` like an unknown
    /// one. Recorded in the audit trail.
    pub async fn marketplace_report(
        &self,
        context: &Context,
        principal: &Principal,
        report_id: &str,
        use_: ReportUse,
    ) -> Result<MarketplaceReport, BankingError> {
        require(principal, Permission::ViewMessages)?;
        let (action, format) = match use_ {
            ReportUse::View => (audit_action::MARKETPLACE_VIEW, "view"),
            ReportUse::Export { format } => {
                require(principal, Permission::ExportStatements)?;
                (audit_action::MARKETPLACE_EXPORT, format)
            }
        };
        let partner = principal.partner().ok_or(BankingError::NotFound("marketplace report"))?;
        let report = self
            .store
            .marketplace_report(partner, report_id.trim())
            .await?
            .ok_or(BankingError::NotFound("marketplace report"))?;
        debug_assert_eq!(report.summary.partner, partner);
        self.identity
            .record_detailed(
                context,
                principal,
                action,
                Some(format!("marketplace_report:{}", report.summary.report_id)),
                Some(format!("{format}; {} orders", report.summary.orders)),
                None,
            )
            .await?;
        Ok(report)
    }
}
