//! Tariffs: what the bank charges for a payment document and how it is withheld, and
//! so what the payer's account must cover.
//!
//! A [`TariffPlan`] gives every [`DocumentKind`] a [`KindTariff`]: a [`Commission`] — free, a
//! fixed fee, or a percentage of the amount with an optional minimum and maximum — and a
//! [`Withholding`] mode. [`quote`] prices one document; [`batch_commission`] prices the batch a
//! user is about to confirm, for the confirmation screen and the SMS.
//!
//! # What the payer pays, and the journal entry
//!
//! | withholding | payer's account is debited | payee is credited | bank's income account is credited |
//! |---|---|---|---|
//! | [`Withholding::Separate`] | amount + commission | amount | commission |
//! | [`Withholding::FromAmount`] | amount | amount − commission | commission |
//!
//! Either way the debit equals the two credits, so the commission is part of the same balanced
//! journal entry as the transfer. [`Quote::required_debit`] is what the available balance must
//! cover, or the operation is refused with `insufficient_funds`.
//!
//! # Rounding
//!
//! A percentage is computed exactly (integer minor units times an integer rate in millionths,
//! in 128 bits) and rounded once, to the currency's minor unit, with [`COMMISSION_ROUNDING`]
//! (half up); the minimum and maximum are applied after rounding, so a clamped commission is
//! exactly the published amount.
//!
//! # Invariants
//!
//! - A plan, once built, prices every kind: a missing kind is refused when the plan is built,
//!   not when a payment meets it.
//! - Fees, minimums and maximums are never negative; a minimum is never above its maximum, and
//!   both are in one currency; a rate is between 0 and 100 %.
//! - A commission is never negative. For [`Withholding::FromAmount`] it is always below the
//!   amount, so the payee receives a positive amount; a document whose commission would take
//!   all of it is refused (`commission_exceeds_amount`).
//! - No floats; every overflow is an error value, never a wrap or a panic.

use std::collections::BTreeMap;
use std::fmt;

use tiyn_core::{Amount, Currency, Money, Rounding};

use crate::kind::DocumentKind;

/// How a percentage commission becomes whole minor units: half up (half away from zero), to the
/// tiyn.
///
/// Why half up: it is the rule a client applies when checking the bank's arithmetic by hand or
/// with a spreadsheet's `ROUND`, and the rule in which banks quote percentages, so a commission
/// on a statement can be recomputed from the published tariff. It never differs from the exact
/// value by more than half a minor unit, and it does not lean towards the bank: rounding every
/// fraction up (away from zero) would take up to one tiyn more on every percentage-priced
/// document, which adds up over a large batch and shows when a client reconciles.
pub const COMMISSION_ROUNDING: Rounding = Rounding::HalfUp;

/// The denominator of a [`Rate`]: a rate counts millionths of the amount, so 100 % is
/// 1 000 000 and 0.15 % is 1 500.
const RATE_MILLIONTHS_PER_WHOLE: u32 = 1_000_000;

/// Millionths in one basis point (0.01 %).
const RATE_MILLIONTHS_PER_BASIS_POINT: u32 = 100;

/// The finest step a rate can have, as decimals of a percentage: four, i.e. 0.0001 % (a
/// hundredth of a basis point). Published tariffs use two or three (0.15 %, 0.075 %); four
/// leaves room and is exactly what a millionth can hold.
pub const RATE_PERCENT_DECIMALS_MAX: usize = 4;

/// The longest rate text echoed back in an error: enough to recognise a typo.
const RATE_ECHO_CHARS_MAX: usize = 20;

/// A percentage of the amount, exact: an integer number of millionths, from 0 to 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rate {
    millionths: u32,
}

impl Rate {
    /// The rate in basis points (hundredths of a percent): 15 is 0.15 %. At most 10 000.
    pub fn from_basis_points(basis_points: u32) -> Result<Rate, TariffPlanError> {
        let millionths =
            basis_points.checked_mul(RATE_MILLIONTHS_PER_BASIS_POINT).ok_or(TariffPlanError::RateAboveMaximum)?;
        Rate::from_millionths(millionths)
    }

    /// The rate in millionths of the amount: 1 500 is 0.15 %. At most 1 000 000 (100 %).
    pub fn from_millionths(millionths: u32) -> Result<Rate, TariffPlanError> {
        if millionths > RATE_MILLIONTHS_PER_WHOLE {
            return Err(TariffPlanError::RateAboveMaximum);
        }
        Ok(Rate { millionths })
    }

    /// Parses a percentage as the bank writes it in a tariff: `"0.15"` is 0.15 %, `"1"` is 1 %,
    /// `"0.075"` is 0.075 %. Plain decimal digits with at most [`RATE_PERCENT_DECIMALS_MAX`]
    /// decimals; no sign, no `%`, no exponent, no superfluous leading zero. The value is exact:
    /// the text is read digit by digit into integer millionths, never through a float.
    pub fn parse_percent(text: &str) -> Result<Rate, TariffPlanError> {
        let invalid = || TariffPlanError::InvalidRate(text.chars().take(RATE_ECHO_CHARS_MAX).collect());
        let (integer, fraction) = match text.split_once('.') {
            Some((integer, fraction)) if !fraction.is_empty() => (integer, fraction),
            Some(_) => return Err(invalid()),
            None => (text, ""),
        };
        let digits_only = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if integer.is_empty() || !digits_only(integer) || !digits_only(fraction) {
            return Err(invalid());
        }
        if integer.len() > 1 && integer.starts_with('0') {
            return Err(invalid());
        }
        if fraction.len() > RATE_PERCENT_DECIMALS_MAX {
            return Err(TariffPlanError::RatePrecision {
                decimals_max: RATE_PERCENT_DECIMALS_MAX,
                found: fraction.len(),
            });
        }
        // "100" has three integer digits; anything longer is above 100 % (leading zeros were
        // refused), and refusing it here keeps the accumulation below far from overflow.
        if integer.len() > 3 {
            return Err(TariffPlanError::RateAboveMaximum);
        }
        let padding = std::iter::repeat_n(b'0', RATE_PERCENT_DECIMALS_MAX - fraction.len());
        // Percent with four decimals is ten-thousandths of a percent, which is exactly millionths.
        let millionths = integer
            .bytes()
            .chain(fraction.bytes())
            .chain(padding)
            .fold(0_u32, |acc, digit| acc * 10 + u32::from(digit - b'0'));
        debug_assert!(millionths <= 9_999_999, "at most 3 + 4 digits");
        Rate::from_millionths(millionths)
    }

    pub const fn millionths(self) -> u32 {
        self.millionths
    }

    pub const fn is_whole_amount(self) -> bool {
        self.millionths == RATE_MILLIONTHS_PER_WHOLE
    }

    /// The canonical percentage text, without trailing zeros: `"0.15"`, `"1"`, `"0.075"`.
    /// [`Rate::parse_percent`] reads it back to the same rate.
    pub fn percent_string(self) -> String {
        let whole = self.millionths / 10_000;
        let fraction = self.millionths % 10_000;
        if fraction == 0 {
            return whole.to_string();
        }
        let digits = format!("{fraction:04}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl fmt::Display for Rate {
    /// `0.15%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.percent_string())
    }
}

/// An amount a tariff names — a fixed fee, a minimum, a maximum: never negative.
///
/// Zero is allowed: a maximum of zero or a fixed fee of zero charges nothing, as
/// [`Commission::Free`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fee(Money);

impl Fee {
    pub fn new(money: Money) -> Result<Fee, TariffPlanError> {
        if money.is_negative() {
            return Err(TariffPlanError::FeeNegative { fee: money });
        }
        Ok(Fee(money))
    }

    pub const fn money(self) -> Money {
        self.0
    }

    pub const fn currency(self) -> Currency {
        self.0.currency()
    }

    const fn minor(self) -> i64 {
        self.0.minor()
    }
}

impl fmt::Display for Fee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A percentage of the amount, rounded with [`COMMISSION_ROUNDING`], then raised to `min` and
/// lowered to `max` where they are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PercentCommission {
    rate: Rate,
    min: Option<Fee>,
    max: Option<Fee>,
}

impl PercentCommission {
    /// Refuses a minimum above the maximum, and a minimum and maximum in different currencies.
    pub fn new(rate: Rate, min: Option<Fee>, max: Option<Fee>) -> Result<PercentCommission, TariffPlanError> {
        if let (Some(min), Some(max)) = (min, max) {
            if min.currency() != max.currency() {
                return Err(TariffPlanError::MinMaxCurrencyMismatch { min: min.currency(), max: max.currency() });
            }
            if min.minor() > max.minor() {
                return Err(TariffPlanError::MinAboveMax { min: min.money(), max: max.money() });
            }
        }
        Ok(PercentCommission { rate, min, max })
    }

    pub const fn rate(&self) -> Rate {
        self.rate
    }

    pub const fn min(&self) -> Option<Fee> {
        self.min
    }

    pub const fn max(&self) -> Option<Fee> {
        self.max
    }

    fn of(&self, amount: Amount) -> Result<Money, TariffError> {
        let currency = amount.currency();
        for bound in [self.min, self.max].into_iter().flatten() {
            if bound.currency() != currency {
                return Err(TariffError::CurrencyMismatch { tariff: bound.currency(), amount: currency });
            }
        }
        let exact_numerator = i128::from(amount.minor()) * i128::from(self.rate.millionths);
        let rounded = divide_rounded(exact_numerator, i128::from(RATE_MILLIONTHS_PER_WHOLE), COMMISSION_ROUNDING);
        let raised = self.min.map_or(rounded, |min| rounded.max(i128::from(min.minor())));
        let clamped = self.max.map_or(raised, |max| raised.min(i128::from(max.minor())));
        // A rate of at most 100 % of an i64 amount, or a bound that is itself an i64, fits.
        let minor = i64::try_from(clamped).map_err(|_| TariffError::Overflow)?;
        debug_assert!(minor >= 0, "rate, amount and bounds are non-negative");
        Ok(Money::from_minor(minor, currency))
    }
}

/// What the bank charges for one document of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Commission {
    /// Nothing.
    Free,
    /// The same fee whatever the amount, in the fee's currency.
    Fixed(Fee),
    /// A share of the amount, with an optional minimum and maximum.
    Percent(PercentCommission),
}

impl Commission {
    /// A fixed fee; refuses a negative one.
    pub fn fixed(fee: Money) -> Result<Commission, TariffPlanError> {
        Ok(Commission::Fixed(Fee::new(fee)?))
    }

    /// A percentage with an optional minimum and maximum; refuses negative bounds, a minimum
    /// above the maximum and bounds in two currencies.
    pub fn percent(rate: Rate, min: Option<Money>, max: Option<Money>) -> Result<Commission, TariffPlanError> {
        let min = min.map(Fee::new).transpose()?;
        let max = max.map(Fee::new).transpose()?;
        Ok(Commission::Percent(PercentCommission::new(rate, min, max)?))
    }

    /// The API spelling of the shape: `free`, `fixed`, `percent`.
    pub const fn shape(&self) -> &'static str {
        match self {
            Commission::Free => "free",
            Commission::Fixed(_) => "fixed",
            Commission::Percent(_) => "percent",
        }
    }

    /// The commission on `amount`, before the withholding mode is considered. In the amount's
    /// currency; a fee, minimum or maximum in another currency is `tariff_currency_mismatch`.
    fn of(&self, amount: Amount) -> Result<Money, TariffError> {
        match self {
            Commission::Free => Ok(Money::zero(amount.currency())),
            Commission::Fixed(fee) if fee.currency() != amount.currency() => {
                Err(TariffError::CurrencyMismatch { tariff: fee.currency(), amount: amount.currency() })
            }
            Commission::Fixed(fee) => Ok(fee.money()),
            Commission::Percent(percent) => percent.of(amount),
        }
    }
}

/// How the commission is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Withholding {
    /// A separate fee posting from the payer's account to the bank's income account: the payer
    /// is debited amount + commission, the payee receives the amount.
    Separate,
    /// Withheld from the transfer: the payer is debited the amount, the payee receives amount −
    /// commission, the bank's income account the commission.
    FromAmount,
}

impl Withholding {
    pub const ALL: [Withholding; 2] = [Withholding::Separate, Withholding::FromAmount];

    /// The API spelling: `separate`, `from_amount`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Withholding::Separate => "separate",
            Withholding::FromAmount => "from_amount",
        }
    }

    /// Parses the API spelling, exactly.
    pub fn parse(text: &str) -> Result<Withholding, TariffPlanError> {
        Withholding::ALL
            .into_iter()
            .find(|mode| mode.as_str() == text)
            .ok_or_else(|| TariffPlanError::InvalidWithholding(text.chars().take(RATE_ECHO_CHARS_MAX).collect()))
    }
}

impl fmt::Display for Withholding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The tariff of one document kind: the commission and how it is withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindTariff {
    commission: Commission,
    withholding: Withholding,
}

impl KindTariff {
    /// Refuses a tariff that would withhold every payment whole: 100 % without a maximum,
    /// withheld from the amount, leaves the payee nothing, whatever the amount. (A fixed fee or
    /// a minimum withheld from the amount refuses only payments at or below it; that is decided
    /// per document, with `commission_exceeds_amount`.)
    pub fn new(commission: Commission, withholding: Withholding) -> Result<KindTariff, TariffPlanError> {
        if let (Commission::Percent(percent), Withholding::FromAmount) = (commission, withholding)
            && percent.rate.is_whole_amount()
            && percent.max.is_none()
        {
            return Err(TariffPlanError::WithholdingTakesWholeAmount);
        }
        Ok(KindTariff { commission, withholding })
    }

    /// No commission.
    pub const fn free() -> KindTariff {
        KindTariff { commission: Commission::Free, withholding: Withholding::Separate }
    }

    pub const fn commission(&self) -> &Commission {
        &self.commission
    }

    pub const fn withholding(&self) -> Withholding {
        self.withholding
    }

    /// The commission on `amount` under this tariff; withheld from the amount, it must leave
    /// the payee something.
    pub fn commission_on(&self, amount: Amount) -> Result<Money, TariffError> {
        let commission = self.commission.of(amount)?;
        assert!(!commission.is_negative() && commission.currency() == amount.currency(), "a commission is a fee");
        if self.withholding == Withholding::FromAmount && commission.minor() >= amount.minor() {
            return Err(TariffError::CommissionExceedsAmount { commission, amount });
        }
        Ok(commission)
    }
}

/// A partner's tariff plan: a [`KindTariff`] for every [`DocumentKind`].
///
/// The plan does not name its partner: the bank assigns a plan to partners (several may share
/// one), and the store keeps that assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TariffPlan {
    internal: KindTariff,
    interbank: KindTariff,
    budget: KindTariff,
    conversion: KindTariff,
    foreign: KindTariff,
    /// A foreign transfer whose payer pays every bank's charges (`OUR`) costs this fee on top of
    /// the `foreign` tariff: what the correspondents will charge the bank for it.
    our_fee: Option<Fee>,
}

impl TariffPlan {
    /// Builds a plan from one tariff per kind. Refuses a kind given twice and a kind left out,
    /// so that no payment ever meets a plan that cannot price it — except conversions and foreign
    /// transfers: a plan written before they existed charges nothing for them, and is read as
    /// such (for conversions the bank's margin is in its rates).
    pub fn new(tariffs: impl IntoIterator<Item = (DocumentKind, KindTariff)>) -> Result<TariffPlan, TariffPlanError> {
        let mut by_kind: BTreeMap<DocumentKind, KindTariff> = BTreeMap::new();
        for (kind, tariff) in tariffs {
            if by_kind.insert(kind, tariff).is_some() {
                return Err(TariffPlanError::KindDuplicate(kind));
            }
        }
        let mut take = |kind: DocumentKind| by_kind.remove(&kind).ok_or(TariffPlanError::KindMissing(kind));
        let plan = TariffPlan {
            internal: take(DocumentKind::Internal)?,
            interbank: take(DocumentKind::Interbank)?,
            budget: take(DocumentKind::Budget)?,
            conversion: by_kind.remove(&DocumentKind::Conversion).unwrap_or(KindTariff::free()),
            foreign: by_kind.remove(&DocumentKind::Foreign).unwrap_or(KindTariff::free()),
            our_fee: None,
        };
        debug_assert!(by_kind.is_empty(), "every kind was taken");
        Ok(plan)
    }

    /// A plan that charges nothing for any kind.
    pub const fn free() -> TariffPlan {
        TariffPlan {
            internal: KindTariff::free(),
            interbank: KindTariff::free(),
            budget: KindTariff::free(),
            conversion: KindTariff::free(),
            foreign: KindTariff::free(),
            our_fee: None,
        }
    }

    /// The plan with the fee a foreign transfer under `OUR` costs on top of its tariff; refuses a
    /// negative one.
    pub fn with_our_fee(mut self, fee: Option<Money>) -> Result<TariffPlan, TariffPlanError> {
        self.our_fee = fee.map(Fee::new).transpose()?;
        Ok(self)
    }

    /// The fee of a foreign transfer under `OUR` (the payer pays the correspondents too), on top
    /// of the `foreign` tariff; `None`: nothing more than `SHA`.
    pub const fn our_fee(&self) -> Option<Fee> {
        self.our_fee
    }

    /// The tariff of a kind. A new kind will not compile until it is priced here.
    pub const fn tariff(&self, kind: DocumentKind) -> &KindTariff {
        match kind {
            DocumentKind::Internal => &self.internal,
            DocumentKind::Interbank => &self.interbank,
            DocumentKind::Budget => &self.budget,
            DocumentKind::Conversion => &self.conversion,
            DocumentKind::Foreign => &self.foreign,
        }
    }

    /// Every kind with its tariff, in [`DocumentKind::ALL`] order.
    pub fn tariffs(&self) -> impl Iterator<Item = (DocumentKind, &KindTariff)> + '_ {
        DocumentKind::ALL.into_iter().map(|kind| (kind, self.tariff(kind)))
    }
}

/// One document priced: its amount, the commission, and what moves where (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quote {
    amount: Amount,
    commission: Money,
    withholding: Withholding,
    required_debit: Amount,
    payee_credit: Amount,
}

impl Quote {
    /// The document's amount.
    pub const fn amount(&self) -> Amount {
        self.amount
    }

    /// The commission, in the amount's currency, never negative (zero when free). Shown before
    /// confirmation and credited to the bank's income account.
    pub const fn commission(&self) -> Money {
        self.commission
    }

    pub const fn withholding(&self) -> Withholding {
        self.withholding
    }

    /// What the payer's account is debited, and so what its available balance must cover
    /// amount + commission for [`Withholding::Separate`], the amount for
    /// [`Withholding::FromAmount`].
    pub const fn required_debit(&self) -> Amount {
        self.required_debit
    }

    /// What the payee receives: the amount for [`Withholding::Separate`], amount − commission
    /// for [`Withholding::FromAmount`]. Always positive.
    pub const fn payee_credit(&self) -> Amount {
        self.payee_credit
    }
}

/// Prices one document of `kind` for `amount` under `plan`.
///
/// Refuses a tariff fee, minimum or maximum in another currency than the amount
/// (`tariff_currency_mismatch`), a commission withheld from the amount that would take all of
/// it (`commission_exceeds_amount`), and a debit too large to represent (`amount_overflow`).
pub fn quote(plan: &TariffPlan, kind: DocumentKind, amount: Amount) -> Result<Quote, TariffError> {
    let tariff = plan.tariff(kind);
    let commission = tariff.commission_on(amount)?;
    let (required_debit, payee_credit) = match tariff.withholding {
        Withholding::Separate => {
            let debit = amount.money().checked_add(commission).map_err(|_| TariffError::Overflow)?;
            (debit, amount.money())
        }
        Withholding::FromAmount => {
            let credit = amount.money().checked_sub(commission).map_err(|_| TariffError::Overflow)?;
            (amount.money(), credit)
        }
    };
    let required_debit = Amount::new(required_debit).map_err(|_| TariffError::Overflow)?;
    let payee_credit = Amount::new(payee_credit).map_err(|_| TariffError::Overflow)?;
    // The entry balances: what leaves the payer is what the payee and the bank receive.
    debug_assert_eq!(
        i128::from(required_debit.minor()),
        i128::from(payee_credit.minor()) + i128::from(commission.minor())
    );
    Ok(Quote { amount, commission, withholding: tariff.withholding, required_debit, payee_credit })
}

/// The commission on one document of `kind` for `amount` under `plan`, in the amount's
/// currency, never negative.
///
/// Refuses what [`quote`] refuses except a debit too large to represent: the commission itself
/// always fits.
pub fn commission(plan: &TariffPlan, kind: DocumentKind, amount: Amount) -> Result<Money, TariffError> {
    plan.tariff(kind).commission_on(amount)
}

/// What the payer's account must cover for one document: amount + commission
/// when the commission is a separate posting, the amount when it is withheld from it. The
/// balance check compares this (summed per payer account for a batch) with the available
/// balance and refuses with `insufficient_funds`.
pub fn required_debit(plan: &TariffPlan, kind: DocumentKind, amount: Amount) -> Result<Amount, TariffError> {
    quote(plan, kind, amount).map(|quote| quote.required_debit())
}

/// A batch priced: each document's [`Quote`] in the order given, and totals per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchCommission {
    quotes: Vec<Quote>,
    commissions: BTreeMap<Currency, Money>,
    debits: BTreeMap<Currency, Money>,
}

impl BatchCommission {
    /// One quote per document, in the order the documents were given.
    pub fn quotes(&self) -> &[Quote] {
        &self.quotes
    }

    /// The commission total of every currency in the batch, in currency order; zero for a
    /// currency whose documents are all free, so the screen shows "commission 0.00 KZT" rather
    /// than nothing. The challenge's `commission: [Money]`.
    pub fn commission_totals(&self) -> impl Iterator<Item = Money> + '_ {
        self.commissions.values().copied()
    }

    pub fn commission_total(&self, currency: Currency) -> Option<Money> {
        self.commissions.get(&currency).copied()
    }

    /// What the batch debits in total, per currency (amounts plus separate commissions).
    pub fn debit_totals(&self) -> impl Iterator<Item = Money> + '_ {
        self.debits.values().copied()
    }

    pub fn debit_total(&self, currency: Currency) -> Option<Money> {
        self.debits.get(&currency).copied()
    }
}

/// Prices a batch of documents, given as (kind, amount) in the order of the batch.
///
/// The first document that cannot be priced, or whose total would overflow, is named by its
/// position (0-based). The totals do not depend on the order of the documents.
pub fn batch_commission(
    plan: &TariffPlan,
    documents: &[(DocumentKind, Amount)],
) -> Result<BatchCommission, BatchTariffError> {
    let mut quotes = Vec::with_capacity(documents.len());
    let mut commissions: BTreeMap<Currency, Money> = BTreeMap::new();
    let mut debits: BTreeMap<Currency, Money> = BTreeMap::new();
    for (position, &(kind, amount)) in documents.iter().enumerate() {
        let at = |error: TariffError| BatchTariffError { position, error };
        let quote = quote(plan, kind, amount).map_err(at)?;
        let currency = amount.currency();
        let commission_total = commissions.entry(currency).or_insert(Money::zero(currency));
        *commission_total = commission_total.checked_add(quote.commission()).map_err(|_| at(TariffError::Overflow))?;
        let debit_total = debits.entry(currency).or_insert(Money::zero(currency));
        *debit_total =
            debit_total.checked_add(quote.required_debit().money()).map_err(|_| at(TariffError::Overflow))?;
        quotes.push(quote);
    }
    debug_assert_eq!(quotes.len(), documents.len());
    debug_assert!(commissions.keys().eq(debits.keys()), "one commission total per currency debited");
    Ok(BatchCommission { quotes, commissions, debits })
}

/// Why a tariff plan (or a part of one) was refused when the bank set it. Each variant has a
/// stable [`TariffPlanError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffPlanError {
    #[error("a fee, minimum or maximum cannot be negative ({fee})")]
    FeeNegative { fee: Money },
    #[error("the minimum commission {min} is above the maximum {max}")]
    MinAboveMax { min: Money, max: Money },
    #[error("the minimum is in {min} and the maximum in {max}; they must be in one currency")]
    MinMaxCurrencyMismatch { min: Currency, max: Currency },
    #[error("{0:?} is not a percentage (plain decimal digits, e.g. 0.15 for 0.15 %)")]
    InvalidRate(String),
    #[error("a rate has at most {decimals_max} decimals of a percent; it has {found}")]
    RatePrecision { decimals_max: usize, found: usize },
    #[error("a rate cannot be above 100 %")]
    RateAboveMaximum,
    #[error("a 100 % commission without a maximum, withheld from the amount, would leave every payee nothing")]
    WithholdingTakesWholeAmount,
    #[error("{0:?} is not a withholding mode (separate, from_amount)")]
    InvalidWithholding(String),
    #[error("the plan has no tariff for {0} payments")]
    KindMissing(DocumentKind),
    #[error("the plan gives {0} payments two tariffs")]
    KindDuplicate(DocumentKind),
}

impl TariffPlanError {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            TariffPlanError::FeeNegative { .. } => "fee_negative",
            TariffPlanError::MinAboveMax { .. } => "min_above_max",
            TariffPlanError::MinMaxCurrencyMismatch { .. } => "min_max_currency_mismatch",
            TariffPlanError::InvalidRate(_) => "invalid_rate",
            TariffPlanError::RatePrecision { .. } => "rate_precision",
            TariffPlanError::RateAboveMaximum => "rate_above_maximum",
            TariffPlanError::WithholdingTakesWholeAmount => "withholding_takes_whole_amount",
            TariffPlanError::InvalidWithholding(_) => "invalid_withholding",
            TariffPlanError::KindMissing(_) => "tariff_kind_missing",
            TariffPlanError::KindDuplicate(_) => "tariff_kind_duplicate",
        }
    }
}

/// Why one document could not be priced. Each variant has a stable [`TariffError::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    #[error("the tariff is in {tariff}; it cannot price an amount in {amount}")]
    CurrencyMismatch { tariff: Currency, amount: Currency },
    #[error("the commission {commission} withheld from {amount} would leave the payee nothing")]
    CommissionExceedsAmount { commission: Money, amount: Amount },
    #[error("the amount with its commission is too large to represent")]
    Overflow,
}

impl TariffError {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            TariffError::CurrencyMismatch { .. } => "tariff_currency_mismatch",
            TariffError::CommissionExceedsAmount { .. } => "commission_exceeds_amount",
            TariffError::Overflow => "amount_overflow",
        }
    }
}

/// Why a batch could not be priced: the first document that failed, by its 0-based position in
/// the batch as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("document {position} of the batch: {error}")]
pub struct BatchTariffError {
    pub position: usize,
    pub error: TariffError,
}

impl BatchTariffError {
    /// The document's error code.
    pub fn code(&self) -> &'static str {
        self.error.code()
    }
}

/// `numerator / denominator` rounded to an integer as `rounding` says, for a non-negative
/// numerator and a positive denominator (all a commission needs).
fn divide_rounded(numerator: i128, denominator: i128, rounding: Rounding) -> i128 {
    assert!(numerator >= 0 && denominator > 0, "commissions divide non-negative by positive");
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    // remainder < denominator ≤ 10^6, so doubling cannot overflow.
    let twice_remainder = remainder * 2;
    let round_up = match rounding {
        Rounding::TowardZero => false,
        Rounding::AwayFromZero => remainder > 0,
        Rounding::HalfUp => twice_remainder >= denominator,
        Rounding::HalfEven => twice_remainder > denominator || (twice_remainder == denominator && quotient % 2 == 1),
    };
    let rounded = if round_up { quotient + 1 } else { quotient };
    debug_assert!(rounded * denominator - numerator < denominator && numerator - rounded * denominator < denominator);
    rounded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divide_rounded_names_every_rule() {
        // 0.5, 1.5, 2.5, 0.4, 0.6 of a unit, as n / 10.
        let cases: [(i128, [i128; 4]); 6] = [
            (5, [1, 0, 0, 1]),
            (15, [2, 2, 1, 2]),
            (25, [3, 2, 2, 3]),
            (4, [0, 0, 0, 1]),
            (6, [1, 1, 0, 1]),
            (30, [3, 3, 3, 3]),
        ];
        let rules = [Rounding::HalfUp, Rounding::HalfEven, Rounding::TowardZero, Rounding::AwayFromZero];
        for (numerator, expected) in cases {
            for (rule, want) in rules.into_iter().zip(expected) {
                assert_eq!(divide_rounded(numerator, 10, rule), want, "{numerator}/10 {rule:?}");
            }
        }
    }

    #[test]
    fn rate_text_round_trips() {
        for millionths in [0, 1, 10, 100, 750, 1_500, 10_000, 123_456, 999_999, 1_000_000] {
            let rate = Rate::from_millionths(millionths).expect("in range");
            assert_eq!(Rate::parse_percent(&rate.percent_string()), Ok(rate), "{millionths}");
        }
        assert_eq!(Rate::from_millionths(1_500).expect("in range").to_string(), "0.15%");
    }
}
