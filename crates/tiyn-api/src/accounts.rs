//! `GET /api/v1/accounts` and `GET /api/v1/accounts/{id}`: the partner's accounts with balances
//! (R-3.1.2.1), through the API as through the cabinet.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tiyn_core::AccountId;
use tiyn_store::Account;
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::access::{CurrentPartner, owned_account, partner_accounts};
use crate::error::{ApiError, ProblemDto};
use crate::extract::{ApiPath, ApiQuery};
use crate::money::MoneyDto;

/// Accounts per page when the client does not say.
pub const ACCOUNTS_PAGE_DEFAULT: u32 = 50;
/// The most accounts per page: a partner has a handful, a holding a few hundred; larger pages
/// only make slow responses.
pub const ACCOUNTS_PAGE_MAX: u32 = 200;

/// A partner's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccountDto {
    /// Opaque identifier (a string: clients must not do arithmetic on it).
    #[schema(example = "17")]
    pub id: String,
    #[schema(example = "KZ86722S000000000001")]
    pub iban: Option<String>,
    #[schema(example = "KZT")]
    pub currency: String,
    pub name: String,
    /// `open` or `closed`.
    #[schema(example = "open")]
    pub status: String,
    /// Posted balance.
    pub balance: MoneyDto,
    /// What can be spent now: balance less holds.
    pub available: MoneyDto,
    /// Reserved by holds (documents in processing).
    pub held: MoneyDto,
}

impl From<&Account> for AccountDto {
    fn from(account: &Account) -> AccountDto {
        AccountDto {
            id: account.id.get().to_string(),
            iban: account.iban.as_ref().map(|iban| iban.as_str().to_owned()),
            currency: account.currency.code().to_owned(),
            name: account.name.clone(),
            status: account.status.as_str().to_owned(),
            balance: account.balance.into(),
            available: account.available().into(),
            held: account.held.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountListDto {
    pub items: Vec<AccountDto>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Page bounds parsed from the query. The cursor is the id of the last account of the previous
/// page: accounts are listed by id, so a page never repeats or skips one that existed before.
struct Page {
    limit: usize,
    after: Option<AccountId>,
}

impl Page {
    fn parse(params: &ListParams) -> Result<Page, ApiError> {
        let limit = match params.limit.as_deref() {
            None => ACCOUNTS_PAGE_DEFAULT,
            Some(text) => match text.parse::<u32>() {
                Ok(limit) if (1..=ACCOUNTS_PAGE_MAX).contains(&limit) => limit,
                _ => {
                    return Err(ApiError::invalid(
                        "limit",
                        "invalid_limit",
                        format!("limit is 1 to {ACCOUNTS_PAGE_MAX}"),
                    ));
                }
            },
        };
        let after = match params.cursor.as_deref() {
            None | Some("") => None,
            Some(text) => match text.parse::<i64>() {
                Ok(id) => Some(AccountId::new(id)),
                Err(_) => {
                    return Err(ApiError::invalid("cursor", "invalid_cursor", "pass next_cursor as it was returned"));
                }
            },
        };
        Ok(Page { limit: limit as usize, after })
    }

    fn apply(&self, accounts: &[Account]) -> AccountListDto {
        let rest: Vec<&Account> =
            accounts.iter().filter(|account| self.after.is_none_or(|after| account.id > after)).collect();
        let items: Vec<AccountDto> = rest.iter().take(self.limit).map(|account| AccountDto::from(*account)).collect();
        let next_cursor = if rest.len() > self.limit { items.last().map(|last| last.id.clone()) } else { None };
        AccountListDto { items, next_cursor }
    }
}

/// The current partner's accounts with balances.
#[utoipa::path(
    get,
    path = "/accounts",
    tag = "accounts",
    params(ListParams),
    responses(
        (status = 200, description = "The partner's accounts, ordered by id", body = AccountListDto),
        (status = 401, description = "Not signed in", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "Invalid limit or cursor", body = ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn list_accounts(
    State(state): State<ApiState>,
    partner: CurrentPartner,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<AccountListDto>, ApiError> {
    let page = Page::parse(&params)?;
    let accounts = partner_accounts(state.store.as_ref(), &partner).await?;
    Ok(Json(page.apply(&accounts)))
}

/// One account of the current partner. Another partner's account answers 404, exactly like an
/// unknown id.
#[utoipa::path(
    get,
    path = "/accounts/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account", body = AccountDto),
        (status = 401, description = "Not signed in", body = ProblemDto, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this partner", body = ProblemDto, content_type = "application/problem+json"),
    )
)]
pub async fn get_account(
    State(state): State<ApiState>,
    partner: CurrentPartner,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AccountDto>, ApiError> {
    let account = owned_account(state.store.as_ref(), &partner, AccountId::new(id)).await?;
    Ok(Json(AccountDto::from(&account)))
}
