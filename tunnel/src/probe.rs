//! A client of a call's PCM socket that plays a tone and records what it hears: the check a
//! bot or a test makes that audio flows (with [`crate::goertzel`]).

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// `freq` Hz at amplitude 8000, samples `start..start + len` at 48 kHz, as s16le bytes.
#[must_use]
pub fn tone(freq: f64, start: usize, len: usize) -> Vec<u8> {
    (start..start + len)
        .map(|i| (8000.0 * (2.0 * std::f64::consts::PI * freq * i as f64 / 48_000.0).sin()) as i16)
        .flat_map(i16::to_le_bytes)
        .collect()
}

/// Connects to the PCM socket at `path`, plays `freq` Hz in real time (20 ms chunks) and
/// returns what was heard during `secs`.
///
/// # Errors
/// When the socket cannot be reached.
pub async fn talk_and_listen(
    path: &std::path::Path,
    freq: f64,
    secs: f64,
) -> std::io::Result<Vec<i16>> {
    let stream = tokio::net::UnixStream::connect(path).await?;
    let (mut read, mut write) = stream.into_split();
    let frames = (secs * 50.0) as usize;
    let writer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for n in 0..frames {
            tick.tick().await;
            if write.write_all(&tone(freq, n * 960, 960)).await.is_err() {
                return;
            }
        }
    });
    let mut heard = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
    let mut buf = vec![0; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, read.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        heard.extend_from_slice(&buf[..n]);
    }
    writer.abort();
    Ok(heard
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect())
}

/// Whether the last half second of `heard` carries a `want` Hz tone that stands well above
/// `other` Hz; `Err` says what was heard instead.
///
/// # Errors
/// When less than half a second was heard, or the tone is missing or buried.
pub fn hears_tone(heard: &[i16], want: f64, other: f64) -> Result<(), String> {
    const HALF_SECOND: usize = 24_000;
    if heard.len() < HALF_SECOND {
        return Err(format!("only {} samples heard", heard.len()));
    }
    let tail = &heard[heard.len() - HALF_SECOND..];
    let (p_want, p_other) = (
        crate::goertzel::power(tail, want),
        crate::goertzel::power(tail, other),
    );
    if p_want > 1e5 && p_want > 50.0 * p_other {
        Ok(())
    } else {
        Err(format!("{want} Hz {p_want}, {other} Hz {p_other}"))
    }
}
