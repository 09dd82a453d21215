//! `sampark simulate`: a call in the terminal.
//!
//! The same call driver, flow engine and store as the server: each turn is
//! a webhook as a gateway would send it (digits, silence, a recorded
//! message, the final status), committed to the database, and the call's
//! case is queued at the end exactly as for a real call. Keys are taken as a
//! gateway takes them: a question takes keys up to its finish key or its key
//! count, and keys typed after that go to the next question. Prompts are shown
//! as text and, with the `playback` feature and a sound device, played.
//!
//! By default the call goes into a scratch SQLite database that is deleted
//! afterwards, so trying a flow never puts a made-up caller in the real
//! callback queue; `--database` writes it where you say.

use std::{
    io::{BufRead, Write},
    sync::{Arc, Mutex},
};

use anyhow::{Context, bail};
use futures::TryStreamExt;
use sha2::{Digest, Sha256};

use crate::{
    calls::{CallService, CallStore, FlowRegistry, system_clock},
    cases::{CaseRecord, CaseStore},
    config::Settings,
    db::Db,
    directory::Directory,
    domain::{CallId, Digits, PhoneNumber},
    flow::{Action, CallEvent, EndReason, Prompt, VoiceMessage, keypad},
    gateway::{Inbound, Provider, Reply, Step},
    prompts::{PromptLibrary, PromptVoice},
};

/// The actions a turn rendered, and the turn the next answer belongs to.
type Rendered = (Vec<Action>, u32);

/// A made-up caller number (no real person has it).
pub const DEFAULT_CALLER: &str = "+910000000000";

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The flow that answers (default: the server's, SAMPARK_FLOW).
    pub flow: Option<String>,
    /// Where the call is written; `None`: a scratch database, deleted after.
    pub database_url: Option<String>,
    pub caller: String,
    /// Play recordings through the speakers (with the `playback` feature).
    pub audio: bool,
}

/// Runs one call, reading keys from `input` and writing the call to `out`.
/// Returns the case the call queued.
pub async fn run(
    settings: &Settings,
    options: &Options,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Option<CaseRecord>> {
    let scratch = match &options.database_url {
        Some(_) => None,
        None => Some(tempfile_path()),
    };
    let url = match (&options.database_url, &scratch) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => format!("sqlite://{}", path.display()),
        (None, None) => unreachable!("a scratch path exists when no database is given"),
    };
    let result = simulate(settings, options, &url, input, out).await;
    if let Some(path) = scratch {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    result
}

fn tempfile_path() -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!("sampark-simulate-{}-{nanos}.db", std::process::id()))
}

async fn simulate(
    settings: &Settings,
    options: &Options,
    url: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Option<CaseRecord>> {
    // A scratch database is made here; one the user names must exist.
    let db = if options.database_url.is_some() { Db::open_existing(url).await } else { Db::open(url).await };
    let (db, library, flows) = crate::prompt_tools::open_on(settings, db.context("cannot open the database")?).await?;
    let flow_id = options.flow.clone().unwrap_or_else(|| settings.flow.clone());
    let Some(flow) = flows.iter().find(|f| f.id == flow_id) else {
        let ids: Vec<&str> = flows.iter().map(|f| f.id.as_str()).collect();
        bail!("no flow `{flow_id}` in {} (there are: {})", settings.flows_dir.display(), ids.join(", "));
    };
    let flow_version = flow.version.clone();
    let call_store = CallStore::new(db.clone(), false);
    let registry = FlowRegistry::new(flows, call_store.clone()).await?;
    let directory = Directory::bundled();
    let numbering = crate::directory::Numbering::bundled();
    let calls = CallService::new(call_store, registry, directory, numbering, &flow_id, system_clock());
    let voice = library.voice(&settings.public_url);
    let caller = PhoneNumber::parse(&options.caller).context("--caller is not a phone number")?;
    let speaker = Speaker::open(options.audio);
    let where_to = if options.database_url.is_some() { "the database you gave" } else { "a scratch database" };
    writeln!(out, "Sampark simulator: flow `{flow_id}` (version {flow_version}), call written to {where_to}.")?;
    writeln!(out, "Type keys and Enter for each question; `.` and Enter is silence; end of input hangs up.")?;
    if let Some(note) = speaker.note() {
        writeln!(out, "{note}")?;
    }
    writeln!(out)?;

    let call_id = format!("SIM{}", &hex(&Sha256::digest(tempfile_path().to_string_lossy().as_bytes()))[..24]);
    let call_id = CallId::parse(&call_id).context("the simulated call's id")?;
    let mut turn_step = Step::Turn(0);
    let mut event = CallEvent::Started;
    let mut turn_no = 0u32;
    // Keys typed past what a question took, for the next question (a
    // gateway takes keys the same way: `flow::keypad`).
    let mut pending = String::new();
    loop {
        let inbound = Inbound {
            provider: Provider::Twilio,
            call_id: call_id.clone(),
            caller: Some(caller.clone()),
            step: turn_step.clone(),
            event: event.clone(),
            request_hash: hex(&Sha256::digest(format!("{call_id}/{turn_no}/{event:?}").as_bytes())),
        };
        let captured: Arc<Mutex<Option<Rendered>>> = Arc::default();
        let sink = captured.clone();
        let render = move |actions: &[Action], turn: u32| {
            *sink.lock().expect("capture lock") = Some((actions.to_vec(), turn));
            Reply { content_type: "text/plain".to_owned(), body: String::new() }
        };
        calls.handle(&inbound, &render).await.context("the call driver failed")?;
        let Some((actions, next_turn)) = captured.lock().expect("capture lock").take() else {
            break;
        };
        turn_no = next_turn;
        let mut next = None;
        for action in &actions {
            match action {
                Action::Play { prompts } => say(&voice, &library, &speaker, prompts, out).await?,
                Action::Gather { prompts, max_digits, finish_key, timeout_secs } => {
                    say(&voice, &library, &speaker, prompts, out).await?;
                    let finish = finish_key.map(|k| format!(", then {k}")).unwrap_or_default();
                    write!(out, "  [keys: up to {max_digits}{finish}; {timeout_secs} s of silence] > ")?;
                    let keys = if pending.is_empty() {
                        read_line(input, out)?
                    } else {
                        // Keys typed after the last question took its answer:
                        // on a phone they reach this question, as here.
                        writeln!(out, "{pending} (keys pressed earlier)")?;
                        Some(std::mem::take(&mut pending))
                    };
                    next = Some(match keys {
                        None => CallEvent::Ended { reason: EndReason::CallerHungUp },
                        Some(line) if line == "." || line.is_empty() => CallEvent::NoInput,
                        Some(line) => {
                            let keys: String =
                                line.chars().filter(|c| c.is_ascii_digit() || "*#".contains(*c)).collect();
                            let taken = keypad::take(&keys, keypad::key_limit(*max_digits, *finish_key), *finish_key);
                            pending = taken.rest.to_owned();
                            // No keys (or more than any answer takes) is no input.
                            Digits::parse(&taken.digits)
                                .map_or(CallEvent::NoInput, |digits| CallEvent::Digits { digits })
                        }
                    });
                    break;
                }
                Action::Record { prompts, max_length_secs, .. } => {
                    say(&voice, &library, &speaker, prompts, out).await?;
                    write!(out, "  [beep: type your message (up to {max_length_secs} s), or `.` to stay silent] > ")?;
                    next = Some(match read_line(input, out)? {
                        None => CallEvent::Ended { reason: EndReason::CallerHungUp },
                        Some(line) if line == "." || line.is_empty() => CallEvent::NoInput,
                        Some(line) => {
                            let words = u32::try_from(line.split_whitespace().count()).unwrap_or(u32::MAX);
                            CallEvent::Recorded {
                                message: VoiceMessage {
                                    url: "simulated:voice-message".to_owned(),
                                    duration_secs: Some(words.max(1)),
                                },
                            }
                        }
                    });
                    break;
                }
                Action::Hangup => {
                    writeln!(out, "  [the helpline hangs up]")?;
                    next = Some(CallEvent::Ended { reason: EndReason::CallerHungUp });
                    break;
                }
            }
        }
        let Some(event_next) = next else { break };
        let ended = matches!(event_next, CallEvent::Ended { .. });
        if ended {
            if !actions.iter().any(|a| matches!(a, Action::Hangup)) {
                writeln!(out, "  [you hang up]")?;
            }
            let status = Inbound {
                provider: Provider::Twilio,
                call_id: call_id.clone(),
                caller: Some(caller.clone()),
                step: Step::Callback { key: "status:completed".to_owned() },
                event: event_next,
                request_hash: hex(&Sha256::digest(format!("{call_id}/status").as_bytes())),
            };
            let render = |_: &[Action], _: u32| Reply { content_type: "text/plain".to_owned(), body: String::new() };
            calls.handle(&status, &render).await.context("the call driver failed")?;
            break;
        }
        event = event_next;
        turn_step = Step::Turn(turn_no);
    }

    let phone = caller.as_e164().to_owned();
    let cases: Vec<CaseRecord> = CaseStore::new(db.clone())
        .export_cases()
        .try_filter(|c| std::future::ready(c.phone.as_deref() == Some(&phone)))
        .try_collect()
        .await?;
    let case = cases.into_iter().max_by_key(|c| c.id);
    writeln!(out)?;
    match &case {
        Some(case) => {
            writeln!(out, "The call queued this case for a callback:")?;
            writeln!(out, "{}", serde_json::to_string_pretty(case)?)?;
        }
        None => writeln!(out, "The call queued no case.")?,
    }
    db.close().await;
    Ok(case)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A line from the caller without its line ending; `None` at end of input.
/// Echoed when the input is not a terminal, so the transcript reads whole.
fn read_line(input: &mut dyn BufRead, out: &mut dyn Write) -> anyhow::Result<Option<String>> {
    out.flush()?;
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        writeln!(out)?;
        return Ok(None);
    }
    let line = line.trim().to_owned();
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        writeln!(out, "{line}")?;
    }
    Ok(Some(line))
}

/// Shows each prompt's text (and plays its recording when it can).
async fn say(
    voice: &PromptVoice,
    library: &PromptLibrary,
    speaker: &Speaker,
    prompts: &[Prompt],
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    for prompt in prompts {
        // What the caller hears: in another language when no voice reads this one.
        let Some(heard) = voice.voiced(prompt) else {
            let text = voice.text(prompt).unwrap_or_default();
            writeln!(out, "  ({}, not heard: no voice reads it, record it) {text}", prompt.language())?;
            continue;
        };
        let text = voice.text(&heard).unwrap_or_else(|| "(no text)".to_owned());
        let recording = voice.recording_of(&heard);
        let how = match &recording {
            Some(r) if r.synthetic => "synthetic recording",
            Some(_) => "recording",
            None => "text-to-speech",
        };
        let language = match heard.language() {
            l if l == prompt.language() => l.to_string(),
            l => format!("{}, said in {l}", prompt.language()),
        };
        writeln!(out, "  ({language}, {how}) {text}")?;
        if let Some(recording) = recording
            && speaker.can_play()
        {
            match library.audio(&recording).await {
                Ok(bytes) => speaker.play(bytes),
                Err(e) => writeln!(out, "  (cannot play it: {e})")?,
            }
        }
    }
    Ok(())
}

/// The speakers, when the `playback` feature is built and a device opens.
struct Speaker {
    #[cfg(feature = "playback")]
    sink: Option<rodio::MixerDeviceSink>,
    note: Option<String>,
}

impl Speaker {
    #[cfg(feature = "playback")]
    fn open(wanted: bool) -> Self {
        if !wanted {
            return Self { sink: None, note: None };
        }
        match rodio::DeviceSinkBuilder::open_default_sink() {
            Ok(mut sink) => {
                sink.log_on_drop(false);
                Self { sink: Some(sink), note: Some("Recordings play through the speakers.".to_owned()) }
            }
            Err(e) => Self { sink: None, note: Some(format!("No sound device ({e}): text only.")) },
        }
    }

    #[cfg(not(feature = "playback"))]
    fn open(wanted: bool) -> Self {
        let note = wanted
            .then(|| "Text only: this build has no audio playback (build with `--features playback`).".to_owned());
        Self { note }
    }

    fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    fn can_play(&self) -> bool {
        #[cfg(feature = "playback")]
        return self.sink.is_some();
        #[cfg(not(feature = "playback"))]
        false
    }

    /// Plays a WAV to the end (blocking: the caller listens before keying).
    #[cfg(feature = "playback")]
    fn play(&self, wav: Vec<u8>) {
        if let Some(sink) = &self.sink
            && let Ok(player) = rodio::play(sink.mixer(), std::io::Cursor::new(wav))
        {
            player.sleep_until_end();
        }
    }

    #[cfg(not(feature = "playback"))]
    fn play(&self, _wav: Vec<u8>) {}
}
