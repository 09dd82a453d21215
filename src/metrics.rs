//! Prometheus metrics at `/metrics`: webhooks by gateway and outcome, webhook
//! latency, calls in progress, queue depth by state, claim latency, password
//! checks. No label ever carries a phone number, a call id or a user name.

use std::{sync::OnceLock, time::Duration};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds: from a fast webhook to one that has used most of its budget.
const LATENCY_BUCKETS: [f64; 14] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0];

/// Turns per group commit, up to the writer's largest group.
const GROUP_BUCKETS: [f64; 7] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

pub const WEBHOOKS: &str = "sampark_webhooks_total";
pub const WEBHOOK_SECONDS: &str = "sampark_webhook_duration_seconds";
pub const CLAIM_SECONDS: &str = "sampark_claim_duration_seconds";
pub const CALLS_IN_PROGRESS: &str = "sampark_calls_in_progress";
pub const QUEUE_WAITING: &str = "sampark_queue_waiting";
pub const SEQUENCE_JOINS: &str = "sampark_prompt_sequence_joins_total";
pub const CONNECTIONS_OPEN: &str = "sampark_connections_open";
pub const CONNECTIONS_REFUSED: &str = "sampark_connections_refused_total";
/// Turns per SQLite group commit: how much one disk flush carries.
pub const GROUP_COMMIT_TURNS: &str = "sampark_group_commit_turns";
/// Password verifications by outcome: `checked`, or `busy` (refused: every
/// turn was taken).
pub const PASSWORD_CHECKS: &str = "sampark_password_checks_total";
/// Password verifications running now (never more than the cap).
pub const PASSWORD_CHECKS_RUNNING: &str = "sampark_password_checks_running";

/// The process's metrics recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &LATENCY_BUCKETS)
            .expect("the buckets are not empty")
            .set_buckets_for_metric(Matcher::Full(GROUP_COMMIT_TURNS.to_owned()), &GROUP_BUCKETS)
            .expect("the buckets are not empty");
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (an embedding program): keep a
            // private one so /metrics still answers.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// Counts one webhook: `outcome` is `answered`, `replayed`, `failed`,
/// `rejected` (signature, secret or allow-list) or `malformed`.
pub fn webhook(gateway: &'static str, outcome: &'static str) {
    metrics::counter!(WEBHOOKS, "gateway" => gateway, "outcome" => outcome).increment(1);
}

pub fn webhook_latency(gateway: &'static str, elapsed: Duration) {
    metrics::histogram!(WEBHOOK_SECONDS, "gateway" => gateway).record(elapsed.as_secs_f64());
}

/// Counts one join of recordings into a sequence (each should be rare).
pub fn sequence_join() {
    metrics::counter!(SEQUENCE_JOINS).increment(1);
}

/// HTTP connections open now.
pub fn connections_open(open: usize) {
    metrics::gauge!(CONNECTIONS_OPEN).set(open as f64);
}

/// Counts a connection closed at once: `cap` is `total` or `peer`.
pub fn connection_refused(cap: &'static str) {
    metrics::counter!(CONNECTIONS_REFUSED, "cap" => cap).increment(1);
}

pub fn claim_latency(elapsed: Duration) {
    metrics::histogram!(CLAIM_SECONDS).record(elapsed.as_secs_f64());
}

/// One SQLite group commit of `turns` turns.
pub fn group_commit(turns: usize) {
    metrics::histogram!(GROUP_COMMIT_TURNS).record(turns as f64);
}
