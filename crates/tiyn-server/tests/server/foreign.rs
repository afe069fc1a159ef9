//! Foreign-currency transfers through the HTTP API (issue 5, R-3.1.1.3, R-13.1, R-4.15): a
//! transfer in the account's currency is held, sent to the correspondent as a pacs.008 and
//! posted when settled; one from an account in another currency holds the equivalent at the
//! bank's rate with a margin and posts exactly what the correspondent reports it debited;
//! `BEN` withholds the commission from the amount sent; the contract is required above the
//! bank's threshold; without a rate the transfer is refused. Runs on SQLite, and on PostgreSQL
//! with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::{Value, json};
use tiyn_banking::gateway::{Gateway, SimulatedGateway};
use tiyn_core::{AccountId, Amount, Currency};
use tiyn_payments::MessageId;
use tiyn_payments::iso20022::{
    CorrespondentDebit, Equivalent, ForeignTransfer, InterbankStatus, OutgoingTransfer, TransferStatus, pacs002,
};
use tiyn_store::{Account, AccountKind};

/// Takes every message and remembers the foreign ones.
#[derive(Default)]
struct Correspondent {
    taken: Mutex<Vec<(String, String)>>,
}

#[async_trait::async_trait]
impl Gateway for Correspondent {
    async fn hand_off(&self, _: &OutgoingTransfer, _: &str) -> Result<(), String> {
        Ok(())
    }

    async fn hand_off_foreign(&self, transfer: &ForeignTransfer, pacs008: &str) -> Result<(), String> {
        self.taken.lock().expect("lock").push((transfer.message_id.to_string(), pacs008.to_owned()));
        Ok(())
    }
}

struct Fixture {
    f: PaymentFixture,
    operator: Session,
    usd: Account,
}

async fn fixture() -> Fixture {
    let f = payment_fixture().await;
    let operator = &f.test.credentials.operators[0];
    let operator = f.test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await;
    let accounts = f.test.store.partner_accounts(f.test.demo.partner).await.expect("accounts");
    let usd = accounts.iter().find(|account| account.currency == Currency::Usd).expect("USD").clone();
    Fixture { f, operator, usd }
}

/// 1,000.00 USD to a company in the United States (an account number: US banks have no IBAN).
fn to_new_york(from: AccountId, amount: &str, charges: &str) -> Value {
    json!({
        "kind": "foreign", "payer_account": from.to_string(), "amount": {"amount": amount, "currency": "USD"},
        "knp": "710", "purpose": "Payment for goods, invoice 77", "value_date": "2026-01-12",
        "payee_name": "Acme Supplies Inc.", "payee_address": "350 Fifth Avenue, New York, NY 10118",
        "payee_country": "US", "payee_iban": "000123456789", "payee_swift_bic": "CHASUS33", "kbe": "27",
        "charges": charges,
    })
}

/// 1,000.00 EUR to a company in Germany (an IBAN at Commerzbank, through Deutsche Bank).
fn to_cologne(from: AccountId, amount: &str) -> Value {
    json!({
        "kind": "foreign", "payer_account": from.to_string(), "amount": {"amount": amount, "currency": "EUR"},
        "knp": "710", "purpose": "Payment for equipment, contract KZ-DE/2025-07", "value_date": "2026-01-12",
        "payee_name": "Muster Maschinenbau GmbH", "payee_address": "Hauptstrasse 1, 50667 Koeln",
        "payee_country": "DE", "payee_iban": "DE89370400440532013000", "payee_swift_bic": "COBADEFFXXX",
        "intermediary_swift_bic": "DEUTDEFF", "kbe": "27", "charges": "OUR",
        "contract": {"number": "KZ-DE/2025-07", "date": "2025-03-14"},
    })
}

fn gateway_key() -> String {
    tiyn_server::payments::gateway_key(&tiyn_auth::MasterKey::from_bytes([9; 32]))
}

impl Fixture {
    /// A foreign tariff for the partner: 0.2 % with a minimum of 10,000.00 KZT (converted to the
    /// account's currency at the bank's rate), and 25.00 USD more under OUR.
    async fn set_tariff(&self) {
        let rules = json!({
            "tariff": {
                "internal": {"commission": "free", "withholding": "separate"},
                "interbank": {"commission": "free", "withholding": "separate"},
                "budget": {"commission": "free", "withholding": "separate"},
                "foreign": {"commission": "percent", "rate": "0.2", "min": {"amount": "10000.00", "currency": "KZT"},
                    "withholding": "separate"},
                "foreign_our_fee": {"amount": "25.00", "currency": "USD"},
            },
            "limits": [], "disabled_kinds": [],
        });
        let path = format!("/api/admin/v1/partners/{}/payment-rules", self.f.test.demo.partner);
        let response = request_json(&self.f.test.app, "PUT", &path, Some(&self.operator), rules).await;
        let status = response.status().as_u16();
        let body = body_text(response).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("\"foreign\""), "the plan shows its foreign line: {body}");
        assert!(body.contains("\"foreign_our_fee\":{\"amount\":\"25.00\",\"currency\":\"USD\"}"), "{body}");
    }

    async fn account(&self, id: AccountId) -> Account {
        self.f.test.store.account(id).await.expect("read").expect("account")
    }

    async fn bank(&self, kind: AccountKind, currency: Currency) -> i64 {
        let id = self.f.test.store.bank_account(kind, currency).await.expect("bank account");
        self.account(id).await.balance.minor()
    }

    async fn create(&self, body: Value) -> (u16, Value) {
        let response = post_json(&self.f.test.app, "/api/v1/payments", Some(&self.f.session), body).await;
        let status = response.status().as_u16();
        (status, body_json(response).await)
    }

    /// Creates, signs and confirms one document: the signing and the result.
    async fn pay(&self, body: Value) -> (String, Value, Value) {
        let (status, created) = self.create(body).await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().expect("id").to_owned();
        let signing = body_json(
            post_json(&self.f.test.app, "/api/v1/signing", Some(&self.f.session), json!({"payment_ids": [id]})).await,
        )
        .await;
        let code = last_code(&self.f.test.sms, &self.f.mobile);
        let uri = format!("/api/v1/signing/{}/confirm", signing["challenge_id"].as_str().expect("challenge"));
        let results =
            body_json(post_json(&self.f.test.app, &uri, Some(&self.f.session), json!({"code": code})).await).await;
        (id, signing, results["results"][0].clone())
    }

    async fn post_status(&self, xml: String) -> (u16, String) {
        let request = Request::post("/api/gateway/v1/status")
            .header("content-type", "application/xml")
            .header("authorization", format!("Bearer {}", gateway_key()))
            .body(Body::from(xml))
            .expect("request");
        let response = send(&self.f.test.app, request).await;
        let status = response.status().as_u16();
        (status, body_text(response).await)
    }

    /// The bank's quote of buying `amount` EUR with dollars (what the hold is estimated at).
    async fn dollars_for_euros(&self, amount: &str) -> i64 {
        let accounts = self.f.test.store.partner_accounts(self.f.test.demo.partner).await.expect("accounts");
        let eur = accounts.iter().find(|account| account.currency == Currency::Eur).expect("EUR");
        let body = json!({"payer_account": self.usd.id.to_string(), "payee_account": eur.id.to_string(),
            "amount": {"amount": amount, "currency": "EUR"}});
        let quote =
            body_json(post_json(&self.f.test.app, "/api/v1/conversions/quote", Some(&self.f.session), body).await)
                .await;
        let debit = quote["debit"]["amount"].as_str().expect("debit");
        Amount::parse(debit, Currency::Usd).expect("amount").minor()
    }
}

fn report(statuses: &[TransferStatus]) -> String {
    pacs002(statuses, &MessageId::parse("CORR-REPORT-1").expect("id"), payment_day())
}

/// R-3.1.1.3, R-4.15: 1,000.00 USD from the USD account is held with its commission (0.2 % =
/// 2.00 USD, raised to the 10,000.00 KZT minimum: 20.85 USD at the bank's sell rate 479.60),
/// leaves as a pacs.008 to the correspondent (SHA: `SHAR`, the payee's account number, its
/// bank's BIC), and when settled posts amount + commission; each currency stays zero-sum.
#[tokio::test]
async fn r_3_1_1_3_a_transfer_in_the_accounts_currency_is_held_sent_and_settled() {
    let x = fixture().await;
    x.set_tariff().await;
    let before = x.account(x.usd.id).await;
    let (id, signing, result) = x.pay(to_new_york(x.usd.id, "1000.00", "SHA")).await;
    assert_eq!(result["status"], "sent", "{result}");
    assert_eq!(signing["commission"], json!([{"amount": "20.85", "currency": "USD"}]), "{signing}");
    let held = x.account(x.usd.id).await;
    assert_eq!((held.balance.minor(), held.held.minor()), (before.balance.minor(), before.held.minor() + 102_085));

    let correspondent = Correspondent::default();
    assert_eq!(x.f.test.app_banking().dispatch_outbox(&correspondent).await.expect("dispatch"), 1);
    let (message_id, xml) = correspondent.taken.lock().expect("lock")[0].clone();
    for expected in [
        "<SttlmMtd>INDA</SttlmMtd>",
        "<InstdAmt Ccy=\"USD\">1000.00</InstdAmt>",
        "<IntrBkSttlmAmt Ccy=\"USD\">1000.00</IntrBkSttlmAmt>",
        "<ChrgBr>SHAR</ChrgBr>",
        "<BICFI>CHASUS33</BICFI>",
        "<Id>000123456789</Id>",
        "<Ctry>US</Ctry>",
        "Acme Supplies Inc.",
    ] {
        assert!(xml.contains(expected), "the pacs.008 carries {expected}: {xml}");
    }
    let fees_before = x.bank(AccountKind::BankFees, Currency::Usd).await;
    let message = MessageId::parse(&message_id).expect("id");
    let (status, body) = x.post_status(report(&[TransferStatus::new(message, InterbankStatus::Settled)])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(x.f.document(&id).await["status"], "settled");
    let after = x.account(x.usd.id).await;
    assert_eq!((after.balance.minor(), after.held.minor()), (before.balance.minor() - 102_085, before.held.minor()));
    assert_eq!(x.bank(AccountKind::BankFees, Currency::Usd).await - fees_before, 2_085);
    assert!(x.f.test.store.check_ledger().await.expect("check").is_sound());
}

/// R-3.1.1.3, R-4.15: 1,000.00 EUR from the USD account holds the equivalent at the
/// bank's rate plus 2 % and the commission (with the plan's OUR fee, as the payer pays all); the pacs.008 names the intermediary, the payee's address and
/// the contract; the correspondent's report of what it debited (1,100.00 USD on its day) is
/// posted exactly, whatever the bank's own rate was; the hold is released.
#[tokio::test]
async fn r_13_1_a_transfer_from_another_currency_is_debited_at_the_correspondents_rate() {
    let x = fixture().await;
    x.set_tariff().await;
    let estimate = x.dollars_for_euros("1000.00").await;
    // 0.2 % of the estimate, but at least 10,000.00 KZT = 20.85 USD; OUR adds 25.00 USD.
    let commission = (estimate * 2 / 1000).max(2_085) + 2_500;
    let margin = (estimate * 2 + 99) / 100;
    let before = x.account(x.usd.id).await;
    let (id, signing, result) = x.pay(to_cologne(x.usd.id, "1000.00")).await;
    assert_eq!(result["status"], "sent", "{result}");
    assert_eq!(signing["totals"], json!([{"amount": "1000.00", "currency": "EUR"}]), "{signing}");
    assert_eq!(signing["commission"][1]["currency"], "USD", "the commission is in the account's currency: {signing}");
    assert_eq!(x.account(x.usd.id).await.held.minor(), before.held.minor() + estimate + margin + commission);
    assert_eq!(x.f.document(&id).await["commission"]["currency"], "USD");

    let correspondent = Correspondent::default();
    assert_eq!(x.f.test.app_banking().dispatch_outbox(&correspondent).await.expect("dispatch"), 1);
    let (message_id, xml) = correspondent.taken.lock().expect("lock")[0].clone();
    for expected in [
        "<InstdAmt Ccy=\"EUR\">1000.00</InstdAmt>",
        "<ChrgBr>DEBT</ChrgBr>",
        "<IntrmyAgt1>",
        "<BICFI>DEUTDEFF</BICFI>",
        "<BICFI>COBADEFFXXX</BICFI>",
        "<IBAN>DE89370400440532013000</IBAN>",
        "<AdrLine>Hauptstrasse 1, 50667 Koeln</AdrLine>",
        "<Tp>CONTRACT</Tp>",
        "<Inf>KZ-DE/2025-07</Inf>",
        "<Dt>2025-03-14</Dt>",
    ] {
        assert!(xml.contains(expected), "the pacs.008 carries {expected}: {xml}");
    }

    let message = MessageId::parse(&message_id).expect("id");
    // Settled without the equivalent: the bank cannot tell what to debit, and posts nothing.
    let (status, body) = x.post_status(report(&[TransferStatus::new(message.clone(), InterbankStatus::Settled)])).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("missing_equivalent"), "{body}");
    assert_eq!(x.f.document(&id).await["status"], "sent");

    let equivalent = Equivalent {
        amount: Amount::parse("1100.00", Currency::Usd).expect("amount"),
        currency_of_transfer: Currency::Eur,
    };
    let debit = CorrespondentDebit { date: Some(jiff::civil::date(2026, 1, 12)), equivalent: Some(equivalent) };
    let settled = TransferStatus { message_id: message, status: InterbankStatus::Settled, debit: Some(debit) };
    let (status, body) = x.post_status(report(std::slice::from_ref(&settled))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(x.f.document(&id).await["status"], "settled");
    let after = x.account(x.usd.id).await;
    assert_eq!(
        (after.balance.minor(), after.held.minor()),
        (before.balance.minor() - 110_000 - commission, before.held.minor())
    );
    // A repeat of the report changes nothing.
    let (status, _) = x.post_status(report(&[settled])).await;
    assert_eq!(status, 200);
    assert_eq!(x.account(x.usd.id).await.balance, after.balance);
    assert!(x.f.test.store.check_ledger().await.expect("check").is_sound());
}

/// R-3.1.1.3, R-4.15: with `BEN` the payee bears every charge: this bank's commission is
/// withheld from the amount sent (the pacs.008 sends 979.15 of 1,000.00 USD and names the
/// deduction), and the account is debited the amount only.
#[tokio::test]
async fn r_3_1_1_3_ben_withholds_the_commission_from_the_amount_sent() {
    let x = fixture().await;
    x.set_tariff().await;
    let before = x.account(x.usd.id).await;
    let (_, _, result) = x.pay(to_new_york(x.usd.id, "1000.00", "BEN")).await;
    assert_eq!(result["status"], "sent", "{result}");
    assert_eq!(x.account(x.usd.id).await.held.minor(), before.held.minor() + 100_000);
    let correspondent = Correspondent::default();
    x.f.test.app_banking().dispatch_outbox(&correspondent).await.expect("dispatch");
    let (message_id, xml) = correspondent.taken.lock().expect("lock")[0].clone();
    for expected in [
        "<ChrgBr>CRED</ChrgBr>",
        "<InstdAmt Ccy=\"USD\">1000.00</InstdAmt>",
        "<IntrBkSttlmAmt Ccy=\"USD\">979.15</IntrBkSttlmAmt>",
        "<Amt Ccy=\"USD\">20.85</Amt>",
    ] {
        assert!(xml.contains(expected), "the pacs.008 carries {expected}: {xml}");
    }
    let clearing_before = x.bank(AccountKind::BankClearing, Currency::Usd).await;
    let message = MessageId::parse(&message_id).expect("id");
    let (status, body) = x.post_status(report(&[TransferStatus::new(message, InterbankStatus::Settled)])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(x.account(x.usd.id).await.balance.minor(), before.balance.minor() - 100_000);
    assert_eq!(x.bank(AccountKind::BankClearing, Currency::Usd).await - clearing_before, 97_915);
    assert!(x.f.test.store.check_ledger().await.expect("check").is_sound());

    // BEN from an account in another currency cannot withhold from the amount: refused.
    let mut euros = to_cologne(x.usd.id, "100.00");
    euros["charges"] = json!("BEN");
    let (status, problem) = x.create(euros).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "charges", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "ben_needs_same_currency", "{problem}");
}

/// R-3.1.1.3: above the bank's currency-control threshold (10,000 USD equivalent) the contract
/// is required; below it, or with it, the draft is taken; the foreign fields are refused on
/// other kinds and read back as sent.
#[tokio::test]
async fn r_3_1_1_3_the_contract_is_required_above_the_threshold() {
    let x = fixture().await;
    let (status, problem) = x.create(to_new_york(x.usd.id, "10000.01", "OUR")).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("contract.number"), Some("contract_required")),
        "{problem}"
    );
    let (status, created) = x.create(to_new_york(x.usd.id, "10000.00", "OUR")).await;
    assert_eq!(status, 201, "{created}");
    let mut with_contract = to_new_york(x.usd.id, "20000.00", "OUR");
    with_contract["contract"] = json!({"number": "US-2025/114", "date": "2025-11-02"});
    let (status, created) = x.create(with_contract).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["contract"], json!({"number": "US-2025/114", "date": "2025-11-02"}));
    assert_eq!((created["payee_swift_bic"].as_str(), created["charges"].as_str()), (Some("CHASUS33"), Some("OUR")));
    assert_eq!(created["payee_iban"], "000123456789");

    // Cyrillic where a correspondent bank needs Latin, a bank no directory knows.
    let mut wrong = to_new_york(x.usd.id, "100.00", "SHA");
    wrong["payee_name"] = json!("ООО «Акме»");
    wrong["payee_swift_bic"] = json!("ZZZZUS33");
    let (status, problem) = x.create(wrong).await;
    assert_eq!(status, 422, "{problem}");
    let codes: Vec<&str> =
        problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["code"].as_str()).collect();
    assert!(codes.contains(&"not_swift_character") && codes.contains(&"unknown_swift_bic"), "{problem}");
}

/// a transfer in a currency the bank has no rate for, from an account in another
/// currency, is refused at confirmation (`no_rate`) and nothing is held.
#[tokio::test]
async fn r_13_1_without_a_rate_the_transfer_is_refused() {
    let x = fixture().await;
    let mut yen = to_new_york(x.usd.id, "5000.00", "SHA");
    yen["amount"] = json!({"amount": "1000000", "currency": "JPY"});
    yen["payee_country"] = json!("JP");
    yen["payee_swift_bic"] = json!("BOTKJPJT");
    // Without a rate the bank cannot tell the equivalent: it asks for the contract.
    let (status, problem) = x.create(yen.clone()).await;
    assert_eq!((status, problem["errors"][0]["code"].as_str()), (422, Some("contract_required")), "{problem}");
    yen["contract"] = json!({"number": "JP-7", "date": "2025-12-01"});
    let before = x.account(x.usd.id).await;
    let (_, _, result) = x.pay(yen).await;
    assert_eq!(
        (result["status"].as_str(), result["refusal"]["code"].as_str()),
        (Some("refused"), Some("no_rate")),
        "{result}"
    );
    assert_eq!(x.account(x.usd.id).await.held, before.held);
}

/// R-3.1.1.3: the demo's simulated correspondent settles a foreign transfer by itself and reports
/// its debit: from the USD account, 100.00 EUR is posted at the bank's selling rate.
#[tokio::test]
async fn r_3_1_1_3_the_simulated_correspondent_settles_with_its_debit() {
    let x = fixture().await;
    let estimate = x.dollars_for_euros("100.00").await;
    let before = x.account(x.usd.id).await;
    let (id, _, result) = x.pay(to_cologne(x.usd.id, "100.00")).await;
    assert_eq!(result["status"], "sent", "{result}");
    let simulator: Arc<dyn Gateway> =
        SimulatedGateway::new(x.f.test.app_banking(), std::time::Duration::from_millis(1));
    assert_eq!(x.f.test.app_banking().dispatch_outbox(simulator.as_ref()).await.expect("dispatch"), 1);
    for _ in 0..300 {
        if x.f.document(&id).await["status"] == "settled" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(x.f.document(&id).await["status"], "settled");
    let after = x.account(x.usd.id).await;
    assert_eq!((after.balance.minor(), after.held.minor()), (before.balance.minor() - estimate, before.held.minor()));
    assert!(x.f.test.store.check_ledger().await.expect("check").is_sound());
}

/// R-3.1.1.2, R-3.1.1.3: a foreign transfer saved as a template keeps every foreign requisite,
/// and a draft made from it is the same transfer.
#[tokio::test]
async fn r_3_1_1_3_a_foreign_template_keeps_its_requisites() {
    let x = fixture().await;
    let mut body = to_cologne(x.usd.id, "100.00");
    body.as_object_mut().expect("object").remove("value_date");
    body["name"] = json!("Muster GmbH, equipment");
    let response = post_json(&x.f.test.app, "/api/v1/payment-templates", Some(&x.f.session), body).await;
    let status = response.status().as_u16();
    let template = body_json(response).await;
    assert_eq!(status, 201, "{template}");
    for (field, value) in [
        ("payee_address", json!("Hauptstrasse 1, 50667 Koeln")),
        ("payee_country", json!("DE")),
        ("payee_swift_bic", json!("COBADEFFXXX")),
        ("intermediary_swift_bic", json!("DEUTDEFF")),
        ("charges", json!("OUR")),
        ("contract", json!({"number": "KZ-DE/2025-07", "date": "2025-03-14"})),
    ] {
        assert_eq!(template[field], value, "{field}: {template}");
    }
    let uri = format!("/api/v1/payment-templates/{}/payments", template["id"].as_str().expect("id"));
    let response = post_json(&x.f.test.app, &uri, Some(&x.f.session), json!({})).await;
    let status = response.status().as_u16();
    let draft = body_json(response).await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!((draft["kind"].as_str(), draft["intermediary_swift_bic"].as_str()), (Some("foreign"), Some("DEUTDEFF")));
    assert_eq!(draft["contract"]["number"], "KZ-DE/2025-07");
}
