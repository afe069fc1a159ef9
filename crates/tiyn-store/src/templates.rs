//! Templates of frequent payments (issue 4, R-3.1.1.2): a named, partner-wide set of a payment
//! document's fields that a user turns into a new draft.
//!
//! A template keeps the client's fields ([`RawDocument`]) like a draft, already checked by the
//! caller (`tiyn-banking`), except that it has no value date and the amount may be absent. The
//! name is unique per partner (a duplicate is `AlreadyExists`); another partner's template answers
//! exactly like an unknown one.

use std::fmt;

use jiff::Timestamp;
use tiyn_core::{Amount, Money, PartnerId, UserId};
use tiyn_payments::RawDocument;

use crate::StoreError;

/// Longest template name, in characters.
pub const TEMPLATE_NAME_LENGTH_MAX: usize = 100;
/// Most templates a list answers.
pub const TEMPLATES_MAX: usize = 500;

/// A template's id, allocated by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TemplateId(i64);

impl TemplateId {
    pub const fn new(raw: i64) -> TemplateId {
        TemplateId(raw)
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A new template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPaymentTemplate {
    pub partner: PartnerId,
    /// Trimmed, 1 to [`TEMPLATE_NAME_LENGTH_MAX`] characters.
    pub name: String,
    /// Checked fields without a value date; `amount` is the decimal text of [`Self::amount`].
    pub fields: RawDocument,
    /// The amount, when the template has one (kept as minor units).
    pub amount: Option<Amount>,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

/// A template as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentTemplate {
    pub id: TemplateId,
    pub partner: PartnerId,
    pub name: String,
    /// The fields, `value_date` always absent, `amount` absent when the template has none.
    pub fields: RawDocument,
    pub amount: Option<Amount>,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

/// The columns of a template row, in [`TEMPLATE_COLUMNS`] order, as every backend reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub id: i64,
    pub partner_id: i64,
    pub name: String,
    pub kind: Option<String>,
    pub payer_account_id: Option<i64>,
    pub currency: Option<String>,
    pub amount: Option<i64>,
    pub knp: Option<String>,
    pub purpose: Option<String>,
    pub payee_account_id: Option<i64>,
    pub payee_name: Option<String>,
    pub payee_bin: Option<String>,
    pub payee_iban: Option<String>,
    pub payee_bic: Option<String>,
    pub kbe: Option<String>,
    pub kbk: Option<String>,
    pub created_by: i64,
    pub created_at: i64,
    pub foreign_fields: Option<String>,
}

/// The column list matching [`TemplateRow`]'s field order.
pub const TEMPLATE_COLUMNS: &str = "id, partner_id, name, kind, payer_account_id, currency, amount, knp, purpose, \
     payee_account_id, payee_name, payee_bin, payee_iban, payee_bic, kbe, kbk, created_by, created_at, foreign_fields";

/// The values a new template is written with, in [`TEMPLATE_COLUMNS`] order after `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateColumns {
    pub partner_id: i64,
    pub name: String,
    pub kind: Option<String>,
    pub payer_account_id: Option<i64>,
    pub currency: Option<String>,
    pub amount: Option<i64>,
    pub knp: Option<String>,
    pub purpose: Option<String>,
    pub payee_account_id: Option<i64>,
    pub payee_name: Option<String>,
    pub payee_bin: Option<String>,
    pub payee_iban: Option<String>,
    pub payee_bic: Option<String>,
    pub kbe: Option<String>,
    pub kbk: Option<String>,
    pub created_by: i64,
    pub created_at: i64,
    pub foreign_fields: Option<String>,
}

impl TemplateColumns {
    /// The columns of a new template; `Invalid` for a blank or too long name, an account id that
    /// is not a number, or an amount in another currency than the fields'.
    pub fn of(template: &NewPaymentTemplate) -> Result<TemplateColumns, StoreError> {
        let name = template.name.trim();
        if name.is_empty() || name.chars().count() > TEMPLATE_NAME_LENGTH_MAX {
            return Err(StoreError::Invalid("a template name has 1 to 100 characters"));
        }
        let account = |value: &Option<String>| -> Result<Option<i64>, StoreError> {
            value
                .as_deref()
                .map(|text| text.trim().parse::<i64>().map_err(|_| StoreError::Invalid("an account id is a number")))
                .transpose()
        };
        let fields = &template.fields;
        let currency = match template.amount {
            Some(amount) => {
                let code = amount.currency().code().to_owned();
                if fields.currency.as_deref().is_some_and(|given| given != code) {
                    return Err(StoreError::Invalid("a template's amount is in its currency"));
                }
                Some(code)
            }
            None => fields.currency.clone(),
        };
        Ok(TemplateColumns {
            partner_id: template.partner.get(),
            name: name.to_owned(),
            kind: fields.kind.clone(),
            payer_account_id: account(&fields.payer_account)?,
            currency,
            amount: template.amount.map(Amount::minor),
            knp: fields.knp.clone(),
            purpose: fields.purpose.clone(),
            payee_account_id: account(&fields.payee_account)?,
            payee_name: fields.payee_name.clone(),
            payee_bin: fields.payee_bin.clone(),
            payee_iban: fields.payee_iban.clone(),
            payee_bic: fields.payee_bic.clone(),
            kbe: fields.kbe.clone(),
            kbk: fields.kbk.clone(),
            created_by: template.created_by.get(),
            created_at: template.created_at.as_microsecond(),
            foreign_fields: crate::payments::encode_foreign_fields(fields),
        })
    }
}

fn stored(what: &str, value: impl fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored payment template {what} does not parse: {value}"))
}

impl TemplateRow {
    pub fn into_record(self) -> Result<PaymentTemplate, StoreError> {
        let amount = match (self.amount, self.currency.as_deref()) {
            (Some(minor), Some(code)) => {
                let currency = tiyn_core::Currency::parse(code).map_err(|error| stored("currency", error))?;
                Some(Amount::new(Money::from_minor(minor, currency)).map_err(|error| stored("amount", error))?)
            }
            (Some(_), None) => return Err(stored("amount", "without a currency")),
            (None, _) => None,
        };
        let fields = RawDocument {
            kind: self.kind,
            payer_account: self.payer_account_id.map(|id| id.to_string()),
            amount: amount.map(|amount| amount.money().amount_string()),
            currency: self.currency,
            knp: self.knp,
            purpose: self.purpose,
            value_date: None,
            payee_account: self.payee_account_id.map(|id| id.to_string()),
            payee_name: self.payee_name,
            payee_bin: self.payee_bin,
            payee_iban: self.payee_iban,
            payee_bic: self.payee_bic,
            kbe: self.kbe,
            kbk: self.kbk,
            ..RawDocument::default()
        };
        let mut fields = fields;
        crate::payments::decode_foreign_fields(self.foreign_fields.as_deref(), &mut fields)?;
        Ok(PaymentTemplate {
            id: TemplateId::new(self.id),
            partner: PartnerId::new(self.partner_id),
            name: self.name,
            fields,
            amount,
            created_by: UserId::new(self.created_by),
            created_at: Timestamp::from_microsecond(self.created_at).map_err(|error| stored("instant", error))?,
        })
    }
}
