//! What the landscape tables (the POS operations, the lists) share around their rows: the head
//! of the first page (the bank, a rule, the title), label and value fields, the table's head,
//! the ending with the bank's stamp, and the labels of the footer and of the creation instant.

use crate::fonts::Faces;
use crate::layout::{Align, Cell, Flow, Mark, OwnedCell, TextStyle};
use crate::{Lang, RenderError};

const LABEL: TextStyle = TextStyle::regular(8.5);
const VALUE: TextStyle = TextStyle::bold(8.5);
const LABEL_WIDTH_PT: f32 = 170.0;

/// The bank's name over a rule, then the document's title.
pub(crate) fn title_head(flow: &mut Flow<'_>, bank_name: &str, title: &str) -> Result<(), RenderError> {
    flow.paragraph(bank_name, TextStyle::bold(11.0))?;
    flow.space(4.0);
    flow.rule(0.8)?;
    flow.space(8.0);
    flow.paragraph(title, TextStyle::bold(14.0))?;
    flow.space(6.0);
    Ok(())
}

/// A label and its value on one line (the value wraps), across the content width.
pub(crate) fn field(flow: &mut Flow<'_>, label: &str, value: &str) -> Result<(), RenderError> {
    let (left_pt, width_pt) = (flow.left_pt(), flow.content_width_pt());
    flow.row(&[
        Cell { x_pt: left_pt, width_pt: LABEL_WIDTH_PT, text: label, style: LABEL, align: Align::Left },
        Cell {
            x_pt: left_pt + LABEL_WIDTH_PT,
            width_pt: width_pt - LABEL_WIDTH_PT,
            text: value,
            style: VALUE,
            align: Align::Left,
        },
    ])?;
    flow.space(1.5);
    Ok(())
}

/// "Page N of M" in the footer.
pub(crate) fn page_label(lang: Lang, page: usize, pages: usize) -> String {
    match lang {
        Lang::Ru => format!("Страница {page} из {pages}"),
        Lang::Kk => format!("{pages} беттің {page}-беті"),
        Lang::En => format!("Page {page} of {pages}"),
    }
}

pub(crate) const fn created_label(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Дата и время формирования",
        Lang::Kk => "Қалыптастырылған күні мен уақыты",
        Lang::En => "Created at",
    }
}

/// The table's column titles over a rule, repeated at the top of every following page.
pub(crate) fn start_table(flow: &mut Flow<'_>, head: Vec<OwnedCell>) -> Result<(), RenderError> {
    flow.row(&head.iter().map(OwnedCell::as_cell).collect::<Vec<_>>())?;
    flow.space(1.0);
    flow.rule(0.5)?;
    flow.space(2.0);
    flow.set_head(Some(head));
    Ok(())
}

/// Ends a document after its table and totals: the bank's stamp with the notice for documents
/// other than statements, then every page not yet handed to `page`. Answers the page count.
pub(crate) fn finish(
    mut flow: Flow<'_>,
    faces: &'static Faces,
    bank_name: &str,
    bank_bic: &str,
    lang: Lang,
    page: &mut impl FnMut(Vec<Mark>) -> Result<(), RenderError>,
) -> Result<usize, RenderError> {
    flow.space(12.0);
    let (left_pt, width_pt) = (flow.left_pt(), flow.content_width_pt());
    let (center, notice) =
        (crate::statement::document_stamp_center(lang), crate::statement::document_stamp_notice(lang));
    crate::statement::stamp_block(&mut flow, faces, bank_name, bank_bic, lang, center, notice, left_pt, width_pt)?;
    flow.hand_out(page)
}
