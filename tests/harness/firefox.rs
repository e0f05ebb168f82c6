//! Firefox ESR (Debian's `firefox-esr`) driven by geckodriver (from crates.io, pinned in
//! `xtask/src/setup.rs`), headless, with fake camera and microphone and no permission prompt,
//! so it can call Chromium through the same app.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

use fantoccini::ClientBuilder;
use fantoccini::wd::Capabilities;
use serde_json::json;

use crate::{Driver, Person, wait_for_port};

pub const FIREFOX: &str = "/usr/bin/firefox-esr";

/// `geckodriver` as `cargo install` puts it.
fn geckodriver() -> String {
    let home = std::env::var("CARGO_HOME").unwrap_or_else(|_| {
        format!(
            "{}/.cargo",
            std::env::var("HOME").unwrap_or_else(|_| "/root".into())
        )
    });
    format!("{home}/bin/geckodriver")
}

/// A geckodriver process (one Firefox session each).
pub async fn driver() -> Driver {
    let gecko = geckodriver();
    assert!(
        Path::new(&gecko).exists() && Path::new(FIREFOX).exists(),
        "geckodriver or firefox-esr missing: run `cargo xtask setup`"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(gecko)
        .args(["--port", &port.to_string(), "--log", "fatal"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("geckodriver starts");
    wait_for_port(SocketAddr::from(([127, 0, 0, 1], port)), "geckodriver").await;
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

impl Person {
    /// A headless Firefox ESR with fake media devices that never asks for permission.
    pub async fn launch_firefox(driver: &Driver, name: &str) -> Self {
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("firefox"));
        caps.insert(
            "moz:firefoxOptions".into(),
            json!({
                "binary": FIREFOX,
                "args": ["-headless", "-width", "1100", "-height", "800"],
                "prefs": {
                    "media.navigator.streams.fake": true,
                    "media.navigator.permission.disabled": true,
                    "permissions.default.camera": 1,
                    "permissions.default.microphone": 1,
                    "media.autoplay.default": 0,
                    "media.autoplay.blocking_policy": 0,
                    "dom.webnotifications.enabled": false,
                }
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a Firefox session");
        Self {
            name: name.to_owned(),
            client,
            // geckodriver keeps Firefox's profile itself; this one only names the person's
            // processes for the clean-up on drop (none match it).
            _profile: tempfile::tempdir().unwrap(),
        }
    }
}
