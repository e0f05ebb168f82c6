//! The bench's own HTTP server on loopback: the bench pages and the built app's frame worker,
//! served cross-origin isolated (COOP + COEP) so that `performance.now()` has 5 µs resolution
//! in workers, and a bare WebSocket forwarder for the call set-up baseline.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::sync::{mpsc, oneshot};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The sockets of each room of the forwarder.
type Rooms = Arc<Mutex<HashMap<String, Vec<mpsc::UnboundedSender<Message>>>>>;

pub(crate) struct BenchServer {
    pub(crate) addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl BenchServer {
    /// Serves `pages` under `/bench/` and `dist` (the built app) at `/`.
    pub(crate) async fn start(pages: &Path, dist: &Path) -> std::io::Result<Self> {
        let header = |name: &'static str, value: &'static str| {
            SetResponseHeaderLayer::overriding(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            )
        };
        let app = Router::new()
            .route("/ws", get(upgrade))
            .nest_service("/bench", ServeDir::new(pages))
            .fallback_service(ServeDir::new(dist))
            .layer(header("cross-origin-opener-policy", "same-origin"))
            .layer(header("cross-origin-embedder-policy", "require-corp"))
            .with_state(Rooms::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            stop: Some(stop),
        })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn upgrade(
    ws: WebSocketUpgrade,
    Query(query): Query<HashMap<String, String>>,
    State(rooms): State<Rooms>,
) -> Response {
    let room = query.get("room").cloned().unwrap_or_default();
    ws.on_upgrade(move |socket| forward(socket, room, rooms))
}

/// Every text message goes to the room's other sockets as it is: nothing parsed, nothing kept.
async fn forward(socket: WebSocket, room: String, rooms: Rooms) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    lock(&rooms)
        .entry(room.clone())
        .or_default()
        .push(tx.clone());
    let writer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(message)) = stream.next().await {
        if matches!(message, Message::Text(_)) {
            for peer in lock(&rooms).get(&room).into_iter().flatten() {
                if !peer.same_channel(&tx) {
                    let _ = peer.send(message.clone());
                }
            }
        }
    }
    if let Some(peers) = lock(&rooms).get_mut(&room) {
        peers.retain(|peer| !peer.same_channel(&tx));
    }
    writer.abort();
}

fn lock(
    rooms: &Rooms,
) -> std::sync::MutexGuard<'_, HashMap<String, Vec<mpsc::UnboundedSender<Message>>>> {
    rooms
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
