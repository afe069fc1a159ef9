//! One-time confirmation codes sent by SMS.
//!
//! A code is random (digits drawn from the caller's CSPRNG without modulo bias), short-lived, bound
//! to the purpose it was issued for, limited in tries, and single-use. The store keeps only a
//! [`CodeRecord`]: an HMAC-SHA256 of the purpose and the code under a server-side [`CodeKey`], never
//! the code itself, so a leaked database does not reveal live codes, and a 6-digit code
//! cannot be brute-forced offline without the key.
//!
//! [`CodeRecord::verify`] is a pure transition: it returns the new state of the record together with
//! the outcome. The store must write that new state back in the same atomic update that read the old
//! one (one row update per attempt), otherwise parallel attempts could all see the same
//! `attempts_left` and exceed [`CodePolicy::attempts_max`].

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use rand::CryptoRng;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::add_seconds;

/// Fewest digits a code may have: asks for at least 6.
pub const CODE_DIGITS_MIN: u8 = 6;
/// Most digits a code may have: 10^10 still fits a `u64` draw with a negligible rejection rate, and
/// longer codes are mistyped more often than they add security with 3 tries.
pub const CODE_DIGITS_MAX: u8 = 10;
/// Longest lifetime the bank may configure: one hour. A code is a second factor for a live session;
/// a longer window only helps whoever intercepts it.
pub const CODE_LIFETIME_SECONDS_MAX: u32 = 3_600;
/// Shortest lifetime: an SMS can take tens of seconds to arrive, and the user must still type it.
pub const CODE_LIFETIME_SECONDS_MIN: u32 = 30;
/// Most tries per code the bank may configure. With 6 digits, 10 tries give an attacker a 1 in
/// 100,000 chance per code; more would make guessing practical.
pub const CODE_ATTEMPTS_MAX_CEILING: u8 = 10;
/// Length of a [`CodeKey`] in bytes: the output size of SHA-256, as RFC 2104 recommends for HMAC.
pub const CODE_KEY_BYTES: usize = 32;
/// Draws from the RNG before [`issue`] declares the RNG broken. One draw is rejected with
/// probability below 10^10 / 2^64 (about 5e-10), so 64 rejections in a row mean a broken RNG.
const CODE_DRAWS_MAX: u32 = 64;
/// Domain separation of the code MAC, so the same key can never produce a MAC valid elsewhere.
const CODE_MAC_DOMAIN: &[u8] = b"tiyn/code/v1";

/// What a code was issued for. A code issued for one purpose never confirms another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodePurpose {
    /// The second factor of a login.
    Login,
    /// The first access of a new user.
    Activation,
    /// Choosing a new password without the old one.
    PasswordRecovery,
    /// The second factor of a login comes from the user's marker. The stored record
    /// binds the challenge to its user, lifetime and attempts; its code is a ticket only the server
    /// can derive ([`marker_ticket`]), never sent anywhere.
    MarkerLogin,
    /// Confirming a batch of documents. `digest` is the SHA-256 of the exact content of the batch, so a
    /// code sent for one set of documents cannot confirm a different or altered set.
    Confirmation {
        /// SHA-256 of the canonical content of the documents being confirmed.
        digest: [u8; 32],
    },
}

impl CodePurpose {
    /// Rebuilds a purpose from its stored kind and digest; `None` when they do not fit together.
    pub fn from_parts(kind: &str, digest: Option<[u8; 32]>) -> Option<CodePurpose> {
        match (kind, digest) {
            ("login", None) => Some(CodePurpose::Login),
            ("activation", None) => Some(CodePurpose::Activation),
            ("password_recovery", None) => Some(CodePurpose::PasswordRecovery),
            ("marker_login", None) => Some(CodePurpose::MarkerLogin),
            ("confirmation", Some(digest)) => Some(CodePurpose::Confirmation { digest }),
            _ => None,
        }
    }

    /// The batch digest of a confirmation code.
    pub fn digest(&self) -> Option<[u8; 32]> {
        match self {
            CodePurpose::Confirmation { digest } => Some(*digest),
            CodePurpose::Login | CodePurpose::Activation | CodePurpose::PasswordRecovery | CodePurpose::MarkerLogin => {
                None
            }
        }
    }

    /// A stable snake_case name, for the store's purpose column and for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            CodePurpose::Login => "login",
            CodePurpose::Activation => "activation",
            CodePurpose::PasswordRecovery => "password_recovery",
            CodePurpose::MarkerLogin => "marker_login",
            CodePurpose::Confirmation { .. } => "confirmation",
        }
    }

    /// Feeds an unambiguous encoding of the purpose to the MAC: a tag byte, then the fixed-length
    /// digest where there is one. Fixed lengths make the encoding prefix-free.
    fn feed(&self, mac: &mut Hmac<Sha256>) {
        match self {
            CodePurpose::Login => mac.update(&[1]),
            CodePurpose::Activation => mac.update(&[2]),
            CodePurpose::PasswordRecovery => mac.update(&[3]),
            CodePurpose::MarkerLogin => mac.update(&[5]),
            CodePurpose::Confirmation { digest } => {
                mac.update(&[4]);
                mac.update(digest);
            }
        }
    }
}

/// The bank's settings for codes (R-8.6: the lifetime is set by the bank and shown to the user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodePolicy {
    digits: u8,
    lifetime_seconds: u32,
    attempts_max: u8,
}

impl Default for CodePolicy {
    /// 6 digits, 5 minutes, 3 tries: the defaults of the identity issue.
    fn default() -> Self {
        CodePolicy { digits: 6, lifetime_seconds: 300, attempts_max: 3 }
    }
}

impl CodePolicy {
    /// Builds a policy, refusing settings outside the named limits of this module.
    pub fn new(digits: u8, lifetime_seconds: u32, attempts_max: u8) -> Result<CodePolicy, CodePolicyError> {
        if !(CODE_DIGITS_MIN..=CODE_DIGITS_MAX).contains(&digits) {
            return Err(CodePolicyError::Digits { min: CODE_DIGITS_MIN, max: CODE_DIGITS_MAX });
        }
        if !(CODE_LIFETIME_SECONDS_MIN..=CODE_LIFETIME_SECONDS_MAX).contains(&lifetime_seconds) {
            return Err(CodePolicyError::Lifetime { min: CODE_LIFETIME_SECONDS_MIN, max: CODE_LIFETIME_SECONDS_MAX });
        }
        if !(1..=CODE_ATTEMPTS_MAX_CEILING).contains(&attempts_max) {
            return Err(CodePolicyError::Attempts { max: CODE_ATTEMPTS_MAX_CEILING });
        }
        Ok(CodePolicy { digits, lifetime_seconds, attempts_max })
    }

    /// Number of digits of each code.
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// How long a code stays valid after it is issued; shown to the user with the code.
    pub fn lifetime_seconds(&self) -> u32 {
        self.lifetime_seconds
    }

    /// How many tries a single code allows.
    pub fn attempts_max(&self) -> u8 {
        self.attempts_max
    }
}

/// A code policy the bank asked for is outside the limits of this module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodePolicyError {
    #[error("a code must have between {min} and {max} digits")]
    Digits { min: u8, max: u8 },
    #[error("a code lifetime must be between {min} and {max} seconds")]
    Lifetime { min: u32, max: u32 },
    #[error("a code must allow between 1 and {max} attempts")]
    Attempts { max: u8 },
}

impl CodePolicyError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            CodePolicyError::Digits { .. } => "code_policy_digits",
            CodePolicyError::Lifetime { .. } => "code_policy_lifetime",
            CodePolicyError::Attempts { .. } => "code_policy_attempts",
        }
    }
}

/// The server-side secret under which codes are MACed. Loaded from settings, never logged.
#[derive(Clone)]
pub struct CodeKey([u8; CODE_KEY_BYTES]);

impl CodeKey {
    /// Wraps key bytes taken from the server's secret settings.
    pub fn from_bytes(bytes: [u8; CODE_KEY_BYTES]) -> CodeKey {
        CodeKey(bytes)
    }

    /// Draws a fresh key, for a new installation or for tests.
    pub fn generate(rng: &mut impl CryptoRng) -> CodeKey {
        let mut bytes = [0u8; CODE_KEY_BYTES];
        rng.fill_bytes(&mut bytes);
        CodeKey(bytes)
    }

    fn mac(&self, purpose: &CodePurpose, code: &[u8]) -> [u8; 32] {
        // HMAC takes keys of any length, so this cannot fail; `expect` documents that.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(CODE_MAC_DOMAIN);
        purpose.feed(&mut mac);
        mac.update(code);
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeKey(<redacted>)")
    }
}

/// A code in clear, to be sent to the user once and then dropped. Its `Debug` hides the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainCode(String);

impl PlainCode {
    /// The digits, for the SMS text only. Never log them.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlainCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PlainCode(<{} digits redacted>)", self.0.len())
    }
}

/// What the store keeps about an issued code: a keyed hash, never the code.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeRecord {
    mac: [u8; 32],
    purpose: CodePurpose,
    digits: u8,
    expires_at: Timestamp,
    attempts_left: u8,
    used: bool,
}

impl std::fmt::Debug for CodeRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The MAC is not the code, but it would allow an offline search if the key also leaked.
        f.debug_struct("CodeRecord")
            .field("mac", &"<redacted>")
            .field("purpose", &self.purpose)
            .field("digits", &self.digits)
            .field("expires_at", &self.expires_at)
            .field("attempts_left", &self.attempts_left)
            .field("used", &self.used)
            .finish()
    }
}

/// Why a code was refused. Each variant is a decision the caller can act on; the HTTP layer must
/// still answer the user without revealing which factor was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("the code has expired")]
    Expired,
    #[error("the code was issued for another purpose")]
    WrongPurpose,
    #[error("the code is wrong; {attempts_left} attempts left")]
    Mismatch { attempts_left: u8 },
    #[error("no attempts are left for this code")]
    AttemptsExhausted,
    #[error("the code has already been used")]
    AlreadyUsed,
}

impl CodeError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            CodeError::Expired => "code_expired",
            CodeError::WrongPurpose => "code_wrong_purpose",
            CodeError::Mismatch { .. } => "code_mismatch",
            CodeError::AttemptsExhausted => "code_attempts_exhausted",
            CodeError::AlreadyUsed => "code_already_used",
        }
    }
}

/// Issues a new code for `purpose` at `now`.
///
/// Returns the code in clear, to send once, and the record to store. The record's `expires_at` is
/// `now + lifetime_seconds`, to be shown to the user with the code.
///
/// # Panics
/// If `rng` returns out-of-range values [`CODE_DRAWS_MAX`] times in a row, which only a broken RNG does.
pub fn issue(
    policy: &CodePolicy,
    purpose: CodePurpose,
    now: Timestamp,
    rng: &mut impl CryptoRng,
    key: &CodeKey,
) -> (PlainCode, CodeRecord) {
    let digits = policy.digits;
    assert!((CODE_DIGITS_MIN..=CODE_DIGITS_MAX).contains(&digits), "CodePolicy::new checks the digits");
    let value = uniform_below(rng, 10u64.pow(u32::from(digits)));
    let code = format!("{value:0width$}", width = usize::from(digits));
    assert_eq!(code.len(), usize::from(digits));

    let record = CodeRecord {
        mac: key.mac(&purpose, code.as_bytes()),
        purpose,
        digits,
        expires_at: add_seconds(now, i64::from(policy.lifetime_seconds)),
        attempts_left: policy.attempts_max,
        used: false,
    };
    (PlainCode(code), record)
}

/// The ticket of a marker challenge: derived from the challenge id under the code key, so only the
/// server can produce it, and it is never sent. Consuming the challenge's record with it (after the
/// marker code was verified) makes a marker login single-use like an SMS login.
pub fn marker_ticket(key: &CodeKey, challenge: &ChallengeId, digits: u8) -> PlainCode {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC accepts keys of any length");
    mac.update(b"tiyn/marker-ticket/v1");
    mac.update(challenge.as_str().as_bytes());
    let bytes: [u8; 32] = mac.finalize().into_bytes().into();
    let value = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")) % 10u64.pow(u32::from(digits));
    PlainCode(format!("{value:0width$}", width = usize::from(digits)))
}

/// The stored record of a marker challenge (see [`CodePurpose::MarkerLogin`]).
pub fn marker_challenge(policy: &CodePolicy, challenge: &ChallengeId, now: Timestamp, key: &CodeKey) -> CodeRecord {
    marker_challenge_for(policy, challenge, CodePurpose::MarkerLogin, now, key)
}

/// The stored record of a challenge the user answers with their marker, for `purpose`: nothing is
/// sent; once the marker's code is accepted, the server consumes the record with
/// [`marker_ticket`]. With [`CodePurpose::Confirmation`] the record is bound to the batch digest
/// (dynamic linking on the server's side: the marker's code proves the user, the record the
/// content).
pub fn marker_challenge_for(
    policy: &CodePolicy,
    challenge: &ChallengeId,
    purpose: CodePurpose,
    now: Timestamp,
    key: &CodeKey,
) -> CodeRecord {
    let ticket = marker_ticket(key, challenge, policy.digits);
    CodeRecord {
        mac: key.mac(&purpose, ticket.0.as_bytes()),
        purpose,
        digits: policy.digits,
        expires_at: add_seconds(now, i64::from(policy.lifetime_seconds)),
        attempts_left: policy.attempts_max,
        used: false,
    }
}

/// A uniformly random integer in `0..bound` by rejection sampling: draws in the incomplete last
/// block of `bound` values are thrown away, so every result has exactly the same probability.
fn uniform_below(rng: &mut impl CryptoRng, bound: u64) -> u64 {
    assert!(bound > 0);
    let limit = u64::MAX - (u64::MAX % bound); // a multiple of `bound`: `0..limit` is unbiased.
    for _ in 0..CODE_DRAWS_MAX {
        let draw = rng.next_u64();
        if draw < limit {
            return draw % bound;
        }
    }
    panic!("the CSPRNG returned {CODE_DRAWS_MAX} out-of-range values in a row: it is broken");
}

impl CodeRecord {
    /// Rebuilds a record read back from the store.
    pub fn from_parts(
        mac: [u8; 32],
        purpose: CodePurpose,
        digits: u8,
        expires_at: Timestamp,
        attempts_left: u8,
        used: bool,
    ) -> CodeRecord {
        CodeRecord { mac, purpose, digits, expires_at, attempts_left, used }
    }

    /// The keyed hash of the purpose and code, for the store.
    pub fn mac(&self) -> [u8; 32] {
        self.mac
    }

    /// The purpose the code was issued for.
    pub fn purpose(&self) -> CodePurpose {
        self.purpose
    }

    /// Number of digits of the code.
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// The first instant at which the code no longer verifies.
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }

    /// Tries left before the code is dead.
    pub fn attempts_left(&self) -> u8 {
        self.attempts_left
    }

    /// Whether the code has already been accepted once.
    pub fn used(&self) -> bool {
        self.used
    }

    /// Checks `candidate` for `purpose` at `now`, returning the new state of the record and the outcome.
    ///
    /// The checks, in order: a used code is refused ([`CodeError::AlreadyUsed`]), then an expired one
    /// ([`CodeError::Expired`]), then one with no tries left ([`CodeError::AttemptsExhausted`]); none
    /// of these change the record. Every other call consumes one try, including a wrong purpose
    /// ([`CodeError::WrongPurpose`]) and a malformed candidate (reported as a mismatch), so neither can
    /// be used to probe for free. The MAC comparison is constant-time. A correct code marks the record
    /// used, so it never verifies again.
    pub fn verify(
        self,
        candidate: &str,
        purpose: &CodePurpose,
        now: Timestamp,
        key: &CodeKey,
    ) -> (CodeRecord, Result<(), CodeError>) {
        if self.used {
            return (self, Err(CodeError::AlreadyUsed));
        }
        if now >= self.expires_at {
            return (self, Err(CodeError::Expired));
        }
        if self.attempts_left == 0 {
            return (self, Err(CodeError::AttemptsExhausted));
        }
        let attempts_left = self.attempts_left - 1;
        let spent = CodeRecord { attempts_left, ..self };
        assert!(spent.attempts_left < self.attempts_left, "every counted try consumes an attempt");

        if *purpose != self.purpose {
            return (spent, Err(CodeError::WrongPurpose));
        }
        let well_formed =
            candidate.len() == usize::from(self.digits) && candidate.bytes().all(|byte| byte.is_ascii_digit());
        if !well_formed {
            return (spent, Err(CodeError::Mismatch { attempts_left }));
        }
        let expected = key.mac(purpose, candidate.as_bytes());
        if bool::from(expected[..].ct_eq(&self.mac[..])) {
            let accepted = CodeRecord { used: true, ..spent };
            (accepted, Ok(()))
        } else {
            (spent, Err(CodeError::Mismatch { attempts_left }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn t0() -> Timestamp {
        Timestamp::from_second(1_750_000_000).expect("a valid instant")
    }

    fn key() -> CodeKey {
        CodeKey::from_bytes([7; CODE_KEY_BYTES])
    }

    fn issued(purpose: CodePurpose) -> (PlainCode, CodeRecord) {
        issue(&CodePolicy::default(), purpose, t0(), &mut StdRng::seed_from_u64(1), &key())
    }

    fn wrong(code: &PlainCode) -> String {
        let first = code.expose().as_bytes()[0];
        let other = if first == b'9' { '0' } else { char::from(first + 1) };
        format!("{other}{}", &code.expose()[1..])
    }

    #[test]
    fn r_2_1_6_correct_code_verifies_once() {
        let (code, record) = issued(CodePurpose::Login);
        let (record, outcome) = record.verify(code.expose(), &CodePurpose::Login, t0(), &key());
        assert_eq!(outcome, Ok(()));
        assert!(record.used());
        let (_, again) = record.verify(code.expose(), &CodePurpose::Login, t0(), &key());
        assert_eq!(again, Err(CodeError::AlreadyUsed));
    }

    #[test]
    fn r_8_6_expires_after_lifetime() {
        let (code, record) = issued(CodePurpose::Login);
        assert_eq!(record.expires_at(), add_seconds(t0(), 300));
        let just_before = add_seconds(t0(), 299);
        let (_, outcome) = record.clone().verify(code.expose(), &CodePurpose::Login, just_before, &key());
        assert_eq!(outcome, Ok(()));
        let (after, outcome) = record.verify(code.expose(), &CodePurpose::Login, add_seconds(t0(), 300), &key());
        assert_eq!(outcome, Err(CodeError::Expired));
        assert_eq!(after.attempts_left(), 3, "an expired code does not count a try");
    }

    #[test]
    fn r_2_1_6_wrong_purpose_refused_and_consumes_attempt() {
        let (code, record) = issued(CodePurpose::Login);
        let (record, outcome) = record.verify(code.expose(), &CodePurpose::PasswordRecovery, t0(), &key());
        assert_eq!(outcome, Err(CodeError::WrongPurpose));
        assert_eq!(record.attempts_left(), 2);
    }

    #[test]
    fn r_2_1_6_confirmation_bound_to_document_digest() {
        let (code, record) = issued(CodePurpose::Confirmation { digest: [1; 32] });
        let other = CodePurpose::Confirmation { digest: [2; 32] };
        let (record, outcome) = record.verify(code.expose(), &other, t0(), &key());
        assert_eq!(outcome, Err(CodeError::WrongPurpose));
        let (_, outcome) = record.verify(code.expose(), &CodePurpose::Confirmation { digest: [1; 32] }, t0(), &key());
        assert_eq!(outcome, Ok(()));
    }

    #[test]
    fn r_6_1_4_three_tries_then_exhausted_even_for_the_right_code() {
        let (code, record) = issued(CodePurpose::Activation);
        let bad = wrong(&code);
        let (record, first) = record.verify(&bad, &CodePurpose::Activation, t0(), &key());
        assert_eq!(first, Err(CodeError::Mismatch { attempts_left: 2 }));
        let (record, second) = record.verify("12ab56", &CodePurpose::Activation, t0(), &key());
        assert_eq!(second, Err(CodeError::Mismatch { attempts_left: 1 }), "a malformed code costs a try");
        let (record, third) = record.verify("1234567", &CodePurpose::Activation, t0(), &key());
        assert_eq!(third, Err(CodeError::Mismatch { attempts_left: 0 }));
        let (record, fourth) = record.verify(code.expose(), &CodePurpose::Activation, t0(), &key());
        assert_eq!(fourth, Err(CodeError::AttemptsExhausted));
        assert!(!record.used());
    }

    #[test]
    fn r_5_8_record_keeps_no_code_and_depends_on_key() {
        let (code, record) = issued(CodePurpose::Login);
        let other_key = CodeKey::from_bytes([8; CODE_KEY_BYTES]);
        let (_, outcome) = record.verify(code.expose(), &CodePurpose::Login, t0(), &other_key);
        assert_eq!(outcome, Err(CodeError::Mismatch { attempts_left: 2 }));
    }

    #[test]
    fn r_2_1_6_record_round_trips_through_parts() {
        let (code, record) = issued(CodePurpose::Login);
        let rebuilt = CodeRecord::from_parts(
            record.mac(),
            record.purpose(),
            record.digits(),
            record.expires_at(),
            record.attempts_left(),
            record.used(),
        );
        assert_eq!(rebuilt, record);
        assert_eq!(rebuilt.verify(code.expose(), &CodePurpose::Login, t0(), &key()).1, Ok(()));
    }

    #[test]
    fn policy_limits_are_enforced() {
        assert_eq!(CodePolicy::new(5, 300, 3).map_err(|e| e.code()), Err("code_policy_digits"));
        assert_eq!(CodePolicy::new(11, 300, 3).map_err(|e| e.code()), Err("code_policy_digits"));
        assert_eq!(CodePolicy::new(6, 29, 3).map_err(|e| e.code()), Err("code_policy_lifetime"));
        assert_eq!(CodePolicy::new(6, 3_601, 3).map_err(|e| e.code()), Err("code_policy_lifetime"));
        assert_eq!(CodePolicy::new(6, 300, 0).map_err(|e| e.code()), Err("code_policy_attempts"));
        assert_eq!(CodePolicy::new(6, 300, 3), Ok(CodePolicy::default()));
    }

    #[test]
    fn r_2_1_6_digits_are_roughly_uniform() {
        // 60,000 digits: each of the 10 values should appear about 6,000 times. A modulo bias on a
        // byte (256 % 10 = 6) would push 0..=5 up by about 2.3%; the bound below is 5 sigma wide.
        let mut rng = StdRng::seed_from_u64(42);
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            let (code, _) = issue(&CodePolicy::default(), CodePurpose::Login, t0(), &mut rng, &key());
            for byte in code.expose().bytes() {
                counts[usize::from(byte - b'0')] += 1;
            }
        }
        for count in counts {
            assert!((5_620..=6_380).contains(&count), "digit counts {counts:?}");
        }
    }

    /// An RNG that first returns values in the rejected zone, to prove they are thrown away.
    struct Scripted(Vec<u64>);
    impl rand::RngCore for Scripted {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0.remove(0)
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            rand::rand_core::impls::fill_bytes_via_next(self, dst)
        }
    }
    impl rand::CryptoRng for Scripted {}

    #[test]
    fn r_2_1_6_rejection_sampling_discards_the_biased_tail() {
        let mut rng = Scripted(vec![u64::MAX, u64::MAX - 1, 123_456]);
        assert_eq!(uniform_below(&mut rng, 1_000_000), 123_456);
    }

    #[test]
    #[should_panic(expected = "broken")]
    fn a_stuck_rng_is_detected() {
        let mut rng = Scripted(vec![u64::MAX; 64]);
        uniform_below(&mut rng, 1_000_000);
    }

    proptest! {
        #[test]
        fn r_2_1_6_issued_code_has_policy_digits_and_only_it_verifies(
            seed in any::<u64>(),
            digits in CODE_DIGITS_MIN..=CODE_DIGITS_MAX,
            candidate in "[0-9]{6,10}",
        ) {
            let policy = CodePolicy::new(digits, 300, 3).expect("valid policy");
            let mut rng = StdRng::seed_from_u64(seed);
            let (code, record) = issue(&policy, CodePurpose::Login, t0(), &mut rng, &key());
            prop_assert_eq!(code.expose().len(), usize::from(digits));
            prop_assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
            let (_, outcome) = record.clone().verify(&candidate, &CodePurpose::Login, t0(), &key());
            prop_assert_eq!(outcome.is_ok(), candidate == code.expose());
            let (_, outcome) = record.verify(code.expose(), &CodePurpose::Login, t0(), &key());
            prop_assert_eq!(outcome, Ok(()));
        }

        #[test]
        fn r_6_1_4_no_sequence_of_tries_exceeds_attempts_max(
            tries in proptest::collection::vec("[0-9a-z]{0,8}", 0..20),
            attempts_max in 1u8..=CODE_ATTEMPTS_MAX_CEILING,
        ) {
            let policy = CodePolicy::new(6, 300, attempts_max).expect("valid policy");
            let (code, mut record) = issue(&policy, CodePurpose::Login, t0(), &mut StdRng::seed_from_u64(9), &key());
            let mut counted = 0u32;
            for candidate in &tries {
                let before = record.attempts_left();
                let (next, _) = record.verify(candidate, &CodePurpose::Login, t0(), &key());
                if next.attempts_left() < before { counted += 1; }
                prop_assert!(next.attempts_left() <= before);
                record = next;
                if record.used() { break; }
            }
            prop_assert!(counted <= u32::from(attempts_max));
            if !record.used() && record.attempts_left() == 0 {
                let (_, outcome) = record.verify(code.expose(), &CodePurpose::Login, t0(), &key());
                prop_assert_eq!(outcome, Err(CodeError::AttemptsExhausted));
            }
        }
    }
}

/// The bits of randomness in a challenge id: unguessable, so that nobody can spend the attempts of
/// another user's code by naming its challenge.
const CHALLENGE_ID_BYTES: usize = 16;

/// Names one issued code: the client gets it with the code's delivery and sends it back with the
/// code. 128 random bits, base32 (26 characters, lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChallengeId(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a challenge id is 26 characters of a-z and 2-7")]
pub struct ChallengeIdError;

impl ChallengeIdError {
    pub fn code(&self) -> &'static str {
        "invalid_challenge_id"
    }
}

impl ChallengeId {
    pub fn generate(rng: &mut impl CryptoRng) -> ChallengeId {
        let mut bytes = [0u8; CHALLENGE_ID_BYTES];
        rng.fill_bytes(&mut bytes);
        ChallengeId(data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase())
    }

    pub fn parse(text: &str) -> Result<ChallengeId, ChallengeIdError> {
        let decoded =
            data_encoding::BASE32_NOPAD.decode(text.to_uppercase().as_bytes()).map_err(|_| ChallengeIdError)?;
        if decoded.len() != CHALLENGE_ID_BYTES || text.to_lowercase() != text {
            return Err(ChallengeIdError);
        }
        Ok(ChallengeId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod challenge_tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn challenge_ids_round_trip_and_refuse_other_text() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let id = ChallengeId::generate(&mut rng);
        assert_eq!(id.as_str().len(), 26);
        assert_eq!(ChallengeId::parse(id.as_str()), Ok(id.clone()));
        assert_ne!(ChallengeId::generate(&mut rng), id);
        assert_eq!(ChallengeId::parse("1"), Err(ChallengeIdError));
        assert_eq!(ChallengeId::parse(&id.as_str().to_uppercase()), Err(ChallengeIdError));
    }

    /// a marker challenge is consumed only with the server's ticket of that challenge, and
    /// only for the marker-login purpose.
    #[test]
    fn marker_challenges_open_only_with_their_ticket() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let key = CodeKey::generate(&mut rng);
        let policy = CodePolicy::default();
        let now = Timestamp::from_second(1_750_000_000).expect("instant");
        let challenge = ChallengeId::generate(&mut rng);
        let other = ChallengeId::generate(&mut rng);
        let ticket = marker_ticket(&key, &challenge, policy.digits());
        assert_ne!(ticket.expose(), marker_ticket(&key, &other, policy.digits()).expose());
        let record = marker_challenge(&policy, &challenge, now, &key);
        let (_, wrong_purpose) = record.clone().verify(ticket.expose(), &CodePurpose::Login, now, &key);
        assert_eq!(wrong_purpose, Err(CodeError::WrongPurpose));
        let foreign = marker_ticket(&key, &other, policy.digits());
        let (_, foreign) = record.clone().verify(foreign.expose(), &CodePurpose::MarkerLogin, now, &key);
        assert!(matches!(foreign, Err(CodeError::Mismatch { .. })));
        let (used, accepted) = record.verify(ticket.expose(), &CodePurpose::MarkerLogin, now, &key);
        assert_eq!(accepted, Ok(()));
        assert!(used.used());
    }

    #[test]
    fn purposes_round_trip_through_their_parts() {
        for purpose in [
            CodePurpose::Login,
            CodePurpose::Activation,
            CodePurpose::PasswordRecovery,
            CodePurpose::MarkerLogin,
            CodePurpose::Confirmation { digest: [9; 32] },
        ] {
            assert_eq!(CodePurpose::from_parts(purpose.kind(), purpose.digest()), Some(purpose));
        }
        assert_eq!(CodePurpose::from_parts("confirmation", None), None);
        assert_eq!(CodePurpose::from_parts("login", Some([0; 32])), None);
    }
}
