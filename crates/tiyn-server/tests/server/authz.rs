//! The one permission matrix, walked whole: every route × every level (R-8.1.1–R-8.1.3, R-4.5,
//! R-4.7, R-7.6), and every route that takes an id × another partner's id (R-6.4.2, R-6.4.5).

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Session, TestApp, body_json, body_text, send, test_app};
use tiyn_api::authz::{API_RULES, Access, Rule};
use tiyn_core::OperatorRole;
use tiyn_core::access::AccessLevel;
use tiyn_server::app::RULES;

/// Who knocks: nobody, a user of each level of partner 1, a bank operator of each role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Level(AccessLevel),
    Operator(OperatorRole),
}

const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::Level(AccessLevel::Full),
    Caller::Level(AccessLevel::Confirm),
    Caller::Level(AccessLevel::Create),
    Caller::Operator(OperatorRole::Administrator),
    Caller::Operator(OperatorRole::Security),
    Caller::Operator(OperatorRole::Viewer),
];

const OPERATOR_PASSWORD: &str = "operator test passphrase";

/// The demo's operator is an administrator; the other roles get an operator each.
async fn add_operators(test: &TestApp) {
    for (role, mobile) in [(OperatorRole::Security, "+77010000981"), (OperatorRole::Viewer, "+77010000982")] {
        let id = test
            .store
            .create_user(tiyn_store::NewUser {
                partner: None,
                full_name: format!("Оператор {role}"),
                mobile: Some(tiyn_core::MobileNumber::parse(mobile).expect("mobile")),
                email: None,
                level: None,
                operator_role: Some(role),
                consent: None,
                created_at: common::now(),
            })
            .await
            .expect("operator");
        let hash = tiyn_auth::PasswordHasher::for_tests().hash(OPERATOR_PASSWORD, &mut rand::rng()).expect("hash");
        test.store.activate_user(id, hash.as_phc_str(), common::now()).await.expect("active");
    }
}

async fn session_of(test: &TestApp, caller: Caller) -> Option<Session> {
    match caller {
        Caller::Anonymous => None,
        Caller::Level(level) => Some(test.sign_in(level.as_str(), true).await),
        Caller::Operator(OperatorRole::Administrator) => {
            let operator = &test.credentials.operators[0];
            Some(test.sign_in_with(&operator.login, &operator.password, &operator.mobile).await)
        }
        Caller::Operator(role) => {
            let mobile = if role == OperatorRole::Security { "+77010000981" } else { "+77010000982" };
            Some(test.sign_in_with(mobile, OPERATOR_PASSWORD, mobile).await)
        }
    }
}

/// A request for `rule` with ids that exist nowhere (so an allowed call changes nothing), as an
/// API client (bearer) or, for cabinet pages, as a browser (cookie + CSRF field).
fn request(rule: &Rule, session: Option<&Session>) -> Request<Body> {
    let uri =
        rule.path.replace("{id}", "987654321").replace("{file}", "style.css").replace("{serial}", "TYN-0000-0000");
    request_to(rule, &uri, session)
}

fn request_to(rule: &Rule, uri: &str, session: Option<&Session>) -> Request<Body> {
    let page = !uri.starts_with("/api/");
    let mut builder = Request::builder().method(rule.method).uri(uri);
    let body = match (rule.method, page) {
        ("GET", _) => Body::empty(),
        (_, false) => {
            builder = builder.header("content-type", "application/json");
            // A body the route accepts, so that what is tested is the id, not the body.
            let body = if rule.path.ends_with("/activate") {
                r#"{"code": "123456"}"#
            } else if rule.path.ends_with("/suspension") {
                r#"{"from": null}"#
            } else if rule.method == "PATCH" {
                r#"{"full_name": "Новое Имя"}"#
            } else {
                "{}"
            };
            Body::from(body)
        }
        (_, true) => {
            builder = builder.header("content-type", "application/x-www-form-urlencoded");
            Body::from(format!("_csrf={}", session.map(|session| session.csrf.as_str()).unwrap_or("")))
        }
    };
    if let Some(session) = session {
        builder = if page {
            builder.header("cookie", format!("tiyn_session={}", session.token))
        } else {
            builder.header("authorization", format!("Bearer {}", session.token))
        };
    }
    builder.body(body).expect("request")
}

/// Reporting lost access blocks the caller: the bank lifts it before the next call.
async fn unblock_everyone(test: &TestApp) {
    let logins = test
        .credentials
        .users
        .iter()
        .map(|user| user.login.as_str())
        .chain(test.credentials.operators.iter().map(|op| op.login.as_str()))
        .chain(["+77010000981", "+77010000982"]);
    for login in logins {
        let login = tiyn_core::Login::parse(login).expect("login");
        let user = test.store.user_by_login(&login).await.expect("read").expect("exists");
        if user.block.is_some() {
            test.store.unblock_user(user.id, None, common::now()).await.expect("unblocked");
        }
    }
}

/// What the matrix says `caller` gets on `rule`: refused as anonymous, refused for the level, or
/// let through to the handler.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    SignInFirst,
    Forbidden,
    Through,
}

fn expected(rule: &Rule, caller: Caller) -> Verdict {
    match (rule.access, caller) {
        (Access::Public, _) => Verdict::Through,
        // Only the gateway's key opens the gateway's routes; no user's credential does.
        (Access::Gateway, _) => Verdict::SignInFirst,
        (_, Caller::Anonymous) => Verdict::SignInFirst,
        (Access::SignedIn, _) => Verdict::Through,
        (Access::Operator, Caller::Operator(_)) => Verdict::Through,
        (Access::Operator, _) => Verdict::Forbidden,
        (Access::Bank(permission), Caller::Operator(role)) if role.allows(permission) => Verdict::Through,
        (Access::Bank(_), _) => Verdict::Forbidden,
        (Access::Needs(permission), Caller::Level(level)) if level.allows(permission) => Verdict::Through,
        (Access::Needs(_), _) => Verdict::Forbidden,
    }
}

/// What the response says. For a signed-in caller a redirect to the login page is the handler's
/// own answer (logout), not a refusal: the session was valid.
async fn observed(response: axum::response::Response, anonymous: bool) -> Verdict {
    let status = response.status();
    let location = response.headers().get("location").and_then(|value| value.to_str().ok()).map(str::to_owned);
    let html = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let text = body_text(response).await;
    match status {
        StatusCode::UNAUTHORIZED if text.contains("\"code\":\"unauthenticated\"") => Verdict::SignInFirst,
        status if anonymous && status.is_redirection() && location.as_deref() == Some("/login") => Verdict::SignInFirst,
        StatusCode::FORBIDDEN
            if text.contains("access_level_insufficient")
                || text.contains("operator_only")
                || text.contains("operator_role_insufficient") =>
        {
            Verdict::Forbidden
        }
        // The cabinet's refusal page (a page route the level does not allow).
        StatusCode::FORBIDDEN if html => Verdict::Forbidden,
        StatusCode::INTERNAL_SERVER_ERROR => panic!("a route answered 500: {text}"),
        _ => Verdict::Through,
    }
}

/// R-8.1, R-4.5, R-4.7, R-7.6: every route of the API and the cabinet, called by every level (and
/// by nobody, and by a bank operator), answers exactly as its rule in the matrix says.
#[tokio::test]
async fn r_8_1_every_route_and_every_level_follow_the_matrix() {
    let test = test_app().await;
    add_operators(&test).await;
    let rules: Vec<&Rule> = RULES.iter().flat_map(|table| table.iter()).collect();
    assert!(rules.len() >= 25, "{} rules", rules.len());
    let mut checked = 0;
    for caller in CALLERS {
        for rule in &rules {
            // A fresh session each time: some routes end it (logout, lost access).
            let session = session_of(&test, caller).await;
            let response = send(&test.app, request(rule, session.as_ref())).await;
            let verdict = observed(response, caller == Caller::Anonymous).await;
            assert_eq!(verdict, expected(rule, caller), "{} {} as {caller:?}", rule.method, rule.path);
            checked += 1;
            unblock_everyone(&test).await;
        }
    }
    assert_eq!(checked, rules.len() * CALLERS.len());
}

/// Each API route is in the matrix exactly once, and each route the OpenAPI document lists has a
/// rule: a new route without an entry fails here (and answers 500 at run time).
#[tokio::test]
async fn r_8_1_every_documented_route_has_exactly_one_rule() {
    let test = test_app().await;
    let document =
        body_json(send(&test.app, Request::get("/api/openapi.json").body(Body::empty()).expect("req")).await).await;
    let rules: Vec<&Rule> = RULES.iter().flat_map(|table| table.iter()).collect();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            let method = method.to_uppercase();
            let matching = rules.iter().filter(|rule| rule.method == method && rule.path == path).count();
            assert_eq!(matching, 1, "{method} {path} needs exactly one rule");
        }
    }
    for rule in API_RULES.iter().filter(|rule| rule.path.starts_with("/api/v1")) {
        let documented = document["paths"][rule.path].get(rule.method.to_lowercase()).is_some();
        assert!(documented, "{} {} has a rule but no documented route", rule.method, rule.path);
    }
    let mut seen = std::collections::HashSet::new();
    for rule in &rules {
        assert!(seen.insert((rule.method, rule.path)), "{} {} appears twice", rule.method, rule.path);
    }
}

/// R-6.4.2, R-6.4.5: every route that takes an id answers another partner's id exactly as an id
/// that does not exist, for the full-access user (who may use every route).
#[tokio::test]
async fn r_6_4_2_every_id_route_hides_other_partners_objects() {
    let test = test_app().await;
    let session = test.sign_in("full", true).await;
    let their_account = test.store.partner_accounts(test.demo.other_partner).await.expect("accounts")[0].id.get();
    let their_user = test.store.partner_users(test.demo.other_partner).await.expect("users")[0].id;
    let their_device = test
        .store
        .register_device(tiyn_store::NewDevice {
            user: their_user,
            platform: "android".to_owned(),
            os_version: "14".to_owned(),
            name: "their phone".to_owned(),
            at: common::now(),
        })
        .await
        .expect("device")
        .get();
    let their_key = test
        .store
        .create_api_key(tiyn_store::NewApiKey {
            partner: test.demo.other_partner,
            created_by: their_user,
            name: "their ERP".to_owned(),
            level: AccessLevel::Create,
            accounts: Vec::new(),
            expires_at: None,
            secret_digest: [7; 32],
            prefix: "tiyn_key_abcd".to_owned(),
            at: common::now(),
        })
        .await
        .expect("key")
        .get();
    test.store.create_marker(their_user, "TYN-AAAA-BBBB", vec![1, 2, 3], common::now()).await.expect("marker");
    let their_payment = test
        .store
        .create_payment(tiyn_store::payments::NewPayment {
            partner: test.demo.other_partner,
            fields: tiyn_payments::RawDocument {
                kind: Some("internal".to_owned()),
                payer_account: Some(their_account.to_string()),
                payee_account: Some(their_account.to_string()),
                amount: Some("1.00".to_owned()),
                currency: Some("KZT".to_owned()),
                knp: Some("343".to_owned()),
                purpose: Some("their payment".to_owned()),
                value_date: Some("2026-01-12".to_owned()),
                ..Default::default()
            },
            amount: tiyn_core::Amount::parse("1.00", tiyn_core::Currency::Kzt).expect("amount"),
            value_date: "2026-01-12".parse().expect("date"),
            created_by: their_user,
            created_at: common::now(),
            request_key: None,
        })
        .await
        .expect("their payment")
        .id
        .get();
    let their_template = test
        .store
        .create_payment_template(tiyn_store::templates::NewPaymentTemplate {
            partner: test.demo.other_partner,
            name: "their template".to_owned(),
            fields: tiyn_payments::RawDocument {
                kind: Some("internal".to_owned()),
                payer_account: Some(their_account.to_string()),
                payee_account: Some(their_account.to_string()),
                knp: Some("343".to_owned()),
                purpose: Some("their template".to_owned()),
                ..Default::default()
            },
            amount: None,
            created_by: their_user,
            created_at: common::now(),
        })
        .await
        .expect("their template")
        .id
        .get();
    // Notices and marketplace reports (R-3.1.2.8): a report of theirs.
    let their_report = "THEIR-REPORT-1";
    let money = |minor| tiyn_core::Money::from_minor(minor, tiyn_core::Currency::Kzt);
    test.store
        .ingest_marketplace_report(tiyn_store::messages::NewMarketplaceReport {
            report_id: their_report.to_owned(),
            partner: test.demo.other_partner,
            period_from: jiff::civil::date(2025, 12, 1),
            period_to: jiff::civil::date(2025, 12, 31),
            currency: tiyn_core::Currency::Kzt,
            content_digest: "theirs".to_owned(),
            orders: vec![tiyn_store::messages::MarketplaceOrder {
                order_id: "THEIR-ORDER-1".to_owned(),
                sold_at: common::now(),
                amount: money(100_000),
                commission: money(5_000),
                payout_id: None,
            }],
            payouts: Vec::new(),
            received_at: common::now(),
        })
        .await
        .expect("their report");
    let their_user = their_user.get();
    let rules: Vec<&Rule> = RULES
        .iter()
        .flat_map(|table| table.iter())
        // Operators are the bank: they see every partner by design (their routes are tested in admin.rs).
        .filter(|rule| !matches!(rule.access, Access::Operator | Access::Bank(_)))
        .filter(|rule| rule.path.contains("{id}") || rule.path.contains("{serial}"))
        .collect();
    assert!(rules.len() >= 7, "{rules:?}");
    for rule in rules {
        let theirs = if rule.path.contains("/accounts/") {
            their_account.to_string()
        } else if rule.path.contains("/users/") {
            their_user.to_string()
        } else if rule.path.contains("/devices/") {
            their_device.to_string()
        } else if rule.path.contains("/api-keys/") {
            their_key.to_string()
        } else if rule.path.contains("templates/") {
            their_template.to_string()
        } else if rule.path.contains("/payments/") {
            their_payment.to_string()
        } else if rule.path.contains("/marketplace/") {
            their_report.to_owned()
        } else if rule.path.contains("/markers/") {
            "TYN-AAAA-BBBB".to_owned()
        } else {
            panic!("{} {}: say whose id this route takes, so isolation is tested", rule.method, rule.path);
        };
        let unknown = send(&test.app, request(rule, Some(&session))).await;
        let unknown_status = unknown.status();
        let unknown_body = body_text(unknown).await;
        let foreign = rule.path.replace("{id}", &theirs).replace("{serial}", &theirs);
        let response = send(&test.app, request_to(rule, &foreign, Some(&session))).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{} {}", rule.method, rule.path);
        assert_eq!(unknown_status, StatusCode::NOT_FOUND, "{} {} with an unknown id", rule.method, rule.path);
        assert_eq!(body_text(response).await, unknown_body, "{} {}", rule.method, rule.path);
    }
    // Nothing of theirs changed.
    let user = test.store.user(tiyn_core::UserId::new(their_user)).await.expect("read").expect("exists");
    assert_eq!(user.status, tiyn_store::UserStatus::Active);
}
