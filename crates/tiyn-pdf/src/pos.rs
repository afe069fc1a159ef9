//! A POS terminal's operations over a period (R-3.1.2.4, R-3.1.2.6) as a table on landscape A4
//! pages: the terminal, its address and settlement account, one row per operation (time, id,
//! kind, status, masked card, settlement date, amount, fee), the period's totals, each day's
//! totals, and the bank's stamp with its notice — the statement's ([`crate::statement`]).
//!
//! Like the statement, the operations are walked twice: the first walk counts the pages ("page
//! N of M"), re-adds the totals and refuses more than [`crate::PAGES_MAX`] pages before drawing;
//! the second draws each page as it fills. Rows are one line each (no free text), so a page
//! holds some forty operations.

use tiyn_statement::pos::{PosColumn, PosDayTotals, PosHeader, PosOperation, PosTotals, local_time};

use crate::fonts::Faces;
use crate::format;
use crate::layout::{self, Align, Cell, DocumentInfo, Flow, Mark, OwnedCell, PageFormat, Painter, TextStyle};
use crate::{Lang, Presentation, RenderError, sheet};

const FORMAT: PageFormat = PageFormat::A4_LANDSCAPE;
const GUTTER_PT: f32 = 6.0;
const ROW_PADDING_PT: f32 = 1.5;
const BODY: TextStyle = TextStyle::regular(7.5);
const HEAD: TextStyle = TextStyle::bold(7.0);

/// The table's columns in [`PosColumn::ALL`] order but the currency (named in the amounts'
/// titles), with their widths in points; the operation id takes what is left.
const WIDTHS_PT: [(PosColumn, f32); 9] = [
    (PosColumn::OccurredAt, 92.0),
    (PosColumn::Terminal, 60.0),
    (PosColumn::Operation, 0.0),
    (PosColumn::Kind, 58.0),
    (PosColumn::Status, 62.0),
    (PosColumn::Card, 82.0),
    (PosColumn::SettlementDate, 62.0),
    (PosColumn::Amount, 72.0),
    (PosColumn::Fee, 72.0),
];

fn statement_lang(lang: Lang) -> tiyn_statement::Lang {
    match lang {
        Lang::Ru => tiyn_statement::Lang::Ru,
        Lang::Kk => tiyn_statement::Lang::Kk,
        Lang::En => tiyn_statement::Lang::En,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Walked {
    operations: u64,
    pages: usize,
}

struct Sheet<'a> {
    faces: &'static Faces,
    header: &'a PosHeader,
    days: &'a [PosDayTotals],
    presentation: &'a Presentation,
    /// (x, width) per column of [`WIDTHS_PT`].
    columns: Vec<(f32, f32)>,
    left_pt: f32,
}

pub(crate) fn render<F, I>(
    header: &PosHeader,
    mut operations: F,
    days: &[PosDayTotals],
    presentation: &Presentation,
) -> Result<Vec<u8>, RenderError>
where
    F: FnMut() -> I,
    I: IntoIterator<Item = PosOperation>,
{
    let faces = Faces::get().ok_or(RenderError::Fonts)?;
    let sheet = Sheet::new(faces, header, days, presentation);
    let counted = sheet.walk(operations(), |_page| Ok(()))?;
    assert!(counted.pages >= 1, "a document has a page");
    let title = sheet.title();
    let info = DocumentInfo { title: title.clone(), language: presentation.lang.code(), created: header.created_at };
    let mut painter = Painter::new(faces, FORMAT, info)?;
    let mut number = 0;
    let drawn = sheet.walk(operations(), |mut page| {
        number += 1;
        if number <= counted.pages {
            layout::add_footer(
                faces,
                FORMAT,
                &mut page,
                &title,
                &sheet::page_label(presentation.lang, number, counted.pages),
            );
            painter.page(&page);
        }
        Ok(())
    })?;
    if drawn != counted {
        return Err(RenderError::LinesChanged {
            first_lines: counted.operations,
            first_pages: counted.pages,
            second_lines: drawn.operations,
            second_pages: drawn.pages,
        });
    }
    painter.finish()
}

impl<'a> Sheet<'a> {
    fn new(
        faces: &'static Faces,
        header: &'a PosHeader,
        days: &'a [PosDayTotals],
        presentation: &'a Presentation,
    ) -> Sheet<'a> {
        let (left_pt, width_pt) = (FORMAT.margin_side_pt, FORMAT.content_width_pt());
        let fixed_pt: f32 =
            WIDTHS_PT.iter().map(|(_, width)| width).sum::<f32>() + GUTTER_PT * (WIDTHS_PT.len() - 1) as f32;
        let rest_pt = width_pt - fixed_pt;
        assert!(rest_pt >= 60.0, "the operation id keeps a readable width: {rest_pt} pt");
        let mut x_pt = left_pt;
        let columns = WIDTHS_PT
            .iter()
            .map(|(_, width)| {
                let width = if *width == 0.0 { rest_pt } else { *width };
                let column = (x_pt, width);
                x_pt += width + GUTTER_PT;
                column
            })
            .collect();
        Sheet { faces, header, days, presentation, columns, left_pt }
    }

    fn lang(&self) -> Lang {
        self.presentation.lang
    }

    fn title(&self) -> String {
        format!(
            "{} {} · {} – {}",
            tiyn_statement::pos::title(statement_lang(self.lang())),
            self.header.terminal_id,
            format::date(self.header.period.from(), self.lang()),
            format::date(self.header.period.to(), self.lang())
        )
    }

    fn cell<'t>(&self, index: usize, text: &'t str, style: TextStyle, align: Align) -> Cell<'t> {
        let (x_pt, width_pt) = self.columns[index];
        Cell { x_pt, width_pt, text, style, align }
    }

    fn walk(
        &self,
        operations: impl IntoIterator<Item = PosOperation>,
        mut page: impl FnMut(Vec<Mark>) -> Result<(), RenderError>,
    ) -> Result<Walked, RenderError> {
        let mut flow = Flow::with_format(self.faces, FORMAT, layout::PAGES_MAX);
        let mut sums = PosTotals::zero(self.header.currency);
        let mut count = 0_u64;
        let result = (|| -> Result<usize, RenderError> {
            self.title_block(&mut flow)?;
            sheet::start_table(&mut flow, self.head())?;
            for operation in operations {
                sums.add(&operation).map_err(|error| RenderError::Pdf(error.to_string()))?;
                self.operation_row(&mut flow, &operation)?;
                count += 1;
                for full in flow.take_full() {
                    page(full)?;
                }
            }
            flow.set_head(None);
            if sums != self.header.totals {
                return Err(RenderError::Pdf("the operations do not add up to the period's totals".into()));
            }
            self.totals_block(&mut flow)?;
            self.days_block(&mut flow)?;
            let header = self.header;
            sheet::finish(flow, self.faces, &header.bank_name, &header.bank_bic, self.lang(), &mut page)
        })();
        let pages = result.map_err(|error| match error {
            RenderError::TooManyPages { pages_max } => RenderError::StatementTooLong { pages_max },
            other => other,
        })?;
        Ok(Walked { operations: count, pages })
    }

    fn title_block(&self, flow: &mut Flow<'_>) -> Result<(), RenderError> {
        let (header, lang) = (self.header, statement_lang(self.lang()));
        sheet::title_head(flow, &header.bank_name, tiyn_statement::pos::title(lang))?;
        let [_, holder, terminal, address, account, period] = tiyn_statement::pos::header_labels(lang);
        let period_text = format!(
            "{} – {}",
            format::date(header.period.from(), self.lang()),
            format::date(header.period.to(), self.lang())
        );
        sheet::field(flow, holder, &header.holder_name)?;
        sheet::field(flow, terminal, &header.terminal_id)?;
        sheet::field(flow, address, &header.address)?;
        sheet::field(flow, account, &header.settlement_iban)?;
        sheet::field(flow, period, &period_text)?;
        sheet::field(flow, sheet::created_label(self.lang()), &format::instant(header.created_at, self.presentation))?;
        flow.space(8.0);
        Ok(())
    }

    fn head(&self) -> Vec<OwnedCell> {
        let lang = statement_lang(self.lang());
        let currency = self.header.currency.code();
        WIDTHS_PT
            .iter()
            .zip(&self.columns)
            .map(|((column, _), (x_pt, width_pt))| {
                let label = column.label(lang);
                let (text, align) = match column {
                    PosColumn::Amount | PosColumn::Fee => (format!("{label}, {currency}"), Align::Right),
                    _ => (label.to_owned(), Align::Left),
                };
                OwnedCell { x_pt: *x_pt, width_pt: *width_pt, text, style: HEAD, align }
            })
            .collect()
    }

    fn operation_row(&self, flow: &mut Flow<'_>, operation: &PosOperation) -> Result<(), RenderError> {
        let lang = statement_lang(self.lang());
        let texts = [
            local_time(operation.occurred_at),
            operation.terminal_id.clone(),
            operation.operation_id.clone(),
            operation.kind.label(lang).to_owned(),
            operation.status.label(lang).to_owned(),
            operation.card.as_str().to_owned(),
            operation.settlement_date.map(|date| format::date(date, self.lang())).unwrap_or_default(),
            format::amount(operation.amount, self.lang()),
            format::amount(operation.fee, self.lang()),
        ];
        let cells: Vec<Cell<'_>> = texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                let align = if index >= 7 { Align::Right } else { Align::Left };
                self.cell(index, text, BODY, align)
            })
            .collect();
        flow.space(ROW_PADDING_PT);
        flow.row(&cells)?;
        flow.space(ROW_PADDING_PT);
        flow.rule(0.2)
    }

    fn totals_block(&self, flow: &mut Flow<'_>) -> Result<(), RenderError> {
        let totals = &self.header.totals;
        let labels = tiyn_statement::pos::totals_labels(statement_lang(self.lang()));
        let net = totals.net().map_err(|error| RenderError::Pdf(error.to_string()))?;
        flow.space(8.0);
        sheet::field(flow, labels[0], &totals.operations.to_string())?;
        for (label, money) in
            labels[1..].iter().zip([totals.purchases, totals.refunds, totals.reversals, totals.fees, net])
        {
            sheet::field(flow, label, &format::money(money, self.lang()))?;
        }
        Ok(())
    }

    fn days_block(&self, flow: &mut Flow<'_>) -> Result<(), RenderError> {
        if self.days.is_empty() {
            return Ok(());
        }
        let labels = tiyn_statement::pos::totals_labels(statement_lang(self.lang()));
        flow.space(10.0);
        flow.paragraph(days_title(self.lang()), TextStyle::bold(10.0))?;
        flow.space(4.0);
        let width_pt = 95.0;
        let cells = |texts: [String; 7], style: TextStyle| -> Vec<OwnedCell> {
            texts
                .into_iter()
                .enumerate()
                .map(|(index, text)| OwnedCell {
                    x_pt: self.left_pt + index as f32 * (width_pt + GUTTER_PT),
                    width_pt,
                    text,
                    style,
                    align: if index == 0 { Align::Left } else { Align::Right },
                })
                .collect()
        };
        let head = cells(
            [
                day_label(self.lang()).to_owned(),
                labels[0].to_owned(),
                labels[1].to_owned(),
                labels[2].to_owned(),
                labels[3].to_owned(),
                labels[4].to_owned(),
                labels[5].to_owned(),
            ],
            HEAD,
        );
        flow.row(&head.iter().map(OwnedCell::as_cell).collect::<Vec<_>>())?;
        flow.rule(0.5)?;
        for day in self.days {
            let totals = &day.totals;
            let net = totals.net().map_err(|error| RenderError::Pdf(error.to_string()))?;
            let row = cells(
                [
                    format::date(day.date, self.lang()),
                    totals.operations.to_string(),
                    format::amount(totals.purchases, self.lang()),
                    format::amount(totals.refunds, self.lang()),
                    format::amount(totals.reversals, self.lang()),
                    format::amount(totals.fees, self.lang()),
                    format::amount(net, self.lang()),
                ],
                BODY,
            );
            flow.space(ROW_PADDING_PT);
            flow.row(&row.iter().map(OwnedCell::as_cell).collect::<Vec<_>>())?;
            flow.space(ROW_PADDING_PT);
        }
        Ok(())
    }
}

const fn days_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Итоги по дням",
        Lang::Kk => "Күндер бойынша қорытынды",
        Lang::En => "Daily totals",
    }
}

const fn day_label(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "День",
        Lang::Kk => "Күн",
        Lang::En => "Day",
    }
}
