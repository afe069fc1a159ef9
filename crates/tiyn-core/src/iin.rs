//! IIN and BIN: Kazakhstan's 12-digit identification numbers of individuals and of legal
//! entities (FACTS.md §2).
//!
//! Both end in a check digit computed the same way (two weight passes, see
//! [`check_digit`]). A BIN also has a structure that is checked strictly: registration month
//! 01..=12 in digits 3–4, type 4/5/6 in digit 5 and subdivision 0..=4 in digit 6. The IIN's
//! birth-date layout is *not* enforced: the 2023 rules define an IIN only as twelve digits with
//! a check digit, so [`Iin::birth_date`] is offered as a hint for warnings, not a validation.
//!
//! Individual entrepreneurs (ИП) have no BIN and use their IIN wherever a BIN is asked, so
//! payment forms take a [`TaxpayerId`], which decides by digit 5: a BIN has 4, 5 or 6 there,
//! a birth-date IIN has the tens digit of the day (0..=3).
//!
//! # Normalisation policy
//!
//! As for every digit code in this crate (see [`crate::codes`]): surrounding whitespace is
//! trimmed; then exactly twelve ASCII digits, nothing else.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

use crate::codes::{DigitsError, ascii_str, digit_error_variants_from, digit_value, parse_ascii_digits};

/// Digits in an IIN or BIN.
pub const TAX_ID_LENGTH: usize = 12;

const FIRST_PASS_WEIGHTS: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SECOND_PASS_WEIGHTS: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// The check digit for the first eleven digits (ASCII bytes), or `None` when both weight
/// passes give 10: such numbers are never issued.
///
/// The rule (order No. 521 of 29.06.2023, used for BINs too): the sum of the digits weighted
/// 1..=11, modulo 11; if that is 10, the sum weighted 3..=11,1,2, modulo 11; if that is 10 too,
/// no check digit exists.
fn check_digit(first_eleven: &[u8]) -> Option<u8> {
    assert_eq!(first_eleven.len(), 11, "the check digit covers exactly eleven digits");
    let weighted = |weights: &[u32; 11]| -> u32 {
        first_eleven.iter().zip(weights).map(|(&byte, &weight)| u32::from(digit_value(byte)) * weight).sum::<u32>() % 11
    };
    let first = weighted(&FIRST_PASS_WEIGHTS);
    let check = if first == 10 { weighted(&SECOND_PASS_WEIGHTS) } else { first };
    // `check` is below 11, so the conversion cannot truncate.
    (check != 10).then_some(check as u8)
}

/// Why the check digit of an IIN or BIN is wrong; shared by both error types.
fn verify_check_digit(digits: &[u8; TAX_ID_LENGTH]) -> Result<(), ChecksumProblem> {
    match check_digit(&digits[..11]) {
        None => Err(ChecksumProblem::NoCheckDigitPossible),
        Some(expected) if expected == digit_value(digits[11]) => Ok(()),
        Some(_) => Err(ChecksumProblem::Mismatch),
    }
}

enum ChecksumProblem {
    NoCheckDigitPossible,
    Mismatch,
}

/// Appends the computed check digit to eleven digits, for building IINs and BINs in demo data
/// and tests.
fn complete(first_eleven: &str) -> Result<[u8; TAX_ID_LENGTH], CompletionProblem> {
    let eleven = parse_ascii_digits::<11>(first_eleven).map_err(CompletionProblem::Digits)?;
    let Some(check) = check_digit(&eleven) else {
        return Err(CompletionProblem::NoCheckDigitPossible);
    };
    let mut digits = [0u8; TAX_ID_LENGTH];
    digits[..11].copy_from_slice(&eleven);
    digits[11] = b'0' + check;
    Ok(digits)
}

enum CompletionProblem {
    Digits(DigitsError),
    NoCheckDigitPossible,
}

// ---------------------------------------------------------------------------------------------
// IIN
// ---------------------------------------------------------------------------------------------

/// IIN, *индивидуальный идентификационный номер*: the 12-digit number of an individual, also
/// used by individual entrepreneurs as their taxpayer number. Always has a correct check digit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iin {
    digits: [u8; TAX_ID_LENGTH],
}

/// Why an IIN was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IinError {
    #[error("the IIN is empty")]
    Empty,
    #[error("an IIN has {expected} digits; found {found} characters")]
    WrongLength { expected: usize, found: usize },
    #[error("an IIN contains digits only; found {character:?} at position {position}")]
    InvalidCharacter { position: usize, character: char },
    #[error("no IIN has these first eleven digits: no check digit exists for them")]
    NoCheckDigitPossible,
    #[error("the IIN check digit does not match: a digit is mistyped")]
    Checksum,
}

digit_error_variants_from!(IinError);

impl IinError {
    /// Stable API code for the field.
    pub fn code(&self) -> &'static str {
        "invalid_iin"
    }

    /// Stable snake_case name of the variant.
    pub fn reason(&self) -> &'static str {
        match self {
            IinError::Empty => "empty",
            IinError::WrongLength { .. } => "wrong_length",
            IinError::InvalidCharacter { .. } => "invalid_character",
            IinError::NoCheckDigitPossible => "no_check_digit_possible",
            IinError::Checksum => "checksum",
        }
    }
}

impl From<ChecksumProblem> for IinError {
    fn from(problem: ChecksumProblem) -> IinError {
        match problem {
            ChecksumProblem::NoCheckDigitPossible => IinError::NoCheckDigitPossible,
            ChecksumProblem::Mismatch => IinError::Checksum,
        }
    }
}

impl Iin {
    /// Parses an IIN: twelve ASCII digits with a correct check digit.
    pub fn parse(input: &str) -> Result<Iin, IinError> {
        let digits = parse_ascii_digits::<TAX_ID_LENGTH>(input)?;
        Iin::from_digits(digits)
    }

    /// Builds an IIN from its first eleven digits by computing the check digit (demo data,
    /// tests).
    pub fn with_check_digit(first_eleven: &str) -> Result<Iin, IinError> {
        match complete(first_eleven) {
            Ok(digits) => Iin::from_digits(digits),
            Err(CompletionProblem::Digits(error)) => Err(error.into()),
            Err(CompletionProblem::NoCheckDigitPossible) => Err(IinError::NoCheckDigitPossible),
        }
    }

    fn from_digits(digits: [u8; TAX_ID_LENGTH]) -> Result<Iin, IinError> {
        verify_check_digit(&digits)?;
        Ok(Iin { digits })
    }

    /// The twelve digits.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.digits)
    }

    /// The date of birth under the 2007 layout (YYMMDD, century from digit 7: 1–2 the 1800s,
    /// 3–4 the 1900s, 5–6 the 2000s), or `None` when the digits do not form one.
    ///
    /// A hint only, for a warning such as "this IIN does not look like a person's": the layout
    /// was dropped from the rules in 2013, though issued IINs still follow it.
    pub fn birth_date(&self) -> Option<Date> {
        let pair = |index: usize| -> i8 {
            // Two decimal digits are below 100, so they fit an i8.
            (digit_value(self.digits[index]) * 10 + digit_value(self.digits[index + 1])) as i8
        };
        let century: i16 = match digit_value(self.digits[6]) {
            1 | 2 => 1800,
            3 | 4 => 1900,
            5 | 6 => 2000,
            _ => return None,
        };
        Date::new(century + i16::from(pair(0)), pair(2), pair(4)).ok()
    }
}

impl fmt::Debug for Iin {
    // An IIN is personal data: keep it recognisable in logs but not complete.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iin(******{})", &self.as_str()[6..])
    }
}

impl fmt::Display for Iin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Iin {
    type Err = IinError;
    fn from_str(input: &str) -> Result<Iin, IinError> {
        Iin::parse(input)
    }
}

impl AsRef<str> for Iin {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

// ---------------------------------------------------------------------------------------------
// BIN
// ---------------------------------------------------------------------------------------------

/// Digit 5 of a BIN: what kind of entity it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinEntityType {
    /// `4`: a resident legal entity.
    ResidentLegalEntity,
    /// `5`: a non-resident legal entity.
    NonResidentLegalEntity,
    /// `6`: individual entrepreneurs working as a joint enterprise (ИП(С)).
    JointIndividualEntrepreneurs,
}

/// Digit 6 of a BIN: which part of the entity it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinSubdivision {
    /// `0`: the head office.
    HeadOffice,
    /// `1`: a branch.
    Branch,
    /// `2`: a representative office.
    RepresentativeOffice,
    /// `3`: a peasant or farm holding registered under the 2007 rules (still in use).
    FarmHolding2007Rules,
    /// `4`: a peasant or farm holding.
    FarmHolding,
}

/// BIN, *бизнес-идентификационный номер*: the 12-digit number of a legal entity, branch or
/// representative office. Always has a valid structure and check digit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bin {
    digits: [u8; TAX_ID_LENGTH],
}

/// Why a BIN was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BinError {
    #[error("the BIN is empty")]
    Empty,
    #[error("a BIN has {expected} digits; found {found} characters")]
    WrongLength { expected: usize, found: usize },
    #[error("a BIN contains digits only; found {character:?} at position {position}")]
    InvalidCharacter { position: usize, character: char },
    #[error("digits 3 and 4 of a BIN are the registration month, 01 to 12; found {month:02}")]
    InvalidMonth { month: u8 },
    #[error("digit 5 of a BIN is 4, 5 or 6 (the type of entity); found {digit}")]
    InvalidEntityType { digit: u8 },
    #[error("digit 6 of a BIN is 0 to 4 (head office, branch, representative office, farm holding); found {digit}")]
    InvalidSubdivision { digit: u8 },
    #[error("no BIN has these first eleven digits: no check digit exists for them")]
    NoCheckDigitPossible,
    #[error("the BIN check digit does not match: a digit is mistyped")]
    Checksum,
}

digit_error_variants_from!(BinError);

impl BinError {
    /// Stable API code for the field.
    pub fn code(&self) -> &'static str {
        "invalid_bin"
    }

    /// Stable snake_case name of the variant.
    pub fn reason(&self) -> &'static str {
        match self {
            BinError::Empty => "empty",
            BinError::WrongLength { .. } => "wrong_length",
            BinError::InvalidCharacter { .. } => "invalid_character",
            BinError::InvalidMonth { .. } => "invalid_month",
            BinError::InvalidEntityType { .. } => "invalid_entity_type",
            BinError::InvalidSubdivision { .. } => "invalid_subdivision",
            BinError::NoCheckDigitPossible => "no_check_digit_possible",
            BinError::Checksum => "checksum",
        }
    }
}

impl From<ChecksumProblem> for BinError {
    fn from(problem: ChecksumProblem) -> BinError {
        match problem {
            ChecksumProblem::NoCheckDigitPossible => BinError::NoCheckDigitPossible,
            ChecksumProblem::Mismatch => BinError::Checksum,
        }
    }
}

impl Bin {
    /// Parses a BIN: twelve ASCII digits, a valid structure, a correct check digit. The
    /// structure is checked first because it names a more useful mistake ("month 13") than
    /// the checksum does.
    pub fn parse(input: &str) -> Result<Bin, BinError> {
        let digits = parse_ascii_digits::<TAX_ID_LENGTH>(input)?;
        Bin::from_digits(digits)
    }

    /// Builds a BIN from its first eleven digits by computing the check digit (demo data,
    /// tests).
    pub fn with_check_digit(first_eleven: &str) -> Result<Bin, BinError> {
        match complete(first_eleven) {
            Ok(digits) => Bin::from_digits(digits),
            Err(CompletionProblem::Digits(error)) => Err(error.into()),
            Err(CompletionProblem::NoCheckDigitPossible) => {
                // Report a structural mistake first, as `parse` would.
                let eleven = parse_ascii_digits::<11>(first_eleven).map_err(BinError::from)?;
                check_bin_structure(&eleven)?;
                Err(BinError::NoCheckDigitPossible)
            }
        }
    }

    fn from_digits(digits: [u8; TAX_ID_LENGTH]) -> Result<Bin, BinError> {
        check_bin_structure(&digits)?;
        verify_check_digit(&digits)?;
        let bin = Bin { digits };
        debug_assert!((1..=12).contains(&bin.registration_month()));
        Ok(bin)
    }

    /// The twelve digits.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.digits)
    }

    /// Registration year within its century (digits 1–2). The century is not encoded.
    pub fn registration_year_two_digits(&self) -> u8 {
        digit_value(self.digits[0]) * 10 + digit_value(self.digits[1])
    }

    /// Registration month, 1..=12 (digits 3–4).
    pub fn registration_month(&self) -> u8 {
        digit_value(self.digits[2]) * 10 + digit_value(self.digits[3])
    }

    /// The type of entity (digit 5).
    pub fn entity_type(&self) -> BinEntityType {
        match digit_value(self.digits[4]) {
            4 => BinEntityType::ResidentLegalEntity,
            5 => BinEntityType::NonResidentLegalEntity,
            6 => BinEntityType::JointIndividualEntrepreneurs,
            other => unreachable!("Bin invariant: entity type digit is 4..=6, found {other}"),
        }
    }

    /// The kind of subdivision (digit 6).
    pub fn subdivision(&self) -> BinSubdivision {
        match digit_value(self.digits[5]) {
            0 => BinSubdivision::HeadOffice,
            1 => BinSubdivision::Branch,
            2 => BinSubdivision::RepresentativeOffice,
            3 => BinSubdivision::FarmHolding2007Rules,
            4 => BinSubdivision::FarmHolding,
            other => unreachable!("Bin invariant: subdivision digit is 0..=4, found {other}"),
        }
    }
}

/// Digits 3–6 of a BIN (order No. 423 of 27.06.2023). Works on 11 or 12 digits.
fn check_bin_structure(digits: &[u8]) -> Result<(), BinError> {
    assert!(digits.len() >= 6);
    let month = digit_value(digits[2]) * 10 + digit_value(digits[3]);
    if !(1..=12).contains(&month) {
        return Err(BinError::InvalidMonth { month });
    }
    let entity_type = digit_value(digits[4]);
    if !(4..=6).contains(&entity_type) {
        return Err(BinError::InvalidEntityType { digit: entity_type });
    }
    let subdivision = digit_value(digits[5]);
    if subdivision > 4 {
        return Err(BinError::InvalidSubdivision { digit: subdivision });
    }
    Ok(())
}

impl fmt::Debug for Bin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bin({})", self.as_str())
    }
}

impl fmt::Display for Bin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Bin {
    type Err = BinError;
    fn from_str(input: &str) -> Result<Bin, BinError> {
        Bin::parse(input)
    }
}

impl AsRef<str> for Bin {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

// ---------------------------------------------------------------------------------------------
// IIN or BIN
// ---------------------------------------------------------------------------------------------

/// The "ИИН/БИН" field of a payment order or a client card: a BIN for legal entities, an IIN
/// for individuals and individual entrepreneurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaxpayerId {
    Iin(Iin),
    Bin(Bin),
}

/// Why an IIN/BIN field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TaxpayerIdError {
    #[error("the IIN/BIN is empty")]
    Empty,
    #[error("an IIN/BIN has {expected} digits; found {found} characters")]
    WrongLength { expected: usize, found: usize },
    #[error("an IIN/BIN contains digits only; found {character:?} at position {position}")]
    InvalidCharacter { position: usize, character: char },
    /// Digit 5 is not 4, 5 or 6, so the number was read as an IIN, and it is not a valid one.
    #[error("not a valid IIN: {0}")]
    Iin(IinError),
    /// Digit 5 is 4, 5 or 6, so the number was read as a BIN, and it is not a valid one.
    #[error("not a valid BIN: {0}")]
    Bin(BinError),
}

digit_error_variants_from!(TaxpayerIdError);

impl TaxpayerIdError {
    /// Stable API code for the field.
    pub fn code(&self) -> &'static str {
        "invalid_taxpayer_id"
    }

    /// Stable snake_case name of the variant; for the IIN and BIN cases, the inner reason
    /// prefixed with `iin_` or `bin_` (e.g. `bin_invalid_month`).
    pub fn reason(&self) -> &'static str {
        match self {
            TaxpayerIdError::Empty => "empty",
            TaxpayerIdError::WrongLength { .. } => "wrong_length",
            TaxpayerIdError::InvalidCharacter { .. } => "invalid_character",
            TaxpayerIdError::Iin(IinError::NoCheckDigitPossible) => "iin_no_check_digit_possible",
            TaxpayerIdError::Iin(_) => "iin_checksum",
            TaxpayerIdError::Bin(error) => match error {
                BinError::InvalidMonth { .. } => "bin_invalid_month",
                BinError::InvalidEntityType { .. } => "bin_invalid_entity_type",
                BinError::InvalidSubdivision { .. } => "bin_invalid_subdivision",
                BinError::NoCheckDigitPossible => "bin_no_check_digit_possible",
                _ => "bin_checksum",
            },
        }
    }
}

impl TaxpayerId {
    /// Parses an IIN or a BIN, deciding by digit 5: 4, 5 or 6 make it a BIN, anything else an
    /// IIN.
    pub fn parse(input: &str) -> Result<TaxpayerId, TaxpayerIdError> {
        let digits = parse_ascii_digits::<TAX_ID_LENGTH>(input)?;
        if (4..=6).contains(&digit_value(digits[4])) {
            Bin::from_digits(digits).map(TaxpayerId::Bin).map_err(TaxpayerIdError::Bin)
        } else {
            Iin::from_digits(digits).map(TaxpayerId::Iin).map_err(TaxpayerIdError::Iin)
        }
    }

    /// The twelve digits.
    pub fn as_str(&self) -> &str {
        match self {
            TaxpayerId::Iin(iin) => iin.as_str(),
            TaxpayerId::Bin(bin) => bin.as_str(),
        }
    }

    /// The BIN, if this is one.
    pub fn bin(&self) -> Option<&Bin> {
        match self {
            TaxpayerId::Bin(bin) => Some(bin),
            TaxpayerId::Iin(_) => None,
        }
    }

    /// The IIN, if this is one.
    pub fn iin(&self) -> Option<&Iin> {
        match self {
            TaxpayerId::Iin(iin) => Some(iin),
            TaxpayerId::Bin(_) => None,
        }
    }
}

impl From<Iin> for TaxpayerId {
    fn from(iin: Iin) -> TaxpayerId {
        TaxpayerId::Iin(iin)
    }
}

impl From<Bin> for TaxpayerId {
    fn from(bin: Bin) -> TaxpayerId {
        TaxpayerId::Bin(bin)
    }
}

impl fmt::Display for TaxpayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaxpayerId {
    type Err = TaxpayerIdError;
    fn from_str(input: &str) -> Result<TaxpayerId, TaxpayerIdError> {
        TaxpayerId::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn public_bins_pass() {
        // Kaspi Bank and the Almaty state revenue department (FACTS.md §2).
        for bin in ["971240001315", "141140001547"] {
            let parsed = Bin::parse(bin).unwrap();
            assert_eq!(parsed.as_str(), bin);
            assert_eq!(parsed.entity_type(), BinEntityType::ResidentLegalEntity);
            assert_eq!(parsed.subdivision(), BinSubdivision::HeadOffice);
        }
        let kaspi = Bin::parse("971240001315").unwrap();
        assert_eq!(kaspi.registration_year_two_digits(), 97);
        assert_eq!(kaspi.registration_month(), 12);
    }

    #[test]
    fn second_weight_pass_is_used() {
        // First pass gives 10; the second gives 5.
        assert_eq!(check_digit(b"10000000020"), Some(5));
        assert!(Iin::parse("100000000205").is_ok());
        // Both passes give 10: no such number.
        assert_eq!(check_digit(b"10000000028"), None);
        assert_eq!(Iin::parse("100000000280"), Err(IinError::NoCheckDigitPossible));
        assert_eq!(Iin::with_check_digit("10000000028"), Err(IinError::NoCheckDigitPossible));
    }

    /// each BIN structure rule has its own error, checked before the checksum.
    #[test]
    fn bin_structure_errors() {
        assert_eq!(Bin::parse("181360010003"), Err(BinError::InvalidMonth { month: 13 }));
        assert_eq!(Bin::parse("180030010003"), Err(BinError::InvalidMonth { month: 0 }));
        assert_eq!(Bin::parse("180130010003"), Err(BinError::InvalidEntityType { digit: 3 }));
        assert_eq!(Bin::parse("180145010003"), Err(BinError::InvalidSubdivision { digit: 5 }));
        assert_eq!(Bin::parse("180140010006"), Err(BinError::Checksum));
        assert_eq!(Bin::parse("18014001000"), Err(BinError::WrongLength { expected: 12, found: 11 }));
        assert_eq!(Bin::parse("1801 40010005"), Err(BinError::InvalidCharacter { position: 5, character: ' ' }));
        assert_eq!(Bin::parse("").unwrap_err().code(), "invalid_bin");
        assert_eq!(Bin::with_check_digit("18136001000"), Err(BinError::InvalidMonth { month: 13 }));
    }

    #[test]
    fn bin_parts() {
        let bin = Bin::parse("090444010009").unwrap();
        assert_eq!(bin.subdivision(), BinSubdivision::FarmHolding);
        let bin = Bin::parse("241150010006").unwrap();
        assert_eq!(bin.entity_type(), BinEntityType::NonResidentLegalEntity);
        let bin = Bin::parse("071260010008").unwrap();
        assert_eq!(bin.entity_type(), BinEntityType::JointIndividualEntrepreneurs);
    }

    #[test]
    fn iin_birth_date_is_a_hint() {
        let iin = Iin::parse("900101310004").unwrap();
        assert_eq!(iin.birth_date(), Some(jiff::civil::date(1990, 1, 1)));
        let iin = Iin::parse("050315510001").unwrap();
        assert_eq!(iin.birth_date(), Some(jiff::civil::date(2005, 3, 15)));
        // 29 February 2001 does not exist, yet the checksum is right: accepted, no date.
        let iin = Iin::parse("010229610003").unwrap();
        assert_eq!(iin.birth_date(), None);
        assert_eq!(Iin::parse("010229610004"), Err(IinError::Checksum));
    }

    #[test]
    fn iin_debug_hides_the_birth_date() {
        let iin = Iin::parse("900101310004").unwrap();
        assert_eq!(format!("{iin:?}"), "Iin(******310004)");
        assert_eq!(iin.to_string(), "900101310004");
    }

    #[test]
    fn taxpayer_id_decides_by_digit_five() {
        assert!(matches!(TaxpayerId::parse("971240001315"), Ok(TaxpayerId::Bin(_))));
        assert!(matches!(TaxpayerId::parse("900101310004"), Ok(TaxpayerId::Iin(_))));
        assert_eq!(TaxpayerId::parse("181360010003"), Err(TaxpayerIdError::Bin(BinError::InvalidMonth { month: 13 })));
        assert_eq!(TaxpayerId::parse("900101310005"), Err(TaxpayerIdError::Iin(IinError::Checksum)));
        assert_eq!(TaxpayerId::parse("900101310005").unwrap_err().reason(), "iin_checksum");
        assert_eq!(TaxpayerId::parse("90010131000"), Err(TaxpayerIdError::WrongLength { expected: 12, found: 11 }));
        let id = TaxpayerId::parse(" 971240001315 ").unwrap();
        assert_eq!(id.as_str(), "971240001315");
        assert!(id.bin().is_some() && id.iin().is_none());
    }

    fn replace_digit(number: &str, index: usize, digit: u8) -> String {
        let mut digits = number.as_bytes().to_vec();
        digits[index] = b'0' + digit;
        String::from_utf8(digits).unwrap()
    }

    /// The first-pass sum (weights 1..=11) modulo 11 of a 12-digit number.
    fn first_pass(number: &str) -> u32 {
        number.bytes().take(11).zip(FIRST_PASS_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum::<u32>() % 11
    }

    /// The official check digit has blind spots, and a bank must know them. Digit 11 has
    /// weight 11 in the first pass, which is 0 modulo 11, so a typo there goes unnoticed about
    /// 92% of the time: Kaspi Bank's BIN 971240001315 "passes" with any digit in place 11.
    /// Typos in digits 1–10 slip through about 1.7% of the time, when the altered number
    /// falls to the second pass. The remaining defences are the counterparty's name and the
    /// directories (tax authorities, own clients), not the checksum.
    #[test]
    fn checksum_blind_spots_are_known() {
        for digit in 0..10 {
            let altered = replace_digit("971240001315", 10, digit);
            assert!(Bin::parse(&altered).is_ok(), "{altered}");
        }
        assert!(Bin::parse("941240001315").is_ok(), "digit 2 typo that the second pass misses");
        assert!(Iin::parse("900101710004").is_ok(), "digit 7 typo that the second pass misses");
    }

    fn any_bin_prefix() -> impl Strategy<Value = String> {
        "[0-9]{2}(0[1-9]|1[0-2])[4-6][0-4][0-9]{5}"
    }

    proptest! {
        #[test]
        fn completed_iins_round_trip(first_eleven in "[0-9]{11}") {
            match Iin::with_check_digit(&first_eleven) {
                Ok(iin) => {
                    prop_assert_eq!(&iin.as_str()[..11], first_eleven.as_str());
                    prop_assert_eq!(Iin::parse(iin.as_str()).unwrap(), iin);
                }
                Err(error) => prop_assert_eq!(error, IinError::NoCheckDigitPossible),
            }
        }

        /// a mistyped check digit (digit 12) is always refused.
        #[test]
        fn any_change_of_the_check_digit_is_refused(first_eleven in "[0-9]{11}", replacement in 0u8..10) {
            let Ok(iin) = Iin::with_check_digit(&first_eleven) else { return Ok(()) };
            let altered = replace_digit(iin.as_str(), 11, replacement);
            prop_assume!(altered != iin.as_str());
            prop_assert_eq!(Iin::parse(&altered), Err(IinError::Checksum));
        }

        /// a mistyped digit among digits 1–10 is refused whenever the first weight pass
        /// decides (its sum is not 10), which is about 98% of such typos; the remainder fall to
        /// the second pass and may pass (see `checksum_blind_spots_are_known`).
        #[test]
        fn any_change_of_digits_one_to_ten_is_refused_by_the_first_pass(
            first_eleven in "[0-9]{11}", index in 0usize..10, replacement in 0u8..10,
        ) {
            let Ok(iin) = Iin::with_check_digit(&first_eleven) else { return Ok(()) };
            let altered = replace_digit(iin.as_str(), index, replacement);
            prop_assume!(altered != iin.as_str());
            prop_assume!(first_pass(iin.as_str()) != 10 && first_pass(&altered) != 10);
            prop_assert!(Iin::parse(&altered).is_err(), "{} accepted", altered);
        }

        /// The same for BINs, whose structure check catches some typos the checksum would not.
        #[test]
        fn any_change_of_a_bin_is_refused_by_structure_or_first_pass(
            first_eleven in any_bin_prefix(), index in 0usize..12, replacement in 0u8..10,
        ) {
            let Ok(bin) = Bin::with_check_digit(&first_eleven) else { return Ok(()) };
            prop_assert_eq!(Bin::parse(bin.as_str()).unwrap(), bin);
            prop_assert_eq!(TaxpayerId::parse(bin.as_str()).unwrap(), TaxpayerId::Bin(bin));
            let altered = replace_digit(bin.as_str(), index, replacement);
            prop_assume!(altered != bin.as_str());
            prop_assume!(index != 10);
            prop_assume!(first_pass(bin.as_str()) != 10 && first_pass(&altered) != 10);
            prop_assert!(Bin::parse(&altered).is_err(), "{} accepted", altered);
        }

        #[test]
        fn parse_never_panics(input in "\\PC{0,16}") {
            let _ = Iin::parse(&input);
            let _ = Bin::parse(&input);
            let _ = TaxpayerId::parse(&input);
        }
    }
}
