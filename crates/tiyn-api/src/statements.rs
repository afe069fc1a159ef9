//! `GET /api/v1/accounts/{id}/statement?from=&to=&format=`: the account statement (R-3.1.2.1,
//! R-3.1.2.3, R-6.3.1, R-6.4.6) as JSON, or exported (R-3.1.2.6, R-3.1.2.7) as CSV, XLSX, MT940,
//! camt.053, 1C or PDF.
//!
//! `tiyn_banking::statements` decides whose account it is, whether the user may see (and export)
//! it, and records the read; `tiyn_statement` and `tiyn_pdf` write the formats; this module parses
//! the query, maps the statement onto JSON, and streams the files.
//!
//! - **JSON** is for screens and moderate periods: at most [`STATEMENT_JSON_OPERATIONS_MAX`]
//!   operations, else 422 `statement_too_large_for_json` (take CSV or XLSX, or a shorter period).
//!   It carries every day of the period with its turnovers and closing balance.
//! - **CSV, XLSX, MT940, camt.053, 1C** are streamed: the writer runs on a blocking thread, reads
//!   the lines page by page from the store, and hands the body over in chunks through a bounded
//!   channel, so memory stays flat for any length. A failure after the first bytes ends the body
//!   with an error (the client sees a broken transfer, never a short file that looks whole); it is
//!   logged with its code.
//! - **PDF** is rendered whole (the PDF writer holds its pages), refused past its page bound with
//!   422 `statement_too_long_for_pdf`.

use std::io;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use http_body_util::channel::{Channel, Sender};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tiyn_banking::statements::{AccountStatement, StatementUse};
use tiyn_core::AccountId;
use tiyn_statement::{
    Camt053Options, Cp1251Fallback, CsvDelimiter, CsvOptions, DailyTurnovers, DayTurnover, Mt940Options, OneCEncoding,
    OneCOptions, Period, PeriodError, StatementError, StatementHeader, StatementLine, TurnoverCheck, XlsxOptions,
};
use utoipa::{IntoParams, ToSchema};

/// The line's direction and kind, for the edges that lay lines out themselves (the cabinet).
pub use tiyn_statement::{Direction, LineKind};

use crate::ApiState;
use crate::authz::{Authenticated, RequestContext};
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::{ApiPath, ApiQuery};
use crate::money::MoneyDto;

/// The most operations a JSON statement carries: a response of some megabytes that a browser
/// or an integration still parses at once. Longer statements are exported (CSV and XLSX stream
/// any length).
pub const STATEMENT_JSON_OPERATIONS_MAX: u64 = 10_000;
/// The code of a statement too long for JSON.
pub const STATEMENT_TOO_LARGE_FOR_JSON: &str = "statement_too_large_for_json";
/// Bytes the streamed exports hand to the connection at once.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks waiting for a slow client before the writer waits: the memory of one download.
const CHUNKS_QUEUED_MAX: usize = 4;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// The first day, `YYYY-MM-DD` (Asia/Almaty business date). Required.
    pub from: Option<String>,
    /// The last day, included, `YYYY-MM-DD`; at most 3 years after `from`. Required.
    pub to: Option<String>,
    /// `json` (the default), `csv`, `xlsx`, `pdf`, `mt940`, `camt053` or `1c`.
    pub format: Option<String>,
    /// The language of the labels of CSV, XLSX and PDF: `ru` (the default), `kk` or `en`. The
    /// data is shown as it was entered.
    pub lang: Option<String>,
    /// CSV only: `comma` (the default) or `semicolon`, what Excel expects where the comma is the
    /// decimal separator (Russian and Kazakh locales).
    pub delimiter: Option<String>,
    /// 1C only: `utf-8` (the default) or `windows-1251`, 1C's own default. Windows-1251 has no
    /// Kazakh letters but І: they are written as their Russian look-alikes (Қ as К, Ә as А, …).
    pub encoding: Option<String>,
}

/// A statement's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Xlsx,
    Pdf,
    Mt940,
    Camt053,
    OneC,
}

impl Format {
    const ALL: [Format; 7] =
        [Format::Json, Format::Csv, Format::Xlsx, Format::Pdf, Format::Mt940, Format::Camt053, Format::OneC];

    /// The `format` parameter's spelling (and the audit trail's).
    const fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
            Format::Mt940 => "mt940",
            Format::Camt053 => "camt053",
            Format::OneC => "1c",
        }
    }

    const fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
            // SWIFT's character set by default (Cyrillic transliterated): ASCII, a subset of UTF-8.
            Format::Mt940 => "text/plain; charset=utf-8",
            Format::Camt053 => "application/xml",
            // 1CClientBankExchange in UTF-8 (`Кодировка=UTF-8`).
            Format::OneC => "text/plain; charset=utf-8",
        }
    }

    /// The file name's extension: what the importing programs look for (`.sta` for MT940, the
    /// `kl_to_1c.txt` convention's `.txt` for 1C).
    const fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
            Format::Mt940 => "sta",
            Format::Camt053 => "xml",
            Format::OneC => "txt",
        }
    }
}

/// The query, parsed: every problem at once.
struct Parsed {
    period: Period,
    format: Format,
    lang: crate::Lang,
    options: ExportOptions,
}

/// The per-format options of an export.
#[derive(Debug, Clone, Copy, Default)]
struct ExportOptions {
    delimiter: CsvDelimiter,
    encoding: OneCEncoding,
}

impl ExportOptions {
    fn parse(query: &StatementQuery, errors: &mut Vec<FieldError>) -> ExportOptions {
        let given = |value: &Option<String>| {
            value.as_deref().map(str::trim).filter(|value| !value.is_empty()).map(str::to_ascii_lowercase)
        };
        let delimiter = match given(&query.delimiter).as_deref() {
            None | Some("comma") => CsvDelimiter::Comma,
            Some("semicolon") => CsvDelimiter::Semicolon,
            Some(_) => {
                errors.push(FieldError::new("delimiter", "unsupported_delimiter", "comma or semicolon"));
                CsvDelimiter::Comma
            }
        };
        let encoding = match given(&query.encoding).as_deref() {
            None | Some("utf-8" | "utf8") => OneCEncoding::Utf8,
            Some("windows-1251" | "cp1251") => OneCEncoding::Windows1251(Cp1251Fallback::Substitute),
            Some(_) => {
                errors.push(FieldError::new("encoding", "unsupported_encoding", "utf-8 or windows-1251"));
                OneCEncoding::Utf8
            }
        };
        ExportOptions { delimiter, encoding }
    }

    /// The file's content type: 1C's charset follows its encoding.
    fn content_type(self, format: Format) -> &'static str {
        match (format, self.encoding) {
            (Format::OneC, OneCEncoding::Windows1251(_)) => "text/plain; charset=windows-1251",
            _ => format.content_type(),
        }
    }
}

impl StatementQuery {
    /// The period alone (`from` and `to`), refused as the API refuses it: `required`,
    /// `invalid_date`, `period_reversed`, `period_too_long`, on the field `from` or `to`.
    pub fn period(&self) -> Result<Period, ApiError> {
        let dates = StatementQuery { from: self.from.clone(), to: self.to.clone(), ..StatementQuery::default() };
        dates.parse().map(|parsed| parsed.period)
    }

    fn parse(&self) -> Result<Parsed, ApiError> {
        let mut errors = Vec::new();
        let from = date_field(self.from.as_deref(), "from", &mut errors);
        let to = date_field(self.to.as_deref(), "to", &mut errors);
        let format = match self.format.as_deref().map(str::trim).filter(|format| !format.is_empty()) {
            None => Some(Format::Json),
            Some(name) => {
                let format = Format::ALL.into_iter().find(|format| format.name().eq_ignore_ascii_case(name));
                if format.is_none() {
                    errors.push(FieldError::new(
                        "format",
                        "unsupported_format",
                        "json, csv, xlsx, pdf, mt940, camt053 or 1c",
                    ));
                }
                format
            }
        };
        let lang = match self.lang.as_deref().map(str::trim).filter(|lang| !lang.is_empty()) {
            None => Some(crate::Lang::Ru),
            Some(tag) => {
                let lang = crate::Lang::parse(tag);
                if lang.is_none() {
                    errors.push(FieldError::new("lang", "unsupported_language", "ru, kk or en"));
                }
                lang
            }
        };
        let period = match (from, to) {
            (Some(from), Some(to)) => match Period::new(from, to) {
                Ok(period) => Some(period),
                Err(error) => {
                    errors.push(period_error(&error));
                    None
                }
            },
            _ => None,
        };
        let options = ExportOptions::parse(self, &mut errors);
        match (period, format, lang) {
            (Some(period), Some(format), Some(lang)) if errors.is_empty() => {
                Ok(Parsed { period, format, lang, options })
            }
            _ => Err(ApiError::Invalid(errors)),
        }
    }
}

fn date_field(text: Option<&str>, field: &'static str, errors: &mut Vec<FieldError>) -> Option<Date> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => {
            errors.push(FieldError::new(field, "required", format!("{field} is required (YYYY-MM-DD)")));
            None
        }
        Some(text) => match text.parse::<Date>() {
            Ok(date) if text.len() == 10 => Some(date),
            _ => {
                errors.push(FieldError::new(field, "invalid_date", "a date as YYYY-MM-DD"));
                None
            }
        },
    }
}

fn period_error(error: &PeriodError) -> FieldError {
    FieldError::new("to", error.code(), error.to_string())
}

// ----- JSON -----

/// The bank that keeps the account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementBankDto {
    pub name: String,
    #[schema(example = "TIYNKZKA")]
    pub bic: String,
}

/// The account and its holder.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementAccountDto {
    pub id: String,
    pub iban: String,
    #[schema(example = "KZT")]
    pub currency: String,
    pub holder_name: String,
    /// The holder's BIN (or IIN).
    pub holder_id: String,
}

/// Debit and credit sums.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TurnoverDto {
    pub debit: MoneyDto,
    pub credit: MoneyDto,
}

/// Who paid or was paid. `name` is `—` when the ledger does not know it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CounterpartyDto {
    pub name: String,
    /// BIN or IIN.
    pub taxpayer_id: Option<String>,
    /// IBAN (or an account number as the document gave it).
    pub account: Option<String>,
    pub bic: Option<String>,
}

/// One operation. Exactly one of `debit` and `credit` is present; a payment's commission is a
/// line of its own (`kind` `commission`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLineDto {
    /// The ledger entry: the line's reference in every format.
    pub entry: String,
    /// RFC 3339 UTC.
    pub booked_at: String,
    /// The business day the line counts for (Asia/Almaty).
    pub booking_date: String,
    pub value_date: String,
    /// `payment`, `commission`, `incoming_credit`, `conversion`, `collection`, `reversal`,
    /// `opening_balance`.
    pub kind: String,
    pub debit: Option<MoneyDto>,
    pub credit: Option<MoneyDto>,
    pub document_number: Option<String>,
    pub counterparty: CounterpartyDto,
    pub knp: Option<String>,
    pub purpose: String,
}

/// A day of the period: its turnovers and the balance at its end. Days without operations are
/// listed too.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementDayDto {
    pub date: String,
    pub debit: MoneyDto,
    pub credit: MoneyDto,
    pub closing: MoneyDto,
}

/// An account statement: opening + credits − debits = closing, and the lines add up to the
/// turnovers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementDto {
    /// The statement's own reference.
    pub reference: String,
    /// When it was made, RFC 3339 UTC.
    pub created_at: String,
    pub bank: StatementBankDto,
    pub account: StatementAccountDto,
    pub from: String,
    pub to: String,
    /// The balance at the start of `from`.
    pub opening: MoneyDto,
    /// The balance at the end of `to`.
    pub closing: MoneyDto,
    pub turnover: TurnoverDto,
    /// Operations in the period (a payment with a commission is one operation, two lines).
    pub operations: u64,
    pub lines: Vec<StatementLineDto>,
    pub days: Vec<StatementDayDto>,
}

impl From<&StatementLine> for StatementLineDto {
    fn from(line: &StatementLine) -> StatementLineDto {
        let (debit, credit) = match line.direction {
            Direction::Debit => (Some(line.amount.into()), None),
            Direction::Credit => (None, Some(line.amount.into())),
        };
        StatementLineDto {
            entry: line.entry.to_string(),
            booked_at: line.booked_at.to_string(),
            booking_date: line.booking_date.to_string(),
            value_date: line.value_date.to_string(),
            kind: line.kind.as_str().to_owned(),
            debit,
            credit,
            document_number: line.document_number.clone(),
            counterparty: CounterpartyDto {
                name: line.counterparty.name.clone(),
                taxpayer_id: line.counterparty.taxpayer_id.map(|id| id.to_string()),
                account: line.counterparty.account.as_ref().map(|account| account.as_str().to_owned()),
                bic: line.counterparty.bic.as_ref().map(|bic| bic.as_str().to_owned()),
            },
            knp: line.knp.map(|knp| knp.to_string()),
            purpose: line.purpose.clone(),
        }
    }
}

impl From<DayTurnover> for StatementDayDto {
    fn from(day: DayTurnover) -> StatementDayDto {
        StatementDayDto {
            date: day.date.to_string(),
            debit: day.turnover.debit.into(),
            credit: day.turnover.credit.into(),
            closing: day.closing.into(),
        }
    }
}

/// The account's statement for a period of at most 3 years (R-3.1.2.1, R-6.3.1, R-6.4.6), from
/// the ledger: opening balance, every operation (a commission as its own line), each day's
/// turnovers and closing balance, the period's turnovers and closing balance. `format` chooses
/// JSON (at most 10,000 operations) or a file: CSV, XLSX, MT940, camt.053, 1C (streamed, any
/// length) or PDF. Files are named `statement-<IBAN>-<from>-<to>.<ext>`. Another partner's account
/// answers 404 like an unknown one; exporting needs the export service (R-3.1.2.6).
#[utoipa::path(get, path = "/accounts/{id}/statement", tag = "accounts",
    params(("id" = String, Path, description = "Account id"), StatementQuery),
    responses(
        (status = 200, description = "The statement: JSON, or the file of the format asked for",
            content(
                (StatementDto = "application/json"),
                (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (Vec<u8> = "application/pdf"),
                (String = "application/xml"),
                (String = "text/plain"),
            )),
        (status = 403, description = "Statements or their export are withheld from this user (`access_level_insufficient`)",
            body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "No such account of this partner", body = ProblemDto,
            content_type = "application/problem+json"),
        (status = 422, description = "`required`, `invalid_date`, `period_reversed`, `period_too_long`, \
            `unsupported_format`, `unsupported_language`, `statement_too_large_for_json`, `statement_too_long_for_pdf`",
            body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn account_statement(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Response, ApiError> {
    let id = id.parse::<i64>().map(AccountId::new).map_err(|_| ApiError::NotFound { what: "account" })?;
    statement_response(&state.banking, &context, &principal, id, &query).await
}

/// The statement of account `id` as [`account_statement`] answers it, for every edge that serves
/// the same files (the cabinet's download route calls it with a file `format`): the account gate,
/// the query, the permissions, the audit record, the JSON or the streamed file.
pub async fn statement_response(
    banking: &tiyn_banking::Banking,
    context: &tiyn_identity::Context,
    principal: &tiyn_identity::Principal,
    id: AccountId,
    query: &StatementQuery,
) -> Result<Response, ApiError> {
    // The account first: another partner's id answers 404 whatever the parameters say.
    let account = banking.statement_account(principal, id).await?;
    let Parsed { period, format, lang, options } = query.parse()?;
    let prepared = banking.statement(principal, &account, period).await?;
    if format == Format::Json && prepared.operations > STATEMENT_JSON_OPERATIONS_MAX {
        return Err(ApiError::invalid(
            "format",
            STATEMENT_TOO_LARGE_FOR_JSON,
            format!(
                "the period has {} operations; JSON carries at most {STATEMENT_JSON_OPERATIONS_MAX}: \
                 export it as csv or xlsx, or ask for a shorter period",
                prepared.operations
            ),
        ));
    }
    let use_ = match format {
        Format::Json => StatementUse::View,
        other => StatementUse::Export { format: other.name() },
    };
    let statement = prepared.open(banking, context, principal, use_).await?;
    match format {
        Format::Json => Ok(Json(json_statement(&statement).await?).into_response()),
        Format::Pdf => pdf(statement, lang).await,
        streamed => streamed_export(statement, streamed, lang, options),
    }
}

/// One step of [`walk_statement`].
#[derive(Debug)]
pub enum StatementItem<'a> {
    /// An operation's line, in the statement's order.
    Line(&'a StatementLine),
    /// A day of the period, after its lines: its turnovers and closing balance. Every day of the
    /// period comes, those without lines too.
    Day(DayTurnover),
}

/// Walks an opened statement's lines from the store, checking them against the header
/// ([`TurnoverCheck`]) and closing each day ([`DailyTurnovers`]): the JSON's walk, and the
/// cabinet's statement page's.
pub async fn walk_statement(
    statement: &AccountStatement,
    mut visit: impl FnMut(StatementItem<'_>) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let header = &statement.header;
    let inconsistent = |error: StatementError| ApiError::Internal(format!("statement {}: {error}", header.reference));
    let mut check = TurnoverCheck::new(header);
    let mut days = DailyTurnovers::new(header);
    let mut reader = statement.lines.reader();
    while let Some(page) = reader.next_page().await? {
        for line in page {
            if let Some(closed) = check.push(&line).map_err(inconsistent)? {
                days.through(closed, |day| visit(StatementItem::Day(day)))?;
            }
            visit(StatementItem::Line(&line))?;
        }
    }
    if let Some(last) = check.finish().map_err(inconsistent)? {
        days.through(last, |day| visit(StatementItem::Day(day)))?;
    }
    days.finish(|day| visit(StatementItem::Day(day)))?;
    Ok(())
}

/// The whole statement as JSON, the days completed with [`DailyTurnovers`].
async fn json_statement(statement: &AccountStatement) -> Result<StatementDto, ApiError> {
    let header = &statement.header;
    let mut day_dtos = Vec::new();
    let mut lines = Vec::new();
    walk_statement(statement, |item| {
        match item {
            StatementItem::Line(line) => lines.push(StatementLineDto::from(line)),
            StatementItem::Day(day) => day_dtos.push(StatementDayDto::from(day)),
        }
        Ok(())
    })
    .await?;
    debug_assert_eq!(day_dtos.len(), header.period.days() as usize, "every day of the period, once");
    Ok(StatementDto {
        reference: header.reference.clone(),
        created_at: header.created_at.to_string(),
        bank: StatementBankDto { name: header.bank_name.clone(), bic: header.bank_bic.as_str().to_owned() },
        account: StatementAccountDto {
            id: statement.account.id.to_string(),
            iban: header.account_iban.as_str().to_owned(),
            currency: header.currency.code().to_owned(),
            holder_name: header.holder_name.clone(),
            holder_id: header.holder_id.to_string(),
        },
        from: header.period.from().to_string(),
        to: header.period.to().to_string(),
        opening: header.opening.into(),
        closing: header.closing.into(),
        turnover: TurnoverDto { debit: header.turnover.debit.into(), credit: header.turnover.credit.into() },
        operations: statement.operations,
        lines,
        days: day_dtos,
    })
}

// ----- Files -----

/// How many operations a file carries, for a progress indicator while it downloads (a
/// commission is a line of its own, so a file may have more lines).
pub const EXPORT_OPERATIONS_HEADER: &str = "x-export-operations";

fn file_headers(
    header: &StatementHeader,
    format: Format,
    content_type: &'static str,
    operations: u64,
) -> Result<[(header::HeaderName, HeaderValue); 4], ApiError> {
    // The IBAN is A–Z and digits, dates are digits and `-`: the name needs no quoting rules.
    let filename = format!(
        "statement-{}-{}-{}.{}",
        header.account_iban.as_str(),
        header.period.from(),
        header.period.to(),
        format.extension()
    );
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")).map_err(ApiError::internal)?;
    Ok([
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_DISPOSITION, disposition),
        // An account's operations stay out of shared caches and the browser's disk cache.
        (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        (header::HeaderName::from_static(EXPORT_OPERATIONS_HEADER), HeaderValue::from(operations)),
    ])
}

pub(crate) fn statement_lang(lang: crate::Lang) -> tiyn_statement::Lang {
    match lang {
        crate::Lang::Ru => tiyn_statement::Lang::Ru,
        crate::Lang::Kk => tiyn_statement::Lang::Kk,
        crate::Lang::En => tiyn_statement::Lang::En,
    }
}

pub(crate) fn pdf_lang(lang: crate::Lang) -> tiyn_pdf::Lang {
    match lang {
        crate::Lang::Ru => tiyn_pdf::Lang::Ru,
        crate::Lang::Kk => tiyn_pdf::Lang::Kk,
        crate::Lang::En => tiyn_pdf::Lang::En,
    }
}

/// CSV, XLSX, MT940, camt.053 or 1C, written on a blocking thread into the response body as the
/// lines come from the store.
fn streamed_export(
    statement: AccountStatement,
    format: Format,
    lang: crate::Lang,
    options: ExportOptions,
) -> Result<Response, ApiError> {
    let headers = file_headers(&statement.header, format, options.content_type(format), statement.operations)?;
    let (mut out, body) = ChannelWriter::body("the statement export stopped before its end");
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let header = &statement.header;
        let lines = statement.lines.blocking(runtime);
        let lang = statement_lang(lang);
        let written = match format {
            Format::Csv => {
                let csv = CsvOptions { lang, delimiter: options.delimiter };
                tiyn_statement::write_csv(header, lines, &csv, &mut out)
            }
            Format::Xlsx => {
                tiyn_statement::write_xlsx(header, lines, &XlsxOptions { lang, ..XlsxOptions::default() }, &mut out)
            }
            Format::Mt940 => tiyn_statement::write_mt940(header, lines, &Mt940Options::default(), &mut out),
            Format::Camt053 => tiyn_statement::write_camt053(header, lines, &Camt053Options::default(), &mut out),
            Format::OneC => {
                let onec = OneCOptions { encoding: options.encoding, ..OneCOptions::default() };
                tiyn_statement::write_onec(header, lines, &onec, &mut out)
            }
            Format::Json | Format::Pdf => unreachable!("JSON and PDF are not streamed"),
        };
        match written.and_then(|summary| out.finish().map(|()| summary).map_err(StatementError::from)) {
            Ok(summary) => tracing::debug!(
                reference = %header.reference, format = format.name(), lines = summary.lines, bytes = summary.bytes,
                "statement exported"
            ),
            Err(StatementError::Io(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
                tracing::info!(reference = %header.reference, "the client left before the statement was written");
            }
            Err(error) => {
                tracing::error!(reference = %header.reference, format = format.name(), code = error.code(), %error,
                    "a statement export failed part-way; the response ends with an error");
                out.abort(io::Error::other(error.code()));
            }
        }
    });
    Ok((headers, body).into_response())
}

/// The response body as an `io::Write`: bytes are gathered into chunks and handed to the
/// connection, waiting (on the blocking thread) while the client is slow. For every streamed file
/// (statements, POS operations).
pub(crate) struct ChannelWriter {
    sender: Option<Sender<Bytes, io::Error>>,
    runtime: tokio::runtime::Handle,
    buffer: Vec<u8>,
    /// Why the body ends in an error when the writer is dropped before [`ChannelWriter::finish`].
    unfinished: &'static str,
}

impl ChannelWriter {
    /// A writer and the response body it feeds; call it on the runtime, write on a blocking
    /// thread.
    pub(crate) fn body(unfinished: &'static str) -> (ChannelWriter, Body) {
        let (sender, body) = Channel::<Bytes, io::Error>::new(CHUNKS_QUEUED_MAX);
        let runtime = tokio::runtime::Handle::current();
        (ChannelWriter { sender: Some(sender), runtime, buffer: Vec::new(), unfinished }, Body::new(body))
    }

    fn send_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK_BYTES)));
        let sender = self.sender.as_mut().ok_or_else(|| io::Error::from(io::ErrorKind::BrokenPipe))?;
        self.runtime
            .block_on(sender.send_data(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client closed the connection"))
    }

    /// Sends what is left and ends the body.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.send_buffer()?;
        self.sender = None;
        Ok(())
    }

    /// Ends the body with an error, so the client cannot take what it got for the whole file.
    pub(crate) fn abort(&mut self, error: io::Error) {
        if let Some(sender) = self.sender.take() {
            sender.abort(error);
        }
    }
}

/// A writer dropped before [`ChannelWriter::finish`] (a panic on the blocking thread) must not end
/// the body as if the file were whole.
impl Drop for ChannelWriter {
    fn drop(&mut self) {
        self.abort(io::Error::other(self.unfinished));
    }
}

impl io::Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK_BYTES {
            self.send_buffer()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

/// The PDF, rendered whole on a blocking thread (two walks over the lines: see
/// `tiyn_pdf::account_statement`).
async fn pdf(statement: AccountStatement, lang: crate::Lang) -> Result<Response, ApiError> {
    let headers = file_headers(&statement.header, Format::Pdf, Format::Pdf.content_type(), statement.operations)?;
    let runtime = tokio::runtime::Handle::current();
    let rendered = tokio::task::spawn_blocking(move || {
        // The PDF takes plain lines: a store error ends the walk, is kept here, and wins over the
        // inconsistency the PDF then reports.
        let failure = std::cell::RefCell::new(None);
        let walk = || {
            statement.lines.blocking(runtime.clone()).map_while(|line| match line {
                Ok(line) => Some(line),
                Err(error) => {
                    failure.borrow_mut().get_or_insert(error);
                    None
                }
            })
        };
        let presentation = tiyn_pdf::Presentation::kazakhstan(pdf_lang(lang));
        let result = tiyn_pdf::account_statement(&statement.header, walk, &presentation);
        (result, failure.into_inner())
    })
    .await
    .map_err(ApiError::internal)?;
    match rendered {
        (_, Some(error)) => Err(error.into()),
        (Ok(bytes), None) => Ok((headers, bytes).into_response()),
        (Err(error @ tiyn_pdf::RenderError::StatementTooLong { .. }), None) => {
            Err(ApiError::invalid("format", "statement_too_long_for_pdf", error.to_string()))
        }
        (Err(error), None) => Err(ApiError::Internal(format!("statement PDF ({}): {error}", error.code()))),
    }
}
