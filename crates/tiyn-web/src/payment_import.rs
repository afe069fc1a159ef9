//! `/payments/import`: payment orders from a file (R-3.1.1.2) — a 1C client-bank exchange file
//! or an ISO 20022 pain.001, uploaded from a form without script, become drafts. The page shows
//! what was created, every problem with its document, line and the file's own key, and
//! the keys that did not come across.
//!
//! The use case is `tiyn_banking::Banking::import_payments`, the same as the API's. Each form
//! carries a fresh random key, sent as the import's request key: submitting the same form twice
//! (a double click, a reload) answers the drafts of the first submission and stores nothing.

use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use tiyn_api::authz::RequestContext;
use tiyn_api::{ApiError, Lang};
use tiyn_banking::{IMPORT_FILE_BYTES_MAX, ImportFormat, ImportReport};
use tiyn_core::access::Permission;
use tiyn_store::payments::conflicts::IDEMPOTENCY_CONFLICT;

use crate::WebState;
use crate::format;
use crate::forms::FormErrors;
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{PageMeta, Viewer, failure, forbidden, render};
use crate::payments::{status_name, to_login};

pub const IMPORT_PAGE: &str = "/payments/import";

/// Room in an upload beyond the file: the form's other fields and the parts' headers.
const FORM_BYTES_SLACK: usize = 64 * 1024;

/// A form key: 32 hexadecimal characters of the CSPRNG. Only a key of this shape is used.
const FORM_KEY_CHARS: usize = 32;

/// A draft the import created.
pub struct DraftRow {
    pub id: String,
    pub number: String,
    pub value_date: String,
    pub payee: String,
    pub amount: String,
    pub status: &'static str,
}

/// One problem of the file or of a document.
pub struct ProblemRow {
    /// Empty for a problem of the whole file.
    pub document: String,
    /// Empty for a problem without a line.
    pub line: String,
    pub key: String,
    pub message: String,
}

/// A key of the file that is not a field of a draft.
pub struct IgnoredRow {
    pub document: usize,
    pub line: usize,
    pub key: String,
}

/// What an upload did.
pub struct ImportResult {
    pub summary: String,
    /// Drafts were created (or, for a repeated form, had been).
    pub imported: bool,
    pub drafts: Vec<DraftRow>,
    pub problems: Vec<ProblemRow>,
    pub ignored: Vec<IgnoredRow>,
}

#[derive(Template)]
#[template(path = "payment_import.html")]
struct ImportPage {
    t: &'static Texts,
    page: PageMeta,
    /// The next submission's key.
    form_key: String,
    format: &'static str,
    partial: bool,
    errors: FormErrors,
    result: Option<ImportResult>,
}

fn new_form_key() -> String {
    let bytes: [u8; FORM_KEY_CHARS / 2] = rand::random();
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn form_key(text: &str) -> Option<&str> {
    (text.len() == FORM_KEY_CHARS && text.bytes().all(|byte| byte.is_ascii_hexdigit())).then_some(text)
}

fn page(
    lang: PageLang,
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    (format, partial): (ImportFormat, bool),
    errors: FormErrors,
    result: Option<ImportResult>,
) -> Response {
    let page = ImportPage {
        t: texts(lang.lang),
        page: PageMeta::new(lang.lang, state.demo, "payments", IMPORT_PAGE, viewer),
        form_key: new_form_key(),
        format: format.as_str(),
        partial,
        errors,
        result,
    };
    render(&page, status, lang)
}

/// `GET /payments/import`: the upload form.
pub async fn form(State(state): State<WebState>, lang: PageLang, viewer: Viewer) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    if !principal.allows(Permission::CreatePayments) {
        return forbidden(lang, state.demo, &viewer);
    }
    page(lang, &state, &viewer, StatusCode::OK, (ImportFormat::Auto, false), FormErrors::none(), None)
}

/// `POST /payments/import`: the uploaded file (multipart; the middleware has checked its
/// `_csrf` part) imported as drafts.
pub async fn upload(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let t = texts(lang.lang);
    let Ok(body) = axum::body::to_bytes(body, IMPORT_FILE_BYTES_MAX + FORM_BYTES_SLACK).await else {
        let errors = FormErrors::on("file", "file_too_large", t.import_file_too_large);
        return page(lang, &state, &viewer, StatusCode::PAYLOAD_TOO_LARGE, (ImportFormat::Auto, false), errors, None);
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let parts = match tiyn_api::multipart::boundary(content_type) {
        Some(boundary) => tiyn_api::multipart::parts(body, &boundary).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let text = |name: &str| tiyn_api::multipart::text_field(&parts, name).unwrap_or_default();
    let format = ImportFormat::parse(text("format").trim()).unwrap_or(ImportFormat::Auto);
    let partial = matches!(text("partial"), "on" | "true");
    let submitted_key = text("form_key");
    let file = parts.iter().find(|part| part.name == "file").map(|part| &part.data[..]).filter(|data| !data.is_empty());
    let Some(file) = file else {
        let errors = FormErrors::on("file", "required", t.import_file_required);
        return page(lang, &state, &viewer, StatusCode::UNPROCESSABLE_ENTITY, (format, partial), errors, None);
    };
    let imported =
        state.banking.import_payments(&context, principal, file, format, partial, form_key(submitted_key)).await;
    match imported {
        Ok(report) => {
            let status = if report.imported.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let result = result(&report, t, lang.lang);
            page(lang, &state, &viewer, status, (format, partial), FormErrors::none(), Some(result))
        }
        Err(error) => {
            let error = ApiError::from(error);
            if error.code() == IDEMPOTENCY_CONFLICT {
                let errors = FormErrors::on("file", IDEMPOTENCY_CONFLICT, t.import_form_used);
                return page(lang, &state, &viewer, StatusCode::CONFLICT, (format, partial), errors, None);
            }
            failure(&state, lang, &viewer, &error)
        }
    }
}

fn result(report: &ImportReport, t: &'static Texts, lang: Lang) -> ImportResult {
    let summary = if report.imported.is_empty() {
        t.import_nothing.to_owned()
    } else if report.replayed {
        fill(t.import_replayed, &[("imported", &report.imported.len().to_string())])
    } else {
        let (imported, documents) = (report.imported.len().to_string(), report.documents.to_string());
        fill(t.import_done, &[("imported", &imported), ("documents", &documents)])
    };
    let drafts = report
        .imported
        .iter()
        .map(|record| DraftRow {
            id: record.id.to_string(),
            number: record.number.get().to_string(),
            value_date: format::date(record.value_date, lang),
            payee: record.fields.payee_name.clone().unwrap_or_default(),
            amount: format::money(record.amount.money(), lang),
            status: status_name(record.status, t),
        })
        .collect();
    let problems = report
        .problems
        .iter()
        .map(|problem| ProblemRow {
            document: problem.document.map(|document| document.to_string()).unwrap_or_default(),
            line: Some(problem.line).filter(|line| *line > 0).map(|line| line.to_string()).unwrap_or_default(),
            key: problem.key.clone().unwrap_or_default(),
            message: tiyn_api::import::problem_message(problem, lang),
        })
        .collect();
    let ignored = report
        .ignored
        .iter()
        .map(|warning| IgnoredRow { document: warning.document, line: warning.line, key: warning.key.clone() })
        .collect();
    ImportResult { summary, imported: !report.imported.is_empty(), drafts, problems, ignored }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_keys_are_fresh_and_only_their_shape_is_taken() {
        let (one, two) = (new_form_key(), new_form_key());
        assert_ne!(one, two);
        assert_eq!(form_key(&one), Some(one.as_str()));
        assert_eq!(form_key("short"), None);
        assert_eq!(form_key(&"g".repeat(FORM_KEY_CHARS)), None, "hexadecimal only");
    }
}
