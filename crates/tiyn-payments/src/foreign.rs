//! The payee of a foreign-currency transfer (R-3.1.1.3): a bank abroad (or a Kazakhstan bank's
//! foreign-currency account) addressed by SWIFT BIC, the payee's name, address, country and
//! account, an optional intermediary bank, who pays the banks' charges, and the currency-control
//! contract.

use std::fmt;

use jiff::civil::Date;
use tiyn_core::{Bic, Country, Iban, Kbe};

use crate::text::{PayeeName, TextError};

/// The longest payee address, in characters: `PstlAdr/AdrLine` is two lines of `Max70Text` in
/// the pacs.008 we send.
pub const PAYEE_ADDRESS_LENGTH_MAX: usize = 140;

/// The longest account number that is not an IBAN: ISO 20022 `Othr/Id` is `Max34Text`, the same
/// bound as an IBAN.
pub const ACCOUNT_NUMBER_LENGTH_MAX: usize = 34;

/// The longest contract number (a currency-control contract's number or its registration
/// number), in characters.
pub const CONTRACT_NUMBER_LENGTH_MAX: usize = 50;

/// Who pays the banks' charges of a foreign transfer (SWIFT field 71A; ISO 20022 `ChrgBr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charges {
    /// The payer pays all charges, the correspondents' too: the payee receives the full amount
    /// (`DEBT`).
    Our,
    /// Each side pays its own bank (`SHAR`): the payer pays this bank's commission, the payee
    /// the correspondents'.
    Sha,
    /// The payee pays all charges (`CRED`): this bank's commission is withheld from the amount
    /// sent.
    Ben,
}

impl Charges {
    pub const ALL: [Charges; 3] = [Charges::Our, Charges::Sha, Charges::Ben];

    /// The spelling of the API and of SWIFT field 71A.
    pub const fn as_str(self) -> &'static str {
        match self {
            Charges::Our => "OUR",
            Charges::Sha => "SHA",
            Charges::Ben => "BEN",
        }
    }

    /// The ISO 20022 `ChargeBearerType1Code`.
    pub const fn iso_code(self) -> &'static str {
        match self {
            Charges::Our => "DEBT",
            Charges::Sha => "SHAR",
            Charges::Ben => "CRED",
        }
    }

    /// `OUR`, `SHA` or `BEN`, in any case.
    pub fn parse(text: &str) -> Option<Charges> {
        let text = text.trim();
        Charges::ALL.into_iter().find(|charges| charges.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Charges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The payee's account abroad: an IBAN where the payee bank's country issues them, otherwise
/// the account number as the bank gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForeignAccount {
    Iban(Iban),
    /// 1 to [`ACCOUNT_NUMBER_LENGTH_MAX`] letters and digits, upper-cased, spaces removed.
    Number(String),
}

impl ForeignAccount {
    /// The account as it is stored and sent: the IBAN in its compact form, or the number.
    pub fn as_str(&self) -> &str {
        match self {
            ForeignAccount::Iban(iban) => iban.as_str(),
            ForeignAccount::Number(number) => number,
        }
    }

    /// An account number that is not an IBAN: letters and digits (spaces and hyphens between
    /// groups are dropped), at most [`ACCOUNT_NUMBER_LENGTH_MAX`].
    pub fn number(text: &str) -> Option<ForeignAccount> {
        let compact: String =
            text.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c.to_ascii_uppercase()).collect();
        let valid = (1..=ACCOUNT_NUMBER_LENGTH_MAX).contains(&compact.len())
            && compact.bytes().all(|byte| byte.is_ascii_alphanumeric());
        valid.then_some(ForeignAccount::Number(compact))
    }
}

impl fmt::Display for ForeignAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A currency-control contract: its number (or registration number) and date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Contract {
    number: String,
    date: Date,
}

impl Contract {
    /// A contract number is 1 to [`CONTRACT_NUMBER_LENGTH_MAX`] characters of the SWIFT set.
    pub fn new(number: &str, date: Date) -> Result<Contract, TextError> {
        let number = swift_text(number, CONTRACT_NUMBER_LENGTH_MAX)?;
        Ok(Contract { number, date })
    }

    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn date(&self) -> Date {
        self.date
    }
}

/// The payee's address: 1 to [`PAYEE_ADDRESS_LENGTH_MAX`] characters of the SWIFT set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayeeAddress(String);

impl PayeeAddress {
    pub fn parse(text: &str) -> Result<PayeeAddress, TextError> {
        swift_text(text, PAYEE_ADDRESS_LENGTH_MAX).map(PayeeAddress)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PayeeAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The countries whose banks take incoming transfers only to an IBAN: the EEA and the other
/// SEPA countries (EPC's list of SEPA jurisdictions), and countries whose central banks made the
/// IBAN mandatory for incoming payments (Turkey, the UAE, Saudi Arabia). Elsewhere — even where
/// IBANs exist, as in Russia — an account number is the norm.
const IBAN_MANDATORY: [&str; 37] = [
    "AD", "AE", "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GI", "GR", "HR", "HU",
    "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL", "NO", "PL", "PT", "RO", "SA", "SE", "SI", "SK",
];

/// Whether a transfer to a bank in `country` (its BIC's country letters) must name an IBAN.
pub fn iban_mandatory(country: &str) -> bool {
    IBAN_MANDATORY.binary_search(&country).is_ok()
}

/// Whether a character is in the SWIFT "x" character set, the only one a correspondent bank is
/// sure to carry: Latin letters, digits, space and `/ - ? : ( ) . , ' +`.
pub fn is_swift_character(character: char) -> bool {
    character.is_ascii_alphanumeric() || " /-?:().,'+".contains(character)
}

/// The first character outside the SWIFT set, with its 1-based position.
pub fn first_non_swift(text: &str) -> Option<(usize, char)> {
    text.chars().enumerate().find(|(_, c)| !is_swift_character(*c)).map(|(index, c)| (index + 1, c))
}

/// A trimmed, non-blank text of SWIFT characters of at most `length_max`.
fn swift_text(text: &str, length_max: usize) -> Result<String, TextError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(TextError::Blank);
    }
    if let Some((position, character)) = first_non_swift(trimmed) {
        return Err(TextError::NotSwiftCharacter { position, character });
    }
    let length = trimmed.chars().count();
    if length > length_max {
        return Err(TextError::TooLong { length_max, found: length });
    }
    Ok(trimmed.to_owned())
}

/// The payee of a foreign transfer, as [`crate::parse_draft`] checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignPayee {
    pub(crate) name: PayeeName,
    pub(crate) address: PayeeAddress,
    pub(crate) country: Country,
    pub(crate) account: ForeignAccount,
    pub(crate) bic: Bic,
    pub(crate) intermediary: Option<Bic>,
    pub(crate) kbe: Kbe,
    pub(crate) charges: Charges,
    pub(crate) contract: Option<Contract>,
}

impl ForeignPayee {
    /// The payee's name: Latin (SWIFT) characters, or any printable ones for a rouble transfer.
    pub fn name(&self) -> &PayeeName {
        &self.name
    }

    pub fn address(&self) -> &PayeeAddress {
        &self.address
    }

    /// The payee's country (of residence or registration).
    pub fn country(&self) -> Country {
        self.country
    }

    pub fn account(&self) -> &ForeignAccount {
        &self.account
    }

    /// The payee bank's SWIFT BIC.
    pub fn bic(&self) -> &Bic {
        &self.bic
    }

    /// The intermediary (correspondent) bank the payer asked for, if any.
    pub fn intermediary(&self) -> Option<&Bic> {
        self.intermediary.as_ref()
    }

    pub fn kbe(&self) -> Kbe {
        self.kbe
    }

    pub fn charges(&self) -> Charges {
        self.charges
    }

    /// The currency-control contract, when the payer gave one (the bank requires it above its
    /// threshold).
    pub fn contract(&self) -> Option<&Contract> {
        self.contract.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_iban_list_is_sorted_for_its_lookup() {
        assert!(IBAN_MANDATORY.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(iban_mandatory("DE") && iban_mandatory("AE") && iban_mandatory("SK"));
        assert!(!iban_mandatory("RU") && !iban_mandatory("US") && !iban_mandatory("CN"));
    }

    #[test]
    fn charges_read_in_any_case_and_map_to_iso() {
        assert_eq!(Charges::parse(" sha "), Some(Charges::Sha));
        assert_eq!(Charges::parse("OUR").map(Charges::iso_code), Some("DEBT"));
        assert_eq!(Charges::parse("BEN").map(Charges::iso_code), Some("CRED"));
        assert_eq!(Charges::parse("SLEV"), None);
    }

    #[test]
    fn account_numbers_are_compacted_and_bounded() {
        assert_eq!(ForeignAccount::number("4070 1810-0000"), Some(ForeignAccount::Number("407018100000".into())));
        assert_eq!(ForeignAccount::number("12#4"), None);
        assert_eq!(ForeignAccount::number(&"1".repeat(35)), None);
        assert_eq!(ForeignAccount::number("  "), None);
    }

    #[test]
    fn swift_texts_refuse_cyrillic_and_name_the_position() {
        assert_eq!(PayeeAddress::parse(" 1 Main St., Berlin ").map(|a| a.0), Ok("1 Main St., Berlin".into()));
        assert_eq!(
            PayeeAddress::parse("Berlin, ул. 1"),
            Err(TextError::NotSwiftCharacter { position: 9, character: 'у' })
        );
        assert_eq!(PayeeAddress::parse(&"a".repeat(141)), Err(TextError::TooLong { length_max: 140, found: 141 }));
        assert_eq!(Contract::new("", Date::constant(2026, 1, 1)), Err(TextError::Blank));
    }
}
