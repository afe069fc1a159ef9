//! `/payments`: the partner's payment documents (R-3.1.1.2). The list with a filter by status;
//! the form that creates and edits a draft, with every problem next to its field; the
//! document with its status, commission, refusal and the evidence of its confirmation;
//! and the confirmation of a selection with one SMS code bound to the documents' content (R-4.11,
//! ), which executes them or refuses each with its reason.
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
    ConfirmationChannel, DocumentId, DocumentKind, RawDocument, RefusalCode, Status, digest_hex, fields,
};
use tiyn_store::Account;
use tiyn_store::payments::{PaymentOutcome, PaymentQuery, PaymentRecord, conflicts, is_open};

use crate::WebState;
use crate::conversions::{QUOTE_FIELD, QuoteFacts, QuotePlace, QuoteView};
use crate::format;
use crate::forms::{FormErrors, identity_error};
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{MaybePartner, PageMeta, Viewer, failure, render};

pub const PAYMENTS_PAGE: &str = "/payments";

/// Rows of one page of the list: a busy partner's day of documents fits on one page, and a page
/// still renders in milliseconds. Older documents are one "older" link away.
const PAYMENTS_PAGE_ROWS: usize = 100;

/// The `name` of the list's checkboxes; repeated, one per ticked document.
const SELECTION_FIELD: &str = "ids";

/// The form's inputs: the API's field name (what a refusal names) and the input's id and name.
/// In the order the form shows them.
const FORM_FIELDS: [(&str, &str); 14] = [
    (fields::KIND, "kind"),
    (fields::PAYER_ACCOUNT, "payer_account"),
    (fields::PAYEE_ACCOUNT, "payee_account"),
    (fields::PAYEE_NAME, "payee_name"),
    (fields::PAYEE_BIN, "payee_bin"),
    (fields::PAYEE_IBAN, "payee_iban"),
    (fields::PAYEE_BIC, "payee_bic"),
    (fields::KBE, "kbe"),
    (fields::KBK, "kbk"),
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
        "kind_not_supported" => t.err_kind_not_supported,
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
            template_name: String::new(),
        }
    }

    /// The fields as the API reads them. The form shows only the payee fields of the chosen kind
    /// (the others are hidden, not removed), so the hidden ones are left out: they are not part
    /// of what the person sees and signs. The amount is written as people write it (`1 500,5`)
    /// and sent in the API's one spelling (`1500.50`).
    pub(crate) fn to_raw(&self) -> RawDocument {
        let kind = DocumentKind::parse(self.kind.trim()).ok();
        let shows_internal = !matches!(kind, Some(DocumentKind::Interbank | DocumentKind::Budget));
        let shows_bank_payee = !matches!(kind, Some(DocumentKind::Internal | DocumentKind::Conversion));
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
            payee_name: shown(shows_bank_payee, &self.payee_name),
            payee_bin: shown(shows_bank_payee, &self.payee_bin),
            payee_iban: shown(shows_bank_payee, &self.payee_iban),
            payee_bic: shown(shows_bank_payee, &self.payee_bic),
            kbe: shown(shows_bank_payee, &self.kbe),
            kbk: shown(shows_kbk, &self.kbk),
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
    /// that is also a Sunday) shows both. Refusals of other fields are answered as `rest`.
    fn new(refusals: &[tiyn_payments::FieldError], t: &'static Texts) -> (FieldMessages, Vec<String>) {
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
    let t = texts(lang);
    match error {
        BankingError::Invalid(mut refusals) => {
            if check == Check::Live {
                refusals.retain(|refusal| refusal.code != tiyn_payments::codes::REQUIRED);
            }
            let (messages, rest) = FieldMessages::new(&refusals, t);
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
            let (messages, _) = FieldMessages::new(&[refusal], t);
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
    let currencies = currencies
        .into_iter()
        .map(|currency| Choice {
            value: currency.code().to_owned(),
            label: currency.code().to_owned(),
            selected: Some(currency) == typed,
        })
        .collect();
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

// ----- Creating and editing -----

/// `GET /payments/new`: an internal transfer from the first account, dated the first day the
/// bank executes payments (today, or the next working day on a day off).
pub async fn new_form(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
) -> Response {
    let Some(partner) = partner else { return to_login() };
    let accounts = match partner_accounts(state.store.as_ref(), &partner).await {
        Ok(accounts) => accounts,
        Err(error) => return failure(&state, lang, &viewer, &error),
    };
    let payer = accounts.first();
    let values = PaymentForm {
        kind: DocumentKind::Internal.as_str().to_owned(),
        payer_account: payer.map(|account| account.id.get().to_string()).unwrap_or_default(),
        currency: payer.map_or(Currency::Kzt, |account| account.currency).code().to_owned(),
        value_date: state.banking.default_value_date().to_string(),
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
    let refused = match form_refusal(error, lang.lang, Check::Submit) {
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
        Err(error) => match form_refusal(error, lang.lang, Check::Live) {
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
    errors: FormErrors,
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
        let raw = PaymentForm { kind: "conversion".into(), ..form }.to_raw();
        assert_eq!(raw.payee_account.as_deref(), Some("2"));
        assert_eq!((raw.payee_name, raw.payee_iban, raw.kbe, raw.kbk), (None, None, None, None));
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
