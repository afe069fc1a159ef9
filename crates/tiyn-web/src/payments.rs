//! `/payments`: the partner's payment documents (R-3.1.1.2). The list with a filter by status;
//! the form that creates and edits a draft, with every problem next to its field; the
//! document with its status, commission, refusal and the evidence of its confirmation;
//! and the confirmation of a selection with one SMS code bound to the documents' content (R-4.11,
//! ), which executes them or refuses each with its reason.
//!
//! A foreign-currency transfer (R-3.1.1.3) is one more kind of the same form: the payee's address,
//! country, account or IBAN, the bank's and an intermediary's SWIFT BIC (named under each as it is
//! typed, `GET /payments/swift-bic`), the charges option and the currency-control contract; its
//! document and confirmation show them, and from an account in another currency, that the
//! correspondent bank's rate on the day it sends decides the debit.
//!
//! Every read and change is a `tiyn_banking::Banking` use case called with the principal: another
//! partner's document or account answers exactly like an unknown one. The form's
//! refusals name the API's fields (`amount.amount`, `payee_iban`, …), so a refusal names the same
//! field here and in a problem document; the messages are this crate's translations of the stable
//! codes, or the English detail for a code without one.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;
use tiyn_api::access::{CurrentPartner, partner_accounts};
use tiyn_api::authz::{LOGIN_PAGE, RequestContext};
use tiyn_api::{ApiError, Lang};
use tiyn_banking::conversion::codes as conversion_codes;
use tiyn_banking::{BankingError, Confirmed, SigningDocuments};
use tiyn_core::access::Permission;
use tiyn_core::{AccountId, Currency, Money, UserId};
use tiyn_identity::Principal;
use tiyn_payments::{
    Charges, ConfirmationChannel, DocumentId, DocumentKind, RawDocument, RefusalCode, Status, codes, digest_hex, fields,
};
use tiyn_store::Account;
use tiyn_store::payments::{PaymentOutcome, PaymentQuery, PaymentRecord, conflicts, is_open};

use crate::WebState;
use crate::conversions::{QUOTE_FIELD, QuoteFacts, QuotePlace, QuoteView};
use crate::format;
use crate::forms::{FormErrors, identity_error};
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{MaybePartner, PageMeta, Viewer, failure, message, render};

pub const PAYMENTS_PAGE: &str = "/payments";

/// Rows of one page of the list: a busy partner's day of documents fits on one page, and a page
/// still renders in milliseconds. Older documents are one "older" link away.
const PAYMENTS_PAGE_ROWS: usize = 100;

/// The `name` of the list's checkboxes; repeated, one per ticked document.
const SELECTION_FIELD: &str = "ids";

/// The form's inputs: the API's field name (what a refusal names) and the input's id and name.
/// In the order the form shows them.
const FORM_FIELDS: [(&str, &str); 21] = [
    (fields::KIND, "kind"),
    (fields::PAYER_ACCOUNT, "payer_account"),
    (fields::PAYEE_ACCOUNT, "payee_account"),
    (fields::PAYEE_NAME, "payee_name"),
    (fields::PAYEE_BIN, "payee_bin"),
    (fields::PAYEE_IBAN, "payee_iban"),
    (fields::PAYEE_BIC, "payee_bic"),
    (fields::KBE, "kbe"),
    (fields::KBK, "kbk"),
    (fields::PAYEE_ADDRESS, "payee_address"),
    (fields::PAYEE_COUNTRY, "payee_country"),
    (fields::PAYEE_SWIFT_BIC, "payee_swift_bic"),
    (fields::INTERMEDIARY_SWIFT_BIC, "intermediary_swift_bic"),
    (fields::CHARGES, "charges"),
    (fields::CONTRACT_NUMBER, "contract_number"),
    (fields::CONTRACT_DATE, "contract_date"),
    (fields::AMOUNT, "amount"),
    (fields::CURRENCY, "currency"),
    (fields::KNP, "knp"),
    (fields::PURPOSE, "purpose"),
    (fields::VALUE_DATE, "value_date"),
];

// ----- Words -----

pub fn status_name(status: Status, t: &'static Texts) -> &'static str {
    match status {
        Status::Draft => t.pay_status_draft,
        Status::AwaitingConfirmation => t.pay_status_awaiting_confirmation,
        Status::Confirmed => t.pay_status_confirmed,
        Status::Executed => t.pay_status_executed,
        Status::Sent => t.pay_status_sent,
        Status::Settled => t.pay_status_settled,
        Status::Refused => t.pay_status_refused,
    }
}

pub fn kind_name(kind: DocumentKind, t: &'static Texts) -> &'static str {
    match kind {
        DocumentKind::Internal => t.kind_internal,
        DocumentKind::Interbank => t.kind_interbank,
        DocumentKind::Budget => t.kind_budget,
        DocumentKind::Conversion => t.kind_conversion,
        DocumentKind::Foreign => t.kind_foreign,
    }
}

pub fn refusal_name(code: RefusalCode, t: &'static Texts) -> &'static str {
    match code {
        RefusalCode::InsufficientFunds => t.refusal_insufficient_funds,
        RefusalCode::LimitExceeded => t.refusal_limit_exceeded,
        RefusalCode::AccountRestricted => t.refusal_account_restricted,
        RefusalCode::AccountClosed => t.refusal_account_closed,
        RefusalCode::ServiceDisabled => t.refusal_service_disabled,
        RefusalCode::AmlMatch => t.refusal_aml_match,
        RefusalCode::ConfirmerBlocked => t.refusal_confirmer_blocked,
        RefusalCode::ValueDateExpired => t.refusal_value_date_expired,
        RefusalCode::CurrencyMismatch => t.refusal_currency_mismatch,
        RefusalCode::GatewayRejected => t.refusal_gateway_rejected,
        RefusalCode::NoRate => t.refusal_no_rate,
    }
}

/// The message of a field refusal's code, when this crate translates it (every code of
/// `tiyn_payments::codes` and of the banking account gate; a test checks).
pub fn field_message(code: &str, t: &'static Texts) -> Option<&'static str> {
    let message = match code {
        "required" => t.err_required,
        "field_not_allowed" => t.err_field_not_allowed,
        "invalid_kind" => t.err_invalid_kind,
        "invalid_account_id" => t.err_invalid_account_id,
        "same_account" => t.err_same_account,
        "invalid_amount" => t.err_invalid_amount,
        "amount_precision" => t.err_amount_precision,
        "amount_not_positive" => t.err_amount_not_positive,
        "amount_overflow" => t.err_amount_overflow,
        "unsupported_currency" => t.err_unsupported_currency,
        "currency_not_allowed" => t.err_currency_not_allowed,
        "invalid_knp" => t.err_invalid_knp,
        "unknown_knp" => t.err_unknown_knp,
        "knp_not_for_budget" => t.err_knp_not_for_budget,
        "invalid_kbe" => t.err_invalid_kbe,
        "kbe_inconsistent_with_payee" => t.err_kbe_inconsistent_with_payee,
        "invalid_iban" => t.err_invalid_iban,
        "iban_not_kazakhstan" => t.err_iban_not_kazakhstan,
        "payee_at_own_bank" => t.err_payee_at_own_bank,
        "unknown_bank" => t.err_unknown_bank,
        "inactive_bank" => t.err_inactive_bank,
        "treasury_requires_budget_kind" => t.err_treasury_requires_budget_kind,
        "not_a_budget_payee" => t.err_not_a_budget_payee,
        "invalid_bic" => t.err_invalid_bic,
        "bic_mismatch" => t.err_bic_mismatch,
        "invalid_taxpayer_id" => t.err_invalid_taxpayer_id,
        "invalid_kbk" => t.err_invalid_kbk,
        "unknown_kbk" => t.err_unknown_kbk,
        "kbk_not_allowed" => t.err_kbk_not_allowed,
        "too_long" => t.err_too_long,
        "control_character" => t.err_control_character,
        "leading_colon" => t.err_leading_colon,
        "invalid_date" => t.err_invalid_date,
        "value_date_in_past" => t.err_value_date_in_past,
        "value_date_beyond_horizon" => t.err_value_date_beyond_horizon,
        "value_date_not_working_day" => t.err_value_date_not_working_day,
        "account_not_found" => t.err_account_not_found,
        "account_currency_mismatch" => t.err_account_currency_mismatch,
        "account_not_open" => t.err_account_not_open,
        "commission_exceeds_amount" => t.err_commission_exceeds_amount,
        "amount_too_small" => t.err_amount_too_small,
        "amount_too_large" => t.err_amount_too_large,
        // Foreign transfers (R-3.1.1.3).
        "not_swift_character" => t.err_not_swift_character,
        "invalid_country" => t.err_invalid_country,
        "unknown_country" => t.err_unknown_country,
        "unknown_swift_bic" => t.err_unknown_swift_bic,
        "intermediary_is_payee_bank" => t.err_intermediary_is_payee_bank,
        "invalid_account_number" => t.err_invalid_account_number,
        "invalid_charges" => t.err_invalid_charges,
        "contract_date_in_future" => t.err_contract_date_in_future,
        "contract_required" => t.err_contract_required,
        tiyn_banking::foreign::codes::BEN_NEEDS_SAME_CURRENCY => t.err_ben_needs_same_currency,
        tiyn_banking::template_codes::INVALID_NAME => t.template_invalid_name,
        _ => return None,
    };
    Some(message)
}

/// What a state conflict of the payment use cases says, when this crate translates it.
fn conflict_text(code: &str, t: &'static Texts) -> Option<&'static str> {
    match code {
        conflicts::NOT_EDITABLE => Some(t.not_editable_text),
        conflicts::NOT_SIGNABLE => Some(t.not_signable_text),
        conflicts::DOCUMENT_CHANGED => Some(t.document_changed_text),
        conflicts::CHALLENGE_USED => Some(t.challenge_used_text),
        "batch_too_large" => Some(t.batch_too_large_text),
        "empty_batch" => Some(t.payments_nothing_selected),
        conversion_codes::NO_RATE => Some(t.quote_no_rate),
        conversion_codes::QUOTE_CHANGED => Some(t.quote_changed_text),
        _ => None,
    }
}

fn channel_name(channel: ConfirmationChannel, t: &'static Texts) -> &'static str {
    match channel {
        ConfirmationChannel::Sms => t.channel_sms,
        ConfirmationChannel::Marker => t.channel_marker,
    }
}

// ----- The form -----

/// The payment form as typed (kept on a refusal). Field names are the API's, except the money
/// object's two members, `amount` and `currency`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PaymentForm {
    pub kind: String,
    pub payer_account: String,
    pub payee_account: String,
    pub payee_name: String,
    pub payee_bin: String,
    pub payee_iban: String,
    pub payee_bic: String,
    pub kbe: String,
    pub kbk: String,
    pub amount: String,
    pub currency: String,
    pub knp: String,
    pub purpose: String,
    pub value_date: String,
    /// Foreign transfers (R-3.1.1.3): the payee's address, country (ISO 3166 alpha-2), bank and
    /// intermediary SWIFT BICs, `OUR`/`SHA`/`BEN`, and the currency-control contract. Their
    /// account or IBAN is `payee_iban`, as in the API.
    pub payee_address: String,
    pub payee_country: String,
    pub payee_swift_bic: String,
    pub intermediary_swift_bic: String,
    pub charges: String,
    pub contract_number: String,
    pub contract_date: String,
    /// The name to save the fields under as a template (R-3.1.1.2); not part of a document.
    pub template_name: String,
}

impl PaymentForm {
    fn from_record(record: &PaymentRecord) -> PaymentForm {
        let raw = &record.fields;
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        PaymentForm {
            kind: text(&raw.kind),
            payer_account: text(&raw.payer_account),
            payee_account: text(&raw.payee_account),
            payee_name: text(&raw.payee_name),
            payee_bin: text(&raw.payee_bin),
            payee_iban: text(&raw.payee_iban),
            payee_bic: text(&raw.payee_bic),
            kbe: text(&raw.kbe),
            kbk: text(&raw.kbk),
            amount: text(&raw.amount),
            currency: text(&raw.currency),
            knp: text(&raw.knp),
            purpose: text(&raw.purpose),
            value_date: record.value_date.to_string(),
            payee_address: text(&raw.payee_address),
            payee_country: text(&raw.payee_country),
            payee_swift_bic: text(&raw.payee_swift_bic),
            intermediary_swift_bic: text(&raw.intermediary_swift_bic),
            // Another kind's draft offers the usual choice should the person make it a foreign
            // transfer; it is sent only for one.
            charges: raw.charges.clone().unwrap_or_else(|| DEFAULT_CHARGES.as_str().to_owned()),
            contract_number: text(&raw.contract_number),
            contract_date: text(&raw.contract_date),
            template_name: String::new(),
        }
    }

    /// The chosen kind, when it is one.
    pub(crate) fn kind(&self) -> Option<DocumentKind> {
        DocumentKind::parse(self.kind.trim()).ok()
    }

    /// The fields as the API reads them. The form shows only the payee fields of the chosen kind
    /// (the others are hidden, not removed), so the hidden ones are left out: they are not part
    /// of what the person sees and signs. The amount is written as people write it (`1 500,5`)
    /// and sent in the API's one spelling (`1500.50`).
    ///
    /// A foreign transfer (R-3.1.1.3) shares the payee's name, account (`payee_iban`) and KBe with
    /// the bank payee's inputs and adds its own; the BIN and the Kazakhstan BIC are not its. An
    /// unknown kind sends everything, for the parser to check each field's syntax.
    pub(crate) fn to_raw(&self) -> RawDocument {
        let kind = DocumentKind::parse(self.kind.trim()).ok();
        let shows_internal = matches!(kind, None | Some(DocumentKind::Internal | DocumentKind::Conversion));
        let shows_bank_payee = matches!(kind, None | Some(DocumentKind::Interbank | DocumentKind::Budget));
        let shows_foreign = matches!(kind, None | Some(DocumentKind::Foreign));
        let shows_payee = shows_bank_payee || shows_foreign;
        let shows_kbk = matches!(kind, None | Some(DocumentKind::Budget));
        let shown = |shows: bool, value: &str| if shows { present(value) } else { None };
        RawDocument {
            kind: present(&self.kind),
            payer_account: present(&self.payer_account),
            amount: present(&canonical_amount(&self.amount, &self.currency)),
            currency: present(&self.currency),
            knp: present(&self.knp),
            purpose: present(&self.purpose),
            value_date: present(&self.value_date),
            payee_account: shown(shows_internal, &self.payee_account),
            payee_name: shown(shows_payee, &self.payee_name),
            payee_bin: shown(shows_bank_payee, &self.payee_bin),
            payee_iban: shown(shows_payee, &self.payee_iban),
            payee_bic: shown(shows_bank_payee, &self.payee_bic),
            kbe: shown(shows_payee, &self.kbe),
            kbk: shown(shows_kbk, &self.kbk),
            payee_address: shown(shows_foreign, &self.payee_address),
            payee_country: shown(shows_foreign, &self.payee_country),
            payee_swift_bic: shown(shows_foreign, &self.payee_swift_bic),
            intermediary_swift_bic: shown(shows_foreign, &self.intermediary_swift_bic),
            charges: shown(shows_foreign, &self.charges),
            contract_number: shown(shows_foreign, &self.contract_number),
            contract_date: shown(shows_foreign, &self.contract_date),
        }
    }
}

fn present(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// An amount as a person types it, in the API's spelling: group separators (spaces, no-break
/// spaces) removed, a decimal comma made a point, and missing decimals of the currency filled
/// with zeros (`1 500,5` KZT → `1500.50`). Anything else is left as typed for the parser to
/// refuse with its code: `1,500.00` becomes `1.500.00`, which is refused, never 1.5.
pub(crate) fn canonical_amount(text: &str, currency: &str) -> String {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).map(|c| if c == ',' { '.' } else { c }).collect();
    let Ok(currency) = Currency::parse(currency.trim()) else { return compact };
    let decimals = usize::try_from(currency.exponent()).unwrap_or(0);
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    match compact.split_once('.') {
        None if digits(&compact) && decimals > 0 => format!("{compact}.{}", "0".repeat(decimals)),
        Some((whole, fraction)) if digits(whole) && digits(fraction) && fraction.len() < decimals => {
            format!("{compact}{}", "0".repeat(decimals - fraction.len()))
        }
        _ => compact,
    }
}

/// The messages next to the form's inputs, by input id; every input has one (empty when its
/// value is fine), so the live check can replace each.
#[derive(Debug, Clone, Default)]
pub struct FieldMessages(Vec<(&'static str, String)>);

impl FieldMessages {
    /// Every refusal of a field the form shows, translated; a field refused twice (a past date
    /// that is also a Sunday) shows both. Refusals of other fields are answered as `rest`. A few
    /// codes say something else about a foreign transfer (`kind`) than about a tenge payment.
    fn new(
        refusals: &[tiyn_payments::FieldError],
        t: &'static Texts,
        kind: Option<DocumentKind>,
    ) -> (FieldMessages, Vec<String>) {
        let foreign = kind == Some(DocumentKind::Foreign);
        let mut messages: Vec<(&'static str, String)> =
            FORM_FIELDS.iter().map(|(_, id)| (*id, String::new())).collect();
        let mut rest = Vec::new();
        for refusal in refusals {
            let message = match (refusal.field, refusal.code) {
                // The payee account's currency is wrong either way: the same as the payer's for a
                // conversion, another for a transfer.
                (fields::PAYEE_ACCOUNT, tiyn_banking::codes::ACCOUNT_CURRENCY_MISMATCH) => {
                    t.err_payee_account_currency.to_owned()
                }
                (fields::CURRENCY, codes::CURRENCY_NOT_ALLOWED) if foreign => t.err_foreign_currency_kzt.to_owned(),
                (fields::KBE, codes::KBE_INCONSISTENT_WITH_PAYEE) if foreign => {
                    t.err_foreign_kbe_non_resident.to_owned()
                }
                (fields::PAYEE_SWIFT_BIC, codes::BIC_MISMATCH) => t.err_foreign_iban_country.to_owned(),
                (fields::PAYEE_SWIFT_BIC, codes::PAYEE_AT_OWN_BANK) => t.err_foreign_own_bank.to_owned(),
                (_, code) => field_message(code, t).map_or_else(|| refusal.detail.clone(), str::to_owned),
            };
            let Some(index) = FORM_FIELDS.iter().position(|(field, _)| *field == refusal.field) else {
                rest.push(message);
                continue;
            };
            let slot = &mut messages[index].1;
            if slot.split("; ").any(|known| known == message) {
                continue;
            }
            if !slot.is_empty() {
                slot.push_str("; ");
            }
            slot.push_str(&message);
        }
        (FieldMessages(messages), rest)
    }

    pub(crate) fn none() -> FieldMessages {
        FieldMessages(FORM_FIELDS.iter().map(|(_, id)| (*id, String::new())).collect())
    }

    pub fn get(&self, id: &str) -> &str {
        self.0.iter().find(|(known, _)| *known == id).map_or("", |(_, message)| message.as_str())
    }

    pub fn all(&self) -> &[(&'static str, String)] {
        &self.0
    }
}

/// A refusal as the form shows it.
pub(crate) struct Refused {
    pub(crate) status: StatusCode,
    pub(crate) summary: FormErrors,
    pub(crate) messages: FieldMessages,
}

/// Whether the form shows every refusal (on submit) or only mistakes in what was typed (the live
/// check as the person leaves a field: a field not filled in yet is not a mistake yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    Submit,
    Live,
}

/// A refusal of the payment use cases as the form shows it, or the error for the failure page
/// (an unknown document, a server failure).
pub(crate) fn form_refusal(error: BankingError, lang: Lang, check: Check) -> Result<Refused, ApiError> {
    form_refusal_of(error, lang, check, None)
}

/// [`form_refusal`] of a form of `kind`, whose codes may read differently (a foreign transfer's
/// KBe, currency and SWIFT BIC).
pub(crate) fn form_refusal_of(
    error: BankingError,
    lang: Lang,
    check: Check,
    kind: Option<DocumentKind>,
) -> Result<Refused, ApiError> {
    let t = texts(lang);
    match error {
        BankingError::Invalid(mut refusals) => {
            if check == Check::Live {
                refusals.retain(|refusal| refusal.code != tiyn_payments::codes::REQUIRED);
            }
            let (messages, rest) = FieldMessages::new(&refusals, t, kind);
            let summary = match (check, rest.is_empty()) {
                (Check::Live, true) => FormErrors::none(),
                (Check::Live, false) => FormErrors::summary("validation_failed", rest.join("; ")),
                (Check::Submit, _) => {
                    let mut summary = t.payment_not_saved.to_owned();
                    for message in rest {
                        summary.push(' ');
                        summary.push_str(&message);
                    }
                    FormErrors::summary("validation_failed", summary)
                }
            };
            Ok(Refused { status: StatusCode::UNPROCESSABLE_ENTITY, summary, messages })
        }
        BankingError::Tariff(code) => {
            let refusal = tiyn_payments::FieldError {
                field: fields::AMOUNT,
                code,
                detail: "the tariff cannot price this amount".to_owned(),
            };
            let (messages, _) = FieldMessages::new(&[refusal], t, kind);
            let summary = FormErrors::summary(code, t.payment_not_saved);
            Ok(Refused { status: StatusCode::UNPROCESSABLE_ENTITY, summary, messages })
        }
        BankingError::Conflict(code) if conflict_text(code, t).is_some() => {
            let text = conflict_text(code, t).unwrap_or_default();
            Ok(Refused {
                status: StatusCode::CONFLICT,
                summary: FormErrors::summary(code, text),
                messages: FieldMessages::none(),
            })
        }
        other => {
            let error = ApiError::from(other);
            if error.status().is_server_error() || error.status() == StatusCode::NOT_FOUND {
                return Err(error);
            }
            let summary = FormErrors::from_api(&error, lang, &[]);
            Ok(Refused { status: error.status(), summary, messages: FieldMessages::none() })
        }
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Who pays the banks' charges of a foreign transfer until the person chooses: each side its own
/// bank, the usual arrangement and the one that surprises neither side.
const DEFAULT_CHARGES: Charges = Charges::Sha;

/// One of the charges options (`OUR`, `SHA`, `BEN`) with its one-line explanation.
pub struct ChargesChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

fn charges_text(charges: Charges, t: &'static Texts) -> &'static str {
    match charges {
        Charges::Our => t.charges_our,
        Charges::Sha => t.charges_sha,
        Charges::Ben => t.charges_ben,
    }
}

/// What the directories of banks abroad and of Kazakhstan banks say about a SWIFT BIC typed in
/// the foreign transfer's form (R-3.1.1.3): the bank's name, city and country, or that it is
/// unknown. The parser checks the same directories when the draft is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwiftBank {
    /// `empty`, `invalid`, `unknown` or `found`: for styles and tests.
    pub state: &'static str,
    /// The bank in words (`Deutsche Bank AG, Frankfurt am Main, DE`), or why there is none.
    pub text: String,
}

impl SwiftBank {
    pub(crate) fn look_up(state: &WebState, typed: &str, lang: Lang) -> SwiftBank {
        let t = texts(lang);
        let answer = |state: &'static str, text: &str| SwiftBank { state, text: text.to_owned() };
        if typed.trim().is_empty() {
            return answer("empty", "");
        }
        let Ok(bic) = tiyn_core::Bic::parse(typed) else { return answer("invalid", t.swift_bank_invalid) };
        let directories = match state.banking.directories() {
            Ok(directories) => directories,
            Err(error) => {
                // The lookup is a convenience: the parser decides when the draft is saved.
                tracing::warn!(error = ?error, "the bank directories could not be read for a BIC lookup");
                return answer("unknown", t.swift_bank_unknown);
            }
        };
        let reference = directories.reference();
        if let Some(bank) = reference.foreign_banks().by_bic(&bic) {
            let place: Vec<&str> =
                [bank.city(), bank.country().as_str()].into_iter().filter(|part| !part.is_empty()).collect();
            return answer("found", &format!("{}, {}", bank.name(), place.join(", ")));
        }
        if let Some(bank) = reference.banks().by_bic(&bic) {
            let name = match lang {
                Lang::Kk => bank.name_kk().unwrap_or(bank.name_ru()),
                Lang::Ru | Lang::En => bank.name_ru(),
            };
            return answer("found", &format!("{name}, {}", tiyn_core::Country::KZ.as_str()));
        }
        answer("unknown", t.swift_bank_unknown)
    }
}

#[derive(Template)]
#[template(path = "payment_form.html")]
struct PaymentFormPage {
    t: &'static Texts,
    page: PageMeta,
    title: String,
    /// Where the form posts: `/payments` or `/payments/{id}`.
    action: String,
    /// Where "cancel" leads.
    back: String,
    values: PaymentForm,
    kinds: Vec<Choice>,
    payer_accounts: Vec<Choice>,
    payee_accounts: Vec<Choice>,
    currencies: Vec<Choice>,
    errors: FormErrors,
    messages: FieldMessages,
    payee_name_max: usize,
    purpose_max: usize,
    /// The form opens on a conversion (a draft, a refused form): its quote block asks at once.
    quote_on_load: bool,
    /// Foreign transfers (R-3.1.1.3): the currencies no account of the partner is in (a
    /// transfer may be in another currency than its account's), the charges options, and the
    /// banks the typed SWIFT BICs name (the lookup answers the same as the person types).
    currencies_other: Vec<Choice>,
    charges_choices: Vec<ChargesChoice>,
    payee_bank: SwiftBank,
    intermediary_bank: SwiftBank,
    payee_address_max: usize,
    contract_number_max: usize,
}

/// The live check's answer: each input's message and the summary, swapped in by htmx
/// (out-of-band, by id).
#[derive(Template)]
#[template(path = "_payment_checks.html")]
struct PaymentChecks {
    errors: FormErrors,
    messages: FieldMessages,
}

/// Which document the form edits; `None` for a new one.
pub(crate) struct Editing {
    id: DocumentId,
    number: String,
}

/// `Основной счёт · KZ12 722S 0000 0000 0001 · KZT`.
pub(crate) fn account_label(account: &Account) -> String {
    match &account.iban {
        Some(iban) => format!("{} · {} · {}", account.name, iban.grouped(), account.currency.code()),
        None => format!("{} · {}", account.name, account.currency.code()),
    }
}

fn account_choices(accounts: &[Account], selected: &str, lang: Lang) -> Vec<Choice> {
    accounts
        .iter()
        .map(|account| {
            let value = account.id.get().to_string();
            Choice {
                label: format!("{} — {}", account_label(account), format::money(account.available(), lang)),
                selected: value == selected.trim(),
                value,
            }
        })
        .collect()
}

pub(crate) fn form_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    accounts: &[Account],
    editing: Option<&Editing>,
    values: PaymentForm,
    refused: Option<Refused>,
) -> Response {
    let t = texts(lang.lang);
    let (title, action, back, here) = match editing {
        Some(editing) => (
            fill(t.edit_payment_title, &[("number", &editing.number)]),
            format!("{PAYMENTS_PAGE}/{}", editing.id),
            format!("{PAYMENTS_PAGE}/{}", editing.id),
            format!("{PAYMENTS_PAGE}/{}/edit", editing.id),
        ),
        None => (
            t.new_payment_title.to_owned(),
            PAYMENTS_PAGE.to_owned(),
            PAYMENTS_PAGE.to_owned(),
            format!("{PAYMENTS_PAGE}/new"),
        ),
    };
    let (status, errors, messages) = match refused {
        Some(refused) => (refused.status, refused.summary, refused.messages),
        None => (StatusCode::OK, FormErrors::none(), FieldMessages::none()),
    };
    let quote_on_load = DocumentKind::parse(values.kind.trim()) == Ok(DocumentKind::Conversion);
    let kinds = DocumentKind::ALL
        .into_iter()
        .map(|kind| Choice {
            value: kind.as_str().to_owned(),
            label: kind_name(kind, t).to_owned(),
            selected: kind.as_str() == values.kind.trim(),
        })
        .collect();
    let mut currencies: Vec<Currency> = Vec::new();
    for account in accounts {
        if !currencies.contains(&account.currency) {
            currencies.push(account.currency);
        }
    }
    let typed = Currency::parse(values.currency.trim()).ok();
    if let Some(typed) = typed.filter(|typed| !currencies.contains(typed)) {
        currencies.push(typed);
    }
    let choice = |currency: Currency| Choice {
        value: currency.code().to_owned(),
        label: currency.code().to_owned(),
        selected: Some(currency) == typed,
    };
    let currencies_other = Currency::ALL
        .into_iter()
        .filter(|currency| *currency != Currency::Kzt && !currencies.contains(currency))
        .map(choice)
        .collect();
    let currencies = currencies.into_iter().map(choice).collect();
    let chosen_charges = Charges::parse(&values.charges);
    let charges_choices = Charges::ALL
        .into_iter()
        .map(|charges| ChargesChoice {
            value: charges.as_str(),
            label: charges_text(charges, t),
            checked: Some(charges) == chosen_charges,
        })
        .collect();
    let payee_bank = SwiftBank::look_up(state, &values.payee_swift_bic, lang.lang);
    let intermediary_bank = SwiftBank::look_up(state, &values.intermediary_swift_bic, lang.lang);
    let mut payee_accounts = vec![Choice {
        value: String::new(),
        label: t.payee_account_none.to_owned(),
        selected: values.payee_account.trim().is_empty(),
    }];
    payee_accounts.extend(account_choices(accounts, &values.payee_account, lang.lang));
    let page = PaymentFormPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "payments", &here, viewer),
        title,
        action,
        back,
        kinds,
        payer_accounts: account_choices(accounts, &values.payer_account, lang.lang),
        payee_accounts,
        currencies,
        values,
        errors,
        messages,
        payee_name_max: tiyn_payments::PAYEE_NAME_LENGTH_MAX,
        purpose_max: tiyn_payments::PURPOSE_LENGTH_MAX,
        quote_on_load,
        currencies_other,
        charges_choices,
        payee_bank,
        intermediary_bank,
        payee_address_max: tiyn_payments::PAYEE_ADDRESS_LENGTH_MAX,
        contract_number_max: tiyn_payments::CONTRACT_NUMBER_LENGTH_MAX,
    };
    render(&page, status, lang)
}

// ----- Rows -----

/// A document as the list, the confirmation and its result show it.
pub struct PaymentRow {
    pub id: String,
    pub number: String,
    pub value_date: String,
    pub kind: &'static str,
    pub payee: String,
    pub amount: String,
    pub status: &'static str,
    pub status_code: &'static str,
    /// The refusal's reason in words; empty unless refused.
    pub refusal: String,
    /// A foreign transfer's requisites in one line (account, bank BIC, country, charges); empty
    /// for other kinds.
    pub abroad: String,
    /// A draft or a document awaiting confirmation, shown to a user who may confirm.
    pub selectable: bool,
    /// The checkbox's name for screen readers: "Select document No. 12".
    pub select_label: String,
}

impl PaymentRow {
    fn new(record: &PaymentRecord, accounts: &HashMap<AccountId, &Account>, lang: Lang) -> PaymentRow {
        let t = texts(lang);
        let number = record.number.to_string();
        PaymentRow {
            id: record.id.to_string(),
            select_label: fill(t.select_document, &[("number", &number)]),
            number,
            value_date: format::date(record.value_date, lang),
            kind: record.kind().map_or("", |kind| kind_name(kind, t)),
            payee: payee_text(record, accounts),
            abroad: abroad_text(record),
            amount: format::money(record.amount.money(), lang),
            status: status_name(record.status, t),
            status_code: record.status.as_str(),
            refusal: record
                .refusal
                .as_ref()
                .map(|refusal| refusal_name(refusal.code, t).to_owned())
                .unwrap_or_default(),
            selectable: false,
        }
    }
}

/// The payee in words: the partner's own account by name, or the payee's name.
fn payee_text(record: &PaymentRecord, accounts: &HashMap<AccountId, &Account>) -> String {
    if let Some(id) = record.fields.payee_account.as_deref() {
        let account = id.parse::<i64>().ok().map(AccountId::new).and_then(|id| accounts.get(&id));
        return account.map_or_else(|| format!("#{id}"), |account| account_label(account));
    }
    record.fields.payee_name.clone().unwrap_or_default()
}

/// A foreign transfer's requisites in one line: `DE89… · COBADEFF · DE · SHA`.
fn abroad_text(record: &PaymentRecord) -> String {
    if record.kind() != Some(DocumentKind::Foreign) {
        return String::new();
    }
    let raw = &record.fields;
    let parts = [&raw.payee_iban, &raw.payee_swift_bic, &raw.payee_country, &raw.charges];
    parts.into_iter().flatten().map(String::as_str).collect::<Vec<_>>().join(" · ")
}

/// A foreign transfer's own requisites (R-3.1.1.3) as the document and its confirmation show
/// them: address, country, account, the banks by BIC and name, charges, contract, KBe.
fn foreign_facts(state: &WebState, raw: &RawDocument, lang: Lang) -> Vec<Fact> {
    let t = texts(lang);
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let bank = |bic: &str| {
        let found = SwiftBank::look_up(state, bic, lang);
        if found.state == "found" { format!("{bic} — {}", found.text) } else { bic.to_owned() }
    };
    let mut facts = vec![
        Fact::new("payment-payee-address", t.field_payee_address, text(&raw.payee_address)),
        Fact::new("payment-payee-country", t.field_payee_country, text(&raw.payee_country)),
        Fact::code("payment-payee-account", t.field_foreign_account, text(&raw.payee_iban)),
        Fact::new("payment-payee-bank", t.label_payee_bank, bank(&text(&raw.payee_swift_bic))),
    ];
    if let Some(bic) = &raw.intermediary_swift_bic {
        facts.push(Fact::new("payment-intermediary", t.label_intermediary, bank(bic)));
    }
    let charges = raw.charges.as_deref().and_then(Charges::parse);
    let charges = charges.map_or_else(|| text(&raw.charges), |charges| charges_text(charges, t).to_owned());
    facts.push(Fact::new("payment-charges", t.field_charges, charges));
    if let (Some(number), Some(date)) = (&raw.contract_number, &raw.contract_date) {
        let date = date.parse::<jiff::civil::Date>().map_or_else(|_| date.clone(), |date| format::date(date, lang));
        let contract = fill(t.contract_value, &[("number", number), ("date", &date)]);
        facts.push(Fact::new("payment-contract", t.label_contract, contract));
    }
    facts.push(Fact::code("payment-kbe", t.field_kbe, text(&raw.kbe)));
    facts
}

/// For a foreign transfer from an account in another currency: that the correspondent bank
/// converts at its rate on the day it sends, and that the commission is in the account's
/// currency.
fn foreign_rate_note(
    record: &PaymentRecord,
    accounts: &HashMap<AccountId, &Account>,
    t: &'static Texts,
) -> Option<String> {
    if record.kind() != Some(DocumentKind::Foreign) {
        return None;
    }
    let payer = record.fields.payer_account.as_deref()?.parse::<i64>().ok()?;
    let account = accounts.get(&AccountId::new(payer))?;
    let currency = record.amount.currency();
    (account.currency != currency)
        .then(|| fill(t.foreign_rate_note, &[("currency", currency.code()), ("account", account.currency.code())]))
}

fn account_map(accounts: &[Account]) -> HashMap<AccountId, &Account> {
    accounts.iter().map(|account| (account.id, account)).collect()
}

fn document_id(text: &str) -> Option<DocumentId> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0).map(DocumentId::new)
}

pub(crate) fn to_login() -> Response {
    Redirect::to(LOGIN_PAGE).into_response()
}

/// How a page is answered besides its data: the status, a notice after a redirect, a refusal.
struct Outcome {
    status: StatusCode,
    notice: Option<&'static str>,
    errors: FormErrors,
}

impl Outcome {
    fn shown(notice: Option<&'static str>) -> Outcome {
        Outcome { status: StatusCode::OK, notice, errors: FormErrors::none() }
    }

    fn refused(status: StatusCode, errors: FormErrors) -> Outcome {
        Outcome { status, notice: None, errors }
    }
}

// ----- The list -----

pub struct StatusChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "payments.html")]
struct PaymentsPage {
    t: &'static Texts,
    page: PageMeta,
    rows: Vec<PaymentRow>,
    statuses: Vec<StatusChoice>,
    can_create: bool,
    can_confirm: bool,
    notice: Option<&'static str>,
    errors: FormErrors,
    /// The next page's address, when this one is full.
    older: Option<String>,
    /// The list as files, with the page's filter: (label, address, format).
    exports: Vec<(&'static str, String, &'static str)>,
    /// The print view of the list, with the page's filter.
    print_href: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    pub cursor: String,
    pub done: String,
}

async fn list_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    partner: &CurrentPartner,
    query: &ListQuery,
    outcome: Outcome,
) -> Response {
    let Outcome { status, notice, errors } = outcome;
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let t = texts(lang.lang);
    let filter = Status::parse(query.status.trim());
    let payment_query = PaymentQuery {
        status: filter,
        before: document_id(&query.cursor),
        limit: PAYMENTS_PAGE_ROWS,
        ..PaymentQuery::default()
    };
    let loaded = async {
        let records = state.banking.payments(principal, payment_query).await?;
        let accounts = partner_accounts(state.store.as_ref(), partner).await?;
        Ok::<_, ApiError>((records, accounts))
    };
    let (records, accounts) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return failure(state, lang, viewer, &error),
    };
    let can_confirm = principal.allows(Permission::ConfirmPayments);
    let by_id = account_map(&accounts);
    let older = (records.len() == PAYMENTS_PAGE_ROWS).then(|| records.last()).flatten().map(|last| {
        let status = filter.map(|status| format!("status={status}&")).unwrap_or_default();
        format!("{PAYMENTS_PAGE}?{status}cursor={}", last.id)
    });
    let rows = records
        .iter()
        .map(|record| PaymentRow {
            selectable: can_confirm && is_open(record.status),
            ..PaymentRow::new(record, &by_id, lang.lang)
        })
        .collect();
    let page = PaymentsPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "payments", PAYMENTS_PAGE, viewer),
        rows,
        statuses: Status::ALL
            .into_iter()
            .map(|status| StatusChoice {
                code: status.as_str(),
                label: status_name(status, t),
                selected: Some(status) == filter,
            })
            .collect(),
        can_create: principal.allows(Permission::CreatePayments),
        can_confirm,
        notice,
        errors,
        older,
        exports: {
            let status = filter.map(|status| format!("status={status}&")).unwrap_or_default();
            vec![
                ("CSV", format!("/payments/export?{status}format=csv"), "csv"),
                ("CSV (;)", format!("/payments/export?{status}format=csv&delimiter=semicolon"), "csv-semicolon"),
                ("XLSX", format!("/payments/export?{status}format=xlsx"), "xlsx"),
                ("PDF", format!("/payments/export?{status}format=pdf"), "pdf"),
            ]
        },
        print_href: {
            let status = filter.map(|status| format!("?status={status}")).unwrap_or_default();
            format!("/payments/print{status}")
        },
    };
    render(&page, status, lang)
}

/// `GET /payments`: the partner's documents, newest first, filtered by status.
pub async fn list(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let Some(partner) = partner else { return to_login() };
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let notice = match query.done.as_str() {
        "deleted" => Some(texts(lang.lang).payment_deleted),
        _ => None,
    };
    list_page(&state, lang, &viewer, &partner, &query, Outcome::shown(notice)).await
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    pub status: String,
    /// `csv`, `xlsx` or `pdf`.
    pub format: String,
    /// `semicolon` for Excel in a Russian or Kazakh locale.
    pub delimiter: String,
}

/// `GET /payments/export?status=&format=csv|xlsx|pdf`: every document the list's filter selects, as
/// a file in the page's language (R-3.1.2.6), by the API's own code; audited.
pub async fn export(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Query(query): Query<ExportQuery>,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let Some(format) = tiyn_api::payment_exports::ListFormat::parse(&query.format) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "format" });
    };
    let delimiter = match query.delimiter.trim() {
        "semicolon" => tiyn_api::payment_exports::CsvDelimiter::Semicolon,
        _ => tiyn_api::payment_exports::CsvDelimiter::Comma,
    };
    let payment_query = PaymentQuery { status: Status::parse(query.status.trim()), ..PaymentQuery::default() };
    let exported = state.banking.export_payments(&context, principal, payment_query, format.name()).await;
    let result = match exported {
        Ok(export) => tiyn_api::payment_exports::list_file(export, format, lang.lang, delimiter).await,
        Err(error) => Err(ApiError::from(error)),
    };
    // A list too large for a file, or too long for a PDF, is the person's to narrow: said so in
    // their language, not as a failure of the page.
    let too_large = |text: &'static str| {
        let t = texts(lang.lang);
        message(&state, lang, &viewer, StatusCode::UNPROCESSABLE_ENTITY, t.payments_export_title, text, None)
    };
    match result {
        Ok(response) => response,
        Err(ApiError::Conflict { code, .. }) if code == tiyn_banking::codes::EXPORT_TOO_LARGE => {
            too_large(texts(lang.lang).payments_export_too_large)
        }
        Err(ApiError::Invalid(fields)) if fields.iter().any(|field| field.code == "list_too_long_for_pdf") => {
            too_large(texts(lang.lang).payments_pdf_too_long)
        }
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}

#[derive(Template)]
#[template(path = "payments_print.html")]
struct PaymentsPrint {
    t: &'static Texts,
    lang: &'static str,
    partner_name: String,
    status_label: &'static str,
    back_href: String,
    rows: Vec<PaymentRow>,
}

/// `GET /payments/print?status=`: the list as the filter selects it, whole, for the browser's
/// print dialog (R-3.1.2.7); audited like an export.
pub async fn print(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    MaybePartner(partner): MaybePartner,
    Query(query): Query<ExportQuery>,
) -> Response {
    let (Some(principal), Some(_)) = (viewer.principal.as_ref(), partner) else { return to_login() };
    let t = texts(lang.lang);
    let filter = Status::parse(query.status.trim());
    let payment_query = PaymentQuery { status: filter, ..PaymentQuery::default() };
    let export = match state.banking.export_payments(&context, principal, payment_query, "print").await {
        Ok(exported) => exported,
        Err(error) => return failure(&state, lang, &viewer, &ApiError::from(error)),
    };
    let (records, by_id) = (&export.records, account_map(&export.accounts));
    let page = PaymentsPrint {
        t,
        lang: lang.lang.code(),
        partner_name: export.holder_name.clone(),
        status_label: filter.map_or("", |status| status_name(status, t)),
        back_href: filter.map_or_else(|| PAYMENTS_PAGE.to_owned(), |status| format!("{PAYMENTS_PAGE}?status={status}")),
        rows: records.iter().map(|record| PaymentRow::new(record, &by_id, lang.lang)).collect(),
    };
    render(&page, StatusCode::OK, lang)
}

// ----- Creating and editing -----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    /// The kind the form opens on (`foreign`: a transfer abroad); an internal transfer otherwise.
    pub kind: String,
}

/// `GET /payments/new`: an internal transfer from the first account, dated the first day the
/// bank executes payments (today, or the next working day on a day off). `?kind=foreign` opens
/// a foreign transfer (R-3.1.1.3) from the first account in a foreign currency, in its currency,
/// so the form is right without a script.
pub async fn new_form(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    query: Result<Query<NewQuery>, QueryRejection>,
) -> Response {
    let Some(partner) = partner else { return to_login() };
    let accounts = match partner_accounts(state.store.as_ref(), &partner).await {
        Ok(accounts) => accounts,
        Err(error) => return failure(&state, lang, &viewer, &error),
    };
    let asked = query.ok().and_then(|Query(query)| DocumentKind::parse(query.kind.trim()).ok());
    let kind = match asked {
        Some(kind @ DocumentKind::Foreign) => kind,
        _ => DocumentKind::Internal,
    };
    let payer = match kind {
        DocumentKind::Foreign => {
            accounts.iter().find(|account| account.currency != Currency::Kzt).or_else(|| accounts.first())
        }
        _ => accounts.first(),
    };
    let currency = match (kind, payer.map(|account| account.currency)) {
        (DocumentKind::Foreign, None | Some(Currency::Kzt)) => Currency::Usd,
        (_, currency) => currency.unwrap_or(Currency::Kzt),
    };
    let values = PaymentForm {
        kind: kind.as_str().to_owned(),
        payer_account: payer.map(|account| account.id.get().to_string()).unwrap_or_default(),
        currency: currency.code().to_owned(),
        value_date: state.banking.default_value_date().to_string(),
        charges: DEFAULT_CHARGES.as_str().to_owned(),
        ..PaymentForm::default()
    };
    form_page(&state, lang, &viewer, &accounts, None, values, None)
}

/// `POST /payments`: saves a draft (R-3.1.1.2) or shows the form again with every problem next
/// to its field.
pub async fn create(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    RequestContext(context): RequestContext,
    Form(form): Form<PaymentForm>,
) -> Response {
    let (Some(partner), Some(principal)) = (partner, viewer.principal.clone()) else { return to_login() };
    match state.banking.create_payment(&context, &principal, form.to_raw(), None).await {
        Ok(record) => Redirect::to(&format!("{PAYMENTS_PAGE}/{}?done=created", record.id)).into_response(),
        Err(error) => refused_form(&state, lang, &viewer, &partner, None, form, error).await,
    }
}

async fn refused_form(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    partner: &CurrentPartner,
    editing: Option<&Editing>,
    form: PaymentForm,
    error: BankingError,
) -> Response {
    let refused = match form_refusal_of(error, lang.lang, Check::Submit, form.kind()) {
        Ok(refused) => refused,
        Err(error) => return failure(state, lang, viewer, &error),
    };
    match partner_accounts(state.store.as_ref(), partner).await {
        Ok(accounts) => form_page(state, lang, viewer, &accounts, editing, form, Some(refused)),
        Err(error) => failure(state, lang, viewer, &error),
    }
}

/// `POST /payments/validate`: the live check as the person leaves a field. Answers each input's
/// message (empty when fine) for htmx to swap in by id; creates nothing.
pub async fn validate(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    Form(form): Form<PaymentForm>,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let (errors, messages) = match state.banking.check_payment(principal, &form.to_raw()).await {
        Ok(()) => (FormErrors::none(), FieldMessages::none()),
        Err(error) => match form_refusal_of(error, lang.lang, Check::Live, form.kind()) {
            Ok(refused) => (refused.summary, refused.messages),
            Err(error) => {
                // The check is a convenience: a failure here shows nothing, the submit decides.
                tracing::warn!(error = ?error, "live check of a payment failed");
                (FormErrors::none(), FieldMessages::none())
            }
        },
    };
    debug_assert!(messages.all().len() == FORM_FIELDS.len());
    render(&PaymentChecks { errors, messages }, StatusCode::OK, lang)
}

/// The longest SWIFT BIC the lookup reads: a BIC is 8 or 11 characters; anything longer is not
/// one, and is answered as such without reading more.
const SWIFT_BIC_CHARS_MAX: usize = 16;

/// The SWIFT BIC asked about: `bic`, or the form input's own name (htmx sends an input's value
/// under its name).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SwiftBicQuery {
    pub bic: String,
    pub payee_swift_bic: String,
    pub intermediary_swift_bic: String,
}

#[derive(Template)]
#[template(path = "_swift_bank.html")]
struct SwiftBankFragment {
    bank: SwiftBank,
}

/// `GET /payments/swift-bic?bic=`: the bank a SWIFT BIC names, from the directories of banks
/// abroad and of Kazakhstan banks (R-3.1.1.3), as a fragment for the foreign transfer's form to
/// show under the BIC as it is typed; or that no bank has it.
pub async fn swift_bic(
    State(state): State<WebState>,
    lang: PageLang,
    query: Result<Query<SwiftBicQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let typed = [&query.bic, &query.payee_swift_bic, &query.intermediary_swift_bic]
        .into_iter()
        .find(|typed| !typed.trim().is_empty())
        .map_or("", String::as_str);
    let typed: String = typed.chars().take(SWIFT_BIC_CHARS_MAX).collect();
    let bank = SwiftBank::look_up(&state, &typed, lang.lang);
    render(&SwiftBankFragment { bank }, StatusCode::OK, lang)
}

/// The partner's document `id`, or the failure page (404 for another partner's, as for an
/// unknown one).
async fn load(state: &WebState, lang: PageLang, viewer: &Viewer, id: &str) -> Result<PaymentRecord, Response> {
    let Some(principal) = viewer.principal.as_ref() else { return Err(to_login()) };
    let Some(id) = document_id(id) else {
        return Err(failure(state, lang, viewer, &ApiError::NotFound { what: "payment" }));
    };
    state.banking.payment(principal, id).await.map_err(|error| failure(state, lang, viewer, &error.into()))
}

/// `GET /payments/{id}/edit`: the draft's fields in the form; a document that can no longer be
/// changed goes back to its page.
pub async fn edit_form(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    Path(id): Path<String>,
) -> Response {
    let Some(partner) = partner else { return to_login() };
    let record = match load(&state, lang, &viewer, &id).await {
        Ok(record) => record,
        Err(response) => return response,
    };
    if !is_open(record.status) {
        return Redirect::to(&format!("{PAYMENTS_PAGE}/{}", record.id)).into_response();
    }
    let accounts = match partner_accounts(state.store.as_ref(), &partner).await {
        Ok(accounts) => accounts,
        Err(error) => return failure(&state, lang, &viewer, &error),
    };
    let editing = Editing { id: record.id, number: record.number.to_string() };
    form_page(&state, lang, &viewer, &accounts, Some(&editing), PaymentForm::from_record(&record), None)
}

/// `POST /payments/{id}`: replaces a draft's fields. A document awaiting confirmation returns to
/// draft, so a code already sent for it confirms nothing.
pub async fn update(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(form): Form<PaymentForm>,
) -> Response {
    let (Some(partner), Some(principal)) = (partner, viewer.principal.clone()) else { return to_login() };
    let record = match load(&state, lang, &viewer, &id).await {
        Ok(record) => record,
        Err(response) => return response,
    };
    match state.banking.edit_payment(&context, &principal, record.id, form.to_raw()).await {
        Ok(record) => Redirect::to(&format!("{PAYMENTS_PAGE}/{}?done=saved", record.id)).into_response(),
        Err(error) => {
            let editing = Editing { id: record.id, number: record.number.to_string() };
            refused_form(&state, lang, &viewer, &partner, Some(&editing), form, error).await
        }
    }
}

/// `POST /payments/{id}/delete`: deletes a draft.
pub async fn delete(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
) -> Response {
    let (Some(partner), Some(principal)) = (partner, viewer.principal.clone()) else { return to_login() };
    let record = match load(&state, lang, &viewer, &id).await {
        Ok(record) => record,
        Err(response) => return response,
    };
    match state.banking.delete_payment(&context, &principal, record.id).await {
        Ok(()) => Redirect::to(&format!("{PAYMENTS_PAGE}?done=deleted")).into_response(),
        Err(error) => match form_refusal(error, lang.lang, Check::Submit) {
            Ok(refused) => {
                let outcome = Outcome::refused(refused.status, refused.summary);
                document_page(&state, lang, &viewer, &partner, record, outcome).await
            }
            Err(error) => failure(&state, lang, &viewer, &error),
        },
    }
}

// ----- The document -----

/// One line of the document's facts.
pub struct Fact {
    /// The `id` of the value, for tests and links; empty for none.
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    /// Monospaced, broken anywhere (digests, IBANs).
    pub code: bool,
}

impl Fact {
    fn new(id: &'static str, label: &'static str, value: impl Into<String>) -> Fact {
        Fact { id, label, value: value.into(), code: false }
    }

    fn code(id: &'static str, label: &'static str, value: impl Into<String>) -> Fact {
        Fact { id, label, value: value.into(), code: true }
    }
}

pub struct RefusalView {
    pub code: &'static str,
    pub name: &'static str,
    pub detail: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "payment.html")]
struct PaymentPage {
    t: &'static Texts,
    page: PageMeta,
    id: String,
    title: String,
    status: &'static str,
    status_code: &'static str,
    facts: Vec<Fact>,
    refusal: Option<RefusalView>,
    evidence: Vec<Fact>,
    notice: Option<&'static str>,
    errors: FormErrors,
    can_edit: bool,
    can_confirm: bool,
    /// A foreign transfer from an account in another currency: how the account is debited.
    rate_note: Option<String>,
}

fn user_name(names: &HashMap<UserId, String>, id: UserId) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("#{}", id.get()))
}

async fn document_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    partner: &CurrentPartner,
    record: PaymentRecord,
    outcome: Outcome,
) -> Response {
    let Outcome { status, notice, errors } = outcome;
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let t = texts(lang.lang);
    let loaded = async {
        let accounts = partner_accounts(state.store.as_ref(), partner).await?;
        let users = state.identity.partner_users(principal).await?;
        Ok::<_, ApiError>((accounts, users))
    };
    let (accounts, users) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return failure(state, lang, viewer, &error),
    };
    let names: HashMap<UserId, String> = users.into_iter().map(|user| (user.id, user.full_name)).collect();
    let by_id = account_map(&accounts);
    let raw = &record.fields;
    let payer = raw
        .payer_account
        .as_deref()
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| by_id.get(&AccountId::new(id)))
        .map_or_else(String::new, |account| account_label(account));
    let mut facts = vec![
        Fact::new("payment-kind", t.field_kind, record.kind().map_or("", |kind| kind_name(kind, t))),
        Fact::new("payment-payer", t.label_payer, payer),
        Fact::new("payment-payee", t.col_payee, payee_text(&record, &by_id)),
    ];
    if record.kind() == Some(DocumentKind::Foreign) {
        facts.extend(foreign_facts(state, raw, lang.lang));
    } else {
        let optional = [
            ("payment-payee-bin", t.field_payee_bin, &raw.payee_bin),
            ("payment-payee-iban", t.field_payee_iban, &raw.payee_iban),
            ("payment-payee-bic", t.field_payee_bic, &raw.payee_bic),
            ("payment-kbe", t.field_kbe, &raw.kbe),
            ("payment-kbk", t.field_kbk, &raw.kbk),
        ];
        for (id, label, value) in optional {
            if let Some(value) = value {
                facts.push(Fact::code(id, label, value.clone()));
            }
        }
    }
    facts.extend([
        Fact::new("payment-amount", t.col_amount, format::money(record.amount.money(), lang.lang)),
        Fact::new(
            "payment-commission",
            t.label_commission,
            record.commission.map_or_else(|| t.commission_later.to_owned(), |fee| format::money(fee, lang.lang)),
        ),
        Fact::new("payment-knp", t.field_knp, raw.knp.clone().unwrap_or_default()),
        Fact::new("payment-purpose", t.field_purpose, raw.purpose.clone().unwrap_or_default()),
        Fact::new("payment-value-date", t.col_value_date, format::date(record.value_date, lang.lang)),
        Fact::new(
            "payment-created",
            t.label_created,
            format!("{}, {}", user_name(&names, record.created_by), format::date_time(record.created_at, lang.lang)),
        ),
    ]);
    if record.edited_at != record.created_at {
        let edited =
            format!("{}, {}", user_name(&names, record.edited_by), format::date_time(record.edited_at, lang.lang));
        facts.push(Fact::new("payment-edited", t.label_edited, edited));
    }
    let mut evidence = Vec::new();
    if let Some(proof) = &record.evidence {
        evidence.extend([
            Fact::new("payment-confirmed-by", t.label_confirmed_by, user_name(&names, proof.confirmed_by)),
            Fact::new(
                "payment-confirmed-at",
                t.label_confirmed_at,
                format::date_time_seconds(proof.confirmed_at, lang.lang),
            ),
            Fact::new("payment-channel", t.label_channel, channel_name(proof.channel, t)),
            Fact::code("payment-content-digest", t.label_content_digest, digest_hex(&proof.content_digest)),
            Fact::code("payment-batch-digest", t.label_batch_digest, digest_hex(&proof.batch_digest)),
        ]);
    }
    if let Some(entry) = record.entry {
        evidence.push(Fact::code("payment-entry", t.label_entry, entry.to_string()));
    }
    if let Some(message_id) = &record.message_id {
        evidence.push(Fact::code("payment-message-id", t.label_message_id, message_id.clone()));
    }
    let number = record.number.to_string();
    let here = format!("{PAYMENTS_PAGE}/{}", record.id);
    let open = is_open(record.status);
    let page = PaymentPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "payments", &here, viewer),
        id: record.id.to_string(),
        title: fill(t.payment_title, &[("number", &number)]),
        status: status_name(record.status, t),
        status_code: record.status.as_str(),
        facts,
        refusal: record.refusal.as_ref().map(|refusal| RefusalView {
            code: refusal.code.as_str(),
            name: refusal_name(refusal.code, t),
            detail: refusal.reason.clone(),
            at: format::date_time(refusal.refused_at, lang.lang),
        }),
        evidence,
        notice,
        errors,
        can_edit: open && principal.allows(Permission::CreatePayments),
        can_confirm: open && principal.allows(Permission::ConfirmPayments),
        rate_note: foreign_rate_note(&record, &by_id, t),
    };
    render(&page, status, lang)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    pub done: String,
}

/// `GET /payments/{id}`: the document, its status, commission, refusal and evidence.
pub async fn show(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    Path(id): Path<String>,
    query: Result<Query<ShowQuery>, QueryRejection>,
) -> Response {
    let Some(partner) = partner else { return to_login() };
    let record = match load(&state, lang, &viewer, &id).await {
        Ok(record) => record,
        Err(response) => return response,
    };
    let t = texts(lang.lang);
    let notice = match query.map(|Query(query)| query.done).unwrap_or_default().as_str() {
        "created" => Some(t.payment_created),
        "saved" => Some(t.payment_saved),
        _ => None,
    };
    document_page(&state, lang, &viewer, &partner, record, Outcome::shown(notice)).await
}

// ----- Confirmation with one code -----

#[derive(Template)]
#[template(path = "payment_signing.html")]
struct SigningPage {
    t: &'static Texts,
    page: PageMeta,
    challenge_id: String,
    sent_to: String,
    expires_at: String,
    /// "The code was sent to +7 701 ••• •• 67, valid until 10:05."
    code_note: String,
    count: usize,
    totals: Vec<String>,
    commission: Vec<String>,
    rows: Vec<PaymentRow>,
    /// The conversions carried out at confirmation, at the rates the code is bound to (R-3.1.1.4).
    conversions: Vec<QuoteView>,
    /// The same quotes as the code step carries them back ([`QUOTE_FIELD`]).
    quote_fields: Vec<String>,
    /// The foreign transfers of the batch with their requisites (R-3.1.1.3).
    foreign: Vec<ForeignView>,
    errors: FormErrors,
}

/// A foreign transfer as its confirmation shows it: what the code confirms besides the row.
pub struct ForeignView {
    pub document: String,
    pub heading: String,
    pub facts: Vec<Fact>,
    pub note: Option<String>,
}

/// What the confirmation page shows besides the documents.
struct SigningSummary {
    challenge_id: String,
    sent_to: String,
    expires_at: String,
    totals: Vec<Money>,
    commission: Vec<Money>,
    /// The quotes of the batch's conversions carried out today.
    conversions: Vec<(DocumentId, QuoteFacts)>,
}

async fn signing_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    partner: &CurrentPartner,
    documents: &[PaymentRecord],
    summary: SigningSummary,
    outcome: Outcome,
) -> Response {
    let Outcome { status, errors, .. } = outcome;
    let t = texts(lang.lang);
    let accounts = match partner_accounts(state.store.as_ref(), partner).await {
        Ok(accounts) => accounts,
        Err(error) => return failure(state, lang, viewer, &error),
    };
    let by_id = account_map(&accounts);
    let until = summary.expires_at.parse::<Timestamp>().map_or_else(|_| "—".to_owned(), format::time_of_day);
    let money = |amounts: &[Money]| amounts.iter().map(|amount| format::money(*amount, lang.lang)).collect();
    let now = state.banking.now();
    let conversions = summary
        .conversions
        .iter()
        .map(|(document, facts)| {
            let number = documents
                .iter()
                .find(|record| record.id == *document)
                .map_or_else(|| document.to_string(), |record| record.number.to_string());
            QuoteView {
                heading: fill(t.signing_conversion_document, &[("number", &number)]),
                document: document.to_string(),
                ..QuoteView::new(facts, format!("quote-{document}"), QuotePlace::Signing, now, lang.lang)
            }
        })
        .collect();
    let quote_fields = summary.conversions.iter().map(|(document, facts)| facts.encode(*document)).collect();
    let foreign = documents
        .iter()
        .filter(|record| record.kind() == Some(DocumentKind::Foreign))
        .map(|record| {
            let mut facts = vec![Fact::new("payment-payee", t.col_payee, payee_text(record, &by_id))];
            facts.extend(foreign_facts(state, &record.fields, lang.lang));
            ForeignView {
                document: record.id.to_string(),
                heading: fill(t.foreign_signing_document, &[("number", &record.number.to_string())]),
                facts,
                note: foreign_rate_note(record, &by_id, t),
            }
        })
        .collect();
    let page = SigningPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "payments", PAYMENTS_PAGE, viewer),
        code_note: fill(t.code_sent, &[("to", &summary.sent_to), ("until", &until)]),
        count: documents.len(),
        totals: money(&summary.totals),
        commission: money(&summary.commission),
        rows: documents.iter().map(|record| PaymentRow::new(record, &by_id, lang.lang)).collect(),
        conversions,
        quote_fields,
        foreign,
        challenge_id: summary.challenge_id,
        sent_to: summary.sent_to,
        expires_at: summary.expires_at,
        errors,
    };
    render(&page, status, lang)
}

/// `POST /payments/signing`: opens the confirmation of the ticked documents:
/// one code bound to their content goes by SMS, and the page shows the count, the totals and
/// the commission per currency, where the code went, and each conversion's amounts and rates
/// with the time to confirm them before (R-3.1.1.4).
pub async fn open_signing(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    RequestContext(context): RequestContext,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (Some(partner), Some(principal)) = (partner, viewer.principal.clone()) else { return to_login() };
    let t = texts(lang.lang);
    let ids: Vec<DocumentId> =
        pairs.iter().filter(|(name, _)| name == SELECTION_FIELD).filter_map(|(_, value)| document_id(value)).collect();
    let (status, errors) = if ids.is_empty() {
        (StatusCode::UNPROCESSABLE_ENTITY, FormErrors::summary("empty_batch", t.payments_nothing_selected))
    } else {
        let opened = async {
            let signing = state.banking.open_signing(&context, &principal, &ids).await?;
            let challenge_id = signing.challenge.challenge_id.as_str().to_owned();
            let documents = state.banking.signing_documents(&principal, &challenge_id).await?;
            Ok::<_, BankingError>((signing, documents))
        };
        match opened.await {
            Ok((signing, documents)) => {
                debug_assert_eq!(signing.count, documents.documents.len());
                let summary = SigningSummary {
                    challenge_id: signing.challenge.challenge_id.as_str().to_owned(),
                    sent_to: signing.challenge.sent_to.clone(),
                    expires_at: signing.challenge.expires_at.to_string(),
                    totals: signing.totals,
                    commission: signing.commission,
                    conversions: signing
                        .conversions
                        .iter()
                        .map(|(document, quote)| (*document, QuoteFacts::of(quote)))
                        .collect(),
                };
                let outcome = Outcome::shown(None);
                return signing_page(&state, lang, &viewer, &partner, &documents.documents, summary, outcome).await;
            }
            Err(BankingError::Batch(error)) => {
                let text = conflict_text(error.code(), t).map_or_else(|| error.to_string(), str::to_owned);
                (StatusCode::UNPROCESSABLE_ENTITY, FormErrors::summary(error.code(), text))
            }
            Err(error) => match form_refusal(error, lang.lang, Check::Submit) {
                Ok(refusal) => (refusal.status, refusal.summary),
                // A ticked document that is not the partner's (or no longer exists) is not found.
                Err(error) if error.status() == StatusCode::NOT_FOUND => {
                    (StatusCode::NOT_FOUND, FormErrors::from_api(&error, lang.lang, &[]))
                }
                Err(error) => return failure(&state, lang, &viewer, &error),
            },
        }
    };
    list_page(&state, lang, &viewer, &partner, &ListQuery::default(), Outcome::refused(status, errors)).await
}

/// The code step as posted: the challenge and what the page showed about it.
#[derive(Debug, Clone, Default)]
pub struct CodeForm {
    pub challenge_id: String,
    pub code: String,
    pub sent_to: String,
    pub expires_at: String,
    /// The conversions' quotes the page showed ([`QuoteFacts::encode`]), one per conversion.
    pub quotes: Vec<String>,
}

impl CodeForm {
    /// The form's fields; the quote field repeats, so the form is read as pairs.
    fn from_pairs(pairs: Vec<(String, String)>) -> CodeForm {
        let mut form = CodeForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "challenge_id" => form.challenge_id = value,
                "code" => form.code = value,
                "sent_to" => form.sent_to = value,
                "expires_at" => form.expires_at = value,
                QUOTE_FIELD => form.quotes.push(value),
                _ => {}
            }
        }
        form
    }

    /// The quotes the page showed; any the page did not write is left out.
    fn conversions(&self) -> Vec<(DocumentId, QuoteFacts)> {
        self.quotes.iter().filter_map(|text| QuoteFacts::decode(text)).collect()
    }
}

#[derive(Template)]
#[template(path = "payment_signed.html")]
struct SignedPage {
    t: &'static Texts,
    page: PageMeta,
    heading: &'static str,
    /// What went wrong, when nothing was confirmed.
    failure: Option<String>,
    failure_code: String,
    rows: Vec<PaymentRow>,
    /// The documents of a confirmation refused for its conversions' rates: a button opens a new
    /// confirmation of them at the current rates. Empty otherwise.
    reopen: Vec<String>,
}

fn signed_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    failure: Option<(String, String)>,
    rows: Vec<PaymentRow>,
) -> Response {
    signed_page_with(state, lang, viewer, status, failure, rows, Vec::new())
}

fn signed_page_with(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    failure: Option<(String, String)>,
    rows: Vec<PaymentRow>,
    reopen: Vec<String>,
) -> Response {
    let t = texts(lang.lang);
    let heading = if failure.is_some() { t.signing_failed_title } else { t.signing_done_title };
    let (failure_code, failure) = match failure {
        Some((code, text)) => (code, Some(text)),
        None => (String::new(), None),
    };
    let page = SignedPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "payments", PAYMENTS_PAGE, viewer),
        heading,
        failure,
        failure_code,
        rows,
        reopen,
    };
    render(&page, status, lang)
}

/// `POST /payments/signing/confirm`: confirms the batch with its one code and
/// shows what became of each document: executed, sent, confirmed for a later value date, or
/// refused with its reason. A wrong code shows the page again with the error; a
/// document changed since the code was sent confirms nothing, and the page says so. A code
/// entered after its conversions' rates stopped holding confirms nothing either: the page says
/// until when they held and offers a new confirmation of the same documents (R-3.1.1.4).
pub async fn confirm_signing(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    RequestContext(context): RequestContext,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (Some(partner), Some(principal)) = (partner, viewer.principal.clone()) else { return to_login() };
    let form = CodeForm::from_pairs(pairs);
    let t = texts(lang.lang);
    let challenge = form.challenge_id.trim();
    let confirmed = state.banking.confirm_signing(&context, &principal, challenge, form.code.trim()).await;
    let error = match confirmed {
        Ok(results) => return results_page(&state, lang, &viewer, &partner, &principal, &results).await,
        Err(error) => error,
    };
    match error {
        BankingError::Identity(error) => {
            // A wrong, expired or spent code: the same page again, the message at the code.
            let (api, status) = identity_error(error, "code");
            let errors = FormErrors::from_api(&api, lang.lang, &["code"]);
            match state.banking.signing_documents(&principal, challenge).await {
                Ok(SigningDocuments { documents, totals, commission }) => {
                    let summary = SigningSummary {
                        challenge_id: challenge.to_owned(),
                        sent_to: form.sent_to.clone(),
                        expires_at: form.expires_at.clone(),
                        totals,
                        commission,
                        conversions: form.conversions(),
                    };
                    let outcome = Outcome::refused(status, errors);
                    signing_page(&state, lang, &viewer, &partner, &documents, summary, outcome).await
                }
                Err(_) => {
                    let text = errors.field("code").map(str::to_owned).or(errors.summary.clone()).unwrap_or_default();
                    signed_page(&state, lang, &viewer, status, Some((errors.code.clone(), text)), Vec::new())
                }
            }
        }
        BankingError::Conflict(code @ (conversion_codes::QUOTE_EXPIRED | conversion_codes::QUOTE_CHANGED)) => {
            let text = if code == conversion_codes::QUOTE_EXPIRED {
                // The earliest end the page showed: the one that stopped the confirmation.
                let until = form.conversions().iter().map(|(_, facts)| facts.expires_at).min();
                let until = until.map_or_else(|| "—".to_owned(), format::time_of_day_seconds);
                fill(t.quote_expired_text, &[("until", &until)])
            } else {
                t.quote_changed_text.to_owned()
            };
            // The same documents, read from the confirmation (not from the page).
            let reopen = match state.banking.signing_documents(&principal, challenge).await {
                Ok(signing) => signing.documents.iter().map(|record| record.id.to_string()).collect(),
                Err(error) => {
                    tracing::warn!(error = ?error, "the documents of a refused confirmation could not be read");
                    Vec::new()
                }
            };
            let failure = Some((code.to_owned(), text));
            signed_page_with(&state, lang, &viewer, StatusCode::CONFLICT, failure, Vec::new(), reopen)
        }
        BankingError::Conflict(code) => {
            let text = conflict_text(code, t)
                .map_or_else(|| ApiError::from(BankingError::Conflict(code)).problem(lang.lang).title, str::to_owned);
            signed_page(&state, lang, &viewer, StatusCode::CONFLICT, Some((code.to_owned(), text)), Vec::new())
        }
        other => {
            let error = ApiError::from(other);
            if error.status().is_server_error() {
                return failure(&state, lang, &viewer, &error);
            }
            let problem = error.problem(lang.lang);
            signed_page(&state, lang, &viewer, error.status(), Some((problem.code, problem.title)), Vec::new())
        }
    }
}

async fn results_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    partner: &CurrentPartner,
    principal: &Principal,
    results: &[Confirmed],
) -> Response {
    let t = texts(lang.lang);
    let accounts = match partner_accounts(state.store.as_ref(), partner).await {
        Ok(accounts) => accounts,
        Err(error) => return failure(state, lang, viewer, &error),
    };
    let by_id = account_map(&accounts);
    let mut rows = Vec::with_capacity(results.len());
    for result in results {
        let status = result.outcome.status();
        let mut row = match state.banking.payment(principal, result.document).await {
            Ok(record) => PaymentRow::new(&record, &by_id, lang.lang),
            Err(error) => return failure(state, lang, viewer, &error.into()),
        };
        // The outcome is the confirmation's answer; the record read just after agrees with it.
        row.status = status_name(status, t);
        row.status_code = status.as_str();
        if let PaymentOutcome::Refused(refusal) = &result.outcome {
            row.refusal = refusal_name(refusal.code, t).to_owned();
        }
        rows.push(row);
    }
    signed_page(state, lang, viewer, StatusCode::OK, None, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, KK, RU};

    /// Every code the parser and the account gate can answer has a message in every language.
    #[test]
    fn every_field_code_is_translated() {
        let gate = [
            tiyn_banking::codes::ACCOUNT_NOT_FOUND,
            tiyn_banking::codes::ACCOUNT_CURRENCY_MISMATCH,
            tiyn_banking::codes::ACCOUNT_NOT_OPEN,
            "commission_exceeds_amount",
            // A conversion's amount the rates cannot convert (R-3.1.1.4).
            "amount_too_small",
            "amount_too_large",
            // A foreign transfer's charges against its account (R-3.1.1.3).
            tiyn_banking::foreign::codes::BEN_NEEDS_SAME_CURRENCY,
        ];
        for code in tiyn_payments::codes::ALL.into_iter().chain(gate) {
            for t in [&RU, &KK, &EN] {
                assert!(field_message(code, t).is_some(), "{code} has no message in {}", t.language_name);
            }
        }
        assert_eq!(field_message("something_new", &RU), None);
    }

    #[test]
    fn amounts_are_read_as_people_write_them() {
        let check = |typed: &str, currency: &str, expected: &str| {
            assert_eq!(canonical_amount(typed, currency), expected, "{typed:?} {currency}");
        };
        check("1 500,5", "KZT", "1500.50");
        check("1\u{202F}500\u{00A0}000", "KZT", "1500000.00");
        check("100", "KZT", "100.00");
        check("100.00", "KZT", "100.00");
        check("100", "JPY", "100");
        check("1,500.00", "KZT", "1.500.00");
        check("10.001", "KZT", "10.001");
        check("-5", "KZT", "-5");
        check("", "KZT", "");
        check("12", "", "12");
    }

    /// The form leaves out the payee fields the chosen kind hides.
    #[test]
    fn hidden_payee_fields_are_not_sent() {
        let form = PaymentForm {
            kind: "internal".into(),
            payee_account: "2".into(),
            payee_name: "ТОО Ромашка".into(),
            kbk: "105102".into(),
            ..PaymentForm::default()
        };
        let raw = form.to_raw();
        assert_eq!(raw.payee_account.as_deref(), Some("2"));
        assert_eq!((raw.payee_name, raw.kbk), (None, None));
        let raw = PaymentForm { kind: "interbank".into(), ..form.clone() }.to_raw();
        assert_eq!((raw.payee_account, raw.kbk), (None, None));
        assert_eq!(raw.payee_name.as_deref(), Some("ТОО Ромашка"));
        let raw = PaymentForm { kind: "budget".into(), ..form.clone() }.to_raw();
        assert_eq!(raw.kbk.as_deref(), Some("105102"));
        // A conversion is between the partner's own accounts (R-3.1.1.4).
        let raw = PaymentForm { kind: "conversion".into(), ..form.clone() }.to_raw();
        assert_eq!(raw.payee_account.as_deref(), Some("2"));
        assert_eq!((raw.payee_name, raw.payee_iban, raw.kbe, raw.kbk), (None, None, None, None));
    }

    /// R-3.1.1.3: a foreign transfer sends its payee's name, account, KBe and its own fields,
    /// never the BIN, the Kazakhstan BIC, the KBK or an own account; no other kind sends its
    /// fields (the charges' default choice included).
    #[test]
    fn r_3_1_1_3_a_foreign_transfer_sends_exactly_its_fields() {
        let form = PaymentForm {
            kind: "foreign".into(),
            payee_account: "2".into(),
            payee_name: "ACME Corp".into(),
            payee_bin: "180140010005".into(),
            payee_iban: "DE89370400440532013000".into(),
            payee_bic: "CASPKZKA".into(),
            kbe: "27".into(),
            kbk: "105102".into(),
            payee_address: "1 Main St, Berlin".into(),
            payee_country: "DE".into(),
            payee_swift_bic: "COBADEFF".into(),
            intermediary_swift_bic: "DEUTDEFF".into(),
            charges: "SHA".into(),
            contract_number: "C-1".into(),
            contract_date: "2025-12-01".into(),
            ..PaymentForm::default()
        };
        let raw = form.to_raw();
        assert_eq!((raw.payee_account, raw.payee_bin, raw.payee_bic, raw.kbk), (None, None, None, None));
        assert_eq!(raw.payee_name.as_deref(), Some("ACME Corp"));
        assert_eq!(raw.payee_iban.as_deref(), Some("DE89370400440532013000"));
        assert_eq!(raw.kbe.as_deref(), Some("27"));
        assert_eq!(raw.payee_address.as_deref(), Some("1 Main St, Berlin"));
        assert_eq!(raw.payee_country.as_deref(), Some("DE"));
        assert_eq!(raw.payee_swift_bic.as_deref(), Some("COBADEFF"));
        assert_eq!(raw.intermediary_swift_bic.as_deref(), Some("DEUTDEFF"));
        assert_eq!(raw.charges.as_deref(), Some("SHA"));
        assert_eq!((raw.contract_number.as_deref(), raw.contract_date.as_deref()), (Some("C-1"), Some("2025-12-01")));
        for kind in ["internal", "interbank", "budget", "conversion"] {
            let raw = PaymentForm { kind: kind.into(), ..form.clone() }.to_raw();
            let foreign = [
                raw.payee_address,
                raw.payee_country,
                raw.payee_swift_bic,
                raw.intermediary_swift_bic,
                raw.charges,
                raw.contract_number,
                raw.contract_date,
            ];
            assert!(foreign.iter().all(Option::is_none), "{kind} sent {foreign:?}");
        }
    }

    /// R-3.1.1.3: a code reads as what it means for a foreign transfer.
    #[test]
    fn r_3_1_1_3_foreign_refusals_speak_of_the_transfer_abroad() {
        let refusal =
            |field: &'static str, code: &'static str| tiyn_payments::FieldError { field, code, detail: "x".into() };
        let refusals = vec![
            refusal(fields::KBE, codes::KBE_INCONSISTENT_WITH_PAYEE),
            refusal(fields::CURRENCY, codes::CURRENCY_NOT_ALLOWED),
            refusal(fields::PAYEE_SWIFT_BIC, codes::BIC_MISMATCH),
            refusal(fields::CONTRACT_NUMBER, codes::CONTRACT_REQUIRED),
            refusal(fields::CHARGES, tiyn_banking::foreign::codes::BEN_NEEDS_SAME_CURRENCY),
        ];
        let foreign = Some(DocumentKind::Foreign);
        let refused = form_refusal_of(BankingError::Invalid(refusals.clone()), Lang::Ru, Check::Submit, foreign)
            .expect("a form refusal");
        assert_eq!(refused.messages.get("kbe"), "Получатель за рубежом — нерезидент: КБе начинается с 2");
        assert_eq!(refused.messages.get("currency"), "Перевод в иностранной валюте не может быть в тенге");
        assert_eq!(refused.messages.get("payee_swift_bic"), "IBAN открыт в другой стране, чем банк с этим BIC");
        assert_eq!(
            refused.messages.get("contract_number"),
            "Для этой суммы нужны номер и дата контракта (валютный контроль)"
        );
        assert_eq!(refused.messages.get("charges"), "BEN возможен только со счёта в валюте перевода");
        let tenge = form_refusal(BankingError::Invalid(refusals), Lang::Ru, Check::Submit).expect("a form refusal");
        assert_eq!(tenge.messages.get("kbe"), "КБе не соответствует получателю");
    }

    #[test]
    fn refusals_go_next_to_their_inputs() {
        let refusals = vec![
            tiyn_payments::FieldError { field: fields::AMOUNT, code: "amount_precision", detail: "x".into() },
            tiyn_payments::FieldError { field: fields::VALUE_DATE, code: "value_date_in_past", detail: "x".into() },
            tiyn_payments::FieldError {
                field: fields::VALUE_DATE,
                code: "value_date_not_working_day",
                detail: "x".into(),
            },
            tiyn_payments::FieldError {
                field: fields::PAYEE_IBAN,
                code: "brand_new_code",
                detail: "English detail".into(),
            },
        ];
        let refused =
            form_refusal(BankingError::Invalid(refusals.clone()), Lang::Ru, Check::Submit).expect("a form refusal");
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.messages.get("amount"), "Слишком много знаков после запятой");
        assert_eq!(
            refused.messages.get("value_date"),
            "Дата уже прошла; Выходной день: платежи исполняются в рабочие дни"
        );
        assert_eq!(refused.messages.get("payee_iban"), "English detail");
        assert_eq!(refused.messages.get("kind"), "");
        assert!(refused.summary.summary.is_some());

        let mut live = refusals;
        live.push(tiyn_payments::FieldError { field: fields::KNP, code: "required", detail: "x".into() });
        let refused = form_refusal(BankingError::Invalid(live), Lang::En, Check::Live).expect("a form refusal");
        assert_eq!(refused.messages.get("knp"), "", "a field not filled in yet is not a mistake yet");
        assert!(refused.summary.is_empty());
        assert_eq!(refused.messages.get("amount"), "Too many decimal places");

        let error = form_refusal(BankingError::NotFound("payment"), Lang::En, Check::Submit).err();
        assert_eq!(error.map(|error| error.status()), Some(StatusCode::NOT_FOUND));
    }
}
