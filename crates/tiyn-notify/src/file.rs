//! The development sink: one JSON line per message, appended to a file.

use std::io;
use std::path::{Path, PathBuf};

use tokio::fs::{File, OpenOptions};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::{Message, Notifier, NotifyError};

/// Appends each message to a file as one line
/// `{"channel","to","text","created_at"}` (API.md, "Development sinks"), with `created_at` in
/// RFC 3339 UTC. The file and its parent directories are created on the first message.
///
/// Every line is written whole and flushed while one lock is held, so concurrent senders never
/// interleave or tear lines. Other processes appending to the same file are not coordinated.
pub struct FileSink {
    path: PathBuf,
    /// `None` until the first message, and again after a failed write so that the next message
    /// reopens the file (and recreates a removed directory).
    file: Mutex<Option<File>>,
}

/// One line of the file, and the body of a webhook post. The field names are the contract readers
/// rely on.
#[derive(serde::Serialize)]
pub(crate) struct Line<'a> {
    channel: &'a str,
    to: &'a str,
    text: &'a str,
    created_at: String,
}

impl<'a> Line<'a> {
    pub(crate) fn new(message: &'a Message, at: jiff::Timestamp) -> Line<'a> {
        Line {
            channel: message.channel.as_str(),
            to: &message.to,
            text: &message.text,
            // jiff's Display of a Timestamp is RFC 3339 in UTC ("2025-03-01T10:00:00Z").
            created_at: at.to_string(),
        }
    }
}

impl FileSink {
    /// A sink writing to `path`. Nothing is touched until the first message.
    pub fn new(path: impl Into<PathBuf>) -> FileSink {
        FileSink { path: path.into(), file: Mutex::new(None) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn append(&self, line: &[u8]) -> io::Result<()> {
        debug_assert_eq!(line.last(), Some(&b'\n'));
        debug_assert_eq!(line.iter().filter(|byte| **byte == b'\n').count(), 1, "one message, one line");
        let mut slot = self.file.lock().await;
        let file = match slot.take() {
            Some(file) => file,
            None => open_append(&self.path).await?,
        };
        let file = slot.insert(file);
        let written = async {
            file.write_all(line).await?;
            // tokio hands writes to a blocking thread; flush waits until this line is in the file.
            file.flush().await
        }
        .await;
        if written.is_err() {
            *slot = None;
        }
        written
    }
}

async fn open_append(path: &Path) -> io::Result<File> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent).await?;
    }
    OpenOptions::new().create(true).append(true).open(path).await
}

fn encode_line(message: &Message, at: jiff::Timestamp) -> Result<Vec<u8>, NotifyError> {
    let mut bytes = serde_json::to_vec(&Line::new(message, at)).map_err(NotifyError::Encode)?;
    // serde_json escapes control characters inside strings, so the only newline is this one.
    bytes.push(b'\n');
    Ok(bytes)
}

#[async_trait::async_trait]
impl Notifier for FileSink {
    async fn send(&self, message: &Message, at: jiff::Timestamp) -> Result<(), NotifyError> {
        let line = encode_line(message, at)?;
        self.append(&line).await.map_err(|source| NotifyError::File { path: self.path.clone(), source })?;
        tracing::info!(channel = message.channel.as_str(), to = %message.masked_to(), "notification written to file sink");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Channel;

    #[test]
    fn line_has_the_contract_fields_and_one_newline() {
        let at: jiff::Timestamp = "2025-03-01T10:00:00Z".parse().unwrap();
        let message = Message::new(Channel::Email, "anna@example.kz", "line one\nline two \"quoted\"");
        let bytes = encode_line(&message, at).unwrap();
        assert_eq!(bytes.iter().filter(|byte| **byte == b'\n').count(), 1);
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "channel": "email",
                "to": "anna@example.kz",
                "text": "line one\nline two \"quoted\"",
                "created_at": "2025-03-01T10:00:00Z",
            })
        );
    }
}
