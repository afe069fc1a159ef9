//! The bank's rules for payments through the HTTP API (issue 4): tariffs, limits, the scope of
//! services, restrictions on accounts and the AML list, set by an operator and applied to the
//! partner's next payment. Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use common::*;
use serde_json::{Value, json};
use tiyn_core::{AccountId, Currency};
use tiyn_store::{Account, AccountKind};

struct Fixture {
    test: TestApp,
    user: Session,
    mobile: String,
    operator: Session,
    main: Account,
    salary: Account,
}

async fn fixture() -> Fixture {
    let test = test_app().await;
    test.clock.set("2026-01-12T05:00:00Z".parse().expect("instant"));
    let user = test.sign_in("confirm", true).await;
    let (_, _, mobile) = test.login("confirm", true);
    let operator = &test.credentials.operators[0];
    let operator = test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await;
    let accounts = test.store.partner_accounts(test.demo.partner).await.expect("accounts");
    let kzt: Vec<Account> = accounts.into_iter().filter(|account| account.currency == Currency::Kzt).collect();
    Fixture { main: kzt[0].clone(), salary: kzt[1].clone(), user, mobile, operator, test }
}

fn interbank(from: AccountId, amount: &str) -> Value {
    json!({
        "kind": "interbank", "payer_account": from.to_string(), "amount": {"amount": amount, "currency": "KZT"},
        "knp": "710", "purpose": "Оплата по счёту", "value_date": "2026-01-12", "payee_name": "ТОО «Ромашка»",
        "payee_bin": "180140010005", "payee_iban": "KZ806014482455345985", "kbe": "17",
    })
}

impl Fixture {
    async fn admin(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let response =
            request_json(&self.test.app, method, &format!("/api/admin/v1{path}"), Some(&self.operator), body).await;
        let status = response.status().as_u16();
        let text = body_text(response).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn create(&self, body: Value) -> (u16, Value) {
        let response = post_json(&self.test.app, "/api/v1/payments", Some(&self.user), body).await;
        let status = response.status().as_u16();
        (status, body_json(response).await)
    }

    /// Creates the documents, opens one signing and confirms it: the signing and the results.
    async fn pay(&self, bodies: Vec<Value>) -> (Value, Vec<Value>) {
        let mut ids = Vec::new();
        for body in bodies {
            let (status, created) = self.create(body).await;
            assert_eq!(status, 201, "{created}");
            ids.push(created["id"].clone());
        }
        let signing = body_json(
            post_json(&self.test.app, "/api/v1/signing", Some(&self.user), json!({"payment_ids": ids})).await,
        )
        .await;
        let code = last_code(&self.test.sms, &self.mobile);
        let uri = format!("/api/v1/signing/{}/confirm", signing["challenge_id"].as_str().expect("challenge"));
        let results = body_json(post_json(&self.test.app, &uri, Some(&self.user), json!({"code": code})).await).await;
        (signing, results["results"].as_array().cloned().unwrap_or_default())
    }

    async fn balance(&self, account: AccountId) -> i64 {
        self.test.store.account(account).await.expect("read").expect("account").balance.minor()
    }
}

/// the bank's tariff for the partner prices the batch before confirmation, and
/// the commission is posted to the bank's fee income in the same entry as the transfer.
#[tokio::test]
async fn the_partners_tariff_is_shown_and_withheld() {
    let f = fixture().await;
    let rules = json!({
        "tariff": {
            "internal": {"commission": "percent", "rate": "0.1", "min": {"amount": "1.00", "currency": "KZT"}, "withholding": "separate"},
            "interbank": {"commission": "fixed", "fee": {"amount": "150.00", "currency": "KZT"}, "withholding": "separate"},
            "budget": {"commission": "free", "withholding": "separate"},
        },
        "limits": [],
        "disabled_kinds": [],
    });
    let (status, stored) = f.admin("PUT", &format!("/partners/{}/payment-rules", f.test.demo.partner), rules).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["tariff"]["interbank"]["fee"]["amount"], "150.00");

    let before = f.balance(f.main.id).await;
    let (signing, results) = f
        .pay(vec![internal_order(f.main.id, f.salary.id, "5000.00"), internal_order(f.main.id, f.salary.id, "100.00")])
        .await;
    // 0.1 % of 5,000.00 is 5.00; of 100.00 it is 0.10, raised to the 1.00 minimum.
    assert_eq!(signing["commission"], json!([{"amount": "6.00", "currency": "KZT"}]), "{signing}");
    assert!(results.iter().all(|result| result["status"] == "executed"), "{results:?}");
    assert_eq!(f.balance(f.main.id).await, before - 510_000 - 600);
    let fees = f.test.store.bank_account(AccountKind::BankFees, Currency::Kzt).await.expect("fees");
    assert_eq!(f.balance(fees).await, 600);
    assert!(f.test.store.check_ledger().await.expect("check").is_sound());

    // A bad plan is refused field by field.
    let bad = json!({"tariff": {
        "internal": {"commission": "percent", "withholding": "separate"},
        "interbank": {"commission": "fixed", "fee": {"amount": 150, "currency": "KZT"}, "withholding": "from_amount"},
        "budget": {"commission": "free", "withholding": "sideways"},
    }, "limits": [], "disabled_kinds": []});
    let (status, problem) = f.admin("PUT", &format!("/partners/{}/payment-rules", f.test.demo.partner), bad).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> =
        problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    for field in ["tariff.internal.rate", "tariff.interbank.fee.amount", "tariff.budget.withholding"] {
        assert!(fields.contains(&field), "{field}: {problem}");
    }
}

/// a limit per operation refuses the document above it with `limit_exceeded`
/// naming the limit; the others of the batch are executed.
#[tokio::test]
async fn a_limit_refuses_the_document_that_breaks_it() {
    let f = fixture().await;
    let rules = json!({"tariff": null, "disabled_kinds": [], "limits": [
        {"scope": "partner", "rule": "operation_amount", "amount": {"amount": "500.00", "currency": "KZT"}},
    ]});
    let (status, _) = f.admin("PUT", &format!("/partners/{}/payment-rules", f.test.demo.partner), rules).await;
    assert_eq!(status, 200);
    let (_, results) = f
        .pay(vec![internal_order(f.main.id, f.salary.id, "500.00"), internal_order(f.main.id, f.salary.id, "500.01")])
        .await;
    assert_eq!(results[0]["status"], "executed", "exactly at the limit passes");
    assert_eq!(results[1]["status"], "refused");
    assert_eq!(results[1]["refusal"]["code"], "limit_exceeded");
    assert!(results[1]["refusal"]["reason"].as_str().is_some_and(|reason| reason.contains("operation_amount")));
}

/// a kind the bank switches off cannot be created, and a draft made before is refused
/// with `service_disabled` when confirmed.
#[tokio::test]
async fn a_kind_switched_off_is_refused_at_each_operation() {
    let f = fixture().await;
    let (status, draft) = f.create(interbank(f.main.id, "10.00")).await;
    assert_eq!(status, 201);
    let rules = json!({"tariff": null, "limits": [], "disabled_kinds": ["interbank"]});
    let (status, _) = f.admin("PUT", &format!("/partners/{}/payment-rules", f.test.demo.partner), rules).await;
    assert_eq!(status, 200);
    let (status, problem) = f.create(interbank(f.main.id, "10.00")).await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["code"], "service_disabled", "{problem}");
    let signing = body_json(
        post_json(&f.test.app, "/api/v1/signing", Some(&f.user), json!({"payment_ids": [draft["id"].clone()]})).await,
    )
    .await;
    let code = last_code(&f.test.sms, &f.mobile);
    let uri = format!("/api/v1/signing/{}/confirm", signing["challenge_id"].as_str().expect("challenge"));
    let results = body_json(post_json(&f.test.app, &uri, Some(&f.user), json!({"code": code})).await).await;
    assert_eq!(results["results"][0]["refusal"]["code"], "service_disabled", "{results}");
}

/// an arrest keeps its amount on the account, a suspension of debits lets only
/// the kinds it allows through, a closing account refuses everything; the partner sees them, and
/// a lifted restriction no longer applies.
#[tokio::test]
async fn restrictions_refuse_the_debits_they_forbid() {
    let f = fixture().await;
    let balance = f.balance(f.salary.id).await;
    let arrested = format!("{}.00", balance / 100 - 1000);
    let path = format!("/accounts/{}/restrictions", f.salary.id);
    let (status, arrest) = f
        .admin("POST", &path, json!({"kind": "arrest_amount", "amount": {"amount": arrested, "currency": "KZT"}, "reference": "СГД, распоряжение № 1"}))
        .await;
    assert_eq!(status, 201, "{arrest}");
    let (_, results) = f
        .pay(vec![internal_order(f.salary.id, f.main.id, "1000.00"), internal_order(f.salary.id, f.main.id, "0.01")])
        .await;
    assert_eq!(results[0]["status"], "executed", "what is above the arrest may be spent");
    assert_eq!(results[1]["refusal"]["code"], "account_restricted", "{results:?}");

    let shown = body_json(get_as(&f.test.app, &f.user, &format!("/api/v1{path}")).await).await;
    assert_eq!(shown["items"][0]["kind"], "arrest_amount");
    let other = f.test.sign_in("full", false).await;
    assert_eq!(get_as(&f.test.app, &other, &format!("/api/v1{path}")).await.status(), 404);

    let id = arrest["id"].as_str().expect("id");
    let (status, _) = f.admin("DELETE", &format!("{path}/{id}"), json!({})).await;
    assert_eq!(status, 204);
    let (status, _) = f.admin("DELETE", &format!("{path}/{id}"), json!({})).await;
    assert_eq!(status, 409, "lifted once");
    let (status, _) = f
        .admin("POST", &path, json!({"kind": "debit_suspension", "allowed_kinds": ["budget"], "reference": "СГД № 2"}))
        .await;
    assert_eq!(status, 201);
    let (_, results) = f.pay(vec![internal_order(f.salary.id, f.main.id, "1.00")]).await;
    assert_eq!(results[0]["refusal"]["code"], "account_restricted");
    let (status, _) = f.admin("POST", &path, json!({"kind": "closing", "reference": "заявление клиента"})).await;
    assert_eq!(status, 201);
    let (_, results) = f.pay(vec![internal_order(f.salary.id, f.main.id, "1.00")]).await;
    assert_eq!(results[0]["refusal"]["code"], "account_closed");
    assert!(f.test.store.check_ledger().await.expect("check").is_sound());
}

/// a payment to a payee on the AML list is refused and recorded for the bank; a partner
/// user whose name is on the list is blocked when the list is loaded.
#[tokio::test]
async fn the_aml_list_refuses_payees_and_blocks_users() {
    let f = fixture().await;
    let user = f.test.store.partner_users(f.test.demo.other_partner).await.expect("users")[0].clone();
    let list = json!({"entries": [
        {"name": "Some Person", "taxpayer_id": "180140010005"},
        {"name": user.full_name.to_uppercase()},
    ]});
    let (status, loaded) = f.admin("PUT", "/aml-list", list).await;
    assert_eq!(status, 200, "{loaded}");
    assert_eq!(loaded["users_blocked"], 1);
    let blocked = f.test.store.user(user.id).await.expect("read").expect("user");
    assert!(blocked.block.is_some());

    let (_, results) = f.pay(vec![interbank(f.main.id, "10.00")]).await;
    assert_eq!(results[0]["refusal"]["code"], "aml_match", "{results:?}");
    let (status, bad) = f.admin("PUT", "/aml-list", json!({"entries": [{"name": "", "taxpayer_id": "12"}]})).await;
    assert_eq!(status, 422, "{bad}");
}

fn kzt(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn collection_order(amount_minor: i64, priority: u8, reference: &str) -> Value {
    json!({
        "kind": "collection_order",
        "amount": {"amount": kzt(amount_minor), "currency": "KZT"},
        "priority": priority,
        "creditor": {"name": "РГУ «УГД по Медеускому району»", "taxpayer_id": "180140010005",
            "iban": "KZ806014482455345985", "kbe": "11", "knp": "911", "kbk": "105101"},
        "reference": reference,
    })
}

/// a collection order takes at once what the account has; while it is outstanding the
/// partner's own debits are refused; money that arrives later goes to the outstanding orders by
/// priority (an internal credit through the executor's sweep, an interbank credit at once); a
/// paid-off order is lifted and the partner may pay again. Every collection is one balanced entry
/// to the bank's clearing account.
#[tokio::test]
async fn collection_orders_are_collected_by_priority_as_money_arrives() {
    let f = fixture().await;
    let account = f.test.store.account(f.main.id).await.expect("read").expect("account");
    let available = account.balance.minor() - account.held.minor();
    let clearing = f.test.store.bank_account(AccountKind::BankClearing, Currency::Kzt).await.expect("clearing");
    let clearing_before = f.balance(clearing).await;
    let path = format!("/accounts/{}/restrictions", f.main.id);

    // Owed: everything available plus 400.00.
    let (status, taxes) = f.admin("POST", &path, collection_order(available + 40_000, 3, "УГД, ИР № 17")).await;
    assert_eq!(status, 201, "{taxes}");
    assert_eq!(taxes["collected"]["amount"], kzt(available), "{taxes}");
    assert_eq!(taxes["outstanding"]["amount"], "400.00");
    assert_eq!(taxes["lifted_at"], Value::Null);
    assert_eq!(f.balance(clearing).await, clearing_before + available);
    let (status, alimony) = f.admin("POST", &path, collection_order(10_000, 1, "ЧСИ, ИД № 5")).await;
    assert_eq!(status, 201);
    assert_eq!(alimony["collected"]["amount"], "0.00", "nothing left to collect");

    // The partner's own debit is refused while orders are outstanding.
    let (_, results) = f.pay(vec![internal_order(f.main.id, f.salary.id, "0.01")]).await;
    assert_eq!(results[0]["refusal"]["code"], "account_restricted", "{results:?}");
    assert!(results[0]["refusal"]["reason"].as_str().is_some_and(|reason| reason.contains("collection_order")));

    // 450.00 arrive from the partner's other account: priority 1 first, then priority 3.
    let (_, results) = f.pay(vec![internal_order(f.salary.id, f.main.id, "450.00")]).await;
    assert_eq!(results[0]["status"], "executed", "{results:?}");
    assert_eq!(f.test.app_banking().collect_due().await.expect("sweep"), 2);
    let shown = body_json(get_as(&f.test.app, &f.user, &format!("/api/v1{path}")).await).await;
    let find = |id: &Value| shown["items"].as_array().expect("items").iter().find(|item| item["id"] == *id).cloned();
    let alimony = find(&alimony["id"]).expect("shown to the partner");
    assert_eq!(alimony["collected"]["amount"], "100.00");
    assert_ne!(alimony["lifted_at"], Value::Null, "paid off");
    let taxes = find(&taxes["id"]).expect("shown to the partner");
    assert_eq!(taxes["outstanding"]["amount"], "50.00", "{taxes}");
    assert_eq!(taxes["creditor"]["iban"], "KZ806014482455345985");
    assert_eq!(f.test.app_banking().collect_due().await.expect("sweep"), 0, "nothing more to take");

    // 80.00 from another bank: 50.00 pay the taxes off at once, 30.00 stay with the partner.
    let credit = tiyn_banking::gateway::IncomingCredit {
        message_id: tiyn_payments::MessageId::parse("INCOMING-COLLECT-1").expect("id"),
        payee_iban: account.iban.clone().expect("iban"),
        amount: tiyn_core::Amount::parse("80.00", Currency::Kzt).expect("amount"),
        payer_name: tiyn_payments::PayeeName::parse("ТОО «Покупатель»").expect("name"),
        payer_taxpayer_id: None,
        payer_iban: None,
        purpose: "Оплата по договору 7".to_owned(),
    };
    f.test.app_banking().incoming_credit(&credit).await.expect("credit");
    let now = f.test.store.account(f.main.id).await.expect("read").expect("account");
    assert_eq!(now.balance.minor() - now.held.minor(), 3_000);
    assert!(f.test.store.accounts_to_collect().await.expect("read").is_empty());
    assert_eq!(f.balance(clearing).await, clearing_before + available + 40_000 + 10_000 - 8_000);

    let (_, results) = f.pay(vec![internal_order(f.main.id, f.salary.id, "30.00")]).await;
    assert_eq!(results[0]["status"], "executed", "paid off: the partner pays again: {results:?}");
    assert!(f.test.store.check_ledger().await.expect("check").is_sound());

    // A bad order is refused field by field; another currency than the account's is refused.
    let bad = json!({"kind": "collection_order", "amount": {"amount": "10.00", "currency": "KZT"}, "priority": 0,
        "creditor": {"name": "", "taxpayer_id": "180140010006", "iban": "KZ806014482455345986", "kbe": "3",
            "knp": "999"}, "reference": "x"});
    let (status, problem) = f.admin("POST", &path, bad).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> =
        problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    for field in ["priority", "creditor.name", "creditor.taxpayer_id", "creditor.iban", "creditor.kbe", "creditor.knp"]
    {
        assert!(fields.contains(&field), "{field}: {problem}");
    }
    let mut without_kbk = collection_order(1_000, 2, "x");
    without_kbk["creditor"]["kbk"] = Value::Null;
    let (status, problem) = f.admin("POST", &path, without_kbk).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (422, Some("creditor.kbk")), "{problem}");
    let mut dollars = collection_order(1_000, 2, "x");
    dollars["amount"]["currency"] = json!("USD");
    let (status, problem) = f.admin("POST", &path, dollars).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["code"], "currency_mismatch");
}

/// collections running at once (the sweep of several server processes, an incoming
/// credit) never take more than arrived nor collect an order twice.
#[tokio::test]
async fn concurrent_collections_take_the_money_once() {
    let f = fixture().await;
    let account = f.test.store.account(f.main.id).await.expect("read").expect("account");
    let available = account.balance.minor() - account.held.minor();
    let path = format!("/accounts/{}/restrictions", f.main.id);
    let (status, order) = f.admin("POST", &path, collection_order(available + 100_000, 2, "ЧСИ, ИД № 9")).await;
    assert_eq!(status, 201, "{order}");
    let (_, results) = f.pay(vec![internal_order(f.salary.id, f.main.id, "500.00")]).await;
    assert_eq!(results[0]["status"], "executed", "{results:?}");

    let mut sweeps = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let banking = f.test.app_banking();
        sweeps.spawn(async move { banking.collect_due().await.expect("sweep") });
    }
    let made: usize = sweeps.join_all().await.into_iter().sum();
    assert_eq!(made, 1, "one collection of the 500.00 that arrived");
    let now = f.test.store.account(f.main.id).await.expect("read").expect("account");
    assert_eq!(now.balance.minor() - now.held.minor(), 0);
    let restrictions = f.test.store.account_restrictions(f.main.id).await.expect("read");
    let tiyn_store::rules::RestrictionKind::CollectionOrder(stored) = &restrictions[0].kind else {
        panic!("the order: {restrictions:?}")
    };
    assert_eq!(stored.collected().minor(), available + 50_000);
    assert!(f.test.store.check_ledger().await.expect("check").is_sound());
}

/// Takes every message and remembers it.
#[derive(Default)]
struct RecordingGateway {
    taken: std::sync::Mutex<Vec<(String, String)>>,
}

#[async_trait::async_trait]
impl tiyn_banking::gateway::Gateway for RecordingGateway {
    async fn hand_off(
        &self,
        transfer: &tiyn_payments::iso20022::OutgoingTransfer,
        pacs008: &str,
    ) -> Result<(), String> {
        self.taken.lock().expect("lock").push((transfer.message_id.to_string(), pacs008.to_owned()));
        Ok(())
    }
}

/// money collected for a creditor at another bank leaves as a pacs.008 from the
/// outbox (the partner pays the creditor with the order's KBe, KNP and KBK); the creditor's bank
/// settles it, or rejects it: then the money comes back to the account and the order is returned
/// to its issuer, so it is not collected again. A creditor at this bank is paid directly, with no
/// message. A repeated answer changes nothing.
#[tokio::test]
async fn r_6_1_2_a_collection_leaves_for_the_creditors_bank_or_comes_back() {
    use tiyn_payments::iso20022::{InterbankStatus, TransferStatus, pacs002};
    let f = fixture().await;
    let banking = f.test.app_banking();
    let path = format!("/accounts/{}/restrictions", f.main.id);
    let clearing = f.test.store.bank_account(AccountKind::BankClearing, Currency::Kzt).await.expect("clearing");
    let clearing_before = f.balance(clearing).await;
    let main_before = f.balance(f.main.id).await;
    let salary_before = f.balance(f.salary.id).await;

    let (status, taxes) = f.admin("POST", &path, collection_order(30_000, 1, "УГД, ИР № 21")).await;
    assert_eq!((status, taxes["collected"]["amount"].as_str()), (201, Some("300.00")), "{taxes}");
    assert_eq!(taxes["creditor"]["kbk"], "105101");
    let mut court = collection_order(12_000, 2, "ЧСИ, ИД № 22");
    court["creditor"] = json!({"name": "ТОО «Взыскатель»", "taxpayer_id": "180140010005",
        "iban": "KZ806014482455345985", "kbe": "17", "knp": "710"});
    let (status, court) = f.admin("POST", &path, court).await;
    assert_eq!((status, court["collected"]["amount"].as_str()), (201, Some("120.00")), "{court}");
    // The creditor's account is here: paid to it at once, with no message.
    let mut here = collection_order(5_000, 3, "ЧСИ, ИД № 23");
    here["creditor"] = json!({"name": "ТОО «Свой»", "taxpayer_id": "180140010005",
        "iban": f.salary.iban.as_ref().expect("iban").to_string(), "kbe": "17", "knp": "710"});
    let (status, here) = f.admin("POST", &path, here).await;
    assert_eq!((status, here["lifted_at"].is_null()), (201, false), "paid off at once: {here}");
    assert_eq!(f.balance(f.salary.id).await, salary_before + 5_000);
    assert_eq!(f.balance(clearing).await, clearing_before + 42_000);

    let gateway = RecordingGateway::default();
    assert_eq!(banking.dispatch_outbox(&gateway).await.expect("dispatch"), 2, "the two for the other bank");
    assert_eq!(banking.dispatch_outbox(&gateway).await.expect("dispatch"), 0, "once");
    let taken = gateway.taken.lock().expect("lock").clone();
    let (taxes_message, xml) = taken.iter().find(|(_, xml)| xml.contains("300.00")).expect("the taxes' message");
    for expected in [
        "pacs.008.001.08",
        "<IntrBkSttlmAmt Ccy=\"KZT\">300.00</IntrBkSttlmAmt>",
        "KZ806014482455345985",
        f.main.iban.as_ref().expect("iban").as_str(),
        "105101",
        "911",
        "УГД, ИР № 21",
    ] {
        assert!(xml.contains(expected), "the collection's pacs.008 carries {expected}: {xml}");
    }
    let (court_message, _) = taken.iter().find(|(id, _)| id != taxes_message).expect("the court order's message");

    let at = banking.now();
    let answer = |message: &str, status: InterbankStatus| {
        let message_id = tiyn_payments::MessageId::parse(message).expect("id");
        pacs002(&[TransferStatus::new(message_id, status)], &tiyn_payments::MessageId::parse("GW-1").expect("id"), at)
    };
    let applied = banking.apply_pacs002(&answer(taxes_message, InterbankStatus::Settled)).await.expect("applied");
    assert_eq!(applied[0].1, tiyn_payments::Status::Settled);
    let rejection = InterbankStatus::Rejected { code: Some("AC04".into()), reason: Some("account closed".into()) };
    let applied = banking.apply_pacs002(&answer(court_message, rejection.clone())).await.expect("applied");
    assert_eq!(applied[0].1, tiyn_payments::Status::Refused);
    banking.apply_pacs002(&answer(court_message, rejection)).await.expect("a repeat");
    banking.apply_pacs002(&answer(taxes_message, InterbankStatus::Settled)).await.expect("a repeat");

    // The rejected 120.00 are back; the order went back to its issuer and is not collected again.
    assert_eq!(f.balance(f.main.id).await, main_before - 30_000 - 5_000);
    assert_eq!(f.balance(clearing).await, clearing_before + 30_000);
    let shown = f.test.store.account_restrictions(f.main.id).await.expect("read");
    let court = shown.iter().find(|restriction| restriction.reference == "ЧСИ, ИД № 22").expect("court order");
    assert!(court.lifted_at.is_some(), "returned to its issuer");
    let tiyn_store::rules::RestrictionKind::CollectionOrder(order) = &court.kind else { panic!("{court:?}") };
    assert_eq!(order.collected().minor(), 0, "what came back is no longer collected");
    assert_eq!(banking.collect_due().await.expect("sweep"), 0);
    let returned = f.test.store.collection_by_message(court_message).await.expect("read").expect("collection");
    assert!(
        matches!(&returned.outcome, Some(tiyn_store::rules::CollectionOutcome::Returned { reason, .. }) if reason.contains("AC04")),
        "{returned:?}"
    );
    assert!(f.test.store.check_ledger().await.expect("check").is_sound());
}
