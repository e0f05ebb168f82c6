//! TURN (RFC 8656) for str0m, which has none: `turn-client-proto` (sans-IO) holds an
//! allocation on the shim's TURN server with the credentials the shim minted, and this module
//! glues it to str0m the way research native-endpoint.md §1.1 lays out. The relayed address
//! is one more local candidate; str0m's datagrams from it are wrapped toward the server, and
//! the server's peer data is handed to str0m as arriving on it. Relay-only ("hide my IP")
//! offers only that candidate.
//!
//! The allocation is made before the tunnel reports `ready` (two round trips to the server:
//! the 401 challenge, then the authenticated Allocate), so the candidate is there when the
//! first description is made; refreshes and permissions happen as the call goes on.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sotto_shared::wire::relay::IceServer;
use tokio::sync::mpsc;
use turn_client_proto::api::{TurnClientApi as _, TurnConfig, TurnEvent, TurnPollRet, TurnRecvRet};
use turn_client_proto::stun::agent::Transmit;
use turn_client_proto::types::{TransportType, TurnCredentials};
use turn_client_proto::udp::TurnClientUdp;

use crate::net::Arrived;

/// How long the allocation may take before a relay-only tunnel gives up (and the call
/// fails): two round trips to a TURN server across the world take well under a second.
pub(crate) const RELAY_ONLY_WITHIN: Duration = Duration::from_secs(5);
/// The same when the relay is one candidate among the host ones: the call must not wait long
/// for a TURN server that does not answer.
pub(crate) const RELAY_TOO_WITHIN: Duration = Duration::from_secs(2);

/// A TURN server to allocate on: its address and long-term credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TurnServer {
    pub(crate) addr: SocketAddr,
    username: String,
    password: String,
}

/// The first `turn:` URL over UDP with credentials, resolved. `turns:` (TLS) and TCP
/// transports are not supported; `stun:` URLs are skipped.
pub(crate) async fn first_server(servers: &[IceServer]) -> Option<TurnServer> {
    for server in servers {
        let (Some(username), Some(password)) = (&server.username, &server.credential) else {
            continue;
        };
        for url in &server.urls {
            let Some(host_port) = udp_turn_host(url) else {
                continue;
            };
            match tokio::net::lookup_host(host_port.as_str()).await {
                Ok(mut addrs) => {
                    if let Some(addr) = addrs.next() {
                        return Some(TurnServer {
                            addr,
                            username: username.clone(),
                            password: password.clone(),
                        });
                    }
                }
                Err(e) => tracing::warn!("cannot resolve the TURN server {url}: {e}"),
            }
        }
    }
    None
}

/// `host:port` of a `turn:` URL over UDP (the default), with TURN's default port 3478.
fn udp_turn_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("turn:")?;
    let (host, query) = rest.split_once('?').unwrap_or((rest, ""));
    if query
        .split('&')
        .any(|kv| kv.starts_with("transport=") && kv != "transport=udp")
    {
        return None;
    }
    let has_port = match host.rsplit_once(']') {
        Some((_, after)) => after.starts_with(':'), // [v6]:port
        None => host.contains(':'),
    };
    Some(if has_port {
        host.to_owned()
    } else {
        format!("{host}:3478")
    })
}

/// A live allocation.
#[derive(Debug)]
pub(crate) struct Relay {
    client: TurnClientUdp,
    /// Our socket that talks to the server (one of the host sockets).
    pub(crate) local: SocketAddr,
    pub(crate) server: SocketAddr,
    /// The address the server relays for us: the relay candidate.
    pub(crate) relayed: SocketAddr,
    /// `turn-client-proto` counts time from here.
    base: Instant,
    /// Peers a permission was asked for.
    permitted: HashSet<IpAddr>,
}

impl Relay {
    /// Allocates on `server` through the host socket at `local`, reading the server's
    /// answers from `arrived` (nothing else arrives before `ready`). Returns the relay and
    /// the datagrams to send meanwhile.
    ///
    /// # Errors
    /// When the server refuses (bad credentials) or does not answer in time.
    pub(crate) async fn allocate(
        server: &TurnServer,
        local: SocketAddr,
        socket: &tokio::net::UdpSocket,
        arrived: &mut mpsc::Receiver<Arrived>,
        within: Duration,
    ) -> Result<Self, String> {
        let base = Instant::now();
        let config = TurnConfig::new(TurnCredentials::new(&server.username, &server.password));
        let mut client = TurnClientUdp::allocate(local, server.addr, config);
        let give_up = base + within;
        loop {
            let now = Instant::now();
            let turn_now = since(base, now);
            while let Some(t) = client.poll_transmit(turn_now) {
                let _ = socket.send_to(t.data.as_ref(), t.to).await;
            }
            while let Some(event) = client.poll_event() {
                match event {
                    TurnEvent::AllocationCreated(TransportType::Udp, relayed) => {
                        tracing::info!(%relayed, server = %server.addr, "TURN allocation");
                        return Ok(Self {
                            client,
                            local,
                            server: server.addr,
                            relayed,
                            base,
                            permitted: HashSet::new(),
                        });
                    }
                    TurnEvent::AllocationCreateFailed(family) => {
                        return Err(format!(
                            "the TURN server {} refused an allocation ({family:?}): check its \
                             credentials",
                            server.addr
                        ));
                    }
                    other => tracing::debug!("TURN: {other:?}"),
                }
            }
            let wait_until = match client.poll(turn_now) {
                TurnPollRet::WaitUntil(at) => at.to_std(base).min(give_up),
                TurnPollRet::Closed => {
                    return Err(format!("the TURN server {} closed", server.addr));
                }
                _ => give_up,
            };
            if now >= give_up {
                // A 401 to the authenticated request is not reported as a failure by
                // turn-client-proto: wrong credentials end here too.
                return Err(format!(
                    "no allocation from the TURN server {} within {within:?}: wrong \
                     credentials, or it does not answer",
                    server.addr
                ));
            }
            tokio::select! {
                got = arrived.recv() => {
                    let Some((from, to, data)) = got else {
                        return Err("the sockets closed".into());
                    };
                    let now = since(base, Instant::now());
                    let _ = client.recv(Transmit::new(data, TransportType::Udp, from, to), now);
                }
                () = tokio::time::sleep_until(wait_until.into()) => {}
            }
        }
    }

    /// When the client wants time again (refreshes, retransmits).
    pub(crate) fn deadline(&mut self, now: Instant) -> Instant {
        match self.client.poll(since(self.base, now)) {
            TurnPollRet::WaitUntil(at) => at.to_std(self.base),
            _ => now + Duration::from_secs(3600),
        }
    }

    /// Datagrams for the server (requests, refreshes, permissions).
    pub(crate) fn transmit(&mut self, now: Instant) -> Vec<Vec<u8>> {
        let now = since(self.base, now);
        let mut out = Vec::new();
        while let Some(t) = self.client.poll_transmit(now) {
            out.push(t.data.as_ref().to_vec());
        }
        while let Some(event) = self.client.poll_event() {
            tracing::debug!("TURN: {event:?}");
        }
        out
    }

    /// A datagram from the server: the peer data it carries, if any (`(peer, bytes)`).
    pub(crate) fn receive(
        &mut self,
        from: SocketAddr,
        data: Vec<u8>,
        now: Instant,
    ) -> Option<(SocketAddr, Vec<u8>)> {
        let now = since(self.base, now);
        let transmit = Transmit::new(data, TransportType::Udp, from, self.local);
        match self.client.recv(transmit, now) {
            TurnRecvRet::PeerData(data) => Some((data.peer, data.data().to_vec())),
            _ => None,
        }
    }

    /// Wraps `data` for `to` through the allocation: the datagram for the server, or `None`
    /// while there is no permission for `to` yet (it is asked for; ICE sends again).
    pub(crate) fn send_to(&mut self, to: SocketAddr, data: &[u8], now: Instant) -> Option<Vec<u8>> {
        self.permit(to.ip(), now);
        let now = since(self.base, now);
        match self.client.send_to(TransportType::Udp, to, data, now) {
            Ok(Some(transmit)) => Some(transmit.build().data),
            Ok(None) => None,
            Err(e) => {
                tracing::debug!("TURN send to {to}: {e}");
                None
            }
        }
    }

    /// Gives the allocation back (the call is over), rather than leave it to expire.
    pub(crate) fn release(&mut self, now: Instant) {
        if let Err(e) = self.client.delete(since(self.base, now)) {
            tracing::debug!("TURN delete: {e}");
        }
    }

    /// Asks the server to let `peer` in and out (once per address).
    pub(crate) fn permit(&mut self, peer: IpAddr, now: Instant) {
        if self.permitted.insert(peer)
            && let Err(e) =
                self.client
                    .create_permission(TransportType::Udp, peer, since(self.base, now))
        {
            tracing::warn!("TURN permission for {peer}: {e}");
            self.permitted.remove(&peer);
        }
    }
}

/// `now` on `turn-client-proto`'s clock, which starts at `base`.
fn since(base: Instant, now: Instant) -> turn_client_proto::stun::Instant {
    let nanos = now.saturating_duration_since(base).as_nanos();
    turn_client_proto::stun::Instant::from_nanos(i64::try_from(nanos).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_turn_urls_over_udp_only_with_the_default_port() {
        assert_eq!(
            udp_turn_host("turn:127.0.0.1:3479?transport=udp").as_deref(),
            Some("127.0.0.1:3479")
        );
        assert_eq!(
            udp_turn_host("turn:turn.example").as_deref(),
            Some("turn.example:3478")
        );
        assert_eq!(
            udp_turn_host("turn:[::1]:5000").as_deref(),
            Some("[::1]:5000")
        );
        assert_eq!(udp_turn_host("turn:[::1]").as_deref(), Some("[::1]:3478"));
        assert_eq!(udp_turn_host("turn:turn.example?transport=tcp"), None);
        assert_eq!(udp_turn_host("turns:turn.example:5349"), None);
        assert_eq!(udp_turn_host("stun:turn.example"), None);
    }
}
