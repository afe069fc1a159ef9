//! Means of access besides the password: markers, devices and the API keys of
//! partners' integrations.

use jiff::Timestamp;
use tiyn_core::access::AccessLevel;
use tiyn_core::{AccountId, ApiKeyId, DeviceId, PartnerId, UserId};

/// The life of a marker: enrolled (secret shown once), active after a first valid code, revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerStatus {
    Pending,
    Active,
    Revoked,
}

impl MarkerStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            MarkerStatus::Pending => "pending",
            MarkerStatus::Active => "active",
            MarkerStatus::Revoked => "revoked",
        }
    }

    pub fn parse(code: &str) -> Option<MarkerStatus> {
        [MarkerStatus::Pending, MarkerStatus::Active, MarkerStatus::Revoked]
            .into_iter()
            .find(|status| status.as_str() == code)
    }
}

/// A marker as stored. The secret is sealed (encrypted with the installation's seal key, bound to
/// the serial); the store never sees it in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerRecord {
    /// The serial number, unique platform-wide (`TYN-XXXX-XXXX`).
    pub serial: String,
    pub user: UserId,
    pub status: MarkerStatus,
    pub sealed_secret: Vec<u8>,
    /// The last accepted TOTP step; a code of this step or an earlier one is never accepted again.
    pub last_step: Option<u64>,
    pub created_at: Timestamp,
    pub activated_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// What accepting a marker code at `step` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepAcceptance {
    /// Recorded as the last step (and the marker activated, when that was asked and it was pending).
    Accepted,
    /// The step is not after the last accepted one: the code was already used (or is older).
    Replayed,
    /// The marker is revoked, or not in the state the caller required.
    Unusable,
}

/// A device to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub user: UserId,
    /// `android`, `ios`, `web`.
    pub platform: String,
    /// The OS version as the device reports it (`14`, `17.4.1`).
    pub os_version: String,
    /// The user's label for it.
    pub name: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub user: UserId,
    pub platform: String,
    pub os_version: String,
    pub name: String,
    pub registered_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// An API key to issue. Only the SHA-256 of the secret is stored; the secret is shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub partner: PartnerId,
    /// The full-access user who issued it; the key acts with this user's identity in the audit trail.
    pub created_by: UserId,
    pub name: String,
    /// Never `Full`: a key may view, create, or (with a code) confirm.
    pub level: AccessLevel,
    /// Empty: every account of the partner.
    pub accounts: Vec<AccountId>,
    pub expires_at: Option<Timestamp>,
    pub secret_digest: [u8; 32],
    /// The first characters of the secret, shown in lists so a person can tell keys apart.
    pub prefix: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub partner: PartnerId,
    pub created_by: UserId,
    pub name: String,
    pub level: AccessLevel,
    pub accounts: Vec<AccountId>,
    pub expires_at: Option<Timestamp>,
    pub prefix: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}
