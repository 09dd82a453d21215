//! Callers become people: a server task takes the cases that changed since
//! their person last heard of them and records what each case holds — the
//! number always; the answers only with the caller's consent — as facts
//! from the case's latest call. A case whose caller declined takes back
//! every value calls gave its person. Safe to run on several instances at
//! once and to repeat: facts are given once, and a case is marked synced
//! only at the `updated_at` it was read at.

use chrono::{DateTime, Utc};

use super::{Field, Given, Source, SourceKind, settling, store};
use crate::{
    db::{Db, StoreError, Tx},
    domain::PhoneNumber,
    on_db, on_tx,
};

/// How often the server looks for changed cases.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Cases read per transaction.
const BATCH: i64 = 200;

#[derive(sqlx::FromRow)]
struct ChangedCase {
    id: i64,
    phone: Option<String>,
    person_id: Option<i64>,
    language: Option<String>,
    consent: Option<bool>,
    home_state_code: Option<i64>,
    home_district_code: Option<i64>,
    need: Option<String>,
    pin_code: Option<String>,
    last_call_id: Option<i64>,
    last_call_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Where a sync stopped: the newest `updated_at` it has seen (cases
/// updated before it, less a margin for transactions that committed late,
/// are not read again).
#[derive(Debug, Clone, Copy, Default)]
pub struct Cursor(Option<DateTime<Utc>>);

/// How far before the cursor a sync looks again, for a transaction that
/// stamped its case earlier than one that committed first.
const MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Records every changed case in its person; returns how many cases.
pub async fn sync_cases(db: &Db, cursor: &mut Cursor) -> Result<u64, StoreError> {
    const SQL: &str = "SELECT id, phone, person_id, language, consent, home_state_code, home_district_code, need,
            pin_code, last_call_id, last_call_at, updated_at
        FROM cases WHERE updated_at >= $1 AND (person_synced_at IS NULL OR person_synced_at <> updated_at)
        ORDER BY updated_at, id LIMIT $2";
    let mut done = 0;
    loop {
        let since = cursor.0.map_or(DateTime::<Utc>::UNIX_EPOCH, |at| at - MARGIN);
        let cases: Vec<ChangedCase> =
            on_db!(db, pool => sqlx::query_as(SQL).bind(since).bind(BATCH).fetch_all(pool).await?);
        if cases.is_empty() {
            return Ok(done);
        }
        let mut tx = db.begin().await?;
        for case in &cases {
            sync_case(&mut tx, case).await?;
        }
        tx.commit().await?;
        done += cases.len() as u64;
        cursor.0 = cases.iter().map(|c| c.updated_at).max().max(cursor.0);
        if (cases.len() as i64) < BATCH {
            return Ok(done);
        }
    }
}

async fn sync_case(tx: &mut Tx<'_>, case: &ChangedCase) -> Result<(), StoreError> {
    let mut given = Given { phone: case.phone.as_deref().and_then(PhoneNumber::parse), values: Vec::new() };
    if case.consent == Some(true) {
        let code = |c: Option<i64>| c.map(|c| c.to_string()).unwrap_or_default();
        given.set(Field::Language, case.language.as_deref().unwrap_or(""));
        given.set(Field::HomeState, &code(case.home_state_code));
        given.set(Field::HomeDistrict, &code(case.home_district_code));
        given.set(Field::Need, case.need.as_deref().unwrap_or(""));
        given.set(Field::Pin, case.pin_code.as_deref().unwrap_or(""));
    }
    match case.consent {
        Some(true) => given.set(Field::Consent, "yes"),
        Some(false) => given.set(Field::Consent, "no"),
        None => {}
    }
    let source = Source {
        kind: SourceKind::Call,
        name: case.last_call_id.map_or_else(|| format!("case {}", case.id), |call| format!("call {call}")),
        unit_id: None,
        by: None,
        at: case.last_call_at,
    };
    let person = store::record_into(tx, case.person_id, &given, &source).await?.id();
    if case.consent == Some(false) {
        // A refusal is the caller's wish, not one value among others: it
        // stands over any "yes" (a list's too), and calls' answers go.
        settling::forget(tx, person, SourceKind::Call, &[Field::Consent], case.updated_at).await?;
        settling::settle_in(tx, person, Field::Consent, "no", case.updated_at).await?;
    }
    const MARK: &str = "UPDATE cases SET person_id = $1, person_synced_at = $2 WHERE id = $3 AND updated_at = $2";
    on_tx!(tx, conn => sqlx::query(MARK).bind(person).bind(case.updated_at).bind(case.id)
        .execute(&mut **conn).await.map(drop)?);
    Ok(())
}
