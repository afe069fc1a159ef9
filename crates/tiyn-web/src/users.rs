//! `/users`: the partner's users for its full-access users (R-6.3.6–,
//! Every read and change goes through `Identity`, whose `partner_user` is the one tenant
//! gate: another partner's user answers exactly like an unknown id, with the 404 page.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiyn_api::authz::{LOGIN_PAGE, RequestContext};
use tiyn_api::{ApiError, FieldError, Lang};
use tiyn_core::access::AccessLevel;
use tiyn_core::{Email, MobileNumber, UserId};
use tiyn_identity::{NewUserInput, Principal, UserEdit};
use tiyn_store::{BlockReason, User, UserChangeRecord, UserStatus};

use crate::WebState;
use crate::format;
use crate::forms::{FormErrors, checked, is_internal, status_of};
use crate::i18n::{Texts, texts};
use crate::lang::PageLang;
use crate::pages::{PageMeta, Viewer, failure, level_name, render};
use crate::profile::DoneQuery;

/// A user as the list and the detail page show them.
pub struct UserRow {
    pub id: String,
    pub full_name: String,
    pub mobile: String,
    pub email: String,
    pub level: &'static str,
    pub status: &'static str,
    pub status_code: &'static str,
    /// Why and since when the user is blocked: `банком, 01.01.2026 10:00`.
    pub block_note: String,
    pub suspension: String,
}

impl UserRow {
    pub fn new(user: &User, lang: Lang) -> UserRow {
        let t = texts(lang);
        UserRow {
            id: user.id.get().to_string(),
            full_name: user.full_name.clone(),
            mobile: user.mobile.as_ref().map(|mobile| mobile.as_str().to_owned()).unwrap_or_default(),
            email: user.email.as_ref().map(|email| email.as_str().to_owned()).unwrap_or_default(),
            level: level_name(user.level, t),
            status: status_name(user.status, t),
            status_code: user.status.as_str(),
            block_note: user
                .block
                .map(|(at, reason)| format!("{}, {}", block_reason(reason, t), format::date_time(at, lang)))
                .unwrap_or_default(),
            suspension: user.suspended_from.map(|date| format::date(date, lang)).unwrap_or_default(),
        }
    }
}

fn status_name(status: UserStatus, t: &'static Texts) -> &'static str {
    match status {
        UserStatus::PendingActivation => t.status_pending,
        UserStatus::Active => t.status_active,
        UserStatus::Blocked => t.status_blocked,
    }
}

fn block_reason(reason: BlockReason, t: &'static Texts) -> &'static str {
    match reason {
        BlockReason::Bank => t.block_by_bank,
        BlockReason::Partner => t.block_by_partner,
        BlockReason::LostAccess => t.block_by_lost_access,
    }
}

pub struct LevelOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub(crate) fn level_options(selected: &str, t: &'static Texts) -> Vec<LevelOption> {
    AccessLevel::ALL
        .into_iter()
        .map(|level| LevelOption {
            code: level.as_str(),
            label: level_name(Some(level), t),
            selected: level.as_str() == selected,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    t: &'static Texts,
    page: PageMeta,
    rows: Vec<UserRow>,
}

/// The values of the user forms as typed (kept on a refusal).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserForm {
    pub full_name: String,
    pub mobile: String,
    pub email: String,
    pub level: String,
    pub consent: Option<String>,
}

#[derive(Template)]
#[template(path = "user_new.html")]
struct NewUserPage {
    t: &'static Texts,
    page: PageMeta,
    values: UserForm,
    consent: bool,
    levels: Vec<LevelOption>,
    errors: FormErrors,
}

pub struct ChangeRow {
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub by: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    t: &'static Texts,
    page: PageMeta,
    user: UserRow,
    values: UserForm,
    levels: Vec<LevelOption>,
    blocked: bool,
    suspension_value: String,
    changes: Vec<ChangeRow>,
    notice: Option<&'static str>,
    edit_errors: FormErrors,
    access_errors: FormErrors,
    suspension_errors: FormErrors,
}

/// Which form of the detail page a refusal belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Edit,
    Access,
    Suspension,
}

/// Where a request without a principal goes (the middleware lets none through; kept for safety).
fn to_login() -> Response {
    Redirect::to(LOGIN_PAGE).into_response()
}

/// `GET /users`: the partner's users with level, status, block and suspension.
pub async fn list(State(state): State<WebState>, lang: PageLang, viewer: Viewer) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    match state.identity.partner_users(principal).await {
        Ok(users) => {
            let page = UsersPage {
                t: texts(lang.lang),
                page: PageMeta::new(lang.lang, state.demo, "users", "/users", &viewer),
                rows: users.iter().map(|user| UserRow::new(user, lang.lang)).collect(),
            };
            render(&page, StatusCode::OK, lang)
        }
        Err(error) => failure(&state, lang, &viewer, &error.into()),
    }
}

fn new_user_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    values: UserForm,
    errors: FormErrors,
) -> Response {
    let t = texts(lang.lang);
    let page = NewUserPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "users", "/users/new", viewer),
        consent: checked(&values.consent),
        levels: level_options(&values.level, t),
        values,
        errors,
    };
    render(&page, status, lang)
}

/// `GET /users/new`.
pub async fn new_form(State(state): State<WebState>, lang: PageLang, viewer: Viewer) -> Response {
    let values = UserForm { level: AccessLevel::Create.as_str().to_owned(), ..UserForm::default() };
    new_user_page(&state, lang, &viewer, StatusCode::OK, values, FormErrors::none())
}

fn parse_mobile(text: &str) -> Result<MobileNumber, FieldError> {
    MobileNumber::parse(text.trim()).map_err(|error| FieldError::new("mobile", error.code(), error.to_string()))
}

fn parse_email(text: &str) -> Result<Option<Email>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Email::parse(text).map(Some).map_err(|error| FieldError::new("email", error.code(), error.to_string()))
}

fn parse_level(text: &str) -> Result<AccessLevel, FieldError> {
    AccessLevel::parse(text.trim()).map_err(|error| FieldError::new("level", error.code(), error.to_string()))
}

const USER_FIELDS: &[&str] = &["full_name", "mobile", "email", "level", "consent"];

/// `POST /users`: a new user pending activation.
pub async fn create(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<UserForm>,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let parsed = match (parse_mobile(&form.mobile), parse_email(&form.email), parse_level(&form.level)) {
        (Ok(mobile), Ok(email), Ok(level)) => Ok((mobile, email, level)),
        (mobile, email, level) => {
            Err(ApiError::Invalid([mobile.err(), email.err(), level.err()].into_iter().flatten().collect()))
        }
    };
    let result = match parsed {
        Ok((mobile, email, level)) => {
            let input = NewUserInput {
                full_name: form.full_name.clone(),
                mobile: Some(mobile),
                email,
                level,
                consent_confirmed: checked(&form.consent),
            };
            state.identity.create_user(&context, principal, input).await.map_err(ApiError::from)
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(user) => Redirect::to(&format!("/users/{}?done=created", user.id.get())).into_response(),
        Err(error) if is_internal(&error) => failure(&state, lang, &viewer, &error),
        Err(error) => {
            // A taken login (`login_taken`) may be the mobile number or the email: it stays in the
            // summary, naming no field.
            let errors = FormErrors::from_api(&error, lang.lang, USER_FIELDS);
            new_user_page(&state, lang, &viewer, status_of(&error), form, errors)
        }
    }
}

fn user_id(text: &str) -> Option<UserId> {
    text.parse::<i64>().ok().filter(|id| *id > 0).map(UserId::new)
}

async fn names(state: &WebState, principal: &Principal) -> Result<HashMap<UserId, String>, ApiError> {
    Ok(state.identity.partner_users(principal).await?.into_iter().map(|user| (user.id, user.full_name)).collect())
}

fn change_row(change: &UserChangeRecord, names: &HashMap<UserId, String>, lang: Lang) -> ChangeRow {
    let t = texts(lang);
    let field: &str = match change.field.as_str() {
        "full_name" => t.label_full_name,
        "mobile" => t.label_mobile,
        "email" => t.label_email,
        "level" => t.label_level,
        "status" => t.col_status,
        "password" => t.field_password,
        "suspended_from" => t.col_suspension,
        other => other,
    };
    let value = |value: &Option<String>| -> String {
        let Some(value) = value else { return "—".to_owned() };
        match change.field.as_str() {
            "level" => {
                AccessLevel::parse(value).map_or_else(|_| value.clone(), |level| level_name(Some(level), t).to_owned())
            }
            "status" => {
                UserStatus::parse(value).map_or_else(|| value.clone(), |status| status_name(status, t).to_owned())
            }
            "suspended_from" => {
                value.parse::<jiff::civil::Date>().map_or_else(|_| value.clone(), |date| format::date(date, lang))
            }
            _ => value.clone(),
        }
    };
    ChangeRow {
        field: field.to_owned(),
        old_value: value(&change.old_value),
        new_value: value(&change.new_value),
        by: match change.by {
            Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("#{}", id.get())),
            None => t.by_platform.to_owned(),
        },
        at: format::date_time(change.at, lang),
    }
}

/// How the detail page is shown: after a redirect with a notice, or after a refusal with the
/// values typed into the edit form and a message on the form the refusal concerns.
struct Shown {
    status: StatusCode,
    notice: Option<&'static str>,
    values: Option<UserForm>,
    refusal: Option<(Part, FormErrors)>,
}

impl Shown {
    fn notice(notice: Option<&'static str>) -> Shown {
        Shown { status: StatusCode::OK, notice, values: None, refusal: None }
    }

    fn refused(error: &ApiError, part: Part, errors: FormErrors, values: Option<UserForm>) -> Shown {
        Shown { status: status_of(error), notice: None, values, refusal: Some((part, errors)) }
    }
}

/// Renders the detail page of `id`: the user, the forms, the history.
async fn user_page(state: &WebState, lang: PageLang, viewer: &Viewer, id: UserId, shown: Shown) -> Response {
    let Shown { status, notice, values, refusal } = shown;
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let t = texts(lang.lang);
    let loaded = async {
        let user = state.identity.partner_user(principal, id).await?;
        let changes = state.identity.user_changes(principal, id).await?;
        let names = names(state, principal).await?;
        Ok::<_, ApiError>((user, changes, names))
    };
    let (user, changes, names) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return failure(state, lang, viewer, &error),
    };
    let values = values.unwrap_or_else(|| UserForm {
        full_name: user.full_name.clone(),
        mobile: user.mobile.as_ref().map(|mobile| mobile.as_str().to_owned()).unwrap_or_default(),
        email: user.email.as_ref().map(|email| email.as_str().to_owned()).unwrap_or_default(),
        level: user.level.map(|level| level.as_str().to_owned()).unwrap_or_default(),
        consent: None,
    });
    let (mut edit_errors, mut access_errors, mut suspension_errors) =
        (FormErrors::none(), FormErrors::none(), FormErrors::none());
    match refusal {
        Some((Part::Edit, errors)) => edit_errors = errors,
        Some((Part::Access, errors)) => access_errors = errors,
        Some((Part::Suspension, errors)) => suspension_errors = errors,
        None => {}
    }
    let here = format!("/users/{}", id.get());
    let page = UserPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "users", &here, viewer),
        user: UserRow::new(&user, lang.lang),
        levels: level_options(&values.level, t),
        values,
        blocked: user.status == UserStatus::Blocked,
        suspension_value: user.suspended_from.map(|date| date.to_string()).unwrap_or_default(),
        changes: changes.iter().rev().map(|change| change_row(change, &names, lang.lang)).collect(),
        notice,
        edit_errors,
        access_errors,
        suspension_errors,
    };
    render(&page, status, lang)
}

fn notice(done: Option<&str>, t: &'static Texts) -> Option<&'static str> {
    match done? {
        "created" => Some(t.user_created),
        "saved" => Some(t.user_saved),
        "blocked" => Some(t.user_blocked),
        "unblocked" => Some(t.user_unblocked),
        "suspension" => Some(t.suspension_saved),
        "suspension_cancelled" => Some(t.suspension_cancelled),
        _ => None,
    }
}

/// `GET /users/{id}`.
pub async fn show(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    Path(id): Path<String>,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let Some(id) = user_id(&id) else { return crate::pages::not_found(lang, state.demo) };
    let done = query.map(|Query(query)| query.done).ok().flatten();
    let notice = notice(done.as_deref(), texts(lang.lang));
    user_page(&state, lang, &viewer, id, Shown::notice(notice)).await
}

/// After a change: back to the detail page with its notice (POST → redirect → GET).
fn done(id: UserId, what: &str) -> Response {
    Redirect::to(&format!("/users/{}?done={what}", id.get())).into_response()
}

/// `POST /users/{id}`: edits name, mobile, email, level; only changed values are sent, so the
/// history records real changes only.
pub async fn update(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(form): Form<UserForm>,
) -> Response {
    let Some(id) = user_id(&id) else { return crate::pages::not_found(lang, state.demo) };
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let result = async {
        let user = state.identity.partner_user(principal, id).await?;
        let (mobile, email, level) =
            match (parse_mobile(&form.mobile), parse_email(&form.email), parse_level(&form.level)) {
                (Ok(mobile), Ok(email), Ok(level)) => (mobile, email, level),
                (mobile, email, level) => {
                    return Err(ApiError::Invalid(
                        [mobile.err(), email.err(), level.err()].into_iter().flatten().collect(),
                    ));
                }
            };
        let name = form.full_name.trim();
        let edit = UserEdit {
            full_name: (name != user.full_name).then(|| name.to_owned()),
            mobile: (user.mobile.as_ref() != Some(&mobile)).then_some(Some(mobile)),
            email: (user.email != email).then_some(email),
            level: (user.level != Some(level)).then_some(level),
        };
        state.identity.update_user(&context, principal, id, edit).await?;
        Ok(())
    };
    match result.await {
        Ok(()) => done(id, "saved"),
        Err(error) if is_internal(&error) || error.status() == StatusCode::NOT_FOUND => {
            failure(&state, lang, &viewer, &error)
        }
        Err(error) => {
            let errors = FormErrors::from_api(&error, lang.lang, USER_FIELDS);
            user_page(&state, lang, &viewer, id, Shown::refused(&error, Part::Edit, errors, Some(form))).await
        }
    }
}

/// `POST /users/{id}/block`: the user's sessions end at once.
pub async fn block(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
) -> Response {
    access_change(state, lang, viewer, context, id, true).await
}

/// `POST /users/{id}/unblock`: lifts a block the partner set.
pub async fn unblock(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
) -> Response {
    access_change(state, lang, viewer, context, id, false).await
}

async fn access_change(
    state: WebState,
    lang: PageLang,
    viewer: Viewer,
    context: tiyn_identity::Context,
    id: String,
    block: bool,
) -> Response {
    let Some(id) = user_id(&id) else { return crate::pages::not_found(lang, state.demo) };
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let result = if block {
        state.identity.block_user(&context, principal, id).await
    } else {
        state.identity.unblock_user(&context, principal, id).await
    };
    match result.map_err(ApiError::from) {
        Ok(()) => done(id, if block { "blocked" } else { "unblocked" }),
        Err(error) if is_internal(&error) || error.status() == StatusCode::NOT_FOUND => {
            failure(&state, lang, &viewer, &error)
        }
        Err(error) => {
            let errors = FormErrors::from_api(&error, lang.lang, &[]);
            user_page(&state, lang, &viewer, id, Shown::refused(&error, Part::Access, errors, None)).await
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SuspensionForm {
    pub from: String,
}

/// `POST /users/{id}/suspension`: the date powers are suspended from, at least 3 working days
/// ahead; an empty date cancels.
pub async fn suspension(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
    Form(form): Form<SuspensionForm>,
) -> Response {
    let Some(id) = user_id(&id) else { return crate::pages::not_found(lang, state.demo) };
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let text = form.from.trim();
    let from = if text.is_empty() {
        Ok(None)
    } else {
        text.parse::<jiff::civil::Date>()
            .map(Some)
            .map_err(|_| ApiError::invalid("from", "suspension_date_invalid", "a date is YYYY-MM-DD"))
    };
    let result = match from {
        Ok(from) => state
            .identity
            .schedule_suspension(&context, principal, id, from)
            .await
            .map(|()| from)
            .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    match result {
        Ok(Some(_)) => done(id, "suspension"),
        Ok(None) => done(id, "suspension_cancelled"),
        Err(error) if is_internal(&error) || error.status() == StatusCode::NOT_FOUND => {
            failure(&state, lang, &viewer, &error)
        }
        Err(error) => {
            let errors = FormErrors::from_api(&error, lang.lang, &["from"]);
            user_page(&state, lang, &viewer, id, Shown::refused(&error, Part::Suspension, errors, None)).await
        }
    }
}
