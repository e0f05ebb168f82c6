//! Quotas: queue creation per connection and per IP, the store's capacity in queues and bytes,
//! and idle queues deleted. Every refusal uses the wire's closed set of codes.
mod common;
use common::TestServer;
use sotto_shared::wire::relay::{ClientMsg, ErrorCode, ServerMsg};

fn code(reply: &ServerMsg) -> Option<ErrorCode> {
    match reply {
        ServerMsg::Error { code, .. } => Some(*code),
        _ => None,
    }
}

#[tokio::test]
async fn queue_creation_is_limited_per_connection() {
    let server = TestServer::start_with(|c| c.queues_per_connection_per_hour = 2).await;
    let mut c = server.client().await;
    c.create_queue().await;
    c.create_queue().await;
    let refused = c.request(|id| ClientMsg::CreateQueue { id }).await;
    assert_eq!(code(&refused), Some(ErrorCode::RateLimited));
    // Another connection has its own quota.
    server.client().await.create_queue().await;
}

#[tokio::test]
async fn queue_creation_is_limited_per_ip_across_connections() {
    let server = TestServer::start_with(|c| c.queues_per_ip_per_hour = 3).await;
    for _ in 0..3 {
        server.client().await.create_queue().await;
    }
    let mut next = server.client().await;
    let refused = next.request(|id| ClientMsg::CreateQueue { id }).await;
    assert_eq!(code(&refused), Some(ErrorCode::RateLimited));
}

#[tokio::test]
async fn the_store_refuses_queues_beyond_its_maximum() {
    let server = TestServer::start_with(|c| c.max_queues = 2).await;
    let mut c = server.client().await;
    let (rcv, _) = c.create_queue().await;
    c.create_queue().await;
    let refused = c.request(|id| ClientMsg::CreateQueue { id }).await;
    assert_eq!(code(&refused), Some(ErrorCode::QueueFull));
    // Deleting one makes room.
    c.request(|id| ClientMsg::DeleteQueue { id, rcv_id: rcv })
        .await;
    c.create_queue().await;
}

#[tokio::test]
async fn the_store_refuses_sends_beyond_its_stored_bytes() {
    let server = TestServer::start_with(|c| c.max_stored_bytes = 1000).await;
    let (mut alice, mut bob, rcv, snd) = server.alice_and_bob().await;
    assert!(matches!(
        bob.send(snd, &[1; 600]).await,
        ServerMsg::Ok { .. }
    ));
    assert_eq!(
        code(&bob.send(snd, &[2; 600]).await),
        Some(ErrorCode::QueueFull)
    );
    alice.subscribe(rcv).await;
    let (msg_id, _, _) = alice.message().await;
    // An ack from another socket waits for the delete, so the bytes are free after its reply.
    bob.ack(rcv, msg_id).await;
    assert!(matches!(
        bob.send(snd, &[3; 600]).await,
        ServerMsg::Ok { .. }
    ));
}

#[tokio::test]
async fn a_queue_unused_for_the_idle_time_is_deleted() {
    const DAY_MS: u64 = 24 * 3600 * 1000;
    let server = TestServer::start_with(|c| c.sweep_secs = 1).await;
    let (mut alice, mut bob, idle_rcv, idle_snd) = server.alice_and_bob().await;
    let (used_rcv, used_snd) = alice.create_queue().await;
    server.clock.advance_ms(29 * DAY_MS);
    bob.send(used_snd, b"keeps it").await;
    server.clock.advance_ms(2 * DAY_MS);
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while server.metric("sotto_idle_queues_deleted_total").await < 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "sweep did not run");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        code(&bob.send(idle_snd, b"x").await),
        Some(ErrorCode::UnknownQueue)
    );
    assert_eq!(
        code(&alice.subscribe(idle_rcv).await),
        Some(ErrorCode::UnknownQueue)
    );
    assert!(matches!(
        alice.subscribe(used_rcv).await,
        ServerMsg::Ok { .. }
    ));
}
