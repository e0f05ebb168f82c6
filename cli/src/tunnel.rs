//! The daemon's side of `sotto-call-tunnel` (one process per call, the seed's process model):
//! spawn it, write the config line, turn the core's `RtcAction`s into control lines and the
//! tunnel's events back into `RtcEvent`s for the driver's queue. The core decides; the
//! tunnel only does media, as `web/src/browser/peer.rs` does in the browser.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use sotto_shared::CallId;
use sotto_shared::wire::tunnel::{FromTunnel, ToTunnel, TunnelConfig};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
use tokio::sync::mpsc;

use crate::driver::ToDriver;

/// How long a tunnel may take to exit after its stdin closed before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(3);

/// Where the tunnel binary is: `SOTTO_CALL_TUNNEL_BIN`, then next to this executable, then
/// `PATH`.
pub(crate) fn find_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SOTTO_CALL_TUNNEL_BIN") {
        return PathBuf::from(path);
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        let sibling = dir.join("sotto-call-tunnel");
        if sibling.exists() {
            return sibling;
        }
    }
    PathBuf::from("sotto-call-tunnel")
}

/// What the driver learns from a tunnel.
#[derive(Debug)]
pub(crate) enum TunnelNews {
    /// An event line.
    Event(FromTunnel),
    /// stdout closed: the process ended (or is about to).
    Exited,
}

/// A running tunnel. Dropping it closes its stdin, which ends it (killed after a grace).
#[derive(Debug)]
pub(crate) struct Tunnel {
    lines: mpsc::UnboundedSender<String>,
}

impl Tunnel {
    /// Spawns the tunnel for `call_id` and writes its config.
    pub(crate) fn spawn(
        binary: &Path,
        call_id: CallId,
        config: &TunnelConfig,
        driver: mpsc::UnboundedSender<ToDriver>,
    ) -> std::io::Result<Self> {
        let mut child = tokio::process::Command::new(binary)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let mut stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let (lines, mut rx) = mpsc::unbounded_channel::<String>();
        lines
            .send(serde_json::to_string(config).expect("plain data"))
            .expect("receiver alive");
        tokio::spawn(async move {
            while let Some(mut line) = rx.recv().await {
                line.push('\n');
                if stdin.write_all(line.as_bytes()).await.is_err() {
                    break;
                }
            }
            drop(stdin); // EOF: the tunnel ends the call and exits
            if tokio::time::timeout(EXIT_GRACE, child.wait())
                .await
                .is_err()
            {
                tracing::warn!(call = %call_id, "tunnel did not exit after stdin closed; killing it");
                let _ = child.kill().await;
            }
        });
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::info!(call = %call_id, "tunnel: {line}");
            }
        });
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<FromTunnel>(&line) {
                    Ok(event) => {
                        let news = TunnelNews::Event(event);
                        if driver.send(ToDriver::Tunnel { call_id, news }).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(call = %call_id, "unreadable tunnel line ({e}): {line}")
                    }
                }
            }
            let _ = driver.send(ToDriver::Tunnel {
                call_id,
                news: TunnelNews::Exited,
            });
        });
        Ok(Self { lines })
    }

    /// Sends one control message; `false` when the tunnel is gone.
    pub(crate) fn send(&self, msg: &ToTunnel) -> bool {
        self.lines
            .send(serde_json::to_string(msg).expect("plain data"))
            .is_ok()
    }
}

/// JSON for `startCall`/`acceptCall` results: the audio format the tunnel speaks.
pub(crate) fn audio_format() -> Value {
    json!({"codec": "opus", "sampleRate": 48000, "channels": 1, "ptimeMs": 20})
}
