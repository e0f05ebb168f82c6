//! The offer goes the moment it is ready, with the candidates gathered so far; each later
//! candidate follows 10 ms after the first of its burst; the last message says `done`.
mod common;
use common::World;
use sotto_shared::Duration;
use sotto_shared::wire::signal::{CallMsg, Media};

#[test]
fn the_offer_goes_at_once_and_candidates_follow_in_bursts() {
    let mut w = World::new(70, &["alice", "bob"]);
    w.call("alice", "bob", Media::Video);
    w.run_until(Duration::secs(1), |w| w.state("bob").is_some());
    let accepted = w.now;
    w.accept("bob", Media::Video);
    w.run_for(Duration::secs(3));

    // Fake gathering after the offer is made: the description at 15 ms, candidates at 40,
    // 120, 600 and 1100 ms, complete at 1200 ms.
    let offer = w.sent("offer")[0];
    let waited = offer.at.saturating_since(accepted);
    assert!(
        waited < Duration::ms(40),
        "the offer waits for no candidate: {waited:?}"
    );
    let CallMsg::Offer { candidates, .. } = &offer.signal.msg else {
        unreachable!()
    };
    assert!(candidates.is_empty(), "none gathered yet: {candidates:?}");

    let from_bob: Vec<_> = w
        .sent("candidates")
        .into_iter()
        .filter(|s| s.from.0 == "bob")
        .map(|s| {
            let CallMsg::Candidates { candidates, done } = &s.signal.msg else {
                unreachable!()
            };
            (s.at.saturating_since(offer.at), candidates.len(), *done)
        })
        .collect();
    assert_eq!(from_bob.len(), 5, "{from_bob:?}");
    // Relative to the offer (sent at 15 ms): 40 → 35 + 10, 120 → 105 + 10, …
    for (i, gathered) in [25u64, 105, 585, 1085].into_iter().enumerate() {
        let at = from_bob[i].0;
        assert!(
            at >= Duration::ms(gathered + 10) && at < Duration::ms(gathered + 20),
            "candidate {i} goes 10 ms after it was gathered: {from_bob:?}"
        );
    }
    assert_eq!(
        from_bob.iter().map(|b| (b.1, b.2)).collect::<Vec<_>>(),
        [(1, false), (1, false), (1, false), (1, false), (0, true)],
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
