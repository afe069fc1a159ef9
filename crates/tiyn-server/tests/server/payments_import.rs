//! Batch import of payment drafts through `POST /api/v1/payments/import` (issue 4): a 1C
//! client-bank exchange file (UTF-8 and Windows-1251) and an ISO 20022 pain.001 become drafts
//! (R-3.1.1.2); every problem is reported with its document, line, key and field, and nothing is
//! imported unless every document is valid or the client asked for a partial import (R-6.1.3).
//! Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::body::Body;
use axum::http::{Request, Response};
use common::*;
use serde_json::{Value, json};
use tiyn_core::Iban;
use tiyn_store::Account;

/// An interbank payee at Halyk Bank (601): a resident legal entity, so KBe 17.
const PAYEE_BIN: &str = "180140010005";
pub(crate) const PAYEE_IBAN: &str = "KZ806014482455345985";
const PAYEE_BIC: &str = "HSBKKZKX";
/// [`PAYEE_IBAN`] with its last digit changed: the checksum fails.
pub(crate) const BROKEN_IBAN: &str = "KZ806014482455345986";

fn iban(account: &Account) -> String {
    account.iban.as_ref().expect("a partner account has an IBAN").as_str().to_owned()
}

/// One payment order of a 1C file: goods to the Halyk payee.
pub(crate) struct Order<'a> {
    pub number: u32,
    pub payer: &'a str,
    pub amount: &'a str,
    pub payee_iban: &'a str,
}

impl<'a> Order<'a> {
    /// The same order under another number.
    fn clone_with(&self, number: u32) -> Order<'a> {
        Order { number, payer: self.payer, amount: self.amount, payee_iban: self.payee_iban }
    }

    fn section(&self) -> String {
        format!(
            "СекцияДокумент=Платежное поручение\n\
             НомерДокумента={number}\n\
             ДатаДокумента=12.01.2026\n\
             Сумма={amount}\n\
             Валюта=KZT\n\
             ПлательщикНаименование=ТОО «Тийн Тест»\n\
             ПлательщикИИК={payer}\n\
             ПолучательНаименование=ТОО «Ромашка»\n\
             ПолучательБИН_ИИН={PAYEE_BIN}\n\
             ПолучательКБЕ=17\n\
             ПолучательИИК={payee_iban}\n\
             ПолучательБанкБИК={PAYEE_BIC}\n\
             НазначениеПлатежа=Оплата по счёту № {number} за товары, без НДС\n\
             КодНазначенияПлатежа=710\n\
             Очередность=5\n\
             КонецДокумента\n",
            number = self.number,
            amount = self.amount,
            payer = self.payer,
            payee_iban = self.payee_iban,
        )
    }
}

/// A 1C exchange file of `orders`, declaring `encoding` (`UTF-8` or `Windows`), as text.
pub(crate) fn one_c_text(encoding: &str, orders: &[Order<'_>]) -> String {
    let mut text = format!(
        "1CClientBankExchange\nВерсияФормата=2.0\nКодировка={encoding}\nОтправитель=1С:Бухгалтерия для Казахстана\n\
         ДатаСоздания=12.01.2026\n"
    );
    for order in orders {
        text.push_str(&order.section());
    }
    text.push_str("КонецФайла\n");
    text.replace('\n', "\r\n")
}

/// Windows-1251, for the letters the test files use (Russian, «», №).
fn windows_1251(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            c if c.is_ascii() => c as u8,
            'А'..='я' => (c as u32 - 'А' as u32 + 0xC0) as u8,
            'Ё' => 0xA8,
            'ё' => 0xB8,
            '«' => 0xAB,
            '»' => 0xBB,
            '№' => 0xB9,
            other => panic!("{other:?} is not in the test's Windows-1251 table"),
        })
        .collect()
}

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    let index = text.lines().position(|line| line.contains(needle)).expect("the needle is in the file");
    index as u64 + 1
}

/// A pain.001.001.09 of one payment information block from `payer` with a transfer per amount.
fn pain001(payer: &str, amounts: &[&str]) -> String {
    let transfers: String = amounts
        .iter()
        .enumerate()
        .map(|(index, amount)| {
            format!(
                r#"      <CdtTrfTxInf>
        <PmtId><EndToEndId>E2E-{n}</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="KZT">{amount}</InstdAmt></Amt>
        <CdtrAgt><FinInstnId><BICFI>{PAYEE_BIC}</BICFI></FinInstnId></CdtrAgt>
        <Cdtr>
          <Nm>ТОО «Ромашка»</Nm>
          <Id><OrgId><Othr><Id>{PAYEE_BIN}</Id><SchmeNm><Prtry>BIN</Prtry></SchmeNm></Othr></OrgId></Id>
        </Cdtr>
        <CdtrAcct><Id><IBAN>{PAYEE_IBAN}</IBAN></Id></CdtrAcct>
        <Purp><Prtry>710</Prtry></Purp>
        <RgltryRptg><Dtls><Tp>KBE</Tp><Cd>17</Cd></Dtls></RgltryRptg>
        <RmtInf><Ustrd>Оплата по счёту № {n} за товары</Ustrd></RmtInf>
      </CdtTrfTxInf>
"#,
                n = index + 1,
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>TIYN-TEST-1</MsgId>
      <CreDtTm>2026-01-12T10:00:00+05:00</CreDtTm>
      <NbOfTxs>{count}</NbOfTxs>
      <InitgPty><Nm>ТОО «Тийн Тест»</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>PI-1</PmtInfId>
      <PmtMtd>TRF</PmtMtd>
      <NbOfTxs>{count}</NbOfTxs>
      <ReqdExctnDt><Dt>2026-01-12</Dt></ReqdExctnDt>
      <Dbtr><Nm>ТОО «Тийн Тест»</Nm></Dbtr>
      <DbtrAcct><Id><IBAN>{payer}</IBAN></Id></DbtrAcct>
{transfers}    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
"#,
        count = amounts.len(),
    )
}

/// `POST /api/v1/payments/import{query}` with the file as the body, as an API client.
async fn import_as(
    test: &TestApp,
    token: Option<&str>,
    query: &str,
    content_type: &str,
    file: Vec<u8>,
) -> Response<Body> {
    let mut request = Request::post(format!("/api/v1/payments/import{query}")).header("content-type", content_type);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    send(&test.app, request.body(Body::from(file)).expect("request")).await
}

/// `POST /api/v1/payments/import` with an `Idempotency-Key`.
async fn import_keyed(test: &TestApp, session: &Session, key: &str, query: &str, file: Vec<u8>) -> (u16, Value) {
    let request = Request::post(format!("/api/v1/payments/import{query}"))
        .header("content-type", "text/plain")
        .header("authorization", format!("Bearer {}", session.token))
        .header("idempotency-key", key);
    let response = send(&test.app, request.body(Body::from(file)).expect("request")).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

async fn import(test: &TestApp, session: &Session, query: &str, content_type: &str, file: Vec<u8>) -> (u16, Value) {
    let response = import_as(test, Some(&session.token), query, content_type, file).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

async fn payment_count(test: &TestApp, session: &Session) -> usize {
    let list = body_json(get_as(&test.app, session, "/api/v1/payments?limit=500").await).await;
    list["items"].as_array().expect("items").len()
}

fn imported(report: &Value) -> &Vec<Value> {
    report["imported"].as_array().expect("imported")
}

fn errors(report: &Value) -> &Vec<Value> {
    report["errors"].as_array().expect("errors")
}

/// R-3.1.1.2: a 1C file of two good orders becomes two drafts, read the same from UTF-8 and from
/// Windows-1251; each draft is numbered like one created alone, and the import is audited.
#[tokio::test]
async fn r_3_1_1_2_a_1c_file_in_utf8_or_windows_1251_imports_every_order() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let payer = iban(&f.main);
    let orders = [
        Order { number: 17, payer: &payer, amount: "150000.00", payee_iban: PAYEE_IBAN },
        Order { number: 18, payer: &payer, amount: "2500.50", payee_iban: PAYEE_IBAN },
    ];
    let utf8 = one_c_text("UTF-8", &orders).into_bytes();
    let windows = windows_1251(&one_c_text("Windows", &orders));
    assert_ne!(utf8, windows, "the encodings differ");

    let mut numbers = Vec::new();
    for (file, content_type) in [(utf8, "text/plain; charset=utf-8"), (windows, "application/octet-stream")] {
        let (status, report) = import(&f.test, &session, "", content_type, file).await;
        assert_eq!(status, 201, "{report}");
        assert_eq!(report["format"], "1c");
        assert_eq!(report["documents"], 2);
        assert!(errors(&report).is_empty(), "{report}");
        let drafts = imported(&report);
        assert_eq!(drafts.len(), 2, "{report}");
        for (draft, amount) in drafts.iter().zip(["150000.00", "2500.50"]) {
            assert_eq!(draft["status"], "draft");
            assert_eq!(draft["kind"], "interbank");
            assert_eq!(draft["payer_account"], f.main.id.to_string());
            assert_eq!(draft["amount"], json!({"amount": amount, "currency": "KZT"}));
            assert_eq!(draft["payee_iban"], PAYEE_IBAN);
            assert_eq!(draft["payee_bin"], PAYEE_BIN);
            assert_eq!(draft["knp"], "710");
            assert_eq!(draft["kbe"], "17");
            assert_eq!(draft["value_date"], "2026-01-12");
            numbers.push(draft["number"].as_str().expect("number").parse::<u64>().expect("a number"));
        }
        assert_eq!(drafts[0]["purpose"], "Оплата по счёту № 17 за товары, без НДС", "Cyrillic read back");
        // `Очередность` is not a field of a draft: listed, not imported.
        assert_eq!(report["ignored"][0]["key"], "Очередность", "{report}");
    }
    assert_eq!(numbers, [1, 2, 3, 4], "the partner's next numbers, in file order");
    assert_eq!(payment_count(&f.test, &session).await, 4);

    let full = f.test.sign_in("full", true).await;
    let audit = body_json(get_as(&f.test.app, &full, "/api/v1/audit?limit=200").await).await;
    let actions: Vec<&Value> = audit["items"].as_array().expect("items").iter().collect();
    let imports: Vec<&&Value> = actions.iter().filter(|record| record["action"] == "payments.import").collect();
    assert_eq!(imports.len(), 2, "{audit}");
    let details = imports[0]["details"].as_str().expect("details");
    assert!(details.contains("format=1c") && details.contains("imported=2"), "{details}");
    assert_eq!(imports[0]["outcome"], "success");
    let creates = actions.iter().filter(|record| record["action"] == "payments.create").count();
    assert_eq!(creates, 4, "each draft is audited like one created alone");
}

/// R-6.1.3: one bad order and nothing is imported; the answer names the document, its line, the
/// 1C key and the API field. With `partial=true` the good order is imported and the bad one
/// reported.
#[tokio::test]
async fn r_6_1_3_a_bad_order_imports_nothing_unless_partial() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let payer = iban(&f.main);
    let text = one_c_text(
        "UTF-8",
        &[
            Order { number: 1, payer: &payer, amount: "100.00", payee_iban: PAYEE_IBAN },
            Order { number: 2, payer: &payer, amount: "200.00", payee_iban: BROKEN_IBAN },
        ],
    );
    let bad_line = line_of(&text, BROKEN_IBAN);

    let (status, problem) = import(&f.test, &session, "?format=1c", "text/plain", text.clone().into_bytes()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["status"], 422);
    assert!(imported(&problem).is_empty());
    assert_eq!(problem["documents"], 2);
    let only = match errors(&problem).as_slice() {
        [only] => only.clone(),
        other => panic!("one error expected: {other:?}"),
    };
    assert_eq!(only["document"], 2);
    assert_eq!(only["line"], bad_line);
    assert_eq!(only["key"], "ПолучательИИК");
    assert_eq!(only["field"], "payee_iban");
    assert_eq!(only["code"], "invalid_iban");
    assert!(only["message"].as_str().is_some_and(|message| !message.is_empty()));
    assert_eq!(problem["code"], "invalid_iban", "one problem: its code is the answer's");
    assert_eq!(payment_count(&f.test, &session).await, 0, "nothing was imported");

    let (status, report) = import(&f.test, &session, "?format=1c&partial=true", "text/plain", text.into_bytes()).await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(imported(&report).len(), 1);
    assert_eq!(imported(&report)[0]["amount"]["amount"], "100.00");
    assert_eq!(errors(&report).len(), 1);
    assert_eq!(errors(&report)[0]["document"], 2);
    assert_eq!(errors(&report)[0]["line"], bad_line);
    assert_eq!(payment_count(&f.test, &session).await, 1);

    // Every problem of every document is listed: two bad orders, two errors each placed.
    let text = one_c_text(
        "UTF-8",
        &[
            Order { number: 1, payer: &payer, amount: "1.001", payee_iban: PAYEE_IBAN },
            Order { number: 2, payer: &payer, amount: "200.00", payee_iban: BROKEN_IBAN },
        ],
    );
    let (status, problem) = import(&f.test, &session, "", "text/plain", text.clone().into_bytes()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "validation_failed");
    let placed: Vec<(u64, u64, &str)> = errors(&problem)
        .iter()
        .map(|e| {
            (e["document"].as_u64().unwrap_or(0), e["line"].as_u64().unwrap_or(0), e["field"].as_str().unwrap_or(""))
        })
        .collect();
    assert_eq!(
        placed,
        [(1, line_of(&text, "Сумма=1.001"), "amount.amount"), (2, line_of(&text, BROKEN_IBAN), "payee_iban")]
    );
}

/// R-3.1.1.2: an import repeated with its `Idempotency-Key` (a client retrying after a lost
/// answer) answers the first import's drafts and stores nothing; the key with another file, or
/// the same file imported another way, is refused; a key whose import stored nothing is free.
#[tokio::test]
async fn r_3_1_1_2_a_repeated_import_stores_its_drafts_once() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let payer = iban(&f.main);
    let orders = [
        Order { number: 1, payer: &payer, amount: "100.00", payee_iban: PAYEE_IBAN },
        Order { number: 2, payer: &payer, amount: "200.00", payee_iban: BROKEN_IBAN },
        Order { number: 3, payer: &payer, amount: "300.00", payee_iban: PAYEE_IBAN },
    ];
    let file = one_c_text("UTF-8", &orders).into_bytes();
    let ids = |report: &Value| -> Vec<String> {
        imported(report).iter().map(|draft| draft["id"].as_str().expect("id").to_owned()).collect()
    };

    let (status, first) = import_keyed(&f.test, &session, "import-0001", "?partial=true", file.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(ids(&first).len(), 2, "{first}");
    assert_eq!(errors(&first).len(), 1, "the broken order is reported: {first}");
    let (status, again) = import_keyed(&f.test, &session, "import-0001", "?partial=true", file.clone()).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(ids(&again), ids(&first), "the same drafts answer the repeat");
    assert_eq!((first["replayed"].as_bool(), again["replayed"].as_bool()), (Some(false), Some(true)));
    assert_eq!(again["documents"], 3);
    assert_eq!(payment_count(&f.test, &session).await, 2, "nothing stored twice");

    for (query, other) in [("?partial=true", one_c_text("UTF-8", &orders[..1]).into_bytes()), ("", file.clone())] {
        let (status, problem) = import_keyed(&f.test, &session, "import-0001", query, other).await;
        assert_eq!(status, 409, "{problem}");
        assert_eq!(problem["code"], "idempotency_conflict");
    }
    assert_eq!(payment_count(&f.test, &session).await, 2);

    // Nothing stored under a key: the corrected file may use it.
    let (status, refused) = import_keyed(&f.test, &session, "import-0002", "", file).await;
    assert_eq!(status, 422, "{refused}");
    let fixed = one_c_text("UTF-8", &[orders[0].clone_with(4), orders[2].clone_with(5)]).into_bytes();
    let (status, report) = import_keyed(&f.test, &session, "import-0002", "", fixed).await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(ids(&report).len(), 2);
    assert_eq!(payment_count(&f.test, &session).await, 4);

    // Two repeats at once (a client retrying before the first answer): one set of drafts.
    let file = one_c_text("UTF-8", &[orders[0].clone_with(6), orders[2].clone_with(7)]).into_bytes();
    let (one, two) = tokio::join!(
        import_keyed(&f.test, &session, "import-0003", "", file.clone()),
        import_keyed(&f.test, &session, "import-0003", "", file),
    );
    assert_eq!((one.0, two.0), (201, 201), "{} {}", one.1, two.1);
    assert_eq!(ids(&one.1), ids(&two.1));
    assert_eq!(payment_count(&f.test, &session).await, 6);

    let full = f.test.sign_in("full", true).await;
    let audit = body_json(get_as(&f.test.app, &full, "/api/v1/audit?limit=200").await).await;
    let items = audit["items"].as_array().expect("items");
    let replays = items
        .iter()
        .filter(|record| {
            record["action"] == "payments.import"
                && record["details"].as_str().is_some_and(|details| details.contains("replayed=true"))
        })
        .count();
    assert_eq!(replays, 2, "each repeat is audited as one, the one at the same time too: {audit}");
    let creates = items.iter().filter(|record| record["action"] == "payments.create").count();
    assert_eq!(creates, 6, "each draft's creation is audited once: {audit}");
}

/// R-3.1.1.2: a pain.001 with two transfers becomes two drafts, told from the file or named.
#[tokio::test]
async fn r_3_1_1_2_a_pain001_imports_every_transfer() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let xml = pain001(&iban(&f.salary), &["1500", "320.75"]);
    for query in ["", "?format=pain001"] {
        let (status, report) = import(&f.test, &session, query, "application/xml", xml.clone().into_bytes()).await;
        assert_eq!(status, 201, "{report}");
        assert_eq!(report["format"], "pain001");
        let drafts = imported(&report);
        assert_eq!(drafts.len(), 2, "{report}");
        assert_eq!(drafts[0]["amount"], json!({"amount": "1500.00", "currency": "KZT"}));
        assert_eq!(drafts[1]["amount"], json!({"amount": "320.75", "currency": "KZT"}));
        for draft in drafts {
            assert_eq!(draft["payer_account"], f.salary.id.to_string());
            assert_eq!(draft["kind"], "interbank");
            assert_eq!(draft["payee_bic"], PAYEE_BIC);
        }
    }
    // A transfer's error names its element, line and position in the file.
    let bad = pain001(&iban(&f.salary), &["1500", "320.755"]);
    let (status, problem) = import(&f.test, &session, "", "application/xml", bad.clone().into_bytes()).await;
    assert_eq!(status, 422, "{problem}");
    let error = &errors(&problem)[0];
    assert_eq!(error["document"], 2);
    assert_eq!(error["transaction"], json!({"payment_information": 1, "transaction": 2}));
    assert_eq!(error["key"], "CdtTrfTxInf/Amt/InstdAmt");
    assert_eq!(error["field"], "amount.amount");
    assert_eq!(error["line"], line_of(&bad, "320.755"));
    assert_eq!(payment_count(&f.test, &session).await, 4);
}

/// R-6.4.2: a payer IBAN of another partner is refused exactly like one that is nobody's.
#[tokio::test]
async fn another_partners_iban_is_refused_like_an_unknown_one() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let theirs = iban(&f.other_partner);
    let nobodys = Iban::from_bban("KZ", "722C000000009999").expect("an IBAN").as_str().to_owned();
    assert!(
        f.test.store.partner_accounts(f.test.demo.partner).await.expect("accounts").iter().all(|a| a
            .iban
            .as_ref()
            .map(Iban::as_str)
            != Some(nobodys.as_str()))
    );
    let mut answers = Vec::new();
    for payer in [&theirs, &nobodys] {
        let text = one_c_text("UTF-8", &[Order { number: 1, payer, amount: "10.00", payee_iban: PAYEE_IBAN }]);
        let (status, problem) = import(&f.test, &session, "", "text/plain", text.clone().into_bytes()).await;
        assert_eq!(status, 422, "{problem}");
        let error = errors(&problem)[0].clone();
        assert_eq!(error["field"], "payer_account");
        assert_eq!(error["code"], "account_not_found");
        assert_eq!(error["key"], "ПлательщикИИК");
        assert_eq!(error["line"], line_of(&text, "ПлательщикИИК"));
        let detail = error["detail"].as_str().expect("detail").replace(payer.as_str(), "<IBAN>");
        answers.push((status, problem["code"].clone(), error["message"].clone(), detail));
    }
    assert_eq!(answers[0], answers[1], "another partner's account reads like an unknown one");

    // The same in a pain.001.
    let (status, problem) =
        import(&f.test, &session, "", "application/xml", pain001(&theirs, &["10.00"]).into_bytes()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(errors(&problem)[0]["code"], "account_not_found");
    assert_eq!(errors(&problem)[0]["key"], "PmtInf/DbtrAcct/Id/IBAN");
    assert_eq!(payment_count(&f.test, &session).await, 0);
}

/// R-8.1, R-6.4.5: a `create` user may import; a bank operator (no partner level, so no
/// CreatePayments) and nobody may not; an API key limited to some accounts imports only for them.
#[tokio::test]
async fn who_may_import() {
    let f = payment_accounts().await;
    let payer = iban(&f.main);
    let file = || one_c_text("UTF-8", &[Order { number: 1, payer: &payer, amount: "5.00", payee_iban: PAYEE_IBAN }]);

    let create = f.test.sign_in("create", true).await;
    let (status, report) = import(&f.test, &create, "", "text/plain", file().into_bytes()).await;
    assert_eq!(status, 201, "{report}");

    let operator = &f.test.credentials.operators[0];
    let operator = f.test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await;
    let (status, problem) = import(&f.test, &operator, "", "text/plain", file().into_bytes()).await;
    assert_eq!(status, 403, "{problem}");
    let response = import_as(&f.test, None, "", "text/plain", file().into_bytes()).await;
    assert_eq!(response.status(), 401);

    let full = f.test.sign_in("full", true).await;
    let issued = post_json(
        &f.test.app,
        "/api/v1/api-keys",
        Some(&full),
        json!({"name": "1C", "level": "create", "accounts": [f.salary.id.to_string()]}),
    )
    .await;
    assert_eq!(issued.status(), 201);
    let secret = body_json(issued).await["secret"].as_str().expect("secret").to_owned();
    let response = import_as(&f.test, Some(&secret), "", "text/plain", file().into_bytes()).await;
    assert_eq!(response.status(), 422, "the key may not use the main account");
    assert_eq!(errors(&body_json(response).await)[0]["code"], "account_not_found");
    let salary = iban(&f.salary);
    let for_salary =
        one_c_text("UTF-8", &[Order { number: 1, payer: &salary, amount: "5.00", payee_iban: PAYEE_IBAN }]);
    let response = import_as(&f.test, Some(&secret), "", "text/plain", for_salary.into_bytes()).await;
    assert_eq!(response.status(), 201);
}

/// R-6.1.3: a file that cannot be read is refused whole, with each problem's line and code; one
/// over 5 MiB is refused before it is read.
#[tokio::test]
async fn unreadable_files_are_refused_whole() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let payer = iban(&f.main);

    let (status, problem) = import(&f.test, &session, "", "application/json", b"{}".to_vec()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "unknown_format");
    assert_eq!(errors(&problem)[0]["line"], 0);
    assert_eq!(errors(&problem)[0]["document"], Value::Null);

    let cut = one_c_text("UTF-8", &[Order { number: 1, payer: &payer, amount: "5.00", payee_iban: PAYEE_IBAN }])
        .replace("КонецФайла\r\n", "");
    let (status, problem) = import(&f.test, &session, "", "text/plain", cut.into_bytes()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "missing_end_of_file");

    let (status, problem) =
        import(&f.test, &session, "?format=pain001", "text/plain", b"1CClientBankExchange".to_vec()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["format"], "pain001");

    let (status, problem) = import(&f.test, &session, "?format=csv", "text/plain", b"x".to_vec()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "invalid_format");

    let huge = vec![b' '; 5 * 1024 * 1024 + 1];
    let (status, problem) = import(&f.test, &session, "", "text/plain", huge).await;
    assert_eq!(status, 413, "{problem}");
    assert_eq!(problem["code"], "file_too_large");
    assert_eq!(payment_count(&f.test, &session).await, 0);
}

/// R-3.1.1.2: a file may hold 1,000 orders, the most one confirmation covers; one more refuses
/// the file. The drafts of a large file are numbered in file order.
#[tokio::test]
async fn a_file_holds_at_most_a_thousand_orders() {
    let f = payment_accounts().await;
    let session = f.test.sign_in("confirm", true).await;
    let payer = iban(&f.main);
    let orders = |count: u32, broken: Option<u32>| -> String {
        let orders: Vec<Order<'_>> = (1..=count)
            .map(|number| Order {
                number,
                payer: &payer,
                amount: "1.00",
                payee_iban: if broken == Some(number) { BROKEN_IBAN } else { PAYEE_IBAN },
            })
            .collect();
        one_c_text("UTF-8", &orders)
    };

    // A thousand are read and checked (the last one's error is found); nothing is imported.
    let (status, problem) = import(&f.test, &session, "", "text/plain", orders(1000, Some(1000)).into_bytes()).await;
    assert_eq!(status, 422, "{}", problem["detail"]);
    assert_eq!(problem["documents"], 1000);
    assert_eq!(errors(&problem).len(), 1);
    assert_eq!(errors(&problem)[0]["document"], 1000);

    let (status, problem) = import(&f.test, &session, "", "text/plain", orders(1001, None).into_bytes()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "too_many_documents");
    assert_eq!(payment_count(&f.test, &session).await, 0);

    let (status, report) = import(&f.test, &session, "", "text/plain", orders(120, None).into_bytes()).await;
    assert_eq!(status, 201, "{}", report["detail"]);
    let drafts = imported(&report);
    assert_eq!(drafts.len(), 120);
    for (index, draft) in drafts.iter().enumerate() {
        assert_eq!(draft["number"], (index + 1).to_string(), "numbered in file order");
        let purpose = draft["purpose"].as_str().expect("purpose");
        assert!(purpose.contains(&format!("№ {} ", index + 1)), "{purpose}");
    }
    let full = f.test.sign_in("full", true).await;
    let audit = body_json(get_as(&f.test.app, &full, "/api/v1/audit?limit=500").await).await;
    let creates = audit["items"].as_array().expect("items").iter().filter(|r| r["action"] == "payments.create").count();
    assert_eq!(creates, 120, "every draft is audited");
}
