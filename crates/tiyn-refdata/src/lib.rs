//! Kazakhstan reference data: the NBK bank directory, KNP, KBK and KBe/KOd codes, and the
//! working-day calendar.
//!
//! The data is compiled in from `data/kz/` (vendored copies of the project's shared reference
//! data; provenance in `data/kz/SOURCES.md`), so the server needs no files at run time. The
//! lists change by regulation (a new bank, a renamed KNP, next year's holidays), so the same
//! parsers also take CSV text loaded by the caller: [`ReferenceData::from_csv_texts`]. This
//! crate does no I/O itself; reading a file is the caller's business.
//!
//! Every loader is strict: a row that does not parse, a duplicate, or a column that contradicts
//! another refuses the whole load with an error naming the file, the line and the problem. A
//! bank must not run on half a directory.

mod banks;
mod calendar;
mod codes;
mod directory;
mod error;
mod foreign;
mod table;

pub use banks::{BankDirectory, BankEntry, InstitutionKind};
pub use codes::{CodeDirectory, KbeDirectory, KbeEntry, KbkDirectory, KbkEntry, KnpDirectory, KnpEntry};
pub use directory::{DirectoryItem, DirectoryKind};
pub use error::{RefDataError, RowProblem};
pub use foreign::{ForeignBank, ForeignBankDirectory};

use tiyn_core::{Bic, Iban, WorkingCalendar};

/// The single treasury account that receives every tax and budget payment in Kazakhstan (the
/// same for every state revenue body). A budget payment to any other account is refused.
pub const TREASURY_IBAN: &str = "KZ24070105KSN0000000";

/// The BIC of the Treasury Committee of the Ministry of Finance, the beneficiary bank of every
/// budget payment (a non-SWIFT code assigned by the NBK).
pub const TREASURY_BIC: &str = "KKMFKZ2A";

/// The bank code of [`TREASURY_IBAN`].
const TREASURY_BANK_CODE: &str = "070";

/// The text of each reference file, to load updated data without a new build.
///
/// Files are matched to columns by header name, so extra columns are ignored and column order
/// does not matter. Error messages use the vendored file names.
#[derive(Debug, Clone, Copy)]
pub struct CsvTexts<'a> {
    /// `banks_bic.csv`
    pub banks_bic: &'a str,
    /// `knp_partial.csv` (or a fuller list with the same columns)
    pub knp: &'a str,
    /// `kbk_common.csv` (or a fuller list with the same columns)
    pub kbk: &'a str,
    /// `kbe_kod_codes.csv`
    pub kbe_kod: &'a str,
    /// `holidays_kz_2016_2027.csv` (or a list for other years with the same columns)
    pub holidays: &'a str,
    /// `working_day_transfers_kz.csv`
    pub working_day_transfers: &'a str,
    /// `data/swift/foreign_banks.csv` (or the bank's SWIFT BIC directory in the same columns)
    pub foreign_banks: &'a str,
}

impl CsvTexts<'static> {
    /// The files compiled into this crate from `data/kz/`.
    pub const EMBEDDED: CsvTexts<'static> = CsvTexts {
        banks_bic: include_str!("../../../data/kz/banks_bic.csv"),
        knp: include_str!("../../../data/kz/knp_partial.csv"),
        kbk: include_str!("../../../data/kz/kbk_common.csv"),
        kbe_kod: include_str!("../../../data/kz/kbe_kod_codes.csv"),
        holidays: include_str!("../../../data/kz/holidays_kz_2016_2027.csv"),
        working_day_transfers: include_str!("../../../data/kz/working_day_transfers_kz.csv"),
        foreign_banks: include_str!("../../../data/swift/foreign_banks.csv"),
    };
}

/// All reference data, loaded and cross-checked together.
#[derive(Debug, Clone)]
pub struct ReferenceData {
    banks: BankDirectory,
    knp: KnpDirectory,
    kbk: KbkDirectory,
    kbe: KbeDirectory,
    calendar: WorkingCalendar,
    foreign_banks: ForeignBankDirectory,
    treasury_iban: Iban,
    treasury_bic: Bic,
}

impl ReferenceData {
    /// The data compiled into this build.
    pub fn embedded() -> Result<ReferenceData, RefDataError> {
        ReferenceData::from_csv_texts(&CsvTexts::EMBEDDED)
    }

    /// Loads reference data from CSV texts, for example updated files an administrator
    /// uploaded. Either everything loads or nothing does.
    pub fn from_csv_texts(texts: &CsvTexts<'_>) -> Result<ReferenceData, RefDataError> {
        let banks = BankDirectory::from_csv(texts.banks_bic)?;
        let knp = KnpDirectory::from_csv(texts.knp)?;
        let kbk = KbkDirectory::from_csv(texts.kbk)?;
        let kbe = KbeDirectory::from_csv(texts.kbe_kod)?;
        let calendar = calendar::build(texts.holidays, texts.working_day_transfers)?;
        let foreign_banks = ForeignBankDirectory::from_csv(texts.foreign_banks)?;
        let (treasury_iban, treasury_bic) = check_treasury(&banks)?;
        Ok(ReferenceData { banks, knp, kbk, kbe, calendar, foreign_banks, treasury_iban, treasury_bic })
    }

    /// The bank directory.
    pub fn banks(&self) -> &BankDirectory {
        &self.banks
    }

    /// The KNP directory (partial).
    pub fn knp(&self) -> &KnpDirectory {
        &self.knp
    }

    /// The KBK directory (partial).
    pub fn kbk(&self) -> &KbkDirectory {
        &self.kbk
    }

    /// The KBe/KOd directory.
    pub fn kbe(&self) -> &KbeDirectory {
        &self.kbe
    }

    /// Banks abroad by SWIFT BIC.
    pub fn foreign_banks(&self) -> &ForeignBankDirectory {
        &self.foreign_banks
    }

    /// Kazakhstan's working-day calendar.
    pub fn calendar(&self) -> &WorkingCalendar {
        &self.calendar
    }

    /// [`TREASURY_IBAN`], parsed.
    pub fn treasury_iban(&self) -> &Iban {
        &self.treasury_iban
    }

    /// [`TREASURY_BIC`], parsed.
    pub fn treasury_bic(&self) -> &Bic {
        &self.treasury_bic
    }
}

/// Parses the treasury constants and checks that the bank directory maps the treasury
/// account's bank code to the treasury BIC: budget payments depend on both agreeing.
fn check_treasury(banks: &BankDirectory) -> Result<(Iban, Bic), RefDataError> {
    let mismatch =
        |found: String| RefDataError::TreasuryMismatch { code: TREASURY_BANK_CODE, expected: TREASURY_BIC, found };
    let iban = Iban::parse(TREASURY_IBAN).map_err(|e| mismatch(format!("an invalid IBAN ({e})")))?;
    let bic = Bic::parse(TREASURY_BIC).map_err(|e| mismatch(format!("an invalid BIC ({e})")))?;
    assert_eq!(iban.kz_bank_code(), Some(TREASURY_BANK_CODE));
    match banks.bic_for_iban(&iban) {
        Some(found) if *found == bic => Ok((iban, bic)),
        Some(found) => Err(mismatch(found.to_string())),
        None => Err(mismatch("no active entry".to_owned())),
    }
}

/// Kazakhstan's working-day calendar from the compiled-in data.
///
/// # Panics
///
/// Only if the compiled-in files are broken, which this crate's tests rule out for every
/// build. Code that loads updated files uses [`ReferenceData::from_csv_texts`] and handles the
/// error.
pub fn kz_calendar() -> WorkingCalendar {
    let texts = CsvTexts::EMBEDDED;
    match calendar::build(texts.holidays, texts.working_day_transfers) {
        Ok(calendar) => calendar,
        Err(error) => panic!("the embedded calendar data is broken: {error}"),
    }
}
