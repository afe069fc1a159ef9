//! The account statement in the cabinet (issue 6) through the whole stack, as a browser uses it:
//! the page with its header, operations, daily turnovers and totals (R-3.1.2.1, R-3.1.2.3), its
//! period bounds next to the date fields, the export buttons and their download route
//! (R-3.1.2.6, R-3.1.2.7), the print view, and the export withheld from a `create` user
//! . Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;
use tiyn_api::Lang;
use tiyn_core::access::{InformationRestrictions, Permission};
use tiyn_core::{AccountId, Currency};
use tiyn_store::Account;

const PURPOSE: &str = "Перевод на зарплатный счёт";

struct Fixture {
    f: PaymentFixture,
    browser: Browser,
    salary: Account,
    opening_minor: i64,
}

/// The demo on Monday 12 January 2026 with 1 500.00 ₸ transferred from the first KZT account to
/// the second, and the same confirm-level user signed in through the pages.
async fn fixture() -> Fixture {
    let f = payment_fixture().await;
    let accounts = f.test.store.partner_accounts(f.test.demo.partner).await.expect("accounts");
    let salary = accounts
        .iter()
        .find(|account| account.currency == Currency::Kzt && account.id != f.main.id)
        .expect("a second KZT account")
        .clone();
    let opening_minor = f.main.balance.minor();
    let (_, result) = f
        .pay(json!({
            "kind": "internal", "payer_account": f.main.id.to_string(), "payee_account": salary.id.to_string(),
            "amount": {"amount": "1500.00", "currency": "KZT"}, "knp": "343", "purpose": PURPOSE,
            "value_date": "2026-01-12",
        }))
        .await;
    assert!(result.to_string().contains("executed"), "{result}");
    let (login, password, mobile) = f.test.login("confirm", true);
    let (browser, _) = sign_in_through_pages(&f.test, &login, &password, &mobile).await;
    Fixture { f, browser, salary, opening_minor }
}

async fn page(test: &TestApp, browser: &Browser, uri: &str) -> (StatusCode, String) {
    browser.page(&test.app, uri).await
}

fn money(minor: i64) -> String {
    tiyn_web::format::money(tiyn_core::Money::from_minor(minor, Currency::Kzt), Lang::Ru)
}

/// R-3.1.2.1, R-3.1.2.3: each account row links its statement; the page shows the account, the
/// opening balance, the transfer with its counterparty and purpose, the day's turnovers and
/// closing, and the period's closing balance; the default period is this month to today
/// (Almaty); no inline script or style. R-3.1.2.7: the print view shows the same statement
/// without the cabinet's navigation, with the stamp notice the PDF prints.
#[tokio::test]
async fn r_3_1_2_1_the_page_shows_the_statement() {
    let fx = fixture().await;
    let test = &fx.f.test;
    let main = fx.f.main.id;
    let (status, accounts) = page(test, &fx.browser, "/accounts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(accounts.contains(&format!("href=\"/accounts/{main}/statement\"")), "{accounts}");
    assert!(accounts.contains(">Выписка<"));

    let (status, html) = page(test, &fx.browser, &format!("/accounts/{main}/statement")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("value=\"2026-01-01\"") && html.contains("value=\"2026-01-12\""), "this month to today");
    assert_no_inline_code(&html);
    assert!(html.contains("data-kind=\"opening_balance\""), "the demo's opening balance, posted on New Year's Day");
    assert_eq!(html.matches("<tr class=\"statement__line ").count(), 2, "the opening balance and the transfer");

    // The day of the transfer alone: its opening is the balance before it.
    let (status, html) =
        page(test, &fx.browser, &format!("/accounts/{main}/statement?from=2026-01-12&to=2026-01-12")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_no_inline_code(&html);
    let iban = fx.f.main.iban.as_ref().expect("iban");
    assert!(html.contains(&iban.grouped()), "the account's IBAN");
    let opening = format!("id=\"statement-opening\">{}<", money(fx.opening_minor));
    assert!(html.contains(&opening), "{opening} in {html}");
    assert!(html.contains(PURPOSE));
    let salary_iban = fx.salary.iban.as_ref().expect("iban").as_str().to_owned();
    assert!(html.contains(&salary_iban), "the counterparty's IBAN");
    assert!(html.contains("data-kind=\"payment\""));
    let closing = money(fx.opening_minor - 150_000);
    assert!(html.contains("class=\"statement__day\" data-date=\"2026-01-12\""), "the day's turnovers");
    assert!(html.contains(&format!("остаток на конец дня {closing}")), "the day's closing");
    assert!(html.contains(&format!("id=\"statement-closing\">{closing}<")), "the period's closing");
    let line_rows = html.matches("<tr class=\"statement__line ").count();
    assert_eq!(line_rows, 1, "one transfer that day");
    assert_eq!(html.matches("<tr class=\"statement__day\"").count(), 1, "one day with operations");

    let (status, print) =
        page(test, &fx.browser, &format!("/accounts/{main}/statement/print?from=2026-01-01&to=2026-01-12")).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_inline_code(&print);
    assert!(print.contains("<script src=\"/static/print.js\" defer></script>"));
    assert!(!print.contains("site-nav"), "no navigation chrome");
    assert!(print.contains("не является оригиналом печати банка и не имеет юридической силы"));
    assert!(print.contains(PURPOSE) && print.contains(&closing));
    let script = fx.browser.get(&test.app, "/static/print.js").await;
    assert_eq!(script.status(), StatusCode::OK);
}

/// R-3.1.2.6: the CSV button downloads the statement as an attachment whose rows are the page's
/// operations (a header row, then a row per line), UTF-8 with a BOM.
#[tokio::test]
async fn r_3_1_2_6_the_export_button_downloads_the_csv() {
    let fx = fixture().await;
    let test = &fx.f.test;
    let main = fx.f.main.id;
    let (_, html) = page(test, &fx.browser, &format!("/accounts/{main}/statement?from=2026-01-01&to=2026-01-12")).await;
    for format in ["csv", "xlsx", "pdf", "mt940", "camt053", "1c"] {
        export_href(&html, format);
    }
    let href = export_href(&html, "csv");
    let response = fx.browser.get(&test.app, &href).await;
    assert_eq!(response.status(), StatusCode::OK, "{href}");
    assert_eq!(header(&response, "content-type"), Some("text/csv; charset=utf-8"));
    let disposition = header(&response, "content-disposition").expect("attachment").to_owned();
    let iban = fx.f.main.iban.as_ref().expect("iban").as_str().to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains(&format!("statement-{iban}-2026-01-01-2026-01-12.csv")), "{disposition}");
    let text = body_text(response).await;
    assert!(text.starts_with('\u{feff}'), "a BOM for Excel");
    let rows: Vec<&str> = text.trim_start_matches('\u{feff}').lines().filter(|line| !line.is_empty()).collect();
    assert_eq!(rows.len(), 1 + html.matches("<tr class=\"statement__line ").count(), "{text}");
    assert!(rows.last().is_some_and(|row| row.contains(PURPOSE)), "{text}");

    let (status, _) = page(
        test,
        &fx.browser,
        &format!("/accounts/{main}/statement/export?from=2026-01-01&to=2026-01-12&format=json"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the cabinet exports files only");
}

/// a period longer than 3 years, or one that ends before it starts, is refused next to
/// the end date in the page's language; another partner's account answers like an unknown one.
#[tokio::test]
async fn r_6_3_1_a_bad_period_is_refused_next_to_the_field() {
    let fx = fixture().await;
    let test = &fx.f.test;
    let main = fx.f.main.id;
    let (status, html) =
        page(test, &fx.browser, &format!("/accounts/{main}/statement?from=2022-01-01&to=2026-01-12")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-code=\"period_too_long\""), "{html}");
    assert!(html.contains("<p class=\"field__error\" id=\"to-error\">Период выписки — не более 3 лет</p>"), "{html}");
    assert!(!html.contains("statement__table"), "no statement");
    assert_no_inline_code(&html);
    let (status, html) =
        page(test, &fx.browser, &format!("/accounts/{main}/statement?from=2026-01-12&to=2026-01-01&lang=kk")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"to-error\">Аяқталу күні басталу күнінен бұрын<"), "{html}");

    let theirs = test.store.partner_accounts(test.demo.other_partner).await.expect("accounts")[0].id;
    let (foreign, _) = page(test, &fx.browser, &format!("/accounts/{theirs}/statement")).await;
    let (unknown, _) = page(test, &fx.browser, &format!("/accounts/{}/statement", AccountId::new(987_654))).await;
    assert_eq!((foreign, unknown), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
}

/// R-3.1.2.6, R-8.1.3: a `create` user from whom the bank withholds the export sees the statement
/// without the export buttons, and the download route answers 403.
#[tokio::test]
async fn r_3_1_2_6_without_the_export_service_there_are_no_buttons() {
    let fx = fixture().await;
    let test = &fx.f.test;
    let main = fx.f.main.id;
    let withheld = InformationRestrictions::new([Permission::ExportStatements]).expect("information service");
    test.store.set_withheld_services(test.demo.partner, withheld).await.expect("withheld");
    let (login, password, mobile) = test.login("create", true);
    let (creator, _) = sign_in_through_pages(test, &login, &password, &mobile).await;
    let (status, html) =
        page(test, &creator, &format!("/accounts/{main}/statement?from=2026-01-01&to=2026-01-12")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(PURPOSE), "viewing is still allowed");
    assert!(!html.contains("statement-exports") && !html.contains("/statement/export"), "no export buttons");
    let response = creator
        .get(&test.app, &format!("/accounts/{main}/statement/export?from=2026-01-01&to=2026-01-12&format=csv"))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The confirm level is never restricted.
    let (_, html) = page(test, &fx.browser, &format!("/accounts/{main}/statement?from=2026-01-01&to=2026-01-12")).await;
    assert!(html.contains("statement-exports"));
}
