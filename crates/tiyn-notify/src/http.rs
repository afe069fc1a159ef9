//! The one outgoing HTTP client of Tiyn: a body POSTed to a configured `http://` or `https://` URL,
//! signed with a shared secret. The webhook sink posts SMS with it; the server's interbank
//! gateway transport posts pacs.008 messages with it. One attempt per call: retrying is the
//! caller's decision (the webhook sink retries at once, the gateway outbox later with backoff).
//!
//! The signature, which the receiver recomputes with the same secret:
//!
//! - `X-Tiyn-Timestamp: <unix seconds>`, the instant the caller signs at;
//! - `X-Tiyn-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
//!
//! The secret is never sent, logged or shown in `Debug`; the endpoint shown in logs and errors
//! carries neither the URL's query (which may hold a token) nor its credentials.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, Uri, header};
use hyper_rustls::{ConfigBuilderExt, HttpsConnector};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sha2::Sha256;

/// The header carrying the Unix time (seconds) the signature covers.
pub const TIMESTAMP_HEADER: &str = "x-tiyn-timestamp";
/// The header carrying `sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">`.
pub const SIGNATURE_HEADER: &str = "x-tiyn-signature";
/// How many characters of a non-2xx answer's body [`Answer::body_prefix`] keeps: enough for the
/// receiver's error message, short enough for one log line and the outbox's error column.
pub const ANSWER_PREFIX_CHARS_MAX: usize = 200;
/// How many bytes of a non-2xx answer's body are read: [`ANSWER_PREFIX_CHARS_MAX`] characters of
/// up to 4 bytes each (UTF-8); the rest is never read.
const ANSWER_PREFIX_BYTES_MAX: usize = 4 * ANSWER_PREFIX_CHARS_MAX;

/// How the client connects. The timeouts are explicit: a stuck receiver must not hold a caller.
#[derive(Clone)]
pub struct SignedClientOptions {
    /// The longest a TCP (and TLS) connection may take to open.
    pub connect_timeout: Duration,
    /// The longest one post may take, from connecting to the response status (and, for a non-2xx
    /// answer, the prefix of its body).
    pub request_timeout: Duration,
    /// A PEM bundle of CA certificates for `https://` URLs. When set, the client trusts these CAs
    /// *instead of* the compiled-in Mozilla roots (a private receiver's CA, or a test's
    /// self-signed certificate); when `None`, it trusts the Mozilla roots.
    pub ca_pem: Option<Vec<u8>>,
}

impl fmt::Debug for SignedClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedClientOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<pem>"))
            .finish()
    }
}

/// A [`SignedClient`] that cannot be built: the text says which part of the configuration is wrong
/// (never the secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub &'static str);

/// What the receiver answered to one post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// For a non-2xx answer, the first [`ANSWER_PREFIX_CHARS_MAX`] characters of its body (invalid
    /// UTF-8 replaced, control characters as spaces), for the caller's error message; empty for a
    /// 2xx answer, whose body is not read (the status is the whole answer).
    pub body_prefix: String,
}

impl Answer {
    /// A 2xx answer: the receiver took the body.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why one post got no answer.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// No status within [`SignedClientOptions::request_timeout`].
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// A connection, TLS or protocol error; the source says which.
    #[error("cannot connect")]
    Connect(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl PostError {
    /// The error and its causes in one short line (`cannot connect: client error (Connect): tcp
    /// connect error: Connection refused (os error 111)`), for a caller's own error text.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(inner) = source {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            source = inner.source();
        }
        text
    }
}

/// Posts bodies to one URL, signed with one shared secret. Built once at start and shared; its
/// connections are pooled.
///
/// `Debug` shows the endpoint without its query or credentials, and never the secret.
pub struct SignedClient {
    uri: Uri,
    /// `scheme://host[:port]/path`, for logs and errors.
    endpoint: String,
    secret: Vec<u8>,
    options: SignedClientOptions,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl fmt::Debug for SignedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedClient")
            .field("endpoint", &self.endpoint)
            .field("secret", &"<redacted>")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl SignedClient {
    /// A client posting to `url` (`http://` or `https://`). Nothing is sent until the first post.
    ///
    /// Fails on a URL that is not an absolute http(s) URL, an empty secret, or a CA bundle without
    /// a certificate.
    pub fn new(url: &str, secret: Vec<u8>, options: SignedClientOptions) -> Result<SignedClient, ConfigError> {
        let uri: Uri = url.parse().map_err(|_| ConfigError("the URL is not a valid URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(ConfigError("the URL must start with http:// or https://")),
        };
        let Some(authority) = uri.authority() else {
            return Err(ConfigError("the URL has no host"));
        };
        if secret.is_empty() {
            return Err(ConfigError("the shared secret is empty"));
        }
        // `user:password@` is dropped from what is shown: credentials never reach a log line.
        let host = authority.as_str().rsplit_once('@').map_or(authority.as_str(), |(_, host)| host);
        let endpoint = format!("{}://{}{}", if https { "https" } else { "http" }, host, uri.path());
        debug_assert!(!endpoint.contains('?'), "a URI's path never holds its query");

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
        Ok(SignedClient { uri, endpoint, secret, options, client })
    }

    /// `scheme://host[:port]/path` of the receiver, without any query or credentials.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The options the client was built with.
    pub fn options(&self) -> &SignedClientOptions {
        &self.options
    }

    /// One signed POST of `body` with `content_type` and the caller's `headers` (names in lower
    /// case), signed at `timestamp` (Unix seconds, the caller's clock). `Ok` with the status for
    /// any answer; `Err` for a connection error or no answer within the request timeout. The same
    /// body and timestamp always carry the same signature, so a retried post is identical.
    pub async fn post(
        &self,
        content_type: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
        timestamp: &str,
    ) -> Result<Answer, PostError> {
        let body: Bytes = body.into();
        let signature = signature(&self.secret, timestamp, &body);
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(header::CONTENT_TYPE, content_type)
            .header(TIMESTAMP_HEADER, timestamp)
            .header(SIGNATURE_HEADER, signature);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|_| PostError::Connect("cannot build the request (an invalid header)".into()))?;
        let timeout = self.options.request_timeout;
        let answer = async {
            let response = self.client.request(request).await.map_err(|error| PostError::Connect(Box::new(error)))?;
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                // The body of a 2xx answer is not read: the status is the whole answer, and
                // dropping it closes the connection rather than trusting the receiver to end it.
                return Ok(Answer { status, body_prefix: String::new() });
            }
            let body_prefix = body_prefix(response.into_body()).await;
            Ok(Answer { status, body_prefix })
        };
        match tokio::time::timeout(timeout, answer).await {
            Ok(answer) => answer,
            Err(_elapsed) => Err(PostError::Timeout(timeout)),
        }
    }
}

/// The first [`ANSWER_PREFIX_CHARS_MAX`] characters of a body, read no further than
/// [`ANSWER_PREFIX_BYTES_MAX`] bytes; a body that breaks off keeps what arrived.
async fn body_prefix(mut body: hyper::body::Incoming) -> String {
    let mut bytes = Vec::with_capacity(ANSWER_PREFIX_BYTES_MAX);
    while bytes.len() < ANSWER_PREFIX_BYTES_MAX {
        let Some(Ok(frame)) = body.frame().await else { break };
        if let Ok(data) = frame.into_data() {
            let room = ANSWER_PREFIX_BYTES_MAX - bytes.len();
            bytes.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    debug_assert!(bytes.len() <= ANSWER_PREFIX_BYTES_MAX);
    let prefix: String = String::from_utf8_lossy(&bytes)
        .chars()
        .take(ANSWER_PREFIX_CHARS_MAX)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    prefix.trim().to_owned()
}

fn tls_config(ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, ConfigError> {
    // ring explicitly, the workspace's one provider, whatever the process default is.
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|_| ConfigError("cannot set up TLS"))?;
    let Some(pem) = ca_pem else {
        return Ok(builder.with_webpki_roots().with_no_client_auth());
    };
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(pem) {
        let certificate = certificate.map_err(|_| ConfigError("the CA bundle is not valid PEM"))?;
        roots.add(certificate).map_err(|_| ConfigError("the CA bundle holds an invalid certificate"))?;
    }
    if roots.is_empty() {
        return Err(ConfigError("the CA bundle holds no certificate"));
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// Why [`get`] brought no body back.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    #[error("{0}")]
    Config(ConfigError),
    /// No complete answer within [`SignedClientOptions::request_timeout`].
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot connect")]
    Connect(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Any answer but 200 (redirects are not followed: give the final URL).
    #[error("the server answered HTTP {0}")]
    Status(u16),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
}

/// One unsigned GET of a public document (the National Bank's rates file, for `tiyn admin rates
/// import-nbk URL`) with the same connector, TLS roots and timeouts as the signed posts: the
/// body of a 200 answer, read no further than `bytes_max` bytes.
pub async fn get(url: &str, options: &SignedClientOptions, bytes_max: usize) -> Result<Vec<u8>, GetError> {
    let uri: Uri = url.parse().map_err(|_| GetError::Config(ConfigError("the URL is not a valid URL")))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
        return Err(GetError::Config(ConfigError("the URL must start with http:// or https:// and name a host")));
    }
    let tls = tls_config(options.ca_pem.as_deref()).map_err(GetError::Config)?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(options.connect_timeout));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let request = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .body(Full::new(Bytes::new()))
        .map_err(|error| GetError::Connect(Box::new(error)))?;
    let answer = async {
        let response = client.request(request).await.map_err(|error| GetError::Connect(Box::new(error)))?;
        if response.status().as_u16() != 200 {
            return Err(GetError::Status(response.status().as_u16()));
        }
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| GetError::Connect(Box::new(error)))?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > bytes_max {
                    return Err(GetError::TooLarge(bytes_max));
                }
                bytes.extend_from_slice(&data);
            }
        }
        debug_assert!(bytes.len() <= bytes_max);
        Ok(bytes)
    };
    match tokio::time::timeout(options.request_timeout, answer).await {
        Ok(answer) => answer,
        Err(_elapsed) => Err(GetError::Timeout(options.request_timeout)),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> SignedClientOptions {
        SignedClientOptions {
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            ca_pem: None,
        }
    }

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
        let cases: [(&str, &[u8], SignedClientOptions); 5] = [
            ("ftp://example.kz/hook", b"secret", options()),
            ("/hook", b"secret", options()),
            ("not a url", b"secret", options()),
            ("https://example.kz/hook", b"", options()),
            (
                "https://example.kz/hook",
                b"secret",
                SignedClientOptions { ca_pem: Some(b"not pem".to_vec()), ..options() },
            ),
        ];
        for (url, secret, options) in cases {
            assert!(SignedClient::new(url, secret.to_vec(), options).is_err(), "{url}");
        }
    }

    #[test]
    fn the_endpoint_and_debug_hide_the_secret_the_query_and_credentials() {
        let client = SignedClient::new(
            "https://gw:pass-in-url@gateway.example.kz:8443/v1/pacs008?token=abc123",
            b"very-secret-key".to_vec(),
            options(),
        )
        .unwrap();
        assert_eq!(client.endpoint(), "https://gateway.example.kz:8443/v1/pacs008");
        let debug = format!("{client:?} {client:#?}");
        for hidden in ["very-secret-key", "118, 101, 114, 121", "abc123", "pass-in-url"] {
            assert!(!debug.contains(hidden), "{hidden} in {debug}");
        }
        let ipv6 = SignedClient::new("http://[::1]:9000/in", b"k".to_vec(), options()).unwrap();
        assert_eq!(ipv6.endpoint(), "http://[::1]:9000/in");
    }
}
