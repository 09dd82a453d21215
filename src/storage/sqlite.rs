//! The SQLite backend: one file, WAL journal, `synchronous = FULL` so a
//! committed turn survives a power cut, not only a crash.

use std::{str::FromStr, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream::BoxStream};
use sqlx::{
    Row, Sqlite, SqlitePool, Transaction,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous},
};

use super::{CallWrite, CommitOutcome, Counts, IdleCall, LastTurn, Store, StoreError, StoredCall, TurnCommit};
use crate::{
    cases::{CaseRecord, merge},
    domain::{Language, Need},
    flow::{CallState, Captured, VoiceMessage},
    gateway::Reply,
};

/// The case columns [`captured_from_row`] reads; a macro so queries stay static strings.
macro_rules! case_fields {
    () => {
        "language, consent, home_state_code, home_district_code, need, recording_url, recording_duration_secs"
    };
}

fn captured_from_row(row: &SqliteRow) -> Result<Captured, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("case {what}"));
    let language = row
        .get::<Option<String>, _>("language")
        .map(|l| Language::parse(&l).map_err(|_| corrupt("language")))
        .transpose()?;
    let need =
        row.get::<Option<String>, _>("need").map(|n| n.parse::<Need>().map_err(|_| corrupt("need"))).transpose()?;
    let voice_message = row.get::<Option<String>, _>("recording_url").map(|url| VoiceMessage {
        url,
        duration_secs: row.get::<Option<i64>, _>("recording_duration_secs").map(|d| d as u32),
    });
    Ok(Captured {
        language,
        consent: row.get("consent"),
        home_state: row.get::<Option<i64>, _>("home_state_code").map(|c| c as u8),
        home_district: row.get::<Option<i64>, _>("home_district_code").map(|c| c as u16),
        need,
        voice_message,
    })
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens the database file a `sqlite:` URL names, creating it if asked.
    pub async fn connect(url: &str, create_if_missing: bool) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(create_if_missing)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        Ok(Self { pool })
    }
}

fn state_json(state: &CallState) -> Result<String, StoreError> {
    serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn ready(&self) -> Result<(), StoreError> {
        let applied: i64 =
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success").fetch_one(&self.pool).await?;
        if applied < MIGRATOR.iter().count() as i64 {
            return Err(StoreError::Corrupt("migrations are not current".to_owned()));
        }
        Ok(())
    }

    async fn save_flow_version(&self, flow_id: &str, version: &str, source: &str) -> Result<(), StoreError> {
        sqlx::query(
            r#"INSERT INTO flow_versions (flow_id, version, source, created_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (flow_id, version) DO NOTHING"#,
        )
        .bind(flow_id)
        .bind(version)
        .bind(source)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn flow_source(&self, flow_id: &str, version: &str) -> Result<Option<String>, StoreError> {
        let source = sqlx::query_scalar("SELECT source FROM flow_versions WHERE flow_id = ? AND version = ?")
            .bind(flow_id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        Ok(source)
    }

    async fn stored_reply(&self, provider: &str, call_id: &str, dedupe_key: &str) -> Result<Option<Reply>, StoreError> {
        let row = sqlx::query(
            r#"SELECT e.reply_content_type, e.reply FROM call_events e JOIN calls c ON c.id = e.call_id
               WHERE c.provider = ? AND c.provider_call_id = ? AND e.dedupe_key = ?"#,
        )
        .bind(provider)
        .bind(call_id)
        .bind(dedupe_key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| Reply { content_type: r.get(0), body: r.get(1) }))
    }

    async fn last_turn(&self, call: i64) -> Result<Option<LastTurn>, StoreError> {
        let row = sqlx::query(
            r#"SELECT reply_content_type, reply, request_hash, created_at FROM call_events
               WHERE call_id = ? AND dedupe_key LIKE 'turn:%' ORDER BY id DESC LIMIT 1"#,
        )
        .bind(call)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| LastTurn {
            reply: Reply { content_type: r.get(0), body: r.get(1) },
            request_hash: r.get(2),
            at: r.get(3),
        }))
    }

    async fn load_call(&self, provider: &str, call_id: &str) -> Result<Option<StoredCall>, StoreError> {
        let row = sqlx::query(
            r#"SELECT id, flow_id, flow_version, state, turn, version FROM calls
               WHERE provider = ? AND provider_call_id = ?"#,
        )
        .bind(provider)
        .bind(call_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let state: String = row.get("state");
        let state = serde_json::from_str(&state).map_err(|e| StoreError::Corrupt(format!("call state: {e}")))?;
        Ok(Some(StoredCall {
            id: row.get("id"),
            flow_id: row.get("flow_id"),
            flow_version: row.get("flow_version"),
            state,
            turn: row.get::<i64, _>("turn") as u32,
            version: row.get("version"),
        }))
    }

    async fn commit_turn(&self, commit: TurnCommit) -> Result<CommitOutcome, StoreError> {
        // Rolled back on drop if any step below returns early.
        let mut tx = self.pool.begin().await?;
        let Some(call_id) = write_call(&mut tx, &commit).await? else {
            return Ok(CommitOutcome::Conflict);
        };
        if !insert_event(&mut tx, call_id, &commit).await? {
            return Ok(CommitOutcome::Duplicate);
        }
        if commit.fold_into_case {
            fold_into_case(&mut tx, call_id, &commit.state.data, commit.at).await?;
        }
        tx.commit().await?;
        Ok(CommitOutcome::Committed)
    }

    async fn idle_calls(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<IdleCall>, StoreError> {
        let rows = sqlx::query(
            r#"SELECT provider, provider_call_id FROM calls
               WHERE ended_at IS NULL AND updated_at < ? ORDER BY updated_at LIMIT ?"#,
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| IdleCall { provider: r.get(0), provider_call_id: r.get(1) }).collect())
    }

    fn export_cases(&self) -> BoxStream<'_, Result<CaseRecord, StoreError>> {
        sqlx::query(
            r#"SELECT id, phone, language, consent, home_state_code, home_district_code, need,
                      recording_url, status, calls, first_call_at, last_call_at
               FROM cases ORDER BY id"#,
        )
        .fetch(&self.pool)
        .map_err(StoreError::from)
        .and_then(|row| async move { case_record(&row) })
        .boxed()
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let row = sqlx::query(
            r#"SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM call_events), (SELECT count(*) FROM cases)"#,
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Counts { calls: row.get(0), events: row.get(1), cases: row.get(2) })
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// Inserts or updates the call row; `None` when another request got there first.
async fn write_call(tx: &mut Transaction<'_, Sqlite>, commit: &TurnCommit) -> Result<Option<i64>, StoreError> {
    let state = state_json(&commit.state)?;
    let (end_reason, ended_at) = match commit.state.ended {
        Some(ending) => (Some(ending.reason.as_str()), Some(commit.at)),
        None => (None, None),
    };
    match &commit.call {
        CallWrite::New { provider, provider_call_id, phone, flow_id, flow_version } => {
            let id = sqlx::query_scalar(
                r#"INSERT INTO calls (provider, provider_call_id, phone, flow_id, flow_version, state, turn,
                                      version, node, end_reason, ended_at, started_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
                   ON CONFLICT (provider, provider_call_id) DO NOTHING
                   RETURNING id"#,
            )
            .bind(provider)
            .bind(provider_call_id)
            .bind(phone)
            .bind(flow_id)
            .bind(flow_version)
            .bind(&state)
            .bind(i64::from(commit.next_turn))
            .bind(&commit.state.node)
            .bind(end_reason)
            .bind(ended_at)
            .bind(commit.at)
            .bind(commit.at)
            .fetch_optional(&mut **tx)
            .await?;
            Ok(id)
        }
        CallWrite::Existing { id, expected_version } => {
            let updated = sqlx::query(
                r#"UPDATE calls SET state = ?, turn = ?, version = version + 1, node = ?,
                          end_reason = coalesce(end_reason, ?), ended_at = coalesce(ended_at, ?), updated_at = ?
                   WHERE id = ? AND version = ?"#,
            )
            .bind(&state)
            .bind(i64::from(commit.next_turn))
            .bind(&commit.state.node)
            .bind(end_reason)
            .bind(ended_at)
            .bind(commit.at)
            .bind(id)
            .bind(expected_version)
            .execute(&mut **tx)
            .await?;
            Ok((updated.rows_affected() == 1).then_some(*id))
        }
    }
}

/// Records the webhook; false when its dedupe key is already there (a retry).
async fn insert_event(tx: &mut Transaction<'_, Sqlite>, call_id: i64, commit: &TurnCommit) -> Result<bool, StoreError> {
    let event = &commit.event;
    let inserted = sqlx::query(
        r#"INSERT INTO call_events (call_id, dedupe_key, kind, input, request_hash, node_before, node_after,
                                    reply_content_type, reply, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (call_id, dedupe_key) DO NOTHING"#,
    )
    .bind(call_id)
    .bind(&event.dedupe_key)
    .bind(&event.kind)
    .bind(&event.input)
    .bind(&event.request_hash)
    .bind(&event.node_before)
    .bind(&commit.state.node)
    .bind(&commit.reply.content_type)
    .bind(&commit.reply.body)
    .bind(commit.at)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Folds an ended call into its caller's open case, or opens one. Safe to
/// repeat for the same call: the call's case is remembered on the call.
async fn fold_into_case(
    tx: &mut Transaction<'_, Sqlite>,
    call_id: i64,
    data: &Captured,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let call = sqlx::query("SELECT phone, case_id, started_at FROM calls WHERE id = ?")
        .bind(call_id)
        .fetch_one(&mut **tx)
        .await?;
    let phone: Option<String> = call.get("phone");
    let started_at: DateTime<Utc> = call.get("started_at");
    if let Some(case_id) = call.get::<Option<i64>, _>("case_id") {
        let case = sqlx::query(concat!("SELECT ", case_fields!(), ", last_call_id FROM cases WHERE id = ?"))
            .bind(case_id)
            .fetch_one(&mut **tx)
            .await?;
        let latest = case.get::<Option<i64>, _>("last_call_id") == Some(call_id);
        let merged = merge(&captured_from_row(&case)?, data, latest);
        return update_case(tx, case_id, &merged, None, at).await;
    }
    let open = match &phone {
        Some(phone) => {
            sqlx::query(concat!("SELECT id, ", case_fields!(), " FROM cases WHERE phone = ? AND closed_at IS NULL"))
                .bind(phone)
                .fetch_optional(&mut **tx)
                .await?
        }
        None => None,
    };
    let case_id = match open {
        Some(case) => {
            let case_id: i64 = case.get("id");
            let merged = merge(&captured_from_row(&case)?, data, true);
            update_case(tx, case_id, &merged, Some((call_id, started_at)), at).await?;
            case_id
        }
        None => {
            insert_case(tx, phone.as_deref(), &merge(&Captured::default(), data, true), call_id, started_at, at).await?
        }
    };
    sqlx::query("UPDATE calls SET case_id = ? WHERE id = ?").bind(case_id).bind(call_id).execute(&mut **tx).await?;
    Ok(())
}

/// Writes merged fields; with `new_call`, counts one more call folded in.
async fn update_case(
    tx: &mut Transaction<'_, Sqlite>,
    case_id: i64,
    fields: &Captured,
    new_call: Option<(i64, DateTime<Utc>)>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (added, last_call_id, last_call_at) = match new_call {
        Some((id, started)) => (1, Some(id), Some(started)),
        None => (0, None, None),
    };
    sqlx::query(
        r#"UPDATE cases SET language = ?, consent = ?, home_state_code = ?, home_district_code = ?, need = ?,
                  recording_url = ?, recording_duration_secs = ?, calls = calls + ?,
                  last_call_id = coalesce(?, last_call_id), last_call_at = coalesce(?, last_call_at), updated_at = ?
           WHERE id = ?"#,
    )
    .bind(fields.language.as_ref().map(Language::as_str))
    .bind(fields.consent)
    .bind(fields.home_state.map(i64::from))
    .bind(fields.home_district.map(i64::from))
    .bind(fields.need.map(Need::as_str))
    .bind(fields.voice_message.as_ref().map(|m| m.url.as_str()))
    .bind(fields.voice_message.as_ref().and_then(|m| m.duration_secs).map(i64::from))
    .bind(added)
    .bind(last_call_id)
    .bind(last_call_at)
    .bind(at)
    .bind(case_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_case(
    tx: &mut Transaction<'_, Sqlite>,
    phone: Option<&str>,
    fields: &Captured,
    call_id: i64,
    started_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        r#"INSERT INTO cases (phone, language, consent, home_state_code, home_district_code, need, recording_url,
                              recording_duration_secs, status, calls, first_call_at, last_call_at, last_call_id,
                              created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 1, ?, ?, ?, ?, ?)
           RETURNING id"#,
    )
    .bind(phone)
    .bind(fields.language.as_ref().map(Language::as_str))
    .bind(fields.consent)
    .bind(fields.home_state.map(i64::from))
    .bind(fields.home_district.map(i64::from))
    .bind(fields.need.map(Need::as_str))
    .bind(fields.voice_message.as_ref().map(|m| m.url.as_str()))
    .bind(fields.voice_message.as_ref().and_then(|m| m.duration_secs).map(i64::from))
    .bind(started_at)
    .bind(started_at)
    .bind(call_id)
    .bind(at)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

fn case_record(row: &SqliteRow) -> Result<CaseRecord, StoreError> {
    Ok(CaseRecord {
        id: row.try_get("id")?,
        phone: row.try_get("phone")?,
        language: row.try_get("language")?,
        consent: row.try_get("consent")?,
        home_state_code: row.try_get("home_state_code")?,
        home_district_code: row.try_get("home_district_code")?,
        need: row.try_get("need")?,
        recording_url: row.try_get("recording_url")?,
        status: row.try_get("status")?,
        calls: row.try_get("calls")?,
        first_call_at: row.try_get("first_call_at")?,
        last_call_at: row.try_get("last_call_at")?,
    })
}
