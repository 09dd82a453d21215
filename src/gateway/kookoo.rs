//! Ozonetel KooKoo: every event of a call is a GET to the app URL
//! (`/kookoo/{secret}`) with `event`, `sid` (the call), `cid` (the caller,
//! `0` + ten digits) and `data`; we answer KooKoo XML (`<response>` with
//! `playtext`, `playaudio`, `collectdtmf`, `record`, `hangup`), the event
//! tag last. Events: `NewCall`; `GotDTMF` (`data` = keys, empty when the
//! caller keyed nothing); `Record` (`data` = the recording's URL);
//! `Hangup` and `Disconnect` (the call is over).
//!
//! KooKoo's URL is fixed, so requests cannot name their turn: a request
//! identical to the call's last answer within [`RETRY_WINDOW`] is taken for
//! a retry (KooKoo's retry behaviour is not documented; a caller rarely
//! answers the next question with the same keys that fast).

use std::time::Duration;

use super::{GatewayError, Inbound, Provider, Step, call_id, digits, param, request_hash, xml::XmlDoc};
use crate::{
    domain::PhoneNumber,
    flow::{Action, CallEvent, EndReason, Prompt, VoiceMessage},
    prompts::{PromptVoice, Speech},
};

/// How soon an identical request counts as a retry.
pub const RETRY_WINDOW: Duration = Duration::from_secs(3);

/// Parses a KooKoo event. `Ok(None)` for events we do not act on.
pub fn parse(query: &[(String, String)]) -> Result<Inbound, GatewayError> {
    let event_name = param(query, "event")?.filter(|e| !e.is_empty()).ok_or(GatewayError::Missing("event"))?;
    let data = param(query, "data")?.unwrap_or("").trim();
    let current = Step::CurrentTurn { retry_window: RETRY_WINDOW };
    let (step, event) = match event_name {
        "NewCall" => (Step::Turn(0), CallEvent::Started),
        "GotDTMF" if data.is_empty() => (current, CallEvent::NoInput),
        "GotDTMF" => (current, CallEvent::Digits { digits: digits(data, "data")? }),
        "Record" if data.is_empty() || data == "-1" => (current, CallEvent::NoInput),
        "Record" => (current, CallEvent::Recorded { message: voice_message(data, query)? }),
        "Hangup" | "Disconnect" => {
            let key = format!("status:{}", event_name.to_ascii_lowercase());
            (Step::Callback { key }, CallEvent::Ended { reason: EndReason::CallerHungUp })
        }
        _ => return Err(GatewayError::Invalid("event")),
    };
    Ok(Inbound {
        provider: Provider::KooKoo,
        call_id: call_id(query, "sid")?,
        caller: param(query, "cid")?.and_then(PhoneNumber::parse),
        step,
        event,
        request_hash: request_hash(query),
    })
}

fn voice_message(url: &str, query: &[(String, String)]) -> Result<VoiceMessage, GatewayError> {
    let ok = url.len() <= 2048 && (url.starts_with("https://") || url.starts_with("http://"));
    if !ok {
        return Err(GatewayError::Invalid("data"));
    }
    let duration_secs = param(query, "callduration")?.and_then(|d| d.parse().ok());
    Ok(VoiceMessage { url: url.to_owned(), duration_secs })
}

/// Renders actions as a KooKoo `<response>` for call `sid`.
pub fn render(actions: &[Action], voice: &PromptVoice, sid: &str, turn: u32) -> String {
    let mut doc = XmlDoc::with_root_attrs("response", &[("sid", sid), ("filler", "yes")]);
    for action in actions {
        match action {
            Action::Play { prompts } => speak(&mut doc, voice, prompts),
            Action::Gather { prompts, max_digits, finish_key, timeout_secs } => {
                // `o` is in milliseconds; set it always (a widely used client
                // library ignores its own timeout setter and sends 4000).
                // `l` submits at once: with a terminator, leave room for it
                // after a full-length code (see `flow::keypad`).
                let max = crate::flow::keypad::key_limit(*max_digits, *finish_key).to_string();
                let timeout = (timeout_secs * 1000).to_string();
                let finish = finish_key.map(String::from);
                let mut attrs = vec![("l", max.as_str())];
                if let Some(key) = &finish {
                    attrs.push(("t", key.as_str()));
                }
                attrs.push(("o", timeout.as_str()));
                doc.open("collectdtmf", &attrs);
                speak(&mut doc, voice, prompts);
                doc.close("collectdtmf");
            }
            Action::Record { prompts, max_length_secs, silence_secs, finish_key } => {
                speak(&mut doc, voice, prompts);
                let silence = silence_secs.to_string();
                let max = max_length_secs.to_string();
                let mut attrs = vec![("format", "wav"), ("silence", silence.as_str()), ("maxduration", max.as_str())];
                let finish = finish_key.map(String::from);
                if let Some(key) = &finish {
                    attrs.push(("termchar", key.as_str()));
                }
                let file: String = format!("sampark-{sid}-{turn}")
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                doc.text("record", &attrs, &file);
            }
            Action::Hangup => doc.empty("hangup", &[]),
        }
    }
    doc.finish()
}

fn speak(doc: &mut XmlDoc, voice: &PromptVoice, prompts: &[Prompt]) {
    for prompt in prompts {
        match voice.speech(prompt) {
            Some(Speech::Play { url }) => doc.text("playaudio", &[], &url),
            Some(Speech::Say { text, language, .. }) => match kookoo_language(&language) {
                Some(lang) => doc.text("playtext", &[("lang", lang)], &text),
                None => doc.text("playtext", &[], &text),
            },
            None => tracing::warn!(?prompt, "prompt has neither a recording nor text; skipped"),
        }
    }
}

/// KooKoo's `playtext lang` codes for a BCP-47 locale.
fn kookoo_language(locale: &str) -> Option<&'static str> {
    let primary = locale.split(['-', '_']).next().unwrap_or(locale);
    Some(match primary {
        "en" => "EN",
        "hi" => "HI",
        "bn" => "BN",
        "or" => "ORI",
        "ta" => "TA",
        "te" => "TE",
        "kn" => "KA",
        "ml" => "MA",
        "gu" => "GUJ",
        "mr" => "MR",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Digits;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_new_call_from_a_zero_prefixed_number() {
        let q = query(&[
            ("event", "NewCall"),
            ("sid", "1234567890"),
            ("cid", "01000000001"),
            ("called_number", "08000000002"),
        ]);
        let inbound = parse(&q).unwrap();
        assert_eq!(inbound.event, CallEvent::Started);
        assert_eq!(inbound.step, Step::Turn(0));
        assert_eq!(inbound.caller.unwrap().as_e164(), "+911000000001");
    }

    #[test]
    fn gotdtmf_with_empty_data_is_no_input() {
        let inbound = parse(&query(&[("event", "GotDTMF"), ("sid", "1"), ("data", "")])).unwrap();
        assert_eq!(inbound.event, CallEvent::NoInput);
        let inbound = parse(&query(&[("event", "GotDTMF"), ("sid", "1"), ("data", "07")])).unwrap();
        assert_eq!(inbound.event, CallEvent::Digits { digits: Digits::parse("07").unwrap() });
        assert!(matches!(inbound.step, Step::CurrentTurn { .. }));
    }

    #[test]
    fn hangups_end_the_call_and_unknown_events_are_refused() {
        let inbound = parse(&query(&[("event", "Hangup"), ("sid", "1")])).unwrap();
        assert_eq!(inbound.event, CallEvent::Ended { reason: EndReason::CallerHungUp });
        assert_eq!(parse(&query(&[("event", "Bogus"), ("sid", "1")])), Err(GatewayError::Invalid("event")));
        assert_eq!(parse(&query(&[("sid", "1")])), Err(GatewayError::Missing("event")));
        assert_eq!(
            parse(&query(&[("event", "GotDTMF"), ("sid", "1"), ("data", "1;rm")])),
            Err(GatewayError::Invalid("data"))
        );
    }

    #[test]
    fn a_sid_with_spaces_or_500_characters_and_keys_that_are_no_keys_are_refused() {
        let long = "1".repeat(500);
        for sid in ["12 34", long.as_str()] {
            let q = query(&[("event", "GotDTMF"), ("sid", sid), ("data", "1")]);
            assert_eq!(parse(&q), Err(GatewayError::Invalid("sid")));
        }
        let q = query(&[("event", "GotDTMF"), ("sid", "1"), ("data", "12a")]);
        assert_eq!(parse(&q), Err(GatewayError::Invalid("data")));
        let q = query(&[("event", "NewCall"), ("sid", "1234.5_6-7")]);
        assert_eq!(parse(&q).unwrap().call_id.as_str(), "1234.5_6-7");
    }

    #[test]
    fn locales_map_to_kookoo_language_codes() {
        assert_eq!(kookoo_language("hi-IN"), Some("HI"));
        assert_eq!(kookoo_language("or-IN"), Some("ORI"));
        assert_eq!(kookoo_language("xx"), None);
    }
}
