//! Login with a second factor, sessions and logout.

use jiff::Timestamp;
use tiyn_auth::{
    ChallengeId, CodeError, CodePurpose, LockoutEvent, LockoutPolicy, PasswordHash, SessionExpired, SessionToken, code,
};
use tiyn_core::access::InformationRestrictions;
use tiyn_core::{Login, UserId};
use tiyn_notify::{Channel, Message};
use tiyn_store::{SessionEnd, User, UserStatus};

use crate::audit::{Entry, audit_action};
use crate::principal::{Credential, Principal};
use crate::{Context, Identity, IdentityError};

/// How the second factor reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeChannel {
    Sms,
    Marker,
}

impl ChallengeChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeChannel::Sms => "sms",
            ChallengeChannel::Marker => "marker",
        }
    }
}

/// An open second-factor step: what the client shows while the user types the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub challenge_id: ChallengeId,
    pub channel: ChallengeChannel,
    /// The masked destination (`+7 701 ••• •• 67`), so the user knows where to look.
    pub sent_to: String,
    /// The code's lifetime, shown to the user.
    pub expires_at: Timestamp,
}

/// A session just started. The token is shown to the client once; only its digest is stored.
#[derive(Debug)]
pub struct NewSession {
    pub token: SessionToken,
    pub expires_at: Timestamp,
    pub user: User,
}

/// Whether a user may sign in at all now (before any credential is evaluated).
fn may_sign_in(user: &User, now: Timestamp) -> bool {
    user.status == UserStatus::Active
        && user.password_hash.is_some()
        && user.lockout.check(now).is_ok()
        && !is_suspended(user, now)
}

/// Whether the user's powers are suspended at `now`: from the scheduled business date
/// on, in Asia/Almaty.
pub(crate) fn is_suspended(user: &User, now: Timestamp) -> bool {
    user.suspended_from.is_some_and(|from| business_date(now) >= from)
}

/// The business date of an instant: Asia/Almaty, UTC+5 all year since 2024 (no DST).
pub fn business_date(now: Timestamp) -> jiff::civil::Date {
    now.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(5))).date()
}

impl Identity {
    /// The first factor: the password. On success a code goes to the user's mobile number
    /// and the challenge to confirm is answered. Every refusal is [`IdentityError::InvalidCredentials`]
    /// (or `TooManyAttempts` for a source that failed too often), after the same Argon2 work.
    pub async fn begin_login(
        &self,
        context: &Context,
        login: &str,
        password: &str,
    ) -> Result<Challenge, IdentityError> {
        self.begin_login_with(context, login, password, None).await
    }

    /// [`Identity::begin_login`] with the channel of the second factor the user prefers: SMS (the
    /// default) or their marker, when they have an active one. When the SMS cannot
    /// be sent and the user has a marker, the marker is asked for.
    pub async fn begin_login_with(
        &self,
        context: &Context,
        login: &str,
        password: &str,
        preferred: Option<ChallengeChannel>,
    ) -> Result<Challenge, IdentityError> {
        let now = self.clock.now();
        self.check_source(context, now).await?;
        let user = match Login::parse(login) {
            Ok(login) => self.store.user_by_login(&login).await?,
            Err(_) => None,
        };
        let Some(user) = user.filter(|user| may_sign_in(user, now)) else {
            // Unknown, not activated, locked, blocked or suspended: spend the same Argon2 time on
            // a decoy and answer like a wrong password. Locked and blocked users were told by SMS.
            self.verify_password(password, &self.config.decoy_hash).await;
            self.count_source_failure(context, now).await?;
            self.record(context, Entry::new(audit_action::LOGIN).failed("invalid_credentials")).await?;
            return Err(IdentityError::InvalidCredentials);
        };
        let hash = self.stored_hash(&user)?;
        // Charge the attempt before evaluating it, atomically in the store: however many attempts
        // arrive in parallel, no more than the policy allows are ever evaluated.
        let remaining = match self.store.record_login_failure(user.id, self.reservation_policy(), now).await? {
            LockoutEvent::Counted { remaining } => remaining,
            LockoutEvent::Locked { .. } | LockoutEvent::Blocked => {
                // The limit is reached: locked by a parallel attempt, or by this charge. The user
                // is warned once, by the attempt that evaluated the last allowed failure.
                self.verify_password(password, &self.config.decoy_hash).await;
                self.count_source_failure(context, now).await?;
                self.record(
                    context,
                    Entry::new(audit_action::LOGIN).actor(user.id, user.partner).failed("invalid_credentials"),
                )
                .await?;
                return Err(IdentityError::InvalidCredentials);
            }
        };
        if !self.verify_password(password, &hash).await {
            self.count_source_failure(context, now).await?;
            self.record(
                context,
                Entry::new(audit_action::LOGIN).actor(user.id, user.partner).failed("invalid_credentials"),
            )
            .await?;
            if remaining == 1 {
                // That was the last allowed failure: lock now, and warn the user.
                self.charge_failure(context, &user, now).await?;
            }
            return Err(IdentityError::InvalidCredentials);
        }
        // The charge stays until the code is confirmed: a login counts as failed until it is
        // complete, so asking for new codes never resets the counter.
        let challenge = match preferred {
            Some(ChallengeChannel::Marker) if self.has_active_marker(&user).await? => {
                self.marker_challenge(&user, now).await?
            }
            _ => match self.send_code(&user, CodePurpose::Login, now).await {
                Ok(challenge) => challenge,
                // SMS cannot be delivered: the marker is the alternative.
                Err(error) if self.has_active_marker(&user).await? => {
                    tracing::warn!(user = %user.id, error = %error, "SMS undeliverable; asking for the marker");
                    self.marker_challenge(&user, now).await?
                }
                Err(error) => return Err(error),
            },
        };
        self.record(context, Entry::new(audit_action::LOGIN).actor(user.id, user.partner)).await?;
        Ok(challenge)
    }

    /// The second factor: the code of the challenge. Starts a session with a fresh token (so no
    /// token planted before login is ever valid: no session fixation).
    pub async fn confirm_login(
        &self,
        context: &Context,
        challenge: &str,
        code: &str,
    ) -> Result<NewSession, IdentityError> {
        let now = self.clock.now();
        self.check_source(context, now).await?;
        let user =
            self.verify_challenge(context, challenge, code, CodePurpose::Login, audit_action::LOGIN_CONFIRM).await?;
        if !may_sign_in(&user, now) {
            // Blocked or locked between the two steps.
            self.record(
                context,
                Entry::new(audit_action::LOGIN_CONFIRM).actor(user.id, user.partner).failed("invalid_credentials"),
            )
            .await?;
            return Err(IdentityError::InvalidCredentials);
        }
        self.store.record_login_success(user.id, now).await?;
        let token = SessionToken::generate(&mut rand::rng());
        let session = self.store.create_session(token.digest(), user.id, now).await?;
        self.record(
            context,
            Entry::new(audit_action::LOGIN_CONFIRM).actor(user.id, user.partner).object(format!("session:{session}")),
        )
        .await?;
        let expires_at = tiyn_auth::SessionTimes::new(now).expires_at(&self.config.sessions);
        Ok(NewSession { token, expires_at, user })
    }

    /// The principal of a session token. `activity: false` for background polling, which must not
    /// keep a session alive. A session past its idle or absolute limit is ended and
    /// refused; so is any session of a user who is no longer allowed in (blocked, suspended).
    pub async fn authenticate(
        &self,
        context: &Context,
        token: &str,
        activity: bool,
    ) -> Result<Principal, IdentityError> {
        let now = self.clock.now();
        let token = SessionToken::parse(token).map_err(|_| IdentityError::Unauthenticated)?;
        let session = self.store.session_by_token(token.digest()).await?.ok_or(IdentityError::Unauthenticated)?;
        if session.ended.is_some() {
            return Err(IdentityError::Unauthenticated);
        }
        let user = self.store.user(session.user).await?.ok_or(IdentityError::Unauthenticated)?;
        if let Err(expired) = session.times.check(&self.config.sessions, now) {
            self.store.end_session(session.id, now, SessionEnd::Expired).await?;
            let reason = match expired {
                SessionExpired::Idle => "idle",
                SessionExpired::Absolute => "absolute",
            };
            self.record(
                context,
                Entry::new(audit_action::SESSION_EXPIRED)
                    .actor(user.id, user.partner)
                    .object(format!("session:{}", session.id))
                    .details(format!("limit: {reason}")),
            )
            .await?;
            return Err(IdentityError::SessionExpired);
        }
        if user.status != UserStatus::Active || user.lockout.blocked || is_suspended(&user, now) {
            // Blocking ends sessions at once; this catches a suspension date reached mid-session.
            self.store.end_session(session.id, now, SessionEnd::Blocked).await?;
            return Err(IdentityError::Unauthenticated);
        }
        if activity {
            self.store.touch_session(session.id, now).await?;
        }
        let level = user.level;
        let withheld = self.withheld_services(&user).await?;
        Ok(Principal::new(user, Credential::Session(session.id), level, withheld))
    }

    /// What the bank withholds from the user's partner's `create` level.
    pub(crate) async fn withheld_services(&self, user: &User) -> Result<InformationRestrictions, IdentityError> {
        match user.partner {
            Some(partner) => Ok(self.store.partner(partner).await?.map(|partner| partner.withheld).unwrap_or_default()),
            None => Ok(InformationRestrictions::none()),
        }
    }

    /// Ends the principal's session.
    pub async fn logout(&self, context: &Context, principal: &Principal) -> Result<(), IdentityError> {
        let now = self.clock.now();
        if let Some(session) = principal.session() {
            self.store.end_session(session, now, SessionEnd::Logout).await?;
            self.record(context, Entry::new(audit_action::LOGOUT).by(principal).object(format!("session:{session}")))
                .await?;
        }
        Ok(())
    }

    /// When the current session ends unless used again.
    pub async fn session_expires_at(&self, principal: &Principal) -> Result<Option<Timestamp>, IdentityError> {
        let sessions = self.store.user_sessions(principal.user_id()).await?;
        Ok(principal
            .session()
            .and_then(|id| sessions.iter().find(|session| session.id == id))
            .map(|session| session.times.expires_at(&self.config.sessions)))
    }

    // ----- shared steps -----

    /// Refuses a source that failed too often, before any credential is evaluated.
    pub(crate) async fn check_source(&self, context: &Context, now: Timestamp) -> Result<(), IdentityError> {
        let Some(source) = &context.source_ip else { return Ok(()) };
        let state = self.store.source_lockout(source).await?;
        if state.check(now).is_err() {
            self.record(context, Entry::new(audit_action::LOGIN).failed("too_many_attempts")).await?;
            return Err(IdentityError::TooManyAttempts);
        }
        Ok(())
    }

    pub(crate) async fn count_source_failure(&self, context: &Context, now: Timestamp) -> Result<(), IdentityError> {
        if let Some(source) = &context.source_ip {
            self.store.record_source_failure(source, self.config.source_lockout, now).await?;
        }
        Ok(())
    }

    /// The policy under which attempts are charged before evaluation: one more than the allowed
    /// failures, so the charge of the attempt after the last allowed failure is the one that locks.
    fn reservation_policy(&self) -> LockoutPolicy {
        let policy = self.config.user_lockout;
        LockoutPolicy::new(policy.consecutive_failures_max() + 1, policy.lock_seconds(), policy.lockouts_before_block())
            .unwrap_or(policy)
    }

    /// Counts a failed password or code for the user and the source; warns the user by SMS when
    /// this failure locks or blocks them.
    pub(crate) async fn count_failure(
        &self,
        context: &Context,
        user: &User,
        now: Timestamp,
    ) -> Result<(), IdentityError> {
        self.count_source_failure(context, now).await?;
        self.charge_failure(context, user, now).await
    }

    /// Charges one failure to the user; when that reaches the limit, locks at once (one more
    /// charge under the reservation policy) and warns the user.
    pub(crate) async fn charge_failure(
        &self,
        context: &Context,
        user: &User,
        now: Timestamp,
    ) -> Result<(), IdentityError> {
        let mut event = self.store.record_login_failure(user.id, self.reservation_policy(), now).await?;
        if event == (LockoutEvent::Counted { remaining: 1 }) {
            event = self.store.record_login_failure(user.id, self.reservation_policy(), now).await?;
        }
        self.warn_locked(context, user, event, now).await
    }

    /// After a charge that locked or blocked the user: the audit record and the SMS warning.
    async fn warn_locked(
        &self,
        context: &Context,
        user: &User,
        event: LockoutEvent,
        now: Timestamp,
    ) -> Result<(), IdentityError> {
        let warning = match event {
            LockoutEvent::Counted { .. } => return Ok(()),
            LockoutEvent::Locked { until } => {
                let local = until.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(5)));
                format!(
                    "{}: вход заблокирован до {} после неудачных попыток. Если это были не вы, позвоните в банк.",
                    self.config.issuer,
                    local.strftime("%H:%M")
                )
            }
            LockoutEvent::Blocked => format!(
                "{}: доступ заблокирован после повторных неудачных попыток входа. Для разблокировки обратитесь в банк.",
                self.config.issuer
            ),
        };
        let details = match event {
            LockoutEvent::Blocked => "blocked pending the bank",
            _ => "locked",
        };
        self.record(
            context,
            Entry::new(audit_action::LOCKED)
                .actor(user.id, user.partner)
                .object(format!("user:{}", user.id))
                .details(details.to_owned()),
        )
        .await?;
        self.notify_sms(user, warning, now).await;
        Ok(())
    }

    pub(crate) fn stored_hash(&self, user: &User) -> Result<PasswordHash, IdentityError> {
        let phc = user.password_hash.as_deref().ok_or(IdentityError::InvalidCredentials)?;
        PasswordHash::parse(phc).map_err(|_| {
            IdentityError::Store(std::sync::Arc::new(tiyn_store::StoreError::Backend(format!(
                "stored password hash of user {} does not parse",
                user.id
            ))))
        })
    }

    /// Argon2 off the async threads.
    pub(crate) async fn verify_password(&self, password: &str, hash: &PasswordHash) -> bool {
        let hasher = self.config.hasher;
        let password = password.to_owned();
        let hash = hash.clone();
        tokio::task::spawn_blocking(move || hasher.verify(&password, &hash)).await.unwrap_or(false)
    }

    pub(crate) async fn hash_password(&self, password: &str) -> Result<PasswordHash, IdentityError> {
        let hasher = self.config.hasher;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hasher.hash(&password, &mut rand::rng()))
            .await
            .map_err(|error| store_failure(format!("hashing task failed: {error}")))?
            .map_err(|error| store_failure(format!("hashing failed: {error}")))
    }

    /// Issues a code for `purpose`, keeps its keyed hash and sends it by SMS.
    pub(crate) async fn send_code(
        &self,
        user: &User,
        purpose: CodePurpose,
        now: Timestamp,
    ) -> Result<Challenge, IdentityError> {
        self.send_code_about(user, purpose, None, now).await
    }

    /// [`Identity::send_code`] with what the code is for spelled out in the SMS (the count and
    /// total of a batch of documents, R-4.13), so the user sees what they are confirming.
    pub(crate) async fn send_code_about(
        &self,
        user: &User,
        purpose: CodePurpose,
        about: Option<&str>,
        now: Timestamp,
    ) -> Result<Challenge, IdentityError> {
        let mobile = user.mobile.as_ref().ok_or(IdentityError::NoMobileNumber)?;
        let (plain, record) = code::issue(&self.config.codes, purpose, now, &mut rand::rng(), &self.config.keys.code);
        let challenge_id = ChallengeId::generate(&mut rand::rng());
        let expires_at = record.expires_at();
        self.store.save_code(&challenge_id, user.id, record, now).await?;
        let minutes = self.config.codes.lifetime_seconds().div_ceil(60);
        let what = match purpose {
            CodePurpose::Login => "для входа",
            CodePurpose::Activation => "для активации доступа",
            CodePurpose::PasswordRecovery => "для восстановления пароля",
            CodePurpose::Confirmation { .. } => "для подтверждения документов",
            CodePurpose::MarkerLogin => "для входа",
        };
        let text = match about {
            // The code first, so that what follows (amounts are digits too) never hides it.
            Some(about) => format!(
                "{}: код {} {what}: {about}. Действует {minutes} мин. Никому не сообщайте его.",
                self.config.issuer,
                plain.expose()
            ),
            None => format!(
                "{}: код {what} {}. Действует {minutes} мин. Никому не сообщайте его.",
                self.config.issuer,
                plain.expose()
            ),
        };
        if let Err(error) = self.notifier.send(&Message::new(Channel::Sms, mobile.as_str(), text), now).await {
            tracing::error!(user = %user.id, error = %error, "a code could not be sent");
            return Err(IdentityError::Undeliverable);
        }
        Ok(Challenge { challenge_id, channel: ChallengeChannel::Sms, sent_to: mobile.masked(), expires_at })
    }

    /// A login challenge answered by the user's marker: its record binds the challenge to the user,
    /// its lifetime and attempts; nothing is sent.
    async fn marker_challenge(&self, user: &User, now: Timestamp) -> Result<Challenge, IdentityError> {
        let challenge_id = ChallengeId::generate(&mut rand::rng());
        let record = code::marker_challenge(&self.config.codes, &challenge_id, now, &self.config.keys.code);
        let expires_at = record.expires_at();
        self.store.save_code(&challenge_id, user.id, record, now).await?;
        let markers = self.store.user_markers(user.id).await?;
        let serials: Vec<&str> = markers
            .iter()
            .filter(|marker| marker.status == tiyn_store::MarkerStatus::Active)
            .map(|marker| marker.serial.as_str())
            .collect();
        Ok(Challenge { challenge_id, channel: ChallengeChannel::Marker, sent_to: serials.join(", "), expires_at })
    }

    /// Checks the code of a challenge; a wrong code counts as a failure of the code's user and of
    /// the source. Answers the user on success.
    pub(crate) async fn verify_challenge(
        &self,
        context: &Context,
        challenge: &str,
        code: &str,
        purpose: CodePurpose,
        action: &'static str,
    ) -> Result<User, IdentityError> {
        let now = self.clock.now();
        let unknown = async {
            self.count_source_failure(context, now).await?;
            self.record(context, Entry::new(action).failed("code_invalid")).await?;
            Err::<User, IdentityError>(IdentityError::UnknownChallenge)
        };
        let Ok(challenge) = ChallengeId::parse(challenge) else { return unknown.await };
        let key = &self.config.keys.code;
        let (user_id, outcome) = match self.store.verify_code(&challenge, code, purpose, now, key).await {
            Ok(result) => result,
            Err(tiyn_store::StoreError::NotFound { .. }) => return unknown.await,
            Err(other) => return Err(other.into()),
        };
        let user = self.user_or_gone(user_id).await?;
        let refusal = match outcome {
            Ok(()) => return Ok(user),
            // A login challenge answered by the user's marker: the stored record
            // is a marker challenge. The marker code is checked (and its step spent) first; then
            // the record is consumed with the server's ticket, so the login stays single-use.
            Err(CodeError::WrongPurpose) if purpose == CodePurpose::Login && self.has_active_marker(&user).await? => {
                match self.check_marker_code(&user, code, now).await {
                    Ok(()) => {
                        let ticket = code::marker_ticket(key, &challenge, self.config.codes.digits());
                        let (_, consumed) = self
                            .store
                            .verify_code(&challenge, ticket.expose(), CodePurpose::MarkerLogin, now, key)
                            .await?;
                        match consumed {
                            Ok(()) => return Ok(user),
                            Err(refusal) => IdentityError::Code(refusal),
                        }
                    }
                    Err(refusal) => refusal,
                }
            }
            Err(refusal) => IdentityError::Code(refusal),
        };
        self.count_source_failure(context, now).await?;
        // A login was charged when its password was evaluated, so its wrong code is that same
        // failed login; it locks only when that login was the last one allowed. Other codes
        // (activation, recovery) are failures of their own.
        let last_login = user.lockout.consecutive_failures >= self.config.user_lockout.consecutive_failures_max();
        if purpose != CodePurpose::Login || last_login {
            self.charge_failure(context, &user, now).await?;
        }
        self.record(context, Entry::new(action).actor(user.id, user.partner).failed(refusal.code())).await?;
        Err(refusal)
    }

    pub(crate) async fn user_or_gone(&self, id: UserId) -> Result<User, IdentityError> {
        self.store.user(id).await?.ok_or_else(|| store_failure(format!("user {id} of a stored code is gone")))
    }

    /// Sends an SMS notice to the user, if they have a mobile number. A notice that cannot be sent
    /// is logged, not fatal: the action it reports has happened.
    pub(crate) async fn notify_sms(&self, user: &User, text: String, now: Timestamp) {
        let Some(mobile) = &user.mobile else { return };
        if let Err(error) = self.notifier.send(&Message::new(Channel::Sms, mobile.as_str(), text), now).await {
            tracing::warn!(user = %user.id, error = %error, "a notice could not be sent");
        }
    }
}

pub(crate) fn store_failure(message: String) -> IdentityError {
    IdentityError::Store(std::sync::Arc::new(tiyn_store::StoreError::Backend(message)))
}
