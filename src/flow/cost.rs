//! What a flow costs a caller: the keys they press and the seconds of
//! prompts they hear, for one scripted caller, through the engine itself.
//!
//! A prompt's length is its recording's when there is one, else estimated
//! from its words ([`WORDS_PER_SECOND`], plus [`PAUSE_SECS`] after each
//! prompt), so a flow can be costed before anything is recorded.

use super::{
    Flow, FlowError,
    machine::{start, step},
    model::{Action, CallEvent, EndReason, VoiceMessage},
};
use crate::{
    directory::Directory,
    domain::{Digits, StateCode},
    prompts::Prompt,
};

/// How fast text-to-speech (or a person reading the catalog) speaks.
pub const WORDS_PER_SECOND: f64 = 2.5;
/// The silence between two prompts.
pub const PAUSE_SECS: f64 = 0.3;
/// A place's name is long words read slowly (`Aurangabad`, `Patna GPO`):
/// each word of it counts this long.
pub const NAME_SECS_PER_WORD: f64 = 0.8;

/// One thing the scripted caller does at a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// Keys pressed one after another, the finish key included (`212#`).
    Keys(Digits),
    /// Nothing pressed until the question times out.
    Silence,
    /// A voice message left at a recording.
    Message,
}

/// Reads a script: moves separated by spaces or commas; keys as pressed
/// (`1`, `212#`, `*`), `.` for silence, `m` for a voice message.
pub fn parse_script(text: &str) -> Result<Vec<Move>, String> {
    text.split([' ', ',', '\n'])
        .filter(|m| !m.is_empty())
        .map(|m| match m {
            "." => Ok(Move::Silence),
            "m" => Ok(Move::Message),
            keys => Digits::parse(keys)
                .map(Move::Keys)
                .map_err(|_| format!("`{keys}` is not keys (0-9, *, #), `.` (silence) or `m` (a message)")),
        })
        .collect()
}

/// One question (or the goodbye) as the caller met it.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub node: String,
    /// Seconds of prompts heard before the caller's move.
    pub seconds: f64,
    /// Keys pressed in answer.
    pub keys: usize,
}

/// The whole call.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub turns: Vec<Turn>,
    pub keys: usize,
    pub seconds: f64,
    /// The flow hung up (true), or the script ran out first and the caller
    /// hung up (false).
    pub finished: bool,
    /// The caller goes to the callback queue.
    pub queued: bool,
}

/// A script that does not fit the flow: which move, at which question.
#[derive(Debug, thiserror::Error)]
#[error("move {number} of the script (`{what}`) does not fit the question `{node}`: {source}")]
pub struct ScriptError {
    pub number: usize,
    pub what: String,
    pub node: String,
    pub source: FlowError,
}

/// Plays `script` through `flow` for a caller whose number suggests
/// `guess`; `seconds_of` gives each prompt's length (see
/// [`estimated_seconds`]).
pub fn cost(
    flow: &Flow,
    directory: &Directory,
    guess: Vec<StateCode>,
    script: &[Move],
    seconds_of: &dyn Fn(&Prompt) -> f64,
) -> Result<Cost, ScriptError> {
    let start_error = |source| ScriptError { number: 0, what: "the call".to_owned(), node: flow.start.clone(), source };
    let heard = |actions: &[Action]| -> f64 {
        actions
            .iter()
            .flat_map(|a| match a {
                Action::Play { prompts } | Action::Gather { prompts, .. } | Action::Record { prompts, .. } => {
                    prompts.as_slice()
                }
                Action::Hangup => &[],
            })
            .map(|p| seconds_of(p) + PAUSE_SECS)
            .sum()
    };
    let mut t = start(flow, directory, guess).map_err(start_error)?;
    let mut turns = vec![Turn { node: t.state.node.clone(), seconds: heard(&t.actions), keys: 0 }];
    for (number, next) in script.iter().enumerate() {
        if t.state.ended.is_some() {
            break;
        }
        let (event, keys) = match next {
            Move::Keys(digits) => (CallEvent::Digits { digits: digits.clone() }, digits.as_str().len()),
            Move::Silence => (CallEvent::NoInput, 0),
            Move::Message => {
                let message = VoiceMessage { url: "cost:voice-message".to_owned(), duration_secs: None };
                (CallEvent::Recorded { message }, 0)
            }
        };
        if let Some(turn) = turns.last_mut() {
            turn.keys = keys;
        }
        let what = match next {
            Move::Keys(digits) => digits.as_str().to_owned(),
            Move::Silence => ".".to_owned(),
            Move::Message => "m".to_owned(),
        };
        let node = t.state.node.clone();
        t = step(flow, directory, &t.state, &event).map_err(|source| ScriptError {
            number: number + 1,
            what,
            node,
            source,
        })?;
        turns.push(Turn { node: t.state.node.clone(), seconds: heard(&t.actions), keys: 0 });
    }
    let finished = t.state.ended.is_some();
    if !finished {
        let hung_up = CallEvent::Ended { reason: EndReason::CallerHungUp };
        let node = t.state.node.clone();
        t = step(flow, directory, &t.state, &hung_up).map_err(|source| ScriptError {
            number: script.len() + 1,
            what: "hang-up".to_owned(),
            node,
            source,
        })?;
    }
    let queued = t.state.ended.is_some_and(|e| e.queue);
    let (keys, seconds) = (turns.iter().map(|t| t.keys).sum(), turns.iter().map(|t| t.seconds).sum());
    Ok(Cost { turns, keys, seconds, finished, queued })
}

/// A prompt's length from its words, when it has no recording.
pub fn estimated_seconds(text: &str) -> f64 {
    let words = text.split_whitespace().count().max(1);
    words as f64 / WORDS_PER_SECOND
}

/// A prompt's length from the words the caller hears, when it has no
/// recording: a place's name at [`NAME_SECS_PER_WORD`], the rest at
/// [`WORDS_PER_SECOND`].
pub fn estimated_prompt_seconds(prompt: &Prompt, text: &str) -> f64 {
    match prompt {
        Prompt::Catalog { .. } => estimated_seconds(text),
        Prompt::StateName { .. } | Prompt::DistrictName { .. } | Prompt::PostOffice { .. } => {
            text.split_whitespace().count().max(1) as f64 * NAME_SECS_PER_WORD
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{path::Path, sync::Arc};

    use super::*;
    use crate::prompts::Catalog;

    fn helpline() -> (Flow, Arc<Catalog>) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let catalog = Arc::new(Catalog::load(&root.join("prompts")).unwrap());
        let source = std::fs::read_to_string(root.join("call_flows/helpline.toml")).unwrap();
        (Flow::parse(&source, Some(&catalog)).unwrap(), catalog)
    }

    /// As `sampark flows cost` estimates a flow with nothing recorded.
    fn seconds(catalog: &Arc<Catalog>) -> impl Fn(&Prompt) -> f64 + use<> {
        let voice = crate::prompts::PromptVoice::new(
            catalog.clone(),
            Arc::new(crate::prompts::RecordingIndex::default()),
            Directory::bundled(),
            "https://sampark.test",
        );
        move |prompt| estimated_prompt_seconds(prompt, &voice.spoken_text(prompt).unwrap_or_default())
    }

    #[test]
    fn a_script_reads_keys_silence_and_messages_and_refuses_anything_else() {
        let script = parse_script("1, 212# . m *").unwrap();
        assert_eq!(script.len(), 5);
        assert_eq!(script[2], Move::Silence);
        assert!(parse_script("1 x").unwrap_err().contains("`x`"));
    }

    #[test]
    fn a_home_state_caller_counts_every_key_and_every_prompt_heard() {
        let (flow, catalog) = helpline();
        let guess = vec![StateCode::new(10).unwrap(), StateCode::new(20).unwrap()];
        // Hindi, consent, Bihar from the guess, the third district on the
        // first page, food, a message, silence at "another number?".
        let script = parse_script("1 1 1 3 1 m .").unwrap();
        let heard = cost(&flow, Directory::bundled(), guess.clone(), &script, &seconds(&catalog)).unwrap();
        assert!(heard.finished && heard.queued);
        assert_eq!(heard.keys, 5);
        let nodes: Vec<&str> = heard.turns.iter().map(|t| t.node.as_str()).collect();
        assert_eq!(
            nodes,
            ["language", "consent", "state_guess", "district_list", "need", "message", "other_number", "thanks"]
        );
        // The goal ("Callers who know no codes"): at most 6 keys and 75 s of
        // prompts for a home-state caller whose district is on the first page.
        assert!(heard.keys <= 6 && heard.seconds <= 75.0, "{} keys, {:.1} s", heard.keys, heard.seconds);
        assert!(heard.seconds > 20.0, "{}", heard.seconds);
        // The code path: 0 at the district list is no code, so by the state list.
        let script = parse_script("1 1 3 0 10# 212# 1 1 m .").unwrap();
        let cost = cost(&flow, Directory::bundled(), guess, &script, &seconds(&catalog)).unwrap();
        assert_eq!(cost.keys, 1 + 1 + 1 + 1 + 3 + 4 + 1 + 1, "212# is four presses");
        let nodes: Vec<&str> = cost.turns.iter().map(|t| t.node.as_str()).collect();
        assert_eq!(
            nodes,
            [
                "language",
                "consent",
                "state_guess",
                "state_list",
                "home_state",
                "home_district",
                "confirm_district",
                "need",
                "message",
                "other_number",
                "thanks"
            ]
        );
        assert!(cost.seconds > 20.0, "{}", cost.seconds);
    }

    #[test]
    fn a_caller_who_presses_nothing_is_queued_without_a_hang_up_on_them() {
        let (flow, catalog) = helpline();
        let script = vec![Move::Silence; 30];
        let cost = cost(&flow, Directory::bundled(), Vec::new(), &script, &seconds(&catalog)).unwrap();
        assert!(cost.finished && cost.queued);
        assert_eq!(cost.keys, 0);
    }

    #[test]
    fn a_script_that_does_not_fit_says_which_move_at_which_question() {
        let (flow, catalog) = helpline();
        let script = parse_script("1 1 m").unwrap();
        let err = cost(&flow, Directory::bundled(), Vec::new(), &script, &seconds(&catalog)).unwrap_err();
        assert_eq!((err.number, err.node.as_str()), (3, "state_list"), "{err}");
        assert!(err.to_string().starts_with("move 3 of the script (`m`) does not fit the question `state_list`"));
    }

    #[test]
    fn a_caller_who_hangs_up_early_is_still_queued() {
        let (flow, catalog) = helpline();
        let script = parse_script("1 1").unwrap();
        let cost = cost(&flow, Directory::bundled(), Vec::new(), &script, &seconds(&catalog)).unwrap();
        assert!(!cost.finished && cost.queued);
    }
}
