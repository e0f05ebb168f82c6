//! `cargo xtask bench [crypto|relay|abuse|bundle|browser|native]`: benchmarks, each reported as ratios
//! against a baseline measured in the same run. With no argument it runs them all and writes the
//! report to `BENCHMARKS.md` (the command, the date, the machine, then each bench's figures).

mod bundle;
mod crypto;
mod machine;

use crate::sh;

/// The benches, in the order `all` runs them.
const ALL: [&str; 6] = ["crypto", "relay", "abuse", "bundle", "browser", "native"];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let which = args.first().map_or("all", String::as_str);
    if which == "all" {
        // Everything is built first, so the benches run back to back and their time is the
        // measuring alone (a cold build adds ~10 minutes, mostly release LTO links).
        let started = std::time::Instant::now();
        for bench in ALL {
            build(bench)?;
        }
        let built = started.elapsed();
        let measuring = std::time::Instant::now();
        let mut report = machine::header();
        for bench in ALL {
            report.push_str(&measure(bench)?);
        }
        report.push_str(&format!(
            "\nAll benches took {:.1} minutes, after {:.1} minutes of building what they run.\n",
            measuring.elapsed().as_secs_f64() / 60.0,
            built.as_secs_f64() / 60.0,
        ));
        let path = sh::root().join("BENCHMARKS.md");
        std::fs::write(&path, report).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("report written to {}", path.display());
        return Ok(());
    }
    if !ALL.contains(&which) {
        return Err(format!(
            "unknown bench {which:?}; one of {ALL:?}, or none for all"
        ));
    }
    build(which)?;
    measure(which).map(|_| ())
}

/// Builds what one bench runs (release binaries: their speed is what is measured).
fn build(bench: &str) -> Result<(), String> {
    match bench {
        "crypto" => sh::run(
            "cargo",
            &[
                "bench",
                "-p",
                "sotto-shared",
                "--bench",
                "crypto",
                "--no-run",
            ],
        ),
        // The shim's benches start the release shim binary as a separate process.
        "relay" | "abuse" => sh::run(
            "cargo",
            &["build", "--release", "-p", "sotto-shim", "--bins"],
        ),
        "bundle" => {
            crate::setup::all(crate::setup::Need::WebBuild)?;
            web_app()
        }
        "browser" => {
            crate::setup::all(crate::setup::Need::Everything)?;
            web_app()?;
            sh::run(
                "cargo",
                &[
                    "build",
                    "--release",
                    "-p",
                    "sotto-e2e",
                    "--bin",
                    "browser-bench",
                ],
            )
        }
        _ => {
            crate::setup::all(crate::setup::Need::Everything)?;
            web_app()?;
            crate::browser_tests::build_benches()
        }
    }
}

/// Runs one bench (built by [`build`]); returns its section of the report.
fn measure(bench: &str) -> Result<String, String> {
    match bench {
        "crypto" => crypto::run(),
        "relay" => shim_bench(
            "relay-bench",
            "Relay throughput and latency (shim vs a bare forwarder)",
        ),
        "abuse" => shim_bench(
            "abuse-bench",
            "A good client's latency while the shim is attacked",
        ),
        "bundle" => bundle::run(),
        "browser" => browser(),
        _ => native(),
    }
}

/// The web app, built once per run: trunk re-runs wasm-opt on every build (about a minute).
fn web_app() -> Result<(), String> {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    if BUILT.get().is_none() {
        crate::web::build()?;
        let _ = BUILT.set(());
    }
    Ok(())
}

fn shim_bench(bin: &str, title: &str) -> Result<String, String> {
    let out = sh::run_captured(&release_bin(bin), &[])?;
    Ok(format!(
        "\n## {title}\n\n`{bin}` (`cargo xtask bench {}`):\n\n```text\n{out}```\n",
        bin.trim_end_matches("-bench")
    ))
}

/// Real headless Chromium: frame transforms, CPU and call set-up against their anchors.
fn browser() -> Result<String, String> {
    let out = sh::run_captured(&release_bin("browser-bench"), &[])?;
    Ok(format!(
        "\n## In the browser (`browser-bench`, `cargo xtask bench browser`)\n\n{out}"
    ))
}

/// The native endpoint's tunnel against a Chromium tab in the same audio call: a measuring test
/// of `tests/browser_native.rs`, run as the browser tests run (in a loopback-only namespace).
fn native() -> Result<String, String> {
    let out = sh::target_dir().join("bench-native.md");
    let _ = std::fs::remove_file(&out);
    crate::browser_tests::run_benches("browser_native", &out)?;
    let table = std::fs::read_to_string(&out)
        .map_err(|e| format!("the native bench wrote no report ({}): {e}", out.display()))?;
    Ok(format!(
        "\n## The native endpoint (`cargo xtask bench native`)\n\n{table}"
    ))
}

/// A release binary in the target directory cargo uses (`CARGO_TARGET_DIR` if set).
pub(crate) fn release_bin(name: &str) -> String {
    sh::target_dir()
        .join("release")
        .join(name)
        .display()
        .to_string()
}
