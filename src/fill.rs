//! `sampark fill`: fills a database with realistic synthetic calls, events
//! and cases, to measure Sampark at the size a national helpline reaches
//! (10 million cases, 50 million events). Numbers are fake (`+9110…`:
//! Indian national numbers starting with 1 are special-service codes, never
//! a subscriber's), names absent; only an empty database is filled, so real
//! data is never mixed in.
//!
//! Each case has one call of five events (four turns and the status
//! callback); four in five cases are closed, one in five waits in the
//! queue. Home states follow where migrants' calls came from (Uttar Pradesh
//! and Bihar most), districts are real districts of those states.

use std::time::Instant;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use sqlx::AssertSqlSafe;

use crate::{db::StoreError, directory::Directory, domain::DistrictCode};

/// Rows per INSERT statement.
const BATCH: u64 = 1000;

/// Home states and their share of calls (per mille).
const STATES: [(u8, u64); 10] =
    [(9, 280), (10, 230), (19, 90), (21, 70), (20, 70), (23, 60), (8, 60), (22, 50), (27, 50), (33, 40)];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Postgres,
}

/// A pseudo-random number from `n` (a hash: the same every run).
fn mix(n: u64, salt: u64) -> u64 {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

/// Whether LGD district `district` is in state `state`.
fn in_state(directory: &Directory, district: u16, state: u8) -> bool {
    DistrictCode::new(district).ok().and_then(|d| directory.district(d)).is_some_and(|d| d.state.get() == state)
}

fn time(at: DateTime<Utc>) -> String {
    format!("'{}'", at.to_rfc3339_opts(SecondsFormat::AutoSi, false))
}

struct Generator {
    districts: Vec<(u8, Vec<u16>)>,
    start: DateTime<Utc>,
    dialect: Dialect,
}

impl Generator {
    fn new(dialect: Dialect, now: DateTime<Utc>) -> Self {
        let directory = Directory::bundled();
        let districts = STATES
            .iter()
            .map(|(state, _)| {
                let mut codes: Vec<u16> = (1..=800u16).filter(|d| in_state(directory, *d, *state)).collect();
                codes.sort_unstable();
                (*state, codes)
            })
            .collect();
        Self { districts, start: now - Duration::days(180), dialect }
    }

    fn bool(&self, b: bool) -> &'static str {
        match (self.dialect, b) {
            (Dialect::Sqlite, true) => "1",
            (Dialect::Sqlite, false) => "0",
            (Dialect::Postgres, true) => "true",
            (Dialect::Postgres, false) => "false",
        }
    }

    fn state_and_district(&self, n: u64) -> (u8, u16) {
        let mut roll = mix(n, 1) % 1000;
        for (i, (state, share)) in STATES.iter().enumerate() {
            if roll < *share {
                let codes = &self.districts[i].1;
                return (*state, codes[(mix(n, 2) % codes.len() as u64) as usize]);
            }
            roll -= share;
        }
        (9, self.districts[0].1[0])
    }

    /// One case row (id `n + 1`).
    fn case(&self, n: u64) -> String {
        let (state, district) = self.state_and_district(n);
        let language = ["hi", "hi", "hi", "hi", "hi", "hi", "bn", "bn", "or", "en"][(mix(n, 3) % 10) as usize];
        let need = ["food", "money", "travel", "medical", "shelter", "other"][(mix(n, 4) % 6) as usize];
        let first = self.start + Duration::seconds((n * 3) as i64 % (180 * 86400));
        let waiting = mix(n, 5).is_multiple_of(5);
        let (status, closed) = if waiting {
            ("'queued'".to_owned(), "NULL".to_owned())
        } else {
            let status = ["'resolved'", "'resolved'", "'follow_up'", "'unreachable'", "'wrong_number'"]
                [(mix(n, 6) % 5) as usize];
            let closed = if status == "'follow_up'" { "NULL".to_owned() } else { time(first + Duration::hours(6)) };
            (status.to_owned(), closed)
        };
        format!(
            "({id}, '+9110{n:08}', '{language}', {consent}, {state}, {district}, '{need}', {status}, 1, {first}, {first}, {id}, {closed}, {first}, {first}, {priority})",
            id = n + 1,
            consent = self.bool(true),
            first = time(first),
            priority = i32::from(need != "medical"),
        )
    }

    fn call(&self, n: u64) -> String {
        let first = time(self.start + Duration::seconds((n * 3) as i64 % (180 * 86400)));
        format!(
            "({id}, 'twilio', 'CAfill{n:026}', '+9110{n:08}', 'helpline', 'fill', '{{\"node\":\"thanks\",\"attempts\":0,\"data\":{{}},\"ended\":{{\"reason\":\"flow_ended\",\"queue\":true}}}}', 4, 5, 'thanks', 'flow_ended', {first}, {id}, {first}, {first})",
            id = n + 1
        )
    }

    fn events(&self, n: u64) -> String {
        let at = time(self.start + Duration::seconds((n * 3) as i64 % (180 * 86400)));
        let keys = ["turn:0", "turn:1", "turn:2", "turn:3", "status:completed"];
        keys.iter()
            .map(|key| {
                format!(
                    "({call}, '{key}', 'digits', '{{}}', 'fill', 'language', 'consent', 'text/xml', '<Response><Hangup/></Response>', {at})",
                    call = n + 1
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Fills the database at `url` with `cases` cases (five events each).
pub async fn fill(url: &str, cases: u64) -> Result<(), StoreError> {
    let db = crate::db::Db::open_existing(url).await?;
    let calls = crate::calls::CallStore::new(db.clone(), false);
    if calls.counts().await?.calls > 0 {
        return Err(StoreError::Conflict("a database with calls in it (fill only empty ones)".to_owned()));
    }
    calls.save_flow_version("helpline", "fill", "# synthetic").await?;
    db.close().await;
    let dialect = if url.starts_with("sqlite:") { Dialect::Sqlite } else { Dialect::Postgres };
    let generator = Generator::new(dialect, Utc::now());
    let started = Instant::now();
    match dialect {
        Dialect::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await?;
            sqlx::query("PRAGMA synchronous = OFF").execute(&pool).await?;
            insert_all(&generator, cases, started, |sql| {
                let pool = pool.clone();
                async move { sqlx::raw_sql(AssertSqlSafe(sql)).execute(&pool).await.map(|_| ()) }
            })
            .await?;
            pool.close().await;
        }
        Dialect::Postgres => {
            let pool = sqlx::PgPool::connect(url).await?;
            insert_all(&generator, cases, started, |sql| {
                let pool = pool.clone();
                async move { sqlx::raw_sql(AssertSqlSafe(sql)).execute(&pool).await.map(|_| ()) }
            })
            .await?;
            for table in ["cases", "calls", "call_events"] {
                let fix = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table})); ANALYZE {table}"
                );
                sqlx::raw_sql(AssertSqlSafe(fix)).execute(&pool).await?;
            }
            pool.close().await;
        }
    }
    Ok(())
}

async fn insert_all<F, Fut>(generator: &Generator, cases: u64, started: Instant, execute: F) -> Result<(), StoreError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>>,
{
    let mut n = 0;
    while n < cases {
        let end = (n + BATCH).min(cases);
        let case_rows: Vec<String> = (n..end).map(|i| generator.case(i)).collect();
        let call_rows: Vec<String> = (n..end).map(|i| generator.call(i)).collect();
        let event_rows: Vec<String> = (n..end).map(|i| generator.events(i)).collect();
        let overriding = if generator.dialect == Dialect::Postgres { " OVERRIDING SYSTEM VALUE" } else { "" };
        let sql = format!(
            "BEGIN;
             INSERT INTO cases (id, phone, language, consent, home_state_code, home_district_code, need, status, calls,
                                first_call_at, last_call_at, last_call_id, closed_at, created_at, updated_at, priority){overriding}
             VALUES {cases_values};
             INSERT INTO calls (id, provider, provider_call_id, phone, flow_id, flow_version, state, turn, version, node,
                                end_reason, ended_at, case_id, started_at, updated_at){overriding}
             VALUES {calls_values};
             INSERT INTO call_events (call_id, dedupe_key, kind, input, request_hash, node_before, node_after,
                                      reply_content_type, reply, created_at)
             VALUES {events_values};
             COMMIT;",
            cases_values = case_rows.join(", "),
            calls_values = call_rows.join(", "),
            events_values = event_rows.join(", "),
        );
        execute(sql).await?;
        n = end;
        if n % 100_000 == 0 || n == cases {
            let rate = n as f64 / started.elapsed().as_secs_f64();
            tracing::info!(cases = n, events = n * 5, per_second = rate as u64, "filling");
        }
    }
    Ok(())
}
