//! Signing in and out, first access and password recovery: the
//! cabinet's face of the identity use cases. Every step is a plain form post; the second factor's
//! challenge travels in a hidden field. The decisions (and the audit records) are
//! `tiyn_identity`'s; these handlers only translate forms into calls and refusals into messages.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;
use tiyn_api::ApiError;
use tiyn_api::authz::{RequestContext, clear_cookie, session_cookie};
use tiyn_identity::{Challenge, ChallengeChannel, IdentityError};

use crate::WebState;
use crate::forms::{FormErrors, identity_error, is_internal, status_of};
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{Link, PageMeta, Viewer, failure, home_of, message, render};

/// The second-factor step in progress, as the page shows it and posts it back.
pub struct CodeStep {
    pub challenge_id: String,
    /// "Code sent to +7 701 ••• •• 01, valid until 10:05.", or for a marker "Enter the code of your
    /// marker TYN-…".
    pub note: String,
    /// Posted back so that a refused code can show the note again: the masked number, or the
    /// marker's serial.
    pub sent_to: String,
    pub expires_at: String,
    /// `sms` or `marker`, posted back too.
    pub channel: &'static str,
    /// The heading of the step: "Code from the SMS" or "Code of your marker".
    pub title: &'static str,
}

impl CodeStep {
    fn new(challenge: &Challenge, t: &'static Texts) -> CodeStep {
        CodeStep::shown(
            challenge.challenge_id.as_str().to_owned(),
            challenge.channel,
            challenge.sent_to.clone(),
            challenge.expires_at,
            t,
        )
    }

    fn shown(
        challenge_id: String,
        channel: ChallengeChannel,
        sent_to: String,
        expires_at: Timestamp,
        t: &'static Texts,
    ) -> CodeStep {
        let until = crate::format::time_of_day(expires_at);
        let (note, title) = match channel {
            ChallengeChannel::Sms => (fill(t.code_sent, &[("to", &sent_to), ("until", &until)]), t.code_title),
            ChallengeChannel::Marker => {
                (fill(t.marker_code_note, &[("serial", &sent_to), ("until", &until)]), t.marker_code_title)
            }
        };
        CodeStep { challenge_id, note, sent_to, expires_at: expires_at.to_string(), channel: channel.as_str(), title }
    }

    /// The step again from the posted form (after a refused code). The note's values came from
    /// this person's own form, and are escaped like everything else on the page.
    fn again(form: &ConfirmForm, t: &'static Texts) -> CodeStep {
        let channel = parse_channel(&form.channel);
        match form.expires_at.parse::<Timestamp>() {
            Ok(at) => CodeStep::shown(form.challenge_id.clone(), channel, form.sent_to.clone(), at, t),
            Err(_) => CodeStep {
                challenge_id: form.challenge_id.clone(),
                note: String::new(),
                sent_to: String::new(),
                expires_at: String::new(),
                channel: channel.as_str(),
                title: match channel {
                    ChallengeChannel::Sms => t.code_title,
                    ChallengeChannel::Marker => t.marker_code_title,
                },
            },
        }
    }
}

/// The channel a form names: `marker`, or SMS for anything else.
fn parse_channel(text: &str) -> ChallengeChannel {
    if text.trim() == ChallengeChannel::Marker.as_str() { ChallengeChannel::Marker } else { ChallengeChannel::Sms }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Texts,
    page: PageMeta,
    login: String,
    errors: FormErrors,
    code_step: Option<CodeStep>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub login: String,
    pub password: String,
    /// `marker`: the person asks for their marker's code instead of an SMS.
    pub channel: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    pub challenge_id: String,
    pub code: String,
    pub sent_to: String,
    pub expires_at: String,
    /// The channel of the login's code step (`sms`, `marker`), to show the step again.
    pub channel: String,
    /// The new password of activation and recovery.
    pub password: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LoginOnlyForm {
    pub login: String,
}

fn login_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    login: String,
    errors: FormErrors,
    code_step: Option<CodeStep>,
) -> Response {
    let page = LoginPage {
        t: texts(lang.lang),
        page: PageMeta::new(lang.lang, state.demo, "login", "/login", viewer),
        login,
        errors,
        code_step,
    };
    render(&page, status, lang)
}

/// `GET /login`: the login form; a signed-in person goes home.
pub async fn login_form(State(state): State<WebState>, lang: PageLang, viewer: Viewer) -> Response {
    if viewer.principal.is_some() {
        return Redirect::to(home_of(viewer.principal.as_ref())).into_response();
    }
    login_page(&state, lang, &viewer, StatusCode::OK, String::new(), FormErrors::none(), None)
}

/// `POST /login`: the first factor. A refusal never says which factor was wrong. With
/// "my marker instead of SMS" ticked, the code step asks for the marker's code;
/// without an active marker the SMS is sent as usual.
pub async fn login_submit(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<LoginForm>,
) -> Response {
    let login = form.login.trim().to_owned();
    let preferred = (parse_channel(&form.channel) == ChallengeChannel::Marker).then_some(ChallengeChannel::Marker);
    match state.identity.begin_login_with(&context, &login, &form.password, preferred).await {
        Ok(challenge) => {
            let step = CodeStep::new(&challenge, texts(lang.lang));
            login_page(&state, lang, &viewer, StatusCode::OK, login, FormErrors::none(), Some(step))
        }
        Err(error) => {
            let error = ApiError::from(error);
            if is_internal(&error) {
                return failure(&state, lang, &viewer, &error);
            }
            let errors = FormErrors::from_api(&error, lang.lang, &[]);
            login_page(&state, lang, &viewer, status_of(&error), login, errors, None)
        }
    }
}

/// `POST /login/confirm`: the code. Starts the session: a fresh token in an HttpOnly,
/// SameSite=Strict cookie (no session fixation), then home: the accounts, or the console for a bank
/// operator.
pub async fn login_confirm(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<ConfirmForm>,
) -> Response {
    match state.identity.confirm_login(&context, form.challenge_id.trim(), form.code.trim()).await {
        Ok(session) => {
            let cookie_name = crate::session_cookie_name(state.tls);
            let home =
                if session.user.partner.is_none() { crate::pages::BANK_HOME } else { crate::pages::ACCOUNTS_HOME };
            let mut response = Redirect::to(home).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, session_cookie(cookie_name, &session.token.expose(), state.tls));
            response
        }
        Err(error) => {
            // A credential refused between the steps (blocked meanwhile) starts over.
            let start_over = matches!(error, IdentityError::InvalidCredentials | IdentityError::TooManyAttempts);
            let (error, status) = identity_error(error, "password");
            if is_internal(&error) {
                return failure(&state, lang, &viewer, &error);
            }
            let step = (!start_over).then(|| CodeStep::again(&form, texts(lang.lang)));
            let errors = FormErrors::from_api(&error, lang.lang, &["code"]);
            login_page(&state, lang, &viewer, status, String::new(), errors, step)
        }
    }
}

/// `POST /logout`: ends the session, removes the cookie, back to the login form.
pub async fn logout(
    State(state): State<WebState>,
    viewer: Viewer,
    RequestContext(context): RequestContext,
) -> Response {
    if let Some(principal) = &viewer.principal
        && let Err(error) = state.identity.logout(&context, principal).await
    {
        tracing::error!(error = %error, "logout failed");
    }
    signed_out(&state, Redirect::to(tiyn_api::authz::LOGIN_PAGE).into_response())
}

/// Adds the removal of the session cookie to a response.
pub fn signed_out(state: &WebState, mut response: Response) -> Response {
    let cookie_name = crate::session_cookie_name(state.tls);
    response.headers_mut().append(header::SET_COOKIE, clear_cookie(cookie_name, state.tls));
    response
}

/// The two code flows that set a password: first access and recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Activation,
    Recovery,
}

/// What differs between the two flows on the page.
pub struct FlowView {
    pub title: &'static str,
    pub intro: &'static str,
    pub code_intro: &'static str,
    pub begin_action: &'static str,
    pub confirm_action: &'static str,
    pub submit: &'static str,
}

impl Flow {
    fn view(self, t: &'static Texts) -> FlowView {
        match self {
            Flow::Activation => FlowView {
                title: t.activation_title,
                intro: t.activation_intro,
                code_intro: t.activation_code_intro,
                begin_action: "/activation",
                confirm_action: "/activation/confirm",
                submit: t.activate_submit,
            },
            Flow::Recovery => FlowView {
                title: t.recovery_title,
                intro: t.recovery_intro,
                code_intro: t.recovery_code_intro,
                begin_action: "/recovery",
                confirm_action: "/recovery/confirm",
                submit: t.recovery_submit,
            },
        }
    }

    fn section(self) -> &'static str {
        match self {
            Flow::Activation => "activation",
            Flow::Recovery => "recovery",
        }
    }
}

#[derive(Template)]
#[template(path = "code_flow.html")]
struct CodeFlowPage {
    t: &'static Texts,
    page: PageMeta,
    flow: FlowView,
    login: String,
    errors: FormErrors,
    code_step: Option<CodeStep>,
}

#[allow(clippy::too_many_arguments)]
fn flow_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    flow: Flow,
    status: StatusCode,
    login: String,
    errors: FormErrors,
    code_step: Option<CodeStep>,
) -> Response {
    let t = texts(lang.lang);
    let view = flow.view(t);
    let page = CodeFlowPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, flow.section(), view.begin_action, viewer),
        flow: view,
        login,
        errors,
        code_step,
    };
    render(&page, status, lang)
}

/// `GET /activation`: first access, the login.
pub async fn activation_form(State(state): State<WebState>, lang: PageLang, viewer: Viewer) -> Response {
    flow_page(&state, lang, &viewer, Flow::Activation, StatusCode::OK, String::new(), FormErrors::none(), None)
}

/// `GET /recovery`: password recovery, the login.
pub async fn recovery_form(State(state): State<WebState>, lang: PageLang, viewer: Viewer) -> Response {
    flow_page(&state, lang, &viewer, Flow::Recovery, StatusCode::OK, String::new(), FormErrors::none(), None)
}

/// `POST /activation`: a code to the registered mobile number.
pub async fn activation_submit(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<LoginOnlyForm>,
) -> Response {
    let login = form.login.trim().to_owned();
    let result = state.identity.begin_activation(&context, &login).await;
    begin_answer(&state, lang, &viewer, Flow::Activation, login, result)
}

/// `POST /recovery`: a code to the registered mobile number.
pub async fn recovery_submit(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<LoginOnlyForm>,
) -> Response {
    let login = form.login.trim().to_owned();
    let result = state.identity.begin_recovery(&context, &login).await;
    begin_answer(&state, lang, &viewer, Flow::Recovery, login, result)
}

fn begin_answer(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    flow: Flow,
    login: String,
    result: Result<Challenge, IdentityError>,
) -> Response {
    match result {
        Ok(challenge) => {
            let step = CodeStep::new(&challenge, texts(lang.lang));
            flow_page(state, lang, viewer, flow, StatusCode::OK, login, FormErrors::none(), Some(step))
        }
        Err(error) => {
            let error = ApiError::from(error);
            if is_internal(&error) {
                return failure(state, lang, viewer, &error);
            }
            let errors = FormErrors::from_api(&error, lang.lang, &["login"]);
            flow_page(state, lang, viewer, flow, status_of(&error), login, errors, None)
        }
    }
}

/// `POST /activation/confirm`: the code and the chosen password; the user becomes active.
pub async fn activation_confirm(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<ConfirmForm>,
) -> Response {
    let result = state
        .identity
        .confirm_activation(&context, form.challenge_id.trim(), form.code.trim(), &form.password)
        .await
        .map(|_| ());
    confirm_answer(&state, lang, &viewer, Flow::Activation, &form, result)
}

/// `POST /recovery/confirm`: the code and a new password; every session of the user ends.
pub async fn recovery_confirm(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<ConfirmForm>,
) -> Response {
    let result =
        state.identity.confirm_recovery(&context, form.challenge_id.trim(), form.code.trim(), &form.password).await;
    confirm_answer(&state, lang, &viewer, Flow::Recovery, &form, result)
}

fn confirm_answer(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    flow: Flow,
    form: &ConfirmForm,
    result: Result<(), IdentityError>,
) -> Response {
    let t = texts(lang.lang);
    match result {
        Ok(()) => {
            let (heading, text) = match flow {
                Flow::Activation => (t.activation_done_title, t.activation_done_text),
                Flow::Recovery => (t.recovery_done_title, t.recovery_done_text),
            };
            let link = Some(Link { href: tiyn_api::authz::LOGIN_PAGE, label: t.to_login });
            message(state, lang, viewer, StatusCode::OK, heading, text, link)
        }
        Err(error) => {
            let (error, status) = identity_error(error, "password");
            if is_internal(&error) {
                return failure(state, lang, viewer, &error);
            }
            let errors = FormErrors::from_api(&error, lang.lang, &["code", "password"]);
            let step = CodeStep::again(form, t);
            flow_page(state, lang, viewer, flow, status, String::new(), errors, Some(step))
        }
    }
}
