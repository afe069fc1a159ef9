//! The cabinet: server-rendered pages for people, in ru, kk and en.
//!
//! Pages are rendered by askama templates (checked at compile time) from display rows built here;
//! htmx, served from our own static files, refreshes parts of a page. There is no inline script
//! or style anywhere, so the Content-Security-Policy needs no `unsafe-inline`. The cabinet reads
//! data through `tiyn_api::access`, the same tenant-isolation gate the JSON API uses.

pub mod format;
pub mod i18n;
pub mod lang;
pub mod pages;
pub mod static_files;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use tiyn_store::Store;

pub use lang::PageLang;

#[derive(Clone)]
pub struct WebState {
    pub store: Arc<dyn Store>,
    /// Shows the demo badge.
    pub demo: bool,
}

/// The cabinet's routes.
pub fn routes(state: WebState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/accounts", get(pages::accounts))
        .route("/accounts/table", get(pages::accounts_table))
        .route("/static/{file}", get(static_files::serve))
        .with_state(state)
}

/// The page for a path no route serves, in the request's language.
pub fn not_found(query: Option<&str>, headers: &HeaderMap, demo: bool) -> Response {
    pages::not_found(PageLang::from_headers(query, headers), demo)
}
