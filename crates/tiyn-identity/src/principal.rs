//! Who is acting: the authenticated user, with the credential they presented.

use tiyn_core::access::{AccessLevel, InformationRestrictions, Permission};
use tiyn_core::{AccountId, ApiKeyId, PartnerId, SessionId, UserId};
use tiyn_store::User;

/// How the principal authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A session from the login flow.
    Session(SessionId),
    /// A partner's API key, limited to a level and possibly to some accounts.
    ApiKey { id: ApiKeyId, accounts: Vec<AccountId> },
}

/// An authenticated actor. Obtained only from [`crate::Identity::authenticate`] (or the API key
/// check), so holding one means the credential was valid when the request started.
#[derive(Debug, Clone)]
pub struct Principal {
    user: User,
    credential: Credential,
    /// The effective level: the user's, or an API key's (never above the user's).
    level: Option<AccessLevel>,
    /// Information services the bank withholds from the partner's `create` level.
    withheld: InformationRestrictions,
}

impl Principal {
    pub(crate) fn new(
        user: User,
        credential: Credential,
        level: Option<AccessLevel>,
        withheld: InformationRestrictions,
    ) -> Principal {
        Principal { user, credential, level, withheld }
    }

    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn user_id(&self) -> UserId {
        self.user.id
    }

    /// The partner the principal acts for; `None` for a bank operator.
    pub fn partner(&self) -> Option<PartnerId> {
        self.user.partner
    }

    pub fn level(&self) -> Option<AccessLevel> {
        self.level
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    pub fn session(&self) -> Option<SessionId> {
        match self.credential {
            Credential::Session(id) => Some(id),
            Credential::ApiKey { .. } => None,
        }
    }

    /// Whether the effective level includes `permission`. A bank operator has no partner
    /// permissions.
    pub fn allows(&self, permission: Permission) -> bool {
        self.level.is_some_and(|level| level.allows_with(permission, &self.withheld))
    }

    /// Whether a bank operator's role includes `permission`. A partner's user has none.
    pub fn allows_bank(&self, permission: tiyn_core::BankPermission) -> bool {
        self.user.partner.is_none() && self.user.operator_role.is_some_and(|role| role.allows(permission))
    }

    /// The permissions of the effective level, in the matrix's order (for `GET /me`).
    pub fn permissions(&self) -> Vec<Permission> {
        match self.level {
            Some(level) => level.permissions().iter().copied().filter(|permission| self.allows(*permission)).collect(),
            None => Vec::new(),
        }
    }

    /// Whether an API key limited to some accounts may touch `account`.
    pub fn may_use_account(&self, account: AccountId) -> bool {
        match &self.credential {
            Credential::ApiKey { accounts, .. } if !accounts.is_empty() => accounts.contains(&account),
            _ => true,
        }
    }
}
