//! The shim as its own process (the `sotto-shim` binary `cargo xtask test` builds), so a test
//! can kill it with SIGKILL and start it again on the same data directory and port.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::wait_for_port;

use crate::root;

pub struct ShimProcess {
    child: Option<Child>,
    pub addr: SocketAddr,
    data: tempfile::TempDir,
    extra: Vec<String>,
}

/// The newest `sotto-shim` binary next to this test's own build (release or debug).
fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test> → target/
    let target = exe
        .ancestors()
        .nth(3)
        .expect("tests run from target/<profile>/deps")
        .to_path_buf();
    ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join("sotto-shim"))
        .filter(|p| p.is_file())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| {
            panic!(
                "no sotto-shim binary under {}: run `cargo xtask test` (it builds one)",
                target.display()
            )
        })
}

impl ShimProcess {
    /// Starts the shim on a free port of `ip`, with `extra` flags (`--turn-url`, …).
    pub async fn start(ip: IpAddr, extra: &[String]) -> Self {
        let port = TcpListener::bind((ip, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut shim = Self {
            child: None,
            addr: SocketAddr::new(ip, port),
            data: tempfile::tempdir().unwrap(),
            extra: extra.to_vec(),
        };
        shim.spawn().await;
        shim
    }

    async fn spawn(&mut self) {
        let child = Command::new(binary())
            .arg("--listen")
            .arg(self.addr.to_string())
            .arg("--data-dir")
            .arg(self.data.path())
            .arg("--dist-dir")
            .arg(root().join("dist"))
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the shim starts");
        self.child = Some(child);
        wait_for_port(self.addr, "the shim").await;
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// SIGKILL: no shutdown, no flush beyond what the store already made durable.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port and data directory; returns how long until it listened.
    pub async fn restart(&mut self) -> Duration {
        self.kill();
        let started = Instant::now();
        self.spawn().await;
        started.elapsed()
    }
}

impl Drop for ShimProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
