//! Templates of frequent payments through the HTTP API (issue 4, R-3.1.1.2): a named,
//! partner-wide set of a payment document's fields that a user turns into a new draft with
//! today's default value date. Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use common::*;
use serde_json::{Value, json};

/// An interbank payment to a supplier, without an amount.
fn supplier(f: &PaymentAccounts, name: &str) -> Value {
    json!({
        "name": name,
        "kind": "interbank",
        "payer_account": f.main.id.to_string(),
        "knp": "710",
        "purpose": "Оплата по договору поставки",
        "payee_name": "ТОО Поставщик",
        "payee_bin": "180140010005",
        "payee_iban": "KZ806014482455345985",
        "kbe": "17",
    })
}

async fn save(test: &TestApp, session: &Session, body: Value) -> (u16, Value) {
    let response = post_json(&test.app, "/api/v1/payment-templates", Some(session), body).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

/// R-3.1.1.2: a template is saved without an amount, listed, and turned into a draft with the
/// given amount and today's default value date; the template keeps no value date and no
/// placeholder amount.
#[tokio::test]
async fn r_3_1_1_2_a_template_becomes_a_draft_with_an_amount() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let (status, template) = save(&f.test, &session, supplier(&f, "Поставщик")).await;
    assert_eq!(status, 201, "{template}");
    assert_eq!(template["name"], "Поставщик");
    assert_eq!(template["amount"], Value::Null, "no placeholder amount is stored: {template}");
    assert_eq!(template["currency"], "KZT", "the payer account's currency: {template}");
    assert_eq!(template["payee_iban"], "KZ806014482455345985");
    assert!(template.get("value_date").is_none(), "a template has no value date: {template}");

    let response = get_as(&f.test.app, &session, "/api/v1/payment-templates").await;
    assert_eq!(response.status(), 200);
    let list = body_json(response).await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    assert_eq!(list["items"][0]["id"], template["id"]);

    let id = template["id"].as_str().expect("id");
    let uri = format!("/api/v1/payment-templates/{id}/payments");
    // Without an amount the draft cannot be made: the field says so.
    let response = post_json(&f.test.app, &uri, Some(&session), json!({})).await;
    assert_eq!(response.status(), 422);
    let problem = body_json(response).await;
    assert_eq!(problem["errors"].as_array().map(Vec::len), Some(1), "{problem}");
    assert_eq!(problem["errors"][0]["field"], "amount.amount", "{problem}");

    let response =
        post_json(&f.test.app, &uri, Some(&session), json!({"amount": {"amount": "1500.00", "currency": "KZT"}})).await;
    assert_eq!(response.status(), 201);
    let draft = body_json(response).await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["kind"], "interbank");
    assert_eq!(draft["amount"], json!({"amount": "1500.00", "currency": "KZT"}));
    assert_eq!(draft["value_date"], "2026-01-12");
    assert_eq!(draft["payee_bin"], "180140010005");
    assert_eq!(draft["knp"], "710");
    assert_eq!(draft["purpose"], "Оплата по договору поставки");

    // The draft is an ordinary one.
    let document = format!("/api/v1/payments/{}", draft["id"].as_str().expect("id"));
    assert_eq!(get_as(&f.test.app, &session, &document).await.status(), 200);
}

/// R-3.1.1.2: a template with an amount gives it to its drafts (an empty body is allowed), on the
/// next working day's value date when banks do not work today; a template is deleted.
#[tokio::test]
async fn r_3_1_1_2_a_templates_amount_is_the_default_and_it_can_be_deleted() {
    let f = payment_accounts().await;
    // Saturday 2026-01-17: a draft starts on Monday.
    f.test.clock.set("2026-01-17T05:00:00Z".parse().expect("instant"));
    let session = f.test.sign_in("confirm", true).await;
    let body = json!({
        "name": "Зарплатный счёт",
        "kind": "internal",
        "payer_account": f.main.id.to_string(),
        "payee_account": f.salary.id.to_string(),
        "amount": {"amount": "250.00", "currency": "KZT"},
        "knp": "343",
        "purpose": "Перевод между своими счетами",
    });
    let (status, template) = save(&f.test, &session, body).await;
    assert_eq!(status, 201, "{template}");
    assert_eq!(template["amount"], json!({"amount": "250.00", "currency": "KZT"}));
    let id = template["id"].as_str().expect("id").to_owned();

    let uri = format!("/api/v1/payment-templates/{id}/payments");
    let request = axum::http::Request::post(&uri)
        .header("authorization", format!("Bearer {}", session.token))
        .body(axum::body::Body::empty())
        .expect("request");
    let response = send(&f.test.app, request).await;
    assert_eq!(response.status(), 201);
    let draft = body_json(response).await;
    assert_eq!(draft["amount"], json!({"amount": "250.00", "currency": "KZT"}));
    assert_eq!(draft["value_date"], "2026-01-19");
    assert_eq!(draft["payee_account"], f.salary.id.to_string());

    let response =
        request_json(&f.test.app, "DELETE", &format!("/api/v1/payment-templates/{id}"), Some(&session), json!(null))
            .await;
    assert_eq!(response.status(), 204);
    let list = body_json(get_as(&f.test.app, &session, "/api/v1/payment-templates").await).await;
    assert_eq!(list["items"], json!([]));
    assert_eq!(post_json(&f.test.app, &uri, Some(&session), json!({})).await.status(), 404);
}

/// R-3.1.1.2: a name is unique per partner (409), and a template with a bad IBAN is refused
/// with the field error, like a draft.
#[tokio::test]
async fn r_3_1_1_2_duplicate_names_and_bad_requisites_are_refused() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let (status, _) = save(&f.test, &session, supplier(&f, "Поставщик")).await;
    assert_eq!(status, 201);
    let (status, problem) = save(&f.test, &session, supplier(&f, "  Поставщик ")).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["code"], "template_name_taken");

    let mut bad = supplier(&f, "Плохой IBAN");
    bad["payee_iban"] = json!("KZ00125KZT1001300335");
    let (status, problem) = save(&f.test, &session, bad).await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> =
        problem["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().unwrap_or("")).collect();
    assert!(fields.contains(&"payee_iban"), "{problem}");
    assert!(!fields.contains(&"amount.amount") && !fields.contains(&"value_date"), "no placeholder speaks: {problem}");

    let mut nameless = supplier(&f, " ");
    nameless["knp"] = json!("000");
    let (status, problem) = save(&f.test, &session, nameless).await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> =
        problem["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().unwrap_or("")).collect();
    assert!(fields.contains(&"name") && fields.contains(&"knp"), "every problem at once: {problem}");
    let list = body_json(get_as(&f.test.app, &session, "/api/v1/payment-templates").await).await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
}

/// another partner's template answers 404 exactly like an unknown one, and is not
/// listed; another partner's account cannot be a template's payer.
#[tokio::test]
async fn r_3_1_1_2_another_partners_templates_are_unknown() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let (status, template) = save(&f.test, &session, supplier(&f, "Поставщик")).await;
    assert_eq!(status, 201);
    let id = template["id"].as_str().expect("id");

    let other = f.test.sign_in("confirm", false).await;
    let theirs = format!("/api/v1/payment-templates/{id}/payments");
    let unknown = "/api/v1/payment-templates/999999/payments";
    let amount = json!({"amount": {"amount": "1.00", "currency": "KZT"}});
    let response = post_json(&f.test.app, &theirs, Some(&other), amount.clone()).await;
    assert_eq!(response.status(), 404);
    let foreign = body_text(response).await;
    let response = post_json(&f.test.app, unknown, Some(&other), amount).await;
    assert_eq!(body_text(response).await, foreign, "another partner's template reads like an unknown one");
    let response =
        request_json(&f.test.app, "DELETE", &format!("/api/v1/payment-templates/{id}"), Some(&other), json!(null))
            .await;
    assert_eq!(response.status(), 404);
    let list = body_json(get_as(&f.test.app, &other, "/api/v1/payment-templates").await).await;
    assert_eq!(list["items"], json!([]));

    let their_account = f.test.store.partner_accounts(f.test.demo.other_partner).await.expect("accounts")[0].id;
    let mut foreign_payer = supplier(&f, "Чужой счёт");
    foreign_payer["payer_account"] = json!(their_account.to_string());
    let (status, problem) = save(&f.test, &session, foreign_payer).await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["code"], "account_not_found", "{problem}");
    // The owner's template is still there.
    let list = body_json(get_as(&f.test.app, &session, "/api/v1/payment-templates").await).await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
}
