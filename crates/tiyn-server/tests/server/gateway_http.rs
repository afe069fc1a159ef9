//! The HTTP transport to a real interbank gateway (issue 4): the outbox hands a confirmed interbank
//! payment to a gateway listening on a local port as a signed pacs.008 POST; only a 2xx answer
//! delivers it; a gateway that is down, answers 503 or stays silent leaves the message in the
//! outbox until a later pass after it recovers. Runs on SQLite, and on PostgreSQL with
//! `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::post;
use common::*;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tiyn_banking::gateway::Gateway;
use tiyn_core::AccountId;
use tiyn_identity::Clock;
use tiyn_notify::http::SignedClientOptions;
use tiyn_payments::MessageId;
use tiyn_payments::iso20022::{InterbankStatus, OutgoingTransfer, TransferStatus, pacs002};
use tiyn_server::gateway_http::HttpGateway;

/// The gateway's shared secret. No error text, log line or stored error may contain it.
const SECRET: &[u8] = b"gateway-shared-secret-5d1c";
const SECRET_TEXT: &str = "gateway-shared-secret-5d1c";
const PAYEE_IBAN: &str = "KZ806014482455345985";
const PAYEE_BIN: &str = "180140010005";

fn gateway_key() -> String {
    tiyn_server::payments::gateway_key(&tiyn_auth::MasterKey::from_bytes([9; 32]))
}

// ----- A gateway on a local port that records what it receives -----

/// How the local gateway answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    /// 202 Accepted.
    Accept,
    /// 503 with a short text, as during maintenance.
    Unavailable,
    /// Takes the request and never answers.
    Silent,
}

/// One POST as the gateway saw it.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap_or_else(|| panic!("header {name}")).to_str().expect("an ASCII header")
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 XML")
    }
}

#[derive(Clone)]
struct LocalGateway {
    received: Arc<Mutex<Vec<Received>>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl LocalGateway {
    fn new(behaviour: Behaviour) -> LocalGateway {
        LocalGateway { received: Arc::default(), behaviour: Arc::new(Mutex::new(behaviour)) }
    }

    fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().expect("lock") = behaviour;
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    /// Serves on `listener` (a free port of 127.0.0.1) in the background.
    fn serve(&self, listener: tokio::net::TcpListener) {
        let router = Router::new().route("/iso20022/pacs008", post(receive)).with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.expect("the local gateway serves") });
    }
}

async fn receive(State(gateway): State<LocalGateway>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    gateway.received.lock().expect("lock").push(Received { headers, body });
    let behaviour = *gateway.behaviour.lock().expect("lock");
    match behaviour {
        Behaviour::Accept => (StatusCode::ACCEPTED, "queued".to_owned()),
        Behaviour::Unavailable => {
            (StatusCode::SERVICE_UNAVAILABLE, "maintenance window until 06:00\nretry later".to_owned())
        }
        Behaviour::Silent => std::future::pending().await,
    }
}

async fn start(gateway: &LocalGateway) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("a bound address");
    gateway.serve(listener);
    address
}

/// The HMAC the gateway recomputes to authenticate a post: SHA-256, keyed with the shared secret,
/// over `"<timestamp>.<body>"`, as `sha256=<hex>`. Written here from the `hmac` crate, not taken
/// from the code under test.
fn expected_signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes()))
}

// ----- The transport under test, observed -----

/// The HTTP transport, with every error it answers kept: `dispatch_outbox` logs exactly that text
/// and stores it as the outbox message's last error.
struct Observed {
    transport: HttpGateway,
    errors: Mutex<Vec<String>>,
}

impl Observed {
    fn new(address: SocketAddr, request_timeout: Duration, clock: Arc<tiyn_identity::ManualClock>) -> Observed {
        let options = SignedClientOptions { connect_timeout: Duration::from_secs(2), request_timeout, ca_pem: None };
        let url = format!("http://{address}/iso20022/pacs008");
        let transport = HttpGateway::new(&url, SECRET.to_vec(), options, clock).expect("a valid transport");
        Observed { transport, errors: Mutex::default() }
    }

    fn errors(&self) -> Vec<String> {
        self.errors.lock().expect("lock").clone()
    }
}

#[async_trait::async_trait]
impl Gateway for Observed {
    async fn hand_off(&self, transfer: &OutgoingTransfer, pacs008: &str) -> Result<(), String> {
        let outcome = self.transport.hand_off(transfer, pacs008).await;
        if let Err(error) = &outcome {
            self.errors.lock().expect("lock").push(error.clone());
        }
        outcome
    }
}

/// An error a bank operator reads: short, and without the secret or any signature.
fn assert_discreet(error: &str) {
    assert!(!error.contains(SECRET_TEXT), "the secret leaked: {error}");
    assert!(!error.contains("sha256="), "a signature leaked: {error}");
    assert!(error.chars().count() <= 400, "a short error: {error}");
}

/// Time for a gateway that was not taken to be due again (the outbox's first pause is 1 s).
fn after_the_pause(test: &TestApp) {
    test.clock.advance(jiff::SignedDuration::from_secs(5));
}

/// A generous timeout for a gateway that answers: the tests share 2 cores with the database.
const ANSWERING: Duration = Duration::from_secs(10);

// ----- The payment (as in tests/gateway.rs) -----

type Fixture = PaymentFixture;

async fn fixture() -> Fixture {
    payment_fixture().await
}

fn interbank(from: AccountId, amount: &str) -> Value {
    interbank_order(from, amount, "ТОО «Ромашка»")
}

/// Creates and confirms one interbank payment; answers its id and message id.
async fn pay(f: &Fixture, amount: &str) -> (String, String) {
    let (id, result) = f.pay(interbank(f.main.id, amount)).await;
    assert_eq!(result["status"], "sent", "{result}");
    let message_id = f.document(&id).await["message_id"].as_str().expect("a message id").to_owned();
    (id, message_id)
}

async fn settle(f: &Fixture, message_id: &str) -> Value {
    let message_id = MessageId::parse(message_id).expect("message id");
    let report_id = MessageId::parse("GW-REPORT-1").expect("id");
    let status = TransferStatus::new(message_id, InterbankStatus::Settled);
    let xml = pacs002(&[status], &report_id, payment_day());
    let request = Request::post("/api/gateway/v1/status")
        .header("content-type", "application/xml")
        .header("authorization", format!("Bearer {}", gateway_key()))
        .body(Body::from(xml))
        .expect("request");
    let response = send(&f.test.app, request).await;
    assert_eq!(response.status(), 200);
    body_json(response).await
}

/// Checks one post against the contract: the content type, the message id header, the
/// timestamp of the server's clock and a signature the gateway can verify with the secret.
fn assert_signed_pacs008(post: &Received, message_id: &str, at: jiff::Timestamp) {
    assert_eq!(post.header("content-type"), "application/xml; charset=utf-8");
    assert_eq!(post.header("x-tiyn-message-id"), message_id);
    let timestamp = post.header("x-tiyn-timestamp");
    assert_eq!(timestamp, at.as_second().to_string());
    let signature = post.header("x-tiyn-signature");
    assert_eq!(signature, expected_signature(SECRET, timestamp, &post.body), "the gateway verifies the HMAC");
    assert_ne!(signature, expected_signature(b"another secret", timestamp, &post.body));
    let mut tampered = post.body.to_vec();
    tampered.extend_from_slice(b" ");
    assert_ne!(signature, expected_signature(SECRET, timestamp, &tampered), "the body is covered");
    assert!(!format!("{:?}", post.headers).contains(SECRET_TEXT), "the secret is never sent");
}

/// R-3.1.1.1, R-6.4.3: a confirmed interbank payment reaches a real gateway as its pacs.008 —
/// `application/xml; charset=utf-8`, the message id in `X-Tiyn-Message-Id`, signed with the shared
/// secret — and a 2xx answer delivers it: the next dispatch hands over nothing. The post itself
/// settles nothing; the gateway's pacs.002 on `/api/gateway/v1/status` does.
#[tokio::test]
async fn a_confirmed_interbank_payment_is_posted_signed_and_delivered_once() {
    let f = fixture().await;
    let gateway = LocalGateway::new(Behaviour::Accept);
    let address = start(&gateway).await;
    let transport = Observed::new(address, ANSWERING, f.test.clock.clone());
    let (id, message_id) = pay(&f, "1500.05").await;

    assert_eq!(f.test.app_banking().dispatch_outbox(&transport).await.expect("dispatch"), 1);
    assert_eq!(f.test.app_banking().dispatch_outbox(&transport).await.expect("dispatch"), 0, "delivered once");

    let received = gateway.received();
    assert_eq!(received.len(), 1, "one post, no retry after a 2xx");
    let post = &received[0];
    assert_signed_pacs008(post, &message_id, payment_day());
    let xml = post.text();
    for expected in [
        "pacs.008.001.08",
        &format!("<MsgId>{message_id}</MsgId>"),
        "<IntrBkSttlmAmt Ccy=\"KZT\">1500.05</IntrBkSttlmAmt>",
        PAYEE_IBAN,
        PAYEE_BIN,
    ] {
        assert!(xml.contains(expected), "the pacs.008 carries {expected}: {xml}");
    }
    assert!(transport.errors().is_empty(), "{:?}", transport.errors());

    assert_eq!(f.document(&id).await["status"], "sent", "handed over is not settled");
    let applied = settle(&f, &message_id).await;
    assert_eq!(applied["applied"][0]["status"], "settled", "{applied}");
    assert_eq!(f.document(&id).await["status"], "settled");
    assert!(f.test.store.check_ledger().await.expect("check").is_sound());
}

/// R-3.1.1.1, R-6.4.3: a gateway answering 503 has not taken the message: it stays in the outbox
/// (dispatch answers 0) with an error naming the status and the start of the answer, not the
/// secret; one post per pass (the outbox retries, the transport does not); once the gateway
/// recovers, the next due pass delivers the same message, signed afresh.
#[tokio::test]
async fn a_gateway_answering_503_keeps_the_message_until_it_recovers() {
    let f = fixture().await;
    let gateway = LocalGateway::new(Behaviour::Unavailable);
    let address = start(&gateway).await;
    let transport = Observed::new(address, ANSWERING, f.test.clock.clone());
    let (id, message_id) = pay(&f, "200.00").await;

    assert_eq!(f.test.app_banking().dispatch_outbox(&transport).await.expect("dispatch"), 0);
    assert_eq!(gateway.received().len(), 1, "one attempt per pass");
    let errors = transport.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("503"), "the status: {}", errors[0]);
    assert!(errors[0].contains("maintenance window until 06:00"), "the answer's start: {}", errors[0]);
    assert!(errors[0].contains(&format!("http://{address}/iso20022/pacs008")), "the endpoint: {}", errors[0]);
    assert_discreet(&errors[0]);
    // Not due again before its pause: the same pass time hands nothing over.
    assert_eq!(f.test.app_banking().dispatch_outbox(&transport).await.expect("dispatch"), 0);
    assert_eq!(gateway.received().len(), 1, "waits for its pause");

    gateway.set(Behaviour::Accept);
    after_the_pause(&f.test);
    let resent_at = f.test.clock.now();
    assert_eq!(f.test.app_banking().dispatch_outbox(&transport).await.expect("dispatch"), 1);
    assert_eq!(f.test.app_banking().dispatch_outbox(&transport).await.expect("dispatch"), 0, "delivered once");
    let received = gateway.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, received[1].body, "the same pacs.008");
    assert_signed_pacs008(&received[1], &message_id, resent_at);
    assert_eq!(transport.errors().len(), 1, "no error once delivered");
    assert_eq!(f.document(&id).await["status"], "sent");
}

/// R-3.1.1.1, R-6.4.3: with nobody listening on the gateway's port, the hand-off fails with a
/// connection error (no secret in it) and the message stays; once the gateway listens there, the
/// next due pass delivers it.
#[tokio::test]
async fn a_closed_port_keeps_the_message_until_the_gateway_listens() {
    let f = fixture().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = closed.local_addr().expect("a bound address");
    drop(closed);
    let transport = Observed::new(address, ANSWERING, f.test.clock.clone());
    let (_, message_id) = pay(&f, "310.00").await;

    assert_eq!(f.test.app_banking().dispatch_outbox(&transport).await.expect("dispatch"), 0);
    let errors = transport.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("did not take the message"), "{}", errors[0]);
    assert!(errors[0].to_lowercase().contains("connect"), "a connection error: {}", errors[0]);
    assert_discreet(&errors[0]);

    let gateway = LocalGateway::new(Behaviour::Accept);
    let listener = tokio::net::TcpListener::bind(address).await.expect("the same port, now listening");
    gateway.serve(listener);
    after_the_pause(&f.test);
    assert_eq!(f.test.app_banking().dispatch_outbox(&transport).await.expect("dispatch"), 1);
    assert_eq!(f.test.app_banking().dispatch_outbox(&transport).await.expect("dispatch"), 0);
    let received = gateway.received();
    assert_eq!(received.len(), 1);
    assert_signed_pacs008(&received[0], &message_id, f.test.clock.now());
}

/// R-3.1.1.1, R-6.4.3: a gateway that takes the request and never answers is not a hand-off: the
/// transport gives up at its request timeout, once, and the message stays for a later pass.
#[tokio::test]
async fn a_silent_gateway_times_out_and_the_message_stays() {
    let f = fixture().await;
    let gateway = LocalGateway::new(Behaviour::Silent);
    let address = start(&gateway).await;
    let impatient = Observed::new(address, Duration::from_millis(300), f.test.clock.clone());
    pay(&f, "42.00").await;

    let started = std::time::Instant::now();
    assert_eq!(f.test.app_banking().dispatch_outbox(&impatient).await.expect("dispatch"), 0);
    assert!(started.elapsed() < Duration::from_secs(5), "bounded by the timeout: {:?}", started.elapsed());
    assert_eq!(gateway.received().len(), 1, "one attempt, no retry inside the transport");
    let errors = impatient.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("no answer within"), "{}", errors[0]);
    assert_discreet(&errors[0]);

    gateway.set(Behaviour::Accept);
    after_the_pause(&f.test);
    let transport = Observed::new(address, ANSWERING, f.test.clock.clone());
    assert_eq!(f.test.app_banking().dispatch_outbox(&transport).await.expect("dispatch"), 1);
    assert_eq!(gateway.received().len(), 2);
}
