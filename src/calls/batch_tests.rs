//! The group path writes what one turn at a time writes: the same calls,
//! events and cases (repeat callers, withheld numbers, a referred caller
//! calling again), whether the group fits the batched fold or not.

use chrono::{DateTime, TimeZone, Utc};

use super::{
    batch,
    store::CallStore,
    turn::{CallWrite, CommitOutcome, EventRecord, TurnCommit, apply_turn},
};
use crate::{
    db::{Db, Tx},
    domain::{CallId, Language, Need, StateCode},
    flow::{CallState, Captured, EndReason, Ending},
    gateway::Reply,
};

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, minute, 0).unwrap()
}

fn captured(state: Option<u8>, need: Option<Need>) -> Captured {
    Captured {
        language: Some(Language::parse("hi").unwrap()),
        consent: Some(true),
        home_state: state.map(|s| StateCode::new(s).unwrap()),
        home_district: None,
        need,
        voice_message: None,
        ..Captured::default()
    }
}

/// A call's last turn: it starts and ends at once (a status callback for a
/// call the server had not seen), from `phone`.
fn ended_call(sid: &str, phone: Option<&str>, data: Captured, minute: u32) -> TurnCommit {
    TurnCommit {
        call: CallWrite::New {
            provider: "twilio".to_owned(),
            provider_call_id: CallId::parse(sid).unwrap(),
            phone: phone.map(str::to_owned),
            flow_id: "default".to_owned(),
            flow_version: "v1".to_owned(),
        },
        state: CallState {
            node: "goodbye".to_owned(),
            attempts: 0,
            data,
            ended: Some(Ending { reason: EndReason::CallerHungUp, queue: true }),
            guess: Vec::new(),
            page: 0,
            offered: Vec::new(),
        },
        next_turn: 0,
        event: EventRecord {
            dedupe_key: "status:completed".to_owned(),
            kind: "ended".to_owned(),
            input: "{}".to_owned(),
            request_hash: format!("hash-{sid}"),
            node_before: None,
        },
        reply: Reply { content_type: "text/plain".to_owned(), body: String::new() },
        at: at(minute),
        fold_into_case: true,
    }
}

async fn database(dir: &tempfile::TempDir, name: &str) -> Db {
    Db::open(&format!("sqlite://{}", dir.path().join(name).display())).await.unwrap()
}

/// The first group one at a time, then `group` through the group path or
/// one at a time; what the database then holds, as text.
async fn written(db: &Db, first: &[TurnCommit], group: &[TurnCommit], grouped: bool) -> Vec<String> {
    CallStore::new(db.clone(), false).save_flow_version("default", "v1", "a flow").await.unwrap();
    for commit in first {
        let mut tx = db.begin().await.unwrap();
        assert!(matches!(apply_turn(&mut tx, commit).await.unwrap(), CommitOutcome::Committed(_)));
        tx.commit().await.unwrap();
    }
    let Db::Sqlite(pool) = db else { unreachable!("SQLite only") };
    sqlx::query("UPDATE cases SET status = 'follow_up' WHERE phone = '+911000000303'").execute(pool).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let outcomes = if grouped {
        batch::write(&mut tx, group).await.unwrap().into_iter().map(Result::unwrap).collect::<Vec<_>>()
    } else {
        let mut outcomes = Vec::new();
        for commit in group {
            outcomes.push(apply_turn(&mut tx, commit).await.unwrap());
        }
        outcomes
    };
    Tx::commit(tx).await.unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, CommitOutcome::Committed(_))), "{outcomes:?}");
    const CASES: &str = "SELECT coalesce(phone, '-') || ' ' || coalesce(language, '-') || ' ' || coalesce(consent, '-')
            || ' ' || coalesce(home_state_code, '-') || ' ' || coalesce(need, '-') || ' ' || status || ' '
            || calls || ' ' || first_call_at || ' ' || last_call_at || ' ' || priority || ' '
            || (SELECT provider_call_id FROM calls WHERE id = last_call_id)
            || ' [' || (SELECT group_concat(provider_call_id, ',') FROM calls WHERE case_id = cases.id) || ']'
            || ' ' || coalesce(callback_phone, '-') || ' {' || coalesce((SELECT group_concat(answer, ',') FROM
                (SELECT k.provider_call_id || ':' || a.field || '=' || a.value AS answer
                 FROM case_answers a JOIN calls k ON k.id = a.call_id WHERE a.case_id = cases.id
                 ORDER BY a.given_at, a.field, a.value)), '') || '}'
        FROM cases ORDER BY first_call_at, phone";
    sqlx::query_scalar(CASES).fetch_all(pool).await.unwrap()
}

async fn same_either_way(first: Vec<TurnCommit>, group: Vec<TurnCommit>) -> Vec<String> {
    let dir = tempfile::TempDir::new().unwrap();
    let grouped = written(&database(&dir, "grouped.db").await, &first, &group, true).await;
    let alone = written(&database(&dir, "alone.db").await, &first, &group, false).await;
    assert_eq!(grouped, alone);
    grouped
}

#[tokio::test]
async fn a_group_of_ended_calls_folds_as_the_calls_would_one_at_a_time() {
    let first = vec![
        ended_call("CA01", Some("+911000000301"), captured(Some(9), Some(Need::Food)), 1),
        ended_call("CA03", Some("+911000000303"), captured(Some(10), None), 2),
    ];
    let group = vec![
        // A repeat caller: the case keeps its place and what it knew, and
        // now needs medical help (first in line).
        ended_call("CA11", Some("+911000000301"), captured(None, Some(Need::Medical)), 10),
        ended_call("CA12", Some("+911000000302"), captured(Some(20), None), 10),
        ended_call("CA13", None, captured(Some(9), None), 11),
        ended_call("CA14", None, captured(None, None), 11),
        // Referred, and calling again: queued again.
        ended_call("CA15", Some("+911000000303"), captured(None, Some(Need::Travel)), 12),
    ];
    let cases = same_either_way(first, group).await;
    assert_eq!(cases.len(), 5, "{cases:#?}");
    assert!(cases[0].starts_with("+911000000301 hi 1 9 medical queued 2 "), "{}", cases[0]);
    assert!(cases[0].contains(" 0 CA11 [CA01,CA11] "), "{}", cases[0]);
    assert!(cases[1].starts_with("+911000000303 hi 1 10 travel queued 2 "), "{}", cases[1]);
}

#[tokio::test]
async fn two_calls_from_one_number_in_a_group_fold_one_after_the_other() {
    let first = vec![ended_call("CA01", Some("+911000000301"), captured(Some(9), None), 1)];
    let group = vec![
        ended_call("CA21", Some("+911000000304"), captured(Some(9), None), 10),
        ended_call("CA22", Some("+911000000304"), captured(None, Some(Need::Food)), 11),
        ended_call("CA23", Some("+911000000301"), captured(None, None), 12),
    ];
    let cases = same_either_way(first, group).await;
    assert_eq!(cases.len(), 2, "{cases:#?}");
    assert!(cases[1].starts_with("+911000000304 hi 1 9 food queued 2 "), "{}", cases[1]);
}

#[tokio::test]
async fn a_group_keeps_every_answer_given_and_the_callback_number() {
    let number = crate::domain::PhoneNumber::indian_mobile("6000000071");
    let with_number = Captured { callback_number: number.clone(), ..captured(Some(10), Some(Need::Food)) };
    let first = vec![ended_call("CA01", Some("+911000000301"), with_number, 1)];
    let group = vec![
        // A repeat call with another state and no callback number: the
        // number stays, the state is the latest, the first is logged.
        ended_call("CA31", Some("+911000000301"), captured(Some(20), None), 10),
        ended_call("CA32", Some("+911000000305"), captured(Some(9), None), 10),
    ];
    let cases = same_either_way(first, group).await;
    assert!(
        cases[0].ends_with(
            " +916000000071 {CA01:callback_phone=+916000000071,CA01:home_state_code=10,CA01:need=food,CA31:home_state_code=20}"
        ),
        "{}",
        cases[0]
    );
    assert!(cases[1].ends_with(" - {CA32:home_state_code=9}"), "{}", cases[1]);
}

#[tokio::test]
async fn a_later_decline_erases_the_answers_given_and_the_callback_number() {
    let number = crate::domain::PhoneNumber::indian_mobile("6000000071");
    let with_number = Captured { callback_number: number, ..captured(Some(10), Some(Need::Food)) };
    let first = vec![ended_call("CA01", Some("+911000000301"), with_number, 1)];
    let declined = Captured { consent: Some(false), ..captured(None, None) };
    let group = vec![
        ended_call("CA41", Some("+911000000301"), declined, 10),
        ended_call("CA42", Some("+911000000306"), captured(Some(9), None), 10),
    ];
    let cases = same_either_way(first, group).await;
    assert!(cases[0].starts_with("+911000000301 hi 0 - - queued 2 "), "{}", cases[0]);
    assert!(cases[0].ends_with(" - {}"), "nothing kept of what the caller gave: {}", cases[0]);
}
