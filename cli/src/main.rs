//! `sotto-cli`: a headless sotto endpoint. It keeps a profile in `--data-dir`, drives the
//! client core against its relay, and offers signal-cli's JSON-RPC for calls (stdio, a UNIX
//! socket, TCP). Each call's media runs in its own `sotto-call-tunnel` process.

#![forbid(unsafe_code)]

mod app;
mod driver;
mod qr;
mod relay;
mod rpc;
mod store;
mod tunnel;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = app::Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(app::run(cli));
    // tokio's stdin reader (jsonRpc, call) may still sit in a blocking read: do not wait.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
