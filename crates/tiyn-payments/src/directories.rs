//! What a draft is checked against besides its own fields: the reference directories and which
//! bank "we" are.

use tiyn_refdata::{BankEntry, InstitutionKind, ReferenceData};

/// The reference data and this bank's place in it, borrowed for the length of a parse.
///
/// Built once per request (it only borrows), from the server's loaded [`ReferenceData`] and its
/// configured bank code (`--bank-code`, `TIYN_BANK_CODE`).
#[derive(Debug, Clone, Copy)]
pub struct Directories<'a> {
    reference: &'a ReferenceData,
    own_bank: &'a BankEntry,
}

/// Why the directories could not be assembled: a configuration error, found at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoriesError {
    #[error("bank code {0:?} is not an active bank in the NBK bank directory")]
    UnknownOwnBank(String),
}

impl DirectoriesError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        "unknown_own_bank"
    }
}

impl<'a> Directories<'a> {
    /// `own_bank_code` is the three-digit code in this bank's IBANs (FACTS.md §1). It must be
    /// an active bank of the directory: a bank that is not in the NBK directory cannot send
    /// interbank payments, and the check "the payee is at another bank" needs to know ours.
    pub fn new(reference: &'a ReferenceData, own_bank_code: &str) -> Result<Directories<'a>, DirectoriesError> {
        let own_bank = reference
            .banks()
            .by_iban_bank_code(own_bank_code)
            .filter(|entry| entry.active() && entry.kind() == InstitutionKind::Bank)
            .ok_or_else(|| DirectoriesError::UnknownOwnBank(own_bank_code.chars().take(8).collect()))?;
        debug_assert_eq!(own_bank.iban_bank_code(), Some(own_bank_code.trim()));
        Ok(Directories { reference, own_bank })
    }

    /// All reference data: banks, KNP, KBK, KBe, the calendar, the treasury account.
    pub fn reference(&self) -> &'a ReferenceData {
        self.reference
    }

    /// This bank's directory entry.
    pub fn own_bank(&self) -> &'a BankEntry {
        self.own_bank
    }

    /// This bank's three-digit IBAN bank code, e.g. `"722"`.
    pub fn own_bank_code(&self) -> &'a str {
        match self.own_bank.iban_bank_code() {
            Some(code) => code,
            None => unreachable!("Directories::new only accepts an entry found by its bank code"),
        }
    }
}
