//! The figures `sampark loadgen` prints: one column for Sampark, one for
//! the bare hyper server, and Sampark's as a ratio of the bare server's; as
//! a table, or as JSON for scripts (`--json`).

use std::{io::Write, time::Duration};

use serde::Serialize;

use super::{
    LoadReport,
    process::{ProcStat, cpu_per_request},
};

/// One server's figures over its measured window.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub calls: usize,
    pub webhooks: usize,
    pub errors: usize,
    pub seconds: f64,
    pub calls_per_second: f64,
    pub webhooks_per_second: f64,
    pub latency_ms: Latency,
    /// The server's utime + stime over the window, per webhook answered.
    pub server_cpu_ms_per_webhook: Option<f64>,
    /// The server's threads at the end of the window.
    pub server_threads: Option<u64>,
    /// The server's peak resident memory (VmHWM) over its whole life.
    pub server_peak_memory_mb: Option<f64>,
    /// The load generator's own CPU over the window, per webhook answered:
    /// when it nears the bare server's, the generator may be what capped it.
    pub loadgen_cpu_ms_per_webhook: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// `/proc` readings at the start and end of a window.
pub type Readings = Option<(ProcStat, ProcStat)>;

impl Figures {
    pub fn new(report: &LoadReport, server: Readings, loadgen: Readings, peak_kb: Option<u64>, ticks: u64) -> Self {
        let per_webhook = |readings: Readings| {
            readings.and_then(|(before, after)| cpu_per_request(before, after, ticks, report.answered())).map(millis)
        };
        Self {
            calls: report.calls_completed,
            webhooks: report.webhooks,
            errors: report.errors,
            seconds: report.elapsed.as_secs_f64(),
            calls_per_second: report.calls_per_second(),
            webhooks_per_second: report.webhooks_per_second(),
            latency_ms: Latency {
                p50: millis(report.percentile(0.5)),
                p99: millis(report.percentile(0.99)),
                max: millis(report.percentile(1.0)),
            },
            server_cpu_ms_per_webhook: per_webhook(server),
            server_threads: server.map(|(_, after)| after.threads),
            server_peak_memory_mb: peak_kb.map(|kb| kb as f64 / 1024.0),
            loadgen_cpu_ms_per_webhook: per_webhook(loadgen),
        }
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Sampark's figures divided by the bare server's.
#[derive(Debug, Clone, Serialize)]
pub struct Ratios {
    pub throughput: Option<f64>,
    pub server_cpu_per_webhook: Option<f64>,
    pub latency_p50: Option<f64>,
    pub latency_p99: Option<f64>,
    pub peak_memory: Option<f64>,
}

fn ratio(ours: Option<f64>, bare: Option<f64>) -> Option<f64> {
    let (ours, bare) = (ours?, bare?);
    (bare > 0.0).then(|| ours / bare)
}

/// A whole run: how it was played, both columns and the ratios.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub calls: usize,
    pub concurrency: usize,
    pub warmup_calls: usize,
    pub webhooks_per_call: usize,
    pub signed: bool,
    pub clock_ticks_per_second: u64,
    pub sampark: Figures,
    pub bare_hyper: Figures,
    pub sampark_over_bare: Ratios,
}

impl Comparison {
    pub fn ratios(sampark: &Figures, bare: &Figures) -> Ratios {
        Ratios {
            throughput: ratio(Some(sampark.webhooks_per_second), Some(bare.webhooks_per_second)),
            server_cpu_per_webhook: ratio(sampark.server_cpu_ms_per_webhook, bare.server_cpu_ms_per_webhook),
            latency_p50: ratio(Some(sampark.latency_ms.p50), Some(bare.latency_ms.p50)),
            latency_p99: ratio(Some(sampark.latency_ms.p99), Some(bare.latency_ms.p99)),
            peak_memory: ratio(sampark.server_peak_memory_mb, bare.server_peak_memory_mb),
        }
    }

    /// The table: a row per figure, Sampark | bare hyper | ratio.
    pub fn write_table(&self, out: &mut impl Write) -> std::io::Result<()> {
        let (s, b, r) = (&self.sampark, &self.bare_hyper, &self.sampark_over_bare);
        writeln!(
            out,
            "{} whole calls of the default flow ({} webhooks each, signed: {}), {} at a time, after {} warm-up calls",
            self.calls,
            self.webhooks_per_call,
            if self.signed { "yes" } else { "no" },
            self.concurrency,
            self.warmup_calls
        )?;
        writeln!(out, "{:<30}{:>14}{:>14}{:>12}", "", "sampark", "bare hyper", "ratio")?;
        let rows: [(&str, String, String, Option<f64>); 11] = [
            ("calls/s", num(s.calls_per_second, 1), num(b.calls_per_second, 1), None),
            ("webhooks/s", num(s.webhooks_per_second, 0), num(b.webhooks_per_second, 0), r.throughput),
            ("latency p50 (ms)", num(s.latency_ms.p50, 2), num(b.latency_ms.p50, 2), r.latency_p50),
            ("latency p99 (ms)", num(s.latency_ms.p99, 2), num(b.latency_ms.p99, 2), r.latency_p99),
            ("latency max (ms)", num(s.latency_ms.max, 2), num(b.latency_ms.max, 2), None),
            ("errors", s.errors.to_string(), b.errors.to_string(), None),
            (
                "server CPU per webhook (ms)",
                opt(s.server_cpu_ms_per_webhook, 3),
                opt(b.server_cpu_ms_per_webhook, 3),
                r.server_cpu_per_webhook,
            ),
            ("server threads", opt_int(s.server_threads), opt_int(b.server_threads), None),
            (
                "server peak memory (MB)",
                opt(s.server_peak_memory_mb, 1),
                opt(b.server_peak_memory_mb, 1),
                r.peak_memory,
            ),
            (
                "loadgen CPU per webhook (ms)",
                opt(s.loadgen_cpu_ms_per_webhook, 3),
                opt(b.loadgen_cpu_ms_per_webhook, 3),
                None,
            ),
            ("window (s)", num(s.seconds, 2), num(b.seconds, 2), None),
        ];
        for (name, ours, bare, ratio) in rows {
            let ratio = ratio.map(|x| format!("{x:.2}x")).unwrap_or_default();
            writeln!(out, "{name:<30}{ours:>14}{bare:>14}{ratio:>12}")?;
        }
        Ok(())
    }
}

fn num(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| num(v, decimals))
}

fn opt_int(value: Option<u64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(webhooks: usize, errors: usize, millis: &[u64]) -> LoadReport {
        LoadReport {
            calls_completed: webhooks / 9,
            webhooks,
            errors,
            elapsed: Duration::from_secs(2),
            latencies: millis.iter().map(|m| Duration::from_millis(*m)).collect(),
        }
    }

    fn readings(ticks: u64, threads: u64) -> Readings {
        Some((ProcStat { utime: 500, stime: 100, threads }, ProcStat { utime: 500 + ticks, stime: 100, threads }))
    }

    #[test]
    fn cpu_is_divided_by_the_webhooks_answered_not_those_that_failed() {
        // 90 ticks = 0.9 s over 900 answered (910 sent, 10 failed): 1 ms each.
        let figures = Figures::new(&report(910, 10, &[1, 2, 3]), readings(90, 12), readings(9, 3), Some(20_480), 100);
        assert_eq!(figures.server_cpu_ms_per_webhook, Some(1.0));
        assert_eq!(figures.loadgen_cpu_ms_per_webhook, Some(0.1));
        assert_eq!((figures.server_threads, figures.server_peak_memory_mb), (Some(12), Some(20.0)));
        assert_eq!(figures.webhooks_per_second, 455.0);
        assert_eq!((figures.latency_ms.p50, figures.latency_ms.max), (2.0, 3.0));
    }

    #[test]
    fn ratios_divide_ours_by_the_bare_servers_and_skip_what_is_missing() {
        let ours = Figures::new(&report(900, 0, &[10, 20]), readings(54, 9), None, None, 100);
        let bare = Figures::new(&report(9000, 0, &[1, 2]), readings(27, 3), None, Some(4096), 100);
        let ratios = Comparison::ratios(&ours, &bare);
        assert_eq!(ratios.throughput, Some(0.1));
        // 0.6 ms against 0.03 ms.
        assert!((ratios.server_cpu_per_webhook.unwrap() - 20.0).abs() < 1e-9);
        assert_eq!((ratios.latency_p50, ratios.peak_memory), (Some(10.0), None));
    }

    #[test]
    fn the_table_says_n_a_for_what_was_not_measured() {
        let ours = Figures::new(&report(900, 0, &[10]), None, readings(9, 2), None, 100);
        let bare = Figures::new(&report(900, 0, &[1]), readings(9, 3), readings(9, 2), Some(4096), 100);
        let comparison = Comparison {
            calls: 100,
            concurrency: 4,
            warmup_calls: 4,
            webhooks_per_call: 9,
            signed: true,
            clock_ticks_per_second: 100,
            sampark_over_bare: Comparison::ratios(&ours, &bare),
            sampark: ours,
            bare_hyper: bare,
        };
        let mut out = Vec::new();
        comparison.write_table(&mut out).unwrap();
        let table = String::from_utf8(out).unwrap();
        let cpu = table.lines().find(|l| l.starts_with("server CPU per webhook")).unwrap();
        assert_eq!(cpu.split_whitespace().skip(5).collect::<Vec<_>>(), ["n/a", "0.100"], "{table}");
        assert!(table.contains("after 4 warm-up calls"), "{table}");
    }
}
