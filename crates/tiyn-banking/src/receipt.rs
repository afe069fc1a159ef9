//! The receipt of an executed payment: everything its confirmation document shows,
//! gathered for the edge to render (as PDF in tiyn-api; this crate knows no document format).

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_identity::Principal;
use tiyn_payments::{BankPayee, DocumentId, ForeignPayee, Payee, Requisites, Status};
use tiyn_refdata::{BankEntry, ForeignBank};
use tiyn_store::payments::PaymentRecord;
use tiyn_store::{Account, Partner};

use crate::{Banking, BankingError};

/// The document is not executed or settled (yet, or ever): it has no receipt.
pub const RECEIPT_NOT_AVAILABLE: &str = "receipt_not_available";

/// What the receipt of an executed payment shows: the document with its evidence
/// both sides of the payment, and when it reached its final status.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The document, `executed` (internal) or `settled` (interbank, budget).
    pub payment: PaymentRecord,
    /// Its requisites, typed.
    pub requisites: Requisites,
    /// The payer.
    pub partner: Partner,
    pub payer_account: Account,
    pub payee: ReceiptPayee,
    /// This bank, the payer's, as the directory names it.
    pub bank: BankEntry,
    /// The KNP's names in the directory.
    pub knp_name_ru: Option<String>,
    pub knp_name_en: Option<String>,
    /// The full name of the user who confirmed the document.
    pub confirmed_by_name: Option<String>,
    /// The document's date: the business date (Asia/Almaty) it was drawn up on.
    pub document_date: Date,
    /// When it reached its status: executed through the ledger, or settled with the payee's bank.
    pub completed_at: Timestamp,
}

/// Who received the money.
#[derive(Debug, Clone)]
pub enum ReceiptPayee {
    /// An internal transfer: another of the partner's own accounts.
    Own(Account),
    /// An interbank or budget payment's payee, and its bank as the directory names it.
    Bank { payee: BankPayee, bank: Option<BankEntry> },
    /// A foreign transfer's payee, and its bank as the directory of banks abroad names it.
    Foreign { payee: ForeignPayee, bank: Option<ForeignBank> },
}

impl Banking {
    /// The receipt of the partner's own document. Another partner's document answers
    /// `NotFound` exactly like an unknown one; a document that is not `executed` or `settled`
    /// answers `Conflict(receipt_not_available)`. Read-only.
    pub async fn receipt(&self, principal: &Principal, id: DocumentId) -> Result<Receipt, BankingError> {
        let payment = self.payment(principal, id).await?;
        let completed_at = match payment.status {
            Status::Executed => payment.executed_at,
            Status::Settled => payment.settled_at,
            _ => return Err(BankingError::Conflict(RECEIPT_NOT_AVAILABLE)),
        }
        .ok_or_else(|| inconsistent(&payment, "has its status but not its instant"))?;
        let requisites = crate::restore_draft(&payment)?.requisites().clone();
        let partner = self
            .store
            .partner(payment.partner)
            .await?
            .ok_or_else(|| inconsistent(&payment, "belongs to an unknown partner"))?;
        let payer_account = self.partner_account(&payment, requisites.payer_account()).await?;
        let banks = self.reference.banks();
        let payee = match requisites.payee() {
            Payee::Internal { account } | Payee::Conversion { account } => {
                ReceiptPayee::Own(self.partner_account(&payment, *account).await?)
            }
            Payee::Interbank(payee) | Payee::Budget { payee, .. } => {
                ReceiptPayee::Bank { payee: payee.clone(), bank: banks.by_bic(payee.bic()).cloned() }
            }
            Payee::Foreign(payee) => ReceiptPayee::Foreign {
                payee: payee.clone(),
                bank: self.reference.foreign_banks().by_bic(payee.bic()).cloned(),
            },
        };
        let bank = banks.by_iban_bank_code(&self.config.bank_code).cloned().ok_or_else(|| {
            BankingError::Internal(format!("bank code {} is not in the directory", self.config.bank_code))
        })?;
        let knp = self.reference.knp().get(&requisites.knp());
        let confirmed_by_name = match &payment.evidence {
            Some(evidence) => self.store.user(evidence.confirmed_by).await?.map(|user| user.full_name),
            None => None,
        };
        let receipt = Receipt {
            requisites,
            partner,
            payer_account,
            payee,
            bank,
            knp_name_ru: knp.and_then(|entry| entry.name_ru()).map(str::to_owned),
            knp_name_en: knp.and_then(|entry| entry.name_en()).map(str::to_owned),
            confirmed_by_name,
            document_date: tiyn_identity::business_date(payment.created_at),
            completed_at,
            payment,
        };
        debug_assert!(matches!(receipt.payment.status, Status::Executed | Status::Settled));
        debug_assert_eq!(receipt.payer_account.partner, Some(receipt.partner.id));
        Ok(receipt)
    }

    /// An account of the document's partner, as the document names it: anything else is a
    /// stored document that contradicts the checks it passed when created.
    async fn partner_account(
        &self,
        payment: &PaymentRecord,
        id: tiyn_core::AccountId,
    ) -> Result<Account, BankingError> {
        self.store
            .account(id)
            .await?
            .filter(|account| account.partner == Some(payment.partner))
            .ok_or_else(|| inconsistent(payment, &format!("names account {id}, which is not its partner's")))
    }
}

fn inconsistent(payment: &PaymentRecord, what: &str) -> BankingError {
    BankingError::Internal(format!("stored payment {} {what}", payment.id))
}
