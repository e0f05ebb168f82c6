//! The SFrame header codec of RFC 9605 §4.3, used inside our frame trailer to carry the key id
//! (KID) and counter (CTR).
//!
//! ```text
//!  0 1 2 3 4 5 6 7
//! +-+-+-+-+-+-+-+-+---------+---------+
//! |X|  K  |Y|  C  | KID...  | CTR...  |
//! +-+-+-+-+-+-+-+-+---------+---------+
//! ```
//! X = 0: K is the KID (0–7); X = 1: K + 1 big-endian KID bytes follow. Y and C likewise for
//! CTR. Values use the fewest bytes possible; we reject any other encoding, so every header
//! has exactly one byte form.

/// The longest header: config byte, 8 KID bytes, 8 CTR bytes.
pub const MAX_HEADER_LEN: usize = 17;

/// A decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SframeHeader {
    /// Key id.
    pub kid: u64,
    /// Frame counter.
    pub ctr: u64,
}

/// Why bytes are not a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Fewer bytes than the config byte announces.
    #[error("truncated header")]
    Truncated,
    /// A value not in its shortest form.
    #[error("non-minimal encoding")]
    NonMinimal,
}

impl SframeHeader {
    /// Encodes into `out`, returning the header length.
    pub fn encode(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        let mut len = 1;
        let mut config = 0u8;
        config |= encode_field(self.kid, 4, &mut len, out);
        config |= encode_field(self.ctr, 0, &mut len, out);
        out[0] = config;
        len
    }

    /// Decodes a header from the start of `bytes`, returning it and its length.
    ///
    /// # Errors
    /// [`HeaderError`] for too few bytes or a non-minimal encoding.
    pub fn decode(bytes: &[u8]) -> Result<(Self, usize), HeaderError> {
        let &config = bytes.first().ok_or(HeaderError::Truncated)?;
        let mut pos = 1;
        let kid = decode_field(config >> 4, bytes, &mut pos)?;
        let ctr = decode_field(config & 0x0f, bytes, &mut pos)?;
        Ok((Self { kid, ctr }, pos))
    }
}

/// Writes one value; returns its 4 config bits shifted into place.
fn encode_field(value: u64, shift: u8, len: &mut usize, out: &mut [u8; MAX_HEADER_LEN]) -> u8 {
    if value < 8 {
        return u8::try_from(value).expect("value < 8") << shift;
    }
    let bytes = value.to_be_bytes();
    let skip = usize::try_from(value.leading_zeros() / 8).expect("≤ 8");
    let n = 8 - skip;
    out[*len..*len + n].copy_from_slice(&bytes[skip..]);
    *len += n;
    (0x08 | u8::try_from(n - 1).expect("n ≤ 8")) << shift
}

/// Reads one value described by 4 config bits `XKKK`.
fn decode_field(bits: u8, bytes: &[u8], pos: &mut usize) -> Result<u64, HeaderError> {
    if bits & 0x08 == 0 {
        return Ok(u64::from(bits & 0x07));
    }
    let n = usize::from(bits & 0x07) + 1;
    let field = bytes.get(*pos..*pos + n).ok_or(HeaderError::Truncated)?;
    *pos += n;
    let mut wide = [0; 8];
    wide[8 - n..].copy_from_slice(field);
    let value = u64::from_be_bytes(wide);
    // Shortest form: a leading zero byte, or an extended value below 8, has a shorter encoding.
    if field[0] == 0 || value < 8 {
        return Err(HeaderError::NonMinimal);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_byte_header_for_small_values() {
        let mut out = [0; MAX_HEADER_LEN];
        assert_eq!(SframeHeader { kid: 3, ctr: 5 }.encode(&mut out), 1);
        assert_eq!(out[0], 0x35);
    }

    #[test]
    fn rejects_non_minimal_forms() {
        assert_eq!(
            SframeHeader::decode(&[0x08, 0x05]),
            Err(HeaderError::NonMinimal)
        );
        assert_eq!(
            SframeHeader::decode(&[0x09, 0x00, 0xff]),
            Err(HeaderError::NonMinimal)
        );
    }

    #[test]
    fn rejects_truncation() {
        assert_eq!(SframeHeader::decode(&[]), Err(HeaderError::Truncated));
        assert_eq!(
            SframeHeader::decode(&[0x99, 0x01, 0x23, 0x45]),
            Err(HeaderError::Truncated)
        );
    }
}
