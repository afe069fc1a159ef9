//! Templates of frequent payments (issue 4, R-3.1.1.2): a named, partner-wide set of a payment
//! document's fields that a user turns into a new draft with today's default value date.
//!
//! A template's fields are checked exactly like a draft's (the same parser, the same account
//! gate), except that it has no value date and the amount may be absent: the check fills a
//! placeholder for each, and the template keeps the checked fields without them (a template
//! without an amount keeps its currency: the client's, or else its payer account's). A draft made
//! from a template goes through [`Banking::create_payment`], so it is checked again against
//! today's directories, accounts and rules.

use tiyn_core::{AccountId, Currency, Money, PartnerId};
use tiyn_identity::{Context, Principal};
use tiyn_payments::{FieldError, RawDocument, fields};
use tiyn_store::StoreError;
use tiyn_store::payments::PaymentRecord;
use tiyn_store::templates::{NewPaymentTemplate, PaymentTemplate, TEMPLATE_NAME_LENGTH_MAX, TemplateId};

use crate::{Banking, BankingError, field_error};

/// Audit actions of the templates.
pub mod template_audit_action {
    pub const TEMPLATE_SAVE: &str = "payments.template_save";
    pub const TEMPLATE_DELETE: &str = "payments.template_delete";
}

/// Codes of a template's own fields.
pub mod template_codes {
    /// The field of a template's name.
    pub const NAME_FIELD: &str = "name";
    /// The name is blank or longer than 100 characters.
    pub const INVALID_NAME: &str = "invalid_template_name";
    /// The partner already has a template of this name (409).
    pub const NAME_TAKEN: &str = "template_name_taken";
}

/// A money object as a client sent it: the decimal text and the currency code, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawMoney {
    pub amount: Option<String>,
    pub currency: Option<String>,
}

/// The placeholder amount of a template without one whose currency does not parse (the
/// currency's error speaks); never stored.
const PLACEHOLDER_AMOUNT: &str = "1";
/// The placeholder currency when neither the template nor its payer account names one.
const PLACEHOLDER_CURRENCY: &str = "KZT";

fn blank(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(|text| text.trim().is_empty())
}

fn template_object(id: TemplateId) -> String {
    format!("payment_template:{id}")
}

impl Banking {
    /// Saves the fields as a template named `name` (R-3.1.1.2). The fields must be valid for a
    /// draft except that the value date is ignored and the amount may be absent; every problem
    /// is answered at once, the name's included. A name the partner already uses is
    /// `Conflict("template_name_taken")`.
    pub async fn save_template(
        &self,
        context: &Context,
        principal: &Principal,
        name: &str,
        raw: RawDocument,
    ) -> Result<PaymentTemplate, BankingError> {
        let partner = Self::partner(principal)?;
        let name = name.trim();
        let mut errors: Vec<FieldError> = Vec::new();
        if name.is_empty() || name.chars().count() > TEMPLATE_NAME_LENGTH_MAX {
            errors.push(field_error(
                template_codes::NAME_FIELD,
                template_codes::INVALID_NAME,
                format!("a template name has 1 to {TEMPLATE_NAME_LENGTH_MAX} characters"),
            ));
        }
        let has_amount = !blank(&raw.amount);
        let mut checked = raw.clone();
        checked.value_date = Some(self.default_value_date().to_string());
        if !has_amount {
            if blank(&checked.currency) {
                checked.currency = Some(self.placeholder_currency(principal, &raw).await?);
            }
            // The smallest amount, written with exactly the currency's minor digits.
            let currency = checked.currency.as_deref().and_then(|code| Currency::parse(code.trim()).ok());
            checked.amount = Some(match currency {
                Some(currency) => Money::from_minor(1, currency).amount_string(),
                None => PLACEHOLDER_AMOUNT.to_owned(),
            });
        }
        let directories = self.directories()?;
        let requisites = match self.check_requisites(principal, &checked, &directories, self.today()).await? {
            Ok(requisites) if errors.is_empty() => requisites,
            Ok(_) => return Err(BankingError::Invalid(errors)),
            Err(mut found) => {
                errors.append(&mut found);
                return Err(BankingError::Invalid(errors));
            }
        };
        let mut fields = RawDocument::from_requisites(&requisites);
        fields.value_date = None;
        if !has_amount {
            // The currency stays: the client's, or the payer account's (which it must match).
            fields.amount = None;
        }
        let template = self
            .store
            .create_payment_template(NewPaymentTemplate {
                partner,
                name: name.to_owned(),
                fields,
                amount: has_amount.then(|| requisites.amount()),
                created_by: principal.user_id(),
                created_at: self.now(),
            })
            .await
            .map_err(|error| match error {
                StoreError::AlreadyExists { .. } => BankingError::Conflict(template_codes::NAME_TAKEN),
                other => other.into(),
            })?;
        self.identity
            .record_action(context, principal, template_audit_action::TEMPLATE_SAVE, Some(template_object(template.id)))
            .await?;
        Ok(template)
    }

    /// The currency a template without an amount is checked in: its payer account's, when that
    /// is one of the partner's accounts (the gate answers otherwise).
    async fn placeholder_currency(&self, principal: &Principal, raw: &RawDocument) -> Result<String, BankingError> {
        let payer = raw.payer_account.as_deref().and_then(|id| id.trim().parse::<i64>().ok());
        if let Some(id) = payer
            && let Ok(account) = self.own_account(principal, AccountId::new(id), fields::PAYER_ACCOUNT).await?
        {
            return Ok(account.currency.code().to_owned());
        }
        Ok(PLACEHOLDER_CURRENCY.to_owned())
    }

    /// The partner's templates, ordered by name (for an API key, those of its accounts only).
    pub async fn templates(&self, principal: &Principal) -> Result<Vec<PaymentTemplate>, BankingError> {
        let partner = Self::partner(principal)?;
        let templates = self.store.payment_templates(partner).await?;
        Ok(templates.into_iter().filter(|template| principal.may_use_account(template_payer(template))).collect())
    }

    /// The partner's template; another partner's answers like an unknown one.
    pub async fn template(&self, principal: &Principal, id: TemplateId) -> Result<PaymentTemplate, BankingError> {
        let partner: PartnerId = Self::partner(principal)?;
        let template =
            self.store.payment_template(partner, id).await?.ok_or(BankingError::NotFound("payment template"))?;
        if !principal.may_use_account(template_payer(&template)) {
            return Err(BankingError::NotFound("payment template"));
        }
        Ok(template)
    }

    pub async fn delete_template(
        &self,
        context: &Context,
        principal: &Principal,
        id: TemplateId,
    ) -> Result<(), BankingError> {
        let partner = Self::partner(principal)?;
        self.template(principal, id).await?;
        self.store.delete_payment_template(partner, id).await?;
        self.identity
            .record_action(context, principal, template_audit_action::TEMPLATE_DELETE, Some(template_object(id)))
            .await?;
        Ok(())
    }

    /// Creates a draft from the template (R-3.1.1.2): its fields, the given amount (or the
    /// template's) and [`Banking::default_value_date`], checked like any new draft.
    pub async fn draft_from_template(
        &self,
        context: &Context,
        principal: &Principal,
        id: TemplateId,
        amount: Option<RawMoney>,
    ) -> Result<PaymentRecord, BankingError> {
        let template = self.template(principal, id).await?;
        let mut raw = template.fields;
        if let Some(amount) = amount.filter(|amount| !blank(&amount.amount) || !blank(&amount.currency)) {
            raw.amount = amount.amount;
            if !blank(&amount.currency) {
                raw.currency = amount.currency;
            }
        }
        raw.value_date = Some(self.default_value_date().to_string());
        self.create_payment(context, principal, raw, None).await
    }
}

fn template_payer(template: &PaymentTemplate) -> AccountId {
    AccountId::new(template.fields.payer_account.as_deref().and_then(|id| id.parse().ok()).unwrap_or(0))
}
