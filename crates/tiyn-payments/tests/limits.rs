//! the bank's limits per operation, per day and per confirmation, for a partner
//! or a user, a kind or all kinds, in a currency.

use proptest::prelude::*;
use tiyn_core::{Amount, Currency, Money, PartnerId, UserId};
use tiyn_payments::limits::{
    LIMIT_SET_LIMITS_MAX, Limit, LimitError, LimitExceeded, LimitRule, LimitScope, LimitSet, LimitValue, Operation,
    Period, Usage, UsageError, check, check_batch,
};
use tiyn_payments::{BATCH_DOCUMENTS_MAX, DocumentKind};

const PARTNER: PartnerId = PartnerId::new(10);
const OTHER_PARTNER: PartnerId = PartnerId::new(11);
const ALICE: UserId = UserId::new(1);
const BOB: UserId = UserId::new(2);

fn kzt(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Kzt)
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Usd)
}

fn operation(user: UserId, kind: DocumentKind, money: Money) -> Operation {
    Operation { partner: PARTNER, user, kind, amount: Amount::new(money).expect("positive") }
}

fn alice_pays(money: Money) -> Operation {
    operation(ALICE, DocumentKind::Interbank, money)
}

fn limit(scope: LimitScope, kind: Option<DocumentKind>, rule: LimitRule) -> Limit {
    Limit::new(scope, kind, rule).expect("a valid limit")
}

fn set(limits: impl IntoIterator<Item = Limit>) -> LimitSet {
    LimitSet::new(limits).expect("a valid set")
}

fn one(scope: LimitScope, kind: Option<DocumentKind>, rule: LimitRule) -> LimitSet {
    set([limit(scope, kind, rule)])
}

/// A day on which `scope` already paid `minor` KZT in `count` interbank documents.
fn day(scope: LimitScope, minor: i64, count: u64) -> Usage {
    let mut usage = Usage::new();
    usage.add(scope, DocumentKind::Interbank, kzt(minor), count).expect("consistent usage");
    usage
}

/// a per-operation limit — exactly at it passes, one tiyn over is refused with
/// `limit_exceeded`, naming the limit, its period and value, and what the payment would make it.
#[test]
fn r_6_1_7_operation_amount_boundary() {
    let limits = one(LimitScope::Partner(PARTNER), None, LimitRule::OperationAmount(kzt(100_000)));
    let nothing = Usage::new();
    assert_eq!(check(&limits, &nothing, &alice_pays(kzt(100_000))), Ok(()));
    let refused = check(&limits, &nothing, &alice_pays(kzt(100_001))).expect_err("one tiyn over");
    assert_eq!(refused.code(), "limit_exceeded");
    assert_eq!(refused.period(), Period::Operation);
    assert_eq!(refused.limit.scope(), LimitScope::Partner(PARTNER));
    assert_eq!(refused.limit.kind(), None);
    assert_eq!(refused.limit.rule().name(), "operation_amount");
    assert_eq!(refused.limit_value(), LimitValue::Amount(kzt(100_000)));
    assert_eq!(refused.used, LimitValue::Amount(kzt(0)));
    assert_eq!(refused.requested, LimitValue::Amount(kzt(100_001)));
    assert_eq!(refused.would_be(), Some(LimitValue::Amount(kzt(100_001))));
    assert_eq!(
        refused.to_string(),
        "the operation_amount limit of 1000.00 KZT per operation for partner 10 on all payments would be \
         exceeded: 0.00 KZT used, this payment adds 1000.01 KZT"
    );
    // A limit in tenge does not count dollars, however many.
    assert_eq!(check(&limits, &nothing, &alice_pays(usd(i64::MAX))), Ok(()));
}

/// a daily amount limit counts the day's usage — exactly at the limit passes, one
/// tiyn over is refused.
#[test]
fn r_6_1_7_daily_amount_boundary() {
    let scope = LimitScope::User(ALICE);
    let limits = one(scope, None, LimitRule::DailyAmount(kzt(100_000)));
    let usage = day(scope, 90_000, 3);
    assert_eq!(check(&limits, &usage, &alice_pays(kzt(10_000))), Ok(()));
    let refused = check(&limits, &usage, &alice_pays(kzt(10_001))).expect_err("one tiyn over");
    assert_eq!(refused.period(), Period::Day);
    assert_eq!(refused.used, LimitValue::Amount(kzt(90_000)));
    assert_eq!(refused.requested, LimitValue::Amount(kzt(10_001)));
    assert_eq!(refused.would_be(), Some(LimitValue::Amount(kzt(100_001))));
    // A day already over the limit refuses even the smallest payment.
    assert!(check(&limits, &day(scope, 100_001, 1), &alice_pays(kzt(1))).is_err());
    assert_eq!(check(&limits, &day(scope, 99_999, 1), &alice_pays(kzt(1))), Ok(()));
}

/// a daily count limit — the n-th document passes, the (n+1)-th is refused;
/// in one currency or in all.
#[test]
fn r_6_1_7_r_4_13_daily_count_boundary() {
    let scope = LimitScope::Partner(PARTNER);
    let all_currencies = one(scope, None, LimitRule::DailyCount { max: 5, currency: None });
    assert_eq!(check(&all_currencies, &day(scope, 400, 4), &alice_pays(kzt(1))), Ok(()));
    let refused = check(&all_currencies, &day(scope, 500, 5), &alice_pays(kzt(1))).expect_err("sixth");
    assert_eq!(refused.limit_value(), LimitValue::Count(5));
    assert_eq!(refused.used, LimitValue::Count(5));
    assert_eq!(refused.requested, LimitValue::Count(1));
    assert_eq!(refused.would_be(), Some(LimitValue::Count(6)));
    assert_eq!(refused.limit.rule().name(), "daily_count");
    assert!(check(&all_currencies, &day(scope, 500, 5), &alice_pays(usd(1))).is_err(), "dollars count too");

    let tenge_only = one(scope, None, LimitRule::DailyCount { max: 5, currency: Some(Currency::Kzt) });
    assert!(check(&tenge_only, &day(scope, 500, 5), &alice_pays(kzt(1))).is_err());
    assert_eq!(check(&tenge_only, &day(scope, 500, 5), &alice_pays(usd(1))), Ok(()));
    let mut mixed = day(scope, 300, 3);
    mixed.add(scope, DocumentKind::Internal, usd(900), 9).expect("consistent");
    assert_eq!(check(&tenge_only, &mixed, &alice_pays(kzt(1))), Ok(()), "3 tenge documents, 9 dollar ones");
    assert!(check(&all_currencies, &mixed, &alice_pays(kzt(1))).is_err(), "12 documents in all");
}

/// a user's limit counts that user's payments only; a partner's counts every user's,
/// and no other partner's.
#[test]
fn r_6_1_7_scopes_partner_and_user() {
    let alice_limit = one(LimitScope::User(ALICE), None, LimitRule::OperationAmount(kzt(1_000)));
    assert!(check(&alice_limit, &Usage::new(), &alice_pays(kzt(1_001))).is_err());
    assert_eq!(check(&alice_limit, &Usage::new(), &operation(BOB, DocumentKind::Interbank, kzt(1_001))), Ok(()));

    let partner_limit = one(LimitScope::Partner(PARTNER), None, LimitRule::DailyAmount(kzt(1_000)));
    let mut usage = Usage::new();
    usage.record(&alice_pays(kzt(600))).expect("recorded");
    assert_eq!(usage.amount(LimitScope::User(ALICE), None, Currency::Kzt), kzt(600));
    assert_eq!(usage.amount(LimitScope::Partner(PARTNER), None, Currency::Kzt), kzt(600));
    assert_eq!(usage.amount(LimitScope::User(BOB), None, Currency::Kzt), kzt(0));
    let bob = operation(BOB, DocumentKind::Interbank, kzt(401));
    let refused = check(&partner_limit, &usage, &bob).expect_err("the partner's day is shared");
    assert_eq!(refused.used, LimitValue::Amount(kzt(600)));
    let elsewhere = Operation { partner: OTHER_PARTNER, ..bob };
    assert_eq!(check(&partner_limit, &usage, &elsewhere), Ok(()));
}

/// a limit on one kind counts that kind; a limit on all kinds counts them all.
#[test]
fn r_6_1_7_kinds() {
    let scope = LimitScope::Partner(PARTNER);
    let mut usage = day(scope, 500, 1);
    usage.add(scope, DocumentKind::Budget, kzt(300), 1).expect("consistent");
    usage.add(scope, DocumentKind::Internal, kzt(100), 1).expect("consistent");
    assert_eq!(usage.amount(scope, Some(DocumentKind::Budget), Currency::Kzt), kzt(300));
    assert_eq!(usage.amount(scope, None, Currency::Kzt), kzt(900));
    assert_eq!(usage.count(scope, None, None), 3);

    let budget_only = one(scope, Some(DocumentKind::Budget), LimitRule::DailyAmount(kzt(400)));
    assert_eq!(check(&budget_only, &usage, &operation(ALICE, DocumentKind::Budget, kzt(100))), Ok(()));
    assert!(check(&budget_only, &usage, &operation(ALICE, DocumentKind::Budget, kzt(101))).is_err());
    assert_eq!(check(&budget_only, &usage, &operation(ALICE, DocumentKind::Interbank, kzt(10_000))), Ok(()));

    let all_kinds = one(scope, None, LimitRule::DailyAmount(kzt(1_000)));
    assert_eq!(check(&all_kinds, &usage, &operation(ALICE, DocumentKind::Internal, kzt(100))), Ok(()));
    let refused = check(&all_kinds, &usage, &operation(ALICE, DocumentKind::Internal, kzt(101))).expect_err("over");
    assert_eq!(refused.used, LimitValue::Amount(kzt(900)));
    assert_eq!(refused.limit.to_string(), "the daily_amount limit of 10.00 KZT per day for partner 10 on all payments");
}

/// the bank caps the documents of one confirmation; the first document over the cap is
/// named, and a cap on one kind counts that kind only.
#[test]
fn r_4_13_documents_per_confirmation() {
    let cap = one(LimitScope::User(ALICE), None, LimitRule::ConfirmationCount(3));
    let batch: Vec<Operation> = (1..=4).map(|minor| alice_pays(kzt(minor))).collect();
    assert_eq!(check_batch(&cap, &Usage::new(), &batch[..3]), Ok(()));
    let refused = check_batch(&cap, &Usage::new(), &batch).expect_err("a fourth document");
    assert_eq!(refused.position, 3);
    assert_eq!(refused.code(), "limit_exceeded");
    assert_eq!(refused.exceeded.period(), Period::Confirmation);
    assert_eq!(refused.exceeded.used, LimitValue::Count(3));
    assert_eq!(refused.exceeded.would_be(), Some(LimitValue::Count(4)));
    assert_eq!(check(&cap, &Usage::new(), &alice_pays(kzt(1))), Ok(()), "one document is one confirmation");
    assert_eq!(cap.documents_per_confirmation_max(PARTNER, ALICE), 3);
    assert_eq!(cap.documents_per_confirmation_max(PARTNER, BOB), BATCH_DOCUMENTS_MAX);

    let budget_cap = one(LimitScope::Partner(PARTNER), Some(DocumentKind::Budget), LimitRule::ConfirmationCount(1));
    let mixed = [
        operation(ALICE, DocumentKind::Budget, kzt(1)),
        operation(ALICE, DocumentKind::Interbank, kzt(1)),
        operation(ALICE, DocumentKind::Interbank, kzt(1)),
        operation(ALICE, DocumentKind::Budget, kzt(1)),
    ];
    assert_eq!(check_batch(&budget_cap, &Usage::new(), &mixed).map_err(|refused| refused.position), Err(3));
    assert_eq!(budget_cap.documents_per_confirmation_max(PARTNER, ALICE), BATCH_DOCUMENTS_MAX);

    let both = set([
        limit(LimitScope::User(ALICE), None, LimitRule::ConfirmationCount(7)),
        limit(LimitScope::Partner(PARTNER), None, LimitRule::ConfirmationCount(5)),
    ]);
    assert_eq!(both.documents_per_confirmation_max(PARTNER, ALICE), 5);
    assert_eq!(both.documents_per_confirmation_max(OTHER_PARTNER, ALICE), 7);
}

/// a confirmation counts against the day document by document; the first
/// document that would break the day's limit is named, with what the day and the documents
/// before it used.
#[test]
fn r_6_1_7_r_4_13_batch_counts_against_the_day() {
    let scope = LimitScope::User(ALICE);
    let limits = set([
        limit(scope, None, LimitRule::DailyAmount(kzt(1_000))),
        limit(scope, None, LimitRule::DailyCount { max: 10, currency: None }),
    ]);
    let usage = day(scope, 100, 1);
    let fits = [alice_pays(kzt(400)), alice_pays(kzt(400)), alice_pays(kzt(100))];
    assert_eq!(check_batch(&limits, &usage, &fits), Ok(()), "exactly 1 000 with the day's 100");
    let over = [alice_pays(kzt(400)), alice_pays(kzt(400)), alice_pays(kzt(101)), alice_pays(kzt(1))];
    let refused = check_batch(&limits, &usage, &over).expect_err("over the day");
    assert_eq!(refused.position, 2);
    assert_eq!(refused.exceeded.used, LimitValue::Amount(kzt(900)));
    assert_eq!(refused.exceeded.requested, LimitValue::Amount(kzt(101)));
    assert!(refused.to_string().starts_with("document 2 of the batch: the daily_amount limit"));

    let counted = check_batch(&limits, &day(scope, 8, 8), &fits).expect_err("eleventh document of the day");
    assert_eq!((counted.position, counted.exceeded.used), (2, LimitValue::Count(10)));
    // Documents in another currency do not move a tenge limit.
    let dollars = [alice_pays(usd(900)), alice_pays(kzt(900))];
    assert_eq!(check_batch(&limits, &usage, &dollars), Ok(()));
}

/// the same limits name the same limit whatever order the bank entered them in —
/// per operation before per day, a user's before the partner's.
#[test]
fn r_6_1_7_the_limit_named_does_not_depend_on_entry_order() {
    let limits = [
        limit(LimitScope::Partner(PARTNER), None, LimitRule::DailyAmount(kzt(10))),
        limit(LimitScope::User(ALICE), None, LimitRule::DailyAmount(kzt(10))),
        limit(LimitScope::Partner(PARTNER), Some(DocumentKind::Interbank), LimitRule::OperationAmount(kzt(10))),
        limit(LimitScope::User(ALICE), None, LimitRule::OperationAmount(kzt(10))),
    ];
    let forward = set(limits);
    let mut reversed = limits;
    reversed.reverse();
    let backward = set(reversed);
    assert_eq!(forward, backward);
    let refused = check(&forward, &Usage::new(), &alice_pays(kzt(11))).expect_err("over all four");
    assert_eq!(refused.limit, limits[3], "the user's per-operation limit");
    assert_eq!(check(&backward, &Usage::new(), &alice_pays(kzt(11))), Err(refused));
}

/// limits that make no sense are refused when the bank sets them, with codes.
#[test]
fn r_6_1_7_bad_limits_are_refused_with_codes() {
    let scope = LimitScope::Partner(PARTNER);
    let code = |rule: LimitRule| Limit::new(scope, None, rule).map(|_| ()).map_err(|error| error.code());
    for rule in [
        LimitRule::OperationAmount(kzt(0)),
        LimitRule::OperationAmount(kzt(-1)),
        LimitRule::DailyAmount(kzt(0)),
        LimitRule::DailyCount { max: 0, currency: None },
        LimitRule::ConfirmationCount(0),
    ] {
        assert_eq!(code(rule), Err("limit_not_positive"), "{rule:?}");
    }
    assert_eq!(code(LimitRule::ConfirmationCount(BATCH_DOCUMENTS_MAX as u32)), Ok(()));
    assert_eq!(code(LimitRule::ConfirmationCount(BATCH_DOCUMENTS_MAX as u32 + 1)), Err("limit_above_maximum"));
    assert_eq!(code(LimitRule::OperationAmount(kzt(1))), Ok(()));

    let first = limit(scope, None, LimitRule::DailyAmount(kzt(100)));
    let second = limit(scope, None, LimitRule::DailyAmount(kzt(200)));
    assert_eq!(LimitSet::new([first, second]), Err(LimitError::Duplicate(second)));
    assert_eq!(LimitSet::new([first, second]).map_err(|error| error.code()).map(|_| ()), Err("limit_duplicate"));
    let in_dollars = limit(scope, None, LimitRule::DailyAmount(usd(200)));
    let for_budget = limit(scope, Some(DocumentKind::Budget), LimitRule::DailyAmount(kzt(200)));
    let for_alice = limit(LimitScope::User(ALICE), None, LimitRule::DailyAmount(kzt(200)));
    assert!(LimitSet::new([first, in_dollars, for_budget, for_alice]).is_ok(), "different limits");

    let many = (0..=LIMIT_SET_LIMITS_MAX as i64)
        .map(|user| limit(LimitScope::User(UserId::new(user)), None, LimitRule::OperationAmount(kzt(1))));
    assert_eq!(LimitSet::new(many).map_err(|error| error.code()).map(|_| ()), Err("too_many_limits"));
    assert_eq!(LimitSet::none().limits().len(), 0);
    assert_eq!(check(&LimitSet::none(), &Usage::new(), &alice_pays(kzt(i64::MAX))), Ok(()));
}

/// a day's usage that cannot be true, or cannot be added up, is refused.
#[test]
fn r_6_1_7_usage_is_consistent_and_overflow_safe() {
    let scope = LimitScope::User(ALICE);
    let mut usage = Usage::new();
    let inconsistent = |sum: Money, count: u64| Err(UsageError::Inconsistent { sum, count });
    assert_eq!(usage.add(scope, DocumentKind::Internal, kzt(-1), 1), inconsistent(kzt(-1), 1));
    assert_eq!(usage.add(scope, DocumentKind::Internal, kzt(5), 0), inconsistent(kzt(5), 0));
    assert_eq!(usage.add(scope, DocumentKind::Internal, kzt(0), 1), inconsistent(kzt(0), 1));
    assert_eq!(usage.add(scope, DocumentKind::Internal, kzt(2), 3), inconsistent(kzt(2), 3));
    assert_eq!(UsageError::Inconsistent { sum: kzt(2), count: 3 }.code(), "usage_inconsistent");
    assert_eq!(usage.add(scope, DocumentKind::Internal, kzt(0), 0), Ok(()));

    usage.add(scope, DocumentKind::Internal, kzt(i64::MAX - 1), 1).expect("fits");
    let before = usage.clone();
    // The sum over kinds would not fit, though each kind's would.
    assert_eq!(usage.add(scope, DocumentKind::Budget, kzt(2), 1), Err(UsageError::Overflow));
    assert_eq!(usage.record(&alice_pays(kzt(2))), Err(UsageError::Overflow));
    assert_eq!(usage, before, "a refused addition changes nothing");
    assert_eq!(UsageError::Overflow.code(), "amount_overflow");

    // Near the top of the range a check still decides, exactly and without panicking.
    let limits = one(scope, None, LimitRule::DailyAmount(kzt(i64::MAX)));
    assert_eq!(check(&limits, &usage, &alice_pays(kzt(1))), Ok(()));
    let refused = check(&limits, &usage, &alice_pays(kzt(i64::MAX))).expect_err("far over");
    assert_eq!(refused.used, LimitValue::Amount(kzt(i64::MAX - 1)));
    assert_eq!(refused.would_be(), None, "beyond 64-bit money");
    let batch = [alice_pays(kzt(1)), alice_pays(kzt(1))];
    assert_eq!(check_batch(&limits, &usage, &batch).map_err(|refused| refused.position), Err(1));
}

fn any_scope() -> impl Strategy<Value = LimitScope> {
    prop_oneof![
        Just(LimitScope::User(ALICE)),
        Just(LimitScope::User(BOB)),
        Just(LimitScope::Partner(PARTNER)),
        Just(LimitScope::Partner(OTHER_PARTNER)),
    ]
}

fn any_kind() -> impl Strategy<Value = DocumentKind> {
    proptest::sample::select(DocumentKind::ALL.to_vec())
}

fn any_currency() -> impl Strategy<Value = Currency> {
    proptest::sample::select(vec![Currency::Kzt, Currency::Usd])
}

fn any_rule() -> impl Strategy<Value = LimitRule> {
    prop_oneof![
        (any_currency(), 1_i64..10_000)
            .prop_map(|(currency, minor)| { LimitRule::OperationAmount(Money::from_minor(minor, currency)) }),
        (any_currency(), 1_i64..50_000)
            .prop_map(|(currency, minor)| { LimitRule::DailyAmount(Money::from_minor(minor, currency)) }),
        (1_u32..20, proptest::option::of(any_currency()))
            .prop_map(|(max, currency)| LimitRule::DailyCount { max, currency }),
        (1_u32..10).prop_map(LimitRule::ConfirmationCount),
    ]
}

fn any_limits() -> impl Strategy<Value = LimitSet> {
    proptest::collection::vec((any_scope(), proptest::option::of(any_kind()), any_rule()), 0..8).prop_map(|limits| {
        // Later duplicates are dropped, so every generated list is a valid set.
        let mut kept: Vec<Limit> = Vec::new();
        for (scope, kind, rule) in limits {
            let candidate = limit(scope, kind, rule);
            let mut trial = kept.clone();
            trial.push(candidate);
            if LimitSet::new(trial).is_ok() {
                kept.push(candidate);
            }
        }
        set(kept)
    })
}

fn any_operation() -> impl Strategy<Value = Operation> {
    (prop_oneof![Just(ALICE), Just(BOB)], any_kind(), any_currency(), 1_i64..20_000)
        .prop_map(|(user, kind, currency, minor)| operation(user, kind, Money::from_minor(minor, currency)))
}

fn any_usage() -> impl Strategy<Value = Usage> {
    proptest::collection::vec(any_operation(), 0..12).prop_map(|operations| {
        let mut usage = Usage::new();
        for operation in &operations {
            usage.record(operation).expect("small amounts add up");
        }
        usage
    })
}

proptest! {
    /// checks are monotonic — if an operation passes, the same operation for any
    /// smaller amount passes.
    #[test]
    fn r_6_1_7_check_is_monotonic(
        limits in any_limits(),
        usage in any_usage(),
        operation in any_operation(),
    ) {
        for smaller_minor in [1, operation.amount.minor() / 2, operation.amount.minor() - 1] {
            let Ok(smaller) = Amount::new(Money::from_minor(smaller_minor, operation.amount.currency())) else { continue };
            let smaller = Operation { amount: smaller, ..operation };
            if check(&limits, &usage, &operation).is_ok() {
                prop_assert_eq!(check(&limits, &usage, &smaller), Ok(()));
            }
        }
    }

    /// a batch passes exactly when each document passes with the documents
    /// before it counted for the day (and the confirmation caps hold); the first failure is the
    /// one named.
    #[test]
    fn r_6_1_7_r_4_13_batch_is_documents_in_turn(
        limits in any_limits(),
        usage in any_usage(),
        operations in proptest::collection::vec(any_operation(), 0..12),
    ) {
        let mut running = usage.clone();
        let mut expected: Option<usize> = None;
        for (position, operation) in operations.iter().enumerate() {
            let cap_broken = limits.limits().iter().any(|limit| {
                let LimitRule::ConfirmationCount(max) = limit.rule() else { return false };
                let applies = |other: &Operation| {
                    let scope = match limit.scope() {
                        LimitScope::User(user) => user == other.user,
                        LimitScope::Partner(partner) => partner == other.partner,
                    };
                    scope && limit.kind().is_none_or(|kind| kind == other.kind)
                };
                let so_far = operations[..=position].iter().filter(|other| applies(other)).count();
                applies(operation) && so_far > max as usize
            });
            if cap_broken || check(&limits, &running, operation).is_err() {
                expected = Some(position);
                break;
            }
            running.record(operation).expect("small amounts add up");
        }
        let actual = check_batch(&limits, &usage, &operations);
        prop_assert_eq!(actual.err().map(|refused| refused.position), expected);
    }
}

#[test]
fn limit_exceeded_is_an_error_with_a_message() {
    let refused: LimitExceeded = check(
        &one(
            LimitScope::User(BOB),
            Some(DocumentKind::Budget),
            LimitRule::DailyCount { max: 1, currency: Some(Currency::Kzt) },
        ),
        &{
            let mut usage = Usage::new();
            usage.add(LimitScope::User(BOB), DocumentKind::Budget, kzt(7), 1).expect("consistent");
            usage
        },
        &operation(BOB, DocumentKind::Budget, kzt(1)),
    )
    .expect_err("second budget payment");
    let error: &dyn std::error::Error = &refused;
    assert_eq!(
        error.to_string(),
        "the daily_count limit of 1 document per day for user 2 on budget payments in KZT would be exceeded: \
         1 document used, this payment adds 1 document"
    );
}
