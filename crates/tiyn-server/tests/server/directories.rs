//! The reference directories (R-3.1.2.2): `GET /api/v1/directories/{kind}` searched by code and by
//! Russian and Kazakh words, the banks abroad by BIC and name, the limit, unknown kinds and
//! anonymous callers; and the bank's update: a file loaded like `tiyn admin directories load`
//! replaces its directory from the next start of a server on the same store, while a wrong one is
//! refused naming the file and the line and changes nothing. On both backends
//! (`TIYN_TEST_BACKEND=postgres`).

use crate::common;

use axum::Router;
use axum::http::StatusCode;
use common::{Session, TestApp, body_json, get, get_as, test_app};
use serde_json::Value;
use tiyn_identity::{BankActor, Context};
use tiyn_server::directories::{self, DirectoryError, DirectoryKind, Origin};
use tiyn_store::AuditQuery;

/// `q` percent-encoded for a query string (Cyrillic, spaces).
fn encode(q: &str) -> String {
    q.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(byte).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

async fn search(app: &Router, session: &Session, kind: &str, q: &str) -> Value {
    let response = get_as(app, session, &format!("/api/v1/directories/{kind}?q={}", encode(q))).await;
    let status = response.status();
    let body = body_json(response).await;
    assert_eq!(status, StatusCode::OK, "{kind} {q}: {body}");
    assert_eq!(body["kind"], kind);
    body
}

fn codes(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["code"].as_str().expect("code").to_owned())
        .collect()
}

/// R-3.1.2.2: KNP, KBK and KBe by code prefix and by Russian words; the Kazakhstan banks by IBAN
/// bank code, BIC, Russian and Kazakh words, with their BIC, bank code and status.
#[tokio::test]
async fn r_3_1_2_2_directories_are_searched_by_code_and_by_russian_and_kazakh_words() {
    let test = test_app().await;
    let session = test.sign_in("create", true).await;
    let app = &test.app;

    assert_eq!(codes(&search(app, &session, "knp", "12").await), ["121", "122", "123", "124"]);
    let pension = search(app, &session, "knp", "пенсионные взносы").await;
    assert_eq!(codes(&pension), ["010", "089"]);
    assert_eq!(pension["items"][0]["name_ru"], "Обязательные пенсионные взносы");
    assert_eq!(pension["items"][0]["name"], "Обязательные пенсионные взносы");
    assert!(codes(&search(app, &session, "kbk", "1051").await).contains(&"105101".to_owned()));
    assert_eq!(codes(&search(app, &session, "kbe", "домашние хозяйства").await), ["18", "19", "28", "29"]);
    assert_eq!(codes(&search(app, &session, "kbe", "1").await).len(), 9, "codes 11–19");

    let kaspi = search(app, &session, "banks", "722").await;
    assert_eq!(codes(&kaspi), ["CASPKZKA"]);
    let item = &kaspi["items"][0];
    assert_eq!((&item["bic"], &item["bank_code"], &item["active"]), (&"CASPKZKA".into(), &"722".into(), &true.into()));
    assert!(item["name_ru"].as_str().is_some_and(|name| name.contains("KASPI")), "{item}");
    assert_eq!(codes(&search(app, &session, "banks", "народный").await), ["HSBKKZKX"]);
    let kazakh = search(app, &session, "banks", "қазақстан халық банкі").await;
    assert_eq!(codes(&kazakh), ["HSBKKZKX", "KZIBKZKA"]);
    assert!(kazakh["items"][0]["name_kk"].as_str().is_some_and(|name| name.contains("Халық")), "{kazakh}");
    assert_eq!(codes(&search(app, &session, "banks", "casp").await), ["CASPKZKA"]);
    assert!(search(app, &session, "banks", "несуществующий").await["items"].as_array().expect("items").is_empty());
}

/// R-3.1.2.2: banks abroad by BIC prefix (a branch BIC's primary office too), by name and by
/// country, with their city and country.
#[tokio::test]
async fn r_3_1_2_2_foreign_banks_are_found_by_bic_prefix_and_name() {
    let test = test_app().await;
    let session = test.sign_in("full", true).await;
    let app = &test.app;

    let deutsche = search(app, &session, "foreign-banks", "DEUTDEFF").await;
    assert_eq!(codes(&deutsche).first().map(String::as_str), Some("DEUTDEFF"));
    let item = &deutsche["items"][0];
    assert_eq!(
        (&item["bic"], &item["name"], &item["country"]),
        (&"DEUTDEFF".into(), &"Deutsche Bank AG".into(), &"DE".into())
    );
    assert_eq!(item["city"], "Frankfurt am Main");
    assert!(item.get("bank_code").is_none() && item.get("active").is_none(), "{item}");

    assert!(codes(&search(app, &session, "foreign-banks", "commerzbank").await).contains(&"COBADEFF".to_owned()));
    let paribas = codes(&search(app, &session, "foreign-banks", "bnp paribas paris").await);
    assert_eq!(paribas.first().map(String::as_str), Some("BNPAFRPP"), "{paribas:?}");
    let by_prefix = codes(&search(app, &session, "foreign-banks", "bnpa").await);
    assert!(by_prefix.iter().all(|bic| bic.starts_with("BNPA")) && by_prefix.contains(&"BNPAFRPP".to_owned()));
    let chinese = search(app, &session, "foreign-banks", "cn beijing").await;
    assert!(codes(&chinese).len() >= 3, "{chinese}");
}

/// R-3.1.2.2: `limit` (20 by default, 1 to 100), a blank query lists from the start, an unknown
/// directory is a 404 that names the directories, an anonymous call a 401; every level reads.
#[tokio::test]
async fn r_3_1_2_2_limits_unknown_kinds_and_who_may_read() {
    let test = test_app().await;
    let session = test.sign_in("confirm", true).await;
    let app = &test.app;

    let listed = body_json(get_as(app, &session, "/api/v1/directories/foreign-banks").await).await;
    assert_eq!(listed["items"].as_array().expect("items").len(), 20, "20 by default");
    assert_eq!(listed["items"][0]["code"], "CHASUS33", "from the start of the list");
    let five = body_json(get_as(app, &session, "/api/v1/directories/foreign-banks?q=bank&limit=5").await).await;
    assert_eq!(five["items"].as_array().expect("items").len(), 5);
    let hundred = body_json(get_as(app, &session, "/api/v1/directories/foreign-banks?limit=100").await).await;
    assert_eq!(hundred["items"].as_array().expect("items").len(), 100);
    for wrong in ["0", "101", "many"] {
        let response = get_as(app, &session, &format!("/api/v1/directories/knp?limit={wrong}")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "limit={wrong}");
        assert_eq!(body_json(response).await["code"], "invalid_limit");
    }

    let unknown = get_as(app, &session, "/api/v1/directories/swift").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let problem = body_json(unknown).await;
    assert_eq!(problem["code"], "not_found");
    assert!(problem["detail"].as_str().is_some_and(|detail| detail.contains("foreign-banks")), "{problem}");

    let anonymous = get(app, "/api/v1/directories/knp?q=911").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    for level in ["full", "confirm", "create"] {
        let session = test.sign_in(level, true).await;
        let response = get_as(app, &session, "/api/v1/directories/banks?q=kaspi").await;
        assert_eq!(response.status(), StatusCode::OK, "{level}");
    }
}

/// The app a server would build at its next start on this store: the reference data from the
/// store (the texts the bank loaded, else the embedded files), as `tiyn serve` loads it.
async fn restarted(test: &TestApp) -> Router {
    let reference = directories::reference_data(test.store.as_ref()).await.expect("the reference data in force");
    let mut state = common::state(test.store.clone(), test.metrics.clone(), test.identity.clone(), false);
    let bank = tiyn_identity::BankIdentity::default();
    state.banking = tiyn_banking::Banking::new(
        test.identity.clone(),
        reference,
        tiyn_banking::BankingConfig::standard(bank.bank_code()),
    )
    .expect("the default bank code is in the directory");
    tiyn_server::app::build_app(state)
}

fn console() -> (Context, BankActor) {
    (Context { source_ip: None, user_agent: Some("tiyn admin".to_owned()) }, BankActor::console(None))
}

/// The embedded KNP list with one more code.
fn knp_with_999() -> String {
    let mut text = tiyn_refdata::CsvTexts::EMBEDDED.knp.trim_end().to_owned();
    text.push_str("\n999,Прочие платежи банка (тест),Other payments (test),9,bank_dictionary,test file\n");
    text
}

/// R-3.1.2.2: a valid file replaces its directory at the next start (not under a running server),
/// is recorded with who and when and audited; the others stay the embedded ones.
#[tokio::test]
async fn r_3_1_2_2_a_loaded_directory_is_in_force_from_the_next_start() {
    let test = test_app().await;
    let (context, actor) = console();
    let stored =
        directories::load(&test.identity, &context, &actor, DirectoryKind::Knp, "knp_2027.csv", knp_with_999())
            .await
            .expect("a valid file loads");
    let embedded_rows = tiyn_refdata::ReferenceData::embedded().expect("embedded").knp().len();
    assert_eq!(stored.rows, u64::try_from(embedded_rows + 1).expect("rows"));
    assert_eq!((stored.kind, stored.source.as_str(), stored.loaded_by), (DirectoryKind::Knp, "knp_2027.csv", None));

    // The running server answers what it started with.
    let session = test.sign_in("create", true).await;
    assert!(search(&test.app, &session, "knp", "999").await["items"].as_array().expect("items").is_empty());

    // The next start uses the loaded text.
    let app = restarted(&test).await;
    let found = search(&app, &session, "knp", "999").await;
    assert_eq!(codes(&found), ["999"]);
    assert_eq!(found["items"][0]["name_ru"], "Прочие платежи банка (тест)");
    assert_eq!(codes(&search(&app, &session, "knp", "прочие платежи банка").await), ["999"]);
    assert_eq!(codes(&search(&app, &session, "banks", "722").await), ["CASPKZKA"], "the other directories stay");

    // What `tiyn admin directories show` prints from.
    let (_, in_force) = directories::in_force(test.store.as_ref()).await.expect("in force");
    for directory in &in_force {
        match (directory.kind, &directory.origin) {
            (DirectoryKind::Knp, Origin::Loaded(text)) => {
                assert_eq!((text.id, directory.rows), (stored.id, embedded_rows + 1));
                assert_eq!(text.loaded_by_name, actor.name());
            }
            (DirectoryKind::Knp, Origin::Embedded) => panic!("the KNP list is the loaded one"),
            (_, origin) => assert_eq!(origin, &Origin::Embedded, "{}", directory.kind),
        }
    }

    // Audited as the console's action.
    let records = test.store.audit_records(AuditQuery { limit: 20, ..AuditQuery::default() }).await.expect("audit");
    let record =
        records.iter().find(|record| record.record.action == directories::AUDIT_DIRECTORY_LOAD).expect("audited");
    assert_eq!(record.record.object.as_deref(), Some("directory:knp"));
    assert!(record.record.details.as_deref().is_some_and(|details| details.contains("knp_2027.csv")), "{record:?}");

    // A newer load of the same kind wins at the following start.
    let back = tiyn_refdata::CsvTexts::EMBEDDED.knp.to_owned();
    directories::load(&test.identity, &context, &actor, DirectoryKind::Knp, "knp_again.csv", back)
        .await
        .expect("loads");
    let app = restarted(&test).await;
    assert!(search(&app, &session, "knp", "999").await["items"].as_array().expect("items").is_empty());
}

/// R-3.1.2.2: a wrong file is refused whole, naming the file given, the directory's file and the
/// line, and nothing changes; a file that contradicts the other directories is refused too.
#[tokio::test]
async fn r_3_1_2_2_a_wrong_file_is_refused_with_its_line_and_changes_nothing() {
    let test = test_app().await;
    let (context, actor) = console();
    let header = "knp,name_ru,name_en_or_usage,section_first_digit,evidence_kind,source\n";
    let wrong = format!("{header}911,Налоги,Tax,9,bank,x\n91,Короткий,Short,9,bank,x\n");
    let error = directories::load(&test.identity, &context, &actor, DirectoryKind::Knp, "/tmp/knp_new.csv", wrong)
        .await
        .expect_err("a wrong row refuses the file");
    assert!(matches!(error, DirectoryError::Invalid { .. }), "{error}");
    let message = error.to_string();
    assert!(message.starts_with("/tmp/knp_new.csv is refused, nothing changed: "), "{message}");
    assert!(message.contains("knp_partial.csv, line 3: column `knp`"), "{message}");

    // The Kazakhstan banks without the treasury's BIC contradict budget payments.
    let banks: Vec<&str> =
        tiyn_refdata::CsvTexts::EMBEDDED.banks_bic.lines().filter(|line| !line.starts_with("KKMFKZ2A")).collect();
    let error =
        directories::load(&test.identity, &context, &actor, DirectoryKind::Banks, "banks.csv", banks.join("\n"))
            .await
            .expect_err("the treasury is required");
    assert!(error.to_string().contains("KKMFKZ2A"), "{error}");

    // A foreign bank whose country contradicts its BIC.
    let foreign = "bic,name,city,country\nDEUTDEFF,Deutsche Bank AG,Frankfurt,FR\n".to_owned();
    let error = directories::load(&test.identity, &context, &actor, DirectoryKind::ForeignBanks, "swift.csv", foreign)
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("foreign_banks.csv, line 2: column `country`"), "{error}");

    assert!(test.store.latest_directory_texts().await.expect("read").is_empty(), "nothing was kept");
    let records = test.store.audit_records(AuditQuery { limit: 50, ..AuditQuery::default() }).await.expect("audit");
    assert!(records.iter().all(|record| record.record.action != directories::AUDIT_DIRECTORY_LOAD));
    let session = test.sign_in("create", true).await;
    let app = restarted(&test).await;
    assert_eq!(codes(&search(&app, &session, "knp", "12").await), ["121", "122", "123", "124"]);
}
