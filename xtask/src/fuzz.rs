//! Every fuzz target for a bounded time. The machine has only stable Rust, so cargo-fuzz runs
//! without a sanitizer (`-s none`) and `RUSTC_BOOTSTRAP=1` lets it pass its coverage flags.
//! Rust's own bounds and overflow checks (debug assertions are on) catch what ASan would.

use crate::sh;

pub(crate) const TARGETS: [&str; 7] = [
    "frame_decrypt",
    "sframe_header",
    "envelope_open",
    "signal_json",
    "relay_json",
    "invite_link",
    "phone_signals",
];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let seconds: u32 = args
        .first()
        .map_or(Ok(30), |s| s.parse())
        .map_err(|_| "usage: cargo xtask fuzz [seconds per target]")?;
    crate::setup::all(crate::setup::Need::Everything)?;
    run_all(seconds)
}

pub(crate) fn run_all(seconds: u32) -> Result<(), String> {
    for target in TARGETS {
        let max_time = format!("-max_total_time={seconds}");
        let mut cmd = sh::command(
            "cargo",
            &[
                "fuzz",
                "run",
                "--sanitizer",
                "none",
                "--debug-assertions",
                target,
                "--",
                &max_time,
                "-rss_limit_mb=2048",
            ],
        );
        cmd.current_dir(sh::root().join("shared"))
            .env("RUSTC_BOOTSTRAP", "1");
        sh::run_cmd(&mut cmd)?;
    }
    Ok(())
}
