//! The bank's notices and the marketplace's reports in the cabinet (issue 6, R-3.1.2.8) through
//! the whole stack, as a browser uses it, over the demo's notices and report: the navigation
//! links, `/messages` with the demo partner's notices and not another partner's, `/marketplace`
//! and a report's page with its payouts and the orders each covered, the export buttons and their
//! downloads, and the console's form that publishes a notice (refusals on the form, a partner's
//! user refused). Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::http::StatusCode;
use common::*;
use tiyn_server::demo;

struct Fixture {
    test: TestApp,
    browser: Browser,
}

/// The demo with its notices and report, a create-level user (the lowest) signed in through the
/// pages.
async fn fixture() -> Fixture {
    let test = test_app().await;
    demo::seed_messages(&test.app_banking(), &test.demo, now()).await.expect("the demo's notices and report");
    let (login, password, mobile) = test.login("create", true);
    let (browser, _) = sign_in_through_pages(&test, &login, &password, &mobile).await;
    Fixture { test, browser }
}

async fn page(browser: &Browser, test: &TestApp, uri: &str) -> (StatusCode, String) {
    browser.page(&test.app, uri).await
}

/// R-3.1.2.8: the navigation links the notices and the reports; `/messages` shows the demo
/// partner's notices (the legal address change, the promotion to everyone), another partner's
/// page does not show the first; no inline script or style.
#[tokio::test]
async fn r_3_1_2_8_the_notices_page_shows_the_partners_notices() {
    let fx = fixture().await;
    let (status, accounts) = page(&fx.browser, &fx.test, "/accounts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(accounts.contains("href=\"/messages\"") && accounts.contains("href=\"/marketplace\""), "the navigation");

    let (status, html) = page(&fx.browser, &fx.test, "/messages").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("data-kind=\"legal_address_change\""), "{html}");
    assert!(html.contains("data-kind=\"promotion\""));
    assert!(html.contains("Юридический адрес обновлён"));
    assert_no_inline_code(&html);

    let (login, password, mobile) = fx.test.login("full", false);
    let (theirs, _) = sign_in_through_pages(&fx.test, &login, &password, &mobile).await;
    let (status, html) = page(&theirs, &fx.test, "/messages").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-kind=\"promotion\""));
    assert!(!html.contains("data-kind=\"legal_address_change\""), "another partner's notice is not shown");
}

/// R-3.1.2.8, R-3.1.2.6: `/marketplace` lists the demo report; its page shows both payouts with
/// the orders each covered and the orders not yet paid out; the CSV button downloads the file.
#[tokio::test]
async fn r_3_1_2_8_the_report_pages_show_payouts_and_their_orders() {
    let fx = fixture().await;
    let report_id = demo::demo_report_id(now());
    let (status, list) = page(&fx.browser, &fx.test, "/marketplace").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list.contains(&format!("href=\"/marketplace/{report_id}\"")), "{list}");
    assert_no_inline_code(&list);

    let (status, html) = page(&fx.browser, &fx.test, &format!("/marketplace/{report_id}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(html.matches("class=\"marketplace-payout\"").count(), demo::DEMO_MARKETPLACE_PAID.len(), "the payouts");
    assert!(html.contains(&format!("data-payout=\"{report_id}-P1\"")));
    assert!(html.contains(&format!("data-order=\"{report_id}-001\"")));
    // 20 orders: 8 + 7 + 3 paid out, 2 waiting.
    assert_eq!(html.matches("data-order=\"").count(), demo::DEMO_MARKETPLACE_ORDERS);
    let unpaid = &html[html.find("id=\"marketplace-unpaid-orders\"").expect("unpaid section")..];
    let paid: usize = demo::DEMO_MARKETPLACE_PAID.iter().sum();
    assert_eq!(unpaid.matches("data-order=\"").count(), demo::DEMO_MARKETPLACE_ORDERS - paid);
    assert_no_inline_code(&html);

    let href = export_href(&html, "csv");
    let response = fx.browser.get(&fx.test.app, &href).await;
    assert_eq!(response.status(), StatusCode::OK, "{href}");
    assert!(header(&response, "content-disposition").is_some_and(|value| value.contains("attachment")));
    let text = body_text(response).await;
    let mut reader = csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(reader.records().count(), demo::DEMO_MARKETPLACE_ORDERS + 1, "the orders and the totals");
    let href = export_href(&html, "xlsx");
    assert_eq!(fx.browser.get(&fx.test.app, &href).await.status(), StatusCode::OK);

    let (status, _) = page(&fx.browser, &fx.test, "/marketplace/NO-SUCH-REPORT").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// R-3.1.2.8: the console's form publishes a notice to one partner, which its users then see; a
/// blank form comes back with its refusals; a partner's user cannot open the form.
#[tokio::test]
async fn r_3_1_2_8_the_console_form_publishes_a_notice() {
    let fx = fixture().await;
    let operator = &fx.test.credentials.operators[0];
    let (console, home) = sign_in_through_pages(&fx.test, &operator.login, &operator.password, &operator.mobile).await;
    assert_eq!(home, "/bank");
    let (status, bank) = page(&console, &fx.test, "/bank").await;
    assert_eq!(status, StatusCode::OK);
    assert!(bank.contains("href=\"/bank/messages\""), "the console links the form");
    let (status, form) = page(&console, &fx.test, "/bank/messages").await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert!(form.contains("id=\"notice-form\"") && form.contains("Бесплатные внутренние переводы"), "{form}");
    assert_no_inline_code(&form);

    let partner = fx.test.demo.partner.to_string();
    let refused = console
        .post(
            &fx.test.app,
            "/bank/messages",
            &[("partner_id", &partner), ("kind", "terms_change"), ("title", ""), ("text", "")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(refused).await;
    assert!(html.contains("id=\"title-error\"") && html.contains("id=\"text-error\""), "{html}");

    let fields = [
        ("partner_id", partner.as_str()),
        ("kind", "terms_change"),
        ("title", "Новые условия договора"),
        ("text", "С 1 февраля действуют новые условия."),
    ];
    let published = console.post(&fx.test.app, "/bank/messages", &fields).await;
    assert_eq!(published.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&published).as_deref(), Some("/bank/messages?done=published"));
    let (_, done) = page(&console, &fx.test, "/bank/messages?done=published").await;
    assert!(done.contains("id=\"notice-published\"") && done.contains("Новые условия договора"));

    let (_, html) = page(&fx.browser, &fx.test, "/messages").await;
    assert!(html.contains("Новые условия договора") && html.contains("data-kind=\"terms_change\""), "{html}");
    let (login, password, mobile) = fx.test.login("full", false);
    let (theirs, _) = sign_in_through_pages(&fx.test, &login, &password, &mobile).await;
    let (_, html) = page(&theirs, &fx.test, "/messages").await;
    assert!(!html.contains("Новые условия договора"), "only the chosen partner sees it");

    let (status, _) = page(&fx.browser, &fx.test, "/bank/messages").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a partner's user cannot open the console's form");
}

/// R-3.1.2.5: the planned credits page shows the demo report's payout still expected, with its
/// source (the marketplace, the report and the payout); the report's page marks the payouts
/// already credited (with the date) and the one expected.
#[tokio::test]
async fn r_3_1_2_5_the_planned_credits_page_shows_the_expected_marketplace_payout() {
    let fx = fixture().await;
    let report_id = demo::demo_report_id(now());
    let (status, html) = page(&fx.browser, &fx.test, "/planned-credits").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(html.matches("data-source=\"marketplace\"").count(), 1, "{html}");
    let expected = format!("{report_id}-P{}", demo::DEMO_MARKETPLACE_PAID.len());
    assert!(html.contains(&format!("data-payout=\"{expected}\"")), "{html}");
    assert!(html.contains(&format!("href=\"/marketplace/{report_id}\"")), "{html}");
    assert!(html.contains("Выплата маркетплейса") && html.contains("Источник"), "{html}");
    assert_no_inline_code(&html);

    let (status, html) = page(&fx.browser, &fx.test, &format!("/marketplace/{report_id}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(html.matches("data-credited=\"true\"").count(), demo::DEMO_MARKETPLACE_CREDITED, "{html}");
    assert_eq!(html.matches("data-credited=\"false\"").count(), 1, "{html}");
    assert!(html.contains("Зачислена") && html.contains("Ожидается"), "{html}");
    let response = fx.browser.get(&fx.test.app, "/planned-credits?lang=en").await;
    let english = body_text(response).await;
    assert!(english.contains("Marketplace payout") && english.contains("Source"), "{english}");
}
