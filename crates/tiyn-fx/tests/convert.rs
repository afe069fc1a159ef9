//! Conversions (R-3.1.1.4, R-13.2): legs at the bank's buy and sell rates, cross conversions
//! through tenge, the margin against the mid rate as income, and rounding that never loses or
//! creates a minor unit in the ledger.

use jiff::Timestamp;
use proptest::prelude::*;
use tiyn_core::{AccountId, Currency, Money, Rounding};
use tiyn_fx::{
    Conversion, ConversionAmount, ConversionError, DealingRate, FxAccounts, Pair, Rate, RateId, RatesInForce, Side,
    convert,
};
use tiyn_ledger::JournalEntry;

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + second).expect("instant")
}

fn rate(id: i64, base: Currency, quote: Currency, buy: &str, sell: &str, from: i64) -> DealingRate {
    let pair = Pair::new(base, quote).expect("pair");
    DealingRate::new(RateId::new(id), pair, Rate::parse(buy).expect("buy"), Rate::parse(sell).expect("sell"), at(from))
        .expect("rate")
}

fn kzt(text: &str) -> Money {
    Money::parse(text, Currency::Kzt).expect("KZT")
}

fn usd(text: &str) -> Money {
    Money::parse(text, Currency::Usd).expect("USD")
}

const PAYER: AccountId = AccountId::new(1);
const PAYEE: AccountId = AccountId::new(2);

fn books() -> Vec<FxAccounts> {
    [Currency::Kzt, Currency::Usd, Currency::Eur, Currency::Rub, Currency::Uzs, Currency::Jpy]
        .into_iter()
        .enumerate()
        .map(|(index, currency)| {
            let base = 100 + 10 * index as i64;
            FxAccounts {
                currency,
                position: AccountId::new(base),
                income: AccountId::new(base + 1),
                rounding: AccountId::new(base + 2),
            }
        })
        .collect()
}

fn balanced(conversion: &Conversion) -> bool {
    let postings = conversion.postings(PAYER, PAYEE, &books()).expect("postings");
    JournalEntry::new(postings).is_ok()
}

/// R-3.1.1.4: selling 100.00 USD is paid at the bank's buy rate; buying 100.00 USD costs the sell
/// rate; the difference to the mid rate is the bank's margin, posted as FX income.
#[test]
fn a_sale_and_a_purchase_use_the_buy_and_the_sell_rate() {
    let rates = RatesInForce::at(at(10), [rate(7, Currency::Usd, Currency::Kzt, "470.00", "480.00", 0)]);
    let sold = convert(Currency::Usd, Currency::Kzt, ConversionAmount::Sell(usd("100.00")), &rates, Rounding::HalfUp)
        .expect("sold");
    assert_eq!((sold.debit, sold.credit), (usd("100.00"), kzt("47000.00")));
    let leg = &sold.legs[0];
    assert_eq!((leg.rate, leg.side, leg.applied.to_string()), (RateId::new(7), Side::BankBuys, "470.00".to_owned()));
    assert_eq!((leg.position_value, leg.margin, leg.rounding), (kzt("47500.00"), kzt("500.00"), kzt("0.00")));
    let postings = sold.postings(PAYER, PAYEE, &books()).expect("postings");
    let line = |account: i64, currency: Currency| {
        postings
            .iter()
            .find(|posting| posting.account == AccountId::new(account) && posting.amount.currency() == currency)
            .map(|posting| posting.amount)
    };
    assert_eq!(line(1, Currency::Usd), Some(usd("-100.00")));
    assert_eq!(line(2, Currency::Kzt), Some(kzt("47000.00")));
    assert_eq!(line(110, Currency::Usd), Some(usd("100.00")), "the USD position grows");
    assert_eq!(line(100, Currency::Kzt), Some(kzt("-47500.00")), "the KZT position gives the mid value");
    assert_eq!(line(101, Currency::Kzt), Some(kzt("500.00")), "the margin is income");
    assert!(balanced(&sold));

    let bought = convert(Currency::Kzt, Currency::Usd, ConversionAmount::Buy(usd("100.00")), &rates, Rounding::HalfUp)
        .expect("bought");
    assert_eq!((bought.debit, bought.credit), (kzt("48000.00"), usd("100.00")));
    assert_eq!(bought.legs[0].margin, kzt("500.00"));
    assert!(balanced(&bought));
}

/// R-3.1.1.4: without a direct rate a cross conversion goes through tenge, with both legs shown;
/// a direct cross rate the bank sets is used instead.
#[test]
fn a_cross_conversion_goes_through_tenge_unless_a_direct_rate_exists() {
    let eur = rate(1, Currency::Eur, Currency::Kzt, "540.00", "550.00", 0);
    let usd_rate = rate(2, Currency::Usd, Currency::Kzt, "470.00", "480.00", 0);
    let rates = RatesInForce::at(at(10), [eur.clone(), usd_rate.clone()]);
    let eur100 = Money::parse("100.00", Currency::Eur).expect("EUR");
    let cross =
        convert(Currency::Eur, Currency::Usd, ConversionAmount::Sell(eur100), &rates, Rounding::HalfUp).expect("cross");
    assert_eq!(cross.legs.len(), 2);
    assert_eq!(cross.legs[0].credit(), kzt("54000.00"));
    assert_eq!(cross.legs[1].debit(), kzt("54000.00"));
    assert_eq!(cross.credit, usd("112.50"));
    assert!(balanced(&cross));

    let direct = rate(3, Currency::Eur, Currency::Usd, "1.1300", "1.1500", 5);
    let rates = RatesInForce::at(at(10), [eur, usd_rate, direct]);
    let one = convert(Currency::Eur, Currency::Usd, ConversionAmount::Sell(eur100), &rates, Rounding::HalfUp)
        .expect("direct");
    assert_eq!((one.legs.len(), one.credit, one.legs[0].rate), (1, usd("113.00"), RateId::new(3)));
    let back = convert(Currency::Usd, Currency::Eur, ConversionAmount::Buy(eur100), &rates, Rounding::HalfUp)
        .expect("the reverse direction uses the same pair");
    assert_eq!((back.debit, back.legs[0].side), (usd("115.00"), Side::BankSells));
}

/// R-13.2: the rate in force is the latest set at or before the instant; a later one does not
/// apply yet, and without any rate the conversion is refused with `no_rate` (R-13.1).
#[test]
fn the_rate_in_force_is_the_latest_one_started() {
    let history = [
        rate(1, Currency::Usd, Currency::Kzt, "470.00", "480.00", 0),
        rate(2, Currency::Usd, Currency::Kzt, "471.00", "481.00", 100),
        rate(3, Currency::Usd, Currency::Kzt, "472.00", "482.00", 200),
    ];
    assert_eq!(RatesInForce::at(at(150), history.clone()).all()[0].id(), RateId::new(2));
    assert_eq!(RatesInForce::at(at(200), history.clone()).all()[0].id(), RateId::new(3));
    assert!(RatesInForce::at(at(-1), history.clone()).all().is_empty());
    let rates = RatesInForce::at(at(150), history);
    let refused = convert(
        Currency::Rub,
        Currency::Kzt,
        ConversionAmount::Sell(Money::parse("10.00", Currency::Rub).expect("RUB")),
        &rates,
        Rounding::HalfUp,
    );
    assert_eq!(refused.map_err(|error| error.code()), Err("no_rate"));
    let same = convert(Currency::Kzt, Currency::Kzt, ConversionAmount::Sell(kzt("1.00")), &rates, Rounding::HalfUp);
    assert_eq!(same, Err(ConversionError::SameCurrency));
    let wrong = convert(Currency::Usd, Currency::Kzt, ConversionAmount::Sell(kzt("1.00")), &rates, Rounding::HalfUp);
    assert_eq!(wrong, Err(ConversionError::AmountCurrency));
}

/// A rate is an exact decimal of at most six decimals; the bank never buys above its sell rate.
#[test]
fn rates_are_exact_and_buy_is_at_most_sell() {
    assert_eq!(Rate::parse("474.2").expect("rate").to_string(), "474.20");
    assert_eq!(Rate::parse("0.0396").expect("rate").to_string(), "0.0396");
    assert_eq!(Rate::parse("474.2").expect("rate").micros(), 474_200_000);
    assert_eq!(Rate::from_micros(39_600).expect("rate"), Rate::parse("0.0396").expect("rate"));
    for bad in ["", "-1", "0", "1e3", "1.1234567", "474,2", ".5", "1."] {
        assert!(Rate::parse(bad).is_err(), "{bad:?}");
    }
    let pair = Pair::against_tenge(Currency::Usd).expect("pair");
    let refused =
        DealingRate::new(RateId::new(1), pair, Rate::parse("481").expect("r"), Rate::parse("480").expect("r"), at(0));
    assert_eq!(refused.map_err(|error| error.code()), Err("buy_above_sell"));
}

/// R-3.1.1.4: half-up rounding of a tiny amount of a weak currency would pay the client to
/// convert; such a conversion is refused instead.
#[test]
fn a_conversion_that_rounding_would_make_profitable_is_refused() {
    let rates = RatesInForce::at(at(10), [rate(1, Currency::Uzs, Currency::Kzt, "0.0050", "0.0051", 0)]);
    let tiny = Money::parse("1.00", Currency::Uzs).expect("UZS");
    let refused = convert(Currency::Uzs, Currency::Kzt, ConversionAmount::Sell(tiny), &rates, Rounding::HalfUp);
    assert_eq!(refused, Err(ConversionError::TooSmall));
    let fine = Money::parse("1000.00", Currency::Uzs).expect("UZS");
    assert!(convert(Currency::Uzs, Currency::Kzt, ConversionAmount::Sell(fine), &rates, Rounding::HalfUp).is_ok());
}

fn any_rate() -> impl Strategy<Value = (i64, i64)> {
    // buy and spread in millionths: 0.0001 .. 2000, spread 0 .. 5 %.
    (100i64..2_000_000_000, 0i64..=50).prop_map(|(buy, spread)| (buy, buy + buy * spread / 1000))
}

fn any_rounding() -> impl Strategy<Value = Rounding> {
    prop_oneof![
        Just(Rounding::HalfUp),
        Just(Rounding::HalfEven),
        Just(Rounding::TowardZero),
        Just(Rounding::AwayFromZero)
    ]
}

fn dealing(id: i64, base: Currency, (buy, sell): (i64, i64)) -> DealingRate {
    DealingRate::new(
        RateId::new(id),
        Pair::against_tenge(base).expect("pair"),
        Rate::from_micros(buy).expect("buy"),
        Rate::from_micros(sell).expect("sell"),
        at(0),
    )
    .expect("rate")
}

proptest! {
    /// R-3.1.1.4: every conversion, direct or cross, by the amount sold or bought, with any
    /// rounding, balances in every currency; each leg's rounding residue is at most one minor
    /// unit and its margin is never negative.
    #[test]
    fn every_conversion_balances_in_every_currency(
        usd_rate in any_rate(), eur_rate in any_rate(), minor in 1i64..10_000_000_000, buy in any::<bool>(),
        cross in any::<bool>(), rounding in any_rounding(),
    ) {
        let rates = RatesInForce::at(at(1), [dealing(1, Currency::Usd, usd_rate), dealing(2, Currency::Eur, eur_rate)]);
        let (from, to) = if cross { (Currency::Eur, Currency::Usd) } else { (Currency::Usd, Currency::Kzt) };
        let amount = if buy {
            ConversionAmount::Buy(Money::from_minor(minor, to))
        } else {
            ConversionAmount::Sell(Money::from_minor(minor, from))
        };
        match convert(from, to, amount, &rates, rounding) {
            Ok(conversion) => {
                prop_assert!(balanced(&conversion));
                prop_assert_eq!(conversion.legs.len(), if cross { 2 } else { 1 });
                for leg in &conversion.legs {
                    prop_assert!(leg.rounding.minor().abs() <= 1, "{:?}", leg);
                    prop_assert!(!leg.margin.is_negative(), "{:?}", leg);
                }
            }
            Err(error) => prop_assert!(
                matches!(error, ConversionError::TooSmall | ConversionError::Overflow),
                "{error:?}"
            ),
        }
    }

    /// R-3.1.1.4: selling a currency for tenge and buying it back at the same instant never gives
    /// back more than was sold, whatever the rounding.
    #[test]
    fn buying_back_what_was_sold_never_creates_money(
        rate in any_rate(), minor in 1i64..10_000_000_000, rounding in any_rounding(), by_buying in any::<bool>(),
    ) {
        let rates = RatesInForce::at(at(1), [dealing(1, Currency::Usd, rate)]);
        let start = Money::from_minor(minor, Currency::Usd);
        let Ok(sold) = convert(Currency::Usd, Currency::Kzt, ConversionAmount::Sell(start), &rates, rounding) else {
            return Ok(());
        };
        // Back with all the tenge, or by asking for the dollars sold.
        let back = if by_buying {
            match convert(Currency::Kzt, Currency::Usd, ConversionAmount::Buy(start), &rates, rounding) {
                Ok(back) => {
                    prop_assert!(back.debit.minor() >= sold.credit.minor(), "{start:?} sold for {:?}, bought back for {:?}", sold.credit, back.debit);
                    return Ok(());
                }
                Err(_) => return Ok(()),
            }
        } else {
            match convert(Currency::Kzt, Currency::Usd, ConversionAmount::Sell(sold.credit), &rates, rounding) {
                Ok(back) => back,
                Err(_) => return Ok(()),
            }
        };
        prop_assert!(back.credit.minor() <= start.minor(), "{start:?} → {:?} → {:?}", sold.credit, back.credit);
    }

    /// R-3.1.1.4: a cross conversion is exactly its two legs made one after the other.
    #[test]
    fn a_cross_conversion_equals_its_two_legs(
        usd_rate in any_rate(), eur_rate in any_rate(), minor in 1i64..10_000_000_000,
    ) {
        let rates = RatesInForce::at(at(1), [dealing(1, Currency::Usd, usd_rate), dealing(2, Currency::Eur, eur_rate)]);
        let eur = Money::from_minor(minor, Currency::Eur);
        let Ok(cross) = convert(Currency::Eur, Currency::Usd, ConversionAmount::Sell(eur), &rates, Rounding::HalfUp) else {
            return Ok(());
        };
        let first = convert(Currency::Eur, Currency::Kzt, ConversionAmount::Sell(eur), &rates, Rounding::HalfUp)
            .expect("the first leg alone");
        let second =
            convert(Currency::Kzt, Currency::Usd, ConversionAmount::Sell(first.credit), &rates, Rounding::HalfUp)
                .expect("the second leg alone");
        prop_assert_eq!(&cross.legs[0], &first.legs[0]);
        prop_assert_eq!(&cross.legs[1], &second.legs[0]);
        prop_assert_eq!(cross.credit, second.credit);
    }
}
