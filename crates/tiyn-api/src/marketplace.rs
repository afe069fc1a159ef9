//! Marketplace payouts in planned credits (issue 6, R-3.1.2.5): the marketplace's credit of one
//! payout of a report, `POST /api/gateway/v1/marketplace/payouts` (the gateway's key), matched
//! against the report like the acquirer's POS settlement (`/pos/settlements`). The partner sees
//! payouts not yet credited in `GET /api/v1/planned-credits` ([`crate::pos`]).
//!
//! `tiyn_banking::marketplace` decides everything (whose payout, the amount, the booking, the
//! audit); this module maps JSON.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tiyn_banking::BankingError;
use tiyn_banking::marketplace::{MarketplacePayoutCredit, codes};
use tiyn_core::Amount;
use tiyn_core::iban::Iban;
use tiyn_store::messages::MARKETPLACE_ID_LENGTH_MAX;
use utoipa::ToSchema;

use crate::ApiState;
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::ApiJson;
use crate::money::{MoneyDto, MoneyInput};

/// The marketplace's credit of one payout of a report it sent before.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutCreditInput {
    #[schema(example = "MP-2026-01")]
    pub report_id: String,
    #[schema(example = "MP-2026-01-P1")]
    pub payout_id: String,
    /// The account the payout names.
    pub account_iban: String,
    /// Exactly the payout's amount.
    pub amount: MoneyInput,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutCreditedDto {
    /// The account credited.
    pub account: String,
    pub amount: MoneyDto,
    /// Orders the payout covers.
    pub orders: u64,
    pub replayed: bool,
}

/// The credit of a marketplace payout (R-3.1.2.5): the payout must be one of the account's
/// partner's reports' and name that account (else 404, or 422 `payout_account_mismatch`), and the
/// amount must be the payout's (else 422 `payout_amount_mismatch`, naming both amounts). It is
/// booked like an incoming interbank credit and the payout leaves the planned credits. A repeat
/// changes nothing (`replayed: true`, 200).
#[utoipa::path(post, path = "/marketplace/payouts", tag = "gateway", request_body = PayoutCreditInput,
    responses((status = 201, body = PayoutCreditedDto), (status = 200, body = PayoutCreditedDto),
        (status = 401, body = ProblemDto), (status = 404, body = ProblemDto), (status = 409, body = ProblemDto),
        (status = 422, body = ProblemDto)))]
pub async fn credit_payout(
    State(state): State<ApiState>,
    ApiJson(input): ApiJson<PayoutCreditInput>,
) -> Result<(StatusCode, Json<PayoutCreditedDto>), ApiError> {
    let mut errors = Vec::new();
    let iban = Iban::parse(input.account_iban.trim())
        .map_err(|error| errors.push(FieldError::new("account_iban", error.code(), error.to_string())))
        .ok();
    for (field, id) in [("report_id", &input.report_id), ("payout_id", &input.payout_id)] {
        if !(1..=MARKETPLACE_ID_LENGTH_MAX).contains(&id.trim().len()) {
            errors.push(FieldError::new(field, "invalid_id", format!("1 to {MARKETPLACE_ID_LENGTH_MAX} characters")));
        }
    }
    let amount = input
        .amount
        .parse("amount")
        .and_then(|money| {
            Amount::new(money).map_err(|error| FieldError::new("amount.amount", error.code(), error.to_string()))
        })
        .map_err(|error| errors.push(error))
        .ok();
    let (Some(account_iban), Some(amount), true) = (iban, amount, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let credit = MarketplacePayoutCredit {
        account_iban,
        report_id: input.report_id.trim().to_owned(),
        payout_id: input.payout_id.trim().to_owned(),
        amount,
    };
    let credited = state.banking.credit_marketplace_payout(&credit).await.map_err(payout_error)?;
    let status = if credited.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((
        status,
        Json(PayoutCreditedDto {
            account: credited.account.to_string(),
            amount: credited.amount.into(),
            orders: credited.orders,
            replayed: credited.replayed,
        }),
    ))
}

/// The payout credits' refusals with their fields; the rest as usual.
pub fn payout_error(error: BankingError) -> ApiError {
    match error {
        BankingError::Message(code @ codes::PAYOUT_AMOUNT_MISMATCH, detail) => {
            ApiError::invalid("amount", code, detail)
        }
        BankingError::Message(code @ codes::PAYOUT_ACCOUNT_MISMATCH, detail) => {
            ApiError::invalid("account_iban", code, detail)
        }
        BankingError::Message(code @ codes::PAYOUT_RETURNED, detail) => {
            ApiError::invalid("amount.currency", code, detail)
        }
        BankingError::Conflict(code @ codes::PAYOUT_ALREADY_CREDITED) => ApiError::Conflict {
            code,
            detail: "this payout was already credited by another incoming credit".to_owned(),
        },
        other => other.into(),
    }
}
