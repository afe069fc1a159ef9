//! The account statement (R-3.1.2.1, R-3.1.2.3, R-6.3.1, R-6.4.6) and its export formats
//! (R-3.1.2.6, R-3.1.2.7).
//!
//! A statement is a [`StatementHeader`] (account, period, opening and closing balances, period
//! turnovers, all known before the first line: the store computes them from the ledger) and a
//! stream of [`StatementLine`]s in booking order. Writers take the header and an iterator of
//! lines and write to any `io::Write`, so a statement of a million operations is exported without
//! holding it in memory.
//!
//! # Invariants
//! - Pure: no I/O but the writer handed in, no clock (the header carries the instant the
//!   statement was made).
//! - Exact: every amount is a [`Money`] of the account's currency, formatted from its decimal
//!   string; never a float.
//! - Nothing left out: a writer checks, as the lines pass, that opening + credits − debits
//!   = closing and that the lines' turnovers equal the header's; a mismatch is an error, not a
//!   silently wrong file.
//!
//! This crate knows nothing of HTTP or the store: which account a user may see is decided before
//! its data gets here.

//!
//! # The export formats
//!
//! One module per format, each with one function of the same shape —
//! `write_<format>(header, lines, options, out) -> Result<ExportSummary, StatementError>` — that
//! checks the header first ([`StatementHeader::check`]), walks the lines through one
//! [`TurnoverCheck`], and streams to `out` through a buffer: [`csv`] (UTF-8 with BOM, `,` or
//! `;`), [`xlsx`] (typed cells, constant memory), [`mt940`] (one message per day with lines),
//! [`camt053`] (ISO 20022 camt.053.001.08) and [`onec`] (1CClientBankExchange, Kazakhstan keys,
//! UTF-8 or Windows-1251). Each module's documentation states its decisions.
//!
//! The lines are `impl IntoIterator<Item: IntoStatementLine>`: plain [`StatementLine`]s, or the
//! `Result`s of a fallible source such as the store's cursor, whose error ends the export as
//! [`StatementError::Source`]. A writer that fails has written an incomplete file: the caller
//! discards it (an HTTP response not yet committed is answered with the error instead).
//!
//! The one exception to "no I/O but `out`": the XLSX writer keeps its rows in a temporary file
//! until the workbook is saved (see [`xlsx`]).

pub mod camt053;
pub mod csv;
mod export;
mod model;
pub mod mt940;
pub mod onec;
pub mod pos;
pub mod table;
pub mod xlsx;

pub use camt053::{Camt053Options, write_camt053};
pub use csv::{CsvDelimiter, CsvOptions, write_csv};
pub use export::{Column, ExportSummary, IntoStatementLine, Lang, kind_label};
pub use model::{
    Counterparty, CounterpartyAccount, DailyTurnovers, DayTurnover, Direction, LineKind, PERIOD_DAYS_MAX, Period,
    PeriodError, StatementError, StatementHeader, StatementLine, Turnover, TurnoverCheck,
};
pub use mt940::{Mt940Charset, Mt940Options, write_mt940};
pub use onec::{Cp1251Fallback, OneCEncoding, OneCOptions, write_onec};
pub use table::{Cell, TableColumn, write_table_csv, write_table_xlsx};
pub use xlsx::{XlsxOptions, write_xlsx};
