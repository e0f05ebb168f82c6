//! Flags, each with a `SOTTO_*` environment fallback and documented in `--help`.
//!
//! Every default is a constant used both by clap and by [`Config::default`], so tests build a
//! configuration without parsing flags or reading the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::ConfigError;
use crate::turn::TurnSecret;

const KIB: usize = 1024;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// The defaults, one place.
mod defaults {
    use super::{DAY, KIB};
    pub(super) const LISTEN: &str = "127.0.0.1:8080";
    pub(super) const DATA_DIR: &str = "sotto-data";
    pub(super) const DIST_DIR: &str = "dist";
    pub(super) const MAX_FRAME_BYTES: usize = 64 * KIB;
    pub(super) const MAX_PAYLOAD_BYTES: usize = 40 * KIB;
    pub(super) const MAX_PENDING: u32 = 256;
    pub(super) const MESSAGE_TTL_SECS: u64 = 14 * DAY;
    pub(super) const RATE_LIMIT_PER_SEC: u32 = 50;
    pub(super) const RATE_LIMIT_BURST: u32 = 200;
    pub(super) const MAX_SOCKET_BYTES: usize = 1024 * KIB;
    pub(super) const DELIVERY_WINDOW: u32 = 32;
    pub(super) const WRITE_TIMEOUT_MS: u64 = 10_000;
    pub(super) const PING_INTERVAL_MS: u64 = 5_000;
    pub(super) const PONG_TIMEOUT_MS: u64 = 5_000;
    pub(super) const HEADER_READ_TIMEOUT_MS: u64 = 10_000;
    pub(super) const MAX_CONNECTIONS: usize = 20_000;
    pub(super) const MAX_CONNECTIONS_PER_IP: usize = 64;
    pub(super) const QUEUES_PER_CONNECTION_PER_HOUR: u32 = 60;
    pub(super) const QUEUES_PER_IP_PER_HOUR: u32 = 300;
    pub(super) const MAX_QUEUES: u64 = 1_000_000;
    pub(super) const MAX_STORED_BYTES: u64 = 1024 * 1024 * 1024;
    pub(super) const QUEUE_IDLE_SECS: u64 = 30 * DAY;
    pub(super) const TURN_TTL: u64 = 3600;
    pub(super) const SWEEP_SECS: u64 = 60;
}

/// How a self-hoster configures the shim.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "sotto-shim",
    version,
    about = "sotto's relay: sealed call signalling between browsers, TURN credentials, and the web app"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "SOTTO_LISTEN", default_value = defaults::LISTEN)]
    pub listen: SocketAddr,

    /// Address of the private Prometheus `/metrics` listener. Off unless set; must be a loopback
    /// address unless `--metrics-allow-public` is given. Never served on `--listen`.
    #[arg(long, env = "SOTTO_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Allow `--metrics-listen` on a non-loopback address (metrics are traffic-analysis data).
    #[arg(long, env = "SOTTO_METRICS_ALLOW_PUBLIC")]
    pub metrics_allow_public: bool,

    /// Directory for the message store (SQLite, WAL). Created if missing.
    #[arg(long, env = "SOTTO_DATA_DIR", default_value = defaults::DATA_DIR)]
    pub data_dir: PathBuf,

    /// Directory of the built web app (`trunk build` output). Unknown paths serve its index.html.
    #[arg(long, env = "SOTTO_DIST_DIR", default_value = defaults::DIST_DIR)]
    pub dist_dir: PathBuf,

    /// Largest WebSocket message accepted; larger ones close the socket with 1009.
    #[arg(long, env = "SOTTO_MAX_FRAME_BYTES", default_value_t = defaults::MAX_FRAME_BYTES)]
    pub max_frame_bytes: usize,

    /// Largest payload after base64 decoding; larger sends get `too_large`.
    #[arg(long, env = "SOTTO_MAX_PAYLOAD_BYTES", default_value_t = defaults::MAX_PAYLOAD_BYTES)]
    pub max_payload_bytes: usize,

    /// Unacknowledged messages a queue may hold before sends get `queue_full`.
    #[arg(long, env = "SOTTO_MAX_PENDING", default_value_t = defaults::MAX_PENDING)]
    pub max_pending: u32,

    /// How long an unacknowledged message is kept, in seconds (default 14 days).
    #[arg(long, env = "SOTTO_MESSAGE_TTL_SECS", default_value_t = defaults::MESSAGE_TTL_SECS)]
    pub message_ttl_secs: u64,

    /// Frames per second a connection may send on average (every frame: text, binary, ping).
    #[arg(long, env = "SOTTO_RATE_LIMIT_PER_SEC", default_value_t = defaults::RATE_LIMIT_PER_SEC)]
    pub rate_limit_per_sec: u32,

    /// Frames a connection may send in a burst.
    #[arg(long, env = "SOTTO_RATE_LIMIT_BURST", default_value_t = defaults::RATE_LIMIT_BURST)]
    pub rate_limit_burst: u32,

    /// Bytes of outgoing frames queued per connection; a client further behind is disconnected
    /// (close 1008; its unacknowledged messages stay stored).
    #[arg(long, env = "SOTTO_MAX_SOCKET_BYTES", default_value_t = defaults::MAX_SOCKET_BYTES)]
    pub max_socket_bytes: usize,

    /// Messages pushed to a subscription and not yet acknowledged, at most; acks open the window.
    #[arg(long, env = "SOTTO_DELIVERY_WINDOW", default_value_t = defaults::DELIVERY_WINDOW)]
    pub delivery_window: u32,

    /// A write to a client that takes longer than this, in ms, disconnects it.
    #[arg(long, env = "SOTTO_WRITE_TIMEOUT_MS", default_value_t = defaults::WRITE_TIMEOUT_MS)]
    pub write_timeout_ms: u64,

    /// How often the shim pings each WebSocket, in ms.
    #[arg(long, env = "SOTTO_PING_INTERVAL_MS", default_value_t = defaults::PING_INTERVAL_MS)]
    pub ping_interval_ms: u64,

    /// A ping not answered by a pong within this many ms closes the socket.
    #[arg(long, env = "SOTTO_PONG_TIMEOUT_MS", default_value_t = defaults::PONG_TIMEOUT_MS)]
    pub pong_timeout_ms: u64,

    /// A client must send a request's complete HTTP headers within this many ms.
    #[arg(long, env = "SOTTO_HEADER_READ_TIMEOUT_MS", default_value_t = defaults::HEADER_READ_TIMEOUT_MS)]
    pub header_read_timeout_ms: u64,

    /// Open TCP connections, in total; more are answered 503 and closed.
    #[arg(long, env = "SOTTO_MAX_CONNECTIONS", default_value_t = defaults::MAX_CONNECTIONS)]
    pub max_connections: usize,

    /// Open TCP connections from one IP address; more are answered 503 and closed.
    #[arg(long, env = "SOTTO_MAX_CONNECTIONS_PER_IP", default_value_t = defaults::MAX_CONNECTIONS_PER_IP)]
    pub max_connections_per_ip: usize,

    /// Queues one connection may create per hour; more get `rate_limited`.
    #[arg(long, env = "SOTTO_QUEUES_PER_CONNECTION_PER_HOUR", default_value_t = defaults::QUEUES_PER_CONNECTION_PER_HOUR)]
    pub queues_per_connection_per_hour: u32,

    /// Queues one IP address may create per hour; more get `rate_limited`.
    #[arg(long, env = "SOTTO_QUEUES_PER_IP_PER_HOUR", default_value_t = defaults::QUEUES_PER_IP_PER_HOUR)]
    pub queues_per_ip_per_hour: u32,

    /// Queues the store may hold in total; more `create_queue`s get `queue_full`.
    #[arg(long, env = "SOTTO_MAX_QUEUES", default_value_t = defaults::MAX_QUEUES)]
    pub max_queues: u64,

    /// Payload bytes the store may hold in total; more sends get `queue_full`. Set it well
    /// below the free space of `--data-dir`.
    #[arg(long, env = "SOTTO_MAX_STORED_BYTES", default_value_t = defaults::MAX_STORED_BYTES)]
    pub max_stored_bytes: u64,

    /// A queue with no send and no subscribe for this many seconds is deleted (default 30 days).
    #[arg(long, env = "SOTTO_QUEUE_IDLE_SECS", default_value_t = defaults::QUEUE_IDLE_SECS)]
    pub queue_idle_secs: u64,

    /// A TURN server URL handed to browsers, e.g. `turn:turn.example:3478?transport=udp`.
    /// Repeat for several (the environment variable takes a comma-separated list).
    #[arg(long = "turn-url", env = "SOTTO_TURN_URL", value_delimiter = ',')]
    pub turn_urls: Vec<String>,

    /// The coturn `static-auth-secret` (`use-auth-secret`) used to mint credentials.
    #[arg(long, env = "SOTTO_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<TurnSecret>,

    /// Lifetime of minted TURN credentials, in seconds.
    #[arg(long, env = "SOTTO_TURN_TTL", default_value_t = defaults::TURN_TTL)]
    pub turn_ttl: u64,

    /// An Origin allowed to open the relay WebSocket, e.g. `https://sotto.example`. Repeatable
    /// (comma-separated in the environment). Default: only the shim's own host.
    #[arg(
        long = "allowed-origin",
        env = "SOTTO_ALLOWED_ORIGIN",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// How often expired messages and idle queues are swept, in seconds.
    #[arg(long, env = "SOTTO_SWEEP_SECS", default_value_t = defaults::SWEEP_SECS)]
    pub sweep_secs: u64,
}

impl Default for Config {
    /// The flags' defaults, without parsing arguments or reading `SOTTO_*` variables.
    fn default() -> Self {
        Self {
            listen: defaults::LISTEN.parse().expect("a valid default address"),
            metrics_listen: None,
            metrics_allow_public: false,
            data_dir: defaults::DATA_DIR.into(),
            dist_dir: defaults::DIST_DIR.into(),
            max_frame_bytes: defaults::MAX_FRAME_BYTES,
            max_payload_bytes: defaults::MAX_PAYLOAD_BYTES,
            max_pending: defaults::MAX_PENDING,
            message_ttl_secs: defaults::MESSAGE_TTL_SECS,
            rate_limit_per_sec: defaults::RATE_LIMIT_PER_SEC,
            rate_limit_burst: defaults::RATE_LIMIT_BURST,
            max_socket_bytes: defaults::MAX_SOCKET_BYTES,
            delivery_window: defaults::DELIVERY_WINDOW,
            write_timeout_ms: defaults::WRITE_TIMEOUT_MS,
            ping_interval_ms: defaults::PING_INTERVAL_MS,
            pong_timeout_ms: defaults::PONG_TIMEOUT_MS,
            header_read_timeout_ms: defaults::HEADER_READ_TIMEOUT_MS,
            max_connections: defaults::MAX_CONNECTIONS,
            max_connections_per_ip: defaults::MAX_CONNECTIONS_PER_IP,
            queues_per_connection_per_hour: defaults::QUEUES_PER_CONNECTION_PER_HOUR,
            queues_per_ip_per_hour: defaults::QUEUES_PER_IP_PER_HOUR,
            max_queues: defaults::MAX_QUEUES,
            max_stored_bytes: defaults::MAX_STORED_BYTES,
            queue_idle_secs: defaults::QUEUE_IDLE_SECS,
            turn_urls: Vec::new(),
            turn_secret: None,
            turn_ttl: defaults::TURN_TTL,
            allowed_origins: Vec::new(),
            sweep_secs: defaults::SWEEP_SECS,
        }
    }
}

impl Config {
    /// A configuration for tests and embedding: defaults, with the given directories.
    #[must_use]
    pub fn for_dirs(data_dir: PathBuf, dist_dir: PathBuf) -> Self {
        Self {
            data_dir,
            dist_dir,
            ..Self::default()
        }
    }

    /// Checks what clap cannot.
    ///
    /// # Errors
    /// The bad setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.turn_urls.is_empty() && self.turn_secret.as_ref().is_none_or(TurnSecret::is_empty)
        {
            return Err(ConfigError::TurnUrlWithoutSecret);
        }
        if let Some(bad) = self.turn_urls.iter().find(|u| {
            !(u.starts_with("turn:") || u.starts_with("turns:") || u.starts_with("stun:"))
        }) {
            return Err(ConfigError::TurnUrl(bad.clone()));
        }
        if let Some(bad) = self
            .allowed_origins
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(ConfigError::Origin(bad.clone()));
        }
        if self.max_payload_bytes >= self.max_frame_bytes {
            return Err(ConfigError::PayloadNotBelowFrame);
        }
        if self.max_socket_bytes < 2 * self.max_frame_bytes {
            return Err(ConfigError::SocketBytesTooSmall);
        }
        if let Some(addr) = self.metrics_listen
            && !addr.ip().is_loopback()
            && !self.metrics_allow_public
        {
            return Err(ConfigError::PublicMetrics(addr));
        }
        let zero = [
            ("--rate-limit-per-sec", self.rate_limit_per_sec == 0),
            ("--rate-limit-burst", self.rate_limit_burst == 0),
            ("--max-pending", self.max_pending == 0),
            ("--delivery-window", self.delivery_window == 0),
            ("--max-connections", self.max_connections == 0),
            ("--max-connections-per-ip", self.max_connections_per_ip == 0),
            (
                "--queues-per-connection-per-hour",
                self.queues_per_connection_per_hour == 0,
            ),
            ("--queues-per-ip-per-hour", self.queues_per_ip_per_hour == 0),
            ("--write-timeout-ms", self.write_timeout_ms == 0),
            ("--ping-interval-ms", self.ping_interval_ms == 0),
            ("--pong-timeout-ms", self.pong_timeout_ms == 0),
            ("--header-read-timeout-ms", self.header_read_timeout_ms == 0),
        ];
        if let Some((flag, _)) = zero.iter().find(|(_, is_zero)| *is_zero) {
            return Err(ConfigError::Zero(flag));
        }
        Ok(())
    }

    pub(crate) fn message_ttl(&self) -> Duration {
        Duration::from_secs(self.message_ttl_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explicit_default_is_what_clap_would_parse() {
        // Parsing reads SOTTO_* variables; compare only when none is set, so the test never
        // depends on the environment it runs in.
        if std::env::vars().any(|(k, _)| k.starts_with("SOTTO_")) {
            return;
        }
        let parsed = <Config as clap::Parser>::parse_from(["sotto-shim"]);
        assert_eq!(format!("{parsed:?}"), format!("{:?}", Config::default()));
    }

    #[test]
    fn the_default_is_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn metrics_on_a_public_address_need_explicit_permission() {
        let mut config = Config {
            metrics_listen: Some("0.0.0.0:9090".parse().unwrap()),
            ..Config::default()
        };
        assert!(matches!(
            config.validate(),
            Err(ConfigError::PublicMetrics(_))
        ));
        config.metrics_allow_public = true;
        config.validate().unwrap();
    }

    #[test]
    fn debug_never_prints_the_turn_secret() {
        let config = Config {
            turn_urls: vec!["turn:t.example:3478".into()],
            turn_secret: Some("hunter2-very-secret".parse().unwrap()),
            ..Config::default()
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("TurnSecret(..)"), "{debug}");
    }
}
