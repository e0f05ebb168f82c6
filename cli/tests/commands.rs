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
