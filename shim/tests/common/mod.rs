//! A real shim on port 0 with an injectable clock, and WebSocket clients that speak the relay
//! protocol. No sleeps: every wait is for a message, with a timeout that fails the test.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use sotto_shared::wire::relay::{ClientMsg, MsgId, Payload, RcvId, ReqId, ServerMsg, SndId};
use sotto_shim::{Config, ManualClock};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(10);
pub const START_MS: u64 = 1_800_000_000_000;

pub struct TestServer {
    pub addr: std::net::SocketAddr,
    /// The private metrics listener.
    pub metrics_addr: std::net::SocketAddr,
    pub clock: Arc<ManualClock>,
    pub data: tempfile::TempDir,
    pub dist: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), sotto_shim::ShimError>>>,
}

pub const INDEX_HTML: &str =
    "<!doctype html><title>sotto</title><script type=\"module\">start()</script>";

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let data = tempfile::tempdir().unwrap();
        let dist = tempfile::tempdir().unwrap();
        std::fs::write(dist.path().join("index.html"), INDEX_HTML).unwrap();
        std::fs::write(dist.path().join("app.js"), "export default 1;").unwrap();
        let mut config = Config::for_dirs(data.path().into(), dist.path().into());
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let metrics_addr = metrics.local_addr().unwrap();
        let clock = Arc::new(ManualClock::at(START_MS));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(sotto_shim::serve_with_clock(
            config,
            sotto_shim::Listeners {
                public: listener,
                metrics: Some(metrics),
            },
            async move {
                let _ = stopped.await;
            },
            clock.clone(),
        ));
        Self {
            addr,
            metrics_addr,
            clock,
            data,
            dist,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Alice owns a queue; Bob, another client, holds its send id.
    pub async fn alice_and_bob(&self) -> (Client, Client, RcvId, SndId) {
        let mut alice = self.client().await;
        let bob = self.client().await;
        let (rcv, snd) = alice.create_queue().await;
        (alice, bob, rcv, snd)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.addr, None).await.unwrap()
    }

    /// Graceful shutdown; returns the server's result.
    pub async fn stop(mut self) -> Result<(), sotto_shim::ShimError> {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(WAIT, self.task.take().unwrap())
            .await
            .expect("server stops in time")
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> (u16, Vec<(String, String)>, String) {
        http_get(self.addr, path).await
    }

    pub async fn metric(&self, name: &str) -> f64 {
        let (_, _, body) = http_get(self.metrics_addr, "/metrics").await;
        body.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("metric {name} missing from:\n{body}"))
    }
}

/// A minimal HTTP/1.1 GET, so tests need no HTTP client crate.
pub async fn http_get(
    addr: std::net::SocketAddr,
    path: &str,
) -> (u16, Vec<(String, String)>, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: ReqId,
    /// Pushes that arrived while waiting for a reply.
    pub pushes: std::collections::VecDeque<ServerMsg>,
    pub protocol: Option<String>,
}

impl Client {
    pub async fn connect(
        addr: std::net::SocketAddr,
        origin: Option<&str>,
    ) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("sotto.relay.v1"),
        );
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        let (ws, response) = tokio_tungstenite::connect_async(request).await?;
        let protocol = response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap().to_owned());
        Ok(Self {
            ws,
            next_id: 1,
            pushes: Default::default(),
            protocol,
        })
    }

    pub fn id(&mut self) -> ReqId {
        self.next_id += 1;
        self.next_id
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    pub async fn send_msg(&mut self, msg: &ClientMsg) {
        self.send_raw(Message::Text(serde_json::to_string(msg).unwrap().into()))
            .await;
    }

    /// The next server message of any kind.
    pub async fn recv_any(&mut self) -> ServerMsg {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a message in time")
                .expect("socket open")
                .unwrap();
            match frame {
                Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                Message::Close(close) => panic!("closed: {close:?}"),
                _ => {}
            }
        }
    }

    /// Waits for the reply to `id`, keeping pushes aside.
    pub async fn reply(&mut self, id: ReqId) -> ServerMsg {
        loop {
            let msg = self.recv_any().await;
            let reply_id = match &msg {
                ServerMsg::QueueCreated { id, .. }
                | ServerMsg::Ok { id }
                | ServerMsg::IceServers { id, .. }
                | ServerMsg::Pong { id } => Some(*id),
                ServerMsg::Error { id, .. } => *id,
                ServerMsg::Message { .. } | ServerMsg::SubscriptionEnded { .. } => None,
            };
            if reply_id == Some(id) {
                return msg;
            }
            self.pushes.push_back(msg);
        }
    }

    pub async fn request(&mut self, make: impl FnOnce(ReqId) -> ClientMsg) -> ServerMsg {
        let id = self.id();
        self.send_msg(&make(id)).await;
        self.reply(id).await
    }

    pub async fn create_queue(&mut self) -> (RcvId, SndId) {
        match self.request(|id| ClientMsg::CreateQueue { id }).await {
            ServerMsg::QueueCreated { rcv_id, snd_id, .. } => (rcv_id, snd_id),
            other => panic!("{other:?}"),
        }
    }

    pub async fn subscribe(&mut self, rcv_id: RcvId) -> ServerMsg {
        self.request(|id| ClientMsg::Subscribe { id, rcv_id }).await
    }

    pub async fn send(&mut self, snd_id: SndId, payload: &[u8]) -> ServerMsg {
        let payload = Payload(payload.to_vec());
        self.request(|id| ClientMsg::Send {
            id,
            snd_id,
            payload,
        })
        .await
    }

    pub async fn ack(&mut self, rcv_id: RcvId, msg_id: MsgId) -> ServerMsg {
        self.request(|id| ClientMsg::Ack { id, rcv_id, msg_id })
            .await
    }

    /// The next push (message or subscription_ended).
    pub async fn push(&mut self) -> ServerMsg {
        match self.pushes.pop_front() {
            Some(msg) => msg,
            None => self.recv_any().await,
        }
    }

    /// The next pushed message's (msg_id, ts, payload).
    pub async fn message(&mut self) -> (MsgId, u64, Vec<u8>) {
        match self.push().await {
            ServerMsg::Message {
                msg_id,
                ts,
                payload,
                ..
            } => (msg_id, ts, payload.0),
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Asserts nothing arrives: a ping's pong comes back with no push before it.
    pub async fn assert_no_push(&mut self) {
        assert!(self.pushes.is_empty(), "{:?}", self.pushes);
        let id = self.id();
        self.send_msg(&ClientMsg::Ping { id }).await;
        assert_eq!(self.recv_any().await, ServerMsg::Pong { id });
    }

    /// Asserts the next request is refused as `rate_limited`.
    pub async fn assert_rate_limited(&mut self) {
        match self.request(|id| ClientMsg::Ping { id }).await {
            ServerMsg::Error {
                code: sotto_shared::wire::relay::ErrorCode::RateLimited,
                ..
            } => {}
            other => panic!("expected rate_limited, got {other:?}"),
        }
    }

    /// Sends one-byte payloads `0..n`.
    pub async fn send_numbered(&mut self, snd_id: SndId, n: u8) {
        for i in 0..n {
            assert!(matches!(
                self.send(snd_id, &[i]).await,
                ServerMsg::Ok { .. }
            ));
        }
    }

    /// Waits for the server to close; returns the close code.
    pub async fn closed(&mut self) -> Option<CloseCode> {
        loop {
            match tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("closed in time")
            {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }
}
