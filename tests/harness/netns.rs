//! A network namespace joined to this one by a veth pair, for a browser whose link a test
//! cuts (`ip link set … down`), and a chromedriver inside it reached over that link. Needs
//! root (or CAP_NET_ADMIN and CAP_SYS_ADMIN); where the machine forbids namespaces,
//! [`Netns::create`] says why, and the test skips with that reason printed.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{CHROMEDRIVER, Driver, wait_for_port};

pub struct Netns {
    pub name: String,
    /// This side of the veth pair (where the shim listens).
    pub host_ip: Ipv4Addr,
    /// The namespace's side.
    pub ns_ip: Ipv4Addr,
    host_if: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `ip`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Netns {
    /// Creates the namespace and the link, up. `Err`: why namespaces are not possible here.
    pub fn create() -> Result<Self, String> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // A subnet per process and namespace, so parallel runs do not collide.
        let subnet = (std::process::id() + n) % 250 + 1;
        let name = format!("sotto{}x{n}", std::process::id());
        let host_if = format!("vs{}h{n}", std::process::id() % 100_000);
        let ns_if = format!("vs{}n{n}", std::process::id() % 100_000);
        let host_ip = Ipv4Addr::new(10, 213, subnet as u8, 1);
        let ns_ip = Ipv4Addr::new(10, 213, subnet as u8, 2);
        ip(&["netns", "add", &name])?;
        let ns = Self {
            name: name.clone(),
            host_ip,
            ns_ip,
            host_if: host_if.clone(),
        };
        ip(&[
            "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if, "netns", &name,
        ])?;
        ip(&["addr", "add", &format!("{host_ip}/24"), "dev", &host_if])?;
        ip(&["link", "set", &host_if, "up"])?;
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", name.as_str(), "ip"];
            all.extend_from_slice(args);
            ip(&all)
        };
        inside(&["link", "set", "lo", "up"])?;
        inside(&["addr", "add", &format!("{ns_ip}/24"), "dev", &ns_if])?;
        inside(&["link", "set", &ns_if, "up"])?;
        Ok(ns)
    }

    /// Pulls the cable (`false`) or plugs it back: the host's end goes down, so the
    /// namespace's end loses its carrier, as a laptop leaving Wi-Fi does.
    pub fn set_link(&self, up: bool) {
        ip(&["link", "set", &self.host_if, if up { "up" } else { "down" }])
            .expect("the veth link can be switched");
    }

    /// A chromedriver inside the namespace, listening on its veth address for this side.
    pub async fn driver(&self) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.name, CHROMEDRIVER])
            .arg(format!("--port={port}"))
            .arg(format!("--allowed-ips={}", self.host_ip))
            .arg(format!("--allowed-origins=http://{}:{port}", self.ns_ip))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts in the namespace");
        wait_for_port(
            SocketAddr::from((self.ns_ip, port)),
            "chromedriver in the namespace",
        )
        .await;
        Driver {
            child,
            url: format!("http://{}:{port}", self.ns_ip),
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace deletes its end of the pair, and with it ours.
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .stderr(Stdio::null())
            .status();
    }
}
