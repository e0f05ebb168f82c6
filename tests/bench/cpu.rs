//! CPU time of one headless Chromium's renderer processes, and of their dedicated-worker
//! threads, read from `/proc` (Linux). The browser is found by its profile directory, which
//! its command line names; its renderers are its descendants started with `--type=renderer`.

use std::collections::HashMap;
use std::path::Path;

/// CPU seconds used so far (user + system).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuSeconds {
    /// All threads of all renderer processes.
    pub(crate) renderer: f64,
    /// The renderers' dedicated-worker threads (where frame transforms run).
    pub(crate) worker: f64,
}

impl std::ops::Sub for CpuSeconds {
    type Output = Self;
    fn sub(self, before: Self) -> Self {
        Self {
            renderer: self.renderer - before.renderer,
            worker: self.worker - before.worker,
        }
    }
}

/// Chromium names a dedicated worker's thread "DedicatedWorker thread"; the kernel keeps 15
/// bytes of a thread name.
const WORKER_THREAD: &str = "DedicatedWorker";

/// # Errors
/// When `/proc` cannot be read or no renderer of that browser is running.
pub(crate) fn sample(profile: &Path) -> Result<CpuSeconds, String> {
    let ticks = clock_ticks()?;
    let processes = processes();
    let browser = browser_pid(&processes, profile)?;
    let mut total = CpuSeconds::default();
    let mut renderers = 0;
    for (&pid, process) in &processes {
        if !process.cmdline.contains("--type=renderer") || !descends(&processes, pid, browser) {
            continue;
        }
        renderers += 1;
        total.renderer += process.cpu_ticks as f64 / ticks;
        for thread in threads(pid) {
            if thread.0.starts_with(WORKER_THREAD) {
                total.worker += thread.1 as f64 / ticks;
            }
        }
    }
    if renderers == 0 {
        return Err("the browser has no renderer process".into());
    }
    Ok(total)
}

/// One process's CPU seconds so far and resident memory (`VmRSS`), found by a string its
/// command line contains (the newest such process). Used by the native-endpoint bench in
/// `tests/browser_native.rs`, which includes this file.
#[allow(dead_code)]
pub(crate) fn process_named(cmdline_contains: &str) -> Result<(u32, f64, u64), String> {
    let ticks = clock_ticks()?;
    let (pid, process) = processes()
        .into_iter()
        .filter(|(_, p)| p.cmdline.contains(cmdline_contains))
        .max_by_key(|(pid, _)| *pid)
        .ok_or_else(|| format!("no process running {cmdline_contains}"))?;
    Ok((pid, process.cpu_ticks as f64 / ticks, rss_kib(pid)))
}

/// Resident memory of the browser's renderer processes, and of all its processes, in KiB.
#[allow(dead_code)]
pub(crate) fn browser_rss_kib(profile: &Path) -> Result<(u64, u64), String> {
    let processes = processes();
    let browser = browser_pid(&processes, profile)?;
    let (mut renderers, mut all) = (0, 0);
    for (&pid, process) in &processes {
        if descends(&processes, pid, browser) {
            let rss = rss_kib(pid);
            all += rss;
            if process.cmdline.contains("--type=renderer") {
                renderers += rss;
            }
        }
    }
    Ok((renderers, all))
}

/// CPU seconds of all the browser's processes so far.
#[allow(dead_code)]
pub(crate) fn browser_cpu(profile: &Path) -> Result<f64, String> {
    let ticks = clock_ticks()?;
    let processes = processes();
    let browser = browser_pid(&processes, profile)?;
    Ok(processes
        .iter()
        .filter(|(pid, _)| descends(&processes, **pid, browser))
        .map(|(_, p)| p.cpu_ticks as f64 / ticks)
        .sum())
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

/// The browser process: the one whose command line names `profile` and no `--type=`.
fn browser_pid(processes: &HashMap<u32, Process>, profile: &Path) -> Result<u32, String> {
    let marker = format!("--user-data-dir={}", profile.display());
    processes
        .iter()
        .find(|(_, p)| p.cmdline.contains(&marker) && !p.cmdline.contains("--type="))
        .map(|(pid, _)| *pid)
        .ok_or_else(|| format!("no browser with {marker}"))
}

struct Process {
    ppid: u32,
    cmdline: String,
    cpu_ticks: u64,
}

fn processes() -> HashMap<u32, Process> {
    let mut all = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return all;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let dir = entry.path();
        let (Ok(stat), Ok(cmdline)) = (
            std::fs::read_to_string(dir.join("stat")),
            std::fs::read(dir.join("cmdline")),
        ) else {
            continue; // it ended meanwhile
        };
        if let Some((ppid, cpu_ticks)) = parse_stat(&stat) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            all.insert(
                pid,
                Process {
                    ppid,
                    cmdline,
                    cpu_ticks,
                },
            );
        }
    }
    all
}

/// A process's (or thread's) threads: name and CPU ticks.
fn threads(pid: u32) -> Vec<(String, u64)> {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|task| {
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            Some((comm.trim().to_owned(), parse_stat(&stat)?.1))
        })
        .collect()
}

fn descends(processes: &HashMap<u32, Process>, mut pid: u32, ancestor: u32) -> bool {
    for _ in 0..64 {
        if pid == ancestor {
            return true;
        }
        match processes.get(&pid) {
            Some(p) if p.ppid != pid => pid = p.ppid,
            _ => return false,
        }
    }
    false
}

/// `(ppid, utime + stime)` from a `stat` line; the name in parentheses may hold spaces.
fn parse_stat(stat: &str) -> Option<(u32, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((ppid, utime + stime))
}

fn clock_ticks() -> Result<f64, String> {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .map_err(|e| format!("getconf: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("getconf CLK_TCK: {e}"))
}

#[cfg(test)]
mod tests {
    use super::parse_stat;

    #[test]
    fn reads_a_stat_line_whose_name_has_spaces() {
        let line =
            "42 (Chrome_ChildIOT hread) S 7 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 9 0";
        assert_eq!(parse_stat(line), Some((7, 280)));
    }
}
