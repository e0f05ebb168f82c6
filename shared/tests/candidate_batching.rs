//! The offer waits for its first candidates (a 40 ms settle after the first, 750 ms at most);
//! later candidates go out at once after a quiet 500 ms, otherwise at the end of that window,
//! and the last batch says `done`.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::wire::signal::{CallMsg, Media};

#[test]
fn the_offer_goes_with_its_first_candidates_and_later_ones_follow_promptly() {
    let mut w = World::new(70, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    let accepted = w.now;
    w.accept("bob", Media::Video);
    w.run_for(Duration::secs(3));

    // Fake gathering: candidates at 40, 120, 600 and 1100 ms, complete at 1200 ms.
    let offer = w.sent("offer")[0];
    let waited = offer.at.saturating_since(accepted);
    assert!(
        waited >= Duration::ms(80) && waited < Duration::ms(100),
        "the offer leaves 40 ms after the first candidate, not at completion: {waited:?}"
    );
    let CallMsg::Offer { candidates, .. } = &offer.signal.msg else {
        unreachable!()
    };
    assert_eq!(candidates.len(), 1, "the one gathered by then");

    let from_bob: Vec<_> = w
        .sent("candidates")
        .into_iter()
        .filter(|s| s.from.0 == "bob")
        .map(|s| {
            let CallMsg::Candidates { candidates, done } = &s.signal.msg else {
                unreachable!()
            };
            (s.at.saturating_since(accepted), candidates.len(), *done)
        })
        .collect();
    let at = |i: usize| from_bob[i].0;
    assert_eq!(from_bob.len(), 4, "{from_bob:?}");
    assert!(
        at(0) < Duration::ms(130),
        "the 120 ms one at once: {from_bob:?}"
    );
    assert!(
        at(1) >= Duration::ms(620) && at(1) < Duration::ms(640),
        "the 600 ms one when the window after the first batch ends: {from_bob:?}"
    );
    assert!(
        at(2) >= Duration::ms(1120) && at(2) < Duration::ms(1140),
        "the 1100 ms one likewise: {from_bob:?}"
    );
    assert_eq!(
        from_bob.iter().map(|b| (b.1, b.2)).collect::<Vec<_>>(),
        [(1, false), (1, false), (1, false), (0, true)],
        "every candidate sent once; completion says done"
    );
}

#[test]
fn a_call_connects_with_every_candidate_delivered() {
    let mut w = World::new(71, &["alice", "bob"]);
    w.call("alice", "bob", Media::Audio);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    w.accept("bob", Media::Audio);
    w.run_for(Duration::secs(3));
    let sent: usize = w
        .sent("candidates")
        .into_iter()
        .filter(|s| s.from.0 == "bob")
        .map(|s| match &s.signal.msg {
            CallMsg::Candidates { candidates, .. } => candidates.len(),
            _ => 0,
        })
        .sum::<usize>()
        + match &w.sent("offer")[0].signal.msg {
            CallMsg::Offer { candidates, .. } => candidates.len(),
            _ => 0,
        };
    assert_eq!(sent, 4, "each of the four gathered candidates exactly once");
}
