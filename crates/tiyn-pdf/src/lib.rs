//! Tiyn's documents as PDF: the receipt of an executed payment now, the account
//! statement (issue 6) next.
//!
//! Each document is a plain data struct filled by the edge (tiyn-api, tiyn-web) from the use
//! cases' results, and one function that renders it: `data → bytes`. Nothing here reads files,
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
//! - Bounded: a document has at most [`PAGES_MAX`] pages.
//!
//! This crate knows nothing of HTTP, the store or the domain's rules: which document a user may
//! see is decided before its data gets here.

mod fonts;
mod format;
mod layout;
mod receipt;

pub use layout::PAGES_MAX;
pub use receipt::{ConfirmationMethod, Party, PaymentKind, PaymentReceipt, ReceiptConfirmation, ReceiptStatus};

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

/// Why a document could not be rendered. None of these depends on the data being valid: they are
/// bugs or limits, and the edge answers them as internal errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The fonts compiled into the binary do not parse (a broken build).
    #[error("the embedded fonts cannot be read")]
    Fonts,
    #[error("the document would have more than {pages_max} pages")]
    TooManyPages { pages_max: usize },
    /// The PDF writer refused (for example a PDF/A rule); the text is its own.
    #[error("the PDF cannot be written: {0}")]
    Pdf(String),
}

/// The receipt of an executed (or settled) payment as a one-page A4 PDF/A-2u: the
/// payment order's requisites, its status and when it was reached, and the evidence of its
/// confirmation.
pub fn payment_receipt(receipt: &PaymentReceipt, presentation: &Presentation) -> Result<Vec<u8>, RenderError> {
    receipt::render(receipt, presentation)
}
