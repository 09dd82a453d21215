//! What `sampark loadgen` reads about a process from `/proc` (Linux): CPU
//! time, threads and peak memory. CPU time is the figure that noise on a
//! shared machine moves least: a server slowed down by a neighbour answers
//! later, but spends the same CPU per webhook.
//!
//! `/proc/<pid>/stat` sums every thread of the process, those still running
//! and those already gone (proc(5): "utime … stime …" of the thread group),
//! so the database's worker threads and tokio's blocking pool are counted.

use std::time::Duration;

/// The figures of one reading of `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Time in user mode, in clock ticks.
    pub utime: u64,
    /// Time in kernel mode, in clock ticks.
    pub stime: u64,
    /// Threads in the process at the time of reading.
    pub threads: u64,
}

impl ProcStat {
    /// User plus kernel time, in clock ticks.
    pub fn ticks(&self) -> u64 {
        self.utime + self.stime
    }
}

/// Parses the one line of `/proc/<pid>/stat`. The second field, the
/// command name in parentheses, may itself hold spaces and parentheses
/// (a thread can name itself `a) b (c`), so the fields are counted from
/// the *last* closing parenthesis, as proc(5) advises.
pub fn parse_stat(line: &str) -> Option<ProcStat> {
    let (_, after_comm) = line.rsplit_once(')')?;
    // Fields from the third on (`state`); proc(5) numbers them from 1.
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
    Some(ProcStat { utime: field(14)?, stime: field(15)?, threads: field(20)? })
}

/// Reads `/proc/<pid>/stat`; `None` when the process is gone or this is
/// not Linux.
pub fn read_stat(pid: u32) -> Option<ProcStat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Clock ticks per second, the unit of `utime` and `stime`
/// (`sysconf(_SC_CLK_TCK)`: 100 on Linux).
pub fn ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

/// CPU spent between two readings, divided over `requests`; `None` without
/// requests, or when the second reading is older than the first (another
/// process took the id).
pub fn cpu_per_request(before: ProcStat, after: ProcStat, ticks_per_second: u64, requests: usize) -> Option<Duration> {
    let ticks = after.ticks().checked_sub(before.ticks())?;
    if requests == 0 || ticks_per_second == 0 {
        return None;
    }
    let nanos = u128::from(ticks) * 1_000_000_000 / (u128::from(ticks_per_second) * requests as u128);
    Some(Duration::from_nanos(u64::try_from(nanos).ok()?))
}

/// A process's peak resident memory (`VmHWM`), in kB, on Linux.
pub fn peak_memory_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as Linux 6 writes it, for a process named `tokio (rt) worker`.
    const LINE: &str = "4242 (tokio (rt) worker) S 1 4242 4242 0 -1 4194560 2310 0 0 0 \
        1234 567 0 0 20 0 17 0 98765 123456789 4321 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";

    #[test]
    fn stat_fields_are_counted_after_the_last_parenthesis_of_the_name() {
        let stat = parse_stat(LINE).unwrap();
        assert_eq!(stat, ProcStat { utime: 1234, stime: 567, threads: 17 });
        assert_eq!(stat.ticks(), 1801);
    }

    #[test]
    fn a_name_with_spaces_and_a_lone_closing_parenthesis_still_parses() {
        let line = LINE.replace("(tokio (rt) worker)", "(a) b ) c)");
        assert_eq!(parse_stat(&line).unwrap().utime, 1234);
    }

    #[test]
    fn a_truncated_or_garbled_line_is_none() {
        assert_eq!(parse_stat("4242 (sampark) S 1 2 3"), None);
        assert_eq!(parse_stat("no parenthesis at all"), None);
        assert_eq!(parse_stat(&LINE.replace(" 1234 ", " lots ")), None);
    }

    #[test]
    fn our_own_process_reads_with_at_least_one_thread() {
        let stat = read_stat(std::process::id()).expect("this is Linux");
        assert!(stat.threads >= 1);
        assert!(ticks_per_second() > 0);
    }

    #[test]
    fn cpu_per_request_divides_the_ticks_between_readings_by_the_requests() {
        let before = ProcStat { utime: 1_000, stime: 200, threads: 9 };
        let after = ProcStat { utime: 1_450, stime: 350, threads: 11 };
        // 600 ticks at 100 a second = 6 s, over 27,000 webhooks.
        let each = cpu_per_request(before, after, 100, 27_000).unwrap();
        assert_eq!(each, Duration::from_nanos(222_222));
        assert_eq!(cpu_per_request(before, after, 1000, 3).unwrap(), Duration::from_millis(200));
    }

    #[test]
    fn cpu_per_request_is_none_without_requests_or_when_time_went_backwards() {
        let stat = ProcStat { utime: 10, stime: 10, threads: 1 };
        assert_eq!(cpu_per_request(stat, stat, 100, 0), None);
        assert_eq!(cpu_per_request(ProcStat { utime: 11, ..stat }, stat, 100, 5), None);
        assert_eq!(cpu_per_request(stat, stat, 100, 5), Some(Duration::ZERO));
    }
}
