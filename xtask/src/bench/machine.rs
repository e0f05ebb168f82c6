//! The report's header: how it was made, when, and on what.

use crate::sh;

pub(super) fn header() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or_else(
            || "?".into(),
            |kb| format!("{:.0} GiB", kb as f64 / 1048576.0),
        );
    let line = |program: &str, args: &[&str]| {
        sh::output(program, args).map_or_else(|| "?".into(), |s| s.trim().to_owned())
    };
    format!(
        "# Benchmarks\n\n\
         Made by `cargo xtask bench` on {date}. Every figure is a ratio against a baseline \
         measured in the same run, on the same machine; absolute times vary with the machine \
         and its load (the load average when the run began: {load}).\n\n\
         - Machine: {cpu}, {cores} cores, {memory} RAM; {kernel}\n\
         - Toolchain: {rustc}; {chromium}\n",
        date = line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        load = std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "?".into()),
        kernel = line("uname", &["-srm"]),
        rustc = line("rustc", &["--version"]),
        chromium = line("chromium", &["--version"]),
    )
}
