//! Claim latency: "take next" against a queue of waiting cases on SQLite,
//! for 100,000 waiting cases beside an empty queue and 1,000 cases, in the
//! same run. Each claim is released again, so the queue keeps its size.
//!
//! Run: `cargo bench --bench claim_latency` (CASES=100000, CLAIMS=300).
//! `CLAIM_DATABASE_URL=sqlite:///path/filled.db` measures an existing
//! database instead (one `sampark fill` made), beside the seeded ones.

use std::time::{Duration, Instant};

use chrono::Utc;
use sampark::{
    auth::{UserStore, new_user},
    queue::{QueueStore, Scope},
};

/// Home states as migrants' calls might spread over them: mostly UP and
/// Bihar; Goa (30) rarely.
const STATES: [(i64, u32); 7] = [(9, 30), (10, 25), (19, 10), (21, 8), (20, 7), (8, 19), (30, 1)];

fn pick_state(n: u64) -> i64 {
    let roll = (n.wrapping_mul(2_654_435_761) % 100) as u32;
    let mut acc = 0;
    for (state, share) in STATES {
        acc += share;
        if roll < acc {
            return if state == 30 && !n.is_multiple_of(10) { 8 } else { state };
        }
    }
    9
}

async fn seed(url: &str, cases: u64) {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    let start = Utc::now() - chrono::Duration::days(30);
    for n in 0..cases {
        let at = start + chrono::Duration::seconds(n as i64 * 20);
        let language = ["hi", "hi", "hi", "hi", "hi", "hi", "hi", "bn", "bn", "or"][(n % 10) as usize];
        let need = if n % 20 == 0 { "medical" } else { "food" };
        sqlx::query(
            r#"INSERT INTO cases (phone, language, consent, home_state_code, need, status, calls, first_call_at,
                                  last_call_at, created_at, updated_at, priority)
               VALUES (?, ?, 1, ?, ?, 'queued', 1, ?, ?, ?, ?, ?)"#,
        )
        .bind(format!("+9110{n:08}"))
        .bind(language)
        .bind(pick_state(n))
        .bind(need)
        .bind(at)
        .bind(at)
        .bind(at)
        .bind(at)
        .bind(i64::from(need != "medical"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    pool.close().await;
}

fn summary(label: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!("{label:<44} median {:>9.3?}  p99 {:>9.3?}  max {:>9.3?}", at(0.5), at(0.99), samples[samples.len() - 1]);
    at(0.5)
}

async fn measure(cases: u64, claims: usize) -> Vec<(String, Duration)> {
    let dir = tempfile::TempDir::new().unwrap();
    let url = format!("sqlite://{}", dir.path().join("claims.db").display());
    let store = sampark::db::Db::open(&url).await.unwrap();
    seed(&url, cases).await;
    claim_as_volunteers(store, &format!("{cases} waiting"), claims).await
}

/// Claims (and releases) as three users; the median for each.
async fn claim_as_volunteers(db: sampark::db::Db, label: &str, claims: usize) -> Vec<(String, Duration)> {
    let users = UserStore::new(db.clone());
    let queue = QueueStore::new(db.clone());
    let mut results = Vec::new();
    for (username, name, role, states, languages) in [
        ("up.volunteer", "volunteer, UP, Hindi", "volunteer", "9", "hi"),
        ("goa.volunteer", "volunteer, Goa (rare), Hindi", "volunteer", "30", "hi"),
        ("admin", "admin (all states)", "admin", "", ""),
        ("unit.volunteer", "unit member, UP, Hindi", "volunteer", "9", "hi"),
    ] {
        let user = new_user(username, role, states, languages, "", "bench-password-kite-river", &|_| true).unwrap();
        let id = match users.create_user(&user, Utc::now()).await {
            Ok(id) => id,
            // A database measured before already has the bench's users.
            Err(_) => users.users().await.unwrap().into_iter().find(|u| u.username == username).unwrap().id,
        };
        // A unit's member also probes the unit's cases (none here).
        let units = if username == "unit.volunteer" { vec![1] } else { Vec::new() };
        let scope = Scope { user_id: id, role: user.role, states: user.states, languages: user.languages, units };
        let mut samples = Vec::with_capacity(claims);
        for _ in 0..claims {
            let now = Utc::now();
            let t = Instant::now();
            let claimed = queue.claim_next(&scope, now, now + chrono::Duration::minutes(15)).await.unwrap();
            samples.push(t.elapsed());
            if let Some(case) = claimed {
                queue.release_case(&scope, case, now).await.unwrap();
            }
        }
        let median = summary(&format!("{label:>14} · {name}"), samples);
        results.push((name.to_owned(), median));
    }
    db.close().await;
    results
}

#[tokio::main]
async fn main() {
    let cases: u64 = std::env::var("CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(100_000);
    let claims: usize = std::env::var("CLAIMS").ok().and_then(|c| c.parse().ok()).unwrap_or(300);
    println!("claim latency on SQLite (WAL, synchronous=FULL), {claims} claims each, released after:");
    let empty = measure(0, claims).await;
    let small = measure(1_000, claims).await;
    let large = measure(cases, claims).await;
    if let Ok(url) = std::env::var("CLAIM_DATABASE_URL") {
        let db = sampark::db::Db::open(&url).await.unwrap();
        let counts = sampark::calls::CallStore::new(db.clone(), false).counts().await.unwrap();
        let filled = claim_as_volunteers(db, &format!("{}M cases", counts.cases / 1_000_000), claims).await;
        println!("ratio of medians, the filled database vs {cases} waiting:");
        for ((name, f), (_, l)) in filled.iter().zip(&large) {
            println!("  {name:<32} {:>6.1}x", f.as_secs_f64() / l.as_secs_f64());
        }
    }
    println!("ratio of medians, {cases} waiting vs empty / vs 1,000:");
    for ((name, big), ((_, none), (_, thousand))) in large.iter().zip(empty.iter().zip(small.iter())) {
        println!(
            "  {name:<32} {:>6.1}x / {:>6.1}x",
            big.as_secs_f64() / none.as_secs_f64(),
            big.as_secs_f64() / thousand.as_secs_f64()
        );
    }
}
