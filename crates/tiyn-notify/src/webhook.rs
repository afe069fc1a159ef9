//! The provider sink: each message is posted as signed JSON to a provider's webhook.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, Uri, header};
use hyper_rustls::{ConfigBuilderExt, HttpsConnector};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sha2::Sha256;

use crate::file::Line;
use crate::{Message, Notifier, NotifyError};

/// The header carrying the Unix time (seconds) the signature covers.
pub const TIMESTAMP_HEADER: &str = "x-tiyn-timestamp";
/// The header carrying `sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">`.
pub const SIGNATURE_HEADER: &str = "x-tiyn-signature";

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
    uri: Uri,
    /// `scheme://host[:port]/path`, for logs and errors: a query may carry a provider token.
    endpoint: String,
    secret: Vec<u8>,
    options: WebhookOptions,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSink")
            .field("endpoint", &self.endpoint)
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
        let uri: Uri = url.parse().map_err(|_| NotifyError::WebhookConfig("the URL is not a valid URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(NotifyError::WebhookConfig("the URL must start with http:// or https://")),
        };
        let Some(authority) = uri.authority() else {
            return Err(NotifyError::WebhookConfig("the URL has no host"));
        };
        if secret.is_empty() {
            return Err(NotifyError::WebhookConfig("the webhook secret is empty"));
        }
        if options.attempts == 0 {
            return Err(NotifyError::WebhookConfig("the webhook needs at least one attempt"));
        }
        let endpoint = format!("{}://{}{}", if https { "https" } else { "http" }, authority, uri.path());

        let tls = tls_config(options.ca_pem.as_deref())?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(options.connect_timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(WebhookSink { uri, endpoint, secret, options, client })
    }

    /// `scheme://host[:port]/path` of the provider, without any query.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// One attempt: `Ok(status)` for any answer, `Err` for a connection error or a timeout.
    async fn attempt(&self, body: &Bytes, timestamp: &str, signature: &str) -> Result<u16, Failure> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp)
            .header(SIGNATURE_HEADER, signature)
            .body(Full::new(body.clone()))
            .map_err(|_| Failure::Connect("cannot build the request".into()))?;
        match tokio::time::timeout(self.options.request_timeout, self.client.request(request)).await {
            Err(_elapsed) => Err(Failure::Timeout),
            Ok(Err(error)) => Err(Failure::Connect(Box::new(error))),
            // The answer's body is not read: only the status matters, and dropping it closes the
            // connection rather than trusting the provider to end it.
            Ok(Ok(response)) => Ok(response.status().as_u16()),
        }
    }
}

/// Why one attempt got no answer.
enum Failure {
    Timeout,
    Connect(Box<dyn std::error::Error + Send + Sync>),
}

fn tls_config(ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, NotifyError> {
    // ring explicitly, the workspace's one provider, whatever the process default is.
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|_| NotifyError::WebhookConfig("cannot set up TLS"))?;
    let Some(pem) = ca_pem else {
        return Ok(builder.with_webpki_roots().with_no_client_auth());
    };
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(pem) {
        let certificate = certificate.map_err(|_| NotifyError::WebhookConfig("the CA bundle is not valid PEM"))?;
        roots.add(certificate).map_err(|_| NotifyError::WebhookConfig("the CA bundle holds an invalid certificate"))?;
    }
    if roots.is_empty() {
        return Err(NotifyError::WebhookConfig("the CA bundle holds no certificate"));
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, the value of [`SIGNATURE_HEADER`].
pub fn signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        unreachable!("HMAC takes a key of any length");
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(7 + 2 * digest.len());
    hex.push_str("sha256=");
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[async_trait::async_trait]
impl Notifier for WebhookSink {
    async fn send(&self, message: &Message, at: jiff::Timestamp) -> Result<(), NotifyError> {
        let body = Bytes::from(serde_json::to_vec(&Line::new(message, at)).map_err(NotifyError::Encode)?);
        let timestamp = at.as_second().to_string();
        let signature = signature(&self.secret, &timestamp, &body);
        let attempts = self.options.attempts;
        let mut attempt = 1;
        loop {
            let outcome = self.attempt(&body, &timestamp, &signature).await;
            let error = match outcome {
                Ok(status) if (200..300).contains(&status) => {
                    tracing::info!(channel = message.channel.as_str(), to = %message.masked_to(), endpoint = %self.endpoint, attempt, "notification posted to webhook");
                    return Ok(());
                }
                Ok(status) => NotifyError::WebhookStatus { endpoint: self.endpoint.clone(), status, attempts: attempt },
                Err(Failure::Timeout) => {
                    NotifyError::WebhookTimeout { endpoint: self.endpoint.clone(), attempts: attempt }
                }
                Err(Failure::Connect(source)) => {
                    NotifyError::WebhookConnect { endpoint: self.endpoint.clone(), attempts: attempt, source }
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
    fn signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Expected value from Python: hmac.new(b"Jefe", b"1740823200.what do ya want for nothing?", sha256).
        assert_eq!(
            signature(b"Jefe", "1740823200", b"what do ya want for nothing?"),
            "sha256=2f771238e080012b202e6f42628b51b53d5c55b11d13b475eac4f8b128e61b7d"
        );
    }

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
