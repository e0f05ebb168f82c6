//! Flags, each with a `SOTTO_*` environment fallback and documented in `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How a self-hoster configures the shim.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "sotto-shim",
    version,
    about = "sotto's relay: sealed call signalling between browsers, TURN credentials, and the web app"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "SOTTO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the message store (SQLite, WAL). Created if missing.
    #[arg(long, env = "SOTTO_DATA_DIR", default_value = "sotto-data")]
    pub data_dir: PathBuf,

    /// Directory of the built web app (`trunk build` output). Unknown paths serve its index.html.
    #[arg(long, env = "SOTTO_DIST_DIR", default_value = "dist")]
    pub dist_dir: PathBuf,

    /// Largest WebSocket message accepted; larger ones close the socket with 1009.
    #[arg(long, env = "SOTTO_MAX_FRAME_BYTES", default_value_t = 64 * 1024)]
    pub max_frame_bytes: usize,

    /// Largest payload after base64 decoding; larger sends get `too_large`.
    #[arg(long, env = "SOTTO_MAX_PAYLOAD_BYTES", default_value_t = 40 * 1024)]
    pub max_payload_bytes: usize,

    /// Unacknowledged messages a queue may hold before sends get `queue_full`.
    #[arg(long, env = "SOTTO_MAX_PENDING", default_value_t = 256)]
    pub max_pending: u32,

    /// How long an unacknowledged message is kept, in seconds (default 14 days).
    #[arg(long, env = "SOTTO_MESSAGE_TTL_SECS", default_value_t = 14 * 24 * 3600)]
    pub message_ttl_secs: u64,

    /// Requests per second a connection may make on average.
    #[arg(long, env = "SOTTO_RATE_LIMIT_PER_SEC", default_value_t = 50)]
    pub rate_limit_per_sec: u32,

    /// Requests a connection may make in a burst.
    #[arg(long, env = "SOTTO_RATE_LIMIT_BURST", default_value_t = 200)]
    pub rate_limit_burst: u32,

    /// Outgoing messages buffered per connection; a client that falls further behind is
    /// disconnected (its unacknowledged messages stay stored).
    #[arg(long, env = "SOTTO_SEND_BUFFER", default_value_t = 512)]
    pub send_buffer: usize,

    /// A TURN server URL handed to browsers, e.g. `turn:turn.example:3478?transport=udp`.
    /// Repeat for several (the environment variable takes a comma-separated list).
    #[arg(long = "turn-url", env = "SOTTO_TURN_URL", value_delimiter = ',')]
    pub turn_urls: Vec<String>,

    /// The coturn `static-auth-secret` (`use-auth-secret`) used to mint credentials.
    #[arg(long, env = "SOTTO_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,

    /// Lifetime of minted TURN credentials, in seconds.
    #[arg(long, env = "SOTTO_TURN_TTL", default_value_t = 3600)]
    pub turn_ttl: u64,

    /// An Origin allowed to open the relay WebSocket, e.g. `https://sotto.example`. Repeatable
    /// (comma-separated in the environment). Default: only the shim's own host.
    #[arg(
        long = "allowed-origin",
        env = "SOTTO_ALLOWED_ORIGIN",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// How often expired messages are swept, in seconds.
    #[arg(long, env = "SOTTO_SWEEP_SECS", default_value_t = 60)]
    pub sweep_secs: u64,
}

impl Config {
    /// A configuration for tests and embedding: defaults, with the given directories.
    #[must_use]
    pub fn for_dirs(data_dir: PathBuf, dist_dir: PathBuf) -> Self {
        let mut config = <Self as clap::Parser>::parse_from(["sotto-shim"]);
        config.data_dir = data_dir;
        config.dist_dir = dist_dir;
        config
    }

    /// Checks what clap cannot.
    ///
    /// # Errors
    /// A message naming the bad setting.
    pub fn validate(&self) -> Result<(), String> {
        if !self.turn_urls.is_empty() && self.turn_secret.as_deref().is_none_or(str::is_empty) {
            return Err("--turn-url needs --turn-secret (the coturn static-auth-secret)".into());
        }
        if let Some(bad) = self.turn_urls.iter().find(|u| {
            !(u.starts_with("turn:") || u.starts_with("turns:") || u.starts_with("stun:"))
        }) {
            return Err(format!(
                "--turn-url {bad:?} must start with turn:, turns: or stun:"
            ));
        }
        if let Some(bad) = self
            .allowed_origins
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(format!(
                "--allowed-origin {bad:?} must be an origin like https://sotto.example"
            ));
        }
        if self.max_payload_bytes >= self.max_frame_bytes {
            return Err("--max-payload-bytes must be below --max-frame-bytes (base64 grows payloads by a third)".into());
        }
        if self.rate_limit_per_sec == 0
            || self.rate_limit_burst == 0
            || self.max_pending == 0
            || self.send_buffer == 0
        {
            return Err("rate limits, --max-pending and --send-buffer must be at least 1".into());
        }
        Ok(())
    }

    pub(crate) fn message_ttl(&self) -> Duration {
        Duration::from_secs(self.message_ttl_secs)
    }
}
