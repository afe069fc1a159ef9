//! Builds Kazakhstan's [`WorkingCalendar`] from the holiday list and the Government's
//! working-day transfers (FACTS.md §9).

use jiff::civil::{Date, Weekday};
use tiyn_core::WorkingCalendar;

use crate::error::{RefDataError, RowProblem};
use crate::table::{Row, read_table};

pub(crate) const HOLIDAYS_FILE: &str = "holidays_kz_2016_2027.csv";
pub(crate) const TRANSFERS_FILE: &str = "working_day_transfers_kz.csv";

/// Builds the calendar. Every row of the holiday file is a day off (public holidays, the
/// observed days they shift to, transfer days off, religious days off). In the transfer file,
/// `day_off_date` is a day off too, and `working_day_date` is a Saturday or Sunday worked
/// instead.
pub(crate) fn build(holidays_text: &str, transfers_text: &str) -> Result<WorkingCalendar, RefDataError> {
    let mut holidays = Vec::new();
    for row in read_table(HOLIDAYS_FILE, holidays_text, ["date", "weekday"])? {
        let [date, weekday] = &row.values;
        holidays.push(parse_dated(HOLIDAYS_FILE, &row, ("date", date), ("weekday", weekday))?);
    }

    let columns = ["day_off_date", "day_off_weekday", "working_day_date", "working_day_weekday"];
    let mut moved_working_days = Vec::new();
    for row in read_table(TRANSFERS_FILE, transfers_text, columns)? {
        let [day_off, day_off_weekday, working_day, working_day_weekday] = &row.values;
        holidays.push(parse_dated(
            TRANSFERS_FILE,
            &row,
            ("day_off_date", day_off),
            ("day_off_weekday", day_off_weekday),
        )?);
        moved_working_days.push(parse_dated(
            TRANSFERS_FILE,
            &row,
            ("working_day_date", working_day),
            ("working_day_weekday", working_day_weekday),
        )?);
    }

    WorkingCalendar::new(holidays, moved_working_days).map_err(RefDataError::Calendar)
}

/// Parses a `YYYY-MM-DD` date and checks it against the weekday column beside it: the two are
/// written independently, so a disagreement catches a mistyped date.
fn parse_dated<const N: usize>(
    file: &'static str,
    row: &Row<N>,
    (date_column, date_text): (&'static str, &str),
    (weekday_column, weekday_text): (&'static str, &str),
) -> Result<Date, RefDataError> {
    let date: Date = date_text.parse().map_err(|_| {
        row.problem(
            file,
            RowProblem::InvalidValue {
                column: date_column,
                value: date_text.to_owned(),
                expected: "a date YYYY-MM-DD",
            },
        )
    })?;
    let expected = weekday_abbreviation(date.weekday());
    if weekday_text != expected {
        let problem = RowProblem::Inconsistent {
            column: weekday_column,
            expected: expected.to_owned(),
            found: weekday_text.to_owned(),
        };
        return Err(row.problem(file, problem));
    }
    Ok(date)
}

fn weekday_abbreviation(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRANSFERS_HEADER: &str = "day_off_date,day_off_weekday,working_day_date,working_day_weekday\n";

    #[test]
    fn weekday_column_catches_mistyped_dates() {
        let holidays = "date,weekday,name_en\n2026-01-01,Fri,New Year's Day\n";
        let transfers = format!("{TRANSFERS_HEADER}2025-01-03,Fri,2025-01-05,Sun\n");
        let error = build(holidays, &transfers).unwrap_err();
        assert_eq!(
            error.to_string(),
            "holidays_kz_2016_2027.csv, line 2: column `weekday` says \"Fri\", but \"Thu\" follows from the rest of the row"
        );
    }

    #[test]
    fn invalid_dates_and_conflicts_are_refused() {
        let transfers = format!("{TRANSFERS_HEADER}2025-01-03,Fri,2025-01-05,Sun\n");
        let error = build("date,weekday\n2025-02-30,Sun\n", &transfers).unwrap_err();
        assert!(error.to_string().contains("\"2025-02-30\" is not a date"), "{error}");

        let error = build("date,weekday\n2025-01-05,Sun\n", &transfers).unwrap_err();
        assert!(matches!(error, RefDataError::Calendar(_)), "{error}");
    }
}
