//! Requests made while a relay is unreachable wait and go out on reconnect; a signal that
//! cannot be sent within the request timeout ends the call as `signalling_failed`.

mod common;

use common::{RELAY, World};
use sotto_client::{CallState, Command};
use sotto_shared::Duration;
use sotto_shared::wire::signal::{EndReason, Media};

#[test]
fn a_short_outage_delays_signals_without_losing_them() {
    let mut w = World::new(13);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    w.befriend("Alice", "Bob");
    w.set_online("Alice", false);
    w.call("Alice", "Bob", Media::Audio);
    w.run_for(Duration::secs(3));
    assert_eq!(w.client("Bob").call(), None);
    w.set_online("Alice", true);
    w.run_for(Duration::secs(1));
    assert_eq!(w.state("Bob"), Some(CallState::RingingIncoming));
    w.command(
        "Bob",
        Command::Accept {
            media: Media::Audio,
        },
    );
    w.run_for(Duration::secs(3));
    assert_eq!(w.state("Alice"), Some(CallState::Connected));
}

#[test]
fn a_long_outage_ends_the_call_as_signalling_failed() {
    let mut w = World::new(14);
    w.add("Alice", RELAY);
    w.add("Bob", RELAY);
    w.befriend("Alice", "Bob");
    w.set_online("Alice", false);
    w.call("Alice", "Bob", Media::Audio);
    w.run_for(Duration::secs(11));
    assert_eq!(w.ended("Alice"), Some(EndReason::SignallingFailed));
}
