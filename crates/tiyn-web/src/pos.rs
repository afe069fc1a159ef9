//! POS terminals and planned credits in the cabinet (issue 6; R-3.1.2.4, R-3.1.2.5, R-3.1.2.6,
//! R-3.1.2.7): `/pos` lists the partner's terminals; `/pos/{terminal}?from=&to=` shows a
//! terminal's operations over a period with its totals and a bar chart of each day's net amount
//! (SVG drawn here, no script), export buttons and a print view (`/pos/{terminal}/print`);
//! `/pos/{terminal}/export` downloads the file through the JSON API's own code
//! (`tiyn_api::pos::transactions_response`), so the cabinet and the API cannot disagree;
//! `/planned-credits` lists the scheduled credits.
//!
//! `tiyn_banking::pos` decides whose terminal it is (another partner's answers like an unknown
//! one), which permission each read needs, and records it in the audit trail.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use serde::Deserialize;
use tiyn_api::authz::{LOGIN_PAGE, RequestContext};
use tiyn_api::pos::{PosTransactionsQuery, pos_error, transactions_response};
use tiyn_api::statements::StatementQuery;
use tiyn_api::{ApiError, Lang};
use tiyn_banking::pos::{
    OwnTerminal, PlannedSource, PosDayTotals, PosKind, PosOperation, PosStatement, PosStatus, PosTerminalStatus,
    PosTotals, PosUse,
};
use tiyn_core::Money;
use tiyn_core::access::Permission;

use crate::WebState;
use crate::format;
use crate::forms::FormErrors;
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{PageMeta, Viewer, failure, render};

/// The most operations the page and the print view show: one keyset page. A longer period shows
/// its totals and chart with a notice to export it (the files carry every operation).
pub const POS_PAGE_OPERATIONS_MAX: usize = tiyn_store::pos::OPERATIONS_PAGE_MAX;
/// Days the page shows when no period is chosen: the last month of sales.
const DEFAULT_PERIOD_DAYS: i64 = 30;

/// The export buttons: key, the API's format, label, extra query.
const EXPORT_BUTTONS: &[(&str, &str, &str, &str)] = &[
    ("csv", "csv", "CSV", ""),
    ("csv-semicolon", "csv", "CSV (;)", "&delimiter=semicolon"),
    ("xlsx", "xlsx", "XLSX", ""),
    ("pdf", "pdf", "PDF", ""),
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PosParams {
    pub from: String,
    pub to: String,
    pub format: String,
    pub delimiter: String,
}

/// A terminal in the list.
pub struct TerminalRow {
    pub terminal_id: String,
    pub address: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub account: String,
    pub href: String,
}

/// One operation's row.
pub struct OperationRow {
    pub operation_id: String,
    pub time: String,
    pub kind: &'static str,
    pub kind_code: &'static str,
    pub status: &'static str,
    pub status_code: &'static str,
    pub card: String,
    pub amount: String,
    pub fee: String,
    pub settlement: String,
    pub credited: bool,
}

/// A period's totals, formatted.
pub struct TotalsView {
    pub operations: u64,
    pub purchases: String,
    pub refunds: String,
    pub reversals: String,
    pub fees: String,
    pub net: String,
}

/// One bar of the daily chart, in the SVG's units.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub date: String,
    pub label: String,
}

/// The daily totals as a bar chart of each day's net amount.
pub struct ChartView {
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub right: i64,
    pub top: i64,
    pub bottom: i64,
    pub label_x: i64,
    pub top_label_y: i64,
    pub date_y: i64,
    pub max: String,
    pub from: String,
    pub to: String,
    pub title: String,
    pub bars: Vec<Bar>,
}

/// A terminal's operations as the page and the print view show them.
pub struct OperationsView {
    pub terminal_id: String,
    pub address: String,
    pub account: String,
    pub holder: String,
    pub bank: String,
    pub period: String,
    pub created: String,
    pub totals: TotalsView,
    pub rows: Vec<OperationRow>,
    pub days: Vec<(String, TotalsView)>,
    pub chart: Option<ChartView>,
    /// The notice of a period with more operations than the page shows.
    pub too_many: Option<String>,
}

/// An export button.
pub struct ExportLink {
    pub format: &'static str,
    pub label: &'static str,
    pub href: String,
}

/// A planned credit's row.
pub struct PlannedRow {
    pub account: String,
    pub iban: String,
    pub date: String,
    pub date_code: String,
    pub amount: String,
    /// `pos` or `marketplace`.
    pub source_code: &'static str,
    pub source: &'static str,
    /// The marketplace's report and payout ids; empty for POS.
    pub report_id: String,
    pub payout_id: String,
    /// POS operations, or orders of the payout.
    pub count: u64,
}

#[derive(Template)]
#[template(path = "pos.html")]
struct TerminalsPage {
    t: &'static Texts,
    page: PageMeta,
    terminals: Vec<TerminalRow>,
    planned: bool,
}

#[derive(Template)]
#[template(path = "pos_terminal.html")]
struct TerminalPage {
    t: &'static Texts,
    page: PageMeta,
    terminal_id: String,
    from: String,
    to: String,
    errors: FormErrors,
    exports: Vec<ExportLink>,
    print_href: String,
    view: Option<OperationsView>,
}

#[derive(Template)]
#[template(path = "pos_print.html")]
struct PrintPage {
    t: &'static Texts,
    lang: &'static str,
    terminal_id: String,
    back_href: String,
    errors: FormErrors,
    view: Option<OperationsView>,
}

#[derive(Template)]
#[template(path = "pos_planned.html")]
struct PlannedPage {
    t: &'static Texts,
    page: PageMeta,
    credits: Vec<PlannedRow>,
}

fn status_label(status: PosTerminalStatus, t: &'static Texts) -> &'static str {
    match status {
        PosTerminalStatus::Active => t.pos_terminal_active,
        PosTerminalStatus::Blocked => t.pos_terminal_blocked,
        PosTerminalStatus::Closed => t.pos_terminal_closed,
    }
}

fn kind_label(kind: PosKind, t: &'static Texts) -> &'static str {
    match kind {
        PosKind::Purchase => t.pos_kind_purchase,
        PosKind::Refund => t.pos_kind_refund,
        PosKind::Reversal => t.pos_kind_reversal,
    }
}

fn operation_status_label(status: PosStatus, t: &'static Texts) -> &'static str {
    match status {
        PosStatus::Approved => t.pos_status_approved,
        PosStatus::Declined => t.pos_status_declined,
        PosStatus::Settled => t.pos_status_settled,
    }
}

/// The IBAN of a terminal's settlement account, grouped for reading.
fn account_text(own: &OwnTerminal) -> String {
    own.account.iban.as_ref().map(|iban| iban.grouped()).unwrap_or_default()
}

/// The terminal id as a path segment: the acquirer's ids are visible ASCII; anything else is
/// percent-encoded byte by byte.
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A date field's text for a query string (digits and `-` only).
fn query_value(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect()
}

/// `GET /pos`: the partner's terminals (R-3.1.2.4).
pub async fn terminals(State(state): State<WebState>, lang: PageLang, viewer: Viewer) -> Response {
    let Some(principal) = viewer.principal.as_ref() else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let t = texts(lang.lang);
    let terminals = match state.banking.pos_terminals(principal).await {
        Ok(terminals) => terminals,
        Err(error) => return failure(&state, lang, &viewer, &pos_error(error)),
    };
    let rows = terminals
        .iter()
        .map(|own| TerminalRow {
            terminal_id: own.terminal.terminal_id.clone(),
            address: own.terminal.address.clone(),
            status: status_label(own.terminal.status, t),
            status_code: own.terminal.status.as_str(),
            account: account_text(own),
            href: format!("/pos/{}", path_segment(&own.terminal.terminal_id)),
        })
        .collect();
    let page = TerminalsPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "pos", "/pos", &viewer),
        terminals: rows,
        planned: principal.allows(Permission::ViewPlannedCredits),
    };
    render(&page, StatusCode::OK, lang)
}

/// What the terminal page and its print view need.
struct Built {
    terminal_id: String,
    from: String,
    to: String,
    errors: FormErrors,
    view: Option<OperationsView>,
}

/// `GET /pos/{terminal}?from=&to=`: a terminal's operations, totals and daily chart.
pub async fn terminal(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(terminal_id): Path<String>,
    Query(params): Query<PosParams>,
) -> Response {
    let built = match build(&state, lang.lang, &viewer, &context, &terminal_id, &params).await {
        Ok(Some(built)) => built,
        Ok(None) => return Redirect::to(LOGIN_PAGE).into_response(),
        Err(error) => return failure(&state, lang, &viewer, &error),
    };
    let t = texts(lang.lang);
    let base = format!("/pos/{}", path_segment(&built.terminal_id));
    let exportable = viewer.principal.as_ref().is_some_and(|principal| principal.allows(Permission::ExportStatements));
    let exports = match (&built.view, exportable) {
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
    let status = if built.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = TerminalPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "pos", &base, &viewer),
        print_href: format!("{base}/print?from={}&to={}", query_value(&built.from), query_value(&built.to)),
        terminal_id: built.terminal_id,
        from: built.from,
        to: built.to,
        errors: built.errors,
        exports,
        view: built.view,
    };
    render(&page, status, lang)
}

/// `GET /pos/{terminal}/print?from=&to=`: the same without the cabinet's chrome, for paper
/// (R-3.1.2.7), with the stamp notice the PDF prints.
pub async fn print(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(terminal_id): Path<String>,
    Query(params): Query<PosParams>,
) -> Response {
    let built = match build(&state, lang.lang, &viewer, &context, &terminal_id, &params).await {
        Ok(Some(built)) => built,
        Ok(None) => return Redirect::to(LOGIN_PAGE).into_response(),
        Err(error) => return failure(&state, lang, &viewer, &error),
    };
    let status = if built.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = PrintPage {
        t: texts(lang.lang),
        lang: lang.lang.code(),
        back_href: format!(
            "/pos/{}?from={}&to={}",
            path_segment(&built.terminal_id),
            query_value(&built.from),
            query_value(&built.to)
        ),
        terminal_id: built.terminal_id,
        errors: built.errors,
        view: built.view,
    };
    render(&page, status, lang)
}

/// `GET /pos/{terminal}/export?from=&to=&format=`: the file as an attachment, by the API's own
/// code (R-3.1.2.6). A refused period goes back to the page, which says why.
pub async fn export(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(terminal_id): Path<String>,
    Query(params): Query<PosParams>,
) -> Response {
    let Some(principal) = viewer.principal.clone() else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let format = params.format.trim().to_ascii_lowercase();
    if !EXPORT_BUTTONS.iter().any(|(_, known, _, _)| *known == format) {
        // JSON is the API's; the cabinet offers files only.
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "format" });
    }
    let query = PosTransactionsQuery {
        terminal: Some(terminal_id.clone()),
        from: Some(params.from.clone()),
        to: Some(params.to.clone()),
        format: Some(format),
        lang: Some(lang.lang.code().to_owned()),
        delimiter: Some(params.delimiter.clone()),
        limit: None,
        cursor: None,
    };
    match transactions_response(&state.banking, &context, &principal, &query).await {
        Ok(response) => response,
        Err(ApiError::Invalid(_)) => Redirect::to(&format!(
            "/pos/{}?from={}&to={}",
            path_segment(&terminal_id),
            query_value(&params.from),
            query_value(&params.to)
        ))
        .into_response(),
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}

/// `GET /planned-credits`: the scheduled credits (R-3.1.2.5).
pub async fn planned(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let credits = match state.banking.planned_credits(&context, principal).await {
        Ok(credits) => credits,
        Err(error) => return failure(&state, lang, &viewer, &pos_error(error)),
    };
    let t = texts(lang.lang);
    let rows = credits
        .iter()
        .map(|credit| {
            let (source_code, source, report_id, payout_id, count) = match &credit.source {
                PlannedSource::Pos { operations } => ("pos", t.planned_source_pos, "", "", *operations),
                PlannedSource::Marketplace { report_id, payout_id, orders } => {
                    ("marketplace", t.planned_source_marketplace, report_id.as_str(), payout_id.as_str(), *orders)
                }
            };
            PlannedRow {
                account: credit.account.name.clone(),
                iban: credit.account.iban.as_ref().map(|iban| iban.grouped()).unwrap_or_default(),
                date: format::date(credit.expected_date, lang.lang),
                date_code: credit.expected_date.to_string(),
                amount: format::money(credit.amount, lang.lang),
                source_code,
                source,
                report_id: report_id.to_owned(),
                payout_id: payout_id.to_owned(),
                count,
            }
        })
        .collect();
    let page = PlannedPage {
        t: texts(lang.lang),
        page: PageMeta::new(lang.lang, state.demo, "pos", "/planned-credits", &viewer),
        credits: rows,
    };
    render(&page, StatusCode::OK, lang)
}

/// The terminal's operations for the page or the print view; `None` when nobody is signed in.
async fn build(
    state: &WebState,
    lang: Lang,
    viewer: &Viewer,
    context: &tiyn_identity::Context,
    terminal_id: &str,
    params: &PosParams,
) -> Result<Option<Built>, ApiError> {
    let Some(principal) = viewer.principal.as_ref() else {
        return Ok(None);
    };
    let t = texts(lang);
    // The terminal first: another partner's answers like an unknown one, whatever the dates.
    let own = state.banking.pos_terminal_of(principal, terminal_id).await.map_err(pos_error)?;
    let terminal_id = own.terminal.terminal_id.clone();
    let today = state.banking.now().to_zoned(format::almaty()).date();
    let (from, to) = if params.from.trim().is_empty() && params.to.trim().is_empty() {
        let from = today.saturating_sub(jiff::Span::new().days(DEFAULT_PERIOD_DAYS));
        (from.to_string(), today.to_string())
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
                .filter(|field| field.field == "from" || field.field == "to")
                .map(|field| (field.field.clone(), period_message(field.code, t).to_owned()))
                .collect();
            let errors = FormErrors { summary: None, fields, code };
            return Ok(Some(Built { terminal_id, from, to, errors, view: None }));
        }
        Err(other) => return Err(other),
    };
    let statement =
        state.banking.pos_statement(context, principal, own, period, PosUse::View).await.map_err(pos_error)?;
    let operations = statement.page(None, POS_PAGE_OPERATIONS_MAX).await.map_err(pos_error)?;
    let view = view(&statement, &operations, lang, t)?;
    Ok(Some(Built { terminal_id, from, to, errors: FormErrors::none(), view: Some(view) }))
}

/// A refused period in the page's language, by the API's stable code (the statement's words).
fn period_message(code: &str, t: &'static Texts) -> &'static str {
    match code {
        "period_too_long" => t.statement_period_too_long,
        "period_reversed" => t.statement_period_reversed,
        _ => t.statement_date_invalid,
    }
}

fn totals_view(totals: &PosTotals, lang: Lang) -> Result<TotalsView, ApiError> {
    Ok(TotalsView {
        operations: totals.operations,
        purchases: format::money(totals.purchases, lang),
        refunds: format::money(totals.refunds, lang),
        reversals: format::money(totals.reversals, lang),
        fees: format::money(totals.fees, lang),
        net: format::money(totals.net().map_err(ApiError::internal)?, lang),
    })
}

fn operation_row(operation: &PosOperation, lang: Lang, t: &'static Texts) -> OperationRow {
    OperationRow {
        operation_id: operation.operation_id.clone(),
        time: format::date_time_seconds(operation.occurred_at, lang),
        kind: kind_label(operation.kind, t),
        kind_code: operation.kind.as_str(),
        status: operation_status_label(operation.status, t),
        status_code: operation.status.as_str(),
        card: operation.card.as_str().to_owned(),
        amount: format::money(operation.amount, lang),
        fee: format::money(operation.fee, lang),
        settlement: operation.settlement_date.map(|date| format::date(date, lang)).unwrap_or_default(),
        credited: operation.credited,
    }
}

fn view(
    statement: &PosStatement,
    operations: &[PosOperation],
    lang: Lang,
    t: &'static Texts,
) -> Result<OperationsView, ApiError> {
    let header = &statement.header;
    let shown = operations.len() as u64;
    let too_many = (header.totals.operations > shown).then(|| {
        fill(t.pos_too_many, &[("count", &header.totals.operations.to_string()), ("shown", &shown.to_string())])
    });
    let days = statement
        .days
        .iter()
        .map(|day| Ok((format::date(day.date, lang), totals_view(&day.totals, lang)?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(OperationsView {
        terminal_id: header.terminal_id.clone(),
        address: header.address.clone(),
        account: account_text(&statement.terminal),
        holder: header.holder_name.clone(),
        bank: header.bank_name.clone(),
        period: format!("{} — {}", format::date(header.period.from(), lang), format::date(header.period.to(), lang)),
        created: format::date_time(header.created_at, lang),
        totals: totals_view(&header.totals, lang)?,
        rows: operations.iter().map(|operation| operation_row(operation, lang, t)).collect(),
        days,
        chart: chart(&statement.days, header.period.from(), header.period.to(), lang, t)?,
        too_many,
    })
}

/// Each day's net amount as bars over the period, every day of it in place (days without
/// operations are gaps). Heights are integer arithmetic on minor units; `None` without days.
fn chart(
    days: &[PosDayTotals],
    from: Date,
    to: Date,
    lang: Lang,
    t: &'static Texts,
) -> Result<Option<ChartView>, ApiError> {
    const WIDTH: i64 = 900;
    const HEIGHT: i64 = 260;
    const LEFT: i64 = 130;
    const RIGHT: i64 = 890;
    const TOP: i64 = 20;
    const BOTTOM: i64 = 220;
    if days.is_empty() {
        return Ok(None);
    }
    let nets: Vec<(Date, Money)> = days
        .iter()
        .map(|day| Ok((day.date, day.totals.net().map_err(ApiError::internal)?)))
        .collect::<Result<_, ApiError>>()?;
    let max = nets.iter().map(|(_, net)| net.minor()).max().unwrap_or(0).max(1);
    let span_days = i64::from(from.until(to).map(|span| span.get_days()).unwrap_or(0)) + 1;
    let slot = ((RIGHT - LEFT) / span_days.max(1)).max(1);
    let bar_width = (slot * 3 / 4).max(1);
    let bars = nets
        .iter()
        .map(|(date, net)| {
            let index = i64::from(from.until(*date).map(|span| span.get_days()).unwrap_or(0));
            let height =
                i64::try_from(i128::from(net.minor().max(0)) * i128::from(BOTTOM - TOP) / i128::from(max)).unwrap_or(0);
            Bar {
                x: LEFT + index * slot + (slot - bar_width) / 2,
                y: BOTTOM - height,
                width: bar_width,
                height,
                date: date.to_string(),
                label: format!("{}: {}", format::date(*date, lang), format::money(*net, lang)),
            }
        })
        .collect();
    let currency = nets[0].1.currency();
    Ok(Some(ChartView {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: RIGHT,
        top: TOP,
        bottom: BOTTOM,
        label_x: LEFT - 8,
        top_label_y: TOP + 6,
        date_y: BOTTOM + 26,
        max: format::money(Money::from_minor(max, currency), lang),
        from: format::date(from, lang),
        to: format::date(to, lang),
        title: t.pos_chart_title.to_owned(),
        bars,
    }))
}
