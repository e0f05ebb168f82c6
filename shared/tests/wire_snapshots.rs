//! Every serialized wire type, pinned: a change to the JSON must be a visible, reviewed
//! decision (`cargo insta review`). Each case also round-trips.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sotto_shared::CallId;
use sotto_shared::call::CallState;
use sotto_shared::crypto::{DhCommit, PublicKey};
use sotto_shared::wire::invite::Invitation;
use sotto_shared::wire::relay::{
    ClientMsg, ErrorCode, IceServer, MsgId, Payload, RcvId, ServerMsg, SndId,
};
use sotto_shared::wire::signal::{
    CallMsg, CallSignal, ContactAccepted, ContactIntro, ContactRequest, EndReason, IceCandidate,
    Media, SdpRole, Signal, SignalBody,
};

fn rcv() -> RcvId {
    RcvId::from_bytes([1; 24])
}
fn snd() -> SndId {
    SndId::from_bytes([2; 24])
}
fn pk() -> PublicKey {
    PublicKey::from_bytes([3; 32])
}
fn call_id() -> CallId {
    CallId::from_bytes([4; 16])
}
fn candidate() -> IceCandidate {
    IceCandidate {
        candidate: "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host".into(),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
    }
}

fn pin<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(name: &str, value: &T) {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "{name} round trip");
    insta::assert_snapshot!(name, json);
}

#[test]
fn relay_requests() {
    pin("client_create_queue", &ClientMsg::CreateQueue { id: 1 });
    pin(
        "client_subscribe",
        &ClientMsg::Subscribe {
            id: 2,
            rcv_id: rcv(),
        },
    );
    pin(
        "client_ack",
        &ClientMsg::Ack {
            id: 3,
            rcv_id: rcv(),
            msg_id: MsgId("m1".into()),
        },
    );
    pin(
        "client_send",
        &ClientMsg::Send {
            id: 4,
            snd_id: snd(),
            payload: Payload(vec![0xde, 0xad, 0xbe, 0xef]),
        },
    );
    pin(
        "client_delete_queue",
        &ClientMsg::DeleteQueue {
            id: 5,
            rcv_id: rcv(),
        },
    );
    pin(
        "client_turn_credentials",
        &ClientMsg::TurnCredentials { id: 6 },
    );
    pin("client_ping", &ClientMsg::Ping { id: 7 });
}

#[test]
fn relay_replies_and_pushes() {
    pin(
        "server_queue_created",
        &ServerMsg::QueueCreated {
            id: 1,
            rcv_id: rcv(),
            snd_id: snd(),
        },
    );
    pin("server_ok", &ServerMsg::Ok { id: 2 });
    pin(
        "server_message",
        &ServerMsg::Message {
            rcv_id: rcv(),
            msg_id: MsgId("m1".into()),
            ts: 1_700_000_000_000,
            payload: Payload(vec![1, 2, 3]),
        },
    );
    pin(
        "server_ice_servers",
        &ServerMsg::IceServers {
            id: 3,
            servers: vec![
                IceServer {
                    urls: vec!["stun:turn.example:3478".into()],
                    username: None,
                    credential: None,
                },
                IceServer {
                    urls: vec!["turn:turn.example:3478?transport=udp".into()],
                    username: Some("1700000000:abc".into()),
                    credential: Some("c2VjcmV0".into()),
                },
            ],
            ttl_s: 3600,
        },
    );
    pin("server_pong", &ServerMsg::Pong { id: 4 });
    pin(
        "server_error",
        &ServerMsg::Error {
            id: Some(5),
            code: ErrorCode::QueueFull,
            message: "queue is full".into(),
        },
    );
    pin(
        "server_error_unparsed",
        &ServerMsg::Error {
            id: None,
            code: ErrorCode::BadRequest,
            message: "not JSON".into(),
        },
    );
    pin(
        "server_subscription_ended",
        &ServerMsg::SubscriptionEnded { rcv_id: rcv() },
    );
}

#[test]
fn error_codes() {
    let all: Vec<_> = ErrorCode::ALL.to_vec();
    pin("error_codes", &all);
    for code in ErrorCode::ALL {
        assert_eq!(
            serde_json::to_string(&code).unwrap(),
            format!("\"{}\"", code.as_str())
        );
    }
}

#[test]
fn contact_signals() {
    pin(
        "signal_contact_request",
        &Signal::new(SignalBody::ContactRequest(ContactRequest {
            pk: pk(),
            proof: Payload(vec![1, 2, 3]),
        })),
    );
    pin(
        "contact_intro",
        &ContactIntro {
            invite: snd(),
            relay: "https://sotto.example".into(),
            snd_id: snd(),
            name: "Bob".into(),
        },
    );
    pin(
        "signal_stamped",
        &Signal::stamped(SignalBody::ContactRemoved, 1_700_000_000_000, 42),
    );
    pin(
        "signal_contact_accepted",
        &Signal::new(SignalBody::ContactAccepted(ContactAccepted {
            relay: "https://sotto.example".into(),
            snd_id: snd(),
        })),
    );
    pin(
        "signal_contact_removed",
        &Signal::new(SignalBody::ContactRemoved),
    );
}

fn call(seq: u32, msg: CallMsg) -> Signal {
    Signal::new(SignalBody::Call(CallSignal {
        call_id: call_id(),
        seq,
        msg,
    }))
}

#[test]
fn call_signals() {
    pin(
        "call_invite",
        &call(
            0,
            CallMsg::Invite {
                media: Media::Video,
                encryption: true,
                dh_commit: DhCommit::from_bytes([5; 32]),
                lifetime_ms: 60_000,
            },
        ),
    );
    pin(
        "call_offer",
        &call(
            0,
            CallMsg::Offer {
                media: Media::Audio,
                sdp: "v=0\r\n".into(),
                candidates: vec![candidate()],
                dh_pk: pk(),
            },
        ),
    );
    pin(
        "call_answer",
        &call(
            1,
            CallMsg::Answer {
                sdp: "v=0\r\n".into(),
                candidates: vec![],
                dh_pk: pk(),
            },
        ),
    );
    pin(
        "call_candidates",
        &call(
            2,
            CallMsg::Candidates {
                candidates: vec![candidate()],
                done: true,
            },
        ),
    );
    pin(
        "call_renegotiate",
        &call(
            3,
            CallMsg::Renegotiate {
                generation: 1,
                sdp: "v=0\r\n".into(),
                role: SdpRole::Offer,
            },
        ),
    );
    pin(
        "call_media",
        &call(
            4,
            CallMsg::Media {
                audio: false,
                video: true,
                screen: false,
            },
        ),
    );
    pin(
        "call_hangup",
        &call(
            5,
            CallMsg::Hangup {
                reason: EndReason::LocalHangup,
            },
        ),
    );
    pin("call_reject", &call(1, CallMsg::Reject));
    pin("call_busy", &call(0, CallMsg::Busy));
}

#[test]
fn end_reasons_and_states() {
    let reasons = vec![
        EndReason::LocalHangup,
        EndReason::RemoteHangup,
        EndReason::Rejected,
        EndReason::Busy,
        EndReason::RingTimeout,
        EndReason::ConnectTimeout,
        EndReason::IceFailed,
        EndReason::MediaFailed,
        EndReason::SignallingFailed,
        EndReason::TurnFailed,
        EndReason::Invalid,
    ];
    pin("end_reasons", &reasons);
    pin(
        "call_states",
        &vec![
            CallState::RingingOutgoing,
            CallState::RingingIncoming,
            CallState::Connecting,
            CallState::Connected,
            CallState::Reconnecting,
            CallState::Ended(EndReason::Busy),
        ],
    );
}

#[test]
fn invitation_and_link() {
    let invite = Invitation {
        v: 1,
        relay: "https://sotto.example".into(),
        snd_id: snd(),
        pk: pk(),
        name: "Alice".into(),
    };
    pin("invitation", &invite);
    let link = invite.to_link("https://sotto.example/");
    insta::assert_snapshot!("invite_link", link);
    assert_eq!(Invitation::from_link(&link).unwrap(), invite);
}

#[test]
fn unknown_signal_versions_are_named() {
    let json = br#"{"v":1,"type":"contact_removed"}"#;
    assert_eq!(
        Signal::from_json(json).unwrap_err().to_string(),
        "signal version 1 is not supported (this build speaks v2)"
    );
    let ok = br#"{"v":2,"ts":0,"ctr":0,"type":"contact_removed"}"#;
    assert_eq!(
        Signal::from_json(ok).unwrap(),
        Signal::new(SignalBody::ContactRemoved)
    );
}

#[test]
fn call_ids_are_strings_never_numbers() {
    let json = serde_json::to_value(call(0, CallMsg::Busy)).unwrap();
    assert!(json["call_id"].is_string());
}

#[test]
fn tunnel_control_and_events() {
    use sotto_shared::wire::tunnel::{
        AudioBackend, FromTunnel, MediaCounters, ToTunnel, TunnelConfig, TunnelRole,
    };
    pin(
        "tunnel_config",
        &TunnelConfig {
            call_id: call_id().to_string(),
            audio: AudioBackend::Socket {
                path: "/run/sotto/calls/x/audio.sock".into(),
            },
            relay_only: false,
            ice_servers: vec![IceServer {
                urls: vec!["turn:192.0.2.1:3478".into()],
                username: Some("1800000000:x".into()),
                credential: Some("c2VjcmV0".into()),
            }],
        },
    );
    let control = [
        ToTunnel::Prepare {
            role: TunnelRole::Callee,
            media: Media::Audio,
        },
        ToTunnel::SetKeys {
            prk: "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc".into(),
        },
        ToTunnel::CreateOffer { ice_restart: false },
        ToTunnel::ReceivedOffer { sdp: "v=0".into() },
        ToTunnel::ReceivedAnswer { sdp: "v=0".into() },
        ToTunnel::ReceivedIce {
            candidates: vec![candidate()],
        },
        ToTunnel::Hangup,
        ToTunnel::PlayAudio {
            path: "tone.wav".into(),
            r#loop: true,
        },
        ToTunnel::RecordAudio {
            path: "heard.wav".into(),
        },
        ToTunnel::SetEcho { on: true },
        ToTunnel::RecordVideo {
            path: "camera.ivf".into(),
        },
    ];
    for msg in &control {
        let json = serde_json::to_value(msg).unwrap();
        pin(
            &format!("tunnel_to_{}", json["type"].as_str().unwrap()),
            msg,
        );
    }
    let events = [
        FromTunnel::Ready {
            input_device_name: "in".into(),
            output_device_name: "out".into(),
        },
        FromTunnel::LocalDescription { sdp: "v=0".into() },
        FromTunnel::SendIce {
            candidates: vec![candidate()],
        },
        FromTunnel::GatheringComplete,
        FromTunnel::StateChange {
            ice: "connected".into(),
        },
        FromTunnel::Counters {
            counters: MediaCounters {
                encrypted: 1,
                decrypted: 2,
                dropped_no_key: 3,
                dropped_undecryptable: 4,
                decoded: 5,
                concealed: 6,
            },
        },
        FromTunnel::Error {
            message: "bad control line".into(),
            fatal: false,
        },
    ];
    for event in &events {
        let json = serde_json::to_value(event).unwrap();
        pin(
            &format!("tunnel_from_{}", json["type"].as_str().unwrap()),
            event,
        );
    }
}
