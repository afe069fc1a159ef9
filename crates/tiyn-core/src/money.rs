//! Exact money: an integer count of minor units with an ISO 4217 currency.
//!
//! There are no floats anywhere in this module. Amounts enter the system as decimal strings
//! (`"1500.00"`), are parsed into minor units (`150000`), and leave it as decimal strings again.
//! Arithmetic is checked: an overflow or a currency mismatch is an error value, never a wrap or a
//! panic. Where a fractional value must become money (a conversion at a rate), the caller names
//! the [`Rounding`] mode; nothing rounds implicitly.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// An ISO 4217 currency the platform can hold accounts in or convert to.
///
/// The list is closed on purpose: a new currency needs its exponent and its numeric code checked
/// against ISO 4217, and the FX and statement code reviewed, before accounts can be opened in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    Kzt,
    Usd,
    Eur,
    Rub,
    Cny,
    Gbp,
    Jpy,
    Kgs,
    Uzs,
    Try,
    Aed,
    Chf,
}

impl Currency {
    /// Every supported currency, in a stable order (used by directories and property tests).
    pub const ALL: [Currency; 12] = [
        Currency::Kzt,
        Currency::Usd,
        Currency::Eur,
        Currency::Rub,
        Currency::Cny,
        Currency::Gbp,
        Currency::Jpy,
        Currency::Kgs,
        Currency::Uzs,
        Currency::Try,
        Currency::Aed,
        Currency::Chf,
    ];

    /// The alphabetic ISO 4217 code, e.g. `"KZT"`.
    pub const fn code(self) -> &'static str {
        match self {
            Currency::Kzt => "KZT",
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Rub => "RUB",
            Currency::Cny => "CNY",
            Currency::Gbp => "GBP",
            Currency::Jpy => "JPY",
            Currency::Kgs => "KGS",
            Currency::Uzs => "UZS",
            Currency::Try => "TRY",
            Currency::Aed => "AED",
            Currency::Chf => "CHF",
        }
    }

    /// The numeric ISO 4217 code, used by MT940 and some ISO 20022 fields.
    pub const fn numeric(self) -> u16 {
        match self {
            Currency::Kzt => 398,
            Currency::Usd => 840,
            Currency::Eur => 978,
            Currency::Rub => 643,
            Currency::Cny => 156,
            Currency::Gbp => 826,
            Currency::Jpy => 392,
            Currency::Kgs => 417,
            Currency::Uzs => 860,
            Currency::Try => 949,
            Currency::Aed => 784,
            Currency::Chf => 756,
        }
    }

    /// The number of minor-unit digits (ISO 4217 exponent): 2 for KZT and USD, 0 for JPY.
    pub const fn exponent(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            Currency::Kzt
            | Currency::Usd
            | Currency::Eur
            | Currency::Rub
            | Currency::Cny
            | Currency::Gbp
            | Currency::Kgs
            | Currency::Uzs
            | Currency::Try
            | Currency::Aed
            | Currency::Chf => 2,
        }
    }

    /// Minor units in one major unit: 100 for KZT, 1 for JPY.
    pub const fn minor_per_major(self) -> i64 {
        10_i64.pow(self.exponent())
    }

    /// Parses an upper-case alphabetic ISO 4217 code. Lower case is refused so that a code is
    /// spelled one way in every document and export.
    pub fn parse(code: &str) -> Result<Currency, CurrencyError> {
        Currency::ALL
            .into_iter()
            .find(|currency| currency.code() == code)
            .ok_or_else(|| CurrencyError::Unsupported(code.chars().take(8).collect()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::parse(code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    #[error("currency {0:?} is not supported (expected an upper-case ISO 4217 code such as KZT, USD, EUR)")]
    Unsupported(String),
}

impl CurrencyError {
    pub fn code(&self) -> &'static str {
        "unsupported_currency"
    }
}

/// Why a decimal amount string was refused. Each variant is a distinct thing the user can fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("the amount is empty")]
    Empty,
    #[error("the amount may only contain digits, one '.' and a leading '-'; found {0:?}")]
    InvalidCharacter(char),
    #[error(
        "the amount is not a plain decimal number (no exponent, no leading '+', no '.' without digits on both sides)"
    )]
    Malformed,
    #[error("the amount has a superfluous leading zero")]
    LeadingZero,
    #[error("negative zero is not an amount")]
    NegativeZero,
    #[error("{currency} has {allowed} decimal digits; the amount has {found}")]
    TooManyDecimals { currency: Currency, allowed: u32, found: usize },
    #[error("{currency} amounts must have exactly {expected} decimal digits; the amount has {found}")]
    WrongScale { currency: Currency, expected: u32, found: usize },
    #[error("the amount is too large")]
    Overflow,
    #[error("the amount must be greater than zero")]
    NotPositive,
}

impl AmountError {
    pub fn code(&self) -> &'static str {
        match self {
            AmountError::TooManyDecimals { .. } | AmountError::WrongScale { .. } => "amount_precision",
            AmountError::Overflow => "amount_overflow",
            AmountError::NotPositive => "amount_not_positive",
            AmountError::Empty
            | AmountError::InvalidCharacter(_)
            | AmountError::Malformed
            | AmountError::LeadingZero
            | AmountError::NegativeZero => "invalid_amount",
        }
    }
}

/// Why arithmetic on money was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine {left} and {right} amounts")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("the amount is out of range")]
    Overflow,
}

impl MoneyError {
    pub fn code(&self) -> &'static str {
        match self {
            MoneyError::CurrencyMismatch { .. } => "currency_mismatch",
            MoneyError::Overflow => "amount_overflow",
        }
    }
}

/// How a fractional number of minor units becomes a whole one. There is no default: every call
/// site that rounds says how, so that a statement can state its rounding rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Half away from zero: 0.005 → 0.01, -0.005 → -0.01 (the usual commercial rule).
    HalfUp,
    /// Half to even (banker's rounding): 0.005 → 0.00, 0.015 → 0.02.
    HalfEven,
    /// Toward zero: never gives more than the exact value in absolute terms.
    TowardZero,
    /// Away from zero: never gives less than the exact value in absolute terms (commissions).
    AwayFromZero,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::TowardZero => RoundingStrategy::ToZero,
            Rounding::AwayFromZero => RoundingStrategy::AwayFromZero,
        }
    }
}

/// A signed amount of money: whole minor units of one currency.
///
/// Signed because balances and ledger postings are signed; an amount that must be positive (what
/// a transfer moves) is an [`Amount`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// The largest number of integer digits an amount string may have before it is refused without
/// arithmetic: i64 has 19 digits, so anything longer cannot fit for any exponent. Together with the
/// exponent (at most 3 in ISO 4217) the digits always fit the i128 the parser accumulates in.
const AMOUNT_INTEGER_DIGITS_MAX: usize = 19;

impl Money {
    pub const fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    pub const fn minor(self) -> i64 {
        self.minor
    }

    pub const fn currency(self) -> Currency {
        self.currency
    }

    pub const fn is_zero(self) -> bool {
        self.minor == 0
    }

    pub const fn is_positive(self) -> bool {
        self.minor > 0
    }

    pub const fn is_negative(self) -> bool {
        self.minor < 0
    }

    /// Parses a decimal string a person typed: up to the currency's number of decimals
    /// (`"1500"`, `"1500.5"` and `"1500.50"` are the same KZT amount). Refuses floats' spellings
    /// (`"1e3"`), a leading `+`, negative zero, superfluous leading zeros, and anything that would
    /// need rounding (`"1.001"` KZT).
    pub fn parse(text: &str, currency: Currency) -> Result<Money, AmountError> {
        let parts = split_decimal(text)?;
        let allowed = currency.exponent();
        if parts.fraction.len() > allowed as usize {
            return Err(AmountError::TooManyDecimals { currency, allowed, found: parts.fraction.len() });
        }
        parts.to_money(currency)
    }

    /// Parses the canonical API form: exactly the currency's number of decimals (`"1500.00"` KZT,
    /// `"1500"` JPY). Clients that speak the API are machines; one spelling per amount keeps
    /// idempotency digests and signatures stable.
    pub fn parse_canonical(text: &str, currency: Currency) -> Result<Money, AmountError> {
        let parts = split_decimal(text)?;
        let expected = currency.exponent();
        if parts.fraction.len() > expected as usize {
            return Err(AmountError::TooManyDecimals { currency, allowed: expected, found: parts.fraction.len() });
        }
        if parts.fraction.len() != expected as usize {
            return Err(AmountError::WrongScale { currency, expected, found: parts.fraction.len() });
        }
        parts.to_money(currency)
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, currency: self.currency })
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self.minor.checked_sub(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, currency: self.currency })
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let minor = self.minor.checked_neg().ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, currency: self.currency })
    }

    /// The exact decimal value in major units (150000 minor KZT → 1500.00).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.minor, self.currency.exponent())
    }

    /// Money from an exact decimal in major units, rounded to the currency's minor unit as told.
    pub fn from_decimal(value: Decimal, currency: Currency, rounding: Rounding) -> Result<Money, MoneyError> {
        let rounded = value.round_dp_with_strategy(currency.exponent(), rounding.strategy());
        let minor = rounded.checked_mul(Decimal::from(currency.minor_per_major())).ok_or(MoneyError::Overflow)?;
        debug_assert!(minor.fract().is_zero(), "rounded to the exponent, so whole minor units");
        let minor = i64::try_from(minor).map_err(|_| MoneyError::Overflow)?;
        Ok(Money { minor, currency })
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch { left: self.currency, right: other.currency })
        }
    }

    /// The amount as a decimal string with exactly the currency's decimals and no currency code:
    /// `"-1500.00"`, `"1500"` for JPY. This is the API and export spelling.
    pub fn amount_string(self) -> String {
        let exponent = self.currency.exponent();
        let sign = if self.minor < 0 { "-" } else { "" };
        let magnitude = self.minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10_u64.pow(exponent);
        format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale, width = exponent as usize)
    }
}

impl fmt::Display for Money {
    /// `1500.00 KZT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

/// A strictly positive amount: what a transfer, a hold or a fee moves. A zero or negative transfer
/// is not representable, so no code path has to remember to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount(Money);

impl Amount {
    pub fn new(money: Money) -> Result<Amount, AmountError> {
        if money.is_positive() { Ok(Amount(money)) } else { Err(AmountError::NotPositive) }
    }

    /// Parses like [`Money::parse`] and then requires a positive value.
    pub fn parse(text: &str, currency: Currency) -> Result<Amount, AmountError> {
        Amount::new(Money::parse(text, currency)?)
    }

    /// Parses like [`Money::parse_canonical`] and then requires a positive value.
    pub fn parse_canonical(text: &str, currency: Currency) -> Result<Amount, AmountError> {
        Amount::new(Money::parse_canonical(text, currency)?)
    }

    pub const fn money(self) -> Money {
        self.0
    }

    pub const fn minor(self) -> i64 {
        self.0.minor
    }

    pub const fn currency(self) -> Currency {
        self.0.currency
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The pieces of a syntactically valid decimal string.
struct DecimalParts<'a> {
    negative: bool,
    integer: &'a str,
    fraction: &'a str,
}

impl DecimalParts<'_> {
    fn to_money(&self, currency: Currency) -> Result<Money, AmountError> {
        let exponent = currency.exponent() as usize;
        debug_assert!(self.fraction.len() <= exponent);
        let padding = std::iter::repeat_n(b'0', exponent - self.fraction.len());
        let magnitude = self
            .integer
            .bytes()
            .chain(self.fraction.bytes())
            .chain(padding)
            .fold(0_i128, |acc, digit| acc * 10 + i128::from(digit - b'0'));
        if self.negative && magnitude == 0 {
            return Err(AmountError::NegativeZero);
        }
        let signed = if self.negative { -magnitude } else { magnitude };
        let minor = i64::try_from(signed).map_err(|_| AmountError::Overflow)?;
        Ok(Money { minor, currency })
    }
}

fn split_decimal(text: &str) -> Result<DecimalParts<'_>, AmountError> {
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    if let Some(bad) = text.chars().find(|c| !(c.is_ascii_digit() || *c == '.' || *c == '-')) {
        return Err(match bad {
            'e' | 'E' | '+' => AmountError::Malformed,
            other => AmountError::InvalidCharacter(other),
        });
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if unsigned.contains('-') {
        return Err(AmountError::Malformed);
    }
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => {
            if fraction.is_empty() || fraction.contains('.') {
                return Err(AmountError::Malformed);
            }
            (integer, fraction)
        }
        None => (unsigned, ""),
    };
    if integer.is_empty() {
        return Err(AmountError::Malformed);
    }
    if integer.len() > 1 && integer.starts_with('0') {
        return Err(AmountError::LeadingZero);
    }
    if integer.len() > AMOUNT_INTEGER_DIGITS_MAX {
        return Err(AmountError::Overflow);
    }
    Ok(DecimalParts { negative, integer, fraction })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kzt(text: &str) -> Result<Money, AmountError> {
        Money::parse(text, Currency::Kzt)
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(kzt("1500"), Ok(Money::from_minor(150_000, Currency::Kzt)));
        assert_eq!(kzt("1500.5"), Ok(Money::from_minor(150_050, Currency::Kzt)));
        assert_eq!(kzt("1500.05"), Ok(Money::from_minor(150_005, Currency::Kzt)));
        assert_eq!(kzt("0.01"), Ok(Money::from_minor(1, Currency::Kzt)));
        assert_eq!(kzt("-12.30"), Ok(Money::from_minor(-1230, Currency::Kzt)));
        assert_eq!(Money::parse("1500", Currency::Jpy), Ok(Money::from_minor(1500, Currency::Jpy)));
    }

    /// an amount with wrong requisites is refused, each with its own reason.
    #[test]
    fn r_6_1_3_refuses_bad_amounts_precisely() {
        use AmountError::*;
        let cases: &[(&str, AmountError)] = &[
            ("", Empty),
            ("1.001", TooManyDecimals { currency: Currency::Kzt, allowed: 2, found: 3 }),
            ("-0", NegativeZero),
            ("-0.00", NegativeZero),
            ("1e3", Malformed),
            ("1E3", Malformed),
            ("+1", Malformed),
            ("1.", Malformed),
            (".5", Malformed),
            ("1.2.3", Malformed),
            ("--1", Malformed),
            ("1-", Malformed),
            ("01", LeadingZero),
            ("00.10", LeadingZero),
            ("1 000", InvalidCharacter(' ')),
            ("1,50", InvalidCharacter(',')),
            (" 1", InvalidCharacter(' ')),
            ("NaN", InvalidCharacter('N')),
            ("99999999999999999.99", Overflow),
            ("100000000000000000", Overflow),
            ("92233720368547758.08", Overflow),
            ("12345678901234567890", Overflow),
        ];
        for (text, expected) in cases {
            assert_eq!(kzt(text).as_ref(), Err(expected), "input {text:?}");
        }
        assert_eq!(
            Money::parse("1.5", Currency::Jpy),
            Err(TooManyDecimals { currency: Currency::Jpy, allowed: 0, found: 1 })
        );
    }

    #[test]
    fn canonical_form_requires_exact_scale() {
        assert_eq!(Money::parse_canonical("1500.00", Currency::Kzt), Ok(Money::from_minor(150_000, Currency::Kzt)));
        assert_eq!(
            Money::parse_canonical("1500", Currency::Kzt),
            Err(AmountError::WrongScale { currency: Currency::Kzt, expected: 2, found: 0 })
        );
        assert_eq!(
            Money::parse_canonical("1500.5", Currency::Kzt),
            Err(AmountError::WrongScale { currency: Currency::Kzt, expected: 2, found: 1 })
        );
        assert_eq!(Money::parse_canonical("7", Currency::Jpy), Ok(Money::from_minor(7, Currency::Jpy)));
    }

    #[test]
    fn amount_must_be_positive() {
        assert_eq!(Amount::parse("0", Currency::Kzt), Err(AmountError::NotPositive));
        assert_eq!(Amount::parse("-1", Currency::Kzt), Err(AmountError::NotPositive));
        assert_eq!(Amount::parse("0.01", Currency::Kzt).map(Amount::minor), Ok(1));
    }

    #[test]
    fn formats_with_exact_decimals() {
        assert_eq!(Money::from_minor(150_000, Currency::Kzt).to_string(), "1500.00 KZT");
        assert_eq!(Money::from_minor(-5, Currency::Usd).amount_string(), "-0.05");
        assert_eq!(Money::from_minor(1500, Currency::Jpy).amount_string(), "1500");
        assert_eq!(Money::from_minor(i64::MIN, Currency::Kzt).amount_string(), "-92233720368547758.08");
    }

    #[test]
    fn arithmetic_refuses_overflow_and_mixed_currencies() {
        let max = Money::from_minor(i64::MAX, Currency::Kzt);
        let one = Money::from_minor(1, Currency::Kzt);
        assert_eq!(max.checked_add(one), Err(MoneyError::Overflow));
        assert_eq!(Money::from_minor(i64::MIN, Currency::Kzt).checked_neg(), Err(MoneyError::Overflow));
        assert_eq!(
            one.checked_add(Money::from_minor(1, Currency::Usd)),
            Err(MoneyError::CurrencyMismatch { left: Currency::Kzt, right: Currency::Usd })
        );
    }

    #[test]
    fn rounding_is_explicit() {
        let half = Decimal::new(5, 3); // 0.005
        let cases =
            [(Rounding::HalfUp, 1), (Rounding::HalfEven, 0), (Rounding::TowardZero, 0), (Rounding::AwayFromZero, 1)];
        for (rounding, minor) in cases {
            assert_eq!(
                Money::from_decimal(half, Currency::Kzt, rounding),
                Ok(Money::from_minor(minor, Currency::Kzt)),
                "{rounding:?}"
            );
        }
        assert_eq!(
            Money::from_decimal(Decimal::new(-15, 3), Currency::Usd, Rounding::HalfEven),
            Ok(Money::from_minor(-2, Currency::Usd))
        );
    }

    #[test]
    fn currency_codes_round_trip() {
        for currency in Currency::ALL {
            assert_eq!(Currency::parse(currency.code()), Ok(currency));
        }
        assert!(Currency::parse("kzt").is_err());
        assert!(Currency::parse("XXX").is_err());
    }

    fn any_currency() -> impl Strategy<Value = Currency> {
        proptest::sample::select(Currency::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_is_identity(minor in any::<i64>(), currency in any_currency()) {
            let money = Money::from_minor(minor, currency);
            prop_assert_eq!(Money::parse_canonical(&money.amount_string(), currency), Ok(money));
            prop_assert_eq!(Money::parse(&money.amount_string(), currency), Ok(money));
        }

        #[test]
        fn decimal_round_trip_is_exact(minor in any::<i64>(), currency in any_currency()) {
            let money = Money::from_minor(minor, currency);
            prop_assert_eq!(Money::from_decimal(money.to_decimal(), currency, Rounding::HalfEven), Ok(money));
        }

        #[test]
        fn add_then_sub_is_identity_when_it_fits(a in any::<i64>(), b in any::<i64>()) {
            let (a, b) = (Money::from_minor(a, Currency::Kzt), Money::from_minor(b, Currency::Kzt));
            match a.checked_add(b) {
                Ok(sum) => prop_assert_eq!(sum.checked_sub(b), Ok(a)),
                Err(error) => prop_assert_eq!(error, MoneyError::Overflow),
            }
        }

        #[test]
        fn parser_never_panics(text in "\\PC{0,30}") {
            let _ = Money::parse(&text, Currency::Kzt);
            let _ = Money::parse_canonical(&text, Currency::Jpy);
        }

        #[test]
        fn rounding_moves_at_most_one_minor_unit(mantissa in -1_000_000_000_000_i64..1_000_000_000_000, scale in 0_u32..8) {
            let value = Decimal::new(mantissa, scale);
            for rounding in [Rounding::HalfUp, Rounding::HalfEven, Rounding::TowardZero, Rounding::AwayFromZero] {
                let money = Money::from_decimal(value, Currency::Kzt, rounding);
                prop_assert!(money.is_ok());
                let difference = (money.map(Money::to_decimal).unwrap_or_default() - value).abs();
                prop_assert!(difference < Decimal::new(1, 2));
            }
        }
    }
}
