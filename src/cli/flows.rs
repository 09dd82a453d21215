//! `sampark flows cost`: the keys and seconds of prompts a flow costs one
//! scripted caller.

use std::{io::Write, process::ExitCode, sync::Arc};

use anyhow::Context;

use crate::{
    config::Settings,
    directory::Directory,
    domain::StateCode,
    flow::cost::{self, estimated_prompt_seconds},
    prompts::{Catalog, PromptVoice, RecordingIndex},
    startup::load_flows,
};

/// The arguments of `flows cost`.
#[derive(Debug, clap::Args)]
pub struct CostArgs {
    /// What the caller does at each question, in order: keys as pressed
    /// (`1`, `212#`, `*`), `.` for silence, `m` for a voice message;
    /// separated by spaces. When it runs out, the caller hangs up.
    #[arg(long)]
    pub script: String,
    /// The flow (default: SAMPARK_FLOW)
    #[arg(long)]
    pub flow: Option<String>,
    /// LGD state codes the caller's number suggests, main one first
    /// (`10,20` for a number from the Bihar & Jharkhand circle); none by
    /// default
    #[arg(long, default_value = "")]
    pub home_states: String,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

pub fn cost(settings: &Settings, args: &CostArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let catalog = Arc::new(Catalog::load(&settings.prompts_dir)?);
    let flows = load_flows(settings, &catalog)?;
    let id = args.flow.as_deref().unwrap_or(&settings.flow);
    let flow = flows.iter().find(|f| f.id == id).with_context(|| format!("there is no flow `{id}`"))?;
    let script = cost::parse_script(&args.script).map_err(|e| anyhow::anyhow!("--script: {e}"))?;
    let guess = crate::auth::parse_list(&args.home_states, |s| StateCode::parse(s).map_err(|e| e.to_string()))
        .map_err(|e| anyhow::anyhow!("--home-states: {e}"))?;
    // Recordings on disk count at their length; the rest is estimated.
    let recordings = RecordingIndex::scan(&settings.prompts_dir, catalog.languages())
        .with_context(|| format!("cannot scan recordings in {}", settings.prompts_dir.display()))?;
    let voice = PromptVoice::new(catalog.clone(), Arc::new(recordings), Directory::bundled(), &settings.public_url);
    let seconds_of = |prompt: &crate::prompts::Prompt| match voice.recording_of(prompt) {
        Some(recording) => recording.duration_ms as f64 / 1000.0,
        None => estimated_prompt_seconds(prompt, &voice.spoken_text(prompt).unwrap_or_default()),
    };
    let cost = cost::cost(flow, Directory::bundled(), guess, &script, &seconds_of)?;
    if args.json {
        let turns: Vec<_> = cost
            .turns
            .iter()
            .map(|t| serde_json::json!({ "node": t.node, "seconds": round(t.seconds), "keys": t.keys }))
            .collect();
        let body = serde_json::json!({
            "flow": flow.id, "keys": cost.keys, "seconds": round(cost.seconds),
            "finished": cost.finished, "queued": cost.queued, "turns": turns,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&body)?)?;
    } else {
        writeln!(out, "{:<20} {:>8} {:>5}", "question", "seconds", "keys")?;
        for turn in &cost.turns {
            writeln!(out, "{:<20} {:>8.1} {:>5}", turn.node, turn.seconds, turn.keys)?;
        }
        let ending = match (cost.finished, cost.queued) {
            (true, true) => "the flow ended the call; the caller is queued",
            (true, false) => "the flow ended the call; the caller is NOT queued",
            (false, true) => "the caller hung up before the end; still queued",
            (false, false) => "the caller hung up before the end; NOT queued",
        };
        writeln!(out, "{:<20} {:>8.1} {:>5}\n{ending}", "total", cost.seconds, cost.keys)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn round(seconds: f64) -> f64 {
    (seconds * 10.0).round() / 10.0
}
