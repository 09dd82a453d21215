//! The load generator's HTTP side: one keep-alive HTTP/1.1 connection per
//! worker, straight on hyper's connection API (no pool, no URL parsing per
//! request), opened again only after the server closed it or failed.

use http_body_util::{BodyExt, Full};
use hyper::{
    Request, Uri,
    body::Bytes,
    client::conn::http1::{self, SendRequest},
    header::{CONTENT_TYPE, HOST, HeaderName, HeaderValue},
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

static SIGNATURE: HeaderName = HeaderName::from_static("x-twilio-signature");
static FORM: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");

/// Where the load goes, from `--target` (plain HTTP only: point it at a
/// server on this machine or its network, not through a TLS proxy).
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` to connect to.
    pub address: String,
    /// The `Host` header.
    pub host: HeaderValue,
    /// A path the server is mounted under, without the trailing `/`.
    pub path_prefix: String,
}

impl Target {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let uri: Uri = url.parse()?;
        anyhow::ensure!(uri.scheme_str() == Some("http"), "--target must be an http:// URL, not {url}");
        let authority = uri.authority().ok_or_else(|| anyhow::anyhow!("--target {url} has no host"))?;
        let port = authority.port_u16().unwrap_or(80);
        Ok(Self {
            address: format!("{}:{port}", authority.host()),
            host: HeaderValue::from_str(authority.as_str())?,
            path_prefix: uri.path().trim_end_matches('/').to_owned(),
        })
    }
}

/// A worker's connection to the target.
pub struct Connection {
    target: Target,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    pub fn new(target: Target) -> Self {
        Self { target, sender: None }
    }

    /// POSTs a form; the answer's body when the server answered 2xx and
    /// the whole body arrived. On any failure the connection is dropped, to
    /// be opened anew for the next request.
    pub async fn post(&mut self, uri: Uri, body: Bytes, signature: Option<HeaderValue>) -> Option<Bytes> {
        let mut request = Request::post(uri).body(Full::new(body)).expect("a request from parsed parts");
        let headers = request.headers_mut();
        headers.insert(HOST, self.target.host.clone());
        headers.insert(CONTENT_TYPE, FORM.clone());
        if let Some(signature) = signature {
            headers.insert(SIGNATURE.clone(), signature);
        }
        let answer = self.send(request).await.ok().flatten();
        if answer.is_none() {
            self.sender = None;
        }
        answer
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> anyhow::Result<Option<Bytes>> {
        let sender = match &mut self.sender {
            Some(sender) => sender,
            None => self.sender.insert(connect(&self.target.address).await?),
        };
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let ok = response.status().is_success();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(ok.then_some(body))
    }
}

async fn connect(address: &str) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(address).await?;
    // Small requests and answers: Nagle's delay would only add latency.
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        // Ends when the server closes; the next `send` notices and reconnects.
        let _ = connection.await;
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_gives_the_address_host_and_path_prefix() {
        let plain = Target::parse("http://127.0.0.1:18081").unwrap();
        assert_eq!(
            (plain.address.as_str(), plain.host.to_str().unwrap(), plain.path_prefix.as_str()),
            ("127.0.0.1:18081", "127.0.0.1:18081", "")
        );
        let mounted = Target::parse("http://localhost/sampark/").unwrap();
        assert_eq!((mounted.address.as_str(), mounted.path_prefix.as_str()), ("localhost:80", "/sampark"));
        assert!(Target::parse("https://example.org").is_err());
    }
}
