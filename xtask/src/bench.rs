//! Benchmarks, reported as ratios against a baseline measured in the same run.

use std::path::Path;

use crate::sh;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let which = args.first().map_or("all", String::as_str);
    if matches!(which, "all" | "crypto") {
        crypto()?;
    }
    if matches!(which, "all" | "relay") {
        // The bench starts the release shim binary as a separate process, so build both.
        sh::run(
            "cargo",
            &["build", "--release", "-p", "sotto-shim", "--bins"],
        )?;
        sh::run(&release_bin("relay-bench"), &[])?;
    }
    if matches!(which, "all" | "abuse") {
        sh::run(
            "cargo",
            &["build", "--release", "-p", "sotto-shim", "--bins"],
        )?;
        sh::run(&release_bin("abuse-bench"), &[])?;
    }
    Ok(())
}

/// A release binary in the target directory cargo uses (`CARGO_TARGET_DIR` if set).
fn release_bin(name: &str) -> String {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| sh::root().join("target"), std::path::PathBuf::from)
        .join("release")
        .join(name)
        .display()
        .to_string()
}

fn crypto() -> Result<(), String> {
    sh::run(
        "cargo",
        &["bench", "-p", "sotto-shared", "--bench", "crypto"],
    )?;
    let dir = sh::root().join("target/criterion");
    println!("\nframe encrypt+decrypt vs bare ChaCha20-Poly1305 (same buffers):");
    println!(
        "  {:>6}  {:>10}  {:>10}  {:>6}",
        "bytes", "bare µs", "frame µs", "ratio"
    );
    for size in [100, 1_000, 6_000, 50_000] {
        let bare = mean_ns(&dir.join(format!("frame/bare_aead/{size}")))?;
        let ours = mean_ns(&dir.join(format!("frame/frame_v1/{size}")))?;
        println!(
            "  {size:>6}  {:>10.2}  {:>10.2}  {:>5.3}×",
            bare / 1e3,
            ours / 1e3,
            ours / bare
        );
    }
    let envelope = mean_ns(&dir.join("envelope/seal_open_4k"))?;
    println!("envelope seal+open, 4 KiB signal: {:.1} µs", envelope / 1e3);
    Ok(())
}

fn mean_ns(bench: &Path) -> Result<f64, String> {
    let path = bench.join("new/estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    json["mean"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{}: no mean", path.display()))
}
