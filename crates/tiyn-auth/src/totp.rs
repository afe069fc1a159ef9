//! Markers: software tokens producing TOTP codes (RFC 6238) that the server verifies
//!
//!
//! A marker is a [`TotpSecret`] with a unique [`MarkerSerial`], bound to one user by the store. It
//! works offline: the phone and the server derive the same code from the secret and the time.
//! Codes are HMAC-SHA1, 6 digits, 30-second steps, the defaults every authenticator app supports.
//! [`verify`] accepts the current step and one step either side (clock drift and typing time) and
//! refuses any step at or before the last accepted one, so a code is never accepted twice. Verifying
//! against the secret of the user who logs in, never a global lookup, is what refuses another user's
//! marker.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use rand::CryptoRng;
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Secret length: 160 bits, the HMAC-SHA1 output size that RFC 4226 recommends.
pub const TOTP_SECRET_BYTES: usize = 20;
/// Length of a time step: 30 seconds, RFC 6238's default and what authenticator apps assume.
pub const TOTP_STEP_SECONDS: i64 = 30;
/// Digits of a marker code: 6, what authenticator apps show.
pub const TOTP_DIGITS: u32 = 6;
/// Steps accepted either side of the current one: 1, as RFC 6238 section 5.2 suggests at most.
pub const TOTP_SKEW_STEPS: u64 = 1;
/// Characters of the two random groups of a serial number: 4 + 4 Crockford base32 characters, 40
/// bits, so random serials collide rarely and the store's unique index catches the rest.
const SERIAL_GROUP_CHARS: usize = 4;
/// Prefix of every marker serial.
const SERIAL_PREFIX: &str = "TYN";
/// Crockford's base32 alphabet: no I, L, O or U, which people misread.
const SERIAL_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The shared secret of a marker. `Debug` is redacted; the store must keep it encrypted.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret([u8; TOTP_SECRET_BYTES]);

impl TotpSecret {
    /// A fresh secret of [`TOTP_SECRET_BYTES`] bytes from the CSPRNG.
    pub fn generate(rng: &mut impl CryptoRng) -> TotpSecret {
        let mut bytes = [0u8; TOTP_SECRET_BYTES];
        rng.fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// Rebuilds a secret decrypted from the store.
    pub fn from_bytes(bytes: [u8; TOTP_SECRET_BYTES]) -> TotpSecret {
        TotpSecret(bytes)
    }

    /// The raw bytes, for encryption at rest only.
    pub fn expose_bytes(&self) -> &[u8; TOTP_SECRET_BYTES] {
        &self.0
    }
}

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// Why a marker code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("a marker code has exactly {digits} digits")]
    Malformed { digits: u32 },
    #[error("the marker code is wrong")]
    Mismatch,
    #[error("the marker code has already been used")]
    Replayed,
    #[error("the clock is before 1970")]
    TimeBeforeEpoch,
}

impl TotpError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            TotpError::Malformed { .. } => "totp_malformed",
            TotpError::Mismatch => "totp_mismatch",
            TotpError::Replayed => "totp_replayed",
            TotpError::TimeBeforeEpoch => "totp_time_before_epoch",
        }
    }
}

/// The key URI that authenticator apps import from a QR code (Google Authenticator's "Key Uri
/// Format"): `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`.
/// The secret is base32 without padding; issuer and label are percent-encoded (a colon inside them
/// becomes `%3A`, so it cannot be mistaken for the separator). Show it once, at enrolment.
pub fn otpauth_uri(issuer: &str, account_label: &str, secret: &TotpSecret) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECONDS}",
        account = percent_encode(account_label),
        secret = BASE32_NOPAD.encode(&secret.0),
    )
}

/// Percent-encodes everything except RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Verifies a 6-digit marker code at `now`.
///
/// Accepts the steps `current - 1 ..= current + 1` that are after `last_accepted_step`, and returns the
/// accepted step, which the store must save (atomically, with a condition on the old value) as the new
/// `last_accepted_step`. A code for an already-accepted step is [`TotpError::Replayed`]. All three
/// candidate steps are computed and compared in constant time, whichever matches.
pub fn verify(
    secret: &TotpSecret,
    candidate: &str,
    now: Timestamp,
    last_accepted_step: Option<u64>,
) -> Result<u64, TotpError> {
    verify_digits(secret, candidate, now, last_accepted_step, TOTP_DIGITS)
}

/// The code a marker shows at `now`: what the authenticator app on the phone computes (used by
/// tests and by clients that carry the marker themselves).
pub fn code_at(secret: &TotpSecret, now: Timestamp) -> Result<String, TotpError> {
    let step = step_at(now)?;
    Ok(format!("{:0width$}", hotp(&secret.0, step, TOTP_DIGITS), width = TOTP_DIGITS as usize))
}

/// A secret from the base32 text of an `otpauth://` URI (as an authenticator app reads it).
pub fn secret_from_base32(text: &str) -> Option<TotpSecret> {
    let bytes = BASE32_NOPAD.decode(text.trim_end_matches('=').as_bytes()).ok()?;
    Some(TotpSecret(bytes.try_into().ok()?))
}

fn verify_digits(
    secret: &TotpSecret,
    candidate: &str,
    now: Timestamp,
    last_accepted_step: Option<u64>,
    digits: u32,
) -> Result<u64, TotpError> {
    let well_formed = candidate.len() == digits as usize && candidate.bytes().all(|byte| byte.is_ascii_digit());
    if !well_formed {
        return Err(TotpError::Malformed { digits });
    }
    let current = step_at(now)?;
    // Two steps can share a code by chance (1 in 10^6): the earliest fresh match wins, and a match
    // only on already-accepted steps is a replay.
    let mut fresh: Option<u64> = None;
    let mut replayed = false;
    for step in current.saturating_sub(TOTP_SKEW_STEPS)..=current.saturating_add(TOTP_SKEW_STEPS) {
        let expected = format!("{:0width$}", hotp(&secret.0, step, digits), width = digits as usize);
        let matches = bool::from(expected.as_bytes().ct_eq(candidate.as_bytes()));
        let already_accepted = last_accepted_step.is_some_and(|last| step <= last);
        if matches && already_accepted {
            replayed = true;
        } else if matches && fresh.is_none() {
            fresh = Some(step);
        }
    }
    match (fresh, replayed) {
        (Some(step), _) => Ok(step),
        (None, true) => Err(TotpError::Replayed),
        (None, false) => Err(TotpError::Mismatch),
    }
}

/// The RFC 6238 time step of `now`.
fn step_at(now: Timestamp) -> Result<u64, TotpError> {
    let seconds = u64::try_from(now.as_second()).map_err(|_| TotpError::TimeBeforeEpoch)?;
    Ok(seconds / TOTP_STEP_SECONDS as u64)
}

/// HOTP (RFC 4226) with HMAC-SHA1: dynamic truncation of the MAC of the big-endian counter.
fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    assert!((6..=9).contains(&digits), "RFC 4226 codes have 6 to 9 digits here");
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(&counter.to_be_bytes());
    let hash: [u8; 20] = mac.finalize().into_bytes().into();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    binary % 10u32.pow(digits)
}

/// A marker's serial number, `TYN-XXXX-XXXX` in Crockford base32. Random, so it reveals
/// nothing about how many markers exist; the store's unique index makes it unique (draw again on a
/// collision).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MarkerSerial(String);

/// A string is not a marker serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MarkerSerialError {
    #[error("a marker serial looks like TYN-XXXX-XXXX")]
    Format,
}

impl MarkerSerialError {
    /// Stable API code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            MarkerSerialError::Format => "marker_serial_format",
        }
    }
}

impl MarkerSerial {
    /// A fresh random serial. 32 divides 256, so taking 5 bits of a byte is unbiased.
    pub fn generate(rng: &mut impl CryptoRng) -> MarkerSerial {
        let mut bytes = [0u8; 2 * SERIAL_GROUP_CHARS];
        rng.fill_bytes(&mut bytes);
        let chars: String = bytes.iter().map(|byte| char::from(SERIAL_ALPHABET[usize::from(byte & 0x1f)])).collect();
        let serial =
            MarkerSerial(format!("{SERIAL_PREFIX}-{}-{}", &chars[..SERIAL_GROUP_CHARS], &chars[SERIAL_GROUP_CHARS..]));
        assert!(MarkerSerial::parse(&serial.0).as_ref() == Ok(&serial), "a generated serial parses");
        serial
    }

    /// Parses a serial typed or read by a person: case-insensitive, normalised to upper case.
    pub fn parse(text: &str) -> Result<MarkerSerial, MarkerSerialError> {
        let upper = text.to_ascii_uppercase();
        let mut parts = upper.split('-');
        let (Some(prefix), Some(first), Some(second), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(MarkerSerialError::Format);
        };
        let group_ok =
            |group: &str| group.len() == SERIAL_GROUP_CHARS && group.bytes().all(|b| SERIAL_ALPHABET.contains(&b));
        if prefix != SERIAL_PREFIX || !group_ok(first) || !group_ok(second) {
            return Err(MarkerSerialError::Format);
        }
        Ok(MarkerSerial(upper))
    }

    /// The serial as shown and stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MarkerSerial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).expect("valid")
    }

    /// The SHA1 key of RFC 6238 Appendix B: the ASCII string "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    fn code_at(secret: &TotpSecret, second: i64) -> String {
        let step = step_at(at(second)).expect("after 1970");
        format!("{:06}", hotp(&secret.0, step, TOTP_DIGITS))
    }

    #[test]
    fn r_2_1_21_rfc_6238_appendix_b_sha1_vectors() {
        let vectors: &[(i64, &str)] = &[
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for &(second, expected) in vectors {
            assert_eq!(verify_digits(&rfc_secret(), expected, at(second), None, 8).map(|_| ()), Ok(()), "T={second}");
            let step = step_at(at(second)).expect("after 1970");
            assert_eq!(format!("{:08}", hotp(b"12345678901234567890", step, 8)), expected);
        }
    }

    #[test]
    fn r_8_10_accepts_one_step_either_side_only() {
        let secret = rfc_secret();
        let now = 1_111_111_111; // step 37037037, 1 s into the step
        for (offset, accepted) in [(-60, false), (-30, true), (0, true), (30, true), (60, false)] {
            let code = code_at(&secret, now + offset);
            assert_eq!(verify(&secret, &code, at(now), None).is_ok(), accepted, "offset {offset}");
        }
    }

    #[test]
    fn r_2_1_21_a_code_is_never_accepted_twice() {
        let secret = rfc_secret();
        let code = code_at(&secret, 1_234_567_890);
        let step = verify(&secret, &code, at(1_234_567_890), None).expect("accepted");
        assert_eq!(step, 1_234_567_890 / 30);
        assert_eq!(verify(&secret, &code, at(1_234_567_890), Some(step)), Err(TotpError::Replayed));
        assert_eq!(verify(&secret, &code, at(1_234_567_900), Some(step)), Err(TotpError::Replayed));
        // The previous step's code, still in the window, is refused after a later one was accepted.
        let previous = code_at(&secret, 1_234_567_890 - 30);
        assert_eq!(verify(&secret, &previous, at(1_234_567_890), Some(step)), Err(TotpError::Replayed));
        let next = code_at(&secret, 1_234_567_890 + 30);
        assert_eq!(verify(&secret, &next, at(1_234_567_890 + 30), Some(step)), Ok(step + 1));
    }

    #[test]
    fn r_2_1_21_another_users_marker_is_refused() {
        let mut rng = StdRng::seed_from_u64(7);
        let mine = TotpSecret::generate(&mut rng);
        let theirs = TotpSecret::generate(&mut rng);
        let now = 1_750_000_000;
        let their_code = code_at(&theirs, now);
        let my_code = code_at(&mine, now);
        if their_code != my_code {
            assert_eq!(verify(&mine, &their_code, at(now), None), Err(TotpError::Mismatch));
        }
        assert!(verify(&mine, &my_code, at(now), None).is_ok());
    }

    #[test]
    fn malformed_codes_and_times() {
        let secret = rfc_secret();
        for bad in ["", "12345", "1234567", "12 456", "１２３４５６", "abcdef"] {
            assert_eq!(verify(&secret, bad, at(59), None), Err(TotpError::Malformed { digits: 6 }), "{bad:?}");
        }
        assert_eq!(verify(&secret, "123456", at(-1), None), Err(TotpError::TimeBeforeEpoch));
        assert_eq!(TotpError::Replayed.code(), "totp_replayed");
    }

    #[test]
    fn r_4_17_otpauth_uri_format() {
        let uri = otpauth_uri("Tiyn Bank", "aidar@example.kz", &rfc_secret());
        assert_eq!(
            uri,
            "otpauth://totp/Tiyn%20Bank:aidar%40example.kz?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Tiyn%20Bank&algorithm=SHA1&digits=6&period=30"
        );
        let unicode = otpauth_uri("Тиын:Банк", "a&b?c", &rfc_secret());
        assert!(unicode.starts_with("otpauth://totp/%D0%A2%D0%B8%D1%8B%D0%BD%3A%D0%91%D0%B0%D0%BD%D0%BA:a%26b%3Fc?"));
    }

    #[test]
    fn r_2_1_21_serial_format() {
        let serial = MarkerSerial::generate(&mut StdRng::seed_from_u64(1));
        assert_eq!(serial.as_str().len(), 13);
        assert!(serial.as_str().starts_with("TYN-"));
        assert_eq!(MarkerSerial::parse("tyn-0abc-xyz9").map(|s| s.to_string()), Ok("TYN-0ABC-XYZ9".to_owned()));
        for bad in
            ["", "TYN-0ABC", "TYN-0ABC-XYZ9-1", "ABC-0ABC-XYZ9", "TYN-0ABI-XYZ9", "TYN-0AB-XYZ99", "TYN_0ABC_XYZ9"]
        {
            assert_eq!(MarkerSerial::parse(bad), Err(MarkerSerialError::Format), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn r_2_1_21_serial_parse_inverts_format(seed in any::<u64>()) {
            let serial = MarkerSerial::generate(&mut StdRng::seed_from_u64(seed));
            prop_assert_eq!(MarkerSerial::parse(serial.as_str()), Ok(serial.clone()));
            prop_assert_eq!(MarkerSerial::parse(&serial.as_str().to_lowercase()), Ok(serial));
        }

        #[test]
        fn serial_parse_never_panics(text in "\\PC{0,20}") {
            let _ = MarkerSerial::parse(&text);
        }

        #[test]
        fn r_8_10_code_of_now_is_accepted_once_and_returns_current_step(
            seed in any::<u64>(),
            second in 30i64..4_000_000_000,
        ) {
            let secret = TotpSecret::generate(&mut StdRng::seed_from_u64(seed));
            let code = code_at(&secret, second);
            let step = verify(&secret, &code, at(second), None);
            // Equal codes in adjacent steps happen (1 in 10^6); the earliest matching step is accepted.
            prop_assert!(step.is_ok());
            let step = step.unwrap_or_default();
            prop_assert!(step + 1 >= (second / 30) as u64 && step <= (second / 30) as u64);
            prop_assert!(verify(&secret, &code, at(second), Some((second / 30) as u64)).is_err());
        }
    }
}
