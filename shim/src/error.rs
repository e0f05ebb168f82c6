//! Why the shim cannot start or keep serving. Client-visible errors are the wire's closed
//! `ErrorCode` set; these are for the operator.

use std::net::SocketAddr;

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// TURN URLs without the secret to mint credentials for them.
    #[error("--turn-url needs --turn-secret (the coturn static-auth-secret)")]
    TurnUrlWithoutSecret,
    /// A TURN URL with another scheme.
    #[error("--turn-url {0:?} must start with turn:, turns: or stun:")]
    TurnUrl(String),
    /// An allowed origin that is not an origin.
    #[error("--allowed-origin {0:?} must be an origin like https://sotto.example")]
    Origin(String),
    /// Payload limit not below the frame limit.
    #[error(
        "--max-payload-bytes must be below --max-frame-bytes (base64 grows payloads by a third)"
    )]
    PayloadNotBelowFrame,
    /// A socket budget that cannot hold two frames.
    #[error("--max-socket-bytes must be at least twice --max-frame-bytes")]
    SocketBytesTooSmall,
    /// Metrics on a public address without saying so.
    #[error(
        "--metrics-listen {0} is not a loopback address; metrics are traffic-analysis data (add --metrics-allow-public to serve them there anyway)"
    )]
    PublicMetrics(SocketAddr),
    /// A limit of zero.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
}

/// Why [`crate::serve`] stopped or could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShimError {
    /// A bad setting.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data directory cannot be used.
    #[error("cannot create data dir {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database cannot be opened or written.
    #[error("cannot use {path}: {source}")]
    Database {
        /// The database file.
        path: std::path::PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// A listener failed.
    #[error("listener failed: {0}")]
    Listener(#[source] std::io::Error),
    /// The store could not be flushed at shutdown.
    #[error("store flush failed: {0}")]
    Flush(#[source] crate::store::StoreError),
    /// The store thread could not be started.
    #[error("cannot start the store thread: {0}")]
    Thread(#[source] std::io::Error),
}
