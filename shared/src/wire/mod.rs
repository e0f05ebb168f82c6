//! Everything that crosses a wire, as serde types. Each type has a snapshot test
//! (`shared/tests/wire_snapshots.rs`) so a change to the JSON is always a visible decision.

pub mod invite;
pub mod relay;
pub mod signal;
pub mod tunnel;
