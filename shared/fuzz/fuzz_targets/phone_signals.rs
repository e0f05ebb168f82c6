//! A hostile peer: any sequence of call signals, commands and time steps into a phone. The
//! machine must never panic and must always end a drain with a timeout.
//!
//! Input: lines; the first byte of a line picks the action, the rest is its argument. Two
//! actions play a caller whose call key is known, so an invitation's commitment can be met by
//! the answer's reveal and the callee's key path (SetKeys, ApplyAnswer) is reachable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sotto_shared::call::{Command, IceState, Input, Output, Peer, Phone, PhoneConfig, RtcEvent};
use sotto_shared::crypto::{CallKeyPair, DhCommit, PublicKey};
use sotto_shared::wire::signal::{CallMsg, CallSignal, Media, Signal, SignalBody};
use sotto_shared::{CallId, Duration, Millis, PeerId};

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
    let caller_key = CallKeyPair::generate(&mut ChaCha20Rng::seed_from_u64(1)).public();
    let from_caller = |n: u8, seq: u32, msg: CallMsg| Input::Signal {
        from: peer(n),
        age: Duration(0),
        signal: CallSignal {
            call_id: CallId::from_bytes([n; 16]),
            seq,
            msg,
        },
    };
    let mut now = Millis(0);
    for line in data.split(|b| *b == b'\n') {
        let Some((&op, arg)) = line.split_first() else {
            continue;
        };
        let n = arg.first().copied().unwrap_or(0);
        let input = match op % 10 {
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
            7 => Input::Command(Command::SetMedia {
                audio: n & 1 == 0,
                video: n & 2 == 0,
                screen: false,
            }),
            8 => from_caller(
                n,
                0,
                CallMsg::Invite {
                    media: Media::Video,
                    encryption: true,
                    dh_commit: DhCommit::of(&CallId::from_bytes([n; 16]), &caller_key),
                    lifetime_ms: 60_000,
                },
            ),
            _ => from_caller(
                n,
                u32::from(arg.get(1).copied().unwrap_or(1)),
                CallMsg::Answer {
                    sdp: "v=0".into(),
                    candidates: Vec::new(),
                    dh_pk: caller_key,
                },
            ),
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
