//! Electronic payment services as use cases (issue 4): payment documents (R-3.1.1.2), their
//! confirmation in batches with one code bound to their content
//! and their execution through the ledger (R-3.1.1.1, R-6.1.1, R-6.3.2, R-4.15, R-6.1.7).
//!
//! [`Banking`] composes the pure rules of `tiyn-payments` (parsing, digests, tariffs, limits) with
//! the [`Store`] and with [`Identity`] (codes, the audit trail). It knows nothing of HTTP or SQL:
//! the API and the cabinet call it with a [`Principal`] and a [`Context`] and translate its
//! [`BankingError`]s.
//!
//! # Invariants
//! - A document reaches the store only as valid requisites (`parse_draft`), and only for the
//!   principal's partner's accounts (and an API key's accounts): another partner's account is
//!   refused exactly like an unknown one.
//! - A confirmation code is bound to the digest of exactly the documents it covers; the
//!   documents are re-read and re-hashed before the store confirms them, and the store refuses
//!   the whole batch when any changed since the code was issued.
//! - Money moves only inside the store's confirmation transaction, as one balanced entry per
//!   document that includes its commission.
//! - Every step leaves an audit record; a confirmation's record lists every document with its
//!   content digest, the challenge and the session.

pub mod conversion;
mod error;
mod execution;
pub mod foreign;
pub mod gateway;
mod import;
// Notices and marketplace reports (issue 6, R-3.1.2.8).
pub mod messages;
// Marketplace payouts in planned credits (issue 6, R-3.1.2.5).
pub mod marketplace;
pub mod pos;
pub mod rates;
mod receipt;
pub mod rules;
pub mod statements;
mod templates;

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::{AccountId, Currency, Money, PartnerId};
use tiyn_identity::{Challenge, Context, Identity, Principal};
use tiyn_payments::tariff::{self, TariffPlan};
use tiyn_payments::{
    AwaitingConfirmation, BatchChallenge, ConfirmationChannel, Directories, Document, DocumentHeader, DocumentId,
    DocumentKind, Draft, FieldError, RawDocument, Requisites, digest_hex, fields, parse_draft,
};
use tiyn_refdata::ReferenceData;
use tiyn_store::payments::{
    ConfirmPayments, NewPayment, NewSigning, PaymentEdit, PaymentOutcome, PaymentQuery, PaymentRecord, RequestKey,
    SigningMember,
};
use tiyn_store::{Account, Store};

pub use error::BankingError;
pub use import::{
    IMPORT_FILE_BYTES_MAX, ImportFormat, ImportProblem, ImportReport, ImportWarning, PAYMENT_IMPORT, detect_format,
    problem_codes as import_codes,
};
pub use receipt::{RECEIPT_NOT_AVAILABLE, Receipt, ReceiptPayee};
pub use templates::{RawMoney, template_audit_action, template_codes};

/// Audit actions of the payment use cases.
pub mod audit_action {
    pub const PAYMENT_CREATE: &str = "payments.create";
    pub const PAYMENT_EXPORT: &str = "payments.export";
    pub const PAYMENT_EDIT: &str = "payments.edit";
    pub const PAYMENT_DELETE: &str = "payments.delete";
    pub const SIGNING_OPEN: &str = "payments.signing_open";
    pub const SIGNING_CONFIRM: &str = "payments.confirm";
    /// The executor carried out a confirmed document on its value date (the platform's own action).
    pub const PAYMENT_CARRY_OUT: &str = "payments.carry_out";
    /// The interbank gateway answered for a sent document (settled or rejected).
    pub const GATEWAY_STATUS: &str = "payments.gateway_status";
    /// The interbank gateway credited an account.
    pub const INCOMING_CREDIT: &str = "gateway.incoming_credit";
}

/// Codes of the account gate, as field errors.
pub mod codes {
    /// An export of the payment list would carry more than `PAYMENT_EXPORT_MAX` documents:
    /// narrow the dates or the status.
    pub const EXPORT_TOO_LARGE: &str = "export_too_large";
    /// The account is not one of the partner's (or not one an API key may use): answered exactly
    /// like an unknown id.
    pub const ACCOUNT_NOT_FOUND: &str = "account_not_found";
    /// The payee account of an internal transfer is in another currency than the payer's.
    pub const ACCOUNT_CURRENCY_MISMATCH: &str = "account_currency_mismatch";
    /// The payer account is not open.
    pub const ACCOUNT_NOT_OPEN: &str = "account_not_open";
    /// The bank has switched this kind of document off for the partner.
    pub const SERVICE_DISABLED: &str = "service_disabled";
}

/// The bank's settings for payment services.
#[derive(Debug, Clone)]
pub struct BankingConfig {
    /// The three-digit code in this bank's IBANs (an active bank of the NBK directory).
    pub bank_code: String,
    /// How far ahead a value date may be, in working days.
    pub value_date_horizon_working_days: u32,
    /// The bank's standard tariff plan: a partner's own plan, when the bank sets one, replaces it
    /// . Outgoing kinds (interbank, budget) must withhold their commission separately.
    pub tariff: TariffPlan,
    /// Most documents one code may confirm, at most `BATCH_DOCUMENTS_MAX`.
    pub documents_per_confirmation_max: usize,
    /// How long a conversion's quote holds its rates (R-3.1.1.4): a confirmation entered later is
    /// refused with `quote_expired` and the user confirms the new amounts.
    pub conversion_quote_ttl: jiff::SignedDuration,
    /// Foreign transfers above this amount (the equivalent at the bank's rates) need the
    /// currency-control contract (R-3.1.1.3).
    pub foreign_contract_threshold: Money,
}

impl BankingConfig {
    /// Ten working days ahead, no commission, no limits, 100 documents per confirmation.
    pub fn standard(bank_code: &str) -> BankingConfig {
        BankingConfig {
            bank_code: bank_code.to_owned(),
            value_date_horizon_working_days: 10,
            tariff: TariffPlan::free(),
            documents_per_confirmation_max: 100,
            conversion_quote_ttl: jiff::SignedDuration::from_secs(120),
            foreign_contract_threshold: FOREIGN_CONTRACT_THRESHOLD_DEFAULT,
        }
    }
}

/// The currency-control threshold of foreign transfers unless the bank sets another: the USD
/// 10,000 equivalent above which a contract accompanies a transfer (FACTS.md, "FX").
pub const FOREIGN_CONTRACT_THRESHOLD_DEFAULT: Money = Money::from_minor(1_000_000, Currency::Usd);

/// The most documents one export of the payment list carries: a year of a busy partner's orders.
pub const PAYMENT_EXPORT_MAX: usize = 100_000;

/// The payment documents a list export selected (R-3.1.2.6), with what its file says around them.
#[derive(Debug, Clone)]
pub struct PaymentsExport {
    /// Newest first.
    pub records: Vec<PaymentRecord>,
    /// The partner's accounts, to name the documents' accounts by IBAN.
    pub accounts: Vec<Account>,
    /// The partner's name.
    pub holder_name: String,
    pub bank: tiyn_store::statements::OwnBank,
    /// The filter the documents were selected by (its cursor and limit mean nothing here).
    pub filter: PaymentQuery,
    pub created_at: Timestamp,
}
/// Documents read per page while an export collects them.
const EXPORT_PAGE: usize = 500;

/// The payment use cases over one store and the identity use cases.
#[derive(Clone)]
pub struct Banking {
    identity: Identity,
    store: Arc<dyn Store>,
    reference: Arc<ReferenceData>,
    config: Arc<BankingConfig>,
}

/// A batch sent for confirmation: what the user sees before typing the code.
#[derive(Debug, Clone)]
pub struct Signing {
    pub challenge: Challenge,
    pub digest: [u8; 32],
    pub count: usize,
    /// Amounts per currency.
    pub totals: Vec<Money>,
    /// Commissions per currency (zero ones included, so the user sees "0.00").
    pub commission: Vec<Money>,
    /// The conversions of the batch carried out today, at the rates the code is bound to.
    pub conversions: Vec<(DocumentId, conversion::ConversionQuote)>,
}

impl Signing {
    pub fn digest_hex(&self) -> String {
        digest_hex(&self.digest)
    }
}

/// The documents an open confirmation covers, as [`Banking::signing_documents`] reads them back.
#[derive(Debug, Clone)]
pub struct SigningDocuments {
    /// In the confirmation's order.
    pub documents: Vec<PaymentRecord>,
    /// Amounts per currency, in currency order.
    pub totals: Vec<Money>,
    /// Commissions per currency (zero ones included), in the order of `totals`.
    pub commission: Vec<Money>,
}

/// What one document of a confirmation became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub document: DocumentId,
    pub outcome: PaymentOutcome,
}

impl Banking {
    /// Checks that the bank code is an active bank of the directory.
    pub fn new(
        identity: Identity,
        reference: Arc<ReferenceData>,
        config: BankingConfig,
    ) -> Result<Banking, tiyn_payments::DirectoriesError> {
        Directories::new(&reference, &config.bank_code)?;
        let store = identity.store().clone();
        Ok(Banking { identity, store, reference, config: Arc::new(config) })
    }

    pub fn config(&self) -> &BankingConfig {
        &self.config
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The clock's instant.
    pub fn now(&self) -> Timestamp {
        self.identity.now()
    }

    fn today(&self) -> Date {
        tiyn_identity::business_date(self.now())
    }

    fn partner(principal: &Principal) -> Result<PartnerId, BankingError> {
        principal.partner().ok_or(BankingError::NotFound("payment"))
    }

    /// Parses a client's fields into requisites for a document of `principal`'s partner: every
    /// problem of the fields, plus the account gate (the accounts are the partner's, an internal
    /// transfer stays in one currency).
    async fn requisites(&self, principal: &Principal, raw: &RawDocument) -> Result<Requisites, BankingError> {
        let directories = self.directories()?;
        self.check_requisites(principal, raw, &directories, self.today()).await?.map_err(BankingError::Invalid)
    }

    /// The directories a document is checked against.
    pub fn directories(&self) -> Result<Directories<'_>, BankingError> {
        Directories::new(&self.reference, &self.config.bank_code)
            .map_err(|error| BankingError::Internal(error.to_string()))
    }

    /// The checks of [`Banking::requisites`], for one document or for each of a batch
    /// ([`Banking::import_payments`]): the requisites, or every problem of the fields and the
    /// account gate as field errors. The outer error is a failure to read the store.
    async fn check_requisites(
        &self,
        principal: &Principal,
        raw: &RawDocument,
        directories: &Directories<'_>,
        today: Date,
    ) -> Result<Result<Requisites, Vec<FieldError>>, BankingError> {
        let parsed = parse_draft(raw, directories, today, self.config.value_date_horizon_working_days);
        let requisites = match parsed {
            Ok(requisites) => requisites,
            Err(mut errors) => {
                // The gate speaks too when the payer account id is readable: one answer lists
                // every problem.
                if let Some(id) = raw.payer_account.as_deref().and_then(|id| id.trim().parse::<i64>().ok())
                    && let Err(error) = self.own_account(principal, AccountId::new(id), fields::PAYER_ACCOUNT).await?
                {
                    errors.push(error);
                }
                return Ok(Err(errors));
            }
        };
        let mut errors = Vec::new();
        if let Some(partner) = principal.partner() {
            let rules = self.effective_rules(partner).await?;
            if rules.disabled_kinds.contains(&requisites.kind()) {
                errors.push(field_error(
                    fields::KIND,
                    codes::SERVICE_DISABLED,
                    format!("the bank has switched {} payments off for this partner", requisites.kind()),
                ));
            }
        }
        let payer = match self.own_account(principal, requisites.payer_account(), fields::PAYER_ACCOUNT).await? {
            Ok(account) => Some(account),
            Err(error) => {
                errors.push(error);
                None
            }
        };
        if let Some(payer) = &payer {
            if payer.status != tiyn_ledger::AccountStatus::Open {
                errors.push(field_error(
                    fields::PAYER_ACCOUNT,
                    codes::ACCOUNT_NOT_OPEN,
                    "the payer account is not open",
                ));
            }
            // A conversion's amount may be in the payee account's currency (what is bought); that
            // is checked with the payee account below. A foreign transfer from an account in
            // another currency is converted by the correspondent bank.
            let crosses = matches!(requisites.kind(), DocumentKind::Conversion | DocumentKind::Foreign);
            if payer.currency != requisites.amount().currency() && !crosses {
                errors.push(field_error(
                    fields::CURRENCY,
                    codes::ACCOUNT_CURRENCY_MISMATCH,
                    format!("the payer account is in {}", payer.currency),
                ));
            }
        }
        if let Some(payer) = &payer {
            errors.extend(self.check_foreign(&requisites, payer.currency).await?);
        }
        if let Some(account) = requisites.payee().own_account() {
            match self.own_account(principal, account, fields::PAYEE_ACCOUNT).await? {
                Ok(payee) => {
                    if let Some(payer) = &payer {
                        errors.extend(own_accounts_currencies(
                            requisites.kind(),
                            requisites.amount().currency(),
                            payer.currency,
                            payee.currency,
                        ));
                    }
                }
                Err(error) => errors.push(error),
            }
        }
        Ok(if errors.is_empty() { Ok(requisites) } else { Err(errors) })
    }

    /// The partner's account, or the field error that answers an unknown one.
    async fn own_account(
        &self,
        principal: &Principal,
        id: AccountId,
        field: &'static str,
    ) -> Result<Result<Account, FieldError>, BankingError> {
        let account = self.store.account(id).await?;
        let owned = account.filter(|account| {
            account.partner.is_some() && account.partner == principal.partner() && principal.may_use_account(id)
        });
        Ok(owned.ok_or_else(|| field_error(field, codes::ACCOUNT_NOT_FOUND, format!("no account {id}"))))
    }

    /// Creates a draft (R-3.1.1.2). With `request_key` (the client's `Idempotency-Key`), a
    /// repeat of the same request answers the first draft.
    pub async fn create_payment(
        &self,
        context: &Context,
        principal: &Principal,
        raw: RawDocument,
        request_key: Option<&str>,
    ) -> Result<PaymentRecord, BankingError> {
        let partner = Self::partner(principal)?;
        let requisites = self.requisites(principal, &raw).await?;
        let record = self.store_draft(principal, partner, &requisites, request_key).await?;
        self.record_draft(context, principal, &record).await?;
        Ok(record)
    }

    /// Stores checked requisites as the partner's next draft: the one way a draft is made, by
    /// [`Banking::create_payment`] and [`Banking::import_payments`], each of which then records
    /// it ([`Banking::record_draft`]).
    async fn store_draft(
        &self,
        principal: &Principal,
        partner: PartnerId,
        requisites: &Requisites,
        request_key: Option<&str>,
    ) -> Result<PaymentRecord, BankingError> {
        let fields = RawDocument::from_requisites(requisites);
        let request_key = request_key.map(|key| RequestKey { key: key.to_owned(), digest: request_digest(&fields) });
        let record = self
            .store
            .create_payment(NewPayment {
                partner,
                fields,
                amount: requisites.amount(),
                value_date: requisites.value_date(),
                created_by: principal.user_id(),
                created_at: self.now(),
                request_key,
            })
            .await?;
        Ok(record)
    }

    /// The audit record of a new draft (`payments.create`).
    async fn record_draft(
        &self,
        context: &Context,
        principal: &Principal,
        record: &PaymentRecord,
    ) -> Result<(), BankingError> {
        self.identity
            .record_action(context, principal, audit_action::PAYMENT_CREATE, Some(payment_object(record.id)))
            .await?;
        Ok(())
    }

    /// The partner's document; another partner's answers like an unknown one.
    pub async fn payment(&self, principal: &Principal, id: DocumentId) -> Result<PaymentRecord, BankingError> {
        let partner = Self::partner(principal)?;
        let record = self.store.payment(partner, id).await?.ok_or(BankingError::NotFound("payment"))?;
        if !principal.may_use_account(payer_account(&record)) {
            return Err(BankingError::NotFound("payment"));
        }
        Ok(record)
    }

    /// The partner's documents, newest first.
    pub async fn payments(
        &self,
        principal: &Principal,
        query: PaymentQuery,
    ) -> Result<Vec<PaymentRecord>, BankingError> {
        let partner = Self::partner(principal)?;
        let records = self.store.payments(partner, query).await?;
        Ok(records.into_iter().filter(|record| principal.may_use_account(payer_account(record))).collect())
    }

    /// Every document of the query (its status and value dates; its cursor and limit are ignored)
    /// for an export of the list (R-3.1.2.6), newest first, at most [`PAYMENT_EXPORT_MAX`] — more
    /// is refused (`export_too_large`) rather than cut short — with the principal's accounts, to
    /// name them; the export is audited with its format.
    pub async fn export_payments(
        &self,
        context: &Context,
        principal: &Principal,
        mut query: PaymentQuery,
        format: &str,
    ) -> Result<PaymentsExport, BankingError> {
        let partner = Self::partner(principal)?;
        let filter = query.clone();
        query.before = None;
        query.limit = EXPORT_PAGE;
        let mut records = Vec::new();
        loop {
            let page = self.store.payments(partner, query.clone()).await?;
            let last = page.last().map(|record| record.id);
            let full = page.len() == EXPORT_PAGE;
            records.extend(page.into_iter().filter(|record| principal.may_use_account(payer_account(record))));
            if records.len() > PAYMENT_EXPORT_MAX {
                return Err(BankingError::Conflict(codes::EXPORT_TOO_LARGE));
            }
            match (full, last) {
                (true, Some(last)) => query.before = Some(last),
                _ => break,
            }
        }
        let accounts = self.store.partner_accounts(partner).await?;
        let holder_name =
            self.store.partner(partner).await?.map(|partner| partner.name).ok_or(BankingError::NotFound("partner"))?;
        let bank = self.own_bank()?;
        self.identity
            .record_detailed(
                context,
                principal,
                audit_action::PAYMENT_EXPORT,
                None,
                Some(format!("format={format} documents={}", records.len())),
                None,
            )
            .await?;
        Ok(PaymentsExport { records, accounts, holder_name, bank, filter, created_at: self.now() })
    }

    /// Replaces a draft's requisites (or those of a document awaiting confirmation, which goes
    /// back to draft: a code issued for it then no longer confirms anything).
    pub async fn edit_payment(
        &self,
        context: &Context,
        principal: &Principal,
        id: DocumentId,
        raw: RawDocument,
    ) -> Result<PaymentRecord, BankingError> {
        let partner = Self::partner(principal)?;
        self.payment(principal, id).await?;
        let requisites = self.requisites(principal, &raw).await?;
        let record = self
            .store
            .edit_payment(PaymentEdit {
                partner,
                id,
                fields: RawDocument::from_requisites(&requisites),
                amount: requisites.amount(),
                value_date: requisites.value_date(),
                edited_by: principal.user_id(),
                edited_at: self.now(),
            })
            .await?;
        self.identity.record_action(context, principal, audit_action::PAYMENT_EDIT, Some(payment_object(id))).await?;
        Ok(record)
    }

    pub async fn delete_payment(
        &self,
        context: &Context,
        principal: &Principal,
        id: DocumentId,
    ) -> Result<(), BankingError> {
        let partner = Self::partner(principal)?;
        self.payment(principal, id).await?;
        self.store.delete_payment(partner, id, self.now()).await?;
        self.identity.record_action(context, principal, audit_action::PAYMENT_DELETE, Some(payment_object(id))).await?;
        Ok(())
    }

    /// Opens a confirmation of the chosen documents: their content is frozen,
    /// the batch digest computed, and one code bound to it goes to the user by SMS, with the
    /// count and total in its text. Answers the summary the user confirms: count, totals and
    /// commission per currency.
    pub async fn open_signing(
        &self,
        context: &Context,
        principal: &Principal,
        ids: &[DocumentId],
    ) -> Result<Signing, BankingError> {
        self.open_signing_with(context, principal, ids, ConfirmationChannel::Sms).await
    }

    /// [`Banking::open_signing`] with the channel of the code: an SMS, or the user's marker
    /// whose code the server binds to the batch's digest.
    pub async fn open_signing_with(
        &self,
        context: &Context,
        principal: &Principal,
        ids: &[DocumentId],
        channel: ConfirmationChannel,
    ) -> Result<Signing, BankingError> {
        let partner = Self::partner(principal)?;
        let now = self.now();
        let mut awaiting = Vec::with_capacity(ids.len());
        let mut versions = Vec::with_capacity(ids.len());
        for id in ids {
            let record = self.payment(principal, *id).await?;
            if !tiyn_store::payments::is_open(record.status) {
                return Err(BankingError::Conflict(tiyn_store::payments::conflicts::NOT_SIGNABLE));
            }
            versions.push(record.version);
            awaiting.push(restore_draft(&record)?.submit(principal.user_id(), now));
        }
        let documents: Vec<&Document<AwaitingConfirmation>> = awaiting.iter().collect();
        let rules = self.effective_rules(partner).await?;
        let cap = rules
            .limits
            .documents_per_confirmation_max(partner, principal.user_id())
            .min(self.config.documents_per_confirmation_max);
        let (challenge, summary) = BatchChallenge::open(&documents, cap.max(1)).map_err(BankingError::Batch)?;
        // Conversions carried out today are quoted now; the code is bound to the quotes too.
        let today = self.today();
        let mut conversions = Vec::new();
        for document in &awaiting {
            if document.kind() == DocumentKind::Conversion && document.requisites().value_date() <= today {
                conversions.push((document.id(), self.quote_document(document, now).await?));
            }
        }
        let digest = conversion::bound_digest(challenge.digest(), &conversions);
        let mut fees = Vec::with_capacity(awaiting.len());
        for document in &awaiting {
            let quote = conversions.iter().find(|(id, _)| *id == document.id()).map(|(_, quote)| quote);
            fees.push(self.document_commission(&rules.tariff, document.requisites(), quote).await?);
        }
        let totals: Vec<Money> = summary.totals().collect();
        let commission = commission_totals(&totals, fees)?;
        let mut about = format!(
            "{} док. на {}",
            summary.count(),
            totals
                .iter()
                .map(|total| format!("{} {}", total.amount_string(), total.currency()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (_, quote) in &conversions {
            let (debit, credit) = (quote.conversion.debit, quote.conversion.credit);
            about.push_str(&format!(
                "; обмен {} {} на {} {}",
                debit.amount_string(),
                debit.currency(),
                credit.amount_string(),
                credit.currency()
            ));
        }
        let issued = match channel {
            ConfirmationChannel::Sms => self.identity.issue_confirmation_code(principal, digest, &about).await?,
            ConfirmationChannel::Marker => self.identity.issue_marker_confirmation(principal, digest).await?,
        };
        let members = awaiting
            .iter()
            .zip(&versions)
            .map(|(document, version)| SigningMember {
                document: document.id(),
                version: *version,
                content_digest: document.content_digest(),
            })
            .collect();
        self.store
            .open_signing(NewSigning {
                challenge: issued.challenge_id.as_str().to_owned(),
                channel,
                partner,
                user: principal.user_id(),
                members,
                batch_digest: digest,
                created_at: now,
                expires_at: issued.expires_at,
            })
            .await?;
        self.identity
            .record_detailed(
                context,
                principal,
                audit_action::SIGNING_OPEN,
                Some(format!("signing:{}", issued.challenge_id.as_str())),
                Some(format!("documents={} digest={}", id_list(ids), digest_hex(&digest))),
                None,
            )
            .await?;
        Ok(Signing { challenge: issued, digest, count: summary.count(), totals, commission, conversions })
    }

    /// The value date a new document starts with: today in Asia/Almaty if banks work today,
    /// otherwise the next working day (the earliest date `create_payment` accepts then).
    pub fn default_value_date(&self) -> Date {
        let today = self.today();
        self.reference.calendar().working_day_on_or_after(today).unwrap_or(today)
    }

    /// Checks a client's fields exactly as [`Banking::create_payment`] would, and creates
    /// nothing: for a form that reports mistakes while the user types. Read-only.
    pub async fn check_payment(&self, principal: &Principal, raw: &RawDocument) -> Result<(), BankingError> {
        Self::partner(principal)?;
        self.requisites(principal, raw).await.map(|_| ())
    }

    /// The documents of the principal's own confirmation `challenge`, with their totals and
    /// commissions per currency as [`Banking::open_signing`] computed them: to show what the code
    /// confirms again (after a wrong code). Another user's or an unknown challenge answers
    /// `UnknownChallenge`, as confirming it would. Read-only.
    pub async fn signing_documents(
        &self,
        principal: &Principal,
        challenge: &str,
    ) -> Result<SigningDocuments, BankingError> {
        let partner = Self::partner(principal)?;
        let signing = self
            .store
            .signing(partner, challenge)
            .await?
            .filter(|signing| signing.user == principal.user_id())
            .ok_or(BankingError::Identity(tiyn_identity::IdentityError::UnknownChallenge))?;
        let mut documents = Vec::with_capacity(signing.members.len());
        for member in &signing.members {
            documents.push(self.payment(principal, member.document).await?);
        }
        let rules = self.effective_rules(partner).await?;
        let mut totals: std::collections::BTreeMap<Currency, Money> = std::collections::BTreeMap::new();
        let mut fees = Vec::with_capacity(documents.len());
        for record in &documents {
            let document = restore_draft(record)?;
            let quote = match document.kind() {
                DocumentKind::Conversion if document.requisites().value_date() <= self.today() => {
                    Some(self.quote_document(&document, signing.created_at).await?)
                }
                _ => None,
            };
            fees.push(self.document_commission(&rules.tariff, document.requisites(), quote.as_ref()).await?);
            let money = record.amount.money();
            let total = totals.entry(money.currency()).or_insert_with(|| Money::zero(money.currency()));
            *total = total.checked_add(money).map_err(|_| BankingError::Tariff("amount_overflow"))?;
        }
        let totals: Vec<Money> = totals.into_values().collect();
        let commission = commission_totals(&totals, fees)?;
        debug_assert_eq!(documents.len(), signing.members.len());
        Ok(SigningDocuments { documents, totals, commission })
    }

    /// Confirms a batch with its one code and carries it out: the code
    /// must be the user's and bound to the batch's digest; the documents are re-read and must be
    /// exactly what the code was issued for, or nothing is confirmed. Each confirmed document is
    /// then executed (internal), sent (interbank, budget) or left for its value date — or refused
    /// with its reason (insufficient funds, a limit) — all in one store transaction.
    pub async fn confirm_signing(
        &self,
        context: &Context,
        principal: &Principal,
        challenge: &str,
        code: &str,
    ) -> Result<Vec<Confirmed>, BankingError> {
        let partner = Self::partner(principal)?;
        let signing = self
            .store
            .signing(partner, challenge)
            .await?
            .filter(|signing| signing.user == principal.user_id())
            .ok_or(BankingError::Identity(tiyn_identity::IdentityError::UnknownChallenge))?;
        match signing.channel {
            ConfirmationChannel::Sms => {
                self.identity
                    .verify_confirmation_code(context, principal, challenge, code, signing.batch_digest)
                    .await?
            }
            ConfirmationChannel::Marker => {
                self.identity
                    .verify_marker_confirmation(context, principal, challenge, code, signing.batch_digest)
                    .await?
            }
        }
        let now = self.now();
        let today = self.today();
        let rules = self.effective_rules(partner).await?;
        let mut loaded = Vec::with_capacity(signing.members.len());
        for member in &signing.members {
            let record = self.store.payment(partner, member.document).await?;
            let record = record.ok_or(BankingError::Conflict(tiyn_store::payments::conflicts::DOCUMENT_CHANGED))?;
            let document = restore_draft(&record)?;
            // The content as stored now must still hash to what the code covers.
            if document.content_digest() != member.content_digest {
                self.record_refused_confirmation(context, principal, challenge, "document_changed").await?;
                return Err(BankingError::Conflict(tiyn_store::payments::conflicts::DOCUMENT_CHANGED));
            }
            loaded.push((record, document, *member));
        }
        // Only payments leaving the bank have a payee to screen.
        let aml = if loaded.iter().any(|(_, document, _)| is_outgoing(document.kind())) {
            self.store.aml_list().await?
        } else {
            Vec::new()
        };
        // Conversions carried out today execute at the rates they were quoted at when the code was
        // issued, if the quote still holds and still gives what the code is bound to.
        let mut quotes = Vec::new();
        for (_, document, _) in &loaded {
            if document.kind() == DocumentKind::Conversion && document.requisites().value_date() <= today {
                quotes.push((document.id(), self.quote_document(document, signing.created_at).await?));
            }
        }
        if !quotes.is_empty() {
            let refused = if quotes.iter().any(|(_, quote)| now > quote.expires_at) {
                Some(conversion::codes::QUOTE_EXPIRED)
            } else {
                let members = signing
                    .members
                    .iter()
                    .map(|member| tiyn_payments::BatchMember {
                        id: member.document,
                        content_digest: member.content_digest,
                    })
                    .collect();
                let bound = conversion::bound_digest(tiyn_payments::members_digest(members), &quotes);
                (bound != signing.batch_digest).then_some(conversion::codes::QUOTE_CHANGED)
            };
            if let Some(code) = refused {
                self.record_refused_confirmation(context, principal, challenge, code).await?;
                return Err(BankingError::Conflict(code));
            }
        }
        let mut planned = Vec::with_capacity(loaded.len());
        for (record, document, member) in &loaded {
            let quote = quotes.iter().find(|(id, _)| *id == document.id()).map(|(_, quote)| quote.clone());
            planned.push(self.plan(record, document, *member, &rules, &aml, today, now, quote).await?);
        }
        let outcomes = self
            .store
            .confirm_payments(ConfirmPayments {
                partner,
                challenge: challenge.to_owned(),
                confirmed_by: principal.user_id(),
                session: principal.session(),
                channel: signing.channel,
                confirmed_at: now,
                batch_digest: signing.batch_digest,
                business_date: today,
                limits: rules.limits.clone(),
                documents: planned,
            })
            .await;
        let outcomes = match outcomes {
            Ok(outcomes) => outcomes,
            Err(tiyn_store::StoreError::Conflict(code)) => {
                self.record_refused_confirmation(context, principal, challenge, code).await?;
                return Err(BankingError::Conflict(code));
            }
            Err(other) => return Err(other.into()),
        };
        let results: Vec<Confirmed> = signing
            .members
            .iter()
            .zip(outcomes)
            .map(|(member, outcome)| Confirmed { document: member.document, outcome })
            .collect();
        let evidence = signing
            .members
            .iter()
            .zip(&results)
            .map(|(member, result)| {
                format!(
                    "payment:{} content={} status={}",
                    member.document,
                    digest_hex(&member.content_digest),
                    result.outcome.status()
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        self.identity
            .record_detailed(
                context,
                principal,
                audit_action::SIGNING_CONFIRM,
                Some(format!("signing:{challenge}")),
                Some(format!(
                    "batch={} session={} channel={}; {evidence}",
                    digest_hex(&signing.batch_digest),
                    principal.session().map(|session| session.to_string()).unwrap_or_else(|| "api_key".into()),
                    signing.channel.as_str(),
                )),
                None,
            )
            .await?;
        Ok(results)
    }

    async fn record_refused_confirmation(
        &self,
        context: &Context,
        principal: &Principal,
        challenge: &str,
        code: &str,
    ) -> Result<(), BankingError> {
        self.identity
            .record_detailed(
                context,
                principal,
                audit_action::SIGNING_CONFIRM,
                Some(format!("signing:{challenge}")),
                None,
                Some(code),
            )
            .await?;
        Ok(())
    }

    /// The commission of one document as the confirmation shows it: a conversion's on
    /// what it sells at its quote, a foreign transfer's on what leaves the account, both in the
    /// payer account's currency; the others' on the amount.
    async fn document_commission(
        &self,
        plan: &tariff::TariffPlan,
        requisites: &Requisites,
        quote: Option<&conversion::ConversionQuote>,
    ) -> Result<Money, BankingError> {
        let kind = requisites.kind();
        let tariff_error = |error: tariff::TariffError| BankingError::Tariff(error.code());
        match (kind, quote) {
            (DocumentKind::Conversion, Some(quote)) => {
                tariff::commission(plan, kind, conversion::commission_base(&quote.conversion)?).map_err(tariff_error)
            }
            (DocumentKind::Foreign, _) => {
                let payer =
                    self.store.account(requisites.payer_account()).await?.ok_or(BankingError::NotFound("account"))?;
                match self.price_foreign(plan, requisites, payer.currency).await {
                    Ok(price) => Ok(price.commission),
                    // Without a rate the document will be refused (no_rate); it costs nothing.
                    Err(BankingError::Conflict(code)) if code == conversion::codes::NO_RATE => {
                        Ok(Money::zero(payer.currency))
                    }
                    Err(other) => Err(other),
                }
            }
            _ => tariff::commission(plan, kind, requisites.amount()).map_err(tariff_error),
        }
    }

    /// The partner's current accounts' bank-side counterparts: the fee income account in a
    /// currency.
    async fn fees_account(&self, currency: Currency) -> Result<AccountId, BankingError> {
        Ok(self.store.bank_account(tiyn_store::AccountKind::BankFees, currency).await?)
    }
}

/// What is wrong with the currencies of a transfer between own accounts: an internal transfer
/// stays in one currency; a conversion crosses two, and its amount is in one of them (sold from
/// the payer account, or bought for the payee account).
pub(crate) fn own_accounts_currencies(
    kind: DocumentKind,
    amount: Currency,
    payer: Currency,
    payee: Currency,
) -> Option<FieldError> {
    match kind {
        DocumentKind::Conversion if payer == payee => Some(field_error(
            fields::PAYEE_ACCOUNT,
            codes::ACCOUNT_CURRENCY_MISMATCH,
            format!("both accounts are in {payer}; a conversion moves money between two currencies"),
        )),
        DocumentKind::Conversion if amount != payer && amount != payee => Some(field_error(
            fields::CURRENCY,
            codes::ACCOUNT_CURRENCY_MISMATCH,
            format!("a conversion's amount is what is sold ({payer}) or bought ({payee}), not {amount}"),
        )),
        DocumentKind::Conversion => None,
        _ if payer != payee => Some(field_error(
            fields::PAYEE_ACCOUNT,
            codes::ACCOUNT_CURRENCY_MISMATCH,
            format!("the payee account is in {payee}; a conversion moves money between currencies"),
        )),
        _ => None,
    }
}

/// Commissions per currency for a confirmation: one per currency of `totals` (zero ones
/// included, so the user sees "0.00"), then the positive ones in other currencies.
fn commission_totals(totals: &[Money], fees: Vec<Money>) -> Result<Vec<Money>, BankingError> {
    let mut sums: std::collections::BTreeMap<Currency, Money> = std::collections::BTreeMap::new();
    for fee in fees {
        let sum = sums.entry(fee.currency()).or_insert_with(|| Money::zero(fee.currency()));
        *sum = sum.checked_add(fee).map_err(|_| BankingError::Tariff("amount_overflow"))?;
    }
    let mut commission: Vec<Money> =
        totals.iter().map(|total| sums.remove(&total.currency()).unwrap_or(Money::zero(total.currency()))).collect();
    commission.extend(sums.into_values().filter(|fee| fee.is_positive()));
    Ok(commission)
}

fn field_error(field: &'static str, code: &'static str, detail: impl Into<String>) -> FieldError {
    FieldError { field, code, detail: detail.into() }
}

fn payment_object(id: DocumentId) -> String {
    format!("payment:{id}")
}

fn id_list(ids: &[DocumentId]) -> String {
    ids.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(",")
}

fn payer_account(record: &PaymentRecord) -> AccountId {
    AccountId::new(record.fields.payer_account.as_deref().and_then(|id| id.parse().ok()).unwrap_or(0))
}

/// SHA-256 of a draft's fields: what an `Idempotency-Key` repeat must match.
fn request_digest(fields: &RawDocument) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let all = [
        &fields.kind,
        &fields.payer_account,
        &fields.amount,
        &fields.currency,
        &fields.knp,
        &fields.purpose,
        &fields.value_date,
        &fields.payee_account,
        &fields.payee_name,
        &fields.payee_bin,
        &fields.payee_iban,
        &fields.payee_bic,
        &fields.kbe,
        &fields.kbk,
    ];
    for field in all {
        match field {
            Some(text) => {
                hasher.update([1]);
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
            None => hasher.update([0]),
        }
    }
    hasher.finalize().into()
}

/// A stored document as a typed draft (its content; the state is the record's), for digests.
fn restore_draft(record: &PaymentRecord) -> Result<Document<Draft>, BankingError> {
    let requisites = Requisites::restore(&record.fields).map_err(|errors| {
        BankingError::Internal(format!(
            "stored payment {} does not read back: {}",
            record.id,
            errors.iter().map(|error| error.to_string()).collect::<Vec<_>>().join("; ")
        ))
    })?;
    let header = DocumentHeader {
        id: record.id,
        number: record.number,
        created_by: record.created_by,
        created_at: record.created_at,
        edited_by: record.edited_by,
        edited_at: record.edited_at,
    };
    Document::restore(header, requisites, Draft).map_err(|error| BankingError::Internal(error.code().to_owned()))
}

/// Whether a kind goes to the interbank gateway.
fn is_outgoing(kind: DocumentKind) -> bool {
    matches!(kind, DocumentKind::Interbank | DocumentKind::Budget | DocumentKind::Foreign)
}
