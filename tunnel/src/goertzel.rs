//! The Goertzel algorithm: the power of one frequency in a block of 48 kHz samples, enough to
//! tell whether a tone came through (tests, and `toneLevel` diagnostics).

/// Relative power of `freq` Hz in `samples` (48 kHz), normalised by the block length.
#[must_use]
pub fn power(samples: &[i16], freq: f64) -> f64 {
    let n = samples.len() as f64;
    let k = (n * freq / 48_000.0).round();
    let w = 2.0 * std::f64::consts::PI * k / n;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n)
}
