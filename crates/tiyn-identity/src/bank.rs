//! The bank's own use cases, for its operators:
//! creating a partner's cabinet from its application, blocking and unblocking any user, lifting a
//! lockout, creating operators, and reading every partner's audit trail.
//!
//! Who acts is a [`BankActor`], a value to obtain: from a signed-in operator's [`Principal`]
//! ([`BankActor::operator`], `None` for a partner's user), or for the platform's own console
//! ([`BankActor::console`], `tiyn admin`). Every action is recorded with the actor and the partner
//! it concerns, so the partner's own trail shows what the bank did to it.

use std::sync::LazyLock;

use tiyn_core::access::AccessLevel;
use tiyn_core::{Bin, Currency, Email, Iban, IbanError, Login, MobileNumber, PartnerId, UserId};
use tiyn_store::{
    Account, AccountKind, AuditQuery, Block, BlockReason, Consent, NewAccount, NewPartner, NewUser, Partner,
    StoreError, User,
};

use crate::audit::{AUDIT_PAGE_MAX, AuditView, Entry, audit_action};
use crate::{Context, Identity, IdentityError, NewUserInput, Principal};

/// Most accounts one application opens: an application lists a handful; more are opened later.
pub const APPLICATION_ACCOUNTS_MAX: usize = 20;
/// Most users one application registers: the partner's full-access users add the others later
///
pub const APPLICATION_USERS_MAX: usize = 20;
/// Partner names are labels in lists and statements, like users' full names.
pub const PARTNER_NAME_LENGTH_MAX: usize = 200;
/// A Kazakhstan legal address with postcode, region, street and office fits easily.
pub const LEGAL_ADDRESS_LENGTH_MAX: usize = 500;
/// Account numbers tried when another account took the next free one at the same moment.
const ACCOUNT_NUMBER_ATTEMPTS_MAX: u32 = 100;
/// The account number after the bank code: `S` and 12 digits (13 characters, the KZ BBAN layout).
const ACCOUNT_NUMBER_PREFIX: char = 'S';
const ACCOUNT_NUMBER_DIGITS: usize = 12;
const ACCOUNT_NUMBER_MAX: u64 = 999_999_999_999;
/// Who recorded a consent when the console registers users.
const CONSOLE_NAME: &str = "bank console (tiyn admin)";

/// The bank as it appears in its accounts' IBANs: its 3-digit code (positions 5–7 of a
/// Kazakhstan IBAN). Decided at start and passed to [`Identity::create_partner_from_application`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankIdentity {
    bank_code: String,
}

impl BankIdentity {
    /// The demo bank's code, used until the settings name the bank.
    pub const DEMO_BANK_CODE: &'static str = "722";

    /// Refuses a code that cannot start a Kazakhstan BBAN (3 digits).
    pub fn new(bank_code: &str) -> Result<BankIdentity, IbanError> {
        // The KZ layout (3 digits, then 13 characters) decides; the length is checked first so
        // that a short code is not completed by the account number's characters.
        let sample = format!("{bank_code}{ACCOUNT_NUMBER_PREFIX}{}", "0".repeat(ACCOUNT_NUMBER_DIGITS));
        let iban = Iban::from_bban("KZ", &sample)?;
        if bank_code.len() != 3 || iban.kz_bank_code() != Some(bank_code) {
            return Err(IbanError::WrongLength { country: "KZ", expected: 20, found: 17 + bank_code.len() });
        }
        Ok(BankIdentity { bank_code: bank_code.to_owned() })
    }

    pub fn bank_code(&self) -> &str {
        &self.bank_code
    }

    /// The IBAN of account number `number` (`S` + 12 digits).
    fn iban(&self, number: u64) -> Result<Iban, IbanError> {
        assert!(number <= ACCOUNT_NUMBER_MAX, "account numbers have 12 digits");
        Iban::from_bban("KZ", &format!("{}{ACCOUNT_NUMBER_PREFIX}{number:012}", self.bank_code))
    }

    /// The account number of one of this bank's IBANs, if it has the `S` + 12 digits layout.
    fn number(&self, iban: &Iban) -> Option<u64> {
        let rest = iban.bban().strip_prefix(self.bank_code.as_str())?.strip_prefix(ACCOUNT_NUMBER_PREFIX)?;
        (rest.len() == ACCOUNT_NUMBER_DIGITS && rest.bytes().all(|byte| byte.is_ascii_digit()))
            .then(|| rest.parse().ok())
            .flatten()
    }
}

impl Default for BankIdentity {
    fn default() -> BankIdentity {
        BankIdentity { bank_code: BankIdentity::DEMO_BANK_CODE.to_owned() }
    }
}

/// Who acts for the bank. Obtained from a signed-in operator, or for the platform's console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankActor {
    user: Option<UserId>,
    /// Recorded as who took the partner's consent confirmations.
    name: String,
    via_cli: bool,
}

impl BankActor {
    /// A signed-in bank operator; `None` for a partner's user (or a partner's API key).
    pub fn operator(principal: &Principal) -> Option<BankActor> {
        if principal.partner().is_some() {
            return None;
        }
        Some(BankActor { user: Some(principal.user_id()), name: principal.user().full_name.clone(), via_cli: false })
    }

    /// The platform's own console (`tiyn admin`), run by whoever holds the server's settings and
    /// keys: audited with `actor` (none: the platform itself) and details `via: cli`.
    pub fn console(actor: Option<UserId>) -> BankActor {
        BankActor { user: actor, name: CONSOLE_NAME.to_owned(), via_cli: true }
    }

    pub fn user(&self) -> Option<UserId> {
        self.user
    }

    /// Who acted, as records that name the actor say it (an operator's full name, or the console).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn entry(&self, action: &'static str, partner: Option<PartnerId>, details: Option<String>) -> Entry<'static> {
        let mut entry = Entry::new(action);
        entry.actor = self.user;
        entry.partner = partner;
        entry.details = match (details, self.via_cli) {
            (Some(details), true) => Some(format!("{details}; via: cli")),
            (None, true) => Some("via: cli".to_owned()),
            (details, false) => details,
        };
        entry
    }
}

/// One account to open for an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationAccount {
    pub currency: Currency,
    pub name: String,
}

/// A partner's application for the cabinet, as the bank's operator enters it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub name: String,
    pub bin: Bin,
    pub legal_address: String,
    /// At least one.
    pub accounts: Vec<ApplicationAccount>,
    /// At least one with full access; each with a mobile number and the consent confirmed.
    pub users: Vec<NewUserInput>,
}

/// A new bank operator (pending activation, like any user: ).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOperator {
    pub full_name: String,
    pub mobile: MobileNumber,
    pub email: Option<Email>,
    pub role: tiyn_core::OperatorRole,
}

/// A partner with its accounts and users, as the bank sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerOverview {
    pub partner: Partner,
    pub accounts: Vec<Account>,
    pub users: Vec<User>,
}

const USER_FIELDS: [&str; 5] = ["full_name", "mobile", "email", "level", "consent"];
const ACCOUNT_FIELDS: [&str; 2] = ["currency", "name"];

/// `users[3].mobile` and the like as `&'static str`, for [`IdentityError::Invalid`]: built once,
/// for every index under the limits.
static INDEXED_FIELDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let users = (0..APPLICATION_USERS_MAX).flat_map(|index| USER_FIELDS.map(|field| format!("users[{index}].{field}")));
    let accounts = (0..APPLICATION_ACCOUNTS_MAX)
        .flat_map(|index| ACCOUNT_FIELDS.map(|field| format!("accounts[{index}].{field}")));
    users.chain(accounts).collect()
});

/// The field name `list[index].field`; `list` itself beyond the limits (checked before).
pub fn application_field(list: &'static str, index: usize, field: &str) -> &'static str {
    let wanted = format!("{list}[{index}].{field}");
    INDEXED_FIELDS.iter().find(|name| **name == wanted).map_or(list, String::as_str)
}

fn check_length(
    field: &'static str,
    code: &'static str,
    text: &str,
    max: usize,
    what: &str,
) -> Result<(), IdentityError> {
    let length = text.trim().chars().count();
    if length == 0 || length > max {
        return Err(IdentityError::invalid(field, code, format!("{what} has 1 to {max} characters")));
    }
    Ok(())
}

fn login_taken(field: &'static str, detail: &str) -> IdentityError {
    IdentityError::invalid(field, "login_taken", detail)
}

/// The checks of an application that need no read: fields and limits, and no login twice.
/// Answers the logins (with their fields), to check that they are free.
fn check_application(application: &Application) -> Result<Vec<(&'static str, Login)>, IdentityError> {
    check_length("name", "invalid_name", &application.name, PARTNER_NAME_LENGTH_MAX, "a partner's name")?;
    check_length(
        "legal_address",
        "invalid_legal_address",
        &application.legal_address,
        LEGAL_ADDRESS_LENGTH_MAX,
        "a legal address",
    )?;
    if application.accounts.is_empty() {
        return Err(IdentityError::invalid("accounts", "accounts_required", "an application opens an account"));
    }
    if application.accounts.len() > APPLICATION_ACCOUNTS_MAX {
        return Err(IdentityError::invalid(
            "accounts",
            "too_many_accounts",
            format!("an application opens at most {APPLICATION_ACCOUNTS_MAX} accounts"),
        ));
    }
    for (index, account) in application.accounts.iter().enumerate() {
        let field = application_field("accounts", index, "name");
        check_length(field, "invalid_name", &account.name, tiyn_store::ACCOUNT_NAME_LENGTH_MAX, "an account name")?;
    }
    if application.users.len() > APPLICATION_USERS_MAX {
        return Err(IdentityError::invalid(
            "users",
            "too_many_users",
            format!("an application registers at most {APPLICATION_USERS_MAX} users; add others later"),
        ));
    }
    if !application.users.iter().any(|user| user.level == AccessLevel::Full) {
        return Err(IdentityError::invalid(
            "users",
            "full_access_user_required",
            "an application registers at least one user with full access, who manages the others",
        ));
    }
    let mut logins: Vec<(&'static str, Login)> = Vec::new();
    for (index, user) in application.users.iter().enumerate() {
        if !user.consent_confirmed {
            return Err(IdentityError::invalid(
                application_field("users", index, "consent"),
                "consent_required",
                "confirm that the partner holds the user's consent to the processing of personal data",
            ));
        }
        check_length(
            application_field("users", index, "full_name"),
            "invalid_full_name",
            &user.full_name,
            tiyn_store::FULL_NAME_LENGTH_MAX,
            "a full name",
        )?;
        let Some(mobile) = &user.mobile else {
            return Err(IdentityError::invalid(
                application_field("users", index, "mobile"),
                "mobile_required",
                "a user needs a mobile number for codes",
            ));
        };
        let mut own = vec![("mobile", Login::Mobile(mobile.clone()))];
        if let Some(email) = &user.email {
            own.push(("email", Login::Email(email.clone())));
        }
        for (name, login) in own {
            let field = application_field("users", index, name);
            if logins.iter().any(|(_, known)| *known == login) {
                return Err(login_taken(field, "another user of this application has this login"));
            }
            logins.push((field, login));
        }
    }
    Ok(logins)
}

impl Identity {
    /// Every partner, by id.
    pub async fn bank_partners(&self, context: &Context, actor: &BankActor) -> Result<Vec<Partner>, IdentityError> {
        let mut partners = self.store.partners().await?;
        partners.sort_by_key(|partner| partner.id);
        self.record(context, actor.entry(audit_action::PARTNERS_LIST, None, None)).await?;
        Ok(partners)
    }

    /// One partner with its accounts and users.
    pub async fn bank_partner(
        &self,
        context: &Context,
        actor: &BankActor,
        id: PartnerId,
    ) -> Result<PartnerOverview, IdentityError> {
        let overview = self.partner_overview(id).await?;
        self.record(context, actor.entry(audit_action::PARTNER_VIEW, Some(id), None).object(format!("partner:{id}")))
            .await?;
        Ok(overview)
    }

    async fn partner_overview(&self, id: PartnerId) -> Result<PartnerOverview, IdentityError> {
        let partner = self.store.partner(id).await?.ok_or(IdentityError::NotFound("partner"))?;
        let accounts = self.store.partner_accounts(id).await?;
        let users = self.store.partner_users(id).await?;
        Ok(PartnerOverview { partner, accounts, users })
    }

    /// Creates the partner's cabinet from its application: the partner, its accounts with
    /// IBANs of `bank`, and its users pending activation (they activate by SMS code, R-5.2).
    ///
    /// Everything that can be refused is checked before anything is written: the fields, that the
    /// BIN is not registered yet (409 `partner_exists`), that the logins are free. The store has no
    /// transaction spanning the partner, its accounts and its users, so a failure of the store
    /// midway leaves what was created, each part recorded in the audit trail.
    pub async fn create_partner_from_application(
        &self,
        context: &Context,
        actor: &BankActor,
        bank: &BankIdentity,
        application: Application,
    ) -> Result<PartnerOverview, IdentityError> {
        let logins = check_application(&application)?;
        let bin = application.bin;
        let details = Some(format!("bin: {}", bin.as_str()));
        if self.store.partners().await?.iter().any(|partner| partner.bin == bin) {
            return Err(self.partner_exists(context, actor, details).await);
        }
        for (field, login) in &logins {
            if self.store.user_by_login(login).await?.is_some() {
                return Err(login_taken(field, "this mobile number or email is already someone's login"));
            }
        }
        let now = self.clock.now();
        let created = self
            .store
            .create_partner(NewPartner {
                name: application.name.trim().to_owned(),
                bin,
                legal_address: application.legal_address.trim().to_owned(),
                created_at: now,
            })
            .await;
        let partner = match created {
            Ok(partner) => partner,
            // Registered by someone else since the check above.
            Err(StoreError::AlreadyExists { .. }) => return Err(self.partner_exists(context, actor, details).await),
            Err(other) => return Err(other.into()),
        };
        let entry = actor.entry(audit_action::PARTNER_CREATE, Some(partner), details);
        self.record(context, entry.object(format!("partner:{partner}"))).await?;

        let mut next_number = self.next_account_number(bank).await?;
        for account in &application.accounts {
            let (id, iban, number) = self.open_numbered_account(bank, partner, account, next_number).await?;
            next_number = number + 1;
            let entry = actor.entry(
                audit_action::ACCOUNT_OPEN,
                Some(partner),
                Some(format!("iban: {}, currency: {}", iban.as_str(), account.currency.code())),
            );
            self.record(context, entry.object(format!("account:{id}"))).await?;
        }

        for input in application.users {
            let level = input.level;
            let id = self
                .store
                .create_user(NewUser {
                    partner: Some(partner),
                    full_name: input.full_name.trim().to_owned(),
                    mobile: input.mobile,
                    email: input.email,
                    level: Some(level),
                    operator_role: None,
                    consent: Some(Consent { recorded_by: actor.name.clone(), recorded_at: now }),
                    created_at: now,
                })
                .await?;
            let entry =
                actor.entry(audit_action::USER_CREATE, Some(partner), Some(format!("level: {}", level.as_str())));
            self.record(context, entry.object(format!("user:{id}"))).await?;
        }
        tracing::info!(partner = %partner, "partner created from its application");
        self.partner_overview(partner).await
    }

    /// Records the refusal of an application whose BIN is registered, and answers it.
    async fn partner_exists(&self, context: &Context, actor: &BankActor, details: Option<String>) -> IdentityError {
        let entry = actor.entry(audit_action::PARTNER_CREATE, None, details).failed("partner_exists");
        match self.record(context, entry).await {
            Ok(()) => IdentityError::Conflict("partner_exists"),
            Err(error) => error,
        }
    }

    /// One more than the largest account number of this bank's IBANs.
    async fn next_account_number(&self, bank: &BankIdentity) -> Result<u64, IdentityError> {
        let mut largest = 0;
        for partner in self.store.partners().await? {
            for account in self.store.partner_accounts(partner.id).await? {
                if let Some(number) = account.iban.as_ref().and_then(|iban| bank.number(iban)) {
                    largest = largest.max(number);
                }
            }
        }
        Ok(largest + 1)
    }

    /// Opens the account under the first free number from `number` on: another account may take
    /// a number at the same moment, and the store refuses a duplicate IBAN.
    async fn open_numbered_account(
        &self,
        bank: &BankIdentity,
        partner: PartnerId,
        account: &ApplicationAccount,
        mut number: u64,
    ) -> Result<(tiyn_core::AccountId, Iban, u64), IdentityError> {
        for _ in 0..ACCOUNT_NUMBER_ATTEMPTS_MAX {
            if number > ACCOUNT_NUMBER_MAX {
                break;
            }
            let iban = bank.iban(number).map_err(|error| crate::login::store_failure(error.to_string()))?;
            let opened = self
                .store
                .open_account(NewAccount {
                    partner: Some(partner),
                    iban: Some(iban.clone()),
                    currency: account.currency,
                    kind: AccountKind::PartnerCurrent,
                    name: account.name.trim().to_owned(),
                    created_at: self.clock.now(),
                })
                .await;
            match opened {
                Ok(id) => return Ok((id, iban, number)),
                Err(StoreError::AlreadyExists { .. }) => number += 1,
                Err(other) => return Err(other.into()),
            }
        }
        Err(crate::login::store_failure(format!("no free account number of bank {} found", bank.bank_code())))
    }

    /// The bank blocks a user for safety or on the partner's request: their
    /// sessions end at once. Any user, even the partner's last full-access one.
    pub async fn bank_block_user(&self, context: &Context, actor: &BankActor, id: UserId) -> Result<(), IdentityError> {
        let user = self.store.user(id).await?.ok_or(IdentityError::NotFound("user"))?;
        let block = Block { reason: BlockReason::Bank, by: actor.user, keep_a_full_user: false };
        let entry = actor
            .entry(audit_action::USER_BLOCK, user.partner, Some(format!("reason: {}", block.reason.as_str())))
            .object(format!("user:{id}"));
        let now = self.clock.now();
        match self.store.block_user(id, block, now).await {
            Ok(ended) => {
                self.record(context, entry).await?;
                tracing::info!(user = %id, sessions_ended = ended, reason = block.reason.as_str(), "user blocked");
                let text =
                    format!("{}: доступ заблокирован банком. Для разблокировки обратитесь в банк.", self.config.issuer);
                self.notify_sms(&user, text, now).await;
                Ok(())
            }
            Err(error) => {
                let error = IdentityError::from(error);
                self.record(context, entry.failed(error.code())).await?;
                Err(error)
            }
        }
    }

    /// The bank lifts any block: its own, the partner's, or one after a report of lost access
    /// means. The lockout state is cleared too.
    pub async fn bank_unblock_user(
        &self,
        context: &Context,
        actor: &BankActor,
        id: UserId,
    ) -> Result<(), IdentityError> {
        let user = self.store.user(id).await?.ok_or(IdentityError::NotFound("user"))?;
        let reason = user.block.map_or("none", |(_, reason)| reason.as_str());
        let entry = actor
            .entry(audit_action::USER_UNBLOCK, user.partner, Some(format!("reason: {reason}")))
            .object(format!("user:{id}"));
        let now = self.clock.now();
        match self.store.unblock_user(id, actor.user, now).await {
            Ok(()) => {
                self.record(context, entry).await?;
                self.notify_sms(&user, format!("{}: доступ разблокирован банком.", self.config.issuer), now).await;
                Ok(())
            }
            Err(error) => {
                let error = IdentityError::from(error);
                self.record(context, entry.failed(error.code())).await?;
                Err(error)
            }
        }
    }

    /// The bank lifts a lockout after repeated failed passwords or codes: the failure
    /// counts and locks are cleared. `not_locked_out` when there is nothing to clear.
    pub async fn clear_lockout(&self, context: &Context, actor: &BankActor, id: UserId) -> Result<(), IdentityError> {
        let user = self.store.user(id).await?.ok_or(IdentityError::NotFound("user"))?;
        if user.lockout == tiyn_auth::LockoutState::default() {
            let entry = actor.entry(audit_action::LOCKOUT_CLEAR, user.partner, None).object(format!("user:{id}"));
            self.record(context, entry.failed("not_locked_out")).await?;
            return Err(IdentityError::Conflict("not_locked_out"));
        }
        let now = self.clock.now();
        self.store.clear_lockout(id, actor.user, now).await?;
        let details = format!(
            "failures: {}, lockouts: {}, blocked: {}",
            user.lockout.consecutive_failures, user.lockout.lockouts, user.lockout.blocked
        );
        let entry = actor.entry(audit_action::LOCKOUT_CLEAR, user.partner, Some(details)).object(format!("user:{id}"));
        self.record(context, entry).await?;
        self.notify_sms(&user, format!("{}: вход снова доступен.", self.config.issuer), now).await;
        Ok(())
    }

    /// Records an action the bank took in another module (payment rules, restrictions, the AML
    /// list), with the partner it concerns and its details.
    pub async fn record_bank_action(
        &self,
        context: &Context,
        actor: &BankActor,
        action: &'static str,
        partner: Option<PartnerId>,
        object: String,
        details: Option<String>,
    ) -> Result<(), IdentityError> {
        let entry = actor.entry(action, partner, details).object(object);
        self.record(context, entry).await
    }

    /// The bank withholds information services from the partner's `create`-level users,
    /// effective at their next request.
    pub async fn set_withheld_services(
        &self,
        context: &Context,
        actor: &BankActor,
        partner: PartnerId,
        withheld: tiyn_core::access::InformationRestrictions,
    ) -> Result<(), IdentityError> {
        self.store.set_withheld_services(partner, withheld).await?;
        let details = if withheld.is_empty() { "none".to_owned() } else { withheld.to_text() };
        let entry = actor
            .entry(audit_action::WITHHELD_SERVICES, Some(partner), Some(format!("withheld: {details}")))
            .object(format!("partner:{partner}"));
        self.record(context, entry).await
    }

    /// A new bank operator, pending activation: they choose a password after an SMS code.
    pub async fn create_operator(
        &self,
        context: &Context,
        actor: &BankActor,
        input: NewOperator,
    ) -> Result<User, IdentityError> {
        check_length(
            "full_name",
            "invalid_full_name",
            &input.full_name,
            tiyn_store::FULL_NAME_LENGTH_MAX,
            "a full name",
        )?;
        let mut logins = vec![("mobile", Login::Mobile(input.mobile.clone()))];
        if let Some(email) = &input.email {
            logins.push(("email", Login::Email(email.clone())));
        }
        for (field, login) in logins {
            if self.store.user_by_login(&login).await?.is_some() {
                return Err(login_taken(field, "this mobile number or email is already someone's login"));
            }
        }
        let now = self.clock.now();
        let id = self
            .store
            .create_user(NewUser {
                partner: None,
                full_name: input.full_name.trim().to_owned(),
                mobile: Some(input.mobile),
                email: input.email,
                level: None,
                operator_role: Some(input.role),
                consent: None,
                created_at: now,
            })
            .await?;
        self.record(context, actor.entry(audit_action::OPERATOR_CREATE, None, None).object(format!("user:{id}")))
            .await?;
        self.user_or_gone(id).await
    }

    /// The whole audit trail, or one partner's, newest first; the read is recorded.
    pub async fn bank_audit(
        &self,
        context: &Context,
        actor: &BankActor,
        mut query: AuditQuery,
    ) -> Result<AuditView, IdentityError> {
        query.limit = query.limit.clamp(1, AUDIT_PAGE_MAX);
        let limit = query.limit;
        let partner = query.partner;
        query.limit = limit + 1;
        let mut records = self.store.audit_records(query).await?;
        let next_before_id = if records.len() > limit {
            records.truncate(limit);
            records.last().map(|record| record.id)
        } else {
            None
        };
        self.record(context, actor.entry(audit_action::BANK_AUDIT_VIEW, partner, None)).await?;
        Ok(AuditView { records, next_before_id })
    }

    /// The user of a login (mobile number or email), for the console.
    pub async fn user_by_login_for_bank(&self, login: &str) -> Result<User, IdentityError> {
        let login =
            Login::parse(login).map_err(|error| IdentityError::invalid("login", error.code(), error.to_string()))?;
        self.store.user_by_login(&login).await?.ok_or(IdentityError::NotFound("user"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_of_the_bank_round_trip_their_numbers() {
        let bank = BankIdentity::new("722").expect("valid code");
        let iban = bank.iban(102).expect("valid IBAN");
        assert_eq!(iban.kz_bank_code(), Some("722"));
        assert_eq!(iban.bban(), "722S000000000102");
        assert_eq!(bank.number(&iban), Some(102));
        assert_eq!(BankIdentity::new("72A").ok(), None);
        assert_eq!(BankIdentity::new("7222").ok(), None);
        assert_eq!(BankIdentity::default(), bank);
    }

    #[test]
    fn indexed_field_names_are_static_up_to_the_limits() {
        assert_eq!(application_field("users", 0, "mobile"), "users[0].mobile");
        assert_eq!(application_field("accounts", APPLICATION_ACCOUNTS_MAX - 1, "name"), "accounts[19].name");
        assert_eq!(application_field("users", APPLICATION_USERS_MAX, "mobile"), "users");
    }
}
