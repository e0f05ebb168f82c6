//! A coturn TURN server on loopback, started and stopped by a test, with the settings
//! docs/SELF-HOSTING.md recommends (`use-auth-secret`, a shared secret the shim mints
//! credentials from), reduced to one UDP listener on 127.0.0.1.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};

use crate::wait_for_port;

pub const TURNSERVER: &str = "/usr/bin/turnserver";

pub struct Coturn {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Coturn {
    /// Starts coturn with `secret` on a free loopback port; waits until it listens.
    pub async fn start(secret: &str) -> Self {
        assert!(
            std::path::Path::new(TURNSERVER).exists(),
            "coturn missing: run `cargo xtask setup`"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = free_udp_and_tcp_port();
        let d = |f: &str| dir.path().join(f).display().to_string();
        let child = Command::new(TURNSERVER)
            .args(["-n", "--no-cli", "--no-tls", "--no-dtls", "--fingerprint"])
            .args(["--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1"])
            .args(["--listening-port", &port.to_string()])
            .args(["--use-auth-secret", "--static-auth-secret", secret])
            .args(["--realm", "sotto.test"])
            // Both browsers' relay addresses are on 127.0.0.1: coturn refuses loopback peers
            // unless told otherwise.
            .arg("--allow-loopback-peers")
            .args(["--pidfile", &d("turnserver.pid"), "--userdb", &d("turndb")])
            .args([
                "--log-file",
                &d("turn.log"),
                "--simple-log",
                "--no-stdout-log",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("turnserver starts");
        wait_for_port(SocketAddr::from(([127, 0, 0, 1], port)), "coturn").await;
        Self { child, port, dir }
    }

    /// The URL the shim hands out.
    pub fn url(&self) -> String {
        format!("turn:127.0.0.1:{}?transport=udp", self.port)
    }

    /// coturn's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("turn.log")).unwrap_or_default()
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free for both UDP and TCP on 127.0.0.1 (coturn listens on both).
pub fn free_udp_and_tcp_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
