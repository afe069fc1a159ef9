//! Tiyn's documents as PDF: the receipt of an executed payment, the account statement,
//! a POS terminal's operations and any other list a partner sees (R-3.1.2.6, R-3.1.2.7).
//!
//! Each document is plain data filled by the edge (tiyn-api, tiyn-web) from the use cases'
//! results, and one function that renders it: `data → bytes`. The receipt is a struct of this
//! crate; the statement is tiyn-statement's header and lines, the same data every other export
//! format reads, checked by the same [`tiyn_statement::TurnoverCheck`]. Nothing here reads files,
//! the clock or the network; the fonts are compiled into the binary.
//!
//! # Invariants
//! - Pure: the same data and [`Presentation`] give the same bytes (the PDF's creation date is an
//!   instant of the document, not the time of rendering).
//! - Every document is PDF/A-2u: fonts embedded (subsets of DejaVu Sans, which covers Russian and
//!   Kazakh), every glyph mapped back to Unicode so the text can be searched and copied. A
//!   character the font cannot draw is shown as `�`, never as an invisible `.notdef` glyph.
//! - Amounts are exact: formatted from [`tiyn_core::Money`]'s decimal string, never through
//!   floats (floats only place things on the page).
//! - Bounded: a document has at most [`PAGES_MAX`] pages, because krilla holds every page of a
//!   document until it writes the file (a statement's page costs about 11 KB at the peak; see
//!   `statement.rs`). A longer statement is refused with [`RenderError::StatementTooLong`], never
//!   cut short: CSV and XLSX stream any length.
//!
//! This crate knows nothing of HTTP, the store or the domain's rules: which document a user may
//! see is decided before its data gets here.

mod fonts;
mod format;
mod layout;
mod list;
mod pos;
mod receipt;
mod sheet;
mod statement;

pub use layout::PAGES_MAX;
pub use list::{ListColumn, ListDocument};
pub use receipt::{ConfirmationMethod, Party, PaymentKind, PaymentReceipt, ReceiptConfirmation, ReceiptStatus};
pub use statement::STATEMENT_PAGES_MAX;
use tiyn_statement::{StatementError, StatementHeader, StatementLine};

/// A document's language. Russian is the language of the documents of record; Kazakh and
/// English translate the labels (the data is shown as it was entered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Ru,
    Kk,
    En,
}

impl Lang {
    /// The BCP 47 tag, as the PDF's document language.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::Kk => "kk",
            Lang::En => "en",
        }
    }
}

/// How a document is presented to its reader: the language of its labels and the zone its
/// instants are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presentation {
    pub lang: Lang,
    pub utc_offset: jiff::tz::Offset,
}

impl Presentation {
    /// Kazakhstan's one time zone since 1 March 2024: UTC+5, without daylight saving time (the
    /// zone of the business date everywhere in Tiyn).
    pub fn kazakhstan(lang: Lang) -> Presentation {
        Presentation { lang, utc_offset: jiff::tz::offset(5) }
    }
}

/// Why a document could not be rendered. [`RenderError::StatementTooLong`] is the user's to
/// resolve (a shorter period, or CSV/XLSX); the others are bugs or broken invariants where the
/// data was made, and the edge answers them as internal errors.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The fonts compiled into the binary do not parse (a broken build).
    #[error("the embedded fonts cannot be read")]
    Fonts,
    #[error("the document would have more than {pages_max} pages")]
    TooManyPages { pages_max: usize },
    /// A statement too long for one PDF. Refused before anything is drawn, never truncated.
    #[error(
        "the statement would have more than {pages_max} pages as PDF: choose a shorter period, or export it as CSV or XLSX, which have no such limit"
    )]
    StatementTooLong { pages_max: usize },
    /// A list too long for one PDF. Refused before anything is drawn, never truncated.
    #[error(
        "the list would have more than {pages_max} pages as PDF: narrow it with the filters, or export it as CSV or XLSX, which have no such limit"
    )]
    ListTooLong { pages_max: usize },
    /// The statement's lines do not agree with its header (tiyn-statement's check: turnovers,
    /// balances, currency, order, period).
    #[error("the statement is inconsistent: {0}")]
    Statement(#[from] StatementError),
    /// The statement's two passes over its lines saw different lines: the source is not a
    /// snapshot.
    #[error(
        "the statement's lines changed between its two passes ({first_lines} lines on {first_pages} pages, then {second_lines} on {second_pages})"
    )]
    LinesChanged { first_lines: u64, first_pages: usize, second_lines: u64, second_pages: usize },
    /// The PDF writer refused (for example a PDF/A rule); the text is its own.
    #[error("the PDF cannot be written: {0}")]
    Pdf(String),
}

impl RenderError {
    /// A stable code per variant, for the edge's error mapping and the logs.
    pub fn code(&self) -> &'static str {
        match self {
            RenderError::Fonts => "pdf_fonts",
            RenderError::TooManyPages { .. } => "pdf_too_many_pages",
            RenderError::StatementTooLong { .. } => "statement_too_long_for_pdf",
            RenderError::ListTooLong { .. } => "list_too_long_for_pdf",
            RenderError::Statement(error) => error.code(),
            RenderError::LinesChanged { .. } => "statement_lines_changed",
            RenderError::Pdf(_) => "pdf_writer",
        }
    }
}

/// The receipt of an executed (or settled) payment as a one-page A4 PDF/A-2u: the
/// payment order's requisites, its status and when it was reached, and the evidence of its
/// confirmation.
pub fn payment_receipt(receipt: &PaymentReceipt, presentation: &Presentation) -> Result<Vec<u8>, RenderError> {
    receipt::render(receipt, presentation)
}

/// The statement of an account for a period as an A4 (landscape) PDF/A-2u (R-3.1.2.6,
/// R-3.1.2.7): the header's account, holder, period and opening balance; one table row per line
/// (a commission is its own row, a reversal is marked); each day's turnovers and closing balance
/// after its lines; the period's turnovers and closing balance; and the image of the bank's
/// electronic stamp with the notice that it is not the original stamp and has no legal force.
///
/// `lines` is called **twice** and must give the same lines, in booking order, both times (a
/// snapshot: the header was computed from the same one). The first pass lays the pages out
/// without drawing them, to count them ("page N of M" on every page), to check the lines against
/// the header, and to refuse a statement over [`STATEMENT_PAGES_MAX`] pages before any work is
/// spent on drawing; the second pass draws each page as it fills. Lines are never collected: the
/// memory is krilla's compressed pages, not the lines (see `statement.rs` for the figures).
///
/// Errors: [`RenderError::Statement`] when the lines do not add up to the header,
/// [`RenderError::StatementTooLong`] over the page bound, [`RenderError::LinesChanged`] when the
/// two passes differ.
pub fn account_statement<F, I>(
    header: &StatementHeader,
    lines: F,
    presentation: &Presentation,
) -> Result<Vec<u8>, RenderError>
where
    F: FnMut() -> I,
    I: IntoIterator<Item = StatementLine>,
{
    statement::render(header, lines, presentation)
}

/// A POS terminal's operations over a period as an A4 (landscape) PDF/A-2u (R-3.1.2.4,
/// R-3.1.2.6): the terminal, one row per operation (the card masked), the period's totals and
/// each day's, and the bank's stamp with its notice. `operations` is called **twice** and must
/// give the same operations both times (see `pos.rs`); they must add up to the header's totals.
pub fn pos_operations<F, I>(
    header: &tiyn_statement::pos::PosHeader,
    operations: F,
    days: &[tiyn_statement::pos::PosDayTotals],
    presentation: &Presentation,
) -> Result<Vec<u8>, RenderError>
where
    F: FnMut() -> I,
    I: IntoIterator<Item = tiyn_statement::pos::PosOperation>,
{
    pos::render(header, operations, days, presentation)
}

/// A list (the payment documents, R-3.1.2.6, R-3.1.2.7) as an A4 (landscape) PDF/A-2u: the
/// document's title and fields, one table row per item from the typed cells the CSV and XLSX
/// writers take, the count and each summed column's sums per currency, and the bank's stamp
/// with its notice. `rows` is called **twice** and must give the same rows both times; every
/// row has one cell per column. Errors: [`RenderError::ListTooLong`] over [`PAGES_MAX`] pages,
/// [`RenderError::LinesChanged`] when the two walks differ.
pub fn list<F, I>(document: &ListDocument, rows: F, presentation: &Presentation) -> Result<Vec<u8>, RenderError>
where
    F: FnMut() -> I,
    I: IntoIterator<Item = Vec<tiyn_statement::Cell>>,
{
    list::render(document, rows, presentation)
}
