//! A sink that keeps messages in memory, for tests of the crates that send them.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::{Message, Notifier, NotifyError};

/// Keeps every message sent, in order. Tests read the codes back with [`MemorySink::messages`] or
/// [`MemorySink::last_text_to`].
#[derive(Debug, Default)]
pub struct MemorySink {
    sent: Mutex<Vec<(Message, jiff::Timestamp)>>,
}

impl MemorySink {
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// Every message sent so far, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.lock().iter().map(|(message, _)| message.clone()).collect()
    }

    /// Every message sent so far with the instant it was sent at, oldest first.
    pub fn sent(&self) -> Vec<(Message, jiff::Timestamp)> {
        self.lock().clone()
    }

    /// The text of the latest message to `to`, on any channel.
    pub fn last_text_to(&self, to: &str) -> Option<String> {
        self.lock().iter().rev().find(|(message, _)| message.to == to).map(|(message, _)| message.text.clone())
    }

    /// A test that panicked while holding the lock cannot leave the list half-written (a push is
    /// the only mutation), so a poisoned lock is still safe to read.
    fn lock(&self) -> MutexGuard<'_, Vec<(Message, jiff::Timestamp)>> {
        self.sent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl Notifier for MemorySink {
    async fn send(&self, message: &Message, at: jiff::Timestamp) -> Result<(), NotifyError> {
        let mut sent = self.lock();
        let count_before = sent.len();
        sent.push((message.clone(), at));
        debug_assert_eq!(sent.len(), count_before + 1);
        drop(sent);
        tracing::debug!(channel = message.channel.as_str(), to = %message.masked_to(), "notification kept in memory");
        Ok(())
    }
}
