//! Logging: pretty lines for people, JSON lines for log pipelines. `RUST_LOG`
//! filters (default `info`). Never log caller numbers, recordings or secrets:
//! [`crate::domain::PhoneNumber`] masks itself, and requests are logged by
//! route, not by parameters.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=error"));
    // Colour only for a person at a terminal: a service's journal or a log
    // file gets plain text.
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal());
    // A second init (tests, embedding) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Warnings and errors only, to standard error: for interactive commands
/// whose standard output is the point (`RUST_LOG` still overrides).
pub fn init_quiet() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,sqlx=error"));
    let _ = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
