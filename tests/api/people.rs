//! The national database's people, on whichever backend the tests run on:
//! a caller becomes a person; a list's values for them never replace what
//! they said, but stand beside it as conflicts for a coordinator to settle;
//! the same values given again change nothing; a person without a number is
//! a record of their own.

use std::time::Duration;

use chrono::Utc;
use sampark::{
    domain::PhoneNumber,
    people::{Field, Given, Person, Recorded, Source, SourceKind, Standing},
};

use super::helpers::{TestApp, spawn_app};

/// The person with `phone`, once the server's sync has recorded them.
async fn person_with(app: &TestApp, phone: &str) -> Person {
    for _ in 0..100 {
        if let Some(person) = app.people.by_phone(phone).await.unwrap() {
            return person;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{phone} never became a person");
}

/// A list's source, imported by `coord`.
pub fn list(name: &str) -> Source {
    Source {
        kind: SourceKind::Import,
        name: name.to_owned(),
        unit_id: None,
        by: Some("coord".to_owned()),
        at: Utc::now(),
    }
}

fn given(phone: Option<&str>, values: &[(Field, &str)]) -> Given {
    let mut given = Given { phone: phone.and_then(PhoneNumber::parse), values: Vec::new() };
    for (field, value) in values {
        given.set(*field, value);
    }
    given
}

#[tokio::test]
async fn a_caller_on_a_state_list_is_one_person_and_the_list_never_replaces_what_they_said() {
    // Arrange: a caller from Bihar (10) who agreed, with need 1 (food).
    let app = spawn_app().await;
    app.queue_caller("CAe0000000000000000000000000000101", "+916000000101", "1", "10", Some("1")).await;
    let caller = person_with(&app, "+916000000101").await;
    assert_eq!((caller.home_state_code, caller.consent), (Some(10), Some(true)));
    let (_, facts) = app.people.person(caller.id).await.unwrap().unwrap();
    assert!(facts.iter().all(|f| f.source_kind == SourceKind::Call && f.source.starts_with("call ")), "{facts:?}");
    assert!(facts.iter().any(|f| f.field == Field::Need && f.value == "food"), "{facts:?}");

    // Act: a state list has the same worker, with a name and another state.
    let row = given(Some("+91 60000 00101"), &[(Field::Name, "Ram Kumar"), (Field::HomeState, "9")]);
    let recorded = app.people.record(&row, &list("up-labour-2020")).await.unwrap();

    // Assert: the same person; the name fills in, the state stays as said.
    assert_eq!(recorded, Recorded::Matched { id: caller.id, added: 2, conflicts: 1 });
    let (person, facts) = app.people.person(caller.id).await.unwrap().unwrap();
    assert_eq!(person.name.as_deref(), Some("Ram Kumar"));
    assert_eq!(person.home_state_code, Some(10), "a list never overwrites what the caller said");
    assert_eq!(person.open_conflicts, 1);
    let conflict = facts.iter().find(|f| f.standing == Standing::Conflict).unwrap();
    assert_eq!(
        (conflict.field, conflict.value.as_str(), conflict.source.as_str()),
        (Field::HomeState, "9", "up-labour-2020")
    );
    assert_eq!(conflict.given_by.as_deref(), Some("coord"));

    // The same list again changes nothing.
    let again = app.people.record(&row, &list("up-labour-2020")).await.unwrap();
    assert_eq!(again, Recorded::Matched { id: caller.id, added: 0, conflicts: 0 });
    assert_eq!(app.people.person(caller.id).await.unwrap().unwrap().1.len(), facts.len());

    // A coordinator settles the state for the list's value.
    app.people.settle(caller.id, Field::HomeState, "9", Utc::now()).await.unwrap();
    let (person, facts) = app.people.person(caller.id).await.unwrap().unwrap();
    assert_eq!((person.home_state_code, person.open_conflicts), (Some(9), 0));
    let standing =
        |value: &str| facts.iter().find(|f| f.field == Field::HomeState && f.value == value).unwrap().standing;
    assert_eq!((standing("9"), standing("10")), (Standing::Held, Standing::Overruled));
    let refused = app.people.settle(caller.id, Field::HomeState, "27", Utc::now()).await;
    assert!(refused.is_err(), "a value no source gave is refused");

    // A later call changes nothing it agrees with, and adds no unknowns.
    assert_eq!(app.people.count().await.unwrap(), 1);
}

#[tokio::test]
async fn people_without_a_number_are_their_own_records() {
    let app = spawn_app().await;
    let row = [(Field::Name, "Sita Devi"), (Field::HomeDistrict, "183"), (Field::Village, "Rampur")];
    let first = app.people.record(&given(None, &row), &list("a")).await.unwrap();
    assert!(matches!(first, Recorded::New { .. }));
    // The same name, district and village from another list: the same person.
    let second = app.people.record(&given(None, &row), &list("b")).await.unwrap();
    assert_eq!(second, Recorded::Matched { id: first.id(), added: 3, conflicts: 0 });
    // A name alone matches nobody: too many people share one.
    let named = [(Field::Name, "Sita Devi")];
    let third = app.people.record(&given(None, &named), &list("a")).await.unwrap();
    let fourth = app.people.record(&given(None, &named), &list("a")).await.unwrap();
    assert_ne!(third.id(), fourth.id());
    assert_eq!(app.people.count().await.unwrap(), 3);
}

#[tokio::test]
async fn a_caller_who_declines_is_a_person_to_call_back_with_nothing_they_said() {
    // A caller who keys the language, then declines (2): the number only.
    let app = spawn_app().await;
    let mut call = super::twilio_sim::Call::start(&app, "CAe0000000000000000000000000000102", "+916000000102").await;
    call.press("1").await;
    call.press("2").await;
    call.hang_up().await;
    let person = person_with(&app, "+916000000102").await;
    assert_eq!((person.consent, person.language.as_deref(), person.home_state_code), (Some(false), None, None));
    let (_, facts) = app.people.person(person.id).await.unwrap().unwrap();
    assert_eq!(facts.iter().map(|f| (f.field, f.value.as_str())).collect::<Vec<_>>(), vec![(Field::Consent, "no")]);
}

#[tokio::test]
async fn a_caller_who_declines_on_a_later_call_takes_back_what_calls_gave_but_not_what_a_list_gave() {
    // Arrange: a caller who agreed and gave Bihar; a list gave their name.
    let app = spawn_app().await;
    app.queue_caller("CAe0000000000000000000000000000103", "+916000000103", "1", "10", None).await;
    let person = person_with(&app, "+916000000103").await;
    assert_eq!(person.home_state_code, Some(10));
    let row = given(Some("+916000000103"), &[(Field::Name, "Mohan")]);
    app.people.record(&row, &list("bihar-2020")).await.unwrap();

    // Act: the next call, an hour later, they decline.
    app.clock.advance(3600);
    let mut call = super::twilio_sim::Call::start(&app, "CAe0000000000000000000000000000104", "+916000000103").await;
    call.press("1").await;
    call.press("2").await;
    call.hang_up().await;

    // Assert: what calls gave is gone; the list's name and the refusal stay.
    for _ in 0..100 {
        if app.people.by_phone("+916000000103").await.unwrap().unwrap().consent == Some(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (person, facts) = app.people.person(person.id).await.unwrap().unwrap();
    assert_eq!((person.consent, person.home_state_code, person.name.as_deref()), (Some(false), None, Some("Mohan")));
    let kept: Vec<_> = facts.iter().map(|f| (f.field, f.source_kind)).collect();
    assert!(kept.contains(&(Field::Name, SourceKind::Import)), "{kept:?}");
    assert!(!kept.contains(&(Field::HomeState, SourceKind::Call)), "{kept:?}");
}
