//! Sampark: an IVR helpline server for migrant workers in India.
//!
//! A call reaches a gateway adapter ([`gateway`]), which turns the webhook
//! into a neutral [`flow::CallEvent`]; the pure flow engine ([`flow`]) decides
//! the next state and [`flow::Action`]s; the call driver ([`calls`]) saves the
//! event, the new state and the reply in one transaction through its store
//! ([`calls::CallStore`]) before the adapter renders the reply in the
//! gateway's dialect. A call that ends becomes (or folds into) its caller's
//! case in the callback queue ([`cases`]).
//!
//! Module map: `domain` (newtypes) · `directory` (LGD states and districts) ·
//! `import` (state governments' lists read into rows) ·
//! `prompts` (catalog and recordings) · `flow` (definitions, checks, engine) ·
//! `gateway` (Twilio) · `calls` (the per-webhook driver) · `cases` (folding
//! calls into cases, export, retention) · `queue` (the callback queue) ·
//! `reports` (coordinators' figures) · `units` (state units, hand-overs, the
//! central office's rollups) · `audit` (who did what with personal
//! data) · `db` (the database, one dialect file per backend; each domain
//! above owns its store on it) · `http` (routes) ·
//! `media` (fetching and deleting voice messages at the gateways) ·
//! `config`, `telemetry`, `startup`, `cli`.

pub mod audio;
pub mod audit;
pub mod auth;
pub mod bridge;
pub mod calls;
pub mod cases;
pub mod cli;
pub mod config;
pub mod db;
pub mod directory;
pub mod domain;
pub mod fill;
pub mod flow;
pub mod gateway;
pub mod http;
pub mod import;
pub mod loadgen;
pub mod media;
pub mod metrics;
pub mod people;
pub mod places;
pub mod prompt_tools;
pub mod prompts;
pub mod queue;
pub mod reports;
pub mod retention;
pub mod simulate;
pub mod spool;
pub mod startup;
pub mod telemetry;
pub mod units;

/// Installs the process's TLS provider (ring) for outbound HTTPS (gateway
/// REST APIs, recordings). Safe to call more than once.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
