//! Row → record conversions. A stored value that does not parse is reported, never guessed at.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::postgres::PgRow;
use tiyn_core::access::InformationRestrictions;
use tiyn_core::iban::Iban;
use tiyn_core::iin::Bin;
use tiyn_core::{AccountId, Currency, Money, PartnerId};
use tiyn_ledger::AccountStatus;
use tiyn_store::{Account, AccountKind, Partner, StoreError};

pub const PARTNER_SELECT: &str = "SELECT id, name, bin, legal_address, created_at, withheld_services FROM partners";
pub const ACCOUNT_SELECT: &str =
    "SELECT id, partner_id, iban, currency, kind, name, status, balance, held, created_at FROM accounts";

fn get<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>>(
    row: &'r PgRow,
    index: usize,
) -> Result<T, StoreError> {
    row.try_get(index).map_err(StoreError::backend)
}

fn stored(what: &'static str) -> impl Fn(&dyn std::fmt::Display) -> StoreError {
    move |error| StoreError::Backend(format!("stored {what} does not parse: {error}"))
}

pub fn partner(row: &PgRow) -> Result<Partner, StoreError> {
    let bin: String = get(row, 2)?;
    Ok(Partner {
        id: PartnerId::new(get(row, 0)?),
        name: get(row, 1)?,
        bin: Bin::parse(&bin).map_err(|error| stored("BIN")(&error))?,
        legal_address: get(row, 3)?,
        created_at: instant(get(row, 4)?)?,
        withheld: InformationRestrictions::from_text(&get::<String>(row, 5)?)
            .map_err(|error| stored("withheld services")(&error))?,
    })
}

pub fn account(row: &PgRow) -> Result<Account, StoreError> {
    let currency = currency(&get::<String>(row, 3)?)?;
    let iban: Option<String> = get(row, 2)?;
    let kind: String = get(row, 4)?;
    let status: String = get(row, 6)?;
    Ok(Account {
        id: AccountId::new(get(row, 0)?),
        partner: get::<Option<i64>>(row, 1)?.map(PartnerId::new),
        iban: iban.map(|iban| Iban::parse(&iban).map_err(|error| stored("IBAN")(&error))).transpose()?,
        currency,
        kind: AccountKind::parse(&kind).ok_or_else(|| stored("account kind")(&kind))?,
        name: get(row, 5)?,
        status: AccountStatus::parse(&status).ok_or_else(|| stored("account status")(&status))?,
        balance: Money::from_minor(get(row, 7)?, currency),
        held: Money::from_minor(get(row, 8)?, currency),
        created_at: instant(get(row, 9)?)?,
    })
}

pub fn currency(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).map_err(|error| stored("currency")(&error))
}

pub fn instant(microseconds: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(microseconds).map_err(|error| stored("instant")(&error))
}
