//! Where each gateway keeps recordings: the settings
//! `SAMPARK_<GATEWAY>_RECORDING_HOSTS`, comma-separated entries
//! `[scheme://]host[:port][/path/]` (scheme `https` when left out; `*.host`
//! for every subdomain of `host`; a path keeps a shared host to the
//! gateway's own folder). The defaults are the hosts the gateways' recording
//! URLs are seen on:
//!
//! | gateway | default |
//! | --- | --- |
//! | Twilio | the origin of `SAMPARK_TWILIO_API_URL` (`https://api.twilio.com`) |
//! | Plivo | `https://media.plivo.com`, `https://*.media.plivo.com` (regional, e.g. `aps1.`) |
//! | Exotel | `https://recordings.exotel.com`, and Exotel's folder `/exotelrecordings/` on its S3 hosts (Singapore, Mumbai) |
//! | KooKoo | `recordings.kookoo.in`, over HTTP (as KooKoo gives it) or HTTPS |

use reqwest::Url;

use crate::gateway::Provider;

/// Default recording hosts of the gateways other than Twilio (whose default
/// is its API URL).
const PLIVO: &[&str] = &["https://media.plivo.com", "https://*.media.plivo.com"];
const EXOTEL: &[&str] = &[
    "https://recordings.exotel.com",
    "https://s3-ap-southeast-1.amazonaws.com/exotelrecordings/",
    "https://s3.ap-southeast-1.amazonaws.com/exotelrecordings/",
    "https://s3.ap-south-1.amazonaws.com/exotelrecordings/",
];
const KOOKOO: &[&str] = &["http://recordings.kookoo.in", "https://recordings.kookoo.in"];

/// A recording-hosts entry that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not [http(s)://]host[:port][/path/]")]
pub struct SourceError(pub String);

/// One place a gateway keeps recordings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    scheme: String,
    host: String,
    /// `*.host`: any subdomain of `host`, not `host` itself.
    subdomains: bool,
    port: u16,
    path: String,
}

impl Source {
    pub fn parse(entry: &str) -> Result<Self, SourceError> {
        let bad = || SourceError(entry.to_owned());
        let entry = entry.trim();
        let with_scheme = if entry.contains("://") { entry.to_owned() } else { format!("https://{entry}") };
        let (subdomains, text) = match with_scheme.split_once("://*.") {
            Some((scheme, rest)) => (true, format!("{scheme}://{rest}")),
            None => (false, with_scheme),
        };
        let url = Url::parse(&text).map_err(|_| bad())?;
        let plain = url.username().is_empty() && url.password().is_none() && url.query().is_none();
        if !matches!(url.scheme(), "http" | "https") || !plain || url.fragment().is_some() {
            return Err(bad());
        }
        Ok(Self {
            scheme: url.scheme().to_owned(),
            host: url.host_str().ok_or_else(bad)?.to_owned(),
            subdomains,
            port: url.port_or_known_default().ok_or_else(bad)?,
            path: url.path().to_owned(),
        })
    }

    /// True when `url` is at this source: same scheme and port, the host (or
    /// a subdomain for `*.`), under the path, and no user info.
    pub fn allows(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else { return false };
        let host_ok = if self.subdomains {
            host.strip_suffix(self.host.as_str()).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'))
        } else {
            host == self.host
        };
        host_ok
            && url.scheme() == self.scheme
            && url.port_or_known_default() == Some(self.port)
            && url.username().is_empty()
            && url.password().is_none()
            && under(url.path(), &self.path)
    }
}

/// `path` is `prefix` or below it, segment by segment (`/a` is not under `/ab`).
fn under(path: &str, prefix: &str) -> bool {
    if prefix.ends_with('/') {
        return path.starts_with(prefix);
    }
    path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

/// Every gateway's recording hosts, and the hosts allowed to be internal.
#[derive(Debug, Clone, Default)]
pub struct RecordingSources {
    twilio: Vec<Source>,
    plivo: Vec<Source>,
    exotel: Vec<Source>,
    kookoo: Vec<Source>,
    /// Hosts that may resolve to private, loopback or link-local addresses:
    /// tests and local stand-ins of a gateway only.
    pub private_ok: Vec<String>,
}

impl RecordingSources {
    /// Reads each gateway's entries through `setting` (`None`: the default)
    /// and the hosts allowed to be internal.
    pub fn from_settings(
        twilio_api_url: &str,
        setting: impl Fn(Provider) -> Option<Vec<String>>,
        private_ok: Vec<String>,
    ) -> Result<Self, SourceError> {
        let list = |provider: Provider, defaults: &[&str]| -> Result<Vec<Source>, SourceError> {
            let entries = setting(provider).unwrap_or_else(|| defaults.iter().map(|d| (*d).to_owned()).collect());
            entries.iter().map(|e| Source::parse(e)).collect()
        };
        Ok(Self {
            twilio: list(Provider::Twilio, &[twilio_api_url])?,
            plivo: list(Provider::Plivo, PLIVO)?,
            exotel: list(Provider::Exotel, EXOTEL)?,
            kookoo: list(Provider::KooKoo, KOOKOO)?,
            private_ok: private_ok.into_iter().map(|h| h.trim().to_ascii_lowercase()).collect(),
        })
    }

    pub fn of(&self, gateway: Provider) -> &[Source] {
        match gateway {
            Provider::Twilio => &self.twilio,
            Provider::Plivo => &self.plivo,
            Provider::Exotel => &self.exotel,
            Provider::KooKoo => &self.kookoo,
        }
    }

    /// True when `url` is at one of `gateway`'s recording hosts.
    pub fn allows(&self, gateway: Provider, url: &Url) -> bool {
        self.of(gateway).iter().any(|s| s.allows(url))
    }

    /// True when `host` (as in a URL) may be on an internal address.
    pub fn private_ok(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.private_ok.iter().any(|h| h.trim_start_matches('[').trim_end_matches(']') == host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> RecordingSources {
        RecordingSources::from_settings("https://api.twilio.com", |_| None, Vec::new()).unwrap()
    }

    fn allows(gateway: Provider, url: &str) -> bool {
        defaults().allows(gateway, &Url::parse(url).unwrap())
    }

    #[test]
    fn each_gateways_own_hosts_are_allowed_by_default() {
        assert!(allows(Provider::Twilio, "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"));
        assert!(allows(Provider::Plivo, "https://media.plivo.com/v1/Account/MA1/Recording/r.mp3"));
        assert!(allows(Provider::Plivo, "https://aps1.media.plivo.com/v1/Account/MA1/Recording/r.mp3"));
        assert!(allows(Provider::Exotel, "https://recordings.exotel.com/exotelrecordings/acme/1.mp3"));
        assert!(allows(Provider::Exotel, "https://s3-ap-southeast-1.amazonaws.com/exotelrecordings/acme/1.mp3"));
        assert!(allows(Provider::KooKoo, "http://recordings.kookoo.in/acme/1.wav"));
    }

    #[test]
    fn other_hosts_and_lookalikes_are_not() {
        assert!(!allows(Provider::Plivo, "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"));
        assert!(!allows(Provider::Twilio, "https://api.twilio.com.evil.example/x"));
        assert!(!allows(Provider::Twilio, "https://api.twilio.com@evil.example/x"));
        assert!(!allows(Provider::Twilio, "http://api.twilio.com/x"));
        assert!(!allows(Provider::Twilio, "https://api.twilio.com:8443/x"));
        assert!(!allows(Provider::Plivo, "https://evilmedia.plivo.com/x"));
        assert!(!allows(Provider::Plivo, "https://media.plivo.com.evil.example/x"));
        assert!(!allows(Provider::Exotel, "https://s3-ap-southeast-1.amazonaws.com/someone-else/1.mp3"));
        assert!(!allows(Provider::Exotel, "https://s3-ap-southeast-1.amazonaws.com/exotelrecordings-evil/1.mp3"));
        assert!(!allows(Provider::KooKoo, "http://127.0.0.1/x"));
    }

    #[test]
    fn settings_replace_the_defaults_and_bad_entries_are_refused() {
        let twilio = |p: Provider| (p == Provider::Twilio).then(|| vec!["http://127.0.0.1:4010".to_owned()]);
        let sources =
            RecordingSources::from_settings("https://api.twilio.com", twilio, vec!["127.0.0.1".to_owned()]).unwrap();
        assert!(sources.allows(Provider::Twilio, &Url::parse("http://127.0.0.1:4010/r/1.wav").unwrap()));
        assert!(!sources.allows(Provider::Twilio, &Url::parse("https://api.twilio.com/r/1.wav").unwrap()));
        assert!(sources.private_ok("127.0.0.1"));
        assert!(!sources.private_ok("localhost"));
        assert!(Source::parse("ftp://example.com").is_err());
        assert!(Source::parse("https://user@example.com").is_err());
        assert!(Source::parse("https://example.com/?q=1").is_err());
    }
}
