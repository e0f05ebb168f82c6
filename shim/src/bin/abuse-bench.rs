//! `cargo xtask bench abuse`: how much each attack costs a well-behaved client. A fresh shim
//! with its default limits; good clients (from 127.0.0.1) measure their ping and send p99 on an
//! idle shim, then while each attack runs (attackers use other loopback addresses, as they
//! would come from other hosts). Printed as ratios to the idle run, with the shim's RSS and
//! what the attacker saw.

mod bench_common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bench_common::{Ws, now_ns, own_queue, quantile_us, recv, rss_mib, send, tcp_from, ws_from};
use futures_util::{SinkExt as _, StreamExt as _};
use sotto_shared::wire::relay::{ClientMsg, Payload, ServerMsg};
use tokio::io::AsyncWriteExt as _;
use tokio_tungstenite::tungstenite::Message;

/// Good clients, each making about 15 ping + send + ack rounds a second (within the default
/// 50 frames/s budget).
const GOOD_CLIENTS: usize = 10;
const MEASURE: Duration = Duration::from_secs(4);
const ROUND: Duration = Duration::from_millis(66);

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// One good client's ping and send latencies (ns) over [`MEASURE`].
async fn good_client(addr: SocketAddr) -> (Vec<u64>, Vec<u64>) {
    let mut ws = ws_from(ip(1), addr).await.expect("good client connects");
    let (rcv, snd) = own_queue(&mut ws).await.expect("good client's queue");
    let start = Instant::now();
    let (mut pings, mut sends) = (Vec::new(), Vec::new());
    let mut id = 10;
    while start.elapsed() < MEASURE {
        let round = Instant::now();
        id += 1;
        send(&mut ws, &ClientMsg::Ping { id }).await;
        wait_for(&mut ws, id, rcv).await;
        pings.push(now_ns(round));
        id += 1;
        let at = Instant::now();
        let payload = Payload(vec![7; 1024]);
        send(
            &mut ws,
            &ClientMsg::Send {
                id,
                snd_id: snd,
                payload,
            },
        )
        .await;
        wait_for(&mut ws, id, rcv).await;
        sends.push(now_ns(at));
        tokio::time::sleep(ROUND.saturating_sub(round.elapsed())).await;
    }
    (pings, sends)
}

/// Reads until the reply to `id`, acking every pushed message on the way.
async fn wait_for(ws: &mut Ws, id: u64, rcv: sotto_shared::wire::relay::RcvId) {
    while let Some(msg) = recv(ws).await {
        match msg {
            ServerMsg::Message { msg_id, .. } => {
                send(
                    ws,
                    &ClientMsg::Ack {
                        id: 0,
                        rcv_id: rcv,
                        msg_id,
                    },
                )
                .await;
            }
            ServerMsg::Pong { id: got } | ServerMsg::Ok { id: got } if got == id => return,
            ServerMsg::Error { id: Some(got), .. } if got == id => return,
            _ => {}
        }
    }
    panic!("the good client's socket closed");
}

struct Measured {
    ping_p99_us: u64,
    send_p99_us: u64,
}

async fn measure(addr: SocketAddr) -> Measured {
    let runs: Vec<_> = (0..GOOD_CLIENTS)
        .map(|_| tokio::spawn(good_client(addr)))
        .collect();
    let (mut pings, mut sends) = (Vec::new(), Vec::new());
    for run in runs {
        let (p, s) = run.await.expect("good client");
        pings.extend(p);
        sends.extend(s);
    }
    pings.sort_unstable();
    sends.sort_unstable();
    Measured {
        ping_p99_us: quantile_us(&pings, 0.99),
        send_p99_us: quantile_us(&sends, 0.99),
    }
}

/// An attack: started, then asked what its attacker saw once the measurement is done.
type Report = tokio::task::JoinHandle<String>;

/// Starts an attack on the shim at the address; it runs until the flag is set.
type Attack = fn(SocketAddr, Arc<AtomicBool>) -> Report;

/// A subscriber that never reads, while a helper fills its queue as fast as it can.
fn non_reading_subscriber(addr: SocketAddr, stop: Arc<AtomicBool>) -> Report {
    tokio::spawn(async move {
        let mut victim = ws_from(ip(2), addr).await.expect("connects");
        let (_, snd) = own_queue(&mut victim).await.expect("queue");
        let started = Instant::now();
        let mut helper = ws_from(ip(3), addr).await.expect("connects");
        let mut id = 100;
        while !stop.load(Relaxed) {
            id += 1;
            let payload = Payload(vec![1; 30 * 1024]);
            send(
                &mut helper,
                &ClientMsg::Send {
                    id,
                    snd_id: snd,
                    payload,
                },
            )
            .await;
            if recv(&mut helper).await.is_none() {
                break;
            }
        }
        // Still not reading until the keepalive must have run out (5 s ping + 5 s pong by
        // default); then read the pushes that fitted its window, and the shim's Close.
        tokio::time::sleep(Duration::from_secs(11).saturating_sub(started.elapsed())).await;
        let mut pushes = 0;
        let end = tokio::time::timeout(Duration::from_secs(15), async {
            loop {
                match victim.next().await {
                    Some(Ok(Message::Text(_))) => pushes += 1,
                    Some(Ok(Message::Close(frame))) => {
                        return frame.map_or(0, |f| u16::from(f.code));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return 0,
                }
            }
        })
        .await;
        match end {
            Ok(0) => format!("cut off within 11 s; {pushes} pushes had been queued"),
            Ok(code) => format!("closed ({code}) within 11 s; {pushes} pushes had been queued"),
            Err(_) => "still open after 11 s".into(),
        }
    })
}

/// Sockets that send part of a request's headers and then nothing, from 10 addresses.
fn partial_headers(addr: SocketAddr, stop: Arc<AtomicBool>) -> Report {
    tokio::spawn(async move {
        let mut sockets = Vec::new();
        for host in 10..20 {
            for _ in 0..100 {
                if let Ok(mut tcp) = tcp_from(ip(host), addr).await {
                    let _ = tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await;
                    sockets.push(tcp);
                }
            }
        }
        let started = Instant::now();
        while !stop.load(Relaxed) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let count = |sockets: &[tokio::net::TcpStream]| {
            let mut buf = [0u8; 64];
            let (mut refused, mut closed, mut open) = (0, 0, 0);
            for s in sockets {
                match s.try_read(&mut buf) {
                    Ok(0) => closed += 1,
                    Ok(_) if buf.starts_with(b"HTTP/1.1 503") => refused += 1,
                    Ok(_) => closed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => open += 1,
                    Err(_) => closed += 1,
                }
            }
            (refused, closed, open)
        };
        let (refused, _, open_then) = count(&sockets);
        tokio::time::sleep(Duration::from_millis(10_500).saturating_sub(started.elapsed())).await;
        let (_, _, open_later) = count(&sockets);
        format!(
            "{} sockets: {refused} refused 503 (per-IP cap), {open_then} not yet answered; {open_later} still open after 10.5 s",
            sockets.len()
        )
    })
}

/// Ten connections creating queues as fast as replies come.
fn queue_flood(addr: SocketAddr, stop: Arc<AtomicBool>) -> Report {
    tokio::spawn(async move {
        let created = Arc::new(AtomicU64::new(0));
        let refused = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (stop, created, refused) = (
                    Arc::clone(&stop),
                    Arc::clone(&created),
                    Arc::clone(&refused),
                );
                tokio::spawn(async move {
                    let Some(mut ws) = ws_from(ip(4), addr).await else {
                        return;
                    };
                    let mut id = 0;
                    while !stop.load(Relaxed) {
                        id += 1;
                        send(&mut ws, &ClientMsg::CreateQueue { id }).await;
                        match recv(&mut ws).await {
                            Some(ServerMsg::QueueCreated { .. }) => created.fetch_add(1, Relaxed),
                            Some(_) => refused.fetch_add(1, Relaxed),
                            None => return,
                        };
                    }
                })
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
        format!(
            "{} queues created, {} refused (rate_limited)",
            created.load(Relaxed),
            refused.load(Relaxed)
        )
    })
}

/// A queue with 200 stored messages of 30 KiB, subscribed to again and again without acks.
fn resubscribe_flood(addr: SocketAddr, stop: Arc<AtomicBool>) -> Report {
    tokio::spawn(async move {
        let mut owner = ws_from(ip(5), addr).await.expect("connects");
        let (rcv, snd) = own_queue(&mut owner).await.expect("queue");
        let mut filler = ws_from(ip(6), addr).await.expect("connects");
        for id in 0..200 {
            let payload = Payload(vec![2; 30 * 1024]);
            send(
                &mut filler,
                &ClientMsg::Send {
                    id,
                    snd_id: snd,
                    payload,
                },
            )
            .await;
            recv(&mut filler).await;
        }
        let (mut subscribes, mut pushes, mut bytes) = (0u64, 0u64, 0usize);
        let mut id = 1000;
        while !stop.load(Relaxed) {
            id += 1;
            send(&mut owner, &ClientMsg::Subscribe { id, rcv_id: rcv }).await;
            subscribes += 1;
            loop {
                let frame = match owner.next().await {
                    Some(Ok(Message::Close(frame))) => {
                        let code = frame.map_or(0, |f| u16::from(f.code));
                        return format!(
                            "closed ({code}) after {subscribes} subscribes, {pushes} pushes ({:.1} MB)",
                            bytes as f64 / 1e6
                        );
                    }
                    Some(Ok(frame)) => frame,
                    _ => return format!("connection lost after {subscribes} subscribes"),
                };
                let Message::Text(text) = frame else { continue };
                bytes += text.len();
                match serde_json::from_str::<ServerMsg>(&text) {
                    Ok(ServerMsg::Message { .. }) => pushes += 1,
                    Ok(ServerMsg::Ok { id: got } | ServerMsg::Error { id: Some(got), .. })
                        if got == id =>
                    {
                        break;
                    }
                    _ => {}
                }
            }
        }
        format!(
            "{subscribes} subscribes → {pushes} pushes ({:.1} MB): the window, once",
            bytes as f64 / 1e6
        )
    })
}

/// Connections sending WebSocket pings as fast as they can, never reading.
fn frame_flood(addr: SocketAddr, stop: Arc<AtomicBool>) -> Report {
    tokio::spawn(async move {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let stop = Arc::clone(&stop);
                tokio::spawn(async move {
                    let Some(mut ws) = ws_from(ip(7), addr).await else {
                        return (0u64, false);
                    };
                    let mut sent = 0;
                    while !stop.load(Relaxed) {
                        if ws.send(Message::Ping(vec![0; 100].into())).await.is_err() {
                            return (sent, true);
                        }
                        sent += 1;
                    }
                    (sent, false)
                })
            })
            .collect();
        let (mut frames, mut cut) = (0, 0);
        for t in tasks {
            let (sent, closed) = t.await.unwrap_or((0, false));
            frames += sent;
            cut += u64::from(closed);
        }
        format!(
            "{cut} of 4 cut off by the shim; {} frames sent on average",
            frames / 4
        )
    })
}

#[tokio::main]
async fn main() {
    let data = bench_common::tempfile_dir();
    let (mut shim, addr) = bench_common::spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &data,
        "--dist-dir",
        "/nonexistent",
    ]);
    let addr: SocketAddr = addr.parse().expect("an address");
    println!(
        "abuse bench: {GOOD_CLIENTS} good clients (ping, send, ack every {} ms) for {} s idle, then {} s under attack, per row; shim defaults",
        ROUND.as_millis(),
        MEASURE.as_secs(),
        MEASURE.as_secs()
    );
    let _warm_up = measure(addr).await;
    let attacks: [(&str, Attack); 5] = [
        ("non-reading subscriber", non_reading_subscriber),
        ("1000 partial-header sockets", partial_headers),
        ("queue-creation flood", queue_flood),
        ("resubscribe flood", resubscribe_flood),
        ("frame flood (pings)", frame_flood),
    ];
    println!(
        "  {:<28} {:>15} {:>15} {:>6} {:>15} {:>6} {:>8}  attacker saw",
        "attack", "idle p99 µs", "ping p99 µs", "×", "send p99 µs", "×", "RSS MiB"
    );
    for (name, attack) in attacks {
        // The same clients on the idle shim just before, so drift on a shared machine
        // affects both sides of each ratio alike.
        let idle = measure(addr).await;
        let stop = Arc::new(AtomicBool::new(false));
        let report = attack(addr, Arc::clone(&stop));
        tokio::time::sleep(Duration::from_millis(500)).await;
        let during = measure(addr).await;
        let rss = rss_mib(shim.id());
        stop.store(true, Relaxed);
        let saw = report
            .await
            .unwrap_or_else(|e| format!("attacker failed: {e}"));
        println!(
            "  {name:<28} {:>15} {:>15} {:>6.2} {:>15} {:>6.2} {rss:>8.1}  {saw}",
            format!("{}/{}", idle.ping_p99_us, idle.send_p99_us),
            during.ping_p99_us,
            during.ping_p99_us as f64 / idle.ping_p99_us.max(1) as f64,
            during.send_p99_us,
            during.send_p99_us as f64 / idle.send_p99_us.max(1) as f64,
        );
    }
    let _ = shim.kill();
    let _ = shim.wait();
    let _ = std::fs::remove_dir_all(&data);
}
