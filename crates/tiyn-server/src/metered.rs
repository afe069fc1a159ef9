//! A [`Store`] decorator that counts ledger commands for `/metrics`. Every command the server runs
//! goes through the store, so counting here cannot miss one, and no handler has to remember to.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use tiyn_auth::{ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy};
use tiyn_core::{AccountId, Currency, PartnerId};
use tiyn_core::{Login, SessionId, UserId};
use tiyn_ledger::{Command, Executed};
use tiyn_store::{
    Account, AccountKind, CurrencyTotal, Durability, LedgerCheck, NewAccount, NewPartner, NewUser, Partner, Store,
    StoreError, User,
};
use tiyn_store::{SessionEnd, SessionRecord};

use crate::metrics::{LedgerOutcome, Metrics};

pub struct MeteredStore {
    inner: Arc<dyn Store>,
    metrics: Arc<Metrics>,
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>, metrics: Arc<Metrics>) -> MeteredStore {
        MeteredStore { inner, metrics }
    }
}

#[async_trait]
impl Store for MeteredStore {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    async fn durability(&self) -> Result<Durability, StoreError> {
        self.inner.durability().await
    }

    async fn create_partner(&self, partner: NewPartner) -> Result<PartnerId, StoreError> {
        self.inner.create_partner(partner).await
    }

    async fn partner(&self, id: PartnerId) -> Result<Option<Partner>, StoreError> {
        self.inner.partner(id).await
    }

    async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        self.inner.partners().await
    }

    async fn open_account(&self, account: NewAccount) -> Result<AccountId, StoreError> {
        self.inner.open_account(account).await
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.inner.account(id).await
    }

    async fn partner_accounts(&self, partner: PartnerId) -> Result<Vec<Account>, StoreError> {
        self.inner.partner_accounts(partner).await
    }

    async fn bank_account(&self, kind: AccountKind, currency: Currency) -> Result<AccountId, StoreError> {
        self.inner.bank_account(kind, currency).await
    }

    async fn execute(&self, command: Command) -> Result<Executed, StoreError> {
        let result = self.inner.execute(command).await;
        let outcome = match &result {
            Ok(executed) if executed.replayed => LedgerOutcome::Replayed,
            Ok(_) => LedgerOutcome::Executed,
            Err(StoreError::Ledger(_)) => LedgerOutcome::Refused,
            Err(_) => LedgerOutcome::Failed,
        };
        self.metrics.record_ledger(outcome);
        result
    }

    async fn create_user(&self, user: NewUser) -> Result<UserId, StoreError> {
        self.inner.create_user(user).await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.inner.user(id).await
    }

    async fn user_by_login(&self, login: &Login) -> Result<Option<User>, StoreError> {
        self.inner.user_by_login(login).await
    }

    async fn partner_users(&self, partner: PartnerId) -> Result<Vec<User>, StoreError> {
        self.inner.partner_users(partner).await
    }

    async fn record_login_failure(
        &self,
        user: UserId,
        policy: LockoutPolicy,
        at: Timestamp,
    ) -> Result<LockoutEvent, StoreError> {
        self.inner.record_login_failure(user, policy, at).await
    }

    async fn save_code(
        &self,
        challenge: &ChallengeId,
        user: UserId,
        record: CodeRecord,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.inner.save_code(challenge, user, record, at).await
    }

    async fn verify_code(
        &self,
        challenge: &ChallengeId,
        candidate: &str,
        purpose: CodePurpose,
        now: Timestamp,
        key: &CodeKey,
    ) -> Result<(UserId, Result<(), CodeError>), StoreError> {
        self.inner.verify_code(challenge, candidate, purpose, now, key).await
    }

    async fn create_session(
        &self,
        token_digest: [u8; 32],
        user: UserId,
        at: Timestamp,
    ) -> Result<SessionId, StoreError> {
        self.inner.create_session(token_digest, user, at).await
    }

    async fn session_by_token(&self, token_digest: [u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
        self.inner.session_by_token(token_digest).await
    }

    async fn touch_session(&self, session: SessionId, at: Timestamp) -> Result<(), StoreError> {
        self.inner.touch_session(session, at).await
    }

    async fn end_session(&self, session: SessionId, at: Timestamp, reason: SessionEnd) -> Result<(), StoreError> {
        self.inner.end_session(session, at, reason).await
    }

    async fn end_user_sessions(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        at: Timestamp,
        reason: SessionEnd,
    ) -> Result<u64, StoreError> {
        self.inner.end_user_sessions(user, keep, at, reason).await
    }

    async fn posting_totals(&self) -> Result<Vec<CurrencyTotal>, StoreError> {
        self.inner.posting_totals().await
    }

    async fn check_ledger(&self) -> Result<LedgerCheck, StoreError> {
        self.inner.check_ledger().await
    }
}
