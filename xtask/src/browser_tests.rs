//! The real-browser tests (`sotto-e2e`), one test binary at a time. The browser ↔ native
//! tests run in a network namespace with only `lo`, so nothing the native endpoint or
//! Chromium gathers can reach past the machine; where the machine forbids namespaces they
//! run on its interfaces, and say why.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;

use crate::sh;

/// Test binaries of `sotto-e2e` that run in a namespace with only `lo`.
const LOOPBACK_ONLY: [&str; 1] = ["browser_native"];

pub(crate) fn run() -> Result<(), String> {
    // `bench_*` tests measure rather than check: `cargo xtask bench` runs them.
    run_binaries(None, &["--skip", "bench_"])
}

/// Runs the `bench_*` tests of `binary` (measurements), as the tests run, with
/// `SOTTO_BENCH_OUT` naming the file each writes its Markdown report to.
pub(crate) fn run_benches(binary: &str, out: &std::path::Path) -> Result<(), String> {
    run_binaries(Some((binary, out)), &["bench_", "--nocapture"])
}

/// Builds what [`run_benches`] runs: the release native binaries and the test binaries.
pub(crate) fn build_benches() -> Result<(), String> {
    artifacts(&native_build(true))?;
    artifacts(&TEST_BUILD).map(|_| ())
}

/// The native binaries the tests spawn; measured in release.
fn native_build(release: bool) -> Vec<&'static str> {
    let mut build = vec!["build", "-p", "sotto-cli", "-p", "sotto-call-tunnel"];
    if release {
        build.push("--release");
    }
    build
}

const TEST_BUILD: [&str; 5] = ["test", "-p", "sotto-e2e", "--tests", "--no-run"];

fn run_binaries(only: Option<(&str, &std::path::Path)>, extra: &[&str]) -> Result<(), String> {
    // Built here, outside the namespace: cargo needs nothing from the network then, and the
    // tests find the native binaries through SOTTO_NATIVE_BIN_DIR.
    let native = artifacts(&native_build(only.is_some()))?;
    let native_dir = native
        .iter()
        .find(|(name, _)| name == "sotto-cli")
        .and_then(|(_, exe)| exe.parent())
        .ok_or("cargo built no sotto-cli")?
        .to_path_buf();
    let tests = artifacts(&TEST_BUILD)?;
    let isolation = namespace_command();
    for (name, exe) in &tests {
        if only.is_some_and(|(binary, _)| binary != name) {
            continue;
        }
        let exe = exe.to_string_lossy();
        let mut args = vec![exe.as_ref(), "--ignored", "--test-threads=1"];
        args.extend_from_slice(extra);
        let mut cmd = match (&isolation, LOOPBACK_ONLY.contains(&name.as_str())) {
            (Ok(prefix), true) => {
                let mut cmd = sh::command(prefix[0], &prefix[1..]);
                cmd.args(["sh", "-c", "ip link set lo up && exec \"$@\"", "sh"])
                    .args(&args)
                    .env("SOTTO_E2E_LOOPBACK_ONLY", "1");
                cmd
            }
            (Err(reason), true) => {
                eprintln!("{name}: {reason}; running it on the machine's interfaces instead");
                sh::command(args[0], &args[1..])
            }
            _ => sh::command(args[0], &args[1..]),
        };
        cmd.current_dir(sh::root().join("tests"))
            .env("SOTTO_NATIVE_BIN_DIR", &native_dir);
        if let Some((_, out)) = only {
            cmd.env("SOTTO_BENCH_OUT", out);
        }
        sh::run_cmd(&mut cmd)?;
    }
    Ok(())
}

/// How to enter a fresh network namespace here: as root `unshare --net`, else in a user
/// namespace mapped to root; or why neither works.
fn namespace_command() -> Result<Vec<&'static str>, String> {
    let candidates: [&[&'static str]; 2] = [
        &["unshare", "--net"],
        &["unshare", "--net", "--map-root-user"],
    ];
    for prefix in candidates {
        let works = sh::command(prefix[0], &prefix[1..])
            .args(["ip", "link", "set", "lo", "up"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if works {
            return Ok(prefix.to_vec());
        }
    }
    Err(
        "this machine allows no network namespace (`unshare --net` and `unshare --net \
         --map-root-user` with `ip link set lo up` both failed)"
            .to_owned(),
    )
}

/// Runs a cargo build command with JSON messages; returns each executable it produced, by
/// target name, in cargo's order.
fn artifacts(args: &[&str]) -> Result<Vec<(String, PathBuf)>, String> {
    let mut full = args.to_vec();
    full.push("--message-format=json-render-diagnostics");
    let out = sh::command("cargo", &full)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("`cargo {}` failed", args.join(" ")));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        // `cargo test --no-run` also reports the package's binaries (built for the tests to
        // spawn); only test harnesses are run.
        .filter(|msg| args[0] != "test" || msg["profile"]["test"] == true)
        .filter_map(|msg| {
            let exe = msg["executable"].as_str()?;
            let name = msg["target"]["name"].as_str()?;
            Some((name.to_owned(), PathBuf::from(exe)))
        })
        .collect())
}
