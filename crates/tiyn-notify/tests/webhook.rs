//! The webhook sink against a local provider: an axum server on a free port, plain and TLS.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tiyn_notify::{Channel, Message, Notifier, WebhookOptions, WebhookSink};

const SECRET: &[u8] = b"provider-shared-secret";
const CODE: &str = "493817";
const PHONE: &str = "+77011234567";

/// One post as the provider saw it.
#[derive(Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

/// What the provider does: answers with the scripted statuses in turn (then 200), or never answers.
#[derive(Clone, Default)]
struct Provider {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    silent: bool,
}

impl Provider {
    fn answering(statuses: &[u16]) -> Provider {
        Provider { script: Arc::new(Mutex::new(statuses.iter().copied().collect())), ..Provider::default() }
    }

    fn silent() -> Provider {
        Provider { silent: true, ..Provider::default() }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("the provider lock").clone()
    }

    fn router(&self) -> Router {
        Router::new().route("/hook", post(receive)).with_state(self.clone())
    }
}

async fn receive(State(provider): State<Provider>, headers: HeaderMap, body: Bytes) -> StatusCode {
    provider.received.lock().expect("the provider lock").push(Received { headers, body });
    if provider.silent {
        std::future::pending::<()>().await;
    }
    let status = provider.script.lock().expect("the provider lock").pop_front().unwrap_or(200);
    StatusCode::from_u16(status).expect("a scripted status is valid")
}

async fn serve_http(provider: &Provider) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    let router = provider.router();
    tokio::spawn(async move { axum::serve(listener, router).await.expect("the provider serves") });
    address
}

fn quick() -> WebhookOptions {
    WebhookOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(400),
        attempts: 3,
        backoff: Duration::from_millis(20),
        ca_pem: None,
    }
}

fn at() -> jiff::Timestamp {
    "2025-03-01T10:00:00Z".parse().expect("an RFC 3339 instant")
}

fn message() -> Message {
    Message::new(Channel::Sms, PHONE, format!("Tiyn: your code is {CODE}"))
}

/// An error shown in any form carries neither the code nor the full recipient.
fn assert_discreet(error: &tiyn_notify::NotifyError) {
    let mut shown = format!("{error} {error:?}");
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        shown.push_str(&format!(" {inner} {inner:?}"));
        source = inner.source();
    }
    assert!(!shown.contains(CODE), "{shown}");
    assert!(!shown.contains(PHONE), "{shown}");
    assert!(!shown.contains("provider-shared-secret"), "{shown}");
}

fn header<'a>(received: &'a Received, name: &str) -> &'a str {
    received.headers.get(name).unwrap_or_else(|| panic!("header {name}")).to_str().expect("an ASCII header")
}

#[tokio::test]
async fn posts_the_contract_fields_signed_with_the_secret() {
    let provider = Provider::answering(&[]);
    let address = serve_http(&provider).await;
    let sink = WebhookSink::new(&format!("http://{address}/hook"), SECRET.to_vec(), quick()).unwrap();

    sink.send(&message(), at()).await.unwrap();

    let received = provider.received();
    assert_eq!(received.len(), 1);
    let post = &received[0];
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "channel": "sms",
            "to": PHONE,
            "text": format!("Tiyn: your code is {CODE}"),
            "created_at": "2025-03-01T10:00:00Z",
        })
    );
    assert_eq!(header(post, "content-type"), "application/json");
    let timestamp = header(post, "x-tiyn-timestamp");
    assert_eq!(timestamp, at().as_second().to_string());

    // The provider's check: recompute the HMAC over "<timestamp>.<body>" with the shared secret.
    let signature = header(post, "x-tiyn-signature");
    assert!(signature.starts_with("sha256="), "{signature}");
    assert_eq!(signature, tiyn_notify::signature(SECRET, timestamp, &post.body));
    assert_ne!(signature, tiyn_notify::signature(b"another-secret", timestamp, &post.body));
    assert_ne!(signature, tiyn_notify::signature(SECRET, "1740823201", &post.body));
    let mut tampered = post.body.to_vec();
    tampered.extend_from_slice(b" ");
    assert_ne!(signature, tiyn_notify::signature(SECRET, timestamp, &tampered));
}

#[tokio::test]
async fn a_server_error_is_retried_and_the_message_delivered_once() {
    let provider = Provider::answering(&[500]);
    let address = serve_http(&provider).await;
    let sink = WebhookSink::new(&format!("http://{address}/hook"), SECRET.to_vec(), quick()).unwrap();

    sink.send(&message(), at()).await.unwrap();

    let received = provider.received();
    assert_eq!(received.len(), 2, "one 500, then one delivery");
    assert_eq!(received[0].body, received[1].body, "the retry posts the same signed body");
    assert_eq!(header(&received[0], "x-tiyn-signature"), header(&received[1], "x-tiyn-signature"));
}

#[tokio::test]
async fn server_errors_on_every_attempt_fail_after_three() {
    let provider = Provider::answering(&[503, 502, 500, 200]);
    let address = serve_http(&provider).await;
    let sink = WebhookSink::new(&format!("http://{address}/hook"), SECRET.to_vec(), quick()).unwrap();

    let error = sink.send(&message(), at()).await.unwrap_err();
    assert_eq!(error.code(), "notify_webhook_status");
    assert!(error.to_string().contains("500"), "{error}");
    assert_eq!(provider.received().len(), 3);
    assert_discreet(&error);
}

#[tokio::test]
async fn a_client_error_is_final() {
    let provider = Provider::answering(&[400]);
    let address = serve_http(&provider).await;
    let sink = WebhookSink::new(&format!("http://{address}/hook"), SECRET.to_vec(), quick()).unwrap();

    let error = sink.send(&message(), at()).await.unwrap_err();
    assert_eq!(error.code(), "notify_webhook_status");
    assert!(error.to_string().contains("400"), "{error}");
    assert_eq!(provider.received().len(), 1, "a 4xx is not retried");
    assert_discreet(&error);
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let provider = Provider::silent();
    let address = serve_http(&provider).await;
    let sink = WebhookSink::new(&format!("http://{address}/hook"), SECRET.to_vec(), quick()).unwrap();

    let started = Instant::now();
    let error = sink.send(&message(), at()).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(error.code(), "notify_webhook_timeout");
    assert_eq!(provider.received().len(), 3, "a timeout is retried");
    assert!(elapsed >= Duration::from_millis(3 * 400), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_discreet(&error);
}

#[tokio::test]
async fn nobody_listening_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let sink = WebhookSink::new(&format!("http://{address}/hook"), SECRET.to_vec(), quick()).unwrap();

    let error = sink.send(&message(), at()).await.unwrap_err();
    assert_eq!(error.code(), "notify_webhook_connect");
    assert!(error.to_string().contains("3 attempt"), "{error}");
    assert_discreet(&error);
}

#[tokio::test]
async fn https_with_a_self_signed_certificate_and_the_extra_ca() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    let key_pem = certified.signing_key.serialize_pem();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem(cert_pem.clone().into_bytes(), key_pem.into_bytes())
        .await
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let provider = Provider::answering(&[]);
    let router = provider.router();
    let server = axum_server::from_tcp_rustls(listener, config).unwrap();
    tokio::spawn(async move { server.serve(router.into_make_service()).await.unwrap() });
    let url = format!("https://localhost:{port}/hook");

    // Trusting the self-signed certificate as the CA: delivered.
    let options = WebhookOptions { ca_pem: Some(cert_pem.into_bytes()), ..quick() };
    let sink = WebhookSink::new(&url, SECRET.to_vec(), options).unwrap();
    sink.send(&message(), at()).await.unwrap();
    let received = provider.received();
    assert_eq!(received.len(), 1);
    let timestamp = header(&received[0], "x-tiyn-timestamp");
    assert_eq!(header(&received[0], "x-tiyn-signature"), tiyn_notify::signature(SECRET, timestamp, &received[0].body));

    // With the Mozilla roots only, the same server is refused at the handshake: nothing is posted.
    let default = WebhookSink::new(&url, SECRET.to_vec(), quick()).unwrap();
    let error = default.send(&message(), at()).await.unwrap_err();
    assert_eq!(error.code(), "notify_webhook_connect");
    assert_eq!(provider.received().len(), 1);
    assert_discreet(&error);
}
