//! The pure part of the frame worker: options → crypto → per-frame decision. No browser types,
//! so it is tested natively.

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

/// What the page passes with each `RTCRtpScriptTransform`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransformOptions {
    /// Encrypt or decrypt.
    pub op: Operation,
    /// Which of the four fixed streams (`mic`, `camera`, `screen_audio`, `screen_video`).
    pub stream: String,
    /// Whether we called (`true`) or were called.
    pub caller: bool,
    /// The call's media secret (prk), 32 bytes.
    pub prk: Vec<u8>,
    /// Key id (the key generation; 0 for a call's first key).
    pub kid: u64,
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
    /// Builds the crypto for a transform from its options.
    ///
    /// # Errors
    /// A message when the options are malformed (then the transform drops every frame).
    pub fn from_options(options: &TransformOptions) -> Result<Self, String> {
        let stream = Stream::from_label(&options.stream)
            .ok_or_else(|| format!("unknown stream {:?}", options.stream))?;
        let prk: [u8; 32] = options
            .prk
            .as_slice()
            .try_into()
            .map_err(|_| "the media secret must be 32 bytes".to_owned())?;
        let secret = MediaSecret::from_bytes(prk);
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

    fn options(op: Operation, caller: bool, prk: u8) -> TransformOptions {
        TransformOptions {
            op,
            stream: "camera".into(),
            caller,
            prk: vec![prk; 32],
            kid: 0,
        }
    }

    #[test]
    fn callers_sender_matches_callees_receiver() {
        let mut counters = Counters::default();
        let mut send = FrameCrypto::from_options(&options(Operation::Encrypt, true, 1)).unwrap();
        let mut recv = FrameCrypto::from_options(&options(Operation::Decrypt, false, 1)).unwrap();
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
        let mut send = FrameCrypto::from_options(&options(Operation::Encrypt, true, 1)).unwrap();
        let mut recv_own =
            FrameCrypto::from_options(&options(Operation::Decrypt, true, 1)).unwrap();
        let mut frame = vec![0x31; 100];
        send.process(&mut frame, &mut counters);
        assert!(!recv_own.process(&mut frame, &mut counters));
        assert_eq!(counters.dropped_forged, 1);
    }

    #[test]
    fn a_wrong_secret_drops_every_frame() {
        let mut counters = Counters::default();
        let mut send = FrameCrypto::from_options(&options(Operation::Encrypt, false, 1)).unwrap();
        let mut recv = FrameCrypto::from_options(&options(Operation::Decrypt, true, 2)).unwrap();
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
        let mut recv = FrameCrypto::from_options(&options(Operation::Decrypt, false, 1)).unwrap();
        assert!(recv.process(&mut Vec::new(), &mut counters));
        assert_eq!(
            (counters.empty, counters.decrypted, counters.dropped()),
            (1, 0, 0)
        );
    }

    #[test]
    fn malformed_options_are_refused() {
        let mut bad = options(Operation::Encrypt, true, 1);
        bad.prk.pop();
        assert!(FrameCrypto::from_options(&bad).is_err());
        bad = options(Operation::Encrypt, true, 1);
        bad.stream = "webcam".into();
        assert!(FrameCrypto::from_options(&bad).is_err());
    }

    #[test]
    fn plaintext_frames_are_dropped_not_passed() {
        let mut counters = Counters::default();
        let mut recv = FrameCrypto::from_options(&options(Operation::Decrypt, false, 1)).unwrap();
        let mut frame = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
        assert!(
            !recv.process(&mut frame, &mut counters),
            "an unencrypted VP8 frame is never decoded"
        );
    }
}
