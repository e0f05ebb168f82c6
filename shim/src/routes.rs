//! Every route and layer in one place.

use std::path::Path;

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use sha2::{Digest as _, Sha256};
use sotto_shared::wire::relay::SUBPROTOCOL;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::server::{Admitted, ClientIp};

pub(crate) fn router(state: AppState) -> Router {
    let dist = state.config.dist_dir.clone();
    let csp = content_security_policy(&dist);
    let static_files = ServeDir::new(&dist).fallback(ServeFile::new(dist.join("index.html")));
    Router::new()
        .route("/ws", get(websocket))
        .route("/healthz", get(healthz))
        .fallback_service(static_files)
        .layer(trace_layer())
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(self), microphone=(self), display-capture=(self), speaker-selection=(self)"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

/// The private metrics listener's only route.
pub(crate) fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .layer(trace_layer())
        .with_state(state)
}

/// Request tracing that records what kind of request it was, its status and latency; never a
/// path (app routes and queries may carry ids), a header, or the client's address.
fn trace_layer() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan> {
    TraceLayer::new_for_http().make_span_with(request_span as MakeSpan)
}

type MakeSpan = fn(&Request<Body>) -> tracing::Span;

fn request_span(request: &Request<Body>) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = route_label(request.uri().path()),
    )
}

/// The route a path belongs to, as a fixed label: never the path itself.
fn route_label(path: &str) -> &'static str {
    match path {
        "/ws" => "ws",
        "/healthz" => "healthz",
        "/metrics" => "metrics",
        _ => "app",
    }
}

/// The CSP: our own scripts and wasm only. Trunk puts a small inline module script into
/// index.html to start the wasm; instead of allowing inline scripts, we allow exactly those by
/// their SHA-256, computed from the index.html being served.
fn content_security_policy(dist: &Path) -> HeaderValue {
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
    let hashes: String = inline_scripts(&index)
        .map(|body| {
            format!(
                " 'sha256-{}'",
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    Sha256::digest(body.as_bytes())
                )
            )
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; worker-src 'self'; \
         connect-src 'self' https: wss:; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; \
         style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'"
    );
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
}

/// Bodies of inline `<script>` elements (those without `src`).
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let open_end = rest.find('>')?;
        if rest[..open_end].contains("src=") {
            return None;
        }
        let body = &rest[open_end + 1..];
        Some(&body[..body.find("</script>")?])
    })
}

/// Read and write buffer of each WebSocket.
const SOCKET_BUFFER: usize = 4 * 1024;

async fn healthz() -> &'static str {
    "ok\n"
}

async fn metrics(State(state): State<AppState>) -> Response {
    let queues = state.relay.store().queue_count().await.unwrap_or(0);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(queues),
    )
        .into_response()
}

async fn websocket(
    State(state): State<AppState>,
    ip: Option<Extension<ClientIp>>,
    admitted: Option<Extension<Arc<Admitted>>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&state.config.allowed_origins, &headers) {
        return (StatusCode::FORBIDDEN, "this origin may not use the relay\n").into_response();
    }
    let max = state.config.max_frame_bytes;
    // tungstenite's defaults (128 KiB read and write buffers per socket) would cost 1.3 GiB
    // for 10,000 idle browsers; our messages are small, and larger ones assemble in their own
    // buffer. The write buffer is bounded so a stuck socket cannot grow it.
    upgrade
        .protocols([SUBPROTOCOL])
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .max_write_buffer_size(4 * max)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| {
            let ip = ip.map_or(IpAddr::from([0, 0, 0, 0]), |Extension(ClientIp(ip))| ip);
            let sockets = state.sockets.clone();
            // The connection's place under the caps is held until the socket closes.
            sockets.track_future(async move {
                crate::socket::run(socket, ip, state).await;
                drop(admitted);
            })
        })
}

/// Browsers always send `Origin` on WebSocket upgrades. Allowed: the configured origins, or by
/// default the shim's own host. Clients without `Origin` are not browsers and cannot be
/// tricked into using someone's session; they are allowed.
fn origin_allowed(allowed: &[String], headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    if !allowed.is_empty() {
        return allowed
            .iter()
            .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traced_routes_carry_no_path_or_id() {
        assert_eq!(route_label("/ws"), "ws");
        assert_eq!(route_label("/contacts/Zm9vYmFyYmF6?q=secret"), "app");
        assert_eq!(route_label("/metrics"), "metrics");
    }

    #[test]
    fn finds_inline_scripts_only() {
        let html =
            r#"<script src="/a.js"></script><script type="module">init('/x.wasm');</script>"#;
        assert_eq!(
            inline_scripts(html).collect::<Vec<_>>(),
            ["init('/x.wasm');"]
        );
    }
}
