//! Conversion quotes (issue 5, R-3.1.1.4): `POST /conversions/quote` answers what a conversion
//! between two of the partner's accounts would debit and credit at the bank's rates in force, with
//! each leg (one for a direct rate, two through tenge for a cross) and until when the quote holds.
//! The same view of a quote is part of a confirmation's answer (`SigningDto::conversions`).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tiyn_banking::conversion::ConversionQuote;
use tiyn_core::{AccountId, Amount};
use tiyn_fx::Side;
use utoipa::ToSchema;

use crate::ApiState;
use crate::authz::Authenticated;
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::ApiJson;
use crate::money::{MoneyDto, MoneyInput};

/// A conversion to quote: what is sold (amount in the payer account's currency) or bought (in
/// the payee account's).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteInput {
    pub payer_account: String,
    pub payee_account: String,
    pub amount: MoneyInput,
}

/// One leg of a conversion at one of the bank's rates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversionLegDto {
    /// The rate's id: the conversion is reproducible from it.
    pub rate_id: String,
    /// `USD/KZT`.
    pub pair: String,
    /// `buy` (the bank buys the base currency) or `sell`.
    pub side: String,
    /// The rate applied, as a decimal string.
    pub rate: String,
    pub debit: MoneyDto,
    pub credit: MoneyDto,
}

/// A conversion at the bank's rates: what leaves the payer account, what reaches the payee
/// account, the legs, and until when the rates hold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversionQuoteDto {
    /// The document this quote is for (in a confirmation's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    pub debit: MoneyDto,
    pub credit: MoneyDto,
    pub legs: Vec<ConversionLegDto>,
    /// How amounts are rounded: to the minor unit of the target currency, `half_up`.
    pub rounding: String,
    pub quoted_at: String,
    pub expires_at: String,
}

impl ConversionQuoteDto {
    pub fn of(quote: &ConversionQuote, payment: Option<String>) -> ConversionQuoteDto {
        let conversion = &quote.conversion;
        ConversionQuoteDto {
            payment_id: payment,
            debit: MoneyDto::from(conversion.debit),
            credit: MoneyDto::from(conversion.credit),
            legs: conversion
                .legs
                .iter()
                .map(|leg| ConversionLegDto {
                    rate_id: leg.rate.to_string(),
                    pair: leg.pair.to_string(),
                    side: match leg.side {
                        Side::BankBuys => "buy",
                        Side::BankSells => "sell",
                    }
                    .to_owned(),
                    rate: leg.applied.to_string(),
                    debit: MoneyDto::from(leg.debit()),
                    credit: MoneyDto::from(leg.credit()),
                })
                .collect(),
            rounding: "half_up".to_owned(),
            quoted_at: quote.quoted_at.to_string(),
            expires_at: quote.expires_at.to_string(),
        }
    }
}

fn account(field: &str, text: &str) -> Result<AccountId, FieldError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(AccountId::new)
        .ok_or_else(|| FieldError::new(field, "invalid_account_id", "an account id is a positive integer such as 42"))
}

/// Quotes a conversion between two of the partner's accounts at the bank's rates in force now
/// (R-3.1.1.4). Changes nothing; the quote holds until `expires_at`. 409 `no_rate` when the bank
/// has no rate for the currencies.
#[utoipa::path(post, path = "/conversions/quote", tag = "rates", request_body = QuoteInput,
    responses((status = 200, body = ConversionQuoteDto), (status = 409, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn quote(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    ApiJson(input): ApiJson<QuoteInput>,
) -> Result<Json<ConversionQuoteDto>, ApiError> {
    let payer = account("payer_account", &input.payer_account);
    let payee = account("payee_account", &input.payee_account);
    let amount = input.amount.parse("amount").and_then(|money| {
        Amount::new(money).map_err(|error| FieldError::new("amount.amount", error.code(), error.to_string()))
    });
    let (payer, payee, amount) = match (payer, payee, amount) {
        (Ok(payer), Ok(payee), Ok(amount)) => (payer, payee, amount),
        (payer, payee, amount) => {
            let errors = [payer.err(), payee.err(), amount.err()].into_iter().flatten().collect();
            return Err(ApiError::Invalid(errors));
        }
    };
    let quote = state.banking.quote_conversion(&principal, payer, payee, amount).await?;
    Ok(Json(ConversionQuoteDto::of(&quote, None)))
}
