//! The bank's rules for a partner's payments, as the store keeps them (issue 4): the tariff plan
//! (R-4.15), the limits (R-6.1.7, R-4.13), the document kinds switched off (scope of services,
//! R-3.2), restrictions on accounts (arrests, suspensions of debits, collection orders, closing:
//! R-6.1.2, R-10.2.4) and the list of persons linked to terrorism or extremism financing (R-6.1.5).
//!
//! Tariff plans and limit sets are kept as text, one line per tariff or limit, in the formats
//! below; both backends store the same text, and these functions are the only code that reads or
//! writes it.
//!
//! ```text
//! internal free separate
//! interbank fixed 150.00 KZT separate
//! budget percent 0.1 min 50.00 KZT max 5000.00 KZT from_amount
//! ```
//!
//! ```text
//! partner 7 * operation_amount 1000000.00 KZT
//! user 12 interbank daily_amount 500000.00 KZT
//! partner 7 * daily_count 100 *
//! partner 7 * confirmation_count 50
//! ```

use jiff::Timestamp;
use tiyn_core::iban::Iban;
use tiyn_core::{AccountId, Currency, Kbe, Kbk, Knp, Money, PartnerId, TaxpayerId, UserId};
use tiyn_ledger::{Action, Command, EntryKind, IdempotencyKey, JournalEntry, MEMO_LENGTH_MAX};
use tiyn_payments::limits::{Limit, LimitRule, LimitScope, LimitSet};
use tiyn_payments::tariff::{Commission, KindTariff, Rate, TariffPlan, Withholding};
use tiyn_payments::{DocumentKind, PayeeName};

use crate::StoreError;

/// A partner's payment rules as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentRules {
    /// `None`: the bank's standard plan applies.
    pub tariff: Option<TariffPlan>,
    pub limits: LimitSet,
    /// Kinds the bank has switched off for the partner (R-3.2).
    pub disabled_kinds: Vec<DocumentKind>,
}

fn corrupt(what: &str, line: &str) -> StoreError {
    StoreError::Backend(format!("stored {what} does not read back: {line:?}"))
}

fn money_text(money: Money) -> String {
    format!("{} {}", money.amount_string(), money.currency().code())
}

fn money(amount: &str, currency: &str) -> Option<Money> {
    let currency = Currency::parse(currency).ok()?;
    Money::parse_canonical(amount, currency).ok()
}

/// The line of a plan's fee for foreign transfers under `OUR`: `foreign_our fixed 25.00 USD`.
const OUR_FEE_LINE: &str = "foreign_our";

/// The text of a tariff plan (see the module documentation).
pub fn tariff_to_text(plan: &TariffPlan) -> String {
    let mut lines = Vec::new();
    for (kind, tariff) in plan.tariffs() {
        let commission = match tariff.commission() {
            Commission::Free => "free".to_owned(),
            Commission::Fixed(fee) => format!("fixed {}", money_text(fee.money())),
            Commission::Percent(percent) => {
                let mut text = format!("percent {}", percent.rate().percent_string());
                if let Some(min) = percent.min() {
                    text.push_str(&format!(" min {}", money_text(min.money())));
                }
                if let Some(max) = percent.max() {
                    text.push_str(&format!(" max {}", money_text(max.money())));
                }
                text
            }
        };
        lines.push(format!("{} {commission} {}", kind.as_str(), tariff.withholding().as_str()));
    }
    if let Some(fee) = plan.our_fee() {
        lines.push(format!("{OUR_FEE_LINE} fixed {}", money_text(fee.money())));
    }
    lines.join("\n")
}

/// Reads [`tariff_to_text`]'s text back.
pub fn tariff_from_text(text: &str) -> Result<TariffPlan, StoreError> {
    let mut tariffs = Vec::new();
    let mut our_fee = None;
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let bad = || corrupt("tariff", line);
        if let [OUR_FEE_LINE, "fixed", amount, currency] = words.as_slice() {
            our_fee = Some(money(amount, currency).ok_or_else(bad)?);
            continue;
        }
        let kind = DocumentKind::parse(words.first().ok_or_else(bad)?).map_err(|_| bad())?;
        let withholding = Withholding::parse(words.last().ok_or_else(bad)?).map_err(|_| bad())?;
        let middle = &words[1..words.len().saturating_sub(1)];
        let commission = match middle {
            ["free"] => Commission::Free,
            ["fixed", amount, currency] => {
                Commission::fixed(money(amount, currency).ok_or_else(bad)?).map_err(|_| bad())?
            }
            ["percent", rate, rest @ ..] => {
                let rate = Rate::parse_percent(rate).map_err(|_| bad())?;
                let (mut min, mut max) = (None, None);
                for bound in rest.chunks(3) {
                    match bound {
                        ["min", amount, currency] => min = Some(money(amount, currency).ok_or_else(bad)?),
                        ["max", amount, currency] => max = Some(money(amount, currency).ok_or_else(bad)?),
                        _ => return Err(bad()),
                    }
                }
                Commission::percent(rate, min, max).map_err(|_| bad())?
            }
            _ => return Err(bad()),
        };
        tariffs.push((kind, KindTariff::new(commission, withholding).map_err(|_| bad())?));
    }
    TariffPlan::new(tariffs)
        .and_then(|plan| plan.with_our_fee(our_fee))
        .map_err(|error| StoreError::Backend(format!("stored tariff plan: {error}")))
}

/// The text of a limit set (see the module documentation).
pub fn limits_to_text(limits: &LimitSet) -> String {
    limits
        .limits()
        .iter()
        .map(|limit| {
            let scope = match limit.scope() {
                LimitScope::Partner(partner) => format!("partner {partner}"),
                LimitScope::User(user) => format!("user {user}"),
            };
            let kind = limit.kind().map_or("*", DocumentKind::as_str);
            let rule = match limit.rule() {
                LimitRule::OperationAmount(max) => format!("operation_amount {}", money_text(max)),
                LimitRule::DailyAmount(max) => format!("daily_amount {}", money_text(max)),
                LimitRule::ConfirmationCount(max) => format!("confirmation_count {max}"),
                LimitRule::DailyCount { max, currency } => {
                    format!("daily_count {max} {}", currency.map_or("*", |currency| currency.code()))
                }
            };
            format!("{scope} {kind} {rule}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads [`limits_to_text`]'s text back.
pub fn limits_from_text(text: &str) -> Result<LimitSet, StoreError> {
    let mut limits = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let bad = || corrupt("limit", line);
        let words: Vec<&str> = line.split_whitespace().collect();
        let [scope, id, kind, rule @ ..] = words.as_slice() else { return Err(bad()) };
        let id: i64 = id.parse().map_err(|_| bad())?;
        let scope = match *scope {
            "partner" => LimitScope::Partner(PartnerId::new(id)),
            "user" => LimitScope::User(UserId::new(id)),
            _ => return Err(bad()),
        };
        let kind = match *kind {
            "*" => None,
            kind => Some(DocumentKind::parse(kind).map_err(|_| bad())?),
        };
        let rule = match rule {
            ["operation_amount", amount, currency] => {
                LimitRule::OperationAmount(money(amount, currency).ok_or_else(bad)?)
            }
            ["daily_amount", amount, currency] => LimitRule::DailyAmount(money(amount, currency).ok_or_else(bad)?),
            ["confirmation_count", max] => LimitRule::ConfirmationCount(max.parse().map_err(|_| bad())?),
            ["daily_count", max, currency] => LimitRule::DailyCount {
                max: max.parse().map_err(|_| bad())?,
                currency: match *currency {
                    "*" => None,
                    code => Some(Currency::parse(code).map_err(|_| bad())?),
                },
            },
            _ => return Err(bad()),
        };
        limits.push(Limit::new(scope, kind, rule).map_err(|_| bad())?);
    }
    LimitSet::new(limits).map_err(|error| StoreError::Backend(format!("stored limits: {}", error.code())))
}

/// The text of a set of kinds: their names, comma-separated.
pub fn kinds_to_text(kinds: &[DocumentKind]) -> String {
    kinds.iter().map(|kind| kind.as_str()).collect::<Vec<_>>().join(",")
}

pub fn kinds_from_text(text: &str) -> Result<Vec<DocumentKind>, StoreError> {
    text.split(',')
        .filter(|kind| !kind.is_empty())
        .map(|kind| DocumentKind::parse(kind).map_err(|_| corrupt("document kind", kind)))
        .collect()
}

/// What a restriction does to an account (R-6.1.2, R-10.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestrictionKind {
    /// An arrest of an amount: debits may not take the balance below it.
    ArrestAmount(Money),
    /// An arrest of the whole account: no debit at all.
    ArrestAll,
    /// A suspension of debit operations, except the kinds listed (budget payments, typically).
    DebitSuspension { allowed: Vec<DocumentKind> },
    /// A collection order (инкассовое распоряжение): while it is outstanding the partner's own
    /// debits are refused, and the bank collects it from the account as money arrives.
    CollectionOrder(CollectionOrder),
    /// The account is being closed: everything is refused.
    Closing,
}

impl RestrictionKind {
    pub fn code(&self) -> &'static str {
        match self {
            RestrictionKind::ArrestAmount(_) => "arrest_amount",
            RestrictionKind::ArrestAll => "arrest_all",
            RestrictionKind::DebitSuspension { .. } => "debit_suspension",
            RestrictionKind::CollectionOrder(_) => "collection_order",
            RestrictionKind::Closing => "closing",
        }
    }
}

/// The legal priority of a collection order (очерёдность списания, Civil Code of Kazakhstan,
/// art. 740), as the order states it: 1 is collected first; orders of one priority are collected in
/// the order they arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CollectionPriority(u8);

impl CollectionPriority {
    pub const FIRST: u8 = 1;
    pub const LAST: u8 = 9;

    pub fn new(value: u8) -> Option<CollectionPriority> {
        (CollectionPriority::FIRST..=CollectionPriority::LAST).contains(&value).then_some(CollectionPriority(value))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// Whom a collection order pays: the creditor's name, IIN/BIN and account, and the codes the
/// money is sent to another bank with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creditor {
    pub name: PayeeName,
    pub taxpayer_id: TaxpayerId,
    pub iban: Iban,
    /// `None` only for an order registered before the platform sent collections to other banks
    /// (migration 0015): its money stays on the clearing account for the bank's staff to forward.
    pub codes: Option<CreditorCodes>,
}

/// The codes of the payment order a collection becomes: the creditor's KBe, the KNP, and the
/// KBK when the creditor is the state budget (a KBK goes with a KNP of section 9 and only with
/// one, as on any budget payment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditorCodes {
    kbe: Kbe,
    knp: Knp,
    kbk: Option<Kbk>,
}

/// The KNP section of budget payments (FACTS.md §4).
const KNP_SECTION_BUDGET: u8 = 9;

impl CreditorCodes {
    /// `None` when a KBK is missing for a budget KNP or given for another.
    pub fn new(kbe: Kbe, knp: Knp, kbk: Option<Kbk>) -> Option<CreditorCodes> {
        (kbk.is_some() == (knp.section() == KNP_SECTION_BUDGET)).then_some(CreditorCodes { kbe, knp, kbk })
    }

    pub fn kbe(&self) -> Kbe {
        self.kbe
    }

    pub fn knp(&self) -> Knp {
        self.knp
    }

    pub fn kbk(&self) -> Option<Kbk> {
        self.kbk
    }
}

/// A collection order: an amount owed to a creditor, and how much of it the bank has collected.
/// Always `0 ≤ collected ≤ amount`, in the amount's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionOrder {
    amount: Money,
    collected: Money,
    priority: CollectionPriority,
    creditor: Creditor,
}

impl CollectionOrder {
    /// A new order, nothing collected; `None` unless the amount is positive.
    pub fn new(amount: Money, priority: CollectionPriority, creditor: Creditor) -> Option<CollectionOrder> {
        amount.is_positive().then(|| CollectionOrder {
            amount,
            collected: Money::zero(amount.currency()),
            priority,
            creditor,
        })
    }

    /// An order as stored, `collected` of its `amount` taken.
    pub fn stored(
        amount: Money,
        collected_minor: i64,
        priority: CollectionPriority,
        creditor: Creditor,
    ) -> Option<CollectionOrder> {
        let collected = Money::from_minor(collected_minor, amount.currency());
        (amount.is_positive() && (0..=amount.minor()).contains(&collected_minor)).then_some(CollectionOrder {
            amount,
            collected,
            priority,
            creditor,
        })
    }

    pub fn amount(&self) -> Money {
        self.amount
    }

    pub fn collected(&self) -> Money {
        self.collected
    }

    /// What is still owed.
    pub fn outstanding(&self) -> Money {
        Money::from_minor(self.amount.minor() - self.collected.minor(), self.amount.currency())
    }

    pub fn priority(&self) -> CollectionPriority {
        self.priority
    }

    pub fn creditor(&self) -> &Creditor {
        &self.creditor
    }
}

/// One collection to make now: from the order `restriction`, `amount`, after `collected_before`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCollection {
    pub restriction: i64,
    pub amount: Money,
    pub collected_before: Money,
}

/// What the bank collects now from an account whose available balance (balance − holds) is
/// `available` minor units (R-6.1.2): its active collection orders by priority, then by arrival,
/// each up to what it still owes, while the money lasts. The partner's own restrictions (arrests,
/// suspensions) limit the partner's instructions, not the bank's collection.
pub fn collection_plan(restrictions: &[Restriction], available: i64) -> Vec<PlannedCollection> {
    let mut orders: Vec<(&Restriction, &CollectionOrder)> = restrictions
        .iter()
        .filter(|restriction| restriction.lifted_at.is_none())
        .filter_map(|restriction| match &restriction.kind {
            RestrictionKind::CollectionOrder(order) => Some((restriction, order)),
            _ => None,
        })
        .collect();
    orders.sort_by_key(|(restriction, order)| (order.priority(), restriction.created_at, restriction.id));
    let mut left = available.max(0);
    let mut plan = Vec::new();
    for (restriction, order) in orders {
        if left == 0 {
            break;
        }
        let take = order.outstanding().minor().min(left);
        if take > 0 {
            left -= take;
            plan.push(PlannedCollection {
                restriction: restriction.id,
                amount: Money::from_minor(take, order.amount().currency()),
                collected_before: order.collected(),
            });
        }
    }
    plan
}

/// The ledger command of one collection: account → `to` (the creditor's own account when it is
/// at this bank, else the clearing account the money leaves for the creditor's bank from), keyed
/// by the order and what it had collected before, so a repeat of the same collection is the same
/// command.
pub fn collection_command(
    planned: &PlannedCollection,
    account: AccountId,
    to: AccountId,
    reference: &str,
    at: Timestamp,
) -> Result<Command, StoreError> {
    let ledger = |error: tiyn_ledger::LedgerError| StoreError::backend(error.to_string());
    let amount = tiyn_core::Amount::new(planned.amount).map_err(|error| StoreError::backend(error.to_string()))?;
    let entry = JournalEntry::transfer(account, to, amount).map_err(ledger)?;
    let key =
        IdempotencyKey::parse(&format!("collection-{}-{}", planned.restriction, planned.collected_before.minor()))
            .map_err(ledger)?;
    let memo: String = format!("Инкассовое распоряжение: {reference}").chars().take(MEMO_LENGTH_MAX).collect();
    Command::new(key, at, Action::Post { entry, kind: EntryKind::Collection, memo }).map_err(ledger)
}

/// What one collection did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    pub restriction: i64,
    pub amount: Money,
    pub entry: tiyn_core::EntryId,
    /// The order is paid off and lifted.
    pub paid_off: bool,
    /// Where the money went: the creditor's account at this bank, or the clearing account.
    pub to: AccountId,
    /// The outgoing message to the creditor's bank, when one was queued.
    pub message_id: Option<String>,
}

/// Collect from `account` now. Each collection goes to the creditor's account when its IBAN is an
/// account of this bank in the order's currency; otherwise to the bank's `clearing` account in
/// its currency, and, for a tenge order with [`CreditorCodes`], with an outgoing message to the
/// creditor's bank in the same transaction ([`collection_message_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectFrom {
    pub account: AccountId,
    pub clearing: AccountId,
    pub at: Timestamp,
}

/// Whether a collection of this order to the clearing account leaves with an outgoing message:
/// interbank systems settle tenge only, and an order without codes is forwarded by hand.
pub fn collection_is_sent(order: &CollectionOrder) -> bool {
    order.amount().currency() == Currency::Kzt && order.creditor().codes.is_some()
}

/// The interbank message id of a collection (ISO 20022 `MsgId`, at most 35 characters); payment
/// documents' ids start with `TIYN`, so the two never meet.
pub fn collection_message_id(collection: i64) -> String {
    format!("TIYNCOL{collection:012}")
}

/// A collection as the store keeps it, with what became of its outgoing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRecord {
    pub id: i64,
    pub restriction: i64,
    pub account: AccountId,
    pub amount: Money,
    pub entry: tiyn_core::EntryId,
    pub collected_at: Timestamp,
    /// The outgoing message; `None` when the money went to the creditor's account at this bank
    /// or stays on clearing (see [`collection_is_sent`]).
    pub message_id: Option<String>,
    /// The interbank system's answer, once there is one.
    pub outcome: Option<CollectionOutcome>,
}

/// The columns both backends select for a collection, in this order (`collections` joined with
/// its restriction, its outbox message and its outcome).
pub const COLLECTION_SELECT: &str = "SELECT collections.id, collections.restriction_id, restrictions.account_id, \
     collections.amount, restrictions.currency, collections.entry_id, collections.collected_at, \
     gateway_outbox.message_id, collection_outcomes.outcome, collection_outcomes.reason, \
     collection_outcomes.return_entry_id, collection_outcomes.decided_at \
     FROM collections JOIN restrictions ON restrictions.id = collections.restriction_id \
     LEFT JOIN gateway_outbox ON gateway_outbox.collection_id = collections.id \
     LEFT JOIN collection_outcomes ON collection_outcomes.collection_id = collections.id";

/// A collection's row as [`COLLECTION_SELECT`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRow {
    pub id: i64,
    pub restriction: i64,
    pub account: i64,
    pub amount: i64,
    pub currency: String,
    pub entry: i64,
    pub collected_at: i64,
    pub message_id: Option<String>,
    pub outcome: Option<String>,
    pub reason: Option<String>,
    pub return_entry: Option<i64>,
    pub decided_at: Option<i64>,
}

impl CollectionRow {
    pub fn into_record(self) -> Result<CollectionRecord, StoreError> {
        let bad = || corrupt("collection", &self.id.to_string());
        let instant = |micros: i64| Timestamp::from_microsecond(micros).map_err(|_| bad());
        let outcome = match (self.outcome.as_deref(), self.decided_at) {
            (None, None) => None,
            (Some("settled"), Some(at)) => Some(CollectionOutcome::Settled { at: instant(at)? }),
            (Some("returned"), Some(at)) => Some(CollectionOutcome::Returned {
                at: instant(at)?,
                reason: self.reason.clone().ok_or_else(bad)?,
                entry: tiyn_core::EntryId::new(self.return_entry.ok_or_else(bad)?),
            }),
            _ => return Err(bad()),
        };
        Ok(CollectionRecord {
            id: self.id,
            restriction: self.restriction,
            account: AccountId::new(self.account),
            amount: Money::from_minor(self.amount, Currency::parse(&self.currency).map_err(|_| bad())?),
            entry: tiyn_core::EntryId::new(self.entry),
            collected_at: instant(self.collected_at)?,
            message_id: self.message_id.clone(),
            outcome,
        })
    }
}

/// What the creditor's bank answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectionOutcome {
    Settled {
        at: Timestamp,
    },
    /// Rejected: the money went back to the account (`entry`) and the order was returned to its
    /// issuer (lifted): collecting it again would only be rejected again.
    Returned {
        at: Timestamp,
        reason: String,
        entry: tiyn_core::EntryId,
    },
}

/// The answer for a sent collection, to apply in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSettlement {
    pub message_id: String,
    pub at: Timestamp,
    pub result: CollectionResult,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectionResult {
    Settled,
    /// `command` posts the money back: clearing → account.
    Returned {
        command: Command,
        reason: String,
    },
}

/// A restriction registered by the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRestriction {
    pub account: AccountId,
    pub kind: RestrictionKind,
    /// Who imposed it and the document: "СГД по г. Алматы, распоряжение № 123 от 01.02.2026".
    pub reference: String,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restriction {
    pub id: i64,
    pub account: AccountId,
    pub kind: RestrictionKind,
    pub reference: String,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub lifted_at: Option<Timestamp>,
}

/// A restriction kind as the store's columns keep it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestrictionColumns {
    pub kind: &'static str,
    /// Minor units: the arrested amount, or the collection order's amount.
    pub amount: Option<i64>,
    pub currency: Option<&'static str>,
    pub allowed_kinds: Option<String>,
    pub priority: Option<i64>,
    pub creditor_name: Option<String>,
    pub creditor_taxpayer_id: Option<String>,
    pub creditor_iban: Option<String>,
    /// Minor units collected so far (collection orders).
    pub collected: Option<i64>,
    pub creditor_kbe: Option<String>,
    pub knp: Option<String>,
    pub kbk: Option<String>,
}

/// The columns of a restriction kind.
pub fn restriction_columns(kind: &RestrictionKind) -> RestrictionColumns {
    let code = kind.code();
    match kind {
        RestrictionKind::ArrestAmount(amount) => RestrictionColumns {
            kind: code,
            amount: Some(amount.minor()),
            currency: Some(amount.currency().code()),
            ..RestrictionColumns::default()
        },
        RestrictionKind::DebitSuspension { allowed } => RestrictionColumns {
            kind: code,
            allowed_kinds: Some(kinds_to_text(allowed)),
            ..RestrictionColumns::default()
        },
        RestrictionKind::CollectionOrder(order) => RestrictionColumns {
            kind: code,
            amount: Some(order.amount().minor()),
            currency: Some(order.amount().currency().code()),
            priority: Some(i64::from(order.priority().get())),
            creditor_name: Some(order.creditor().name.to_string()),
            creditor_taxpayer_id: Some(order.creditor().taxpayer_id.to_string()),
            creditor_iban: Some(order.creditor().iban.to_string()),
            collected: Some(order.collected().minor()),
            creditor_kbe: order.creditor().codes.map(|codes| codes.kbe().to_string()),
            knp: order.creditor().codes.map(|codes| codes.knp().to_string()),
            kbk: order.creditor().codes.and_then(|codes| codes.kbk()).map(|kbk| kbk.to_string()),
            ..RestrictionColumns::default()
        },
        RestrictionKind::ArrestAll | RestrictionKind::Closing => {
            RestrictionColumns { kind: code, ..RestrictionColumns::default() }
        }
    }
}

/// Reads [`restriction_columns`] back (`kind` is the stored code).
pub fn restriction_kind(kind: &str, columns: RestrictionColumnsRead<'_>) -> Result<RestrictionKind, StoreError> {
    let bad = || corrupt("restriction", kind);
    let amount = || -> Result<Money, StoreError> {
        let currency = Currency::parse(columns.currency.ok_or_else(bad)?).map_err(|_| bad())?;
        Ok(Money::from_minor(columns.amount.ok_or_else(bad)?, currency))
    };
    Ok(match kind {
        "arrest_amount" => RestrictionKind::ArrestAmount(amount()?),
        "arrest_all" => RestrictionKind::ArrestAll,
        "debit_suspension" => {
            RestrictionKind::DebitSuspension { allowed: kinds_from_text(columns.allowed_kinds.unwrap_or(""))? }
        }
        "collection_order" => {
            let priority = columns
                .priority
                .and_then(|priority| u8::try_from(priority).ok())
                .and_then(CollectionPriority::new)
                .ok_or_else(bad)?;
            let creditor = Creditor {
                name: PayeeName::parse(columns.creditor_name.ok_or_else(bad)?).map_err(|_| bad())?,
                taxpayer_id: TaxpayerId::parse(columns.creditor_taxpayer_id.ok_or_else(bad)?).map_err(|_| bad())?,
                iban: Iban::parse(columns.creditor_iban.ok_or_else(bad)?).map_err(|_| bad())?,
                codes: match (columns.creditor_kbe, columns.knp) {
                    (Some(kbe), Some(knp)) => Some(
                        CreditorCodes::new(
                            Kbe::parse(kbe).map_err(|_| bad())?,
                            Knp::parse(knp).map_err(|_| bad())?,
                            columns.kbk.map(Kbk::parse).transpose().map_err(|_| bad())?,
                        )
                        .ok_or_else(bad)?,
                    ),
                    (None, None) => None,
                    _ => return Err(bad()),
                },
            };
            let order = CollectionOrder::stored(amount()?, columns.collected.ok_or_else(bad)?, priority, creditor);
            RestrictionKind::CollectionOrder(order.ok_or_else(bad)?)
        }
        "closing" => RestrictionKind::Closing,
        _ => return Err(bad()),
    })
}

/// The stored columns of a restriction kind, borrowed from a row.
#[derive(Debug, Clone, Copy, Default)]
pub struct RestrictionColumnsRead<'a> {
    pub amount: Option<i64>,
    pub currency: Option<&'a str>,
    pub allowed_kinds: Option<&'a str>,
    pub priority: Option<i64>,
    pub creditor_name: Option<&'a str>,
    pub creditor_taxpayer_id: Option<&'a str>,
    pub creditor_iban: Option<&'a str>,
    pub collected: Option<i64>,
    pub creditor_kbe: Option<&'a str>,
    pub knp: Option<&'a str>,
    pub kbk: Option<&'a str>,
}

/// The columns both backends select for a restriction, in this order.
pub const RESTRICTION_COLUMNS: &str = "id, account_id, kind, amount, currency, allowed_kinds, reference, created_by, \
     created_at, lifted_at, priority, creditor_name, creditor_taxpayer_id, creditor_iban, collected, creditor_kbe, knp, kbk";

/// One person of the list of persons linked to terrorism or extremism financing (R-6.1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmlEntry {
    /// As published.
    pub name: String,
    /// IIN or BIN, when the list gives one.
    pub taxpayer_id: Option<String>,
}

/// A name as the AML check compares it: upper case, letters and digits only, single spaces, and
/// without the legal forms and quotes that vary between spellings.
pub fn aml_name_key(name: &str) -> String {
    const FORMS: [&str; 8] = ["ТОО", "АО", "ИП", "ООО", "LLP", "LLC", "JSC", "КХ"];
    let cleaned: String =
        name.chars().map(|c| if c.is_alphanumeric() { c.to_uppercase().next().unwrap_or(c) } else { ' ' }).collect();
    cleaned.split_whitespace().filter(|word| !FORMS.contains(word)).collect::<Vec<_>>().join(" ")
}

/// How much a payment's command takes from the payer's available balance: its debit posting or
/// its hold.
pub fn payer_debit(command: &tiyn_ledger::Command, payer: AccountId) -> Option<Money> {
    match &command.action {
        tiyn_ledger::Action::Post { entry, .. } => entry
            .postings()
            .iter()
            .find(|posting| posting.account == payer && posting.amount.is_negative())
            .and_then(|posting| posting.amount.checked_neg().ok()),
        tiyn_ledger::Action::Hold { account, amount, .. } if *account == payer => Some(amount.money()),
        _ => None,
    }
}

/// The refusal a debit of `debit` from an account gets from its active restrictions, given the
/// account's balance and holds now (R-6.1.2, R-10.2.4): a closing account refuses everything; an
/// arrest of the whole account or a suspension of debits (except the kinds it allows) refuses
/// the debit; arrests of amounts keep their sum on the account.
pub fn restriction_refusal(
    restrictions: &[Restriction],
    kind: DocumentKind,
    debit: Money,
    balance: i64,
    held: i64,
    at: Timestamp,
) -> Option<tiyn_payments::Refusal> {
    use tiyn_payments::{Refusal, RefusalCode};
    let active = || restrictions.iter().filter(|restriction| restriction.lifted_at.is_none());
    if let Some(closing) = active().find(|restriction| restriction.kind == RestrictionKind::Closing) {
        return Some(Refusal::new(
            RefusalCode::AccountClosed,
            &format!("the account is being closed ({})", closing.reference),
            at,
        ));
    }
    for restriction in active() {
        let refused = match &restriction.kind {
            RestrictionKind::ArrestAll | RestrictionKind::CollectionOrder(_) => true,
            RestrictionKind::DebitSuspension { allowed } => !allowed.contains(&kind),
            RestrictionKind::ArrestAmount(_) | RestrictionKind::Closing => false,
        };
        if refused {
            return Some(Refusal::new(
                RefusalCode::AccountRestricted,
                &format!(
                    "debits from the account are restricted: {} ({})",
                    restriction.kind.code(),
                    restriction.reference
                ),
                at,
            ));
        }
    }
    let arrested: i128 = active()
        .filter_map(|restriction| match restriction.kind {
            RestrictionKind::ArrestAmount(amount) if amount.currency() == debit.currency() => {
                Some(i128::from(amount.minor()))
            }
            _ => None,
        })
        .sum();
    let left = i128::from(balance) - i128::from(held) - i128::from(debit.minor());
    if arrested > 0 && left < arrested {
        let arrested = Money::from_minor(i64::try_from(arrested).unwrap_or(i64::MAX), debit.currency());
        return Some(Refusal::new(
            RefusalCode::AccountRestricted,
            &format!("{} {} of the account is arrested", arrested.amount_string(), arrested.currency().code()),
            at,
        ));
    }
    None
}

#[cfg(test)]
mod tariff_text_tests {
    use tiyn_core::{Currency, Money};
    use tiyn_payments::DocumentKind;
    use tiyn_payments::tariff::{Commission, KindTariff, Rate, TariffPlan, Withholding};

    use super::{tariff_from_text, tariff_to_text};

    /// R-4.15: a plan with a foreign line and an OUR fee reads back as written.
    #[test]
    fn r_4_15_a_plan_with_its_our_fee_reads_back() {
        let percent = Commission::percent(
            Rate::parse_percent("0.2").expect("rate"),
            Some(Money::from_minor(1_000_000, Currency::Kzt)),
            None,
        )
        .expect("percent");
        let plan = TariffPlan::new([
            (DocumentKind::Internal, KindTariff::free()),
            (DocumentKind::Interbank, KindTariff::free()),
            (DocumentKind::Budget, KindTariff::free()),
            (DocumentKind::Foreign, KindTariff::new(percent, Withholding::Separate).expect("tariff")),
        ])
        .and_then(|plan| plan.with_our_fee(Some(Money::from_minor(2_500, Currency::Usd))))
        .expect("plan");
        let text = tariff_to_text(&plan);
        assert!(text.ends_with("\nforeign_our fixed 25.00 USD"), "{text}");
        assert_eq!(tariff_from_text(&text).expect("reads"), plan);
        let without = plan.with_our_fee(None).expect("plan");
        assert_eq!(tariff_from_text(&tariff_to_text(&without)).expect("reads"), without);
        assert!(tariff_from_text(&format!("{}\nforeign_our fixed -1.00 USD", tariff_to_text(&without))).is_err());
    }
}
