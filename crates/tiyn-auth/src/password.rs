//! Password policy and Argon2id hashing.
//!
//! The policy follows NIST SP 800-63B: a minimum and a maximum length, a list of common and breached
//! passwords, no composition rules ("one digit, one symbol" pushes people to `Password1!`). Lengths
//! are counted in Unicode scalar values, so a Kazakh or Russian passphrase is not penalised for
//! needing two bytes per letter.
//!
//! Hashing is Argon2id with parameters passed explicitly ([`Argon2Params`]); the PHC string stores
//! them, so a hash made with older parameters still verifies and [`PasswordHasher::needs_rehash`] says
//! when to upgrade it at the next successful login. Argon2 hashes the whole password: unlike bcrypt
//! nothing past 72 bytes is ignored.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use argon2::password_hash::{self, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::CryptoRng;

/// The common-password list shipped with the project (see `data/passwords/README.md`: the 10,000 most
/// frequent passwords of the npm package `zxcvbn` 4.4.2, MIT).
const COMMON_PASSWORDS: &str = include_str!("../../../data/passwords/common-passwords.txt");

/// Shortest minimum length the bank may configure: NIST SP 800-63B never allows fewer than 8.
pub const PASSWORD_LENGTH_MIN_CHARS_FLOOR: usize = 8;
/// Longest maximum length the bank may configure. NIST asks to allow at least 64; beyond 1,024
/// characters a "password" is more likely an attack on the hasher's input handling than a passphrase.
pub const PASSWORD_LENGTH_MAX_CHARS_CEILING: usize = 1_024;
/// Largest password, in bytes, that the hasher accepts: 1,024 characters of at most 4 UTF-8 bytes.
/// Bounds the work an unauthenticated request can cause before Argon2 even starts.
pub const PASSWORD_BYTES_MAX: usize = 4 * PASSWORD_LENGTH_MAX_CHARS_CEILING;
/// Shortest context word (login, email local part, name) that a password may not contain. Shorter
/// words ("kz", "ali") occur in good passphrases by chance.
pub const CONTEXT_WORD_CHARS_MIN: usize = 4;
/// Length of the random salt in bytes: 128 bits, as RFC 9106 recommends.
pub const SALT_BYTES: usize = 16;
/// Length of the Argon2 output in bytes: 256 bits.
pub const HASH_OUTPUT_BYTES: usize = 32;
/// Largest memory cost accepted from a stored hash: 1 GiB. A tampered hash with a huge cost must
/// not be able to exhaust the server's memory at verification.
pub const ARGON2_MEMORY_KIB_MAX: u32 = 1024 * 1024;
/// Largest time cost accepted from a stored hash, for the same reason.
pub const ARGON2_ITERATIONS_MAX: u32 = 64;
/// Largest parallelism accepted from a stored hash.
pub const ARGON2_PARALLELISM_MAX: u32 = 16;

/// A set of passwords refused whatever their length, compared case-insensitively.
///
/// Cheap to clone: the set is shared.
#[derive(Clone)]
pub struct Blocklist(Arc<HashSet<Box<str>>>);

static COMMON_BLOCKLIST: LazyLock<Blocklist> = LazyLock::new(|| Blocklist::from_lines(COMMON_PASSWORDS));

impl Blocklist {
    /// The list shipped with the project (10,000 common passwords).
    pub fn common() -> Blocklist {
        COMMON_BLOCKLIST.clone()
    }

    /// A list from text with one password per line; blank lines are skipped. For a bank that loads
    /// its own breached-password list.
    pub fn from_lines(text: &str) -> Blocklist {
        let set: HashSet<Box<str>> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| line.to_lowercase().into())
            .collect();
        Blocklist(Arc::new(set))
    }

    /// An empty list, for tests of the other rules.
    pub fn empty() -> Blocklist {
        Blocklist(Arc::new(HashSet::new()))
    }

    /// Number of distinct (lower-cased) entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `candidate`, lower-cased, is on the list.
    pub fn contains(&self, candidate: &str) -> bool {
        self.0.contains(candidate.to_lowercase().as_str())
    }
}

impl std::fmt::Debug for Blocklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blocklist({} entries)", self.0.len())
    }
}

/// The bank's password policy.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    length_min_chars: usize,
    length_max_chars: usize,
    blocklist: Blocklist,
}

impl Default for PasswordPolicy {
    /// 12 to 128 characters and the shipped common-password list: the defaults of the identity issue.
    fn default() -> Self {
        PasswordPolicy { length_min_chars: 12, length_max_chars: 128, blocklist: Blocklist::common() }
    }
}

/// Why a password was refused. The messages are safe to show to the user choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {min} characters")]
    TooShort { min: usize },
    #[error("the password must have at most {max} characters")]
    TooLong { max: usize },
    #[error("the password is too common")]
    Common,
    #[error("the password must not contain your login or name")]
    ContainsLogin,
}

impl PasswordError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            PasswordError::TooShort { .. } => "password_too_short",
            PasswordError::TooLong { .. } => "password_too_long",
            PasswordError::Common => "password_common",
            PasswordError::ContainsLogin => "password_contains_login",
        }
    }
}

/// A password policy the bank asked for is outside the limits of this module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("the minimum password length must be between {floor} and the maximum length")]
    LengthMin { floor: usize },
    #[error("the maximum password length must be at most {ceiling}")]
    LengthMax { ceiling: usize },
}

impl PasswordPolicyError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            PasswordPolicyError::LengthMin { .. } => "password_policy_length_min",
            PasswordPolicyError::LengthMax { .. } => "password_policy_length_max",
        }
    }
}

impl PasswordPolicy {
    /// Builds a policy, refusing lengths outside [`PASSWORD_LENGTH_MIN_CHARS_FLOOR`] ..=
    /// [`PASSWORD_LENGTH_MAX_CHARS_CEILING`] or a minimum above the maximum.
    pub fn new(
        length_min_chars: usize,
        length_max_chars: usize,
        blocklist: Blocklist,
    ) -> Result<PasswordPolicy, PasswordPolicyError> {
        if length_max_chars > PASSWORD_LENGTH_MAX_CHARS_CEILING {
            return Err(PasswordPolicyError::LengthMax { ceiling: PASSWORD_LENGTH_MAX_CHARS_CEILING });
        }
        if length_min_chars < PASSWORD_LENGTH_MIN_CHARS_FLOOR || length_min_chars > length_max_chars {
            return Err(PasswordPolicyError::LengthMin { floor: PASSWORD_LENGTH_MIN_CHARS_FLOOR });
        }
        Ok(PasswordPolicy { length_min_chars, length_max_chars, blocklist })
    }

    /// Fewest characters a password may have.
    pub fn length_min_chars(&self) -> usize {
        self.length_min_chars
    }

    /// Most characters a password may have.
    pub fn length_max_chars(&self) -> usize {
        self.length_max_chars
    }

    /// Checks a new password. `context_words` are what an attacker knows about the user: login,
    /// email local part, names. Words shorter than [`CONTEXT_WORD_CHARS_MIN`] are ignored; the others
    /// may not appear anywhere in the password, whatever the case.
    pub fn check(&self, candidate: &str, context_words: &[&str]) -> Result<(), PasswordError> {
        let length_chars = candidate.chars().count();
        if length_chars < self.length_min_chars {
            return Err(PasswordError::TooShort { min: self.length_min_chars });
        }
        if length_chars > self.length_max_chars {
            return Err(PasswordError::TooLong { max: self.length_max_chars });
        }
        if self.blocklist.contains(candidate) {
            return Err(PasswordError::Common);
        }
        let lowered = candidate.to_lowercase();
        let contains_context = context_words
            .iter()
            .map(|word| word.trim().to_lowercase())
            .filter(|word| word.chars().count() >= CONTEXT_WORD_CHARS_MIN)
            .any(|word| lowered.contains(&word));
        if contains_context {
            return Err(PasswordError::ContainsLogin);
        }
        Ok(())
    }
}

/// Argon2id cost parameters, always passed explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes over the memory.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl Argon2Params {
    /// OWASP Password Storage Cheat Sheet: Argon2id with 19 MiB, 2 iterations, 1 lane. About 30 ms
    /// per hash on the project's machines.
    pub const OWASP: Argon2Params = Argon2Params { memory_kib: 19_456, iterations: 2, parallelism: 1 };

    /// The cheapest parameters Argon2 accepts. For tests only: they protect nothing.
    pub const TESTS_ONLY: Argon2Params = Argon2Params { memory_kib: 8, iterations: 1, parallelism: 1 };

    fn to_argon2(self) -> Result<Params, HashError> {
        let within_limits = self.memory_kib <= ARGON2_MEMORY_KIB_MAX
            && self.iterations <= ARGON2_ITERATIONS_MAX
            && self.parallelism <= ARGON2_PARALLELISM_MAX;
        if !within_limits {
            return Err(HashError::Params);
        }
        Params::new(self.memory_kib, self.iterations, self.parallelism, Some(HASH_OUTPUT_BYTES))
            .map_err(|_| HashError::Params)
    }
}

/// Hashes and verifies passwords with Argon2id and the parameters it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHasher {
    /// The parameters of new hashes.
    pub params: Argon2Params,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        PasswordHasher { params: Argon2Params::OWASP }
    }
}

/// Hashing failed. Only misconfiguration or an absurd input can cause it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("the Argon2 parameters are invalid or above this crate's limits")]
    Params,
    #[error("the password is longer than {max} bytes")]
    TooLong { max: usize },
    #[error("Argon2 failed")]
    Argon2,
}

impl HashError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            HashError::Params => "password_hash_params",
            HashError::TooLong { .. } => "password_too_long",
            HashError::Argon2 => "password_hash_failed",
        }
    }
}

impl PasswordHasher {
    /// Cheap parameters ([`Argon2Params::TESTS_ONLY`]) so test suites stay fast.
    pub fn for_tests() -> PasswordHasher {
        PasswordHasher { params: Argon2Params::TESTS_ONLY }
    }

    /// Hashes `password` with a fresh [`SALT_BYTES`]-byte salt from `rng`, returning a PHC string.
    /// The whole password is hashed, whatever its length up to [`PASSWORD_BYTES_MAX`].
    pub fn hash(&self, password: &str, rng: &mut impl CryptoRng) -> Result<PasswordHash, HashError> {
        if password.len() > PASSWORD_BYTES_MAX {
            return Err(HashError::TooLong { max: PASSWORD_BYTES_MAX });
        }
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.to_argon2()?);
        let mut salt_bytes = [0u8; SALT_BYTES];
        rng.fill_bytes(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| HashError::Argon2)?;
        let phc = argon2.hash_password(password.as_bytes(), &salt).map_err(|_| HashError::Argon2)?.to_string();
        // Read back what was written: the hash must pass our own parse, or nothing could verify it.
        PasswordHash::parse(&phc).map_err(|_| HashError::Argon2)
    }

    /// Whether `password` matches `hash`, using the parameters stored in the hash. Argon2 compares the
    /// outputs in constant time. A password over [`PASSWORD_BYTES_MAX`] bytes never matches.
    pub fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        if password.len() > PASSWORD_BYTES_MAX {
            return false;
        }
        let Ok(phc) = password_hash::PasswordHash::new(&hash.phc) else {
            return false;
        };
        // `Argon2::default()` only supplies defaults: verification takes algorithm, version and costs
        // from the PHC string, which `PasswordHash::parse` has bounded.
        Argon2::default().verify_password(password.as_bytes(), &phc).is_ok()
    }

    /// Whether `hash` was made with other parameters than this hasher's, so it should be replaced by a
    /// new hash at the next successful login.
    pub fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        hash.params != self.params
    }
}

/// An Argon2id hash in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), as stored.
///
/// Not a secret in itself, but it allows offline guessing, so its `Debug` is redacted too.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    phc: String,
    params: Argon2Params,
}

/// A stored string is not an Argon2id PHC hash this crate can verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordHashError {
    #[error("not a PHC string")]
    Syntax,
    #[error("not an Argon2id hash of version 19")]
    Algorithm,
    #[error("the hash has no salt or no output")]
    Incomplete,
    #[error("the Argon2 parameters are invalid or above this crate's limits")]
    Params,
}

impl PasswordHashError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            PasswordHashError::Syntax => "password_hash_syntax",
            PasswordHashError::Algorithm => "password_hash_algorithm",
            PasswordHashError::Incomplete => "password_hash_incomplete",
            PasswordHashError::Params => "password_hash_params",
        }
    }
}

impl PasswordHash {
    /// Parses a stored PHC string, accepting only Argon2id version 19 with a salt, an output, and
    /// costs within [`ARGON2_MEMORY_KIB_MAX`], [`ARGON2_ITERATIONS_MAX`] and [`ARGON2_PARALLELISM_MAX`].
    pub fn parse(phc: &str) -> Result<PasswordHash, PasswordHashError> {
        let parsed = password_hash::PasswordHash::new(phc).map_err(|_| PasswordHashError::Syntax)?;
        if parsed.algorithm != Algorithm::Argon2id.ident() || parsed.version != Some(Version::V0x13.into()) {
            return Err(PasswordHashError::Algorithm);
        }
        let (Some(salt), Some(output)) = (parsed.salt, parsed.hash) else {
            return Err(PasswordHashError::Incomplete);
        };
        if salt.len() < password_hash::Salt::MIN_LENGTH || output.len() < HASH_OUTPUT_BYTES / 2 {
            return Err(PasswordHashError::Incomplete);
        }
        let params = Params::try_from(&parsed).map_err(|_| PasswordHashError::Params)?;
        let params =
            Argon2Params { memory_kib: params.m_cost(), iterations: params.t_cost(), parallelism: params.p_cost() };
        params.to_argon2().map_err(|_| PasswordHashError::Params)?;
        Ok(PasswordHash { phc: phc.to_owned(), params })
    }

    /// The PHC string, for the store.
    pub fn as_phc_str(&self) -> &str {
        &self.phc
    }

    /// The parameters the hash was made with.
    pub fn params(&self) -> Argon2Params {
        self.params
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHash").field("params", &self.params).field("phc", &"<redacted>").finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn check(candidate: &str, context: &[&str]) -> Result<(), &'static str> {
        PasswordPolicy::default().check(candidate, context).map_err(|error| error.code())
    }

    #[test]
    fn r_8_4_policy_from_data() {
        let cases: &[(&str, &[&str], Result<(), &str>)] = &[
            ("short", &[], Err("password_too_short")),
            ("elevenchars", &[], Err("password_too_short")),
            ("twelve chars", &[], Ok(())),
            ("correct horse battery staple", &[], Ok(())),
            // No composition rules: only lower-case letters is fine when long and uncommon.
            ("lowercaseonlybutlong", &[], Ok(())),
            // Counted in characters, not bytes: 12 Cyrillic letters are 24 bytes and enough.
            ("жылқыжылқыжы", &[], Ok(())),
            ("жылқыжылқы", &[], Err("password_too_short")),
            ("1q2w3e4r5t6y", &[], Err("password_common")),
            ("1Q2W3E4R5T6Y", &[], Err("password_common")),
            ("my aidar.n@mail.kz pass", &["aidar.n@mail.kz"], Err("password_contains_login")),
            ("ilove AIDAR forever", &["aidar"], Err("password_contains_login")),
            ("a kz ali long enough", &["kz", "ali"], Ok(())),
        ];
        for (candidate, context, expected) in cases {
            assert_eq!(check(candidate, context), *expected, "{candidate:?}");
        }
        assert_eq!(check(&"x".repeat(128), &[]), Ok(()));
        assert_eq!(check(&"x".repeat(129), &[]), Err("password_too_long"));
    }

    #[test]
    fn r_8_4_shipped_list_is_loaded() {
        let list = Blocklist::common();
        assert!(list.len() > 9_900, "{} entries", list.len());
        assert!(list.contains("password") && list.contains("PASSWORD") && list.contains("123456"));
        assert!(!list.contains("correct horse battery staple"));
    }

    #[test]
    fn r_8_4_policy_limits() {
        let code = |min, max| PasswordPolicy::new(min, max, Blocklist::empty()).map(|_| ()).map_err(|e| e.code());
        assert_eq!(code(7, 128), Err("password_policy_length_min"));
        assert_eq!(code(20, 19), Err("password_policy_length_min"));
        assert_eq!(code(12, 1_025), Err("password_policy_length_max"));
        assert_eq!(code(8, 1_024), Ok(()));
    }

    #[test]
    fn r_8_4_hash_and_verify() {
        let hasher = PasswordHasher::for_tests();
        let mut rng = StdRng::seed_from_u64(3);
        let hash = hasher.hash("correct horse battery staple", &mut rng).expect("hashes");
        assert!(hash.as_phc_str().starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{}", hash.as_phc_str());
        assert!(hasher.verify("correct horse battery staple", &hash));
        assert!(!hasher.verify("correct horse battery stapl", &hash));
        assert!(!hasher.verify("", &hash));
        // A fresh salt per hash: the same password hashes differently.
        let again = hasher.hash("correct horse battery staple", &mut rng).expect("hashes");
        assert_ne!(hash, again);
        let reparsed = PasswordHash::parse(hash.as_phc_str()).expect("parses");
        assert!(hasher.verify("correct horse battery staple", &reparsed));
    }

    #[test]
    fn r_8_4_long_passwords_are_not_truncated_at_72_bytes() {
        let hasher = PasswordHasher::for_tests();
        let mut rng = StdRng::seed_from_u64(4);
        let first = format!("{}a", "p".repeat(99));
        let second = format!("{}b", "p".repeat(99));
        assert_eq!(first.chars().count(), 100);
        assert_eq!(PasswordPolicy::default().check(&first, &[]), Ok(()));
        let hash = hasher.hash(&first, &mut rng).expect("hashes");
        assert!(hasher.verify(&first, &hash));
        assert!(!hasher.verify(&second, &hash));
    }

    #[test]
    fn production_parameters_are_owasp() {
        let hasher = PasswordHasher::default();
        assert_eq!(hasher.params, Argon2Params { memory_kib: 19_456, iterations: 2, parallelism: 1 });
        let cheap = PasswordHasher::for_tests().hash("whatever long enough", &mut StdRng::seed_from_u64(5));
        let cheap = cheap.expect("hashes");
        assert!(hasher.needs_rehash(&cheap));
        assert!(!PasswordHasher::for_tests().needs_rehash(&cheap));
        // A hash made with other parameters still verifies: they are read from the PHC string.
        assert!(hasher.verify("whatever long enough", &cheap));
    }

    #[test]
    fn hasher_refuses_absurd_inputs_and_parameters() {
        let mut rng = StdRng::seed_from_u64(6);
        let huge = "x".repeat(PASSWORD_BYTES_MAX + 1);
        let hasher = PasswordHasher::for_tests();
        assert_eq!(hasher.hash(&huge, &mut rng), Err(HashError::TooLong { max: PASSWORD_BYTES_MAX }));
        let greedy =
            PasswordHasher { params: Argon2Params { memory_kib: ARGON2_MEMORY_KIB_MAX + 1, ..Argon2Params::OWASP } };
        assert_eq!(greedy.hash("long enough password", &mut rng).map_err(|e| e.code()), Err("password_hash_params"));
        let invalid = PasswordHasher { params: Argon2Params { memory_kib: 1, iterations: 1, parallelism: 1 } };
        assert_eq!(invalid.hash("long enough password", &mut rng), Err(HashError::Params));
    }

    #[test]
    fn phc_parse_accepts_only_bounded_argon2id() {
        let code = |phc: &str| PasswordHash::parse(phc).map(|_| ()).map_err(|e| e.code());
        let salt = "c2FsdHNhbHRzYWx0c2FsdA";
        let out = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(code(&format!("$argon2id$v=19$m=8,t=1,p=1${salt}${out}")), Ok(()));
        assert_eq!(code(&format!("$argon2i$v=19$m=8,t=1,p=1${salt}${out}")), Err("password_hash_algorithm"));
        assert_eq!(code(&format!("$argon2d$v=19$m=8,t=1,p=1${salt}${out}")), Err("password_hash_algorithm"));
        assert_eq!(code(&format!("$argon2id$v=16$m=8,t=1,p=1${salt}${out}")), Err("password_hash_algorithm"));
        assert_eq!(code("$argon2id$v=19$m=8,t=1,p=1"), Err("password_hash_incomplete"));
        assert_eq!(code(&format!("$argon2id$v=19$m=4194304,t=1,p=1${salt}${out}")), Err("password_hash_params"));
        assert_eq!(code("$2b$12$abcdefghijklmnopqrstuu"), Err("password_hash_syntax"));
        assert_eq!(code("plain text"), Err("password_hash_syntax"));
    }

    proptest! {
        #[test]
        fn r_8_4_length_rule_counts_characters(candidate in "\\PC{0,140}") {
            let policy = PasswordPolicy::new(12, 128, Blocklist::empty()).expect("valid");
            let chars = candidate.chars().count();
            let outcome = policy.check(&candidate, &[]);
            prop_assert_eq!(outcome.is_ok(), (12..=128).contains(&chars));
        }

        #[test]
        fn r_8_4_blocklist_is_case_insensitive(index in 0usize..10_000, upper in any::<bool>()) {
            let entry = COMMON_PASSWORDS.lines().nth(index).expect("10,000 lines");
            let candidate = if upper { entry.to_uppercase() } else { entry.to_owned() };
            prop_assert!(Blocklist::common().contains(&candidate));
        }

        #[test]
        fn phc_parse_never_panics(text in "\\PC{0,120}") {
            let _ = PasswordHash::parse(&text);
        }
    }
}
