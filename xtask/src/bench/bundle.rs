//! The web bundle: wasm + js sizes, raw and gzip, of the app and of the frame worker, as
//! shipped (wasm-opt -Oz) and without wasm-opt.

use std::fmt::Write as _;

use crate::sh;
use crate::web::{APP_GOAL_KIB, BundleSizes, WORKER_GOAL_KIB, bundle_sizes, kib};

pub(super) fn run() -> Result<String, String> {
    // `dist` is the shipped build, made by `bench::build` before any bench measures.
    let plain = without_wasm_opt()?;
    let shipped = bundle_sizes(&sh::root().join("dist"))?;
    let mut out = String::from(
        "\n## Web bundle (`cargo xtask bench bundle`): wasm + js\n\n\
         | bundle | shipped KiB | shipped gzip KiB | without wasm-opt KiB | without wasm-opt gzip KiB | goal (gzip) |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for (name, goal, pick) in [
        (
            "app",
            APP_GOAL_KIB,
            (|s: &BundleSizes| s.app) as fn(&BundleSizes) -> (usize, usize),
        ),
        ("frame worker", WORKER_GOAL_KIB, |s: &BundleSizes| s.worker),
    ] {
        let (s, p) = (pick(&shipped), pick(&plain));
        let _ = writeln!(
            out,
            "| {name} | {:.1} | {:.1} | {:.1} | {:.1} | ≤ {goal} |",
            kib(s.0),
            kib(s.1),
            kib(p.0),
            kib(p.1)
        );
    }
    print!("{out}");
    Ok(out)
}

/// Builds the release app once more, into its own directory, with wasm-opt turned off: the
/// same `index.html` with `data-wasm-opt="0"`, written beside it (trunk resolves the links
/// relative to it) and removed afterwards.
fn without_wasm_opt() -> Result<BundleSizes, String> {
    let root = sh::root();
    let index =
        std::fs::read_to_string(root.join("index.html")).map_err(|e| format!("index.html: {e}"))?;
    let plain_index = root.join("index.no-wasm-opt.html");
    std::fs::write(&plain_index, wasm_opt_off(&index))
        .map_err(|e| format!("{}: {e}", plain_index.display()))?;
    let dist = sh::target_dir().join("dist-no-wasm-opt");
    let built = sh::run(
        "trunk",
        &[
            "build",
            "--release",
            "--offline",
            "--dist",
            &dist.display().to_string(),
            "index.no-wasm-opt.html",
        ],
    );
    let _ = std::fs::remove_file(&plain_index);
    built?;
    bundle_sizes(&dist)
}

/// `index` with every `data-wasm-opt="…"` (the app's `z`, the worker's `3`) set to `0`.
fn wasm_opt_off(index: &str) -> String {
    const ATTR: &str = "data-wasm-opt=\"";
    let mut out = String::with_capacity(index.len());
    let mut rest = index;
    while let Some(at) = rest.find(ATTR) {
        let value_start = at + ATTR.len();
        out.push_str(&rest[..value_start]);
        out.push('0');
        rest = &rest[value_start..];
        rest = &rest[rest.find('"').unwrap_or(0)..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_wasm_opt_level_is_turned_off() {
        let index = r#"<link data-bin="app" data-wasm-opt="z" /><link data-wasm-opt="3" />"#;
        assert_eq!(
            super::wasm_opt_off(index),
            r#"<link data-bin="app" data-wasm-opt="0" /><link data-wasm-opt="0" />"#
        );
    }
}
