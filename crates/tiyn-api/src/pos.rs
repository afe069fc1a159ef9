//! POS terminals and their operations (R-3.1.2.4), planned credits (R-3.1.2.5), and the
//! acquirer's callbacks that feed them.
//!
//! - Partner API: `GET /api/v1/pos/terminals`, `GET /api/v1/pos/transactions?terminal=&from=&to=`
//!   (JSON in keyset pages with the period's totals and daily totals; CSV, XLSX and PDF of the
//!   whole period with its totals, R-3.1.2.6) and `GET /api/v1/planned-credits`.
//! - Gateway (the acquirer's key): `POST /api/gateway/v1/pos/terminals`,
//!   `/pos/operations` (at most 1000 per call, one result per operation, idempotent by operation
//!   id) and `/pos/settlements` (the settlement credit, matched against the plan).
//!
//! `tiyn_banking::pos` decides everything (whose terminal, which permission, the audit, the
//! parsing of operations and masked card numbers); this module maps JSON and streams files. A
//! card number is never logged here: items are logged, if ever, by operation id only.

use std::io;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tiyn_banking::BankingError;
use tiyn_banking::pos::{
    OwnTerminal, PlannedCredit, PlannedSource, PosDayTotals, PosItemOutcome, PosOperation, PosSettlementInput,
    PosStatement, PosTotals, PosUse, RawPosOperation, RawPosTerminal, codes,
};
use tiyn_core::Amount;
use tiyn_core::iban::Iban;
use tiyn_statement::CsvDelimiter;
use tiyn_store::pos::{INGEST_BATCH_MAX, OPERATIONS_PAGE_MAX, PosCursor};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::authz::{Authenticated, RequestContext};
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::{ApiJson, ApiQuery};
use crate::money::{MoneyDto, MoneyInput};
use crate::statements::{ChannelWriter, StatementQuery, statement_lang};

/// Operations per JSON page when the client does not say.
pub const POS_PAGE_DEFAULT: usize = 100;

// ----- Terminals -----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PosTerminalDto {
    /// The acquirer's terminal id.
    #[schema(example = "T0012345")]
    pub terminal_id: String,
    pub address: String,
    /// `active`, `blocked` or `closed`.
    pub status: String,
    /// The IBAN of the account its settlements are credited to.
    pub settlement_account: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PosTerminalListDto {
    pub items: Vec<PosTerminalDto>,
    /// Always `null`: a partner's terminals fit one page.
    pub next_cursor: Option<String>,
}

impl From<&OwnTerminal> for PosTerminalDto {
    fn from(own: &OwnTerminal) -> PosTerminalDto {
        PosTerminalDto {
            terminal_id: own.terminal.terminal_id.clone(),
            address: own.terminal.address.clone(),
            status: own.terminal.status.as_str().to_owned(),
            settlement_account: own.account.iban.as_ref().map(|iban| iban.as_str().to_owned()).unwrap_or_default(),
        }
    }
}

/// The partner's POS terminals (R-3.1.2.4).
#[utoipa::path(get, path = "/pos/terminals", tag = "pos",
    responses((status = 200, body = PosTerminalListDto), (status = 403, body = ProblemDto)))]
pub async fn list_terminals(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<PosTerminalListDto>, ApiError> {
    let terminals = state.banking.pos_terminals(&principal).await.map_err(pos_error)?;
    Ok(Json(PosTerminalListDto { items: terminals.iter().map(PosTerminalDto::from).collect(), next_cursor: None }))
}

// ----- Operations -----

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PosTransactionsQuery {
    /// The terminal id (`T0012345`). Required.
    pub terminal: Option<String>,
    /// The first day, `YYYY-MM-DD` (Asia/Almaty). Required.
    pub from: Option<String>,
    /// The last day, included; at most 3 years after `from`. Required.
    pub to: Option<String>,
    /// `json` (the default), `csv`, `xlsx` or `pdf`.
    pub format: Option<String>,
    /// JSON: 1 to 1000 operations per page; 100 by default.
    pub limit: Option<usize>,
    /// JSON: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// The labels' language of the files: `ru` (default), `kk`, `en`.
    pub lang: Option<String>,
    /// CSV: `comma` (default) or `semicolon`.
    pub delimiter: Option<String>,
}

/// A file format of the operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosFormat {
    Json,
    Csv,
    Xlsx,
    Pdf,
}

impl PosFormat {
    const ALL: [PosFormat; 4] = [PosFormat::Json, PosFormat::Csv, PosFormat::Xlsx, PosFormat::Pdf];

    pub const fn name(self) -> &'static str {
        match self {
            PosFormat::Json => "json",
            PosFormat::Csv => "csv",
            PosFormat::Xlsx => "xlsx",
            PosFormat::Pdf => "pdf",
        }
    }

    const fn content_type(self) -> &'static str {
        match self {
            PosFormat::Json => "application/json",
            PosFormat::Csv => "text/csv; charset=utf-8",
            PosFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            PosFormat::Pdf => "application/pdf",
        }
    }
}

/// The query, parsed: every problem at once.
struct ParsedQuery {
    terminal: String,
    period: tiyn_statement::Period,
    format: PosFormat,
    limit: usize,
    cursor: Option<PosCursor>,
    lang: crate::Lang,
    delimiter: CsvDelimiter,
}

impl PosTransactionsQuery {
    fn parse(&self) -> Result<ParsedQuery, ApiError> {
        let mut errors = Vec::new();
        let terminal = self.terminal.as_deref().map(str::trim).filter(|text| !text.is_empty());
        if terminal.is_none() {
            errors.push(FieldError::new("terminal", "required", "terminal is required"));
        }
        let dates = StatementQuery { from: self.from.clone(), to: self.to.clone(), ..StatementQuery::default() };
        let period = match dates.period() {
            Ok(period) => Some(period),
            Err(ApiError::Invalid(fields)) => {
                errors.extend(fields);
                None
            }
            Err(other) => return Err(other),
        };
        let format = match self.format.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None => Some(PosFormat::Json),
            Some(name) => {
                let format = PosFormat::ALL.into_iter().find(|format| format.name().eq_ignore_ascii_case(name));
                if format.is_none() {
                    errors.push(FieldError::new("format", "unsupported_format", "json, csv, xlsx or pdf"));
                }
                format
            }
        };
        let limit = self.limit.unwrap_or(POS_PAGE_DEFAULT);
        if !(1..=OPERATIONS_PAGE_MAX).contains(&limit) {
            errors.push(FieldError::new("limit", "invalid_limit", "1 to 1000"));
        }
        let cursor = match self.cursor.as_deref().filter(|text| !text.is_empty()) {
            None => None,
            Some(text) => {
                let cursor = PosCursor::decode(text);
                if cursor.is_none() {
                    errors.push(FieldError::new("cursor", "invalid_cursor", "a next_cursor of a previous page"));
                }
                cursor
            }
        };
        let lang = match self.lang.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None => Some(crate::Lang::Ru),
            Some(tag) => {
                let lang = crate::Lang::parse(tag);
                if lang.is_none() {
                    errors.push(FieldError::new("lang", "unsupported_language", "ru, kk or en"));
                }
                lang
            }
        };
        let delimiter = match self.delimiter.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None | Some("comma") => CsvDelimiter::Comma,
            Some("semicolon") => CsvDelimiter::Semicolon,
            Some(_) => {
                errors.push(FieldError::new("delimiter", "unsupported_delimiter", "comma or semicolon"));
                CsvDelimiter::Comma
            }
        };
        match (terminal, period, format, lang) {
            (Some(terminal), Some(period), Some(format), Some(lang)) if errors.is_empty() => {
                Ok(ParsedQuery { terminal: terminal.to_owned(), period, format, limit, cursor, lang, delimiter })
            }
            _ => Err(ApiError::Invalid(errors)),
        }
    }
}

/// One card operation. The card number is masked: the first 6 and last 4 digits.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PosOperationDto {
    pub operation_id: String,
    pub terminal_id: String,
    /// RFC 3339 UTC.
    pub occurred_at: String,
    /// `purchase`, `refund` or `reversal`.
    pub kind: String,
    /// `approved`, `declined` or `settled`.
    pub status: String,
    #[schema(example = "440043******1234")]
    pub card: String,
    pub amount: MoneyDto,
    /// The acquiring fee.
    pub fee: MoneyDto,
    pub settlement_date: Option<String>,
    /// The settlement credit has arrived on the account.
    pub credited: bool,
}

impl From<&PosOperation> for PosOperationDto {
    fn from(operation: &PosOperation) -> PosOperationDto {
        PosOperationDto {
            operation_id: operation.operation_id.clone(),
            terminal_id: operation.terminal_id.clone(),
            occurred_at: operation.occurred_at.to_string(),
            kind: operation.kind.as_str().to_owned(),
            status: operation.status.as_str().to_owned(),
            card: operation.card.as_str().to_owned(),
            amount: operation.amount.into(),
            fee: operation.fee.into(),
            settlement_date: operation.settlement_date.map(|date| date.to_string()),
            credited: operation.credited,
        }
    }
}

/// A period's numbers: declined operations are counted, not summed; `net` = purchases − refunds
/// − reversals − fees.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PosTotalsDto {
    pub operations: u64,
    pub purchases: MoneyDto,
    pub refunds: MoneyDto,
    pub reversals: MoneyDto,
    pub fees: MoneyDto,
    pub net: MoneyDto,
}

impl PosTotalsDto {
    fn of(totals: &PosTotals) -> Result<PosTotalsDto, ApiError> {
        Ok(PosTotalsDto {
            operations: totals.operations,
            purchases: totals.purchases.into(),
            refunds: totals.refunds.into(),
            reversals: totals.reversals.into(),
            fees: totals.fees.into(),
            net: totals.net().map_err(ApiError::internal)?.into(),
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PosDayDto {
    pub date: String,
    pub totals: PosTotalsDto,
}

/// A page of a terminal's operations in a period, with the whole period's totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PosTransactionsDto {
    pub terminal: PosTerminalDto,
    pub from: String,
    pub to: String,
    pub totals: PosTotalsDto,
    /// Days with operations, in order.
    pub days: Vec<PosDayDto>,
    pub items: Vec<PosOperationDto>,
    pub next_cursor: Option<String>,
}

/// A terminal's card operations over a period of at most 3 years (R-3.1.2.4): JSON pages
/// (`limit`, `cursor`) with the period's totals and each day's, or the whole period as CSV,
/// XLSX or PDF with its totals (R-3.1.2.6; exporting needs the export service). Another
/// partner's terminal answers 404 like an unknown one.
#[utoipa::path(get, path = "/pos/transactions", tag = "pos", params(PosTransactionsQuery),
    responses(
        (status = 200, description = "The operations: JSON, or the file of the format asked for",
            content((PosTransactionsDto = "application/json"), (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (Vec<u8> = "application/pdf"))),
        (status = 403, body = ProblemDto), (status = 404, body = ProblemDto),
        (status = 422, description = "`required`, `invalid_date`, `period_reversed`, `period_too_long`, \
            `unsupported_format`, `invalid_limit`, `invalid_cursor`", body = ProblemDto),
    ))]
pub async fn list_transactions(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiQuery(query): ApiQuery<PosTransactionsQuery>,
) -> Result<Response, ApiError> {
    transactions_response(&state.banking, &context, &principal, &query).await
}

/// The operations as [`list_transactions`] answers them, for every edge that serves the same
/// files (the cabinet's download route calls it).
pub async fn transactions_response(
    banking: &tiyn_banking::Banking,
    context: &tiyn_identity::Context,
    principal: &tiyn_identity::Principal,
    query: &PosTransactionsQuery,
) -> Result<Response, ApiError> {
    // The terminal first: another partner's id answers 404 whatever the other parameters say.
    if let Some(terminal) = query.terminal.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        banking.pos_terminal_of(principal, terminal).await.map_err(pos_error)?;
    }
    let parsed = query.parse()?;
    let terminal = banking.pos_terminal_of(principal, &parsed.terminal).await.map_err(pos_error)?;
    let use_ = match parsed.format {
        PosFormat::Json => PosUse::View,
        other => PosUse::Export { format: other.name() },
    };
    let statement =
        banking.pos_statement(context, principal, terminal, parsed.period, use_).await.map_err(pos_error)?;
    match parsed.format {
        PosFormat::Json => {
            let page = statement.page(parsed.cursor, parsed.limit).await.map_err(pos_error)?;
            let next_cursor =
                if page.len() == parsed.limit { page.last().map(|last| PosCursor::of(last).encode()) } else { None };
            Ok(Json(PosTransactionsDto {
                terminal: PosTerminalDto::from(&statement.terminal),
                from: parsed.period.from().to_string(),
                to: parsed.period.to().to_string(),
                totals: PosTotalsDto::of(&statement.header.totals)?,
                days: days_dto(&statement.days)?,
                items: page.iter().map(PosOperationDto::from).collect(),
                next_cursor,
            })
            .into_response())
        }
        PosFormat::Pdf => pdf(statement, parsed.lang).await,
        streamed => streamed_export(statement, streamed, parsed.lang, parsed.delimiter),
    }
}

fn days_dto(days: &[PosDayTotals]) -> Result<Vec<PosDayDto>, ApiError> {
    days.iter()
        .map(|day| Ok(PosDayDto { date: day.date.to_string(), totals: PosTotalsDto::of(&day.totals)? }))
        .collect()
}

fn file_headers(
    statement: &PosStatement,
    format: PosFormat,
) -> Result<[(header::HeaderName, HeaderValue); 3], ApiError> {
    // Terminal ids are visible ASCII; anything else in a file name is replaced.
    let terminal: String = statement
        .terminal
        .terminal
        .terminal_id
        .chars()
        .map(|character| if character.is_ascii_alphanumeric() || character == '-' { character } else { '_' })
        .collect();
    let filename = format!("pos-{terminal}-{}-{}.{}", statement.period.from(), statement.period.to(), format.name());
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")).map_err(ApiError::internal)?;
    Ok([
        (header::CONTENT_TYPE, HeaderValue::from_static(format.content_type())),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
    ])
}

/// CSV or XLSX, written on a blocking thread into the response body as the pages come.
fn streamed_export(
    statement: PosStatement,
    format: PosFormat,
    lang: crate::Lang,
    delimiter: CsvDelimiter,
) -> Result<Response, ApiError> {
    let headers = file_headers(&statement, format)?;
    let (mut out, body) = ChannelWriter::body("the POS export stopped before its end");
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let operations = statement.blocking(runtime);
        let lang = statement_lang(lang);
        let header = &statement.header;
        let written = match format {
            PosFormat::Csv => tiyn_statement::pos::write_pos_csv(header, operations, delimiter, lang, &mut out),
            _ => tiyn_statement::pos::write_pos_xlsx(header, operations, &statement.days, lang, &mut out),
        };
        match written.and_then(|summary| out.finish().map(|()| summary).map_err(Into::into)) {
            Ok(summary) => tracing::debug!(terminal = %header.terminal_id, format = format.name(),
                operations = summary.operations, bytes = summary.bytes, "POS operations exported"),
            Err(tiyn_statement::pos::PosExportError::Io(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
                tracing::info!(terminal = %header.terminal_id, "the client left before the export was written");
            }
            Err(error) => {
                tracing::error!(terminal = %header.terminal_id, format = format.name(), code = error.code(), %error,
                    "a POS export failed part-way; the response ends with an error");
                out.abort(io::Error::other(error.code()));
            }
        }
    });
    Ok((headers, body).into_response())
}

/// The PDF, rendered whole on a blocking thread (two walks over the operations).
async fn pdf(statement: PosStatement, lang: crate::Lang) -> Result<Response, ApiError> {
    let headers = file_headers(&statement, PosFormat::Pdf)?;
    let runtime = tokio::runtime::Handle::current();
    let rendered = tokio::task::spawn_blocking(move || {
        let failure = std::cell::RefCell::new(None);
        let walk = || {
            statement.blocking(runtime.clone()).map_while(|operation| match operation {
                Ok(operation) => Some(operation),
                Err(error) => {
                    failure.borrow_mut().get_or_insert(error);
                    None
                }
            })
        };
        let lang = match lang {
            crate::Lang::Ru => tiyn_pdf::Lang::Ru,
            crate::Lang::Kk => tiyn_pdf::Lang::Kk,
            crate::Lang::En => tiyn_pdf::Lang::En,
        };
        let presentation = tiyn_pdf::Presentation::kazakhstan(lang);
        let result = tiyn_pdf::pos_operations(&statement.header, walk, &statement.days, &presentation);
        (result, failure.into_inner())
    })
    .await
    .map_err(ApiError::internal)?;
    match rendered {
        (_, Some(error)) => Err(ApiError::Internal(error)),
        (Ok(bytes), None) => Ok((headers, bytes).into_response()),
        (Err(error @ tiyn_pdf::RenderError::StatementTooLong { .. }), None) => {
            Err(ApiError::invalid("format", "statement_too_long_for_pdf", error.to_string()))
        }
        (Err(error), None) => Err(ApiError::Internal(format!("POS PDF ({}): {error}", error.code()))),
    }
}

// ----- Planned credits -----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedCreditDto {
    /// The account id the credit is expected on.
    pub account: String,
    pub iban: String,
    /// The settlement date (POS) or the payout's date (marketplace).
    pub expected_date: String,
    /// POS: purchases − refunds − reversals − acquiring fees; marketplace: the payout.
    pub amount: MoneyDto,
    /// `pos` (the acquirer's settlement) or `marketplace` (a payout of a marketplace report).
    #[schema(example = "pos")]
    pub source: String,
    /// POS operations it settles (`pos` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations: Option<u64>,
    /// The marketplace's report id (`marketplace` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    /// The payout's id in the report (`marketplace` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payout_id: Option<String>,
    /// Orders the payout covers (`marketplace` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedCreditListDto {
    pub items: Vec<PlannedCreditDto>,
    pub next_cursor: Option<String>,
}

impl From<&PlannedCredit> for PlannedCreditDto {
    fn from(credit: &PlannedCredit) -> PlannedCreditDto {
        let mut dto = PlannedCreditDto {
            account: credit.account.id.to_string(),
            iban: credit.account.iban.as_ref().map(|iban| iban.as_str().to_owned()).unwrap_or_default(),
            expected_date: credit.expected_date.to_string(),
            amount: credit.amount.into(),
            source: String::new(),
            operations: None,
            report_id: None,
            payout_id: None,
            orders: None,
        };
        match &credit.source {
            PlannedSource::Pos { operations } => {
                dto.source = "pos".to_owned();
                dto.operations = Some(*operations);
            }
            PlannedSource::Marketplace { report_id, payout_id, orders } => {
                dto.source = "marketplace".to_owned();
                dto.report_id = Some(report_id.clone());
                dto.payout_id = Some(payout_id.clone());
                dto.orders = Some(*orders);
            }
        }
        dto
    }
}

/// Scheduled incoming credits (R-3.1.2.5): the settlements of POS operations not yet credited,
/// per account and expected date, and the payouts of marketplace reports not yet credited; by
/// expected date, then account. A credit leaves the list when it arrives.
#[utoipa::path(get, path = "/planned-credits", tag = "pos",
    responses((status = 200, body = PlannedCreditListDto), (status = 403, body = ProblemDto)))]
pub async fn planned_credits(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
) -> Result<Json<PlannedCreditListDto>, ApiError> {
    let credits = state.banking.planned_credits(&context, &principal).await.map_err(pos_error)?;
    Ok(Json(PlannedCreditListDto { items: credits.iter().map(PlannedCreditDto::from).collect(), next_cursor: None }))
}

// ----- The acquirer's callbacks -----

/// A terminal as the acquirer registers or changes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PosTerminalInput {
    #[schema(example = "T0012345")]
    pub terminal_id: String,
    /// The BIN of the partner the terminal belongs to.
    pub partner_bin: String,
    pub address: String,
    /// `active`, `blocked` or `closed`.
    pub status: String,
    /// An account of that partner, where the settlements go.
    pub settlement_iban: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PosTerminalSavedDto {
    pub terminal: PosTerminalDto,
    /// `created`, `updated` or `unchanged`.
    pub outcome: String,
}

/// Registers a POS terminal or changes its address, status or settlement account.
#[utoipa::path(post, path = "/pos/terminals", tag = "gateway", request_body = PosTerminalInput,
    responses((status = 201, body = PosTerminalSavedDto), (status = 200, body = PosTerminalSavedDto),
        (status = 401, body = ProblemDto), (status = 409, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn register_terminal(
    State(state): State<ApiState>,
    ApiJson(input): ApiJson<PosTerminalInput>,
) -> Result<(StatusCode, Json<PosTerminalSavedDto>), ApiError> {
    let raw = RawPosTerminal {
        terminal_id: input.terminal_id,
        partner_bin: input.partner_bin,
        address: input.address,
        status: input.status,
        settlement_iban: input.settlement_iban,
    };
    let (terminal, saved) = state.banking.register_pos_terminal(&raw).await.map_err(pos_error)?;
    let iban = state
        .store
        .account(terminal.settlement_account)
        .await?
        .and_then(|account| account.iban)
        .map(|iban| iban.as_str().to_owned())
        .unwrap_or_default();
    let status = if saved == tiyn_store::pos::TerminalSaved::Created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((
        status,
        Json(PosTerminalSavedDto {
            terminal: PosTerminalDto {
                terminal_id: terminal.terminal_id,
                address: terminal.address,
                status: terminal.status.as_str().to_owned(),
                settlement_account: iban,
            },
            outcome: format!("{saved:?}").to_lowercase(),
        }),
    ))
}

/// One card operation as the acquirer sends it.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PosOperationInput {
    /// The acquirer's id: the idempotency key.
    pub operation_id: String,
    pub terminal_id: String,
    /// RFC 3339.
    pub occurred_at: String,
    /// `purchase`, `refund` or `reversal`.
    pub kind: String,
    /// `approved`, `declined` or `settled`.
    pub status: String,
    /// Masked: the first 6 and last 4 digits, `*` between (`440043******1234`). A full card
    /// number is refused (`full_card_number`) and never stored.
    pub card: String,
    pub amount: MoneyInput,
    /// The acquiring fee.
    pub fee: MoneyInput,
    /// `YYYY-MM-DD`; required when `status` is `settled`.
    pub settlement_date: Option<String>,
}

/// Never prints the card: whatever was sent stays out of logs.
impl std::fmt::Debug for PosOperationInput {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PosOperationInput")
            .field("operation_id", &self.operation_id)
            .field("terminal_id", &self.terminal_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PosOperationsInput {
    /// At most 1000.
    pub operations: Vec<PosOperationInput>,
}

/// What became of one operation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PosOperationResultDto {
    pub operation_id: String,
    /// `created`, `settled` (an approved operation sent again as settled, with its settlement
    /// date), `replayed` or `refused`.
    pub outcome: String,
    pub replayed: bool,
    /// Why it was refused: `full_card_number`, `invalid_masked_card`, `unknown_terminal`,
    /// `idempotency_conflict`, `currency_mismatch`, …
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PosOperationsResultDto {
    pub results: Vec<PosOperationResultDto>,
}

fn amount_text(money: &MoneyInput) -> String {
    match &money.amount {
        serde_json::Value::String(text) => text.clone(),
        // A JSON number is refused like every amount of the API: as an invalid amount.
        _ => String::new(),
    }
}

/// Card operations of POS terminals from the acquirer (at most 1000 per call), each with its own
/// result in order: `created`, `settled` (an operation sent before as approved, now settled with
/// its settlement date and otherwise the same), `replayed` (the same operation id with the same
/// content) or `refused` with a code (`idempotency_conflict` for the same id with other content,
/// `full_card_number` for an unmasked card number, which is never stored).
#[utoipa::path(post, path = "/pos/operations", tag = "gateway", request_body = PosOperationsInput,
    responses((status = 200, body = PosOperationsResultDto), (status = 401, body = ProblemDto),
        (status = 422, body = ProblemDto)))]
pub async fn ingest_operations(
    State(state): State<ApiState>,
    ApiJson(input): ApiJson<PosOperationsInput>,
) -> Result<Json<PosOperationsResultDto>, ApiError> {
    if input.operations.len() > INGEST_BATCH_MAX {
        return Err(ApiError::invalid(
            "operations",
            codes::TOO_MANY_OPERATIONS,
            format!("at most {INGEST_BATCH_MAX} operations per call"),
        ));
    }
    let raw: Vec<RawPosOperation> = input
        .operations
        .iter()
        .map(|operation| RawPosOperation {
            operation_id: operation.operation_id.clone(),
            terminal_id: operation.terminal_id.clone(),
            occurred_at: operation.occurred_at.clone(),
            kind: operation.kind.clone(),
            status: operation.status.clone(),
            card: operation.card.clone(),
            amount: amount_text(&operation.amount),
            currency: operation.amount.currency.clone(),
            fee: amount_text(&operation.fee),
            fee_currency: operation.fee.currency.clone(),
            settlement_date: operation.settlement_date.clone(),
        })
        .collect();
    let report = state.banking.ingest_pos_operations(&raw).await.map_err(pos_error)?;
    let results = input
        .operations
        .iter()
        .zip(report.outcomes)
        .map(|(operation, outcome)| {
            let (name, code, message) = match outcome {
                PosItemOutcome::Created { .. } => ("created", None, None),
                PosItemOutcome::Replayed { .. } => ("replayed", None, None),
                PosItemOutcome::Settled { .. } => ("settled", None, None),
                PosItemOutcome::Refused { code, detail } => ("refused", Some(code.to_owned()), Some(detail)),
            };
            PosOperationResultDto {
                operation_id: operation.operation_id.clone(),
                outcome: name.to_owned(),
                replayed: name == "replayed",
                code,
                message,
            }
        })
        .collect();
    Ok(Json(PosOperationsResultDto { results }))
}

/// The acquirer's settlement credit for one account and settlement date.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PosSettlementInputDto {
    pub settlement_account_iban: String,
    /// `YYYY-MM-DD`.
    pub settlement_date: String,
    pub amount: MoneyInput,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PosSettlementDto {
    /// The account credited.
    pub account: String,
    pub amount: MoneyDto,
    /// Operations that left the plan.
    pub operations: u64,
    pub replayed: bool,
}

/// The settlement credit of POS operations (R-3.1.2.5): it must equal the planned amount for
/// that account and date (else 422 `settlement_amount_mismatch`, naming both amounts); it is
/// booked like an incoming interbank credit and its operations leave the plan. A repeat changes
/// nothing (`replayed: true`).
#[utoipa::path(post, path = "/pos/settlements", tag = "gateway", request_body = PosSettlementInputDto,
    responses((status = 201, body = PosSettlementDto), (status = 200, body = PosSettlementDto),
        (status = 401, body = ProblemDto), (status = 404, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn settle(
    State(state): State<ApiState>,
    ApiJson(input): ApiJson<PosSettlementInputDto>,
) -> Result<(StatusCode, Json<PosSettlementDto>), ApiError> {
    let mut errors = Vec::new();
    let iban = Iban::parse(input.settlement_account_iban.trim())
        .map_err(|error| errors.push(FieldError::new("settlement_account_iban", error.code(), error.to_string())))
        .ok();
    let date = input
        .settlement_date
        .trim()
        .parse::<jiff::civil::Date>()
        .ok()
        .filter(|_| input.settlement_date.trim().len() == 10);
    if date.is_none() {
        errors.push(FieldError::new("settlement_date", "invalid_date", "a date as YYYY-MM-DD"));
    }
    let amount = input
        .amount
        .parse("amount")
        .and_then(|money| {
            Amount::new(money).map_err(|error| FieldError::new("amount.amount", error.code(), error.to_string()))
        })
        .map_err(|error| errors.push(error))
        .ok();
    let (Some(iban), Some(date), Some(amount)) = (iban, date, amount) else {
        return Err(ApiError::Invalid(errors));
    };
    let settled = state
        .banking
        .settle_pos(&PosSettlementInput { settlement_account_iban: iban, settlement_date: date, amount })
        .await
        .map_err(pos_error)?;
    let status = if settled.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((
        status,
        Json(PosSettlementDto {
            account: settled.account.to_string(),
            amount: settled.amount.into(),
            operations: settled.operations,
            replayed: settled.replayed,
        }),
    ))
}

/// The POS refusals with their fields: the settlement's amount, the plan, the rest as usual.
pub fn pos_error(error: BankingError) -> ApiError {
    match error {
        BankingError::Message(code @ codes::SETTLEMENT_AMOUNT_MISMATCH, detail) => {
            ApiError::invalid("amount", code, detail)
        }
        BankingError::Message(code @ codes::NO_PLANNED_CREDIT, detail) => {
            ApiError::invalid("settlement_date", code, detail)
        }
        BankingError::Message(code @ codes::SETTLEMENT_RETURNED, detail) => {
            ApiError::invalid("amount.currency", code, detail)
        }
        BankingError::Conflict(code) => ApiError::Conflict {
            code,
            detail: match code {
                codes::TERMINAL_OF_ANOTHER_PARTNER => "this terminal id is registered for another partner",
                tiyn_store::pos::SETTLEMENT_CHANGED => {
                    "the planned operations changed while the settlement was matched; send it again"
                }
                _ => "refused by the current state",
            }
            .to_owned(),
        },
        other => other.into(),
    }
}
