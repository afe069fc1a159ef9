//! Shared by the HTTP tests: a real store, seeded with the demo, and the application built as a
//! function. The store is SQLite in a temporary directory, or a fresh PostgreSQL database when
//! `TIYN_TEST_BACKEND=postgres` (`scripts/test` runs these tests once on each backend).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use tiyn_backend::{DatabaseLocation, open_store};
use tiyn_server::app::{AppState, build_app};
use tiyn_server::demo::{self, Demo};
use tiyn_server::metered::MeteredStore;
use tiyn_server::metrics::Metrics;
use tiyn_store::Store;
use tower::ServiceExt;

pub struct TestApp {
    pub app: Router,
    pub store: Arc<dyn Store>,
    pub demo: Demo,
    pub metrics: Arc<Metrics>,
    pub _dir: tempfile::TempDir,
}

pub fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_767_225_600).expect("2026-01-01")
}

pub fn state(
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    demo_partner: Option<tiyn_core::PartnerId>,
    tls: bool,
) -> AppState {
    AppState {
        store,
        metrics,
        demo_partner,
        tls,
        request_body_bytes_max: 64 * 1024,
        request_timeout: Duration::from_secs(10),
    }
}

/// Environment variable choosing the backend of the HTTP tests: `sqlite` (default) or `postgres`.
pub const TEST_BACKEND_ENV: &str = "TIYN_TEST_BACKEND";

/// Where a test's database lives: a file in `dir`, or a fresh PostgreSQL database (a throwaway
/// cluster unless `TIYN_TEST_DATABASE_URL` names a server).
pub async fn test_location(dir: &std::path::Path) -> DatabaseLocation {
    match std::env::var(TEST_BACKEND_ENV).as_deref() {
        Err(_) | Ok("") | Ok("sqlite") => DatabaseLocation::Sqlite(dir.join("tiyn.db")),
        Ok("postgres") => {
            let url = tokio::task::spawn_blocking(tiyn_store_postgres::cluster::fresh_test_database)
                .await
                .expect("joined")
                .expect("a PostgreSQL test database");
            DatabaseLocation::Postgres(url)
        }
        Ok(other) => panic!("{TEST_BACKEND_ENV}={other:?}: expected sqlite or postgres"),
    }
}

/// The app over a seeded store; `demo_mode` decides whether requests act as partner 1.
pub async fn test_app(demo_mode: bool) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let metrics = Arc::new(Metrics::new());
    let raw = open_store(&test_location(dir.path()).await).await.expect("open the test store");
    let store: Arc<dyn Store> = Arc::new(MeteredStore::new(raw, metrics.clone()));
    let demo = demo::seed(store.as_ref(), now()).await.expect("seed");
    let partner = demo_mode.then_some(demo.partner);
    let app = build_app(state(store.clone(), metrics.clone(), partner, false));
    TestApp { app, store, demo, metrics, _dir: dir }
}

pub async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone().oneshot(request).await.expect("infallible")
}

pub async fn get(app: &Router, uri: &str) -> Response<Body> {
    send(app, Request::get(uri).body(Body::empty()).expect("request")).await
}

pub async fn body_text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

pub async fn body_json(response: Response<Body>) -> serde_json::Value {
    serde_json::from_str(&body_text(response).await).expect("json")
}

pub fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|value| value.to_str().ok())
}
