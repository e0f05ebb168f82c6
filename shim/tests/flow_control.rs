//! Backlog delivery is flow-controlled: a bounded window of unacknowledged messages per
//! subscription, opened by acks; subscribing again does not resend what is in flight; a
//! subscriber that does not read never holds up a sender.
mod common;
use common::TestServer;
use sotto_shared::wire::relay::{ClientMsg, ServerMsg};

#[tokio::test]
async fn a_full_backlog_arrives_completely_to_a_client_that_acks_as_it_goes() {
    // 256 sends and 256 acks exceed the default burst; the rate limit is not under test.
    let server = TestServer::start_with(|c| c.rate_limit_burst = 1000).await;
    let (mut alice, mut bob, rcv, snd) = server.alice_and_bob().await;
    for i in 0..256u16 {
        assert!(matches!(
            bob.send(snd, &i.to_be_bytes()).await,
            ServerMsg::Ok { .. }
        ));
    }
    alice.subscribe(rcv).await;
    for i in 0..256u16 {
        let (msg_id, _, payload) = alice.message().await;
        assert_eq!(payload, i.to_be_bytes(), "in order, none missing");
        alice.ack(rcv, msg_id).await;
    }
    alice.assert_no_push().await;
}

#[tokio::test]
async fn the_window_holds_messages_back_until_an_ack_opens_it() {
    let server = TestServer::start_with(|c| c.delivery_window = 4).await;
    let (mut alice, mut bob, rcv, snd) = server.alice_and_bob().await;
    alice.subscribe(rcv).await;
    bob.send_numbered(snd, 6).await;
    let mut first = None;
    for i in 0..4u8 {
        let (msg_id, _, payload) = alice.message().await;
        assert_eq!(payload, [i]);
        first.get_or_insert(msg_id);
    }
    alice.assert_no_push().await;
    alice.ack(rcv, first.unwrap()).await;
    assert_eq!(alice.message().await.2, [4]);
    alice.assert_no_push().await;
}

#[tokio::test]
async fn subscribing_again_on_the_same_socket_does_not_resend_what_is_in_flight() {
    let server = TestServer::start().await;
    let (mut alice, mut bob, rcv, snd) = server.alice_and_bob().await;
    bob.send_numbered(snd, 3).await;
    alice.subscribe(rcv).await;
    for i in 0..3u8 {
        assert_eq!(alice.message().await.2, [i]);
    }
    for _ in 0..5 {
        assert!(matches!(alice.subscribe(rcv).await, ServerMsg::Ok { .. }));
    }
    alice.assert_no_push().await;
    bob.send(snd, b"new").await;
    assert_eq!(alice.message().await.2, b"new");
}

#[tokio::test]
async fn a_subscriber_that_never_reads_does_not_hold_up_senders() {
    let server = TestServer::start().await;
    let mut stuck = server.client().await;
    let mut sender = server.client().await;
    let (rcv, snd) = stuck.create_queue().await;
    stuck.subscribe(rcv).await;
    // `stuck` never reads again. Every send is answered at once (within the client's
    // 10 s reply timeout), and another client's pings are answered.
    let payload = vec![1u8; 39 * 1024];
    for _ in 0..60 {
        assert!(matches!(
            sender.send(snd, &payload).await,
            ServerMsg::Ok { .. }
        ));
    }
    // (A client made now: test clients answer keepalive pings only while they wait for a
    // reply, so one idle through the sends could itself be cut off on a slow machine.)
    let mut other = server.client().await;
    assert!(matches!(
        other.request(|id| ClientMsg::Ping { id }).await,
        ServerMsg::Pong { .. }
    ));
    drop(stuck);
}
