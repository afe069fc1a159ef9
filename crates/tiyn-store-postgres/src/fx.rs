//! FX rates on PostgreSQL (R-13.2): the bank's dealing rates (immutable rows, the rates in force
//! chosen per pair in SQL with one lateral index lookup per pair) and the NBK's official rates per
//! day.

use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::postgres::PgRow;
// Every `AssertSqlSafe` below splices only the constant column lists of `tiyn_store::fx`.
use sqlx::{AssertSqlSafe, PgPool, Row};
use tiyn_core::UserId;
use tiyn_fx::nbk::NbkRates;
use tiyn_fx::{DealingRate, Pair, RateId, RatesInForce};
use tiyn_store::StoreError;
use tiyn_store::fx::{
    self, FX_RATE_COLUMNS, FxRateRow, NBK_RATE_COLUMNS, NbkImport, NbkRateRecord, NbkRateRow, NewDealingRate,
};

use crate::tx::{TxError, with_retries};

fn rate_row(row: &PgRow) -> Result<FxRateRow, StoreError> {
    let get = |error: sqlx::Error| StoreError::backend(error);
    Ok(FxRateRow {
        id: row.try_get(0).map_err(get)?,
        base: row.try_get(1).map_err(get)?,
        quote: row.try_get(2).map_err(get)?,
        buy: row.try_get(3).map_err(get)?,
        sell: row.try_get(4).map_err(get)?,
        valid_from: row.try_get(5).map_err(get)?,
    })
}

fn rates(rows: &[PgRow]) -> Result<Vec<DealingRate>, StoreError> {
    fx::rates_from_rows(rows.iter().map(rate_row).collect::<Result<_, _>>()?)
}

fn nbk_record(row: &PgRow) -> Result<NbkRateRecord, StoreError> {
    let get = |error: sqlx::Error| StoreError::backend(error);
    NbkRateRow {
        date: row.try_get(0).map_err(get)?,
        code: row.try_get(1).map_err(get)?,
        per_unit: row.try_get(2).map_err(get)?,
        quant: row.try_get(3).map_err(get)?,
        name: row.try_get(4).map_err(get)?,
        imported_at: row.try_get(5).map_err(get)?,
    }
    .into_record()
}

pub async fn add(pool: &PgPool, rate: &NewDealingRate) -> Result<DealingRate, StoreError> {
    fx::validate_new_rate(rate)?;
    let (base, quote) = (rate.pair.base().code(), rate.pair.quote().code());
    // One statement: the pair is listed and the rate written together.
    let row = sqlx::query(AssertSqlSafe(format!(
        "WITH pair AS (INSERT INTO fx_pairs (base, quote) VALUES ($1, $2) ON CONFLICT DO NOTHING)
         INSERT INTO fx_rates (base, quote, buy, sell, valid_from, set_by, set_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {FX_RATE_COLUMNS}"
    )))
    .bind(base)
    .bind(quote)
    .bind(rate.buy.micros())
    .bind(rate.sell.micros())
    .bind(rate.valid_from.as_microsecond())
    .bind(rate.set_by.map(UserId::get))
    .bind(rate.set_at.as_microsecond())
    .fetch_one(pool)
    .await
    .map_err(StoreError::backend)?;
    let stored = rate_row(&row)?.into_rate()?;
    debug_assert!(stored.pair() == rate.pair && stored.buy() == rate.buy && stored.sell() == rate.sell);
    Ok(stored)
}

pub async fn at(pool: &PgPool, at: Timestamp) -> Result<RatesInForce, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT r.{} FROM fx_pairs p CROSS JOIN LATERAL (
             SELECT {FX_RATE_COLUMNS} FROM fx_rates x WHERE x.base = p.base AND x.quote = p.quote AND x.valid_from <= $1
             ORDER BY x.valid_from DESC, x.id DESC LIMIT 1) r",
        FX_RATE_COLUMNS.replace(", ", ", r.")
    )))
    .bind(at.as_microsecond())
    .fetch_all(pool)
    .await
    .map_err(StoreError::backend)?;
    let rates = rates(&rows)?;
    let count = rates.len();
    let in_force = RatesInForce::at(at, rates);
    debug_assert_eq!(in_force.all().len(), count, "one rate per pair");
    Ok(in_force)
}

pub async fn by_id(pool: &PgPool, id: RateId) -> Result<Option<DealingRate>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {FX_RATE_COLUMNS} FROM fx_rates WHERE id = $1")))
        .bind(id.get())
        .fetch_optional(pool)
        .await
        .map_err(StoreError::backend)?;
    row.as_ref().map(|row| rate_row(row)?.into_rate()).transpose()
}

pub async fn history(
    pool: &PgPool,
    pair: Pair,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<DealingRate>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "(SELECT {FX_RATE_COLUMNS} FROM fx_rates WHERE base = $1 AND quote = $2 AND valid_from <= $3
          ORDER BY valid_from DESC, id DESC LIMIT 1)
         UNION ALL
         (SELECT {FX_RATE_COLUMNS} FROM fx_rates WHERE base = $1 AND quote = $2 AND valid_from > $3 AND valid_from <= $4)
         ORDER BY valid_from, id"
    )))
    .bind(pair.base().code())
    .bind(pair.quote().code())
    .bind(from.as_microsecond())
    .bind(to.as_microsecond())
    .fetch_all(pool)
    .await
    .map_err(StoreError::backend)?;
    rates(&rows)
}

async fn put_nbk_once(pool: &PgPool, rates: &NbkRates, at: Timestamp) -> Result<NbkImport, TxError> {
    let mut transaction = pool.begin().await?;
    let date = fx::date_text(rates.date);
    // The day's rows are locked, so two imports of one day decide one after the other.
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {NBK_RATE_COLUMNS} FROM nbk_rates WHERE date = $1 ORDER BY code FOR UPDATE"
    )))
    .bind(&date)
    .fetch_all(&mut *transaction)
    .await?;
    let stored = rows.iter().map(nbk_record).collect::<Result<Vec<_>, _>>()?;
    let (writes, report) = fx::plan_nbk_import(&stored, rates);
    let codes: Vec<&str> = writes.iter().map(|write| write.code.as_str()).collect();
    let per_unit: Vec<i64> = writes.iter().map(|write| write.per_unit).collect();
    let quant: Vec<i64> = writes.iter().map(|write| write.quant).collect();
    let names: Vec<&str> = writes.iter().map(|write| write.name.as_str()).collect();
    sqlx::query(
        "INSERT INTO nbk_rates (date, code, per_unit, quant, name, imported_at)
         SELECT $1, code, per_unit, quant, name, $6
         FROM UNNEST($2::text[], $3::bigint[], $4::bigint[], $5::text[]) AS w (code, per_unit, quant, name)
         ON CONFLICT (date, code) DO UPDATE SET per_unit = excluded.per_unit, quant = excluded.quant,
             name = excluded.name, imported_at = excluded.imported_at",
    )
    .bind(&date)
    .bind(&codes)
    .bind(&per_unit)
    .bind(&quant)
    .bind(&names)
    .bind(at.as_microsecond())
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(report)
}

pub async fn put_nbk(pool: &PgPool, rates: &NbkRates, at: Timestamp) -> Result<NbkImport, StoreError> {
    with_retries!(put_nbk_once(pool, rates, at))
}

pub async fn nbk(pool: &PgPool, date: Date) -> Result<Vec<NbkRateRecord>, StoreError> {
    let rows =
        sqlx::query(AssertSqlSafe(format!("SELECT {NBK_RATE_COLUMNS} FROM nbk_rates WHERE date = $1 ORDER BY code")))
            .bind(fx::date_text(date))
            .fetch_all(pool)
            .await
            .map_err(StoreError::backend)?;
    rows.iter().map(nbk_record).collect()
}

pub async fn latest_nbk_date(pool: &PgPool, on_or_before: Date) -> Result<Option<Date>, StoreError> {
    let text: Option<String> = sqlx::query_scalar("SELECT max(date) FROM nbk_rates WHERE date <= $1")
        .bind(fx::date_text(on_or_before))
        .fetch_one(pool)
        .await
        .map_err(StoreError::backend)?;
    text.map(|text| text.parse().map_err(|_| StoreError::Backend(format!("stored NBK date {text:?}")))).transpose()
}
