//! The directories a bank can replace and people can search (R-3.1.2.2): KNP, KBK, KBe/KOd,
//! the Kazakhstan banks and the banks abroad. One kind names a directory everywhere — the API's
//! path, the cabinet's tabs, the stored texts, `tiyn admin directories load --kind` — and one
//! function answers a search of any of them, so the API and the cabinet list the same entries.

use crate::{BankEntry, CsvTexts, ForeignBank, KbeEntry, KbkEntry, KnpEntry, ReferenceData};

/// A directory that can be searched and replaced by an updated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DirectoryKind {
    Knp,
    Kbk,
    Kbe,
    /// The NBK directory of Kazakhstan banks and payment participants.
    Banks,
    /// Banks abroad by SWIFT BIC.
    ForeignBanks,
}

impl DirectoryKind {
    /// Every kind, in the order the cabinet shows them.
    pub const ALL: [DirectoryKind; 5] =
        [DirectoryKind::Knp, DirectoryKind::Kbk, DirectoryKind::Kbe, DirectoryKind::Banks, DirectoryKind::ForeignBanks];

    /// The name in paths, stored rows and the command line: `knp`, `kbk`, `kbe`, `banks`,
    /// `foreign-banks`.
    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryKind::Knp => "knp",
            DirectoryKind::Kbk => "kbk",
            DirectoryKind::Kbe => "kbe",
            DirectoryKind::Banks => "banks",
            DirectoryKind::ForeignBanks => "foreign-banks",
        }
    }

    /// The kind named `text` (exactly as [`Self::as_str`] writes it).
    pub fn parse(text: &str) -> Option<DirectoryKind> {
        DirectoryKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The file name its errors name (the vendored file's).
    pub fn file_name(self) -> &'static str {
        match self {
            DirectoryKind::Knp => crate::codes::KNP_FILE,
            DirectoryKind::Kbk => crate::codes::KBK_FILE,
            DirectoryKind::Kbe => crate::codes::KBE_FILE,
            DirectoryKind::Banks => crate::banks::FILE,
            DirectoryKind::ForeignBanks => crate::foreign::FILE,
        }
    }
}

impl std::fmt::Display for DirectoryKind {
    /// Pads like a string (`{:<14}` aligns a table of kinds).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One entry of a directory, as a search answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryItem<'a> {
    Knp(&'a KnpEntry),
    Kbk(&'a KbkEntry),
    Kbe(&'a KbeEntry),
    Bank(&'a BankEntry),
    ForeignBank(&'a ForeignBank),
}

impl<'a> CsvTexts<'a> {
    /// The text of one directory.
    pub fn text(&self, kind: DirectoryKind) -> &'a str {
        match kind {
            DirectoryKind::Knp => self.knp,
            DirectoryKind::Kbk => self.kbk,
            DirectoryKind::Kbe => self.kbe_kod,
            DirectoryKind::Banks => self.banks_bic,
            DirectoryKind::ForeignBanks => self.foreign_banks,
        }
    }

    /// These texts with one directory's text replaced.
    pub fn with_text(self, kind: DirectoryKind, text: &'a str) -> CsvTexts<'a> {
        let mut texts = self;
        match kind {
            DirectoryKind::Knp => texts.knp = text,
            DirectoryKind::Kbk => texts.kbk = text,
            DirectoryKind::Kbe => texts.kbe_kod = text,
            DirectoryKind::Banks => texts.banks_bic = text,
            DirectoryKind::ForeignBanks => texts.foreign_banks = text,
        }
        debug_assert_eq!(texts.text(kind), text);
        texts
    }
}

impl ReferenceData {
    /// The number of entries of one directory.
    pub fn rows(&self, kind: DirectoryKind) -> usize {
        match kind {
            DirectoryKind::Knp => self.knp().len(),
            DirectoryKind::Kbk => self.kbk().len(),
            DirectoryKind::Kbe => self.kbe().len(),
            DirectoryKind::Banks => self.banks().entries().len(),
            DirectoryKind::ForeignBanks => self.foreign_banks().entries().len(),
        }
    }

    /// At most `limit` entries of a directory matching every word of `query` (a code or BIC
    /// prefix, or a part of the names, as each directory's `search` does); a blank query lists
    /// the directory from its start (codes in order; active banks first).
    pub fn find(&self, kind: DirectoryKind, query: &str, limit: usize) -> Vec<DirectoryItem<'_>> {
        let blank = query.trim().is_empty();
        let items: Vec<DirectoryItem<'_>> = match kind {
            DirectoryKind::Knp if blank => self.knp().entries().take(limit).map(DirectoryItem::Knp).collect(),
            DirectoryKind::Knp => self.knp().search(query).into_iter().take(limit).map(DirectoryItem::Knp).collect(),
            DirectoryKind::Kbk if blank => self.kbk().entries().take(limit).map(DirectoryItem::Kbk).collect(),
            DirectoryKind::Kbk => self.kbk().search(query).into_iter().take(limit).map(DirectoryItem::Kbk).collect(),
            DirectoryKind::Kbe if blank => self.kbe().entries().take(limit).map(DirectoryItem::Kbe).collect(),
            DirectoryKind::Kbe => self.kbe().search(query).into_iter().take(limit).map(DirectoryItem::Kbe).collect(),
            DirectoryKind::Banks => {
                let mut found: Vec<&BankEntry> = match blank {
                    true => self.banks().entries().iter().collect(),
                    false => self.banks().search(query),
                };
                found.sort_by_key(|entry| !entry.active());
                found.into_iter().take(limit).map(DirectoryItem::Bank).collect()
            }
            DirectoryKind::ForeignBanks if blank => {
                self.foreign_banks().entries().iter().take(limit).map(DirectoryItem::ForeignBank).collect()
            }
            DirectoryKind::ForeignBanks => {
                self.foreign_banks().search(query).into_iter().take(limit).map(DirectoryItem::ForeignBank).collect()
            }
        };
        debug_assert!(items.len() <= limit);
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_and_name_their_files() {
        for kind in DirectoryKind::ALL {
            assert_eq!(DirectoryKind::parse(kind.as_str()), Some(kind));
            assert!(kind.file_name().ends_with(".csv"));
        }
        assert_eq!(DirectoryKind::parse("foreign_banks"), None);
        assert_eq!(DirectoryKind::parse("KNP"), None);
    }

    #[test]
    fn texts_are_replaced_one_kind_at_a_time() {
        let texts = CsvTexts::EMBEDDED.with_text(DirectoryKind::Kbe, "x");
        assert_eq!(texts.text(DirectoryKind::Kbe), "x");
        assert_eq!(texts.text(DirectoryKind::Knp), CsvTexts::EMBEDDED.knp);
    }

    #[test]
    fn find_lists_from_the_start_or_searches_within_the_limit() {
        let data = ReferenceData::embedded().expect("the embedded data loads");
        assert_eq!(data.find(DirectoryKind::Knp, " ", 3).len(), 3);
        assert_eq!(data.find(DirectoryKind::Kbe, "", 100).len(), data.rows(DirectoryKind::Kbe));
        let kaspi = data.find(DirectoryKind::Banks, "722", 10);
        assert!(matches!(kaspi.as_slice(), [DirectoryItem::Bank(entry)] if entry.bic().as_str() == "CASPKZKA"));
        let listed = data.find(DirectoryKind::Banks, "", 1000);
        assert!(matches!(listed.first(), Some(DirectoryItem::Bank(entry)) if entry.active()));
        assert_eq!(data.find(DirectoryKind::ForeignBanks, "deut", 5).len(), 5);
    }
}
