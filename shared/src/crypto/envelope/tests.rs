use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

use super::*;

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([9; 32])
}

fn people() -> (IdentityKeyPair, IdentityKeyPair, IdentityKeyPair) {
    let mut r = rng();
    (
        IdentityKeyPair::generate(&mut r),
        IdentityKeyPair::generate(&mut r),
        IdentityKeyPair::generate(&mut r),
    )
}

#[test]
fn auth_mode_round_trips() {
    let (alice, bob, _) = people();
    let sealed = Sealer::auth(&alice, bob.public())
        .seal(b"{\"v\":1}", &mut rng())
        .unwrap();
    let opened = Opener::auth(&bob, alice.public()).open(&sealed).unwrap();
    assert_eq!(&opened[..], b"{\"v\":1}");
}

#[test]
fn base_mode_round_trips() {
    let (alice, bob, _) = people();
    let _ = alice;
    let sealed = Sealer::base(bob.public())
        .seal(b"hello", &mut rng())
        .unwrap();
    assert_eq!(&Opener::base(&bob).open(&sealed).unwrap()[..], b"hello");
}

#[test]
fn pads_to_buckets() {
    let (alice, bob, _) = people();
    for (len, bucket) in [
        (0, 1024),
        (1020, 1024),
        (1021, 2048),
        (20_000, 32768),
        (MAX_SIGNAL_BYTES, 32768),
    ] {
        let sealed = Sealer::auth(&alice, bob.public())
            .seal(&vec![b'x'; len], &mut rng())
            .unwrap();
        assert_eq!(sealed.len(), 2 + 32 + bucket + 16, "{len} bytes");
        assert_eq!(
            Opener::auth(&bob, alice.public())
                .open(&sealed)
                .unwrap()
                .len(),
            len
        );
    }
    assert_eq!(
        Sealer::auth(&alice, bob.public()).seal(&vec![0; MAX_SIGNAL_BYTES + 1], &mut rng()),
        Err(SealError::TooLarge(MAX_SIGNAL_BYTES + 1))
    );
}

#[test]
fn rejects_a_forged_sender() {
    let (alice, bob, mallory) = people();
    let sealed = Sealer::auth(&mallory, bob.public())
        .seal(b"hi", &mut rng())
        .unwrap();
    assert_eq!(
        Opener::auth(&bob, alice.public()).open(&sealed),
        Err(OpenError)
    );
}

#[test]
fn rejects_the_wrong_recipient() {
    let (alice, bob, mallory) = people();
    let sealed = Sealer::auth(&alice, bob.public())
        .seal(b"hi", &mut rng())
        .unwrap();
    assert_eq!(
        Opener::auth(&mallory, alice.public()).open(&sealed),
        Err(OpenError)
    );
}

#[test]
fn rejects_mode_confusion() {
    let (alice, bob, _) = people();
    let base = Sealer::base(bob.public()).seal(b"hi", &mut rng()).unwrap();
    assert_eq!(
        Opener::auth(&bob, alice.public()).open(&base),
        Err(OpenError)
    );
    let auth = Sealer::auth(&alice, bob.public())
        .seal(b"hi", &mut rng())
        .unwrap();
    assert_eq!(Opener::base(&bob).open(&auth), Err(OpenError));
}

#[test]
fn rejects_every_single_bit_flip() {
    let (alice, bob, _) = people();
    let sealed = Sealer::auth(&alice, bob.public())
        .seal(b"{\"v\":1}", &mut rng())
        .unwrap();
    let opener = Opener::auth(&bob, alice.public());
    // Header, encapsulated key, ciphertext and tag (sampled through the padding).
    for i in (0..sealed.len()).filter(|i| *i < 64 || i % 97 == 0 || *i >= sealed.len() - 20) {
        let mut tampered = sealed.clone();
        tampered[i] ^= 0x80;
        assert_eq!(opener.open(&tampered), Err(OpenError), "byte {i}");
    }
}

#[test]
fn rejects_truncation_and_extension() {
    let (alice, bob, _) = people();
    let sealed = Sealer::auth(&alice, bob.public())
        .seal(b"hi", &mut rng())
        .unwrap();
    let opener = Opener::auth(&bob, alice.public());
    for len in [0, 1, 2, 33, 34, 49, 50, sealed.len() - 1] {
        assert_eq!(opener.open(&sealed[..len]), Err(OpenError), "{len}");
    }
    let mut longer = sealed.clone();
    longer.push(0);
    assert_eq!(opener.open(&longer), Err(OpenError));
}

#[test]
fn unpad_accepts_only_the_canonical_form() {
    let good = pad(b"abc").unwrap();
    assert_eq!(&unpad(good.clone()).unwrap()[..], b"abc");
    let mut dirty = good.clone();
    dirty[100] = 1;
    assert_eq!(unpad(dirty), Err(OpenError), "non-zero padding");
    let mut lying = good.clone();
    lying[..4].copy_from_slice(&5000u32.to_be_bytes());
    assert_eq!(unpad(lying), Err(OpenError), "length past the bucket");
    let mut oversized = Zeroizing::new(vec![0; 2048]);
    oversized[3] = 3;
    assert_eq!(
        unpad(oversized),
        Err(OpenError),
        "a bigger bucket than needed"
    );
    assert_eq!(
        unpad(Zeroizing::new(vec![0; 1000])),
        Err(OpenError),
        "not a bucket size"
    );
}

#[test]
fn identity_debug_hides_the_secret() {
    let (alice, _, _) = people();
    let shown = format!("{alice:?}");
    assert!(shown.contains("secret: .."));
    assert!(!shown.contains(&crate::b64::encode(alice.dangerously_export_secret())));
}
