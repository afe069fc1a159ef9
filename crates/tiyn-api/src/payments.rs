//! Payment documents (`/payments`) and their confirmation with one code (`/signing`): R-3.1.1.2,
//! The use cases are `tiyn_banking::Banking`; this module
//! is the JSON shape and the error mapping only.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tiyn_banking::{BankingError, Confirmed, Signing};
use tiyn_payments::{DocumentId, RawDocument, Status, digest_hex};
use tiyn_store::payments::{PaymentOutcome, PaymentQuery, PaymentRecord};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::authz::{Authenticated, RequestContext};
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::money::MoneyDto;

/// Longest page of `GET /payments`; the default is 50.
const PAGE_DEFAULT: usize = 50;

/// The money object of a request as text: `{"amount": "1500.00", "currency": "KZT"}`. A JSON
/// number is refused (422) so no client ever sends a float.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyText {
    /// A decimal string; a JSON number is refused with `invalid_amount`.
    #[schema(value_type = Option<String>, example = "1500.00")]
    pub amount: Option<serde_json::Value>,
    pub currency: Option<String>,
}

impl MoneyText {
    /// The amount's text, or the field error of a JSON number (or any non-string).
    pub fn amount_text(&self, field: &str) -> Result<Option<String>, FieldError> {
        match &self.amount {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(text)) => Ok(Some(text.clone())),
            Some(serde_json::Value::Number(number)) => Err(FieldError::new(
                field,
                "invalid_amount",
                format!("amounts are decimal strings such as \"1500.00\", not JSON numbers (got {number})"),
            )),
            Some(_) => Err(FieldError::new(field, "invalid_amount", "the amount must be a decimal string")),
        }
    }
}

/// A payment document as a client sends it (`POST /payments`, `PATCH /payments/{id}`). Every
/// problem is reported at once, each with its field (`errors[].field`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// `internal`, `interbank`, `budget`, `conversion` or `foreign`.
    pub kind: Option<String>,
    /// The id of one of the partner's accounts.
    pub payer_account: Option<String>,
    pub amount: Option<MoneyText>,
    /// The payment purpose code (3 digits).
    pub knp: Option<String>,
    pub purpose: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    pub value_date: Option<String>,
    /// Internal transfers: the id of the partner's other account.
    pub payee_account: Option<String>,
    pub payee_name: Option<String>,
    /// The payee's IIN or BIN (12 digits).
    pub payee_bin: Option<String>,
    pub payee_iban: Option<String>,
    /// Optional: derived from the IBAN and cross-checked when given.
    pub payee_bic: Option<String>,
    /// The beneficiary code (2 digits).
    pub kbe: Option<String>,
    /// Budget payments only: the budget classification code (6 digits).
    pub kbk: Option<String>,
    /// Foreign transfers: the payee's address (Latin letters).
    pub payee_address: Option<String>,
    /// Foreign transfers: the payee's country, ISO 3166 alpha-2.
    pub payee_country: Option<String>,
    /// Foreign transfers: the payee bank's SWIFT BIC.
    pub payee_swift_bic: Option<String>,
    /// Foreign transfers: an intermediary (correspondent) bank's SWIFT BIC.
    pub intermediary_swift_bic: Option<String>,
    /// Foreign transfers: `OUR`, `SHA` or `BEN`.
    pub charges: Option<String>,
    /// Foreign transfers: the currency-control contract, required above the bank's threshold.
    pub contract: Option<ContractInput>,
}

/// A currency-control contract: its number (or registration number) and date.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    pub number: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
}

impl ContractInput {
    /// The contract of stored fields, when they have one.
    pub fn of(fields: &RawDocument) -> Option<ContractInput> {
        (fields.contract_number.is_some() || fields.contract_date.is_some())
            .then(|| ContractInput { number: fields.contract_number.clone(), date: fields.contract_date.clone() })
    }
}

impl PaymentInput {
    /// The fields as text; a JSON number for the amount is refused here, with its field.
    pub fn into_raw(self) -> Result<RawDocument, ApiError> {
        let amount = self.amount.unwrap_or_default();
        let amount_text = amount.amount_text("amount.amount").map_err(|error| ApiError::Invalid(vec![error]))?;
        Ok(RawDocument {
            kind: self.kind,
            payer_account: self.payer_account,
            amount: amount_text,
            currency: amount.currency,
            knp: self.knp,
            purpose: self.purpose,
            value_date: self.value_date,
            payee_account: self.payee_account,
            payee_name: self.payee_name,
            payee_bin: self.payee_bin,
            payee_iban: self.payee_iban,
            payee_bic: self.payee_bic,
            kbe: self.kbe,
            kbk: self.kbk,
            payee_address: self.payee_address,
            payee_country: self.payee_country,
            payee_swift_bic: self.payee_swift_bic,
            intermediary_swift_bic: self.intermediary_swift_bic,
            charges: self.charges,
            contract_number: self.contract.as_ref().and_then(|contract| contract.number.clone()),
            contract_date: self.contract.and_then(|contract| contract.date),
        })
    }
}

/// Why a confirmed document was refused.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefusalDto {
    /// Stable: `insufficient_funds`, `limit_exceeded`, `account_restricted`, `account_closed`,
    /// `service_disabled`, `aml_match`, `value_date_expired`, `gateway_rejected`, …
    pub code: String,
    pub reason: String,
    pub refused_at: String,
}

/// A payment document as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentDto {
    pub id: String,
    pub number: String,
    /// `draft`, `awaiting_confirmation`, `confirmed`, `executed`, `sent`, `settled`, `refused`.
    pub status: String,
    pub kind: String,
    pub payer_account: String,
    pub amount: MoneyDto,
    pub knp: Option<String>,
    pub purpose: Option<String>,
    pub value_date: String,
    pub payee_account: Option<String>,
    pub payee_name: Option<String>,
    pub payee_bin: Option<String>,
    pub payee_iban: Option<String>,
    pub payee_bic: Option<String>,
    pub kbe: Option<String>,
    pub kbk: Option<String>,
    pub payee_address: Option<String>,
    pub payee_country: Option<String>,
    pub payee_swift_bic: Option<String>,
    pub intermediary_swift_bic: Option<String>,
    pub charges: Option<String>,
    pub contract: Option<ContractInput>,
    pub created_by: String,
    pub created_at: String,
    pub edited_by: String,
    pub edited_at: String,
    /// Decided at confirmation.
    pub commission: Option<MoneyDto>,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<String>,
    /// SHA-256 of the content the confirmation covers.
    pub content_digest: Option<String>,
    pub refusal: Option<RefusalDto>,
    /// The ledger entry of an executed internal transfer.
    pub entry_id: Option<String>,
    /// The interbank message id of a sent payment.
    pub message_id: Option<String>,
}

impl From<&PaymentRecord> for PaymentDto {
    fn from(record: &PaymentRecord) -> PaymentDto {
        let fields = &record.fields;
        PaymentDto {
            id: record.id.to_string(),
            number: record.number.to_string(),
            status: record.status.as_str().to_owned(),
            kind: fields.kind.clone().unwrap_or_default(),
            payer_account: fields.payer_account.clone().unwrap_or_default(),
            amount: record.amount.money().into(),
            knp: fields.knp.clone(),
            purpose: fields.purpose.clone(),
            value_date: record.value_date.to_string(),
            payee_account: fields.payee_account.clone(),
            payee_name: fields.payee_name.clone(),
            payee_bin: fields.payee_bin.clone(),
            payee_iban: fields.payee_iban.clone(),
            payee_bic: fields.payee_bic.clone(),
            kbe: fields.kbe.clone(),
            kbk: fields.kbk.clone(),
            payee_address: fields.payee_address.clone(),
            payee_country: fields.payee_country.clone(),
            payee_swift_bic: fields.payee_swift_bic.clone(),
            intermediary_swift_bic: fields.intermediary_swift_bic.clone(),
            charges: fields.charges.clone(),
            contract: ContractInput::of(fields),
            created_by: record.created_by.to_string(),
            created_at: record.created_at.to_string(),
            edited_by: record.edited_by.to_string(),
            edited_at: record.edited_at.to_string(),
            commission: record.commission.map(MoneyDto::from),
            confirmed_by: record.evidence.as_ref().map(|evidence| evidence.confirmed_by.to_string()),
            confirmed_at: record.evidence.as_ref().map(|evidence| evidence.confirmed_at.to_string()),
            content_digest: record.submission.as_ref().map(|submission| digest_hex(&submission.content_digest)),
            refusal: record.refusal.as_ref().map(|refusal| RefusalDto {
                code: refusal.code.as_str().to_owned(),
                reason: refusal.reason.clone(),
                refused_at: refusal.refused_at.to_string(),
            }),
            entry_id: record.entry.map(|entry| entry.to_string()),
            message_id: record.message_id.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentListDto {
    pub items: Vec<PaymentDto>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentListQuery {
    /// Only documents in this status.
    pub status: Option<String>,
    /// Value dates from (inclusive), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Value dates to (inclusive), `YYYY-MM-DD`.
    pub to: Option<String>,
    /// 1 to 500; 50 by default.
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    /// `json` (default, a page), or `csv` / `xlsx` / `pdf`: every document the filters select, as
    /// a file.
    pub format: Option<String>,
    /// The language of a file's headers: `ru` (default), `kk`, `en`.
    pub lang: Option<String>,
    /// CSV only: `semicolon` for Excel in a Russian or Kazakh locale; `comma` by default.
    pub delimiter: Option<String>,
}

/// What a list request asks for: a page, or the whole list as a file.
pub enum ListRequest {
    Page,
    File { format: crate::payment_exports::ListFormat, lang: crate::Lang, delimiter: tiyn_statement::CsvDelimiter },
}

impl PaymentListQuery {
    /// A page (no `format`, or `json`) or a file.
    pub fn request(&self) -> Result<ListRequest, ApiError> {
        let format = match self.format.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None => return Ok(ListRequest::Page),
            Some(text) if text.eq_ignore_ascii_case("json") => return Ok(ListRequest::Page),
            Some(text) => crate::payment_exports::ListFormat::parse(text)
                .ok_or_else(|| ApiError::invalid("format", "unsupported_format", "json, csv, xlsx or pdf"))?,
        };
        let lang = match self.lang.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None => crate::Lang::Ru,
            Some(tag) => crate::Lang::parse(tag)
                .ok_or_else(|| ApiError::invalid("lang", "unsupported_language", "ru, kk or en"))?,
        };
        let delimiter = match self.delimiter.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None | Some("comma") => tiyn_statement::CsvDelimiter::Comma,
            Some("semicolon") => tiyn_statement::CsvDelimiter::Semicolon,
            Some(_) => return Err(ApiError::invalid("delimiter", "unsupported_delimiter", "comma or semicolon")),
        };
        Ok(ListRequest::File { format, lang, delimiter })
    }

    pub fn parse(&self) -> Result<PaymentQuery, ApiError> {
        let mut errors = Vec::new();
        let status = match self.status.as_deref().filter(|text| !text.is_empty()) {
            None => None,
            Some(text) => Status::parse(text).or_else(|| {
                errors.push(FieldError::new("status", "invalid_status", format!("{text:?} is not a status")));
                None
            }),
        };
        let mut date = |field: &'static str, value: &Option<String>| {
            value.as_deref().filter(|text| !text.is_empty()).and_then(|text| {
                text.parse::<jiff::civil::Date>()
                    .map_err(|_| errors.push(FieldError::new(field, "invalid_date", "a date is YYYY-MM-DD")))
                    .ok()
            })
        };
        let from = date("from", &self.from);
        let to = date("to", &self.to);
        let before = match self.cursor.as_deref().filter(|text| !text.is_empty()) {
            None => None,
            Some(text) => match text.parse::<i64>() {
                Ok(id) => Some(DocumentId::new(id)),
                Err(_) => {
                    errors.push(FieldError::new(
                        "cursor",
                        "invalid_cursor",
                        "pass the next_cursor of the previous page",
                    ));
                    None
                }
            },
        };
        let limit = self.limit.unwrap_or(PAGE_DEFAULT);
        if !(1..=tiyn_store::payments::PAYMENTS_PAGE_MAX).contains(&limit) {
            errors.push(FieldError::new("limit", "invalid_limit", "limit is 1 to 500"));
        }
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        Ok(PaymentQuery { status, from, to, before, limit })
    }
}

/// The documents to confirm with one code.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningInput {
    pub payment_ids: Vec<String>,
    /// `sms` (the default) or `marker`: the code comes from the user's marker app instead.
    pub channel: Option<String>,
}

/// A batch awaiting its code: what the user confirms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SigningDto {
    pub challenge_id: String,
    /// SHA-256 of the batch (hex): the code is bound to it.
    pub digest: String,
    pub count: usize,
    pub totals: Vec<MoneyDto>,
    pub commission: Vec<MoneyDto>,
    pub expires_at: String,
    /// `sms` or `marker`.
    pub channel: String,
    /// The masked mobile number the code went to, or the marker serials to use.
    pub sent_to: String,
    /// The batch's conversions carried out today, at the rates the code is bound to; confirming
    /// after the earliest `expires_at` is refused (409 `quote_expired`).
    pub conversions: Vec<crate::conversions::ConversionQuoteDto>,
}

impl From<&Signing> for SigningDto {
    fn from(signing: &Signing) -> SigningDto {
        SigningDto {
            challenge_id: signing.challenge.challenge_id.as_str().to_owned(),
            digest: signing.digest_hex(),
            count: signing.count,
            totals: signing.totals.iter().copied().map(MoneyDto::from).collect(),
            commission: signing.commission.iter().copied().map(MoneyDto::from).collect(),
            expires_at: signing.challenge.expires_at.to_string(),
            channel: signing.challenge.channel.as_str().to_owned(),
            sent_to: signing.challenge.sent_to.clone(),
            conversions: signing
                .conversions
                .iter()
                .map(|(id, quote)| crate::conversions::ConversionQuoteDto::of(quote, Some(id.to_string())))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningConfirmInput {
    pub code: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SigningResultDto {
    pub payment_id: String,
    pub status: String,
    pub refusal: Option<RefusalDto>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SigningResultsDto {
    pub results: Vec<SigningResultDto>,
}

impl From<&Confirmed> for SigningResultDto {
    fn from(confirmed: &Confirmed) -> SigningResultDto {
        SigningResultDto {
            payment_id: confirmed.document.to_string(),
            status: confirmed.outcome.status().as_str().to_owned(),
            refusal: match &confirmed.outcome {
                PaymentOutcome::Refused(refusal) => Some(RefusalDto {
                    code: refusal.code.as_str().to_owned(),
                    reason: refusal.reason.clone(),
                    refused_at: refusal.refused_at.to_string(),
                }),
                _ => None,
            },
        }
    }
}

impl From<BankingError> for ApiError {
    fn from(error: BankingError) -> ApiError {
        match error {
            BankingError::Invalid(errors) => ApiError::Invalid(
                errors.into_iter().map(|error| FieldError::new(error.field, error.code, error.detail)).collect(),
            ),
            BankingError::NotFound(what) => ApiError::NotFound { what },
            BankingError::Conflict(code) => ApiError::Conflict { code, detail: conflict_detail(code).to_owned() },
            BankingError::Batch(error) => ApiError::invalid("payment_ids", error.code(), error.to_string()),
            BankingError::Tariff(code) => {
                ApiError::invalid("amount.amount", code, "the tariff cannot price this amount")
            }
            BankingError::Message(code, detail) => ApiError::invalid("body", code, detail),
            BankingError::Identity(error) => error.into(),
            BankingError::Internal(reason) => ApiError::Internal(reason),
            BankingError::Store(error) => ApiError::Internal(error.to_string()),
        }
    }
}

fn conflict_detail(code: &str) -> &'static str {
    use tiyn_store::payments::conflicts;
    match code {
        conflicts::NOT_EDITABLE => "only drafts and documents awaiting confirmation can be changed or deleted",
        conflicts::NOT_SIGNABLE => "only drafts and documents awaiting confirmation can be sent for confirmation",
        conflicts::DOCUMENT_CHANGED => {
            "a document of the batch changed after the code was issued; nothing was confirmed — open a new confirmation"
        }
        conflicts::CHALLENGE_USED => "this confirmation was already used",
        conflicts::IDEMPOTENCY_CONFLICT => "this Idempotency-Key was already used with another request",
        tiyn_banking::conversion::codes::QUOTE_EXPIRED => {
            "the conversion's quote expired before the code was entered; nothing was confirmed — open a new \
             confirmation to see the amounts at the current rates"
        }
        tiyn_banking::conversion::codes::QUOTE_CHANGED => {
            "the rates the conversion was quoted at no longer give the same amounts; open a new confirmation"
        }
        tiyn_banking::conversion::codes::NO_RATE => "the bank has no rate in force to convert these currencies",
        _ => "refused by the current state",
    }
}

pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().map(str::trim).filter(|key| {
        !key.is_empty()
            && key.len() <= tiyn_ledger::IDEMPOTENCY_KEY_LENGTH_MAX
            && key.bytes().all(|byte| byte.is_ascii_graphic())
    });
    match key {
        Some(key) => Ok(Some(key.to_owned())),
        None => {
            Err(ApiError::invalid("Idempotency-Key", "invalid_idempotency_key", "1 to 200 visible ASCII characters"))
        }
    }
}

fn document_id(id: &str) -> Result<DocumentId, ApiError> {
    id.parse::<i64>().map(DocumentId::new).map_err(|_| ApiError::NotFound { what: "payment" })
}

/// The partner's payment documents, newest first: a page, or with `format=csv|xlsx|pdf` every
/// document the filters select as a file (R-3.1.2.6; audited).
#[utoipa::path(get, path = "/payments", tag = "payments", params(PaymentListQuery),
    responses((status = 200, body = PaymentListDto, description = "a page; with format=csv, xlsx or pdf, the file"),
        (status = 409, body = ProblemDto, description = "export_too_large"),
        (status = 422, body = ProblemDto, description = "invalid filters, or list_too_long_for_pdf")))]
pub async fn list_payments(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiQuery(query): ApiQuery<PaymentListQuery>,
) -> Result<Response, ApiError> {
    let request = query.request()?;
    let query = query.parse()?;
    if let ListRequest::File { format, lang, delimiter } = request {
        let export = state.banking.export_payments(&context, &principal, query, format.name()).await?;
        return crate::payment_exports::list_file(export, format, lang, delimiter).await;
    }
    let limit = query.limit;
    let records = state.banking.payments(&principal, query).await?;
    let next_cursor = (records.len() == limit).then(|| records.last().map(|record| record.id.to_string())).flatten();
    Ok(Json(PaymentListDto { items: records.iter().map(PaymentDto::from).collect(), next_cursor }).into_response())
}

/// Creates a draft. Every field error is reported at once; `Idempotency-Key` makes a retry safe.
#[utoipa::path(post, path = "/payments", tag = "payments", request_body = PaymentInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeats answer the first draft")),
    responses((status = 201, body = PaymentDto), (status = 422, body = ProblemDto), (status = 409, body = ProblemDto)))]
pub async fn create_payment(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PaymentInput>,
) -> Result<(StatusCode, Json<PaymentDto>), ApiError> {
    let key = idempotency_key(&headers)?;
    let record = state.banking.create_payment(&context, &principal, input.into_raw()?, key.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(PaymentDto::from(&record))))
}

#[utoipa::path(get, path = "/payments/{id}", tag = "payments",
    responses((status = 200, body = PaymentDto), (status = 404, body = ProblemDto)))]
pub async fn get_payment(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PaymentDto>, ApiError> {
    let record = state.banking.payment(&principal, document_id(&id)?).await?;
    Ok(Json(PaymentDto::from(&record)))
}

/// Replaces a draft's requisites (the whole document, as in `POST`). A document awaiting
/// confirmation returns to draft, so a code already issued for it no longer confirms anything.
#[utoipa::path(patch, path = "/payments/{id}", tag = "payments", request_body = PaymentInput,
    responses((status = 200, body = PaymentDto), (status = 409, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn patch_payment(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiPath(id): ApiPath<String>,
    input: Result<ApiJson<PaymentInput>, ApiError>,
) -> Result<Json<PaymentDto>, ApiError> {
    let id = document_id(&id)?;
    // Another partner's id answers 404 whatever the body, exactly like an unknown one.
    state.banking.payment(&principal, id).await?;
    let ApiJson(input) = input?;
    let record = state.banking.edit_payment(&context, &principal, id, input.into_raw()?).await?;
    Ok(Json(PaymentDto::from(&record)))
}

#[utoipa::path(delete, path = "/payments/{id}", tag = "payments",
    responses((status = 204), (status = 409, body = ProblemDto), (status = 404, body = ProblemDto)))]
pub async fn delete_payment(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.banking.delete_payment(&context, &principal, document_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Opens a confirmation of the chosen documents: one code, bound to their content, goes by SMS
/// with the count and total in its text.
#[utoipa::path(post, path = "/signing", tag = "payments", request_body = SigningInput,
    responses((status = 201, body = SigningDto), (status = 409, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn open_signing(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiJson(input): ApiJson<SigningInput>,
) -> Result<(StatusCode, Json<SigningDto>), ApiError> {
    let ids = input.payment_ids.iter().map(|id| document_id(id)).collect::<Result<Vec<_>, _>>()?;
    let channel = match input.channel.as_deref() {
        None | Some("sms") => tiyn_payments::ConfirmationChannel::Sms,
        Some("marker") => tiyn_payments::ConfirmationChannel::Marker,
        Some(other) => {
            return Err(ApiError::invalid("channel", "invalid_channel", format!("{other:?} is not sms or marker")));
        }
    };
    let signing = state.banking.open_signing_with(&context, &principal, &ids, channel).await?;
    Ok((StatusCode::CREATED, Json(SigningDto::from(&signing))))
}

/// Confirms the whole batch with its one code; answers each document's status (executed, sent,
/// confirmed for a later value date, or refused with its reason). A document changed after the
/// code was issued fails the whole confirmation (409 `document_changed`).
#[utoipa::path(post, path = "/signing/{challenge_id}/confirm", tag = "payments", request_body = SigningConfirmInput,
    responses((status = 200, body = SigningResultsDto), (status = 401, body = ProblemDto), (status = 409, body = ProblemDto)))]
pub async fn confirm_signing(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiPath(challenge): ApiPath<String>,
    ApiJson(input): ApiJson<SigningConfirmInput>,
) -> Result<Json<SigningResultsDto>, ApiError> {
    let results = state.banking.confirm_signing(&context, &principal, &challenge, input.code.trim()).await?;
    Ok(Json(SigningResultsDto { results: results.iter().map(SigningResultDto::from).collect() }))
}
