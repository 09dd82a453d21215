//! Connections. Slowloris: connections that start a request and never
//! finish its headers. One address gets only its share of connections,
//! each is closed once the header-read timeout passes, and gateways'
//! webhooks from other addresses are answered all along. And a request in
//! flight when the server stops still gets its answer.
//!
//! The attacker connects from 127.0.0.2 (Linux answers all of 127/8 on the
//! loopback), the gateway from 127.0.0.1.

use std::{net::SocketAddr, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use super::helpers::{Options, PUBLIC_URL, TOKEN, TestApp, spawn_app, spawn_app_with};

/// Longer than any close this test waits for, so that a connection the
/// server never closes fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(30);

async fn app_with(header_timeout_secs: u32, per_peer: u32) -> TestApp {
    let env = vec![
        ("SAMPARK_HEADER_READ_TIMEOUT_SECS", header_timeout_secs.to_string()),
        ("SAMPARK_MAX_CONNECTIONS_PER_PEER", per_peer.to_string()),
    ];
    let mut app = spawn_app_with(Options { env, ..Options::default() }).await;
    // The server closes a kept-alive connection idle for the header timeout
    // (a second here); a pooled one picked just as it closes fails the
    // request (IncompleteMessage). Gateways retry that; the test opens a
    // connection per request instead, so what it measures is the server.
    app.client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    app
}

fn server(app: &TestApp) -> SocketAddr {
    app.address.strip_prefix("http://").unwrap().parse().unwrap()
}

/// A connection from 127.0.0.2 that sends the start of a request and stops.
async fn half_open(server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut stream = socket.connect(server).await.unwrap();
    // The peer may close it at once; a failed write is a closed connection.
    let _ = stream.write_all(b"POST /twilio/voice HTTP/1.1\r\nHost: sampark.test\r\nX-Slow: ").await;
    stream
}

/// Waits until the server closes the connection (end of stream or a reset;
/// whatever it says first, such as a 408, is read and dropped).
async fn closed_by_server(mut stream: TcpStream) -> bool {
    let mut buffer = [0u8; 1024];
    let wait = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(PATIENCE, wait).await.is_ok()
}

/// Whether the server has closed the connection by now, without waiting.
fn still_open(stream: &TcpStream) -> bool {
    let mut buffer = [0u8; 16];
    matches!(stream.try_read(&mut buffer), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// A gateway's first webhook, from 127.0.0.1: normal TwiML.
async fn webhook_answers(app: &TestApp, n: u32) {
    let form: Vec<(String, String)> = [
        ("CallSid", format!("CA{n:032}")),
        ("From", format!("+9110000007{n:02}")),
        ("CallStatus", "ringing".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let response = app.post_form("/twilio/voice", &form, None).await;
    assert_eq!(response.status(), 200);
    let twiml = response.text().await.unwrap();
    assert!(twiml.contains("<Response>") && twiml.contains("<Gather"), "{twiml}");
}

#[tokio::test]
async fn one_address_holds_only_its_share_and_webhooks_still_answer() {
    // Arrange: a long header timeout, so only the cap can close anything.
    let app = app_with(120, 8).await;
    let server = server(&app);
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(half_open(server).await);
    }
    // Act: a gateway's webhook while twenty half-open connections wait.
    webhook_answers(&app, 1).await;

    // Assert: the first eight are held, the twelve over the cap are closed.
    let beyond = held.split_off(8);
    let closed = futures::future::join_all(beyond.into_iter().map(closed_by_server)).await;
    assert!(closed.iter().all(|c| *c), "connections over the per-peer cap are closed: {closed:?}");
    assert!(held.iter().all(still_open), "the eight within the cap wait for the header timeout");
    assert!(closed_by_server(half_open(server).await).await, "still full: the next one is closed too");
    webhook_answers(&app, 2).await;
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed_after_the_timeout() {
    let app = app_with(1, 128).await;
    let server = server(&app);
    let mut strangers = Vec::new();
    for _ in 0..5 {
        strangers.push(half_open(server).await);
    }
    // And one that connects and says nothing at all.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    strangers.push(socket.connect(server).await.unwrap());

    webhook_answers(&app, 3).await;
    let closed = futures::future::join_all(strangers.into_iter().map(closed_by_server)).await;
    assert!(closed.iter().all(|c| *c), "every idle connection is closed: {closed:?}");
    webhook_answers(&app, 4).await;
}

#[tokio::test]
async fn a_request_in_flight_when_the_server_stops_gets_its_answer() {
    let app = spawn_app().await;
    let mut stream = TcpStream::connect(server(&app)).await.unwrap();
    let form = vec![
        ("CallSid".to_owned(), "CA00000000000000000000000000000705".to_owned()),
        ("From".to_owned(), "+911000000705".to_owned()),
        ("CallStatus".to_owned(), "ringing".to_owned()),
    ];
    let body = serde_urlencoded::to_string(&form).unwrap();
    let signature = sampark::gateway::twilio::sign(TOKEN, &format!("{PUBLIC_URL}/twilio/voice"), &form);
    let head = format!(
        "POST /twilio/voice HTTP/1.1\r\nHost: sampark.test\r\nX-Twilio-Signature: {signature}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // "100 Continue" comes when the handler starts reading the body: the
    // request is in flight.
    let mut buffer = vec![0u8; 4096];
    let n = stream.read(&mut buffer).await.unwrap();
    assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 100"), "{:?}", &buffer[..n]);

    let stopping = tokio::spawn(app.stop());
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("<Gather"), "{answer}");
    tokio::time::timeout(PATIENCE, stopping).await.expect("the server stops once the answer is sent").unwrap();
}
