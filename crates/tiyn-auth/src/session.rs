//! Session tokens and session lifetimes.
//!
//! A [`SessionToken`] is 256 random bits, sent to the client as 43 base64url characters. The store
//! keeps only its SHA-256 ([`SessionToken::digest`]): a leaked sessions table cannot be replayed. A
//! plain hash suffices (no salt, no Argon2) because the token has full entropy, unlike a password.
//!
//! [`SessionTimes::check`] and [`SessionTimes::touched`] are separate on purpose: the cabinet's
//! background polling must be checked without counting as activity, or an abandoned screen would
//! never reach its idle timeout.

use data_encoding::BASE64URL_NOPAD;
use jiff::Timestamp;
use rand::CryptoRng;
use sha2::{Digest, Sha256};

use crate::add_seconds;

/// Random bytes of a token: 256 bits, twice the 128 bits the identity issue asks as a minimum.
pub const SESSION_TOKEN_BYTES: usize = 32;
/// Length of the encoded token: base64url without padding of [`SESSION_TOKEN_BYTES`] bytes.
pub const SESSION_TOKEN_CHARS: usize = 43;
/// Longest absolute lifetime the bank may configure: 7 days. A session is not a remember-me cookie.
pub const SESSION_ABSOLUTE_SECONDS_MAX: u32 = 7 * 24 * 3_600;
/// Shortest idle timeout: a minute, below which a user cannot even read a statement.
pub const SESSION_IDLE_SECONDS_MIN: u32 = 60;

/// An opaque bearer secret identifying a session. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken([u8; SESSION_TOKEN_BYTES]);

/// An incoming token is not one this server could have issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionTokenError {
    #[error("a session token has exactly {chars} characters")]
    Length { chars: usize },
    #[error("a session token is base64url without padding")]
    Encoding,
}

impl SessionTokenError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SessionTokenError::Length { .. } => "session_token_length",
            SessionTokenError::Encoding => "session_token_encoding",
        }
    }
}

impl SessionToken {
    /// A fresh token: [`SESSION_TOKEN_BYTES`] bytes from the CSPRNG. A new token is issued at every
    /// login, so a token planted before login is worthless (no session fixation).
    pub fn generate(rng: &mut impl CryptoRng) -> SessionToken {
        let mut bytes = [0u8; SESSION_TOKEN_BYTES];
        rng.fill_bytes(&mut bytes);
        SessionToken(bytes)
    }

    /// Parses a token from a cookie or an `Authorization` header. Checks the length first, so an
    /// oversized header is refused before any decoding work, then the canonical base64url alphabet.
    pub fn parse(text: &str) -> Result<SessionToken, SessionTokenError> {
        if text.len() != SESSION_TOKEN_CHARS {
            return Err(SessionTokenError::Length { chars: SESSION_TOKEN_CHARS });
        }
        let mut bytes = [0u8; SESSION_TOKEN_BYTES];
        // data-encoding's BASE64URL_NOPAD refuses padding, other alphabets and non-zero trailing
        // bits, so each token has exactly one accepted spelling.
        let written =
            BASE64URL_NOPAD.decode_mut(text.as_bytes(), &mut bytes).map_err(|_| SessionTokenError::Encoding)?;
        assert_eq!(written, SESSION_TOKEN_BYTES, "43 base64 characters decode to 32 bytes");
        Ok(SessionToken(bytes))
    }

    /// The token as sent to the client (cookie value or bearer token). Show once, never log.
    pub fn expose(&self) -> String {
        let text = BASE64URL_NOPAD.encode(&self.0);
        assert_eq!(text.len(), SESSION_TOKEN_CHARS);
        text
    }

    /// SHA-256 of the token bytes: the only form the store keeps and looks sessions up by.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// The bank's session timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    idle_seconds: u32,
    absolute_seconds: u32,
}

impl Default for SessionPolicy {
    /// 5 minutes idle, as payment-account access rules require, and 12 hours absolute.
    fn default() -> Self {
        SessionPolicy { idle_seconds: 300, absolute_seconds: 43_200 }
    }
}

/// Session timeouts the bank asked for are outside the limits of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionPolicyError {
    #[error("the idle timeout must be between {min} seconds and the absolute lifetime")]
    Idle { min: u32 },
    #[error("the absolute lifetime must be at most {max} seconds")]
    Absolute { max: u32 },
}

impl SessionPolicyError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SessionPolicyError::Idle { .. } => "session_policy_idle",
            SessionPolicyError::Absolute { .. } => "session_policy_absolute",
        }
    }
}

impl SessionPolicy {
    /// Builds a policy: `SESSION_IDLE_SECONDS_MIN <= idle <= absolute <= SESSION_ABSOLUTE_SECONDS_MAX`.
    pub fn new(idle_seconds: u32, absolute_seconds: u32) -> Result<SessionPolicy, SessionPolicyError> {
        if absolute_seconds > SESSION_ABSOLUTE_SECONDS_MAX {
            return Err(SessionPolicyError::Absolute { max: SESSION_ABSOLUTE_SECONDS_MAX });
        }
        if idle_seconds < SESSION_IDLE_SECONDS_MIN || idle_seconds > absolute_seconds {
            return Err(SessionPolicyError::Idle { min: SESSION_IDLE_SECONDS_MIN });
        }
        Ok(SessionPolicy { idle_seconds, absolute_seconds })
    }

    /// Seconds without activity after which a session ends.
    pub fn idle_seconds(&self) -> u32 {
        self.idle_seconds
    }

    /// Seconds after creation after which a session ends whatever the activity.
    pub fn absolute_seconds(&self) -> u32 {
        self.absolute_seconds
    }
}

/// Why a session is over. Absolute expiry wins when both apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionExpired {
    #[error("the session ended after a period without activity")]
    Idle,
    #[error("the session reached its maximum lifetime")]
    Absolute,
}

impl SessionExpired {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SessionExpired::Idle => "session_expired_idle",
            SessionExpired::Absolute => "session_expired_absolute",
        }
    }
}

/// The instants that decide whether a session is alive. `created_at <= last_activity_at` always.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    created_at: Timestamp,
    last_activity_at: Timestamp,
}

impl SessionTimes {
    /// A session created at `now`.
    pub fn new(now: Timestamp) -> SessionTimes {
        SessionTimes { created_at: now, last_activity_at: now }
    }

    /// Rebuilds times read back from the store. A `last_activity_at` before `created_at` (a clock step
    /// backwards) is raised to `created_at`, keeping the invariant.
    pub fn from_parts(created_at: Timestamp, last_activity_at: Timestamp) -> SessionTimes {
        SessionTimes { created_at, last_activity_at: last_activity_at.max(created_at) }
    }

    /// When the session was created.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// The last user activity.
    pub fn last_activity_at(&self) -> Timestamp {
        self.last_activity_at
    }

    /// The first instant at which [`SessionTimes::check`] refuses, unless the session is touched first.
    pub fn expires_at(&self, policy: &SessionPolicy) -> Timestamp {
        let absolute = add_seconds(self.created_at, i64::from(policy.absolute_seconds));
        let idle = add_seconds(self.last_activity_at, i64::from(policy.idle_seconds));
        absolute.min(idle)
    }

    /// Whether the session is alive at `now`. Does not count as activity.
    pub fn check(&self, policy: &SessionPolicy, now: Timestamp) -> Result<(), SessionExpired> {
        assert!(self.created_at <= self.last_activity_at);
        if now >= add_seconds(self.created_at, i64::from(policy.absolute_seconds)) {
            return Err(SessionExpired::Absolute);
        }
        if now >= add_seconds(self.last_activity_at, i64::from(policy.idle_seconds)) {
            return Err(SessionExpired::Idle);
        }
        Ok(())
    }

    /// The times after user activity at `now`. Activity never moves backwards, so a clock step back
    /// cannot shorten or lengthen a session by touching it.
    pub fn touched(&self, now: Timestamp) -> SessionTimes {
        let touched = SessionTimes { created_at: self.created_at, last_activity_at: self.last_activity_at.max(now) };
        assert!(touched.last_activity_at >= self.last_activity_at);
        touched
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn at(second: i64) -> Timestamp {
        add_seconds(Timestamp::from_second(1_750_000_000).expect("valid"), second)
    }

    #[test]
    fn r_2_1_15_token_round_trips_and_digest_is_sha256() {
        let token = SessionToken::generate(&mut StdRng::seed_from_u64(1));
        let text = token.expose();
        assert_eq!(text.len(), SESSION_TOKEN_CHARS);
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(SessionToken::parse(&text), Ok(token.clone()));
        assert_eq!(token.digest(), <[u8; 32]>::from(Sha256::digest(token.0)));
        let other = SessionToken::generate(&mut StdRng::seed_from_u64(2));
        assert_ne!(token.digest(), other.digest());
    }

    #[test]
    fn r_2_1_15_parse_refuses_foreign_tokens() {
        let code = |text: &str| SessionToken::parse(text).map(|_| ()).map_err(|e| e.code());
        let good = "A".repeat(43);
        assert_eq!(code(&good), Ok(()));
        assert_eq!(code(""), Err("session_token_length"));
        assert_eq!(code(&"A".repeat(44)), Err("session_token_length"));
        assert_eq!(code(&format!("{}+", "A".repeat(42))), Err("session_token_encoding"));
        assert_eq!(code(&format!("{}=", "A".repeat(42))), Err("session_token_encoding"));
        // Non-zero trailing bits: a second spelling of the same bytes is refused.
        assert_eq!(code(&format!("{}B", "A".repeat(42))), Err("session_token_encoding"));
        assert_eq!(code(&format!("{}é", "A".repeat(41))), Err("session_token_encoding"));
    }

    #[test]
    fn r_2_1_15_idle_timeout_and_touch() {
        let policy = SessionPolicy::default();
        let times = SessionTimes::new(at(0));
        assert_eq!(times.check(&policy, at(299)), Ok(()));
        assert_eq!(times.check(&policy, at(300)), Err(SessionExpired::Idle));
        let touched = times.touched(at(200));
        assert_eq!(touched.check(&policy, at(499)), Ok(()));
        assert_eq!(touched.check(&policy, at(500)), Err(SessionExpired::Idle));
        assert_eq!(touched.expires_at(&policy), at(500));
    }

    #[test]
    fn r_2_1_15_polling_checks_without_extending() {
        let policy = SessionPolicy::default();
        let times = SessionTimes::new(at(0));
        // Background polling every 30 seconds only checks, so the session still ends at 300 s.
        for second in (0..300).step_by(30) {
            assert_eq!(times.check(&policy, at(second)), Ok(()));
        }
        assert_eq!(times.check(&policy, at(300)), Err(SessionExpired::Idle));
    }

    #[test]
    fn r_2_1_15_absolute_lifetime_despite_activity() {
        let policy = SessionPolicy::default();
        let mut times = SessionTimes::new(at(0));
        for second in (0..43_200).step_by(120) {
            times = times.touched(at(second));
        }
        assert_eq!(times.check(&policy, at(43_199)), Ok(()));
        assert_eq!(times.check(&policy, at(43_200)), Err(SessionExpired::Absolute));
        assert_eq!(times.expires_at(&policy), at(43_200));
    }

    #[test]
    fn r_2_1_15_policy_limits() {
        let code = |idle, absolute| SessionPolicy::new(idle, absolute).map(|_| ()).map_err(|e| e.code());
        assert_eq!(code(59, 3_600), Err("session_policy_idle"));
        assert_eq!(code(3_601, 3_600), Err("session_policy_idle"));
        assert_eq!(code(300, SESSION_ABSOLUTE_SECONDS_MAX + 1), Err("session_policy_absolute"));
        assert_eq!(SessionPolicy::new(300, 43_200), Ok(SessionPolicy::default()));
    }

    #[test]
    fn touch_never_moves_backwards() {
        let times = SessionTimes::new(at(100)).touched(at(50));
        assert_eq!(times.last_activity_at(), at(100));
        assert_eq!(SessionTimes::from_parts(at(100), at(10)).last_activity_at(), at(100));
    }

    proptest! {
        #[test]
        fn r_2_1_15_parse_inverts_expose(seed in any::<u64>()) {
            let token = SessionToken::generate(&mut StdRng::seed_from_u64(seed));
            prop_assert_eq!(SessionToken::parse(&token.expose()), Ok(token));
        }

        #[test]
        fn parse_never_panics_and_accepts_only_canonical(text in "[A-Za-z0-9_+/=-]{40,46}") {
            if let Ok(token) = SessionToken::parse(&text) {
                prop_assert_eq!(token.expose(), text);
            }
        }

        #[test]
        fn r_2_1_15_alive_iff_within_both_limits(
            idle in SESSION_IDLE_SECONDS_MIN..=7_200u32,
            extra in 0u32..=86_400,
            touch in 0i64..200_000,
            now in 0i64..200_000,
        ) {
            let policy = SessionPolicy::new(idle, idle + extra).expect("valid");
            let times = SessionTimes::new(at(0)).touched(at(touch));
            let alive = now < i64::from(idle + extra) && now < touch + i64::from(idle);
            prop_assert_eq!(times.check(&policy, at(now)).is_ok(), alive);
            prop_assert_eq!(times.check(&policy, at(now)).is_ok(), at(now) < times.expires_at(&policy));
        }
    }
}
