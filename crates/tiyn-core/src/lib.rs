//! Tiyn's domain vocabulary: exact money, Kazakhstan identifiers and the working-day calendar.
//!
//! This crate does no I/O, reads no clock and no random numbers, and knows nothing of HTTP, SQL or
//! serialization. Every type here is valid once constructed: parsing is the only way in.

pub mod access;
pub mod bic;
pub mod calendar;
pub mod codes;
pub mod country;
pub mod iban;
pub mod ids;
pub mod iin;
pub mod login;
pub mod money;
pub mod operator;

pub use access::{
    AccessLevel, AccessLevelError, InformationRestrictions, InformationRestrictionsError, Permission, PermissionError,
};
pub use bic::{Bic, BicError};
pub use calendar::{CalendarError, WorkingCalendar};
pub use codes::{EconomicSector, Kbe, KbeError, Kbk, KbkError, Knp, KnpError, Kod, Residency};
pub use country::{Country, CountryError};
pub use iban::{CharClass, Iban, IbanError};
pub use ids::{AccountId, ApiKeyId, DeviceId, EntryId, HoldId, PartnerId, SessionId, UserId};
pub use iin::{Bin, BinEntityType, BinError, BinSubdivision, Iin, IinError, TaxpayerId, TaxpayerIdError};
pub use login::{Email, EmailError, Login, LoginError, MobileNumber, MobileNumberError};
pub use money::{Amount, AmountError, Currency, CurrencyError, Money, MoneyError, Rounding};
pub use operator::{BankPermission, OperatorRole, OperatorRoleError};
