//! The bank's FX rates as use cases (issue 5, R-13.2, R-3.1.1.4): the bank sets a buy and a sell
//! rate per pair from an instant (several a day; direct cross rates too), everyone reads the rates
//! in force at an instant or at the end of a business day and a pair's history, and the bank
//! imports the National Bank's official rates, which are reference, never a dealing rate.
//!
//! Inputs are parsed here once for the API, the cabinet and the console ([`RawRate`],
//! [`RatePeriod::parse`]), each problem reported with its field. Setting a rate and importing
//! official rates are the bank's actions, audited. A rate's `valid_from` is never in the past:
//! the history must keep answering what *was* in force.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use tiyn_core::Currency;
use tiyn_fx::nbk::NbkRates;
use tiyn_fx::{DealingRate, Pair, Rate, RateError, RatesInForce};
use tiyn_identity::{BankActor, Context};
use tiyn_store::fx::{NbkImport, NbkRateRecord, NewDealingRate};

use crate::{Banking, BankingError};

/// Audit actions of the rates.
pub mod audit_action {
    /// The bank set a dealing rate.
    pub const RATE_SET: &str = "rates.set";
    /// The bank imported a day of the National Bank's official rates.
    pub const NBK_IMPORT: &str = "rates.nbk_import";
}

/// How far ahead a rate may take effect: rates are set for the next hours or days, and a typo in
/// the year must not plant a rate in 2062.
pub const VALID_FROM_AHEAD_DAYS_MAX: i64 = 31;
/// The longest history one request reads: a year of daily changes is a few thousand rows.
pub const HISTORY_PERIOD_DAYS_MAX: i64 = 366;
/// The period a history covers when the caller does not say: the cabinet's chart.
pub const HISTORY_PERIOD_DAYS_DEFAULT: i64 = 30;

/// Field names of rate inputs, as the API and the cabinet's forms name them.
pub mod fields {
    pub const BASE: &str = "base";
    pub const QUOTE: &str = "quote";
    pub const BUY: &str = "buy";
    pub const SELL: &str = "sell";
    pub const VALID_FROM: &str = "valid_from";
    pub const DATE: &str = "date";
    pub const FROM: &str = "from";
    pub const TO: &str = "to";
}

/// Stable codes of rate inputs (besides [`RateError::code`] and `unsupported_currency`).
pub mod codes {
    pub const REQUIRED: &str = "required";
    pub const INVALID_INSTANT: &str = "invalid_instant";
    pub const VALID_FROM_IN_PAST: &str = "valid_from_in_past";
    pub const VALID_FROM_TOO_FAR: &str = "valid_from_too_far";
    pub const INVALID_DATE: &str = "invalid_date";
    pub const DATE_IN_FUTURE: &str = "date_in_future";
    pub const PERIOD_INVERTED: &str = "period_inverted";
    pub const PERIOD_TOO_LONG: &str = "period_too_long";
}

/// One refused input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateFieldError {
    pub field: &'static str,
    pub code: &'static str,
    /// In English, for the developer.
    pub detail: String,
}

impl RateFieldError {
    fn new(field: &'static str, code: &'static str, detail: impl Into<String>) -> RateFieldError {
        RateFieldError { field, code, detail: detail.into() }
    }
}

/// A rate as a person or a program typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRate {
    pub base: String,
    pub quote: String,
    pub buy: String,
    pub sell: String,
    /// RFC 3339; absent or blank: now.
    pub valid_from: Option<String>,
}

/// A rate ready to set: a valid pair, buy ≤ sell, `valid_from` from now up to
/// [`VALID_FROM_AHEAD_DAYS_MAX`] ahead. Only [`Banking::parse_rate`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRate {
    pair: Pair,
    buy: Rate,
    sell: Rate,
    valid_from: Timestamp,
}

impl NewRate {
    pub fn pair(&self) -> Pair {
        self.pair
    }

    pub fn valid_from(&self) -> Timestamp {
        self.valid_from
    }
}

/// The rates in force at an instant, with the official rates then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatesOn {
    pub rates: RatesInForce,
    /// The business date asked for (today when none).
    pub date: Date,
    /// The National Bank's rates of that date or, when it has none stored, of the latest date
    /// before it (an official rate stays in force until the next is set); `None` when none.
    pub official: Option<OfficialRates>,
}

/// One day's official rates as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialRates {
    pub date: Date,
    /// Ordered by code.
    pub items: Vec<NbkRateRecord>,
}

/// A closed period of business dates, `from` ≤ `to` ≤ today, at most
/// [`HISTORY_PERIOD_DAYS_MAX`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatePeriod {
    from: Date,
    to: Date,
}

impl RatePeriod {
    /// Parses `YYYY-MM-DD` bounds, every problem at once. `to` defaults to `today`, `from` to
    /// [`HISTORY_PERIOD_DAYS_DEFAULT`] days before `to`.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Date) -> Result<RatePeriod, Vec<RateFieldError>> {
        let mut errors = Vec::new();
        let mut date = |field: &'static str, text: Option<&str>| match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => match parse_date(field, text, today) {
                Ok(date) => Ok(Some(date)),
                Err(error) => {
                    errors.push(error);
                    Err(())
                }
            },
        };
        let (from, to) = (date(fields::FROM, from), date(fields::TO, to));
        let (Ok(from), Ok(to)) = (from, to) else { return Err(errors) };
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| to.saturating_sub(jiff::Span::new().days(HISTORY_PERIOD_DAYS_DEFAULT)));
        RatePeriod::new(from, to).map_err(|error| vec![error])
    }

    /// The last [`HISTORY_PERIOD_DAYS_DEFAULT`] days up to `today`.
    pub fn recent(today: Date) -> RatePeriod {
        let from = today.saturating_sub(jiff::Span::new().days(HISTORY_PERIOD_DAYS_DEFAULT));
        RatePeriod { from, to: today }
    }

    fn new(from: Date, to: Date) -> Result<RatePeriod, RateFieldError> {
        if to < from {
            return Err(RateFieldError::new(fields::TO, codes::PERIOD_INVERTED, "`to` is before `from`"));
        }
        let days = (to - from).get_days();
        if i64::from(days) > HISTORY_PERIOD_DAYS_MAX {
            return Err(RateFieldError::new(
                fields::FROM,
                codes::PERIOD_TOO_LONG,
                format!("a history covers at most {HISTORY_PERIOD_DAYS_MAX} days; this period has {days}"),
            ));
        }
        Ok(RatePeriod { from, to })
    }

    pub fn from(self) -> Date {
        self.from
    }

    pub fn to(self) -> Date {
        self.to
    }
}

/// The first instant of an Almaty business date.
pub fn day_start(date: Date) -> Timestamp {
    let zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(5));
    date.to_zoned(zone).map(|zoned| zoned.timestamp()).unwrap_or(Timestamp::MAX)
}

/// The last instant (microsecond) of an Almaty business date.
pub fn day_end(date: Date) -> Timestamp {
    match date.tomorrow() {
        Ok(next) => day_start(next) - SignedDuration::from_micros(1),
        Err(_) => Timestamp::MAX,
    }
}

/// The instant to the microsecond, as the stores keep instants: what is set is what reads back.
fn to_micros(at: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(at.as_microsecond()).unwrap_or(at)
}

/// `YYYY-MM-DD`, not after `today`.
pub fn parse_date(field: &'static str, text: &str, today: Date) -> Result<Date, RateFieldError> {
    let well_formed = text.len() == 10
        && text
            .bytes()
            .enumerate()
            .all(|(i, byte)| if i == 4 || i == 7 { byte == b'-' } else { byte.is_ascii_digit() });
    let date: Date = match well_formed.then(|| text.parse().ok()).flatten() {
        Some(date) => date,
        None => return Err(RateFieldError::new(field, codes::INVALID_DATE, "a date is YYYY-MM-DD")),
    };
    if date > today {
        return Err(RateFieldError::new(field, codes::DATE_IN_FUTURE, format!("{date} has not come yet")));
    }
    Ok(date)
}

fn currency(field: &'static str, text: &str, errors: &mut Vec<RateFieldError>) -> Option<Currency> {
    match text.trim() {
        "" => {
            errors.push(RateFieldError::new(field, codes::REQUIRED, format!("{field} is required")));
            None
        }
        code => Currency::parse(code)
            .map_err(|error| errors.push(RateFieldError::new(field, error.code(), error.to_string())))
            .ok(),
    }
}

fn rate(field: &'static str, text: &str, errors: &mut Vec<RateFieldError>) -> Option<Rate> {
    if text.trim().is_empty() {
        errors.push(RateFieldError::new(field, codes::REQUIRED, format!("{field} is required")));
        return None;
    }
    Rate::parse(text).map_err(|error| errors.push(RateFieldError::new(field, error.code(), error.to_string()))).ok()
}

impl Banking {
    /// Parses a rate the bank is about to set, every problem at once, against the clock now.
    pub fn parse_rate(&self, raw: &RawRate) -> Result<NewRate, Vec<RateFieldError>> {
        let now = to_micros(self.now());
        let mut errors = Vec::new();
        let base = currency(fields::BASE, &raw.base, &mut errors);
        let quote = currency(fields::QUOTE, &raw.quote, &mut errors);
        let pair = match (base, quote) {
            (Some(base), Some(quote)) => Pair::new(base, quote)
                .map_err(|error| errors.push(RateFieldError::new(fields::QUOTE, error.code(), error.to_string())))
                .ok(),
            _ => None,
        };
        let buy = rate(fields::BUY, &raw.buy, &mut errors);
        let sell = rate(fields::SELL, &raw.sell, &mut errors);
        if let (Some(buy), Some(sell)) = (buy, sell)
            && buy > sell
        {
            let error = RateError::BuyAboveSell;
            errors.push(RateFieldError::new(fields::BUY, error.code(), error.to_string()));
        }
        let valid_from = match raw.valid_from.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None => Some(now),
            Some(text) => match text.parse::<Timestamp>() {
                Err(_) => {
                    errors.push(RateFieldError::new(
                        fields::VALID_FROM,
                        codes::INVALID_INSTANT,
                        "an instant is RFC 3339, such as 2026-11-24T09:00:00+05:00",
                    ));
                    None
                }
                Ok(at) if at < now => {
                    errors.push(RateFieldError::new(
                        fields::VALID_FROM,
                        codes::VALID_FROM_IN_PAST,
                        "a rate takes effect now or later: the history of what was in force never changes",
                    ));
                    None
                }
                Ok(at) if at > now + SignedDuration::from_hours(24 * VALID_FROM_AHEAD_DAYS_MAX) => {
                    errors.push(RateFieldError::new(
                        fields::VALID_FROM,
                        codes::VALID_FROM_TOO_FAR,
                        format!("a rate takes effect within {VALID_FROM_AHEAD_DAYS_MAX} days"),
                    ));
                    None
                }
                Ok(at) => Some(to_micros(at)),
            },
        };
        match (pair, buy, sell, valid_from) {
            (Some(pair), Some(buy), Some(sell), Some(valid_from)) if errors.is_empty() => {
                Ok(NewRate { pair, buy, sell, valid_from })
            }
            _ => {
                debug_assert!(!errors.is_empty(), "a refusal names its fields");
                Err(errors)
            }
        }
    }

    /// Sets a dealing rate (the bank's action, audited). It applies from its `valid_from` on.
    pub async fn set_rate(
        &self,
        context: &Context,
        actor: &BankActor,
        rate: NewRate,
    ) -> Result<DealingRate, BankingError> {
        let stored = self
            .store
            .add_fx_rate(NewDealingRate {
                pair: rate.pair,
                buy: rate.buy,
                sell: rate.sell,
                valid_from: rate.valid_from,
                set_by: actor.user(),
                set_at: self.now(),
            })
            .await?;
        debug_assert_eq!((stored.pair(), stored.valid_from()), (rate.pair, rate.valid_from));
        self.identity
            .record_bank_action(
                context,
                actor,
                audit_action::RATE_SET,
                None,
                format!("fx_rate:{}", stored.id()),
                Some(format!(
                    "{} buy {} sell {} from {}",
                    stored.pair(),
                    stored.buy(),
                    stored.sell(),
                    stored.valid_from()
                )),
            )
            .await?;
        tracing::info!(rate = %stored.id(), pair = %stored.pair(), "dealing rate set");
        Ok(stored)
    }

    /// The dealing rates in force at an instant.
    pub async fn rates_at(&self, at: Timestamp) -> Result<RatesInForce, BankingError> {
        Ok(self.store.fx_rates_at(at).await?)
    }

    /// The rates of a business date: in force at the end of that day (now, for today, which has
    /// not ended), with the official rates then. `None`: today, now.
    pub async fn rates_on(&self, date: Option<Date>) -> Result<RatesOn, BankingError> {
        let now = self.now();
        let today = tiyn_identity::business_date(now);
        let date = date.unwrap_or(today);
        if date > today {
            return Err(BankingError::Message(codes::DATE_IN_FUTURE, format!("{date} has not come yet")));
        }
        let at = day_end(date).min(now);
        let rates = self.store.fx_rates_at(at).await?;
        let official = match self.store.latest_nbk_date(date).await? {
            Some(day) => Some(OfficialRates { date: day, items: self.store.nbk_rates(day).await? }),
            None => None,
        };
        Ok(RatesOn { rates, date, official })
    }

    /// A pair's history over a period of business dates: the rate in force at the start of `from`
    /// and every change until the end of `to` (now, for today).
    pub async fn rate_history(&self, pair: Pair, period: RatePeriod) -> Result<Vec<DealingRate>, BankingError> {
        let to = day_end(period.to).min(self.now());
        let from = day_start(period.from).min(to);
        Ok(self.store.fx_rate_history(pair, from, to).await?)
    }

    /// Keeps one day of the National Bank's official rates (the bank's action, audited; the
    /// console's imports as `BankActor::console`). Importing the same file again changes nothing.
    pub async fn import_nbk_rates(
        &self,
        context: &Context,
        actor: &BankActor,
        rates: &NbkRates,
    ) -> Result<NbkImport, BankingError> {
        let report = self.store.put_nbk_rates(rates, self.now()).await?;
        let replaced: Vec<String> = report
            .replaced
            .iter()
            .map(|replaced| format!("{} {}→{}", replaced.code, replaced.before, replaced.after))
            .collect();
        self.identity
            .record_bank_action(
                context,
                actor,
                audit_action::NBK_IMPORT,
                None,
                format!("nbk_rates:{}", rates.date),
                Some(format!(
                    "date {}: {} added, {} replaced{}, {} unchanged",
                    rates.date,
                    report.added.len(),
                    report.replaced.len(),
                    if replaced.is_empty() { String::new() } else { format!(" ({})", replaced.join(", ")) },
                    report.unchanged.len()
                )),
            )
            .await?;
        Ok(report)
    }

    /// The official rates stored for exactly this day.
    pub async fn nbk_rates(&self, date: Date) -> Result<Vec<NbkRateRecord>, BankingError> {
        Ok(self.store.nbk_rates(date).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_business_day_is_almaty_time() {
        let day = date(2026, 11, 24);
        assert_eq!(day_start(day).to_string(), "2026-11-23T19:00:00Z");
        assert_eq!(day_end(day).to_string(), "2026-11-24T18:59:59.999999Z");
        assert_eq!(tiyn_identity::business_date(day_end(day)), day);
        assert_eq!(tiyn_identity::business_date(day_end(day) + SignedDuration::from_micros(1)), date(2026, 11, 25));
    }

    #[test]
    fn periods_are_bounded_and_ordered() {
        let today = date(2026, 11, 24);
        let codes = |from: Option<&str>, to: Option<&str>| {
            RatePeriod::parse(from, to, today)
                .map_err(|errors| errors.iter().map(|e| (e.field, e.code)).collect::<Vec<_>>())
        };
        assert_eq!(codes(None, None).map(|p| (p.from(), p.to())), Ok((date(2026, 10, 25), today)));
        assert_eq!(codes(Some("2026-01-01"), Some("2026-01-31")).map(|p| p.from()), Ok(date(2026, 1, 1)));
        assert_eq!(codes(Some("2026-02-01"), Some("2026-01-31")), Err(vec![("to", "period_inverted")]));
        assert_eq!(codes(Some("2025-01-01"), Some("2026-01-31")), Err(vec![("from", "period_too_long")]));
        assert_eq!(codes(Some("2025-11-23"), None).map(|p| p.from()), Ok(date(2025, 11, 23)), "366 days");
        assert_eq!(codes(Some("2025-11-22"), None), Err(vec![("from", "period_too_long")]));
        assert_eq!(
            codes(Some("1.1.2026"), Some("2026-12-01")),
            Err(vec![("from", "invalid_date"), ("to", "date_in_future")])
        );
        assert_eq!(codes(Some("2026-02-30"), None), Err(vec![("from", "invalid_date")]));
    }
}
