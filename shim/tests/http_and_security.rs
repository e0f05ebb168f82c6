//! The web app routes, security headers, Origin checks, metrics and health.
mod common;
use common::{Client, INDEX_HTML, TestServer, header};

#[tokio::test]
async fn serves_the_app_with_security_headers() {
    let server = TestServer::start().await;
    let (status, headers, body) = server.get("/").await;
    assert_eq!((status, body.as_str()), (200, INDEX_HTML));
    let csp = header(&headers, "content-security-policy").unwrap();
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        !csp.contains("'unsafe-inline'")
            || !csp
                .split(';')
                .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline"))
    );
    // The inline start-up script is allowed by its hash, nothing else inline.
    let expected = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        sha2::Sha256::digest(b"start()"),
    );
    assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
    assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
    assert_eq!(header(&headers, "referrer-policy"), Some("no-referrer"));
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
}

use sha2::Digest as _;

#[tokio::test]
async fn unknown_paths_fall_back_to_the_app_and_files_are_served() {
    let server = TestServer::start().await;
    let (status, _, body) = server.get("/contacts/alice").await;
    assert_eq!((status, body.as_str()), (200, INDEX_HTML));
    let (status, headers, body) = server.get("/app.js").await;
    assert_eq!((status, body.as_str()), (200, "export default 1;"));
    assert!(
        header(&headers, "content-type")
            .unwrap()
            .contains("javascript")
    );
}

#[tokio::test]
async fn health_and_metrics() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/healthz").await.0, 200);
    let mut c = server.client().await;
    let (rcv, snd) = c.create_queue().await;
    c.subscribe(rcv).await;
    c.send(snd, b"x").await;
    let (id, _, _) = c.message().await;
    c.ack(rcv, id).await;
    // The subscriber's ack is answered before its delete commits; wait for the counter.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while server.metric("sotto_messages_acked_total").await < 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "ack never counted");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (status, headers, body) = common::http_get(server.metrics_addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        header(&headers, "content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    for name in [
        "sotto_connections 1",
        "sotto_queues 1",
        "sotto_messages_stored_total 1",
        "sotto_messages_delivered_total 1",
        "sotto_messages_acked_total 1",
        "sotto_messages_expired_total 0",
        "sotto_errors_total{code=\"bad_request\"} 0",
        "sotto_request_seconds_bucket{le=\"+Inf\"}",
        "sotto_request_seconds_count",
    ] {
        assert!(body.contains(name), "{name} missing:\n{body}");
    }
}

#[tokio::test]
async fn metrics_are_not_served_on_the_public_port() {
    let server = TestServer::start().await;
    let (status, _, body) = server.get("/metrics").await;
    assert_eq!(
        (status, body.as_str()),
        (200, INDEX_HTML),
        "the app, not metrics"
    );
    assert!(!body.contains("sotto_connections"));
}

#[tokio::test]
async fn a_foreign_origin_cannot_open_the_relay() {
    let server = TestServer::start().await;
    let own = format!("http://{}", server.addr);
    assert!(Client::connect(server.addr, Some(&own)).await.is_ok());
    let err = Client::connect(server.addr, Some("https://evil.example"))
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("403"), "{err}");
}

#[tokio::test]
async fn configured_origins_replace_the_default() {
    let server =
        TestServer::start_with(|c| c.allowed_origins = vec!["https://sotto.example".into()]).await;
    assert!(
        Client::connect(server.addr, Some("https://sotto.example"))
            .await
            .is_ok()
    );
    let own = format!("http://{}", server.addr);
    assert!(Client::connect(server.addr, Some(&own)).await.is_err());
}
