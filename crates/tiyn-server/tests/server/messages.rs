//! The bank's notices and the marketplace's reconciliation reports through the HTTP API (issue 6,
//! R-3.1.2.8, R-8.1.3): operators publish notices to one partner or to all (audited, idempotent
//! with a key), a tariff change publishes its notice by itself, a partner lists only its own and
//! the broadcasts; the marketplace's reports are ingested through the gateway (idempotent by report
//! id, every validation error named), read back with which payout covered which orders, and
//! exported as CSV (read with the csv crate) and XLSX (read with calamine). Runs on SQLite, and on
//! PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, Response};
use common::*;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tiyn_server::demo::{self, PARTNER_ONE, PARTNER_TWO};

fn gateway_key() -> String {
    tiyn_server::payments::gateway_key(&tiyn_auth::MasterKey::from_bytes([9; 32]))
}

async fn gateway_report(test: &TestApp, body: &Value) -> (u16, Value) {
    let request = Request::post("/api/gateway/v1/marketplace/reports")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", gateway_key()))
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = send(&test.app, request).await;
    let status = response.status().as_u16();
    (status, serde_json::from_str(&body_text(response).await).unwrap_or(Value::Null))
}

async fn operator(test: &TestApp) -> Session {
    let operator = &test.credentials.operators[0];
    test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await
}

async fn publish(test: &TestApp, operator: &Session, body: Value, key: Option<&str>) -> (u16, Value) {
    let mut request = Request::post("/api/admin/v1/messages")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", operator.token));
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = send(&test.app, request.body(Body::from(body.to_string())).expect("request")).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

async fn json_get(test: &TestApp, session: &Session, uri: &str) -> (u16, Value) {
    let response = get_as(&test.app, session, uri).await;
    let status = response.status().as_u16();
    let text = body_text(response).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["title"].as_str().expect("title").to_owned())
        .collect()
}

fn iban(partner: &demo::DemoPartnerSpec, index: usize) -> String {
    demo::demo_iban(&partner.accounts[index]).expect("iban").as_str().to_owned()
}

fn bin(partner: &demo::DemoPartnerSpec) -> String {
    demo::demo_bin(partner.bin_prefix).expect("bin").as_str().to_owned()
}

fn kzt(amount: &str) -> Value {
    json!({"amount": amount, "currency": "KZT"})
}

/// A sound report: four orders, P1 covers 1 and 2, P2 covers 3; order 4 is not paid out.
fn report(report_id: &str) -> Value {
    json!({
        "report_id": report_id,
        "partner_bin": bin(&PARTNER_ONE),
        "period": {"from": "2025-12-01", "to": "2025-12-31"},
        "orders": [
            {"order_id": "O-1", "sold_at": "2025-12-02T06:00:00Z", "amount": kzt("10000.00"), "commission": kzt("800.00")},
            {"order_id": "O-2", "sold_at": "2025-12-03T07:30:00Z", "amount": kzt("2500.50"), "commission": kzt("200.04")},
            {"order_id": "O-3", "sold_at": "2025-12-10T09:15:00Z", "amount": kzt("7300.00"), "commission": kzt("511.00")},
            {"order_id": "O-4", "sold_at": "2025-12-28T12:00:00Z", "amount": kzt("1000.00"), "commission": kzt("100.00")},
        ],
        "payouts": [
            {"payout_id": "P-1", "paid_on": "2025-12-15", "amount": kzt("11500.46"),
             "account_iban": iban(&PARTNER_ONE, 0), "order_ids": ["O-1", "O-2"]},
            {"payout_id": "P-2", "paid_on": "2025-12-29", "amount": kzt("6789.00"),
             "account_iban": iban(&PARTNER_ONE, 0), "order_ids": ["O-3"]},
        ],
    })
}

/// The refused fields of a problem, as (field, code).
fn refused(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| {
            (error["field"].as_str().expect("field").to_owned(), error["code"].as_str().expect("code").to_owned())
        })
        .collect()
}

/// R-3.1.2.8: an operator publishes a notice to one partner and one to every partner; the partner
/// lists its own and the broadcast, newest first; the other partner sees the broadcast only; the
/// publication is audited; an idempotency key replays the same notice and refuses other content.
#[tokio::test]
async fn r_3_1_2_8_notices_reach_their_partner_and_broadcasts_reach_all() {
    let test = test_app().await;
    let operator = operator(&test).await;
    let mine = json!({"partner_id": test.demo.partner.to_string(), "kind": "legal_address_change",
        "title": "Новый юридический адрес", "text": "Адрес обновлён.\nПроверьте его."});
    let (status, published) = publish(&test, &operator, mine.clone(), Some("notice-1")).await;
    assert_eq!(status, 201, "{published}");
    assert_eq!(published["replayed"], false);
    assert_eq!(published["notice"]["kind"], "legal_address_change");
    assert_eq!(published["partner_id"], test.demo.partner.to_string());
    test.clock.advance(jiff::SignedDuration::from_secs(60));
    let (status, broadcast) = publish(
        &test,
        &operator,
        json!({"kind": "promotion", "title": "Акция для всех", "text": "Переводы без комиссии."}),
        None,
    )
    .await;
    assert_eq!(status, 201, "{broadcast}");
    assert_eq!(broadcast["partner_id"], Value::Null);

    // The same key and content replays; the same key with other content is a conflict.
    let (status, again) = publish(&test, &operator, mine.clone(), Some("notice-1")).await;
    assert_eq!((status, &again["replayed"]), (200, &json!(true)), "{again}");
    assert_eq!(again["notice"]["id"], published["notice"]["id"]);
    let mut other = mine.clone();
    other["text"] = json!("Другой текст.");
    let (status, conflict) = publish(&test, &operator, other, Some("notice-1")).await;
    assert_eq!((status, conflict["code"].as_str()), (409, Some("idempotency_conflict")), "{conflict}");

    let ours = test.sign_in("full", true).await;
    let (status, list) = json_get(&test, &ours, "/api/v1/messages").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(titles(&list), ["Акция для всех", "Новый юридический адрес"], "newest first");
    assert_eq!(list["items"][0]["broadcast"], true);
    assert_eq!(list["items"][1]["text"], "Адрес обновлён.\nПроверьте его.");
    assert!(list["items"][1]["published_by"].as_str().is_some_and(|name| !name.is_empty()));
    assert_eq!(list["next_cursor"], Value::Null);

    let theirs = test.sign_in("full", false).await;
    let (_, list) = json_get(&test, &theirs, "/api/v1/messages").await;
    assert_eq!(titles(&list), ["Акция для всех"], "another partner's notice is never listed");

    // Pages: one at a time, the cursor walks on.
    let (_, first) = json_get(&test, &ours, "/api/v1/messages?limit=1").await;
    assert_eq!(titles(&first), ["Акция для всех"]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = json_get(&test, &ours, &format!("/api/v1/messages?limit=1&cursor={cursor}")).await;
    assert_eq!(titles(&second), ["Новый юридический адрес"]);
    let (status, _) = json_get(&test, &ours, "/api/v1/messages?cursor=nonsense").await;
    assert_eq!(status, 422);

    let records = test
        .store
        .audit_records(tiyn_store::AuditQuery {
            partner: Some(test.demo.partner),
            limit: 100,
            ..tiyn_store::AuditQuery::default()
        })
        .await
        .expect("audit");
    assert!(records.iter().any(|record| record.record.action == "messages.publish"), "the publication is audited");
}

/// R-3.1.2.8: a notice is checked field by field; a partner's user cannot publish.
#[tokio::test]
async fn r_3_1_2_8_a_bad_notice_is_refused_and_partners_cannot_publish() {
    let test = test_app().await;
    let operator = operator(&test).await;
    let (status, problem) =
        publish(&test, &operator, json!({"partner_id": "999999", "kind": "spam", "title": " ", "text": ""}), None)
            .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<String> = refused(&problem).into_iter().map(|(field, _)| field).collect();
    for field in ["partner_id", "kind", "title", "text"] {
        assert!(fields.iter().any(|refused| refused == field), "{field}: {problem}");
    }
    let user = test.sign_in("full", true).await;
    let (status, _) = publish(&test, &user, json!({"kind": "other", "title": "x", "text": "y"}), None).await;
    assert_eq!(status, 403);
}

/// R-3.1.2.8, R-4.15: changing a partner's tariff publishes a `tariff_change` notice to that
/// partner alone; setting the same rules again publishes nothing more.
#[tokio::test]
async fn r_3_1_2_8_a_tariff_change_publishes_its_notice() {
    let test = test_app().await;
    let operator = operator(&test).await;
    let rules = json!({
        "tariff": {
            "internal": {"commission": "free", "withholding": "separate"},
            "interbank": {"commission": "fixed", "fee": {"amount": "150.00", "currency": "KZT"}, "withholding": "separate"},
            "budget": {"commission": "free", "withholding": "separate"},
        },
        "limits": [],
        "disabled_kinds": [],
    });
    let uri = format!("/api/admin/v1/partners/{}/payment-rules", test.demo.partner);
    let response = request_json(&test.app, "PUT", &uri, Some(&operator), rules.clone()).await;
    assert_eq!(response.status(), 200, "{}", body_text(response).await);

    let ours = test.sign_in("confirm", true).await;
    let (_, list) = json_get(&test, &ours, "/api/v1/messages").await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["kind"], "tariff_change");
    assert!(items[0]["text"].as_str().is_some_and(|text| text.contains("150.00")), "{list}");
    assert_eq!(items[0]["broadcast"], false);

    // The same plan again: nothing changed, nothing announced. Limits alone change no tariff.
    let response = request_json(&test.app, "PUT", &uri, Some(&operator), rules.clone()).await;
    assert_eq!(response.status(), 200);
    let mut limits_only = rules.clone();
    limits_only["disabled_kinds"] = json!(["interbank"]);
    let response = request_json(&test.app, "PUT", &uri, Some(&operator), limits_only).await;
    assert_eq!(response.status(), 200);
    let (_, list) = json_get(&test, &ours, "/api/v1/messages").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");

    let theirs = test.sign_in("full", false).await;
    let (_, list) = json_get(&test, &theirs, "/api/v1/messages").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
}

/// R-3.1.2.8: a report is ingested once; the same content again replays, other content under its
/// id is 409 `idempotency_conflict` and changes nothing; only the gateway's key may send one.
#[tokio::test]
async fn r_3_1_2_8_reports_are_idempotent_by_report_id() {
    let test = test_app().await;
    let body = report("MP-2025-12");
    let (status, answer) = gateway_report(&test, &body).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer, json!({"report_id": "MP-2025-12", "outcome": "created", "replayed": false}));
    let (status, answer) = gateway_report(&test, &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["outcome"], "replayed");
    assert_eq!(answer["replayed"], true);

    let mut other = body.clone();
    other["orders"][3]["amount"] = kzt("1500.00");
    let (status, problem) = gateway_report(&test, &other).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("idempotency_conflict")), "{problem}");

    let user = test.sign_in("full", true).await;
    let (_, detail) = json_get(&test, &user, "/api/v1/marketplace/reports/MP-2025-12").await;
    assert_eq!(detail["sales"], kzt("20800.50"), "the first content stays");

    let anonymous = post_json(&test.app, "/api/gateway/v1/marketplace/reports", None, body.clone()).await;
    assert_eq!(anonymous.status(), 401);
    let response = post_json(&test.app, "/api/gateway/v1/marketplace/reports", Some(&user), body).await;
    assert_eq!(response.status(), 401, "a partner's session is not the gateway's key");
}

/// R-3.1.2.8: every refusal of a report, each naming its field (and the payout or order in its
/// message); nothing of a refused report is kept.
#[tokio::test]
async fn r_3_1_2_8_each_validation_error_of_a_report_is_named() {
    let test = test_app().await;
    let check = |mutate: fn(&mut Value), expected: &'static [(&'static str, &'static str)]| {
        let mut body = report("MP-BAD");
        mutate(&mut body);
        (body, expected)
    };
    let cases: Vec<(Value, &[(&str, &str)])> = vec![
        // Money is a decimal string only.
        check(
            |body| body["orders"][0]["amount"] = json!({"amount": 10000, "currency": "KZT"}),
            &[("orders[0].amount.amount", "invalid_amount")],
        ),
        check(
            |body| body["orders"][1]["commission"] = kzt("200.045"),
            &[("orders[1].commission.amount", "invalid_amount")],
        ),
        // One currency per report.
        check(
            |body| body["orders"][2]["amount"] = json!({"amount": "7300.00", "currency": "USD"}),
            &[("orders[2].amount.currency", "currency_mismatch")],
        ),
        // Each order in at most one payout.
        check(
            |body| {
                body["payouts"][1]["order_ids"] = json!(["O-3", "O-2"]);
                body["payouts"][1]["amount"] = kzt("9089.46");
            },
            &[("payouts[1].order_ids[1]", "order_in_two_payouts")],
        ),
        // The payout's amount is its orders' amounts less commissions.
        check(
            |body| body["payouts"][0]["amount"] = kzt("11500.00"),
            &[("payouts[0].amount.amount", "payout_amount_mismatch")],
        ),
        check(|body| body["payouts"][1]["order_ids"] = json!(["O-9"]), &[("payouts[1].order_ids[0]", "unknown_order")]),
        // A payout sends money: one of nothing (orders whose commission took everything) is refused.
        check(
            |body| {
                body["orders"][3]["commission"] = kzt("1000.00");
                body["payouts"][1]["order_ids"] = json!(["O-4"]);
                body["payouts"][1]["amount"] = kzt("0.00");
            },
            &[("payouts[1].amount.amount", "invalid_amount")],
        ),
        check(
            |body| body["payouts"][0]["account_iban"] = json!(iban(&PARTNER_TWO, 0)),
            &[("payouts[0].account_iban", "payout_account_invalid")],
        ),
        check(
            |body| body["orders"][3]["commission"] = kzt("1000.01"),
            &[("orders[3].commission.amount", "commission_exceeds_amount")],
        ),
        check(|body| body["orders"][1]["order_id"] = json!("O-1"), &[("orders[1].order_id", "duplicate_order")]),
        check(|body| body["orders"][0]["sold_at"] = json!("yesterday"), &[("orders[0].sold_at", "invalid_instant")]),
        check(|body| body["period"]["to"] = json!("2025-11-30"), &[("period.to", "period_reversed")]),
        check(
            |body| body["partner_bin"] = json!(demo::demo_bin("1901400099").expect("bin").as_str()),
            &[("partner_bin", "unknown_partner")],
        ),
        check(|body| body["partner_bin"] = json!("000000000000"), &[("partner_bin", "invalid_bin")]),
        check(|body| body["orders"] = json!([]), &[("orders", "no_orders")]),
        check(|body| body["report_id"] = json!(""), &[("report_id", "invalid_report_id")]),
    ];
    for (body, expected) in cases {
        let (status, problem) = gateway_report(&test, &body).await;
        assert_eq!(status, 422, "{body}: {problem}");
        let found = refused(&problem);
        for (field, code) in expected {
            assert!(
                found.iter().any(|(refused_field, refused_code)| refused_field == field && refused_code == code),
                "{field} {code} in {problem}"
            );
        }
    }
    // The payout's mismatch names the payout and both sums.
    let mut body = report("MP-BAD");
    body["payouts"][0]["amount"] = kzt("11500.00");
    let (_, problem) = gateway_report(&test, &body).await;
    let detail = problem["detail"].as_str().expect("detail");
    assert!(detail.contains("P-1") && detail.contains("11500.00") && detail.contains("11500.46"), "{detail}");
    assert_eq!(problem["errors"][0]["message"], "Сумма выплаты не равна сумме заказов за вычетом комиссий");

    let user = test.sign_in("full", true).await;
    let (_, list) = json_get(&test, &user, "/api/v1/marketplace/reports").await;
    assert_eq!(list["items"], json!([]), "nothing of a refused report is kept");
}

/// R-3.1.2.8: a report's detail says which payout covered which orders, its totals and the orders
/// not yet paid out; another partner's report answers 404 like an unknown one.
#[tokio::test]
async fn r_3_1_2_8_a_report_shows_payouts_with_their_orders() {
    let test = test_app().await;
    let (status, _) = gateway_report(&test, &report("MP-2025-12")).await;
    assert_eq!(status, 201);
    let user = test.sign_in("full", true).await;
    let (status, list) = json_get(&test, &user, "/api/v1/marketplace/reports").await;
    assert_eq!(status, 200, "{list}");
    let summary = &list["items"][0];
    assert_eq!(summary["report_id"], "MP-2025-12");
    assert_eq!(summary["orders"], 4);
    assert_eq!(summary["payouts"], 2);
    assert_eq!(summary["unpaid_orders"], 1);

    let (status, detail) = json_get(&test, &user, "/api/v1/marketplace/reports/MP-2025-12").await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["sales"], kzt("20800.50"));
    assert_eq!(detail["commission"], kzt("1611.04"));
    assert_eq!(detail["net"], kzt("19189.46"));
    assert_eq!(detail["paid_out"], kzt("18289.46"));
    assert_eq!(detail["unpaid"], kzt("900.00"));
    assert_eq!(detail["payouts"][0]["payout_id"], "P-1");
    assert_eq!(detail["payouts"][0]["order_ids"], json!(["O-1", "O-2"]));
    assert_eq!(detail["payouts"][1]["order_ids"], json!(["O-3"]));
    assert_eq!(detail["unpaid_order_ids"], json!(["O-4"]));
    assert_eq!(detail["orders"][1]["payout_id"], "P-1");
    assert_eq!(detail["orders"][1]["net"], kzt("2300.46"));
    assert_eq!(detail["orders"][3]["payout_id"], Value::Null);

    let theirs = test.sign_in("full", false).await;
    let (status, foreign) = json_get(&test, &theirs, "/api/v1/marketplace/reports/MP-2025-12").await;
    let (_, unknown) = json_get(&test, &theirs, "/api/v1/marketplace/reports/NO-SUCH").await;
    assert_eq!(status, 404);
    assert_eq!(foreign, unknown, "another partner's report answers like an unknown one");
    let (_, list) = json_get(&test, &theirs, "/api/v1/marketplace/reports").await;
    assert_eq!(list["items"], json!([]));
}

async fn bytes(response: Response<Body>) -> Vec<u8> {
    response.into_body().collect().await.expect("body").to_bytes().to_vec()
}

/// R-3.1.2.8, R-3.1.2.6: a report exports as CSV (read back with the csv crate: UTF-8 with BOM,
/// one row per order with its payout, a totals row) and XLSX (read back with calamine: amounts are
/// numbers).
#[tokio::test]
async fn r_3_1_2_8_a_report_exports_as_csv_and_xlsx() {
    let test = test_app().await;
    gateway_report(&test, &report("MP-2025-12")).await;
    let user = test.sign_in("create", true).await;

    let response = get_as(&test.app, &user, "/api/v1/marketplace/reports/MP-2025-12?format=csv&lang=en").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("text/csv; charset=utf-8"));
    assert!(header(&response, "content-disposition").is_some_and(|value| value.contains("marketplace-MP-2025-12.csv")));
    let body = bytes(response).await;
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let mut reader = csv::ReaderBuilder::new().from_reader(&body[3..]);
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(&headers[0], "Order");
    assert_eq!(&headers[6], "Payout");
    let rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("row")).collect();
    assert_eq!(rows.len(), 5, "four orders and the totals");
    assert_eq!((&rows[1][0], &rows[1][2], &rows[1][3], &rows[1][4]), ("O-2", "2500.50", "200.04", "2300.46"));
    assert_eq!((&rows[1][6], &rows[1][7]), ("P-1", "2025-12-15"));
    assert_eq!(&rows[3][6], "", "order 4 is not paid out");
    assert_eq!((&rows[4][0], &rows[4][2], &rows[4][4]), ("Total", "20800.50", "19189.46"));

    let response = get_as(&test.app, &user, "/api/v1/marketplace/reports/MP-2025-12?format=xlsx").await;
    assert_eq!(response.status(), 200);
    let body = bytes(response).await;
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(body)).expect("an XLSX workbook");
    let sheet = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&sheet).expect("sheet");
    let rows: Vec<&[Data]> = range.rows().collect();
    assert!(matches!(&rows[0][0], Data::String(title) if title.contains("MP-2025-12")), "{:?}", rows[0]);
    assert_eq!(rows[1][0], Data::String("Заказ".to_owned()));
    assert_eq!(rows[2][0], Data::String("O-1".to_owned()));
    assert_eq!(rows[2][2], Data::Float(10_000.0), "amounts are numbers");
    assert_eq!(rows[3][3], Data::Float(200.04));
    assert_eq!(rows[2][6], Data::String("P-1".to_owned()));

    let (status, problem) = json_get(&test, &user, "/api/v1/marketplace/reports/MP-2025-12?format=pdf").await;
    assert_eq!(status, 422, "{problem}");
}

/// R-3.1.2.8, R-8.1.3: all three levels read notices and reports (an information service); the
/// bank can withhold the service from the `create` level.
#[tokio::test]
async fn r_3_1_2_8_every_level_reads_notices_and_reports() {
    let test = test_app().await;
    let operator = operator(&test).await;
    publish(&test, &operator, json!({"kind": "maintenance", "title": "Работы", "text": "Ночью."}), None).await;
    gateway_report(&test, &report("MP-2025-12")).await;
    for level in ["full", "confirm", "create"] {
        let session = test.sign_in(level, true).await;
        for uri in ["/api/v1/messages", "/api/v1/marketplace/reports", "/api/v1/marketplace/reports/MP-2025-12"] {
            let (status, body) = json_get(&test, &session, uri).await;
            assert_eq!(status, 200, "{level} {uri}: {body}");
        }
        let (_, list) = json_get(&test, &session, "/api/v1/messages").await;
        assert_eq!(titles(&list), ["Работы"], "{level}");
    }
    let uri = format!("/api/admin/v1/partners/{}/withheld-services", test.demo.partner);
    let response = request_json(&test.app, "PUT", &uri, Some(&operator), json!({"withheld": ["view_messages"]})).await;
    assert!(response.status().is_success(), "{}", body_text(response).await);
    let create = test.sign_in("create", true).await;
    let (status, _) = json_get(&test, &create, "/api/v1/messages").await;
    assert_eq!(status, 403, "withheld from the create level");
    let confirm = test.sign_in("confirm", true).await;
    let (status, _) = json_get(&test, &confirm, "/api/v1/marketplace/reports").await;
    assert_eq!(status, 200, "the other levels keep it");
}

/// The demo seeds its notices and its report through these use cases, and a second run replays.
#[tokio::test]
async fn r_3_1_2_8_the_demo_seeds_notices_and_a_report_once() {
    let test = test_app().await;
    let banking = test.app_banking();
    let first = demo::seed_messages(&banking, &test.demo, now()).await.expect("seed");
    assert_eq!(first.notices_published, demo::DEMO_NOTICES.len());
    assert!(first.report_created);
    let again = demo::seed_messages(&banking, &test.demo, now()).await.expect("seed again");
    assert_eq!((again.notices_published, again.report_created), (0, false));
    let user = test.sign_in("full", true).await;
    let (_, list) = json_get(&test, &user, "/api/v1/messages").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(demo::DEMO_NOTICES.len()));
    let (_, detail) =
        json_get(&test, &user, &format!("/api/v1/marketplace/reports/{}", demo::demo_report_id(now()))).await;
    assert_eq!(detail["orders"].as_array().map(Vec::len), Some(demo::DEMO_MARKETPLACE_ORDERS), "{detail}");
    assert_eq!(detail["payouts"].as_array().map(Vec::len), Some(demo::DEMO_MARKETPLACE_PAID.len()));
    let theirs = test.sign_in("full", false).await;
    let (_, list) = json_get(&test, &theirs, "/api/v1/messages").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(demo::DEMO_NOTICES.len() - 1), "not the legal address");
}
