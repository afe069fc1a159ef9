//! The bank operator API under `/api/admin/v1` (R-8.2, R-6.1.4, R-6.1.8, R-6.4.7, R-6.5.2, R-3.4):
//! partners created from their applications, blocks and lockouts lifted by the bank, operators,
//! and the whole audit trail.
//!
//! Every route's rule is [`crate::authz::Access::Operator`]; on top of that, each handler obtains
//! a [`BankActor`] through the [`Operator`] extractor, so no handler here can run for a partner's
//! user even if a rule were wrong. The request DTOs also parse the application file of
//! `tiyn admin create-partner` ([`application_from_json`]), so the console and the API accept the
//! same shape.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use tiyn_core::access::AccessLevel;
use tiyn_core::{Bin, Currency, Email, MobileNumber, PartnerId, UserId};
use tiyn_identity::{
    Application, ApplicationAccount, BankActor, NewOperator, NewUserInput, PartnerOverview, Principal,
};
use tiyn_store::{AuditQuery, Partner};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::accounts::AccountDto;
use crate::audit::{AuditListDto, AuditRecordDto, bound, number};
use crate::authz::RequestContext;
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::lang::Lang;
use crate::users::UserDto;
use crate::{ApiState, audit};

/// Where the bank operator API lives.
pub const ADMIN_V1_PREFIX: &str = "/api/admin/v1";
/// Partners per page when the client does not say.
pub const PARTNERS_PAGE_DEFAULT: usize = 50;
/// The most partners per page, as for accounts.
pub const PARTNERS_PAGE_MAX: usize = 200;

/// The operator API's routes, to nest under [`ADMIN_V1_PREFIX`].
pub fn admin_router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(admin_list_partners, admin_create_partner))
        .routes(routes!(admin_get_partner))
        .routes(routes!(admin_set_withheld_services))
        .routes(routes!(admin_block_user))
        .routes(routes!(admin_unblock_user))
        .routes(routes!(admin_clear_lockout))
        .routes(routes!(admin_audit))
        .routes(routes!(admin_create_operator))
        .routes(routes!(crate::rules::admin_payment_rules, crate::rules::admin_set_payment_rules))
        .routes(routes!(crate::rules::admin_restrictions, crate::rules::admin_add_restriction))
        .routes(routes!(crate::rules::admin_lift_restriction))
        .routes(routes!(crate::rules::admin_aml_list, crate::rules::admin_replace_aml_list))
        .routes(routes!(crate::rates::admin_rates, crate::rates::admin_set_rate))
        .routes(routes!(crate::rates::admin_import_nbk))
        // Notices and marketplace reports (issue 6, R-3.1.2.8).
        .routes(routes!(crate::messages::admin_publish_message))
}

/// The signed-in bank operator, as the capability the bank's use cases take. A partner's user
/// (or key) is refused with 403 `operator_only`, nobody with 401.
#[derive(Debug, Clone)]
pub struct Operator(pub BankActor);

impl<S: Send + Sync> FromRequestParts<S> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Operator, ApiError> {
        let principal = parts.extensions.get::<Principal>().ok_or(ApiError::Unauthenticated)?;
        BankActor::operator(principal).map(Operator).ok_or(ApiError::OperatorOnly)
    }
}

/// An error as one line for the console: the detail and each refused field.
pub fn problem_text(error: &ApiError) -> String {
    let problem = error.problem(Lang::En);
    let mut text = format!("{} ({})", problem.detail, problem.code);
    for field in &problem.errors {
        text.push_str(&format!("\n  {}: {} ({})", field.field, field.message, field.code));
    }
    text
}

// ----- DTOs -----

/// A partner as the bank sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminPartnerDto {
    pub id: String,
    pub name: String,
    pub bin: String,
    pub legal_address: String,
    /// RFC 3339.
    pub created_at: String,
    /// Information services withheld from the partner's `create`-level users (R-8.1.3):
    /// permission names such as `view_pos`.
    pub withheld_services: Vec<String>,
}

impl From<&Partner> for AdminPartnerDto {
    fn from(partner: &Partner) -> AdminPartnerDto {
        AdminPartnerDto {
            id: partner.id.get().to_string(),
            name: partner.name.clone(),
            bin: partner.bin.as_str().to_owned(),
            withheld_services: partner
                .withheld
                .permissions()
                .map(|permission| permission.as_str().to_owned())
                .collect(),
            legal_address: partner.legal_address.clone(),
            created_at: partner.created_at.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminPartnerListDto {
    pub items: Vec<AdminPartnerDto>,
    pub next_cursor: Option<String>,
}

/// A partner with its accounts and users.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerOverviewDto {
    pub partner: AdminPartnerDto,
    pub accounts: Vec<AccountDto>,
    pub users: Vec<UserDto>,
}

impl From<&PartnerOverview> for PartnerOverviewDto {
    fn from(overview: &PartnerOverview) -> PartnerOverviewDto {
        PartnerOverviewDto {
            partner: AdminPartnerDto::from(&overview.partner),
            accounts: overview.accounts.iter().map(AccountDto::from).collect(),
            users: overview.users.iter().map(UserDto::from).collect(),
        }
    }
}

/// An account to open.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ApplicationAccountRequest {
    /// ISO 4217: `KZT`, `USD`, `EUR`, …
    #[schema(example = "KZT")]
    pub currency: String,
    #[schema(example = "Основной счёт")]
    pub name: String,
}

/// A user to register, pending activation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ApplicationUserRequest {
    pub full_name: String,
    /// `+77011234567`; the codes go there.
    pub mobile: String,
    pub email: Option<String>,
    /// `full`, `confirm` or `create`.
    pub level: String,
    /// The partner holds the user's consent to the processing of personal data (R-5.3).
    #[serde(default)]
    pub consent: bool,
}

/// A partner's application for the cabinet (R-8.2). Also the file of
/// `tiyn admin create-partner --application`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreatePartnerRequest {
    pub name: String,
    /// 12 digits.
    pub bin: String,
    pub legal_address: String,
    /// At least one; IBANs are assigned by the bank.
    #[serde(default)]
    pub accounts: Vec<ApplicationAccountRequest>,
    /// At least one with `full` access.
    #[serde(default)]
    pub users: Vec<ApplicationUserRequest>,
}

impl CreatePartnerRequest {
    /// Parses every field into its domain type, naming each refused one (`users[1].mobile`).
    /// The rules that need no parsing (names, limits, consent, a full-access user, free logins)
    /// are the use case's.
    pub fn into_application(self) -> Result<Application, ApiError> {
        let mut errors = Vec::new();
        let bin = Bin::parse(self.bin.trim()).map_err(|error| FieldError::new("bin", error.code(), error.to_string()));
        let bin = bin.map_err(|error| errors.push(error)).ok();
        let mut accounts = Vec::new();
        for (index, account) in self.accounts.into_iter().enumerate() {
            match Currency::parse(account.currency.trim()) {
                Ok(currency) => accounts.push(ApplicationAccount { currency, name: account.name }),
                Err(error) => {
                    errors.push(FieldError::new(format!("accounts[{index}].currency"), error.code(), error.to_string()))
                }
            }
        }
        let mut users = Vec::new();
        for (index, user) in self.users.into_iter().enumerate() {
            let field = |name: &str| format!("users[{index}].{name}");
            let mobile = MobileNumber::parse(&user.mobile)
                .map_err(|error| FieldError::new(field("mobile"), error.code(), error.to_string()));
            let email = user
                .email
                .as_deref()
                .filter(|text| !text.trim().is_empty())
                .map(Email::parse)
                .transpose()
                .map_err(|error| FieldError::new(field("email"), error.code(), error.to_string()));
            let level = AccessLevel::parse(&user.level)
                .map_err(|error| FieldError::new(field("level"), error.code(), error.to_string()));
            match (mobile, email, level) {
                (Ok(mobile), Ok(email), Ok(level)) => users.push(NewUserInput {
                    full_name: user.full_name,
                    mobile: Some(mobile),
                    email,
                    level,
                    consent_confirmed: user.consent,
                }),
                (mobile, email, level) => errors.extend([mobile.err(), email.err(), level.err()].into_iter().flatten()),
            }
        }
        match bin {
            Some(bin) if errors.is_empty() => {
                Ok(Application { name: self.name, bin, legal_address: self.legal_address, accounts, users })
            }
            _ => Err(ApiError::Invalid(errors)),
        }
    }
}

/// The application of `tiyn admin create-partner --application FILE.json`: the body of
/// `POST /api/admin/v1/partners`.
pub fn application_from_json(text: &str) -> Result<Application, ApiError> {
    let request: CreatePartnerRequest = serde_json::from_str(text)
        .map_err(|error| ApiError::invalid("application", "invalid_body", error.to_string()))?;
    request.into_application()
}

/// A new bank operator.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateOperatorRequest {
    pub full_name: String,
    pub mobile: String,
    pub email: Option<String>,
    /// `administrator`, `security` or `viewer`.
    pub role: String,
}

impl CreateOperatorRequest {
    pub fn into_operator(self) -> Result<NewOperator, ApiError> {
        let mobile = MobileNumber::parse(&self.mobile)
            .map_err(|error| FieldError::new("mobile", error.code(), error.to_string()));
        let email = self
            .email
            .as_deref()
            .filter(|text| !text.trim().is_empty())
            .map(Email::parse)
            .transpose()
            .map_err(|error| FieldError::new("email", error.code(), error.to_string()));
        let role = tiyn_core::OperatorRole::parse(&self.role)
            .map_err(|error| FieldError::new("role", error.code(), error.to_string()));
        match (mobile, email, role) {
            (Ok(mobile), Ok(email), Ok(role)) => Ok(NewOperator { full_name: self.full_name, mobile, email, role }),
            (mobile, email, role) => {
                Err(ApiError::Invalid([mobile.err(), email.err(), role.err()].into_iter().flatten().collect()))
            }
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminPartnerParams {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminAuditParams {
    /// Only the records of this partner.
    pub partner: Option<String>,
    /// From this date (`YYYY-MM-DD`, Asia/Almaty) or instant (RFC 3339), inclusive.
    pub from: Option<String>,
    /// Up to this date, inclusive, or instant, exclusive.
    pub to: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

// ----- Handlers -----

/// Every partner, by id.
#[utoipa::path(get, path = "/partners", tag = "admin", params(AdminPartnerParams),
    responses(
        (status = 200, description = "Partners, by id", body = AdminPartnerListDto),
        (status = 403, description = "Not a bank operator (`operator_only`)", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn admin_list_partners(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Operator(actor): Operator,
    ApiQuery(params): ApiQuery<AdminPartnerParams>,
) -> Result<Json<AdminPartnerListDto>, ApiError> {
    let limit = match params.limit.as_deref() {
        Some(text) => number::<usize>("limit", "invalid_limit", text)?,
        None => PARTNERS_PAGE_DEFAULT,
    };
    if !(1..=PARTNERS_PAGE_MAX).contains(&limit) {
        return Err(ApiError::invalid("limit", "invalid_limit", format!("limit is 1 to {PARTNERS_PAGE_MAX}")));
    }
    let after = params
        .cursor
        .as_deref()
        .filter(|text| !text.is_empty())
        .map(|text| number::<i64>("cursor", "invalid_cursor", text).map(PartnerId::new))
        .transpose()?;
    let partners = state.identity.bank_partners(&context, &actor).await?;
    let mut page: Vec<&Partner> =
        partners.iter().filter(|partner| after.is_none_or(|after| partner.id > after)).take(limit + 1).collect();
    let next_cursor = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|partner| partner.id.get().to_string())
    } else {
        None
    };
    Ok(Json(AdminPartnerListDto { items: page.into_iter().map(AdminPartnerDto::from).collect(), next_cursor }))
}

/// Creates the partner's cabinet from its application (R-8.2): the partner, its accounts with
/// IBANs of the bank, and its users pending activation (they activate by SMS code, R-5.2).
#[utoipa::path(post, path = "/partners", tag = "admin", request_body = CreatePartnerRequest,
    responses(
        (status = 201, description = "Created: the partner, its accounts and its users", body = PartnerOverviewDto),
        (status = 409, description = "A partner with this BIN exists (`partner_exists`)", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, named like `users[0].mobile`", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn admin_create_partner(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Operator(actor): Operator,
    ApiJson(request): ApiJson<CreatePartnerRequest>,
) -> Result<(StatusCode, Json<PartnerOverviewDto>), ApiError> {
    let application = request.into_application()?;
    let overview = state.identity.create_partner_from_application(&context, &actor, &state.bank, application).await?;
    Ok((StatusCode::CREATED, Json(PartnerOverviewDto::from(&overview))))
}

/// One partner with its accounts and users.
#[utoipa::path(get, path = "/partners/{id}", tag = "admin", params(("id" = String, Path, description = "Partner id")),
    responses(
        (status = 200, description = "The partner", body = PartnerOverviewDto),
        (status = 404, description = "No such partner", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn admin_get_partner(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Operator(actor): Operator,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PartnerOverviewDto>, ApiError> {
    let overview = state.identity.bank_partner(&context, &actor, PartnerId::new(id)).await?;
    Ok(Json(PartnerOverviewDto::from(&overview)))
}

/// The bank blocks any user at once, for safety or on the partner's request: their sessions end
/// (R-6.1.8, R-6.4.7). Only the bank lifts it.
#[utoipa::path(post, path = "/users/{id}/block", tag = "admin", params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Blocked"),
        (status = 404, description = "No such user", body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "`already_blocked`", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn admin_block_user(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Operator(actor): Operator,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.identity.bank_block_user(&context, &actor, UserId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts any block: the bank's, the partner's, or one after lost access means were reported
/// (R-6.1.8, R-6.5.2).
#[utoipa::path(post, path = "/users/{id}/unblock", tag = "admin", params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Unblocked"),
        (status = 404, description = "No such user", body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "`not_blocked`", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn admin_unblock_user(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Operator(actor): Operator,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.identity.bank_unblock_user(&context, &actor, UserId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WithheldServicesRequest {
    /// Information services (permission names: `view_accounts`, `view_statements`, `view_pos`,
    /// …) the partner's `create`-level users do not get; empty: all.
    pub withheld: Vec<String>,
}

/// Sets the information services withheld from the partner's `create` level (R-8.1.3).
#[utoipa::path(put, path = "/partners/{id}/withheld-services", tag = "admin", params(("id" = String, Path, description = "Partner id")),
    request_body = WithheldServicesRequest,
    responses(
        (status = 204, description = "Set; effective at the users' next request"),
        (status = 404, description = "No such partner", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "Not an information service", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn admin_set_withheld_services(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Operator(actor): Operator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<WithheldServicesRequest>,
) -> Result<StatusCode, ApiError> {
    let mut permissions = Vec::new();
    for name in &request.withheld {
        let permission = tiyn_core::access::Permission::parse(name)
            .map_err(|error| ApiError::invalid("withheld", error.code(), format!("unknown service {name:?}")))?;
        permissions.push(permission);
    }
    let withheld = tiyn_core::access::InformationRestrictions::new(permissions)
        .map_err(|error| ApiError::invalid("withheld", error.code(), error.to_string()))?;
    state.identity.set_withheld_services(&context, &actor, PartnerId::new(id), withheld).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a lockout after repeated failed passwords or codes (R-6.1.4).
#[utoipa::path(post, path = "/users/{id}/clear-lockout", tag = "admin", params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Lockout cleared"),
        (status = 404, description = "No such user", body = ProblemDto, content_type = "application/problem+json"),
        (status = 409, description = "`not_locked_out`", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn admin_clear_lockout(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Operator(actor): Operator,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.identity.clear_lockout(&context, &actor, UserId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The whole audit trail, or one partner's, newest first (R-3.4).
#[utoipa::path(get, path = "/audit", tag = "admin", params(AdminAuditParams),
    responses(
        (status = 200, description = "Records, newest first", body = AuditListDto),
        (status = 422, description = "Invalid filter", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn admin_audit(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Operator(actor): Operator,
    ApiQuery(params): ApiQuery<AdminAuditParams>,
) -> Result<Json<AuditListDto>, ApiError> {
    let query = AuditQuery {
        partner: params
            .partner
            .as_deref()
            .filter(|text| !text.is_empty())
            .map(|text| number::<i64>("partner", "invalid_partner", text).map(PartnerId::new))
            .transpose()?,
        actor: None,
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
            .unwrap_or(audit::AUDIT_PAGE_DEFAULT),
    };
    let view = state.identity.bank_audit(&context, &actor, query).await?;
    Ok(Json(AuditListDto {
        items: view.records.iter().map(AuditRecordDto::from).collect(),
        next_cursor: view.next_before_id.map(|id| id.to_string()),
    }))
}

/// Creates a bank operator, pending activation: they choose a password after an SMS code (R-5.2).
#[utoipa::path(post, path = "/operators", tag = "admin", request_body = CreateOperatorRequest,
    responses(
        (status = 201, description = "Created, pending activation", body = UserDto),
        (status = 422, description = "Invalid fields, or the login is taken (`login_taken`)", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn admin_create_operator(
    State(state): State<ApiState>,
    RequestContext(context): RequestContext,
    Operator(actor): Operator,
    ApiJson(request): ApiJson<CreateOperatorRequest>,
) -> Result<(StatusCode, Json<UserDto>), ApiError> {
    let operator = request.into_operator()?;
    let user = state.identity.create_operator(&context, &actor, operator).await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(&user))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_names_every_refused_field() {
        let json = r#"{"name": "ТОО «Тест»", "bin": "123", "legal_address": "Алматы",
            "accounts": [{"currency": "KZT", "name": "Основной"}, {"currency": "XXX", "name": "?"}],
            "users": [{"full_name": "А Б", "mobile": "+77010000999", "level": "full", "consent": true},
                      {"full_name": "В Г", "mobile": "123", "email": "nope", "level": "boss"}]}"#;
        let Err(ApiError::Invalid(errors)) = application_from_json(json) else { panic!("refused") };
        let fields: Vec<(&str, &str)> = errors.iter().map(|error| (error.field.as_str(), error.code)).collect();
        assert_eq!(
            fields,
            [
                ("bin", "invalid_bin"),
                ("accounts[1].currency", "unsupported_currency"),
                ("users[1].mobile", "invalid_mobile_number"),
                ("users[1].email", "invalid_email"),
                ("users[1].level", "invalid_access_level"),
            ]
        );
        assert_eq!(tiyn_identity::application_field("users", 1, "mobile"), "users[1].mobile");
    }
}
