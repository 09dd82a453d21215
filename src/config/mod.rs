//! Settings: built-in defaults, then an optional `sampark.toml`, then
//! `SAMPARK_*` environment variables, which win. Secrets never print.
//!
//! Nothing depends on the directory a command runs in: the database, the
//! spool, flow files and recordings live in one data directory
//! ([`default_data_dir`]), and `sampark.toml` is read from there unless
//! `--config` or `SAMPARK_CONFIG` names another.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, bail};
use ipnet::IpNet;
use serde::Deserialize;

mod data_dir;
mod lists;

pub use data_dir::{DATABASE_FILE, default_data_dir};
use lists::{FileHosts, parse_network, recording_sources};

pub use crate::domain::Secret;
use crate::{bridge::Bridge, gateway::plivo::SignatureVersion, media::RecordingSources};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Everything `sampark serve` needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// Where the database, spool, flow files and recordings live unless
    /// their own settings say otherwise.
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The base URL gateways reach us at; signatures are checked against it
    /// and prompt and action URLs are built from it. No trailing `/`.
    pub public_url: String,
    pub twilio_auth_token: Option<Secret>,
    /// The flow id that answers new calls.
    pub flow: String,
    /// Flow files laid over the built-in flows (the directory may be absent).
    pub flows_dir: PathBuf,
    /// `catalog.toml` laid over the built-in catalog, and `<lang>/<key>.wav`
    /// recordings (the directory may be absent).
    pub prompts_dir: PathBuf,
    /// A call with no webhook for this long is ended and queued.
    pub call_idle_timeout: Duration,
    /// How long a volunteer's claim on a case lasts.
    pub claim_lease: Duration,
    pub log_format: LogFormat,
    /// Plivo is enabled when its auth token is set; requests must be signed.
    pub plivo_auth_token: Option<Secret>,
    pub plivo_signature: SignatureVersion,
    /// KooKoo is enabled when its secret path segment is set.
    pub kookoo_secret: Option<Secret>,
    /// Exotel is enabled when its secret path segment is set.
    pub exotel_secret: Option<Secret>,
    /// When not empty, only these networks may call the KooKoo URL.
    pub kookoo_allowed_networks: Vec<IpNet>,
    /// When not empty, only these networks may call the Exotel URLs.
    pub exotel_allowed_networks: Vec<IpNet>,
    /// Reverse proxies whose `X-Forwarded-For` is believed for allow-lists
    /// and the sign-in throttle.
    pub trusted_proxies: Vec<IpNet>,
    /// Sign-in password checks (argon2id, 19 MiB each) running at once.
    pub login_concurrency: usize,
    /// How long a sign-in waits for a check to free up before a 503.
    pub login_wait: Duration,
    /// The Twilio account (for "Call now" and for fetching recordings).
    pub twilio_account_sid: Option<String>,
    /// How "Call now" reaches the gateway; `None` shows a `tel:` link instead.
    pub bridge: Option<Bridge>,
    /// Erase closed cases' personal fields this many days after closing.
    pub retention_days: Option<u32>,
    /// Twilio's REST API, for Call now and for deleting recordings.
    pub twilio_api_url: String,
    /// Where webhooks write calls down when the database fails them.
    pub spool_path: PathBuf,
    /// How often the spool is replayed into the database.
    pub spool_replay_every: Duration,
    /// SQLite: commit webhook turns in groups (one disk flush for many).
    pub group_commit: bool,
    /// Longest prompt recording accepted.
    pub prompt_max_duration: Duration,
    /// Least sound (not counting silence) a prompt recording must have.
    pub prompt_min_sound: Duration,
    /// How often uploads made on other instances are picked up.
    pub prompt_refresh_every: Duration,
    /// How often the lists' order (by this helpline's callers) is counted again.
    pub ranking_refresh_every: Duration,
    /// Fault injection for tests (never read from the environment): a full disk.
    pub sqlite_page_limit: Option<crate::db::PageLimit>,
    /// For tests (never read from the environment): number series to guess
    /// home states from, since test numbers (`+91 1000…`) are in none.
    pub numbering: Option<std::sync::Arc<crate::directory::Numbering>>,
    /// Where each gateway keeps voice messages: the player fetches nowhere else.
    pub recording_sources: RecordingSources,
    /// A request's headers must arrive within this, or the connection closes.
    pub header_read_timeout: Duration,
    /// On SIGTERM, how long the calls in progress are answered before the stop.
    pub stop_grace: Duration,
    /// Open HTTP connections at most, in total.
    pub max_connections: usize,
    /// Open HTTP connections at most from one address (trusted proxies excepted).
    pub max_connections_per_peer: usize,
}

/// Shortest secret path segment accepted: it is the only thing keeping
/// strangers out of the unsigned gateways' URLs.
pub const MIN_SECRET_LEN: usize = 16;

/// `sampark.toml`: every key optional, same names as the settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    twilio_auth_token: Option<String>,
    flow: Option<String>,
    flows_dir: Option<PathBuf>,
    prompts_dir: Option<PathBuf>,
    call_idle_timeout_secs: Option<u64>,
    claim_lease_secs: Option<u64>,
    log_format: Option<LogFormat>,
    plivo_auth_token: Option<String>,
    plivo_signature: Option<String>,
    kookoo_secret: Option<String>,
    exotel_secret: Option<String>,
    #[serde(default)]
    kookoo_allowed_networks: Vec<String>,
    #[serde(default)]
    exotel_allowed_networks: Vec<String>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    twilio_account_sid: Option<String>,
    callback_gateway: Option<String>,
    twilio_caller_id: Option<String>,
    twilio_api_url: Option<String>,
    exotel_account_sid: Option<String>,
    exotel_api_key: Option<String>,
    exotel_api_token: Option<String>,
    exotel_caller_id: Option<String>,
    exotel_api_url: Option<String>,
    retention_days: Option<u32>,
    spool_path: Option<PathBuf>,
    twilio_recording_hosts: Option<Vec<String>>,
    plivo_recording_hosts: Option<Vec<String>>,
    exotel_recording_hosts: Option<Vec<String>>,
    kookoo_recording_hosts: Option<Vec<String>>,
    #[serde(default)]
    recording_private_hosts: Vec<String>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
impl Settings {
    /// Reads `config` (or `SAMPARK_CONFIG`, or `sampark.toml` in the data
    /// directory if it is there) and the process environment.
    pub fn load(config: Option<&Path>) -> anyhow::Result<Self> {
        let env = |name: &str| std::env::var(name).ok();
        let explicit = config.map(Path::to_owned).or_else(|| env("SAMPARK_CONFIG").map(PathBuf::from));
        let text = match &explicit {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the settings file {}", path.display()))?,
            ),
            None => match default_data_dir(env) {
                Ok(dir) => std::fs::read_to_string(dir.join("sampark.toml")).ok(),
                Err(_) => None,
            },
        };
        Self::from_sources(text.as_deref(), env)
    }

    /// Builds settings from a settings file's text and an environment lookup.
    pub fn from_sources(file: Option<&str>, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut file: FileSettings = match file {
            Some(text) => toml::from_str(text).context("the settings file is not valid")?,
            None => FileSettings::default(),
        };
        let file_hosts = FileHosts {
            twilio: file.twilio_recording_hosts.take(),
            plivo: file.plivo_recording_hosts.take(),
            exotel: file.exotel_recording_hosts.take(),
            kookoo: file.kookoo_recording_hosts.take(),
            private: std::mem::take(&mut file.recording_private_hosts),
        };
        let pick = |var: &str, from_file: Option<String>| env(var).filter(|v| !v.is_empty()).or(from_file);
        let data_dir = match (env("SAMPARK_DATA_DIR").filter(|v| !v.is_empty()), file.data_dir.take()) {
            (Some(dir), _) => PathBuf::from(dir),
            (None, Some(dir)) => dir,
            (None, None) => default_data_dir(&env)?,
        };
        let listen = pick("SAMPARK_LISTEN", file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr =
            listen.parse().with_context(|| format!("listen address `{listen}` is not HOST:PORT"))?;
        let public_url = pick("SAMPARK_PUBLIC_URL", file.public_url).unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("public URL `{public_url}` must start with http:// or https://");
        }
        let idle_secs = match env("SAMPARK_CALL_IDLE_TIMEOUT_SECS") {
            Some(v) => v.parse().context("SAMPARK_CALL_IDLE_TIMEOUT_SECS is not a number of seconds")?,
            None => file.call_idle_timeout_secs.unwrap_or(600),
        };
        let lease_secs = match env("SAMPARK_CLAIM_LEASE_SECS") {
            Some(v) => v.parse().context("SAMPARK_CLAIM_LEASE_SECS is not a number of seconds")?,
            None => file.claim_lease_secs.unwrap_or(15 * 60),
        };
        let log_format = match env("SAMPARK_LOG_FORMAT").as_deref() {
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => bail!("SAMPARK_LOG_FORMAT `{other}` is not `pretty` or `json`"),
            None => file.log_format.unwrap_or(LogFormat::Pretty),
        };
        let plivo_signature = match pick("SAMPARK_PLIVO_SIGNATURE", file.plivo_signature).as_deref() {
            None | Some("v3") => SignatureVersion::V3,
            Some("v2") => SignatureVersion::V2,
            Some(other) => bail!("SAMPARK_PLIVO_SIGNATURE `{other}` is not `v3` or `v2`"),
        };
        let secret = |var: &str, from_file: Option<String>| -> anyhow::Result<Option<Secret>> {
            match pick(var, from_file) {
                Some(s)
                    if s.len() < MIN_SECRET_LEN
                        || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) =>
                {
                    bail!("{var} must be at least {MIN_SECRET_LEN} letters, digits, `-` or `_` (it goes in a URL path)")
                }
                other => Ok(other.map(Secret::new)),
            }
        };
        let networks = |var: &str, from_file: Vec<String>| -> anyhow::Result<Vec<IpNet>> {
            let list = match env(var).filter(|v| !v.is_empty()) {
                Some(v) => v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
                None => from_file,
            };
            list.iter()
                .map(|n| parse_network(n).with_context(|| format!("{var}: `{n}` is not an IP network")))
                .collect()
        };
        let twilio_account_sid = pick("SAMPARK_TWILIO_ACCOUNT_SID", file.twilio_account_sid);
        let twilio_auth_token = pick("SAMPARK_TWILIO_AUTH_TOKEN", file.twilio_auth_token).map(Secret::new);
        let exotel_secret = secret("SAMPARK_EXOTEL_SECRET", file.exotel_secret)?;
        let twilio_api_url =
            pick("SAMPARK_TWILIO_API_URL", file.twilio_api_url).unwrap_or_else(|| "https://api.twilio.com".to_owned());
        let retention_days = match env("SAMPARK_RETENTION_DAYS").filter(|v| !v.is_empty()) {
            Some(v) => Some(v.parse::<u32>().context("SAMPARK_RETENTION_DAYS is not a number of days")?),
            None => file.retention_days,
        }
        .filter(|d| *d > 0);
        let bridge = match pick("SAMPARK_CALLBACK_GATEWAY", file.callback_gateway).as_deref() {
            None | Some("none") => None,
            Some("twilio") => {
                let need = |name: &str, v: Option<String>| {
                    v.with_context(|| format!("SAMPARK_CALLBACK_GATEWAY=twilio needs {name}"))
                };
                Some(Bridge::Twilio {
                    api_url: twilio_api_url.clone(),
                    account_sid: need("SAMPARK_TWILIO_ACCOUNT_SID", twilio_account_sid.clone())?,
                    auth_token: twilio_auth_token
                        .clone()
                        .context("SAMPARK_CALLBACK_GATEWAY=twilio needs SAMPARK_TWILIO_AUTH_TOKEN")?,
                    caller_id: need(
                        "SAMPARK_TWILIO_CALLER_ID",
                        pick("SAMPARK_TWILIO_CALLER_ID", file.twilio_caller_id),
                    )?,
                })
            }
            Some("exotel") => {
                let need = |name: &str, v: Option<String>| {
                    v.with_context(|| format!("SAMPARK_CALLBACK_GATEWAY=exotel needs {name}"))
                };
                Some(Bridge::Exotel {
                    api_url: pick("SAMPARK_EXOTEL_API_URL", file.exotel_api_url)
                        .unwrap_or_else(|| "https://api.exotel.com".to_owned()),
                    account_sid: need(
                        "SAMPARK_EXOTEL_ACCOUNT_SID",
                        pick("SAMPARK_EXOTEL_ACCOUNT_SID", file.exotel_account_sid),
                    )?,
                    api_key: need("SAMPARK_EXOTEL_API_KEY", pick("SAMPARK_EXOTEL_API_KEY", file.exotel_api_key))?,
                    api_token: Secret::new(need(
                        "SAMPARK_EXOTEL_API_TOKEN",
                        pick("SAMPARK_EXOTEL_API_TOKEN", file.exotel_api_token),
                    )?),
                    caller_id: need(
                        "SAMPARK_EXOTEL_CALLER_ID",
                        pick("SAMPARK_EXOTEL_CALLER_ID", file.exotel_caller_id),
                    )?,
                    path_secret: exotel_secret.clone().context(
                        "SAMPARK_CALLBACK_GATEWAY=exotel needs SAMPARK_EXOTEL_SECRET (for its status callback)",
                    )?,
                })
            }
            Some(other) => bail!("SAMPARK_CALLBACK_GATEWAY `{other}` is not `twilio`, `exotel` or `none`"),
        };
        let replay_secs = match env("SAMPARK_SPOOL_REPLAY_SECS") {
            Some(v) => v.parse().context("SAMPARK_SPOOL_REPLAY_SECS is not a number of seconds")?,
            None => 5,
        };
        let group_commit = match env("SAMPARK_GROUP_COMMIT").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => bail!("SAMPARK_GROUP_COMMIT `{other}` is not `on` or `off`"),
        };
        let prompt_max_secs: u64 = match env("SAMPARK_PROMPT_MAX_SECS") {
            Some(v) => v.parse().context("SAMPARK_PROMPT_MAX_SECS is not a number of seconds")?,
            None => 120,
        };
        let prompt_min_ms: u64 = match env("SAMPARK_PROMPT_MIN_MS") {
            Some(v) => v.parse().context("SAMPARK_PROMPT_MIN_MS is not a number of milliseconds")?,
            None => 250,
        };
        let login_concurrency = match env("SAMPARK_LOGIN_CONCURRENCY").filter(|v| !v.is_empty()) {
            Some(v) => v.parse().context("SAMPARK_LOGIN_CONCURRENCY is not a number")?,
            None => crate::auth::checks::default_cap(),
        };
        let login_wait_ms: u64 = match env("SAMPARK_LOGIN_WAIT_MS").filter(|v| !v.is_empty()) {
            Some(v) => v.parse().context("SAMPARK_LOGIN_WAIT_MS is not a number of milliseconds")?,
            None => 500,
        };
        let prompt_refresh_secs: u64 = match env("SAMPARK_PROMPT_REFRESH_SECS") {
            Some(v) => v.parse().context("SAMPARK_PROMPT_REFRESH_SECS is not a number of seconds")?,
            None => 15,
        };
        let recording_sources = recording_sources(&env, &file_hosts, &twilio_api_url)?;
        let number = |var: &str, default: u64| -> anyhow::Result<u64> {
            match env(var).filter(|v| !v.is_empty()) {
                Some(v) => v.parse().with_context(|| format!("{var} is not a whole number")),
                None => Ok(default),
            }
        };
        let header_read_secs = number("SAMPARK_HEADER_READ_TIMEOUT_SECS", 5)?;
        let max_connections = number("SAMPARK_MAX_CONNECTIONS", 1024)?;
        let stop_grace_secs = number("SAMPARK_STOP_GRACE_SECS", 300)?;
        let ranking_secs = number("SAMPARK_RANKING_REFRESH_SECS", 600)?;
        let max_connections_per_peer = number("SAMPARK_MAX_CONNECTIONS_PER_PEER", 128)?;
        Ok(Self {
            recording_sources,
            header_read_timeout: Duration::from_secs(header_read_secs.max(1)),
            stop_grace: Duration::from_secs(stop_grace_secs),
            numbering: None,
            max_connections: usize::try_from(max_connections.max(1)).unwrap_or(usize::MAX),
            max_connections_per_peer: usize::try_from(max_connections_per_peer.max(1)).unwrap_or(usize::MAX),
            group_commit,
            sqlite_page_limit: None,
            prompt_refresh_every: Duration::from_secs(prompt_refresh_secs.max(1)),
            ranking_refresh_every: Duration::from_secs(ranking_secs.max(1)),
            prompt_max_duration: Duration::from_secs(prompt_max_secs.max(1)),
            prompt_min_sound: Duration::from_millis(prompt_min_ms),
            spool_replay_every: Duration::from_secs(replay_secs.max(1)),
            spool_path: pick("SAMPARK_SPOOL_PATH", None)
                .map(PathBuf::from)
                .or(file.spool_path)
                .unwrap_or_else(|| data_dir.join("sampark-spool.jsonl")),
            twilio_account_sid,
            bridge,
            retention_days,
            twilio_api_url,
            plivo_auth_token: pick("SAMPARK_PLIVO_AUTH_TOKEN", file.plivo_auth_token).map(Secret::new),
            plivo_signature,
            kookoo_secret: secret("SAMPARK_KOOKOO_SECRET", file.kookoo_secret)?,
            exotel_secret,
            kookoo_allowed_networks: networks("SAMPARK_KOOKOO_ALLOWED_NETWORKS", file.kookoo_allowed_networks)?,
            exotel_allowed_networks: networks("SAMPARK_EXOTEL_ALLOWED_NETWORKS", file.exotel_allowed_networks)?,
            trusted_proxies: networks("SAMPARK_TRUSTED_PROXIES", file.trusted_proxies)?,
            login_concurrency: login_concurrency.max(1),
            login_wait: Duration::from_millis(login_wait_ms),
            listen,
            data_dir: data_dir.clone(),
            database_url: pick("SAMPARK_DATABASE_URL", file.database_url)
                .unwrap_or_else(|| format!("sqlite://{}", data_dir.join(DATABASE_FILE).display())),
            public_url: public_url.trim_end_matches('/').to_owned(),
            twilio_auth_token,
            flow: pick("SAMPARK_FLOW", file.flow).unwrap_or_else(|| "helpline".to_owned()),
            flows_dir: pick("SAMPARK_FLOWS_DIR", None)
                .map(PathBuf::from)
                .or(file.flows_dir)
                .unwrap_or_else(|| data_dir.join("call_flows")),
            prompts_dir: pick("SAMPARK_PROMPTS_DIR", None)
                .map(PathBuf::from)
                .or(file.prompts_dir)
                .unwrap_or_else(|| data_dir.join("prompts")),
            call_idle_timeout: Duration::from_secs(idle_secs),
            claim_lease: Duration::from_secs(lease_secs),
            log_format,
        })
    }
}

#[cfg(test)]
mod tests;
