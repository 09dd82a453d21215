//! The default flow's first guess at the home state, from the caller's
//! number: one key for a caller whose number is from home, the code path
//! for everyone else, and nothing lost either way.

use std::path::Path;

use super::{
    test_support::{helpline, keys},
    *,
};
use crate::{directory::Directory, domain::StateCode};

fn codes(list: &[u8]) -> Vec<StateCode> {
    list.iter().map(|c| StateCode::new(*c).unwrap()).collect()
}

/// Language Hindi, consent given: where the guess is offered.
fn after_consent(flow: &Flow, guess: &[u8]) -> Transition {
    let mut t = start(flow, Directory::bundled(), codes(guess)).unwrap();
    for event in [keys("1"), keys("1")] {
        t = step(flow, Directory::bundled(), &t.state, &event).unwrap();
    }
    t
}

fn spoken(t: &Transition) -> Vec<String> {
    let Some(Action::Gather { prompts, .. }) = t.actions.last() else { panic!("{:?}", t.actions) };
    prompts
        .iter()
        .map(|p| match p {
            Prompt::Catalog { key, .. } => key.to_string(),
            Prompt::StateName { code, .. } => format!("state:{code}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn a_bihar_number_hears_bihar_and_jharkhand_then_another_state() {
    let flow = helpline();
    let t = after_consent(&flow, &[10, 20]);
    assert_eq!(t.state.node, "state_guess");
    assert!(matches!(t.actions.last(), Some(Action::Gather { max_digits: 1, .. })), "one key");
    assert_eq!(
        spoken(&t),
        ["guess_state", "state:10", "press_1", "state:20", "key_2", "guess_other", "key_3"],
        "each state by name with its key (\"press\" once), then the key for any other"
    );
}

#[test]
fn one_key_takes_the_guessed_state_and_goes_on_to_the_district() {
    let flow = helpline();
    let t = after_consent(&flow, &[10, 20]);
    let t = step(&flow, Directory::bundled(), &t.state, &keys("2")).unwrap();
    assert_eq!(t.state.data.home_state, StateCode::new(20).ok(), "Jharkhand");
    assert_eq!(t.state.node, "district_list");
}

#[test]
fn another_state_goes_to_the_list_of_names_and_a_wrong_key_asks_again() {
    let flow = helpline();
    let t = after_consent(&flow, &[10, 20]);
    let wrong = step(&flow, Directory::bundled(), &t.state, &keys("7")).unwrap();
    assert_eq!((wrong.state.node.as_str(), wrong.state.attempts), ("state_guess", 1));
    assert_eq!(spoken(&wrong)[0], "invalid_choice");
    let other = step(&flow, Directory::bundled(), &wrong.state, &keys("3")).unwrap();
    assert_eq!(other.state.node, "state_list");
    assert_eq!(other.state.data.home_state, None, "no state is assumed");
}

#[test]
fn silence_at_the_guess_goes_to_the_list_never_assuming_the_guess() {
    let flow = helpline();
    let mut t = after_consent(&flow, &[19]);
    for _ in 0..3 {
        t = step(&flow, Directory::bundled(), &t.state, &CallEvent::NoInput).unwrap();
    }
    assert_eq!(t.state.node, "state_list");
    assert_eq!(t.state.data.home_state, None);
}

#[test]
fn the_list_reads_eight_states_by_name_the_most_migrants_first_with_more_and_the_code() {
    let flow = helpline();
    let t = after_consent(&flow, &[]);
    assert_eq!(t.state.node, "state_list", "no guess: the list at once");
    let first_page = [
        "ask_state_list",
        "state:9",
        "press_1",
        "state:10",
        "key_2",
        "state:19",
        "key_3",
        "state:21",
        "key_4",
        "state:20",
        "key_5",
        "state:8",
        "key_6",
        "state:23",
        "key_7",
        "state:18",
        "key_8",
        "more_states",
        "key_9",
        "key_state_code",
        "key_0",
    ];
    assert_eq!(spoken(&t), first_page);
    let bihar = step(&flow, Directory::bundled(), &t.state, &keys("2")).unwrap();
    assert_eq!((bihar.state.node.as_str(), bihar.state.data.home_state), ("district_list", StateCode::new(10).ok()));
}

#[test]
fn nine_turns_the_page_and_after_the_last_comes_the_first_again() {
    let flow = helpline();
    let mut t = after_consent(&flow, &[]);
    let mut seen = Vec::new();
    for _ in 0..5 {
        let names: Vec<String> = spoken(&t).into_iter().filter(|p| p.starts_with("state:")).collect();
        seen.extend(names);
        t = step(&flow, Directory::bundled(), &t.state, &keys("9")).unwrap();
        assert_eq!(t.state.attempts, 0, "a new page is not a failed answer");
    }
    assert_eq!(seen.len(), Directory::bundled().states().count(), "every state once over five pages");
    assert_eq!(spoken(&t)[1], "state:9", "round to the first page");
    let page_two = step(&flow, Directory::bundled(), &t.state, &keys("9")).unwrap();
    let pick = step(&flow, Directory::bundled(), &page_two.state, &keys("1")).unwrap();
    let second_page_first = Directory::bundled().menu_order()[8];
    assert_eq!(pick.state.data.home_state, Some(second_page_first), "a key picks on the page it was heard on");
}

#[test]
fn zero_takes_the_code_path_and_silence_moves_on_with_the_state_unknown() {
    let flow = helpline();
    let t = after_consent(&flow, &[]);
    let code = step(&flow, Directory::bundled(), &t.state, &keys("0")).unwrap();
    assert_eq!(code.state.node, "home_state");
    assert_eq!(spoken(&code), ["ask_state"]);
    let mut silent = t;
    for _ in 0..2 {
        silent = step(&flow, Directory::bundled(), &silent.state, &CallEvent::NoInput).unwrap();
    }
    assert_eq!((silent.state.node.as_str(), silent.state.data.home_state), ("say_place", None), "say it instead");
}

#[test]
fn a_stored_state_without_a_guess_reads_back_and_writes_back_unchanged() {
    let stored = r#"{"node":"home_state","attempts":0,"data":{"language":"hi","consent":true,"home_state":null,"home_district":null,"need":null,"voice_message":null},"ended":null}"#;
    let state: CallState = serde_json::from_str(stored).unwrap();
    assert!(state.guess.is_empty());
    assert_eq!(serde_json::to_string(&state).unwrap(), stored);
}

#[test]
fn flows_check_knows_the_node_and_its_prompts() {
    let flow = helpline();
    let prompts = flow.catalog_prompts();
    for key in ["guess_state", "guess_other", "press_0", "press_1", "press_9", "ask_state_list", "more_states"] {
        assert!(prompts.keys().any(|k| k.as_str() == key), "{key} is counted for coverage");
    }
    let broken = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("call_flows/helpline.toml"))
        .unwrap()
        .replace("other = \"state_list\"", "other = \"nowhere\"");
    let err = Flow::parse(&broken, None).unwrap_err().to_string();
    assert!(err.contains("other goes to `nowhere`, which is not a node"), "{err}");
}

#[test]
fn star_at_the_district_goes_back_to_the_state_which_can_then_be_fixed() {
    let flow = helpline();
    let t = after_consent(&flow, &[10, 20]);
    let t = step(&flow, Directory::bundled(), &t.state, &keys("1")).unwrap();
    assert_eq!(t.state.node, "district_list");
    assert_eq!(spoken(&t).last().map(String::as_str), Some("change_state"), "the caller is told about the star key");
    let back = step(&flow, Directory::bundled(), &t.state, &keys("*")).unwrap();
    assert_eq!(back.state.node, "state_guess", "the states the number suggests, again");
    assert_eq!(back.state.data.home_state, StateCode::new(10).ok(), "kept until answered again");
    let fixed = step(&flow, Directory::bundled(), &back.state, &keys("2")).unwrap();
    assert_eq!((fixed.state.node.as_str(), fixed.state.data.home_state), ("district_list", StateCode::new(20).ok()));
    assert_eq!(fixed.state.data.home_district, None);
}

#[test]
fn star_with_no_guess_goes_back_to_the_list_and_a_finish_key_after_it_is_the_same() {
    let flow = helpline();
    let t = after_consent(&flow, &[]);
    let t = step(&flow, Directory::bundled(), &t.state, &keys("0")).unwrap();
    let t = step(&flow, Directory::bundled(), &t.state, &keys("19")).unwrap();
    assert_eq!(t.state.node, "home_district");
    let back = step(&flow, Directory::bundled(), &t.state, &keys("*#")).unwrap();
    assert_eq!(back.state.node, "state_list");
    assert_eq!(spoken(&back)[0], "ask_state_list");
}

#[test]
fn a_back_edge_must_land_on_a_node() {
    let broken = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("call_flows/helpline.toml"))
        .unwrap()
        .replacen("back = \"state_guess\"", "back = \"nowhere\"", 1);
    let err = Flow::parse(&broken, None).unwrap_err().to_string();
    assert!(err.contains("back goes to `nowhere`, which is not a node"), "{err}");
}
