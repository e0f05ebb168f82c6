//! The tunnel's run loop: control lines in, events out, datagrams, PCM and the audio clock.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sotto_shared::b64;
use sotto_shared::wire::tunnel::{AudioBackend, FromTunnel, MediaCounters, ToTunnel, TunnelConfig};
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::audio::{Audio, Played};
use crate::ivf::IvfWriter;
use crate::net::{self, Pcm};
use crate::pacer::Pacer;
use crate::peer::Peer;
use crate::turn::{self, Relay};

/// How often counters are reported while they change.
const COUNTERS_EVERY: Duration = Duration::from_secs(2);

/// Runs one call's tunnel until stdin ends or SIGTERM.
///
/// # Errors
/// When there is no usable config line or the sockets cannot be set up (reported on stdout as
/// a fatal `error` first, when stdout still works).
pub async fn run<R, W>(stdin: R, stdout: W) -> Result<(), String>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut lines = BufReader::new(stdin).lines();
    let mut out = Out(stdout);
    let started = match lines.next_line().await {
        Ok(Some(line)) => match serde_json::from_str::<TunnelConfig>(&line) {
            Ok(config) => Tunnel::new(&config).await.map(|t| (config, t)),
            Err(e) => Err(format!("bad config line: {e}")),
        },
        _ => Err("no config line on stdin".to_owned()),
    };
    let (config, mut tunnel) = match started {
        Ok(started) => started,
        Err(message) => {
            out.emit(&FromTunnel::Error {
                message: message.clone(),
                fatal: true,
            })
            .await;
            return Err(message);
        }
    };
    let (input_device_name, output_device_name) = config.audio.device_names();
    out.emit(&FromTunnel::Ready {
        input_device_name,
        output_device_name,
    })
    .await;
    tracing::info!(call = %config.call_id, "ready");

    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    loop {
        let deadline = tunnel.deadline();
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => tunnel.control(&line),
                _ => break,
            },
            Some((from, to, data)) = tunnel.udp_rx.recv() => {
                tunnel.arrived(from, to, data, Instant::now());
            }
            Some(pcm) = recv_pcm(&mut tunnel.pcm_rx) => match pcm {
                Pcm::Client(client) => tunnel.audio.client = Some(client),
                Pcm::Input(bytes) => tunnel.audio.push_input(&bytes),
            },
            () = tokio::time::sleep_until(deadline.into()) => tunnel.tick(Instant::now()),
            _ = sigterm.recv() => {
                tracing::info!("SIGTERM");
                break;
            }
        }
        tunnel.flush(&mut out).await;
    }
    tunnel.close();
    tunnel.flush(&mut out).await;
    out.emit(&FromTunnel::Counters {
        counters: tunnel.counters(),
    })
    .await;
    if let AudioBackend::Socket { path } = &config.audio {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

async fn recv_pcm(rx: &mut Option<mpsc::Receiver<Pcm>>) -> Option<Pcm> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Sends `contents` from our socket bound to `source` (dropped if full: media is real-time).
fn send_from(sockets: &[Arc<UdpSocket>], source: SocketAddr, to: SocketAddr, contents: &[u8]) {
    if let Some(socket) = sockets.iter().find(|s| s.local_addr().ok() == Some(source)) {
        let _ = socket.try_send_to(contents, to);
    }
}

struct Out<W>(W);

impl<W: AsyncWrite + Unpin> Out<W> {
    async fn emit(&mut self, event: &FromTunnel) {
        let mut line = serde_json::to_string(event).expect("plain data");
        line.push('\n');
        let _ = self.0.write_all(line.as_bytes()).await;
        let _ = self.0.flush().await;
    }
}

struct Tunnel {
    relay_only: bool,
    sockets: Vec<Arc<UdpSocket>>,
    addrs: Vec<SocketAddr>,
    udp_rx: mpsc::Receiver<net::Arrived>,
    /// The TURN allocation, when the config names a TURN server.
    relay: Option<Relay>,
    pcm_rx: Option<mpsc::Receiver<Pcm>>,
    audio: Audio,
    video: Option<IvfWriter>,
    peer: Option<Peer>,
    events: Vec<FromTunnel>,
    /// The 20 ms media clock: runs while connected.
    clock: Pacer,
    next_counters: Instant,
    /// Counters last reported.
    reported: MediaCounters,
    /// Frames decoded to the audio sinks.
    decoded: u64,
    /// Lost or late frames recovered or concealed.
    concealed: u64,
    closed: bool,
}

impl Tunnel {
    async fn new(config: &TunnelConfig) -> Result<Self, String> {
        let (audio, pcm_rx) = match &config.audio {
            AudioBackend::Socket { path } => (
                Audio::new(false)?,
                Some(net::listen_pcm(path).map_err(|e| format!("cannot listen on {path}: {e}"))?),
            ),
            AudioBackend::Echo => (Audio::new(true)?, None),
        };
        let (sockets, mut udp_rx) = net::bind_udp(&net::host_ips())
            .await
            .map_err(|e| format!("cannot bind UDP sockets: {e}"))?;
        let addrs: Vec<SocketAddr> = sockets.iter().filter_map(|s| s.local_addr().ok()).collect();
        let relay = match turn::first_server(&config.ice_servers).await {
            Some(server) => {
                // The host socket that reaches the server: loopback for a server on loopback.
                let socket = sockets
                    .iter()
                    .find(|s| {
                        s.local_addr()
                            .is_ok_and(|a| a.ip().is_loopback() == server.addr.ip().is_loopback())
                    })
                    .unwrap_or(&sockets[0]);
                let local = socket
                    .local_addr()
                    .map_err(|e| format!("no local address: {e}"))?;
                let within = if config.relay_only {
                    turn::RELAY_ONLY_WITHIN
                } else {
                    turn::RELAY_TOO_WITHIN
                };
                match Relay::allocate(&server, local, socket, &mut udp_rx, within).await {
                    Ok(relay) => Some(relay),
                    Err(e) if config.relay_only => return Err(format!("relay-only: {e}")),
                    Err(e) => {
                        tracing::warn!("no relay candidate: {e}");
                        None
                    }
                }
            }
            None if config.relay_only => {
                return Err(
                    "relay-only needs a TURN server: no `turn:` URL over UDP with \
                            credentials among the ICE servers"
                        .to_owned(),
                );
            }
            None => None,
        };
        Ok(Self {
            relay_only: config.relay_only,
            sockets,
            addrs,
            udp_rx,
            relay,
            pcm_rx,
            audio,
            video: None,
            peer: None,
            events: Vec::new(),
            clock: Pacer::default(),
            next_counters: Instant::now() + COUNTERS_EVERY,
            reported: MediaCounters::default(),
            decoded: 0,
            concealed: 0,
            closed: false,
        })
    }

    fn deadline(&mut self) -> Instant {
        let mut at = self.next_counters;
        if let Some(relay) = self.relay.as_mut() {
            at = at.min(relay.deadline(Instant::now()));
        }
        if let Some(peer) = &self.peer {
            at = at.min(peer.deadline);
        }
        if let Some(tick) = self.clock.deadline() {
            at = at.min(tick);
        }
        at
    }

    fn counters(&self) -> MediaCounters {
        let mut counters = self.peer.as_ref().map(|p| p.counters).unwrap_or_default();
        counters.decoded = self.decoded;
        counters.concealed = self.concealed;
        counters
    }

    fn error(&mut self, message: impl Into<String>, fatal: bool) {
        let message = message.into();
        tracing::warn!(fatal, "{message}");
        self.events.push(FromTunnel::Error { message, fatal });
    }

    fn control(&mut self, line: &str) {
        if line.trim().is_empty() {
            return;
        }
        let msg = match serde_json::from_str::<ToTunnel>(line) {
            Ok(msg) => msg,
            Err(e) => return self.error(format!("bad control line: {e}"), false),
        };
        let now = Instant::now();
        match msg {
            ToTunnel::Prepare { role, media: _ } => {
                if self.peer.is_some() {
                    return self.error("already prepared", false);
                }
                // Relay-only offers the relay candidate alone: no address of this machine.
                let hosts = if self.relay_only {
                    &[][..]
                } else {
                    &self.addrs
                };
                let relayed = self.relay.as_ref().map(|r| (r.relayed, r.local));
                self.peer = Some(Peer::new(role.into(), hosts, relayed, now));
            }
            ToTunnel::Hangup => self.close(),
            ToTunnel::PlayAudio { path, r#loop } => {
                if let Err(e) = self.audio.play(&path, r#loop) {
                    self.error(e, false);
                }
            }
            ToTunnel::RecordAudio { path } => {
                if let Err(e) = self.audio.record(&path) {
                    self.error(e, false);
                }
            }
            ToTunnel::SetEcho { on } => self.audio.echo = on,
            ToTunnel::RecordVideo { path } => match IvfWriter::create(&path) {
                Ok(writer) => {
                    self.finish_video();
                    self.video = Some(writer);
                    if let Some(peer) = self.peer.as_mut() {
                        peer.request_key_frame();
                    }
                }
                Err(e) => self.error(e, false),
            },
            other => self.negotiate(other),
        }
    }

    fn negotiate(&mut self, msg: ToTunnel) {
        let Some(peer) = self.peer.as_mut().filter(|_| !self.closed) else {
            return self.error("not prepared (send prepare first)", false);
        };
        let result = match msg {
            ToTunnel::SetKeys { prk } => match b64::decode_array::<32>(&prk) {
                Ok(prk) => {
                    peer.set_keys(prk);
                    Ok(None)
                }
                Err(e) => Err(format!("bad media secret: {e}")),
            },
            ToTunnel::CreateOffer { ice_restart } => peer.create_offer(ice_restart).map(Some),
            ToTunnel::ReceivedOffer { sdp } => peer.apply_offer(&sdp).map(Some),
            ToTunnel::ReceivedAnswer { sdp } => peer.apply_answer(&sdp).map(|()| None),
            ToTunnel::ReceivedIce { candidates } => {
                let skipped = peer.add_remote_candidates(&candidates);
                if skipped > 0 {
                    tracing::info!(
                        "skipped {skipped} candidate(s) str0m cannot use (mDNS names, TCP)"
                    );
                }
                Ok(None)
            }
            _ => unreachable!("handled in control"),
        };
        match result {
            Ok(Some(sdp)) => {
                let candidates = peer.local_candidates();
                self.events.push(FromTunnel::LocalDescription { sdp });
                self.events.push(FromTunnel::SendIce { candidates });
                self.events.push(FromTunnel::GatheringComplete);
            }
            Ok(None) => {}
            Err(e) => self.error(e, true),
        }
    }

    fn tick(&mut self, now: Instant) {
        let Some(peer) = self.peer.as_mut() else {
            return;
        };
        if now >= peer.deadline {
            peer.timeout(now);
        }
        // Each 20 ms: one frame out (unless echoing: echo sends what it hears, as it
        // hears it) and the peer's next frame played out.
        for _ in 0..self.clock.due(now) {
            if peer.can_send() && !self.audio.echo {
                let frame = self.audio.next_frame();
                peer.send_audio(frame, now);
            }
            match self.audio.play_out() {
                Played::Frame => self.decoded += 1,
                Played::Concealed => self.concealed += 1,
                Played::Nothing => {}
            }
        }
    }

    /// Carries out what the last input produced: echo and decode what was heard, send
    /// datagrams, start the audio clock once media can flow, and emit events.
    async fn flush<W: AsyncWrite + Unpin>(&mut self, out: &mut Out<W>) {
        let now = Instant::now();
        if let Some(peer) = self.peer.as_mut() {
            for (time, frame) in std::mem::take(&mut peer.heard) {
                if self.audio.echo {
                    peer.send_audio(frame.clone(), now);
                }
                self.audio.received(time, frame);
            }
            for (frame, time) in std::mem::take(&mut peer.seen) {
                if let Some(video) = self.video.as_mut()
                    && let Err(e) = video.write(&frame, time)
                {
                    tracing::warn!("video recording failed: {e}");
                    self.video = None;
                }
            }
            for d in peer.transmit.drain(..) {
                let (source, destination, contents) = match self.relay.as_mut() {
                    Some(relay) if d.source == relay.relayed => {
                        match relay.send_to(d.destination, &d.contents, now) {
                            Some(wrapped) => (relay.local, relay.server, wrapped),
                            None => continue,
                        }
                    }
                    _ => (d.source, d.destination, d.contents),
                };
                send_from(&self.sockets, source, destination, &contents);
            }
            if peer.is_connected() && !self.closed {
                self.clock.start(now);
            } else {
                self.clock.stop();
            }
            self.events.append(&mut peer.events);
        }
        if let Some(relay) = self.relay.as_mut() {
            for datagram in relay.transmit(now) {
                send_from(&self.sockets, relay.local, relay.server, &datagram);
            }
        }
        if now >= self.next_counters {
            self.next_counters = now + COUNTERS_EVERY;
            let counters = self.counters();
            if counters != self.reported {
                self.events.push(FromTunnel::Counters { counters });
                self.reported = counters;
            }
        }
        for event in std::mem::take(&mut self.events) {
            out.emit(&event).await;
        }
    }

    /// A datagram arrived on one of our sockets: from the TURN server, it is unwrapped and
    /// handed to str0m as arriving on the relayed address.
    fn arrived(&mut self, from: SocketAddr, to: SocketAddr, data: Vec<u8>, now: Instant) {
        match (self.relay.as_mut(), self.peer.as_mut()) {
            // The server's own answers (refreshes, permissions) are handled with or without a
            // peer connection.
            (Some(relay), peer) if from == relay.server && to == relay.local => {
                if let (Some((source, bytes)), Some(peer)) = (relay.receive(from, data, now), peer)
                {
                    peer.receive(now, source, relay.relayed, &bytes);
                }
            }
            // Relay-only uses no address of this machine, even for what arrives there.
            _ if self.relay_only => {}
            (_, Some(peer)) => peer.receive(now, from, to, &data),
            (_, None) => {}
        }
    }

    fn finish_video(&mut self) {
        if let Some(video) = self.video.take()
            && let Err(e) = video.finish()
        {
            tracing::warn!("video recording failed: {e}");
        }
    }

    fn close(&mut self) {
        if let Some(peer) = self.peer.as_mut() {
            peer.close();
        }
        if let Some(relay) = self.relay.as_mut().filter(|_| !self.closed) {
            relay.release(Instant::now()); // sent by the flush that follows
        }
        self.audio.finish();
        self.finish_video();
        self.closed = true;
        self.clock.stop();
    }
}
