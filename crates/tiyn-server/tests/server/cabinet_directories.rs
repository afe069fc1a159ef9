//! The reference directories in the cabinet, through the whole stack as a browser uses it
//! (R-3.1.2.2): the `/directories` page with its five tabs and search, the rows htmx swaps in as
//! one types, the choices of a form field's type-ahead (`static/lookup.js`), and the payment
//! form's KNP, KBK and BIC fields wired to it. Runs on SQLite, and on PostgreSQL with
//! `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::http::StatusCode;
use common::*;

async fn partner_user(test: &TestApp, level: &str) -> Browser {
    let (login, password, mobile) = test.login(level, true);
    sign_in_through_pages(test, &login, &password, &mobile).await.0
}

/// The `data-code` of every row (or choice's `data-value`) in `html`, in order.
fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let marker = format!("{attribute}=\"");
    html.match_indices(&marker)
        .map(|(at, _)| html[at + marker.len()..].split('"').next().unwrap_or_default().to_owned())
        .collect()
}

/// R-3.1.2.2: the page renders every tab, a search box wired to htmx, and the rows of the
/// chosen directory; a search in the address (no script) answers the same rows.
#[tokio::test]
async fn r_3_1_2_2_the_directories_page_has_tabs_a_search_and_rows() {
    let test = test_app().await;
    let browser = partner_user(&test, "create").await;

    let page = browser.get(&test.app, "/directories").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_text(page).await;
    assert_no_inline_code(&html);
    assert!(html.contains("<h1>Справочники</h1>"), "{html}");
    assert!(html.contains("href=\"/directories\" aria-current=\"page\""), "the navigation marks the section");
    for tab in ["knp", "kbk", "kbe", "banks", "foreign-banks"] {
        assert!(html.contains(&format!("data-tab=\"{tab}\"")), "tab {tab}");
    }
    assert!(html.contains("hx-get=\"/directories/knp/rows\""), "the search asks htmx for the rows");
    let rows = attribute_values(&html, "data-code");
    assert!(rows.len() > 10 && rows.contains(&"911".to_owned()), "{rows:?}");

    let banks = body_text(
        browser.get(&test.app, "/directories?kind=banks&q=%D0%BD%D0%B0%D1%80%D0%BE%D0%B4%D0%BD%D1%8B%D0%B9").await,
    )
    .await;
    assert!(banks.contains("data-tab=\"banks\"") && banks.contains("hx-get=\"/directories/banks/rows\""));
    assert_eq!(attribute_values(&banks, "data-code"), ["HSBKKZKX"], "«народный» finds Halyk");
    assert!(banks.contains("value=\"народный\""), "the query stays in the box");

    let kazakh = body_text(browser.get(&test.app, "/directories?kind=banks&lang=kk").await).await;
    assert!(kazakh.contains("<h1>Анықтамалықтар</h1>"));
    assert!(kazakh.contains("Қазақстан Халық Банкі"), "Kazakh names on the Kazakh page");

    let unknown = browser.get(&test.app, "/directories?kind=swift").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

/// R-3.1.2.2: the rows partial htmx swaps in as one types (by code, BIC and words), with a note
/// when there are more rows than shown; anonymous people are sent to sign in.
#[tokio::test]
async fn r_3_1_2_2_the_search_partial_filters_rows_as_one_types() {
    let test = test_app().await;
    let browser = partner_user(&test, "full").await;

    let partial = browser.get(&test.app, "/directories/foreign-banks/rows?q=deutdeff").await;
    assert_eq!(partial.status(), StatusCode::OK);
    let html = body_text(partial).await;
    assert!(html.starts_with("<tbody id=\"directory-rows\">"), "the table body alone: {html}");
    assert!(!html.contains("<html"), "a fragment");
    assert_eq!(attribute_values(&html, "data-code").first().map(String::as_str), Some("DEUTDEFF"));
    assert!(html.contains("Frankfurt am Main, DE"));

    let knp = body_text(browser.get(&test.app, "/directories/knp/rows?q=12").await).await;
    assert_eq!(attribute_values(&knp, "data-code"), ["121", "122", "123", "124"]);
    let many = body_text(browser.get(&test.app, "/directories/foreign-banks/rows?q=bank").await).await;
    assert_eq!(attribute_values(&many, "data-code").len(), tiyn_web::directories::PAGE_ROWS_MAX);
    assert!(many.contains("directory__more"), "says there are more");
    let none = body_text(browser.get(&test.app, "/directories/kbe/rows?q=zzzz").await).await;
    assert!(none.contains("Ничего не найдено."));

    let anonymous = Browser::default().get(&test.app, "/directories/knp/rows?q=12").await;
    assert_ne!(anonymous.status(), StatusCode::OK);
}

/// R-3.1.2.2: a form field's type-ahead choices (KNP by code, a bank by name answering its BIC),
/// none for a blank query; the payment form's KNP, KBK and BIC fields carry the lookup and load
/// its script from our origin.
#[tokio::test]
async fn r_3_1_2_2_form_lookups_offer_choices_and_the_payment_form_uses_them() {
    let test = test_app().await;
    let browser = partner_user(&test, "create").await;

    let knp = body_text(browser.get(&test.app, "/directories/knp/lookup?q=91").await).await;
    assert!(attribute_values(&knp, "data-value").contains(&"911".to_owned()), "{knp}");
    assert!(knp.contains("role=\"option\"") && !knp.contains("<html"));
    let kaspi = body_text(browser.get(&test.app, "/directories/banks/lookup?q=kaspi").await).await;
    assert_eq!(attribute_values(&kaspi, "data-value"), ["CASPKZKA"]);
    let blank = body_text(browser.get(&test.app, "/directories/kbk/lookup?q=").await).await;
    assert!(attribute_values(&blank, "data-value").is_empty());
    let limited = body_text(browser.get(&test.app, "/directories/foreign-banks/lookup?q=bank").await).await;
    assert_eq!(attribute_values(&limited, "data-value").len(), tiyn_web::directories::LOOKUP_CHOICES_MAX);

    let script = browser.get(&test.app, "/static/lookup.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(header(&script, "content-type"), Some("text/javascript; charset=utf-8"));

    let form = body_text(browser.get(&test.app, "/payments/new").await).await;
    assert_no_inline_code(&form);
    assert!(form.contains("<script src=\"/static/lookup.js\" defer></script>"), "the form loads the lookup");
    for (name, kind) in [("knp", "knp"), ("kbk", "kbk"), ("payee_bic", "banks")] {
        let at = form.find(&format!("name=\"{name}\"")).unwrap_or_else(|| panic!("no field {name}"));
        let tag_start = form[..at].rfind('<').expect("tag");
        let tag = &form[tag_start..at + form[at..].find('>').expect("tag end")];
        assert!(tag.contains(&format!("data-lookup=\"{kind}\"")), "{name}: {tag}");
    }
}
