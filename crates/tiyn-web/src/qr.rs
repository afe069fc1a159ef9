//! The QR code of a marker's `otpauth://` URI, rendered on the server as inline SVG (R-2.1.21):
//! no script draws it and no image is fetched, so the Content-Security-Policy stays as it is, and
//! the secret never leaves the page it is shown on.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The smallest side of the drawing, in CSS pixels: phone cameras read it easily from a screen.
const QR_SIDE_MIN: u32 = 220;

/// An `<svg>` element (no XML prologue, so it sits inside HTML) with `role="img"` and `label` as
/// its accessible name; `None` when the text does not fit a QR code (it always does for a URI).
pub fn svg(text: &str, label: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let drawing = code
        .render::<svg::Color<'_>>()
        .min_dimensions(QR_SIDE_MIN, QR_SIDE_MIN)
        .quiet_zone(true)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    let start = drawing.find("<svg")?;
    let element = &drawing[start..];
    let attributes = format!(r#"<svg class="qr__code" role="img" aria-label="{}" "#, escape(label));
    Some(element.replacen("<svg ", &attributes, 1))
}

/// Escapes text for an attribute value.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The base32 secret of an `otpauth://` URI, for typing it into an app by hand.
pub fn otpauth_secret(uri: &str) -> Option<&str> {
    let query = uri.split_once('?')?.1;
    query.split('&').find_map(|pair| pair.strip_prefix("secret="))
}

/// The secret in groups of four, as authenticator apps show and accept it.
pub fn grouped(secret: &str) -> String {
    let characters: Vec<char> = secret.chars().collect();
    characters.chunks(4).map(|chunk| chunk.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "otpauth://totp/Tiyn:A%20B%20TYN-ABCD-EFGH?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Tiyn&algorithm=SHA1&digits=6&period=30";

    #[test]
    fn the_qr_code_is_an_inline_svg_without_style() {
        let svg = svg(URI, "QR \"code\" <of> the marker").expect("a QR code");
        assert!(svg.starts_with(
            r#"<svg class="qr__code" role="img" aria-label="QR &quot;code&quot; &lt;of&gt; the marker" xmlns="#
        ));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml") && !svg.contains("style") && !svg.contains("<script"));
        assert!(svg.contains("<path"), "{svg}");
    }

    #[test]
    fn the_secret_is_read_from_the_uri_and_grouped() {
        assert_eq!(otpauth_secret(URI), Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"));
        assert_eq!(otpauth_secret("otpauth://totp/x"), None);
        assert_eq!(grouped("JBSWY3DPEH"), "JBSW Y3DP EH");
    }
}
