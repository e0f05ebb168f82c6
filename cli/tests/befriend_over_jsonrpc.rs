//! Two daemons become contacts through a real shim, driven only over JSON-RPC.

mod common;

use common::{Daemon, Shim, befriend, init};
use serde_json::json;

#[tokio::test]
async fn two_daemons_become_contacts_through_an_invitation() {
    let shim = Shim::start().await;
    let (ada_dir, bob_dir) = (init(&shim, "Ada"), init(&shim, "Bob"));
    let ada = Daemon::start(ada_dir.path(), &[], &[]).await;
    let bob = Daemon::start(bob_dir.path(), &[], &[]).await;
    let (mut a, mut b) = (ada.tcp().await, bob.unix().await);
    let (bob_id, ada_id) = befriend(&mut a, "Ada", &mut b, "Bob").await;
    assert_eq!(
        a.result("listContacts", json!({})).await,
        json!([{"id": bob_id, "name": "Bob", "ready": true}])
    );
    assert_eq!(
        b.result("listContacts", json!({})).await,
        json!([{"id": ada_id, "name": "Ada", "ready": true}])
    );
    // The invitation was used once: a third party cannot reuse it, and Ada's next
    // invitation is a new link.
    let next = a.result("createInvite", json!({})).await;
    assert!(next["link"].as_str().unwrap().contains("#/invite/"));
}
