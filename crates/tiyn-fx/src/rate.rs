//! Rates: exact decimals, currency pairs, the bank's dealing rates and which of them are in force
//! at an instant.

use std::fmt;

use jiff::Timestamp;
use rust_decimal::Decimal;
use tiyn_core::Currency;

/// Fractional digits a rate may have. Enough for the National Bank's rates divided by their
/// quantity (292.00 KZT per 100 JPY is 2.92; 3.96 KZT per 100 UZS is 0.0396).
pub const RATE_SCALE: u32 = 6;

/// Why a rate or a pair was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("a rate is a decimal number such as 474.20")]
    NotANumber,
    #[error("a rate is greater than zero")]
    NotPositive,
    #[error("a rate has at most {RATE_SCALE} decimals")]
    TooPrecise,
    #[error("a rate is at most 1000000000")]
    TooLarge,
    #[error("a pair is two different currencies")]
    SameCurrency,
    #[error("the bank buys at most at the rate it sells (buy ≤ sell)")]
    BuyAboveSell,
}

impl RateError {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            RateError::NotANumber | RateError::NotPositive | RateError::TooPrecise | RateError::TooLarge => {
                "invalid_rate"
            }
            RateError::SameCurrency => "invalid_pair",
            RateError::BuyAboveSell => "buy_above_sell",
        }
    }
}

/// How many units of a pair's quote currency one unit of its base currency is worth: an exact
/// decimal, positive, with at most [`RATE_SCALE`] fractional digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(Decimal);

impl Rate {
    const MAX: i64 = 1_000_000_000;

    /// Parses `474.2`, `474.20`, `0.0396`; refuses signs other than a leading digit, exponents,
    /// more than [`RATE_SCALE`] decimals.
    pub fn parse(text: &str) -> Result<Rate, RateError> {
        let text = text.trim();
        let valid = !text.is_empty()
            && text.chars().all(|c| c.is_ascii_digit() || c == '.')
            && text.chars().filter(|c| *c == '.').count() <= 1
            && !text.starts_with('.')
            && !text.ends_with('.');
        if !valid {
            return Err(RateError::NotANumber);
        }
        let value: Decimal = text.parse().map_err(|_| RateError::NotANumber)?;
        Rate::from_decimal(value)
    }

    /// A rate from an exact decimal (trailing zeros do not count as decimals).
    pub fn from_decimal(value: Decimal) -> Result<Rate, RateError> {
        let value = value.normalize();
        if value <= Decimal::ZERO {
            return Err(RateError::NotPositive);
        }
        if value.scale() > RATE_SCALE {
            return Err(RateError::TooPrecise);
        }
        if value > Decimal::from(Rate::MAX) {
            return Err(RateError::TooLarge);
        }
        Ok(Rate(value))
    }

    /// The rate implied by paying `paid` for `bought`: the price of one unit of `bought`'s
    /// currency in `paid`'s, half up to the rate's six decimals (a correspondent bank's rate,
    /// reported as the amounts it debited and paid). `None` when either amount is not positive
    /// or the quotient rounds to nothing or past [`Rate::MAX`].
    pub fn implied(paid: tiyn_core::Money, bought: tiyn_core::Money) -> Option<Rate> {
        if !paid.is_positive() || !bought.is_positive() {
            return None;
        }
        let major = |money: tiyn_core::Money| {
            Decimal::from(money.minor()) / Decimal::from(10_i64.pow(money.currency().exponent()))
        };
        let quotient = major(paid).checked_div(major(bought))?;
        let rounded = quotient.round_dp_with_strategy(RATE_SCALE, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        Rate::from_decimal(rounded).ok()
    }

    /// The rate in millionths (`474.2` is `474_200_000`), as the stores keep it.
    pub fn micros(self) -> i64 {
        let scaled = self.0 * Decimal::from(1_000_000);
        i64::try_from(scaled).unwrap_or(i64::MAX)
    }

    /// Reads [`Rate::micros`] back.
    pub fn from_micros(micros: i64) -> Result<Rate, RateError> {
        Rate::from_decimal(Decimal::new(micros, RATE_SCALE))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

/// At least two decimals, more only when the rate has them: `474.20`, `0.0396`.
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.0;
        if value.scale() < 2 {
            value.rescale(2);
        }
        write!(f, "{value}")
    }
}

/// Two different currencies: one unit of `base` is worth a rate of `quote`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pair {
    base: Currency,
    quote: Currency,
}

impl Pair {
    pub fn new(base: Currency, quote: Currency) -> Result<Pair, RateError> {
        if base == quote { Err(RateError::SameCurrency) } else { Ok(Pair { base, quote }) }
    }

    /// The currency against tenge, the usual way the bank quotes it.
    pub fn against_tenge(currency: Currency) -> Result<Pair, RateError> {
        Pair::new(currency, Currency::Kzt)
    }

    pub fn base(self) -> Currency {
        self.base
    }

    pub fn quote(self) -> Currency {
        self.quote
    }
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base.code(), self.quote.code())
    }
}

/// The id the store gave a dealing rate; a conversion names the rates it used, so it can be
/// reproduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RateId(i64);

impl RateId {
    pub fn new(id: i64) -> RateId {
        RateId(id)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for RateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The bank's dealing rates for a pair from an instant on: it buys the base currency from
/// clients at `buy` and sells it to them at `sell` (`buy ≤ sell`). A later rate for the same pair
/// replaces it; history is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealingRate {
    id: RateId,
    pair: Pair,
    buy: Rate,
    sell: Rate,
    valid_from: Timestamp,
}

impl DealingRate {
    pub fn new(id: RateId, pair: Pair, buy: Rate, sell: Rate, valid_from: Timestamp) -> Result<DealingRate, RateError> {
        if buy > sell {
            return Err(RateError::BuyAboveSell);
        }
        Ok(DealingRate { id, pair, buy, sell, valid_from })
    }

    pub fn id(&self) -> RateId {
        self.id
    }

    pub fn pair(&self) -> Pair {
        self.pair
    }

    pub fn buy(&self) -> Rate {
        self.buy
    }

    pub fn sell(&self) -> Rate {
        self.sell
    }

    /// The middle of buy and sell: the value the bank's margin is measured against.
    pub fn mid(&self) -> Decimal {
        (self.buy.value() + self.sell.value()) / Decimal::TWO
    }

    pub fn valid_from(&self) -> Timestamp {
        self.valid_from
    }
}

/// The dealing rates in force at one instant: per pair, the latest that started at or before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatesInForce {
    at: Timestamp,
    rates: Vec<DealingRate>,
}

impl RatesInForce {
    /// From any rates (history included): keeps, per pair, the latest valid at `at` (ties: the
    /// highest id, the one set last).
    pub fn at(at: Timestamp, rates: impl IntoIterator<Item = DealingRate>) -> RatesInForce {
        let mut latest: Vec<DealingRate> = Vec::new();
        for rate in rates.into_iter().filter(|rate| rate.valid_from <= at) {
            match latest.iter_mut().find(|kept| kept.pair == rate.pair) {
                Some(kept) => {
                    if (rate.valid_from, rate.id) > (kept.valid_from, kept.id) {
                        *kept = rate;
                    }
                }
                None => latest.push(rate),
            }
        }
        latest.sort_by_key(|rate| rate.pair);
        RatesInForce { at, rates: latest }
    }

    pub fn instant(&self) -> Timestamp {
        self.at
    }

    /// The rate of exactly this pair.
    pub fn get(&self, pair: Pair) -> Option<&DealingRate> {
        self.rates.iter().find(|rate| rate.pair == pair)
    }

    pub fn all(&self) -> &[DealingRate] {
        &self.rates
    }
}

#[cfg(test)]
mod implied_tests {
    use tiyn_core::{Currency, Money};

    use super::Rate;

    #[test]
    fn r_13_1_a_correspondent_rate_is_implied_by_its_amounts() {
        let paid = Money::from_minor(109_347, Currency::Usd);
        let bought = Money::from_minor(100_000, Currency::Eur);
        assert_eq!(Rate::implied(paid, bought).map(|rate| rate.to_string()), Some("1.09347".to_owned()));
        // The yen has no decimals: 15,000 JPY for 100.00 USD is 150 yen per dollar.
        let yen = Money::from_minor(15_000, Currency::Jpy);
        assert_eq!(
            Rate::implied(yen, Money::from_minor(10_000, Currency::Usd)).map(|rate| rate.to_string()),
            Some("150.00".into())
        );
        assert_eq!(Rate::implied(Money::zero(Currency::Usd), bought), None);
    }
}
