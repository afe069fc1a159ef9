//! The cabinet's import of payment orders from a file (R-3.1.1.2), as a browser uploads it: the
//! drafts created, every problem with its document, line and the file's key, a form
//! submitted twice storing its drafts once. Runs on SQLite, and on PostgreSQL with
//! `TIYN_TEST_BACKEND=postgres`.

use crate::common;
use crate::payments_import::{BROKEN_IBAN, Order, PAYEE_IBAN, one_c_text};

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use common::*;
use tiyn_core::Currency;

/// The form's fields as a browser sends them (multipart, `_csrf` first), the file last.
async fn upload(
    test: &TestApp,
    browser: &Browser,
    fields: &[(&str, &str)],
    file: Option<&[u8]>,
) -> (StatusCode, String) {
    let boundary = "----tiynImportBoundary3x9Q";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some(file) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"orders.txt\"\r\n\
                 Content-Type: text/plain\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let request = Request::post("/payments/import")
        .header("cookie", format!("tiyn_session={}", browser.token.as_deref().expect("signed in")))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .expect("request");
    let response: Response<Body> = send(&test.app, request).await;
    let status = response.status();
    (status, body_text(response).await)
}

/// The element with `id` and what follows it up to the end of its table, as markup.
fn table<'h>(html: &'h str, id: &str) -> &'h str {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let end = html[start..].find("</table>").map_or(html.len(), |end| start + end);
    &html[start..end]
}

/// The `data-payment-id`s of the page's table of created drafts.
fn draft_ids(html: &str) -> Vec<String> {
    html.split("data-payment-id=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect()
}

/// R-3.1.1.2, R-6.1.3: from the payments page to the import form; a file with a bad order
/// imports nothing and names the document, line and key of the problem; asked to import the
/// valid ones, the page lists the draft it created; the same form sent again stores nothing
/// more, and with another file it is refused; a form without a file says so.
#[tokio::test]
async fn r_3_1_1_2_a_file_imported_from_the_cabinet_becomes_drafts() {
    let test = test_app().await;
    test.clock.set(payment_day());
    let (login, password, mobile) = test.login("confirm", true);
    let (browser, _) = sign_in_through_pages(&test, &login, &password, &mobile).await;
    let accounts = test.store.partner_accounts(test.demo.partner).await.expect("accounts");
    let main = accounts.iter().find(|account| account.currency == Currency::Kzt).expect("a KZT account");
    let payer = main.iban.as_ref().expect("an IBAN").as_str().to_owned();

    let list = body_text(browser.get(&test.app, "/payments").await).await;
    assert!(list.contains("href=\"/payments/import\""), "the payments page links the import");
    let form = browser.get(&test.app, "/payments/import").await;
    assert_eq!(form.status(), StatusCode::OK);
    let form = body_text(form).await;
    assert!(form.contains("enctype=\"multipart/form-data\"") && form.contains("1CClientBankExchange"), "{form}");
    let key = input_value(&form, "form_key");
    assert_eq!(key.len(), 32, "a fresh key in the form");
    assert_ne!(input_value(&body_text(browser.get(&test.app, "/payments/import").await).await, "form_key"), key);

    let orders = [
        Order { number: 7, payer: &payer, amount: "1250.50", payee_iban: PAYEE_IBAN },
        Order { number: 8, payer: &payer, amount: "99.00", payee_iban: BROKEN_IBAN },
    ];
    let text = one_c_text("UTF-8", &orders);
    let bad_line = text.lines().position(|line| line.contains(BROKEN_IBAN)).expect("the bad line") + 1;
    let csrf = browser.csrf();

    let (status, page) = upload(&test, &browser, &[("_csrf", &csrf), ("form_key", &key)], Some(text.as_bytes())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Ничего не загружено"), "{page}");
    let errors = table(&page, "import-errors");
    assert!(errors.contains(&bad_line.to_string()) && errors.contains("ПолучательИИК"), "{errors}");
    assert!(draft_ids(&page).is_empty());

    let partial = [("_csrf", csrf.as_str()), ("form_key", key.as_str()), ("format", "1c"), ("partial", "on")];
    let (status, page) = upload(&test, &browser, &partial, Some(text.as_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(text_of(&page, "import-summary").contains("Загружено документов: 1 из 2"), "{page}");
    let created = draft_ids(&page);
    assert_eq!(created.len(), 1);
    let drafts = table(&page, "import-drafts");
    assert!(drafts.contains("250,50") && drafts.contains("Черновик"), "{drafts}");
    assert!(table(&page, "import-errors").contains("ПолучательИИК"));
    assert!(table(&page, "import-ignored").contains("Очередность"), "keys a draft has no field for are listed");

    // The same form again (a reload): the same draft, nothing stored.
    let (status, again) = upload(&test, &browser, &partial, Some(text.as_bytes())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(draft_ids(&again), created);
    assert!(text_of(&again, "import-summary").contains("уже загружен с этой формы"), "{again}");
    let query = tiyn_store::payments::PaymentQuery { limit: 100, ..Default::default() };
    let stored = test.store.payments(test.demo.partner, query).await.expect("list");
    assert_eq!(stored.len(), 1, "one draft stored");

    // The same form with another file: refused, with what to do.
    let other = one_c_text("UTF-8", &orders[..1]);
    let (status, refused) = upload(&test, &browser, &partial, Some(other.as_bytes())).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(refused.contains("Откройте форму загрузки заново"), "{refused}");

    let (status, empty) = upload(&test, &browser, &[("_csrf", &csrf), ("form_key", &key)], None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text_of(&empty, "file-error").contains("Выберите файл"), "{empty}");

    // Without the form's CSRF field the upload is not even read.
    let (status, _) = upload(&test, &browser, &[("form_key", &key)], Some(text.as_bytes())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
