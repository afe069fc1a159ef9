//! Page flow, in two steps: a document is first laid out into pages of marks (lines of text and
//! rules at fixed positions), then the marks are painted into a PDF. Laying out first means the
//! page count is known when footers ("page 2 of 3") are written, and keeps krilla's borrowed page
//! surfaces out of the layout code.
//!
//! Units are PostScript points (1/72 in); the origin is the top left corner, y grows downwards.
//! A row of cells ([`Flow::row`]) is the one primitive: a receipt's "label — value" lines are
//! rows of two cells, a statement's table lines will be rows of several.

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder, PdfVersion};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::{Document, SerializeSettings};

use crate::RenderError;
use crate::fonts::{Faces, Weight};

/// ISO 216 A4 in points: 210 × 297 mm.
pub(crate) const A4_WIDTH_PT: f32 = 595.28;
pub(crate) const A4_HEIGHT_PT: f32 = 841.89;
/// 20 mm left and right, as Kazakhstan's document forms leave for binding and reading.
const MARGIN_SIDE_PT: f32 = 56.69;
/// 15 mm above the content.
const MARGIN_TOP_PT: f32 = 42.52;
/// 20 mm below the content: the footer sits in it.
const MARGIN_BOTTOM_PT: f32 = 56.69;
/// Line height as a multiple of the font size.
const LINE_SPACING: f32 = 1.3;
/// Most pages one document may have: a bound on the work one request can cause (a statement of
/// three years is far below it; a receipt is one page).
pub const PAGES_MAX: usize = 2_000;

/// Size and weight of a piece of text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TextStyle {
    pub weight: Weight,
    pub size_pt: f32,
}

impl TextStyle {
    pub(crate) const fn regular(size_pt: f32) -> TextStyle {
        TextStyle { weight: Weight::Regular, size_pt }
    }

    pub(crate) const fn bold(size_pt: f32) -> TextStyle {
        TextStyle { weight: Weight::Bold, size_pt }
    }

    fn line_height_pt(self) -> f32 {
        self.size_pt * LINE_SPACING
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// One column of a row: where it starts, how wide it is, and its text (wrapped to the width).
#[derive(Debug, Clone)]
pub(crate) struct Cell<'a> {
    pub x_pt: f32,
    pub width_pt: f32,
    pub text: &'a str,
    pub style: TextStyle,
    pub align: Align,
}

/// Something drawn at a fixed place on a page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mark {
    Text {
        x_pt: f32,
        baseline_pt: f32,
        style: TextStyle,
        text: String,
    },
    /// A horizontal line.
    Rule {
        x_pt: f32,
        y_pt: f32,
        width_pt: f32,
        thickness_pt: f32,
    },
}

/// What goes into the PDF's document information and XMP metadata.
pub(crate) struct DocumentInfo {
    pub title: String,
    /// BCP 47 (`ru`, `kk`, `en`).
    pub language: &'static str,
    /// The instant the document is about, as the PDF's creation date: PDF/A requires one, and
    /// taking it from the data (not the clock) keeps rendering a pure function.
    pub created: jiff::Timestamp,
}

/// Lays content out top to bottom, starting a new page when the next row does not fit.
pub(crate) struct Flow<'f> {
    faces: &'f Faces,
    pages: Vec<Vec<Mark>>,
    /// The top of the next row on the current page.
    y_pt: f32,
}

impl<'f> Flow<'f> {
    pub(crate) fn new(faces: &'f Faces) -> Flow<'f> {
        Flow { faces, pages: vec![Vec::new()], y_pt: MARGIN_TOP_PT }
    }

    pub(crate) fn left_pt(&self) -> f32 {
        MARGIN_SIDE_PT
    }

    pub(crate) fn content_width_pt(&self) -> f32 {
        A4_WIDTH_PT - 2.0 * MARGIN_SIDE_PT
    }

    fn bottom_pt() -> f32 {
        A4_HEIGHT_PT - MARGIN_BOTTOM_PT
    }

    /// Leaves `height_pt` of vertical space (dropped at the top of a page).
    pub(crate) fn space(&mut self, height_pt: f32) {
        assert!(height_pt >= 0.0, "space goes down");
        if self.y_pt > MARGIN_TOP_PT {
            self.y_pt = (self.y_pt + height_pt).min(Self::bottom_pt());
        }
    }

    /// Starts a new page unless `height_pt` still fits on this one.
    fn make_room(&mut self, height_pt: f32) -> Result<(), RenderError> {
        if self.y_pt + height_pt <= Self::bottom_pt() || self.y_pt <= MARGIN_TOP_PT {
            return Ok(());
        }
        if self.pages.len() >= PAGES_MAX {
            return Err(RenderError::TooManyPages { pages_max: PAGES_MAX });
        }
        self.pages.push(Vec::new());
        self.y_pt = MARGIN_TOP_PT;
        Ok(())
    }

    fn page(&mut self) -> &mut Vec<Mark> {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// A horizontal line across the content width.
    pub(crate) fn rule(&mut self, thickness_pt: f32) -> Result<(), RenderError> {
        self.make_room(thickness_pt)?;
        let (x_pt, y_pt, width_pt) = (self.left_pt(), self.y_pt, self.content_width_pt());
        self.page().push(Mark::Rule { x_pt, y_pt, width_pt, thickness_pt });
        self.y_pt += thickness_pt;
        Ok(())
    }

    /// One paragraph across the content width, wrapped.
    pub(crate) fn paragraph(&mut self, text: &str, style: TextStyle) -> Result<(), RenderError> {
        let cell = Cell { x_pt: self.left_pt(), width_pt: self.content_width_pt(), text, style, align: Align::Left };
        self.row(&[cell])
    }

    /// Cells side by side, each wrapped to its width; the row is as tall as its tallest cell and
    /// is moved whole to the next page when it does not fit (a row taller than a page is split).
    pub(crate) fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), RenderError> {
        let wrapped: Vec<Vec<String>> =
            cells.iter().map(|cell| wrap(self.faces, cell.text, cell.style, cell.width_pt)).collect();
        let height_pt = cells
            .iter()
            .zip(&wrapped)
            .map(|(cell, lines)| lines.len() as f32 * cell.style.line_height_pt())
            .fold(0.0, f32::max);
        if height_pt <= Self::bottom_pt() - MARGIN_TOP_PT {
            self.make_room(height_pt)?;
        }
        let top_pt = self.y_pt;
        let mut page_index = self.pages.len() - 1;
        let mut lowest_pt = top_pt;
        for (cell, lines) in cells.iter().zip(&wrapped) {
            let face = self.faces.face(cell.style.weight);
            let line_height_pt = cell.style.line_height_pt();
            // Half the leading above the line, then the ascent down to the baseline.
            let baseline_offset_pt =
                (line_height_pt - cell.style.size_pt) / 2.0 + face.ascent_em() * cell.style.size_pt;
            let mut y_pt = top_pt;
            page_index = self.pages.len() - 1;
            for line in lines {
                if y_pt + line_height_pt > Self::bottom_pt() {
                    // Only a row taller than a page gets here: its cells continue overleaf.
                    page_index += 1;
                    if page_index >= PAGES_MAX {
                        return Err(RenderError::TooManyPages { pages_max: PAGES_MAX });
                    }
                    if page_index == self.pages.len() {
                        self.pages.push(Vec::new());
                    }
                    y_pt = MARGIN_TOP_PT;
                }
                let x_pt = match cell.align {
                    Align::Left => cell.x_pt,
                    Align::Right => cell.x_pt + cell.width_pt - face.width(line, cell.style.size_pt),
                };
                self.pages[page_index].push(Mark::Text {
                    x_pt,
                    baseline_pt: y_pt + baseline_offset_pt,
                    style: cell.style,
                    text: line.clone(),
                });
                y_pt += line_height_pt;
            }
            lowest_pt = if page_index + 1 == self.pages.len() { lowest_pt.max(y_pt) } else { y_pt };
        }
        debug_assert!(page_index < self.pages.len());
        self.y_pt = lowest_pt;
        Ok(())
    }

    /// The laid-out pages, each with a footer line: `footer(page, pages)` (1-based).
    pub(crate) fn finish(mut self, footer: impl Fn(usize, usize) -> String) -> Vec<Vec<Mark>> {
        let count = self.pages.len();
        let style = TextStyle::regular(7.5);
        let face = self.faces.face(style.weight);
        for (index, page) in self.pages.iter_mut().enumerate() {
            let baseline_pt = A4_HEIGHT_PT - MARGIN_BOTTOM_PT / 2.0;
            let text = footer(index + 1, count);
            let width_pt = face.width(&text, style.size_pt);
            page.push(Mark::Rule {
                x_pt: MARGIN_SIDE_PT,
                y_pt: baseline_pt - 2.0 * style.size_pt,
                width_pt: A4_WIDTH_PT - 2.0 * MARGIN_SIDE_PT,
                thickness_pt: 0.4,
            });
            page.push(Mark::Text { x_pt: A4_WIDTH_PT - MARGIN_SIDE_PT - width_pt, baseline_pt, style, text });
        }
        self.pages
    }
}

/// Splits `text` into lines no wider than `width_pt`: at spaces, and inside a word only when the
/// word alone is wider than the line (a digest, an IBAN in a narrow column). Line breaks in the
/// text start new lines; an empty text is one empty line, so a row keeps its height.
pub(crate) fn wrap(faces: &Faces, text: &str, style: TextStyle, width_pt: f32) -> Vec<String> {
    assert!(width_pt > style.size_pt, "a column narrower than one character cannot hold text");
    let face = faces.face(style.weight);
    let space_pt = face.width(" ", style.size_pt);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_pt = 0.0;
        for word in paragraph.split(' ').filter(|word| !word.is_empty()) {
            let word_pt = face.width(word, style.size_pt);
            if !line.is_empty() && line_pt + space_pt + word_pt <= width_pt {
                line.push(' ');
                line.push_str(word);
                line_pt += space_pt + word_pt;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if word_pt <= width_pt {
                line.push_str(word);
                line_pt = word_pt;
                continue;
            }
            // Longer than a line: break between characters.
            line_pt = 0.0;
            for character in word.chars() {
                let mut buffer = [0; 4];
                let character_pt = face.width(character.encode_utf8(&mut buffer), style.size_pt);
                if !line.is_empty() && line_pt + character_pt > width_pt {
                    lines.push(std::mem::take(&mut line));
                    line_pt = 0.0;
                }
                line.push(character);
                line_pt += character_pt;
            }
        }
        lines.push(line);
    }
    debug_assert!(!lines.is_empty());
    lines
}

/// Paints laid-out pages into a PDF/A-2u document (archival, every glyph mapped to Unicode).
pub(crate) fn paint(faces: &Faces, pages: &[Vec<Mark>], info: DocumentInfo) -> Result<Vec<u8>, RenderError> {
    assert!(!pages.is_empty() && pages.len() <= PAGES_MAX, "{} pages", pages.len());
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .with_version(PdfVersion::Pdf17)
        .finish()
        .map_err(|error| RenderError::Pdf(format!("{error:?}")))?;
    let settings = SerializeSettings { configuration, ..SerializeSettings::default() };
    let mut document = Document::new_with(settings);
    document.set_metadata(metadata(info));
    let size = PageSettings::from_wh(A4_WIDTH_PT, A4_HEIGHT_PT)
        .ok_or_else(|| RenderError::Pdf("the A4 page size is refused".to_owned()))?;
    for marks in pages {
        let mut page = document.start_page_with(size.clone());
        let mut surface = page.surface();
        for mark in marks {
            match mark {
                Mark::Text { x_pt, baseline_pt, style, text } => {
                    let face = faces.face(style.weight);
                    let shaped = face.shape(text);
                    if shaped.glyphs.is_empty() {
                        continue;
                    }
                    surface.set_fill(Some(fill(rgb::Color::black())));
                    surface.draw_glyphs(
                        Point::from_xy(*x_pt, *baseline_pt),
                        &shaped.glyphs,
                        face.font(),
                        &shaped.text,
                        style.size_pt,
                        false,
                    );
                }
                Mark::Rule { x_pt, y_pt, width_pt, thickness_pt } => {
                    let Some(rect) = Rect::from_xywh(*x_pt, *y_pt, *width_pt, *thickness_pt) else { continue };
                    let mut builder = PathBuilder::new();
                    builder.push_rect(rect);
                    let Some(path) = builder.finish() else { continue };
                    surface.set_fill(Some(fill(rgb::Color::new(120, 120, 120))));
                    surface.draw_path(&path);
                }
            }
        }
        surface.finish();
        page.finish();
    }
    let bytes = document.finish().map_err(|error| RenderError::Pdf(format!("{error:?}")))?;
    debug_assert!(bytes.starts_with(b"%PDF-"));
    Ok(bytes)
}

fn fill(color: rgb::Color) -> Fill {
    Fill { paint: color.into(), opacity: NormalizedF32::ONE, rule: Default::default() }
}

fn metadata(info: DocumentInfo) -> Metadata {
    // In UTC, as the instant is stored; the pages show it in the reader's zone.
    let utc = info.created.to_zoned(jiff::tz::TimeZone::UTC);
    let date = DateTime::new(u16::try_from(utc.year()).unwrap_or(0))
        .month(utc.month().unsigned_abs())
        .day(utc.day().unsigned_abs())
        .hour(utc.hour().unsigned_abs())
        .minute(utc.minute().unsigned_abs())
        .second(utc.second().unsigned_abs())
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    Metadata::new().title(info.title).language(info.language.to_owned()).creator("Tiyn".to_owned()).creation_date(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces() -> &'static Faces {
        Faces::get().expect("fonts")
    }

    #[test]
    fn long_text_wraps_at_spaces_within_the_width() {
        let style = TextStyle::regular(10.0);
        let text = "Оплата по договору поставки № 15 от 01.12.2025 за товары согласно счёт-фактуре, в т.ч. НДС 12%";
        let lines = wrap(faces(), text, style, 150.0);
        assert!(lines.len() >= 3, "{lines:?}");
        for line in &lines {
            assert!(faces().face(Weight::Regular).width(line, 10.0) <= 150.0, "{line}");
        }
        assert_eq!(lines.join(" "), text, "no word is lost or split");
    }

    #[test]
    fn a_word_longer_than_the_line_is_broken_between_characters() {
        let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let lines = wrap(faces(), digest, TextStyle::regular(9.0), 120.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert_eq!(lines.concat(), digest);
    }

    #[test]
    fn an_empty_text_is_one_empty_line() {
        assert_eq!(wrap(faces(), "", TextStyle::regular(9.0), 100.0), vec![String::new()]);
    }

    #[test]
    fn rows_that_do_not_fit_go_to_the_next_page() {
        let mut flow = Flow::new(faces());
        let style = TextStyle::regular(10.0);
        for index in 0..120 {
            let text = format!("строка {index}");
            flow.row(&[Cell { x_pt: 60.0, width_pt: 200.0, text: &text, style, align: Align::Left }]).expect("row");
        }
        let pages = flow.finish(|page, pages| format!("{page} / {pages}"));
        assert!(pages.len() >= 2, "{} pages", pages.len());
        for page in &pages {
            for mark in page {
                if let Mark::Text { baseline_pt, .. } = mark {
                    assert!(*baseline_pt <= A4_HEIGHT_PT - 10.0 && *baseline_pt >= MARGIN_TOP_PT, "{baseline_pt}");
                }
            }
        }
        let footer = pages.last().and_then(|page| page.last()).expect("a footer");
        assert!(matches!(footer, Mark::Text { text, .. } if text == &format!("{0} / {0}", pages.len())));
    }
}
