//! Admission for the unsigned gateways (KooKoo, Exotel): a secret path
//! segment per gateway and, optionally, an allow-list of source networks.
//! A request that fails either gets the same 404 as a URL that does not
//! exist, and changes nothing. Handlers name [`Admitted`] to get one.

use std::{
    marker::PhantomData,
    net::{IpAddr, SocketAddr},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts, RawPathParams},
    http::{HeaderMap, request::Parts},
};
use ipnet::IpNet;

use super::{AppState, Gateways, Refused};
use crate::{domain::Secret, gateway::Params};

/// One unsigned gateway's admission rules. No secret: the gateway is off.
#[derive(Clone, Debug, Default)]
pub struct UnsignedGateway {
    pub secret: Option<Secret>,
    pub allowed_networks: Vec<IpNet>,
}

impl UnsignedGateway {
    /// True when the path's secret matches (compared in constant time) and
    /// the client is in the allow-list, if there is one.
    pub fn admits(&self, given: &str, peer: SocketAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> bool {
        let Some(secret) = &self.secret else { return false };
        if !constant_time_eq(secret.expose().as_bytes(), given.as_bytes()) {
            return false;
        }
        if self.allowed_networks.is_empty() {
            return true;
        }
        let client = client_ip(peer.ip(), headers, trusted_proxies);
        self.allowed_networks.iter().any(|net| net.contains(&client))
    }
}

/// An unsigned gateway: where its admission rules are.
pub trait Unsigned: Send + Sync {
    fn rules(gateways: &Gateways) -> &UnsignedGateway;
}

/// Ozonetel KooKoo (`/kookoo/{secret}`).
pub struct KooKoo;

impl Unsigned for KooKoo {
    fn rules(gateways: &Gateways) -> &UnsignedGateway {
        &gateways.kookoo
    }
}

/// Exotel (`/exotel/{secret}/…`).
pub struct Exotel;

impl Unsigned for Exotel {
    fn rules(gateways: &Gateways) -> &UnsignedGateway {
        &gateways.exotel
    }
}

/// A request `G` admits: the route's `{secret}` segment is its secret and
/// the client is in its allow-list. `params` is the query string (a body's
/// parameters are the handler's to read).
pub struct Admitted<G> {
    pub params: Params,
    gateway: PhantomData<G>,
}

impl<G: Unsigned> FromRequestParts<AppState> for Admitted<G> {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Refused> {
        let path = RawPathParams::from_request_parts(parts, app).await.map_err(|_| Refused::NotFound)?;
        let secret = path.iter().find(|(name, _)| *name == "secret").map(|(_, value)| value);
        // Fails closed: no peer address, no admission.
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        let (Some(secret), Some(peer)) = (secret, peer) else { return Err(Refused::NotFound) };
        if !G::rules(&app.gateways).admits(secret, peer, &parts.headers, &app.gateways.trusted_proxies) {
            return Err(Refused::NotFound);
        }
        let params = serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).unwrap_or_default();
        Ok(Self { params, gateway: PhantomData })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client's address: the peer, or — when the peer is a trusted proxy —
/// the right-most `X-Forwarded-For` address that is not a trusted proxy.
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> IpAddr {
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer) {
        return peer;
    }
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    let hops: Vec<IpAddr> = forwarded.flat_map(|v| v.split(',')).filter_map(|h| h.trim().parse().ok()).collect();
    hops.into_iter().rev().find(|ip| !trusted(ip)).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(allowed: &[&str]) -> UnsignedGateway {
        UnsignedGateway {
            secret: Some(Secret::new("s3cret-s3cret-s3cret".to_owned())),
            allowed_networks: allowed.iter().map(|n| n.parse().unwrap()).collect(),
        }
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 40000)
    }

    #[test]
    fn the_secret_must_match_exactly() {
        let g = gateway(&[]);
        let h = HeaderMap::new();
        assert!(g.admits("s3cret-s3cret-s3cret", peer("198.51.100.1"), &h, &[]));
        assert!(!g.admits("s3cret-s3cret-s3cre", peer("198.51.100.1"), &h, &[]));
        assert!(!UnsignedGateway::default().admits("", peer("198.51.100.1"), &h, &[]), "no secret: off");
    }

    #[test]
    fn the_allow_list_uses_forwarded_for_only_behind_a_trusted_proxy() {
        let g = gateway(&["203.0.113.0/24"]);
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.2".parse().unwrap());
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert!(g.admits("s3cret-s3cret-s3cret", peer("10.0.0.1"), &h, &proxies));
        assert!(!g.admits("s3cret-s3cret-s3cret", peer("10.0.0.1"), &h, &[]), "untrusted peer: header ignored");
        assert!(!g.admits("s3cret-s3cret-s3cret", peer("198.51.100.1"), &h, &proxies));
        assert!(g.admits("s3cret-s3cret-s3cret", peer("203.0.113.5"), &HeaderMap::new(), &proxies));
    }
}
