use super::*;

fn key(n: u8) -> FrameKey {
    FrameKey::new([n; 32], [n.wrapping_add(1); 12])
}

fn pair() -> (FrameEncryptor, FrameDecryptor) {
    (
        FrameEncryptor::new(key(1), 0),
        FrameDecryptor::new(key(1), 0),
    )
}

fn vp8_delta() -> Vec<u8> {
    let mut frame = vec![0x31, 0x02, 0x03];
    frame.extend((0..200).map(|i| i as u8));
    frame
}

fn sealed() -> (Vec<u8>, Vec<u8>, FrameDecryptor) {
    let (mut enc, dec) = pair();
    let plain = vp8_delta();
    let mut frame = plain.clone();
    enc.encrypt(clear_prefix_len(MediaKind::Video, &frame), &mut frame)
        .unwrap();
    (plain, frame, dec)
}

#[test]
fn round_trips_and_keeps_the_clear_prefix() {
    let (plain, frame, mut dec) = sealed();
    assert_eq!(&frame[..3], &plain[..3], "VP8 delta header stays readable");
    assert_ne!(&frame[3..plain.len()], &plain[3..], "the rest is encrypted");
    assert_eq!(
        frame.len(),
        plain.len() + TAG_LEN + 1 + 2,
        "1-byte SFrame header for kid 0, ctr 0"
    );
    let mut opened = frame;
    dec.decrypt(&mut opened).unwrap();
    assert_eq!(opened, plain);
}

#[test]
fn drops_replayed_frame() {
    let (_, frame, mut dec) = sealed();
    dec.decrypt(&mut frame.clone()).unwrap();
    assert_eq!(dec.decrypt(&mut frame.clone()), Err(FrameDrop::Replayed));
}

#[test]
fn drops_tampered_frames_anywhere() {
    let (_, frame, _) = sealed();
    // Every byte is either authenticated (clear prefix, ciphertext, tag, header) or structural
    // (P, V): flipping any one must never yield a frame.
    for i in 0..frame.len() {
        let mut tampered = frame.clone();
        tampered[i] ^= 0x01;
        let mut dec = pair().1;
        assert!(
            dec.decrypt(&mut tampered).is_err(),
            "byte {i} flipped but accepted"
        );
    }
}

#[test]
fn drops_truncated_frames() {
    let (_, frame, _) = sealed();
    for len in 1..frame.len() {
        let mut dec = pair().1;
        let mut cut = frame[..len].to_vec();
        assert!(
            dec.decrypt(&mut cut).is_err(),
            "truncated to {len} but accepted"
        );
        let mut tail = frame[frame.len() - len..].to_vec();
        assert!(dec.decrypt(&mut tail).is_err(), "suffix of {len} accepted");
    }
}

#[test]
fn drops_frames_under_a_wrong_key() {
    let (_, mut frame, _) = sealed();
    let mut other = FrameDecryptor::new(key(2), 0);
    assert_eq!(other.decrypt(&mut frame), Err(FrameDrop::Forged));
}

#[test]
fn forged_frames_do_not_move_the_replay_window() {
    let (mut enc, mut dec) = pair();
    let mut frames: Vec<Vec<u8>> = (0..3)
        .map(|_| {
            let mut f = vp8_delta();
            enc.encrypt(3, &mut f).unwrap();
            f
        })
        .collect();
    // A forgery claiming counter 2 must not burn counter 2 for the real frame.
    let mut forged = frames[2].clone();
    forged[5] ^= 0xff;
    assert_eq!(dec.decrypt(&mut forged), Err(FrameDrop::Forged));
    for f in &mut frames {
        dec.decrypt(f).unwrap();
    }
}

#[test]
fn drops_foreign_trailers() {
    let mut dec = pair().1;
    // Plain VP8 and Opus payloads, and frames from other E2EE schemes, end in arbitrary bytes.
    for last in [0x00u8, 0x10, 0x7f, 0x80, 0xb5, 0xd0, 0xff] {
        let mut frame = vec![0x9d; 64];
        frame.push(last);
        let result = dec.decrypt(&mut frame);
        assert!(
            matches!(result, Err(FrameDrop::NotOurs | FrameDrop::Forged)),
            "{last:#x}: {result:?}"
        );
    }
    // A v1 mark with an impossible header length.
    assert_eq!(dec.decrypt(&mut vec![0xcf]), Err(FrameDrop::NotOurs));
    // A clear length pointing past the tag.
    let (_, mut frame, _) = sealed();
    let p = frame.len() - 2;
    frame[p] = 250;
    assert_eq!(dec.decrypt(&mut frame), Err(FrameDrop::NotOurs));
}

#[test]
fn drops_frames_for_another_key_id() {
    let (_, mut frame, _) = sealed();
    let mut dec = FrameDecryptor::new(key(1), 1);
    assert_eq!(dec.decrypt(&mut frame), Err(FrameDrop::UnknownKey));
}

#[test]
fn empty_frames_pass_through() {
    let (mut enc, mut dec) = pair();
    let mut frame = Vec::new();
    enc.encrypt(0, &mut frame).unwrap();
    assert!(frame.is_empty());
    dec.decrypt(&mut frame).unwrap();
    assert!(frame.is_empty());
}

#[test]
fn refuses_to_wrap_the_counter() {
    let mut enc = FrameEncryptor::with_counter_for_testing_only(key(1), 0, (1 << 48) - 1);
    let mut frame = vp8_delta();
    enc.encrypt(3, &mut frame).unwrap();
    let mut next = vp8_delta();
    assert_eq!(
        enc.encrypt(3, &mut next),
        Err(EncryptError::CounterExhausted)
    );
    assert_eq!(
        next,
        vp8_delta(),
        "a refused frame is left untouched, never sent in clear"
    );
}

#[test]
fn clear_prefix_follows_the_codec() {
    assert_eq!(
        clear_prefix_len(MediaKind::Video, &[0x10; 50]),
        10,
        "VP8 key frame: P bit clear"
    );
    assert_eq!(clear_prefix_len(MediaKind::Video, &[0x11; 50]), 3);
    assert_eq!(
        clear_prefix_len(MediaKind::Video, &[0x10; 4]),
        4,
        "never past the end"
    );
    assert_eq!(clear_prefix_len(MediaKind::Audio, &[0xfc; 80]), 1);
    assert_eq!(clear_prefix_len(MediaKind::Audio, &[]), 0);
}

#[test]
fn encrypting_with_reserved_capacity_does_not_allocate() {
    let (mut enc, _) = pair();
    let mut frame = Vec::with_capacity(300 + FrameEncryptor::OVERHEAD);
    frame.extend_from_slice(&vp8_delta());
    let before = frame.as_ptr();
    enc.encrypt(3, &mut frame).unwrap();
    assert_eq!(frame.as_ptr(), before);
}

#[test]
fn debug_output_never_shows_keys() {
    let (enc, dec) = pair();
    insta::assert_snapshot!(format!("{:?} {:?} {:?}", key(1), enc, dec), @"FrameKey(..) FrameEncryptor { kid: 0, next: 0, key: .. } FrameDecryptor { kid: 0, key: .. }");
}
