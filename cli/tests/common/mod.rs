//! A real shim on port 0, `sotto-cli` processes with their own data directories, and a
//! line-oriented JSON-RPC client for each transport. No sleeps except bounded polling of
//! state that has no event; every wait has a deadline that fails the test.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader, Lines,
};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

pub const WAIT: Duration = Duration::from_secs(15);
pub const BIN: &str = env!("CARGO_BIN_EXE_sotto-cli");

/// A shim serving on 127.0.0.1 with a port of its own.
pub struct Shim {
    pub origin: String,
    _data: tempfile::TempDir,
    _dist: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

impl Shim {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A shim whose config `adjust` changes first (TURN, limits).
    pub async fn start_with(adjust: impl FnOnce(&mut sotto_shim::Config)) -> Self {
        let data = tempfile::tempdir().unwrap();
        let dist = tempfile::tempdir().unwrap();
        std::fs::write(
            dist.path().join("index.html"),
            "<!doctype html><title>sotto</title>",
        )
        .unwrap();
        let mut config = sotto_shim::Config::for_dirs(data.path().into(), dist.path().into());
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(sotto_shim::serve(config, listener, async move {
            let _ = stopped.await;
        }));
        Self {
            origin,
            _data: data,
            _dist: dist,
            _stop: stop,
        }
    }
}

/// A data directory with a fresh profile named `name` whose relay is `shim`.
pub fn init(shim: &Shim, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["init", "--name", name, "--relay", &shim.origin])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "init failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// `sotto-cli --data-dir DIR`, killed when dropped.
fn cli(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.arg("--data-dir").arg(dir).kill_on_drop(true);
    command
}

/// A running `sotto-cli daemon` listening on TCP (port 0) and a UNIX socket.
pub struct Daemon {
    pub child: Child,
    pub tcp: String,
    pub socket: PathBuf,
    pub dir: PathBuf,
}

impl Daemon {
    pub async fn start(dir: &Path, envs: &[(&str, &str)], args: &[&str]) -> Self {
        Self::start_command(dir, envs, "daemon", args).await
    }

    /// `sotto-cli <command> --tcp 127.0.0.1:0 --socket DIR/rpc.sock ARGS`.
    pub async fn start_command(
        dir: &Path,
        envs: &[(&str, &str)],
        command: &str,
        args: &[&str],
    ) -> Self {
        let socket = dir.join("rpc.sock");
        let mut child = cli(dir)
            .args([command, "--tcp", "127.0.0.1:0", "--socket"])
            .arg(&socket)
            .args(args)
            .env("RUST_LOG", "info")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let tcp = tokio::time::timeout(WAIT, async {
            loop {
                let line = lines
                    .next_line()
                    .await
                    .unwrap()
                    .expect("daemon exited before listening");
                eprintln!("[{name}] {line}");
                if let Some(addr) = line.strip_prefix("listening on tcp ") {
                    return addr.to_owned();
                }
            }
        })
        .await
        .expect("daemon listens in time");
        // Keep draining its log so it never blocks on a full pipe.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[{name}] {line}");
            }
        });
        Self {
            child,
            tcp,
            socket,
            dir: dir.to_owned(),
        }
    }

    pub async fn tcp(&self) -> Rpc {
        let stream = tokio::net::TcpStream::connect(&self.tcp).await.unwrap();
        let (r, w) = stream.into_split();
        Rpc::new(r, w)
    }

    pub async fn unix(&self) -> Rpc {
        let stream = tokio::net::UnixStream::connect(&self.socket).await.unwrap();
        let (r, w) = stream.into_split();
        Rpc::new(r, w)
    }
}

/// `sotto-cli jsonRpc` on stdin/stdout.
pub fn stdio(dir: &Path) -> (Child, Rpc) {
    let mut child = cli(dir)
        .arg("jsonRpc")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let r = child.stdout.take().unwrap();
    let w = child.stdin.take().unwrap();
    (child, Rpc::new(r, w))
}

/// A JSON-RPC client over any byte stream: one object a line.
pub struct Rpc {
    lines: Lines<BufReader<Box<dyn AsyncRead + Unpin + Send>>>,
    writer: Box<dyn AsyncWrite + Unpin + Send>,
    next_id: u64,
    notifications: VecDeque<Value>,
}

impl Rpc {
    pub fn new(
        r: impl AsyncRead + Unpin + Send + 'static,
        w: impl AsyncWrite + Unpin + Send + 'static,
    ) -> Self {
        let r: Box<dyn AsyncRead + Unpin + Send> = Box::new(r);
        Self {
            lines: BufReader::new(r).lines(),
            writer: Box::new(w),
            next_id: 1,
            notifications: VecDeque::new(),
        }
    }

    pub async fn send_line(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).await.unwrap();
        self.writer.write_all(b"\n").await.unwrap();
        self.writer.flush().await.unwrap();
    }

    /// The next line that is not a notification.
    pub async fn next_response(&mut self) -> Value {
        tokio::time::timeout(WAIT, async {
            loop {
                let line = self
                    .lines
                    .next_line()
                    .await
                    .unwrap()
                    .expect("connection open");
                let value: Value = serde_json::from_str(&line).unwrap();
                if value.get("method").is_some() {
                    self.notifications.push_back(value);
                } else {
                    return value;
                }
            }
        })
        .await
        .expect("a response in time")
    }

    /// Sends a request and returns the whole response object.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send_line(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string(),
        )
        .await;
        let response = self.next_response().await;
        assert_eq!(response["id"], json!(id), "{response}");
        assert_eq!(response["jsonrpc"], "2.0");
        response
    }

    pub async fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// The error's code and message.
    pub async fn error(&mut self, method: &str, params: Value) -> (i64, String) {
        let response = self.request(method, params).await;
        let error = &response["error"];
        assert!(error.is_object(), "{method} should fail: {response}");
        (
            error["code"].as_i64().unwrap(),
            error["message"].as_str().unwrap().to_owned(),
        )
    }

    /// The next `callEvent`'s result.
    pub async fn call_event(&mut self) -> Value {
        if let Some(n) = self.notifications.pop_front() {
            return check_call_event(n);
        }
        let n = tokio::time::timeout(WAIT, async {
            let line = self
                .lines
                .next_line()
                .await
                .unwrap()
                .expect("connection open");
            serde_json::from_str::<Value>(&line).unwrap()
        })
        .await
        .expect("a callEvent in time");
        check_call_event(n)
    }

    /// Waits for a `callEvent` in `state`, skipping earlier states.
    pub async fn call_state(&mut self, state: &str) -> Value {
        loop {
            let event = self.call_event().await;
            if event["state"] == state {
                return event;
            }
            assert_ne!(
                event["state"], "ENDED",
                "ended while waiting for {state}: {event}"
            );
        }
    }
}

fn check_call_event(n: Value) -> Value {
    assert_eq!(n["method"], "callEvent", "{n}");
    assert!(n["params"]["subscription"].is_u64(), "{n}");
    n["params"]["result"].clone()
}

/// Polls `listContacts` until `name` is a ready contact; returns its id.
pub async fn wait_for_contact(rpc: &mut Rpc, name: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let contacts = rpc.result("listContacts", json!({})).await;
        if let Some(c) = contacts
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name && c["ready"] == true)
        {
            return c["id"].as_str().unwrap().to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} never became a ready contact: {contacts}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Makes `a` and `b` contacts over JSON-RPC; returns (b's id at a, a's id at b).
pub async fn befriend(a: &mut Rpc, a_name: &str, b: &mut Rpc, b_name: &str) -> (String, String) {
    let link = a.result("createInvite", json!({})).await["link"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = b.result("acceptInvite", json!({"link": link})).await;
    assert_eq!(sent["name"], a_name);
    let b_at_a = wait_for_contact(a, b_name).await;
    let a_at_b = wait_for_contact(b, a_name).await;
    (b_at_a, a_at_b)
}

/// The `sotto-call-tunnel` binary next to `sotto-cli`, built once per test run: cargo only
/// builds the binaries of the package under test.
pub fn tunnel_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let bin_dir = Path::new(BIN).parent().unwrap();
            let target_dir = bin_dir.parent().unwrap();
            let mut build = std::process::Command::new(env!("CARGO"));
            build
                .args([
                    "build",
                    "-p",
                    "sotto-call-tunnel",
                    "--bin",
                    "sotto-call-tunnel",
                ])
                .env("CARGO_TARGET_DIR", target_dir);
            if bin_dir.file_name().is_some_and(|n| n == "release") {
                build.arg("--release");
            }
            let status = build.status().unwrap();
            assert!(status.success(), "building sotto-call-tunnel failed");
            bin_dir.join("sotto-call-tunnel")
        })
        .clone()
}

/// A wrapper around the tunnel that records each tunnel's pid in `dir/tunnel.pid`, so a test
/// can kill exactly that process.
pub fn tunnel_recording_pid(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let script = dir.join("tunnel.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ > '{}'\nexec '{}' \"$@\"\n",
            dir.join("tunnel.pid").display(),
            tunnel_binary().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// Plays `freq` into the PCM socket `path` and records what is heard for `secs`.
pub async fn talk_and_listen(path: &str, freq: f64, secs: f64) -> Vec<i16> {
    sotto_call_tunnel::probe::talk_and_listen(Path::new(path), freq, secs)
        .await
        .unwrap()
}

/// Asserts the last half second of `heard` is dominated by `want` Hz rather than `other` Hz.
pub fn assert_hears(heard: &[i16], want: f64, other: f64, who: &str) {
    if let Err(e) = sotto_call_tunnel::probe::hears_tone(heard, want, other) {
        panic!("{who}: {e}");
    }
}
