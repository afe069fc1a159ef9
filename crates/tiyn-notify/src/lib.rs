//! The one notifier through which every outgoing SMS, push notice and email leaves Tiyn (API.md,
//! "Development sinks").
//!
//! Callers build a [`Message`] and hand it to an `Arc<dyn Notifier>` chosen once by the server:
//! - [`FileSink`] appends each message as one JSON line to a file, so that a person or a test can
//!   read the one-time codes (the default for `--demo` and tests);
//! - [`MemorySink`] keeps the messages in memory, for other crates' tests;
//! - [`WebhookSink`] posts each message, signed, to a real provider's webhook.
//!
//! [`http`] is the signed-POST client under the webhook sink, public so that the server's other
//! outgoing transport (the interbank gateway) shares it rather than having its own.
//!
//! Message texts carry one-time codes, so they never reach logs (R-5.8): sinks log the channel and a
//! masked recipient only, and the `Debug` of a [`Message`] hides the text.

mod file;
pub mod http;
mod memory;
mod webhook;

use std::fmt;
use std::path::PathBuf;

pub use file::FileSink;
pub use http::{SIGNATURE_HEADER, TIMESTAMP_HEADER, signature};
pub use memory::MemorySink;
pub use webhook::{WebhookOptions, WebhookSink};

/// How a message reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Sms,
    Push,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Sms, Channel::Push, Channel::Email];

    /// The name written to sinks and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Email => "email",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One outgoing message. Plain data: `to` (a phone number, device id or email address, according
/// to `channel`) has been validated by the caller, which owns the domain types.
///
/// `Debug` masks the recipient and hides the text, which may hold a one-time code (R-5.8).
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    pub channel: Channel,
    pub to: String,
    pub text: String,
}

impl Message {
    pub fn new(channel: Channel, to: impl Into<String>, text: impl Into<String>) -> Message {
        Message { channel, to: to.into(), text: text.into() }
    }

    /// The recipient with all but its last characters hidden, for logs.
    pub fn masked_to(&self) -> String {
        mask_recipient(&self.to)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("channel", &self.channel)
            .field("to", &self.masked_to())
            .field("text", &"<redacted>")
            .finish()
    }
}

/// How many trailing characters of a recipient a log line keeps: enough for a person to tell two
/// users apart, too few to contact either.
pub const RECIPIENT_VISIBLE_CHARS: usize = 4;

/// Hides a recipient for logs, keeping its last [`RECIPIENT_VISIBLE_CHARS`] characters:
/// `+77011234567` becomes `•••4567`. A recipient that short is hidden whole.
pub fn mask_recipient(to: &str) -> String {
    let count = to.chars().count();
    if count <= RECIPIENT_VISIBLE_CHARS {
        return "•••".to_owned();
    }
    let visible: String = to.chars().skip(count - RECIPIENT_VISIBLE_CHARS).collect();
    debug_assert_eq!(visible.chars().count(), RECIPIENT_VISIBLE_CHARS);
    format!("•••{visible}")
}

/// Why a message could not be handed over. The texts name the sink, never the message.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("cannot write to the notification file {path}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode the notification")]
    Encode(#[source] serde_json::Error),
    /// The webhook sink was set up with an unusable URL, secret or CA bundle.
    #[error("webhook sink misconfigured: {0}")]
    WebhookConfig(&'static str),
    /// The provider could not be reached (connection, TLS or protocol error) on any attempt.
    #[error("cannot reach the webhook {endpoint} after {attempts} attempt(s)")]
    WebhookConnect {
        endpoint: String,
        attempts: u32,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The provider did not answer in time on the last attempt.
    #[error("the webhook {endpoint} timed out after {attempts} attempt(s)")]
    WebhookTimeout { endpoint: String, attempts: u32 },
    /// The provider answered with a status other than 2xx: a 4xx at once, a 5xx on the last attempt.
    #[error("the webhook {endpoint} answered {status} after {attempts} attempt(s)")]
    WebhookStatus { endpoint: String, status: u16, attempts: u32 },
}

impl NotifyError {
    /// A stable word for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            NotifyError::File { .. } => "notify_file",
            NotifyError::Encode(_) => "notify_encode",
            NotifyError::WebhookConfig(_) => "notify_webhook_config",
            NotifyError::WebhookConnect { .. } => "notify_webhook_connect",
            NotifyError::WebhookTimeout { .. } => "notify_webhook_timeout",
            NotifyError::WebhookStatus { .. } => "notify_webhook_status",
        }
    }
}

/// Sends messages. The server picks one implementation at start and shares it as
/// `Arc<dyn Notifier>`. The time is a parameter: the server owns the clock.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + 'static {
    async fn send(&self, message: &Message, at: jiff::Timestamp) -> Result<(), NotifyError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R-5.8: a code in a message never reaches a log through `Debug`.
    #[test]
    fn r_5_8_debug_of_message_hides_text_and_masks_recipient() {
        let message = Message::new(Channel::Sms, "+77011234567", "Tiyn: your code is 493817");
        let debug = format!("{message:?}");
        assert!(debug.contains(r#"text: "<redacted>""#), "{debug}");
        assert!(!debug.contains("493817"), "{debug}");
        assert!(!debug.contains("+77011234567"), "{debug}");
        assert!(debug.contains("•••4567"), "{debug}");
        assert!(debug.contains("Sms"), "{debug}");
        let pretty = format!("{message:#?}");
        assert!(!pretty.contains("493817"), "{pretty}");
    }

    #[test]
    fn recipients_keep_their_last_four_characters() {
        assert_eq!(mask_recipient("+77011234567"), "•••4567");
        assert_eq!(mask_recipient("anna@example.kz"), "•••e.kz");
        assert_eq!(mask_recipient("бухгалтер@пример.қаз"), "•••.қаз");
        assert_eq!(mask_recipient("12345"), "•••2345");
        assert_eq!(mask_recipient("1234"), "•••");
        assert_eq!(mask_recipient(""), "•••");
    }

    #[test]
    fn channel_names() {
        let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, ["sms", "push", "email"]);
        assert_eq!(Channel::Push.to_string(), "push");
    }
}
