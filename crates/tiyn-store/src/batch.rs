//! The backend-independent part of group commit: how a batch's idempotency keys resolve.
//!
//! Both backends run a batch the same way inside one transaction: look up the stored operations
//! of the batch's keys, decide the new commands with a `tiyn_ledger::Book`, and record each new
//! key's receipt. What a key that was seen before answers is decided here, once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use tiyn_ledger::{Command, Executed, IdempotencyKey, LedgerError, Receipt};

use crate::StoreError;

/// The most commands merged into one transaction. Large enough that 32 clients land in one
/// commit; small enough that one transaction's locks and statements stay short.
pub const BATCH_COMMANDS_MAX: usize = 256;

/// The stored first result of an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredOperation {
    pub content_digest: [u8; 32],
    pub receipt: Receipt,
}

/// The keys known in a batch: those stored before it and those executed earlier in it.
#[derive(Debug, Default)]
pub struct KnownKeys {
    operations: HashMap<IdempotencyKey, StoredOperation>,
}

impl KnownKeys {
    pub fn new(stored: impl IntoIterator<Item = (IdempotencyKey, StoredOperation)>) -> KnownKeys {
        KnownKeys { operations: stored.into_iter().collect() }
    }

    pub fn contains(&self, key: &IdempotencyKey) -> bool {
        self.operations.contains_key(key)
    }

    /// The answer to a command whose key was used before: the first receipt when the content is
    /// the same, a conflict when it differs. `None` when the key is new.
    pub fn replay(&self, command: &Command) -> Option<Result<Executed, StoreError>> {
        let stored = self.operations.get(&command.key)?;
        if stored.content_digest == command.content_digest() {
            Some(Ok(Executed { receipt: stored.receipt, replayed: true }))
        } else {
            Some(Err(StoreError::Ledger(LedgerError::IdempotencyConflict)))
        }
    }

    /// Records a key executed in this batch so that a duplicate later in the batch replays it.
    pub fn record(&mut self, command: &Command, receipt: Receipt) {
        let stored = StoredOperation { content_digest: command.content_digest(), receipt };
        let previous = self.operations.insert(command.key.clone(), stored);
        debug_assert!(previous.is_none(), "a key is executed at most once");
    }
}

/// How a receipt is spelled in the `operations` table.
pub fn receipt_code(receipt: Receipt) -> &'static str {
    match receipt {
        Receipt::Posted { .. } => "posted",
        Receipt::Held { .. } => "held",
        Receipt::Released { .. } => "released",
    }
}

/// How long a writer waits, at most, for more commands before committing a batch that is
/// smaller than the previous one. After a commit, the clients it answered need a moment to send
/// their next command; without this pause the next batch would hold only the stragglers, and
/// batches would alternate full / nearly empty, paying one fsync for a handful of commands.
pub const LINGER_MAX: std::time::Duration = std::time::Duration::from_micros(400);

/// The batch size a writer aims for: the size of its previous batch. It adapts at once when load
/// falls (one short linger) and when it rises (a larger batch sets a larger target).
#[derive(Debug, Clone, Copy)]
pub struct BatchTarget {
    size: usize,
}

impl Default for BatchTarget {
    fn default() -> Self {
        BatchTarget { size: 1 }
    }
}

impl BatchTarget {
    /// Whether a batch of `collected` commands should wait for more (before the deadline).
    pub fn wants_more(&self, collected: usize) -> bool {
        collected < self.size.min(BATCH_COMMANDS_MAX)
    }

    /// Records the size of the batch just taken.
    pub fn taken(&mut self, collected: usize) {
        debug_assert!(collected >= 1);
        self.size = collected;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_follows_the_previous_batch() {
        let mut target = BatchTarget::default();
        assert!(!target.wants_more(1));
        target.taken(32);
        assert!(target.wants_more(31));
        assert!(!target.wants_more(32));
        target.taken(3);
        assert!(!target.wants_more(3));
        target.taken(10_000);
        assert!(!target.wants_more(BATCH_COMMANDS_MAX));
    }
}

/// How many ledger commands ended how, since the store opened (for `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LedgerCounts {
    /// Executed and committed.
    pub executed: u64,
    /// Answered with the first result of their idempotency key.
    pub replayed: u64,
    /// Refused by the ledger (insufficient funds, conflict, …): nothing written.
    pub refused: u64,
    /// Failed in storage: nothing written.
    pub failed: u64,
}

/// The counters a backend's writer keeps: every command's result passes through [`LedgerCounters::record`]
/// just before its caller gets it, so nothing that executes a command can be missed.
#[derive(Debug, Default)]
pub struct LedgerCounters {
    executed: AtomicU64,
    replayed: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
}

impl LedgerCounters {
    pub fn record(&self, result: &Result<Executed, StoreError>) {
        let counter = match result {
            Ok(executed) if executed.replayed => &self.replayed,
            Ok(_) => &self.executed,
            Err(StoreError::Ledger(_)) => &self.refused,
            Err(_) => &self.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> LedgerCounts {
        LedgerCounts {
            executed: self.executed.load(Ordering::Relaxed),
            replayed: self.replayed.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}
