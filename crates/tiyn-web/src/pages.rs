//! The cabinet's pages. Handlers are thin: obtain the partner, read through `tiyn_api::access`
//! (the one place that decides tenant isolation), turn domain values into display rows, render.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tiyn_api::access::{CurrentPartner, partner_accounts};
use tiyn_api::{ApiError, Lang};
use tiyn_ledger::AccountStatus;
use tiyn_store::Account;

use crate::WebState;
use crate::format;
use crate::i18n::{Texts, texts};
use crate::lang::PageLang;

/// What the layout needs besides the texts.
pub struct PageMeta {
    pub lang: &'static str,
    pub languages: Vec<LanguageLink>,
    pub demo: bool,
    /// The navigation section to mark as current.
    pub section: &'static str,
}

pub struct LanguageLink {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
}

impl PageMeta {
    fn new(lang: Lang, demo: bool, section: &'static str) -> PageMeta {
        let languages = Lang::ALL
            .into_iter()
            .map(|other| LanguageLink { code: other.code(), name: texts(other).language_name, current: other == lang })
            .collect();
        PageMeta { lang: lang.code(), languages, demo, section }
    }
}

pub struct PartnerView {
    pub name: String,
    pub bin: String,
    pub address: String,
}

/// One account as the table shows it: every value already formatted for the page's language.
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub iban: String,
    pub currency: &'static str,
    pub balance: String,
    pub available: String,
    pub held: String,
    pub status: &'static str,
    pub status_code: &'static str,
}

impl AccountRow {
    fn new(account: &Account, lang: Lang) -> AccountRow {
        let t = texts(lang);
        AccountRow {
            id: account.id.to_string(),
            name: account.name.clone(),
            iban: account.iban.as_ref().map(|iban| iban.grouped()).unwrap_or_default(),
            currency: account.currency.code(),
            balance: format::money(account.balance, lang),
            available: format::money(account.available(), lang),
            held: format::money(account.held, lang),
            status: match account.status {
                AccountStatus::Open => t.status_open,
                AccountStatus::Closed => t.status_closed,
            },
            status_code: account.status.as_str(),
        }
    }
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    t: &'static Texts,
    page: PageMeta,
    partner: PartnerView,
    rows: Vec<AccountRow>,
}

#[derive(Template)]
#[template(path = "accounts_table.html")]
struct AccountsTable {
    t: &'static Texts,
    rows: Vec<AccountRow>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    t: &'static Texts,
    page: PageMeta,
    heading: &'static str,
    text: &'static str,
    show_back: bool,
}

/// `/` → `/accounts`: the accounts are the cabinet's home.
pub async fn home() -> Redirect {
    Redirect::to("/accounts")
}

/// The partner's accounts with balance, available and held amounts (R-3.1.2.1, R-4.2).
pub async fn accounts(State(state): State<WebState>, lang: PageLang, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let Some(partner) = CurrentPartner::from_parts(&parts) else {
        return signed_out(&state, lang);
    };
    let page = async {
        let Some(record) = state.store.partner(partner.id()).await.map_err(ApiError::from)? else {
            return Err(ApiError::Internal(format!("current partner {} does not exist", partner.id())));
        };
        let accounts = partner_accounts(state.store.as_ref(), &partner).await?;
        Ok(AccountsPage {
            t: texts(lang.lang),
            page: PageMeta::new(lang.lang, state.demo, "accounts"),
            partner: PartnerView {
                name: record.name,
                bin: record.bin.as_str().to_owned(),
                address: record.legal_address,
            },
            rows: accounts.iter().map(|account| AccountRow::new(account, lang.lang)).collect(),
        })
    };
    match page.await {
        Ok(page) => render(&page, StatusCode::OK, lang),
        Err(error) => failure(&state, lang, &error),
    }
}

/// The accounts table alone, for htmx's refresh.
pub async fn accounts_table(State(state): State<WebState>, lang: PageLang, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let Some(partner) = CurrentPartner::from_parts(&parts) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match partner_accounts(state.store.as_ref(), &partner).await {
        Ok(accounts) => {
            let rows = accounts.iter().map(|account| AccountRow::new(account, lang.lang)).collect();
            render(&AccountsTable { t: texts(lang.lang), rows }, StatusCode::OK, lang)
        }
        Err(error) => failure(&state, lang, &error),
    }
}

/// The page for an unknown path.
pub fn not_found(lang: PageLang, demo: bool) -> Response {
    let t = texts(lang.lang);
    let page = MessagePage {
        t,
        page: PageMeta::new(lang.lang, demo, ""),
        heading: t.not_found_title,
        text: t.not_found_text,
        show_back: true,
    };
    render(&page, StatusCode::NOT_FOUND, lang)
}

/// Outside demo mode there is no way to sign in yet (login is the next issue): say so.
fn signed_out(state: &WebState, lang: PageLang) -> Response {
    let t = texts(lang.lang);
    let page = MessagePage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "accounts"),
        heading: t.signed_out_title,
        text: t.signed_out_text,
        show_back: false,
    };
    render(&page, StatusCode::UNAUTHORIZED, lang)
}

fn failure(state: &WebState, lang: PageLang, error: &ApiError) -> Response {
    let t = texts(lang.lang);
    let (status, heading, text) = match error.status() {
        StatusCode::NOT_FOUND => (StatusCode::NOT_FOUND, t.not_found_title, t.not_found_text),
        _ => {
            tracing::error!(error = ?error, "page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, t.error_title, t.error_text)
        }
    };
    let page = MessagePage { t, page: PageMeta::new(lang.lang, state.demo, ""), heading, text, show_back: true };
    render(&page, status, lang)
}

fn render(template: &impl Template, status: StatusCode, lang: PageLang) -> Response {
    let mut response = match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(error = %error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.lang.code()));
    // Pages show balances: never keep them in shared caches or the browser's disk cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The page depends on these headers; caches that ignore no-store must not mix languages.
    headers.insert(header::VARY, HeaderValue::from_static("Cookie, Accept-Language"));
    if lang.chosen
        && let Ok(cookie) = HeaderValue::from_str(&lang.cookie())
    {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}
