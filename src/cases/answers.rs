//! What each call gave a case: one row per call and answer (`case_answers`),
//! so that an answer a later call changed is kept beside the new one, with
//! when and by which call, for the volunteer to see.
//!
//! The case's own columns hold the current answers: the latest given (see
//! [`merge`](super::merge)); a call that gives nothing for a question
//! never clears what an earlier call gave. The rows here are every answer
//! given, so the page can list the earlier ones ("earlier: … (call at …)").
//! Only answers kept with consent are logged; a caller who later declines
//! has every row of the case erased with the rest (as retention does).

use chrono::{DateTime, Utc};

use crate::{
    db::{StoreError, Tx},
    domain::PhoneNumber,
    flow::Captured,
    on_tx,
};

/// The answers the log keeps, by the case column they fill.
pub const FIELDS: [&str; 4] = ["home_state_code", "home_district_code", "need", "callback_phone"];

/// The answers a call gave, as (case column, value) pairs: nothing for a
/// question it did not answer, nothing at all without its caller's consent.
pub fn given(call: &Captured) -> Vec<(&'static str, String)> {
    if call.consent != Some(true) {
        return Vec::new();
    }
    let mut answers = Vec::new();
    if let Some(state) = call.home_state {
        answers.push(("home_state_code", state.to_string()));
    }
    if let Some(district) = call.home_district {
        answers.push(("home_district_code", district.to_string()));
    }
    if let Some(need) = call.need {
        answers.push(("need", need.as_str().to_owned()));
    }
    if let Some(number) = &call.callback_number {
        answers.push(("callback_phone", number.as_e164().to_owned()));
    }
    answers
}

/// Logs what call `call_id` (started at `given_at`) gave case `case_id`,
/// once however often the call folds in; `merged` is the case after the
/// fold. A case whose caller declined keeps no answers: its log is erased.
pub(crate) async fn record(
    tx: &mut Tx<'_>,
    case_id: i64,
    call_id: i64,
    given_at: DateTime<Utc>,
    call: &Captured,
    merged: &Captured,
) -> Result<(), StoreError> {
    const ERASE: &str = "DELETE FROM case_answers WHERE case_id = $1";
    const INSERT: &str = "INSERT INTO case_answers (case_id, call_id, field, value, given_at)
                          VALUES ($1, $2, $3, $4, $5)
                          ON CONFLICT (call_id, field) DO NOTHING";
    if merged.consent != Some(true) {
        if merged.consent == Some(false) {
            on_tx!(tx, conn => sqlx::query(ERASE).bind(case_id).execute(&mut **conn).await.map(drop)?);
        }
        return Ok(());
    }
    for (field, value) in given(call) {
        on_tx!(tx, conn => {
            sqlx::query(INSERT)
                .bind(case_id)
                .bind(call_id)
                .bind(field)
                .bind(&value)
                .bind(given_at)
                .execute(&mut **conn)
                .await
                .map(drop)?
        });
    }
    Ok(())
}

/// Erases a case's log (retention: the case's personal fields go).
pub(crate) async fn erase(tx: &mut Tx<'_>, case_id: i64) -> Result<(), StoreError> {
    const SQL: &str = "DELETE FROM case_answers WHERE case_id = $1";
    on_tx!(tx, conn => sqlx::query(SQL).bind(case_id).execute(&mut **conn).await.map(drop)?);
    Ok(())
}

/// A callback number in the log as someone who does not hold the case may
/// see it: masked.
pub fn masked_value(field: &str, value: &str) -> String {
    match field {
        "callback_phone" => PhoneNumber::parse(value).map_or_else(|| "***".to_owned(), |p| p.masked()),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DistrictCode, Language, Need, StateCode};

    fn call() -> Captured {
        Captured {
            language: Language::parse("hi").ok(),
            consent: Some(true),
            home_state: StateCode::new(10).ok(),
            home_district: None,
            need: Some(Need::Food),
            voice_message: None,
            callback_number: PhoneNumber::indian_mobile("6000000001"),
            ..Captured::default()
        }
    }

    #[test]
    fn a_call_logs_the_answers_it_gave_and_nothing_for_the_rest() {
        let logged = given(&call());
        assert_eq!(
            logged,
            [
                ("home_state_code", "10".to_owned()),
                ("need", "food".to_owned()),
                ("callback_phone", "+916000000001".to_owned())
            ]
        );
        let with_district = Captured { home_district: DistrictCode::new(212).ok(), ..call() };
        assert!(given(&with_district).contains(&("home_district_code", "212".to_owned())));
        assert!(logged.iter().all(|(field, _)| FIELDS.contains(field)));
    }

    #[test]
    fn without_consent_nothing_is_logged() {
        assert!(given(&Captured { consent: None, ..call() }).is_empty());
        assert!(given(&Captured { consent: Some(false), ..call() }).is_empty());
    }

    #[test]
    fn a_callback_number_is_masked_for_those_who_do_not_hold_the_case() {
        assert_eq!(masked_value("callback_phone", "+916000000001"), "+91*******001");
        assert_eq!(masked_value("home_district_code", "212"), "212");
    }
}
