//! Demo data: a demo bank's internal accounts, demo partner 1 with four accounts and opening
//! balances, and demo partner 2 with one account (so tenant isolation can be seen: nothing of
//! partner 2 ever appears in partner 1's cabinet or API); the bank's dealing rates of USD, EUR,
//! RUB and CNY against tenge over the past days and the National Bank's sample day.
//!
//! Seeding is idempotent: partners are found by BIN, accounts by IBAN, and opening balances are
//! posted through the ledger with fixed idempotency keys, so a second start on the same data
//! directory finds everything in place and posts nothing twice.

use std::path::Path;

use data_encoding::BASE32_NOPAD;
use jiff::Timestamp;
use serde::Serialize;
use tiyn_auth::{MasterKey, PasswordHasher};
use tiyn_core::OperatorRole;
use tiyn_core::access::AccessLevel;
use tiyn_core::{
    Amount, AmountError, Bin, BinError, Currency, Email, Iban, IbanError, Login, MobileNumber, Money, PartnerId,
};
use tiyn_ledger::{Action, Command, EntryKind, IdempotencyKey, JournalEntry, LedgerError};
use tiyn_store::{AccountKind, Consent, NewAccount, NewPartner, NewUser, Store, StoreError, UserStatus};

/// The demo bank's code in IBANs (positions 5–7 of a Kazakhstan IBAN).
pub const DEMO_BANK_CODE: &str = "722";

/// Currencies the demo bank keeps internal accounts in.
pub const DEMO_BANK_CURRENCIES: [Currency; 3] = [Currency::Kzt, Currency::Usd, Currency::Eur];

pub struct DemoAccount {
    /// The 13 characters after the bank code in the BBAN.
    pub account_number: &'static str,
    pub currency: Currency,
    pub name: &'static str,
    /// Opening balance in minor units.
    pub opening_minor: i64,
}

pub struct DemoPartnerSpec {
    pub name: &'static str,
    /// The first ten digits of the BIN: registration year and month, entity type, subdivision
    /// and the start of the serial. The helper [`demo_bin`] completes it.
    pub bin_prefix: &'static str,
    pub legal_address: &'static str,
    pub accounts: &'static [DemoAccount],
}

/// Demo partner 1: the partner the demo acts for.
pub const PARTNER_ONE: DemoPartnerSpec = DemoPartnerSpec {
    name: "ТОО «Демо Трейд»",
    // Registered April 2015, resident legal entity (4), head office (0).
    bin_prefix: "1504400012",
    legal_address: "050010, г. Алматы, Медеуский район, пр. Достык, д. 43, офис 512",
    accounts: &[
        DemoAccount {
            account_number: "S000000000001",
            currency: Currency::Kzt,
            name: "Основной счёт",
            opening_minor: 1_500_000_000,
        },
        DemoAccount {
            account_number: "S000000000002",
            currency: Currency::Kzt,
            name: "Зарплатный счёт",
            opening_minor: 250_000_000,
        },
        DemoAccount {
            account_number: "S000000000003",
            currency: Currency::Usd,
            name: "Валютный счёт USD",
            opening_minor: 2_500_000,
        },
        DemoAccount {
            account_number: "S000000000004",
            currency: Currency::Eur,
            name: "Валютный счёт EUR",
            opening_minor: 1_250_050,
        },
    ],
};

/// Demo partner 2: exists only to show that partner 1 never sees it.
pub const PARTNER_TWO: DemoPartnerSpec = DemoPartnerSpec {
    name: "ТОО «Степной Логистик»",
    // Registered July 2018, resident legal entity (4), head office (0).
    bin_prefix: "1807400045",
    legal_address: "010000, г. Астана, район Есиль, ул. Кунаева, д. 12, офис 3",
    accounts: &[DemoAccount {
        account_number: "S000000000101",
        currency: Currency::Kzt,
        name: "Основной счёт",
        opening_minor: 777_777_777,
    }],
};

/// What the demo seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Demo {
    /// The partner the demo acts for.
    pub partner: PartnerId,
    pub other_partner: PartnerId,
    /// Opening balances posted by this run (0 on a second start).
    pub balances_posted: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("demo BIN {prefix}: {source}")]
    Bin { prefix: &'static str, source: BinError },
    #[error("demo IBAN: {0}")]
    Iban(#[from] IbanError),
    #[error("demo amount: {0}")]
    Amount(#[from] AmountError),
    #[error("demo user {login}: {message}")]
    User { login: &'static str, message: String },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("demo rates: {0}")]
    Rates(String),
}

/// A demo user: one of each level in each partner, and a bank operator.
pub struct DemoUserSpec {
    pub full_name: &'static str,
    pub email: &'static str,
    pub mobile: &'static str,
    pub level: Option<AccessLevel>,
    /// The bank operator's role; `None` for a partner's user.
    pub operator_role: Option<OperatorRole>,
    /// 0: partner 1, 1: partner 2, `None`: the bank.
    pub partner: Option<usize>,
}

pub const DEMO_USERS: &[DemoUserSpec] = &[
    DemoUserSpec {
        full_name: "Айгерим Сапарова",
        email: "full@demo-trade.kz",
        mobile: "+77010000101",
        level: Some(AccessLevel::Full),
        operator_role: None,
        partner: Some(0),
    },
    DemoUserSpec {
        full_name: "Нурлан Ахметов",
        email: "confirm@demo-trade.kz",
        mobile: "+77010000102",
        level: Some(AccessLevel::Confirm),
        operator_role: None,
        partner: Some(0),
    },
    DemoUserSpec {
        full_name: "Дана Ким",
        email: "create@demo-trade.kz",
        mobile: "+77010000103",
        level: Some(AccessLevel::Create),
        operator_role: None,
        partner: Some(0),
    },
    DemoUserSpec {
        full_name: "Ерлан Жумабеков",
        email: "full@steppe-logistic.kz",
        mobile: "+77010000201",
        level: Some(AccessLevel::Full),
        operator_role: None,
        partner: Some(1),
    },
    DemoUserSpec {
        full_name: "Мадина Омарова",
        email: "confirm@steppe-logistic.kz",
        mobile: "+77010000202",
        level: Some(AccessLevel::Confirm),
        operator_role: None,
        partner: Some(1),
    },
    DemoUserSpec {
        full_name: "Асель Нурланова",
        email: "create@steppe-logistic.kz",
        mobile: "+77010000203",
        level: Some(AccessLevel::Create),
        operator_role: None,
        partner: Some(1),
    },
    DemoUserSpec {
        full_name: "Оператор Демо Банка",
        email: "operator@bank.demo",
        mobile: "+77010000900",
        level: None,
        operator_role: Some(OperatorRole::Administrator),
        partner: None,
    },
];

/// One line of `demo-credentials.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DemoUserCredential {
    pub login: String,
    pub password: String,
    /// `full`, `confirm`, `create`.
    pub level: String,
    /// The partner's name.
    pub partner: String,
    /// Where the SMS codes go (see `sms.jsonl`).
    pub mobile: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoOperatorCredential {
    pub login: String,
    pub password: String,
    pub mobile: String,
}

/// The credentials file's name in the data directory.
pub const CREDENTIALS_FILE: &str = "demo-credentials.json";

/// `DIR/demo-credentials.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DemoCredentials {
    pub users: Vec<DemoUserCredential>,
    pub operators: Vec<DemoOperatorCredential>,
}

/// The demo password of a login: derived from the installation's master key, so it is the same on
/// every start without being stored anywhere, and different on every installation.
pub fn demo_password(master: &MasterKey, login: &str) -> String {
    let secret = master.derive_secret(&format!("demo-password/{login}"));
    // 16 base32 characters (80 bits): letters and digits only, so a double click selects a group
    // and nothing is mistaken for punctuation; grouped for reading aloud.
    let text = BASE32_NOPAD.encode(&secret[..10]).to_lowercase();
    format!("{}-{}-{}-{}", &text[0..4], &text[4..8], &text[8..12], &text[12..16])
}

/// Seeds the demo users (idempotently: found by login), active with their derived passwords, and
/// answers their credentials.
pub async fn seed_users(
    store: &dyn Store,
    demo: &Demo,
    master: &MasterKey,
    hasher: &PasswordHasher,
    now: Timestamp,
) -> Result<DemoCredentials, DemoError> {
    let partners = [(demo.partner, PARTNER_ONE.name), (demo.other_partner, PARTNER_TWO.name)];
    let mut credentials = DemoCredentials { users: Vec::new(), operators: Vec::new() };
    for spec in DEMO_USERS {
        let fail = |message: String| DemoError::User { login: spec.email, message };
        let email = Email::parse(spec.email).map_err(|error| fail(error.to_string()))?;
        let mobile = MobileNumber::parse(spec.mobile).map_err(|error| fail(error.to_string()))?;
        let password = demo_password(master, spec.email);
        let partner = spec.partner.map(|index| partners[index]);
        let existing = store.user_by_login(&Login::Email(email.clone())).await?;
        let user = match existing {
            Some(user) => user,
            None => {
                let id = store
                    .create_user(NewUser {
                        partner: partner.map(|(id, _)| id),
                        full_name: spec.full_name.to_owned(),
                        mobile: Some(mobile.clone()),
                        email: Some(email),
                        level: spec.level,
                        operator_role: spec.operator_role,
                        consent: partner.map(|_| Consent { recorded_by: "demo seeding".to_owned(), recorded_at: now }),
                        created_at: now,
                    })
                    .await?;
                store.user(id).await?.ok_or_else(|| fail("vanished after creation".to_owned()))?
            }
        };
        if user.status == UserStatus::PendingActivation {
            let hash = hasher.hash(&password, &mut rand::rng()).map_err(|error| fail(error.to_string()))?;
            store.activate_user(user.id, hash.as_phc_str(), now).await?;
        }
        match (spec.level, partner) {
            (Some(level), Some((_, name))) => credentials.users.push(DemoUserCredential {
                login: spec.email.to_owned(),
                password,
                level: level.as_str().to_owned(),
                partner: name.to_owned(),
                mobile: mobile.as_str().to_owned(),
            }),
            _ => credentials.operators.push(DemoOperatorCredential {
                login: spec.email.to_owned(),
                password,
                mobile: mobile.as_str().to_owned(),
            }),
        }
    }
    Ok(credentials)
}

/// Writes `demo-credentials.json` (mode 0600: it holds passwords).
pub fn write_credentials(path: &Path, credentials: &DemoCredentials) -> Result<(), DemoError> {
    let fail = |source| DemoError::Write { path: path.display().to_string(), source };
    let json = serde_json::to_string_pretty(credentials).map_err(|error| fail(std::io::Error::other(error)))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    std::io::Write::write_all(&mut file, json.as_bytes()).map_err(fail)
}

/// Seeds the demo data (idempotently) and returns the partners.
pub async fn seed(store: &dyn Store, now: Timestamp) -> Result<Demo, DemoError> {
    for kind in AccountKind::ALL.into_iter().filter(|kind| *kind != AccountKind::PartnerCurrent) {
        for currency in DEMO_BANK_CURRENCIES {
            store.bank_account(kind, currency).await?;
        }
    }
    let (partner, posted_one) = seed_partner(store, &PARTNER_ONE, now).await?;
    let (other_partner, posted_two) = seed_partner(store, &PARTNER_TWO, now).await?;
    seed_rates(store, now).await?;
    Ok(Demo { partner, other_partner, balances_posted: posted_one + posted_two })
}

/// One change of a demo rate: days before today (0: half an hour ago), buy, sell.
pub type DemoRateChange = (i64, &'static str, &'static str);

/// The demo bank's dealing rates against tenge: per currency, (days before today, buy,
/// sell), set at 09:00 Almaty on those days; the last (day 0) half an hour before the demo
/// starts. Values near the National Bank's in 2026, so the history chart has steps to show.
pub const DEMO_RATES: &[(Currency, &[DemoRateChange])] = &[
    (
        Currency::Usd,
        &[
            (12, "471.50", "477.50"),
            (9, "472.80", "478.80"),
            (6, "470.90", "476.90"),
            (4, "473.40", "479.40"),
            (2, "474.10", "480.10"),
            (0, "473.60", "479.60"),
        ],
    ),
    (
        Currency::Eur,
        &[
            (12, "541.20", "551.20"),
            (9, "543.00", "553.00"),
            (6, "540.70", "550.70"),
            (4, "544.10", "554.10"),
            (2, "545.30", "555.30"),
            (0, "544.80", "554.80"),
        ],
    ),
    (
        Currency::Rub,
        &[
            (12, "5.72", "6.12"),
            (9, "5.75", "6.15"),
            (6, "5.70", "6.10"),
            (4, "5.78", "6.18"),
            (2, "5.81", "6.21"),
            (0, "5.79", "6.19"),
        ],
    ),
    (
        Currency::Cny,
        &[
            (12, "64.90", "67.40"),
            (9, "65.20", "67.70"),
            (6, "64.70", "67.20"),
            (4, "65.50", "68.00"),
            (2, "65.80", "68.30"),
            (0, "65.60", "68.10"),
        ],
    ),
];

/// The National Bank's sample day (31.07.2026), vendored in `data/kz`, imported as the demo's
/// official reference rates.
pub const DEMO_NBK_XML: &str = include_str!("../../../data/kz/nbk_get_rates_example.xml");

/// Seeds [`DEMO_RATES`] once (when no USD rate exists yet: rates are immutable history, so a later
/// start adds nothing) and the NBK sample day (importing it again changes nothing).
async fn seed_rates(store: &dyn Store, now: Timestamp) -> Result<(), DemoError> {
    let invalid = |error: tiyn_fx::RateError| DemoError::Rates(error.to_string());
    let usd = tiyn_fx::Pair::against_tenge(Currency::Usd).map_err(invalid)?;
    if store.fx_rate_history(usd, Timestamp::MIN, Timestamp::MAX).await?.is_empty() {
        let today = tiyn_identity::business_date(now);
        for (currency, changes) in DEMO_RATES {
            let pair = tiyn_fx::Pair::against_tenge(*currency).map_err(invalid)?;
            for (days_ago, buy, sell) in *changes {
                let valid_from = match days_ago {
                    0 => now - jiff::SignedDuration::from_mins(30),
                    days => {
                        let day = today.saturating_sub(jiff::Span::new().days(*days));
                        tiyn_banking::rates::day_start(day) + jiff::SignedDuration::from_hours(9)
                    }
                };
                let rate = tiyn_store::fx::NewDealingRate {
                    pair,
                    buy: tiyn_fx::Rate::parse(buy).map_err(invalid)?,
                    sell: tiyn_fx::Rate::parse(sell).map_err(invalid)?,
                    valid_from: Timestamp::from_microsecond(valid_from.as_microsecond()).unwrap_or(valid_from),
                    set_by: None,
                    set_at: now,
                };
                store.add_fx_rate(rate).await?;
            }
        }
    }
    let nbk = tiyn_fx::nbk::parse(DEMO_NBK_XML).map_err(|error| DemoError::Rates(error.to_string()))?;
    store.put_nbk_rates(&nbk, now).await?;
    Ok(())
}

/// Completes a ten-digit BIN prefix with the first serial digit for which a check digit exists
/// (for about one serial in eleven the Kazakhstan algorithm yields none).
pub fn demo_bin(prefix: &'static str) -> Result<Bin, DemoError> {
    let mut last = BinError::NoCheckDigitPossible;
    for digit in 0..=9 {
        match Bin::with_check_digit(&format!("{prefix}{digit}")) {
            Ok(bin) => return Ok(bin),
            Err(error) => last = error,
        }
    }
    Err(DemoError::Bin { prefix, source: last })
}

pub fn demo_iban(account: &DemoAccount) -> Result<Iban, DemoError> {
    Ok(Iban::from_bban("KZ", &format!("{DEMO_BANK_CODE}{}", account.account_number))?)
}

async fn seed_partner(
    store: &dyn Store,
    spec: &DemoPartnerSpec,
    now: Timestamp,
) -> Result<(PartnerId, u32), DemoError> {
    let bin = demo_bin(spec.bin_prefix)?;
    let existing = store.partners().await?.into_iter().find(|partner| partner.bin == bin);
    let partner = match existing {
        Some(partner) => partner.id,
        None => {
            let new = NewPartner {
                name: spec.name.to_owned(),
                bin,
                legal_address: spec.legal_address.to_owned(),
                created_at: now,
            };
            store.create_partner(new).await?
        }
    };
    let mut posted = 0;
    for account in spec.accounts {
        let iban = demo_iban(account)?;
        let opened = store.partner_accounts(partner).await?;
        let id = match opened.into_iter().find(|opened| opened.iban.as_ref() == Some(&iban)) {
            Some(found) => found.id,
            None => {
                let new = NewAccount {
                    partner: Some(partner),
                    iban: Some(iban.clone()),
                    currency: account.currency,
                    kind: AccountKind::PartnerCurrent,
                    name: account.name.to_owned(),
                    created_at: now,
                };
                store.open_account(new).await?
            }
        };
        let equity = store.bank_account(AccountKind::BankEquity, account.currency).await?;
        let amount = Amount::new(Money::from_minor(account.opening_minor, account.currency))?;
        // The key names the account, so a restart replays instead of posting again.
        let key = IdempotencyKey::parse(&format!("demo-opening-balance-{}", iban.as_str()))?;
        let action = Action::Post {
            entry: JournalEntry::transfer(equity, id, amount)?,
            kind: EntryKind::OpeningBalance,
            memo: "Входящий остаток (демо)".to_owned(),
        };
        let executed = store.execute(Command::new(key, now, action)?).await?;
        if !executed.replayed {
            posted += 1;
        }
    }
    Ok((partner, posted))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo passwords pass the password policy and differ by login and installation.
    #[test]
    fn demo_passwords_are_valid_and_private() {
        let master = MasterKey::from_bytes([3; 32]);
        let policy = tiyn_auth::PasswordPolicy::default();
        let mut seen = std::collections::HashSet::new();
        for spec in DEMO_USERS {
            let password = demo_password(&master, spec.email);
            assert_eq!(policy.check(&password, &[spec.email, spec.full_name]), Ok(()), "{}", spec.email);
            assert!(seen.insert(password.clone()));
            assert_ne!(password, demo_password(&MasterKey::from_bytes([4; 32]), spec.email));
            assert_eq!(password, demo_password(&master, spec.email), "reproducible");
        }
    }

    #[test]
    fn demo_identifiers_are_valid() {
        for spec in [&PARTNER_ONE, &PARTNER_TWO] {
            let bin = demo_bin(spec.bin_prefix).expect("a BIN exists for the demo prefix");
            assert_eq!(Bin::parse(bin.as_str()).ok().as_ref(), Some(&bin));
            for account in spec.accounts {
                let iban = demo_iban(account).expect("valid IBAN");
                assert_eq!(iban.kz_bank_code(), Some(DEMO_BANK_CODE));
                assert_eq!(Iban::parse(iban.as_str()).ok().as_ref(), Some(&iban));
            }
        }
        assert_ne!(demo_bin(PARTNER_ONE.bin_prefix).ok(), demo_bin(PARTNER_TWO.bin_prefix).ok());
    }
}
