//! What goes into the client core and what comes out (str0m's shape): one vocabulary for the
//! browser app, `sotto-cli`'s JSON-RPC and the tests.

use sotto_shared::call::{CallInfo, RtcAction, RtcEvent};
use sotto_shared::wire::relay::{ClientMsg, IceServer, ServerMsg};
use sotto_shared::wire::signal::Media;
use sotto_shared::{CallId, Millis, PeerId};

/// The two clocks the core needs, read by the driver at each input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// A monotonic clock (`performance.now()`, `Instant`): every timer runs on it.
    pub mono: Millis,
    /// The wall clock in milliseconds since the Unix epoch: only for relay timestamps
    /// (an invitation's age) and the `ts` stamped on signals.
    pub wall_ms: u64,
}

/// One thing that happened.
#[derive(Debug, Clone)]
pub enum Input {
    /// The user, a UI or a controller asked for something.
    Command(Command),
    /// Something happened on the connection to the relay at `relay` (an origin such as
    /// `https://sotto.example`, as in [`Output::Connect`]).
    Relay {
        /// Which relay.
        relay: String,
        /// What happened.
        event: RelayEvent,
    },
    /// The WebRTC glue finished something it was asked to do, or ICE changed.
    Rtc {
        /// The call it concerns.
        call_id: CallId,
        /// What happened.
        event: RtcEvent,
    },
    /// A deadline from [`Output::Timeout`] passed.
    Timeout,
}

/// Relay connection events.
#[derive(Debug, Clone)]
pub enum RelayEvent {
    /// The socket is open: the core (re)subscribes and sends what waited.
    Connected,
    /// The socket closed: requests in flight are re-sent after the next `Connected`.
    Disconnected,
    /// A frame from the relay: a reply or a push.
    Received(ServerMsg),
}

/// What a user or controller can ask for.
#[derive(Debug, Clone)]
pub enum Command {
    /// Make (or show again) a one-time invitation link: [`Event::InviteReady`].
    CreateInvite,
    /// Look at an invitation link before accepting: [`Event::InviteOpened`].
    OpenInvite {
        /// The link or its `#/invite/…` fragment.
        link: String,
    },
    /// Accept an invitation link: make a queue for them and send the contact request.
    AcceptInvite {
        /// The link or its fragment.
        link: String,
    },
    /// Remove a contact: tell them, delete our queue for them.
    RemoveContact {
        /// Whom.
        contact: PeerId,
    },
    /// Relay-only ("hide my IP").
    SetRelayOnly(bool),
    /// Mark a contact as verified under its current key, after the user compared security
    /// codes with them (or clear the mark): [`Event::ContactsChanged`].
    SetVerified {
        /// Whom.
        contact: PeerId,
        /// Verified or not.
        verified: bool,
    },
    /// Call a contact.
    Call {
        /// Whom.
        contact: PeerId,
        /// Audio or video.
        media: Media,
    },
    /// Answer the ringing call.
    Accept {
        /// Answer with audio only, or with video.
        media: Media,
    },
    /// Decline the ringing call.
    Decline,
    /// End the call, whatever its state.
    Hangup,
    /// Set up (or change) the kiosk: [`Event::KioskChanged`], or [`Event::KioskRefused`]
    /// saying what to fix.
    SetKiosk(crate::KioskSetup),
    /// Enter kiosk mode: calls from the contacts it trusts are answered by themselves.
    EnterKiosk,
    /// Leave kiosk mode, with its PIN.
    LeaveKiosk {
        /// The PIN's digits.
        pin: String,
    },
    /// Tell the peer which sources are on.
    SetMedia {
        /// Microphone.
        audio: bool,
        /// Camera.
        video: bool,
        /// Screen.
        screen: bool,
    },
}

/// What the core asks of its driver.
#[derive(Debug, Clone)]
pub enum Output {
    /// Open (and keep open, reconnecting with backoff) a connection to this relay and report
    /// [`RelayEvent`]s for it.
    Connect {
        /// The relay's origin.
        relay: String,
    },
    /// Send this request on the open connection to `relay`.
    Relay {
        /// The relay's origin.
        relay: String,
        /// The request (its id chosen by the core).
        msg: ClientMsg,
    },
    /// Do something with WebRTC for this call.
    Rtc {
        /// Which call.
        call_id: CallId,
        /// What to do.
        action: RtcAction,
    },
    /// Tell the UI or the API's subscribers.
    Event(Event),
    /// The profile changed: store [`Client::profile`](crate::Client::profile) now, before
    /// carrying out any later output (a counter must be stored before the signal using it
    /// leaves).
    Persist,
    /// Wake the core with [`Input::Timeout`] at this monotonic time (`None`: nothing
    /// scheduled). Always the last output of a drain.
    Timeout(Option<Millis>),
}

/// What happened, for the UI and the JSON-RPC API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A call changed state (the first event of a call is its first state).
    Call(CallInfo),
    /// A call's security code is known (keys agreed and, for the callee, the caller's
    /// commitment checked).
    SecurityCode {
        /// The call.
        call_id: CallId,
        /// Twelve digits in three groups.
        code: String,
    },
    /// The peer's sources changed.
    PeerMedia {
        /// The call.
        call_id: CallId,
        /// Microphone on.
        audio: bool,
        /// Camera on.
        video: bool,
        /// Screen on.
        screen: bool,
    },
    /// A call the user never answered (see [`Profile::missed`](crate::Profile::missed)).
    Missed(crate::MissedCall),
    /// Both sides called each other; the call `old` was dropped for `new` (its media closed).
    Replaced {
        /// The dropped call.
        old: CallId,
        /// The surviving call.
        new: CallId,
    },
    /// The contact list changed (added, confirmed, removed).
    ContactsChanged,
    /// An invitation link to show (and as a QR code).
    InviteReady {
        /// The link.
        link: String,
    },
    /// An invitation link was opened; ask the user before accepting.
    InviteOpened {
        /// The inviter's name, as they chose it.
        name: String,
        /// Set when the inviter is already a contact: nothing to accept.
        existing: Option<PeerId>,
    },
    /// The relay's ICE servers (STUN/TURN), for the next peer connection.
    IceServers(Vec<IceServer>),
    /// Something the user should read.
    Notice(Notice),
    /// The kiosk's configuration or mode changed (see [`Profile::kiosk`](crate::Profile::kiosk)).
    KioskChanged,
    /// A kiosk set-up or command was refused, and why (a wrong PIN, a bad setting).
    KioskRefused(crate::KioskError),
}

/// Messages for the user, in plain words (their text is in [`Notice`]'s `Display`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Notice {
    /// Our contact request went out.
    #[error("Request sent. {0} appears as ready once they are online.")]
    RequestSent(String),
    /// A contact is complete.
    #[error("{0} is now a contact.")]
    ContactAdded(String),
    /// The invitation was already used or has expired.
    #[error("This invitation was already used or has expired. Ask {0} for a new one.")]
    InviteUsed(String),
    /// The link cannot be read.
    #[error("{0}")]
    BadInvite(String),
    /// The link is our own.
    #[error("That is your own invitation. Send it to someone else.")]
    OwnInvite,
    /// The inviter is already a contact.
    #[error("{0} is already in your contacts.")]
    AlreadyContact(String),
    /// A contact removed us.
    #[error("{0} removed you from their contacts.")]
    RemovedBy(String),
    /// Another tab or device took over our queues.
    #[error(
        "sotto was opened in another tab or window; this one no longer receives calls. Reload to take over."
    )]
    TakenOver,
    /// A relay could not be reached for something the user asked.
    #[error("Could not reach the relay. Check the connection and try again.")]
    RelayUnreachable,
    /// A contact cannot be called yet.
    #[error("{0} has not confirmed yet.")]
    NotConfirmed(String),
}
