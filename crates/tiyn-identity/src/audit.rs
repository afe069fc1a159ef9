//! Recording actions in the audit trail and reading it back.

use tiyn_core::access::Permission;
use tiyn_core::{PartnerId, UserId};
use tiyn_store::{AuditOutcome, AuditQuery, AuditRecord, NewAuditRecord};

use crate::{Context, Identity, IdentityError, Principal};

/// The actions the identity use cases record, by name. Other modules (payments, statements) add
/// their own dotted names.
pub mod audit_action {
    pub const LOGIN: &str = "auth.login";
    pub const LOGIN_CONFIRM: &str = "auth.login_confirm";
    pub const LOGOUT: &str = "auth.logout";
    pub const SESSION_EXPIRED: &str = "auth.session_expired";
    pub const ACTIVATION: &str = "auth.activation";
    pub const ACTIVATION_CONFIRM: &str = "auth.activation_confirm";
    pub const RECOVERY: &str = "auth.recovery";
    pub const RECOVERY_CONFIRM: &str = "auth.recovery_confirm";
    pub const PASSWORD_CHANGE: &str = "auth.password_change";
    pub const LOCKED: &str = "auth.locked";
    pub const LOST_ACCESS: &str = "users.lost_access";
    pub const USER_CREATE: &str = "users.create";
    pub const USER_UPDATE: &str = "users.update";
    pub const USER_BLOCK: &str = "users.block";
    pub const USER_UNBLOCK: &str = "users.unblock";
    pub const USER_SUSPEND: &str = "users.suspend";
    pub const AUDIT_VIEW: &str = "audit.view";
    pub const MARKER_ENROL: &str = "markers.enrol";
    pub const MARKER_ACTIVATE: &str = "markers.activate";
    pub const MARKER_REVOKE: &str = "markers.revoke";
    pub const DEVICE_REGISTER: &str = "devices.register";
    pub const DEVICE_REVOKE: &str = "devices.revoke";
    pub const API_KEY_ISSUE: &str = "api_keys.issue";
    pub const API_KEY_REVOKE: &str = "api_keys.revoke";
    pub const PARTNER_CREATE: &str = "partners.create";
    pub const PARTNER_VIEW: &str = "partners.view";
    pub const PARTNERS_LIST: &str = "partners.list";
    pub const ACCOUNT_OPEN: &str = "accounts.open";
    pub const LOCKOUT_CLEAR: &str = "users.clear_lockout";
    pub const WITHHELD_SERVICES: &str = "partners.withheld_services";
    pub const OPERATOR_CREATE: &str = "operators.create";
    pub const BANK_AUDIT_VIEW: &str = "audit.bank_view";
}

/// A page of the audit trail as a reader sees it.
#[derive(Debug, Clone)]
pub struct AuditView {
    pub records: Vec<AuditRecord>,
    /// Pass as `before_id` for the next page; `None` on the last page.
    pub next_before_id: Option<i64>,
}

/// Most records per page of `GET /audit`.
pub const AUDIT_PAGE_MAX: usize = 200;

pub(crate) struct Entry<'a> {
    pub action: &'static str,
    pub actor: Option<UserId>,
    pub partner: Option<PartnerId>,
    pub object: Option<String>,
    pub outcome: Result<(), &'a str>,
    pub details: Option<String>,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'static str) -> Entry<'a> {
        Entry { action, actor: None, partner: None, object: None, outcome: Ok(()), details: None }
    }

    pub fn by(mut self, principal: &Principal) -> Entry<'a> {
        self.actor = Some(principal.user_id());
        self.partner = principal.partner();
        self
    }

    pub fn actor(mut self, user: UserId, partner: Option<PartnerId>) -> Entry<'a> {
        self.actor = Some(user);
        self.partner = partner;
        self
    }

    pub fn object(mut self, object: String) -> Entry<'a> {
        self.object = Some(object);
        self
    }

    pub fn failed(mut self, code: &'a str) -> Entry<'a> {
        self.outcome = Err(code);
        self
    }

    pub fn details(mut self, details: String) -> Entry<'a> {
        self.details = Some(details);
        self
    }
}

impl Identity {
    /// Appends one record; the use case fails if the trail cannot be written.
    pub(crate) async fn record(&self, context: &Context, entry: Entry<'_>) -> Result<(), IdentityError> {
        let record = NewAuditRecord {
            at: self.clock.now(),
            actor: entry.actor,
            partner: entry.partner,
            action: entry.action.to_owned(),
            object: entry.object,
            source_ip: context.source_ip.clone(),
            user_agent: context.user_agent.clone(),
            outcome: match entry.outcome {
                Ok(()) => AuditOutcome::Success,
                Err(code) => AuditOutcome::Failure(code.to_owned()),
            },
            details: entry.details,
        };
        self.store.append_audit(record, &self.config.keys.audit).await?;
        Ok(())
    }

    /// Records an action of another module (statement views, exports, payments) by `principal`.
    pub async fn record_action(
        &self,
        context: &Context,
        principal: &Principal,
        action: &'static str,
        object: Option<String>,
    ) -> Result<(), IdentityError> {
        let mut entry = Entry::new(action).by(principal);
        entry.object = object;
        self.record(context, entry).await
    }

    /// Records an action of another module with its details (the evidence of a confirmation,
    /// ) and, for a refused one, the refusal's code.
    pub async fn record_detailed(
        &self,
        context: &Context,
        principal: &Principal,
        action: &'static str,
        object: Option<String>,
        details: Option<String>,
        failure: Option<&str>,
    ) -> Result<(), IdentityError> {
        let mut entry = Entry::new(action).by(principal);
        entry.object = object;
        entry.details = details;
        if let Some(code) = failure {
            entry = entry.failed(code);
        }
        self.record(context, entry).await
    }

    /// Records what the platform did by itself (the bank's collection of a collection order, …):
    /// no actor, no request.
    pub async fn record_system(
        &self,
        action: &'static str,
        partner: Option<PartnerId>,
        object: String,
        details: Option<String>,
    ) -> Result<(), IdentityError> {
        let mut entry = Entry::new(action);
        entry.partner = partner;
        entry.object = Some(object);
        entry.details = details;
        self.record(&Context::default(), entry).await
    }

    /// The partner's audit trail, newest first. Who may call this is the route table's
    /// decision ([`Permission::ViewAudit`]); here the query is confined to the principal's partner.
    /// The read itself is recorded.
    pub async fn partner_audit(
        &self,
        context: &Context,
        principal: &Principal,
        mut query: AuditQuery,
    ) -> Result<AuditView, IdentityError> {
        let partner = principal.partner().ok_or(IdentityError::Forbidden(Permission::ViewAudit))?;
        query.partner = Some(partner);
        query.limit = query.limit.clamp(1, AUDIT_PAGE_MAX);
        let limit = query.limit;
        query.limit = limit + 1;
        let mut records = self.store.audit_records(query).await?;
        let next_before_id = if records.len() > limit {
            records.truncate(limit);
            records.last().map(|record| record.id)
        } else {
            None
        };
        self.record(context, Entry::new(audit_action::AUDIT_VIEW).by(principal)).await?;
        Ok(AuditView { records, next_before_id })
    }
}
