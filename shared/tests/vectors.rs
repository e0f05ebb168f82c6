//! Known-answer vectors.
//! - `vectors/rfc9605-header.json`: RFC 9605 Appendix C.1 header encodings (source in the file).
//! - `vectors/frame-v1.json`: our own published vectors for key derivation, the security code
//!   and frame format v1. Regenerate only on a deliberate format change:
//!   `SOTTO_BLESS_VECTORS=1 cargo test -p sotto-shared --test vectors`.

use std::path::PathBuf;

use chacha20poly1305::aead::AeadInOut as _;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit as _};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sotto_shared::CallId;
use sotto_shared::crypto::{
    DhCommit, Direction, FrameDecryptor, FrameEncryptor, FrameKey, MAX_HEADER_LEN, MediaKind,
    MediaSecret, PublicKey, SframeHeader, Stream, clear_prefix_len,
};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

#[derive(Deserialize)]
struct HeaderFile {
    header: Vec<HeaderVector>,
}

#[derive(Deserialize)]
struct HeaderVector {
    kid: u64,
    ctr: u64,
    encoded: String,
}

#[test]
fn sframe_header_matches_rfc9605_vectors() {
    let file: HeaderFile =
        serde_json::from_slice(&std::fs::read(vectors_dir().join("rfc9605-header.json")).unwrap())
            .unwrap();
    assert!(file.header.len() > 50);
    for v in file.header {
        let expected = hex::decode(&v.encoded).unwrap();
        let mut out = [0; MAX_HEADER_LEN];
        let len = SframeHeader {
            kid: v.kid,
            ctr: v.ctr,
        }
        .encode(&mut out);
        assert_eq!(
            hex::encode(&out[..len]),
            v.encoded,
            "encode kid={} ctr={}",
            v.kid,
            v.ctr
        );
        let (decoded, used) = SframeHeader::decode(&expected).unwrap();
        assert_eq!(
            (decoded.kid, decoded.ctr, used),
            (v.kid, v.ctr, expected.len())
        );
    }
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct FrameVectors {
    description: String,
    derivation: Derivation,
    keys: Vec<KeyVector>,
    security_code: SasVector,
    frames: Vec<FrameVector>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Derivation {
    call_id: String,
    caller_dh_pk: String,
    callee_dh_pk: String,
    x25519_shared: String,
    prk: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct KeyVector {
    direction: String,
    stream: String,
    key: String,
    salt: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct SasVector {
    identity_a: String,
    identity_b: String,
    bytes: String,
    display: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct FrameVector {
    name: String,
    key: String,
    salt: String,
    kid: u64,
    ctr: u64,
    kind: String,
    plaintext: String,
    clear_len: usize,
    encrypted: String,
}

fn fixed<const N: usize>(start: u8) -> [u8; N] {
    std::array::from_fn(|i| start.wrapping_add(i as u8))
}

fn compute() -> FrameVectors {
    let call_id = CallId::from_bytes(fixed(0x10));
    let caller = PublicKey::from_bytes(fixed(0x20));
    let callee = PublicKey::from_bytes(fixed(0x40));
    let shared: [u8; 32] = fixed(0x60);
    let secret = MediaSecret::derive(&call_id, &caller, &callee, &shared);

    let mut keys = Vec::new();
    for direction in [Direction::Caller, Direction::Callee] {
        for stream in Stream::ALL {
            let (key, salt) = expand_independently(&secret.to_bytes(), direction, stream);
            keys.push(KeyVector {
                direction: direction.label().into(),
                stream: stream.label().into(),
                key: hex::encode(key),
                salt: hex::encode(salt),
            });
        }
    }

    let id_a = PublicKey::from_bytes(fixed(0xa0));
    let id_b = PublicKey::from_bytes(fixed(0x05));
    let code = secret.security_code(&id_a, &id_b);
    assert_eq!(
        code,
        secret.security_code(&id_b, &id_a),
        "order of identities does not matter"
    );

    let frame_key: [u8; 32] = fixed(0x80);
    let frame_salt: [u8; 12] = fixed(0xc0);
    let cases: [(&str, u64, u64, MediaKind, Vec<u8>); 5] = [
        (
            "opus, first frame",
            0,
            0,
            MediaKind::Audio,
            hex::decode("fc0102030405060708090a0b0c0d0e0f").unwrap(),
        ),
        (
            "vp8 key frame",
            0,
            1,
            MediaKind::Video,
            (0..64u8).map(|i| if i == 0 { 0x10 } else { i }).collect(),
        ),
        (
            "vp8 delta frame",
            0,
            255,
            MediaKind::Video,
            (0..40u8).map(|i| i | 1).collect(),
        ),
        (
            "wide counter",
            0,
            0x0123_4567_89ab,
            MediaKind::Audio,
            b"sotto frame v1".to_vec(),
        ),
        (
            "key id 291",
            291,
            17767,
            MediaKind::Video,
            (0..20u8).map(|i| i | 1).collect(),
        ),
    ];
    let frames = cases
        .into_iter()
        .map(|(name, kid, ctr, kind, plaintext)| {
            let clear_len = clear_prefix_len(kind, &plaintext);
            let mut enc = FrameEncryptor::with_counter_for_testing_only(
                FrameKey::new(frame_key, frame_salt),
                kid,
                ctr,
            );
            let mut frame = plaintext.clone();
            enc.encrypt(clear_len, &mut frame).unwrap();
            FrameVector {
                name: name.into(),
                key: hex::encode(frame_key),
                salt: hex::encode(frame_salt),
                kid,
                ctr,
                kind: format!("{kind:?}").to_lowercase(),
                plaintext: hex::encode(&plaintext),
                clear_len,
                encrypted: hex::encode(&frame),
            }
        })
        .collect();

    FrameVectors {
        description: "sotto frame format v1 and key schedule; see the sotto-shared crate docs"
            .into(),
        derivation: Derivation {
            call_id: hex::encode(call_id.as_bytes()),
            caller_dh_pk: hex::encode(caller.as_bytes()),
            callee_dh_pk: hex::encode(callee.as_bytes()),
            x25519_shared: hex::encode(shared),
            prk: hex::encode(secret.to_bytes()),
        },
        keys,
        security_code: SasVector {
            identity_a: hex::encode(id_a.as_bytes()),
            identity_b: hex::encode(id_b.as_bytes()),
            bytes: hex::encode(code.as_bytes()),
            display: code.to_string(),
        },
        frames,
    }
}

/// The key schedule from its written spec with bare `hkdf`, not through `MediaSecret`.
fn expand_independently(
    prk: &[u8; 32],
    direction: Direction,
    stream: Stream,
) -> ([u8; 32], [u8; 12]) {
    let hk = Hkdf::<Sha256>::from_prk(prk).unwrap();
    let mut key = [0; 32];
    let mut salt = [0; 12];
    hk.expand(
        format!("sotto/v1/key {} {}", direction.label(), stream.label()).as_bytes(),
        &mut key,
    )
    .unwrap();
    hk.expand(
        format!("sotto/v1/salt {} {}", direction.label(), stream.label()).as_bytes(),
        &mut salt,
    )
    .unwrap();
    (key, salt)
}

#[test]
fn frame_vectors_match_the_published_file() {
    let path = vectors_dir().join("frame-v1.json");
    let computed = compute();
    if std::env::var_os("SOTTO_BLESS_VECTORS").is_some() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&computed).unwrap() + "\n",
        )
        .unwrap();
    }
    let published: FrameVectors = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(computed, published);
}

#[test]
fn published_prk_follows_the_written_derivation() {
    let v = compute().derivation;
    let salt = Sha256::new()
        .chain_update(hex::decode(&v.call_id).unwrap())
        .chain_update(hex::decode(&v.caller_dh_pk).unwrap())
        .chain_update(hex::decode(&v.callee_dh_pk).unwrap())
        .finalize();
    let (prk, _) = Hkdf::<Sha256>::extract(Some(&salt), &hex::decode(&v.x25519_shared).unwrap());
    assert_eq!(hex::encode(prk), v.prk);
}

#[test]
fn dh_commit_follows_the_written_derivation() {
    let v = compute().derivation;
    let call_id = CallId::from_bytes(hex::decode(&v.call_id).unwrap().try_into().unwrap());
    let caller = PublicKey::from_bytes(hex::decode(&v.caller_dh_pk).unwrap().try_into().unwrap());
    let bare = Sha256::new()
        .chain_update(b"sotto/v1/dh-commit")
        .chain_update(call_id.as_bytes())
        .chain_update(caller.as_bytes())
        .finalize();
    assert_eq!(DhCommit::of(&call_id, &caller).as_bytes()[..], bare[..]);
}

#[test]
fn media_secret_keys_match_the_written_schedule() {
    let secret = MediaSecret::from_bytes(fixed(0x33));
    for direction in [Direction::Caller, Direction::Callee] {
        for stream in Stream::ALL {
            let (key, salt) = expand_independently(&secret.to_bytes(), direction, stream);
            let mut via_bare = vp8(7);
            let mut via_ours = via_bare.clone();
            FrameEncryptor::new(FrameKey::new(key, salt), 0)
                .encrypt(3, &mut via_bare)
                .unwrap();
            FrameEncryptor::new(secret.frame_key(direction, stream), 0)
                .encrypt(3, &mut via_ours)
                .unwrap();
            assert_eq!(via_bare, via_ours, "{direction:?} {stream:?}");
        }
    }
}

fn vp8(n: u8) -> Vec<u8> {
    (0..50).map(|i| (i as u8).wrapping_mul(n) | 1).collect()
}

/// Rebuilds every published frame from the format's written description with bare
/// ChaCha20-Poly1305, so the docs and the code cannot drift apart.
#[test]
fn published_frames_follow_the_written_format() {
    for v in compute().frames {
        let plaintext = hex::decode(&v.plaintext).unwrap();
        let key: [u8; 32] = hex::decode(&v.key).unwrap().try_into().unwrap();
        let salt: [u8; 12] = hex::decode(&v.salt).unwrap().try_into().unwrap();
        let mut header = [0; MAX_HEADER_LEN];
        let hlen = SframeHeader {
            kid: v.kid,
            ctr: v.ctr,
        }
        .encode(&mut header);
        let mut trailer = header[..hlen].to_vec();
        trailer.push(v.clear_len as u8);
        trailer.push(0xC0 | (hlen as u8 - 1));
        let (clear, rest) = plaintext.split_at(v.clear_len);
        let aad = [clear, &trailer].concat();
        let mut nonce = salt;
        for (n, c) in nonce[4..].iter_mut().zip(v.ctr.to_be_bytes()) {
            *n ^= c;
        }
        let mut body = rest.to_vec();
        let tag = ChaCha20Poly1305::new(&key.into())
            .encrypt_inout_detached(&nonce.into(), &aad, body.as_mut_slice().into())
            .unwrap();
        let expected = [clear, &body, &tag, &trailer].concat();
        assert_eq!(hex::encode(&expected), v.encrypted, "{}", v.name);

        let mut frame = expected.clone();
        let mut dec = FrameDecryptor::new(FrameKey::new(key, salt), v.kid);
        dec.decrypt(&mut frame).unwrap();
        assert_eq!(frame, plaintext);
    }
}
