//! The NBK directory of banks and payment participants: BIC ↔ IBAN bank code ↔ name.
//!
//! A Kazakhstan IBAN carries a three-digit bank code at positions 5–7, assigned by the NBK
//! together with the bank's BIC, one-to-one for active participants (FACTS.md §1, §3). So a
//! payment form can fill the BIC from the IBAN, and must refuse a BIC that contradicts it.

use std::collections::BTreeMap;

use tiyn_core::{Bic, Iban};

use crate::error::{RefDataError, RowProblem};
use crate::table::{Row, matches_all, query_words, read_table};

pub(crate) const FILE: &str = "banks_bic.csv";

/// What kind of participant a directory entry is (column `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstitutionKind {
    /// A second-tier bank.
    Bank,
    /// The National Bank of Kazakhstan.
    CentralBank,
    /// The Treasury Committee of the Ministry of Finance: the beneficiary bank of every tax
    /// and budget payment.
    StateTreasury,
    /// A state organisation with a BIC, such as the State Corporation "Government for Citizens"
    /// that receives pension and social contributions.
    StateOrganisation,
    /// A non-bank organisation with a BIC (Kazpost, KASE, the securities depository, …).
    NonBankOrganisation,
    /// A state development bank.
    DevelopmentBank,
    /// An international organisation (EDB, the Interstate Bank).
    InternationalOrganisation,
    /// Historical entries whose kind was not recorded.
    Unclassified,
}

impl InstitutionKind {
    const ALL: [InstitutionKind; 8] = [
        InstitutionKind::Bank,
        InstitutionKind::CentralBank,
        InstitutionKind::StateTreasury,
        InstitutionKind::StateOrganisation,
        InstitutionKind::NonBankOrganisation,
        InstitutionKind::DevelopmentBank,
        InstitutionKind::InternationalOrganisation,
        InstitutionKind::Unclassified,
    ];

    /// The token used in the CSV file.
    pub fn as_str(self) -> &'static str {
        match self {
            InstitutionKind::Bank => "bank",
            InstitutionKind::CentralBank => "central_bank",
            InstitutionKind::StateTreasury => "state_treasury",
            InstitutionKind::StateOrganisation => "state_org",
            InstitutionKind::NonBankOrganisation => "non_bank_org",
            InstitutionKind::DevelopmentBank => "development_bank",
            InstitutionKind::InternationalOrganisation => "international_org",
            InstitutionKind::Unclassified => "bank_or_org",
        }
    }

    fn parse(token: &str) -> Option<InstitutionKind> {
        InstitutionKind::ALL.into_iter().find(|kind| kind.as_str() == token)
    }
}

/// One participant of the directory. Always has a valid BIC and a Russian name; active
/// entries always have a bank code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankEntry {
    bic: Bic,
    iban_bank_code: Option<String>,
    name_ru: String,
    name_kk: Option<String>,
    kind: InstitutionKind,
    active: bool,
    note: Option<String>,
    /// Lower-cased names, prepared once for [`BankDirectory::search`].
    search_text: String,
}

impl BankEntry {
    /// The BIC, e.g. `CASPKZKA`.
    pub fn bic(&self) -> &Bic {
        &self.bic
    }

    /// The three-digit code at positions 5–7 of this participant's IBANs, e.g. `"722"`.
    /// Some historical entries have none recorded.
    pub fn iban_bank_code(&self) -> Option<&str> {
        self.iban_bank_code.as_deref()
    }

    /// The Russian name as in the NBK directory, e.g. `АО «KASPI BANK»`.
    pub fn name_ru(&self) -> &str {
        &self.name_ru
    }

    /// The Kazakh name, where the directory has one.
    pub fn name_kk(&self) -> Option<&str> {
        self.name_kk.as_deref()
    }

    /// The kind of participant.
    pub fn kind(&self) -> InstitutionKind {
        self.kind
    }

    /// Whether the participant is in the current directory. Payments go only to active ones;
    /// historical ones are kept to read old statements.
    pub fn active(&self) -> bool {
        self.active
    }

    /// A free-text note (former names, purpose), if any.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

/// The directory of banks, searchable by bank code, BIC and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankDirectory {
    entries: Vec<BankEntry>,
    /// Primary-office BIC → index.
    by_bic: BTreeMap<String, usize>,
    /// Bank code → index of the active entry, or of the first historical one if none is active.
    by_code: BTreeMap<String, usize>,
}

impl BankDirectory {
    /// Parses `banks_bic.csv` (columns `bic, iban_bank_code, name_ru, name_kk, kind, status,
    /// note`; `status` is `active…` or `historical`).
    pub fn from_csv(text: &str) -> Result<BankDirectory, RefDataError> {
        let rows = read_table(FILE, text, ["bic", "iban_bank_code", "name_ru", "name_kk", "kind", "status", "note"])?;
        let mut entries = Vec::with_capacity(rows.len());
        let mut lines = Vec::with_capacity(rows.len());
        for row in &rows {
            entries.push(parse_entry(row)?);
            lines.push(row.line);
        }

        let mut by_bic = BTreeMap::new();
        let mut active_codes = BTreeMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let key = entry.bic.primary_office().as_str().to_owned();
            if let Some(&first) = by_bic.get(&key) {
                let problem = RowProblem::Duplicate { value: key, first_line: lines[first] };
                return Err(RefDataError::Row { file: FILE, line: lines[index], problem });
            }
            by_bic.insert(key, index);
            if let (true, Some(code)) = (entry.active, &entry.iban_bank_code) {
                if let Some(&first) = active_codes.get(code) {
                    let value = format!("active bank code {code}");
                    let problem = RowProblem::Duplicate { value, first_line: lines[first] };
                    return Err(RefDataError::Row { file: FILE, line: lines[index], problem });
                }
                active_codes.insert(code.clone(), index);
            }
        }
        let mut by_code = active_codes;
        for (index, entry) in entries.iter().enumerate() {
            if let Some(code) = &entry.iban_bank_code {
                by_code.entry(code.clone()).or_insert(index);
            }
        }

        let directory = BankDirectory { entries, by_bic, by_code };
        debug_assert_eq!(directory.by_bic.len(), directory.entries.len());
        Ok(directory)
    }

    /// All entries in file order.
    pub fn entries(&self) -> &[BankEntry] {
        &self.entries
    }

    /// The entry with this IBAN bank code: the active one, or a historical one if no active
    /// participant has the code (check [`BankEntry::active`] before sending money).
    pub fn by_iban_bank_code(&self, code: &str) -> Option<&BankEntry> {
        self.by_code.get(code.trim()).map(|&index| &self.entries[index])
    }

    /// The entry for this BIC. An 11-character BIC is looked up by its primary office
    /// (`CASPKZKAXXX` and `CASPKZKA001` both find Kaspi), because the directory lists
    /// institutions, not branches.
    pub fn by_bic(&self, bic: &Bic) -> Option<&BankEntry> {
        self.by_bic.get(bic.primary_office().as_str()).map(|&index| &self.entries[index])
    }

    /// The BIC of the bank that keeps a Kazakhstan IBAN: `None` for foreign IBANs and for bank
    /// codes that no active participant has.
    pub fn bic_for_iban(&self, iban: &Iban) -> Option<&Bic> {
        let entry = self.by_iban_bank_code(iban.kz_bank_code()?)?;
        entry.active.then_some(&entry.bic)
    }

    /// Entries matching every word of `query`: a word matches a prefix of the bank code or the
    /// BIC, or a part of the Russian or Kazakh name, ignoring case. Active entries come first.
    /// A blank query matches nothing (use [`Self::entries`] to list all).
    pub fn search(&self, query: &str) -> Vec<&BankEntry> {
        let words = query_words(query);
        let mut found: Vec<&BankEntry> = self
            .entries
            .iter()
            .filter(|entry| {
                let bic = entry.bic.as_str().to_lowercase();
                let code = entry.iban_bank_code.as_deref().unwrap_or_default();
                matches_all(&words, &[code, &bic], &entry.search_text)
            })
            .collect();
        found.sort_by_key(|entry| !entry.active);
        found
    }
}

fn parse_entry(row: &Row<7>) -> Result<BankEntry, RefDataError> {
    let [bic, code, name_ru, name_kk, kind, status, note] = &row.values;
    let bic = Bic::parse(bic).map_err(|e| row.problem(FILE, RowProblem::Bic(e)))?;
    let active = match status.as_str() {
        "historical" => false,
        // `active_2025`: the suffix is the directory edition the row was checked against.
        status if status == "active" || status.starts_with("active_") => true,
        _ => {
            return Err(row.problem(
                FILE,
                RowProblem::InvalidValue {
                    column: "status",
                    value: status.clone(),
                    expected: "`active`, `active_<edition>` or `historical`",
                },
            ));
        }
    };
    let iban_bank_code = match code.as_str() {
        "" if active => {
            return Err(row.problem(FILE, RowProblem::EmptyField { column: "iban_bank_code" }));
        }
        "" => None,
        code if code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) => Some(code.to_owned()),
        code => {
            return Err(row.problem(
                FILE,
                RowProblem::InvalidValue { column: "iban_bank_code", value: code.to_owned(), expected: "three digits" },
            ));
        }
    };
    if name_ru.is_empty() {
        return Err(row.problem(FILE, RowProblem::EmptyField { column: "name_ru" }));
    }
    let Some(kind) = InstitutionKind::parse(kind) else {
        return Err(row.problem(
            FILE,
            RowProblem::InvalidValue {
                column: "kind",
                value: kind.clone(),
                expected: "a known kind (bank, central_bank, state_treasury, state_org, non_bank_org, development_bank, international_org, bank_or_org)",
            },
        ));
    };
    let name_kk = (!name_kk.is_empty()).then(|| name_kk.clone());
    let search_text = format!("{name_ru}\n{}", name_kk.as_deref().unwrap_or_default()).to_lowercase();
    Ok(BankEntry {
        bic,
        iban_bank_code,
        name_ru: name_ru.clone(),
        name_kk,
        kind,
        active,
        note: (!note.is_empty()).then(|| note.clone()),
        search_text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "bic,iban_bank_code,name_ru,name_kk,kind,status,note\n";

    fn load(rows: &str) -> Result<BankDirectory, RefDataError> {
        BankDirectory::from_csv(&format!("{HEADER}{rows}"))
    }

    #[test]
    fn errors_name_the_file_line_and_problem() {
        let error = load("CASPKZKA,722,Каспи,,bank,active_2025,\nCASPKZK,723,X,,bank,active_2025,\n").unwrap_err();
        assert_eq!(error.to_string(), "banks_bic.csv, line 3: column `bic`: a BIC has 8 or 11 characters; found 7");

        let error = load("CASPKZKA,72,Каспи,,bank,active_2025,\n").unwrap_err();
        assert!(matches!(error, RefDataError::Row { line: 2, .. }), "{error}");

        let error = load("CASPKZKA,,Каспи,,bank,active_2025,\n").unwrap_err();
        assert_eq!(
            error,
            RefDataError::Row { file: FILE, line: 2, problem: RowProblem::EmptyField { column: "iban_bank_code" } }
        );

        let error = load("CASPKZKA,722,Каспи,,bank,closed,\n").unwrap_err();
        assert!(error.to_string().contains("column `status`: \"closed\""), "{error}");

        let error = load("CASPKZKA,722,Каспи,,bank,active_2025,\nHSBKKZKX,722,Халык,,bank,active,\n").unwrap_err();
        assert_eq!(error.to_string(), "banks_bic.csv, line 3: active bank code 722 is listed twice (first on line 2)");

        let error = load("CASPKZKA,722,Каспи,,bank,active,\ncaspkzka,,Старый,,bank_or_org,historical,\n").unwrap_err();
        assert!(error.to_string().contains("CASPKZKA is listed twice"), "{error}");

        let error = BankDirectory::from_csv("bic,name_ru\nCASPKZKA,Каспи\n").unwrap_err();
        assert_eq!(error, RefDataError::MissingColumn { file: FILE, column: "iban_bank_code" });

        let error = BankDirectory::from_csv(HEADER).unwrap_err();
        assert_eq!(error, RefDataError::NoRows { file: FILE });

        let error = load("CASPKZKA,722\n").unwrap_err();
        assert!(matches!(error, RefDataError::Csv { line: Some(2), .. }), "{error}");
    }

    #[test]
    fn historical_codes_do_not_shadow_active_ones() {
        let directory =
            load("OLDBKZKA,722,Старый банк,,bank_or_org,historical,\nCASPKZKA,722,Каспи,,bank,active,\n").unwrap();
        assert_eq!(directory.by_iban_bank_code("722").unwrap().bic().as_str(), "CASPKZKA");
        let old = load("OLDBKZKA,922,Старый банк,,bank_or_org,historical,\n").unwrap();
        assert!(!old.by_iban_bank_code("922").unwrap().active());
        let iban = Iban::from_bban("KZ", "9220000000000000").unwrap();
        assert_eq!(old.bic_for_iban(&iban), None, "no payments to historical banks");
    }
}
