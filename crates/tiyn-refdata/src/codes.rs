//! Directories of payment classification codes: KNP (payment purpose), KBK (budget
//! classification) and KBe/KOd (residency and sector). `tiyn-core` checks their syntax; these
//! directories say whether a code is on the list and what it is called.
//!
//! The KNP and KBK lists are **partial** (see `data/kz/README.md`): a code missing here may
//! still be official. Callers decide whether "not in the directory" refuses or warns.
//!
//! The three directories behave alike (look up, search, list), so they are one type,
//! [`CodeDirectory`], over entry types that say what their code is and which text a search
//! looks in. What differs is each file's columns and the checks on its rows: those stay in
//! `parse_knp`, `parse_kbk` and `parse_kbe`.

use std::collections::BTreeMap;
use std::fmt::Display;

use tiyn_core::{EconomicSector, Kbe, Kbk, Knp, Residency};

use crate::error::{RefDataError, RowProblem};
use crate::table::{Row, matches_all, query_words, read_table};

pub(crate) const KNP_FILE: &str = "knp_partial.csv";
pub(crate) const KBK_FILE: &str = "kbk_common.csv";
pub(crate) const KBE_FILE: &str = "kbe_kod_codes.csv";

/// An entry of a [`CodeDirectory`]: what [`CodeDirectory`] needs to key, search and list it.
///
/// Implemented by [`KnpEntry`], [`KbkEntry`] and [`KbeEntry`] only. The trait is not exported
/// from the crate: entries are built by this crate's loaders, and the search text is an
/// internal, lower-cased index, not something to show.
pub trait DirectoryEntry {
    /// The code type from `tiyn-core`. `Display` names a code in a "listed twice" error.
    type Code: Ord + Copy + Display;

    /// The entry's code, the directory key.
    fn code(&self) -> Self::Code;

    /// The code as text, matched by prefix in a search ("72" offers 722).
    fn code_text(&self) -> &str;

    /// The lower-cased names a search looks in (matched by substring).
    fn search_text(&self) -> &str;
}

/// A directory of codes: one entry per code, in code order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDirectory<E: DirectoryEntry> {
    entries: BTreeMap<E::Code, E>,
}

impl<E: DirectoryEntry> CodeDirectory<E> {
    /// Reads `text` into a directory. The first of `columns` is the code, read by `parse_code`;
    /// a code listed twice is refused before the rest of its row is checked, so the operator
    /// hears about the duplicate first. `parse_entry` checks the rest of the row and builds the
    /// entry for the code.
    fn load<const N: usize>(
        file: &'static str,
        text: &str,
        columns: [&'static str; N],
        parse_code: impl Fn(&str) -> Result<E::Code, RowProblem>,
        parse_entry: impl Fn(E::Code, &Row<N>) -> Result<E, RefDataError>,
    ) -> Result<CodeDirectory<E>, RefDataError> {
        const { assert!(N > 0, "the first column is the code") };
        let rows = read_table(file, text, columns)?;
        let mut first_lines: BTreeMap<E::Code, u64> = BTreeMap::new();
        let mut entries = BTreeMap::new();
        for row in &rows {
            let code = parse_code(&row.values[0]).map_err(|problem| row.problem(file, problem))?;
            if let Some(&first_line) = first_lines.get(&code) {
                return Err(row.problem(file, RowProblem::Duplicate { value: code.to_string(), first_line }));
            }
            first_lines.insert(code, row.line);
            let entry = parse_entry(code, row)?;
            assert!(entry.code() == code, "{file}: an entry was built for another code than its row's");
            entries.insert(code, entry);
        }
        debug_assert_eq!(entries.len(), rows.len());
        Ok(CodeDirectory { entries })
    }

    /// The entry for a code, if the directory lists it.
    pub fn get(&self, code: &E::Code) -> Option<&E> {
        self.entries.get(code)
    }

    /// Whether the directory lists the code.
    pub fn contains(&self, code: &E::Code) -> bool {
        self.entries.contains_key(code)
    }

    /// Entries matching every word of `query` (a code prefix or a part of the entry's names,
    /// ignoring case), in code order. A blank query matches nothing. Which names are searched
    /// depends on the directory: the Russian and English names of a KNP, the name and group of
    /// a KBK, the Russian and English sector names of a KBe/KOd.
    pub fn search(&self, query: &str) -> Vec<&E> {
        let words = query_words(query);
        self.entries.values().filter(|entry| matches_all(&words, &[entry.code_text()], entry.search_text())).collect()
    }

    /// All entries in code order.
    pub fn entries(&self) -> impl Iterator<Item = &E> {
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

impl DirectoryEntry for KnpEntry {
    type Code = Knp;

    fn code(&self) -> Knp {
        self.knp
    }

    fn code_text(&self) -> &str {
        self.knp.as_str()
    }

    /// The Russian and English names.
    fn search_text(&self) -> &str {
        &self.search_text
    }
}

/// The KNP directory.
pub type KnpDirectory = CodeDirectory<KnpEntry>;

impl CodeDirectory<KnpEntry> {
    /// Parses `knp_partial.csv` (columns `knp, name_ru, name_en_or_usage,
    /// section_first_digit, evidence_kind, source`).
    pub fn from_csv(text: &str) -> Result<KnpDirectory, RefDataError> {
        let columns = ["knp", "name_ru", "name_en_or_usage", "section_first_digit", "evidence_kind", "source"];
        CodeDirectory::load(KNP_FILE, text, columns, |code| Knp::parse(code).map_err(RowProblem::Knp), parse_knp)
    }
}

fn parse_knp(knp: Knp, row: &Row<6>) -> Result<KnpEntry, RefDataError> {
    let [_, name_ru, name_en, section, evidence_kind, source] = &row.values;
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
    let search_text = format!("{}\n{}", name_ru.as_deref().unwrap_or_default(), name_en.as_deref().unwrap_or_default())
        .to_lowercase();
    Ok(KnpEntry { knp, name_ru, name_en, evidence_kind: evidence_kind.clone(), source: source.clone(), search_text })
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

impl DirectoryEntry for KbkEntry {
    type Code = Kbk;

    fn code(&self) -> Kbk {
        self.kbk
    }

    fn code_text(&self) -> &str {
        self.kbk.as_str()
    }

    /// The name and the group.
    fn search_text(&self) -> &str {
        &self.search_text
    }
}

/// The KBK directory.
pub type KbkDirectory = CodeDirectory<KbkEntry>;

impl CodeDirectory<KbkEntry> {
    /// Parses `kbk_common.csv` (columns `kbk, name, group, source`).
    pub fn from_csv(text: &str) -> Result<KbkDirectory, RefDataError> {
        let columns = ["kbk", "name", "group", "source"];
        CodeDirectory::load(KBK_FILE, text, columns, |code| Kbk::parse(code).map_err(RowProblem::Kbk), parse_kbk)
    }
}

fn parse_kbk(kbk: Kbk, row: &Row<4>) -> Result<KbkEntry, RefDataError> {
    let [_, name, group, source] = &row.values;
    if name.is_empty() {
        return Err(row.problem(KBK_FILE, RowProblem::EmptyField { column: "name" }));
    }
    let search_text = format!("{name}\n{group}").to_lowercase();
    Ok(KbkEntry { kbk, name: name.clone(), group: group.clone(), source: source.clone(), search_text })
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

impl DirectoryEntry for KbeEntry {
    type Code = Kbe;

    fn code(&self) -> Kbe {
        self.kbe
    }

    fn code_text(&self) -> &str {
        self.kbe.as_str()
    }

    /// The Russian and English sector names.
    fn search_text(&self) -> &str {
        &self.search_text
    }
}

/// The KBe/KOd directory (all 18 codes).
pub type KbeDirectory = CodeDirectory<KbeEntry>;

impl CodeDirectory<KbeEntry> {
    /// Parses `kbe_kod_codes.csv` (columns `code, residency_digit, residency, sector_code,
    /// sector_name_ru, sector_name_en`). The residency and sector columns must agree with the
    /// code.
    pub fn from_csv(text: &str) -> Result<KbeDirectory, RefDataError> {
        let columns = ["code", "residency_digit", "residency", "sector_code", "sector_name_ru", "sector_name_en"];
        CodeDirectory::load(KBE_FILE, text, columns, |code| Kbe::parse(code).map_err(RowProblem::Kbe), parse_kbe)
    }
}

fn parse_kbe(kbe: Kbe, row: &Row<6>) -> Result<KbeEntry, RefDataError> {
    let [_, residency_digit, residency, sector_code, name_ru, name_en] = &row.values;
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
    Ok(KbeEntry { kbe, sector_name_ru: name_ru.clone(), sector_name_en: name_en.clone(), search_text })
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

    /// The shared loader reports a repeated code as a duplicate even when the rest of the repeated
    /// row is also wrong, as each directory's own loop did before they shared one.
    #[test]
    fn a_repeated_code_is_a_duplicate_before_anything_else() {
        let header = "knp,name_ru,name_en_or_usage,section_first_digit,evidence_kind,source\n";
        let error = KnpDirectory::from_csv(&format!("{header}911,,Tax,9,bank,x\n911,,,8,bank,x\n")).unwrap_err();
        assert_eq!(error.to_string(), "knp_partial.csv, line 3: 911 is listed twice (first on line 2)");
        let error = KbkDirectory::from_csv("kbk,name,group,source\n105101,VAT,vat,x\n105101,,vat,x\n").unwrap_err();
        assert_eq!(error.to_string(), "kbk_common.csv, line 3: 105101 is listed twice (first on line 2)");
        let header = "code,residency_digit,residency,sector_code,sector_name_ru,sector_name_en\n";
        let rows = "17,1,resident,7,Частные,Private\n17,2,resident,7,,Private\n";
        let error = KbeDirectory::from_csv(&format!("{header}{rows}")).unwrap_err();
        assert_eq!(error.to_string(), "kbe_kod_codes.csv, line 3: 17 is listed twice (first on line 2)");
    }

    #[test]
    fn directories_look_up_search_and_list_in_code_order() {
        let directory = KbkDirectory::from_csv("kbk,name,group,source\n105101,VAT,vat,x\n101201,Income tax,cit,y\n")
            .expect("two valid rows");
        assert_eq!(directory.len(), 2);
        assert!(!directory.is_empty());
        let codes: Vec<&str> = directory.entries().map(|entry| entry.code_text()).collect();
        assert_eq!(codes, ["101201", "105101"]);
        let vat = Kbk::parse("105101").expect("a valid KBK");
        assert!(directory.contains(&vat));
        assert_eq!(directory.get(&vat).map(KbkEntry::name), Some("VAT"));
        let found = |query: &str| -> Vec<&str> { directory.search(query).iter().map(|e| e.code_text()).collect() };
        assert_eq!(found("10"), ["101201", "105101"]);
        assert_eq!(found("1052"), Vec::<&str>::new());
        assert_eq!(found("income CIT"), ["101201"]);
        assert!(found("  ").is_empty());
    }
}
