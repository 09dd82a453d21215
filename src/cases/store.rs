//! The cases' store: folding ended calls in (inside the turn's transaction),
//! and reading cases out for the export; one SQL text for both backends.
//!
//! On PostgreSQL the caller's open case is read `FOR UPDATE`, so two
//! instances folding calls from one number take turns; two racing to open
//! the first case for a number collide on the unique index, and the loser's
//! turn is retried. SQLite's single writer needs neither.

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream::BoxStream};

use super::{CaseRecord, answers, merge, priority};
use crate::{
    db::{Db, StoreError, Tx, corrupt},
    domain::{DistrictCode, Language, Need, PhoneNumber, StateCode},
    flow::{Captured, VoiceMessage},
    on_db, on_tx,
};

/// The case columns [`CaseFields`] reads; a macro so queries stay static strings.
macro_rules! case_fields {
    () => {
        "language, consent, home_state_code, home_district_code, need, recording_url, recording_duration_secs, \
         pin_code, place_recording_url, place_recording_duration_secs, callback_phone"
    };
}

/// What a case holds of what callers said, as stored.
#[derive(sqlx::FromRow)]
pub(super) struct CaseFields {
    language: Option<String>,
    consent: Option<bool>,
    home_state_code: Option<StateCode>,
    home_district_code: Option<DistrictCode>,
    need: Option<String>,
    recording_url: Option<String>,
    recording_duration_secs: Option<i64>,
    pin_code: Option<String>,
    place_recording_url: Option<String>,
    place_recording_duration_secs: Option<i64>,
    callback_phone: Option<String>,
}

#[derive(sqlx::FromRow)]
struct OpenCase {
    id: i64,
    #[sqlx(flatten)]
    fields: CaseFields,
}

#[derive(sqlx::FromRow)]
struct FoldedCase {
    last_call_id: Option<i64>,
    #[sqlx(flatten)]
    fields: CaseFields,
}

#[derive(sqlx::FromRow)]
struct CallOfCase {
    phone: Option<String>,
    case_id: Option<i64>,
    started_at: DateTime<Utc>,
}

impl CaseFields {
    pub(super) fn captured(self) -> Result<Captured, StoreError> {
        let language = self.language.map(|l| Language::parse(&l).map_err(|_| corrupt("case language"))).transpose()?;
        let need = self.need.map(|n| n.parse::<Need>().map_err(|_| corrupt("case need"))).transpose()?;
        let duration_secs =
            self.recording_duration_secs.map(u32::try_from).transpose().map_err(|_| corrupt("case recording"))?;
        let place_secs =
            self.place_recording_duration_secs.map(u32::try_from).transpose().map_err(|_| corrupt("case recording"))?;
        let callback_number = self
            .callback_phone
            .map(|raw| {
                PhoneNumber::parse(&raw).filter(|p| p.as_e164() == raw).ok_or_else(|| corrupt("case callback number"))
            })
            .transpose()?;
        Ok(Captured {
            language,
            consent: self.consent,
            home_state: self.home_state_code,
            home_district: self.home_district_code,
            need,
            voice_message: self.recording_url.map(|url| VoiceMessage { url, duration_secs }),
            // A PIN code a volunteer typed is six digits too (`queue::CaseNotes`).
            pin: self.pin_code.and_then(|p| p.parse().ok()),
            place_message: self.place_recording_url.map(|url| VoiceMessage { url, duration_secs: place_secs }),
            callback_number,
        })
    }
}

/// Folds an ended call into its caller's open case, or opens one. Safe to
/// repeat for the same call: the call's case is remembered on the call.
pub(crate) async fn fold_into_case(
    tx: &mut Tx<'_>,
    call_id: i64,
    data: &Captured,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const CALL: &str = "SELECT phone, case_id, started_at FROM calls WHERE id = $1";
    let call: CallOfCase = on_tx!(tx, conn => sqlx::query_as(CALL).bind(call_id).fetch_one(&mut **conn).await?);
    if let Some(case_id) = call.case_id {
        let case: FoldedCase = on_tx!(tx, conn, d => {
            const SQL: &str = concat!("SELECT ", case_fields!(), ", last_call_id FROM cases WHERE id = $1", d::for_update!());
            sqlx::query_as(SQL).bind(case_id).fetch_one(&mut **conn).await?
        });
        let latest = case.last_call_id == Some(call_id);
        let merged = merge(&case.fields.captured()?, data, latest);
        update_case(tx, case_id, &merged, None, at).await?;
        return answers::record(tx, case_id, call_id, call.started_at, data, &merged).await;
    }
    let open: Option<OpenCase> = match &call.phone {
        Some(phone) => on_tx!(tx, conn, d => {
            const SQL: &str = concat!(
                "SELECT id, ", case_fields!(), " FROM cases WHERE phone = $1 AND closed_at IS NULL", d::for_update!()
            );
            sqlx::query_as(SQL).bind(phone).fetch_optional(&mut **conn).await?
        }),
        None => None,
    };
    let (case_id, merged) = match open {
        Some(case) => {
            let merged = merge(&case.fields.captured()?, data, true);
            update_case(tx, case.id, &merged, Some((call_id, call.started_at)), at).await?;
            (case.id, merged)
        }
        None => {
            let fields = merge(&Captured::default(), data, true);
            (insert_case(tx, call.phone.as_deref(), &fields, call_id, call.started_at, at).await?, fields)
        }
    };
    answers::record(tx, case_id, call_id, call.started_at, data, &merged).await?;
    const REMEMBER: &str = "UPDATE calls SET case_id = $1 WHERE id = $2";
    on_tx!(tx, conn => sqlx::query(REMEMBER).bind(case_id).bind(call_id).execute(&mut **conn).await.map(drop)?);
    Ok(())
}

/// Binds what a case keeps of `$fields` (a `Captured`), in column order:
/// language, consent, home state, home district, need, recording URL, its
/// seconds, PIN code, place recording URL, its seconds, callback number
/// (the `Columns` of every write of a case).
macro_rules! bind_fields {
    ($query:expr, $fields:expr) => {{
        let fields: &$crate::flow::Captured = $fields;
        let f = $crate::cases::store::Columns::of(fields);
        $query
            .bind(f.language)
            .bind(fields.consent)
            .bind(f.home_state)
            .bind(f.home_district)
            .bind(f.need)
            .bind(f.recording_url)
            .bind(f.recording_secs)
            .bind(f.pin)
            .bind(f.place_url)
            .bind(f.place_secs)
            .bind(f.callback_phone)
    }};
}
pub(super) use bind_fields;

/// Writes merged fields; with `new_call`, counts one more call folded in.
async fn update_case(
    tx: &mut Tx<'_>,
    case_id: i64,
    fields: &Captured,
    new_call: Option<(i64, DateTime<Utc>)>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE cases SET language = $1, consent = $2, home_state_code = $3, home_district_code = $4,
                              need = $5, recording_url = $6, recording_duration_secs = $7, pin_code = $8,
                              place_recording_url = $9, place_recording_duration_secs = $10,
                              callback_phone = $11, calls = calls + $12,
                              last_call_id = coalesce($13, last_call_id), last_call_at = coalesce($14, last_call_at),
                              updated_at = $15, priority = $16,
                              -- A referred caller who calls again needs a callback again.
                              status = CASE WHEN $12 = 1 AND status = 'follow_up' THEN 'queued' ELSE status END
                       WHERE id = $17";
    let (added, last_call_id, last_call_at) = match new_call {
        Some((id, started)) => (1_i64, Some(id), Some(started)),
        None => (0_i64, None, None),
    };
    on_tx!(tx, conn => {
        bind_fields!(sqlx::query(SQL), fields)
            .bind(added)
            .bind(last_call_id)
            .bind(last_call_at)
            .bind(at)
            .bind(priority(fields))
            .bind(case_id)
            .execute(&mut **conn)
            .await
            .map(drop)?
    });
    Ok(())
}

async fn insert_case(
    tx: &mut Tx<'_>,
    phone: Option<&str>,
    fields: &Captured,
    call_id: i64,
    started_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO cases (phone, language, consent, home_state_code, home_district_code, need,
                                         recording_url, recording_duration_secs, pin_code, place_recording_url,
                                         place_recording_duration_secs, callback_phone, status, calls, first_call_at,
                                         last_call_at, last_call_id, created_at, updated_at, priority)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'queued', 1, $13, $13, $14, $15, $15,
                               $16)
                       RETURNING id";
    Ok(on_tx!(tx, conn => {
        bind_fields!(sqlx::query_scalar(SQL).bind(phone), fields)
            .bind(started_at)
            .bind(call_id)
            .bind(at)
            .bind(priority(fields))
            .fetch_one(&mut **conn)
            .await?
    }))
}

/// What a case's columns get from captured fields.
pub(super) struct Columns<'a> {
    pub language: Option<&'a str>,
    pub home_state: Option<StateCode>,
    pub home_district: Option<DistrictCode>,
    pub need: Option<&'static str>,
    pub recording_url: Option<&'a str>,
    pub recording_secs: Option<i64>,
    pub pin: Option<String>,
    pub place_url: Option<&'a str>,
    pub place_secs: Option<i64>,
    pub callback_phone: Option<&'a str>,
}

impl<'a> Columns<'a> {
    pub(super) fn of(fields: &'a Captured) -> Self {
        Self {
            language: fields.language.as_ref().map(Language::as_str),
            home_state: fields.home_state,
            home_district: fields.home_district,
            need: fields.need.map(Need::as_str),
            recording_url: fields.voice_message.as_ref().map(|m| m.url.as_str()),
            recording_secs: fields.voice_message.as_ref().and_then(|m| m.duration_secs).map(i64::from),
            pin: fields.pin.map(|p| format!("{p:06}")),
            place_url: fields.place_message.as_ref().map(|m| m.url.as_str()),
            place_secs: fields.place_message.as_ref().and_then(|m| m.duration_secs).map(i64::from),
            callback_phone: fields.callback_number.as_ref().map(PhoneNumber::as_e164),
        }
    }
}

/// Reading cases out (and erasing them: see `retention.rs`).
#[derive(Debug, Clone)]
pub struct CaseStore {
    pub(super) db: Db,
}

impl CaseStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Every case, streamed in id order.
    pub fn export_cases(&self) -> BoxStream<'_, Result<CaseRecord, StoreError>> {
        const SQL: &str = "SELECT id, phone, language, consent, home_state_code, home_district_code, need,
                                  recording_url, pin_code, place_recording_url, status, calls, first_call_at,
                                  last_call_at, callback_phone
                           FROM cases ORDER BY id";
        on_db!(&self.db, pool => sqlx::query_as(SQL).fetch(pool).map_err(StoreError::from).boxed())
    }
}
