//! The QR code of a text (a WireGuard client `.conf`, ~300 bytes) for a phone to scan: as
//! Unicode half blocks for a terminal, and as a PNG.
//!
//! Encoding is the `qrcode` crate's, at error correction level M (15% of the symbol can be
//! lost: a screen's glare or moiré; `qrencode`, which the WireGuard docs suggest, defaults
//! to L); the module matrix, the quiet zone and both renderings are ours. A 331-byte
//! profile (with a preshared key) gives a version 14 symbol: 73 modules, 81 with the quiet
//! zone — 81 terminal columns, 41 lines, a 648 px PNG of about 2 KB.
//!
//! # Terminal rendering and dark terminals
//! Each character stacks two modules with `▀ ▄ █` and space, so a line is one module
//! wide and two high (a terminal cell is about twice as high as wide: the code looks
//! square). Scanners want dark modules on a light ground with a 4-module light quiet
//! zone, but most terminals draw light text on a dark background, so [`TerminalStyle`]
//! offers two answers:
//! - [`TerminalStyle::Inverted`] (plain text, works in any pipe or log): the *light*
//!   modules and the quiet zone are drawn as blocks in the terminal's text colour and the
//!   dark modules are left as background, like `qrencode -t UTF8`. Right on a dark
//!   terminal; on a light one the code comes out as a negative (many scanners still read
//!   it, not all).
//! - [`TerminalStyle::Ansi`]: every line sets black-on-white explicitly (SGR `30;47`) and
//!   draws the dark modules, like `qrencode -t ANSIUTF8`: right on any terminal that shows
//!   colours, for when standard output is a terminal.

use std::fmt;

/// Light modules around the symbol, as the QR code standard requires.
pub const QUIET_ZONE: usize = 4;

/// Pixels per module in [`Qr::to_png`]: a ~330-byte profile gives 648 × 648 px.
pub const PNG_SCALE: usize = 8;

/// The most bytes a QR code holds at error correction level M (version 40, byte mode).
pub const MAX_BYTES: usize = 2331;

/// Why a text got no QR code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The text does not fit in the largest QR code at error correction level M.
    #[error(
        "text of {bytes} bytes is too long for a QR code (at most {MAX_BYTES} bytes at error correction level M)"
    )]
    TooLong {
        /// The length of the refused text, in bytes.
        bytes: usize,
    },
    /// Any other refusal of the encoder (not expected for text at level M).
    #[error("the QR encoder refused the text: {0}")]
    Encoder(String),
}

/// How [`Qr::to_terminal`] keeps the code scannable on dark and light terminals (see the
/// module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalStyle {
    /// Plain text, light modules drawn: right on dark-background terminals.
    Inverted,
    /// Black on white set with ANSI colour codes, dark modules drawn: right on any
    /// terminal with colours.
    Ansi,
}

/// An encoded QR code: its square module matrix, without the quiet zone.
#[derive(Clone, PartialEq, Eq)]
pub struct Qr {
    /// Modules per side (21 for version 1 … 177 for version 40).
    width: usize,
    /// `width * width` modules, row by row; `true` is dark.
    dark: Vec<bool>,
}

impl fmt::Debug for Qr {
    /// The size only: the content may be a profile holding a private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Qr").field("width", &self.width).finish()
    }
}

impl Qr {
    /// Encode `text` at error correction level M, in the most compact mix of modes.
    pub fn encode(text: &str) -> Result<Qr, QrError> {
        use qrcode::{Color, EcLevel, QrCode};
        let code =
            QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|error| {
                match error {
                    qrcode::types::QrError::DataTooLong => QrError::TooLong { bytes: text.len() },
                    other => QrError::Encoder(other.to_string()),
                }
            })?;
        Ok(Qr {
            width: code.width(),
            dark: code
                .into_colors()
                .into_iter()
                .map(|color| color == Color::Dark)
                .collect(),
        })
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Modules per side with the quiet zone on both sides.
    pub fn size_with_quiet_zone(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// Whether the module at column `x`, row `y` is dark, in coordinates that include the
    /// quiet zone (which is light, as is everything outside the code).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        let (Some(x), Some(y)) = (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE)) else {
            return false;
        };
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// The code as lines of half blocks, quiet zone included, each line ending in `\n`:
    /// [`Qr::size_with_quiet_zone`] characters wide (plus colour codes for
    /// [`TerminalStyle::Ansi`]) and half as many lines, rounded up.
    pub fn to_terminal(&self, style: TerminalStyle) -> String {
        let size = self.size_with_quiet_zone();
        // Below the last row (the size is odd) nothing is drawn: background.
        let drawn = |x: usize, y: usize| {
            y < size
                && match style {
                    TerminalStyle::Inverted => !self.is_dark(x, y),
                    TerminalStyle::Ansi => self.is_dark(x, y),
                }
        };
        let mut out = String::with_capacity(size.div_ceil(2) * (size * 3 + 16));
        for line in 0..size.div_ceil(2) {
            let (top, bottom) = (2 * line, 2 * line + 1);
            if style == TerminalStyle::Ansi {
                out.push_str("\x1b[30;47m");
            }
            for x in 0..size {
                out.push(match (drawn(x, top), drawn(x, bottom)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            if style == TerminalStyle::Ansi {
                out.push_str("\x1b[0m");
            }
            out.push('\n');
        }
        out
    }

    /// The code as a PNG: 1-bit greyscale, [`PNG_SCALE`] pixels per module, quiet zone
    /// included (black modules on white).
    pub fn to_png(&self) -> Vec<u8> {
        let side = self.size_with_quiet_zone() * PNG_SCALE;
        let row_bytes = side.div_ceil(8);
        // 1-bit greyscale: bit 1 is white, most significant bit first.
        let mut pixels = vec![0u8; row_bytes * side];
        for y in 0..side {
            for x in 0..side {
                if !self.is_dark(x / PNG_SCALE, y / PNG_SCALE) {
                    pixels[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        let side =
            u32::try_from(side).expect("a QR code is at most 185 modules with its quiet zone");
        let mut png = Vec::new();
        let mut encoder = png::Encoder::new(&mut png, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        // Writing a valid header and exactly sized data into memory cannot fail.
        let mut writer = encoder
            .write_header()
            .expect("PNG header for a 1-bit greyscale image");
        writer
            .write_image_data(&pixels)
            .expect("PNG data of the exact size into memory");
        writer.finish().expect("PNG end into memory");
        png
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client profile as `onboard --vpn` writes one (keys from the twin's generator).
    fn profile() -> String {
        let (private, _) = crate::lab::linux::wg_keypair("qr-test", 1);
        let (_, server) = crate::lab::linux::wg_keypair("qr-test", 2);
        let (psk, _) = crate::lab::linux::wg_keypair("qr-test", 3);
        format!(
            "[Interface]\nPrivateKey = {private}\nAddress = 10.8.0.23/32\nDNS = 10.1.0.53\n\n\
             [Peer]\nPublicKey = {server}\nPresharedKey = {psk}\n\
             AllowedIPs = 10.0.0.0/8, 192.168.0.0/16\nEndpoint = vpn.example.fr:51820\n\
             PersistentKeepalive = 25\n"
        )
    }

    /// Decodes a PNG to (width, height, 8-bit grey pixels).
    fn decode_png(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        assert_eq!(
            (info.color_type, info.bit_depth),
            (png::ColorType::Grayscale, png::BitDepth::Eight)
        );
        buffer.truncate(info.buffer_size());
        (info.width as usize, info.height as usize, buffer)
    }

    /// What a phone does: find the code in the picture and read its text.
    fn scan(width: usize, height: usize, grey: impl Fn(usize, usize) -> u8) -> String {
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, grey);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code expected in the picture");
        grids[0].decode().unwrap().1
    }

    #[test]
    fn png_scans_back_to_the_same_text() {
        let text = profile();
        let qr = Qr::encode(&text).unwrap();
        let png = qr.to_png();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));

        let (width, height, pixels) = decode_png(&png);
        let side = qr.size_with_quiet_zone() * PNG_SCALE;
        assert_eq!((width, height), (side, side));
        assert!(pixels.iter().all(|&p| p == 0 || p == 255));
        // The quiet zone is white all round, and the finder pattern's corner is black.
        let margin = QUIET_ZONE * PNG_SCALE;
        for i in 0..side {
            for j in 0..margin {
                for (x, y) in [(i, j), (j, i), (i, side - 1 - j), (side - 1 - j, i)] {
                    assert_eq!(pixels[y * width + x], 255, "quiet zone pixel ({x}, {y})");
                }
            }
        }
        assert_eq!(pixels[margin * width + margin], 0);

        assert_eq!(scan(width, height, |x, y| pixels[y * width + x]), text);
    }

    #[test]
    fn terminal_output_has_the_expected_shape_and_scans_back() {
        let text = profile();
        let qr = Qr::encode(&text).unwrap();
        let size = qr.size_with_quiet_zone();
        assert_eq!(size % 2, 1, "QR sizes are odd: the last line holds one row");

        for style in [TerminalStyle::Inverted, TerminalStyle::Ansi] {
            let out = qr.to_terminal(style);
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines.len(), size.div_ceil(2), "{style:?}");
            let mut grid = Vec::new();
            for line in &lines {
                let body = match style {
                    TerminalStyle::Inverted => *line,
                    TerminalStyle::Ansi => line
                        .strip_prefix("\x1b[30;47m")
                        .and_then(|l| l.strip_suffix("\x1b[0m"))
                        .expect("every line sets and resets its colours"),
                };
                let cells: Vec<char> = body.chars().collect();
                assert_eq!(cells.len(), size, "{style:?}");
                assert!(cells.iter().all(|c| " ▀▄█".contains(*c)));
                // Back to modules: (top drawn, bottom drawn) per cell.
                let halves = |c: char| (matches!(c, '▀' | '█'), matches!(c, '▄' | '█'));
                grid.push(cells.iter().map(|&c| halves(c).0).collect::<Vec<_>>());
                grid.push(cells.iter().map(|&c| halves(c).1).collect::<Vec<_>>());
            }
            // Drawn means light when inverted, dark with colours.
            let dark_when_drawn = style == TerminalStyle::Ansi;
            for (y, row) in grid.iter().take(size).enumerate() {
                for (x, &drawn) in row.iter().enumerate() {
                    assert_eq!(drawn == dark_when_drawn, qr.is_dark(x, y), "({x}, {y})");
                }
            }
            // The quiet zone: the first two lines are all light.
            let light_line = if dark_when_drawn { " " } else { "█" }.repeat(size);
            assert!(lines[0].contains(&light_line) && lines[1].contains(&light_line));
            // A phone reads what the terminal shows (4 px per half block).
            let decoded = scan(size * 4, size * 4, |x, y| {
                if qr.is_dark(x / 4, y / 4) { 0 } else { 255 }
            });
            assert_eq!(decoded, text);
        }
    }

    #[test]
    fn size_follows_the_text() {
        let small = Qr::encode("hi").unwrap();
        assert_eq!(small.width(), 21, "version 1");
        assert_eq!(
            small.to_terminal(TerminalStyle::Inverted).lines().count(),
            15
        );
        // As the module documentation says: 331 bytes, version 14, 81 columns, 41 lines.
        let text = profile();
        assert_eq!(text.len(), 331);
        let qr = Qr::encode(&text).unwrap();
        assert_eq!(qr.width(), 73);
        let terminal = qr.to_terminal(TerminalStyle::Inverted);
        assert_eq!(terminal.lines().count(), 41);
        assert_eq!(terminal.lines().next().unwrap().chars().count(), 81);
    }

    #[test]
    fn too_long_text_is_refused_with_a_reason() {
        assert!(Qr::encode(&"x".repeat(MAX_BYTES)).is_ok());
        let error = Qr::encode(&"x".repeat(MAX_BYTES + 1)).unwrap_err();
        assert_eq!(error, QrError::TooLong { bytes: 2332 });
        assert_eq!(
            error.to_string(),
            "text of 2332 bytes is too long for a QR code (at most 2331 bytes at error correction level M)"
        );
    }

    #[test]
    fn debug_does_not_show_the_content() {
        let qr = Qr::encode("PrivateKey = secret").unwrap();
        let debug = format!("{qr:?}");
        assert_eq!(debug, format!("Qr {{ width: {} }}", qr.width()));
        assert!(!debug.contains("secret"));
    }
}
