//! Builds the web app with trunk (offline: it must use the pinned tools, never download) and
//! reports the gzip sizes of the app and the frame worker.
//!
//! The browser tests need the app's test-only switches (a short ring, a wrong frame key), which
//! release builds leave out: `cargo xtask test`, `e2e` and `cargo xtask build-web --test-switches`
//! build with the `test-switches` feature; `cargo xtask run` and a plain `build-web` do not.

use std::io::Write as _;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::sh;

pub(crate) fn build() -> Result<(), String> {
    if for_tests() {
        println!("building the web app with its test-only switches (for the browser tests)");
        sh::run(
            "trunk",
            &[
                "build",
                "--release",
                "--offline",
                "--features",
                "test-switches",
            ],
        )?;
    } else {
        sh::run("trunk", &["build", "--release", "--offline"])?;
    }
    print_sizes(&sh::root().join("dist"))
}

/// Whether this xtask run builds the app for the browser tests.
fn for_tests() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    args.first()
        .is_some_and(|command| command == "test" || command == "e2e")
        || args.iter().any(|a| a == "--test-switches")
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes).expect("writing to memory");
    gz.finish().expect("writing to memory").len()
}

/// Raw and gzip bytes of wasm + js, for the app and for the frame worker.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BundleSizes {
    pub(crate) app: (usize, usize),
    pub(crate) worker: (usize, usize),
}

/// Sums wasm + js per bundle: files named `frame_worker*` are the worker, the rest the app.
pub(crate) fn bundle_sizes(dist: &Path) -> Result<BundleSizes, String> {
    let entries =
        std::fs::read_dir(dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    let mut sizes = BundleSizes::default();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".wasm") || name.ends_with(".js")) {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(|e| format!("cannot read {name}: {e}"))?;
        let bundle = if name.starts_with("frame_worker") {
            &mut sizes.worker
        } else {
            &mut sizes.app
        };
        bundle.0 += bytes.len();
        bundle.1 += gzip_len(&bytes);
    }
    Ok(sizes)
}

/// Gzip size goals, KiB, for the app and the frame worker (wasm + js).
pub(crate) const APP_GOAL_KIB: usize = 350;
pub(crate) const WORKER_GOAL_KIB: usize = 80;

pub(crate) fn kib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

fn print_sizes(dist: &Path) -> Result<(), String> {
    let BundleSizes { app, worker } = bundle_sizes(dist)?;
    println!("bundle sizes (wasm + js):");
    println!(
        "  app:    {:7.1} KiB, {:6.1} KiB gzip (goal ≤ {APP_GOAL_KIB})",
        kib(app.0),
        kib(app.1)
    );
    println!(
        "  worker: {:7.1} KiB, {:6.1} KiB gzip (goal ≤ {WORKER_GOAL_KIB})",
        kib(worker.0),
        kib(worker.1)
    );
    Ok(())
}
