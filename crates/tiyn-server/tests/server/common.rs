//! Shared by the HTTP tests: a real store, seeded with the demo (partners, accounts, users), and
//! the application built as a function, with an in-memory SMS sink and a manual clock. The store
//! is SQLite in a temporary directory, or a fresh PostgreSQL database when
//! `TIYN_TEST_BACKEND=postgres` (`scripts/test` runs these tests once on each backend).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tiyn_auth::{MasterKey, PasswordHasher};
use tiyn_backend::{open_store, test_location};
use tiyn_identity::{Identity, IdentityConfig, ManualClock};
use tiyn_notify::MemorySink;
use tiyn_server::app::{AppState, build_app};
use tiyn_server::demo::{self, Demo, DemoCredentials};
use tiyn_server::metrics::Metrics;
use tiyn_store::Store;
use tower::ServiceExt;

pub struct TestApp {
    pub app: Router,
    pub store: Arc<dyn Store>,
    pub identity: Identity,
    pub demo: Demo,
    pub credentials: DemoCredentials,
    pub metrics: Arc<Metrics>,
    pub sms: Arc<MemorySink>,
    pub clock: Arc<ManualClock>,
    pub master: MasterKey,
    pub _dir: tempfile::TempDir,
}

/// A signed-in client: the bearer token, and the CSRF token for cookie requests.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf: String,
}

pub fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_767_225_600).expect("2026-01-01")
}

pub fn state(store: Arc<dyn Store>, metrics: Arc<Metrics>, identity: Identity, tls: bool) -> AppState {
    let bank = tiyn_identity::BankIdentity::default();
    let reference = Arc::new(tiyn_refdata::ReferenceData::embedded().expect("reference data"));
    let banking = tiyn_banking::Banking::new(
        identity.clone(),
        reference,
        tiyn_banking::BankingConfig::standard(bank.bank_code()),
    )
    .expect("the default bank code is in the directory");
    AppState {
        store,
        metrics,
        identity,
        banking,
        gateway_key: Some(tiyn_server::payments::gateway_key_digest(&MasterKey::from_bytes([9; 32]))),
        bank,
        trusted_proxies: tiyn_api::authz::TrustedProxies::default(),
        demo: true,
        tls,
        request_body_bytes_max: 64 * 1024,
        request_timeout: Duration::from_secs(10),
    }
}

pub fn identity(store: Arc<dyn Store>, master: &MasterKey, sms: Arc<MemorySink>, clock: Arc<ManualClock>) -> Identity {
    let config = IdentityConfig::standard(PasswordHasher::for_tests(), master, tiyn_refdata::kz_calendar());
    Identity::new(store, sms, config, clock)
}

/// The app over a store seeded with the demo and its users.
pub async fn test_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let metrics = Arc::new(Metrics::new());
    let store: Arc<dyn Store> = open_store(&test_location(dir.path()).await).await.expect("open the test store");
    let demo = demo::seed(store.as_ref(), now()).await.expect("seed");
    let master = MasterKey::from_bytes([9; 32]);
    let credentials =
        demo::seed_users(store.as_ref(), &demo, &master, &PasswordHasher::for_tests(), now()).await.expect("users");
    let sms = Arc::new(MemorySink::new());
    let clock = Arc::new(ManualClock::new(now()));
    let identity = identity(store.clone(), &master, sms.clone(), clock.clone());
    let app = build_app(state(store.clone(), metrics.clone(), identity.clone(), false));
    TestApp { app, store, identity, demo, credentials, metrics, sms, clock, master, _dir: dir }
}

impl TestApp {
    /// The demo user of `level` (`full`, `confirm`, `create`) in partner 1 (`first`) or 2.
    pub fn login(&self, level: &str, first: bool) -> (String, String, String) {
        let partner = if first { demo::PARTNER_ONE.name } else { demo::PARTNER_TWO.name };
        let user = self
            .credentials
            .users
            .iter()
            .find(|user| user.level == level && user.partner == partner)
            .expect("a demo user of that level");
        (user.login.clone(), user.password.clone(), user.mobile.clone())
    }

    /// Signs in through the API: password, then the code read from the SMS sink.
    pub async fn sign_in(&self, level: &str, first: bool) -> Session {
        let (login, password, mobile) = self.login(level, first);
        self.sign_in_with(&login, &password, &mobile).await
    }

    pub async fn sign_in_with(&self, login: &str, password: &str, mobile: &str) -> Session {
        let challenge =
            post_json(&self.app, "/api/v1/auth/login", None, json!({"login": login, "password": password})).await;
        let status = challenge.status();
        let challenge = body_json(challenge).await;
        assert_eq!(status, 200, "login of {login}: {challenge}");
        let code = last_code(&self.sms, mobile);
        let confirm = post_json(
            &self.app,
            "/api/v1/auth/login/confirm",
            None,
            json!({"challenge_id": challenge["challenge_id"], "code": code}),
        )
        .await;
        assert_eq!(confirm.status(), 200, "confirm of {login}");
        let body = body_json(confirm).await;
        Session {
            token: body["token"].as_str().expect("token").to_owned(),
            csrf: body["csrf_token"].as_str().expect("csrf").to_owned(),
        }
    }
}

/// The digits of the last SMS to `mobile`.
pub fn last_code(sms: &MemorySink, mobile: &str) -> String {
    let text = sms.last_text_to(mobile).expect("an SMS was sent");
    text.split(|c: char| !c.is_ascii_digit()).find(|word| word.len() >= 6).expect("a code in the SMS").to_owned()
}

pub async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone().oneshot(request).await.expect("infallible")
}

pub async fn get(app: &Router, uri: &str) -> Response<Body> {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

/// GET with a bearer token.
pub async fn get_as(app: &Router, session: &Session, uri: &str) -> Response<Body> {
    let request = Request::get(uri)
        .header("authorization", format!("Bearer {}", session.token))
        .body(Body::empty())
        .expect("request");
    send(app, request).await
}

/// GET with the session cookie, as a browser.
pub async fn get_page(app: &Router, session: &Session, uri: &str) -> Response<Body> {
    let request = Request::get(uri)
        .header("cookie", format!("tiyn_session={}", session.token))
        .body(Body::empty())
        .expect("request");
    send(app, request).await
}

/// A JSON request with an optional bearer token.
pub async fn request_json(
    app: &Router,
    method: &str,
    uri: &str,
    session: Option<&Session>,
    body: Value,
) -> Response<Body> {
    let mut request = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(session) = session {
        request = request.header("authorization", format!("Bearer {}", session.token));
    }
    send(app, request.body(Body::from(body.to_string())).expect("request")).await
}

pub async fn post_json(app: &Router, uri: &str, session: Option<&Session>, body: Value) -> Response<Body> {
    request_json(app, "POST", uri, session, body).await
}

pub async fn body_text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

pub async fn body_json(response: Response<Body>) -> Value {
    serde_json::from_str(&body_text(response).await).expect("json")
}

pub fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|value| value.to_str().ok())
}

// ----- The cabinet as a browser uses it (forms, the session cookie, the CSRF field) -----

/// A form body, `application/x-www-form-urlencoded`.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    fn encode(text: &str) -> String {
        let mut out = String::new();
        for byte in text.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
                b' ' => out.push('+'),
                other => out.push_str(&format!("%{other:02X}")),
            }
        }
        out
    }
    fields.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>().join("&")
}

/// A person in a browser: the session cookie once signed in.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    pub token: Option<String>,
}

impl Browser {
    pub fn csrf(&self) -> String {
        tiyn_api::authz::csrf_token(self.token.as_deref().expect("signed in"))
    }

    fn with_cookie(&self, request: axum::http::request::Builder) -> axum::http::request::Builder {
        match &self.token {
            Some(token) => request.header("cookie", format!("tiyn_session={token}")),
            None => request,
        }
    }

    pub async fn get(&self, app: &Router, uri: &str) -> Response<Body> {
        send(app, self.with_cookie(Request::get(uri)).body(Body::empty()).expect("request")).await
    }

    /// A page as this browser gets it: its status and its markup.
    pub async fn page(&self, app: &Router, uri: &str) -> (axum::http::StatusCode, String) {
        let response = self.get(app, uri).await;
        (response.status(), body_text(response).await)
    }

    /// A form post without the CSRF field (the sign-in steps, or an attack).
    pub async fn post_plain(&self, app: &Router, uri: &str, fields: &[(&str, &str)]) -> Response<Body> {
        let request = self
            .with_cookie(Request::post(uri))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form_body(fields)))
            .expect("request");
        send(app, request).await
    }

    /// A form post of a signed-in page: with the `_csrf` field, as the cabinet renders it.
    pub async fn post(&self, app: &Router, uri: &str, fields: &[(&str, &str)]) -> Response<Body> {
        let csrf = self.csrf();
        let mut with_csrf = vec![("_csrf", csrf.as_str())];
        with_csrf.extend_from_slice(fields);
        self.post_plain(app, uri, &with_csrf).await
    }
}

/// The `value` of the input named `name`.
pub fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no input {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap_or_default().to_owned()
}

/// The text of the element with `id` (no nested tags).
pub fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no #{id} in {html}")) + marker.len();
    html[start..].split('<').next().unwrap_or_default().to_owned()
}

pub fn set_cookies(response: &Response<Body>) -> Vec<String> {
    response.headers().get_all("set-cookie").iter().filter_map(|value| value.to_str().ok()).map(str::to_owned).collect()
}

/// The session token a response sets, if any.
pub fn session_from(response: &Response<Body>) -> Option<String> {
    set_cookies(response)
        .iter()
        .find_map(|cookie| cookie.strip_prefix("tiyn_session="))
        .and_then(|rest| rest.split(';').next())
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
}

pub fn location(response: &Response<Body>) -> Option<String> {
    header(response, "location").map(str::to_owned)
}

/// The strict CSP allows no inline script, style or handler: pages must not carry any.
pub fn assert_no_inline_code(html: &str) {
    assert!(!html.contains("<script>") && !html.contains("style=") && !html.contains("onclick"), "CSP: {html}");
}

/// Signs in through the cabinet's forms (password, then the code from the SMS); answers the
/// browser and where the code step sent it.
pub async fn sign_in_through_pages(test: &TestApp, login: &str, password: &str, mobile: &str) -> (Browser, String) {
    let anonymous = Browser::default();
    let step = anonymous.post_plain(&test.app, "/login", &[("login", login), ("password", password)]).await;
    assert_eq!(step.status(), axum::http::StatusCode::OK, "password step of {login}");
    let challenge = input_value(&body_text(step).await, "challenge_id");
    let code = last_code(&test.sms, mobile);
    let confirmed =
        anonymous.post_plain(&test.app, "/login/confirm", &[("challenge_id", &challenge), ("code", &code)]).await;
    assert_eq!(confirmed.status(), axum::http::StatusCode::SEE_OTHER, "code step of {login}");
    let home = location(&confirmed).expect("a redirect");
    (Browser { token: Some(session_from(&confirmed).expect("a session cookie")) }, home)
}

impl TestApp {
    /// The payment use cases over this app's store, identity and clock (for driving the
    /// background work — the executor, the outbox — the way the server's jobs do).
    pub fn app_banking(&self) -> tiyn_banking::Banking {
        let reference = Arc::new(tiyn_refdata::ReferenceData::embedded().expect("reference data"));
        let bank = tiyn_identity::BankIdentity::default();
        tiyn_banking::Banking::new(
            self.identity.clone(),
            reference,
            tiyn_banking::BankingConfig::standard(bank.bank_code()),
        )
        .expect("the default bank code is in the directory")
    }
}

// ----- Payment documents (tests/gateway.rs, tests/gateway_http.rs) -----

/// The working day the payment tests run on (a Monday; value dates are this day).
pub fn payment_day() -> jiff::Timestamp {
    "2026-01-12T05:00:00Z".parse().expect("instant")
}

/// A demo partner's user with the confirm level, signed in, and the partner's first KZT account.
pub struct PaymentFixture {
    pub test: TestApp,
    pub session: Session,
    pub mobile: String,
    pub main: tiyn_store::Account,
}

pub async fn payment_fixture() -> PaymentFixture {
    let test = test_app().await;
    test.clock.set(payment_day());
    let session = test.sign_in("confirm", true).await;
    let (_, _, mobile) = test.login("confirm", true);
    let accounts = test.store.partner_accounts(test.demo.partner).await.expect("accounts");
    let main = accounts.iter().find(|account| account.currency == tiyn_core::Currency::Kzt).expect("KZT").clone();
    PaymentFixture { test, session, mobile, main }
}

/// The demo on the payment day, with the accounts the payment tests use: the partner's two KZT
/// accounts and its USD account, and the other partner's first account.
pub struct PaymentAccounts {
    pub test: TestApp,
    pub main: tiyn_store::Account,
    pub salary: tiyn_store::Account,
    pub usd: tiyn_store::Account,
    pub other_partner: tiyn_store::Account,
}

pub async fn payment_accounts() -> PaymentAccounts {
    let test = test_app().await;
    test.clock.set(payment_day());
    let accounts = test.store.partner_accounts(test.demo.partner).await.expect("accounts");
    let of = |currency: tiyn_core::Currency| accounts.iter().filter(move |account| account.currency == currency);
    let kzt: Vec<&tiyn_store::Account> = of(tiyn_core::Currency::Kzt).collect();
    let usd = of(tiyn_core::Currency::Usd).next().expect("a USD account").clone();
    let other_partner = test.store.partner_accounts(test.demo.other_partner).await.expect("accounts")[0].clone();
    PaymentAccounts { main: kzt[0].clone(), salary: kzt[1].clone(), usd, other_partner, test }
}

/// The demo on its payment day with a user of one access level signed in through the pages, and
/// the demo partner's accounts of [`payment_accounts`]: what the cabinet's modules start from.
pub struct CabinetDay {
    pub test: TestApp,
    pub browser: Browser,
    /// The user's mobile number, where the confirmation codes go.
    pub mobile: String,
    /// The page the sign-in landed on.
    pub home: String,
    pub main: tiyn_store::Account,
    pub salary: tiyn_store::Account,
    pub usd: tiyn_store::Account,
}

pub async fn cabinet_on_payment_day(level: &str) -> CabinetDay {
    let PaymentAccounts { test, main, salary, usd, .. } = payment_accounts().await;
    let (login, password, mobile) = test.login(level, true);
    let (browser, home) = sign_in_through_pages(&test, &login, &password, &mobile).await;
    CabinetDay { test, browser, mobile, home, main, salary, usd }
}

/// A transfer between the partner's own tenge accounts (KNP 343) with value date `date`.
pub fn internal_order_on(from: tiyn_core::AccountId, to: tiyn_core::AccountId, amount: &str, date: &str) -> Value {
    serde_json::json!({
        "kind": "internal", "payer_account": from.to_string(), "payee_account": to.to_string(),
        "amount": {"amount": amount, "currency": "KZT"}, "knp": "343", "purpose": "Перевод между своими счетами",
        "value_date": date,
    })
}

/// [`internal_order_on`] the payment day.
pub fn internal_order(from: tiyn_core::AccountId, to: tiyn_core::AccountId, amount: &str) -> Value {
    internal_order_on(from, to, amount, "2026-01-12")
}

/// An interbank payment order to a valid payee at another Kazakhstan bank (KNP 710, KBe 17).
pub fn interbank_order(from: tiyn_core::AccountId, amount: &str, payee: &str) -> Value {
    json!({
        "kind": "interbank",
        "payer_account": from.to_string(),
        "amount": {"amount": amount, "currency": "KZT"},
        "knp": "710",
        "purpose": "Оплата по счёту №15 за товары",
        "value_date": "2026-01-12",
        "payee_name": payee,
        "payee_bin": "180140010005",
        "payee_iban": "KZ806014482455345985",
        "kbe": "17",
    })
}

impl PaymentFixture {
    /// Creates one document, confirms it with the SMS code, and answers its id and result.
    pub async fn pay(&self, body: Value) -> (String, Value) {
        let created = post_json(&self.test.app, "/api/v1/payments", Some(&self.session), body).await;
        let status = created.status();
        let created = body_json(created).await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().expect("id").to_owned();
        let signing = body_json(
            post_json(&self.test.app, "/api/v1/signing", Some(&self.session), json!({"payment_ids": [id]})).await,
        )
        .await;
        let code = last_code(&self.test.sms, &self.mobile);
        let uri = format!("/api/v1/signing/{}/confirm", signing["challenge_id"].as_str().expect("challenge"));
        let results =
            body_json(post_json(&self.test.app, &uri, Some(&self.session), json!({"code": code})).await).await;
        (id, results["results"][0].clone())
    }

    /// The document as the partner's API shows it.
    pub async fn document(&self, id: &str) -> Value {
        body_json(get_as(&self.test.app, &self.session, &format!("/api/v1/payments/{id}")).await).await
    }
}

/// The text of a PDF as poppler's `pdftotext -layout` reads it (an independent reader), with
/// no-break spaces as spaces.
pub fn pdftotext(pdf: &[u8]) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let serial = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("tiyn-test-{}-{serial}.pdf", std::process::id()));
    std::fs::write(&path, pdf).expect("written");
    let output = std::process::Command::new("/usr/bin/pdftotext")
        .arg("-layout")
        .arg("-enc")
        .arg("UTF-8")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils)");
    std::fs::remove_file(&path).expect("removed");
    assert!(output.status.success(), "pdftotext reads the PDF");
    String::from_utf8(output.stdout).expect("utf-8").replace('\u{a0}', " ")
}

/// The `href` of a page's export button of `format` (`data-format="…"`), unescaped.
pub fn export_href(html: &str, format: &str) -> String {
    let marker = format!("data-format=\"{format}\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no {format} button in {html}"));
    let start = html[..at].rfind("href=\"").expect("href") + "href=\"".len();
    html[start..].split('"').next().expect("href").replace("&#38;", "&").replace("&amp;", "&")
}
