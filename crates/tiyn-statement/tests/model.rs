//! The statement model: the period limit (R-3.1.2.1), the one consistency check every writer
//! drives, and the daily turnovers with days without lines.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Statement, every_day, header_for, kzt_statement, line, signed_sum_minor};
use jiff::civil::{Date, date};
use proptest::prelude::*;
use tiyn_core::{Currency, Money};
use tiyn_statement::{
    Counterparty, DayTurnover, Direction, LineKind, PERIOD_DAYS_MAX, Period, StatementError, StatementLine,
    TurnoverCheck,
};

/// Runs the lines through a check of the statement's header: the first error's code, if any.
fn check(statement: &Statement) -> Result<Option<DayTurnover>, StatementError> {
    statement.header.check()?;
    let mut check = TurnoverCheck::new(&statement.header);
    for line in &statement.lines {
        check.push(line)?;
    }
    check.finish()
}

fn code(statement: &Statement) -> &'static str {
    match check(statement) {
        Ok(_) => "ok",
        Err(error) => error.code(),
    }
}

/// R-3.1.2.1: a statement covers at most three years; a longer period is refused with
/// `period_too_long`, a reversed one with `period_reversed`.
#[test]
fn r_3_1_2_1_period_refuses_more_than_three_years_and_reversed_ends() {
    let from = date(2022, 1, 1);
    let longest = Period::new(from, date(2024, 12, 31)).unwrap();
    assert_eq!(longest.days(), PERIOD_DAYS_MAX, "2022–2024 is three years with a leap day");
    let error = Period::new(from, date(2025, 1, 1)).unwrap_err();
    assert_eq!(error.code(), "period_too_long");
    assert_eq!(Period::new(date(2020, 1, 1), date(2024, 1, 1)).unwrap_err().code(), "period_too_long");
    assert_eq!(Period::new(date(2024, 10, 2), date(2024, 10, 1)).unwrap_err().code(), "period_reversed");
    let day = Period::new(date(2024, 10, 1), date(2024, 10, 1)).unwrap();
    assert_eq!(day.days(), 1);
    assert!(day.contains(date(2024, 10, 1)) && !day.contains(date(2024, 10, 2)));
}

/// the fixture is consistent, and the check catches each kind of inconsistency with its
/// own code.
#[test]
fn r_6_2_turnover_check_catches_every_inconsistency() {
    let good = kzt_statement();
    assert_eq!(code(&good), "ok");
    let last = check(&good).unwrap().unwrap();
    assert_eq!((last.date, last.closing), (date(2024, 10, 7), good.header.closing));

    let mut turnover = good.clone();
    turnover.header.turnover.credit = Money::from_minor(turnover.header.turnover.credit.minor() + 1, Currency::Kzt);
    turnover.header.closing = Money::from_minor(turnover.header.closing.minor() + 1, Currency::Kzt);
    assert_eq!(code(&turnover), "statement_turnover_mismatch", "turnovers differ, balances agree");

    let mut closing = good.clone();
    closing.header.closing = Money::from_minor(closing.header.closing.minor() + 1, Currency::Kzt);
    assert_eq!(code(&closing), "statement_balance_mismatch", "opening + credits − debits ≠ closing");
    let mut walk = TurnoverCheck::new(&closing.header);
    for line in &closing.lines {
        walk.push(line).unwrap();
    }
    assert_eq!(walk.finish().unwrap_err().code(), "statement_balance_mismatch", "finish checks it too");

    let mut order = good.clone();
    order.lines.swap(0, 1);
    assert_eq!(code(&order), "lines_out_of_order");

    let mut outside = good.clone();
    outside.lines[5].booking_date = date(2024, 10, 8);
    assert_eq!(code(&outside), "line_outside_period");
    let mut before = good.clone();
    before.lines[0].booking_date = date(2024, 9, 30);
    assert_eq!(code(&before), "line_outside_period");

    let mut currency = good.clone();
    currency.lines[2].amount = Money::from_minor(15_000, Currency::Usd);
    assert_eq!(code(&currency), "currency_mismatch");

    let mut header_currency = good.clone();
    header_currency.header.opening = Money::from_minor(header_currency.header.opening.minor(), Currency::Usd);
    assert_eq!(code(&header_currency), "currency_mismatch", "the header's own amounts are in its currency");

    let mut zero = good.clone();
    zero.lines[2].amount = Money::zero(Currency::Kzt);
    assert_eq!(code(&zero), "amount_not_positive");

    let mut missing = good;
    missing.lines.remove(2);
    assert_eq!(code(&missing), "statement_turnover_mismatch", "a left-out line is caught (R-6.2)");
}

/// every day of the period is listed once, days without lines with zero turnovers and
/// the previous closing, and the closings chain to the header's closing.
#[test]
fn r_6_3_1_daily_turnovers_cover_every_day_including_days_without_lines() {
    let statement = kzt_statement();
    let days = every_day(&statement);
    let dates: Vec<Date> = days.iter().map(|day| day.date).collect();
    assert_eq!(dates, (1..=7).map(|day| date(2024, 10, day)).collect::<Vec<_>>());
    let closings: Vec<i64> = days.iter().map(|day| day.closing.minor()).collect();
    assert_eq!(closings, [15_000_000, 12_985_000, 12_985_000, 13_750_433, 13_750_433, 13_750_433, 14_450_434]);
    for zero_day in [2, 4, 5] {
        assert!(days[zero_day].turnover.debit.is_zero() && days[zero_day].turnover.credit.is_zero());
    }
    assert_eq!(days[1].turnover.debit.minor(), 2_015_000, "the payment and its commission");
    assert_chained(&statement, &days);
}

fn assert_chained(statement: &Statement, days: &[DayTurnover]) {
    let mut balance = statement.header.opening;
    for day in days {
        balance = balance.checked_add(day.turnover.credit).unwrap().checked_sub(day.turnover.debit).unwrap();
        assert_eq!(day.closing, balance, "{}", day.date);
    }
    assert_eq!(balance, statement.header.closing);
    assert_eq!(days.len(), usize::try_from(statement.header.period.days()).unwrap());
}

fn any_lines() -> impl Strategy<Value = (i32, Vec<(i32, bool, i64)>)> {
    // A period of 1..=60 days, up to 40 lines: (day offset, credit?, amount in tiyn).
    (1..=60_i32).prop_flat_map(|days| {
        (Just(days), proptest::collection::vec((0..days, any::<bool>(), 1..=100_000_000_i64), 0..40))
    })
}

proptest! {
    /// for any lines, opening + credits − debits = closing, the check accepts the
    /// header a store would compute, and the daily closings chain over every day.
    #[test]
    fn r_6_3_1_any_lines_balance_and_chain((days, raw) in any_lines(), opening in -1_000_000_000_i64..1_000_000_000) {
        let from = date(2024, 2, 20);
        let to = from.checked_add(jiff::Span::new().days(days - 1)).unwrap();
        let mut raw = raw;
        raw.sort_by_key(|(offset, _, _)| *offset);
        let lines: Vec<StatementLine> = raw
            .iter()
            .enumerate()
            .map(|(index, (offset, credit, minor))| {
                let day = from.checked_add(jiff::Span::new().days(*offset)).unwrap();
                let direction = if *credit { Direction::Credit } else { Direction::Debit };
                let counterparty = Counterparty { name: "ТОО «Ү»".into(), taxpayer_id: None, account: None, bic: None };
                line(index as i64 + 1, day, LineKind::Payment, direction, *minor, None, counterparty, None, "")
            })
            .collect();
        let header = header_for(Currency::Kzt, "KZ52722S004010602810", Period::new(from, to).unwrap(), opening, &lines);
        prop_assert_eq!(header.closing.minor(), opening + signed_sum_minor(&lines));
        let statement = Statement { header, lines };
        prop_assert!(check(&statement).is_ok());
        let days_listed = every_day(&statement);
        assert_chained(&statement, &days_listed);
    }
}
