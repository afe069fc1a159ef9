//! The bank's settings of the security procedure, decided once at start.

use tiyn_auth::{
    AuditKey, CodeKey, CodePolicy, LockoutPolicy, MasterKey, PasswordHash, PasswordHasher, PasswordPolicy, SealKey,
    SessionPolicy,
};
use tiyn_core::WorkingCalendar;

/// The installation's derived keys.
#[derive(Debug, Clone)]
pub struct Keys {
    pub code: CodeKey,
    pub audit: AuditKey,
    pub seal: SealKey,
}

impl Keys {
    pub fn derive(master: &MasterKey) -> Keys {
        Keys { code: master.code_key(), audit: master.audit_key(), seal: master.seal_key() }
    }
}

/// Business days of notice before a suspension of a user's powers takes effect.
pub const SUSPENSION_NOTICE_WORKING_DAYS: u32 = 3;

#[derive(Debug, Clone)]
pub struct IdentityConfig {
    pub password_policy: PasswordPolicy,
    pub hasher: PasswordHasher,
    pub codes: CodePolicy,
    /// Per user: 5 consecutive failures lock.
    pub user_lockout: LockoutPolicy,
    /// Per source address: more generous (an office shares one address), never a permanent block
    /// of a user.
    pub source_lockout: LockoutPolicy,
    pub sessions: SessionPolicy,
    pub keys: Keys,
    /// Working days for the suspension notice.
    pub calendar: WorkingCalendar,
    /// A hash of a password nobody knows, verified when the login is unknown so that the answer
    /// takes the same Argon2 time as for a real user.
    pub decoy_hash: PasswordHash,
    /// The name shown in SMS texts and marker labels.
    pub issuer: String,
    /// Minimum OS versions of devices.
    pub devices: crate::means::DevicePolicy,
}

impl IdentityConfig {
    /// The defaults of the identity issue with the given hasher and keys: 12–128 character
    /// passwords checked against the shipped list, 6-digit codes living 5 minutes with 3 tries,
    /// 5 failures lock a user for 15 minutes and 3 locks block pending the bank, 5 minutes idle
    /// and 12 hours absolute per session.
    pub fn standard(hasher: PasswordHasher, master: &MasterKey, calendar: WorkingCalendar) -> IdentityConfig {
        let decoy_hash = hasher
            .hash("tiyn decoy: no user has this password", &mut rand::rng())
            .expect("hashing a short constant cannot fail with valid parameters");
        IdentityConfig {
            password_policy: PasswordPolicy::default(),
            hasher,
            codes: CodePolicy::default(),
            user_lockout: LockoutPolicy::default(),
            source_lockout: LockoutPolicy::new(20, 900, 10).expect("within the policy limits"),
            sessions: SessionPolicy::default(),
            keys: Keys::derive(master),
            calendar,
            decoy_hash,
            issuer: "Tiyn".to_owned(),
            devices: crate::means::DevicePolicy::default(),
        }
    }
}
