//! The offer waits up to 750 ms for candidates; later ones go out in 500 ms batches, and the
//! last batch says `done`.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::wire::signal::{CallMsg, Media};

#[test]
fn candidates_ride_with_the_offer_then_in_batches() {
    let mut w = World::new(70, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    let accepted = w.now;
    w.accept("bob", Media::Video);
    w.run_for(Duration::secs(3));

    let offer = w.sent("offer")[0];
    let waited = offer.at.saturating_since(accepted);
    assert!(
        waited >= Duration::ms(750) && waited < Duration::ms(800),
        "offer waited {waited:?}"
    );
    let CallMsg::Offer { candidates, .. } = &offer.signal.msg else {
        unreachable!()
    };
    assert_eq!(
        candidates.len(),
        3,
        "the three gathered within 750 ms (fake gathering at 40, 120, 600 ms)"
    );

    let from_bob: Vec<_> = w
        .sent("candidates")
        .into_iter()
        .filter(|s| s.from.0 == "bob")
        .collect();
    assert_eq!(
        from_bob.len(),
        1,
        "the 1100 ms candidate and completion at 1200 ms travel together"
    );
    let CallMsg::Candidates { candidates, done } = &from_bob[0].signal.msg else {
        unreachable!()
    };
    assert_eq!((candidates.len(), *done), (1, true));
}
