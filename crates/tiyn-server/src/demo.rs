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
    #[error("demo POS: {0}")]
    Pos(String),
    /// Notices and marketplace reports (R-3.1.2.8).
    #[error("demo notices and marketplace: {0}")]
    Messages(String),
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

// ----- POS terminals and their operations (issue 6, R-3.1.2.4, R-3.1.2.5) -----

/// The demo partner's POS terminals: (acquirer's id, address), all settling to its second KZT
/// account ([`DEMO_POS_SETTLEMENT_ACCOUNT`]), so the main account keeps its round opening balance.
pub const DEMO_TERMINALS: &[(&str, &str)] = &[
    ("T0012345", "г. Алматы, пр. Абая, 150, магазин «Демо Трейд»"),
    ("T0012346", "г. Алматы, ул. Толе би, 59, ТРЦ «Достык Плаза», павильон 12"),
    ("T0023001", "г. Астана, пр. Туран, 37, бутик 4"),
];
/// Days of operations before today.
pub const DEMO_POS_DAYS: i64 = 60;
/// The index in [`PARTNER_ONE`]'s accounts of the account the terminals settle to.
pub const DEMO_POS_SETTLEMENT_ACCOUNT: usize = 1;
/// Settlements whose date is this many days before today or earlier have been credited; the later
/// ones (yesterday's and today's) are still planned (R-3.1.2.5).
const DEMO_POS_CREDITED_BEFORE_DAYS: i64 = 1;

/// What [`seed_pos`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PosSeeded {
    pub operations_created: usize,
    pub settlements: usize,
}

/// A small deterministic generator (SplitMix64): the demo's operations are the same on every
/// start for the same day, so their ids replay instead of conflicting.
struct DemoRandom(u64);

impl DemoRandom {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        debug_assert!(low <= high);
        low + self.next() % (high - low + 1)
    }
}

/// Seeds the demo partner's terminals and a few hundred card operations of the last
/// [`DEMO_POS_DAYS`] days through the acquirer's use cases (registration, ingestion, settlement):
/// purchases mostly, some refunds, reversals and declines, fees of 1.5–2 %, each settled on the
/// next working day; settlements up to the day before yesterday are credited to the settlement account
/// like the acquirer's credits, the later ones stay planned. Idempotent: a second start replays.
pub async fn seed_pos(banking: &tiyn_banking::Banking, demo: &Demo, now: Timestamp) -> Result<PosSeeded, DemoError> {
    use tiyn_banking::pos::{PosItemOutcome, RawPosOperation, RawPosTerminal};
    let failed = |error: tiyn_banking::BankingError| DemoError::Pos(error.to_string());
    let store = banking.identity().store().clone();
    let settlement_iban = demo_iban(&PARTNER_ONE.accounts[DEMO_POS_SETTLEMENT_ACCOUNT])?;
    let bin = demo_bin(PARTNER_ONE.bin_prefix)?;
    for (terminal_id, address) in DEMO_TERMINALS {
        let raw = RawPosTerminal {
            terminal_id: (*terminal_id).to_owned(),
            partner_bin: bin.as_str().to_owned(),
            address: (*address).to_owned(),
            status: "active".to_owned(),
            settlement_iban: settlement_iban.as_str().to_owned(),
        };
        banking.register_pos_terminal(&raw).await.map_err(failed)?;
    }
    let calendar = tiyn_refdata::kz_calendar();
    let today = tiyn_identity::business_date(now);
    let almaty = jiff::tz::TimeZone::fixed(jiff::tz::offset(5));
    let mut operations = Vec::new();
    let mut settlement_dates = std::collections::BTreeSet::new();
    for days_ago in (1..=DEMO_POS_DAYS).rev() {
        let day = today.saturating_sub(jiff::Span::new().days(days_ago));
        let settles = calendar.next_working_day(day).unwrap_or(day);
        for (index, (terminal_id, _)) in DEMO_TERMINALS.iter().enumerate() {
            let seed = (day.year() as u64) << 32 | (day.day_of_year() as u64) << 8 | index as u64;
            let mut random = DemoRandom(seed);
            // Fewer sales on Sundays; the Astana boutique is the quietest.
            let busy = if day.weekday() == jiff::civil::Weekday::Sunday { 1 } else { 3 };
            let count = random.between(1, busy + 2 - index.min(1) as u64);
            let fee_basis_points = 150 + 25 * index as i64;
            for number in 0..count {
                // Between 09:00 and 20:59 in Almaty: every part fits an i8.
                let minute_of_day = random.between(9 * 60, 21 * 60 - 1);
                let (hour, minute, second) =
                    ((minute_of_day / 60) as i8, (minute_of_day % 60) as i8, random.between(0, 59) as i8);
                let local = day.at(hour, minute, second, 0);
                let occurred_at = almaty.to_timestamp(local).map_err(|error| DemoError::Pos(error.to_string()))?;
                let roll = random.between(0, 99);
                let (kind, status) = match roll {
                    0..=3 => ("purchase", "declined"),
                    4..=8 => ("refund", "settled"),
                    9..=11 => ("reversal", "settled"),
                    _ => ("purchase", "settled"),
                };
                // 1 500 to 85 000 tenge in steps of 10 (a refund or reversal is smaller).
                let tenge = random.between(150, 8_500) * 10 / if kind == "purchase" { 1 } else { 3 };
                let minor = i64::try_from(tenge).unwrap_or(1_500) * 100;
                let fee_minor = if kind == "purchase" && status == "settled" {
                    (minor * fee_basis_points + 5_000) / 10_000
                } else {
                    0
                };
                let bin6 = ["440043", "402207", "535687", "220073"][random.between(0, 3) as usize];
                let last4 = random.between(0, 9_999);
                operations.push(RawPosOperation {
                    operation_id: format!("DEMO-{terminal_id}-{}-{number:02}", day.strftime("%Y%m%d")),
                    terminal_id: (*terminal_id).to_owned(),
                    occurred_at: occurred_at.to_string(),
                    kind: kind.to_owned(),
                    status: status.to_owned(),
                    card: format!("{bin6}******{last4:04}"),
                    amount: Money::from_minor(minor, Currency::Kzt).amount_string(),
                    currency: "KZT".to_owned(),
                    fee: Money::from_minor(fee_minor, Currency::Kzt).amount_string(),
                    fee_currency: "KZT".to_owned(),
                    settlement_date: (status == "settled").then(|| settles.to_string()),
                });
            }
            settlement_dates.insert(settles);
        }
    }
    let mut created = 0;
    for batch in operations.chunks(tiyn_store::pos::INGEST_BATCH_MAX) {
        let report = banking.ingest_pos_operations(batch).await.map_err(failed)?;
        for outcome in &report.outcomes {
            match outcome {
                PosItemOutcome::Created { .. } => created += 1,
                PosItemOutcome::Replayed { .. } | PosItemOutcome::Settled { .. } => {}
                PosItemOutcome::Refused { code, detail } => {
                    return Err(DemoError::Pos(format!("an operation was refused: {code}: {detail}")));
                }
            }
        }
    }
    let account =
        store.account_by_iban(&settlement_iban).await?.ok_or(StoreError::NotFound { what: "demo account" })?;
    let credited_through = today.saturating_sub(jiff::Span::new().days(DEMO_POS_CREDITED_BEFORE_DAYS + 1));
    let mut settlements = 0;
    for date in settlement_dates.into_iter().filter(|date| *date <= credited_through) {
        let Some(plan) = store.pos_settlement(account.id, date).await?.planned else { continue };
        let amount = Amount::new(plan.amount()?)?;
        let input = tiyn_banking::pos::PosSettlementInput {
            settlement_account_iban: settlement_iban.clone(),
            settlement_date: date,
            amount,
        };
        banking.settle_pos(&input).await.map_err(failed)?;
        settlements += 1;
    }
    debug_assert!(demo.partner.get() > 0);
    Ok(PosSeeded { operations_created: created, settlements })
}

// ----- Notices and marketplace reports (issue 6, R-3.1.2.8) -----

/// The demo's notices: idempotency key, kind, to the demo partner only (else every partner),
/// title, text. Published with their keys, so a restart replays them.
pub const DEMO_NOTICES: &[(&str, &str, bool, &str, &str)] = &[
    (
        "demo-notice-maintenance-1",
        "maintenance",
        false,
        "Плановые работы в ночь на воскресенье",
        "С 02:00 до 04:00 по времени Алматы интернет-банк может быть недоступен. Платежи, отправленные до начала \
         работ, будут исполнены в обычном порядке.",
    ),
    (
        "demo-notice-promotion-1",
        "promotion",
        false,
        "Бесплатные внутренние переводы до конца квартала",
        "Переводы между счетами клиентов банка проводятся без комиссии до конца текущего квартала. Подключать \
         ничего не нужно: условие действует для всех клиентов.",
    ),
    (
        "demo-notice-legal-address-1",
        "legal_address_change",
        true,
        "Юридический адрес обновлён",
        "Банк внёс в ваше досье новый юридический адрес: 050010, г. Алматы, Медеуский район, пр. Достык, д. 43, \
         офис 512. Если адрес указан неверно, сообщите нам через раздел обращений.",
    ),
];

/// Orders in the demo's marketplace report, and how many of them each of its payouts covers (the
/// rest are not paid out yet). The first two are paid out in the report's month and credited;
/// the last is dated the last day of the current month and not credited yet, so the demo
/// partner's planned credits show a marketplace payout (R-3.1.2.5).
pub const DEMO_MARKETPLACE_ORDERS: usize = 20;
pub const DEMO_MARKETPLACE_PAID: [usize; 3] = [8, 7, 3];
/// Payouts of the demo's report credited when it is seeded: all but the last.
pub const DEMO_MARKETPLACE_CREDITED: usize = DEMO_MARKETPLACE_PAID.len() - 1;

/// The demo marketplace report's id for the month before `now`'s: one report a month, the same
/// content at every start in that month.
pub fn demo_report_id(now: Timestamp) -> String {
    let month = tiyn_identity::business_date(now).first_of_month().saturating_sub(jiff::Span::new().days(1));
    format!("DEMO-MP-{}", month.strftime("%Y-%m"))
}

/// What [`seed_messages`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessagesSeeded {
    pub notices_published: usize,
    pub report_created: bool,
}

/// Seeds the demo's notices (a maintenance notice and a promotion to every partner, a change of
/// the demo partner's legal address) and one marketplace report for the demo partner: last
/// month's [`DEMO_MARKETPLACE_ORDERS`] orders with a commission of 5–12 %, three payouts to its
/// salary account (two credited, one expected at the end of this month) and a few orders not paid
/// out yet — through the use cases the operators and the marketplace use. Idempotent: a second
/// start replays.
pub async fn seed_messages(
    banking: &tiyn_banking::Banking,
    demo: &Demo,
    now: Timestamp,
) -> Result<MessagesSeeded, DemoError> {
    use tiyn_banking::marketplace::MarketplacePayoutCredit;
    use tiyn_banking::messages::{RawMarketplaceReport, RawMoneyText, RawNotice, RawOrder, RawPayout};
    let failed = |error: tiyn_banking::messages::MessagesError| DemoError::Messages(format!("{error:?}"));
    let actor = tiyn_identity::BankActor::console(None);
    let context = tiyn_identity::Context::default();
    let mut notices_published = 0;
    for (key, kind, own, title, text) in DEMO_NOTICES {
        let raw = RawNotice {
            partner_id: own.then(|| demo.partner.to_string()),
            kind: (*kind).to_owned(),
            title: (*title).to_owned(),
            text: (*text).to_owned(),
        };
        let published =
            banking.publish_notice(&context, &actor, &raw, Some((*key).to_owned())).await.map_err(failed)?;
        notices_published += usize::from(!published.replayed);
    }
    let month_end = tiyn_identity::business_date(now).first_of_month().saturating_sub(jiff::Span::new().days(1));
    let month_start = month_end.first_of_month();
    let report_id = demo_report_id(now);
    let almaty = jiff::tz::TimeZone::fixed(jiff::tz::offset(5));
    let money = |minor: i64| RawMoneyText {
        amount: Money::from_minor(minor, Currency::Kzt).amount_string(),
        currency: "KZT".to_owned(),
    };
    let mut random =
        DemoRandom(u64::from(month_start.year().unsigned_abs()) << 8 | u64::from(month_start.month().unsigned_abs()));
    let mut orders = Vec::with_capacity(DEMO_MARKETPLACE_ORDERS);
    let mut nets = Vec::with_capacity(DEMO_MARKETPLACE_ORDERS);
    for number in 0..DEMO_MARKETPLACE_ORDERS {
        // Spread over the month, between 10:00 and 21:59 in Almaty: every part fits an i8.
        let day = month_start
            .saturating_add(jiff::Span::new().days(i64::try_from(number).unwrap_or(0) * 27 / 20))
            .min(month_end);
        let (hour, minute) = (random.between(10, 21) as i8, random.between(0, 59) as i8);
        let sold_at =
            almaty.to_timestamp(day.at(hour, minute, 0, 0)).map_err(|error| DemoError::Messages(error.to_string()))?;
        // 2 000 to 60 000 tenge in steps of 10; 5 to 12 % commission, rounded to the tiyn.
        let minor = i64::try_from(random.between(200, 6_000) * 10 * 100).unwrap_or(200_000);
        let basis_points = i64::try_from(random.between(500, 1_200)).unwrap_or(800);
        let commission = (minor * basis_points + 5_000) / 10_000;
        nets.push(minor - commission);
        orders.push(RawOrder {
            order_id: format!("{report_id}-{:03}", number + 1),
            sold_at: sold_at.to_string(),
            amount: money(minor),
            commission: money(commission),
        });
    }
    // To the salary account, where the POS settlements go too: the main account's balance is the
    // one a person checks a payment against.
    let payee = demo_iban(&PARTNER_ONE.accounts[1])?;
    let mut payouts = Vec::new();
    let mut first = 0;
    for (index, count) in DEMO_MARKETPLACE_PAID.into_iter().enumerate() {
        let covered = first..first + count;
        let paid_on = if index < DEMO_MARKETPLACE_CREDITED {
            month_start
                .saturating_add(jiff::Span::new().days(i64::try_from(14 * index + 14).unwrap_or(14)))
                .min(month_end)
        } else {
            // The same date at every start in the month (the report's content must not change),
            // and never in the past.
            tiyn_identity::business_date(now).last_of_month()
        };
        payouts.push(RawPayout {
            payout_id: format!("{report_id}-P{}", index + 1),
            paid_on: paid_on.to_string(),
            amount: money(nets[covered.clone()].iter().sum()),
            account_iban: payee.as_str().to_owned(),
            order_ids: orders[covered.clone()].iter().map(|order| order.order_id.clone()).collect(),
        });
        first = covered.end;
    }
    let credits = payouts[..DEMO_MARKETPLACE_CREDITED]
        .iter()
        .map(|payout| {
            let amount = Amount::parse(&payout.amount.amount, Currency::Kzt)
                .map_err(|error| DemoError::Messages(format!("payout {}: {error}", payout.payout_id)))?;
            Ok(MarketplacePayoutCredit {
                account_iban: payee.clone(),
                report_id: report_id.clone(),
                payout_id: payout.payout_id.clone(),
                amount,
            })
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    let raw = RawMarketplaceReport {
        report_id,
        partner_bin: demo_bin(PARTNER_ONE.bin_prefix)?.as_str().to_owned(),
        period_from: month_start.to_string(),
        period_to: month_end.to_string(),
        orders,
        payouts,
    };
    let ingested = match banking.ingest_marketplace_report(&raw).await {
        Ok(ingested) => ingested,
        // A data directory made by an earlier version holds this month's report with other
        // content (its payouts were made otherwise): the demo keeps it and starts as it is.
        Err(tiyn_banking::messages::MessagesError::Banking(tiyn_banking::BankingError::Conflict(code)))
            if code == tiyn_banking::messages::codes::IDEMPOTENCY_CONFLICT =>
        {
            tracing::warn!(report = %raw.report_id, "the demo's marketplace report was made by an earlier version; kept as it is");
            return Ok(MessagesSeeded { notices_published, report_created: false });
        }
        Err(error) => return Err(failed(error)),
    };
    // The payouts already made arrive as the marketplace's credits (a restart replays them).
    for credit in &credits {
        banking.credit_marketplace_payout(credit).await.map_err(|error| DemoError::Messages(format!("{error:?}")))?;
    }
    debug_assert!(demo.partner.get() > 0);
    Ok(MessagesSeeded { notices_published, report_created: !ingested.replayed })
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
