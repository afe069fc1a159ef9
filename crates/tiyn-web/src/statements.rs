//! The account statement in the cabinet (issue 6; R-3.1.2.1, R-3.1.2.3, R-3.1.2.6, R-3.1.2.7):
//! `/accounts/{id}/statement` (a period picker, the header, the operations with each day's
//! turnovers and closing balance, the period's totals), its print view
//! `/accounts/{id}/statement/print`, and the download route `/accounts/{id}/statement/export`.
//!
//! `tiyn_banking::statements` decides whose account it is, whether the user may see (and export)
//! statements, and records each read; the lines are walked with the JSON API's own walk
//! (`tiyn_api::statements::walk_statement`), and the files come from the API's own code
//! (`tiyn_api::statements::statement_response`), so the cabinet and the API cannot disagree.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::Deserialize;
use tiyn_api::authz::{LOGIN_PAGE, RequestContext};
use tiyn_api::statements::{
    Direction, LineKind, STATEMENT_JSON_OPERATIONS_MAX, StatementItem, StatementQuery, statement_response,
    walk_statement,
};
use tiyn_api::{ApiError, Lang};
use tiyn_banking::statements::{AccountStatement, StatementUse};
use tiyn_core::AccountId;
use tiyn_core::access::Permission;
use tiyn_store::statements::StatementLine;

use crate::WebState;
use crate::format;
use crate::forms::FormErrors;
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{PageMeta, Viewer, failure, message, render};

/// The most operations the page shows: the JSON API's bound, a page a browser still lays out.
/// A longer period is shown as its header and totals with a notice to narrow it or export it.
pub const STATEMENT_PAGE_OPERATIONS_MAX: u64 = STATEMENT_JSON_OPERATIONS_MAX;

/// The export buttons, in the order shown: the API's `format` values and their labels (format
/// names, the same in every language). The API has no CSV delimiter option, so there is one CSV.
pub const EXPORT_FORMATS: &[(&str, &str)] =
    &[("csv", "CSV"), ("xlsx", "XLSX"), ("pdf", "PDF"), ("mt940", "MT940"), ("camt053", "camt.053"), ("1c", "1C")];

/// The buttons: every format, plus CSV separated by `;` (Excel in Russian and Kazakh locales)
/// and 1C in Windows-1251 (1C's own default): the button's key, the format, its label, the
/// extra query.
const EXPORT_BUTTONS: &[(&str, &str, &str, &str)] = &[
    ("csv", "csv", "CSV", ""),
    ("csv-semicolon", "csv", "CSV (;)", "&delimiter=semicolon"),
    ("xlsx", "xlsx", "XLSX", ""),
    ("pdf", "pdf", "PDF", ""),
    ("mt940", "mt940", "MT940", ""),
    ("camt053", "camt053", "camt.053", ""),
    ("1c", "1c", "1C", ""),
    ("1c-windows-1251", "1c", "1C (Windows-1251)", "&encoding=windows-1251"),
];

/// The date fields of the period picker, as the refusals name them.
const PERIOD_FIELDS: &[&str] = &["from", "to"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatementParams {
    pub from: String,
    pub to: String,
    pub format: String,
    /// CSV: `comma` or `semicolon` (empty: comma).
    pub delimiter: String,
    /// 1C: `utf-8` or `windows-1251` (empty: UTF-8).
    pub encoding: String,
}

/// One row of the statement's table: an operation, or a day's turnovers after its operations.
pub struct StatementRow {
    /// `line` or `day`.
    pub row_kind: &'static str,
    pub entry: String,
    /// The line's kind (`payment`, `commission`, `reversal`, …); empty for a day.
    pub kind: String,
    /// The mark a commission or a reversal carries.
    pub mark: Option<&'static str>,
    pub date: String,
    pub value_date: String,
    pub number: String,
    pub counterparty: String,
    /// BIN/IIN, IBAN and BIC of the counterparty, those known.
    pub requisites: Vec<String>,
    pub knp: String,
    pub purpose: String,
    pub debit: String,
    pub credit: String,
    /// A day's label (turnovers and closing balance).
    pub day_label: String,
}

/// A statement as the page and the print view show it.
pub struct StatementView {
    pub iban: String,
    pub currency: &'static str,
    pub holder: String,
    pub holder_id: String,
    pub bank: String,
    pub bic: String,
    pub created: String,
    pub period: String,
    pub opening: String,
    pub closing: String,
    pub debit: String,
    pub credit: String,
    pub operations: u64,
    pub rows: Vec<StatementRow>,
    /// The notice of a period with more operations than the page shows.
    pub too_many: Option<String>,
}

/// A quick period link.
pub struct Preset {
    pub label: &'static str,
    pub href: String,
}

/// An export button.
pub struct ExportLink {
    pub format: &'static str,
    pub label: &'static str,
    pub href: String,
}

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    t: &'static Texts,
    page: PageMeta,
    account_id: String,
    account_name: String,
    from: String,
    to: String,
    errors: FormErrors,
    presets: Vec<Preset>,
    exports: Vec<ExportLink>,
    print_href: String,
    statement: Option<StatementView>,
}

#[derive(Template)]
#[template(path = "statement_print.html")]
struct StatementPrint {
    t: &'static Texts,
    lang: &'static str,
    account_name: String,
    back_href: String,
    errors: FormErrors,
    statement: Option<StatementView>,
}

/// What both views need, built once.
struct Built {
    account_id: AccountId,
    account_name: String,
    from: String,
    to: String,
    errors: FormErrors,
    statement: Option<StatementView>,
    today: Date,
}

/// `GET /accounts/{id}/statement?from=&to=`: the statement page (R-3.1.2.1, R-3.1.2.3).
pub async fn show(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Query(params): Query<StatementParams>,
) -> Response {
    let built = match build(&state, lang.lang, &viewer, &context, &id, &params).await {
        Ok(Some(built)) => built,
        Ok(None) => return Redirect::to(LOGIN_PAGE).into_response(),
        Err(error) => return failure(&state, lang, &viewer, &error),
    };
    let t = texts(lang.lang);
    let id = built.account_id;
    let base = format!("/accounts/{id}/statement");
    let exportable = viewer.principal.as_ref().is_some_and(|principal| principal.allows(Permission::ExportStatements));
    let exports = match (&built.statement, exportable) {
        (Some(_), true) => EXPORT_BUTTONS
            .iter()
            .map(|&(key, format, label, extra)| ExportLink {
                format: key,
                label,
                href: format!(
                    "{base}/export?from={}&to={}&format={format}&lang={}{extra}",
                    built.from,
                    built.to,
                    lang.lang.code()
                ),
            })
            .collect(),
        _ => Vec::new(),
    };
    let presets = presets(built.today, &base, t);
    let status = if built.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = StatementPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "accounts", &base, &viewer),
        account_id: id.to_string(),
        account_name: built.account_name,
        print_href: format!("{base}/print?from={}&to={}", query_value(&built.from), query_value(&built.to)),
        from: built.from,
        to: built.to,
        errors: built.errors,
        presets,
        exports,
        statement: built.statement,
    };
    render(&page, status, lang)
}

/// `GET /accounts/{id}/statement/print?from=&to=`: the same statement without the cabinet's
/// chrome, for paper (R-3.1.2.7), with the notice the PDF prints beside its stamp.
pub async fn print(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Query(params): Query<StatementParams>,
) -> Response {
    let built = match build(&state, lang.lang, &viewer, &context, &id, &params).await {
        Ok(Some(built)) => built,
        Ok(None) => return Redirect::to(LOGIN_PAGE).into_response(),
        Err(error) => return failure(&state, lang, &viewer, &error),
    };
    let status = if built.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = StatementPrint {
        t: texts(lang.lang),
        lang: lang.lang.code(),
        back_href: format!(
            "/accounts/{}/statement?from={}&to={}",
            built.account_id,
            query_value(&built.from),
            query_value(&built.to)
        ),
        account_name: built.account_name,
        errors: built.errors,
        statement: built.statement,
    };
    render(&page, status, lang)
}

/// `GET /accounts/{id}/statement/export?from=&to=&format=`: the file, streamed by the API's own
/// code as an attachment (R-3.1.2.6). The route needs the export permission, and the use case
/// asks it again; a refused period goes back to the page, which shows why.
pub async fn export(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Query(params): Query<StatementParams>,
) -> Response {
    let Some(principal) = viewer.principal.clone() else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let format = params.format.trim().to_ascii_lowercase();
    let Some(id) = account_id(&id) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "account" });
    };
    if !EXPORT_FORMATS.iter().any(|(known, _)| *known == format) {
        // JSON is the API's; the cabinet offers files only.
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "format" });
    }
    let query = StatementQuery {
        from: Some(params.from.clone()),
        to: Some(params.to.clone()),
        format: Some(format),
        lang: Some(lang.lang.code().to_owned()),
        delimiter: Some(params.delimiter.clone()),
        encoding: Some(params.encoding.clone()),
    };
    match statement_response(&state.banking, &context, &principal, id, &query).await {
        Ok(response) => response,
        Err(ApiError::Invalid(fields)) if fields.iter().any(|field| field.code == "statement_too_long_for_pdf") => {
            let t = texts(lang.lang);
            message(
                &state,
                lang,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                t.statement_title,
                t.statement_pdf_too_long,
                None,
            )
        }
        Err(ApiError::Invalid(_)) => Redirect::to(&format!(
            "/accounts/{id}/statement?from={}&to={}",
            query_value(&params.from),
            query_value(&params.to)
        ))
        .into_response(),
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}

fn account_id(text: &str) -> Option<AccountId> {
    text.parse::<i64>().ok().map(AccountId::new)
}

/// A date field's text for a query string: a date has only digits and `-`; anything else typed is
/// dropped rather than escaped (the page then asks for a date).
fn query_value(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect()
}

/// The statement for the page or the print view; `None` when nobody is signed in.
async fn build(
    state: &WebState,
    lang: Lang,
    viewer: &Viewer,
    context: &tiyn_identity::Context,
    id: &str,
    params: &StatementParams,
) -> Result<Option<Built>, ApiError> {
    let Some(principal) = viewer.principal.as_ref() else {
        return Ok(None);
    };
    let t = texts(lang);
    // The account first: another partner's id answers like an unknown one, whatever the dates.
    let account_id = account_id(id).ok_or(ApiError::NotFound { what: "account" })?;
    let account = state.banking.statement_account(principal, account_id).await?;
    let account_name = account.account().name.clone();
    let today = state.banking.now().to_zoned(format::almaty()).date();
    let (from, to) = if params.from.trim().is_empty() && params.to.trim().is_empty() {
        (today.first_of_month().to_string(), today.to_string())
    } else {
        (params.from.trim().to_owned(), params.to.trim().to_owned())
    };
    let query = StatementQuery { from: Some(from.clone()), to: Some(to.clone()), ..StatementQuery::default() };
    let period = match query.period() {
        Ok(period) => period,
        Err(ApiError::Invalid(fields)) => {
            let code = fields.first().map(|field| field.code.to_owned()).unwrap_or_default();
            let fields = fields
                .iter()
                .filter(|field| PERIOD_FIELDS.contains(&field.field.as_str()))
                .map(|field| (field.field.clone(), period_message(field.code, t).to_owned()))
                .collect();
            let errors = FormErrors { summary: None, fields, code };
            return Ok(Some(Built { account_id, account_name, from, to, errors, statement: None, today }));
        }
        Err(other) => return Err(other),
    };
    let prepared = state.banking.statement(principal, &account, period).await?;
    let operations = prepared.operations;
    let statement = prepared.open(&state.banking, context, principal, StatementUse::View).await?;
    let view = view(&statement, lang, t).await?;
    debug_assert_eq!(view.operations, operations);
    Ok(Some(Built { account_id, account_name, from, to, errors: FormErrors::none(), statement: Some(view), today }))
}

/// A refused period in the page's language, by the API's stable code.
fn period_message(code: &str, t: &'static Texts) -> &'static str {
    match code {
        "period_too_long" => t.statement_period_too_long,
        "period_reversed" => t.statement_period_reversed,
        _ => t.statement_date_invalid,
    }
}

/// The quick periods: this month to today, the whole last month, this year to today.
fn presets(today: Date, base: &str, t: &'static Texts) -> Vec<Preset> {
    let first = today.first_of_month();
    let last_month_end = first.yesterday().unwrap_or(first);
    let last_month_start = last_month_end.first_of_month();
    let year_start = first.saturating_sub(((i32::from(today.month())) - 1).months()).first_of_month();
    [
        (t.statement_this_month, first, today),
        (t.statement_last_month, last_month_start, last_month_end),
        (t.statement_this_year, year_start, today),
    ]
    .into_iter()
    .map(|(label, from, to)| Preset { label, href: format!("{base}?from={from}&to={to}") })
    .collect()
}

/// The opened statement as rows: its lines, each day with operations closed by its turnovers
/// (days without operations are not shown, as in the PDF). Past the page's bound only the header
/// and the totals are shown.
async fn view(statement: &AccountStatement, lang: Lang, t: &'static Texts) -> Result<StatementView, ApiError> {
    let header = &statement.header;
    let mut rows = Vec::new();
    let too_many = (statement.operations > STATEMENT_PAGE_OPERATIONS_MAX).then(|| {
        fill(
            t.statement_too_many,
            &[("count", &statement.operations.to_string()), ("max", &STATEMENT_PAGE_OPERATIONS_MAX.to_string())],
        )
    });
    if too_many.is_none() {
        // The day of the lines not yet closed: a day comes after its lines, and the days without
        // lines between come too (skipped here).
        let mut open_day: Option<Date> = None;
        walk_statement(statement, |item| {
            match item {
                StatementItem::Line(line) => {
                    debug_assert!(open_day.is_none_or(|day| day == line.booking_date), "a day's lines together");
                    open_day = Some(line.booking_date);
                    rows.push(line_row(line, lang, t));
                }
                StatementItem::Day(day) => {
                    if open_day == Some(day.date) {
                        open_day = None;
                        let label = fill(
                            t.statement_day_total,
                            &[("date", &format::date(day.date, lang)), ("closing", &format::money(day.closing, lang))],
                        );
                        rows.push(StatementRow {
                            row_kind: "day",
                            entry: String::new(),
                            kind: String::new(),
                            mark: None,
                            date: day.date.to_string(),
                            value_date: String::new(),
                            number: String::new(),
                            counterparty: String::new(),
                            requisites: Vec::new(),
                            knp: String::new(),
                            purpose: String::new(),
                            debit: format::money(day.turnover.debit, lang),
                            credit: format::money(day.turnover.credit, lang),
                            day_label: label,
                        });
                    }
                }
            }
            Ok(())
        })
        .await?;
        debug_assert!(open_day.is_none(), "every line's day is closed");
    }
    Ok(StatementView {
        iban: header.account_iban.grouped(),
        currency: header.currency.code(),
        holder: header.holder_name.clone(),
        holder_id: header.holder_id.to_string(),
        bank: header.bank_name.clone(),
        bic: header.bank_bic.as_str().to_owned(),
        created: format::date_time(header.created_at, lang),
        period: format!("{} — {}", format::date(header.period.from(), lang), format::date(header.period.to(), lang)),
        opening: format::money(header.opening, lang),
        closing: format::money(header.closing, lang),
        debit: format::money(header.turnover.debit, lang),
        credit: format::money(header.turnover.credit, lang),
        operations: statement.operations,
        rows,
        too_many,
    })
}

fn line_row(line: &StatementLine, lang: Lang, t: &'static Texts) -> StatementRow {
    let amount = format::money(line.amount, lang);
    let (debit, credit) = match line.direction {
        Direction::Debit => (amount, String::new()),
        Direction::Credit => (String::new(), amount),
    };
    let mark = match line.kind {
        LineKind::Commission => Some(t.statement_commission),
        LineKind::Reversal => Some(t.statement_reversal),
        _ => None,
    };
    let counterparty = &line.counterparty;
    let requisites = [
        counterparty.taxpayer_id.map(|id| id.to_string()),
        counterparty.account.as_ref().map(|account| account.as_str().to_owned()),
        counterparty.bic.as_ref().map(|bic| bic.as_str().to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    StatementRow {
        row_kind: "line",
        entry: line.entry.to_string(),
        kind: line.kind.as_str().to_owned(),
        mark,
        date: format::date(line.booking_date, lang),
        value_date: format::date(line.value_date, lang),
        number: line.document_number.clone().unwrap_or_default(),
        counterparty: counterparty.name.clone(),
        requisites,
        knp: line.knp.map(|knp| knp.to_string()).unwrap_or_default(),
        purpose: line.purpose.clone(),
        debit,
        credit,
        day_label: String::new(),
    }
}
