//! Any bytes as an envelope, in both modes: never panics, never opens.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sotto_shared::crypto::{IdentityKeyPair, Opener};

fuzz_target!(|data: &[u8]| {
    let me = IdentityKeyPair::from_secret_bytes([1; 32]);
    let peer = IdentityKeyPair::from_secret_bytes([2; 32]);
    assert!(Opener::auth(&me, peer.public()).open(data).is_err());
    assert!(Opener::base(&me).open(data).is_err());
});
