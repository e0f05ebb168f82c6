//! Icons as inline SVG (Feather-style 24×24 strokes, drawn in `currentColor`), so they show on
//! every machine, emoji font or not. Icons are decoration: the control that holds one carries
//! the accessible name (`aria-label`), and the SVG is hidden from screen readers.

use yew::prelude::*;

/// Which icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Phone,
    Video,
    VideoOff,
    Mic,
    MicOff,
    Screen,
    Flip,
    Minimize,
    Pip,
    HangUp,
    Close,
    Check,
    Lock,
    Warning,
    Devices,
}

impl Icon {
    /// The SVG's path data.
    const fn paths(self) -> &'static [&'static str] {
        match self {
            Self::Phone => &[
                "M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6 19.8 19.8 0 0 1-3.1-8.7A2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L8 9.8a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2z",
            ],
            Self::Video => &["M23 7l-7 5 7 5V7z", "M1 5h15v14H1z"],
            Self::VideoOff => &[
                "M16 16v1a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2h2m5.7 0H14a2 2 0 0 1 2 2v3.3l1 1L23 7v10",
                "M1 1l22 22",
            ],
            Self::Mic => &[
                "M12 1a3 3 0 0 0-3 3v8a3 3 0 0 0 6 0V4a3 3 0 0 0-3-3z",
                "M19 10v2a7 7 0 0 1-14 0v-2",
                "M12 19v4M8 23h8",
            ],
            Self::MicOff => &[
                "M1 1l22 22",
                "M9 9v3a3 3 0 0 0 5.1 2.1M15 9.3V4a3 3 0 0 0-5.9-.6",
                "M17 16.9A7 7 0 0 1 5 12v-2m14 0v2a7 7 0 0 1-.1 1.2",
                "M12 19v4M8 23h8",
            ],
            Self::Screen => &["M2 3h20v14H2z", "M8 21h8M12 17v4", "M12 7v6M9 10l3-3 3 3"],
            Self::Flip => &[
                "M1 4v6h6",
                "M23 20v-6h-6",
                "M20.5 9A9 9 0 0 0 5.6 5.6L1 10m22 4l-4.6 4.4A9 9 0 0 1 3.5 15",
            ],
            Self::Minimize => &["M4 14h6v6M20 10h-6V4M14 10l7-7M3 21l7-7"],
            Self::Pip => &["M2 4h20v16H2z", "M12 12h8v6h-8z"],
            Self::HangUp => &[
                "M10.7 13.3a16 16 0 0 0 3.4 2.6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.7.7a2 2 0 0 1 1.7 2v3a2 2 0 0 1-2.2 2A19.8 19.8 0 0 1 3.1 4.2 2 2 0 0 1 5.1 2h3a2 2 0 0 1 2 1.7c.1.9.4 1.8.7 2.7a2 2 0 0 1-.5 2.1L9 9.8",
                "M23 1L1 23",
            ],
            Self::Close => &["M18 6L6 18M6 6l12 12"],
            Self::Check => &["M20 6L9 17l-5-5"],
            Self::Lock => &["M5 11h14v11H5z", "M7 11V7a5 5 0 0 1 10 0v4"],
            Self::Warning => &[
                "M10.3 3.9L1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z",
                "M12 9v4M12 17h.01",
            ],
            Self::Devices => &[
                "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z",
                "M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z",
            ],
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct IconProps {
    pub icon: Icon,
}

/// An icon, hidden from assistive technology (its control is named instead).
#[function_component(Svg)]
pub fn svg(props: &IconProps) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor"
            stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
            { for props.icon.paths().iter().map(|d| html! { <path d={*d} /> }) }
        </svg>
    }
}
