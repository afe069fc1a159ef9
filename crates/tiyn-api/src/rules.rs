//! The bank's payment rules over HTTP: a partner's tariff plan, limits and switched-off kinds
//! restrictions on accounts and the AML list
//! under `/api/admin/v1`; a partner's own view of its accounts' restrictions under
//! `/api/v1/accounts/{id}/restrictions`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tiyn_core::{AccountId, Currency, Money, PartnerId, UserId};
use tiyn_payments::DocumentKind;
use tiyn_payments::limits::{Limit, LimitRule, LimitScope, LimitSet};
use tiyn_payments::tariff::{Commission, KindTariff, Rate, TariffPlan, Withholding};
use tiyn_store::rules::{
    AmlEntry, CollectionOrder, CollectionPriority, NewRestriction, PaymentRules, Restriction, RestrictionKind,
};
use utoipa::ToSchema;

use crate::ApiState;
use crate::admin::Operator;
use crate::authz::{Authenticated, RequestContext};
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::{ApiJson, ApiPath};
use crate::money::{MoneyDto, MoneyInput};
use tiyn_banking::Banking;
use tiyn_banking::rules::CreditorText;

/// The commission and withholding of one document kind.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindTariffDto {
    /// `free`, `fixed` or `percent`.
    pub commission: String,
    /// `fixed`: the fee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee: Option<RuleMoney>,
    /// `percent`: the rate in percent as a decimal string (`"0.15"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<RuleMoney>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<RuleMoney>,
    /// `separate` (a fee posting besides the amount) or `from_amount`.
    pub withholding: String,
}

/// Money in a rule: read like every request's money (a decimal string, never a JSON number),
/// written like every answer's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleMoney {
    #[schema(value_type = String, example = "150.00")]
    pub amount: serde_json::Value,
    #[schema(example = "KZT")]
    pub currency: String,
}

impl RuleMoney {
    fn of(money: tiyn_core::Money) -> RuleMoney {
        let dto = MoneyDto::from(money);
        RuleMoney { amount: serde_json::Value::String(dto.amount), currency: dto.currency }
    }

    fn parse(&self, field: &str) -> Result<tiyn_core::Money, FieldError> {
        MoneyInput { amount: self.amount.clone(), currency: self.currency.clone() }.parse(field)
    }
}

/// A partner's tariff plan: every kind priced.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TariffPlanDto {
    pub internal: KindTariffDto,
    pub interbank: KindTariffDto,
    pub budget: KindTariffDto,
    /// Conversions: on what is sold, in the payer account's currency, withheld separately. Free
    /// when absent (the bank's margin is in its rates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<KindTariffDto>,
    /// Foreign transfers: on what leaves the payer account, in its currency (a minimum or
    /// maximum in another currency is converted at the bank's rate), withheld separately — from
    /// the amount only when the payer chose `BEN`. Free when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign: Option<KindTariffDto>,
    /// Foreign transfers under `OUR` (the payer pays the correspondents too): this fee on top of
    /// the `foreign` line, converted to the payer account's currency at the bank's rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_our_fee: Option<RuleMoney>,
}

/// One limit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitDto {
    /// `partner`, or `user` with `user_id`.
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// A document kind, or absent for all kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `operation_amount`, `daily_amount`, `daily_count`, `confirmation_count`.
    pub rule: String,
    /// `operation_amount`, `daily_amount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<RuleMoney>,
    /// `daily_count`, `confirmation_count`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// `daily_count`: count documents in this currency only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// A partner's payment rules.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRulesDto {
    /// `null`: the bank's standard plan.
    pub tariff: Option<TariffPlanDto>,
    pub limits: Vec<LimitDto>,
    /// Kinds the bank has switched off for the partner.
    pub disabled_kinds: Vec<String>,
}

fn kind_tariff_dto(tariff: &KindTariff) -> KindTariffDto {
    let mut dto = KindTariffDto {
        commission: tariff.commission().shape().to_owned(),
        fee: None,
        rate: None,
        min: None,
        max: None,
        withholding: tariff.withholding().as_str().to_owned(),
    };
    match tariff.commission() {
        Commission::Free => {}
        Commission::Fixed(fee) => dto.fee = Some(RuleMoney::of(fee.money())),
        Commission::Percent(percent) => {
            dto.rate = Some(percent.rate().percent_string());
            dto.min = percent.min().map(|fee| RuleMoney::of(fee.money()));
            dto.max = percent.max().map(|fee| RuleMoney::of(fee.money()));
        }
    }
    dto
}

impl From<&PaymentRules> for PaymentRulesDto {
    fn from(rules: &PaymentRules) -> PaymentRulesDto {
        PaymentRulesDto {
            tariff: rules.tariff.as_ref().map(|plan| TariffPlanDto {
                internal: kind_tariff_dto(plan.tariff(DocumentKind::Internal)),
                interbank: kind_tariff_dto(plan.tariff(DocumentKind::Interbank)),
                budget: kind_tariff_dto(plan.tariff(DocumentKind::Budget)),
                conversion: Some(kind_tariff_dto(plan.tariff(DocumentKind::Conversion))),
                foreign: Some(kind_tariff_dto(plan.tariff(DocumentKind::Foreign))),
                foreign_our_fee: plan.our_fee().map(|fee| RuleMoney::of(fee.money())),
            }),
            limits: rules
                .limits
                .limits()
                .iter()
                .map(|limit| {
                    let (scope, user_id) = match limit.scope() {
                        LimitScope::Partner(_) => ("partner", None),
                        LimitScope::User(user) => ("user", Some(user.to_string())),
                    };
                    let (amount, count, currency) = match limit.rule() {
                        LimitRule::OperationAmount(max) | LimitRule::DailyAmount(max) => {
                            (Some(RuleMoney::of(max)), None, None)
                        }
                        LimitRule::ConfirmationCount(max) => (None, Some(max), None),
                        LimitRule::DailyCount { max, currency } => {
                            (None, Some(max), currency.map(|currency| currency.code().to_owned()))
                        }
                    };
                    LimitDto {
                        scope: scope.to_owned(),
                        user_id,
                        kind: limit.kind().map(|kind| kind.as_str().to_owned()),
                        rule: limit.rule().name().to_owned(),
                        amount,
                        count,
                        currency,
                    }
                })
                .collect(),
            disabled_kinds: rules.disabled_kinds.iter().map(|kind| kind.as_str().to_owned()).collect(),
        }
    }
}

fn kind(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<DocumentKind> {
    DocumentKind::parse(text).map_err(|error| errors.push(FieldError::new(field, error.code(), error.to_string()))).ok()
}

fn parse_kind_tariff(field: &str, dto: &KindTariffDto, errors: &mut Vec<FieldError>) -> Option<KindTariff> {
    let money = |name: &str, value: &Option<RuleMoney>, errors: &mut Vec<FieldError>| {
        value
            .as_ref()
            .and_then(|value| value.parse(&format!("{field}.{name}")).map_err(|error| errors.push(error)).ok())
    };
    let withholding = Withholding::parse(&dto.withholding)
        .map_err(|error| errors.push(FieldError::new(format!("{field}.withholding"), error.code(), error.to_string())))
        .ok()?;
    let commission = match dto.commission.as_str() {
        "free" => Ok(Commission::Free),
        "fixed" => match money("fee", &dto.fee, errors) {
            Some(fee) => Commission::fixed(fee),
            None => {
                errors.push(FieldError::new(format!("{field}.fee"), "required", "a fixed commission has a fee"));
                return None;
            }
        },
        "percent" => {
            let rate = match dto.rate.as_deref().map(Rate::parse_percent) {
                Some(Ok(rate)) => rate,
                Some(Err(error)) => {
                    errors.push(FieldError::new(format!("{field}.rate"), error.code(), error.to_string()));
                    return None;
                }
                None => {
                    errors.push(FieldError::new(format!("{field}.rate"), "required", "a percentage has a rate"));
                    return None;
                }
            };
            Commission::percent(rate, money("min", &dto.min, errors), money("max", &dto.max, errors))
        }
        other => {
            errors.push(FieldError::new(
                format!("{field}.commission"),
                "invalid_commission",
                format!("{other:?} is not free, fixed or percent"),
            ));
            return None;
        }
    };
    commission
        .and_then(|commission| KindTariff::new(commission, withholding))
        .map_err(|error| errors.push(FieldError::new(field.to_owned(), error.code(), error.to_string())))
        .ok()
}

impl PaymentRulesDto {
    fn parse(&self, partner: PartnerId) -> Result<PaymentRules, ApiError> {
        let mut errors = Vec::new();
        let tariff = self.tariff.as_ref().and_then(|plan| {
            let plan_dto_our_fee = plan.foreign_our_fee.clone();
            let internal = parse_kind_tariff("tariff.internal", &plan.internal, &mut errors);
            let interbank = parse_kind_tariff("tariff.interbank", &plan.interbank, &mut errors);
            let budget = parse_kind_tariff("tariff.budget", &plan.budget, &mut errors);
            let conversion = match &plan.conversion {
                Some(dto) => parse_kind_tariff("tariff.conversion", dto, &mut errors),
                None => Some(tiyn_payments::tariff::KindTariff::free()),
            };
            let foreign = match &plan.foreign {
                Some(dto) => parse_kind_tariff("tariff.foreign", dto, &mut errors),
                None => Some(tiyn_payments::tariff::KindTariff::free()),
            };
            for (name, tariff) in
                [("interbank", &interbank), ("budget", &budget), ("conversion", &conversion), ("foreign", &foreign)]
            {
                if tariff.is_some_and(|tariff| tariff.withholding() != Withholding::Separate) {
                    errors.push(FieldError::new(
                        format!("tariff.{name}.withholding"),
                        "withholding_not_supported",
                        "an outgoing payment's commission is withheld separately: the amount sent is the payee's",
                    ));
                }
            }
            TariffPlan::new([
                (DocumentKind::Internal, internal?),
                (DocumentKind::Interbank, interbank?),
                (DocumentKind::Budget, budget?),
                (DocumentKind::Conversion, conversion?),
                (DocumentKind::Foreign, foreign?),
            ])
            .map_err(|error| errors.push(FieldError::new("tariff", error.code(), error.to_string())))
            .ok()
            .and_then(|plan| {
                let fee = match &plan_dto_our_fee {
                    None => None,
                    Some(fee) => {
                        Some(fee.parse("tariff.foreign_our_fee.amount").map_err(|error| errors.push(error)).ok()?)
                    }
                };
                plan.with_our_fee(fee)
                    .map_err(|error| {
                        errors.push(FieldError::new("tariff.foreign_our_fee", error.code(), error.to_string()))
                    })
                    .ok()
            })
        });
        let mut limits = Vec::new();
        for (index, dto) in self.limits.iter().enumerate() {
            let field = format!("limits[{index}]");
            let scope = match (dto.scope.as_str(), dto.user_id.as_deref()) {
                ("partner", None) => Some(LimitScope::Partner(partner)),
                ("user", Some(id)) => match id.parse::<i64>() {
                    Ok(id) => Some(LimitScope::User(UserId::new(id))),
                    Err(_) => {
                        errors.push(FieldError::new(format!("{field}.user_id"), "invalid_user_id", "a user id"));
                        None
                    }
                },
                _ => {
                    errors.push(FieldError::new(
                        format!("{field}.scope"),
                        "invalid_scope",
                        "scope is partner (without user_id) or user (with user_id)",
                    ));
                    None
                }
            };
            let kind = match dto.kind.as_deref() {
                None => Some(None),
                Some(text) => kind(&format!("{field}.kind"), text, &mut errors).map(Some),
            };
            let amount = dto
                .amount
                .as_ref()
                .and_then(|amount| amount.parse(&format!("{field}.amount")).map_err(|error| errors.push(error)).ok());
            let currency = match dto.currency.as_deref() {
                None => Some(None),
                Some(code) => Currency::parse(code)
                    .map(Some)
                    .map_err(|error| {
                        errors.push(FieldError::new(format!("{field}.currency"), error.code(), error.to_string()))
                    })
                    .ok(),
            };
            let rule = match (dto.rule.as_str(), amount, dto.count, currency) {
                ("operation_amount", Some(amount), None, Some(None)) => Some(LimitRule::OperationAmount(amount)),
                ("daily_amount", Some(amount), None, Some(None)) => Some(LimitRule::DailyAmount(amount)),
                ("daily_count", None, Some(max), Some(currency)) => Some(LimitRule::DailyCount { max, currency }),
                ("confirmation_count", None, Some(max), Some(None)) => Some(LimitRule::ConfirmationCount(max)),
                _ => {
                    errors.push(FieldError::new(
                        format!("{field}.rule"),
                        "invalid_limit",
                        "operation_amount and daily_amount take an amount; daily_count a count and maybe a currency; \
                         confirmation_count a count",
                    ));
                    None
                }
            };
            if let (Some(scope), Some(kind), Some(rule)) = (scope, kind, rule) {
                match Limit::new(scope, kind, rule) {
                    Ok(limit) => limits.push(limit),
                    Err(error) => errors.push(FieldError::new(field, error.code(), error.to_string())),
                }
            }
        }
        let limits = LimitSet::new(limits)
            .map_err(|error| errors.push(FieldError::new("limits", error.code(), error.to_string())))
            .unwrap_or_default();
        let disabled_kinds: Vec<DocumentKind> = self
            .disabled_kinds
            .iter()
            .enumerate()
            .filter_map(|(index, text)| kind(&format!("disabled_kinds[{index}]"), text, &mut errors))
            .collect();
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        Ok(PaymentRules { tariff, limits, disabled_kinds })
    }
}

fn partner_id(id: &str) -> Result<PartnerId, ApiError> {
    id.parse::<i64>().map(PartnerId::new).map_err(|_| ApiError::NotFound { what: "partner" })
}

fn account_id(id: &str) -> Result<AccountId, ApiError> {
    id.parse::<i64>().map(AccountId::new).map_err(|_| ApiError::NotFound { what: "account" })
}

/// A partner's tariff plan, limits and switched-off kinds.
#[utoipa::path(get, path = "/partners/{id}/payment-rules", tag = "admin",
    responses((status = 200, body = PaymentRulesDto), (status = 404, body = ProblemDto)))]
pub async fn admin_payment_rules(
    State(state): State<ApiState>,
    Operator(_): Operator,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PaymentRulesDto>, ApiError> {
    let rules = state.banking.payment_rules(partner_id(&id)?).await?;
    Ok(Json(PaymentRulesDto::from(&rules)))
}

/// Replaces a partner's payment rules; they apply to the next operation.
#[utoipa::path(put, path = "/partners/{id}/payment-rules", tag = "admin", request_body = PaymentRulesDto,
    responses((status = 200, body = PaymentRulesDto), (status = 404, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn admin_set_payment_rules(
    State(state): State<ApiState>,
    Operator(actor): Operator,
    RequestContext(context): RequestContext,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<PaymentRulesDto>,
) -> Result<Json<PaymentRulesDto>, ApiError> {
    let partner = partner_id(&id)?;
    state.banking.payment_rules(partner).await?;
    let rules = input.parse(partner)?;
    state.banking.set_payment_rules(&context, &actor, partner, rules).await?;
    Ok(Json(PaymentRulesDto::from(&state.banking.payment_rules(partner).await?)))
}

/// A restriction on an account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RestrictionDto {
    pub id: String,
    pub account: String,
    /// `arrest_amount`, `arrest_all`, `debit_suspension`, `collection_order`, `closing`.
    pub kind: String,
    /// `arrest_amount`: the amount arrested; `collection_order`: the amount owed.
    pub amount: Option<MoneyDto>,
    /// `debit_suspension`: the kinds still allowed.
    pub allowed_kinds: Vec<String>,
    /// `collection_order`: its legal priority (1 is collected first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// `collection_order`: whom it pays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creditor: Option<CreditorDto>,
    /// `collection_order`: collected so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected: Option<MoneyDto>,
    /// `collection_order`: still owed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outstanding: Option<MoneyDto>,
    pub reference: String,
    pub created_at: String,
    /// When it was lifted (a collection order: when it was paid off or withdrawn).
    pub lifted_at: Option<String>,
}

/// The creditor of a collection order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditorDto {
    pub name: String,
    /// IIN or BIN.
    pub taxpayer_id: String,
    pub iban: String,
    /// The creditor's KBe (residency and sector). Required in a request; absent on an order
    /// registered before collections were sent to other banks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kbe: Option<String>,
    /// The KNP of the payment order the collection becomes. Required in a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knp: Option<String>,
    /// The KBK, with a budget KNP (section 9) and only with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kbk: Option<String>,
}

impl From<&Restriction> for RestrictionDto {
    fn from(restriction: &Restriction) -> RestrictionDto {
        let mut dto = RestrictionDto {
            id: restriction.id.to_string(),
            account: restriction.account.to_string(),
            kind: restriction.kind.code().to_owned(),
            amount: None,
            allowed_kinds: Vec::new(),
            priority: None,
            creditor: None,
            collected: None,
            outstanding: None,
            reference: restriction.reference.clone(),
            created_at: restriction.created_at.to_string(),
            lifted_at: restriction.lifted_at.map(|at| at.to_string()),
        };
        match &restriction.kind {
            RestrictionKind::ArrestAmount(amount) => dto.amount = Some(MoneyDto::from(*amount)),
            RestrictionKind::DebitSuspension { allowed } => {
                dto.allowed_kinds = allowed.iter().map(|kind| kind.as_str().to_owned()).collect();
            }
            RestrictionKind::CollectionOrder(order) => {
                dto.amount = Some(MoneyDto::from(order.amount()));
                dto.priority = Some(order.priority().get());
                let creditor = order.creditor();
                dto.creditor = Some(CreditorDto {
                    name: creditor.name.to_string(),
                    taxpayer_id: creditor.taxpayer_id.to_string(),
                    iban: creditor.iban.to_string(),
                    kbe: creditor.codes.map(|codes| codes.kbe().to_string()),
                    knp: creditor.codes.map(|codes| codes.knp().to_string()),
                    kbk: creditor.codes.and_then(|codes| codes.kbk()).map(|kbk| kbk.to_string()),
                });
                dto.collected = Some(MoneyDto::from(order.collected()));
                dto.outstanding = Some(MoneyDto::from(order.outstanding()));
            }
            RestrictionKind::ArrestAll | RestrictionKind::Closing => {}
        }
        dto
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RestrictionListDto {
    pub items: Vec<RestrictionDto>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictionInput {
    /// `arrest_amount`, `arrest_all`, `debit_suspension`, `collection_order`, `closing`.
    pub kind: String,
    /// `arrest_amount`: the amount arrested; `collection_order`: the amount owed, in the
    /// account's currency.
    pub amount: Option<MoneyInput>,
    /// `debit_suspension`: kinds still allowed (`budget`, typically).
    #[serde(default)]
    pub allowed_kinds: Vec<String>,
    /// `collection_order`: its legal priority, 1 to 9 (1 is collected first).
    pub priority: Option<u8>,
    /// `collection_order`: whom it pays.
    pub creditor: Option<CreditorDto>,
    /// Who imposed it and the document (1–500 characters).
    pub reference: String,
}

impl RestrictionInput {
    fn parse(&self, banking: &Banking) -> Result<RestrictionKind, ApiError> {
        let mut errors = Vec::new();
        let reference = self.reference.trim();
        if reference.is_empty() || reference.chars().count() > 500 {
            errors.push(FieldError::new("reference", "invalid_reference", "1 to 500 characters"));
        }
        let allowed: Vec<DocumentKind> = self
            .allowed_kinds
            .iter()
            .enumerate()
            .filter_map(|(index, text)| kind(&format!("allowed_kinds[{index}]"), text, &mut errors))
            .collect();
        let amount =
            self.amount.as_ref().and_then(|amount| amount.parse("amount").map_err(|error| errors.push(error)).ok());
        let collection = (self.kind == "collection_order").then(|| self.collection_order(banking, amount, &mut errors));
        let kind = match (self.kind.as_str(), amount) {
            ("arrest_amount", Some(amount)) if amount.is_positive() => Some(RestrictionKind::ArrestAmount(amount)),
            ("arrest_amount", _) => {
                errors.push(FieldError::new("amount", "required", "an arrest of an amount has a positive amount"));
                None
            }
            ("collection_order", _) => collection.flatten().map(RestrictionKind::CollectionOrder),
            ("arrest_all", None) => Some(RestrictionKind::ArrestAll),
            ("debit_suspension", None) => Some(RestrictionKind::DebitSuspension { allowed }),
            ("closing", None) => Some(RestrictionKind::Closing),
            _ => {
                errors.push(FieldError::new(
                    "kind",
                    "invalid_restriction",
                    "kind is arrest_amount (with amount), arrest_all, debit_suspension, collection_order (with \
                     amount, priority and creditor) or closing",
                ));
                None
            }
        };
        match kind {
            Some(kind) if errors.is_empty() => Ok(kind),
            _ => Err(ApiError::Invalid(errors)),
        }
    }

    /// The collection order's own fields, every problem reported.
    fn collection_order(
        &self,
        banking: &Banking,
        amount: Option<Money>,
        errors: &mut Vec<FieldError>,
    ) -> Option<CollectionOrder> {
        let amount = match amount {
            Some(amount) if amount.is_positive() => Some(amount),
            _ => {
                errors.push(FieldError::new("amount", "required", "a collection order has a positive amount owed"));
                None
            }
        };
        let priority = self.priority.and_then(CollectionPriority::new);
        if priority.is_none() {
            errors.push(FieldError::new(
                "priority",
                "invalid_priority",
                format!("the order's legal priority, {} to {}", CollectionPriority::FIRST, CollectionPriority::LAST),
            ));
        }
        let creditor = match &self.creditor {
            None => {
                errors.push(FieldError::new(
                    "creditor",
                    "required",
                    "whom the order pays: name, taxpayer_id, iban, kbe, knp (and kbk with a budget knp)",
                ));
                None
            }
            Some(creditor) => {
                let text = CreditorText {
                    name: &creditor.name,
                    taxpayer_id: &creditor.taxpayer_id,
                    iban: &creditor.iban,
                    kbe: creditor.kbe.as_deref().unwrap_or(""),
                    knp: creditor.knp.as_deref().unwrap_or(""),
                    kbk: creditor.kbk.as_deref().unwrap_or(""),
                };
                banking
                    .parse_creditor(&text)
                    .map_err(|problems| {
                        errors.extend(problems.into_iter().map(|problem| {
                            FieldError::new(format!("creditor.{}", problem.field), problem.code, problem.detail)
                        }))
                    })
                    .ok()
            }
        };
        CollectionOrder::new(amount?, priority?, creditor?)
    }
}

/// An account's restrictions, newest first, lifted ones included.
#[utoipa::path(get, path = "/accounts/{id}/restrictions", tag = "admin",
    responses((status = 200, body = RestrictionListDto), (status = 404, body = ProblemDto)))]
pub async fn admin_restrictions(
    State(state): State<ApiState>,
    Operator(_): Operator,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RestrictionListDto>, ApiError> {
    let account = account_id(&id)?;
    state.store.account(account).await?.ok_or(ApiError::NotFound { what: "account" })?;
    let items = state.banking.restrictions(account).await?;
    Ok(Json(RestrictionListDto { items: items.iter().map(RestrictionDto::from).collect() }))
}

/// Registers an arrest, a suspension of debits, a collection order or the closing of an account
/// . A collection order is collected at once from the money the account has,
/// and later as money arrives; the answer shows what it has collected.
#[utoipa::path(post, path = "/accounts/{id}/restrictions", tag = "admin", request_body = RestrictionInput,
    responses((status = 201, body = RestrictionDto), (status = 404, body = ProblemDto), (status = 422, body = ProblemDto)))]
pub async fn admin_add_restriction(
    State(state): State<ApiState>,
    Operator(actor): Operator,
    RequestContext(context): RequestContext,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<RestrictionInput>,
) -> Result<(StatusCode, Json<RestrictionDto>), ApiError> {
    let account = account_id(&id)?;
    let kind = input.parse(&state.banking)?;
    if let RestrictionKind::CollectionOrder(order) = &kind {
        let found = state.store.account(account).await?.ok_or(ApiError::NotFound { what: "account" })?;
        if order.amount().currency() != found.currency {
            return Err(ApiError::invalid(
                "amount.currency",
                "currency_mismatch",
                format!("a collection order is in the account's currency, {}", found.currency.code()),
            ));
        }
    }
    let restriction = NewRestriction {
        account,
        kind,
        reference: input.reference.trim().to_owned(),
        created_by: actor.user(),
        created_at: state.banking.now(),
    };
    let stored = state.banking.add_restriction(&context, &actor, restriction).await?;
    Ok((StatusCode::CREATED, Json(RestrictionDto::from(&stored))))
}

/// Lifts a restriction.
#[utoipa::path(delete, path = "/accounts/{id}/restrictions/{restriction_id}", tag = "admin",
    responses((status = 204), (status = 404, body = ProblemDto), (status = 409, body = ProblemDto)))]
pub async fn admin_lift_restriction(
    State(state): State<ApiState>,
    Operator(actor): Operator,
    RequestContext(context): RequestContext,
    ApiPath((id, restriction)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let restriction = restriction.parse::<i64>().map_err(|_| ApiError::NotFound { what: "restriction" })?;
    state.banking.lift_restriction(&context, &actor, account_id(&id)?, restriction).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The partner's view of its account's restrictions (arrests, suspensions, closing).
#[utoipa::path(get, path = "/accounts/{id}/restrictions", tag = "accounts",
    responses((status = 200, body = RestrictionListDto), (status = 404, body = ProblemDto)))]
pub async fn account_restrictions(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RestrictionListDto>, ApiError> {
    let items = state.banking.own_account_restrictions(&principal, account_id(&id)?).await?;
    Ok(Json(RestrictionListDto { items: items.iter().map(RestrictionDto::from).collect() }))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmlEntryDto {
    pub name: String,
    /// IIN or BIN, when the list gives one.
    pub taxpayer_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmlListDto {
    pub entries: Vec<AmlEntryDto>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AmlReplacedDto {
    pub entries: usize,
    /// Partner users whose name is on the list, blocked now.
    pub users_blocked: usize,
}

/// The list of persons linked to terrorism or extremism financing as loaded.
#[utoipa::path(get, path = "/aml-list", tag = "admin", responses((status = 200, body = AmlListDto)))]
pub async fn admin_aml_list(
    State(state): State<ApiState>,
    Operator(_): Operator,
) -> Result<Json<AmlListDto>, ApiError> {
    let entries = state.banking.aml_list().await?;
    Ok(Json(AmlListDto {
        entries: entries
            .into_iter()
            .map(|entry| AmlEntryDto { name: entry.name, taxpayer_id: entry.taxpayer_id })
            .collect(),
    }))
}

/// Replaces the list: payments to a listed payee are refused from now on, and partner
/// users whose name is listed are blocked at once.
#[utoipa::path(put, path = "/aml-list", tag = "admin", request_body = AmlListDto,
    responses((status = 200, body = AmlReplacedDto), (status = 422, body = ProblemDto)))]
pub async fn admin_replace_aml_list(
    State(state): State<ApiState>,
    Operator(actor): Operator,
    RequestContext(context): RequestContext,
    ApiJson(input): ApiJson<AmlListDto>,
) -> Result<Json<AmlReplacedDto>, ApiError> {
    let mut errors = Vec::new();
    let mut entries = Vec::with_capacity(input.entries.len());
    for (index, entry) in input.entries.into_iter().enumerate() {
        let name = entry.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 500 {
            errors.push(FieldError::new(format!("entries[{index}].name"), "invalid_name", "1 to 500 characters"));
        }
        let taxpayer_id = match entry.taxpayer_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
            None => None,
            Some(id) => match tiyn_core::TaxpayerId::parse(id) {
                Ok(id) => Some(id.to_string()),
                Err(error) => {
                    errors.push(FieldError::new(
                        format!("entries[{index}].taxpayer_id"),
                        error.code(),
                        error.to_string(),
                    ));
                    None
                }
            },
        };
        entries.push(AmlEntry { name, taxpayer_id });
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let count = entries.len();
    let blocked = state.banking.replace_aml_list(&context, &actor, entries).await?;
    Ok(Json(AmlReplacedDto { entries: count, users_blocked: blocked }))
}
