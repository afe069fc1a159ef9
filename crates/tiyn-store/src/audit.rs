//! The audit trail as the store keeps it: append-only records chained by a keyed MAC.
//!
//! Each record's `mac` is `AuditKey::chain(previous record's mac, canonical bytes of this record)`.
//! The store computes it inside the transaction that appends, reading the previous MAC from a
//! one-row head, so records are chained in commit order even with several server processes.
//! The head also keeps the anchor of the last purge (R-3.4: records older than 5 years are
//! deleted from the start), so verification starts from a known MAC after a purge.
//! [`verify_chain`] is the one implementation of the check; `tiyn audit verify` runs it page by
//! page over [`crate::Store::audit_chain`].

use jiff::Timestamp;
use tiyn_auth::AuditKey;
use tiyn_core::{PartnerId, UserId};

/// The MAC before the first record ever appended.
pub const AUDIT_GENESIS: [u8; 32] = [0; 32];
/// The longest stored text field (user agents are cut to this many characters before storing).
pub const AUDIT_TEXT_MAX: usize = 512;

/// Whether the action succeeded; a failure carries its stable code (`invalid_credentials`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditOutcome {
    Success,
    Failure(String),
}

impl AuditOutcome {
    /// `success` or the failure's code, as stored in the `outcome` column.
    pub fn as_str(&self) -> &str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Failure(code) => code,
        }
    }

    pub fn parse(stored: &str) -> AuditOutcome {
        if stored == "success" { AuditOutcome::Success } else { AuditOutcome::Failure(stored.to_owned()) }
    }
}

/// One action to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditRecord {
    pub at: Timestamp,
    /// The user or operator who acted; `None` for an anonymous attempt or the platform itself.
    pub actor: Option<UserId>,
    /// The partner the action concerns (whose trail shows it); `None` for the bank's own actions.
    pub partner: Option<PartnerId>,
    /// Dotted verb, stable: `auth.login`, `auth.login_confirm`, `users.block`, `statements.view`, …
    pub action: String,
    /// What was acted on: `user:12`, `account:3`, `session:40`; `None` when nothing specific.
    pub object: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub outcome: AuditOutcome,
    /// Non-secret particulars (`level: create -> confirm`); never passwords, codes or tokens.
    pub details: Option<String>,
}

/// A stored record with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub record: NewAuditRecord,
    pub previous_mac: [u8; 32],
    pub mac: [u8; 32],
}

/// Filters of `GET /audit` and of the operators' view; records come newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditQuery {
    pub partner: Option<PartnerId>,
    pub actor: Option<UserId>,
    pub from: Option<Timestamp>,
    /// Exclusive.
    pub to: Option<Timestamp>,
    /// Only records with a smaller id (the cursor of the previous page).
    pub before_id: Option<i64>,
    pub limit: usize,
}

/// The head of the chain: the last record appended and the anchor the chain starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditHead {
    pub last_id: i64,
    pub last_mac: [u8; 32],
    /// The last purged record's id and MAC ([`AUDIT_GENESIS`] and 0 before any purge).
    pub anchor_id: i64,
    pub anchor_mac: [u8; 32],
}

impl Default for AuditHead {
    fn default() -> AuditHead {
        AuditHead { last_id: 0, last_mac: AUDIT_GENESIS, anchor_id: 0, anchor_mac: AUDIT_GENESIS }
    }
}

fn put_text(bytes: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => bytes.push(0),
        Some(text) => {
            bytes.push(1);
            bytes.extend_from_slice(&(text.len() as u64).to_be_bytes());
            bytes.extend_from_slice(text.as_bytes());
        }
    }
}

fn put_id(bytes: &mut Vec<u8>, id: Option<i64>) {
    match id {
        None => bytes.push(0),
        Some(id) => {
            bytes.push(1);
            bytes.extend_from_slice(&id.to_be_bytes());
        }
    }
}

impl NewAuditRecord {
    /// An unambiguous encoding of the record with its id: tags and lengths in front of every
    /// optional or variable field, so no two different records encode alike.
    pub fn canonical_bytes(&self, id: i64) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(128);
        bytes.extend_from_slice(&id.to_be_bytes());
        bytes.extend_from_slice(&self.at.as_microsecond().to_be_bytes());
        put_id(&mut bytes, self.actor.map(UserId::get));
        put_id(&mut bytes, self.partner.map(PartnerId::get));
        put_text(&mut bytes, Some(&self.action));
        put_text(&mut bytes, self.object.as_deref());
        put_text(&mut bytes, self.source_ip.as_deref());
        put_text(&mut bytes, self.user_agent.as_deref());
        put_text(&mut bytes, Some(self.outcome.as_str()));
        put_text(&mut bytes, self.details.as_deref());
        bytes
    }

    /// Cuts free-text fields to [`AUDIT_TEXT_MAX`] characters (a user agent is the client's to
    /// choose; the trail must not grow by what a client sends) and replaces NUL characters, which
    /// PostgreSQL text cannot hold, so every backend stores the same bytes it chained.
    pub fn bounded(mut self) -> NewAuditRecord {
        for text in
            [&mut self.user_agent, &mut self.details, &mut self.object, &mut self.source_ip].into_iter().flatten()
        {
            if text.contains('\0') {
                *text = text.replace('\0', "\u{FFFD}");
            }
            if text.chars().count() > AUDIT_TEXT_MAX {
                *text = text.chars().take(AUDIT_TEXT_MAX).collect();
            }
        }
        self
    }
}

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The record's MAC does not match its content and the previous MAC: it was altered, or a
    /// record before it was removed or altered.
    #[error("audit record {id} does not match the chain: altered, or a record before it was removed")]
    Mismatch { id: i64 },
    /// The last record is not the one the head names: records at the end were removed.
    #[error("the audit trail ends at record {found} but its head names record {expected}: records were removed")]
    Truncated { expected: i64, found: i64 },
}

/// Incremental verification: feed records in id order, then [`ChainVerifier::finish`] with the head.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    previous_mac: [u8; 32],
    last_id: i64,
    checked: u64,
}

impl ChainVerifier {
    /// Starts at the head's anchor (the genesis, or the last purged record).
    pub fn new(head: &AuditHead) -> ChainVerifier {
        ChainVerifier { previous_mac: head.anchor_mac, last_id: head.anchor_id, checked: 0 }
    }

    pub fn feed(&mut self, key: &AuditKey, record: &AuditRecord) -> Result<(), ChainBreak> {
        let bytes = record.record.canonical_bytes(record.id);
        let linked = record.previous_mac == self.previous_mac && record.id > self.last_id;
        if !linked || !key.verify(&self.previous_mac, &bytes, &record.mac) {
            return Err(ChainBreak::Mismatch { id: record.id });
        }
        self.previous_mac = record.mac;
        self.last_id = record.id;
        self.checked += 1;
        Ok(())
    }

    /// Checks that the chain ends where the head says; answers how many records were checked.
    pub fn finish(self, head: &AuditHead) -> Result<u64, ChainBreak> {
        if self.last_id != head.last_id || self.previous_mac != head.last_mac {
            return Err(ChainBreak::Truncated { expected: head.last_id, found: self.last_id });
        }
        Ok(self.checked)
    }
}

/// Verifies a whole chain held in memory (tests, small trails).
pub fn verify_chain(key: &AuditKey, head: &AuditHead, records: &[AuditRecord]) -> Result<u64, ChainBreak> {
    let mut verifier = ChainVerifier::new(head);
    for record in records {
        verifier.feed(key, record)?;
    }
    verifier.finish(head)
}
