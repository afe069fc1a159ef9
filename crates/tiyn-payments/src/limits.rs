//! Limits the bank sets on payments: per operation, per business day (amount
//! and count), per confirmation (documents one code may cover); for a partner or for one of its
//! users; for one document kind or all; per currency.
//!
//! The bank's limits are a [`LimitSet`]. What the caller counted for the business day is a
//! [`Usage`]. [`check`] decides one [`Operation`]; [`check_batch`] decides the documents of one
//! confirmation, counting each against the day and the confirmation as if the ones before it
//! had already passed, and names the first that breaks a limit. A refusal is a
//! [`LimitExceeded`] with the stable code `limit_exceeded`, naming the limit (scope, kind,
//! period, value), what was already used and what the operation adds.
//!
//! # What counts
//!
//! Limits are on the documents' amounts, not on commissions: a limit says how much may be paid
//! out. Which documents count towards a day is the caller's decision, made once in the store;
//! the intended rule is every document confirmed on that business day (Asia/Almaty) by the
//! partner — or by the user, for a user's limits — except those refused, whose money never left.
//! Whose limit is a user's: the user who confirms, since confirming is what pays.
//!
//! # Invariants
//!
//! - Every limit in a set is positive (a zero limit would refuse a kind outright, which is the
//!   scope of services, R-3.2, with its own code), and no two limits of a set have the same
//!   scope, kind, rule and currency, so a set never says two things about one limit.
//! - Exactly at a limit passes; one minor unit or one document over it is refused.
//! - Decisions are monotonic: an operation that passes still passes with a smaller amount.
//! - No overflow panics or wraps: [`Usage`] refuses counts and sums it could not add up, and
//!   comparisons are made in 128 bits.
//! - The same set, usage and operation always name the same limit: the set is kept in a fixed
//!   order (per operation, per confirmation, per day; user before partner; a kind before all
//!   kinds), whatever order the bank entered it in.

use std::collections::BTreeMap;
use std::fmt;

use tiyn_core::{Amount, Currency, Money, PartnerId, UserId};

use crate::digest::BATCH_DOCUMENTS_MAX;
use crate::kind::DocumentKind;

/// The most limits one set may hold. A set is loaded for one partner (its own limits and its
/// users'); one scope can have at most 152 distinct limits (4 rules × 4 kind choices × 12 or 13
/// currency choices, fewer for per-confirmation caps), so 4 096 is a fully configured partner
/// with about 25 fully configured users, or hundreds of users with a few limits each, while a
/// check of a 1 000-document batch stays a few million comparisons.
pub const LIMIT_SET_LIMITS_MAX: usize = 4096;

/// Whose operations a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitScope {
    /// The operations one user confirms.
    User(UserId),
    /// All the operations of a partner, whoever confirms them.
    Partner(PartnerId),
}

impl fmt::Display for LimitScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitScope::User(user) => write!(f, "user {user}"),
            LimitScope::Partner(partner) => write!(f, "partner {partner}"),
        }
    }
}

/// The period a limit counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// One document.
    Operation,
    /// The documents confirmed with one code.
    Confirmation,
    /// One business day.
    Day,
}

impl Period {
    /// The API spelling: `operation`, `confirmation`, `day`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Period::Operation => "operation",
            Period::Confirmation => "confirmation",
            Period::Day => "day",
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a limit bounds, and its value. Amounts are in the limit's currency and only count
/// documents in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitRule {
    /// One document's amount is at most this.
    OperationAmount(Money),
    /// One confirmation covers at most this many documents. At most
    /// [`BATCH_DOCUMENTS_MAX`].
    ConfirmationCount(u32),
    /// The documents of one business day total at most this.
    DailyAmount(Money),
    /// At most this many documents in one business day; in one currency, or in all of them.
    DailyCount { max: u32, currency: Option<Currency> },
}

impl LimitRule {
    /// The stable name of the rule, for the API and for messages: `operation_amount`,
    /// `confirmation_count`, `daily_amount`, `daily_count`.
    pub const fn name(&self) -> &'static str {
        match self {
            LimitRule::OperationAmount(_) => "operation_amount",
            LimitRule::ConfirmationCount(_) => "confirmation_count",
            LimitRule::DailyAmount(_) => "daily_amount",
            LimitRule::DailyCount { .. } => "daily_count",
        }
    }

    pub const fn period(&self) -> Period {
        match self {
            LimitRule::OperationAmount(_) => Period::Operation,
            LimitRule::ConfirmationCount(_) => Period::Confirmation,
            LimitRule::DailyAmount(_) | LimitRule::DailyCount { .. } => Period::Day,
        }
    }

    /// The limit's value.
    pub const fn value(&self) -> LimitValue {
        match *self {
            LimitRule::OperationAmount(max) | LimitRule::DailyAmount(max) => LimitValue::Amount(max),
            LimitRule::ConfirmationCount(max) | LimitRule::DailyCount { max, .. } => LimitValue::Count(max as u64),
        }
    }

    /// The currency whose documents the rule counts; `None` counts every currency.
    pub const fn currency(&self) -> Option<Currency> {
        match *self {
            LimitRule::OperationAmount(max) | LimitRule::DailyAmount(max) => Some(max.currency()),
            LimitRule::DailyCount { currency, .. } => currency,
            LimitRule::ConfirmationCount(_) => None,
        }
    }

    /// The order checks run in: the narrowest period first, so a refusal names the limit the
    /// user can act on soonest.
    const fn rank(&self) -> u8 {
        match self {
            LimitRule::OperationAmount(_) => 0,
            LimitRule::ConfirmationCount(_) => 1,
            LimitRule::DailyAmount(_) => 2,
            LimitRule::DailyCount { .. } => 3,
        }
    }

    /// What one operation adds to what the rule counts: its amount in minor units, or one
    /// document. Per-operation limits do not accumulate.
    fn contribution(&self, operation: &Operation) -> i128 {
        match self {
            LimitRule::OperationAmount(_) => 0,
            LimitRule::DailyAmount(_) => i128::from(operation.amount.minor()),
            LimitRule::ConfirmationCount(_) | LimitRule::DailyCount { .. } => 1,
        }
    }
}

/// A limit's value, or a quantity measured against one: an amount, or a number of documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitValue {
    Amount(Money),
    Count(u64),
}

impl fmt::Display for LimitValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitValue::Amount(money) => money.fmt(f),
            LimitValue::Count(1) => f.write_str("1 document"),
            LimitValue::Count(count) => write!(f, "{count} documents"),
        }
    }
}

/// One limit the bank set: whose operations, of which kind, and the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limit {
    scope: LimitScope,
    kind: Option<DocumentKind>,
    rule: LimitRule,
}

impl Limit {
    /// `kind: None` counts documents of every kind. Refuses a zero or negative value and a
    /// per-confirmation cap above [`BATCH_DOCUMENTS_MAX`].
    pub fn new(scope: LimitScope, kind: Option<DocumentKind>, rule: LimitRule) -> Result<Limit, LimitError> {
        let positive = match rule {
            LimitRule::OperationAmount(max) | LimitRule::DailyAmount(max) => max.is_positive(),
            LimitRule::ConfirmationCount(max) | LimitRule::DailyCount { max, .. } => max > 0,
        };
        if !positive {
            return Err(LimitError::NotPositive { rule: rule.name(), value: rule.value() });
        }
        if let LimitRule::ConfirmationCount(max) = rule
            && max as usize > BATCH_DOCUMENTS_MAX
        {
            return Err(LimitError::AboveMaximum { rule: rule.name(), value: rule.value(), max: BATCH_DOCUMENTS_MAX });
        }
        Ok(Limit { scope, kind, rule })
    }

    pub const fn scope(&self) -> LimitScope {
        self.scope
    }

    /// The kind of documents counted; `None` for all kinds.
    pub const fn kind(&self) -> Option<DocumentKind> {
        self.kind
    }

    pub const fn rule(&self) -> LimitRule {
        self.rule
    }

    pub const fn period(&self) -> Period {
        self.rule.period()
    }

    pub const fn value(&self) -> LimitValue {
        self.rule.value()
    }

    /// What identifies a limit within a set (everything but its value), and orders the set.
    fn key(&self) -> (u8, LimitScope, bool, Option<DocumentKind>, Option<Currency>) {
        (self.rule.rank(), self.scope, self.kind.is_none(), self.kind, self.rule.currency())
    }

    fn applies_to(&self, operation: &Operation) -> bool {
        let scope = match self.scope {
            LimitScope::User(user) => user == operation.user,
            LimitScope::Partner(partner) => partner == operation.partner,
        };
        let kind = self.kind.is_none_or(|kind| kind == operation.kind);
        let currency = self.rule.currency().is_none_or(|currency| currency == operation.amount.currency());
        scope && kind && currency
    }
}

impl fmt::Display for Limit {
    /// `the daily_amount limit of 1000.00 KZT per day for user 7 on interbank payments`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} limit of {} per {} for {} on ", self.rule.name(), self.value(), self.period(), self.scope)?;
        match self.kind {
            Some(kind) => write!(f, "{kind} payments")?,
            None => f.write_str("all payments")?,
        }
        if let LimitRule::DailyCount { currency: Some(currency), .. } = self.rule {
            write!(f, " in {currency}")?;
        }
        Ok(())
    }
}

/// The limits the bank set, in the fixed order checks run in (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitSet {
    limits: Vec<Limit>,
}

impl LimitSet {
    /// No limits: everything passes.
    pub const fn none() -> LimitSet {
        LimitSet { limits: Vec::new() }
    }

    /// Refuses more than [`LIMIT_SET_LIMITS_MAX`] limits and two limits with the same scope,
    /// kind, rule and currency (which would be two values for one limit).
    pub fn new(limits: impl IntoIterator<Item = Limit>) -> Result<LimitSet, LimitError> {
        let mut limits: Vec<Limit> = limits.into_iter().take(LIMIT_SET_LIMITS_MAX + 1).collect();
        if limits.len() > LIMIT_SET_LIMITS_MAX {
            return Err(LimitError::TooMany { limits_max: LIMIT_SET_LIMITS_MAX });
        }
        limits.sort_by_key(Limit::key);
        if let Some(pair) = limits.windows(2).find(|pair| pair[0].key() == pair[1].key()) {
            return Err(LimitError::Duplicate(pair[1]));
        }
        debug_assert!(limits.is_sorted_by_key(Limit::key));
        Ok(LimitSet { limits })
    }

    /// The limits, in the order checks run in.
    pub fn limits(&self) -> &[Limit] {
        &self.limits
    }

    /// Whether a limit adds up a day's operations (a daily amount or count). Only then does a
    /// check need the day's usage, and must confirmations of one partner see each other's.
    pub fn counts_days(&self) -> bool {
        self.limits.iter().any(|limit| matches!(limit.rule, LimitRule::DailyAmount(_) | LimitRule::DailyCount { .. }))
    }

    /// The most documents `user` of `partner` may confirm with one code, whatever their kinds:
    /// the lowest per-confirmation cap for all kinds, or [`BATCH_DOCUMENTS_MAX`]. The value to
    /// give `BatchChallenge::open`. (A cap on one kind is enforced by [`check_batch`].)
    pub fn documents_per_confirmation_max(&self, partner: PartnerId, user: UserId) -> usize {
        let documents_max = self
            .limits
            .iter()
            .filter(|limit| limit.kind.is_none())
            .filter(|limit| match limit.scope {
                LimitScope::User(scoped) => scoped == user,
                LimitScope::Partner(scoped) => scoped == partner,
            })
            .filter_map(|limit| match limit.rule {
                LimitRule::ConfirmationCount(max) => Some(max as usize),
                _ => None,
            })
            .fold(BATCH_DOCUMENTS_MAX, usize::min);
        assert!((1..=BATCH_DOCUMENTS_MAX).contains(&documents_max), "caps are positive and bounded");
        documents_max
    }
}

/// One payment as limits see it: who pays, who confirms, what kind, how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    pub partner: PartnerId,
    /// The user who confirms the document.
    pub user: UserId,
    pub kind: DocumentKind,
    pub amount: Amount,
}

/// What one scope did with one kind in one currency during the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Tally {
    sum: Money,
    count: u64,
}

/// What the caller counted for one business day: per scope, kind and currency, the sum of the
/// documents' amounts and their number.
///
/// The store fills it from its records of the day (one [`Usage::add`] per group of a
/// `GROUP BY` over scope, kind and currency), or document by document with [`Usage::record`].
/// A partner's usage and each user's are separate tallies: `record` adds to both; `add` to the
/// scope it is given. Usage refuses totals it could not add up (more than 64-bit money per scope
/// and currency, or 64-bit counts per scope), so every figure a check reads is exact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    tallies: BTreeMap<(LimitScope, DocumentKind, Currency), Tally>,
}

impl Usage {
    pub fn new() -> Usage {
        Usage::default()
    }

    /// Adds `count` documents of `kind` totalling `sum` to `scope`'s day. Refuses a negative sum
    /// and a sum and count that cannot be positive amounts (a sum without documents, documents
    /// without a sum, or less than one minor unit each), with `usage_inconsistent`; and totals
    /// too large to represent, with `amount_overflow`.
    pub fn add(&mut self, scope: LimitScope, kind: DocumentKind, sum: Money, count: u64) -> Result<(), UsageError> {
        let consistent = !sum.is_negative() && (count == 0) == sum.is_zero() && sum.minor().unsigned_abs() >= count;
        if !consistent {
            return Err(UsageError::Inconsistent { sum, count });
        }
        let mut next = self.clone();
        next.add_to_tally(scope, kind, sum, count)?;
        *self = next;
        Ok(())
    }

    /// Counts one operation for the day, for its partner and for its user.
    pub fn record(&mut self, operation: &Operation) -> Result<(), UsageError> {
        let mut next = self.clone();
        for scope in [LimitScope::User(operation.user), LimitScope::Partner(operation.partner)] {
            next.add_to_tally(scope, operation.kind, operation.amount.money(), 1)?;
        }
        *self = next;
        Ok(())
    }

    /// The sum of `scope`'s documents of `kind` (or all kinds) in `currency`.
    pub fn amount(&self, scope: LimitScope, kind: Option<DocumentKind>, currency: Currency) -> Money {
        let total = self
            .matching(scope, kind, Some(currency))
            .try_fold(Money::zero(currency), |total, tally| total.checked_add(tally.sum))
            .expect("Usage::add keeps every sum per scope and currency within range");
        debug_assert!(!total.is_negative());
        total
    }

    /// The number of `scope`'s documents of `kind` (or all kinds) in `currency` (or all
    /// currencies).
    pub fn count(&self, scope: LimitScope, kind: Option<DocumentKind>, currency: Option<Currency>) -> u64 {
        self.matching(scope, kind, currency)
            .try_fold(0_u64, |total, tally| total.checked_add(tally.count))
            .expect("Usage::add keeps every count per scope within range")
    }

    fn matching(
        &self,
        scope: LimitScope,
        kind: Option<DocumentKind>,
        currency: Option<Currency>,
    ) -> impl Iterator<Item = &Tally> + '_ {
        self.tallies
            .iter()
            .filter(move |((tally_scope, tally_kind, tally_currency), _)| {
                *tally_scope == scope
                    && kind.is_none_or(|kind| kind == *tally_kind)
                    && currency.is_none_or(|currency| currency == *tally_currency)
            })
            .map(|(_, tally)| tally)
    }

    /// Adds to one tally and checks that the aggregates a check can read still fit: the sum
    /// over every kind of the scope and currency, and the count over every kind and currency of
    /// the scope. Leaves `self` half-changed on error; callers work on a copy.
    fn add_to_tally(
        &mut self,
        scope: LimitScope,
        kind: DocumentKind,
        sum: Money,
        count: u64,
    ) -> Result<(), UsageError> {
        let currency = sum.currency();
        let tally =
            self.tallies.entry((scope, kind, currency)).or_insert(Tally { sum: Money::zero(currency), count: 0 });
        tally.sum = tally.sum.checked_add(sum).map_err(|_| UsageError::Overflow)?;
        tally.count = tally.count.checked_add(count).ok_or(UsageError::Overflow)?;
        let sums_fit = self
            .matching(scope, None, Some(currency))
            .try_fold(Money::zero(currency), |total, tally| total.checked_add(tally.sum))
            .is_ok();
        let counts_fit =
            self.matching(scope, None, None).try_fold(0_u64, |total, tally| total.checked_add(tally.count));
        if !sums_fit || counts_fit.is_none() {
            return Err(UsageError::Overflow);
        }
        Ok(())
    }
}

/// Decides one operation against the bank's limits and the day's usage. The usage
/// must not include the operation itself. Exactly at a limit passes.
pub fn check(limits: &LimitSet, usage: &Usage, operation: &Operation) -> Result<(), LimitExceeded> {
    let nothing_yet = vec![0_i128; limits.limits.len()];
    check_with(limits, usage, &nothing_yet, operation)
}

/// Decides the documents of one confirmation, in the order given: each counts
/// against the day and the confirmation with the documents before it, and the first that breaks
/// a limit is named by its 0-based position. The usage must not include the batch.
pub fn check_batch(limits: &LimitSet, usage: &Usage, operations: &[Operation]) -> Result<(), BatchLimitExceeded> {
    // What the documents before the current one added to each limit, by the limit's index. Only
    // documents that passed add, so each stays at most its limit's value minus the day's usage.
    let mut batch_so_far = vec![0_i128; limits.limits.len()];
    for (position, operation) in operations.iter().enumerate() {
        check_with(limits, usage, &batch_so_far, operation)
            .map_err(|exceeded| BatchLimitExceeded { position, exceeded })?;
        for (limit, so_far) in limits.limits.iter().zip(batch_so_far.iter_mut()) {
            if limit.applies_to(operation) {
                *so_far += limit.rule.contribution(operation);
            }
        }
    }
    Ok(())
}

fn check_with(
    limits: &LimitSet,
    usage: &Usage,
    batch_so_far: &[i128],
    operation: &Operation,
) -> Result<(), LimitExceeded> {
    assert_eq!(batch_so_far.len(), limits.limits.len(), "one running total per limit");
    let amount = operation.amount;
    for (limit, &so_far) in limits.limits.iter().zip(batch_so_far) {
        if !limit.applies_to(operation) {
            continue;
        }
        debug_assert!(so_far >= 0);
        let (used, requested, max) = match limit.rule {
            LimitRule::OperationAmount(max) => (0, i128::from(amount.minor()), i128::from(max.minor())),
            LimitRule::ConfirmationCount(max) => (so_far, 1, i128::from(max)),
            LimitRule::DailyAmount(max) => {
                let day = usage.amount(limit.scope, limit.kind, max.currency());
                (i128::from(day.minor()) + so_far, i128::from(amount.minor()), i128::from(max.minor()))
            }
            LimitRule::DailyCount { max, currency } => {
                let day = usage.count(limit.scope, limit.kind, currency);
                (i128::from(day) + so_far, 1, i128::from(max))
            }
        };
        if used + requested > max {
            return Err(LimitExceeded {
                limit: *limit,
                used: quantity(limit, used, amount.currency()),
                requested: quantity(limit, requested, amount.currency()),
            });
        }
    }
    Ok(())
}

/// A figure of a check as the limit measures it. The figures fit: a day's usage fits by
/// [`Usage`]'s checks, and a batch's running total is at most the limit.
fn quantity(limit: &Limit, value: i128, currency: Currency) -> LimitValue {
    match limit.value() {
        LimitValue::Amount(_) => {
            let minor = i64::try_from(value).expect("an amount measured against a limit fits 64 bits");
            LimitValue::Amount(Money::from_minor(minor, currency))
        }
        LimitValue::Count(_) => {
            LimitValue::Count(u64::try_from(value).expect("a count measured against a limit fits 64 bits"))
        }
    }
}

/// An operation refused because it would exceed a limit (`limit_exceeded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitExceeded {
    /// The limit: its scope, kind, rule, period and value.
    pub limit: Limit,
    /// What the period had already used before this operation: the day's usage and the earlier
    /// documents of the same confirmation (zero for a per-operation limit).
    pub used: LimitValue,
    /// What this operation adds: its amount, or one document.
    pub requested: LimitValue,
}

impl LimitExceeded {
    /// Stable API code.
    pub const fn code(&self) -> &'static str {
        "limit_exceeded"
    }

    pub const fn period(&self) -> Period {
        self.limit.period()
    }

    /// The limit's value.
    pub const fn limit_value(&self) -> LimitValue {
        self.limit.value()
    }

    /// What the operation would make the period's total: `used + requested`. `None` only if
    /// that is beyond 64-bit money, which then exceeds every limit anyway.
    pub fn would_be(&self) -> Option<LimitValue> {
        match (self.used, self.requested) {
            (LimitValue::Amount(used), LimitValue::Amount(requested)) => {
                used.checked_add(requested).ok().map(LimitValue::Amount)
            }
            (LimitValue::Count(used), LimitValue::Count(requested)) => {
                used.checked_add(requested).map(LimitValue::Count)
            }
            _ => None,
        }
    }
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} would be exceeded: {} used, this payment adds {}", self.limit, self.used, self.requested)
    }
}

impl std::error::Error for LimitExceeded {}

/// A confirmation refused because one of its documents would exceed a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("document {position} of the batch: {exceeded}")]
pub struct BatchLimitExceeded {
    /// The 0-based position of the first document that breaks a limit, in the batch as given.
    pub position: usize,
    pub exceeded: LimitExceeded,
}

impl BatchLimitExceeded {
    /// Stable API code: `limit_exceeded`.
    pub const fn code(&self) -> &'static str {
        self.exceeded.code()
    }
}

/// Why the bank's limits were refused when set. Each variant has a stable [`LimitError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("the {rule} limit must be positive; it is {value} (to switch a kind off, use the scope of services)")]
    NotPositive { rule: &'static str, value: LimitValue },
    #[error("the {rule} limit is {value}; at most {max} is possible")]
    AboveMaximum { rule: &'static str, value: LimitValue, max: usize },
    #[error("{0} is set twice")]
    Duplicate(Limit),
    #[error("more than {limits_max} limits")]
    TooMany { limits_max: usize },
}

impl LimitError {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            LimitError::NotPositive { .. } => "limit_not_positive",
            LimitError::AboveMaximum { .. } => "limit_above_maximum",
            LimitError::Duplicate(_) => "limit_duplicate",
            LimitError::TooMany { .. } => "too_many_limits",
        }
    }
}

/// Why a day's usage was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("{count} documents cannot total {sum}")]
    Inconsistent { sum: Money, count: u64 },
    #[error("the day's total is too large to represent")]
    Overflow,
}

impl UsageError {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            UsageError::Inconsistent { .. } => "usage_inconsistent",
            UsageError::Overflow => "amount_overflow",
        }
    }
}
