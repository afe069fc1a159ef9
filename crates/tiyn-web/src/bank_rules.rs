//! The bank's payment rules in the console (issue 4): on a partner's page, its tariff plan
//! its limits, the document kinds switched off and, per account, the
//! restrictions the bank registered (arrests, suspensions of debits, collection orders, closing:
//! ); `/bank/aml`, the list of persons linked to terrorism or extremism
//! financing.
//!
//! Every change goes through `tiyn_banking`'s use cases with the operator as a [`BankActor`]
//! (they decide and audit); the forms here only read what was typed and show refusals next to the
//! fields, in the page's language. The routes' rules let in only the roles each needs
//! (`ManagePaymentRules`, `ManageRestrictions`), and the page hides the forms from the others.

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiyn_api::authz::RequestContext;
use tiyn_api::{ApiError, Lang};
use tiyn_banking::rules::{CreditorText, parse_creditor};
use tiyn_core::{AccountId, AmountError, BankPermission, Currency, Money, PartnerId, TaxpayerId, UserId};
use tiyn_identity::{BankActor, Context};
use tiyn_payments::limits::{Limit, LimitError, LimitRule, LimitScope, LimitSet};
use tiyn_payments::tariff::{Commission, KindTariff, Rate, TariffPlan, Withholding};
use tiyn_payments::{Directories, DocumentKind};
use tiyn_store::rules::{
    AmlEntry, CollectionOrder, CollectionPriority, NewRestriction, PaymentRules, Restriction, RestrictionKind,
    limits_to_text,
};
use tiyn_store::{Account, User};

use crate::WebState;
use crate::bank::partner_page_with;
use crate::format;
use crate::forms::{FormErrors, is_internal, status_of};
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{PageMeta, Viewer, failure, forbidden, render};
use crate::payments;

/// The currencies the forms offer for fees, limits and counts.
const CURRENCIES: [&str; 5] = ["KZT", "USD", "EUR", "RUB", "CNY"];
/// Entries of the AML list shown on its page; the rest are counted.
pub const AML_SHOWN_MAX: usize = 500;
/// Refused lines of an AML upload named in the message; the rest are counted.
const AML_LINE_ERRORS_MAX: usize = 5;
/// The longest reference of a restriction and name of an AML entry (the API's bounds).
const TEXT_CHARS_MAX: usize = 500;

fn actor_of(viewer: &Viewer) -> Option<BankActor> {
    viewer.principal.as_ref().and_then(BankActor::operator)
}

fn allows(viewer: &Viewer, permission: BankPermission) -> bool {
    viewer.principal.as_ref().is_some_and(|principal| principal.allows_bank(permission))
}

fn parse_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

/// One option of a select, radio group or checkbox list.
pub struct Choice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

fn choice(code: impl Into<String>, label: impl Into<String>, selected: bool) -> Choice {
    Choice { code: code.into(), label: label.into(), selected }
}

fn kind_label(t: &'static Texts, kind: DocumentKind) -> &'static str {
    payments::kind_name(kind, t)
}

/// An amount as typed: spaces (also non-breaking) dropped, a decimal comma read as a point.
fn parse_money(text: &str, currency: &str, t: &'static Texts) -> Result<Money, &'static str> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.is_empty() {
        return Err(t.err_required);
    }
    let currency = Currency::parse(currency).map_err(|_| t.err_unsupported_currency)?;
    match Money::parse(&cleaned, currency) {
        Ok(money) if money.is_negative() => Err(t.err_amount_not_positive),
        Ok(money) => Ok(money),
        Err(AmountError::TooManyDecimals { .. }) => Err(t.err_amount_precision),
        Err(_) => Err(t.err_invalid_amount),
    }
}

/// A decimal typed for the form again (`1500.00`).
fn amount_text(money: Money) -> String {
    money.amount_string()
}

fn field(field: &str, message: &str) -> (String, String) {
    (field.to_owned(), message.to_owned())
}

fn refused(fields: Vec<(String, String)>, t: &'static Texts) -> FormErrors {
    FormErrors { summary: Some(t.rules_not_saved.to_owned()), fields, code: "validation_failed".to_owned() }
}

// ----- the tariff plan -----

/// One kind's tariff as typed.
#[derive(Debug, Clone, Default)]
pub struct KindTariffForm {
    pub commission: String,
    pub fee: String,
    pub rate: String,
    pub min: String,
    pub max: String,
    pub currency: String,
    pub withholding: String,
}

impl KindTariffForm {
    fn of(tariff: &KindTariff) -> KindTariffForm {
        let mut form = KindTariffForm {
            commission: tariff.commission().shape().to_owned(),
            withholding: tariff.withholding().as_str().to_owned(),
            currency: "KZT".to_owned(),
            ..KindTariffForm::default()
        };
        match tariff.commission() {
            Commission::Free => {}
            Commission::Fixed(fee) => {
                form.fee = amount_text(fee.money());
                form.currency = fee.currency().code().to_owned();
            }
            Commission::Percent(percent) => {
                form.rate = percent.rate().percent_string();
                if let Some(min) = percent.min() {
                    form.min = amount_text(min.money());
                    form.currency = min.currency().code().to_owned();
                }
                if let Some(max) = percent.max() {
                    form.max = amount_text(max.money());
                    form.currency = max.currency().code().to_owned();
                }
            }
        }
        form
    }
}

/// The tariff form: the bank's standard plan, or the partner's own (one tariff per kind).
#[derive(Debug, Clone, Default)]
pub struct TariffForm {
    /// `standard` or `own`.
    pub plan: String,
    pub kinds: Vec<(DocumentKind, KindTariffForm)>,
    /// The fee of a foreign transfer under OUR (`foreign_our_fee`, `foreign_our_currency`);
    /// empty: none.
    pub our_fee: String,
    pub our_fee_currency: String,
}

impl TariffForm {
    fn of(own: Option<&TariffPlan>, standard: &TariffPlan) -> TariffForm {
        let plan = own.unwrap_or(standard);
        TariffForm {
            plan: if own.is_some() { "own" } else { "standard" }.to_owned(),
            kinds: DocumentKind::ALL.into_iter().map(|kind| (kind, KindTariffForm::of(plan.tariff(kind)))).collect(),
            our_fee: plan.our_fee().map(|fee| amount_text(fee.money())).unwrap_or_default(),
            our_fee_currency: plan.our_fee().map_or("USD", |fee| fee.currency().code()).to_owned(),
        }
    }

    /// Fields `plan`, and `{kind}_commission`, `{kind}_fee`, `{kind}_rate`, `{kind}_min`,
    /// `{kind}_max`, `{kind}_currency`, `{kind}_withholding` per kind.
    fn from_pairs(pairs: &[(String, String)]) -> TariffForm {
        let value = |name: &str| {
            pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.trim().to_owned()).unwrap_or_default()
        };
        TariffForm {
            plan: value("plan"),
            our_fee: value("foreign_our_fee"),
            our_fee_currency: value("foreign_our_currency"),
            kinds: DocumentKind::ALL
                .into_iter()
                .map(|kind| {
                    let of = |part: &str| value(&format!("{}_{part}", kind.as_str()));
                    (
                        kind,
                        KindTariffForm {
                            commission: of("commission"),
                            fee: of("fee"),
                            rate: of("rate"),
                            min: of("min"),
                            max: of("max"),
                            currency: of("currency"),
                            withholding: of("withholding"),
                        },
                    )
                })
                .collect(),
        }
    }

    /// `None` is the bank's standard plan.
    fn parse(&self, t: &'static Texts) -> Result<Option<TariffPlan>, Vec<(String, String)>> {
        match self.plan.as_str() {
            "standard" => return Ok(None),
            "own" => {}
            _ => return Err(vec![field("plan", t.err_required)]),
        }
        let mut errors = Vec::new();
        let mut tariffs = Vec::new();
        for (kind, form) in &self.kinds {
            // A conversion or foreign line left blank is free, as a plan written before them reads.
            if matches!(kind, DocumentKind::Conversion | DocumentKind::Foreign)
                && form.commission.is_empty()
                && form.withholding.is_empty()
            {
                tariffs.push((*kind, KindTariff::free()));
                continue;
            }
            let name = |part: &str| format!("{}_{part}", kind.as_str());
            let withholding = match Withholding::parse(&form.withholding) {
                Ok(Withholding::FromAmount) if *kind != DocumentKind::Internal => {
                    errors.push(field(&name("withholding"), t.rules_err_withholding));
                    None
                }
                Ok(withholding) => Some(withholding),
                Err(_) => {
                    errors.push(field(&name("withholding"), t.err_required));
                    None
                }
            };
            let mut money = |part: &str, text: &str, required: bool| -> Option<Option<Money>> {
                if text.is_empty() && !required {
                    return Some(None);
                }
                parse_money(text, &form.currency, t)
                    .map(Some)
                    .map_err(|message| errors.push(field(&name(part), message)))
                    .ok()
            };
            let commission = match form.commission.as_str() {
                "free" => Some(Commission::Free),
                "fixed" => money("fee", &form.fee, true).flatten().and_then(|fee| Commission::fixed(fee).ok()),
                "percent" => {
                    let min = money("min", &form.min, false);
                    let max = money("max", &form.max, false);
                    let rate = Rate::parse_percent(&form.rate.replace(',', "."))
                        .map_err(|_| errors.push(field(&name("rate"), t.rules_err_rate)))
                        .ok();
                    match (rate, min, max) {
                        (Some(rate), Some(min), Some(max)) => Commission::percent(rate, min, max)
                            .map_err(|_| errors.push(field(&name("max"), t.rules_err_min_max)))
                            .ok(),
                        _ => None,
                    }
                }
                _ => {
                    errors.push(field(&name("commission"), t.err_required));
                    None
                }
            };
            if let (Some(commission), Some(withholding)) = (commission, withholding) {
                match KindTariff::new(commission, withholding) {
                    Ok(tariff) => tariffs.push((*kind, tariff)),
                    Err(_) => errors.push(field(&name("max"), t.rules_err_whole_amount)),
                }
            }
        }
        let our_fee = match self.our_fee.is_empty() {
            true => None,
            false => parse_money(&self.our_fee, &self.our_fee_currency, t)
                .map_err(|message| errors.push(field("foreign_our_fee", message)))
                .ok(),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        TariffPlan::new(tariffs)
            .and_then(|plan| plan.with_our_fee(our_fee))
            .map(Some)
            .map_err(|_| vec![field("plan", t.err_required)])
    }
}

/// One kind's tariff on the page: a sentence for everyone, the form's values for the managers.
pub struct KindTariffView {
    pub kind: &'static str,
    pub label: &'static str,
    pub summary: String,
    pub commissions: Vec<Choice>,
    pub fee: String,
    pub rate: String,
    pub min: String,
    pub max: String,
    pub currencies: Vec<Choice>,
    pub withholdings: Vec<Choice>,
    pub commission_error: Option<String>,
    pub fee_error: Option<String>,
    pub rate_error: Option<String>,
    pub min_error: Option<String>,
    pub max_error: Option<String>,
    pub withholding_error: Option<String>,
}

fn tariff_summary(tariff: &KindTariff, t: &'static Texts, lang: Lang) -> String {
    let commission = match tariff.commission() {
        Commission::Free => t.commission_free.to_owned(),
        Commission::Fixed(fee) => format!("{} {}", t.commission_fixed, format::money(fee.money(), lang)),
        Commission::Percent(percent) => {
            let mut text = format!("{} {} %", t.commission_percent, percent.rate().percent_string());
            if let Some(min) = percent.min() {
                text.push_str(&format!(", {} {}", t.commission_min, format::money(min.money(), lang)));
            }
            if let Some(max) = percent.max() {
                text.push_str(&format!(", {} {}", t.commission_max, format::money(max.money(), lang)));
            }
            text
        }
    };
    let withholding = match tariff.withholding() {
        Withholding::Separate => t.withholding_separate,
        Withholding::FromAmount => t.withholding_from_amount,
    };
    format!("{commission} · {withholding}")
}

// ----- limits -----

/// The form adding one limit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LimitForm {
    /// `partner`, or `user:{id}`.
    pub scope: String,
    /// A kind, or empty for all kinds.
    pub kind: String,
    pub rule: String,
    /// An amount (`operation_amount`, `daily_amount`) or a count.
    pub value: String,
    /// The amount's currency; for `daily_count`, empty counts every currency.
    pub currency: String,
}

const LIMIT_RULES: [&str; 4] = ["operation_amount", "daily_amount", "daily_count", "confirmation_count"];

fn rule_label(t: &'static Texts, rule: &str) -> &'static str {
    match rule {
        "operation_amount" => t.limit_operation_amount,
        "daily_amount" => t.limit_daily_amount,
        "daily_count" => t.limit_daily_count,
        _ => t.limit_confirmation_count,
    }
}

impl LimitForm {
    fn parse(&self, partner: PartnerId, users: &[User], t: &'static Texts) -> Result<Limit, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let scope = match self.scope.as_str() {
            "partner" => Some(LimitScope::Partner(partner)),
            other => match other.strip_prefix("user:").and_then(parse_id).map(UserId::new) {
                Some(user) if users.iter().any(|known| known.id == user) => Some(LimitScope::User(user)),
                _ => {
                    errors.push(field("scope", t.err_required));
                    None
                }
            },
        };
        let kind = match self.kind.as_str() {
            "" => Some(None),
            text => match DocumentKind::parse(text) {
                Ok(kind) => Some(Some(kind)),
                Err(_) => {
                    errors.push(field("kind", t.err_invalid_kind));
                    None
                }
            },
        };
        let count = || match self.value.replace([' ', '\u{a0}'], "").parse::<u32>() {
            Ok(count) if count > 0 => Ok(count),
            _ => Err(field("value", t.rules_err_count)),
        };
        let rule = match self.rule.as_str() {
            rule @ ("operation_amount" | "daily_amount") => {
                if self.currency.is_empty() {
                    errors.push(field("currency", t.err_required));
                    None
                } else {
                    match parse_money(&self.value, &self.currency, t) {
                        Ok(amount) if rule == "operation_amount" => Some(LimitRule::OperationAmount(amount)),
                        Ok(amount) => Some(LimitRule::DailyAmount(amount)),
                        Err(message) => {
                            errors.push(field("value", message));
                            None
                        }
                    }
                }
            }
            "daily_count" => {
                let currency = match self.currency.as_str() {
                    "" => Some(None),
                    code => Currency::parse(code)
                        .map(Some)
                        .map_err(|_| errors.push(field("currency", t.err_unsupported_currency)))
                        .ok(),
                };
                match (count(), currency) {
                    (Ok(max), Some(currency)) => Some(LimitRule::DailyCount { max, currency }),
                    (Err(error), _) => {
                        errors.push(error);
                        None
                    }
                    _ => None,
                }
            }
            "confirmation_count" => count().map(LimitRule::ConfirmationCount).map_err(|error| errors.push(error)).ok(),
            _ => {
                errors.push(field("rule", t.err_required));
                None
            }
        };
        match (scope, kind, rule) {
            (Some(scope), Some(kind), Some(rule)) if errors.is_empty() => {
                Limit::new(scope, kind, rule).map_err(|error| {
                    let message = match error {
                        LimitError::AboveMaximum { .. } => t.rules_err_count_above,
                        _ => t.err_amount_not_positive,
                    };
                    vec![field("value", message)]
                })
            }
            _ => Err(errors),
        }
    }
}

/// One limit on the page.
pub struct LimitRow {
    pub scope: String,
    pub kind: &'static str,
    pub rule: &'static str,
    pub value: String,
    /// The limit as stored, the removal form's value.
    pub line: String,
}

fn limit_row(limit: &Limit, users: &[User], t: &'static Texts, lang: Lang) -> LimitRow {
    let scope = match limit.scope() {
        LimitScope::Partner(_) => t.limit_scope_partner.to_owned(),
        LimitScope::User(user) => users
            .iter()
            .find(|known| known.id == user)
            .map_or_else(|| user.to_string(), |known| known.full_name.clone()),
    };
    let value = match limit.rule() {
        LimitRule::OperationAmount(max) | LimitRule::DailyAmount(max) => format::money(max, lang),
        LimitRule::ConfirmationCount(max) => max.to_string(),
        LimitRule::DailyCount { max, currency: None } => max.to_string(),
        LimitRule::DailyCount { max, currency: Some(currency) } => format!("{max} ({})", currency.code()),
    };
    LimitRow {
        scope,
        kind: limit.kind().map_or(t.limit_all_kinds, |kind| kind_label(t, kind)),
        rule: rule_label(t, limit.rule().name()),
        value,
        line: limits_to_text(&LimitSet::new([*limit]).unwrap_or_default()),
    }
}

/// The add-a-limit form on the page.
pub struct LimitFormView {
    pub scopes: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub rules: Vec<Choice>,
    pub value: String,
    pub currencies: Vec<Choice>,
    pub scope_error: Option<String>,
    pub kind_error: Option<String>,
    pub rule_error: Option<String>,
    pub value_error: Option<String>,
    pub currency_error: Option<String>,
}

// ----- restrictions -----

/// The form registering a restriction on one account.
#[derive(Debug, Clone, Default)]
pub struct RestrictionForm {
    /// `arrest_amount`, `arrest_all`, `debit_suspension`, `collection_order`, `closing`.
    pub kind: String,
    /// `arrest_amount`: the amount arrested; `collection_order`: the amount owed.
    pub amount: String,
    /// `debit_suspension`: the kinds still allowed.
    pub allowed: Vec<String>,
    /// `collection_order`: its legal priority, 1 to 9.
    pub priority: String,
    /// `collection_order`: the creditor's name, IIN/BIN and IBAN, and the codes of the payment
    /// order the collection becomes.
    pub creditor_name: String,
    pub creditor_taxpayer_id: String,
    pub creditor_iban: String,
    pub creditor_kbe: String,
    pub creditor_knp: String,
    pub creditor_kbk: String,
    pub reference: String,
}

const RESTRICTION_KINDS: [&str; 5] = ["arrest_amount", "arrest_all", "debit_suspension", "collection_order", "closing"];

fn restriction_label(t: &'static Texts, code: &str) -> &'static str {
    match code {
        "arrest_amount" => t.restriction_arrest_amount,
        "arrest_all" => t.restriction_arrest_all,
        "debit_suspension" => t.restriction_debit_suspension,
        "collection_order" => t.restriction_collection_order,
        _ => t.restriction_closing,
    }
}

impl RestrictionForm {
    fn from_pairs(pairs: &[(String, String)]) -> RestrictionForm {
        let value = |name: &str| {
            pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.to_owned()).unwrap_or_default()
        };
        RestrictionForm {
            kind: value("kind").trim().to_owned(),
            amount: value("amount").trim().to_owned(),
            allowed: pairs.iter().filter(|(key, _)| key == "allowed").map(|(_, value)| value.clone()).collect(),
            priority: value("priority").trim().to_owned(),
            creditor_name: value("creditor_name"),
            creditor_taxpayer_id: value("creditor_taxpayer_id").trim().to_owned(),
            creditor_iban: value("creditor_iban").trim().to_owned(),
            creditor_kbe: value("creditor_kbe").trim().to_owned(),
            creditor_knp: value("creditor_knp").trim().to_owned(),
            creditor_kbk: value("creditor_kbk").trim().to_owned(),
            reference: value("reference"),
        }
    }

    fn parse(
        &self,
        currency: Currency,
        directories: &Directories<'_>,
        t: &'static Texts,
    ) -> Result<RestrictionKind, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let reference = self.reference.trim();
        if reference.is_empty() {
            errors.push(field("reference", t.err_required));
        } else if reference.chars().count() > TEXT_CHARS_MAX {
            errors.push(field("reference", t.err_too_long));
        }
        let allowed: Vec<DocumentKind> = self
            .allowed
            .iter()
            .filter_map(|text| {
                DocumentKind::parse(text).map_err(|_| errors.push(field("allowed", t.err_invalid_kind))).ok()
            })
            .collect();
        let kind = match self.kind.as_str() {
            "arrest_amount" => match parse_money(&self.amount, currency.code(), t) {
                Ok(amount) if amount.is_positive() => Some(RestrictionKind::ArrestAmount(amount)),
                Ok(_) => {
                    errors.push(field("amount", t.err_amount_not_positive));
                    None
                }
                Err(message) => {
                    errors.push(field("amount", message));
                    None
                }
            },
            "arrest_all" => Some(RestrictionKind::ArrestAll),
            "debit_suspension" => Some(RestrictionKind::DebitSuspension { allowed }),
            "collection_order" => {
                self.collection_order(currency, directories, t, &mut errors).map(RestrictionKind::CollectionOrder)
            }
            "closing" => Some(RestrictionKind::Closing),
            _ => {
                errors.push(field("kind", t.err_required));
                None
            }
        };
        match kind {
            Some(kind) if errors.is_empty() => Ok(kind),
            _ => Err(errors),
        }
    }

    /// A collection order's own fields, every problem next to its field; the same rules as the
    /// API's (`tiyn_api::rules::RestrictionInput`). The amount owed is read in the account's
    /// currency, so the order is always in it (the use case refuses any other).
    fn collection_order(
        &self,
        currency: Currency,
        directories: &Directories<'_>,
        t: &'static Texts,
        errors: &mut Vec<(String, String)>,
    ) -> Option<CollectionOrder> {
        let amount = match parse_money(&self.amount, currency.code(), t) {
            Ok(amount) if amount.is_positive() => Some(amount),
            Ok(_) => {
                errors.push(field("amount", t.err_amount_not_positive));
                None
            }
            Err(message) => {
                errors.push(field("amount", message));
                None
            }
        };
        let priority = match self.priority.as_str() {
            "" => {
                errors.push(field("priority", t.err_required));
                None
            }
            text => {
                let priority = text.parse::<u8>().ok().and_then(CollectionPriority::new);
                if priority.is_none() {
                    errors.push(field("priority", t.restriction_err_priority));
                }
                priority
            }
        };
        let text = CreditorText {
            name: &self.creditor_name,
            taxpayer_id: &self.creditor_taxpayer_id,
            iban: &self.creditor_iban,
            kbe: &self.creditor_kbe,
            knp: &self.creditor_knp,
            kbk: &self.creditor_kbk,
        };
        let creditor = parse_creditor(&text, directories)
            .map_err(|problems| {
                errors.extend(problems.into_iter().map(|problem| {
                    let message = payments::field_message(problem.code, t).unwrap_or(t.err_required);
                    field(&format!("creditor_{}", problem.field), message)
                }))
            })
            .ok();
        CollectionOrder::new(amount?, priority?, creditor?)
    }
}

/// One restriction on the page.
pub struct RestrictionRow {
    pub id: String,
    pub kind: &'static str,
    pub kind_code: &'static str,
    /// An arrest's amount; a collection order's amount owed.
    pub amount: String,
    pub allowed: String,
    /// A collection order's progress (under its amount) and creditor (under its kind).
    pub collection: Option<CollectionRow>,
    pub reference: String,
    pub since: String,
    /// Empty while active.
    pub lifted: String,
    /// Why a lifted collection order ended: paid off or withdrawn; empty otherwise.
    pub outcome: &'static str,
    pub active: bool,
}

/// What a row shows of a collection order besides its amount owed.
pub struct CollectionRow {
    pub collected: String,
    pub outstanding: String,
    pub priority: String,
    pub creditor_name: String,
    pub creditor_taxpayer_id: String,
    /// Grouped in fours.
    pub creditor_iban: String,
    /// The codes of the payment order a collection becomes; empty when the order has none.
    pub kbe: String,
    pub knp: String,
    pub kbk: String,
}

fn collection_row(order: &CollectionOrder, lang: Lang) -> CollectionRow {
    let creditor = order.creditor();
    CollectionRow {
        collected: format::money(order.collected(), lang),
        outstanding: format::money(order.outstanding(), lang),
        priority: order.priority().get().to_string(),
        creditor_name: creditor.name.to_string(),
        creditor_taxpayer_id: creditor.taxpayer_id.to_string(),
        creditor_iban: creditor.iban.grouped(),
        kbe: creditor.codes.map(|codes| codes.kbe().to_string()).unwrap_or_default(),
        knp: creditor.codes.map(|codes| codes.knp().to_string()).unwrap_or_default(),
        kbk: creditor.codes.and_then(|codes| codes.kbk()).map(|kbk| kbk.to_string()).unwrap_or_default(),
    }
}

/// A restriction as a row, in the page's language (the bank's console and the partner's
/// accounts page).
pub fn restriction_row(restriction: &Restriction, t: &'static Texts, lang: Lang) -> RestrictionRow {
    let (amount, allowed) = match &restriction.kind {
        RestrictionKind::ArrestAmount(amount) => (format::money(*amount, lang), String::new()),
        RestrictionKind::DebitSuspension { allowed } => {
            (String::new(), allowed.iter().map(|kind| kind_label(t, *kind)).collect::<Vec<_>>().join(", "))
        }
        RestrictionKind::CollectionOrder(order) => (format::money(order.amount(), lang), String::new()),
        RestrictionKind::ArrestAll | RestrictionKind::Closing => (String::new(), String::new()),
    };
    let order = match &restriction.kind {
        RestrictionKind::CollectionOrder(order) => Some(order),
        _ => None,
    };
    // A lifted order was paid off when all of it was collected; lifted earlier, the bank withdrew it.
    let outcome = match (order, restriction.lifted_at) {
        (Some(order), Some(_)) if order.outstanding().is_zero() => t.restriction_paid_off,
        (Some(_), Some(_)) => t.restriction_withdrawn,
        _ => "",
    };
    RestrictionRow {
        id: restriction.id.to_string(),
        kind: restriction_label(t, restriction.kind.code()),
        kind_code: restriction.kind.code(),
        amount,
        allowed,
        collection: order.map(|order| collection_row(order, lang)),
        reference: restriction.reference.clone(),
        since: format::date_time(restriction.created_at, lang),
        lifted: restriction.lifted_at.map(|at| format::date_time(at, lang)).unwrap_or_default(),
        outcome,
        active: restriction.lifted_at.is_none(),
    }
}

/// One account's restrictions on the partner's page, with the registration form.
pub struct AccountRestrictions {
    pub id: String,
    pub name: String,
    pub iban: String,
    pub currency: &'static str,
    pub rows: Vec<RestrictionRow>,
    pub kinds: Vec<Choice>,
    pub amount: String,
    pub allowed: Vec<Choice>,
    pub priority: String,
    pub creditor_name: String,
    pub creditor_taxpayer_id: String,
    pub creditor_iban: String,
    pub creditor_kbe: String,
    pub creditor_knp: String,
    pub creditor_kbk: String,
    pub reference: String,
    pub kind_error: Option<String>,
    pub amount_error: Option<String>,
    pub allowed_error: Option<String>,
    pub priority_error: Option<String>,
    pub creditor_name_error: Option<String>,
    pub creditor_taxpayer_id_error: Option<String>,
    pub creditor_iban_error: Option<String>,
    pub creditor_kbe_error: Option<String>,
    pub creditor_knp_error: Option<String>,
    pub creditor_kbk_error: Option<String>,
    pub reference_error: Option<String>,
}

// ----- the section on the partner's page -----

/// What was typed into one of the rules' forms and refused: shown again with the refusals.
#[derive(Debug, Clone, Default)]
pub struct RulesInput {
    pub tariff: Option<TariffForm>,
    pub limit: Option<LimitForm>,
    pub restriction: Option<(AccountId, RestrictionForm)>,
}

/// The payment rules and restrictions on the partner's page.
pub struct RulesSection {
    /// `ManagePaymentRules`: the tariff, limit and kinds forms.
    pub can_manage: bool,
    /// `ManageRestrictions`: the lift buttons and the registration forms.
    pub can_restrict: bool,
    pub standard: bool,
    pub plans: Vec<Choice>,
    pub tariffs: Vec<KindTariffView>,
    /// The OUR fee of foreign transfers: in force (a sentence), and the form's values.
    pub our_fee_summary: String,
    pub our_fee: String,
    pub our_fee_currencies: Vec<Choice>,
    pub our_fee_error: Option<String>,
    pub limits: Vec<LimitRow>,
    pub limit_form: LimitFormView,
    pub kinds: Vec<Choice>,
    pub disabled: String,
    pub accounts: Vec<AccountRestrictions>,
}

fn currency_choices(selected: &str, any: Option<&'static str>) -> Vec<Choice> {
    any.map(|label| choice("", label, selected.is_empty()))
        .into_iter()
        .chain(CURRENCIES.iter().map(|code| choice(*code, *code, *code == selected)))
        .collect()
}

/// The section for partner `id` with its `accounts` and `users`; `errors` of a refused form go
/// next to its fields.
#[allow(clippy::too_many_arguments)]
pub async fn section(
    state: &WebState,
    lang: Lang,
    viewer: &Viewer,
    id: PartnerId,
    accounts: &[Account],
    users: &[User],
    errors: &FormErrors,
    input: &RulesInput,
) -> Result<RulesSection, ApiError> {
    let t = texts(lang);
    let rules = state.banking.payment_rules(id).await?;
    let standard_plan = state.banking.standard_tariff();
    let error = |name: &str| errors.field(name).map(str::to_owned);
    let effective = rules.tariff.unwrap_or(standard_plan);
    let form = input.tariff.clone().unwrap_or_else(|| TariffForm::of(rules.tariff.as_ref(), &standard_plan));
    let tariffs = form
        .kinds
        .iter()
        .map(|(kind, values)| {
            let name = |part: &str| format!("{}_{part}", kind.as_str());
            KindTariffView {
                kind: kind.as_str(),
                label: kind_label(t, *kind),
                summary: tariff_summary(effective.tariff(*kind), t, lang),
                commissions: [
                    ("free", t.commission_free),
                    ("fixed", t.commission_fixed),
                    ("percent", t.commission_percent),
                ]
                .into_iter()
                .map(|(code, label)| choice(code, label, values.commission == code))
                .collect(),
                fee: values.fee.clone(),
                rate: values.rate.clone(),
                min: values.min.clone(),
                max: values.max.clone(),
                currencies: currency_choices(&values.currency, None),
                withholdings: Withholding::ALL
                    .into_iter()
                    .filter(|mode| *kind == DocumentKind::Internal || *mode == Withholding::Separate)
                    .map(|mode| {
                        let label = match mode {
                            Withholding::Separate => t.withholding_separate,
                            Withholding::FromAmount => t.withholding_from_amount,
                        };
                        choice(mode.as_str(), label, values.withholding == mode.as_str())
                    })
                    .collect(),
                commission_error: error(&name("commission")),
                fee_error: error(&name("fee")),
                rate_error: error(&name("rate")),
                min_error: error(&name("min")),
                max_error: error(&name("max")),
                withholding_error: error(&name("withholding")),
            }
        })
        .collect();
    let limit = input.limit.clone().unwrap_or_else(|| LimitForm {
        scope: "partner".to_owned(),
        rule: "operation_amount".to_owned(),
        currency: "KZT".to_owned(),
        ..LimitForm::default()
    });
    let limit_form = LimitFormView {
        scopes: std::iter::once(choice("partner", t.limit_scope_partner, limit.scope == "partner"))
            .chain(users.iter().map(|user| {
                let code = format!("user:{}", user.id.get());
                let selected = limit.scope == code;
                choice(code, user.full_name.clone(), selected)
            }))
            .collect(),
        kinds: std::iter::once(choice("", t.limit_all_kinds, limit.kind.is_empty()))
            .chain(
                DocumentKind::ALL
                    .into_iter()
                    .map(|kind| choice(kind.as_str(), kind_label(t, kind), limit.kind == kind.as_str())),
            )
            .collect(),
        rules: LIMIT_RULES.into_iter().map(|rule| choice(rule, rule_label(t, rule), limit.rule == rule)).collect(),
        value: limit.value.clone(),
        currencies: currency_choices(&limit.currency, Some(t.limit_any_currency)),
        scope_error: error("scope"),
        kind_error: error("kind"),
        rule_error: error("rule"),
        value_error: error("value"),
        currency_error: error("currency"),
    };
    let mut restricted = Vec::new();
    for account in accounts {
        let rows = state.banking.restrictions(account.id).await?;
        let typed = input.restriction.as_ref().filter(|(typed, _)| *typed == account.id).map(|(_, form)| form);
        let empty = RestrictionForm { kind: "arrest_amount".to_owned(), ..RestrictionForm::default() };
        let form = typed.unwrap_or(&empty);
        let own_error = |name: &str| typed.and_then(|_| errors.field(name).map(str::to_owned));
        restricted.push(AccountRestrictions {
            id: account.id.to_string(),
            name: account.name.clone(),
            iban: account.iban.as_ref().map(|iban| iban.grouped()).unwrap_or_default(),
            currency: account.currency.code(),
            rows: rows.iter().map(|restriction| restriction_row(restriction, t, lang)).collect(),
            kinds: RESTRICTION_KINDS
                .into_iter()
                .map(|code| choice(code, restriction_label(t, code), form.kind == code))
                .collect(),
            amount: form.amount.clone(),
            allowed: DocumentKind::ALL
                .into_iter()
                .map(|kind| {
                    choice(kind.as_str(), kind_label(t, kind), form.allowed.iter().any(|typed| typed == kind.as_str()))
                })
                .collect(),
            priority: form.priority.clone(),
            creditor_name: form.creditor_name.clone(),
            creditor_taxpayer_id: form.creditor_taxpayer_id.clone(),
            creditor_iban: form.creditor_iban.clone(),
            creditor_kbe: form.creditor_kbe.clone(),
            creditor_knp: form.creditor_knp.clone(),
            creditor_kbk: form.creditor_kbk.clone(),
            reference: form.reference.clone(),
            kind_error: own_error("kind"),
            amount_error: own_error("amount"),
            allowed_error: own_error("allowed"),
            priority_error: own_error("priority"),
            creditor_name_error: own_error("creditor_name"),
            creditor_taxpayer_id_error: own_error("creditor_taxpayer_id"),
            creditor_iban_error: own_error("creditor_iban"),
            creditor_kbe_error: own_error("creditor_kbe"),
            creditor_knp_error: own_error("creditor_knp"),
            creditor_kbk_error: own_error("creditor_kbk"),
            reference_error: own_error("reference"),
        });
    }
    Ok(RulesSection {
        can_manage: allows(viewer, BankPermission::ManagePaymentRules),
        can_restrict: allows(viewer, BankPermission::ManageRestrictions),
        standard: rules.tariff.is_none(),
        plans: [("standard", t.tariff_standard), ("own", t.tariff_own)]
            .into_iter()
            .map(|(code, label)| choice(code, label, form.plan == code))
            .collect(),
        tariffs,
        our_fee_summary: match effective.our_fee() {
            Some(fee) => format!("{} {}", crate::format::money(fee.money(), lang), t.tariff_our_fee_applies),
            None => t.tariff_our_fee_none.to_owned(),
        },
        our_fee: form.our_fee.clone(),
        our_fee_currencies: currency_choices(&form.our_fee_currency, None),
        our_fee_error: error("foreign_our_fee"),
        limits: rules.limits.limits().iter().map(|limit| limit_row(limit, users, t, lang)).collect(),
        limit_form,
        kinds: DocumentKind::ALL
            .into_iter()
            .map(|kind| choice(kind.as_str(), kind_label(t, kind), rules.disabled_kinds.contains(&kind)))
            .collect(),
        disabled: if rules.disabled_kinds.is_empty() {
            t.kinds_none_disabled.to_owned()
        } else {
            rules.disabled_kinds.iter().map(|kind| kind_label(t, *kind)).collect::<Vec<_>>().join(", ")
        },
        accounts: restricted,
    })
}

// ----- posting the partner's rules -----

/// The partner and the operator of a rules form: 404 for an unknown partner, 403 for anyone but
/// an operator.
async fn partner_of(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    id: &str,
) -> Result<(PartnerId, BankActor), Response> {
    let Some(actor) = actor_of(viewer) else { return Err(forbidden(lang, state.demo, viewer)) };
    let not_found = || failure(state, lang, viewer, &ApiError::NotFound { what: "partner" });
    let Some(id) = parse_id(id).map(PartnerId::new) else { return Err(not_found()) };
    match state.store.partner(id).await {
        Ok(Some(_)) => Ok((id, actor)),
        Ok(None) => Err(not_found()),
        Err(error) => Err(failure(state, lang, viewer, &error.into())),
    }
}

/// Reads the partner's rules, changes them with `change` and saves them through the use case;
/// a refusal of the form shows the page again with the typed values.
#[allow(clippy::too_many_arguments)]
async fn change_rules(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    context: &Context,
    id: PartnerId,
    actor: &BankActor,
    done: &str,
    input: RulesInput,
    change: impl FnOnce(&mut PaymentRules, &[User]) -> Result<(), Vec<(String, String)>>,
) -> Response {
    let t = texts(lang.lang);
    let loaded = async {
        let rules = state.banking.payment_rules(id).await?;
        let users = state.store.partner_users(id).await?;
        Ok::<_, ApiError>((rules, users))
    };
    let (mut rules, users) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return failure(state, lang, viewer, &error),
    };
    let errors = match change(&mut rules, &users) {
        Ok(()) => match state.banking.set_payment_rules(context, actor, id, rules).await.map_err(ApiError::from) {
            Ok(()) => return Redirect::to(&format!("/bank/partners/{}?done={done}#rules", id.get())).into_response(),
            Err(error) if is_internal(&error) || error.status() == StatusCode::NOT_FOUND => {
                return failure(state, lang, viewer, &error);
            }
            Err(error) if error.code() == "limit_scope_foreign" => refused(vec![field("scope", t.err_required)], t),
            Err(error) => FormErrors::from_api(&error, lang.lang, &[]),
        },
        Err(fields) => refused(fields, t),
    };
    partner_page_with(state, lang, viewer, context, id, StatusCode::UNPROCESSABLE_ENTITY, None, errors, input).await
}

/// `POST /bank/partners/{id}/tariff`: the partner's own tariff plan, or back to the bank's
/// standard plan.
pub async fn set_tariff(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (id, actor) = match partner_of(&state, lang, &viewer, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let t = texts(lang.lang);
    let form = TariffForm::from_pairs(&pairs);
    let input = RulesInput { tariff: Some(form.clone()), ..RulesInput::default() };
    change_rules(&state, lang, &viewer, &context, id, &actor, "tariff", input, |rules, _| {
        rules.tariff = form.parse(t)?;
        Ok(())
    })
    .await
}

/// `POST /bank/partners/{id}/limits`: adds one limit; one with the same scope, kind,
/// rule and currency must be removed first.
pub async fn add_limit(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(form): Form<LimitForm>,
) -> Response {
    let (id, actor) = match partner_of(&state, lang, &viewer, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let t = texts(lang.lang);
    let input = RulesInput { limit: Some(form.clone()), ..RulesInput::default() };
    change_rules(&state, lang, &viewer, &context, id, &actor, "limit_added", input, |rules, users| {
        let limit = form.parse(id, users, t)?;
        let mut limits = rules.limits.limits().to_vec();
        limits.push(limit);
        rules.limits = LimitSet::new(limits).map_err(|error| match error {
            LimitError::Duplicate(_) => vec![field("rule", t.rules_err_duplicate_limit)],
            _ => vec![field("rule", t.rules_err_too_many_limits)],
        })?;
        Ok(())
    })
    .await
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RemoveLimitForm {
    /// The limit as stored (see [`LimitRow::line`]).
    pub limit: String,
}

/// `POST /bank/partners/{id}/limits/remove`: removes the limit the form names.
pub async fn remove_limit(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(form): Form<RemoveLimitForm>,
) -> Response {
    let (id, actor) = match partner_of(&state, lang, &viewer, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let rules = match state.banking.payment_rules(id).await {
        Ok(rules) => rules,
        Err(error) => return failure(&state, lang, &viewer, &error.into()),
    };
    let named = |limit: &Limit| limits_to_text(&LimitSet::new([*limit]).unwrap_or_default()) == form.limit.trim();
    if !rules.limits.limits().iter().any(named) {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "limit" });
    }
    change_rules(&state, lang, &viewer, &context, id, &actor, "limit_removed", RulesInput::default(), |rules, _| {
        let kept: Vec<Limit> = rules.limits.limits().iter().filter(|limit| !named(limit)).copied().collect();
        rules.limits = LimitSet::new(kept).unwrap_or_default();
        Ok(())
    })
    .await
}

/// `POST /bank/partners/{id}/kinds`: the document kinds switched off for the partner;
/// every ticked `disabled` value is one.
pub async fn set_kinds(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (id, actor) = match partner_of(&state, lang, &viewer, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let t = texts(lang.lang);
    change_rules(&state, lang, &viewer, &context, id, &actor, "kinds", RulesInput::default(), |rules, _| {
        let mut kinds = Vec::new();
        for (_, value) in pairs.iter().filter(|(name, _)| name == "disabled") {
            let kind = DocumentKind::parse(value).map_err(|_| vec![field("disabled", t.err_invalid_kind)])?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        rules.disabled_kinds = kinds;
        Ok(())
    })
    .await
}

// ----- restrictions on an account -----

/// The partner account of a restriction form: 404 for an unknown account or one of the bank.
async fn account_of(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    id: &str,
) -> Result<(Account, PartnerId, BankActor), Response> {
    let Some(actor) = actor_of(viewer) else { return Err(forbidden(lang, state.demo, viewer)) };
    let not_found = || failure(state, lang, viewer, &ApiError::NotFound { what: "account" });
    let Some(id) = parse_id(id).map(AccountId::new) else { return Err(not_found()) };
    match state.store.account(id).await {
        Ok(Some(account)) => match account.partner {
            Some(partner) => Ok((account, partner, actor)),
            None => Err(not_found()),
        },
        Ok(None) => Err(not_found()),
        Err(error) => Err(failure(state, lang, viewer, &error.into())),
    }
}

/// `POST /bank/accounts/{id}/restrictions`: registers an arrest of an amount or of the whole
/// account, a suspension of debits (except the kinds allowed), a collection order or the closing
/// it applies to the account's next debit, and a collection order is
/// collected at once from what the account has (the use case does it before answering).
pub async fn add_restriction(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (account, partner, actor) = match account_of(&state, lang, &viewer, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let t = texts(lang.lang);
    let form = RestrictionForm::from_pairs(&pairs);
    let directories = match state.banking.directories() {
        Ok(directories) => directories,
        Err(error) => return failure(&state, lang, &viewer, &ApiError::from(error)),
    };
    let errors = match form.parse(account.currency, &directories, t) {
        Ok(kind) => {
            let restriction = NewRestriction {
                account: account.id,
                kind,
                reference: form.reference.trim().to_owned(),
                created_by: actor.user(),
                created_at: state.banking.now(),
            };
            match state.banking.add_restriction(&context, &actor, restriction).await.map_err(ApiError::from) {
                Ok(_) => {
                    let to = format!("/bank/partners/{}?done=restriction_added#account-{}", partner.get(), account.id);
                    return Redirect::to(&to).into_response();
                }
                Err(error) if is_internal(&error) || error.status() == StatusCode::NOT_FOUND => {
                    return failure(&state, lang, &viewer, &error);
                }
                Err(error) => FormErrors::from_api(&error, lang.lang, &[]),
            }
        }
        Err(fields) => refused(fields, t),
    };
    let input = RulesInput { restriction: Some((account.id, form)), ..RulesInput::default() };
    partner_page_with(&state, lang, &viewer, &context, partner, StatusCode::UNPROCESSABLE_ENTITY, None, errors, input)
        .await
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LiftForm {
    pub restriction: String,
}

/// `POST /bank/accounts/{id}/restrictions/lift`: lifts the restriction the form names.
pub async fn lift_restriction(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(form): Form<LiftForm>,
) -> Response {
    let (account, partner, actor) = match account_of(&state, lang, &viewer, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(restriction) = parse_id(&form.restriction) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "restriction" });
    };
    match state.banking.lift_restriction(&context, &actor, account.id, restriction).await.map_err(ApiError::from) {
        Ok(()) => {
            Redirect::to(&format!("/bank/partners/{}?done=restriction_lifted#account-{}", partner.get(), account.id))
                .into_response()
        }
        Err(error) if is_internal(&error) || error.status() == StatusCode::NOT_FOUND => {
            failure(&state, lang, &viewer, &error)
        }
        Err(error) => {
            let errors = FormErrors::from_api(&error, lang.lang, &[]);
            partner_page_with(
                &state,
                lang,
                &viewer,
                &context,
                partner,
                status_of(&error),
                None,
                errors,
                RulesInput::default(),
            )
            .await
        }
    }
}

// ----- the partner's view -----

/// One of the partner's accounts with its active restrictions, on the accounts page.
pub struct OwnRestrictions {
    pub id: String,
    pub name: String,
    pub iban: String,
    pub rows: Vec<RestrictionRow>,
}

/// The active restrictions of the partner's `accounts` that have any, read through
/// [`tiyn_banking::Banking::own_account_restrictions`] (the partner's accounts only); `None` when
/// the viewer may not see restrictions (`ViewAccountRestrictions`, R-8.1.3).
pub async fn own_restrictions(
    state: &WebState,
    viewer: &Viewer,
    accounts: &[Account],
    lang: Lang,
) -> Result<Option<Vec<OwnRestrictions>>, ApiError> {
    let Some(principal) = viewer.principal.as_ref() else { return Ok(None) };
    if !principal.allows(tiyn_core::access::Permission::ViewAccountRestrictions) {
        return Ok(None);
    }
    let t = texts(lang);
    let mut shown = Vec::new();
    for account in accounts {
        let restrictions = state.banking.own_account_restrictions(principal, account.id).await?;
        let rows: Vec<RestrictionRow> = restrictions
            .iter()
            .filter(|restriction| restriction.lifted_at.is_none())
            .map(|restriction| restriction_row(restriction, t, lang))
            .collect();
        if !rows.is_empty() {
            shown.push(OwnRestrictions {
                id: account.id.to_string(),
                name: account.name.clone(),
                iban: account.iban.as_ref().map(|iban| iban.grouped()).unwrap_or_default(),
                rows,
            });
        }
    }
    Ok(Some(shown))
}

// ----- the AML list -----

pub struct AmlRow {
    pub name: String,
    pub taxpayer_id: String,
}

#[derive(Template)]
#[template(path = "bank_aml.html")]
struct AmlPage {
    t: &'static Texts,
    page: PageMeta,
    rows: Vec<AmlRow>,
    count: usize,
    more: String,
    entries: String,
    notice: Option<String>,
    errors: FormErrors,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AmlQuery {
    pub loaded: Option<usize>,
    pub blocked: Option<usize>,
}

async fn aml_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<String>,
    entries: String,
    errors: FormErrors,
) -> Response {
    let t = texts(lang.lang);
    let list = match state.banking.aml_list().await {
        Ok(list) => list,
        Err(error) => return failure(state, lang, viewer, &error.into()),
    };
    let more = if list.len() > AML_SHOWN_MAX {
        fill(t.aml_more, &[("shown", &AML_SHOWN_MAX.to_string()), ("count", &list.len().to_string())])
    } else {
        String::new()
    };
    let page = AmlPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "bank_aml", "/bank/aml", viewer),
        count: list.len(),
        rows: list
            .into_iter()
            .take(AML_SHOWN_MAX)
            .map(|entry| AmlRow { name: entry.name, taxpayer_id: entry.taxpayer_id.unwrap_or_default() })
            .collect(),
        more,
        entries,
        notice,
        errors,
    };
    render(&page, status, lang)
}

/// `GET /bank/aml`: the list as loaded, and the form replacing it.
pub async fn aml(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    query: Result<Query<AmlQuery>, QueryRejection>,
) -> Response {
    if actor_of(&viewer).is_none() {
        return forbidden(lang, state.demo, &viewer);
    }
    let t = texts(lang.lang);
    let notice = query.ok().and_then(|Query(query)| match (query.loaded, query.blocked) {
        (Some(loaded), Some(blocked)) => {
            Some(fill(t.aml_loaded, &[("count", &loaded.to_string()), ("blocked", &blocked.to_string())]))
        }
        _ => None,
    });
    aml_page(&state, lang, &viewer, StatusCode::OK, notice, String::new(), FormErrors::none()).await
}

/// The list as typed or pasted: one entry a line, `name;iin_or_bin` (the IIN/BIN may be absent);
/// empty lines and a heading line are skipped. Refused lines are named by their number.
pub fn parse_aml(text: &str, t: &'static Texts) -> Result<Vec<AmlEntry>, String> {
    let unquote = |part: &str| {
        let part = part.trim();
        part.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).unwrap_or(part).trim().to_owned()
    };
    let mut entries = Vec::new();
    let mut refused = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || (index == 0 && line.to_lowercase().replace(' ', "") == "name;iin_or_bin") {
            continue;
        }
        let (name, taxpayer_id) = match line.rsplit_once(';') {
            Some((name, id)) => (unquote(name), unquote(id)),
            None => (unquote(line), String::new()),
        };
        let number = (index + 1).to_string();
        if name.is_empty() || name.chars().count() > TEXT_CHARS_MAX {
            refused.push(fill(t.aml_line_name, &[("line", &number)]));
            continue;
        }
        let taxpayer_id = if taxpayer_id.is_empty() {
            None
        } else {
            match TaxpayerId::parse(&taxpayer_id) {
                Ok(id) => Some(id.to_string()),
                Err(_) => {
                    refused.push(fill(t.aml_line_taxpayer_id, &[("line", &number)]));
                    continue;
                }
            }
        };
        entries.push(AmlEntry { name, taxpayer_id });
    }
    if !refused.is_empty() {
        let mut message = refused.iter().take(AML_LINE_ERRORS_MAX).cloned().collect::<Vec<_>>().join("; ");
        if refused.len() > AML_LINE_ERRORS_MAX {
            message.push_str(&fill(t.aml_more_lines, &[("count", &(refused.len() - AML_LINE_ERRORS_MAX).to_string())]));
        }
        return Err(message);
    }
    if entries.is_empty() {
        return Err(t.aml_empty.to_owned());
    }
    Ok(entries)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AmlForm {
    pub entries: String,
}

/// `POST /bank/aml`: replaces the list; payments to a listed payee are refused from now on and
/// partner users whose name is listed are blocked at once.
pub async fn replace_aml(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<AmlForm>,
) -> Response {
    let Some(actor) = actor_of(&viewer) else { return forbidden(lang, state.demo, &viewer) };
    let t = texts(lang.lang);
    let refusal = match parse_aml(&form.entries, t) {
        Ok(entries) => {
            let count = entries.len();
            match state.banking.replace_aml_list(&context, &actor, entries).await.map_err(ApiError::from) {
                Ok(blocked) => {
                    return Redirect::to(&format!("/bank/aml?loaded={count}&blocked={blocked}")).into_response();
                }
                Err(error) if is_internal(&error) => return failure(&state, lang, &viewer, &error),
                Err(error) => (FormErrors::from_api(&error, lang.lang, &[]), status_of(&error)),
            }
        }
        Err(message) => (
            FormErrors {
                summary: None,
                fields: vec![("entries".to_owned(), message)],
                code: "validation_failed".to_owned(),
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let (errors, status) = refusal;
    aml_page(&state, lang, &viewer, status, None, form.entries, errors).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aml_upload_reads_lines_and_names_refused_ones() {
        let t = texts(Lang::En);
        let entries = parse_aml("name;iin_or_bin\n\nТОО «Ромашка»;180140010005\n\"Иванов Иван\"\n", t).expect("read");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].taxpayer_id.as_deref(), Some("180140010005"));
        assert_eq!((entries[1].name.as_str(), entries[1].taxpayer_id.as_deref()), ("Иванов Иван", None));
        let refused = parse_aml("A;123\n;180140010005\n", t).expect_err("refused");
        assert!(refused.contains('1') && refused.contains('2'), "{refused}");
        assert_eq!(parse_aml("\n \n", t).expect_err("empty"), t.aml_empty);
    }

    #[test]
    fn typed_amounts_accept_spaces_and_a_decimal_comma() {
        let t = texts(Lang::Ru);
        assert_eq!(parse_money("1 500,5", "KZT", t).map(Money::minor), Ok(150_050));
        assert_eq!(parse_money("", "KZT", t), Err(t.err_required));
        assert_eq!(parse_money("1.234", "KZT", t), Err(t.err_amount_precision));
        assert_eq!(parse_money("abc", "KZT", t), Err(t.err_invalid_amount));
    }

    /// a collection order's fields are read in the account's currency and every problem
    /// goes next to its own field, with the codes of the payment order it becomes checked as a
    /// payment's are.
    #[test]
    fn the_collection_order_form_reads_its_creditor_and_refuses_each_field() {
        let t = texts(Lang::Ru);
        let reference = tiyn_refdata::ReferenceData::embedded().expect("reference data");
        let directories = Directories::new(&reference, "722").expect("our bank");
        let form = |priority: &str, taxpayer_id: &str, iban: &str, codes: [&str; 3]| {
            let pairs: Vec<(String, String)> = [
                ("kind", "collection_order"),
                ("amount", "1 500,50"),
                ("priority", priority),
                ("creditor_name", " ТОО «Ромашка» "),
                ("creditor_taxpayer_id", taxpayer_id),
                ("creditor_iban", iban),
                ("creditor_kbe", codes[0]),
                ("creditor_knp", codes[1]),
                ("creditor_kbk", codes[2]),
                ("reference", "Решение суда № 8"),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
            RestrictionForm::from_pairs(&pairs)
        };
        let parsed = form("2", "180140010005", "KZ86 125K ZT50 0410 0100", ["17", "911", "105101"])
            .parse(Currency::Eur, &directories, t)
            .expect("valid");
        let RestrictionKind::CollectionOrder(order) = parsed else { panic!("{parsed:?}") };
        assert_eq!(order.amount(), Money::from_minor(150_050, Currency::Eur));
        assert_eq!((order.collected().minor(), order.priority().get()), (0, 2));
        assert_eq!(order.creditor().name.as_str(), "ТОО «Ромашка»");
        assert_eq!(order.creditor().iban.to_string(), "KZ86125KZT5004100100");
        let codes = order.creditor().codes.expect("codes");
        assert_eq!((codes.kbe().to_string(), codes.knp().to_string()), ("17".to_owned(), "911".to_owned()));

        let refused = form("10", "180140010006", "KZ00125KZT5004100100", ["1", "911", ""])
            .parse(Currency::Eur, &directories, t)
            .expect_err("refused");
        assert_eq!(
            refused,
            vec![
                field("priority", t.restriction_err_priority),
                field("creditor_taxpayer_id", t.err_invalid_taxpayer_id),
                field("creditor_iban", t.err_invalid_iban),
                field("creditor_kbe", t.err_invalid_kbe),
            ]
        );
        let budget_without_kbk = form("1", "180140010005", "KZ86125KZT5004100100", ["11", "911", ""])
            .parse(Currency::Kzt, &directories, t)
            .expect_err("refused");
        assert_eq!(budget_without_kbk, vec![field("creditor_kbk", t.err_required)]);
        let kbk_elsewhere = form("1", "180140010005", "KZ86125KZT5004100100", ["17", "710", "105101"])
            .parse(Currency::Kzt, &directories, t)
            .expect_err("refused");
        assert_eq!(kbk_elsewhere, vec![field("creditor_kbk", t.err_kbk_not_allowed)]);
        let empty = form("", "", "", ["", "", ""]).parse(Currency::Kzt, &directories, t).expect_err("refused");
        let fields: Vec<&str> = empty.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(fields, ["priority", "creditor_taxpayer_id", "creditor_iban", "creditor_kbe", "creditor_knp"]);
        assert!(empty.iter().all(|(_, message)| message == t.err_required));
    }

    #[test]
    fn the_tariff_form_reads_every_kind_and_refuses_withholding_outgoing_payments() {
        let t = texts(Lang::En);
        let pairs = |interbank_withholding: &str| -> Vec<(String, String)> {
            [
                ("plan", "own"),
                ("internal_commission", "free"),
                ("internal_withholding", "separate"),
                ("interbank_commission", "fixed"),
                ("interbank_fee", "150"),
                ("interbank_currency", "KZT"),
                ("interbank_withholding", interbank_withholding),
                ("budget_commission", "percent"),
                ("budget_rate", "0,1"),
                ("budget_min", "50"),
                ("budget_max", "5000"),
                ("budget_currency", "KZT"),
                ("budget_withholding", "separate"),
                ("conversion_commission", "free"),
                ("conversion_withholding", "separate"),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
        };
        let plan = TariffForm::from_pairs(&pairs("separate")).parse(t).expect("valid").expect("own");
        assert_eq!(
            tiyn_store::rules::tariff_to_text(&plan),
            "internal free separate\ninterbank fixed 150.00 KZT separate\nbudget percent 0.1 min 50.00 KZT max 5000.00 KZT separate\nconversion free separate\nforeign free separate"
        );
        let refused = TariffForm::from_pairs(&pairs("from_amount")).parse(t).expect_err("refused");
        assert_eq!(refused, vec![field("interbank_withholding", t.rules_err_withholding)]);
        let standard = TariffForm { plan: "standard".to_owned(), ..TariffForm::default() };
        assert_eq!(standard.parse(t), Ok(None));
    }
}
