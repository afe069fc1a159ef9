//! The cabinet: server-rendered pages for people, in ru, kk and en.
//!
//! Pages are rendered by askama templates (checked at compile time) from display rows built here;
//! htmx, served from our own static files, refreshes parts of a page. There is no inline script
//! or style anywhere, so the Content-Security-Policy needs no `unsafe-inline`. The cabinet reads
//! data through `tiyn_api::access`, the same tenant-isolation gate the JSON API uses.
//!
//! Partners' users get the accounts, users, API keys, audit trail and their profile (with their
//! markers and devices); the bank's operators land on the console under `/bank` instead.

pub mod api_keys;
pub mod audit;
pub mod bank;
pub mod format;
pub mod forms;
pub mod i18n;
pub mod lang;
pub mod means;
pub mod pages;
pub mod profile;
pub mod qr;
pub mod sign_in;
pub mod static_files;
pub mod users;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use tiyn_api::authz::{Access, Rule, SESSION_COOKIE, SESSION_COOKIE_TLS};
use tiyn_core::BankPermission;
use tiyn_core::access::Permission;
use tiyn_identity::Identity;
use tiyn_store::Store;

pub use lang::PageLang;
pub use pages::Viewer;

#[derive(Clone)]
pub struct WebState {
    pub store: Arc<dyn Store>,
    pub identity: Identity,
    /// Shows the demo badge, and the login page says where the demo credentials are.
    pub demo: bool,
    /// The server speaks TLS (Secure, `__Host-` cookies).
    pub tls: bool,
    /// The bank whose code the IBANs of the accounts it opens carry.
    pub bank: tiyn_identity::BankIdentity,
}

/// The session cookie's name: `__Host-` prefixed under TLS.
pub fn session_cookie_name(tls: bool) -> &'static str {
    if tls { SESSION_COOKIE_TLS } else { SESSION_COOKIE }
}

const fn rule(method: &'static str, path: &'static str, access: Access) -> Rule {
    Rule { method, path, access }
}

const MANAGE_USERS: Access = Access::Needs(Permission::ManageUsers);
const MARKERS: Access = Access::Needs(Permission::ManageOwnMarkers);
const DEVICES: Access = Access::Needs(Permission::ManageOwnDevices);
const API_KEYS: Access = Access::Needs(Permission::ManageApiKeys);

/// The cabinet's rows of the permission matrix (see `tiyn_api::authz`): every page route, once.
/// The sign-in steps are public (no session yet: SameSite=Strict and the Origin check cover
/// them); everything else needs a session, and the sections need their permission. The
/// bank's console needs an operator, and each of its actions the operator's role.
pub const WEB_RULES: &[Rule] = &[
    rule("GET", "/", Access::Public),
    rule("GET", "/static/{file}", Access::Public),
    rule("GET", "/login", Access::Public),
    rule("POST", "/login", Access::Public),
    rule("POST", "/login/confirm", Access::Public),
    rule("POST", "/logout", Access::SignedIn),
    rule("GET", "/activation", Access::Public),
    rule("POST", "/activation", Access::Public),
    rule("POST", "/activation/confirm", Access::Public),
    rule("GET", "/recovery", Access::Public),
    rule("POST", "/recovery", Access::Public),
    rule("POST", "/recovery/confirm", Access::Public),
    rule("GET", "/profile", Access::SignedIn),
    rule("POST", "/profile/password", Access::SignedIn),
    rule("POST", "/profile/lost-access", Access::SignedIn),
    rule("GET", "/accounts", Access::Needs(Permission::ViewAccounts)),
    rule("GET", "/accounts/table", Access::Needs(Permission::ViewAccounts)),
    rule("GET", "/users", MANAGE_USERS),
    rule("POST", "/users", MANAGE_USERS),
    rule("GET", "/users/new", MANAGE_USERS),
    rule("GET", "/users/{id}", MANAGE_USERS),
    rule("POST", "/users/{id}", MANAGE_USERS),
    rule("POST", "/users/{id}/block", MANAGE_USERS),
    rule("POST", "/users/{id}/unblock", MANAGE_USERS),
    rule("POST", "/users/{id}/suspension", MANAGE_USERS),
    rule("GET", "/audit", Access::Needs(Permission::ViewAudit)),
    rule("GET", "/profile/markers", MARKERS),
    rule("POST", "/profile/markers", MARKERS),
    rule("POST", "/profile/markers/{serial}/activate", MARKERS),
    rule("POST", "/profile/markers/{serial}/revoke", MARKERS),
    rule("GET", "/profile/devices", DEVICES),
    rule("POST", "/profile/devices", DEVICES),
    rule("POST", "/profile/devices/{id}/revoke", DEVICES),
    rule("GET", "/api-keys", API_KEYS),
    rule("POST", "/api-keys", API_KEYS),
    rule("POST", "/api-keys/{id}/revoke", API_KEYS),
    rule("GET", "/bank", Access::Operator),
    rule("GET", "/bank/partners/new", Access::Bank(BankPermission::CreatePartners)),
    rule("POST", "/bank/partners", Access::Bank(BankPermission::CreatePartners)),
    rule("GET", "/bank/partners/{id}", Access::Bank(BankPermission::ViewPartners)),
    rule("POST", "/bank/partners/{id}/services", Access::Bank(BankPermission::CreatePartners)),
    rule("POST", "/bank/users/{id}/block", Access::Bank(BankPermission::BlockUsers)),
    rule("POST", "/bank/users/{id}/unblock", Access::Bank(BankPermission::BlockUsers)),
    rule("POST", "/bank/users/{id}/clear-lockout", Access::Bank(BankPermission::BlockUsers)),
    rule("GET", "/bank/audit", Access::Bank(BankPermission::ViewBankAudit)),
    rule("GET", "/bank/operators/new", Access::Bank(BankPermission::ManageOperators)),
    rule("POST", "/bank/operators", Access::Bank(BankPermission::ManageOperators)),
];

/// The cabinet's routes.
pub fn routes(state: WebState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(sign_in::login_form).post(sign_in::login_submit))
        .route("/login/confirm", post(sign_in::login_confirm))
        .route("/logout", post(sign_in::logout))
        .route("/activation", get(sign_in::activation_form).post(sign_in::activation_submit))
        .route("/activation/confirm", post(sign_in::activation_confirm))
        .route("/recovery", get(sign_in::recovery_form).post(sign_in::recovery_submit))
        .route("/recovery/confirm", post(sign_in::recovery_confirm))
        .route("/profile", get(profile::show))
        .route("/profile/password", post(profile::change_password))
        .route("/profile/lost-access", post(profile::lost_access))
        .route("/accounts", get(pages::accounts))
        .route("/accounts/table", get(pages::accounts_table))
        .route("/users", get(users::list).post(users::create))
        .route("/users/new", get(users::new_form))
        .route("/users/{id}", get(users::show).post(users::update))
        .route("/users/{id}/block", post(users::block))
        .route("/users/{id}/unblock", post(users::unblock))
        .route("/users/{id}/suspension", post(users::suspension))
        .route("/audit", get(audit::show))
        .route("/profile/markers", get(means::markers).post(means::enrol_marker))
        .route("/profile/markers/{serial}/activate", post(means::activate_marker))
        .route("/profile/markers/{serial}/revoke", post(means::revoke_marker))
        .route("/profile/devices", get(means::devices).post(means::register_device))
        .route("/profile/devices/{id}/revoke", post(means::revoke_device))
        .route("/api-keys", get(api_keys::list).post(api_keys::issue))
        .route("/api-keys/{id}/revoke", post(api_keys::revoke))
        .route("/bank", get(bank::home))
        .route("/bank/partners", post(bank::create_partner))
        .route("/bank/partners/new", get(bank::new_partner_form))
        .route("/bank/partners/{id}", get(bank::partner))
        .route("/bank/partners/{id}/services", post(bank::set_services))
        .route("/bank/users/{id}/block", post(bank::block_user))
        .route("/bank/users/{id}/unblock", post(bank::unblock_user))
        .route("/bank/users/{id}/clear-lockout", post(bank::clear_lockout))
        .route("/bank/audit", get(bank::audit))
        .route("/bank/operators", post(bank::create_operator))
        .route("/bank/operators/new", get(bank::new_operator_form))
        .route("/static/{file}", get(static_files::serve))
        .with_state(state)
}

/// The page for a path no route serves, in the request's language.
pub fn not_found(query: Option<&str>, headers: &HeaderMap, demo: bool) -> Response {
    pages::not_found(PageLang::from_headers(query, headers), demo)
}

/// The page for a signed-in person whose access level does not allow the page, in the
/// request's language. For the authorization middleware, which today answers a problem document
/// on every path: a page request would rather get this.
pub fn forbidden(query: Option<&str>, headers: &HeaderMap, demo: bool) -> Response {
    pages::forbidden(PageLang::from_headers(query, headers), demo, &Viewer::nobody())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route has exactly one rule, and the users and audit sections need their permission;
    /// the console is the bank's operators' only.
    #[test]
    fn every_rule_is_unique_and_sections_need_their_permission() {
        for (index, rule) in WEB_RULES.iter().enumerate() {
            let twins = WEB_RULES.iter().filter(|other| other.method == rule.method && other.path == rule.path).count();
            assert_eq!(twins, 1, "{} {} has {twins} rules", rule.method, rule.path);
            if rule.path.starts_with("/users") {
                assert_eq!(rule.access, MANAGE_USERS, "rule {index}: {} {}", rule.method, rule.path);
            }
            if rule.path.starts_with("/audit") {
                assert_eq!(rule.access, Access::Needs(Permission::ViewAudit));
            }
            if rule.path.starts_with("/bank") {
                assert!(matches!(rule.access, Access::Operator | Access::Bank(_)), "{} {}", rule.method, rule.path);
            }
            if rule.path.starts_with("/api-keys") {
                assert_eq!(rule.access, API_KEYS);
            }
            if rule.path.starts_with("/profile/markers") {
                assert_eq!(rule.access, MARKERS);
            }
            if rule.path.starts_with("/profile/devices") {
                assert_eq!(rule.access, DEVICES);
            }
        }
    }
}
