//! Kazakhstan payment classification codes: KNP, KBe/KOd and KBK (FACTS.md §4–§6).
//!
//! These types check *syntax* only. Whether a code is in the official list (the NBK KNP table,
//! the Unified Budget Classification) is a question for the reference-data crate, because those
//! lists change by regulation and the bank must be able to reload them without a new build.
//!
//! # Normalisation policy
//!
//! The same for every identifier in this crate: surrounding whitespace is trimmed. Digit codes
//! (IIN, BIN, KNP, KBe/KOd, KBK) then accept ASCII digits only: no inner spaces, no separators,
//! no other scripts' digits. Anything else is refused with an error that names the offending
//! character and its position (1-based, counted after trimming) or the wrong length. IBANs are
//! the one exception (inner spaces are removed, see [`crate::iban`]), because people copy them
//! printed in groups of four; nobody prints a three-digit KNP with spaces.

use std::fmt;
use std::str::FromStr;

/// Why a fixed-length digit string was refused; shared by every digit code so that all of them
/// report the same things in the same way. Each public error type converts from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigitsError {
    Empty,
    WrongLength { expected: usize, found: usize },
    InvalidCharacter { position: usize, character: char },
}

/// Parses exactly `N` ASCII digits after trimming, returning them as ASCII bytes.
///
/// Characters are checked before the length so that "12a" reports the letter rather than a
/// length: the character is the mistake the user can see.
pub(crate) fn parse_ascii_digits<const N: usize>(input: &str) -> Result<[u8; N], DigitsError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(DigitsError::Empty);
    }
    for (index, character) in trimmed.chars().enumerate() {
        if !character.is_ascii_digit() {
            return Err(DigitsError::InvalidCharacter { position: index + 1, character });
        }
    }
    // Only ASCII digits remain, so bytes and characters coincide.
    let bytes = trimmed.as_bytes();
    if bytes.len() != N {
        return Err(DigitsError::WrongLength { expected: N, found: bytes.len() });
    }
    let mut digits = [0u8; N];
    digits.copy_from_slice(bytes);
    debug_assert!(digits.iter().all(u8::is_ascii_digit));
    Ok(digits)
}

/// Views stored ASCII bytes as `&str`. The types in this crate store only ASCII, so a failure
/// here is a broken invariant (a programmer error), not an input error.
pub(crate) fn ascii_str(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => unreachable!("identifier types store ASCII only"),
    }
}

/// The numeric value of an ASCII digit byte.
pub(crate) fn digit_value(byte: u8) -> u8 {
    assert!(byte.is_ascii_digit(), "digit_value called on a non-digit byte {byte}");
    byte - b'0'
}

macro_rules! digit_error_variants_from {
    ($error:ident) => {
        impl From<DigitsError> for $error {
            fn from(error: DigitsError) -> $error {
                match error {
                    DigitsError::Empty => $error::Empty,
                    DigitsError::WrongLength { expected, found } => $error::WrongLength { expected, found },
                    DigitsError::InvalidCharacter { position, character } => {
                        $error::InvalidCharacter { position, character }
                    }
                }
            }
        }
    };
}
pub(crate) use digit_error_variants_from;

// ---------------------------------------------------------------------------------------------
// KNP
// ---------------------------------------------------------------------------------------------

/// KNP, *код назначения платежа*: the three-digit payment purpose code required on every
/// domestic payment order (NBK resolution No. 203, Appendix 2). Syntax only; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Knp {
    digits: [u8; 3],
}

/// Why a KNP was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KnpError {
    #[error("the KNP is empty")]
    Empty,
    #[error("a KNP has {expected} digits; found {found} characters")]
    WrongLength { expected: usize, found: usize },
    #[error("a KNP contains digits only; found {character:?} at position {position}")]
    InvalidCharacter { position: usize, character: char },
}

digit_error_variants_from!(KnpError);

impl KnpError {
    /// Stable API code for the field: the client shows its own message for "invalid KNP".
    pub fn code(&self) -> &'static str {
        "invalid_knp"
    }

    /// Stable snake_case name of the variant, for clients that explain the exact problem.
    pub fn reason(&self) -> &'static str {
        match self {
            KnpError::Empty => "empty",
            KnpError::WrongLength { .. } => "wrong_length",
            KnpError::InvalidCharacter { .. } => "invalid_character",
        }
    }
}

impl Knp {
    /// Parses a KNP: exactly three ASCII digits after trimming.
    pub fn parse(input: &str) -> Result<Knp, KnpError> {
        let digits = parse_ascii_digits::<3>(input)?;
        Ok(Knp { digits })
    }

    /// The three digits, e.g. `"911"`.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.digits)
    }

    /// The first digit: the section of the KNP table (0 pensions and allowances, 7 goods,
    /// 9 taxes and budget payments, …).
    pub fn section(&self) -> u8 {
        digit_value(self.digits[0])
    }
}

impl fmt::Display for Knp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Knp {
    type Err = KnpError;
    fn from_str(input: &str) -> Result<Knp, KnpError> {
        Knp::parse(input)
    }
}

impl AsRef<str> for Knp {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

// ---------------------------------------------------------------------------------------------
// KBe / KOd
// ---------------------------------------------------------------------------------------------

/// Whether a party is a resident of Kazakhstan: the first digit of a KBe/KOd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Residency {
    /// Digit `1`.
    Resident,
    /// Digit `2`.
    NonResident,
}

impl Residency {
    /// The digit this residency has in a KBe/KOd.
    pub const fn digit(self) -> u8 {
        match self {
            Residency::Resident => 1,
            Residency::NonResident => 2,
        }
    }
}

/// Sector of the economy: the second digit of a KBe/KOd (NBK resolution No. 203, Appendix 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EconomicSector {
    /// 1: central government (of Kazakhstan or of a foreign state); e.g. tax authorities, KBe 11.
    CentralGovernment,
    /// 2: regional and local government.
    RegionalGovernment,
    /// 3: central (national) banks; the NBK is 13.
    CentralBank,
    /// 4: other depository corporations, i.e. banks; 14.
    OtherDepositoryCorporations,
    /// 5: other (non-depository) financial corporations.
    OtherFinancialCorporations,
    /// 6: state non-financial corporations.
    StateNonFinancialCorporations,
    /// 7: private non-financial corporations; a ТОО/АО is 17.
    PrivateNonFinancialCorporations,
    /// 8: non-profit institutions serving households.
    NonProfitServingHouseholds,
    /// 9: households, including individual entrepreneurs; an ИП is 19.
    Households,
}

impl EconomicSector {
    /// All sectors in digit order.
    pub const ALL: [EconomicSector; 9] = [
        EconomicSector::CentralGovernment,
        EconomicSector::RegionalGovernment,
        EconomicSector::CentralBank,
        EconomicSector::OtherDepositoryCorporations,
        EconomicSector::OtherFinancialCorporations,
        EconomicSector::StateNonFinancialCorporations,
        EconomicSector::PrivateNonFinancialCorporations,
        EconomicSector::NonProfitServingHouseholds,
        EconomicSector::Households,
    ];

    /// The sector digit, 1..=9.
    pub const fn digit(self) -> u8 {
        match self {
            EconomicSector::CentralGovernment => 1,
            EconomicSector::RegionalGovernment => 2,
            EconomicSector::CentralBank => 3,
            EconomicSector::OtherDepositoryCorporations => 4,
            EconomicSector::OtherFinancialCorporations => 5,
            EconomicSector::StateNonFinancialCorporations => 6,
            EconomicSector::PrivateNonFinancialCorporations => 7,
            EconomicSector::NonProfitServingHouseholds => 8,
            EconomicSector::Households => 9,
        }
    }

    /// The sector with this digit, if there is one (0 is not a sector).
    pub fn from_digit(digit: u8) -> Option<EconomicSector> {
        EconomicSector::ALL.into_iter().find(|sector| sector.digit() == digit)
    }
}

/// KBe, *код бенефициара*: two digits, residency then sector of the economy. Required for the
/// beneficiary on every domestic payment order. The sender's code (KOd) has the same shape and
/// rules, see [`Kod`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kbe {
    digits: [u8; 2],
}

/// KOd, *код отправителя денег*: the sender's residency and sector, shaped exactly like a KBe.
/// An alias rather than a new type because 1C and the bank forms use one field definition for
/// both (`ПлательщикКБЕ` / `ПолучательКБЕ`).
pub type Kod = Kbe;

/// Why a KBe/KOd was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KbeError {
    #[error("the KBe/KOd is empty")]
    Empty,
    #[error("a KBe/KOd has {expected} digits; found {found} characters")]
    WrongLength { expected: usize, found: usize },
    #[error("a KBe/KOd contains digits only; found {character:?} at position {position}")]
    InvalidCharacter { position: usize, character: char },
    #[error("the first digit of a KBe/KOd is 1 (resident) or 2 (non-resident); found {digit}")]
    InvalidResidency { digit: u8 },
    #[error("the second digit of a KBe/KOd is a sector of the economy, 1 to 9; found {digit}")]
    InvalidSector { digit: u8 },
}

digit_error_variants_from!(KbeError);

impl KbeError {
    /// Stable API code for the field.
    pub fn code(&self) -> &'static str {
        "invalid_kbe"
    }

    /// Stable snake_case name of the variant.
    pub fn reason(&self) -> &'static str {
        match self {
            KbeError::Empty => "empty",
            KbeError::WrongLength { .. } => "wrong_length",
            KbeError::InvalidCharacter { .. } => "invalid_character",
            KbeError::InvalidResidency { .. } => "invalid_residency",
            KbeError::InvalidSector { .. } => "invalid_sector",
        }
    }
}

impl Kbe {
    /// Parses a KBe/KOd: two ASCII digits, the first 1 or 2, the second 1..=9.
    pub fn parse(input: &str) -> Result<Kbe, KbeError> {
        let digits = parse_ascii_digits::<2>(input)?;
        let residency_digit = digit_value(digits[0]);
        if residency_digit != 1 && residency_digit != 2 {
            return Err(KbeError::InvalidResidency { digit: residency_digit });
        }
        let sector_digit = digit_value(digits[1]);
        if EconomicSector::from_digit(sector_digit).is_none() {
            return Err(KbeError::InvalidSector { digit: sector_digit });
        }
        Ok(Kbe { digits })
    }

    /// Builds the code from its two parts; cannot fail because both parts are already valid.
    pub fn new(residency: Residency, sector: EconomicSector) -> Kbe {
        let kbe = Kbe { digits: [b'0' + residency.digit(), b'0' + sector.digit()] };
        debug_assert_eq!(kbe.residency(), residency);
        debug_assert_eq!(kbe.sector(), sector);
        kbe
    }

    /// The two digits, e.g. `"17"`.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.digits)
    }

    /// Resident or non-resident (first digit).
    pub fn residency(&self) -> Residency {
        match digit_value(self.digits[0]) {
            1 => Residency::Resident,
            2 => Residency::NonResident,
            other => unreachable!("Kbe invariant: residency digit is 1 or 2, found {other}"),
        }
    }

    /// Sector of the economy (second digit).
    pub fn sector(&self) -> EconomicSector {
        let digit = digit_value(self.digits[1]);
        match EconomicSector::from_digit(digit) {
            Some(sector) => sector,
            None => unreachable!("Kbe invariant: sector digit is 1..=9, found {digit}"),
        }
    }
}

impl fmt::Display for Kbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kbe {
    type Err = KbeError;
    fn from_str(input: &str) -> Result<Kbe, KbeError> {
        Kbe::parse(input)
    }
}

impl AsRef<str> for Kbe {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

// ---------------------------------------------------------------------------------------------
// KBK
// ---------------------------------------------------------------------------------------------

/// KBK, *код бюджетной классификации*: six digits naming the budget revenue a tax payment goes
/// to (Ministry of Finance order No. 403). Mandatory on a budget payment, one per order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kbk {
    digits: [u8; 6],
}

/// Why a KBK was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KbkError {
    #[error("the KBK is empty")]
    Empty,
    #[error("a KBK has {expected} digits; found {found} characters")]
    WrongLength { expected: usize, found: usize },
    #[error("a KBK contains digits only; found {character:?} at position {position}")]
    InvalidCharacter { position: usize, character: char },
}

digit_error_variants_from!(KbkError);

impl KbkError {
    /// Stable API code for the field.
    pub fn code(&self) -> &'static str {
        "invalid_kbk"
    }

    /// Stable snake_case name of the variant.
    pub fn reason(&self) -> &'static str {
        match self {
            KbkError::Empty => "empty",
            KbkError::WrongLength { .. } => "wrong_length",
            KbkError::InvalidCharacter { .. } => "invalid_character",
        }
    }
}

impl Kbk {
    /// Parses a KBK: exactly six ASCII digits after trimming.
    pub fn parse(input: &str) -> Result<Kbk, KbkError> {
        let digits = parse_ascii_digits::<6>(input)?;
        Ok(Kbk { digits })
    }

    /// The six digits, e.g. `"101201"`.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.digits)
    }
}

impl fmt::Display for Kbk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kbk {
    type Err = KbkError;
    fn from_str(input: &str) -> Result<Kbk, KbkError> {
        Kbk::parse(input)
    }
}

impl AsRef<str> for Kbk {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// a KNP is three ASCII digits; everything else is refused with the exact reason.
    #[test]
    fn knp_syntax() {
        assert_eq!(Knp::parse("911").unwrap().as_str(), "911");
        assert_eq!(Knp::parse(" 010\t").unwrap().as_str(), "010");
        assert_eq!(Knp::parse("911").unwrap().section(), 9);
        assert_eq!(Knp::parse(""), Err(KnpError::Empty));
        assert_eq!(Knp::parse("   "), Err(KnpError::Empty));
        assert_eq!(Knp::parse("91"), Err(KnpError::WrongLength { expected: 3, found: 2 }));
        assert_eq!(Knp::parse("9111"), Err(KnpError::WrongLength { expected: 3, found: 4 }));
        assert_eq!(Knp::parse("9 1"), Err(KnpError::InvalidCharacter { position: 2, character: ' ' }));
        assert_eq!(Knp::parse("91a"), Err(KnpError::InvalidCharacter { position: 3, character: 'a' }));
        // Arabic-Indic digit three: a digit, but not an ASCII one.
        assert_eq!(Knp::parse("91\u{663}"), Err(KnpError::InvalidCharacter { position: 3, character: '\u{663}' }));
        assert_eq!(Knp::parse("x").unwrap_err().code(), "invalid_knp");
        assert_eq!(Knp::parse("x").unwrap_err().reason(), "invalid_character");
    }

    /// KBe/KOd residency and sector digits are checked.
    #[test]
    fn kbe_syntax_and_parts() {
        let kbe = Kbe::parse("17").unwrap();
        assert_eq!(kbe.residency(), Residency::Resident);
        assert_eq!(kbe.sector(), EconomicSector::PrivateNonFinancialCorporations);
        let kod: Kod = Kod::parse("29").unwrap();
        assert_eq!(kod.residency(), Residency::NonResident);
        assert_eq!(kod.sector(), EconomicSector::Households);
        assert_eq!(Kbe::parse("37"), Err(KbeError::InvalidResidency { digit: 3 }));
        assert_eq!(Kbe::parse("07"), Err(KbeError::InvalidResidency { digit: 0 }));
        assert_eq!(Kbe::parse("10"), Err(KbeError::InvalidSector { digit: 0 }));
        // Kaspi once exported a one-digit KBe; it must be refused, not padded.
        assert_eq!(Kbe::parse("1"), Err(KbeError::WrongLength { expected: 2, found: 1 }));
        assert_eq!(Kbe::parse("1 7").unwrap_err().reason(), "invalid_character");
        assert_eq!(Kbe::parse("37").unwrap_err().code(), "invalid_kbe");
        assert_eq!(Kbe::new(Residency::Resident, EconomicSector::CentralGovernment).as_str(), "11");
    }

    /// a KBK is six ASCII digits.
    #[test]
    fn kbk_syntax() {
        assert_eq!(Kbk::parse("101201").unwrap().to_string(), "101201");
        assert_eq!(Kbk::parse("10120"), Err(KbkError::WrongLength { expected: 6, found: 5 }));
        assert_eq!(Kbk::parse("101-01"), Err(KbkError::InvalidCharacter { position: 4, character: '-' }));
        assert_eq!(Kbk::parse("").unwrap_err().code(), "invalid_kbk");
    }

    proptest! {
        #[test]
        fn knp_accepts_exactly_three_digits(input in "[0-9]{3}") {
            let knp = Knp::parse(&input).unwrap();
            prop_assert_eq!(knp.as_str(), input.as_str());
            prop_assert_eq!(Knp::parse(&format!(" {knp} ")).unwrap(), knp);
        }

        #[test]
        fn knp_refuses_other_lengths(input in "[0-9]{0,2}|[0-9]{4,10}") {
            prop_assert!(Knp::parse(&input).is_err());
        }

        #[test]
        fn kbk_round_trips(input in "[0-9]{6}") {
            let kbk = Kbk::parse(&input).unwrap();
            prop_assert_eq!(kbk.as_str(), input.as_str());
        }

        #[test]
        fn kbe_accepts_exactly_the_eighteen_codes(first in 0u8..10, second in 0u8..10) {
            let input = format!("{first}{second}");
            let valid = (first == 1 || first == 2) && second >= 1;
            prop_assert_eq!(Kbe::parse(&input).is_ok(), valid);
            if let Ok(kbe) = Kbe::parse(&input) {
                prop_assert_eq!(kbe.residency().digit(), first);
                prop_assert_eq!(kbe.sector().digit(), second);
                prop_assert_eq!(Kbe::new(kbe.residency(), kbe.sector()), kbe);
            }
        }

        #[test]
        fn digit_codes_never_accept_a_non_digit(prefix in "[0-9]{0,3}", bad in "[^0-9\\s]", suffix in "[0-9]{0,3}") {
            let input = format!("{prefix}{bad}{suffix}");
            prop_assert!(Knp::parse(&input).is_err());
            prop_assert!(Kbe::parse(&input).is_err());
            prop_assert!(Kbk::parse(&input).is_err());
        }
    }
}
