//! The storage story of FX rates (issue 5, R-13.2, R-3.1.1.4), run on every backend through
//! [`crate::store_conformance!`]: the rates in force at instants between changes, the history of
//! a pair, rates read back by id, and the NBK's official rates imported idempotently.

use std::sync::Arc;

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use tiyn_core::Currency;
use tiyn_fx::nbk::{NbkRate, NbkRates};
use tiyn_fx::{DealingRate, Pair, Rate, RateId};

use super::now;
use crate::fx::{NbkReplacement, NewDealingRate};
use crate::{Store, StoreError};

fn usd_kzt() -> Pair {
    Pair::against_tenge(Currency::Usd).expect("pair")
}

fn eur_kzt() -> Pair {
    Pair::against_tenge(Currency::Eur).expect("pair")
}

fn minutes(n: i64) -> Timestamp {
    now() + SignedDuration::from_mins(n)
}

fn new_rate(pair: Pair, buy: &str, sell: &str, valid_from: Timestamp) -> NewDealingRate {
    NewDealingRate {
        pair,
        buy: Rate::parse(buy).expect("buy"),
        sell: Rate::parse(sell).expect("sell"),
        valid_from,
        set_by: None,
        set_at: now(),
    }
}

async fn set(store: &dyn Store, pair: Pair, buy: &str, sell: &str, valid_from: Timestamp) -> DealingRate {
    let stored = store.add_fx_rate(new_rate(pair, buy, sell, valid_from)).await.expect("rate kept");
    assert_eq!((stored.pair(), stored.valid_from()), (pair, valid_from));
    assert_eq!((stored.buy().to_string(), stored.sell().to_string()), (buy.to_owned(), sell.to_owned()));
    stored
}

/// Which rate ids are in force at an instant, by pair.
async fn in_force(store: &dyn Store, at: Timestamp) -> Vec<(Pair, RateId)> {
    let rates = store.fx_rates_at(at).await.expect("read");
    assert_eq!(rates.instant(), at);
    rates.all().iter().map(|rate| (rate.pair(), rate.id())).collect()
}

/// several changes a day; at every instant each pair has the latest rate whose
/// `valid_from` has come (a change valid from an instant applies at exactly that instant, a rate
/// set later but valid earlier takes its place in time, a tie goes to the rate set last), and a
/// pair without a rate yet is absent.
pub async fn r_13_2_rates_in_force_between_changes(store: Arc<dyn Store>) {
    let store = store.as_ref();
    assert!(in_force(store, minutes(0)).await.is_empty(), "no rate before the bank sets one");
    let morning = set(store, usd_kzt(), "470.00", "480.00", minutes(0)).await;
    let noon = set(store, usd_kzt(), "471.50", "481.50", minutes(240)).await;
    let eur = set(store, eur_kzt(), "540.10", "552.90", minutes(60)).await;
    // Set after noon's rate, but valid from before it: it governs 120..240.
    let correction = set(store, usd_kzt(), "470.80", "480.80", minutes(120)).await;
    let cases = [
        (-1, vec![]),
        (0, vec![(usd_kzt(), morning.id())]),
        (59, vec![(usd_kzt(), morning.id())]),
        (60, vec![(usd_kzt(), morning.id()), (eur_kzt(), eur.id())]),
        (119, vec![(usd_kzt(), morning.id()), (eur_kzt(), eur.id())]),
        (120, vec![(usd_kzt(), correction.id()), (eur_kzt(), eur.id())]),
        (239, vec![(usd_kzt(), correction.id()), (eur_kzt(), eur.id())]),
        (240, vec![(usd_kzt(), noon.id()), (eur_kzt(), eur.id())]),
        (60 * 24 * 365, vec![(usd_kzt(), noon.id()), (eur_kzt(), eur.id())]),
    ];
    for (minute, expected) in cases {
        assert_eq!(in_force(store, minutes(minute)).await, expected, "at minute {minute}");
    }
    // One microsecond before a change, the previous rate still applies.
    let just_before = minutes(240) - SignedDuration::from_micros(1);
    assert_eq!(in_force(store, just_before).await[0], (usd_kzt(), correction.id()));
    let rates = store.fx_rates_at(minutes(240)).await.expect("read");
    let usd = rates.get(usd_kzt()).expect("USD in force");
    assert_eq!((usd.buy().to_string(), usd.sell().to_string()), ("471.50".to_owned(), "481.50".to_owned()));

    // Two rates valid from the same instant: the one set last is in force.
    let first = set(store, eur_kzt(), "541.00", "553.00", minutes(300)).await;
    let second = set(store, eur_kzt(), "541.20", "553.20", minutes(300)).await;
    assert!(second.id() > first.id());
    assert_eq!(in_force(store, minutes(300)).await[1], (eur_kzt(), second.id()));

    // A cross rate is a pair of its own; the reverse direction is another pair.
    let cross = Pair::new(Currency::Usd, Currency::Eur).expect("pair");
    let usd_eur = set(store, cross, "0.86", "0.88", minutes(0)).await;
    assert!(in_force(store, minutes(1)).await.contains(&(cross, usd_eur.id())));
    let reverse = Pair::new(Currency::Eur, Currency::Usd).expect("pair");
    assert!(store.fx_rates_at(minutes(1)).await.expect("read").get(reverse).is_none());

    // buy above sell is refused before anything is written.
    let refused = store.add_fx_rate(new_rate(usd_kzt(), "481.00", "480.00", minutes(1))).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
    assert_eq!(in_force(store, minutes(1)).await[0], (usd_kzt(), morning.id()));
}

/// rates set concurrently are all kept, each with its own id; the pair is listed once and
/// the latest valid one is in force.
pub async fn r_13_2_concurrent_rates_are_all_kept(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..16_i64)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let buy = format!("{}.00", 470 + n);
                let sell = format!("{}.00", 480 + n);
                store.add_fx_rate(new_rate(usd_kzt(), &buy, &sell, minutes(n))).await.expect("kept").id()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.expect("joined"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 16, "every rate has its own id");
    let rates = store.fx_rates_at(minutes(100)).await.expect("read");
    assert_eq!(rates.all().len(), 1, "one pair");
    assert_eq!(rates.get(usd_kzt()).map(|rate| rate.buy().to_string()), Some("485.00".to_owned()));
    let history = store.fx_rate_history(usd_kzt(), minutes(0), minutes(100)).await.expect("history");
    assert_eq!(history.len(), 16);
}

/// R-3.1.1.4: the history of a pair over a period is the rate in force at its start and
/// every change until its end, in order; every rate reads back by its id, in force or not, so a
/// conversion is reproducible from the id it stored.
pub async fn r_13_2_rate_history_and_rates_by_id(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let a = set(store, usd_kzt(), "470.00", "480.00", minutes(0)).await;
    let b = set(store, usd_kzt(), "471.00", "481.00", minutes(100)).await;
    let c = set(store, usd_kzt(), "472.00", "482.00", minutes(200)).await;
    let d = set(store, usd_kzt(), "473.00", "483.00", minutes(300)).await;
    set(store, eur_kzt(), "540.00", "552.00", minutes(150)).await;
    let ids = |rates: Vec<DealingRate>| rates.iter().map(DealingRate::id).collect::<Vec<_>>();
    let history = |from: i64, to: i64| store.fx_rate_history(usd_kzt(), minutes(from), minutes(to));
    assert_eq!(ids(history(150, 250).await.expect("read")), [b.id(), c.id()], "in force at the start, then changes");
    assert_eq!(ids(history(100, 300).await.expect("read")), [b.id(), c.id(), d.id()], "both ends included");
    assert_eq!(ids(history(-50, 50).await.expect("read")), [a.id()], "nothing in force before the first");
    assert_eq!(ids(history(-50, -10).await.expect("read")), Vec::<RateId>::new());
    assert_eq!(ids(history(400, 500).await.expect("read")), [d.id()], "the last rate stays in force");
    let reverse = Pair::new(Currency::Kzt, Currency::Usd).expect("pair");
    assert!(store.fx_rate_history(reverse, minutes(0), minutes(500)).await.expect("read").is_empty());

    for rate in [&a, &b, &c, &d] {
        assert_eq!(store.fx_rate(rate.id()).await.expect("read").as_ref(), Some(rate), "{}", rate.id());
    }
    assert_eq!(store.fx_rate(RateId::new(d.id().get() + 1_000)).await.expect("read"), None);
}

fn nbk_rate(code: &str, per_unit: &str, quant: u32, name: &str) -> NbkRate {
    NbkRate {
        code: code.into(),
        currency: Currency::parse(code).ok(),
        per_unit: Rate::parse(per_unit).expect("rate"),
        quant,
        name: name.into(),
    }
}

/// a day of official rates is stored with codes Tiyn does not know; importing the same
/// file again changes nothing; a corrected value replaces the stored one and is reported; each
/// day stays separate, and the latest day on or before a date is found.
pub async fn r_13_2_nbk_rates_import_idempotently(store: Arc<dyn Store>) {
    let day = date(2026, 7, 31);
    let file = NbkRates {
        date: day,
        items: vec![
            nbk_rate("USD", "474.2", 1, "ДОЛЛАР США"),
            nbk_rate("JPY", "2.92", 100, "ЯПОНСКАЯ ИЕНА"),
            nbk_rate("XDR", "640.12", 1, "СДР"),
        ],
    };
    let first = store.put_nbk_rates(&file, minutes(0)).await.expect("import");
    assert_eq!(first.added, ["USD", "JPY", "XDR"]);
    assert!(first.replaced.is_empty() && first.unchanged.is_empty());
    let stored = store.nbk_rates(day).await.expect("read");
    let rows: Vec<(&str, Option<Currency>, String, u32)> = stored
        .iter()
        .map(|record| {
            (record.rate.code.as_str(), record.rate.currency, record.rate.per_unit.to_string(), record.rate.quant)
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("JPY", Some(Currency::Jpy), "2.92".to_owned(), 100),
            ("USD", Some(Currency::Usd), "474.20".to_owned(), 1),
            ("XDR", None, "640.12".to_owned(), 1),
        ]
    );
    assert!(stored.iter().all(|record| record.date == day && record.imported_at == minutes(0)));
    assert_eq!(stored[0].rate.name, "ЯПОНСКАЯ ИЕНА");

    let again = store.put_nbk_rates(&file, minutes(5)).await.expect("import again");
    assert!(!again.changed(), "{again:?}");
    assert_eq!(again.unchanged, ["USD", "JPY", "XDR"]);
    assert_eq!(store.nbk_rates(day).await.expect("read"), stored, "nothing written, not even the instant");

    let corrected = NbkRates { date: day, items: vec![nbk_rate("USD", "474.5", 1, "")] };
    let report = store.put_nbk_rates(&corrected, minutes(10)).await.expect("correction");
    assert_eq!(
        report.replaced,
        [NbkReplacement {
            code: "USD".into(),
            before: Rate::parse("474.2").expect("rate"),
            before_quant: 1,
            after: Rate::parse("474.5").expect("rate"),
            after_quant: 1,
        }]
    );
    let after = store.nbk_rates(day).await.expect("read");
    let usd = after.iter().find(|record| record.rate.code == "USD").expect("USD");
    assert_eq!((usd.rate.per_unit.to_string(), usd.rate.name.as_str()), ("474.50".to_owned(), "ДОЛЛАР США"));
    assert_eq!(usd.imported_at, minutes(10));
    assert_eq!(after.len(), 3, "codes the correction does not list stay");

    let next = NbkRates { date: date(2026, 8, 3), items: vec![nbk_rate("USD", "475", 1, "ДОЛЛАР США")] };
    store.put_nbk_rates(&next, minutes(20)).await.expect("next day");
    assert_eq!(store.nbk_rates(day).await.expect("read").len(), 3);
    assert!(store.nbk_rates(date(2026, 8, 1)).await.expect("read").is_empty());
    let latest = async |on| store.latest_nbk_date(on).await.expect("read");
    assert_eq!(latest(date(2026, 7, 30)).await, None);
    assert_eq!(latest(day).await, Some(day));
    assert_eq!(latest(date(2026, 8, 2)).await, Some(day), "a weekend keeps Friday's rates");
    assert_eq!(latest(date(2026, 12, 31)).await, Some(date(2026, 8, 3)));
}
