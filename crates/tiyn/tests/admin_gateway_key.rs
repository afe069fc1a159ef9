//! `tiyn admin gateway-key` against the real binary: it prints the key the interbank
//! gateway authenticates with, derived from the server's master key, and never makes up a key.

use std::process::Command;

/// the printed key is the one the server accepts on `/api/gateway/v1` for that master
/// key file; without a key file the command fails instead of creating one.
#[test]
fn the_gateway_key_is_derived_from_the_servers_master_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key_file = dir.path().join("master.key");
    let run = |key_file: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_tiyn"))
            .args(["admin", "gateway-key", "--data-dir"])
            .arg(dir.path())
            .arg("--secret-key-file")
            .arg(key_file)
            .env("RUST_LOG", "warn")
            .output()
            .expect("tiyn runs")
    };
    let missing = run(&key_file);
    assert!(!missing.status.success(), "no key file, no key");
    assert!(!key_file.exists(), "the command does not create a master key");

    let master = tiyn_server::secrets::load_or_create_master_key(&key_file).expect("a master key");
    let printed = run(&key_file);
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    let key = String::from_utf8_lossy(&printed.stdout).trim().to_owned();
    assert_eq!(key, tiyn_server::payments::gateway_key(&master));
    assert!(key.len() >= 43, "256 bits, base64url: {key}");
}
