//! A [`Store`] decorator that counts ledger commands for `/metrics`. Every command the server runs
//! goes through the store, so counting here cannot miss one, and no handler has to remember to.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use tiyn_auth::{
    AuditKey, ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy, LockoutState,
};
use tiyn_core::{AccountId, Currency, PartnerId};
use tiyn_core::{ApiKeyId, DeviceId, Login, SessionId, UserId};
use tiyn_ledger::{Command, Executed};
use tiyn_store::{
    Account, AccountKind, CurrencyTotal, Durability, LedgerCheck, NewAccount, NewPartner, NewUser, Partner, Store,
    StoreError, User,
};
use tiyn_store::{
    ApiKeyRecord, AuditHead, AuditQuery, AuditRecord, Block, DeviceRecord, MarkerRecord, NewApiKey, NewAuditRecord,
    NewDevice, SessionEnd, SessionRecord, StepAcceptance, UserChange, UserChangeRecord,
};

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

    async fn activate_user(&self, user: UserId, password_hash: &str, at: Timestamp) -> Result<(), StoreError> {
        self.inner.activate_user(user, password_hash, at).await
    }

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: Option<SessionId>,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        self.inner.change_password(user, password_hash, keep, at).await
    }

    async fn record_login_success(&self, user: UserId, at: Timestamp) -> Result<(), StoreError> {
        self.inner.record_login_success(user, at).await
    }

    async fn update_user(
        &self,
        user: UserId,
        change: UserChange,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<User, StoreError> {
        self.inner.update_user(user, change, by, at).await
    }

    async fn block_user(&self, user: UserId, block: Block, at: Timestamp) -> Result<u64, StoreError> {
        self.inner.block_user(user, block, at).await
    }

    async fn unblock_user(&self, user: UserId, by: Option<UserId>, at: Timestamp) -> Result<(), StoreError> {
        self.inner.unblock_user(user, by, at).await
    }

    async fn clear_lockout(&self, user: UserId, by: Option<UserId>, at: Timestamp) -> Result<(), StoreError> {
        self.inner.clear_lockout(user, by, at).await
    }

    async fn schedule_suspension(
        &self,
        user: UserId,
        from: Option<jiff::civil::Date>,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.inner.schedule_suspension(user, from, by, at).await
    }

    async fn user_changes(&self, user: UserId) -> Result<Vec<UserChangeRecord>, StoreError> {
        self.inner.user_changes(user).await
    }

    async fn record_source_failure(
        &self,
        source: &str,
        policy: LockoutPolicy,
        at: Timestamp,
    ) -> Result<LockoutEvent, StoreError> {
        self.inner.record_source_failure(source, policy, at).await
    }

    async fn source_lockout(&self, source: &str) -> Result<LockoutState, StoreError> {
        self.inner.source_lockout(source).await
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError> {
        self.inner.user_sessions(user).await
    }

    async fn append_audit(&self, record: NewAuditRecord, key: &AuditKey) -> Result<AuditRecord, StoreError> {
        self.inner.append_audit(record, key).await
    }

    async fn audit_records(&self, query: AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        self.inner.audit_records(query).await
    }

    async fn audit_chain(&self, after_id: i64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        self.inner.audit_chain(after_id, limit).await
    }

    async fn audit_head(&self) -> Result<AuditHead, StoreError> {
        self.inner.audit_head().await
    }

    async fn purge_audit(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.inner.purge_audit(before).await
    }

    async fn create_marker(
        &self,
        user: UserId,
        serial: &str,
        sealed_secret: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.inner.create_marker(user, serial, sealed_secret, at).await
    }

    async fn user_markers(&self, user: UserId) -> Result<Vec<MarkerRecord>, StoreError> {
        self.inner.user_markers(user).await
    }

    async fn accept_marker_step(
        &self,
        user: UserId,
        serial: &str,
        step: u64,
        activate: bool,
        at: Timestamp,
    ) -> Result<StepAcceptance, StoreError> {
        self.inner.accept_marker_step(user, serial, step, activate, at).await
    }

    async fn revoke_marker(&self, user: UserId, serial: &str, at: Timestamp) -> Result<(), StoreError> {
        self.inner.revoke_marker(user, serial, at).await
    }

    async fn register_device(&self, device: NewDevice) -> Result<DeviceId, StoreError> {
        self.inner.register_device(device).await
    }

    async fn user_devices(&self, user: UserId) -> Result<Vec<DeviceRecord>, StoreError> {
        self.inner.user_devices(user).await
    }

    async fn revoke_device(&self, user: UserId, device: DeviceId, at: Timestamp) -> Result<(), StoreError> {
        self.inner.revoke_device(user, device, at).await
    }

    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKeyId, StoreError> {
        self.inner.create_api_key(key).await
    }

    async fn partner_api_keys(&self, partner: PartnerId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.inner.partner_api_keys(partner).await
    }

    async fn api_key_by_digest(&self, digest: [u8; 32]) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.inner.api_key_by_digest(digest).await
    }

    async fn touch_api_key(&self, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        self.inner.touch_api_key(key, at).await
    }

    async fn revoke_api_key(&self, partner: PartnerId, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        self.inner.revoke_api_key(partner, key, at).await
    }

    async fn posting_totals(&self) -> Result<Vec<CurrencyTotal>, StoreError> {
        self.inner.posting_totals().await
    }

    async fn check_ledger(&self) -> Result<LedgerCheck, StoreError> {
        self.inner.check_ledger().await
    }
}
