//! The kiosk's screens (issue #12), derived like the rest of the [`View`](super::view::View):
//! one pure function of the client core's state and what the person at the kiosk is doing
//! ([`KioskLocal`]). What the kiosk *does* with a call is the core's rule; this only shows it.

use rand_core::CryptoRng;
use serde::Serialize;
use sotto_client::{CallState, Client, Others};
use sotto_shared::Millis;
use sotto_shared::wire::signal::Media;

/// The kiosk part of what the UI keeps: the screens a person opened, and what the driver
/// measured at its last tick.
#[derive(Debug, Clone, Default)]
pub struct KioskLocal {
    /// The set-up screen is open.
    pub setup_open: bool,
    /// The PIN pad is open (after the long press), with the digits pressed so far. Never
    /// published: the view shows only how many.
    pub pin: Option<String>,
    /// The monotonic clock at the last tick, for the countdown.
    pub now: Millis,
    /// The time of day at the last tick (`14:05`).
    pub time: String,
    /// `RTCPeerConnection`s created and not closed.
    pub peer_connections: u32,
    /// Peer sessions not yet dropped (a leak shows here even when every connection closed).
    pub peer_sessions: u32,
    /// The wasm linear memory's size in bytes.
    pub wasm_memory: u64,
    /// The screen is kept awake (the wake lock is held).
    pub awake: bool,
    /// JS values the wasm side holds (wasm-bindgen's live externref slots): a handle kept per
    /// call shows here.
    pub js_handles: u32,
}

/// A contact tile on the idle screen: one tap calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KioskTile {
    /// Local id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Whether they can be called (they confirmed).
    pub ready: bool,
}

/// The countdown before an allowed contact's call is answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountdownView {
    /// Who calls.
    pub peer_name: String,
    /// Whole seconds left (at least 1 while it runs).
    pub seconds_left: u64,
    /// The media it is answered with.
    pub media: Media,
}

/// One contact's line on the set-up screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupContact {
    /// Local id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Answered by itself with this, or not at all.
    pub answer: Option<Media>,
}

/// The set-up screen's current values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupView {
    /// Display name (empty: the profile's).
    pub name: String,
    /// Countdown seconds.
    pub countdown_secs: u8,
    /// Ring volume, percent.
    pub ring_volume: u8,
    /// What the others' calls do.
    pub others: Others,
    /// Every contact, with how it is answered.
    pub contacts: Vec<SetupContact>,
    /// A PIN is set (so the field may stay empty to keep it).
    pub has_pin: bool,
}

/// Everything the kiosk screens show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct KioskView {
    /// In kiosk mode: the kiosk screens replace the app.
    pub active: bool,
    /// Set up (kiosk mode can be entered).
    pub configured: bool,
    /// The name on the idle screen.
    pub name: String,
    /// Time of day.
    pub time: String,
    /// Relay connection up.
    pub online: bool,
    /// Contacts to call with one tap.
    pub tiles: Vec<KioskTile>,
    /// An allowed contact's call about to be answered.
    pub countdown: Option<CountdownView>,
    /// A call rings that waits for a person (big Accept/Decline).
    pub ringing: bool,
    /// The PIN pad is open, with this many digits pressed.
    pub pin_digits: Option<usize>,
    /// Ring volume, percent (for the driver's ring tone).
    pub ring_volume: u8,
    /// The set-up screen, when open.
    pub setup: Option<SetupView>,
    /// `RTCPeerConnection`s created and not closed.
    pub peer_connections: u32,
    /// Peer sessions not yet dropped.
    pub peer_sessions: u32,
    /// The wasm memory's size in bytes.
    pub wasm_memory: u64,
    /// The screen is kept awake.
    pub awake: bool,
    /// JS values the wasm side holds.
    pub js_handles: u32,
}

/// The kiosk screens for the core's state and the person's.
#[must_use]
pub fn kiosk_view<R: CryptoRng>(client: &Client<R>, ui: &KioskLocal) -> KioskView {
    let profile = client.profile();
    let kiosk = profile.kiosk.as_ref();
    let call = client.call();
    let countdown = client.countdown().and_then(|c| {
        let info = call.as_ref().filter(|i| i.call_id == c.call_id)?;
        // `ui.now` is the last tick's: never show more than the countdown itself.
        let longest = kiosk.map_or(sotto_client::MAX_COUNTDOWN_SECS, |k| k.countdown_secs);
        Some(CountdownView {
            peer_name: profile.name_of(&info.peer),
            seconds_left: c
                .at
                .saturating_since(ui.now)
                .0
                .div_ceil(1000)
                .clamp(1, u64::from(longest)),
            media: c.media,
        })
    });
    let ringing = countdown.is_none()
        && call
            .as_ref()
            .is_some_and(|i| i.state == CallState::RingingIncoming);
    KioskView {
        active: client.is_kiosk(),
        configured: kiosk.is_some(),
        name: kiosk
            .map_or(profile.name.as_str(), |k| k.display_name(profile))
            .to_owned(),
        time: ui.time.clone(),
        online: client.is_online(),
        tiles: profile
            .contacts
            .iter()
            .map(|c| KioskTile {
                id: c.id.0.clone(),
                name: c.name.clone(),
                ready: c.is_ready(),
            })
            .collect(),
        countdown,
        ringing,
        pin_digits: ui.pin.as_ref().map(String::len),
        ring_volume: kiosk.map_or(sotto_client::DEFAULT_RING_VOLUME, |k| k.ring_volume),
        setup: ui.setup_open.then(|| SetupView {
            name: kiosk.map(|k| k.name.clone()).unwrap_or_default(),
            countdown_secs: kiosk
                .map_or(sotto_client::DEFAULT_COUNTDOWN_SECS, |k| k.countdown_secs),
            ring_volume: kiosk.map_or(sotto_client::DEFAULT_RING_VOLUME, |k| k.ring_volume),
            others: kiosk.map(|k| k.others).unwrap_or_default(),
            contacts: profile
                .contacts
                .iter()
                .map(|c| SetupContact {
                    id: c.id.0.clone(),
                    name: c.name.clone(),
                    answer: kiosk.and_then(|k| k.auto_answer_media(&c.id)),
                })
                .collect(),
            has_pin: kiosk.is_some(),
        }),
        peer_connections: ui.peer_connections,
        peer_sessions: ui.peer_sessions,
        wasm_memory: ui.wasm_memory,
        awake: ui.awake,
        js_handles: ui.js_handles,
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;
    use sotto_client::{ClientConfig, Command, Input, KioskSetup, Now, Profile};

    use super::*;

    fn client_with_kiosk(setup: Option<KioskSetup>) -> Client<ChaCha20Rng> {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let profile = Profile::create("Front desk", &mut rng).unwrap();
        let mut client =
            Client::new(ClientConfig::new("https://relay.example"), profile, rng).unwrap();
        let now = Now {
            mono: Millis(0),
            wall_ms: 0,
        };
        if let Some(setup) = setup {
            client
                .handle_input(now, Input::Command(Command::SetKiosk(setup)))
                .unwrap();
            client
                .handle_input(now, Input::Command(Command::EnterKiosk))
                .unwrap();
        }
        client
    }

    #[test]
    fn a_profile_without_a_kiosk_shows_no_kiosk_and_the_set_up_with_defaults() {
        let client = client_with_kiosk(None);
        let ui = KioskLocal {
            setup_open: true,
            ..KioskLocal::default()
        };
        let view = kiosk_view(&client, &ui);
        assert!(!view.active && !view.configured);
        assert_eq!(view.name, "Front desk");
        let setup = view.setup.unwrap();
        assert_eq!((setup.countdown_secs, setup.ring_volume), (3, 80));
        assert_eq!(setup.others, Others::Ring);
        assert!(!setup.has_pin);
    }

    #[test]
    fn the_idle_kiosk_shows_its_name_time_status_and_how_many_pin_digits_only() {
        let client = client_with_kiosk(Some(KioskSetup {
            name: "Grandma's table".into(),
            pin: Some("1357".into()),
            ring_volume: Some(40),
            ..KioskSetup::default()
        }));
        let ui = KioskLocal {
            pin: Some("13".into()),
            time: "14:05".into(),
            peer_connections: 1,
            ..KioskLocal::default()
        };
        let view = kiosk_view(&client, &ui);
        assert!(view.active && view.configured);
        assert_eq!(view.name, "Grandma's table");
        assert_eq!(view.time, "14:05");
        assert!(!view.online, "no relay connected yet");
        assert_eq!(view.pin_digits, Some(2));
        assert_eq!(view.ring_volume, 40);
        assert_eq!(view.countdown, None);
        assert!(!view.ringing);
        assert_eq!(view.setup, None);
        let json = serde_json::to_string(&view).unwrap();
        assert!(
            !json.contains("13\""),
            "the digits are never published: {json}"
        );
        assert!(json.contains("\"peer_connections\":1"));
    }
}
