//! The HTTP stack around every route: security headers, request ids, operational endpoints,
//! metrics, the cabinet's pages and languages.

use crate::common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{body_text, get, get_as, get_page, header, send, state, test_app};
use tiyn_server::app::{CONTENT_SECURITY_POLICY, build_app};
use tiyn_server::metrics::Metrics;

/// Every kind of response — API JSON, problem, page, static file, 404 page, operations — carries
/// the security headers; HSTS only under TLS (see tls.rs).
#[tokio::test]
async fn security_headers_are_on_every_response() {
    let test = test_app().await;
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
        assert_eq!(header(&response, "referrer-policy"), Some("same-origin"), "{uri}");
        assert_eq!(header(&response, "strict-transport-security"), None, "no HSTS over plain HTTP: {uri}");
    }
    let api = get(&test.app, "/api/v1/accounts").await;
    assert_eq!(header(&api, "cache-control"), Some("no-store"), "balances are never cached");
    let css = get(&test.app, "/static/style.css").await;
    assert!(header(&css, "cache-control").is_some_and(|value| value.starts_with("public")));
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let test = test_app().await;
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
    let test = test_app().await;
    let health = get(&test.app, "/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    let ready = get(&test.app, "/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(body_text(ready).await, "ready");

    let session = test.sign_in("full", true).await;
    get_as(&test.app, &session, "/api/v1/accounts").await;
    get_as(&test.app, &session, "/api/v1/accounts/987654321").await;
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
    // The demo seeding posted five opening balances: the store's writer counted them.
    assert!(text.contains("tiyn_ledger_commands_total{outcome=\"executed\"} 5"), "{text}");
}

/// When the database goes away (a PostgreSQL server stopped under a running app): alive, not
/// ready, and errors say "internal error" without the cause.
#[tokio::test]
async fn a_lost_database_makes_the_server_unready_and_hides_the_cause() {
    let cluster = tokio::task::spawn_blocking(|| {
        tiyn_store_postgres::cluster::ThrowawayCluster::start(tiyn_store_postgres::cluster::Durability::Fast)
    })
    .await
    .expect("joined")
    .expect("a throwaway PostgreSQL cluster");
    let url = cluster.url("postgres");
    let store: Arc<dyn tiyn_store::Store> =
        Arc::new(tiyn_store_postgres::PostgresStore::connect(&url).await.expect("connect"));
    let sms = Arc::new(tiyn_notify::MemorySink::new());
    let clock = Arc::new(tiyn_identity::ManualClock::new(common::now()));
    let master = tiyn_auth::MasterKey::from_bytes([1; 32]);
    let identity = common::identity(store.clone(), &master, sms, clock);
    let app = build_app(state(store, Arc::new(Metrics::new()), identity, false));
    assert_eq!(get(&app, "/readyz").await.status(), StatusCode::OK);
    tokio::task::spawn_blocking(move || drop(cluster)).await.expect("stopped");

    assert_eq!(get(&app, "/healthz").await.status(), StatusCode::OK);
    assert_eq!(get(&app, "/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    let request = Request::get("/api/v1/accounts")
        .header("authorization", format!("Bearer {}", "A".repeat(43)))
        .body(Body::empty())
        .expect("request");
    let response = send(&app, request).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = body_text(response).await;
    assert!(text.contains("\"code\":\"internal\"") && text.contains("\"detail\":\"internal error\""), "{text}");
    assert!(!text.contains("127.0.0.1") && !text.contains("postgres"), "{text}");
}

/// R-3.1.2.1: the cabinet lists the demo partner's accounts with grouped IBANs and
/// formatted balances: nothing of partner 2.
#[tokio::test]
async fn the_accounts_page_shows_the_partners_accounts_only() {
    let test = test_app().await;
    let session = test.sign_in("full", true).await;
    let home = get_page(&test.app, &session, "/").await;
    assert!(home.status().is_redirection());
    assert_eq!(header(&home, "location"), Some("/accounts"));

    let page = get_page(&test.app, &session, "/accounts").await;
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
    let test = test_app().await;
    let session = test.sign_in("full", true).await;
    let response = get_page(&test.app, &session, "/accounts?lang=en").await;
    let cookie = header(&response, "set-cookie").unwrap_or_default().to_owned();
    assert!(cookie.starts_with("lang=en;") && cookie.contains("Path=/") && cookie.contains("HttpOnly"), "{cookie}");
    let html = body_text(response).await;
    assert!(html.contains("<html lang=\"en\">") && html.contains("<h1>Accounts and balances</h1>"));
    assert!(html.contains("15,000,000.00"));

    let signed_in = format!("tiyn_session={}", session.token);
    let with = |name: &str, value: &str| {
        let request = Request::get("/accounts").header(name, value);
        let request = if name == "cookie" { request } else { request.header("cookie", signed_in.as_str()) };
        request.body(Body::empty()).expect("request")
    };
    let by_cookie = body_text(send(&test.app, with("cookie", &format!("{signed_in}; lang=kk"))).await).await;
    assert!(by_cookie.contains("<h1>Шоттар мен қалдықтар</h1>"));
    let by_accept = body_text(send(&test.app, with("accept-language", "en-GB,en;q=0.9")).await).await;
    assert!(by_accept.contains("<h1>Accounts and balances</h1>"));
    let by_default = body_text(get_page(&test.app, &session, "/accounts").await).await;
    assert!(by_default.contains("<h1>Счета и остатки</h1>"));
}

/// A signed-out person is sent to the login page, never shown partner data.
#[tokio::test]
async fn signed_out_pages_redirect_to_login() {
    let test = test_app().await;
    for uri in ["/accounts?lang=en", "/accounts/table"] {
        let response = get(&test.app, uri).await;
        assert!(response.status().is_redirection(), "{uri}");
        assert_eq!(header(&response, "location"), Some("/login"), "{uri}");
        assert!(!body_text(response).await.contains("Демо Трейд"));
    }
    let unknown = get(&test.app, "/nowhere").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(body_text(unknown).await.contains("Страница не найдена"));
}

#[tokio::test]
async fn static_files_are_served_from_the_binary() {
    let test = test_app().await;
    let htmx = get(&test.app, "/static/htmx.min.js").await;
    assert_eq!(htmx.status(), StatusCode::OK);
    assert_eq!(header(&htmx, "content-type"), Some("text/javascript; charset=utf-8"));
    assert!(body_text(htmx).await.contains("htmx"));
    assert_eq!(get(&test.app, "/static/../Cargo.toml").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get(&test.app, "/static/missing.js").await.status(), StatusCode::NOT_FOUND);
}
