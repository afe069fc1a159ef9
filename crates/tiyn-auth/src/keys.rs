//! The server's secret keys, all derived from one master key.
//!
//! An installation keeps one 256-bit [`MasterKey`] outside the database (a file or the environment,
//! chosen by the server's settings). Every purpose gets its own key, derived by HMAC-SHA256 under a
//! distinct label, so a key leaked or misused for one purpose says nothing about another:
//! - [`CodeKey`]: the keyed hash of one-time codes;
//! - [`AuditKey`]: the chain of the audit trail, so that a record altered in the database,
//!   even by someone who can recompute SHA-256, breaks the chain;
//! - [`SealKey`]: encryption at rest of marker secrets, which the server must be able to read
//!   back (unlike passwords and codes, a TOTP secret cannot be stored as a hash).

use chacha20poly1305::aead::{Aead, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::BASE64;
use hmac::{Hmac, Mac};
use rand::CryptoRng;
use sha2::Sha256;

use crate::code::{CODE_KEY_BYTES, CodeKey};

/// Bytes of the master key and of every derived key: 256 bits.
pub const MASTER_KEY_BYTES: usize = 32;
/// Bytes of the random nonce stored in front of a sealed value (XChaCha20's 192 bits: random
/// nonces never collide in practice).
const SEAL_NONCE_BYTES: usize = 24;
/// Version byte of the sealed format, so a later format can be told apart.
const SEAL_VERSION: u8 = 1;

/// The installation's master secret. `Debug` is redacted.
#[derive(Clone)]
pub struct MasterKey([u8; MASTER_KEY_BYTES]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterKeyError {
    #[error("the master key must be {MASTER_KEY_BYTES} bytes in standard base64 (44 characters)")]
    Malformed,
}

impl MasterKeyError {
    pub fn code(&self) -> &'static str {
        "invalid_master_key"
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; MASTER_KEY_BYTES]) -> MasterKey {
        MasterKey(bytes)
    }

    /// A fresh key from the CSPRNG, for a new installation or a test.
    pub fn generate(rng: &mut impl CryptoRng) -> MasterKey {
        let mut bytes = [0u8; MASTER_KEY_BYTES];
        rng.fill_bytes(&mut bytes);
        MasterKey(bytes)
    }

    /// Parses the base64 text form (surrounding whitespace ignored, as in a key file).
    pub fn parse(text: &str) -> Result<MasterKey, MasterKeyError> {
        let bytes = BASE64.decode(text.trim().as_bytes()).map_err(|_| MasterKeyError::Malformed)?;
        let bytes: [u8; MASTER_KEY_BYTES] = bytes.try_into().map_err(|_| MasterKeyError::Malformed)?;
        Ok(MasterKey(bytes))
    }

    /// The base64 text form, to write a new key file. Handle as a secret.
    pub fn expose_base64(&self) -> String {
        BASE64.encode(&self.0)
    }

    /// A 256-bit secret for `label`, independent of every other label's (HMAC-SHA256 under the
    /// master key). For secrets an installation must reproduce without storing them (the demo's
    /// passwords).
    pub fn derive_secret(&self, label: &str) -> [u8; 32] {
        self.derive(&format!("secret/{label}"))
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(b"tiyn/key/v1/");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub fn code_key(&self) -> CodeKey {
        let bytes: [u8; CODE_KEY_BYTES] = self.derive("code");
        CodeKey::from_bytes(bytes)
    }

    pub fn audit_key(&self) -> AuditKey {
        AuditKey(self.derive("audit"))
    }

    pub fn seal_key(&self) -> SealKey {
        SealKey(self.derive("seal"))
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// Chains the audit trail: each record's MAC covers the previous record's MAC and the record's own
/// canonical bytes.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> AuditKey {
        AuditKey(bytes)
    }

    /// HMAC-SHA256 over `previous || record`. `record` must be an unambiguous encoding (the store's
    /// canonical bytes, with lengths in front of variable fields).
    pub fn chain(&self, previous: &[u8; 32], record: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(b"tiyn/audit/v1");
        mac.update(previous);
        mac.update(record);
        mac.finalize().into_bytes().into()
    }

    /// Whether `expected` is the chain MAC of `previous || record`, compared in constant time.
    pub fn verify(&self, previous: &[u8; 32], record: &[u8], expected: &[u8; 32]) -> bool {
        use subtle::ConstantTimeEq;
        self.chain(previous, record).ct_eq(expected).into()
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

/// Encrypts small secrets for the database (XChaCha20-Poly1305, random nonce). The associated data
/// binds a sealed value to its row (a marker serial), so a sealed secret copied to another row does
/// not open there.
#[derive(Clone)]
pub struct SealKey([u8; 32]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the sealed value is damaged, belongs elsewhere, or was sealed under another key")]
    Open,
}

impl SealKey {
    pub fn from_bytes(bytes: [u8; 32]) -> SealKey {
        SealKey(bytes)
    }

    pub fn seal(&self, plaintext: &[u8], bound_to: &[u8], rng: &mut impl CryptoRng) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let mut nonce = [0u8; SEAL_NONCE_BYTES];
        rng.fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: bound_to })
            .expect("encryption of a small in-memory buffer cannot fail");
        let mut sealed = Vec::with_capacity(1 + SEAL_NONCE_BYTES + ciphertext.len());
        sealed.push(SEAL_VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    pub fn open(&self, sealed: &[u8], bound_to: &[u8]) -> Result<Vec<u8>, SealError> {
        let (version, rest) = sealed.split_first().ok_or(SealError::Open)?;
        if *version != SEAL_VERSION || rest.len() < SEAL_NONCE_BYTES {
            return Err(SealError::Open);
        }
        let (nonce, ciphertext) = rest.split_at(SEAL_NONCE_BYTES);
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: bound_to })
            .map_err(|_| SealError::Open)
    }
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn master() -> MasterKey {
        MasterKey::from_bytes([7; 32])
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_master() {
        let other = MasterKey::from_bytes([8; 32]);
        let record = b"record";
        let zero = [0u8; 32];
        assert_ne!(master().audit_key().chain(&zero, record), other.audit_key().chain(&zero, record));
        assert_ne!(master().derive("audit"), master().derive("seal"));
        assert_ne!(master().derive("code"), master().derive("seal"));
    }

    #[test]
    fn master_key_text_round_trips_and_refuses_wrong_lengths() {
        let key = master();
        let text = key.expose_base64();
        assert_eq!(MasterKey::parse(&format!(" {text}\n")).map(|k| k.0), Ok(key.0));
        assert_eq!(MasterKey::parse("c2hvcnQ=").map(|k| k.0), Err(MasterKeyError::Malformed));
        assert_eq!(MasterKey::parse("not base64!").map(|k| k.0), Err(MasterKeyError::Malformed));
        assert!(!format!("{key:?}").contains(&text));
    }

    /// any change of the record or of the previous MAC changes the chain MAC.
    #[test]
    fn r_3_4_audit_chain_detects_changes() {
        let key = master().audit_key();
        let previous = [1u8; 32];
        let mac = key.chain(&previous, b"login ok");
        assert!(key.verify(&previous, b"login ok", &mac));
        assert!(!key.verify(&previous, b"login failed", &mac));
        assert!(!key.verify(&[2u8; 32], b"login ok", &mac));
        assert!(!MasterKey::from_bytes([9; 32]).audit_key().verify(&previous, b"login ok", &mac));
    }

    /// a sealed secret opens only with its key and only for the row it is bound to.
    #[test]
    fn r_5_8_sealed_secrets_open_only_where_they_belong() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let key = master().seal_key();
        let sealed = key.seal(b"totp secret", b"TYN-AAAA-BBBB", &mut rng);
        assert!(!sealed.windows(11).any(|window| window == b"totp secret"));
        assert_eq!(key.open(&sealed, b"TYN-AAAA-BBBB"), Ok(b"totp secret".to_vec()));
        assert_eq!(key.open(&sealed, b"TYN-CCCC-DDDD"), Err(SealError::Open));
        assert_eq!(MasterKey::from_bytes([9; 32]).seal_key().open(&sealed, b"TYN-AAAA-BBBB"), Err(SealError::Open));
        let mut damaged = sealed.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert_eq!(key.open(&damaged, b"TYN-AAAA-BBBB"), Err(SealError::Open));
        assert_eq!(key.open(&[], b""), Err(SealError::Open));
    }
}
