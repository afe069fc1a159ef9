//! Batch import of payment drafts (`POST /payments/import`): a 1C client-bank exchange file or
//! an ISO 20022 pain.001 as the request body (R-3.1.1.2), every problem of every document
//! reported with its line, key and field. The use case is
//! `tiyn_banking::Banking::import_payments`; this module is the HTTP shape only.
//!
//! The answer is `{"imported": [PaymentDto…], "errors": [{"document", "line", "field", "code",
//! "message", …}], …}`: 201 when a draft was stored (a partial import may also list the refused
//! documents' errors), otherwise a problem document (422, or 413 for a file over 5 MiB) that
//! carries the same members, with `imported` empty.

use std::pin::Pin;

use axum::body::{Body, HttpBody};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tiyn_banking::{IMPORT_FILE_BYTES_MAX, ImportFormat, ImportProblem, ImportReport, ImportWarning, import_codes};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::authz::{Authenticated, RequestContext};
use crate::error::{ApiError, PROBLEM_CONTENT_TYPE, ProblemDto};
use crate::extract::ApiQuery;
use crate::lang::Lang;
use crate::payments::PaymentDto;

/// Code of an answer in which some documents have errors and nothing was imported.
const VALIDATION_FAILED: &str = "validation_failed";
/// Code of an answer in which the file itself was refused with several problems.
const FILE_REFUSED: &str = import_codes::FILE_REFUSED;
/// Code of a file over [`IMPORT_FILE_BYTES_MAX`].
const FILE_TOO_LARGE: &str = import_codes::FILE_TOO_LARGE;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `1c` (a 1C client-bank exchange text file: cp1251, cp866 or UTF-8, as its `Кодировка`
    /// says), `pain001` (ISO 20022 pain.001.001.09, UTF-8) or `auto` (the default: told by the
    /// file's first bytes, `1CClientBankExchange` or `<`).
    pub format: Option<String>,
    /// `false` (the default): when any document has an error nothing is imported. `true`: the
    /// valid documents are imported and the others reported.
    pub partial: Option<bool>,
}

/// Where a transfer of a pain.001 is: its `PmtInf` block and its `CdtTrfTxInf` in the block,
/// both 1-based.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportTransactionDto {
    pub payment_information: usize,
    pub transaction: usize,
}

/// One problem of an import file: of the file as a whole (`document` is null) or a field error
/// of one document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportErrorDto {
    /// The document's 1-based position in the file; null for a problem of the whole file.
    pub document: Option<usize>,
    /// pain.001: the transfer the problem belongs to.
    pub transaction: Option<ImportTransactionDto>,
    /// 1-based line in the file; 0 for the file as a whole (its size, its format).
    pub line: usize,
    /// pain.001: the column of an XML problem.
    pub column: Option<usize>,
    /// The file's own name of the field: the 1C key (`ПолучательИИК`) or the pain.001 element
    /// path (`CdtTrfTxInf/CdtrAcct/Id/IBAN`).
    pub key: Option<String>,
    /// The payment document field, as `POST /payments` names it (`payee_iban`,
    /// `amount.amount`, …); null for a problem of the whole file.
    pub field: Option<String>,
    /// Stable: the field codes of `POST /payments` (`invalid_iban`, `account_not_found`, …) or
    /// the file's (`not_one_c_exchange`, `malformed_xml`, `unknown_format`, `file_too_large`, …).
    pub code: String,
    /// What is wrong, in the request's language.
    pub message: String,
    /// The specific reason, in English.
    pub detail: String,
}

/// A key or element of a document that was not imported, for the person importing to see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportIgnoredDto {
    pub document: usize,
    pub line: usize,
    pub key: String,
}

/// What an import stored (201).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReportDto {
    /// `1c` or `pain001`: how the file was read.
    pub format: String,
    /// How many documents the file holds.
    pub documents: usize,
    /// The drafts created, in file order.
    pub imported: Vec<PaymentDto>,
    /// The errors of the documents not imported (a partial import), in file order.
    pub errors: Vec<ImportErrorDto>,
    /// Keys the reader skipped.
    pub ignored: Vec<ImportIgnoredDto>,
    /// A repeat with the first import's `Idempotency-Key`: `imported` are the drafts it stored
    /// (nothing was stored now); the documents it refused are not listed again.
    pub replayed: bool,
}

/// An import that stored nothing (422, 413): an RFC 9457 problem document whose `errors` place
/// every problem in the file; `imported` is empty.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportRefusalDto {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// `validation_failed` (documents have errors), `import_file_refused` (the file could not be
    /// read), or the one problem's own code when there is only one.
    pub code: String,
    /// `1c`, `pain001`, or `auto` when the format could not be told.
    pub format: String,
    /// How many documents the file holds (0 when the file was refused whole).
    pub documents: usize,
    /// Always empty: nothing was imported.
    pub imported: Vec<PaymentDto>,
    pub errors: Vec<ImportErrorDto>,
    /// The file has more problems than `errors` lists.
    pub errors_truncated: bool,
    pub ignored: Vec<ImportIgnoredDto>,
}

/// Imports the payment orders of a file as drafts (R-3.1.1.2).
///
/// The body is the file itself: a 1C client-bank exchange file (`text/plain` or `application/octet-stream`) or an ISO 20022
/// pain.001.001.09 (`application/xml`); the format is `?format=` (by default told from the
/// file). At most 1,000 documents and 5 MiB (this route's own limit, above the general body
/// limit).
///
/// Every document is checked like `POST /payments` (its payer IBAN must be one of the
/// partner's accounts) and every problem is reported with its document, line, key and field
/// . When any document has an error nothing is imported, unless `partial=true`.
#[utoipa::path(post, path = "/payments/import", tag = "payments",
    params(ImportQuery, ("Idempotency-Key" = Option<String>, Header,
        description = "a repeat with the same file answers the first import's drafts and stores nothing")),
    request_body(description = "The file, as its bytes", content(
        (String = "text/plain"), (String = "application/octet-stream"), (String = "application/xml"))),
    responses(
        (status = 201, description = "Drafts created (with the errors of the documents left out by a partial import)", body = ImportReportDto),
        (status = 413, description = "The file is larger than 5 MiB (`file_too_large`)", body = ImportRefusalDto, content_type = "application/problem+json"),
        (status = 422, description = "Nothing imported: every problem of the file or of its documents", body = ImportRefusalDto, content_type = "application/problem+json"),
        (status = 403, description = "The access level may not create payments", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn import_payments(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or(Lang::DEFAULT);
    let format = match query.format.as_deref().filter(|text| !text.trim().is_empty()) {
        None => ImportFormat::Auto,
        Some(text) => ImportFormat::parse(text)
            .ok_or_else(|| ApiError::invalid("format", "invalid_format", "format is 1c, pain001 or auto"))?,
    };
    let file = match read_body(&headers, body).await? {
        Some(file) => file,
        None => {
            let problem = ImportProblem {
                document: None,
                transaction: None,
                line: 0,
                column: None,
                key: None,
                field: None,
                code: FILE_TOO_LARGE,
                detail: format!("the file is larger than {IMPORT_FILE_BYTES_MAX} bytes (5 MiB)"),
            };
            let report = ImportReport {
                format,
                documents: 0,
                imported: Vec::new(),
                problems: vec![problem],
                problems_truncated: false,
                ignored: Vec::new(),
                replayed: false,
            };
            return Ok(refusal(&report, lang));
        }
    };
    let key = crate::payments::idempotency_key(&headers)?;
    let partial = query.partial.unwrap_or(false);
    let report = state.banking.import_payments(&context, &principal, &file, format, partial, key.as_deref()).await?;
    if report.imported.is_empty() && !report.problems.is_empty() {
        return Ok(refusal(&report, lang));
    }
    let dto = ImportReportDto {
        format: report.format.as_str().to_owned(),
        documents: report.documents,
        imported: report.imported.iter().map(PaymentDto::from).collect(),
        errors: report.problems.iter().map(|problem| error_dto(problem, lang)).collect(),
        ignored: report.ignored.iter().map(ignored_dto).collect(),
        replayed: report.replayed,
    };
    Ok((StatusCode::CREATED, axum::Json(dto)).into_response())
}

/// The body, or `None` when it is larger than [`IMPORT_FILE_BYTES_MAX`] (said by its
/// `Content-Length` or found while reading). This route reads its body itself: the general
/// body limit is for JSON requests, far smaller than a file of a thousand orders.
async fn read_body(headers: &HeaderMap, mut body: Body) -> Result<Option<Vec<u8>>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if declared.is_some_and(|length| length > IMPORT_FILE_BYTES_MAX as u64) {
        return Ok(None);
    }
    let capacity = declared.map_or(0, |length| length as usize);
    let mut file = Vec::with_capacity(capacity);
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|error| {
            ApiError::invalid("body", "invalid_body", format!("the request body could not be read: {error}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if file.len() + data.len() > IMPORT_FILE_BYTES_MAX {
                return Ok(None);
            }
            file.extend_from_slice(&data);
        }
    }
    Ok(Some(file))
}

/// The problem document of an import that stored nothing.
fn refusal(report: &ImportReport, lang: Lang) -> Response {
    let too_large = matches!(report.problems.as_slice(), [only] if only.code == FILE_TOO_LARGE);
    let file_refused = report.file_refused();
    let (status, code) = match report.problems.as_slice() {
        _ if too_large => (StatusCode::PAYLOAD_TOO_LARGE, FILE_TOO_LARGE),
        [only] => (StatusCode::UNPROCESSABLE_ENTITY, only.code),
        _ if file_refused => (StatusCode::UNPROCESSABLE_ENTITY, FILE_REFUSED),
        _ => (StatusCode::UNPROCESSABLE_ENTITY, VALIDATION_FAILED),
    };
    let detail = match report.problems.as_slice() {
        [only] => only.detail.clone(),
        problems if file_refused => format!("the file was refused: {} problems", problems.len()),
        problems => {
            let refused =
                problems.iter().filter_map(|problem| problem.document).collect::<std::collections::BTreeSet<_>>();
            format!(
                "{} of {} documents have errors; nothing was imported (partial=true imports the valid ones)",
                refused.len(),
                report.documents
            )
        }
    };
    let title = if too_large {
        ApiError::PayloadTooLarge.problem(lang).title
    } else {
        ApiError::invalid("file", code, "").problem(lang).title
    };
    let dto = ImportRefusalDto {
        problem_type: format!("urn:tiyn:problem:{code}"),
        title,
        status: status.as_u16(),
        detail,
        code: code.to_owned(),
        format: report.format.as_str().to_owned(),
        documents: report.documents,
        imported: Vec::new(),
        errors: report.problems.iter().map(|problem| error_dto(problem, lang)).collect(),
        errors_truncated: report.problems_truncated,
        ignored: report.ignored.iter().map(ignored_dto).collect(),
    };
    let mut response = (status, axum::Json(dto)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    response
}

fn error_dto(problem: &ImportProblem, lang: Lang) -> ImportErrorDto {
    ImportErrorDto {
        document: problem.document,
        transaction: problem.transaction.map(|position| ImportTransactionDto {
            payment_information: position.payment_information,
            transaction: position.transaction,
        }),
        line: problem.line,
        column: problem.column,
        key: problem.key.clone(),
        field: problem.field.map(str::to_owned),
        code: problem.code.to_owned(),
        message: message(problem.code, lang),
        detail: problem.detail.clone(),
    }
}

/// What a person reads for one problem of an import, in `lang` (the cabinet's import page).
pub fn problem_message(problem: &ImportProblem, lang: Lang) -> String {
    message(problem.code, lang)
}

fn ignored_dto(warning: &ImportWarning) -> ImportIgnoredDto {
    ImportIgnoredDto { document: warning.document, line: warning.line, key: warning.key.clone() }
}

/// The message people read for a code, in `lang`: the one a field error of `POST /payments`
/// shows.
fn message(code: &'static str, lang: Lang) -> String {
    let problem = ApiError::invalid("file", code, "").problem(lang);
    problem.errors.into_iter().next().map(|error| error.message).unwrap_or(problem.title)
}
