//! Fetching a voice message for the player, from its gateway's hosts only.

use std::{net::IpAddr, sync::Arc, time::Duration};

use reqwest::{Url, header::LOCATION, redirect::Policy};

use super::{
    address::{GuardedResolver, PrivateAddress, is_public},
    sources::RecordingSources,
};
use crate::gateway::Provider;

/// Redirects followed (each checked like the first URL): a gateway may send
/// the player on to a signed media link on another of its hosts.
const MAX_REDIRECTS: usize = 3;
/// How long a whole voice message may take to arrive: less than the
/// server's request timeout (12 s), so the player hears why, not a bare 408.
pub const VOICE_MESSAGE_DEADLINE: Duration = Duration::from_secs(10);
/// The largest voice message fetched. Gateways record calls at 8 kHz: the
/// flow's two minutes are under 2 MB as WAV.
pub const MAX_VOICE_MESSAGE: usize = 16 * 1024 * 1024;

/// Why a voice message was not fetched. Names hosts, never whole URLs
/// (they may carry access tokens).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the voice message's address is not a web address")]
    NotAUrl,
    #[error("`{host}` is not one of {gateway}'s recording hosts, so nothing was fetched from it")]
    NotAllowed { gateway: Provider, host: String },
    #[error("`{host}` is on a private, loopback or link-local address, so nothing was fetched from it")]
    PrivateAddress { host: String },
    #[error("the gateway redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects,
    #[error("{}", status_text(*.0))]
    Status(u16),
    #[error("the gateway could not be reached, or closed the connection without answering")]
    Unreachable(#[source] reqwest::Error),
    #[error("the gateway did not answer within {} seconds", VOICE_MESSAGE_DEADLINE.as_secs())]
    TimedOut,
    #[error("the gateway broke off before the whole voice message had arrived")]
    Truncated,
    #[error("the voice message is larger than {} MiB", MAX_VOICE_MESSAGE / (1024 * 1024))]
    TooLarge,
    #[error("the gateway sent `{0}`, not audio")]
    NotAudio(String),
}

fn status_text(status: u16) -> String {
    match status {
        404 | 410 => format!("the gateway has no such voice message (HTTP {status}): it may have been deleted"),
        401 | 403 => format!("the gateway refused to give it (HTTP {status}): check the account's credentials"),
        _ => format!("the gateway answered HTTP {status}"),
    }
}

/// A voice message, whole.
#[derive(Debug, Clone)]
pub struct VoiceMessage {
    /// `audio/…`: the gateway's, or `audio/wav` when it named none.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An HTTP client for gateways' recordings: no proxy, no redirect it has not
/// checked, and a resolver that refuses internal addresses.
#[derive(Debug, Clone)]
pub struct MediaClient {
    client: reqwest::Client,
    sources: Arc<RecordingSources>,
}

impl MediaClient {
    pub fn new(sources: RecordingSources) -> reqwest::Result<Self> {
        let resolver = GuardedResolver { private_ok: sources.private_ok.clone().into() };
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .no_proxy()
            .dns_resolver(resolver)
            .timeout(Duration::from_secs(15))
            .build()?;
        Ok(Self { client, sources: Arc::new(sources) })
    }

    /// GETs the voice message `gateway` keeps at `url`. `basic_auth` goes
    /// only to `url`'s own origin, never to a host a redirect names.
    pub async fn fetch(
        &self,
        gateway: Provider,
        url: &str,
        basic_auth: Option<(&str, &str)>,
    ) -> Result<reqwest::Response, FetchError> {
        let mut url = Url::parse(url).map_err(|_| FetchError::NotAUrl)?;
        let origin = url.origin();
        for _ in 0..=MAX_REDIRECTS {
            self.check(gateway, &url)?;
            let mut request = self.client.get(url.clone());
            if let Some((user, password)) = basic_auth.filter(|_| url.origin() == origin) {
                request = request.basic_auth(user, Some(password));
            }
            let response = request.send().await.map_err(|e| classify(e, &url))?;
            let status = response.status();
            if !status.is_redirection() {
                return if status.is_success() { Ok(response) } else { Err(FetchError::Status(status.as_u16())) };
            }
            let location = response.headers().get(LOCATION).and_then(|v| v.to_str().ok());
            let next = location.and_then(|l| url.join(l).ok()).ok_or(FetchError::Status(status.as_u16()))?;
            url = next;
        }
        Err(FetchError::TooManyRedirects)
    }

    /// The voice message `gateway` keeps at `url`, whole, within
    /// [`VOICE_MESSAGE_DEADLINE`]: a gateway that breaks off, stalls or
    /// answers with a page instead of audio is an error with a reason, never
    /// a player that stops halfway.
    pub async fn fetch_voice_message(
        &self,
        gateway: Provider,
        url: &str,
        basic_auth: Option<(&str, &str)>,
    ) -> Result<VoiceMessage, FetchError> {
        let whole = async {
            let mut response = self.fetch(gateway, url, basic_auth).await?;
            let content_type = audio_type(response.headers())?;
            if response.content_length().is_some_and(|n| n > MAX_VOICE_MESSAGE as u64) {
                return Err(FetchError::TooLarge);
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| body_error(&e))? {
                if bytes.len() + chunk.len() > MAX_VOICE_MESSAGE {
                    return Err(FetchError::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(VoiceMessage { content_type, bytes })
        };
        tokio::time::timeout(VOICE_MESSAGE_DEADLINE, whole).await.map_err(|_| FetchError::TimedOut)?
    }

    /// Whether a voice message at `url` may be fetched from `gateway` at
    /// all (its host, a literal address), without fetching it: the case
    /// page says so at once instead of offering a player.
    pub fn may_fetch(&self, gateway: Provider, url: &str) -> Result<(), FetchError> {
        self.check(gateway, &Url::parse(url).map_err(|_| FetchError::NotAUrl)?)
    }

    /// `url` must be at one of the gateway's hosts; a literal address must
    /// be public (names are checked as they resolve).
    fn check(&self, gateway: Provider, url: &Url) -> Result<(), FetchError> {
        let host = url.host_str().ok_or(FetchError::NotAUrl)?;
        if !self.sources.allows(gateway, url) {
            return Err(FetchError::NotAllowed { gateway, host: host.to_owned() });
        }
        let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        if literal.is_some_and(|ip| !is_public(ip)) && !self.sources.private_ok(host) {
            return Err(FetchError::PrivateAddress { host: host.to_owned() });
        }
        Ok(())
    }
}

/// The type a voice message is served as: the gateway's `audio/…`, or
/// `audio/wav` when it names none or a generic one; a page or a document
/// (an error page served with 200) is not a voice message.
fn audio_type(headers: &reqwest::header::HeaderMap) -> Result<String, FetchError> {
    let given = headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = given.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence.starts_with("audio/") {
        return Ok(given.to_owned());
    }
    let document = essence.starts_with("text/") || essence.ends_with("json") || essence.ends_with("xml");
    if document {
        return Err(FetchError::NotAudio(essence));
    }
    Ok("audio/wav".to_owned())
}

/// A failure while the body arrives: the deadline of the client, or a
/// connection that ended early.
fn body_error(e: &reqwest::Error) -> FetchError {
    if e.is_timeout() { FetchError::TimedOut } else { FetchError::Truncated }
}

/// A refusal by the resolver, or another failure to reach the host.
fn classify(e: reqwest::Error, url: &Url) -> FetchError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = cause {
        if err.downcast_ref::<PrivateAddress>().is_some() {
            return FetchError::PrivateAddress { host: url.host_str().unwrap_or_default().to_owned() };
        }
        cause = err.source();
    }
    if e.is_timeout() {
        return FetchError::TimedOut;
    }
    FetchError::Unreachable(e.without_url())
}
