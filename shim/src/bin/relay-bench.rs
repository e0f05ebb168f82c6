//! `cargo xtask bench relay`: the shim against a bare tokio-tungstenite forwarder (no store, no
//! JSON, no acks: the limit), under the same load, in the same run, on loopback.
//!
//! Load: N clients in pairs; each sends M messages to its partner, one at a time (the next
//! after the partner received the previous), so N messages are in flight. With the shim every
//! message is a real `send` (durable in SQLite before `ok`) and every receipt is `ack`ed.
//! Then: RSS of a fresh shim holding 10,000 idle subscribed connections.

mod bench_common;

use bench_common::{rss_mib, shim_args, spawn, tempfile_dir};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use sotto_shared::wire::relay::{ClientMsg, Payload, ServerMsg, SndId};
use tokio::sync::{Barrier, mpsc};
use tokio_tungstenite::tungstenite::Message;

const PAIRS_CLIENTS: usize = 1000;
const MESSAGES: usize = 20;
const IDLE: usize = 10_000;

struct Outcome {
    per_sec: f64,
    p50_us: u64,
    p99_us: u64,
}

fn summarize(latencies: &mut [u64], elapsed: Duration) -> Outcome {
    latencies.sort_unstable();
    let at =
        |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)] / 1000;
    Outcome {
        per_sec: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_us: at(0.5),
        p99_us: at(0.99),
    }
}

/// Runs the pairwise load; `proto` decides how a client talks.
async fn run_load(url: String, shim: bool) -> Outcome {
    let start = Instant::now();
    let barrier = Arc::new(Barrier::new(PAIRS_CLIENTS + 1));
    let snd_ids: Arc<Mutex<Vec<Option<SndId>>>> = Arc::new(Mutex::new(vec![None; PAIRS_CLIENTS]));
    let mut turns = Vec::new();
    let mut turn_rx = Vec::new();
    for _ in 0..PAIRS_CLIENTS {
        let (tx, rx) = mpsc::unbounded_channel::<()>();
        turns.push(tx);
        turn_rx.push(Some(rx));
    }
    let turns = Arc::new(turns);
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(PAIRS_CLIENTS * MESSAGES)));
    let mut tasks = Vec::new();
    for (i, my_turn) in turn_rx.iter_mut().enumerate() {
        let (url, barrier, snd_ids, turns, latencies) = (
            url.clone(),
            barrier.clone(),
            snd_ids.clone(),
            turns.clone(),
            latencies.clone(),
        );
        let mut my_turn = my_turn.take().expect("once");
        tasks.push(tokio::spawn(async move {
            let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{url}/ws"))
                .await
                .expect("connect");
            let (mut sink, mut stream) = ws.split();
            let partner = i ^ 1;
            let mut rcv = None;
            if shim {
                sink.send(Message::Text(
                    serde_json::to_string(&ClientMsg::CreateQueue { id: 1 })
                        .unwrap()
                        .into(),
                ))
                .await
                .unwrap();
                let Some(Ok(Message::Text(t))) = stream.next().await else {
                    panic!("no reply")
                };
                let ServerMsg::QueueCreated { rcv_id, snd_id, .. } =
                    serde_json::from_str(&t).unwrap()
                else {
                    panic!("{t}")
                };
                sink.send(Message::Text(
                    serde_json::to_string(&ClientMsg::Subscribe { id: 2, rcv_id })
                        .unwrap()
                        .into(),
                ))
                .await
                .unwrap();
                let _ = stream.next().await;
                snd_ids.lock().unwrap()[i] = Some(snd_id);
                rcv = Some(rcv_id);
            } else {
                sink.send(Message::Text(format!("hello {i}").into()))
                    .await
                    .unwrap();
                // Registered before anyone may send to it (else a first message can be lost
                // and the run never ends).
                let _ = stream.next().await;
            }
            barrier.wait().await;
            let to = snd_ids.lock().unwrap()[partner];
            let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Message>();
            let writer = tokio::spawn(async move {
                while let Some(m) = out_rx.recv().await {
                    if sink.send(m).await.is_err() {
                        break;
                    }
                }
            });
            let sender = {
                let out = out_tx.clone();
                tokio::spawn(async move {
                    for k in 0..MESSAGES {
                        let nanos = start.elapsed().as_nanos() as u64;
                        let m = if shim {
                            let msg = ClientMsg::Send {
                                id: 10 + k as u64,
                                snd_id: to.expect("partner queue"),
                                payload: Payload(nanos.to_be_bytes().to_vec()),
                            };
                            Message::Text(serde_json::to_string(&msg).unwrap().into())
                        } else {
                            Message::Text(format!("to {partner} {nanos}").into())
                        };
                        out.send(m).unwrap();
                        if my_turn.recv().await.is_none() {
                            break;
                        }
                    }
                })
            };
            let mut received = 0;
            while received < MESSAGES {
                let t = match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
                    Ok(Some(Ok(Message::Text(t)))) => t,
                    // The shim's keepalive pings (answered by tungstenite).
                    Ok(Some(Ok(_))) => continue,
                    _ => {
                        eprintln!("client {i}: nothing for 30 s after {received} messages");
                        break;
                    }
                };
                let sent = if shim {
                    match serde_json::from_str::<ServerMsg>(&t) {
                        Ok(ServerMsg::Message {
                            rcv_id,
                            msg_id,
                            payload,
                            ..
                        }) => {
                            let ack = ClientMsg::Ack {
                                id: 1_000_000 + received as u64,
                                rcv_id,
                                msg_id,
                            };
                            out_tx
                                .send(Message::Text(serde_json::to_string(&ack).unwrap().into()))
                                .unwrap();
                            let _ = rcv;
                            u64::from_be_bytes(payload.0[..8].try_into().unwrap())
                        }
                        _ => continue,
                    }
                } else {
                    t.parse().unwrap()
                };
                let now = start.elapsed().as_nanos() as u64;
                latencies.lock().unwrap().push(now - sent);
                received += 1;
                let _ = turns[partner].send(());
            }
            let _ = sender.await;
            drop(out_tx);
            writer.abort();
        }));
    }
    barrier.wait().await;
    let began = Instant::now();
    for t in tasks {
        t.await.expect("client");
    }
    let elapsed = began.elapsed();
    let mut all = std::mem::take(&mut *latencies.lock().unwrap());
    summarize(&mut all, elapsed)
}

/// The baseline: forwards `to <client> <text>` as `<text>` to that client's socket.
async fn forwarder() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!(
        "forwarder listening on http://{}",
        listener.local_addr().unwrap()
    );
    let clients: Arc<Mutex<std::collections::HashMap<usize, mpsc::UnboundedSender<Message>>>> =
        Arc::default();
    loop {
        let (tcp, _) = listener.accept().await.unwrap();
        let clients = clients.clone();
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            let (mut sink, mut stream) = ws.split();
            let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
            tokio::spawn(async move {
                while let Some(m) = rx.recv().await {
                    if sink.send(m).await.is_err() {
                        break;
                    }
                }
            });
            while let Some(Ok(Message::Text(t))) = stream.next().await {
                if let Some(id) = t.strip_prefix("hello ") {
                    clients
                        .lock()
                        .unwrap()
                        .insert(id.parse().unwrap(), tx.clone());
                    let _ = tx.send(Message::Text("registered".into()));
                } else if let Some(rest) = t.strip_prefix("to ") {
                    let (to, body) = rest.split_once(' ').unwrap();
                    let target = clients
                        .lock()
                        .unwrap()
                        .get(&to.parse::<usize>().unwrap())
                        .cloned();
                    if let Some(target) = target {
                        let _ = target.send(Message::Text(body.to_owned().into()));
                    }
                }
            }
        });
    }
}

/// RSS of a fresh shim before and with [`IDLE`] subscribed connections, and how many of them
/// were still open when measured (each answers the shim's keepalive pings).
async fn idle_rss() -> (f64, f64, usize) {
    let data = tempfile_dir();
    let (mut shim, addr) = spawn(&shim_args(&data));
    let addr: std::net::SocketAddr = addr.parse().expect("an address");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_mib(shim.id());
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut sockets = Vec::with_capacity(IDLE);
    for _ in 0..IDLE / 500 {
        let (ready_tx, mut ready) = mpsc::unbounded_channel();
        for _ in 0..500 {
            let (open, ready_tx) = (Arc::clone(&open), ready_tx.clone());
            sockets.push(tokio::spawn(async move {
                let local = std::net::IpAddr::from([127, 0, 0, 1]);
                let mut ws = bench_common::ws_from(local, addr).await.expect("connect");
                bench_common::own_queue(&mut ws).await.expect("queue");
                open.fetch_add(1, Ordering::Relaxed);
                let _ = ready_tx.send(());
                drop(ready_tx);
                while let Some(Ok(_)) = ws.next().await {}
                open.fetch_sub(1, Ordering::Relaxed);
            }));
        }
        drop(ready_tx);
        for _ in 0..500 {
            ready.recv().await.expect("every idle client gets ready");
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_mib(shim.id());
    let still_open = open.load(Ordering::Relaxed);
    for socket in sockets {
        socket.abort();
    }
    let _ = shim.kill();
    let _ = shim.wait();
    let _ = std::fs::remove_dir_all(&data);
    (before, after, still_open)
}

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("--forwarder") {
        return forwarder().await;
    }
    let data = tempfile_dir();
    let (mut shim, shim_addr) = spawn(&shim_args(&data));
    let (mut fwd, fwd_addr) = spawn(&["--forwarder"]);
    println!(
        "relay bench: {PAIRS_CLIENTS} clients in pairs, {MESSAGES} messages each, one in flight per client"
    );
    let bare = run_load(fwd_addr, false).await;
    eprintln!("  forwarder done; now the shim");
    let ours = run_load(shim_addr, true).await;
    let _ = fwd.kill();
    let _ = shim.kill();
    let _ = (fwd.wait(), shim.wait());
    let _ = std::fs::remove_dir_all(&data);
    println!(
        "  {:<28} {:>10} {:>10} {:>10}",
        "", "msgs/s", "p50 µs", "p99 µs"
    );
    println!(
        "  {:<28} {:>10.0} {:>10} {:>10}",
        "bare forwarder (baseline)", bare.per_sec, bare.p50_us, bare.p99_us
    );
    println!(
        "  {:<28} {:>10.0} {:>10} {:>10}",
        "shim (SQLite, durable, acks)", ours.per_sec, ours.p50_us, ours.p99_us
    );
    println!(
        "  throughput ratio shim/forwarder: {:.2}× (goal ≥ 0.5×)",
        ours.per_sec / bare.per_sec
    );
    println!(
        "  p99 ratio shim/forwarder:        {:.2}× (goal ≤ 2×)",
        ours.p99_us as f64 / bare.p99_us.max(1) as f64
    );
    let (before, after, open) = idle_rss().await;
    println!(
        "shim RSS: {before:.1} MiB idle; {after:.1} MiB with {open} of {IDLE} idle subscribed connections open (goal ≤ 200 MiB)"
    );
}
