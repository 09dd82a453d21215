//! The HTTP server: an accept loop over hyper, which bounds what an idle
//! stranger can hold. `axum::serve` reads headers for ever and accepts
//! every connection, so 1,100 half-open connections used up a 1,024 file
//! limit and every gateway's webhook timed out. Here:
//!
//! - a connection must send a request's headers within the header-read
//!   timeout, the first request's and each kept-alive one's, or it is
//!   closed (hyper's `header_read_timeout`);
//! - connections are capped in total and per peer (an IPv4 address, an
//!   IPv6 /64); one over a cap is closed at once, before any read.
//!   Trusted proxies are held only to the total;
//! - at start-up the open-file limit is raised to the hard limit, and the
//!   total cap kept below it, so the database, the spool and outbound
//!   requests always have descriptors left.
//!
//! On shutdown the listener closes, idle connections close, and requests
//! in flight finish (each is bounded by the router's request timeout).

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, extract::ConnectInfo, http::Request};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use ipnet::IpNet;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;
use tracing::{debug, info, warn};

/// Descriptors kept back from the connection cap: the database pool, the
/// spool, prompt files and requests to gateways.
const RESERVED_FILES: u64 = 256;

/// How much one stranger, and everyone together, may hold open.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// A request's headers must arrive within this (idle kept-alive
    /// connections are closed after it too).
    pub header_read_timeout: Duration,
    /// Open connections at most, from everyone.
    pub max_total: usize,
    /// Open connections at most from one peer.
    pub max_per_peer: usize,
    /// Peers held only to the total (reverse proxies carry everyone).
    pub exempt: Arc<[IpNet]>,
}

impl ConnectionLimits {
    /// Keeps the total below the open-file limit `files` (when known).
    pub fn within_file_limit(mut self, files: Option<u64>) -> Self {
        let Some(files) = files else { return self };
        let room = usize::try_from(files.saturating_sub(RESERVED_FILES).max(16)).unwrap_or(usize::MAX);
        if room < self.max_total {
            warn!(
                files,
                configured = self.max_total,
                cap = room,
                "the open-file limit is low: fewer connections are allowed than SAMPARK_MAX_CONNECTIONS"
            );
            self.max_total = room;
        }
        self
    }
}

/// Raises the soft open-file limit to the hard limit, where the OS allows;
/// the limit in force afterwards, if it can be read.
pub fn raise_file_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            info!(limit, "open-file limit");
            Some(limit)
        }
        Err(e) => {
            warn!(error.message = %e, "could not read or raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).ok().map(|(soft, _)| soft)
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets
/// requests in flight finish. Handlers see the peer as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let open = Arc::new(Open::new(limits));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors (EMFILE) or a connection reset
                    // before it was accepted: wait a little, do not spin.
                    warn!(error.message = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(held) = open.admit(peer.ip()) else { continue };
        let connection = http.serve_connection(TokioIo::new(nodelay(stream)), service(router.clone(), peer));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(error.message = %e, "connection ended with an error");
            }
            drop(held);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn nodelay(stream: TcpStream) -> TcpStream {
    // Replies are small and sent whole: do not wait to fill a packet.
    let _ = stream.set_nodelay(true);
    stream
}

/// The router for one connection, telling handlers who the peer is.
fn service(
    router: Router,
    peer: SocketAddr,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request)
    })
}

/// Open connections, in total and by peer.
struct Open {
    limits: ConnectionLimits,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_peer: HashMap<IpAddr, usize>,
}

/// One admitted connection; dropping it gives the place back.
struct Held {
    open: Arc<Open>,
    peer: IpAddr,
}

impl Open {
    fn new(limits: ConnectionLimits) -> Self {
        Self { limits, counts: Mutex::default() }
    }

    /// A place for a connection from `ip`, or `None` (counted and logged
    /// at debug: under attack there is one per connection) when it is over
    /// a cap.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Held> {
        let peer = peer_key(ip);
        let exempt = self.limits.exempt.iter().any(|net| net.contains(&ip.to_canonical()));
        let mut counts = self.counts.lock().expect("connection counts lock");
        let from_peer = counts.by_peer.get(&peer).copied().unwrap_or(0);
        let refused = if counts.total >= self.limits.max_total {
            Some("total")
        } else if !exempt && from_peer >= self.limits.max_per_peer {
            Some("peer")
        } else {
            None
        };
        if let Some(cap) = refused {
            drop(counts);
            crate::metrics::connection_refused(cap);
            debug!(cap, "refused a connection over the cap");
            return None;
        }
        counts.total += 1;
        *counts.by_peer.entry(peer).or_default() += 1;
        crate::metrics::connections_open(counts.total);
        Some(Held { open: self.clone(), peer })
    }

    fn release(&self, peer: IpAddr) {
        let mut counts = self.counts.lock().expect("connection counts lock");
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_peer.get_mut(&peer) {
            *n -= 1;
            if *n == 0 {
                counts.by_peer.remove(&peer);
            }
        }
        crate::metrics::connections_open(counts.total);
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.open.release(self.peer);
    }
}

/// Whom a cap counts: an IPv4 address, or an IPv6 /64 (one subscriber's
/// network, which holds more addresses than anyone could count).
fn peer_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_total: usize, max_per_peer: usize, exempt: &[&str]) -> Arc<Open> {
        let exempt: Vec<IpNet> = exempt.iter().map(|n| n.parse().unwrap()).collect();
        Arc::new(Open::new(ConnectionLimits {
            header_read_timeout: Duration::from_secs(5),
            max_total,
            max_per_peer,
            exempt: exempt.into(),
        }))
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn one_peer_gets_its_cap_and_others_still_get_in() {
        let open = limits(10, 3, &[]);
        let held: Vec<Held> = (0..3).map(|_| open.admit(ip("203.0.113.7")).unwrap()).collect();
        assert!(open.admit(ip("203.0.113.7")).is_none(), "over the per-peer cap");
        assert!(open.admit(ip("::ffff:203.0.113.7")).is_none(), "the same peer, IPv4-mapped");
        let other = open.admit(ip("203.0.113.8")).expect("another peer");
        drop(held);
        assert!(open.admit(ip("203.0.113.7")).is_some(), "places come back when connections close");
        drop(other);
        assert_eq!(open.counts.lock().unwrap().total, 0);
        assert!(open.counts.lock().unwrap().by_peer.is_empty());
    }

    #[test]
    fn the_total_cap_holds_for_everyone_and_proxies_only_meet_the_total() {
        let open = limits(4, 1, &["10.0.0.0/8"]);
        let proxy: Vec<Held> = (0..3).map(|_| open.admit(ip("10.1.2.3")).unwrap()).collect();
        let _one = open.admit(ip("198.51.100.1")).unwrap();
        assert!(open.admit(ip("198.51.100.2")).is_none(), "the total is reached");
        assert!(open.admit(ip("10.1.2.3")).is_none(), "proxies too");
        drop(proxy);
    }

    #[test]
    fn an_ipv6_network_counts_as_one_peer() {
        let open = limits(10, 2, &[]);
        let _a = open.admit(ip("2001:db8:1:2::1")).unwrap();
        let _b = open.admit(ip("2001:db8:1:2:ffff::9")).unwrap();
        assert!(open.admit(ip("2001:db8:1:2::3")).is_none());
        assert!(open.admit(ip("2001:db8:1:3::1")).is_some(), "another /64");
    }

    #[test]
    fn the_total_stays_below_the_file_limit() {
        let configured = ConnectionLimits {
            header_read_timeout: Duration::from_secs(5),
            max_total: 1024,
            max_per_peer: 128,
            exempt: Arc::new([]),
        };
        assert_eq!(configured.clone().within_file_limit(Some(1024)).max_total, 768);
        assert_eq!(configured.clone().within_file_limit(Some(1 << 20)).max_total, 1024);
        assert_eq!(configured.within_file_limit(None).max_total, 1024);
    }
}
