//! FX rates on SQLite: the bank's dealing rates (immutable rows, the rates in force
//! chosen per pair in SQL) and the NBK's official rates per day.

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyn_core::UserId;
use tiyn_fx::nbk::NbkRates;
use tiyn_fx::{DealingRate, Pair, RateId, RatesInForce};
use tiyn_store::StoreError;
use tiyn_store::fx::{
    self, FX_RATE_COLUMNS, FxRateRow, NBK_RATE_COLUMNS, NbkImport, NbkRateRecord, NbkRateRow, NewDealingRate,
};

fn rate_row(row: &Row<'_>) -> rusqlite::Result<FxRateRow> {
    Ok(FxRateRow {
        id: row.get(0)?,
        base: row.get(1)?,
        quote: row.get(2)?,
        buy: row.get(3)?,
        sell: row.get(4)?,
        valid_from: row.get(5)?,
    })
}

fn nbk_row(row: &Row<'_>) -> rusqlite::Result<NbkRateRow> {
    Ok(NbkRateRow {
        date: row.get(0)?,
        code: row.get(1)?,
        per_unit: row.get(2)?,
        quant: row.get(3)?,
        name: row.get(4)?,
        imported_at: row.get(5)?,
    })
}

fn collect<T>(rows: impl Iterator<Item = rusqlite::Result<T>>) -> Result<Vec<T>, StoreError> {
    rows.map(|row| row.map_err(StoreError::backend)).collect()
}

pub fn add(connection: &mut Connection, rate: &NewDealingRate) -> Result<DealingRate, StoreError> {
    fx::validate_new_rate(rate)?;
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let (base, quote) = (rate.pair.base().code(), rate.pair.quote().code());
    savepoint
        .execute("INSERT OR IGNORE INTO fx_pairs (base, quote) VALUES (?1, ?2)", params![base, quote])
        .map_err(StoreError::backend)?;
    let row = savepoint
        .query_row(
            &format!(
                "INSERT INTO fx_rates (base, quote, buy, sell, valid_from, set_by, set_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING {FX_RATE_COLUMNS}"
            ),
            params![
                base,
                quote,
                rate.buy.micros(),
                rate.sell.micros(),
                rate.valid_from.as_microsecond(),
                rate.set_by.map(UserId::get),
                rate.set_at.as_microsecond()
            ],
            rate_row,
        )
        .map_err(StoreError::backend)?;
    savepoint.commit().map_err(StoreError::backend)?;
    let stored = row.into_rate()?;
    debug_assert!(stored.pair() == rate.pair && stored.buy() == rate.buy && stored.sell() == rate.sell);
    Ok(stored)
}

/// Per pair of `fx_pairs`, the one rate in force (an index lookup on `fx_rates_in_force`).
pub fn at(connection: &Connection, at: Timestamp) -> Result<RatesInForce, StoreError> {
    let mut statement = connection
        .prepare_cached(&format!(
            "SELECT {FX_RATE_COLUMNS} FROM fx_rates WHERE id IN (
                 SELECT (SELECT r.id FROM fx_rates r WHERE r.base = p.base AND r.quote = p.quote
                             AND r.valid_from <= ?1 ORDER BY r.valid_from DESC, r.id DESC LIMIT 1)
                 FROM fx_pairs p)"
        ))
        .map_err(StoreError::backend)?;
    let rows = collect(statement.query_map([at.as_microsecond()], rate_row).map_err(StoreError::backend)?)?;
    let rates = fx::rates_from_rows(rows)?;
    let count = rates.len();
    let in_force = RatesInForce::at(at, rates);
    debug_assert_eq!(in_force.all().len(), count, "one rate per pair");
    Ok(in_force)
}

pub fn by_id(connection: &Connection, id: RateId) -> Result<Option<DealingRate>, StoreError> {
    connection
        .query_row(&format!("SELECT {FX_RATE_COLUMNS} FROM fx_rates WHERE id = ?1"), [id.get()], rate_row)
        .optional()
        .map_err(StoreError::backend)?
        .map(FxRateRow::into_rate)
        .transpose()
}

pub fn history(
    connection: &Connection,
    pair: Pair,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<DealingRate>, StoreError> {
    let mut statement = connection
        .prepare_cached(&format!(
            "SELECT {FX_RATE_COLUMNS} FROM fx_rates WHERE id = (
                 SELECT id FROM fx_rates WHERE base = ?1 AND quote = ?2 AND valid_from <= ?3
                 ORDER BY valid_from DESC, id DESC LIMIT 1)
             UNION ALL
             SELECT {FX_RATE_COLUMNS} FROM fx_rates
             WHERE base = ?1 AND quote = ?2 AND valid_from > ?3 AND valid_from <= ?4
             ORDER BY valid_from, id"
        ))
        .map_err(StoreError::backend)?;
    let rows = statement
        .query_map(
            params![pair.base().code(), pair.quote().code(), from.as_microsecond(), to.as_microsecond()],
            rate_row,
        )
        .map_err(StoreError::backend)?;
    fx::rates_from_rows(collect(rows)?)
}

fn nbk_of(connection: &Connection, date: Date) -> Result<Vec<NbkRateRecord>, StoreError> {
    let mut statement = connection
        .prepare_cached(&format!("SELECT {NBK_RATE_COLUMNS} FROM nbk_rates WHERE date = ?1 ORDER BY code"))
        .map_err(StoreError::backend)?;
    let rows = collect(statement.query_map([fx::date_text(date)], nbk_row).map_err(StoreError::backend)?)?;
    rows.into_iter().map(NbkRateRow::into_record).collect()
}

pub fn put_nbk(connection: &mut Connection, rates: &NbkRates, at: Timestamp) -> Result<NbkImport, StoreError> {
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let stored = nbk_of(&savepoint, rates.date)?;
    let (writes, report) = fx::plan_nbk_import(&stored, rates);
    {
        let mut upsert = savepoint
            .prepare_cached(
                "INSERT INTO nbk_rates (date, code, per_unit, quant, name, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (date, code) DO UPDATE SET per_unit = excluded.per_unit, quant = excluded.quant,
                     name = excluded.name, imported_at = excluded.imported_at",
            )
            .map_err(StoreError::backend)?;
        let date = fx::date_text(rates.date);
        for write in &writes {
            upsert
                .execute(params![date, write.code, write.per_unit, write.quant, write.name, at.as_microsecond()])
                .map_err(StoreError::backend)?;
        }
    }
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(report)
}

pub fn nbk(connection: &Connection, date: Date) -> Result<Vec<NbkRateRecord>, StoreError> {
    nbk_of(connection, date)
}

pub fn latest_nbk_date(connection: &Connection, on_or_before: Date) -> Result<Option<Date>, StoreError> {
    let text: Option<String> = connection
        .query_row("SELECT max(date) FROM nbk_rates WHERE date <= ?1", [fx::date_text(on_or_before)], |row| row.get(0))
        .map_err(StoreError::backend)?;
    text.map(|text| text.parse().map_err(|_| StoreError::Backend(format!("stored NBK date {text:?}")))).transpose()
}
