//! The interbank gateway (R-3.1.1.1, R-6.4.3): outgoing payments leave as ISO 20022 pacs.008
//! messages from a durable outbox (at least once; the gateway deduplicates by message id), the
//! gateway's pacs.002 answers settle or reject them, and incoming credits land on partner accounts.
//!
//! Money: a sent payment holds amount + commission on the payer's account. Settled: the hold is
//! released and one entry posts payer −(amount + commission), clearing +amount, fee income
//! +commission. Rejected: the hold is released and the document refused with the gateway's reason.
//! Incoming: one entry clearing −amount, payee +amount (the bank's suspense account when the IBAN
//! is not a partner's account in that currency).

use std::sync::Arc;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use tiyn_core::iban::Iban;
use tiyn_core::{AccountId, Amount, EconomicSector, Kbe, Money, Residency, TaxpayerId};
use tiyn_ledger::{Action, Command, EntryKind, IdempotencyKey, JournalEntry, Posting, Receipt};
use tiyn_payments::iso20022::{
    CorrespondentDebit, Equivalent, ForeignTransfer, InterbankStatus, OutgoingTransfer, Party, TransferStatus, pacs008,
    pacs008_foreign, parse_pacs002,
};
use tiyn_payments::{
    Charges, Directories, DocumentNumber, MessageId, PURPOSE_LENGTH_MAX, PayeeName, Purpose, Refusal, RefusalCode,
    Requisites, Status,
};
use tiyn_store::AccountKind;
use tiyn_store::payments::{GatewayOutcome, OutboxItem, OutboxSource, PaymentRecord, Settlement};
use tiyn_store::rules::{CollectionOutcome, CollectionResult, CollectionSettlement, RestrictionKind};

use crate::{Banking, BankingError};

/// Messages handed to the gateway per pass of the dispatcher.
pub const OUTBOX_BATCH_MAX: usize = 100;
/// The longest wait between two attempts to hand a message to an unreachable gateway.
const RETRY_PAUSE_MAX: SignedDuration = SignedDuration::from_secs(300);

/// Where outgoing messages go: the interbank system's gateway (or the demo's simulator).
#[async_trait]
pub trait Gateway: Send + Sync {
    /// Hands one message over; `Ok` once the gateway has taken it (it deduplicates by message
    /// id, so a repeat after a lost answer is harmless).
    async fn hand_off(&self, transfer: &OutgoingTransfer, pacs008: &str) -> Result<(), String>;

    /// Hands a foreign-currency transfer to the correspondent bank's channel (R-3.1.1.3). A
    /// gateway that carries only tenge payments keeps this default: the message stays in the
    /// outbox, retried, and the log says why.
    async fn hand_off_foreign(&self, transfer: &ForeignTransfer, pacs008: &str) -> Result<(), String> {
        let _ = pacs008;
        Err(format!("this gateway does not carry foreign transfers ({})", transfer.message_id.as_str()))
    }
}

/// An outgoing message as built from the outbox: a tenge transfer for МСПД/МКС, or a foreign
/// one for the correspondent bank.
enum Outgoing {
    Domestic(OutgoingTransfer),
    Foreign(ForeignTransfer),
}

/// An incoming interbank credit (`POST /api/gateway/v1/incoming`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCredit {
    /// The sending system's message id: a repeat is recognised and changes nothing.
    pub message_id: MessageId,
    pub payee_iban: Iban,
    pub amount: Amount,
    pub payer_name: PayeeName,
    pub payer_taxpayer_id: Option<TaxpayerId>,
    pub payer_iban: Option<Iban>,
    pub purpose: String,
}

/// Where an incoming credit went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credited {
    /// The account credited: the partner's, or the bank's suspense account; `None` when the credit
    /// was returned.
    pub account: Option<AccountId>,
    /// The IBAN was not a partner's account in that currency: the money waits on the bank's
    /// suspense account.
    pub suspense: bool,
    /// A repeat of a credit already booked (or already returned).
    pub replayed: bool,
    /// What the account received, in its currency: converted at the bank's rate when the credit
    /// came in another currency. Unknown (`None`) on a repeat of a converted credit.
    pub credited: Option<Money>,
    /// Refused back to the sending bank: why. Nothing was posted.
    pub returned: Option<String>,
}

impl Credited {
    fn returned(reason: String, replayed: bool) -> Credited {
        Credited { account: None, suspense: false, replayed, credited: None, returned: Some(reason) }
    }
}

fn key(text: String) -> Result<IdempotencyKey, BankingError> {
    IdempotencyKey::parse(&text).map_err(|error| BankingError::Internal(error.to_string()))
}

fn ledger(error: tiyn_ledger::LedgerError) -> BankingError {
    BankingError::Internal(format!("a gateway ledger command cannot be built: {error}"))
}

/// An outbox item's message id, as the message carries it.
fn message_id(item: &OutboxItem) -> Result<MessageId, BankingError> {
    MessageId::parse(&item.message_id).map_err(|error| BankingError::Internal(error.code().into()))
}

/// The interbank system's reason for a rejection, as the partner reads it.
fn rejection_text(code: &Option<String>, reason: &Option<String>) -> String {
    match (code, reason) {
        (Some(code), Some(reason)) => format!("{code}: {reason}"),
        (Some(code), None) => code.clone(),
        (None, Some(reason)) => reason.clone(),
        (None, None) => "rejected by the interbank system".to_owned(),
    }
}

/// An answer as the audit trail records it.
fn answer_text(status: &InterbankStatus) -> String {
    match status {
        InterbankStatus::Rejected { code, reason } => format!(
            "rejected {}",
            [code.as_deref(), reason.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(": ")
        ),
        InterbankStatus::Settled => "settled".to_owned(),
        InterbankStatus::Pending => "pending".to_owned(),
    }
}

/// The KOd of a partner: a resident non-state commercial organisation (17). Partners are
/// Kazakhstan legal entities; a partner attribute when the bank serves others.
fn partner_kod() -> Kbe {
    Kbe::new(Residency::Resident, EconomicSector::PrivateNonFinancialCorporations)
}

impl Banking {
    /// Hands every due outbox message to the gateway; a failed hand-off is retried later with a
    /// growing pause. Answers how many were handed over.
    pub async fn dispatch_outbox(&self, gateway: &dyn Gateway) -> Result<usize, BankingError> {
        let now = self.now();
        let due = self.store.pending_outbox(now, OUTBOX_BATCH_MAX).await?;
        let mut delivered = 0;
        for item in due {
            let built = match item.source {
                OutboxSource::Payment(document) => self.outgoing_transfer(&item, document).await,
                OutboxSource::Collection(collection) => {
                    self.collection_transfer(&item, collection).await.map(Outgoing::Domestic)
                }
            };
            // A message that cannot be built (its data no longer reads back, a bank left the
            // directory) must not hold up the others: it is retried like an unreachable gateway,
            // and the log says why.
            let handed = match built {
                Ok(Outgoing::Domestic(transfer)) => {
                    let message = pacs008(&transfer);
                    gateway.hand_off(&transfer, &message).await
                }
                Ok(Outgoing::Foreign(transfer)) => {
                    let message = pacs008_foreign(&transfer);
                    gateway.hand_off_foreign(&transfer, &message).await
                }
                Err(error) => {
                    tracing::error!(message_id = %item.message_id, %error, "an outbox message cannot be built");
                    Err(format!("the message cannot be built: {error}"))
                }
            };
            match handed {
                Ok(()) => {
                    self.store.outbox_delivered(&item.message_id, self.now()).await?;
                    delivered += 1;
                }
                Err(error) => {
                    tracing::warn!(message_id = %item.message_id, attempts = item.attempts + 1, %error, "the gateway did not take a message; retrying later");
                    let pause = SignedDuration::from_secs(1i64 << item.attempts.min(8)).min(RETRY_PAUSE_MAX);
                    let next =
                        self.now().checked_add(pause).map_err(|error| BankingError::Internal(error.to_string()))?;
                    self.store.outbox_failed(&item.message_id, next, &error).await?;
                }
            }
        }
        Ok(delivered)
    }

    /// The pacs.008 content of a payment's outbox message, from its document, the partner and
    /// the account: a tenge transfer, or a foreign one with the commission withheld under `BEN`.
    async fn outgoing_transfer(
        &self,
        item: &OutboxItem,
        document: tiyn_payments::DocumentId,
    ) -> Result<Outgoing, BankingError> {
        let record = self.store.payment(item.partner, document).await?.ok_or(BankingError::NotFound("payment"))?;
        let requisites = Requisites::restore(&record.fields)
            .map_err(|_| BankingError::Internal(format!("stored payment {} does not read back", record.id)))?;
        let payer = self.payer_party(item.partner, requisites.payer_account()).await?;
        if let Some(payee) = requisites.payee().foreign_payee() {
            let withheld = match payee.charges() {
                Charges::Ben => record.commission.filter(|commission| commission.is_positive()),
                Charges::Our | Charges::Sha => None,
            };
            return ForeignTransfer::from_requisites(
                &requisites,
                payer,
                withheld,
                record.number,
                message_id(item)?,
                item.created_at,
            )
            .map(Outgoing::Foreign)
            .map_err(|error| BankingError::Internal(error.code().into()));
        }
        OutgoingTransfer::from_requisites(&requisites, payer, record.number, message_id(item)?, item.created_at)
            .map(Outgoing::Domestic)
            .map_err(|error| BankingError::Internal(error.code().into()))
    }

    /// The pacs.008 content of a collection's outbox message: the partner's account
    /// pays the creditor of the collection order, with the order's codes; the order's reference
    /// is the purpose and the collection's id the document number.
    async fn collection_transfer(&self, item: &OutboxItem, id: i64) -> Result<OutgoingTransfer, BankingError> {
        let internal = |what: &str| BankingError::Internal(format!("collection {id}: {what}"));
        let record = self.store.collection(id).await?.ok_or(BankingError::NotFound("collection"))?;
        let restriction = self
            .store
            .account_restrictions(record.account)
            .await?
            .into_iter()
            .find(|restriction| restriction.id == record.restriction)
            .ok_or_else(|| internal("its order is gone"))?;
        let RestrictionKind::CollectionOrder(order) = &restriction.kind else {
            return Err(internal("its restriction is not a collection order"));
        };
        let creditor = order.creditor();
        let codes = creditor.codes.ok_or_else(|| internal("its order has no codes"))?;
        let bic = creditor
            .iban
            .kz_bank_code()
            .and_then(|code| self.reference.banks().by_iban_bank_code(code))
            .ok_or_else(|| internal("the creditor's bank is not in the bank directory"))?
            .bic()
            .clone();
        let purpose: String =
            format!("Инкассовое распоряжение: {}", restriction.reference).chars().take(PURPOSE_LENGTH_MAX).collect();
        let transfer = OutgoingTransfer {
            message_id: message_id(item)?,
            created_at: item.created_at,
            number: DocumentNumber::new(
                u64::try_from(id).ok().and_then(std::num::NonZeroU64::new).ok_or_else(|| internal("its id"))?,
            ),
            amount: Amount::new(record.amount).map_err(|_| internal("its amount"))?,
            value_date: tiyn_identity::business_date(record.collected_at),
            knp: codes.knp(),
            kbk: codes.kbk(),
            purpose: Purpose::parse(&purpose).map_err(|_| internal("its purpose"))?,
            payer: self.payer_party(item.partner, record.account).await?,
            payee: Party {
                name: creditor.name.clone(),
                taxpayer_id: creditor.taxpayer_id,
                iban: creditor.iban.clone(),
                bic,
                code: codes.kbe(),
            },
        };
        Ok(transfer)
    }

    /// The debtor of an outgoing transfer: the partner, its account's IBAN, our bank, its KOd.
    async fn payer_party(&self, partner: tiyn_core::PartnerId, account: AccountId) -> Result<Party, BankingError> {
        let partner = self.store.partner(partner).await?.ok_or(BankingError::NotFound("partner"))?;
        let account = self.store.account(account).await?.ok_or(BankingError::NotFound("account"))?;
        let iban = account.iban.ok_or_else(|| BankingError::Internal("a partner account without an IBAN".into()))?;
        let directories = Directories::new(&self.reference, &self.config.bank_code)
            .map_err(|error| BankingError::Internal(error.to_string()))?;
        Ok(Party {
            name: PayeeName::parse(&partner.name).map_err(|error| BankingError::Internal(error.to_string()))?,
            taxpayer_id: TaxpayerId::Bin(partner.bin),
            iban,
            bic: directories.own_bank().bic().clone(),
            code: partner_kod(),
        })
    }

    /// Applies a pacs.002 status report (`POST /api/gateway/v1/status`): each settled or rejected
    /// transfer is carried out once; a repeat changes nothing. Answers each message's status.
    pub async fn apply_pacs002(&self, xml: &str) -> Result<Vec<(MessageId, Status)>, BankingError> {
        let statuses = parse_pacs002(xml).map_err(|error| BankingError::Message(error.code(), error.to_string()))?;
        let mut applied = Vec::with_capacity(statuses.len());
        for status in statuses {
            if let Some(result) = self.apply_status(&status).await? {
                applied.push((status.message_id.clone(), result));
            }
        }
        Ok(applied)
    }

    /// One transfer's status; `None` for a pending one (nothing to do yet).
    pub async fn apply_status(&self, status: &TransferStatus) -> Result<Option<Status>, BankingError> {
        let message_id = status.message_id.as_str();
        let Some(record) = self.store.payment_by_message(message_id).await? else {
            return self.apply_collection_status(status).await;
        };
        let hold =
            record.hold.ok_or_else(|| BankingError::Internal(format!("sent payment {} has no hold", record.id)))?;
        let now = self.now();
        let release = Command::new(key(format!("payment-{}-release", record.id))?, now, Action::ReleaseHold { hold })
            .map_err(ledger)?;
        let outcome = match &status.status {
            InterbankStatus::Pending => return Ok(None),
            InterbankStatus::Settled => GatewayOutcome::Settled {
                release,
                post: self.settlement_post(&record, status.debit.as_ref(), now).await?,
            },
            InterbankStatus::Rejected { code, reason } => GatewayOutcome::Rejected {
                release,
                refusal: Refusal::new(RefusalCode::GatewayRejected, &rejection_text(code, reason), now),
            },
        };
        let answer = answer_text(&status.status);
        let settlement = Settlement { message_id: message_id.to_owned(), at: now, outcome };
        let applied = self.store.settle_payment(settlement).await?;
        self.identity
            .record_system(
                crate::audit_action::GATEWAY_STATUS,
                Some(record.partner),
                format!("payment:{}", record.id),
                Some(format!("message {message_id}: {answer}; the document is {}", applied.as_str())),
            )
            .await?;
        Ok(Some(applied))
    }

    /// The answer for a sent collection: settled is recorded; rejected puts the money
    /// back on the account and returns the order to its issuer (collecting it again would only be
    /// rejected again), and the money that came back pays the account's other orders first.
    async fn apply_collection_status(&self, status: &TransferStatus) -> Result<Option<Status>, BankingError> {
        let message_id = status.message_id.as_str();
        let record = self.store.collection_by_message(message_id).await?.ok_or(BankingError::NotFound("payment"))?;
        let now = self.now();
        let result = match &status.status {
            InterbankStatus::Pending => return Ok(None),
            InterbankStatus::Settled => CollectionResult::Settled,
            InterbankStatus::Rejected { code, reason } => {
                let reason = rejection_text(code, reason);
                let clearing = self.store.bank_account(AccountKind::BankClearing, record.amount.currency()).await?;
                let amount = Amount::new(record.amount)
                    .map_err(|_| BankingError::Internal(format!("collection {} has no amount", record.id)))?;
                let entry = JournalEntry::transfer(clearing, record.account, amount).map_err(ledger)?;
                let memo: String = format!("Возврат инкассового распоряжения: {reason}")
                    .chars()
                    .take(tiyn_ledger::MEMO_LENGTH_MAX)
                    .collect();
                let command = Command::new(
                    key(format!("collection-{}-return", record.id))?,
                    now,
                    Action::Post { entry, kind: EntryKind::Collection, memo },
                )
                .map_err(ledger)?;
                CollectionResult::Returned { command, reason }
            }
        };
        let settlement = CollectionSettlement { message_id: message_id.to_owned(), at: now, result };
        let outcome = self.store.settle_collection(settlement).await?;
        let partner = self.store.account(record.account).await?.and_then(|account| account.partner);
        self.identity
            .record_system(
                crate::audit_action::GATEWAY_STATUS,
                partner,
                format!("collection:{}", record.id),
                Some(format!(
                    "message {message_id}: {}; the collection is {}",
                    answer_text(&status.status),
                    match &outcome {
                        CollectionOutcome::Settled { .. } => "settled".to_owned(),
                        CollectionOutcome::Returned { entry, .. } =>
                            format!("returned to the account (entry {entry}) and its order to the issuer"),
                    }
                )),
            )
            .await?;
        Ok(Some(match outcome {
            CollectionOutcome::Settled { .. } => Status::Settled,
            CollectionOutcome::Returned { .. } => {
                if let Err(error) = self.collect(record.account).await {
                    tracing::warn!(%error, account = %record.account, "collecting after a returned collection failed; the sweep retries");
                }
                Status::Refused
            }
        }))
    }

    /// The settlement entry of a sent payment: payer −(amount + commission), clearing +amount,
    /// fee income +commission (the tariff of outgoing kinds withholds the commission separately).
    /// A foreign transfer posts what the correspondent debited ([`Banking::foreign_settlement`]).
    async fn settlement_post(
        &self,
        record: &PaymentRecord,
        debit: Option<&CorrespondentDebit>,
        now: Timestamp,
    ) -> Result<Command, BankingError> {
        if record.kind() == Some(tiyn_payments::DocumentKind::Foreign) {
            return self.foreign_settlement(record, debit, now).await;
        }
        let currency = record.amount.currency();
        let commission = record.commission.unwrap_or(Money::zero(currency));
        let debit = record
            .amount
            .money()
            .checked_add(commission)
            .and_then(Money::checked_neg)
            .map_err(|_| BankingError::Internal("a settlement overflows".into()))?;
        let payer = AccountId::new(
            record
                .fields
                .payer_account
                .as_deref()
                .and_then(|id| id.parse().ok())
                .ok_or_else(|| BankingError::Internal(format!("payment {} has no payer account", record.id)))?,
        );
        let clearing = self.store.bank_account(AccountKind::BankClearing, currency).await?;
        let mut postings = vec![
            Posting { account: payer, amount: debit },
            Posting { account: clearing, amount: record.amount.money() },
        ];
        if commission.is_positive() {
            postings.push(Posting { account: self.fees_account(currency).await?, amount: commission });
        }
        let entry = JournalEntry::new(postings).map_err(ledger)?;
        let memo = format!("№ {} settled", record.number);
        Command::new(
            key(format!("payment-{}-settle", record.id))?,
            now,
            Action::Post { entry, kind: EntryKind::Transfer, memo },
        )
        .map_err(ledger)
    }

    /// The settlement entry of a foreign transfer, in the payer account's currency:
    /// payer −(what left + commission), clearing (the bank's account with the correspondent)
    /// +what left, fee income +commission. What left is, from an account in the transfer's
    /// currency, the amount (less the commission withheld under `BEN`); from an account in
    /// another currency, the equivalent the correspondent reports it debited, at its rate on its
    /// day — which the memo states.
    async fn foreign_settlement(
        &self,
        record: &PaymentRecord,
        debit: Option<&CorrespondentDebit>,
        now: Timestamp,
    ) -> Result<Command, BankingError> {
        let internal = |what: &str| BankingError::Internal(format!("foreign payment {}: {what}", record.id));
        let requisites = Requisites::restore(&record.fields).map_err(|_| internal("does not read back"))?;
        let payee = requisites.payee().foreign_payee().ok_or_else(|| internal("has no payee abroad"))?;
        let payer = requisites.payer_account();
        let account = self.store.account(payer).await?.ok_or(BankingError::NotFound("account"))?;
        let currency = account.currency;
        let commission = record.commission.unwrap_or(Money::zero(currency));
        if commission.currency() != currency {
            return Err(internal("has a commission in another currency than its account"));
        }
        let amount = record.amount.money();
        let (left, note) = if amount.currency() == currency {
            let withheld = if payee.charges() == Charges::Ben { commission } else { Money::zero(currency) };
            let left = amount.checked_sub(withheld).map_err(|_| internal("a settlement overflows"))?;
            (left, String::new())
        } else {
            let equivalent = debit
                .and_then(|debit| debit.equivalent)
                .filter(|equivalent| {
                    equivalent.amount.currency() == currency && equivalent.currency_of_transfer == amount.currency()
                })
                .ok_or(BankingError::Message(
                    crate::foreign::codes::MISSING_EQUIVALENT,
                    format!(
                        "the transfer was in {} from an account in {currency}: the status must report the equivalent the correspondent debited in {currency} (OrgnlTxRef/Amt/EqvtAmt)",
                        amount.currency()
                    ),
                ))?;
            let left = equivalent.amount.money();
            let rate = tiyn_fx::Rate::implied(left, amount);
            let day = debit.and_then(|debit| debit.date).map(|date| format!(" on {date}")).unwrap_or_default();
            let note = format!(
                "; correspondent debit {} {currency} for {} {}{}{day}",
                left.amount_string(),
                amount.amount_string(),
                amount.currency(),
                rate.map(|rate| format!(" at {rate}")).unwrap_or_default(),
            );
            (left, note)
        };
        let total = left
            .checked_add(commission)
            .and_then(Money::checked_neg)
            .map_err(|_| internal("a settlement overflows"))?;
        let clearing = self.store.bank_account(AccountKind::BankClearing, currency).await?;
        let mut postings = vec![Posting { account: payer, amount: total }, Posting { account: clearing, amount: left }];
        if commission.is_positive() {
            postings.push(Posting { account: self.fees_account(currency).await?, amount: commission });
        }
        let entry = JournalEntry::new(postings).map_err(ledger)?;
        let memo: String =
            format!("№ {} settled{note}", record.number).chars().take(tiyn_ledger::MEMO_LENGTH_MAX).collect();
        Command::new(
            key(format!("payment-{}-settle", record.id))?,
            now,
            Action::Post { entry, kind: EntryKind::Transfer, memo },
        )
        .map_err(ledger)
    }

    /// Books an incoming interbank credit once: to the partner account with this IBAN, or to the
    /// bank's suspense account when there is none. A credit in another currency than the
    /// account's is converted at the bank's rate in force, through the FX accounts like a
    /// conversion; when the bank has no rate for it, nothing is posted: the credit is refused back
    /// to the sending bank (the gateway's answer says so) and recorded, so a repeat is answered the
    /// same way.
    pub async fn incoming_credit(&self, credit: &IncomingCredit) -> Result<Credited, BankingError> {
        let currency = credit.amount.currency();
        if let Some(returned) = self.store.returned_credit(credit.message_id.as_str()).await? {
            return Ok(Credited::returned(returned.reason, true));
        }
        let account = self.store.account_by_iban(&credit.payee_iban).await?.filter(|account| account.partner.is_some());
        let clearing = self.store.bank_account(AccountKind::BankClearing, currency).await?;
        let (target, suspense, postings, credited) = match &account {
            Some(account) if account.currency == currency => {
                let postings = JournalEntry::transfer(clearing, account.id, credit.amount).map_err(ledger)?;
                (account.id, false, postings, credit.amount.money())
            }
            Some(account) => {
                let rates = self.store.fx_rates_at(self.now()).await?;
                match crate::conversion::convert_at(currency, account.currency, credit.amount, &rates) {
                    Ok(conversion) => {
                        let postings = self.conversion_postings(&conversion, clearing, account.id).await?;
                        let entry = JournalEntry::new(postings).map_err(ledger)?;
                        (account.id, false, entry, conversion.credit)
                    }
                    Err(BankingError::Internal(reason)) => return Err(BankingError::Internal(reason)),
                    Err(error) => return self.return_credit(credit, account, &error).await,
                }
            }
            None => {
                let suspense = self.store.bank_account(AccountKind::BankSuspense, currency).await?;
                (
                    suspense,
                    true,
                    JournalEntry::transfer(clearing, suspense, credit.amount).map_err(ledger)?,
                    credit.amount.money(),
                )
            }
        };
        let converted = credited.currency() != currency;
        let entry = postings;
        let payer_id = credit.payer_taxpayer_id.map(|id| format!(" ({id})")).unwrap_or_default();
        let rate_note = if converted {
            format!(
                " [{} {} → {} {}]",
                credit.amount.money().amount_string(),
                currency,
                credited.amount_string(),
                credited.currency()
            )
        } else {
            String::new()
        };
        let memo: String = format!("{}{payer_id}: {}{rate_note}", credit.payer_name, credit.purpose)
            .chars()
            .take(tiyn_ledger::MEMO_LENGTH_MAX)
            .collect();
        let command = Command::new(
            key(format!("incoming-{}", credit.message_id.as_str()))?,
            self.now(),
            Action::Post { entry, kind: EntryKind::IncomingCredit, memo },
        )
        .map_err(ledger)?;
        // The payer as the payee's statement names it, kept with the entry in its transaction.
        let details = tiyn_store::statements::IncomingCreditDetails {
            message_id: credit.message_id.as_str().to_owned(),
            payer_name: credit.payer_name.to_string(),
            payer_taxpayer_id: credit.payer_taxpayer_id,
            payer_iban: credit.payer_iban.clone(),
            payer_bic: credit.payer_iban.as_ref().and_then(|iban| self.reference.banks().bic_for_iban(iban)).cloned(),
            knp: None,
            purpose: credit.purpose.clone(),
            received_at: self.now(),
        };
        let executed = match self.store.book_incoming_credit(command, details).await {
            Ok(executed) => executed,
            // A repeat of a converted credit, after the rates changed: the first booking stands.
            Err(tiyn_store::StoreError::Ledger(tiyn_ledger::LedgerError::IdempotencyConflict)) if converted => {
                return Ok(Credited {
                    account: Some(target),
                    suspense,
                    replayed: true,
                    credited: None,
                    returned: None,
                });
            }
            Err(tiyn_store::StoreError::Ledger(tiyn_ledger::LedgerError::IdempotencyConflict)) => {
                return Err(BankingError::Conflict("idempotency_conflict"));
            }
            Err(other) => return Err(other.into()),
        };
        debug_assert!(matches!(executed.receipt, Receipt::Posted { .. }));
        let partner = if suspense { None } else { account.as_ref().and_then(|account| account.partner) };
        self.identity
            .record_system(
                crate::audit_action::INCOMING_CREDIT,
                partner,
                format!("account:{target}"),
                Some(format!(
                    "message {}: {} {}{}{}{}",
                    credit.message_id.as_str(),
                    credit.amount.money().amount_string(),
                    currency.code(),
                    if converted {
                        format!(", converted to {} {}", credited.amount_string(), credited.currency())
                    } else {
                        String::new()
                    },
                    if suspense { ", to suspense" } else { "" },
                    if executed.replayed { ", repeated" } else { "" }
                )),
            )
            .await?;
        if !suspense && !executed.replayed {
            // Money arrived: the account's collection orders come first. The credit is
            // booked whatever happens here; a failed collection is left to the executor's sweep.
            if let Err(error) = self.collect(target).await {
                tracing::warn!(%error, account = %target, "collecting after an incoming credit failed; the sweep retries");
            }
        }
        Ok(Credited {
            account: Some(target),
            suspense,
            replayed: executed.replayed,
            credited: Some(credited),
            returned: None,
        })
    }

    /// Refuses an incoming credit back to the sending bank: nothing is posted, the
    /// refusal is recorded (a repeat is answered the same) and audited.
    async fn return_credit(
        &self,
        credit: &IncomingCredit,
        account: &tiyn_store::Account,
        why: &BankingError,
    ) -> Result<Credited, BankingError> {
        let reason = match why {
            BankingError::Conflict(code) if *code == crate::conversion::codes::NO_RATE => format!(
                "the bank has no rate to convert {} to {}, the account's currency",
                credit.amount.currency(),
                account.currency
            ),
            other => format!("the amount cannot be converted to {}: {other}", account.currency),
        };
        let returned = self
            .store
            .return_credit(tiyn_store::payments::ReturnedCredit {
                message_id: credit.message_id.as_str().to_owned(),
                payee_iban: credit.payee_iban.clone(),
                amount: credit.amount.money(),
                payer_name: credit.payer_name.to_string(),
                reason,
                returned_at: self.now(),
            })
            .await?;
        self.identity
            .record_system(
                crate::audit_action::INCOMING_CREDIT,
                account.partner,
                format!("account:{}", account.id),
                Some(format!(
                    "message {}: {} {} returned to the sending bank: {}",
                    returned.message_id,
                    returned.amount.amount_string(),
                    returned.amount.currency(),
                    returned.reason
                )),
            )
            .await?;
        Ok(Credited::returned(returned.reason, false))
    }
}

/// The demo's interbank system: takes every message, and a moment later answers it like МСПД
/// would — settled, or rejected when the payee's name contains «ОТКАЗ» or «REJECT» (reason AC04, a
/// closed account) — through the same pacs.002 path a real gateway's answer takes.
pub struct SimulatedGateway {
    banking: Banking,
    delay: std::time::Duration,
}

/// What in a payee's name makes the simulator reject the payment.
pub const SIMULATOR_REJECT_MARKERS: [&str; 2] = ["ОТКАЗ", "REJECT"];

impl SimulatedGateway {
    pub fn new(banking: Banking, delay: std::time::Duration) -> Arc<SimulatedGateway> {
        Arc::new(SimulatedGateway { banking, delay })
    }

    /// The status the simulator gives a transfer.
    pub fn decide(transfer: &OutgoingTransfer) -> InterbankStatus {
        let name = transfer.payee.name.to_string().to_uppercase();
        if SIMULATOR_REJECT_MARKERS.iter().any(|marker| name.contains(marker)) {
            InterbankStatus::Rejected {
                code: Some("AC04".to_owned()),
                reason: Some("the payee's account is closed (simulated)".to_owned()),
            }
        } else {
            InterbankStatus::Settled
        }
    }
}

impl SimulatedGateway {
    /// The correspondent bank's answer to a foreign transfer: rejected like a tenge one when the
    /// payee's name says so; otherwise settled today, and from an account in another currency
    /// with the equivalent debited at the bank's own selling rate in force (the simulator's
    /// stand-in for the correspondent's rate).
    async fn decide_foreign(&self, transfer: &ForeignTransfer) -> Result<TransferStatus, String> {
        let name = transfer.payee.name().to_string().to_uppercase();
        if SIMULATOR_REJECT_MARKERS.iter().any(|marker| name.contains(marker)) {
            let status = InterbankStatus::Rejected {
                code: Some("AC01".to_owned()),
                reason: Some("the payee's account is unknown at its bank (simulated)".to_owned()),
            };
            return Ok(TransferStatus::new(transfer.message_id.clone(), status));
        }
        let banking = &self.banking;
        let account = banking
            .store
            .account_by_iban(&transfer.payer.iban)
            .await
            .map_err(|error| error.to_string())?
            .ok_or("the payer's account is unknown")?;
        let sent = transfer.sent();
        let equivalent = if account.currency == sent.currency() {
            None
        } else {
            let rates = banking.store.fx_rates_at(banking.now()).await.map_err(|error| error.to_string())?;
            let sent = Amount::new(sent).map_err(|error| error.to_string())?;
            let conversion = crate::conversion::convert_at(account.currency, sent.currency(), sent, &rates)
                .map_err(|error| error.to_string())?;
            Some(Equivalent {
                amount: Amount::new(conversion.debit).map_err(|error| error.to_string())?,
                currency_of_transfer: sent.currency(),
            })
        };
        let debit = CorrespondentDebit { date: Some(banking.today()), equivalent };
        Ok(TransferStatus {
            message_id: transfer.message_id.clone(),
            status: InterbankStatus::Settled,
            debit: Some(debit),
        })
    }

    /// Answers `status` after the simulator's delay, through the pacs.002 path.
    fn answer_later(&self, status: TransferStatus) {
        let banking = self.banking.clone();
        let delay = self.delay;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let report_id = match MessageId::parse(&format!("SIM{}", status.message_id.as_str())) {
                Ok(id) => id,
                Err(_) => status.message_id.clone(),
            };
            let report = tiyn_payments::iso20022::pacs002(std::slice::from_ref(&status), &report_id, banking.now());
            if let Err(error) = banking.apply_pacs002(&report).await {
                tracing::error!(%error, "the simulated gateway's status could not be applied");
            }
        });
    }
}

#[async_trait]
impl Gateway for SimulatedGateway {
    async fn hand_off(&self, transfer: &OutgoingTransfer, _pacs008: &str) -> Result<(), String> {
        self.answer_later(TransferStatus::new(transfer.message_id.clone(), SimulatedGateway::decide(transfer)));
        Ok(())
    }

    async fn hand_off_foreign(&self, transfer: &ForeignTransfer, _pacs008: &str) -> Result<(), String> {
        let status = self.decide_foreign(transfer).await?;
        self.answer_later(status);
        Ok(())
    }
}
