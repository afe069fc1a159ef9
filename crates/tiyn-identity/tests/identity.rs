//! The security procedure end to end over a real store (SQLite, or PostgreSQL with
//! `TIYN_TEST_BACKEND=postgres`), an in-memory SMS sink and a manual clock.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use tiyn_auth::{CodeError, MasterKey, PasswordHasher};
use tiyn_core::access::{AccessLevel, Permission};
use tiyn_core::iin::Bin;
use tiyn_core::{Email, MobileNumber, PartnerId, UserId};
use tiyn_identity::{
    Clock, Context, Identity, IdentityConfig, IdentityError, ManualClock, NewUserInput, Principal, UserEdit,
};
use tiyn_notify::MemorySink;
use tiyn_store::audit::verify_chain;
use tiyn_store::{AuditOutcome, Consent, NewPartner, NewUser, Store, UserStatus};

const PASSWORD: &str = "correct horse battery staple";

struct Fixture {
    identity: Identity,
    store: Arc<dyn Store>,
    sms: Arc<MemorySink>,
    clock: Arc<ManualClock>,
    partner: PartnerId,
    other_partner: PartnerId,
    full: UserId,
    confirm: UserId,
    create: UserId,
    master: MasterKey,
    _dir: tempfile::TempDir,
}

fn start() -> Timestamp {
    // Tuesday 2026-11-24 10:00 Almaty.
    Timestamp::from_second(1_795_496_400).expect("valid")
}

fn context() -> Context {
    Context { source_ip: Some("192.0.2.10".to_owned()), user_agent: Some("tests".to_owned()) }
}

async fn partner(store: &dyn Store, bin: &str, name: &str) -> PartnerId {
    let bin = Bin::with_check_digit(bin).expect("a BIN");
    store
        .create_partner(NewPartner {
            name: name.to_owned(),
            bin,
            legal_address: "Алматы".to_owned(),
            created_at: start(),
        })
        .await
        .expect("partner")
}

async fn active_user(
    store: &dyn Store,
    partner: Option<PartnerId>,
    mobile: &str,
    level: Option<AccessLevel>,
    name: &str,
) -> UserId {
    let id = store
        .create_user(NewUser {
            partner,
            full_name: name.to_owned(),
            mobile: Some(MobileNumber::parse(mobile).expect("mobile")),
            email: None,
            level,
            operator_role: partner.is_none().then_some(tiyn_core::OperatorRole::Administrator),
            consent: partner.map(|_| Consent { recorded_by: "tests".to_owned(), recorded_at: start() }),
            created_at: start(),
        })
        .await
        .expect("user");
    let hash = PasswordHasher::for_tests().hash(PASSWORD, &mut rand::rng()).expect("hash");
    store.activate_user(id, hash.as_phc_str(), start()).await.expect("activate");
    id
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = tiyn_backend::open_store(&tiyn_backend::test_location(dir.path()).await).await.expect("store");
    let first = partner(store.as_ref(), "15044000120", "ТОО Первый").await;
    let second = partner(store.as_ref(), "18074000450", "ТОО Второй").await;
    let full =
        active_user(store.as_ref(), Some(first), "+77010000001", Some(AccessLevel::Full), "Айгерим Сапарова").await;
    let confirm =
        active_user(store.as_ref(), Some(first), "+77010000002", Some(AccessLevel::Confirm), "Нурлан Ахметов").await;
    let create = active_user(store.as_ref(), Some(first), "+77010000003", Some(AccessLevel::Create), "Дана Ким").await;
    active_user(store.as_ref(), Some(second), "+77010000011", Some(AccessLevel::Full), "Ерлан Жумабеков").await;
    let master = MasterKey::from_bytes([5; 32]);
    let config = IdentityConfig::standard(PasswordHasher::for_tests(), &master, tiyn_refdata::kz_calendar());
    let sms = Arc::new(MemorySink::new());
    let clock = Arc::new(ManualClock::new(start()));
    let identity = Identity::new(store.clone(), sms.clone(), config, clock.clone());
    Fixture {
        identity,
        store,
        sms,
        clock,
        partner: first,
        other_partner: second,
        full,
        confirm,
        create,
        master,
        _dir: dir,
    }
}

/// The digits of the last SMS to `mobile` (the code).
fn last_code(sms: &MemorySink, mobile: &str) -> String {
    let text = sms.last_text_to(mobile).expect("an SMS was sent");
    text.split(|c: char| !c.is_ascii_digit()).find(|word| word.len() >= 6).expect("a code in the SMS").to_owned()
}

impl Fixture {
    async fn sign_in(&self, mobile: &str) -> (Principal, String) {
        let challenge = self.identity.begin_login(&context(), mobile, PASSWORD).await.expect("password accepted");
        let code = last_code(&self.sms, mobile);
        let session = self
            .identity
            .confirm_login(&context(), challenge.challenge_id.as_str(), &code)
            .await
            .expect("code accepted");
        let token = session.token.expose();
        let principal = self.identity.authenticate(&context(), &token, true).await.expect("session valid");
        (principal, token)
    }

    fn advance(&self, seconds: i64) {
        self.clock.advance(SignedDuration::from_secs(seconds));
    }
}

/// password, then an SMS code to the registered number, then a session
/// whose principal carries the user's level.
#[tokio::test]
async fn r_4_9_login_is_a_password_then_an_sms_code() {
    let f = fixture().await;
    let challenge = f.identity.begin_login(&context(), "+7 701 000 00 01", PASSWORD).await.expect("accepted");
    assert_eq!(challenge.sent_to, "+7 701 ••• •• 01");
    assert_eq!(challenge.expires_at, start() + SignedDuration::from_secs(300), "R-8.6: 5 minutes by default");
    let text = f.sms.last_text_to("+77010000001").expect("an SMS");
    assert!(text.contains("5 мин"), "the lifetime is shown to the user: {text}");
    let code = last_code(&f.sms, "+77010000001");
    assert_eq!(code.len(), 6);
    let session =
        f.identity.confirm_login(&context(), challenge.challenge_id.as_str(), &code).await.expect("signed in");
    assert_eq!(session.user.id, f.full);
    let principal = f.identity.authenticate(&context(), &session.token.expose(), true).await.expect("valid");
    assert_eq!(principal.level(), Some(AccessLevel::Full));
    assert_eq!(principal.partner(), Some(f.partner));
    assert!(principal.allows(Permission::ManageUsers));
}

/// unknown login, wrong password, not yet activated, blocked: one answer for all.
#[tokio::test]
async fn r_4_9_refusals_do_not_reveal_the_login_or_the_factor() {
    let f = fixture().await;
    let pending = f
        .store
        .create_user(NewUser {
            partner: Some(f.partner),
            full_name: "Новый Сотрудник".to_owned(),
            mobile: Some(MobileNumber::parse("+77010000009").expect("mobile")),
            email: None,
            level: Some(AccessLevel::Create),
            operator_role: None,
            consent: Some(Consent { recorded_by: "tests".to_owned(), recorded_at: start() }),
            created_at: start(),
        })
        .await
        .expect("user");
    let (principal, _) = f.sign_in("+77010000001").await;
    f.identity.block_user(&context(), &principal, f.create).await.expect("blocked");
    assert!(f.store.user(pending).await.expect("read").is_some());
    for (login, password) in [
        ("+77019999999", PASSWORD),
        ("+77010000002", "wrong password entirely"),
        ("+77010000009", PASSWORD),
        ("+77010000003", PASSWORD),
        ("not a login", PASSWORD),
    ] {
        let refusal = f.identity.begin_login(&context(), login, password).await.expect_err("refused");
        assert!(matches!(refusal, IdentityError::InvalidCredentials), "{login}: {refusal:?}");
        assert_eq!(refusal.code(), "invalid_credentials");
    }
    // No code went anywhere for those attempts.
    assert!(f.sms.last_text_to("+77010000009").is_none());
    assert!(f.sms.last_text_to("+77010000002").is_none());
}

/// an expired code is refused.
#[tokio::test]
async fn r_2_1_6_an_expired_code_is_refused() {
    let f = fixture().await;
    let challenge = f.identity.begin_login(&context(), "+77010000001", PASSWORD).await.expect("accepted");
    let code = last_code(&f.sms, "+77010000001");
    f.advance(300);
    let refusal =
        f.identity.confirm_login(&context(), challenge.challenge_id.as_str(), &code).await.expect_err("expired");
    assert!(matches!(refusal, IdentityError::Code(CodeError::Expired)), "{refusal:?}");
}

/// a code confirms once.
#[tokio::test]
async fn r_2_1_6_a_used_code_is_refused() {
    let f = fixture().await;
    let challenge = f.identity.begin_login(&context(), "+77010000001", PASSWORD).await.expect("accepted");
    let code = last_code(&f.sms, "+77010000001");
    f.identity.confirm_login(&context(), challenge.challenge_id.as_str(), &code).await.expect("first use");
    let refusal =
        f.identity.confirm_login(&context(), challenge.challenge_id.as_str(), &code).await.expect_err("reuse");
    assert!(matches!(refusal, IdentityError::Code(CodeError::AlreadyUsed)), "{refusal:?}");
}

/// a code issued for a password recovery does not sign anyone in.
#[tokio::test]
async fn r_2_1_6_a_code_for_another_purpose_is_refused() {
    let f = fixture().await;
    let challenge = f.identity.begin_recovery(&context(), "+77010000002").await.expect("recovery started");
    let code = last_code(&f.sms, "+77010000002");
    let refusal =
        f.identity.confirm_login(&context(), challenge.challenge_id.as_str(), &code).await.expect_err("wrong purpose");
    assert!(matches!(refusal, IdentityError::Code(CodeError::WrongPurpose)), "{refusal:?}");
}

/// five wrong passwords lock the user (warned by SMS); the right password is refused
/// while locked; after the lock it works again.
#[tokio::test]
async fn r_6_1_4_five_failures_lock_the_user() {
    let f = fixture().await;
    for attempt in 1..=5 {
        let refusal = f.identity.begin_login(&context(), "+77010000002", "not the password!").await.expect_err("wrong");
        assert!(matches!(refusal, IdentityError::InvalidCredentials), "attempt {attempt}");
    }
    let warning = f.sms.last_text_to("+77010000002").expect("warned");
    assert!(warning.contains("заблокирован"), "{warning}");
    let user = f.store.user(f.confirm).await.expect("read").expect("exists");
    assert!(user.lockout.locked_until.is_some_and(|until| until > start()));
    let refusal = f.identity.begin_login(&context(), "+77010000002", PASSWORD).await.expect_err("locked");
    assert!(matches!(refusal, IdentityError::InvalidCredentials));
    f.advance(15 * 60);
    f.identity.begin_login(&context(), "+77010000002", PASSWORD).await.expect("the lock ended");
}

/// 200 parallel wrong passwords: no more than the limit are evaluated (each evaluated
/// attempt leaves an audit record with the user as actor; the others are refused unevaluated).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r_6_1_4_parallel_wrong_passwords_never_exceed_the_limit() {
    let f = fixture().await;
    let tasks: Vec<_> = (0..200)
        .map(|attempt| {
            let identity = f.identity.clone();
            tokio::spawn(async move {
                let context = Context { source_ip: Some(format!("198.51.100.{}", attempt % 250)), user_agent: None };
                identity.begin_login(&context, "+77010000002", "not the password!").await
            })
        })
        .collect();
    for task in tasks {
        assert!(matches!(task.await.expect("joined"), Err(IdentityError::InvalidCredentials)));
    }
    let head = f.store.audit_head().await.expect("head");
    let records = f.store.audit_chain(0, 10_000).await.expect("records");
    assert_eq!(verify_chain(&f.master.audit_key(), &head, &records), Ok(records.len() as u64));
    let charged = f.store.user(f.confirm).await.expect("read").expect("exists");
    assert!(charged.lockout.check(start()).is_err(), "locked");
    assert_eq!(charged.lockout.lockouts, 1, "one lock, not one per attempt");
    let warnings = f
        .sms
        .messages()
        .iter()
        .filter(|message| message.to == "+77010000002" && message.text.contains("заблокирован"))
        .count();
    assert_eq!(warnings, 1, "the user is warned once");
}

/// asking for a new code does not reset the failure counter: five logins that end in a
/// wrong code lock the user, although each password was right.
#[tokio::test]
async fn r_6_1_4_new_codes_do_not_reset_failures() {
    let f = fixture().await;
    for _ in 0..5 {
        let challenge = f.identity.begin_login(&context(), "+77010000003", PASSWORD).await.expect("accepted");
        let _ = f.identity.confirm_login(&context(), challenge.challenge_id.as_str(), "000000x").await;
    }
    let user = f.store.user(f.create).await.expect("read").expect("exists");
    assert!(user.lockout.check(start()).is_err(), "five wrong codes lock: {:?}", user.lockout);
    let refusal = f.identity.begin_login(&context(), "+77010000003", PASSWORD).await.expect_err("locked");
    assert!(matches!(refusal, IdentityError::InvalidCredentials));
}

/// five minutes without activity end the session; background polling does not count.
#[tokio::test]
async fn r_2_1_15_idle_timeout_ends_the_session() {
    let f = fixture().await;
    let (_, token) = f.sign_in("+77010000001").await;
    f.advance(240);
    f.identity.authenticate(&context(), &token, false).await.expect("still alive: background poll");
    f.advance(61);
    let refusal = f.identity.authenticate(&context(), &token, true).await.expect_err("idle");
    assert!(matches!(refusal, IdentityError::SessionExpired), "{refusal:?}");
    // Once expired, it stays ended.
    f.clock.set(start());
    assert!(matches!(f.identity.authenticate(&context(), &token, true).await, Err(IdentityError::Unauthenticated)));
}

/// activity keeps the session; the absolute limit ends it anyway.
#[tokio::test]
async fn r_2_1_15_absolute_lifetime_ends_an_active_session() {
    let f = fixture().await;
    let (_, token) = f.sign_in("+77010000001").await;
    for _ in 0..(12 * 60 / 4) {
        f.advance(240);
        if f.identity.authenticate(&context(), &token, true).await.is_err() {
            break;
        }
    }
    assert!(matches!(f.identity.authenticate(&context(), &token, true).await, Err(IdentityError::Unauthenticated)));
    assert!(f.clock.now() <= start() + SignedDuration::from_hours(12) + SignedDuration::from_secs(240));
}

/// a blocked user's session dies mid-use.
#[tokio::test]
async fn r_6_3_8_a_blocked_users_session_dies_mid_use() {
    let f = fixture().await;
    let (admin, _) = f.sign_in("+77010000001").await;
    let (_, token) = f.sign_in("+77010000002").await;
    f.identity.authenticate(&context(), &token, true).await.expect("working");
    f.identity.block_user(&context(), &admin, f.confirm).await.expect("blocked");
    assert!(matches!(f.identity.authenticate(&context(), &token, true).await, Err(IdentityError::Unauthenticated)));
    let user = f.store.user(f.confirm).await.expect("read").expect("exists");
    assert_eq!(user.status, UserStatus::Blocked);
    assert_eq!(user.block.map(|(at, _)| at), Some(start()), "R-6.5.2: the instant is recorded");
}

/// reporting lost access blocks at once, even the last full-access user; only the bank
/// lifts it.
#[tokio::test]
async fn r_6_5_2_lost_access_blocks_at_once() {
    let f = fixture().await;
    let (admin, token) = f.sign_in("+77010000001").await;
    f.identity.report_lost_access(&context(), &admin).await.expect("reported");
    assert!(f.identity.authenticate(&context(), &token, true).await.is_err());
    let user = f.store.user(f.full).await.expect("read").expect("exists");
    assert_eq!(user.block.map(|(_, reason)| reason.as_str()), Some("lost_access"));
    // Another full-access user of the partner cannot lift a loss report: only the bank can.
    f.store
        .update_user(
            f.confirm,
            tiyn_store::UserChange { level: Some(AccessLevel::Full), ..Default::default() },
            None,
            start(),
        )
        .await
        .expect("promoted by the bank");
    let (other_admin, _) = f.sign_in("+77010000002").await;
    let refusal = f.identity.unblock_user(&context(), &other_admin, f.full).await.expect_err("bank only");
    assert_eq!(refusal.code(), "blocked_by_bank");
}

/// the last full-access user cannot be demoted or blocked by the partner.
#[tokio::test]
async fn r_8_5_the_last_full_access_user_is_kept() {
    let f = fixture().await;
    let (admin, _) = f.sign_in("+77010000001").await;
    let demote = UserEdit { level: Some(AccessLevel::Confirm), ..UserEdit::default() };
    let refusal = f.identity.update_user(&context(), &admin, f.full, demote.clone()).await.expect_err("last");
    assert_eq!(refusal.code(), "last_full_access");
    let refusal = f.identity.block_user(&context(), &admin, f.full).await.expect_err("last");
    assert_eq!(refusal.code(), "last_full_access");
    // With a second full-access user, the first may step down.
    let promote = UserEdit { level: Some(AccessLevel::Full), ..UserEdit::default() };
    f.identity.update_user(&context(), &admin, f.confirm, promote).await.expect("promoted");
    f.identity.update_user(&context(), &admin, f.full, demote).await.expect("demoted");
    let changes = f.identity.user_changes(&admin, f.full).await.expect("changes");
    let level = changes.iter().find(|change| change.field == "level").expect("level change recorded");
    assert_eq!((level.old_value.as_deref(), level.new_value.as_deref()), (Some("full"), Some("confirm")));
    assert_eq!(level.by, Some(f.full), "R-6.5.9: the author is recorded");
}

/// a user of another partner is "no such user" for every operation.
#[tokio::test]
async fn r_6_4_2_users_of_another_partner_do_not_exist() {
    let f = fixture().await;
    let (admin, _) = f.sign_in("+77010000001").await;
    let foreign = f.store.partner_users(f.other_partner).await.expect("list")[0].id;
    assert!(matches!(f.identity.partner_user(&admin, foreign).await, Err(IdentityError::NotFound("user"))));
    assert!(matches!(f.identity.block_user(&context(), &admin, foreign).await, Err(IdentityError::NotFound(_))));
    let edit = UserEdit { full_name: Some("x".to_owned()), ..UserEdit::default() };
    assert!(matches!(f.identity.update_user(&context(), &admin, foreign, edit).await, Err(IdentityError::NotFound(_))));
    assert!(f.identity.partner_users(&admin).await.expect("list").iter().all(|user| user.partner == Some(f.partner)));
}

/// a new user activates with an SMS code and a password of the
/// bank's policy, then signs in.
#[tokio::test]
async fn r_5_2_a_new_user_activates_with_an_sms_code() {
    let f = fixture().await;
    let (admin, _) = f.sign_in("+77010000001").await;
    let input = NewUserInput {
        full_name: "Тимур Беков".to_owned(),
        mobile: Some(MobileNumber::parse("+77050000077").expect("mobile")),
        email: Some(Email::parse("timur@example.kz").expect("email")),
        level: AccessLevel::Create,
        consent_confirmed: true,
    };
    let user = f.identity.create_user(&context(), &admin, input).await.expect("created");
    assert_eq!(user.status, UserStatus::PendingActivation);
    // Not yet: no password.
    assert!(f.identity.begin_login(&context(), "timur@example.kz", PASSWORD).await.is_err());
    let challenge = f.identity.begin_activation(&context(), "timur@example.kz").await.expect("code sent");
    let code = last_code(&f.sms, "+77050000077");
    let short = f.identity.confirm_activation(&context(), challenge.challenge_id.as_str(), &code, "short").await;
    assert_eq!(short.expect_err("policy").code(), "password_too_short");
    let common =
        f.identity.confirm_activation(&context(), challenge.challenge_id.as_str(), &code, "1qaz2wsx3edc").await;
    assert_eq!(common.expect_err("policy").code(), "password_common");
    let long = "ж".repeat(100);
    let active = f.identity.confirm_activation(&context(), challenge.challenge_id.as_str(), &code, &long).await;
    assert_eq!(active.expect("activated").status, UserStatus::Active, "more than 72 bytes is fine");
    let challenge = f.identity.begin_login(&context(), "timur@example.kz", &long).await.expect("signs in");
    assert_eq!(challenge.sent_to, "+7 705 ••• •• 77");
}

/// a decoy for unknown logins; a user without a mobile number cannot be created.
#[tokio::test]
async fn r_5_4_activation_needs_a_mobile_number() {
    let f = fixture().await;
    let (admin, _) = f.sign_in("+77010000001").await;
    let input = NewUserInput {
        full_name: "Без Телефона".to_owned(),
        mobile: None,
        email: Some(Email::parse("nophone@example.kz").expect("email")),
        level: AccessLevel::Create,
        consent_confirmed: true,
    };
    assert_eq!(f.identity.create_user(&context(), &admin, input).await.expect_err("refused").code(), "mobile_required");
    let decoy = f.identity.begin_activation(&context(), "+77019998877").await.expect("same shape");
    assert!(f.sms.last_text_to("+77019998877").is_none(), "nothing is sent for an unknown login");
    let refusal = f.identity.confirm_activation(&context(), decoy.challenge_id.as_str(), "123456", PASSWORD).await;
    assert!(matches!(refusal, Err(IdentityError::UnknownChallenge)));
}

/// recovery by SMS code ends every session and notifies; change with the old password ends
/// the others and keeps the current one.
#[tokio::test]
async fn r_5_7_recovery_and_change_end_sessions() {
    let f = fixture().await;
    let (_, first) = f.sign_in("+77010000002").await;
    let (current, second) = f.sign_in("+77010000002").await;
    let new_password = "a completely new passphrase";
    f.identity.change_password(&context(), &current, PASSWORD, new_password).await.expect("changed");
    assert!(f.identity.authenticate(&context(), &first, true).await.is_err(), "other session ended");
    f.identity.authenticate(&context(), &second, true).await.expect("this session stays");
    let wrong = f.identity.change_password(&context(), &current, "not the old one", "another new passphrase").await;
    assert_eq!(wrong.expect_err("old password wrong").code(), "old_password_wrong");

    let challenge = f.identity.begin_recovery(&context(), "+77010000002").await.expect("recovery");
    let code = last_code(&f.sms, "+77010000002");
    f.identity.confirm_recovery(&context(), challenge.challenge_id.as_str(), &code, PASSWORD).await.expect("recovered");
    assert!(f.identity.authenticate(&context(), &second, true).await.is_err(), "every session ended");
    assert!(f.sms.last_text_to("+77010000002").is_some_and(|text| text.contains("пароль изменён")));
    f.sign_in("+77010000002").await;
    let sessions = f.store.user_sessions(f.confirm).await.expect("sessions");
    assert_eq!(sessions.len(), 1, "only the session after the recovery is open");
}

/// a suspension is scheduled at least 3 working days ahead; from that date the user's
/// session ends and login is refused.
#[tokio::test]
async fn r_6_5_9_suspension_needs_three_working_days_notice() {
    let f = fixture().await;
    let (admin, _) = f.sign_in("+77010000001").await;
    let (_, token) = f.sign_in("+77010000003").await;
    // Tuesday 24 November: three working days ahead is Friday 27 November.
    let too_soon = jiff::civil::date(2026, 11, 26);
    let refusal = f.identity.schedule_suspension(&context(), &admin, f.create, Some(too_soon)).await;
    assert_eq!(refusal.expect_err("too soon").code(), "suspension_notice_too_short");
    let friday = jiff::civil::date(2026, 11, 27);
    f.identity.schedule_suspension(&context(), &admin, f.create, Some(friday)).await.expect("scheduled");
    f.identity.authenticate(&context(), &token, true).await.expect("powers until then");
    f.clock.set(Timestamp::from_second(1_795_719_600).expect("2026-11-27 00:00 Almaty"));
    assert!(f.identity.authenticate(&context(), &token, true).await.is_err(), "suspended from Friday");
    assert!(f.identity.begin_login(&context(), "+77010000003", PASSWORD).await.is_err());
}

/// every step leaves a chained audit record with actor, partner, source and outcome; the
/// partner's full-access user reads only its own partner's trail.
#[tokio::test]
async fn r_3_4_every_step_is_audited() {
    let f = fixture().await;
    let _ = f.identity.begin_login(&context(), "+77010000001", "wrong password here").await;
    let (admin, _) = f.sign_in("+77010000001").await;
    f.sign_in("+77010000011").await;
    let view = f
        .identity
        .partner_audit(&context(), &admin, tiyn_store::AuditQuery { limit: 100, ..Default::default() })
        .await
        .expect("trail");
    assert!(view.records.iter().all(|record| record.record.partner == Some(f.partner)));
    let actions: Vec<(&str, &AuditOutcome)> =
        view.records.iter().rev().map(|record| (record.record.action.as_str(), &record.record.outcome)).collect();
    assert_eq!(
        actions,
        vec![
            ("auth.login", &AuditOutcome::Failure("invalid_credentials".to_owned())),
            ("auth.login", &AuditOutcome::Success),
            ("auth.login_confirm", &AuditOutcome::Success),
        ]
    );
    let first = view.records.last().expect("records");
    assert_eq!(first.record.source_ip.as_deref(), Some("192.0.2.10"));
    assert_eq!(first.record.user_agent.as_deref(), Some("tests"));
    let head = f.store.audit_head().await.expect("head");
    let all = f.store.audit_chain(0, 1_000).await.expect("chain");
    assert!(verify_chain(&f.master.audit_key(), &head, &all).is_ok());
    // Nothing secret in the trail.
    let text = format!("{all:?}");
    assert!(!text.contains(PASSWORD) && !text.contains("wrong password here"));
}

/// A notifier whose SMS never goes out (the operator's gateway is down).
struct Undeliverable;

#[async_trait::async_trait]
impl tiyn_notify::Notifier for Undeliverable {
    async fn send(&self, _: &tiyn_notify::Message, _: Timestamp) -> Result<(), tiyn_notify::NotifyError> {
        Err(tiyn_notify::NotifyError::File {
            path: std::path::PathBuf::from("/gateway"),
            source: std::io::Error::other("SMS gateway unreachable"),
        })
    }
}

/// when the SMS cannot be delivered, a user with an active marker is asked for the
/// marker's code instead, which works offline; a user without one cannot sign in then.
#[tokio::test]
async fn r_8_10_the_marker_replaces_an_undeliverable_sms() {
    let f = fixture().await;
    let (principal, _) = f.sign_in("+77010000002").await;
    let enrolled = f.identity.enrol_marker(&context(), &principal).await.expect("enrolled");
    let secret_text =
        enrolled.otpauth_uri.split("secret=").nth(1).and_then(|rest| rest.split('&').next()).expect("secret");
    let secret = tiyn_auth::totp::secret_from_base32(secret_text).expect("secret");
    let code = tiyn_auth::totp::code_at(&secret, f.clock.now()).expect("code");
    f.identity.activate_marker(&context(), &principal, &enrolled.serial, &code).await.expect("activated");

    let config = IdentityConfig::standard(PasswordHasher::for_tests(), &f.master, tiyn_refdata::kz_calendar());
    let offline = Identity::new(f.store.clone(), Arc::new(Undeliverable), config, f.clock.clone());
    f.advance(60);
    let challenge = offline.begin_login(&context(), "+77010000002", PASSWORD).await.expect("marker asked for");
    assert_eq!(challenge.channel, tiyn_identity::ChallengeChannel::Marker);
    assert_eq!(challenge.sent_to, enrolled.serial);
    let code = tiyn_auth::totp::code_at(&secret, f.clock.now()).expect("code");
    let session = offline.confirm_login(&context(), challenge.challenge_id.as_str(), &code).await.expect("signed in");
    assert_eq!(session.user.id, f.confirm);
    // The challenge is single-use even for a fresh code.
    f.advance(30);
    let later = tiyn_auth::totp::code_at(&secret, f.clock.now()).expect("code");
    assert!(offline.confirm_login(&context(), challenge.challenge_id.as_str(), &later).await.is_err());

    // Without a marker there is no second factor to ask for.
    let refusal = offline.begin_login(&context(), "+77010000003", PASSWORD).await.expect_err("no SMS, no marker");
    assert_eq!(refusal.code(), "code_undeliverable");
}
