//! The receipt of an executed payment as PDF, through the HTTP API on the demo: an
//! internal transfer is confirmed with its code and executed through the ledger at once, then its
//! receipt is downloaded. Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::body::Body;
use axum::http::Response;
use common::*;
use http_body_util::BodyExt;
use serde_json::{Value, json};

async fn create(test: &TestApp, session: &Session, body: Value) -> Value {
    let response = post_json(&test.app, "/api/v1/payments", Some(session), body).await;
    let status = response.status();
    let body = body_json(response).await;
    assert_eq!(status, 201, "{body}");
    body
}

/// A draft confirmed with the code from the SMS: an internal transfer is executed at once.
async fn executed(test: &TestApp, session: &Session, mobile: &str, body: Value) -> Value {
    let document = create(test, session, body).await;
    let response =
        post_json(&test.app, "/api/v1/signing", Some(session), json!({"payment_ids": [document["id"]]})).await;
    assert_eq!(response.status(), 201);
    let signing = body_json(response).await;
    let uri = format!("/api/v1/signing/{}/confirm", signing["challenge_id"].as_str().expect("challenge"));
    let code = last_code(&test.sms, mobile);
    let response = post_json(&test.app, &uri, Some(session), json!({"code": code})).await;
    let status = response.status();
    let results = body_json(response).await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results["results"][0]["status"], "executed", "{results}");
    document
}

fn receipt_uri(document: &Value) -> String {
    format!("/api/v1/payments/{}/receipt", document["id"].as_str().expect("id"))
}

async fn body_bytes(response: Response<Body>) -> Vec<u8> {
    response.into_body().collect().await.expect("body").to_bytes().to_vec()
}

/// an executed payment's confirmation document downloads as a PDF named after the
/// document's number, in Russian by default and in the other languages on request.
#[tokio::test]
async fn r_5_1_an_executed_payment_has_a_pdf_receipt() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let (_, _, mobile) = f.test.login("confirm", true);
    let document = executed(&f.test, &session, &mobile, internal_order(f.main.id, f.salary.id, "250.50")).await;
    let number = document["number"].as_str().expect("number");

    for uri in [receipt_uri(&document), format!("{}?format=pdf", receipt_uri(&document))] {
        let response = get_as(&f.test.app, &session, &uri).await;
        assert_eq!(response.status(), 200, "{uri}");
        assert_eq!(header(&response, "content-type"), Some("application/pdf"));
        let disposition = format!("attachment; filename=\"payment-{number}.pdf\"");
        assert_eq!(header(&response, "content-disposition"), Some(disposition.as_str()));
        let pdf = body_bytes(response).await;
        assert!(pdf.starts_with(b"%PDF-"), "{:?}", &pdf[..pdf.len().min(16)]);
        assert!(pdf.len() > 1_000, "an A4 page with an embedded font subset: {} bytes", pdf.len());
    }
    for lang in ["kk", "en"] {
        let response = get_as(&f.test.app, &session, &format!("{}?lang={lang}", receipt_uri(&document))).await;
        assert_eq!(response.status(), 200, "{lang}");
        assert!(body_bytes(response).await.starts_with(b"%PDF-"), "{lang}");
    }

    // A user of the `create` level, who cannot confirm, sees the receipt too (it needs ViewPayments).
    let viewer = f.test.sign_in("create", true).await;
    assert_eq!(get_as(&f.test.app, &viewer, &receipt_uri(&document)).await.status(), 200);
}

/// Only PDF is offered; any other format is refused with a stable code.
#[tokio::test]
async fn r_5_1_other_formats_are_unsupported() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let (_, _, mobile) = f.test.login("confirm", true);
    let document = executed(&f.test, &session, &mobile, internal_order(f.main.id, f.salary.id, "10.00")).await;
    let response = get_as(&f.test.app, &session, &format!("{}?format=xlsx", receipt_uri(&document))).await;
    assert_eq!(response.status(), 422);
    let problem = body_json(response).await;
    assert_eq!(problem["code"], "unsupported_format", "{problem}");
    assert_eq!(problem["errors"][0]["field"], "format", "{problem}");
}

/// a document that was not executed has no receipt: a draft answers 409
/// `receipt_not_available`.
#[tokio::test]
async fn r_5_1_a_draft_has_no_receipt() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let draft = create(&f.test, &session, internal_order(f.main.id, f.salary.id, "1.00")).await;
    let response = get_as(&f.test.app, &session, &receipt_uri(&draft)).await;
    assert_eq!(response.status(), 409);
    assert_eq!(header(&response, "content-type"), Some("application/problem+json"));
    let problem = body_json(response).await;
    assert_eq!(problem["code"], "receipt_not_available", "{problem}");
}

/// another partner's user gets 404 for an executed payment's receipt, exactly as
/// for an id that does not exist.
#[tokio::test]
async fn r_5_1_another_partners_user_gets_404() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let (_, _, mobile) = f.test.login("confirm", true);
    let document = executed(&f.test, &session, &mobile, internal_order(f.main.id, f.salary.id, "5.00")).await;
    let other = f.test.sign_in("full", false).await;
    let theirs = get_as(&f.test.app, &other, &receipt_uri(&document)).await;
    assert_eq!(theirs.status(), 404);
    let unknown = get_as(&f.test.app, &other, "/api/v1/payments/987654321/receipt").await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(body_text(theirs).await, body_text(unknown).await, "another partner's id reads like an unknown one");
    // Whatever the parameters say.
    let foreign = get_as(&f.test.app, &other, &format!("{}?format=xlsx", receipt_uri(&document))).await;
    assert_eq!(foreign.status(), 404);
}
