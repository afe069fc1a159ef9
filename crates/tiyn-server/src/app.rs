//! The HTTP application as a function of its state: `build_app(state) -> Router`. `serve` binds it
//! to the configured address; tests bind it to port 0 or call it in memory.
//!
//! Layers, outermost first: request id + tracing span + metrics (`observe`), security headers,
//! panic → 500, time limit, problem localisation, body size limit. Every response — API, page,
//! static file, 404 — passes through all of them. Every matched route also passes the
//! authorization middleware (`tiyn_api::authz::authorize`), which enforces the one permission
//! matrix.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tiyn_api::authz::{ADMIN_RULES, API_RULES, AuthzState, authorize};
use tiyn_api::{ApiError, ApiState};
use tiyn_identity::Identity;
use tiyn_store::Store;
use tiyn_web::WebState;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;
use utoipa::openapi::OpenApi as OpenApiDocument;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::metrics::{Metrics, UNMATCHED_ROUTE};

pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// The longest client-supplied request id we keep. Longer (or non-token) ids are replaced, so a
/// client cannot inject text into our logs through this header.
pub const REQUEST_ID_LENGTH_MAX: usize = 64;

/// Same-origin everything, no inline script or style, no framing, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// One year, the value HSTS preload lists expect. Sent only over TLS (RFC 6797 §7.2).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Everything a request handler may need, built once at start.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub identity: Identity,
    /// The payment use cases.
    pub banking: tiyn_banking::Banking,
    /// SHA-256 of the interbank gateway's key (`crate::payments::gateway_key`).
    pub gateway_key: Option<[u8; 32]>,
    /// The bank's code in the IBANs of accounts it opens.
    pub bank: tiyn_identity::BankIdentity,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: tiyn_api::authz::TrustedProxies,
    /// Demo mode: the cabinet shows a demo badge and the login page says where the credentials are.
    pub demo: bool,
    /// The server terminates TLS itself: send HSTS.
    pub tls: bool,
    pub request_body_bytes_max: usize,
    pub request_timeout: Duration,
}

/// The whole application: JSON API, OpenAPI document, operational endpoints, cabinet.
pub fn build_app(state: AppState) -> Router {
    let (api, api_document) = tiyn_api::routes(ApiState {
        store: state.store.clone(),
        identity: state.identity.clone(),
        tls: state.tls,
        bank: state.bank.clone(),
        banking: state.banking.clone(),
    });
    let (ops, ops_document) = ops_router().with_state(state.clone()).split_for_parts();
    let document = openapi_document(api_document, ops_document);
    let document_json: Arc<str> = match serde_json::to_string(&document) {
        Ok(json) => Arc::from(json),
        Err(error) => Arc::from(format!("{{\"error\":\"openapi document failed: {error}\"}}")),
    };
    let web = tiyn_web::routes(WebState {
        store: state.store.clone(),
        identity: state.identity.clone(),
        banking: state.banking.clone(),
        demo: state.demo,
        tls: state.tls,
        bank: state.bank.clone(),
    });
    let demo = state.demo;
    let forbidden_page: tiyn_api::authz::ForbiddenPage =
        std::sync::Arc::new(move |parts: &axum::http::request::Parts| {
            tiyn_web::forbidden(parts.uri.query(), &parts.headers, demo)
        });
    let authz = AuthzState {
        identity: state.identity.clone(),
        rules: RULES,
        tls: state.tls,
        gateway_key: state.gateway_key,
        forbidden_page: Some(forbidden_page),
    };

    Router::new()
        .merge(api)
        .merge(ops)
        .merge(web)
        .route(tiyn_api::OPENAPI_PATH, get(move || serve_openapi(document_json.clone())))
        .route_layer(middleware::from_fn_with_state(authz, authorize))
        .fallback(move |request: Request| not_found(request, demo))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn_with_state(state.metrics.clone(), observe))
                .layer(middleware::from_fn_with_state(state.tls, security_headers))
                .layer(CatchPanicLayer::custom(|_panic| {
                    ApiError::Internal("handler panicked".to_owned()).into_response()
                }))
                .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, state.request_timeout))
                .layer(middleware::from_fn(tiyn_api::localize_problems))
                .layer(axum::Extension(state.trusted_proxies.clone()))
                .layer(DefaultBodyLimit::max(state.request_body_bytes_max)),
        )
}

/// The permission matrix of every route: the partner API's, the cabinet's and the operators'.
pub const RULES: &[&[tiyn_api::authz::Rule]] = &[API_RULES, ADMIN_RULES, tiyn_web::WEB_RULES];

/// The API's document with the operational endpoints added.
fn openapi_document(mut api: OpenApiDocument, ops: OpenApiDocument) -> OpenApiDocument {
    api.merge(ops);
    api
}

/// `/healthz`, `/readyz`, `/metrics`: operational routes, documented with the API.
fn ops_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}

/// The process is alive (it answers). Does not touch the database, so an orchestrator does not
/// restart a healthy process because the database is briefly away.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Alive", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers. A load balancer stops sending traffic while not.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses((status = 200, description = "Ready", body = String), (status = 503, description = "The database does not answer", body = String))
)]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(error = %error, backend = state.store.backend_name(), "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Prometheus metrics: requests by route and status, latency, ledger commands.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.render(state.store.ledger_counts()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

async fn serve_openapi(json: Arc<str>) -> Response {
    let mut response = Body::from(json.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// API paths answer problem documents, everything else the cabinet's page.
async fn not_found(request: Request, demo: bool) -> Response {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::RouteNotFound.into_response();
    }
    tiyn_web::not_found(request.uri().query(), request.headers(), demo)
}

/// Request id, tracing span, access log line and metrics. Logs method, route and path (never the
/// query, headers or bodies: they carry tokens, cookies and personal data).
async fn observe(State(metrics): State<Arc<Metrics>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_acceptable_request_id(id))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id);
    let header_value = HeaderValue::from_str(&request_id).ok();
    if let Some(value) = &header_value {
        request.headers_mut().insert(HeaderName::from_static(REQUEST_ID_HEADER), value.clone());
    }
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, route = %route, path = %request.uri().path());

    let mut response = next.run(request).instrument(span.clone()).await;

    let latency = started.elapsed();
    let status = response.status().as_u16();
    metrics.record_request(&method, &route, status, latency);
    span.in_scope(|| tracing::info!(status, latency_ms = latency.as_millis() as u64, "answered"));
    if let Some(value) = header_value {
        response.headers_mut().insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    response
}

fn is_acceptable_request_id(id: &str) -> bool {
    (1..=REQUEST_ID_LENGTH_MAX).contains(&id.len())
        && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
}

/// 128 random bits in hex: unique without coordination between processes.
fn new_request_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Headers every response carries. Responses that set their own `Cache-Control` (static files)
/// keep it; everything else — balances, API answers — is `no-store`.
async fn security_headers(State(tls): State<bool>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Not `no-referrer`: with it Chromium sends `Origin: null` on form posts, which the CSRF check
    // must refuse. Same-origin keeps the referrer inside the bank's own site.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    headers.insert(HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("same-origin"));
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if tls {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(STRICT_TRANSPORT_SECURITY));
    }
    response
}
