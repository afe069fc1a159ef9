//! Banks abroad by SWIFT BIC: the payee banks and intermediaries of foreign-currency transfers
//! (R-3.1.2.2, R-3.1.1.3). The embedded list is a starting list (`data/swift/SOURCES.md`); a bank
//! loads its SWIFT BIC directory in the same columns.

use std::collections::BTreeMap;

use tiyn_core::{Bic, Country};

use crate::error::{RefDataError, RowProblem};
use crate::table::{matches_all, query_words, read_table};

pub(crate) const FILE: &str = "foreign_banks.csv";

/// One bank abroad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignBank {
    bic: Bic,
    name: String,
    city: String,
    country: Country,
    search_text: String,
}

impl ForeignBank {
    /// The primary-office BIC (8 characters).
    pub fn bic(&self) -> &Bic {
        &self.bic
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The city, or `""` where the source does not say (the national registries the embedded
    /// list comes from name institutions, not their cities).
    pub fn city(&self) -> &str {
        &self.city
    }

    /// The country of the BIC (its letters 5–6).
    pub fn country(&self) -> Country {
        self.country
    }
}

/// The directory of banks abroad, by primary-office BIC.
#[derive(Debug, Clone, Default)]
pub struct ForeignBankDirectory {
    entries: Vec<ForeignBank>,
    by_bic: BTreeMap<String, usize>,
}

impl ForeignBankDirectory {
    /// Parses `foreign_banks.csv` (columns `bic, name, city, country`; `city` may be empty). The
    /// country must be the BIC's own country letters; a BIC listed twice refuses the load.
    pub fn from_csv(text: &str) -> Result<ForeignBankDirectory, RefDataError> {
        let rows = read_table(FILE, text, ["bic", "name", "city", "country"])?;
        let mut directory = ForeignBankDirectory { entries: Vec::with_capacity(rows.len()), by_bic: BTreeMap::new() };
        let mut lines = Vec::with_capacity(rows.len());
        for row in &rows {
            let [bic, name, city, country] = &row.values;
            let bic = Bic::parse(bic).map_err(|e| row.problem(FILE, RowProblem::Bic(e)))?.primary_office();
            if name.is_empty() {
                return Err(row.problem(FILE, RowProblem::EmptyField { column: "name" }));
            }
            let country = Country::parse(country).map_err(|_| {
                row.problem(
                    FILE,
                    RowProblem::InvalidValue {
                        column: "country",
                        value: country.clone(),
                        expected: "an ISO 3166 alpha-2 country code",
                    },
                )
            })?;
            if country.as_str() != bic.country() {
                return Err(row.problem(
                    FILE,
                    RowProblem::Inconsistent {
                        column: "country",
                        expected: bic.country().to_owned(),
                        found: country.to_string(),
                    },
                ));
            }
            let key = bic.as_str().to_owned();
            if let Some(&first) = directory.by_bic.get(&key) {
                let problem = RowProblem::Duplicate { value: key, first_line: lines[first] };
                return Err(row.problem(FILE, problem));
            }
            directory.by_bic.insert(key, directory.entries.len());
            lines.push(row.line);
            let search_text = format!("{name} {city}").to_lowercase();
            directory.entries.push(ForeignBank { bic, name: name.clone(), city: city.clone(), country, search_text });
        }
        Ok(directory)
    }

    /// All entries in file order.
    pub fn entries(&self) -> &[ForeignBank] {
        &self.entries
    }

    /// The bank with this BIC, looked up by its primary office (`DEUTDEFF500` finds Deutsche
    /// Bank's `DEUTDEFF`).
    pub fn by_bic(&self, bic: &Bic) -> Option<&ForeignBank> {
        self.by_bic.get(bic.primary_office().as_str()).map(|&index| &self.entries[index])
    }

    /// Entries matching every word of `query`: a prefix of the BIC or the country code, or a
    /// part of the name or city, ignoring case. A blank query matches nothing.
    pub fn search(&self, query: &str) -> Vec<&ForeignBank> {
        let words = query_words(query);
        self.entries
            .iter()
            .filter(|entry| {
                let bic = entry.bic.as_str().to_lowercase();
                let country = entry.country.as_str().to_lowercase();
                matches_all(&words, &[&bic, &country], &entry.search_text)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded() -> ForeignBankDirectory {
        ForeignBankDirectory::from_csv(crate::CsvTexts::EMBEDDED.foreign_banks).expect("the embedded list loads")
    }

    #[test]
    fn finds_a_bank_by_bic_branch_or_words() {
        let directory = embedded();
        let deutsche = Bic::parse("DEUTDEFF500").unwrap();
        assert_eq!(directory.by_bic(&deutsche).map(ForeignBank::name), Some("Deutsche Bank AG"));
        assert!(directory.by_bic(&Bic::parse("ZZZZDEFF").unwrap()).is_none());
        // The curated rows come first, so Deutsche Bank's head office leads its many offices.
        let found: Vec<&str> = directory.search("deut").iter().map(|bank| bank.bic().as_str()).collect();
        assert_eq!(found.first(), Some(&"DEUTDEFF"));
        assert!(found.len() > 10, "{found:?}");
        assert!(directory.search("china beijing").len() >= 3);
        assert!(directory.search("  ").is_empty());
    }

    #[test]
    fn a_city_may_be_empty_but_a_name_may_not() {
        let directory = ForeignBankDirectory::from_csv("bic,name,city,country\nBNPAFRPP,BNP Paribas,,FR\n")
            .expect("an empty city is allowed");
        assert_eq!(directory.entries()[0].city(), "");
        assert!(matches!(
            ForeignBankDirectory::from_csv("bic,name,city,country\nBNPAFRPP,,Paris,FR\n"),
            Err(RefDataError::Row { line: 2, problem: RowProblem::EmptyField { column: "name" }, .. })
        ));
    }

    #[test]
    fn refuses_a_country_that_contradicts_the_bic_and_duplicates() {
        let wrong = "bic,name,city,country\nDEUTDEFF,Deutsche Bank AG,Frankfurt,FR\n";
        assert!(matches!(
            ForeignBankDirectory::from_csv(wrong),
            Err(RefDataError::Row { problem: RowProblem::Inconsistent { .. }, .. })
        ));
        let twice = "bic,name,city,country\nDEUTDEFF,A,B,DE\nDEUTDEFFXXX,C,D,DE\n";
        assert!(matches!(
            ForeignBankDirectory::from_csv(twice),
            Err(RefDataError::Row { problem: RowProblem::Duplicate { .. }, .. })
        ));
    }
}
