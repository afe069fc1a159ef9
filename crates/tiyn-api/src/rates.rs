//! The bank's FX rates over HTTP (issue 5, R-13.2, R-3.1.1.4): partners read the rates in force
//! (`GET /api/v1/rates?date=`), with the National Bank's official rates as reference, and a
//! pair's history (`GET /api/v1/rates/history`); the bank's operators set rates and import the
//! NBK's XML under `/api/admin/v1/rates`.
//!
//! Rates are decimal strings, like amounts: a JSON number where a rate is expected is refused
//! with the field's name, so no client ever sends a float.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use tiyn_banking::rates::{RateFieldError, RatePeriod, RatesOn, RawRate, fields, parse_date};
use tiyn_core::Currency;
use tiyn_fx::nbk::{NBK_XML_BYTES_MAX, NbkError};
use tiyn_fx::{DealingRate, Pair};
use tiyn_store::fx::{NbkImport, NbkRateRecord};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::admin::Operator;
use crate::authz::RequestContext;
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::{ApiJson, ApiQuery};

/// A dealing rate: the bank buys the base currency at `buy` and sells it at `sell` (units of the
/// quote currency per one unit of the base), from `valid_from` on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateDto {
    /// The rate's id: a conversion names the rate it used.
    #[schema(example = "12")]
    pub id: String,
    #[schema(example = "USD")]
    pub base: String,
    #[schema(example = "KZT")]
    pub quote: String,
    /// Decimal string, at least 2 and at most 6 decimals.
    #[schema(example = "470.00")]
    pub buy: String,
    #[schema(example = "480.00")]
    pub sell: String,
    /// RFC 3339 UTC.
    pub valid_from: String,
}

impl From<&DealingRate> for RateDto {
    fn from(rate: &DealingRate) -> RateDto {
        RateDto {
            id: rate.id().to_string(),
            base: rate.pair().base().code().to_owned(),
            quote: rate.pair().quote().code().to_owned(),
            buy: rate.buy().to_string(),
            sell: rate.sell().to_string(),
            valid_from: rate.valid_from().to_string(),
        }
    }
}

/// One currency's official rate of the National Bank of Kazakhstan: reference, not a dealing
/// rate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficialRateDto {
    /// ISO 4217 code as the NBK publishes it (codes Tiyn does not support are listed too).
    #[schema(example = "JPY")]
    pub code: String,
    /// The NBK's Russian name (empty when the imported file had none).
    pub name: String,
    /// Tenge per one unit, exact (`"2.92"` for 292.00 per 100 yen).
    #[schema(example = "2.92")]
    pub rate: String,
    /// The quantity the NBK published the rate for.
    #[schema(example = 100)]
    pub quant: u32,
    /// The rate as published: tenge per `quant` units.
    #[schema(example = "292.00")]
    pub published: String,
}

impl From<&NbkRateRecord> for OfficialRateDto {
    fn from(record: &NbkRateRecord) -> OfficialRateDto {
        let rate = &record.rate;
        OfficialRateDto {
            code: rate.code.clone(),
            name: rate.name.clone(),
            rate: rate.per_unit.to_string(),
            quant: rate.quant,
            published: rate.published().to_string(),
        }
    }
}

/// One day's official rates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficialRatesDto {
    /// The day they were set for: the day asked for, or the latest day before it with rates
    /// imported (an official rate stays in force until the next one).
    pub date: String,
    pub items: Vec<OfficialRateDto>,
}

/// The rates in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatesDto {
    /// The business date (Asia/Almaty) asked for; today when none.
    pub date: String,
    /// The instant the rates are in force at: the end of that day, or now for today.
    pub at: String,
    /// Per pair, the rate in force at `at`.
    pub rates: Vec<RateDto>,
    /// The National Bank's official rates then; `null` when none were imported.
    pub official: Option<OfficialRatesDto>,
}

impl From<&RatesOn> for RatesDto {
    fn from(on: &RatesOn) -> RatesDto {
        RatesDto {
            date: on.date.to_string(),
            at: on.rates.instant().to_string(),
            rates: on.rates.all().iter().map(RateDto::from).collect(),
            official: on.official.as_ref().map(|official| OfficialRatesDto {
                date: official.date.to_string(),
                items: official.items.iter().map(OfficialRateDto::from).collect(),
            }),
        }
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    /// A business date, `YYYY-MM-DD` (Asia/Almaty), not in the future; none: now.
    pub date: Option<String>,
}

fn field_errors(errors: Vec<RateFieldError>) -> ApiError {
    ApiError::Invalid(errors.into_iter().map(|error| FieldError::new(error.field, error.code, error.detail)).collect())
}

fn today(state: &ApiState) -> jiff::civil::Date {
    tiyn_identity::business_date(state.banking.now())
}

/// The bank's rates in force, with the National Bank's official rates (R-13.2, R-3.1.1.4). With
/// `date`: the rates in force at the end of that business day (now, for today), which is what a
/// conversion of that day used.
#[utoipa::path(get, path = "/rates", tag = "rates", params(RatesQuery),
    responses((status = 200, body = RatesDto), (status = 422, body = ProblemDto)))]
pub async fn rates(
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<RatesQuery>,
) -> Result<Json<RatesDto>, ApiError> {
    let date = match query.date.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => Some(parse_date(fields::DATE, text, today(&state)).map_err(|error| field_errors(vec![error]))?),
    };
    let on = state.banking.rates_on(date).await?;
    Ok(Json(RatesDto::from(&on)))
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The base currency (`USD`).
    pub base: Option<String>,
    /// The quote currency; `KZT` when absent.
    pub quote: Option<String>,
    /// First business date, `YYYY-MM-DD`; 30 days before `to` when absent.
    pub from: Option<String>,
    /// Last business date, `YYYY-MM-DD`, not in the future; today when absent. At most 366 days
    /// after `from`.
    pub to: Option<String>,
}

/// A pair's rates over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateHistoryDto {
    pub base: String,
    pub quote: String,
    pub from: String,
    pub to: String,
    /// The rate in force at the start of `from` (when there was one) and every change until the
    /// end of `to`, oldest first.
    pub items: Vec<RateDto>,
}

fn pair(base: Option<&str>, quote: Option<&str>) -> Result<Pair, Vec<RateFieldError>> {
    let mut errors = Vec::new();
    let mut currency = |field: &'static str, text: Option<&str>| match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => {
            errors.push(RateFieldError { field, code: "required", detail: format!("{field} is required") });
            None
        }
        Some(text) => Currency::parse(text)
            .map_err(|error| errors.push(RateFieldError { field, code: error.code(), detail: error.to_string() }))
            .ok(),
    };
    let base = currency(fields::BASE, base);
    let quote = currency(fields::QUOTE, quote.or(Some("KZT")));
    match (base, quote) {
        (Some(base), Some(quote)) => Pair::new(base, quote).map_err(|error| {
            vec![RateFieldError { field: fields::QUOTE, code: error.code(), detail: error.to_string() }]
        }),
        _ => Err(errors),
    }
}

/// A pair's history over a period of at most 366 days: what was in force at its start
/// and every change since, for charts and for checking a past conversion.
#[utoipa::path(get, path = "/rates/history", tag = "rates", params(HistoryQuery),
    responses((status = 200, body = RateHistoryDto), (status = 422, body = ProblemDto)))]
pub async fn rate_history(
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<RateHistoryDto>, ApiError> {
    let pair = pair(query.base.as_deref(), query.quote.as_deref());
    let period = RatePeriod::parse(query.from.as_deref(), query.to.as_deref(), today(&state));
    let (pair, period) = match (pair, period) {
        (Ok(pair), Ok(period)) => (pair, period),
        (pair, period) => {
            let mut errors = pair.err().unwrap_or_default();
            errors.extend(period.err().unwrap_or_default());
            return Err(field_errors(errors));
        }
    };
    let items = state.banking.rate_history(pair, period).await?;
    Ok(Json(RateHistoryDto {
        base: pair.base().code().to_owned(),
        quote: pair.quote().code().to_owned(),
        from: period.from().to_string(),
        to: period.to().to_string(),
        items: items.iter().map(RateDto::from).collect(),
    }))
}

/// A rate the bank sets.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    #[schema(value_type = String, example = "USD")]
    #[serde(default)]
    pub base: Option<serde_json::Value>,
    /// `KZT` for a rate against tenge; another currency for a direct cross rate.
    #[schema(value_type = String, example = "KZT")]
    #[serde(default)]
    pub quote: Option<serde_json::Value>,
    /// Decimal string (at most 6 decimals); a JSON number is refused (422, `invalid_rate`).
    #[schema(value_type = String, example = "470.00")]
    #[serde(default)]
    pub buy: Option<serde_json::Value>,
    /// Decimal string, at least `buy`.
    #[schema(value_type = String, example = "480.00")]
    #[serde(default)]
    pub sell: Option<serde_json::Value>,
    /// RFC 3339, now or later (at most 31 days ahead); absent: now.
    #[schema(value_type = Option<String>, example = "2026-11-24T09:00:00+05:00")]
    #[serde(default)]
    pub valid_from: Option<serde_json::Value>,
}

impl RateInput {
    /// The text of each field, and the fields of the wrong JSON type (left blank), each refused
    /// with its name: a number where a rate is expected with `invalid_rate`.
    fn raw(&self) -> (RawRate, Vec<RateFieldError>) {
        let mut errors = Vec::new();
        let mut text = |field: &'static str, value: &Option<serde_json::Value>, number_code: &'static str| match value {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(serde_json::Value::Number(number)) => {
                errors.push(RateFieldError {
                    field,
                    code: number_code,
                    detail: format!("{field} is a decimal string such as \"474.20\", not a JSON number (got {number})"),
                });
                String::new()
            }
            Some(_) => {
                errors.push(RateFieldError { field, code: "invalid_body", detail: format!("{field} is a string") });
                String::new()
            }
        };
        let raw = RawRate {
            base: text(fields::BASE, &self.base, "invalid_body"),
            quote: text(fields::QUOTE, &self.quote, "invalid_body"),
            buy: text(fields::BUY, &self.buy, "invalid_rate"),
            sell: text(fields::SELL, &self.sell, "invalid_rate"),
            valid_from: Some(text(fields::VALID_FROM, &self.valid_from, "invalid_instant")),
        };
        (raw, errors)
    }
}

/// The dealing rates in force now, with the official rates, as partners see them.
#[utoipa::path(get, path = "/rates", tag = "admin", responses((status = 200, body = RatesDto)))]
pub async fn admin_rates(State(state): State<ApiState>, Operator(_): Operator) -> Result<Json<RatesDto>, ApiError> {
    Ok(Json(RatesDto::from(&state.banking.rates_on(None).await?)))
}

/// Sets a dealing rate from `valid_from` (now when absent) on: every field's problem at
/// once, with its name. Audited.
#[utoipa::path(post, path = "/rates", tag = "admin", request_body = RateInput,
    responses((status = 201, body = RateDto), (status = 422, body = ProblemDto)))]
pub async fn admin_set_rate(
    State(state): State<ApiState>,
    Operator(actor): Operator,
    RequestContext(context): RequestContext,
    ApiJson(input): ApiJson<RateInput>,
) -> Result<(StatusCode, Json<RateDto>), ApiError> {
    // Fields of the wrong JSON type and fields that do not parse are reported together, once each.
    let (raw, mut errors) = input.raw();
    let parsed = state.banking.parse_rate(&raw);
    if let Err(more) = &parsed {
        let typed: Vec<&'static str> = errors.iter().map(|error| error.field).collect();
        errors.extend(more.iter().filter(|error| !typed.contains(&error.field)).cloned());
    }
    let rate = match parsed {
        Ok(rate) if errors.is_empty() => rate,
        _ => return Err(field_errors(errors)),
    };
    let stored = state.banking.set_rate(&context, &actor, rate).await?;
    Ok((StatusCode::CREATED, Json(RateDto::from(&stored))))
}

/// What an import of the NBK's rates did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NbkImportDto {
    /// The day the file's rates are for.
    pub date: String,
    /// Codes stored for the first time for that day.
    pub added: Vec<String>,
    /// Codes whose stored rate differed and was replaced.
    pub replaced: Vec<NbkReplacedDto>,
    /// Codes already stored with the same rate: nothing changed.
    pub unchanged: Vec<String>,
    /// The file's codes Tiyn does not support as currencies (kept as reference).
    pub unsupported: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NbkReplacedDto {
    pub code: String,
    /// Tenge per unit before and after.
    pub before: String,
    pub after: String,
}

impl NbkImportDto {
    pub fn new(rates: &tiyn_fx::nbk::NbkRates, import: &NbkImport) -> NbkImportDto {
        NbkImportDto {
            date: rates.date.to_string(),
            added: import.added.clone(),
            replaced: import
                .replaced
                .iter()
                .map(|replaced| NbkReplacedDto {
                    code: replaced.code.clone(),
                    before: replaced.before.to_string(),
                    after: replaced.after.to_string(),
                })
                .collect(),
            unchanged: import.unchanged.clone(),
            unsupported: rates
                .items
                .iter()
                .filter(|item| item.currency.is_none())
                .map(|item| item.code.clone())
                .collect(),
        }
    }
}

/// A file of the National Bank that cannot be imported, as a problem: 422 with its code
/// (`nbk_no_data` when the NBK published nothing for the day).
pub fn nbk_problem(error: &NbkError) -> ApiError {
    ApiError::invalid("body", error.code(), error.to_string())
}

/// Imports one day of the National Bank's official rates from its XML (`get_rates.cfm` or
/// `rates_all.xml`, as `application/xml`). Importing the same file again changes nothing; a
/// corrected rate replaces the stored one and is reported. Audited.
#[utoipa::path(post, path = "/rates/nbk", tag = "admin", request_body(content = String, content_type = "application/xml"),
    responses((status = 200, body = NbkImportDto), (status = 413, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn admin_import_nbk(
    State(state): State<ApiState>,
    Operator(actor): Operator,
    RequestContext(context): RequestContext,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<NbkImportDto>, ApiError> {
    let xml_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/xml") || value.starts_with("text/xml"));
    if !xml_type {
        return Err(ApiError::invalid("body", "unsupported_media_type", "send the NBK's file as application/xml"));
    }
    if body.len() > NBK_XML_BYTES_MAX {
        return Err(ApiError::PayloadTooLarge);
    }
    let rates = tiyn_fx::nbk::parse_bytes(&body).map_err(|error| nbk_problem(&error))?;
    let import = state.banking.import_nbk_rates(&context, &actor, &rates).await?;
    Ok(Json(NbkImportDto::new(&rates, &import)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;

    /// Every code the rates answer has its own title in every language: a person never
    /// sees the generic "invalid request" for a refused rate or NBK file.
    #[test]
    fn every_rates_code_has_a_title_in_every_language() {
        let codes = [
            "required",
            "invalid_rate",
            "invalid_pair",
            "buy_above_sell",
            "valid_from_in_past",
            "valid_from_too_far",
            "invalid_instant",
            "invalid_date",
            "date_in_future",
            "period_inverted",
            "period_too_long",
            "unsupported_currency",
            "nbk_too_large",
            "nbk_malformed_xml",
            "nbk_unknown_format",
            "nbk_no_data",
            "nbk_too_many_items",
            "nbk_missing_field",
            "nbk_invalid_date",
            "nbk_mixed_dates",
            "nbk_invalid_code",
            "nbk_duplicate_code",
            "nbk_invalid_rate",
            "nbk_invalid_quant",
            "nbk_quant_zero",
            "nbk_rate_too_precise",
        ];
        let generic = ApiError::invalid("x", "a_code_without_a_title", "");
        for lang in [Lang::Ru, Lang::Kk, Lang::En] {
            let fallback = generic.problem(lang).errors[0].message.clone();
            for code in codes {
                let message = ApiError::invalid("x", code, "").problem(lang).errors[0].message.clone();
                assert!(message != fallback && !message.is_empty(), "{code} in {lang:?}");
            }
        }
    }

    /// Every NBK error's code is one of the titled codes above.
    #[test]
    fn nbk_errors_answer_422_with_their_code() {
        let error = nbk_problem(&NbkError::NoData);
        assert_eq!((error.status().as_u16(), error.code()), (422, "nbk_no_data"));
    }
}
