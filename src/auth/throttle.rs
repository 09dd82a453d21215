//! The sign-in throttle: which counters a sign-in attempt is counted under,
//! and how long a counter past its allowance must wait.
//!
//! An attempt is counted *before* its password is checked, in one
//! statement that also refuses it when the counter is past its allowance
//! ([`super::UserStore::admit_login_attempt`]), so concurrent guesses
//! cannot all pass the check. Counters are per (username, address) and per
//! address, never per username alone: strangers' failures must not lock a
//! volunteer out from elsewhere. A browser that presents a valid device
//! cookie for the user ([`super::device`]) is counted only under that
//! device, so failures from anywhere else never reach it (OWASP's "device
//! cookies").

use std::{net::IpAddr, time::Duration};

use chrono::{DateTime, Utc};

/// Attempts for one username from one address before each must wait.
pub const FREE_PER_USER_ADDRESS: u32 = 5;
/// Failed attempts from one address, for any usernames, before each must
/// wait: more than one user's allowance, as an office or a mobile carrier
/// puts many volunteers behind one address.
pub const FREE_PER_ADDRESS: u32 = 20;
/// Attempts from a known device before each must wait.
pub const FREE_PER_DEVICE: u32 = 5;

/// Past the allowance, each further attempt waits this long after the
/// previous one: 30 s, doubling, up to 15 minutes.
const WAITS: [Duration; 6] = [
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(120),
    Duration::from_secs(240),
    Duration::from_secs(480),
    Duration::from_secs(900),
];

/// A counter untouched this long starts again from zero.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// When a sign-in counter lets one more attempt through
/// ([`super::UserStore::admit_login_attempt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptLimit {
    /// Attempts let through one after another.
    pub free: u32,
    /// Past the allowance, the `k`-th further attempt goes through only if
    /// the previous one was counted at or before `cutoffs[k]` (the last
    /// cutoff holds for all later attempts).
    pub cutoffs: [DateTime<Utc>; 6],
    /// A counter untouched since then starts again from zero.
    pub forget_before: DateTime<Utc>,
}

/// What one attempt is counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counter {
    /// A browser that proved, with a device cookie, that this user signed
    /// in on it before.
    Device(String),
    UserAddress(String, IpAddr),
    Address(IpAddr),
}

impl Counter {
    /// The key the store counts under.
    pub fn key(&self) -> String {
        match self {
            Self::Device(id) => format!("device:{id}"),
            Self::UserAddress(user, ip) => format!("user:{user}@{ip}"),
            Self::Address(ip) => format!("addr:{ip}"),
        }
    }

    /// Attempts let through before each must wait.
    pub fn free(&self) -> u32 {
        match self {
            Self::Device(_) => FREE_PER_DEVICE,
            Self::UserAddress(..) => FREE_PER_USER_ADDRESS,
            Self::Address(_) => FREE_PER_ADDRESS,
        }
    }

    /// The limit the store applies to this counter at `now`.
    pub fn limit(&self, now: DateTime<Utc>) -> AttemptLimit {
        let before = |d: Duration| now - chrono::Duration::from_std(d).expect("a short duration");
        AttemptLimit { free: self.free(), cutoffs: WAITS.map(before), forget_before: before(FORGET_AFTER) }
    }

    /// How long after the last counted attempt the next may be made, when
    /// `attempts` have been counted.
    pub fn wait_after(&self, attempts: u32) -> Duration {
        match attempts.checked_sub(self.free()) {
            None => Duration::ZERO,
            Some(past) => WAITS[usize::try_from(past).unwrap_or(usize::MAX).min(WAITS.len() - 1)],
        }
    }
}

/// The counters an attempt is counted under, most specific first: its
/// device alone when it has a valid device cookie, else (username, address)
/// and address. A username that cannot exist is counted by address only.
pub fn counters(username: &str, client: IpAddr, device: Option<String>) -> Vec<Counter> {
    match device {
        Some(id) => vec![Counter::Device(id)],
        None if super::valid_username(username) => {
            vec![Counter::UserAddress(username.to_owned(), client), Counter::Address(client)]
        }
        None => vec![Counter::Address(client)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_allowance_attempts_wait_longer_and_longer() {
        let c = Counter::UserAddress("asha".to_owned(), "198.51.100.7".parse().unwrap());
        assert_eq!(c.wait_after(4), Duration::ZERO);
        assert_eq!(c.wait_after(5).as_secs(), 30);
        assert_eq!(c.wait_after(6).as_secs(), 60);
        assert_eq!(c.wait_after(50).as_secs(), 900);
        let now = Utc::now();
        let limit = c.limit(now);
        assert_eq!(limit.free, 5);
        assert_eq!((now - limit.cutoffs[0]).num_seconds(), 30);
        assert_eq!((now - limit.cutoffs[5]).num_seconds(), 900);
    }

    #[test]
    fn a_known_device_is_counted_alone_and_strangers_by_user_and_address() {
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(counters("asha", ip, Some("d1".to_owned())), vec![Counter::Device("d1".to_owned())]);
        assert_eq!(
            counters("asha", ip, None).iter().map(Counter::key).collect::<Vec<_>>(),
            ["user:asha@203.0.113.9", "addr:203.0.113.9"]
        );
        assert_eq!(counters("No Such User", ip, None), vec![Counter::Address(ip)]);
    }
}
