//! The two embedded faces (DejaVu Sans regular and bold), and the one way text becomes glyphs.
//!
//! Cyrillic (Russian and Kazakh) and Latin need no shaping beyond one glyph per character, so a
//! character is mapped through the font's `cmap` and advanced by its `hmtx` width. Measuring
//! (for wrapping and right alignment) and drawing use the same glyphs, so what was measured is
//! what is drawn.

use std::sync::LazyLock;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

static REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// What is drawn instead of a character the font has no glyph for, or that a PDF/A text map may
/// not carry (NUL, BOM, noncharacters, controls): visible, and searchable as itself.
pub(crate) const REPLACEMENT: char = '\u{FFFD}';

/// Parsed once per process: parsing and hashing the fonts costs more than laying out a receipt.
static FACES: LazyLock<Option<Faces>> =
    LazyLock::new(|| Some(Faces { regular: Face::new(REGULAR_TTF)?, bold: Face::new(BOLD_TTF)? }));

/// The weight of a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

pub(crate) struct Faces {
    regular: Face,
    bold: Face,
}

impl Faces {
    /// The embedded faces; `None` only if the fonts compiled into the binary do not parse, which
    /// a unit test rules out.
    pub(crate) fn get() -> Option<&'static Faces> {
        FACES.as_ref()
    }

    pub(crate) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

pub(crate) struct Face {
    /// For the PDF writer (it subsets and embeds it).
    font: Font,
    /// For character → glyph mapping and advances.
    reader: FontRef<'static>,
    units_per_em: f32,
    /// Above the baseline, in em.
    ascent_em: f32,
}

/// A line of text as glyphs of one face: `text` is what the glyphs stand for (a character the
/// face cannot draw is already replaced), which the PDF's ToUnicode map carries.
pub(crate) struct Shaped {
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// The advance of the whole line, in em.
    pub width_em: f32,
}

impl Face {
    fn new(data: &'static [u8]) -> Option<Face> {
        let reader = FontRef::new(data).ok()?;
        let metrics = reader.metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(metrics.units_per_em);
        if units_per_em <= 0.0 {
            return None;
        }
        let font = Font::new(data.into(), 0)?;
        Some(Face { font, reader, units_per_em, ascent_em: metrics.ascent / units_per_em })
    }

    pub(crate) fn font(&self) -> Font {
        self.font.clone()
    }

    pub(crate) fn ascent_em(&self) -> f32 {
        self.ascent_em
    }

    /// Whether the face draws `character` itself (rather than [`REPLACEMENT`]).
    #[cfg(test)]
    pub(crate) fn covers(&self, character: char) -> bool {
        is_drawable(character) && self.reader.charmap().map(character).is_some()
    }

    /// One glyph per character; characters the face cannot draw become [`REPLACEMENT`].
    pub(crate) fn shape(&self, text: &str) -> Shaped {
        let charmap = self.reader.charmap();
        let metrics = self.reader.glyph_metrics(Size::unscaled(), LocationRef::default());
        let replacement = charmap.map(REPLACEMENT);
        let mut shaped = String::with_capacity(text.len());
        let mut glyphs = Vec::with_capacity(text.len());
        let mut width_em = 0.0;
        for character in text.chars() {
            let mapped = if is_drawable(character) { charmap.map(character) } else { None };
            let (character, glyph) = match (mapped, replacement) {
                (Some(glyph), _) => (character, glyph),
                (None, Some(glyph)) => (REPLACEMENT, glyph),
                // DejaVu has U+FFFD; a face without it drops what it cannot draw.
                (None, None) => continue,
            };
            let start = shaped.len();
            shaped.push(character);
            let advance_em = metrics.advance_width(glyph).unwrap_or(0.0) / self.units_per_em;
            width_em += advance_em;
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(glyph.to_u32()),
                advance_em,
                0.0,
                0.0,
                0.0,
                start..shaped.len(),
                None,
            ));
        }
        debug_assert_eq!(glyphs.len(), shaped.chars().count());
        Shaped { text: shaped, glyphs, width_em }
    }

    /// The advance of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        self.shape(text).width_em * size
    }
}

/// Characters a PDF/A-2u text map may carry and that draw something: no controls (line breaks
/// are laid out, never drawn), no NUL, BOM or noncharacters.
fn is_drawable(character: char) -> bool {
    !character.is_control() && !matches!(u32::from(character), 0xFEFF | 0xFFFE | 0xFFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The alphabets the documents are written in, plus the signs they use.
    const RUSSIAN: &str = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя";
    const KAZAKH: &str = "ӘҒҚҢӨҰҮҺІәғқңөұүһі";
    const SIGNS: &str = "№₸«»—–0123456789.,:;()/-\u{A0}";

    #[test]
    fn the_embedded_faces_parse() {
        let faces = Faces::get().expect("the embedded fonts parse");
        for weight in [Weight::Regular, Weight::Bold] {
            let face = faces.face(weight);
            assert!(face.ascent_em() > 0.5 && face.ascent_em() < 1.2, "{}", face.ascent_em());
        }
    }

    #[test]
    fn both_faces_draw_every_russian_and_kazakh_letter() {
        let faces = Faces::get().expect("fonts");
        for weight in [Weight::Regular, Weight::Bold] {
            for character in RUSSIAN.chars().chain(KAZAKH.chars()).chain(SIGNS.chars()).chain('A'..='z') {
                assert!(faces.face(weight).covers(character), "{weight:?} lacks {character:?}");
            }
        }
    }

    #[test]
    fn what_cannot_be_drawn_is_replaced_visibly() {
        let face = Faces::get().expect("fonts").face(Weight::Regular);
        // A CJK ideograph (not in DejaVu Sans), a BOM and a control character.
        let shaped = face.shape("a\u{4E00}\u{FEFF}\tb");
        assert_eq!(shaped.text, "a\u{FFFD}\u{FFFD}\u{FFFD}b");
        assert_eq!(shaped.glyphs.len(), 5);
        assert!(shaped.glyphs.iter().all(|glyph| glyph.glyph_id.to_u32() != 0), "no .notdef glyph is drawn");
    }

    #[test]
    fn widths_add_up_and_bold_is_wider() {
        let faces = Faces::get().expect("fonts");
        let regular = faces.face(Weight::Regular);
        let whole = regular.width("Платёж", 10.0);
        let parts = regular.width("Пла", 10.0) + regular.width("тёж", 10.0);
        assert!((whole - parts).abs() < 0.001, "{whole} {parts}");
        assert!(faces.face(Weight::Bold).width("Платёж", 10.0) > whole);
    }
}
