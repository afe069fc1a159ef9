//! `/bank`: the console of the bank's operators.
//! Partners connected from their applications, their accounts and users; blocks, unblocks and
//! lockouts lifted by the bank; the whole audit trail; new operators.
//!
//! The routes' rules let only operators in (and only the roles each needs); on top of that, each
//! handler obtains a [`BankActor`] from the principal, so nothing here runs for a partner's user
//! even if a rule were wrong. Every decision and audit record is `tiyn_identity`'s.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiyn_api::admin::{ApplicationAccountRequest, ApplicationUserRequest, CreateOperatorRequest, CreatePartnerRequest};
use tiyn_api::authz::RequestContext;
use tiyn_api::{ApiError, Lang};
use tiyn_core::access::{AccessLevel, InformationRestrictions, Permission};
use tiyn_core::{BankPermission, OperatorRole, PartnerId, UserId};
use tiyn_identity::{BankActor, Context};
use tiyn_store::{AuditQuery, Partner, User, UserStatus};

use crate::WebState;
use crate::audit::{AUDIT_PAGE_SIZE, AuditRow, day_start, parse_date};
use crate::format;
use crate::forms::{FormErrors, checked, is_internal, status_of};
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{AccountRow, BANK_HOME, PageMeta, Viewer, failure, forbidden, render, role_name};
use crate::profile::DoneQuery;
use crate::users::{LevelOption, UserRow, level_options};

/// Account rows of the application form; empty rows are ignored.
pub const APPLICATION_ACCOUNT_ROWS: usize = 3;
/// User rows of the application form; empty rows are ignored.
pub const APPLICATION_USER_ROWS: usize = 3;
/// The currencies the form offers for a new account.
const CURRENCIES: [&str; 5] = ["KZT", "USD", "EUR", "RUB", "CNY"];

/// The signed-in operator as the bank's use cases take them; `None` for anyone else.
fn actor_of(viewer: &Viewer) -> Option<BankActor> {
    viewer.principal.as_ref().and_then(BankActor::operator)
}

fn allows(viewer: &Viewer, permission: BankPermission) -> bool {
    viewer.principal.as_ref().is_some_and(|principal| principal.allows_bank(permission))
}

fn parse_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

fn done(query: Result<Query<DoneQuery>, QueryRejection>) -> Option<String> {
    query.map(|Query(query)| query.done).ok().flatten()
}

// ----- partners -----

pub struct PartnerRow {
    pub id: String,
    pub name: String,
    pub bin: String,
    pub address: String,
    pub created: String,
}

impl PartnerRow {
    fn new(partner: &Partner, lang: Lang) -> PartnerRow {
        PartnerRow {
            id: partner.id.get().to_string(),
            name: partner.name.clone(),
            bin: partner.bin.as_str().to_owned(),
            address: partner.legal_address.clone(),
            created: format::date_time(partner.created_at, lang),
        }
    }
}

#[derive(Template)]
#[template(path = "bank_partners.html")]
struct PartnersPage {
    t: &'static Texts,
    page: PageMeta,
    rows: Vec<PartnerRow>,
    can_create: bool,
}

/// `GET /bank`: the console's home, every partner by id.
pub async fn home(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
) -> Response {
    let Some(actor) = actor_of(&viewer) else { return forbidden(lang, state.demo, &viewer) };
    match state.identity.bank_partners(&context, &actor).await {
        Ok(partners) => {
            let page = PartnersPage {
                t: texts(lang.lang),
                page: PageMeta::new(lang.lang, state.demo, "bank", BANK_HOME, &viewer),
                rows: partners.iter().map(|partner| PartnerRow::new(partner, lang.lang)).collect(),
                can_create: allows(&viewer, BankPermission::CreatePartners),
            };
            render(&page, StatusCode::OK, lang)
        }
        Err(error) => failure(&state, lang, &viewer, &error.into()),
    }
}

/// A partner's user as the bank sees them: status, block, lockout.
pub struct BankUserRow {
    pub user: UserRow,
    /// "3 failed attempts", "sign-in closed until 10:20", "closed until the bank lifts it".
    pub lockout: String,
    pub locked: bool,
    pub blocked: bool,
}

impl BankUserRow {
    fn new(user: &User, now: jiff::Timestamp, lang: Lang) -> BankUserRow {
        let t = texts(lang);
        let lockout = &user.lockout;
        let text = if lockout.blocked {
            t.lockout_blocked.to_owned()
        } else if let Some(until) = lockout.locked_until.filter(|until| *until > now) {
            fill(t.lockout_until, &[("until", &format::date_time(until, lang))])
        } else if lockout.consecutive_failures > 0 {
            fill(t.lockout_failures, &[("count", &lockout.consecutive_failures.to_string())])
        } else {
            String::new()
        };
        BankUserRow {
            user: UserRow::new(user, lang),
            lockout: text,
            locked: user.lockout != Default::default(),
            blocked: user.status == UserStatus::Blocked,
        }
    }
}

#[derive(Template)]
#[template(path = "bank_partner.html")]
struct PartnerPage {
    t: &'static Texts,
    page: PageMeta,
    partner: PartnerRow,
    accounts: Vec<AccountRow>,
    users: Vec<BankUserRow>,
    notice: Option<&'static str>,
    errors: FormErrors,
    can_block: bool,
    /// The information services the bank may withhold from the create level.
    services: Vec<ServiceToggle>,
    can_configure: bool,
    /// The payment rules and the accounts' restrictions (issue 4).
    rules: crate::bank_rules::RulesSection,
}

/// One information service on the partner page, ticked when withheld from the create level.
pub struct ServiceToggle {
    /// The permission's name, the form's value.
    pub name: &'static str,
    pub label: &'static str,
    pub withheld: bool,
}

fn service_label(t: &'static Texts, permission: Permission) -> &'static str {
    match permission {
        Permission::ViewAccounts => t.service_view_accounts,
        Permission::ViewAccountRestrictions => t.service_view_account_restrictions,
        Permission::ViewStatements => t.service_view_statements,
        Permission::ExportStatements => t.service_export_statements,
        Permission::ViewPayments => t.service_view_payments,
        Permission::ViewReferenceData => t.service_view_reference_data,
        Permission::ViewPos => t.service_view_pos,
        Permission::ViewPlannedCredits => t.service_view_planned_credits,
        _ => t.service_view_messages,
    }
}

#[allow(clippy::too_many_arguments)]
async fn partner_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    context: &Context,
    id: PartnerId,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: FormErrors,
) -> Response {
    let input = crate::bank_rules::RulesInput::default();
    partner_page_with(state, lang, viewer, context, id, status, notice, errors, input).await
}

/// The partner's page, with what was typed into a refused payment-rules form.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn partner_page_with(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    context: &Context,
    id: PartnerId,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: FormErrors,
    input: crate::bank_rules::RulesInput,
) -> Response {
    let Some(actor) = actor_of(viewer) else { return forbidden(lang, state.demo, viewer) };
    let overview = match state.identity.bank_partner(context, &actor, id).await {
        Ok(overview) => overview,
        Err(error) => return failure(state, lang, viewer, &error.into()),
    };
    let now = state.identity.now();
    let here = format!("/bank/partners/{}", id.get());
    let t = texts(lang.lang);
    let services = Permission::ALL
        .into_iter()
        .filter(|permission| permission.is_information_service())
        .map(|permission| ServiceToggle {
            name: permission.as_str(),
            label: service_label(t, permission),
            withheld: overview.partner.withheld.contains(permission),
        })
        .collect();
    let rules =
        crate::bank_rules::section(state, lang.lang, viewer, id, &overview.accounts, &overview.users, &errors, &input)
            .await;
    let rules = match rules {
        Ok(rules) => rules,
        Err(error) => return failure(state, lang, viewer, &error),
    };
    let page = PartnerPage {
        rules,
        services,
        can_configure: allows(viewer, BankPermission::CreatePartners),
        t: texts(lang.lang),
        page: PageMeta::new(lang.lang, state.demo, "bank", &here, viewer),
        partner: PartnerRow::new(&overview.partner, lang.lang),
        accounts: overview.accounts.iter().map(|account| AccountRow::new(account, lang.lang)).collect(),
        users: overview.users.iter().map(|user| BankUserRow::new(user, now, lang.lang)).collect(),
        notice,
        errors,
        can_block: allows(viewer, BankPermission::BlockUsers),
    };
    render(&page, status, lang)
}

/// `GET /bank/partners/{id}`: the partner with its accounts and users.
pub async fn partner(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let Some(id) = parse_id(&id).map(PartnerId::new) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "partner" });
    };
    let t = texts(lang.lang);
    let notice = match done(query).as_deref() {
        Some("created") => Some(t.partner_created),
        Some("blocked") => Some(t.user_blocked),
        Some("unblocked") => Some(t.user_unblocked),
        Some("lockout_cleared") => Some(t.lockout_cleared),
        Some("services") => Some(t.services_saved),
        Some("tariff") => Some(t.tariff_saved),
        Some("limit_added") => Some(t.limit_added),
        Some("limit_removed") => Some(t.limit_removed),
        Some("kinds") => Some(t.kinds_saved),
        Some("restriction_added") => Some(t.restriction_added),
        Some("restriction_lifted") => Some(t.restriction_lifted_notice),
        _ => None,
    };
    partner_page(&state, lang, &viewer, &context, id, StatusCode::OK, notice, FormErrors::none()).await
}

/// `POST /bank/partners/{id}/services`: the information services withheld from the partner's
/// create level; every ticked `withheld` value is one.
pub async fn set_services(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let Some(actor) = actor_of(&viewer) else { return forbidden(lang, state.demo, &viewer) };
    let Some(id) = parse_id(&id).map(PartnerId::new) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "partner" });
    };
    let withheld = fields
        .iter()
        .filter(|(name, _)| name == "withheld")
        .map(|(_, value)| Permission::parse(value))
        .collect::<Result<Vec<_>, _>>()
        .ok()
        .and_then(|permissions| InformationRestrictions::new(permissions).ok());
    let Some(withheld) = withheld else {
        let error = ApiError::invalid("withheld", "invalid_permission", "only information services can be withheld");
        let errors = FormErrors::from_api(&error, lang.lang, &[]);
        return partner_page(&state, lang, &viewer, &context, id, StatusCode::UNPROCESSABLE_ENTITY, None, errors).await;
    };
    match state.identity.set_withheld_services(&context, &actor, id, withheld).await {
        Ok(()) => Redirect::to(&format!("/bank/partners/{}?done=services#services", id.get())).into_response(),
        Err(error) => failure(&state, lang, &viewer, &error.into()),
    }
}

/// What the bank does to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserAction {
    Block,
    Unblock,
    ClearLockout,
}

impl UserAction {
    fn done(self) -> &'static str {
        match self {
            UserAction::Block => "blocked",
            UserAction::Unblock => "unblocked",
            UserAction::ClearLockout => "lockout_cleared",
        }
    }
}

async fn user_action(
    state: WebState,
    lang: PageLang,
    viewer: Viewer,
    context: Context,
    id: String,
    action: UserAction,
) -> Response {
    let Some(actor) = actor_of(&viewer) else { return forbidden(lang, state.demo, &viewer) };
    let Some(id) = parse_id(&id).map(UserId::new) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "user" });
    };
    let result = match action {
        UserAction::Block => state.identity.bank_block_user(&context, &actor, id).await,
        UserAction::Unblock => state.identity.bank_unblock_user(&context, &actor, id).await,
        UserAction::ClearLockout => state.identity.clear_lockout(&context, &actor, id).await,
    };
    let partner = match state.store.user(id).await {
        Ok(user) => user.and_then(|user| user.partner),
        Err(error) => return failure(&state, lang, &viewer, &error.into()),
    };
    match result.map_err(ApiError::from) {
        Ok(()) => match partner {
            Some(partner) => {
                Redirect::to(&format!("/bank/partners/{}?done={}#users", partner.get(), action.done())).into_response()
            }
            None => Redirect::to(BANK_HOME).into_response(),
        },
        Err(error) if is_internal(&error) || error.status() == StatusCode::NOT_FOUND => {
            failure(&state, lang, &viewer, &error)
        }
        Err(error) => {
            let errors = FormErrors::from_api(&error, lang.lang, &[]);
            match partner {
                Some(partner) => {
                    partner_page(&state, lang, &viewer, &context, partner, status_of(&error), None, errors).await
                }
                None => failure(&state, lang, &viewer, &error),
            }
        }
    }
}

/// `POST /bank/users/{id}/block`: the user's sessions end at once.
pub async fn block_user(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
) -> Response {
    user_action(state, lang, viewer, context, id, UserAction::Block).await
}

/// `POST /bank/users/{id}/unblock`: lifts any block, the bank's, the partner's or after lost
/// access.
pub async fn unblock_user(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
) -> Response {
    user_action(state, lang, viewer, context, id, UserAction::Unblock).await
}

/// `POST /bank/users/{id}/clear-lockout`: lifts a lockout after failed attempts.
pub async fn clear_lockout(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
) -> Response {
    user_action(state, lang, viewer, context, id, UserAction::ClearLockout).await
}

// ----- a partner from its application -----

#[derive(Debug, Clone, Default)]
pub struct AccountLine {
    pub currency: String,
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct UserLine {
    pub full_name: String,
    pub mobile: String,
    pub email: String,
    pub level: String,
    pub consent: bool,
}

impl UserLine {
    fn is_empty(&self) -> bool {
        [&self.full_name, &self.mobile, &self.email].iter().all(|text| text.trim().is_empty())
    }
}

/// The application as typed: fixed rows of accounts and users.
#[derive(Debug, Clone)]
pub struct ApplicationForm {
    pub name: String,
    pub bin: String,
    pub legal_address: String,
    pub accounts: Vec<AccountLine>,
    pub users: Vec<UserLine>,
}

impl Default for ApplicationForm {
    fn default() -> ApplicationForm {
        let mut users = vec![UserLine::default(); APPLICATION_USER_ROWS];
        for (index, user) in users.iter_mut().enumerate() {
            let level = if index == 0 { AccessLevel::Full } else { AccessLevel::Confirm };
            user.level = level.as_str().to_owned();
        }
        let accounts =
            vec![AccountLine { currency: CURRENCIES[0].to_owned(), name: String::new() }; APPLICATION_ACCOUNT_ROWS];
        ApplicationForm { name: String::new(), bin: String::new(), legal_address: String::new(), accounts, users }
    }
}

/// `accounts[1].name` → `("accounts", 1, "name")`.
fn indexed(name: &str) -> Option<(&str, usize, &str)> {
    let (list, rest) = name.split_once('[')?;
    let (index, field) = rest.split_once("].")?;
    Some((list, index.parse().ok()?, field))
}

impl ApplicationForm {
    fn from_pairs(pairs: &[(String, String)]) -> ApplicationForm {
        let mut form = ApplicationForm::default();
        for user in &mut form.users {
            user.level.clear();
        }
        for (name, value) in pairs {
            match (name.as_str(), indexed(name)) {
                ("name", _) => form.name = value.clone(),
                ("bin", _) => form.bin = value.clone(),
                ("legal_address", _) => form.legal_address = value.clone(),
                (_, Some(("accounts", index, field))) if index < APPLICATION_ACCOUNT_ROWS => {
                    let line = &mut form.accounts[index];
                    match field {
                        "currency" => line.currency = value.clone(),
                        "name" => line.name = value.clone(),
                        _ => {}
                    }
                }
                (_, Some(("users", index, field))) if index < APPLICATION_USER_ROWS => {
                    let line = &mut form.users[index];
                    match field {
                        "full_name" => line.full_name = value.clone(),
                        "mobile" => line.mobile = value.clone(),
                        "email" => line.email = value.clone(),
                        "level" => line.level = value.clone(),
                        "consent" => line.consent = checked(&Some(value.clone())),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        form
    }

    /// The request of the operator API, without the empty rows; with, for each kept row, its row
    /// in the form (to put a refusal of `users[0]` next to the row it came from).
    fn request(&self) -> (CreatePartnerRequest, Vec<usize>, Vec<usize>) {
        let kept_accounts: Vec<usize> =
            (0..self.accounts.len()).filter(|i| !self.accounts[*i].name.trim().is_empty()).collect();
        let kept_users: Vec<usize> = (0..self.users.len()).filter(|i| !self.users[*i].is_empty()).collect();
        let request = CreatePartnerRequest {
            name: self.name.clone(),
            bin: self.bin.clone(),
            legal_address: self.legal_address.clone(),
            accounts: kept_accounts
                .iter()
                .map(|i| ApplicationAccountRequest {
                    currency: self.accounts[*i].currency.clone(),
                    name: self.accounts[*i].name.clone(),
                })
                .collect(),
            users: kept_users
                .iter()
                .map(|i| {
                    let line = &self.users[*i];
                    ApplicationUserRequest {
                        full_name: line.full_name.clone(),
                        mobile: line.mobile.trim().to_owned(),
                        email: Some(line.email.trim().to_owned()).filter(|email| !email.is_empty()),
                        level: line.level.trim().to_owned(),
                        consent: line.consent,
                    }
                })
                .collect(),
        };
        (request, kept_accounts, kept_users)
    }
}

/// The form's field names: the API's, with the rows' indexes.
fn application_fields() -> Vec<String> {
    let mut fields: Vec<String> = ["name", "bin", "legal_address"].map(str::to_owned).to_vec();
    for index in 0..APPLICATION_ACCOUNT_ROWS {
        fields.extend(["currency", "name"].map(|field| format!("accounts[{index}].{field}")));
    }
    for index in 0..APPLICATION_USER_ROWS {
        fields.extend(
            ["full_name", "mobile", "email", "level", "consent"].map(|field| format!("users[{index}].{field}")),
        );
    }
    fields
}

pub struct CurrencyOption {
    pub code: &'static str,
    pub selected: bool,
}

/// One account row of the form, with its refusals.
pub struct AccountLineView {
    pub index: usize,
    pub name: String,
    pub currencies: Vec<CurrencyOption>,
    pub name_error: Option<String>,
    pub currency_error: Option<String>,
}

/// One user row of the form, with its refusals.
pub struct UserLineView {
    pub index: usize,
    pub number: usize,
    pub full_name: String,
    pub mobile: String,
    pub email: String,
    pub levels: Vec<LevelOption>,
    pub consent: bool,
    pub full_name_error: Option<String>,
    pub mobile_error: Option<String>,
    pub email_error: Option<String>,
    pub level_error: Option<String>,
    pub consent_error: Option<String>,
}

#[derive(Template)]
#[template(path = "bank_partner_new.html")]
struct NewPartnerPage {
    t: &'static Texts,
    page: PageMeta,
    name: String,
    bin: String,
    legal_address: String,
    accounts: Vec<AccountLineView>,
    users: Vec<UserLineView>,
    errors: FormErrors,
}

fn new_partner_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    form: ApplicationForm,
    errors: FormErrors,
) -> Response {
    let t = texts(lang.lang);
    let error = |name: String| errors.field(&name).map(str::to_owned);
    let accounts = form
        .accounts
        .iter()
        .enumerate()
        .map(|(index, line)| AccountLineView {
            index,
            name: line.name.clone(),
            currencies: CURRENCIES
                .iter()
                .map(|code| CurrencyOption { code, selected: *code == line.currency })
                .collect(),
            name_error: error(format!("accounts[{index}].name")),
            currency_error: error(format!("accounts[{index}].currency")),
        })
        .collect();
    let users = form
        .users
        .iter()
        .enumerate()
        .map(|(index, line)| UserLineView {
            index,
            number: index + 1,
            full_name: line.full_name.clone(),
            mobile: line.mobile.clone(),
            email: line.email.clone(),
            levels: level_options(&line.level, t),
            consent: line.consent,
            full_name_error: error(format!("users[{index}].full_name")),
            mobile_error: error(format!("users[{index}].mobile")),
            email_error: error(format!("users[{index}].email")),
            level_error: error(format!("users[{index}].level")),
            consent_error: error(format!("users[{index}].consent")),
        })
        .collect();
    let page = NewPartnerPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "bank_new", "/bank/partners/new", viewer),
        name: form.name,
        bin: form.bin,
        legal_address: form.legal_address,
        accounts,
        users,
        errors,
    };
    render(&page, status, lang)
}

/// `GET /bank/partners/new`: the application form.
pub async fn new_partner_form(State(state): State<WebState>, lang: PageLang, viewer: Viewer) -> Response {
    new_partner_page(&state, lang, &viewer, StatusCode::OK, ApplicationForm::default(), FormErrors::none())
}

/// Renames `users[0].mobile` (the request's first kept row) to the form's row.
fn rename_row(field: &str, kept_accounts: &[usize], kept_users: &[usize]) -> String {
    match indexed(field) {
        Some((list @ "accounts", index, rest)) => {
            kept_accounts.get(index).map_or_else(|| list.to_owned(), |row| format!("{list}[{row}].{rest}"))
        }
        Some((list @ "users", index, rest)) => {
            kept_users.get(index).map_or_else(|| list.to_owned(), |row| format!("{list}[{row}].{rest}"))
        }
        _ => field.to_owned(),
    }
}

/// `POST /bank/partners`: creates the partner, its accounts with the bank's IBANs and its users
/// pending activation. Refusals are shown next to the row they concern.
pub async fn create_partner(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(actor) = actor_of(&viewer) else { return forbidden(lang, state.demo, &viewer) };
    let form = ApplicationForm::from_pairs(&pairs);
    let (request, kept_accounts, kept_users) = form.request();
    let created = async {
        let application = request.into_application()?;
        Ok::<_, ApiError>(
            state.identity.create_partner_from_application(&context, &actor, &state.bank, application).await?,
        )
    };
    match created.await {
        Ok(overview) => {
            Redirect::to(&format!("/bank/partners/{}?done=created", overview.partner.id.get())).into_response()
        }
        Err(error) if is_internal(&error) => failure(&state, lang, &viewer, &error),
        Err(error) => {
            let fields = application_fields();
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            let errors = FormErrors::from_api_renamed(&error, lang.lang, &fields, |field| {
                rename_row(field, &kept_accounts, &kept_users)
            });
            new_partner_page(&state, lang, &viewer, status_of(&error), form, errors)
        }
    }
}

// ----- the whole audit trail -----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BankAuditParams {
    pub partner: String,
    pub from: String,
    pub to: String,
    pub before: String,
}

pub struct PartnerOption {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "bank_audit.html")]
struct BankAuditPage {
    t: &'static Texts,
    page: PageMeta,
    partners: Vec<PartnerOption>,
    from: String,
    to: String,
    rows: Vec<AuditRow>,
    show_partner: bool,
    next: Option<String>,
    paged: bool,
    errors: FormErrors,
}

/// `GET /bank/audit?partner=ID&from=YYYY-MM-DD&to=YYYY-MM-DD&before=ID`: every partner's trail and
/// the bank's own, newest first, by pages.
pub async fn audit(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    params: Result<Query<BankAuditParams>, QueryRejection>,
) -> Response {
    let Some(actor) = actor_of(&viewer) else { return forbidden(lang, state.demo, &viewer) };
    let t = texts(lang.lang);
    let params = params.map(|Query(params)| params).unwrap_or_default();
    let partner = parse_id(params.partner.trim()).map(PartnerId::new);
    let before = params.before.trim().parse::<i64>().ok();
    let mut errors = FormErrors::none();
    let (from, to) = match (parse_date(&params.from), parse_date(&params.to)) {
        (Ok(from), Ok(to)) => (from, to),
        (from, to) => {
            errors = FormErrors::on(if from.is_err() { "from" } else { "to" }, "invalid_date", t.invalid_date);
            (from.unwrap_or(None), to.unwrap_or(None))
        }
    };
    let query = AuditQuery {
        partner,
        actor: None,
        from: from.and_then(day_start),
        to: to.and_then(|date| date.tomorrow().ok()).and_then(day_start),
        before_id: before,
        limit: AUDIT_PAGE_SIZE,
    };
    let loaded = async {
        let view = state.identity.bank_audit(&context, &actor, query).await?;
        let partners = state.store.partners().await?;
        let mut names: HashMap<UserId, String> = HashMap::new();
        for id in view.records.iter().filter_map(|record| record.record.actor) {
            if !names.contains_key(&id)
                && let Some(user) = state.store.user(id).await?
            {
                names.insert(id, user.full_name);
            }
        }
        Ok::<_, ApiError>((view, partners, names))
    };
    let (view, mut partners, names) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return failure(&state, lang, &viewer, &error),
    };
    partners.sort_by_key(|partner| partner.id);
    let partner_names: HashMap<PartnerId, String> =
        partners.iter().map(|partner| (partner.id, partner.name.clone())).collect();
    let rows = view
        .records
        .iter()
        .map(|record| crate::audit::row(record, &names, Some(&partner_names), t, lang.lang))
        .collect();
    let next = view.next_before_id.map(|id| {
        let mut href = format!("/bank/audit?before={id}");
        if let Some(partner) = partner {
            href.push_str(&format!("&partner={}", partner.get()));
        }
        if let Some(from) = from {
            href.push_str(&format!("&from={from}"));
        }
        if let Some(to) = to {
            href.push_str(&format!("&to={to}"));
        }
        href
    });
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = BankAuditPage {
        show_partner: true,
        t,
        page: PageMeta::new(lang.lang, state.demo, "bank_audit", "/bank/audit", &viewer),
        partners: partners
            .iter()
            .map(|known| PartnerOption {
                id: known.id.get().to_string(),
                name: known.name.clone(),
                selected: Some(known.id) == partner,
            })
            .collect(),
        from: params.from.trim().to_owned(),
        to: params.to.trim().to_owned(),
        rows,
        next,
        paged: before.is_some(),
        errors,
    };
    render(&page, status, lang)
}

// ----- operators -----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OperatorForm {
    pub full_name: String,
    pub mobile: String,
    pub email: String,
    pub role: String,
}

pub struct RoleOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "bank_operator_new.html")]
struct NewOperatorPage {
    t: &'static Texts,
    page: PageMeta,
    values: OperatorForm,
    roles: Vec<RoleOption>,
    notice: Option<&'static str>,
    errors: FormErrors,
}

fn new_operator_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<&'static str>,
    values: OperatorForm,
    errors: FormErrors,
) -> Response {
    let t = texts(lang.lang);
    let selected = if values.role.is_empty() { OperatorRole::Viewer.as_str() } else { values.role.as_str() };
    let roles = OperatorRole::ALL
        .into_iter()
        .map(|role| RoleOption { code: role.as_str(), label: role_name(role, t), selected: role.as_str() == selected })
        .collect();
    let page = NewOperatorPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "bank_operators", "/bank/operators/new", viewer),
        values,
        roles,
        notice,
        errors,
    };
    render(&page, status, lang)
}

/// `GET /bank/operators/new`.
pub async fn new_operator_form(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let notice = (done(query).as_deref() == Some("created")).then_some(texts(lang.lang).operator_created);
    new_operator_page(&state, lang, &viewer, StatusCode::OK, notice, OperatorForm::default(), FormErrors::none())
}

const OPERATOR_FIELDS: &[&str] = &["full_name", "mobile", "email", "role"];

/// `POST /bank/operators`: a new operator, pending activation.
pub async fn create_operator(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<OperatorForm>,
) -> Response {
    let Some(actor) = actor_of(&viewer) else { return forbidden(lang, state.demo, &viewer) };
    let request = CreateOperatorRequest {
        full_name: form.full_name.clone(),
        mobile: form.mobile.trim().to_owned(),
        email: Some(form.email.trim().to_owned()).filter(|email| !email.is_empty()),
        role: form.role.trim().to_owned(),
    };
    let created = async {
        let operator = request.into_operator()?;
        Ok::<_, ApiError>(state.identity.create_operator(&context, &actor, operator).await?)
    };
    match created.await {
        Ok(_) => Redirect::to("/bank/operators/new?done=created").into_response(),
        Err(error) if is_internal(&error) => failure(&state, lang, &viewer, &error),
        Err(error) => {
            let errors = FormErrors::from_api(&error, lang.lang, OPERATOR_FIELDS);
            new_operator_page(&state, lang, &viewer, status_of(&error), None, form, errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_rows_are_ignored_and_refusals_go_back_to_their_row() {
        let pairs: Vec<(String, String)> = [
            ("name", "ТОО «Тест»"),
            ("bin", "123456789012"),
            ("accounts[0].currency", "KZT"),
            ("accounts[0].name", ""),
            ("accounts[1].currency", "USD"),
            ("accounts[1].name", "Валютный"),
            ("users[0].full_name", ""),
            ("users[0].level", "full"),
            ("users[2].full_name", "Асан Асанов"),
            ("users[2].mobile", "+77010009999"),
            ("users[2].level", "full"),
            ("users[2].consent", "yes"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        let form = ApplicationForm::from_pairs(&pairs);
        let (request, accounts, users) = form.request();
        assert_eq!((accounts.as_slice(), users.as_slice()), (&[1][..], &[2][..]));
        assert_eq!(request.accounts[0].currency, "USD");
        assert!(request.users[0].consent && request.users[0].email.is_none());
        assert_eq!(rename_row("users[0].mobile", &accounts, &users), "users[2].mobile");
        assert_eq!(rename_row("accounts[0].name", &accounts, &users), "accounts[1].name");
        assert_eq!(rename_row("bin", &accounts, &users), "bin");
        assert_eq!(rename_row("users[5].mobile", &accounts, &users), "users");
        assert!(application_fields().contains(&"users[2].consent".to_owned()));
    }
}
