//! Messages expire after their TTL (injectable clock); shutdown closes every socket.
mod common;
use common::TestServer;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const FOURTEEN_DAYS_MS: u64 = 14 * 24 * 3600 * 1000;

#[tokio::test]
async fn expired_messages_are_neither_delivered_nor_kept() {
    let server = TestServer::start_with(|c| c.sweep_secs = 1).await;
    let mut alice = server.client().await;
    let (rcv, snd) = alice.create_queue().await;
    alice.send(snd, b"old").await;
    server.clock.advance_ms(FOURTEEN_DAYS_MS - 1000);
    alice.send(snd, b"young").await;
    server.clock.advance_ms(1001);
    alice.subscribe(rcv).await;
    assert_eq!(
        alice.message().await.2,
        b"young",
        "the expired message is skipped at once"
    );
    alice.assert_no_push().await;
    // The sweep deletes it for good.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while server.metric("sotto_messages_expired_total").await < 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "sweep did not run");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn shutdown_sends_close_to_every_socket() {
    let server = TestServer::start().await;
    let mut a = server.client().await;
    let mut b = server.client().await;
    a.create_queue().await;
    b.create_queue().await;
    let stopping = tokio::spawn(server.stop());
    assert_eq!(a.closed().await, Some(CloseCode::Away));
    assert_eq!(b.closed().await, Some(CloseCode::Away));
    stopping.await.unwrap().unwrap();
}
