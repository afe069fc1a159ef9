//! The statement's data: what the store fills and every writer reads.

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::{Bic, Currency, EntryId, Iban, Knp, Money, MoneyError, TaxpayerId};

/// The longest period one statement may cover: three years (R-3.1.2.1). Counted in days, with
/// the leap day: 3 × 365 + 1.
pub const PERIOD_DAYS_MAX: i32 = 3 * 365 + 1;

/// The days a statement covers, both ends included; at most [`PERIOD_DAYS_MAX`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: Date,
    to: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period starts on {from} after it ends on {to}")]
    Reversed { from: Date, to: Date },
    #[error("the period covers {days} days; a statement covers at most 3 years ({max} days)")]
    TooLong { days: i32, max: i32 },
}

impl PeriodError {
    pub const fn code(&self) -> &'static str {
        match self {
            PeriodError::Reversed { .. } => "period_reversed",
            PeriodError::TooLong { .. } => "period_too_long",
        }
    }
}

impl Period {
    pub fn new(from: Date, to: Date) -> Result<Period, PeriodError> {
        if from > to {
            return Err(PeriodError::Reversed { from, to });
        }
        let days = days_between(from, to) + 1;
        if days > PERIOD_DAYS_MAX {
            return Err(PeriodError::TooLong { days, max: PERIOD_DAYS_MAX });
        }
        Ok(Period { from, to })
    }

    pub const fn from(self) -> Date {
        self.from
    }

    pub const fn to(self) -> Date {
        self.to
    }

    /// The number of days covered, both ends included.
    pub fn days(self) -> i32 {
        days_between(self.from, self.to) + 1
    }

    pub fn contains(self, day: Date) -> bool {
        self.from <= day && day <= self.to
    }
}

fn days_between(from: Date, to: Date) -> i32 {
    // Dates from jiff are within -9999..=9999 years: the span in days always exists and fits.
    from.until(to).map(|span| span.get_days()).unwrap_or(i32::MAX)
}

/// Debit (money leaves the account) or credit (money arrives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Debit,
    Credit,
}

/// What a line is, so that a commission is its own line (R-3.1.2.1) and a reversal says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineKind {
    /// A payment document's amount (internal, interbank, budget, foreign).
    Payment,
    /// The bank's commission for a document, as its own line.
    Commission,
    /// Money received from another bank.
    IncomingCredit,
    /// One side of a currency conversion.
    Conversion,
    /// Money collected under a collection order.
    Collection,
    /// The reversal of an earlier entry.
    Reversal,
    /// An account's opening balance as the bank migrated it.
    OpeningBalance,
}

impl LineKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            LineKind::Payment => "payment",
            LineKind::Commission => "commission",
            LineKind::IncomingCredit => "incoming_credit",
            LineKind::Conversion => "conversion",
            LineKind::Collection => "collection",
            LineKind::Reversal => "reversal",
            LineKind::OpeningBalance => "opening_balance",
        }
    }
}

/// The other side's account: an IBAN, or (abroad, or the bank's own accounts) an account number
/// as the document gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CounterpartyAccount {
    Iban(Iban),
    Other(String),
}

impl CounterpartyAccount {
    pub fn as_str(&self) -> &str {
        match self {
            CounterpartyAccount::Iban(iban) => iban.as_str(),
            CounterpartyAccount::Other(text) => text,
        }
    }
}

/// Who paid or was paid. Every field but the name may be unknown (the bank's commission has no
/// counterparty's IBAN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterparty {
    pub name: String,
    pub taxpayer_id: Option<TaxpayerId>,
    pub account: Option<CounterpartyAccount>,
    pub bic: Option<Bic>,
}

/// One operation on the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// The ledger entry, the line's reference in every format.
    pub entry: EntryId,
    pub booked_at: Timestamp,
    /// The day the line counts for in turnovers (the booking day in Almaty time).
    pub booking_date: Date,
    pub value_date: Date,
    pub kind: LineKind,
    pub direction: Direction,
    /// Positive, in the account's currency.
    pub amount: Money,
    pub document_number: Option<String>,
    pub counterparty: Counterparty,
    pub knp: Option<Knp>,
    pub purpose: String,
}

/// Debit and credit sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turnover {
    pub debit: Money,
    pub credit: Money,
}

impl Turnover {
    pub const fn zero(currency: Currency) -> Turnover {
        Turnover { debit: Money::zero(currency), credit: Money::zero(currency) }
    }

    pub fn add(&mut self, line: &StatementLine) -> Result<(), StatementError> {
        let side = match line.direction {
            Direction::Debit => &mut self.debit,
            Direction::Credit => &mut self.credit,
        };
        *side = side.checked_add(line.amount)?;
        Ok(())
    }
}

/// One day's turnovers, with the balance at the end of that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTurnover {
    pub date: Date,
    pub turnover: Turnover,
    pub closing: Money,
}

/// Everything about a statement that is known before its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementHeader {
    /// The statement's own id (unique per account and request), e.g. for MT940's `:20:`.
    pub reference: String,
    pub created_at: Timestamp,
    pub bank_name: String,
    pub bank_bic: Bic,
    pub account_iban: Iban,
    pub currency: Currency,
    pub holder_name: String,
    pub holder_id: TaxpayerId,
    pub period: Period,
    /// The balance at the start of the period's first day.
    pub opening: Money,
    /// The balance at the end of the period's last day.
    pub closing: Money,
    /// The period's turnovers.
    pub turnover: Turnover,
}

impl StatementHeader {
    /// Checks what the header says of itself, before any line: its balances and turnovers are
    /// in its currency and opening + credits − debits = closing. A writer calls this first, so
    /// an inconsistent header is refused before a byte is written; [`TurnoverCheck::finish`]
    /// calls it again at the end.
    pub fn check(&self) -> Result<(), StatementError> {
        let currency = self.currency;
        for money in [self.opening, self.closing, self.turnover.debit, self.turnover.credit] {
            if money.currency() != currency {
                return Err(StatementError::CurrencyMismatch { expected: currency, found: money.currency() });
            }
        }
        let computed = self.opening.checked_add(self.turnover.credit)?.checked_sub(self.turnover.debit)?;
        if computed != self.closing {
            return Err(StatementError::BalanceMismatch {
                opening: self.opening.amount_string(),
                credit: self.turnover.credit.amount_string(),
                debit: self.turnover.debit.amount_string(),
                closing: self.closing.amount_string(),
            });
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error("a line in {found} on a statement of an account in {expected}")]
    CurrencyMismatch { expected: Currency, found: Currency },
    #[error("a line's amount must be positive; entry {entry} has {amount}")]
    NotPositive { entry: EntryId, amount: String },
    #[error("entry {entry} is booked on {date}, outside the statement's period")]
    OutsidePeriod { entry: EntryId, date: Date },
    #[error("entry {entry} on {date} comes after a line of {previous}: lines must be in booking order")]
    OutOfOrder { entry: EntryId, date: Date, previous: Date },
    #[error(
        "the lines' turnovers (debit {lines_debit}, credit {lines_credit}) differ from the header's (debit {header_debit}, credit {header_credit})"
    )]
    TurnoverMismatch { lines_debit: String, lines_credit: String, header_debit: String, header_credit: String },
    #[error("opening {opening} + credits {credit} − debits {debit} ≠ closing {closing}")]
    BalanceMismatch { opening: String, credit: String, debit: String, closing: String },
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    /// The lines' source (a store's cursor) failed part-way: the export is incomplete.
    #[error("reading the statement's lines failed: {0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An amount has more digits than the format's amount field holds (MT940's `15d`, ISO
    /// 20022's 18 digits).
    #[error("{format} holds amounts of at most {digits_max} digits; {amount} has more")]
    AmountTooLong { format: &'static str, amount: String, digits_max: usize },
    /// A text has a character the chosen encoding cannot carry and the options said to refuse
    /// rather than substitute (the Kazakh letters in Windows-1251).
    #[error("{format} in {encoding} cannot carry the character {character:?} (in entry {entry:?})")]
    Unencodable { format: &'static str, encoding: &'static str, character: char, entry: Option<EntryId> },
    /// The spreadsheet library refused something (a date outside Excel's years 1900–9999, a
    /// temp directory it cannot write to).
    #[error("writing the spreadsheet failed: {0}")]
    Spreadsheet(String),
}

impl StatementError {
    pub const fn code(&self) -> &'static str {
        match self {
            StatementError::CurrencyMismatch { .. } => "currency_mismatch",
            StatementError::NotPositive { .. } => "amount_not_positive",
            StatementError::OutsidePeriod { .. } => "line_outside_period",
            StatementError::OutOfOrder { .. } => "lines_out_of_order",
            StatementError::TurnoverMismatch { .. } => "statement_turnover_mismatch",
            StatementError::BalanceMismatch { .. } => "statement_balance_mismatch",
            StatementError::Money(_) => "amount_overflow",
            StatementError::Io(_) => "export_io",
            StatementError::Source(_) => "statement_source",
            StatementError::AmountTooLong { .. } => "export_amount_too_long",
            StatementError::Unencodable { .. } => "export_unencodable_character",
            StatementError::Spreadsheet(_) => "export_spreadsheet",
        }
    }
}

/// Walks the lines as a writer passes them: checks each line against the header, keeps the
/// running balance, closes days, and at the end checks the totals. Every writer uses one, so the
/// check is in one place.
#[derive(Debug, Clone)]
pub struct TurnoverCheck<'h> {
    header: &'h StatementHeader,
    period: Turnover,
    day: Option<DayTurnover>,
}

impl<'h> TurnoverCheck<'h> {
    pub fn new(header: &'h StatementHeader) -> TurnoverCheck<'h> {
        TurnoverCheck { header, period: Turnover::zero(header.currency), day: None }
    }

    /// Takes the next line. Returns the day it closed, if the line starts a new day (so a writer
    /// can print that day's turnovers before the line).
    pub fn push(&mut self, line: &StatementLine) -> Result<Option<DayTurnover>, StatementError> {
        let currency = self.header.currency;
        if line.amount.currency() != currency {
            return Err(StatementError::CurrencyMismatch { expected: currency, found: line.amount.currency() });
        }
        if !line.amount.is_positive() {
            return Err(StatementError::NotPositive { entry: line.entry, amount: line.amount.amount_string() });
        }
        if !self.header.period.contains(line.booking_date) {
            return Err(StatementError::OutsidePeriod { entry: line.entry, date: line.booking_date });
        }
        let closed = match self.day {
            Some(day) if day.date == line.booking_date => None,
            Some(day) if day.date > line.booking_date => {
                return Err(StatementError::OutOfOrder {
                    entry: line.entry,
                    date: line.booking_date,
                    previous: day.date,
                });
            }
            Some(day) => {
                self.day = Some(DayTurnover {
                    date: line.booking_date,
                    turnover: Turnover::zero(currency),
                    closing: day.closing,
                });
                Some(day)
            }
            None => {
                self.day = Some(DayTurnover {
                    date: line.booking_date,
                    turnover: Turnover::zero(currency),
                    closing: self.header.opening,
                });
                None
            }
        };
        self.period.add(line)?;
        if let Some(day) = self.day.as_mut() {
            day.turnover.add(line)?;
            day.closing = match line.direction {
                Direction::Debit => day.closing.checked_sub(line.amount)?,
                Direction::Credit => day.closing.checked_add(line.amount)?,
            };
        }
        Ok(closed)
    }

    /// Ends the walk: returns the last day (if any line was seen) after checking that the lines'
    /// turnovers are the header's and that opening + credits − debits = closing.
    pub fn finish(self) -> Result<Option<DayTurnover>, StatementError> {
        let header = self.header;
        if self.period != header.turnover {
            return Err(StatementError::TurnoverMismatch {
                lines_debit: self.period.debit.amount_string(),
                lines_credit: self.period.credit.amount_string(),
                header_debit: header.turnover.debit.amount_string(),
                header_credit: header.turnover.credit.amount_string(),
            });
        }
        header.check()?;
        debug_assert!(
            self.day.is_none_or(|day| day.closing == header.closing),
            "the last day's closing is opening + credits − debits, which the header's closing now equals"
        );
        Ok(self.day)
    }
}

/// Completes the days a [`TurnoverCheck`] closes with the days that had no lines, so that a list
/// of daily turnovers covers every day of the period: a day without lines has zero turnovers
/// and the previous day's closing balance (the opening balance before the first line).
///
/// Feed it every day the check returns, in order ([`DailyTurnovers::through`]), then the last
/// day [`TurnoverCheck::finish`] returns, then [`DailyTurnovers::finish`] for the days after it.
/// Every day of the period is given out exactly once, in order.
#[derive(Debug, Clone)]
pub struct DailyTurnovers {
    /// The first day not yet given out; `None` once the period's last day was.
    next: Option<Date>,
    to: Date,
    closing: Money,
}

impl DailyTurnovers {
    pub fn new(header: &StatementHeader) -> DailyTurnovers {
        DailyTurnovers { next: Some(header.period.from()), to: header.period.to(), closing: header.opening }
    }

    /// Gives out the days without lines before `day`, then `day` itself.
    ///
    /// # Panics
    /// If `day` is outside the period or not after the last day given out: the days come from a
    /// [`TurnoverCheck`] of the same header, which refuses such lines, so this is a caller's bug.
    pub fn through<E>(
        &mut self,
        day: DayTurnover,
        mut each: impl FnMut(DayTurnover) -> Result<(), E>,
    ) -> Result<(), E> {
        let next = self.next.expect("a day after the period's last day");
        assert!(next <= day.date && day.date <= self.to, "days in order, within the period");
        self.zero_days_before(Some(day.date), &mut each)?;
        debug_assert_eq!(self.next, Some(day.date));
        each(day)?;
        self.closing = day.closing;
        self.advance(day.date);
        Ok(())
    }

    /// Gives out the days without lines after the last day given out, to the end of the period.
    pub fn finish<E>(mut self, mut each: impl FnMut(DayTurnover) -> Result<(), E>) -> Result<(), E> {
        self.zero_days_before(None, &mut each)?;
        debug_assert!(self.next.is_none(), "every day of the period was given out");
        Ok(())
    }

    /// Gives out zero-turnover days from the next one up to `until` (excluded), or to the end
    /// of the period (included) when `until` is `None`.
    fn zero_days_before<E>(
        &mut self,
        until: Option<Date>,
        each: &mut impl FnMut(DayTurnover) -> Result<(), E>,
    ) -> Result<(), E> {
        while let Some(date) = self.next {
            if until.is_some_and(|until| date >= until) {
                break;
            }
            let currency = self.closing.currency();
            each(DayTurnover { date, turnover: Turnover::zero(currency), closing: self.closing })?;
            self.advance(date);
        }
        Ok(())
    }

    fn advance(&mut self, given: Date) {
        // The period ends at most on jiff's last date, so the day after one before its end exists.
        self.next = if given >= self.to { None } else { given.tomorrow().ok() };
    }
}
