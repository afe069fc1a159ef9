//! The bank operator API (`/api/admin/v1`) through the whole HTTP stack: partners created from
//! their applications, blocks and lockouts only the bank lifts (R-6.1.4, R-6.1.8, R-6.4.7,
//! ), the whole audit trail, and the route table that keeps partners' users out.

use crate::common;

use axum::http::StatusCode;
use common::{Session, TestApp, body_json, get, get_as, last_code, post_json, request_json, test_app};
use serde_json::{Value, json};
use tiyn_api::authz::ADMIN_RULES;
use tiyn_core::{Iban, Login, UserId};
use tiyn_identity::{BankActor, Clock, Context, NewOperator, audit_action};
use tiyn_server::demo;
use tiyn_store::{AuditOutcome, AuditQuery, BlockReason};

const ADMIN: &str = "/api/admin/v1";
/// A password the policy accepts for the users these tests activate.
const NEW_PASSWORD: &str = "Stepnoy-Veter-2026!";

async fn operator_session(test: &TestApp) -> Session {
    let operator = &test.credentials.operators[0];
    test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await
}

async fn user_id(test: &TestApp, login: &str) -> UserId {
    let login = Login::parse(login).expect("login");
    test.store.user_by_login(&login).await.expect("read").expect("a user of that login").id
}

async fn operator_id(test: &TestApp) -> UserId {
    user_id(test, &test.credentials.operators[0].login).await
}

fn new_bin() -> String {
    demo::demo_bin("2001400077").expect("a BIN for the prefix").as_str().to_owned()
}

/// A valid application: two accounts, a full-access and a create-level user.
fn application(bin: &str) -> Value {
    json!({
        "name": "ТОО «Новый Партнёр»",
        "bin": bin,
        "legal_address": "050000, г. Алматы, ул. Абая, д. 1",
        "accounts": [
            {"currency": "KZT", "name": "Основной счёт"},
            {"currency": "USD", "name": "Валютный счёт"},
        ],
        "users": [
            {"full_name": "Бауыржан Касымов", "mobile": "+77010000301", "email": "full@new-partner.kz", "level": "full", "consent": true},
            {"full_name": "Гульнара Ибраева", "mobile": "+77010000302", "level": "create", "consent": true},
        ],
    })
}

async fn post_admin(test: &TestApp, session: &Session, path: &str, body: Value) -> (StatusCode, Value) {
    let response = post_json(&test.app, &format!("{ADMIN}{path}"), Some(session), body).await;
    let status = response.status();
    let text = common::body_text(response).await;
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("json") })
}

async fn get_admin(test: &TestApp, session: &Session, path: &str) -> (StatusCode, Value) {
    let response = get_as(&test.app, session, &format!("{ADMIN}{path}")).await;
    let status = response.status();
    (status, body_json(response).await)
}

/// First access of a user the bank registered: the SMS code, then a password.
async fn activate(test: &TestApp, mobile: &str) {
    let challenge = post_json(&test.app, "/api/v1/auth/activation", None, json!({"login": mobile})).await;
    assert_eq!(challenge.status(), StatusCode::OK);
    let challenge = body_json(challenge).await;
    let code = last_code(&test.sms, mobile);
    let confirm = post_json(
        &test.app,
        "/api/v1/auth/activation/confirm",
        None,
        json!({"challenge_id": challenge["challenge_id"], "code": code, "password": NEW_PASSWORD}),
    )
    .await;
    let status = confirm.status();
    let body = body_json(confirm).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "active");
}

/// the operator creates a partner from its application: accounts with valid KZ IBANs of
/// the bank under the next free numbers, users pending activation; a new user then activates by
/// SMS code, signs in and sees the accounts.
#[tokio::test]
async fn r_8_2_operator_creates_a_partner_from_an_application() {
    let test = test_app().await;
    let operator = operator_session(&test).await;
    let bin = new_bin();
    let (status, body) = post_admin(&test, &operator, "/partners", application(&bin)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["partner"]["bin"], bin.as_str());
    assert_eq!(body["partner"]["name"], "ТОО «Новый Партнёр»");

    let accounts = body["accounts"].as_array().expect("accounts");
    assert_eq!(accounts.len(), 2);
    let ibans: Vec<Iban> =
        accounts.iter().map(|account| Iban::parse(account["iban"].as_str().expect("iban")).expect("valid")).collect();
    // The demo's largest account number is S000000000101: the bank continues from there.
    assert_eq!(ibans[0], Iban::from_bban("KZ", "722S000000000102").expect("iban"));
    assert_eq!(ibans[1], Iban::from_bban("KZ", "722S000000000103").expect("iban"));
    for (iban, (account, currency)) in ibans.iter().zip(accounts.iter().zip(["KZT", "USD"])) {
        assert_eq!(iban.kz_bank_code(), Some(demo::DEMO_BANK_CODE));
        assert_eq!(account["currency"], currency);
        assert_eq!(account["balance"], json!({"amount": "0.00", "currency": currency}));
    }
    let users = body["users"].as_array().expect("users");
    assert_eq!(users.len(), 2);
    assert!(users.iter().all(|user| user["status"] == "pending_activation"), "{users:?}");
    assert_eq!(users[0]["level"], "full");
    assert_eq!(users[1]["level"], "create");

    let partner_id = tiyn_core::PartnerId::new(body["partner"]["id"].as_str().expect("id").parse().expect("number"));
    let stored = test.store.partner_accounts(partner_id).await.expect("accounts");
    assert_eq!(stored.iter().filter_map(|account| account.iban.clone()).collect::<Vec<_>>(), ibans);
    let stored_user = test.store.user(user_id(&test, "+77010000301").await).await.expect("read").expect("exists");
    assert_eq!(stored_user.partner, Some(partner_id));
    assert!(stored_user.consent.is_some_and(|consent| consent.recorded_by == "Оператор Демо Банка"));

    // The next application continues the numbering.
    let mut second = application(demo::demo_bin("2002400088").expect("bin").as_str());
    second["users"] =
        json!([{"full_name": "Ерболат Сейтов", "mobile": "+77010000303", "level": "full", "consent": true}]);
    second["accounts"] = json!([{"currency": "EUR", "name": "Счёт EUR"}]);
    let (status, body) = post_admin(&test, &operator, "/partners", second).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["accounts"][0]["iban"], Iban::from_bban("KZ", "722S000000000104").expect("iban").as_str());

    // The new full-access user activates and works in the new cabinet.
    activate(&test, "+77010000301").await;
    let session = test.sign_in_with("full@new-partner.kz", NEW_PASSWORD, "+77010000301").await;
    let me = body_json(get_as(&test.app, &session, "/api/v1/me").await).await;
    assert_eq!(me["partner"]["bin"], bin.as_str());
    assert_eq!(me["level"], "full");
    let listed = body_json(get_as(&test.app, &session, "/api/v1/accounts").await).await;
    let listed: Vec<&str> =
        listed["items"].as_array().expect("items").iter().map(|item| item["iban"].as_str().expect("iban")).collect();
    assert_eq!(listed, ibans.iter().map(Iban::as_str).collect::<Vec<_>>());
}

/// an application is checked whole before anything is written; each refusal names its
/// field (`users[1].mobile`) with a stable code, and nothing is created.
#[tokio::test]
async fn r_8_2_an_invalid_application_names_its_fields_and_creates_nothing() {
    let test = test_app().await;
    let operator = operator_session(&test).await;
    let bin = new_bin();
    /// A name, an edit of the valid application, the refused fields and their codes.
    type Case = (&'static str, fn(&mut Value), &'static [(&'static str, &'static str)]);
    let cases: [Case; 11] = [
        ("bad BIN", |a| a["bin"] = json!("123456789012"), &[("bin", "invalid_bin")]),
        ("no name", |a| a["name"] = json!("  "), &[("name", "invalid_name")]),
        ("no address", |a| a["legal_address"] = json!(""), &[("legal_address", "invalid_legal_address")]),
        ("no accounts", |a| a["accounts"] = json!([]), &[("accounts", "accounts_required")]),
        (
            "unknown currency",
            |a| a["accounts"][1]["currency"] = json!("XYZ"),
            &[("accounts[1].currency", "unsupported_currency")],
        ),
        ("no full access", |a| a["users"][0]["level"] = json!("confirm"), &[("users", "full_access_user_required")]),
        ("no consent", |a| a["users"][1]["consent"] = json!(false), &[("users[1].consent", "consent_required")]),
        (
            "bad mobile",
            |a| a["users"][1]["mobile"] = json!("+1 555 0100"),
            &[("users[1].mobile", "invalid_mobile_number")],
        ),
        (
            "login of another user",
            |a| a["users"][0]["mobile"] = json!("+77010000101"),
            &[("users[0].mobile", "login_taken")],
        ),
        (
            "same login twice",
            |a| a["users"][1]["mobile"] = json!("+77010000301"),
            &[("users[1].mobile", "login_taken")],
        ),
        (
            "two mistakes at once",
            |a| {
                a["bin"] = json!("1");
                a["users"][0]["email"] = json!("not an email");
            },
            &[("bin", "invalid_bin"), ("users[0].email", "invalid_email")],
        ),
    ];
    for (case, edit, expected) in cases {
        let mut body = application(&bin);
        edit(&mut body);
        let (status, problem) = post_admin(&test, &operator, "/partners", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{case}: {problem}");
        let errors: Vec<(String, String)> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|error| {
                (error["field"].as_str().unwrap_or("").to_owned(), error["code"].as_str().unwrap_or("").to_owned())
            })
            .collect();
        let expected: Vec<(String, String)> =
            expected.iter().map(|(field, code)| ((*field).to_owned(), (*code).to_owned())).collect();
        assert_eq!(errors, expected, "{case}");
        let code = if expected.len() == 1 { expected[0].1.as_str() } else { "validation_failed" };
        assert_eq!(problem["code"], code, "{case}");
    }
    assert_eq!(test.store.partners().await.expect("partners").len(), 2, "nothing was created");
    let login = Login::parse("+77010000301").expect("login");
    assert!(test.store.user_by_login(&login).await.expect("read").is_none());
}

/// one cabinet per BIN: an application with a registered BIN is refused 409
/// `partner_exists`, and the refusal is recorded.
#[tokio::test]
async fn r_8_2_a_registered_bin_is_refused() {
    let test = test_app().await;
    let operator = operator_session(&test).await;
    let demo_bin = test.store.partner(test.demo.partner).await.expect("read").expect("demo").bin;
    let (status, problem) = post_admin(&test, &operator, "/partners", application(demo_bin.as_str())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "partner_exists");

    let bin = new_bin();
    let (status, _) = post_admin(&test, &operator, "/partners", application(&bin)).await;
    assert_eq!(status, StatusCode::CREATED);
    // The same application again: the BIN decides, before the logins (now taken).
    let (status, problem) = post_admin(&test, &operator, "/partners", application(&bin)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "partner_exists");
    assert_eq!(test.store.partners().await.expect("partners").len(), 3);

    let records = test
        .store
        .audit_records(AuditQuery { actor: Some(operator_id(&test).await), limit: 100, ..AuditQuery::default() })
        .await
        .expect("audit");
    let refused = records
        .iter()
        .filter(|record| record.record.action == audit_action::PARTNER_CREATE)
        .filter(|record| record.record.outcome == AuditOutcome::Failure("partner_exists".to_owned()))
        .count();
    assert_eq!(refused, 2);
}

/// the bank blocks a user: their session dies at once, they cannot sign in, and
/// the partner's full-access user cannot lift the bank's block; the bank can, and may block even
/// the partner's last full-access user.
#[tokio::test]
async fn r_6_1_8_the_bank_blocks_a_user_and_only_the_bank_unblocks() {
    let test = test_app().await;
    let operator = operator_session(&test).await;
    let (login, password, mobile) = test.login("confirm", true);
    let id = user_id(&test, &login).await;
    let session = test.sign_in_with(&login, &password, &mobile).await;
    assert_eq!(get_as(&test.app, &session, "/api/v1/me").await.status(), StatusCode::OK);

    let (status, _) = post_admin(&test, &operator, &format!("/users/{id}/block"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let response = get_as(&test.app, &session, "/api/v1/me").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "the bearer session died with the block");
    let user = test.store.user(id).await.expect("read").expect("exists");
    assert!(matches!(user.block, Some((_, BlockReason::Bank))));
    let refused = post_json(&test.app, "/api/v1/auth/login", None, json!({"login": login, "password": password})).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(test.sms.last_text_to(&mobile).is_some_and(|text| text.contains("заблокирован")));

    // The partner's own administrator may not lift the bank's block.
    let full = test.sign_in("full", true).await;
    let response = post_json(&test.app, &format!("/api/v1/users/{id}/unblock"), Some(&full), json!({})).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(body_json(response).await["code"], "blocked_by_bank");

    let (status, problem) = post_admin(&test, &operator, &format!("/users/{id}/block"), json!({})).await;
    assert_eq!((status, problem["code"].clone()), (StatusCode::CONFLICT, json!("already_blocked")));
    let (status, _) = post_admin(&test, &operator, &format!("/users/{id}/unblock"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    test.sign_in_with(&login, &password, &mobile).await;
    let (status, problem) = post_admin(&test, &operator, &format!("/users/{id}/unblock"), json!({})).await;
    assert_eq!((status, problem["code"].clone()), (StatusCode::CONFLICT, json!("not_blocked")));
    for path in ["block", "unblock", "clear-lockout"] {
        let (status, problem) = post_admin(&test, &operator, &format!("/users/987654321/{path}"), json!({})).await;
        assert_eq!((status, problem["code"].clone()), (StatusCode::NOT_FOUND, json!("not_found")), "{path}");
    }

    // on the partner's request the bank blocks even its only full-access user.
    let (their_full, _, _) = test.login("full", false);
    let their_full = user_id(&test, &their_full).await;
    let (status, body) = post_admin(&test, &operator, &format!("/users/{their_full}/block"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = post_admin(&test, &operator, &format!("/users/{their_full}/unblock"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

/// a user who reports lost access means is blocked at once; the partner's full-access
/// user cannot lift that block, the bank can.
#[tokio::test]
async fn r_6_5_2_a_lost_access_block_is_lifted_only_by_the_bank() {
    let test = test_app().await;
    let (login, password, mobile) = test.login("create", true);
    let id = user_id(&test, &login).await;
    let session = test.sign_in_with(&login, &password, &mobile).await;
    let response = post_json(&test.app, "/api/v1/me/lost-access", Some(&session), json!({})).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let user = test.store.user(id).await.expect("read").expect("exists");
    assert!(matches!(user.block, Some((_, BlockReason::LostAccess))));

    let full = test.sign_in("full", true).await;
    let response = post_json(&test.app, &format!("/api/v1/users/{id}/unblock"), Some(&full), json!({})).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(body_json(response).await["code"], "blocked_by_bank");

    let operator = operator_session(&test).await;
    let (status, _) = post_admin(&test, &operator, &format!("/users/{id}/unblock"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(test.store.user(id).await.expect("read").expect("exists").block, None);
    test.sign_in_with(&login, &password, &mobile).await;
}

/// Fails the password of `login` until the user is blocked pending the bank, waiting
/// out each lock.
async fn lock_out(test: &TestApp, login: &str) {
    let id = user_id(test, login).await;
    for _ in 0..50 {
        let response =
            post_json(&test.app, "/api/v1/auth/login", None, json!({"login": login, "password": "wrong password!!"}))
                .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let user = test.store.user(id).await.expect("read").expect("exists");
        if user.lockout.blocked {
            return;
        }
        if user.lockout.locked_until.is_some_and(|until| until > test.clock.now()) {
            test.clock.advance(jiff::SignedDuration::from_mins(16));
        }
    }
    panic!("{login} was never blocked by the lockout");
}

/// repeated failures block a user pending the bank; even the right password is refused
/// until an operator clears the lockout.
#[tokio::test]
async fn r_6_1_4_clear_lockout_lets_a_lockout_blocked_user_back_in() {
    let test = test_app().await;
    let (login, password, mobile) = test.login("create", false);
    let id = user_id(&test, &login).await;
    lock_out(&test, &login).await;
    let refused = post_json(&test.app, "/api/v1/auth/login", None, json!({"login": login, "password": password})).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let operator = operator_session(&test).await;
    // A lockout is not a block: unblocking does not apply, clearing the lockout does.
    let (status, problem) = post_admin(&test, &operator, &format!("/users/{id}/unblock"), json!({})).await;
    assert_eq!((status, problem["code"].clone()), (StatusCode::CONFLICT, json!("not_blocked")));
    let (status, _) = post_admin(&test, &operator, &format!("/users/{id}/clear-lockout"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let user = test.store.user(id).await.expect("read").expect("exists");
    assert_eq!(user.lockout, tiyn_auth::LockoutState::default());
    test.sign_in_with(&login, &password, &mobile).await;

    let (status, problem) = post_admin(&test, &operator, &format!("/users/{id}/clear-lockout"), json!({})).await;
    assert_eq!((status, problem["code"].clone()), (StatusCode::CONFLICT, json!("not_locked_out")));
}

/// An operator creates another operator, pending activation; the new operator activates by SMS
/// code and uses the operator API.
#[tokio::test]
async fn r_8_2_an_operator_creates_an_operator() {
    let test = test_app().await;
    let operator = operator_session(&test).await;
    let request = json!({"full_name": "Новый Оператор", "mobile": "+77010000901", "email": "second@bank.demo", "role": "administrator"});
    let (status, user) = post_admin(&test, &operator, "/operators", request.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["level"], Value::Null);
    assert_eq!(user["status"], "pending_activation");
    let (status, problem) = post_admin(&test, &operator, "/operators", request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "mobile");
    assert_eq!(problem["code"], "login_taken");
    let (status, problem) =
        post_admin(&test, &operator, "/operators", json!({"full_name": "Кто-то", "mobile": "12345", "role": "viewer"}))
            .await;
    assert_eq!((status, problem["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_mobile_number")));

    activate(&test, "+77010000901").await;
    let second = test.sign_in_with("second@bank.demo", NEW_PASSWORD, "+77010000901").await;
    let (status, partners) = get_admin(&test, &second, "/partners").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(partners["items"].as_array().map(Vec::len), Some(2));
}

/// The operator sees every partner, paged by id, and one partner with its accounts and users.
#[tokio::test]
async fn r_8_2_the_operator_lists_and_views_partners() {
    let test = test_app().await;
    let operator = operator_session(&test).await;
    let (status, first) = get_admin(&test, &operator, "/partners?limit=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["items"][0]["id"], test.demo.partner.get().to_string());
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let (_, second) = get_admin(&test, &operator, &format!("/partners?limit=1&cursor={cursor}")).await;
    assert_eq!(second["items"][0]["id"], test.demo.other_partner.get().to_string());
    assert_eq!(second["next_cursor"], Value::Null);
    for query in ["limit=0", "limit=201", "cursor=abc"] {
        let (status, _) = get_admin(&test, &operator, &format!("/partners?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }

    let (status, one) = get_admin(&test, &operator, &format!("/partners/{}", test.demo.partner)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["partner"]["name"], demo::PARTNER_ONE.name);
    assert_eq!(one["accounts"].as_array().map(Vec::len), Some(4));
    assert_eq!(one["users"].as_array().map(Vec::len), Some(3));
    let (status, _) = get_admin(&test, &operator, "/partners/987654321").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// every admin route refuses nobody with 401 `unauthenticated` and every partner user
/// (each level, either partner) with 403 `operator_only`; the operator gets through.
#[tokio::test]
async fn r_8_2_admin_routes_are_for_operators_only() {
    let test = test_app().await;
    let mut partner_users = Vec::new();
    for first in [true, false] {
        for level in ["full", "confirm", "create"] {
            partner_users
                .push((format!("{level} of partner {}", if first { 1 } else { 2 }), test.sign_in(level, first).await));
        }
    }
    let operator = operator_session(&test).await;
    // 19, and the notices' POST /api/admin/v1/messages (R-3.1.2.8).
    assert_eq!(ADMIN_RULES.len(), 20);
    for rule in ADMIN_RULES {
        let uri = rule.path.replace("{id}", "987654321").replace("{restriction_id}", "987654321");
        let call = |session: Option<Session>| {
            let uri = uri.clone();
            let test = &test;
            async move {
                let response = match rule.method {
                    "GET" => match &session {
                        Some(session) => get_as(&test.app, session, &uri).await,
                        None => get(&test.app, &uri).await,
                    },
                    "PUT" => request_json(&test.app, "PUT", &uri, session.as_ref(), json!({"withheld": []})).await,
                    "DELETE" => request_json(&test.app, "DELETE", &uri, session.as_ref(), json!({})).await,
                    _ => post_json(&test.app, &uri, session.as_ref(), json!({})).await,
                };
                let status = response.status();
                (status, body_json(response).await)
            }
        };
        let (status, body) = call(None).await;
        assert_eq!((status, body["code"].clone()), (StatusCode::UNAUTHORIZED, json!("unauthenticated")), "{uri}");
        for (who, session) in &partner_users {
            let (status, body) = call(Some(session.clone())).await;
            assert_eq!(
                (status, body["code"].clone()),
                (StatusCode::FORBIDDEN, json!("operator_only")),
                "{} {uri} as {who}",
                rule.method
            );
        }
        let expected = match (rule.method, rule.path) {
            ("GET", "/api/admin/v1/partners" | "/api/admin/v1/audit" | "/api/admin/v1/aml-list") => StatusCode::OK,
            // the rates in force; a body that is not a rate, or not the NBK's XML.
            ("GET", "/api/admin/v1/rates") => StatusCode::OK,
            ("POST", "/api/admin/v1/rates" | "/api/admin/v1/rates/nbk") => StatusCode::UNPROCESSABLE_ENTITY,
            ("POST", "/api/admin/v1/partners" | "/api/admin/v1/operators") => StatusCode::UNPROCESSABLE_ENTITY,
            // The body is checked before the unknown id: these bodies are not rules.
            ("PUT", "/api/admin/v1/aml-list" | "/api/admin/v1/partners/{id}/payment-rules") => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ("POST", "/api/admin/v1/accounts/{id}/restrictions") => StatusCode::UNPROCESSABLE_ENTITY,
            // R-3.1.2.8: `{}` is not a notice.
            ("POST", "/api/admin/v1/messages") => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::NOT_FOUND,
        };
        let (status, body) = call(Some(operator.clone())).await;
        assert_eq!(status, expected, "{} {uri} as the operator: {body}", rule.method);
    }
}

/// the operator's view of the audit trail holds both partners' records, filters by
/// partner, and pages.
#[tokio::test]
async fn r_3_4_the_operators_audit_view_shows_every_partner() {
    let test = test_app().await;
    test.sign_in("full", true).await;
    test.sign_in("full", false).await;
    let operator = operator_session(&test).await;
    let (status, all) = get_admin(&test, &operator, "/audit?limit=200").await;
    assert_eq!(status, StatusCode::OK);
    let partners: Vec<&str> =
        all["items"].as_array().expect("items").iter().filter_map(|item| item["partner"].as_str()).collect();
    let (one, two) = (test.demo.partner.get().to_string(), test.demo.other_partner.get().to_string());
    assert!(partners.contains(&one.as_str()) && partners.contains(&two.as_str()), "{partners:?}");

    let (_, theirs) = get_admin(&test, &operator, &format!("/audit?partner={two}&limit=200")).await;
    let items = theirs["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(items.iter().all(|item| item["partner"] == two.as_str()), "{items:?}");

    let (_, page) = get_admin(&test, &operator, "/audit?limit=2").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    let cursor = page["next_cursor"].as_str().expect("a next page").to_owned();
    let (_, next) = get_admin(&test, &operator, &format!("/audit?limit=2&cursor={cursor}")).await;
    let last: i64 = page["items"][1]["id"].as_str().expect("id").parse().expect("number");
    let first_of_next: i64 = next["items"][0]["id"].as_str().expect("id").parse().expect("number");
    assert!(first_of_next < last);

    for (query, code) in
        [("partner=abc", "invalid_partner"), ("from=yesterday", "invalid_date"), ("cursor=x", "invalid_cursor")]
    {
        let (status, problem) = get_admin(&test, &operator, &format!("/audit?{query}")).await;
        assert_eq!((status, problem["code"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!(code)), "{query}");
    }
}

/// every admin action leaves a record naming the operator as actor and the partner it
/// concerns, so the partner's own trail shows what the bank did to its users.
#[tokio::test]
async fn r_3_4_every_admin_action_is_audited_with_the_operator() {
    let test = test_app().await;
    let (create_login, _, _) = test.login("create", false);
    lock_out(&test, &create_login).await;
    let operator = operator_session(&test).await;
    let operator_id = operator_id(&test).await;
    let (confirm_login, _, _) = test.login("confirm", true);
    let confirm = user_id(&test, &confirm_login).await;
    let locked = user_id(&test, &create_login).await;

    let (status, created) = post_admin(&test, &operator, "/partners", application(&new_bin())).await;
    assert_eq!(status, StatusCode::CREATED);
    let new_partner = created["partner"]["id"].as_str().expect("id").to_owned();
    assert_eq!(get_admin(&test, &operator, "/partners").await.0, StatusCode::OK);
    assert_eq!(get_admin(&test, &operator, &format!("/partners/{}", test.demo.partner)).await.0, StatusCode::OK);
    assert_eq!(
        post_admin(&test, &operator, &format!("/users/{confirm}/block"), json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        post_admin(&test, &operator, &format!("/users/{confirm}/unblock"), json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, _) = post_admin(&test, &operator, &format!("/users/{locked}/clear-lockout"), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let operator_request = json!({"full_name": "Третий Оператор", "mobile": "+77010000902", "role": "viewer"});
    assert_eq!(post_admin(&test, &operator, "/operators", operator_request).await.0, StatusCode::CREATED);
    assert_eq!(get_admin(&test, &operator, &format!("/audit?partner={}", test.demo.partner)).await.0, StatusCode::OK);

    let records = test
        .store
        .audit_records(AuditQuery { actor: Some(operator_id), limit: 500, ..AuditQuery::default() })
        .await
        .expect("audit");
    let partner_of = |action: &str, object: Option<String>| {
        records
            .iter()
            .find(|record| record.record.action == action && (object.is_none() || record.record.object == object))
            .unwrap_or_else(|| panic!("no {action} record by the operator"))
            .record
            .partner
            .map(|partner| partner.get().to_string())
    };
    let one = Some(test.demo.partner.get().to_string());
    let two = Some(test.demo.other_partner.get().to_string());
    assert_eq!(partner_of(audit_action::PARTNER_CREATE, None), Some(new_partner.clone()));
    assert_eq!(partner_of(audit_action::ACCOUNT_OPEN, None), Some(new_partner.clone()));
    assert_eq!(partner_of(audit_action::USER_CREATE, None), Some(new_partner));
    assert_eq!(partner_of(audit_action::PARTNERS_LIST, None), None);
    assert_eq!(partner_of(audit_action::PARTNER_VIEW, None), one);
    assert_eq!(partner_of(audit_action::USER_BLOCK, Some(format!("user:{confirm}"))), one);
    assert_eq!(partner_of(audit_action::USER_UNBLOCK, Some(format!("user:{confirm}"))), one);
    assert_eq!(partner_of(audit_action::LOCKOUT_CLEAR, Some(format!("user:{locked}"))), two);
    assert_eq!(partner_of(audit_action::OPERATOR_CREATE, None), None);
    assert_eq!(partner_of(audit_action::BANK_AUDIT_VIEW, None), one);
    assert_eq!(records.iter().filter(|record| record.record.action == audit_action::ACCOUNT_OPEN).count(), 2);
    assert_eq!(records.iter().filter(|record| record.record.action == audit_action::USER_CREATE).count(), 2);

    // The partner's own trail shows the bank's block of its user.
    let full = test.sign_in("full", true).await;
    let trail = body_json(get_as(&test.app, &full, "/api/v1/audit?limit=200").await).await;
    let operator_text = operator_id.to_string();
    let bank_block = trail["items"].as_array().expect("items").iter().any(|item| {
        item["action"] == audit_action::USER_BLOCK
            && item["actor"] == operator_text.as_str()
            && item["object"] == format!("user:{confirm}")
    });
    assert!(bank_block, "{trail}");
}

/// The console (`tiyn admin`) acts through the same use cases, audited with no actor and
/// `via: cli`.
#[tokio::test]
async fn r_3_4_console_actions_are_audited_as_the_platform_via_cli() {
    let test = test_app().await;
    let context = Context::default();
    let console = BankActor::console(None);
    let input = NewOperator {
        full_name: "Оператор Консоли".to_owned(),
        mobile: tiyn_core::MobileNumber::parse("+77010000903").expect("mobile"),
        email: None,
        role: tiyn_core::OperatorRole::Security,
    };
    let operator = test.identity.create_operator(&context, &console, input).await.expect("created");
    assert_eq!(operator.partner, None);
    let (login, _, _) = test.login("confirm", true);
    let id = user_id(&test, &login).await;
    test.identity.bank_block_user(&context, &console, id).await.expect("blocked");
    test.identity.bank_unblock_user(&context, &console, id).await.expect("unblocked");

    let records = test.store.audit_records(AuditQuery { limit: 10, ..AuditQuery::default() }).await.expect("audit");
    let find = |action: &str| {
        records.iter().find(|record| record.record.action == action).unwrap_or_else(|| panic!("no {action}"))
    };
    let created = find(audit_action::OPERATOR_CREATE);
    assert_eq!(created.record.actor, None);
    assert_eq!(created.record.details.as_deref(), Some("via: cli"));
    let blocked = find(audit_action::USER_BLOCK);
    assert_eq!(blocked.record.actor, None);
    assert_eq!(blocked.record.partner, Some(test.demo.partner));
    assert_eq!(blocked.record.details.as_deref(), Some("reason: bank; via: cli"));
    assert_eq!(find(audit_action::USER_UNBLOCK).record.details.as_deref(), Some("reason: bank; via: cli"));
}

/// the bank withholds an information service from a partner's `create` level: that
/// level loses it at once (API and `GET /me`), the other levels and other partners keep it; only
/// information services can be withheld.
#[tokio::test]
async fn r_8_1_3_the_bank_withholds_information_services_from_the_create_level() {
    let test = test_app().await;
    let operator = operator_session(&test).await;
    let creator = test.sign_in("create", true).await;
    let confirmer = test.sign_in("confirm", true).await;
    let elsewhere = test.sign_in("create", false).await;
    assert_eq!(get_as(&test.app, &creator, "/api/v1/accounts").await.status(), StatusCode::OK);

    let path = format!("/api/admin/v1/partners/{}/withheld-services", test.demo.partner);
    let refused = request_json(&test.app, "PUT", &path, Some(&operator), json!({"withheld": ["manage_users"]})).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "only information services");
    let set = request_json(&test.app, "PUT", &path, Some(&operator), json!({"withheld": ["view_accounts"]})).await;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);

    let blocked = get_as(&test.app, &creator, "/api/v1/accounts").await;
    assert_eq!(blocked.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(blocked).await["code"], "access_level_insufficient");
    let me = body_json(get_as(&test.app, &creator, "/api/v1/me").await).await;
    assert!(!me["permissions"].to_string().contains("view_accounts"), "{me}");
    assert!(me["permissions"].to_string().contains("create_payments"), "drafting is not an information service");
    assert_eq!(
        get_as(&test.app, &confirmer, "/api/v1/accounts").await.status(),
        StatusCode::OK,
        "other levels keep it"
    );
    assert_eq!(
        get_as(&test.app, &elsewhere, "/api/v1/accounts").await.status(),
        StatusCode::OK,
        "other partners keep it"
    );
    let (_, partner) = get_admin(&test, &operator, &format!("/partners/{}", test.demo.partner)).await;
    assert_eq!(partner["partner"]["withheld_services"], json!(["view_accounts"]));

    let lifted = request_json(&test.app, "PUT", &path, Some(&operator), json!({"withheld": []})).await;
    assert_eq!(lifted.status(), StatusCode::NO_CONTENT);
    assert_eq!(get_as(&test.app, &creator, "/api/v1/accounts").await.status(), StatusCode::OK);
}
