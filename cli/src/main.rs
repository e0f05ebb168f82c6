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

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = app::Cli::parse();
    match app::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
