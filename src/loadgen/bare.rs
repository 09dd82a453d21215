//! The floor Sampark is compared with: a bare hyper server that reads each
//! request and answers a fixed TwiML body. It runs in a process of its own
//! (`sampark loadgen-bare`, started by the load generator from its own
//! executable), so its CPU time is read from `/proc` exactly as the
//! server's is, and the generator's work counts against neither.

use std::{net::SocketAddr, process::Stdio};

use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Bytes, header::HeaderValue, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, BufReader},
    net::TcpListener,
    process::{Child, Command},
};

/// A question, as Sampark answers most webhooks (no hang-up, which the
/// generator would count as a caller cut off).
const TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather input="dtmf" numDigits="1" action="/twilio/voice"><Say>Hello</Say></Gather></Response>"#;

/// `sampark loadgen-bare`: serves on a free loopback port, prints the
/// address as its first line, and stops when its standard input closes
/// (its parent ended, however it ended).
pub async fn serve() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?);
    let mut stdin = tokio::io::stdin();
    let mut sink = Vec::new();
    tokio::select! {
        () = accept(listener) => Ok(()),
        _ = stdin.read_to_end(&mut sink) => Ok(()),
    }
}

async fn accept(listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|request: Request<hyper::body::Incoming>| async {
                // Read the form as any server must before it can answer.
                let _ = request.into_body().collect().await;
                let mut response = Response::new(Full::new(Bytes::from_static(TWIML.as_bytes())));
                response.headers_mut().insert("content-type", HeaderValue::from_static("text/xml"));
                Ok::<_, std::convert::Infallible>(response)
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// A running `sampark loadgen-bare`; ends with this value.
pub struct BareServer {
    child: Child,
    pub address: SocketAddr,
    pub pid: u32,
}

impl BareServer {
    /// Starts the bare server from this very executable and waits for its
    /// address.
    pub async fn spawn() -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg("loadgen-bare")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().ok_or_else(|| anyhow::anyhow!("the bare server ended at once"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no standard output"))?;
        let line = BufReader::new(stdout).lines().next_line().await?;
        let address = line.ok_or_else(|| anyhow::anyhow!("the bare server printed no address"))?.parse()?;
        Ok(Self { child, address, pid })
    }

    /// Stops it and waits, so no process is left behind.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
