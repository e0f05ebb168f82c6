//! TURN credentials follow coturn's REST scheme; checked with an HMAC computed here, not by the
//! shim's own function.
mod common;
use base64::Engine as _;
use common::TestServer;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sotto_shared::wire::relay::{ClientMsg, ServerMsg};

#[tokio::test]
async fn credentials_verify_against_an_independent_hmac() {
    let server = TestServer::start_with(|c| {
        c.turn_urls = vec![
            "turn:127.0.0.1:3478?transport=udp".into(),
            "turn:127.0.0.1:3478?transport=tcp".into(),
        ];
        c.turn_secret = Some("s3cret".parse().unwrap());
        c.turn_ttl = 600;
    })
    .await;
    let mut c = server.client().await;
    let ServerMsg::IceServers { servers, ttl_s, .. } =
        c.request(|id| ClientMsg::TurnCredentials { id }).await
    else {
        panic!()
    };
    assert_eq!(ttl_s, 600);
    assert_eq!(servers.len(), 1);
    let server_entry = &servers[0];
    assert_eq!(server_entry.urls.len(), 2);
    let username = server_entry.username.as_deref().unwrap();
    let expiry: u64 = username.split(':').next().unwrap().parse().unwrap();
    assert_eq!(expiry, common::START_MS / 1000 + 600);
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"s3cret").unwrap();
    mac.update(username.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(server_entry.credential.as_deref(), Some(expected.as_str()));
    // Fresh randomness each time: two users never share a username.
    let ServerMsg::IceServers { servers: again, .. } =
        c.request(|id| ClientMsg::TurnCredentials { id }).await
    else {
        panic!()
    };
    assert_ne!(again[0].username, server_entry.username);
}

#[tokio::test]
async fn without_turn_there_are_no_servers() {
    let server = TestServer::start().await;
    let mut c = server.client().await;
    assert!(matches!(
        c.request(|id| ClientMsg::TurnCredentials { id }).await,
        ServerMsg::IceServers { ref servers, ttl_s: 0, .. } if servers.is_empty()
    ));
}
