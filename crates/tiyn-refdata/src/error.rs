//! Errors of loading reference data. Each names the file, the line and the problem, because the
//! person who reads it is an operator fixing an updated CSV file, not an end user.

use tiyn_core::{BicError, CalendarError, KbeError, KbkError, KnpError};

/// Why reference data could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefDataError {
    /// The text is not well-formed CSV (for example a row with a different number of fields).
    #[error("{file}{}: not valid CSV: {message}", at_line(.line))]
    Csv { file: &'static str, line: Option<u64>, message: String },
    /// The header lacks a column this crate reads.
    #[error("{file}: the header has no column `{column}`")]
    MissingColumn { file: &'static str, column: &'static str },
    /// A row is wrong.
    #[error("{file}, line {line}: {problem}")]
    Row { file: &'static str, line: u64, problem: RowProblem },
    /// The file has a header and no rows: almost certainly a truncated update.
    #[error("{file} has no rows")]
    NoRows { file: &'static str },
    /// The holiday list and the transfer list contradict each other.
    #[error("holidays_kz_*.csv and working_day_transfers_kz.csv disagree: {0}")]
    Calendar(CalendarError),
    /// Budget payments go to one treasury account; the bank directory must agree with it.
    #[error("banks_bic.csv must map bank code {code} to the treasury BIC {expected} (active); found {found}")]
    TreasuryMismatch { code: &'static str, expected: &'static str, found: String },
}

impl RefDataError {
    /// Stable API code. Reference data is loaded at start-up or by an administrator, so one code
    /// is enough; the message says the rest.
    pub fn code(&self) -> &'static str {
        "invalid_reference_data"
    }
}

fn at_line(line: &Option<u64>) -> String {
    line.map(|line| format!(", line {line}")).unwrap_or_default()
}

/// What is wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error("column `{column}` must not be empty")]
    EmptyField { column: &'static str },
    #[error("column `{column}`: {value:?} is not {expected}")]
    InvalidValue { column: &'static str, value: String, expected: &'static str },
    #[error("column `{column}` says {found:?}, but {expected:?} follows from the rest of the row")]
    Inconsistent { column: &'static str, expected: String, found: String },
    #[error("{value} is listed twice (first on line {first_line})")]
    Duplicate { value: String, first_line: u64 },
    #[error("column `bic`: {0}")]
    Bic(BicError),
    #[error("column `knp`: {0}")]
    Knp(KnpError),
    #[error("column `kbk`: {0}")]
    Kbk(KbkError),
    #[error("column `code`: {0}")]
    Kbe(KbeError),
}
