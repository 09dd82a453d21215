//! The settings that are lists: where each gateway keeps voice messages
//! (`SAMPARK_*_RECORDING_HOSTS`) and IP networks for allow-lists.

use anyhow::Context;
use ipnet::IpNet;

use crate::{gateway::Provider, media::RecordingSources};

/// The recording-host settings read from `sampark.toml`.
pub(super) struct FileHosts {
    pub(super) twilio: Option<Vec<String>>,
    pub(super) plivo: Option<Vec<String>>,
    pub(super) exotel: Option<Vec<String>>,
    pub(super) kookoo: Option<Vec<String>>,
    pub(super) private: Vec<String>,
}

/// `SAMPARK_<GATEWAY>_RECORDING_HOSTS` (comma-separated; the environment
/// wins over the file) and `SAMPARK_RECORDING_PRIVATE_HOSTS`.
pub(super) fn recording_sources(
    env: &impl Fn(&str) -> Option<String>,
    file: &FileHosts,
    twilio_api_url: &str,
) -> anyhow::Result<RecordingSources> {
    let list = |var: &str| -> Option<Vec<String>> {
        env(var).filter(|v| !v.trim().is_empty()).map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
    };
    let setting = |gateway: Provider| match gateway {
        Provider::Twilio => list("SAMPARK_TWILIO_RECORDING_HOSTS").or_else(|| file.twilio.clone()),
        Provider::Plivo => list("SAMPARK_PLIVO_RECORDING_HOSTS").or_else(|| file.plivo.clone()),
        Provider::Exotel => list("SAMPARK_EXOTEL_RECORDING_HOSTS").or_else(|| file.exotel.clone()),
        Provider::KooKoo => list("SAMPARK_KOOKOO_RECORDING_HOSTS").or_else(|| file.kookoo.clone()),
    };
    let private = list("SAMPARK_RECORDING_PRIVATE_HOSTS").unwrap_or_else(|| file.private.clone());
    RecordingSources::from_settings(twilio_api_url, setting, private)
        .context("a SAMPARK_*_RECORDING_HOSTS entry is not valid")
}

/// An IP network (`10.0.0.0/8`) or a single address (`203.0.113.7`).
pub(super) fn parse_network(text: &str) -> anyhow::Result<IpNet> {
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net);
    }
    Ok(IpNet::from(text.parse::<std::net::IpAddr>()?))
}
