//! Field-level refusals of a payment document: which API field, which stable code, and a
//! sentence for people.
//!
//! The field names are the API's (`../shared/API.md`, "A payment document"); the money object
//! `amount: {amount, currency}` is named `amount.amount` and `amount.currency`, as `tiyn-api`'s
//! `MoneyInput` already names it. Codes are stable snake_case words: clients switch on them and
//! translate them, so a code is never renamed, only added.

use std::fmt;

/// One problem with one field of a payment document.
///
/// A parse reports every problem it finds, so one field can appear more than once (a value date
/// in the past that is also a Sunday), each time with its own code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The API field name, e.g. `"payee_iban"`; one of the constants in [`fields`].
    pub field: &'static str,
    /// The stable code, e.g. `"bic_mismatch"`; one of the constants in [`codes`].
    pub code: &'static str,
    /// What is wrong, in English, for logs and for clients without a translation of `code`.
    pub detail: String,
}

impl FieldError {
    pub(crate) fn new(field: &'static str, code: &'static str, detail: impl Into<String>) -> FieldError {
        debug_assert!(fields::ALL.contains(&field), "unknown field name {field}");
        debug_assert!(codes::ALL.contains(&code), "unregistered code {code}");
        FieldError { field, code, detail: detail.into() }
    }

    pub(crate) fn required(field: &'static str) -> FieldError {
        FieldError::new(field, codes::REQUIRED, format!("{field} is required"))
    }

    /// The currency-control contract is required for this amount: the bank's rule, checked
    /// where its threshold and rates are known.
    pub fn contract_required(detail: impl Into<String>) -> FieldError {
        FieldError::new(fields::CONTRACT_NUMBER, codes::CONTRACT_REQUIRED, detail)
    }

    pub(crate) fn not_allowed(field: &'static str, kind: &str) -> FieldError {
        FieldError::new(field, codes::FIELD_NOT_ALLOWED, format!("{field} is not part of a {kind} payment"))
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.detail, self.code)
    }
}

/// The API field names of a payment document that validation can name.
pub mod fields {
    pub const KIND: &str = "kind";
    pub const PAYER_ACCOUNT: &str = "payer_account";
    /// The decimal string inside the money object.
    pub const AMOUNT: &str = "amount.amount";
    /// The ISO 4217 code inside the money object.
    pub const CURRENCY: &str = "amount.currency";
    pub const KNP: &str = "knp";
    pub const PURPOSE: &str = "purpose";
    pub const VALUE_DATE: &str = "value_date";
    pub const PAYEE_ACCOUNT: &str = "payee_account";
    pub const PAYEE_NAME: &str = "payee_name";
    pub const PAYEE_BIN: &str = "payee_bin";
    pub const PAYEE_IBAN: &str = "payee_iban";
    pub const PAYEE_BIC: &str = "payee_bic";
    pub const KBE: &str = "kbe";
    pub const KBK: &str = "kbk";
    /// Foreign transfers: the payee's address.
    pub const PAYEE_ADDRESS: &str = "payee_address";
    /// Foreign transfers: the payee's country, ISO 3166 alpha-2.
    pub const PAYEE_COUNTRY: &str = "payee_country";
    /// Foreign transfers: the payee bank's SWIFT BIC.
    pub const PAYEE_SWIFT_BIC: &str = "payee_swift_bic";
    /// Foreign transfers: the intermediary bank's SWIFT BIC.
    pub const INTERMEDIARY_SWIFT_BIC: &str = "intermediary_swift_bic";
    /// Foreign transfers: `OUR`, `SHA` or `BEN`.
    pub const CHARGES: &str = "charges";
    /// Foreign transfers: the currency-control contract's number (`contract: {number, date}`).
    pub const CONTRACT_NUMBER: &str = "contract.number";
    /// Foreign transfers: the currency-control contract's date.
    pub const CONTRACT_DATE: &str = "contract.date";

    /// The fields only a foreign transfer has (the tenge import formats carry none of them).
    pub const FOREIGN_ONLY: [&str; 7] = [
        PAYEE_ADDRESS,
        PAYEE_COUNTRY,
        PAYEE_SWIFT_BIC,
        INTERMEDIARY_SWIFT_BIC,
        CHARGES,
        CONTRACT_NUMBER,
        CONTRACT_DATE,
    ];

    /// Every field, in the order a form shows them.
    pub const ALL: [&str; 21] = [
        KIND,
        PAYER_ACCOUNT,
        AMOUNT,
        CURRENCY,
        KNP,
        PURPOSE,
        VALUE_DATE,
        PAYEE_ACCOUNT,
        PAYEE_NAME,
        PAYEE_BIN,
        PAYEE_IBAN,
        PAYEE_BIC,
        KBE,
        KBK,
        PAYEE_ADDRESS,
        PAYEE_COUNTRY,
        PAYEE_SWIFT_BIC,
        INTERMEDIARY_SWIFT_BIC,
        CHARGES,
        CONTRACT_NUMBER,
        CONTRACT_DATE,
    ];
}

/// Every code [`crate::parse_draft`] can answer, with the fields it is used on.
///
/// Codes that come from `tiyn-core` (`invalid_iban`, `amount_precision`, …) are the core types'
/// own `code()` values, repeated here so that one list documents the whole vocabulary.
pub mod codes {
    /// Any field: a required field is absent or blank.
    pub const REQUIRED: &str = "required";
    /// Any payee field, `kbe`, `payee_account`: the field does not belong to this kind of
    /// document (a payee IBAN on an internal transfer, a payee account on an interbank one).
    pub const FIELD_NOT_ALLOWED: &str = "field_not_allowed";

    /// `kind`: not a document kind.
    pub const INVALID_KIND: &str = "invalid_kind";

    /// `payer_account`, `payee_account`: not a positive integer account id.
    pub const INVALID_ACCOUNT_ID: &str = "invalid_account_id";
    /// `payee_account`: an internal transfer to the account it comes from.
    pub const SAME_ACCOUNT: &str = "same_account";

    /// `amount.amount`: not a plain decimal string (tiyn-core).
    pub const INVALID_AMOUNT: &str = "invalid_amount";
    /// `amount.amount`: not exactly the currency's number of decimals (tiyn-core).
    pub const AMOUNT_PRECISION: &str = "amount_precision";
    /// `amount.amount`: zero or negative (tiyn-core).
    pub const AMOUNT_NOT_POSITIVE: &str = "amount_not_positive";
    /// `amount.amount`: does not fit 64-bit minor units (tiyn-core).
    pub const AMOUNT_OVERFLOW: &str = "amount_overflow";
    /// `amount.currency`: not a supported ISO 4217 code (tiyn-core).
    pub const UNSUPPORTED_CURRENCY: &str = "unsupported_currency";
    /// `amount.currency`: interbank and budget payments are in tenge.
    pub const CURRENCY_NOT_ALLOWED: &str = "currency_not_allowed";

    /// `knp`: not three digits (tiyn-core).
    pub const INVALID_KNP: &str = "invalid_knp";
    /// `knp`: three digits, but not in the KNP directory.
    pub const UNKNOWN_KNP: &str = "unknown_knp";
    /// `knp`: a budget payment needs a KNP of section 9 (taxes and budget payments).
    pub const KNP_NOT_FOR_BUDGET: &str = "knp_not_for_budget";

    /// `kbe`: not two digits of a residency and a sector (tiyn-core).
    pub const INVALID_KBE: &str = "invalid_kbe";
    /// `kbe`: contradicts the payee (an individual's IIN with a company sector, a budget payee
    /// that is not a resident government body, a resident BIN marked non-resident).
    pub const KBE_INCONSISTENT_WITH_PAYEE: &str = "kbe_inconsistent_with_payee";

    /// `payee_iban`: not a valid IBAN (tiyn-core).
    pub const INVALID_IBAN: &str = "invalid_iban";
    /// `payee_iban`: a valid IBAN of another country; foreign payments come with the currency
    /// issue.
    pub const IBAN_NOT_KAZAKHSTAN: &str = "iban_not_kazakhstan";
    /// `payee_iban`: an account at this bank; interbank payments go to other banks.
    pub const PAYEE_AT_OWN_BANK: &str = "payee_at_own_bank";
    /// `payee_iban`: no participant of the NBK bank directory has the IBAN's bank code.
    pub const UNKNOWN_BANK: &str = "unknown_bank";
    /// `payee_iban`: the bank code belongs to a participant that is no longer in the directory.
    pub const INACTIVE_BANK: &str = "inactive_bank";
    /// `payee_iban`: the treasury account takes budget payments only (with a KBK).
    pub const TREASURY_REQUIRES_BUDGET_KIND: &str = "treasury_requires_budget_kind";
    /// `payee_iban`: a budget payment not to the treasury account; `payee_bin`: a budget payee
    /// that is not a resident legal entity (state revenue bodies have BINs).
    pub const NOT_A_BUDGET_PAYEE: &str = "not_a_budget_payee";

    /// `payee_bic`: not a valid BIC (tiyn-core).
    pub const INVALID_BIC: &str = "invalid_bic";
    /// `payee_bic`: not the BIC of the bank the IBAN's bank code names.
    pub const BIC_MISMATCH: &str = "bic_mismatch";

    /// `payee_bin`: not a valid IIN or BIN (tiyn-core).
    pub const INVALID_TAXPAYER_ID: &str = "invalid_taxpayer_id";

    /// `kbk`: not six digits (tiyn-core).
    pub const INVALID_KBK: &str = "invalid_kbk";
    /// `kbk`: six digits, but not in the KBK directory.
    pub const UNKNOWN_KBK: &str = "unknown_kbk";
    /// `kbk`: a KBK on a payment that is not to the budget.
    pub const KBK_NOT_ALLOWED: &str = "kbk_not_allowed";

    /// `payee_name`, `purpose`: longer than the field's limit.
    pub const TOO_LONG: &str = "too_long";
    /// `payee_name`, `purpose`: a control character (line break, tab, …) or an invisible
    /// formatting character (bidirectional override, zero-width space).
    pub const CONTROL_CHARACTER: &str = "control_character";
    /// `purpose`: starts with `:`, which payment-message formats read as a field tag.
    pub const LEADING_COLON: &str = "leading_colon";

    /// `value_date`: not a `YYYY-MM-DD` date.
    pub const INVALID_DATE: &str = "invalid_date";
    /// `value_date`: before the earliest date the bank executes today.
    pub const VALUE_DATE_IN_PAST: &str = "value_date_in_past";
    /// `value_date`: after the bank's horizon of working days.
    pub const VALUE_DATE_BEYOND_HORIZON: &str = "value_date_beyond_horizon";
    /// `value_date`: a day off; payment systems do not work then.
    pub const VALUE_DATE_NOT_WORKING_DAY: &str = "value_date_not_working_day";

    /// `payee_name` (foreign, except roubles), `payee_address`, `contract.number`: a character
    /// outside the SWIFT set (Latin letters, digits, space and `/ - ? : ( ) . , ' +`).
    pub const NOT_SWIFT_CHARACTER: &str = "not_swift_character";
    /// `payee_country`: not two letters (tiyn-core).
    pub const INVALID_COUNTRY: &str = "invalid_country";
    /// `payee_country`: two letters that are not an ISO 3166 country (tiyn-core).
    pub const UNKNOWN_COUNTRY: &str = "unknown_country";
    /// `payee_swift_bic`, `intermediary_swift_bic`: a valid BIC that no directory of banks
    /// (abroad or in Kazakhstan) lists.
    pub const UNKNOWN_SWIFT_BIC: &str = "unknown_swift_bic";
    /// `intermediary_swift_bic`: the payee's own bank; an intermediary is another bank.
    pub const INTERMEDIARY_IS_PAYEE_BANK: &str = "intermediary_is_payee_bank";
    /// `payee_iban` (foreign): neither an IBAN nor an account number of letters and digits.
    pub const INVALID_ACCOUNT_NUMBER: &str = "invalid_account_number";
    /// `charges`: not `OUR`, `SHA` or `BEN`.
    pub const INVALID_CHARGES: &str = "invalid_charges";
    /// `contract.date`: after today.
    pub const CONTRACT_DATE_IN_FUTURE: &str = "contract_date_in_future";
    /// `contract.number`: the amount is above the bank's currency-control threshold, so the
    /// contract is required.
    pub const CONTRACT_REQUIRED: &str = "contract_required";

    /// Every code, for documentation and for the test that each has a case.
    pub const ALL: [&str; 45] = [
        REQUIRED,
        FIELD_NOT_ALLOWED,
        INVALID_KIND,
        INVALID_ACCOUNT_ID,
        SAME_ACCOUNT,
        INVALID_AMOUNT,
        AMOUNT_PRECISION,
        AMOUNT_NOT_POSITIVE,
        AMOUNT_OVERFLOW,
        UNSUPPORTED_CURRENCY,
        CURRENCY_NOT_ALLOWED,
        INVALID_KNP,
        UNKNOWN_KNP,
        KNP_NOT_FOR_BUDGET,
        INVALID_KBE,
        KBE_INCONSISTENT_WITH_PAYEE,
        INVALID_IBAN,
        IBAN_NOT_KAZAKHSTAN,
        PAYEE_AT_OWN_BANK,
        UNKNOWN_BANK,
        INACTIVE_BANK,
        TREASURY_REQUIRES_BUDGET_KIND,
        NOT_A_BUDGET_PAYEE,
        INVALID_BIC,
        BIC_MISMATCH,
        INVALID_TAXPAYER_ID,
        INVALID_KBK,
        UNKNOWN_KBK,
        KBK_NOT_ALLOWED,
        TOO_LONG,
        CONTROL_CHARACTER,
        LEADING_COLON,
        INVALID_DATE,
        VALUE_DATE_IN_PAST,
        VALUE_DATE_BEYOND_HORIZON,
        VALUE_DATE_NOT_WORKING_DAY,
        NOT_SWIFT_CHARACTER,
        INVALID_COUNTRY,
        UNKNOWN_COUNTRY,
        UNKNOWN_SWIFT_BIC,
        INTERMEDIARY_IS_PAYEE_BANK,
        INVALID_ACCOUNT_NUMBER,
        INVALID_CHARGES,
        CONTRACT_DATE_IN_FUTURE,
        CONTRACT_REQUIRED,
    ];
}
