//! The HTTP stack around every route: security headers, request ids, operational endpoints,
//! metrics, the cabinet's pages and languages.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{body_text, get, header, send, state, test_app};
use jiff::Timestamp;
use tiyn_auth::{ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy};
use tiyn_core::{AccountId, Currency, PartnerId};
use tiyn_core::{Login, SessionId, UserId};
use tiyn_ledger::{Command, Executed};
use tiyn_server::app::{CONTENT_SECURITY_POLICY, build_app};
use tiyn_server::metrics::Metrics;
use tiyn_store::{
    Account, AccountKind, CurrencyTotal, Durability, LedgerCheck, NewAccount, NewPartner, NewUser, Partner, Store,
    StoreError, User,
};
use tiyn_store::{SessionEnd, SessionRecord};

/// Every kind of response — API JSON, problem, page, static file, 404 page, operations — carries
/// the security headers; HSTS only under TLS (see tls.rs).
#[tokio::test]
async fn security_headers_are_on_every_response() {
    let test = test_app(true).await;
    for uri in [
        "/api/v1/accounts",
        "/api/v1/accounts/987654321",
        "/accounts",
        "/static/style.css",
        "/nowhere",
        "/healthz",
        "/api/openapi.json",
    ] {
        let response = get(&test.app, uri).await;
        let csp = header(&response, "content-security-policy").unwrap_or_default();
        assert_eq!(csp, CONTENT_SECURITY_POLICY, "{uri}");
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{uri}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{uri}");
        assert_eq!(header(&response, "x-frame-options"), Some("DENY"), "{uri}");
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"), "{uri}");
        assert_eq!(header(&response, "referrer-policy"), Some("no-referrer"), "{uri}");
        assert_eq!(header(&response, "strict-transport-security"), None, "no HSTS over plain HTTP: {uri}");
    }
    let api = get(&test.app, "/api/v1/accounts").await;
    assert_eq!(header(&api, "cache-control"), Some("no-store"), "balances are never cached");
    let css = get(&test.app, "/static/style.css").await;
    assert!(header(&css, "cache-control").is_some_and(|value| value.starts_with("public")));
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let test = test_app(true).await;
    let with_id = |id: &str| Request::get("/healthz").header("x-request-id", id).body(Body::empty()).expect("request");
    let response = send(&test.app, with_id("order-42.retry_1")).await;
    assert_eq!(header(&response, "x-request-id"), Some("order-42.retry_1"));

    let generated = get(&test.app, "/healthz").await;
    let id = header(&generated, "x-request-id").unwrap_or_default().to_owned();
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|byte| byte.is_ascii_hexdigit()));
    assert_ne!(Some(id.as_str()), header(&get(&test.app, "/healthz").await, "x-request-id"));

    // Ids that could forge log lines or bloat them are replaced.
    for hostile in ["a b", "x".repeat(65).as_str(), "id\"}{"] {
        let response = send(&test.app, with_id(hostile)).await;
        let echoed = header(&response, "x-request-id").unwrap_or_default();
        assert_ne!(echoed, hostile);
        assert_eq!(echoed.len(), 32);
    }
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let test = test_app(true).await;
    let health = get(&test.app, "/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    let ready = get(&test.app, "/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(body_text(ready).await, "ready");

    get(&test.app, "/api/v1/accounts").await;
    get(&test.app, "/api/v1/accounts/987654321").await;
    get(&test.app, "/no/such/12345").await;
    let response = get(&test.app, "/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(&response, "content-type").is_some_and(|value| value.starts_with("text/plain; version=0.0.4")));
    let text = body_text(response).await;
    assert!(
        text.contains("tiyn_http_requests_total{method=\"GET\",route=\"/api/v1/accounts\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("tiyn_http_requests_total{method=\"GET\",route=\"/api/v1/accounts/{id}\",status=\"404\"} 1"),
        "{text}"
    );
    assert!(text.contains("route=\"unmatched\",status=\"404\"} 1"), "raw paths never become labels: {text}");
    assert!(!text.contains("12345"));
    assert!(text.contains("tiyn_http_request_duration_seconds_count{route=\"/api/v1/accounts\"} 1"));
    // The demo seeding posted five opening balances through the metered store.
    assert!(text.contains("tiyn_ledger_commands_total{outcome=\"executed\"} 5"), "{text}");
}

/// A store whose database is gone.
struct Unreachable;

#[async_trait]
impl Store for Unreachable {
    fn backend_name(&self) -> &'static str {
        "unreachable"
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Err(StoreError::Backend("connection refused (password=hunter2)".to_owned()))
    }
    async fn durability(&self) -> Result<Durability, StoreError> {
        self.ping().await.map(|()| Durability::Durable)
    }
    async fn create_partner(&self, _: NewPartner) -> Result<PartnerId, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }
    async fn partner(&self, _: PartnerId) -> Result<Option<Partner>, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }
    async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }
    async fn open_account(&self, _: NewAccount) -> Result<AccountId, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }
    async fn account(&self, _: AccountId) -> Result<Option<Account>, StoreError> {
        Err(StoreError::Backend("down (password=hunter2)".to_owned()))
    }
    async fn partner_accounts(&self, _: PartnerId) -> Result<Vec<Account>, StoreError> {
        Err(StoreError::Backend("down (password=hunter2)".to_owned()))
    }
    async fn bank_account(&self, _: AccountKind, _: Currency) -> Result<AccountId, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }
    async fn execute(&self, _: Command) -> Result<Executed, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }
    async fn create_user(&self, _user: NewUser) -> Result<UserId, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn user(&self, _id: UserId) -> Result<Option<User>, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn user_by_login(&self, _login: &Login) -> Result<Option<User>, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn partner_users(&self, _partner: PartnerId) -> Result<Vec<User>, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn record_login_failure(
        &self,
        _user: UserId,
        _policy: LockoutPolicy,
        _at: Timestamp,
    ) -> Result<LockoutEvent, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn save_code(
        &self,
        _challenge: &ChallengeId,
        _user: UserId,
        _record: CodeRecord,
        _at: Timestamp,
    ) -> Result<(), StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn verify_code(
        &self,
        _challenge: &ChallengeId,
        _candidate: &str,
        _purpose: CodePurpose,
        _now: Timestamp,
        _key: &CodeKey,
    ) -> Result<(UserId, Result<(), CodeError>), StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn create_session(
        &self,
        _token_digest: [u8; 32],
        _user: UserId,
        _at: Timestamp,
    ) -> Result<SessionId, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn session_by_token(&self, _token_digest: [u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn touch_session(&self, _session: SessionId, _at: Timestamp) -> Result<(), StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn end_session(&self, _session: SessionId, _at: Timestamp, _reason: SessionEnd) -> Result<(), StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn end_user_sessions(
        &self,
        _user: UserId,
        _keep: Option<SessionId>,
        _at: Timestamp,
        _reason: SessionEnd,
    ) -> Result<u64, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn posting_totals(&self) -> Result<Vec<CurrencyTotal>, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }

    async fn check_ledger(&self) -> Result<LedgerCheck, StoreError> {
        Err(StoreError::Backend("down".to_owned()))
    }
}

/// When the database is down: alive, not ready, and errors say "internal error" without the cause.
#[tokio::test]
async fn a_lost_database_makes_the_server_unready_and_hides_the_cause() {
    let app = build_app(state(Arc::new(Unreachable), Arc::new(Metrics::new()), Some(PartnerId::new(1)), false));
    assert_eq!(get(&app, "/healthz").await.status(), StatusCode::OK);
    assert_eq!(get(&app, "/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    let response = get(&app, "/api/v1/accounts").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = body_text(response).await;
    assert!(text.contains("\"code\":\"internal\"") && text.contains("\"detail\":\"internal error\""), "{text}");
    assert!(!text.contains("hunter2"));
    let page = get(&app, "/accounts").await;
    assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!body_text(page).await.contains("hunter2"));
}

/// R-3.1.2.1: the cabinet lists the demo partner's accounts with grouped IBANs and
/// formatted balances: nothing of partner 2.
#[tokio::test]
async fn the_accounts_page_shows_the_partners_accounts_only() {
    let test = test_app(true).await;
    let home = get(&test.app, "/").await;
    assert!(home.status().is_redirection());
    assert_eq!(header(&home, "location"), Some("/accounts"));

    let page = get(&test.app, "/accounts").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_text(page).await.replace(['\u{202F}', '\u{00A0}'], " ");
    assert!(html.contains("<html lang=\"ru\">"));
    assert!(html.contains("ТОО «Демо Трейд»"));
    assert_eq!(html.matches("<tr data-account-id=").count(), 4);
    assert!(html.contains("722S 0000 0000 0001"));
    assert!(html.contains("15 000 000,00 ₸"));
    assert!(html.contains("12 500,50 €"));
    assert!(!html.contains("Степной") && !html.contains("0000 0101") && !html.contains("7 777 777,77"));
    assert!(!html.contains("<script>") && !html.contains("style="), "no inline script or style (CSP)");
}

#[tokio::test]
async fn the_language_is_chosen_by_query_then_cookie_then_accept_language() {
    let test = test_app(true).await;
    let response = get(&test.app, "/accounts?lang=en").await;
    let cookie = header(&response, "set-cookie").unwrap_or_default().to_owned();
    assert!(cookie.starts_with("lang=en;") && cookie.contains("Path=/") && cookie.contains("HttpOnly"), "{cookie}");
    let html = body_text(response).await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("<h1>Accounts and balances</h1>"));
    assert!(html.contains("15,000,000.00"));

    let with =
        |name: &str, value: &str| Request::get("/accounts").header(name, value).body(Body::empty()).expect("request");
    let by_cookie = body_text(send(&test.app, with("cookie", "lang=kk")).await).await;
    assert!(by_cookie.contains("<h1>Шоттар мен қалдықтар</h1>"));
    let by_accept = body_text(send(&test.app, with("accept-language", "en-GB,en;q=0.9")).await).await;
    assert!(by_accept.contains("<h1>Accounts and balances</h1>"));
    let by_default = body_text(get(&test.app, "/accounts").await).await;
    assert!(by_default.contains("<h1>Счета и остатки</h1>"));
}

#[tokio::test]
async fn outside_demo_mode_the_cabinet_says_sign_in_is_not_available() {
    let test = test_app(false).await;
    let response = get(&test.app, "/accounts?lang=en").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let html = body_text(response).await;
    assert!(html.contains("Sign-in is not available yet"));
    assert!(!html.contains("Демо Трейд"));
    let unknown = get(&test.app, "/nowhere").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(body_text(unknown).await.contains("Страница не найдена"));
}

#[tokio::test]
async fn static_files_are_served_from_the_binary() {
    let test = test_app(true).await;
    let htmx = get(&test.app, "/static/htmx.min.js").await;
    assert_eq!(htmx.status(), StatusCode::OK);
    assert_eq!(header(&htmx, "content-type"), Some("text/javascript; charset=utf-8"));
    assert!(body_text(htmx).await.contains("htmx"));
    assert_eq!(get(&test.app, "/static/../Cargo.toml").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&test.app, "/static/missing.js").await.status(), StatusCode::NOT_FOUND);
}
