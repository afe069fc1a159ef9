//! Who may call what: the one permission matrix of every endpoint,
//! and the middleware that enforces it before any handler runs.
//!
//! Every route of the API and of the cabinet has exactly one [`Rule`] in a table ([`API_RULES`]
//! here, `tiyn_web::WEB_RULES` for the pages). The middleware finds the rule of the matched route,
//! resolves the credential (session cookie or `Authorization: Bearer`), checks CSRF for cookie
//! requests that change state, checks the permission, and puts the [`Principal`] in the request
//! for the handler. A route without a rule answers 500: a test walks every route and fails on it.

use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};
use tiyn_core::BankPermission;
use tiyn_core::access::Permission;
use tiyn_identity::{Context, Identity, IdentityError, Principal};

use crate::error::ApiError;

/// The session cookie. Under TLS the `__Host-` prefix makes browsers insist on Secure, Path=/ and
/// no Domain, so no sibling host can plant or read it.
pub const SESSION_COOKIE: &str = "tiyn_session";
pub const SESSION_COOKIE_TLS: &str = "__Host-tiyn_session";
/// The header carrying the CSRF token on state-changing requests authenticated by cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field carrying the CSRF token in the cabinet's forms.
pub const CSRF_FIELD: &str = "_csrf";
/// Sent by the cabinet's background polling: such requests do not count as activity.
pub const BACKGROUND_HEADER: &str = "x-tiyn-background";
/// Where the cabinet sends a signed-out person.
pub const LOGIN_PAGE: &str = "/login";

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (login steps, health, static files).
    Public,
    /// Any signed-in user, whatever the level (`GET /me`, logout, one's own password).
    SignedIn,
    /// A signed-in partner user whose level includes the permission.
    Needs(Permission),
    /// A signed-in bank operator (a user of no partner), whatever the role: the console's home. A
    /// partner's user or key is refused with 403 `operator_only`.
    Operator,
    /// A signed-in bank operator whose role includes the permission (403
    /// `operator_role_insufficient` otherwise; `operator_only` for a partner's user).
    Bank(BankPermission),
    /// The interbank gateway's callbacks: `Authorization: Bearer <gateway key>` and nothing else
    /// (no session, no principal); 401 otherwise.
    Gateway,
}

/// One row of the matrix: method, route pattern as registered, requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

const fn rule(method: &'static str, path: &'static str, access: Access) -> Rule {
    Rule { method, path, access }
}

/// The partner API's matrix.
pub const API_RULES: &[Rule] = &[
    rule("POST", "/api/v1/auth/login", Access::Public),
    rule("POST", "/api/v1/auth/login/confirm", Access::Public),
    rule("POST", "/api/v1/auth/logout", Access::SignedIn),
    rule("POST", "/api/v1/auth/activation", Access::Public),
    rule("POST", "/api/v1/auth/activation/confirm", Access::Public),
    rule("POST", "/api/v1/auth/password/recovery", Access::Public),
    rule("POST", "/api/v1/auth/password/recovery/confirm", Access::Public),
    rule("POST", "/api/v1/auth/password", Access::SignedIn),
    rule("GET", "/api/v1/me", Access::SignedIn),
    rule("POST", "/api/v1/me/lost-access", Access::SignedIn),
    rule("GET", "/api/v1/me/markers", Access::Needs(Permission::ManageOwnMarkers)),
    rule("POST", "/api/v1/me/markers", Access::Needs(Permission::ManageOwnMarkers)),
    rule("POST", "/api/v1/me/markers/{serial}/activate", Access::Needs(Permission::ManageOwnMarkers)),
    rule("DELETE", "/api/v1/me/markers/{serial}", Access::Needs(Permission::ManageOwnMarkers)),
    rule("GET", "/api/v1/me/devices", Access::Needs(Permission::ManageOwnDevices)),
    rule("POST", "/api/v1/me/devices", Access::Needs(Permission::ManageOwnDevices)),
    rule("DELETE", "/api/v1/me/devices/{id}", Access::Needs(Permission::ManageOwnDevices)),
    rule("GET", "/api/v1/api-keys", Access::Needs(Permission::ManageApiKeys)),
    rule("POST", "/api/v1/api-keys", Access::Needs(Permission::ManageApiKeys)),
    rule("DELETE", "/api/v1/api-keys/{id}", Access::Needs(Permission::ManageApiKeys)),
    rule("GET", "/api/v1/accounts", Access::Needs(Permission::ViewAccounts)),
    rule("GET", "/api/v1/accounts/{id}", Access::Needs(Permission::ViewAccounts)),
    rule("GET", "/api/v1/accounts/{id}/restrictions", Access::Needs(Permission::ViewAccountRestrictions)),
    // Exporting (`format` other than json) needs ExportStatements as well: the use case checks it.
    rule("GET", "/api/v1/accounts/{id}/statement", Access::Needs(Permission::ViewStatements)),
    rule("GET", "/api/v1/payments", Access::Needs(Permission::ViewPayments)),
    rule("POST", "/api/v1/payments", Access::Needs(Permission::CreatePayments)),
    rule("POST", "/api/v1/payments/import", Access::Needs(Permission::CreatePayments)),
    rule("GET", "/api/v1/payments/{id}", Access::Needs(Permission::ViewPayments)),
    rule("PATCH", "/api/v1/payments/{id}", Access::Needs(Permission::CreatePayments)),
    rule("DELETE", "/api/v1/payments/{id}", Access::Needs(Permission::CreatePayments)),
    rule("GET", "/api/v1/payments/{id}/receipt", Access::Needs(Permission::ViewPayments)),
    rule("GET", "/api/v1/payment-templates", Access::Needs(Permission::ViewPayments)),
    rule("POST", "/api/v1/payment-templates", Access::Needs(Permission::CreatePayments)),
    rule("DELETE", "/api/v1/payment-templates/{id}", Access::Needs(Permission::CreatePayments)),
    rule("POST", "/api/v1/payment-templates/{id}/payments", Access::Needs(Permission::CreatePayments)),
    rule("POST", "/api/v1/signing", Access::Needs(Permission::ConfirmPayments)),
    rule("POST", "/api/v1/signing/{challenge_id}/confirm", Access::Needs(Permission::ConfirmPayments)),
    rule("GET", "/api/v1/rates", Access::Needs(Permission::ViewReferenceData)),
    rule("GET", "/api/v1/rates/history", Access::Needs(Permission::ViewReferenceData)),
    // The directories (R-3.1.2.2): every level reads them (an information service).
    rule("GET", "/api/v1/directories/{kind}", Access::Needs(Permission::ViewReferenceData)),
    // A quote is the first step of a conversion document; it changes nothing.
    rule("POST", "/api/v1/conversions/quote", Access::Needs(Permission::CreatePayments)),
    rule("GET", "/api/v1/users", Access::Needs(Permission::ManageUsers)),
    rule("POST", "/api/v1/users", Access::Needs(Permission::ManageUsers)),
    rule("GET", "/api/v1/users/{id}", Access::Needs(Permission::ManageUsers)),
    rule("PATCH", "/api/v1/users/{id}", Access::Needs(Permission::ManageUsers)),
    rule("GET", "/api/v1/users/{id}/changes", Access::Needs(Permission::ManageUsers)),
    rule("POST", "/api/v1/users/{id}/block", Access::Needs(Permission::ManageUsers)),
    rule("POST", "/api/v1/users/{id}/unblock", Access::Needs(Permission::ManageUsers)),
    rule("PUT", "/api/v1/users/{id}/suspension", Access::Needs(Permission::ManageUsers)),
    rule("GET", "/api/v1/audit", Access::Needs(Permission::ViewAudit)),
    rule("POST", "/api/gateway/v1/status", Access::Gateway),
    rule("POST", "/api/gateway/v1/incoming", Access::Gateway),
    // POS terminals and planned credits (issue 6, R-3.1.2.4, R-3.1.2.5). Exporting operations
    // (`format` other than json) needs ExportStatements as well: the use case checks it.
    rule("GET", "/api/v1/pos/terminals", Access::Needs(Permission::ViewPos)),
    rule("GET", "/api/v1/pos/transactions", Access::Needs(Permission::ViewPos)),
    rule("GET", "/api/v1/planned-credits", Access::Needs(Permission::ViewPlannedCredits)),
    rule("POST", "/api/gateway/v1/pos/terminals", Access::Gateway),
    rule("POST", "/api/gateway/v1/pos/operations", Access::Gateway),
    rule("POST", "/api/gateway/v1/pos/settlements", Access::Gateway),
    // Notices and marketplace reports (issue 6, R-3.1.2.8): one information service of every
    // level; a file of a report needs ExportStatements as well (the use case checks it).
    rule("GET", "/api/v1/messages", Access::Needs(Permission::ViewMessages)),
    rule("GET", "/api/v1/marketplace/reports", Access::Needs(Permission::ViewMessages)),
    rule("GET", "/api/v1/marketplace/reports/{id}", Access::Needs(Permission::ViewMessages)),
    rule("POST", "/api/gateway/v1/marketplace/reports", Access::Gateway),
    // Marketplace payouts in planned credits (issue 6, R-3.1.2.5): the marketplace's credit of a
    // payout, matched like the acquirer's POS settlement.
    rule("POST", "/api/gateway/v1/marketplace/payouts", Access::Gateway),
    rule("GET", "/api/openapi.json", Access::Public),
    rule("GET", "/healthz", Access::Public),
    rule("GET", "/readyz", Access::Public),
    rule("GET", "/metrics", Access::Public),
];

/// The bank operator API's matrix: operators only.
pub const ADMIN_RULES: &[Rule] = &[
    rule("GET", "/api/admin/v1/partners", Access::Bank(BankPermission::ViewPartners)),
    rule("POST", "/api/admin/v1/partners", Access::Bank(BankPermission::CreatePartners)),
    rule("GET", "/api/admin/v1/partners/{id}", Access::Bank(BankPermission::ViewPartners)),
    rule("PUT", "/api/admin/v1/partners/{id}/withheld-services", Access::Bank(BankPermission::CreatePartners)),
    rule("POST", "/api/admin/v1/users/{id}/block", Access::Bank(BankPermission::BlockUsers)),
    rule("POST", "/api/admin/v1/users/{id}/unblock", Access::Bank(BankPermission::BlockUsers)),
    rule("POST", "/api/admin/v1/users/{id}/clear-lockout", Access::Bank(BankPermission::BlockUsers)),
    rule("GET", "/api/admin/v1/audit", Access::Bank(BankPermission::ViewBankAudit)),
    rule("POST", "/api/admin/v1/operators", Access::Bank(BankPermission::ManageOperators)),
    rule("GET", "/api/admin/v1/partners/{id}/payment-rules", Access::Bank(BankPermission::ViewPartners)),
    rule("PUT", "/api/admin/v1/partners/{id}/payment-rules", Access::Bank(BankPermission::ManagePaymentRules)),
    rule("GET", "/api/admin/v1/accounts/{id}/restrictions", Access::Bank(BankPermission::ViewPartners)),
    rule("POST", "/api/admin/v1/accounts/{id}/restrictions", Access::Bank(BankPermission::ManageRestrictions)),
    rule(
        "DELETE",
        "/api/admin/v1/accounts/{id}/restrictions/{restriction_id}",
        Access::Bank(BankPermission::ManageRestrictions),
    ),
    rule("GET", "/api/admin/v1/aml-list", Access::Bank(BankPermission::ManageRestrictions)),
    rule("PUT", "/api/admin/v1/aml-list", Access::Bank(BankPermission::ManageRestrictions)),
    rule("GET", "/api/admin/v1/rates", Access::Operator),
    rule("POST", "/api/admin/v1/rates", Access::Bank(BankPermission::ManageRates)),
    rule("POST", "/api/admin/v1/rates/nbk", Access::Bank(BankPermission::ManageRates)),
    // Notices and marketplace (R-3.1.2.8): publishing to partners is partner relations, the
    // permission that also sets a partner's scope of services.
    rule("POST", "/api/admin/v1/messages", Access::Bank(BankPermission::CreatePartners)),
];

/// The rule tables the middleware enforces (the API's and the cabinet's, joined at start).
#[derive(Clone)]
pub struct AuthzState {
    pub identity: Identity,
    pub rules: &'static [&'static [Rule]],
    /// The server speaks TLS: use the `__Host-` cookie.
    pub tls: bool,
    /// SHA-256 of the interbank gateway's key; `None`: the gateway routes refuse everyone.
    pub gateway_key: Option<[u8; 32]>,
    /// The page a person sees when their level does not allow a cabinet page (the cabinet renders
    /// it; this crate cannot depend on the cabinet). `None`: the problem document.
    pub forbidden_page: Option<ForbiddenPage>,
}

/// Renders the refusal page for a request's parts (language from its query, cookie and headers).
pub type ForbiddenPage = std::sync::Arc<dyn Fn(&Parts) -> Response + Send + Sync>;

impl AuthzState {
    fn rule(&self, method: &Method, path: &str) -> Option<Rule> {
        self.rules
            .iter()
            .flat_map(|table| table.iter())
            .copied()
            .find(|rule| rule.method == method.as_str() && rule.path == path)
    }

    pub fn cookie_name(&self) -> &'static str {
        if self.tls { SESSION_COOKIE_TLS } else { SESSION_COOKIE }
    }
}

/// The CSRF token of a session: SHA-256 of the session token under a fixed label. Only someone who
/// holds the token (in an HttpOnly cookie, unreadable by script) can compute it; the cabinet
/// renders it into its forms.
pub fn csrf_token(session_token: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"tiyn/csrf/v1");
    hash.update(session_token.as_bytes());
    BASE64URL_NOPAD.encode(&hash.finalize())
}

/// Where the credential came from: a cookie needs CSRF protection, a bearer header does not (a
/// browser never adds it by itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Cookie(String),
    Bearer(String),
}

impl Presented {
    pub fn token(&self) -> &str {
        match self {
            Presented::Cookie(token) | Presented::Bearer(token) => token,
        }
    }
}

/// The credential of a request, bearer first.
pub fn presented(headers: &HeaderMap, cookie_name: &str) -> Option<Presented> {
    if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()) {
        let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
        return Some(Presented::Bearer(token.trim().to_owned()));
    }
    cookie(headers, cookie_name).map(Presented::Cookie)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The source of a request, for the audit trail and per-source counting.
/// The reverse proxies in front of the server, whose `X-Forwarded-For` is believed. Put into
/// every request by the server (empty: the TCP peer is the client).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<std::net::IpAddr>);

impl TrustedProxies {
    /// The client's address: the TCP peer, unless the peer is a trusted proxy; then the right-most
    /// address of `X-Forwarded-For` that is not itself a trusted proxy (the left part of that
    /// header is the client's to write, so it is never believed).
    pub fn client(&self, headers: &HeaderMap, peer: Option<std::net::IpAddr>) -> Option<std::net::IpAddr> {
        let peer = peer?;
        if !self.0.contains(&peer) {
            return Some(peer);
        }
        let forwarded: Vec<std::net::IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|line| line.split(','))
            .filter_map(|part| part.trim().parse().ok())
            .collect();
        Some(forwarded.into_iter().rev().find(|address| !self.0.contains(address)).unwrap_or(peer))
    }
}

pub fn request_context(parts_headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> Context {
    request_context_behind(parts_headers, peer, &TrustedProxies::default())
}

/// [`request_context`] for a server behind the given proxies.
pub fn request_context_behind(
    parts_headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    proxies: &TrustedProxies,
) -> Context {
    Context {
        source_ip: proxies.client(parts_headers, peer.map(|address| address.ip())).map(|address| address.to_string()),
        user_agent: parts_headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(tiyn_store::audit::AUDIT_TEXT_MAX).collect()),
    }
}

/// The request's [`Context`], as an extractor.
#[derive(Debug, Clone)]
pub struct RequestContext(pub Context);

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<RequestContext, ApiError> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|axum::extract::ConnectInfo(address)| *address);
        let proxies = parts.extensions.get::<TrustedProxies>().cloned().unwrap_or_default();
        Ok(RequestContext(request_context_behind(&parts.headers, peer, &proxies)))
    }
}

/// The signed-in principal, put there by [`authorize`]. A handler that takes it cannot run for an
/// anonymous request.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Authenticated, ApiError> {
        parts.extensions.get::<Principal>().cloned().map(Authenticated).ok_or(ApiError::Unauthenticated)
    }
}

/// The session token of the request, when it came in a cookie (the cabinet needs it to render the
/// CSRF token of its forms).
#[derive(Debug, Clone)]
pub struct CookieSession(pub String);

fn is_page(path: &str) -> bool {
    !(path == "/api" || path.starts_with("/api/") || path == "/healthz" || path == "/readyz" || path == "/metrics")
}

/// A refusal as the client expects it: API paths get the problem document; pages send a signed-out
/// person (no session, or one that ended: expired, logged out elsewhere, blocked) to the login
/// page, and show a refusal page for a level that does not allow the page.
fn refuse(state: &AuthzState, path: &str, parts: &Parts, error: ApiError) -> Response {
    if !is_page(path) {
        return error.into_response();
    }
    match error {
        ApiError::Unauthenticated
        | ApiError::Identity(IdentityError::SessionExpired | IdentityError::Unauthenticated) => {
            Redirect::to(LOGIN_PAGE).into_response()
        }
        ApiError::Identity(IdentityError::Forbidden(_))
        | ApiError::OperatorOnly
        | ApiError::OperatorRoleInsufficient(_) => match &state.forbidden_page {
            Some(page) => page(parts),
            None => error.into_response(),
        },
        other => other.into_response(),
    }
}

/// The middleware. Order: rule → credential → session → CSRF → permission.
pub async fn authorize(State(state): State<AuthzState>, request: Request, next: Next) -> Response {
    let Some(path) = request.extensions().get::<MatchedPath>().map(|matched| matched.as_str().to_owned()) else {
        // No route matched: the fallback answers 404 (or 405) and needs no principal.
        return next.run(request).await;
    };
    let Some(rule) = state.rule(request.method(), &path) else {
        return ApiError::Internal(format!("route {} {path} has no access rule", request.method())).into_response();
    };
    if rule.access == Access::Gateway {
        return match (presented(request.headers(), state.cookie_name()), state.gateway_key) {
            (Some(Presented::Bearer(secret)), Some(expected))
                if constant_time_eq(&Sha256::digest(secret.as_bytes()), &expected) =>
            {
                next.run(request).await
            }
            _ => ApiError::Unauthenticated.into_response(),
        };
    }
    let credential = presented(request.headers(), state.cookie_name());
    let (mut parts, body) = request.into_parts();
    let context =
        RequestContext::from_request_parts(&mut parts, &()).await.map(|RequestContext(c)| c).unwrap_or_default();
    let Some(credential) = credential else {
        return match rule.access {
            Access::Public => next.run(Request::from_parts(parts, body)).await,
            _ => refuse(&state, &path, &parts, ApiError::Unauthenticated),
        };
    };
    let activity = !parts.headers.contains_key(BACKGROUND_HEADER);
    let authenticated = match &credential {
        Presented::Bearer(secret) if secret.starts_with(tiyn_identity::API_KEY_PREFIX) => {
            state.identity.authenticate_api_key(secret).await
        }
        _ => state.identity.authenticate(&context, credential.token(), activity).await,
    };
    let principal = match authenticated {
        Ok(principal) => principal,
        // A stale cookie on a public page (the login form) is no reason to refuse it.
        Err(_) if rule.access == Access::Public => return next.run(Request::from_parts(parts, body)).await,
        Err(error) => return refuse(&state, &path, &parts, ApiError::Identity(error)),
    };
    if let Access::Needs(permission) = rule.access
        && !principal.allows(permission)
    {
        return refuse(&state, &path, &parts, ApiError::Identity(IdentityError::Forbidden(permission)));
    }
    if matches!(rule.access, Access::Operator | Access::Bank(_)) && principal.partner().is_some() {
        return refuse(&state, &path, &parts, ApiError::OperatorOnly);
    }
    if let Access::Bank(permission) = rule.access
        && !principal.allows_bank(permission)
    {
        return refuse(&state, &path, &parts, ApiError::OperatorRoleInsufficient(permission));
    }
    let mut request = Request::from_parts(parts, body);
    if let Presented::Cookie(token) = &credential
        && !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
    {
        let (checked, outcome) = check_csrf(request, token).await;
        request = checked;
        match outcome {
            Ok(()) => {}
            // A public form (the login form open in another tab) posted with a session cookie
            // but without the session's token: served as to anyone signed out.
            Err(ApiError::CsrfFailed) if rule.access == Access::Public => return next.run(request).await,
            Err(error) => return error.into_response(),
        }
    }
    if let Presented::Cookie(token) = credential {
        request.extensions_mut().insert(CookieSession(token));
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// The largest form body read for its CSRF field; the cabinet's forms are a few hundred bytes.
const FORM_BYTES_MAX: usize = 64 * 1024;

/// CSRF for cookie-authenticated requests that change state: the token in the `X-CSRF-Token`
/// header, or in the `_csrf` field of a form. Also refuses a cross-site `Origin`.
async fn check_csrf(request: Request, session_token: &str) -> (Request, Result<(), ApiError>) {
    let expected = csrf_token(session_token);
    let host = request.headers().get(header::HOST).and_then(|value| value.to_str().ok()).map(str::to_owned);
    if let (Some(origin), Some(host)) =
        (request.headers().get(header::ORIGIN).and_then(|value| value.to_str().ok()), host.as_deref())
    {
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin_host != host {
            return (request, Err(ApiError::CsrfFailed));
        }
    }
    if let Some(token) = request.headers().get(CSRF_HEADER).and_then(|value| value.to_str().ok()) {
        let matches = constant_time_eq(token.as_bytes(), expected.as_bytes());
        return (request, if matches { Ok(()) } else { Err(ApiError::CsrfFailed) });
    }
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    // An upload form (a file, R-13.2): the `_csrf` field is one of its parts.
    if let Some(boundary) = crate::multipart::boundary(content_type) {
        return check_multipart_csrf(request, &boundary, &expected).await;
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form {
        return (request, Err(ApiError::CsrfFailed));
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, FORM_BYTES_MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return (Request::from_parts(parts, Body::empty()), Err(ApiError::PayloadTooLarge)),
    };
    let token = form_urlencoded_field(&bytes, CSRF_FIELD);
    let outcome = match token {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(ApiError::CsrfFailed),
    };
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.headers_mut().remove(header::CONTENT_LENGTH);
    (request, outcome)
}

/// The largest upload form read for its CSRF field: a payment import's file (the largest upload,
/// [`tiyn_banking::IMPORT_FILE_BYTES_MAX`]) and the form's other fields.
const MULTIPART_BYTES_MAX: usize = tiyn_banking::IMPORT_FILE_BYTES_MAX + 64 * 1024;

async fn check_multipart_csrf(request: Request, boundary: &str, expected: &str) -> (Request, Result<(), ApiError>) {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MULTIPART_BYTES_MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return (Request::from_parts(parts, Body::empty()), Err(ApiError::PayloadTooLarge)),
    };
    let outcome = match crate::multipart::parts(bytes.clone(), boundary).await {
        Ok(fields) => match crate::multipart::text_field(&fields, CSRF_FIELD) {
            Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
            _ => Err(ApiError::CsrfFailed),
        },
        Err(_) => Err(ApiError::CsrfFailed),
    };
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.headers_mut().remove(header::CONTENT_LENGTH);
    (request, outcome)
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    left.ct_eq(right).into()
}

/// A `Set-Cookie` value that starts a browser session (no Max-Age: it ends with the browser, and
/// the server's idle and absolute limits apply regardless).
pub fn session_cookie(name: &str, token: &str, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("tiyn_session=; Path=/; Max-Age=0"))
}

/// A `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(name: &str, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static("tiyn_session=; Path=/; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(forwarded).expect("header"));
        headers
    }

    /// failures are counted per source; behind a proxy the source is the client the proxy
    /// saw, and a client cannot choose its own address by writing the header.
    #[test]
    fn r_6_1_4_the_source_is_the_peer_unless_it_is_a_trusted_proxy() {
        let proxy: std::net::IpAddr = "10.0.0.5".parse().expect("ip");
        let client: std::net::IpAddr = "203.0.113.7".parse().expect("ip");
        let trusted = TrustedProxies(vec![proxy]);
        let none = TrustedProxies::default();
        // Not behind a proxy: the header is ignored.
        assert_eq!(none.client(&headers("198.51.100.1"), Some(client)), Some(client));
        // Behind the proxy: the address the proxy appended.
        assert_eq!(trusted.client(&headers("203.0.113.7"), Some(proxy)), Some(client));
        // A client that forges a left part gets its real address (the right-most untrusted one).
        assert_eq!(trusted.client(&headers("1.2.3.4, 203.0.113.7"), Some(proxy)), Some(client));
        // A peer that is not the proxy is believed as itself, whatever it writes.
        assert_eq!(trusted.client(&headers("1.2.3.4"), Some(client)), Some(client));
        // A proxy that sent no header: the proxy.
        assert_eq!(trusted.client(&HeaderMap::new(), Some(proxy)), Some(proxy));
    }
}
