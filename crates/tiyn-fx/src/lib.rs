//! Foreign exchange, pure (issue 5): the bank's dealing rates (R-13.2, R-3.1.1.4), the rates in
//! force at an instant, conversions between currencies as legs with their margin and rounding
//! (and the balanced postings they make), and the National Bank of Kazakhstan's official rates,
//! which are reference, not dealing rates.
//!
//! Every figure is exact: rates are decimals with at most [`RATE_SCALE`] fractional digits,
//! amounts are [`Money`](tiyn_core::Money) in minor units, and every rounding is named.

pub mod convert;
pub mod nbk;
pub mod rate;

pub use convert::{Conversion, ConversionAmount, ConversionError, FxAccounts, Leg, Side, convert};
pub use rate::{DealingRate, Pair, RATE_SCALE, Rate, RateError, RateId, RatesInForce};
