//! Means of access besides the password: markers, devices (R-2.1.17,
//! ) and the API keys of partners' integrations.

use data_encoding::BASE64URL_NOPAD;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tiyn_auth::totp::{self, MarkerSerial, TOTP_SECRET_BYTES, TotpSecret};
use tiyn_core::access::AccessLevel;
use tiyn_core::{AccountId, ApiKeyId, DeviceId};
use tiyn_store::{
    ApiKeyRecord, DeviceRecord, MarkerRecord, MarkerStatus, NewApiKey, NewDevice, StepAcceptance, User, UserStatus,
};

use crate::audit::{Entry, audit_action};
use crate::login::is_suspended;
use crate::principal::{Credential, Principal};
use crate::{Context, Identity, IdentityError};

/// API key secrets start with this, so a key is told apart from a session token at a glance (and
/// by secret scanners).
pub const API_KEY_PREFIX: &str = "tiyn_key_";
/// Characters of the secret shown in lists.
const API_KEY_SHOWN_CHARS: usize = 13;
/// Longest name of a key or a device.
const LABEL_CHARS_MAX: usize = 100;

/// A marker just enrolled: the secret is in the URI, shown once (as text and as a QR code).
#[derive(Debug, Clone)]
pub struct EnrolledMarker {
    pub serial: String,
    /// `otpauth://totp/…`: what an authenticator app scans.
    pub otpauth_uri: String,
}

/// A key just issued: the secret is shown once and never again.
#[derive(Debug, Clone)]
pub struct IssuedApiKey {
    pub key: ApiKeyRecord,
    pub secret: String,
}

/// The oldest OS versions a device may run: older ones lack security updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePolicy {
    /// (platform, minimum version): `android` 10, `ios` 15 by default. Platforms not listed are
    /// refused.
    pub minimum: Vec<(String, String)>,
}

impl Default for DevicePolicy {
    fn default() -> DevicePolicy {
        DevicePolicy { minimum: vec![("android".to_owned(), "10".to_owned()), ("ios".to_owned(), "15".to_owned())] }
    }
}

/// Compares dotted numeric versions (`17.4.1` ≥ `15`). `None` when a part is not a number.
fn version_at_least(version: &str, minimum: &str) -> Option<bool> {
    let parse = |text: &str| text.split('.').map(|part| part.trim().parse::<u32>().ok()).collect::<Option<Vec<u32>>>();
    let (mut version, mut minimum) = (parse(version)?, parse(minimum)?);
    let length = version.len().max(minimum.len());
    version.resize(length, 0);
    minimum.resize(length, 0);
    Some(version >= minimum)
}

fn label(field: &'static str, text: &str) -> Result<String, IdentityError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > LABEL_CHARS_MAX {
        return Err(IdentityError::invalid(field, "invalid_name", "a name has 1 to 100 characters"));
    }
    Ok(text.to_owned())
}

/// The digest under which an API key is stored: SHA-256 of a 256-bit random secret is one-way.
pub(crate) fn api_key_digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl Identity {
    // ----- markers -----

    /// Enrols a marker for the principal: a fresh secret, sealed in the store, bound to a unique
    /// serial. It becomes usable after a first valid code.
    pub async fn enrol_marker(
        &self,
        context: &Context,
        principal: &Principal,
    ) -> Result<EnrolledMarker, IdentityError> {
        let now = self.clock.now();
        let secret = TotpSecret::generate(&mut rand::rng());
        let mut last_error = None;
        for _ in 0..3 {
            let serial = MarkerSerial::generate(&mut rand::rng());
            let sealed =
                self.config.keys.seal.seal(secret.expose_bytes(), serial.as_str().as_bytes(), &mut rand::rng());
            match self.store.create_marker(principal.user_id(), serial.as_str(), sealed, now).await {
                Ok(()) => {
                    let label = principal.user().full_name.clone();
                    let otpauth_uri = totp::otpauth_uri(&self.config.issuer, &format!("{label} {serial}"), &secret);
                    self.record(
                        context,
                        Entry::new(audit_action::MARKER_ENROL).by(principal).object(format!("marker:{serial}")),
                    )
                    .await?;
                    return Ok(EnrolledMarker { serial: serial.as_str().to_owned(), otpauth_uri });
                }
                // A serial collision (40 random bits): draw another.
                Err(tiyn_store::StoreError::AlreadyExists { .. }) => last_error = Some("serial collision"),
                Err(other) => return Err(other.into()),
            }
        }
        Err(crate::login::store_failure(format!("marker enrolment failed: {}", last_error.unwrap_or("unknown"))))
    }

    /// The principal's markers, revoked ones included.
    pub async fn markers(&self, principal: &Principal) -> Result<Vec<MarkerRecord>, IdentityError> {
        Ok(self.store.user_markers(principal.user_id()).await?)
    }

    /// Activates an enrolled marker with its first code.
    pub async fn activate_marker(
        &self,
        context: &Context,
        principal: &Principal,
        serial: &str,
        code: &str,
    ) -> Result<(), IdentityError> {
        let now = self.clock.now();
        let marker = self.own_marker(principal, serial).await?;
        let entry = Entry::new(audit_action::MARKER_ACTIVATE).by(principal).object(format!("marker:{}", marker.serial));
        if marker.status != MarkerStatus::Pending {
            return Err(IdentityError::Conflict("marker_not_pending"));
        }
        let secret = self.open_marker(&marker)?;
        let step = match totp::verify(&secret, code, now, marker.last_step) {
            Ok(step) => step,
            Err(error) => {
                self.record(context, entry.failed(error.code())).await?;
                return Err(IdentityError::MarkerCode(error.code()));
            }
        };
        match self.store.accept_marker_step(principal.user_id(), &marker.serial, step, true, now).await? {
            StepAcceptance::Accepted => self.record(context, entry).await,
            StepAcceptance::Replayed => Err(IdentityError::MarkerCode("totp_replayed")),
            StepAcceptance::Unusable => Err(IdentityError::Conflict("marker_not_pending")),
        }
    }

    /// Revokes one of the principal's markers at once.
    pub async fn revoke_marker(
        &self,
        context: &Context,
        principal: &Principal,
        serial: &str,
    ) -> Result<(), IdentityError> {
        let marker = self.own_marker(principal, serial).await?;
        self.store.revoke_marker(principal.user_id(), &marker.serial, self.clock.now()).await?;
        self.record(
            context,
            Entry::new(audit_action::MARKER_REVOKE).by(principal).object(format!("marker:{}", marker.serial)),
        )
        .await
    }

    /// Checks a code from any of the user's active markers; the step is accepted atomically, so a
    /// code is never accepted twice. A code of another user's marker never matches,
    /// because only this user's secrets are tried.
    pub(crate) async fn check_marker_code(&self, user: &User, code: &str, now: Timestamp) -> Result<(), IdentityError> {
        let markers = self.store.user_markers(user.id).await?;
        let mut refusal = "totp_mismatch";
        for marker in markers.iter().filter(|marker| marker.status == MarkerStatus::Active) {
            let secret = self.open_marker(marker)?;
            match totp::verify(&secret, code, now, marker.last_step) {
                Ok(step) => {
                    return match self.store.accept_marker_step(user.id, &marker.serial, step, false, now).await? {
                        StepAcceptance::Accepted => Ok(()),
                        StepAcceptance::Replayed | StepAcceptance::Unusable => {
                            Err(IdentityError::MarkerCode("totp_replayed"))
                        }
                    };
                }
                Err(totp::TotpError::Replayed) => refusal = "totp_replayed",
                Err(totp::TotpError::Malformed { .. }) => return Err(IdentityError::MarkerCode("totp_malformed")),
                Err(_) => {}
            }
        }
        Err(IdentityError::MarkerCode(refusal))
    }

    /// Whether the user has an active marker (the alternative when SMS cannot be delivered, R-8.10).
    pub(crate) async fn has_active_marker(&self, user: &User) -> Result<bool, IdentityError> {
        Ok(self.store.user_markers(user.id).await?.iter().any(|marker| marker.status == MarkerStatus::Active))
    }

    async fn own_marker(&self, principal: &Principal, serial: &str) -> Result<MarkerRecord, IdentityError> {
        let serial = MarkerSerial::parse(serial).map_err(|_| IdentityError::NotFound("marker"))?;
        self.store
            .user_markers(principal.user_id())
            .await?
            .into_iter()
            .find(|marker| marker.serial == serial.as_str())
            .ok_or(IdentityError::NotFound("marker"))
    }

    fn open_marker(&self, marker: &MarkerRecord) -> Result<TotpSecret, IdentityError> {
        let bytes = self.config.keys.seal.open(&marker.sealed_secret, marker.serial.as_bytes()).map_err(|_| {
            crate::login::store_failure(format!("marker {} does not open under this key", marker.serial))
        })?;
        let bytes: [u8; TOTP_SECRET_BYTES] = bytes.try_into().map_err(|_| {
            crate::login::store_failure(format!("marker {} secret has the wrong length", marker.serial))
        })?;
        Ok(TotpSecret::from_bytes(bytes))
    }

    // ----- devices -----

    /// Registers a device of the principal; an OS below the bank's minimum is refused
    /// with the minimum named.
    pub async fn register_device(
        &self,
        context: &Context,
        principal: &Principal,
        platform: &str,
        os_version: &str,
        name: &str,
    ) -> Result<DeviceRecord, IdentityError> {
        let platform = platform.trim().to_ascii_lowercase();
        let name = label("name", name)?;
        let minimum = self
            .config
            .devices
            .minimum
            .iter()
            .find(|(known, _)| *known == platform)
            .map(|(_, minimum)| minimum.clone())
            .ok_or_else(|| {
                IdentityError::invalid("platform", "platform_unsupported", "the platform is one of: android, ios")
            })?;
        match version_at_least(os_version, &minimum) {
            None => {
                return Err(IdentityError::invalid(
                    "os_version",
                    "invalid_os_version",
                    "an OS version is like 14 or 17.4.1",
                ));
            }
            Some(false) => {
                return Err(IdentityError::invalid(
                    "os_version",
                    "os_version_unsupported",
                    format!("{platform} {os_version} is no longer supported: update to {minimum} or later"),
                ));
            }
            Some(true) => {}
        }
        let now = self.clock.now();
        let id = self
            .store
            .register_device(NewDevice {
                user: principal.user_id(),
                platform: platform.clone(),
                os_version: os_version.trim().to_owned(),
                name,
                at: now,
            })
            .await?;
        self.record(context, Entry::new(audit_action::DEVICE_REGISTER).by(principal).object(format!("device:{id}")))
            .await?;
        self.devices(principal)
            .await?
            .into_iter()
            .find(|device| device.id == id)
            .ok_or_else(|| crate::login::store_failure(format!("device {id} vanished")))
    }

    pub async fn devices(&self, principal: &Principal) -> Result<Vec<DeviceRecord>, IdentityError> {
        Ok(self.store.user_devices(principal.user_id()).await?)
    }

    pub async fn revoke_device(
        &self,
        context: &Context,
        principal: &Principal,
        id: DeviceId,
    ) -> Result<(), IdentityError> {
        self.store.revoke_device(principal.user_id(), id, self.clock.now()).await?;
        self.record(context, Entry::new(audit_action::DEVICE_REVOKE).by(principal).object(format!("device:{id}"))).await
    }

    // ----- API keys -----

    /// Issues an API key for the principal's partner, limited to `level` (never `full`) and
    /// optionally to some of the partner's accounts, with an optional expiry.
    pub async fn issue_api_key(
        &self,
        context: &Context,
        principal: &Principal,
        name: &str,
        level: AccessLevel,
        accounts: Vec<AccountId>,
        expires_at: Option<Timestamp>,
    ) -> Result<IssuedApiKey, IdentityError> {
        let partner = principal.partner().ok_or(IdentityError::NotFound("partner"))?;
        let name = label("name", name)?;
        if level == AccessLevel::Full {
            return Err(IdentityError::invalid("level", "api_key_level", "a key is limited to create or confirm"));
        }
        let now = self.clock.now();
        if expires_at.is_some_and(|at| at <= now) {
            return Err(IdentityError::invalid("expires_at", "expiry_in_past", "the expiry must be in the future"));
        }
        let owned = self.store.partner_accounts(partner).await?;
        if let Some(foreign) = accounts.iter().find(|id| !owned.iter().any(|account| account.id == **id)) {
            return Err(IdentityError::invalid("accounts", "account_not_found", format!("no account {foreign}")));
        }
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let secret = format!("{API_KEY_PREFIX}{}", BASE64URL_NOPAD.encode(&bytes));
        let id = self
            .store
            .create_api_key(NewApiKey {
                partner,
                created_by: principal.user_id(),
                name,
                level,
                accounts,
                expires_at,
                secret_digest: api_key_digest(&secret),
                prefix: secret.chars().take(API_KEY_SHOWN_CHARS).collect(),
                at: now,
            })
            .await?;
        self.record(
            context,
            Entry::new(audit_action::API_KEY_ISSUE)
                .by(principal)
                .object(format!("api_key:{id}"))
                .details(format!("level: {}", level.as_str())),
        )
        .await?;
        let key = self.own_api_key(principal, id).await?;
        Ok(IssuedApiKey { key, secret })
    }

    pub async fn api_keys(&self, principal: &Principal) -> Result<Vec<ApiKeyRecord>, IdentityError> {
        let partner = principal.partner().ok_or(IdentityError::NotFound("partner"))?;
        Ok(self.store.partner_api_keys(partner).await?)
    }

    /// Revokes a key of the partner at once.
    pub async fn revoke_api_key(
        &self,
        context: &Context,
        principal: &Principal,
        id: ApiKeyId,
    ) -> Result<(), IdentityError> {
        let partner = principal.partner().ok_or(IdentityError::NotFound("api_key"))?;
        self.store.revoke_api_key(partner, id, self.clock.now()).await?;
        self.record(context, Entry::new(audit_action::API_KEY_REVOKE).by(principal).object(format!("api_key:{id}")))
            .await
    }

    async fn own_api_key(&self, principal: &Principal, id: ApiKeyId) -> Result<ApiKeyRecord, IdentityError> {
        self.api_keys(principal).await?.into_iter().find(|key| key.id == id).ok_or(IdentityError::NotFound("api_key"))
    }

    /// The principal of an API key: valid while not revoked, not expired, and while the user who
    /// issued it may act (a blocked issuer's keys stop at once). The effective level is the key's,
    /// never above the issuer's current level.
    pub async fn authenticate_api_key(&self, secret: &str) -> Result<Principal, IdentityError> {
        if !secret.starts_with(API_KEY_PREFIX) {
            return Err(IdentityError::Unauthenticated);
        }
        let now = self.clock.now();
        let key = self.store.api_key_by_digest(api_key_digest(secret)).await?.ok_or(IdentityError::Unauthenticated)?;
        if key.revoked_at.is_some() || key.expires_at.is_some_and(|at| at <= now) {
            return Err(IdentityError::Unauthenticated);
        }
        let user = self.store.user(key.created_by).await?.ok_or(IdentityError::Unauthenticated)?;
        let issuer_may_act = user.status == UserStatus::Active
            && !user.lockout.blocked
            && !is_suspended(&user, now)
            && user.partner == Some(key.partner);
        if !issuer_may_act {
            return Err(IdentityError::Unauthenticated);
        }
        self.store.touch_api_key(key.id, now).await?;
        let level = user.level.map(|issuer| if issuer.includes(key.level) { key.level } else { issuer });
        let withheld = self.withheld_services(&user).await?;
        Ok(Principal::new(user, Credential::ApiKey { id: key.id, accounts: key.accounts }, level, withheld))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_4_10_versions_compare_numerically() {
        assert_eq!(version_at_least("10", "10"), Some(true));
        assert_eq!(version_at_least("9.1", "10"), Some(false));
        assert_eq!(version_at_least("17.4.1", "15"), Some(true));
        assert_eq!(version_at_least("15.0.0", "15"), Some(true));
        assert_eq!(version_at_least("14.9", "15"), Some(false));
        assert_eq!(version_at_least("fifteen", "15"), None);
    }
}
