//! The files `playAudio`, `recordAudio` and `recordVideo` name, checked by the daemon before
//! the tunnel gets them: the tunnel reports a bad file only as an event long after the reply,
//! so without this a request with a typo would be answered `{}` and do nothing.

use std::path::Path;

use crate::rpc::RpcError;

/// A WAV file the tunnel can play: readable, 48 kHz mono 16-bit (the tunnel checks again).
pub(super) fn playable(path: &str) -> Result<(), RpcError> {
    let reader = hound::WavReader::open(path)
        .map_err(|e| RpcError::io(format!("cannot play {path}: {e}")))?;
    let spec = reader.spec();
    if (spec.sample_rate, spec.channels, spec.bits_per_sample) == (48_000, 1, 16) {
        Ok(())
    } else {
        Err(RpcError::user(format!(
            "cannot play {path}: need 48000 Hz mono 16-bit WAV, not {} Hz {} channel(s) {}-bit",
            spec.sample_rate, spec.channels, spec.bits_per_sample
        )))
    }
}

/// A file the tunnel will create: its directory must exist.
pub(super) fn creatable(path: &str) -> Result<(), RpcError> {
    let dir = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.is_dir() {
        Ok(())
    } else {
        Err(RpcError::io(format!(
            "cannot record to {path}: there is no directory {}",
            dir.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(dir: &Path, rate: u32) -> String {
        let path = dir.join(format!("{rate}.wav"));
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        w.write_sample(0i16).unwrap();
        w.finalize().unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn only_a_readable_48_khz_mono_16_bit_wav_plays() {
        let dir = tempfile::tempdir().unwrap();
        assert!(playable(&wav(dir.path(), 48_000)).is_ok());
        let e = playable(&wav(dir.path(), 44_100)).unwrap_err();
        assert_eq!(e.code, crate::rpc::USER_ERROR, "{}", e.message);
        assert!(e.message.contains("not 44100 Hz"), "{}", e.message);
        let missing = dir.path().join("missing.wav");
        let e = playable(&missing.to_string_lossy()).unwrap_err();
        assert_eq!(e.code, crate::rpc::IO_ERROR, "{}", e.message);
    }

    #[test]
    fn a_recording_needs_an_existing_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert!(creatable(&dir.path().join("a.wav").to_string_lossy()).is_ok());
        assert!(creatable("relative.wav").is_ok());
        let e = creatable(&dir.path().join("no/such/a.wav").to_string_lossy()).unwrap_err();
        assert_eq!(e.code, crate::rpc::IO_ERROR, "{}", e.message);
    }
}
