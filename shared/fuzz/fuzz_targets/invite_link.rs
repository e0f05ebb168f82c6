//! Any text as an invite link: never panics; parsed invitations round-trip through a link.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sotto_shared::wire::invite::Invitation;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(invite) = Invitation::from_link(text) {
            assert_eq!(
                Invitation::from_link(&invite.to_link("https://x.example")).unwrap(),
                invite
            );
        }
    }
});
