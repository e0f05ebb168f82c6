//! Native frame and envelope crypto (criterion), against bare ChaCha20-Poly1305 on the same
//! buffers.

use std::fmt::Write as _;
use std::path::Path;

use crate::sh;

pub(super) fn run() -> Result<String, String> {
    sh::run(
        "cargo",
        &["bench", "-p", "sotto-shared", "--bench", "crypto"],
    )?;
    let dir = sh::target_dir().join("criterion");
    let mut out = String::from(
        "\n## Native frame crypto (`cargo xtask bench crypto`, criterion means)\n\n\
         | frame bytes | bare ChaCha20-Poly1305 µs | sotto frame v1 µs | ratio |\n\
         |---:|---:|---:|---:|\n",
    );
    for size in [100, 1_000, 6_000, 50_000] {
        let bare = mean_ns(&dir.join(format!("frame/bare_aead/{size}")))?;
        let ours = mean_ns(&dir.join(format!("frame/frame_v1/{size}")))?;
        let _ = writeln!(
            out,
            "| {size} | {:.2} | {:.2} | {:.3}× |",
            bare / 1e3,
            ours / 1e3,
            ours / bare
        );
    }
    let envelope = mean_ns(&dir.join("envelope/seal_open_4k"))?;
    let _ = writeln!(
        out,
        "\nEnvelope seal + open of a 4 KiB signal: {:.1} µs.",
        envelope / 1e3
    );
    print!("{out}");
    Ok(out)
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
