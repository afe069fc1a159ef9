//! Every writer refuses inconsistent input with the typed error: a header whose
//! turnovers the lines do not give, a header inconsistent in itself (refused before a byte is
//! written), a source that fails part-way, an amount too long for the format.

use tiyn_core::{Currency, Money};
use tiyn_statement::{
    Camt053Options, CsvOptions, Mt940Options, OneCOptions, StatementError, StatementHeader, StatementLine, XlsxOptions,
    write_camt053, write_csv, write_mt940, write_onec, write_xlsx,
};

use crate::common::{Statement, kzt_statement, with_wrong_turnover};

const FORMATS: [&str; 5] = ["csv", "xlsx", "mt940", "camt053", "1c"];

/// Runs one writer on these lines; the error and the bytes written.
fn export<L>(format: &str, header: &StatementHeader, lines: L) -> (Result<u64, StatementError>, Vec<u8>)
where
    L: IntoIterator,
    L::Item: tiyn_statement::IntoStatementLine,
{
    let mut out = Vec::new();
    let result = match format {
        "csv" => write_csv(header, lines, &CsvOptions::default(), &mut out),
        "xlsx" => write_xlsx(header, lines, &XlsxOptions::default(), &mut out),
        "mt940" => write_mt940(header, lines, &Mt940Options::default(), &mut out),
        "camt053" => write_camt053(header, lines, &Camt053Options::default(), &mut out),
        "1c" => write_onec(header, lines, &OneCOptions::default(), &mut out),
        other => unreachable!("{other}"),
    };
    (result.map(|summary| summary.lines), out)
}

fn code(result: &Result<u64, StatementError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.code(),
    }
}

/// the lines' turnovers differ from the header's: every writer fails with
/// `statement_turnover_mismatch`.
#[test]
fn r_6_2_every_writer_refuses_a_turnover_mismatch() {
    let Statement { header, lines } = with_wrong_turnover(kzt_statement());
    for format in FORMATS {
        let (result, _) = export(format, &header, &lines);
        assert_eq!(code(&result), "statement_turnover_mismatch", "{format}");
    }
    let good = kzt_statement();
    for format in FORMATS {
        assert_eq!(code(&export(format, &good.header, &good.lines).0), "ok", "{format}");
    }
}

/// a header whose opening + credits − debits is not its closing is refused before any
/// byte is written.
#[test]
fn r_6_2_every_writer_refuses_an_inconsistent_header_before_writing() {
    let mut statement = kzt_statement();
    statement.header.closing = Money::from_minor(statement.header.closing.minor() + 100, Currency::Kzt);
    for format in FORMATS {
        let (result, out) = export(format, &statement.header, &statement.lines);
        assert_eq!(code(&result), "statement_balance_mismatch", "{format}");
        assert!(out.is_empty(), "{format} wrote nothing");
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the store's cursor failed")]
struct CursorFailed;

/// A fallible source (the store's cursor) that fails part-way ends the export with
/// `statement_source`; lines out of order with `lines_out_of_order`.
#[test]
fn r_6_2_every_writer_stops_on_a_failed_source_and_on_disorder() {
    let statement = kzt_statement();
    for format in FORMATS {
        let lines = statement.lines.iter().take(2).cloned().map(Ok).chain([Err(CursorFailed)]);
        let (result, _) = export::<_>(format, &statement.header, lines);
        assert_eq!(code(&result), "statement_source", "{format}");

        let mut disordered: Vec<StatementLine> = statement.lines.clone();
        disordered.swap(1, 3);
        assert_eq!(code(&export(format, &statement.header, disordered).0), "lines_out_of_order", "{format}");
    }
}

/// An amount longer than MT940's 15 characters is refused, not cut.
#[test]
fn r_3_1_2_7_mt940_refuses_an_amount_too_long_for_its_field() {
    let mut statement = kzt_statement();
    let huge = Money::from_minor(100_000_000_000_000, Currency::Kzt);
    statement.header.opening = huge;
    statement.header.closing = huge
        .checked_add(statement.header.turnover.credit)
        .unwrap()
        .checked_sub(statement.header.turnover.debit)
        .unwrap();
    assert_eq!(code(&export("mt940", &statement.header, &statement.lines).0), "export_amount_too_long");
    assert_eq!(code(&export("camt053", &statement.header, &statement.lines).0), "ok", "18 digits hold it");
}
