//! Prometheus metrics in the text exposition format, hand-rolled: three families do not justify a
//! metrics framework. Labels are bounded: the route is the matched route template (never the raw
//! path, which carries ids), and methods outside the standard set count as `OTHER`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in microseconds (1 ms … 10 s): requests served from the
/// database take a few milliseconds, statement exports seconds.
const LATENCY_BUCKETS_MICROS: [u64; 12] =
    [1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000];

/// The label for requests that matched no route: their paths are unbounded, so they share one.
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Debug, Default)]
struct Histogram {
    /// Non-cumulative counts per bucket, plus one for "above the last bound".
    buckets: [u64; LATENCY_BUCKETS_MICROS.len() + 1],
    sum_micros: u128,
    count: u64,
}

/// How a ledger command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerOutcome {
    Executed,
    Replayed,
    Refused,
    Failed,
}

impl LedgerOutcome {
    const ALL: [LedgerOutcome; 4] =
        [LedgerOutcome::Executed, LedgerOutcome::Replayed, LedgerOutcome::Refused, LedgerOutcome::Failed];

    fn label(self) -> &'static str {
        match self {
            LedgerOutcome::Executed => "executed",
            LedgerOutcome::Replayed => "replayed",
            LedgerOutcome::Refused => "refused",
            LedgerOutcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// (method, route, status) → count.
    requests: Mutex<BTreeMap<(&'static str, String, u16), u64>>,
    /// route → latency histogram.
    latency: Mutex<BTreeMap<String, Histogram>>,
    ledger: [AtomicU64; 4],
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    pub fn record_request(&self, method: &str, route: &str, status: u16, latency: Duration) {
        let method = normalize_method(method);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((method, route.to_owned(), status)).or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let histogram = latency.entry(route.to_owned()).or_default();
            let bucket = LATENCY_BUCKETS_MICROS
                .iter()
                .position(|bound| micros <= *bound)
                .unwrap_or(LATENCY_BUCKETS_MICROS.len());
            histogram.buckets[bucket] += 1;
            histogram.sum_micros += u128::from(micros);
            histogram.count += 1;
        }
    }

    pub fn record_ledger(&self, outcome: LedgerOutcome) {
        let index = LedgerOutcome::ALL.iter().position(|known| *known == outcome).unwrap_or(0);
        self.ledger[index].fetch_add(1, Ordering::Relaxed);
    }

    pub fn ledger_count(&self, outcome: LedgerOutcome) -> u64 {
        let index = LedgerOutcome::ALL.iter().position(|known| *known == outcome).unwrap_or(0);
        self.ledger[index].load(Ordering::Relaxed)
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP tiyn_http_requests_total HTTP requests answered, by method, route and status.\n");
        out.push_str("# TYPE tiyn_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), count) in requests.iter() {
                let _ = writeln!(
                    out,
                    "tiyn_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP tiyn_http_request_duration_seconds Time to answer an HTTP request, by route.\n");
        out.push_str("# TYPE tiyn_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, histogram) in latency.iter() {
                let route = escape(route);
                let mut cumulative = 0;
                for (bound, count) in LATENCY_BUCKETS_MICROS.iter().zip(histogram.buckets.iter()) {
                    cumulative += count;
                    let _ = writeln!(
                        out,
                        "tiyn_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{}\"}} {cumulative}",
                        seconds(u128::from(*bound))
                    );
                }
                let _ = writeln!(
                    out,
                    "tiyn_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    histogram.count
                );
                let _ = writeln!(
                    out,
                    "tiyn_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    seconds(histogram.sum_micros)
                );
                let _ =
                    writeln!(out, "tiyn_http_request_duration_seconds_count{{route=\"{route}\"}} {}", histogram.count);
            }
        }
        out.push_str("# HELP tiyn_ledger_commands_total Ledger commands, by outcome (refused: the ledger said no; failed: storage error).\n");
        out.push_str("# TYPE tiyn_ledger_commands_total counter\n");
        for outcome in LedgerOutcome::ALL {
            let _ = writeln!(
                out,
                "tiyn_ledger_commands_total{{outcome=\"{}\"}} {}",
                outcome.label(),
                self.ledger_count(outcome)
            );
        }
        out
    }
}

/// Microseconds as a decimal number of seconds, without floats: `1500` → `0.0015`.
fn seconds(micros: u128) -> String {
    let fraction = format!("{:06}", micros % 1_000_000);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() { format!("{}", micros / 1_000_000) } else { format!("{}.{fraction}", micros / 1_000_000) }
}

fn normalize_method(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_histograms() {
        let metrics = Metrics::new();
        metrics.record_request("GET", "/api/v1/accounts", 200, Duration::from_micros(1_500));
        metrics.record_request("GET", "/api/v1/accounts", 200, Duration::from_secs(20));
        metrics.record_request("BREW", UNMATCHED_ROUTE, 404, Duration::from_micros(10));
        metrics.record_ledger(LedgerOutcome::Executed);
        let text = metrics.render();
        assert!(
            text.contains("tiyn_http_requests_total{method=\"GET\",route=\"/api/v1/accounts\",status=\"200\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("tiyn_http_requests_total{method=\"OTHER\",route=\"unmatched\",status=\"404\"} 1\n"));
        assert!(
            text.contains("tiyn_http_request_duration_seconds_bucket{route=\"/api/v1/accounts\",le=\"0.001\"} 0\n")
        );
        assert!(
            text.contains("tiyn_http_request_duration_seconds_bucket{route=\"/api/v1/accounts\",le=\"0.005\"} 1\n")
        );
        assert!(text.contains("tiyn_http_request_duration_seconds_bucket{route=\"/api/v1/accounts\",le=\"10\"} 1\n"));
        assert!(text.contains("tiyn_http_request_duration_seconds_bucket{route=\"/api/v1/accounts\",le=\"+Inf\"} 2\n"));
        assert!(text.contains("tiyn_http_request_duration_seconds_sum{route=\"/api/v1/accounts\"} 20.0015\n"));
        assert!(text.contains("tiyn_ledger_commands_total{outcome=\"executed\"} 1\n"));
        assert!(text.contains("tiyn_ledger_commands_total{outcome=\"failed\"} 0\n"));
    }
}
