//! Page flow, in two steps: a document is first laid out into pages of marks (lines of text,
//! rules, circles at fixed positions), then the marks are painted into a PDF. Laying out first
//! keeps krilla's borrowed page surfaces out of the layout code; a short document (a receipt) is
//! laid out whole, so its page count is known when footers ("page 2 of 3") are written, and a long
//! one (a statement) hands each page to the [`Painter`] as soon as it is full ([`Flow::take_full`]),
//! so its marks are never all in memory at once.
//!
//! Units are PostScript points (1/72 in); the origin is the top left corner, y grows downwards.
//! A row of cells ([`Flow::row`]) is the one primitive: a receipt's "label — value" lines are
//! rows of two cells, a statement's table lines rows of several.

use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder, PdfVersion};
use krilla::geom::{PathBuilder, Point, Rect, Transform};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::{Document, SerializeSettings};

use crate::RenderError;
use crate::fonts::{Faces, Weight};

/// ISO 216 A4 in points: 210 × 297 mm.
pub(crate) const A4_WIDTH_PT: f32 = 595.28;
pub(crate) const A4_HEIGHT_PT: f32 = 841.89;
/// Line height as a multiple of the font size.
const LINE_SPACING: f32 = 1.3;
/// Most pages one document may have: a bound on the work and memory one request can cause (a
/// receipt is one page; a statement is refused beyond it, see `statement.rs` for the figures).
pub const PAGES_MAX: usize = 2_000;

/// A page's size and the margins around its content.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PageFormat {
    pub width_pt: f32,
    pub height_pt: f32,
    pub margin_side_pt: f32,
    pub margin_top_pt: f32,
    /// The footer sits in it.
    pub margin_bottom_pt: f32,
}

impl PageFormat {
    /// A4 upright: 20 mm left and right, as Kazakhstan's document forms leave for binding and
    /// reading, 15 mm above the content and 20 mm below it.
    pub(crate) const A4_PORTRAIT: PageFormat = PageFormat {
        width_pt: A4_WIDTH_PT,
        height_pt: A4_HEIGHT_PT,
        margin_side_pt: 56.69,
        margin_top_pt: 42.52,
        margin_bottom_pt: 56.69,
    };

    /// A4 on its side, for a table of many columns (the statement): 12 mm at the sides, 10 mm
    /// above and 14 mm below the content (a landscape page is bound at its top, if at all).
    pub(crate) const A4_LANDSCAPE: PageFormat = PageFormat {
        width_pt: A4_HEIGHT_PT,
        height_pt: A4_WIDTH_PT,
        margin_side_pt: 34.02,
        margin_top_pt: 28.35,
        margin_bottom_pt: 39.69,
    };

    pub(crate) fn content_width_pt(self) -> f32 {
        self.width_pt - 2.0 * self.margin_side_pt
    }

    fn bottom_pt(self) -> f32 {
        self.height_pt - self.margin_bottom_pt
    }
}

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

    pub(crate) fn line_height_pt(self) -> f32 {
        self.size_pt * LINE_SPACING
    }

    /// From the top of a line to its baseline: half the leading, then the ascent.
    pub(crate) fn baseline_offset_pt(self, faces: &Faces) -> f32 {
        (self.line_height_pt() - self.size_pt) / 2.0 + faces.face(self.weight).ascent_em() * self.size_pt
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
    Center,
}

/// The colours a document uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ink {
    Black,
    /// Rules.
    Grey,
    /// The blue of a stamp's ink.
    Stamp,
}

impl Ink {
    fn color(self) -> rgb::Color {
        match self {
            Ink::Black => rgb::Color::black(),
            Ink::Grey => rgb::Color::new(120, 120, 120),
            Ink::Stamp => rgb::Color::new(28, 63, 170),
        }
    }
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

/// A [`Cell`] that owns its text, for rows a flow repeats on every page (a table's head).
#[derive(Debug, Clone)]
pub(crate) struct OwnedCell {
    pub x_pt: f32,
    pub width_pt: f32,
    pub text: String,
    pub style: TextStyle,
    pub align: Align,
}

impl OwnedCell {
    pub(crate) fn as_cell(&self) -> Cell<'_> {
        Cell { x_pt: self.x_pt, width_pt: self.width_pt, text: &self.text, style: self.style, align: self.align }
    }
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
    /// Text in a colour, turned clockwise by `angle_deg` about the start of its baseline (the
    /// letters of a stamp's ring).
    Turned {
        x_pt: f32,
        baseline_pt: f32,
        angle_deg: f32,
        style: TextStyle,
        ink: Ink,
        text: String,
    },
    /// A horizontal line.
    Rule {
        x_pt: f32,
        y_pt: f32,
        width_pt: f32,
        thickness_pt: f32,
    },
    /// The outline of a circle.
    Circle {
        center_x_pt: f32,
        center_y_pt: f32,
        radius_pt: f32,
        thickness_pt: f32,
        ink: Ink,
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
    format: PageFormat,
    pages_max: usize,
    /// The pages not yet taken: the last one is being filled, those before it are full.
    pages: Vec<Vec<Mark>>,
    /// Full pages already handed out by [`Flow::take_full`].
    pages_taken: usize,
    /// The top of the next row on the current page.
    y_pt: f32,
    /// Rows repeated at the top of every page after the first (a table's column titles).
    head: Option<Vec<OwnedCell>>,
}

impl<'f> Flow<'f> {
    /// A flow of upright A4 pages, at most [`PAGES_MAX`] of them.
    pub(crate) fn new(faces: &'f Faces) -> Flow<'f> {
        Flow::with_format(faces, PageFormat::A4_PORTRAIT, PAGES_MAX)
    }

    pub(crate) fn with_format(faces: &'f Faces, format: PageFormat, pages_max: usize) -> Flow<'f> {
        assert!(pages_max >= 1, "a document has a page");
        assert!(format.margin_top_pt < format.bottom_pt(), "a page has room for content");
        Flow {
            faces,
            format,
            pages_max,
            pages: vec![Vec::new()],
            pages_taken: 0,
            y_pt: format.margin_top_pt,
            head: None,
        }
    }

    pub(crate) fn left_pt(&self) -> f32 {
        self.format.margin_side_pt
    }

    pub(crate) fn content_width_pt(&self) -> f32 {
        self.format.content_width_pt()
    }

    /// Pages laid out so far, taken or not, the one being filled included.
    pub(crate) fn page_count(&self) -> usize {
        self.pages_taken + self.pages.len()
    }

    /// Repeats `cells` (and a rule below them) at the top of every page started from now on;
    /// `None` stops repeating.
    pub(crate) fn set_head(&mut self, cells: Option<Vec<OwnedCell>>) {
        self.head = cells;
    }

    fn at_top(&self) -> bool {
        self.y_pt <= self.format.margin_top_pt
    }

    /// Leaves `height_pt` of vertical space (dropped at the top of a page).
    pub(crate) fn space(&mut self, height_pt: f32) {
        assert!(height_pt >= 0.0, "space goes down");
        if !self.at_top() {
            self.y_pt = (self.y_pt + height_pt).min(self.format.bottom_pt());
        }
    }

    /// Starts a new page unless `height_pt` still fits on this one.
    fn make_room(&mut self, height_pt: f32) -> Result<(), RenderError> {
        if self.y_pt + height_pt <= self.format.bottom_pt() || self.at_top() {
            return Ok(());
        }
        self.new_page()
    }

    fn new_page(&mut self) -> Result<(), RenderError> {
        if self.page_count() >= self.pages_max {
            return Err(RenderError::TooManyPages { pages_max: self.pages_max });
        }
        self.pages.push(Vec::new());
        self.y_pt = self.format.margin_top_pt;
        if let Some(head) = self.head.take() {
            let cells: Vec<Cell<'_>> = head.iter().map(OwnedCell::as_cell).collect();
            let placed = self.place(&cells);
            drop(cells);
            self.head = Some(head);
            placed?;
            self.y_pt += 1.0;
            self.rule(0.5)?;
            self.y_pt += 2.0;
        }
        Ok(())
    }

    fn page(&mut self) -> &mut Vec<Mark> {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// The full pages laid out since the last call, in order (each without its footer); the page
    /// being filled stays.
    pub(crate) fn take_full(&mut self) -> std::vec::Drain<'_, Vec<Mark>> {
        let full = self.pages.len() - 1;
        self.pages_taken += full;
        self.pages.drain(..full)
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

    /// A block of `height_pt` kept on one page (a new one is started if it does not fit here):
    /// `draw(top_pt)` gives its marks, placed from `top_pt` down. The flow continues below it.
    pub(crate) fn block(&mut self, height_pt: f32, draw: impl FnOnce(f32) -> Vec<Mark>) -> Result<(), RenderError> {
        assert!(
            height_pt <= self.format.bottom_pt() - self.format.margin_top_pt,
            "a block fits on a page: {height_pt} pt"
        );
        self.make_room(height_pt)?;
        let top_pt = self.y_pt;
        let marks = draw(top_pt);
        self.page().extend(marks);
        self.y_pt = top_pt + height_pt;
        Ok(())
    }

    /// Cells side by side, each wrapped to its width; the row is as tall as its tallest cell and
    /// is moved whole to the next page when it does not fit (a row taller than a page is split,
    /// and its continuation pages get no repeated head).
    pub(crate) fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), RenderError> {
        let height_pt = row_height_pt(self.faces, cells);
        if height_pt <= self.format.bottom_pt() - self.format.margin_top_pt {
            self.make_room(height_pt)?;
        }
        self.place(cells)
    }

    /// Puts `cells` at the current position, continuing a cell on new pages when it runs past
    /// the bottom.
    fn place(&mut self, cells: &[Cell<'_>]) -> Result<(), RenderError> {
        let top_pt = self.y_pt;
        let first_page = self.pages.len() - 1;
        // Where the row ends: the last page any cell reached, and how far down it.
        let mut end = (first_page, top_pt);
        for cell in cells {
            let lines = wrap(self.faces, cell.text, cell.style, cell.width_pt);
            let face = self.faces.face(cell.style.weight);
            let line_height_pt = cell.style.line_height_pt();
            let baseline_offset_pt = cell.style.baseline_offset_pt(self.faces);
            let mut y_pt = top_pt;
            let mut page_index = first_page;
            for line in lines {
                if y_pt + line_height_pt > self.format.bottom_pt() {
                    // Only a row taller than a page gets here: its cells continue overleaf.
                    page_index += 1;
                    if page_index == self.pages.len() {
                        if self.page_count() >= self.pages_max {
                            return Err(RenderError::TooManyPages { pages_max: self.pages_max });
                        }
                        self.pages.push(Vec::new());
                    }
                    y_pt = self.format.margin_top_pt;
                }
                let x_pt = match cell.align {
                    Align::Left => cell.x_pt,
                    Align::Right => cell.x_pt + cell.width_pt - face.width(&line, cell.style.size_pt),
                    Align::Center => cell.x_pt + (cell.width_pt - face.width(&line, cell.style.size_pt)) / 2.0,
                };
                self.pages[page_index].push(Mark::Text {
                    x_pt,
                    baseline_pt: y_pt + baseline_offset_pt,
                    style: cell.style,
                    text: line,
                });
                y_pt += line_height_pt;
            }
            if (page_index, y_pt) > end {
                end = (page_index, y_pt);
            }
        }
        debug_assert_eq!(end.0, self.pages.len() - 1, "the row ends on the last page");
        self.y_pt = end.1;
        Ok(())
    }

    /// The laid-out pages, each with a footer line: `footer(page, pages)` (1-based). For a
    /// document laid out whole: no page was taken.
    pub(crate) fn finish(self, footer: impl Fn(usize, usize) -> String) -> Vec<Vec<Mark>> {
        assert_eq!(self.pages_taken, 0, "finish a flow whose pages were taken with finish_rest");
        let count = self.pages.len();
        let (faces, format) = (self.faces, self.format);
        let mut pages = self.pages;
        for (index, page) in pages.iter_mut().enumerate() {
            add_footer(faces, format, page, "", &footer(index + 1, count));
        }
        pages
    }

    /// The pages not taken yet (the last ones), without footers.
    pub(crate) fn finish_rest(self) -> Vec<Vec<Mark>> {
        self.pages
    }

    /// Hands every page not taken yet to `page`, in order (each without its footer), and
    /// answers the document's page count: the end of a document drawn as its pages fill.
    pub(crate) fn hand_out(
        mut self,
        page: &mut impl FnMut(Vec<Mark>) -> Result<(), RenderError>,
    ) -> Result<usize, RenderError> {
        let pages = self.page_count();
        for full in self.take_full() {
            page(full)?;
        }
        for last in self.finish_rest() {
            page(last)?;
        }
        Ok(pages)
    }
}

/// The height of a row of `cells`: its tallest cell's.
fn row_height_pt(faces: &Faces, cells: &[Cell<'_>]) -> f32 {
    cells
        .iter()
        .map(|cell| wrap(faces, cell.text, cell.style, cell.width_pt).len() as f32 * cell.style.line_height_pt())
        .fold(0.0, f32::max)
}

/// Adds the footer to a page: a thin rule, `left` at the left and `right` at the right.
pub(crate) fn add_footer(faces: &Faces, format: PageFormat, page: &mut Vec<Mark>, left: &str, right: &str) {
    let style = TextStyle::regular(7.5);
    let face = faces.face(style.weight);
    let baseline_pt = format.height_pt - format.margin_bottom_pt / 2.0;
    page.push(Mark::Rule {
        x_pt: format.margin_side_pt,
        y_pt: baseline_pt - 2.0 * style.size_pt,
        width_pt: format.content_width_pt(),
        thickness_pt: 0.4,
    });
    if !left.is_empty() {
        page.push(Mark::Text { x_pt: format.margin_side_pt, baseline_pt, style, text: left.to_owned() });
    }
    let width_pt = face.width(right, style.size_pt);
    page.push(Mark::Text {
        x_pt: format.width_pt - format.margin_side_pt - width_pt,
        baseline_pt,
        style,
        text: right.to_owned(),
    });
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

/// Paints laid-out pages into a PDF/A-2u document.
pub(crate) fn paint(
    faces: &Faces,
    format: PageFormat,
    pages: &[Vec<Mark>],
    info: DocumentInfo,
) -> Result<Vec<u8>, RenderError> {
    assert!(!pages.is_empty() && pages.len() <= PAGES_MAX, "{} pages", pages.len());
    let mut painter = Painter::new(faces, format, info)?;
    for marks in pages {
        painter.page(marks);
    }
    painter.finish()
}

/// A PDF/A-2u document (archival, every glyph mapped to Unicode) painted one page at a time.
///
/// krilla compresses a page's content when the page is finished, but keeps every page (and the
/// fonts' glyph sets) until [`Painter::finish`] writes the file: the memory a document needs
/// grows with its pages, which is why a document's pages are bounded.
pub(crate) struct Painter<'f> {
    faces: &'f Faces,
    document: Document,
    settings: PageSettings,
    pages: usize,
}

impl<'f> Painter<'f> {
    pub(crate) fn new(faces: &'f Faces, format: PageFormat, info: DocumentInfo) -> Result<Painter<'f>, RenderError> {
        let configuration = ConfigurationBuilder::new()
            .with_archival_validator(Archival::A2_U)
            .with_version(PdfVersion::Pdf17)
            .finish()
            .map_err(|error| RenderError::Pdf(format!("{error:?}")))?;
        let settings = SerializeSettings { configuration, ..SerializeSettings::default() };
        let mut document = Document::new_with(settings);
        document.set_metadata(metadata(info));
        let settings = PageSettings::from_wh(format.width_pt, format.height_pt)
            .ok_or_else(|| RenderError::Pdf("the page size is refused".to_owned()))?;
        Ok(Painter { faces, document, settings, pages: 0 })
    }

    /// Adds a page with `marks` on it.
    pub(crate) fn page(&mut self, marks: &[Mark]) {
        let mut page = self.document.start_page_with(self.settings.clone());
        let mut surface = page.surface();
        for mark in marks {
            match mark {
                Mark::Text { x_pt, baseline_pt, style, text } => {
                    glyphs(&mut surface, self.faces, Point::from_xy(*x_pt, *baseline_pt), *style, Ink::Black, text);
                }
                Mark::Turned { x_pt, baseline_pt, angle_deg, style, ink, text } => {
                    let (sin, cos) = angle_deg.to_radians().sin_cos();
                    surface.push_transform(&Transform::from_row(cos, sin, -sin, cos, *x_pt, *baseline_pt));
                    glyphs(&mut surface, self.faces, Point::from_xy(0.0, 0.0), *style, *ink, text);
                    surface.pop();
                }
                Mark::Rule { x_pt, y_pt, width_pt, thickness_pt } => {
                    let Some(rect) = Rect::from_xywh(*x_pt, *y_pt, *width_pt, *thickness_pt) else { continue };
                    let mut builder = PathBuilder::new();
                    builder.push_rect(rect);
                    let Some(path) = builder.finish() else { continue };
                    surface.set_fill(Some(fill(Ink::Grey.color())));
                    surface.draw_path(&path);
                }
                Mark::Circle { center_x_pt, center_y_pt, radius_pt, thickness_pt, ink } => {
                    let Some(path) = circle(*center_x_pt, *center_y_pt, *radius_pt) else { continue };
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: ink.color().into(),
                        width: *thickness_pt,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                    // Text is filled, never outlined.
                    surface.set_stroke(None);
                }
            }
        }
        surface.finish();
        page.finish();
        self.pages += 1;
    }

    pub(crate) fn finish(self) -> Result<Vec<u8>, RenderError> {
        assert!(self.pages >= 1, "a document has a page");
        let bytes = self.document.finish().map_err(|error| RenderError::Pdf(format!("{error:?}")))?;
        debug_assert!(bytes.starts_with(b"%PDF-"));
        Ok(bytes)
    }
}

fn glyphs(
    surface: &mut krilla::surface::Surface<'_>,
    faces: &Faces,
    start: Point,
    style: TextStyle,
    ink: Ink,
    text: &str,
) {
    let face = faces.face(style.weight);
    let shaped = face.shape(text);
    if shaped.glyphs.is_empty() {
        return;
    }
    surface.set_fill(Some(fill(ink.color())));
    surface.draw_glyphs(start, &shaped.glyphs, face.font(), &shaped.text, style.size_pt, false);
}

/// A circle as four cubic Bézier arcs (the usual approximation, off by 0.03 % of the radius).
fn circle(center_x_pt: f32, center_y_pt: f32, radius_pt: f32) -> Option<krilla::geom::Path> {
    const KAPPA: f32 = 0.552_284_8;
    let (x, y, r) = (center_x_pt, center_y_pt, radius_pt);
    let k = KAPPA * r;
    let mut builder = PathBuilder::new();
    builder.move_to(x + r, y);
    builder.cubic_to(x + r, y + k, x + k, y + r, x, y + r);
    builder.cubic_to(x - k, y + r, x - r, y + k, x - r, y);
    builder.cubic_to(x - r, y - k, x - k, y - r, x, y - r);
    builder.cubic_to(x + k, y - r, x + r, y - k, x + r, y);
    builder.close();
    builder.finish()
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
                    assert!(
                        *baseline_pt <= A4_HEIGHT_PT - 10.0 && *baseline_pt >= PageFormat::A4_PORTRAIT.margin_top_pt,
                        "{baseline_pt}"
                    );
                }
            }
        }
        let footer = pages.last().and_then(|page| page.last()).expect("a footer");
        assert!(matches!(footer, Mark::Text { text, .. } if text == &format!("{0} / {0}", pages.len())));
    }

    fn texts(page: &[Mark]) -> Vec<&str> {
        page.iter()
            .filter_map(|mark| match mark {
                Mark::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn full_pages_are_taken_as_they_fill_and_the_head_repeats_on_each() {
        let style = TextStyle::regular(10.0);
        let mut flow = Flow::with_format(faces(), PageFormat::A4_LANDSCAPE, 10);
        flow.set_head(Some(vec![OwnedCell {
            x_pt: 50.0,
            width_pt: 300.0,
            text: "заголовок".to_owned(),
            style,
            align: Align::Center,
        }]));
        let mut taken = Vec::new();
        for index in 0..100 {
            let text = format!("строка {index}");
            flow.row(&[Cell { x_pt: 50.0, width_pt: 300.0, text: &text, style, align: Align::Right }]).expect("row");
            taken.extend(flow.take_full());
            assert_eq!(flow.page_count(), taken.len() + 1, "one page is being filled");
        }
        let rest = flow.finish_rest();
        assert_eq!(rest.len(), 1);
        taken.extend(rest);
        assert!(taken.len() >= 3, "{} pages", taken.len());
        assert_eq!(texts(&taken[0])[0], "строка 0", "the first page has no head: the document's title is there");
        for page in &taken[1..] {
            assert_eq!(texts(page)[0], "заголовок");
        }
        let all: Vec<&str> = taken.iter().flat_map(|page| texts(page)).filter(|text| *text != "заголовок").collect();
        let expected: Vec<String> = (0..100).map(|index| format!("строка {index}")).collect();
        assert_eq!(all, expected, "every row once, in order");
    }

    #[test]
    fn a_row_taller_than_a_page_continues_overleaf_and_the_flow_follows_its_tallest_cell() {
        let style = TextStyle::regular(10.0);
        let tall = vec!["строка"; 100].join("\n");
        let mut flow = Flow::new(faces());
        flow.row(&[
            Cell { x_pt: 60.0, width_pt: 100.0, text: &tall, style, align: Align::Left },
            Cell { x_pt: 200.0, width_pt: 100.0, text: "рядом", style, align: Align::Left },
        ])
        .expect("row");
        flow.row(&[Cell { x_pt: 60.0, width_pt: 100.0, text: "после", style, align: Align::Left }]).expect("row");
        let pages = flow.finish(|page, pages| format!("{page} / {pages}"));
        assert!(pages.len() >= 2);
        assert!(texts(&pages[0]).contains(&"рядом"), "the short cell stays beside the top of the tall one");
        let last = texts(pages.last().expect("pages"));
        assert!(last.contains(&"после"), "the next row comes after the tall cell: {last:?}");
    }

    #[test]
    fn a_flow_refuses_a_page_beyond_its_bound() {
        let style = TextStyle::regular(10.0);
        let mut flow = Flow::with_format(faces(), PageFormat::A4_PORTRAIT, 2);
        let result = (0..200).try_for_each(|_| {
            flow.row(&[Cell { x_pt: 60.0, width_pt: 100.0, text: "строка", style, align: Align::Left }])
        });
        assert!(matches!(result, Err(RenderError::TooManyPages { pages_max: 2 })), "{result:?}");
        assert_eq!(flow.page_count(), 2);
    }
}
