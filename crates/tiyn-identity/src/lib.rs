//! The security procedure as use cases (issue 3): who may enter and how, what a session is, how
//! users are managed and blocked, and the audit trail of it all.
//!
//! [`Identity`] composes the pure primitives of `tiyn-auth` with the [`Store`] and the [`Notifier`].
//! It knows nothing of HTTP: the API and the cabinet call it with a [`Context`] (source address and
//! user agent, for the audit trail and for counting failures per source) and translate its
//! [`IdentityError`]s into responses.
//!
//! # Invariants
//! - Every attempt, success or failure, leaves one audit record; if the record cannot be
//!   written, the action fails.
//! - A failed login never says which factor was wrong or whether the login exists: unknown
//!   logins, wrong passwords, locked, blocked and not yet activated users all answer
//!   [`IdentityError::InvalidCredentials`], after the same Argon2 work.
//! - Failures are counted per user and per source in the store, atomically.
//! - Secrets (passwords, codes, tokens) never reach a log, an audit record or the database in clear.

mod audit;
mod bank;
mod clock;
mod config;
mod confirmation;
mod error;
mod login;
mod means;
mod passwords;
mod principal;
mod users;

use std::sync::Arc;

use tiyn_notify::Notifier;
use tiyn_store::Store;

pub use audit::{AuditView, audit_action};
pub use bank::{
    APPLICATION_ACCOUNTS_MAX, APPLICATION_USERS_MAX, Application, ApplicationAccount, BankActor, BankIdentity,
    NewOperator, PartnerOverview, application_field,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{IdentityConfig, Keys};
pub use confirmation::CONFIRMATION_CODE;
pub use error::IdentityError;
pub use login::{Challenge, ChallengeChannel, NewSession, business_date};
pub use means::{API_KEY_PREFIX, DevicePolicy, EnrolledMarker, IssuedApiKey};
pub use principal::{Credential, Principal};
pub use users::{NewUserInput, UserEdit};

/// Where a request came from, for the audit trail and for counting failures per source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The client's IP address as the server sees it (or as a trusted proxy reports it).
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The identity use cases over one store and one notifier.
#[derive(Clone)]
pub struct Identity {
    store: Arc<dyn Store>,
    notifier: Arc<dyn Notifier>,
    config: Arc<IdentityConfig>,
    clock: Arc<dyn Clock>,
}

impl Identity {
    pub fn new(
        store: Arc<dyn Store>,
        notifier: Arc<dyn Notifier>,
        config: IdentityConfig,
        clock: Arc<dyn Clock>,
    ) -> Identity {
        Identity { store, notifier, config: Arc::new(config), clock }
    }

    pub fn config(&self) -> &IdentityConfig {
        &self.config
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
