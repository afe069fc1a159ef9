//! Money on the wire: `{"amount": "1500.00", "currency": "KZT"}`.
//!
//! Amounts are decimal strings with exactly the currency's minor digits. A JSON number is refused
//! with `invalid_amount` even when it looks harmless (`1500`): once a client sends numbers, one
//! day it sends `0.1 + 0.2`. To refuse a number *precisely* (with the field name, not a generic
//! "invalid body"), requests read the amount as any JSON value and parse it here.

use serde::{Deserialize, Serialize};
use tiyn_core::{Currency, Money};
use utoipa::ToSchema;

use crate::error::FieldError;

/// An amount with its currency, as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MoneyDto {
    /// Decimal string with exactly the currency's minor digits: `"1500.00"` KZT, `"1500"` JPY.
    #[schema(example = "1500.00", pattern = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")]
    pub amount: String,
    /// ISO 4217 alphabetic code.
    #[schema(example = "KZT")]
    pub currency: String,
}

impl From<Money> for MoneyDto {
    fn from(money: Money) -> MoneyDto {
        MoneyDto { amount: money.amount_string(), currency: money.currency().code().to_owned() }
    }
}

/// An amount as a client sends it. Parse it with [`MoneyInput::parse`]; the fields are raw so that
/// every mistake gets its own code.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct MoneyInput {
    /// Decimal string with exactly the currency's minor digits. A JSON number is refused (422,
    /// `invalid_amount`).
    #[schema(value_type = String, example = "1500.00")]
    pub amount: serde_json::Value,
    #[schema(example = "KZT")]
    pub currency: String,
}

impl MoneyInput {
    /// Parses into money; `field` is the name of this object in the request (`"amount"`), so
    /// errors name `amount.amount` or `amount.currency`.
    pub fn parse(&self, field: &str) -> Result<Money, FieldError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|error| FieldError::new(format!("{field}.currency"), error.code(), error.to_string()))?;
        let amount_field = format!("{field}.amount");
        let text = match &self.amount {
            serde_json::Value::String(text) => text,
            serde_json::Value::Number(number) => {
                return Err(FieldError::new(
                    amount_field,
                    "invalid_amount",
                    format!("amounts are decimal strings such as \"1500.00\", not JSON numbers (got {number})"),
                ));
            }
            _ => return Err(FieldError::new(amount_field, "invalid_amount", "the amount must be a decimal string")),
        };
        Money::parse_canonical(text, currency)
            .map_err(|error| FieldError::new(amount_field, error.code(), error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: serde_json::Value, expected: Result<(i64, Currency), (&str, &str)>) {
        let input: MoneyInput = serde_json::from_value(value.clone()).expect("shape");
        let got = input.parse("amount").map(|money| (money.minor(), money.currency()));
        let got = got.as_ref().map_err(|error| (error.field.as_str(), error.code));
        assert_eq!(got, expected.as_ref().map_err(|error| *error), "{value}");
    }

    #[test]
    fn amounts_are_canonical_decimal_strings() {
        check(json!({"amount": "1500.00", "currency": "KZT"}), Ok((150_000, Currency::Kzt)));
        check(json!({"amount": "-0.01", "currency": "USD"}), Ok((-1, Currency::Usd)));
        check(json!({"amount": "1500", "currency": "JPY"}), Ok((1500, Currency::Jpy)));
        check(json!({"amount": 1.5, "currency": "KZT"}), Err(("amount.amount", "invalid_amount")));
        check(json!({"amount": 1500, "currency": "KZT"}), Err(("amount.amount", "invalid_amount")));
        check(json!({"amount": null, "currency": "KZT"}), Err(("amount.amount", "invalid_amount")));
        check(json!({"amount": "1.001", "currency": "KZT"}), Err(("amount.amount", "amount_precision")));
        check(json!({"amount": "1500", "currency": "KZT"}), Err(("amount.amount", "amount_precision")));
        check(json!({"amount": "1e3", "currency": "KZT"}), Err(("amount.amount", "invalid_amount")));
        check(json!({"amount": "-0.00", "currency": "KZT"}), Err(("amount.amount", "invalid_amount")));
        check(
            json!({"amount": "99999999999999999999.00", "currency": "KZT"}),
            Err(("amount.amount", "amount_overflow")),
        );
        check(json!({"amount": "1.00", "currency": "kzt"}), Err(("amount.currency", "unsupported_currency")));
    }

    #[test]
    fn money_leaves_as_a_decimal_string() {
        let dto = MoneyDto::from(Money::from_minor(150_000_000, Currency::Kzt));
        assert_eq!(serde_json::to_value(dto).ok(), Some(json!({"amount": "1500000.00", "currency": "KZT"})));
    }
}
