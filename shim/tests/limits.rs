//! The shim protects itself: every frame is rate-limited, floods are closed.
mod common;
use common::TestServer;
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
