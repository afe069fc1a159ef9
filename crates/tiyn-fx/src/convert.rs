//! Conversions between currencies (R-3.1.1.4): one leg at a direct rate, or two legs through tenge
//! (cross), each at the bank's buy or sell rate; the bank's margin against the mid rate and the
//! rounding of every leg, and the balanced postings of the whole conversion.
//!
//! A leg exchanges a pair's base currency against its quote currency. The client's amounts are
//! rounded to the minor unit with the [`Rounding`] the bank configures (half-up by default). In the
//! quote currency the leg posts:
//!
//! - the client's amount (to or from the client);
//! - the base amount valued at the mid rate, rounded half-up, to or from the bank's FX position;
//! - the margin, `|base × mid − client's amount|` rounded half-up, to the bank's FX income (a leg
//!   whose rounding would give the client more than the mid value of what it gives is refused,
//!   so no sequence of conversions can create money for the client);
//! - what the two roundings leave (at most one minor unit either way) to the rounding account,
//!
//! so every currency of every conversion sums to zero, the margin is visible as income, and no
//! rounding disappears.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use tiyn_core::{AccountId, Currency, Money, Rounding};
use tiyn_ledger::Posting;

use crate::rate::{DealingRate, Pair, Rate, RateId, RatesInForce};

/// What the client fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionAmount {
    /// The amount to sell: debited from the client, in the currency converted from.
    Sell(Money),
    /// The amount to buy: credited to the client, in the currency converted to.
    Buy(Money),
}

/// Which way a leg goes for the bank, in its pair's base currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client sells the base currency; the bank buys it at its buy rate.
    BankBuys,
    /// The client buys the base currency; the bank sells it at its sell rate.
    BankSells,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::BankBuys => "bank_buys",
            Side::BankSells => "bank_sells",
        }
    }
}

/// One exchange at one dealing rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub rate: RateId,
    pub pair: Pair,
    pub side: Side,
    /// The buy or the sell rate, as `side` says.
    pub applied: Rate,
    /// The mid rate the margin is measured against.
    pub mid: Decimal,
    /// In the pair's base currency.
    pub base_amount: Money,
    /// The client's amount in the pair's quote currency.
    pub quote_amount: Money,
    /// `base_amount × mid`, rounded half-up, in the quote currency: what the FX position moves by.
    pub position_value: Money,
    /// The bank's margin in the quote currency.
    pub margin: Money,
    /// What the roundings leave, in the quote currency (−1, 0 or +1 minor unit).
    pub rounding: Money,
}

impl Leg {
    /// What the client gives in this leg.
    pub fn debit(&self) -> Money {
        match self.side {
            Side::BankBuys => self.base_amount,
            Side::BankSells => self.quote_amount,
        }
    }

    /// What the client receives in this leg.
    pub fn credit(&self) -> Money {
        match self.side {
            Side::BankBuys => self.quote_amount,
            Side::BankSells => self.base_amount,
        }
    }
}

/// A conversion: what the client gives, what it receives, and the legs between (one for a direct
/// rate, two through tenge for a cross), reproducible from the rate ids and the rounding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    pub debit: Money,
    pub credit: Money,
    pub legs: Vec<Leg>,
    pub rounding: Rounding,
}

/// Why a conversion cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    #[error("a conversion is between two different currencies")]
    SameCurrency,
    #[error("the amount to sell is in the currency converted from, the amount to buy in the one converted to")]
    AmountCurrency,
    #[error("the amount is greater than zero")]
    NotPositive,
    #[error("the bank has no rate in force to convert {from} to {to}")]
    NoRate { from: &'static str, to: &'static str },
    #[error(
        "the amount is too small to convert at this rate: it converts to nothing, or its rounding exceeds the bank's margin"
    )]
    TooSmall,
    #[error("the amount is too large to convert")]
    Overflow,
    #[error("no FX accounts are given for {0}")]
    NoAccounts(&'static str),
}

impl ConversionError {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            ConversionError::SameCurrency => "same_currency",
            ConversionError::AmountCurrency => "amount_currency",
            ConversionError::NotPositive => "invalid_amount",
            ConversionError::NoRate { .. } => "no_rate",
            ConversionError::TooSmall => "amount_too_small",
            ConversionError::Overflow => "amount_too_large",
            ConversionError::NoAccounts(_) => "no_fx_accounts",
        }
    }
}

/// Converts between `from` and `to` at the rates in force: a direct rate of either pair if the
/// bank set one, otherwise through tenge with both currencies' rates against it.
pub fn convert(
    from: Currency,
    to: Currency,
    amount: ConversionAmount,
    rates: &RatesInForce,
    rounding: Rounding,
) -> Result<Conversion, ConversionError> {
    if from == to {
        return Err(ConversionError::SameCurrency);
    }
    let fixed = match amount {
        ConversionAmount::Sell(money) if money.currency() == from => money,
        ConversionAmount::Buy(money) if money.currency() == to => money,
        _ => return Err(ConversionError::AmountCurrency),
    };
    if !fixed.is_positive() {
        return Err(ConversionError::NotPositive);
    }
    let pair = |base, quote| Pair::new(base, quote).ok().and_then(|pair| rates.get(pair));
    let no_rate = || ConversionError::NoRate { from: from.code(), to: to.code() };
    let legs = if let Some(rate) = pair(from, to) {
        vec![leg(rate, Side::BankBuys, amount, rounding)?]
    } else if let Some(rate) = pair(to, from) {
        vec![leg(rate, Side::BankSells, amount, rounding)?]
    } else if from != Currency::Kzt && to != Currency::Kzt {
        let first = pair(from, Currency::Kzt).ok_or_else(no_rate)?;
        let second = pair(to, Currency::Kzt).ok_or_else(no_rate)?;
        match amount {
            ConversionAmount::Sell(_) => {
                let sold = leg(first, Side::BankBuys, amount, rounding)?;
                let bought = leg(second, Side::BankSells, ConversionAmount::Sell(sold.credit()), rounding)?;
                vec![sold, bought]
            }
            ConversionAmount::Buy(_) => {
                let bought = leg(second, Side::BankSells, amount, rounding)?;
                let sold = leg(first, Side::BankBuys, ConversionAmount::Buy(bought.debit()), rounding)?;
                vec![sold, bought]
            }
        }
    } else {
        return Err(no_rate());
    };
    let debit = legs.first().map(Leg::debit).ok_or_else(no_rate)?;
    let credit = legs.last().map(Leg::credit).ok_or_else(no_rate)?;
    Ok(Conversion { debit, credit, legs, rounding })
}

fn money(value: Decimal, currency: Currency, rounding: Rounding) -> Result<Money, ConversionError> {
    let money = Money::from_decimal(value, currency, rounding).map_err(|_| ConversionError::Overflow)?;
    if money.is_positive() { Ok(money) } else { Err(ConversionError::TooSmall) }
}

/// One leg at `rate`, from the amount the client gives (`Sell`) or receives (`Buy`).
fn leg(rate: &DealingRate, side: Side, amount: ConversionAmount, rounding: Rounding) -> Result<Leg, ConversionError> {
    let pair = rate.pair();
    let applied = match side {
        Side::BankBuys => rate.buy(),
        Side::BankSells => rate.sell(),
    };
    let r = applied.value();
    let mul = |money: Money| money.to_decimal().checked_mul(r).ok_or(ConversionError::Overflow);
    let div = |money: Money| money.to_decimal().checked_div(r).ok_or(ConversionError::Overflow);
    // (base amount, the client's quote amount)
    let (base_amount, quote_amount) = match (side, amount) {
        // The client gives base, receives quote.
        (Side::BankBuys, ConversionAmount::Sell(given)) => (given, money(mul(given)?, pair.quote(), rounding)?),
        (Side::BankBuys, ConversionAmount::Buy(received)) => (money(div(received)?, pair.base(), rounding)?, received),
        // The client gives quote, receives base.
        (Side::BankSells, ConversionAmount::Sell(given)) => (money(div(given)?, pair.base(), rounding)?, given),
        (Side::BankSells, ConversionAmount::Buy(received)) => {
            (received, money(mul(received)?, pair.quote(), rounding)?)
        }
    };
    let mid = rate.mid();
    let position_exact = base_amount.to_decimal().checked_mul(mid).ok_or(ConversionError::Overflow)?;
    let position_value =
        Money::from_decimal(position_exact, pair.quote(), Rounding::HalfUp).map_err(|_| ConversionError::Overflow)?;
    let client = quote_amount.to_decimal();
    let margin_exact = match side {
        Side::BankBuys => position_exact - client,
        Side::BankSells => client - position_exact,
    };
    let margin =
        Money::from_decimal(margin_exact, pair.quote(), Rounding::HalfUp).map_err(|_| ConversionError::Overflow)?;
    // Rounding a tiny amount can give the client more than the mid value of what it gives (1.00
    // of a currency worth 0.005 KZT would become 0.01 KZT half-up): such a leg would pay the
    // client to convert, and repeated it would drain the bank, so it is refused. With any spread
    // this only refuses amounts worth a few minor units.
    if margin_exact.is_sign_negative() && !margin_exact.is_zero() {
        return Err(ConversionError::TooSmall);
    }
    let residue = match side {
        Side::BankBuys => position_value.minor() - quote_amount.minor() - margin.minor(),
        Side::BankSells => quote_amount.minor() - position_value.minor() - margin.minor(),
    };
    Ok(Leg {
        rate: rate.id(),
        pair,
        side,
        applied,
        mid,
        base_amount,
        quote_amount,
        position_value,
        margin,
        rounding: Money::from_minor(residue, pair.quote()),
    })
}

/// The bank's accounts of one currency that conversions post to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FxAccounts {
    pub currency: Currency,
    /// The bank's open position in the currency.
    pub position: AccountId,
    /// The bank's FX income (the margin).
    pub income: AccountId,
    /// What roundings leave.
    pub rounding: AccountId,
}

impl Conversion {
    /// The postings of the whole conversion: `payer` gives the debit, `payee` receives the credit,
    /// and every leg's position, margin and rounding lines (the tenge that passes between the two
    /// legs of a cross is the client's for an instant and is not posted). Postings of one account
    /// are merged; zeros are left out. Balanced in every currency.
    pub fn postings(
        &self,
        payer: AccountId,
        payee: AccountId,
        accounts: &[FxAccounts],
    ) -> Result<Vec<Posting>, ConversionError> {
        let book = |currency: Currency| {
            accounts
                .iter()
                .find(|accounts| accounts.currency == currency)
                .ok_or(ConversionError::NoAccounts(currency.code()))
        };
        let mut lines: BTreeMap<(AccountId, Currency), i64> = BTreeMap::new();
        let mut add = |account: AccountId, money: Money| {
            *lines.entry((account, money.currency())).or_default() += money.minor();
        };
        add(payer, negate(self.debit));
        add(payee, self.credit);
        for leg in &self.legs {
            let base = book(leg.pair.base())?;
            let quote = book(leg.pair.quote())?;
            match leg.side {
                Side::BankBuys => {
                    add(base.position, leg.base_amount);
                    add(quote.position, negate(leg.position_value));
                }
                Side::BankSells => {
                    add(base.position, negate(leg.base_amount));
                    add(quote.position, leg.position_value);
                }
            }
            add(quote.income, leg.margin);
            add(quote.rounding, leg.rounding);
        }
        Ok(lines
            .into_iter()
            .filter(|(_, minor)| *minor != 0)
            .map(|((account, currency), minor)| Posting { account, amount: Money::from_minor(minor, currency) })
            .collect())
    }
}

fn negate(money: Money) -> Money {
    Money::from_minor(-money.minor(), money.currency())
}
