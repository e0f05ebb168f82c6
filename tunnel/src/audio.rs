//! The call's audio: Opus 48 kHz mono 20 ms (libopus via the `opus` crate), the sources of
//! what we send (a WAV file, the PCM socket's input, silence) and the sinks of what we hear
//! (the PCM socket, a WAV recording). Echo needs no codec: it re-sends the peer's frames.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;

use tokio::sync::mpsc;

/// Samples in one 20 ms frame at 48 kHz.
pub(crate) const FRAME: usize = 960;
/// The most socket input kept (200 ms): a writer faster than real time loses the oldest.
const MAX_INPUT: usize = 48_000 / 5;

/// A WAV file being played.
struct Player {
    samples: Vec<i16>,
    pos: usize,
    looped: bool,
}

/// Encoder, decoder, sources and sinks.
pub(crate) struct Audio {
    encoder: opus::Encoder,
    decoder: opus::Decoder,
    input: VecDeque<i16>,
    odd_byte: Option<u8>,
    player: Option<Player>,
    recorder: Option<hound::WavWriter<BufWriter<File>>>,
    /// The connected PCM client, if any: decoded audio goes there (dropped when it lags).
    pub(crate) client: Option<mpsc::Sender<Vec<u8>>>,
    /// Send back what is heard.
    pub(crate) echo: bool,
}

impl std::fmt::Debug for Audio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audio")
            .field("echo", &self.echo)
            .finish_non_exhaustive()
    }
}

impl Audio {
    pub(crate) fn new(echo: bool) -> Result<Self, String> {
        let mut encoder = opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip)
            .map_err(|e| format!("opus encoder: {e}"))?;
        // In-band FEC helps a lossy path; DTX stays off so bots measuring levels hear frames.
        let _ = encoder.set_inband_fec(true);
        let decoder = opus::Decoder::new(48_000, opus::Channels::Mono)
            .map_err(|e| format!("opus decoder: {e}"))?;
        Ok(Self {
            encoder,
            decoder,
            input: VecDeque::new(),
            odd_byte: None,
            player: None,
            recorder: None,
            client: None,
            echo,
        })
    }

    /// Raw s16le bytes from the PCM socket.
    pub(crate) fn push_input(&mut self, bytes: &[u8]) {
        let mut bytes = bytes.iter().copied();
        if let Some(low) = self.odd_byte.take() {
            match bytes.next() {
                Some(high) => self.input.push_back(i16::from_le_bytes([low, high])),
                None => {
                    self.odd_byte = Some(low);
                    return;
                }
            }
        }
        loop {
            match (bytes.next(), bytes.next()) {
                (Some(low), Some(high)) => self.input.push_back(i16::from_le_bytes([low, high])),
                (Some(low), None) => {
                    self.odd_byte = Some(low);
                    break;
                }
                _ => break,
            }
        }
        while self.input.len() > MAX_INPUT {
            self.input.pop_front();
        }
    }

    /// Plays a 48 kHz mono 16-bit WAV file instead of the socket's input.
    pub(crate) fn play(&mut self, path: &str, looped: bool) -> Result<(), String> {
        let mut reader = hound::WavReader::open(path).map_err(|e| format!("{path}: {e}"))?;
        let spec = reader.spec();
        if spec.sample_rate != 48_000 || spec.channels != 1 || spec.bits_per_sample != 16 {
            return Err(format!(
                "{path}: need 48000 Hz mono 16-bit, not {} Hz {} channel(s) {}-bit",
                spec.sample_rate, spec.channels, spec.bits_per_sample
            ));
        }
        let samples = reader
            .samples::<i16>()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{path}: {e}"))?;
        self.player = Some(Player {
            samples,
            pos: 0,
            looped,
        });
        Ok(())
    }

    /// Records what is heard to a 48 kHz mono 16-bit WAV file.
    pub(crate) fn record(&mut self, path: &str) -> Result<(), String> {
        self.finish();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        self.recorder =
            Some(hound::WavWriter::create(path, spec).map_err(|e| format!("{path}: {e}"))?);
        Ok(())
    }

    /// Finishes the recording (writes the WAV header's sizes).
    pub(crate) fn finish(&mut self) {
        if let Some(recorder) = self.recorder.take() {
            let _ = recorder.finalize();
        }
    }

    /// The next 20 ms to send, Opus-encoded: the WAV file, else the socket's input, else
    /// silence.
    pub(crate) fn next_frame(&mut self) -> Vec<u8> {
        let mut pcm = [0i16; FRAME];
        if let Some(player) = self.player.as_mut() {
            for sample in &mut pcm {
                if player.pos >= player.samples.len() {
                    if !player.looped || player.samples.is_empty() {
                        break;
                    }
                    player.pos = 0;
                }
                *sample = player.samples[player.pos];
                player.pos += 1;
            }
            if player.pos >= player.samples.len() && !player.looped {
                self.player = None;
            }
        } else {
            for sample in &mut pcm {
                *sample = self.input.pop_front().unwrap_or(0);
            }
        }
        let mut out = vec![0; 1500];
        match self.encoder.encode(&pcm, &mut out) {
            Ok(n) => {
                out.truncate(n);
                out
            }
            Err(_) => Vec::new(),
        }
    }

    /// One decrypted Opus frame from the peer: decode it to the sinks. `None` on a gap:
    /// libopus conceals the loss.
    pub(crate) fn heard(&mut self, frame: Option<&[u8]>) -> bool {
        let mut pcm = [0i16; FRAME * 6];
        let Ok(n) = self.decoder.decode(frame.unwrap_or(&[]), &mut pcm, false) else {
            return false;
        };
        let pcm = &pcm[..n];
        if let Some(recorder) = self.recorder.as_mut() {
            for s in pcm {
                let _ = recorder.write_sample(*s);
            }
        }
        if let Some(client) = &self.client {
            let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
            if let Err(mpsc::error::TrySendError::Closed(_)) = client.try_send(bytes) {
                self.client = None;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_socket_input_and_decodes_it_back_to_the_same_tone() {
        let mut audio = Audio::new(false).unwrap();
        let tone: Vec<u8> = (0..FRAME * 10)
            .map(|i| {
                (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 48_000.0).sin()) as i16
            })
            .flat_map(i16::to_le_bytes)
            .collect();
        // split oddly to exercise the byte carry
        audio.push_input(&tone[..101]);
        audio.push_input(&tone[101..]);
        let (tx, mut rx) = mpsc::channel(64);
        audio.client = Some(tx);
        for _ in 0..10 {
            let frame = audio.next_frame();
            assert!(!frame.is_empty());
            assert!(audio.heard(Some(&frame)));
        }
        let mut pcm = Vec::new();
        while let Ok(bytes) = rx.try_recv() {
            pcm.extend(bytes.chunks(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
        }
        assert_eq!(pcm.len(), FRAME * 10);
        let level = crate::goertzel::power(&pcm[FRAME * 5..], 440.0);
        let off = crate::goertzel::power(&pcm[FRAME * 5..], 1000.0);
        assert!(level > 100.0 * off, "440 Hz {level} vs 1 kHz {off}");
    }
}
