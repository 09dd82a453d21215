//! `sampark prompts import | coverage | synth`: the prompt library from the
//! command line, on the same database and pipeline as the admin page.

use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
};

use anyhow::{Context, bail};
use tokio::io::AsyncWriteExt;

use crate::{
    audio::AudioLimits,
    config::Settings,
    db::Db,
    directory::Directory,
    domain::Language,
    flow::{self, Cell, Coverage, Flow},
    prompts::{Catalog, PromptKey, PromptLibrary, PromptStore, RecordingIndex, Upload},
};

/// The library on the configured database, with the current flows.
pub async fn open(settings: &Settings) -> anyhow::Result<(Db, PromptLibrary, Vec<Flow>)> {
    let db = Db::open_existing(&settings.database_url).await.context("cannot open the database")?;
    open_on(settings, db).await
}

/// As [`open`], on `db`.
pub async fn open_on(settings: &Settings, db: Db) -> anyhow::Result<(Db, PromptLibrary, Vec<Flow>)> {
    let catalog = Arc::new(Catalog::load(&settings.prompts_dir)?);
    let flows = crate::startup::load_flows(settings, &catalog)?;
    let index = RecordingIndex::scan(&settings.prompts_dir, catalog.languages())
        .with_context(|| format!("cannot scan recordings in {}", settings.prompts_dir.display()))?;
    let limits = AudioLimits {
        max_duration: settings.prompt_max_duration,
        min_sound: settings.prompt_min_sound,
        ..AudioLimits::default()
    };
    let library =
        PromptLibrary::new(PromptStore::new(db.clone()), Arc::new(index), catalog, Directory::bundled(), limits);
    library.refresh().await.context("cannot read the uploaded prompt recordings")?;
    Ok((db, library, flows))
}

/// The audio formats uploads may be in, by file extension.
const AUDIO_EXTENSIONS: [&str; 5] = ["wav", "mp3", "ogg", "oga", "flac"];

/// One file `import` looked at.
#[derive(Debug)]
pub struct Imported {
    pub file: PathBuf,
    pub result: Result<String, String>,
}

/// Uploads every `<dir>/<lang>/<key>.<ext>` (wav, mp3, ogg, flac), writing
/// each file's result as it goes. Returns how many failed.
pub async fn import(library: &PromptLibrary, dir: &Path, by: &str, out: &mut impl Write) -> anyhow::Result<usize> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            for file in std::fs::read_dir(&path).with_context(|| format!("cannot read {}", path.display()))? {
                let file = file?.path();
                if file.is_file() {
                    files.push(file);
                }
            }
        } else {
            files.push(path);
        }
    }
    files.sort();
    let mut failed = 0;
    for file in files {
        let result = import_one(library, dir, &file, by).await;
        let shown = file.strip_prefix(dir).unwrap_or(&file).display().to_string();
        match &result {
            Ok(message) => writeln!(out, "ok       {shown}: {message}")?,
            Err(message) => {
                failed += 1;
                writeln!(out, "REJECTED {shown}: {message}")?;
            }
        }
    }
    Ok(failed)
}

async fn import_one(library: &PromptLibrary, dir: &Path, file: &Path, by: &str) -> Result<String, String> {
    let relative = file.strip_prefix(dir).map_err(|_| "outside the folder".to_owned())?;
    let parts: Vec<&str> = relative.iter().filter_map(|p| p.to_str()).collect();
    let [lang, name] = parts.as_slice() else {
        return Err("not in a language folder: name files <lang>/<key>.<ext>, e.g. hi/welcome.mp3".to_owned());
    };
    let (stem, extension) = name.rsplit_once('.').ok_or("no file extension")?;
    if !AUDIO_EXTENSIONS.contains(&extension.to_ascii_lowercase().as_str()) {
        return Err(format!("`.{extension}` is not an audio file Sampark takes (wav, mp3, ogg, flac)"));
    }
    let language = Language::parse(lang).map_err(|e| format!("folder: {e}"))?;
    let key = PromptKey::parse(stem).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
    let upload = Upload { language, key, bytes, uploaded_by: by.to_owned(), synthetic: false };
    let uploaded = library.upload(upload, chrono::Utc::now()).await.map_err(|e| e.to_string())?;
    let version = uploaded.version;
    let seconds = version.duration_ms as f64 / 1000.0;
    Ok(if uploaded.new {
        format!("version {} active, {seconds:.1} s (from {})", version.id, version.original_format)
    } else {
        format!("unchanged, version {} is already active", version.id)
    })
}

/// The coverage matrix as text: one row per prompt, one column per
/// language; `*` marks a text no native speaker has checked yet.
pub fn write_coverage(coverage: &Coverage, out: &mut impl Write) -> std::io::Result<()> {
    let width = coverage.rows.iter().map(|r| r.key.as_str().len()).max().unwrap_or(6).max(6);
    write!(out, "{:width$}", "prompt")?;
    for lang in &coverage.languages {
        write!(out, "  {lang:<16}")?;
    }
    writeln!(out)?;
    for row in &coverage.rows {
        write!(out, "{:width$}", row.key.as_str())?;
        for (lang, cell) in coverage.languages.iter().zip(&row.cells) {
            let mut shown = match cell {
                Cell::NotUsed => "-".to_owned(),
                Cell::Recorded { duration_ms, synthetic, .. } => {
                    let what = if *synthetic { "synthetic" } else { "recorded" };
                    format!("{what} {:.1}s", *duration_ms as f64 / 1000.0)
                }
                Cell::TextOnly => "text only".to_owned(),
                Cell::SaidInstead { language } => format!("said in {language}"),
                Cell::Missing => "MISSING".to_owned(),
            };
            if *cell != Cell::NotUsed && row.unchecked.contains(lang) {
                shown.push('*');
            }
            write!(out, "  {shown:<16}")?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "* not yet checked by a native speaker; \"said in hi\": no voice for the language, Hindi until recorded"
    )?;
    for (lang, total) in coverage.languages.iter().zip(coverage.totals()) {
        writeln!(
            out,
            "{lang}: {} recorded, {} synthetic, {} text only, {} said in another language, {} missing; {} unchecked",
            total.recorded, total.synthetic, total.text_only, total.said_instead, total.missing, total.unchecked
        )?;
    }
    Ok(())
}

/// Makes placeholder recordings with espeak-ng for every prompt of the
/// flows that has no recording (in `only`, or every language), through the
/// same pipeline as uploads, marked synthetic; a language espeak-ng has no
/// voice for is skipped with a line saying so. Returns how many failed.
pub async fn synth(
    library: &PromptLibrary,
    flows: &[Flow],
    only: Option<&Language>,
    out: &mut impl Write,
) -> anyhow::Result<usize> {
    let coverage = flow::coverage(library.catalog(), library.index(), flows);
    if let Some(lang) = only
        && !coverage.languages.contains(lang)
    {
        bail!("no flow speaks `{lang}`");
    }
    if !espeak_available().await {
        bail!("espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng)");
    }
    let mut voices = BTreeMap::new();
    for lang in coverage.languages.iter().filter(|l| only.is_none_or(|o| o == *l)) {
        let voice = espeak_voice(lang);
        if !espeak_has_voice(voice).await {
            writeln!(out, "skipped  {lang}: espeak-ng has no voice for it; record its prompts")?;
            continue;
        }
        if voice != lang.as_str() {
            writeln!(out, "voice    {lang}: espeak-ng has none of its own; its `{voice}` voice reads the same script")?;
        }
        voices.insert(lang.clone(), voice);
    }
    let mut failed = 0;
    for row in &coverage.rows {
        for (lang, cell) in coverage.languages.iter().zip(&row.cells) {
            let Some(voice) = voices.get(lang) else { continue };
            if matches!(cell, Cell::NotUsed | Cell::Recorded { .. }) {
                continue;
            }
            let Some(text) = library.catalog().text(&row.key, lang) else { continue };
            let result = async {
                let bytes = speak(voice, text).await?;
                let upload = Upload {
                    language: lang.clone(),
                    key: row.key.clone(),
                    bytes,
                    uploaded_by: "espeak-ng".to_owned(),
                    synthetic: true,
                };
                library.upload(upload, chrono::Utc::now()).await.map_err(|e| e.to_string())
            }
            .await;
            match result {
                Ok(uploaded) => writeln!(
                    out,
                    "ok       {lang}/{}: synthetic, {:.1} s",
                    row.key,
                    uploaded.version.duration_ms as f64 / 1000.0
                )?,
                Err(message) => {
                    failed += 1;
                    writeln!(out, "FAILED   {lang}/{}: {message}", row.key)?;
                }
            }
        }
    }
    Ok(failed)
}

/// The espeak-ng voice for a catalog language's texts: its own code,
/// except for the Devanagari languages espeak-ng has no voice for
/// (Bhojpuri, Maithili), which its Hindi voice reads, as the gateways'
/// Hindi voice does.
pub fn espeak_voice(lang: &Language) -> &str {
    match lang.as_str() {
        "bho" | "mai" => "hi",
        code => code,
    }
}

/// Whether this espeak-ng knows `voice` (`espeak-ng --voices=<voice>`
/// lists it).
async fn espeak_has_voice(voice: &str) -> bool {
    let output = tokio::process::Command::new("espeak-ng").arg(format!("--voices={voice}")).output().await;
    output.is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).lines().nth(1).is_some())
}

async fn espeak_available() -> bool {
    tokio::process::Command::new("espeak-ng")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

/// `text` spoken by espeak-ng's `voice`, as WAV bytes. The text
/// goes in on standard input, never as an argument; the WAV goes to a file
/// (on a pipe espeak-ng cannot fill in the header's lengths). One word (a
/// digit of a number read back, `digit_1`) is said slower: at the usual
/// speed it is shorter than the shortest sound a recording may have.
async fn speak(voice: &str, text: &str) -> Result<Vec<u8>, String> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("sampark-synth-{}-{n}.wav", std::process::id()));
    let mut child = tokio::process::Command::new("espeak-ng")
        .args(["-v", voice, "-s", if text.split_whitespace().nth(1).is_none() { "100" } else { "175" }])
        .args(["--stdin", "-w"])
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run espeak-ng: {e}"))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(text.as_bytes()).await.map_err(|e| format!("espeak-ng: {e}"))?;
    drop(stdin);
    let output = child.wait_with_output().await.map_err(|e| format!("espeak-ng: {e}"))?;
    let bytes = tokio::fs::read(&path).await;
    let _ = tokio::fs::remove_file(&path).await;
    if !output.status.success() {
        return Err(format!("espeak-ng: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    bytes.map_err(|e| format!("espeak-ng wrote no audio: {e}"))
}
