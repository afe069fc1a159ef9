//! The composition root: settings, telemetry, the HTTP application (API + cabinet + operations),
//! TLS, metrics and the demo. The storage backend is chosen here, once (through `tiyn_backend`); everything
//! else sees `Arc<dyn Store>`.

pub mod app;
pub mod audit;
pub mod demo;
pub mod directories;
pub mod gateway_http;
pub mod metrics;
pub mod payments;
pub mod secrets;
pub mod server;
pub mod settings;
pub mod telemetry;

pub use app::{AppState, build_app};
pub use server::{ServeError, serve};
pub use settings::{ServeArgs, Settings};
