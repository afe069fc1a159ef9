//! First access, password recovery and change, with
//! the bank's password policy.

use tiyn_auth::{ChallengeId, CodePurpose};
use tiyn_core::Login;
use tiyn_store::{User, UserStatus};

use crate::audit::{Entry, audit_action};
use crate::login::{Challenge, ChallengeChannel};
use crate::{Context, Identity, IdentityError, Principal};

impl Identity {
    /// Starts the first access of a new user: a code goes to the registered mobile number. For a
    /// login that is unknown or already active the answer looks the same (a challenge that no code
    /// will ever confirm), so this step does not reveal who has an account; a pending user without a
    /// mobile number is told so.
    pub async fn begin_activation(&self, context: &Context, login: &str) -> Result<Challenge, IdentityError> {
        self.begin_code_flow(context, login, CodePurpose::Activation, audit_action::ACTIVATION, |user| {
            user.status == UserStatus::PendingActivation
        })
        .await
    }

    /// Completes the first access: the code, then the chosen password; the user becomes
    /// active. Length and the common-password list are checked before the code is spent, so such a
    /// refusal does not cost the user their code; the check against the user's own name and logins
    /// needs the code's user, so it comes after (a refusal there means asking for a new code).
    pub async fn confirm_activation(
        &self,
        context: &Context,
        challenge: &str,
        code: &str,
        password: &str,
    ) -> Result<User, IdentityError> {
        self.check_password_policy(password, &[])?;
        let user = self
            .verify_challenge(context, challenge, code, CodePurpose::Activation, audit_action::ACTIVATION_CONFIRM)
            .await?;
        self.check_password_policy(password, &context_words(&user))?;
        let hash = self.hash_password(password).await?;
        let now = self.clock.now();
        self.store.activate_user(user.id, hash.as_phc_str(), now).await?;
        self.record(context, Entry::new(audit_action::ACTIVATION_CONFIRM).actor(user.id, user.partner)).await?;
        self.notify_sms(&user, format!("{}: доступ активирован, пароль установлен.", self.config.issuer), now).await;
        self.user_or_gone(user.id).await
    }

    /// Starts a password recovery for an active user: a code by SMS. Unknown logins get a
    /// challenge that never confirms, as in [`Identity::begin_activation`].
    pub async fn begin_recovery(&self, context: &Context, login: &str) -> Result<Challenge, IdentityError> {
        self.begin_code_flow(context, login, CodePurpose::PasswordRecovery, audit_action::RECOVERY, |user| {
            user.status == UserStatus::Active && !user.lockout.blocked
        })
        .await
    }

    /// Completes a recovery: the code, then a new password. Every session of the user ends and the
    /// user is told by SMS.
    pub async fn confirm_recovery(
        &self,
        context: &Context,
        challenge: &str,
        code: &str,
        new_password: &str,
    ) -> Result<(), IdentityError> {
        self.check_password_policy(new_password, &[])?;
        let user = self
            .verify_challenge(context, challenge, code, CodePurpose::PasswordRecovery, audit_action::RECOVERY_CONFIRM)
            .await?;
        self.check_password_policy(new_password, &context_words(&user))?;
        let hash = self.hash_password(new_password).await?;
        let now = self.clock.now();
        let ended = self.store.change_password(user.id, hash.as_phc_str(), None, now).await?;
        self.record(
            context,
            Entry::new(audit_action::RECOVERY_CONFIRM)
                .actor(user.id, user.partner)
                .details(format!("sessions ended: {ended}")),
        )
        .await?;
        self.notify_sms(
            &user,
            format!(
                "{}: пароль изменён через восстановление. Если это были не вы, позвоните в банк.",
                self.config.issuer
            ),
            now,
        )
        .await;
        Ok(())
    }

    /// Changes the password knowing the old one. A wrong old password counts as a failed
    /// attempt. Other sessions end; this one stays.
    pub async fn change_password(
        &self,
        context: &Context,
        principal: &Principal,
        old_password: &str,
        new_password: &str,
    ) -> Result<(), IdentityError> {
        let now = self.clock.now();
        let user = principal.user();
        let hash = self.stored_hash(user)?;
        if !self.verify_password(old_password, &hash).await {
            self.count_failure(context, user, now).await?;
            self.record(context, Entry::new(audit_action::PASSWORD_CHANGE).by(principal).failed("invalid_credentials"))
                .await?;
            return Err(IdentityError::invalid("old_password", "old_password_wrong", "the current password is wrong"));
        }
        self.check_password_policy(new_password, &context_words(user))?;
        if self.verify_password(new_password, &hash).await {
            return Err(IdentityError::invalid(
                "new_password",
                "password_unchanged",
                "choose a password you do not use now",
            ));
        }
        let new_hash = self.hash_password(new_password).await?;
        let ended = self.store.change_password(user.id, new_hash.as_phc_str(), principal.session(), now).await?;
        self.record(
            context,
            Entry::new(audit_action::PASSWORD_CHANGE).by(principal).details(format!("other sessions ended: {ended}")),
        )
        .await?;
        self.notify_sms(
            user,
            format!("{}: пароль изменён. Если это были не вы, позвоните в банк.", self.config.issuer),
            now,
        )
        .await;
        Ok(())
    }

    /// Shared start of the code flows: a real code for an eligible user, a decoy challenge for
    /// anyone else.
    async fn begin_code_flow(
        &self,
        context: &Context,
        login: &str,
        purpose: CodePurpose,
        action: &'static str,
        eligible: impl Fn(&User) -> bool,
    ) -> Result<Challenge, IdentityError> {
        let now = self.clock.now();
        self.check_source(context, now).await?;
        let parsed = Login::parse(login).map_err(|_| {
            IdentityError::invalid("login", "invalid_login", "enter your mobile number or email address")
        })?;
        let user = self.store.user_by_login(&parsed).await?.filter(|user| eligible(user));
        let Some(user) = user else {
            self.record(context, Entry::new(action).failed("not_eligible")).await?;
            return Ok(self.decoy_challenge(&parsed, now));
        };
        let challenge = match self.send_code(&user, purpose, now).await {
            Err(IdentityError::NoMobileNumber) => {
                self.record(context, Entry::new(action).actor(user.id, user.partner).failed("no_mobile_number"))
                    .await?;
                return Err(IdentityError::NoMobileNumber);
            }
            other => other?,
        };
        self.record(context, Entry::new(action).actor(user.id, user.partner)).await?;
        Ok(challenge)
    }

    /// A challenge that looks real but was never stored, so no code confirms it.
    fn decoy_challenge(&self, login: &Login, now: jiff::Timestamp) -> Challenge {
        let sent_to = match login {
            Login::Mobile(mobile) => mobile.masked(),
            Login::Email(_) => "+7 7•• ••• •• ••".to_owned(),
        };
        Challenge {
            challenge_id: ChallengeId::generate(&mut rand::rng()),
            channel: ChallengeChannel::Sms,
            sent_to,
            expires_at: now
                .checked_add(jiff::SignedDuration::from_secs(i64::from(self.config.codes.lifetime_seconds())))
                .unwrap_or(now),
        }
    }

    fn check_password_policy(&self, password: &str, words: &[String]) -> Result<(), IdentityError> {
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        self.config.password_policy.check(password, &words).map_err(IdentityError::Password)
    }
}

/// What an attacker knows about a user: the logins and the parts of the name.
pub(crate) fn context_words(user: &User) -> Vec<String> {
    let mut words: Vec<String> = user.full_name.split_whitespace().map(str::to_owned).collect();
    if let Some(mobile) = &user.mobile {
        words.push(mobile.as_str().trim_start_matches('+').to_owned());
    }
    if let Some(email) = &user.email
        && let Some((local, _)) = email.as_str().split_once('@')
    {
        words.push(local.to_owned());
    }
    words
}
