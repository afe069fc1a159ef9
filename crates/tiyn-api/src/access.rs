//! Which partner a request acts for, and what it may see. Tenant isolation of accounts is
//! decided here and only here: handlers obtain a [`CurrentPartner`] and read accounts through
//! [`owned_account`] and [`partner_accounts`], never with `store.account(id)` directly. (Users go
//! through `Identity::partner_user`, the same rule for the identity side.)

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tiyn_core::{AccountId, PartnerId};
use tiyn_identity::{Credential, Principal};
use tiyn_store::{Account, Store};

use crate::error::ApiError;

/// The partner a request acts for: a capability. It can only be obtained from the signed-in
/// [`Principal`] the authorization middleware put in the request, so a handler that has one was
/// authenticated. A bank operator has no partner and gets 401 on partner routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentPartner {
    id: PartnerId,
    /// An API key limited to some accounts sees only those; empty: all of the partner's.
    accounts: Vec<AccountId>,
}

impl CurrentPartner {
    pub fn id(&self) -> PartnerId {
        self.id
    }

    fn may_see(&self, account: AccountId) -> bool {
        self.accounts.is_empty() || self.accounts.contains(&account)
    }

    /// The partner of this request, if it is authenticated (for pages that show a signed-out state
    /// instead of an error).
    pub fn from_parts(parts: &Parts) -> Option<CurrentPartner> {
        let principal = parts.extensions.get::<Principal>()?;
        let accounts = match principal.credential() {
            Credential::ApiKey { accounts, .. } => accounts.clone(),
            Credential::Session(_) => Vec::new(),
        };
        principal.partner().map(|id| CurrentPartner { id, accounts })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentPartner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<CurrentPartner, ApiError> {
        CurrentPartner::from_parts(parts).ok_or(ApiError::Unauthenticated)
    }
}

/// The account `id` if it belongs to `partner`. An account of another partner (or of the bank)
/// answers exactly like an unknown id, so ids cannot be probed across tenants.
pub async fn owned_account(store: &dyn Store, partner: &CurrentPartner, id: AccountId) -> Result<Account, ApiError> {
    match store.account(id).await? {
        Some(account) if account.partner == Some(partner.id) && partner.may_see(account.id) => Ok(account),
        Some(_) | None => Err(ApiError::NotFound { what: "account" }),
    }
}

/// Every account of `partner`, ordered by id.
pub async fn partner_accounts(store: &dyn Store, partner: &CurrentPartner) -> Result<Vec<Account>, ApiError> {
    let accounts = store.partner_accounts(partner.id).await?;
    // The store answers by partner; a row of another partner here would be a backend bug that
    // leaks data, so it is checked rather than trusted.
    if accounts.iter().any(|account| account.partner != Some(partner.id)) {
        return Err(ApiError::Internal(format!("store returned another partner's account for partner {}", partner.id)));
    }
    Ok(accounts.into_iter().filter(|account| partner.may_see(account.id)).collect())
}
