//! camt.053 validated with xmllint against the official XSD (`tests/data/camt.053.001.08.xsd`,
//! see `tests/data/SOURCES.md`), and read back with quick-xml for the balances and the sums.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use quick_xml::Reader;
use quick_xml::events::Event;
use tiyn_core::Money;
use tiyn_statement::{Camt053Options, Direction, LineKind, write_camt053};

use crate::common::{LONG_PURPOSE, Statement, empty_statement, kzt_statement, usd_statement};

fn write(statement: &Statement) -> String {
    let mut bytes = Vec::new();
    let options = Camt053Options { electronic_sequence_number: 42 };
    let summary = write_camt053(&statement.header, &statement.lines, &options, &mut bytes).unwrap();
    assert_eq!(summary.bytes, bytes.len() as u64);
    String::from_utf8(bytes).unwrap()
}

fn schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/camt.053.001.08.xsd")
}

/// Validates with xmllint. Fails, and does not skip, when xmllint is not installed: the schema
/// check is the point of the test (`.ci/run` installs libxml2-utils).
fn validate(xml: &str, name: &str) {
    let mut file = tempfile::Builder::new().prefix(name).suffix(".xml").tempfile().unwrap();
    file.write_all(xml.as_bytes()).unwrap();
    let output =
        Command::new("xmllint").arg("--noout").arg("--schema").arg(schema()).arg(file.path()).output().unwrap_or_else(
            |error| panic!("xmllint is needed to validate camt.053 (apt-get install libxml2-utils): {error}"),
        );
    assert!(
        output.status.success(),
        "{name} is not valid against camt.053.001.08.xsd:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every element's text by its path below `Stmt` (`Ntry/NtryDtls/TxDtls/RmtInf/Ustrd`), in
/// document order, per entry; and the statement-level ones.
#[derive(Debug, Default)]
struct Read {
    statement: Vec<(String, String)>,
    entries: Vec<Vec<(String, String)>>,
}

impl Read {
    fn one(&self, path: &str) -> &str {
        let found: Vec<&str> = self.statement.iter().filter(|(p, _)| p == path).map(|(_, t)| t.as_str()).collect();
        assert_eq!(found.len(), 1, "{path}: {found:?}");
        found[0]
    }
}

fn entry_values<'e>(entry: &'e [(String, String)], path: &str) -> Vec<&'e str> {
    entry.iter().filter(|(p, _)| p == path).map(|(_, text)| text.as_str()).collect()
}

fn read(xml: &str) -> Read {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut read = Read::default();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(start) => {
                let name = start.local_name().as_ref().to_owned();
                if name == "Ntry" {
                    read.entries.push(Vec::new());
                }
                path.push(name);
                text.clear();
            }
            Event::Text(piece) => text.push_str(&piece.xml10_content()),
            Event::GeneralRef(reference) => {
                let resolved = quick_xml::escape::resolve_predefined_entity(&reference).unwrap();
                text.push_str(resolved);
            }
            Event::End(_) => {
                if !text.trim().is_empty() {
                    let stmt = path.iter().position(|name| name == "Stmt");
                    let ntry = path.iter().position(|name| name == "Ntry");
                    match (stmt, ntry) {
                        (Some(_), Some(ntry)) => {
                            read.entries.last_mut().unwrap().push((path[ntry + 1..].join("/"), text.clone()))
                        }
                        (Some(stmt), None) => read.statement.push((path[stmt + 1..].join("/"), text.clone())),
                        (None, _) => {}
                    }
                }
                text.clear();
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    read
}

/// R-3.1.2.7: KZT, USD and empty statements are valid camt.053.001.08 documents.
#[test]
fn r_3_1_2_7_camt053_is_valid_against_the_official_schema() {
    assert!(schema().exists(), "the XSD ships in tests/data");
    for (name, statement) in [("kzt", kzt_statement()), ("usd", usd_statement()), ("empty", empty_statement())] {
        validate(&write(&statement), name);
    }
}

/// R-3.1.2.7: read back, the balances and the transaction summary are the header's, the entries
/// sum to the change of balance, and each entry carries its line.
#[test]
fn r_3_1_2_7_camt053_reads_back_to_the_statement() {
    let statement = kzt_statement();
    let xml = write(&statement);
    let read = read(&xml);
    let header = &statement.header;
    let currency = header.currency;
    assert_eq!(read.one("Id"), "ST-2024-000042");
    assert_eq!(read.one("ElctrncSeqNb"), "42");
    assert_eq!(read.one("CreDtTm"), "2024-11-01T13:11:22Z");
    assert_eq!(read.one("FrToDt/FrDtTm"), "2024-10-01T00:00:00");
    assert_eq!(read.one("FrToDt/ToDtTm"), "2024-10-07T23:59:59");
    assert_eq!(read.one("Acct/Id/IBAN"), header.account_iban.as_str());
    assert_eq!(read.one("Acct/Svcr/FinInstnId/BICFI"), "CASPKZKA");
    assert_eq!(read.one("Acct/Ownr/Id/OrgId/Othr/Id"), "180140010005");
    let balances: Vec<&str> = read.statement.iter().filter(|(p, _)| p == "Bal/Amt").map(|(_, t)| t.as_str()).collect();
    let codes: Vec<&str> =
        read.statement.iter().filter(|(p, _)| p == "Bal/Tp/CdOrPrtry/Cd").map(|(_, t)| t.as_str()).collect();
    assert_eq!(codes, ["OPBD", "CLBD"]);
    assert_eq!(balances, [header.opening.amount_string(), header.closing.amount_string()]);
    assert_eq!(read.one("TxsSummry/TtlCdtNtries/Sum"), header.turnover.credit.amount_string());
    assert_eq!(read.one("TxsSummry/TtlDbtNtries/Sum"), header.turnover.debit.amount_string());
    assert_eq!(read.one("TxsSummry/TtlNtries/TtlNetNtry/CdtDbtInd"), "CRDT");

    assert_eq!(read.entries.len(), statement.lines.len());
    let mut balance = Money::parse_canonical(balances[0], currency).unwrap();
    for (entry, line) in read.entries.iter().zip(&statement.lines) {
        let one = |path: &str| -> &str {
            let values = entry_values(entry, path);
            assert_eq!(values.len(), 1, "{path} in entry {}", line.entry);
            values[0]
        };
        let amount = Money::parse_canonical(one("Amt"), currency).unwrap();
        assert_eq!(amount, line.amount);
        balance = match one("CdtDbtInd") {
            "CRDT" => balance.checked_add(amount).unwrap(),
            _ => balance.checked_sub(amount).unwrap(),
        };
        assert_eq!(one("CdtDbtInd") == "CRDT", line.direction == Direction::Credit);
        assert_eq!(entry_values(entry, "RvslInd") == ["true"], line.kind == LineKind::Reversal);
        assert_eq!(one("Sts/Cd"), "BOOK");
        assert_eq!(one("BookgDt/Dt"), line.booking_date.to_string());
        assert_eq!(one("ValDt/Dt"), line.value_date.to_string());
        assert_eq!(one("AcctSvcrRef"), line.entry.to_string());
        assert_eq!(one("BkTxCd/Prtry/Cd"), line.kind.as_str());
        assert_eq!(one("NtryDtls/TxDtls/Refs/EndToEndId"), line.document_number.as_deref().unwrap_or("NOTPROVIDED"));
        let party = if line.direction == Direction::Debit { "Cdtr" } else { "Dbtr" };
        assert_eq!(one(&format!("NtryDtls/TxDtls/RltdPties/{party}/Pty/Nm")), line.counterparty.name);
        let ustrd = entry_values(entry, "NtryDtls/TxDtls/RmtInf/Ustrd");
        assert!(ustrd.iter().all(|piece| piece.chars().count() <= 140));
        assert_eq!(ustrd.concat(), line.purpose);
        let knp = entry_values(entry, "NtryDtls/TxDtls/Purp/Prtry");
        assert_eq!(knp, line.knp.iter().map(|knp| knp.as_str()).collect::<Vec<_>>());
    }
    assert_eq!(balance.amount_string(), balances[1], "opening + entries = closing");

    let long = &read.entries[1];
    assert_eq!(entry_values(long, "NtryDtls/TxDtls/RmtInf/Ustrd").len(), LONG_PURPOSE.chars().count().div_ceil(140));
    assert_eq!(entry_values(long, "NtryDtls/TxDtls/RltdPties/Cdtr/Pty/Id/PrvtId/Othr/SchmeNm/Prtry"), ["IIN"]);
    assert_eq!(entry_values(long, "BkTxCd/Domn/Fmly/Cd"), ["ICDT"]);
    let commission = &read.entries[2];
    assert_eq!(entry_values(commission, "BkTxCd/Domn/Cd"), ["ACMT"]);
    assert_eq!(entry_values(commission, "NtryDtls/TxDtls/RltdPties/CdtrAcct/Id/Othr/Id"), ["Комиссионные доходы"]);
    assert_eq!(entry_values(commission, "NtryDtls/TxDtls/RltdAgts/CdtrAgt/FinInstnId/BICFI"), ["CASPKZKA"]);
}
