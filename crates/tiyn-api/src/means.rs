//! `/me/markers`, `/me/devices` and `/api-keys`: the means of access besides the password
//! and the keys of partners' integrations.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tiyn_core::access::AccessLevel;
use tiyn_core::{AccountId, ApiKeyId, DeviceId};
use tiyn_store::{ApiKeyRecord, DeviceRecord, MarkerRecord};
use utoipa::ToSchema;

use crate::ApiState;
use crate::authz::{Authenticated, RequestContext};
use crate::error::{ApiError, ProblemDto};
use crate::extract::{ApiJson, ApiPath};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarkerDto {
    /// `TYN-XXXX-XXXX`, unique platform-wide.
    pub serial: String,
    /// `pending` (enrolled, awaiting a first code), `active`, `revoked`.
    pub status: String,
    pub created_at: String,
    pub activated_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&MarkerRecord> for MarkerDto {
    fn from(marker: &MarkerRecord) -> MarkerDto {
        MarkerDto {
            serial: marker.serial.clone(),
            status: marker.status.as_str().to_owned(),
            created_at: marker.created_at.to_string(),
            activated_at: marker.activated_at.map(|at| at.to_string()),
            revoked_at: marker.revoked_at.map(|at| at.to_string()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarkerListDto {
    pub items: Vec<MarkerDto>,
    pub next_cursor: Option<String>,
}

/// A marker just enrolled. The secret is in `otpauth_uri` and is shown only now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrolledMarkerDto {
    pub serial: String,
    /// Scan it (or type it) into an authenticator app; then activate with a first code.
    pub otpauth_uri: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CodeRequest {
    pub code: String,
}

/// The signed-in user's markers.
#[utoipa::path(get, path = "/me/markers", tag = "me",
    responses((status = 200, description = "Markers, oldest first", body = MarkerListDto)))]
pub async fn list_markers(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<MarkerListDto>, ApiError> {
    let markers = state.identity.markers(&principal).await?;
    Ok(Json(MarkerListDto { items: markers.iter().map(MarkerDto::from).collect(), next_cursor: None }))
}

/// Enrols a marker: the secret is shown once, as an `otpauth://` URI.
#[utoipa::path(post, path = "/me/markers", tag = "me",
    responses((status = 201, description = "Enrolled, pending activation", body = EnrolledMarkerDto)))]
pub async fn enrol_marker(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
) -> Result<(StatusCode, Json<EnrolledMarkerDto>), ApiError> {
    let enrolled = state.identity.enrol_marker(&context, &principal).await?;
    Ok((StatusCode::CREATED, Json(EnrolledMarkerDto { serial: enrolled.serial, otpauth_uri: enrolled.otpauth_uri })))
}

/// Activates an enrolled marker with its first code.
#[utoipa::path(post, path = "/me/markers/{serial}/activate", tag = "me", request_body = CodeRequest,
    params(("serial" = String, Path, description = "Marker serial")),
    responses(
        (status = 204, description = "Active"),
        (status = 401, description = "Code refused (`totp_mismatch`, `totp_replayed`)", body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "No such marker of this user", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn activate_marker(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiPath(serial): ApiPath<String>,
    ApiJson(request): ApiJson<CodeRequest>,
) -> Result<StatusCode, ApiError> {
    state.identity.activate_marker(&context, &principal, &serial, &request.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes a marker at once.
#[utoipa::path(delete, path = "/me/markers/{serial}", tag = "me",
    params(("serial" = String, Path, description = "Marker serial")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such marker of this user", body = ProblemDto, content_type = "application/problem+json")))]
pub async fn revoke_marker(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiPath(serial): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.identity.revoke_marker(&context, &principal, &serial).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceDto {
    pub id: String,
    /// `android`, `ios`.
    pub platform: String,
    pub os_version: String,
    pub name: String,
    pub registered_at: String,
}

impl From<&DeviceRecord> for DeviceDto {
    fn from(device: &DeviceRecord) -> DeviceDto {
        DeviceDto {
            id: device.id.get().to_string(),
            platform: device.platform.clone(),
            os_version: device.os_version.clone(),
            name: device.name.clone(),
            registered_at: device.registered_at.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceListDto {
    pub items: Vec<DeviceDto>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RegisterDeviceRequest {
    pub platform: String,
    pub os_version: String,
    pub name: String,
}

/// The signed-in user's registered devices.
#[utoipa::path(get, path = "/me/devices", tag = "me", responses((status = 200, description = "Devices", body = DeviceListDto)))]
pub async fn list_devices(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<DeviceListDto>, ApiError> {
    let devices = state.identity.devices(&principal).await?;
    Ok(Json(DeviceListDto { items: devices.iter().map(DeviceDto::from).collect(), next_cursor: None }))
}

/// Registers a device; an OS below the bank's minimum is refused (R-4.10, `os_version_unsupported`).
#[utoipa::path(post, path = "/me/devices", tag = "me", request_body = RegisterDeviceRequest,
    responses(
        (status = 201, description = "Registered", body = DeviceDto),
        (status = 422, description = "Unsupported platform or OS version", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn register_device(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiJson(request): ApiJson<RegisterDeviceRequest>,
) -> Result<(StatusCode, Json<DeviceDto>), ApiError> {
    let device = state
        .identity
        .register_device(&context, &principal, &request.platform, &request.os_version, &request.name)
        .await?;
    Ok((StatusCode::CREATED, Json(DeviceDto::from(&device))))
}

/// Revokes a device of the signed-in user.
#[utoipa::path(delete, path = "/me/devices/{id}", tag = "me", params(("id" = String, Path, description = "Device id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such device of this user", body = ProblemDto, content_type = "application/problem+json")))]
pub async fn revoke_device(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.identity.revoke_device(&context, &principal, DeviceId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyDto {
    pub id: String,
    pub name: String,
    /// `create` or `confirm` (confirming still needs a code).
    pub level: String,
    /// Account ids the key is limited to; empty: every account of the partner.
    pub accounts: Vec<String>,
    /// The first characters of the secret, to tell keys apart.
    pub prefix: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&ApiKeyRecord> for ApiKeyDto {
    fn from(key: &ApiKeyRecord) -> ApiKeyDto {
        ApiKeyDto {
            id: key.id.get().to_string(),
            name: key.name.clone(),
            level: key.level.as_str().to_owned(),
            accounts: key.accounts.iter().map(|id| id.get().to_string()).collect(),
            prefix: key.prefix.clone(),
            created_by: key.created_by.get().to_string(),
            created_at: key.created_at.to_string(),
            expires_at: key.expires_at.map(|at| at.to_string()),
            last_used_at: key.last_used_at.map(|at| at.to_string()),
            revoked_at: key.revoked_at.map(|at| at.to_string()),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyListDto {
    pub items: Vec<ApiKeyDto>,
    pub next_cursor: Option<String>,
}

/// A key just issued: `secret` is shown only now. Send it as `Authorization: Bearer <secret>`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedApiKeyDto {
    pub key: ApiKeyDto,
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct IssueApiKeyRequest {
    pub name: String,
    /// `create` or `confirm`.
    pub level: String,
    /// Account ids; omitted or empty: every account of the partner.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// RFC 3339; omitted: no expiry.
    pub expires_at: Option<String>,
}

/// The partner's API keys (full access).
#[utoipa::path(get, path = "/api-keys", tag = "api-keys", responses((status = 200, description = "Keys, newest first", body = ApiKeyListDto)))]
pub async fn list_api_keys(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<ApiKeyListDto>, ApiError> {
    let keys = state.identity.api_keys(&principal).await?;
    Ok(Json(ApiKeyListDto { items: keys.iter().map(ApiKeyDto::from).collect(), next_cursor: None }))
}

/// Issues a key for an ERP/1C integration, limited to a level and optionally to some accounts.
#[utoipa::path(post, path = "/api-keys", tag = "api-keys", request_body = IssueApiKeyRequest,
    responses(
        (status = 201, description = "Issued; the secret is shown once", body = IssuedApiKeyDto),
        (status = 422, description = "Invalid level, accounts or expiry", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn issue_api_key(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiJson(request): ApiJson<IssueApiKeyRequest>,
) -> Result<(StatusCode, Json<IssuedApiKeyDto>), ApiError> {
    let level = AccessLevel::parse(&request.level)
        .map_err(|error| ApiError::invalid("level", error.code(), error.to_string()))?;
    let accounts = request
        .accounts
        .iter()
        .map(|id| id.parse::<i64>().map(AccountId::new))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::invalid("accounts", "account_not_found", "account ids as listed by GET /accounts"))?;
    let expires_at = request
        .expires_at
        .as_deref()
        .map(|text| text.parse::<jiff::Timestamp>())
        .transpose()
        .map_err(|_| ApiError::invalid("expires_at", "invalid_instant", "an RFC 3339 instant"))?;
    let issued = state.identity.issue_api_key(&context, &principal, &request.name, level, accounts, expires_at).await?;
    Ok((StatusCode::CREATED, Json(IssuedApiKeyDto { key: ApiKeyDto::from(&issued.key), secret: issued.secret })))
}

/// Revokes a key at once.
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "api-keys", params(("id" = String, Path, description = "Key id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such key of this partner", body = ProblemDto, content_type = "application/problem+json")))]
pub async fn revoke_api_key(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.identity.revoke_api_key(&context, &principal, ApiKeyId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
