//! The national database at scale, on SQLite:
//!
//! 1. Importing a list: rows/s and peak memory for 100,000 and 1,000,000
//!    rows side by side, each in a process of its own (so each peak is its
//!    own), through the whole path `sampark import` takes (read, columns,
//!    names matched, people and facts written in batches). Memory must not
//!    grow with the file: the two peaks should be about equal.
//! 2. Matching against 10 million people: a person found by number in a
//!    table of 10,000,000 beside one of 10,000 (the probe is the unique
//!    index's, so the ratio should be about 1), and the query plan.
//!
//! Run: `cargo bench --bench import_scale` (ROWS=1000000, PEOPLE=10000000
//! to change the sizes).

use std::{io::Write, path::Path, process::Command, time::Instant};

use chrono::Utc;
use sampark::{
    db::Db,
    directory::Directory,
    import::{ListFile, ListReader, Mapping},
    people::{
        PeopleStore,
        import::{Plan, import},
    },
};

const STATES: [&str; 8] = ["U.P.", "Uttar Pradesh", "बिहार", "Bihar", "Orissa", "West Bengal", "Jharkhand", "UP"];
const DISTRICTS: [&str; 8] = ["Jounpur", "Allahabad", "Purnea", "Patna", "Cuttack", "Malda", "Ranchi", "Gorakhpur"];

/// A list of `rows` workers, as a state government's CSV.
fn write_list(path: &Path, rows: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "Sl No,Name of Worker,Mobile No.,Home State,Home District,Village,Stranded at").unwrap();
    for n in 0..rows {
        let i = (n % 8) as usize;
        let place = (n.wrapping_mul(7) % 8) as usize;
        let (state, district) = if place < 4 { (STATES[place], DISTRICTS[place]) } else { (STATES[i], "") };
        writeln!(out, "{n},Worker {n},{},{state},{district},Village {},Surat", 6_000_000_000 + n, n % 5000).unwrap();
    }
    out.flush().unwrap();
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// CPU seconds this process has used (user + system).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// One import of `rows` generated rows into a fresh database (run in a
/// child process): prints `rows seconds cpu_seconds peak_kib people`.
async fn child(rows: u64) {
    let dir = tempfile::TempDir::new().unwrap();
    let list = dir.path().join("list.csv");
    write_list(&list, rows);
    let url = format!("sqlite://{}", dir.path().join("people.db").display());
    let db = Db::open(&url).await.unwrap();
    db.migrate().await.unwrap();
    let headers = ListReader::open(&list, None).unwrap().headers().to_vec();
    let mapping = Mapping::detect(&headers);
    let plan = Plan {
        source: "bench".to_owned(),
        unit_id: None,
        file_name: "list.csv".to_owned(),
        file_sha256: format!("{rows:064}"),
        by: "bench".to_owned(),
        consent: true,
        mapping: serde_json::to_string(&mapping).unwrap(),
        dry_run: false,
        at: Utc::now(),
    };
    let file = ListFile { path: list.clone(), sheet: None, mapping };
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let report = import(&db, &plan, || file.lines(Directory::bundled())).await.unwrap();
    let (seconds, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let people = PeopleStore::new(db.clone()).count().await.unwrap();
    assert_eq!(report.rows, rows);
    println!("{rows} {seconds} {cpu} {} {people}", peak_rss_kib());
}

fn import_in_a_child(rows: u64) -> (f64, f64, u64, i64) {
    let output =
        Command::new(std::env::current_exe().unwrap()).env("IMPORT_BENCH_CHILD", rows.to_string()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let f: Vec<&str> = text.split_whitespace().collect();
    (f[1].parse().unwrap(), f[2].parse().unwrap(), f[3].parse().unwrap(), f[4].parse().unwrap())
}

/// A database of `people` people (numbers +91 60…), filled by SQL.
async fn people_db(dir: &Path, people: u64) -> Db {
    let url = format!("sqlite://{}", dir.join(format!("people-{people}.db")).display());
    let db = Db::open(&url).await.unwrap();
    db.migrate().await.unwrap();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {people} - 1)
         INSERT INTO people (phone, name, home_state_code, open_conflicts, created_at, updated_at)
         SELECT '+91' || (6000000000 + i), 'Worker ' || i, 9 + (i % 2), 0, '2026-01-01T00:00:00Z',
                '2026-01-01T00:00:00Z' FROM n"
    )))
    .execute(&pool)
    .await
    .unwrap();
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as("EXPLAIN QUERY PLAN SELECT id FROM people WHERE phone = '+916000000001'")
            .fetch_all(&pool)
            .await
            .unwrap();
    println!("  plan with {people} people: {}", plan.iter().map(|p| p.3.as_str()).collect::<Vec<_>>().join("; "));
    pool.close().await;
    db
}

/// Median microseconds to find a person by number, over `probes` numbers.
async fn probe(db: &Db, people: u64, probes: u64) -> f64 {
    let store = PeopleStore::new(db.clone());
    let mut samples = Vec::new();
    for n in 0..probes {
        let phone = format!("+91{}", 6_000_000_000 + (n.wrapping_mul(2_654_435_761) % people));
        let start = Instant::now();
        assert!(store.by_phone(&phone).await.unwrap().is_some());
        samples.push(start.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    if let Ok(rows) = std::env::var("IMPORT_BENCH_CHILD") {
        child(rows.parse().unwrap()).await;
        return;
    }
    let rows: u64 = std::env::var("ROWS").ok().and_then(|r| r.parse().ok()).unwrap_or(1_000_000);
    let people: u64 = std::env::var("PEOPLE").ok().and_then(|r| r.parse().ok()).unwrap_or(10_000_000);
    println!("import on SQLite (WAL, synchronous=FULL), batches of {}:", sampark::people::import::BATCH);
    let mut figures = Vec::new();
    for n in [rows / 10, rows] {
        let (seconds, cpu, peak, stored) = import_in_a_child(n);
        println!(
            "  {n:>9} rows: {:>8.0} rows/s, {:>7.1} µs CPU a row, peak RSS {:>6.1} MiB, {stored} people",
            n as f64 / seconds,
            cpu * 1e6 / n as f64,
            peak as f64 / 1024.0
        );
        figures.push((n as f64 / seconds, peak));
    }
    println!(
        "  {rows} vs {} rows: rows/s {:.2}x, peak memory {:.2}x",
        rows / 10,
        figures[1].0 / figures[0].0,
        figures[1].1 as f64 / figures[0].1 as f64
    );
    println!("finding a person by number:");
    let dir = tempfile::TempDir::new().unwrap();
    let small = people_db(dir.path(), 10_000).await;
    let large = people_db(dir.path(), people).await;
    let (s, l) = (probe(&small, 10_000, 2000).await, probe(&large, people, 2000).await);
    println!("  median {s:.1} µs among 10,000 people, {l:.1} µs among {people}: {:.2}x", l / s);
}
