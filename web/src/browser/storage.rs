//! The profile in localStorage (gloo-storage), and the browser tests' switches.

use gloo_storage::{LocalStorage, Storage as _};

/// Where the profile is kept. The key is older than the profile's version 2 format: an old
/// (version 1) profile is found here and refused with a clear notice.
const PROFILE_KEY: &str = "sotto.book.v1";

/// The saved profile's JSON, if any.
#[must_use]
pub fn load_profile() -> Option<String> {
    LocalStorage::raw().get_item(PROFILE_KEY).ok().flatten()
}

/// Saves the profile's JSON, synchronously.
///
/// # Errors
/// When the browser refuses (storage full or blocked).
pub fn save_profile(json: &str) -> Result<(), String> {
    LocalStorage::raw()
        .set_item(PROFILE_KEY, json)
        .map_err(|_| "Could not save the profile (storage full or blocked).".to_owned())
}

/// A test-only setting (set by the browser tests through WebDriver). Never set by the UI, and
/// read only by builds with the `test-switches` feature.
#[cfg(feature = "test-switches")]
#[must_use]
pub fn test_setting(name: &str) -> Option<String> {
    LocalStorage::raw()
        .get_item(&format!("sotto.test.{name}"))
        .ok()
        .flatten()
}

/// Release builds have no test switches.
#[cfg(not(feature = "test-switches"))]
#[must_use]
pub const fn test_setting(_name: &str) -> Option<String> {
    None
}
