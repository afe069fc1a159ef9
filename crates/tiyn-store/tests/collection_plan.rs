//! The order in which the bank collects collection orders from an account: by legal
//! priority, then by arrival, each up to what it still owes, while the money lasts.

use jiff::Timestamp;
use proptest::prelude::*;
use tiyn_core::iban::Iban;
use tiyn_core::{AccountId, Currency, Kbe, Kbk, Knp, Money, TaxpayerId};
use tiyn_payments::{DocumentKind, PayeeName};
use tiyn_store::rules::{
    CollectionOrder, CollectionPriority, Creditor, CreditorCodes, Restriction, RestrictionColumnsRead, RestrictionKind,
    collection_is_sent, collection_message_id, collection_plan, restriction_columns, restriction_kind,
    restriction_refusal,
};

fn codes(kbe: &str, knp: &str, kbk: Option<&str>) -> Option<CreditorCodes> {
    CreditorCodes::new(
        Kbe::parse(kbe).expect("kbe"),
        Knp::parse(knp).expect("knp"),
        kbk.map(|kbk| Kbk::parse(kbk).expect("kbk")),
    )
}

fn creditor() -> Creditor {
    Creditor {
        name: PayeeName::parse("РГУ «УГД по Медеускому району»").expect("name"),
        taxpayer_id: TaxpayerId::parse("180140010005").expect("bin"),
        iban: Iban::parse("KZ806014482455345985").expect("iban"),
        codes: codes("11", "911", Some("105101")),
    }
}

/// the payment order a collection becomes is coded like any other: a KBK goes with a
/// budget KNP (section 9) and only with one.
#[test]
fn r_6_1_2_creditor_codes_pair_a_kbk_with_a_budget_knp_only() {
    assert!(codes("11", "911", Some("105101")).is_some());
    assert!(codes("17", "710", None).is_some());
    assert_eq!(codes("11", "911", None), None, "a budget KNP needs its KBK");
    assert_eq!(codes("17", "710", Some("105101")), None, "a KBK only with a budget KNP");
}

/// an order's columns read back as the same order, with its codes or (registered before
/// the codes were kept) without; half a set of codes is a corrupt row, not a guess. Only a tenge
/// order with codes leaves with a message, and its message id never meets a payment's.
#[test]
fn r_6_1_2_a_collection_order_reads_back_from_its_columns() {
    let priority = CollectionPriority::new(3).expect("priority");
    let order = CollectionOrder::new(Money::from_minor(50_000, Currency::Kzt), priority, creditor()).expect("order");
    let read = |columns: &tiyn_store::rules::RestrictionColumns| {
        restriction_kind(
            columns.kind,
            RestrictionColumnsRead {
                amount: columns.amount,
                currency: columns.currency,
                allowed_kinds: columns.allowed_kinds.as_deref(),
                priority: columns.priority,
                creditor_name: columns.creditor_name.as_deref(),
                creditor_taxpayer_id: columns.creditor_taxpayer_id.as_deref(),
                creditor_iban: columns.creditor_iban.as_deref(),
                collected: columns.collected,
                creditor_kbe: columns.creditor_kbe.as_deref(),
                knp: columns.knp.as_deref(),
                kbk: columns.kbk.as_deref(),
            },
        )
    };
    let kind = RestrictionKind::CollectionOrder(order.clone());
    let columns = restriction_columns(&kind);
    assert_eq!(read(&columns).expect("reads back"), kind);
    assert!(collection_is_sent(&order));

    let mut old = order.creditor().clone();
    old.codes = None;
    let old = CollectionOrder::new(order.amount(), priority, old).expect("order");
    let old_kind = RestrictionKind::CollectionOrder(old.clone());
    assert_eq!(read(&restriction_columns(&old_kind)).expect("reads back"), old_kind);
    assert!(!collection_is_sent(&old), "no codes: forwarded by hand");

    let mut half = columns.clone();
    half.knp = None;
    assert!(read(&half).is_err());

    let dollars = CollectionOrder::new(Money::from_minor(500, Currency::Usd), priority, creditor()).expect("order");
    assert!(!collection_is_sent(&dollars), "interbank systems settle tenge only");
    assert!(collection_message_id(42).starts_with("TIYNCOL") && collection_message_id(42).len() <= 35);
}

fn order(id: i64, amount: i64, collected: i64, priority: u8, arrived: i64, lifted: bool) -> Restriction {
    let priority = CollectionPriority::new(priority).expect("priority");
    let order = CollectionOrder::stored(Money::from_minor(amount, Currency::Kzt), collected, priority, creditor())
        .expect("a valid order");
    Restriction {
        id,
        account: AccountId::new(7),
        kind: RestrictionKind::CollectionOrder(order),
        reference: format!("ИР № {id}"),
        created_by: None,
        created_at: Timestamp::from_second(1_767_225_600 + arrived).expect("instant"),
        lifted_at: lifted.then(|| Timestamp::from_second(1_767_300_000).expect("instant")),
    }
}

/// priority 1 before priority 3 even when it arrived later; within a priority the
/// earlier order first; a partly collected order continues from where it stopped.
#[test]
fn the_plan_follows_priority_then_arrival() {
    let restrictions = [
        order(1, 50_000, 20_000, 3, 0, false), // owes 300.00
        order(2, 10_000, 0, 1, 100, false),    // owes 100.00, arrived later but priority 1
        order(3, 40_000, 0, 3, 50, false),     // owes 400.00, same priority as 1, arrived after it
        order(4, 90_000, 0, 1, 0, true),       // withdrawn
    ];
    let plan = collection_plan(&restrictions, 50_000);
    let taken: Vec<(i64, i64, i64)> =
        plan.iter().map(|step| (step.restriction, step.amount.minor(), step.collected_before.minor())).collect();
    assert_eq!(taken, vec![(2, 10_000, 0), (1, 30_000, 20_000), (3, 10_000, 0)]);
    assert!(collection_plan(&restrictions, 0).is_empty());
    assert!(collection_plan(&restrictions, -500).is_empty(), "an overdrawn account gives nothing");
}

/// an outstanding collection order suspends every debit of the partner, budget payments
/// included; a lifted one does not.
#[test]
fn an_outstanding_order_suspends_the_partners_debits() {
    let at = Timestamp::from_second(1_767_225_600).expect("instant");
    let debit = Money::from_minor(100, Currency::Kzt);
    for kind in DocumentKind::ALL {
        let refusal =
            restriction_refusal(&[order(1, 10_000, 0, 2, 0, false)], kind, debit, 1_000_000, 0, at).expect("refused");
        assert_eq!(refusal.code.as_str(), "account_restricted");
        assert_eq!(restriction_refusal(&[order(1, 10_000, 0, 2, 0, true)], kind, debit, 1_000_000, 0, at), None);
    }
}

proptest! {
    /// the plan takes exactly min(available, everything owed), never more than an order
    /// owes, nothing from lifted orders, and an order gets money only when every order before it
    /// (priority, then arrival) is fully paid.
    #[test]
    fn the_plan_takes_what_is_owed_in_order(
        orders in prop::collection::vec((1i64..100_000, 0u8..=100, 1u8..=9, 0i64..1_000, prop::bool::weighted(0.2)), 0..12),
        available in -10_000i64..2_000_000,
    ) {
        let restrictions: Vec<Restriction> = orders
            .iter()
            .enumerate()
            .map(|(index, (amount, percent, priority, arrived, lifted))| {
                let collected = amount * i64::from(*percent) / 100;
                order(index as i64 + 1, *amount, collected, *priority, *arrived, *lifted)
            })
            .collect();
        let plan = collection_plan(&restrictions, available);
        let owed = |restriction: &Restriction| match &restriction.kind {
            RestrictionKind::CollectionOrder(order) if restriction.lifted_at.is_none() => order.outstanding().minor(),
            _ => 0,
        };
        let total_owed: i64 = restrictions.iter().map(owed).sum();
        let taken: i64 = plan.iter().map(|step| step.amount.minor()).sum();
        prop_assert_eq!(taken, total_owed.min(available.max(0)));
        let mut sorted: Vec<&Restriction> = restrictions.iter().filter(|r| owed(r) > 0).collect();
        sorted.sort_by_key(|r| match &r.kind {
            RestrictionKind::CollectionOrder(order) => (order.priority(), r.created_at, r.id),
            _ => unreachable!(),
        });
        let got = |id: i64| plan.iter().find(|step| step.restriction == id).map_or(0, |step| step.amount.minor());
        let mut short = false;
        for restriction in sorted {
            let received = got(restriction.id);
            prop_assert!(received <= owed(restriction));
            if short {
                prop_assert_eq!(received, 0, "an order got money while an earlier one is unpaid");
            }
            if received < owed(restriction) {
                short = true;
            }
        }
        for step in &plan {
            prop_assert!(step.amount.is_positive());
        }
    }
}
