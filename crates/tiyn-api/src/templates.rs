//! Templates of frequent payments (`/payment-templates`, R-3.1.1.2): a named, partner-wide set of
//! a payment document's fields that a user turns into a new draft. The use cases are
//! `tiyn_banking::Banking`; this module is the JSON shape and the error mapping only.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tiyn_banking::{BankingError, RawMoney, template_codes};
use tiyn_store::templates::{PaymentTemplate, TemplateId};
use utoipa::ToSchema;

use crate::ApiState;
use crate::authz::{Authenticated, RequestContext};
use crate::error::{ApiError, ProblemDto};
use crate::extract::{ApiJson, ApiPath};
use crate::money::MoneyDto;
use crate::payments::{ContractInput, MoneyText, PaymentDto, PaymentInput};

/// A template as a client sends it (`POST /payment-templates`): a name and a payment document's
/// fields as in `POST /payments`, without a value date; the amount may be left out. Every problem
/// is reported at once, each with its field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// 1 to 100 characters, unique among the partner's templates.
    pub name: Option<String>,
    /// `internal`, `interbank`, `budget`, `conversion` or `foreign`.
    pub kind: Option<String>,
    /// The id of one of the partner's accounts.
    pub payer_account: Option<String>,
    /// Optional: a draft made from the template without an amount needs one.
    pub amount: Option<MoneyText>,
    /// The payment purpose code (3 digits).
    pub knp: Option<String>,
    pub purpose: Option<String>,
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
    /// Foreign transfers: as in `POST /payments`.
    pub payee_address: Option<String>,
    pub payee_country: Option<String>,
    pub payee_swift_bic: Option<String>,
    pub intermediary_swift_bic: Option<String>,
    pub charges: Option<String>,
    pub contract: Option<ContractInput>,
}

impl TemplateInput {
    fn into_parts(self) -> Result<(String, tiyn_payments::RawDocument), ApiError> {
        let raw = PaymentInput {
            kind: self.kind,
            payer_account: self.payer_account,
            amount: self.amount,
            knp: self.knp,
            purpose: self.purpose,
            value_date: None,
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
            contract: self.contract,
        }
        .into_raw()?;
        Ok((self.name.unwrap_or_default(), raw))
    }
}

/// A template as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateDto {
    pub id: String,
    pub name: String,
    pub kind: Option<String>,
    pub payer_account: Option<String>,
    /// Absent when the template has no amount.
    pub amount: Option<MoneyDto>,
    /// The currency, also when the template has no amount but named one.
    pub currency: Option<String>,
    pub knp: Option<String>,
    pub purpose: Option<String>,
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
}

impl From<&PaymentTemplate> for TemplateDto {
    fn from(template: &PaymentTemplate) -> TemplateDto {
        let fields = &template.fields;
        TemplateDto {
            id: template.id.to_string(),
            name: template.name.clone(),
            kind: fields.kind.clone(),
            payer_account: fields.payer_account.clone(),
            amount: template.amount.map(|amount| amount.money().into()),
            currency: fields.currency.clone(),
            knp: fields.knp.clone(),
            purpose: fields.purpose.clone(),
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
            created_by: template.created_by.to_string(),
            created_at: template.created_at.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateListDto {
    pub items: Vec<TemplateDto>,
}

/// What a draft made from a template changes: its amount (the template's when absent).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatePaymentInput {
    pub amount: Option<MoneyText>,
}

fn template_id(id: &str) -> Result<TemplateId, ApiError> {
    id.parse::<i64>().map(TemplateId::new).map_err(|_| ApiError::NotFound { what: "payment template" })
}

fn template_error(error: BankingError) -> ApiError {
    match error {
        BankingError::Conflict(code) if code == template_codes::NAME_TAKEN => {
            ApiError::Conflict { code, detail: "the partner already has a template of this name".to_owned() }
        }
        other => other.into(),
    }
}

/// The partner's templates of frequent payments, ordered by name.
#[utoipa::path(get, path = "/payment-templates", tag = "payments",
    responses((status = 200, body = TemplateListDto)))]
pub async fn list_templates(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<TemplateListDto>, ApiError> {
    let templates = state.banking.templates(&principal).await?;
    Ok(Json(TemplateListDto { items: templates.iter().map(TemplateDto::from).collect() }))
}

/// Saves a template: the fields are checked like a draft's (every error at once, with its
/// field), except that there is no value date and the amount may be left out.
#[utoipa::path(post, path = "/payment-templates", tag = "payments", request_body = TemplateInput,
    responses((status = 201, body = TemplateDto), (status = 409, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn create_template(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<(StatusCode, Json<TemplateDto>), ApiError> {
    let (name, raw) = input.into_parts()?;
    let template = state.banking.save_template(&context, &principal, &name, raw).await.map_err(template_error)?;
    Ok((StatusCode::CREATED, Json(TemplateDto::from(&template))))
}

#[utoipa::path(delete, path = "/payment-templates/{id}", tag = "payments",
    responses((status = 204), (status = 404, body = ProblemDto)))]
pub async fn delete_template(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.banking.delete_template(&context, &principal, template_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a draft from the template, with today's default value date and the given amount (or
/// the template's), checked like `POST /payments`. The body is optional.
#[utoipa::path(post, path = "/payment-templates/{id}/payments", tag = "payments",
    request_body(content = Option<TemplatePaymentInput>, description = "optional: the draft's amount"),
    responses((status = 201, body = PaymentDto), (status = 404, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn create_payment_from_template(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    RequestContext(context): RequestContext,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<PaymentDto>), ApiError> {
    let id = template_id(&id)?;
    // Another partner's id answers 404 whatever the body, exactly like an unknown one.
    state.banking.template(&principal, id).await?;
    let input = if body.iter().all(u8::is_ascii_whitespace) {
        TemplatePaymentInput::default()
    } else {
        Json::<TemplatePaymentInput>::from_bytes(&body)?.0
    };
    let amount = match input.amount {
        None => None,
        Some(money) => Some(RawMoney {
            amount: money.amount_text("amount.amount").map_err(|error| ApiError::Invalid(vec![error]))?,
            currency: money.currency,
        }),
    };
    let record = state.banking.draft_from_template(&context, &principal, id, amount).await?;
    Ok((StatusCode::CREATED, Json(PaymentDto::from(&record))))
}
