//! The shim protects itself: every frame is rate-limited, floods are closed.
mod common;
use common::{Client, TestServer};
use sotto_shared::wire::relay::{ClientMsg, ErrorCode, ServerMsg};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

fn tight(c: &mut sotto_shim::Config) {
    c.rate_limit_burst = 5;
    c.rate_limit_per_sec = 1;
}

#[tokio::test]
async fn websocket_pings_count_against_the_rate_limit() {
    let server = TestServer::start_with(tight).await;
    let mut c = server.client().await;
    for _ in 0..5 {
        c.send_raw(Message::Ping(Default::default())).await;
    }
    c.assert_rate_limited().await;
}

#[tokio::test]
async fn binary_frames_count_against_the_rate_limit() {
    let server = TestServer::start_with(tight).await;
    let mut c = server.client().await;
    for _ in 0..5 {
        c.send_raw(Message::Binary(vec![0; 8].into())).await;
        assert!(matches!(
            c.recv_any().await,
            ServerMsg::Error {
                code: ErrorCode::BadRequest,
                ..
            }
        ));
    }
    c.assert_rate_limited().await;
}

#[tokio::test]
async fn a_client_that_keeps_sending_past_the_limit_is_closed() {
    let server = TestServer::start_with(tight).await;
    let mut c = server.client().await;
    for _ in 0..20 {
        c.send_raw(Message::Ping(Default::default())).await;
    }
    assert_eq!(c.closed().await, Some(CloseCode::Policy));
    // Its budget was its own.
    let mut other = server.client().await;
    assert!(matches!(
        other.request(|id| ClientMsg::Ping { id }).await,
        ServerMsg::Pong { .. }
    ));
}

/// Reads until the server closes the connection; returns what it sent.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut raw = Vec::new();
    tokio::time::timeout(common::WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("closed in time")
        .ok();
    String::from_utf8_lossy(&raw).into_owned()
}

#[tokio::test]
async fn a_request_whose_headers_never_finish_is_closed() {
    use tokio::io::AsyncWriteExt as _;
    let server = TestServer::start_with(|c| c.header_read_timeout_ms = 300).await;
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut partial = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    partial
        .write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    read_until_closed(&mut silent).await;
    read_until_closed(&mut partial).await;
    // A complete request is still served.
    assert_eq!(server.get("/healthz").await.0, 200);
}

#[tokio::test]
async fn connections_beyond_the_per_ip_cap_are_refused_with_503() {
    let server = TestServer::start_with(|c| c.max_connections_per_ip = 2).await;
    let mut first = server.client().await;
    let _second = server.client().await;
    let mut third = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    assert!(
        read_until_closed(&mut third)
            .await
            .starts_with("HTTP/1.1 503")
    );
    // Those admitted carry on; a place frees when one leaves.
    assert!(matches!(
        first.request(|id| ClientMsg::Ping { id }).await,
        ServerMsg::Pong { .. }
    ));
    drop(first);
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while Client::connect(server.addr, None).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place never freed"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn connections_beyond_the_total_cap_are_refused_with_503() {
    let server = TestServer::start_with(|c| c.max_connections = 1).await;
    let _only = server.client().await;
    let mut next = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    assert!(
        read_until_closed(&mut next)
            .await
            .starts_with("HTTP/1.1 503")
    );
}
