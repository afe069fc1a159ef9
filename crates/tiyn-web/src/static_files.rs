//! Our own static files, embedded in the binary: nothing is loaded from a CDN, and the server
//! needs no files beside it.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Browsers may reuse a static file for a day without asking. Files are small; a release that
/// changes them is picked up the next day at the latest (or at once on a reload).
pub const STATIC_MAX_AGE_SECONDS: u32 = 24 * 60 * 60;

pub struct StaticFile {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

pub const FILES: &[StaticFile] = &[
    StaticFile {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../static/style.css"),
    },
    StaticFile {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/htmx.min.js"),
    },
    StaticFile {
        name: "quote.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/quote.js"),
    },
    StaticFile {
        name: "print.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/print.js"),
    },
    StaticFile {
        name: "lookup.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/lookup.js"),
    },
    StaticFile {
        name: "download.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/download.js"),
    },
    StaticFile { name: "favicon.svg", content_type: "image/svg+xml", bytes: include_bytes!("../static/favicon.svg") },
];

pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(file) = FILES.iter().find(|file| file.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache_control = format!("public, max-age={STATIC_MAX_AGE_SECONDS}");
    let mut response = file.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    if let Ok(value) = HeaderValue::from_str(&cache_control) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    response
}
