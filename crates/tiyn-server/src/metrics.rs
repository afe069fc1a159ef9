//! Prometheus metrics in the text exposition format, hand-rolled: three families do not justify a
//! metrics framework. Labels are bounded: the route is the matched route template (never the raw
//! path, which carries ids), and methods outside the standard set count as `OTHER`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use tiyn_store::batch::LedgerCounts;

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

#[derive(Debug, Default)]
pub struct Metrics {
    /// (method, route, status) → count.
    requests: Mutex<BTreeMap<(&'static str, String, u16), u64>>,
    /// route → latency histogram.
    latency: Mutex<BTreeMap<String, Histogram>>,
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

    /// The text exposition format (version 0.0.4), with the store's ledger counts (the store's
    /// writer counts every command, whoever executes it).
    pub fn render(&self, ledger: LedgerCounts) -> String {
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
        for (outcome, count) in [
            ("executed", ledger.executed),
            ("replayed", ledger.replayed),
            ("refused", ledger.refused),
            ("failed", ledger.failed),
        ] {
            let _ = writeln!(out, "tiyn_ledger_commands_total{{outcome=\"{outcome}\"}} {count}");
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
        let text = metrics.render(LedgerCounts { executed: 1, replayed: 0, refused: 3, failed: 0 });
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
        assert!(text.contains("tiyn_ledger_commands_total{outcome=\"refused\"} 3\n"));
        assert!(text.contains("tiyn_ledger_commands_total{outcome=\"failed\"} 0\n"));
    }
}
