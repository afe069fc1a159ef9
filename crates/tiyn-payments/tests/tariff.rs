//! commissions under a partner's tariff plan, how they are withheld,
//! and what the payer's account must cover.

use proptest::prelude::*;
use tiyn_core::{Amount, Currency, Money};
use tiyn_payments::DocumentKind;
use tiyn_payments::tariff::{
    BatchTariffError, COMMISSION_ROUNDING, Commission, Fee, KindTariff, PercentCommission, Rate, TariffError,
    TariffPlan, TariffPlanError, Withholding, batch_commission, commission, quote, required_debit,
};

fn kzt(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Kzt)
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Usd)
}

fn amount(money: Money) -> Amount {
    Amount::new(money).expect("a positive amount")
}

fn rate(percent: &str) -> Rate {
    Rate::parse_percent(percent).expect("a valid rate")
}

/// A plan with the same tariff for every kind.
fn uniform(commission: Commission, withholding: Withholding) -> TariffPlan {
    let tariff = KindTariff::new(commission, withholding).expect("a valid tariff");
    TariffPlan::new(DocumentKind::ALL.map(|kind| (kind, tariff))).expect("a complete plan")
}

fn percent(rate_text: &str, min: Option<Money>, max: Option<Money>) -> Commission {
    Commission::percent(rate(rate_text), min, max).expect("a valid percent commission")
}

/// The commission in minor units of an interbank payment of `minor` KZT.
fn kzt_commission(plan: &TariffPlan, minor: i64) -> Result<i64, &'static str> {
    commission(plan, DocumentKind::Interbank, amount(kzt(minor))).map(Money::minor).map_err(|error| error.code())
}

/// a free tariff charges nothing, and the payer is debited exactly the amount.
#[test]
fn r_4_15_free_charges_nothing() {
    for withholding in Withholding::ALL {
        let plan = uniform(Commission::Free, withholding);
        let priced = quote(&plan, DocumentKind::Budget, amount(kzt(150_000))).expect("priced");
        assert_eq!(priced.commission(), kzt(0));
        assert_eq!(priced.required_debit().money(), kzt(150_000));
        assert_eq!(priced.payee_credit().money(), kzt(150_000));
    }
    assert_eq!(TariffPlan::free(), uniform(Commission::Free, Withholding::Separate));
}

/// a fixed fee charged separately is debited on top of the amount; withheld
/// from the amount, the payee receives the amount less the fee.
#[test]
fn r_4_15_r_6_1_1_fixed_fee_and_both_withholdings() {
    let fee = Commission::fixed(kzt(15_000)).expect("a fee");
    let separate =
        quote(&uniform(fee, Withholding::Separate), DocumentKind::Interbank, amount(kzt(1_000_000))).expect("priced");
    assert_eq!(separate.commission(), kzt(15_000));
    assert_eq!(separate.required_debit().money(), kzt(1_015_000), "R-6.1.1: amount plus commission");
    assert_eq!(separate.payee_credit().money(), kzt(1_000_000));
    assert_eq!(separate.withholding(), Withholding::Separate);

    let from_amount =
        quote(&uniform(fee, Withholding::FromAmount), DocumentKind::Interbank, amount(kzt(1_000_000))).expect("priced");
    assert_eq!(from_amount.commission(), kzt(15_000));
    assert_eq!(from_amount.required_debit().money(), kzt(1_000_000), "withheld: the amount only");
    assert_eq!(from_amount.payee_credit().money(), kzt(985_000));

    let plan = uniform(fee, Withholding::Separate);
    assert_eq!(required_debit(&plan, DocumentKind::Internal, amount(kzt(1))).map(Amount::minor), Ok(15_001));
}

/// a percentage is exact and rounded half up to the tiyn — a half tiyn goes up, just
/// under a half goes down, and a half is not rounded to even.
#[test]
fn r_4_15_percent_rounds_half_up_at_the_half_tiyn() {
    assert_eq!(COMMISSION_ROUNDING, tiyn_core::Rounding::HalfUp);
    let plan = uniform(percent("0.05", None, None), Withholding::Separate);
    let cases = [
        (1_000, 1),                        // 10.00 × 0.05 % = 0.005 → 0.01
        (999, 0),                          // 9.99 × 0.05 % = 0.004995 → 0.00
        (1_001, 1),                        // 0.005005 → 0.01
        (3_000, 2),                        // 0.015 → 0.02 (half even would also give 0.02)
        (5_000, 3),                        // 0.025 → 0.03 (half even would give 0.02)
        (2_999, 1),                        // 0.014995 → 0.01
        (1, 0),                            // 0.0000005 → 0.00
        (150_000_000, 75_000),             // 1 500 000.00 × 0.05 % = 750.00 exactly
        (i64::MAX, 4_611_686_018_427_388), // 0.05 % of the largest amount, half up
    ];
    for (minor, expected) in cases {
        assert_eq!(kzt_commission(&plan, minor), Ok(expected), "{minor} minor");
    }
    let finer = uniform(percent("0.0075", None, None), Withholding::Separate);
    assert_eq!(kzt_commission(&finer, 20_000), Ok(2), "200.00 × 0.0075 % = 0.015 → 0.02");
    assert_eq!(kzt_commission(&finer, 19_999), Ok(1), "0.01499925 → 0.01");
}

/// the minimum raises a small commission, the maximum caps a large one, and both apply
/// after rounding, so a clamped commission is exactly the published figure.
#[test]
fn r_4_15_percent_is_clamped_to_min_and_max() {
    let plan = uniform(percent("0.1", Some(kzt(10_000)), Some(kzt(500_000))), Withholding::Separate);
    let cases = [
        (100, 10_000),          // 1.00 × 0.1 % = 0.001 → raised to the minimum 100.00
        (9_999_999, 10_000),    // 99 999.99 → 100.00 (rounds to 10 000 tiyn: at the minimum)
        (10_000_000, 10_000),   // exactly the minimum
        (10_000_100, 10_000),   // 100.001 → 100.00
        (10_000_500, 10_001),   // 100.005 → 100.01, above the minimum
        (500_000_000, 500_000), // exactly the maximum
        (500_000_400, 500_000), // 5 000.0004 → 5 000.00
        (500_001_000, 500_000), // 5 000.01 → capped
        (i64::MAX, 500_000),    // capped, no overflow
    ];
    for (minor, expected) in cases {
        assert_eq!(kzt_commission(&plan, minor), Ok(expected), "{minor} minor");
    }
    let only_min = uniform(percent("1", Some(kzt(5_000)), None), Withholding::Separate);
    assert_eq!(kzt_commission(&only_min, 100), Ok(5_000));
    assert_eq!(kzt_commission(&only_min, 1_000_000), Ok(10_000));
    let only_max = uniform(percent("1", None, Some(kzt(5_000))), Withholding::Separate);
    assert_eq!(kzt_commission(&only_max, 100), Ok(1));
    assert_eq!(kzt_commission(&only_max, 1_000_000), Ok(5_000));
    let fixed_by_bounds = uniform(percent("1", Some(kzt(700)), Some(kzt(700))), Withholding::Separate);
    assert_eq!(kzt_commission(&fixed_by_bounds, 1), Ok(700), "min = max is allowed: a fixed fee");
}

/// each kind has its own tariff.
#[test]
fn r_4_15_each_kind_has_its_own_tariff() {
    let internal = KindTariff::free();
    let interbank = KindTariff::new(Commission::fixed(kzt(20_000)).expect("fee"), Withholding::Separate).expect("ok");
    let budget = KindTariff::new(percent("0.1", None, Some(kzt(1_000))), Withholding::FromAmount).expect("ok");
    let plan = TariffPlan::new([
        (DocumentKind::Budget, budget),
        (DocumentKind::Internal, internal),
        (DocumentKind::Interbank, interbank),
    ])
    .expect("complete");
    let ten_thousand = amount(kzt(1_000_000));
    assert_eq!(commission(&plan, DocumentKind::Internal, ten_thousand), Ok(kzt(0)));
    assert_eq!(commission(&plan, DocumentKind::Interbank, ten_thousand), Ok(kzt(20_000)));
    assert_eq!(commission(&plan, DocumentKind::Budget, ten_thousand), Ok(kzt(1_000)));
    assert_eq!(plan.tariff(DocumentKind::Budget).withholding(), Withholding::FromAmount);
    assert_eq!(plan.tariffs().map(|(kind, _)| kind).collect::<Vec<_>>(), DocumentKind::ALL.to_vec());
}

/// a fee, minimum or maximum in another currency than the amount cannot price it; a
/// percentage without bounds prices any currency.
#[test]
fn r_4_15_currency_rules() {
    let mismatch = Err("tariff_currency_mismatch");
    let usd_amount = amount(usd(10_000));
    let fixed = uniform(Commission::fixed(kzt(100)).expect("fee"), Withholding::Separate);
    assert_eq!(commission(&fixed, DocumentKind::Internal, usd_amount).map_err(|e| e.code()), mismatch);
    assert_eq!(
        commission(&fixed, DocumentKind::Internal, usd_amount),
        Err(TariffError::CurrencyMismatch { tariff: Currency::Kzt, amount: Currency::Usd })
    );
    for (min, max) in [(Some(kzt(100)), None), (None, Some(kzt(100))), (Some(kzt(1)), Some(kzt(100)))] {
        let plan = uniform(percent("1", min, max), Withholding::Separate);
        assert_eq!(commission(&plan, DocumentKind::Internal, usd_amount).map_err(|e| e.code()), mismatch);
    }
    let unbounded = uniform(percent("1", None, None), Withholding::Separate);
    assert_eq!(commission(&unbounded, DocumentKind::Internal, usd_amount), Ok(usd(100)));
    let zero_fee_usd = uniform(Commission::fixed(usd(0)).expect("fee"), Withholding::Separate);
    assert_eq!(commission(&zero_fee_usd, DocumentKind::Internal, amount(kzt(1))).map_err(|e| e.code()), mismatch);
}

/// a commission withheld from the amount must leave the payee something; one tiyn more
/// than the fee is enough.
#[test]
fn r_4_15_withheld_commission_must_leave_the_payee_something() {
    let plan = uniform(Commission::fixed(kzt(10_000)).expect("fee"), Withholding::FromAmount);
    for minor in [1, 9_999, 10_000] {
        let refused = quote(&plan, DocumentKind::Interbank, amount(kzt(minor)));
        assert_eq!(
            refused,
            Err(TariffError::CommissionExceedsAmount { commission: kzt(10_000), amount: amount(kzt(minor)) })
        );
        assert_eq!(refused.map_err(|e| e.code()).map(|_| ()), Err("commission_exceeds_amount"));
    }
    let just_enough = quote(&plan, DocumentKind::Interbank, amount(kzt(10_001))).expect("priced");
    assert_eq!(just_enough.payee_credit().money(), kzt(1));
    // A 100 % rate with a maximum withholds from amounts above the maximum only.
    let capped = uniform(percent("100", None, Some(kzt(500))), Withholding::FromAmount);
    assert_eq!(kzt_commission(&capped, 500), Err("commission_exceeds_amount"));
    assert_eq!(kzt_commission(&capped, 501), Ok(500));
    // Charged separately, a fee larger than the amount is fine: the payer covers both.
    let separate = uniform(Commission::fixed(kzt(10_000)).expect("fee"), Withholding::Separate);
    assert_eq!(required_debit(&separate, DocumentKind::Interbank, amount(kzt(1))).map(Amount::minor), Ok(10_001));
}

/// a debit that cannot be represented is an error, never a wrap or a panic.
#[test]
fn r_6_1_1_overflow_is_an_error() {
    let largest = amount(kzt(i64::MAX));
    let fee = uniform(Commission::fixed(kzt(1)).expect("fee"), Withholding::Separate);
    assert_eq!(required_debit(&fee, DocumentKind::Internal, largest), Err(TariffError::Overflow));
    assert_eq!(TariffError::Overflow.code(), "amount_overflow");
    let withheld = uniform(Commission::fixed(kzt(1)).expect("fee"), Withholding::FromAmount);
    assert_eq!(required_debit(&withheld, DocumentKind::Internal, largest), Ok(largest));
    assert_eq!(required_debit(&TariffPlan::free(), DocumentKind::Internal, largest), Ok(largest));
}

/// every way a plan can be wrong is refused when the bank sets it, with its code.
#[test]
fn r_4_15_bad_plans_are_refused_with_codes() {
    let code = |result: Result<Commission, TariffPlanError>| result.map(|_| ()).map_err(|error| error.code());
    assert_eq!(code(Commission::fixed(kzt(-1))), Err("fee_negative"));
    assert_eq!(code(Commission::percent(rate("1"), Some(kzt(-1)), None)), Err("fee_negative"));
    assert_eq!(code(Commission::percent(rate("1"), None, Some(kzt(-1)))), Err("fee_negative"));
    assert_eq!(Fee::new(kzt(-5)), Err(TariffPlanError::FeeNegative { fee: kzt(-5) }));
    assert_eq!(
        Commission::percent(rate("1"), Some(kzt(101)), Some(kzt(100))),
        Err(TariffPlanError::MinAboveMax { min: kzt(101), max: kzt(100) })
    );
    assert_eq!(code(Commission::percent(rate("1"), Some(kzt(101)), Some(kzt(100)))), Err("min_above_max"));
    assert_eq!(code(Commission::percent(rate("1"), Some(kzt(1)), Some(usd(100)))), Err("min_max_currency_mismatch"));
    assert!(Commission::percent(rate("1"), Some(kzt(100)), Some(kzt(100))).is_ok());
    assert!(Commission::fixed(kzt(0)).is_ok(), "a zero fee is a free tariff, and harmless");

    let whole = Commission::percent(rate("100"), None, None).expect("a 100 % rate is a rate");
    assert_eq!(KindTariff::new(whole, Withholding::FromAmount), Err(TariffPlanError::WithholdingTakesWholeAmount));
    assert_eq!(TariffPlanError::WithholdingTakesWholeAmount.code(), "withholding_takes_whole_amount");
    assert!(KindTariff::new(whole, Withholding::Separate).is_ok(), "charged separately, 100 % is only expensive");
    let just_under = Commission::percent(rate("99.9999"), None, None).expect("rate");
    assert!(KindTariff::new(just_under, Withholding::FromAmount).is_ok());

    let free = KindTariff::free();
    let missing = TariffPlan::new([(DocumentKind::Internal, free), (DocumentKind::Budget, free)]);
    assert_eq!(missing, Err(TariffPlanError::KindMissing(DocumentKind::Interbank)));
    assert_eq!(missing.map_err(|error| error.code()).map(|_| ()), Err("tariff_kind_missing"));
    let twice = TariffPlan::new(
        [DocumentKind::Internal, DocumentKind::Interbank, DocumentKind::Internal, DocumentKind::Budget]
            .map(|kind| (kind, free)),
    );
    assert_eq!(twice, Err(TariffPlanError::KindDuplicate(DocumentKind::Internal)));
    assert_eq!(twice.map_err(|error| error.code()).map(|_| ()), Err("tariff_kind_duplicate"));

    assert_eq!(Withholding::parse("from_amount"), Ok(Withholding::FromAmount));
    assert_eq!(Withholding::parse("separate"), Ok(Withholding::Separate));
    assert_eq!(Withholding::parse("Separate").map_err(|error| error.code()), Err("invalid_withholding"));
}

/// a rate is read exactly from the tariff's percentage text, and nothing else is a rate.
#[test]
fn r_4_15_rates_parse_exactly_or_are_refused() {
    let millionths = |text: &str| Rate::parse_percent(text).map(Rate::millionths).map_err(|error| error.code());
    let accepted = [
        ("0", 0),
        ("0.0001", 1),
        ("0.15", 1_500),
        ("0.075", 750),
        ("1", 10_000),
        ("12.5", 125_000),
        ("99.9999", 999_999),
        ("100", 1_000_000),
        ("100.0000", 1_000_000),
    ];
    for (text, expected) in accepted {
        assert_eq!(millionths(text), Ok(expected), "{text:?}");
    }
    for text in ["", ".5", "1.", "-1", "+1", "1e2", "0,15", " 1", "1%", "01", "00.5", "1.2.3", "NaN", "٣"] {
        assert_eq!(millionths(text), Err("invalid_rate"), "{text:?}");
    }
    assert_eq!(millionths("0.00001"), Err("rate_precision"));
    assert_eq!(Rate::parse_percent("0.12345"), Err(TariffPlanError::RatePrecision { decimals_max: 4, found: 5 }));
    for text in ["100.0001", "101", "999.9999", "1000", "99999999999999999999"] {
        assert_eq!(millionths(text), Err("rate_above_maximum"), "{text:?}");
    }
    assert_eq!(Rate::from_basis_points(15).map(Rate::millionths), Ok(1_500));
    assert_eq!(Rate::from_basis_points(10_000).map(Rate::millionths), Ok(1_000_000));
    assert_eq!(Rate::from_basis_points(10_001), Err(TariffPlanError::RateAboveMaximum));
    assert_eq!(Rate::from_basis_points(u32::MAX), Err(TariffPlanError::RateAboveMaximum));
    assert_eq!(Rate::from_millionths(1_000_001), Err(TariffPlanError::RateAboveMaximum));
    assert_eq!(rate("0.0750").percent_string(), "0.075");
}

/// a batch is priced document by document, with totals per currency shown
/// before confirmation (zero where everything is free), and the first document that cannot be
/// priced is named.
#[test]
fn r_4_15_batch_commission_totals_per_currency() {
    let internal = KindTariff::free();
    let interbank = KindTariff::new(Commission::fixed(kzt(15_000)).expect("fee"), Withholding::Separate).expect("ok");
    let budget = KindTariff::new(percent("1", None, None), Withholding::FromAmount).expect("ok");
    let plan = TariffPlan::new([
        (DocumentKind::Internal, internal),
        (DocumentKind::Interbank, interbank),
        (DocumentKind::Budget, budget),
    ])
    .expect("complete");
    let batch = [
        (DocumentKind::Interbank, amount(kzt(100_000))),
        (DocumentKind::Budget, amount(kzt(50_000))),
        (DocumentKind::Internal, amount(usd(700))),
        (DocumentKind::Interbank, amount(kzt(1))),
    ];
    let priced = batch_commission(&plan, &batch).expect("priced");
    assert_eq!(priced.quotes().len(), 4);
    assert_eq!(priced.quotes()[1].commission(), kzt(500));
    assert_eq!(priced.commission_totals().collect::<Vec<_>>(), vec![kzt(30_500), usd(0)]);
    assert_eq!(priced.commission_total(Currency::Kzt), Some(kzt(30_500)));
    assert_eq!(priced.commission_total(Currency::Eur), None);
    assert_eq!(priced.debit_total(Currency::Kzt), Some(kzt(115_000 + 50_000 + 15_001)));
    assert_eq!(priced.debit_totals().collect::<Vec<_>>(), vec![kzt(180_001), usd(700)]);

    let with_bad = [
        (DocumentKind::Budget, amount(kzt(50_000))),
        (DocumentKind::Interbank, amount(usd(100))),
        (DocumentKind::Interbank, amount(usd(100))),
    ];
    let refused = batch_commission(&plan, &with_bad);
    assert_eq!(
        refused,
        Err(BatchTariffError {
            position: 1,
            error: TariffError::CurrencyMismatch { tariff: Currency::Kzt, amount: Currency::Usd }
        })
    );
    assert_eq!(refused.map_err(|error| error.code()).map(|_| ()), Err("tariff_currency_mismatch"));

    let overflowing = [
        (DocumentKind::Internal, amount(kzt(i64::MAX - 10))),
        (DocumentKind::Internal, amount(usd(5))),
        (DocumentKind::Internal, amount(kzt(11))),
    ];
    assert_eq!(
        batch_commission(&plan, &overflowing),
        Err(BatchTariffError { position: 2, error: TariffError::Overflow })
    );
    let empty = batch_commission(&plan, &[]).expect("nothing to price");
    assert_eq!(empty.commission_totals().count(), 0);
}

fn any_kind() -> impl Strategy<Value = DocumentKind> {
    proptest::sample::select(DocumentKind::ALL.to_vec())
}

fn any_withholding() -> impl Strategy<Value = Withholding> {
    proptest::sample::select(Withholding::ALL.to_vec())
}

/// Amounts across the whole range, with small ones (where minimums and fixed fees bite) common.
fn any_amount_minor() -> impl Strategy<Value = i64> {
    prop_oneof![1_i64..100_000, 1_i64..10_000_000_000, 1_i64..=i64::MAX, Just(i64::MAX)]
}

/// Fees and bounds, including negative ones (to be refused) and some in another currency.
fn any_bound() -> impl Strategy<Value = Option<Money>> {
    prop_oneof![
        Just(None),
        (-1_000_i64..1_000_000).prop_map(|minor| Some(kzt(minor))),
        (0_i64..1_000).prop_map(|minor| Some(usd(minor))),
        Just(Some(kzt(i64::MAX))),
    ]
}

/// A commission of any shape, or the plan error building it gave.
fn any_commission() -> impl Strategy<Value = Result<Commission, TariffPlanError>> {
    prop_oneof![
        Just(Ok(Commission::Free)),
        any_bound().prop_map(|fee| Commission::fixed(fee.unwrap_or(kzt(0)))),
        (0_u32..=1_100_000, any_bound(), any_bound()).prop_map(|(millionths, min, max)| {
            Rate::from_millionths(millionths).and_then(|rate| Commission::percent(rate, min, max))
        }),
    ]
}

proptest! {
    /// whatever the plan, a commission is never negative; withheld from the amount it
    /// is always below it (or the plan or the document is refused); and what leaves the payer
    /// is what the payee and the bank receive.
    #[test]
    fn r_4_15_commission_is_never_negative_nor_the_whole_withheld_amount(
        commission in any_commission(),
        withholding in any_withholding(),
        kind in any_kind(),
        minor in any_amount_minor(),
    ) {
        let Ok(commission) = commission else { return Ok(()) };
        let Ok(tariff) = KindTariff::new(commission, withholding) else {
            prop_assert_eq!(withholding, Withholding::FromAmount);
            return Ok(());
        };
        let plan = TariffPlan::new(DocumentKind::ALL.map(|kind| (kind, tariff))).expect("complete");
        let amount = amount(kzt(minor));
        match quote(&plan, kind, amount) {
            Ok(priced) => {
                prop_assert!(!priced.commission().is_negative());
                prop_assert_eq!(priced.commission().currency(), Currency::Kzt);
                if withholding == Withholding::FromAmount {
                    prop_assert!(priced.commission().minor() < minor);
                    prop_assert_eq!(priced.required_debit(), amount);
                } else {
                    prop_assert_eq!(priced.payee_credit(), amount);
                }
                prop_assert_eq!(
                    i128::from(priced.required_debit().minor()),
                    i128::from(priced.payee_credit().minor()) + i128::from(priced.commission().minor())
                );
            }
            Err(TariffError::CommissionExceedsAmount { commission, .. }) => {
                prop_assert_eq!(withholding, Withholding::FromAmount);
                prop_assert!(commission.minor() >= minor);
            }
            Err(TariffError::Overflow) => prop_assert_eq!(withholding, Withholding::Separate),
            Err(TariffError::CurrencyMismatch { tariff, amount }) => {
                prop_assert_eq!((tariff, amount), (Currency::Usd, Currency::Kzt));
            }
        }
    }

    /// an unclamped percentage is within half a tiyn of the exact value, and a larger
    /// amount never costs less.
    #[test]
    fn r_4_15_percent_is_exact_to_half_a_tiyn_and_monotonic(
        millionths in 0_u32..=1_000_000,
        minor in 1_i64..=i64::MAX,
        smaller in 1_i64..=i64::MAX,
    ) {
        let plan = uniform(Commission::percent(Rate::from_millionths(millionths).expect("rate"), None, None)
            .expect("percent"), Withholding::Separate);
        let charged = kzt_commission(&plan, minor).expect("priced");
        let exact_times_million = i128::from(minor) * i128::from(millionths);
        let error_times_million = i128::from(charged) * 1_000_000 - exact_times_million;
        prop_assert!(error_times_million * 2 <= 1_000_000 && error_times_million * 2 > -1_000_000);
        let smaller = smaller.min(minor);
        prop_assert!(kzt_commission(&plan, smaller).expect("priced") <= charged);
    }

    /// a batch's totals do not depend on the order of its documents.
    #[test]
    fn r_4_15_batch_totals_are_order_independent(
        documents in proptest::collection::vec(
            (any_kind(), proptest::sample::select(vec![Currency::Kzt, Currency::Usd, Currency::Jpy]), 1_i64..1_000_000_000_000),
            0..40,
        ).prop_shuffle().prop_flat_map(|documents| (Just(documents.clone()), Just(documents).prop_shuffle())),
    ) {
        let (documents, shuffled) = documents;
        let plan = TariffPlan::new([
            (DocumentKind::Internal, KindTariff::new(percent("0.3", None, None), Withholding::Separate).expect("ok")),
            (DocumentKind::Interbank, KindTariff::new(percent("0.125", None, None), Withholding::FromAmount).expect("ok")),
            (DocumentKind::Budget, KindTariff::free()),
        ]).expect("complete");
        let to_batch = |documents: &[(DocumentKind, Currency, i64)]| -> Vec<(DocumentKind, Amount)> {
            documents.iter().map(|&(kind, currency, minor)| (kind, amount(Money::from_minor(minor, currency)))).collect()
        };
        let first = batch_commission(&plan, &to_batch(&documents)).expect("priced");
        let second = batch_commission(&plan, &to_batch(&shuffled)).expect("priced");
        prop_assert_eq!(first.commission_totals().collect::<Vec<_>>(), second.commission_totals().collect::<Vec<_>>());
        prop_assert_eq!(first.debit_totals().collect::<Vec<_>>(), second.debit_totals().collect::<Vec<_>>());
        for currency in [Currency::Kzt, Currency::Usd, Currency::Jpy] {
            let sum: i64 = first.quotes().iter()
                .filter(|quote| quote.amount().currency() == currency)
                .map(|quote| quote.commission().minor())
                .sum();
            prop_assert_eq!(first.commission_total(currency).map_or(0, Money::minor), sum);
        }
    }
}

#[test]
fn percent_commission_accessors_give_back_the_plan() {
    let min = Fee::new(kzt(100)).expect("fee");
    let built = PercentCommission::new(rate("0.2"), Some(min), None).expect("valid");
    assert_eq!(built.rate(), rate("0.2"));
    assert_eq!(built.min(), Some(min));
    assert_eq!(built.max(), None);
    assert_eq!(Commission::Percent(built).shape(), "percent");
    assert_eq!(Commission::Free.shape(), "free");
}
