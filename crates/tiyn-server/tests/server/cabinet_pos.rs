//! POS terminals and planned credits in the cabinet (issue 6) through the whole stack, as a
//! browser uses them, over the demo's terminals and operations: the terminal list and its
//! navigation link (R-3.1.2.4), a terminal's page with its operations, totals and the daily bar
//! chart drawn as SVG, the export buttons and their downloads, the print view (R-3.1.2.6,
//! R-3.1.2.7), the planned credits (R-3.1.2.5), and another partner's terminal answering like an
//! unknown one. Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::http::StatusCode;
use common::*;
use tiyn_server::demo;

struct Fixture {
    test: TestApp,
    browser: Browser,
}

/// The demo with its POS terminals and operations, a confirm-level user signed in through the
/// pages.
async fn fixture() -> Fixture {
    let test = test_app().await;
    demo::seed_pos(&test.app_banking(), &test.demo, now()).await.expect("the demo's POS operations");
    let (login, password, mobile) = test.login("confirm", true);
    let (browser, _) = sign_in_through_pages(&test, &login, &password, &mobile).await;
    Fixture { test, browser }
}

async fn page(fx: &Fixture, uri: &str) -> (StatusCode, String) {
    fx.browser.page(&fx.test.app, uri).await
}

/// R-3.1.2.4: the navigation links the terminals; the list shows the demo's three terminals with
/// their addresses; a terminal's page shows its operations (masked cards only), the totals and
/// the daily chart as inline SVG; no inline script or style.
#[tokio::test]
async fn r_3_1_2_4_the_pages_show_terminals_operations_and_the_daily_chart() {
    let fx = fixture().await;
    let (status, accounts) = page(&fx, "/accounts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(accounts.contains("href=\"/pos\""), "the navigation links the terminals");

    let (status, list) = page(&fx, "/pos").await;
    assert_eq!(status, StatusCode::OK);
    for (terminal, address) in demo::DEMO_TERMINALS {
        assert!(list.contains(&format!("href=\"/pos/{terminal}\"")), "{terminal}");
        assert!(list.contains(&address.replace('«', "&#171;").replace('»', "&#187;")) || list.contains(address));
    }
    assert!(list.contains("href=\"/planned-credits\""));
    assert_no_inline_code(&list);

    let (status, terminal) = page(&fx, "/pos/T0012345").await;
    assert_eq!(status, StatusCode::OK, "{terminal}");
    assert!(terminal.contains("id=\"pos-chart\"") && terminal.contains("<svg"), "the chart");
    assert!(terminal.matches("class=\"pos-chart__bar\"").count() >= 20, "a bar per day with operations");
    assert!(terminal.matches("data-operation=\"DEMO-T0012345-").count() >= 20, "the operations");
    assert!(terminal.contains("******"), "masked cards");
    assert!(terminal.contains("id=\"pos-total-net\""));
    assert_no_inline_code(&terminal);

    let (status, print) = page(&fx, "/pos/T0012345/print").await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("id=\"stamp-notice\"") && print.contains("data-operation=\"DEMO-T0012345-"));
    assert!(!print.contains("site-nav"), "no navigation on paper");

    let (status, refused) = page(&fx, "/pos/T0012345?from=2020-01-01&to=2025-12-31").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("data-code=\"period_too_long\""));
}

/// R-3.1.2.6: every export button downloads its file, named after the terminal and period.
#[tokio::test]
async fn r_3_1_2_6_the_export_buttons_download_the_files() {
    let fx = fixture().await;
    let (_, terminal) = page(&fx, "/pos/T0023001?from=2025-11-01&to=2025-12-31").await;
    for (format, content_type, start) in [
        ("csv", "text/csv; charset=utf-8", b"\xEF\xBB\xBF".as_slice()),
        ("csv-semicolon", "text/csv; charset=utf-8", b"\xEF\xBB\xBF".as_slice()),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK".as_slice()),
        ("pdf", "application/pdf", b"%PDF".as_slice()),
    ] {
        let href = export_href(&terminal, format);
        let response = fx.browser.get(&fx.test.app, &href).await;
        assert_eq!(response.status(), StatusCode::OK, "{format}: {href}");
        assert_eq!(header(&response, "content-type"), Some(content_type), "{format}");
        let disposition = header(&response, "content-disposition").unwrap_or_default().to_owned();
        assert!(disposition.contains("attachment; filename=\"pos-T0023001-2025-11-01-2025-12-31."), "{disposition}");
        let body = body_bytes(response).await;
        assert!(body.starts_with(start), "{format}");
        if format == "csv-semicolon" {
            let text = String::from_utf8(body).expect("utf-8");
            assert!(text.lines().next().is_some_and(|line| line.contains(';')), "`;`-separated");
            assert!(text.contains("DEMO-T0023001-"));
        }
    }
}

async fn body_bytes(response: axum::http::Response<axum::body::Body>) -> Vec<u8> {
    use http_body_util::BodyExt;
    response.into_body().collect().await.expect("body").to_bytes().to_vec()
}

/// R-3.1.2.5: the planned credits page lists the settlements still expected (the demo's last
/// days'), with dates, accounts and amounts.
#[tokio::test]
async fn r_3_1_2_5_the_planned_credits_page_lists_the_expected_settlements() {
    let fx = fixture().await;
    let (status, planned) = page(&fx, "/planned-credits").await;
    assert_eq!(status, StatusCode::OK);
    assert!(planned.contains("id=\"planned-credits\""));
    assert!(planned.matches("<tr data-date=\"").count() >= 1, "{planned}");
    assert!(planned.contains("722S 0000 0000 0002"), "the settlement account's IBAN, grouped: {planned}");
    assert_no_inline_code(&planned);
}

/// R-3.1.2.4: another partner's terminal, and an unknown one, answer the same 404 page.
#[tokio::test]
async fn r_3_1_2_4_another_partners_terminal_is_not_found() {
    let fx = fixture().await;
    let (login, password, mobile) = fx.test.login("full", false);
    let (other, _) = sign_in_through_pages(&fx.test, &login, &password, &mobile).await;
    let mine = other.get(&fx.test.app, "/pos/T0012345").await;
    let unknown = other.get(&fx.test.app, "/pos/T7777777").await;
    assert_eq!((mine.status(), unknown.status()), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    let export = other.get(&fx.test.app, "/pos/T0012345/export?from=2025-12-01&to=2025-12-31&format=csv").await;
    assert_eq!(export.status(), StatusCode::NOT_FOUND);
    let (_, list) = {
        let response = other.get(&fx.test.app, "/pos").await;
        (response.status(), body_text(response).await)
    };
    assert!(!list.contains("T0012345"), "partner 2 has no terminals");
}
