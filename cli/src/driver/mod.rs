//! The driver of the client core (DESIGN §6): one task owns the [`Client`], takes ONE input at
//! a time from its queue, drains every output to the `Timeout`, and only then takes the next.
//! Whatever executing an output produces (a tunnel that cannot start, a media error) goes on
//! the queue; nothing here calls `handle_input` while an output is being carried out.
//!
//! It owns the I/O the core asks for: relay connections ([`crate::relay`]), the profile file
//! ([`crate::store`]), one `sotto-call-tunnel` per call ([`crate::tunnel`]), the timer, and the
//! JSON-RPC subscribers who hear `callEvent`s.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sotto_client::{
    CallInfo, CallState, Client, ClientConfig, ClientError, Command, Event, Input, Notice, Now,
    Output, Profile, RelayEvent, RtcAction, RtcEvent,
};
use sotto_shared::crypto::Role;
use sotto_shared::wire::relay::ClientMsg;
use sotto_shared::wire::signal::Media;
use sotto_shared::{CallId, Millis};
use tokio::sync::{mpsc, oneshot};

mod media_files;
mod methods;

use crate::rpc::{ConnId, Request, RpcError};
use crate::store::Store;
use crate::tunnel::{Tunnel, TunnelNews};
use methods::call_json;
use sotto_shared::wire::tunnel::{AudioBackend as Audio, FromTunnel, ToTunnel, TunnelConfig};

type Rng = rand_core::UnwrapErr<getrandom::SysRng>;

/// The longest a stopping driver waits for the relay to confirm what was sent.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);
type Reply = oneshot::Sender<Result<Value, RpcError>>;

/// Everything that reaches the driver's queue.
#[derive(Debug)]
pub(crate) enum ToDriver {
    /// A relay connection changed or delivered a frame.
    Relay { relay: String, event: RelayEvent },
    /// A call's tunnel said something or exited.
    Tunnel { call_id: CallId, news: TunnelNews },
    /// A JSON-RPC method call; `notify` carries the connection's notifications.
    Rpc {
        conn: ConnId,
        request: Request,
        reply: Reply,
        notify: mpsc::UnboundedSender<String>,
    },
    /// A JSON-RPC connection closed: its subscriptions end.
    Closed(ConnId),
    /// Hang up any call and stop.
    Shutdown(oneshot::Sender<()>),
}

/// How calls get their media.
#[derive(Debug, Clone)]
pub(crate) struct CallOptions {
    /// The tunnel binary.
    pub(crate) tunnel: PathBuf,
    /// Echo every call's audio back instead of exposing a PCM socket.
    pub(crate) echo: bool,
    /// Answer every incoming call from a contact at once (the echo bot).
    pub(crate) auto_accept: bool,
    /// Our ring time in milliseconds instead of the production 60 s (tests).
    pub(crate) ring_ms: Option<u64>,
    /// Where per-call sockets go.
    pub(crate) calls_dir: PathBuf,
}

/// The driver's view of the current call: what JSON-RPC shows and the tunnel doing its media.
#[derive(Debug)]
struct CallView {
    info: CallInfo,
    audio: Audio,
    devices: (String, String),
    security_code: Option<String>,
    counters: Option<Value>,
    tunnel: Option<Tunnel>,
    /// Incoming calls are offered only when someone subscribed (the seed's rule).
    offered: bool,
    /// Whether the peer was told our camera is off.
    announced: bool,
    /// The peer's sources, once it said.
    peer_media: Option<Value>,
}

struct Subscriber {
    conn: ConnId,
    notify: mpsc::UnboundedSender<String>,
}

/// The driver. Build with [`Driver::new`], then [`Driver::run`].
pub(crate) struct Driver {
    client: Client<Rng>,
    store: Store,
    media: CallOptions,
    base: Instant,
    deadline: Option<Instant>,
    tx: mpsc::UnboundedSender<ToDriver>,
    relays: HashMap<String, mpsc::UnboundedSender<ClientMsg>>,
    inputs: VecDeque<Input>,
    subscribers: BTreeMap<u64, Subscriber>,
    next_subscription: u64,
    call: Option<CallView>,
    invite_waiters: Vec<Reply>,
    /// `send` requests (stored messages) the relay has not answered yet.
    unanswered_sends: std::collections::BTreeSet<sotto_shared::wire::relay::ReqId>,
    /// Set by a shutdown: stop when every send was answered, or at this time.
    stopping: Option<(Instant, oneshot::Sender<()>)>,
    accept_waiters: VecDeque<Reply>,
    failed: Option<String>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver").finish_non_exhaustive()
    }
}

impl Driver {
    /// A driver for the profile in `store`, whose home relay is `relay`.
    pub(crate) fn new(
        store: Store,
        relay: &str,
        profile: Profile,
        media: CallOptions,
    ) -> Result<(Self, mpsc::UnboundedReceiver<ToDriver>), String> {
        let mut config = ClientConfig::new(relay);
        if let Some(ms) = media.ring_ms {
            config.phone.ring_lifetime = sotto_shared::Duration::ms(ms);
        }
        let client = Client::new(config, profile, rand_core::UnwrapErr(getrandom::SysRng))
            .map_err(|e| e.to_string())?;
        let (tx, rx) = mpsc::unbounded_channel();
        let driver = Self {
            client,
            store,
            media,
            base: Instant::now(),
            deadline: None,
            tx,
            relays: HashMap::new(),
            inputs: VecDeque::new(),
            subscribers: BTreeMap::new(),
            next_subscription: 0,
            call: None,
            invite_waiters: Vec::new(),
            unanswered_sends: std::collections::BTreeSet::new(),
            stopping: None,
            accept_waiters: VecDeque::new(),
            failed: None,
        };
        Ok((driver, rx))
    }

    /// Where to send [`ToDriver`] messages.
    pub(crate) fn sender(&self) -> mpsc::UnboundedSender<ToDriver> {
        self.tx.clone()
    }

    /// Runs until every sender is gone, a shutdown, or the profile cannot be stored.
    ///
    /// # Errors
    /// The reason the profile could not be stored: the driver stops rather than let a signal
    /// leave whose counter was not stored.
    pub(crate) async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<ToDriver>,
    ) -> Result<(), String> {
        self.drain();
        loop {
            if let Some(e) = self.failed.take() {
                return Err(e);
            }
            if let Some((until, _)) = &self.stopping
                && (self.unanswered_sends.is_empty() || Instant::now() >= *until)
            {
                if !self.unanswered_sends.is_empty() {
                    tracing::warn!(
                        "stopping with {} message(s) the relay has not confirmed",
                        self.unanswered_sends.len()
                    );
                }
                if let Some((_, done)) = self.stopping.take() {
                    let _ = done.send(());
                }
                return Ok(());
            }
            let wake = match (self.deadline, &self.stopping) {
                (Some(at), Some((until, _))) => Some(at.min(*until)),
                (at, stopping) => at.or(stopping.as_ref().map(|(until, _)| *until)),
            };
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                msg = rx.recv() => match msg {
                    None => return Ok(()),
                    Some(msg) => self.handle(msg),
                },
                () = sleep => {
                    if self.deadline.is_some_and(|at| at <= Instant::now()) {
                        self.deadline = None;
                        self.inputs.push_back(Input::Timeout);
                    }
                }
            }
            while let Some(input) = self.inputs.pop_front() {
                if let Err(e) = self.step(input) {
                    tracing::debug!("input not acted on: {e}");
                }
            }
        }
    }

    /// Hangs up any call, then stops once the relay confirmed every message sent (so a
    /// hang-up is not lost with the process), or after [`STOP_GRACE`].
    fn shutdown(&mut self, done: oneshot::Sender<()>) {
        if self.client.call().is_some_and(|c| !c.state.is_ended()) {
            let _ = self.step(Input::Command(Command::Hangup));
        }
        self.call = None;
        self.stopping = Some((Instant::now() + STOP_GRACE, done));
    }

    fn now(&self) -> Now {
        let mono = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        let wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Now {
            mono: Millis(mono),
            wall_ms,
        }
    }

    /// Hands ONE input to the core and carries out everything it asks.
    fn step(&mut self, input: Input) -> Result<(), ClientError> {
        let before = self.client.counters();
        let result = self.client.handle_input(self.now(), input);
        let after = self.client.counters();
        if after != before {
            // What the core dropped (unopenable, forged, replayed, malformed, duplicate).
            tracing::info!("the client core dropped something: {after:?}");
        }
        self.drain();
        result
    }

    fn drain(&mut self) {
        loop {
            match self.client.poll_output() {
                Output::Timeout(at) => {
                    self.deadline =
                        at.map(|Millis(ms)| self.base + std::time::Duration::from_millis(ms));
                    return;
                }
                _ if self.failed.is_some() => {} // nothing may leave after a failed store
                output => self.execute(output),
            }
        }
    }

    fn execute(&mut self, output: Output) {
        match output {
            Output::Connect { relay } => {
                self.relay(&relay);
            }
            Output::Relay { relay, msg } => {
                tracing::debug!(%relay, "→ {msg:?}");
                if let ClientMsg::Send { id, .. } = &msg {
                    self.unanswered_sends.insert(*id);
                }
                let _ = self.relay(&relay).send(msg);
            }
            Output::Rtc { call_id, action } => self.rtc(call_id, action),
            Output::Event(event) => self.event(event),
            Output::Persist => {
                if let Err(e) = self.store.save_profile(self.client.profile()) {
                    tracing::error!("cannot store the profile: {e}");
                    self.failed = Some(format!("cannot store the profile: {e}"));
                }
            }
            Output::Timeout(_) => unreachable!("drain stops at Timeout"),
        }
    }

    fn relay(&mut self, relay: &str) -> &mpsc::UnboundedSender<ClientMsg> {
        let tx = &self.tx;
        self.relays
            .entry(relay.to_owned())
            .or_insert_with(|| crate::relay::spawn(relay.to_owned(), tx.clone()))
    }

    fn handle(&mut self, msg: ToDriver) {
        match msg {
            ToDriver::Relay { relay, event } => {
                tracing::debug!(%relay, "← {event:?}");
                if let RelayEvent::Received(msg) = &event
                    && let Some(id) = msg.reply_to()
                {
                    self.unanswered_sends.remove(&id);
                }
                self.inputs.push_back(Input::Relay { relay, event });
            }
            ToDriver::Tunnel { call_id, news } => self.tunnel_news(call_id, news),
            ToDriver::Rpc {
                conn,
                request,
                reply,
                notify,
            } => self.rpc(conn, request, reply, notify),
            ToDriver::Closed(conn) => self.subscribers.retain(|_, s| s.conn != conn),
            ToDriver::Shutdown(done) => self.shutdown(done),
        }
    }

    // ---- media ----

    fn rtc(&mut self, call_id: CallId, action: RtcAction) {
        let Some(view) = self.call.as_mut().filter(|v| v.info.call_id == call_id) else {
            if !matches!(action, RtcAction::Close) {
                tracing::warn!(call = %call_id, "media asked for a call nobody took; failing it");
                self.inputs.push_back(Input::Rtc {
                    call_id,
                    event: RtcEvent::MediaFailed,
                });
            }
            return;
        };
        if matches!(action, RtcAction::Close) {
            if let Some(tunnel) = view.tunnel.take() {
                tunnel.send(&ToTunnel::Hangup);
            }
            return;
        }
        if view.tunnel.is_none() {
            let config = TunnelConfig {
                call_id: call_id.to_string(),
                audio: view.audio.clone(),
                relay_only: self.client.profile().settings.relay_only,
                ice_servers: self.client.ice_servers().to_vec(),
            };
            match Tunnel::spawn(&self.media.tunnel, call_id, &config, self.tx.clone()) {
                Ok(tunnel) => view.tunnel = Some(tunnel),
                Err(e) => {
                    tracing::error!(call = %call_id, "cannot start {}: {e}", self.media.tunnel.display());
                    self.inputs.push_back(Input::Rtc {
                        call_id,
                        event: RtcEvent::MediaFailed,
                    });
                    return;
                }
            }
        }
        let tunnel = view.tunnel.as_ref().expect("spawned above");
        if !tunnel.send(&ToTunnel::from(action)) {
            view.tunnel = None;
            self.inputs.push_back(Input::Rtc {
                call_id,
                event: RtcEvent::MediaFailed,
            });
        }
    }

    fn tunnel_news(&mut self, call_id: CallId, news: TunnelNews) {
        let Some(view) = self.call.as_mut().filter(|v| v.info.call_id == call_id) else {
            return; // a tunnel of a call that already ended
        };
        match news {
            TunnelNews::Exited => {
                if view.tunnel.take().is_some() {
                    tracing::error!(call = %call_id, "the call's tunnel exited during the call");
                    self.inputs.push_back(Input::Rtc {
                        call_id,
                        event: RtcEvent::MediaFailed,
                    });
                }
            }
            TunnelNews::Event(FromTunnel::Ready {
                input_device_name,
                output_device_name,
            }) => view.devices = (input_device_name, output_device_name),
            TunnelNews::Event(FromTunnel::Counters { counters }) => {
                view.counters = serde_json::to_value(counters).ok();
            }
            TunnelNews::Event(FromTunnel::Error { message, fatal }) => {
                tracing::warn!(call = %call_id, fatal, "tunnel error: {message}");
                if fatal {
                    self.inputs.push_back(Input::Rtc {
                        call_id,
                        event: RtcEvent::MediaFailed,
                    });
                }
            }
            TunnelNews::Event(event) => {
                for event in event.into_rtc_events() {
                    self.inputs.push_back(Input::Rtc { call_id, event });
                }
            }
        }
    }

    // ---- core events ----

    fn event(&mut self, event: Event) {
        match event {
            Event::Call(info) => {
                tracing::debug!("call {} {}", info.call_id, info.state);
                self.call_changed(info);
            }
            Event::SecurityCode { call_id, code } => {
                if let Some(view) = self.call.as_mut().filter(|v| v.info.call_id == call_id) {
                    view.security_code = Some(code);
                }
            }
            Event::PeerMedia {
                call_id,
                audio,
                video,
                screen,
            } => {
                if let Some(view) = self.call.as_mut().filter(|v| v.info.call_id == call_id) {
                    view.peer_media =
                        Some(json!({"audio": audio, "video": video, "screen": screen}));
                }
            }
            Event::InviteReady { link } => {
                for reply in self.invite_waiters.drain(..) {
                    let _ = reply.send(Ok(json!({"link": link})));
                }
            }
            Event::Notice(notice) => self.notice(notice),
            Event::Missed(missed) => tracing::info!(
                call = %missed.call_id, contact = %missed.contact, busy = missed.busy, "missed call"
            ),
            Event::ContactsChanged => tracing::info!("contacts changed"),
            other => tracing::debug!("{other:?}"),
        }
    }

    fn notice(&mut self, notice: Notice) {
        tracing::info!("{notice}");
        match &notice {
            Notice::RequestSent(name) => {
                if let Some(reply) = self.accept_waiters.pop_front() {
                    let id = self
                        .client
                        .profile()
                        .contacts
                        .iter()
                        .rev()
                        .find(|c| &c.name == name)
                        .map(|c| c.id.0.clone());
                    let _ = reply.send(Ok(json!({"contact": id, "name": name, "ready": false})));
                }
            }
            Notice::InviteUsed(_) => {
                if let Some(reply) = self.accept_waiters.pop_front() {
                    let _ = reply.send(Err(RpcError::user(notice.to_string())));
                }
            }
            Notice::RelayUnreachable => {
                let waiters = self
                    .invite_waiters
                    .drain(..)
                    .chain(self.accept_waiters.drain(..));
                for reply in waiters.collect::<Vec<_>>() {
                    let _ = reply.send(Err(RpcError::io(notice.to_string())));
                }
            }
            _ => {}
        }
    }

    fn call_changed(&mut self, info: CallInfo) {
        if self
            .call
            .as_ref()
            .is_none_or(|v| v.info.call_id != info.call_id)
        {
            let audio = if self.media.echo {
                Audio::Echo
            } else {
                Audio::Socket {
                    path: self
                        .media
                        .calls_dir
                        .join(info.call_id.to_string())
                        .join("audio.sock")
                        .display()
                        .to_string(),
                }
            };
            let offered =
                info.role == Role::Caller || self.media.auto_accept || !self.subscribers.is_empty();
            if !offered {
                tracing::info!(call = %info.call_id, "incoming call not offered: nobody subscribed to call events");
            }
            self.call = Some(CallView {
                devices: audio.device_names(),
                audio,
                info: info.clone(),
                security_code: None,
                counters: None,
                tunnel: None,
                offered,
                announced: false,
                peer_media: None,
            });
        }
        let view = self.call.as_mut().expect("set above");
        view.info = info.clone();
        if view.offered {
            let result = call_json(view, self.client.profile());
            for (id, sub) in &self.subscribers {
                let line = json!({"jsonrpc": "2.0", "method": "callEvent",
                    "params": {"subscription": id, "result": result}});
                let _ = sub.notify.send(line.to_string());
            }
        }
        if info.state == CallState::Connected && !view.announced {
            // An audio-only endpoint: say the camera is off, so a browser shows that instead
            // of a black tile (queued as the next input).
            view.announced = true;
            self.inputs.push_back(Input::Command(Command::SetMedia {
                audio: true,
                video: false,
                screen: false,
            }));
        }
        if self.media.auto_accept && info.state == CallState::RingingIncoming {
            // Queued, never re-entered: the accept is the next input after this drain.
            self.inputs.push_back(Input::Command(Command::Accept {
                media: Media::Audio,
            }));
        }
        if info.state.is_ended() {
            // Closing stdin ends the tunnel; its exit is no longer news.
            self.call = None;
        }
    }
}
