//! The bank's notices and the marketplace's reconciliation reports in the cabinet (issue 6,
//! R-3.1.2.8): `/messages` lists the partner's notices and the bank's notices to every partner,
//! newest first; `/marketplace` lists the partner's reports; `/marketplace/{id}` shows one with its
//! payouts and the orders each covered, the orders not yet paid out, the totals and the export
//! buttons; `/marketplace/{id}/export` downloads the file through the JSON API's own code
//! (`tiyn_api::messages::report_response`). `/bank/messages` is the console's form to publish a
//! notice, with the latest notices.
//!
//! `tiyn_banking::messages` decides whose report it is (another partner's answers like an unknown
//! one), which permission each read needs, and records reads and publications in the audit trail.

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiyn_api::authz::{LOGIN_PAGE, RequestContext};
use tiyn_api::messages::{ReportQuery, messages_error, report_response};
use tiyn_api::{ApiError, Lang};
use tiyn_banking::messages::{MarketplaceReport, Notice, NoticeCursor, NoticeKind, RawNotice, ReportUse};
use tiyn_core::access::Permission;
use tiyn_identity::BankActor;

use crate::WebState;
use crate::format;
use crate::forms::FormErrors;
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{PageMeta, Viewer, failure, forbidden, render};
use crate::profile::DoneQuery;

/// Notices per page of `/messages`.
const NOTICES_PAGE: usize = 20;
/// Reports `/marketplace` shows: a year of monthly reports, several marketplaces.
const REPORTS_PAGE: usize = tiyn_store::messages::REPORTS_PAGE_MAX;
/// The latest notices the console shows under its form.
const BANK_NOTICES_SHOWN: usize = 20;

/// The export buttons: key, the API's format, label, extra query.
const EXPORT_BUTTONS: &[(&str, &str, &str, &str)] = &[
    ("csv", "csv", "CSV", ""),
    ("csv-semicolon", "csv", "CSV (;)", "&delimiter=semicolon"),
    ("xlsx", "xlsx", "XLSX", ""),
];

pub fn kind_label(kind: NoticeKind, t: &'static Texts) -> &'static str {
    match kind {
        NoticeKind::Promotion => t.notice_kind_promotion,
        NoticeKind::TariffChange => t.notice_kind_tariff_change,
        NoticeKind::LegalAddressChange => t.notice_kind_legal_address_change,
        NoticeKind::TermsChange => t.notice_kind_terms_change,
        NoticeKind::Maintenance => t.notice_kind_maintenance,
        NoticeKind::Other => t.notice_kind_other,
    }
}

/// A notice as the pages show it.
pub struct NoticeView {
    pub id: i64,
    pub kind: &'static str,
    pub kind_code: &'static str,
    pub title: String,
    /// The text's paragraphs (its line breaks kept, escaped by the template).
    pub lines: Vec<String>,
    pub published: String,
    pub by: String,
    pub broadcast: bool,
}

fn notice_view(notice: &Notice, lang: Lang, t: &'static Texts) -> NoticeView {
    NoticeView {
        id: notice.id,
        kind: kind_label(notice.kind, t),
        kind_code: notice.kind.as_str(),
        title: notice.title.clone(),
        lines: notice.text.lines().map(str::to_owned).collect(),
        published: format::date_time(notice.published_at, lang),
        by: fill(t.notice_published_by, &[("name", &notice.published_by)]),
        broadcast: notice.partner.is_none(),
    }
}

#[derive(Template)]
#[template(path = "messages.html")]
struct NoticesPage {
    t: &'static Texts,
    page: PageMeta,
    notices: Vec<NoticeView>,
    older_href: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NoticesParams {
    pub cursor: String,
}

/// `GET /messages`: the partner's notices, newest first.
pub async fn notices(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    Query(params): Query<NoticesParams>,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let t = texts(lang.lang);
    let after = NoticeCursor::decode(params.cursor.trim());
    let found = match state.banking.notices(principal, after, NOTICES_PAGE).await {
        Ok(found) => found,
        Err(error) => return failure(&state, lang, &viewer, &error.into()),
    };
    let older_href = (found.len() == NOTICES_PAGE)
        .then(|| found.last().map(|last| format!("/messages?cursor={}", NoticeCursor::of(last).encode())))
        .flatten();
    let page = NoticesPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "messages", "/messages", &viewer),
        notices: found.iter().map(|notice| notice_view(notice, lang.lang, t)).collect(),
        older_href,
    };
    render(&page, StatusCode::OK, lang)
}

// ----- Marketplace reports -----

/// A report in the list.
pub struct ReportRow {
    pub report_id: String,
    pub href: String,
    pub period: String,
    pub orders: u64,
    pub sales: String,
    pub commission: String,
    pub net: String,
    pub paid_out: String,
    pub unpaid_orders: u64,
}

#[derive(Template)]
#[template(path = "marketplace.html")]
struct ReportsPage {
    t: &'static Texts,
    page: PageMeta,
    reports: Vec<ReportRow>,
}

/// The report id as a path segment: the marketplace's ids are visible ASCII; anything else is
/// percent-encoded byte by byte.
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `GET /marketplace`: the partner's reports.
pub async fn reports(State(state): State<WebState>, lang: PageLang, viewer: Viewer) -> Response {
    let Some(principal) = viewer.principal.as_ref() else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let found = match state.banking.marketplace_reports(principal, None, REPORTS_PAGE).await {
        Ok(found) => found,
        Err(error) => return failure(&state, lang, &viewer, &error.into()),
    };
    let mut rows = Vec::with_capacity(found.len());
    for summary in &found {
        let Ok(net) = summary.sales.checked_sub(summary.commission) else {
            return failure(&state, lang, &viewer, &ApiError::internal("report totals overflow"));
        };
        rows.push(ReportRow {
            report_id: summary.report_id.clone(),
            href: format!("/marketplace/{}", path_segment(&summary.report_id)),
            period: format!(
                "{} – {}",
                format::date(summary.period_from, lang.lang),
                format::date(summary.period_to, lang.lang)
            ),
            orders: summary.orders,
            sales: format::money(summary.sales, lang.lang),
            commission: format::money(summary.commission, lang.lang),
            net: format::money(net, lang.lang),
            paid_out: format::money(summary.paid_out, lang.lang),
            unpaid_orders: summary.unpaid_orders,
        });
    }
    let page = ReportsPage {
        t: texts(lang.lang),
        page: PageMeta::new(lang.lang, state.demo, "marketplace", "/marketplace", &viewer),
        reports: rows,
    };
    render(&page, StatusCode::OK, lang)
}

/// An order's row.
pub struct OrderRow {
    pub order_id: String,
    pub sold_at: String,
    pub amount: String,
    pub commission: String,
    pub net: String,
    pub payout: Option<String>,
}

/// A payout with the orders it covered.
pub struct PayoutView {
    pub payout_id: String,
    pub paid_on: String,
    pub amount: String,
    pub account: String,
    /// When its credit arrived (R-3.1.2.5), as a date; `None`: expected.
    pub credited: Option<String>,
    pub orders: Vec<OrderRow>,
}

/// An export button.
pub struct ExportLink {
    pub format: &'static str,
    pub label: &'static str,
    pub href: String,
}

#[derive(Template)]
#[template(path = "marketplace_report.html")]
struct ReportPage {
    t: &'static Texts,
    page: PageMeta,
    report_id: String,
    period: String,
    orders: u64,
    sales: String,
    commission: String,
    net: String,
    paid_out: String,
    unpaid: String,
    payouts: Vec<PayoutView>,
    unpaid_orders: Vec<OrderRow>,
    exports: Vec<ExportLink>,
}

fn order_row(order: &tiyn_store::messages::MarketplaceOrder, lang: Lang) -> Result<OrderRow, ApiError> {
    Ok(OrderRow {
        order_id: order.order_id.clone(),
        sold_at: format::date_time(order.sold_at, lang),
        amount: format::money(order.amount, lang),
        commission: format::money(order.commission, lang),
        net: format::money(order.net().map_err(ApiError::internal)?, lang),
        payout: order.payout_id.clone(),
    })
}

fn report_page(
    report: &MarketplaceReport,
    lang: Lang,
    base: &str,
    exportable: bool,
    page: PageMeta,
) -> Result<ReportPage, ApiError> {
    let summary = &report.summary;
    let net = summary.sales.checked_sub(summary.commission).map_err(ApiError::internal)?;
    let unpaid = net.checked_sub(summary.paid_out).map_err(ApiError::internal)?;
    let all_orders = report.orders.iter().map(|order| order_row(order, lang)).collect::<Result<Vec<_>, _>>()?;
    let payouts = report
        .payouts
        .iter()
        .map(|payout| PayoutView {
            payout_id: payout.payout_id.clone(),
            paid_on: format::date(payout.paid_on, lang),
            amount: format::money(payout.amount, lang),
            account: payout.account_iban.clone(),
            credited: payout.credited_at.map(|at| format::date(at.to_zoned(format::almaty()).date(), lang)),
            orders: all_orders
                .iter()
                .filter(|order| order.payout.as_deref() == Some(payout.payout_id.as_str()))
                .map(clone_row)
                .collect(),
        })
        .collect();
    let unpaid_orders = all_orders.iter().filter(|order| order.payout.is_none()).map(clone_row).collect();
    let exports = if exportable {
        EXPORT_BUTTONS
            .iter()
            .map(|&(key, format, label, extra)| ExportLink {
                format: key,
                label,
                href: format!("{base}/export?format={format}&lang={}{extra}", lang.code()),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ReportPage {
        t: texts(lang),
        page,
        report_id: summary.report_id.clone(),
        period: format!("{} – {}", format::date(summary.period_from, lang), format::date(summary.period_to, lang)),
        orders: summary.orders,
        sales: format::money(summary.sales, lang),
        commission: format::money(summary.commission, lang),
        net: format::money(net, lang),
        paid_out: format::money(summary.paid_out, lang),
        unpaid: format::money(unpaid, lang),
        payouts,
        unpaid_orders,
        exports,
    })
}

fn clone_row(row: &OrderRow) -> OrderRow {
    OrderRow {
        order_id: row.order_id.clone(),
        sold_at: row.sold_at.clone(),
        amount: row.amount.clone(),
        commission: row.commission.clone(),
        net: row.net.clone(),
        payout: row.payout.clone(),
    }
}

/// `GET /marketplace/{id}`: one report with its payouts and their orders.
pub async fn report(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let report = match state.banking.marketplace_report(&context, principal, &id, ReportUse::View).await {
        Ok(report) => report,
        Err(error) => return failure(&state, lang, &viewer, &error.into()),
    };
    let base = format!("/marketplace/{}", path_segment(&report.summary.report_id));
    let exportable = principal.allows(Permission::ExportStatements);
    let meta = PageMeta::new(lang.lang, state.demo, "marketplace", &base, &viewer);
    match report_page(&report, lang.lang, &base, exportable, meta) {
        Ok(page) => render(&page, StatusCode::OK, lang),
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExportParams {
    pub format: String,
    pub delimiter: String,
}

/// `GET /marketplace/{id}/export?format=`: the file as an attachment, by the API's own code.
pub async fn export(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Query(params): Query<ExportParams>,
) -> Response {
    let Some(principal) = viewer.principal.clone() else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let format = params.format.trim().to_ascii_lowercase();
    if !EXPORT_BUTTONS.iter().any(|(_, known, _, _)| *known == format) {
        // JSON is the API's; the cabinet offers files only.
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "format" });
    }
    let query = ReportQuery {
        format: Some(format),
        lang: Some(lang.lang.code().to_owned()),
        delimiter: Some(params.delimiter.clone()).filter(|text| !text.is_empty()),
    };
    match report_response(&state.banking, &context, &principal, &id, &query).await {
        Ok(response) => response,
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}

// ----- The console -----

/// A partner the form offers.
pub struct PartnerOption {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// A kind the form offers.
pub struct KindOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "bank_messages.html")]
struct BankMessagesPage {
    t: &'static Texts,
    page: PageMeta,
    partners: Vec<PartnerOption>,
    kinds: Vec<KindOption>,
    title: String,
    text: String,
    errors: FormErrors,
    published: bool,
    recent: Vec<NoticeView>,
    /// Partner names by id, for the recent notices' addressees.
    recipients: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PublishForm {
    pub partner_id: String,
    pub kind: String,
    pub title: String,
    pub text: String,
}

async fn bank_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    form: &PublishForm,
    errors: FormErrors,
    published: bool,
    status: StatusCode,
) -> Response {
    let t = texts(lang.lang);
    let partners = match state.store.partners().await {
        Ok(partners) => partners,
        Err(error) => return failure(state, lang, viewer, &ApiError::internal(error)),
    };
    let recent = match state.banking.bank_notices(BANK_NOTICES_SHOWN).await {
        Ok(recent) => recent,
        Err(error) => return failure(state, lang, viewer, &error.into()),
    };
    let recipients = recent
        .iter()
        .map(|notice| match notice.partner {
            None => t.bank_messages_all_partners.to_owned(),
            Some(id) => partners
                .iter()
                .find(|partner| partner.id == id)
                .map_or_else(|| id.to_string(), |partner| partner.name.clone()),
        })
        .collect();
    let page = BankMessagesPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "bank_messages", "/bank/messages", viewer),
        partners: partners
            .iter()
            .map(|partner| PartnerOption {
                id: partner.id.to_string(),
                name: partner.name.clone(),
                selected: form.partner_id == partner.id.to_string(),
            })
            .collect(),
        kinds: NoticeKind::ALL
            .into_iter()
            .map(|kind| KindOption {
                code: kind.as_str(),
                label: kind_label(kind, t),
                selected: form.kind == kind.as_str(),
            })
            .collect(),
        title: form.title.clone(),
        text: form.text.clone(),
        errors,
        published,
        recent: recent.iter().map(|notice| notice_view(notice, lang.lang, t)).collect(),
        recipients,
    };
    render(&page, status, lang)
}

/// `GET /bank/messages`: the form to publish a notice and the latest notices.
pub async fn bank_messages(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    done: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    if viewer.principal.as_ref().and_then(BankActor::operator).is_none() {
        return forbidden(lang, state.demo, &viewer);
    }
    let published = done.ok().and_then(|Query(query)| query.done).as_deref() == Some("published");
    bank_page(&state, lang, &viewer, &PublishForm::default(), FormErrors::none(), published, StatusCode::OK).await
}

/// `POST /bank/messages`: publishes the notice; the refused fields come back on the form.
pub async fn bank_publish(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<PublishForm>,
) -> Response {
    let Some(actor) = viewer.principal.as_ref().and_then(BankActor::operator) else {
        return forbidden(lang, state.demo, &viewer);
    };
    let raw = RawNotice {
        partner_id: Some(form.partner_id.clone()),
        kind: form.kind.clone(),
        title: form.title.clone(),
        text: form.text.clone(),
    };
    match state.banking.publish_notice(&context, &actor, &raw, None).await {
        Ok(_) => Redirect::to("/bank/messages?done=published").into_response(),
        Err(error) => {
            let error = messages_error(error);
            if matches!(error, ApiError::Invalid(_)) {
                let errors = FormErrors::from_api(&error, lang.lang, &["partner_id", "kind", "title", "text"]);
                bank_page(&state, lang, &viewer, &form, errors, false, StatusCode::UNPROCESSABLE_ENTITY).await
            } else {
                failure(&state, lang, &viewer, &error)
            }
        }
    }
}
