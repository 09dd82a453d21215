//! Actions → TwiML (<https://www.twilio.com/docs/voice/twiml>).

use crate::{
    flow::{Action, Prompt},
    gateway::xml::XmlDoc,
    prompts::{PromptVoice, Speech},
};

/// Renders actions as a TwiML document. `base_url` is the public URL; action
/// URLs carry `turn`, the turn number their answer will be.
pub fn render(actions: &[Action], voice: &PromptVoice, base_url: &str, turn: u32) -> String {
    let base = base_url.trim_end_matches('/');
    let action_url = format!("{base}/twilio/voice?turn={turn}");
    let timeout_url = format!("{base}/twilio/voice?turn={turn}&timeout=1");
    let mut doc = XmlDoc::new("Response");
    for action in actions {
        match action {
            Action::Play { prompts } => speak(&mut doc, voice, prompts),
            Action::Gather { prompts, max_digits, finish_key, timeout_secs } => {
                // https://www.twilio.com/docs/voice/twiml/gather: numDigits
                // submits at once; finishOnKey "" disables the finish key.
                // With a finish key, room for it after a full-length code.
                let num_digits = crate::flow::keypad::key_limit(*max_digits, *finish_key).to_string();
                let timeout = timeout_secs.to_string();
                let finish = finish_key.map(String::from).unwrap_or_default();
                doc.open(
                    "Gather",
                    &[
                        ("input", "dtmf"),
                        ("action", &action_url),
                        ("method", "POST"),
                        ("numDigits", &num_digits),
                        ("finishOnKey", &finish),
                        ("timeout", &timeout),
                    ],
                );
                speak(&mut doc, voice, prompts);
                doc.close("Gather");
                doc.text("Redirect", &[("method", "POST")], &timeout_url);
            }
            Action::Record { prompts, max_length_secs, silence_secs, finish_key } => {
                // https://www.twilio.com/docs/voice/twiml/record: an empty
                // recording skips the action, so a Redirect follows.
                speak(&mut doc, voice, prompts);
                let max_length = max_length_secs.to_string();
                let timeout = silence_secs.to_string();
                let finish = finish_key.map(String::from).unwrap_or_default();
                let recording_callback = format!("{base}/twilio/recording");
                doc.empty(
                    "Record",
                    &[
                        ("action", &action_url),
                        ("method", "POST"),
                        ("maxLength", &max_length),
                        ("timeout", &timeout),
                        ("finishOnKey", &finish),
                        ("playBeep", "true"),
                        ("trim", "trim-silence"),
                        ("recordingStatusCallback", &recording_callback),
                        ("recordingStatusCallbackMethod", "POST"),
                    ],
                );
                doc.text("Redirect", &[("method", "POST")], &timeout_url);
            }
            Action::Hangup => doc.empty("Hangup", &[]),
        }
    }
    doc.finish()
}

fn speak(doc: &mut XmlDoc, voice: &PromptVoice, prompts: &[Prompt]) {
    for prompt in prompts {
        match voice.speech(prompt) {
            Some(Speech::Play { url }) => doc.text("Play", &[], &url),
            Some(Speech::Say { text, language, voice }) => {
                let mut attrs = vec![("language", language.as_str())];
                if let Some(v) = &voice {
                    attrs.push(("voice", v.as_str()));
                }
                doc.text("Say", &attrs, &text);
            }
            None => tracing::warn!(?prompt, "prompt has neither a recording nor text; skipped"),
        }
    }
}

/// The TwiML of a "Call now" bridge, answered by the volunteer: a word of
/// warning, then the caller, shown the helpline's number.
pub fn render_bridge(caller: &str, helpline: &str) -> String {
    let mut doc = XmlDoc::new("Response");
    doc.text("Say", &[("language", "hi-IN")], "कॉलर से जोड़ा जा रहा है। Connecting you to the caller.");
    doc.open("Dial", &[("callerId", helpline), ("timeout", "30"), ("answerOnBridge", "true")]);
    doc.text("Number", &[], caller);
    doc.close("Dial");
    doc.finish()
}
