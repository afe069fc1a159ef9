//! Marketplace payouts in planned credits (issue 6, R-3.1.2.5), as use cases.
//!
//! A payout of a marketplace report ([`crate::messages`]) is money the marketplace says it sends
//! to one of the partner's accounts on a date. Until its credit arrives it is a planned credit
//! next to the POS settlements ([`Banking::planned_credits`]); a payout to an IBAN that is not one
//! of the partner's accounts is left out of the plan (it cannot be credited here).
//!
//! **Crediting** ([`Banking::credit_marketplace_payout`], the gateway's
//! `POST /api/gateway/v1/marketplace/payouts`) mirrors the POS settlement: the account must be a
//! partner's current account, the payout one of that partner's reports' and to that IBAN, and the
//! amount exactly the payout's (else `payout_amount_mismatch`, naming both). It is booked exactly
//! like an incoming interbank credit ([`Banking::incoming_credit`]) under a message id derived
//! from the report's and the payout's store ids (`MP-{report}-{payout}`), so a repeat replays and
//! posts nothing; then the payout is marked credited with that message id, in one conditional
//! update, and leaves the plan.

use tiyn_core::iban::Iban;
use tiyn_core::{AccountId, Amount, Money, PartnerId};
use tiyn_payments::{MessageId, PayeeName};
use tiyn_store::messages::{CreditMarketplacePayout, PlannedPayout};
use tiyn_store::{Account, AccountKind};

use crate::gateway::IncomingCredit;
use crate::{Banking, BankingError};

/// Audit actions of marketplace payouts.
pub mod audit_action {
    /// The marketplace's payout credit arrived and was matched.
    pub const MARKETPLACE_PAYOUT: &str = "gateway.marketplace_payout";
}

/// Stable codes of the payout credits' refusals.
pub mod codes {
    /// The credit's amount is not the payout's.
    pub const PAYOUT_AMOUNT_MISMATCH: &str = crate::messages::codes::PAYOUT_AMOUNT_MISMATCH;
    /// The payout names another account than the credited one.
    pub const PAYOUT_ACCOUNT_MISMATCH: &str = "payout_account_mismatch";
    /// The credit could not be booked on the account (returned).
    pub const PAYOUT_RETURNED: &str = "payout_returned";
    /// The payout was credited before by another incoming credit.
    pub const PAYOUT_ALREADY_CREDITED: &str = tiyn_store::messages::PAYOUT_CREDITED_OTHERWISE;
}

/// Who the payout credits name as their payer.
pub const MARKETPLACE_NAME: &str = "Маркетплейс";

/// The marketplace's credit of one payout (`POST /api/gateway/v1/marketplace/payouts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplacePayoutCredit {
    pub account_iban: Iban,
    pub report_id: String,
    pub payout_id: String,
    pub amount: Amount,
}

/// What a payout credit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplacePayoutCredited {
    pub account: AccountId,
    pub amount: Money,
    /// Orders the payout covers.
    pub orders: u64,
    /// A repeat of a credit already matched: nothing changed.
    pub replayed: bool,
}

/// A payout in the partner's plan, with the account it is expected on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedPayoutCredit {
    pub account: Account,
    pub payout: PlannedPayout,
}

impl Banking {
    /// The partner's payouts not credited yet, each with its account among `accounts` (the
    /// partner's); payouts to other IBANs, or of nothing, are left out.
    pub(crate) async fn planned_payouts(
        &self,
        partner: PartnerId,
        accounts: &[Account],
    ) -> Result<Vec<PlannedPayoutCredit>, BankingError> {
        let payouts = self.store.planned_marketplace_payouts(partner).await?;
        let mut planned = Vec::with_capacity(payouts.len());
        for payout in payouts {
            debug_assert!(payout.partner == partner && payout.credited.is_none());
            let account = accounts.iter().find(|account| {
                account.kind == AccountKind::PartnerCurrent
                    && account.iban.as_ref().is_some_and(|iban| iban.as_str() == payout.account_iban)
                    && account.currency == payout.amount.currency()
            });
            if let Some(account) = account
                && payout.amount.is_positive()
            {
                planned.push(PlannedPayoutCredit { account: account.clone(), payout });
            }
        }
        Ok(planned)
    }

    /// The marketplace's credit of one payout (R-3.1.2.5): refused unless the account is the
    /// payout's and the amount is the payout's; booked like an incoming credit; the payout leaves
    /// the plan. A repeat answers `replayed` and posts nothing.
    pub async fn credit_marketplace_payout(
        &self,
        input: &MarketplacePayoutCredit,
    ) -> Result<MarketplacePayoutCredited, BankingError> {
        let account = self
            .store
            .account_by_iban(&input.account_iban)
            .await?
            .filter(|account| account.kind == AccountKind::PartnerCurrent)
            .ok_or(BankingError::NotFound("payout account"))?;
        let partner = account.partner.ok_or(BankingError::NotFound("payout account"))?;
        let payout = self
            .store
            .marketplace_payout(partner, input.report_id.trim(), input.payout_id.trim())
            .await?
            .ok_or(BankingError::NotFound("marketplace payout"))?;
        debug_assert_eq!(payout.partner, partner);
        if payout.account_iban != input.account_iban.as_str() {
            return Err(BankingError::Message(
                codes::PAYOUT_ACCOUNT_MISMATCH,
                format!(
                    "payout {} of report {} is to {}, not to {}",
                    payout.payout_id,
                    payout.report_id,
                    payout.account_iban,
                    input.account_iban.as_str()
                ),
            ));
        }
        let amount = input.amount.money();
        if amount != payout.amount {
            return Err(BankingError::Message(
                codes::PAYOUT_AMOUNT_MISMATCH,
                format!(
                    "the credit of {} {} does not match payout {} of report {}: {} {}",
                    amount.amount_string(),
                    amount.currency(),
                    payout.payout_id,
                    payout.report_id,
                    payout.amount.amount_string(),
                    payout.amount.currency()
                ),
            ));
        }
        let message_id = payout_message_id(payout.report, payout.payout)?;
        let done = MarketplacePayoutCredited { account: account.id, amount, orders: payout.orders, replayed: true };
        if let Some(credit) = &payout.credited {
            return if credit.message_id == message_id.as_str() {
                Ok(done)
            } else {
                Err(BankingError::Conflict(codes::PAYOUT_ALREADY_CREDITED))
            };
        }
        let credit = IncomingCredit {
            message_id: message_id.clone(),
            payee_iban: input.account_iban.clone(),
            amount: input.amount,
            payer_name: PayeeName::parse(MARKETPLACE_NAME)
                .map_err(|error| BankingError::Internal(format!("the marketplace's name: {error}")))?,
            payer_taxpayer_id: None,
            payer_iban: None,
            purpose: format!(
                "Выплата маркетплейса по отчёту {}: выплата {}, {} заказов",
                payout.report_id, payout.payout_id, payout.orders
            ),
        };
        let credited = self.incoming_credit(&credit).await?;
        if let Some(reason) = credited.returned {
            return Err(BankingError::Message(codes::PAYOUT_RETURNED, reason));
        }
        if credited.account != Some(account.id) {
            return Err(BankingError::Internal("a marketplace payout credited another account".into()));
        }
        let marked_before = self
            .store
            .credit_marketplace_payout(CreditMarketplacePayout {
                payout: payout.payout,
                message_id: message_id.as_str().to_owned(),
                at: self.now(),
            })
            .await?;
        if !marked_before {
            self.identity
                .record_system(
                    audit_action::MARKETPLACE_PAYOUT,
                    Some(partner),
                    format!("marketplace_report:{}", payout.report_id),
                    Some(format!(
                        "payout {}: {} {} to account {} for {} orders",
                        payout.payout_id,
                        amount.amount_string(),
                        amount.currency(),
                        account.id,
                        payout.orders
                    )),
                )
                .await?;
        }
        Ok(MarketplacePayoutCredited { replayed: credited.replayed, ..done })
    }
}

/// The payout credit's message id: the report's and the payout's store ids, so a repeat of the
/// same payout replays and no two payouts share one.
fn payout_message_id(report: i64, payout: i64) -> Result<MessageId, BankingError> {
    MessageId::parse(&format!("MP-{report}-{payout}"))
        .map_err(|_| BankingError::Internal("a marketplace payout message id is too long".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payout_message_ids_fit_and_differ() {
        // Fifteen digits each: a quadrillion reports and payouts.
        let id = payout_message_id(999_999_999_999_999, 999_999_999_999_999).expect("fits");
        assert!(id.as_str().len() <= tiyn_store::messages::PAYOUT_MESSAGE_ID_LENGTH_MAX);
        assert_ne!(payout_message_id(1, 12).expect("fits"), payout_message_id(11, 2).expect("fits"));
    }
}
