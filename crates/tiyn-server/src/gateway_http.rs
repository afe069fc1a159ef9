//! The interbank gateway over HTTP (R-3.1.1.1, R-6.4.3): the transport a bank connects its real
//! gateway with. Each outgoing payment's pacs.008 is POSTed to the configured URL, signed with the
//! gateway's shared secret through the notifier's signed client ([`tiyn_notify::http`]), the same
//! way the SMS webhook is:
//!
//! - `Content-Type: application/xml; charset=utf-8`, the body the pacs.008 XML;
//! - `X-Tiyn-Message-Id: <message id>`, by which the gateway deduplicates (the outbox hands a
//!   message over at least once);
//! - `X-Tiyn-Timestamp: <unix seconds>` and `X-Tiyn-Signature: sha256=<hex HMAC-SHA256(secret,
//!   "<timestamp>.<body>")>`.
//!
//! Only a 2xx answer is a hand-off. Anything else — no connection, no answer in time, another
//! status — is an `Err` the outbox stores and retries later with a growing pause; this transport
//! tries once per call. The gateway's verdicts come back as pacs.002 on
//! `POST /api/gateway/v1/status`, not in the answer to this post.
//!
//! Here rather than in `tiyn-banking`, which knows no HTTP: the banking crate owns the outbox and
//! the [`Gateway`] trait, the server composes a transport for it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tiyn_banking::gateway::Gateway;
use tiyn_identity::Clock;
use tiyn_notify::http::{ConfigError, SignedClient, SignedClientOptions};
use tiyn_payments::iso20022::{ForeignTransfer, OutgoingTransfer};

/// The header carrying the pacs.008's message id (`GrpHdr/MsgId`), the gateway's deduplication key.
pub const MESSAGE_ID_HEADER: &str = "x-tiyn-message-id";
/// The content type of the posted pacs.008.
pub const CONTENT_TYPE: &str = "application/xml; charset=utf-8";
/// The longest a TCP (and TLS) connection to the gateway may take to open, as for the SMS webhook.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest one hand-off may take until the gateway's status. Longer than the SMS webhook's
/// 5 s: a gateway may persist the message before it answers. The dispatcher hands messages over
/// one after another, so this also bounds how long one silent gateway delays the next message.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Hands outgoing payments to a real interbank gateway over HTTP(S).
///
/// `Debug` shows the endpoint without its query or credentials, and never the secret.
pub struct HttpGateway {
    client: SignedClient,
    /// Whose instant the signature's timestamp is: the server's clock, a manual one in tests.
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for HttpGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpGateway").field("client", &self.client).finish_non_exhaustive()
    }
}

impl HttpGateway {
    /// The options production uses: [`CONNECT_TIMEOUT`], [`REQUEST_TIMEOUT`], the Mozilla roots.
    pub fn standard_options() -> SignedClientOptions {
        SignedClientOptions { connect_timeout: CONNECT_TIMEOUT, request_timeout: REQUEST_TIMEOUT, ca_pem: None }
    }

    /// A transport posting to `url` (`http://` or `https://`), signing with `secret`. Nothing is
    /// sent until the first hand-off. Fails on an unusable URL, an empty secret or a CA bundle
    /// without a certificate.
    pub fn new(
        url: &str,
        secret: Vec<u8>,
        options: SignedClientOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<HttpGateway, ConfigError> {
        let client = SignedClient::new(url, secret, options)?;
        Ok(HttpGateway { client, clock })
    }

    /// `scheme://host[:port]/path` of the gateway, without any query or credentials: for logs.
    pub fn endpoint(&self) -> &str {
        self.client.endpoint()
    }
}

#[async_trait]
impl Gateway for HttpGateway {
    async fn hand_off(&self, transfer: &OutgoingTransfer, pacs008: &str) -> Result<(), String> {
        self.post(transfer.message_id.as_str(), pacs008).await
    }

    /// A foreign transfer goes the same way: the gateway routes it to the correspondent bank by
    /// its `SttlmMtd` (`INDA`) and currency.
    async fn hand_off_foreign(&self, transfer: &ForeignTransfer, pacs008: &str) -> Result<(), String> {
        self.post(transfer.message_id.as_str(), pacs008).await
    }
}

impl HttpGateway {
    /// Posts one signed message; `Ok` once the gateway answered 2xx.
    async fn post(&self, message_id: &str, pacs008: &str) -> Result<(), String> {
        // A debug assertion only: a panic here would end the dispatcher's task in production.
        debug_assert!(pacs008.contains(message_id), "the pacs.008 carries the message id it is sent under");
        let timestamp = self.clock.now().as_second().to_string();
        let headers = [(MESSAGE_ID_HEADER, message_id)];
        let answer = self.client.post(CONTENT_TYPE, &headers, pacs008.to_owned(), &timestamp).await;
        let endpoint = self.client.endpoint();
        // The texts below are logged and stored with the outbox message: they name the endpoint,
        // the status and the start of the gateway's answer, never the secret or the signature.
        match answer {
            Ok(answer) if answer.is_success() => {
                tracing::debug!(message_id, endpoint, status = answer.status, "payment message handed to the gateway");
                Ok(())
            }
            Ok(answer) if answer.body_prefix.is_empty() => {
                Err(format!("the gateway {endpoint} answered {}", answer.status))
            }
            Ok(answer) => Err(format!("the gateway {endpoint} answered {}: {}", answer.status, answer.body_prefix)),
            Err(error) => Err(format!("the gateway {endpoint} did not take the message: {}", error.chain())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_endpoint_hide_the_secret_and_the_query() {
        let gateway = HttpGateway::new(
            "https://gw.bank.kz/in?token=abc123",
            b"gateway-shared-secret".to_vec(),
            HttpGateway::standard_options(),
            Arc::new(tiyn_identity::SystemClock),
        )
        .expect("a valid configuration");
        assert_eq!(gateway.endpoint(), "https://gw.bank.kz/in");
        let debug = format!("{gateway:?}");
        assert!(!debug.contains("gateway-shared-secret") && !debug.contains("abc123"), "{debug}");
        assert!(debug.contains("https://gw.bank.kz/in"), "{debug}");
        let refused = HttpGateway::new(
            "ftp://gw.bank.kz/in",
            b"k".to_vec(),
            HttpGateway::standard_options(),
            Arc::new(tiyn_identity::SystemClock),
        );
        assert!(refused.is_err());
    }
}
