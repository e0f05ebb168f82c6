//! Any bytes as a relay frame, either direction: never panics; parsed messages round-trip.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sotto_shared::wire::relay::{ClientMsg, ServerMsg};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = serde_json::from_slice::<ClientMsg>(data) {
        let json = serde_json::to_vec(&msg).unwrap();
        assert_eq!(serde_json::from_slice::<ClientMsg>(&json).unwrap(), msg);
    }
    if let Ok(msg) = serde_json::from_slice::<ServerMsg>(data) {
        let json = serde_json::to_vec(&msg).unwrap();
        assert_eq!(serde_json::from_slice::<ServerMsg>(&json).unwrap(), msg);
    }
});
