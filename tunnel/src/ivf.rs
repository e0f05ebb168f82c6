//! Received VP8 frames to an IVF file, as decrypted and without decoding: the camera stream of
//! a browser, recorded by a bot. The file starts at the first key frame; the header's size
//! comes from it and its frame count is written when the recording ends.

use std::fs::File;
use std::io::{BufWriter, Seek as _, SeekFrom, Write as _};

/// An IVF file being written.
#[derive(Debug)]
pub(crate) struct IvfWriter {
    file: BufWriter<File>,
    frames: u32,
    started: bool,
}

/// Width and height of a VP8 key frame (RFC 6386 §9.1), `None` for other frames.
pub(crate) fn key_frame_size(frame: &[u8]) -> Option<(u16, u16)> {
    let is_key = frame.first().is_some_and(|b| b & 1 == 0);
    if !is_key || frame.len() < 10 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u16::from_le_bytes([frame[6], frame[7]]) & 0x3fff;
    let height = u16::from_le_bytes([frame[8], frame[9]]) & 0x3fff;
    Some((width, height))
}

impl IvfWriter {
    pub(crate) fn create(path: &str) -> Result<Self, String> {
        let file = File::create(path).map_err(|e| format!("{path}: {e}"))?;
        Ok(Self {
            file: BufWriter::new(file),
            frames: 0,
            started: false,
        })
    }

    /// Appends one frame (`time` in 90 kHz units); frames before the first key frame are
    /// skipped, as a decoder could not use them.
    pub(crate) fn write(&mut self, frame: &[u8], time: u64) -> std::io::Result<()> {
        if !self.started {
            let Some((width, height)) = key_frame_size(frame) else {
                return Ok(());
            };
            let mut header = Vec::with_capacity(32);
            header.extend_from_slice(b"DKIF");
            header.extend_from_slice(&0u16.to_le_bytes()); // version
            header.extend_from_slice(&32u16.to_le_bytes()); // header size
            header.extend_from_slice(b"VP80");
            header.extend_from_slice(&width.to_le_bytes());
            header.extend_from_slice(&height.to_le_bytes());
            header.extend_from_slice(&90_000u32.to_le_bytes()); // time base denominator
            header.extend_from_slice(&1u32.to_le_bytes()); // numerator
            header.extend_from_slice(&0u32.to_le_bytes()); // frame count, fixed in finish
            header.extend_from_slice(&0u32.to_le_bytes());
            self.file.write_all(&header)?;
            self.started = true;
        }
        let len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        self.file.write_all(&len.to_le_bytes())?;
        self.file.write_all(&time.to_le_bytes())?;
        self.file.write_all(frame)?;
        self.frames += 1;
        Ok(())
    }

    /// Writes the frame count and closes the file.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        if self.started {
            self.file.seek(SeekFrom::Start(24))?;
            self.file.write_all(&self.frames.to_le_bytes())?;
        }
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A VP8 key frame's first ten bytes: frame tag, start code, 320×240.
    const KEY: [u8; 10] = [0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];

    #[test]
    fn reads_the_size_of_key_frames_only() {
        assert_eq!(key_frame_size(&KEY), Some((320, 240)));
        let mut delta = KEY;
        delta[0] |= 1;
        assert_eq!(key_frame_size(&delta), None);
        assert_eq!(key_frame_size(&KEY[..5]), None);
    }

    #[test]
    fn writes_an_ivf_file_starting_at_the_first_key_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.ivf");
        let mut ivf = IvfWriter::create(path.to_str().unwrap()).unwrap();
        ivf.write(&[0x51, 1, 2], 0).unwrap(); // a delta frame first: skipped
        ivf.write(&KEY, 3000).unwrap();
        ivf.write(&[0x51, 9, 9], 6000).unwrap();
        ivf.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..4], b"DKIF");
        assert_eq!(&bytes[8..12], b"VP80");
        assert_eq!(u16::from_le_bytes([bytes[12], bytes[13]]), 320);
        assert_eq!(u32::from_le_bytes(bytes[24..28].try_into().unwrap()), 2);
        assert_eq!(u32::from_le_bytes(bytes[32..36].try_into().unwrap()), 10);
        assert_eq!(bytes.len(), 32 + 12 + 10 + 12 + 3);
    }
}
