//! Retention in the cases' store: erasing the personal fields of cases
//! closed long ago (callback number and the log of answers included), and
//! of their calls, attempts and events, while keeping
//! what anonymous counts need (language, state, district, need, status,
//! dates). `crate::retention` runs it and deletes the erased voice messages
//! at the gateways that keep them.

use chrono::{DateTime, Utc};

use super::CaseStore;
use crate::{
    db::{StoreError, Tx},
    flow::CallState,
    on_tx,
};

/// What a retention run erased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    pub cases: u64,
    pub recordings: Vec<PurgedRecording>,
}

/// An erased voice message, to delete at the gateway that keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgedRecording {
    pub url: String,
    /// The gateway whose call brought the message in (`calls.provider`);
    /// `None` when no call of the case holds it.
    pub gateway: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ClosedCase {
    id: i64,
    recording_url: Option<String>,
    place_recording_url: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CallOfCase {
    id: i64,
    provider: String,
    state: String,
}

impl CaseStore {
    /// Erases the personal fields of cases closed before `before` (number,
    /// voice message, what the volunteer wrote down) and of their calls,
    /// attempts and events, marking them purged at `now`. Returns the
    /// erased voice messages, with the gateway each came through, to delete
    /// them at the gateway too. A case is erased once.
    pub async fn purge_closed_cases(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<Purged, StoreError> {
        const CLOSED: &str = "UPDATE cases SET purged_at = $1
                              WHERE closed_at IS NOT NULL AND closed_at < $2 AND purged_at IS NULL
                              RETURNING id, recording_url, place_recording_url";
        // Rolled back on drop if any step fails: a case is erased whole or not at all.
        let mut tx = self.db.begin().await?;
        let cases: Vec<ClosedCase> =
            on_tx!(&mut tx, conn => sqlx::query_as(CLOSED).bind(now).bind(before).fetch_all(&mut **conn).await?);
        let mut purged = Purged::default();
        for case in cases {
            purged.recordings.extend(erase_case(&mut tx, case).await?);
            purged.cases += 1;
        }
        tx.commit().await?;
        Ok(purged)
    }
}

/// Erases one case, its attempts' notes and its calls' numbers, voice
/// message and recording events; returns its voice message, if it had one.
async fn erase_case(tx: &mut Tx<'_>, case: ClosedCase) -> Result<Vec<PurgedRecording>, StoreError> {
    const CALLS: &str = "SELECT id, provider, state FROM calls WHERE case_id = $1 ORDER BY id DESC";
    const CASE: &str = "UPDATE cases SET phone = NULL, callback_phone = NULL, recording_url = NULL,
                               recording_duration_secs = NULL, place_recording_url = NULL,
                               place_recording_duration_secs = NULL,
                               referred_to = NULL, worker_name = NULL, village = NULL, ward = NULL,
                               post_office = NULL, pin_code = NULL, current_location = NULL
                        WHERE id = $1";
    const ATTEMPTS: &str = "UPDATE attempts SET notes = NULL, referred_to = NULL WHERE case_id = $1";
    let calls: Vec<CallOfCase> = on_tx!(tx, conn => sqlx::query_as(CALLS).bind(case.id).fetch_all(&mut **conn).await?);
    let states: Vec<(String, String)> = calls.iter().map(|c| (c.provider.clone(), c.state.clone())).collect();
    let mut recordings = Vec::new();
    for url in case.recording_url.into_iter().chain(case.place_recording_url) {
        let gateway = gateway_of_voice_message(&url, &states)?;
        recordings.push(PurgedRecording { url, gateway });
    }
    on_tx!(tx, conn => sqlx::query(CASE).bind(case.id).execute(&mut **conn).await.map(drop)?);
    on_tx!(tx, conn => sqlx::query(ATTEMPTS).bind(case.id).execute(&mut **conn).await.map(drop)?);
    super::answers::erase(tx, case.id).await?;
    for call in calls {
        erase_call(tx, call.id, erase_voice_message(call.state)?).await?;
    }
    Ok(recordings)
}

/// Erases a call's number and its recording events; `state` is its state
/// without the voice message.
async fn erase_call(tx: &mut Tx<'_>, call_id: i64, state: String) -> Result<(), StoreError> {
    const CALL: &str = "UPDATE calls SET phone = NULL, state = $1 WHERE id = $2";
    const EVENTS: &str = r#"UPDATE call_events SET input = '{"erased":true}'
                            WHERE call_id = $1 AND kind IN ('recorded', 'recording_ready')"#;
    on_tx!(tx, conn => sqlx::query(CALL).bind(state).bind(call_id).execute(&mut **conn).await.map(drop)?);
    on_tx!(tx, conn => sqlx::query(EVENTS).bind(call_id).execute(&mut **conn).await.map(drop)?);
    Ok(())
}

fn parse_state(state: &str) -> Result<CallState, StoreError> {
    serde_json::from_str(state).map_err(|e| StoreError::Corrupt(format!("call state: {e}")))
}

/// The provider of the first of `calls` (`(provider, state)`) whose state
/// holds the voice message at `url`: only that gateway keeps it.
pub(crate) fn gateway_of_voice_message(url: &str, calls: &[(String, String)]) -> Result<Option<String>, StoreError> {
    for (provider, state) in calls {
        let data = parse_state(state)?.data;
        if [data.voice_message, data.place_message].into_iter().flatten().any(|m| m.url == url) {
            return Ok(Some(provider.clone()));
        }
    }
    Ok(None)
}

/// A call's state without its voice message and the callback number it
/// was given (the rest is not personal).
pub(crate) fn erase_voice_message(state: String) -> Result<String, StoreError> {
    let mut parsed = parse_state(&state)?;
    parsed.data.voice_message = None;
    parsed.data.place_message = None;
    parsed.data.callback_number = None;
    serde_json::to_string(&parsed).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::{erase_voice_message, gateway_of_voice_message, parse_state};
    use crate::{
        domain::StateCode,
        flow::{CallState, Captured, VoiceMessage},
    };

    fn state(url: Option<&str>) -> String {
        let voice_message = url.map(|url| VoiceMessage { url: url.to_owned(), duration_secs: Some(12) });
        let data =
            Captured { consent: Some(true), home_state: StateCode::new(10).ok(), voice_message, ..Captured::default() };
        serde_json::to_string(&CallState {
            node: "thanks".to_owned(),
            attempts: 0,
            data,
            ended: None,
            guess: Vec::new(),
            page: 0,
            offered: Vec::new(),
        })
        .unwrap()
    }

    #[test]
    fn the_voice_message_belongs_to_the_gateway_of_the_call_that_holds_it() {
        let calls = [
            ("plivo".to_owned(), state(None)),
            ("twilio".to_owned(), state(Some("https://api.twilio.com/rec/RE1"))),
            ("exotel".to_owned(), state(Some("https://exotel.example/rec/2"))),
        ];
        assert_eq!(
            gateway_of_voice_message("https://api.twilio.com/rec/RE1", &calls).unwrap().as_deref(),
            Some("twilio")
        );
        assert_eq!(gateway_of_voice_message("https://elsewhere.example/3", &calls).unwrap(), None);
    }

    #[test]
    fn a_call_state_that_is_not_json_is_corrupt() {
        let calls = [("twilio".to_owned(), "not json".to_owned())];
        assert!(gateway_of_voice_message("https://api.twilio.com/rec/RE1", &calls).is_err());
    }

    #[test]
    fn erasing_keeps_everything_but_the_voice_message() {
        let erased = parse_state(&erase_voice_message(state(Some("https://api.twilio.com/rec/RE1"))).unwrap()).unwrap();
        let expected: CallState = parse_state(&state(None)).unwrap();
        assert_eq!(erased, expected);
    }
}
