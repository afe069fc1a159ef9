//! CSV read back with the csv crate.

use tiyn_core::Money;
use tiyn_statement::{
    Column, CsvDelimiter, CsvOptions, Direction, ExportSummary, Lang, StatementLine, kind_label, write_csv,
};

use crate::common::{Statement, kzt_statement, usd_statement};

/// Writes the statement and reads it back: the rows as strings, after checking the BOM.
fn round_trip(statement: &Statement, options: CsvOptions) -> (ExportSummary, Vec<Vec<String>>) {
    let mut bytes = Vec::new();
    let summary = write_csv(&statement.header, &statement.lines, &options, &mut bytes).unwrap();
    assert_eq!(summary.bytes, bytes.len() as u64);
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("UTF-8 BOM first, for Excel");
    let mut reader =
        ::csv::ReaderBuilder::new().delimiter(options.delimiter.byte()).has_headers(false).from_reader(body);
    let rows =
        reader.records().map(|record| record.unwrap().iter().map(str::to_owned).collect::<Vec<String>>()).collect();
    (summary, rows)
}

fn expected_row(line: &StatementLine, lang: Lang) -> Vec<String> {
    let amount = line.amount.amount_string();
    let (debit, credit) = match line.direction {
        Direction::Debit => (amount, String::new()),
        Direction::Credit => (String::new(), amount),
    };
    let counterparty = &line.counterparty;
    vec![
        line.booking_date.to_string(),
        line.value_date.to_string(),
        line.document_number.clone().unwrap_or_default(),
        counterparty.name.clone(),
        counterparty.taxpayer_id.as_ref().map(|id| id.as_str().to_owned()).unwrap_or_default(),
        counterparty.account.as_ref().map(|account| account.as_str().to_owned()).unwrap_or_default(),
        counterparty.bic.as_ref().map(|bic| bic.as_str().to_owned()).unwrap_or_default(),
        line.knp.as_ref().map(|knp| knp.as_str().to_owned()).unwrap_or_default(),
        line.purpose.clone(),
        debit,
        credit,
        line.amount.currency().code().to_owned(),
        kind_label(line.kind, lang).to_owned(),
        line.entry.to_string(),
    ]
}

/// R-3.1.2.7: UTF-8 with BOM, both separators, a header row, and every field of every line
/// round-trips through the csv crate; the amount columns sum to the header's turnovers.
#[test]
fn r_3_1_2_7_csv_round_trips_every_field_with_both_delimiters() {
    for statement in [kzt_statement(), usd_statement()] {
        for delimiter in [CsvDelimiter::Comma, CsvDelimiter::Semicolon] {
            let options = CsvOptions { delimiter, lang: Lang::Ru };
            let (summary, rows) = round_trip(&statement, options);
            assert_eq!(summary.lines, statement.lines.len() as u64);
            assert_eq!(rows.len(), statement.lines.len() + 1);
            assert_eq!(rows[0], Column::ALL.map(|column| column.label(Lang::Ru)));
            for (row, line) in rows[1..].iter().zip(&statement.lines) {
                assert_eq!(row, &expected_row(line, Lang::Ru), "{delimiter:?}");
            }
            let currency = statement.header.currency;
            let sum = |column: usize| {
                rows[1..].iter().filter(|row| !row[column].is_empty()).fold(Money::zero(currency), |sum, row| {
                    sum.checked_add(Money::parse_canonical(&row[column], currency).unwrap()).unwrap()
                })
            };
            assert_eq!(sum(9), statement.header.turnover.debit);
            assert_eq!(sum(10), statement.header.turnover.credit);
        }
    }
}

/// R-3.1.2.7: the header row and the kinds in Kazakh and English.
#[test]
fn r_3_1_2_7_csv_labels_in_kazakh_and_english() {
    let statement = kzt_statement();
    for lang in [Lang::Kk, Lang::En] {
        let (_, rows) = round_trip(&statement, CsvOptions { delimiter: CsvDelimiter::Semicolon, lang });
        assert_eq!(rows[0], Column::ALL.map(|column| column.label(lang)));
        assert_eq!(rows[3][12], kind_label(statement.lines[2].kind, lang));
    }
    let (_, rows) = round_trip(&statement, CsvOptions { delimiter: CsvDelimiter::Comma, lang: Lang::Kk });
    assert_eq!(rows[0][4], "БСН/ЖСН");
    assert_eq!(rows[3][12], "Комиссия");
}

/// A name that a spreadsheet would run as a formula gets a leading `'`; nothing else changes.
#[test]
fn r_3_1_2_7_csv_guards_formula_like_text() {
    let mut statement = kzt_statement();
    statement.lines[0].counterparty.name = "=HYPERLINK(\"http://x\";\"ТОО\")".into();
    statement.lines[1].purpose = "-5 за услуги".into();
    let (_, rows) = round_trip(&statement, CsvOptions::default());
    assert_eq!(rows[1][3], "'=HYPERLINK(\"http://x\";\"ТОО\")");
    assert_eq!(rows[2][8], "'-5 за услуги");
    assert_eq!(rows[3][8], statement.lines[2].purpose);
}
