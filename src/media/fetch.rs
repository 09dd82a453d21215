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
    #[error("the gateway answered HTTP {0}")]
    Status(u16),
    #[error("the gateway could not be reached")]
    Unreachable(#[source] reqwest::Error),
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

/// A refusal by the resolver, or another failure to reach the host.
fn classify(e: reqwest::Error, url: &Url) -> FetchError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = cause {
        if err.downcast_ref::<PrivateAddress>().is_some() {
            return FetchError::PrivateAddress { host: url.host_str().unwrap_or_default().to_owned() };
        }
        cause = err.source();
    }
    FetchError::Unreachable(e.without_url())
}
