//! `GET /me`, `POST /me/lost-access`, and user management under `/users` (R-6.3.6–,
//!

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Deserializer, Serialize};
use tiyn_core::access::AccessLevel;
use tiyn_core::{Email, MobileNumber, UserId};
use tiyn_identity::{NewUserInput, Principal, UserEdit};
use tiyn_store::{Partner, User, UserChangeRecord};
use utoipa::ToSchema;

use crate::ApiState;
use crate::authz::{Authenticated, RequestContext};
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::{ApiJson, ApiPath};

/// A user as the API shows it. No password hash, no lockout internals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserDto {
    pub id: String,
    pub full_name: String,
    /// `+77011234567`.
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// `full`, `confirm`, `create`; `null` for a bank operator.
    pub level: Option<String>,
    /// `pending_activation`, `active`, `blocked`.
    pub status: String,
    /// RFC 3339, when blocked.
    pub blocked_at: Option<String>,
    /// `bank`, `partner`, `lost_access`.
    pub block_reason: Option<String>,
    /// `YYYY-MM-DD`: powers suspended from this date.
    pub suspended_from: Option<String>,
    pub created_at: String,
}

impl From<&User> for UserDto {
    fn from(user: &User) -> UserDto {
        UserDto {
            id: user.id.get().to_string(),
            full_name: user.full_name.clone(),
            mobile: user.mobile.as_ref().map(|mobile| mobile.as_str().to_owned()),
            email: user.email.as_ref().map(|email| email.as_str().to_owned()),
            level: user.level.map(|level| level.as_str().to_owned()),
            status: user.status.as_str().to_owned(),
            blocked_at: user.block.map(|(at, _)| at.to_string()),
            block_reason: user.block.map(|(_, reason)| reason.as_str().to_owned()),
            suspended_from: user.suspended_from.map(|date| date.to_string()),
            created_at: user.created_at.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerDto {
    pub id: String,
    pub name: String,
    pub bin: String,
}

impl From<&Partner> for PartnerDto {
    fn from(partner: &Partner) -> PartnerDto {
        PartnerDto {
            id: partner.id.get().to_string(),
            name: partner.name.clone(),
            bin: partner.bin.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionInfoDto {
    pub id: String,
    pub created_at: String,
    pub last_activity_at: String,
    /// This request's session.
    pub current: bool,
}

/// Who is signed in and what they may do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeDto {
    pub user: UserDto,
    pub partner: Option<PartnerDto>,
    pub level: Option<String>,
    /// The permissions of the level, by name (`view_accounts`, `confirm_payments`, …).
    pub permissions: Vec<String>,
    /// The user's open sessions, newest first.
    pub sessions: Vec<SessionInfoDto>,
    /// When this session ends unless used (RFC 3339).
    pub session_expires_at: Option<String>,
}

/// The signed-in user, partner, level, permissions and open sessions.
#[utoipa::path(get, path = "/me", tag = "me",
    responses((status = 200, description = "The signed-in user", body = MeDto), (status = 401, description = "Not signed in", body = ProblemDto, content_type = "application/problem+json")))]
pub async fn me(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<MeDto>, ApiError> {
    let partner = match principal.partner() {
        Some(id) => state.store.partner(id).await?,
        None => None,
    };
    let sessions = state.store.user_sessions(principal.user_id()).await?;
    let expires = state.identity.session_expires_at(&principal).await?;
    Ok(Json(MeDto {
        user: UserDto::from(principal.user()),
        partner: partner.as_ref().map(PartnerDto::from),
        level: principal.level().map(|level| level.as_str().to_owned()),
        permissions: principal.permissions().iter().map(|permission| permission.as_str().to_owned()).collect(),
        sessions: sessions
            .iter()
            .map(|session| SessionInfoDto {
                id: session.id.get().to_string(),
                created_at: session.times.created_at().to_string(),
                last_activity_at: session.times.last_activity_at().to_string(),
                current: principal.session() == Some(session.id),
            })
            .collect(),
        session_expires_at: expires.map(|at| at.to_string()),
    }))
}

/// Report lost access means: the user is blocked at once and every session ends.
#[utoipa::path(post, path = "/me/lost-access", tag = "me",
    responses((status = 204, description = "Blocked; the bank restores access")))]
pub async fn lost_access(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
) -> Result<Response, ApiError> {
    state.identity.report_lost_access(&context, &principal).await?;
    Ok(crate::auth::signed_out(&state))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserListDto {
    pub items: Vec<UserDto>,
    pub next_cursor: Option<String>,
}

/// The partner's users (full access only).
#[utoipa::path(get, path = "/users", tag = "users",
    responses((status = 200, description = "The partner's users, by id", body = UserListDto), (status = 403, description = "Level insufficient", body = ProblemDto, content_type = "application/problem+json")))]
pub async fn list_users(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<UserListDto>, ApiError> {
    let users = state.identity.partner_users(&principal).await?;
    Ok(Json(UserListDto { items: users.iter().map(UserDto::from).collect(), next_cursor: None }))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateUserRequest {
    pub full_name: String,
    pub mobile: String,
    pub email: Option<String>,
    /// `full`, `confirm` or `create`.
    pub level: String,
    /// The partner holds the user's consent to the processing of personal data.
    pub consent: bool,
}

fn parse_level(text: &str) -> Result<AccessLevel, FieldError> {
    AccessLevel::parse(text).map_err(|error| FieldError::new("level", error.code(), error.to_string()))
}

fn parse_mobile(text: &str) -> Result<MobileNumber, FieldError> {
    MobileNumber::parse(text).map_err(|error| FieldError::new("mobile", error.code(), error.to_string()))
}

fn parse_email(text: &str) -> Result<Email, FieldError> {
    Email::parse(text).map_err(|error| FieldError::new("email", error.code(), error.to_string()))
}

/// Creates a user pending activation: they activate with an SMS code.
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created, pending activation", body = UserDto),
        (status = 422, description = "Invalid fields, or the login is taken (`login_taken`)", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn create_user(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiJson(request): ApiJson<CreateUserRequest>,
) -> Result<(StatusCode, Json<UserDto>), ApiError> {
    let level = parse_level(&request.level);
    let mobile = parse_mobile(&request.mobile);
    let email = request.email.as_deref().filter(|text| !text.trim().is_empty()).map(parse_email).transpose();
    let (level, mobile, email) = match (level, mobile, email) {
        (Ok(level), Ok(mobile), Ok(email)) => (level, mobile, email),
        (level, mobile, email) => {
            return Err(ApiError::Invalid([level.err(), mobile.err(), email.err()].into_iter().flatten().collect()));
        }
    };
    let input = NewUserInput {
        full_name: request.full_name,
        mobile: Some(mobile),
        email,
        level,
        consent_confirmed: request.consent,
    };
    let user = state.identity.create_user(&context, &principal, input).await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(&user))))
}

async fn gated_user(state: &ApiState, principal: &Principal, id: i64) -> Result<User, ApiError> {
    Ok(state.identity.partner_user(principal, UserId::new(id)).await?)
}

/// One user of the partner; another partner's user answers 404.
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserDto), (status = 404, description = "No such user for this partner", body = ProblemDto, content_type = "application/problem+json")))]
pub async fn get_user(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(UserDto::from(&gated_user(&state, &principal, id).await?)))
}

/// `null` in JSON (remove) versus an absent field (keep).
fn double_option<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PatchUserRequest {
    pub full_name: Option<String>,
    pub mobile: Option<String>,
    /// `null` removes the email address.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub level: Option<String>,
}

/// Edits a user; every change is recorded with date and author. Demoting the
/// last active full-access user is refused (409 `last_full_access`).
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")), request_body = PatchUserRequest,
    responses(
        (status = 200, description = "The user as changed", body = UserDto),
        (status = 409, description = "`last_full_access`", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn patch_user(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<PatchUserRequest>,
) -> Result<Json<UserDto>, ApiError> {
    let level = request.level.as_deref().map(parse_level).transpose();
    let mobile = request.mobile.as_deref().map(parse_mobile).transpose();
    let email = match request.email {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(text)) if text.trim().is_empty() => Ok(Some(None)),
        Some(Some(text)) => parse_email(&text).map(|email| Some(Some(email))),
    };
    let (level, mobile, email) = match (level, mobile, email) {
        (Ok(level), Ok(mobile), Ok(email)) => (level, mobile, email),
        (level, mobile, email) => {
            return Err(ApiError::Invalid([level.err(), mobile.err(), email.err()].into_iter().flatten().collect()));
        }
    };
    let edit = UserEdit { full_name: request.full_name, mobile: mobile.map(Some), email, level };
    let user = state.identity.update_user(&context, &principal, UserId::new(id), edit).await?;
    Ok(Json(UserDto::from(&user)))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserChangeDto {
    /// `full_name`, `mobile`, `email`, `level`, `status`, `password`, `suspended_from`.
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// The user who made the change; `null` for the platform.
    pub changed_by: Option<String>,
    pub changed_at: String,
}

impl From<&UserChangeRecord> for UserChangeDto {
    fn from(change: &UserChangeRecord) -> UserChangeDto {
        UserChangeDto {
            field: change.field.clone(),
            old_value: change.old_value.clone(),
            new_value: change.new_value.clone(),
            changed_by: change.by.map(|id| id.get().to_string()),
            changed_at: change.at.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserChangeListDto {
    pub items: Vec<UserChangeDto>,
    pub next_cursor: Option<String>,
}

/// The recorded changes of a user, oldest first.
#[utoipa::path(get, path = "/users/{id}/changes", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "Changes, oldest first", body = UserChangeListDto)))]
pub async fn user_changes(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UserChangeListDto>, ApiError> {
    let changes = state.identity.user_changes(&principal, UserId::new(id)).await?;
    Ok(Json(UserChangeListDto { items: changes.iter().map(UserChangeDto::from).collect(), next_cursor: None }))
}

/// Blocks a user at once: their sessions end.
#[utoipa::path(post, path = "/users/{id}/block", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 204, description = "Blocked"), (status = 409, description = "`already_blocked` or `last_full_access`", body = ProblemDto, content_type = "application/problem+json")))]
pub async fn block_user(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.identity.block_user(&context, &principal, UserId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a block the partner set (blocks by the bank are the bank's to lift).
#[utoipa::path(post, path = "/users/{id}/unblock", tag = "users", params(("id" = String, Path, description = "User id")),
    responses((status = 204, description = "Unblocked"), (status = 409, description = "`not_blocked` or `blocked_by_bank`", body = ProblemDto, content_type = "application/problem+json")))]
pub async fn unblock_user(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.identity.unblock_user(&context, &principal, UserId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SuspensionRequest {
    /// `YYYY-MM-DD`, at least 3 working days ahead; `null` cancels.
    pub from: Option<String>,
}

/// Schedules (or cancels) the suspension of a user's powers.
#[utoipa::path(put, path = "/users/{id}/suspension", tag = "users", params(("id" = String, Path, description = "User id")), request_body = SuspensionRequest,
    responses((status = 204, description = "Scheduled"), (status = 422, description = "Date too soon or invalid", body = ProblemDto, content_type = "application/problem+json")))]
pub async fn schedule_suspension(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<SuspensionRequest>,
) -> Result<StatusCode, ApiError> {
    let from = request
        .from
        .as_deref()
        .map(|text| text.parse::<jiff::civil::Date>())
        .transpose()
        .map_err(|_| ApiError::invalid("from", "invalid_date", "a date is YYYY-MM-DD"))?;
    state.identity.schedule_suspension(&context, &principal, UserId::new(id), from).await?;
    Ok(StatusCode::NO_CONTENT)
}
