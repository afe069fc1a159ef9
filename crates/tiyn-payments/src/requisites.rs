//! The requisites of a payment order and the one way to get them: [`parse_draft`].
//!
//! A client sends every field as text ([`RawDocument`]); the parser answers either valid
//! [`Requisites`], whose types make the rules impossible to break afterwards (a budget payment
//! always has a KBK and the treasury account, an interbank payment is always in tenge to another
//! bank, an internal transfer never has a payee IBAN), or *every* problem it found, each naming
//! its API field and a stable code.

use std::fmt;

use jiff::civil::Date;
use tiyn_core::{
    AccountId, Amount, AmountError, Bic, BinEntityType, Country, Currency, EconomicSector, Iban, Kbe, Kbk, Knp, Money,
    Residency, TaxpayerId, WorkingCalendar,
};
use tiyn_refdata::{InstitutionKind, TREASURY_IBAN};

use crate::directories::Directories;
use crate::field::{FieldError, codes, fields};
use crate::foreign::{Charges, Contract, ForeignAccount, ForeignPayee, PayeeAddress};
use crate::kind::DocumentKind;
use crate::text::{PayeeName, Purpose, TextError};

/// The KNP section of taxes and other payments to the budget (the first digit; NBK resolution
/// No. 203, Appendix 2; FACTS.md §4: "9 = taxes/budget", 911 tax, 912 penalty).
const KNP_SECTION_BUDGET: u8 = 9;

/// The KBe of every state revenue body, the payee of a budget payment: resident (1), central
/// government (1) (FACTS.md §5 and §6, "KBe 11").
fn budget_payee_kbe() -> Kbe {
    Kbe::new(Residency::Resident, EconomicSector::CentralGovernment)
}

/// The longest horizon a bank may configure: about a year of working days. It bounds the work a
/// parse does (the horizon is counted day by day through the calendar) and catches a setting
/// given in the wrong unit.
pub const VALUE_DATE_HORIZON_WORKING_DAYS_MAX: u32 = 260;

/// A payment document as the client sent it: every field optional text, exactly as received.
///
/// A blank value (empty or only whitespace) counts as absent, so a form that posts empty inputs
/// for the fields it does not show is read the same as a JSON body that leaves them out. The
/// money object `{"amount", "currency"}` arrives as its two members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawDocument {
    pub kind: Option<String>,
    pub payer_account: Option<String>,
    /// The decimal string of the money object, e.g. `"1500.00"`.
    pub amount: Option<String>,
    /// The ISO 4217 code of the money object, e.g. `"KZT"`.
    pub currency: Option<String>,
    pub knp: Option<String>,
    pub purpose: Option<String>,
    pub value_date: Option<String>,
    pub payee_account: Option<String>,
    pub payee_name: Option<String>,
    pub payee_bin: Option<String>,
    pub payee_iban: Option<String>,
    pub payee_bic: Option<String>,
    pub kbe: Option<String>,
    pub kbk: Option<String>,
    /// Foreign transfers (R-3.1.1.3); their account or IBAN is `payee_iban`.
    pub payee_address: Option<String>,
    pub payee_country: Option<String>,
    pub payee_swift_bic: Option<String>,
    pub intermediary_swift_bic: Option<String>,
    pub charges: Option<String>,
    /// The contract object `{number, date}` arrives as its two members.
    pub contract_number: Option<String>,
    pub contract_date: Option<String>,
}

impl RawDocument {
    /// The fields of valid requisites as a client would send them: for edit forms and templates,
    /// and so that `parse_draft(&RawDocument::from_requisites(r), …)` gives `r` back.
    pub fn from_requisites(requisites: &Requisites) -> RawDocument {
        let text = |value: &dyn fmt::Display| Some(value.to_string());
        let mut raw = RawDocument {
            kind: text(&requisites.kind()),
            payer_account: text(&requisites.payer_account),
            amount: Some(requisites.amount.money().amount_string()),
            currency: text(&requisites.amount.currency()),
            knp: text(&requisites.knp),
            purpose: text(&requisites.purpose),
            value_date: text(&requisites.value_date),
            ..RawDocument::default()
        };
        match &requisites.payee {
            Payee::Internal { account } | Payee::Conversion { account } => raw.payee_account = text(account),
            Payee::Foreign(_) => {}
            Payee::Interbank(payee) | Payee::Budget { payee, .. } => {
                raw.payee_name = text(&payee.name);
                raw.payee_bin = text(&payee.taxpayer_id);
                raw.payee_iban = text(&payee.iban);
                raw.payee_bic = text(&payee.bic);
                raw.kbe = text(&payee.kbe);
            }
        }
        if let Payee::Budget { kbk, .. } = &requisites.payee {
            raw.kbk = text(kbk);
        }
        if let Payee::Foreign(payee) = &requisites.payee {
            raw.payee_name = text(&payee.name);
            raw.payee_iban = text(&payee.account);
            raw.kbe = text(&payee.kbe);
            raw.payee_address = text(&payee.address);
            raw.payee_country = text(&payee.country);
            raw.payee_swift_bic = text(&payee.bic);
            raw.intermediary_swift_bic = payee.intermediary.as_ref().map(|bic| bic.to_string());
            raw.charges = text(&payee.charges);
            raw.contract_number = payee.contract.as_ref().map(|contract| contract.number().to_owned());
            raw.contract_date = payee.contract.as_ref().map(|contract| contract.date().to_string());
        }
        raw
    }
}

/// The valid content of a payment order: what the client decides and the confirmation covers.
///
/// The only way to get one is [`parse_draft`]; fields are private and there are no setters. An
/// edit is a new parse. What is not here comes from elsewhere when the document is executed:
/// the payer's name, BIN, IBAN and KOd from the partner and the account, the number and dates
/// from the document ([`crate::Document`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requisites {
    payer_account: AccountId,
    amount: Amount,
    knp: Knp,
    purpose: Purpose,
    value_date: Date,
    payee: Payee,
}

/// Who receives the money, and how; one variant per [`DocumentKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payee {
    /// Another account of the same partner at this bank. The account's currency and owner are the
    /// ledger's and the store's to check; this crate knows only that it is not the payer's.
    Internal { account: AccountId },
    /// An account at another Kazakhstan bank, in tenge.
    Interbank(BankPayee),
    /// The state budget: the treasury account, a state revenue body's BIN, KBe 11, and a KBK.
    Budget { payee: BankPayee, kbk: Kbk },
    /// Another account of the same partner in another currency: a conversion (R-3.1.1.4). As for
    /// an internal transfer, the accounts' currencies and owner are the store's to check.
    Conversion { account: AccountId },
    /// A payee abroad (or a foreign-currency account at another bank), through a correspondent
    /// bank, in a currency other than tenge (R-3.1.1.3).
    Foreign(ForeignPayee),
}

/// A payee at a bank: the beneficiary requisites of a Kazakhstan payment order (FACTS.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankPayee {
    name: PayeeName,
    taxpayer_id: TaxpayerId,
    iban: Iban,
    /// Always the BIC the NBK directory gives for the IBAN's bank code, whether the client typed
    /// it or not; a typed BIC only had to agree with it.
    bic: Bic,
    kbe: Kbe,
}

impl BankPayee {
    pub fn name(&self) -> &PayeeName {
        &self.name
    }

    /// The payee's IIN or BIN.
    pub fn taxpayer_id(&self) -> &TaxpayerId {
        &self.taxpayer_id
    }

    pub fn iban(&self) -> &Iban {
        &self.iban
    }

    /// The payee bank's BIC, from the bank directory.
    pub fn bic(&self) -> &Bic {
        &self.bic
    }

    pub fn kbe(&self) -> Kbe {
        self.kbe
    }
}

impl Payee {
    /// The kind of document this payee makes.
    pub fn kind(&self) -> DocumentKind {
        match self {
            Payee::Internal { .. } => DocumentKind::Internal,
            Payee::Interbank(_) => DocumentKind::Interbank,
            Payee::Budget { .. } => DocumentKind::Budget,
            Payee::Conversion { .. } => DocumentKind::Conversion,
            Payee::Foreign(_) => DocumentKind::Foreign,
        }
    }

    /// The partner's own account the money goes to: internal transfers and conversions.
    pub fn own_account(&self) -> Option<AccountId> {
        match self {
            Payee::Internal { account } | Payee::Conversion { account } => Some(*account),
            Payee::Interbank(_) | Payee::Budget { .. } | Payee::Foreign(_) => None,
        }
    }

    /// The payee at another Kazakhstan bank, for interbank and budget payments.
    pub fn bank_payee(&self) -> Option<&BankPayee> {
        match self {
            Payee::Internal { .. } | Payee::Conversion { .. } | Payee::Foreign(_) => None,
            Payee::Interbank(payee) | Payee::Budget { payee, .. } => Some(payee),
        }
    }

    /// The payee abroad, for foreign transfers.
    pub fn foreign_payee(&self) -> Option<&ForeignPayee> {
        match self {
            Payee::Foreign(payee) => Some(payee),
            Payee::Internal { .. } | Payee::Conversion { .. } | Payee::Interbank(_) | Payee::Budget { .. } => None,
        }
    }
}

impl Requisites {
    /// Assembles requisites that [`parse_draft`] has checked, and asserts the invariants the
    /// types do not carry by themselves.
    fn new(
        payer_account: AccountId,
        amount: Amount,
        knp: Knp,
        purpose: Purpose,
        value_date: Date,
        payee: Payee,
    ) -> Requisites {
        match &payee {
            Payee::Internal { account } | Payee::Conversion { account } => {
                assert_ne!(*account, payer_account, "a transfer between own accounts needs two accounts")
            }
            Payee::Interbank(payee) => {
                assert_eq!(amount.currency(), Currency::Kzt, "interbank payments are in tenge");
                assert!(payee.iban.kz_bank_code().is_some(), "interbank payees are in Kazakhstan");
            }
            Payee::Budget { payee, .. } => {
                assert_eq!(amount.currency(), Currency::Kzt, "budget payments are in tenge");
                assert_eq!(payee.kbe, budget_payee_kbe(), "the budget payee is a state revenue body");
                assert_eq!(knp.section(), KNP_SECTION_BUDGET, "budget payments carry a budget KNP");
            }
            Payee::Foreign(_) => {
                assert_ne!(amount.currency(), Currency::Kzt, "foreign transfers are in foreign currency");
            }
        }
        Requisites { payer_account, amount, knp, purpose, value_date, payee }
    }

    pub fn kind(&self) -> DocumentKind {
        self.payee.kind()
    }

    /// The partner's account the money leaves.
    pub fn payer_account(&self) -> AccountId {
        self.payer_account
    }

    pub fn amount(&self) -> Amount {
        self.amount
    }

    pub fn knp(&self) -> Knp {
        self.knp
    }

    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    pub fn value_date(&self) -> Date {
        self.value_date
    }

    pub fn payee(&self) -> &Payee {
        &self.payee
    }

    /// The payee's KBe; `None` for transfers between the partner's own accounts.
    pub fn kbe(&self) -> Option<Kbe> {
        match &self.payee {
            Payee::Foreign(payee) => Some(payee.kbe),
            other => other.bank_payee().map(BankPayee::kbe),
        }
    }

    /// The KBK of a budget payment; `None` for the other kinds.
    pub fn kbk(&self) -> Option<Kbk> {
        match &self.payee {
            Payee::Budget { kbk, .. } => Some(*kbk),
            Payee::Internal { .. } | Payee::Interbank(_) | Payee::Conversion { .. } | Payee::Foreign(_) => None,
        }
    }
}

/// Parses a draft into requisites, or reports every problem at once.
///
/// - `directories`: the bank, KNP and KBK directories, the calendar, the treasury account and
///   this bank's code.
/// - `today`: the earliest value date the bank executes now, in Kazakhstan's business date (the
///   caller moves it to the next working day after its cut-off time; this crate reads no clock).
/// - `horizon_working_days`: how far ahead a value date may be, in working days after `today`;
///   at most [`VALUE_DATE_HORIZON_WORKING_DAYS_MAX`] (a larger value is a configuration bug and
///   panics).
///
/// Each field's own syntax is checked whenever it is present. The rules that depend on the kind
/// (what is required, what is not allowed, the cross-checks between fields) are applied when the
/// kind is known; a cross-check is skipped when one of its fields already failed, so one mistake
/// is reported once. Fields that do not belong to the kind are refused, not ignored
/// (`field_not_allowed`, `kbk_not_allowed`): a client that sends a payee IBAN on an internal
/// transfer has misunderstood what it is signing.
pub fn parse_draft(
    raw: &RawDocument,
    directories: &Directories<'_>,
    today: Date,
    horizon_working_days: u32,
) -> Result<Requisites, Vec<FieldError>> {
    assert!(
        horizon_working_days <= VALUE_DATE_HORIZON_WORKING_DAYS_MAX,
        "the value date horizon is a setting of at most {VALUE_DATE_HORIZON_WORKING_DAYS_MAX} working days"
    );
    Parser { rules: Rules::Current { directories, today, horizon_working_days }, errors: Vec::new() }.run(raw)
}

impl Requisites {
    /// Rebuilds requisites that a store saved (as [`RawDocument::from_requisites`] gave them).
    ///
    /// For storage only. Every field's syntax and the shape of the kind are checked, as are the
    /// rules that cannot change (a budget payment goes to the treasury account with KBe 11 and a
    /// budget KNP; the KBe agrees with the payee's IIN/BIN). The rules that depend on the day or
    /// on the directories are not: a document confirmed last month keeps its value date, and a
    /// KNP, KBK or bank that has since left a directory does not make it unreadable. The stored
    /// BIC is required and taken as it is. [`crate::Document::restore`] then checks the content
    /// against the digest recorded at submission.
    pub fn restore(raw: &RawDocument) -> Result<Requisites, Vec<FieldError>> {
        Parser { rules: Rules::Stored, errors: Vec::new() }.run(raw)
    }
}

/// The value-date rules on their own: not before `today`, not after `horizon_working_days`
/// working days after it, and on a working day. For re-checking a confirmed document's date on
/// the day it is executed; [`parse_draft`] applies the same rules.
pub fn check_value_date(
    value_date: Date,
    today: Date,
    calendar: &WorkingCalendar,
    horizon_working_days: u32,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let field = fields::VALUE_DATE;
    if value_date < today {
        errors.push(FieldError::new(
            field,
            codes::VALUE_DATE_IN_PAST,
            format!("the value date {value_date} is before {today}, the earliest date the bank executes now"),
        ));
    }
    // Past the end of the supported date range there is no horizon end to exceed.
    if let Ok(horizon_end) = calendar.add_working_days(today, horizon_working_days)
        && value_date > horizon_end
    {
        errors.push(FieldError::new(
            field,
            codes::VALUE_DATE_BEYOND_HORIZON,
            format!(
                "the value date {value_date} is after {horizon_end}, {horizon_working_days} working days ahead, \
                 the furthest the bank accepts"
            ),
        ));
    }
    if !calendar.is_working_day(value_date) {
        errors.push(FieldError::new(
            field,
            codes::VALUE_DATE_NOT_WORKING_DAY,
            format!("{value_date} is a day off; payment systems work on working days only"),
        ));
    }
    errors
}

/// The text of a field that is there: `None` for an absent or blank value.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|text| !text.trim().is_empty())
}

/// Which rules a parse applies.
enum Rules<'d, 'r> {
    /// A draft written now: every rule, against today's directories and date.
    Current { directories: &'d Directories<'r>, today: Date, horizon_working_days: u32 },
    /// A stored document read back: only the rules that cannot change (see
    /// [`Requisites::restore`]).
    Stored,
}

/// Collects errors while the fields are parsed one by one.
struct Parser<'d, 'r> {
    rules: Rules<'d, 'r>,
    errors: Vec<FieldError>,
}

impl Parser<'_, '_> {
    /// Parses every field, then builds the requisites if nothing was refused.
    fn run(mut self, raw: &RawDocument) -> Result<Requisites, Vec<FieldError>> {
        let kind = self.kind(raw);
        let payer_account = self.account(fields::PAYER_ACCOUNT, present(&raw.payer_account));
        let amount = self.amount(raw, kind);
        let knp = self.knp(present(&raw.knp), kind);
        let purpose = self.purpose(present(&raw.purpose));
        let value_date = self.value_date(present(&raw.value_date));
        let payee = match kind {
            Some(kind @ (DocumentKind::Internal | DocumentKind::Conversion)) => {
                self.own_payee(raw, payer_account, kind)
            }
            Some(kind @ (DocumentKind::Interbank | DocumentKind::Budget)) => self.bank_payee(raw, kind),
            Some(DocumentKind::Foreign) => self.foreign_payee(raw, amount.map(|amount| amount.currency())),
            None => {
                self.syntax_only(raw);
                None
            }
        };
        let errors = self.errors;
        match (payer_account, amount, knp, purpose, value_date, payee) {
            (Some(payer), Some(amount), Some(knp), Some(purpose), Some(date), Some(payee)) if errors.is_empty() => {
                Ok(Requisites::new(payer, amount, knp, purpose, date, payee))
            }
            _ => {
                assert!(!errors.is_empty(), "a draft without a value for every field must have an error to say why");
                Err(errors)
            }
        }
    }

    fn error(&mut self, field: &'static str, code: &'static str, detail: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, detail));
    }

    fn required<T>(&mut self, field: &'static str) -> Option<T> {
        self.errors.push(FieldError::required(field));
        None
    }

    /// The field's text, or a `required` error.
    fn require<'v>(&mut self, field: &'static str, value: &'v Option<String>) -> Option<&'v str> {
        present(value).or_else(|| self.required(field))
    }

    fn kind(&mut self, raw: &RawDocument) -> Option<DocumentKind> {
        let text = present(&raw.kind).or_else(|| self.required(fields::KIND))?;
        DocumentKind::parse(text).map_err(|error| self.error(fields::KIND, error.code(), error.to_string())).ok()
    }

    /// An account id is a positive integer in plain decimal: the API's JSON number, as text.
    fn account(&mut self, field: &'static str, text: Option<&str>) -> Option<AccountId> {
        let text = text.or_else(|| self.required(field))?;
        match parse_account_id(text) {
            Some(id) => Some(id),
            None => {
                self.error(field, codes::INVALID_ACCOUNT_ID, "an account id is a positive integer such as 42");
                None
            }
        }
    }

    fn amount(&mut self, raw: &RawDocument, kind: Option<DocumentKind>) -> Option<Amount> {
        let currency = match present(&raw.currency) {
            None => self.required(fields::CURRENCY),
            Some(code) => match Currency::parse(code) {
                Ok(currency) => Some(currency),
                Err(error) => {
                    self.error(fields::CURRENCY, error.code(), error.to_string());
                    None
                }
            },
        };
        if let (Some(currency), Some(DocumentKind::Interbank | DocumentKind::Budget)) = (currency, kind)
            && currency != Currency::Kzt
        {
            self.error(
                fields::CURRENCY,
                codes::CURRENCY_NOT_ALLOWED,
                format!("{} payments are in tenge (KZT), not {currency}", kind.map_or("", DocumentKind::as_str)),
            );
        }
        let text = present(&raw.amount).or_else(|| self.required(fields::AMOUNT))?;
        let Some(currency) = currency else {
            // The number of decimals depends on the currency; everything else can be checked.
            if let Some(error) = amount_error_without_currency(text) {
                self.error(fields::AMOUNT, error.code(), error.to_string());
            }
            return None;
        };
        Amount::parse_canonical(text, currency)
            .map_err(|error| self.error(fields::AMOUNT, error.code(), error.to_string()))
            .ok()
    }

    fn knp(&mut self, text: Option<&str>, kind: Option<DocumentKind>) -> Option<Knp> {
        let text = text.or_else(|| self.required(fields::KNP))?;
        let knp = Knp::parse(text).map_err(|error| self.error(fields::KNP, error.code(), error.to_string())).ok()?;
        if let Rules::Current { directories, .. } = self.rules
            && !directories.reference().knp().contains(&knp)
        {
            self.error(
                fields::KNP,
                codes::UNKNOWN_KNP,
                format!("KNP {knp} is not in the directory of payment purpose codes"),
            );
            return None;
        }
        if kind == Some(DocumentKind::Budget) && knp.section() != KNP_SECTION_BUDGET {
            self.error(
                fields::KNP,
                codes::KNP_NOT_FOR_BUDGET,
                format!(
                    "a budget payment needs a KNP of section 9 (911 tax, 912 penalty…); {knp} is of section {}",
                    knp.section()
                ),
            );
            return None;
        }
        Some(knp)
    }

    fn purpose(&mut self, text: Option<&str>) -> Option<Purpose> {
        let text = text.or_else(|| self.required(fields::PURPOSE))?;
        Purpose::parse(text)
            .map_err(|error| self.error(fields::PURPOSE, error.code(), format!("the purpose: {error}")))
            .ok()
    }

    fn value_date(&mut self, text: Option<&str>) -> Option<Date> {
        let text = text.or_else(|| self.required(fields::VALUE_DATE))?;
        let Some(date) = parse_iso_date(text) else {
            self.error(fields::VALUE_DATE, codes::INVALID_DATE, "a value date is written YYYY-MM-DD, e.g. 2025-03-14");
            return None;
        };
        let Rules::Current { directories, today, horizon_working_days } = self.rules else {
            return Some(date);
        };
        let problems = check_value_date(date, today, directories.reference().calendar(), horizon_working_days);
        let valid = problems.is_empty();
        self.errors.extend(problems);
        valid.then_some(date)
    }

    /// The payee of a transfer between the partner's own accounts: an internal transfer or a
    /// conversion.
    fn own_payee(&mut self, raw: &RawDocument, payer: Option<AccountId>, kind: DocumentKind) -> Option<Payee> {
        let document_kind = kind;
        let kind = kind.as_str();
        for (field, value) in [
            (fields::PAYEE_NAME, &raw.payee_name),
            (fields::PAYEE_BIN, &raw.payee_bin),
            (fields::PAYEE_IBAN, &raw.payee_iban),
            (fields::PAYEE_BIC, &raw.payee_bic),
            (fields::KBE, &raw.kbe),
        ] {
            if present(value).is_some() {
                self.errors.push(FieldError::not_allowed(field, kind));
            }
        }
        if present(&raw.kbk).is_some() {
            self.error(fields::KBK, codes::KBK_NOT_ALLOWED, "a KBK belongs only on a budget payment");
        }
        self.refuse_foreign_fields(raw, kind);
        let account = self.account(fields::PAYEE_ACCOUNT, present(&raw.payee_account))?;
        if payer == Some(account) {
            self.error(fields::PAYEE_ACCOUNT, codes::SAME_ACCOUNT, "the payee account is the payer account");
            return None;
        }
        Some(match document_kind {
            DocumentKind::Conversion => Payee::Conversion { account },
            _ => Payee::Internal { account },
        })
    }

    fn bank_payee(&mut self, raw: &RawDocument, kind: DocumentKind) -> Option<Payee> {
        debug_assert!(matches!(kind, DocumentKind::Interbank | DocumentKind::Budget));
        if present(&raw.payee_account).is_some() {
            self.errors.push(FieldError::not_allowed(fields::PAYEE_ACCOUNT, kind.as_str()));
        }
        self.refuse_foreign_fields(raw, kind.as_str());
        let name = self.require(fields::PAYEE_NAME, &raw.payee_name).and_then(|text| self.payee_name(Some(text)));
        let taxpayer_id = self.require(fields::PAYEE_BIN, &raw.payee_bin).and_then(|text| self.taxpayer_id(Some(text)));
        let iban = self.require(fields::PAYEE_IBAN, &raw.payee_iban).and_then(|text| self.iban(Some(text)));
        let typed_bic = self.bic(present(&raw.payee_bic));
        let kbe = self.require(fields::KBE, &raw.kbe).and_then(|text| self.kbe(Some(text)));
        let kbk = match kind {
            DocumentKind::Budget => self.require(fields::KBK, &raw.kbk).and_then(|text| self.kbk(Some(text))),
            DocumentKind::Interbank | DocumentKind::Internal | DocumentKind::Conversion | DocumentKind::Foreign => {
                if present(&raw.kbk).is_some() {
                    self.error(fields::KBK, codes::KBK_NOT_ALLOWED, "a KBK belongs only on a budget payment");
                }
                None
            }
        };

        let bic = match (&self.rules, &iban) {
            (_, None) => None,
            (Rules::Current { directories, .. }, Some(iban)) => self.payee_bank(iban, kind, directories),
            (Rules::Stored, Some(iban)) => self.stored_payee_bank(iban, kind, typed_bic.as_ref(), &raw.payee_bic),
        };
        if let (Some(bic), Some(typed)) = (&bic, &typed_bic)
            && typed.primary_office() != bic.primary_office()
        {
            self.error(
                fields::PAYEE_BIC,
                codes::BIC_MISMATCH,
                format!("the IBAN's bank code is the bank with BIC {bic}, not {typed}"),
            );
        }
        if let (DocumentKind::Budget, Some(taxpayer_id)) = (kind, &taxpayer_id) {
            self.check_budget_taxpayer_id(taxpayer_id);
        }
        if let Some(kbe) = kbe {
            self.check_kbe_consistency(kbe, taxpayer_id.as_ref(), kind);
        }
        // A cross-check that failed has left its error, so `parse_draft` refuses the draft even
        // though every part is here. The stored BIC is always the directory's (`bic`), a typed
        // one only had to agree with it.
        let payee = BankPayee { name: name?, taxpayer_id: taxpayer_id?, iban: iban?, bic: bic?, kbe: kbe? };
        match kind {
            DocumentKind::Budget => Some(Payee::Budget { payee, kbk: kbk? }),
            DocumentKind::Interbank => Some(Payee::Interbank(payee)),
            DocumentKind::Internal | DocumentKind::Conversion | DocumentKind::Foreign => {
                unreachable!("own accounts' and foreign payees have parsers of their own")
            }
        }
    }

    /// Without a kind, only each field's own syntax can be checked.
    fn syntax_only(&mut self, raw: &RawDocument) {
        if let Some(text) = present(&raw.payee_account) {
            self.account(fields::PAYEE_ACCOUNT, Some(text));
        }
        self.payee_name(present(&raw.payee_name));
        self.taxpayer_id(present(&raw.payee_bin));
        self.iban(present(&raw.payee_iban));
        self.bic(present(&raw.payee_bic));
        self.kbe(present(&raw.kbe));
        self.kbk(present(&raw.kbk));
        if let Some(text) = present(&raw.payee_country) {
            self.country(text);
        }
        if let Some(text) = present(&raw.payee_swift_bic) {
            self.swift_bic(fields::PAYEE_SWIFT_BIC, text);
        }
        if let Some(text) = present(&raw.intermediary_swift_bic) {
            self.swift_bic(fields::INTERMEDIARY_SWIFT_BIC, text);
        }
        if let Some(text) = present(&raw.charges) {
            self.charges(text);
        }
    }

    fn payee_name(&mut self, text: Option<&str>) -> Option<PayeeName> {
        PayeeName::parse(text?)
            .map_err(|error| self.error(fields::PAYEE_NAME, error.code(), format!("the payee name: {error}")))
            .ok()
    }

    fn taxpayer_id(&mut self, text: Option<&str>) -> Option<TaxpayerId> {
        TaxpayerId::parse(text?).map_err(|error| self.error(fields::PAYEE_BIN, error.code(), error.to_string())).ok()
    }

    fn iban(&mut self, text: Option<&str>) -> Option<Iban> {
        Iban::parse(text?).map_err(|error| self.error(fields::PAYEE_IBAN, error.code(), error.to_string())).ok()
    }

    fn bic(&mut self, text: Option<&str>) -> Option<Bic> {
        Bic::parse(text?).map_err(|error| self.error(fields::PAYEE_BIC, error.code(), error.to_string())).ok()
    }

    fn kbe(&mut self, text: Option<&str>) -> Option<Kbe> {
        Kbe::parse(text?).map_err(|error| self.error(fields::KBE, error.code(), error.to_string())).ok()
    }

    fn kbk(&mut self, text: Option<&str>) -> Option<Kbk> {
        let kbk = Kbk::parse(text?).map_err(|error| self.error(fields::KBK, error.code(), error.to_string())).ok()?;
        if let Rules::Current { directories, .. } = self.rules
            && !directories.reference().kbk().contains(&kbk)
        {
            self.error(
                fields::KBK,
                codes::UNKNOWN_KBK,
                format!("KBK {kbk} is not in the budget classification directory"),
            );
            return None;
        }
        Some(kbk)
    }

    /// The payee's bank from the IBAN, answering the BIC the directory has for it (FACTS.md §1:
    /// the bank code must exist in the BIC directory).
    fn payee_bank(&mut self, iban: &Iban, kind: DocumentKind, directories: &Directories<'_>) -> Option<Bic> {
        let field = fields::PAYEE_IBAN;
        let reference = directories.reference();
        if kind == DocumentKind::Budget {
            // FACTS.md §1 and §6: every tax and budget payment goes to the single treasury account.
            if iban != reference.treasury_iban() {
                self.error(
                    field,
                    codes::NOT_A_BUDGET_PAYEE,
                    format!("budget payments go to the treasury account {}", reference.treasury_iban()),
                );
                return None;
            }
            return Some(reference.treasury_bic().clone());
        }
        let Some(code) = iban.kz_bank_code() else {
            self.error(field, codes::IBAN_NOT_KAZAKHSTAN, "interbank payments go to Kazakhstan (KZ) IBANs");
            return None;
        };
        if code == directories.own_bank_code() {
            self.error(field, codes::PAYEE_AT_OWN_BANK, "the payee's account is at this bank, not at another bank");
            return None;
        }
        let Some(bank) = reference.banks().by_iban_bank_code(code) else {
            self.error(field, codes::UNKNOWN_BANK, format!("no bank in the NBK directory has the bank code {code}"));
            return None;
        };
        if !bank.active() {
            self.error(
                field,
                codes::INACTIVE_BANK,
                format!("bank code {code} belonged to {}, which is no longer in the directory", bank.name_ru()),
            );
            return None;
        }
        if bank.kind() == InstitutionKind::StateTreasury {
            self.error(
                field,
                codes::TREASURY_REQUIRES_BUDGET_KIND,
                "payments to the treasury are budget payments, with a KBK",
            );
            return None;
        }
        Some(bank.bic().clone())
    }

    /// The payee's bank of a stored document: the BIC saved with it, and the shape rules that do
    /// not need a directory (a budget payment is to the treasury account, an interbank one to a
    /// Kazakhstan IBAN).
    fn stored_payee_bank(
        &mut self,
        iban: &Iban,
        kind: DocumentKind,
        stored_bic: Option<&Bic>,
        raw_bic: &Option<String>,
    ) -> Option<Bic> {
        let field = fields::PAYEE_IBAN;
        if kind == DocumentKind::Budget && iban.as_str() != TREASURY_IBAN {
            self.error(
                field,
                codes::NOT_A_BUDGET_PAYEE,
                format!("budget payments go to the treasury account {TREASURY_IBAN}"),
            );
        }
        if kind == DocumentKind::Interbank && iban.kz_bank_code().is_none() {
            self.error(field, codes::IBAN_NOT_KAZAKHSTAN, "interbank payments go to Kazakhstan (KZ) IBANs");
        }
        if present(raw_bic).is_none() {
            self.errors.push(FieldError::required(fields::PAYEE_BIC));
        }
        stored_bic.cloned()
    }

    /// A budget payee is a state revenue body, which has a BIN of a resident legal entity
    /// (FACTS.md §6: "identified by its BIN"). Which BINs are revenue bodies needs the KGD
    /// directory, which the reference data does not have yet.
    fn check_budget_taxpayer_id(&mut self, taxpayer_id: &TaxpayerId) {
        let resident_entity =
            taxpayer_id.bin().is_some_and(|bin| bin.entity_type() == BinEntityType::ResidentLegalEntity);
        if !resident_entity {
            self.error(
                fields::PAYEE_BIN,
                codes::NOT_A_BUDGET_PAYEE,
                "the payee of a budget payment is a state revenue body, identified by its BIN",
            );
        }
    }

    /// `taxpayer_id` is `None` when the payee's IIN/BIN is missing or invalid: then only the
    /// rules that do not depend on it apply.
    /// The fields of a foreign transfer are refused on every other kind.
    fn refuse_foreign_fields(&mut self, raw: &RawDocument, kind: &str) {
        for (field, value) in [
            (fields::PAYEE_ADDRESS, &raw.payee_address),
            (fields::PAYEE_COUNTRY, &raw.payee_country),
            (fields::PAYEE_SWIFT_BIC, &raw.payee_swift_bic),
            (fields::INTERMEDIARY_SWIFT_BIC, &raw.intermediary_swift_bic),
            (fields::CHARGES, &raw.charges),
            (fields::CONTRACT_NUMBER, &raw.contract_number),
            (fields::CONTRACT_DATE, &raw.contract_date),
        ] {
            if present(value).is_some() {
                self.errors.push(FieldError::not_allowed(field, kind));
            }
        }
    }

    /// The payee of a foreign transfer (R-3.1.1.3): name, address, country, account (an IBAN
    /// where the payee bank's country issues them), the payee bank's and an optional
    /// intermediary's SWIFT BIC, the KBe, who pays the charges, and the contract when given.
    fn foreign_payee(&mut self, raw: &RawDocument, currency: Option<Currency>) -> Option<Payee> {
        let kind = DocumentKind::Foreign.as_str();
        if currency == Some(Currency::Kzt) {
            self.error(
                fields::CURRENCY,
                codes::CURRENCY_NOT_ALLOWED,
                "foreign transfers are in foreign currency; tenge goes to other banks as an interbank payment",
            );
        }
        for (field, value) in [
            (fields::PAYEE_ACCOUNT, &raw.payee_account),
            (fields::PAYEE_BIN, &raw.payee_bin),
            (fields::PAYEE_BIC, &raw.payee_bic),
        ] {
            if present(value).is_some() {
                self.errors.push(FieldError::not_allowed(field, kind));
            }
        }
        if present(&raw.kbk).is_some() {
            self.error(fields::KBK, codes::KBK_NOT_ALLOWED, "a KBK belongs only on a budget payment");
        }
        let name = self.require(fields::PAYEE_NAME, &raw.payee_name).and_then(|text| self.foreign_name(text, currency));
        let address = self.require(fields::PAYEE_ADDRESS, &raw.payee_address).and_then(|text| {
            PayeeAddress::parse(text)
                .map_err(|error| self.error(fields::PAYEE_ADDRESS, error.code(), format!("the payee address: {error}")))
                .ok()
        });
        let country = self.require(fields::PAYEE_COUNTRY, &raw.payee_country).and_then(|text| self.country(text));
        let bic = self
            .require(fields::PAYEE_SWIFT_BIC, &raw.payee_swift_bic)
            .and_then(|text| self.swift_bic(fields::PAYEE_SWIFT_BIC, text));
        let intermediary =
            present(&raw.intermediary_swift_bic).and_then(|text| self.swift_bic(fields::INTERMEDIARY_SWIFT_BIC, text));
        if let (Some(bic), Some(intermediary)) = (&bic, &intermediary)
            && bic.primary_office() == intermediary.primary_office()
        {
            self.error(
                fields::INTERMEDIARY_SWIFT_BIC,
                codes::INTERMEDIARY_IS_PAYEE_BANK,
                "the intermediary is the payee's bank itself; leave it empty or name a correspondent bank",
            );
        }
        let account =
            self.require(fields::PAYEE_IBAN, &raw.payee_iban).and_then(|text| self.foreign_account(text, bic.as_ref()));
        let kbe = self.require(fields::KBE, &raw.kbe).and_then(|text| self.kbe(Some(text)));
        if let (Some(kbe), Some(country)) = (kbe, country)
            && country != Country::KZ
            && kbe.residency() != Residency::NonResident
        {
            self.error(
                fields::KBE,
                codes::KBE_INCONSISTENT_WITH_PAYEE,
                format!("KBe {kbe}: a payee in {country} is a non-resident, so the first digit is 2"),
            );
        }
        let charges = self.require(fields::CHARGES, &raw.charges).and_then(|text| self.charges(text));
        let contract = self.contract(raw);
        let payee = ForeignPayee {
            name: name?,
            address: address?,
            country: country?,
            account: account?,
            bic: bic?,
            intermediary,
            kbe: kbe?,
            charges: charges?,
            contract: contract?,
        };
        Some(Payee::Foreign(payee))
    }

    /// A foreign payee's name travels through correspondent banks in the SWIFT character set;
    /// only a rouble transfer (to Russia) may name its payee in Cyrillic (FACTS.md, "FX").
    fn foreign_name(&mut self, text: &str, currency: Option<Currency>) -> Option<PayeeName> {
        let name = self.payee_name(Some(text))?;
        if currency != Some(Currency::Rub)
            && let Some((position, character)) = crate::foreign::first_non_swift(name.as_str())
        {
            let error = TextError::NotSwiftCharacter { position, character };
            self.error(fields::PAYEE_NAME, error.code(), format!("the payee name: {error}; write it in Latin letters"));
            return None;
        }
        Some(name)
    }

    fn country(&mut self, text: &str) -> Option<Country> {
        Country::parse(text).map_err(|error| self.error(fields::PAYEE_COUNTRY, error.code(), error.to_string())).ok()
    }

    /// A SWIFT BIC, which a current draft must find in the directory of banks abroad or of
    /// Kazakhstan banks.
    fn swift_bic(&mut self, field: &'static str, text: &str) -> Option<Bic> {
        let bic = Bic::parse(text).map_err(|error| self.error(field, error.code(), error.to_string())).ok()?;
        if let Rules::Current { directories, .. } = self.rules {
            let reference = directories.reference();
            let known = reference.foreign_banks().by_bic(&bic).is_some() || reference.banks().by_bic(&bic).is_some();
            if !known {
                self.error(
                    field,
                    codes::UNKNOWN_SWIFT_BIC,
                    format!("no bank with the BIC {bic} is in the bank directories; check it with the payee"),
                );
                return None;
            }
            if field == fields::PAYEE_SWIFT_BIC && directories.own_bank().bic().primary_office() == bic.primary_office()
            {
                self.error(field, codes::PAYEE_AT_OWN_BANK, "the payee's bank is this bank, not another bank");
                return None;
            }
        }
        Some(bic)
    }

    /// The payee's account: an IBAN when the text looks like one or the payee bank's country
    /// requires them (then it must be a valid IBAN of that country), else an account number.
    fn foreign_account(&mut self, text: &str, bic: Option<&Bic>) -> Option<ForeignAccount> {
        let field = fields::PAYEE_IBAN;
        let bank_country_uses_iban = bic.is_some_and(|bic| crate::foreign::iban_mandatory(bic.country()));
        let looks_like_iban = text.trim().len() >= 2
            && text.trim().as_bytes()[..2].iter().all(u8::is_ascii_alphabetic)
            && tiyn_core::iban::country_uses_iban(&text.trim()[..2].to_ascii_uppercase());
        if bank_country_uses_iban || looks_like_iban {
            let iban = Iban::parse(text).map_err(|error| self.error(field, error.code(), error.to_string())).ok()?;
            if let Some(bic) = bic
                && bank_country_uses_iban
                && iban.country() != bic.country()
            {
                self.error(
                    fields::PAYEE_SWIFT_BIC,
                    codes::BIC_MISMATCH,
                    format!(
                        "the IBAN is of an account in {}, but the bank {bic} is in {}",
                        iban.country(),
                        bic.country()
                    ),
                );
                return None;
            }
            return Some(ForeignAccount::Iban(iban));
        }
        match ForeignAccount::number(text) {
            Some(account) => Some(account),
            None => {
                self.error(
                    field,
                    codes::INVALID_ACCOUNT_NUMBER,
                    "an account number is 1 to 34 Latin letters and digits (or the payee's IBAN)",
                );
                None
            }
        }
    }

    fn charges(&mut self, text: &str) -> Option<Charges> {
        let charges = Charges::parse(text);
        if charges.is_none() {
            self.error(
                fields::CHARGES,
                codes::INVALID_CHARGES,
                "charges are OUR (the payer pays all), SHA (each side its own bank) or BEN (the payee pays all)",
            );
        }
        charges
    }

    /// The contract: both its number and date, or neither (`Some(None)`); `None` after an error.
    fn contract(&mut self, raw: &RawDocument) -> Option<Option<Contract>> {
        let (number, date) = match (present(&raw.contract_number), present(&raw.contract_date)) {
            (None, None) => return Some(None),
            (Some(_), None) => return self.required(fields::CONTRACT_DATE),
            (None, Some(_)) => return self.required(fields::CONTRACT_NUMBER),
            (Some(number), Some(date)) => (number, date),
        };
        let Some(date) = parse_iso_date(date) else {
            self.error(fields::CONTRACT_DATE, codes::INVALID_DATE, "a contract date is written YYYY-MM-DD");
            return None;
        };
        if let Rules::Current { today, .. } = self.rules
            && date > today
        {
            self.error(
                fields::CONTRACT_DATE,
                codes::CONTRACT_DATE_IN_FUTURE,
                format!("the contract date {date} is after today"),
            );
            return None;
        }
        match Contract::new(number, date) {
            Ok(contract) => Some(Some(contract)),
            Err(error) => {
                self.error(fields::CONTRACT_NUMBER, error.code(), format!("the contract number: {error}"));
                None
            }
        }
    }

    fn check_kbe_consistency(&mut self, kbe: Kbe, taxpayer_id: Option<&TaxpayerId>, kind: DocumentKind) {
        if let Some(reason) = kbe_inconsistency(kbe, taxpayer_id, kind) {
            self.error(fields::KBE, codes::KBE_INCONSISTENT_WITH_PAYEE, format!("KBe {kbe}: {reason}"));
        }
    }
}

/// Why a KBe contradicts what else is known of the payee (FACTS.md §2 and §5), or `None`.
///
/// - A budget payee is a state revenue body: KBe 11, resident central government.
/// - An IIN is an individual's or an individual entrepreneur's: sector 9, households (19 or 29;
///   foreigners have IINs too, so residency is not implied).
/// - A BIN of type 4 is a resident legal entity and of type 5 a non-resident one: the residency
///   digit must agree, and the sector cannot be households.
/// - A BIN of type 6 is individual entrepreneurs working jointly: sector 9, households.
fn kbe_inconsistency(kbe: Kbe, taxpayer_id: Option<&TaxpayerId>, kind: DocumentKind) -> Option<&'static str> {
    if kind == DocumentKind::Budget && kbe != budget_payee_kbe() {
        return Some("a budget payee is a state revenue body, KBe 11 (resident, central government)");
    }
    let households = kbe.sector() == EconomicSector::Households;
    match taxpayer_id? {
        TaxpayerId::Iin(_) if !households => {
            Some("an IIN belongs to an individual or an individual entrepreneur, whose sector is 9 (households)")
        }
        TaxpayerId::Iin(_) => None,
        TaxpayerId::Bin(bin) => match bin.entity_type() {
            BinEntityType::ResidentLegalEntity if kbe.residency() != Residency::Resident => {
                Some("the BIN is a resident legal entity's, so the first digit is 1 (resident)")
            }
            BinEntityType::NonResidentLegalEntity if kbe.residency() != Residency::NonResident => {
                Some("the BIN is a non-resident legal entity's, so the first digit is 2 (non-resident)")
            }
            BinEntityType::ResidentLegalEntity | BinEntityType::NonResidentLegalEntity if households => {
                Some("the BIN is a legal entity's, which is not in sector 9 (households)")
            }
            BinEntityType::JointIndividualEntrepreneurs if !households => {
                Some("the BIN is of individual entrepreneurs, whose sector is 9 (households)")
            }
            _ => None,
        },
    }
}

/// The mistakes in an amount that do not depend on its currency, for when the currency is
/// missing or unknown: the number of decimals cannot be judged, the rest can.
fn amount_error_without_currency(text: &str) -> Option<AmountError> {
    // KZT admits up to two decimals, more than any other supported currency, so only a
    // precision or a range verdict could depend on the currency; those are left out.
    match Money::parse(text, Currency::Kzt) {
        Ok(money) if !money.is_positive() => Some(AmountError::NotPositive),
        Ok(_) => None,
        Err(AmountError::TooManyDecimals { .. } | AmountError::WrongScale { .. } | AmountError::Overflow) => None,
        Err(error) => Some(error),
    }
}

/// The longest account id in decimal: `i64::MAX` has 19 digits.
const ACCOUNT_ID_DIGITS_MAX: usize = 19;

fn parse_account_id(text: &str) -> Option<AccountId> {
    let text = text.trim();
    let plain = !text.is_empty()
        && text.len() <= ACCOUNT_ID_DIGITS_MAX
        && text.bytes().all(|byte| byte.is_ascii_digit())
        && !text.starts_with('0');
    let id: i64 = if plain { text.parse().ok()? } else { return None };
    debug_assert!(id > 0);
    Some(AccountId::new(id))
}

/// `YYYY-MM-DD` exactly (the API's date format), as a real calendar date.
fn parse_iso_date(text: &str) -> Option<Date> {
    let bytes = text.trim().as_bytes();
    let shape = bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range].iter().fold(0i16, |value, byte| value * 10 + i16::from(byte - b'0'))
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    // Month and day have two digits, so they fit an i8.
    Date::new(year, month as i8, day as i8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_positive_plain_integers() {
        assert_eq!(parse_account_id("42"), Some(AccountId::new(42)));
        assert_eq!(parse_account_id(" 7 "), Some(AccountId::new(7)));
        assert_eq!(parse_account_id("9223372036854775807"), Some(AccountId::new(i64::MAX)));
        for bad in ["0", "007", "-1", "+1", "1.0", "9223372036854775808", "12345678901234567890", "", "٣"] {
            assert_eq!(parse_account_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_are_iso_and_real() {
        assert_eq!(parse_iso_date("2025-03-14"), Some(jiff::civil::date(2025, 3, 14)));
        for bad in
            ["2025-3-14", "14.03.2025", "20250314", "2025-02-29", "2025-13-01", "2025-03-14T00:00", "２025-03-14"]
        {
            assert_eq!(parse_iso_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn amounts_are_judged_without_a_currency_where_possible() {
        assert_eq!(amount_error_without_currency("1500.00"), None);
        assert_eq!(amount_error_without_currency("1500.001"), None, "precision depends on the currency");
        assert_eq!(amount_error_without_currency("0.00"), Some(AmountError::NotPositive));
        assert_eq!(amount_error_without_currency("-5"), Some(AmountError::NotPositive));
        assert_eq!(amount_error_without_currency("1e3"), Some(AmountError::Malformed));
    }
}
