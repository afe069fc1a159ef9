//! Any list a partner sees (the payment documents, R-3.1.2.6, R-3.1.2.7) as a table on landscape
//! A4 pages: the bank, the list's title and the fields that say what it holds (whose, which
//! filter, when made), one row per item from the same typed cells the CSV and XLSX writers take
//! ([`tiyn_statement::Cell`]), the count and the sums of the columns marked for totals (per
//! currency: a list may mix them), and the bank's stamp with its notice — the statement's.
//!
//! Like the statement, the rows are walked twice: the first walk counts the pages ("page N of
//! M"), sums the totals and refuses more than [`crate::PAGES_MAX`] pages before anything is
//! drawn ([`RenderError::ListTooLong`]); the second draws each page as it fills, and must see the
//! same rows.

use std::collections::BTreeMap;

use jiff::Timestamp;
use tiyn_core::{Currency, Money};
use tiyn_statement::Cell as ListCell;

use crate::fonts::Faces;
use crate::format;
use crate::layout::{self, Align, Cell, DocumentInfo, Flow, OwnedCell, PageFormat, Painter, TextStyle};
use crate::{Lang, Presentation, RenderError, sheet};

const FORMAT: PageFormat = PageFormat::A4_LANDSCAPE;
const GUTTER_PT: f32 = 5.0;
const ROW_PADDING_PT: f32 = 1.5;
const BODY: TextStyle = TextStyle::regular(7.0);
const HEAD: TextStyle = TextStyle::bold(7.0);

/// A column of the list: its title, its share of the page's width (in the units of the other
/// columns' shares: characters, as the spreadsheet's widths), and whether its amounts are summed
/// under the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListColumn {
    pub label: String,
    pub share: u16,
    pub summed: bool,
}

/// What a list's PDF says around its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListDocument {
    /// The bank, at the top and in the stamp.
    pub bank_name: String,
    pub bank_bic: String,
    /// The list's name: the title of the first page and of the document.
    pub title: String,
    /// Label and value pairs under the title: whose list, which filter.
    pub fields: Vec<(String, String)>,
    pub columns: Vec<ListColumn>,
    /// The instant the list was made: shown, and the PDF's creation date.
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Walked {
    rows: u64,
    pages: usize,
    /// Per summed column (by index), the sum per currency.
    sums: BTreeMap<usize, BTreeMap<Currency, Money>>,
}

pub(crate) fn render<F, I>(
    document: &ListDocument,
    mut rows: F,
    presentation: &Presentation,
) -> Result<Vec<u8>, RenderError>
where
    F: FnMut() -> I,
    I: IntoIterator<Item = Vec<ListCell>>,
{
    assert!(!document.columns.is_empty(), "a list has columns");
    let faces = Faces::get().ok_or(RenderError::Fonts)?;
    let sheet = Sheet::new(faces, document, presentation);
    let counted = sheet.walk(rows(), |_page| Ok(()))?;
    let info = DocumentInfo {
        title: document.title.clone(),
        language: presentation.lang.code(),
        created: document.created_at,
    };
    let mut painter = Painter::new(faces, FORMAT, info)?;
    let mut number = 0;
    let drawn = sheet.walk(rows(), |mut page| {
        number += 1;
        if number <= counted.pages {
            let label = sheet::page_label(presentation.lang, number, counted.pages);
            layout::add_footer(faces, FORMAT, &mut page, &document.title, &label);
            painter.page(&page);
        }
        Ok(())
    })?;
    if drawn != counted {
        return Err(RenderError::LinesChanged {
            first_lines: counted.rows,
            first_pages: counted.pages,
            second_lines: drawn.rows,
            second_pages: drawn.pages,
        });
    }
    painter.finish()
}

struct Sheet<'a> {
    faces: &'static Faces,
    document: &'a ListDocument,
    presentation: &'a Presentation,
    /// (x, width) per column.
    columns: Vec<(f32, f32)>,
}

impl<'a> Sheet<'a> {
    fn new(faces: &'static Faces, document: &'a ListDocument, presentation: &'a Presentation) -> Sheet<'a> {
        let (left_pt, width_pt) = (FORMAT.margin_side_pt, FORMAT.content_width_pt());
        let gutters_pt = GUTTER_PT * (document.columns.len() - 1) as f32;
        let shares: u32 = document.columns.iter().map(|column| u32::from(column.share.max(1))).sum();
        let point_per_share = (width_pt - gutters_pt) / shares as f32;
        let mut x_pt = left_pt;
        let columns = document
            .columns
            .iter()
            .map(|column| {
                let width = f32::from(column.share.max(1)) * point_per_share;
                assert!(width > BODY.size_pt, "column {:?} is too narrow for text: {width} pt", column.label);
                let placed = (x_pt, width);
                x_pt += width + GUTTER_PT;
                placed
            })
            .collect();
        Sheet { faces, document, presentation, columns }
    }

    fn lang(&self) -> Lang {
        self.presentation.lang
    }

    /// Lays the document out, handing out each page as it fills; the totals are summed on the way.
    fn walk(
        &self,
        rows: impl IntoIterator<Item = Vec<ListCell>>,
        mut page: impl FnMut(Vec<layout::Mark>) -> Result<(), RenderError>,
    ) -> Result<Walked, RenderError> {
        let mut flow = Flow::with_format(self.faces, FORMAT, layout::PAGES_MAX);
        let mut walked = Walked { rows: 0, pages: 0, sums: BTreeMap::new() };
        let result = (|| -> Result<usize, RenderError> {
            self.title_block(&mut flow)?;
            sheet::start_table(&mut flow, self.head())?;
            for row in rows {
                assert_eq!(row.len(), self.columns.len(), "a row has one cell per column");
                self.add_to_sums(&mut walked.sums, &row)?;
                self.row(&mut flow, &row)?;
                walked.rows += 1;
                for full in flow.take_full() {
                    page(full)?;
                }
            }
            flow.set_head(None);
            self.totals_block(&mut flow, walked.rows, &walked.sums)?;
            let document = self.document;
            sheet::finish(flow, self.faces, &document.bank_name, &document.bank_bic, self.lang(), &mut page)
        })();
        walked.pages = result.map_err(|error| match error {
            RenderError::TooManyPages { pages_max } => RenderError::ListTooLong { pages_max },
            other => other,
        })?;
        Ok(walked)
    }

    fn add_to_sums(
        &self,
        sums: &mut BTreeMap<usize, BTreeMap<Currency, Money>>,
        row: &[ListCell],
    ) -> Result<(), RenderError> {
        for (index, (column, cell)) in self.document.columns.iter().zip(row).enumerate() {
            let ListCell::Money(money) = cell else { continue };
            if !column.summed {
                continue;
            }
            let sum = sums.entry(index).or_default().entry(money.currency()).or_insert(Money::zero(money.currency()));
            *sum = sum.checked_add(*money).map_err(|error| RenderError::Pdf(format!("a list's total: {error}")))?;
        }
        Ok(())
    }

    fn title_block(&self, flow: &mut Flow<'_>) -> Result<(), RenderError> {
        let document = self.document;
        sheet::title_head(flow, &document.bank_name, &document.title)?;
        for (label, value) in &document.fields {
            sheet::field(flow, label, value)?;
        }
        sheet::field(
            flow,
            sheet::created_label(self.lang()),
            &format::instant(document.created_at, self.presentation),
        )?;
        flow.space(8.0);
        Ok(())
    }

    fn align(cell: &ListCell) -> Align {
        match cell {
            ListCell::Money(_) => Align::Right,
            ListCell::Text(_) | ListCell::Date(_) | ListCell::Empty => Align::Left,
        }
    }

    fn head(&self) -> Vec<OwnedCell> {
        self.document
            .columns
            .iter()
            .zip(&self.columns)
            .map(|(column, (x_pt, width_pt))| OwnedCell {
                x_pt: *x_pt,
                width_pt: *width_pt,
                text: column.label.clone(),
                style: HEAD,
                // A summed column holds amounts, right-aligned: so is its title.
                align: if column.summed { Align::Right } else { Align::Left },
            })
            .collect()
    }

    fn text(&self, cell: &ListCell) -> String {
        match cell {
            ListCell::Text(text) => text.clone(),
            ListCell::Money(money) => format::money(*money, self.lang()),
            ListCell::Date(date) => format::date(*date, self.lang()),
            ListCell::Empty => String::new(),
        }
    }

    fn row(&self, flow: &mut Flow<'_>, row: &[ListCell]) -> Result<(), RenderError> {
        let texts: Vec<String> = row.iter().map(|cell| self.text(cell)).collect();
        let cells: Vec<Cell<'_>> = texts
            .iter()
            .zip(row)
            .zip(&self.columns)
            .map(|((text, cell), (x_pt, width_pt))| Cell {
                x_pt: *x_pt,
                width_pt: *width_pt,
                text,
                style: BODY,
                align: Self::align(cell),
            })
            .collect();
        flow.space(ROW_PADDING_PT);
        flow.row(&cells)?;
        flow.space(ROW_PADDING_PT);
        flow.rule(0.2)
    }

    fn totals_block(
        &self,
        flow: &mut Flow<'_>,
        rows: u64,
        sums: &BTreeMap<usize, BTreeMap<Currency, Money>>,
    ) -> Result<(), RenderError> {
        flow.space(8.0);
        sheet::field(flow, count_label(self.lang()), &rows.to_string())?;
        for (index, column) in self.document.columns.iter().enumerate().filter(|(_, column)| column.summed) {
            let by_currency = sums.get(&index);
            let text = match by_currency {
                Some(by_currency) if !by_currency.is_empty() => {
                    by_currency.values().map(|money| format::money(*money, self.lang())).collect::<Vec<_>>().join("; ")
                }
                _ => "—".to_owned(),
            };
            sheet::field(flow, &format!("{}: {}", total_label(self.lang()), column.label), &text)?;
        }
        Ok(())
    }
}

const fn count_label(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Количество",
        Lang::Kk => "Саны",
        Lang::En => "Count",
    }
}

const fn total_label(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Итого",
        Lang::Kk => "Барлығы",
        Lang::En => "Total",
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::Date;

    use super::*;

    fn document() -> ListDocument {
        ListDocument {
            bank_name: "АО «Тийн Банк»".into(),
            bank_bic: "TIYNKZKA".into(),
            title: "Платёжные документы".into(),
            fields: vec![("Клиент".into(), "ТОО «Ромашка»".into())],
            columns: vec![
                ListColumn { label: "Номер".into(), share: 6, summed: false },
                ListColumn { label: "Дата".into(), share: 10, summed: false },
                ListColumn { label: "Назначение".into(), share: 40, summed: false },
                ListColumn { label: "Сумма".into(), share: 14, summed: true },
            ],
            created_at: "2026-11-24T10:00:00Z".parse().expect("an instant"),
        }
    }

    fn rows(count: usize) -> Vec<Vec<ListCell>> {
        (0..count)
            .map(|index| {
                let currency = if index % 3 == 0 { Currency::Usd } else { Currency::Kzt };
                vec![
                    ListCell::Text((index + 1).to_string()),
                    ListCell::Date(Date::constant(2026, 11, 2)),
                    ListCell::Text("Оплата по договору поставки № 15 от 01.11.2026, без НДС".into()),
                    ListCell::Money(Money::from_minor(150_000 + index as i64, currency)),
                ]
            })
            .collect()
    }

    #[test]
    fn a_list_sums_its_marked_columns_per_currency() {
        let presentation = Presentation::kazakhstan(Lang::Ru);
        let faces = Faces::get().expect("fonts");
        let document = document();
        let sheet = Sheet::new(faces, &document, &presentation);
        let walked = sheet.walk(rows(6), |_| Ok(())).expect("laid out");
        assert_eq!(walked.rows, 6);
        let sums = &walked.sums[&3];
        // Rows 0 and 3 are in USD, the others in KZT.
        assert_eq!(sums[&Currency::Usd], Money::from_minor(150_000 + 150_003, Currency::Usd));
        assert_eq!(sums[&Currency::Kzt], Money::from_minor(4 * 150_000 + 1 + 2 + 4 + 5, Currency::Kzt));
    }

    #[test]
    fn a_long_list_gets_numbered_pages_and_renders() {
        let presentation = Presentation::kazakhstan(Lang::En);
        let bytes = render(&document(), || rows(200), &presentation).expect("a PDF");
        assert!(bytes.starts_with(b"%PDF-"));
        let faces = Faces::get().expect("fonts");
        let document = document();
        let walked = Sheet::new(faces, &document, &presentation).walk(rows(200), |_| Ok(())).expect("laid out");
        assert!(walked.pages >= 3, "200 rows of two lines take pages: {}", walked.pages);
    }

    #[test]
    fn rows_that_change_between_walks_are_refused() {
        let presentation = Presentation::kazakhstan(Lang::Ru);
        let mut calls = 0;
        let result = render(
            &document(),
            || {
                calls += 1;
                rows(if calls == 1 { 5 } else { 6 })
            },
            &presentation,
        );
        assert!(matches!(result, Err(RenderError::LinesChanged { first_lines: 5, second_lines: 6, .. })));
    }
}
