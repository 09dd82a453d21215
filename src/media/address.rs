//! Addresses a fetch may connect to: public ones only.
//!
//! [`GuardedResolver`] is the DNS resolver of the media client: it resolves
//! a host name, refuses it when *any* of its addresses is not public (a name
//! that mixes public and internal addresses is a rebinding trick), and
//! hands the checked addresses to the connector, so the connection goes to
//! an address that was checked, never to a second, different lookup.
//! Literal IP addresses in a URL never reach a resolver; the fetcher checks
//! them with [`is_public`] itself.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, LazyLock},
};

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Ranges that are not the public internet: "this network", private,
/// shared (CGNAT), loopback, link-local, IETF special, documentation,
/// benchmarking, multicast, reserved and broadcast; for IPv6 also
/// unspecified, loopback, NAT64, discard, documentation, unique-local,
/// link-local, site-local and multicast.
static NOT_PUBLIC: LazyLock<Vec<IpNet>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "64:ff9b::/96",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    ]
    .iter()
    .map(|net| net.parse().expect("a valid network"))
    .collect()
});

/// True for an address on the public internet. IPv4 addresses written as
/// IPv6 (`::ffff:127.0.0.1`) are judged as the IPv4 address they are.
pub fn is_public(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    !NOT_PUBLIC.iter().any(|net| net.contains(&ip))
}

/// The address a refused name resolved to is not public.
#[derive(Debug, thiserror::Error)]
#[error("`{host}` resolves to an address that is not public")]
pub struct PrivateAddress {
    pub host: String,
}

/// Resolves with the system resolver, then refuses names with an address
/// that is not public, unless the name is one of `private_ok`.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub private_ok: Arc<[String]>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let private_ok = self.private_ok.contains(&host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() || (!private_ok && addrs.iter().any(|a| !is_public(a.ip()))) {
                return Err(Box::new(PrivateAddress { host }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "52.9.11.55", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn a_name_for_loopback_is_refused_unless_listed() {
        let guarded = GuardedResolver { private_ok: Arc::from(Vec::new()) };
        assert!(guarded.resolve("localhost".parse().unwrap()).await.is_err());
        let listed = GuardedResolver { private_ok: Arc::from(vec!["localhost".to_owned()]) };
        let addrs: Vec<SocketAddr> = listed.resolve("localhost".parse().unwrap()).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
