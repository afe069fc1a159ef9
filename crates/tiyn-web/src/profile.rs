//! `/profile`: the signed-in user's data and open sessions, the change of password
//! knowing the current one, and the report of lost access means.

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiyn_api::ApiError;
use tiyn_api::authz::{LOGIN_PAGE, RequestContext};
use tiyn_core::access::Permission;
use tiyn_identity::Principal;

use crate::WebState;
use crate::format;
use crate::forms::{FormErrors, checked, identity_error, is_internal, status_of};
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{Link, PageMeta, Viewer, failure, level_name, message, render};
use crate::sign_in::signed_out;

pub struct SessionRow {
    pub started: String,
    pub activity: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    t: &'static Texts,
    page: PageMeta,
    full_name: String,
    mobile: String,
    email: String,
    level: &'static str,
    partner: String,
    sessions: Vec<SessionRow>,
    expires_note: String,
    /// The level lets the user manage their markers and devices (links to those pages).
    markers: bool,
    devices: bool,
    /// The success notice after a redirect (`?done=password`).
    notice: Option<&'static str>,
    password_errors: FormErrors,
    lost_access_errors: FormErrors,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    pub done: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub old_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LostAccessForm {
    pub confirm: Option<String>,
}

async fn profile_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    principal: &Principal,
    notice: Option<&'static str>,
    password_errors: FormErrors,
    lost_access_errors: FormErrors,
) -> Result<ProfilePage, ApiError> {
    let t = texts(lang.lang);
    let user = principal.user();
    let partner = match principal.partner() {
        Some(id) => state.store.partner(id).await?.map(|partner| partner.name).unwrap_or_default(),
        None => String::new(),
    };
    let sessions = state.store.user_sessions(principal.user_id()).await?;
    let expires = state.identity.session_expires_at(principal).await?;
    Ok(ProfilePage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "profile", "/profile", viewer),
        full_name: user.full_name.clone(),
        mobile: user.mobile.as_ref().map(|mobile| mobile.as_str().to_owned()).unwrap_or_else(|| t.no_value.to_owned()),
        email: user.email.as_ref().map(|email| email.as_str().to_owned()).unwrap_or_else(|| t.no_value.to_owned()),
        level: level_name(principal.level(), t),
        partner,
        sessions: sessions
            .iter()
            .filter(|session| session.ended.is_none())
            .map(|session| SessionRow {
                started: format::date_time(session.times.created_at(), lang.lang),
                activity: format::date_time(session.times.last_activity_at(), lang.lang),
                current: principal.session() == Some(session.id),
            })
            .collect(),
        markers: principal.allows(Permission::ManageOwnMarkers),
        devices: principal.allows(Permission::ManageOwnDevices),
        expires_note: expires
            .map(|at| fill(t.session_expires, &[("until", &format::time_of_day(at))]))
            .unwrap_or_default(),
        notice,
        password_errors,
        lost_access_errors,
    })
}

async fn respond(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<&'static str>,
    password_errors: FormErrors,
    lost_access_errors: FormErrors,
) -> Response {
    let Some(principal) = &viewer.principal else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    match profile_page(state, lang, viewer, principal, notice, password_errors, lost_access_errors).await {
        Ok(page) => render(&page, status, lang),
        Err(error) => failure(state, lang, viewer, &error),
    }
}

/// `GET /profile`.
pub async fn show(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let t = texts(lang.lang);
    let notice = match query.map(|Query(query)| query.done).ok().flatten().as_deref() {
        Some("password") => Some(t.password_changed),
        _ => None,
    };
    respond(&state, lang, &viewer, StatusCode::OK, notice, FormErrors::none(), FormErrors::none()).await
}

/// `POST /profile/password`: old and new password; the user's other sessions end.
pub async fn change_password(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<PasswordForm>,
) -> Response {
    let Some(principal) = &viewer.principal else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    match state.identity.change_password(&context, principal, &form.old_password, &form.new_password).await {
        Ok(()) => Redirect::to("/profile?done=password").into_response(),
        Err(error) => {
            let (error, status) = identity_error(error, "new_password");
            if is_internal(&error) {
                return failure(&state, lang, &viewer, &error);
            }
            let errors = FormErrors::from_api(&error, lang.lang, &["old_password", "new_password"]);
            respond(&state, lang, &viewer, status, None, errors, FormErrors::none()).await
        }
    }
}

/// `POST /profile/lost-access`: with the confirmation ticked, blocks the user at once; every
/// session ends and the cookie goes.
pub async fn lost_access(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<LostAccessForm>,
) -> Response {
    let t = texts(lang.lang);
    let Some(principal) = &viewer.principal else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    if !checked(&form.confirm) {
        let errors = FormErrors::on("confirm", "confirmation_required", t.lost_access_unconfirmed);
        return respond(&state, lang, &viewer, StatusCode::UNPROCESSABLE_ENTITY, None, FormErrors::none(), errors)
            .await;
    }
    match state.identity.report_lost_access(&context, principal).await {
        Ok(()) => {
            let link = Some(Link { href: LOGIN_PAGE, label: t.to_login });
            let page = message(
                &state,
                lang,
                &Viewer::nobody(),
                StatusCode::OK,
                t.lost_access_done_title,
                t.lost_access_done_text,
                link,
            );
            signed_out(&state, page)
        }
        Err(error) => {
            let error = ApiError::from(error);
            if is_internal(&error) {
                return failure(&state, lang, &viewer, &error);
            }
            let errors = FormErrors::from_api(&error, lang.lang, &[]);
            respond(&state, lang, &viewer, status_of(&error), None, FormErrors::none(), errors).await
        }
    }
}
