//! # sotto-shim
//!
//! The one binary self-hosters run: relay queues through which browsers exchange sealed
//! signalling (DESIGN §1), bridged over WebSocket; the built web app; TURN credentials. It never
//! sees plaintext: payloads are HPKE envelopes it stores and forwards as opaque bytes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! let config = sotto_shim::Config::for_dirs("data".into(), "dist".into());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! sotto_shim::serve(config, listener, sotto_shim::shutdown_signal()).await
//! # }
//! ```

#![forbid(unsafe_code)]

mod clock;
mod config;
mod metrics;
mod rate;
mod relay;
mod routes;
mod socket;
pub mod store;
mod turn;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Config;
pub use metrics::Metrics;
pub use relay::{Conn, Limits, Relay, Turn};
pub use turn::credentials as turn_credentials;

/// What every request handler shares.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) config: Arc<Config>,
    pub(crate) relay: Arc<Relay>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) shutdown: CancellationToken,
}

/// Serves until `shutdown` resolves, with the system clock and the SQLite store in
/// `config.data_dir`.
///
/// # Errors
/// A message for a bad configuration or an unusable data directory.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    serve_with_clock(config, listener, shutdown, Arc::new(SystemClock)).await
}

/// [`serve`] with an injected clock (tests expire messages without waiting).
///
/// # Errors
/// As [`serve`].
pub async fn serve_with_clock(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    clock: Arc<dyn Clock>,
) -> Result<(), String> {
    config.validate()?;
    let store: Arc<dyn store::Store> = Arc::new(store::SqliteStore::open(&config.data_dir)?);
    if !config.dist_dir.join("index.html").is_file() {
        tracing::warn!(dist = %config.dist_dir.display(), "no web app found (run `cargo xtask run`); serving the relay only");
    }
    let metrics = Arc::new(Metrics::default());
    let limits = Limits {
        max_payload_bytes: config.max_payload_bytes,
        max_pending: config.max_pending,
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

    let addr = listener
        .local_addr()
        .map_err(|e| format!("listener has no address: {e}"))?;
    println!("sotto shim listening on http://{addr}");
    tracing::info!(%addr, "listening");

    let app = routes::router(state);
    let stop = token.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: closing sockets");
        // Stop accepting; tell every open socket to send Close and finish.
        stop.cancel();
    });
    let result = server.await.map_err(|e| format!("server failed: {e}"));
    token.cancel();
    let _ = sweeper.await;
    store
        .flush()
        .await
        .map_err(|e| format!("store flush failed: {e}"))?;
    tracing::info!("stopped");
    result
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
