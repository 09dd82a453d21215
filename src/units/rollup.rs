//! The central office's rollups: people and cases counted by home state and
//! district (LGD codes), need, status, source and India week, across every
//! unit. Counts only: no name, number or village leaves this module, so
//! what it returns may be shown or exported to the central office and its
//! partners as it is.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::{
    db::{Db, StoreError},
    on_db,
};

/// People and cases for one key of a rollup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub people: i64,
    pub cases: i64,
}

/// A home state and district (LGD codes; `None` where not known).
pub type Place = (Option<i64>, Option<i64>);

/// Every table of the rollup, each keyed in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rollup {
    pub by_place: BTreeMap<Place, Counts>,
    /// By need (`None`: not given).
    pub by_need: BTreeMap<Option<String>, Counts>,
    /// Cases by status (people have none).
    pub by_status: BTreeMap<String, Counts>,
    /// By source: for people, the kinds of source their facts came from
    /// (`call`, `chat`, `import`, `volunteer`; a person counts once under
    /// each kind); for cases, the channel (`call`).
    pub by_source: BTreeMap<String, Counts>,
    /// By ISO week (`2026-W49`) of the India day the record was made.
    pub by_week: BTreeMap<String, Counts>,
}

impl Rollup {
    /// Every cell as a flat row: the table's name, the LGD codes (for
    /// `place`) or the key, and the counts; for CSV and JSON.
    pub fn rows(&self) -> Vec<RollupRow> {
        let row = |table: &'static str, place: Place, key: Option<String>, c: &Counts| RollupRow {
            table,
            state_code: place.0,
            district_code: place.1,
            key,
            people: c.people,
            cases: c.cases,
        };
        let mut rows: Vec<RollupRow> = self.by_place.iter().map(|(p, c)| row("place", *p, None, c)).collect();
        rows.extend(self.by_need.iter().map(|(k, c)| row("need", (None, None), k.clone(), c)));
        rows.extend(self.by_status.iter().map(|(k, c)| row("status", (None, None), Some(k.clone()), c)));
        rows.extend(self.by_source.iter().map(|(k, c)| row("source", (None, None), Some(k.clone()), c)));
        rows.extend(self.by_week.iter().map(|(k, c)| row("week", (None, None), Some(k.clone()), c)));
        rows
    }
}

/// One cell of the rollup, flat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollupRow {
    pub table: &'static str,
    pub state_code: Option<i64>,
    pub district_code: Option<i64>,
    pub key: Option<String>,
    pub people: i64,
    pub cases: i64,
}

#[derive(sqlx::FromRow)]
struct PlaceRow {
    state_code: Option<i64>,
    district_code: Option<i64>,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    k: Option<String>,
    n: i64,
}

/// The ISO week (`2026-W49`) of an India day (`2026-12-02`); `None` for a
/// day that does not parse.
pub fn iso_week(day: &str) -> Option<String> {
    use chrono::Datelike;
    let week = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?.iso_week();
    Some(format!("{}-W{:02}", week.year(), week.week()))
}

/// Reads the rollups.
#[derive(Debug, Clone)]
pub struct RollupStore {
    db: Db,
}

impl RollupStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The whole rollup, people and cases.
    pub async fn rollup(&self) -> Result<Rollup, StoreError> {
        let mut rollup = Rollup::default();
        for (people, table) in [(true, "people"), (false, "cases")] {
            let add = |c: &mut Counts, n: i64| if people { c.people += n } else { c.cases += n };
            for r in self.places(table).await? {
                add(rollup.by_place.entry((r.state_code, r.district_code)).or_default(), r.n);
            }
            for r in self.keyed(table, "need").await? {
                add(rollup.by_need.entry(r.k).or_default(), r.n);
            }
            for r in self.days(table).await? {
                let week = r.k.as_deref().and_then(iso_week).unwrap_or_else(|| "?".to_owned());
                add(rollup.by_week.entry(week).or_default(), r.n);
            }
        }
        for r in self.keyed("cases", "status").await? {
            rollup.by_status.entry(r.k.unwrap_or_default()).or_default().cases += r.n;
        }
        let cases: i64 = rollup.by_status.values().map(|c| c.cases).sum();
        if cases > 0 {
            rollup.by_source.entry("call".to_owned()).or_default().cases = cases;
        }
        for r in self.sources().await? {
            rollup.by_source.entry(r.k.unwrap_or_default()).or_default().people += r.n;
        }
        Ok(rollup)
    }

    async fn places(&self, table: &str) -> Result<Vec<PlaceRow>, StoreError> {
        const PEOPLE: &str = "SELECT home_state_code AS state_code, home_district_code AS district_code, count(*) AS n
                              FROM people GROUP BY home_state_code, home_district_code";
        const CASES: &str = "SELECT home_state_code AS state_code, home_district_code AS district_code, count(*) AS n
                             FROM cases GROUP BY home_state_code, home_district_code";
        let sql = if table == "people" { PEOPLE } else { CASES };
        Ok(on_db!(&self.db, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    async fn keyed(&self, table: &str, column: &str) -> Result<Vec<KeyRow>, StoreError> {
        const PEOPLE_NEED: &str = "SELECT need AS k, count(*) AS n FROM people GROUP BY need";
        const CASES_NEED: &str = "SELECT need AS k, count(*) AS n FROM cases GROUP BY need";
        const CASES_STATUS: &str = "SELECT status AS k, count(*) AS n FROM cases GROUP BY status";
        let sql = match (table, column) {
            ("people", _) => PEOPLE_NEED,
            (_, "need") => CASES_NEED,
            _ => CASES_STATUS,
        };
        Ok(on_db!(&self.db, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    async fn days(&self, table: &str) -> Result<Vec<KeyRow>, StoreError> {
        Ok(on_db!(&self.db, pool, d => {
            const PEOPLE: &str =
                concat!("SELECT ", d::india_day!("created_at"), " AS k, count(*) AS n FROM people GROUP BY 1");
            const CASES: &str =
                concat!("SELECT ", d::india_day!("created_at"), " AS k, count(*) AS n FROM cases GROUP BY 1");
            let sql = if table == "people" { PEOPLE } else { CASES };
            sqlx::query_as(sql).fetch_all(pool).await?
        }))
    }

    async fn sources(&self) -> Result<Vec<KeyRow>, StoreError> {
        const SQL: &str =
            "SELECT source_kind AS k, count(DISTINCT person_id) AS n FROM person_facts GROUP BY source_kind";
        Ok(on_db!(&self.db, pool => sqlx::query_as(SQL).fetch_all(pool).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn india_days_fold_into_iso_weeks() {
        assert_eq!(iso_week("2026-12-02").as_deref(), Some("2026-W49"));
        assert_eq!(iso_week("2027-01-01").as_deref(), Some("2026-W53"));
        assert_eq!(iso_week("no day"), None);
    }

    #[test]
    fn rows_carry_codes_and_counts_only() {
        let mut rollup = Rollup::default();
        rollup.by_place.insert((Some(10), Some(203)), Counts { people: 2, cases: 1 });
        rollup.by_status.insert("queued".to_owned(), Counts { people: 0, cases: 1 });
        let rows = rollup.rows();
        assert_eq!(rows[0].state_code, Some(10));
        assert_eq!(rows[0].district_code, Some(203));
        assert_eq!((rows[0].people, rows[0].cases), (2, 1));
        assert_eq!(rows[1].table, "status");
    }
}
