//! The bank's FX rates over HTTP (R-13.2, R-3.1.1.4), on SQLite or PostgreSQL
//! (`TIYN_TEST_BACKEND=postgres`): partners read the rates in force now or at the end of a past
//! business day, with the National Bank's official rates, and a pair's history; operators set
//! rates (every field's problem at once, rates as decimal strings only) and import the NBK's XML.
//!
//! The demo seeds USD, EUR, RUB and CNY against tenge at 09:00 Almaty 12, 9, 6, 4 and 2 days
//! before the test clock's 2026-01-01 (05:00 Almaty) and half an hour before it.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Session, TestApp, body_json, get, get_as, post_json, send, test_app};
use serde_json::{Value, json};
use tiyn_banking::rates::audit_action;
use tiyn_store::AuditQuery;

const NBK_SAMPLE: &str = include_str!("../../../../data/kz/nbk_get_rates_example.xml");
const NBK_NO_DATA: &str = include_str!("../../../../data/kz/nbk_get_rates_no_data_example.xml");

async fn operator(test: &TestApp) -> Session {
    let operator = &test.credentials.operators[0];
    test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await
}

async fn read(test: &TestApp, session: &Session, path: &str) -> (StatusCode, Value) {
    let response = get_as(&test.app, session, path).await;
    (response.status(), body_json(response).await)
}

/// `[(pair, buy, sell)]` of a rates answer.
fn pairs(rates: &Value) -> Vec<(String, String, String)> {
    rates
        .as_array()
        .expect("rates")
        .iter()
        .map(|rate| {
            let text = |name: &str| rate[name].as_str().expect(name).to_owned();
            (format!("{}/{}", text("base"), text("quote")), text("buy"), text("sell"))
        })
        .collect()
}

fn triple(pair: &str, buy: &str, sell: &str) -> (String, String, String) {
    (pair.to_owned(), buy.to_owned(), sell.to_owned())
}

/// `[(field, code)]` of a problem.
fn field_codes(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| {
            (error["field"].as_str().expect("field").to_owned(), error["code"].as_str().expect("code").to_owned())
        })
        .collect()
}

fn fc(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

async fn post_xml(test: &TestApp, session: &Session, content_type: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::post("/api/admin/v1/rates/nbk")
        .header("authorization", format!("Bearer {}", session.token))
        .header("content-type", content_type)
        .body(Body::from(body.to_owned()))
        .expect("request");
    let response = send(&test.app, request).await;
    (response.status(), body_json(response).await)
}

/// R-3.1.1.4: every access level reads the bank's rates in force now, per pair against
/// tenge, as decimal strings; without the NBK's rates imported, `official` is null. Nobody signed
/// in reads nothing.
#[tokio::test]
async fn r_13_2_partners_read_the_rates_in_force() {
    let test = test_app().await;
    for level in ["full", "confirm", "create"] {
        let session = test.sign_in(level, true).await;
        let (status, rates) = read(&test, &session, "/api/v1/rates").await;
        assert_eq!(status, StatusCode::OK, "{level}: {rates}");
        assert_eq!(rates["date"], "2026-01-01");
        assert_eq!(rates["at"], "2026-01-01T00:00:00Z");
        assert_eq!(
            pairs(&rates["rates"]),
            [
                triple("USD/KZT", "473.60", "479.60"),
                triple("EUR/KZT", "544.80", "554.80"),
                triple("RUB/KZT", "5.79", "6.19"),
                triple("CNY/KZT", "65.60", "68.10"),
            ]
        );
        assert_eq!(rates["rates"][0]["valid_from"], "2025-12-31T23:30:00Z");
        assert!(rates["rates"][0]["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert_eq!(rates["official"], Value::Null);
    }
    assert_eq!(get(&test.app, "/api/v1/rates").await.status(), StatusCode::UNAUTHORIZED);
}

/// `?date=` answers what was in force at the end of that Almaty business day, so a past
/// day's conversion can be checked; before the first rate, nothing; a future or malformed date
/// is refused with the field's name.
#[tokio::test]
async fn r_13_2_rates_of_a_past_day_are_those_in_force_at_its_end() {
    let test = test_app().await;
    let session = test.sign_in("create", true).await;
    let usd = |rates: &Value| pairs(&rates["rates"]).into_iter().next();
    let (status, day) = read(&test, &session, "/api/v1/rates?date=2025-12-23").await;
    assert_eq!(status, StatusCode::OK, "{day}");
    assert_eq!(day["at"], "2025-12-23T18:59:59.999999Z", "the end of the day in Almaty");
    assert_eq!(usd(&day), Some(triple("USD/KZT", "472.80", "478.80")), "set that morning");
    let (_, before) = read(&test, &session, "/api/v1/rates?date=2025-12-22").await;
    assert_eq!(usd(&before), Some(triple("USD/KZT", "471.50", "477.50")));
    let (_, none) = read(&test, &session, "/api/v1/rates?date=2025-12-19").await;
    assert_eq!(none["rates"], json!([]), "before the bank's first rate");
    for (query, code) in
        [("2026-01-02", "date_in_future"), ("01.01.2026", "invalid_date"), ("2025-02-30", "invalid_date")]
    {
        let (status, problem) = read(&test, &session, &format!("/api/v1/rates?date={query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(field_codes(&problem), [fc("date", code)], "{query}");
    }
}

/// the history of a pair over a period is the rate in force at its start and each change
/// until its end; the period is bounded and its problems are reported together.
#[tokio::test]
async fn r_13_2_history_of_a_pair_over_a_bounded_period() {
    let test = test_app().await;
    let session = test.sign_in("confirm", true).await;
    let (status, history) =
        read(&test, &session, "/api/v1/rates/history?base=USD&quote=KZT&from=2025-12-21&to=2025-12-27").await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!((&history["base"], &history["quote"]), (&json!("USD"), &json!("KZT")));
    assert_eq!((&history["from"], &history["to"]), (&json!("2025-12-21"), &json!("2025-12-27")));
    assert_eq!(
        pairs(&history["items"]),
        [
            triple("USD/KZT", "471.50", "477.50"),
            triple("USD/KZT", "472.80", "478.80"),
            triple("USD/KZT", "470.90", "476.90"),
        ]
    );
    let (_, defaults) = read(&test, &session, "/api/v1/rates/history?base=EUR").await;
    assert_eq!(
        (&defaults["quote"], &defaults["from"], &defaults["to"]),
        (&json!("KZT"), &json!("2025-12-02"), &json!("2026-01-01"))
    );
    assert_eq!(defaults["items"].as_array().map(Vec::len), Some(6), "the last 30 days: every demo change");

    let refused = [
        ("", vec![fc("base", "required")]),
        ("?base=XYZ&quote=KZT", vec![fc("base", "unsupported_currency")]),
        ("?base=KZT&quote=KZT", vec![fc("quote", "invalid_pair")]),
        ("?base=USD&from=2024-12-30&to=2026-01-01", vec![fc("from", "period_too_long")]),
        ("?base=USD&from=2025-12-10&to=2025-12-01", vec![fc("to", "period_inverted")]),
        (
            "?base=usd&from=2025-12-01&to=2026-02-01",
            vec![fc("base", "unsupported_currency"), fc("to", "date_in_future")],
        ),
    ];
    for (query, expected) in refused {
        let (status, problem) = read(&test, &session, &format!("/api/v1/rates/history{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {problem}");
        assert_eq!(field_codes(&problem), expected, "{query}");
    }
    let (status, _) = read(&test, &session, "/api/v1/rates/history?base=USD&from=2024-12-31&to=2026-01-01").await;
    assert_eq!(status, StatusCode::OK, "366 days is the longest period");
}

/// an operator sets a rate; partners see it in force at once, with the id a conversion
/// will name; the action is in the bank's audit trail with the operator as actor.
#[tokio::test]
async fn r_13_2_an_operator_sets_a_rate_partners_see_it() {
    let test = test_app().await;
    let bank = operator(&test).await;
    let body = json!({"base": "USD", "quote": "KZT", "buy": "475.00", "sell": "481.50"});
    let response = post_json(&test.app, "/api/admin/v1/rates", Some(&bank), body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let rate = body_json(response).await;
    assert_eq!(
        (&rate["buy"], &rate["sell"], &rate["valid_from"]),
        (&json!("475.00"), &json!("481.50"), &json!("2026-01-01T00:00:00Z"))
    );

    let partner = test.sign_in("full", true).await;
    let (_, rates) = read(&test, &partner, "/api/v1/rates").await;
    assert_eq!(rates["rates"][0]["id"], rate["id"]);
    assert_eq!(pairs(&rates["rates"])[0], triple("USD/KZT", "475.00", "481.50"));
    let (status, admin) = read(&test, &bank, "/api/admin/v1/rates").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(admin["rates"][0]["id"], rate["id"]);

    // A cross rate, set ahead: not in force yet.
    let ahead = json!({"base": "EUR", "quote": "USD", "buy": "1.1500", "sell": "1.1700", "valid_from": "2026-01-02T09:00:00+05:00"});
    let response = post_json(&test.app, "/api/admin/v1/rates", Some(&bank), ahead).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(body_json(response).await["valid_from"], "2026-01-02T04:00:00Z");
    let (_, rates) = read(&test, &partner, "/api/v1/rates").await;
    assert_eq!(rates["rates"].as_array().map(Vec::len), Some(4), "the cross rate starts tomorrow");

    let operator_id = test
        .store
        .user_by_login(&tiyn_core::Login::parse(&test.credentials.operators[0].login).expect("login"))
        .await
        .expect("read")
        .expect("operator")
        .id;
    let records = test.store.audit_records(AuditQuery { limit: 20, ..Default::default() }).await.expect("audit");
    let set: Vec<_> = records.iter().filter(|record| record.record.action == audit_action::RATE_SET).collect();
    assert_eq!(set.len(), 2);
    assert_eq!(set[1].record.actor, Some(operator_id));
    assert_eq!(set[1].record.details.as_deref(), Some("USD/KZT buy 475.00 sell 481.50 from 2026-01-01T00:00:00Z"));
}

/// a rate is refused with every field's problem at once, each named: a JSON number where
/// a rate is expected (like amounts), an unknown currency, buy above sell, a start in the past.
#[tokio::test]
async fn r_13_2_a_refused_rate_names_every_field() {
    let test = test_app().await;
    let bank = operator(&test).await;
    let cases = [
        (
            json!({"base": "XYZ", "quote": "KZT", "buy": 475, "sell": "abc", "valid_from": "yesterday"}),
            vec![
                fc("buy", "invalid_rate"),
                fc("base", "unsupported_currency"),
                fc("sell", "invalid_rate"),
                fc("valid_from", "invalid_instant"),
            ],
        ),
        (json!({"base": "USD", "quote": "KZT", "buy": "481.00", "sell": "480.00"}), vec![fc("buy", "buy_above_sell")]),
        (json!({"base": "USD", "quote": "KZT", "buy": "470", "sell": 480.5}), vec![fc("sell", "invalid_rate")]),
        (
            json!({"base": "USD", "quote": "KZT", "buy": "470", "sell": "480", "valid_from": "2025-12-31T23:59:59Z"}),
            vec![fc("valid_from", "valid_from_in_past")],
        ),
        (
            json!({}),
            vec![fc("base", "required"), fc("quote", "required"), fc("buy", "required"), fc("sell", "required")],
        ),
        (json!({"base": "USD", "quote": "KZT", "buy": "470.1234567", "sell": "480"}), vec![fc("buy", "invalid_rate")]),
    ];
    for (body, expected) in cases {
        let response = post_json(&test.app, "/api/admin/v1/rates", Some(&bank), body.clone()).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let problem = body_json(response).await;
        assert_eq!(field_codes(&problem), expected, "{body}: {problem}");
    }
    let unknown = post_json(&test.app, "/api/admin/v1/rates", Some(&bank), json!({"base": "USD", "rate": "1"})).await;
    assert_eq!(body_json(unknown).await["code"], "invalid_body");
    // The English title of a code the rates introduced, localised like every problem.
    let response = common::request_json(
        &test.app,
        "POST",
        "/api/admin/v1/rates",
        Some(&bank),
        json!({"base": "USD", "quote": "KZT", "buy": "2", "sell": "1"}),
    )
    .await;
    let problem = body_json(response).await;
    assert_eq!(problem["errors"][0]["message"], "Курс покупки выше курса продажи");
}

/// the bank's rate routes are the bank's: a partner's user is refused; the
/// partner's own route needs a session.
#[tokio::test]
async fn r_13_2_only_operators_set_rates() {
    let test = test_app().await;
    let partner = test.sign_in("full", true).await;
    let body = json!({"base": "USD", "quote": "KZT", "buy": "1.00", "sell": "2.00"});
    let response = post_json(&test.app, "/api/admin/v1/rates", Some(&partner), body).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(response).await["code"], "operator_only");
    let (status, _) = post_xml(&test, &partner, "application/xml", NBK_SAMPLE).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// the operator imports the NBK's sample day as XML; again, nothing changes; a day without
/// rates and a body that is not XML are refused with their code. Partners then see the official
/// rates per unit (JPY 292.00 per 100 is 2.92) as reference, dated, next to the bank's rates.
#[tokio::test]
async fn r_13_2_an_operator_imports_the_nbk_rates_partners_see_them() {
    let test = test_app().await;
    test.clock.set(jiff::Timestamp::from_second(1_785_733_200).expect("2026-08-03 10:00 Almaty"));
    let bank = operator(&test).await;
    // The demo imported the sample day already: the same file changes nothing.
    let (status, again) = post_xml(&test, &bank, "application/xml; charset=utf-8", NBK_SAMPLE).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["date"], "2026-07-31");
    assert_eq!(again["added"], json!([]));
    assert_eq!(again["unchanged"], json!(["USD", "EUR", "JPY", "UZS"]));
    let corrected = NBK_SAMPLE.replace("<description>474.2</description>", "<description>474.9</description>");
    let (status, report) = post_xml(&test, &bank, "text/xml", &corrected).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["replaced"], json!([{"code": "USD", "before": "474.20", "after": "474.90"}]));

    let (status, problem) = post_xml(&test, &bank, "application/xml", NBK_NO_DATA).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("nbk_no_data")));
    let (status, problem) = post_xml(&test, &bank, "application/xml", "<rates><date>31.07.2026</date><item>").await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("nbk_malformed_xml")));
    let (status, problem) = post_xml(&test, &bank, "application/json", "{}").await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unsupported_media_type")));

    let partner = test.sign_in("create", true).await;
    let (_, rates) = read(&test, &partner, "/api/v1/rates").await;
    assert_eq!(rates["date"], "2026-08-03");
    let official = &rates["official"];
    assert_eq!(official["date"], "2026-07-31", "the latest official day, said");
    let jpy = official["items"].as_array().expect("items").iter().find(|item| item["code"] == "JPY").expect("JPY");
    assert_eq!(
        *jpy,
        json!({"code": "JPY", "name": "ЯПОНСКАЯ ИЕНА", "rate": "2.92", "quant": 100, "published": "292.00"})
    );
    let usd = official["items"].as_array().expect("items").iter().find(|item| item["code"] == "USD").expect("USD");
    assert_eq!(usd["rate"], "474.90", "the correction");
    let (_, july) = read(&test, &partner, "/api/v1/rates?date=2026-07-30").await;
    assert_eq!(july["official"], Value::Null, "no official rates on or before that day");

    let records = test.store.audit_records(AuditQuery { limit: 20, ..Default::default() }).await.expect("audit");
    let imports = records.iter().filter(|record| record.record.action == audit_action::NBK_IMPORT).count();
    assert_eq!(imports, 2, "each accepted file is recorded");
}
