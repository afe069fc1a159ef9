//! What every page shares — the layout's data, who is looking, rendering, the message, 404, 403
//! and 500 pages — and the accounts pages. Handlers are thin: obtain the partner, read through
//! `tiyn_api::access` (the one place that decides tenant isolation), turn domain values into
//! display rows, render.

use askama::Template;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tiyn_api::access::{CurrentPartner, partner_accounts};
use tiyn_api::authz::{CookieSession, csrf_token};
use tiyn_api::{ApiError, Lang};
use tiyn_core::access::{AccessLevel, Permission};
use tiyn_core::{BankPermission, OperatorRole};
use tiyn_identity::Principal;
use tiyn_ledger::AccountStatus;
use tiyn_store::Account;

use crate::WebState;
use crate::format;
use crate::i18n::{Texts, texts};
use crate::lang::PageLang;

/// Who is looking at a page: the principal the authorization middleware resolved (if any), and
/// the CSRF token of the session cookie, which every form of a signed-in page carries.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub principal: Option<Principal>,
    pub csrf: Option<String>,
}

impl Viewer {
    pub fn from_parts(parts: &Parts) -> Viewer {
        Viewer {
            principal: parts.extensions.get::<Principal>().cloned(),
            csrf: parts.extensions.get::<CookieSession>().map(|CookieSession(token)| csrf_token(token)),
        }
    }

    /// A page rendered after the session ended (logout, lost access): nobody is signed in.
    pub fn nobody() -> Viewer {
        Viewer::default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Viewer, Self::Rejection> {
        Ok(Viewer::from_parts(parts))
    }
}

/// The partner a page acts for, when the person is a partner's user (the middleware lets only them
/// into partner pages; `None` is kept for safety and answered with the login page).
#[derive(Debug, Clone)]
pub struct MaybePartner(pub Option<CurrentPartner>);

impl<S: Send + Sync> FromRequestParts<S> for MaybePartner {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<MaybePartner, Self::Rejection> {
        Ok(MaybePartner(CurrentPartner::from_parts(parts)))
    }
}

/// What the layout needs besides the texts.
pub struct PageMeta {
    pub lang: &'static str,
    pub languages: Vec<LanguageLink>,
    pub demo: bool,
    /// The navigation section to mark as current.
    pub section: &'static str,
    /// The signed-in user, for the navigation; `None` on the sign-in pages.
    pub user: Option<NavUser>,
    /// Where the brand link goes: the accounts, or the console for a bank operator.
    pub home: &'static str,
    /// The `_csrf` value of this page's forms; empty when no session cookie came.
    pub csrf: String,
}

pub struct LanguageLink {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
    pub href: String,
}

/// The signed-in user as the navigation shows them, with the sections their level (or, for a bank
/// operator, their role) opens.
pub struct NavUser {
    pub name: String,
    pub level: &'static str,
    pub accounts: bool,
    /// The payment documents (R-3.1.1.2).
    pub payments: bool,
    pub users: bool,
    pub audit: bool,
    pub api_keys: bool,
    /// A bank operator: the console's links instead of the partner's.
    pub operator: bool,
    pub bank_create: bool,
    pub bank_audit: bool,
    pub bank_operators: bool,
    /// The AML list.
    pub bank_aml: bool,
    /// The bank's FX rates: the partner's page, and the console's for every operator.
    pub rates: bool,
    pub bank_rates: bool,
    /// POS terminals and their operations (R-3.1.2.4).
    pub pos: bool,
    /// Notices and marketplace reports (R-3.1.2.8).
    pub messages: bool,
}

/// Where a signed-in person lands: a partner's user on the accounts, a bank operator on the
/// console.
pub fn home_of(principal: Option<&Principal>) -> &'static str {
    match principal {
        Some(principal) if principal.partner().is_none() => BANK_HOME,
        _ => ACCOUNTS_HOME,
    }
}

/// The partner's home.
pub const ACCOUNTS_HOME: &str = "/accounts";
/// The bank operator's console.
pub const BANK_HOME: &str = "/bank";

impl PageMeta {
    /// `here` is the address the language links reload (a GET route).
    pub fn new(lang: Lang, demo: bool, section: &'static str, here: &str, viewer: &Viewer) -> PageMeta {
        let languages = Lang::ALL
            .into_iter()
            .map(|other| LanguageLink {
                code: other.code(),
                name: texts(other).language_name,
                current: other == lang,
                href: format!("{here}?lang={}", other.code()),
            })
            .collect();
        let user = viewer.principal.as_ref().map(|principal| NavUser {
            name: principal.user().full_name.clone(),
            level: match principal.user().operator_role {
                Some(role) if principal.partner().is_none() => role_name(role, texts(lang)),
                _ => level_name(principal.level(), texts(lang)),
            },
            accounts: principal.allows(Permission::ViewAccounts),
            users: principal.allows(Permission::ManageUsers),
            payments: principal.allows(Permission::ViewPayments),
            audit: principal.allows(Permission::ViewAudit),
            api_keys: principal.allows(Permission::ManageApiKeys),
            operator: principal.partner().is_none(),
            bank_create: principal.allows_bank(BankPermission::CreatePartners),
            bank_audit: principal.allows_bank(BankPermission::ViewBankAudit),
            bank_operators: principal.allows_bank(BankPermission::ManageOperators),
            bank_aml: principal.allows_bank(BankPermission::ManageRestrictions),
            rates: principal.allows(Permission::ViewReferenceData),
            bank_rates: principal.partner().is_none(),
            pos: principal.partner().is_some() && principal.allows(Permission::ViewPos),
            // Notices and marketplace reports (R-3.1.2.8).
            messages: principal.partner().is_some() && principal.allows(Permission::ViewMessages),
        });
        PageMeta {
            lang: lang.code(),
            languages,
            demo,
            section,
            user,
            home: home_of(viewer.principal.as_ref()),
            csrf: viewer.csrf.clone().unwrap_or_default(),
        }
    }
}

/// An access level in words; `None` is a bank operator.
pub fn level_name(level: Option<AccessLevel>, t: &'static Texts) -> &'static str {
    match level {
        Some(AccessLevel::Full) => t.level_full,
        Some(AccessLevel::Confirm) => t.level_confirm,
        Some(AccessLevel::Create) => t.level_create,
        None => t.level_none,
    }
}

/// A bank operator's role in words.
pub fn role_name(role: OperatorRole, t: &'static Texts) -> &'static str {
    match role {
        OperatorRole::Administrator => t.role_administrator,
        OperatorRole::Security => t.role_security,
        OperatorRole::Viewer => t.role_viewer,
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
    pub fn new(account: &Account, lang: Lang) -> AccountRow {
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
    /// The accounts' active restrictions, for those allowed to see them.
    restrictions: Option<Vec<crate::bank_rules::OwnRestrictions>>,
    /// Each row links its statement (R-3.1.2.1) for those allowed to see statements.
    statements: bool,
}

#[derive(Template)]
#[template(path = "accounts_table.html")]
struct AccountsTable {
    t: &'static Texts,
    rows: Vec<AccountRow>,
    statements: bool,
}

/// A link under a message.
pub struct Link {
    pub href: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    t: &'static Texts,
    page: PageMeta,
    heading: &'static str,
    text: &'static str,
    link: Option<Link>,
}

/// `/` → `/accounts`: the accounts are the cabinet's home; a bank operator's is the console.
pub async fn home(viewer: Viewer) -> Redirect {
    Redirect::to(home_of(viewer.principal.as_ref()))
}

/// The partner's accounts with balance, available and held amounts (R-3.1.2.1, R-4.2).
pub async fn accounts(State(state): State<WebState>, lang: PageLang, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let viewer = Viewer::from_parts(&parts);
    let Some(partner) = CurrentPartner::from_parts(&parts) else {
        // The route needs a partner's permission, so the middleware let no one else in.
        return Redirect::to(tiyn_api::authz::LOGIN_PAGE).into_response();
    };
    let page = async {
        let Some(record) = state.store.partner(partner.id()).await.map_err(ApiError::from)? else {
            return Err(ApiError::Internal(format!("current partner {} does not exist", partner.id())));
        };
        let accounts = partner_accounts(state.store.as_ref(), &partner).await?;
        let restrictions = crate::bank_rules::own_restrictions(&state, &viewer, &accounts, lang.lang).await?;
        Ok(AccountsPage {
            restrictions,
            statements: may_view_statements(&viewer),
            t: texts(lang.lang),
            page: PageMeta::new(lang.lang, state.demo, "accounts", "/accounts", &viewer),
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
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}

/// The accounts table alone, for htmx's refresh.
pub async fn accounts_table(State(state): State<WebState>, lang: PageLang, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let viewer = Viewer::from_parts(&parts);
    let Some(partner) = CurrentPartner::from_parts(&parts) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match partner_accounts(state.store.as_ref(), &partner).await {
        Ok(accounts) => {
            let rows = accounts.iter().map(|account| AccountRow::new(account, lang.lang)).collect();
            let statements = may_view_statements(&viewer);
            render(&AccountsTable { t: texts(lang.lang), rows, statements }, StatusCode::OK, lang)
        }
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}

fn may_view_statements(viewer: &Viewer) -> bool {
    viewer.principal.as_ref().is_some_and(|principal| principal.allows(Permission::ViewStatements))
}

/// A page with a heading, a sentence and an optional link.
pub fn message(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    heading: &'static str,
    text: &'static str,
    link: Option<Link>,
) -> Response {
    let page = MessagePage {
        t: texts(lang.lang),
        page: PageMeta::new(lang.lang, state.demo, "", "/accounts", viewer),
        heading,
        text,
        link,
    };
    render(&page, status, lang)
}

/// The page for an unknown path (the router's fallback: nobody is resolved there).
pub fn not_found(lang: PageLang, demo: bool) -> Response {
    let t = texts(lang.lang);
    let page = MessagePage {
        t,
        page: PageMeta::new(lang.lang, demo, "", "/accounts", &Viewer::nobody()),
        heading: t.not_found_title,
        text: t.not_found_text,
        link: Some(home_link(&Viewer::nobody(), t)),
    };
    render(&page, StatusCode::NOT_FOUND, lang)
}

/// The link back home under an error: the accounts, or the console for a bank operator; `/` (which
/// sends each to theirs) when the page does not know who is looking (the router's fallback, the
/// middleware's refusal).
pub fn home_link(viewer: &Viewer, t: &'static Texts) -> Link {
    match &viewer.principal {
        None => Link { href: "/", label: t.to_home },
        Some(principal) if principal.partner().is_none() => Link { href: BANK_HOME, label: t.back_to_console },
        Some(_) => Link { href: ACCOUNTS_HOME, label: t.back_to_accounts },
    }
}

/// The page for a refused access level.
pub fn forbidden(lang: PageLang, demo: bool, viewer: &Viewer) -> Response {
    let t = texts(lang.lang);
    let page = MessagePage {
        t,
        page: PageMeta::new(lang.lang, demo, "", "/accounts", viewer),
        heading: t.forbidden_title,
        text: t.forbidden_text,
        link: Some(home_link(viewer, t)),
    };
    render(&page, StatusCode::FORBIDDEN, lang)
}

/// An error no form can show: 404 (an unknown or another partner's id: the same page, R-6.4.2),
/// 403, or 500 with the cause in the log only.
pub fn failure(state: &WebState, lang: PageLang, viewer: &Viewer, error: &ApiError) -> Response {
    let t = texts(lang.lang);
    let (status, heading, text) = match error.status() {
        StatusCode::NOT_FOUND => (StatusCode::NOT_FOUND, t.not_found_title, t.not_found_text),
        StatusCode::FORBIDDEN => return forbidden(lang, state.demo, viewer),
        _ => {
            tracing::error!(error = ?error, "page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, t.error_title, t.error_text)
        }
    };
    message(state, lang, viewer, status, heading, text, Some(home_link(viewer, t)))
}

pub fn render(template: &impl Template, status: StatusCode, lang: PageLang) -> Response {
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
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}
