//! coturn on loopback with the shim's credential scheme (`use-auth-secret` and a static
//! secret), for relay-only calls. Relayed addresses are on 127.0.0.1 too, so coturn must be
//! told to allow loopback peers.

#![allow(dead_code, unreachable_pub)]

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The static secret shared with the shim.
pub const SECRET: &str = "relay-only-test-secret";

pub struct Coturn {
    child: Child,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl Coturn {
    /// Starts `turnserver` on a free loopback port and waits until it answers STUN.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("turnserver")
            .args(["-n", "--no-cli", "--no-tls", "--no-dtls", "--no-tcp"])
            .args(["--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1"])
            .arg(format!("--listening-port={port}"))
            .args([
                "--use-auth-secret",
                &format!("--static-auth-secret={SECRET}"),
            ])
            .args(["--realm=sotto.test", "--allow-loopback-peers"])
            .arg(format!("--db={}", dir.path().join("turndb").display()))
            .arg(format!("--pidfile={}", dir.path().join("pid").display()))
            .args(["--log-file=stdout", "--simple-log"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("coturn's turnserver (Debian package coturn): run `cargo xtask setup`");
        let coturn = Self {
            child,
            _dir: dir,
            port,
        };
        coturn.wait_until_it_answers();
        coturn
    }

    /// A STUN Binding request until a reply comes (coturn answers those without auth).
    fn wait_until_it_answers(&self) {
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        probe
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let mut binding = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
        binding.extend_from_slice(&[7; 12]);
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buf = [0; 512];
        loop {
            probe.send_to(&binding, ("127.0.0.1", self.port)).unwrap();
            if probe.recv(&mut buf).is_ok() {
                return;
            }
            assert!(Instant::now() < deadline, "coturn did not start");
        }
    }

    /// Its URL, as the shim's `--turn-url` takes it.
    pub fn url(&self) -> String {
        format!("turn:127.0.0.1:{}?transport=udp", self.port)
    }

    /// The ICE servers the shim would hand out for this coturn (fresh credentials).
    pub fn ice_servers(&self) -> Value {
        let urls = [self.url()];
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let servers = sotto_shim::turn_credentials(&urls, &SECRET.parse().unwrap(), now, 3600);
        serde_json::to_value(servers).unwrap()
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
