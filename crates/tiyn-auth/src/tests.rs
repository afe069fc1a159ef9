//! Cross-module checks of the crate's invariants.

use jiff::Timestamp;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::*;

fn assert_hidden(debug: String, secret: &str) {
    assert!(!secret.is_empty());
    assert!(!debug.contains(secret), "Debug output {debug:?} shows the secret {secret:?}");
    assert!(debug.contains("redacted"), "Debug output {debug:?} should say it is redacted");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// no secret (password, code, PIN, key) is ever logged in clear. Every secret type of the
/// crate is built and its `Debug` searched for the secret, in the forms a log could show it.
#[test]
fn r_5_8_debug_never_shows_secrets() {
    let mut rng = StdRng::seed_from_u64(2024);
    let now = Timestamp::from_second(1_750_000_000).expect("valid");

    let key_bytes = [0xa7; 32];
    let key = CodeKey::from_bytes(key_bytes);
    assert_hidden(format!("{key:?}"), &hex(&key_bytes));
    assert!(!format!("{key:?}").contains("167"), "no decimal byte dump");

    let (code, record) = code::issue(&CodePolicy::default(), CodePurpose::Login, now, &mut rng, &key);
    assert_hidden(format!("{code:?}"), code.expose());
    assert_hidden(format!("{record:?}"), code.expose());
    assert!(!format!("{record:?}").contains(&hex(&record.mac())));
    assert!(!format!("{record:?}").contains(&format!("{:?}", record.mac())));

    let token = SessionToken::generate(&mut rng);
    assert_hidden(format!("{token:?}"), &token.expose());
    assert!(!format!("{token:?}").contains(&hex(&token.digest())));

    let secret = TotpSecret::generate(&mut rng);
    let base32 = data_encoding::BASE32_NOPAD.encode(secret.expose_bytes());
    assert_hidden(format!("{secret:?}"), &base32);
    assert!(!format!("{secret:?}").contains(&hex(secret.expose_bytes())));

    let hash = PasswordHasher::for_tests().hash("correct horse battery staple", &mut rng).expect("hashes");
    let phc_output = hash.as_phc_str().rsplit('$').next().expect("PHC has an output");
    assert_hidden(format!("{hash:?}"), phc_output);
    assert!(!format!("{hash:?}").contains("correct horse"));
}
