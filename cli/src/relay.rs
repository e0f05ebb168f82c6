//! One task per relay: keeps a WebSocket open (subprotocol `sotto.relay.v1`), reconnecting
//! with backoff, and reports every change to the driver's queue as a [`RelayEvent`]. It only
//! moves frames: what to send, resend and acknowledge is the client core's business.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use sotto_client::RelayEvent;
use sotto_shared::wire::relay::{ClientMsg, SUBPROTOCOL, ServerMsg};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::driver::ToDriver;

const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The relay WebSocket URL of an origin (`http://h` → `ws://h/ws`), as the web app derives it.
pub(crate) fn ws_url(origin: &str) -> String {
    let origin = origin.trim_end_matches('/');
    let rest = origin
        .strip_prefix("https://")
        .map(|h| format!("wss://{h}"))
        .or_else(|| origin.strip_prefix("http://").map(|h| format!("ws://{h}")));
    format!("{}/ws", rest.unwrap_or_else(|| origin.to_owned()))
}

/// Starts the connection task for `relay`; returns where to put requests for it.
pub(crate) fn spawn(
    relay: String,
    driver: mpsc::UnboundedSender<ToDriver>,
) -> mpsc::UnboundedSender<ClientMsg> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(relay, rx, driver));
    tx
}

async fn run(
    relay: String,
    mut outgoing: mpsc::UnboundedReceiver<ClientMsg>,
    driver: mpsc::UnboundedSender<ToDriver>,
) {
    let url = ws_url(&relay);
    let mut backoff = FIRST_BACKOFF;
    let report = |event| {
        driver
            .send(ToDriver::Relay {
                relay: relay.clone(),
                event,
            })
            .is_ok()
    };
    loop {
        // Requests queued while offline are dropped: the core re-sends what is in flight
        // after `Connected`, and a stale copy would only duplicate it.
        discard_stale(&relay, &mut outgoing);
        match connect(&url).await {
            Ok(socket) => {
                backoff = FIRST_BACKOFF;
                discard_stale(&relay, &mut outgoing);
                tracing::info!(%relay, "relay connected");
                if !report(RelayEvent::Connected) {
                    return;
                }
                let (mut sink, mut stream) = socket.split();
                let closed_by_us = loop {
                    tokio::select! {
                        msg = outgoing.recv() => {
                            let Some(msg) = msg else { break true };
                            let text = serde_json::to_string(&msg).expect("plain data");
                            if sink.send(Message::text(text)).await.is_err() {
                                break false;
                            }
                        }
                        frame = stream.next() => match frame {
                            Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerMsg>(&text) {
                                Ok(msg) => {
                                    if !report(RelayEvent::Received(msg)) {
                                        break true;
                                    }
                                }
                                Err(e) => tracing::warn!(%relay, "unreadable relay frame: {e}"),
                            },
                            Some(Ok(Message::Close(_)) | Err(_)) | None => break false,
                            Some(Ok(_)) => {}
                        },
                    }
                };
                if closed_by_us {
                    let _ = sink.send(Message::Close(None)).await;
                    return;
                }
                tracing::warn!(%relay, "relay connection lost");
                if !report(RelayEvent::Disconnected) {
                    return;
                }
            }
            Err(e) => tracing::warn!(%relay, "cannot reach relay: {e}"),
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = driver.closed() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn discard_stale(relay: &str, outgoing: &mut mpsc::UnboundedReceiver<ClientMsg>) {
    while let Ok(msg) = outgoing.try_recv() {
        tracing::debug!(%relay, id = msg.id(), "dropped while offline (the core re-sends)");
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(url: &str) -> Result<Socket, String> {
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let connecting = tokio_tungstenite::connect_async(request);
    let (socket, _) = tokio::time::timeout(Duration::from_secs(10), connecting)
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::ws_url;

    #[test]
    fn derives_the_websocket_url_as_the_web_app_does() {
        assert_eq!(ws_url("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/ws");
        assert_eq!(ws_url("https://sotto.example/"), "wss://sotto.example/ws");
    }
}
