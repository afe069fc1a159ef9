//! Foreign-currency transfers (issue 5, R-3.1.1.3, R-13.1, R-4.15): what the bank checks beyond
//! the requisites, how a transfer is priced and held, and how the correspondent's debit is
//! posted.
//!
//! - **Currency control.** Above [`BankingConfig::foreign_contract_threshold`](crate::BankingConfig)
//!   (its equivalent at the bank's rates in force) the contract is required (`contract_required`).
//! - **An account in another currency** than the transfer's: the correspondent bank converts
//!   and debits this bank's account with it on the day it sends the money, at its own rate
//!   . Until it reports that debit, the partner's account holds the transfer's
//!   equivalent at the bank's selling rate plus [`HOLD_MARGIN_PERCENT`], and the commission;
//!   the settlement then posts exactly what the correspondent debited. With no bank rate for the
//!   pair the document is refused (`no_rate`). `BEN` (the payee pays every charge) is accepted
//!   only from an account in the transfer's currency, from which the commission is withheld.
//! - **The commission** is the tariff's `foreign` line on what leaves the account, in the
//!   account's currency; a minimum or maximum the bank wrote in another currency is converted at
//!   the bank's rate in force. Under `OUR` the plan's OUR fee (what the correspondents will
//!   charge the bank) is added.

use tiyn_core::{Amount, Currency, Money};
use tiyn_fx::RatesInForce;
use tiyn_payments::tariff::{Commission, KindTariff, TariffPlan};
use tiyn_payments::{Charges, DocumentKind, FieldError, Requisites, fields};

use crate::conversion::convert_at;
use crate::{Banking, BankingError};

/// How much above the bank's own rate the hold of a transfer from an account in another
/// currency reaches, in percent: the correspondent's rate on the day it sends may be worse than
/// ours at confirmation.
pub const HOLD_MARGIN_PERCENT: i64 = 2;

/// Stable codes.
pub mod codes {
    /// `BEN` from an account in another currency than the transfer's.
    pub const BEN_NEEDS_SAME_CURRENCY: &str = "ben_needs_same_currency";
    /// The gateway settled a transfer from an account in another currency without saying what
    /// the correspondent debited.
    pub const MISSING_EQUIVALENT: &str = "missing_equivalent";
}

/// A foreign transfer priced at confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignPrice {
    /// The commission, in the payer account's currency.
    pub commission: Money,
    /// What the payer account holds until the correspondent reports: in its currency.
    pub hold: Amount,
    /// The commission withheld from the amount sent (`BEN`), in the transfer's currency.
    pub withheld: Option<Money>,
    /// The transfer's equivalent in the account's currency at the bank's rate, when the account
    /// is in another currency: what the commission was computed on.
    pub estimate: Option<Money>,
}

fn internal(what: impl Into<String>) -> BankingError {
    BankingError::Internal(what.into())
}

impl Banking {
    /// The checks of a foreign transfer against the payer account and the bank's rules: `BEN`
    /// only in the account's currency, and the contract above the threshold.
    pub(crate) async fn check_foreign(
        &self,
        requisites: &Requisites,
        account: Currency,
    ) -> Result<Vec<FieldError>, BankingError> {
        let Some(payee) = requisites.payee().foreign_payee() else {
            return Ok(Vec::new());
        };
        let mut errors = Vec::new();
        let amount = requisites.amount();
        if payee.charges() == Charges::Ben && amount.currency() != account {
            errors.push(FieldError {
                field: fields::CHARGES,
                code: codes::BEN_NEEDS_SAME_CURRENCY,
                detail: format!(
                    "BEN withholds this bank's commission from the amount, which needs the payer account in {} (it is in {account})",
                    amount.currency()
                ),
            });
        }
        if payee.contract().is_none() {
            let threshold = self.config.foreign_contract_threshold;
            let rates = self.store.fx_rates_at(self.now()).await?;
            let above = match equivalent(amount, threshold.currency(), &rates) {
                Ok(equivalent) => equivalent.minor() > threshold.minor(),
                // Without a rate the bank cannot tell: it asks for the contract.
                Err(BankingError::Conflict(_)) => true,
                Err(other) => return Err(other),
            };
            if above {
                errors.push(FieldError::contract_required(format!(
                    "transfers above {} {} (the equivalent at the bank's rate) need the currency-control contract's number and date",
                    threshold.amount_string(),
                    threshold.currency()
                )));
            }
        }
        Ok(errors)
    }

    /// Prices a foreign transfer of `requisites` from an account in `account` currency at the
    /// bank's rates in force now: the commission, the hold and what is withheld.
    pub(crate) async fn price_foreign(
        &self,
        plan: &TariffPlan,
        requisites: &Requisites,
        account: Currency,
    ) -> Result<ForeignPrice, BankingError> {
        let payee = requisites.payee().foreign_payee().ok_or_else(|| internal("not a foreign transfer"))?;
        let amount = requisites.amount();
        let rates = self.store.fx_rates_at(self.now()).await?;
        let tariff = tariff_in(plan.tariff(DocumentKind::Foreign), account, &rates)?;
        // Under OUR the payer pays the correspondents' charges too: the plan's fee for it.
        let our_fee = match (payee.charges(), plan.our_fee()) {
            (Charges::Our, Some(fee)) => match Amount::new(fee.money()) {
                Ok(fee) => equivalent(fee, account, &rates)?,
                Err(_) => Money::zero(account),
            },
            _ => Money::zero(account),
        };
        let priced = |base: Amount| -> Result<Money, BankingError> {
            let tariffed = tariff.commission_on(base).map_err(|error| BankingError::Tariff(error.code()))?;
            tariffed.checked_add(our_fee).map_err(|_| internal("a commission overflows"))
        };
        if amount.currency() == account {
            let commission = priced(amount)?;
            let (hold, withheld) = if payee.charges() == Charges::Ben {
                if commission.minor() >= amount.minor() {
                    return Err(BankingError::Tariff("commission_exceeds_amount"));
                }
                (amount, commission.is_positive().then_some(commission))
            } else {
                let total = amount.money().checked_add(commission).map_err(|_| internal("a hold overflows"))?;
                (Amount::new(total).map_err(|_| internal("a hold is not positive"))?, None)
            };
            return Ok(ForeignPrice { commission, hold, withheld, estimate: None });
        }
        let estimate = convert_at(account, amount.currency(), amount, &rates)?.debit;
        let base = Amount::new(estimate).map_err(|_| internal("an equivalent is not positive"))?;
        let commission = priced(base)?;
        let margin = estimate.minor().checked_mul(HOLD_MARGIN_PERCENT).ok_or_else(|| internal("a hold overflows"))?;
        // Rounded up, so the margin never rounds to nothing.
        let margin = margin.div_euclid(100) + i64::from(margin.rem_euclid(100) != 0);
        let hold = estimate
            .minor()
            .checked_add(margin)
            .and_then(|minor| minor.checked_add(commission.minor()))
            .ok_or_else(|| internal("a hold overflows"))?;
        let hold = Amount::new(Money::from_minor(hold, account)).map_err(|_| internal("a hold is not positive"))?;
        Ok(ForeignPrice { commission, hold, withheld: None, estimate: Some(estimate) })
    }
}

/// `amount` in `currency` at the bank's rates (the amount itself when it is in that currency).
fn equivalent(amount: Amount, currency: Currency, rates: &RatesInForce) -> Result<Money, BankingError> {
    if amount.currency() == currency {
        return Ok(amount.money());
    }
    Ok(convert_at(amount.currency(), currency, amount, rates)?.credit)
}

/// The foreign tariff with its fee, minimum and maximum in `currency`: converted at the bank's
/// rates when the bank wrote them in another currency.
fn tariff_in(tariff: &KindTariff, currency: Currency, rates: &RatesInForce) -> Result<KindTariff, BankingError> {
    let convert = |fee: Money| -> Result<Money, BankingError> {
        if fee.currency() == currency {
            return Ok(fee);
        }
        match Amount::new(fee) {
            Ok(amount) => equivalent(amount, currency, rates),
            // A zero bound is zero in every currency.
            Err(_) => Ok(Money::zero(currency)),
        }
    };
    let tariff_error = |error: tiyn_payments::tariff::TariffPlanError| internal(error.to_string());
    let commission = match tariff.commission() {
        Commission::Free => Commission::Free,
        Commission::Fixed(fee) => Commission::fixed(convert(fee.money())?).map_err(tariff_error)?,
        Commission::Percent(percent) => Commission::percent(
            percent.rate(),
            percent.min().map(|fee| convert(fee.money())).transpose()?,
            percent.max().map(|fee| convert(fee.money())).transpose()?,
        )
        .map_err(tariff_error)?,
    };
    KindTariff::new(commission, tariff.withholding()).map_err(tariff_error)
}
