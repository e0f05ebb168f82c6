//! `sotto-call-tunnel`: see the library docs. Reads stdin, writes stdout, logs on stderr.

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    // The TURN crates log every poll at INFO and the ordinary 401 challenge of every
    // allocation as an ERROR: quiet them whatever RUST_LOG says (the tunnel reports what
    // matters about TURN itself).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info".into())
        .add_directive("turn_client_proto=warn".parse().expect("a directive"))
        .add_directive("stun_proto=off".parse().expect("a directive"));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(filter)
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(sotto_call_tunnel::run(
        tokio::io::stdin(),
        tokio::io::stdout(),
    ));
    // After SIGTERM, tokio's stdin reader may still block on a read that never returns;
    // do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(2)
        }
    }
}
