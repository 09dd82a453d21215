//! The default flow's district question: names a page at a time in the
//! order this helpline's callers give, the PIN code read back with its post
//! office, and the district said aloud when it is not in the list.

use std::path::Path;

use super::{
    test_support::{helpline, keys},
    *,
};
use crate::{
    directory::Directory,
    domain::{DistrictCode, StateCode},
};

fn recorded(url: &str) -> CallEvent {
    CallEvent::Recorded { message: VoiceMessage { url: url.to_owned(), duration_secs: Some(4) } }
}

fn spoken(t: &Transition) -> Vec<String> {
    let prompts = match t.actions.last() {
        Some(Action::Gather { prompts, .. } | Action::Record { prompts, .. }) => prompts,
        other => panic!("{other:?}"),
    };
    prompts
        .iter()
        .map(|p| match p {
            Prompt::Catalog { key, .. } => key.to_string(),
            Prompt::StateName { code, .. } => format!("state:{code}"),
            Prompt::DistrictName { code, .. } => format!("district:{code}"),
            Prompt::PostOffice { pin, .. } => format!("office:{pin}"),
        })
        .collect()
}

/// Hindi, consent, and Bihar from a Bihar number's guess: the district list.
fn at_bihar_districts<'a>(flow: &Flow, lookups: impl Into<Lookups<'a>> + Copy) -> Transition {
    let guess = vec![StateCode::new(10).unwrap(), StateCode::new(20).unwrap()];
    let mut t = start(flow, lookups, guess).unwrap();
    for event in [keys("1"), keys("1"), keys("1")] {
        t = step(flow, lookups, &t.state, &event).unwrap();
    }
    assert_eq!(t.state.node, "district_list");
    t
}

fn bihar_by_name() -> Vec<u16> {
    let directory = Directory::bundled();
    let mut districts: Vec<_> = directory.districts_of(StateCode::new(10).unwrap()).collect();
    districts.sort_by(|a, b| a.name.cmp(&b.name));
    districts.iter().map(|d| d.code.get()).collect()
}

#[test]
fn seven_districts_a_page_by_name_then_the_pin_more_and_not_listed() {
    let flow = helpline();
    let t = at_bihar_districts(&flow, Directory::bundled());
    let by_name = bihar_by_name();
    let mut expected = vec!["ask_district_list".to_owned()];
    for (i, code) in by_name[..7].iter().enumerate() {
        let key = if i == 0 { "press_1".to_owned() } else { format!("key_{}", i + 1) };
        expected.extend([format!("district:{code}"), key]);
    }
    for key in ["more_districts", "key_9", "pin_offer", "key_8", "district_not_listed", "key_0", "change_state"] {
        expected.push(key.to_owned());
    }
    assert_eq!(spoken(&t), expected);
    let pick = step(&flow, Directory::bundled(), &t.state, &keys("3")).unwrap();
    assert_eq!(pick.state.data.home_district.map(DistrictCode::get), Some(by_name[2]));
    assert_eq!(pick.state.node, "need", "a name picked needs no read-back");
}

#[test]
fn the_helplines_callers_put_their_districts_first_and_a_key_means_what_was_heard() {
    let flow = helpline();
    let bihar = StateCode::new(10).unwrap();
    let patna = DistrictCode::new(212).unwrap();
    let ranking = Ranking::from_counts([(bihar, Some(patna), 4)]);
    let lookups = Lookups { directory: Directory::bundled(), ranking: &ranking };
    let t = at_bihar_districts(&flow, lookups);
    assert_eq!(spoken(&t)[1], "district:212", "Patna, the callers' most, first");
    // The order changes while the caller listens: key 1 is still Patna.
    let later = Ranking::from_counts([(bihar, Some(DistrictCode::new(213).unwrap()), 9)]);
    let lookups = Lookups { directory: Directory::bundled(), ranking: &later };
    let pick = step(&flow, lookups, &t.state, &keys("1")).unwrap();
    assert_eq!(pick.state.data.home_district, Some(patna));
}

#[test]
fn nine_pages_through_every_district_and_back_to_the_first() {
    let flow = helpline();
    let mut t = at_bihar_districts(&flow, Directory::bundled());
    let mut seen = Vec::new();
    let pages = bihar_by_name().len().div_ceil(7);
    for _ in 0..pages {
        seen.extend(spoken(&t).into_iter().filter(|p| p.starts_with("district:")));
        t = step(&flow, Directory::bundled(), &t.state, &keys("9")).unwrap();
        assert_eq!((t.state.node.as_str(), t.state.attempts), ("district_list", 0));
    }
    assert_eq!(seen.len(), bihar_by_name().len(), "every district once");
    assert_eq!(t.state.page, 0, "round to the first page");
    let second = step(&flow, Directory::bundled(), &t.state, &keys("9")).unwrap();
    let pick = step(&flow, Directory::bundled(), &second.state, &keys("1")).unwrap();
    assert_eq!(pick.state.data.home_district.map(DistrictCode::get), Some(bihar_by_name()[7]));
}

#[test]
fn a_pin_code_is_read_back_with_its_post_office_and_gives_the_district() {
    let flow = helpline();
    let t = at_bihar_districts(&flow, Directory::bundled());
    let t = step(&flow, Directory::bundled(), &t.state, &keys("8")).unwrap();
    assert_eq!((t.state.node.as_str(), spoken(&t)), ("pin", vec!["ask_pin".to_owned()]));
    let wrong = step(&flow, Directory::bundled(), &t.state, &keys("999999#")).unwrap();
    assert_eq!(spoken(&wrong)[0], "invalid_pin", "no such PIN code");
    let t = step(&flow, Directory::bundled(), &wrong.state, &keys("800001#")).unwrap();
    assert_eq!(t.state.node, "confirm_pin");
    assert_eq!(spoken(&t), ["pin_readback", "office:800001", "district:212", "state:10", "confirm_or_reenter"]);
    assert_eq!(crate::directory::pin_code("800001").and_then(|p| p.main_office()), Some("Patna GPO"));
    let no = step(&flow, Directory::bundled(), &t.state, &keys("2")).unwrap();
    assert_eq!((no.state.node.as_str(), no.state.data.pin, no.state.data.home_district), ("pin", None, None));
    assert_eq!(no.state.data.home_state, StateCode::new(10).ok(), "the state stays");
    let t = step(&flow, Directory::bundled(), &no.state, &keys("800001")).unwrap();
    let yes = step(&flow, Directory::bundled(), &t.state, &keys("1")).unwrap();
    assert_eq!(yes.state.node, "need");
    assert_eq!((yes.state.data.pin, yes.state.data.home_district.map(DistrictCode::get)), (Some(800_001), Some(212)));
}

#[test]
fn star_at_the_pin_goes_back_to_the_names() {
    let flow = helpline();
    let t = at_bihar_districts(&flow, Directory::bundled());
    let t = step(&flow, Directory::bundled(), &t.state, &keys("8")).unwrap();
    let back = step(&flow, Directory::bundled(), &t.state, &keys("*")).unwrap();
    assert_eq!(back.state.node, "district_list");
}

#[test]
fn not_in_the_list_records_the_district_and_village_beside_the_voice_message() {
    let flow = helpline();
    let t = at_bihar_districts(&flow, Directory::bundled());
    let t = step(&flow, Directory::bundled(), &t.state, &keys("0")).unwrap();
    assert_eq!((t.state.node.as_str(), spoken(&t)), ("say_place", vec!["say_district".to_owned()]));
    let t = step(&flow, Directory::bundled(), &t.state, &recorded("https://rec.example/place")).unwrap();
    assert_eq!(t.state.node, "need");
    let t = step(&flow, Directory::bundled(), &t.state, &keys("1")).unwrap();
    let t = step(&flow, Directory::bundled(), &t.state, &recorded("https://rec.example/message")).unwrap();
    let data = &t.state.data;
    assert_eq!(data.place_message.as_ref().map(|m| m.url.as_str()), Some("https://rec.example/place"));
    assert_eq!(data.voice_message.as_ref().map(|m| m.url.as_str()), Some("https://rec.example/message"));
    assert_eq!((data.home_state, data.home_district), (StateCode::new(10).ok(), None), "the state is kept");
    // A late callback for the place recording updates it, not the message.
    let late = VoiceMessage { url: "https://rec.example/place".to_owned(), duration_secs: Some(6) };
    let t = step(&flow, Directory::bundled(), &t.state, &CallEvent::RecordingReady { message: late }).unwrap();
    assert_eq!(t.state.data.place_message.and_then(|m| m.duration_secs), Some(6));
    assert_eq!(t.state.data.voice_message.map(|m| m.url), Some("https://rec.example/message".to_owned()));
}

#[test]
fn a_caller_who_gives_no_state_is_asked_to_say_where_they_are_from() {
    let flow = helpline();
    let mut t = start(&flow, Directory::bundled(), Vec::new()).unwrap();
    for event in [keys("1"), keys("1"), CallEvent::NoInput, CallEvent::NoInput] {
        t = step(&flow, Directory::bundled(), &t.state, &event).unwrap();
    }
    assert_eq!(t.state.node, "say_place");
    assert!(matches!(t.actions.last(), Some(Action::Record { .. })));
}

#[test]
fn a_list_option_on_a_low_key_or_nine_is_refused() {
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("call_flows/helpline.toml")).unwrap();
    let low = source.replace("options.8 = { prompts = [\"pin_offer\"]", "options.3 = { prompts = [\"pin_offer\"]");
    let err = Flow::parse(&low, None).unwrap_err().to_string();
    assert!(err.contains("must take the top keys"), "{err}");
    let nine = source.replace("options.8 = { prompts = [\"pin_offer\"]", "options.9 = { prompts = [\"pin_offer\"]");
    assert!(Flow::parse(&nine, None).unwrap_err().to_string().contains("9 turns the page"));
    let no_empty = source.replace("empty = \"say_place\"", "");
    assert!(Flow::parse(&no_empty, None).unwrap_err().to_string().contains("needs `empty`"));
}

fn lines(t: &Transition) -> Vec<String> {
    let Some(Action::Gather { prompts, .. }) = t.actions.last() else { panic!("{:?}", t.actions) };
    prompts
        .iter()
        .map(|p| match p {
            Prompt::Catalog { key, language } => format!("{key}@{language}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn a_bihar_number_hears_hindi_bhojpuri_maithili_and_urdu_first_each_in_its_own_language() {
    let flow = helpline();
    let guess = vec![StateCode::new(10).unwrap(), StateCode::new(20).unwrap()];
    let t = start(&flow, Directory::bundled(), guess).unwrap();
    let heard = lines(&t);
    assert_eq!(heard[0], "welcome@hi");
    let options: Vec<&str> = heard.iter().filter(|l| l.starts_with("language_option@")).map(String::as_str).collect();
    assert_eq!(
        options,
        ["language_option@hi", "language_option@bho", "language_option@mai", "language_option@ur"],
        "Bihar's four alone on the first page (Jharkhand's Bengali and Odia after 9): {heard:?}"
    );
    assert!(heard.contains(&"press_2@bho".to_owned()), "each key in its own language: {heard:?}");
    assert_eq!(heard[heard.len() - 2..], ["more_languages@hi", "key_9@hi"]);
    let bhojpuri = step(&flow, Directory::bundled(), &t.state, &keys("2")).unwrap();
    assert_eq!(bhojpuri.state.data.language.as_ref().map(|l| l.as_str()), Some("bho"));
    assert_eq!(lines(&bhojpuri)[0], "consent@bho");
    let more = step(&flow, Directory::bundled(), &t.state, &keys("9")).unwrap();
    let next: Vec<String> = lines(&more).into_iter().filter(|l| l.starts_with("language_option@")).collect();
    assert_eq!(next.len(), 8, "the others, eight a page: {next:?}");
    assert!(!next.contains(&"language_option@bho".to_owned()), "not the first page again");
    assert!(!next.contains(&"language_option@hi".to_owned()));
    let english = next.iter().position(|l| l == "language_option@en").unwrap();
    let pick = step(&flow, Directory::bundled(), &more.state, &keys(&(english + 1).to_string())).unwrap();
    assert_eq!(pick.state.data.language.as_ref().map(|l| l.as_str()), Some("en"));
}

#[test]
fn silence_at_the_language_menu_takes_the_language_of_the_callers_circle() {
    let flow = helpline();
    let tamil_nadu = vec![StateCode::new(33).unwrap()];
    let mut t = start(&flow, Directory::bundled(), tamil_nadu).unwrap();
    assert_eq!(lines(&t)[1], "language_option@ta", "Tamil first for a Tamil Nadu number");
    for _ in 0..2 {
        t = step(&flow, Directory::bundled(), &t.state, &CallEvent::NoInput).unwrap();
    }
    assert_eq!((t.state.node.as_str(), t.state.data.language.as_ref().map(|l| l.as_str())), ("consent", Some("ta")));
    let mut t = start(&flow, Directory::bundled(), Vec::new()).unwrap();
    for _ in 0..2 {
        t = step(&flow, Directory::bundled(), &t.state, &CallEvent::NoInput).unwrap();
    }
    assert_eq!(t.state.data.language.as_ref().map(|l| l.as_str()), Some("hi"), "no guess: the flow's first");
}

#[test]
fn star_at_a_read_back_goes_back_without_losing_the_answer() {
    let flow = helpline();
    let t = at_bihar_districts(&flow, Directory::bundled());
    let t = step(&flow, Directory::bundled(), &t.state, &keys("8")).unwrap();
    let readback = step(&flow, Directory::bundled(), &t.state, &keys("800001#")).unwrap();
    assert_eq!(readback.state.node, "confirm_pin");
    let back = step(&flow, Directory::bundled(), &readback.state, &keys("*")).unwrap();
    assert_eq!(back.state.node, "district_list", "the names again");
    assert_eq!(back.state.data.home_district.map(DistrictCode::get), Some(212), "kept until answered again");
    // The code path: * at the district read-back asks for the code again, keeping it meanwhile.
    let mut t = start(&flow, Directory::bundled(), Vec::new()).unwrap();
    for k in ["1", "1", "0", "10#", "212#"] {
        t = step(&flow, Directory::bundled(), &t.state, &keys(k)).unwrap();
    }
    assert_eq!(t.state.node, "confirm_district");
    let back = step(&flow, Directory::bundled(), &t.state, &keys("*")).unwrap();
    assert_eq!(
        (back.state.node.as_str(), back.state.data.home_district.map(DistrictCode::get)),
        ("home_district", Some(212))
    );
}
