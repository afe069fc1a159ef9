//! The partner JSON API under `/api/v1` and its OpenAPI document at `/api/openapi.json`.
//!
//! Only this crate knows JSON. Domain types are not `Serialize`: DTOs here convert by hand, so a
//! renamed domain field never breaks a client. Errors become responses in exactly one place
//! ([`error`]); tenant isolation is decided in exactly one place ([`access`]).

pub mod access;
pub mod accounts;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod conversions;
pub mod directories;
pub mod error;
pub mod extract;
pub mod gateway;
pub mod import;
pub mod lang;
// Marketplace payouts in planned credits (issue 6, R-3.1.2.5).
pub mod marketplace;
pub mod means;
// Notices and marketplace reports (issue 6, R-3.1.2.8).
pub mod messages;
pub mod money;
pub mod multipart;
pub mod payment_exports;
pub mod payments;
pub mod pos;
pub mod rates;
pub mod receipts;
pub mod rules;
pub mod statements;
pub mod templates;
pub mod users;

use std::sync::Arc;

use axum::Router;
use tiyn_identity::Identity;
use tiyn_store::Store;
use utoipa::OpenApi;
use utoipa::openapi::OpenApi as OpenApiDocument;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use access::CurrentPartner;
pub use error::{ApiError, FieldError, localize_problems};
pub use lang::Lang;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.json";
/// Where the partner API lives.
pub const API_V1_PREFIX: &str = "/api/v1";
/// Where the interbank gateway's callbacks live.
pub const GATEWAY_V1_PREFIX: &str = "/api/gateway/v1";

/// What API handlers need.
#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<dyn Store>,
    pub identity: Identity,
    /// The server speaks TLS: cookies are `Secure` and `__Host-` prefixed.
    pub tls: bool,
    /// The bank whose code the IBANs of new accounts carry.
    pub bank: tiyn_identity::BankIdentity,
    /// The payment use cases.
    pub banking: tiyn_banking::Banking,
}

impl ApiState {
    pub fn cookie_name(&self) -> &'static str {
        if self.tls { authz::SESSION_COOKIE_TLS } else { authz::SESSION_COOKIE }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tiyn partner API",
        description = "Business e-banking for Kazakhstan. Money is `{\"amount\": \"1500.00\", \"currency\": \"KZT\"}` \
                       (decimal strings only); errors are RFC 9457 problem documents with a stable `code`.",
        license(name = "Apache-2.0")
    ),
    tags(
        (name = "auth", description = "Login with a second factor, first access, passwords"),
        (name = "me", description = "The signed-in user"),
        (name = "users", description = "The partner's users (full access)"),
        (name = "api-keys", description = "Keys of the partner's integrations (full access)"),
        (name = "accounts", description = "Accounts and balances"),
        (name = "payments", description = "Payment documents and their confirmation with one code"),
        (name = "directories", description = "Reference directories: KNP, KBK, KBe, banks of Kazakhstan and abroad"),
        (name = "rates", description = "The bank's FX rates in force and their history, with the National Bank's official rates"),
        (name = "gateway", description = "The interbank gateway's callbacks under /api/gateway/v1 (the gateway's key only)"),
        (name = "pos", description = "POS terminals, their card operations and planned credits"),
        (name = "messages", description = "The bank's notices and the marketplace's reconciliation reports"),
        (name = "audit", description = "The partner's audit trail (full access)"),
        (name = "admin", description = "The bank operator API under /api/admin/v1 (bank operators only)"),
    ),
    components(schemas(error::ProblemDto, error::FieldErrorDto, money::MoneyDto, money::MoneyInput))
)]
struct ApiDoc;

/// The partner API routes, nested under `/api/v1`, with their OpenAPI operations. Routes are
/// added only through `routes!`, which registers the handler and its operation together, so the
/// document cannot miss a route (a test in tiyn-server checks the assembled app as well).
pub fn api_router() -> OpenApiRouter<ApiState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::login_confirm))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::activation))
        .routes(routes!(auth::activation_confirm))
        .routes(routes!(auth::recovery))
        .routes(routes!(auth::recovery_confirm))
        .routes(routes!(auth::change_password))
        .routes(routes!(users::me))
        .routes(routes!(users::lost_access))
        .routes(routes!(means::list_markers, means::enrol_marker))
        .routes(routes!(means::activate_marker))
        .routes(routes!(means::revoke_marker))
        .routes(routes!(means::list_devices, means::register_device))
        .routes(routes!(means::revoke_device))
        .routes(routes!(means::list_api_keys, means::issue_api_key))
        .routes(routes!(means::revoke_api_key))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user, users::patch_user))
        .routes(routes!(users::user_changes))
        .routes(routes!(users::block_user))
        .routes(routes!(users::unblock_user))
        .routes(routes!(users::schedule_suspension))
        .routes(routes!(accounts::list_accounts))
        .routes(routes!(accounts::get_account))
        .routes(routes!(statements::account_statement))
        .routes(routes!(rules::account_restrictions))
        .routes(routes!(payments::list_payments, payments::create_payment))
        .routes(routes!(payments::get_payment, payments::patch_payment, payments::delete_payment))
        .routes(routes!(receipts::payment_receipt))
        .routes(routes!(templates::list_templates, templates::create_template))
        .routes(routes!(templates::delete_template))
        .routes(routes!(templates::create_payment_from_template))
        .routes(routes!(import::import_payments))
        .routes(routes!(payments::open_signing))
        .routes(routes!(payments::confirm_signing))
        .routes(routes!(rates::rates))
        .routes(routes!(rates::rate_history))
        .routes(routes!(conversions::quote))
        .routes(routes!(directories::search))
        .routes(routes!(audit::list_audit))
        .routes(routes!(pos::list_terminals))
        .routes(routes!(pos::list_transactions))
        .routes(routes!(pos::planned_credits))
        // Notices and marketplace reports (issue 6, R-3.1.2.8).
        .routes(routes!(messages::list_messages))
        .routes(routes!(messages::list_reports))
        .routes(routes!(messages::get_report));
    let gateway = OpenApiRouter::new()
        .routes(routes!(gateway::status))
        .routes(routes!(gateway::incoming))
        .routes(routes!(pos::register_terminal))
        .routes(routes!(pos::ingest_operations))
        .routes(routes!(pos::settle))
        // Notices and marketplace reports (issue 6, R-3.1.2.8).
        .routes(routes!(messages::ingest_report))
        // Marketplace payouts in planned credits (issue 6, R-3.1.2.5).
        .routes(routes!(marketplace::credit_payout));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(API_V1_PREFIX, v1)
        .nest(GATEWAY_V1_PREFIX, gateway)
        .nest(admin::ADMIN_V1_PREFIX, admin::admin_router())
}

/// The API router with its state, and its OpenAPI document (the server may add its own operational
/// routes to the document before serving it).
pub fn routes(state: ApiState) -> (Router, OpenApiDocument) {
    let (router, document) = api_router().split_for_parts();
    (router.with_state(state), document)
}
