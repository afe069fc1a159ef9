//! Foreign-exchange rates as the stores keep them (issue 5, R-13.2, R-3.1.1.4): the bank's dealing
//! rates and the National Bank's official rates. The row shapes and the reading of rows back into
//! domain values live here, once, for both backends.
//!
//! - `fx_rates`: one row per rate the bank set (pair, buy and sell in millionths, valid from an
//!   instant, who and when). Rows are immutable (database triggers): a new rate for a pair is a new
//!   row, so the history is kept forever and a conversion's rate id always reads back the same.
//!   `fx_pairs` lists each pair once, so the rates in force at an instant are one index lookup
//!   per pair, never a scan of the history.
//! - `nbk_rates`: the official rate per unit of each currency per day, keyed by (date, code).
//!   Importing a day again with the same values changes nothing; a value the NBK corrected
//!   replaces the stored one, and the import says which.

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::{Currency, UserId};
use tiyn_fx::nbk::{NbkRate, NbkRates};
use tiyn_fx::{DealingRate, Pair, Rate, RateId};

use crate::StoreError;

/// A rate the bank sets for a pair from an instant on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDealingRate {
    pub pair: Pair,
    /// The bank buys the base currency at this rate.
    pub buy: Rate,
    /// The bank sells the base currency at this rate (`buy ≤ sell`).
    pub sell: Rate,
    pub valid_from: Timestamp,
    /// The operator who set it; `None` for the console or the demo.
    pub set_by: Option<UserId>,
    pub set_at: Timestamp,
}

/// Checks a new rate before any backend writes it: buy ≤ sell (the database checks it again).
pub fn validate_new_rate(rate: &NewDealingRate) -> Result<(), StoreError> {
    if rate.buy > rate.sell {
        return Err(StoreError::Invalid("a dealing rate buys at most at the rate it sells"));
    }
    Ok(())
}

/// The columns of a dealing rate, in [`FxRateRow`] order.
pub const FX_RATE_COLUMNS: &str = "id, base, quote, buy, sell, valid_from";

/// A `fx_rates` row as every backend reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxRateRow {
    pub id: i64,
    pub base: String,
    pub quote: String,
    /// Millionths ([`Rate::micros`]).
    pub buy: i64,
    pub sell: i64,
    /// Microseconds since the Unix epoch.
    pub valid_from: i64,
}

impl FxRateRow {
    pub fn into_rate(self) -> Result<DealingRate, StoreError> {
        let corrupt =
            |what: &str| StoreError::Backend(format!("stored fx rate {}: {what} does not read back", self.id));
        let currency = |code: &str| Currency::parse(code).map_err(|_| corrupt("currency"));
        let pair = Pair::new(currency(&self.base)?, currency(&self.quote)?).map_err(|_| corrupt("pair"))?;
        let buy = Rate::from_micros(self.buy).map_err(|_| corrupt("buy"))?;
        let sell = Rate::from_micros(self.sell).map_err(|_| corrupt("sell"))?;
        let valid_from = Timestamp::from_microsecond(self.valid_from).map_err(|_| corrupt("valid_from"))?;
        DealingRate::new(RateId::new(self.id), pair, buy, sell, valid_from).map_err(|_| corrupt("buy above sell"))
    }
}

/// Reads rows, failing on the first that does not read back.
pub fn rates_from_rows(rows: Vec<FxRateRow>) -> Result<Vec<DealingRate>, StoreError> {
    rows.into_iter().map(FxRateRow::into_rate).collect()
}

/// An official rate as stored, with when it was imported (last changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NbkRateRecord {
    pub date: Date,
    pub rate: NbkRate,
    pub imported_at: Timestamp,
}

/// The columns of an official rate, in [`NbkRateRow`] order.
pub const NBK_RATE_COLUMNS: &str = "date, code, per_unit, quant, name, imported_at";

/// A `nbk_rates` row as every backend reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NbkRateRow {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub code: String,
    /// Millionths of tenge per unit.
    pub per_unit: i64,
    pub quant: i64,
    pub name: String,
    pub imported_at: i64,
}

impl NbkRateRow {
    pub fn into_record(self) -> Result<NbkRateRecord, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Backend(format!("stored NBK rate {} {}: {what} does not read back", self.date, self.code))
        };
        let date = self.date.parse().map_err(|_| corrupt("date"))?;
        let per_unit = Rate::from_micros(self.per_unit).map_err(|_| corrupt("per_unit"))?;
        let quant = u32::try_from(self.quant).ok().filter(|quant| *quant > 0).ok_or_else(|| corrupt("quant"))?;
        let imported_at = Timestamp::from_microsecond(self.imported_at).map_err(|_| corrupt("imported_at"))?;
        Ok(NbkRateRecord {
            date,
            rate: NbkRate {
                currency: Currency::parse(&self.code).ok(),
                per_unit,
                quant,
                name: self.name,
                code: self.code,
            },
            imported_at,
        })
    }
}

/// What an import of one day's official rates did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NbkImport {
    /// Codes stored for the first time for this day.
    pub added: Vec<String>,
    /// Codes whose stored value differed and was replaced.
    pub replaced: Vec<NbkReplacement>,
    /// Codes already stored with the same value: nothing written.
    pub unchanged: Vec<String>,
}

/// A stored official rate replaced by another value for the same day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NbkReplacement {
    pub code: String,
    pub before: Rate,
    pub before_quant: u32,
    pub after: Rate,
    pub after_quant: u32,
}

impl NbkImport {
    /// Whether the import wrote anything.
    pub fn changed(&self) -> bool {
        !self.added.is_empty() || !self.replaced.is_empty()
    }
}

/// One row an import writes (inserted, or replacing the stored row of its date and code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NbkWrite {
    pub code: String,
    pub per_unit: i64,
    pub quant: i64,
    pub name: String,
}

/// Decides an import against what is stored for its day (read in the import's transaction): the
/// rows to write and the report. The same value (rate per unit and quantity) is unchanged; a name
/// the new file does not give (the RSS format has none) keeps the stored one.
pub fn plan_nbk_import(stored: &[NbkRateRecord], rates: &NbkRates) -> (Vec<NbkWrite>, NbkImport) {
    let mut writes = Vec::new();
    let mut report = NbkImport::default();
    for item in &rates.items {
        let before = stored.iter().find(|record| record.rate.code == item.code);
        let name = match before {
            Some(record) if item.name.is_empty() => record.rate.name.clone(),
            _ => item.name.clone(),
        };
        let write = NbkWrite {
            code: item.code.clone(),
            per_unit: item.per_unit.micros(),
            quant: i64::from(item.quant),
            name: name.clone(),
        };
        match before {
            None => report.added.push(item.code.clone()),
            Some(record)
                if record.rate.per_unit == item.per_unit
                    && record.rate.quant == item.quant
                    && record.rate.name == name =>
            {
                report.unchanged.push(item.code.clone());
                continue;
            }
            Some(record) => report.replaced.push(NbkReplacement {
                code: item.code.clone(),
                before: record.rate.per_unit,
                before_quant: record.rate.quant,
                after: item.per_unit,
                after_quant: item.quant,
            }),
        }
        writes.push(write);
    }
    debug_assert_eq!(writes.len(), report.added.len() + report.replaced.len());
    debug_assert_eq!(report.added.len() + report.replaced.len() + report.unchanged.len(), rates.items.len());
    (writes, report)
}

/// The `YYYY-MM-DD` text both backends store a business date as.
pub fn date_text(date: Date) -> String {
    date.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(text: &str) -> Rate {
        Rate::parse(text).expect("rate")
    }

    fn item(code: &str, per_unit: &str, quant: u32, name: &str) -> NbkRate {
        NbkRate {
            code: code.into(),
            currency: Currency::parse(code).ok(),
            per_unit: rate(per_unit),
            quant,
            name: name.into(),
        }
    }

    fn stored(items: &[NbkRate]) -> Vec<NbkRateRecord> {
        items
            .iter()
            .map(|rate| NbkRateRecord {
                date: jiff::civil::date(2026, 7, 31),
                rate: rate.clone(),
                imported_at: Timestamp::UNIX_EPOCH,
            })
            .collect()
    }

    /// an import against the stored day writes only what is new or corrected, keeps a
    /// stored name the new file lacks, and says which codes were replaced from what.
    #[test]
    fn r_13_2_an_import_writes_only_new_and_corrected_rates() {
        let day = jiff::civil::date(2026, 7, 31);
        let before = stored(&[item("USD", "474.2", 1, "ДОЛЛАР США"), item("EUR", "544.5", 1, "ЕВРО")]);
        let new = NbkRates {
            date: day,
            items: vec![item("USD", "474.2", 1, ""), item("EUR", "545", 1, ""), item("XDR", "640.12", 1, "СДР")],
        };
        let (writes, report) = plan_nbk_import(&before, &new);
        assert_eq!(report.added, ["XDR"]);
        assert_eq!(report.unchanged, ["USD"]);
        assert_eq!(
            report.replaced,
            [NbkReplacement {
                code: "EUR".into(),
                before: rate("544.5"),
                before_quant: 1,
                after: rate("545"),
                after_quant: 1
            }]
        );
        assert_eq!(
            writes.iter().map(|write| (write.code.as_str(), write.name.as_str())).collect::<Vec<_>>(),
            [("EUR", "ЕВРО"), ("XDR", "СДР")]
        );
        let (again, nothing) = plan_nbk_import(&stored(&new.items), &new);
        assert!(again.is_empty() && !nothing.changed(), "the same file twice writes nothing");
    }
}
