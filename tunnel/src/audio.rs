//! The call's audio: Opus 48 kHz mono 20 ms (libopus via the `opus` crate), the sources of
//! what we send (a WAV file, the PCM socket's input, silence) and the sinks of what we hear
//! (the PCM socket, a WAV recording). Echo needs no codec: it re-sends the peer's frames.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;

use tokio::sync::mpsc;

use crate::playout::{Next, Playout};

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

/// What [`Audio::play_out`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Played {
    /// A received frame.
    Frame,
    /// A lost or late frame, recovered (FEC) or concealed (PLC).
    Concealed,
    /// Nothing: not playing.
    Nothing,
}

/// Encoder, decoder, playout buffer, sources and sinks.
pub(crate) struct Audio {
    encoder: opus::Encoder,
    decoder: opus::Decoder,
    playout: Playout,
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
            playout: Playout::default(),
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

    /// A decrypted Opus frame from the peer with its RTP time (48 kHz): it waits in the
    /// playout buffer for its turn.
    pub(crate) fn received(&mut self, time: u64, frame: Vec<u8>) {
        self.playout.push(time, frame);
    }

    /// The peer's next 20 ms, decoded to the sinks: once per tick of the media clock.
    pub(crate) fn play_out(&mut self) -> Played {
        let mut pcm = [0i16; FRAME * 6];
        // Recovery and concealment get exactly one frame's room: libopus makes as many
        // samples as it is given room for.
        let (decoded, played) = match self.playout.pop() {
            Next::Idle => return Played::Nothing,
            Next::Play(frame) => (self.decoder.decode(&frame, &mut pcm, false), Played::Frame),
            Next::Recover(after) => (
                self.decoder.decode(&after, &mut pcm[..FRAME], true),
                Played::Concealed,
            ),
            Next::Conceal => (
                self.decoder.decode(&[], &mut pcm[..FRAME], false),
                Played::Concealed,
            ),
        };
        match decoded {
            Ok(n) => {
                self.write_sinks(&pcm[..n]);
                played
            }
            Err(_) => Played::Nothing,
        }
    }

    fn write_sinks(&mut self, pcm: &[i16]) {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_socket_input_and_plays_it_out_in_real_time_through_lost_frames() {
        let mut audio = Audio::new(false).unwrap();
        let tone: Vec<u8> = (0..FRAME * 12)
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
        let frames: Vec<Vec<u8>> = (0..12).map(|_| audio.next_frame()).collect();
        assert!(frames.iter().all(|f| !f.is_empty()));
        let mut played = Vec::new();
        // One frame arrives per tick; frame 6 is lost. Then two more ticks with nothing new.
        for (n, frame) in frames.into_iter().enumerate() {
            if n != 6 {
                audio.received(n as u64 * crate::playout::FRAME_TICKS, frame);
            }
            played.push(audio.play_out());
        }
        played.push(audio.play_out());
        played.push(audio.play_out());
        use Played::{Concealed, Frame, Nothing};
        assert_eq!(
            played,
            [
                Nothing, // the 40 ms jitter delay fills
                Frame, Frame, Frame, Frame, Frame, Frame,     // 0..=5
                Concealed, // 6, from 7's FEC
                Frame, Frame, Frame, Frame, Frame,     // 7..=11
                Concealed, // 12 never came: PLC
            ]
        );
        let mut pcm = Vec::new();
        while let Ok(bytes) = rx.try_recv() {
            pcm.extend(bytes.chunks(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
        }
        assert_eq!(pcm.len(), FRAME * 13, "20 ms out per tick played");
        let around_the_loss = &pcm[FRAME * 4..FRAME * 10];
        let level = crate::goertzel::power(around_the_loss, 440.0);
        let off = crate::goertzel::power(around_the_loss, 1000.0);
        assert!(level > 100.0 * off, "440 Hz {level} vs 1 kHz {off}");
    }
}
