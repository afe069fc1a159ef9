//! A partner's users, managed by its full-access users, and the
//! blocks that stop a user at once.

use jiff::civil::Date;
use tiyn_core::access::AccessLevel;
use tiyn_core::{Email, MobileNumber, UserId};
use tiyn_store::{Block, BlockReason, Consent, NewUser, User, UserChange, UserChangeRecord};

use crate::audit::{Entry, audit_action};
use crate::config::SUSPENSION_NOTICE_WORKING_DAYS;
use crate::login::business_date;
use crate::{Context, Identity, IdentityError, Principal};

/// A new user as a full-access user enters it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUserInput {
    pub full_name: String,
    pub mobile: Option<MobileNumber>,
    pub email: Option<Email>,
    pub level: AccessLevel,
    /// The partner confirms it holds the user's consent to the processing of personal data.
    pub consent_confirmed: bool,
}

/// An edit of a user; `None` keeps a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserEdit {
    pub full_name: Option<String>,
    pub mobile: Option<Option<MobileNumber>>,
    pub email: Option<Option<Email>>,
    pub level: Option<AccessLevel>,
}

impl Identity {
    /// The one tenant gate for users: a user of another partner, a bank operator, or an
    /// unknown id are all "no such user".
    pub async fn partner_user(&self, principal: &Principal, id: UserId) -> Result<User, IdentityError> {
        match self.store.user(id).await? {
            Some(user) if user.partner.is_some() && user.partner == principal.partner() => Ok(user),
            _ => Err(IdentityError::NotFound("user")),
        }
    }

    /// The principal's partner's users, ordered by id.
    pub async fn partner_users(&self, principal: &Principal) -> Result<Vec<User>, IdentityError> {
        let partner = principal.partner().ok_or(IdentityError::NotFound("partner"))?;
        Ok(self.store.partner_users(partner).await?)
    }

    /// Creates a user of the principal's partner, pending activation.
    pub async fn create_user(
        &self,
        context: &Context,
        principal: &Principal,
        input: NewUserInput,
    ) -> Result<User, IdentityError> {
        let partner = principal.partner().ok_or(IdentityError::NotFound("partner"))?;
        if !input.consent_confirmed {
            return Err(IdentityError::invalid(
                "consent",
                "consent_required",
                "confirm that the partner holds the user's consent to the processing of personal data",
            ));
        }
        check_full_name(&input.full_name)?;
        if input.mobile.is_none() {
            // Without a mobile number no code can reach the user, so they could never be verified
            //
            return Err(IdentityError::invalid("mobile", "mobile_required", "a user needs a mobile number for codes"));
        }
        let now = self.clock.now();
        let id = self
            .store
            .create_user(NewUser {
                partner: Some(partner),
                full_name: input.full_name.trim().to_owned(),
                mobile: input.mobile,
                email: input.email,
                level: Some(input.level),
                operator_role: None,
                consent: Some(Consent { recorded_by: principal.user().full_name.clone(), recorded_at: now }),
                created_at: now,
            })
            .await?;
        self.record(
            context,
            Entry::new(audit_action::USER_CREATE)
                .by(principal)
                .object(format!("user:{id}"))
                .details(format!("level: {}", input.level.as_str())),
        )
        .await?;
        self.user_or_gone(id).await
    }

    /// Edits a user of the principal's partner; each change is recorded with its
    /// date and author. The partner's last active full-access user cannot be demoted.
    pub async fn update_user(
        &self,
        context: &Context,
        principal: &Principal,
        id: UserId,
        edit: UserEdit,
    ) -> Result<User, IdentityError> {
        let user = self.partner_user(principal, id).await?;
        if let Some(name) = &edit.full_name {
            check_full_name(name)?;
        }
        if matches!(edit.mobile, Some(None)) {
            return Err(IdentityError::invalid("mobile", "mobile_required", "a user needs a mobile number for codes"));
        }
        let change = UserChange {
            full_name: edit.full_name.map(|name| name.trim().to_owned()),
            mobile: edit.mobile,
            email: edit.email,
            level: edit.level,
        };
        if change.is_empty() {
            return Ok(user);
        }
        let now = self.clock.now();
        let result = self.store.update_user(id, change, Some(principal.user_id()), now).await;
        let entry = Entry::new(audit_action::USER_UPDATE).by(principal).object(format!("user:{id}"));
        match result {
            Ok(updated) => {
                self.record(context, entry).await?;
                Ok(updated)
            }
            Err(error) => {
                let error = IdentityError::from(error);
                self.record(context, entry.failed(error.code())).await?;
                Err(error)
            }
        }
    }

    /// The recorded changes of a user of the principal's partner.
    pub async fn user_changes(
        &self,
        principal: &Principal,
        id: UserId,
    ) -> Result<Vec<UserChangeRecord>, IdentityError> {
        self.partner_user(principal, id).await?;
        Ok(self.store.user_changes(id).await?)
    }

    /// A full-access user blocks a user of the partner: sessions end at once. The last
    /// active full-access user cannot be blocked this way.
    pub async fn block_user(&self, context: &Context, principal: &Principal, id: UserId) -> Result<(), IdentityError> {
        let user = self.partner_user(principal, id).await?;
        let block = Block { reason: BlockReason::Partner, by: Some(principal.user_id()), keep_a_full_user: true };
        self.apply_block(context, Entry::new(audit_action::USER_BLOCK).by(principal), &user, block).await
    }

    /// Lifts a block the partner set. Blocks by the bank or after a loss report are the bank's to
    /// lift.
    pub async fn unblock_user(
        &self,
        context: &Context,
        principal: &Principal,
        id: UserId,
    ) -> Result<(), IdentityError> {
        let user = self.partner_user(principal, id).await?;
        let entry = Entry::new(audit_action::USER_UNBLOCK).by(principal).object(format!("user:{id}"));
        match user.block {
            Some((_, BlockReason::Partner)) => {}
            Some(_) => {
                self.record(context, entry.failed("blocked_by_bank")).await?;
                return Err(IdentityError::Conflict("blocked_by_bank"));
            }
            None => return Err(IdentityError::Conflict("not_blocked")),
        }
        let now = self.clock.now();
        self.store.unblock_user(id, Some(principal.user_id()), now).await?;
        self.record(context, entry).await?;
        self.notify_sms(&user, format!("{}: доступ разблокирован.", self.config.issuer), now).await;
        Ok(())
    }

    /// The user reports lost access means: blocked at once, the instant recorded;
    /// anything done before stands, anything after is refused.
    pub async fn report_lost_access(&self, context: &Context, principal: &Principal) -> Result<(), IdentityError> {
        let block = Block { reason: BlockReason::LostAccess, by: Some(principal.user_id()), keep_a_full_user: false };
        self.apply_block(context, Entry::new(audit_action::LOST_ACCESS).by(principal), principal.user(), block).await
    }

    /// Schedules the suspension of a user's powers from `from`, at least 3 working days ahead
    /// `None` cancels it.
    pub async fn schedule_suspension(
        &self,
        context: &Context,
        principal: &Principal,
        id: UserId,
        from: Option<Date>,
    ) -> Result<(), IdentityError> {
        self.partner_user(principal, id).await?;
        let now = self.clock.now();
        if let Some(from) = from {
            let earliest = self
                .config
                .calendar
                .add_working_days(business_date(now), SUSPENSION_NOTICE_WORKING_DAYS)
                .map_err(|error| IdentityError::invalid("from", "suspension_date_invalid", error.to_string()))?;
            if from < earliest {
                return Err(IdentityError::invalid(
                    "from",
                    "suspension_notice_too_short",
                    format!("a suspension is scheduled at least 3 working days ahead: {earliest} at the earliest"),
                ));
            }
        }
        self.store.schedule_suspension(id, from, Some(principal.user_id()), now).await?;
        let details = from.map_or_else(|| "cancelled".to_owned(), |date| format!("from {date}"));
        self.record(
            context,
            Entry::new(audit_action::USER_SUSPEND).by(principal).object(format!("user:{id}")).details(details),
        )
        .await
    }

    async fn apply_block(
        &self,
        context: &Context,
        entry: Entry<'_>,
        user: &User,
        block: Block,
    ) -> Result<(), IdentityError> {
        let now = self.clock.now();
        let entry = entry.object(format!("user:{}", user.id)).details(format!("reason: {}", block.reason.as_str()));
        match self.store.block_user(user.id, block, now).await {
            Ok(ended) => {
                self.record(context, entry).await?;
                tracing::info!(user = %user.id, sessions_ended = ended, reason = block.reason.as_str(), "user blocked");
                self.notify_sms(
                    user,
                    format!(
                        "{}: доступ заблокирован. Для разблокировки обратитесь к администратору или в банк.",
                        self.config.issuer
                    ),
                    now,
                )
                .await;
                Ok(())
            }
            Err(error) => {
                let error = IdentityError::from(error);
                self.record(context, entry.failed(error.code())).await?;
                Err(error)
            }
        }
    }
}

fn check_full_name(name: &str) -> Result<(), IdentityError> {
    let length = name.trim().chars().count();
    if length == 0 || length > tiyn_store::FULL_NAME_LENGTH_MAX {
        return Err(IdentityError::invalid("full_name", "invalid_full_name", "a full name has 1 to 200 characters"));
    }
    Ok(())
}
