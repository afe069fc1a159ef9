//! `/payments/templates`: templates of frequent payments (R-3.1.1.2). The list with a "create a
//! document" button per template (an amount may be typed, else the template's) and deletion;
//! templates are saved from the payment form ("save as template", posting the form's fields here).
//!
//! Every read and change is a `tiyn_banking::Banking` use case called with the principal: another
//! partner's template answers exactly like an unknown one.

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiyn_api::access::partner_accounts;
use tiyn_api::authz::RequestContext;
use tiyn_api::{ApiError, Lang};
use tiyn_banking::{BankingError, RawMoney, template_codes};
use tiyn_core::access::Permission;
use tiyn_core::{AccountId, Currency};
use tiyn_payments::DocumentKind;
use tiyn_store::Account;
use tiyn_store::templates::{PaymentTemplate, TemplateId};

use crate::WebState;
use crate::format;
use crate::forms::FormErrors;
use crate::i18n::{Texts, texts};
use crate::lang::PageLang;
use crate::pages::{MaybePartner, PageMeta, Viewer, failure, render};
use crate::payments::{Check, FieldMessages, PaymentForm, account_label, form_page, form_refusal, kind_name, to_login};

pub const TEMPLATES_PAGE: &str = "/payments/templates";

/// A template as the list shows it.
pub struct TemplateRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub payer: String,
    pub payee: String,
    /// Empty when the template has no amount.
    pub amount: String,
    /// The currency a typed amount is in.
    pub currency: String,
}

impl TemplateRow {
    fn new(template: &PaymentTemplate, accounts: &[Account], t: &'static Texts, lang: Lang) -> TemplateRow {
        let fields = &template.fields;
        let account = |id: &Option<String>| {
            let id = id.as_deref().and_then(|id| id.parse::<i64>().ok()).map(AccountId::new);
            accounts.iter().find(|account| Some(account.id) == id).map(account_label)
        };
        let payee = account(&fields.payee_account).or_else(|| fields.payee_name.clone()).unwrap_or_default();
        TemplateRow {
            id: template.id.to_string(),
            name: template.name.clone(),
            kind: fields
                .kind
                .as_deref()
                .and_then(|kind| DocumentKind::parse(kind).ok())
                .map_or("", |kind| kind_name(kind, t)),
            payer: account(&fields.payer_account).unwrap_or_default(),
            payee,
            amount: template.amount.map(|amount| format::money(amount.money(), lang)).unwrap_or_default(),
            currency: fields.currency.clone().unwrap_or_else(|| Currency::Kzt.code().to_owned()),
        }
    }
}

#[derive(Template)]
#[template(path = "payment_templates.html")]
struct TemplatesPage {
    t: &'static Texts,
    page: PageMeta,
    rows: Vec<TemplateRow>,
    can_create: bool,
    notice: Option<&'static str>,
    errors: FormErrors,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TemplatesQuery {
    pub done: String,
}

fn template_id(text: &str) -> Option<TemplateId> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0).map(TemplateId::new)
}

async fn list_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: FormErrors,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let t = texts(lang.lang);
    let loaded = async {
        let templates = state.banking.templates(principal).await?;
        let accounts = match principal.partner() {
            Some(partner) => state.store.partner_accounts(partner).await.map_err(ApiError::from)?,
            None => Vec::new(),
        };
        Ok::<_, ApiError>((templates, accounts))
    };
    let (templates, accounts) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return failure(state, lang, viewer, &error),
    };
    let page = TemplatesPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "payments", TEMPLATES_PAGE, viewer),
        rows: templates.iter().map(|template| TemplateRow::new(template, &accounts, t, lang.lang)).collect(),
        can_create: principal.allows(Permission::CreatePayments),
        notice,
        errors,
    };
    render(&page, status, lang)
}

/// `GET /payments/templates`: the partner's templates, ordered by name.
pub async fn list(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    query: Result<Query<TemplatesQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let t = texts(lang.lang);
    let notice = match query.done.as_str() {
        "saved" => Some(t.template_saved),
        "deleted" => Some(t.template_deleted),
        _ => None,
    };
    list_page(&state, lang, &viewer, StatusCode::OK, notice, FormErrors::none()).await
}

/// `POST /payments/templates`: saves the payment form's fields as a template under the typed
/// name, or shows the form again with every problem (the template's own and the fields').
pub async fn save(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    RequestContext(context): RequestContext,
    Form(form): Form<PaymentForm>,
) -> Response {
    let (Some(partner), Some(principal)) = (partner, viewer.principal.clone()) else { return to_login() };
    let t = texts(lang.lang);
    let error = match state.banking.save_template(&context, &principal, &form.template_name, form.to_raw()).await {
        Ok(_) => return Redirect::to(&format!("{TEMPLATES_PAGE}?done=saved")).into_response(),
        Err(error) => error,
    };
    let refused = match error {
        BankingError::Conflict(code) if code == template_codes::NAME_TAKEN => crate::payments::Refused {
            status: StatusCode::CONFLICT,
            summary: FormErrors::summary(code, t.template_name_taken),
            messages: FieldMessages::none(),
        },
        other => {
            let name_refused = matches!(&other, BankingError::Invalid(refusals)
                if refusals.iter().any(|refusal| refusal.code == template_codes::INVALID_NAME));
            match form_refusal(other, lang.lang, Check::Submit) {
                Ok(mut refused) => {
                    let mut summary = t.template_not_saved.to_owned();
                    if name_refused {
                        summary.push(' ');
                        summary.push_str(t.template_invalid_name);
                    }
                    refused.summary = FormErrors::summary("validation_failed", summary);
                    refused
                }
                Err(error) => return failure(&state, lang, &viewer, &error),
            }
        }
    };
    match partner_accounts(state.store.as_ref(), &partner).await {
        Ok(accounts) => form_page(&state, lang, &viewer, &accounts, None, form, Some(refused)),
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}

/// The amount typed next to "create a document".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UseForm {
    pub amount: String,
    pub currency: String,
}

/// `POST /payments/templates/{id}/use`: a new draft from the template, with the typed amount (or
/// the template's) and today's default value date; the draft's page on success.
pub async fn use_template(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(form): Form<UseForm>,
) -> Response {
    let Some(principal) = viewer.principal.clone() else { return to_login() };
    let Some(id) = template_id(&id) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "payment template" });
    };
    let amount = crate::payments::canonical_amount(&form.amount, &form.currency);
    let amount = (!amount.is_empty()).then(|| RawMoney {
        amount: Some(amount),
        currency: Some(form.currency.trim().to_owned()).filter(|code| !code.is_empty()),
    });
    match state.banking.draft_from_template(&context, &principal, id, amount).await {
        Ok(record) => Redirect::to(&format!("/payments/{}?done=created", record.id)).into_response(),
        Err(error) => match form_refusal(error, lang.lang, Check::Submit) {
            Ok(refused) => {
                let mut summary = refused.summary;
                let details: Vec<&str> = refused
                    .messages
                    .all()
                    .iter()
                    .map(|(_, message)| message.as_str())
                    .filter(|m| !m.is_empty())
                    .collect();
                if !details.is_empty() {
                    let text = format!("{} {}", summary.summary.unwrap_or_default(), details.join("; "));
                    summary = FormErrors::summary("validation_failed", text);
                }
                list_page(&state, lang, &viewer, refused.status, None, summary).await
            }
            Err(error) => failure(&state, lang, &viewer, &error),
        },
    }
}

/// `POST /payments/templates/{id}/delete`.
pub async fn delete(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
) -> Response {
    let Some(principal) = viewer.principal.clone() else { return to_login() };
    let Some(id) = template_id(&id) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "payment template" });
    };
    match state.banking.delete_template(&context, &principal, id).await {
        Ok(()) => Redirect::to(&format!("{TEMPLATES_PAGE}?done=deleted")).into_response(),
        Err(error) => failure(&state, lang, &viewer, &error.into()),
    }
}
