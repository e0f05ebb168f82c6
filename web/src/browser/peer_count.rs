//! How many peer connections and peer sessions live, for the kiosk's debug state (issue #12):
//! a kiosk runs for weeks, and one connection or session kept per call would grow without
//! end. Counted where they are made, closed and dropped, so the count is the browser's truth
//! and not the driver's bookkeeping.

use std::cell::Cell;

thread_local! {
    static OPEN: Cell<u32> = const { Cell::new(0) };
    static ALIVE: Cell<u32> = const { Cell::new(0) };
}

/// A connection was made (and its session with it).
pub fn opened() {
    OPEN.set(OPEN.get() + 1);
    ALIVE.set(ALIVE.get() + 1);
}

/// A connection was closed.
pub fn closed() {
    OPEN.set(OPEN.get().saturating_sub(1));
}

/// A session was dropped.
pub fn dropped() {
    ALIVE.set(ALIVE.get().saturating_sub(1));
}

/// Connections made and not closed, and sessions made and not dropped.
#[must_use]
pub fn live() -> (u32, u32) {
    (OPEN.get(), ALIVE.get())
}
