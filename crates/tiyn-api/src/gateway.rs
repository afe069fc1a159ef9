//! The interbank gateway's callbacks under `/api/gateway/v1` (R-3.1.1.1, R-6.4.3): the status of
//! a transfer we sent (ISO 20022 pacs.002) and an incoming credit. Authenticated by the gateway's
//! key (the `Access::Gateway` rule); both are replay-safe: a repeat changes nothing.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use tiyn_banking::gateway::IncomingCredit;
use tiyn_core::iban::Iban;
use tiyn_core::{Amount, Currency, TaxpayerId};
use tiyn_payments::{MessageId, PayeeName};
use utoipa::ToSchema;

use crate::ApiState;
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::ApiJson;
use crate::money::MoneyDto;
use crate::payments::MoneyText;

/// The largest pacs.002 document read.
const STATUS_BYTES_MAX: usize = 1024 * 1024;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppliedStatusDto {
    pub message_id: String,
    /// The payment's status now: `settled` or `refused`.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppliedStatusesDto {
    pub applied: Vec<AppliedStatusDto>,
}

/// The settlement status of transfers we sent: an ISO 20022 pacs.002.001.10 document
/// (`application/xml`). Settled transfers are posted, rejected ones released and refused with the
/// gateway's reason; pending ones change nothing.
#[utoipa::path(post, path = "/status", tag = "gateway", request_body(content = String, content_type = "application/xml"),
    responses((status = 200, body = AppliedStatusesDto), (status = 401, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn status(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<AppliedStatusesDto>, ApiError> {
    let xml_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/xml") || value.starts_with("text/xml"));
    if !xml_type {
        return Err(ApiError::invalid(
            "body",
            "unsupported_media_type",
            "send the pacs.002 document as application/xml",
        ));
    }
    if body.len() > STATUS_BYTES_MAX {
        return Err(ApiError::PayloadTooLarge);
    }
    let xml =
        std::str::from_utf8(&body).map_err(|_| ApiError::invalid("body", "not_utf8", "the document is not UTF-8"))?;
    let applied = state.banking.apply_pacs002(xml).await?;
    Ok(Json(AppliedStatusesDto {
        applied: applied
            .into_iter()
            .map(|(message_id, status)| AppliedStatusDto {
                message_id: message_id.to_string(),
                status: status.as_str().to_owned(),
            })
            .collect(),
    }))
}

/// An incoming interbank credit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomingInput {
    /// The sending system's message id (1–35 characters): a repeat is recognised.
    pub message_id: String,
    pub payee_iban: String,
    pub amount: MoneyText,
    pub payer_name: String,
    pub payer_bin: Option<String>,
    pub payer_iban: Option<String>,
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IncomingDto {
    /// The account credited (`null` when the money went to the bank's suspense account, or was
    /// returned).
    pub account: Option<String>,
    /// The IBAN is not a partner's account: the bank's suspense account holds the money.
    pub suspense: bool,
    pub replayed: bool,
    /// What the account received in its currency: converted at the bank's rate when the credit
    /// came in another currency. `null` when returned, or on a repeat of a converted credit.
    pub credited: Option<MoneyDto>,
    /// `credited`, or `returned`: in another currency than the account's and the bank has no rate
    /// for it, the credit is refused back to the sending bank and nothing is posted.
    pub outcome: String,
    /// Why it was returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl IncomingInput {
    fn parse(self) -> Result<IncomingCredit, ApiError> {
        let mut errors = Vec::new();
        let message_id = MessageId::parse(&self.message_id)
            .map_err(|error| errors.push(FieldError::new("message_id", error.code(), "1 to 35 characters")))
            .ok();
        let payee_iban = Iban::parse(&self.payee_iban)
            .map_err(|error| errors.push(FieldError::new("payee_iban", error.code(), error.to_string())))
            .ok();
        let currency = self.amount.currency.as_deref().map(Currency::parse);
        let amount_text = self.amount.amount_text("amount.amount").map_err(|error| errors.push(error)).ok().flatten();
        let amount = match (amount_text.as_deref(), currency) {
            (Some(text), Some(Ok(currency))) => Amount::parse_canonical(text, currency)
                .map_err(|error| errors.push(FieldError::new("amount.amount", error.code(), error.to_string())))
                .ok(),
            (_, Some(Err(error))) => {
                errors.push(FieldError::new("amount.currency", error.code(), error.to_string()));
                None
            }
            _ => {
                errors.push(FieldError::new("amount", "required", "amount and currency are required"));
                None
            }
        };
        let payer_name = PayeeName::parse(&self.payer_name)
            .map_err(|error| errors.push(FieldError::new("payer_name", error.code(), error.to_string())))
            .ok();
        let payer_taxpayer_id = match self.payer_bin.as_deref().filter(|text| !text.trim().is_empty()) {
            None => None,
            Some(text) => TaxpayerId::parse(text)
                .map_err(|error| errors.push(FieldError::new("payer_bin", error.code(), error.to_string())))
                .ok(),
        };
        let payer_iban = match self.payer_iban.as_deref().filter(|text| !text.trim().is_empty()) {
            None => None,
            Some(text) => Iban::parse(text)
                .map_err(|error| errors.push(FieldError::new("payer_iban", error.code(), error.to_string())))
                .ok(),
        };
        let purpose: String = self.purpose.unwrap_or_default().chars().take(420).collect();
        match (message_id, payee_iban, amount, payer_name) {
            (Some(message_id), Some(payee_iban), Some(amount), Some(payer_name)) if errors.is_empty() => {
                Ok(IncomingCredit {
                    message_id,
                    payee_iban,
                    amount,
                    payer_name,
                    payer_taxpayer_id,
                    payer_iban,
                    purpose,
                })
            }
            _ => Err(ApiError::Invalid(errors)),
        }
    }
}

/// Books an incoming credit to the partner account with the payee IBAN (or to the bank's
/// suspense account). A credit in another currency than the account's is converted at the bank's
/// rate in force; without a rate it is returned (`outcome: returned`, nothing posted).
/// Repeating a message id changes nothing (`replayed: true`).
#[utoipa::path(post, path = "/incoming", tag = "gateway", request_body = IncomingInput,
    responses((status = 201, body = IncomingDto), (status = 200, body = IncomingDto), (status = 401, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn incoming(
    State(state): State<ApiState>,
    ApiJson(input): ApiJson<IncomingInput>,
) -> Result<(StatusCode, Json<IncomingDto>), ApiError> {
    let credit = input.parse()?;
    let credited = state.banking.incoming_credit(&credit).await?;
    let status = if credited.replayed || credited.returned.is_some() { StatusCode::OK } else { StatusCode::CREATED };
    Ok((
        status,
        Json(IncomingDto {
            account: credited.account.filter(|_| !credited.suspense).map(|account| account.to_string()),
            suspense: credited.suspense,
            replayed: credited.replayed,
            credited: credited.credited.map(MoneyDto::from),
            outcome: if credited.returned.is_some() { "returned" } else { "credited" }.to_owned(),
            reason: credited.returned.clone(),
        }),
    ))
}
