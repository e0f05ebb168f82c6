//! Frame crypto against its limit, bare ChaCha20-Poly1305 on the same buffers, and envelope
//! seal+open of a 4 KB signal. `cargo xtask bench` prints the ratios.
//!
//! Both frame benchmarks do the same per-frame work around the cipher: copy the frame into a
//! buffer with spare capacity, encrypt, then decrypt. The difference is our format (clear
//! prefix, trailer, AAD assembly, replay window), which is what the ratio measures.

use std::hint::black_box;

use chacha20poly1305::aead::AeadInOut as _;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit as _};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sotto_shared::crypto::{
    FrameDecryptor, FrameEncryptor, FrameKey, IdentityKeyPair, Opener, Sealer,
};

const SIZES: [usize; 4] = [100, 1_000, 6_000, 50_000];

fn frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    for size in SIZES {
        let plaintext: Vec<u8> = (0..size).map(|i| (i as u8) | 1).collect();
        group.throughput(Throughput::Bytes(size as u64));

        group.bench_with_input(
            BenchmarkId::new("bare_aead", size),
            &plaintext,
            |b, plaintext| {
                let cipher = ChaCha20Poly1305::new(&[7; 32].into());
                let mut buf = Vec::with_capacity(size + 64);
                let mut ctr = 0u64;
                b.iter(|| {
                    buf.clear();
                    buf.extend_from_slice(plaintext);
                    let mut nonce = [0u8; 12];
                    nonce[4..].copy_from_slice(&ctr.to_be_bytes());
                    ctr += 1;
                    let tag = cipher
                        .encrypt_inout_detached(
                            &nonce.into(),
                            &plaintext[..3],
                            buf[3..].as_mut().into(),
                        )
                        .unwrap();
                    cipher
                        .decrypt_inout_detached(
                            &nonce.into(),
                            &plaintext[..3],
                            buf[3..].as_mut().into(),
                            &tag,
                        )
                        .unwrap();
                    black_box(&buf);
                });
            },
        );

        group.bench_with_input(
            BenchmarkId::new("frame_v1", size),
            &plaintext,
            |b, plaintext| {
                let key = FrameKey::new([7; 32], [9; 12]);
                let mut enc = FrameEncryptor::new(key.clone(), 0);
                let mut dec = FrameDecryptor::new(key, 0);
                let mut buf = Vec::with_capacity(size + FrameEncryptor::OVERHEAD);
                b.iter(|| {
                    buf.clear();
                    buf.extend_from_slice(plaintext);
                    enc.encrypt(3, &mut buf).unwrap();
                    dec.decrypt(&mut buf).unwrap();
                    black_box(&buf);
                });
            },
        );
    }
    group.finish();
}

fn envelopes(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::from_seed([3; 32]);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let signal = vec![b'x'; 4096];
    let mut group = c.benchmark_group("envelope");
    group.throughput(Throughput::Bytes(signal.len() as u64));
    group.bench_function("seal_open_4k", |b| {
        b.iter(|| {
            let sealed = Sealer::auth(&alice, bob.public())
                .seal(&signal, &mut rng)
                .unwrap();
            black_box(Opener::auth(&bob, alice.public()).open(&sealed).unwrap());
        });
    });
    group.finish();
}

criterion_group!(benches, frames, envelopes);
criterion_main!(benches);
