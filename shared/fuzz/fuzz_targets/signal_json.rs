//! Any bytes as an opened signal: never panics; what parses re-serializes and parses equal.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sotto_shared::wire::signal::Signal;

fuzz_target!(|data: &[u8]| {
    if let Ok(signal) = Signal::from_json(data) {
        assert_eq!(Signal::from_json(&signal.to_json()).unwrap(), signal);
    }
});
