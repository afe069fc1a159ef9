//! The account statement through the HTTP API (issue 6): every operation from the ledger with its
//! counterparty, a commission as its own line, daily and period turnovers that reconcile exactly,
//! tenant isolation, the withheld information service, the period's bounds and every export
//! format. Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tiyn_banking::gateway::Gateway;
use tiyn_core::access::{InformationRestrictions, Permission};
use tiyn_core::{AccountId, Currency};
use tiyn_ledger::{Action, Command, EntryKind, IdempotencyKey, JournalEntry};
use tiyn_payments::MessageId;
use tiyn_payments::iso20022::{InterbankStatus, OutgoingTransfer, TransferStatus, pacs002};
use tiyn_store::{Account, AccountKind};

/// Takes every message and remembers it.
#[derive(Default)]
struct RecordingGateway {
    taken: std::sync::Mutex<Vec<(String, String)>>,
}

#[async_trait::async_trait]
impl Gateway for RecordingGateway {
    async fn hand_off(&self, transfer: &OutgoingTransfer, pacs008: &str) -> Result<(), String> {
        self.taken.lock().expect("lock").push((transfer.message_id.to_string(), pacs008.to_owned()));
        Ok(())
    }
}

fn gateway_key() -> String {
    tiyn_server::payments::gateway_key(&tiyn_auth::MasterKey::from_bytes([9; 32]))
}

/// Minor units of a decimal string with two digits (`"1500.05"`).
fn minor(amount: &Value) -> i64 {
    let text = amount["amount"].as_str().unwrap_or_else(|| panic!("an amount: {amount}"));
    let (units, cents) = text.split_once('.').expect("two decimals");
    let units: i64 = units.parse().expect("units");
    let cents: i64 = cents.parse().expect("cents");
    if text.starts_with('-') { units * 100 - cents } else { units * 100 + cents }
}

fn collection_order(amount: &str, priority: u8, reference: &str, creditor: Value) -> Value {
    json!({
        "kind": "collection_order", "amount": {"amount": amount, "currency": "KZT"}, "priority": priority,
        "creditor": creditor, "reference": reference,
    })
}

async fn balance(test: &TestApp, account: AccountId) -> i64 {
    test.store.account(account).await.expect("read").expect("account").balance.minor()
}

async fn statement(test: &TestApp, session: &Session, account: AccountId, query: &str) -> (u16, Value) {
    let response = get_as(&test.app, session, &format!("/api/v1/accounts/{account}/statement?{query}")).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

/// What a JSON statement says of itself: opening + credits − debits = closing, the lines add up
/// to the turnovers, each day's closing follows from the day before.
fn assert_reconciles(statement: &Value) {
    let opening = minor(&statement["opening"]);
    let closing = minor(&statement["closing"]);
    let debit = minor(&statement["turnover"]["debit"]);
    let credit = minor(&statement["turnover"]["credit"]);
    assert_eq!(opening + credit - debit, closing, "opening + credits − debits = closing: {statement}");
    let lines = statement["lines"].as_array().expect("lines");
    let sum =
        |side: &str| lines.iter().filter(|line| !line[side].is_null()).map(|line| minor(&line[side])).sum::<i64>();
    assert_eq!((sum("debit"), sum("credit")), (debit, credit), "the lines are the turnovers");
    let mut running = opening;
    for day in statement["days"].as_array().expect("days") {
        running += minor(&day["credit"]) - minor(&day["debit"]);
        assert_eq!(running, minor(&day["closing"]), "day {}: {statement}", day["date"]);
    }
    assert_eq!(running, closing, "the last day closes with the period");
}

async fn operator_session(test: &TestApp) -> Session {
    let operator = &test.credentials.operators[0];
    test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await
}

async fn admin(test: &TestApp, operator: &Session, method: &str, path: String, body: Value) -> (u16, Value) {
    let response = request_json(&test.app, method, &format!("/api/admin/v1{path}"), Some(operator), body).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

struct Scenario {
    f: PaymentFixture,
    operator: Session,
    salary: Account,
    opening_main: i64,
    opening_salary: i64,
}

/// Partner one's main and salary KZT accounts through three days: on Monday 12 January internal
/// transfers both ways, an interbank payment with a 150.00 commission settled through the
/// gateway, and an incoming credit from a payer with a Kazakh name; nothing on Tuesday; on
/// Wednesday a collection for a creditor at another bank (which that bank returns), a collection
/// for a creditor whose account is here (the salary account), and the reversal of Monday's
/// transfer to the main account.
async fn scenario() -> Scenario {
    let mut f = payment_fixture().await;
    let mut operator = operator_session(&f.test).await;
    let accounts = f.test.store.partner_accounts(f.test.demo.partner).await.expect("accounts");
    let salary = accounts
        .iter()
        .find(|account| account.currency == Currency::Kzt && account.id != f.main.id)
        .expect("a second KZT account")
        .clone();
    let opening_main = balance(&f.test, f.main.id).await;
    let opening_salary = balance(&f.test, salary.id).await;
    let tariff = json!({
        "tariff": {
            "internal": {"commission": "free", "withholding": "separate"},
            "interbank": {"commission": "fixed", "fee": {"amount": "150.00", "currency": "KZT"}, "withholding": "separate"},
            "budget": {"commission": "free", "withholding": "separate"},
        },
        "limits": [], "disabled_kinds": [],
    });
    let (status, body) =
        admin(&f.test, &operator, "PUT", format!("/partners/{}/payment-rules", f.test.demo.partner), tariff).await;
    assert_eq!(status, 200, "{body}");

    // Monday.
    let (_, result) = f.pay(internal_order_on(f.main.id, salary.id, "5000.00", "2026-01-12")).await;
    assert_eq!(result["status"], "executed", "{result}");
    let (back_id, result) = f.pay(internal_order_on(salary.id, f.main.id, "1200.00", "2026-01-12")).await;
    assert_eq!(result["status"], "executed", "{result}");
    let (interbank_id, result) = f.pay(interbank_order(f.main.id, "1500.05", "ТОО «Ромашка»")).await;
    assert_eq!(result["status"], "sent", "{result}");
    f.test.clock.advance(jiff::SignedDuration::from_secs(5));
    let banking = f.test.app_banking();
    let gateway = RecordingGateway::default();
    assert_eq!(banking.dispatch_outbox(&gateway).await.expect("dispatch"), 1);
    let message = f.document(&interbank_id).await["message_id"].as_str().expect("message id").to_owned();
    let report = |message: &str, status: InterbankStatus| {
        let message_id = MessageId::parse(message).expect("message id");
        pacs002(&[TransferStatus::new(message_id, status)], &MessageId::parse("GW-1").expect("id"), banking.now())
    };
    banking.apply_pacs002(&report(&message, InterbankStatus::Settled)).await.expect("settled");
    let credit = json!({
        "message_id": "INCOMING-STATEMENT-1",
        "payee_iban": f.main.iban.as_ref().expect("iban").as_str(),
        "amount": {"amount": "75000.00", "currency": "KZT"},
        "payer_name": "ТОО «Қазақ Тауар Өңдеу»",
        "payer_bin": "180140010005",
        "payer_iban": "KZ806014482455345985",
        "purpose": "Оплата по договору № 7 от 05.01.2026",
    });
    let request = Request::post("/api/gateway/v1/incoming")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", gateway_key()))
        .body(Body::from(credit.to_string()))
        .expect("request");
    assert_eq!(send(&f.test.app, request).await.status(), 201);

    // Wednesday.
    f.test.clock.set("2026-01-14T05:00:00Z".parse().expect("instant"));
    // Two days later the sessions have long ended.
    f.session = f.test.sign_in("confirm", true).await;
    operator = operator_session(&f.test).await;
    let path = format!("/accounts/{}/restrictions", f.main.id);
    let taxes = collection_order(
        "300.00",
        1,
        "ЧСИ, ИД № 22",
        json!({"name": "ТОО «Взыскатель»", "taxpayer_id": "180140010005", "iban": "KZ806014482455345985",
            "kbe": "17", "knp": "710"}),
    );
    let (status, body) = admin(&f.test, &operator, "POST", path.clone(), taxes).await;
    assert_eq!((status, body["collected"]["amount"].as_str()), (201, Some("300.00")), "{body}");
    let here = collection_order(
        "50.00",
        2,
        "ЧСИ, ИД № 23",
        json!({"name": "ТОО «Свой»", "taxpayer_id": "180140010005",
            "iban": salary.iban.as_ref().expect("iban").to_string(), "kbe": "17", "knp": "710"}),
    );
    let (status, body) = admin(&f.test, &operator, "POST", path, here).await;
    assert_eq!(status, 201, "{body}");
    f.test.clock.advance(jiff::SignedDuration::from_secs(5));
    let gateway = RecordingGateway::default();
    assert_eq!(banking.dispatch_outbox(&gateway).await.expect("dispatch"), 1, "the collection for the other bank");
    let (collection_message, _) = gateway.taken.lock().expect("lock")[0].clone();
    let rejection = InterbankStatus::Rejected { code: Some("AC04".into()), reason: Some("account closed".into()) };
    banking.apply_pacs002(&report(&collection_message, rejection)).await.expect("returned");

    let back = f
        .test
        .store
        .payment(f.test.demo.partner, tiyn_payments::DocumentId::new(back_id.parse().expect("id")))
        .await
        .expect("read")
        .expect("the transfer back");
    let reversal = Command::new(
        IdempotencyKey::parse("test-reversal-of-the-transfer-back").expect("key"),
        f.test.identity.now(),
        Action::Reverse { entry: back.entry.expect("executed"), memo: "ошибочный перевод".into() },
    )
    .expect("command");
    f.test.store.execute(reversal).await.expect("reversed");
    assert!(f.test.store.check_ledger().await.expect("check").is_sound());
    Scenario { f, operator, salary, opening_main, opening_salary }
}

fn lines_of(statement: &Value) -> Vec<Value> {
    statement["lines"].as_array().expect("lines").clone()
}

/// (kind, debit or credit, amount in minor units, counterparty name) of each line.
fn summary(lines: &[Value]) -> Vec<(String, &'static str, i64, String)> {
    lines
        .iter()
        .map(|line| {
            let (side, amount) = if line["debit"].is_null() {
                ("credit", minor(&line["credit"]))
            } else {
                ("debit", minor(&line["debit"]))
            };
            let kind = line["kind"].as_str().expect("kind").to_owned();
            (kind, side, amount, line["counterparty"]["name"].as_str().expect("name").to_owned())
        })
        .collect()
}

/// R-3.1.2.1, R-3.1.2.3, R-6.3.1, R-6.2: the statement of a period shows its opening balance,
/// every operation with its date, value date, document number, counterparty (name, BIN/IIN,
/// IBAN, BIC), KNP and purpose, a commission as its own line, an incoming credit's payer, both
/// sides of a transfer between own accounts, collections and the one returned, a reversal marked
/// as such; each day's turnovers (a day without operations too) and the period's; and opening +
/// credits − debits = closing = the account's balance.
#[tokio::test]
async fn r_3_1_2_1_a_statement_shows_every_operation_and_reconciles() {
    let s = scenario().await;
    let test = &s.f.test;
    let partner = test.store.partner(test.demo.partner).await.expect("read").expect("partner");
    let main_iban = s.f.main.iban.as_ref().expect("iban").to_string();
    let salary_iban = s.salary.iban.as_ref().expect("iban").to_string();
    let (status, main) = statement(test, &s.f.session, s.f.main.id, "from=2026-01-12&to=2026-01-14&format=json").await;
    assert_eq!(status, 200, "{main}");
    assert_reconciles(&main);
    assert_eq!(minor(&main["opening"]), s.opening_main);
    assert_eq!(minor(&main["closing"]), balance(test, s.f.main.id).await, "the closing is the balance");
    assert_eq!(main["account"]["iban"], main_iban);
    assert_eq!(main["account"]["holder_name"], partner.name);
    assert_eq!(main["account"]["holder_id"], partner.bin.to_string());
    assert!(main["bank"]["bic"].as_str().is_some_and(|bic| bic.len() >= 8), "{main}");
    let bank_name = main["bank"]["name"].as_str().expect("bank").to_owned();
    let lines = lines_of(&main);
    let holder = partner.name.clone();
    assert_eq!(
        summary(&lines),
        vec![
            ("payment".into(), "debit", 500_000, holder.clone()),
            ("payment".into(), "credit", 120_000, holder.clone()),
            ("payment".into(), "debit", 150_005, "ТОО «Ромашка»".into()),
            ("commission".into(), "debit", 15_000, bank_name.clone()),
            ("incoming_credit".into(), "credit", 7_500_000, "ТОО «Қазақ Тауар Өңдеу»".into()),
            ("collection".into(), "debit", 30_000, "ТОО «Взыскатель»".into()),
            ("collection".into(), "debit", 5_000, "ТОО «Свой»".into()),
            ("collection".into(), "credit", 30_000, "ТОО «Взыскатель»".into()),
            ("reversal".into(), "debit", 120_000, holder.clone()),
        ],
        "{main}"
    );
    assert_eq!(main["operations"], 8, "the payment and its commission are one operation");

    // Both sides of a transfer between own accounts name the other account.
    assert_eq!(lines[0]["counterparty"]["account"], salary_iban);
    assert_eq!(lines[0]["counterparty"]["taxpayer_id"], partner.bin.to_string());
    assert_eq!(lines[0]["counterparty"]["bic"], main["bank"]["bic"]);
    assert_eq!(
        (lines[0]["knp"].as_str(), lines[0]["purpose"].as_str()),
        (Some("343"), Some("Перевод между своими счетами"))
    );
    assert_eq!(lines[1]["counterparty"]["account"], salary_iban);
    // The interbank payment: its document, the payee's requisites, and its commission apart.
    let payment = &lines[2];
    assert_eq!(payment["counterparty"]["taxpayer_id"], "180140010005");
    assert_eq!(payment["counterparty"]["account"], "KZ806014482455345985");
    assert!(payment["counterparty"]["bic"].as_str().is_some(), "{payment}");
    assert_eq!(
        (payment["knp"].as_str(), payment["purpose"].as_str()),
        (Some("710"), Some("Оплата по счёту №15 за товары"))
    );
    assert_eq!(
        (payment["value_date"].as_str(), payment["booking_date"].as_str()),
        (Some("2026-01-12"), Some("2026-01-12"))
    );
    let number = payment["document_number"].as_str().expect("a document number");
    assert_eq!(lines[3]["document_number"].as_str(), Some(number), "the commission names its payment");
    assert_eq!(lines[3]["counterparty"]["bic"], main["bank"]["bic"]);
    // The incoming credit names its payer as the gateway gave it.
    let credit = &lines[4];
    assert_eq!(credit["counterparty"]["taxpayer_id"], "180140010005");
    assert_eq!(credit["counterparty"]["account"], "KZ806014482455345985");
    assert!(credit["counterparty"]["bic"].as_str().is_some(), "the payer's bank from the IBAN: {credit}");
    assert_eq!(credit["purpose"], "Оплата по договору № 7 от 05.01.2026");
    // Collections name the creditor; the returned one is a credit of its own.
    assert_eq!(lines[5]["counterparty"]["account"], "KZ806014482455345985");
    assert_eq!(lines[5]["knp"], "710");
    assert_eq!(lines[5]["document_number"], lines[7]["document_number"], "the return names its collection");
    assert_eq!(lines[6]["counterparty"]["account"], salary_iban);
    // The reversal is marked, names the entry it reverses and the transfer's counterparty.
    assert!(lines[8]["purpose"].as_str().is_some_and(|purpose| purpose.starts_with("Сторно")), "{}", lines[8]);
    assert_eq!(lines[8]["counterparty"]["account"], salary_iban);
    assert_eq!(lines[8]["booking_date"], "2026-01-14");

    // Three days, Tuesday without operations, closing at Monday's balance.
    let days = main["days"].as_array().expect("days");
    assert_eq!(
        days.iter().map(|day| day["date"].as_str().expect("date")).collect::<Vec<_>>(),
        ["2026-01-12", "2026-01-13", "2026-01-14"]
    );
    assert_eq!((minor(&days[1]["debit"]), minor(&days[1]["credit"])), (0, 0));
    assert_eq!(days[1]["closing"], days[0]["closing"]);
    assert_eq!(minor(&main["turnover"]["debit"]), 500_000 + 150_005 + 15_000 + 30_000 + 5_000 + 120_000);
    assert_eq!(minor(&main["turnover"]["credit"]), 120_000 + 7_500_000 + 30_000);

    // The salary account sees the other side of each transfer, the collection paid to it, and
    // the reversal.
    let (status, salary) = statement(test, &s.f.session, s.salary.id, "from=2026-01-12&to=2026-01-14").await;
    assert_eq!(status, 200, "{salary}");
    assert_reconciles(&salary);
    assert_eq!(minor(&salary["opening"]), s.opening_salary);
    assert_eq!(minor(&salary["closing"]), balance(test, s.salary.id).await);
    let salary_lines = lines_of(&salary);
    assert_eq!(
        summary(&salary_lines),
        vec![
            ("payment".into(), "credit", 500_000, holder.clone()),
            ("payment".into(), "debit", 120_000, holder.clone()),
            ("collection".into(), "credit", 5_000, holder.clone()),
            ("reversal".into(), "credit", 120_000, holder.clone()),
        ]
    );
    assert!(salary_lines.iter().all(|line| line["counterparty"]["account"] == main_iban), "{salary}");

    // A period before anything happened opens and closes at the opening balance; one day later
    // opens where the day before closed.
    let (_, before) = statement(test, &s.f.session, s.f.main.id, "from=2026-01-05&to=2026-01-11").await;
    assert_eq!((minor(&before["opening"]), minor(&before["closing"])), (s.opening_main, s.opening_main));
    let (_, monday) = statement(test, &s.f.session, s.f.main.id, "from=2026-01-12&to=2026-01-12").await;
    let (_, tuesday) = statement(test, &s.f.session, s.f.main.id, "from=2026-01-13&to=2026-01-13").await;
    assert_eq!(monday["closing"], tuesday["opening"]);

    // Reading it is in the partner's audit trail.
    let records =
        test.store.audit_records(tiyn_store::AuditQuery { limit: 200, ..Default::default() }).await.expect("audit");
    let object = format!("account:{}", s.f.main.id);
    assert!(
        records.iter().any(|record| record.record.action == "statements.view"
            && record.record.object.as_deref() == Some(object.as_str())),
        "the view is audited"
    );
    let _ = &s.operator;
}

/// A CSV row parser (RFC 4180: quotes, doubled quotes, separators and line breaks in quotes).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// R-3.1.2.6, R-3.1.2.7: every format answers with its content type and a file name naming the
/// account and the period; the CSV has a row per line of the JSON, the others their own
/// signatures. Exporting is audited apart from viewing.
#[tokio::test]
async fn r_3_1_2_6_every_export_format_is_served() {
    let s = scenario().await;
    let test = &s.f.test;
    let iban = s.f.main.iban.as_ref().expect("iban").to_string();
    let (_, json) = statement(test, &s.f.session, s.f.main.id, "from=2026-01-12&to=2026-01-14").await;
    let lines = lines_of(&json);
    for (format, content_type, extension, signature) in [
        ("csv", "text/csv; charset=utf-8", "csv", "\u{feff}".as_bytes()),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", b"PK".as_slice()),
        ("mt940", "text/plain; charset=utf-8", "sta", b"".as_slice()),
        ("camt053", "application/xml", "xml", b"<?xml".as_slice()),
        ("1c", "text/plain; charset=utf-8", "txt", "1CClientBankExchange".as_bytes()),
        ("pdf", "application/pdf", "pdf", b"%PDF".as_slice()),
    ] {
        let uri = format!("/api/v1/accounts/{}/statement?from=2026-01-12&to=2026-01-14&format={format}", s.f.main.id);
        let response = get_as(&test.app, &s.f.session, &uri).await;
        assert_eq!(response.status(), 200, "{format}");
        assert_eq!(header(&response, "content-type"), Some(content_type), "{format}");
        let disposition = header(&response, "content-disposition").expect("a file name").to_owned();
        let filename = format!("statement-{iban}-2026-01-12-2026-01-14.{extension}");
        assert!(disposition.contains(&filename), "{disposition}");
        let bytes = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
        assert!(bytes.starts_with(signature), "{format}: {:?}", &bytes[..bytes.len().min(40)]);
        match format {
            "csv" => {
                let rows = csv_rows(std::str::from_utf8(&bytes).expect("UTF-8"));
                assert_eq!(rows.len(), lines.len() + 1, "a header row and a row per line");
                assert!(rows.iter().all(|row| row.len() == rows[0].len()), "{rows:?}");
                assert!(rows.iter().any(|row| row.iter().any(|field| field == "ТОО «Қазақ Тауар Өңдеу»")));
            }
            "mt940" => {
                let text = std::str::from_utf8(&bytes).expect("text");
                assert!(text.contains(":20:") && text.contains(":60F:") && text.contains(":62F:"), "{text}");
            }
            _ => {}
        }
    }
    let records =
        test.store.audit_records(tiyn_store::AuditQuery { limit: 200, ..Default::default() }).await.expect("audit");
    let exports = records.iter().filter(|record| record.record.action == "statements.export").count();
    assert_eq!(exports, 6, "each export is audited");

    // The OpenAPI document describes the route, its formats and the JSON's shape.
    let document = body_json(get(&test.app, "/api/openapi.json").await).await;
    let operation = &document["paths"]["/api/v1/accounts/{id}/statement"]["get"];
    let content = &operation["responses"]["200"]["content"];
    for media_type in ["application/json", "text/csv", "application/pdf", "application/xml", "text/plain"] {
        assert!(content.get(media_type).is_some(), "{media_type}: {operation}");
    }
    let schemas = &document["components"]["schemas"];
    for schema in ["StatementDto", "StatementLineDto", "StatementDayDto", "CounterpartyDto"] {
        assert!(schemas.get(schema).is_some(), "{schema} is in the document");
    }
}

/// R-3.1.2.6: the CSV can be separated by `;` (Excel where the comma is the decimal separator),
/// and the 1C file can be in Windows-1251, 1C's own default, with Kazakh letters as their Russian
/// look-alikes (Windows-1251 has only І of them); unknown values are refused by name.
#[tokio::test]
async fn r_3_1_2_6_csv_with_semicolons_and_1c_in_windows_1251() {
    let s = scenario().await;
    let test = &s.f.test;
    let base = format!("/api/v1/accounts/{}/statement?from=2026-01-12&to=2026-01-14", s.f.main.id);
    let response = get_as(&test.app, &s.f.session, &format!("{base}&format=csv&delimiter=semicolon")).await;
    assert_eq!(response.status(), 200);
    let text = body_text(response).await;
    let first = text.trim_start_matches('\u{feff}').lines().next().expect("a header row").to_owned();
    assert!(first.contains(';') && !first.contains(','), "{first}");

    let response = get_as(&test.app, &s.f.session, &format!("{base}&format=1c&encoding=windows-1251")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), Some("text/plain; charset=windows-1251"));
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
    let decoded = tiyn_payments::import::encoding::Encoding::Windows1251.decode(&bytes).expect("Windows-1251");
    assert!(decoded.starts_with("1CClientBankExchange"), "{decoded}");
    assert!(decoded.contains("Кодировка=Windows"), "{decoded}");
    assert!(decoded.contains("ТОО «Казак Тауар Ондеу»"), "Kazakh letters as look-alikes: {decoded}");

    let response = get_as(&test.app, &s.f.session, &format!("{base}&format=1c&encoding=koi8&delimiter=tab")).await;
    assert_eq!(response.status(), 422);
    let problem = body_json(response).await;
    let fields: Vec<&str> =
        problem["errors"].as_array().expect("errors").iter().filter_map(|error| error["field"].as_str()).collect();
    assert_eq!(fields, ["delimiter", "encoding"], "{problem}");
}

/// another partner's account answers exactly like an unknown one: a `create`
/// user from whom the bank withholds statements gets 403, and one from whom only the export is
/// withheld may read the statement but not export it.
#[tokio::test]
async fn r_6_4_2_r_8_1_3_statements_are_the_partners_and_can_be_withheld() {
    let f = payment_fixture().await;
    let test = &f.test;
    let theirs = test.store.partner_accounts(test.demo.other_partner).await.expect("accounts")[0].id;
    let query = "from=2026-01-01&to=2026-01-31";
    let (status, foreign) = statement(test, &f.session, theirs, query).await;
    let (unknown_status, unknown) = statement(test, &f.session, AccountId::new(987_654), query).await;
    assert_eq!((status, unknown_status), (404, 404));
    assert_eq!(foreign, unknown, "indistinguishable");
    // Even without parameters the account is decided first.
    let response = get_as(&test.app, &f.session, &format!("/api/v1/accounts/{theirs}/statement")).await;
    assert_eq!(response.status(), 404);

    let creator = test.sign_in("create", true).await;
    let (status, _) = statement(test, &creator, f.main.id, query).await;
    assert_eq!(status, 200, "nothing withheld yet");
    let withheld = InformationRestrictions::new([Permission::ExportStatements]).expect("information service");
    test.store.set_withheld_services(test.demo.partner, withheld).await.expect("withheld");
    let (status, _) = statement(test, &creator, f.main.id, query).await;
    assert_eq!(status, 200, "viewing is still allowed");
    let (status, problem) = statement(test, &creator, f.main.id, &format!("{query}&format=csv")).await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("access_level_insufficient")), "{problem}");
    let uri = format!("/api/v1/accounts/{}/statement?{query}&format=csv", f.main.id);
    assert_eq!(get_as(&test.app, &f.session, &uri).await.status(), 200, "the confirm level is never restricted");
    let withheld = InformationRestrictions::new([Permission::ViewStatements]).expect("information service");
    test.store.set_withheld_services(test.demo.partner, withheld).await.expect("withheld");
    let (status, problem) = statement(test, &creator, f.main.id, query).await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("access_level_insufficient")), "{problem}");
}

/// a period of at most 3 years; a longer or reversed one, or a missing end, is
/// refused with its code; JSON past its size refers to the streamed formats.
#[tokio::test]
async fn r_6_3_1_the_period_is_at_most_three_years() {
    let f = payment_fixture().await;
    let test = &f.test;
    let account = f.main.id;
    let (status, problem) = statement(test, &f.session, account, "from=2023-01-01&to=2026-01-01").await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("period_too_long")), "{problem}");
    let (status, _) = statement(test, &f.session, account, "from=2023-01-02&to=2026-01-01").await;
    assert_eq!(status, 200, "exactly three years with the leap day");
    let (status, problem) = statement(test, &f.session, account, "from=2026-01-10&to=2026-01-09").await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("period_reversed")), "{problem}");
    let (status, problem) = statement(test, &f.session, account, "from=2026-01-10").await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("required")), "{problem}");
    assert_eq!(problem["errors"][0]["field"], "to");
    let (status, problem) = statement(test, &f.session, account, "from=2026-13-01&to=2026-01-09&format=doc").await;
    assert_eq!(status, 422);
    let fields: Vec<&str> =
        problem["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["from", "format"], "{problem}");

    // More operations than JSON carries: export them.
    // Posted concurrently, so that the store commits them in groups.
    let equity = test.store.bank_account(AccountKind::BankEquity, Currency::Kzt).await.expect("equity");
    let mut postings = tokio::task::JoinSet::new();
    for n in 0..(tiyn_api::statements::STATEMENT_JSON_OPERATIONS_MAX + 1) {
        let entry =
            JournalEntry::transfer(equity, account, tiyn_core::Amount::parse("1.00", Currency::Kzt).expect("1"))
                .expect("entry");
        let command = Command::new(
            IdempotencyKey::parse(&format!("bulk-{n}")).expect("key"),
            test.identity.now(),
            Action::Post { entry, kind: EntryKind::Transfer, memo: "bulk".into() },
        )
        .expect("command");
        let store = test.store.clone();
        postings.spawn(async move { store.execute(command).await.expect("posted") });
    }
    postings.join_all().await;
    let (status, problem) = statement(test, &f.session, account, "from=2026-01-12&to=2026-01-12").await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("statement_too_large_for_json")), "{problem}");
    let response = get_as(
        &test.app,
        &f.session,
        &format!("/api/v1/accounts/{account}/statement?from=2026-01-12&to=2026-01-12&format=csv"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let text = body_text(response).await;
    assert_eq!(csv_rows(&text).len() as u64, tiyn_api::statements::STATEMENT_JSON_OPERATIONS_MAX + 2);
}

/// random postings on random days, booked out of their instants' order; for
/// random periods the statement reconciles (opening + credits − debits = closing, lines = the
/// turnovers, each day from the one before), and a day opens where the day before closed.
#[tokio::test]
async fn r_6_3_1_random_periods_reconcile() {
    let f = payment_fixture().await;
    let test = &f.test;
    let accounts = test.store.partner_accounts(test.demo.partner).await.expect("accounts");
    let kzt: Vec<AccountId> =
        accounts.iter().filter(|account| account.currency == Currency::Kzt).map(|account| account.id).collect();
    let first: jiff::Timestamp = "2026-02-01T00:00:00Z".parse().expect("instant");
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_260_112);
    for n in 0..300 {
        let at = first + jiff::SignedDuration::from_mins(rng.random_range(0..60 * 24 * 45));
        let (from, to) = if rng.random_range(0..2) == 0 { (kzt[0], kzt[1]) } else { (kzt[1], kzt[0]) };
        let amount =
            tiyn_core::Amount::new(tiyn_core::Money::from_minor(rng.random_range(1..5_000_000), Currency::Kzt))
                .expect("positive");
        let entry = JournalEntry::transfer(from, to, amount).expect("entry");
        let command = Command::new(
            IdempotencyKey::parse(&format!("random-{n}")).expect("key"),
            at,
            Action::Post { entry, kind: EntryKind::Transfer, memo: format!("случайный перевод {n}") },
        )
        .expect("command");
        let _ = test.store.execute(command).await;
    }
    let day = |offset: i64| -> jiff::civil::Date {
        jiff::civil::date(2026, 1, 28).checked_add(jiff::Span::new().days(offset)).expect("date")
    };
    for _ in 0..10 {
        let (a, b) = (rng.random_range(0..55), rng.random_range(0..55));
        let query = format!("from={}&to={}", day(a.min(b)), day(a.max(b)));
        let account = kzt[rng.random_range(0..2)];
        let (status, body) = statement(test, &f.session, account, &query).await;
        assert_eq!(status, 200, "{body}");
        assert_reconciles(&body);
        let (next_status, next) =
            statement(test, &f.session, account, &format!("from={}&to={}", day(a.max(b) + 1), day(a.max(b) + 1))).await;
        assert_eq!(next_status, 200);
        assert_eq!(next["opening"], body["closing"], "the next day opens where this period closed");
    }
    for account in &kzt {
        let (_, all) = statement(test, &f.session, *account, "from=2026-01-01&to=2026-03-31").await;
        assert_eq!(minor(&all["closing"]), balance(test, *account).await, "the closing is the balance");
    }
}

/// Measures a long statement (not run by default: `cargo nextest run -p tiyn-server --test
/// statements --run-ignored only`): 100,000 operations over 30 days, their totals, the JSON
/// refusal, and the CSV streamed through the API, with the time each took. Checks the CSV's row
/// count and that its lines reconcile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, minutes on a small machine"]
async fn a_statement_of_100_000_operations_streams() {
    const OPERATIONS: i64 = 100_000;
    let f = payment_fixture().await;
    let test = &f.test;
    let equity = test.store.bank_account(AccountKind::BankEquity, Currency::Kzt).await.expect("equity");
    let first: jiff::Timestamp = "2026-02-01T00:00:00Z".parse().expect("instant");
    let started = std::time::Instant::now();
    let mut postings = tokio::task::JoinSet::new();
    for n in 0..OPERATIONS {
        // Instants over 30 days in the order of posting, with a little disorder every 97th.
        let offset_ms = n * 25_920 + if n % 97 == 0 { -40_000 } else { 0 };
        let at = first + jiff::SignedDuration::from_millis(offset_ms.max(0));
        let amount =
            tiyn_core::Amount::new(tiyn_core::Money::from_minor(100 + n % 1_000, Currency::Kzt)).expect("positive");
        let entry = JournalEntry::transfer(equity, f.main.id, amount).expect("entry");
        let command = Command::new(
            IdempotencyKey::parse(&format!("long-{n}")).expect("key"),
            at,
            Action::Post { entry, kind: EntryKind::IncomingCredit, memo: format!("Поступление № {n}") },
        )
        .expect("command");
        let store = test.store.clone();
        postings.spawn(async move { store.execute(command).await.expect("posted") });
        if postings.len() >= 2_000 {
            postings.join_next().await;
        }
    }
    postings.join_all().await;
    eprintln!("posted {OPERATIONS} operations in {:?}", started.elapsed());
    // The sessions ended while posting: sign in again.
    test.clock.set(first + jiff::SignedDuration::from_hours(24 * 40));
    let session = test.sign_in("confirm", true).await;
    let query = "from=2026-02-01&to=2026-03-05";
    let started = std::time::Instant::now();
    let (status, problem) = statement(test, &session, f.main.id, query).await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("statement_too_large_for_json")));
    eprintln!("totals (and the JSON refusal) in {:?}", started.elapsed());
    let started = std::time::Instant::now();
    let response =
        get_as(&test.app, &session, &format!("/api/v1/accounts/{}/statement?{query}&format=csv", f.main.id)).await;
    assert_eq!(response.status(), 200);
    let text = body_text(response).await;
    let elapsed = started.elapsed();
    let rows = csv_rows(&text);
    assert_eq!(rows.len() as i64, OPERATIONS + 1);
    eprintln!(
        "CSV of {OPERATIONS} lines ({} bytes) in {elapsed:?}: {:.0} lines/s",
        text.len(),
        OPERATIONS as f64 / elapsed.as_secs_f64()
    );
}
