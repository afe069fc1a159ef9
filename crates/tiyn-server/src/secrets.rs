//! The installation's master key: read from its file, or created there on first start.

use std::io::Write;
use std::path::Path;

use tiyn_auth::MasterKey;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read the master key file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot create the master key file {path}: {source}")]
    Create { path: String, source: std::io::Error },
    #[error("the master key file {path} is invalid: {source}")]
    Invalid { path: String, source: tiyn_auth::MasterKeyError },
}

/// Reads the key at `path`, which must exist (for tools that check what the server wrote).
pub fn load_master_key(path: &Path) -> Result<MasterKey, SecretError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SecretError::Read { path: shown.clone(), source })?;
    MasterKey::parse(&text).map_err(|source| SecretError::Invalid { path: shown, source })
}

/// Reads the key at `path`; when the file does not exist, creates it with a fresh key, readable by
/// the owner only (created exclusively, so two processes starting at once cannot write two keys).
pub fn load_or_create_master_key(path: &Path) -> Result<MasterKey, SecretError> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => return MasterKey::parse(&text).map_err(|source| SecretError::Invalid { path: shown, source }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(SecretError::Read { path: shown, source }),
    }
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| SecretError::Create { path: shown.clone(), source })?;
    }
    let key = MasterKey::generate(&mut rand::rng());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", key.expose_base64()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|source| SecretError::Create { path: shown, source })?;
            tracing::info!(path = %path.display(), "created a new master key");
            Ok(key)
        }
        // Another process created it between our read and our create: use theirs.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let text =
                std::fs::read_to_string(path).map_err(|source| SecretError::Read { path: shown.clone(), source })?;
            MasterKey::parse(&text).map_err(|source| SecretError::Invalid { path: shown, source })
        }
        Err(source) => Err(SecretError::Create { path: shown, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested").join("secret.key");
        let first = load_or_create_master_key(&path).expect("created");
        let second = load_or_create_master_key(&path).expect("read");
        assert_eq!(first.expose_base64(), second.expose_base64());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").expect("write");
        assert!(matches!(load_or_create_master_key(&path), Err(SecretError::Invalid { .. })));
    }
}
