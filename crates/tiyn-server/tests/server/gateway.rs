//! The interbank round trip through the HTTP API (issue 4): an interbank payment is held and sent
//! to the gateway as pacs.008 from the outbox; the gateway's pacs.002 settles or rejects it; an
//! incoming credit lands on the partner's account; the demo's simulator does the same by itself.
//! Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::{Value, json};
use tiyn_banking::gateway::{Gateway, SimulatedGateway};
use tiyn_core::{AccountId, Currency};
use tiyn_payments::MessageId;
use tiyn_payments::iso20022::{InterbankStatus, OutgoingTransfer, TransferStatus, pacs002};
use tiyn_store::AccountKind;

fn gateway_key() -> String {
    tiyn_server::payments::gateway_key(&tiyn_auth::MasterKey::from_bytes([9; 32]))
}

/// Takes every message and remembers it.
#[derive(Default)]
struct RecordingGateway {
    taken: Mutex<Vec<(String, String)>>,
}

#[async_trait::async_trait]
impl Gateway for RecordingGateway {
    async fn hand_off(&self, transfer: &OutgoingTransfer, pacs008: &str) -> Result<(), String> {
        self.taken.lock().expect("lock").push((transfer.message_id.to_string(), pacs008.to_owned()));
        Ok(())
    }
}

/// Refuses every message, as an unreachable gateway would.
struct DownGateway;

#[async_trait::async_trait]
impl Gateway for DownGateway {
    async fn hand_off(&self, _: &OutgoingTransfer, _: &str) -> Result<(), String> {
        Err("connection refused".to_owned())
    }
}

type Fixture = PaymentFixture;

async fn fixture() -> Fixture {
    payment_fixture().await
}

fn interbank(from: AccountId, amount: &str, payee: &str) -> Value {
    interbank_order(from, amount, payee)
}

async fn balance(test: &TestApp, account: AccountId) -> (i64, i64) {
    let account = test.store.account(account).await.expect("read").expect("account");
    (account.balance.minor(), account.held.minor())
}

async fn pay(f: &Fixture, body: Value) -> (String, Value) {
    f.pay(body).await
}

async fn document(f: &Fixture, id: &str) -> Value {
    f.document(id).await
}

async fn post_status(f: &Fixture, xml: String, key: &str) -> axum::response::Response {
    let request = Request::post("/api/gateway/v1/status")
        .header("content-type", "application/xml")
        .header("authorization", format!("Bearer {key}"))
        .body(Body::from(xml))
        .expect("request");
    send(&f.test.app, request).await
}

fn report(message_id: &str, status: InterbankStatus) -> String {
    let message_id = MessageId::parse(message_id).expect("message id");
    let report_id = MessageId::parse("GW-REPORT-1").expect("id");
    pacs002(&[TransferStatus::new(message_id, status)], &report_id, payment_day())
}

/// R-3.1.1.1, R-6.4.3, R-4.15: an interbank payment is held when confirmed, leaves as a pacs.008
/// from the outbox, and the gateway's settlement posts it (a repeat of the answer changes
/// nothing); a rejection releases the hold and shows the gateway's reason.
#[tokio::test]
async fn an_interbank_payment_is_sent_settled_or_rejected() {
    let f = fixture().await;
    let before = balance(&f.test, f.main.id).await;
    let (settled_id, result) = pay(&f, interbank(f.main.id, "1500.05", "ТОО «Ромашка»")).await;
    assert_eq!(result["status"], "sent", "{result}");
    let (rejected_id, result) = pay(&f, interbank(f.main.id, "200.00", "ТОО «Ромашка»")).await;
    assert_eq!(result["status"], "sent", "{result}");
    assert_eq!(balance(&f.test, f.main.id).await, (before.0, before.1 + 170_005), "amounts are held, not posted");

    // The outbox hands both messages over, once; an unreachable gateway leaves them for later.
    assert_eq!(f.test.app_banking().dispatch_outbox(&DownGateway).await.expect("dispatch"), 0);
    let gateway = RecordingGateway::default();
    f.test.clock.advance(jiff::SignedDuration::from_secs(5));
    assert_eq!(f.test.app_banking().dispatch_outbox(&gateway).await.expect("dispatch"), 2);
    assert_eq!(f.test.app_banking().dispatch_outbox(&gateway).await.expect("dispatch"), 0);
    let taken = gateway.taken.lock().expect("lock").clone();
    let settled_message = document(&f, &settled_id).await["message_id"].as_str().expect("message id").to_owned();
    let rejected_message = document(&f, &rejected_id).await["message_id"].as_str().expect("message id").to_owned();
    let (_, xml) = taken.iter().find(|(id, _)| *id == settled_message).expect("the settled payment's message");
    for expected in [
        "pacs.008.001.08",
        "<IntrBkSttlmAmt Ccy=\"KZT\">1500.05</IntrBkSttlmAmt>",
        "KZ806014482455345985",
        "180140010005",
        &settled_message,
    ] {
        assert!(xml.contains(expected), "the pacs.008 carries {expected}: {xml}");
    }

    // Without the gateway's key the callbacks refuse.
    let response = post_status(&f, report(&settled_message, InterbankStatus::Settled), "wrong").await;
    assert_eq!(response.status(), 401);

    let response = post_status(&f, report(&settled_message, InterbankStatus::Settled), &gateway_key()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(body_json(response).await["applied"][0]["status"], "settled");
    let rejection = InterbankStatus::Rejected { code: Some("AC04".into()), reason: Some("account closed".into()) };
    let response = post_status(&f, report(&rejected_message, rejection.clone()), &gateway_key()).await;
    assert_eq!(body_json(response).await["applied"][0]["status"], "refused");
    // A repeated answer changes nothing.
    post_status(&f, report(&settled_message, InterbankStatus::Settled), &gateway_key()).await;
    post_status(&f, report(&rejected_message, rejection), &gateway_key()).await;

    assert_eq!(balance(&f.test, f.main.id).await, (before.0 - 150_005, before.1), "settled posted, rejected released");
    let clearing = f.test.store.bank_account(AccountKind::BankClearing, Currency::Kzt).await.expect("clearing");
    assert_eq!(balance(&f.test, clearing).await.0, 150_005);
    assert_eq!(document(&f, &settled_id).await["status"], "settled");
    let refused = document(&f, &rejected_id).await;
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["refusal"]["code"], "gateway_rejected");
    assert!(refused["refusal"]["reason"].as_str().is_some_and(|reason| reason.contains("AC04")), "{refused}");
    assert!(f.test.store.check_ledger().await.expect("check").is_sound());

    // Every answer of the gateway is in the audit trail, repeats included.
    let records =
        f.test.store.audit_records(tiyn_store::AuditQuery { limit: 100, ..Default::default() }).await.expect("audit");
    let answers: Vec<String> = records
        .iter()
        .filter(|record| record.record.action == "payments.gateway_status")
        .filter_map(|record| record.record.details.clone())
        .collect();
    assert_eq!(answers.len(), 4, "{answers:?}");
    assert!(answers.iter().any(|details| details.contains(&settled_message) && details.contains("settled")));
    assert!(answers.iter().any(|details| details.contains(&rejected_message) && details.contains("AC04")));
}

/// R-3.1.1.1: an incoming credit lands on the partner account with its IBAN once, however often the
/// gateway repeats it; an unknown IBAN goes to the bank's suspense account.
#[tokio::test]
async fn an_incoming_credit_lands_once() {
    let f = fixture().await;
    let before = balance(&f.test, f.main.id).await.0;
    let iban = f.main.iban.as_ref().expect("iban").as_str().to_owned();
    let credit = json!({
        "message_id": "INCOMING-0001",
        "payee_iban": iban,
        "amount": {"amount": "75000.00", "currency": "KZT"},
        "payer_name": "ТОО «Покупатель»",
        "payer_bin": "180140010005",
        "purpose": "Оплата по договору 7",
    });
    let post = |body: Value, key: String| {
        let app = f.test.app.clone();
        async move {
            let request = Request::post("/api/gateway/v1/incoming")
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {key}"))
                .body(Body::from(body.to_string()))
                .expect("request");
            send(&app, request).await
        }
    };
    assert_eq!(post(credit.clone(), "nope".into()).await.status(), 401);
    let first = post(credit.clone(), gateway_key()).await;
    assert_eq!(first.status(), 201);
    let again = post(credit.clone(), gateway_key()).await;
    assert_eq!(again.status(), 200);
    assert_eq!(body_json(again).await["replayed"], true);
    assert_eq!(balance(&f.test, f.main.id).await.0, before + 7_500_000);

    let mut unknown = credit.clone();
    unknown["message_id"] = json!("INCOMING-0002");
    unknown["payee_iban"] = json!("KZ806014482455345985");
    let response = post(unknown, gateway_key()).await;
    assert_eq!(body_json(response).await["suspense"], true);
    let mut bad = credit;
    bad["message_id"] = json!("INCOMING-0003");
    bad["amount"]["amount"] = json!("-5.00");
    assert_eq!(post(bad, gateway_key()).await.status(), 422);
    assert!(f.test.store.check_ledger().await.expect("check").is_sound());
}

/// R-3.1.1.1: the demo's simulated interbank system settles a payment by itself, and rejects one
/// whose payee is named «ОТКАЗ», through the pacs.002 path.
#[tokio::test]
async fn the_simulator_settles_and_rejects_by_rule() {
    let f = fixture().await;
    let (settled, _) = pay(&f, interbank(f.main.id, "10.00", "ТОО «Ромашка»")).await;
    let (rejected, _) = pay(&f, interbank(f.main.id, "20.00", "ТОО «ОТКАЗ»")).await;
    let simulator: Arc<dyn Gateway> = SimulatedGateway::new(f.test.app_banking(), std::time::Duration::from_millis(1));
    assert_eq!(f.test.app_banking().dispatch_outbox(simulator.as_ref()).await.expect("dispatch"), 2);
    for _ in 0..200 {
        let done =
            document(&f, &settled).await["status"] == "settled" && document(&f, &rejected).await["status"] == "refused";
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(document(&f, &settled).await["status"], "settled");
    assert_eq!(document(&f, &rejected).await["refusal"]["code"], "gateway_rejected");
}

/// R-3.1.1.1: a document with a later value date stays confirmed, and is executed when its day
/// comes; one the balance no longer covers on that day is refused with the reason.
#[tokio::test]
async fn a_later_value_date_is_executed_on_its_day() {
    let f = fixture().await;
    let accounts = f.test.store.partner_accounts(f.test.demo.partner).await.expect("accounts");
    let salary = accounts.iter().filter(|account| account.currency == Currency::Kzt).nth(1).expect("second").clone();
    let mut body = json!({
        "kind": "internal",
        "payer_account": salary.id.to_string(),
        "payee_account": f.main.id.to_string(),
        "amount": {"amount": "100.00", "currency": "KZT"},
        "knp": "343",
        "purpose": "Перевод между своими счетами",
        "value_date": "2026-01-13",
    });
    let (later, result) = pay(&f, body.clone()).await;
    assert_eq!(result["status"], "confirmed", "{result}");
    let salary_balance = balance(&f.test, salary.id).await.0;
    body["amount"]["amount"] = json!(format!("{}.00", salary_balance / 100));
    let (uncovered, result) = pay(&f, body).await;
    assert_eq!(result["status"], "confirmed");

    assert_eq!(f.test.app_banking().execute_due().await.expect("execute"), 0, "not yet");
    f.test.clock.set("2026-01-13T04:00:00Z".parse().expect("instant"));
    assert_eq!(f.test.app_banking().execute_due().await.expect("execute"), 2);
    // A day later the session has long ended: sign in again to look.
    let session = f.test.sign_in("confirm", true).await;
    let look = |id: String| {
        let app = f.test.app.clone();
        let session = session.clone();
        async move { body_json(get_as(&app, &session, &format!("/api/v1/payments/{id}")).await).await }
    };
    assert_eq!(look(later).await["status"], "executed");
    let refused = look(uncovered).await;
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["refusal"]["code"], "insufficient_funds");
    assert_eq!(balance(&f.test, salary.id).await.0, salary_balance - 10_000);

    // The executor's work is in the audit trail as the platform's own action.
    let records =
        f.test.store.audit_records(tiyn_store::AuditQuery { limit: 100, ..Default::default() }).await.expect("audit");
    let carried: Vec<String> = records
        .iter()
        .filter(|record| record.record.action == "payments.carry_out" && record.record.actor.is_none())
        .filter_map(|record| record.record.details.clone())
        .collect();
    assert_eq!(carried.len(), 2, "{carried:?}");
    assert!(carried.iter().any(|details| details.starts_with("refused: insufficient_funds")), "{carried:?}");
}

/// the day's limits count the documents confirmed that day and not refused, for
/// the partner and for the confirming user: a document over the day's amount is refused, and one
/// the gateway rejects gives its amount and its count back.
#[tokio::test]
async fn a_rejected_payment_gives_back_its_share_of_the_days_limits() {
    let f = fixture().await;
    let operator = &f.test.credentials.operators[0];
    let operator = f.test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await;
    let me = body_json(get_as(&f.test.app, &f.session, "/api/v1/me").await).await;
    let rules = json!({"tariff": null, "disabled_kinds": [], "limits": [
        {"scope": "partner", "kind": "interbank", "rule": "daily_amount", "amount": {"amount": "1000.00", "currency": "KZT"}},
        {"scope": "user", "user_id": me["user"]["id"], "rule": "daily_count", "count": 2},
    ]});
    let uri = format!("/api/admin/v1/partners/{}/payment-rules", f.test.demo.partner);
    let response = request_json(&f.test.app, "PUT", &uri, Some(&operator), rules).await;
    assert_eq!(response.status(), 200, "{}", body_text(response).await);

    let (first, result) = pay(&f, interbank(f.main.id, "600.00", "ТОО «Ромашка»")).await;
    assert_eq!(result["status"], "sent", "{result}");
    let (_, result) = pay(&f, interbank(f.main.id, "400.01", "ТОО «Ромашка»")).await;
    assert_eq!(result["status"], "refused", "600.00 + 400.01 is over the day's 1,000.00: {result}");
    assert_eq!(result["refusal"]["code"], "limit_exceeded");
    assert!(result["refusal"]["reason"].as_str().is_some_and(|reason| reason.contains("daily_amount")), "{result}");

    let message = document(&f, &first).await["message_id"].as_str().expect("message id").to_owned();
    let rejection = InterbankStatus::Rejected { code: Some("AC04".into()), reason: None };
    let response = post_status(&f, report(&message, rejection), &gateway_key()).await;
    assert_eq!(body_json(response).await["applied"][0]["status"], "refused");

    // The rejected 600.00 no longer counts: 1,000.00 fits exactly, and it is the user's second
    // document of the day that was not refused.
    let (_, result) = pay(&f, interbank(f.main.id, "1000.00", "ТОО «Ромашка»")).await;
    assert_eq!(result["status"], "sent", "{result}");
    let (_, result) = pay(&f, interbank(f.main.id, "0.01", "ТОО «Ромашка»")).await;
    assert_eq!(result["status"], "refused", "{result}");
}
