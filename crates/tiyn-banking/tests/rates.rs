//! The bank's FX rates as use cases (R-13.2, R-3.1.1.4) over a real store (SQLite, or PostgreSQL
//! with `TIYN_TEST_BACKEND=postgres`), a manual clock and the audit trail: rates set by the bank
//! with every field checked, never back-dated, read as in force at the end of a business day, and
//! the National Bank's official rates imported and audited.

use std::sync::Arc;

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use tiyn_auth::{MasterKey, PasswordHasher};
use tiyn_banking::rates::{RatePeriod, RawRate, audit_action, day_end};
use tiyn_banking::{Banking, BankingConfig};
use tiyn_core::Currency;
use tiyn_fx::Pair;
use tiyn_identity::{BankActor, Clock, Context, Identity, IdentityConfig, ManualClock};
use tiyn_notify::MemorySink;
use tiyn_store::{AuditQuery, Store};

struct Fixture {
    banking: Banking,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

/// Tuesday 2026-11-24, 10:00 in Almaty.
fn start() -> Timestamp {
    Timestamp::from_second(1_795_496_400).expect("valid")
}

fn context() -> Context {
    Context { source_ip: Some("192.0.2.10".to_owned()), user_agent: Some("tests".to_owned()) }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = tiyn_backend::test_location(dir.path()).await;
    let store: Arc<dyn Store> = tiyn_backend::open_store(&location).await.expect("store");
    let clock = Arc::new(ManualClock::new(start()));
    let master = MasterKey::from_bytes([7; 32]);
    let config = IdentityConfig::standard(PasswordHasher::for_tests(), &master, tiyn_refdata::kz_calendar());
    let identity = Identity::new(store.clone(), Arc::new(MemorySink::new()), config, clock.clone());
    let reference = Arc::new(tiyn_refdata::ReferenceData::embedded().expect("reference data"));
    let bank = tiyn_identity::BankIdentity::default();
    let banking = Banking::new(identity, reference, BankingConfig::standard(bank.bank_code())).expect("banking");
    Fixture { banking, store, clock, _dir: dir }
}

fn raw(base: &str, quote: &str, buy: &str, sell: &str, valid_from: Option<&str>) -> RawRate {
    RawRate {
        base: base.into(),
        quote: quote.into(),
        buy: buy.into(),
        sell: sell.into(),
        valid_from: valid_from.map(str::to_owned),
    }
}

fn refusals(banking: &Banking, rate: RawRate) -> Vec<(&'static str, &'static str)> {
    banking.parse_rate(&rate).expect_err("refused").iter().map(|error| (error.field, error.code)).collect()
}

fn usd_kzt() -> Pair {
    Pair::against_tenge(Currency::Usd).expect("pair")
}

/// every field of a rate is checked and every problem reported at once, with its field;
/// a rate never takes effect in the past (the history must keep answering what was in force) nor
/// more than a month ahead.
#[tokio::test]
async fn r_13_2_a_rate_is_checked_field_by_field() {
    let f = fixture().await;
    let b = &f.banking;
    assert_eq!(
        refusals(b, raw("", "kzt", "", "abc", None)),
        [("base", "required"), ("quote", "unsupported_currency"), ("buy", "required"), ("sell", "invalid_rate")]
    );
    assert_eq!(refusals(b, raw("KZT", "KZT", "1", "2", None)), [("quote", "invalid_pair")]);
    assert_eq!(refusals(b, raw("USD", "KZT", "481.00", "480.00", None)), [("buy", "buy_above_sell")]);
    assert_eq!(
        refusals(b, raw("USD", "KZT", "470.1234567", "-1", None)),
        [("buy", "invalid_rate"), ("sell", "invalid_rate")]
    );
    assert_eq!(refusals(b, raw("USD", "KZT", "470", "480", Some("tomorrow"))), [("valid_from", "invalid_instant")]);
    assert_eq!(
        refusals(b, raw("USD", "KZT", "470", "480", Some("2026-11-24T09:59:59+05:00"))),
        [("valid_from", "valid_from_in_past")]
    );
    assert_eq!(
        refusals(b, raw("USD", "KZT", "470", "480", Some("2027-01-01T00:00:00+05:00"))),
        [("valid_from", "valid_from_too_far")]
    );
    let later = b.parse_rate(&raw("EUR", "USD", "1.15", "1.17", Some("2026-11-24T18:00:00+05:00"))).expect("valid");
    assert_eq!(later.valid_from().to_string(), "2026-11-24T13:00:00Z", "instants with an offset");
    let now = b.parse_rate(&raw(" USD ", "KZT", "470", "480", Some(" "))).expect("valid");
    assert_eq!((now.pair(), now.valid_from()), (usd_kzt(), start()), "no valid_from: now");
}

/// a rate the bank sets is in force from its `valid_from` on and is audited as the
/// bank's action with the pair, both rates and the instant; a rate set ahead is not in force yet.
#[tokio::test]
async fn r_13_2_a_rate_set_by_the_bank_is_in_force_and_audited() {
    let f = fixture().await;
    let actor = BankActor::console(None);
    let rate = f.banking.parse_rate(&raw("USD", "KZT", "470.00", "480.00", None)).expect("valid");
    let stored = f.banking.set_rate(&context(), &actor, rate).await.expect("set");
    let later = f.banking.parse_rate(&raw("USD", "KZT", "471", "481", Some("2026-11-24T15:00:00+05:00"))).expect("ok");
    let scheduled = f.banking.set_rate(&context(), &actor, later).await.expect("set ahead");
    let in_force = f.banking.rates_at(f.clock.now()).await.expect("read");
    assert_eq!(in_force.get(usd_kzt()).map(|rate| rate.id()), Some(stored.id()));
    let afternoon = start() + SignedDuration::from_hours(5);
    assert_eq!(f.banking.rates_at(afternoon).await.expect("read").get(usd_kzt()).map(|r| r.id()), Some(scheduled.id()));

    let records = f.store.audit_records(AuditQuery { limit: 10, ..Default::default() }).await.expect("audit");
    let set: Vec<_> = records.iter().filter(|record| record.record.action == audit_action::RATE_SET).collect();
    assert_eq!(set.len(), 2);
    let first = set.last().expect("the first");
    assert_eq!(first.record.object.as_deref(), Some(format!("fx_rate:{}", stored.id()).as_str()));
    assert_eq!(
        first.record.details.as_deref(),
        Some("USD/KZT buy 470.00 sell 480.00 from 2026-11-24T05:00:00Z; via: cli"),
        "the console's action says so"
    );
}

/// the rates of a past business day are those in force at its end (Almaty time); for
/// today, those in force now (a rate scheduled for tonight is not shown yet); a future day is
/// refused. The official rates are the latest imported on or before the day.
#[tokio::test]
async fn r_13_2_rates_of_a_day_are_those_in_force_at_its_end() {
    let f = fixture().await;
    let actor = BankActor::console(None);
    let set = async |buy: &str, sell: &str, from: Option<&str>| {
        let rate = f.banking.parse_rate(&raw("USD", "KZT", buy, sell, from)).expect("valid");
        f.banking.set_rate(&context(), &actor, rate).await.expect("set")
    };
    let monday = set("470.00", "480.00", None).await;
    let monday_evening = set("470.50", "480.50", Some("2026-11-24T23:30:00+05:00")).await;
    f.clock.advance(SignedDuration::from_hours(24));
    let tuesday = set("471.00", "481.00", None).await;
    let tonight = set("472.00", "482.00", Some("2026-11-25T22:00:00+05:00")).await;
    assert!(tonight.valid_from() > f.clock.now());

    let on = |day| f.banking.rates_on(day);
    let yesterday = on(Some(date(2026, 11, 24))).await.expect("read");
    assert_eq!(yesterday.rates.instant(), day_end(date(2026, 11, 24)));
    assert_eq!(yesterday.rates.get(usd_kzt()).map(|rate| rate.id()), Some(monday_evening.id()), "in force at 23:59:59");
    let today = on(None).await.expect("read");
    assert_eq!((today.date, today.rates.instant()), (date(2026, 11, 25), f.clock.now()));
    assert_eq!(today.rates.get(usd_kzt()).map(|rate| rate.id()), Some(tuesday.id()), "tonight's rate not yet");
    assert!(on(Some(date(2026, 11, 23))).await.expect("read").rates.all().is_empty(), "before the first rate");
    let future = on(Some(date(2026, 11, 26))).await.expect_err("future");
    assert_eq!(future.code(), "date_in_future");
    assert!(today.official.is_none(), "no official rates imported");

    let history = f.banking.rate_history(usd_kzt(), RatePeriod::recent(date(2026, 11, 25))).await.expect("history");
    assert_eq!(
        history.iter().map(|rate| rate.id()).collect::<Vec<_>>(),
        [monday.id(), monday_evening.id(), tuesday.id()],
        "the history stops now"
    );
}

/// the National Bank's sample day is imported as the bank's audited action; importing
/// it again changes nothing; the official rates of a later day without an import are the sample
/// day's, said with its date.
#[tokio::test]
async fn r_13_2_official_rates_are_imported_and_audited() {
    let f = fixture().await;
    let actor = BankActor::console(None);
    let sample = include_str!("../../tiyn-fx/tests/data/nbk_get_rates_example.xml");
    let rates = tiyn_fx::nbk::parse(sample).expect("the sample");
    let first = f.banking.import_nbk_rates(&context(), &actor, &rates).await.expect("import");
    assert_eq!(first.added, ["USD", "EUR", "JPY", "UZS"]);
    let again = f.banking.import_nbk_rates(&context(), &actor, &rates).await.expect("again");
    assert!(!again.changed());
    let on = f.banking.rates_on(Some(date(2026, 8, 3))).await.expect("read");
    let official = on.official.expect("the sample day's");
    assert_eq!(official.date, date(2026, 7, 31));
    let jpy = official.items.iter().find(|record| record.rate.code == "JPY").expect("JPY");
    assert_eq!((jpy.rate.per_unit.to_string(), jpy.rate.quant), ("2.92".to_owned(), 100));

    let records = f.store.audit_records(AuditQuery { limit: 10, ..Default::default() }).await.expect("audit");
    let imports: Vec<_> = records.iter().filter(|record| record.record.action == audit_action::NBK_IMPORT).collect();
    assert_eq!(imports.len(), 2, "every import is recorded, even one that changed nothing");
    assert_eq!(imports[0].record.object.as_deref(), Some("nbk_rates:2026-07-31"));
    assert_eq!(
        imports[0].record.details.as_deref(),
        Some("date 2026-07-31: 0 added, 0 replaced, 4 unchanged; via: cli")
    );
    assert_eq!(
        imports[1].record.details.as_deref(),
        Some("date 2026-07-31: 4 added, 0 replaced, 0 unchanged; via: cli")
    );
}
