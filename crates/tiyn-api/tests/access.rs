//! `owned_account` is the one gate to an account; another partner's account and the
//! bank's own accounts look exactly like ids that do not exist.

use std::collections::HashMap;

use async_trait::async_trait;
use jiff::Timestamp;
use tiyn_api::ApiError;
use tiyn_api::access::{CurrentPartner, DemoPartner, owned_account};
use tiyn_auth::{ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy};
use tiyn_core::{AccountId, Currency, Iban, Money, PartnerId};
use tiyn_core::{Login, SessionId, UserId};
use tiyn_ledger::{AccountStatus, Command, Executed};
use tiyn_store::{
    Account, AccountKind, CurrencyTotal, Durability, LedgerCheck, NewAccount, NewPartner, NewUser, Partner, Store,
    StoreError, User,
};
use tiyn_store::{SessionEnd, SessionRecord};

struct Accounts(HashMap<AccountId, Account>);

fn unused() -> StoreError {
    StoreError::Backend("not used by this test".to_owned())
}

#[async_trait]
impl Store for Accounts {
    fn backend_name(&self) -> &'static str {
        "fake"
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
    async fn durability(&self) -> Result<Durability, StoreError> {
        Ok(Durability::Durable)
    }
    async fn create_partner(&self, _: NewPartner) -> Result<PartnerId, StoreError> {
        Err(unused())
    }
    async fn partner(&self, _: PartnerId) -> Result<Option<Partner>, StoreError> {
        Err(unused())
    }
    async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        Err(unused())
    }
    async fn open_account(&self, _: NewAccount) -> Result<AccountId, StoreError> {
        Err(unused())
    }
    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        Ok(self.0.get(&id).cloned())
    }
    async fn partner_accounts(&self, _: PartnerId) -> Result<Vec<Account>, StoreError> {
        Err(unused())
    }
    async fn bank_account(&self, _: AccountKind, _: Currency) -> Result<AccountId, StoreError> {
        Err(unused())
    }
    async fn execute(&self, _: Command) -> Result<Executed, StoreError> {
        Err(unused())
    }
    async fn create_user(&self, _user: NewUser) -> Result<UserId, StoreError> {
        Err(unused())
    }

    async fn user(&self, _id: UserId) -> Result<Option<User>, StoreError> {
        Err(unused())
    }

    async fn user_by_login(&self, _login: &Login) -> Result<Option<User>, StoreError> {
        Err(unused())
    }

    async fn partner_users(&self, _partner: PartnerId) -> Result<Vec<User>, StoreError> {
        Err(unused())
    }

    async fn record_login_failure(
        &self,
        _user: UserId,
        _policy: LockoutPolicy,
        _at: Timestamp,
    ) -> Result<LockoutEvent, StoreError> {
        Err(unused())
    }

    async fn save_code(
        &self,
        _challenge: &ChallengeId,
        _user: UserId,
        _record: CodeRecord,
        _at: Timestamp,
    ) -> Result<(), StoreError> {
        Err(unused())
    }

    async fn verify_code(
        &self,
        _challenge: &ChallengeId,
        _candidate: &str,
        _purpose: CodePurpose,
        _now: Timestamp,
        _key: &CodeKey,
    ) -> Result<(UserId, Result<(), CodeError>), StoreError> {
        Err(unused())
    }

    async fn create_session(
        &self,
        _token_digest: [u8; 32],
        _user: UserId,
        _at: Timestamp,
    ) -> Result<SessionId, StoreError> {
        Err(unused())
    }

    async fn session_by_token(&self, _token_digest: [u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
        Err(unused())
    }

    async fn touch_session(&self, _session: SessionId, _at: Timestamp) -> Result<(), StoreError> {
        Err(unused())
    }

    async fn end_session(&self, _session: SessionId, _at: Timestamp, _reason: SessionEnd) -> Result<(), StoreError> {
        Err(unused())
    }

    async fn end_user_sessions(
        &self,
        _user: UserId,
        _keep: Option<SessionId>,
        _at: Timestamp,
        _reason: SessionEnd,
    ) -> Result<u64, StoreError> {
        Err(unused())
    }

    async fn posting_totals(&self) -> Result<Vec<CurrencyTotal>, StoreError> {
        Err(unused())
    }

    async fn check_ledger(&self) -> Result<LedgerCheck, StoreError> {
        Err(unused())
    }
}

fn account(id: i64, partner: Option<i64>) -> Account {
    Account {
        id: AccountId::new(id),
        partner: partner.map(PartnerId::new),
        iban: partner.map(|_| Iban::from_bban("KZ", &format!("722S{id:012}")).expect("iban")),
        currency: Currency::Kzt,
        kind: if partner.is_some() { AccountKind::PartnerCurrent } else { AccountKind::BankEquity },
        name: format!("account {id}"),
        status: AccountStatus::Open,
        balance: Money::from_minor(100, Currency::Kzt),
        held: Money::zero(Currency::Kzt),
        created_at: jiff::Timestamp::UNIX_EPOCH,
    }
}

async fn partner(id: i64) -> CurrentPartner {
    let mut parts = axum::http::Request::new(()).into_parts().0;
    parts.extensions.insert(DemoPartner(PartnerId::new(id)));
    CurrentPartner::from_parts(&parts).expect("demo partner")
}

#[tokio::test]
async fn r_6_4_2_owned_account_hides_other_tenants() {
    let store = Accounts(
        [account(1, Some(10)), account(2, Some(20)), account(3, None)].into_iter().map(|a| (a.id, a)).collect(),
    );
    let mine = partner(10).await;
    let found = owned_account(&store, &mine, AccountId::new(1)).await.expect("own account");
    assert_eq!(found.id, AccountId::new(1));
    for id in [2, 3, 4] {
        let refused = owned_account(&store, &mine, AccountId::new(id)).await;
        assert!(matches!(refused, Err(ApiError::NotFound { what: "account" })), "account {id}: {refused:?}");
    }
}

#[tokio::test]
async fn without_a_session_there_is_no_current_partner() {
    let parts = axum::http::Request::new(()).into_parts().0;
    assert!(CurrentPartner::from_parts(&parts).is_none());
}
