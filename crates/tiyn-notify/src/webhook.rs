//! The provider sink: each message is posted as signed JSON to a provider's webhook, through the
//! shared signed client ([`crate::http`]).

use std::fmt;
use std::time::Duration;

use hyper::body::Bytes;

use crate::file::Line;
use crate::http::{PostError, SignedClient, SignedClientOptions};
use crate::{Message, Notifier, NotifyError};

/// How the sink talks to the provider. [`WebhookOptions::default`] is what production uses.
#[derive(Clone)]
pub struct WebhookOptions {
    /// The longest a TCP (and TLS) connection may take to open.
    pub connect_timeout: Duration,
    /// The longest one attempt may take, from connecting to the response status.
    pub request_timeout: Duration,
    /// How many attempts a message gets (at least one). Connection errors, timeouts and 5xx answers
    /// are retried; any other answer is final.
    pub attempts: u32,
    /// The pause before the second attempt; each further attempt waits one more such step.
    pub backoff: Duration,
    /// A PEM bundle of CA certificates for `https://` URLs. When set, the sink trusts these CAs
    /// *instead of* the compiled-in Mozilla roots (a private provider's CA, or a test's
    /// self-signed certificate); when `None`, it trusts the Mozilla roots.
    pub ca_pem: Option<Vec<u8>>,
}

impl Default for WebhookOptions {
    fn default() -> WebhookOptions {
        WebhookOptions {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(250),
            ca_pem: None,
        }
    }
}

impl fmt::Debug for WebhookOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("attempts", &self.attempts)
            .field("backoff", &self.backoff)
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<pem>"))
            .finish()
    }
}

/// Posts each message to a provider as `{"channel","to","text","created_at"}` (the file sink's
/// fields), signed with the provider's shared secret:
///
/// - `Content-Type: application/json`;
/// - `X-Tiyn-Timestamp: <unix seconds>`, the instant the server sends the message at;
/// - `X-Tiyn-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
///
/// Only a 2xx answer is a delivery. A retried message may reach the provider twice if an answer
/// was lost on the way back; providers de-duplicate on the signed body if they must.
///
/// `Debug` shows the endpoint without its query and never the secret.
pub struct WebhookSink {
    client: SignedClient,
    options: WebhookOptions,
}

impl fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSink")
            .field("endpoint", &self.client.endpoint())
            .field("secret", &"<redacted>")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl WebhookSink {
    /// A sink posting to `url` (`http://` or `https://`). Nothing is sent until the first message.
    ///
    /// Fails with [`NotifyError::WebhookConfig`] on a URL that is not an absolute http(s) URL, an
    /// empty secret, zero attempts, or a CA bundle without a certificate.
    pub fn new(url: &str, secret: Vec<u8>, options: WebhookOptions) -> Result<WebhookSink, NotifyError> {
        if options.attempts == 0 {
            return Err(NotifyError::WebhookConfig("the webhook needs at least one attempt"));
        }
        let client_options = SignedClientOptions {
            connect_timeout: options.connect_timeout,
            request_timeout: options.request_timeout,
            ca_pem: options.ca_pem.clone(),
        };
        let client =
            SignedClient::new(url, secret, client_options).map_err(|error| NotifyError::WebhookConfig(error.0))?;
        Ok(WebhookSink { client, options })
    }

    /// `scheme://host[:port]/path` of the provider, without any query.
    pub fn endpoint(&self) -> &str {
        self.client.endpoint()
    }
}

#[async_trait::async_trait]
impl Notifier for WebhookSink {
    async fn send(&self, message: &Message, at: jiff::Timestamp) -> Result<(), NotifyError> {
        let body = Bytes::from(serde_json::to_vec(&Line::new(message, at)).map_err(NotifyError::Encode)?);
        let timestamp = at.as_second().to_string();
        let endpoint = self.client.endpoint();
        let attempts = self.options.attempts;
        let mut attempt = 1;
        loop {
            // The same body and timestamp: every attempt carries the same signature.
            let outcome = self.client.post("application/json", &[], body.clone(), &timestamp).await;
            let error = match outcome {
                Ok(answer) if answer.is_success() => {
                    tracing::info!(channel = message.channel.as_str(), to = %message.masked_to(), endpoint = %endpoint, attempt, "notification posted to webhook");
                    return Ok(());
                }
                // The answer's body is not part of the error: a provider may echo the message.
                Ok(answer) => NotifyError::WebhookStatus {
                    endpoint: endpoint.to_owned(),
                    status: answer.status,
                    attempts: attempt,
                },
                Err(PostError::Timeout(_)) => {
                    NotifyError::WebhookTimeout { endpoint: endpoint.to_owned(), attempts: attempt }
                }
                Err(PostError::Connect(source)) => {
                    NotifyError::WebhookConnect { endpoint: endpoint.to_owned(), attempts: attempt, source }
                }
            };
            let retryable = match &error {
                NotifyError::WebhookStatus { status, .. } => *status >= 500,
                _ => true,
            };
            if !retryable || attempt >= attempts {
                tracing::warn!(channel = message.channel.as_str(), to = %message.masked_to(), code = error.code(), error = %error, "notification not delivered to webhook");
                return Err(error);
            }
            tracing::debug!(
                channel = message.channel.as_str(),
                code = error.code(),
                attempt,
                "webhook attempt failed, retrying"
            );
            tokio::time::sleep(self.options.backoff * attempt).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_configuration_is_refused() {
        let cases: [(&str, &[u8], WebhookOptions); 5] = [
            ("ftp://example.kz/hook", b"secret", WebhookOptions::default()),
            ("/hook", b"secret", WebhookOptions::default()),
            ("https://example.kz/hook", b"", WebhookOptions::default()),
            ("https://example.kz/hook", b"secret", WebhookOptions { attempts: 0, ..WebhookOptions::default() }),
            (
                "https://example.kz/hook",
                b"secret",
                WebhookOptions { ca_pem: Some(b"not pem".to_vec()), ..WebhookOptions::default() },
            ),
        ];
        for (url, secret, options) in cases {
            let error = WebhookSink::new(url, secret.to_vec(), options).unwrap_err();
            assert_eq!(error.code(), "notify_webhook_config", "{url}");
        }
    }

    #[test]
    fn debug_hides_the_secret_and_the_query() {
        let sink = WebhookSink::new(
            "https://sms.example.kz/v1/send?token=abc123",
            b"very-secret-key".to_vec(),
            WebhookOptions::default(),
        )
        .unwrap();
        let debug = format!("{sink:?} {sink:#?}");
        assert!(!debug.contains("very-secret-key"), "{debug}");
        assert!(!debug.contains("118, 101, 114, 121"), "{debug}"); // the secret's bytes
        assert!(!debug.contains("abc123"), "{debug}");
        assert!(debug.contains("https://sms.example.kz/v1/send"), "{debug}");
        assert_eq!(sink.endpoint(), "https://sms.example.kz/v1/send");
    }
}
