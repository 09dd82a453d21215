//! Where this helpline's callers came from lately: the counts the lists of
//! states and districts are read in order of (`flow::Ranking`).

use chrono::{DateTime, Utc};

use super::CaseStore;
use crate::{
    db::StoreError,
    domain::{DistrictCode, StateCode},
    on_db,
};

/// How far back callers count for the order of the lists.
pub const RANKING_DAYS: i64 = 30;

#[derive(sqlx::FromRow)]
struct PlaceCount {
    home_state_code: StateCode,
    home_district_code: Option<DistrictCode>,
    callers: i64,
}

impl CaseStore {
    /// Callers (cases) with a call since `since`, by home state and district.
    /// A caller who gave no state is not counted.
    pub async fn callers_by_place(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(StateCode, Option<DistrictCode>, u64)>, StoreError> {
        const SQL: &str = "SELECT home_state_code, home_district_code, COUNT(*) AS callers FROM cases
                           WHERE last_call_at >= $1 AND home_state_code IS NOT NULL
                           GROUP BY home_state_code, home_district_code";
        let rows: Vec<PlaceCount> = on_db!(&self.db, pool => sqlx::query_as(SQL).bind(since).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|r| (r.home_state_code, r.home_district_code, u64::try_from(r.callers).unwrap_or(0)))
            .collect())
    }
}
