//! The account statement (R-3.1.2.1, R-3.1.2.6, R-3.1.2.7) as a table on landscape A4 pages.
//!
//! # Two passes
//! "Page N of M" needs M before page 1 is drawn, and a statement's lines arrive as a stream. So
//! the lines are walked twice: the first walk lays the pages out and throws each away as it
//! fills (constant memory), which counts the pages, runs tiyn-statement's [`TurnoverCheck`] and
//! refuses a statement over [`STATEMENT_PAGES_MAX`] before anything is drawn; the second walk
//! lays out the same pages again and hands each to the PDF writer as soon as it is full. Both
//! walks must agree on the lines and pages ([`RenderError::LinesChanged`] otherwise).
//!
//! # Memory
//! krilla compresses a page's content stream when the page is finished but keeps every page,
//! and the fonts' glyph sets, until `Document::finish` writes the whole file into one `Vec`: a
//! document's memory grows with its pages, whatever the layout does. The layout itself holds one
//! page of marks at a time. Measured in release mode (`examples/statement.rs`, peak RSS from
//! `VmHWM`, fonts and allocator included):
//!
//! | lines   | pages | PDF size | peak RSS | time (2 passes) |
//! |--------:|------:|---------:|---------:|----------------:|
//! |       1 |     1 |    39 KB |   6.9 MB |          0.003 s |
//! |   1 000 |    46 |   215 KB |   6.8 MB |           0.14 s |
//! |  10 000 |   447 |   1.8 MB |  12.5 MB |            1.4 s |
//! |  44 000 | 1 958 |   7.7 MB |  29.4 MB |            5.1 s |
//! | 100 000 | 4 392 |  17.1 MB |  56.8 MB |           10.3 s |
//! | 200 000 | 8 740 |  34.0 MB | 106.2 MB |           20.6 s |
//!
//! (The last two with the page bound raised for the measurement; as shipped, 100 000 lines are
//! refused by the first pass after 1.2 s at 4.8 MB.) So a page costs about 11.4 KB of memory at
//! the peak (its compressed content, kept by krilla, then copied once more into the file) and
//! 3.9 KB of file, on top of about 5 MB for the process and the parsed fonts; the sample's rows
//! are two lines tall, about 22 to a page.
//!
//! # What is (not) shown
//! - Only days with operations get a turnover row, after their last line: a day without
//!   operations has the previous day's closing balance, as a note under the table says.
//! - A commission is its own line (tiyn-statement makes it one) and its purpose is prefixed with
//!   "Комиссия банка"; a reversal's with "СТОРНО"; a conversion's, a collection's and a migrated
//!   opening balance's with their kind. A reversal stays in the column of its own direction.
//! - Text fields are shown on one line each (line breaks and tabs in a purpose become spaces),
//!   wrapped to their column.

use tiyn_statement::{DayTurnover, Direction, LineKind, StatementHeader, StatementLine, TurnoverCheck};

use crate::fonts::{Faces, Weight};
use crate::format;
use crate::layout::{
    self, Align, Cell, DocumentInfo, Flow, Ink, Mark, OwnedCell, PageFormat, Painter, TextStyle, wrap,
};
use crate::{Lang, Presentation, RenderError};

/// Most pages one statement may have as PDF: the same bound as every document's. At 11.4 KB of
/// memory and 2.6 ms of one core per page (the table above), 2 000 pages (about 44 000 lines of
/// two-line rows: three years of about 60 operations a working day) cost about 30 MB and 5 s, once per
/// concurrent export; memory would allow more, but nobody reads a longer PDF, and the time is
/// spent whole before the first byte is sent. A longer statement is refused by the first pass,
/// before any page is drawn, never truncated: CSV and XLSX stream any length.
pub const STATEMENT_PAGES_MAX: usize = layout::PAGES_MAX;

const FORMAT: PageFormat = PageFormat::A4_LANDSCAPE;
/// Between two columns of the table.
const GUTTER_PT: f32 = 5.0;
/// Above and below the text of a table row.
const ROW_PADDING_PT: f32 = 1.5;
const BODY: TextStyle = TextStyle::regular(7.0);
const BODY_STRONG: TextStyle = TextStyle::bold(7.0);
const HEAD: TextStyle = TextStyle::bold(6.5);
const LABEL: TextStyle = TextStyle::regular(8.0);
const VALUE: TextStyle = TextStyle::regular(8.5);
const VALUE_STRONG: TextStyle = TextStyle::bold(8.5);
/// The title block's label column.
const LABEL_WIDTH_PT: f32 = 190.0;

/// The stamp: two rings, the bank's name and BIC between them, a word in the middle.
const STAMP_RADIUS_OUTER_PT: f32 = 46.0;
const STAMP_RADIUS_TEXT_PT: f32 = 37.5;
const STAMP_RADIUS_INNER_PT: f32 = 34.5;
const STAMP_RING_SIZE_PT: f32 = 7.5;
/// The ring's letters never get smaller than this, however long the bank's name: a name that
/// does not fit even so is shortened (see `ring_text`).
const STAMP_RING_SIZE_MIN_PT: f32 = 3.5;
const STAMP_CENTER: TextStyle = TextStyle::bold(6.0);

pub(crate) fn render<F, I>(
    header: &StatementHeader,
    mut lines: F,
    presentation: &Presentation,
) -> Result<Vec<u8>, RenderError>
where
    F: FnMut() -> I,
    I: IntoIterator<Item = StatementLine>,
{
    let faces = Faces::get().ok_or(RenderError::Fonts)?;
    let labels = Labels::of(presentation.lang);
    let sheet = Sheet::new(faces, header, labels, presentation);

    // The first walk: count the pages and check the lines; nothing is drawn.
    let counted = sheet.walk(lines(), |_page| Ok(()))?;
    assert!(counted.pages >= 1 && counted.pages <= STATEMENT_PAGES_MAX, "{} pages", counted.pages);

    // The second walk: draw each page as it fills, now that the count is known.
    let info = DocumentInfo { title: sheet.title(), language: presentation.lang.code(), created: header.created_at };
    let mut painter = Painter::new(faces, FORMAT, info)?;
    let footer_left = sheet.title();
    let mut number = 0;
    let drawn = sheet.walk(lines(), |mut page| {
        number += 1;
        // Beyond the count the source has changed: the walk goes on only to report by how much.
        if number <= counted.pages {
            layout::add_footer(faces, FORMAT, &mut page, &footer_left, &labels.page(number, counted.pages));
            painter.page(&page);
        }
        Ok(())
    })?;
    if drawn != counted {
        return Err(RenderError::LinesChanged {
            first_lines: counted.lines,
            first_pages: counted.pages,
            second_lines: drawn.lines,
            second_pages: drawn.pages,
        });
    }
    debug_assert_eq!(number, counted.pages);
    painter.finish()
}

/// What a walk over the lines saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Walked {
    lines: u64,
    pages: usize,
}

/// The table's columns, left to right.
struct Columns {
    dates: Column,
    number: Column,
    name: Column,
    requisites: Column,
    knp: Column,
    purpose: Column,
    debit: Column,
    credit: Column,
}

#[derive(Debug, Clone, Copy)]
struct Column {
    x_pt: f32,
    width_pt: f32,
}

impl Column {
    fn cell<'a>(self, text: &'a str, style: TextStyle, align: Align) -> Cell<'a> {
        Cell { x_pt: self.x_pt, width_pt: self.width_pt, text, style, align }
    }

    /// From this column's left edge to `last`'s right edge.
    fn through(self, last: Column) -> Column {
        Column { x_pt: self.x_pt, width_pt: last.x_pt + last.width_pt - self.x_pt }
    }
}

impl Columns {
    /// Fixed widths for everything but the purpose, which takes the rest (about 70 characters a
    /// line, so a usual purpose takes two): at 7 pt, a date is 40 pt wide, a 20-character IBAN
    /// about 90 pt, `999 999 999,99` about 60 pt.
    fn new(left_pt: f32, width_pt: f32) -> Columns {
        const DATES_PT: f32 = 42.0;
        const NUMBER_PT: f32 = 38.0;
        const NAME_PT: f32 = 118.0;
        const REQUISITES_PT: f32 = 98.0;
        const KNP_PT: f32 = 20.0;
        const AMOUNT_PT: f32 = 68.0;
        let fixed_pt = DATES_PT + NUMBER_PT + NAME_PT + REQUISITES_PT + KNP_PT + 2.0 * AMOUNT_PT + 7.0 * GUTTER_PT;
        let purpose_pt = width_pt - fixed_pt;
        assert!(purpose_pt >= 120.0, "the purpose keeps a readable width: {purpose_pt} pt");
        let mut x_pt = left_pt;
        let mut next = |width_pt: f32| {
            let column = Column { x_pt, width_pt };
            x_pt += width_pt + GUTTER_PT;
            column
        };
        let columns = Columns {
            dates: next(DATES_PT),
            number: next(NUMBER_PT),
            name: next(NAME_PT),
            requisites: next(REQUISITES_PT),
            knp: next(KNP_PT),
            purpose: next(purpose_pt),
            debit: next(AMOUNT_PT),
            credit: next(AMOUNT_PT),
        };
        debug_assert!((columns.credit.x_pt + columns.credit.width_pt - (left_pt + width_pt)).abs() < 0.01);
        columns
    }
}

/// One statement being laid out: its header, words and columns.
struct Sheet<'a> {
    faces: &'static Faces,
    header: &'a StatementHeader,
    labels: &'a Labels,
    presentation: &'a Presentation,
    columns: Columns,
    left_pt: f32,
    width_pt: f32,
}

impl<'a> Sheet<'a> {
    fn new(
        faces: &'static Faces,
        header: &'a StatementHeader,
        labels: &'a Labels,
        presentation: &'a Presentation,
    ) -> Sheet<'a> {
        let (left_pt, width_pt) = (FORMAT.margin_side_pt, FORMAT.content_width_pt());
        Sheet { faces, header, labels, presentation, columns: Columns::new(left_pt, width_pt), left_pt, width_pt }
    }

    fn lang(&self) -> Lang {
        self.presentation.lang
    }

    fn date(&self, date: jiff::civil::Date) -> String {
        format::date(date, self.lang())
    }

    fn title(&self) -> String {
        let period = self.period();
        format!("{} {} · {period}", self.labels.title, self.header.account_iban.as_str())
    }

    fn period(&self) -> String {
        self.labels.period(&self.date(self.header.period.from()), &self.date(self.header.period.to()))
    }

    /// Lays the whole statement out, handing each page (without its footer) to `page` as soon as
    /// it is full, and checks the lines against the header as they pass.
    fn walk(
        &self,
        lines: impl IntoIterator<Item = StatementLine>,
        mut page: impl FnMut(Vec<Mark>) -> Result<(), RenderError>,
    ) -> Result<Walked, RenderError> {
        let mut flow = Flow::with_format(self.faces, FORMAT, STATEMENT_PAGES_MAX);
        let mut check = TurnoverCheck::new(self.header);
        let mut count: u64 = 0;
        let result = (|| -> Result<usize, RenderError> {
            self.title_block(&mut flow)?;
            let head = self.head();
            flow.row(&head.iter().map(|cell| cell.as_cell()).collect::<Vec<_>>())?;
            flow.space(1.0);
            flow.rule(0.5)?;
            flow.space(2.0);
            flow.set_head(Some(head));
            for line in lines {
                if let Some(day) = check.push(&line)? {
                    self.day_row(&mut flow, &day)?;
                }
                self.line_row(&mut flow, &line)?;
                count += 1;
                for full in flow.take_full() {
                    page(full)?;
                }
            }
            match check.finish()? {
                Some(day) => self.day_row(&mut flow, &day)?,
                None => {
                    flow.space(ROW_PADDING_PT);
                    flow.row(&[self.columns.dates.through(self.columns.credit).cell(
                        self.labels.no_lines,
                        BODY,
                        Align::Left,
                    )])?;
                    flow.space(ROW_PADDING_PT);
                }
            }
            flow.set_head(None);
            self.closing_block(&mut flow)?;
            flow.hand_out(&mut page)
        })();
        let pages = result.map_err(|error| match error {
            RenderError::TooManyPages { pages_max } => RenderError::StatementTooLong { pages_max },
            other => other,
        })?;
        Ok(Walked { lines: count, pages })
    }

    fn title_block(&self, flow: &mut Flow<'_>) -> Result<(), RenderError> {
        let (header, labels, lang) = (self.header, self.labels, self.lang());
        let bic = format!("{} {}", labels.bic, header.bank_bic.as_str());
        let bank_width_pt = self.width_pt * 0.7;
        flow.row(&[
            Cell {
                x_pt: self.left_pt,
                width_pt: bank_width_pt,
                text: &header.bank_name,
                style: TextStyle::bold(11.0),
                align: Align::Left,
            },
            Cell {
                x_pt: self.left_pt + bank_width_pt,
                width_pt: self.width_pt - bank_width_pt,
                text: &bic,
                style: TextStyle::regular(9.0),
                align: Align::Right,
            },
        ])?;
        flow.space(4.0);
        flow.rule(0.8)?;
        flow.space(10.0);
        flow.paragraph(labels.title, TextStyle::bold(14.0))?;
        flow.paragraph(&self.period(), TextStyle::regular(10.0))?;
        flow.space(8.0);
        self.field(flow, labels.account, header.account_iban.as_str(), VALUE_STRONG)?;
        self.field(flow, labels.currency, header.currency.code(), VALUE)?;
        self.field(flow, labels.holder, &one_line(&header.holder_name), VALUE)?;
        self.field(flow, labels.taxpayer_id, header.holder_id.as_str(), VALUE)?;
        self.field(flow, labels.created_at, &format::instant(header.created_at, self.presentation), VALUE)?;
        let opening = labels.opening(&self.date(header.period.from()));
        self.field(flow, &opening, &format::money(header.opening, lang), VALUE_STRONG)?;
        flow.space(8.0);
        Ok(())
    }

    /// A label and its value, side by side.
    fn field(&self, flow: &mut Flow<'_>, label: &str, value: &str, style: TextStyle) -> Result<(), RenderError> {
        let value_x_pt = self.left_pt + LABEL_WIDTH_PT;
        flow.row(&[
            Cell { x_pt: self.left_pt, width_pt: LABEL_WIDTH_PT, text: label, style: LABEL, align: Align::Left },
            Cell { x_pt: value_x_pt, width_pt: self.width_pt - LABEL_WIDTH_PT, text: value, style, align: Align::Left },
        ])?;
        flow.space(1.5);
        Ok(())
    }

    /// The column titles, repeated on every page.
    fn head(&self) -> Vec<OwnedCell> {
        let (columns, labels) = (&self.columns, self.labels);
        let debit = format!("{}, {}", labels.debit, self.header.currency.code());
        let credit = format!("{}, {}", labels.credit, self.header.currency.code());
        [
            (columns.dates, labels.column_dates.to_owned(), Align::Left),
            (columns.number, labels.column_number.to_owned(), Align::Left),
            (columns.name, labels.column_name.to_owned(), Align::Left),
            (columns.requisites, labels.column_requisites.to_owned(), Align::Left),
            (columns.knp, labels.column_knp.to_owned(), Align::Center),
            (columns.purpose, labels.column_purpose.to_owned(), Align::Left),
            (columns.debit, debit, Align::Right),
            (columns.credit, credit, Align::Right),
        ]
        .into_iter()
        .map(|(column, text, align)| OwnedCell {
            x_pt: column.x_pt,
            width_pt: column.width_pt,
            text,
            style: HEAD,
            align,
        })
        .collect()
    }

    fn line_row(&self, flow: &mut Flow<'_>, line: &StatementLine) -> Result<(), RenderError> {
        let (columns, lang) = (&self.columns, self.lang());
        let dates = format!("{}\n{}", self.date(line.booking_date), self.date(line.value_date));
        let number = line.document_number.as_deref().map(one_line).unwrap_or_default();
        let name = one_line(&line.counterparty.name);
        let requisites = requisites(line);
        let knp = line.knp.as_ref().map(|knp| knp.as_str()).unwrap_or_default();
        let purpose = match self.labels.kind(line.kind) {
            Some(kind) => format!("{kind}: {}", one_line(&line.purpose)),
            None => one_line(&line.purpose),
        };
        let amount = format::amount(line.amount, lang);
        let (debit, credit) = match line.direction {
            Direction::Debit => (amount.as_str(), ""),
            Direction::Credit => ("", amount.as_str()),
        };
        flow.space(ROW_PADDING_PT);
        flow.row(&[
            columns.dates.cell(&dates, BODY, Align::Left),
            columns.number.cell(&number, BODY, Align::Left),
            columns.name.cell(&name, BODY, Align::Left),
            columns.requisites.cell(&requisites, BODY, Align::Left),
            columns.knp.cell(knp, BODY, Align::Center),
            columns.purpose.cell(&purpose, BODY, Align::Left),
            columns.debit.cell(debit, BODY, Align::Right),
            columns.credit.cell(credit, BODY, Align::Right),
        ])?;
        flow.space(ROW_PADDING_PT);
        flow.rule(0.2)
    }

    /// A day's turnovers and closing balance, after its last line.
    fn day_row(&self, flow: &mut Flow<'_>, day: &DayTurnover) -> Result<(), RenderError> {
        let (columns, labels, lang) = (&self.columns, self.labels, self.lang());
        let label = labels.day(&self.date(day.date), &format::money(day.closing, lang));
        let debit = format::amount(day.turnover.debit, lang);
        let credit = format::amount(day.turnover.credit, lang);
        flow.space(ROW_PADDING_PT);
        flow.row(&[
            columns.dates.through(columns.purpose).cell(&label, BODY_STRONG, Align::Left),
            columns.debit.cell(&debit, BODY_STRONG, Align::Right),
            columns.credit.cell(&credit, BODY_STRONG, Align::Right),
        ])?;
        flow.space(ROW_PADDING_PT);
        flow.rule(0.6)
    }

    /// The period's turnovers, the closing balance, the note on days without operations, and
    /// the stamp with its notice.
    fn closing_block(&self, flow: &mut Flow<'_>) -> Result<(), RenderError> {
        let (header, columns, labels, lang) = (self.header, &self.columns, self.labels, self.lang());
        let debit = format::amount(header.turnover.debit, lang);
        let credit = format::amount(header.turnover.credit, lang);
        flow.space(ROW_PADDING_PT);
        flow.row(&[
            columns.dates.through(columns.purpose).cell(labels.period_turnover, BODY_STRONG, Align::Left),
            columns.debit.cell(&debit, BODY_STRONG, Align::Right),
            columns.credit.cell(&credit, BODY_STRONG, Align::Right),
        ])?;
        flow.space(ROW_PADDING_PT);
        flow.rule(0.8)?;
        flow.space(8.0);
        let closing = labels.closing(&self.date(header.period.to()));
        self.field(flow, &closing, &format::money(header.closing, lang), VALUE_STRONG)?;
        flow.space(4.0);
        flow.paragraph(labels.days_without_operations, TextStyle::regular(7.0))?;
        flow.space(10.0);
        stamp_block(
            flow,
            self.faces,
            &header.bank_name,
            header.bank_bic.as_str(),
            lang,
            labels.stamp_center,
            labels.stamp_notice,
            self.left_pt,
            self.width_pt,
        )
    }
}

/// The bank's stamp with its notice (R-3.1.2.6) for every document that carries it (the
/// statement, the POS operations, the lists): the stamp at the left edge, saying what it is for
/// (`center`) in its middle, `notice` beside it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn stamp_block(
    flow: &mut Flow<'_>,
    faces: &'static Faces,
    bank_name: &str,
    bic: &str,
    lang: Lang,
    center: &str,
    notice: &str,
    left_pt: f32,
    width_pt: f32,
) -> Result<(), RenderError> {
    let labels = Labels::of(lang);
    let stamp_height_pt = 2.0 * STAMP_RADIUS_OUTER_PT + 4.0;
    let notice_x_pt = left_pt + 2.0 * STAMP_RADIUS_OUTER_PT + 18.0;
    let notice_width_pt = (width_pt * 0.6).min(left_pt + width_pt - notice_x_pt);
    flow.block(stamp_height_pt, |top_pt| {
        let center_x_pt = left_pt + STAMP_RADIUS_OUTER_PT + 2.0;
        let center_y_pt = top_pt + stamp_height_pt / 2.0;
        let mut marks = stamp(faces, bank_name, bic, labels.bic, center, center_x_pt, center_y_pt);
        marks.extend(text_block(faces, notice, TextStyle::regular(8.0), notice_x_pt, notice_width_pt, center_y_pt));
        marks
    })
}

/// The counterparty's BIN/IIN and BIC on one line (they wrap if the column is narrow), its
/// account on the next; whatever is unknown is left out.
fn requisites(line: &StatementLine) -> String {
    let counterparty = &line.counterparty;
    let ids: Vec<&str> =
        [counterparty.taxpayer_id.as_ref().map(|id| id.as_str()), counterparty.bic.as_ref().map(|bic| bic.as_str())]
            .into_iter()
            .flatten()
            .collect();
    let mut text = ids.join(" ");
    if let Some(account) = &counterparty.account {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&one_line(account.as_str()));
    }
    text
}

/// `text` with every run of whitespace (line breaks, tabs) as one space: a table cell shows a
/// field on one line, wrapped to its column.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` wrapped to `width_pt` and centred vertically on `middle_pt`, as marks.
fn text_block(faces: &Faces, text: &str, style: TextStyle, x_pt: f32, width_pt: f32, middle_pt: f32) -> Vec<Mark> {
    let lines = wrap(faces, text, style, width_pt);
    let height_pt = lines.len() as f32 * style.line_height_pt();
    let mut top_pt = middle_pt - height_pt / 2.0;
    let mut marks = Vec::with_capacity(lines.len());
    for line in lines {
        marks.push(Mark::Text { x_pt, baseline_pt: top_pt + style.baseline_offset_pt(faces), style, text: line });
        top_pt += style.line_height_pt();
    }
    marks
}

/// The image of the bank's electronic stamp, drawn (not a picture): two rings, the bank's name
/// and BIC in capitals around the ring between them, the stamp's purpose (`center`) in the middle.
fn stamp(
    faces: &Faces,
    bank_name: &str,
    bic: &str,
    bic_label: &str,
    center: &str,
    center_x_pt: f32,
    center_y_pt: f32,
) -> Vec<Mark> {
    let mut marks = vec![
        Mark::Circle { center_x_pt, center_y_pt, radius_pt: STAMP_RADIUS_OUTER_PT, thickness_pt: 1.6, ink: Ink::Stamp },
        Mark::Circle { center_x_pt, center_y_pt, radius_pt: STAMP_RADIUS_INNER_PT, thickness_pt: 0.7, ink: Ink::Stamp },
    ];
    let (ring, name_chars) = ring_text(faces, bank_name, bic_label, bic);
    marks.extend(ring_letters(faces, &ring, name_chars, center_x_pt, center_y_pt));

    // The middle: the stamp's purpose, wrapped inside the inner ring.
    let style = STAMP_CENTER;
    let face = faces.face(style.weight);
    let width_pt = 2.0 * STAMP_RADIUS_INNER_PT * 0.8;
    let lines = wrap(faces, center, style, width_pt);
    let height_pt = lines.len() as f32 * style.line_height_pt();
    let mut top_pt = center_y_pt - height_pt / 2.0;
    for line in lines {
        let x_pt = center_x_pt - face.width(&line, style.size_pt) / 2.0;
        let baseline_pt = top_pt + style.baseline_offset_pt(faces);
        marks.push(Mark::Turned { x_pt, baseline_pt, angle_deg: 0.0, style, ink: Ink::Stamp, text: line });
        top_pt += style.line_height_pt();
    }
    marks
}

/// The ring's text: the bank's name in capitals, then its BIC; and how many characters the name
/// takes. A name too long to go once around in the smallest letters is shortened with "…" (no
/// bank's name is that long; a stamp that overlaps itself would be unreadable).
fn ring_text(faces: &Faces, bank_name: &str, bic_label: &str, bic: &str) -> (String, usize) {
    let face = faces.face(Weight::Bold);
    let room_pt = std::f32::consts::TAU * STAMP_RADIUS_TEXT_PT * 0.92;
    let tail = format!(" • {bic_label} {bic} • ");
    let mut name: Vec<char> = one_line(bank_name).to_uppercase().chars().collect();
    let mut shortened = false;
    loop {
        let mut text: String = name.iter().collect();
        if shortened {
            text.push('…');
        }
        let name_chars = text.chars().count();
        text.push_str(&tail);
        if name.is_empty() || face.width(&text, STAMP_RING_SIZE_MIN_PT) <= room_pt {
            return (text, name_chars);
        }
        name.pop();
        shortened = true;
    }
}

/// The letters of `ring` spread evenly around the whole circle, upright towards the outside,
/// with its first `centered` letters centred on the top.
fn ring_letters(faces: &Faces, ring: &str, centered: usize, center_x_pt: f32, center_y_pt: f32) -> Vec<Mark> {
    let face = faces.face(Weight::Bold);
    let radius_pt = STAMP_RADIUS_TEXT_PT;
    let circumference_pt = std::f32::consts::TAU * radius_pt;
    let widths_em: Vec<(char, f32)> = ring
        .chars()
        .map(|character| {
            let mut buffer = [0; 4];
            (character, face.width(character.encode_utf8(&mut buffer), 1.0))
        })
        .collect();
    let total_em: f32 = widths_em.iter().map(|(_, width_em)| width_em).sum();
    if widths_em.is_empty() || total_em <= 0.0 {
        return Vec::new();
    }
    // As large as fits in 92 % of the ring; the rest is spread between the letters.
    let size_pt = (circumference_pt * 0.92 / total_em).clamp(STAMP_RING_SIZE_MIN_PT, STAMP_RING_SIZE_PT);
    let gap_pt = ((circumference_pt - total_em * size_pt) / widths_em.len() as f32).max(0.0);
    let style = TextStyle { weight: Weight::Bold, size_pt };
    let centered_pt: f32 =
        widths_em.iter().take(centered).map(|(_, width_em)| width_em * size_pt + gap_pt).sum::<f32>() - gap_pt;
    // Arc length from the top, clockwise, to the start of the next letter.
    let mut along_pt = -centered_pt / 2.0;
    let mut marks = Vec::with_capacity(widths_em.len());
    for (character, width_em) in widths_em {
        let width_pt = width_em * size_pt;
        let angle = (along_pt + width_pt / 2.0) / radius_pt;
        along_pt += width_pt + gap_pt;
        if character.is_whitespace() {
            continue;
        }
        let (sin, cos) = angle.sin_cos();
        // The letter's middle sits on the circle; its baseline is the tangent there.
        let x_pt = center_x_pt + radius_pt * sin - width_pt / 2.0 * cos;
        let baseline_pt = center_y_pt - radius_pt * cos - width_pt / 2.0 * sin;
        marks.push(Mark::Turned {
            x_pt,
            baseline_pt,
            angle_deg: angle.to_degrees(),
            style,
            ink: Ink::Stamp,
            text: character.to_string(),
        });
    }
    marks
}

/// The statement's words in one language.
struct Labels {
    lang: Lang,
    title: &'static str,
    account: &'static str,
    currency: &'static str,
    holder: &'static str,
    taxpayer_id: &'static str,
    bic: &'static str,
    created_at: &'static str,
    column_dates: &'static str,
    column_number: &'static str,
    column_name: &'static str,
    column_requisites: &'static str,
    column_knp: &'static str,
    column_purpose: &'static str,
    debit: &'static str,
    credit: &'static str,
    period_turnover: &'static str,
    no_lines: &'static str,
    days_without_operations: &'static str,
    kind_commission: &'static str,
    kind_reversal: &'static str,
    kind_conversion: &'static str,
    kind_collection: &'static str,
    kind_opening_balance: &'static str,
    stamp_center: &'static str,
    stamp_notice: &'static str,
}

impl Labels {
    fn of(lang: Lang) -> &'static Labels {
        match lang {
            Lang::Ru => &RU,
            Lang::Kk => &KK,
            Lang::En => &EN,
        }
    }

    fn period(&self, from: &str, to: &str) -> String {
        match self.lang {
            Lang::Ru => format!("за период с {from} по {to}"),
            Lang::Kk => format!("{from} – {to} кезеңі"),
            Lang::En => format!("for the period {from} to {to}"),
        }
    }

    fn opening(&self, date: &str) -> String {
        match self.lang {
            Lang::Ru => format!("Входящий остаток на {date}"),
            Lang::Kk => format!("{date} кірістегі қалдық"),
            Lang::En => format!("Opening balance on {date}"),
        }
    }

    fn closing(&self, date: &str) -> String {
        match self.lang {
            Lang::Ru => format!("Исходящий остаток на {date}"),
            Lang::Kk => format!("{date} шығыстағы қалдық"),
            Lang::En => format!("Closing balance on {date}"),
        }
    }

    fn day(&self, date: &str, closing: &str) -> String {
        match self.lang {
            Lang::Ru => format!("Обороты за {date} · остаток на конец дня {closing}"),
            Lang::Kk => format!("{date} айналымдары · күн соңындағы қалдық {closing}"),
            Lang::En => format!("Turnover on {date} · closing balance {closing}"),
        }
    }

    fn page(&self, page: usize, pages: usize) -> String {
        match self.lang {
            Lang::Ru => format!("Страница {page} из {pages}"),
            Lang::Kk => format!("{pages} беттің {page}-беті"),
            Lang::En => format!("Page {page} of {pages}"),
        }
    }

    /// What the purpose of a line of this kind is prefixed with; `None` for plain payments.
    fn kind(&self, kind: LineKind) -> Option<&'static str> {
        match kind {
            LineKind::Payment | LineKind::IncomingCredit => None,
            LineKind::Commission => Some(self.kind_commission),
            LineKind::Reversal => Some(self.kind_reversal),
            LineKind::Conversion => Some(self.kind_conversion),
            LineKind::Collection => Some(self.kind_collection),
            LineKind::OpeningBalance => Some(self.kind_opening_balance),
        }
    }
}

static RU: Labels = Labels {
    lang: Lang::Ru,
    title: "Выписка по счёту",
    account: "Счёт (ИИК)",
    currency: "Валюта счёта",
    holder: "Владелец счёта",
    taxpayer_id: "БИН/ИИН",
    bic: "БИК",
    created_at: "Дата и время формирования",
    column_dates: "Дата проводки / валютир.",
    column_number: "№ док.",
    column_name: "Контрагент",
    column_requisites: "БИН/ИИН, БИК, счёт контрагента",
    column_knp: "КНП",
    column_purpose: "Назначение платежа",
    debit: "Дебет",
    credit: "Кредит",
    period_turnover: "Итого обороты за период",
    no_lines: "За период операций по счёту не было.",
    days_without_operations: "Дни без операций в выписке не показаны: остаток на конец такого дня равен остатку \
                              на конец предыдущего дня с операциями (или входящему остатку).",
    kind_commission: "Комиссия банка",
    kind_reversal: "СТОРНО",
    kind_conversion: "Конвертация",
    kind_collection: "Инкассо",
    kind_opening_balance: "Перенос остатка",
    stamp_center: "ДЛЯ ВЫПИСОК",
    stamp_notice: "Изображение электронной печати банка, нанесённое на выписку, не является оригиналом \
                   печати банка и не имеет юридической силы.",
};

static KK: Labels = Labels {
    lang: Lang::Kk,
    title: "Шот бойынша үзінді көшірме",
    account: "Шот (ЖСК)",
    currency: "Шот валютасы",
    holder: "Шот иесі",
    taxpayer_id: "БСН/ЖСН",
    bic: "БСК",
    created_at: "Қалыптастырылған күні мен уақыты",
    column_dates: "Өткізу / валюталау күні",
    column_number: "Құжат №",
    column_name: "Контрагент",
    column_requisites: "Контрагенттің БСН/ЖСН, БСК, шоты",
    column_knp: "ТМК",
    column_purpose: "Төлемнің мақсаты",
    debit: "Дебет",
    credit: "Кредит",
    period_turnover: "Кезеңдегі айналымдар жиыны",
    no_lines: "Кезеңде шот бойынша операциялар болған жоқ.",
    days_without_operations: "Операциялар болмаған күндер үзіндіде көрсетілмейді: мұндай күннің соңындағы қалдық \
                              операциялар болған алдыңғы күннің соңындағы қалдыққа (немесе кірістегі қалдыққа) тең.",
    kind_commission: "Банк комиссиясы",
    kind_reversal: "СТОРНО",
    kind_conversion: "Айырбастау",
    kind_collection: "Инкассо",
    kind_opening_balance: "Қалдықты көшіру",
    stamp_center: "ҮЗІНДІ КӨШІРМЕЛЕР ҮШІН",
    stamp_notice: "Үзінді көшірмеге басылған банктің электрондық мөрінің бейнесі банк мөрінің түпнұсқасы \
                   болып табылмайды және заңды күші жоқ.",
};

static EN: Labels = Labels {
    lang: Lang::En,
    title: "Account statement",
    account: "Account (IBAN)",
    currency: "Account currency",
    holder: "Account holder",
    taxpayer_id: "BIN/IIN",
    bic: "BIC",
    created_at: "Created at",
    column_dates: "Booking / value date",
    column_number: "Doc. No.",
    column_name: "Counterparty",
    column_requisites: "Counterparty's BIN/IIN, BIC, account",
    column_knp: "KNP",
    column_purpose: "Purpose of payment",
    debit: "Debit",
    credit: "Credit",
    period_turnover: "Turnover for the period",
    no_lines: "There were no operations on the account in the period.",
    days_without_operations: "Days without operations are not shown: the balance at the end of such a day is \
                              the closing balance of the last day with operations before it (or the opening balance).",
    kind_commission: "Bank commission",
    kind_reversal: "REVERSAL",
    kind_conversion: "Conversion",
    kind_collection: "Collection",
    kind_opening_balance: "Balance brought forward",
    stamp_center: "FOR STATEMENTS",
    stamp_notice: "The image of the bank's electronic stamp on this statement is not the original of the \
                   bank's stamp and has no legal force.",
};

/// The stamp's notice on a document other than a statement (R-3.1.2.6).
pub(crate) const fn document_stamp_center(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "ДЛЯ ДОКУМЕНТОВ",
        Lang::Kk => "ҚҰЖАТТАР ҮШІН",
        Lang::En => "FOR DOCUMENTS",
    }
}

pub(crate) const fn document_stamp_notice(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => {
            "Изображение электронной печати банка, нанесённое на документ, не является оригиналом печати банка и \
             не имеет юридической силы."
        }
        Lang::Kk => {
            "Құжатқа басылған банктің электрондық мөрінің бейнесі банк мөрінің түпнұсқасы болып табылмайды және \
             заңды күші жоқ."
        }
        Lang::En => {
            "The image of the bank's electronic stamp on this document is not the original of the bank's stamp and \
             has no legal force."
        }
    }
}

#[cfg(test)]
mod tests {
    use tiyn_core::Money;

    use super::*;

    #[test]
    fn the_columns_fill_the_content_width_without_overlap() {
        let columns = Columns::new(FORMAT.margin_side_pt, FORMAT.content_width_pt());
        let order = [
            columns.dates,
            columns.number,
            columns.name,
            columns.requisites,
            columns.knp,
            columns.purpose,
            columns.debit,
            columns.credit,
        ];
        for pair in order.windows(2) {
            assert!(pair[0].x_pt + pair[0].width_pt + GUTTER_PT <= pair[1].x_pt + 0.01, "{pair:?}");
        }
    }

    #[test]
    fn the_widest_usual_values_fit_their_columns_on_one_line() {
        let faces = Faces::get().expect("fonts");
        let columns = Columns::new(FORMAT.margin_side_pt, FORMAT.content_width_pt());
        let amount = format::amount(Money::from_minor(99_999_999_999, tiyn_core::Currency::Kzt), Lang::Ru);
        for (text, column) in [
            ("31.12.2026", columns.dates),
            ("2026-12-31", columns.dates),
            ("KZ75125KZT2069100100", columns.requisites),
            ("971240001315 HSBKKZKX", columns.requisites),
            ("911", columns.knp),
            (amount.as_str(), columns.debit),
        ] {
            assert_eq!(wrap(faces, text, BODY, column.width_pt).len(), 1, "{text} in {column:?}");
        }
    }

    #[test]
    fn the_ring_of_the_stamp_goes_once_around_whatever_the_name() {
        let faces = Faces::get().expect("fonts");
        for name in ["Банк", "АО «Тийн Банк»", "АО «Народный Банк Казахстана»", &"Қазақстан Әлем ұйым ".repeat(5)]
        {
            let (text, name_chars) = ring_text(faces, name, "БИК", "HSBKKZKX");
            assert!(text.ends_with(" • БИК HSBKKZKX • "), "{text}");
            let letters: Vec<(f32, f32)> = ring_letters(faces, &text, name_chars, 100.0, 100.0)
                .into_iter()
                .map(|mark| match mark {
                    Mark::Turned { style, angle_deg, .. } => (style.size_pt, angle_deg),
                    other => panic!("a ring has letters only: {other:?}"),
                })
                .collect();
            let size_pt = letters[0].0;
            assert!((STAMP_RING_SIZE_MIN_PT..=STAMP_RING_SIZE_PT).contains(&size_pt), "{name}: {size_pt}");
            let angles: Vec<f32> = letters.iter().map(|(_, angle_deg)| *angle_deg).collect();
            assert!(angles.windows(2).all(|pair| pair[0] < pair[1]), "{name}: clockwise, in order");
            let span_deg = angles[angles.len() - 1] - angles[0];
            assert!(span_deg < 360.0, "{name}: the ring does not wrap over itself: {span_deg}");
            // The name is centred on the top: its first and last letters mirror each other.
            let name_letters = text.chars().take(name_chars).filter(|character| !character.is_whitespace()).count();
            let (first, last) = (angles[0], angles[name_letters - 1]);
            assert!((first + last).abs() < 8.0, "{name}: {first} {last}");
        }
        let (long, _) = ring_text(faces, &"Қазақстан Әлем ұйым ".repeat(5), "БИК", "HSBKKZKX");
        assert!(long.contains('…'), "an overlong name is shortened: {long}");
    }

    #[test]
    fn fields_are_shown_on_one_line() {
        assert_eq!(one_line("  Оплата\nпо счёту\t№ 5  "), "Оплата по счёту № 5");
    }
}
