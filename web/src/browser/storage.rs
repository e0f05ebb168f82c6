//! The profile in localStorage, and test-only switches.

use crate::model::Book;

const BOOK_KEY: &str = "sotto.book.v1";

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The saved profile, if any (a damaged one is reported and treated as none).
#[must_use]
pub fn load_book() -> Option<Book> {
    let text = local()?.get_item(BOOK_KEY).ok()??;
    match Book::from_json(&text) {
        Ok(book) => Some(book),
        Err(e) => {
            web_sys::console::error_1(&format!("saved profile unreadable: {e}").into());
            None
        }
    }
}

/// Saves the profile.
pub fn save_book(book: &Book) {
    if let Some(storage) = local() {
        if storage.set_item(BOOK_KEY, &book.to_json()).is_err() {
            web_sys::console::error_1(
                &"could not save the profile (storage full or blocked)".into(),
            );
        }
    }
}

/// A test-only setting (set by the browser tests through WebDriver). Never set by the UI.
#[must_use]
pub fn test_setting(name: &str) -> Option<String> {
    local()?.get_item(&format!("sotto.test.{name}")).ok()?
}
