//! What a confirmation code is bound to (R-4.11, R-4.13, R-8.8, R-5.9): the canonical bytes of
//! each document, the digest of a batch, and the batch's count and totals.
//!
//! # The canonical encoding, version 1
//!
//! ```text
//! "tiyn.payment-document" (length-prefixed)  version: u16 BE = 1
//! then, for every field below, in this order, always:
//!     tag: u8, then 0x00 (absent) or 0x01 + length: u32 BE + value bytes
//! ```
//!
//! | tag | field | value |
//! |---|---|---|
//! | 1 | document id | i64 BE |
//! | 2 | document number | u64 BE |
//! | 3 | kind | `internal`, `interbank`, `budget`, `conversion`, `foreign` |
//! | 4 | payer account id | i64 BE |
//! | 5 | amount | minor units, i64 BE |
//! | 6 | currency | ISO 4217 alphabetic code |
//! | 7 | KNP | 3 digits |
//! | 8 | purpose | UTF-8 |
//! | 9 | value date | `YYYY-MM-DD` |
//! | 10 | payee account id (internal) | i64 BE |
//! | 11 | payee name | UTF-8 |
//! | 12 | payee IIN/BIN | 12 digits |
//! | 13 | payee IBAN | canonical, no spaces |
//! | 14 | payee bank BIC | as in the bank directory |
//! | 15 | KBe | 2 digits |
//! | 16 | KBK (budget) | 6 digits |
//!
//! A foreign transfer (kind `foreign`) writes its payee's name, account (IBAN or account
//! number) and SWIFT BIC under tags 11, 13 and 14, and then, after tag 16, six more — only
//! documents of this kind have them, so the bytes of every other kind are unchanged:
//!
//! | tag | field | value |
//! |---|---|---|
//! | 17 | payee address | UTF-8 |
//! | 18 | payee country | ISO 3166 alpha-2 |
//! | 19 | intermediary BIC | SWIFT BIC |
//! | 20 | charges | `OUR`, `SHA`, `BEN` |
//! | 21 | contract number | UTF-8 |
//! | 22 | contract date | `YYYY-MM-DD` |
//!
//! Every field is written, in a fixed order, with its length, so two different documents can
//! never have the same bytes. Authorship, timestamps and status are not content: confirming a
//! document does not change what it says. A new version must keep this encoder to verify the
//! evidence of documents confirmed under version 1.

use std::collections::BTreeMap;
use std::fmt;

use sha2::{Digest, Sha256};
use tiyn_core::{Amount, Currency, Money};

use crate::document::{
    AwaitingConfirmation, Confirmation, ConfirmationEvidence, Confirmed, Document, DocumentId, State,
};

/// The version of the canonical encoding, written into it.
pub const CANONICAL_ENCODING_VERSION: u16 = 1;

const DOCUMENT_DOMAIN: &[u8] = b"tiyn.payment-document";
const BATCH_DOMAIN: &[u8] = b"tiyn.payment-batch";

/// The most documents one confirmation can cover, whatever the bank configures (R-4.13 lets
/// the bank set a lower cap). A day's 1C import of a large company is a few hundred orders; a
/// thousand keeps one confirmation one bounded database transaction.
pub const BATCH_DOCUMENTS_MAX: usize = 1000;

impl<S: State> Document<S> {
    /// The unambiguous, versioned encoding of everything in the document that matters for money
    /// (see the module docs).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let requisites = self.requisites();
        let mut out = Encoder::new(DOCUMENT_DOMAIN);
        out.field(1, Some(&self.id().get().to_be_bytes()));
        out.field(2, Some(&self.number().get().to_be_bytes()));
        out.text(3, Some(self.kind().as_str()));
        out.field(4, Some(&requisites.payer_account().get().to_be_bytes()));
        out.field(5, Some(&requisites.amount().minor().to_be_bytes()));
        out.text(6, Some(requisites.amount().currency().code()));
        out.text(7, Some(requisites.knp().as_str()));
        out.text(8, Some(requisites.purpose().as_str()));
        out.text(9, Some(&requisites.value_date().to_string()));
        let payee_account = requisites.payee().own_account().map(|account| account.get().to_be_bytes());
        out.field(10, payee_account.as_ref().map(|bytes| bytes.as_slice()));
        let bank_payee = requisites.payee().bank_payee();
        let foreign = requisites.payee().foreign_payee();
        out.text(11, bank_payee.map(|payee| payee.name().as_str()).or(foreign.map(|payee| payee.name().as_str())));
        out.text(12, bank_payee.map(|payee| payee.taxpayer_id().as_str()));
        out.text(13, bank_payee.map(|payee| payee.iban().as_str()).or(foreign.map(|payee| payee.account().as_str())));
        out.text(14, bank_payee.map(|payee| payee.bic().as_str()).or(foreign.map(|payee| payee.bic().as_str())));
        out.text(15, requisites.kbe().as_ref().map(|kbe| kbe.as_str()));
        out.text(16, requisites.kbk().as_ref().map(|kbk| kbk.as_str()));
        let Some(foreign) = foreign else {
            return out.finish(16);
        };
        out.text(17, Some(foreign.address().as_str()));
        out.text(18, Some(foreign.country().as_str()));
        out.text(19, foreign.intermediary().map(|bic| bic.as_str()));
        out.text(20, Some(foreign.charges().as_str()));
        out.text(21, foreign.contract().map(|contract| contract.number()));
        out.text(22, foreign.contract().map(|contract| contract.date().to_string()).as_deref());
        out.finish(22)
    }

    /// SHA-256 of [`Self::canonical_bytes`].
    pub fn content_digest(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }
}

/// Writes tagged, length-prefixed fields and checks that tags only go up.
struct Encoder {
    bytes: Vec<u8>,
    last_tag: u8,
}

impl Encoder {
    fn new(domain: &[u8]) -> Encoder {
        let mut encoder = Encoder { bytes: Vec::with_capacity(512), last_tag: 0 };
        encoder.length_prefixed(domain);
        encoder.bytes.extend(CANONICAL_ENCODING_VERSION.to_be_bytes());
        encoder
    }

    fn length_prefixed(&mut self, value: &[u8]) {
        let length = u32::try_from(value.len()).expect("document fields are bounded far below 4 GiB");
        self.bytes.extend(length.to_be_bytes());
        self.bytes.extend(value);
    }

    fn field(&mut self, tag: u8, value: Option<&[u8]>) {
        assert!(tag == self.last_tag + 1, "canonical fields are written in tag order, none skipped");
        self.last_tag = tag;
        self.bytes.push(tag);
        match value {
            None => self.bytes.push(0),
            Some(value) => {
                self.bytes.push(1);
                self.length_prefixed(value);
            }
        }
    }

    fn text(&mut self, tag: u8, value: Option<&str>) {
        self.field(tag, value.map(str::as_bytes));
    }

    fn finish(self, last_tag: u8) -> Vec<u8> {
        assert_eq!(self.last_tag, last_tag, "every field of the encoding was written");
        self.bytes
    }
}

/// One document of a batch: its id and the digest of its content when the code was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchMember {
    pub id: DocumentId,
    pub content_digest: [u8; 32],
}

/// The digest a batch confirmation code is bound to: SHA-256 over the count and each document's
/// id and content digest, sorted by id, so it does not depend on the order the user picked the
/// documents in.
pub fn batch_digest(documents: &[&Document<AwaitingConfirmation>]) -> [u8; 32] {
    let mut members: Vec<BatchMember> = documents
        .iter()
        .map(|document| BatchMember { id: document.id(), content_digest: document.content_digest() })
        .collect();
    members.sort();
    digest_of_sorted_members(&members)
}

/// [`batch_digest`] of documents known by their ids and content digests (a stored confirmation's
/// members), in any order.
pub fn members_digest(mut members: Vec<BatchMember>) -> [u8; 32] {
    members.sort();
    digest_of_sorted_members(&members)
}

fn digest_of_sorted_members(members: &[BatchMember]) -> [u8; 32] {
    debug_assert!(members.is_sorted());
    let mut hasher = Sha256::new();
    hasher.update((BATCH_DOMAIN.len() as u32).to_be_bytes());
    hasher.update(BATCH_DOMAIN);
    hasher.update(CANONICAL_ENCODING_VERSION.to_be_bytes());
    hasher.update((members.len() as u64).to_be_bytes());
    for member in members {
        hasher.update(member.id.get().to_be_bytes());
        hasher.update(member.content_digest);
    }
    hasher.finalize().into()
}

/// Lower-case hexadecimal, the way the API shows a digest.
pub fn digest_hex(digest: &[u8; 32]) -> String {
    use fmt::Write;
    digest.iter().fold(String::with_capacity(64), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// What the user is shown before confirming (and what the SMS names): the number of documents
/// and the exact total per currency. Commissions come with the tariffs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    count: usize,
    totals: BTreeMap<Currency, Money>,
}

impl BatchSummary {
    /// Sums the documents' amounts per currency with checked arithmetic.
    pub fn of(documents: &[&Document<AwaitingConfirmation>]) -> Result<BatchSummary, BatchError> {
        BatchSummary::of_amounts(documents.iter().map(|document| document.requisites().amount()))
    }

    /// Sums amounts per currency; an overflow is an error, never a wrap.
    pub fn of_amounts(amounts: impl IntoIterator<Item = Amount>) -> Result<BatchSummary, BatchError> {
        let mut count = 0usize;
        let mut totals: BTreeMap<Currency, Money> = BTreeMap::new();
        for amount in amounts {
            let currency = amount.currency();
            let total = totals.entry(currency).or_insert(Money::zero(currency));
            *total = total.checked_add(amount.money()).map_err(|_| BatchError::TotalOverflow { currency })?;
            count += 1;
        }
        debug_assert!(totals.values().all(|total| total.is_positive()));
        Ok(BatchSummary { count, totals })
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// The total of each currency in the batch, in a stable (currency) order.
    pub fn totals(&self) -> impl Iterator<Item = Money> + '_ {
        self.totals.values().copied()
    }

    pub fn total(&self, currency: Currency) -> Option<Money> {
        self.totals.get(&currency).copied()
    }
}

/// Why a batch could not be opened for confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("no documents were chosen for confirmation")]
    Empty,
    #[error("{count} documents were chosen; one confirmation covers at most {documents_max}")]
    TooLarge { count: usize, documents_max: usize },
    #[error("document {0} was chosen twice")]
    Duplicate(DocumentId),
    #[error("the total in {currency} is too large to represent")]
    TotalOverflow { currency: Currency },
    #[error("the stored batch does not hash to its recorded digest")]
    DigestMismatch,
}

impl BatchError {
    pub fn code(&self) -> &'static str {
        match self {
            BatchError::Empty => "empty_batch",
            BatchError::TooLarge { .. } => "batch_too_large",
            BatchError::Duplicate(_) => "duplicate_document",
            BatchError::TotalOverflow { .. } => "amount_overflow",
            BatchError::DigestMismatch => "challenge_digest_mismatch",
        }
    }
}

/// The documents one code was issued for, and the digest it is bound to.
///
/// Opened when the user asks for a code (`POST /signing`), stored with the code-issue record
/// (members and digest), restored when the code comes back, and then the only way to confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchChallenge {
    /// Sorted by id, no duplicates.
    members: Vec<BatchMember>,
    digest: [u8; 32],
}

impl BatchChallenge {
    /// Opens a challenge for the documents the user chose, with their summary. `documents_max`
    /// is the bank's cap per confirmation (R-4.13), at most [`BATCH_DOCUMENTS_MAX`].
    pub fn open(
        documents: &[&Document<AwaitingConfirmation>],
        documents_max: usize,
    ) -> Result<(BatchChallenge, BatchSummary), BatchError> {
        assert!(
            (1..=BATCH_DOCUMENTS_MAX).contains(&documents_max),
            "the cap per confirmation is a setting from 1 to {BATCH_DOCUMENTS_MAX}"
        );
        if documents.is_empty() {
            return Err(BatchError::Empty);
        }
        if documents.len() > documents_max {
            return Err(BatchError::TooLarge { count: documents.len(), documents_max });
        }
        let mut members: Vec<BatchMember> = documents
            .iter()
            .map(|document| BatchMember { id: document.id(), content_digest: document.content_digest() })
            .collect();
        members.sort();
        if let Some(pair) = members.windows(2).find(|pair| pair[0].id == pair[1].id) {
            return Err(BatchError::Duplicate(pair[0].id));
        }
        let summary = BatchSummary::of(documents)?;
        let digest = digest_of_sorted_members(&members);
        debug_assert_eq!(digest, batch_digest(documents));
        Ok((BatchChallenge { members, digest }, summary))
    }

    /// Rebuilds a stored challenge, checking that the members still hash to the digest the code
    /// was bound to.
    pub fn restore(mut members: Vec<BatchMember>, digest: [u8; 32]) -> Result<BatchChallenge, BatchError> {
        members.sort();
        let unique = members.windows(2).all(|pair| pair[0].id != pair[1].id);
        if members.is_empty() || !unique || digest_of_sorted_members(&members) != digest {
            return Err(BatchError::DigestMismatch);
        }
        Ok(BatchChallenge { members, digest })
    }

    /// The documents, sorted by id.
    pub fn members(&self) -> &[BatchMember] {
        &self.members
    }

    /// The digest the code is bound to (tiyn-auth `CodePurpose::Confirmation { digest }`).
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// Confirms the batch with one verified code (R-4.13): every document the code was issued for
    /// must be here, still awaiting confirmation, with the same content; then all are confirmed,
    /// or none is.
    ///
    /// `documents` are the batch's documents as loaded now. The caller has verified the code
    /// against [`Self::digest`]; this checks that the documents are still what the code covers.
    pub fn confirm(
        &self,
        documents: Vec<Document<AwaitingConfirmation>>,
        confirmation: &Confirmation,
    ) -> Result<Vec<Document<Confirmed>>, BatchConfirmError> {
        let mut by_id: BTreeMap<DocumentId, Document<AwaitingConfirmation>> = BTreeMap::new();
        let mut unexpected = Vec::new();
        for document in documents {
            let id = document.id();
            let listed = self.members.binary_search_by_key(&id, |member| member.id).is_ok();
            if !listed || by_id.contains_key(&id) {
                unexpected.push(id);
            }
            by_id.insert(id, document);
        }
        let mut changed = Vec::new();
        let mut missing = Vec::new();
        for member in &self.members {
            match by_id.get(&member.id) {
                None => missing.push(member.id),
                Some(document) if document.content_digest() != member.content_digest => changed.push(member.id),
                Some(_) => {}
            }
        }
        if !(changed.is_empty() && missing.is_empty() && unexpected.is_empty()) {
            let documents = by_id.into_values().collect();
            return Err(BatchConfirmError { changed, missing, unexpected, documents });
        }
        let documents: Vec<Document<AwaitingConfirmation>> = by_id.into_values().collect();
        {
            let current: Vec<&Document<AwaitingConfirmation>> = documents.iter().collect();
            assert_eq!(batch_digest(&current), self.digest, "the documents are exactly the batch the code covers");
        }
        let confirmed: Vec<Document<Confirmed>> = documents
            .into_iter()
            .map(|document| {
                let evidence = ConfirmationEvidence {
                    challenge: confirmation.challenge.clone(),
                    confirmed_by: confirmation.confirmed_by,
                    session: confirmation.session,
                    channel: confirmation.channel,
                    confirmed_at: confirmation.confirmed_at,
                    batch_digest: self.digest,
                    content_digest: document.content_digest(),
                };
                document.confirm(evidence)
            })
            .collect();
        debug_assert_eq!(confirmed.len(), self.members.len());
        Ok(confirmed)
    }
}

/// Why a batch confirmation was refused: the documents are not what the code was issued for.
/// Nothing is confirmed; the documents are given back unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchConfirmError {
    /// Documents whose content changed after the code was issued (withdrawn, edited and
    /// submitted again).
    pub changed: Vec<DocumentId>,
    /// Documents of the batch that were not given (deleted, withdrawn, confirmed elsewhere).
    pub missing: Vec<DocumentId>,
    /// Documents given that the code was not issued for, or given twice.
    pub unexpected: Vec<DocumentId>,
    pub documents: Vec<Document<AwaitingConfirmation>>,
}

impl BatchConfirmError {
    /// `content_changed` when a document of the batch was altered, else `batch_mismatch`.
    pub fn code(&self) -> &'static str {
        if self.changed.is_empty() { "batch_mismatch" } else { "content_changed" }
    }
}

impl fmt::Display for BatchConfirmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the documents are not the batch the code was issued for (changed: {:?}, missing: {:?}, unexpected: {:?})",
            self.changed, self.missing, self.unexpected
        )
    }
}

impl std::error::Error for BatchConfirmError {}
