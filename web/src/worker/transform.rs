//! The pure part of the frame worker: options and the call's key → crypto → per-frame
//! decision. No browser types, so it is tested natively.

use serde::{Deserialize, Serialize};
use sotto_shared::crypto::{
    FrameDecryptor, FrameEncryptor, MediaSecret, Role, Stream, clear_prefix_len,
};

use super::Counters;

/// Encrypt (a sender) or decrypt (a receiver).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Our outgoing stream.
    Encrypt,
    /// The peer's incoming stream.
    Decrypt,
}

/// What the page passes with each `RTCRtpScriptTransform`. No key: the transform is made
/// before the call's key may be known (the callee learns it only from the answer, DESIGN §3),
/// and gets it later by its `slot` ([`super::ToWorker::SetKeys`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransformOptions {
    /// Encrypt or decrypt.
    pub op: Operation,
    /// Which of the four fixed streams (`mic`, `camera`, `screen_audio`, `screen_video`).
    pub stream: String,
    /// Whether we called (`true`) or were called.
    pub caller: bool,
    /// The call's handle in the worker: its keys arrive under this number.
    pub slot: u32,
    /// Key id (the key generation; 0 for a call's first key).
    pub kid: u64,
}

impl TransformOptions {
    /// The stream, checked.
    ///
    /// # Errors
    /// A message when the stream name is unknown (the transform then drops every frame).
    pub fn stream(&self) -> Result<Stream, String> {
        Stream::from_label(&self.stream).ok_or_else(|| format!("unknown stream {:?}", self.stream))
    }

    /// Whether this transform decrypts a video stream (the only kind that can be asked for a
    /// key frame).
    #[must_use]
    pub fn is_video_receiver(&self) -> bool {
        self.op == Operation::Decrypt
            && self
                .stream()
                .is_ok_and(|s| matches!(s, Stream::Camera | Stream::ScreenVideo))
    }
}

/// One stream's frame crypto.
#[derive(Debug)]
pub enum FrameCrypto {
    /// Sender side.
    Encrypt { enc: FrameEncryptor, stream: Stream },
    /// Receiver side.
    Decrypt { dec: FrameDecryptor },
}

impl FrameCrypto {
    /// Builds the crypto for a transform from its options and the call's media secret.
    ///
    /// # Errors
    /// A message when the options are malformed (then the transform drops every frame).
    pub fn new(options: &TransformOptions, secret: &MediaSecret) -> Result<Self, String> {
        let stream = options.stream()?;
        let role = if options.caller {
            Role::Caller
        } else {
            Role::Callee
        };
        Ok(match options.op {
            Operation::Encrypt => {
                let key = secret.frame_key(role.sending(), stream);
                Self::Encrypt {
                    enc: FrameEncryptor::new(key, options.kid),
                    stream,
                }
            }
            Operation::Decrypt => {
                let key = secret.frame_key(role.peer().sending(), stream);
                Self::Decrypt {
                    dec: FrameDecryptor::new(key, options.kid),
                }
            }
        })
    }

    /// Transforms `frame` in place. `false`: drop it.
    pub fn process(&mut self, frame: &mut Vec<u8>, counters: &mut Counters) -> bool {
        if frame.is_empty() {
            counters.empty += 1;
            return true;
        }
        match self {
            Self::Encrypt { enc, stream } => {
                let clear = clear_prefix_len(stream.kind(), frame);
                match enc.encrypt(clear, frame) {
                    Ok(()) => {
                        counters.encrypted += 1;
                        true
                    }
                    Err(_) => {
                        counters.dropped_unencryptable += 1;
                        false
                    }
                }
            }
            Self::Decrypt { dec } => match dec.decrypt(frame) {
                Ok(()) => {
                    counters.decrypted += 1;
                    true
                }
                Err(reason) => {
                    counters.drop(reason);
                    false
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(op: Operation, caller: bool) -> TransformOptions {
        TransformOptions {
            op,
            stream: "camera".into(),
            caller,
            slot: 1,
            kid: 0,
        }
    }

    fn crypto(op: Operation, caller: bool, prk: u8) -> FrameCrypto {
        FrameCrypto::new(&options(op, caller), &MediaSecret::from_bytes([prk; 32])).unwrap()
    }

    #[test]
    fn callers_sender_matches_callees_receiver() {
        let mut counters = Counters::default();
        let mut send = crypto(Operation::Encrypt, true, 1);
        let mut recv = crypto(Operation::Decrypt, false, 1);
        let original: Vec<u8> = (0..500u32).map(|i| (i as u8) | 1).collect();
        let mut frame = original.clone();
        assert!(send.process(&mut frame, &mut counters));
        assert_ne!(frame, original);
        assert!(recv.process(&mut frame, &mut counters));
        assert_eq!(frame, original);
        assert_eq!(
            (counters.encrypted, counters.decrypted, counters.dropped()),
            (1, 1, 0)
        );
    }

    #[test]
    fn own_direction_never_decrypts_own_frames() {
        // A reflected frame (our own, sent back) must not decrypt: directions have distinct keys.
        let mut counters = Counters::default();
        let mut send = crypto(Operation::Encrypt, true, 1);
        let mut recv_own = crypto(Operation::Decrypt, true, 1);
        let mut frame = vec![0x31; 100];
        send.process(&mut frame, &mut counters);
        assert!(!recv_own.process(&mut frame, &mut counters));
        assert_eq!(counters.dropped_forged, 1);
    }

    #[test]
    fn a_wrong_secret_drops_every_frame() {
        let mut counters = Counters::default();
        let mut send = crypto(Operation::Encrypt, false, 1);
        let mut recv = crypto(Operation::Decrypt, true, 2);
        for _ in 0..10 {
            let mut frame = vec![0x30; 800];
            send.process(&mut frame, &mut counters);
            assert!(!recv.process(&mut frame, &mut counters));
        }
        assert_eq!((counters.decrypted, counters.dropped_forged), (0, 10));
    }

    #[test]
    fn empty_frames_pass_and_are_counted_apart() {
        let mut counters = Counters::default();
        let mut recv = crypto(Operation::Decrypt, false, 1);
        assert!(recv.process(&mut Vec::new(), &mut counters));
        assert_eq!(
            (counters.empty, counters.decrypted, counters.dropped()),
            (1, 0, 0)
        );
    }

    #[test]
    fn malformed_options_are_refused() {
        let mut bad = options(Operation::Encrypt, true);
        bad.stream = "webcam".into();
        assert!(FrameCrypto::new(&bad, &MediaSecret::from_bytes([1; 32])).is_err());
    }

    #[test]
    fn only_video_receivers_ask_for_key_frames() {
        let mut o = options(Operation::Decrypt, true);
        assert!(o.is_video_receiver());
        o.stream = "mic".into();
        assert!(!o.is_video_receiver());
        o = options(Operation::Encrypt, true);
        assert!(!o.is_video_receiver());
    }

    #[test]
    fn plaintext_frames_are_dropped_not_passed() {
        let mut counters = Counters::default();
        let mut recv = crypto(Operation::Decrypt, false, 1);
        let mut frame = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
        assert!(
            !recv.process(&mut frame, &mut counters),
            "an unencrypted VP8 frame is never decoded"
        );
    }
}
