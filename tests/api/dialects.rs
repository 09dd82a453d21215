//! One phone, four gateways: a caller's actions (dial, press keys, stay
//! silent, leave a message, hang up) turned into the requests each gateway
//! really makes, and each gateway's reply turned back into what the caller
//! hears. The journeys in `gateways.rs` run through all four.
//!
//! Keys are delivered as a caller presses them, one input at a time: an
//! input (Gather, GetInput, collectdtmf, Exotel's Gather) takes keys until
//! its finish key or its key count, and a key pressed after it submitted is
//! the first key of the next input, as on a real gateway.
//!
//! Gateway semantics modelled here (see ../shared/reference/gateways.md):
//! - Twilio and Plivo follow our action URLs; the finish key is not part of
//!   `Digits`; no input runs the next element (our `<Redirect>`).
//! - KooKoo sends every event to one URL: `GotDTMF` with the keys (empty
//!   `data` when none), `Record` with the recording's URL, `Hangup`.
//! - Exotel runs the generic app: Gather (JSON) → Passthru "answer" with the
//!   keys in double quotes → 200/302 → Passthru "next" → Gather, or a
//!   Greeting and a Voicemail, or the last Greeting.

use std::collections::HashMap;

use quick_xml::{Reader, XmlVersion, events::Event};

use super::helpers::{EXOTEL_SECRET, KOOKOO_SECRET, PLIVO_TOKEN, PUBLIC_URL, TestApp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Twilio,
    Plivo,
    KooKoo,
    Exotel,
}

pub const ALL: [Dialect; 4] = [Dialect::Twilio, Dialect::Plivo, Dialect::KooKoo, Dialect::Exotel];

/// One element of a gateway XML document, in document order.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    pub attrs: HashMap<String, String>,
    pub text: String,
}

/// Flattens an XML document into its elements (text joined, entities resolved).
pub fn elements(raw: &str) -> Vec<Element> {
    let mut reader = Reader::from_str(raw);
    let mut done: Vec<Element> = Vec::new();
    let mut open: Vec<Element> = Vec::new();
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("invalid XML: {e}\n{raw}")) {
            Event::Start(e) => open.push(element(&e)),
            Event::Empty(e) => done.push(element(&e)),
            Event::Text(t) => {
                if let Some(e) = open.last_mut() {
                    e.text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r).unwrap().to_owned(),
                };
                if let Some(e) = open.last_mut() {
                    e.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                if let Some(e) = open.pop() {
                    done.push(e);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    done
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> Element {
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.unwrap();
            let value = a.normalized_value(XmlVersion::Implicit1_0).unwrap().into_owned();
            (a.key.as_ref().to_owned(), value)
        })
        .collect();
    Element { name: e.name().as_ref().to_owned(), attrs, text: String::new() }
}

/// What the caller heard at one point of the call, and what the call asks now.
#[derive(Debug, Clone, Default)]
pub struct Heard {
    /// Spoken text (text-to-speech), joined.
    pub text: String,
    /// Recordings played.
    pub audio: Vec<String>,
    /// The call was hung up.
    pub ended: bool,
    /// A key input is open: (max digits, finish key).
    pub input: Option<(usize, Option<char>)>,
    /// A voice message is being recorded.
    pub recording: bool,
}

/// A request as sent, so it can be sent again (a gateway retry).
#[derive(Debug, Clone)]
struct Sent {
    method: &'static str,
    path: String,
    params: Vec<(String, String)>,
}

/// Where the call stands in the gateway's own terms.
#[derive(Debug, Clone, Default)]
struct Position {
    /// Twilio/Plivo: the URL input goes to, and the URL silence goes to.
    action: Option<String>,
    redirect: Option<String>,
}

pub struct Phone<'a> {
    app: &'a TestApp,
    pub dialect: Dialect,
    sid: String,
    /// The caller's number as this gateway spells it.
    from: String,
    pub heard: Heard,
    position: Position,
    last: Option<(Sent, u16, String)>,
    clock: u32,
}

impl<'a> Phone<'a> {
    /// The caller (a ten-digit Indian mobile number) dials the helpline.
    pub async fn dial(app: &'a TestApp, dialect: Dialect, sid: &str, mobile: &str) -> Phone<'a> {
        assert_eq!(mobile.len(), 10);
        let from = match dialect {
            Dialect::Twilio => format!("+91{mobile}"),
            Dialect::Plivo => format!("91{mobile}"),
            Dialect::KooKoo | Dialect::Exotel => format!("0{mobile}"),
        };
        let mut phone = Phone {
            app,
            dialect,
            sid: sid.to_owned(),
            from,
            heard: Heard::default(),
            position: Position::default(),
            last: None,
            clock: 0,
        };
        match dialect {
            Dialect::Twilio => phone.xml_turn("/twilio/voice", &[("CallStatus", "ringing")]).await,
            Dialect::Plivo => phone.xml_turn("/plivo/voice", &[("Event", "StartApp"), ("CallStatus", "ringing")]).await,
            Dialect::KooKoo => phone.kookoo(&[("event", "NewCall"), ("called_number", "08000000002")]).await,
            Dialect::Exotel => phone.exotel_gather().await,
        }
        phone
    }

    /// The caller presses `keys`, one after another, from the open input on,
    /// as the gateway hears them: each input takes keys until its finish key
    /// or its key count (else the keys run out and its timeout submits);
    /// keys pressed after an input submitted go to the next input. No keys:
    /// silence.
    pub async fn press(&mut self, keys: &str) -> &Heard {
        if keys.is_empty() {
            return self.silence().await;
        }
        let mut pending = keys.to_owned();
        while !pending.is_empty() {
            self.app.clock.advance(4);
            let (max, finish) = self
                .heard
                .input
                .unwrap_or_else(|| panic!("{:?}: keys {pending:?} with no input open: {:?}", self.dialect, self.heard));
            let (digits, rest) = take_keys(&pending, max, finish);
            pending = rest;
            match self.dialect {
                // A lone finish key is no input, as silence is.
                _ if digits.is_empty() => {
                    self.silence().await;
                }
                Dialect::Twilio | Dialect::Plivo => {
                    let action = self.position.action.clone().expect("an action URL");
                    self.xml_turn(&action, &[("Digits", &digits)]).await;
                }
                Dialect::KooKoo => self.kookoo(&[("event", "GotDTMF"), ("data", &digits)]).await,
                Dialect::Exotel => self.exotel_answer(&[("digits", &format!("\"{digits}\""))]).await,
            }
        }
        &self.heard
    }

    /// Exotel: the end-of-call request, with these parameters besides the
    /// ones every Exotel request carries (`CallType=call-attempt` among them).
    pub async fn exotel_end_of_call(&mut self, extra: &[(&str, &str)]) -> u16 {
        assert_eq!(self.dialect, Dialect::Exotel);
        self.app.clock.advance(2);
        let path = format!("/exotel/{EXOTEL_SECRET}/status");
        self.send("GET", &path, extra).await.0
    }

    /// The caller presses nothing (at a question or at the voice message).
    pub async fn silence(&mut self) -> &Heard {
        self.app.clock.advance(6);
        match self.dialect {
            Dialect::Twilio | Dialect::Plivo => {
                let redirect = self.position.redirect.clone().expect("a Redirect after the input");
                self.xml_turn(&redirect, &[]).await;
            }
            Dialect::KooKoo if self.heard.recording => self.kookoo(&[("event", "Record"), ("data", "")]).await,
            Dialect::KooKoo => self.kookoo(&[("event", "GotDTMF"), ("data", "")]).await,
            Dialect::Exotel if self.heard.recording => self.exotel_answer(&[("RecordingUrl", "")]).await,
            Dialect::Exotel => self.exotel_answer(&[("digits", "\"\"")]).await,
        }
        &self.heard
    }

    /// The caller speaks a voice message, kept by the gateway at `url`.
    pub async fn leave_message(&mut self, url: &str) -> &Heard {
        self.app.clock.advance(15);
        assert!(self.heard.recording, "{:?}: not recording: {:?}", self.dialect, self.heard);
        match self.dialect {
            Dialect::Twilio => {
                let action = self.position.action.clone().unwrap();
                self.xml_turn(&action, &[("RecordingUrl", url), ("RecordingDuration", "11"), ("Digits", "#")]).await;
            }
            Dialect::Plivo => {
                let action = self.position.action.clone().unwrap();
                self.xml_turn(&action, &[("RecordUrl", url), ("RecordingDuration", "11"), ("RecordingID", "r-1")])
                    .await;
            }
            Dialect::KooKoo => self.kookoo(&[("event", "Record"), ("data", url), ("status", "Success")]).await,
            Dialect::Exotel => self.exotel_answer(&[("RecordingUrl", url)]).await,
        }
        &self.heard
    }

    /// The call ends: the gateway's final callback.
    pub async fn hang_up(&mut self) {
        self.app.clock.advance(2);
        let (status, _) = match self.dialect {
            Dialect::Twilio => {
                self.send("POST", "/twilio/status", &[("CallStatus", "completed"), ("CallDuration", "40")]).await
            }
            Dialect::Plivo => {
                let extra = [("CallStatus", "completed"), ("HangupCause", "NORMAL_CLEARING"), ("Event", "Hangup")];
                self.send("POST", "/plivo/status", &extra).await
            }
            Dialect::KooKoo => {
                let path = format!("/kookoo/{KOOKOO_SECRET}");
                self.send("GET", &path, &[("event", "Hangup"), ("total_call_duration", "40")]).await
            }
            Dialect::Exotel => {
                let path = format!("/exotel/{EXOTEL_SECRET}/status");
                self.send("GET", &path, &[("Status", "completed"), ("CallType", "completed")]).await
            }
        };
        assert!((200..300).contains(&status), "{:?}: hang-up callback got {status}", self.dialect);
    }

    /// Sends the last request again, exactly (at once, as a gateway retry
    /// does); returns the first answer's status and body, then the retry's.
    pub async fn retry_last(&mut self) -> (u16, String, u16, String) {
        let (sent, status, body) = self.last.clone().expect("a request to retry");
        let (again_status, again_body) = self.deliver(&sent).await;
        (status, body, again_status, again_body)
    }

    /// What the gateway names the call's id and the caller's keys.
    pub fn parameter_names(&self) -> (&'static str, &'static str) {
        match self.dialect {
            Dialect::Twilio => ("CallSid", "Digits"),
            Dialect::Plivo => ("CallUUID", "Digits"),
            Dialect::KooKoo => ("sid", "data"),
            Dialect::Exotel => ("CallSid", "digits"),
        }
    }

    /// Sends the answer to the open input with `params` in place of the
    /// gateway's own (a request no gateway would send: a bad call id, keys
    /// that are no keys); the call stays where it was. Its status and body.
    pub async fn answer_with(&mut self, params: &[(&str, &str)]) -> (u16, String) {
        let (path, event) = match self.dialect {
            Dialect::Twilio | Dialect::Plivo => {
                let action = self.position.action.clone().expect("an action URL");
                (action.strip_prefix(PUBLIC_URL).unwrap_or(&action).to_owned(), None)
            }
            Dialect::KooKoo => (format!("/kookoo/{KOOKOO_SECRET}"), Some(("event", "GotDTMF"))),
            Dialect::Exotel => (format!("/exotel/{EXOTEL_SECRET}/passthru"), None),
        };
        let method = if matches!(self.dialect, Dialect::Twilio | Dialect::Plivo) { "POST" } else { "GET" };
        let extra: Vec<(&str, &str)> = event.into_iter().chain(params.iter().copied()).collect();
        self.send(method, &path, &extra).await
    }

    // ---- the gateways' requests ------------------------------------------

    /// Parameters every request of this gateway carries.
    fn base_params(&mut self) -> Vec<(String, String)> {
        self.clock += 1;
        let pairs: Vec<(&str, String)> = match self.dialect {
            Dialect::Twilio => vec![
                ("AccountSid", "AC00000000000000000000000000000000".into()),
                ("CallSid", self.sid.clone()),
                ("From", self.from.clone()),
                ("To", "+910000000000".into()),
                ("Direction", "inbound".into()),
            ],
            Dialect::Plivo => vec![
                ("CallUUID", self.sid.clone()),
                ("From", self.from.clone()),
                ("To", "918000000002".into()),
                ("Direction", "inbound".into()),
            ],
            Dialect::KooKoo => vec![
                ("sid", self.sid.clone()),
                ("cid", self.from.clone()),
                ("operator", "TEST".into()),
                ("circle", "DELHI".into()),
            ],
            Dialect::Exotel => vec![
                ("CallSid", self.sid.clone()),
                ("CallFrom", self.from.clone()),
                ("CallTo", "08000000002".into()),
                ("From", self.from.clone()),
                ("To", "08000000002".into()),
                ("Direction", "incoming".into()),
                ("CallType", "call-attempt".into()),
                ("DialWhomNumber", String::new()),
                ("flow_id", "11754".into()),
                ("CurrentTime", format!("2026-11-28 10:{:02}:{:02}", self.clock / 60, self.clock % 60)),
            ],
        };
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    async fn send(&mut self, method: &'static str, path: &str, extra: &[(&str, &str)]) -> (u16, String) {
        let mut params = self.base_params();
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            params.push(((*k).to_owned(), (*v).to_owned()));
        }
        let sent = Sent { method, path: path.to_owned(), params };
        let (status, body) = self.deliver(&sent).await;
        self.last = Some((sent, status, body.clone()));
        (status, body)
    }

    /// Sends a request as the gateway would: signed where it signs.
    async fn deliver(&self, sent: &Sent) -> (u16, String) {
        let client = &self.app.client;
        let url = format!("{}{}", self.app.address, sent.path);
        let public = format!("{PUBLIC_URL}{}", sent.path);
        let request = match (self.dialect, sent.method) {
            (Dialect::Twilio, _) => {
                let mut request = client.post(&url).form(&sent.params);
                if let Some(token) = self.app.token {
                    let signature = sampark::gateway::twilio::sign(token, &public, &sent.params);
                    request = request.header("X-Twilio-Signature", signature);
                }
                request
            }
            (Dialect::Plivo, _) => {
                let nonce = format!("{}{}", sent.params.len(), sent.path.len());
                let signature = sampark::gateway::plivo::sign_v3(PLIVO_TOKEN, "POST", &public, &sent.params, &nonce);
                client
                    .post(&url)
                    .form(&sent.params)
                    .header("X-Plivo-Signature-V3", signature)
                    .header("X-Plivo-Signature-V3-Nonce", nonce)
            }
            (_, "GET") => client.get(&url).query(&sent.params),
            (_, _) => client.post(&url).form(&sent.params),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// A Twilio or Plivo request whose reply is the next XML document.
    async fn xml_turn(&mut self, url_or_path: &str, extra: &[(&str, &str)]) {
        let path = url_or_path.strip_prefix(PUBLIC_URL).unwrap_or(url_or_path).to_owned();
        let (status, body) = self.send("POST", &path, extra).await;
        assert_eq!(status, 200, "{:?} {path}: {body}", self.dialect);
        self.read_xml(&body);
    }

    fn read_xml(&mut self, body: &str) {
        let mut heard = Heard::default();
        let mut position = Position::default();
        for e in elements(body) {
            match e.name.as_str() {
                "Say" | "Speak" | "playtext" => push_text(&mut heard.text, &e.text),
                "Play" | "playaudio" => heard.audio.push(e.text.clone()),
                "Hangup" | "hangup" => heard.ended = true,
                "Redirect" => position.redirect = Some(e.text.clone()),
                "Gather" | "GetInput" => {
                    let max = e.attrs.get("numDigits").map_or(usize::MAX, |n| n.parse().unwrap());
                    let finish = e.attrs.get("finishOnKey").and_then(|f| f.chars().next()).filter(|c| *c != 'n');
                    heard.input = Some((max, finish));
                    position.action = e.attrs.get("action").cloned();
                }
                "collectdtmf" => {
                    let max = e.attrs.get("l").map_or(usize::MAX, |n| n.parse().unwrap());
                    heard.input = Some((max, e.attrs.get("t").and_then(|t| t.chars().next())));
                }
                "Record" => {
                    heard.recording = true;
                    position.action = e.attrs.get("action").cloned();
                }
                "record" => heard.recording = true,
                _ => {}
            }
        }
        self.heard = heard;
        self.position = position;
    }

    async fn kookoo(&mut self, extra: &[(&str, &str)]) {
        let path = format!("/kookoo/{KOOKOO_SECRET}");
        let (status, body) = self.send("GET", &path, extra).await;
        assert_eq!(status, 200, "KooKoo: {body}");
        assert!(body.contains(&format!("sid=\"{}\"", self.sid)), "the response names the call: {body}");
        self.read_xml(&body);
    }

    /// Exotel's Gather applet fetches its configuration.
    async fn exotel_gather(&mut self) {
        let path = format!("/exotel/{EXOTEL_SECRET}/gather");
        let (status, body) = self.send("GET", &path, &[]).await;
        assert_eq!(status, 200, "Exotel gather: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let mut heard = Heard::default();
        if let Some(text) = json["gather_prompt"]["text"].as_str() {
            heard.text = text.to_owned();
        }
        if let Some(url) = json["gather_prompt"]["audio_url"].as_str() {
            heard.audio.push(url.to_owned());
        }
        let max = json["max_input_digits"].as_u64().expect("max_input_digits") as usize;
        let finish = json["finish_on_key"].as_str().and_then(|f| f.chars().next());
        heard.input = Some((max, finish));
        self.heard = heard;
    }

    /// Exotel's Greeting applet fetches its words (answering HEAD too).
    async fn exotel_greeting(&mut self) -> Heard {
        let path = format!("/exotel/{EXOTEL_SECRET}/greeting");
        let params = self.base_params();
        let url = format!("{}{path}", self.app.address);
        let head = self.app.client.head(&url).query(&params).send().await.unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()["content-type"], "text/plain; charset=utf-8");
        let (status, body) = self.send("GET", &path, &[]).await;
        assert_eq!(status, 200);
        let mut heard = Heard::default();
        for line in body.lines() {
            if line.starts_with("https://") {
                heard.audio.push(line.to_owned());
            } else {
                push_text(&mut heard.text, line);
            }
        }
        heard
    }

    /// The Passthru "answer" applet, then wherever its branch leads.
    async fn exotel_answer(&mut self, extra: &[(&str, &str)]) {
        let path = format!("/exotel/{EXOTEL_SECRET}/passthru");
        let (status, _) = self.send("GET", &path, extra).await;
        let answered = self.last.clone();
        match status {
            302 => {
                // The last words, then Exotel's Hangup applet.
                self.heard = Heard { ended: true, ..self.exotel_greeting().await };
            }
            200 => {
                let next = format!("/exotel/{EXOTEL_SECRET}/next");
                match self.send("GET", &next, &[]).await.0 {
                    200 => self.exotel_gather().await,
                    302 => self.heard = Heard { recording: true, ..self.exotel_greeting().await },
                    other => panic!("Passthru next answered {other}"),
                }
            }
            other => panic!("Passthru answer answered {other}"),
        }
        // A retry is of the answer, not of the applets that followed it.
        self.last = answered;
    }
}

/// What an input that submits at `max` keys or on `finish` takes from keys
/// pressed one after another, and the keys left for the next input.
pub fn take_keys(keys: &str, max: usize, finish: Option<char>) -> (String, String) {
    let mut digits = String::new();
    let mut keys = keys.chars();
    for key in keys.by_ref() {
        if Some(key) == finish {
            break;
        }
        digits.push(key);
        if digits.chars().count() >= max {
            break;
        }
    }
    (digits, keys.collect())
}

fn push_text(all: &mut String, text: &str) {
    if !all.is_empty() {
        all.push(' ');
    }
    all.push_str(text);
}
