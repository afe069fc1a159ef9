//! Conversion documents through the HTTP API (issue 5, R-3.1.1.4, R-4.15): a quote at the bank's
//! rates, a conversion confirmed with a code bound to its quote and posted through the bank's FX
//! accounts (the margin as FX income, each currency zero-sum), an expired quote refused, a cross
//! conversion through tenge, a missing rate, insufficient funds, and a later value date converted
//! at the rates of that day. Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use common::*;
use serde_json::{Value, json};
use tiyn_core::{AccountId, Currency};
use tiyn_store::{Account, AccountKind};

struct Fixture {
    f: PaymentFixture,
    kzt: Account,
    usd: Account,
    eur: Account,
}

async fn fixture() -> Fixture {
    let f = payment_fixture().await;
    let accounts = f.test.store.partner_accounts(f.test.demo.partner).await.expect("accounts");
    let find =
        |currency: Currency| accounts.iter().find(|account| account.currency == currency).expect("account").clone();
    Fixture { kzt: f.main.clone(), usd: find(Currency::Usd), eur: find(Currency::Eur), f }
}

fn conversion(from: AccountId, to: AccountId, amount: &str, currency: &str, value_date: &str) -> Value {
    json!({
        "kind": "conversion", "payer_account": from.to_string(), "payee_account": to.to_string(),
        "amount": {"amount": amount, "currency": currency}, "knp": "343", "purpose": "Покупка валюты по контракту",
        "value_date": value_date,
    })
}

impl Fixture {
    async fn balance(&self, account: AccountId) -> i64 {
        self.f.test.store.account(account).await.expect("read").expect("account").balance.minor()
    }

    async fn bank(&self, kind: AccountKind, currency: Currency) -> i64 {
        let account = self.f.test.store.bank_account(kind, currency).await.expect("bank account");
        self.balance(account).await
    }

    async fn quote(&self, from: AccountId, to: AccountId, amount: &str, currency: &str) -> (u16, Value) {
        let body = json!({"payer_account": from.to_string(), "payee_account": to.to_string(),
            "amount": {"amount": amount, "currency": currency}});
        let response = post_json(&self.f.test.app, "/api/v1/conversions/quote", Some(&self.f.session), body).await;
        let status = response.status().as_u16();
        (status, body_json(response).await)
    }

    async fn create(&self, body: Value) -> String {
        let created = post_json(&self.f.test.app, "/api/v1/payments", Some(&self.f.session), body).await;
        let status = created.status();
        let created = body_json(created).await;
        assert_eq!(status, 201, "{created}");
        created["id"].as_str().expect("id").to_owned()
    }

    async fn sign(&self, id: &str) -> Value {
        let response =
            post_json(&self.f.test.app, "/api/v1/signing", Some(&self.f.session), json!({"payment_ids": [id]})).await;
        assert_eq!(response.status(), 201);
        body_json(response).await
    }

    async fn confirm(&self, signing: &Value) -> (u16, Value) {
        let code = last_code(&self.f.test.sms, &self.f.mobile);
        let uri = format!("/api/v1/signing/{}/confirm", signing["challenge_id"].as_str().expect("challenge"));
        let response = post_json(&self.f.test.app, &uri, Some(&self.f.session), json!({"code": code})).await;
        let status = response.status().as_u16();
        (status, body_json(response).await)
    }
}

/// R-3.1.1.4, R-13.2: buying 100.00 USD for tenge is quoted at the bank's sell rate; the code's
/// SMS names the amounts; confirmed, one entry debits the tenge account, credits the dollar
/// account, moves the bank's FX position in both currencies and books the margin (against the
/// mid rate) as the bank's FX income; every currency stays zero-sum.
#[tokio::test]
async fn r_3_1_1_4_a_conversion_is_quoted_confirmed_and_posted_through_the_fx_accounts() {
    let x = fixture().await;
    let (status, quote) = x.quote(x.kzt.id, x.usd.id, "100.00", "USD").await;
    assert_eq!(status, 200, "{quote}");
    assert_eq!(
        (quote["debit"]["amount"].as_str(), quote["debit"]["currency"].as_str()),
        (Some("47960.00"), Some("KZT"))
    );
    assert_eq!(quote["credit"]["amount"], "100.00");
    assert_eq!(quote["legs"].as_array().map(Vec::len), Some(1));
    assert_eq!((quote["legs"][0]["pair"].as_str(), quote["legs"][0]["side"].as_str()), (Some("USD/KZT"), Some("sell")));
    assert_eq!(quote["legs"][0]["rate"], "479.60");

    let kzt_before = x.balance(x.kzt.id).await;
    let usd_before = x.balance(x.usd.id).await;
    let income_before = x.bank(AccountKind::BankFxIncome, Currency::Kzt).await;
    let id = x.create(conversion(x.kzt.id, x.usd.id, "100.00", "USD", "2026-01-12")).await;
    let signing = x.sign(&id).await;
    assert_eq!(signing["conversions"][0]["payment_id"], id.as_str(), "{signing}");
    assert_eq!(signing["conversions"][0]["debit"]["amount"], "47960.00");
    let sms = x.f.test.sms.last_text_to(&x.f.mobile).expect("an SMS");
    assert!(sms.contains("47960.00 KZT на 100.00 USD"), "the SMS names the exchange: {sms}");
    let (status, results) = x.confirm(&signing).await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results["results"][0]["status"], "executed", "{results}");

    assert_eq!(x.balance(x.kzt.id).await, kzt_before - 4_796_000);
    assert_eq!(x.balance(x.usd.id).await, usd_before + 10_000);
    // Mid rate (473.60 + 479.60) / 2 = 476.60: the margin on 100 USD is 300.00 KZT.
    assert_eq!(x.bank(AccountKind::BankFxIncome, Currency::Kzt).await - income_before, 30_000);
    assert!(x.f.test.store.check_ledger().await.expect("check").is_sound());
    let document = x.f.document(&id).await;
    assert_eq!((document["kind"].as_str(), document["status"].as_str()), (Some("conversion"), Some("executed")));
}

/// R-3.1.1.4: a confirmation entered after its quote expired converts nothing and says so
/// (409 `quote_expired`); a new confirmation quotes again and is confirmed.
#[tokio::test]
async fn r_3_1_1_4_an_expired_quote_is_refused_and_quoted_again() {
    let x = fixture().await;
    let kzt_before = x.balance(x.kzt.id).await;
    let id = x.create(conversion(x.kzt.id, x.usd.id, "50.00", "USD", "2026-01-12")).await;
    let signing = x.sign(&id).await;
    x.f.test.clock.advance(jiff::SignedDuration::from_secs(121));
    let (status, problem) = x.confirm(&signing).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("quote_expired")), "{problem}");
    assert_eq!(x.balance(x.kzt.id).await, kzt_before, "nothing converted");

    let signing = x.sign(&id).await;
    assert_eq!(signing["conversions"][0]["debit"]["amount"], "23980.00");
    let (status, results) = x.confirm(&signing).await;
    assert_eq!((status, results["results"][0]["status"].as_str()), (200, Some("executed")), "{results}");
    assert_eq!(x.balance(x.kzt.id).await, kzt_before - 2_398_000);
}

/// R-3.1.1.4: dollars to euros have no direct rate: the conversion goes through tenge, both legs
/// shown (the bank buys the dollars, sells the euros), and the legs chain: what the first leg
/// gives in tenge is what the second takes.
#[tokio::test]
async fn r_3_1_1_4_a_cross_conversion_goes_through_tenge_with_both_legs() {
    let x = fixture().await;
    let (status, quote) = x.quote(x.usd.id, x.eur.id, "200.00", "USD").await;
    assert_eq!(status, 200, "{quote}");
    let legs = quote["legs"].as_array().expect("legs");
    assert_eq!(legs.len(), 2, "{quote}");
    assert_eq!((legs[0]["pair"].as_str(), legs[0]["side"].as_str()), (Some("USD/KZT"), Some("buy")));
    assert_eq!((legs[1]["pair"].as_str(), legs[1]["side"].as_str()), (Some("EUR/KZT"), Some("sell")));
    assert_eq!(legs[0]["credit"], legs[1]["debit"], "the tenge of the first leg pays the second");
    assert_eq!(legs[0]["credit"]["amount"], "94720.00", "200 × 473.60");

    let usd_before = x.balance(x.usd.id).await;
    let eur_before = x.balance(x.eur.id).await;
    let (id, result) = x.f.pay(conversion(x.usd.id, x.eur.id, "200.00", "USD", "2026-01-12")).await;
    assert_eq!(result["status"], "executed", "{result}");
    let credit: i64 = quote["credit"]["amount"].as_str().expect("credit").replace('.', "").parse().expect("minor");
    assert_eq!(x.balance(x.usd.id).await, usd_before - 20_000);
    assert_eq!(x.balance(x.eur.id).await, eur_before + credit);
    assert!(x.f.test.store.check_ledger().await.expect("check").is_sound());
    assert_eq!(x.f.document(&id).await["status"], "executed");
}

/// R-3.1.1.4, R-6.1.1: refusals: a conversion larger than the account has is refused for
/// insufficient funds; two accounts of one currency and an amount in a third currency are refused
/// field by field; without a rate in force (before the bank set any) the quote is refused with
/// `no_rate`.
#[tokio::test]
async fn r_3_1_1_4_conversions_are_refused_without_money_currencies_or_rate() {
    let x = fixture().await;
    let (_, result) = x.f.pay(conversion(x.kzt.id, x.usd.id, "9999999.00", "USD", "2026-01-12")).await;
    assert_eq!(result["refusal"]["code"], "insufficient_funds", "{result}");

    let (status, problem) = x.quote(x.kzt.id, x.kzt.id, "10.00", "KZT").await;
    assert_eq!(status, 422, "{problem}");
    let response = post_json(
        &x.f.test.app,
        "/api/v1/payments",
        Some(&x.f.session),
        conversion(x.kzt.id, x.usd.id, "10.00", "EUR", "2026-01-12"),
    )
    .await;
    assert_eq!(response.status(), 422);
    let problem = body_json(response).await;
    assert_eq!(problem["errors"][0]["code"], "account_currency_mismatch", "{problem}");

    x.f.test.clock.set("2025-11-01T05:00:00Z".parse().expect("instant"));
    let (status, problem) = x.quote(x.kzt.id, x.usd.id, "10.00", "USD").await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("no_rate")), "{problem}");
}

/// R-3.1.1.4: a conversion for a later value date is confirmed now and converted on its day at
/// the rates in force then, not at the rates of the confirmation.
#[tokio::test]
async fn r_3_1_1_4_a_later_conversion_converts_at_the_rates_of_its_day() {
    let x = fixture().await;
    let kzt_before = x.balance(x.kzt.id).await;
    let (id, result) = x.f.pay(conversion(x.kzt.id, x.usd.id, "10.00", "USD", "2026-01-13")).await;
    assert_eq!(result["status"], "confirmed", "{result}");

    // The bank sets a new rate for the next morning.
    let operator = &x.f.test.credentials.operators[0];
    let operator = x.f.test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await;
    let rate = json!({"base": "USD", "quote": "KZT", "buy": "480.00", "sell": "490.00",
        "valid_from": "2026-01-13T03:00:00Z"});
    let response = post_json(&x.f.test.app, "/api/admin/v1/rates", Some(&operator), rate).await;
    assert_eq!(response.status(), 201, "{}", body_text(response).await);

    x.f.test.clock.set("2026-01-13T04:00:00Z".parse().expect("instant"));
    assert_eq!(x.f.test.app_banking().execute_due().await.expect("executor"), 1);
    let document_id = tiyn_payments::DocumentId::new(id.parse().expect("id"));
    let stored = x.f.test.store.payment(x.f.test.demo.partner, document_id).await.expect("read").expect("document");
    assert_eq!(stored.status, tiyn_payments::Status::Executed);
    assert_eq!(x.balance(x.kzt.id).await, kzt_before - 490_000, "10 USD at the new sell rate 490.00");
    assert!(x.f.test.store.check_ledger().await.expect("check").is_sound());
}

async fn incoming(x: &Fixture, message_id: &str, iban: &str, amount: &str, currency: &str) -> (u16, Value) {
    let key = tiyn_server::payments::gateway_key(&tiyn_auth::MasterKey::from_bytes([9; 32]));
    let body = json!({"message_id": message_id, "payee_iban": iban, "amount": {"amount": amount, "currency": currency},
        "payer_name": "Acme Trading LLC", "purpose": "Invoice 42"});
    let request = axum::http::Request::post("/api/gateway/v1/incoming")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {key}"))
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    let response = send(&x.f.test.app, request).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

/// dollars arriving for the tenge account are converted at the bank's buy rate in force
/// on the day of crediting, through the FX accounts (the margin is the bank's income); pounds,
/// for which the bank has no rate, are not applied: the credit is returned to the sending bank,
/// recorded, and a repeat is answered the same even after a rate appears. Nothing is posted for
/// it.
#[tokio::test]
async fn r_13_1_an_incoming_credit_in_another_currency_is_converted_or_returned() {
    let x = fixture().await;
    let iban = x.kzt.iban.as_ref().expect("iban").to_string();
    let kzt_before = x.balance(x.kzt.id).await;
    let income_before = x.bank(AccountKind::BankFxIncome, Currency::Kzt).await;
    let (status, credited) = incoming(&x, "IN-USD-1", &iban, "10.00", "USD").await;
    assert_eq!(status, 201, "{credited}");
    assert_eq!(credited["outcome"], "credited");
    assert_eq!(
        (credited["credited"]["amount"].as_str(), credited["credited"]["currency"].as_str()),
        (Some("4736.00"), Some("KZT"))
    );
    assert_eq!(x.balance(x.kzt.id).await, kzt_before + 473_600, "10 USD at the buy rate 473.60");
    // Mid 476.60: the bank's margin on 10 USD is 30.00 KZT.
    assert_eq!(x.bank(AccountKind::BankFxIncome, Currency::Kzt).await - income_before, 3_000);
    let (status, again) = incoming(&x, "IN-USD-1", &iban, "10.00", "USD").await;
    assert_eq!((status, again["replayed"].as_bool()), (200, Some(true)), "{again}");
    assert_eq!(x.balance(x.kzt.id).await, kzt_before + 473_600, "once");

    let gbp_clearing_before = x.bank(AccountKind::BankClearing, Currency::Gbp).await;
    let (status, returned) = incoming(&x, "IN-GBP-1", &iban, "25.00", "GBP").await;
    assert_eq!(status, 200, "{returned}");
    assert_eq!(returned["outcome"], "returned", "{returned}");
    assert!(returned["reason"].as_str().is_some_and(|reason| reason.contains("GBP")), "{returned}");
    assert_eq!(returned["account"], Value::Null);
    assert_eq!(x.balance(x.kzt.id).await, kzt_before + 473_600, "nothing posted");
    assert_eq!(x.bank(AccountKind::BankClearing, Currency::Gbp).await, gbp_clearing_before);
    let stored = x.f.test.store.returned_credit("IN-GBP-1").await.expect("read").expect("recorded");
    assert_eq!(stored.amount.amount_string(), "25.00");

    // A rate for pounds appears; the repeat of the returned message is still returned.
    let operator = &x.f.test.credentials.operators[0];
    let operator = x.f.test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await;
    let rate = json!({"base": "GBP", "quote": "KZT", "buy": "600.00", "sell": "620.00",
        "valid_from": "2026-01-12T05:00:00Z"});
    let response = post_json(&x.f.test.app, "/api/admin/v1/rates", Some(&operator), rate).await;
    assert_eq!(response.status(), 201, "{}", body_text(response).await);
    let (_, again) = incoming(&x, "IN-GBP-1", &iban, "25.00", "GBP").await;
    assert_eq!((again["outcome"].as_str(), again["replayed"].as_bool()), (Some("returned"), Some(true)), "{again}");
    assert_eq!(x.balance(x.kzt.id).await, kzt_before + 473_600);
    assert!(x.f.test.store.check_ledger().await.expect("check").is_sound());
}

/// R-3.1.1.4: the bank's tariff for conversions is on what is sold, in the payer
/// account's currency: the confirmation shows it in tenge for a purchase of dollars, and it is
/// posted to the bank's fee income in the conversion's entry.
#[tokio::test]
async fn r_4_15_a_conversion_commission_is_on_what_is_sold() {
    let x = fixture().await;
    let operator = &x.f.test.credentials.operators[0];
    let operator = x.f.test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await;
    let rules = json!({
        "tariff": {
            "internal": {"commission": "free", "withholding": "separate"},
            "interbank": {"commission": "free", "withholding": "separate"},
            "budget": {"commission": "free", "withholding": "separate"},
            "conversion": {"commission": "percent", "rate": "0.5", "min": {"amount": "100.00", "currency": "KZT"},
                "withholding": "separate"},
        },
        "limits": [],
        "disabled_kinds": [],
    });
    let path = format!("/api/admin/v1/partners/{}/payment-rules", x.f.test.demo.partner);
    let response = request_json(&x.f.test.app, "PUT", &path, Some(&operator), rules).await;
    assert_eq!(response.status(), 200, "{}", body_text(response).await);

    let kzt_before = x.balance(x.kzt.id).await;
    let fees_before = x.bank(AccountKind::BankFees, Currency::Kzt).await;
    let id = x.create(conversion(x.kzt.id, x.usd.id, "100.00", "USD", "2026-01-12")).await;
    let signing = x.sign(&id).await;
    // 0.5 % of the 47,960.00 KZT sold is 239.80 KZT.
    let commission = signing["commission"].as_array().expect("commission");
    assert!(commission.iter().any(|fee| fee["amount"] == "239.80" && fee["currency"] == "KZT"), "{signing}");
    let (_, results) = x.confirm(&signing).await;
    assert_eq!(results["results"][0]["status"], "executed", "{results}");
    assert_eq!(x.balance(x.kzt.id).await, kzt_before - 4_796_000 - 23_980);
    assert_eq!(x.bank(AccountKind::BankFees, Currency::Kzt).await - fees_before, 23_980);
    assert!(x.f.test.store.check_ledger().await.expect("check").is_sound());
}
