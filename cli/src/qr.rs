//! A QR code for a terminal: two modules a character with half blocks, dark on light.

use qrcode::{Color, EcLevel, QrCode};

/// `text` as lines of half-block characters with a quiet zone, or `None` when it is too long.
pub(crate) fn render(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 2;
    let size = width + 2 * quiet;
    let dark = |x: usize, y: usize| {
        x >= quiet
            && y >= quiet
            && x < width + quiet
            && y < width + quiet
            && colors[(y - quiet) * width + (x - quiet)] == Color::Dark
    };
    let mut out = String::new();
    for y in (0..size).step_by(2) {
        for x in 0..size {
            // Light modules are drawn (full block), dark ones left blank: terminals are
            // usually dark, and scanners want dark modules on a light ground.
            out.push(match (dark(x, y), dark(x, y + 1)) {
                (false, false) => '█',
                (false, true) => '▀',
                (true, false) => '▄',
                (true, true) => ' ',
            });
        }
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_a_square_block_with_a_quiet_zone() {
        let qr = super::render("http://127.0.0.1:8080/#/invite/abc").unwrap();
        let lines: Vec<&str> = qr.lines().collect();
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == width));
        assert_eq!(lines.len(), width.div_ceil(2));
        assert!(lines[0].chars().all(|c| c == '█'), "quiet zone on top");
    }
}
