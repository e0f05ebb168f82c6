//! The commands a person types: init, invite (link + QR), accept-invite, contacts.

mod common;

use common::{BIN, Daemon, Shim, init, wait_for_contact};

fn run(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

// Multi-threaded: the commands run as blocking child processes while the in-process shim serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_accept_invite_and_contacts_work_from_the_command_line() {
    let shim = Shim::start().await;
    let (ada, bob) = (init(&shim, "Ada"), init(&shim, "Bob"));

    let (ok, out, err) = run(ada.path(), &["invite"]);
    assert!(ok, "{err}");
    let link = out.lines().next().unwrap().to_owned();
    assert!(
        link.starts_with(&shim.origin) && link.contains("/#/invite/"),
        "{out}"
    );
    assert!(out.contains('█'), "a QR code follows the link: {out}");

    let (ok, out, err) = run(bob.path(), &["accept-invite", &link]);
    assert!(ok, "{err}");
    assert!(out.contains("Request sent to Ada"), "{out}");
    let (ok, out, _) = run(bob.path(), &["contacts"]);
    assert!(ok && out.contains("Ada\twaiting for confirmation"), "{out}");

    // Ada's daemon finds the request waiting at the relay and completes the contact; Bob's
    // learns it is confirmed.
    let (a, b) = (
        Daemon::start(ada.path(), &[], &[]).await,
        Daemon::start(bob.path(), &[], &[]).await,
    );
    wait_for_contact(&mut a.tcp().await, "Bob").await;
    wait_for_contact(&mut b.tcp().await, "Ada").await;
    for mut daemon in [a, b] {
        daemon.child.kill().await.unwrap();
    }
    let (ok, out, _) = run(bob.path(), &["contacts"]);
    assert!(ok && out.contains("Ada\tready"), "{out}");
    let (ok, out, _) = run(ada.path(), &["contacts"]);
    assert!(ok && out.contains("Bob\tready"), "{out}");

    let (ok, _, err) = run(ada.path(), &["accept-invite", &link]);
    assert!(!ok && err.contains("That is your own invitation"), "{err}");
    let (ok, _, err) = run(
        ada.path(),
        &["init", "--name", "Again", "--relay", &shim.origin],
    );
    assert!(!ok && err.contains("already holds a profile"), "{err}");
}

async fn contacts(shim: &Shim) -> (tempfile::TempDir, Daemon, common::Rpc, tempfile::TempDir) {
    let (ada_dir, bob_dir) = (init(shim, "Ada"), init(shim, "Bob"));
    let ada = Daemon::start(ada_dir.path(), &[], &[]).await;
    let bob = Daemon::start(bob_dir.path(), &[], &[]).await;
    let (mut a, mut b) = (ada.tcp().await, bob.tcp().await);
    common::befriend(&mut a, "Ada", &mut b, "Bob").await;
    // Bob's terminal takes over his profile: stop his daemon the way an operator would.
    drop(b);
    let mut bob = bob;
    let pid = bob.child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::timeout(common::WAIT, bob.child.wait())
        .await
        .unwrap()
        .unwrap();
    a.result("subscribeCallEvents", serde_json::json!({})).await;
    (ada_dir, ada, a, bob_dir)
}

/// `sotto-cli call Ada` as a person at a terminal runs it: its stdin, and its stdout lines as
/// they come.
struct Terminal {
    child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    seen: Vec<String>,
}

impl Terminal {
    fn call(dir: &std::path::Path) -> Self {
        use tokio::io::AsyncBufReadExt as _;
        let mut child = tokio::process::Command::new(BIN)
            .arg("--data-dir")
            .arg(dir)
            .args(["call", "Ada"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one starts with `prefix`; returns it.
    async fn until(&mut self, prefix: &str) -> String {
        loop {
            let line = tokio::time::timeout(common::WAIT, self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("no {prefix:?} line; saw {:?}", self.seen))
                .unwrap()
                .unwrap_or_else(|| panic!("exited before {prefix:?}; saw {:?}", self.seen));
            self.seen.push(line.clone());
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    async fn exits_cleanly(mut self) {
        drop(self.child.stdin.take());
        let status = tokio::time::timeout(common::WAIT, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "saw {:?}", self.seen);
    }
}

async fn wait_unlocked(dir: &std::path::Path) {
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while std::fs::File::open(dir.join("lock")).is_ok_and(|f| f.try_lock().is_err()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the daemon never released the profile"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

// A fresh process takes over Bob's profile and calls at once; Ada rings, and Bob's hang-up
// reaches her even though his process exits right after (it waits for the relay's ok).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_call_shows_its_states_and_hangs_up_on_enter() {
    use tokio::io::AsyncWriteExt as _;
    let shim = Shim::start().await;
    let (_ada_dir, _ada, mut a, bob_dir) = contacts(&shim).await;
    wait_unlocked(bob_dir.path()).await;
    let mut bob = Terminal::call(bob_dir.path());
    assert_eq!(
        bob.until("Calling").await,
        "Calling Ada. Enter, end of input or Ctrl-C hangs up."
    );
    assert!(bob.until("Audio: ").await.ends_with("audio.sock"));
    bob.until("RINGING_OUTGOING").await;
    a.call_state("RINGING_INCOMING").await;
    bob.child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"\n")
        .await
        .unwrap();
    assert_eq!(bob.until("ENDED").await, "ENDED local_hangup");
    assert_eq!(a.call_state("ENDED").await["reason"], "remote_hangup");
    bob.exits_cleanly().await;
}

#[test]
fn a_terminal_call_to_an_unknown_contact_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["init", "--name", "Solo", "--relay", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let (ok, _, err) = run(dir.path(), &["call", "Nobody"]);
    assert!(!ok && err.contains("Unknown contact: Nobody"), "{err}");
}
