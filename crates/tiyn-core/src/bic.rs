//! BIC (ISO 9362, "SWIFT code"), the bank identifier on every Kazakhstan payment order.
//!
//! Layout: 4 letters institution, 2 letters country, 2 letters-or-digits location, and an
//! optional 3 letters-or-digits branch. Kazakhstan's NBK assigns codes in the same layout to
//! institutions outside SWIFT, with a digit in the location (`KKMFKZ2A` the Treasury,
//! `GCVPKZ2A` the State Corporation, `ZAJSKZ22` Zaman): these are accepted like any other BIC.
//!
//! # Normalisation policy
//!
//! Surrounding whitespace is trimmed and ASCII letters are upper-cased. Inner spaces are *not*
//! removed: nobody prints a BIC in groups, so a space inside is a mistake worth showing. Errors
//! give 1-based positions counted after trimming.

use std::fmt;
use std::str::FromStr;

use crate::iban::CharClass;

/// A BIC without a branch has 8 characters.
pub const BIC_LENGTH_SHORT: usize = 8;
/// A BIC with a branch has 11 characters.
pub const BIC_LENGTH_LONG: usize = 11;

/// The required class of each of the 11 positions (the first 8 for a short BIC).
const BIC_LAYOUT: [CharClass; BIC_LENGTH_LONG] = [
    CharClass::Letter,
    CharClass::Letter,
    CharClass::Letter,
    CharClass::Letter,
    CharClass::Letter,
    CharClass::Letter,
    CharClass::LetterOrDigit,
    CharClass::LetterOrDigit,
    CharClass::LetterOrDigit,
    CharClass::LetterOrDigit,
    CharClass::LetterOrDigit,
];

/// Why a BIC was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BicError {
    #[error("the BIC is empty")]
    Empty,
    #[error("a BIC has 8 or 11 characters; found {found}")]
    WrongLength { found: usize },
    #[error("the character {character:?} at position {position} of the BIC must be {expected}")]
    InvalidCharacter { position: usize, character: char, expected: CharClass },
}

impl BicError {
    /// Stable API code for the field.
    pub fn code(&self) -> &'static str {
        "invalid_bic"
    }

    /// Stable snake_case name of the variant.
    pub fn reason(&self) -> &'static str {
        match self {
            BicError::Empty => "empty",
            BicError::WrongLength { .. } => "wrong_length",
            BicError::InvalidCharacter { .. } => "invalid_character",
        }
    }
}

/// A syntactically valid BIC in canonical (upper-case) form, 8 or 11 characters.
///
/// Whether the BIC belongs to a real institution is the bank directory's question
/// (`tiyn-refdata`), not this type's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bic {
    canonical: String,
}

impl Bic {
    /// Parses a BIC, applying the normalisation policy in the module docs.
    pub fn parse(input: &str) -> Result<Bic, BicError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(BicError::Empty);
        }
        let characters: Vec<char> = trimmed.chars().map(|c| c.to_ascii_uppercase()).collect();
        // Characters before length, so a stray space or Cyrillic letter is named even when it
        // also makes the length wrong.
        for (index, (&character, expected)) in characters.iter().zip(BIC_LAYOUT).enumerate() {
            if !expected.admits(character) {
                return Err(BicError::InvalidCharacter { position: index + 1, character, expected });
            }
        }
        if characters.len() != BIC_LENGTH_SHORT && characters.len() != BIC_LENGTH_LONG {
            return Err(BicError::WrongLength { found: characters.len() });
        }
        let canonical: String = characters.into_iter().collect();
        debug_assert!(canonical.is_ascii());
        Ok(Bic { canonical })
    }

    /// The canonical form, e.g. `CASPKZKA`.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The four-letter institution code, e.g. `CASP`.
    pub fn institution(&self) -> &str {
        &self.canonical[0..4]
    }

    /// The ISO 3166 alpha-2 country code, e.g. `KZ`.
    pub fn country(&self) -> &str {
        &self.canonical[4..6]
    }

    /// The two-character location code, e.g. `KA`, or `2A` for NBK-assigned non-SWIFT codes.
    pub fn location(&self) -> &str {
        &self.canonical[6..8]
    }

    /// The three-character branch code of an 11-character BIC (`XXX` is the primary office).
    pub fn branch(&self) -> Option<&str> {
        (self.canonical.len() == BIC_LENGTH_LONG).then(|| &self.canonical[8..11])
    }

    /// The 8-character BIC of the institution's primary office. Directories of Kazakhstan banks
    /// list institutions by this form, and `CASPKZKAXXX` means the same office as `CASPKZKA`.
    pub fn primary_office(&self) -> Bic {
        let primary = Bic { canonical: self.canonical[..BIC_LENGTH_SHORT].to_owned() };
        debug_assert_eq!(primary.institution(), self.institution());
        primary
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl FromStr for Bic {
    type Err = BicError;
    fn from_str(input: &str) -> Result<Bic, BicError> {
        Bic::parse(input)
    }
}

impl AsRef<str> for Bic {
    fn as_ref(&self) -> &str {
        &self.canonical
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_kazakhstan_bics() {
        let kaspi = Bic::parse("CASPKZKA").unwrap();
        assert_eq!(kaspi.institution(), "CASP");
        assert_eq!(kaspi.country(), "KZ");
        assert_eq!(kaspi.location(), "KA");
        assert_eq!(kaspi.branch(), None);
        assert_eq!(kaspi.as_str(), "CASPKZKA");

        // Non-SWIFT codes assigned by the NBK.
        for code in ["KKMFKZ2A", "GCVPKZ2A", "ZAJSKZ22"] {
            assert_eq!(Bic::parse(code).unwrap().as_str(), code);
        }

        let long = Bic::parse(" hsbkkzkxxxx ").unwrap();
        assert_eq!(long.as_str(), "HSBKKZKXXXX");
        assert_eq!(long.branch(), Some("XXX"));
        assert_eq!(long.primary_office().as_str(), "HSBKKZKX");
    }

    /// wrong BICs are refused with the exact reason.
    #[test]
    fn refuses_wrong_bics_precisely() {
        assert_eq!(Bic::parse("  "), Err(BicError::Empty));
        assert_eq!(Bic::parse("CASPKZK"), Err(BicError::WrongLength { found: 7 }));
        assert_eq!(Bic::parse("CASPKZKA1"), Err(BicError::WrongLength { found: 9 }));
        assert_eq!(
            Bic::parse("CASP KZKA"),
            Err(BicError::InvalidCharacter { position: 5, character: ' ', expected: CharClass::Letter })
        );
        assert_eq!(
            Bic::parse("CAS1KZKA"),
            Err(BicError::InvalidCharacter { position: 4, character: '1', expected: CharClass::Letter })
        );
        // Cyrillic К in the country code.
        assert_eq!(
            Bic::parse("CASPКZKA"),
            Err(BicError::InvalidCharacter { position: 5, character: 'К', expected: CharClass::Letter })
        );
        assert_eq!(
            Bic::parse("CASPKZK-"),
            Err(BicError::InvalidCharacter { position: 8, character: '-', expected: CharClass::LetterOrDigit })
        );
        assert_eq!(Bic::parse("x").unwrap_err().code(), "invalid_bic");
    }

    proptest! {
        #[test]
        fn generated_bics_round_trip(bic in "[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?") {
            let parsed = Bic::parse(&bic).unwrap();
            prop_assert_eq!(parsed.as_str(), bic.as_str());
            prop_assert_eq!(&Bic::parse(&bic.to_lowercase()).unwrap(), &parsed);
            let primary = parsed.primary_office();
            prop_assert_eq!(primary.as_str(), &bic[..8]);
        }

        #[test]
        fn other_lengths_are_refused(bic in "[A-Z]{6}[A-Z0-9]{0,1}|[A-Z]{6}[A-Z0-9]{3,4}|[A-Z]{6}[A-Z0-9]{6,10}") {
            prop_assert!(Bic::parse(&bic).is_err());
        }

        #[test]
        fn parse_never_panics(input in "\\PC{0,20}") {
            let _ = Bic::parse(&input);
        }
    }
}
