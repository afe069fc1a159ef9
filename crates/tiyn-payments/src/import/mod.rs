//! Batch import of payment orders as drafts (R-3.1.1.2; API `POST /payments/import`).
//!
//! Two steps, so that a file's *shape* and its *content* are judged separately:
//!
//! 1. A format reader turns the file's bytes into [`ImportedDocument`]s: one [`RawDocument`]
//!    per order, as if a client had typed it, plus where each field came from (the format's key
//!    and the line). A file that is not well formed is refused whole, with every problem and its
//!    line ([`one_c::ImportError`], [`pain001::Pain001Error`]). Two formats are read: the 1C
//!    client-bank exchange format ([`one_c`]) and ISO 20022 pain.001.001.09 ([`pain001`], on
//!    the workspace's XML reader, `crate::iso20022`).
//! 2. [`validate_batch`] runs [`parse_draft`] on every document and reports each
//!    [`FieldError`] with the document's line, the line and key of the field in the file, and
//!    the API field name ([`ImportFieldError`]). The caller imports all or nothing by default
//!    ([`BatchValidation::into_all`]) and only the valid documents when the client asked for it
//!    ([`BatchValidation::partition`]).
//!
//! Between the two the caller resolves each order's payer account: a file names it by IBAN
//! ([`ImportedDocument::payer_iban`]), a draft by the partner's account id, and only the store
//! knows which accounts are the partner's ([`ImportedDocument::resolve_payer`]).
//!
//! Like the rest of the crate this module does no I/O: it reads the bytes it is given.

pub mod encoding;
pub mod one_c;
pub mod pain001;

use std::fmt;

use jiff::civil::Date;
use tiyn_core::AccountId;

use crate::digest::BATCH_DOCUMENTS_MAX;
use crate::directories::Directories;
use crate::field::{FieldError, codes, fields};
use crate::requisites::{RawDocument, Requisites, parse_draft};

/// The most payment orders one import file may hold: as many as one confirmation can cover
/// ([`BATCH_DOCUMENTS_MAX`]). A file is validated and stored in one go, so this bounds that
/// work, and a larger file could not be confirmed as one batch anyway.
pub const IMPORT_DOCUMENTS_MAX: usize = BATCH_DOCUMENTS_MAX;

/// Why an import file was refused whole: every problem found, in the order found, at most
/// [`one_c::ERRORS_REPORTED_MAX`]. Never empty. One type for both formats, each with its own
/// kind of problem ([`one_c::LineError`], [`pain001::ElementError`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRefused<E> {
    pub(crate) errors: Vec<E>,
    /// More problems were found than are listed.
    pub(crate) truncated: bool,
}

impl<E> FileRefused<E> {
    pub(crate) fn single(error: E) -> FileRefused<E> {
        FileRefused { errors: vec![error], truncated: false }
    }

    pub fn errors(&self) -> &[E] {
        &self.errors
    }

    /// Whether the file has more problems than [`FileRefused::errors`] lists.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// Stable API code of the refusal as a whole, whatever the format; each problem has its own.
    pub fn code(&self) -> &'static str {
        "import_file_refused"
    }
}

impl<E: fmt::Display> fmt::Display for FileRefused<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            error.fmt(f)?;
        }
        if self.truncated {
            write!(f, "\n(only the first {} problems are listed)", one_c::ERRORS_REPORTED_MAX)?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for FileRefused<E> {}

/// Where one field of an imported document came from: the file's key and the line it is on.
/// For a field the file does not have, the key it would have had and the line of the
/// document's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The API field name, one of [`fields`].
    pub field: &'static str,
    /// The format's key, e.g. `"ПолучательИИК"`.
    pub key: &'static str,
    /// 1-based line in the file.
    pub line: usize,
}

/// A key of a document that the reader does not know and did not use, for the caller to show as
/// a warning ("ignored: …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredKey {
    pub line: usize,
    /// As written in the file (cut to [`KEY_ECHO_CHARS_MAX`] characters).
    pub key: String,
}

/// How much of a key from a file an error or warning repeats: the longest key of the format is
/// 26 characters (`КодБюджетнойКлассификации`), so a longer one is not a key anyone meant.
pub const KEY_ECHO_CHARS_MAX: usize = 40;

/// One payment order read from an import file, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedDocument {
    /// 1-based line where the document's section starts.
    pub line: usize,
    /// The order as a client would have typed it. `payer_account` is empty until the caller
    /// resolves [`ImportedDocument::payer_iban`].
    pub raw: RawDocument,
    /// The client's own number of the order (`НомерДокумента`), as written. Informational: the
    /// store numbers drafts itself.
    pub number: Option<String>,
    /// The payer's IBAN as written in the file (`ПлательщикИИК`), trimmed; the caller parses
    /// it ([`tiyn_core::Iban::parse`] normalises spaces and case) and looks it up among the
    /// partner's accounts.
    pub payer_iban: Option<String>,
    /// Keys the reader does not know, left out of the document.
    pub ignored_keys: Vec<IgnoredKey>,
    /// One per field of [`fields::ALL`] that the format can carry.
    sources: Vec<Source>,
}

impl ImportedDocument {
    /// For the format readers: `sources` must name only API fields, each once.
    fn new(
        line: usize,
        raw: RawDocument,
        number: Option<String>,
        payer_iban: Option<String>,
        ignored_keys: Vec<IgnoredKey>,
        sources: Vec<Source>,
    ) -> ImportedDocument {
        assert!(line > 0, "lines are 1-based");
        for (index, source) in sources.iter().enumerate() {
            assert!(fields::ALL.contains(&source.field), "unknown field {}", source.field);
            assert!(sources[..index].iter().all(|other| other.field != source.field), "{} twice", source.field);
        }
        ImportedDocument { line, raw, number, payer_iban, ignored_keys, sources }
    }

    /// Where `field` came from in the file, or `None` when the format has no key for it
    /// (`payee_account` in 1C).
    pub fn source(&self, field: &str) -> Option<Source> {
        self.sources.iter().find(|source| source.field == field).copied()
    }

    /// Every field's source, in the order of [`fields::ALL`].
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Sets the payer account the caller found for [`ImportedDocument::payer_iban`].
    pub fn resolve_payer(&mut self, account: AccountId) {
        self.raw.payer_account = Some(account.to_string());
        debug_assert!(self.raw.payer_account.as_deref().is_some_and(|text| !text.is_empty()));
    }

    /// Places a field error at its key and line in the file.
    fn locate(&self, error: FieldError) -> ImportFieldError {
        let source = self.source(error.field);
        let error = match (&self.payer_iban, error.field, error.code) {
            // The caller resolves the payer; an unresolved one is the file's IBAN that is not an
            // account of the partner, which is what the person importing needs to read.
            (Some(iban), fields::PAYER_ACCOUNT, codes::REQUIRED) => {
                let iban: String = iban.chars().take(KEY_ECHO_CHARS_MAX).collect();
                FieldError {
                    detail: format!("the payer IBAN {iban} is not one of your accounts at this bank"),
                    ..error
                }
            }
            _ => error,
        };
        ImportFieldError {
            document_line: self.line,
            line: source.map_or(self.line, |source| source.line),
            key: source.map(|source| source.key),
            error,
        }
    }
}

/// A field error of an imported document, placed in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFieldError {
    /// The line where the document starts.
    pub document_line: usize,
    /// The line of the field's key, or the document's line when the file does not have the key.
    pub line: usize,
    /// The format's key next to the API field name (`error.field`).
    pub key: Option<&'static str>,
    pub error: FieldError,
}

impl fmt::Display for ImportFieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let FieldError { field, code, detail } = &self.error;
        match self.key {
            Some(key) => write!(f, "line {}: {key} ({field}): {detail} ({code})", self.line),
            None => write!(f, "line {}: {field}: {detail} ({code})", self.line),
        }
    }
}

/// One document's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentValidation {
    /// The line where the document starts.
    pub line: usize,
    /// The client's number of the order, as written.
    pub number: Option<String>,
    /// The requisites, or every problem, sorted by line.
    pub outcome: Result<Requisites, Vec<ImportFieldError>>,
}

/// A valid imported document, ready to be stored as a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDocument {
    pub line: usize,
    pub number: Option<String>,
    pub requisites: Requisites,
}

/// The verdict on every document of a file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchValidation {
    documents: Vec<DocumentValidation>,
}

impl BatchValidation {
    pub fn documents(&self) -> &[DocumentValidation] {
        &self.documents
    }

    /// Whether every document is valid.
    pub fn is_valid(&self) -> bool {
        self.documents.iter().all(|document| document.outcome.is_ok())
    }

    /// Every error of every document, in file order.
    pub fn errors(&self) -> impl Iterator<Item = &ImportFieldError> {
        self.documents.iter().filter_map(|document| document.outcome.as_ref().err()).flatten()
    }

    /// All or nothing, the default: every document's requisites, or the whole verdict back when
    /// any document has an error.
    pub fn into_all(self) -> Result<Vec<ValidDocument>, BatchValidation> {
        if !self.is_valid() {
            return Err(self);
        }
        let (valid, refused) = self.partition();
        assert!(refused.is_empty(), "a valid batch has no refused document");
        Ok(valid)
    }

    /// When the client asked to import what is valid: the valid documents, and the others with
    /// their errors, both in file order.
    pub fn partition(self) -> (Vec<ValidDocument>, Vec<DocumentValidation>) {
        let total = self.documents.len();
        let mut valid = Vec::new();
        let mut refused = Vec::new();
        for document in self.documents {
            match document.outcome {
                Ok(requisites) => {
                    valid.push(ValidDocument { line: document.line, number: document.number, requisites })
                }
                Err(_) => refused.push(document),
            }
        }
        assert_eq!(valid.len() + refused.len(), total);
        (valid, refused)
    }
}

/// Validates every imported document as a draft ([`parse_draft`], with the same arguments) and
/// places each error in the file. The caller resolves the payer accounts first
/// ([`ImportedDocument::resolve_payer`]); an unresolved one is reported on the payer IBAN's line.
///
/// `imported` holds at most [`IMPORT_DOCUMENTS_MAX`] documents, as the readers guarantee; more
/// is a bug in the caller and panics.
pub fn validate_batch(
    imported: &[ImportedDocument],
    directories: &Directories<'_>,
    today: Date,
    horizon_working_days: u32,
) -> BatchValidation {
    assert!(imported.len() <= IMPORT_DOCUMENTS_MAX, "the readers refuse files of more than {IMPORT_DOCUMENTS_MAX}");
    let documents: Vec<DocumentValidation> = imported
        .iter()
        .map(|document| {
            let outcome = parse_draft(&document.raw, directories, today, horizon_working_days).map_err(|errors| {
                let mut errors: Vec<ImportFieldError> =
                    errors.into_iter().map(|error| document.locate(error)).collect();
                // Stable: errors on one line keep the parser's order.
                errors.sort_by_key(|error| error.line);
                errors
            });
            DocumentValidation { line: document.line, number: document.number.clone(), outcome }
        })
        .collect();
    assert_eq!(documents.len(), imported.len());
    BatchValidation { documents }
}
