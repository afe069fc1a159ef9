//! Logs: `tracing` events to stderr (stdout carries only the bound URL), pretty or JSON lines,
//! level from `RUST_LOG` (default `info`). What is logged is decided where requests are observed
//! (`app::observe`): method, route, path, status, latency, request id — never headers or bodies.

use tracing_subscriber::EnvFilter;

use crate::settings::LogFormat;

/// Installs the global subscriber. Call once, at start; a second call is ignored.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Pretty => builder.compact().try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
    // Already installed (tests, or a second serve in one process): keep the first.
    drop(result);
}
