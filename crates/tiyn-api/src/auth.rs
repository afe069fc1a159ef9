//! `/api/v1/auth/*`: login with a second factor, logout, first access, password recovery and
//! change. Handlers only translate: the decisions are
//! `tiyn_identity`'s.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tiyn_identity::{Challenge, ChallengeChannel, IdentityError};
use utoipa::ToSchema;

use crate::ApiState;
use crate::authz::{Authenticated, RequestContext, clear_cookie, csrf_token, session_cookie};
use crate::error::{ApiError, ProblemDto};
use crate::extract::ApiJson;
use crate::users::UserDto;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Mobile number (`+7 701 123 45 67`, any usual spelling) or email address.
    pub login: String,
    pub password: String,
    /// `sms` (default) or `marker`: where the second factor should come from. With `marker` and
    /// an active marker, no SMS is sent and the marker's code is expected.
    pub channel: Option<String>,
}

/// A second-factor step in progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeDto {
    pub challenge_id: String,
    /// `sms` or `marker`.
    pub channel: String,
    /// Where the code went, masked: `+7 701 ••• •• 67`.
    pub sent_to: String,
    /// RFC 3339; the code's lifetime, to show the user.
    pub expires_at: String,
}

impl From<Challenge> for ChallengeDto {
    fn from(challenge: Challenge) -> ChallengeDto {
        ChallengeDto {
            challenge_id: challenge.challenge_id.as_str().to_owned(),
            channel: challenge.channel.as_str().to_owned(),
            sent_to: challenge.sent_to,
            expires_at: challenge.expires_at.to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ConfirmRequest {
    pub challenge_id: String,
    pub code: String,
}

/// A started session. Browsers also get the token as an HttpOnly cookie.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionDto {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the session ends unless used (idle limit), RFC 3339.
    pub expires_at: String,
    /// For cookie clients: send as `X-CSRF-Token` on POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
    pub user: UserDto,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LoginOnlyRequest {
    pub login: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ActivationConfirmRequest {
    pub challenge_id: String,
    pub code: String,
    /// 12 to 128 characters, not a common password, not containing the login or name.
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RecoveryConfirmRequest {
    pub challenge_id: String,
    pub code: String,
    pub new_password: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PasswordChangeRequest {
    pub old_password: String,
    pub new_password: String,
}

/// A refused new password names the field it came in.
fn password_field(error: IdentityError, field: &'static str) -> ApiError {
    match error {
        IdentityError::Password(refusal) => ApiError::invalid(field, refusal.code(), refusal.to_string()),
        other => other.into(),
    }
}

/// First factor: the password. A code goes to the user's mobile number.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Password accepted; confirm with the code", body = ChallengeDto),
        (status = 401, description = "Wrong login or password, or no access now (`invalid_credentials`)", body = ProblemDto, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures from this address", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<ChallengeDto>, ApiError> {
    let preferred = match request.channel.as_deref() {
        None | Some("sms") => None,
        Some("marker") => Some(ChallengeChannel::Marker),
        Some(_) => return Err(ApiError::invalid("channel", "invalid_channel", "the channel is sms or marker")),
    };
    let challenge = state.identity.begin_login_with(&context, &request.login, &request.password, preferred).await?;
    Ok(Json(challenge.into()))
}

/// Second factor: the code. Starts the session.
#[utoipa::path(post, path = "/auth/login/confirm", tag = "auth", request_body = ConfirmRequest,
    responses(
        (status = 200, description = "Signed in", body = SessionDto),
        (status = 401, description = "Code wrong, expired, used or for another purpose", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn login_confirm(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    ApiJson(request): ApiJson<ConfirmRequest>,
) -> Result<Response, ApiError> {
    let session = state.identity.confirm_login(&context, &request.challenge_id, &request.code).await?;
    let token = session.token.expose();
    let body = SessionDto {
        csrf_token: csrf_token(&token),
        expires_at: session.expires_at.to_string(),
        user: UserDto::from(&session.user),
        token: token.clone(),
    };
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(state.cookie_name(), &token, state.tls));
    Ok(response)
}

/// Ends the session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"), (status = 401, description = "Not signed in", body = ProblemDto, content_type = "application/problem+json")))]
pub async fn logout(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
) -> Result<Response, ApiError> {
    state.identity.logout(&context, &principal).await?;
    Ok(signed_out(&state))
}

/// 204 with the cookie removed.
pub(crate) fn signed_out(state: &ApiState) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, clear_cookie(state.cookie_name(), state.tls));
    response
}

/// First access of a new user: a code by SMS to the registered mobile number.
#[utoipa::path(post, path = "/auth/activation", tag = "auth", request_body = LoginOnlyRequest,
    responses(
        (status = 200, description = "A code was sent if the login awaits activation", body = ChallengeDto),
        (status = 422, description = "Invalid login, or no mobile number to verify (`no_mobile_number`)", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn activation(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    ApiJson(request): ApiJson<LoginOnlyRequest>,
) -> Result<Json<ChallengeDto>, ApiError> {
    Ok(Json(state.identity.begin_activation(&context, &request.login).await?.into()))
}

/// The code and the chosen password: the user becomes active.
#[utoipa::path(post, path = "/auth/activation/confirm", tag = "auth", request_body = ActivationConfirmRequest,
    responses(
        (status = 200, description = "Activated; sign in with the new password", body = UserDto),
        (status = 401, description = "Code refused", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "Password refused by the policy", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn activation_confirm(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    ApiJson(request): ApiJson<ActivationConfirmRequest>,
) -> Result<Json<UserDto>, ApiError> {
    let user = state
        .identity
        .confirm_activation(&context, &request.challenge_id, &request.code, &request.password)
        .await
        .map_err(|error| password_field(error, "password"))?;
    Ok(Json(UserDto::from(&user)))
}

/// Password recovery: a code by SMS.
#[utoipa::path(post, path = "/auth/password/recovery", tag = "auth", request_body = LoginOnlyRequest,
    responses((status = 200, description = "A code was sent if the login exists", body = ChallengeDto)))]
pub async fn recovery(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    ApiJson(request): ApiJson<LoginOnlyRequest>,
) -> Result<Json<ChallengeDto>, ApiError> {
    Ok(Json(state.identity.begin_recovery(&context, &request.login).await?.into()))
}

/// The code and a new password; every session of the user ends.
#[utoipa::path(post, path = "/auth/password/recovery/confirm", tag = "auth", request_body = RecoveryConfirmRequest,
    responses(
        (status = 204, description = "Password replaced"),
        (status = 401, description = "Code refused", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "Password refused by the policy", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn recovery_confirm(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    ApiJson(request): ApiJson<RecoveryConfirmRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .identity
        .confirm_recovery(&context, &request.challenge_id, &request.code, &request.new_password)
        .await
        .map_err(|error| password_field(error, "new_password"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change of password knowing the current one; the user's other sessions end.
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = PasswordChangeRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 422, description = "Current password wrong, or the new one refused", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn change_password(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiJson(request): ApiJson<PasswordChangeRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .identity
        .change_password(&context, &principal, &request.old_password, &request.new_password)
        .await
        .map_err(|error| password_field(error, "new_password"))?;
    Ok(StatusCode::NO_CONTENT)
}
