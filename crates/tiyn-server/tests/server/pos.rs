//! POS terminals, their operations and planned credits through the HTTP API (issue 6, R-3.1.2.4,
//! R-3.1.2.5, R-3.1.2.6, R-8.1.3): the acquirer's ingestion (idempotent by operation id, a full
//! card number refused and never kept), the partner's lists and exports read back with
//! independent readers (the csv crate, calamine, poppler's pdftotext), tenant isolation, and a
//! planned credit that leaves the plan when its settlement arrives. Runs on SQLite, and on
//! PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, Response};
use common::*;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tiyn_server::demo::{self, PARTNER_ONE, PARTNER_TWO};

const TERMINAL: &str = "T0000001";
const OTHER_TERMINAL: &str = "T0000009";
const FULL_PAN: &str = "4400430012341234";

fn gateway_key() -> String {
    tiyn_server::payments::gateway_key(&tiyn_auth::MasterKey::from_bytes([9; 32]))
}

async fn gateway(test: &TestApp, path: &str, body: Value) -> Response<Body> {
    let request = Request::post(format!("/api/gateway/v1{path}"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", gateway_key()))
        .body(Body::from(body.to_string()))
        .expect("request");
    send(&test.app, request).await
}

fn iban(partner: &demo::DemoPartnerSpec) -> String {
    demo::demo_iban(&partner.accounts[0]).expect("iban").as_str().to_owned()
}

fn bin(partner: &demo::DemoPartnerSpec) -> String {
    demo::demo_bin(partner.bin_prefix).expect("bin").as_str().to_owned()
}

/// An operation as the acquirer sends it.
#[allow(clippy::too_many_arguments)]
fn operation(
    id: &str,
    terminal: &str,
    at: &str,
    kind: &str,
    status: &str,
    amount: &str,
    fee: &str,
    settlement: Option<&str>,
) -> Value {
    json!({
        "operation_id": id,
        "terminal_id": terminal,
        "occurred_at": at,
        "kind": kind,
        "status": status,
        "card": "440043******1234",
        "amount": {"amount": amount, "currency": "KZT"},
        "fee": {"amount": fee, "currency": "KZT"},
        "settlement_date": settlement,
    })
}

/// The sample period's operations: on 10 and 11 December 2025 (Almaty), settled the next day.
fn sample() -> Vec<Value> {
    vec![
        operation(
            "OP-1",
            TERMINAL,
            "2025-12-10T05:15:00Z",
            "purchase",
            "settled",
            "15000.00",
            "270.00",
            Some("2025-12-11"),
        ),
        operation(
            "OP-2",
            TERMINAL,
            "2025-12-10T07:40:00Z",
            "purchase",
            "settled",
            "4990.50",
            "89.83",
            Some("2025-12-11"),
        ),
        operation("OP-3", TERMINAL, "2025-12-10T09:00:00Z", "refund", "settled", "1000.00", "0.00", Some("2025-12-11")),
        operation("OP-4", TERMINAL, "2025-12-10T10:00:00Z", "purchase", "declined", "99999.00", "0.00", None),
        // 23:30 in Almaty on 11 December is still the 11th there (18:30 UTC).
        operation(
            "OP-5",
            TERMINAL,
            "2025-12-11T18:30:00Z",
            "purchase",
            "settled",
            "20000.00",
            "360.00",
            Some("2025-12-12"),
        ),
        operation(
            "OP-6",
            TERMINAL,
            "2025-12-11T12:00:00Z",
            "reversal",
            "settled",
            "500.00",
            "0.00",
            Some("2025-12-12"),
        ),
    ]
}

struct Pos {
    test: TestApp,
    session: Session,
}

/// The demo with one terminal for each partner, and the sample operations ingested.
async fn fixture() -> Pos {
    let test = test_app().await;
    for (terminal, partner, address) in [
        (TERMINAL, &PARTNER_ONE, "г. Алматы, пр. Абая, 1"),
        (OTHER_TERMINAL, &PARTNER_TWO, "г. Астана, ул. Кунаева, 12"),
    ] {
        let response = gateway(
            &test,
            "/pos/terminals",
            json!({"terminal_id": terminal, "partner_bin": bin(partner), "address": address, "status": "active",
                "settlement_iban": iban(partner)}),
        )
        .await;
        assert_eq!(response.status(), 201, "{}", body_text(response).await);
    }
    let mut operations = sample();
    operations.push(operation(
        "OTHER-1",
        OTHER_TERMINAL,
        "2025-12-10T06:00:00Z",
        "purchase",
        "settled",
        "777.00",
        "10.00",
        Some("2025-12-11"),
    ));
    let response = gateway(&test, "/pos/operations", json!({"operations": operations})).await;
    assert_eq!(response.status(), 200);
    let results = body_json(response).await;
    for result in results["results"].as_array().expect("results") {
        assert_eq!(result["outcome"], "created", "{result}");
    }
    let session = test.sign_in("full", true).await;
    Pos { test, session }
}

async fn json_of(response: Response<Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = body_text(response).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn bytes_of(response: Response<Body>) -> Vec<u8> {
    response.into_body().collect().await.expect("body").to_bytes().to_vec()
}

fn transactions(terminal: &str, extra: &str) -> String {
    format!("/api/v1/pos/transactions?terminal={terminal}&from=2025-12-01&to=2025-12-31{extra}")
}

/// R-3.1.2.4, R-3.1.2.5: the same operation again is a replay; an approved operation sent again
/// as settled is settled; other content under its id is a conflict, and the first stays as it was.
#[tokio::test]
async fn r_3_1_2_4_ingestion_is_idempotent_by_operation_id() {
    let pos = fixture().await;
    let again = gateway(&pos.test, "/pos/operations", json!({"operations": sample()})).await;
    let (status, body) = json_of(again).await;
    assert_eq!(status, 200);
    for result in body["results"].as_array().expect("results") {
        assert_eq!(result["outcome"], "replayed", "{result}");
        assert_eq!(result["replayed"], true);
    }
    let mut changed = sample()[0].clone();
    changed["amount"]["amount"] = json!("15000.01");
    let new = operation("OP-7", TERMINAL, "2025-12-12T05:00:00Z", "purchase", "approved", "100.00", "1.80", None);
    let (_, body) = json_of(gateway(&pos.test, "/pos/operations", json!({"operations": [changed, new]})).await).await;
    assert_eq!(body["results"][0]["outcome"], "refused");
    assert_eq!(body["results"][0]["code"], "idempotency_conflict");
    assert_eq!(body["results"][1]["outcome"], "created", "one refusal does not stop the others");
    let (_, page) = json_of(get_as(&pos.test.app, &pos.session, &transactions(TERMINAL, "")).await).await;
    let first = page["items"].as_array().expect("items").iter().find(|item| item["operation_id"] == "OP-1").cloned();
    assert_eq!(first.expect("OP-1")["amount"]["amount"], "15000.00", "the first content stays");

    // The acquirer reports OP-7 again once it is settled: the same operation, now settled on its
    // date (and then planned for that date); a repeat replays; going back to approved is refused.
    let settled = operation(
        "OP-7",
        TERMINAL,
        "2025-12-12T05:00:00Z",
        "purchase",
        "settled",
        "100.00",
        "1.80",
        Some("2025-12-15"),
    );
    let back = operation("OP-7", TERMINAL, "2025-12-12T05:00:00Z", "purchase", "approved", "100.00", "1.80", None);
    let (_, body) =
        json_of(gateway(&pos.test, "/pos/operations", json!({"operations": [settled.clone(), settled, back]})).await)
            .await;
    let outcomes: Vec<&str> =
        body["results"].as_array().expect("results").iter().filter_map(|result| result["outcome"].as_str()).collect();
    assert_eq!(outcomes, ["settled", "replayed", "refused"], "{body}");
    let (_, planned) = json_of(get_as(&pos.test.app, &pos.session, "/api/v1/planned-credits").await).await;
    let planned_op7 = planned["items"].as_array().expect("items").iter().any(|item| {
        item["expected_date"] == "2025-12-15" && item["amount"]["amount"] == "98.20" && item["operations"] == 1
    });
    assert!(planned_op7, "the settled operation is planned on its date: {planned}");

    // Unknown terminals, bad kinds and more than 1000 operations are refused.
    let unknown = operation("X-1", "T9999999", "2025-12-12T05:00:00Z", "purchase", "approved", "1.00", "0.00", None);
    let bad_kind = operation("X-2", TERMINAL, "2025-12-12T05:00:00Z", "cashback", "approved", "1.00", "0.00", None);
    let (_, body) =
        json_of(gateway(&pos.test, "/pos/operations", json!({"operations": [unknown, bad_kind]})).await).await;
    assert_eq!(body["results"][0]["code"], "unknown_terminal");
    assert_eq!(body["results"][1]["code"], "invalid_kind");
    // More than 1000 operations per call are refused whole (the test app's body limit is smaller
    // than such a batch, so the use case is asked directly).
    let many = vec![tiyn_banking::pos::RawPosOperation::default(); 1001];
    let refused = tiyn_banking::pos::ingest(pos.test.store.as_ref(), &many, now()).await;
    assert!(
        matches!(&refused, Err(tiyn_banking::BankingError::Invalid(errors)) if errors[0].code == "too_many_operations"),
        "{refused:?}"
    );
    // The gateway's routes take the gateway's key only.
    let (status, _) = json_of(
        post_json(&pos.test.app, "/api/gateway/v1/pos/operations", Some(&pos.session), json!({"operations": []})).await,
    )
    .await;
    assert_eq!(status, 401);
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// R-3.1.2.4: a full card number is refused with a clear error and is found nowhere afterwards:
/// not in the answer, the database's files, the audit trail or the logs (at TRACE).
#[tokio::test]
async fn r_3_1_2_4_a_full_card_number_is_refused_and_never_stored_or_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this test binary");
    let pos = fixture().await;

    let mut full = operation("PAN-1", TERMINAL, "2025-12-12T05:00:00Z", "purchase", "approved", "100.00", "1.80", None);
    full["card"] = json!(FULL_PAN);
    let mut spaced = full.clone();
    spaced["operation_id"] = json!("PAN-2");
    spaced["card"] = json!("4400 4300 1234 1234");
    let response = gateway(&pos.test, "/pos/operations", json!({"operations": [full, spaced]})).await;
    let text = body_text(response).await;
    let body: Value = serde_json::from_str(&text).expect("json");
    for result in body["results"].as_array().expect("results") {
        assert_eq!(result["outcome"], "refused");
        assert_eq!(result["code"], "full_card_number");
        assert!(result["message"].as_str().expect("message").contains("a full card number must never be sent"));
    }
    assert!(!text.contains(FULL_PAN) && !text.contains("4400 4300"), "the answer does not repeat it");

    let (_, page) = json_of(get_as(&pos.test.app, &pos.session, &transactions(TERMINAL, "&limit=1000")).await).await;
    assert!(page["items"].as_array().expect("items").iter().all(|item| item["operation_id"] != "PAN-1"));
    assert!(!page.to_string().contains(FULL_PAN));
    let audit = pos
        .test
        .store
        .audit_records(tiyn_store::AuditQuery { limit: 10_000, ..tiyn_store::AuditQuery::default() })
        .await
        .expect("audit");
    assert!(!format!("{audit:?}").contains(FULL_PAN), "the audit trail does not have it");
    // SQLite: no byte of the database's files (main file and WAL) holds it.
    for entry in std::fs::read_dir(pos.test._dir.path()).expect("dir").flatten() {
        if let Ok(bytes) = std::fs::read(entry.path()) {
            let found = bytes.windows(FULL_PAN.len()).any(|window| window == FULL_PAN.as_bytes());
            assert!(!found, "{} holds the card number", entry.path().display());
        }
    }
    let logs = captured.0.lock().map(|bytes| String::from_utf8_lossy(&bytes).into_owned()).unwrap_or_default();
    assert!(!logs.is_empty(), "the logs were captured");
    assert!(!logs.contains(FULL_PAN) && !logs.contains("4400 4300"), "the logs do not have it");
}

/// R-3.1.2.4: the partner's terminals, and another partner's terminal answers 404 exactly like
/// an unknown one, in every format.
#[tokio::test]
async fn r_3_1_2_4_terminals_are_the_partners_own() {
    let pos = fixture().await;
    let (status, list) = json_of(get_as(&pos.test.app, &pos.session, "/api/v1/pos/terminals").await).await;
    assert_eq!(status, 200);
    assert_eq!(
        list,
        json!({"items": [{"terminal_id": TERMINAL, "address": "г. Алматы, пр. Абая, 1", "status": "active",
            "settlement_account": iban(&PARTNER_ONE)}], "next_cursor": null})
    );
    for extra in ["", "&format=csv", "&format=xlsx", "&format=pdf", "&format=docx"] {
        let (other_status, other) =
            json_of(get_as(&pos.test.app, &pos.session, &transactions(OTHER_TERMINAL, extra)).await).await;
        let (unknown_status, unknown) =
            json_of(get_as(&pos.test.app, &pos.session, &transactions("T7777777", extra)).await).await;
        assert_eq!((other_status, unknown_status), (404, 404), "{extra}");
        assert_eq!(other, unknown, "{extra}");
    }
    // A terminal cannot be moved to another partner by the acquirer.
    let response = gateway(
        &pos.test,
        "/pos/terminals",
        json!({"terminal_id": OTHER_TERMINAL, "partner_bin": bin(&PARTNER_ONE), "address": "x", "status": "active",
            "settlement_iban": iban(&PARTNER_ONE)}),
    )
    .await;
    assert_eq!(response.status(), 409);
    // Nor settle to another partner's account.
    let response = gateway(
        &pos.test,
        "/pos/terminals",
        json!({"terminal_id": "T0000002", "partner_bin": bin(&PARTNER_ONE), "address": "x", "status": "active",
            "settlement_iban": iban(&PARTNER_TWO)}),
    )
    .await;
    let (status, body) = json_of(response).await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("settlement_account_invalid")));
}

/// R-3.1.2.4 with R-3.1.2.1's rule: a period longer than three years is refused.
#[tokio::test]
async fn r_3_1_2_4_a_period_over_three_years_is_refused() {
    let pos = fixture().await;
    let uri = format!("/api/v1/pos/transactions?terminal={TERMINAL}&from=2022-01-01&to=2025-12-31");
    let (status, body) = json_of(get_as(&pos.test.app, &pos.session, &uri).await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["code"], "period_too_long");
    let uri = format!("/api/v1/pos/transactions?terminal={TERMINAL}&from=2023-01-01&to=2025-12-31");
    assert_eq!(get_as(&pos.test.app, &pos.session, &uri).await.status(), 200, "three years are fine");
}

/// R-3.1.2.4: the period's totals and each day's (business days in Almaty), and keyset pages
/// that together give every operation once.
#[tokio::test]
async fn r_3_1_2_4_totals_daily_totals_and_pages_are_exact() {
    let pos = fixture().await;
    let (status, body) = json_of(get_as(&pos.test.app, &pos.session, &transactions(TERMINAL, "&limit=2")).await).await;
    assert_eq!(status, 200, "{body}");
    let kzt = |amount: &str| json!({"amount": amount, "currency": "KZT"});
    assert_eq!(
        body["totals"],
        json!({"operations": 6, "purchases": kzt("39990.50"), "refunds": kzt("1000.00"), "reversals": kzt("500.00"),
            "fees": kzt("719.83"), "net": kzt("37770.67")})
    );
    let days = body["days"].as_array().expect("days");
    assert_eq!(days.len(), 2);
    assert_eq!((days[0]["date"].as_str(), days[0]["totals"]["operations"].as_u64()), (Some("2025-12-10"), Some(4)));
    assert_eq!(days[0]["totals"]["net"], kzt("18630.67"));
    assert_eq!((days[1]["date"].as_str(), days[1]["totals"]["net"].clone()), (Some("2025-12-11"), kzt("19140.00")));

    let mut seen = Vec::new();
    let mut page = body;
    loop {
        for item in page["items"].as_array().expect("items") {
            assert_eq!(item["card"], "440043******1234");
            seen.push(item["operation_id"].as_str().expect("id").to_owned());
        }
        let Some(cursor) = page["next_cursor"].as_str().map(str::to_owned) else { break };
        let uri = transactions(TERMINAL, &format!("&limit=2&cursor={cursor}"));
        page = json_of(get_as(&pos.test.app, &pos.session, &uri).await).await.1;
    }
    assert_eq!(seen, ["OP-1", "OP-2", "OP-3", "OP-4", "OP-6", "OP-5"], "by time, each once");
}

/// R-3.1.2.4, R-3.1.2.6: the CSV (read with the csv crate, `;` too), the XLSX (read with
/// calamine) and the PDF (read with pdftotext) carry every operation and the totals.
#[tokio::test]
async fn r_3_1_2_4_exports_read_back_with_independent_readers() {
    let pos = fixture().await;
    let response =
        get_as(&pos.test.app, &pos.session, &transactions(TERMINAL, "&format=csv&delimiter=semicolon")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("text/csv; charset=utf-8"));
    assert!(header(&response, "content-disposition").is_some_and(|value| value.contains("pos-T0000001-")));
    let bytes = bytes_of(response).await;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let mut reader =
        csv::ReaderBuilder::new().delimiter(b';').flexible(true).has_headers(true).from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("csv");
    let operations: Vec<&csv::StringRecord> =
        rows.iter().filter(|row| row.get(2).is_some_and(|id| id.starts_with("OP-"))).collect();
    assert_eq!(operations.len(), 6);
    let first = operations[0];
    assert_eq!(first.get(0), Some("2025-12-10 10:15:00"), "Almaty time");
    assert_eq!(
        (first.get(3), first.get(5), first.get(6), first.get(7)),
        (Some("Покупка"), Some("440043******1234"), Some("15000.00"), Some("270.00"))
    );
    let net = rows.iter().find(|row| row.get(0) == Some("К зачислению")).expect("the net total");
    assert_eq!(net.get(6), Some("37770.67"));

    let response = get_as(&pos.test.app, &pos.session, &transactions(TERMINAL, "&format=xlsx&lang=en")).await;
    assert_eq!(response.status(), 200);
    let bytes = bytes_of(response).await;
    use calamine::{DataType, Reader};
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
    let sheet = workbook.worksheet_range("Operations").expect("sheet");
    let amounts: Vec<f64> = sheet
        .rows()
        .filter(|row| row.get(2).is_some_and(|cell| cell.to_string().starts_with("OP-")))
        .map(|row| row[6].as_f64().expect("a number, not text"))
        .collect();
    assert_eq!(amounts.len(), 6);
    assert!(amounts.contains(&4990.5));
    let net_row =
        sheet.rows().find(|row| row.first().is_some_and(|cell| cell.get_string() == Some("Net"))).expect("net");
    assert_eq!(net_row[6].as_f64(), Some(37770.67));
    let daily = workbook.worksheet_range("Daily totals").expect("daily sheet");
    assert_eq!(daily.rows().count(), 3, "a header and two days");

    let response = get_as(&pos.test.app, &pos.session, &transactions(TERMINAL, "&format=pdf")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("application/pdf"));
    let text = pdftotext(&bytes_of(response).await);
    for expected in [
        "Операции по POS-терминалу",
        "T0000001",
        "440043******1234",
        "OP-5",
        "37 770,67",
        "Страница 1 из",
        "не является оригиналом",
        "ДОКУМЕНТОВ", // the stamp says what it is for: "ДЛЯ ДОКУМЕНТОВ", wrapped in its ring
    ] {
        assert!(text.contains(expected), "{expected:?} in the PDF:\n{text}");
    }
}

/// R-3.1.2.5: settled operations not yet credited are planned per account and date; the
/// acquirer's credit of another amount is refused naming both; the right one is booked on the
/// account and leaves the plan; a repeat changes nothing.
#[tokio::test]
async fn r_3_1_2_5_a_planned_credit_leaves_the_plan_when_its_settlement_arrives() {
    let pos = fixture().await;
    let (status, planned) = json_of(get_as(&pos.test.app, &pos.session, "/api/v1/planned-credits").await).await;
    assert_eq!(status, 200);
    let kzt = |amount: &str| json!({"amount": amount, "currency": "KZT"});
    let account = pos.test.store.account_by_iban(&tiyn_core::Iban::parse(&iban(&PARTNER_ONE)).expect("iban")).await;
    let account = account.expect("read").expect("account");
    assert_eq!(
        planned["items"],
        json!([
            {"account": account.id.to_string(), "iban": iban(&PARTNER_ONE), "expected_date": "2025-12-11",
                "amount": kzt("18630.67"), "source": "pos", "operations": 3},
            {"account": account.id.to_string(), "iban": iban(&PARTNER_ONE), "expected_date": "2025-12-12",
                "amount": kzt("19140.00"), "source": "pos", "operations": 2},
        ])
    );
    let settlement = |amount: &str| json!({"settlement_account_iban": iban(&PARTNER_ONE), "settlement_date": "2025-12-11", "amount": kzt(amount)});
    let (status, refused) = json_of(gateway(&pos.test, "/pos/settlements", settlement("18630.00")).await).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["code"], "settlement_amount_mismatch");
    let detail = refused["detail"].as_str().expect("detail");
    assert!(detail.contains("18630.00") && detail.contains("18630.67"), "both amounts: {detail}");

    let before = account.balance;
    let (status, settled) = json_of(gateway(&pos.test, "/pos/settlements", settlement("18630.67")).await).await;
    assert_eq!(status, 201, "{settled}");
    assert_eq!((settled["operations"].as_u64(), settled["replayed"].as_bool()), (Some(3), Some(false)));
    let after = pos.test.store.account(account.id).await.expect("read").expect("account").balance;
    assert_eq!(after.minor() - before.minor(), 1_863_067, "booked on the account");
    let (_, planned) = json_of(get_as(&pos.test.app, &pos.session, "/api/v1/planned-credits").await).await;
    let dates: Vec<&str> =
        planned["items"].as_array().expect("items").iter().filter_map(|item| item["expected_date"].as_str()).collect();
    assert_eq!(dates, ["2025-12-12"], "the credit left the plan");
    let (_, page) = json_of(get_as(&pos.test.app, &pos.session, &transactions(TERMINAL, "")).await).await;
    let credited: Vec<bool> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["credited"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(credited, [true, true, true, false, false, false]);

    let (status, again) = json_of(gateway(&pos.test, "/pos/settlements", settlement("18630.67")).await).await;
    assert_eq!((status, again["replayed"].as_bool()), (200, Some(true)));
    let twice = pos.test.store.account(account.id).await.expect("read").expect("account").balance;
    assert_eq!(twice, after, "a repeat posts nothing");
    let unplanned = json!({"settlement_account_iban": iban(&PARTNER_ONE), "settlement_date": "2025-12-20",
        "amount": kzt("1.00")});
    let (status, body) = json_of(gateway(&pos.test, "/pos/settlements", unplanned).await).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("no_planned_credit")));
}

/// R-3.1.2.4, R-3.1.2.5: POS data is an information service every level sees.
#[tokio::test]
async fn r_8_1_3_every_level_sees_pos_terminals_operations_and_planned_credits() {
    let pos = fixture().await;
    for level in ["full", "confirm", "create"] {
        let session = pos.test.sign_in(level, true).await;
        for uri in
            ["/api/v1/pos/terminals".to_owned(), transactions(TERMINAL, ""), "/api/v1/planned-credits".to_owned()]
        {
            let response = get_as(&pos.test.app, &session, &uri).await;
            assert_eq!(response.status(), 200, "{level} {uri}");
        }
        let response = get_as(&pos.test.app, &session, &transactions(TERMINAL, "&format=csv")).await;
        assert_eq!(response.status(), 200, "{level} exports");
    }
    // Reading is audited like a statement.
    let audit = pos
        .test
        .store
        .audit_records(tiyn_store::AuditQuery { limit: 10_000, ..tiyn_store::AuditQuery::default() })
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|record| record.record.action.as_str()).collect();
    for action in ["pos.view", "pos.export", "pos.planned_credits_view", "gateway.pos_operations"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

/// The demo's terminals and operations come from the acquirer's use cases: deterministic,
/// repeatable (a second run replays), with planned credits left for the last days.
#[tokio::test]
async fn r_3_1_2_5_the_demo_has_terminals_operations_and_planned_credits() {
    let test = test_app().await;
    let banking = test.app_banking();
    let started = std::time::Instant::now();
    let seeded = demo::seed_pos(&banking, &test.demo, now()).await.expect("seeded");
    let elapsed = started.elapsed();
    assert!(seeded.operations_created >= 200, "{seeded:?}");
    assert!(seeded.settlements >= 30, "{seeded:?}");
    eprintln!("demo POS: {seeded:?} in {elapsed:?}");
    let again = demo::seed_pos(&banking, &test.demo, now()).await.expect("seeded again");
    assert_eq!((again.operations_created, again.settlements), (0, 0), "a second start replays");
    let session = test.sign_in("full", true).await;
    let (_, terminals) = json_of(get_as(&test.app, &session, "/api/v1/pos/terminals").await).await;
    assert_eq!(terminals["items"].as_array().map(Vec::len), Some(demo::DEMO_TERMINALS.len()));
    let (_, planned) = json_of(get_as(&test.app, &session, "/api/v1/planned-credits").await).await;
    assert!(!planned["items"].as_array().expect("items").is_empty(), "{planned}");
}
