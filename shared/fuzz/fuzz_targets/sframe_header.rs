//! Any bytes as an SFrame header: decoding is canonical (re-encoding gives the same bytes).
#![no_main]
use libfuzzer_sys::fuzz_target;
use sotto_shared::crypto::{MAX_HEADER_LEN, SframeHeader};

fuzz_target!(|data: &[u8]| {
    if let Ok((header, used)) = SframeHeader::decode(data) {
        let mut out = [0; MAX_HEADER_LEN];
        let len = header.encode(&mut out);
        assert_eq!(&out[..len], &data[..used]);
    }
});
