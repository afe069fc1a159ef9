//! The storage story of account statements (issue 6; R-3.1.2.1, R-3.1.2.3, R-6.3.1, R-6.4.6,
//! ), run on every backend through [`crate::store_conformance!`]: totals that reconcile with
//! the ledger for random periods, every posting a line exactly once and in order, walks that see
//! the snapshot of their totals, and incoming credits that name their payer.

use std::sync::Arc;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use rand::{Rng, SeedableRng};
use tiyn_core::{AccountId, Bic, Currency, Money, TaxpayerId};
use tiyn_ledger::{Action, Command, EntryKind, JournalEntry, Receipt};
use tiyn_statement::{Direction, LineKind};

use super::{Fixture, key, kzt, now};
use crate::statements::{IncomingCreditDetails, LineReader, OwnBank, Period, StatementLine, StatementTotals};
use crate::{AccountKind, Store};

fn bank() -> OwnBank {
    OwnBank { name: "АО «Тийн Банк»".into(), bic: Bic::parse("TIYNKZKA").expect("a BIC") }
}

fn day_of(at: Timestamp) -> Date {
    crate::statements::business_date(at)
}

fn posted_at(key_text: &str, from: AccountId, to: AccountId, minor: i64, at: Timestamp) -> Command {
    let entry = JournalEntry::transfer(from, to, kzt(minor)).expect("distinct accounts");
    let action = Action::Post { entry, kind: EntryKind::Transfer, memo: format!("перевод {key_text}") };
    Command::new(key(key_text), at, action).expect("short memo")
}

/// Every line of a statement, walked with `page` postings per page.
async fn walk(store: &Arc<dyn Store>, totals: &StatementTotals, page: usize) -> Vec<StatementLine> {
    let mut reader = LineReader::new(Arc::clone(store), totals, bank(), page);
    let mut lines = Vec::new();
    while let Some(next) = reader.next_page().await.expect("a page") {
        assert!(!next.is_empty(), "a page has lines");
        lines.extend(next);
    }
    lines
}

/// Checks what a statement says of itself, and of its lines: R-6.3.1's reconciliation.
fn assert_reconciles(totals: &StatementTotals, lines: &[StatementLine]) {
    let computed = totals
        .opening
        .checked_add(totals.turnover.credit)
        .and_then(|sum| sum.checked_sub(totals.turnover.debit))
        .expect("no overflow");
    assert_eq!(computed, totals.closing, "opening + credits − debits = closing");
    let sum = |direction| -> i64 {
        lines.iter().filter(|line| line.direction == direction).map(|line| line.amount.minor()).sum()
    };
    assert_eq!(sum(Direction::Debit), totals.turnover.debit.minor(), "the debit lines sum to the debit turnover");
    assert_eq!(sum(Direction::Credit), totals.turnover.credit.minor(), "the credit lines sum to the credit turnover");
    assert_eq!(lines.len() as u64, totals.postings, "one line per posting (no commission here)");
    for pair in lines.windows(2) {
        assert!((pair[0].booked_at, pair[0].entry) <= (pair[1].booked_at, pair[1].entry), "lines in booking order");
    }
    assert!(lines.iter().all(|line| totals.period.contains(line.booking_date)), "lines within the period");
}

/// random postings on random days, booked in an order that is not their
/// instants' (as concurrent clients book them); for random periods the statement reconciles with
/// the ledger, every posting is one line in booking order whatever the page size, the opening of
/// each day is the closing of the day before, and the closing of the last day is the balance.
pub async fn r_6_3_1_statements_reconcile_for_random_periods(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let start = now();
    f.fund(f.kzt_a, 5_000_000).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_260_601);
    let days = 40_i64;
    for n in 0..160 {
        // Instants over 40 days, not in the order the commands are executed.
        let at = start + SignedDuration::from_mins(rng.random_range(1..days * 24 * 60));
        let (from, to) = if rng.random_range(0..10) < 6 { (f.kzt_a, f.kzt_b) } else { (f.kzt_b, f.kzt_a) };
        let minor = rng.random_range(1..20_000);
        // A debit the balance cannot cover is refused and leaves no line: fine either way.
        let _ = store.execute(posted_at(&format!("r{n}"), from, to, minor, at)).await;
    }
    let first_day = day_of(start);
    let last_day = first_day + days.days();
    for _ in 0..12 {
        let a = first_day + rng.random_range(0..days + 1).days();
        let b = first_day + rng.random_range(0..days + 1).days();
        let period = Period::new(a.min(b), a.max(b)).expect("within 3 years");
        let totals = store.statement_totals(f.kzt_a, period).await.expect("totals");
        assert_eq!(totals.currency, Currency::Kzt);
        let page = rng.random_range(1..40);
        let lines = walk(&store, &totals, page).await;
        assert_reconciles(&totals, &lines);
        assert_eq!(walk(&store, &totals, 1_000).await, lines, "another walk, another page size: the same lines");
    }
    // Day after day: each day opens with the previous day's closing.
    let mut previous: Option<Money> = None;
    let mut day = first_day;
    while day <= last_day {
        let totals = store.statement_totals(f.kzt_b, Period::new(day, day).expect("a day")).await.expect("totals");
        if let Some(previous) = previous {
            assert_eq!(totals.opening, previous, "the opening of {day} is the closing of the day before");
        }
        assert_reconciles(&totals, &walk(&store, &totals, 5).await);
        previous = Some(totals.closing);
        day = day.tomorrow().expect("a date");
    }
    // The whole history: the closing is the account's balance, and opening is zero.
    let everything = Period::new(first_day, last_day).expect("period");
    for account in [f.kzt_a, f.kzt_b] {
        let totals = store.statement_totals(account, everything).await.expect("totals");
        assert_eq!(totals.opening, Money::zero(Currency::Kzt));
        let balance = store.account(account).await.expect("read").expect("exists").balance;
        assert_eq!(totals.closing, balance, "the closing of the whole history is the balance");
    }
    let unknown = store.statement_totals(AccountId::new(987_654), everything).await;
    assert!(matches!(unknown, Err(crate::StoreError::NotFound { .. })), "{unknown:?}");
    f.assert_sound().await;
}

/// a walk sees the lines of its totals' snapshot, however much is booked meanwhile, so the
/// PDF's two passes and the totals agree.
pub async fn r_6_2_a_walk_sees_the_snapshot_of_its_totals(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    f.fund(f.kzt_a, 1_000_000).await;
    for n in 0..30 {
        let at = now() + SignedDuration::from_mins(n);
        store.execute(posted_at(&format!("s{n}"), f.kzt_a, f.kzt_b, 100 + n, at)).await.expect("posted");
    }
    let period = Period::new(day_of(now()), day_of(now())).expect("a day");
    let totals = store.statement_totals(f.kzt_b, period).await.expect("totals");
    let before = walk(&store, &totals, 7).await;
    for n in 30..45 {
        // Booked later, at instants inside the period and even before the earlier lines.
        let at = now() - SignedDuration::from_mins(1);
        store.execute(posted_at(&format!("s{n}"), f.kzt_a, f.kzt_b, 100 + n, at)).await.expect("posted");
    }
    let after = walk(&store, &totals, 7).await;
    assert_eq!(before, after, "the same lines at the same snapshot");
    assert_reconciles(&totals, &after);
    let fresh = store.statement_totals(f.kzt_b, period).await.expect("totals");
    assert_eq!(fresh.postings, totals.postings + 15, "a new statement sees the new lines");
    assert_reconciles(&fresh, &walk(&store, &fresh, 7).await);
}

/// R-3.1.2.3: an incoming credit's payer is kept with its entry, once, and named on the payee's
/// statement; a replay writes nothing new.
pub async fn r_3_1_2_3_incoming_credits_name_their_payer(store: Arc<dyn Store>) {
    let f = Fixture::new(Arc::clone(&store), 0).await;
    let clearing = store.bank_account(AccountKind::BankClearing, Currency::Kzt).await.expect("clearing");
    let entry = JournalEntry::transfer(clearing, f.kzt_a, kzt(7_500_000)).expect("entry");
    let command = Command::new(
        key("incoming-INC-1"),
        now(),
        Action::Post {
            entry, kind: EntryKind::IncomingCredit, memo: "ТОО «Покупатель»: Оплата".into()
        },
    )
    .expect("command");
    let details = IncomingCreditDetails {
        message_id: "INC-1".into(),
        payer_name: "ТОО «Қазақ Тауар»".into(),
        payer_taxpayer_id: Some(TaxpayerId::parse("180140010005").expect("BIN")),
        payer_iban: Some(tiyn_core::Iban::parse("KZ806014482455345985").expect("IBAN")),
        payer_bic: Some(Bic::parse("HSBKKZKX").expect("BIC")),
        knp: Some(tiyn_core::Knp::parse("710").expect("KNP")),
        purpose: "Оплата по договору 7".into(),
        received_at: now(),
    };
    let first = store.book_incoming_credit(command.clone(), details.clone()).await.expect("booked");
    assert!(!first.replayed);
    let again = store.book_incoming_credit(command, details).await.expect("replayed");
    assert!(again.replayed);
    assert_eq!(again.receipt, first.receipt);
    let Receipt::Posted { entry } = first.receipt else { panic!("posted") };
    let period = Period::new(day_of(now()), day_of(now())).expect("a day");
    let totals = store.statement_totals(f.kzt_a, period).await.expect("totals");
    let lines = walk(&store, &totals, 10).await;
    assert_eq!(lines.len(), 1, "booked once: {lines:?}");
    let line = &lines[0];
    assert_eq!((line.entry, line.kind, line.direction), (entry, LineKind::IncomingCredit, Direction::Credit));
    assert_eq!(line.amount.minor(), 7_500_000);
    assert_eq!(line.counterparty.name, "ТОО «Қазақ Тауар»");
    assert_eq!(line.counterparty.taxpayer_id.map(|id| id.to_string()).as_deref(), Some("180140010005"));
    assert_eq!(line.counterparty.account.as_ref().map(|account| account.as_str()), Some("KZ806014482455345985"));
    assert_eq!(line.counterparty.bic.as_ref().map(Bic::as_str), Some("HSBKKZKX"));
    assert_eq!(line.knp.map(|knp| knp.to_string()).as_deref(), Some("710"));
    assert_eq!(line.purpose, "Оплата по договору 7");
    assert_reconciles(&totals, &lines);
    f.assert_sound().await;
}
