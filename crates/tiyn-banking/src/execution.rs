//! How a confirmed document is carried out: the ledger command of its kind, with its commission
//! in the same entry, or the value date it waits for.

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::Amount;
use tiyn_core::Money;
use tiyn_ledger::{Action, Command, EntryKind, IdempotencyKey, JournalEntry, MEMO_LENGTH_MAX, Posting};
use tiyn_payments::tariff;
use tiyn_payments::{Document, DocumentKind, Draft, Payee, Refusal, RefusalCode};
use tiyn_store::payments::{Execution, PaymentRecord, PlannedPayment, SigningMember};
use tiyn_store::rules::AmlEntry;

use crate::conversion::{self, ConversionQuote};
use crate::rules::Effective;

use crate::{Banking, BankingError, is_outgoing};

/// The ledger key of a document's money movement: one per document, so a retried confirmation
/// can never move its money twice.
pub(crate) fn ledger_key(document: tiyn_payments::DocumentId) -> Result<IdempotencyKey, BankingError> {
    IdempotencyKey::parse(&format!("payment-{document}")).map_err(|error| BankingError::Internal(error.to_string()))
}

/// The interbank message id of a document (ISO 20022 `MsgId`, at most 35 characters): the
/// business date and the document id, so a resent message is recognised as the same.
pub(crate) fn message_id(document: tiyn_payments::DocumentId, date: Date) -> String {
    format!("TIYN{}{:012}", date.strftime("%Y%m%d"), document.get())
}

fn memo(record: &PaymentRecord) -> String {
    let purpose = record.fields.purpose.as_deref().unwrap_or("");
    let memo = format!("№ {}: {purpose}", record.number);
    memo.chars().take(MEMO_LENGTH_MAX).collect()
}

fn ledger(error: tiyn_ledger::LedgerError) -> BankingError {
    BankingError::Internal(format!("a payment's ledger command cannot be built: {error}"))
}

impl Banking {
    /// What the confirmation does with one document today.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn plan(
        &self,
        record: &PaymentRecord,
        document: &Document<Draft>,
        member: SigningMember,
        rules: &Effective,
        aml: &[AmlEntry],
        today: Date,
        now: Timestamp,
        conversion: Option<ConversionQuote>,
    ) -> Result<PlannedPayment, BankingError> {
        let kind = document.kind();
        if kind == DocumentKind::Conversion {
            return self.plan_conversion(record, document, member, rules, today, now, conversion).await;
        }
        let amount = document.requisites().amount();
        let value_date = document.requisites().value_date();
        if kind == DocumentKind::Foreign && value_date == today {
            return self.plan_foreign(record, document, member, rules, aml, now).await;
        }
        let quote = match kind {
            // Priced when it is sent (on its value date), at the rates of that day.
            DocumentKind::Foreign => None,
            _ => Some(tariff::quote(&rules.tariff, kind, amount).map_err(|error| BankingError::Tariff(error.code()))?),
        };
        let commission = quote.map_or(Money::zero(amount.currency()), |quote| quote.commission());
        let payer = document.requisites().payer_account();
        let aml_refusal = Banking::aml_refusal(aml, document.requisites(), now);
        let execution = if rules.disabled_kinds.contains(&kind) {
            Execution::Refuse(Refusal::new(
                RefusalCode::ServiceDisabled,
                &format!("the bank has switched {kind} payments off for this partner"),
                now,
            ))
        } else if let Some(refusal) = aml_refusal {
            Execution::Refuse(refusal)
        } else if value_date < today {
            Execution::Refuse(Refusal::new(
                RefusalCode::ValueDateExpired,
                &format!("the value date {value_date} has passed"),
                now,
            ))
        } else if value_date > today {
            Execution::Later
        } else if let Some(quote) = quote
            && is_outgoing(kind)
        {
            let action = Action::Hold { account: payer, amount: quote.required_debit(), memo: memo(record) };
            Execution::Hold {
                command: Command::new(ledger_key(record.id)?, now, action).map_err(ledger)?,
                message_id: message_id(record.id, today),
            }
        } else if let Some(quote) = quote {
            let Payee::Internal { account: payee } = document.requisites().payee() else {
                return Err(BankingError::Internal(format!(
                    "payment {} is internal without a payee account",
                    record.id
                )));
            };
            let mut postings = vec![
                Posting { account: payer, amount: negative(quote.required_debit())? },
                Posting { account: *payee, amount: quote.payee_credit().money() },
            ];
            if quote.commission().is_positive() {
                let fees = self.fees_account(amount.currency()).await?;
                postings.push(Posting { account: fees, amount: quote.commission() });
            }
            let entry = JournalEntry::new(postings).map_err(ledger)?;
            let action = Action::Post { entry, kind: EntryKind::Transfer, memo: memo(record) };
            Execution::Post(Command::new(ledger_key(record.id)?, now, action).map_err(ledger)?)
        } else {
            return Err(BankingError::Internal(format!("payment {} has no price", record.id)));
        };
        Ok(PlannedPayment { member, payer, kind, amount, commission, execution })
    }

    /// What the confirmation (or the executor, on the value date) does with a foreign transfer
    /// due today: holds its price in the payer account's currency and sends it to the
    /// correspondent (R-3.1.1.3, R-13.1); refused when the bank switched the kind off, the payee
    /// is on the AML list, or there is no rate to estimate the debit at.
    async fn plan_foreign(
        &self,
        record: &PaymentRecord,
        document: &Document<Draft>,
        member: SigningMember,
        rules: &Effective,
        aml: &[AmlEntry],
        now: Timestamp,
    ) -> Result<PlannedPayment, BankingError> {
        let kind = document.kind();
        let requisites = document.requisites();
        let (amount, payer) = (requisites.amount(), requisites.payer_account());
        let account = self.store.account(payer).await?.ok_or(BankingError::NotFound("account"))?;
        let planned = |commission: Money, execution: Execution| PlannedPayment {
            member,
            payer,
            kind,
            amount,
            commission,
            execution,
        };
        let refuse = |code: RefusalCode, reason: &str| Execution::Refuse(Refusal::new(code, reason, now));
        let nothing = Money::zero(account.currency);
        if rules.disabled_kinds.contains(&kind) {
            let reason = format!("the bank has switched {kind} payments off for this partner");
            return Ok(planned(nothing, refuse(RefusalCode::ServiceDisabled, &reason)));
        }
        if let Some(refusal) = Banking::aml_refusal(aml, requisites, now) {
            return Ok(planned(nothing, Execution::Refuse(refusal)));
        }
        let price = match self.price_foreign(&rules.tariff, requisites, account.currency).await {
            Ok(price) => price,
            Err(BankingError::Conflict(code)) if code == conversion::codes::NO_RATE => {
                let reason = format!("the bank has no rate between {} and {}", amount.currency(), account.currency);
                return Ok(planned(nothing, refuse(RefusalCode::NoRate, &reason)));
            }
            Err(other) => return Err(other),
        };
        let action = Action::Hold { account: payer, amount: price.hold, memo: memo(record) };
        let execution = Execution::Hold {
            command: Command::new(ledger_key(record.id)?, now, action).map_err(ledger)?,
            message_id: message_id(record.id, tiyn_identity::business_date(now)),
        };
        Ok(planned(price.commission, execution))
    }

    /// What the confirmation (or the executor, on the value date) does with a conversion: posted
    /// at `quoted` rates when the confirmation quoted it, else at the rates in force now; refused
    /// when the bank has no rate then. Its commission, if the tariff has one, is on what is sold.
    #[allow(clippy::too_many_arguments)]
    async fn plan_conversion(
        &self,
        record: &PaymentRecord,
        document: &Document<Draft>,
        member: SigningMember,
        rules: &Effective,
        today: Date,
        now: Timestamp,
        quoted: Option<ConversionQuote>,
    ) -> Result<PlannedPayment, BankingError> {
        let kind = document.kind();
        let requisites = document.requisites();
        let (amount, payer, value_date) = (requisites.amount(), requisites.payer_account(), requisites.value_date());
        let planned = |commission: Money, execution: Execution| PlannedPayment {
            member,
            payer,
            kind,
            amount,
            commission,
            execution,
        };
        let refuse = |code: RefusalCode, reason: String| Execution::Refuse(Refusal::new(code, &reason, now));
        let nothing = Money::zero(amount.currency());
        if rules.disabled_kinds.contains(&kind) {
            let reason = format!("the bank has switched {kind} payments off for this partner");
            return Ok(planned(nothing, refuse(RefusalCode::ServiceDisabled, reason)));
        }
        if value_date < today {
            let reason = format!("the value date {value_date} has passed");
            return Ok(planned(nothing, refuse(RefusalCode::ValueDateExpired, reason)));
        }
        if value_date > today {
            return Ok(planned(nothing, Execution::Later));
        }
        let quote = match quoted {
            Some(quote) => quote,
            None => match self.quote_document(document, now).await {
                Ok(quote) => quote,
                Err(BankingError::Conflict(code)) if code == conversion::codes::NO_RATE => {
                    let reason = "the bank had no rate to convert at on the value date".to_owned();
                    return Ok(planned(nothing, refuse(RefusalCode::NoRate, reason)));
                }
                Err(other) => return Err(other),
            },
        };
        let Payee::Conversion { account: payee } = requisites.payee() else {
            return Err(BankingError::Internal(format!("payment {} is a conversion without a payee", record.id)));
        };
        let conversion = &quote.conversion;
        let commission = tariff::quote(&rules.tariff, kind, conversion::commission_base(conversion)?)
            .map_err(|error| BankingError::Tariff(error.code()))?
            .commission();
        let mut postings = self.conversion_postings(conversion, payer, *payee).await?;
        if commission.is_positive() {
            let payer_line = postings
                .iter_mut()
                .find(|posting| posting.account == payer)
                .ok_or_else(|| BankingError::Internal("a conversion without its payer".into()))?;
            payer_line.amount = payer_line
                .amount
                .checked_sub(commission)
                .map_err(|_| BankingError::Internal("a conversion's debit overflows".into()))?;
            postings.push(Posting { account: self.fees_account(commission.currency()).await?, amount: commission });
        }
        let entry = JournalEntry::new(postings).map_err(ledger)?;
        let rates: Vec<String> = conversion.legs.iter().map(|leg| format!("{} @ {}", leg.pair, leg.applied)).collect();
        let memo: String = format!("{}; {}", memo(record), rates.join(", ")).chars().take(MEMO_LENGTH_MAX).collect();
        let action = Action::Post { entry, kind: EntryKind::Conversion, memo };
        Ok(planned(commission, Execution::Post(Command::new(ledger_key(record.id)?, now, action).map_err(ledger)?)))
    }
}

fn negative(amount: Amount) -> Result<tiyn_core::Money, BankingError> {
    amount.money().checked_neg().map_err(|_| BankingError::Internal("an amount does not negate".into()))
}

/// Confirmed documents carried out per pass of the executor.
pub const DUE_BATCH_MAX: usize = 200;

impl Banking {
    /// Carries out confirmed documents whose value date has come (R-3.1.1.1): posted, sent, or
    /// refused with the reason (insufficient funds on the value date). A document another
    /// process carried out first is skipped. Answers how many were carried out.
    pub async fn execute_due(&self) -> Result<usize, BankingError> {
        let now = self.now();
        let today = self.today();
        let due = self.store.due_payments(today, DUE_BATCH_MAX).await?;
        let outgoing = due.iter().any(|record| record.kind().is_some_and(crate::is_outgoing));
        let aml = if outgoing { self.store.aml_list().await? } else { Vec::new() };
        let mut done = 0;
        for record in due {
            let rules = self.effective_rules(record.partner).await?;
            let document = crate::restore_draft(&record)?;
            let member = tiyn_store::payments::SigningMember {
                document: record.id,
                version: record.version,
                content_digest: document.content_digest(),
            };
            // A value date that passed while the server was down is still carried out: it is
            // the day the client chose, not later than today.
            let planned = self.plan(&record, &document, member, &rules, &aml, record.value_date, now, None).await?;
            let due = tiyn_store::payments::DueExecution {
                partner: record.partner,
                document: record.id,
                kind: planned.kind,
                payer: planned.payer,
                execution: planned.execution,
                at: now,
            };
            match self.store.carry_out_payment(due).await {
                Ok(outcome) => {
                    done += 1;
                    let details = match &outcome {
                        tiyn_store::payments::PaymentOutcome::Refused(refusal) => {
                            format!("{}: {} ({})", outcome.status().as_str(), refusal.code.as_str(), refusal.reason)
                        }
                        _ => outcome.status().as_str().to_owned(),
                    };
                    self.identity
                        .record_system(
                            crate::audit_action::PAYMENT_CARRY_OUT,
                            Some(record.partner),
                            format!("payment:{}", record.id),
                            Some(details),
                        )
                        .await?;
                }
                Err(tiyn_store::StoreError::Conflict(_)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(done)
    }
}
