//! Counters and a latency histogram, rendered as Prometheus text.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use sotto_shared::wire::relay::ErrorCode;

/// Upper bounds of the request latency buckets, in seconds.
const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// The shim's metrics. Cheap to update from any task.
#[derive(Debug, Default)]
pub struct Metrics {
    pub(crate) connections: AtomicI64,
    pub(crate) stored: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) acked: AtomicU64,
    pub(crate) expired: AtomicU64,
    pub(crate) slow_disconnects: AtomicU64,
    pub(crate) idle_queues_deleted: AtomicU64,
    errors: [AtomicU64; ErrorCode::ALL.len()],
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
}

impl Metrics {
    pub(crate) fn error(&self, code: ErrorCode) {
        let i = ErrorCode::ALL
            .iter()
            .position(|c| *c == code)
            .expect("ALL lists every code");
        self.errors[i].fetch_add(1, Relaxed);
    }

    pub(crate) fn observe(&self, latency: Duration) {
        let secs = latency.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.latency_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Relaxed);
        self.latency_sum_us.fetch_add(
            u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            Relaxed,
        );
    }

    /// Prometheus text exposition; `queues` is read from the store at scrape time.
    #[must_use]
    pub fn render(&self, queues: u64) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "sotto_connections",
            "gauge",
            "Open relay WebSockets.",
            self.connections.load(Relaxed).to_string(),
        );
        metric(
            "sotto_queues",
            "gauge",
            "Queues in the store.",
            queues.to_string(),
        );
        metric(
            "sotto_messages_stored_total",
            "counter",
            "Messages stored durably.",
            self.stored.load(Relaxed).to_string(),
        );
        metric(
            "sotto_messages_delivered_total",
            "counter",
            "Messages pushed to subscribers.",
            self.delivered.load(Relaxed).to_string(),
        );
        metric(
            "sotto_messages_acked_total",
            "counter",
            "Messages acknowledged and deleted.",
            self.acked.load(Relaxed).to_string(),
        );
        metric(
            "sotto_messages_expired_total",
            "counter",
            "Messages deleted unacknowledged after their TTL.",
            self.expired.load(Relaxed).to_string(),
        );
        metric(
            "sotto_slow_client_disconnects_total",
            "counter",
            "Clients disconnected for not reading.",
            self.slow_disconnects.load(Relaxed).to_string(),
        );
        metric(
            "sotto_idle_queues_deleted_total",
            "counter",
            "Queues deleted after going unused for --queue-idle-secs.",
            self.idle_queues_deleted.load(Relaxed).to_string(),
        );
        let _ = writeln!(
            out,
            "# HELP sotto_errors_total Error replies by code.\n# TYPE sotto_errors_total counter"
        );
        for (code, n) in ErrorCode::ALL.iter().zip(&self.errors) {
            let _ = writeln!(
                out,
                "sotto_errors_total{{code=\"{}\"}} {}",
                code.as_str(),
                n.load(Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP sotto_request_seconds Time from a request's arrival to its reply.\n# TYPE sotto_request_seconds histogram"
        );
        for (bound, n) in BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "sotto_request_seconds_bucket{{le=\"{bound}\"}} {}",
                n.load(Relaxed)
            );
        }
        let count = self.latency_count.load(Relaxed);
        let _ = writeln!(out, "sotto_request_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "sotto_request_seconds_sum {}",
            self.latency_sum_us.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "sotto_request_seconds_count {count}");
        out
    }
}
