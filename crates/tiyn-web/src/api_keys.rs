//! `/api-keys`: the keys of the partner's integrations (ERP, 1C), for its full-access users. A key
//! is limited to the create or confirm level and, if chosen, to some accounts; its secret is shown
//! once, right after it is issued, and is sent as `Authorization: Bearer`. Issuing and revoking
//! are `tiyn_identity`'s decisions (and audit records).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use tiyn_api::access::{CurrentPartner, partner_accounts};
use tiyn_api::authz::{LOGIN_PAGE, RequestContext};
use tiyn_api::{ApiError, Lang};
use tiyn_core::access::AccessLevel;
use tiyn_core::{AccountId, ApiKeyId};
use tiyn_store::{Account, ApiKeyRecord};

use crate::WebState;
use crate::format;
use crate::forms::{FormErrors, is_internal, status_of};
use crate::i18n::{Texts, texts};
use crate::lang::PageLang;
use crate::pages::{MaybePartner, PageMeta, Viewer, failure, level_name, render};
use crate::profile::DoneQuery;

pub const API_KEYS_PAGE: &str = "/api-keys";

/// The levels a key may have: never `full`.
const KEY_LEVELS: [AccessLevel; 2] = [AccessLevel::Create, AccessLevel::Confirm];

pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub level: &'static str,
    /// The accounts by name, or "all accounts".
    pub accounts: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub revoked: String,
    pub active: bool,
}

impl KeyRow {
    fn new(key: &ApiKeyRecord, names: &HashMap<AccountId, String>, lang: Lang) -> KeyRow {
        let t = texts(lang);
        let when = |at: Option<Timestamp>| at.map(|at| format::date_time(at, lang)).unwrap_or_default();
        KeyRow {
            id: key.id.get().to_string(),
            name: key.name.clone(),
            level: level_name(Some(key.level), t),
            accounts: if key.accounts.is_empty() {
                t.all_accounts.to_owned()
            } else {
                key.accounts
                    .iter()
                    .map(|id| names.get(id).cloned().unwrap_or_else(|| format!("#{}", id.get())))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            prefix: format!("{}…", key.prefix),
            created: format::date_time(key.created_at, lang),
            last_used: when(key.last_used_at),
            expires: when(key.expires_at),
            revoked: when(key.revoked_at),
            active: key.revoked_at.is_none(),
        }
    }
}

pub struct LevelChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct AccountChoice {
    pub id: String,
    pub label: String,
    pub checked: bool,
}

/// The issue form as typed (kept on a refusal).
#[derive(Debug, Clone, Default)]
pub struct KeyForm {
    pub name: String,
    pub level: String,
    pub accounts: Vec<String>,
    pub expires: String,
}

impl KeyForm {
    /// From the posted pairs: `accounts` repeats, one per ticked account.
    fn from_pairs(pairs: &[(String, String)]) -> KeyForm {
        let mut form = KeyForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "name" => form.name = value.clone(),
                "level" => form.level = value.clone(),
                "accounts" => form.accounts.push(value.clone()),
                "expires" => form.expires = value.clone(),
                _ => {}
            }
        }
        form
    }
}

/// A key just issued: its secret, shown on this page only.
pub struct Issued {
    pub name: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct ApiKeysPage {
    t: &'static Texts,
    page: PageMeta,
    rows: Vec<KeyRow>,
    issued: Option<Issued>,
    notice: Option<&'static str>,
    values: KeyForm,
    levels: Vec<LevelChoice>,
    accounts: Vec<AccountChoice>,
    issue_errors: FormErrors,
    /// Summary of a refused revocation, shown above the list.
    list_errors: FormErrors,
}

/// What the page shows besides the list.
#[derive(Default)]
struct Shown {
    issued: Option<Issued>,
    notice: Option<&'static str>,
    values: Option<KeyForm>,
    errors: FormErrors,
    list_errors: FormErrors,
}

async fn keys_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    partner: &CurrentPartner,
    status: StatusCode,
    shown: Shown,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return Redirect::to(LOGIN_PAGE).into_response() };
    let t = texts(lang.lang);
    let loaded = async {
        let keys = state.identity.api_keys(principal).await?;
        let accounts = partner_accounts(state.store.as_ref(), partner).await?;
        Ok::<_, ApiError>((keys, accounts))
    };
    let (keys, accounts) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return failure(state, lang, viewer, &error),
    };
    let names: HashMap<AccountId, String> = accounts.iter().map(|account| (account.id, account.name.clone())).collect();
    let values = shown
        .values
        .unwrap_or_else(|| KeyForm { level: AccessLevel::Create.as_str().to_owned(), ..KeyForm::default() });
    let page = ApiKeysPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "api_keys", API_KEYS_PAGE, viewer),
        rows: keys.iter().map(|key| KeyRow::new(key, &names, lang.lang)).collect(),
        issued: shown.issued,
        notice: shown.notice,
        levels: KEY_LEVELS
            .into_iter()
            .map(|level| LevelChoice {
                code: level.as_str(),
                label: level_name(Some(level), t),
                selected: level.as_str() == values.level,
            })
            .collect(),
        accounts: accounts
            .iter()
            .map(|account| {
                let id = account.id.get().to_string();
                AccountChoice { checked: values.accounts.contains(&id), label: account_label(account), id }
            })
            .collect(),
        values,
        issue_errors: shown.errors,
        list_errors: shown.list_errors,
    };
    render(&page, status, lang)
}

/// `Основной счёт (KZ…, KZT)`.
fn account_label(account: &Account) -> String {
    match &account.iban {
        Some(iban) => format!("{} ({}, {})", account.name, iban.grouped(), account.currency.code()),
        None => format!("{} ({})", account.name, account.currency.code()),
    }
}

/// `GET /api-keys`: the partner's keys and the form to issue one.
pub async fn list(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let Some(partner) = partner else { return Redirect::to(LOGIN_PAGE).into_response() };
    let notice = match query.map(|Query(query)| query.done).ok().flatten().as_deref() {
        Some("revoked") => Some(texts(lang.lang).api_key_revoked),
        _ => None,
    };
    keys_page(&state, lang, &viewer, &partner, StatusCode::OK, Shown { notice, ..Shown::default() }).await
}

const KEY_FIELDS: &[&str] = &["name", "level", "accounts", "expires"];

/// The expiry date as typed: the key works through that business day in Almaty, so it expires at
/// the start of the next one.
fn parse_expiry(text: &str) -> Result<Option<Timestamp>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|date| date.tomorrow().ok())
        .and_then(|next| next.to_zoned(format::almaty()).ok())
        .map(|zoned| Some(zoned.timestamp()))
        .ok_or_else(|| ApiError::invalid("expires", "invalid_date", "a date is YYYY-MM-DD"))
}

/// `POST /api-keys`: issues a key and shows its secret once, on this page (not cached, not
/// reachable again: the list shows only its first characters).
pub async fn issue(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    RequestContext(context): RequestContext,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (Some(partner), Some(principal)) = (partner, viewer.principal.clone()) else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let form = KeyForm::from_pairs(&pairs);
    let parsed = async {
        let level = AccessLevel::parse(form.level.trim())
            .map_err(|error| ApiError::invalid("level", error.code(), error.to_string()))?;
        let accounts = form
            .accounts
            .iter()
            .map(|id| id.trim().parse::<i64>().map(AccountId::new))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::invalid("accounts", "account_not_found", "account ids of the partner"))?;
        let expires_at = parse_expiry(&form.expires)?;
        let issued =
            state.identity.issue_api_key(&context, &principal, &form.name, level, accounts, expires_at).await?;
        Ok::<_, ApiError>(issued)
    };
    match parsed.await {
        Ok(issued) => {
            let shown =
                Shown { issued: Some(Issued { name: issued.key.name, secret: issued.secret }), ..Shown::default() };
            keys_page(&state, lang, &viewer, &partner, StatusCode::OK, shown).await
        }
        Err(error) if is_internal(&error) => failure(&state, lang, &viewer, &error),
        Err(error) => {
            // The form's date field is `expires`; the identity names the instant `expires_at`.
            let errors = FormErrors::from_api_renamed(&error, lang.lang, KEY_FIELDS, |field| match field {
                "expires_at" => "expires".to_owned(),
                other => other.to_owned(),
            });
            let shown = Shown { values: Some(form), errors, ..Shown::default() };
            keys_page(&state, lang, &viewer, &partner, status_of(&error), shown).await
        }
    }
}

/// `POST /api-keys/{id}/revoke`: the key stops working at once; another partner's key is not
/// found.
pub async fn revoke(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    MaybePartner(partner): MaybePartner,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
) -> Response {
    let (Some(partner), Some(principal)) = (partner, viewer.principal.clone()) else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let Some(id) = id.parse::<i64>().ok().filter(|id| *id > 0).map(ApiKeyId::new) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "api_key" });
    };
    match state.identity.revoke_api_key(&context, &principal, id).await.map_err(ApiError::from) {
        Ok(()) => Redirect::to(&format!("{API_KEYS_PAGE}?done=revoked")).into_response(),
        Err(error) if is_internal(&error) || error.status() == StatusCode::NOT_FOUND => {
            failure(&state, lang, &viewer, &error)
        }
        Err(error) => {
            let list_errors = FormErrors::from_api(&error, lang.lang, &[]);
            let shown = Shown { list_errors, ..Shown::default() };
            keys_page(&state, lang, &viewer, &partner, status_of(&error), shown).await
        }
    }
}
