//! Every export format, read back by an independent reader (R-3.1.2.6, R-3.1.2.7): the csv
//! crate, calamine, the mt940 crate, xmllint with the official XSD, and the 1C readers. All on
//! the fixtures of `tests/common`: Cyrillic and Kazakh text, a commission line, a reversal, days
//! without lines, a KZT and a USD account.

#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod camt053;
mod csv;
mod mt940;
mod onec;
mod refusals;
mod xlsx;
