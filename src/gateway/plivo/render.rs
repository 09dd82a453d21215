//! Actions → Plivo XML (<https://www.plivo.com/docs/voice/xml>).

use crate::{
    flow::{Action, Prompt},
    gateway::xml::XmlDoc,
    prompts::{PromptVoice, Speech},
};

/// Renders actions as a Plivo XML document; action URLs carry `turn`.
pub fn render(actions: &[Action], voice: &PromptVoice, base_url: &str, turn: u32) -> String {
    let base = base_url.trim_end_matches('/');
    let action_url = format!("{base}/plivo/voice?turn={turn}");
    let timeout_url = format!("{base}/plivo/voice?turn={turn}&timeout=1");
    let mut doc = XmlDoc::new("Response");
    for action in actions {
        match action {
            Action::Play { prompts } => speak(&mut doc, voice, prompts),
            Action::Gather { prompts, max_digits, finish_key, timeout_secs } => {
                // GetInput: executionTimeout 5–60 s counts after the nested
                // prompts; with no input Plivo runs the next element.
                // With a finish key, room for it after a full-length code.
                let num_digits = crate::flow::keypad::key_limit(*max_digits, *finish_key).to_string();
                let execution_timeout = timeout_secs.clamp(&5, &60).to_string();
                let finish = finish_key.map_or_else(|| "none".to_owned(), String::from);
                doc.open(
                    "GetInput",
                    &[
                        ("action", &action_url),
                        ("method", "POST"),
                        ("inputType", "dtmf"),
                        ("numDigits", &num_digits),
                        ("finishOnKey", &finish),
                        ("executionTimeout", &execution_timeout),
                        ("digitEndTimeout", "5"),
                        ("redirect", "true"),
                        ("log", "false"),
                    ],
                );
                speak(&mut doc, voice, prompts);
                doc.close("GetInput");
                doc.text("Redirect", &[("method", "POST")], &timeout_url);
            }
            Action::Record { prompts, max_length_secs, silence_secs, finish_key } => {
                speak(&mut doc, voice, prompts);
                let max_length = max_length_secs.to_string();
                let timeout = silence_secs.to_string();
                let finish = finish_key.map_or_else(|| "none".to_owned(), String::from);
                let callback = format!("{base}/plivo/recording");
                doc.empty(
                    "Record",
                    &[
                        ("action", &action_url),
                        ("method", "POST"),
                        ("fileFormat", "wav"),
                        ("maxLength", &max_length),
                        ("timeout", &timeout),
                        ("finishOnKey", &finish),
                        ("playBeep", "true"),
                        ("redirect", "true"),
                        ("callbackUrl", &callback),
                        ("callbackMethod", "POST"),
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
            // `say_voice` names a Twilio voice; Plivo gets the language only.
            Some(Speech::Say { text, language, .. }) => doc.text("Speak", &[("language", language.as_str())], &text),
            None => tracing::warn!(?prompt, "prompt has neither a recording nor text; skipped"),
        }
    }
}
