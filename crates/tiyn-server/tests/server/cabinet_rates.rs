//! FX rates in the cabinet, through the whole stack as a browser uses it (R-13.2, R-3.1.1.4): the
//! partner's rates page (the bank's buy and sell rates, the National Bank's as reference, a 30-day
//! chart drawn as SVG without script or inline style) and the console's page where an operator
//! sets a rate (refusals next to their fields) and uploads the NBK's file. Runs on SQLite, and on
//! PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use tiyn_core::{Currency, OperatorRole};

const OPERATOR_PASSWORD: &str = "operator test passphrase";
const NBK_SAMPLE: &str = include_str!("../../../../data/kz/nbk_get_rates_example.xml");
const NBK_NO_DATA: &str = include_str!("../../../../data/kz/nbk_get_rates_no_data_example.xml");

async fn administrator(test: &TestApp) -> Browser {
    let operator = &test.credentials.operators[0];
    let (browser, home) = sign_in_through_pages(test, &operator.login, &operator.password, &operator.mobile).await;
    assert_eq!(home, "/bank");
    browser
}

async fn viewer_operator(test: &TestApp) -> Browser {
    let mobile = "+77015550077";
    let id = test
        .store
        .create_user(tiyn_store::NewUser {
            partner: None,
            full_name: "Оператор просмотра".into(),
            mobile: Some(tiyn_core::MobileNumber::parse(mobile).expect("mobile")),
            email: None,
            level: None,
            operator_role: Some(OperatorRole::Viewer),
            consent: None,
            created_at: now(),
        })
        .await
        .expect("operator");
    let hash = tiyn_auth::PasswordHasher::for_tests().hash(OPERATOR_PASSWORD, &mut rand::rng()).expect("hash");
    test.store.activate_user(id, hash.as_phc_str(), now()).await.expect("active");
    sign_in_through_pages(test, mobile, OPERATOR_PASSWORD, mobile).await.0
}

async fn partner_user(test: &TestApp, level: &str) -> Browser {
    let (login, password, mobile) = test.login(level, true);
    sign_in_through_pages(test, &login, &password, &mobile).await.0
}

/// The `<tr data-pair="…">` row of the rates table, as text.
fn row<'h>(html: &'h str, pair: &str) -> &'h str {
    let start = html.find(&format!("data-pair=\"{pair}\"")).unwrap_or_else(|| panic!("no row {pair}"));
    let end = html[start..].find("</tr>").expect("row end") + start;
    &html[start..end]
}

/// Uploads `file` from the console's form as a browser does (multipart, `_csrf` first).
async fn upload(test: &TestApp, browser: &Browser, csrf: Option<&str>, file: &str) -> axum::http::Response<Body> {
    let boundary = "----tiynTestBoundary7MA4YWxk";
    let mut body = String::new();
    if let Some(csrf) = csrf {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n"));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rates.xml\"\r\nContent-Type: text/xml\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    let request = Request::post("/bank/rates/nbk")
        .header("cookie", format!("tiyn_session={}", browser.token.as_deref().expect("signed in")))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .expect("request");
    send(&test.app, request).await
}

/// R-3.1.1.4: every level sees the rates page from the navigation, next to the accounts:
/// the bank's rates in force with the decimal comma, the instant they are for, a 30-day chart per
/// currency as inline SVG (no script, no inline style); without the NBK's rates imported yet, the
/// page says so. The English page reads the same numbers with a point.
#[tokio::test]
async fn r_13_2_the_partner_sees_the_rates_and_their_chart() {
    let test = test_app().await;
    for level in ["full", "create"] {
        let browser = partner_user(&test, level).await;
        let accounts = body_text(browser.get(&test.app, "/accounts").await).await;
        let (accounts_link, rates_link) = (
            accounts.find("href=\"/accounts\" aria-current=\"page\"").expect("accounts link"),
            accounts.find("href=\"/rates\"").expect("the navigation links to the rates"),
        );
        assert!(
            accounts_link < rates_link && accounts[accounts_link..rates_link].matches("<a ").count() == 1,
            "next to accounts"
        );

        let response = browser.get(&test.app, "/rates").await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = body_text(response).await;
        assert_no_inline_code(&html);
        assert!(html.contains("<h1>Курсы валют</h1>"), "{html}");
        assert!(html.contains("Курсы банка для конвертации на 01.01.2026 05:00 (время Алматы)."));
        assert!(html.contains("href=\"/rates\" aria-current=\"page\""));
        let usd = row(&html, "USD/KZT");
        assert!(usd.contains("<td class=\"num\" data-buy>473,60</td>") && usd.contains("data-sell>479,60<"), "{usd}");
        assert!(usd.contains("data-official>—<") && usd.contains("01.01.2026 04:30"), "{usd}");
        assert!(row(&html, "RUB/KZT").contains("data-buy>5,79<"));
        assert!(html.contains("Официальные курсы Национального банка не загружены."));
        assert_eq!(html.matches("<svg class=\"chart__svg\"").count(), 4, "one chart per currency");
        assert!(html.contains(
            "<title id=\"chart-USD-KZT-title\">USD/KZT: курсы покупки и продажи с 02.12.2025 по 01.01.2026</title>"
        ));
        assert_eq!(html.matches("<polyline class=\"chart__line chart__line--buy\" points=\"").count(), 4);
    }
    let browser = partner_user(&test, "confirm").await;
    let english = body_text(browser.get(&test.app, "/rates?lang=en").await).await;
    assert!(row(&english, "EUR/KZT").contains("data-buy>544.80<"), "{english}");
    assert!(
        english.contains("The bank&#39;s rates over 30 days") || english.contains("The bank's rates over 30 days"),
        "{english}"
    );
}

/// once the NBK's day is imported, the partner's page shows its rate per unit next to the
/// bank's, as reference, with the day it is for.
#[tokio::test]
async fn r_13_2_the_official_rate_is_shown_as_reference() {
    let test = test_app().await;
    test.clock.set(jiff::Timestamp::from_second(1_785_733_200).expect("2026-08-03 10:00 Almaty"));
    let browser = partner_user(&test, "full").await;
    let html = body_text(browser.get(&test.app, "/rates").await).await;
    assert!(row(&html, "USD/KZT").contains("data-official>474,20<"));
    assert!(row(&html, "EUR/KZT").contains("data-official>544,50<"));
    assert!(row(&html, "CNY/KZT").contains("data-official>—<"), "the sample has no CNY");
    assert!(html.contains("Официальные курсы Национального банка Республики Казахстан на 31.07.2026 — справочно"));
}

/// the operator sets a rate through the console's form (a decimal comma is fine); the
/// partner's page shows it at once. Refusals stand next to their fields, the typed values stay,
/// nothing is set.
#[tokio::test]
async fn r_13_2_the_operator_sets_a_rate_through_the_form() {
    let test = test_app().await;
    let console = administrator(&test).await;
    let html = body_text(console.get(&test.app, "/bank/rates").await).await;
    assert_no_inline_code(&html);
    assert!(html.contains("<h1>Курсы валют банка</h1>") && html.contains("action=\"/bank/rates\""));
    assert!(html.contains("href=\"/bank/rates\" aria-current=\"page\""), "the console's navigation");
    assert!(row(&html, "USD/KZT").contains("data-buy>473,60<"));

    let refused = console
        .post(
            &test.app,
            "/bank/rates",
            &[("base", "USD"), ("quote", "KZT"), ("buy", "abc"), ("sell", "480"), ("valid_from", "2025-12-31T10:00")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(refused).await;
    assert_eq!(text_of(&html, "buy-error"), "Неверный курс");
    assert_eq!(text_of(&html, "valid_from-error"), "Курс не может действовать с прошлого момента");
    assert!(html.contains("name=\"buy\" value=\"abc\""), "typed values stay");
    let refused = console
        .post(
            &test.app,
            "/bank/rates",
            &[("base", "EUR"), ("quote", "KZT"), ("buy", "560"), ("sell", "550"), ("valid_from", "")],
        )
        .await;
    assert_eq!(text_of(&body_text(refused).await, "buy-error"), "Курс покупки выше курса продажи");
    let same = console
        .post(
            &test.app,
            "/bank/rates",
            &[("base", "KZT"), ("quote", "KZT"), ("buy", "1"), ("sell", "1"), ("valid_from", "")],
        )
        .await;
    assert_eq!(text_of(&body_text(same).await, "quote-error"), "Валюты пары совпадают");

    let set = console
        .post(
            &test.app,
            "/bank/rates",
            &[("base", "USD"), ("quote", "KZT"), ("buy", "476,10"), ("sell", " 482,30 "), ("valid_from", "")],
        )
        .await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&set).as_deref(), Some("/bank/rates?done=set"));
    let html = body_text(console.get(&test.app, "/bank/rates?done=set").await).await;
    assert_eq!(text_of(&html, "rates-notice"), "Курс установлен.");
    let partner = partner_user(&test, "create").await;
    let html = body_text(partner.get(&test.app, "/rates").await).await;
    let usd = row(&html, "USD/KZT");
    assert!(usd.contains("data-buy>476,10<") && usd.contains("data-sell>482,30<"), "{usd}");

    // Scheduled in Almaty time: in force from tomorrow 09:00, so not shown yet.
    let ahead = console
        .post(
            &test.app,
            "/bank/rates",
            &[("base", "CNY"), ("quote", "KZT"), ("buy", "66"), ("sell", "69"), ("valid_from", "2026-01-02T09:00")],
        )
        .await;
    assert_eq!(ahead.status(), StatusCode::SEE_OTHER);
    let pair = tiyn_fx::Pair::against_tenge(Currency::Cny).expect("pair");
    let tomorrow = jiff::Timestamp::from_second(1_767_326_400).expect("2026-01-02T04:00:00Z");
    let history = test.store.fx_rate_history(pair, tomorrow, tomorrow).await.expect("history");
    assert_eq!(history.last().map(|rate| rate.valid_from()), Some(tomorrow), "09:00 Almaty is 04:00 UTC");
}

/// the operator uploads the NBK's file from the console; the latest official rates appear
/// with their day; a day without rates is refused next to the file field; an upload without the
/// session's CSRF field is refused like any form.
#[tokio::test]
async fn r_13_2_the_operator_uploads_the_nbk_file() {
    let test = test_app().await;
    test.clock.set(jiff::Timestamp::from_second(1_785_733_200).expect("2026-08-03 10:00 Almaty"));
    let console = administrator(&test).await;
    let corrected = NBK_SAMPLE.replace("<description>544.5</description>", "<description>545.1</description>");
    let response = upload(&test, &console, Some(&console.csrf()), &corrected).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(&response).expect("redirect");
    assert_eq!(target, "/bank/rates?done=imported&date=31.07.2026&added=0&replaced=1&unchanged=3#official");
    let html = body_text(console.get(&test.app, target.trim_end_matches("#official")).await).await;
    assert_eq!(
        text_of(&html, "rates-notice"),
        "Курсы НБ РК на 31.07.2026 загружены: добавлено 0, заменено 1, без изменений 3."
    );
    assert!(html.contains("<h2>Официальные курсы НБ РК на 31.07.2026</h2>"));
    assert!(html.contains("<tr data-code=\"JPY\"><th scope=\"row\">JPY</th><td>ЯПОНСКАЯ ИЕНА</td><td class=\"num\">292,00</td><td class=\"num\">100</td><td class=\"num\" data-per-unit>2,92</td></tr>"), "{html}");
    assert!(row(&html, "EUR/KZT").contains("data-official>545,10<"));

    let refused = upload(&test, &console, Some(&console.csrf()), NBK_NO_DATA).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(text_of(&body_text(refused).await, "file-error"), "Нацбанк не опубликовал курсы на эту дату");
    let empty = upload(&test, &console, Some(&console.csrf()), "").await;
    assert_eq!(text_of(&body_text(empty).await, "file-error"), "Выберите файл курсов.");
    let forged = upload(&test, &console, None, NBK_SAMPLE).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let forged = upload(&test, &console, Some("not-the-token"), NBK_SAMPLE).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

/// a viewer operator reads the console's rates without the forms and cannot post
/// them; a partner's user gets the refusal page on the console.
#[tokio::test]
async fn r_13_2_only_the_rates_role_changes_rates() {
    let test = test_app().await;
    let viewer = viewer_operator(&test).await;
    let html = body_text(viewer.get(&test.app, "/bank/rates").await).await;
    assert!(html.contains("<h1>Курсы валют банка</h1>") && !html.contains("action=\"/bank/rates\""), "no form");
    let refused =
        viewer.post(&test.app, "/bank/rates", &[("base", "USD"), ("quote", "KZT"), ("buy", "1"), ("sell", "2")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let partner = partner_user(&test, "full").await;
    assert_eq!(partner.get(&test.app, "/bank/rates").await.status(), StatusCode::FORBIDDEN);
    let rates = test.store.fx_rates_at(jiff::Timestamp::MAX).await.expect("read");
    assert_eq!(rates.all().len(), 4, "nothing set");
}
