//! The PostgreSQL backend, for production: several `tiyn serve` processes may share one database.
//!
//! Each process has one ledger writer task with its own connection. Commands that arrive while it
//! commits are merged into its next transaction (group commit). Correctness never depends on that
//! task being alone: inside each transaction the rows a batch decides on are locked with
//! `SELECT … FOR UPDATE` in ascending id order (holds, then accounts), the same order in every
//! process, and a serialization failure, a deadlock or a concurrent use of the same idempotency
//! key rolls the batch back and runs it again from fresh reads.

mod audit;
pub mod cluster;
mod directories;
mod fx;
mod identity;
mod ledger;
mod means;
// Notices and marketplace reports (issue 6, R-3.1.2.8).
mod messages;
mod migrate;
mod payments;
mod pos;
mod rows;
mod rules;
mod statements;
mod templates;
mod tx;
mod users;

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
// Every `AssertSqlSafe` below splices only the constant column lists of `rows`, never input.
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, ConnectOptions, PgPool, Row};
use std::sync::Arc;
use tiyn_auth::{
    AuditKey, ChallengeId, CodeError, CodeKey, CodePurpose, CodeRecord, LockoutEvent, LockoutPolicy, LockoutState,
};
use tiyn_core::{AccountId, ApiKeyId, Currency, DeviceId, Login, PartnerId, SessionId, UserId};
use tiyn_ledger::{Command, Executed};
use tiyn_store::{
    Account, AccountKind, CurrencyTotal, Durability, LedgerCheck, NewAccount, NewPartner, NewUser, Partner, Store,
    StoreError, User, UserStatus, validate_new_user,
};
use tiyn_store::{
    ApiKeyRecord, AuditHead, AuditQuery, AuditRecord, Block, DeviceRecord, MarkerRecord, NewApiKey, NewAuditRecord,
    NewDevice, StepAcceptance, UserChange, UserChangeRecord,
};

use tiyn_store::batch::{LedgerCounters, LedgerCounts};
use tiyn_store::{SessionEnd, SessionRecord};
use tokio::sync::{mpsc, oneshot};

/// Connections for reads and administrative writes. The ledger writer has its own.
const POOL_CONNECTIONS_MAX: u32 = 16;
/// How long a request waits for a connection before failing: long enough for a burst, short enough
/// that a lost database answers "unavailable" in seconds rather than holding every request.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Commands queued for the writer before callers wait: bounds memory under overload.
const WRITER_QUEUE_MAX: usize = 4096;
/// Ledger writers per process, each with its own connection: a batch's commit (its WAL flush)
/// overlaps the next batch's statements.
pub(crate) const LEDGER_WRITERS: usize = 2;

type Reply = oneshot::Sender<Result<Executed, StoreError>>;

pub struct PostgresStore {
    pool: PgPool,
    writer: mpsc::Sender<(Command, Reply)>,
    counters: Arc<LedgerCounters>,
    appender: mpsc::Sender<audit::AuditJob>,
}

impl PostgresStore {
    /// Connects, applies pending migrations (one process at a time) and starts the ledger writer
    /// and the audit appender.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options: PgConnectOptions = url.parse().map_err(StoreError::backend)?;
        // Statement logging would put every bound parameter at INFO: keep it out of the logs.
        let options = options.log_statements(tracing::log::LevelFilter::Trace);
        // sqlx prepares every statement; after a few runs PostgreSQL may switch a statement to a
        // generic plan chosen while the tables were small, a sequential scan that then sticks as
        // they grow (measured: `payment_documents` scanned once per confirmation, the benchmark's
        // rate falling by half over 20,000 payments). Planning with the actual values costs less.
        let pool_options = options.clone().options([("plan_cache_mode", "force_custom_plan")]);
        let pool = PgPoolOptions::new()
            .max_connections(POOL_CONNECTIONS_MAX)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(pool_options)
            .await
            .map_err(StoreError::backend)?;
        migrate::apply(&pool).await?;
        let (writer, commands) = mpsc::channel(WRITER_QUEUE_MAX);
        let counters = Arc::new(LedgerCounters::default());
        let commands: ledger::Queue = Arc::new(tokio::sync::Mutex::new(commands));
        for _ in 0..LEDGER_WRITERS {
            tokio::spawn(ledger::writer_loop(options.clone(), Arc::clone(&commands), counters.clone()));
        }
        let (appender, jobs) = mpsc::channel(WRITER_QUEUE_MAX);
        tokio::spawn(audit::appender_loop(pool.clone(), jobs));
        Ok(PostgresStore { pool, writer, counters, appender })
    }

    /// The pool, for tests that must reach behind the interface (immutability of postings).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Unique-violation SQLSTATE.
const UNIQUE_VIOLATION: &str = "23505";

fn unique_or_backend(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(database) if database.code().as_deref() == Some(UNIQUE_VIOLATION) => {
            StoreError::AlreadyExists { what }
        }
        _ => StoreError::backend(error),
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn backend_name(&self) -> &'static str {
        "postgres"
    }

    fn ledger_counts(&self) -> LedgerCounts {
        self.counters.snapshot()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(StoreError::backend)?;
        Ok(())
    }

    async fn durability(&self) -> Result<Durability, StoreError> {
        let row = sqlx::query("SELECT current_setting('fsync'), current_setting('synchronous_commit')")
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::backend)?;
        let fsync: String = row.try_get(0).map_err(StoreError::backend)?;
        let synchronous_commit: String = row.try_get(1).map_err(StoreError::backend)?;
        Ok(if fsync != "on" {
            Durability::NotDurable(format!("PostgreSQL fsync={fsync}"))
        } else if synchronous_commit == "off" {
            Durability::NotDurable("PostgreSQL synchronous_commit=off".into())
        } else {
            Durability::Durable
        })
    }

    async fn create_partner(&self, partner: NewPartner) -> Result<PartnerId, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO partners (name, bin, legal_address, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&partner.name)
        .bind(partner.bin.as_str())
        .bind(&partner.legal_address)
        .bind(partner.created_at.as_microsecond())
        .fetch_one(&self.pool)
        .await
        .map_err(|error| unique_or_backend(error, "a partner with this BIN"))?;
        Ok(PartnerId::new(id))
    }

    async fn partner(&self, id: PartnerId) -> Result<Option<Partner>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{} WHERE id = $1", rows::PARTNER_SELECT)))
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::backend)?;
        row.as_ref().map(rows::partner).transpose()
    }

    async fn partners(&self) -> Result<Vec<Partner>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("{} ORDER BY id", rows::PARTNER_SELECT)))
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::backend)?;
        rows.iter().map(rows::partner).collect()
    }

    async fn set_withheld_services(
        &self,
        partner: PartnerId,
        withheld: tiyn_core::access::InformationRestrictions,
    ) -> Result<(), StoreError> {
        let changed = sqlx::query("UPDATE partners SET withheld_services = $2 WHERE id = $1")
            .bind(partner.get())
            .bind(withheld.to_text())
            .execute(&self.pool)
            .await
            .map_err(StoreError::backend)?;
        if changed.rows_affected() == 0 { Err(StoreError::NotFound { what: "partner" }) } else { Ok(()) }
    }

    async fn open_account(&self, account: NewAccount) -> Result<AccountId, StoreError> {
        tiyn_store::validate_new_account(&account)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (partner_id, iban, currency, kind, name, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account.partner.map(PartnerId::get))
        .bind(account.iban.as_ref().map(|iban| iban.as_str().to_owned()))
        .bind(account.currency.code())
        .bind(account.kind.as_str())
        .bind(&account.name)
        .bind(account.created_at.as_microsecond())
        .fetch_one(&self.pool)
        .await
        .map_err(|error| unique_or_backend(error, "an account with this IBAN"))?;
        Ok(AccountId::new(id))
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{} WHERE id = $1", rows::ACCOUNT_SELECT)))
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::backend)?;
        row.as_ref().map(rows::account).transpose()
    }

    async fn partner_accounts(&self, partner: PartnerId) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(AssertSqlSafe(format!("{} WHERE partner_id = $1 ORDER BY id", rows::ACCOUNT_SELECT)))
            .bind(partner.get())
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::backend)?;
        rows.iter().map(rows::account).collect()
    }

    async fn bank_account(&self, kind: AccountKind, currency: Currency) -> Result<AccountId, StoreError> {
        if kind == AccountKind::PartnerCurrent {
            return Err(StoreError::Invalid("a partner account is not a bank account"));
        }
        let name = format!("{} {}", kind.as_str(), currency.code());
        sqlx::query(
            "INSERT INTO accounts (currency, kind, name, created_at) VALUES ($1, $2, $3, 0)
             ON CONFLICT (kind, currency) WHERE partner_id IS NULL DO NOTHING",
        )
        .bind(currency.code())
        .bind(kind.as_str())
        .bind(&name)
        .execute(&self.pool)
        .await
        .map_err(StoreError::backend)?;
        let id: i64 =
            sqlx::query_scalar("SELECT id FROM accounts WHERE kind = $1 AND currency = $2 AND partner_id IS NULL")
                .bind(kind.as_str())
                .bind(currency.code())
                .fetch_one(&self.pool)
                .await
                .map_err(StoreError::backend)?;
        Ok(AccountId::new(id))
    }

    async fn execute(&self, command: Command) -> Result<Executed, StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::backend("the PostgreSQL ledger writer has stopped");
        self.writer.send((command, reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    async fn create_user(&self, user: NewUser) -> Result<UserId, StoreError> {
        validate_new_user(&user)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (partner_id, full_name, mobile, email, access_level, status,
                                consent_recorded_by, consent_recorded_at, created_at, operator_role)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(user.partner.map(PartnerId::get))
        .bind(user.full_name.trim())
        .bind(user.mobile.as_ref().map(|mobile| mobile.as_str().to_owned()))
        .bind(user.email.as_ref().map(|email| email.as_str().to_owned()))
        .bind(user.level.map(|level| level.as_str()))
        .bind(UserStatus::PendingActivation.as_str())
        .bind(user.consent.as_ref().map(|consent| consent.recorded_by.clone()))
        .bind(user.consent.as_ref().map(|consent| consent.recorded_at.as_microsecond()))
        .bind(user.created_at.as_microsecond())
        .bind(user.operator_role.map(|role| role.as_str()))
        .fetch_one(&self.pool)
        .await
        .map_err(|error| unique_or_backend(error, tiyn_store::LOGIN_TAKEN))?;
        Ok(UserId::new(id))
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        users::by_id(&self.pool, id).await
    }

    async fn user_by_login(&self, login: &Login) -> Result<Option<User>, StoreError> {
        match login {
            Login::Email(email) => users::one_by_text(&self.pool, "email = $1", email.as_str()).await,
            Login::Mobile(mobile) => users::one_by_text(&self.pool, "mobile = $1", mobile.as_str()).await,
        }
    }

    async fn partner_users(&self, partner: PartnerId) -> Result<Vec<User>, StoreError> {
        users::of_partner(&self.pool, partner).await
    }

    async fn record_login_failure(
        &self,
        user: UserId,
        policy: LockoutPolicy,
        at: Timestamp,
    ) -> Result<LockoutEvent, StoreError> {
        users::record_failure(&self.pool, user, &policy, at).await
    }

    async fn save_code(
        &self,
        challenge: &ChallengeId,
        user: UserId,
        record: CodeRecord,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        users::save_code(&self.pool, challenge, user, &record, at).await
    }

    async fn verify_code(
        &self,
        challenge: &ChallengeId,
        candidate: &str,
        purpose: CodePurpose,
        now: Timestamp,
        key: &CodeKey,
    ) -> Result<(UserId, Result<(), CodeError>), StoreError> {
        users::verify_code(&self.pool, challenge, candidate, purpose, now, key).await
    }

    async fn create_session(
        &self,
        token_digest: [u8; 32],
        user: UserId,
        at: Timestamp,
    ) -> Result<SessionId, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (token_digest, user_id, created_at, last_activity_at) VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(token_digest.to_vec())
        .bind(user.get())
        .bind(at.as_microsecond())
        .fetch_one(&self.pool)
        .await
        .map_err(|error| unique_or_backend(error, "a session with this token"))?;
        Ok(SessionId::new(id))
    }

    async fn session_by_token(&self, token_digest: [u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
        users::session_by_token(&self.pool, &token_digest).await
    }

    async fn touch_session(&self, session: SessionId, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET last_activity_at = GREATEST(last_activity_at, $2) WHERE id = $1 AND ended_at IS NULL",
        )
        .bind(session.get())
        .bind(at.as_microsecond())
        .execute(&self.pool)
        .await
        .map_err(StoreError::backend)?;
        Ok(())
    }

    async fn end_session(&self, session: SessionId, at: Timestamp, reason: SessionEnd) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL")
            .bind(session.get())
            .bind(at.as_microsecond())
            .bind(reason.as_str())
            .execute(&self.pool)
            .await
            .map_err(StoreError::backend)?;
        Ok(())
    }

    async fn end_user_sessions(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        at: Timestamp,
        reason: SessionEnd,
    ) -> Result<u64, StoreError> {
        let ended = sqlx::query(
            "UPDATE sessions SET ended_at = $3, end_reason = $4
             WHERE user_id = $1 AND ended_at IS NULL AND id IS DISTINCT FROM $2",
        )
        .bind(user.get())
        .bind(keep.map(SessionId::get))
        .bind(at.as_microsecond())
        .bind(reason.as_str())
        .execute(&self.pool)
        .await
        .map_err(StoreError::backend)?
        .rows_affected();
        Ok(ended)
    }

    async fn activate_user(&self, user: UserId, password_hash: &str, _at: Timestamp) -> Result<(), StoreError> {
        identity::activate(&self.pool, user, password_hash).await
    }

    async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: Option<SessionId>,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        identity::change_password(&self.pool, user, password_hash, keep, at).await
    }

    async fn record_login_success(&self, user: UserId, at: Timestamp) -> Result<(), StoreError> {
        identity::record_login_success(&self.pool, user, at).await
    }

    async fn update_user(
        &self,
        user: UserId,
        change: UserChange,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<User, StoreError> {
        identity::update(&self.pool, user, &change, by, at).await
    }

    async fn block_user(&self, user: UserId, block: Block, at: Timestamp) -> Result<u64, StoreError> {
        identity::block(&self.pool, user, block, at).await
    }

    async fn unblock_user(&self, user: UserId, by: Option<UserId>, at: Timestamp) -> Result<(), StoreError> {
        identity::unblock(&self.pool, user, by, at).await
    }

    async fn clear_lockout(&self, user: UserId, _by: Option<UserId>, _at: Timestamp) -> Result<(), StoreError> {
        identity::clear_lockout(&self.pool, user).await
    }

    async fn schedule_suspension(
        &self,
        user: UserId,
        from: Option<jiff::civil::Date>,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        identity::schedule_suspension(&self.pool, user, from, by, at).await
    }

    async fn user_changes(&self, user: UserId) -> Result<Vec<UserChangeRecord>, StoreError> {
        identity::changes(&self.pool, user).await
    }

    async fn record_source_failure(
        &self,
        source: &str,
        policy: LockoutPolicy,
        at: Timestamp,
    ) -> Result<LockoutEvent, StoreError> {
        identity::record_source_failure(&self.pool, source, &policy, at).await
    }

    async fn source_lockout(&self, source: &str) -> Result<LockoutState, StoreError> {
        identity::source_lockout(&self.pool, source).await
    }

    async fn user_sessions(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError> {
        users::open_sessions(&self.pool, user).await
    }

    async fn append_audit(&self, record: NewAuditRecord, key: &AuditKey) -> Result<AuditRecord, StoreError> {
        audit::append(&self.appender, record, key).await
    }

    async fn audit_records(&self, query: AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        audit::records(&self.pool, &query).await
    }

    async fn audit_chain(&self, after_id: i64, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        audit::chain(&self.pool, after_id, limit).await
    }

    async fn audit_head(&self) -> Result<AuditHead, StoreError> {
        audit::head(&self.pool).await
    }

    async fn purge_audit(&self, before: Timestamp) -> Result<u64, StoreError> {
        audit::purge(&self.pool, before).await
    }

    async fn create_marker(
        &self,
        user: UserId,
        serial: &str,
        sealed_secret: Vec<u8>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        means::create_marker(&self.pool, user, serial, &sealed_secret, at).await
    }

    async fn user_markers(&self, user: UserId) -> Result<Vec<MarkerRecord>, StoreError> {
        means::user_markers(&self.pool, user).await
    }

    async fn accept_marker_step(
        &self,
        user: UserId,
        serial: &str,
        step: u64,
        activate: bool,
        at: Timestamp,
    ) -> Result<StepAcceptance, StoreError> {
        means::accept_marker_step(&self.pool, user, serial, step, activate, at).await
    }

    async fn revoke_marker(&self, user: UserId, serial: &str, at: Timestamp) -> Result<(), StoreError> {
        means::revoke_marker(&self.pool, user, serial, at).await
    }

    async fn register_device(&self, device: NewDevice) -> Result<DeviceId, StoreError> {
        means::register_device(&self.pool, &device).await
    }

    async fn user_devices(&self, user: UserId) -> Result<Vec<DeviceRecord>, StoreError> {
        means::user_devices(&self.pool, user).await
    }

    async fn revoke_device(&self, user: UserId, device: DeviceId, at: Timestamp) -> Result<(), StoreError> {
        means::revoke_device(&self.pool, user, device, at).await
    }

    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKeyId, StoreError> {
        means::create_api_key(&self.pool, &key).await
    }

    async fn partner_api_keys(&self, partner: PartnerId) -> Result<Vec<ApiKeyRecord>, StoreError> {
        means::partner_api_keys(&self.pool, partner).await
    }

    async fn api_key_by_digest(&self, digest: [u8; 32]) -> Result<Option<ApiKeyRecord>, StoreError> {
        means::api_key_by_digest(&self.pool, &digest).await
    }

    async fn touch_api_key(&self, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        means::touch_api_key(&self.pool, key, at).await
    }

    async fn revoke_api_key(&self, partner: PartnerId, key: ApiKeyId, at: Timestamp) -> Result<(), StoreError> {
        means::revoke_api_key(&self.pool, partner, key, at).await
    }

    async fn create_payment(
        &self,
        payment: tiyn_store::payments::NewPayment,
    ) -> Result<tiyn_store::payments::PaymentRecord, StoreError> {
        payments::create(&self.pool, &payment).await
    }

    async fn payments_by_request_key_prefix(
        &self,
        partner: PartnerId,
        prefix: &str,
    ) -> Result<Vec<tiyn_store::payments::KeyedPayment>, StoreError> {
        payments::by_request_key_prefix(&self.pool, partner, prefix).await
    }

    async fn payment(
        &self,
        partner: PartnerId,
        id: tiyn_payments::DocumentId,
    ) -> Result<Option<tiyn_store::payments::PaymentRecord>, StoreError> {
        payments::get(&self.pool, partner, id).await
    }

    async fn payments(
        &self,
        partner: PartnerId,
        query: tiyn_store::payments::PaymentQuery,
    ) -> Result<Vec<tiyn_store::payments::PaymentRecord>, StoreError> {
        payments::list(&self.pool, partner, &query).await
    }

    async fn edit_payment(
        &self,
        edit: tiyn_store::payments::PaymentEdit,
    ) -> Result<tiyn_store::payments::PaymentRecord, StoreError> {
        payments::edit(&self.pool, &edit).await
    }

    async fn delete_payment(
        &self,
        partner: PartnerId,
        id: tiyn_payments::DocumentId,
        _at: Timestamp,
    ) -> Result<(), StoreError> {
        payments::delete(&self.pool, partner, id).await
    }

    async fn open_signing(&self, signing: tiyn_store::payments::NewSigning) -> Result<(), StoreError> {
        payments::open_signing(&self.pool, &signing).await
    }

    async fn signing(
        &self,
        partner: PartnerId,
        challenge: &str,
    ) -> Result<Option<tiyn_store::payments::SigningRecord>, StoreError> {
        payments::signing(&self.pool, partner, challenge).await
    }

    async fn confirm_payments(
        &self,
        confirmation: tiyn_store::payments::ConfirmPayments,
    ) -> Result<Vec<tiyn_store::payments::PaymentOutcome>, StoreError> {
        payments::confirm(&self.pool, &confirmation).await
    }

    async fn payment_rules(&self, partner: PartnerId) -> Result<tiyn_store::rules::PaymentRules, StoreError> {
        rules::get(&self.pool, partner).await
    }

    async fn set_payment_rules(
        &self,
        partner: PartnerId,
        payment_rules: tiyn_store::rules::PaymentRules,
    ) -> Result<(), StoreError> {
        rules::set(&self.pool, partner, &payment_rules).await
    }

    async fn add_restriction(
        &self,
        restriction: tiyn_store::rules::NewRestriction,
    ) -> Result<tiyn_store::rules::Restriction, StoreError> {
        rules::add(&self.pool, &restriction).await
    }

    async fn lift_restriction(&self, account: AccountId, id: i64, at: Timestamp) -> Result<(), StoreError> {
        rules::lift(&self.pool, account, id, at).await
    }

    async fn account_restrictions(
        &self,
        account: AccountId,
    ) -> Result<Vec<tiyn_store::rules::Restriction>, StoreError> {
        rules::of_account_in(&self.pool, account).await
    }

    async fn collect(
        &self,
        request: tiyn_store::rules::CollectFrom,
    ) -> Result<Vec<tiyn_store::rules::Collected>, StoreError> {
        rules::collect(&self.pool, &request).await
    }

    async fn accounts_to_collect(&self) -> Result<Vec<AccountId>, StoreError> {
        rules::accounts_to_collect(&self.pool).await
    }

    async fn collection(&self, id: i64) -> Result<Option<tiyn_store::rules::CollectionRecord>, StoreError> {
        rules::collection(&self.pool, id).await
    }

    async fn collection_by_message(
        &self,
        message_id: &str,
    ) -> Result<Option<tiyn_store::rules::CollectionRecord>, StoreError> {
        rules::collection_by_message(&self.pool, message_id).await
    }

    async fn settle_collection(
        &self,
        settlement: tiyn_store::rules::CollectionSettlement,
    ) -> Result<tiyn_store::rules::CollectionOutcome, StoreError> {
        rules::settle_collection(&self.pool, &settlement).await
    }

    async fn replace_aml_list(
        &self,
        entries: Vec<tiyn_store::rules::AmlEntry>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        rules::replace_aml(&self.pool, &entries, at).await
    }

    async fn aml_list(&self) -> Result<Vec<tiyn_store::rules::AmlEntry>, StoreError> {
        rules::aml(&self.pool).await
    }

    async fn due_payments(
        &self,
        through: jiff::civil::Date,
        limit: usize,
    ) -> Result<Vec<tiyn_store::payments::PaymentRecord>, StoreError> {
        payments::due(&self.pool, through, limit).await
    }

    async fn carry_out_payment(
        &self,
        due: tiyn_store::payments::DueExecution,
    ) -> Result<tiyn_store::payments::PaymentOutcome, StoreError> {
        payments::carry_out(&self.pool, &due).await
    }

    async fn create_payments(
        &self,
        payments: Vec<tiyn_store::payments::NewPayment>,
    ) -> Result<tiyn_store::payments::Drafts, StoreError> {
        payments::create_many(&self.pool, &payments).await
    }

    async fn payment_by_message(
        &self,
        message_id: &str,
    ) -> Result<Option<tiyn_store::payments::PaymentRecord>, StoreError> {
        payments::by_message(&self.pool, message_id).await
    }

    async fn settle_payment(
        &self,
        settlement: tiyn_store::payments::Settlement,
    ) -> Result<tiyn_payments::Status, StoreError> {
        payments::settle(&self.pool, &settlement).await
    }

    async fn pending_outbox(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<tiyn_store::payments::OutboxItem>, StoreError> {
        payments::pending_outbox(&self.pool, now, limit).await
    }

    async fn outbox_delivered(&self, message_id: &str, at: Timestamp) -> Result<(), StoreError> {
        payments::outbox_delivered(&self.pool, message_id, at).await
    }

    async fn outbox_failed(&self, message_id: &str, next_attempt_at: Timestamp, error: &str) -> Result<(), StoreError> {
        payments::outbox_failed(&self.pool, message_id, next_attempt_at, error).await
    }

    async fn returned_credit(
        &self,
        message_id: &str,
    ) -> Result<Option<tiyn_store::payments::ReturnedCredit>, StoreError> {
        payments::returned_credit(&self.pool, message_id).await
    }

    async fn return_credit(
        &self,
        credit: tiyn_store::payments::ReturnedCredit,
    ) -> Result<tiyn_store::payments::ReturnedCredit, StoreError> {
        payments::return_credit(&self.pool, &credit).await
    }

    async fn account_by_iban(&self, iban: &tiyn_core::iban::Iban) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{} WHERE iban = $1", rows::ACCOUNT_SELECT)))
            .bind(iban.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::backend)?;
        row.as_ref().map(rows::account).transpose()
    }

    async fn create_payment_template(
        &self,
        template: tiyn_store::templates::NewPaymentTemplate,
    ) -> Result<tiyn_store::templates::PaymentTemplate, StoreError> {
        templates::create(&self.pool, &template).await
    }

    async fn payment_templates(
        &self,
        partner: PartnerId,
    ) -> Result<Vec<tiyn_store::templates::PaymentTemplate>, StoreError> {
        templates::list(&self.pool, partner).await
    }

    async fn payment_template(
        &self,
        partner: PartnerId,
        id: tiyn_store::templates::TemplateId,
    ) -> Result<Option<tiyn_store::templates::PaymentTemplate>, StoreError> {
        templates::get(&self.pool, partner, id).await
    }

    async fn delete_payment_template(
        &self,
        partner: PartnerId,
        id: tiyn_store::templates::TemplateId,
    ) -> Result<(), StoreError> {
        templates::delete(&self.pool, partner, id).await
    }

    async fn add_fx_rate(&self, rate: tiyn_store::fx::NewDealingRate) -> Result<tiyn_fx::DealingRate, StoreError> {
        fx::add(&self.pool, &rate).await
    }

    async fn fx_rates_at(&self, at: Timestamp) -> Result<tiyn_fx::RatesInForce, StoreError> {
        fx::at(&self.pool, at).await
    }

    async fn fx_rate(&self, id: tiyn_fx::RateId) -> Result<Option<tiyn_fx::DealingRate>, StoreError> {
        fx::by_id(&self.pool, id).await
    }

    async fn fx_rate_history(
        &self,
        pair: tiyn_fx::Pair,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<tiyn_fx::DealingRate>, StoreError> {
        fx::history(&self.pool, pair, from, to).await
    }

    async fn put_nbk_rates(
        &self,
        rates: &tiyn_fx::nbk::NbkRates,
        at: Timestamp,
    ) -> Result<tiyn_store::fx::NbkImport, StoreError> {
        fx::put_nbk(&self.pool, rates, at).await
    }

    async fn nbk_rates(&self, date: jiff::civil::Date) -> Result<Vec<tiyn_store::fx::NbkRateRecord>, StoreError> {
        fx::nbk(&self.pool, date).await
    }

    async fn latest_nbk_date(&self, on_or_before: jiff::civil::Date) -> Result<Option<jiff::civil::Date>, StoreError> {
        fx::latest_nbk_date(&self.pool, on_or_before).await
    }

    async fn posting_totals(&self) -> Result<Vec<CurrencyTotal>, StoreError> {
        ledger::posting_totals(&self.pool).await
    }

    async fn check_ledger(&self) -> Result<LedgerCheck, StoreError> {
        ledger::check(&self.pool).await
    }

    // Directories (issue 6)

    async fn add_directory_text(
        &self,
        text: tiyn_store::directories::NewDirectoryText,
    ) -> Result<tiyn_store::directories::DirectoryText, StoreError> {
        directories::add(&self.pool, &text).await
    }

    async fn latest_directory_texts(&self) -> Result<Vec<tiyn_store::directories::DirectoryText>, StoreError> {
        directories::latest(&self.pool).await
    }

    // ----- statements (issue 6) -----

    async fn statement_totals(
        &self,
        account: AccountId,
        period: tiyn_store::statements::Period,
    ) -> Result<tiyn_store::statements::StatementTotals, StoreError> {
        statements::totals(&self.pool, account, period).await
    }

    async fn statement_lines(
        &self,
        request: tiyn_store::statements::LinesRequest,
    ) -> Result<tiyn_store::statements::LinesPage, StoreError> {
        statements::lines(&self.pool, &request).await
    }

    async fn statement_page_end(
        &self,
        request: tiyn_store::statements::LinesRequest,
    ) -> Result<Option<tiyn_store::statements::LineCursor>, StoreError> {
        statements::page_end(&self.pool, &request).await
    }

    async fn book_incoming_credit(
        &self,
        command: Command,
        details: tiyn_store::statements::IncomingCreditDetails,
    ) -> Result<Executed, StoreError> {
        // Counted like every command of `execute` (`/metrics`), which booked credits before.
        let result = statements::book_incoming_credit(&self.pool, &command, &details).await;
        self.counters.record(&result);
        result
    }

    // POS terminals (issue 6)

    async fn save_pos_terminal(
        &self,
        terminal: tiyn_store::pos::NewPosTerminal,
    ) -> Result<(tiyn_store::pos::PosTerminal, tiyn_store::pos::TerminalSaved), StoreError> {
        pos::save_terminal(&self.pool, &terminal).await
    }

    async fn pos_terminal(&self, terminal_id: &str) -> Result<Option<tiyn_store::pos::PosTerminal>, StoreError> {
        pos::terminal(&self.pool, terminal_id).await
    }

    async fn pos_terminals(&self, partner: PartnerId) -> Result<Vec<tiyn_store::pos::PosTerminal>, StoreError> {
        pos::terminals(&self.pool, partner).await
    }

    async fn ingest_pos_operations(
        &self,
        operations: Vec<tiyn_store::pos::NewPosOperation>,
    ) -> Result<Vec<Result<tiyn_store::pos::PosIngested, StoreError>>, StoreError> {
        pos::ingest(&self.pool, &operations).await
    }

    async fn pos_operations(
        &self,
        query: tiyn_store::pos::PosOperationsQuery,
    ) -> Result<Vec<tiyn_store::pos::PosOperation>, StoreError> {
        pos::operations(&self.pool, &query).await
    }

    async fn pos_totals(
        &self,
        terminal: i64,
        currency: Currency,
        from_us: i64,
        to_us: i64,
    ) -> Result<tiyn_store::pos::PosPeriodTotals, StoreError> {
        pos::totals(&self.pool, terminal, currency, from_us, to_us).await
    }

    async fn planned_pos_credits(
        &self,
        partner: PartnerId,
    ) -> Result<Vec<tiyn_store::pos::PlannedPosCredit>, StoreError> {
        pos::planned(&self.pool, partner).await
    }

    async fn pos_settlement(
        &self,
        account: AccountId,
        settlement_date: jiff::civil::Date,
    ) -> Result<tiyn_store::pos::PosSettlementState, StoreError> {
        pos::settlement(&self.pool, account, settlement_date).await
    }

    async fn credit_pos_operations(&self, credit: tiyn_store::pos::CreditPosOperations) -> Result<u64, StoreError> {
        pos::credit(&self.pool, &credit).await
    }

    // Notices and marketplace reports (issue 6, R-3.1.2.8)

    async fn publish_notice(
        &self,
        notice: tiyn_store::messages::NewNotice,
    ) -> Result<tiyn_store::messages::NoticePublished, StoreError> {
        messages::publish(&self.pool, &notice).await
    }

    async fn notices(
        &self,
        query: tiyn_store::messages::NoticeQuery,
    ) -> Result<Vec<tiyn_store::messages::Notice>, StoreError> {
        messages::notices(&self.pool, &query).await
    }

    async fn ingest_marketplace_report(
        &self,
        report: tiyn_store::messages::NewMarketplaceReport,
    ) -> Result<tiyn_store::messages::ReportIngested, StoreError> {
        messages::ingest_report(&self.pool, &report).await
    }

    async fn marketplace_reports(
        &self,
        partner: PartnerId,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<tiyn_store::messages::MarketplaceReportSummary>, StoreError> {
        messages::reports(&self.pool, partner, before, limit).await
    }

    async fn marketplace_report(
        &self,
        partner: PartnerId,
        report_id: &str,
    ) -> Result<Option<tiyn_store::messages::MarketplaceReport>, StoreError> {
        messages::report(&self.pool, partner, report_id).await
    }

    // Marketplace payouts in planned credits (issue 6, R-3.1.2.5)

    async fn planned_marketplace_payouts(
        &self,
        partner: PartnerId,
    ) -> Result<Vec<tiyn_store::messages::PlannedPayout>, StoreError> {
        messages::planned_payouts(&self.pool, partner).await
    }

    async fn marketplace_payout(
        &self,
        partner: PartnerId,
        report_id: &str,
        payout_id: &str,
    ) -> Result<Option<tiyn_store::messages::PlannedPayout>, StoreError> {
        messages::payout(&self.pool, partner, report_id, payout_id).await
    }

    async fn credit_marketplace_payout(
        &self,
        credit: tiyn_store::messages::CreditMarketplacePayout,
    ) -> Result<bool, StoreError> {
        messages::credit_payout(&self.pool, &credit).await
    }
}
