//! The shared Kazakhstan test vectors (`data/kz/test_vectors_iban_iin_bin.csv`, vendored from
//! the project's reference data) run against the public parsers.
//!
//! wrong requisites (IBAN, IIN, BIN) are refused; right ones are accepted.

use tiyn_core::{Bin, BinError, Iban, IbanError, Iin, IinError, TaxpayerId, TaxpayerIdError};

const VECTORS: &str = include_str!("../../../data/kz/test_vectors_iban_iin_bin.csv");

struct Vector<'a> {
    line: usize,
    kind: &'a str,
    value: &'a str,
    expected: &'a str,
}

/// The first three columns; the fourth (a free-text note, sometimes quoted) is not needed.
fn vectors() -> Vec<Vector<'static>> {
    let mut lines = VECTORS.lines().enumerate();
    let (_, header) = lines.next().expect("the file has a header");
    assert!(header.starts_with("type,value,expected,"), "unexpected header {header:?}");
    lines
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let mut fields = line.splitn(4, ',');
            let mut next = || fields.next().unwrap_or_else(|| panic!("line {}: too few columns", index + 1));
            Vector { line: index + 1, kind: next(), value: next(), expected: next() }
        })
        .collect()
}

#[test]
fn every_vector_gives_the_expected_answer() {
    let vectors = vectors();
    assert!(vectors.len() >= 38, "the file has at least 38 vectors, found {}", vectors.len());
    for vector in &vectors {
        check(vector);
    }
}

fn check(vector: &Vector<'_>) {
    let Vector { line, kind, value, expected } = *vector;
    let context = format!("line {line}: {kind} {value:?} expected {expected}");
    match (kind, expected) {
        ("iban", "valid") => {
            let iban = Iban::parse(value).unwrap_or_else(|e| panic!("{context}: {e}"));
            assert_eq!(iban.as_str(), value, "{context}");
        }
        ("iban", "valid_after_normalisation") => {
            let iban = Iban::parse(value).unwrap_or_else(|e| panic!("{context}: {e}"));
            assert_eq!(iban.as_str(), value.replace(' ', "").to_uppercase(), "{context}");
        }
        ("iban", "invalid_checksum") => {
            assert_eq!(Iban::parse(value), Err(IbanError::Checksum), "{context}");
        }
        ("iban", "invalid_length") => {
            let error = Iban::parse(value).expect_err(&context);
            assert!(matches!(error, IbanError::WrongLength { .. }), "{context}: {error}");
        }
        ("iin", "valid") => {
            let iin = Iin::parse(value).unwrap_or_else(|e| panic!("{context}: {e}"));
            assert!(iin.birth_date().is_some(), "{context}: the synthetic IINs have real dates");
            assert_eq!(TaxpayerId::parse(value), Ok(TaxpayerId::Iin(iin)), "{context}");
        }
        ("iin", "invalid_checksum") | ("iin", "invalid_checksum_and_date") => {
            assert_eq!(Iin::parse(value), Err(IinError::Checksum), "{context}");
            assert_eq!(TaxpayerId::parse(value), Err(TaxpayerIdError::Iin(IinError::Checksum)), "{context}");
        }
        ("iin", "checksum_ok_but_date_invalid") => {
            // The date layout is a hint, not a rule (FACTS.md §2): accepted, without a date.
            let iin = Iin::parse(value).unwrap_or_else(|e| panic!("{context}: {e}"));
            assert_eq!(iin.birth_date(), None, "{context}");
        }
        ("bin", "valid") => {
            let bin = Bin::parse(value).unwrap_or_else(|e| panic!("{context}: {e}"));
            assert_eq!(TaxpayerId::parse(value), Ok(TaxpayerId::Bin(bin)), "{context}");
        }
        ("bin", "invalid_structure") => {
            let error = Bin::parse(value).expect_err(&context);
            assert!(
                matches!(
                    error,
                    BinError::InvalidMonth { .. }
                        | BinError::InvalidEntityType { .. }
                        | BinError::InvalidSubdivision { .. }
                ),
                "{context}: {error}"
            );
        }
        ("iin_bin", "valid") => {
            let iin = Iin::parse(value).unwrap_or_else(|e| panic!("{context}: {e}"));
            assert_eq!(TaxpayerId::parse(value), Ok(TaxpayerId::Iin(iin)), "{context}");
        }
        ("iin_bin", "invalid_no_check_digit_possible") => {
            assert_eq!(Iin::parse(value), Err(IinError::NoCheckDigitPossible), "{context}");
            assert!(Bin::parse(value).is_err(), "{context}");
            assert!(TaxpayerId::parse(value).is_err(), "{context}");
        }
        _ => panic!("{context}: no rule for this kind of vector; add one to this test"),
    }
}
