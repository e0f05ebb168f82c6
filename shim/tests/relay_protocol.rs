//! Every request and reply of the relay protocol (DESIGN §1) against a real shim.
mod common;
use common::TestServer;
use sotto_shared::wire::relay::{ClientMsg, ErrorCode, ServerMsg, SndId};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn creates_distinct_queues() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    assert_eq!(c.protocol.as_deref(), Some("sotto.relay.v1"));
    let (r1, s1) = c.create_queue().await;
    let (r2, s2) = c.create_queue().await;
    assert_ne!(r1.as_bytes(), r2.as_bytes());
    assert_ne!(s1, s2);
    assert_ne!(r1.as_bytes(), s1.as_bytes());
}

#[tokio::test]
async fn sends_are_pushed_to_the_subscriber_then_acked_away() {
    let server = TestServer::start().await;
    let mut alice = server.client().await;
    let mut bob = server.client().await;
    let (rcv, snd) = alice.create_queue().await;
    assert!(matches!(alice.subscribe(rcv).await, ServerMsg::Ok { .. }));
    assert!(matches!(
        bob.send(snd, b"sealed").await,
        ServerMsg::Ok { .. }
    ));
    let (msg_id, ts, payload) = alice.message().await;
    assert_eq!(payload, b"sealed");
    assert_eq!(ts, common::START_MS, "ts is the shim's receive time");
    assert!(matches!(
        alice.ack(rcv, msg_id.clone()).await,
        ServerMsg::Ok { .. }
    ));
    assert!(
        matches!(alice.ack(rcv, msg_id).await, ServerMsg::Ok { .. }),
        "acking twice is harmless"
    );
    drop(alice);
    let mut again = server.client().await;
    again.subscribe(rcv).await;
    again.assert_no_push().await;
}

#[tokio::test]
async fn several_messages_are_in_flight_in_order() {
    let server = TestServer::start().await;
    let mut alice = server.client().await;
    let mut bob = server.client().await;
    let (rcv, snd) = alice.create_queue().await;
    for i in 0..3u8 {
        bob.send(snd, &[i]).await;
    }
    alice.subscribe(rcv).await;
    for i in 3..6u8 {
        bob.send(snd, &[i]).await;
    }
    for i in 0..6u8 {
        assert_eq!(alice.message().await.2, [i], "without any ack, in order");
    }
}

#[tokio::test]
async fn unacked_messages_are_redelivered_after_reconnect() {
    let server = TestServer::start().await;
    let mut alice = server.client().await;
    let mut bob = server.client().await;
    let (rcv, snd) = alice.create_queue().await;
    alice.subscribe(rcv).await;
    bob.send(snd, b"one").await;
    bob.send(snd, b"two").await;
    let (first, _, _) = alice.message().await;
    let (second, _, _) = alice.message().await;
    alice.ack(rcv, first).await;
    drop(alice);
    let mut alice = server.client().await;
    alice.subscribe(rcv).await;
    let (again, _, payload) = alice.message().await;
    assert_eq!((again, payload.as_slice()), (second, &b"two"[..]));
    alice.assert_no_push().await;
}

#[tokio::test]
async fn a_new_subscription_takes_the_queue_over() {
    let server = TestServer::start().await;
    let mut old = server.client().await;
    let mut new = server.client().await;
    let mut bob = server.client().await;
    let (rcv, snd) = old.create_queue().await;
    old.subscribe(rcv).await;
    new.subscribe(rcv).await;
    match old.push().await {
        ServerMsg::SubscriptionEnded { rcv_id } => assert_eq!(rcv_id.as_bytes(), rcv.as_bytes()),
        other => panic!("{other:?}"),
    }
    bob.send(snd, b"x").await;
    assert_eq!(new.message().await.2, b"x");
    old.assert_no_push().await;
}

#[tokio::test]
async fn unknown_queues_are_refused() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    let (rcv, _) = c.create_queue().await;
    let stranger = SndId::from_bytes([9; 24]);
    assert!(matches!(
        c.send(stranger, b"x").await,
        ServerMsg::Error {
            code: ErrorCode::UnknownQueue,
            ..
        }
    ));
    let other = sotto_shared::wire::relay::RcvId::from_bytes([8; 24]);
    assert!(matches!(
        c.subscribe(other).await,
        ServerMsg::Error {
            code: ErrorCode::UnknownQueue,
            ..
        }
    ));
    let msg_id = sotto_shared::wire::relay::MsgId("nope".into());
    assert!(matches!(
        c.ack(other, msg_id).await,
        ServerMsg::Error {
            code: ErrorCode::UnknownQueue,
            ..
        }
    ));
    assert!(matches!(c.subscribe(rcv).await, ServerMsg::Ok { .. }));
}

#[tokio::test]
async fn payload_limit_is_after_base64_decoding() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    let (_, snd) = c.create_queue().await;
    assert!(matches!(
        c.send(snd, &vec![7; 40 * 1024]).await,
        ServerMsg::Ok { .. }
    ));
    match c.send(snd, &vec![7; 40 * 1024 + 1]).await {
        ServerMsg::Error {
            code: ErrorCode::TooLarge,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server
            .metric("sotto_errors_total{code=\"too_large\"}")
            .await,
        1.0
    );
}

#[tokio::test]
async fn a_full_queue_refuses_until_acked() {
    let server = TestServer::start_with(|c| c.max_pending = 3).await;
    let mut alice = server.client().await;
    let mut bob = server.client().await;
    let (rcv, snd) = alice.create_queue().await;
    for _ in 0..3 {
        assert!(matches!(bob.send(snd, b"m").await, ServerMsg::Ok { .. }));
    }
    assert!(matches!(
        bob.send(snd, b"m").await,
        ServerMsg::Error {
            code: ErrorCode::QueueFull,
            ..
        }
    ));
    alice.subscribe(rcv).await;
    let (id, _, _) = alice.message().await;
    alice.ack(rcv, id).await;
    assert!(matches!(bob.send(snd, b"m").await, ServerMsg::Ok { .. }));
}

#[tokio::test]
async fn deleting_a_queue_ends_it() {
    let server = TestServer::start().await;
    let mut owner = server.client().await;
    let mut listener = server.client().await;
    let mut bob = server.client().await;
    let (rcv, snd) = owner.create_queue().await;
    listener.subscribe(rcv).await;
    assert!(matches!(
        owner
            .request(|id| ClientMsg::DeleteQueue { id, rcv_id: rcv })
            .await,
        ServerMsg::Ok { .. }
    ));
    assert!(matches!(
        listener.push().await,
        ServerMsg::SubscriptionEnded { .. }
    ));
    assert!(matches!(
        bob.send(snd, b"x").await,
        ServerMsg::Error {
            code: ErrorCode::UnknownQueue,
            ..
        }
    ));
    assert!(matches!(
        owner
            .request(|id| ClientMsg::DeleteQueue { id, rcv_id: rcv })
            .await,
        ServerMsg::Error {
            code: ErrorCode::UnknownQueue,
            ..
        }
    ));
}

#[tokio::test]
async fn ping_pongs() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    assert_eq!(
        c.request(|id| ClientMsg::Ping { id }).await,
        ServerMsg::Pong { id: 2 }
    );
}

#[tokio::test]
async fn malformed_requests_get_bad_request_and_the_socket_stays_usable() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    for junk in [
        "not json",
        "{\"type\":\"fly\",\"id\":5}",
        "{\"type\":\"send\",\"id\":6,\"snd_id\":\"short\",\"payload\":\"\"}",
        "[]",
    ] {
        c.send_raw(Message::Text(junk.into())).await;
        match c.recv_any().await {
            ServerMsg::Error {
                code: ErrorCode::BadRequest,
                id,
                ..
            } => {
                let expected = serde_json::from_str::<serde_json::Value>(junk)
                    .ok()
                    .and_then(|v| v.get("id")?.as_u64());
                assert_eq!(id, expected, "{junk}");
            }
            other => panic!("{junk}: {other:?}"),
        }
    }
    c.send_raw(Message::Binary(vec![1, 2, 3].into())).await;
    assert!(matches!(
        c.recv_any().await,
        ServerMsg::Error {
            code: ErrorCode::BadRequest,
            id: None,
            ..
        }
    ));
    c.create_queue().await;
}

#[tokio::test]
async fn oversized_frames_close_with_1009() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    let huge = format!(
        "{{\"type\":\"ping\",\"id\":1,\"pad\":\"{}\"}}",
        "x".repeat(70 * 1024)
    );
    c.send_raw(Message::Text(huge.into())).await;
    assert_eq!(
        c.closed().await,
        Some(tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Size)
    );
    // Others are unaffected.
    server.client().await.create_queue().await;
}

#[tokio::test]
async fn requests_beyond_the_rate_limit_are_refused() {
    let server = TestServer::start_with(|c| {
        c.rate_limit_burst = 5;
        c.rate_limit_per_sec = 1;
    })
    .await;
    let mut c = server.client().await;
    let mut limited = 0;
    for _ in 0..8 {
        if let ServerMsg::Error {
            code: ErrorCode::RateLimited,
            ..
        } = c.request(|id| ClientMsg::Ping { id }).await
        {
            limited += 1;
        }
    }
    assert!(limited >= 2, "{limited}");
    // Another connection has its own budget.
    let mut other = server.client().await;
    assert!(matches!(
        other.request(|id| ClientMsg::Ping { id }).await,
        ServerMsg::Pong { .. }
    ));
}

#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_and_others_carry_on() {
    let server = TestServer::start_with(|c| {
        c.ping_interval_ms = 100;
        c.pong_timeout_ms = 300;
    })
    .await;
    let mut slow = server.client().await;
    let mut sender = server.client().await;
    let (slow_rcv, slow_snd) = slow.create_queue().await;
    slow.subscribe(slow_rcv).await;
    // `slow` never reads again: it cannot answer pings, so it is cut off.
    let payload = vec![0u8; 39 * 1024];
    let sent = 40;
    for _ in 0..sent {
        assert!(matches!(
            sender.send(slow_snd, &payload).await,
            ServerMsg::Ok { .. }
        ));
    }
    // (These test clients answer pings only while they wait for a reply, so the idle ones
    // leave too and new ones carry on.)
    drop(sender);
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while server.metric("sotto_slow_client_disconnects_total").await < 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "never disconnected");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut fast = server.client().await;
    let mut sender = server.client().await;
    let (rcv, snd) = fast.create_queue().await;
    fast.subscribe(rcv).await;
    sender.send(snd, b"still here").await;
    assert_eq!(fast.message().await.2, b"still here");
    // Nothing acknowledged was lost: the slow client gets everything when it comes back.
    let mut back = server.client().await;
    back.subscribe(slow_rcv).await;
    for _ in 0..sent {
        let (msg_id, _, _) = back.message().await;
        back.ack(slow_rcv, msg_id).await;
    }
    drop(slow);
}
