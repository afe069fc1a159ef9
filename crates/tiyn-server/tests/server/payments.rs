//! Payment documents and their confirmation with one code, through the HTTP API, on the demo
//! (issue 4). Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use common::*;
use serde_json::{Value, json};
use tiyn_core::AccountId;

async fn create(test: &TestApp, session: &Session, body: Value) -> Value {
    let response = post_json(&test.app, "/api/v1/payments", Some(session), body).await;
    let status = response.status();
    let body = body_json(response).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "draft");
    body
}

async fn balance(test: &TestApp, account: AccountId) -> i64 {
    test.store.account(account).await.expect("read").expect("account").balance.minor()
}

async fn open_signing(test: &TestApp, session: &Session, ids: &[&Value]) -> (u16, Value) {
    let ids: Vec<&Value> = ids.iter().map(|document| &document["id"]).collect();
    let response = post_json(&test.app, "/api/v1/signing", Some(session), json!({"payment_ids": ids})).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

async fn confirm(test: &TestApp, session: &Session, signing: &Value, code: &str) -> (u16, Value) {
    let uri = format!("/api/v1/signing/{}/confirm", signing["challenge_id"].as_str().expect("challenge"));
    let response = post_json(&test.app, &uri, Some(session), json!({"code": code})).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

/// R-3.1.1.2, R-6.1.3: a draft is created with the partner's next number; a wrong document is
/// refused with every problem at once, each naming its field and a stable code.
#[tokio::test]
async fn drafts_are_numbered_and_bad_documents_list_every_error() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let first = create(&f.test, &session, internal_order(f.main.id, f.salary.id, "100.00")).await;
    let second = create(&f.test, &session, internal_order(f.main.id, f.salary.id, "200.00")).await;
    assert_eq!(first["number"], "1");
    assert_eq!(second["number"], "2");
    assert_eq!(first["amount"], json!({"amount": "100.00", "currency": "KZT"}));

    let bad = json!({
        "kind": "interbank",
        "payer_account": f.main.id.to_string(),
        "amount": {"amount": "10.001", "currency": "KZT"},
        "knp": "000",
        "purpose": "Оплата",
        "value_date": "2026-01-12",
        "payee_name": "ТОО Получатель",
        "payee_bin": "123456789012",
        "payee_iban": "KZ00125KZT1001300335",
        "kbe": "17",
    });
    let response = post_json(&f.test.app, "/api/v1/payments", Some(&session), bad).await;
    assert_eq!(response.status(), 422);
    let problem = body_json(response).await;
    let fields: Vec<&str> =
        problem["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().unwrap_or("")).collect();
    for field in ["amount.amount", "knp", "payee_bin", "payee_iban"] {
        assert!(fields.contains(&field), "{field} is reported: {problem}");
    }

    // A JSON number for an amount is refused: no client sends a float.
    let mut float = internal_order(f.main.id, f.salary.id, "1.00");
    float["amount"]["amount"] = json!(1.5);
    let response = post_json(&f.test.app, "/api/v1/payments", Some(&session), float).await;
    assert_eq!(response.status(), 422);
    let problem = body_json(response).await;
    assert_eq!(
        (problem["errors"][0]["field"].clone(), problem["code"].clone()),
        (json!("amount.amount"), json!("invalid_amount"))
    );
}

/// another partner's account is refused as payer and as payee exactly like an unknown
/// one, and another partner's document answers 404.
#[tokio::test]
async fn another_partners_accounts_and_documents_are_unknown() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let response = post_json(
        &f.test.app,
        "/api/v1/payments",
        Some(&session),
        internal_order(f.other_partner.id, f.main.id, "1.00"),
    )
    .await;
    let theirs = body_json(response).await;
    let response = post_json(
        &f.test.app,
        "/api/v1/payments",
        Some(&session),
        internal_order(AccountId::new(999_999), f.main.id, "1.00"),
    )
    .await;
    let unknown = body_json(response).await;
    assert_eq!(theirs["errors"][0]["code"], "account_not_found");
    assert_eq!(theirs["errors"], unknown["errors"], "another partner's account reads like an unknown one");

    let other = f.test.sign_in("confirm", false).await;
    let document = create(&f.test, &session, internal_order(f.main.id, f.salary.id, "1.00")).await;
    let uri = format!("/api/v1/payments/{}", document["id"].as_str().expect("id"));
    assert_eq!(get_as(&f.test.app, &other, &uri).await.status(), 404);
    assert_eq!(get_as(&f.test.app, &session, &uri).await.status(), 200);
    // An internal transfer stays in one currency: a conversion is another document.
    let response =
        post_json(&f.test.app, "/api/v1/payments", Some(&session), internal_order(f.main.id, f.usd.id, "1.00")).await;
    let problem = body_json(response).await;
    assert_eq!(problem["code"], "account_currency_mismatch", "{problem}");
}

/// R-3.1.1.1: one code confirms a batch; the summary and the SMS name the
/// count and the total; every document is executed through the ledger at once and the ledger
/// stays balanced.
#[tokio::test]
async fn one_code_confirms_a_batch_and_moves_the_money() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let (_, _, mobile) = f.test.login("confirm", true);
    let documents = [
        create(&f.test, &session, internal_order(f.main.id, f.salary.id, "100.00")).await,
        create(&f.test, &session, internal_order(f.main.id, f.salary.id, "250.50")).await,
        create(&f.test, &session, internal_order(f.salary.id, f.main.id, "0.50")).await,
    ];
    let main_before = balance(&f.test, f.main.id).await;
    let salary_before = balance(&f.test, f.salary.id).await;

    let (status, signing) = open_signing(&f.test, &session, &documents.iter().collect::<Vec<_>>()).await;
    assert_eq!(status, 201, "{signing}");
    assert_eq!(signing["count"], 3);
    assert_eq!(signing["totals"], json!([{"amount": "351.00", "currency": "KZT"}]));
    assert_eq!(signing["commission"], json!([{"amount": "0.00", "currency": "KZT"}]));
    assert_eq!(signing["digest"].as_str().map(str::len), Some(64));
    let sms = f.test.sms.last_text_to(&mobile).expect("a code was sent");
    assert!(sms.contains("3 док.") && sms.contains("351.00 KZT"), "the SMS names count and total: {sms}");
    for document in &documents {
        let uri = format!("/api/v1/payments/{}", document["id"].as_str().expect("id"));
        assert_eq!(body_json(get_as(&f.test.app, &session, &uri).await).await["status"], "awaiting_confirmation");
    }

    let (status, _) = confirm(&f.test, &session, &signing, "000000").await;
    assert_eq!(status, 401, "a wrong code confirms nothing");
    let code = last_code(&f.test.sms, &mobile);
    let (status, results) = confirm(&f.test, &session, &signing, &code).await;
    assert_eq!(status, 200, "{results}");
    let results = results["results"].as_array().expect("results").clone();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|result| result["status"] == "executed"), "{results:?}");

    assert_eq!(balance(&f.test, f.main.id).await, main_before - 35_050 + 50);
    assert_eq!(balance(&f.test, f.salary.id).await, salary_before + 35_050 - 50);
    let check = f.test.store.check_ledger().await.expect("check");
    assert!(check.is_sound(), "{check:?}");

    // The evidence is in the audit trail and the code cannot be used twice.
    let (status, again) = confirm(&f.test, &session, &signing, &code).await;
    assert_ne!(status, 200, "{again}");
    let uri = format!("/api/v1/payments/{}", documents[0]["id"].as_str().expect("id"));
    let shown = body_json(get_as(&f.test.app, &session, &uri).await).await;
    assert_eq!(shown["status"], "executed");
    assert!(shown["entry_id"].is_string() && shown["confirmed_by"].is_string(), "{shown}");
}

/// a document changed after the code was issued makes the whole confirmation fail,
/// and nothing moves.
#[tokio::test]
async fn a_document_altered_after_the_code_was_issued_is_refused() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let (_, _, mobile) = f.test.login("confirm", true);
    let first = create(&f.test, &session, internal_order(f.main.id, f.salary.id, "100.00")).await;
    let second = create(&f.test, &session, internal_order(f.main.id, f.salary.id, "200.00")).await;
    let (status, signing) = open_signing(&f.test, &session, &[&first, &second]).await;
    assert_eq!(status, 201);
    let code = last_code(&f.test.sms, &mobile);
    let uri = format!("/api/v1/payments/{}", second["id"].as_str().expect("id"));
    let edited =
        request_json(&f.test.app, "PATCH", &uri, Some(&session), internal_order(f.main.id, f.salary.id, "2000.00"))
            .await;
    assert_eq!(edited.status(), 200);
    let before = balance(&f.test, f.main.id).await;

    let (status, problem) = confirm(&f.test, &session, &signing, &code).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["code"], "document_changed");
    assert_eq!(balance(&f.test, f.main.id).await, before, "nothing moved");
    let shown = body_json(get_as(&f.test.app, &session, &uri).await).await;
    assert_eq!(shown["status"], "draft");
    assert_eq!(shown["amount"]["amount"], "2000.00");
}

/// a document the available balance does not cover is refused with
/// `insufficient_funds` and its reason; the others of the batch are executed.
#[tokio::test]
async fn a_document_without_funds_is_refused_with_its_reason() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let (_, _, mobile) = f.test.login("confirm", true);
    let salary = balance(&f.test, f.salary.id).await;
    let too_much = format!("{}.00", salary / 100 + 1);
    let covered = create(&f.test, &session, internal_order(f.salary.id, f.main.id, "10.00")).await;
    let uncovered = create(&f.test, &session, internal_order(f.salary.id, f.main.id, &too_much)).await;
    let (_, signing) = open_signing(&f.test, &session, &[&covered, &uncovered]).await;
    let code = last_code(&f.test.sms, &mobile);
    let (status, results) = confirm(&f.test, &session, &signing, &code).await;
    assert_eq!(status, 200, "{results}");
    let by_id = |document: &Value| {
        results["results"]
            .as_array()
            .and_then(|results| results.iter().find(|result| result["payment_id"] == document["id"]).cloned())
            .expect("a result per document")
    };
    assert_eq!(by_id(&covered)["status"], "executed");
    assert_eq!(by_id(&uncovered)["status"], "refused");
    assert_eq!(by_id(&uncovered)["refusal"]["code"], "insufficient_funds");
    let uri = format!("/api/v1/payments/{}", uncovered["id"].as_str().expect("id"));
    let shown = body_json(get_as(&f.test.app, &session, &uri).await).await;
    assert_eq!(shown["refusal"]["code"], "insufficient_funds");
    assert!(shown["refusal"]["reason"].as_str().is_some_and(|reason| !reason.is_empty()));
    assert_eq!(balance(&f.test, f.salary.id).await, salary - 1_000);
    let list = body_json(get_as(&f.test.app, &session, "/api/v1/payments?status=refused").await).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
}

/// a user of the `create` level prepares documents but cannot confirm them.
#[tokio::test]
async fn the_create_level_cannot_confirm() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("create", true).await;
    let document = create(&f.test, &session, internal_order(f.main.id, f.salary.id, "1.00")).await;
    let (status, problem) = open_signing(&f.test, &session, &[&document]).await;
    assert_eq!(status, 403, "{problem}");
}

/// a batch is confirmed with the marker's code instead of an SMS; the code
/// is bound to the batch on the server's side, accepted once, and another user's marker does not
/// confirm it.
#[tokio::test]
async fn the_marker_confirms_a_batch() {
    use tiyn_auth::totp;
    use tiyn_identity::Clock;
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let enrolled = body_json(post_json(&f.test.app, "/api/v1/me/markers", Some(&session), json!({})).await).await;
    let uri = enrolled["otpauth_uri"].as_str().expect("uri");
    let secret = uri.split("secret=").nth(1).and_then(|rest| rest.split('&').next()).expect("secret");
    let secret = totp::secret_from_base32(secret).expect("base32");
    let serial = enrolled["serial"].as_str().expect("serial");
    let code = totp::code_at(&secret, f.test.clock.now()).expect("code");
    let activated =
        post_json(&f.test.app, &format!("/api/v1/me/markers/{serial}/activate"), Some(&session), json!({"code": code}))
            .await;
    assert_eq!(activated.status(), 204);

    let document = create(&f.test, &session, internal_order(f.main.id, f.salary.id, "10.00")).await;
    let sms_before = f.test.sms.messages().len();
    let response = post_json(
        &f.test.app,
        "/api/v1/signing",
        Some(&session),
        json!({"payment_ids": [document["id"].clone()], "channel": "marker"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let signing = body_json(response).await;
    assert_eq!(signing["channel"], "marker");
    assert_eq!(f.test.sms.messages().len(), sms_before, "nothing is sent");

    // The code of the last step was spent on activation: the next step's code confirms.
    f.test.clock.advance(jiff::SignedDuration::from_secs(30));
    let (status, _) = confirm(&f.test, &session, &signing, "123456").await;
    assert_eq!(status, 401, "a wrong marker code confirms nothing");
    let code = totp::code_at(&secret, f.test.clock.now()).expect("code");
    let (status, results) = confirm(&f.test, &session, &signing, &code).await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results["results"][0]["status"], "executed");
    let (status, _) = confirm(&f.test, &session, &signing, &code).await;
    assert_ne!(status, 200, "used once");

    // Without a marker the channel is refused.
    let other = f.test.sign_in("full", true).await;
    let mine = create(&f.test, &other, internal_order(f.main.id, f.salary.id, "1.00")).await;
    let response = post_json(
        &f.test.app,
        "/api/v1/signing",
        Some(&other),
        json!({"payment_ids": [mine["id"].clone()], "channel": "marker"}),
    )
    .await;
    assert_eq!(response.status(), 422);
}
