//! A hostile peer: any sequence of call signals, commands and time steps into a phone. The
//! machine must never panic and must always end a drain with a timeout.
//!
//! Input: lines; the first byte of a line picks the action, the rest is its argument.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sotto_shared::call::{Command, IceState, Input, Output, Peer, Phone, PhoneConfig, RtcEvent};
use sotto_shared::crypto::PublicKey;
use sotto_shared::wire::signal::{Media, Signal, SignalBody};
use sotto_shared::{Duration, Millis, PeerId};

fuzz_target!(|data: &[u8]| {
    let mut phone = Phone::new(
        PhoneConfig::default(),
        PublicKey::from_bytes([1; 32]),
        ChaCha20Rng::seed_from_u64(0),
    );
    let peer = |n: u8| Peer {
        id: PeerId(format!("p{}", n % 3)),
        identity: PublicKey::from_bytes([n % 3 + 2; 32]),
    };
    let mut now = Millis(0);
    for line in data.split(|b| *b == b'\n') {
        let Some((&op, arg)) = line.split_first() else {
            continue;
        };
        let n = arg.first().copied().unwrap_or(0);
        let input = match op % 8 {
            0 => match Signal::from_json(arg) {
                Ok(Signal {
                    body: SignalBody::Call(signal),
                    ..
                }) => Input::Signal {
                    from: peer(n),
                    age: Duration(u64::from(n) * 500),
                    signal,
                },
                _ => continue,
            },
            1 => Input::Command(Command::Start {
                peer: peer(n),
                media: Media::Video,
            }),
            2 => Input::Command(Command::Accept {
                media: Media::Audio,
            }),
            3 => Input::Command(Command::Hangup),
            4 => Input::Command(Command::Decline),
            5 => {
                now = now + Duration(u64::from(n) * 250);
                Input::Timeout
            }
            6 => match phone.call() {
                Some(call) => Input::Rtc {
                    call_id: call.call_id,
                    event: match n % 5 {
                        0 => RtcEvent::LocalDescription { sdp: "v=0".into() },
                        1 => RtcEvent::GatheringComplete,
                        2 => RtcEvent::Ice(IceState::Connected),
                        3 => RtcEvent::Ice(IceState::Failed),
                        _ => RtcEvent::Ice(IceState::Disconnected),
                    },
                },
                None => continue,
            },
            _ => Input::Command(Command::SetMedia {
                audio: n & 1 == 0,
                video: n & 2 == 0,
                screen: false,
            }),
        };
        let _ = phone.handle_input(now, input);
        for _ in 0..10_000 {
            if let Output::Timeout(at) = phone.poll_output() {
                assert!(at.is_none_or(|t| t >= now || phone.call().is_some()));
                break;
            }
        }
    }
});
