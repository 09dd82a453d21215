//! A small Twilio: reads our TwiML and behaves as Twilio does.
//!
//! - Keys are delivered as a caller presses them, one `<Gather>` at a time:
//!   a Gather takes keys until its `finishOnKey` (not part of `Digits`) or
//!   until it has `numDigits` of them, and submits; when the keys run out
//!   first, its timeout submits what it has. Keys pressed after a Gather has
//!   submitted are the first keys of the next Gather, as on the phone.
//! - A lone finish key, or silence, does NOT call the action: the next verb
//!   (our `<Redirect>`) runs.
//! - `<Record>`: a message posts `RecordingUrl` to the action; silence runs
//!   the next verb.
//! - Every request carries Twilio's standard parameters and is signed.

use quick_xml::{Reader, XmlVersion, events::Event};

use super::helpers::TestApp;

/// A parsed TwiML reply.
#[derive(Debug, Default, Clone)]
pub struct Twiml {
    pub raw: String,
    /// `(language, text)` of every `<Say>`, in order.
    pub says: Vec<(String, String)>,
    pub plays: Vec<String>,
    pub gather: Option<Gather>,
    pub record_action: Option<String>,
    pub redirect: Option<String>,
    pub hangup: bool,
}

#[derive(Debug, Clone)]
pub struct Gather {
    pub action: String,
    pub num_digits: Option<usize>,
    pub finish_on_key: String,
}

impl Gather {
    /// What Twilio submits as `Digits` from `keys` pressed one after another,
    /// and the keys pressed after it submitted (the next Gather's).
    pub fn take(&self, keys: &str) -> (String, String) {
        let finish = self.finish_on_key.chars().next();
        let mut digits = String::new();
        let mut keys = keys.chars();
        for key in keys.by_ref() {
            if Some(key) == finish {
                break;
            }
            digits.push(key);
            if self.num_digits.is_some_and(|n| digits.chars().count() >= n) {
                break;
            }
        }
        (digits, keys.collect())
    }
}

impl Twiml {
    pub fn parse(raw: &str) -> Self {
        let mut twiml = Twiml { raw: raw.to_owned(), ..Twiml::default() };
        let mut reader = Reader::from_str(raw);
        // The verb whose text we are reading, its language, and the text so far.
        let mut open: Option<(String, Option<String>, String)> = None;
        let mut saw_response = false;
        loop {
            match reader.read_event().unwrap_or_else(|e| panic!("invalid XML: {e}\n{raw}")) {
                Event::Start(e) | Event::Empty(e) => {
                    let name = e.name().as_ref().to_owned();
                    let attr = |k: &str| {
                        e.try_get_attribute(k)
                            .unwrap()
                            .map(|a| a.normalized_value(XmlVersion::Implicit1_0).unwrap().into_owned())
                    };
                    match name.as_str() {
                        "Response" => saw_response = true,
                        "Gather" => {
                            twiml.gather = Some(Gather {
                                action: attr("action").expect("Gather has an action"),
                                num_digits: attr("numDigits").map(|n| n.parse().unwrap()),
                                finish_on_key: attr("finishOnKey").unwrap_or_else(|| "#".to_owned()),
                            });
                        }
                        "Record" => twiml.record_action = Some(attr("action").expect("Record has an action")),
                        "Hangup" => twiml.hangup = true,
                        "Say" | "Play" | "Redirect" => open = Some((name, attr("language"), String::new())),
                        other => panic!("unexpected TwiML verb <{other}>\n{raw}"),
                    }
                }
                Event::Text(t) => {
                    if let Some((_, _, text)) = &mut open {
                        text.push_str(&t);
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => {
                            quick_xml::escape::resolve_predefined_entity(&r).expect("a predefined entity").to_owned()
                        }
                    };
                    if let Some((_, _, text)) = &mut open {
                        text.push_str(&resolved);
                    }
                }
                Event::End(_) => match open.take() {
                    Some((verb, lang, text)) if verb == "Say" => twiml.says.push((lang.unwrap_or_default(), text)),
                    Some((verb, _, text)) if verb == "Play" => twiml.plays.push(text),
                    Some((verb, _, text)) if verb == "Redirect" => twiml.redirect = Some(text),
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        assert!(saw_response, "TwiML has no <Response> root:\n{raw}");
        twiml
    }

    /// All spoken text, joined, for `contains` checks.
    pub fn spoken(&self) -> String {
        self.says.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" ")
    }

    pub fn languages(&self) -> Vec<&str> {
        self.says.iter().map(|(l, _)| l.as_str()).collect()
    }
}

/// One call, played through a test server.
pub struct Call<'a> {
    app: &'a TestApp,
    pub sid: String,
    from: String,
    pub twiml: Twiml,
    /// Every request is sent twice at once, as when Twilio retries a
    /// request that timed out while the first is still being answered.
    pub racing_retries: bool,
}

impl<'a> Call<'a> {
    /// The number rings: Twilio POSTs the voice URL.
    pub async fn start(app: &'a TestApp, sid: &str, from: &str) -> Call<'a> {
        let mut call =
            Call { app, sid: sid.to_owned(), from: from.to_owned(), twiml: Twiml::default(), racing_retries: false };
        let twiml = call.request("https://sampark.test/twilio/voice", &[("CallStatus", "ringing")]).await;
        call.twiml = twiml;
        call
    }

    /// A call already in progress (or one we never started), at `twiml`.
    pub fn resume(app: &'a TestApp, sid: &str, from: &str, twiml: Twiml) -> Call<'a> {
        Call { app, sid: sid.to_owned(), from: from.to_owned(), twiml, racing_retries: false }
    }

    /// Twilio's standard parameters plus `extra`.
    pub fn params(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = [
            ("AccountSid", "AC00000000000000000000000000000000"),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", self.sid.as_str()),
            ("CallStatus", "in-progress"),
            ("Direction", "inbound"),
            ("From", self.from.as_str()),
            ("To", "+910000000000"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            params.push(((*k).to_owned(), (*v).to_owned()));
        }
        params
    }

    /// POSTs to a URL from our TwiML, signed, and parses the TwiML answer.
    pub async fn request(&self, public_url: &str, extra: &[(&str, &str)]) -> Twiml {
        if self.racing_retries {
            let (first, retry) = tokio::join!(self.answer(public_url, extra), self.answer(public_url, extra));
            assert_eq!(first.raw, retry.raw, "a retry gets the same answer, byte for byte");
            return first;
        }
        self.answer(public_url, extra).await
    }

    async fn answer(&self, public_url: &str, extra: &[(&str, &str)]) -> Twiml {
        let response = self.send(public_url, extra).await;
        assert_eq!(response.status(), 200, "{public_url}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/xml"), "TwiML must be text/xml, got {content_type}");
        Twiml::parse(&response.text().await.unwrap())
    }

    pub async fn send(&self, public_url: &str, extra: &[(&str, &str)]) -> reqwest::Response {
        let path = public_url.strip_prefix(super::helpers::PUBLIC_URL).unwrap();
        self.app.post_form(path, &self.params(extra), None).await
    }

    /// The caller presses `keys`, one after another, from the current
    /// `<Gather>` on: each Gather takes what Twilio would give it, and what
    /// is left goes to the next one. No keys: silence.
    pub async fn press(&mut self, keys: &str) -> &Twiml {
        if keys.is_empty() {
            return self.silence().await;
        }
        let mut pending = keys.to_owned();
        while !pending.is_empty() {
            let gather =
                self.twiml.gather.clone().unwrap_or_else(|| {
                    panic!("keys {pending:?} pressed with no Gather to take them:\n{}", self.twiml.raw)
                });
            let (digits, rest) = gather.take(&pending);
            pending = rest;
            if digits.is_empty() {
                self.silence().await;
            } else {
                self.twiml = self.request(&gather.action, &[("Digits", &digits)]).await;
            }
        }
        &self.twiml
    }

    /// The caller presses nothing: Twilio moves on to the next verb.
    pub async fn silence(&mut self) -> &Twiml {
        let redirect =
            self.twiml.redirect.clone().unwrap_or_else(|| panic!("nothing after the input:\n{}", self.twiml.raw));
        self.twiml = self.request(&redirect, &[]).await;
        &self.twiml
    }

    /// The caller speaks a message at the `<Record>`.
    pub async fn leave_message(&mut self, recording_url: &str) -> &Twiml {
        let action = self.twiml.record_action.clone().unwrap_or_else(|| panic!("no Record:\n{}", self.twiml.raw));
        let extra =
            [("RecordingUrl", recording_url), ("RecordingDuration", "12"), ("RecordingSid", "RE0001"), ("Digits", "#")];
        self.twiml = self.request(&action, &extra).await;
        &self.twiml
    }

    /// Twilio's status callback after the call ends.
    pub async fn status(&self, status: &str) -> reqwest::Response {
        self.send("https://sampark.test/twilio/status", &[("CallStatus", status), ("CallDuration", "42")]).await
    }

    /// The caller hangs up (or the call ends): the `completed` status callback.
    pub async fn hang_up(&self) {
        let response = self.status("completed").await;
        assert!(response.status().is_success(), "status callback: {}", response.status());
    }
}

#[cfg(test)]
mod model {
    use super::Gather;

    fn gather(num_digits: Option<usize>, finish_on_key: &str) -> Gather {
        Gather {
            action: "https://sampark.test/twilio/voice?turn=1".to_owned(),
            num_digits,
            finish_on_key: finish_on_key.to_owned(),
        }
    }

    /// Issue 9, item 13: a Gather that stops at 2 digits submits `09` and
    /// the caller's `#` is the first key of the next Gather, where a lone
    /// finish key is no answer at all.
    #[test]
    fn a_key_pressed_after_a_gather_submitted_reaches_the_next_one() {
        let (digits, rest) = gather(Some(2), "#").take("09#");
        assert_eq!((digits.as_str(), rest.as_str()), ("09", "#"));
        let (digits, rest) = gather(Some(3), "#").take(&rest);
        assert_eq!((digits.as_str(), rest.as_str()), ("", ""), "a lone # submits nothing");
        let (digits, rest) = gather(Some(1), "").take("12");
        assert_eq!((digits.as_str(), rest.as_str()), ("1", "2"), "a menu takes one key");
        let (digits, rest) = gather(Some(1), "").take("#");
        assert_eq!((digits.as_str(), rest.as_str()), ("#", ""), "no finish key: # is a key like any other");
        let (digits, rest) = gather(Some(3), "#").take("09#1");
        assert_eq!((digits.as_str(), rest.as_str()), ("09", "1"), "room for the # after a full-length code");
    }
}
