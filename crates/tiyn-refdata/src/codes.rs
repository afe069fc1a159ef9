//! Directories of payment classification codes: KNP (payment purpose), KBK (budget
//! classification) and KBe/KOd (residency and sector). `tiyn-core` checks their syntax; these
//! directories say whether a code is on the list and what it is called.
//!
//! The KNP and KBK lists are **partial** (see `data/kz/README.md`): a code missing here may
//! still be official. Callers decide whether "not in the directory" refuses or warns.

use std::collections::BTreeMap;

use tiyn_core::{EconomicSector, Kbe, Kbk, Knp, Residency};

use crate::error::{RefDataError, RowProblem};
use crate::table::{Row, matches_all, query_words, read_table};

pub(crate) const KNP_FILE: &str = "knp_partial.csv";
pub(crate) const KBK_FILE: &str = "kbk_common.csv";
pub(crate) const KBE_FILE: &str = "kbe_kod_codes.csv";

/// Refuses a code that appeared on an earlier line.
fn check_unique<K: Ord + Copy + ToString, const N: usize>(
    file: &'static str,
    seen: &mut BTreeMap<K, u64>,
    code: K,
    row: &Row<N>,
) -> Result<(), RefDataError> {
    if let Some(&first_line) = seen.get(&code) {
        return Err(row.problem(file, RowProblem::Duplicate { value: code.to_string(), first_line }));
    }
    seen.insert(code, row.line);
    Ok(())
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

// ---------------------------------------------------------------------------------------------
// KNP
// ---------------------------------------------------------------------------------------------

/// One KNP with its name and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnpEntry {
    knp: Knp,
    name_ru: Option<String>,
    name_en: Option<String>,
    evidence_kind: String,
    source: String,
    search_text: String,
}

impl KnpEntry {
    /// The code.
    pub fn knp(&self) -> Knp {
        self.knp
    }

    /// The official Russian name, where it is known.
    pub fn name_ru(&self) -> Option<&str> {
        self.name_ru.as_deref()
    }

    /// An English name or a description of how the code is used, where known.
    pub fn name_en(&self) -> Option<&str> {
        self.name_en.as_deref()
    }

    /// The best name to show: Russian if known, else English. Every entry has one.
    pub fn name(&self) -> &str {
        match (&self.name_ru, &self.name_en) {
            (Some(name), _) | (None, Some(name)) => name,
            (None, None) => unreachable!("KnpEntry invariant: at least one name"),
        }
    }

    /// How the code is attested (`bank_dictionary`, `usage_only`, …): `usage_only` names are
    /// descriptions of use, not official wording.
    pub fn evidence_kind(&self) -> &str {
        &self.evidence_kind
    }

    /// Where the code was found.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The KNP directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnpDirectory {
    entries: BTreeMap<Knp, KnpEntry>,
}

impl KnpDirectory {
    /// Parses `knp_partial.csv` (columns `knp, name_ru, name_en_or_usage,
    /// section_first_digit, evidence_kind, source`).
    pub fn from_csv(text: &str) -> Result<KnpDirectory, RefDataError> {
        let columns = ["knp", "name_ru", "name_en_or_usage", "section_first_digit", "evidence_kind", "source"];
        let rows = read_table(KNP_FILE, text, columns)?;
        let mut lines = BTreeMap::new();
        let mut entries = BTreeMap::new();
        for row in &rows {
            let [code, name_ru, name_en, section, evidence_kind, source] = &row.values;
            let knp = Knp::parse(code).map_err(|e| row.problem(KNP_FILE, RowProblem::Knp(e)))?;
            check_unique(KNP_FILE, &mut lines, knp, row)?;
            // The section column repeats the first digit; a mismatch means a mistyped row.
            if *section != knp.section().to_string() {
                return Err(row.problem(
                    KNP_FILE,
                    RowProblem::Inconsistent {
                        column: "section_first_digit",
                        expected: knp.section().to_string(),
                        found: section.clone(),
                    },
                ));
            }
            let (name_ru, name_en) = (non_empty(name_ru), non_empty(name_en));
            if name_ru.is_none() && name_en.is_none() {
                return Err(row.problem(KNP_FILE, RowProblem::EmptyField { column: "name_ru" }));
            }
            let search_text =
                format!("{}\n{}", name_ru.as_deref().unwrap_or_default(), name_en.as_deref().unwrap_or_default())
                    .to_lowercase();
            let entry = KnpEntry {
                knp,
                name_ru,
                name_en,
                evidence_kind: evidence_kind.clone(),
                source: source.clone(),
                search_text,
            };
            entries.insert(knp, entry);
        }
        debug_assert_eq!(entries.len(), rows.len());
        Ok(KnpDirectory { entries })
    }

    /// The entry for a code, if the directory lists it.
    pub fn get(&self, knp: &Knp) -> Option<&KnpEntry> {
        self.entries.get(knp)
    }

    /// Whether the directory lists the code.
    pub fn contains(&self, knp: &Knp) -> bool {
        self.entries.contains_key(knp)
    }

    /// Entries matching every word of `query` (a code prefix or a part of a name, ignoring
    /// case), in code order. A blank query matches nothing.
    pub fn search(&self, query: &str) -> Vec<&KnpEntry> {
        let words = query_words(query);
        self.entries.values().filter(|entry| matches_all(&words, &[entry.knp.as_str()], &entry.search_text)).collect()
    }

    /// All entries in code order.
    pub fn entries(&self) -> impl Iterator<Item = &KnpEntry> {
        self.entries.values()
    }

    /// The number of codes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Never true for a loaded directory (an empty file is refused); here for completeness.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// KBK
// ---------------------------------------------------------------------------------------------

/// One KBK with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbkEntry {
    kbk: Kbk,
    name: String,
    group: String,
    source: String,
    search_text: String,
}

impl KbkEntry {
    /// The code.
    pub fn kbk(&self) -> Kbk {
        self.kbk
    }

    /// The name (in English in the current file, with Russian in parentheses for some codes).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tax group, e.g. `vat`, `individual_income_tax`.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// Where the code was found; says so when the code is an assumption.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The KBK directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbkDirectory {
    entries: BTreeMap<Kbk, KbkEntry>,
}

impl KbkDirectory {
    /// Parses `kbk_common.csv` (columns `kbk, name, group, source`).
    pub fn from_csv(text: &str) -> Result<KbkDirectory, RefDataError> {
        let rows = read_table(KBK_FILE, text, ["kbk", "name", "group", "source"])?;
        let mut lines = BTreeMap::new();
        let mut entries = BTreeMap::new();
        for row in &rows {
            let [code, name, group, source] = &row.values;
            let kbk = Kbk::parse(code).map_err(|e| row.problem(KBK_FILE, RowProblem::Kbk(e)))?;
            check_unique(KBK_FILE, &mut lines, kbk, row)?;
            if name.is_empty() {
                return Err(row.problem(KBK_FILE, RowProblem::EmptyField { column: "name" }));
            }
            let search_text = format!("{name}\n{group}").to_lowercase();
            let entry = KbkEntry { kbk, name: name.clone(), group: group.clone(), source: source.clone(), search_text };
            entries.insert(kbk, entry);
        }
        Ok(KbkDirectory { entries })
    }

    /// The entry for a code, if the directory lists it.
    pub fn get(&self, kbk: &Kbk) -> Option<&KbkEntry> {
        self.entries.get(kbk)
    }

    /// Whether the directory lists the code.
    pub fn contains(&self, kbk: &Kbk) -> bool {
        self.entries.contains_key(kbk)
    }

    /// Entries matching every word of `query` (a code prefix, or a part of the name or group,
    /// ignoring case), in code order. A blank query matches nothing.
    pub fn search(&self, query: &str) -> Vec<&KbkEntry> {
        let words = query_words(query);
        self.entries.values().filter(|entry| matches_all(&words, &[entry.kbk.as_str()], &entry.search_text)).collect()
    }

    /// All entries in code order.
    pub fn entries(&self) -> impl Iterator<Item = &KbkEntry> {
        self.entries.values()
    }

    /// The number of codes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Never true for a loaded directory (an empty file is refused); here for completeness.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// KBe / KOd
// ---------------------------------------------------------------------------------------------

/// One KBe/KOd code with the name of its sector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbeEntry {
    kbe: Kbe,
    sector_name_ru: String,
    sector_name_en: String,
    search_text: String,
}

impl KbeEntry {
    /// The code.
    pub fn kbe(&self) -> Kbe {
        self.kbe
    }

    /// Resident or not (from the code).
    pub fn residency(&self) -> Residency {
        self.kbe.residency()
    }

    /// The sector (from the code).
    pub fn sector(&self) -> EconomicSector {
        self.kbe.sector()
    }

    /// The sector's Russian name, as KZ bank front-ends show it.
    pub fn sector_name_ru(&self) -> &str {
        &self.sector_name_ru
    }

    /// The sector's English name.
    pub fn sector_name_en(&self) -> &str {
        &self.sector_name_en
    }
}

/// The KBe/KOd directory (all 18 codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbeDirectory {
    entries: BTreeMap<Kbe, KbeEntry>,
}

impl KbeDirectory {
    /// Parses `kbe_kod_codes.csv` (columns `code, residency_digit, residency, sector_code,
    /// sector_name_ru, sector_name_en`). The residency and sector columns must agree with the
    /// code.
    pub fn from_csv(text: &str) -> Result<KbeDirectory, RefDataError> {
        let columns = ["code", "residency_digit", "residency", "sector_code", "sector_name_ru", "sector_name_en"];
        let rows = read_table(KBE_FILE, text, columns)?;
        let mut lines = BTreeMap::new();
        let mut entries = BTreeMap::new();
        for row in &rows {
            let [code, residency_digit, residency, sector_code, name_ru, name_en] = &row.values;
            let kbe = Kbe::parse(code).map_err(|e| row.problem(KBE_FILE, RowProblem::Kbe(e)))?;
            check_unique(KBE_FILE, &mut lines, kbe, row)?;
            let residency_token = match kbe.residency() {
                Residency::Resident => "resident",
                Residency::NonResident => "non_resident",
            };
            let expectations = [
                ("residency_digit", kbe.residency().digit().to_string(), residency_digit),
                ("residency", residency_token.to_owned(), residency),
                ("sector_code", kbe.sector().digit().to_string(), sector_code),
            ];
            for (column, expected, found) in expectations {
                if expected != *found {
                    let found = found.clone();
                    let problem = RowProblem::Inconsistent { column, expected, found };
                    return Err(row.problem(KBE_FILE, problem));
                }
            }
            if name_ru.is_empty() {
                let problem = RowProblem::EmptyField { column: "sector_name_ru" };
                return Err(row.problem(KBE_FILE, problem));
            }
            let search_text = format!("{name_ru}\n{name_en}").to_lowercase();
            let entry = KbeEntry { kbe, sector_name_ru: name_ru.clone(), sector_name_en: name_en.clone(), search_text };
            entries.insert(kbe, entry);
        }
        Ok(KbeDirectory { entries })
    }

    /// The entry for a code, if the directory lists it.
    pub fn get(&self, kbe: &Kbe) -> Option<&KbeEntry> {
        self.entries.get(kbe)
    }

    /// Whether the directory lists the code.
    pub fn contains(&self, kbe: &Kbe) -> bool {
        self.entries.contains_key(kbe)
    }

    /// Entries matching every word of `query` (a code prefix or a part of the sector name,
    /// ignoring case), in code order. A blank query matches nothing.
    pub fn search(&self, query: &str) -> Vec<&KbeEntry> {
        let words = query_words(query);
        self.entries.values().filter(|entry| matches_all(&words, &[entry.kbe.as_str()], &entry.search_text)).collect()
    }

    /// All entries in code order.
    pub fn entries(&self) -> impl Iterator<Item = &KbeEntry> {
        self.entries.values()
    }

    /// The number of codes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Never true for a loaded directory (an empty file is refused); here for completeness.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knp_rows_are_checked() {
        let header = "knp,name_ru,name_en_or_usage,section_first_digit,evidence_kind,source\n";
        let error = KnpDirectory::from_csv(&format!("{header}911,,Tax,8,bank,x\n")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "knp_partial.csv, line 2: column `section_first_digit` says \"8\", but \"9\" follows from the rest of the row"
        );
        let error = KnpDirectory::from_csv(&format!("{header}91,,Tax,9,bank,x\n")).unwrap_err();
        assert!(error.to_string().starts_with("knp_partial.csv, line 2: column `knp`"), "{error}");
        let error = KnpDirectory::from_csv(&format!("{header}911,,Tax,9,bank,x\n911,,Tax,9,bank,x\n")).unwrap_err();
        assert_eq!(error.to_string(), "knp_partial.csv, line 3: 911 is listed twice (first on line 2)");
        let error = KnpDirectory::from_csv(&format!("{header}911,,,9,bank,x\n")).unwrap_err();
        assert!(matches!(error, RefDataError::Row { problem: RowProblem::EmptyField { .. }, .. }));
    }

    #[test]
    fn kbe_rows_must_agree_with_the_code() {
        let header = "code,residency_digit,residency,sector_code,sector_name_ru,sector_name_en\n";
        let error = KbeDirectory::from_csv(&format!("{header}17,1,non_resident,7,Частные,Private\n")).unwrap_err();
        assert!(error.to_string().contains("column `residency`"), "{error}");
        let error = KbeDirectory::from_csv(&format!("{header}17,1,resident,9,Частные,Private\n")).unwrap_err();
        assert!(error.to_string().contains("column `sector_code`"), "{error}");
    }
}
