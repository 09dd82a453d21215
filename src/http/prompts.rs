//! `GET /prompts/{lang}/{key}.{version}.wav`: recordings for gateways to play.
//!
//! Nothing from the request becomes a path: the language and key are parsed
//! into types that only admit letters, digits and `_`, and only recordings in
//! the index (shipped files found at startup, and the active uploaded
//! versions) are served. File names carry the content hash and responses an
//! ETag, so caches keep a file while it is current and fetch a new version at
//! once (its URL is new). Joined sequences are made only for lists the
//! flows' questions play, each once (see [`crate::prompts::Sequences`]).

use std::collections::HashMap;

use axum::{
    Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::AppState;
use crate::{
    directory::Directory,
    domain::Language,
    flow::Recorded,
    prompts::{LibraryError, PromptKey, PromptLibrary, Recording, sequence_version},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/prompts/{file}", get(sequence)).route("/prompts/{lang}/{file}", get(recording))
}

/// Most recordings joined into one file.
const MAX_SEQUENCE: usize = 24;

/// `GET /prompts/sequence.<version>.wav?p=hi/welcome,bn/choose_language`: several
/// recordings joined into one WAV, for gateways that take a single audio URL
/// (Exotel's Gather). Only lists one of the flows' questions plays, of
/// recordings in the index, all in one PCM format; anything else is 404
/// before any work. Joins are cached (see [`crate::prompts::Sequences`]).
async fn sequence(
    State(app): State<AppState>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "no such recording").into_response();
    let named = file.strip_prefix("sequence.").and_then(|f| f.strip_suffix(".wav")).is_some() || file == "sequence.wav";
    let Some(list) = query.get("p").filter(|_| named).and_then(|p| parse_list(p)) else { return not_found() };
    let directory = Directory::bundled();
    if !app.calls.flows().iter().any(|flow| flow.asks(directory, &list)) {
        return not_found();
    }
    let Some(parts) = list.iter().map(|(lang, key)| app.prompts.index().get(lang, key)).collect::<Option<Vec<_>>>()
    else {
        return not_found();
    };
    if parts.iter().any(|p| p.format != parts[0].format) {
        return (StatusCode::UNPROCESSABLE_ENTITY, "the recordings are not in one format").into_response();
    }
    let versions: String = parts.iter().map(|p| p.version.as_str()).collect();
    let version = sequence_version(&versions);
    let etag = format!("\"{version}\"");
    let cache = (header::CACHE_CONTROL, "public, max-age=86400");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.as_str()), cache]).into_response();
    }
    match app.prompts.sequences().get_or_join(&version, || join(&app.prompts, &parts)).await {
        Ok(joined) => {
            let body = Bytes::from_owner(joined);
            ([(header::CONTENT_TYPE, "audio/wav"), (header::ETAG, etag.as_str()), cache], body).into_response()
        }
        Err(e) => {
            tracing::error!(error.message = %e, "could not join recordings");
            not_found()
        }
    }
}

/// `hi/welcome,bn/choose_language` as languages and keys; `None` for
/// anything else, or more than [`MAX_SEQUENCE`] of them.
fn parse_list(list: &str) -> Option<Vec<Recorded>> {
    let items: Vec<&str> = list.split(',').take(MAX_SEQUENCE + 1).collect();
    if items.len() > MAX_SEQUENCE {
        return None;
    }
    items
        .into_iter()
        .map(|item| {
            let (lang, key) = item.split_once('/')?;
            Some((Language::parse(lang).ok()?, PromptKey::parse(key).ok()?))
        })
        .collect()
}

/// Why recordings could not be joined (each is logged; the gateway gets 404).
#[derive(Debug, thiserror::Error)]
enum JoinError {
    #[error("a recording in the index cannot be read: {0}")]
    Read(#[from] LibraryError),
    #[error("the recordings cannot be joined: {0}")]
    Wav(#[from] hound::Error),
    #[error("joining recordings panicked: {0}")]
    Panicked(#[from] tokio::task::JoinError),
}

/// Reads the recordings and joins them off the async runtime.
async fn join(library: &PromptLibrary, parts: &[Recording]) -> Result<Vec<u8>, JoinError> {
    let mut files = Vec::with_capacity(parts.len());
    for part in parts {
        files.push(library.audio(part).await?);
    }
    Ok(tokio::task::spawn_blocking(move || join_wavs(&files)).await??)
}

/// Concatenates PCM WAV files of one format into one WAV file.
fn join_wavs(files: &[Vec<u8>]) -> Result<Vec<u8>, hound::Error> {
    let mut readers = files
        .iter()
        .map(|bytes| hound::WavReader::new(std::io::Cursor::new(bytes.as_slice())))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(spec) = readers.first().map(hound::WavReader::spec) else { return Ok(Vec::new()) };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec)?;
    for reader in &mut readers {
        for sample in reader.samples::<i32>() {
            writer.write_sample(sample?)?;
        }
    }
    writer.finalize()?;
    Ok(out.into_inner())
}

async fn recording(
    State(app): State<AppState>,
    Path((lang, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    // `<key>.wav`, or `<key>.<version>.wav` as our URLs name it (the version
    // only makes the name new; the current recording is served).
    let stem = file.strip_suffix(".wav").map(|s| s.split_once('.').map_or(s, |(key, _version)| key));
    let key = stem.and_then(|k| PromptKey::parse(k).ok());
    let (Ok(lang), Some(key)) = (Language::parse(&lang), key) else {
        return (StatusCode::NOT_FOUND, "no such recording").into_response();
    };
    let Some(recording) = app.prompts.index().get(&lang, &key) else {
        return (StatusCode::NOT_FOUND, "no such recording").into_response();
    };
    let etag = format!("\"{}\"", recording.version);
    let cache = (header::CACHE_CONTROL, "public, max-age=86400");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.as_str()), cache]).into_response();
    }
    match app.prompts.audio(&recording).await {
        Ok(bytes) => {
            ([(header::CONTENT_TYPE, "audio/wav"), (header::ETAG, etag.as_str()), cache], bytes).into_response()
        }
        Err(e) => {
            tracing::error!(error.message = %e, "a recording in the index cannot be read");
            (StatusCode::NOT_FOUND, "no such recording").into_response()
        }
    }
}
