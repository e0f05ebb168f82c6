//! `cargo xtask <command>`: everything a developer or CI needs, from a fresh machine.
//!
//! - `setup`: install what is missing (pinned versions; see `setup.rs`)
//! - `run`:   set up, build the web app, start the shim, print the URL
//! - `test`:  `lint`, then set up, build and run every test (unit, scenario, vectors, shim,
//!   fuzz smoke, browsers)
//! - `lint`:  `cargo fmt --check` and `cargo clippy -D warnings` (native and wasm32), as `test` does
//! - `e2e`:   only the real-browser tests, as `test` runs them (the app built first)
//! - `bench [crypto|relay|abuse|bundle|browser|native]`: benchmarks as ratios against baselines of the
//!   same run; with no argument all of them, written to `BENCHMARKS.md`
//! - `fuzz [seconds]`: every fuzz target for a bounded time

mod bench;
mod browser_tests;
mod fuzz;
mod setup;
mod sh;
mod test;
mod web;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(c, r)| (c.as_str(), r));
    let result = match command {
        "setup" => setup::all(setup::Need::Everything),
        "run" => run(rest),
        "test" => test::all(rest),
        "lint" => test::checks(),
        "e2e" => setup::all(setup::Need::Everything)
            .and_then(|()| web::build())
            .and_then(|()| browser_tests::run()),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "build-web" => setup::all(setup::Need::WebBuild).and_then(|()| web::build()),
        _ => {
            eprintln!(
                "usage: cargo xtask <setup|run|test|lint|e2e|bench [crypto|relay|abuse|bundle|browser|native]|fuzz [seconds]|build-web>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the web app and runs the shim in the foreground, with its data in `target/sotto-data`.
fn run(extra: &[String]) -> Result<(), String> {
    setup::all(setup::Need::WebBuild)?;
    web::build()?;
    // `cargo xtask run -- --listen …` passes the `--` through; the shim's flags follow it.
    let extra = extra.strip_prefix(&["--".to_owned()][..]).unwrap_or(extra);
    run_shim(extra)
}

/// Starts the shim the way `cargo xtask run` does (also used by `test` to keep it working).
pub(crate) fn run_shim(extra: &[String]) -> Result<(), String> {
    let root = sh::root();
    let data = root.join("target/sotto-data");
    std::fs::create_dir_all(&data).map_err(|e| format!("cannot create {}: {e}", data.display()))?;
    let mut args: Vec<String> = [
        "run",
        "--release",
        "-p",
        "sotto-shim",
        "--bin",
        "sotto-shim",
        "--",
        "--dist-dir",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push(root.join("dist").display().to_string());
    args.push("--data-dir".into());
    args.push(data.display().to_string());
    args.extend(extra.iter().cloned());
    sh::run(
        "cargo",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    )
}
