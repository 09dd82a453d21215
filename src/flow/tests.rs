//! Engine tests on the shipped default flow and on small broken flows.

use super::{
    test_support::{catalog, helpline, keys},
    *,
};
use crate::{
    directory::Directory,
    domain::{DistrictCode, Language, Need, StateCode},
};

/// Plays events through the engine from the start, returning the last transition.
fn play(flow: &Flow, events: &[CallEvent]) -> Transition {
    let mut t = start(flow, Directory::bundled(), Vec::new()).unwrap();
    for event in events {
        t = step(flow, Directory::bundled(), &t.state, event).unwrap();
    }
    t
}

fn state(code: u8) -> Option<StateCode> {
    Some(StateCode::new(code).unwrap())
}

fn district(code: u16) -> Option<DistrictCode> {
    Some(DistrictCode::new(code).unwrap())
}

fn lang(code: &str) -> Language {
    Language::parse(code).unwrap()
}

fn message() -> CallEvent {
    CallEvent::Recorded { message: VoiceMessage { url: "https://rec.example/1".to_owned(), duration_secs: Some(9) } }
}

fn prompt_keys(actions: &[Action]) -> Vec<String> {
    let prompts = actions.iter().flat_map(|a| match a {
        Action::Play { prompts } | Action::Gather { prompts, .. } | Action::Record { prompts, .. } => prompts.clone(),
        Action::Hangup => Vec::new(),
    });
    prompts
        .map(|p| match p {
            Prompt::Catalog { key, language } => format!("{key}@{language}"),
            Prompt::StateName { code, .. } => format!("state:{code}"),
            Prompt::DistrictName { code, .. } => format!("district:{code}"),
            Prompt::PostOffice { pin, .. } => format!("office:{pin}"),
        })
        .collect()
}

#[test]
fn the_default_flow_passes_every_check() {
    let flow = helpline();
    assert_eq!(flow.id, "helpline");
    assert_eq!(flow.version.len(), 12);
}

#[test]
fn happy_path_in_bengali_captures_everything_and_ends_queued() {
    let flow = helpline();
    let t = play(&flow, &[keys("2"), keys("1"), keys("0"), keys("19"), keys("305"), keys("1"), keys("4"), message()]);
    assert_eq!(t.state.node, "other_number", "after the message: another number to call back on?");
    assert_eq!(prompt_keys(&t.actions), ["ask_other_number@bn"]);
    let t = step(&flow, Directory::bundled(), &t.state, &CallEvent::NoInput).unwrap();
    assert_eq!(t.state.data.language, Some(lang("bn")));
    assert_eq!(t.state.data.consent, Some(true));
    assert_eq!(t.state.data.home_state, state(19));
    assert_eq!(t.state.data.home_district, district(305));
    assert_eq!(t.state.data.need, Some(Need::Medical));
    assert!(t.state.data.voice_message.is_some());
    assert_eq!(t.state.ended, Some(Ending { reason: EndReason::FlowEnded, queue: true }));
    assert_eq!(prompt_keys(&t.actions), ["thanks@bn"]);
    assert_eq!(t.actions.last(), Some(&Action::Hangup));
}

#[test]
fn the_district_is_read_back_by_name_in_the_callers_language() {
    let flow = helpline();
    let t = play(&flow, &[keys("1"), keys("1"), keys("0"), keys("10"), keys("212")]);
    assert_eq!(prompt_keys(&t.actions), ["district_readback@hi", "district:212", "state:10", "confirm_or_reenter@hi"]);
}

#[test]
fn silence_twice_at_the_language_menu_means_hindi() {
    let flow = helpline();
    let t = play(&flow, &[CallEvent::NoInput]);
    assert_eq!(prompt_keys(&t.actions)[0], "no_input@hi");
    assert_eq!(t.state.node, "language");
    let t = step(&flow, Directory::bundled(), &t.state, &CallEvent::NoInput).unwrap();
    assert_eq!(t.state.data.language, Some(lang("hi")));
    assert_eq!(t.state.node, "consent");
}

#[test]
fn a_silent_caller_is_never_hung_up_on_and_ends_queued() {
    let flow = helpline();
    let mut t = start(&flow, Directory::bundled(), Vec::new()).unwrap();
    for _ in 0..20 {
        if t.state.ended.is_some() {
            break;
        }
        assert!(!t.actions.contains(&Action::Hangup), "hung up at {}", t.state.node);
        t = step(&flow, Directory::bundled(), &t.state, &CallEvent::NoInput).unwrap();
    }
    let ending = t.state.ended.expect("a silent call ends");
    assert!(ending.queue);
    assert_eq!(t.state.node, "goodbye_number_only");
    assert_eq!(t.state.data.consent, None);
}

#[test]
fn a_consenting_caller_who_then_stays_silent_passes_every_question() {
    let flow = helpline();
    let silent = CallEvent::NoInput;
    let mut events = vec![keys("1"), keys("1")];
    // The state list (two asks), the place said aloud (one), the need
    // (three), the voice message (one), another number to call back on
    // (one: silence goes on at once).
    events.extend(std::iter::repeat_n(silent, 2 + 1 + 3 + 1 + 1));
    let t = play(&flow, &events);
    assert_eq!(t.state.node, "thanks");
    assert_eq!(t.state.data.home_state, None);
    assert_eq!(t.state.data.need, None);
    assert_eq!(t.state.data.callback_number, None);
}

/// A caller on the default flow, past the voice message: the question of
/// another number to call back on.
fn at_other_number(flow: &Flow) -> Transition {
    let t = play(flow, &[keys("1"), keys("1"), keys("0"), keys("10"), keys("212"), keys("1"), keys("1"), message()]);
    assert_eq!(t.state.node, "other_number");
    t
}

fn then(flow: &Flow, t: &Transition, event: CallEvent) -> Transition {
    step(flow, Directory::bundled(), &t.state, &event).unwrap()
}

#[test]
fn another_number_is_keyed_read_back_digit_by_digit_and_confirmed() {
    let flow = helpline();
    let t = then(&flow, &at_other_number(&flow), keys("1"));
    assert_eq!(
        (t.state.node.as_str(), prompt_keys(&t.actions)),
        ("callback_number", vec!["key_other_number@hi".into()])
    );
    let Some(Action::Gather { max_digits: 10, finish_key: Some('#'), .. }) = t.actions.last() else {
        panic!("ten digits: {:?}", t.actions)
    };
    let t = then(&flow, &t, keys("6000000071"));
    let mut heard = vec!["number_readback@hi".to_owned()];
    heard.extend("6000000071".chars().map(|d| format!("digit_{d}@hi")));
    heard.push("confirm_or_reenter@hi".to_owned());
    assert_eq!((t.state.node.as_str(), prompt_keys(&t.actions)), ("confirm_number", heard));
    let again = then(&flow, &t, keys("2"));
    assert_eq!((again.state.node.as_str(), again.state.data.callback_number.clone()), ("callback_number", None));
    let t = then(&flow, &t, keys("1"));
    assert_eq!(t.state.ended, Some(Ending { reason: EndReason::FlowEnded, queue: true }));
    assert_eq!(t.state.data.callback_number.as_ref().map(|n| n.as_e164()), Some("+916000000071"));
    assert_eq!(t.state.data.home_district, district(212), "the rest is as given");
}

#[test]
fn silence_or_another_key_at_the_other_number_question_goes_on_to_thanks_at_once() {
    let flow = helpline();
    for event in [CallEvent::NoInput, keys("5"), keys("*")] {
        let t = then(&flow, &at_other_number(&flow), event.clone());
        assert_eq!((t.state.node.as_str(), prompt_keys(&t.actions)), ("thanks", vec!["thanks@hi".into()]), "{event:?}");
        assert_eq!(t.state.data.callback_number, None);
    }
}

#[test]
fn a_wrong_number_is_asked_again_then_the_calls_own_number_is_kept_and_star_goes_back() {
    let flow = helpline();
    let t = then(&flow, &at_other_number(&flow), keys("1"));
    let wrong = then(&flow, &t, keys("5000000001"));
    assert_eq!(prompt_keys(&wrong.actions), ["invalid_number@hi", "key_other_number@hi"]);
    let short = then(&flow, &wrong, keys("90000"));
    assert_eq!((short.state.node.as_str(), short.state.data.callback_number.clone()), ("thanks", None));
    assert!(short.state.ended.is_some_and(|e| e.queue), "wrong twice: thanks, queued on the call's own number");
    let back = then(&flow, &wrong, keys("*"));
    assert_eq!(
        (back.state.node.as_str(), prompt_keys(&back.actions)),
        ("other_number", vec!["ask_other_number@hi".into()])
    );
    let keyed = then(&flow, &then(&flow, &back, keys("1")), keys("6000000072"));
    assert_eq!(keyed.state.node, "confirm_number", "after going back, a number keyed right is read back");
}

#[test]
fn invalid_and_out_of_state_codes_are_asked_again() {
    let flow = helpline();
    let t = play(&flow, &[keys("3"), keys("1"), keys("0"), keys("99")]);
    assert_eq!(t.state.node, "home_state");
    assert_eq!(prompt_keys(&t.actions), ["invalid_state@or", "ask_state@or"]);
    let t = play(&flow, &[keys("3"), keys("1"), keys("0"), keys("99"), keys("21"), keys("212")]);
    assert_eq!(t.state.node, "home_district", "Patna is not in Odisha");
    assert_eq!(prompt_keys(&t.actions)[0], "invalid_district@or");
    let t = play(&flow, &[keys("3"), keys("1"), keys("0"), keys("99"), keys("21"), keys("212"), keys("346")]);
    assert_eq!(t.state.node, "confirm_district");
    assert_eq!(t.state.data.home_district, district(346));
}

#[test]
fn state_codes_accept_a_leading_zero_and_a_trailing_hash() {
    let flow = helpline();
    let t = play(&flow, &[keys("1"), keys("1"), keys("0"), keys("09")]);
    assert_eq!(t.state.data.home_state, state(9));
    let t = play(&flow, &[keys("1"), keys("1"), keys("0"), keys("9#")]);
    assert_eq!(t.state.data.home_state, state(9));
}

#[test]
fn pressing_two_at_the_readback_clears_the_district_and_asks_again() {
    let flow = helpline();
    let t = play(&flow, &[keys("1"), keys("1"), keys("0"), keys("10"), keys("212"), keys("2")]);
    assert_eq!(t.state.node, "home_district");
    assert_eq!(t.state.data.home_district, None);
    assert_eq!(t.state.data.home_state, state(10));
    let t = step(&flow, Directory::bundled(), &t.state, &keys("213")).unwrap();
    assert_eq!(t.state.data.home_district, district(213));
}

#[test]
fn retries_run_out_into_the_fallback_not_a_hangup() {
    let flow = helpline();
    // home_state has the default two retries: the third bad answer moves on.
    let t = play(&flow, &[keys("1"), keys("1"), keys("0"), keys("0"), keys("0"), keys("0")]);
    assert_eq!(t.state.node, "say_place", "state unknown: the caller says where they are from");
    assert_eq!(t.state.data.home_state, None);
}

#[test]
fn an_ended_call_absorbs_late_events_but_keeps_a_late_recording() {
    let flow = helpline();
    let t = play(&flow, &[keys("1"), keys("1"), CallEvent::Ended { reason: EndReason::CallerHungUp }]);
    assert_eq!(t.state.ended, Some(Ending { reason: EndReason::CallerHungUp, queue: true }));
    let late = step(&flow, Directory::bundled(), &t.state, &keys("10")).unwrap();
    assert_eq!(late.actions, [Action::Hangup]);
    assert_eq!(late.state, t.state);
    let ready = CallEvent::RecordingReady { message: VoiceMessage { url: "u".to_owned(), duration_secs: None } };
    let late = step(&flow, Directory::bundled(), &t.state, &ready).unwrap();
    assert!(late.state.data.voice_message.is_some());
    assert!(late.actions.is_empty());
}

#[test]
fn an_event_that_cannot_happen_is_an_error_not_a_panic() {
    let flow = helpline();
    let t = start(&flow, Directory::bundled(), Vec::new()).unwrap();
    let err = step(&flow, Directory::bundled(), &t.state, &message()).unwrap_err();
    assert!(matches!(err, FlowError::UnexpectedEvent { .. }));
    let again = reprompt(&flow, Directory::bundled(), &t.state).unwrap();
    assert_eq!(again.actions, t.actions);
}

// ---- broken flows ----------------------------------------------------------

const HEAD: &str = r#"
id = "t"
start = "a"
languages = ["hi"]
default_language = "hi"
"#;

fn problems(body: &str) -> Vec<String> {
    let source = format!("{HEAD}\n{body}");
    match Flow::parse(&source, Some(&catalog())) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let found = problems(
        r#"
        [nodes.a]
        kind = "menu"
        prompts = ["not_a_prompt"]
        invalid_prompts = ["invalid_choice"]
        fallback = "nowhere"
        options.1 = { next = "end" }
        [nodes.end]
        kind = "end"
        prompts = ["thanks"]
        [nodes.orphan]
        kind = "end"
        "#,
    );
    let all = found.join("\n");
    assert!(all.contains("node `a`: fallback goes to `nowhere`, which is not a node"), "{all}");
    assert!(all.contains("node `orphan`: is unreachable"), "{all}");
    assert!(all.contains("prompt `not_a_prompt` is not in the prompt catalog"), "{all}");
}

#[test]
fn a_silent_loop_is_a_path_that_never_ends() {
    let found = problems(
        r#"
        [nodes.a]
        kind = "menu"
        prompts = ["consent"]
        store = "consent"
        invalid_prompts = ["invalid_choice"]
        fallback = "b"
        options.1 = { value = "yes", next = "end" }
        [nodes.b]
        kind = "play"
        prompts = ["thanks"]
        next = "a"
        [nodes.end]
        kind = "end"
        "#,
    );
    assert!(found.iter().any(|p| p.contains("presses nothing goes round in a loop")), "{found:?}");
}

#[test]
fn a_node_with_no_way_to_an_end_is_reported() {
    let found = problems(
        r#"
        [nodes.a]
        kind = "menu"
        prompts = ["consent"]
        invalid_prompts = ["invalid_choice"]
        fallback = "end"
        options.1 = { next = "b" }
        [nodes.b]
        kind = "play"
        prompts = ["thanks"]
        next = "b"
        [nodes.end]
        kind = "end"
        "#,
    );
    assert!(found.iter().any(|p| p.contains("node `b`: no path from here reaches an end node")), "{found:?}");
}

#[test]
fn a_misspelt_key_in_a_node_is_caught() {
    let found = problems(
        r#"
        [nodes.a]
        kind = "menu"
        prompts = ["consent"]
        invalid_prompts = ["invalid_choice"]
        fallback = "end"
        retires = 3
        options.1 = { next = "end" }
        [nodes.end]
        kind = "end"
        "#,
    );
    assert!(found.iter().any(|p| p.contains("retires")), "{found:?}");
}

#[test]
fn collecting_without_asking_consent_is_reported() {
    let found = problems(
        r#"
        [nodes.a]
        kind = "collect"
        prompts = ["ask_state"]
        store = "home_state"
        min_digits = 1
        max_digits = 2
        invalid_prompts = ["invalid_state"]
        fallback = "end"
        next = "end"
        [nodes.end]
        kind = "end"
        "#,
    );
    assert!(found.iter().any(|p| p.contains("no menu that stores `consent`")), "{found:?}");
}
