//! Reports for coordinators and admins: waiting cases by state and
//! district, time to first callback, outcomes per day, each volunteer's
//! callbacks, and the export of the cases in a user's scope. Every figure
//! counts only the cases the user's [`Scope`](crate::queue::Scope) covers.

pub mod store;

pub use store::ReportStore;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{DistrictCode, StateCode};

/// Waiting cases in one district (district unknown: `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DistrictCount {
    pub home_state_code: Option<StateCode>,
    pub home_district_code: Option<DistrictCode>,
    pub waiting: i64,
}

/// Outcomes recorded on one day (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DayOutcomes {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub outcome: String,
    pub count: i64,
}

/// Seconds from a case's first call to its first callback attempt; never
/// negative (a clock that stepped back does not make callbacks early).
pub fn callback_delay(first_call: DateTime<Utc>, first_attempt: DateTime<Utc>) -> i64 {
    (first_attempt - first_call).num_seconds().max(0)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::callback_delay;

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
}
