//! The cabinet's payment documents through the whole stack, as a browser uses them: the form
//! (R-3.1.1.2) with every field's message next to the field, the confirmation of a
//! selection with one SMS code bound to the documents' content, and a refusal with
//! its reason. Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::http::StatusCode;
use common::*;
use tiyn_core::AccountId;

type Fixture = CabinetDay;

/// The demo on its payment day, and the user of `level` signed in through the pages.
async fn fixture(level: &str) -> Fixture {
    let f = cabinet_on_payment_day(level).await;
    assert_eq!(f.home, "/accounts");
    f
}

/// The fields of an internal transfer as the form posts them (an interbank payee's inputs empty).
fn transfer(from: AccountId, to: AccountId, amount: &str) -> Vec<(&'static str, String)> {
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
        ("amount", amount.to_owned()),
        ("currency", "KZT".to_owned()),
        ("knp", "343".to_owned()),
        ("purpose", "Перевод между своими счетами".to_owned()),
        ("value_date", "2026-01-12".to_owned()),
    ]
}

fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(name, value)| (*name, value.as_str())).collect()
}

/// Creates a draft through the form; answers its id.
async fn create_draft(f: &Fixture, from: AccountId, to: AccountId, amount: &str) -> String {
    let response = f.browser.post(&f.test.app, "/payments", &pairs(&transfer(from, to, amount))).await;
    let status = response.status();
    let target = location(&response);
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", body_text(response).await);
    let target = target.expect("a redirect to the draft");
    let id = target
        .strip_prefix("/payments/")
        .and_then(|rest| rest.strip_suffix("?done=created"))
        .unwrap_or_else(|| panic!("{target}"));
    id.to_owned()
}

async fn page(f: &Fixture, uri: &str) -> (StatusCode, String) {
    f.browser.page(&f.test.app, uri).await
}

async fn balance(test: &TestApp, account: AccountId) -> i64 {
    test.store.account(account).await.expect("read").expect("account").balance.minor()
}

/// Ticks `ids` on the list and asks for the code: answers the confirmation page.
async fn open_signing(f: &Fixture, ids: &[&str]) -> (StatusCode, String) {
    let fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", *id)).collect();
    let response = f.browser.post(&f.test.app, "/payments/signing", &fields).await;
    (response.status(), body_text(response).await)
}

/// Types `code` on the confirmation page `signing`.
async fn confirm(f: &Fixture, signing: &str, code: &str) -> (StatusCode, String) {
    let fields = [
        ("challenge_id", input_value(signing, "challenge_id")),
        ("sent_to", input_value(signing, "sent_to")),
        ("expires_at", input_value(signing, "expires_at")),
        ("code", code.to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let response = f.browser.post(&f.test.app, "/payments/signing/confirm", &fields).await;
    (response.status(), body_text(response).await)
}

/// The `data-status` of the result row of document `id`.
fn row_status(html: &str, id: &str) -> String {
    let marker = format!("data-payment-id=\"{id}\" data-status=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no row for {id} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap_or_default().to_owned()
}

/// R-3.1.1.2: the navigation leads to the documents; the form starts as an internal transfer
/// dated today (a working day) from the first account; a draft saved through it gets its number
/// and shows on its page and in the list, with a checkbox for the confirmer.
#[tokio::test]
async fn r_3_1_1_2_a_draft_is_created_through_the_form() {
    let f = fixture("confirm").await;
    let (_, accounts) = page(&f, "/accounts").await;
    assert!(accounts.contains("href=\"/payments\""), "the navigation links to the documents");

    let (status, form) = page(&f, "/payments/new").await;
    assert_eq!(status, StatusCode::OK);
    assert_no_inline_code(&form);
    assert!(form.contains("name=\"value_date\" type=\"date\" value=\"2026-01-12\""), "today by default: {form}");
    assert!(form.contains("<option value=\"internal\" selected>"), "{form}");
    assert!(form.contains(&format!("<option value=\"{}\" selected>", f.main.id)), "the first account pays");
    assert!(form.contains("hx-post=\"/payments/validate\""), "the live check");

    let id = create_draft(&f, f.main.id, f.salary.id, "1 500,5").await;
    let (status, shown) = page(&f, &format!("/payments/{id}?done=created")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(shown.contains("Черновик создан."), "{shown}");
    assert_eq!(text_of(&shown, "payment-status"), "Черновик");
    assert_eq!(text_of(&shown, "payment-amount"), "1\u{202F}500,50\u{A0}₸", "typed as people write it, kept exact");
    assert_eq!(text_of(&shown, "payment-commission"), "Определяется при подтверждении");
    assert!(shown.contains(&format!("href=\"/payments/{id}/edit\"")) && shown.contains("id=\"delete-payment\""));
    assert_no_inline_code(&shown);

    let (_, list) = page(&f, "/payments").await;
    assert!(list.contains(&format!("name=\"ids\" value=\"{id}\"")), "a draft can be ticked: {list}");
    assert!(list.contains("id=\"confirm-selected\""));
    let (_, english) = page(&f, "/payments?lang=en").await;
    assert!(english.contains("Payment documents") && english.contains("1,500.50"), "{english}");
}

/// a wrong document is shown again with every problem next to its field, in the page's
/// language, and with what was typed; the live check answers the same messages for htmx to swap
/// in, leaving alone the fields not filled in yet.
#[tokio::test]
async fn r_6_1_3_a_form_with_errors_shows_each_fields_message() {
    let f = fixture("create").await;
    let mut fields = transfer(f.main.id, f.main.id, "10.001");
    for (name, value) in &mut fields {
        match *name {
            "value_date" => *value = "2026-01-17".to_owned(),
            "knp" => *value = "12".to_owned(),
            _ => {}
        }
    }
    let response = f.browser.post(&f.test.app, "/payments", &pairs(&fields)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(response).await;
    assert_no_inline_code(&html);
    assert!(html.contains("Документ не сохранён: исправьте отмеченные поля."), "{html}");
    assert_eq!(text_of(&html, "amount-error"), "Слишком много знаков после запятой");
    assert_eq!(text_of(&html, "knp-error"), "КНП — три цифры");
    assert_eq!(text_of(&html, "payee_account-error"), "Счёт получателя совпадает со счётом плательщика");
    assert_eq!(text_of(&html, "value_date-error"), "Выходной день: платежи исполняются в рабочие дни");
    assert_eq!(text_of(&html, "purpose-error"), "", "a good field has no message");
    assert!(html.contains("name=\"amount\" value=\"10.001\""), "what was typed is kept");

    let response = f.browser.post(&f.test.app, "/payments?lang=en", &pairs(&fields)).await;
    let html = body_text(response).await;
    assert_eq!(text_of(&html, "amount-error"), "Too many decimal places");

    // The live check: what was typed wrong, not what is not typed yet.
    let live =
        [("kind", "internal"), ("payer_account", &f.main.id.to_string()), ("amount", "5,555"), ("currency", "KZT")]
            .map(|(name, value)| (name, value.to_owned()));
    let live: Vec<(&str, &str)> = live.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let response = f.browser.post(&f.test.app, "/payments/validate", &live).await;
    assert_eq!(response.status(), StatusCode::OK);
    let fragment = body_text(response).await;
    assert!(
        fragment.contains("id=\"amount-error\" hx-swap-oob=\"true\">Слишком много знаков после запятой<"),
        "{fragment}"
    );
    assert!(fragment.contains("id=\"knp-error\" hx-swap-oob=\"true\"><"), "not typed yet: {fragment}");
    assert!(!fragment.contains("<html"), "a fragment, not a page");
    let query = tiyn_store::payments::PaymentQuery { limit: 10, ..Default::default() };
    let saved = f.test.store.payments(f.test.demo.partner, query).await.expect("read");
    assert!(saved.is_empty(), "a refused form saves nothing: {saved:?}");
}

/// two drafts ticked on the list are confirmed with one code. The confirmation
/// page shows the count, the total and the commission and where the code went; a wrong code
/// shows the page again with the error; the code from the SMS executes both, and each document
/// then shows who confirmed it, when, and the digest of its content.
#[tokio::test]
async fn r_4_11_one_code_confirms_a_selection_of_two_drafts() {
    let f = fixture("confirm").await;
    let first = create_draft(&f, f.main.id, f.salary.id, "100.00").await;
    let second = create_draft(&f, f.main.id, f.salary.id, "250").await;
    let main_before = balance(&f.test, f.main.id).await;

    let (status, signing) = open_signing(&f, &[&first, &second]).await;
    assert_eq!(status, StatusCode::OK, "{signing}");
    assert_no_inline_code(&signing);
    assert_eq!(text_of(&signing, "signing-count"), "2");
    assert!(signing.contains("350,00\u{A0}₸"), "the total: {signing}");
    assert!(signing.contains("<span class=\"nowrap\">0,00\u{A0}₸</span>"), "the commission, zero included");
    let note = text_of(&signing, "code-note");
    assert!(note.starts_with("Код отправлен на +7") && note.contains("•"), "the masked number: {note}");
    let sms = f.test.sms.last_text_to(&f.mobile).expect("a code was sent");
    assert!(sms.contains("2 док."), "the SMS names the count: {sms}");

    let (status, again) = confirm(&f, &signing, "000000").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(text_of(&again, "code-error"), "Неверный код");
    assert_eq!(text_of(&again, "signing-count"), "2", "the summary is shown again");
    assert_eq!(balance(&f.test, f.main.id).await, main_before, "nothing moved");

    let code = last_code(&f.test.sms, &f.mobile);
    let (status, results) = confirm(&f, &again, &code).await;
    assert_eq!(status, StatusCode::OK, "{results}");
    assert_eq!(row_status(&results, &first), "executed");
    assert_eq!(row_status(&results, &second), "executed");
    assert!(results.contains("Исполнен"), "{results}");
    assert_eq!(balance(&f.test, f.main.id).await, main_before - 35_000);

    let (_, shown) = page(&f, &format!("/payments/{first}")).await;
    assert_eq!(text_of(&shown, "payment-status"), "Исполнен");
    assert_eq!(text_of(&shown, "payment-commission"), "0,00\u{A0}₸");
    assert!(!text_of(&shown, "payment-confirmed-by").is_empty());
    assert!(shown.contains("id=\"payment-content-digest\"><code class=\"digest\">"), "{shown}");
    assert!(!shown.contains("id=\"edit-payment\""), "an executed document is not edited");
    let (_, list) = page(&f, "/payments").await;
    assert!(!list.contains(&format!("name=\"ids\" value=\"{first}\"")), "an executed document is not ticked");
}

/// a document the available balance does not cover is refused at confirmation, and the
/// result, the document and the list say why, in words.
#[tokio::test]
async fn r_6_1_1_a_refused_document_shows_its_reason() {
    let f = fixture("confirm").await;
    let salary = balance(&f.test, f.salary.id).await;
    let too_much = format!("{}.00", salary / 100 + 1);
    let id = create_draft(&f, f.salary.id, f.main.id, &too_much).await;
    let (_, signing) = open_signing(&f, &[&id]).await;
    let code = last_code(&f.test.sms, &f.mobile);
    let (status, results) = confirm(&f, &signing, &code).await;
    assert_eq!(status, StatusCode::OK, "{results}");
    assert_eq!(row_status(&results, &id), "refused");
    assert!(results.contains("Недостаточно средств"), "{results}");

    let (_, shown) = page(&f, &format!("/payments/{id}")).await;
    assert_eq!(text_of(&shown, "payment-status"), "Отклонён");
    assert!(shown.contains("id=\"payment-refusal\" data-code=\"insufficient_funds\">Недостаточно средств<"), "{shown}");
    assert!(!text_of(&shown, "payment-refusal-detail").is_empty(), "the bank's explanation");
    let (_, refused) = page(&f, "/payments?status=refused").await;
    assert!(refused.contains(&format!("data-payment-id=\"{id}\"")) && refused.contains("Недостаточно средств"));
    let (_, drafts) = page(&f, "/payments?status=draft").await;
    assert!(!drafts.contains(&format!("data-payment-id=\"{id}\"")), "the filter by status");
    assert_eq!(balance(&f.test, f.salary.id).await, salary, "nothing moved");
}

/// a document edited after the code was sent makes the whole confirmation fail, and the
/// page says clearly that nothing was confirmed.
#[tokio::test]
async fn r_8_8_a_document_changed_after_the_code_confirms_nothing() {
    let f = fixture("confirm").await;
    let first = create_draft(&f, f.main.id, f.salary.id, "100.00").await;
    let second = create_draft(&f, f.main.id, f.salary.id, "200.00").await;
    let (_, signing) = open_signing(&f, &[&first, &second]).await;
    let code = last_code(&f.test.sms, &f.mobile);
    let edited = f
        .browser
        .post(&f.test.app, &format!("/payments/{second}"), &pairs(&transfer(f.main.id, f.salary.id, "2000.00")))
        .await;
    assert_eq!(location(&edited), Some(format!("/payments/{second}?done=saved")));
    let before = balance(&f.test, f.main.id).await;

    let (status, html) = confirm(&f, &signing, &code).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("data-code=\"document_changed\""), "{html}");
    assert!(html.contains("ни один документ не подтверждён"), "{html}");
    assert_eq!(balance(&f.test, f.main.id).await, before);
}

/// the create level prepares documents but neither ticks nor confirms them;
/// another partner's document is not found, exactly like an unknown one.
#[tokio::test]
async fn the_create_level_cannot_confirm_and_other_partners_documents_are_unknown() {
    let f = fixture("create").await;
    let id = create_draft(&f, f.main.id, f.salary.id, "1.00").await;
    let (_, list) = page(&f, "/payments").await;
    assert!(list.contains(&format!("data-payment-id=\"{id}\"")));
    assert!(!list.contains("name=\"ids\"") && !list.contains("id=\"confirm-selected\""), "{list}");
    let (status, _) = open_signing(&f, &[&id]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (login, password, mobile) = f.test.login("full", false);
    let (theirs, _) = sign_in_through_pages(&f.test, &login, &password, &mobile).await;
    for uri in [format!("/payments/{id}"), format!("/payments/{id}/edit"), "/payments/987654321".to_owned()] {
        let response = theirs.get(&f.test.app, &uri).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{uri}");
    }
    let response = theirs.post(&f.test.app, &format!("/payments/{id}/delete"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (status, _) = page(&f, &format!("/payments/{id}")).await;
    assert_eq!(status, StatusCode::OK, "still there");
}

/// R-3.1.2.6, R-3.1.2.7: the list's export buttons and print view carry its filter, and the file they fetch is the list:
/// one CSV row per document, in the page's language, with a progress indicator on the page.
#[tokio::test]
async fn r_3_1_2_6_the_payments_page_exports_its_list() {
    let f = fixture("full").await;
    create_draft(&f, f.main.id, f.salary.id, "1250,00").await;
    create_draft(&f, f.main.id, f.salary.id, "30").await;
    let (status, html) = page(&f, "/payments?status=draft").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/payments/export?status=draft&#38;format=csv&#38;delimiter=semicolon\""), "{html}");
    assert!(html.contains("id=\"export-progress\"") && html.contains("/static/download.js"), "{html}");

    let response = f.browser.get(&f.test.app, "/payments/export?status=draft&format=csv&delimiter=semicolon").await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition =
        response.headers().get("content-disposition").and_then(|value| value.to_str().ok()).map(str::to_owned);
    assert_eq!(disposition.as_deref(), Some("attachment; filename=\"payments.csv\""));
    let text = body_text(response).await;
    let mut reader =
        csv::ReaderBuilder::new().delimiter(b';').from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(&reader.headers().expect("headers")[0], "Номер");
    let amounts: Vec<String> = reader.records().map(|row| row.expect("row")[12].to_owned()).collect();
    assert_eq!(amounts, ["30.00", "1250.00"], "newest first, exact amounts");

    let (status, _) = page(&f, "/payments/export?format=html").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The PDF button: the same list, with its total.
    assert!(html.contains("href=\"/payments/export?status=draft&#38;format=pdf\""), "{html}");
    let response = f.browser.get(&f.test.app, "/payments/export?status=draft&format=pdf").await;
    assert_eq!(response.status(), StatusCode::OK);
    let pdf = axum::body::to_bytes(response.into_body(), 16 << 20).await.expect("body");
    let text = pdftotext(&pdf);
    assert!(text.contains("Платёжные документы") && text.contains("Черновик"), "{text}");
    assert!(text.contains("1 280,00 KZT"), "the drafts' total:\n{text}");

    // R-3.1.2.7: the print view of the same list, without the navigation.
    assert!(html.contains("href=\"/payments/print?status=draft\""), "{html}");
    let (status, print) = page(&f, "/payments/print?status=draft").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(print.matches("<tr data-payment-id=").count(), 2, "{print}");
    let spaced = print.replace(['\u{a0}', '\u{202f}'], " ");
    assert!(
        spaced.contains("1 250,00") && print.contains("id=\"print-button\"") && !print.contains("site-nav"),
        "{print}"
    );
}
