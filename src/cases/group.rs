//! Folding a group of ended calls into cases at once (SQLite's group
//! commit, `calls::batch`): one read finds every call's open case, the pure
//! [`merge`] decides each, and three statements write them all — the new
//! cases, the updated ones, and each call's case (then each call's answers
//! go to its case's log, `answers.rs`). The rules are
//! [`fold_into_case`]'s; a group that does not fit this path (a call folded
//! before, as a late voice message is, or two calls from one number) folds
//! one call at a time through it instead.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{
    answers, merge, priority,
    store::{CaseFields, bind_fields, fold_into_case},
};
use crate::{
    db::{
        StoreError, Tx,
        sqlite::{group_sql, pad_rows},
    },
    flow::Captured,
};

/// An ended call to fold in: what it captured, and when.
pub(crate) struct Fold<'a> {
    pub call_id: i64,
    pub data: &'a Captured,
    pub at: DateTime<Utc>,
}

/// Each call with its open case, if its number has one.
const OPEN_CASES: &str = "SELECT c.id AS call_id, c.phone, c.case_id, c.started_at, o.id AS open_id,
        o.language, o.consent, o.home_state_code, o.home_district_code, o.need, o.recording_url,
        o.recording_duration_secs, o.pin_code, o.place_recording_url, o.place_recording_duration_secs,
        o.callback_phone
    FROM (VALUES {rows}) v JOIN calls c ON c.id = v.column1
    LEFT JOIN cases o ON o.phone = c.phone AND o.closed_at IS NULL";

/// (phone, language, consent, state, district, need, recording url, its
/// seconds, PIN code, place recording url, its seconds, callback number,
/// first call at, the call, at, priority).
const INSERT_CASES: &str = "INSERT INTO cases (phone, language, consent, home_state_code, home_district_code, need,
        recording_url, recording_duration_secs, pin_code, place_recording_url, place_recording_duration_secs,
        callback_phone, status, calls, first_call_at, last_call_at, last_call_id, created_at, updated_at, priority)
    SELECT column1, column2, column3, column4, column5, column6, column7, column8, column9, column10, column11,
        column12, 'queued', 1, column13, column13, column14, column15, column15, column16
    FROM (VALUES {rows}) WHERE column14 IS NOT NULL
    RETURNING id, last_call_id";

/// (case, language, consent, state, district, need, recording url, its
/// seconds, PIN code, place recording url, its seconds, callback number,
/// the call, its start, at, priority): one more call folded in.
const UPDATE_CASES: &str = "UPDATE cases SET language = v.column2, consent = v.column3, home_state_code = v.column4,
        home_district_code = v.column5, need = v.column6, recording_url = v.column7,
        recording_duration_secs = v.column8, pin_code = v.column9, place_recording_url = v.column10,
        place_recording_duration_secs = v.column11, callback_phone = v.column12, calls = calls + 1,
        last_call_id = v.column13, last_call_at = v.column14, updated_at = v.column15, priority = v.column16,
        -- A referred caller who calls again needs a callback again.
        status = CASE WHEN status = 'follow_up' THEN 'queued' ELSE status END
    FROM (VALUES {rows}) AS v WHERE cases.id = v.column1";

/// (call, its case).
const REMEMBER: &str = "UPDATE calls SET case_id = v.column2 FROM (VALUES {rows}) AS v WHERE calls.id = v.column1";

#[derive(sqlx::FromRow)]
struct CallAndCase {
    call_id: i64,
    phone: Option<String>,
    case_id: Option<i64>,
    started_at: DateTime<Utc>,
    open_id: Option<i64>,
    #[sqlx(flatten)]
    open: CaseFields,
}

/// What one call's fold writes.
struct Folded<'a> {
    call_id: i64,
    /// What the call captured (its answers go to the case's log).
    data: &'a Captured,
    phone: Option<String>,
    started_at: DateTime<Utc>,
    at: DateTime<Utc>,
    /// The open case it joins; `None` opens one.
    case: Option<i64>,
    fields: Captured,
}

/// Folds the ended calls into cases in `tx` (see the module docs).
pub(crate) async fn fold_group(tx: &mut Tx<'_>, folds: &[Fold<'_>]) -> Result<(), StoreError> {
    if folds.len() < 2 {
        for fold in folds {
            fold_into_case(tx, fold.call_id, fold.data, fold.at).await?;
        }
        return Ok(());
    }
    let Tx::Sqlite(conn) = tx else { return Err(StoreError::Corrupt("group commit is SQLite's".to_owned())) };
    let mut query = sqlx::query_as(group_sql(OPEN_CASES, 1, folds.len()));
    for fold in folds {
        query = query.bind(fold.call_id);
    }
    let rows: Vec<CallAndCase> = pad_rows(query, 1, folds.len()).fetch_all(&mut **conn).await?;
    let mut by_call: HashMap<i64, CallAndCase> = rows.into_iter().map(|r| (r.call_id, r)).collect();
    let mut numbers = HashSet::new();
    let fits = by_call.len() == folds.len()
        && by_call.values().all(|r| r.case_id.is_none() && r.phone.as_ref().is_none_or(|p| numbers.insert(p.clone())));
    if !fits {
        for fold in folds {
            fold_into_case(tx, fold.call_id, fold.data, fold.at).await?;
        }
        return Ok(());
    }
    let mut folded = Vec::with_capacity(folds.len());
    for fold in folds {
        let Some(row) = by_call.remove(&fold.call_id) else { continue };
        let case = if row.open_id.is_some() { Some(row.open.captured()?) } else { None };
        let fields = merge(case.as_ref().unwrap_or(&Captured::default()), fold.data, true);
        folded.push(Folded {
            call_id: fold.call_id,
            data: fold.data,
            phone: row.phone,
            started_at: row.started_at,
            at: fold.at,
            case: row.open_id,
            fields,
        });
    }
    let mut cases: Vec<(i64, i64)> = folded.iter().filter_map(|f| f.case.map(|case| (f.call_id, case))).collect();
    cases.extend(insert_cases(tx, &folded).await?);
    update_cases(tx, &folded).await?;
    remember(tx, &cases).await?;
    for (call, case) in &cases {
        let Some(f) = folded.iter().find(|f| f.call_id == *call) else { continue };
        answers::record(tx, *case, f.call_id, f.started_at, f.data, &f.fields).await?;
    }
    Ok(())
}

/// Opens the cases of the calls whose numbers had none: (call, new case).
async fn insert_cases(tx: &mut Tx<'_>, folded: &[Folded<'_>]) -> Result<Vec<(i64, i64)>, StoreError> {
    let Tx::Sqlite(conn) = tx else { return Err(StoreError::Corrupt("group commit is SQLite's".to_owned())) };
    let new: Vec<&Folded<'_>> = folded.iter().filter(|f| f.case.is_none()).collect();
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = sqlx::query_as(group_sql(INSERT_CASES, 16, new.len()));
    for f in &new {
        query = bind_fields!(query.bind(&f.phone), &f.fields)
            .bind(f.started_at)
            .bind(f.call_id)
            .bind(f.at)
            .bind(priority(&f.fields));
    }
    let opened: Vec<(i64, i64)> = pad_rows(query, 16, new.len()).fetch_all(&mut **conn).await?;
    if opened.len() != new.len() {
        return Err(StoreError::Corrupt(format!("{} of {} cases opened", opened.len(), new.len())));
    }
    Ok(opened.into_iter().map(|(case, call)| (call, case)).collect())
}

/// Folds the calls whose numbers had an open case into it.
async fn update_cases(tx: &mut Tx<'_>, folded: &[Folded<'_>]) -> Result<(), StoreError> {
    let Tx::Sqlite(conn) = tx else { return Err(StoreError::Corrupt("group commit is SQLite's".to_owned())) };
    let joining: Vec<(&Folded<'_>, i64)> = folded.iter().filter_map(|f| f.case.map(|case| (f, case))).collect();
    if joining.is_empty() {
        return Ok(());
    }
    let mut query = sqlx::query(group_sql(UPDATE_CASES, 16, joining.len()));
    for (f, case) in &joining {
        query = bind_fields!(query.bind(case), &f.fields)
            .bind(f.call_id)
            .bind(f.started_at)
            .bind(f.at)
            .bind(priority(&f.fields));
    }
    pad_rows(query, 16, joining.len()).execute(&mut **conn).await?;
    Ok(())
}

/// Remembers each call's case on the call (a later fold of it finds it).
async fn remember(tx: &mut Tx<'_>, cases: &[(i64, i64)]) -> Result<(), StoreError> {
    let Tx::Sqlite(conn) = tx else { return Err(StoreError::Corrupt("group commit is SQLite's".to_owned())) };
    let mut query = sqlx::query(group_sql(REMEMBER, 2, cases.len()));
    for (call, case) in cases {
        query = query.bind(call).bind(case);
    }
    pad_rows(query, 2, cases.len()).execute(&mut **conn).await?;
    Ok(())
}
