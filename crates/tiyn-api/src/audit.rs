//! `GET /api/v1/audit`: the partner's audit trail for its full-access users.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tiyn_core::UserId;
use tiyn_store::{AuditOutcome, AuditQuery, AuditRecord};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::authz::{Authenticated, RequestContext};
use crate::error::{ApiError, ProblemDto};
use crate::extract::ApiQuery;

/// Records per page when the client does not say.
pub const AUDIT_PAGE_DEFAULT: usize = 50;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditRecordDto {
    pub id: String,
    /// RFC 3339.
    pub at: String,
    /// The user who acted; `null` for an anonymous attempt or the platform.
    pub actor: Option<String>,
    /// The partner the action concerns; `null` for the bank's own actions.
    pub partner: Option<String>,
    /// `auth.login`, `users.block`, …
    pub action: String,
    /// `user:12`, `session:40`, …
    pub object: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// `success`, or the failure's code.
    pub outcome: String,
    pub details: Option<String>,
}

impl From<&AuditRecord> for AuditRecordDto {
    fn from(record: &AuditRecord) -> AuditRecordDto {
        let fields = &record.record;
        AuditRecordDto {
            id: record.id.to_string(),
            at: fields.at.to_string(),
            actor: fields.actor.map(|id| id.get().to_string()),
            partner: fields.partner.map(|id| id.get().to_string()),
            action: fields.action.clone(),
            object: fields.object.clone(),
            source_ip: fields.source_ip.clone(),
            user_agent: fields.user_agent.clone(),
            outcome: match &fields.outcome {
                AuditOutcome::Success => "success".to_owned(),
                AuditOutcome::Failure(code) => code.clone(),
            },
            details: fields.details.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditListDto {
    pub items: Vec<AuditRecordDto>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// From this date (`YYYY-MM-DD`, Asia/Almaty) or instant (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Up to this date, inclusive, or instant, exclusive.
    pub to: Option<String>,
    /// Only this user's actions.
    pub user: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// A date is a whole business day in Asia/Almaty; an instant is taken as is.
pub(crate) fn bound(field: &'static str, text: &str, end: bool) -> Result<Timestamp, ApiError> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let date = text
        .parse::<jiff::civil::Date>()
        .map_err(|_| ApiError::invalid(field, "invalid_date", "a date is YYYY-MM-DD or an RFC 3339 instant"))?;
    let date = if end {
        date.tomorrow().map_err(|_| ApiError::invalid(field, "invalid_date", "date out of range"))?
    } else {
        date
    };
    date.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(5)))
        .map(|zoned| zoned.timestamp())
        .map_err(|_| ApiError::invalid(field, "invalid_date", "date out of range"))
}

pub(crate) fn number<T: std::str::FromStr>(field: &'static str, code: &'static str, text: &str) -> Result<T, ApiError> {
    text.parse::<T>().map_err(|_| ApiError::invalid(field, code, format!("{field} is not a valid value")))
}

/// The partner's audit trail, newest first; full access only.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditParams),
    responses(
        (status = 200, description = "Records, newest first", body = AuditListDto),
        (status = 403, description = "Level insufficient", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn list_audit(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Authenticated(principal): Authenticated,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<AuditListDto>, ApiError> {
    let query = AuditQuery {
        partner: None,
        actor: params
            .user
            .as_deref()
            .map(|text| number::<i64>("user", "invalid_user", text).map(UserId::new))
            .transpose()?,
        from: params.from.as_deref().map(|text| bound("from", text, false)).transpose()?,
        to: params.to.as_deref().map(|text| bound("to", text, true)).transpose()?,
        before_id: params
            .cursor
            .as_deref()
            .filter(|text| !text.is_empty())
            .map(|text| number("cursor", "invalid_cursor", text))
            .transpose()?,
        limit: params
            .limit
            .as_deref()
            .map(|text| number("limit", "invalid_limit", text))
            .transpose()?
            .unwrap_or(AUDIT_PAGE_DEFAULT),
    };
    let view = state.identity.partner_audit(&context, &principal, query).await?;
    Ok(Json(AuditListDto {
        items: view.records.iter().map(AuditRecordDto::from).collect(),
        next_cursor: view.next_before_id.map(|id| id.to_string()),
    }))
}
