//! The daemon's side of `sotto-call-tunnel` (one process per call, the seed's process model):
//! spawn it, write the config line, turn the core's [`RtcAction`]s into control lines and the
//! tunnel's events back into [`RtcEvent`]s for the driver's queue. The core decides; the
//! tunnel only does media, as `web/src/browser/peer.rs` does in the browser.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sotto_client::{RtcAction, RtcEvent};
use sotto_shared::call::IceState;
use sotto_shared::crypto::Role;
use sotto_shared::wire::signal::{IceCandidate, Media};
use sotto_shared::{CallId, b64};
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

/// How a call's audio enters and leaves the tunnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub(crate) enum Audio {
    /// Raw s16le 48 kHz mono PCM over a Unix socket at `path` (both device names).
    Socket { path: PathBuf },
    /// Send back what is heard (re-encrypted with our key).
    Echo,
}

impl Audio {
    /// The opaque device names clients see (`inputDeviceName`, `outputDeviceName`).
    pub(crate) fn device_names(&self) -> (String, String) {
        match self {
            Self::Socket { path } => {
                let name = path.display().to_string();
                (name.clone(), name)
            }
            Self::Echo => ("echo".into(), "echo".into()),
        }
    }
}

/// The first line on the tunnel's stdin.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TunnelConfig {
    pub(crate) call_id: String,
    pub(crate) audio: Audio,
    pub(crate) relay_only: bool,
    pub(crate) ice_servers: Vec<sotto_shared::wire::relay::IceServer>,
}

/// Control messages, daemon → tunnel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub(crate) enum ToTunnel {
    Prepare {
        role: String,
        media: Media,
    },
    /// The media secret travels on the pipe, never in argv or the environment.
    SetKeys {
        prk: String,
    },
    CreateOffer {
        ice_restart: bool,
    },
    ReceivedOffer {
        sdp: String,
    },
    ReceivedAnswer {
        sdp: String,
    },
    ReceivedIce {
        candidates: Vec<IceCandidate>,
    },
    Hangup,
    PlayAudio {
        path: String,
        r#loop: bool,
    },
    RecordAudio {
        path: String,
    },
    SetEcho {
        on: bool,
    },
}

impl ToTunnel {
    pub(crate) fn from_action(action: RtcAction) -> Self {
        match action {
            RtcAction::Prepare { role, media } => Self::Prepare {
                role: match role {
                    Role::Caller => "caller",
                    Role::Callee => "callee",
                }
                .into(),
                media,
            },
            RtcAction::SetKeys { secret, .. } => Self::SetKeys {
                prk: b64::encode(&secret.to_bytes()),
            },
            RtcAction::CreateOffer { ice_restart } => Self::CreateOffer { ice_restart },
            RtcAction::ApplyOffer { sdp } => Self::ReceivedOffer { sdp },
            RtcAction::ApplyAnswer { sdp } => Self::ReceivedAnswer { sdp },
            RtcAction::AddCandidates(candidates) => Self::ReceivedIce { candidates },
            RtcAction::Close => Self::Hangup,
        }
    }
}

/// Events, tunnel → daemon.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub(crate) enum FromTunnel {
    Ready {
        input_device_name: String,
        output_device_name: String,
    },
    LocalDescription {
        sdp: String,
    },
    SendIce {
        candidates: Vec<IceCandidate>,
    },
    GatheringComplete,
    StateChange {
        ice: String,
    },
    Counters {
        counters: Value,
    },
    Error {
        message: String,
        #[serde(default)]
        fatal: bool,
    },
}

/// What the driver learns from a tunnel.
#[derive(Debug)]
pub(crate) enum TunnelNews {
    /// An event line.
    Event(FromTunnel),
    /// stdout closed: the process ended (or is about to).
    Exited,
}

impl FromTunnel {
    /// The core's view of this event, if it has one.
    pub(crate) fn into_rtc_events(self) -> Vec<RtcEvent> {
        match self {
            Self::LocalDescription { sdp } => vec![RtcEvent::LocalDescription { sdp }],
            Self::SendIce { candidates } => candidates
                .into_iter()
                .map(RtcEvent::LocalCandidate)
                .collect(),
            Self::GatheringComplete => vec![RtcEvent::GatheringComplete],
            Self::StateChange { ice } => ice_state(&ice).map(RtcEvent::Ice).into_iter().collect(),
            Self::Error { fatal: true, .. } => vec![RtcEvent::MediaFailed],
            Self::Ready { .. } | Self::Counters { .. } | Self::Error { .. } => Vec::new(),
        }
    }
}

fn ice_state(name: &str) -> Option<IceState> {
    Some(match name {
        "new" => IceState::New,
        "checking" => IceState::Checking,
        "connected" => IceState::Connected,
        "completed" => IceState::Completed,
        "disconnected" => IceState::Disconnected,
        "failed" => IceState::Failed,
        "closed" => IceState::Closed,
        _ => return None,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_control_messages_in_the_tunnel_vocabulary() {
        let line = serde_json::to_value(ToTunnel::CreateOffer { ice_restart: true }).unwrap();
        assert_eq!(line, json!({"type": "createOffer", "iceRestart": true}));
        let line = serde_json::to_value(ToTunnel::Hangup).unwrap();
        assert_eq!(line, json!({"type": "hangup"}));
    }

    #[test]
    fn maps_tunnel_events_to_core_events() {
        let event: FromTunnel =
            serde_json::from_value(json!({"type": "stateChange", "ice": "connected"})).unwrap();
        assert!(matches!(
            event.into_rtc_events()[..],
            [RtcEvent::Ice(IceState::Connected)]
        ));
        let fatal: FromTunnel =
            serde_json::from_value(json!({"type": "error", "message": "x", "fatal": true}))
                .unwrap();
        assert!(matches!(
            fatal.into_rtc_events()[..],
            [RtcEvent::MediaFailed]
        ));
        let bad_line: FromTunnel =
            serde_json::from_value(json!({"type": "error", "message": "x"})).unwrap();
        assert!(bad_line.into_rtc_events().is_empty());
    }
}
