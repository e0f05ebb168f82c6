//! What the UI renders, derived by one pure function from the client core's state and what
//! the user is doing on the screen ([`UiLocal`]). Nothing decides anything from a [`View`]:
//! it is rebuilt after every drain of the core and thrown away.

use rand_core::CryptoRng;
use serde::Serialize;
use sotto_client::{CallState, Client};
use sotto_shared::CallId;
use sotto_shared::crypto::Role;
use sotto_shared::wire::signal::{EndReason, Media};

use super::decrypt_watch::DecryptWatch;
use crate::worker::Counters;

/// A device the user can pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// `deviceId`.
    pub id: String,
    /// What the browser calls it.
    pub label: String,
}

/// Devices by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Devices {
    /// Microphones.
    pub mics: Vec<Device>,
    /// Cameras.
    pub cameras: Vec<Device>,
    /// Speakers (only where the browser can pick outputs).
    pub speakers: Vec<Device>,
}

/// What `getStats` says about the call, for the quality badge and the tests.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MediaStats {
    /// Inbound video frames decoded.
    pub frames_decoded: u64,
    /// Inbound audio samples received.
    pub audio_samples: u64,
    /// Inbound packets lost (all streams).
    pub packets_lost: i64,
    /// Inbound packets received (all streams).
    pub packets_received: u64,
    /// Round-trip time of the selected pair, seconds.
    pub rtt: f64,
    /// Audio jitter, seconds.
    pub jitter: f64,
    /// Local candidate type of the selected pair: `host`, `srflx`, `prflx` or `relay`.
    pub local_candidate: String,
    /// Share of inbound packets lost in the last few seconds (see `MediaWatch`).
    pub recent_loss: f64,
    /// The last ICE candidate error (STUN/TURN code, text and server), if any.
    pub ice_error: String,
}

impl MediaStats {
    /// Poor enough to say so: loss above 5 % in the last few seconds (not over the whole
    /// call, which stayed "poor" long after an outage), RTT above 400 ms, or jitter above
    /// 50 ms.
    #[must_use]
    pub fn is_poor(&self) -> bool {
        let loss = self.recent_loss;
        loss > 0.05 || self.rtt > 0.4 || self.jitter > 0.05
    }
}

/// An invitation link the user opened, as the core described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedInvite {
    /// The link, to accept it with.
    pub link: String,
    /// The inviter's name.
    pub name: String,
    /// Already a contact: nothing to accept.
    pub existing: bool,
}

/// The peer's sources, as they last told us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerMedia {
    /// The call.
    pub call_id: CallId,
    /// Microphone on.
    pub audio: bool,
    /// Camera on.
    pub video: bool,
    /// Sharing their screen.
    pub screen: bool,
}

/// What the user is doing on the screen, and what the browser reports that the core does not
/// keep. The only mutable UI state.
#[derive(Debug, Clone, Default)]
pub struct UiLocal {
    /// Our invitation panel is open with this link.
    pub invite_link: Option<String>,
    /// An invitation link was opened and is being looked at.
    pub opened_invite: Option<OpenedInvite>,
    /// The message for the user: one at a time, the newest replacing the last; closable, and
    /// the driver takes it away after a while.
    pub notice: Option<Notice>,
    /// The ended-call notice for this call was dismissed.
    pub dismissed_ended: Option<CallId>,
    /// The call view is minimized.
    pub minimized: bool,
    /// Our microphone is muted.
    pub mic_off: bool,
    /// Our camera is on.
    pub camera_on: bool,
    /// We share our screen.
    pub screen_on: bool,
    /// What the camera gave us (width, height), against the 720p we ask for.
    pub camera_resolution: Option<(u32, u32)>,
    /// Whether the peer's frames decrypt.
    pub decrypt: DecryptWatch,
    /// When the call connected (ms since the epoch, for the duration).
    pub connected_at: Option<(CallId, f64)>,
    /// The peer's sources.
    pub peer_media: Option<PeerMedia>,
    /// Cameras, microphones, speakers.
    pub devices: Devices,
    /// The current call's media statistics.
    pub stats: MediaStats,
    /// The frame worker's counters.
    pub counters: Counters,
    /// This browser cannot encrypt frames: no calls.
    pub unsupported: bool,
    /// The kiosk screens' part (issue #12).
    pub kiosk: super::kiosk_view::KioskLocal,
}

/// A message for the user, numbered so the driver expires exactly the one it timed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Increases with every notice.
    pub seq: u64,
    /// Plain words.
    pub text: String,
}

impl UiLocal {
    /// Shows `text` in place of any earlier notice (one notice per event, never a pile).
    /// Returns its number, for the expiry timer.
    pub fn set_notice(&mut self, text: impl Into<String>) -> u64 {
        let seq = self.notice.as_ref().map_or(1, |n| n.seq + 1);
        self.notice = Some(Notice {
            seq,
            text: text.into(),
        });
        seq
    }

    /// Takes the notice away if it is still number `seq`.
    pub fn expire_notice(&mut self, seq: u64) {
        if self.notice.as_ref().is_some_and(|n| n.seq == seq) {
            self.notice = None;
        }
    }
}

/// One contact as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactView {
    /// Local id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Whether they confirmed (we can call them).
    pub ready: bool,
    /// The user compared security codes with them (under their current key).
    pub verified: bool,
    /// Their key is not the one the user verified.
    pub key_changed: bool,
}

/// The call on screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallView {
    /// Call id (base64url).
    pub call_id: String,
    /// The other person.
    pub peer_name: String,
    /// Their contact id (to mark them verified).
    pub peer_id: String,
    /// The user verified them before (security codes compared), under this key.
    pub peer_verified: bool,
    /// Their key is not the one the user verified.
    pub peer_key_changed: bool,
    /// We called.
    pub outgoing: bool,
    /// Audio or video.
    pub media: Media,
    /// State.
    pub state: CallState,
    /// When it connected (ms since epoch), for the duration.
    pub connected_at: Option<f64>,
    /// The security code, once keys are agreed.
    pub security_code: Option<String>,
    /// Peer's microphone on.
    pub peer_audio: bool,
    /// Peer's camera on.
    pub peer_video: bool,
    /// Our microphone on.
    pub mic_on: bool,
    /// Our camera on.
    pub camera_on: bool,
    /// We share our screen.
    pub screen_on: bool,
    /// The peer shares their screen.
    pub peer_screen: bool,
    /// The peer's frames have not decrypted for a while: the keys differ (someone in between,
    /// or a bug), so the codes must be compared.
    pub decrypt_failing: bool,
    /// Shown small, while the rest of the app is used.
    pub minimized: bool,
}

/// A call that ended after it was answered or placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndedView {
    /// Who.
    pub peer_name: String,
    /// Why.
    pub reason: EndReason,
}

/// A missed call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissedView {
    /// Who called.
    pub peer_name: String,
    /// What they wanted.
    pub media: Media,
    /// We were busy.
    pub busy: bool,
    /// When the relay stored the invitation (ms since the epoch).
    pub at_ms: u64,
}

/// An opened invitation link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InviteView {
    /// The inviter's name.
    pub name: String,
    /// Already a contact: show so, with nothing to accept.
    pub existing: bool,
}

/// The whole screen's data. Also published as JSON for the debug panel's readers and the
/// browser tests (it holds no secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct View {
    /// Our name, once there is a profile.
    pub name: Option<String>,
    /// Relay connection: `online` or `offline`.
    pub status: &'static str,
    /// Contacts.
    pub contacts: Vec<ContactView>,
    /// Our invitation being shown.
    pub invite_link: Option<String>,
    /// An invitation opened from a link.
    pub opened_invite: Option<InviteView>,
    /// The call.
    pub call: Option<CallView>,
    /// The last ended call (answered or placed), until dismissed or the next call.
    pub ended: Option<EndedView>,
    /// Missed calls, newest first.
    pub missed: Vec<MissedView>,
    /// Frame counters from the worker.
    pub counters: Counters,
    /// Media statistics.
    pub stats: MediaStats,
    /// The camera's resolution as granted, e.g. `1280×720`.
    pub camera_resolution: Option<String>,
    /// Devices.
    #[serde(skip)]
    pub devices: Devices,
    /// Relay-only setting.
    pub relay_only: bool,
    /// Whether the relay offers ICE servers (TURN, for relay-only).
    pub has_turn: bool,
    /// The newest message for the user.
    pub notice: Option<String>,
    /// This browser cannot encrypt frames: no calls.
    pub unsupported: bool,
    /// Envelopes that could not be opened (dropped by the core).
    pub rejected_envelopes: u64,
    /// The kiosk screens (issue #12).
    pub kiosk: super::kiosk_view::KioskView,
}

/// The screen for the core's state and the user's.
#[must_use]
pub fn view<R: CryptoRng>(client: Option<&Client<R>>, ui: &UiLocal) -> View {
    let mut view = View {
        status: "offline",
        invite_link: ui.invite_link.clone(),
        opened_invite: ui.opened_invite.as_ref().map(|i| InviteView {
            name: i.name.clone(),
            existing: i.existing,
        }),
        counters: ui.counters.clone(),
        stats: ui.stats.clone(),
        devices: ui.devices.clone(),
        notice: ui.notice.as_ref().map(|n| n.text.clone()),
        camera_resolution: ui.camera_resolution.map(|(w, h)| format!("{w}×{h}")),
        unsupported: ui.unsupported,
        ..View::default()
    };
    let Some(client) = client else {
        return view;
    };
    let profile = client.profile();
    view.name = Some(profile.name.clone());
    view.status = if client.is_online() {
        "online"
    } else {
        "offline"
    };
    view.relay_only = profile.settings.relay_only;
    view.has_turn = !client.ice_servers().is_empty();
    view.rejected_envelopes = client.counters().unopenable;
    view.kiosk = super::kiosk_view::kiosk_view(client, &ui.kiosk);
    view.contacts = profile
        .contacts
        .iter()
        .map(|c| ContactView {
            id: c.id.0.clone(),
            name: c.name.clone(),
            ready: c.is_ready(),
            verified: c.is_verified(),
            key_changed: c.has_key_changed(),
        })
        .collect();
    view.missed = profile
        .missed
        .iter()
        .rev()
        .map(|m| MissedView {
            peer_name: profile
                .contact(&m.contact)
                .map_or_else(|| m.name.clone(), |c| c.name.clone()),
            media: m.media,
            busy: m.busy,
            at_ms: m.at_ms,
        })
        .collect();
    view.call = client.call().map(|info| {
        let peer = ui.peer_media.filter(|p| p.call_id == info.call_id);
        let contact = profile.contact(&info.peer);
        CallView {
            call_id: info.call_id.to_string(),
            peer_name: profile.name_of(&info.peer),
            peer_id: info.peer.0.clone(),
            peer_verified: contact.is_some_and(sotto_client::Contact::is_verified),
            peer_key_changed: contact.is_some_and(sotto_client::Contact::has_key_changed),
            outgoing: info.role == Role::Caller,
            media: info.media,
            state: info.state,
            connected_at: ui
                .connected_at
                .filter(|(id, _)| *id == info.call_id)
                .map(|(_, at)| at),
            security_code: client.security_code().map(str::to_owned),
            peer_audio: peer.is_none_or(|p| p.audio),
            peer_video: peer.map_or(info.media == Media::Video, |p| p.video),
            mic_on: !ui.mic_off,
            camera_on: ui.camera_on,
            screen_on: ui.screen_on,
            peer_screen: peer.is_some_and(|p| p.screen),
            decrypt_failing: ui.decrypt.is_failing(info.call_id),
            minimized: ui.minimized,
        }
    });
    view.ended = client
        .last_ended()
        .filter(|_| view.call.is_none())
        .filter(|e| ui.dismissed_ended != Some(e.info.call_id))
        .and_then(|e| match e.info.state {
            CallState::Ended(reason) => Some(EndedView {
                peer_name: profile.name_of(&e.info.peer),
                reason,
            }),
            _ => None,
        });
    view
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;
    use sotto_client::{ClientConfig, Command, Contact, Input, MissedCall, Now, Profile, Route};
    use sotto_shared::crypto::PublicKey;
    use sotto_shared::wire::relay::{RcvId, SndId};
    use sotto_shared::{Millis, PeerId};

    use super::*;

    fn contact(id: &str, name: &str, ready: bool, n: u8) -> Contact {
        Contact {
            id: PeerId(id.into()),
            name: name.into(),
            pk: PublicKey::from_bytes([n; 32]),
            send: ready.then(|| Route {
                relay: "https://relay.example".into(),
                snd_id: SndId::from_bytes([n; 24]),
            }),
            recv: RcvId::from_bytes([n; 24]),
            next_ctr: 1,
            window: sotto_client::CounterWindow::default(),
            verified: None,
        }
    }

    fn client() -> Client<ChaCha20Rng> {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut profile = Profile::create("Alice", &mut rng).unwrap();
        profile.contacts.push(contact("bob", "Bob", true, 2));
        profile.contacts.push(contact("carol", "Carol", false, 3));
        profile.missed.push_back(MissedCall {
            call_id: CallId::from_bytes([1; 16]),
            contact: PeerId("carol".into()),
            name: "Carol (old name)".into(),
            media: Media::Video,
            busy: true,
            at_ms: 1_700_000_000_000,
        });
        Client::new(ClientConfig::new("https://relay.example"), profile, rng).unwrap()
    }

    /// Feeds the client one command at a fixed time.
    fn command(client: &mut Client<ChaCha20Rng>, command: Command) {
        let now = Now {
            mono: Millis(1000),
            wall_ms: 1_700_000_000_000,
        };
        client.handle_input(now, Input::Command(command)).unwrap();
    }

    /// Calls Bob; returns the call's id.
    fn call_bob(client: &mut Client<ChaCha20Rng>, media: Media) -> CallId {
        command(
            client,
            Command::Call {
                contact: PeerId("bob".into()),
                media,
            },
        );
        client.call().unwrap().call_id
    }

    #[test]
    fn no_profile_shows_only_what_the_user_did() {
        let mut ui = UiLocal {
            unsupported: true,
            ..UiLocal::default()
        };
        ui.set_notice("old");
        ui.set_notice("newest");
        let v = view::<ChaCha20Rng>(None, &ui);
        assert_eq!(v.name, None);
        assert_eq!(v.notice.as_deref(), Some("newest"));
        assert!(v.unsupported);
        assert!(v.call.is_none() && v.contacts.is_empty());
    }

    #[test]
    fn contacts_and_missed_calls_come_from_the_profile() {
        let client = client();
        let v = view(Some(&client), &UiLocal::default());
        assert_eq!(v.name.as_deref(), Some("Alice"));
        assert_eq!(v.status, "offline");
        assert_eq!(
            v.contacts
                .iter()
                .map(|c| (c.name.as_str(), c.ready))
                .collect::<Vec<_>>(),
            [("Bob", true), ("Carol", false)]
        );
        assert_eq!(
            v.missed,
            [MissedView {
                peer_name: "Carol".into(),
                media: Media::Video,
                busy: true,
                at_ms: 1_700_000_000_000,
            }]
        );
        assert!(v.call.is_none() && v.ended.is_none());
    }

    #[test]
    fn a_placed_call_shows_with_the_users_toggles_and_the_published_json_keeps_its_shape() {
        let mut client = client();
        let call_id = call_bob(&mut client, Media::Video);
        let ui = UiLocal {
            minimized: true,
            mic_off: true,
            camera_on: true,
            peer_media: Some(PeerMedia {
                call_id,
                audio: false,
                video: true,
                screen: true,
            }),
            ..UiLocal::default()
        };
        let v = view(Some(&client), &ui);
        let call = v.call.clone().unwrap();
        assert_eq!(call.peer_name, "Bob");
        assert_eq!(call.state, CallState::RingingOutgoing);
        assert!(call.outgoing && call.minimized && !call.mic_on && call.camera_on);
        assert!(!call.peer_audio && call.peer_video && call.peer_screen);
        assert!(!call.peer_verified && !call.decrypt_failing);
        // The browser tests read these paths.
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["call"]["state"]["state"], "RINGING_OUTGOING");
        assert_eq!(json["contacts"][0]["ready"], true);
        assert_eq!(json["missed"][0]["busy"], true);
        assert_eq!(json["status"], "offline");
    }

    #[test]
    fn a_notice_replaces_the_last_and_expires_only_itself() {
        let mut ui = UiLocal::default();
        let first = ui.set_notice("Call declined");
        let second = ui.set_notice("Could not reach them");
        ui.expire_notice(first);
        assert_eq!(
            view::<ChaCha20Rng>(None, &ui).notice.as_deref(),
            Some("Could not reach them"),
            "an older notice's timer leaves a newer one alone"
        );
        ui.expire_notice(second);
        assert_eq!(view::<ChaCha20Rng>(None, &ui).notice, None);
    }

    #[test]
    fn a_verified_contact_is_marked_in_the_list_and_in_the_call() {
        let mut client = client();
        command(
            &mut client,
            Command::SetVerified {
                contact: PeerId("bob".into()),
                verified: true,
            },
        );
        call_bob(&mut client, Media::Audio);
        let v = view(Some(&client), &UiLocal::default());
        assert_eq!(
            v.contacts
                .iter()
                .map(|c| (c.name.as_str(), c.verified, c.key_changed))
                .collect::<Vec<_>>(),
            [("Bob", true, false), ("Carol", false, false)]
        );
        let call = v.call.unwrap();
        assert!(call.peer_verified && !call.peer_key_changed);
        assert_eq!(call.peer_id, "bob");
    }

    #[test]
    fn the_call_says_when_the_peers_frames_do_not_decrypt() {
        let mut client = client();
        let call_id = call_bob(&mut client, Media::Video);
        let mut ui = UiLocal::default();
        let failing = |forged| Counters {
            dropped_forged: forged,
            ..Counters::default()
        };
        ui.decrypt.observe(Some(call_id), 0.0, &failing(0));
        ui.decrypt.observe(Some(call_id), 500.0, &failing(10));
        assert!(!view(Some(&client), &ui).call.unwrap().decrypt_failing);
        ui.decrypt.observe(Some(call_id), 3000.0, &failing(50));
        assert!(view(Some(&client), &ui).call.unwrap().decrypt_failing);
    }

    #[test]
    fn a_contact_whose_key_is_not_the_verified_one_shows_the_change_and_no_mark() {
        let mut client = client();
        let mut profile = client.profile().clone();
        profile.contacts[0].verified = Some(PublicKey::from_bytes([9; 32]));
        client = Client::new(
            ClientConfig::new("https://relay.example"),
            profile,
            ChaCha20Rng::seed_from_u64(8),
        )
        .unwrap();
        call_bob(&mut client, Media::Video);
        let v = view(Some(&client), &UiLocal::default());
        assert_eq!(
            (v.contacts[0].verified, v.contacts[0].key_changed),
            (false, true)
        );
        let call = v.call.unwrap();
        assert!(!call.peer_verified && call.peer_key_changed);
    }
}
