//! Sockets: one UDP socket per local address (so str0m knows which address a datagram
//! arrived on), and the per-call PCM socket.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{UdpSocket, UnixListener};
use tokio::sync::mpsc;

/// A datagram that arrived: (from, to, bytes).
pub(crate) type Arrived = (SocketAddr, SocketAddr, Vec<u8>);

/// The addresses to offer as host candidates: loopback, and the address of the interface
/// that holds the default route (found by "connecting" a UDP socket, which sends nothing).
/// No STUN (srflx) or TURN yet: see docs/DEVELOPING.md.
pub(crate) fn host_ips() -> Vec<IpAddr> {
    let mut ips = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    if let Ok(probe) = std::net::UdpSocket::bind("0.0.0.0:0")
        && probe.connect("192.0.2.1:9").is_ok()
        && let Ok(local) = probe.local_addr()
        && !local.ip().is_loopback()
        && !local.ip().is_unspecified()
    {
        ips.push(local.ip());
    }
    ips
}

/// Binds one UDP socket per address; datagrams arrive on the returned channel.
pub(crate) async fn bind_udp(
    ips: &[IpAddr],
) -> std::io::Result<(Vec<Arc<UdpSocket>>, mpsc::Receiver<Arrived>)> {
    let (tx, rx) = mpsc::channel(512);
    let mut sockets = Vec::new();
    for ip in ips {
        let socket = Arc::new(UdpSocket::bind(SocketAddr::new(*ip, 0)).await?);
        let local = socket.local_addr()?;
        let reader = socket.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0; 2000];
            while let Ok((n, from)) = reader.recv_from(&mut buf).await {
                if tx.send((from, local, buf[..n].to_vec())).await.is_err() {
                    return;
                }
            }
        });
        sockets.push(socket);
    }
    Ok((sockets, rx))
}

/// What the PCM socket reports.
#[derive(Debug)]
pub(crate) enum Pcm {
    /// A client connected; decoded audio for it goes here.
    Client(mpsc::Sender<Vec<u8>>),
    /// Bytes it wrote (s16le 48 kHz mono).
    Input(Vec<u8>),
}

/// Listens on `path` (mode 0600 in a 0700 directory). One client at a time: a new one
/// replaces the old.
pub(crate) fn listen_pcm(path: &str) -> std::io::Result<mpsc::Receiver<Pcm>> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    let path = std::path::Path::new(path);
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (mut read, mut write) = stream.into_split();
            let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(50);
            if tx.send(Pcm::Client(out_tx)).await.is_err() {
                return;
            }
            tokio::spawn(async move {
                while let Some(bytes) = out_rx.recv().await {
                    if write.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
            });
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0; 3840];
                while let Ok(n) = read.read(&mut buf).await {
                    if n == 0 || tx.send(Pcm::Input(buf[..n].to_vec())).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(rx)
}
