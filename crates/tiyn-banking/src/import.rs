//! Batch import of payment drafts from a file (R-3.1.1.2, R-6.1.3): a 1C client-bank exchange
//! file or an ISO 20022 pain.001.001.09.
//!
//! The readers of `tiyn_payments::import` turn the bytes into documents as a client would have
//! typed them, with where each field came from; this module resolves each document's payer IBAN
//! to one of the partner's accounts, checks every document exactly as a single draft is checked
//! ([`Banking::check_requisites`], the code behind [`Banking::create_payment`]) and reports every
//! problem of every document at its place in the file. Nothing is stored unless every document
//! is valid, or the client asked for a partial import, in which case the valid ones are.
//!
//! The drafts are stored in one store transaction (`Store::create_payments`), numbered in file
//! order, each with its own `payments.create` audit record; the import as a whole leaves one
//! `payments.import` record with the counts and the file's SHA-256, imported or not.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::Poll;

use sha2::{Digest, Sha256};
use tiyn_core::{AccountId, Iban};
use tiyn_identity::{Context, Principal};
use tiyn_payments::import::one_c::{self, ImportError as OneCError};
use tiyn_payments::import::pain001::{self, Pain001Error, TransactionPosition};
use tiyn_payments::import::{IMPORT_DOCUMENTS_MAX, ImportedDocument, KEY_ECHO_CHARS_MAX};
use tiyn_payments::{FieldError, codes as field_codes, digest_hex, fields};
use tiyn_store::payments::PaymentRecord;

use crate::{Banking, BankingError, codes};

/// The audit action of an import (one per file; each draft also has its `payments.create`).
pub const PAYMENT_IMPORT: &str = "payments.import";

/// The largest file taken, in bytes (5 MiB): the 1C reader's limit, so a file refused for its
/// size is refused the same way whichever format it claims. [`IMPORT_DOCUMENTS_MAX`] orders take
/// about 2 MB in either format; the rest is room for what the readers skip.
pub const IMPORT_FILE_BYTES_MAX: usize = one_c::FILE_BYTES_MAX;

/// Codes of the problems of a file as a whole that this module finds itself (the readers have
/// their own: `not_one_c_exchange`, `malformed_xml`, `too_many_documents`, …).
pub mod problem_codes {
    /// The file is larger than [`super::IMPORT_FILE_BYTES_MAX`].
    pub const FILE_TOO_LARGE: &str = "file_too_large";
    /// `format=auto` and the file is neither a 1C exchange file nor XML.
    pub const UNKNOWN_FORMAT: &str = "unknown_format";
    /// A pain.001 that is not UTF-8 (ISO 20022 messages are).
    pub const INVALID_CHARACTER: &str = "invalid_character";
    /// Code of a refusal for the file as a whole, whatever its problems.
    pub const FILE_REFUSED: &str = "import_file_refused";
}

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportFormat {
    /// A 1C client-bank exchange text file (`1CClientBankExchange`), cp1251, cp866 or UTF-8.
    OneC,
    /// An ISO 20022 pain.001.001.09 credit transfer initiation, UTF-8.
    Pain001,
    /// Decided by the file's first bytes ([`detect_format`]).
    Auto,
}

impl ImportFormat {
    /// The API's names: `1c`, `pain001`, `auto` (case-insensitive).
    pub fn parse(text: &str) -> Option<ImportFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1c" => Some(ImportFormat::OneC),
            "pain001" | "pain.001" => Some(ImportFormat::Pain001),
            "auto" => Some(ImportFormat::Auto),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            ImportFormat::OneC => "1c",
            ImportFormat::Pain001 => "pain001",
            ImportFormat::Auto => "auto",
        }
    }
}

/// The format a file's first bytes announce: a 1C exchange file starts with its ASCII signature
/// `1CClientBankExchange` (the same bytes in cp1251, cp866 and UTF-8), an XML document with `<`;
/// a UTF-8 byte-order mark and leading white space are skipped. `None` for anything else.
pub fn detect_format(file: &[u8]) -> Option<ImportFormat> {
    let body = file.strip_prefix(UTF8_BYTE_ORDER_MARK).unwrap_or(file).trim_ascii_start();
    let signature = one_c::SIGNATURE.as_bytes();
    if body.get(..signature.len()).is_some_and(|start| start.eq_ignore_ascii_case(signature)) {
        Some(ImportFormat::OneC)
    } else if body.starts_with(b"<") {
        Some(ImportFormat::Pain001)
    } else {
        None
    }
}

const UTF8_BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// One problem of an import: of the file as a whole (`document` is `None`) or a field error of
/// one document, placed where the file has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// The document's 1-based position in the file, for a problem of one document.
    pub document: Option<usize>,
    /// pain.001: the transfer's payment information block and position in it.
    pub transaction: Option<TransactionPosition>,
    /// 1-based line of the problem in the file; 0 for the file as a whole (its size, its format).
    pub line: usize,
    /// pain.001: the column, for a problem of the file's XML.
    pub column: Option<usize>,
    /// The format's key (1C, e.g. `ПолучательИИК`) or element path (pain.001, e.g.
    /// `CdtTrfTxInf/CdtrAcct/Id/IBAN`) of the problem.
    pub key: Option<String>,
    /// The API field name (`payee_iban`, `amount.amount`, …), for a field error of a document.
    pub field: Option<&'static str>,
    /// Stable code: the same field codes as a single draft's, or the readers' codes.
    pub code: &'static str,
    /// What is wrong, in English.
    pub detail: String,
}

/// A key or element of a document the reader does not know and did not import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportWarning {
    pub document: usize,
    pub line: usize,
    pub key: String,
}

const IDEMPOTENCY_CONFLICT: &str = tiyn_store::payments::conflicts::IDEMPOTENCY_CONFLICT;

/// An import's request key. Each draft it stores carries the client's key, a unit separator
/// (U+001F, which no client key has: they are visible ASCII) and the document's place in the
/// file, with the digest of the whole request, so the drafts of one import are found together
/// and a different request under the same key is told apart.
struct ImportRequest {
    prefix: String,
    digest: [u8; 32],
}

impl ImportRequest {
    fn new(key: &str, file: &[u8], format: ImportFormat, partial: bool) -> ImportRequest {
        let mut digest = Sha256::new();
        // Each part fixed-length or ended by a NUL, so no two requests give the same bytes.
        digest.update(b"tiyn-payments-import-v1\0");
        digest.update(format.as_str().as_bytes());
        digest.update([0, u8::from(partial)]);
        digest.update(file);
        ImportRequest { prefix: format!("{key}\u{1f}"), digest: digest.finalize().into() }
    }

    fn key_of(&self, ordinal: usize) -> tiyn_store::payments::RequestKey {
        tiyn_store::payments::RequestKey { key: format!("{}{ordinal}", self.prefix), digest: self.digest }
    }
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The format the file was read as; `Auto` when it could not be told.
    pub format: ImportFormat,
    /// How many documents the file holds (0 when it was refused as a whole).
    pub documents: usize,
    /// The drafts stored, in file order. Empty when anything was wrong and the client did not ask
    /// for a partial import.
    pub imported: Vec<PaymentRecord>,
    /// Every problem: of the file, or of each refused document in file order (each document's
    /// sorted by line).
    pub problems: Vec<ImportProblem>,
    /// The file has more problems than [`ImportReport::problems`] lists (a reader stops at its
    /// `ERRORS_REPORTED_MAX`).
    pub problems_truncated: bool,
    /// Keys the readers skipped, for the person importing to see what did not come across.
    pub ignored: Vec<ImportWarning>,
    /// A repeat of a keyed import: `imported` are the drafts the first one stored (nothing was
    /// stored now), and the documents it refused are not listed again.
    pub replayed: bool,
}

impl ImportReport {
    fn refused(format: ImportFormat, problems: Vec<ImportProblem>, truncated: bool) -> ImportReport {
        assert!(!problems.is_empty(), "a refusal says why");
        ImportReport {
            format,
            documents: 0,
            imported: Vec::new(),
            problems,
            problems_truncated: truncated,
            ignored: Vec::new(),
            replayed: false,
        }
    }

    /// Whether the file as a whole was refused (its size, its format, its shape): no document
    /// was even read.
    pub fn file_refused(&self) -> bool {
        self.documents == 0 && !self.problems.is_empty()
    }
}

/// A document read from the file, with where a pain.001 has it.
struct Read {
    document: ImportedDocument,
    transaction: Option<TransactionPosition>,
}

impl Banking {
    /// Imports the payment orders of a 1C exchange file or a pain.001 as drafts of the
    /// principal's partner (R-3.1.1.2), reporting every problem of every document at its line
    /// and key.
    ///
    /// Each document's payer IBAN must be one of the partner's accounts (and one an API key may
    /// use); any other IBAN, another partner's included, is `payer_account` /
    /// `account_not_found`. Every document is then checked as [`Banking::create_payment`] checks
    /// one. When any document has a problem, nothing is stored unless `partial`, in which case
    /// the valid documents are. A file that cannot be read (larger than
    /// [`IMPORT_FILE_BYTES_MAX`], of no known format, malformed, more than
    /// [`IMPORT_DOCUMENTS_MAX`] documents) is refused whole.
    ///
    /// Problems of the file and its documents are the report's, not errors: the error is for a
    /// principal without a partner and for failures of the store. Should storing fail midway,
    /// the drafts already stored are deleted again (best effort) before the error is returned.
    ///
    /// The import runs as a task of its own: a caller that stops waiting (a request timeout, a
    /// client gone) does not cut it off between two drafts, so it still stores all or nothing
    /// and leaves its audit record.
    ///
    /// With a `request_key` (the client's `Idempotency-Key`, or the cabinet form's own), a repeat
    /// of the same request answers the drafts the first one stored, as they are now, and stores
    /// nothing (the documents it refused are not checked again); the same key with another file,
    /// format or `partial` is `Conflict("idempotency_conflict")`. A request that stored nothing
    /// keeps no key: its repeat is checked afresh.
    pub async fn import_payments(
        &self,
        context: &Context,
        principal: &Principal,
        file: &[u8],
        format: ImportFormat,
        partial: bool,
        request_key: Option<&str>,
    ) -> Result<ImportReport, BankingError> {
        let request = request_key.map(|key| ImportRequest::new(key, file, format, partial));
        let (banking, context, principal, file) = (self.clone(), context.clone(), principal.clone(), file.to_vec());
        let task = tokio::spawn(async move {
            banking.import_file(&context, &principal, &file, format, partial, request.as_ref()).await
        });
        task.await.map_err(|error| BankingError::Internal(format!("the import task failed: {error}")))?
    }

    async fn import_file(
        &self,
        context: &Context,
        principal: &Principal,
        file: &[u8],
        format: ImportFormat,
        partial: bool,
        request: Option<&ImportRequest>,
    ) -> Result<ImportReport, BankingError> {
        let partner = Self::partner(principal)?;
        let earlier = match request {
            Some(request) => self.store.payments_by_request_key_prefix(partner, &request.prefix).await?,
            None => Vec::new(),
        };
        let report = if let Some(request) = request.filter(|_| !earlier.is_empty()) {
            if earlier.iter().any(|draft| draft.request_digest != request.digest) {
                return Err(tiyn_store::StoreError::Conflict(IDEMPOTENCY_CONFLICT).into());
            }
            let (format, documents) = match self.read_file(file, format) {
                Ok((format, read)) => (format, read.len()),
                Err(report) => (report.format, earlier.len()),
            };
            let imported = earlier.into_iter().map(|draft| draft.record).collect();
            ImportReport {
                format,
                documents,
                imported,
                problems: Vec::new(),
                problems_truncated: false,
                ignored: Vec::new(),
                replayed: true,
            }
        } else {
            match self.read_file(file, format) {
                Ok((format, read)) => {
                    self.import_documents(context, principal, partner, format, read, partial, request).await?
                }
                Err(report) => report,
            }
        };
        let failure = report.imported.is_empty().then(|| match report.problems.as_slice() {
            [only] if report.file_refused() => only.code,
            _ if report.file_refused() => problem_codes::FILE_REFUSED,
            _ => "validation_failed",
        });
        let file_digest: [u8; 32] = Sha256::digest(file).into();
        let details = format!(
            "format={} bytes={} sha256={} documents={} imported={} not_imported={} partial={partial}{}",
            report.format.as_str(),
            file.len(),
            digest_hex(&file_digest),
            report.documents,
            report.imported.len(),
            report.documents - report.imported.len(),
            if report.replayed { " replayed=true" } else { "" },
        );
        self.identity.record_detailed(context, principal, PAYMENT_IMPORT, None, Some(details), failure).await?;
        Ok(report)
    }

    /// Reads the file into its documents, or the report of its refusal.
    fn read_file(&self, file: &[u8], format: ImportFormat) -> Result<(ImportFormat, Vec<Read>), ImportReport> {
        if file.len() > IMPORT_FILE_BYTES_MAX {
            let detail = format!("the file has {} bytes; at most {IMPORT_FILE_BYTES_MAX} are accepted", file.len());
            return Err(ImportReport::refused(
                format,
                vec![file_problem(problem_codes::FILE_TOO_LARGE, detail)],
                false,
            ));
        }
        let format = match format {
            ImportFormat::Auto => detect_format(file).ok_or_else(|| {
                let detail = "the file is neither a 1C client-bank exchange file (its first line is \
                              1CClientBankExchange) nor a pain.001 XML document; pass format=1c or format=pain001";
                ImportReport::refused(
                    ImportFormat::Auto,
                    vec![file_problem(problem_codes::UNKNOWN_FORMAT, detail)],
                    false,
                )
            })?,
            chosen => chosen,
        };
        let read = match format {
            ImportFormat::OneC => one_c::parse(file)
                .map(|documents| documents.into_iter().map(|document| Read { document, transaction: None }).collect())
                .map_err(|error| one_c_refusal(&error)),
            ImportFormat::Pain001 => read_pain001(file).map(|transfers| {
                transfers
                    .into_iter()
                    .map(|transfer| Read { document: transfer.document, transaction: Some(transfer.position) })
                    .collect()
            }),
            ImportFormat::Auto => unreachable!("detected above"),
        };
        let read: Vec<Read> = read?;
        assert!(!read.is_empty() && read.len() <= IMPORT_DOCUMENTS_MAX, "the readers refuse empty and larger files");
        Ok((format, read))
    }

    /// Resolves, checks and (when allowed) stores the documents of a file that was read.
    #[allow(clippy::too_many_arguments)] // the request as read, and how to store it
    async fn import_documents(
        &self,
        context: &Context,
        principal: &Principal,
        partner: tiyn_core::PartnerId,
        format: ImportFormat,
        read: Vec<Read>,
        partial: bool,
        request: Option<&ImportRequest>,
    ) -> Result<ImportReport, BankingError> {
        // The payer accounts a file may name: the partner's, and of those the ones an API key may
        // use. Any other IBAN reads like one that exists nowhere.
        let accounts: HashMap<Iban, AccountId> = self
            .store
            .partner_accounts(partner)
            .await?
            .into_iter()
            .filter(|account| principal.may_use_account(account.id))
            .filter_map(|account| account.iban.map(|iban| (iban, account.id)))
            .collect();
        let directories = self.directories()?;
        let today = self.today();
        let documents = read.len();
        let mut valid = Vec::with_capacity(documents);
        let mut problems = Vec::new();
        let mut ignored = Vec::new();
        let mut resolved = Vec::with_capacity(documents);
        for (index, Read { mut document, transaction }) in read.into_iter().enumerate() {
            let ordinal = index + 1;
            ignored.extend(document.ignored_keys.iter().map(|key| ImportWarning {
                document: ordinal,
                line: key.line,
                key: key.key.clone(),
            }));
            let payer = resolve_payer(&document, &accounts);
            if let Ok(account) = payer {
                document.resolve_payer(account);
            }
            resolved.push((ordinal, document, transaction, payer));
        }
        for chunk in resolved.chunks(CHECKED_TOGETHER) {
            let checks = chunk
                .iter()
                .map(|(_, document, _, _)| self.check_requisites(principal, &document.raw, &directories, today));
            for ((ordinal, document, transaction, payer), checked) in chunk.iter().zip(in_order(checks).await) {
                let errors = match (checked?, payer) {
                    (Ok(requisites), Ok(_)) => {
                        valid.push((*ordinal, requisites));
                        continue;
                    }
                    (Ok(_), Err(unresolved)) => vec![unresolved.clone()],
                    (Err(errors), Ok(_)) => errors,
                    // Without a resolved payer the draft's check finds none (`required`): the
                    // file's IBAN is what the person importing needs to read about instead.
                    (Err(errors), Err(unresolved)) => std::iter::once(unresolved.clone())
                        .chain(errors.into_iter().filter(|error| error.field != fields::PAYER_ACCOUNT))
                        .collect(),
                };
                let mut located: Vec<ImportProblem> =
                    errors.into_iter().map(|error| locate(document, *ordinal, *transaction, error)).collect();
                // Stable: errors on one line keep the check's order.
                located.sort_by_key(|problem| problem.line);
                problems.extend(located);
            }
        }
        let mut report = ImportReport {
            format,
            documents,
            imported: Vec::new(),
            problems,
            problems_truncated: false,
            ignored,
            replayed: false,
        };
        if !report.problems.is_empty() && !partial {
            return Ok(report);
        }
        // In one store transaction, numbered in file order: all the drafts or none. Their audit
        // records, which need no order, together.
        let now = self.now();
        let drafts = valid
            .iter()
            .map(|(ordinal, requisites)| tiyn_store::payments::NewPayment {
                partner,
                fields: tiyn_payments::RawDocument::from_requisites(requisites),
                amount: requisites.amount(),
                value_date: requisites.value_date(),
                created_by: principal.user_id(),
                created_at: now,
                request_key: request.map(|request| request.key_of(*ordinal)),
            })
            .collect();
        let stored = self.store.create_payments(drafts).await?;
        report.imported = stored.records;
        if stored.replayed {
            // The same import ran at the same time and stored these first: it audited them.
            report.replayed = true;
            return Ok(report);
        }
        for chunk in report.imported.chunks(RECORDED_TOGETHER) {
            let recorded = in_order(chunk.iter().map(|record| self.record_draft(context, principal, record))).await;
            if let Some(error) = recorded.into_iter().find_map(Result::err) {
                self.withdraw(context, principal, &report.imported).await;
                return Err(error);
            }
        }
        assert_eq!(report.imported.len(), valid.len());
        Ok(report)
    }

    /// Deletes the drafts of an import that failed midway, so that it leaves nothing behind.
    /// Best effort: a failure is logged, and the import's own error is what the caller sees.
    async fn withdraw(&self, context: &Context, principal: &Principal, stored: &[PaymentRecord]) {
        for record in stored {
            if let Err(error) = self.delete_payment(context, principal, record.id).await {
                tracing::warn!(payment = %record.id, error = %error, "a draft of a failed import was not deleted");
            }
        }
    }
}

/// How many audit records of an import's drafts are written at once. The store's writer commits
/// the writes waiting together in one transaction (group commit), so a file of a thousand orders
/// takes a few dozen commits for them instead of a thousand.
const RECORDED_TOGETHER: usize = 50;

/// How many documents of an import are checked at once (each check reads its accounts).
const CHECKED_TOGETHER: usize = 50;

/// Runs `futures` concurrently and answers their outputs in their order (what `join_all` does,
/// without a dependency for it).
async fn in_order<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().map(|output| output.expect("every future finished")).collect()
}

/// The partner's account of a document's payer IBAN, or the field error that answers any other.
fn resolve_payer(document: &ImportedDocument, accounts: &HashMap<Iban, AccountId>) -> Result<AccountId, FieldError> {
    let Some(written) = document.payer_iban.as_deref() else {
        return Err(FieldError {
            field: fields::PAYER_ACCOUNT,
            code: field_codes::REQUIRED,
            detail: "the file does not name the payer's IBAN".to_owned(),
        });
    };
    let echo: String = written.chars().take(KEY_ECHO_CHARS_MAX).collect();
    match Iban::parse(written) {
        Ok(iban) => accounts.get(&iban).copied().ok_or_else(|| FieldError {
            field: fields::PAYER_ACCOUNT,
            code: codes::ACCOUNT_NOT_FOUND,
            detail: format!("the payer IBAN {echo} is not one of your accounts at this bank"),
        }),
        Err(error) => Err(FieldError {
            field: fields::PAYER_ACCOUNT,
            code: field_codes::INVALID_IBAN,
            detail: format!("the payer IBAN {echo:?} is not an IBAN: {error}"),
        }),
    }
}

/// Places a document's field error at the key and line the file has the field on (or the
/// document's first line, for a field the file does not have).
fn locate(
    document: &ImportedDocument,
    ordinal: usize,
    transaction: Option<TransactionPosition>,
    error: FieldError,
) -> ImportProblem {
    let source = document.source(error.field);
    ImportProblem {
        document: Some(ordinal),
        transaction,
        line: source.map_or(document.line, |source| source.line),
        column: None,
        key: source.map(|source| source.key.to_owned()),
        field: Some(error.field),
        code: error.code,
        detail: error.detail,
    }
}

fn file_problem(code: &'static str, detail: impl Into<String>) -> ImportProblem {
    ImportProblem {
        document: None,
        transaction: None,
        line: 0,
        column: None,
        key: None,
        field: None,
        code,
        detail: detail.into(),
    }
}

fn one_c_refusal(error: &OneCError) -> ImportReport {
    let problems = error
        .errors()
        .iter()
        .map(|line| ImportProblem {
            line: line.line,
            key: line.key.clone(),
            ..file_problem(line.code(), line.reason.to_string())
        })
        .collect();
    ImportReport::refused(ImportFormat::OneC, problems, error.truncated())
}

/// A pain.001 is UTF-8 (ISO 20022 messages are); its reader takes text.
fn read_pain001(file: &[u8]) -> Result<Vec<pain001::ImportedTransfer>, ImportReport> {
    let body = file.strip_prefix(UTF8_BYTE_ORDER_MARK).unwrap_or(file);
    let text = std::str::from_utf8(body).map_err(|error| {
        let valid = &body[..error.valid_up_to()];
        let line = valid.iter().filter(|byte| **byte == b'\n').count() + 1;
        let column = valid.iter().rev().take_while(|byte| **byte != b'\n').count() + 1;
        let byte = body[error.valid_up_to()];
        let problem = ImportProblem {
            line,
            column: Some(column),
            ..file_problem(
                problem_codes::INVALID_CHARACTER,
                format!("byte 0x{byte:02X} is not UTF-8: a pain.001 must be encoded in UTF-8"),
            )
        };
        ImportReport::refused(ImportFormat::Pain001, vec![problem], false)
    })?;
    pain001::parse(text).map_err(|error| pain001_refusal(&error))
}

fn pain001_refusal(error: &Pain001Error) -> ImportReport {
    let problems = error
        .errors()
        .iter()
        .map(|element| ImportProblem {
            transaction: element.transaction,
            line: element.at.line,
            column: (element.at.line > 0).then_some(element.at.column),
            key: element.element.clone(),
            ..file_problem(element.code(), element.reason.to_string())
        })
        .collect();
    ImportReport::refused(ImportFormat::Pain001, problems, error.truncated())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        assert_eq!(detect_format(b"1CClientBankExchange\r\n"), Some(ImportFormat::OneC));
        assert_eq!(detect_format(b"\xEF\xBB\xBF1cclientbankexchange\n"), Some(ImportFormat::OneC));
        assert_eq!(detect_format(b"\n  <?xml version=\"1.0\"?><Document/>"), Some(ImportFormat::Pain001));
        assert_eq!(detect_format(b"\xEF\xBB\xBF<Document/>"), Some(ImportFormat::Pain001));
        assert_eq!(detect_format(b"{}"), None);
        assert_eq!(detect_format(b""), None);
        assert_eq!(detect_format(b"1CClient"), None);
    }

    #[test]
    fn format_names_read_back() {
        for format in [ImportFormat::OneC, ImportFormat::Pain001, ImportFormat::Auto] {
            assert_eq!(ImportFormat::parse(format.as_str()), Some(format));
        }
        assert_eq!(ImportFormat::parse(" PAIN001 "), Some(ImportFormat::Pain001));
        assert_eq!(ImportFormat::parse("csv"), None);
    }

    #[test]
    fn a_pain001_that_is_not_utf8_is_refused_at_its_byte() {
        let report = match read_pain001(b"<Document>\n  <Nm>\xCA\xEE</Nm>\n</Document>") {
            Ok(_) => panic!("not UTF-8"),
            Err(report) => report,
        };
        assert!(report.file_refused());
        let problem = &report.problems[0];
        assert_eq!((problem.line, problem.column, problem.code), (2, Some(7), problem_codes::INVALID_CHARACTER));
    }
}
