//! The working-day calendar: which dates banks and payment systems work on.
//!
//! Kazakhstan's rule (FACTS.md §9): Monday to Friday, minus public holidays and the days off
//! they shift to, minus the weekdays a Government resolution makes days off, plus the Saturdays
//! and Sundays the same resolutions make working days. The government publishes the transfers
//! each year, so the calendar is *data*: [`WorkingCalendar`] is built from a set of holidays and
//! a set of moved working days and knows no dates of its own (`tiyn-refdata` builds the
//! Kazakhstan one from the vendored CSV files). Outside the years the data covers, only
//! weekends are days off; [`WorkingCalendar::holidays_known_through`] tells how far the data
//! goes so that callers can warn.
//!
//! All dates are civil dates (`jiff::civil::Date`) in Kazakhstan's local time; this module
//! reads no clock.

use std::collections::BTreeSet;

use jiff::civil::{Date, Weekday};

/// Why a calendar could not be built or could not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The same date was given both as a holiday and as a moved working day: the data
    /// contradicts itself and must be fixed rather than resolved by a silent precedence rule.
    #[error("{date} is listed both as a day off and as a working day")]
    Conflict { date: Date },
    /// The answer would fall outside the dates the calendar can represent (year 9999).
    #[error("no working day can be computed from {date}: it is too close to the end of the supported date range")]
    OutOfRange { date: Date },
}

impl CalendarError {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::Conflict { .. } => "calendar_conflict",
            CalendarError::OutOfRange { .. } => "date_out_of_range",
        }
    }

    /// Stable snake_case name of the variant.
    pub fn reason(&self) -> &'static str {
        match self {
            CalendarError::Conflict { .. } => "conflict",
            CalendarError::OutOfRange { .. } => "out_of_range",
        }
    }
}

/// Working days: weekdays that are not holidays, plus weekend days moved to be working days.
///
/// Immutable once built. Holidays that fall on a weekend are kept (they are harmless and the
/// source lists have them). A moved working day that is already a weekday is accepted as a
/// redundant statement; the Kazakhstan transfer list has one (2020-05-11, a Monday).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    holidays: BTreeSet<Date>,
    moved_working_days: BTreeSet<Date>,
}

impl WorkingCalendar {
    /// Builds a calendar. `holidays` are all days off other than ordinary weekends (public
    /// holidays, their observed days, transfer days off); `moved_working_days` are the
    /// Saturdays and Sundays that are working days. A date in both is refused.
    pub fn new(
        holidays: impl IntoIterator<Item = Date>,
        moved_working_days: impl IntoIterator<Item = Date>,
    ) -> Result<WorkingCalendar, CalendarError> {
        let holidays: BTreeSet<Date> = holidays.into_iter().collect();
        let moved_working_days: BTreeSet<Date> = moved_working_days.into_iter().collect();
        if let Some(&date) = holidays.intersection(&moved_working_days).next() {
            return Err(CalendarError::Conflict { date });
        }
        Ok(WorkingCalendar { holidays, moved_working_days })
    }

    /// A calendar where every Monday to Friday is a working day. For tests, and as an explicit
    /// choice where holidays do not matter.
    pub fn weekdays_only() -> WorkingCalendar {
        WorkingCalendar { holidays: BTreeSet::new(), moved_working_days: BTreeSet::new() }
    }

    /// Whether banks work on `date`.
    pub fn is_working_day(&self, date: Date) -> bool {
        if self.holidays.contains(&date) {
            return false;
        }
        if self.moved_working_days.contains(&date) {
            return true;
        }
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// Whether `date` is in the holiday set (a weekend that is not a holiday is not one).
    pub fn is_holiday(&self, date: Date) -> bool {
        self.holidays.contains(&date)
    }

    /// The latest holiday the calendar knows. After it, the calendar only knows weekends, so
    /// answers about later dates may be wrong until the data is updated.
    pub fn holidays_known_through(&self) -> Option<Date> {
        self.holidays.last().copied()
    }

    /// `date` itself if it is a working day, otherwise the first working day after it.
    pub fn working_day_on_or_after(&self, date: Date) -> Result<Date, CalendarError> {
        if self.is_working_day(date) {
            return Ok(date);
        }
        self.next_working_day(date)
    }

    /// The first working day strictly after `date` (e.g. "tomorrow's business day" for a
    /// payment submitted after the cut-off).
    pub fn next_working_day(&self, date: Date) -> Result<Date, CalendarError> {
        let mut candidate = date;
        loop {
            candidate = candidate.tomorrow().map_err(|_| CalendarError::OutOfRange { date })?;
            if self.is_working_day(candidate) {
                debug_assert!(candidate > date);
                return Ok(candidate);
            }
        }
    }

    /// The `n`-th working day after `date`, counting the first working day after `date` as 1.
    /// `date` itself never counts, whether or not it is a working day; `n = 0` gives
    /// [`Self::working_day_on_or_after`]. Used for "services end 30 working days after notice"
    ///
    pub fn add_working_days(&self, date: Date, n: u32) -> Result<Date, CalendarError> {
        if n == 0 {
            return self.working_day_on_or_after(date);
        }
        let mut current = date;
        for _ in 0..n {
            current = self.next_working_day(current)?;
        }
        debug_assert!(current > date && self.is_working_day(current));
        Ok(current)
    }

    /// The number of working days `d` with `start < d <= end`; 0 when `end <= start`. The
    /// inverse of [`Self::add_working_days`]: for `n >= 1`,
    /// `working_days_between(d, add_working_days(d, n)) == n`.
    pub fn working_days_between(&self, start: Date, end: Date) -> u32 {
        let mut count = 0u32;
        let mut current = start;
        while current < end {
            // `current < end` so a following date exists.
            let Ok(next) = current.tomorrow() else { break };
            current = next;
            if self.is_working_day(current) {
                count += 1;
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;
    use jiff::civil::date;
    use proptest::prelude::*;

    /// A small calendar around New Year 2025 in Kazakhstan: 1–2 January holidays, 3 January
    /// (Friday) a transfer day off, 5 January (Sunday) a working day, 7 January Christmas.
    fn new_year_2025() -> WorkingCalendar {
        WorkingCalendar::new(
            [date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 7)],
            [date(2025, 1, 5)],
        )
        .unwrap()
    }

    #[test]
    fn weekends_holidays_and_moved_days() {
        let calendar = new_year_2025();
        assert!(calendar.is_working_day(date(2024, 12, 31)));
        assert!(!calendar.is_working_day(date(2025, 1, 1)));
        assert!(!calendar.is_working_day(date(2025, 1, 3)));
        assert!(!calendar.is_working_day(date(2025, 1, 4)), "an ordinary Saturday");
        assert!(calendar.is_working_day(date(2025, 1, 5)), "a Sunday made a working day");
        assert!(calendar.is_working_day(date(2025, 1, 6)));
        assert!(!calendar.is_working_day(date(2025, 1, 7)));
        assert!(calendar.is_holiday(date(2025, 1, 7)));
        assert!(!calendar.is_holiday(date(2025, 1, 4)));
        assert_eq!(calendar.holidays_known_through(), Some(date(2025, 1, 7)));
    }

    #[test]
    fn next_and_on_or_after() {
        let calendar = new_year_2025();
        assert_eq!(calendar.next_working_day(date(2024, 12, 31)).unwrap(), date(2025, 1, 5));
        assert_eq!(calendar.next_working_day(date(2025, 1, 5)).unwrap(), date(2025, 1, 6));
        assert_eq!(calendar.working_day_on_or_after(date(2025, 1, 6)).unwrap(), date(2025, 1, 6));
        assert_eq!(calendar.working_day_on_or_after(date(2025, 1, 7)).unwrap(), date(2025, 1, 8));
    }

    /// counting working days across holidays and a moved working Sunday.
    #[test]
    fn add_working_days_across_new_year() {
        let calendar = new_year_2025();
        let start = date(2024, 12, 30);
        assert_eq!(calendar.add_working_days(start, 0).unwrap(), start);
        assert_eq!(calendar.add_working_days(start, 1).unwrap(), date(2024, 12, 31));
        assert_eq!(calendar.add_working_days(start, 2).unwrap(), date(2025, 1, 5));
        assert_eq!(calendar.add_working_days(start, 3).unwrap(), date(2025, 1, 6));
        assert_eq!(calendar.add_working_days(start, 4).unwrap(), date(2025, 1, 8));
        assert_eq!(calendar.working_days_between(start, date(2025, 1, 8)), 4);
        assert_eq!(calendar.working_days_between(date(2025, 1, 8), start), 0);
        assert_eq!(calendar.working_days_between(start, start), 0);
        // From a holiday, zero days rolls forward; one day is the next working day.
        assert_eq!(calendar.add_working_days(date(2025, 1, 1), 0).unwrap(), date(2025, 1, 5));
        assert_eq!(calendar.add_working_days(date(2025, 1, 1), 1).unwrap(), date(2025, 1, 5));
    }

    /// 30 working days with weekends only is six calendar weeks.
    #[test]
    fn thirty_working_days_without_holidays() {
        let calendar = WorkingCalendar::weekdays_only();
        let monday = date(2025, 6, 2);
        assert_eq!(calendar.add_working_days(monday, 30).unwrap(), date(2025, 7, 14));
    }

    #[test]
    fn contradictory_data_is_refused() {
        let error = WorkingCalendar::new([date(2025, 1, 5)], [date(2025, 1, 5)]).unwrap_err();
        assert_eq!(error, CalendarError::Conflict { date: date(2025, 1, 5) });
        assert_eq!(error.code(), "calendar_conflict");
    }

    #[test]
    fn the_end_of_time_is_an_error_not_a_panic() {
        let calendar = WorkingCalendar::weekdays_only();
        let last = Date::MAX;
        assert_eq!(calendar.next_working_day(last), Err(CalendarError::OutOfRange { date: last }));
        assert!(calendar.add_working_days(date(9999, 12, 20), 100).is_err());
        assert_eq!(calendar.working_days_between(last, last), 0);
    }

    /// A random calendar over 2024–2026: random holidays, and random weekend days (not
    /// holidays) moved to be working days.
    fn any_calendar() -> impl Strategy<Value = WorkingCalendar> {
        let base = date(2024, 1, 1);
        (proptest::collection::btree_set(0i32..1096, 0..200), proptest::collection::btree_set(0i32..1096, 0..40))
            .prop_map(move |(holiday_offsets, moved_offsets)| {
                let day = |offset: i32| base.checked_add(offset.days()).unwrap();
                let holidays: BTreeSet<Date> = holiday_offsets.into_iter().map(day).collect();
                let moved = moved_offsets
                    .into_iter()
                    .map(day)
                    .filter(|d| matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
                    .filter(|d| !holidays.contains(d));
                WorkingCalendar::new(holidays.clone(), moved).unwrap()
            })
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (0i32..1200).prop_map(|offset| date(2023, 12, 1).checked_add(offset.days()).unwrap())
    }

    proptest! {
        /// the result is always a working day, after `date` for n >= 1, and strictly
        /// increasing in n; counting back gives n.
        #[test]
        fn add_working_days_lands_on_working_days_and_increases(
            calendar in any_calendar(), start in any_date(), n in 0u32..80,
        ) {
            let result = calendar.add_working_days(start, n).unwrap();
            prop_assert!(calendar.is_working_day(result));
            prop_assert!(result >= start);
            let next = calendar.add_working_days(start, n + 1).unwrap();
            prop_assert!(calendar.is_working_day(next));
            prop_assert!(next > start);
            if n >= 1 {
                prop_assert!(next > result);
                prop_assert_eq!(calendar.working_days_between(start, result), n);
            } else {
                prop_assert!(next >= result);
            }
            prop_assert_eq!(calendar.next_working_day(start).unwrap(), calendar.add_working_days(start, 1).unwrap());
        }

        #[test]
        fn working_days_between_is_additive(
            calendar in any_calendar(), start in any_date(), first in 0i32..200, second in 0i32..200,
        ) {
            let middle = start.checked_add(first.days()).unwrap();
            let end = middle.checked_add(second.days()).unwrap();
            prop_assert_eq!(
                calendar.working_days_between(start, end),
                calendar.working_days_between(start, middle) + calendar.working_days_between(middle, end)
            );
        }
    }
}
