//! The bank's notices and the marketplace's reconciliation reports (issue 6, R-3.1.2.8).
//!
//! - Partner API: `GET /api/v1/messages` (the partner's notices and the broadcasts, newest first,
//!   cursor pages), `GET /api/v1/marketplace/reports` and `GET /api/v1/marketplace/reports/{id}`
//!   (JSON, or `format=csv|xlsx`: one row per order with the payout that covered it, and a totals
//!   row, through `tiyn_statement`'s list writers).
//! - Bank operator API: `POST /api/admin/v1/messages` (`Idempotency-Key` honoured).
//! - Gateway (the marketplace, with the gateway's key): `POST /api/gateway/v1/marketplace/reports`,
//!   idempotent by report id.
//!
//! `tiyn_banking::messages` decides everything (who may read, whose report, every check of a
//! report, the audit); this module maps JSON and writes the files.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tiyn_banking::messages::{
    MarketplaceReport, MarketplaceReportSummary, MessagesError, NOTICES_PAGE_MAX, Notice, NoticeCursor,
    REPORTS_PAGE_MAX, RawMarketplaceReport, RawMoneyText, RawNotice, RawOrder, RawPayout, ReportUse,
};
use tiyn_statement::{Cell, CsvDelimiter, CsvOptions, TableColumn, write_table_csv, write_table_xlsx};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::admin::Operator;
use crate::authz::{Authenticated, RequestContext};
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::money::{MoneyDto, MoneyInput};

/// Notices per page when the client does not say.
pub const NOTICES_PAGE_DEFAULT: usize = 20;
/// Reports per page when the client does not say.
pub const REPORTS_PAGE_DEFAULT: usize = 50;

// ----- Notices -----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeDto {
    pub id: String,
    /// `promotion`, `tariff_change`, `legal_address_change`, `terms_change`, `maintenance`, `other`.
    pub kind: String,
    pub title: String,
    pub text: String,
    /// RFC 3339.
    pub published_at: String,
    /// Who published it for the bank.
    pub published_by: String,
    /// `true` for a notice to every partner.
    pub broadcast: bool,
}

impl From<&Notice> for NoticeDto {
    fn from(notice: &Notice) -> NoticeDto {
        NoticeDto {
            id: notice.id.to_string(),
            kind: notice.kind.as_str().to_owned(),
            title: notice.title.clone(),
            text: notice.text.clone(),
            published_at: notice.published_at.to_string(),
            published_by: notice.published_by.clone(),
            broadcast: notice.partner.is_none(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeListDto {
    pub items: Vec<NoticeDto>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1 to 100.
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn page_limit(limit: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid("limit", "invalid_limit", format!("1 to {max}")))
    }
}

/// The partner's notices and the bank's notices to every partner, newest first (R-3.1.2.8).
#[utoipa::path(get, path = "/messages", tag = "messages", params(PageQuery),
    responses((status = 200, body = NoticeListDto), (status = 403, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn list_messages(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<NoticeListDto>, ApiError> {
    let limit = page_limit(query.limit, NOTICES_PAGE_DEFAULT, NOTICES_PAGE_MAX)?;
    let after = match query.cursor.as_deref().filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => Some(
            NoticeCursor::decode(text)
                .ok_or_else(|| ApiError::invalid("cursor", "invalid_cursor", "a next_cursor of a previous page"))?,
        ),
    };
    let notices = state.banking.notices(&principal, after, limit).await?;
    let next_cursor =
        if notices.len() == limit { notices.last().map(|last| NoticeCursor::of(last).encode()) } else { None };
    Ok(Json(NoticeListDto { items: notices.iter().map(NoticeDto::from).collect(), next_cursor }))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishNoticeRequest {
    /// The partner's id; absent or null: every partner.
    pub partner_id: Option<String>,
    pub kind: String,
    pub title: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedNoticeDto {
    pub notice: NoticeDto,
    /// The partner's id; null for every partner.
    pub partner_id: Option<String>,
    pub replayed: bool,
}

/// Publishes a notice to one partner or to every partner (R-3.1.2.8); audited.
#[utoipa::path(post, path = "/messages", tag = "admin", request_body = PublishNoticeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeats answer the first notice")),
    responses((status = 201, body = PublishedNoticeDto), (status = 200, body = PublishedNoticeDto),
        (status = 409, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn admin_publish_message(
    State(state): State<ApiState>,
    Operator(actor): Operator,
    RequestContext(context): RequestContext,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PublishNoticeRequest>,
) -> Result<(StatusCode, Json<PublishedNoticeDto>), ApiError> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => Some(value.to_str().map(str::to_owned).map_err(|_| {
            ApiError::invalid("Idempotency-Key", "invalid_idempotency_key", "visible ASCII characters")
        })?),
    };
    let raw = RawNotice { partner_id: input.partner_id, kind: input.kind, title: input.title, text: input.text };
    let published = state.banking.publish_notice(&context, &actor, &raw, key).await.map_err(messages_error)?;
    let status = if published.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((
        status,
        Json(PublishedNoticeDto {
            partner_id: published.notice.partner.map(|partner| partner.to_string()),
            notice: NoticeDto::from(&published.notice),
            replayed: published.replayed,
        }),
    ))
}

// ----- Marketplace reports: ingestion -----

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPeriodInput {
    /// `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportOrderInput {
    pub order_id: String,
    /// RFC 3339.
    pub sold_at: String,
    pub amount: MoneyInput,
    /// The marketplace's commission on the order.
    pub commission: MoneyInput,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPayoutInput {
    pub payout_id: String,
    /// `YYYY-MM-DD`.
    pub paid_on: String,
    /// The sum of its orders' amounts less their commissions.
    pub amount: MoneyInput,
    /// One of the partner's accounts.
    pub account_iban: String,
    pub order_ids: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketplaceReportInput {
    pub report_id: String,
    pub partner_bin: String,
    pub period: ReportPeriodInput,
    pub orders: Vec<ReportOrderInput>,
    #[serde(default)]
    pub payouts: Vec<ReportPayoutInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportIngestedDto {
    pub report_id: String,
    /// `created` or `replayed`.
    pub outcome: String,
    pub replayed: bool,
}

/// A JSON number where an amount is expected is refused like everywhere in the API.
fn money_text(money: &MoneyInput, path: &str, errors: &mut Vec<FieldError>) -> RawMoneyText {
    let amount = match &money.amount {
        serde_json::Value::String(text) => text.clone(),
        other => {
            errors.push(FieldError::new(
                format!("{path}.amount"),
                "invalid_amount",
                format!("amounts are decimal strings such as \"1500.00\", not {other}"),
            ));
            String::new()
        }
    };
    RawMoneyText { amount, currency: money.currency.clone() }
}

/// The marketplace's reconciliation report (R-3.1.2.8): orders, commissions, payouts and which
/// payout covered which orders. Idempotent by `report_id`.
#[utoipa::path(post, path = "/marketplace/reports", tag = "gateway", request_body = MarketplaceReportInput,
    responses((status = 201, body = ReportIngestedDto), (status = 200, body = ReportIngestedDto),
        (status = 401, body = ProblemDto), (status = 409, body = ProblemDto),
        (status = 422, description = "every refused field, each naming its order or payout", body = ProblemDto)))]
pub async fn ingest_report(
    State(state): State<ApiState>,
    ApiJson(input): ApiJson<MarketplaceReportInput>,
) -> Result<(StatusCode, Json<ReportIngestedDto>), ApiError> {
    let mut errors = Vec::new();
    let orders = input
        .orders
        .iter()
        .enumerate()
        .map(|(index, order)| RawOrder {
            order_id: order.order_id.clone(),
            sold_at: order.sold_at.clone(),
            amount: money_text(&order.amount, &format!("orders[{index}].amount"), &mut errors),
            commission: money_text(&order.commission, &format!("orders[{index}].commission"), &mut errors),
        })
        .collect();
    let payouts = input
        .payouts
        .iter()
        .enumerate()
        .map(|(index, payout)| RawPayout {
            payout_id: payout.payout_id.clone(),
            paid_on: payout.paid_on.clone(),
            amount: money_text(&payout.amount, &format!("payouts[{index}].amount"), &mut errors),
            account_iban: payout.account_iban.clone(),
            order_ids: payout.order_ids.clone(),
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let raw = RawMarketplaceReport {
        report_id: input.report_id.clone(),
        partner_bin: input.partner_bin,
        period_from: input.period.from,
        period_to: input.period.to,
        orders,
        payouts,
    };
    let ingested = state.banking.ingest_marketplace_report(&raw).await.map_err(messages_error)?;
    let (status, outcome) =
        if ingested.replayed { (StatusCode::OK, "replayed") } else { (StatusCode::CREATED, "created") };
    Ok((
        status,
        Json(ReportIngestedDto {
            report_id: input.report_id.trim().to_owned(),
            outcome: outcome.to_owned(),
            replayed: ingested.replayed,
        }),
    ))
}

// ----- Marketplace reports: the partner's reads -----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportSummaryDto {
    pub report_id: String,
    pub period_from: String,
    pub period_to: String,
    pub currency: String,
    pub received_at: String,
    pub orders: u64,
    pub sales: MoneyDto,
    pub commission: MoneyDto,
    /// Sales less commissions.
    pub net: MoneyDto,
    pub paid_out: MoneyDto,
    pub payouts: u64,
    /// Orders no payout covers yet.
    pub unpaid_orders: u64,
    /// What the unpaid orders will bring: their amounts less commissions.
    pub unpaid: MoneyDto,
}

impl ReportSummaryDto {
    fn of(summary: &MarketplaceReportSummary) -> Result<ReportSummaryDto, ApiError> {
        let net = summary.sales.checked_sub(summary.commission).map_err(ApiError::internal)?;
        Ok(ReportSummaryDto {
            report_id: summary.report_id.clone(),
            period_from: summary.period_from.to_string(),
            period_to: summary.period_to.to_string(),
            currency: summary.currency.code().to_owned(),
            received_at: summary.received_at.to_string(),
            orders: summary.orders,
            sales: summary.sales.into(),
            commission: summary.commission.into(),
            net: net.into(),
            paid_out: summary.paid_out.into(),
            payouts: summary.payouts,
            unpaid_orders: summary.unpaid_orders,
            unpaid: net.checked_sub(summary.paid_out).map_err(ApiError::internal)?.into(),
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportListDto {
    pub items: Vec<ReportSummaryDto>,
    pub next_cursor: Option<String>,
}

/// The partner's marketplace reports, newest first (R-3.1.2.8).
#[utoipa::path(get, path = "/marketplace/reports", tag = "messages", params(PageQuery),
    responses((status = 200, body = ReportListDto), (status = 403, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn list_reports(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<ReportListDto>, ApiError> {
    let limit = page_limit(query.limit, REPORTS_PAGE_DEFAULT, REPORTS_PAGE_MAX)?;
    let before = match query.cursor.as_deref().filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .map_err(|_| ApiError::invalid("cursor", "invalid_cursor", "a next_cursor of a previous page"))?,
        ),
    };
    let reports = state.banking.marketplace_reports(&principal, before, limit).await?;
    let next_cursor = if reports.len() == limit { reports.last().map(|last| last.id.to_string()) } else { None };
    let items = reports.iter().map(ReportSummaryDto::of).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(ReportListDto { items, next_cursor }))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportOrderDto {
    pub order_id: String,
    pub sold_at: String,
    pub amount: MoneyDto,
    pub commission: MoneyDto,
    /// Amount less commission.
    pub net: MoneyDto,
    /// The payout that covered it; null: not paid out yet.
    pub payout_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportPayoutDto {
    pub payout_id: String,
    pub paid_on: String,
    pub amount: MoneyDto,
    pub account_iban: String,
    /// The orders it covered.
    pub order_ids: Vec<String>,
    /// When its credit arrived and was matched (RFC 3339); null: expected (R-3.1.2.5).
    pub credited_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportDto {
    #[serde(flatten)]
    pub summary: ReportSummaryDto,
    pub orders: Vec<ReportOrderDto>,
    pub payouts: Vec<ReportPayoutDto>,
    /// The ids of the orders not paid out yet.
    pub unpaid_order_ids: Vec<String>,
}

impl ReportDto {
    pub fn of(report: &MarketplaceReport) -> Result<ReportDto, ApiError> {
        let orders = report
            .orders
            .iter()
            .map(|order| {
                Ok(ReportOrderDto {
                    order_id: order.order_id.clone(),
                    sold_at: order.sold_at.to_string(),
                    amount: order.amount.into(),
                    commission: order.commission.into(),
                    net: order.net().map_err(ApiError::internal)?.into(),
                    payout_id: order.payout_id.clone(),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let payouts = report
            .payouts
            .iter()
            .map(|payout| ReportPayoutDto {
                payout_id: payout.payout_id.clone(),
                paid_on: payout.paid_on.to_string(),
                amount: payout.amount.into(),
                account_iban: payout.account_iban.clone(),
                order_ids: report
                    .orders
                    .iter()
                    .filter(|order| order.payout_id.as_deref() == Some(payout.payout_id.as_str()))
                    .map(|order| order.order_id.clone())
                    .collect(),
                credited_at: payout.credited_at.map(|at| at.to_string()),
            })
            .collect();
        Ok(ReportDto {
            summary: ReportSummaryDto::of(&report.summary)?,
            orders,
            payouts,
            unpaid_order_ids: report
                .orders
                .iter()
                .filter(|order| order.payout_id.is_none())
                .map(|order| order.order_id.clone())
                .collect(),
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (the default), `csv` or `xlsx`.
    pub format: Option<String>,
    /// The labels' language of the files: `ru` (default), `kk`, `en`.
    pub lang: Option<String>,
    /// CSV: `comma` (default) or `semicolon`.
    pub delimiter: Option<String>,
}

/// A file format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Csv,
    Xlsx,
}

impl ReportFormat {
    pub const fn name(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Csv => "csv",
            ReportFormat::Xlsx => "xlsx",
        }
    }

    const fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Json => "application/json",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn parse(text: Option<&str>) -> Result<ReportFormat, ApiError> {
        match text.map(str::trim).filter(|text| !text.is_empty()).map(str::to_ascii_lowercase).as_deref() {
            None | Some("json") => Ok(ReportFormat::Json),
            Some("csv") => Ok(ReportFormat::Csv),
            Some("xlsx") => Ok(ReportFormat::Xlsx),
            Some(_) => Err(ApiError::invalid("format", "unsupported_format", "json, csv or xlsx")),
        }
    }
}

/// One report with its orders, payouts, which payout covered which orders, its totals and the
/// orders not yet paid out; or its file (R-3.1.2.8, R-3.1.2.6).
#[utoipa::path(get, path = "/marketplace/reports/{id}", tag = "messages", params(
        ("id" = String, Path, description = "The marketplace's report id"), ReportQuery),
    responses(
        (status = 200, description = "The report: JSON, or the file of the format asked for",
            content((ReportDto = "application/json"), (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = ProblemDto), (status = 404, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn get_report(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    report_response(&state.banking, &context, &principal, &id, &query).await
}

/// The report's answer for the API and the cabinet's download buttons alike.
pub async fn report_response(
    banking: &tiyn_banking::Banking,
    context: &tiyn_identity::Context,
    principal: &tiyn_identity::Principal,
    id: &str,
    query: &ReportQuery,
) -> Result<Response, ApiError> {
    let format = ReportFormat::parse(query.format.as_deref())?;
    let lang = match query.lang.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        None => crate::Lang::Ru,
        Some(tag) => {
            crate::Lang::parse(tag).ok_or_else(|| ApiError::invalid("lang", "unsupported_language", "ru, kk or en"))?
        }
    };
    let delimiter = match query.delimiter.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        None | Some("comma") => CsvDelimiter::Comma,
        Some("semicolon") => CsvDelimiter::Semicolon,
        Some(_) => return Err(ApiError::invalid("delimiter", "unsupported_delimiter", "comma or semicolon")),
    };
    let use_ = match format {
        ReportFormat::Json => ReportUse::View,
        other => ReportUse::Export { format: other.name() },
    };
    let report = banking.marketplace_report(context, principal, id, use_).await?;
    if format == ReportFormat::Json {
        return Ok(Json(ReportDto::of(&report)?).into_response());
    }
    let file_id: String = report
        .summary
        .report_id
        .chars()
        .map(|character| if character.is_ascii_alphanumeric() || character == '-' { character } else { '_' })
        .collect();
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"marketplace-{file_id}.{}\"", format.name()))
            .map_err(ApiError::internal)?;
    let bytes = tokio::task::spawn_blocking(move || write_report(&report, format, lang, delimiter))
        .await
        .map_err(ApiError::internal)??;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(format.content_type())),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
    ];
    Ok((headers, bytes).into_response())
}

/// The columns of a report's file, in the file's language.
fn report_columns(lang: crate::Lang) -> [TableColumn; 9] {
    let labels: [&'static str; 9] = match lang {
        crate::Lang::Ru => [
            "Заказ",
            "Дата и время продажи",
            "Сумма",
            "Комиссия маркетплейса",
            "К выплате",
            "Валюта",
            "Выплата",
            "Дата выплаты",
            "Счёт выплаты",
        ],
        crate::Lang::Kk => [
            "Тапсырыс",
            "Сату күні мен уақыты",
            "Сомасы",
            "Маркетплейс комиссиясы",
            "Төленетіні",
            "Валютасы",
            "Төлем",
            "Төлем күні",
            "Төлем шоты",
        ],
        crate::Lang::En => [
            "Order",
            "Sold at",
            "Amount",
            "Marketplace commission",
            "Net",
            "Currency",
            "Payout",
            "Paid on",
            "Payout account",
        ],
    };
    let widths = [16, 20, 14, 14, 14, 8, 16, 12, 26];
    std::array::from_fn(|index| TableColumn { label: labels[index], width: widths[index] })
}

fn totals_label(lang: crate::Lang) -> &'static str {
    match lang {
        crate::Lang::Ru => "Итого",
        crate::Lang::Kk => "Барлығы",
        crate::Lang::En => "Total",
    }
}

/// One row per order (with its payout, if any), then the totals row.
fn write_report(
    report: &MarketplaceReport,
    format: ReportFormat,
    lang: crate::Lang,
    delimiter: CsvDelimiter,
) -> Result<Vec<u8>, ApiError> {
    let currency = report.summary.currency;
    let mut rows = Vec::with_capacity(report.orders.len() + 1);
    let mut net_total = tiyn_core::Money::zero(currency);
    for order in &report.orders {
        let net = order.net().map_err(ApiError::internal)?;
        net_total = net_total.checked_add(net).map_err(ApiError::internal)?;
        let payout =
            order.payout_id.as_deref().and_then(|id| report.payouts.iter().find(|payout| payout.payout_id == id));
        rows.push(vec![
            Cell::Text(order.order_id.clone()),
            Cell::Text(tiyn_statement::pos::local_time(order.sold_at)),
            Cell::Money(order.amount),
            Cell::Money(order.commission),
            Cell::Money(net),
            Cell::Text(currency.code().to_owned()),
            payout.map_or(Cell::Empty, |payout| Cell::Text(payout.payout_id.clone())),
            payout.map_or(Cell::Empty, |payout| Cell::Date(payout.paid_on)),
            payout.map_or(Cell::Empty, |payout| Cell::Text(payout.account_iban.clone())),
        ]);
    }
    rows.push(vec![
        Cell::Text(totals_label(lang).to_owned()),
        Cell::Empty,
        Cell::Money(report.summary.sales),
        Cell::Money(report.summary.commission),
        Cell::Money(net_total),
        Cell::Text(currency.code().to_owned()),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);
    let columns = report_columns(lang);
    let statement_lang = match lang {
        crate::Lang::Ru => tiyn_statement::Lang::Ru,
        crate::Lang::Kk => tiyn_statement::Lang::Kk,
        crate::Lang::En => tiyn_statement::Lang::En,
    };
    let mut out = Vec::new();
    match format {
        ReportFormat::Csv => {
            let options = CsvOptions { delimiter, lang: statement_lang };
            write_table_csv(&columns, rows, &options, &mut out).map_err(ApiError::internal)?;
        }
        _ => {
            let title = format!(
                "{} {} ({} – {})",
                match lang {
                    crate::Lang::Ru => "Отчёт маркетплейса",
                    crate::Lang::Kk => "Маркетплейс есебі",
                    crate::Lang::En => "Marketplace report",
                },
                report.summary.report_id,
                report.summary.period_from,
                report.summary.period_to
            );
            write_table_xlsx("Marketplace", &title, &columns, rows, &mut out).map_err(ApiError::internal)?;
        }
    }
    Ok(out)
}

/// The one mapping of the notice and report refusals.
pub fn messages_error(error: MessagesError) -> ApiError {
    match error {
        MessagesError::Invalid(errors) => ApiError::Invalid(
            errors.into_iter().map(|error| FieldError::new(error.field, error.code, error.detail)).collect(),
        ),
        MessagesError::Banking(tiyn_banking::BankingError::Conflict(
            code @ tiyn_banking::messages::codes::IDEMPOTENCY_CONFLICT,
        )) => ApiError::Conflict {
            code,
            detail: "this id was already used with other content; the first stays as it was".to_owned(),
        },
        MessagesError::Banking(other) => other.into(),
    }
}
