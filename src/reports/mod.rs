//! Reports for coordinators and admins: waiting cases by state and
//! district, time to first callback, outcomes per day, each volunteer's
//! callbacks, and the export of the cases in a user's scope. Every figure
//! counts only the cases the user's [`Scope`](crate::queue::Scope) covers.
//! Days are India days (IST, UTC+05:30, no daylight saving), as everyone
//! using Sampark lives them: an outcome at 20:00 UTC counts on the next day.

pub mod store;

pub use store::ReportStore;

use chrono::{DateTime, Days, FixedOffset, Utc};
use serde::Serialize;

use crate::domain::{DistrictCode, StateCode};

/// Waiting cases in one district (district unknown: `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DistrictCount {
    pub home_state_code: Option<StateCode>,
    pub home_district_code: Option<DistrictCode>,
    pub waiting: i64,
}

/// Outcomes recorded on one India day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DayOutcomes {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub outcome: String,
    pub count: i64,
}

/// India Standard Time: UTC+05:30 all year.
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("a valid offset")
}

/// The start (midnight IST) of the first of the last `days` India days,
/// today included: where a report of `days` days begins.
pub fn india_days_since(now: DateTime<Utc>, days: u64) -> DateTime<Utc> {
    let today = now.with_timezone(&ist()).date_naive();
    let first = today.checked_sub_days(Days::new(days.saturating_sub(1))).unwrap_or(today);
    let midnight = first.and_hms_opt(0, 0, 0).expect("midnight exists");
    midnight.and_local_timezone(ist()).single().expect("a fixed offset has no gaps").with_timezone(&Utc)
}

/// Seconds from a case's first call to its first callback attempt; never
/// negative (a clock that stepped back does not make callbacks early).
pub fn callback_delay(first_call: DateTime<Utc>, first_attempt: DateTime<Utc>) -> i64 {
    (first_attempt - first_call).num_seconds().max(0)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::{callback_delay, india_days_since};

    #[test]
    fn the_delay_is_whole_seconds_from_first_call_to_first_attempt() {
        let call = Utc.with_ymd_and_hms(2026, 11, 28, 9, 30, 0).unwrap();
        assert_eq!(callback_delay(call, call + Duration::milliseconds(90_500)), 90);
        assert_eq!(callback_delay(call, call), 0);
    }

    #[test]
    fn an_attempt_stamped_before_the_call_counts_as_no_delay() {
        let call = Utc.with_ymd_and_hms(2026, 11, 28, 9, 30, 0).unwrap();
        assert_eq!(callback_delay(call, call - Duration::seconds(5)), 0);
    }

    #[test]
    fn a_report_of_days_starts_at_midnight_india_time() {
        // 20:00 UTC on 28 November is 01:30 IST on the 29th: "today" is the 29th.
        let evening = Utc.with_ymd_and_hms(2026, 11, 28, 20, 0, 0).unwrap();
        assert_eq!(india_days_since(evening, 1), Utc.with_ymd_and_hms(2026, 11, 28, 18, 30, 0).unwrap());
        assert_eq!(india_days_since(evening, 14), Utc.with_ymd_and_hms(2026, 11, 15, 18, 30, 0).unwrap());
        // 10:00 UTC is 15:30 IST, the same day.
        let morning = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
        assert_eq!(india_days_since(morning, 1), Utc.with_ymd_and_hms(2026, 11, 27, 18, 30, 0).unwrap());
    }
}
