//! Row → record conversions. Stored text is parsed back into domain types; a value that does not
//! parse means the file was changed behind our back, and is reported, not guessed at.

use jiff::Timestamp;
use rusqlite::Row;
use tiyn_core::access::InformationRestrictions;
use tiyn_core::iban::Iban;
use tiyn_core::iin::Bin;
use tiyn_core::{AccountId, Currency, Money, PartnerId};
use tiyn_ledger::AccountStatus;
use tiyn_store::{Account, AccountKind, Partner, StoreError};

pub const PARTNER_SELECT: &str = "SELECT id, name, bin, legal_address, created_at, withheld_services FROM partners";
pub const ACCOUNT_SELECT: &str =
    "SELECT id, partner_id, iban, currency, kind, name, status, balance, held, created_at FROM accounts";

pub fn partner(row: &Row<'_>) -> rusqlite::Result<Partner> {
    let bin: String = row.get(2)?;
    Ok(Partner {
        id: PartnerId::new(row.get(0)?),
        name: row.get(1)?,
        bin: Bin::parse(&bin).map_err(|error| corrupt(2, error))?,
        legal_address: row.get(3)?,
        created_at: instant(row.get(4)?).map_err(|error| corrupt(4, error))?,
        withheld: InformationRestrictions::from_text(&row.get::<_, String>(5)?).map_err(|error| corrupt(5, error))?,
    })
}

pub fn account(row: &Row<'_>) -> rusqlite::Result<Result<Account, StoreError>> {
    let currency = currency(&row.get::<_, String>(3)?);
    let iban: Option<String> = row.get(2)?;
    let kind: String = row.get(4)?;
    let status: String = row.get(6)?;
    let parsed = (|| {
        let currency = currency?;
        Ok(Account {
            id: AccountId::new(row.get(0).map_err(StoreError::backend)?),
            partner: row.get::<_, Option<i64>>(1).map_err(StoreError::backend)?.map(PartnerId::new),
            iban: iban.map(|iban| Iban::parse(&iban).map_err(stored("IBAN"))).transpose()?,
            currency,
            kind: AccountKind::parse(&kind)
                .ok_or_else(|| StoreError::backend(format!("stored account kind {kind:?}")))?,
            name: row.get(5).map_err(StoreError::backend)?,
            status: AccountStatus::parse(&status)
                .ok_or_else(|| StoreError::backend(format!("stored account status {status:?}")))?,
            balance: Money::from_minor(row.get(7).map_err(StoreError::backend)?, currency),
            held: Money::from_minor(row.get(8).map_err(StoreError::backend)?, currency),
            created_at: instant(row.get(9).map_err(StoreError::backend)?).map_err(StoreError::backend)?,
        })
    })();
    Ok(parsed)
}

pub fn currency(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).map_err(stored("currency"))
}

pub fn instant(microseconds: i64) -> Result<Timestamp, jiff::Error> {
    Timestamp::from_microsecond(microseconds)
}

fn stored<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> StoreError {
    move |error| StoreError::Backend(format!("stored {what} does not parse: {error}"))
}

fn corrupt(column: usize, error: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(error))
}
