//! A QR code as inline SVG.

use qrcode::{Color, QrCode};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct QrProps {
    pub text: String,
}

/// Renders `text` as a QR code (medium error correction), scaled to its container.
#[function_component(Qr)]
pub fn qr(props: &QrProps) -> Html {
    let Ok(code) = QrCode::with_error_correction_level(props.text.as_bytes(), qrcode::EcLevel::M)
    else {
        return html! { <p>{ "The link is too long for a QR code." }</p> };
    };
    let width = code.width();
    let colors = code.to_colors();
    let mut path = String::new();
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", i % width + 4, i / width + 4));
        }
    }
    let size = width + 8;
    html! {
        <svg class="qr" viewBox={format!("0 0 {size} {size}")} role="img" aria-label="QR code of the invite link" shape-rendering="crispEdges">
            <rect width="100%" height="100%" fill="#fff"/>
            <path d={path} fill="#000"/>
        </svg>
    }
}
