//! The cabinet: server-rendered pages for people, in ru, kk and en.
//!
//! Pages are rendered by askama templates (checked at compile time) from display rows built here;
//! htmx, served from our own static files, refreshes parts of a page, and one small script of
//! ours, `static/quote.js`, counts down a conversion quote's seconds (and `static/print.js` opens the
//! print dialog from a statement's print view). There is no inline script
//! or style anywhere, so the Content-Security-Policy needs no `unsafe-inline`. The cabinet reads
//! data through `tiyn_api::access`, the same tenant-isolation gate the JSON API uses.
//!
//! Partners' users get the accounts, payment documents, users, API keys, audit trail and their
//! profile (with their markers and devices); the bank's operators land on the console under `/bank` instead.

pub mod api_keys;
pub mod audit;
pub mod bank;
pub mod bank_rules;
pub mod conversions;
pub mod directories;
pub mod format;
pub mod forms;
pub mod i18n;
pub mod lang;
pub mod means;
// Notices and marketplace reports (issue 6, R-3.1.2.8).
pub mod messages;
pub mod pages;
pub mod payment_import;
pub mod payment_templates;
pub mod payments;
pub mod pos;
pub mod profile;
pub mod qr;
pub mod rates;
pub mod sign_in;
pub mod statements;
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
    /// The payment use cases (documents, confirmation with one code).
    pub banking: tiyn_banking::Banking,
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
/// The same permissions as the API's payment routes (`tiyn_api::authz::API_RULES`).
const VIEW_PAYMENTS: Access = Access::Needs(Permission::ViewPayments);
const CREATE_PAYMENTS: Access = Access::Needs(Permission::CreatePayments);
const CONFIRM_PAYMENTS: Access = Access::Needs(Permission::ConfirmPayments);
/// The same permissions as the API's statement route (R-3.1.2.1), and exporting's own (R-3.1.2.6).
const VIEW_STATEMENTS: Access = Access::Needs(Permission::ViewStatements);
const EXPORT_STATEMENTS: Access = Access::Needs(Permission::ExportStatements);

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
    rule("GET", "/accounts/{id}/statement", VIEW_STATEMENTS),
    rule("GET", "/accounts/{id}/statement/print", VIEW_STATEMENTS),
    rule("GET", "/accounts/{id}/statement/export", EXPORT_STATEMENTS),
    rule("GET", "/rates", Access::Needs(Permission::ViewReferenceData)),
    // The directories and the form fields' lookups (R-3.1.2.2): every level, like the API's.
    rule("GET", "/directories", Access::Needs(Permission::ViewReferenceData)),
    rule("GET", "/directories/{kind}/rows", Access::Needs(Permission::ViewReferenceData)),
    rule("GET", "/directories/{kind}/lookup", Access::Needs(Permission::ViewReferenceData)),
    rule("GET", "/payments", VIEW_PAYMENTS),
    rule("POST", "/payments", CREATE_PAYMENTS),
    rule("GET", "/payments/new", CREATE_PAYMENTS),
    rule("POST", "/payments/validate", CREATE_PAYMENTS),
    rule("POST", "/payments/conversion-quote", CREATE_PAYMENTS),
    // The foreign transfer form's SWIFT BIC lookup (R-3.1.1.3).
    rule("GET", "/payments/swift-bic", CREATE_PAYMENTS),
    rule("GET", "/payments/import", CREATE_PAYMENTS),
    rule("POST", "/payments/import", CREATE_PAYMENTS),
    rule("GET", "/payments/export", VIEW_PAYMENTS),
    rule("GET", "/payments/print", VIEW_PAYMENTS),
    rule("GET", "/payments/{id}", VIEW_PAYMENTS),
    rule("POST", "/payments/{id}", CREATE_PAYMENTS),
    rule("GET", "/payments/{id}/edit", CREATE_PAYMENTS),
    rule("POST", "/payments/{id}/delete", CREATE_PAYMENTS),
    rule("POST", "/payments/signing", CONFIRM_PAYMENTS),
    rule("POST", "/payments/signing/confirm", CONFIRM_PAYMENTS),
    rule("GET", "/payments/templates", VIEW_PAYMENTS),
    rule("POST", "/payments/templates", CREATE_PAYMENTS),
    rule("POST", "/payments/templates/{id}/use", CREATE_PAYMENTS),
    rule("POST", "/payments/templates/{id}/delete", CREATE_PAYMENTS),
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
    // POS terminals and planned credits (R-3.1.2.4, R-3.1.2.5): the API's permissions; a file
    // needs the export service too (the use case also asks ViewPos).
    rule("GET", "/pos", Access::Needs(Permission::ViewPos)),
    rule("GET", "/pos/{terminal}", Access::Needs(Permission::ViewPos)),
    rule("GET", "/pos/{terminal}/print", Access::Needs(Permission::ViewPos)),
    rule("GET", "/pos/{terminal}/export", EXPORT_STATEMENTS),
    rule("GET", "/planned-credits", Access::Needs(Permission::ViewPlannedCredits)),
    rule("GET", "/bank", Access::Operator),
    rule("GET", "/bank/partners/new", Access::Bank(BankPermission::CreatePartners)),
    rule("POST", "/bank/partners", Access::Bank(BankPermission::CreatePartners)),
    rule("GET", "/bank/partners/{id}", Access::Bank(BankPermission::ViewPartners)),
    rule("POST", "/bank/partners/{id}/services", Access::Bank(BankPermission::CreatePartners)),
    rule("POST", "/bank/partners/{id}/tariff", Access::Bank(BankPermission::ManagePaymentRules)),
    rule("POST", "/bank/partners/{id}/limits", Access::Bank(BankPermission::ManagePaymentRules)),
    rule("POST", "/bank/partners/{id}/limits/remove", Access::Bank(BankPermission::ManagePaymentRules)),
    rule("POST", "/bank/partners/{id}/kinds", Access::Bank(BankPermission::ManagePaymentRules)),
    rule("POST", "/bank/accounts/{id}/restrictions", Access::Bank(BankPermission::ManageRestrictions)),
    rule("POST", "/bank/accounts/{id}/restrictions/lift", Access::Bank(BankPermission::ManageRestrictions)),
    rule("GET", "/bank/aml", Access::Bank(BankPermission::ManageRestrictions)),
    rule("POST", "/bank/aml", Access::Bank(BankPermission::ManageRestrictions)),
    rule("POST", "/bank/users/{id}/block", Access::Bank(BankPermission::BlockUsers)),
    rule("POST", "/bank/users/{id}/unblock", Access::Bank(BankPermission::BlockUsers)),
    rule("POST", "/bank/users/{id}/clear-lockout", Access::Bank(BankPermission::BlockUsers)),
    rule("GET", "/bank/audit", Access::Bank(BankPermission::ViewBankAudit)),
    rule("GET", "/bank/operators/new", Access::Bank(BankPermission::ManageOperators)),
    rule("GET", "/bank/rates", Access::Operator),
    rule("POST", "/bank/rates", Access::Bank(BankPermission::ManageRates)),
    rule("POST", "/bank/rates/nbk", Access::Bank(BankPermission::ManageRates)),
    rule("POST", "/bank/operators", Access::Bank(BankPermission::ManageOperators)),
    // Notices and marketplace reports (issue 6, R-3.1.2.8): the API's permissions; a file needs
    // the export service too (the use case also asks ViewMessages). Publishing is the bank's
    // partner relations, like the scope of services.
    rule("GET", "/messages", Access::Needs(Permission::ViewMessages)),
    rule("GET", "/marketplace", Access::Needs(Permission::ViewMessages)),
    rule("GET", "/marketplace/{id}", Access::Needs(Permission::ViewMessages)),
    rule("GET", "/marketplace/{id}/export", EXPORT_STATEMENTS),
    rule("GET", "/bank/messages", Access::Bank(BankPermission::CreatePartners)),
    rule("POST", "/bank/messages", Access::Bank(BankPermission::CreatePartners)),
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
        .route("/accounts/{id}/statement", get(statements::show))
        .route("/accounts/{id}/statement/print", get(statements::print))
        .route("/accounts/{id}/statement/export", get(statements::export))
        .route("/rates", get(rates::show))
        .route("/directories", get(directories::show))
        .route("/directories/{kind}/rows", get(directories::rows))
        .route("/directories/{kind}/lookup", get(directories::lookup))
        .route("/payments", get(payments::list).post(payments::create))
        .route("/payments/new", get(payments::new_form))
        .route("/payments/validate", post(payments::validate))
        .route("/payments/conversion-quote", post(conversions::quote))
        .route("/payments/swift-bic", get(payments::swift_bic))
        .route("/payments/import", get(payment_import::form).post(payment_import::upload))
        .route("/payments/export", get(payments::export))
        .route("/payments/print", get(payments::print))
        .route("/payments/signing", post(payments::open_signing))
        .route("/payments/signing/confirm", post(payments::confirm_signing))
        .route("/payments/templates", get(payment_templates::list).post(payment_templates::save))
        .route("/payments/templates/{id}/use", post(payment_templates::use_template))
        .route("/payments/templates/{id}/delete", post(payment_templates::delete))
        .route("/payments/{id}", get(payments::show).post(payments::update))
        .route("/payments/{id}/edit", get(payments::edit_form))
        .route("/payments/{id}/delete", post(payments::delete))
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
        .route("/pos", get(pos::terminals))
        .route("/pos/{terminal}", get(pos::terminal))
        .route("/pos/{terminal}/print", get(pos::print))
        .route("/pos/{terminal}/export", get(pos::export))
        .route("/planned-credits", get(pos::planned))
        .route("/bank", get(bank::home))
        .route("/bank/partners", post(bank::create_partner))
        .route("/bank/partners/new", get(bank::new_partner_form))
        .route("/bank/partners/{id}", get(bank::partner))
        .route("/bank/partners/{id}/services", post(bank::set_services))
        .route("/bank/partners/{id}/tariff", post(bank_rules::set_tariff))
        .route("/bank/partners/{id}/limits", post(bank_rules::add_limit))
        .route("/bank/partners/{id}/limits/remove", post(bank_rules::remove_limit))
        .route("/bank/partners/{id}/kinds", post(bank_rules::set_kinds))
        .route("/bank/accounts/{id}/restrictions", post(bank_rules::add_restriction))
        .route("/bank/accounts/{id}/restrictions/lift", post(bank_rules::lift_restriction))
        .route("/bank/aml", get(bank_rules::aml).post(bank_rules::replace_aml))
        .route("/bank/users/{id}/block", post(bank::block_user))
        .route("/bank/users/{id}/unblock", post(bank::unblock_user))
        .route("/bank/users/{id}/clear-lockout", post(bank::clear_lockout))
        .route("/bank/audit", get(bank::audit))
        .route("/bank/operators", post(bank::create_operator))
        .route("/bank/operators/new", get(bank::new_operator_form))
        .route("/bank/rates", get(rates::bank_rates).post(rates::set_rate))
        .route("/bank/rates/nbk", post(rates::import_nbk))
        // Notices and marketplace reports (issue 6, R-3.1.2.8).
        .route("/messages", get(messages::notices))
        .route("/marketplace", get(messages::reports))
        .route("/marketplace/{id}", get(messages::report))
        .route("/marketplace/{id}/export", get(messages::export))
        .route("/bank/messages", get(messages::bank_messages).post(messages::bank_publish))
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
            if rule.path.starts_with("/payments") {
                let expected = match (rule.method, rule.path) {
                    (
                        "GET",
                        "/payments" | "/payments/{id}" | "/payments/templates" | "/payments/export" | "/payments/print",
                    ) => VIEW_PAYMENTS,
                    (_, path) if path.starts_with("/payments/signing") => CONFIRM_PAYMENTS,
                    _ => CREATE_PAYMENTS,
                };
                assert_eq!(rule.access, expected, "{} {}", rule.method, rule.path);
            }
            if rule.path.contains("/statement") {
                let expected = if rule.path.ends_with("/export") { EXPORT_STATEMENTS } else { VIEW_STATEMENTS };
                assert_eq!(rule.access, expected, "{} {}", rule.method, rule.path);
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
