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

mod model;

pub use model::{
    Counterparty, CounterpartyAccount, DayTurnover, Direction, LineKind, PERIOD_DAYS_MAX, Period, PeriodError,
    StatementError, StatementHeader, StatementLine, Turnover, TurnoverCheck,
};
