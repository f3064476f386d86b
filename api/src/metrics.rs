//! Prometheus metrics in the text exposition format: requests by route and status, and latency
//! by route as a histogram. Pure (the server records, `/metrics` renders), tested natively.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds (seconds) of the latency buckets: search should land in the first few.
const BUCKETS: [f64; 9] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 2.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

#[derive(Default)]
struct Histogram {
    /// Requests at or under each bound (cumulative, as Prometheus wants them).
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Metrics {
    /// One request answered: its route (the matched path, so ids never make new series), status
    /// and duration.
    pub fn observe(&self, route: &str, status: u16, seconds: f64) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        *inner
            .requests
            .entry((route.to_owned(), status))
            .or_default() += 1;
        let histogram = inner.latency.entry(route.to_owned()).or_default();
        for (bucket, bound) in histogram.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// The text `/metrics` answers, with the serving version as an info metric.
    pub fn render(&self, version: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP meshmap_api_info The version this process serves."
        );
        let _ = writeln!(out, "# TYPE meshmap_api_info gauge");
        let _ = writeln!(out, "meshmap_api_info{{version={}}} 1", label(version));
        let Ok(inner) = self.inner.lock() else {
            return out;
        };
        let _ = writeln!(
            out,
            "# HELP meshmap_api_requests_total Requests answered, by route and status."
        );
        let _ = writeln!(out, "# TYPE meshmap_api_requests_total counter");
        for ((route, status), count) in &inner.requests {
            let _ = writeln!(
                out,
                "meshmap_api_requests_total{{route={},status=\"{status}\"}} {count}",
                label(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP meshmap_api_request_duration_seconds Time to answer, by route."
        );
        let _ = writeln!(out, "# TYPE meshmap_api_request_duration_seconds histogram");
        for (route, histogram) in &inner.latency {
            let route = label(route);
            for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
                let _ = writeln!(out, "meshmap_api_request_duration_seconds_bucket{{route={route},le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(
                out,
                "meshmap_api_request_duration_seconds_bucket{{route={route},le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "meshmap_api_request_duration_seconds_sum{{route={route}}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "meshmap_api_request_duration_seconds_count{{route={route}}} {}",
                histogram.count
            );
        }
        out
    }
}

/// A label value, quoted and escaped as the exposition format wants.
fn label(value: &str) -> String {
    let escaped = value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_latency_are_counted_by_route() {
        let metrics = Metrics::default();
        metrics.observe("/api/search", 200, 0.004);
        metrics.observe("/api/search", 200, 0.030);
        metrics.observe("/api/search", 400, 0.0005);
        let text = metrics.render("1.2.0-canary");
        assert!(
            text.contains("meshmap_api_info{version=\"1.2.0-canary\"} 1"),
            "{text}"
        );
        assert!(text.contains("meshmap_api_requests_total{route=\"/api/search\",status=\"200\"} 2"));
        assert!(text.contains("meshmap_api_requests_total{route=\"/api/search\",status=\"400\"} 1"));
        // Cumulative buckets: 1 under 1 ms, 2 under 5 ms, 3 under 50 ms.
        assert!(text.contains(
            "meshmap_api_request_duration_seconds_bucket{route=\"/api/search\",le=\"0.001\"} 1"
        ));
        assert!(text.contains(
            "meshmap_api_request_duration_seconds_bucket{route=\"/api/search\",le=\"0.005\"} 2"
        ));
        assert!(text.contains(
            "meshmap_api_request_duration_seconds_bucket{route=\"/api/search\",le=\"0.05\"} 3"
        ));
        assert!(
            text.contains("meshmap_api_request_duration_seconds_count{route=\"/api/search\"} 3")
        );
        assert_eq!(label("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
