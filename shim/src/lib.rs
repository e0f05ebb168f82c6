//! # sotto-shim
//!
//! The one binary self-hosters run: relay queues through which browsers exchange sealed
//! signalling (DESIGN §1), bridged over WebSocket; the built web app; TURN credentials. It never
//! sees plaintext: payloads are HPKE envelopes it stores and forwards as opaque bytes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sotto_shim::ShimError> {
//! let config = sotto_shim::Config::for_dirs("data".into(), "dist".into());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! sotto_shim::serve(config, listener, sotto_shim::shutdown_signal()).await
//! # }
//! ```

#![forbid(unsafe_code)]

mod clock;
mod config;
mod conn;
mod error;
mod metrics;
mod rate;
mod relay;
mod routes;
mod server;
mod socket;
pub mod store;
mod turn;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;
pub use conn::{Conn, Outbox, OutboxReader};
pub use error::{ConfigError, ShimError};
pub use metrics::Metrics;
pub use relay::{Limits, Relay, Turn};
pub use turn::{TurnSecret, credentials as turn_credentials};

/// What every request handler shares.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) config: Arc<Config>,
    pub(crate) relay: Arc<Relay>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) shutdown: CancellationToken,
    /// Every open WebSocket, so shutdown can wait for their Close frames.
    pub(crate) sockets: TaskTracker,
}

/// Where the shim listens: the public port, and optionally the private metrics port.
#[derive(Debug)]
pub struct Listeners {
    /// The web app and `/ws`.
    pub public: TcpListener,
    /// `/metrics` only; `None` serves no metrics.
    pub metrics: Option<TcpListener>,
}

/// Serves until `shutdown` resolves, with the system clock and the SQLite store in
/// `config.data_dir`; binds `config.metrics_listen` if set.
///
/// # Errors
/// A bad configuration, an unusable data directory or metrics address.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ShimError> {
    config.validate()?;
    let metrics = match config.metrics_listen {
        Some(addr) => Some(TcpListener::bind(addr).await.map_err(ShimError::Listener)?),
        None => None,
    };
    let listeners = Listeners {
        public: listener,
        metrics,
    };
    serve_with_clock(config, listeners, shutdown, Arc::new(SystemClock)).await
}

/// [`serve`] with given listeners and an injected clock (tests expire messages without
/// waiting).
///
/// # Errors
/// As [`serve`].
pub async fn serve_with_clock(
    config: Config,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
    clock: Arc<dyn Clock>,
) -> Result<(), ShimError> {
    config.validate()?;
    let capacity = store::Capacity {
        max_queues: config.max_queues,
        max_stored_bytes: config.max_stored_bytes,
    };
    let store: Arc<dyn store::Store> =
        Arc::new(store::SqliteStore::open(&config.data_dir, capacity)?);
    if !config.dist_dir.join("index.html").is_file() {
        tracing::warn!(dist = %config.dist_dir.display(), "no web app found (run `cargo xtask run`); serving the relay only");
    }
    let metrics = Arc::new(Metrics::default());
    let limits = Limits {
        max_payload_bytes: config.max_payload_bytes,
        max_pending: config.max_pending,
        delivery_window: config.delivery_window,
        queues_per_ip_per_hour: config.queues_per_ip_per_hour,
        queue_idle_ms: config.queue_idle_secs.saturating_mul(1000),
        message_ttl_ms: config
            .message_ttl()
            .as_millis()
            .try_into()
            .unwrap_or(u64::MAX),
    };
    let turn = Turn {
        urls: config.turn_urls.clone(),
        secret: config.turn_secret.clone(),
        ttl_s: config.turn_ttl,
    };
    let relay = Arc::new(Relay::new(
        Arc::clone(&store),
        clock,
        Arc::clone(&metrics),
        limits,
        turn,
    ));
    let token = CancellationToken::new();
    let state = AppState {
        config: Arc::new(config),
        relay: Arc::clone(&relay),
        metrics,
        shutdown: token.clone(),
        sockets: TaskTracker::new(),
    };

    let sweeper = {
        let (relay, token, every) = (
            Arc::clone(&relay),
            token.clone(),
            Duration::from_secs(state.config.sweep_secs.max(1)),
        );
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tokio::select! {
                    () = token.cancelled() => return,
                    _ = tick.tick() => { relay.sweep().await; }
                }
            }
        })
    };

    let addr = listeners.public.local_addr().map_err(ShimError::Listener)?;
    println!("sotto shim listening on http://{addr}");
    tracing::info!(%addr, "listening");

    let metrics_server = listeners.metrics.map(|listener| {
        if let Ok(addr) = listener.local_addr() {
            println!("metrics listening on http://{addr}/metrics");
        }
        let app = routes::metrics_router(state.clone());
        let stop = token.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await
        })
    });

    let caps = server::ConnectionCaps::new(
        state.config.max_connections,
        state.config.max_connections_per_ip,
    );
    let header_read_timeout = Duration::from_millis(state.config.header_read_timeout_ms);
    let sockets = state.sockets.clone();
    let app = routes::router(state);
    let stop = token.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: closing sockets");
        // Stop accepting; tell every open socket to send Close and finish.
        stop.cancel();
    });
    server::serve(
        listeners.public,
        app,
        caps,
        header_read_timeout,
        token.clone(),
    )
    .await;
    sockets.close();
    let _ = tokio::time::timeout(Duration::from_secs(10), sockets.wait()).await;
    token.cancel();
    let _ = sweeper.await;
    if let Some(metrics_server) = metrics_server {
        let _ = metrics_server.await;
    }
    store.flush().await.map_err(ShimError::Flush)?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
