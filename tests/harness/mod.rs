//! Real-browser test harness: a real shim (in-process, port 0, serving the built `dist/`),
//! chromedriver, and one headless Chromium per person with its own fresh profile and fake
//! camera and microphone. Each person is driven through the UI like a user would, and read
//! back through `window.sottoDebug` (the JSON the app publishes for its debug panel).

#![allow(missing_docs, unreachable_pub, missing_debug_implementations)]

use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub mod coturn;
pub mod firefox;
pub mod netns;
pub mod shim_process;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// Where screenshots go.
pub fn screenshot_dir() -> PathBuf {
    let dir = root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/ is writable");
    dir
}

pub struct Shim {
    pub addr: SocketAddr,
    _data: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    /// The server task, awaited by [`Shim::restart`].
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Shim {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut sotto_shim::Config)) -> Self {
        let dist = root().join("dist");
        assert!(
            dist.join("index.html").is_file() && dist.join("frame_worker_bg.wasm").is_file(),
            "the web app is not built: run `cargo xtask test` (it builds dist/ before these tests)"
        );
        let data = tempfile::tempdir().unwrap();
        let mut config = sotto_shim::Config::for_dirs(data.path().into(), dist);
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, task) = Self::serve(config, listener);
        Self {
            addr,
            _data: data,
            stop: Some(stop),
            task: Some(task),
        }
    }

    fn serve(
        config: sotto_shim::Config,
        listener: tokio::net::TcpListener,
    ) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = sotto_shim::serve(config, listener, async move {
                let _ = stopped.await;
            })
            .await;
        });
        (stop, task)
    }

    /// Stops the relay (closing every socket) and starts it again on the same address with
    /// the same store, as a restart of the service does.
    pub async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        let config = sotto_shim::Config::for_dirs(self._data.path().into(), root().join("dist"));
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "the relay's port stays taken: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        let (stop, task) = Self::serve(config, listener);
        self.stop = Some(stop);
        self.task = Some(task);
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Shim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Waits until something accepts TCP connections on `addr` (a process the harness started:
/// `what`), for at most 15 s.
pub async fn wait_for_port(addr: SocketAddr, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A chromedriver process.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub async fn start() -> Self {
        assert!(
            Path::new(CHROMEDRIVER).exists(),
            "chromedriver missing: run `cargo xtask setup`"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Its own process group: on drop the whole group goes, browsers included, even when a
        // test panicked before closing its sessions.
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        wait_for_port(SocketAddr::from(([127, 0, 0, 1], port)), "chromedriver").await;
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One person: a headless Chromium with its own profile.
pub struct Person {
    pub name: String,
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Person {
    pub async fn launch(driver: &Driver, name: &str) -> Self {
        Self::launch_with(driver, name, &[]).await
    }

    /// With more Chromium flags (e.g. `--unsafely-treat-insecure-origin-as-secure=…` for an
    /// app served over http on a non-loopback address, or a bench's fake-camera frame rate).
    /// Later flags win over the defaults.
    pub async fn launch_with(driver: &Driver, name: &str, extra_args: &[String]) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            // getDisplayMedia picks the (fake) screen at once, no picker.
            "--auto-select-desktop-capture-source=Entire screen",
            "--enable-usermedia-screen-capturing",
            "--autoplay-policy=no-user-gesture-required",
            "--window-size=1100,800",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .chain(extra_args.iter().cloned())
        .collect::<Vec<_>>();
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a Chromium session");
        Self {
            name: name.to_owned(),
            client,
            _profile: profile,
        }
    }

    /// This browser's profile directory: its processes' command lines name it.
    pub fn profile_dir(&self) -> &Path {
        self._profile.path()
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigation");
    }

    pub async fn click(&self, css: &str) {
        self.wait_css(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}: click {css}: {e}", self.name));
    }

    pub async fn wait_css(&self, css: &str) -> fantoccini::elements::Element {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                return el;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {css} never appeared; debug: {}",
                self.name,
                self.debug().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn is_present(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{}: script failed: {e}", self.name))
    }

    /// The app's log (`window.sottoLog`, the last 200 lines) as `(wall ms, text)`: the app
    /// stamps each line with `Date.now()`, the clock the tests and other pages share.
    pub async fn log(&self) -> Vec<(f64, String)> {
        let log = self.js("return window.sottoLog || []").await;
        log.as_array()
            .into_iter()
            .flatten()
            .filter_map(|line| {
                let (at, text) = line.as_str()?.split_once(' ')?;
                Some((at.parse().ok()?, text.to_owned()))
            })
            .collect()
    }

    /// The app's published state.
    pub async fn debug(&self) -> Value {
        let text = self.js("return window.sottoDebug || '{}'").await;
        serde_json::from_str(text.as_str().unwrap_or("{}")).unwrap_or(Value::Null)
    }

    /// Waits until `check` holds on the published state.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let state = self.debug().await;
            if check(&state) {
                return state;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {what} did not happen within {timeout:?}; state: {state}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The call state name (`RINGING_INCOMING`, …) or `None`.
    pub fn call_state(state: &Value) -> Option<String> {
        state["call"]["state"]["state"].as_str().map(str::to_owned)
    }

    pub async fn wait_call_state(&self, expected: &str) -> Value {
        self.wait_until(
            &format!("call state {expected}"),
            Duration::from_secs(30),
            |s| Self::call_state(s).as_deref() == Some(expected),
        )
        .await
    }

    /// Waits for the call to end; returns the reason.
    pub async fn wait_ended(&self, timeout: Duration) -> String {
        let s = self
            .wait_until("the call to end", timeout, |s| {
                s["call"].is_null() && !s["ended"].is_null()
            })
            .await;
        s["ended"]["reason"].as_str().unwrap_or_default().to_owned()
    }

    /// Opens the app and creates a profile.
    pub async fn sign_up(&self, shim: &Shim, test_settings: &[(&str, &str)]) {
        self.sign_up_at(&shim.url(), test_settings).await;
    }

    /// Opens the app at `url` and creates a profile.
    pub async fn sign_up_at(&self, url: &str, test_settings: &[(&str, &str)]) {
        self.goto(url).await;
        if !test_settings.is_empty() {
            for (k, v) in test_settings {
                self.js(&format!("localStorage.setItem('sotto.test.{k}', '{v}')"))
                    .await;
            }
            self.client.refresh().await.unwrap();
        }
        self.wait_css("#name-input")
            .await
            .send_keys(&self.name)
            .await
            .unwrap();
        self.click("#create-profile").await;
        self.wait_until("online", Duration::from_secs(15), |s| {
            s["status"] == "online"
        })
        .await;
    }

    pub async fn screenshot(&self, file: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = screenshot_dir().join(file);
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Screenshots at a phone's width (360 px, `<file>-360.png`) and on a 1080p screen
    /// (`<file>-1080p.png`), then back to the usual window. Returns the 360 px page's layout
    /// width, to check nothing overflows.
    pub async fn screenshots(&self, file: &str) -> i64 {
        self.set_viewport(360, 740).await;
        let width = self
            .js("return document.documentElement.scrollWidth")
            .await
            .as_i64()
            .unwrap_or(0);
        self.screenshot(&format!("{file}-360.png")).await;
        self.set_viewport(1920, 1080).await;
        self.screenshot(&format!("{file}-1080p.png")).await;
        self.client.set_window_size(1100, 800).await.unwrap();
        width
    }

    /// Sizes the window so the page itself gets `width` × `height` (the window's own frame
    /// taken off).
    async fn set_viewport(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
        let frame = self
            .js("return window.outerHeight - window.innerHeight")
            .await
            .as_u64()
            .unwrap_or(0);
        self.client
            .set_window_size(width, height + frame as u32)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver's
    /// `goog/cdp/execute` endpoint (fantoccini has no call for it) and returns its result.
    pub async fn cdp(&self, driver: &Driver, cmd: &str, params: Value) -> Value {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let session = self.client.session_id().await.unwrap().expect("a session");
        let host = driver.url.trim_start_matches("http://");
        let body = json!({ "cmd": cmd, "params": params }).to_string();
        let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
        let request = format!(
            "POST /session/{session}/goog/cdp/execute HTTP/1.1\r\nHost: {host}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        // chromedriver keeps the connection open: read the head, then Content-Length bytes.
        let mut data = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        let body = loop {
            let n = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut buf))
                .await
                .expect("chromedriver answers")
                .unwrap();
            assert!(n > 0, "chromedriver closed the connection");
            data.extend_from_slice(&buf[..n]);
            let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|l| l.trim().parse().ok())
                .expect("a Content-Length");
            if data.len() >= end + 4 + length {
                break data[end + 4..end + 4 + length].to_vec();
            }
        };
        let reply: Value = serde_json::from_slice(&body).expect("JSON from chromedriver");
        reply["value"].clone()
    }
}

impl Drop for Person {
    fn drop(&mut self) {
        // Chromium's helper processes leave chromedriver's process group; find them by the
        // profile directory only this person uses.
        let _ = Command::new("pkill")
            .args(["-KILL", "-f"])
            .arg(self._profile.path())
            .status();
    }
}

/// `inviter` makes an invitation, `invitee` opens it and accepts; both then list each other.
/// Returns the link used.
pub async fn befriend(inviter: &Person, invitee: &Person) -> String {
    inviter.click("#invite-button").await;
    let link = inviter
        .wait_css("#invite-link")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(link.contains("#/invite/"), "{link}");
    invitee.goto(&link).await;
    invitee.click("#accept-invite").await;
    let ready = |name: String| {
        move |s: &Value| {
            s["contacts"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["name"] == name.as_str() && c["ready"] == true)
            })
        }
    };
    inviter
        .wait_until(
            &format!("{} listed", invitee.name),
            Duration::from_secs(20),
            ready(invitee.name.clone()),
        )
        .await;
    invitee
        .wait_until(
            &format!("{} listed", inviter.name),
            Duration::from_secs(20),
            ready(inviter.name.clone()),
        )
        .await;
    link
}

/// `caller` presses the call button next to `callee`'s name.
pub async fn call(caller: &Person, callee: &Person, video: bool) {
    let button = if video { "call-video" } else { "call-audio" };
    caller
        .click(&format!(".contact[data-name='{}'] .{button}", callee.name))
        .await;
}

/// Everyone connected with video both ways.
pub async fn connected_video_call(caller: &Person, callee: &Person) {
    call(caller, callee, true).await;
    callee.wait_call_state("RINGING_INCOMING").await;
    callee.click("#accept-video").await;
    caller.wait_call_state("CONNECTED").await;
    callee.wait_call_state("CONNECTED").await;
}

/// A numeric field of the published state.
pub fn num(state: &Value, path: &[&str]) -> u64 {
    path.iter().fold(state, |v, k| &v[*k]).as_u64().unwrap_or(0)
}

pub fn dropped(state: &Value) -> u64 {
    [
        "dropped_not_ours",
        "dropped_unknown_key",
        "dropped_replayed",
        "dropped_forged",
        "dropped_unencryptable",
    ]
    .iter()
    .map(|k| num(state, &["counters", k]))
    .sum()
}

/// A shim, a driver, and two signed-up people who are contacts; test-only settings per person.
pub async fn two_contacts(
    alice_settings: &[(&str, &str)],
    bob_settings: &[(&str, &str)],
) -> (Shim, Driver, Person, Person) {
    let shim = Shim::start().await;
    let driver = Driver::start().await;
    let alice = Person::launch(&driver, "Alice").await;
    let bob = Person::launch(&driver, "Bob").await;
    alice.sign_up(&shim, alice_settings).await;
    bob.sign_up(&shim, bob_settings).await;
    befriend(&alice, &bob).await;
    (shim, driver, alice, bob)
}
