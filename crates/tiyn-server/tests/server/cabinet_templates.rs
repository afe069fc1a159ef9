//! Templates of frequent payments in the cabinet (issue 4, R-3.1.1.2), as a browser uses them:
//! "save as template" on the payment form, the templates page with "create a document" and
//! deletion. Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::http::StatusCode;
use common::*;
use tiyn_core::AccountId;

type Fixture = CabinetDay;

async fn fixture(level: &str) -> Fixture {
    cabinet_on_payment_day(level).await
}

/// The payment form's fields of an internal transfer without an amount, saved as `name`.
fn transfer(from: AccountId, to: AccountId, name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "internal".to_owned()),
        ("payer_account", from.to_string()),
        ("payee_account", to.to_string()),
        ("payee_name", String::new()),
        ("payee_bin", String::new()),
        ("payee_iban", String::new()),
        ("payee_bic", String::new()),
        ("kbe", String::new()),
        ("kbk", String::new()),
        ("amount", String::new()),
        ("currency", "KZT".to_owned()),
        ("knp", "343".to_owned()),
        ("purpose", "Пополнение зарплатного счёта".to_owned()),
        ("value_date", "2026-01-12".to_owned()),
        ("template_name", name.to_owned()),
    ]
}

fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(name, value)| (*name, value.as_str())).collect()
}

async fn page(f: &Fixture, uri: &str) -> (StatusCode, String) {
    f.browser.page(&f.test.app, uri).await
}

/// The id of the template row named `name` on the templates page.
fn template_id(html: &str, name: &str) -> String {
    let row = html
        .split("<tr data-template-id=\"")
        .skip(1)
        .find(|row| row.contains(&format!("<th scope=\"row\">{name}</th>")))
        .unwrap_or_else(|| panic!("no template {name} in {html}"));
    row.split('"').next().unwrap_or_default().to_owned()
}

/// R-3.1.1.2: the payment form saves its fields as a template (without an amount); the templates
/// page, linked from the list, lists it; "create a document" with a typed amount makes a draft
/// dated today; a template is deleted.
#[tokio::test]
async fn r_3_1_1_2_a_template_is_saved_from_the_form_and_used() {
    let f = fixture("confirm").await;
    let (_, list) = page(&f, "/payments").await;
    assert!(list.contains("href=\"/payments/templates\""), "the list links to the templates");
    let (_, form) = page(&f, "/payments/new").await;
    assert!(form.contains("formaction=\"/payments/templates\"") && form.contains("name=\"template_name\""), "{form}");
    let (status, empty) = page(&f, "/payments/templates").await;
    assert_eq!(status, StatusCode::OK);
    assert!(empty.contains("id=\"no-templates\""), "{empty}");

    let fields = transfer(f.main.id, f.salary.id, "Зарплата");
    let response = f.browser.post(&f.test.app, "/payments/templates", &pairs(&fields)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", body_text(response).await);
    assert_eq!(location(&response).as_deref(), Some("/payments/templates?done=saved"));
    let (status, listed) = page(&f, "/payments/templates?done=saved").await;
    assert_eq!(status, StatusCode::OK);
    assert!(listed.contains("Шаблон сохранён."), "{listed}");
    assert_no_inline_code(&listed);
    let id = template_id(&listed, "Зарплата");

    // The same name again: the form comes back with the reason.
    let response = f.browser.post(&f.test.app, "/payments/templates", &pairs(&fields)).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let refused = body_text(response).await;
    assert!(refused.contains("Шаблон с таким названием уже есть."), "{refused}");
    assert!(refused.contains("value=\"Зарплата\""), "the typed name is kept: {refused}");

    // Without an amount no draft is made; with one it is, dated today.
    let uri = format!("/payments/templates/{id}/use");
    let response = f.browser.post(&f.test.app, &uri, &[("amount", ""), ("currency", "KZT")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = f.browser.post(&f.test.app, &uri, &[("amount", "2 000"), ("currency", "KZT")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", body_text(response).await);
    let target = location(&response).expect("the draft's page");
    let draft = target.strip_prefix("/payments/").and_then(|rest| rest.strip_suffix("?done=created")).expect("draft");
    let (status, shown) = page(&f, &target).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text_of(&shown, "payment-status"), "Черновик");
    assert_eq!(text_of(&shown, "payment-amount"), "2\u{202F}000,00\u{A0}₸");
    let session = tiyn_store::payments::PaymentQuery { limit: 10, ..Default::default() };
    let documents = f.test.store.payments(f.test.demo.partner, session).await.expect("documents");
    let document = documents.iter().find(|document| document.id.to_string() == draft).expect("the draft");
    assert_eq!(document.value_date.to_string(), "2026-01-12");
    assert_eq!(document.fields.purpose.as_deref(), Some("Пополнение зарплатного счёта"));

    let response = f.browser.post(&f.test.app, &format!("/payments/templates/{id}/delete"), &[]).await;
    assert_eq!(location(&response).as_deref(), Some("/payments/templates?done=deleted"));
    let (_, after) = page(&f, "/payments/templates?done=deleted").await;
    assert!(after.contains("Шаблон удалён.") && after.contains("id=\"no-templates\""), "{after}");
}

/// R-3.1.1.2, R-6.1.3: a template with a bad field or without a name is not saved; the form
/// shows every problem next to its field.
#[tokio::test]
async fn r_3_1_1_2_a_bad_template_is_refused_on_the_form() {
    let f = fixture("confirm").await;
    let mut fields = transfer(f.main.id, f.salary.id, " ");
    fields[11].1 = "000".to_owned(); // knp
    let response = f.browser.post(&f.test.app, "/payments/templates", &pairs(&fields)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = body_text(response).await;
    assert!(refused.contains("Шаблон не сохранён"), "{refused}");
    assert!(refused.contains("Название шаблона — от 1 до 100 символов."), "{refused}");
    assert!(!text_of(&refused, "knp-error").is_empty(), "the KNP's message: {refused}");
    let templates = f.test.store.payment_templates(f.test.demo.partner).await.expect("templates");
    assert!(templates.is_empty());
}
