//! Property tests: encoders and decoders agree on everything, and decoders never panic.

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sotto_shared::crypto::{
    FrameDecryptor, FrameEncryptor, FrameKey, IdentityKeyPair, MAX_HEADER_LEN, MAX_SIGNAL_BYTES,
    Opener, ReplayWindow, Sealer, SframeHeader,
};
use sotto_shared::wire::relay::{ClientMsg, Payload, SndId};

proptest! {
    #[test]
    fn sframe_header_round_trips(kid: u64, ctr: u64) {
        let mut out = [0; MAX_HEADER_LEN];
        let len = SframeHeader { kid, ctr }.encode(&mut out);
        prop_assert_eq!(SframeHeader::decode(&out[..len]), Ok((SframeHeader { kid, ctr }, len)));
    }

    #[test]
    fn sframe_header_decode_is_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..20)) {
        if let Ok((header, used)) = SframeHeader::decode(&bytes) {
            let mut out = [0; MAX_HEADER_LEN];
            let len = header.encode(&mut out);
            prop_assert_eq!(&out[..len], &bytes[..used]);
        }
    }

    #[test]
    fn frames_round_trip(
        payload in proptest::collection::vec(any::<u8>(), 0..3000),
        clear in 0usize..300,
        kid in 0u64..1 << 40,
        start in 0u64..1 << 47,
    ) {
        let key = FrameKey::new([7; 32], [9; 12]);
        let mut enc = FrameEncryptor::with_counter_for_testing_only(key.clone(), kid, start);
        let mut dec = FrameDecryptor::new(key, kid);
        let mut frame = payload.clone();
        enc.encrypt(clear, &mut frame).unwrap();
        dec.decrypt(&mut frame).unwrap();
        prop_assert_eq!(frame, payload);
    }

    #[test]
    fn frame_decryptor_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut dec = FrameDecryptor::new(FrameKey::new([7; 32], [9; 12]), 0);
        let _ = dec.decrypt(&mut bytes);
    }

    #[test]
    fn envelopes_round_trip(plaintext in proptest::collection::vec(any::<u8>(), 0..5000), seed: [u8; 32]) {
        let mut rng = ChaCha20Rng::from_seed(seed);
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let sealed = Sealer::auth(&alice, bob.public()).seal(&plaintext, &mut rng).unwrap();
        prop_assert_eq!(&Opener::auth(&bob, alice.public()).open(&sealed).unwrap()[..], &plaintext[..]);
        prop_assert!(plaintext.len() <= MAX_SIGNAL_BYTES);
    }

    #[test]
    fn replay_window_accepts_each_counter_at_most_once(ctrs in proptest::collection::vec(0u64..3000, 0..300)) {
        let mut w = ReplayWindow::new();
        let mut accepted = std::collections::HashSet::new();
        for c in ctrs {
            if w.check(c) {
                prop_assert!(accepted.insert(c), "counter {} accepted twice", c);
                w.commit(c);
            }
        }
    }

    #[test]
    fn relay_send_round_trips(id: u64, snd: [u8; 24], payload in proptest::collection::vec(any::<u8>(), 0..200)) {
        let msg = ClientMsg::Send { id, snd_id: SndId::from_bytes(snd), payload: Payload(payload) };
        let json = serde_json::to_string(&msg).unwrap();
        prop_assert_eq!(serde_json::from_str::<ClientMsg>(&json).unwrap(), msg);
    }

    #[test]
    fn relay_decoder_never_panics(text in "\\PC{0,200}") {
        let _ = serde_json::from_str::<ClientMsg>(&text);
    }
}
