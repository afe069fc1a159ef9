//! The storage story of the information services (issue 6; R-3.1.2.2, R-3.1.2.4, R-3.1.2.5,
//! R-3.1.2.8), run on every backend through [`crate::store_conformance!`]: POS terminals that stay
//! their partner's, card operations ingested once and walked once in order, totals that add up,
//! planned settlement credits marked once, the newest directory texts, notices that reach only
//! their partners and marketplace reports kept whole.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use rand::{Rng, SeedableRng};
use tiyn_core::{AccountId, Currency, Money, PartnerId};
use tiyn_ledger::{Action, Command, EntryKind, JournalEntry};
use tiyn_refdata::DirectoryKind;

use super::{Fixture, key, now};
use crate::directories::NewDirectoryText;
use crate::messages::{
    MarketplaceOrder, MarketplacePayout, NewMarketplaceReport, NewNotice, Notice, NoticeAudience, NoticeCursor,
    NoticeKind, NoticeQuery,
};
use crate::pos::{
    CreditPosOperations, MaskedPan, NewPosOperation, NewPosTerminal, PlannedPosCredit, PosCursor, PosDayTotals,
    PosIngested, PosKind, PosOperation, PosOperationsQuery, PosPeriodTotals, PosSettlementState, PosStatus,
    PosTerminal, PosTotals, TerminalSaved, TerminalStatus,
};
use crate::statements::IncomingCreditDetails;
use crate::{AccountKind, Store, StoreError};

fn at_minutes(minutes: i64) -> Timestamp {
    now().checked_add(SignedDuration::from_mins(minutes)).expect("in range")
}

fn card() -> MaskedPan {
    MaskedPan::parse("440043******1234").expect("a masked card number")
}

fn terminal(
    f: &Fixture,
    terminal_id: &str,
    account: AccountId,
    address: &str,
    status: TerminalStatus,
) -> NewPosTerminal {
    NewPosTerminal {
        partner: f.partner,
        terminal_id: terminal_id.into(),
        address: address.into(),
        status,
        settlement_account: account,
        at: now(),
    }
}

async fn saved_terminal(store: &Arc<dyn Store>, new: NewPosTerminal) -> PosTerminal {
    let (stored, saved) = store.save_pos_terminal(new).await.expect("saved");
    assert_eq!(saved, TerminalSaved::Created);
    stored
}

#[allow(clippy::too_many_arguments)]
fn operation(
    terminal: i64,
    operation_id: &str,
    occurred_at: Timestamp,
    kind: PosKind,
    status: PosStatus,
    amount: i64,
    fee: i64,
    settlement_date: Option<Date>,
) -> NewPosOperation {
    NewPosOperation {
        terminal,
        operation_id: operation_id.into(),
        occurred_at,
        kind,
        status,
        card: card(),
        amount: Money::from_minor(amount, Currency::Kzt),
        fee: Money::from_minor(fee, Currency::Kzt),
        settlement_date,
        received_at: now(),
    }
}

/// `count` operations of every kind and status over five business days, on a half-hour grid so
/// that several share an instant, in an order unrelated to their instants.
fn random_operations(rng: &mut rand::rngs::StdRng, terminal: i64, prefix: &str, count: usize) -> Vec<NewPosOperation> {
    (0..count)
        .map(|n| {
            let occurred_at = at_minutes(30 * rng.random_range(0..240));
            let kind = match rng.random_range(0..10) {
                0 | 1 => PosKind::Refund,
                2 => PosKind::Reversal,
                _ => PosKind::Purchase,
            };
            let status = match rng.random_range(0..10) {
                0 | 1 => PosStatus::Declined,
                2..=5 => PosStatus::Approved,
                _ => PosStatus::Settled,
            };
            let amount = rng.random_range(100..1_000_000);
            let fee = rng.random_range(0..=amount / 50);
            let settlement_date = (status == PosStatus::Settled)
                .then(|| crate::statements::business_date(occurred_at).checked_add(1.day()).expect("a date"));
            operation(terminal, &format!("{prefix}-{n:04}"), occurred_at, kind, status, amount, fee, settlement_date)
        })
        .collect()
}

/// The operation as the store should answer it.
fn as_stored(new: &NewPosOperation, id: i64, terminal_code: &str, credited: bool) -> PosOperation {
    PosOperation {
        id,
        operation_id: new.operation_id.clone(),
        terminal_id: terminal_code.into(),
        occurred_at: new.occurred_at,
        kind: new.kind,
        status: new.status,
        card: new.card.clone(),
        amount: new.amount,
        fee: new.fee,
        settlement_date: new.settlement_date,
        credited,
    }
}

async fn ingest_all(store: &Arc<dyn Store>, operations: &[NewPosOperation]) -> Vec<i64> {
    let results = store.ingest_pos_operations(operations.to_vec()).await.expect("a batch");
    assert_eq!(results.len(), operations.len(), "one answer per operation");
    results
        .into_iter()
        .map(|result| {
            let ingested = result.expect("ingested");
            assert!(!ingested.replayed, "a new operation is written");
            ingested.id
        })
        .collect()
}

/// Every operation of a terminal in `[from, to)`, walked with `page` per page.
async fn walk_operations(
    store: &Arc<dyn Store>,
    terminal: i64,
    from: Timestamp,
    to: Timestamp,
    page: usize,
) -> Vec<PosOperation> {
    let mut walked: Vec<PosOperation> = Vec::new();
    let mut after = None;
    loop {
        let query = PosOperationsQuery {
            terminal,
            from_us: from.as_microsecond(),
            to_us: to.as_microsecond(),
            after,
            limit: page,
        };
        let next = store.pos_operations(query).await.expect("a page");
        assert!(next.len() <= page, "a page holds at most its limit");
        let Some(last) = next.last() else { break };
        after = Some(PosCursor::of(last));
        walked.extend(next);
        assert!(walked.len() <= 100_000, "the walk ends");
    }
    walked
}

/// The totals of `operations` and of each business day, as the store should fold them.
fn expected_totals(operations: &[PosOperation]) -> PosPeriodTotals {
    let mut totals = PosTotals::zero(Currency::Kzt);
    let mut days: BTreeMap<Date, PosTotals> = BTreeMap::new();
    for operation in operations {
        totals.add(operation).expect("no overflow");
        let day = crate::statements::business_date(operation.occurred_at);
        days.entry(day).or_insert(PosTotals::zero(Currency::Kzt)).add(operation).expect("no overflow");
    }
    PosPeriodTotals { totals, days: days.into_iter().map(|(date, totals)| PosDayTotals { date, totals }).collect() }
}

/// R-3.1.2.4: a terminal is its partner's: listed for it alone, changed by saving it again, and
/// never taken over by another partner.
pub async fn r_3_1_2_4_terminals_are_kept_per_partner(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let other = Fixture::new(Arc::clone(&store), 1).await;
    assert_eq!(store.pos_terminals(f.partner).await.expect("list"), vec![], "no terminals yet");

    let shop = terminal(&f, "T0000002", f.kzt_a, "Алматы, ул. Толе би, 10", TerminalStatus::Active);
    let first = saved_terminal(&store, shop.clone()).await;
    assert_eq!(
        (first.partner, first.terminal_id.as_str(), first.address.as_str(), first.status, first.settlement_account),
        (f.partner, "T0000002", "Алматы, ул. Толе би, 10", TerminalStatus::Active, f.kzt_a)
    );
    assert_eq!(first.created_at, now());
    let kiosk =
        saved_terminal(&store, terminal(&f, "T0000001", f.kzt_b, "Астана, ТРЦ Хан Шатыр", TerminalStatus::Active))
            .await;
    assert_ne!(first.id, kiosk.id);

    // The same terminal again changes nothing; a new address, status or account is an update.
    let (same, saved) = store.save_pos_terminal(shop.clone()).await.expect("saved again");
    assert_eq!((same, saved), (first.clone(), TerminalSaved::Unchanged));
    let moved = NewPosTerminal {
        address: "Алматы, пр. Достык, 5".into(),
        status: TerminalStatus::Blocked,
        settlement_account: f.kzt_b,
        at: at_minutes(60),
        ..shop.clone()
    };
    let (changed, saved) = store.save_pos_terminal(moved).await.expect("updated");
    assert_eq!(saved, TerminalSaved::Updated);
    let expected = PosTerminal {
        address: "Алматы, пр. Достык, 5".into(),
        status: TerminalStatus::Blocked,
        settlement_account: f.kzt_b,
        ..first.clone()
    };
    assert_eq!(changed, expected, "same id, same creation instant, the new details");
    assert_eq!(store.pos_terminal("T0000002").await.expect("read"), Some(expected.clone()));

    // Another partner cannot take the terminal over, and sees none of this partner's.
    let taken = NewPosTerminal { partner: other.partner, settlement_account: other.kzt_a, ..shop };
    assert!(
        matches!(store.save_pos_terminal(taken).await, Err(StoreError::Conflict("terminal_of_another_partner"))),
        "a terminal id of another partner is refused"
    );
    assert_eq!(store.pos_terminal("T0000002").await.expect("read"), Some(expected.clone()), "unchanged");
    assert_eq!(store.pos_terminals(other.partner).await.expect("list"), vec![]);
    let own =
        saved_terminal(&store, terminal(&other, "T0000003", other.kzt_a, "Шымкент", TerminalStatus::Closed)).await;

    // Each partner lists its own, by terminal id.
    assert_eq!(store.pos_terminals(f.partner).await.expect("list"), vec![kiosk, expected]);
    assert_eq!(store.pos_terminals(other.partner).await.expect("list"), vec![own]);
    assert_eq!(store.pos_terminal("T9999999").await.expect("read"), None);
}

/// R-3.1.2.4: operations are ingested once by their operation id (the same content is a replay,
/// other content a conflict for that item alone); a terminal's pages walk each of its operations
/// exactly once in (occurred_at, id) order whatever the page size; its totals per day and over a
/// period are the sums of what was ingested.
pub async fn r_3_1_2_4_operations_ingest_once_page_in_order_and_total(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let shop = saved_terminal(&store, terminal(&f, "T0000001", f.kzt_a, "Алматы", TerminalStatus::Active)).await;
    let kiosk = saved_terminal(&store, terminal(&f, "T0000002", f.kzt_a, "Астана", TerminalStatus::Active)).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(6_124);
    let mut ingested = random_operations(&mut rng, shop.id, "SHOP", 150);
    let mut ids = Vec::new();
    for batch in ingested.chunks(40) {
        ids.extend(ingest_all(&store, batch).await);
    }
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "each operation its own id");
    // Another terminal's operations at the same instants are not the shop's.
    let kiosk_operations = random_operations(&mut rng, kiosk.id, "KIOSK", 30);
    let kiosk_ids = ingest_all(&store, &kiosk_operations).await;

    // A replayed batch: the same content answers the first ids; other content is refused for that
    // item alone; new operations in the same batch land.
    let mut changed = ingested[3].clone();
    changed.amount = Money::from_minor(changed.amount.minor() + 1, Currency::Kzt);
    let mut changed_status = ingested[7].clone();
    changed_status.status =
        if changed_status.status == PosStatus::Declined { PosStatus::Approved } else { PosStatus::Declined };
    changed_status.settlement_date = None;
    let fresh = random_operations(&mut rng, shop.id, "LATE", 5);
    let mut replay = vec![ingested[0].clone(), changed, ingested[1].clone(), changed_status];
    replay.extend(fresh.iter().cloned());
    replay.push(ingested[149].clone());
    let results = store.ingest_pos_operations(replay).await.expect("a batch");
    assert_eq!(results.len(), 10);
    assert_eq!(results[0].as_ref().ok().copied(), Some(PosIngested::replayed(ids[0])));
    assert!(matches!(results[1], Err(StoreError::Conflict("idempotency_conflict"))), "{:?}", results[1]);
    assert_eq!(results[2].as_ref().ok().copied(), Some(PosIngested::replayed(ids[1])));
    assert!(matches!(results[3], Err(StoreError::Conflict("idempotency_conflict"))), "{:?}", results[3]);
    for (result, _) in results[4..9].iter().zip(&fresh) {
        let new = result.as_ref().expect("a new operation lands beside the conflicts");
        assert!(!new.replayed);
        ids.push(new.id);
    }
    assert_eq!(results[9].as_ref().ok().copied(), Some(PosIngested::replayed(ids[149])));
    ingested.extend(fresh);

    // Every page size walks every operation once, in (occurred_at, id) order, as first ingested.
    let mut expected: Vec<PosOperation> =
        ingested.iter().zip(&ids).map(|(new, id)| as_stored(new, *id, "T0000001", false)).collect();
    expected.sort_by_key(|operation| (operation.occurred_at, operation.id));
    let (from, to) = (at_minutes(0), at_minutes(5 * 24 * 60));
    for page in [1, 7, 40, 155, 1_000] {
        assert_eq!(walk_operations(&store, shop.id, from, to, page).await, expected, "pages of {page}");
    }
    // A period is half open: from its first instant, up to and excluding its end.
    let (from, to) = (at_minutes(24 * 60), at_minutes(3 * 24 * 60));
    let within: Vec<PosOperation> = expected
        .iter()
        .filter(|operation| operation.occurred_at >= from && operation.occurred_at < to)
        .cloned()
        .collect();
    assert!(!within.is_empty());
    assert_eq!(walk_operations(&store, shop.id, from, to, 9).await, within);

    // Totals: the ingested sums, per business day (Almaty) and over the period.
    let whole = store
        .pos_totals(shop.id, Currency::Kzt, at_minutes(0).as_microsecond(), at_minutes(5 * 24 * 60).as_microsecond())
        .await
        .expect("totals");
    let computed = expected_totals(&expected);
    assert_eq!(whole, computed);
    assert_eq!(whole.totals.operations, 155);
    assert!(
        whole.totals.refunds.is_positive() && whole.totals.reversals.is_positive() && whole.totals.fees.is_positive()
    );
    assert_eq!(
        store.pos_totals(shop.id, Currency::Kzt, from.as_microsecond(), to.as_microsecond()).await.expect("totals"),
        expected_totals(&within)
    );
    let mut kiosk_expected: Vec<PosOperation> =
        kiosk_operations.iter().zip(&kiosk_ids).map(|(new, id)| as_stored(new, *id, "T0000002", false)).collect();
    kiosk_expected.sort_by_key(|operation| (operation.occurred_at, operation.id));
    assert_eq!(walk_operations(&store, kiosk.id, at_minutes(0), at_minutes(5 * 24 * 60), 4).await, kiosk_expected);
    let empty = store
        .pos_totals(shop.id, Currency::Kzt, at_minutes(-600).as_microsecond(), at_minutes(-1).as_microsecond())
        .await
        .expect("totals");
    assert_eq!(empty, PosPeriodTotals { totals: PosTotals::zero(Currency::Kzt), days: vec![] });
}

/// R-3.1.2.4: the gateway's retries race: eight tasks ingest one batch, or windows of it, at
/// once, and each operation is written once, under one id, the others answered as replays.
pub async fn r_3_1_2_4_concurrent_ingestion_writes_each_operation_once(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let shop = saved_terminal(&store, terminal(&f, "T0000001", f.kzt_a, "Алматы", TerminalStatus::Active)).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(8);
    let batch = random_operations(&mut rng, shop.id, "RACE", 80);
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let store = Arc::clone(&store);
            // Half the tasks send the whole batch, the others a window of it; every other task
            // sends its items in reverse (a gateway retrying overlapping files in any order must
            // not deadlock: PostgreSQL did, until it inserted in operation-id order).
            let mut window = if task % 2 == 0 { batch.clone() } else { batch[(task * 5)..(40 + task * 5)].to_vec() };
            if task % 4 >= 2 {
                window.reverse();
            }
            tokio::spawn(async move {
                let results = store.ingest_pos_operations(window.clone()).await.expect("a batch");
                window
                    .into_iter()
                    .zip(results)
                    .map(|(new, result)| (new.operation_id, result.expect("no conflict: the same content")))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut answers: HashMap<String, Vec<PosIngested>> = HashMap::new();
    for task in tasks {
        for (operation_id, ingested) in task.await.expect("joined") {
            answers.entry(operation_id).or_default().push(ingested);
        }
    }
    assert_eq!(answers.len(), batch.len());
    let mut ids = HashMap::new();
    for (operation_id, answered) in &answers {
        let written = answered.iter().filter(|ingested| !ingested.replayed).count();
        assert_eq!(written, 1, "{operation_id} is written by exactly one task: {answered:?}");
        assert!(answered.iter().all(|ingested| ingested.id == answered[0].id), "{operation_id}: one id");
        ids.insert(operation_id.clone(), answered[0].id);
    }
    let walked = walk_operations(&store, shop.id, at_minutes(0), at_minutes(5 * 24 * 60), 1_000).await;
    assert_eq!(walked.len(), batch.len(), "each operation once");
    let mut expected: Vec<PosOperation> =
        batch.iter().map(|new| as_stored(new, ids[&new.operation_id], "T0000001", false)).collect();
    expected.sort_by_key(|operation| (operation.occurred_at, operation.id));
    assert_eq!(walked, expected);
}

/// R-3.1.2.4, R-3.1.2.5: the acquirer reports an operation when it is approved and again when it
/// is settled: the second report settles the stored operation (same id, its settlement date
/// set) and brings it into the planned credits; a repeat of it is a replay; any other change —
/// back to approved, another amount, another settlement date once settled, a declined operation
/// settled — is a conflict and changes nothing.
pub async fn r_3_1_2_4_an_approved_operation_is_settled_by_its_second_report(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let shop = saved_terminal(&store, terminal(&f, "T0000001", f.kzt_a, "Алматы", TerminalStatus::Active)).await;
    let day = Date::constant(2026, 9, 22);
    let approved =
        operation(shop.id, "A-1", at_minutes(10), PosKind::Purchase, PosStatus::Approved, 80_000, 1_200, None);
    let declined = operation(shop.id, "D-1", at_minutes(11), PosKind::Purchase, PosStatus::Declined, 5_000, 0, None);
    let ids = ingest_all(&store, &[approved.clone(), declined.clone()]).await;
    assert!(store.planned_pos_credits(f.partner).await.expect("planned").is_empty(), "nothing settled yet");

    let settled = NewPosOperation { status: PosStatus::Settled, settlement_date: Some(day), ..approved.clone() };
    let mut back = settled.clone();
    back.status = PosStatus::Approved;
    back.settlement_date = None;
    let mut dearer = settled.clone();
    dearer.amount = Money::from_minor(80_001, Currency::Kzt);
    let mut later = settled.clone();
    later.settlement_date = Some(Date::constant(2026, 9, 23));
    let declined_settled = NewPosOperation { status: PosStatus::Settled, settlement_date: Some(day), ..declined };

    let results = store.ingest_pos_operations(vec![dearer.clone(), settled.clone()]).await.expect("a batch");
    assert!(matches!(results[0], Err(StoreError::Conflict("idempotency_conflict"))), "{:?}", results[0]);
    assert_eq!(results[1].as_ref().ok().copied(), Some(PosIngested::settled(ids[0])));
    let results = store
        .ingest_pos_operations(vec![settled.clone(), back, later, dearer, declined_settled])
        .await
        .expect("a batch");
    assert_eq!(results[0].as_ref().ok().copied(), Some(PosIngested::replayed(ids[0])));
    for result in &results[1..] {
        assert!(matches!(result, Err(StoreError::Conflict("idempotency_conflict"))), "{result:?}");
    }

    let walked = walk_operations(&store, shop.id, at_minutes(0), at_minutes(24 * 60), 10).await;
    assert_eq!(walked[0], as_stored(&settled, ids[0], "T0000001", false), "settled on its date, nothing else changed");
    assert_eq!(walked[1].status, PosStatus::Declined, "the declined operation stays declined");
    let planned = store.planned_pos_credits(f.partner).await.expect("planned");
    assert_eq!(planned.len(), 1);
    assert_eq!((planned[0].account, planned[0].settlement_date), (f.kzt_a, day));
    assert_eq!(planned[0].amount().expect("net"), Money::from_minor(80_000 - 1_200, Currency::Kzt));
}

/// Books the acquirer's settlement credit (clearing → account) under `message_id`.
async fn book_settlement(store: &Arc<dyn Store>, account: AccountId, amount: Money, message_id: &str) {
    let clearing = store.bank_account(AccountKind::BankClearing, Currency::Kzt).await.expect("clearing");
    let amount = tiyn_core::Amount::new(amount).expect("a positive settlement");
    let entry = JournalEntry::transfer(clearing, account, amount).expect("entry");
    let action = Action::Post { entry, kind: EntryKind::IncomingCredit, memo: format!("POS settlement {message_id}") };
    let command = Command::new(key(&format!("incoming-{message_id}")), now(), action).expect("command");
    let details = IncomingCreditDetails {
        message_id: message_id.into(),
        payer_name: "АО «Эквайер»".into(),
        payer_taxpayer_id: None,
        payer_iban: None,
        payer_bic: None,
        knp: None,
        purpose: "Возмещение по операциям с картами".into(),
        received_at: now(),
    };
    store.book_incoming_credit(command, details).await.expect("booked");
}

/// R-3.1.2.5: the planned credits are the settled, uncredited operations per settlement account
/// and date; crediting marks exactly the operations of the plan as read, once, and only when
/// they still sum to what was expected: operations that join the date meanwhile (a lower id
/// settling included) wait for the next settlement; the settlement then reports them credited.
pub async fn r_3_1_2_5_planned_pos_credits_are_credited_once(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let other = Fixture::new(Arc::clone(&store), 1).await;
    let shop = saved_terminal(&store, terminal(&f, "T0000001", f.kzt_a, "Алматы", TerminalStatus::Active)).await;
    let kiosk = saved_terminal(&store, terminal(&f, "T0000002", f.kzt_a, "Астана", TerminalStatus::Active)).await;
    let cafe = saved_terminal(&store, terminal(&f, "T0000003", f.kzt_b, "Шымкент", TerminalStatus::Active)).await;
    let elsewhere =
        saved_terminal(&store, terminal(&other, "T0000004", other.kzt_a, "Караганда", TerminalStatus::Active)).await;
    let day1 = Date::constant(2026, 9, 22);
    let day2 = Date::constant(2026, 9, 23);
    use PosKind::{Purchase, Refund, Reversal};
    use PosStatus::{Approved, Declined, Settled};
    let operations = vec![
        operation(shop.id, "S-1", at_minutes(1), Purchase, Settled, 100_000, 1_500, Some(day1)),
        operation(kiosk.id, "K-1", at_minutes(2), Purchase, Settled, 50_000, 750, Some(day1)),
        operation(shop.id, "S-2", at_minutes(3), Refund, Settled, 20_000, 0, Some(day1)),
        operation(kiosk.id, "K-2", at_minutes(4), Reversal, Settled, 5_000, 0, Some(day1)),
        operation(shop.id, "S-3", at_minutes(5), Purchase, Approved, 70_000, 1_000, None),
        operation(shop.id, "S-4", at_minutes(6), Purchase, Declined, 30_000, 0, None),
        operation(shop.id, "S-5", at_minutes(7), Purchase, Settled, 40_000, 600, Some(day2)),
        operation(cafe.id, "C-1", at_minutes(8), Purchase, Settled, 9_000, 100, Some(day1)),
        operation(elsewhere.id, "E-1", at_minutes(9), Purchase, Settled, 11_000, 0, Some(day1)),
    ];
    let ids = ingest_all(&store, &operations).await;
    let planned_totals = |rows: &[usize]| {
        let mut totals = PosTotals::zero(Currency::Kzt);
        for row in rows {
            totals.add(&as_stored(&operations[*row], ids[*row], "", false)).expect("no overflow");
        }
        totals
    };
    let through = |rows: &[usize]| rows.iter().map(|row| ids[*row]).max().expect("rows");
    let a_day1 = [0, 1, 2, 3];
    let planned = store.planned_pos_credits(f.partner).await.expect("planned");
    let expected = vec![
        PlannedPosCredit {
            account: f.kzt_a,
            settlement_date: day1,
            totals: planned_totals(&a_day1),
            through_operation: through(&a_day1),
        },
        PlannedPosCredit {
            account: f.kzt_b,
            settlement_date: day1,
            totals: planned_totals(&[7]),
            through_operation: ids[7],
        },
        PlannedPosCredit {
            account: f.kzt_a,
            settlement_date: day2,
            totals: planned_totals(&[6]),
            through_operation: ids[6],
        },
    ];
    // By date; within a date, by account.
    let mut expected_sorted = expected.clone();
    expected_sorted.sort_by_key(|credit| (credit.settlement_date, credit.account));
    assert_eq!(planned, expected_sorted);
    let plan = expected[0].clone();
    // (100 000 + 50 000) − 20 000 − 5 000 − (1 500 + 750) = 122 750.
    assert_eq!(plan.amount().expect("net"), Money::from_minor(122_750, Currency::Kzt));
    let other_plan = store.planned_pos_credits(other.partner).await.expect("planned");
    assert_eq!(other_plan.len(), 1, "the other partner plans only its own");
    assert_eq!(other_plan[0].account, other.kzt_a);
    // A late settled operation of the same account and date joins the plan.
    let late = operation(shop.id, "S-6", at_minutes(10), Purchase, Settled, 8_000, 80, Some(day1));
    let late_id = ingest_all(&store, std::slice::from_ref(&late)).await[0];
    let mut plan = plan;
    plan.totals.add(&as_stored(&late, late_id, "", false)).expect("no overflow");
    plan.through_operation = late_id;
    let mut plan_ids: Vec<i64> = a_day1.iter().map(|row| ids[*row]).chain([late_id]).collect();
    plan_ids.sort_unstable();
    assert_eq!(
        store.pos_settlement(f.kzt_a, day1).await.expect("settlement"),
        PosSettlementState { planned: Some(plan.clone()), operations: plan_ids.clone(), credited: None }
    );
    // 122 750 + 8 000 − 80.
    assert_eq!(plan.amount().expect("net"), Money::from_minor(130_670, Currency::Kzt));

    // While the settlement credit is booked, the approved S-3 settles for the same date: its id
    // is lower than the plan's last.
    let s3_settled = operation(shop.id, "S-3", at_minutes(5), Purchase, Settled, 70_000, 1_000, Some(day1));
    let s3 = store.ingest_pos_operations(vec![s3_settled.clone()]).await.expect("a batch").remove(0).expect("settled");
    assert!(s3.settled && s3.id == ids[4] && s3.id < late_id, "S-3 settles under its own id");

    book_settlement(&store, f.kzt_a, plan.amount().expect("net"), "POS-SETTLE-1").await;
    let credit = CreditPosOperations {
        account: f.kzt_a,
        settlement_date: day1,
        operations: plan_ids.clone(),
        message_id: "POS-SETTLE-1".into(),
        expected: plan.amount().expect("net"),
    };
    // A credit that does not match the planned sum marks nothing.
    let wrong = CreditPosOperations { expected: Money::from_minor(122_749, Currency::Kzt), ..credit.clone() };
    assert!(matches!(store.credit_pos_operations(wrong).await, Err(StoreError::Conflict("settlement_changed"))));
    // The plan with the late operations but the old amount does not sum either.
    let mut more = plan_ids.clone();
    more.push(s3.id);
    let stale = CreditPosOperations { operations: more, ..credit.clone() };
    assert!(matches!(store.credit_pos_operations(stale).await, Err(StoreError::Conflict("settlement_changed"))));
    // Operations of another account, or none, are not this plan.
    let foreign = CreditPosOperations { operations: vec![ids[7]], ..credit.clone() };
    assert!(matches!(store.credit_pos_operations(foreign).await, Err(StoreError::Conflict("settlement_changed"))));
    let empty = CreditPosOperations { operations: vec![], ..credit.clone() };
    assert!(matches!(store.credit_pos_operations(empty).await, Err(StoreError::Conflict("settlement_changed"))));
    // An unknown settlement credit marks nothing.
    let unknown = CreditPosOperations { message_id: "POS-UNKNOWN".into(), ..credit.clone() };
    assert!(matches!(store.credit_pos_operations(unknown).await, Err(StoreError::NotFound { .. })));
    let untouched = store.pos_settlement(f.kzt_a, day1).await.expect("settlement");
    assert_eq!(untouched.credited, None, "nothing credited by the refused attempts");

    // The plan as read: its five operations, not S-3.
    assert_eq!(store.credit_pos_operations(credit.clone()).await.expect("credited"), 5);
    assert_eq!(store.credit_pos_operations(credit.clone()).await.expect("a repeat"), 5, "a repeat changes nothing");
    book_settlement(&store, f.kzt_a, plan.amount().expect("net"), "POS-SETTLE-2").await;
    let twice = CreditPosOperations { message_id: "POS-SETTLE-2".into(), ..credit };
    assert!(
        matches!(store.credit_pos_operations(twice).await, Err(StoreError::Conflict("settlement_changed"))),
        "operations credited by one settlement are not credited by another"
    );
    let mut joined_totals = PosTotals::zero(Currency::Kzt);
    joined_totals.add(&as_stored(&s3_settled, s3.id, "", false)).expect("no overflow");
    let joined_plan =
        PlannedPosCredit { account: f.kzt_a, settlement_date: day1, totals: joined_totals, through_operation: s3.id };
    assert_eq!(
        store.pos_settlement(f.kzt_a, day1).await.expect("settlement"),
        PosSettlementState { planned: Some(joined_plan.clone()), operations: vec![s3.id], credited: Some(plan.totals) },
        "what joined waits for the next settlement of the date"
    );
    let mut expected_after = vec![joined_plan, expected[1].clone(), expected[2].clone()];
    expected_after.sort_by_key(|credit| (credit.settlement_date, credit.account));
    assert_eq!(store.planned_pos_credits(f.partner).await.expect("planned"), expected_after);
    assert_eq!(
        store.pos_settlement(f.kzt_b, day1).await.expect("settlement"),
        PosSettlementState { planned: Some(expected[1].clone()), operations: vec![ids[7]], credited: None }
    );
    assert_eq!(
        store.pos_settlement(f.kzt_a, Date::constant(2026, 9, 30)).await.expect("settlement"),
        PosSettlementState { planned: None, operations: vec![], credited: None }
    );

    // The operations say which were credited.
    let credited_ids: HashSet<i64> = plan_ids.iter().copied().collect();
    for terminal in [&shop, &kiosk] {
        for operation in walk_operations(&store, terminal.id, at_minutes(0), at_minutes(60), 100).await {
            assert_eq!(operation.credited, credited_ids.contains(&operation.id), "{}", operation.operation_id);
        }
    }
}

fn directory_text(kind: DirectoryKind, text: &str, loaded_minutes: i64) -> NewDirectoryText {
    NewDirectoryText {
        kind,
        text: text.into(),
        rows: text.lines().count() as u64 - 1,
        source: format!("{}.csv", kind.as_str()),
        loaded_by: None,
        loaded_by_name: "Консоль".into(),
        loaded_at: at_minutes(loaded_minutes),
    }
}

/// R-3.1.2.2: the texts an administrator loaded are kept as loaded, and the newest of each kind
/// (the one loaded last, whatever instant it carries) is the one in force, one per kind.
pub async fn r_3_1_2_2_the_newest_directory_text_of_each_kind_is_in_force(store: Arc<dyn Store>) {
    assert_eq!(store.latest_directory_texts().await.expect("latest"), vec![], "nothing loaded yet");
    let knp_1 = store
        .add_directory_text(directory_text(DirectoryKind::Knp, "code,name\n710,Оплата товаров\n", 0))
        .await
        .expect("kept");
    let new =
        directory_text(DirectoryKind::ForeignBanks, "bic,name,city,country\nDEUTDEFF,Deutsche Bank,Frankfurt,DE\n", 1);
    let foreign = store.add_directory_text(new.clone()).await.expect("kept");
    assert_eq!(
        (foreign.kind, foreign.text.as_str(), foreign.rows, foreign.source.as_str()),
        (new.kind, new.text.as_str(), 1, "foreign-banks.csv")
    );
    assert_eq!(
        (foreign.loaded_by, foreign.loaded_by_name.as_str(), foreign.loaded_at),
        (None, "Консоль", at_minutes(1))
    );
    let knp_2 = store
        .add_directory_text(directory_text(DirectoryKind::Knp, "code,name\n710,Оплата товаров\n911,Прочие\n", 2))
        .await
        .expect("kept");
    assert!(knp_1.id < knp_2.id);
    // Loaded last but stamped earlier: still the newest (the highest id).
    let kbk = store
        .add_directory_text(directory_text(DirectoryKind::Kbk, "code,name\n101101,КПН\n", -60))
        .await
        .expect("kept");
    let kbk_2 = store
        .add_directory_text(directory_text(DirectoryKind::Kbk, "code,name\n101101,КПН\n101201,ИПН\n", -120))
        .await
        .expect("kept");
    assert!(kbk.id < kbk_2.id);
    assert_eq!(store.latest_directory_texts().await.expect("latest"), vec![knp_2, kbk_2, foreign], "in kind order");
    let empty = NewDirectoryText { text: "  ".into(), ..directory_text(DirectoryKind::Kbe, "code\n17\n", 3) };
    assert!(matches!(store.add_directory_text(empty).await, Err(StoreError::Invalid(_))));
}

fn notice(partner: Option<PartnerId>, title: &str, minutes: i64, key: Option<&str>) -> NewNotice {
    NewNotice {
        partner,
        kind: NoticeKind::TermsChange,
        title: title.into(),
        text: format!("Уважаемый клиент! {title}."),
        published_at: at_minutes(minutes),
        published_by: "АО «Тийн Банк»".into(),
        key: key.map(str::to_owned),
    }
}

async fn walk_notices(store: &Arc<dyn Store>, audience: NoticeAudience, page: usize) -> Vec<Notice> {
    let mut walked: Vec<Notice> = Vec::new();
    let mut after = None;
    loop {
        let next = store.notices(NoticeQuery { audience, after, limit: page }).await.expect("a page");
        assert!(next.len() <= page);
        let Some(last) = next.last() else { break };
        after = Some(NoticeCursor::of(last));
        walked.extend(next);
        assert!(walked.len() <= 10_000, "the walk ends");
    }
    walked
}

/// R-3.1.2.8: a partner reads its own notices and the broadcasts, newest first, never another
/// partner's; pages walk each once; a publisher's key answers the first notice for the same content
/// and refuses other content.
pub async fn r_3_1_2_8_notices_reach_their_partners_newest_first(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let other = Fixture::new(Arc::clone(&store), 1).await;
    let mut published = Vec::new();
    for n in 0..30_i64 {
        let partner = match n % 3 {
            0 => None,
            1 => Some(f.partner),
            _ => Some(other.partner),
        };
        // Several notices share an instant; later ones are not always published later.
        let minutes = (n * 7) % 11;
        let stored =
            store.publish_notice(notice(partner, &format!("Уведомление {n}"), minutes, None)).await.expect("published");
        assert!(!stored.replayed);
        published.push(stored.notice);
    }
    let newest_first = |mut notices: Vec<Notice>| {
        notices.sort_by_key(|notice| std::cmp::Reverse((notice.published_at, notice.id)));
        notices
    };
    let for_partner = |partner: PartnerId| {
        newest_first(published.iter().filter(|notice| notice.partner.is_none_or(|to| to == partner)).cloned().collect())
    };
    for page in [1, 4, 100] {
        assert_eq!(walk_notices(&store, NoticeAudience::Partner(f.partner), page).await, for_partner(f.partner));
        assert_eq!(
            walk_notices(&store, NoticeAudience::Partner(other.partner), page).await,
            for_partner(other.partner)
        );
        assert_eq!(walk_notices(&store, NoticeAudience::Bank, page).await, newest_first(published.clone()));
    }
    assert_eq!(for_partner(f.partner).len(), 20);

    // A key: the same content later is the first notice again; other content is refused.
    let first = store
        .publish_notice(notice(Some(f.partner), "Новый тариф", 100, Some("tariff-2026")))
        .await
        .expect("published");
    assert!(!first.replayed);
    let again =
        store.publish_notice(notice(Some(f.partner), "Новый тариф", 160, Some("tariff-2026"))).await.expect("replayed");
    assert!(again.replayed);
    assert_eq!(again.notice, first.notice, "the first notice, with its instant");
    for conflicting in [
        notice(Some(f.partner), "Другой тариф", 100, Some("tariff-2026")),
        notice(Some(other.partner), "Новый тариф", 100, Some("tariff-2026")),
        notice(None, "Новый тариф", 100, Some("tariff-2026")),
    ] {
        assert!(
            matches!(store.publish_notice(conflicting).await, Err(StoreError::Conflict("idempotency_conflict"))),
            "other content under a used key"
        );
    }
    let mine = walk_notices(&store, NoticeAudience::Partner(f.partner), 100).await;
    assert_eq!(mine.len(), 21, "one notice for the key");
    assert_eq!(mine[0], first.notice, "the newest first");
    assert_eq!(walk_notices(&store, NoticeAudience::Partner(other.partner), 100).await, for_partner(other.partner));
    // Without a key, the same content twice is two notices.
    let one = store.publish_notice(notice(None, "Регламентные работы", 200, None)).await.expect("published");
    let two = store.publish_notice(notice(None, "Регламентные работы", 200, None)).await.expect("published");
    assert!(!one.replayed && !two.replayed && one.notice.id != two.notice.id);
}

fn tenge(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Kzt)
}

/// A report of `orders` orders, the first `paid` of them paid out in payouts of four orders each.
fn marketplace_report(
    rng: &mut rand::rngs::StdRng,
    partner: PartnerId,
    report_id: &str,
    orders: usize,
    paid: usize,
    digest: &str,
) -> NewMarketplaceReport {
    let mut report_orders = Vec::new();
    let mut payouts: Vec<MarketplacePayout> = Vec::new();
    for n in 0..orders {
        let amount = rng.random_range(1_000..500_000);
        let commission = rng.random_range(0..=amount / 10);
        let payout_id = (n < paid).then(|| format!("{report_id}-P{}", n / 4));
        if let Some(payout_id) = &payout_id {
            let net = tenge(amount - commission);
            match payouts.iter_mut().find(|payout| &payout.payout_id == payout_id) {
                Some(payout) => payout.amount = payout.amount.checked_add(net).expect("no overflow"),
                None => payouts.push(MarketplacePayout {
                    payout_id: payout_id.clone(),
                    // Later payouts first, so the stored order (by date) is not the report's.
                    paid_on: Date::constant(2026, 9, 28).checked_sub(((n / 4) as i64).days()).expect("a date"),
                    amount: net,
                    account_iban: "KZ86722T000000000001".into(),
                    credited_at: None,
                }),
            }
        }
        report_orders.push(MarketplaceOrder {
            order_id: format!("{report_id}-O{n:03}"),
            // Sold out of order, some at one instant.
            sold_at: at_minutes(((n * 37) % 50) as i64),
            amount: tenge(amount),
            commission: tenge(commission),
            payout_id,
        });
    }
    NewMarketplaceReport {
        report_id: report_id.into(),
        partner,
        period_from: Date::constant(2026, 9, 1),
        period_to: Date::constant(2026, 9, 30),
        currency: Currency::Kzt,
        content_digest: digest.repeat(64 / digest.len()),
        orders: report_orders,
        payouts,
        received_at: at_minutes(600),
    }
}

/// R-3.1.2.8: a marketplace report is kept whole, its orders and payouts read back as sent and
/// summed as the test sums them; the same report again (by digest) is answered as a replay and
/// writes nothing, another digest under its id is refused; another partner cannot read it.
pub async fn r_3_1_2_8_marketplace_reports_are_kept_whole_and_once(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let other = Fixture::new(Arc::clone(&store), 1).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(3_128);
    let report = marketplace_report(&mut rng, f.partner, "WB-2026-09", 41, 28, "a1");
    assert_eq!(report.payouts.len(), 7);
    let first = store.ingest_marketplace_report(report.clone()).await.expect("kept");
    assert!(!first.replayed);

    let stored = store.marketplace_report(f.partner, "WB-2026-09").await.expect("read").expect("the partner's report");
    let sum = |values: &mut dyn Iterator<Item = Money>| {
        values.fold(tenge(0), |sum, value| sum.checked_add(value).expect("sum"))
    };
    let summary = &stored.summary;
    assert_eq!(
        (summary.id, summary.report_id.as_str(), summary.partner, summary.currency, summary.received_at),
        (first.id, "WB-2026-09", f.partner, Currency::Kzt, at_minutes(600))
    );
    assert_eq!((summary.period_from, summary.period_to), (report.period_from, report.period_to));
    assert_eq!((summary.orders, summary.payouts, summary.unpaid_orders), (41, 7, 13));
    assert_eq!(summary.sales, sum(&mut report.orders.iter().map(|order| order.amount)));
    assert_eq!(summary.commission, sum(&mut report.orders.iter().map(|order| order.commission)));
    assert_eq!(summary.paid_out, sum(&mut report.payouts.iter().map(|payout| payout.amount)));
    assert_eq!(
        summary.paid_out,
        sum(&mut report.orders.iter().filter(|order| order.payout_id.is_some()).map(|order| order.net().expect("net")))
    );
    let mut orders = report.orders.clone();
    orders.sort_by_key(|order| order.sold_at); // stable: ties in the report's order
    assert_eq!(stored.orders, orders, "orders by sale");
    let mut payouts = report.payouts.clone();
    payouts.sort_by_key(|payout| payout.paid_on);
    assert_eq!(stored.payouts, payouts, "payouts by date");

    // The same report again writes nothing; another digest under its id is refused.
    let replay = NewMarketplaceReport { received_at: at_minutes(900), ..report.clone() };
    let again = store.ingest_marketplace_report(replay).await.expect("replayed");
    assert_eq!((again.id, again.replayed), (first.id, true));
    let changed = marketplace_report(&mut rng, f.partner, "WB-2026-09", 3, 0, "b2");
    assert!(matches!(
        store.ingest_marketplace_report(changed).await,
        Err(StoreError::Conflict("idempotency_conflict"))
    ));
    let taken = marketplace_report(&mut rng, other.partner, "WB-2026-09", 2, 2, "c3");
    assert!(matches!(store.ingest_marketplace_report(taken).await, Err(StoreError::Conflict("idempotency_conflict"))));
    assert_eq!(
        store.marketplace_report(f.partner, "WB-2026-09").await.expect("read"),
        Some(stored.clone()),
        "unchanged"
    );

    // Another partner reads none of it.
    assert_eq!(store.marketplace_report(other.partner, "WB-2026-09").await.expect("read"), None);
    assert_eq!(store.marketplace_reports(other.partner, None, 100).await.expect("list"), vec![]);
    assert_eq!(store.marketplace_report(f.partner, "WB-UNKNOWN").await.expect("read"), None);

    // More reports: the list is newest first, in pages; a report without payouts sums to zero paid.
    let unpaid = marketplace_report(&mut rng, f.partner, "OZ-2026-09", 5, 0, "d4");
    let unpaid_id = store.ingest_marketplace_report(unpaid.clone()).await.expect("kept").id;
    let whole = marketplace_report(&mut rng, f.partner, "KS-2026-09", 8, 8, "e5");
    let whole_id = store.ingest_marketplace_report(whole).await.expect("kept").id;
    let theirs = marketplace_report(&mut rng, other.partner, "KS-2026-09-B", 4, 4, "f6");
    store.ingest_marketplace_report(theirs).await.expect("kept");
    let list = store.marketplace_reports(f.partner, None, 100).await.expect("list");
    assert_eq!(list.iter().map(|summary| summary.id).collect::<Vec<_>>(), vec![whole_id, unpaid_id, first.id]);
    assert_eq!(list[2], stored.summary, "the list sums as the report does");
    assert_eq!((list[1].payouts, list[1].paid_out, list[1].unpaid_orders), (0, tenge(0), 5));
    assert_eq!(list[1].sales, sum(&mut unpaid.orders.iter().map(|order| order.amount)));
    assert_eq!((list[0].unpaid_orders, list[0].payouts), (0, 2));
    let page = store.marketplace_reports(f.partner, None, 2).await.expect("page");
    assert_eq!(page, list[..2].to_vec());
    let next = store.marketplace_reports(f.partner, Some(page[1].id), 2).await.expect("page");
    assert_eq!(next, list[2..].to_vec());
    assert_eq!(store.marketplace_reports(other.partner, None, 100).await.expect("list").len(), 1);
}
